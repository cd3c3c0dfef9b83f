//! The binary: exit codes, message formats, `explain`, and `build`'s
//! atomic, deterministic output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

fn paasc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_paasc"));
    c.env("NO_COLOR", "1");
    c
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p.to_string_lossy().into_owned()
}

const GOOD: &str = r#"app demo {
  region  = "eu-west-1"
  account = "111122223333"
  service {
    port  = 8080
    https = "arn:aws:acm:eu-west-1:111122223333:certificate/6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
  }
}
"#;

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(dir.path(), "good.paas", GOOD);
    let warn = write(
        dir.path(),
        "warn.paas",
        &GOOD.replace("  }\n}", "  }\n  fleet { launch = configuration }\n}"),
    );
    let bad = write(dir.path(), "bad.paas", &GOOD.replace("8080", "0"));
    assert_eq!(
        paasc().args(["check", &good]).status().expect("run").code(),
        Some(0)
    );
    assert_eq!(
        paasc().args(["check", &warn]).status().expect("run").code(),
        Some(0)
    );
    assert_eq!(
        paasc()
            .args(["check", &warn, "--deny-warnings"])
            .status()
            .expect("run")
            .code(),
        Some(1)
    );
    assert_eq!(
        paasc().args(["check", &bad]).status().expect("run").code(),
        Some(1)
    );
    assert_eq!(
        paasc()
            .args(["check", "no-such-file.paas"])
            .status()
            .expect("run")
            .code(),
        Some(2)
    );
    assert_eq!(
        paasc().args(["check"]).status().expect("run").code(),
        Some(2)
    );
    assert_eq!(
        paasc()
            .args(["check", &good, "--set", "novalue"])
            .status()
            .expect("run")
            .code(),
        Some(2)
    );
}

#[test]
fn json_lines_have_the_documented_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(
        dir.path(),
        "bad.paas",
        &GOOD.replace(
            "  }\n}",
            "  }\n  fleet { min = 3  max = 2 }\n  tema = \"x\"\n}",
        ),
    );
    let out = paasc()
        .args(["check", &bad, "--message-format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).expect("utf8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    for l in &lines {
        for key in [
            "severity",
            "code",
            "message",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "labels",
            "help",
        ] {
            assert!(l.get(key).is_some(), "missing {key} in {l}");
        }
    }
    let fleet = lines
        .iter()
        .find(|l| l["code"] == "paas::E0313")
        .expect("fleet order diagnostic");
    assert_eq!(fleet["severity"], "error");
    assert_eq!(fleet["line"], 8);
    let tema = lines
        .iter()
        .find(|l| l["code"] == "paas::E0200")
        .expect("unknown key");
    assert_eq!(
        (
            tema["line"].as_u64(),
            tema["column"].as_u64(),
            tema["end_column"].as_u64()
        ),
        (Some(9), Some(3), Some(7))
    );
    assert_eq!(tema["help"], "did you mean `team`?");
}

#[test]
fn explain_knows_every_code() {
    for code in paasc::diagnostics::Code::ALL {
        let out = paasc()
            .args(["explain", code.as_str()])
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", code.as_str());
        assert!(String::from_utf8_lossy(&out.stdout)
            .contains(code.explain().lines().next().unwrap_or("")));
    }
    assert_eq!(
        paasc()
            .args(["explain", "E9999"])
            .status()
            .expect("run")
            .code(),
        Some(2)
    );
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.expect("walk");
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            out.push((rel, std::fs::read(e.path()).expect("read")));
        }
    }
    out
}

#[test]
fn build_is_deterministic_and_writes_a_manifest() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    for d in [&a, &b] {
        let st = paasc()
            .args(["build", "examples/shop.paas", "--all-envs", "-o"])
            .arg(d.path())
            .status()
            .expect("run");
        assert!(st.success());
    }
    let ta = tree(a.path());
    assert_eq!(ta, tree(b.path()), "two builds differ");
    for env in ["default", "staging", "prod"] {
        let m = a.path().join("shop").join(env).join("manifest.json");
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&m).expect("manifest")).expect("json");
        assert_eq!(manifest["env"], env);
        let listed = manifest["artifacts"].as_array().expect("artifacts");
        let on_disk = tree(&a.path().join("shop").join(env));
        assert_eq!(
            listed.len() + 1,
            on_disk.len(),
            "manifest lists every other file"
        );
        for entry in listed {
            use sha2::Digest;
            let path = entry["path"].as_str().expect("path");
            let bytes =
                std::fs::read(a.path().join("shop").join(env).join(path)).expect("artifact");
            let hex: String = sha2::Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(entry["sha256"], hex, "{path}");
        }
    }
    // No absolute paths leak into output.
    let root = a.path().to_string_lossy().into_owned();
    for (name, bytes) in &ta {
        assert!(
            !String::from_utf8_lossy(bytes).contains(&root),
            "{name} contains the output path"
        );
    }
}

#[test]
fn a_failing_build_leaves_previous_output_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let spec = write(dir.path(), "demo.paas", GOOD);
    assert!(paasc()
        .args(["build", &spec, "-o"])
        .arg(&out)
        .status()
        .expect("run")
        .success());
    let before = tree(&out);
    assert!(!before.is_empty());
    std::fs::write(&spec, GOOD.replace("8080", "22")).expect("break the spec");
    let st = paasc()
        .args(["build", &spec, "-o"])
        .arg(&out)
        .status()
        .expect("run");
    assert_eq!(st.code(), Some(1));
    assert_eq!(before, tree(&out), "output changed after a failed build");
    // Nothing half-written is left beside it.
    let names: Vec<String> = std::fs::read_dir(out.join("demo"))
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["default".to_string()]);
}

#[test]
fn build_of_a_library_file_is_an_error() {
    let st = paasc()
        .args([
            "build",
            "examples/lib/platform.paas",
            "-o",
            "/nonexistent/never-written",
        ])
        .status()
        .expect("run");
    assert_eq!(st.code(), Some(1));
    assert!(!Path::new("/nonexistent/never-written").exists());
    // `check` accepts a library file.
    assert_eq!(
        paasc()
            .args(["check", "examples/lib/platform.paas"])
            .status()
            .expect("run")
            .code(),
        Some(0)
    );
}

/// The binary is built without dev-dependencies, the tests with them:
/// cargo feature unification must not change a single output byte (it did
/// once, through serde_json's key order).
#[test]
fn the_binary_writes_exactly_what_the_library_emits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = paasc()
        .args(["build", "examples/shop.paas", "--env", "prod", "-o"])
        .arg(dir.path())
        .status()
        .expect("run");
    assert!(st.success());
    let c = paasc::compile(
        "examples/shop.paas",
        &paasc::resolve::FsLoader,
        &paasc::Envs::Named("prod".into()),
        &[],
        true,
    );
    let artifacts = paasc::emit::build(&c.apps[0]).unwrap();
    let on_disk = tree(&dir.path().join("shop").join("prod"));
    assert_eq!(on_disk.len(), artifacts.len());
    for a in &artifacts {
        let written = on_disk
            .iter()
            .find(|(p, _)| *p == a.path)
            .map(|(_, b)| b.clone())
            .unwrap_or_default();
        assert!(
            written == a.contents.as_bytes(),
            "{} differs between the binary and the library",
            a.path
        );
    }
}

/// `check` and `build` agree on an empty file (both refuse it, E0109); a
/// file of modules only is fine to check and refused by build.
#[test]
fn empty_and_library_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = write(dir.path(), "empty.paas", "# nothing here\n");
    let library = write(
        dir.path(),
        "lib.paas",
        "base corp {\n  owner = \"333344445555\"\n  filter = \"corp-*\"\n  user = \"ec2-user\"\n}\n",
    );
    let out = dir.path().join("out");
    for args in [
        vec!["check", empty.as_str()],
        vec!["build", empty.as_str(), "-o", out.to_str().expect("utf-8")],
    ] {
        let o = paasc().args(&args).output().expect("run");
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("E0109"),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert_eq!(
        paasc()
            .args(["check", &library])
            .status()
            .expect("run")
            .code(),
        Some(0)
    );
    assert_eq!(
        paasc()
            .args(["build", &library, "-o", out.to_str().expect("utf-8")])
            .status()
            .expect("run")
            .code(),
        Some(1)
    );
    assert!(!out.exists(), "a failed build wrote {}", out.display());
}

/// `env default` is refused, so `build --all-envs` never writes `default` twice.
#[test]
fn env_default_is_reserved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = write(
        dir.path(),
        "d.paas",
        &GOOD.replace(
            "  }\n}",
            "  }\n  env default { fleet { min = 5  max = 2 } }\n}",
        ),
    );
    let out = dir.path().join("out");
    let o = paasc()
        .args([
            "build",
            &spec,
            "--all-envs",
            "-o",
            out.to_str().expect("utf-8"),
        ])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("E0211"));
    assert!(!out.exists());
}

/// `build --check`: fresh output passes; an edited, a missing and an extra
/// file are each named, with the command that regenerates them; nothing is
/// written either way.
#[test]
fn build_check_names_every_stale_missing_and_extra_file() {
    let out = tempfile::tempdir().expect("tempdir");
    let check = || {
        paasc()
            .args(["build", "examples/shop.paas", "--all-envs", "--check", "-o"])
            .arg(out.path())
            .output()
            .expect("run")
    };
    // Nothing built yet: every file is missing, and nothing gets written.
    let o = check();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing  "), "{err}");
    assert!(tree(out.path()).is_empty(), "--check wrote something");

    let st = paasc()
        .args(["build", "examples/shop.paas", "--all-envs", "-o"])
        .arg(out.path())
        .status()
        .expect("run");
    assert!(st.success());
    let o = check();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("up to date: "));

    let prod = out.path().join("shop/prod");
    std::fs::write(prod.join("terraform/lb.tf"), "# edited by hand\n").expect("edit");
    std::fs::remove_file(prod.join("ssm/post.json")).expect("remove");
    std::fs::write(prod.join("terraform/extra.tf"), "").expect("extra");
    let before = tree(out.path());
    let o = check();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    let p = |rel: &str| prod.join(rel).display().to_string();
    assert!(
        lines.contains(&format!("stale    {}", p("terraform/lb.tf")).as_str()),
        "{err}"
    );
    assert!(
        lines.contains(&format!("missing  {}", p("ssm/post.json")).as_str()),
        "{err}"
    );
    assert!(
        lines.contains(&format!("extra    {}", p("terraform/extra.tf")).as_str()),
        "{err}"
    );
    assert_eq!(lines.len(), 4, "only those three, then the summary: {err}");
    assert_eq!(
        lines[3],
        format!(
            "3 files are out of date; regenerate with: paasc build examples/shop.paas --all-envs -o {}",
            out.path().display()
        )
    );
    assert_eq!(tree(out.path()), before, "--check wrote something");

    // A spec with errors: its diagnostics, exit 1, nothing compared.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write(
        dir.path(),
        "bad.paas",
        "app bad {\n  region = \"eu-west-1\"\n}\n",
    );
    let o = paasc()
        .args(["build", &bad, "--check", "-o"])
        .arg(out.path())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("out of date"));
}

/// `paasc completions SHELL` prints a completion script that knows the
/// subcommands and their flags.
#[test]
fn completions_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let o = paasc().args(["completions", shell]).output().expect("run");
        assert!(o.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&o.stdout);
        for word in [
            "check",
            "build",
            "bootstrap",
            "explain",
            "all-envs",
            "chef-repo",
        ] {
            assert!(text.contains(word), "{shell} completions lack {word}");
        }
    }
    let o = paasc().args(["completions", "tcsh"]).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
}

/// Many specs in one run: files and directories (their top-level `.paas`),
/// reports in the order given whatever finishes first, the worst exit code,
/// and two specs building the same app and env refused before any write.
#[test]
fn check_and_build_take_many_specs_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(specs.join("lib")).unwrap();
    std::fs::write(
        specs.join("lib/common.paas"),
        "param owner = \"platform\"\n",
    )
    .unwrap();
    let app = |name: &str| {
        format!(
            "use \"lib/common.paas\"\napp {name} {{\n  team    = \"${{owner}}\"\n  region  = \"eu-west-1\"\n  account = \"111122223333\"\n  service {{ port = 8080  https = \"arn:aws:acm:eu-west-1:111122223333:certificate/11111111-2222-4333-8444-555555555555\" }}\n}}\n"
        )
    };
    for i in 0..12 {
        std::fs::write(
            specs.join(format!("app{i:02}.paas")),
            app(&format!("app{i:02}")),
        )
        .unwrap();
    }
    // Not top-level: not part of `specs/`.
    std::fs::write(specs.join("lib/ignored.paas"), "app broken {\n").unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_paasc"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["check", "specs"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // One bad spec among good ones: exit 1, its report in its place.
    std::fs::write(
        specs.join("app05.paas"),
        app("app05").replace("8080", "99999"),
    )
    .unwrap();
    std::fs::write(specs.join("app09.paas"), app("app09").replace("8080", "0")).unwrap();
    let out = run(&["check", "specs", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let files: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["file"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(!files.is_empty());
    let first_09 = files
        .iter()
        .position(|f| f.ends_with("app09.paas"))
        .unwrap();
    assert!(
        files[..first_09].iter().all(|f| f.ends_with("app05.paas")),
        "{files:?}"
    );
    std::fs::write(specs.join("app05.paas"), app("app05")).unwrap();
    std::fs::write(specs.join("app09.paas"), app("app09")).unwrap();

    // Build: every app, each in its own directory.
    let out = run(&["build", "specs", "-o", "out"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    let wrote: Vec<&str> = stderr.lines().filter(|l| l.starts_with("wrote ")).collect();
    assert_eq!(wrote.len(), 12, "{stderr}");
    assert!(
        wrote.windows(2).all(|w| w[0] < w[1]),
        "not in order: {wrote:?}"
    );
    for i in 0..12 {
        assert!(dir
            .path()
            .join(format!("out/app{i:02}/default/manifest.json"))
            .is_file());
    }
    assert_eq!(
        run(&["build", "specs", "-o", "out", "--check"])
            .status
            .code(),
        Some(0)
    );

    // The same app from two specs: refused, nothing written.
    std::fs::write(
        dir.path().join("again.paas"),
        app("app03").replace("lib/common.paas", "specs/lib/common.paas"),
    )
    .unwrap();
    let out = run(&["build", "specs", "again.paas", "-o", "fresh"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("both build app03/default"), "{stderr}");
    assert!(!dir.path().join("fresh").exists(), "a clash wrote output");

    // A directory without specs is a usage error.
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    assert_eq!(run(&["check", "empty"]).status.code(), Some(2));
}
