//! `paasc deploy` through the binary: clear one-line errors and exit codes.
//! (The deploy itself is tested against the moto server in tests/deploy.rs.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(feature = "deploy")]

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

fn paasc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_paasc"));
    // Loopback only: dummy static credentials, no instance-metadata probing.
    c.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("NO_COLOR", "1");
    c
}

fn dead_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn an_unreachable_endpoint_fails_fast_with_one_clear_line() {
    let start = Instant::now();
    let out = paasc()
        .args([
            "deploy",
            "examples/shop.paas",
            "--env",
            "prod",
            "--runner-instance-id",
            "i-0123456789abcdef0",
            "--endpoint-url",
        ])
        .arg(dead_endpoint())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        start.elapsed() < Duration::from_secs(40),
        "took {:?}",
        start.elapsed()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

#[test]
fn spec_errors_stop_before_any_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("bad.paas");
    std::fs::write(
        &spec,
        "app bad {\n  region = \"eu-west-1\"\n  account = \"1\"\n  service { port = 8080 }\n}\n",
    )
    .expect("write");
    let out = paasc()
        .arg("deploy")
        .arg(&spec)
        .args(["--dry-run", "--endpoint-url"])
        .arg(dead_endpoint())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("paas::E0300"), "{err}");
    assert!(
        !err.contains("cannot reach"),
        "no AWS call after spec errors: {err}"
    );
}

#[test]
fn the_account_is_checked_before_anything_else() {
    // No flags: everything comes from the platform, after STS says whose
    // credentials these are (tests/deploy.rs runs the refusals in moto).
    let out = paasc()
        .args(["deploy", "examples/minimal.paas", "--endpoint-url"])
        .arg(dead_endpoint())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    // The spec's warning (plain HTTP), then one error line.
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("sts:GetCallerIdentity"), "{err}");
}

#[test]
fn a_run_list_without_a_chef_repo_is_refused_before_any_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("app.paas");
    std::fs::write(
        &spec,
        "app demo {\n  region = \"eu-west-1\"\n  account = \"111122223333\"\n  service {\n    port = 8080\n    https = \"arn:aws:acm:eu-west-1:111122223333:certificate/6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d\"\n  }\n  image { chef = [\"nginx::default\", \"base\", \"role[web]\"] }\n}\n",
    )
    .expect("write");
    let out = paasc()
        .arg("deploy")
        .arg(&spec)
        .arg("--endpoint-url")
        .arg(dead_endpoint())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the run list needs cookbooks base, nginx and role web, but there is no chef repo: put them in cookbooks/ and roles/ beside app.paas"),
        "{err}"
    );
    assert!(
        !err.contains("cannot reach") && !err.contains("sts:"),
        "no AWS call: {err}"
    );
}
