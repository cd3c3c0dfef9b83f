//! `paasc bootstrap`: the platform modules, read back and, in the tool
//! tier, validated by terraform and checkov and applied to the moto server
//! the tests start, followed by an app module on the platform's state
//! bucket and a `paasc deploy --wait` with no platform flags, to SUCCEEDED.
//!
//! Plain tier (no tool): what bootstrap derives from the specs (one module
//! per pipeline account and region, one per app account elsewhere), that
//! the state machine roles grant exactly the calls of the generated state
//! machines (derived here from the ASL, independently of the emitter), the
//! runner's boot script, determinism and refusals that write nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "stepfunctions/moto.rs"]
#[allow(dead_code)]
mod pipeline_moto;
#[path = "support/terraform.rs"]
mod terraform;

use paasc::bootstrap::tools::KINDS;
use paasc::model::App;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn paasc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_paasc"));
    c.env("NO_COLOR", "1").current_dir(root());
    c
}

#[path = "support/examples.rs"]
mod examples;

/// Every project example (`tests/support/examples.rs`).
fn examples_all() -> &'static [&'static str] {
    static LIST: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        examples::files()
            .into_iter()
            .map(|s| &*Box::leak(s.into_boxed_str()))
            .collect()
    })
}
const DEMO: &str = "tests/fixtures/platform/demo.paas";

/// A tools directory with one file of every tool of the catalogue (stand-ins:
/// their content is their name; bootstrap pins whatever bytes it finds).
fn tools_dir(dir: &Path) -> PathBuf {
    let tools = dir.join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    for kind in KINDS {
        let file = stub_file(kind);
        std::fs::write(tools.join(&file), format!("stand-in for {file}\n")).unwrap();
    }
    tools
}

/// The stand-in file of a tool: the pinned versions where specs pin one.
fn stub_file(kind: &paasc::bootstrap::tools::Kind) -> String {
    let version = match kind.name {
        "packer-plugin-amazon" => paasc::model::names::DEFAULT_PACKER_PLUGIN,
        "terraform-provider-aws" => paasc::model::names::DEFAULT_AWS_PROVIDER,
        _ => "1.2.3",
    };
    kind.pattern.replace("VERSION", version)
}

fn bootstrap(specs: &[&str], tools: &Path, out: &Path) -> Output {
    paasc()
        .arg("bootstrap")
        .args(specs)
        .arg("--tools")
        .arg(tools)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir`, relative path to bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Every model of every env of the specs.
fn apps(specs: &[&str]) -> Vec<App> {
    specs
        .iter()
        .flat_map(|s| {
            let c = paasc::compile(
                &root().join(s).to_string_lossy(),
                &paasc::resolve::FsLoader,
                &paasc::Envs::All,
                &[],
                true,
            );
            assert!(
                !c.diagnostics
                    .iter()
                    .any(|d| d.severity() == paasc::diagnostics::Severity::Error),
                "{s}"
            );
            c.apps
        })
        .collect()
}

// ---------------------------------------------------------------- what bootstrap derives

#[test]
fn one_module_per_pipeline_account_and_one_per_app_account_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir(dir.path());
    let out = dir.path().join("out");
    ok(&bootstrap(examples_all(), &tools, &out));
    let mut want: BTreeSet<String> = BTreeSet::new();
    for app in apps(examples_all()) {
        want.insert(format!("{}-{}", app.pipeline.account, app.region));
        want.insert(format!("{}-{}", app.account, app.region));
    }
    let got: BTreeSet<String> = std::fs::read_dir(out.join("platform"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(got, want);
    for app in apps(examples_all()) {
        let pipeline = out.join(format!("platform/{}-{}", app.pipeline.account, app.region));
        let host = out.join(format!("platform/{}-{}", app.account, app.region));
        let roles = std::fs::read_to_string(pipeline.join("pipelines.tf")).unwrap();
        assert!(
            roles.contains(&format!("\"{}\"", app.pipeline_role_name())),
            "{}: no state machine role in {}",
            app.release_key(),
            pipeline.display()
        );
        let provision = std::fs::read_to_string(host.join("host.tf")).unwrap();
        // Another account's runner by ARN, this module's own by reference.
        let runner = if pipeline == host {
            "aws_iam_role.runner.arn".to_string()
        } else {
            format!("\"{}\"", app.runner_role_arn())
        };
        assert!(
            provision.contains(&runner),
            "{}: the provision role in {} does not trust the runner",
            app.release_key(),
            host.display()
        );
        // The runner lives with the pipelines only.
        assert!(pipeline.join("runner/boot.sh").is_file());
    }
    let all = apps(examples_all());
    for app in &all {
        let place = (&app.account, &app.region);
        if !all
            .iter()
            .any(|a| (&a.pipeline.account, &a.region) == place)
        {
            let host = out.join(format!("platform/{}-{}", app.account, app.region));
            assert!(!host.join("runner").exists(), "{}", host.display());
        }
    }
}

#[test]
fn bootstrap_is_deterministic_and_its_manifest_lists_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir(dir.path());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    ok(&bootstrap(examples_all(), &tools, &a));
    // The specs in another order: the same modules.
    let reversed: Vec<&str> = examples_all().iter().rev().copied().collect();
    ok(&bootstrap(&reversed, &tools, &b));
    let (ta, tb) = (tree(&a), tree(&b));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (path, bytes) in &ta {
        assert!(tb[path] == *bytes, "{path} differs between two runs");
    }
    for module in std::fs::read_dir(a.join("platform")).unwrap() {
        let module = module.unwrap().path();
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(module.join("manifest.json")).unwrap()).unwrap();
        let files = tree(&module);
        let listed: BTreeMap<String, (u64, String)> = manifest["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["path"].as_str().unwrap().to_string(),
                    (
                        e["bytes"].as_u64().unwrap(),
                        e["sha256"].as_str().unwrap().to_string(),
                    ),
                )
            })
            .collect();
        let on_disk: BTreeSet<&String> = files.keys().filter(|p| *p != "manifest.json").collect();
        assert_eq!(
            listed.keys().collect::<BTreeSet<_>>(),
            on_disk,
            "{}",
            module.display()
        );
        for (path, (bytes, sha)) in &listed {
            let content = &files[path];
            assert_eq!(*bytes, content.len() as u64, "{path}");
            assert_eq!(*sha, paasc::hash::sha256_hex(content), "{path}");
            if path.ends_with(".tf") || path.ends_with(".sh") {
                let text = String::from_utf8_lossy(content);
                assert!(text.contains("generated by paasc"), "{path} has no header");
            }
        }
    }
}

/// The IAM action of a Task resource, derived here from the ASL as AWS
/// documents it (service integrations `arn:aws:states:::SERVICE:ACTION`,
/// SDK integrations `arn:aws:states:::aws-sdk:SERVICE:ACTION`).
fn action_of(resource: &str) -> Option<String> {
    let rest = resource.split(":states:::").nth(1)?;
    let rest = rest
        .trim_end_matches(".sync")
        .trim_end_matches(".waitForTaskToken");
    let rest = rest.strip_prefix("aws-sdk:").unwrap_or(rest);
    let (service, api) = rest.split_once(':')?;
    // IAM's prefixes where they differ from the SDK's service names.
    let iam_service = match service {
        "elasticloadbalancingv2" => "elasticloadbalancing",
        "sfn" => "states",
        other => other,
    };
    let mut chars = api.chars();
    let first = chars.next()?.to_ascii_uppercase();
    Some(format!("{iam_service}:{first}{}", chars.as_str()))
}

/// (own, remote) actions of every Task state of a definition (nested too);
/// a task with `Credentials` acts in the app account.
fn asl_actions(definition: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    fn walk(v: &Value, own: &mut BTreeSet<String>, remote: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if m.get("Type").and_then(Value::as_str) == Some("Task") {
                    if let Some(a) = m
                        .get("Resource")
                        .and_then(Value::as_str)
                        .and_then(action_of)
                    {
                        if m.contains_key("Credentials") {
                            remote.insert(a);
                        } else {
                            own.insert(a);
                        }
                    }
                }
                m.values().for_each(|x| walk(x, own, remote));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, own, remote)),
            _ => {}
        }
    }
    let (mut own, mut remote) = (BTreeSet::new(), BTreeSet::new());
    walk(definition, &mut own, &mut remote);
    (own, remote)
}

/// The actions of every statement of a `data "aws_iam_policy_document"`.
fn policy_actions(tf: &str, name: &str) -> BTreeSet<String> {
    let body: hcl::Body = hcl::from_str(tf).unwrap();
    let block = body
        .blocks()
        .find(|b| {
            b.identifier() == "data"
                && b.labels().len() == 2
                && b.labels()[0].as_str() == "aws_iam_policy_document"
                && b.labels()[1].as_str() == name
        })
        .unwrap_or_else(|| panic!("no policy document {name}"));
    let mut out = BTreeSet::new();
    for st in block
        .body()
        .blocks()
        .filter(|b| b.identifier() == "statement")
    {
        for attr in st.body().attributes().filter(|a| a.key() == "actions") {
            let hcl::Expression::Array(items) = attr.expr() else {
                panic!("actions of {name} is not a list")
            };
            for i in items {
                let hcl::Expression::String(s) = i else {
                    panic!("{i:?}")
                };
                out.insert(s.clone());
            }
        }
    }
    out
}

#[test]
fn the_state_machine_roles_grant_exactly_what_the_pipelines_call() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir(dir.path());
    let out = dir.path().join("out");
    ok(&bootstrap(examples_all(), &tools, &out));
    let mut checked = 0;
    for app in apps(examples_all()) {
        let asl: Value = serde_json::from_str(
            &paasc::emit::build(&app)
                .unwrap()
                .into_iter()
                .find(|a| a.path == paasc::model::names::path::STATE_MACHINE)
                .unwrap()
                .contents,
        )
        .unwrap();
        let (own, remote) = asl_actions(&asl);
        let module = out.join(format!("platform/{}-{}", app.pipeline.account, app.region));
        let tf = std::fs::read_to_string(module.join("pipelines.tf")).unwrap();
        let doc = format!("pipeline__{}__{}", app.name, app.env).replace('-', "_");
        let granted = policy_actions(&tf, &doc);
        // Beyond the tasks' own calls: the platform key behind the
        // SecureString parameter and the encrypted topic, and the
        // provision role the cross-account tasks assume.
        let mut want = own.clone();
        want.extend(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"].map(String::from));
        if !remote.is_empty() {
            want.insert("sts:AssumeRole".into());
        }
        assert_eq!(granted, want, "{}", app.release_key());
        // What the tasks do in the app account, the provision role may do.
        let host = out.join(format!("platform/{}-{}", app.account, app.region));
        let provision = policy_actions(
            &std::fs::read_to_string(host.join("host.tf")).unwrap(),
            "provision",
        );
        for a in &remote {
            assert!(
                provision.contains(a),
                "{}: the provision role may not {a}",
                app.release_key()
            );
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} pipelines checked");
}

#[test]
fn the_runner_fetches_checks_and_installs_each_tool_after_what_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir(dir.path());
    let out = dir.path().join("out");
    ok(&bootstrap(&[DEMO], &tools, &out));
    let module = out.join("platform/123456789012-eu-west-1");
    let boot = std::fs::read_to_string(module.join("runner/boot.sh")).unwrap();
    let pinned: Vec<Value> =
        serde_json::from_slice(&std::fs::read(module.join("tools.json")).unwrap()).unwrap();
    assert!(!pinned.is_empty());
    let line_of = |needle: &str| {
        boot.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("boot.sh has no line with `{needle}`:\n{boot}"))
    };
    let verify = line_of("sha256sum --check --strict");
    for t in &pinned {
        let file = t["file"].as_str().unwrap();
        let bytes = std::fs::read(tools.join(file)).unwrap();
        assert_eq!(t["sha256"], paasc::hash::sha256_hex(&bytes), "{file}");
        // Pinned, fetched from the platform's bucket, checked before use.
        assert!(
            boot.contains(&format!("{}  {file}", t["sha256"].as_str().unwrap())),
            "{file} is not pinned in boot.sh"
        );
        assert!(
            line_of(&format!("s3://$BUCKET/tools/{file}")) < verify,
            "{file}"
        );
    }
    // Nothing comes from the internet: the only address it reaches itself
    // is the instance metadata service (its instance id).
    for line in boot
        .lines()
        .filter(|l| l.contains("curl") || l.contains("wget"))
    {
        assert!(line.contains("http://169.254.169.254/"), "{line}");
    }
    // packer before the plugin it installs, cinc-auditor before its train.
    assert!(line_of("-d /usr/local/bin packer") < line_of("packer plugins install"));
    assert!(line_of("cinc-auditor-") < line_of("cinc-auditor plugin install"));
    assert!(verify < line_of("unzip"), "installed before the check");
    assert!(
        line_of("put-parameter --name '/paas/platform/runner/instance-id'") > line_of("PAASC_ENV")
    );
}

/// A platform with a `workers = activity` pipeline: its runner installs
/// paasc and runs `paasc-worker` for exactly that pipeline's activities,
/// stopped by SIGTERM to the worker alone, after paasc is installed.
#[test]
fn the_runner_of_activity_pipelines_runs_the_worker_service() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir(dir.path());
    let out = dir.path().join("out");
    let spec = "examples/batch.paas";
    ok(&bootstrap(&[spec], &tools, &out));
    let app = paasc::compile_file(&root().join(spec), None, &[]).unwrap();
    let module = out.join(format!("platform/{}-{}", app.pipeline.account, app.region));
    let boot = std::fs::read_to_string(module.join("runner/boot.sh")).unwrap();
    let line_of = |needle: &str| {
        boot.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("boot.sh has no line with `{needle}`:\n{boot}"))
    };
    let exec = &boot.lines().collect::<Vec<_>>()[line_of("ExecStart=")];
    assert!(
        exec.starts_with("ExecStart=/usr/local/bin/paasc worker "),
        "{exec}"
    );
    for stage in paasc::model::names::ToolStage::ALL {
        let arn = app.activity_arn(stage);
        assert!(exec.contains(&format!("--activity {arn}")), "{exec}");
    }
    assert_eq!(exec.matches("--activity ").count(), 4, "{exec}");
    for needle in ["KillMode=mixed", "Restart=always", "TimeoutStopSec=130"] {
        line_of(needle);
    }
    assert!(line_of("install -m 0755") < line_of("systemctl enable --now paasc-worker.service"));
    // The runner may poll exactly these activities.
    let runner = std::fs::read_to_string(module.join("runner.tf")).unwrap();
    for stage in paasc::model::names::ToolStage::ALL {
        assert!(runner.contains(&app.activity_arn(stage)), "runner.tf");
    }
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(module.join("runner/boot.sh"))
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );

    // A platform without such pipelines has no worker.
    let out = dir.path().join("demo");
    ok(&bootstrap(&[DEMO], &tools, &out));
    let demo = std::fs::read_to_string(out.join("platform/123456789012-eu-west-1/runner/boot.sh"))
        .unwrap();
    assert!(!demo.contains("paasc-worker"));
}

#[test]
fn refusals_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir(dir.path());
    let out = dir.path().join("out");

    // A tool missing: E0400, exit 1, no output directory.
    let partial = dir.path().join("partial");
    std::fs::create_dir_all(&partial).unwrap();
    for e in std::fs::read_dir(&tools).unwrap() {
        let p = e.unwrap().path();
        if !p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("terraform_")
        {
            std::fs::copy(&p, partial.join(p.file_name().unwrap())).unwrap();
        }
    }
    let run = bootstrap(&[DEMO], &partial, &out);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("E0400") && err.contains("terraform_VERSION_linux_amd64.zip"),
        "{err}"
    );
    assert!(!out.exists(), "bootstrap wrote after an error");

    // A spec with errors: exit 1 before the tools are read.
    let bad = dir.path().join("bad.paas");
    std::fs::write(
        &bad,
        "app bad {\n  region = \"eu-west-1\"\n  account = \"1\"\n  service { port = 8080 }\n}\n",
    )
    .unwrap();
    let run = bootstrap(
        &[bad.to_str().unwrap()],
        &dir.path().join("no-such-dir"),
        &out,
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("E0300"));
    assert!(!out.exists());

    // No tools directory: exit 2, one line.
    let run = bootstrap(&[DEMO], &dir.path().join("no-such-dir"), &out);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("cannot read the tools directory"), "{err}");
    assert!(!out.exists());

    // A good run, then a failing one: the modules of the first stay.
    ok(&bootstrap(&[DEMO], &tools, &out));
    let before = tree(&out);
    let run = bootstrap(&[DEMO], &partial, &out);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(tree(&out), before);
}

// ---------------------------------------------------------------- the tool tier

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (terraform, checkov): scripts/test.sh runs it"
)]
fn platform_modules_pass_fmt_validate_and_checkov() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir(dir.path());
    let out = dir.path().join("out");
    let mut specs: Vec<&str> = examples_all().to_vec();
    specs.push(DEMO);
    ok(&bootstrap(&specs, &tools, &out));
    let mut failures = Vec::new();
    let mut modules: Vec<PathBuf> = std::fs::read_dir(out.join("platform"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    modules.sort();
    for module in &modules {
        let run = Command::new("bash")
            .arg(root().join("scripts/tf-module.sh"))
            .arg(module)
            .env(
                "PATH",
                format!(
                    "{}/.tools/venv/bin:{}",
                    root().display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .output()
            .unwrap();
        if !run.status.success() {
            failures.push(format!(
                "{}:\n{}",
                module.display(),
                String::from_utf8_lossy(&run.stderr)
            ));
        }
    }
    assert!(modules.len() >= 5, "{modules:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// From an empty account to the first release, as docs/bootstrap.md tells
/// it: bootstrap, apply the platform module (twice: the second plan is
/// empty), the runner registers, deploys refused before any write (other
/// account, no platform), the app module applied on the platform's state
/// bucket (twice), then `paasc deploy --wait` with no platform flags to
/// SUCCEEDED, the audit record and the notification read back.
///
/// Stand-ins, each for what cannot run here: the runner's boot (its last
/// step, the registration, is written with the instance id of the runner
/// the auto scaling group launched), the bake (an AMI registered in the
/// account) and the runner's answers to the stage documents (scripted:
/// the AMI, then the real `terraform output -json` of the applied module).
#[test]
#[cfg(feature = "deploy")]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto, terraform): scripts/test.sh runs it"
)]
fn from_an_empty_account_to_the_first_release() {
    use pipeline_moto::{emulator, Server};
    let em = emulator::shared();
    let server = Server::start();
    let (account, region) = ("123456789012", "eu-west-1");
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir(dir.path());
    let out = dir.path().join("out");
    let env = em.credentials(account).env(em, region);

    // 1. bootstrap, and the platform module applied.
    ok(&bootstrap(&[DEMO], &tools, &out));
    let platform = terraform::Terraform::copy(
        &out.join(format!("platform/{account}-{region}")),
        &dir.path().join("platform"),
        env.clone(),
    );
    let tools_var = tools.to_string_lossy().into_owned();
    let vars = [("tools_dir", tools_var.as_str())];
    platform.init(&[]);
    platform.apply(&vars);
    platform.assert_no_changes(&vars);
    let outputs = platform.outputs();

    let ssm = |name: &str| -> Option<Value> {
        let (code, text) = server_call(
            &server,
            "ssm",
            "AmazonSSM.GetParameter",
            region,
            account,
            serde_json::json!({ "Name": name, "WithDecryption": true }),
        );
        (code == 200).then(|| serde_json::from_str::<Value>(&text).unwrap()["Parameter"].clone())
    };
    let config: paasc::model::platform::PlatformConfig = serde_json::from_str(
        ssm("/paas/platform/config").unwrap()["Value"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        config.platform_key_arn,
        outputs["platform_key_arn"]["value"].as_str().unwrap()
    );
    assert_eq!(
        config.artifact_bucket,
        format!("paas-artifacts-{account}-{region}")
    );
    assert_eq!(
        config.state_bucket,
        format!("paas-tfstate-{account}-{region}")
    );
    // The tools are in the platform's bucket, byte for byte.
    for kind in KINDS
        .iter()
        .filter(|k| k.name != "paasc" && !k.name.ends_with("-deb"))
    {
        let file = stub_file(kind);
        let got = ureq::get(&format!("{}/{}/tools/{file}", em.url, config.artifact_bucket))
            .set("x-moto-account-id", account)
            .set("Authorization", &format!("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/{region}/s3/aws4_request, SignedHeaders=host, Signature=00"))
            .call()
            .unwrap_or_else(|e| panic!("tools/{file}: {e}"))
            .into_string()
            .unwrap();
        assert_eq!(got, format!("stand-in for {file}\n"), "{file}");
    }

    // 2. The runner the auto scaling group launched registers (its boot's last step).
    let groups = server.query(
        "autoscaling",
        region,
        Some(account),
        &[
            ("Action", "DescribeAutoScalingGroups"),
            ("Version", "2011-01-01"),
            ("AutoScalingGroupNames.member.1", &config.runner_asg),
        ],
    );
    let instance = between(&groups, "<InstanceId>", "</InstanceId>")
        .unwrap_or_else(|| panic!("the runner group launched no instance: {groups}"));
    assert!(groups.contains("<MaxSize>1</MaxSize>"), "{groups}");
    // No public address, in the private subnet the module made for it
    // (the demo names no subnet), whose way out is the NAT gateway.
    let described = server.query(
        "ec2",
        region,
        Some(account),
        &[
            ("Action", "DescribeInstances"),
            ("Version", "2016-11-15"),
            ("InstanceId.1", instance),
        ],
    );
    assert!(
        !described.contains("<ipAddress>"),
        "the runner has a public address: {described}"
    );
    // What AWS applies to every instance the group launches (moto copies
    // only some of it onto its instances): IMDSv2, no public address.
    let template = server.query(
        "ec2",
        region,
        Some(account),
        &[
            ("Action", "DescribeLaunchTemplateVersions"),
            ("Version", "2016-11-15"),
            ("LaunchTemplateName", "paas-runner"),
            ("Versions.1", "$Latest"),
        ],
    );
    assert!(
        template.contains("<httpTokens>required</httpTokens>"),
        "{template}"
    );
    assert!(
        template.contains("<associatePublicIpAddress>false</associatePublicIpAddress>"),
        "{template}"
    );
    let subnet = between(&described, "<subnetId>", "</subnetId>").unwrap();
    let routes = server.query(
        "ec2",
        region,
        Some(account),
        &[
            ("Action", "DescribeRouteTables"),
            ("Version", "2016-11-15"),
            ("Filter.1.Name", "association.subnet-id"),
            ("Filter.1.Value.1", subnet),
        ],
    );
    assert!(routes.contains("<natGatewayId>nat-"), "{routes}");
    assert!(!routes.contains("<gatewayId>igw-"), "{routes}");
    server.json(
        "ssm",
        "AmazonSSM.PutParameter",
        region,
        Some(account),
        serde_json::json!({ "Name": config.runner_instance_parameter, "Value": instance, "Type": "String", "Overwrite": true }),
    );

    // 3. Refused before any write: credentials of another account, and an
    //    account with no platform.
    let written = |acct: &str| -> (String, String) {
        let (_, params) = server_call(
            &server,
            "ssm",
            "AmazonSSM.GetParametersByPath",
            region,
            acct,
            serde_json::json!({ "Path": "/paas/demo", "Recursive": true }),
        );
        let machines = server.sfn(region, acct, "ListStateMachines", serde_json::json!({}));
        (params, machines.to_string())
    };
    let before = written(account);
    let other = em.credentials("123456789013").env(em, region);
    let refused = deploy(&other, DEMO, &[]);
    assert_eq!(refused.status.code(), Some(1));
    let err = refused_with(&refused);
    assert!(
        err.contains("belong to account 123456789013")
            && err.contains("deploy with credentials of 123456789012"),
        "{err}"
    );
    let elsewhere = dir.path().join("elsewhere.paas");
    std::fs::write(
        &elsewhere,
        std::fs::read_to_string(root().join(DEMO))
            .unwrap()
            .replace(account, "123456789013"),
    )
    .unwrap();
    let refused = deploy(&other, elsewhere.to_str().unwrap(), &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        refused_with(&refused),
        "error: no paasc platform in account 123456789013, region eu-west-1: run paasc bootstrap"
    );
    assert_eq!(written(account), before);
    let (params, machines) = written("123456789013");
    assert!(!params.contains("\"Name\""), "{params}");
    assert!(!machines.contains("stateMachineArn"), "{machines}");

    // 4. The app module, on the platform's state bucket (the bake stands in
    //    as an AMI registered in the account).
    let ami = register_image(&server, region, account);
    let built = dir.path().join("built");
    ok(&paasc()
        .args(["build", DEMO, "-o"])
        .arg(&built)
        .output()
        .unwrap());
    let app_module = terraform::Terraform::copy(
        &built.join("demo/default/terraform"),
        &dir.path().join("app"),
        env.clone(),
    );
    app_module.init(&[
        ("bucket", config.state_bucket.as_str()),
        ("kms_key_id", config.platform_key_arn.as_str()),
    ]);
    let app_vars = [("ami_id", ami.as_str())];
    app_module.apply(&app_vars);
    app_module.assert_no_changes(&app_vars);
    let head = ureq::head(&format!("{}/{}/demo/default/terraform.tfstate", em.url, config.state_bucket))
        .set("x-moto-account-id", account)
        .set("Authorization", &format!("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/{region}/s3/aws4_request, SignedHeaders=host, Signature=00"))
        .call()
        .unwrap_or_else(|e| panic!("the app's state is not in the state bucket: {e}"));
    assert_eq!(head.header("x-amz-server-side-encryption"), Some("aws:kms"));
    assert_eq!(
        head.header("x-amz-server-side-encryption-aws-kms-key-id"),
        Some(config.platform_key_arn.as_str())
    );

    // 5. paasc deploy --wait, no platform flag, to SUCCEEDED.
    let app = apps(&[DEMO]).remove(0);
    pipeline_moto::script_runner(
        &server,
        &app,
        &ami,
        &app_module.outputs(),
        &pipeline_moto::Outcome::Success,
    );
    // A queue subscribed to the platform's topic reads what the pipeline sends.
    let queue = server.json(
        "sqs",
        "AmazonSQS.CreateQueue",
        region,
        Some(account),
        serde_json::json!({ "QueueName": "platform-inbox" }),
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    server.query(
        "sns",
        region,
        Some(account),
        &[
            ("Action", "Subscribe"),
            ("Version", "2010-03-31"),
            ("TopicArn", &config.topic_arn),
            ("Protocol", "sqs"),
            (
                "Endpoint",
                &format!("arn:aws:sqs:{region}:{account}:platform-inbox"),
            ),
            ("Attributes.entry.1.key", "RawMessageDelivery"),
            ("Attributes.entry.1.value", "true"),
        ],
    );
    let released = deploy(&env, DEMO, &["--wait"]);
    let stdout = String::from_utf8_lossy(&released.stdout);
    assert!(
        released.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&released.stderr)
    );
    for stage in [
        "PreProvision",
        "Bakery",
        "Provision",
        "Validation",
        "PostProvision",
    ] {
        assert!(stdout.contains(&format!("{stage}: succeeded")), "{stdout}");
    }
    assert!(stdout.trim_end().ends_with(": SUCCEEDED"), "{stdout}");
    assert!(
        stdout.contains(&format!("key {}", config.platform_key_arn)),
        "{stdout}"
    );

    // Read back: who released what, in the platform's audit table.
    let executions = server.sfn(
        region,
        account,
        "ListExecutions",
        serde_json::json!({ "stateMachineArn": format!("arn:aws:states:{region}:{account}:stateMachine:paas-demo-default") }),
    );
    let execution = executions["executions"][0]["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    let machine = server.sfn(
        region,
        account,
        "DescribeStateMachine",
        serde_json::json!({ "stateMachineArn": format!("arn:aws:states:{region}:{account}:stateMachine:paas-demo-default") }),
    );
    assert_eq!(
        machine["roleArn"],
        format!("arn:aws:iam::{account}:role/paas-sfn-demo-default")
    );
    let item = server.json(
        "dynamodb",
        "DynamoDB_20120810.GetItem",
        region,
        Some(account),
        serde_json::json!({
            "TableName": "paas-audit",
            "Key": { "release": { "S": "demo/default" }, "execution_id": { "S": execution } },
        }),
    );
    assert_eq!(
        item["Item"]["caller"]["S"],
        format!("arn:aws:sts::{account}:assumed-role/paasc-test/paasc-test"),
        "{item}"
    );
    assert_eq!(item["Item"]["status"]["S"], "SUCCEEDED", "{item}");
    // The platform's topic told the team (the spec names none).
    let got = server.json(
        "sqs",
        "AmazonSQS.ReceiveMessage",
        region,
        Some(account),
        serde_json::json!({ "QueueUrl": queue, "MaxNumberOfMessages": 10 }),
    );
    let bodies: Vec<Value> = got["Messages"]
        .as_array()
        .unwrap_or_else(|| panic!("nothing was published to {}: {got}", config.topic_arn))
        .iter()
        .map(|m| serde_json::from_str(m["Body"].as_str().unwrap()).unwrap())
        .collect();
    assert!(
        bodies
            .iter()
            .any(|b| b["result"] == "SUCCEEDED" && b["execution"] == execution.as_str()),
        "{bodies:?}"
    );

    // 6. The second release's Provision, with another AMI and what the
    //    release table says is live (blue, the first AMI): green gets the
    //    new AMI and the env's size, blue keeps its AMI and its size.
    let live = server.json(
        "dynamodb",
        "DynamoDB_20120810.GetItem",
        region,
        Some(account),
        serde_json::json!({ "TableName": "paas-releases", "Key": { "release": { "S": "demo/default" } } }),
    );
    assert_eq!(live["Item"]["live_colour"]["S"], "blue", "{live}");
    assert_eq!(live["Item"]["live_ami"]["S"], ami.as_str(), "{live}");
    let image_of = |template: &str| -> String {
        let out = server.query(
            "ec2",
            region,
            Some(account),
            &[
                ("Action", "DescribeLaunchTemplateVersions"),
                ("Version", "2016-11-15"),
                ("LaunchTemplateName", template),
                ("LaunchTemplateVersion.1", "$Latest"),
            ],
        );
        between(&out, "<imageId>", "</imageId>")
            .unwrap_or_else(|| panic!("{template}: {out}"))
            .to_string()
    };
    let group = |name: &str| -> (String, String) {
        let out = server.query(
            "autoscaling",
            region,
            Some(account),
            &[
                ("Action", "DescribeAutoScalingGroups"),
                ("Version", "2011-01-01"),
                ("AutoScalingGroupNames.member.1", name),
            ],
        );
        let get = |tag: &str| {
            between(&out, &format!("<{tag}>"), &format!("</{tag}>"))
                .unwrap_or_else(|| panic!("{name}: {out}"))
                .to_string()
        };
        (get("DesiredCapacity"), get("TargetGroupARNs"))
    };
    assert_eq!(image_of("paas-demo-default-blue"), ami);
    assert_eq!(
        group("demo-default-green").0,
        "0",
        "green is empty before its first release"
    );
    let (blue_size, blue_groups) = group("demo-default-blue");
    let ami2 = register_image_named(&server, region, account, "paas-demo-default-1.0.1");
    let release2 = [
        ("ami_id", ami2.as_str()),
        ("live_colour", "blue"),
        ("live_ami_id", ami.as_str()),
        ("blue_weight", "100"),
        ("green_weight", "0"),
    ];
    app_module.apply(&release2);
    app_module.assert_no_changes(&release2);
    assert_eq!(
        image_of("paas-demo-default-green"),
        ami2,
        "the idle colour has the new AMI"
    );
    assert_eq!(
        image_of("paas-demo-default-blue"),
        ami,
        "the live colour keeps its AMI"
    );
    assert_eq!(
        group("demo-default-blue"),
        (blue_size, blue_groups.clone()),
        "the live colour keeps its size and group"
    );
    let (green_size, green_groups) = group("demo-default-green");
    assert_eq!(green_size, "1", "the idle colour has the env's size");
    assert!(
        green_groups.contains("demo-default-green"),
        "{green_groups}"
    );
    assert!(
        !green_groups.contains("demo-default-blue"),
        "each colour in its own target group: {green_groups}"
    );
    // The alarms the bakes watch, on the colour's target group.
    let alarms = server.query(
        "monitoring",
        region,
        Some(account),
        &[
            ("Action", "DescribeAlarms"),
            ("Version", "2010-08-01"),
            ("AlarmNamePrefix", "paas-demo-default-green-"),
        ],
    );
    for kind in ["errors", "unhealthy", "latency"] {
        assert!(
            alarms.contains(&format!(
                "<AlarmName>paas-demo-default-green-{kind}</AlarmName>"
            )),
            "{alarms}"
        );
    }
    assert!(
        alarms.contains("targetgroup/demo-default-green/"),
        "{alarms}"
    );
}

#[cfg(feature = "deploy")]
/// The one error line of a refused deploy (after the spec's warnings, which
/// `paasc deploy` prints as `build` does); nothing on stdout.
fn refused_with(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert_eq!(err.lines().last(), Some(errors[0]), "{err}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    errors[0].to_string()
}

#[cfg(feature = "deploy")]
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = start + text[start..].find(close)?;
    Some(&text[start..end])
}

#[cfg(feature = "deploy")]
/// A JSON-protocol call; (status, body) whatever the status.
fn server_call(
    server: &pipeline_moto::Server,
    service: &str,
    target: &str,
    region: &str,
    account: &str,
    body: Value,
) -> (u16, String) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=00"
    );
    match ureq::post(&format!("http://127.0.0.1:{}/", server.port))
        .set("Authorization", &auth)
        .set("X-Amz-Target", target)
        .set("Content-Type", "application/x-amz-json-1.1")
        .set("x-moto-account-id", account)
        .send_string(&body.to_string())
    {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

#[cfg(feature = "deploy")]
/// The AMI the bake would have produced, owned by the account.
fn register_image(server: &pipeline_moto::Server, region: &str, account: &str) -> String {
    register_image_named(server, region, account, "paas-demo-default-1.0.0")
}

#[cfg(feature = "deploy")]
fn register_image_named(
    server: &pipeline_moto::Server,
    region: &str,
    account: &str,
    name: &str,
) -> String {
    let out = server.query(
        "ec2",
        region,
        Some(account),
        &[
            ("Action", "RegisterImage"),
            ("Version", "2016-11-15"),
            ("Name", name),
            ("RootDeviceName", "/dev/xvda"),
            ("BlockDeviceMapping.1.DeviceName", "/dev/xvda"),
            ("BlockDeviceMapping.1.Ebs.VolumeSize", "8"),
        ],
    );
    between(&out, "<imageId>", "</imageId>")
        .unwrap_or_else(|| panic!("{out}"))
        .to_string()
}

#[cfg(feature = "deploy")]
/// `paasc deploy SPEC ARGS` as these credentials, against the emulator.
fn deploy(env: &[(String, String)], spec: &str, args: &[&str]) -> Output {
    let mut c = paasc();
    c.arg("deploy").arg(spec).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// The two-account example: the image is baked in the pipeline account,
/// encrypted with the app account's key by ARN, and that key admits what
/// launching it needs in the app account and in the account it is shared
/// with (read back from the modules and the template).
#[test]
fn a_two_account_image_can_be_launched_where_it_is_shared() {
    let dir = tempfile::tempdir().unwrap();
    let tools = tools_dir(dir.path());
    let out = dir.path().join("out");
    let spec = "examples/two-account.paas";
    ok(&bootstrap(&[spec], &tools, &out));
    let app = apps(&[spec]).remove(0);
    assert!(app.bakes_elsewhere());
    let (pipeline, account, dr) = ("777788889999", "444455556666", "555566667777");
    assert_eq!(
        (app.pipeline.account.as_str(), app.account.as_str()),
        (pipeline, account)
    );

    // The template: the app account's key by ARN, the pipeline's subnet,
    // shared with the app account and the DR account.
    let template = paasc::emit::build(&app)
        .unwrap()
        .into_iter()
        .find(|a| a.path == "packer/image.pkr.hcl")
        .unwrap()
        .contents;
    let key = format!("arn:aws:kms:eu-west-1:{account}:alias/paas-orders-default");
    assert!(
        template.contains(&format!("kms_key_id   = \"{key}\"")),
        "{template}"
    );
    assert!(
        template.contains("default     = \"subnet-0f1e2d3c4b5a69788\""),
        "{template}"
    );
    assert!(
        template.contains(&format!("\"{account}\",\n    \"{dr}\"")),
        "{template}"
    );

    // The key lives in the app account's module; its policy admits the
    // pipeline's runner (the bake encrypts with it), the app account's Auto
    // Scaling role and the DR account, whose admins may grant their own
    // Auto Scaling role and nothing else.
    let kms =
        std::fs::read_to_string(out.join(format!("platform/{account}-eu-west-1/kms.tf"))).unwrap();
    assert!(
        !std::fs::read_to_string(out.join(format!("platform/{pipeline}-eu-west-1/kms.tf")))
            .unwrap()
            .contains("paas-orders-default")
    );
    let policy = kms
        .lines()
        .find(|l| l.contains("paasc: data and image of orders"))
        .and_then(|_| {
            kms.split("resource \"aws_kms_key\" \"orders__default\"")
                .nth(1)
        })
        .unwrap();
    for needle in [
        format!("arn:aws:iam::{pipeline}:role/paas-runner-eu-west-1"),
        format!("arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"),
        format!("arn:aws:iam::{dr}:root"),
        format!("\"kms:GranteePrincipal\" = [\"arn:aws:iam::{dr}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling\"]"),
        "CloudWatchLogsExport".to_string(),
    ] {
        assert!(policy.contains(&needle), "the key policy lacks {needle}:\n{policy}");
    }
    // The app account's provision role trusts the pipeline's runner.
    let host =
        std::fs::read_to_string(out.join(format!("platform/{account}-eu-west-1/host.tf"))).unwrap();
    assert!(
        host.contains(&format!(
            "\"arn:aws:iam::{pipeline}:role/paas-runner-eu-west-1\""
        )),
        "{host}"
    );
}
