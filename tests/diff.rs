//! `paasc diff`: one fixture per kind of summary line, the settings and
//! artifact lists, the JSON format and the exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `paasc diff` of examples/shop.paas (prod) against a copy edited by
/// `edits` (each `(from, to)` must occur), as JSON; and the exit code.
fn diff(edits: &[(&str, &str)]) -> (Value, i32) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(root().join("examples/shop.paas")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "fixture: `{from}` not in shop.paas");
        text = text.replace(from, to);
    }
    let new = dir.path().join("shop.paas");
    std::fs::write(&new, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_paasc"))
        .args([
            "diff",
            "--env",
            "prod",
            "--message-format",
            "json",
            "--chef-repo",
        ])
        .arg(root().join("examples"))
        .arg(root().join("examples/shop.paas"))
        .arg(&new)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let _ = Path::new(&new);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|_| panic!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap())
}

fn summary(v: &Value, kind: &str) -> Vec<String> {
    v["summary"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == kind)
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_same_spec_is_no_change() {
    let (v, code) = diff(&[]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"], serde_json::json!([]));
    assert_eq!(v["artifacts"], serde_json::json!([]));
}

#[test]
fn a_chef_attribute_changes_the_image_and_replaces_the_instances() {
    let (v, code) = diff(&[("shop.cache.ratio = 0.75", "shop.cache.ratio = 0.5")]);
    assert_eq!(code, 1);
    assert_eq!(summary(&v, "rebake").len(), 1, "{v}");
    assert!(summary(&v, "replace")[0].contains("idle colour"), "{v}");
    let arts: Vec<&str> = v["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert!(arts.iter().any(|p| p.starts_with("chef/")), "{arts:?}");
    let change = &v["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "chef/node.json")
        .unwrap_or_else(|| panic!("{arts:?}"))["diff"];
    assert!(change.as_str().unwrap().contains("0.5"), "{change}");
}

#[test]
fn an_instance_type_replaces_instances_without_an_image_change() {
    let (v, _) = diff(&[("instance = \"m6i.large\"", "instance = \"m6i.xlarge\"")]);
    assert!(summary(&v, "rebake").is_empty(), "{v}");
    assert!(summary(&v, "replace")[0].contains("image.instance"), "{v}");
    assert_eq!(v["changes"][0]["path"], "image.instance");
    assert_eq!(v["changes"][0]["new"], "m6i.xlarge");
}

#[test]
fn a_new_cidr_opens_the_load_balancer() {
    let (v, _) = diff(&[(
        "allow   = [\"0.0.0.0/0\"]",
        "allow   = [\"0.0.0.0/0\", \"10.0.0.0/8\"]",
    )]);
    assert_eq!(
        summary(&v, "ingress"),
        ["the load balancer's security group opens 443 to 10.0.0.0/8"],
        "{v}"
    );
}

#[test]
fn a_service_change_changes_the_listener() {
    let (v, _) = diff(&[(
        "http \"/health\" returns 200",
        "http \"/health\" returns 200",
    )]);
    assert!(summary(&v, "listener").is_empty());
    let text = std::fs::read_to_string(root().join("examples/shop.paas")).unwrap();
    let health = text
        .lines()
        .find(|l| l.trim_start().starts_with("health"))
        .unwrap()
        .to_string();
    let (v, _) = diff(&[(health.as_str(), "    health = \"/ready\"")]);
    let listener = summary(&v, "listener");
    assert!(
        listener[0].contains("service.health") && listener[0].contains("/ready"),
        "{v}"
    );
}

#[test]
fn a_new_bucket_shows_the_iam_grants_it_brings() {
    let (v, _) = diff(&[(
        "bucket = \"shop-logs-${env}-${account}\"",
        "bucket = \"shop-audit-${env}-${account}\"",
    )]);
    let iam = summary(&v, "iam");
    assert!(
        iam.iter()
            .any(|l| l.starts_with("IAM grants `s3:PutObject` on") && l.contains("shop-audit-")),
        "{iam:#?}"
    );
    assert!(
        iam.iter()
            .any(|l| l.starts_with("IAM no longer grants `s3:PutObject`")
                && l.contains("shop-logs-")),
        "{iam:#?}"
    );
}

#[test]
fn capacity_and_strategy_changes_are_named() {
    let (v, _) = diff(&[
        ("min = 3  max = 12", "min = 2  max = 20"),
        (
            "strategy = blue-green\n    shift    = [25%, 50%, 100%]\n    bake     = 2m",
            "strategy = rolling",
        ),
    ]);
    let capacity = summary(&v, "capacity");
    assert!(
        capacity[0].contains("fleet.max 12 -> 20") && capacity[0].contains("fleet.min 3 -> 2"),
        "{v}"
    );
    let release = summary(&v, "release");
    assert!(release[0].contains("\"blue-green\" -> \"rolling\""), "{v}");
}

#[test]
fn the_human_format_puts_the_summary_first_then_unified_diffs() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("examples/shop.paas"))
        .unwrap()
        .replace("instance = \"m6i.large\"", "instance = \"m6i.xlarge\"");
    let new = dir.path().join("new.paas");
    std::fs::write(&new, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_paasc"))
        .args(["diff", "--env", "prod", "--chef-repo"])
        .arg(root().join("examples"))
        .arg(root().join("examples/shop.paas"))
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8(out.stdout).unwrap();
    let at = |needle: &str| {
        s.find(needle)
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{s}"))
    };
    assert!(at("shop/prod:") < at("* instances are replaced"));
    assert!(at("settings:") < at("artifacts:"));
    assert!(at("--- a/packer/image.pkr.hcl") > at("artifacts:"));
    assert!(s.contains("+  instance_type = \"m6i.xlarge\""), "{s}");

    // A spec with errors: exit 2 with its diagnostics.
    std::fs::write(&new, "app broken {\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_paasc"))
        .arg("diff")
        .arg(root().join("examples/shop.paas"))
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
