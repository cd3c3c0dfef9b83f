//! `paasc fmt`: golden fixtures, idempotence and meaning preservation over
//! every example, a property test over mangled whitespace, and the CLI
//! (`--check`, atomic rewrites, files with syntax errors left alone, `-`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paasc::format::format;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every example, ours and (when present) the shared contract's, with the
/// files they `use`.
fn example_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![root().join("examples")];
    let shared = root().join("../shared/examples");
    if shared.is_dir() {
        dirs.push(shared);
    }
    dirs
}

fn specs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "paas"))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

#[test]
fn the_golden_fixture_formats_as_written_and_stays_so() {
    let dir = root().join("tests/fixtures/fmt");
    let input = std::fs::read_to_string(dir.join("comments.in.paas")).unwrap();
    let expected = std::fs::read_to_string(dir.join("comments.out.paas")).unwrap();
    let got = format(&input).unwrap();
    assert_eq!(got, expected, "got:\n{got}");
    assert_eq!(format(&expected).unwrap(), expected);
    // Every comment of the input is in the output, word for word.
    for line in input.lines() {
        if let Some(i) = line.find(['#']).or_else(|| line.find("//")) {
            let comment = line[i..].trim_end();
            assert!(got.contains(comment), "lost `{comment}`");
        }
    }
}

#[test]
fn every_example_formats_idempotently_keeping_every_comment() {
    for dir in example_dirs() {
        for spec in specs(&dir) {
            let text = std::fs::read_to_string(&spec).unwrap();
            let once = format(&text).unwrap_or_else(|_| panic!("{spec:?} does not parse"));
            assert_eq!(format(&once).unwrap(), once, "{spec:?} is not stable");
            let count = |t: &str| t.matches('#').count() + t.matches("//").count();
            assert_eq!(count(&once), count(&text), "{spec:?}: a comment was lost");
            assert!(once.ends_with('\n') && !once.ends_with("\n\n"), "{spec:?}");
            assert!(
                !once.lines().any(|l| l.ends_with(' ')),
                "{spec:?}: trailing blanks"
            );
        }
    }
}

/// Every app and env of every example compiles to the same artifacts,
/// byte for byte, after every file of its directory was formatted (the
/// manifest, which holds the source's sha256, aside).
#[test]
fn formatting_never_changes_what_a_spec_compiles_to() {
    for dir in example_dirs() {
        let copy = tempfile::tempdir().unwrap();
        copy_tree(&dir, copy.path());
        for spec in specs(copy.path()) {
            let text = std::fs::read_to_string(&spec).unwrap();
            std::fs::write(&spec, format(&text).unwrap()).unwrap();
        }
        for spec in std::fs::read_dir(&dir).unwrap() {
            let spec = spec.unwrap().path();
            if spec.extension().is_none_or(|x| x != "paas") {
                continue;
            }
            let formatted = copy.path().join(spec.file_name().unwrap());
            let before = artifacts(&spec);
            let after = artifacts(&formatted);
            assert!(!before.is_empty(), "{spec:?} compiled to nothing");
            assert_eq!(before.len(), after.len(), "{spec:?}");
            for ((env, a), (_, b)) in before.iter().zip(&after) {
                assert_eq!(a.len(), b.len(), "{spec:?} {env}");
                for (x, y) in a.iter().zip(b) {
                    assert_eq!(x.path, y.path, "{spec:?} {env}");
                    assert!(
                        x.contents == y.contents,
                        "{spec:?} {env}: {} changed",
                        x.path
                    );
                }
            }
        }
    }
}

fn artifacts(spec: &Path) -> Vec<(String, Vec<paasc::emit::Artifact>)> {
    let c = paasc::compile(
        &spec.to_string_lossy(),
        &paasc::resolve::FsLoader,
        &paasc::Envs::All,
        &[],
        true,
    );
    assert!(!c.has_errors(), "{spec:?}: {:?}", c.diagnostics);
    c.apps
        .iter()
        .map(|app| (app.env.clone(), paasc::emit::emit_all(app).unwrap()))
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Changes the blanks between tokens (never inside strings or comments,
/// never joining two tokens): indentation, runs of spaces, trailing blanks.
fn mangle(text: &str, widths: &[usize]) -> String {
    let mut out = String::new();
    let mut n = 0;
    let mut width = || {
        n += 1;
        widths[n % widths.len()]
    };
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let mut in_string = false;
        let mut rest = body.trim_start();
        out.push_str(&" ".repeat(width()));
        let mut chars = rest.char_indices().peekable();
        let mut copied = 0;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' if in_string => {
                    chars.next();
                }
                '"' => in_string = !in_string,
                '#' if !in_string => break,
                '/' if !in_string && rest[i..].starts_with("//") => break,
                ' ' | '\t' if !in_string => {
                    out.push_str(&rest[copied..i]);
                    let mut end = i + 1;
                    while let Some((j, ' ' | '\t')) = chars.peek().copied() {
                        end = j + 1;
                        chars.next();
                    }
                    out.push_str(&" ".repeat(width().max(1)));
                    copied = end;
                }
                _ => {}
            }
        }
        rest = &rest[copied..];
        out.push_str(rest.trim_end());
        out.push_str(&" ".repeat(width() % 3));
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn mangled_whitespace_formats_the_same(widths in prop::collection::vec(0usize..5, 1..16)) {
        for dir in example_dirs() {
            for spec in specs(&dir) {
                let text = std::fs::read_to_string(&spec).unwrap();
                let mangled = mangle(&text, &widths);
                let got = format(&mangled);
                prop_assert!(got.is_ok(), "{:?} mangled does not parse:\n{}", spec, mangled);
                prop_assert_eq!(got.unwrap(), format(&text).unwrap(), "{:?}", spec);
            }
        }
    }
}

// ---------------------------------------------------------------- the CLI

fn paasc(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_paasc"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn fmt_check_names_unformatted_files_and_fmt_rewrites_them() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = root().join("tests/fixtures/fmt");
    std::fs::create_dir_all(dir.path().join("specs/nested")).unwrap();
    std::fs::create_dir_all(dir.path().join("specs/.hidden")).unwrap();
    let messy = std::fs::read_to_string(fixtures.join("comments.in.paas")).unwrap();
    let tidy = std::fs::read_to_string(fixtures.join("comments.out.paas")).unwrap();
    std::fs::write(dir.path().join("specs/a.paas"), &messy).unwrap();
    std::fs::write(dir.path().join("specs/nested/b.paas"), &tidy).unwrap();
    std::fs::write(dir.path().join("specs/.hidden/c.paas"), &messy).unwrap();
    let broken = "app x {\n  team = \n";
    std::fs::write(dir.path().join("broken.paas"), broken).unwrap();

    let out = paasc(&["fmt", "--check", "specs"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "specs/a.paas\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("specs/a.paas")).unwrap(),
        messy,
        "--check wrote"
    );

    let out = paasc(&["fmt", "specs"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "specs/a.paas\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("specs/a.paas")).unwrap(),
        tidy
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("specs/.hidden/c.paas")).unwrap(),
        messy
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("specs"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 3, "a temporary file was left: {left:?}");
    assert_eq!(
        paasc(&["fmt", "--check", "specs"], dir.path())
            .status
            .code(),
        Some(0)
    );

    // Syntax errors: the diagnostics, exit 1, the file untouched.
    let out = paasc(&["fmt", "broken.paas"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.paas") && err.contains("syntax errors"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.paas")).unwrap(),
        broken
    );

    // A file that cannot be read: exit 2.
    assert_eq!(
        paasc(&["fmt", "missing.paas"], dir.path()).status.code(),
        Some(2)
    );
}

#[test]
fn fmt_dash_formats_stdin_to_stdout() {
    use std::io::Write;
    let messy =
        std::fs::read_to_string(root().join("tests/fixtures/fmt/comments.in.paas")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_paasc"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(messy.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format(&messy).unwrap()
    );
}
