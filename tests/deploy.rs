//! `paasc deploy` end to end against a local AWS emulator (moto server,
//! started per test by `scripts/moto-server.sh` on 127.0.0.1 with its
//! state-machine execution mode on), plus the AWS errors an emulator cannot
//! produce, in-process with `aws-smithy-mocks`.
//!
//! Nothing here reaches any address but loopback: static dummy credentials,
//! a region, and `AWS_EC2_METADATA_DISABLED=true` are set before any client
//! exists. A missing emulator fails the test (never skips).
//!
//! Run: `cargo test --features deploy --test deploy`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![cfg(feature = "deploy")]

#[path = "support/examples.rs"]
mod examples;

use aws_credential_types::Credentials;
use paasc::deploy::plan::{self, ArtifactsDocument};
use paasc::deploy::{
    deploy, deploy_to, deploy_with, Clients, DeployError, DeployOptions, Event, ExecutionInput,
    Outcome, Plan, Target, Timeouts,
};
use paasc::emit::{self, Artifact};
use paasc::model::names::{
    path::MANIFEST as MANIFEST_PATH, path::STATE_MACHINE as ASL_PATH, ToolStage,
};
use paasc::model::platform::{PlatformApp, PlatformConfig};
use paasc::model::{sample, App};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;
use std::time::{Duration, Instant};

const RUNNER: &str = "i-0123456789abcdef0";

// ---------------------------------------------------------------- fixtures

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Dummy credentials, a region, no instance-metadata probing; once per process
/// and before any client is built.
fn test_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
        std::env::remove_var("AWS_ENDPOINT_URL");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/paasc-test-aws-config");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/paasc-test-aws-credentials",
        );
    });
}

/// Every project example in its default env and each declared env, compiled
/// as `paasc deploy` compiles them, plus the hand-built sample models.
fn models() -> Vec<App> {
    let mut out = Vec::new();
    for file in examples::names() {
        let path = root().join("examples").join(file);
        let compile = |env: Option<&str>| {
            paasc::compile_file(&path, env, &[])
                .unwrap_or_else(|e| panic!("{} ({env:?}) does not compile:\n{e}", path.display()))
        };
        let default = compile(None);
        for env in default.envs.clone() {
            out.push(compile(Some(&env)));
        }
        out.push(default);
    }
    out.push(sample::shop_prod());
    out.push(sample::minimal());
    out
}

/// Five Pass states named after the stages; `fail` makes that stage a Fail
/// state. For `--wait`: the generated pipeline needs a whole account
/// (load balancer, runner, notification topic) to run to its end.
fn stages_asl(fail: Option<&str>) -> String {
    let names = [
        "PreProvision",
        "Bakery",
        "Provision",
        "Validation",
        "PostProvision",
    ];
    let mut states = serde_json::Map::new();
    for (i, name) in names.iter().enumerate() {
        let state = if fail == Some(*name) {
            serde_json::json!({"Type": "Fail", "Error": "Bakery.PackerFailed", "Cause": "packer build exited 1"})
        } else if let Some(next) = names.get(i + 1) {
            serde_json::json!({"Type": "Pass", "Next": next})
        } else {
            serde_json::json!({"Type": "Pass", "End": true})
        };
        states.insert((*name).to_string(), state);
    }
    serde_json::to_string_pretty(&serde_json::json!({
        "Comment": "paasc deploy --wait test pipeline",
        "StartAt": "PreProvision",
        "States": states,
    }))
    .unwrap()
}

/// What `paasc build` writes for `app`: every artifact plus `manifest.json`.
fn built(app: &App) -> Vec<Artifact> {
    emit::build(app).unwrap()
}

/// The build of `app` with its state machine replaced by `asl`.
fn built_with_asl(app: &App, asl: String) -> Vec<Artifact> {
    let mut artifacts = emit::emit_all(app).unwrap();
    artifacts.retain(|a| a.path != ASL_PATH);
    artifacts.push(Artifact::new(ASL_PATH, asl));
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = emit::manifest(app, &artifacts).unwrap();
    artifacts.push(manifest);
    artifacts
}

fn manifest_hashes(artifacts: &[Artifact]) -> BTreeMap<String, String> {
    let m = artifacts.iter().find(|a| a.path == MANIFEST_PATH).unwrap();
    let v: serde_json::Value = serde_json::from_str(&m.contents).unwrap();
    v["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap().to_string(),
                a["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// ---------------------------------------------------------------- emulator

// One emulator per test binary: the pipeline harness below includes it.
use pipeline_moto::emulator;

/// The test binary's one emulator (`tests/support/emulator.rs`); each test
/// works in accounts of its own, so tests running side by side never meet.
struct Moto {
    url: String,
}

impl Moto {
    fn start() -> Moto {
        test_env();
        Moto {
            url: emulator::shared().url.clone(),
        }
    }

    fn opts(&self) -> DeployOptions {
        DeployOptions {
            endpoint_url: Some(self.url.clone()),
            poll_interval: Some(Duration::from_millis(200)),
            max_wait: Some(Duration::from_secs(60)),
            ..DeployOptions::default()
        }
    }

    /// Credentials that act in `account`: moto's STS hands out credentials
    /// for the account of the role they assume (and checks no trust).
    fn credentials(&self, account: &str) -> Credentials {
        let c = emulator::shared().credentials(account);
        Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            None,
            "paasc-test",
        )
    }

    /// Clients that act in `account`.
    fn clients_as(&self, account: &str, region: &str) -> Clients {
        let creds = self.credentials(account);
        rt().block_on(Clients::with_credentials(region, &self.opts(), Some(creds)))
    }

    /// Clients of the app's pipeline account (where deploy writes).
    fn clients(&self, app: &App) -> Clients {
        self.clients_as(&app.pipeline.account, &app.region)
    }

    /// What `paasc bootstrap`'s module leaves in the pipeline account, as far
    /// as deploy and the first states read and write it: the platform key
    /// (alias `alias/paas-platform`), the audit table, the topic the app
    /// notifies, the artifact bucket, `/paas/platform/config`, the app's
    /// `/paas/platform/apps/<app>/<env>` and the runner's instance id
    /// (written at its boot). tests/bootstrap.rs applies the real module.
    fn platform(&self, app: &App) -> PlatformConfig {
        let account = &app.pipeline.account;
        let creds = self.credentials(account);
        // KMS through the AWS SDK for Python that ships with moto: the Rust
        // KMS client is not worth its compile time for two calls.
        let py = root().join(".tools/venv/bin/python");
        let out = Command::new(&py)
            .arg("-c")
            .arg(
                "import boto3, sys\n\
                 kms = boto3.client('kms', endpoint_url=sys.argv[1], region_name=sys.argv[2],\n\
                 \x20   aws_access_key_id=sys.argv[3], aws_secret_access_key=sys.argv[4], aws_session_token=sys.argv[5])\n\
                 aliases = {a['AliasName']: a.get('TargetKeyId') for a in kms.list_aliases()['Aliases']}\n\
                 key = aliases.get('alias/paas-platform')\n\
                 if key is None:\n\
                 \x20   key = kms.create_key(Description='paasc platform (test)')['KeyMetadata']['KeyId']\n\
                 \x20   kms.create_alias(AliasName='alias/paas-platform', TargetKeyId=key)\n\
                 ddb = boto3.client('dynamodb', endpoint_url=sys.argv[1], region_name=sys.argv[2],\n\
                 \x20   aws_access_key_id=sys.argv[3], aws_secret_access_key=sys.argv[4], aws_session_token=sys.argv[5])\n\
                 if 'paas-audit' not in ddb.list_tables()['TableNames']:\n\
                 \x20   ddb.create_table(TableName='paas-audit', BillingMode='PAY_PER_REQUEST',\n\
                 \x20       AttributeDefinitions=[{'AttributeName': 'release', 'AttributeType': 'S'},\n\
                 \x20                             {'AttributeName': 'execution_id', 'AttributeType': 'S'}],\n\
                 \x20       KeySchema=[{'AttributeName': 'release', 'KeyType': 'HASH'},\n\
                 \x20                  {'AttributeName': 'execution_id', 'KeyType': 'RANGE'}],\n\
                 \x20       SSESpecification={'Enabled': True, 'SSEType': 'KMS', 'KMSMasterKeyId': 'alias/paas-platform'})\n\
                 if 'paas-releases' not in ddb.list_tables()['TableNames']:\n\
                 \x20   ddb.create_table(TableName='paas-releases', BillingMode='PAY_PER_REQUEST',\n\
                 \x20       AttributeDefinitions=[{'AttributeName': 'release', 'AttributeType': 'S'}],\n\
                 \x20       KeySchema=[{'AttributeName': 'release', 'KeyType': 'HASH'}],\n\
                 \x20       SSESpecification={'Enabled': True, 'SSEType': 'KMS', 'KMSMasterKeyId': 'alias/paas-platform'})\n\
                 topic = sys.argv[6].split(':')\n\
                 sts = boto3.client('sts', endpoint_url=sys.argv[1], region_name=sys.argv[2],\n\
                 \x20   aws_access_key_id=sys.argv[3], aws_secret_access_key=sys.argv[4], aws_session_token=sys.argv[5])\n\
                 c = sts.assume_role(RoleArn='arn:aws:iam::%s:role/paasc-test' % topic[4], RoleSessionName='paasc-test')['Credentials']\n\
                 boto3.client('sns', endpoint_url=sys.argv[1], region_name=topic[3], aws_access_key_id=c['AccessKeyId'],\n\
                 \x20   aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken']).create_topic(Name=topic[5])\n\
                 print(kms.describe_key(KeyId=key)['KeyMetadata']['Arn'])\n",
            )
            .arg(&self.url)
            .arg(&app.region)
            .arg(creds.access_key_id())
            .arg(creds.secret_access_key())
            .arg(creds.session_token().unwrap_or_default())
            .arg(app.notification_topic())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "creating the platform key failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key_arn = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let config = PlatformConfig {
            schema: 1,
            account: account.clone(),
            region: app.region.clone(),
            platform_key_arn: key_arn,
            artifact_bucket: app.artifact_bucket(),
            state_bucket: app.state_bucket(),
            audit_table: "paas-audit".into(),
            releases_table: "paas-releases".into(),
            topic_arn: app.notification_topic(),
            runner_role_arn: app.runner_role_arn(),
            runner_asg: "paas-runner".into(),
            runner_instance_parameter: "/paas/platform/runner/instance-id".into(),
            builder_instance_profile: app.builder_instance_profile(),
        };
        let entry = PlatformApp {
            state_machine: app.state_machine_name(),
            state_machine_role_arn: app.pipeline_role_arn(),
            app_account: app.account.clone(),
            provision_role_arn: app.provision_role_arn(),
            app_key: app.kms_key_arn(),
            topic_arn: app.notification_topic(),
        };
        let clients = self.clients(app);
        rt().block_on(async {
            for (name, value, kind) in [
                (
                    "/paas/platform/config".to_string(),
                    serde_json::to_string(&config).unwrap(),
                    aws_sdk_ssm::types::ParameterType::SecureString,
                ),
                (
                    format!("/paas/platform/apps/{}/{}", app.name, app.env),
                    serde_json::to_string(&entry).unwrap(),
                    aws_sdk_ssm::types::ParameterType::SecureString,
                ),
                (
                    "/paas/platform/runner/instance-id".to_string(),
                    RUNNER.to_string(),
                    aws_sdk_ssm::types::ParameterType::String,
                ),
            ] {
                clients
                    .ssm
                    .put_parameter()
                    .name(&name)
                    .value(value)
                    .r#type(kind)
                    .overwrite(true)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            }
            let mut create = clients.s3.create_bucket().bucket(&config.artifact_bucket);
            if app.region != "us-east-1" {
                create = create.create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                            app.region.as_str(),
                        ))
                        .build(),
                );
            }
            match create.send().await {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_bucket_already_owned_by_you()) => {}
                Err(e) => panic!("creating bucket {}: {e:?}", config.artifact_bucket),
            }
        });
        config
    }

    /// The deploy's plan against the platform this harness created.
    fn plan(&self, app: &App, artifacts: &[Artifact], opts: &DeployOptions) -> Plan {
        let clients = self.clients(app);
        let target = rt()
            .block_on(paasc::deploy::platform::discover(&clients, app, opts))
            .unwrap();
        plan::plan(app, artifacts, &target).unwrap()
    }

    /// Deploys as the app's pipeline account.
    fn run(
        &self,
        app: &App,
        artifacts: &[Artifact],
        opts: &DeployOptions,
    ) -> (Result<Outcome, DeployError>, Vec<String>) {
        let clients = self.clients(app);
        let mut lines = Vec::new();
        let result = deploy_with(&clients, app, artifacts, opts, &mut |e: Event| {
            lines.push(e.to_string())
        });
        (result, lines)
    }
}

fn run(
    app: &App,
    artifacts: &[Artifact],
    opts: &DeployOptions,
) -> (Result<Outcome, DeployError>, Vec<String>) {
    let mut lines = Vec::new();
    let result = deploy(app, artifacts, opts, &mut |e: Event| {
        lines.push(e.to_string())
    });
    (result, lines)
}

/// What deploy itself writes, read back through the SDK: its parameters with
/// their versions (a rewrite shows), the objects in its bucket, state
/// machines and executions. (A started pipeline writes other things of its
/// own in the emulator; those are left out.)
#[derive(Debug, PartialEq)]
struct Snapshot {
    parameters: Vec<(String, i64)>,
    objects: Vec<String>,
    machines: Vec<String>,
    executions: Vec<String>,
}

fn snapshot(clients: &Clients, app: &App, bucket: &str) -> Snapshot {
    rt().block_on(async {
        let mut parameters = Vec::new();
        for suffix in ["config", "artifacts"] {
            let name = format!("{}{suffix}", app.parameter_path());
            if let Ok(got) = clients.ssm.get_parameter().name(&name).send().await {
                parameters.push((name, got.parameter().unwrap().version()));
            }
        }
        let mut objects = Vec::new();
        if let Ok(listed) = clients.s3.list_objects_v2().bucket(bucket).send().await {
            objects.extend(
                listed
                    .contents()
                    .iter()
                    .map(|o| o.key().unwrap().to_string()),
            );
        }
        let machines = clients.sfn.list_state_machines().send().await.unwrap();
        let mut executions = Vec::new();
        for m in machines.state_machines() {
            let e = clients
                .sfn
                .list_executions()
                .state_machine_arn(m.state_machine_arn())
                .send()
                .await
                .unwrap();
            executions.extend(e.executions().iter().map(|x| x.name().to_string()));
        }
        executions.sort();
        Snapshot {
            parameters,
            objects,
            machines: machines
                .state_machines()
                .iter()
                .map(|m| m.name().to_string())
                .collect(),
            executions,
        }
    })
}

// ---------------------------------------------------------------- against the emulator

/// The app, released from a pipeline account of the test's own (tests share
/// one emulator and keep apart by account).
fn in_account(mut app: App, account: &str) -> App {
    app.pipeline.account = account.to_string();
    app
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn deploy_writes_parameters_objects_machine_and_execution() {
    let moto = Moto::start();
    for app in models() {
        let opts = moto.opts();
        moto.platform(&app);
        let artifacts = built(&app);
        let p = moto.plan(&app, &artifacts, &opts);
        let (result, lines) = moto.run(&app, &artifacts, &opts);
        let outcome = result.unwrap_or_else(|e| panic!("{}: {e}\n{}", app.name, lines.join("\n")));
        let Outcome::Started {
            execution_arn,
            succeeded: false,
        } = outcome
        else {
            panic!("{outcome:?}")
        };

        let config = serde_json::to_string(&app).unwrap();
        for line in &lines {
            assert!(
                !line.contains(&config) && !line.contains("\"image\""),
                "a parameter value leaked: {line}"
            );
        }

        let clients = moto.clients(&app);
        rt().block_on(async {
            // Parameters: SecureString, the platform key, the right content.
            for planned in &p.parameters {
                let name = planned.name.clone();
                let suffix = name.rsplit('/').next().unwrap();
                let got = clients
                    .ssm
                    .get_parameter()
                    .name(&name)
                    .with_decryption(true)
                    .send()
                    .await
                    .unwrap();
                let param = got.parameter().unwrap();
                assert_eq!(param.r#type().unwrap().as_str(), "SecureString", "{name}");
                let value = param.value().unwrap();
                if suffix == "config" {
                    let back: serde_json::Value = serde_json::from_str(value).unwrap();
                    assert_eq!(back, serde_json::to_value(&app).unwrap());
                } else {
                    let doc: ArtifactsDocument = serde_json::from_str(value).unwrap();
                    assert_eq!(doc.bucket, p.bucket);
                    assert_eq!(doc.prefix, p.prefix);
                    assert_eq!(doc.content_hash, p.content_hash);
                    let mut expected = manifest_hashes(&artifacts);
                    let manifest = artifacts.iter().find(|a| a.path == MANIFEST_PATH).unwrap();
                    expected.insert(
                        MANIFEST_PATH.into(),
                        plan::sha256_hex(manifest.contents.as_bytes()),
                    );
                    assert_eq!(doc.objects, expected);
                }
                let described = clients
                    .ssm
                    .describe_parameters()
                    .parameter_filters(
                        aws_sdk_ssm::types::ParameterStringFilter::builder()
                            .key("Name")
                            .values(&name)
                            .build()
                            .unwrap(),
                    )
                    .send()
                    .await
                    .unwrap();
                let meta = &described.parameters()[0];
                assert_eq!(meta.key_id(), Some(p.kms_key_id.as_str()), "{name}");
                if let Some(t) = meta.tier() {
                    assert_eq!(t.as_str(), planned.tier.to_string(), "{name}");
                }
            }

            // Command documents: registered under the names the state machine
            // calls, with exactly the generated content.
            for a in artifacts.iter().filter(|a| a.path.starts_with("ssm/")) {
                let stage = a.path.trim_start_matches("ssm/").trim_end_matches(".json");
                let name = app.ssm_document_name(ToolStage::from_word(stage).unwrap());
                let doc = clients
                    .ssm
                    .get_document()
                    .name(&name)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e:?}"));
                assert_eq!(doc.content(), Some(a.contents.as_str()), "{name}");
                assert_eq!(
                    doc.document_type().map(|t| t.as_str()),
                    Some("Command"),
                    "{name}"
                );
            }

            // Objects: every artifact, SSE-KMS with the app's key, the manifest's hashes.
            let hashes = manifest_hashes(&artifacts);
            assert_eq!(hashes.len() + 1, artifacts.len());
            for a in &artifacts {
                let key = format!("{}{}", p.prefix, a.path);
                let head = clients
                    .s3
                    .head_object()
                    .bucket(&p.bucket)
                    .key(&key)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    head.server_side_encryption().map(|s| s.as_str()),
                    Some("aws:kms"),
                    "{key}"
                );
                assert_eq!(head.ssekms_key_id(), Some(p.kms_key_id.as_str()), "{key}");
                let body = clients
                    .s3
                    .get_object()
                    .bucket(&p.bucket)
                    .key(&key)
                    .send()
                    .await
                    .unwrap();
                let bytes = body.body.collect().await.unwrap().into_bytes();
                let sha = plan::sha256_hex(&bytes);
                assert_eq!(
                    head.metadata().and_then(|m| m.get("sha256")),
                    Some(&sha),
                    "{key}"
                );
                if a.path != MANIFEST_PATH {
                    assert_eq!(
                        hashes.get(&a.path),
                        Some(&sha),
                        "{key} differs from the manifest"
                    );
                }
            }

            // State machine: the generated definition, byte for byte.
            let arn = execution_arn.replacen(":execution:", ":stateMachine:", 1);
            let arn = arn.rsplit_once(':').unwrap().0.to_string();
            let machine = clients
                .sfn
                .describe_state_machine()
                .state_machine_arn(&arn)
                .send()
                .await
                .unwrap();
            assert_eq!(machine.name(), app.state_machine_name());
            let asl = artifacts.iter().find(|a| a.path == ASL_PATH).unwrap();
            assert_eq!(machine.definition(), asl.contents);
            assert_eq!(machine.role_arn(), app.pipeline_role_arn());

            // Execution: expected name and the contract's input.
            let exec = clients
                .sfn
                .describe_execution()
                .execution_arn(&execution_arn)
                .send()
                .await
                .unwrap();
            assert_eq!(exec.name(), Some(p.execution_name.as_str()));
            let input: ExecutionInput = serde_json::from_str(exec.input().unwrap()).unwrap();
            assert_eq!(
                input,
                ExecutionInput {
                    artifact_bucket: p.bucket.clone(),
                    artifact_prefix: p.prefix.clone(),
                    parameter_path: app.parameter_path(),
                    content_hash: p.content_hash.clone(),
                    version: app.version.clone(),
                    // Activity workers poll; only `workers = ssm` has a runner.
                    runner_instance_id: if app.pipeline.workers == paasc::model::Workers::Ssm {
                        RUNNER.into()
                    } else {
                        String::new()
                    },
                    state_bucket: app.state_bucket(),
                    platform_key: p.kms_key_id.clone(),
                    caller: format!(
                        "arn:aws:sts::{}:assumed-role/paasc-test/paasc-test",
                        app.pipeline.account
                    ),
                }
            );
            let raw: serde_json::Value = serde_json::from_str(exec.input().unwrap()).unwrap();
            let mut keys: Vec<&str> = raw
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                [
                    "artifact_bucket",
                    "artifact_prefix",
                    "caller",
                    "content_hash",
                    "parameter_path",
                    "platform_key",
                    "runner_instance_id",
                    "state_bucket",
                    "version"
                ]
            );
            // A later model may be the same app and env (one release at a
            // time): this one is done with.
            clients
                .sfn
                .stop_execution()
                .execution_arn(&execution_arn)
                .send()
                .await
                .unwrap();
        });
    }
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn identical_deploy_starts_nothing_new_and_changed_spec_updates() {
    let moto = Moto::start();
    let app = in_account(sample::minimal(), "100000000002");
    let opts = moto.opts();
    moto.platform(&app);
    let clients = moto.clients(&app);
    let bucket = app.artifact_bucket();

    let (first, _) = moto.run(&app, &built(&app), &opts);
    assert!(matches!(first.unwrap(), Outcome::Started { .. }));
    let after_first = snapshot(&clients, &app, &bucket);
    assert_eq!(after_first.executions.len(), 1);

    let (second, lines) = moto.run(&app, &built(&app), &opts);
    let second = second.unwrap();
    assert!(
        matches!(second, Outcome::AlreadyDeployed { .. }),
        "{second:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("already deployed")),
        "{lines:?}"
    );
    assert_eq!(
        snapshot(&clients, &app, &bucket),
        after_first,
        "a repeated deploy changed something"
    );

    let mut changed = app.clone();
    changed.pipeline.timeout_seconds = 3600;
    changed.pipeline.deadlines =
        paasc::model::deadline::plan(3600, &changed.release, [None; 4]).unwrap();
    let artifacts = built(&changed);
    // One release at a time: while the first runs, a changed spec is refused
    // before anything is written (its documents would change what the
    // running release's next stage runs).
    let first_running = rt().block_on(async {
        let machines = clients.sfn.list_state_machines().send().await.unwrap();
        let arn = machines.state_machines()[0].state_machine_arn().to_string();
        let page = clients
            .sfn
            .list_executions()
            .state_machine_arn(&arn)
            .send()
            .await
            .unwrap();
        page.executions()[0].execution_arn().to_string()
    });
    let status = |arn: &str| {
        rt().block_on(async {
            clients
                .sfn
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .unwrap()
                .status()
                .as_str()
                .to_string()
        })
    };
    assert_eq!(status(&first_running), "RUNNING", "the bake polls for 30 s");
    let (refused, lines) = moto.run(&changed, &artifacts, &opts);
    let err = refused.unwrap_err().to_string();
    assert!(
        err.starts_with("another release of minimal/default is running (execution ")
            && err.contains("nothing was written"),
        "{err}"
    );
    assert!(!err.contains('\n'), "one line: {err}");
    assert!(
        lines.iter().all(|l| !l.starts_with("uploaded")),
        "{lines:?}"
    );
    assert_eq!(
        snapshot(&clients, &app, &bucket),
        after_first,
        "a refused deploy changed something"
    );
    let waited = std::time::Instant::now();
    while status(&first_running) == "RUNNING" {
        assert!(
            waited.elapsed().as_secs() < 300,
            "the first release never ended"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let (third, lines) = moto.run(&changed, &artifacts, &opts);
    assert!(
        matches!(third.unwrap(), Outcome::Started { .. }),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("updated state machine")),
        "{lines:?}"
    );
    let after_third = snapshot(&clients, &app, &bucket);
    assert_eq!(after_third.executions.len(), 2);
    assert_eq!(after_third.machines, after_first.machines);
    rt().block_on(async {
        let machines = clients.sfn.list_state_machines().send().await.unwrap();
        let arn = machines.state_machines()[0].state_machine_arn();
        let d = clients
            .sfn
            .describe_state_machine()
            .state_machine_arn(arn)
            .send()
            .await
            .unwrap();
        assert_eq!(
            d.definition(),
            artifacts
                .iter()
                .find(|a| a.path == ASL_PATH)
                .unwrap()
                .contents
        );
    });
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn discovery_refuses_before_any_write() {
    let moto = Moto::start();
    let app = in_account(sample::shop_prod(), "100000000010");
    let bucket = app.artifact_bucket();
    let clients = moto.clients(&app);
    let artifacts = built(&app);
    let deploy = |clients: &Clients, opts: &DeployOptions| {
        deploy_with(clients, &app, &artifacts, opts, &mut |_| {}).unwrap_err()
    };
    let nothing = Snapshot {
        parameters: vec![],
        objects: vec![],
        machines: vec![],
        executions: vec![],
    };

    // An empty account.
    let err = deploy(&clients, &moto.opts());
    assert_eq!(
        err.to_string(),
        "no paasc platform in account 100000000010, region eu-west-1: run paasc bootstrap"
    );
    assert_eq!(snapshot(&clients, &app, &bucket), nothing);

    // Credentials of another account: refused before anything is read there.
    let elsewhere = moto.clients_as("100000000011", &app.region);
    let err = deploy(&elsewhere, &moto.opts());
    assert!(
        matches!(err, DeployError::WrongAccount { ref have, ref want, .. } if have == "100000000011" && want == "100000000010"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("100000000011") && !err.to_string().contains('\n'),
        "{err}"
    );
    assert_eq!(snapshot(&elsewhere, &app, &bucket), nothing);

    // A platform that does not know the app (bootstrapped before it was added).
    moto.platform(&app);
    let entry = format!("/paas/platform/apps/{}/{}", app.name, app.env);
    let runner = "/paas/platform/runner/instance-id";
    rt().block_on(clients.ssm.delete_parameter().name(&entry).send())
        .unwrap();
    let err = deploy(&clients, &moto.opts());
    assert!(
        matches!(err, DeployError::UnknownToPlatform { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("shop/prod"), "{err}");
    assert!(err.to_string().contains("paasc bootstrap"), "{err}");
    assert_eq!(snapshot(&clients, &app, &bucket), nothing);

    // A platform whose runner has not registered yet (still booting).
    moto.platform(&app);
    rt().block_on(clients.ssm.delete_parameter().name(runner).send())
        .unwrap();
    let err = deploy(&clients, &moto.opts());
    assert!(
        matches!(err, DeployError::RunnerNotRegistered { ref parameter, .. } if parameter == runner),
        "{err:?}"
    );
    assert_eq!(snapshot(&clients, &app, &bucket), nothing);
    // A dry run plans without one; a flag names one.
    let dry = DeployOptions {
        dry_run: true,
        ..moto.opts()
    };
    let target = rt()
        .block_on(paasc::deploy::platform::discover(&clients, &app, &dry))
        .unwrap();
    assert_eq!(target.runner_instance_id, None);

    // Everything else comes from the platform; the flags still win.
    let flagged = DeployOptions {
        artifact_bucket: Some("my-bucket".into()),
        role_arn: Some("arn:aws:iam::100000000010:role/mine".into()),
        runner_instance_id: Some("i-0fedcba9876543210".into()),
        ..moto.opts()
    };
    let target = rt()
        .block_on(paasc::deploy::platform::discover(&clients, &app, &flagged))
        .unwrap();
    assert_eq!(target.artifact_bucket, "my-bucket");
    assert_eq!(target.role_arn, "arn:aws:iam::100000000010:role/mine");
    assert_eq!(
        target.runner_instance_id.as_deref(),
        Some("i-0fedcba9876543210")
    );
    let config = moto.platform(&app);
    let target = rt()
        .block_on(paasc::deploy::platform::discover(
            &clients,
            &app,
            &moto.opts(),
        ))
        .unwrap();
    assert_eq!(target.artifact_bucket, config.artifact_bucket);
    assert_eq!(target.state_bucket, config.state_bucket);
    assert_eq!(target.platform_key_arn, config.platform_key_arn);
    assert_eq!(target.role_arn, app.pipeline_role_arn());
    assert_eq!(target.runner_instance_id.as_deref(), Some(RUNNER));
    assert_eq!(
        target.caller,
        "arn:aws:sts::100000000010:assumed-role/paasc-test/paasc-test"
    );
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn dry_run_changes_nothing() {
    let moto = Moto::start();
    let app = in_account(sample::shop_prod(), "100000000003");
    let opts = moto.opts();
    moto.platform(&app);
    let clients = moto.clients(&app);
    let bucket = app.artifact_bucket();
    let before = snapshot(&clients, &app, &bucket);
    assert!(
        before.parameters.is_empty() && before.objects.is_empty() && before.machines.is_empty()
    );

    let dry = DeployOptions {
        dry_run: true,
        runner_instance_id: None,
        ..opts.clone()
    };
    let (result, lines) = moto.run(&app, &built(&app), &dry);
    let p = moto.plan(&app, &built(&app), &dry);
    assert_eq!(
        result.unwrap(),
        Outcome::Planned {
            execution_name: p.execution_name.clone()
        }
    );
    assert_eq!(
        snapshot(&clients, &app, &bucket),
        before,
        "--dry-run changed the emulator"
    );
    let text = lines.join("\n");
    assert!(
        text.contains(&format!(
            "would write parameter {}config",
            app.parameter_path()
        )),
        "{text}"
    );
    assert!(text.contains("value redacted"), "{text}");
    assert!(
        text.contains(&format!(
            "would upload s3://{}/{}{}",
            p.bucket, p.prefix, MANIFEST_PATH
        )),
        "{text}"
    );
    assert!(
        text.contains("would create state machine paas-shop-prod"),
        "{text}"
    );
    assert!(
        text.contains(&format!("would start execution {}", p.execution_name)),
        "{text}"
    );
    assert!(!text.contains("\"image\""), "{text}");

    // After a real deploy, a dry run of a changed spec plans an update.
    moto.run(&app, &built(&app), &opts).0.unwrap();
    let mut changed = app.clone();
    changed.pipeline.timeout_seconds += 1;
    let before = snapshot(&clients, &app, &bucket);
    let (result, lines) = moto.run(&changed, &built(&changed), &dry);
    assert!(matches!(result.unwrap(), Outcome::Planned { .. }));
    assert!(
        lines
            .iter()
            .any(|l| l == "would update state machine paas-shop-prod"),
        "{lines:?}"
    );
    // The real deploy's execution still runs: the plan says a deploy now
    // would be refused.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("another release of shop/prod is running")
                && l.ends_with("a deploy now would be refused")),
        "{lines:?}"
    );
    assert_eq!(
        snapshot(&clients, &app, &bucket),
        before,
        "--dry-run changed the emulator"
    );
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn a_failed_upload_starts_nothing() {
    let moto = Moto::start();
    let app = in_account(sample::minimal(), "100000000004");
    moto.platform(&app);
    let opts = DeployOptions {
        artifact_bucket: Some("paasc-no-such-bucket".into()),
        ..moto.opts()
    };
    let (result, lines) = moto.run(&app, &built(&app), &opts);
    let err = result.unwrap_err();
    assert!(
        matches!(err, DeployError::BucketMissing { .. }),
        "{err:?}\n{lines:?}"
    );
    assert!(err.to_string().contains("paasc-no-such-bucket"), "{err}");
    let after = snapshot(&moto.clients(&app), &app, "paasc-no-such-bucket");
    assert!(
        after.machines.is_empty() && after.executions.is_empty(),
        "{after:?}"
    );
    assert!(
        after.parameters.is_empty(),
        "parameters point at objects that were never uploaded: {after:?}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn oversized_parameter_is_refused_before_any_write() {
    let moto = Moto::start();
    let app = {
        let mut app = in_account(sample::minimal(), "100000000005");
        app.image
            .attributes
            .insert("blob".into(), serde_json::Value::String("x".repeat(9000)));
        app
    };
    moto.platform(&app);
    let clients = moto.clients(&app);
    let before = snapshot(&clients, &app, &app.artifact_bucket());
    let (result, lines) = moto.run(&app, &built(&app), &moto.opts());
    let err = result.unwrap_err();
    assert!(
        matches!(err, DeployError::ParameterTooLarge { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("/paas/minimal/default/config"),
        "{err}"
    );
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(snapshot(&clients, &app, &app.artifact_bucket()), before);
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn wait_reports_each_stage_and_success() {
    let moto = Moto::start();
    let app = in_account(sample::minimal(), "100000000006");
    let opts = DeployOptions {
        wait: true,
        ..moto.opts()
    };
    moto.platform(&app);
    let artifacts = built_with_asl(&app, stages_asl(None));
    let (result, lines) = moto.run(&app, &artifacts, &opts);
    let outcome = result.unwrap_or_else(|e| panic!("{e}\n{}", lines.join("\n")));
    assert!(
        matches!(
            outcome,
            Outcome::Started {
                succeeded: true,
                ..
            }
        ),
        "{outcome:?}"
    );
    for stage in [
        "PreProvision",
        "Bakery",
        "Provision",
        "Validation",
        "PostProvision",
    ] {
        assert!(lines.contains(&format!("{stage}: entered")), "{lines:#?}");
        assert!(lines.contains(&format!("{stage}: succeeded")), "{lines:#?}");
    }
    assert!(lines.last().unwrap().ends_with(": SUCCEEDED"), "{lines:#?}");
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn wait_reports_the_failing_stage() {
    let moto = Moto::start();
    let app = in_account(sample::minimal(), "100000000007");
    let opts = DeployOptions {
        wait: true,
        ..moto.opts()
    };
    moto.platform(&app);
    let artifacts = built_with_asl(&app, stages_asl(Some("Bakery")));
    let (result, lines) = moto.run(&app, &artifacts, &opts);
    let err = result.unwrap_err();
    let DeployError::ExecutionFailed {
        ref status,
        ref stage,
        ref error,
        ref cause,
        ..
    } = err
    else {
        panic!("{err:?}\n{lines:#?}")
    };
    assert_eq!(status, "FAILED");
    assert_eq!(stage.as_deref(), Some("Bakery"));
    assert_eq!(error, "Bakery.PackerFailed");
    assert_eq!(cause, "packer build exited 1");
    assert!(
        lines.contains(&"PreProvision: succeeded".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"Bakery: failed: Bakery.PackerFailed: packer build exited 1".to_string()),
        "{lines:#?}"
    );
    assert!(err.to_string().contains("FAILED in stage Bakery"), "{err}");
}

// ---------------------------------------------------------------- --wait on the generated pipeline

/// The Step Functions emitter's own emulator harness: it creates what the
/// generated pipeline's tasks touch (load balancer, target groups, listener,
/// audit table, topic) and scripts what the runner "prints" per SSM document.
#[path = "stepfunctions/moto.rs"]
#[allow(dead_code)]
mod pipeline_moto;

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn wait_follows_the_generated_pipeline_to_success_and_to_a_failing_stage() {
    let moto = Moto::start();
    let app = pipeline_moto::isolated(
        pipeline_moto::executable(
            paasc::compile_file(&root().join("examples/shop.paas"), Some("prod"), &[]).unwrap(),
        ),
        "100000000008",
        "100000000009",
    );
    let server = pipeline_moto::Server::start();
    let env = pipeline_moto::Env::prepare(&server, &app);
    let opts = DeployOptions {
        wait: true,
        poll_interval: Some(Duration::from_secs(1)),
        max_wait: Some(Duration::from_secs(600)),
        ..moto.opts()
    };
    moto.platform(&app);

    // The harness scripts the runner's answers when it runs an execution of
    // its own; they stay in place for the deploy's execution that follows.
    let warmup = env.run(&app, "warmup-success", pipeline_moto::Outcome::Success);
    assert_eq!(warmup.status, "SUCCEEDED", "{}", warmup.history_text());
    let (result, lines) = moto.run(&app, &built(&app), &opts);
    let outcome = result.unwrap_or_else(|e| panic!("{e}\n{}", lines.join("\n")));
    assert!(
        matches!(
            outcome,
            Outcome::Started {
                succeeded: true,
                ..
            }
        ),
        "{outcome:?}"
    );
    for stage in [
        "PreProvision",
        "Bakery",
        "Provision",
        "Validation",
        "PostProvision",
    ] {
        assert!(lines.contains(&format!("{stage}: entered")), "{lines:#?}");
        assert!(lines.contains(&format!("{stage}: succeeded")), "{lines:#?}");
    }
    assert!(lines.last().unwrap().ends_with(": SUCCEEDED"), "{lines:#?}");

    let warmup = env.run(
        &app,
        "warmup-bake-fails",
        pipeline_moto::Outcome::FailAt("bake"),
    );
    assert_eq!(warmup.status, "FAILED", "{}", warmup.history_text());
    let mut changed = app.clone();
    changed.version = "1.4.1".into();
    let (result, lines) = moto.run(&changed, &built(&changed), &opts);
    let err = result.unwrap_err();
    let DeployError::ExecutionFailed {
        ref status,
        ref stage,
        ref error,
        ..
    } = err
    else {
        panic!("{err:?}\n{lines:#?}")
    };
    assert_eq!(status, "FAILED", "{lines:#?}");
    assert_eq!(stage.as_deref(), Some("Bakery"), "{lines:#?}");
    assert!(!error.is_empty(), "{err}");
    assert!(
        lines.contains(&"PreProvision: succeeded".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Bakery: failed: ")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("Provision: ")),
        "{lines:#?}"
    );
}

// ---------------------------------------------------------------- a dead emulator

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn nothing_listening_is_unreachable_within_seconds() {
    test_env();
    let app = sample::minimal();
    let opts = DeployOptions {
        endpoint_url: Some(format!("http://127.0.0.1:{}", free_port())),
        runner_instance_id: Some(RUNNER.into()),
        ..DeployOptions::default()
    };
    let started = Instant::now();
    let (result, _) = run(&app, &built(&app), &opts);
    let err = result.unwrap_err();
    assert!(
        started.elapsed() < opts.timeouts.operation,
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(err, DeployError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("cannot reach http://127.0.0.1:"), "{text}");
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn a_silent_endpoint_times_out_within_the_configured_time() {
    test_env();
    // Accepts connections and never answers (bounded: the thread ends with the listener's deadline).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut held = Vec::new();
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((stream, _)) => held.push(stream),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    let app = sample::minimal();
    // The default time-outs: the point is that they exist (the SDK's own would wait forever).
    let opts = DeployOptions {
        endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        runner_instance_id: Some(RUNNER.into()),
        ..DeployOptions::default()
    };
    let started = Instant::now();
    let (result, _) = run(&app, &built(&app), &opts);
    let elapsed = started.elapsed();
    let err = result.unwrap_err();
    assert!(
        elapsed <= opts.timeouts.operation + Duration::from_secs(3),
        "took {elapsed:?}"
    );
    assert!(matches!(err, DeployError::TimedOut { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("did not answer sts:GetCallerIdentity within 30s"),
        "{err}"
    );
}

#[test]
fn no_credentials_is_one_clear_message() {
    use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};
    #[derive(Debug)]
    struct Nothing;
    impl ProvideCredentials for Nothing {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
                "no providers in chain provided credentials",
            )))
        }
    }
    test_env();
    let app = sample::minimal();
    let opts = DeployOptions {
        endpoint_url: Some(format!("http://127.0.0.1:{}", free_port())),
        runner_instance_id: Some(RUNNER.into()),
        ..DeployOptions::default()
    };
    let config = rt().block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .endpoint_url(opts.endpoint_url.clone().unwrap())
            .credentials_provider(Nothing)
            .load(),
    );
    let clients = Clients {
        ssm: aws_sdk_ssm::Client::new(&config),
        s3: aws_sdk_s3::Client::new(&config),
        sfn: aws_sdk_sfn::Client::new(&config),
        sts: aws_sdk_sts::Client::new(&config),
        endpoint: opts.endpoint_url.clone().unwrap(),
        timeouts: Timeouts::default(),
    };
    let err = deploy_with(&clients, &app, &built(&app), &opts, &mut |_| {}).unwrap_err();
    assert!(matches!(err, DeployError::NoCredentials { .. }), "{err:?}");
    assert!(err.to_string().starts_with("no AWS credentials"), "{err}");
}

// ---------------------------------------------------------------- typed errors, in-process

mod mocked {
    use super::*;
    use aws_smithy_mocks::{
        create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode,
    };

    const SM_ARN: &str = "arn:aws:states:eu-west-1:111122223333:stateMachine:paas-minimal-default";

    fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
        rules.iter().fold(
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
            |i, r| i.with_rule(r),
        )
    }

    fn retry() -> aws_config::retry::RetryConfig {
        aws_config::retry::RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(5))
    }

    /// The command documents do not exist yet and are created.
    fn documents_missing() -> (Rule, Rule) {
        let get = mock!(aws_sdk_ssm::Client::get_document)
            .sequence()
            .http_status(
                400,
                json_error("InvalidDocument", "The specified document does not exist."),
            )
            .repeatedly()
            .build();
        let create = mock!(aws_sdk_ssm::Client::create_document).then_output(|| {
            aws_sdk_ssm::operation::create_document::CreateDocumentOutput::builder().build()
        });
        (get, create)
    }

    /// Clients whose every call is answered by `rules` (in any order); the
    /// command documents are always answered as missing, then created.
    fn clients(ssm: &[&Rule], s3: &[&Rule], sfn: &[&Rule]) -> Clients {
        let (get_doc, create_doc) = documents_missing();
        let mut ssm: Vec<&Rule> = ssm.to_vec();
        ssm.extend([&get_doc, &create_doc]);
        let ssm = ssm.as_slice();
        let creds =
            aws_credential_types::Credentials::new("AKIDTEST", "secret", None, None, "test");
        let region = aws_config::Region::new("eu-west-1");
        let latest = aws_config::BehaviorVersion::latest();
        Clients {
            ssm: aws_sdk_ssm::Client::from_conf(
                aws_sdk_ssm::Config::builder()
                    .behavior_version(latest)
                    .region(region.clone())
                    .credentials_provider(creds.clone())
                    .http_client(create_mock_http_client())
                    .retry_config(retry())
                    .interceptor(interceptor(ssm))
                    .build(),
            ),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::Config::builder()
                    .behavior_version(latest)
                    .region(region.clone())
                    .credentials_provider(creds.clone())
                    .http_client(create_mock_http_client())
                    .retry_config(retry())
                    .interceptor(interceptor(s3))
                    .build(),
            ),
            sfn: aws_sdk_sfn::Client::from_conf(
                aws_sdk_sfn::Config::builder()
                    .behavior_version(latest)
                    .region(region.clone())
                    .credentials_provider(creds.clone())
                    .http_client(create_mock_http_client())
                    .retry_config(retry())
                    .interceptor(interceptor(sfn))
                    .build(),
            ),
            // Never called: these tests start after the discovery (`deploy_to`).
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::Config::builder()
                    .behavior_version(latest)
                    .region(region)
                    .credentials_provider(creds)
                    .http_client(create_mock_http_client())
                    .retry_config(retry())
                    .interceptor(interceptor(&[]))
                    .build(),
            ),
            endpoint: "mock".into(),
            timeouts: Timeouts::default(),
        }
    }

    fn json_error(code: &str, message: &str) -> Option<String> {
        Some(serde_json::json!({"__type": code, "message": message}).to_string())
    }

    fn opts() -> DeployOptions {
        DeployOptions {
            runner_instance_id: Some(RUNNER.into()),
            ..DeployOptions::default()
        }
    }

    fn no_machines() -> Rule {
        mock!(aws_sdk_sfn::Client::list_state_machines).then_output(|| {
            aws_sdk_sfn::operation::list_state_machines::ListStateMachinesOutput::builder()
                .set_state_machines(Some(Vec::new()))
                .build()
                .unwrap()
        })
    }

    fn param_ok() -> Rule {
        mock!(aws_sdk_ssm::Client::put_parameter).then_output(|| {
            aws_sdk_ssm::operation::put_parameter::PutParameterOutput::builder()
                .version(1)
                .build()
        })
    }

    fn object_ok() -> Rule {
        mock!(aws_sdk_s3::Client::put_object)
            .then_output(|| aws_sdk_s3::operation::put_object::PutObjectOutput::builder().build())
    }

    fn create_ok() -> Rule {
        mock!(aws_sdk_sfn::Client::create_state_machine).then_output(|| {
            aws_sdk_sfn::operation::create_state_machine::CreateStateMachineOutput::builder()
                .state_machine_arn(SM_ARN)
                .creation_date(aws_sdk_sfn::primitives::DateTime::from_secs(0))
                .build()
                .unwrap()
        })
    }

    fn start_never() -> Rule {
        mock!(aws_sdk_sfn::Client::start_execution).then_output(|| {
            aws_sdk_sfn::operation::start_execution::StartExecutionOutput::builder()
                .execution_arn("arn:x")
                .start_date(aws_sdk_sfn::primitives::DateTime::from_secs(0))
                .build()
                .unwrap()
        })
    }

    /// What the platform of the minimal app's account says (as `discover`
    /// would read it), with the runner the options name.
    fn target(app: &App) -> Target {
        Target {
            caller: "arn:aws:sts::111122223333:assumed-role/ci/run-1".into(),
            artifact_bucket: app.artifact_bucket(),
            role_arn: app.pipeline_role_arn(),
            platform_key_arn: PLATFORM_KEY.into(),
            state_bucket: app.state_bucket(),
            runner_instance_id: Some(RUNNER.into()),
        }
    }

    const PLATFORM_KEY: &str =
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn deploy_minimal(c: &Clients) -> Result<Outcome, DeployError> {
        test_env();
        let app = sample::minimal();
        deploy_to(c, &app, &built(&app), &target(&app), &opts(), &mut |_| {})
    }

    #[test]
    fn throttling_after_the_retries() {
        let throttled = mock!(aws_sdk_sfn::Client::start_execution)
            .sequence()
            .http_status(400, json_error("ThrottlingException", "Rate exceeded"))
            .times(3)
            .build();
        let (list, p, o, c) = (no_machines(), param_ok(), object_ok(), create_ok());
        let err = deploy_minimal(&clients(&[&p], &[&o], &[&list, &c, &throttled])).unwrap_err();
        assert_eq!(throttled.num_calls(), 3, "the SDK's retries were not used");
        assert_eq!(
            err,
            DeployError::Throttled {
                operation: "states:StartExecution".into(),
                attempts: 3
            }
        );
        assert!(
            err.to_string().contains("throttled states:StartExecution"),
            "{err}"
        );
    }

    #[test]
    fn access_denied_names_the_operation_and_the_policy() {
        let denied = mock!(aws_sdk_ssm::Client::put_parameter)
            .sequence()
            .http_status(
                400,
                json_error(
                    "AccessDeniedException",
                    "User: arn:aws:iam::1:user/x is not authorized to perform: ssm:PutParameter",
                ),
            )
            .build();
        let (list, start, o) = (no_machines(), start_never(), object_ok());
        let err = deploy_minimal(&clients(&[&denied], &[&o], &[&list, &start])).unwrap_err();
        assert!(
            matches!(err, DeployError::AccessDenied { ref operation, .. } if operation == "ssm:PutParameter"),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("docs/deploy-iam-policy.json"),
            "{err}"
        );
        assert_eq!(
            start.num_calls(),
            0,
            "an execution started after a failed write"
        );
    }

    #[test]
    fn kms_key_missing_on_parameter_and_object() {
        let bad_key = mock!(aws_sdk_ssm::Client::put_parameter)
            .sequence()
            .http_status(
                400,
                json_error("InvalidKeyId", &format!("Invalid keyId {PLATFORM_KEY}")),
            )
            .build();
        let (list, start, o) = (no_machines(), start_never(), object_ok());
        let err = deploy_minimal(&clients(&[&bad_key], &[&o], &[&list, &start])).unwrap_err();
        assert!(
            matches!(err, DeployError::KmsKey { ref key, .. } if key == PLATFORM_KEY),
            "{err:?}"
        );

        let s3_kms = mock!(aws_sdk_s3::Client::put_object)
            .sequence()
            .http_status(
                400,
                Some(format!("<Error><Code>KMS.NotFoundException</Code><Message>Key '{PLATFORM_KEY}' does not exist</Message></Error>")),
            )
            .build();
        let (list, start, p) = (no_machines(), start_never(), param_ok());
        let err = deploy_minimal(&clients(&[&p], &[&s3_kms], &[&list, &start])).unwrap_err();
        assert!(
            matches!(err, DeployError::KmsKey { ref operation, .. } if operation == "s3:PutObject"),
            "{err:?}"
        );
        assert_eq!(
            start.num_calls(),
            0,
            "an execution started after a failed upload"
        );
        assert_eq!(
            p.num_calls(),
            0,
            "parameters written before the uploads succeeded"
        );
    }

    #[test]
    fn invalid_definition_is_reported_with_the_service_message() {
        let invalid = mock!(aws_sdk_sfn::Client::create_state_machine)
            .sequence()
            .http_status(
                400,
                json_error(
                    "InvalidDefinition",
                    "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET'",
                ),
            )
            .build();
        let (list, p, o, start) = (no_machines(), param_ok(), object_ok(), start_never());
        let err = deploy_minimal(&clients(&[&p], &[&o], &[&list, &invalid, &start])).unwrap_err();
        assert!(
            matches!(err, DeployError::InvalidDefinition { .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("MISSING_TRANSITION_TARGET"),
            "{err}"
        );
        assert_eq!(start.num_calls(), 0);
    }

    #[test]
    fn rejected_credentials() {
        let bad = mock!(aws_sdk_sfn::Client::list_state_machines)
            .sequence()
            .http_status(
                400,
                json_error(
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.",
                ),
            )
            .build();
        let err = deploy_minimal(&clients(&[], &[], &[&bad])).unwrap_err();
        assert!(matches!(err, DeployError::BadCredentials { .. }), "{err:?}");
    }

    #[test]
    fn parameter_values_are_redacted_from_service_messages() {
        let app = sample::minimal();
        let config = serde_json::to_string(&app).unwrap();
        let echo = format!(
            "1 validation error detected: Value '{config}' at 'value' failed to satisfy constraint"
        );
        let invalid = mock!(aws_sdk_ssm::Client::put_parameter)
            .sequence()
            .http_status(400, json_error("ValidationException", &echo))
            .build();
        let (list, o) = (no_machines(), object_ok());
        let err = deploy_minimal(&clients(&[&invalid], &[&o], &[&list])).unwrap_err();
        let text = err.to_string();
        assert!(
            !text.contains(&config) && !text.contains("amazon-linux"),
            "{text}"
        );
        assert!(text.contains("Value '<redacted>'"), "{text}");
    }

    #[test]
    fn a_parameter_once_advanced_stays_advanced() {
        let refused = "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the \
                       advanced-parameter tier to the standard-parameter tier.";
        let put = mock!(aws_sdk_ssm::Client::put_parameter)
            .sequence()
            .http_status(400, json_error("ValidationException", refused))
            .output(|| {
                aws_sdk_ssm::operation::put_parameter::PutParameterOutput::builder()
                    .version(2)
                    .build()
            })
            .repeatedly()
            .build();
        let (list, o, c, start) = (no_machines(), object_ok(), create_ok(), start_never());
        let outcome = deploy_minimal(&clients(&[&put], &[&o], &[&list, &c, &start])).unwrap();
        assert!(matches!(outcome, Outcome::Started { .. }), "{outcome:?}");
        assert_eq!(
            put.num_calls(),
            3,
            "one refused Standard write, then config and artifacts"
        );
        assert_eq!(start.num_calls(), 1);
    }

    #[test]
    fn no_runner_instance_is_refused_before_any_write() {
        let (list, p) = (no_machines(), param_ok());
        test_env();
        let app = sample::minimal();
        let opts = DeployOptions::default();
        let target = Target {
            runner_instance_id: None,
            ..target(&app)
        };
        let err = deploy_to(
            &clients(&[&p], &[], &[&list]),
            &app,
            &built(&app),
            &target,
            &opts,
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(err, DeployError::NoRunner);
        assert_eq!(p.num_calls(), 0);
    }
}

// ---------------------------------------------------------------- agreement with the emitters

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn deploy_and_the_state_machine_agree_on_the_input() {
    use paasc::model::names::input;
    for app in models() {
        let target = Target {
            caller: "arn:aws:sts::111122223333:assumed-role/ci/run-1".into(),
            artifact_bucket: app.artifact_bucket(),
            role_arn: app.pipeline_role_arn(),
            platform_key_arn: "arn:aws:kms:eu-west-1:111122223333:key/k".into(),
            state_bucket: app.state_bucket(),
            runner_instance_id: Some(RUNNER.into()),
        };
        let p = plan::plan(&app, &built(&app), &target).unwrap();
        // The input deploy sends has exactly the fields of the contract.
        let sent = serde_json::to_value(p.input()).unwrap();
        let mut fields: Vec<&str> = sent
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort_unstable();
        let mut contract = input::ALL.to_vec();
        contract.sort_unstable();
        assert_eq!(fields, contract, "{}/{}", app.name, app.env);
        let asl = &built(&app)
            .into_iter()
            .find(|a| a.path == ASL_PATH)
            .unwrap()
            .contents;
        // What only a deploy knows must come from the input, not from the model.
        let mut keys = vec![
            input::ARTIFACT_BUCKET,
            input::ARTIFACT_PREFIX,
            input::STATE_BUCKET,
            input::PLATFORM_KEY,
            input::CALLER,
        ];
        if app.pipeline.workers == paasc::model::Workers::Ssm {
            keys.push(input::RUNNER_INSTANCE_ID);
        }
        for key in keys {
            assert!(
                asl.contains(&format!("$.{key}")),
                "{}/{}: the state machine never reads `{key}`",
                app.name,
                app.env
            );
        }
    }
}

// ---------------------------------------------------------------- the documented policy

#[test]
fn the_iam_policy_grants_exactly_the_calls_deploy_makes() {
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/deploy-iam-policy.json")).unwrap(),
    )
    .unwrap();
    let mut granted = std::collections::BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        match &statement["Action"] {
            serde_json::Value::String(a) => {
                granted.insert(a.clone());
            }
            serde_json::Value::Array(list) => {
                granted.extend(list.iter().map(|a| a.as_str().unwrap().to_string()))
            }
            other => panic!("bad Action {other}"),
        }
        assert!(
            !statement["Action"].to_string().contains('*'),
            "wildcard action in {statement}"
        );
    }
    // Every AWS call in src/deploy names its IAM action for error messages.
    let mut called = std::collections::BTreeSet::new();
    for (file, marker) in [
        ("src/deploy/aws.rs", "self.ctx(\""),
        ("src/deploy/platform.rs", "ctx(clients, \""),
    ] {
        let source = std::fs::read_to_string(root().join(file)).unwrap();
        let found: Vec<String> = source
            .split(marker)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_string())
            .collect();
        assert!(!found.is_empty(), "no call found in {file}");
        called.extend(found);
    }
    // sts:GetCallerIdentity needs no permission (an explicit deny cannot stop it).
    assert!(called.remove("sts:GetCallerIdentity"));
    // What the calls need besides their own action: encrypting the uploads
    // and the parameters, decrypting the platform's, passing the role.
    called.extend(
        [
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "iam:PassRole",
        ]
        .map(String::from),
    );
    assert_eq!(granted, called);
}

// ---------------------------------------------------------------- activity workers

#[path = "support/stub_tools.rs"]
mod stub_tools;

/// A runner on the test machine for `paasc worker`: the stub tools first on
/// PATH, its verified builder tools, its environment file, the stub bucket
/// the scripts' `aws s3 cp` reads (holding what deploy uploaded), and the
/// worker's log directory.
struct StubRunner {
    dir: tempfile::TempDir,
}

impl StubRunner {
    fn new(terraform_outputs: &serde_json::Value) -> StubRunner {
        let dir = tempfile::tempdir().unwrap();
        stub_tools::install(dir.path());
        stub_tools::runner(
            dir.path(),
            &[
                "cinc-18.6.2-1.el9.x86_64.rpm",
                "amazon-cloudwatch-agent-1.300057.1.x86_64.rpm",
            ],
        );
        std::fs::write(
            dir.path().join("outputs.json"),
            terraform_outputs.to_string(),
        )
        .unwrap();
        StubRunner { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// What deploy uploaded, in the stub bucket the scripts read.
    fn put_release(&self, app: &App, artifacts: &[Artifact]) {
        let manifest = artifacts.iter().find(|a| a.path == MANIFEST_PATH).unwrap();
        let prefix = format!(
            "{}/{}/{}/{}/",
            app.name,
            app.env,
            app.version,
            paasc::hash::sha256_hex(manifest.contents.as_bytes())
        );
        stub_tools::put_release(&self.path("s3"), &app.artifact_bucket(), &prefix, artifacts);
    }

    /// `paasc worker` serving the app's activities as the pipeline account
    /// of the emulator; its log lines go to `worker.log`.
    fn worker(&self, app: &App, extra: &[&str]) -> std::process::Child {
        let emulator = emulator::shared();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_paasc"));
        cmd.arg("worker")
            .arg("--name")
            .arg("test-worker")
            .arg("--log-dir")
            .arg(self.path("logs"))
            .args(extra);
        for stage in ToolStage::ALL {
            cmd.arg("--activity").arg(app.activity_arn(stage));
        }
        for (k, v) in emulator
            .credentials(&app.pipeline.account)
            .env(emulator, &app.region)
        {
            cmd.env(k, v);
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("worker.log"))
            .unwrap();
        cmd.env(
            "PATH",
            format!(
                "{}:{}",
                self.path("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("PAASC_RUNNER_ENV", self.path("runner-env"))
        .env("STUB_LOG", self.path("tools.log"))
        .env("STUB_DIR", self.dir.path())
        .env("STUB_S3", self.path("s3"))
        .env("STUB_REGION", &app.region)
        .env("STUB_TF_OUTPUTS", self.path("outputs.json"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path("worker.log")).unwrap_or_default()
    }

    /// Waits for the worker to exit; its status.
    fn exits_within(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
        let until = Instant::now() + limit;
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s.code();
            }
            if Instant::now() > until {
                let _ = child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Stops a stub build still sleeping (its worker was killed).
    fn stop_build(&self) {
        if let Ok(pid) = std::fs::read_to_string(self.path("packer.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

fn signal(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until the execution's history shows an activity task started.
fn wait_for_activity_start(env: &pipeline_moto::Env, arn: &str) {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let started = env
            .history(arn)
            .iter()
            .any(|e| e["type"] == "ActivityStarted");
        if started {
            return;
        }
        assert!(Instant::now() < until, "no activity task started: {arn}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// batch (examples/batch.paas) is ledger's twin: a launch configuration,
/// a rolling release and `workers = activity`.
fn activity_app(pipeline: &str, account: &str) -> App {
    let app = pipeline_moto::isolated(
        pipeline_moto::executable(
            paasc::compile_file(&root().join("examples/batch.paas"), None, &[]).unwrap(),
        ),
        pipeline,
        account,
    );
    assert_eq!(app.pipeline.workers, paasc::model::Workers::Activity);
    app
}

fn started(result: Result<Outcome, DeployError>, lines: &[String]) -> String {
    match result {
        Ok(Outcome::Started { execution_arn, .. }) => execution_arn,
        other => panic!("{other:?}\n{lines:#?}"),
    }
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn a_worker_serves_every_stage_to_success_and_a_failed_bake_to_failure() {
    let moto = Moto::start();
    let app = activity_app("100000000031", "100000000032");
    let server = pipeline_moto::Server::start();
    let env = pipeline_moto::Env::prepare(&server, &app);
    moto.platform(&app);
    let runner = StubRunner::new(env.terraform_outputs());
    // The refresh Terraform's apply starts when the launch configuration changes.
    env.start_instance_refresh(&app.asg_name("this"));

    // Deploy creates every activity the definition names, and reads each back.
    let artifacts = built(&app);
    runner.put_release(&app, &artifacts);
    let (result, lines) = moto.run(&app, &artifacts, &moto.opts());
    let arn = started(result, &lines);
    let definition = artifacts.iter().find(|a| a.path == ASL_PATH).unwrap();
    for stage in ToolStage::ALL {
        let activity = app.activity_arn(stage);
        assert!(definition.contents.contains(&activity), "{activity}");
        let name = activity.rsplit(':').next().unwrap();
        assert!(
            lines.contains(&format!("created activity {name}")),
            "{lines:#?}"
        );
        let described = server.sfn(
            &app.region,
            &app.pipeline.account,
            "DescribeActivity",
            serde_json::json!({ "activityArn": activity }),
        );
        assert_eq!(described["name"], name, "{described}");
    }

    let mut worker = runner.worker(&app, &["--concurrency", "2"]);
    let run = env.wait(&arn);
    assert_eq!(
        run.status,
        "SUCCEEDED",
        "{}\nworker:\n{}",
        run.history_text(),
        runner.log()
    );
    // Every stage ran on the worker, which answered with the stage's result.
    let started_by: Vec<&serde_json::Value> = run
        .events
        .iter()
        .filter(|e| e["type"] == "ActivityStarted")
        .collect();
    assert_eq!(started_by.len(), 4, "{}", run.history_text());
    for e in started_by {
        assert_eq!(
            e["activityStartedEventDetails"]["workerName"],
            "test-worker"
        );
    }
    let bake = run
        .events
        .iter()
        .find(|e| e["type"] == "ActivitySucceeded")
        .unwrap();
    assert!(bake.to_string().contains("ami-0123456789abcdef0"), "{bake}");
    assert_eq!(
        env.release_item(&app)["live_ami"]["S"],
        "ami-0123456789abcdef0"
    );
    // The scripts really ran: packer built, terraform applied, InSpec checked.
    let tools = std::fs::read_to_string(runner.path("tools.log")).unwrap();
    for call in ["packer build", "terraform apply", "cinc-auditor exec"] {
        assert!(tools.contains(call), "{call} never ran:\n{tools}");
    }
    let log = runner.log();
    let lines_of = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    assert_eq!(lines_of(": succeeded in "), 4, "{log}");
    assert!(log.contains("batch/default bake of "), "{log}");
    assert!(log.contains("(ami-0123456789abcdef0)"), "{log}");
    // Each task's script and its output are kept for the operator.
    let kept = runner.path("logs").join("batch-default");
    let execution = std::fs::read_dir(&kept)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for f in ["bake.sh", "bake.log", "provision.sh", "validate.log"] {
        assert!(execution.join(f).is_file(), "{f} not kept in {execution:?}");
    }

    // The next release's bake fails: the same worker reports it, the
    // pipeline rolls back, nothing is retried.
    std::fs::write(runner.path("packer-fails"), "").unwrap();
    let mut next = app.clone();
    next.version = "3.2.1".into();
    let artifacts = built(&next);
    runner.put_release(&next, &artifacts);
    let (result, lines) = moto.run(&next, &artifacts, &moto.opts());
    let arn = started(result, &lines);
    assert!(
        lines.contains(&"activity paas-batch-default-bake exists".to_string()),
        "{lines:#?}"
    );
    let run = env.wait(&arn);
    assert_eq!(run.status, "FAILED", "{}", run.history_text());
    assert_eq!(run.error.as_deref(), Some("paasc.BakeryCommandFailed"));
    let failed: Vec<&serde_json::Value> = run
        .events
        .iter()
        .filter(|e| e["type"] == "ActivityFailed")
        .collect();
    assert_eq!(failed.len(), 1, "retried:\n{}", run.history_text());
    let cause = failed[0]["activityFailedEventDetails"]["cause"].to_string();
    assert!(
        cause.contains("ssm/bake.json exited with status 1"),
        "{cause}"
    );
    assert!(cause.contains("bake.log"), "{cause}");
    assert!(run.entered("Rollback"), "{}", run.history_text());
    assert!(!run.entered("Provision"), "{}", run.history_text());
    assert_eq!(
        env.release_item(&app)["live_ami"]["S"],
        "ami-0123456789abcdef0",
        "a failed bake changed the live release"
    );

    // SIGTERM while idle: the worker stops cleanly.
    signal(&worker, "TERM");
    assert_eq!(
        StubRunner::exits_within(&mut worker, Duration::from_secs(60)),
        Some(0),
        "{}",
        runner.log()
    );
    assert!(runner.log().contains("paasc worker test-worker: stopped"));
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn a_dead_worker_times_out_and_a_stopped_one_fails_its_task() {
    let moto = Moto::start();
    let mut app = activity_app("100000000033", "100000000034");
    // A short bake (heartbeat 10 s) and no retry: the test watches the Catch.
    app.pipeline.deadlines.bake = 20;
    app.pipeline.retry = 0;
    let server = pipeline_moto::Server::start();
    let env = pipeline_moto::Env::prepare(&server, &app);
    moto.platform(&app);
    let runner = StubRunner::new(env.terraform_outputs());
    std::fs::write(runner.path("packer-sleeps"), "300").unwrap();

    // Killed mid-bake (SIGKILL: no answer, no heartbeat): the heartbeat
    // times out and the pipeline takes its failure path.
    let artifacts = built(&app);
    runner.put_release(&app, &artifacts);
    let (result, lines) = moto.run(&app, &artifacts, &moto.opts());
    let arn = started(result, &lines);
    let mut worker = runner.worker(&app, &[]);
    wait_for_activity_start(&env, &arn);
    signal(&worker, "KILL");
    let _ = worker.wait();
    runner.stop_build();
    let run = env.wait(&arn);
    assert_eq!(run.status, "FAILED", "{}", run.history_text());
    // A `States.*` error reaches the Fail state wrapped (a Fail may not raise one).
    assert_eq!(run.error.as_deref(), Some("paasc.PipelineFailed"));
    assert!(
        run.cause
            .as_deref()
            .unwrap_or_default()
            .contains("States.HeartbeatTimeout"),
        "{}",
        run.history_text()
    );
    assert!(run.entered("Rollback"), "{}", run.history_text());

    // SIGTERM mid-bake: the worker stops the build after its grace, fails
    // the task with paasc.WorkerStopped (retried on AWS when attempts are
    // left; none here) and exits 0.
    let mut next = app.clone();
    next.version = "3.2.1".into();
    let artifacts = built(&next);
    runner.put_release(&next, &artifacts);
    let (result, lines) = moto.run(&next, &artifacts, &moto.opts());
    let arn = started(result, &lines);
    let mut worker = runner.worker(&next, &["--grace", "1"]);
    wait_for_activity_start(&env, &arn);
    signal(&worker, "TERM");
    assert_eq!(
        StubRunner::exits_within(&mut worker, Duration::from_secs(60)),
        Some(0),
        "{}",
        runner.log()
    );
    let run = env.wait(&arn);
    assert_eq!(run.status, "FAILED", "{}", run.history_text());
    assert_eq!(run.error.as_deref(), Some("paasc.WorkerStopped"));
    let log = runner.log();
    assert!(
        log.contains("batch/default bake of ") && log.contains("paasc.WorkerStopped"),
        "{log}"
    );
    // The build was stopped with the worker, not left running.
    let pid = std::fs::read_to_string(runner.path("packer.pid")).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let state = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    assert!(
        state.is_empty() || state.contains(") Z "),
        "the stub build {pid} outlived its worker: {state}"
    );

    // `--once`: one task served, the exit status says how it went.
    std::fs::remove_file(runner.path("packer-sleeps")).unwrap();
    std::fs::write(runner.path("packer-fails"), "").unwrap();
    let mut last = app.clone();
    last.version = "3.2.2".into();
    let artifacts = built(&last);
    runner.put_release(&last, &artifacts);
    let (result, lines) = moto.run(&last, &artifacts, &moto.opts());
    let arn = started(result, &lines);
    let mut worker = runner.worker(&last, &["--once"]);
    assert_eq!(
        StubRunner::exits_within(&mut worker, Duration::from_secs(60)),
        Some(1),
        "{}",
        runner.log()
    );
    let run = env.wait(&arn);
    assert_eq!(run.error.as_deref(), Some("paasc.BakeryCommandFailed"));
    assert!(runner.log().contains("one task only"), "{}", runner.log());
}
