//! UI tests of the diagnostics: one fixture `tests/ui/<CODE>-<name>.paas`
//! per diagnostic code, compiled the way `paasc check` compiles it, with an
//! insta snapshot of the human rendering (no colour, 100 columns) and of the
//! JSON lines. Fixtures name the code they exist for; that code must be
//! among the diagnostics produced.
//!
//! Leading comment lines of a fixture may give command-line context:
//! `# args: --set NAME=VALUE --env NAME` (any number, in any order) and
//! `# require-app` (compile as `build` does: a file without `app` is an
//! error), and `# bootstrap: WORD...` (run `paasc bootstrap` on the
//! fixture, every env, after the compile: `with=PATH` adds another spec,
//! `-NAME` leaves the tool NAME out of a tools directory that otherwise has
//! one file of every tool, `+FILE` adds a file to it), and `# chef-repo:
//! DIR` (check the run list against the chef repo `tests/ui/DIR`, as
//! `--chef-repo` does; fixture repos live under `tests/ui/chef/`). Files
//! under `tests/ui/lib/` are only `use`d (or given `with=`) by fixtures.
//!
//! Paths are passed relative to the crate root (cargo runs integration
//! tests there) so that file names in the snapshots are stable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/snapshots.rs"]
mod snapshots;

use paasc::diagnostics::render::{human, json_line, Style};
use paasc::diagnostics::Code;
use paasc::resolve::FsLoader;
use paasc::Envs;
use std::path::Path;

const UI_DIR: &str = "tests/ui";

/// Every fixture file name (`E0313-fleet-order.paas`), sorted.
fn fixtures() -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(UI_DIR))
            .expect("tests/ui exists")
            .map(|e| e.expect("readable dir entry"))
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".paas"))
            .collect();
    names.sort();
    names
}

/// The command-line context a fixture asks for in its leading comments.
#[derive(Debug, Default)]
struct Context {
    env: Option<String>,
    sets: Vec<(String, String)>,
    require_app: bool,
    bootstrap: Option<Bootstrap>,
    chef_repo: Option<String>,
}

/// A `# bootstrap:` line: the other specs and the tools directory.
#[derive(Debug)]
struct Bootstrap {
    with: Vec<String>,
    tools: Vec<String>,
}

/// A tools directory with one file of every tool the catalogue knows.
fn every_tool() -> Vec<String> {
    paasc::bootstrap::tools::KINDS
        .iter()
        .map(|k| {
            // The two the specs pin at their default versions.
            let version = match k.name {
                "packer-plugin-amazon" => paasc::model::names::DEFAULT_PACKER_PLUGIN,
                "terraform-provider-aws" => paasc::model::names::DEFAULT_AWS_PROVIDER,
                _ => "1.2.3",
            };
            k.pattern.replace("VERSION", version)
        })
        .collect()
}

fn parse_bootstrap(words: &str) -> Bootstrap {
    let mut b = Bootstrap {
        with: Vec::new(),
        tools: every_tool(),
    };
    for word in words.split_whitespace() {
        if let Some(path) = word.strip_prefix("with=") {
            b.with.push(path.to_string());
        } else if let Some(name) = word.strip_prefix('-') {
            let kind = paasc::bootstrap::tools::KINDS
                .iter()
                .find(|k| k.name == name)
                .unwrap_or_else(|| panic!("no tool `{name}` in the catalogue"));
            b.tools.retain(|f| kind.version(f).is_none());
        } else if let Some(file) = word.strip_prefix('+') {
            b.tools.push(file.to_string());
        } else {
            panic!("unknown bootstrap word `{word}`");
        }
    }
    b
}

fn context(bytes: &[u8]) -> Context {
    let text = String::from_utf8_lossy(bytes);
    let mut cx = Context::default();
    for line in text.lines().take_while(|l| l.trim_start().starts_with('#')) {
        let line = line.trim_start().trim_start_matches('#').trim();
        if line == "require-app" {
            cx.require_app = true;
        } else if let Some(dir) = line.strip_prefix("chef-repo:") {
            cx.chef_repo = Some(format!("{UI_DIR}/{}", dir.trim()));
        } else if let Some(words) = line.strip_prefix("bootstrap:") {
            cx.bootstrap = Some(parse_bootstrap(words));
        } else if let Some(args) = line.strip_prefix("args:") {
            let mut words = args.split_whitespace();
            while let Some(flag) = words.next() {
                let value = words
                    .next()
                    .unwrap_or_else(|| panic!("`{flag}` needs a value"));
                match flag {
                    "--env" => cx.env = Some(value.to_string()),
                    "--set" => {
                        let (k, v) = value
                            .split_once('=')
                            .unwrap_or_else(|| panic!("`--set {value}` needs NAME=VALUE"));
                        cx.sets.push((k.to_string(), v.to_string()));
                    }
                    other => panic!("unknown fixture argument `{other}`"),
                }
            }
        }
    }
    cx
}

/// The code a fixture is named after: `E0313-fleet-order.paas` -> `E0313`.
fn fixture_code(name: &str) -> Code {
    let prefix = name.split('-').next().unwrap_or_default();
    Code::parse(prefix)
        .unwrap_or_else(|| panic!("fixture `{name}` does not start with a diagnostic code"))
}

/// Compiles one fixture as `paasc check` would and renders its snapshot.
/// Returns the snapshot text and the codes produced.
fn run(name: &str) -> (String, Vec<Code>) {
    let rel = format!("{UI_DIR}/{name}");
    let bytes = std::fs::read(&rel).unwrap_or_else(|e| panic!("reading {rel}: {e}"));
    let cx = context(&bytes);
    let envs = match &cx.env {
        Some(e) => Envs::Named(e.clone()),
        None => Envs::All,
    };
    let c = paasc::compile_with(
        &rel,
        &FsLoader,
        &envs,
        &cx.sets,
        cx.require_app,
        cx.chef_repo.as_deref(),
    );
    let mut diagnostics = c.diagnostics.clone();
    if let Some(b) = &cx.bootstrap {
        diagnostics.extend(bootstrap(&rel, &c.apps, b));
    }
    let style = Style {
        color: false,
        width: 100,
    };
    let mut out = String::new();
    for d in &diagnostics {
        out.push_str(&human(d, &c.sources, style));
        out.push('\n');
    }
    out.push_str("---- json ----\n");
    for d in &diagnostics {
        out.push_str(&json_line(d, &c.sources));
        out.push('\n');
    }
    (out, diagnostics.iter().map(|d| d.code).collect())
}

/// What `paasc bootstrap` reports for the fixture's apps and the others.
fn bootstrap(
    rel: &str,
    apps: &[paasc::model::App],
    b: &Bootstrap,
) -> Vec<paasc::diagnostics::Diagnostic> {
    use paasc::bootstrap::{plan, tools::ToolFile, Spec};
    let others: Vec<(String, Vec<paasc::model::App>)> = b
        .with
        .iter()
        .map(|path| {
            let path = format!("{UI_DIR}/{path}");
            let c = paasc::compile(&path, &FsLoader, &Envs::All, &[], true);
            assert!(c.diagnostics.is_empty(), "{path} must compile cleanly");
            (path, c.apps)
        })
        .collect();
    let mut specs = vec![Spec { file: rel, apps }];
    specs.extend(others.iter().map(|(file, apps)| Spec { file, apps }));
    let tools: Vec<ToolFile> = b
        .tools
        .iter()
        .map(|file| ToolFile {
            file: file.clone(),
            sha256: paasc::hash::sha256_hex(file.as_bytes()),
            bytes: file.len() as u64,
        })
        .collect();
    plan(&specs, &tools).err().unwrap_or_default()
}

/// One report per fixture: every fixture is checked (its code produced,
/// its snapshot unchanged) and every failing one named at the end.
#[test]
fn ui_fixtures() {
    snapshots::each(
        fixtures(),
        |name| name.clone(),
        |name| {
            let want = fixture_code(name);
            let (snapshot, codes) = run(name);
            let stem = name.trim_end_matches(".paas");
            insta::with_settings!({ omit_expression => true, description => format!("{UI_DIR}/{name}") }, {
                insta::assert_snapshot!(stem, snapshot);
            });
            assert!(
                codes.contains(&want),
                "{name}: expected {}, got {:?}",
                want.as_str(),
                codes.iter().map(|c| c.as_str()).collect::<Vec<_>>()
            );
        },
    );
}

#[test]
fn every_code_has_a_fixture() {
    let names = fixtures();
    let uncovered: Vec<&str> = Code::ALL
        .iter()
        // No spec can make an emitter fail: that code is for paasc's bugs.
        .filter(|c| **c != Code::Internal)
        .map(|c| c.as_str().trim_start_matches("paas::"))
        .filter(|bare| !names.iter().any(|n| n.starts_with(&format!("{bare}-"))))
        .collect();
    assert!(
        uncovered.is_empty(),
        "codes without a fixture tests/ui/<CODE>-<name>.paas: {uncovered:?}"
    );
}

#[test]
fn every_fixture_names_a_code() {
    for name in fixtures() {
        fixture_code(&name);
    }
}

#[test]
fn every_code_is_explained() {
    for c in Code::ALL {
        assert!(!c.title().trim().is_empty(), "{} has no title", c.as_str());
        assert!(
            !c.explain().trim().is_empty(),
            "{} has no explain text",
            c.as_str()
        );
    }
}

#[test]
fn codes_parse_round_trip() {
    for &c in Code::ALL {
        let full = c.as_str();
        let bare = full.trim_start_matches("paas::");
        assert!(
            full.starts_with("paas::") && bare.len() == 5,
            "{full} is not paas::[EW]NNNN"
        );
        assert_eq!(Code::parse(full), Some(c), "{full}");
        assert_eq!(Code::parse(bare), Some(c), "{bare}");
        assert_eq!(
            Code::parse(&bare.to_ascii_lowercase()),
            Some(c),
            "{bare} in lowercase"
        );
    }
    assert_eq!(Code::parse("E9999"), None);
}

#[test]
fn codes_are_unique_and_severity_matches_prefix() {
    let mut seen = std::collections::BTreeSet::new();
    for &c in Code::ALL {
        assert!(seen.insert(c.as_str()), "{} listed twice", c.as_str());
        let is_error = c.as_str().starts_with("paas::E");
        assert_eq!(
            is_error,
            c.severity() == paasc::diagnostics::Severity::Error,
            "{} severity",
            c.as_str()
        );
    }
}
