//! `paasc lsp` spoken to as an editor does: JSON-RPC over its stdin and
//! stdout, from `initialize` to `exit`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Editor {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
    next_id: i64,
    /// Notifications seen while waiting for responses.
    notes: Vec<Value>,
}

fn read_message(r: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Editor {
    fn start() -> Editor {
        let mut child = Command::new(env!("CARGO_BIN_EXE_paasc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(m) = read_message(&mut stdout) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        Editor {
            child,
            stdin,
            messages: rx,
            next_id: 1,
            notes: Vec::new(),
        }
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let m = self
                .messages
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
            self.notes.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        if let Some(i) = self.notes.iter().position(|n| {
            n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
        }) {
            return self.notes.remove(i)["params"]["diagnostics"]
                .as_array()
                .unwrap()
                .clone();
        }
        loop {
            let m = self
                .messages
                .recv_timeout(Duration::from_secs(20))
                .expect("no diagnostics published");
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.notes.push(m);
        }
    }
}

const GOOD: &str = r#"param version = "1.0.0"
app shop {
  team    = "web — café"
  region  = "eu-west-1"
  account = "111122223333"
  version = "${version}"
  service { port = 8080  https = "arn:aws:acm:eu-west-1:111122223333:certificate/11111111-2222-4333-8444-555555555555" }
  fleet {
    min = 1
  }
}
"#;

#[test]
fn an_editor_session_from_initialize_to_exit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.paas");
    std::fs::write(&path, GOOD).unwrap();
    let uri = format!("file://{}", path.display());
    let mut ed = Editor::start();

    let init = ed.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    let caps = &init["capabilities"];
    for cap in [
        "hoverProvider",
        "completionProvider",
        "definitionProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
    ] {
        assert!(!caps[cap].is_null(), "no {cap}: {init}");
    }
    ed.notify("initialized", json!({}));

    // A broken file: `desired` is not a number; the diagnostic's range is
    // in UTF-16 units on a line after a non-ASCII one.
    let broken = GOOD.replace("min = 1", "min = 1\n    desried = 2");
    ed.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "paasc", "version": 1, "text": broken } }));
    let diags = ed.diagnostics_for(&uri);
    assert!(!diags.is_empty(), "no diagnostics for the broken file");
    let d = diags
        .iter()
        .find(|d| d["severity"] == 1)
        .unwrap_or_else(|| panic!("no error: {diags:?}"));
    assert!(d["code"].as_str().unwrap().starts_with("paas::E"), "{d}");
    assert!(d["message"].as_str().unwrap().contains("desried"), "{d}");
    assert_eq!(
        d["range"]["start"],
        json!({ "line": 9, "character": 4 }),
        "{d}"
    );
    assert_eq!(d["range"]["end"]["line"], 9, "{d}");

    // Hover on the diagnostic: its explain text.
    let hover = ed.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 9, "character": 6 } }),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("paas::E"),
        "{hover}"
    );

    // The fix clears it.
    ed.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": GOOD }] }));
    assert_eq!(ed.diagnostics_for(&uri), Vec::<Value>::new());

    // Hover on a key: its type and doc from the schema.
    let hover = ed.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 8, "character": 5 } }),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("fleet.min"),
        "{hover}"
    );

    // Completion inside `fleet {`: fleet's keys.
    let with_blank = GOOD.replace("    min = 1\n", "    min = 1\n    \n");
    ed.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": with_blank }] }));
    let items = ed.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 9, "character": 4 } }),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    for k in ["desired", "max", "launch"] {
        assert!(labels.contains(&k), "{k} not offered: {labels:?}");
    }
    assert!(!labels.contains(&"region"), "{labels:?}");
    // Enum values after `launch =`.
    let typing = with_blank.replace("    \n", "    launch = \n");
    ed.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 4 }, "contentChanges": [{ "text": typing }] }));
    let items = ed.request(
        "textDocument/completion",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 9, "character": 13 } }),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["template", "configuration"], "{items}");
    ed.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 5 }, "contentChanges": [{ "text": GOOD }] }));

    // Go to the definition of `${version}`: the param.
    let def = ed.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 5, "character": 15 } }),
    );
    assert_eq!(def["uri"], uri, "{def}");
    assert_eq!(
        def["range"]["start"],
        json!({ "line": 0, "character": 6 }),
        "{def}"
    );

    // Formatting: one edit making the text canonical.
    let messy = GOOD.replace("  team    =", "      team =");
    ed.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 6 }, "contentChanges": [{ "text": messy }] }));
    let edits = ed.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    assert_eq!(edits.as_array().unwrap().len(), 1, "{edits}");
    assert_eq!(edits[0]["newText"], paasc::format::format(&messy).unwrap());

    // Symbols: the app and its blocks.
    let symbols = ed.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["version", "app shop"], "{symbols}");

    // Garbage does not crash it: a request with bad params gets an error.
    ed.send(json!({ "jsonrpc": "2.0", "id": 99, "method": "textDocument/hover", "params": { "nonsense": true } }));
    let answer = ed.messages.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(
        answer.get("error").is_some() || answer["method"].is_string(),
        "{answer}"
    );

    let shutdown = ed.request("shutdown", Value::Null);
    assert!(shutdown.is_null());
    ed.notify("exit", Value::Null);
    let status = ed.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn problems_in_a_used_file_are_published_to_it_and_definitions_reach_the_stdlib() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib.paas");
    std::fs::write(&lib, "param owner = \n").unwrap();
    let root = dir.path().join("app.paas");
    let text = GOOD
        .replace("param version", "use \"lib.paas\"\nparam version")
        .replace(
            "  fleet {",
            "  image {\n    base = amazon-linux-2023\n  }\n  fleet {",
        );
    std::fs::write(&root, &text).unwrap();
    let (root_uri, lib_uri) = (
        format!("file://{}", root.display()),
        format!("file://{}", lib.display()),
    );
    let mut ed = Editor::start();
    ed.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    ed.notify("initialized", json!({}));
    ed.notify("textDocument/didOpen", json!({ "textDocument": { "uri": root_uri, "languageId": "paasc", "version": 1, "text": text } }));
    let in_lib = ed.diagnostics_for(&lib_uri);
    assert!(!in_lib.is_empty(), "nothing published to the used file");
    assert_eq!(in_lib[0]["range"]["start"]["line"], 0, "{in_lib:?}");

    // The stdlib base's definition opens as a file.
    let line = text
        .lines()
        .position(|l| l.contains("base = amazon-linux-2023"))
        .unwrap();
    let def = ed.request("textDocument/definition", json!({ "textDocument": { "uri": root_uri }, "position": { "line": line, "character": 14 } }));
    let target = def["uri"].as_str().unwrap_or_else(|| panic!("{def}"));
    assert!(target.ends_with("/images.paas"), "{def}");
    let opened = std::fs::read_to_string(target.trim_start_matches("file://")).unwrap();
    assert!(opened.contains("base amazon-linux-2023"));

    // The use removed: the used file's diagnostics are cleared.
    let without = text.replace("use \"lib.paas\"\n", "");
    ed.notify("textDocument/didChange", json!({ "textDocument": { "uri": root_uri, "version": 2 }, "contentChanges": [{ "text": without }] }));
    assert_eq!(ed.diagnostics_for(&lib_uri), Vec::<Value>::new());
    ed.request("shutdown", Value::Null);
    ed.notify("exit", Value::Null);
    assert!(ed.child.wait().unwrap().success());
}

/// The VS Code extension: a language for `.paas` files, its grammar, and a
/// client that starts `paasc lsp`.
#[test]
fn the_vscode_extension_launches_paasc_lsp_for_paas_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode");
    let read = |p: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(p)).unwrap()).unwrap()
    };
    let package = read("package.json");
    let language = &package["contributes"]["languages"][0];
    assert_eq!(language["id"], "paasc");
    assert_eq!(language["extensions"], json!([".paas"]));
    let grammar = &package["contributes"]["grammars"][0];
    let tm = read(grammar["path"].as_str().unwrap());
    assert_eq!(tm["scopeName"], grammar["scopeName"]);
    assert!(package["dependencies"]["vscode-languageclient"].is_string());
    read(language["configuration"].as_str().unwrap());
    let client = std::fs::read_to_string(dir.join(package["main"].as_str().unwrap())).unwrap();
    assert!(client.contains("args: [\"lsp\"]") && client.contains("language: \"paasc\""));
}

mod no_input_crashes_it {
    use paasc::lsp::analysis;
    use paasc::resolve::MemLoader;
    use proptest::prelude::*;

    fn examples() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        [
            "shop.paas",
            "batch.paas",
            "minimal.paas",
            "two-account.paas",
        ]
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
        .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        /// Every answer, at any offset of any cut, spliced or garbled text.
        #[test]
        fn every_answer_on_any_text(which in 0usize..4, cut in 0.0f64..1.0, at in 0.0f64..1.0, junk in "[{}\"$#=\\[\\] a-z\\n]{0,12}") {
            let text = &examples()[which];
            let mut cut_at = (text.len() as f64 * cut) as usize;
            while !text.is_char_boundary(cut_at) { cut_at -= 1; }
            let edited = format!("{}{junk}{}", &text[..cut_at], &text[cut_at..]);
            let mut offset = (edited.len() as f64 * at) as usize;
            while !edited.is_char_boundary(offset) { offset -= 1; }
            let loader = MemLoader::default().with("app.paas", edited.clone());
            let files = analysis::diagnostics("app.paas", &loader);
            let diags: Vec<_> = files.into_iter().flat_map(|f| f.diagnostics).collect();
            let _ = analysis::hover(&edited, offset, &diags);
            let names = analysis::names("app.paas", &loader);
            let _ = analysis::complete(&edited, offset, &names);
            let _ = analysis::definition("app.paas", &edited, offset, &names);
            let _ = analysis::symbols(&edited);
            let index = paasc::lsp::LineIndex::new(&edited);
            let p = index.position(offset);
            prop_assert_eq!(index.offset(p), offset);
        }
    }
}
