//! The Terraform root module, checked by the real tools and read back.
//!
//! For every model: the module is written as `paasc build` lays it out
//! (`<tmp>/<app>/<env>/terraform/*.tf`), `scripts/validate/terraform.sh` runs
//! terraform fmt/init/validate and checkov on it (sequentially: checkov is
//! slow), and the HCL is parsed back with the `hcl` crate to assert the
//! facts that matter: no ingress covering port 22, KMS on every storage
//! resource, IMDSv2, and the spec's fleet sizes and CPU target.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/examples.rs"]
mod examples;

use hcl::{Block, Body, Expression};
use paasc::model::{sample, App, Kms, Launch, Strategy};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every model the tests cover: each project example in its default env
/// and every env it declares, plus one hand-made variant for the paths no
/// example takes (a key ARN, a public plain-HTTP ALB open to the world,
/// secrets as a parameter hierarchy, a region without a legacy ELB account,
/// `${`/`%{` in user text, a rolling release with a launch template).
fn models() -> Vec<App> {
    let mut out = Vec::new();
    for example in examples::names() {
        let path = manifest_dir().join("examples").join(&example);
        let default =
            paasc::compile_file(&path, None, &[]).unwrap_or_else(|e| panic!("{example}: {e}"));
        for env in default.envs.clone() {
            out.push(
                paasc::compile_file(&path, Some(&env), &[])
                    .unwrap_or_else(|e| panic!("{example} {env}: {e}")),
            );
        }
        out.push(default);
    }
    let mut open = sample::minimal();
    open.name = "open".into();
    // A region without a legacy ELB account, and user text with markers.
    open.region = "me-central-1".into();
    open.logs.bucket = "open-default-logs-111122223333".into();
    open.tags
        .insert("note".into(), "literal ${not.interpolated} %{ if }".into());
    open.kms = Kms::KeyArn(
        "arn:aws:kms:me-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
    );
    open.service.public = true;
    open.network.allow = vec!["0.0.0.0/0".into()];
    open.access.secrets = vec!["/open/config/".into()];
    // Rolling with a launch template (the examples' rolling one has a launch
    // configuration): the refresh that rolls itself back.
    open.release.strategy = Strategy::Rolling;
    open.release.shift = vec![100];
    out.push(open);
    out
}

#[test]
fn the_examples_cover_every_shape() {
    let apps = models();
    let names: Vec<String> = apps
        .iter()
        .map(|a| format!("{}/{}", a.name, a.env))
        .collect();
    for expected in [
        "shop/default",
        "shop/staging",
        "shop/prod",
        "minimal/default",
        "batch/default",
        "open/default",
    ] {
        assert!(names.contains(&expected.to_string()), "{names:?}");
    }
    let batch = apps.iter().find(|a| a.name == "batch").unwrap();
    assert_eq!(
        (batch.fleet.launch, batch.release.strategy, &batch.kms),
        (Launch::Configuration, Strategy::Rolling, &Kms::Managed)
    );
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes the module of `app` under `root/<app>/<env>/terraform/`, returns OUTDIR.
fn write_module(root: &Path, app: &App) -> PathBuf {
    let outdir = root.join(&app.name).join(&app.env);
    for artifact in paasc::emit::terraform::emit(app).unwrap() {
        let path = outdir.join(&artifact.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &artifact.contents).unwrap();
    }
    outdir
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (terraform, checkov): scripts/test.sh runs it"
)]
fn modules_pass_fmt_validate_and_checkov() {
    let tmp = tempfile::tempdir().unwrap();
    // PAASC_TF_KEEP=DIR keeps the generated modules there for inspection.
    let root = std::env::var_os("PAASC_TF_KEEP")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    let script = manifest_dir().join("scripts/validate/terraform.sh");
    let mut failures = Vec::new();
    for app in models() {
        let outdir = write_module(&root, &app);
        let out = Command::new("bash")
            .arg(&script)
            .arg(&outdir)
            .output()
            .expect("cannot run bash");
        let stderr = String::from_utf8_lossy(&out.stderr);
        eprintln!("{}/{}:\n{stderr}", app.name, app.env);
        if !out.status.success() {
            failures.push(format!("{}/{}: {}", app.name, app.env, stderr));
        }
    }
    assert!(
        failures.is_empty(),
        "terraform validation failed:\n{}",
        failures.join("\n")
    );
}

/// The script is a real gate: a module whose skips are removed fails
/// checkov, and a misformatted one fails `terraform fmt -check`.
#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (terraform, checkov): scripts/test.sh runs it"
)]
fn the_script_rejects_bad_modules() {
    let tmp = tempfile::tempdir().unwrap();
    let script = manifest_dir().join("scripts/validate/terraform.sh");
    let app = sample::minimal();
    let outdir = write_module(tmp.path(), &app);
    let dir = outdir.join("terraform");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("#checkov:skip="))
            .collect();
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    }
    let out = Command::new("bash")
        .arg(&script)
        .arg(&outdir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("FAILED CKV_AWS_2 "), "{stderr}");

    let versions = dir.join("versions.tf");
    let text = std::fs::read_to_string(&versions).unwrap();
    std::fs::write(
        &versions,
        text.replace("required_version = ", "required_version    = "),
    )
    .unwrap();
    let out = Command::new("bash")
        .arg(&script)
        .arg(&outdir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("terraform fmt -check failed"),
        "{stderr}"
    );
}

/// Every `resource` block of the module, parsed back: (type, name, block).
fn resources(app: &App) -> Vec<(String, String, Block)> {
    let mut out = Vec::new();
    for artifact in paasc::emit::terraform::emit(app).unwrap() {
        let body: Body =
            hcl::from_str(&artifact.contents).unwrap_or_else(|e| panic!("{}: {e}", artifact.path));
        for block in body.into_blocks() {
            if block.identifier() == "resource" {
                let labels: Vec<String> = block
                    .labels()
                    .iter()
                    .map(|l| l.as_str().to_string())
                    .collect();
                out.push((labels[0].clone(), labels[1].clone(), block));
            }
        }
    }
    out
}

fn attr<'a>(block: &'a Block, key: &str) -> Option<&'a Expression> {
    block
        .body()
        .attributes()
        .find(|a| a.key() == key)
        .map(|a| a.expr())
}

fn sub<'a>(block: &'a Block, ident: &str) -> Vec<&'a Block> {
    block
        .body()
        .blocks()
        .filter(|b| b.identifier() == ident)
        .collect()
}

fn number(e: Option<&Expression>) -> Option<u64> {
    match e {
        Some(Expression::Number(n)) => n.as_u64(),
        _ => None,
    }
}

fn string(e: Option<&Expression>) -> Option<&str> {
    match e {
        Some(Expression::String(s)) => Some(s),
        _ => None,
    }
}

fn is_kms_ref(e: Option<&Expression>) -> bool {
    matches!(e, Some(Expression::Traversal(_)))
        && e.map(|e| e.to_string()) == Some("local.kms_key_arn".into())
}

#[test]
fn no_ingress_covers_port_22() {
    for app in models() {
        for (kind, name, block) in resources(&app) {
            if kind.contains("ingress") || kind == "aws_security_group" {
                let from = number(attr(&block, "from_port"));
                let to = number(attr(&block, "to_port"));
                assert_ne!(
                    string(attr(&block, "ip_protocol")),
                    Some("-1"),
                    "{name}: all protocols"
                );
                if kind.contains("ingress") {
                    let (from, to) = (from.expect("from_port"), to.expect("to_port"));
                    assert!(
                        !(from <= 22 && 22 <= to),
                        "{}: {kind}.{name} opens {from}-{to}",
                        app.name
                    );
                }
                assert!(sub(&block, "ingress").is_empty(), "{name}: inline ingress");
            }
        }
    }
}

#[test]
fn storage_is_encrypted_with_the_app_key() {
    for app in models() {
        let all = resources(&app);
        let mut seen = 0;
        for (kind, name, block) in &all {
            match kind.as_str() {
                "aws_s3_bucket_server_side_encryption_configuration" => {
                    let rule = sub(block, "rule")[0];
                    let by_default = sub(rule, "apply_server_side_encryption_by_default")[0];
                    if name == "alb_logs" {
                        assert_eq!(string(attr(by_default, "sse_algorithm")), Some("AES256"));
                    } else {
                        assert_eq!(
                            string(attr(by_default, "sse_algorithm")),
                            Some("aws:kms"),
                            "{name}"
                        );
                        assert!(is_kms_ref(attr(by_default, "kms_master_key_id")), "{name}");
                        assert_eq!(
                            attr(rule, "bucket_key_enabled"),
                            Some(&Expression::Bool(true))
                        );
                    }
                    seen += 1;
                }
                "aws_cloudwatch_log_group" => {
                    assert!(is_kms_ref(attr(block, "kms_key_id")), "{name}");
                    seen += 1;
                }
                "aws_launch_template" => {
                    let ebs = sub(sub(block, "block_device_mappings")[0], "ebs")[0];
                    assert_eq!(string(attr(ebs, "encrypted")), Some("true"));
                    assert!(is_kms_ref(attr(ebs, "kms_key_id")));
                    seen += 1;
                }
                "aws_launch_configuration" => {
                    // Cannot name a key: the root volume inherits the AMI's.
                    assert_eq!(
                        attr(sub(block, "root_block_device")[0], "encrypted"),
                        Some(&Expression::Bool(true))
                    );
                    seen += 1;
                }
                _ => {}
            }
        }
        let buckets = all.iter().filter(|(k, _, _)| k == "aws_s3_bucket").count();
        // Buckets + app log group + launch resource at least (the audit
        // table belongs to the pipeline, see storage.rs).
        assert!(
            seen >= buckets + 2,
            "{}: only {seen} storage resources checked",
            app.name
        );
    }
}

#[test]
fn instances_require_imdsv2() {
    for app in models() {
        let all = resources(&app);
        let launch: Vec<_> = all
            .iter()
            .filter(|(k, _, _)| k == "aws_launch_template" || k == "aws_launch_configuration")
            .collect();
        // One per fleet: blue and green, or the rolling fleet.
        assert_eq!(launch.len(), fleets(&app).len());
        for (kind, _, block) in launch {
            let expected = if app.fleet.launch == Launch::Template {
                "aws_launch_template"
            } else {
                "aws_launch_configuration"
            };
            assert_eq!(kind, expected);
            let md = sub(block, "metadata_options")[0];
            assert_eq!(string(attr(md, "http_tokens")), Some("required"));
            assert_eq!(number(attr(md, "http_put_response_hop_limit")), Some(1));
            assert!(attr(block, "key_name").is_none());
        }
    }
}

fn fleets(app: &App) -> Vec<&'static str> {
    match app.release.strategy {
        Strategy::BlueGreen => vec!["blue", "green"],
        Strategy::Rolling => vec!["this"],
    }
}

/// A fleet size: a number, or for a colour `local.colour_in_use.<c> ? n : 0` (n).
fn size(e: Option<&Expression>) -> Option<u64> {
    match e {
        Some(Expression::Conditional(c)) => {
            assert_eq!(number(Some(&c.false_expr)), Some(0));
            number(Some(&c.true_expr))
        }
        other => number(other),
    }
}

#[test]
fn fleet_sizes_and_cpu_target_match_the_spec() {
    for app in models() {
        let all = resources(&app);
        let find = |kind: &str, name: &str| {
            all.iter()
                .find(|(k, n, _)| k == kind && n == name)
                .unwrap_or_else(|| panic!("{} has no {kind}.{name}", app.prefix()))
                .2
                .clone()
        };
        for fleet in fleets(&app) {
            let asg = find("aws_autoscaling_group", fleet);
            assert_eq!(size(attr(&asg, "min_size")), Some(u64::from(app.fleet.min)));
            assert_eq!(size(attr(&asg, "max_size")), Some(u64::from(app.fleet.max)));
            assert_eq!(
                size(attr(&asg, "desired_capacity")),
                Some(u64::from(app.fleet.desired))
            );
            assert_eq!(string(attr(&asg, "health_check_type")), Some("ELB"));
            // Each fleet sits behind its own target group only.
            assert_eq!(
                attr(&asg, "target_group_arns")
                    .map(|e| e.to_string().split_whitespace().collect::<String>()),
                Some(format!("[aws_lb_target_group.{fleet}.arn]")),
                "{fleet}"
            );
            assert_eq!(
                sub(&asg, "instance_refresh").len(),
                usize::from(app.release.strategy == Strategy::Rolling)
            );
            // A colour's size is the env's; later scaling (and the state
            // machine's scale-down) is not undone by the next apply.
            assert_eq!(
                sub(&asg, "lifecycle").len(),
                usize::from(app.release.strategy == Strategy::BlueGreen)
            );
            // A failed refresh, or one an alarm stops, rolls itself back
            // where AWS allows it (templates).
            for refresh in sub(&asg, "instance_refresh") {
                let preferences = sub(refresh, "preferences")[0];
                let template = app.fleet.launch == Launch::Template;
                assert_eq!(
                    attr(preferences, "auto_rollback"),
                    template.then_some(&Expression::Bool(true))
                );
                assert_eq!(
                    sub(preferences, "alarm_specification").len(),
                    usize::from(template)
                );
            }
            let policy_name = if fleet == "this" {
                "cpu".to_string()
            } else {
                format!("{fleet}_cpu")
            };
            let policy = find("aws_autoscaling_policy", &policy_name);
            let ttc = sub(&policy, "target_tracking_configuration")[0];
            assert_eq!(
                number(attr(ttc, "target_value")),
                Some(u64::from(app.fleet.cpu))
            );
            // Three alarms on the fleet's target group.
            for kind in ["errors", "unhealthy", "latency"] {
                let alarm = find("aws_cloudwatch_metric_alarm", &format!("{fleet}_{kind}"));
                assert_eq!(
                    string(attr(&alarm, "alarm_name")),
                    Some(format!("{}{kind}", app.alarm_prefix(fleet)).as_str())
                );
                let dims = attr(&alarm, "dimensions").unwrap().to_string();
                assert!(
                    dims.contains(&format!("aws_lb_target_group.{fleet}.arn_suffix")),
                    "{dims}"
                );
            }
            let errors = find("aws_cloudwatch_metric_alarm", &format!("{fleet}_errors"));
            assert_eq!(
                number(attr(&errors, "threshold")),
                Some(u64::from(app.release.alarm_errors))
            );
        }
        let tgs = all
            .iter()
            .filter(|(k, _, _)| k == "aws_lb_target_group")
            .count();
        assert_eq!(tgs, fleets(&app).len());
        // Blue-green: a header reaches either colour whatever the weights.
        let rules = all
            .iter()
            .filter(|(k, _, _)| k == "aws_lb_listener_rule")
            .count();
        assert_eq!(
            rules,
            if app.release.strategy == Strategy::BlueGreen {
                2
            } else {
                0
            }
        );
    }
}

mod random_text {
    //! Arbitrary user text (tag keys and values with quotes, `=`, braces,
    //! `${`, unicode) must neither break the HCL nor the `terraform fmt`
    //! parity of the alignment pass.
    use super::*;
    use proptest::prelude::*;

    fn fmt_check(dir: &Path) -> Result<(), String> {
        let out = Command::new("terraform")
            .args(["fmt", "-check", "-diff", "-no-color"])
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .output()
            .map_err(|e| format!("terraform is not runnable (run scripts/install-deps.sh): {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stdout).to_string())
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        #[cfg_attr(not(feature = "tool-tests"), ignore = "tool tier (terraform): scripts/test.sh runs it")]
        fn tags_stay_valid_and_fmt_clean(
            tags in proptest::collection::btree_map("[A-Za-z0-9 _.:/=+@-]{1,24}", "[ -~é€]{0,30}", 0..6),
            name in "[a-z][a-z0-9-]{0,31}",
        ) {
            let mut app = sample::shop_prod();
            app.name = name;
            app.tags = tags.clone();
            let tmp = tempfile::tempdir().unwrap();
            let outdir = write_module(tmp.path(), &app);
            for artifact in paasc::emit::terraform::emit(&app).unwrap() {
                let parsed: Result<Body, _> = hcl::from_str(&artifact.contents);
                prop_assert!(parsed.is_ok(), "{}: {:?}", artifact.path, parsed.err());
            }
            let checked = fmt_check(&outdir.join("terraform"));
            prop_assert!(checked.is_ok(), "{}", checked.err().unwrap_or_default());
        }
    }
}
