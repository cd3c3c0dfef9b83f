//! Unit tests over the sample models; the integration tests in
//! `tests/terraform.rs` run the real validators.

use super::*;
use crate::model::sample;

#[test]
fn every_file_starts_with_the_header_and_is_deterministic() {
    for app in [sample::shop_prod(), sample::minimal()] {
        let first = emit(&app);
        assert_eq!(first, emit(&app));
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
    let out = emit(&app);
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
