//! The Bakery artifacts (Packer template, Chef files) checked by the real
//! tools through `scripts/validate/{packer,chef}.sh`, and read back to
//! assert the facts the pipeline's security rests on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use hcl::expr::{Expression, TemplateExpr};
use hcl::structure::{Block, Body};
use paasc::emit::{chef, packer, Artifact};
use paasc::model::{sample, App, Kms};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every model the checks run on: the hand-built samples, then every
/// project example (`examples/*.paas`) and contract example
/// (`../shared/examples/*.paas`, when present) for the default env and each
/// env it declares.
fn models() -> Vec<(String, App)> {
    let mut out: Vec<(String, App)> = vec![
        ("sample shop-prod".into(), sample::shop_prod()),
        ("sample minimal".into(), sample::minimal()),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in [root.join("examples"), root.join("../shared/examples")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "paas"))
            .collect();
        found.sort();
        files.extend(found);
    }
    assert!(files.len() >= 3, "the project examples are missing");
    for file in files {
        let label = file.file_name().unwrap().to_string_lossy().to_string();
        let default =
            paasc::compile_file(&file, None, &[]).unwrap_or_else(|e| panic!("{label}: {e}"));
        for env in default.envs.clone() {
            let app = paasc::compile_file(&file, Some(&env), &[])
                .unwrap_or_else(|e| panic!("{label} --env {env}: {e}"));
            out.push((format!("{label} --env {env}"), app));
        }
        out.push((format!("{label} (default)"), default));
    }
    out
}

fn artifacts(app: &App) -> Vec<Artifact> {
    let mut out = packer::emit(app).unwrap();
    out.extend(chef::emit(app).unwrap());
    out
}

/// Writes the artifacts like `paasc build` does: `<root>/<app>/<env>/<path>`.
fn write(root: &Path, app: &App) -> PathBuf {
    let dir = root.join(&app.name).join(&app.env);
    for artifact in artifacts(app) {
        let path = dir.join(&artifact.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &artifact.contents).unwrap();
    }
    dir
}

fn run_script(script: &str, outdir: &Path) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts/validate")
        .join(script);
    let output = Command::new("bash")
        .arg(&path)
        .arg(outdir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    assert!(
        output.status.success(),
        "{script} failed on {}\n--- stdout\n{}\n--- stderr\n{}",
        outdir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn image_template(app: &App) -> Body {
    let artifact = packer::emit(app)
        .unwrap()
        .into_iter()
        .find(|a| a.path == "packer/image.pkr.hcl")
        .unwrap();
    hcl::parse(&artifact.contents).unwrap_or_else(|e| panic!("{e}\n{}", artifact.contents))
}

fn blocks<'a>(body: &'a Body, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    body.blocks().filter(move |b| b.identifier() == ident)
}

fn source_block(body: &Body) -> &Block {
    let mut sources = blocks(body, "source");
    let source = sources.next().expect("a source block");
    assert!(sources.next().is_none(), "exactly one source block");
    assert_eq!(source.labels()[0].as_str(), "amazon-ebs");
    source
}

fn attr<'a>(block: &'a Block, name: &str) -> Option<&'a Expression> {
    block
        .body()
        .attributes()
        .find(|a| a.key() == name)
        .map(|a| a.expr())
}

/// The literal value of a string expression (templates without interpolations included).
fn literal(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.clone()),
        Expression::TemplateExpr(t) => {
            let tpl = hcl::template::Template::from_expr(t).ok()?;
            tpl.elements()
                .iter()
                .map(|e| match e {
                    hcl::template::Element::Literal(l) => Some(l.clone()),
                    _ => None,
                })
                .collect()
        }
        _ => None,
    }
}

fn key_literal(key: &hcl::expr::ObjectKey) -> Option<String> {
    match key {
        hcl::expr::ObjectKey::Identifier(ident) => Some(ident.to_string()),
        hcl::expr::ObjectKey::Expression(expr) => literal(expr),
        _ => None,
    }
}

fn literal_list(expr: &Expression) -> Vec<String> {
    match expr {
        Expression::Array(items) => items
            .iter()
            .map(|e| literal(e).expect("string element"))
            .collect(),
        other => panic!("not a list: {other:?}"),
    }
}

fn all_attribute_keys(body: &Body, out: &mut Vec<String>) {
    for a in body.attributes() {
        out.push(a.key().to_string());
    }
    for b in body.blocks() {
        out.push(b.identifier().to_string());
        all_attribute_keys(b.body(), out);
    }
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (packer, ruby): scripts/test.sh runs it"
)]
fn validators_accept_every_model() {
    let root = tempfile::tempdir().unwrap();
    for (i, (label, app)) in models().into_iter().enumerate() {
        let dir = write(&root.path().join(i.to_string()), &app);
        eprintln!("validating {label} in {}", dir.display());
        run_script("packer.sh", &dir);
        run_script("chef.sh", &dir);
    }
}

#[test]
fn template_encrypts_shares_and_never_opens_ssh() {
    for (label, app) in models() {
        let body = image_template(&app);
        let source = source_block(&body);
        assert_eq!(
            attr(source, "encrypt_boot"),
            Some(&Expression::Bool(true)),
            "{label}"
        );
        // The app's key by full ARN, in the app's account (an alias would
        // resolve in the pipeline account when the bake runs there).
        let kms = attr(source, "kms_key_id").expect("kms_key_id");
        assert_eq!(literal(kms), Some(app.kms_key_arn()), "{label}");
        assert!(
            app.kms_key_arn()
                .starts_with(&format!("arn:aws:kms:{}:{}:", app.region, app.account)),
            "{label}"
        );
        if let Kms::KeyArn(k) = &app.kms {
            assert_eq!(literal(kms).as_deref(), Some(k.as_str()), "{label}");
        }
        assert_eq!(
            attr(source, "communicator").and_then(literal).as_deref(),
            Some("ssh"),
            "{label}"
        );
        assert_eq!(
            attr(source, "ssh_interface").and_then(literal).as_deref(),
            Some("session_manager"),
            "{label}"
        );
        // The platform's builder profile: Packer creates no role (the
        // runner may not), and the builder has no public address.
        assert_eq!(
            attr(source, "iam_instance_profile").map(|e| e.to_string()),
            Some("var.builder_instance_profile".into()),
            "{label}"
        );
        let profile = blocks(&body, "variable")
            .find(|b| b.labels()[0].as_str() == "builder_instance_profile")
            .expect("variable");
        assert_eq!(
            attr(profile, "default").and_then(literal),
            Some(format!("paas-builder-{}", app.region)),
            "{label}"
        );
        assert!(
            !source
                .body()
                .blocks()
                .any(|b| b.identifier() == "temporary_iam_instance_profile_policy_document"),
            "{label}: a temporary instance profile needs IAM write on the runner"
        );
        assert_eq!(
            attr(source, "associate_public_ip_address"),
            Some(&Expression::Bool(false)),
            "{label}"
        );
        // The builder's subnet: the pipeline's in two accounts.
        let subnet = blocks(&body, "variable")
            .find(|b| b.labels()[0].as_str() == "subnet_id")
            .expect("variable");
        assert_eq!(
            attr(subnet, "default").and_then(literal),
            Some(app.builder_subnet().unwrap_or_default()),
            "{label}"
        );
        if app.bakes_elsewhere() {
            assert_eq!(app.builder_subnet(), app.pipeline.subnet, "{label}");
        }
        let mut keys = Vec::new();
        all_attribute_keys(&body, &mut keys);
        for forbidden in [
            "ssh_keypair_name",
            "ssh_private_key_file",
            "temporary_security_group_source_cidrs",
        ] {
            assert!(
                !keys.iter().any(|k| k == forbidden),
                "{label}: {forbidden} must not be set"
            );
        }
        assert_eq!(
            literal_list(attr(source, "ami_users").unwrap()),
            app.ami_users(),
            "{label}"
        );
        let imds = source
            .body()
            .blocks()
            .find(|b| b.identifier() == "metadata_options")
            .expect("metadata_options");
        assert_eq!(
            attr(imds, "http_tokens").and_then(literal).as_deref(),
            Some("required"),
            "{label}"
        );
        let volume = source
            .body()
            .blocks()
            .find(|b| b.identifier() == "launch_block_device_mappings")
            .unwrap();
        assert_eq!(
            attr(volume, "encrypted"),
            Some(&Expression::Bool(true)),
            "{label}"
        );
        assert_eq!(
            attr(volume, "volume_size").map(|e| e.to_string()),
            Some(app.image.volume_gib.to_string())
        );
        assert_eq!(
            attr(volume, "volume_type").and_then(literal).as_deref(),
            Some("gp3")
        );
        assert_eq!(
            attr(volume, "kms_key_id"),
            Some(kms),
            "{label}: root volume uses the app key"
        );
        let ami_name = attr(source, "ami_name").unwrap().to_string();
        assert!(
            ami_name.contains("local.build_timestamp")
                && ami_name.starts_with(&format!("\"{}-", app.name)),
            "{ami_name}"
        );
    }
}

#[test]
fn provisioner_scripts_are_valid_shell_and_clean_up() {
    for (label, app) in models() {
        let body = image_template(&app);
        let build = blocks(&body, "build").next().expect("build block");
        let kinds: Vec<&str> = blocks(build.body(), "provisioner")
            .map(|b| b.labels()[0].as_str())
            .collect();
        assert_eq!(
            kinds,
            ["shell", "file", "file", "shell", "shell", "shell", "shell", "shell"],
            "{label}"
        );
        let script: Vec<String> = blocks(build.body(), "provisioner")
            .filter_map(|b| attr(b, "inline"))
            .flat_map(literal_list)
            .collect();
        let script = script.join("\n");
        // Packer renders inline commands as Go templates: only `{{` is special.
        assert!(
            !script.contains("{{"),
            "{label}: inline commands must not contain Go template actions"
        );
        let status = Command::new("sh")
            .arg("-n")
            .arg("-c")
            .arg(&script)
            .status()
            .expect("sh");
        assert!(
            status.success(),
            "{label}: sh -n rejects the provisioner script:\n{script}"
        );
        for needle in [
            "cinc-client --local-mode",
            "node.json",
            "amazon-cloudwatch-agent-ctl",
            "rm -f /etc/ssh/ssh_host_*",
            "authorized_keys",
            "systemctl enable auditd",
        ] {
            assert!(script.contains(needle), "{label}: script lacks {needle}");
        }
        // Offline: nothing is downloaded; Cinc and the agent are the
        // platform's pinned files, checked before anything is used.
        for forbidden in ["curl", "wget", "omnitruck", "https://"] {
            assert!(
                !script.contains(forbidden),
                "{label}: the bake fetches from the internet: {forbidden}"
            );
        }
        let verify = script
            .find("sha256sum --check --strict --quiet SHA256SUMS")
            .expect("a check");
        assert!(verify < script.find("cinc-client").unwrap(), "{label}");
        assert!(
            script.contains("cd /tmp/paasc/chef && sha256sum"),
            "{label}"
        );
        assert!(
            script.contains("cd /tmp/paasc/tools && sha256sum"),
            "{label}"
        );
        // Nothing serves SSH at boot: the last provisioner masks it.
        let last = blocks(build.body(), "provisioner")
            .last()
            .and_then(|b| attr(b, "inline"))
            .map(literal_list)
            .unwrap()
            .join("\n");
        let units = if matches!(app.image.base.platform.as_str(), "ubuntu" | "debian") {
            "ssh.service ssh.socket"
        } else {
            "sshd.service"
        };
        assert!(
            last.contains(&format!("systemctl mask {units}")),
            "{label}: {last}"
        );
        let config: serde_json::Value =
            serde_json::from_str(&packer::cloudwatch_config(&app)).unwrap();
        assert_eq!(
            config["logs"]["logs_collected"]["files"]["collect_list"][0]["log_group_name"],
            app.log_group()
        );
    }
}

#[test]
fn node_run_list_keeps_spec_order() {
    for (label, app) in models() {
        let node = chef::emit(&app)
            .unwrap()
            .into_iter()
            .find(|a| a.path == "chef/node.json")
            .unwrap();
        let node: serde_json::Value = serde_json::from_str(&node.contents).unwrap();
        let want: Vec<String> = app.image.chef.iter().map(|i| i.chef_notation()).collect();
        assert_eq!(node["run_list"], serde_json::json!(want), "{label}");
        assert_eq!(node["paasc"]["app"], app.name.as_str());
    }
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (packer): scripts/test.sh runs it"
)]
fn hostile_strings_are_escaped_and_still_validate() {
    let evil = "${evil} \"quoted\" %{if true}x%{endif} \\ end";
    let mut app = sample::minimal();
    app.tags.insert("Note".into(), evil.into());
    // Keys AWS allows that could confuse the `=` alignment.
    app.tags.insert("a = b".into(), "c = {".into());
    app.tags.insert("Ünïcödé key".into(), "v".into());
    app.tags.insert("x:y/z@w+1".into(), "[".into());
    app.image.base.filter = format!("al2023-{evil}");
    app.image.base.owner = evil.into();
    let artifact = packer::emit(&app)
        .unwrap()
        .into_iter()
        .find(|a| a.path == "packer/image.pkr.hcl")
        .unwrap();
    assert!(
        artifact.contents.contains("$${evil}"),
        "{}",
        artifact.contents
    );
    assert!(!artifact.contents.contains(" ${evil}"));
    let body = image_template(&app);
    let source = source_block(&body);
    let Some(Expression::Object(tags)) = attr(source, "tags") else {
        panic!("tags")
    };
    let note = tags
        .iter()
        .find(|(k, _)| key_literal(k).as_deref() == Some("Note"))
        .map(|(_, v)| v)
        .unwrap();
    assert_eq!(literal(note).as_deref(), Some(evil));
    let root = tempfile::tempdir().unwrap();
    run_script("packer.sh", &write(root.path(), &app));
}

#[test]
fn template_expression_strings_parse_back_as_literals() {
    // Guards the helper above: a template with only literals is a literal.
    let expr = Expression::from(TemplateExpr::QuotedString("a $${b}".into()));
    assert_eq!(literal(&expr).as_deref(), Some("a ${b}"));
}

/// Packer validate on the template of a model, on a copy without the parts
/// Packer 1.6.6 does not know (as `packer.sh` does), with extra arguments.
fn packer_validate(app: &App, args: &[&str]) -> std::process::Output {
    let root = tempfile::tempdir().unwrap();
    let dir = write(root.path(), app);
    std::fs::remove_file(dir.join("packer/plugins.pkr.hcl")).unwrap();
    // The bake puts the platform's builder tools beside the template (../tools).
    std::fs::create_dir_all(dir.join("tools")).unwrap();
    std::fs::write(dir.join("tools/SHA256SUMS"), "").unwrap();
    let mut body = image_template(app);
    for structure in body.iter_mut() {
        if let hcl::structure::Structure::Block(block) = structure {
            if block.identifier() == "source" {
                block.body.0.retain(|s| !matches!(s, hcl::structure::Structure::Block(b) if b.identifier() == "metadata_options"));
            }
        }
    }
    std::fs::write(
        dir.join("packer/image.pkr.hcl"),
        hcl::to_string(&body).unwrap(),
    )
    .unwrap();
    Command::new("packer")
        .arg("validate")
        .args(args)
        .arg(".")
        .current_dir(dir.join("packer"))
        .output()
        .expect("packer on PATH (run scripts/install-deps.sh)")
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (packer): scripts/test.sh runs it"
)]
fn managed_kms_key_is_named_by_arn_and_cannot_be_swapped_at_bake_time() {
    let app = sample::minimal();
    assert!(matches!(app.kms, Kms::Managed));
    // The key bootstrap made, as an ARN of the app's account: it resolves
    // the same from the pipeline account, and it is never the AWS default key.
    let arn = app.kms_key_arn();
    assert!(
        arn.starts_with("arn:aws:kms:eu-west-1:111122223333:"),
        "{arn}"
    );
    assert!(!arn.contains("alias/aws/"), "{arn}");
    let body = image_template(&app);
    let source = source_block(&body);
    assert_eq!(
        attr(source, "kms_key_id").and_then(literal).as_deref(),
        Some(arn.as_str())
    );
    let ok = packer_validate(&app, &[]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    // No variable lets a bake pick another key.
    let out = packer_validate(&app, &["-var", "kms_key_id=alias/aws/ebs"]);
    assert!(
        !out.status.success(),
        "packer validate with a kms_key_id variable must fail: the key is not a variable"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever text a tag or base filter holds, the template parses back to
    /// exactly that text (escaping is total), and the run list and key stay.
    #[test]
    fn any_string_round_trips(key in "[A-Za-z][A-Za-z0-9 ._:/=+@-]{0,20}", value in proptest::prelude::any::<String>(), filter in proptest::prelude::any::<String>()) {
        let mut app = sample::shop_prod();
        app.tags.insert(key.clone(), value.clone());
        app.image.base.filter = filter.clone();
        let body = image_template(&app);
        let source = source_block(&body);
        let Some(Expression::Object(tags)) = attr(source, "tags") else { panic!("tags") };
        let derived = ["app", "env", "team", "version"].contains(&key.as_str());
        let found = tags.iter().find(|(k, _)| key_literal(k).as_deref() == Some(key.as_str()));
        if !derived {
            let (_, v) = found.expect("the tag is emitted");
            proptest::prop_assert_eq!(literal(v), Some(value));
        }
        let dynamic = source.body().blocks().find(|b| b.identifier() == "dynamic").expect("dynamic block");
        let content = dynamic.body().blocks().next().expect("content");
        let Some(Expression::Object(filters)) = attr(content, "filters") else { panic!("filters") };
        let name = filters.iter().find(|(k, _)| key_literal(k).as_deref() == Some("name")).map(|(_, v)| v).expect("name filter");
        proptest::prop_assert_eq!(literal(name), Some(filter));
    }
}
