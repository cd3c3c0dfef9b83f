//! The chef repo beside a spec: what a run list needs is checked at
//! compile time and vendored into `chef/`, byte for byte, with the sums
//! the builder checks. (The diagnostics themselves are ui fixtures:
//! tests/ui/E041*.paas.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paasc::diagnostics::Code;
use paasc::resolve::{FsLoader, MemLoader};
use paasc::{compile, compile_with, Envs};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files `paasc build` writes under `chef/` for an example's default env.
fn vendored(spec: &str) -> BTreeMap<String, String> {
    let c = compile(spec, &FsLoader, &Envs::Default, &[], true);
    assert!(!c.has_errors(), "{spec}: {:?}", c.diagnostics);
    paasc::emit::build(&c.apps[0])
        .unwrap()
        .into_iter()
        .filter(|a| a.path.starts_with("chef/"))
        .map(|a| (a.path, a.contents))
        .collect()
}

#[test]
fn the_run_list_and_its_dependencies_are_vendored_byte_for_byte() {
    let files = vendored("examples/shop.paas");
    let cookbooks: Vec<&str> = files
        .keys()
        .filter_map(|p| p.strip_prefix("chef/cookbooks/"))
        .filter_map(|p| p.split('/').next())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // shop's run list names base, nginx and shop; shop depends on both.
    // corp and batch are in the repo but not needed.
    assert_eq!(cookbooks, ["base", "nginx", "shop"]);
    assert!(files.contains_key("chef/roles/shop-web.json"));
    assert!(
        files.contains_key("chef/roles/shop.json"),
        "the app's own role"
    );
    for (path, text) in &files {
        if let Some(rel) = path.strip_prefix("chef/cookbooks/").or_else(|| {
            path.strip_prefix("chef/")
                .filter(|p| p.starts_with("roles/shop-web"))
        }) {
            let source = if path.starts_with("chef/cookbooks/") {
                root().join("examples/cookbooks").join(rel)
            } else {
                root().join("examples").join(rel)
            };
            assert_eq!(
                &std::fs::read_to_string(&source).unwrap(),
                text,
                "{path} differs from {}",
                source.display()
            );
        }
    }
    // Templates and every other cookbook file come along, not only recipes.
    assert!(files.contains_key("chef/cookbooks/nginx/templates/default/app.conf.erb"));
    // SHA256SUMS lists every other file under chef/ with its sha256.
    let sums = &files["chef/SHA256SUMS"];
    let listed: BTreeMap<&str, &str> = sums
        .lines()
        .map(|l| {
            let (sha, path) = l.split_once("  ").unwrap();
            (path, sha)
        })
        .collect();
    assert_eq!(listed.len(), files.len() - 1);
    for (path, text) in &files {
        if path == "chef/SHA256SUMS" {
            continue;
        }
        let rel = path.strip_prefix("chef/").unwrap();
        assert_eq!(
            listed.get(rel).copied(),
            Some(paasc::hash::sha256_hex(text.as_bytes()).as_str()),
            "{rel}"
        );
    }

    // batch: a metadata.json cookbook reached through a dependency.
    let batch = vendored("examples/batch.paas");
    assert!(batch.contains_key("chef/cookbooks/corp/metadata.json"));
    assert!(batch.contains_key("chef/cookbooks/batch/recipes/default.rb"));
    assert!(!batch.keys().any(|p| p.starts_with("chef/cookbooks/nginx/")));
}

const SPEC: &str = "app demo {\n  region = \"eu-west-1\"\n  account = \"111122223333\"\n  service {\n    port = 8080\n    https = \"arn:aws:acm:eu-west-1:111122223333:certificate/6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d\"\n  }\n  image { chef = RUN_LIST }\n}\n";

fn spec(run_list: &str) -> String {
    SPEC.replace("RUN_LIST", run_list)
}

fn repo(files: &[(&str, &str)]) -> MemLoader {
    files
        .iter()
        .fold(MemLoader::default(), |l, (p, t)| l.with(p, *t))
}

#[test]
fn a_problem_deep_in_a_role_is_reported_on_the_spec_entry_with_the_way_there() {
    let loader = repo(&[
        ("app/app.paas", &spec("[\"role[web]\"]")),
        (
            "app/cookbooks/nginx/metadata.rb",
            "name 'nginx'\nversion '12.2.0'\n",
        ),
        (
            "app/cookbooks/nginx/recipes/default.rb",
            "package 'nginx'\n",
        ),
        ("app/roles/web.json", "{\"run_list\": [\"role[base]\"]}"),
        (
            "app/roles/base.json",
            "{\"run_list\": [\"recipe[nginx::proxy]\", \"recipe[nginx@12.1]\"]}",
        ),
    ]);
    let c = compile("app/app.paas", &loader, &Envs::Default, &[], true);
    let found: Vec<(Code, String)> = c
        .diagnostics
        .iter()
        .map(|d| (d.code, format!("{} / {:?}", d.message, d.labels)))
        .collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].0, Code::ChefRecipeMissing);
    assert_eq!(found[1].0, Code::ChefVersionMismatch);
    for (_, text) in &found {
        assert!(text.contains("via role[web] -> role[base]"), "{text}");
    }
    // Both point at the spec's entry, where the fix starts.
    let text = std::str::from_utf8(&loader.files["app/app.paas"]).unwrap();
    let at = text.find("\"role[web]\"").unwrap();
    for d in &c.diagnostics {
        let span = d.primary_span().unwrap();
        assert_eq!(span.start as usize, at);
    }
    assert!(c.apps.is_empty());
}

#[test]
fn a_policyfile_lock_is_checked_and_chefignore_and_hidden_files_stay_out() {
    let files = [
        ("app/app.paas", spec("[\"nginx\"]")),
        (
            "app/cookbooks/nginx/metadata.rb",
            "name 'nginx'\nversion '12.2.0'\n".into(),
        ),
        (
            "app/cookbooks/nginx/recipes/default.rb",
            "package 'nginx'\n".into(),
        ),
        (
            "app/cookbooks/nginx/spec/default_spec.rb",
            "describe 'x'\n".into(),
        ),
        (
            "app/cookbooks/nginx/.kitchen.yml",
            "driver: vagrant\n".into(),
        ),
        (
            "app/cookbooks/nginx/chefignore",
            "spec/*\n# comment\n".into(),
        ),
        (
            "app/Policyfile.lock.json",
            "{\"cookbook_locks\": {\"nginx\": {\"version\": \"12.2.0\"}}}".into(),
        ),
    ];
    let loader = files
        .iter()
        .fold(MemLoader::default(), |l, (p, t): &(&str, String)| {
            l.with(p, t.as_str())
        });
    let c = compile("app/app.paas", &loader, &Envs::Default, &[], true);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let vendor = c.apps[0].image.vendor.as_ref().unwrap();
    let paths: Vec<&str> = vendor.files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "cookbooks/nginx/chefignore",
            "cookbooks/nginx/metadata.rb",
            "cookbooks/nginx/recipes/default.rb"
        ]
    );

    // The lock pins another version: refused.
    let loader = loader.with(
        "app/Policyfile.lock.json",
        "{\"cookbook_locks\": {\"nginx\": {\"version\": \"12.1.0\"}}}",
    );
    let c = compile("app/app.paas", &loader, &Envs::Default, &[], true);
    let codes: Vec<Code> = c.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::ChefLockMismatch]);
    assert!(c.diagnostics[0]
        .message
        .contains("Policyfile.lock.json locks `nginx` at 12.1.0"));
}

#[test]
fn cookbook_files_must_be_text() {
    let loader = repo(&[
        ("app/app.paas", &spec("[\"nginx\"]")),
        (
            "app/cookbooks/nginx/metadata.rb",
            "name 'nginx'\nversion '12.2.0'\n",
        ),
        (
            "app/cookbooks/nginx/recipes/default.rb",
            "package 'nginx'\n",
        ),
    ])
    .with("app/cookbooks/nginx/files/blob.bin", vec![0xff, 0xfe, 0x00]);
    let c = compile("app/app.paas", &loader, &Envs::Default, &[], true);
    let codes: Vec<Code> = c.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::ChefRepoFile]);
    assert!(c.diagnostics[0]
        .message
        .contains("files/blob.bin` is not UTF-8 text"));
}

#[test]
fn without_a_repo_check_and_build_work_and_name_nothing_to_vendor() {
    let loader = repo(&[("app/app.paas", &spec("[\"nginx\", \"role[web]\"]"))]);
    let c = compile("app/app.paas", &loader, &Envs::Default, &[], true);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    assert_eq!(c.apps[0].image.vendor, None);
    let artifacts = paasc::emit::build(&c.apps[0]).unwrap();
    assert!(!artifacts
        .iter()
        .any(|a| a.path.starts_with("chef/cookbooks/")));
    // An explicit repo elsewhere is used instead of the (absent) one beside.
    let loader = loader
        .with(
            "repo/cookbooks/nginx/metadata.rb",
            "name 'nginx'\nversion '1.0.0'\n",
        )
        .with(
            "repo/cookbooks/nginx/recipes/default.rb",
            "package 'nginx'\n",
        )
        .with("repo/roles/web.json", "{\"run_list\": []}");
    let c = compile_with(
        "app/app.paas",
        &loader,
        &Envs::Default,
        &[],
        true,
        Some("repo"),
    );
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let vendor = c.apps[0].image.vendor.as_ref().unwrap();
    assert_eq!(vendor.roles, ["web"]);
    assert_eq!(vendor.cookbooks[0].name, "nginx");
}

fn paasc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_paasc"));
    c.env("NO_COLOR", "1").current_dir(root());
    c
}

#[test]
fn the_cli_takes_a_chef_repo_and_refuses_one_that_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let spec_path = dir.path().join("app.paas");
    std::fs::write(&spec_path, spec("[\"nginx@12.2.0\"]")).unwrap();
    // The examples' repo, named explicitly.
    let out = paasc()
        .arg("build")
        .arg(&spec_path)
        .args(["--chef-repo", "examples", "-o"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir
        .path()
        .join("out/demo/default/chef/cookbooks/nginx/metadata.rb")
        .is_file());
    // A directory without cookbooks/ or roles/: a usage error, nothing written.
    let out = paasc()
        .arg("check")
        .arg(&spec_path)
        .args(["--chef-repo"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no `cookbooks/` or `roles/`"));
}
