//! Unit tests over the sample models; the integration tests in
//! `tests/terraform.rs` run the real validators.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::model::{sample, App};

#[test]
fn every_file_starts_with_the_header_and_is_deterministic() {
    for app in [sample::shop_prod(), sample::minimal()] {
        let first = emit(&app).unwrap();
        assert_eq!(first, emit(&app).unwrap());
        assert!(first.len() >= 9);
        for a in &first {
            assert!(a.contents.starts_with(&header(&app, "#")), "{}", a.path);
            assert!(a.path.starts_with("terraform/") && a.path.ends_with(".tf"));
        }
    }
}

#[test]
fn user_text_with_interpolation_markers_is_escaped() {
    let mut app = sample::minimal();
    app.tags.insert("note".into(), "cost ${var.x} %{if}".into());
    let out = emit(&app).unwrap();
    let versions = out
        .iter()
        .find(|a| a.path == "terraform/versions.tf")
        .map(|a| a.contents.clone())
        .unwrap_or_default();
    assert!(versions.contains("cost $${var.x} %%{if}"), "{versions}");
}

#[test]
fn long_names_fit_aws_limits() {
    let long = "a".repeat(40);
    let name = elb_name(&format!("{long}-{long}"));
    assert!(name.len() <= 32, "{name}");
    assert_ne!(
        elb_name(&format!("{long}-x")),
        elb_name(&format!("{long}-y"))
    );
    assert!(elb_name("internal-x").starts_with("paas-"));
    assert_eq!(fit_name("short", 10), "short");
}

#[test]
fn elb_account_data_source_only_where_it_exists() {
    let file = |region: &str| {
        let mut app = sample::minimal();
        app.region = region.into();
        emit(&app)
            .unwrap()
            .into_iter()
            .find(|a| a.path == "terraform/storage.tf")
            .map(|a| a.contents)
            .unwrap_or_default()
    };
    assert!(file("eu-west-1").contains("data \"aws_elb_service_account\" \"this\""));
    let newer = file("me-central-1");
    assert!(!newer.contains("aws_elb_service_account"), "{newer}");
    assert!(newer.contains("logdelivery.elasticloadbalancing.amazonaws.com"));
}

#[test]
fn no_tls_skips_only_without_a_certificate() {
    let text = |app: &App| {
        emit(app)
            .unwrap()
            .into_iter()
            .map(|a| a.contents)
            .collect::<String>()
    };
    assert!(text(&sample::minimal()).contains(skips::NO_TLS));
    let shop = text(&sample::shop_prod());
    assert!(!shop.contains(skips::NO_TLS));
    assert!(!shop.contains("resource \"aws_lb_listener\" \"http\" "));
    assert!(shop.contains("ELBSecurityPolicy-TLS13-1-2-2021-06"));
}

/// In one account as in two, the provider acts only through the app
/// account's provision role; the state lives in the platform's bucket.
#[test]
fn the_provider_assumes_the_provision_role_and_state_is_remote() {
    let text = |app: &App| {
        emit(app)
            .unwrap()
            .into_iter()
            .find(|a| a.path == "terraform/versions.tf")
            .map(|a| a.contents)
            .unwrap_or_default()
    };
    let shop = text(&sample::shop_prod());
    assert!(
        shop.contains("role_arn     = \"arn:aws:iam::222233334444:role/paas-provision-eu-west-1\""),
        "{shop}"
    );
    let minimal = text(&sample::minimal());
    assert!(
        minimal
            .contains("role_arn     = \"arn:aws:iam::111122223333:role/paas-provision-eu-west-1\""),
        "{minimal}"
    );
    assert!(minimal.contains("backend \"s3\""), "{minimal}");
    assert!(
        minimal.contains("key          = \"minimal/default/terraform.tfstate\""),
        "{minimal}"
    );
    assert!(minimal.contains("use_lockfile = true"), "{minimal}");
    assert!(
        !minimal.contains("bucket"),
        "the bucket comes from -backend-config: {minimal}"
    );
}
