//! Harness for running the generated state machine in the test binary's
//! moto server (`support/emulator.rs`), over plain HTTP with AWS's JSON and
//! query protocols. No AWS SDK: moto checks no signature, so a dummy SigV4
//! header only tells it the service and region.
//!
//! Accounts, as on AWS: the state machine lives in the pipeline account and
//! its tasks run as its role there (a patch of `scripts/moto/` makes moto's
//! interpreter do so); the load balancer lives in the app's account, reached
//! through the provision role (`Credentials`). What the platform would have
//! created (`paasc bootstrap`: the platform key, the audit table, the
//! topic) is created here in the pipeline account; tests/bootstrap.rs
//! applies the real platform module.

#[path = "../support/emulator.rs"]
pub mod emulator;

use paasc::emit::stepfunctions;
use paasc::model::names::{parameter, ToolStage};
use paasc::model::App;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const AMI_ID: &str = "ami-0a1b2c3d4e5f60718";
pub const CONTENT_HASH: &str = "3f2a9c0d5e7b8a1f4c6d2e9b0a7f5c3e1d8b6a4f2c0e9d7b5a3f1c8e6d4b2a09";
const RUNNER: &str = "i-0123456789abcdef0";

/// The model as run in the emulator: `release.bake` and `release.keep_warm`
/// shortened to 1 s so the traffic shifts do not make the test wait
/// minutes. Nothing else changes.
pub fn executable(mut app: App) -> App {
    app.release.bake_seconds = 1;
    app.release.keep_warm_seconds = 1;
    app
}

/// The app with a pipeline account and an app account of the test's own
/// (tests share one emulator and keep apart by account); a notification
/// topic of the spec moves into the app's new account with it.
pub fn isolated(mut app: App, pipeline: &str, account: &str) -> App {
    if let Some(topic) = &app.pipeline.notify {
        let name = topic.rsplit(':').next().unwrap_or("deploys");
        app.pipeline.notify = Some(format!("arn:aws:sns:{}:{account}:{name}", app.region));
    }
    app.pipeline.account = pipeline.to_string();
    app.account = account.to_string();
    app
}

pub struct Server {
    pub port: u16,
    emulator: &'static emulator::Emulator,
}

impl Server {
    pub fn start() -> Server {
        let emulator = emulator::shared();
        Server {
            port: emulator.port,
            emulator,
        }
    }

    fn outcomes_file(&self) -> PathBuf {
        self.emulator.outcomes_file()
    }

    fn request(
        &self,
        service: &str,
        region: &str,
        account: Option<&str>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=00"
        );
        let mut req = ureq::post(&format!("http://127.0.0.1:{}/", self.port))
            .set("Authorization", &auth)
            .timeout(Duration::from_secs(60));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        if let Some(a) = account {
            req = req.set("x-moto-account-id", a);
        }
        match req.send_string(body) {
            Ok(resp) => (resp.status(), resp.into_string().unwrap()),
            Err(ureq::Error::Status(code, resp)) => (code, resp.into_string().unwrap()),
            Err(e) => panic!("request to moto failed: {e}"),
        }
    }

    /// A JSON-protocol call; panics on an error answer.
    pub fn json(
        &self,
        service: &str,
        target: &str,
        region: &str,
        account: Option<&str>,
        body: Value,
    ) -> Value {
        let (code, text) = self.request(
            service,
            region,
            account,
            &[
                ("X-Amz-Target", target),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            &body.to_string(),
        );
        assert!(code < 300, "{target} -> {code}: {text}");
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    /// A query-protocol call (form body, XML answer); panics on an error answer.
    pub fn query(
        &self,
        service: &str,
        region: &str,
        account: Option<&str>,
        params: &[(&str, &str)],
    ) -> String {
        let body = params
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let (code, text) = self.request(
            service,
            region,
            account,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &body,
        );
        assert!(code < 300, "{params:?} -> {code}: {text}");
        text
    }

    pub fn sfn(&self, region: &str, account: &str, action: &str, body: Value) -> Value {
        self.json(
            "states",
            &format!("AWSStepFunctions.{action}"),
            region,
            Some(account),
            body,
        )
    }
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Text of every `<tag>...</tag>` in `xml`, in order.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].to_string());
        rest = &after[j + close.len()..];
    }
    out
}

/// What the runner instance "does" for each SSM document in a run.
pub enum Outcome {
    Success,
    /// The command of this stage (`bake`, `provision`, `validate`, `post`) ends `Failed`.
    FailAt(&'static str),
}

/// Scripts what the runner "prints" for each of the app's SSM documents
/// in the app's pipeline account (`scripts/moto/sitecustomize.py` answers
/// GetCommandInvocation with it):
/// the baked AMI, the Terraform outputs, then success, unless `outcome`
/// makes one stage fail. Other apps' answers in the file stay as they are.
pub fn script_runner(
    server: &Server,
    app: &App,
    ami: &str,
    terraform_outputs: &Value,
    outcome: &Outcome,
) {
    let ok = |stdout: &str, pending: u32| json!({ "Status": "Success", "ResponseCode": 0, "StandardOutputContent": stdout, "Pending": pending });
    // Tests of this binary run side by side: one writer at a time.
    static FILE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = FILE.lock().unwrap_or_else(|e| e.into_inner());
    let path = server.outcomes_file();
    let mut outcomes: Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| json!({}));
    for (doc, value) in [
        (ToolStage::Bake, ok(&format!("{ami}\n"), 0)),
        (
            ToolStage::Provision,
            ok(&format!("{terraform_outputs}\n"), 0),
        ),
        (
            ToolStage::Validate,
            ok(
                &format!(
                    "{{\"status\":\"passed\",\"report\":\"s3://{}/inspec/run.json\",\"passed\":12,\"failed\":0,\"skipped\":1}}",
                    app.logs.bucket
                ),
                1,
            ),
        ),
        (ToolStage::Post, ok("", 0)),
    ] {
        outcomes[runner_key(app, doc)] = value;
    }
    if let Outcome::FailAt(stage) = outcome {
        outcomes[runner_key(app, ToolStage::from_word(stage).unwrap())] = json!({
            "Status": "Failed",
            "StatusDetails": "Failed",
            "ResponseCode": 1,
            "StandardOutputContent": "",
            "StandardErrorContent": format!("{stage} failed on purpose"),
            "Pending": 1,
        });
    }
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, outcomes.to_string()).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
}

/// The outcomes file's key of one document: the pipeline account's own.
fn runner_key(app: &App, stage: ToolStage) -> String {
    format!("{}/{}", app.pipeline.account, app.ssm_document_name(stage))
}

/// Resources created in the emulator for one app, and the state machine.
pub struct Env<'a> {
    server: &'a Server,
    region: String,
    /// Where the state machine, its parameter, the audit table and the
    /// platform topic live.
    pipeline_account: String,
    /// Where the load balancer lives.
    app_account: String,
    state_machine_arn: String,
    listener_arn: String,
    blue_tg: String,
    green_tg: String,
    terraform_outputs: Value,
    queue_url: Option<(String, String)>,
}

pub struct Run {
    pub arn: String,
    pub status: String,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub events: Vec<Value>,
}

impl Run {
    fn entered_names(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter(|e| {
                e["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("StateEntered"))
            })
            .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
            .collect()
    }
    pub fn entered(&self, state: &str) -> bool {
        self.entered_names().contains(&state)
    }
    pub fn entered_count(&self, state: &str) -> usize {
        self.entered_names().iter().filter(|s| **s == state).count()
    }
    pub fn first_entered(&self, state: &str) -> Option<usize> {
        self.entered_names().iter().position(|s| *s == state)
    }
    pub fn history_text(&self) -> String {
        self.events
            .iter()
            .map(|e| {
                let name = e["stateEnteredEventDetails"]["name"].as_str().unwrap_or("");
                let mut details = String::new();
                for (k, v) in e.as_object().unwrap() {
                    if k.ends_with("EventDetails")
                        && k != "stateEnteredEventDetails"
                        && k != "stateExitedEventDetails"
                    {
                        details = v.to_string();
                        details.truncate(400);
                    }
                }
                format!(
                    "{:>4} {} {name} {details}",
                    e["id"],
                    e["type"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn tf_output(value: &str) -> Value {
    json!({ "sensitive": false, "type": "string", "value": value })
}

impl<'a> Env<'a> {
    /// Creates what the state machine's tasks touch: in the app's account
    /// the load balancer, target groups and listener standing in for the
    /// Terraform module's; in the pipeline account what the platform holds
    /// (the platform key, the audit table, the topic when the spec names
    /// none), the notification topic's inbox queue, then the state machine.
    pub fn prepare(server: &'a Server, app: &App) -> Env<'a> {
        let region = app.region.clone();
        let (pipeline, account) = (app.pipeline.account.clone(), app.account.clone());
        let subnets = server.query(
            "ec2",
            &region,
            Some(&account),
            &[("Action", "DescribeSubnets"), ("Version", "2016-11-15")],
        );
        let subnet_ids = xml_values(&subnets, "subnetId");
        let vpc = xml_values(&subnets, "vpcId").into_iter().next().unwrap();
        assert!(
            subnet_ids.len() >= 2,
            "moto's default VPC has fewer than two subnets: {subnets}"
        );
        let elb = |params: &[(&str, &str)]| {
            let mut p = vec![("Version", "2015-12-01")];
            p.extend_from_slice(params);
            server.query("elasticloadbalancing", &region, Some(&account), &p)
        };
        let prefix = app.prefix();
        let lb = elb(&[
            ("Action", "CreateLoadBalancer"),
            ("Name", &prefix),
            ("Subnets.member.1", &subnet_ids[0]),
            ("Subnets.member.2", &subnet_ids[1]),
        ]);
        let lb_arn = xml_values(&lb, "LoadBalancerArn").remove(0);
        let dns = xml_values(&lb, "DNSName").remove(0);
        let port = app.service.port.to_string();
        let tg = |color: &str| {
            let name = format!("{prefix}-{color}");
            let out = elb(&[
                ("Action", "CreateTargetGroup"),
                ("Name", &name),
                ("Protocol", "HTTP"),
                ("Port", &port),
                ("VpcId", &vpc),
            ]);
            xml_values(&out, "TargetGroupArn").remove(0)
        };
        let blue_tg = tg("blue");
        let green_tg = tg("green");
        let listener = elb(&[
            ("Action", "CreateListener"),
            ("LoadBalancerArn", &lb_arn),
            ("Protocol", "HTTP"),
            ("Port", "80"),
            ("DefaultActions.member.1.Type", "forward"),
            ("DefaultActions.member.1.TargetGroupArn", &blue_tg),
        ]);
        let listener_arn = xml_values(&listener, "ListenerArn").remove(0);

        // The fleets the module would create (one host each), and their
        // alarms, OK until a test sets one.
        let asg = |params: &[(&str, &str)]| {
            let mut p = vec![("Version", "2011-01-01")];
            p.extend_from_slice(params);
            server.query("autoscaling", &region, Some(&account), &p)
        };
        let lt_name = format!("paas-{prefix}");
        server.query(
            "ec2",
            &region,
            Some(&account),
            &[
                ("Action", "CreateLaunchTemplate"),
                ("Version", "2016-11-15"),
                ("LaunchTemplateName", &lt_name),
                ("LaunchTemplateData.ImageId", AMI_ID),
                ("LaunchTemplateData.InstanceType", "t3.micro"),
            ],
        );
        let fleets: &[&str] = if app.release.strategy == paasc::model::Strategy::BlueGreen {
            &["blue", "green"]
        } else {
            &["this"]
        };
        for fleet in fleets {
            let tg_arn = match *fleet {
                "green" => green_tg.clone(),
                _ => blue_tg.clone(),
            };
            asg(&[
                ("Action", "CreateAutoScalingGroup"),
                ("AutoScalingGroupName", &app.asg_name(fleet)),
                ("LaunchTemplate.LaunchTemplateName", &lt_name),
                ("MinSize", "0"),
                ("MaxSize", "4"),
                ("DesiredCapacity", "1"),
                ("VPCZoneIdentifier", &subnet_ids[0]),
                ("TargetGroupARNs.member.1", &tg_arn),
            ]);
            for kind in ["errors", "unhealthy", "latency"] {
                server.query(
                    "monitoring",
                    &region,
                    Some(&account),
                    &[
                        ("Action", "PutMetricAlarm"),
                        ("Version", "2010-08-01"),
                        ("AlarmName", &format!("{}{kind}", app.alarm_prefix(fleet))),
                        ("Namespace", "AWS/ApplicationELB"),
                        ("MetricName", "HTTPCode_Target_5XX_Count"),
                        ("Statistic", "Sum"),
                        ("Period", "60"),
                        ("EvaluationPeriods", "1"),
                        ("Threshold", "10"),
                        ("ComparisonOperator", "GreaterThanOrEqualToThreshold"),
                    ],
                );
            }
        }

        let terraform_outputs = json!({
            "alb_dns_name": tf_output(&dns),
            "asg_name": tf_output(&prefix),
            "blue_asg_name": tf_output(&format!("{prefix}-blue")),
            "green_asg_name": tf_output(&format!("{prefix}-green")),
            "resource_arns": {
                "sensitive": false,
                "type": ["object", { "aws_lb.this": "string" }],
                "value": { "aws_lb.this": lb_arn, "aws_lb_listener.http": listener_arn },
            },
            "blue_target_group_arn": tf_output(&blue_tg),
            "green_target_group_arn": tf_output(&green_tg),
            // Rolling's one target group (the harness gives it blue's).
            "target_group_arn": tf_output(&blue_tg),
            "instance_role_arn": tf_output(&format!("arn:aws:iam::{account}:role/{prefix}-instance")),
            "kms_key_arn": tf_output(&format!("arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
            "listener_arn": tf_output(&listener_arn),
            "log_bucket": tf_output(&app.logs.bucket),
            "log_group": tf_output(&app.log_group()),
        });

        // The platform key (PreProvision's parameter is encrypted with it).
        let key = server.json(
            "kms",
            "TrentService.CreateKey",
            &region,
            Some(&pipeline),
            json!({ "Description": "paasc platform (test)" }),
        );
        server.json(
            "kms",
            "TrentService.CreateAlias",
            &region,
            Some(&pipeline),
            json!({ "AliasName": "alias/paas-platform", "TargetKeyId": key["KeyMetadata"]["KeyId"] }),
        );
        // The platform's tables, as its module creates them: the audit
        // trail (one record per execution) and the release state (one item
        // per app and env).
        for (table, keys) in [
            ("paas-audit", &["release", "execution_id"][..]),
            ("paas-releases", &["release"][..]),
        ] {
            let attributes: Vec<Value> = keys
                .iter()
                .map(|k| json!({ "AttributeName": k, "AttributeType": "S" }))
                .collect();
            let schema: Vec<Value> = keys
                .iter()
                .zip(["HASH", "RANGE"])
                .map(|(k, kind)| json!({ "AttributeName": k, "KeyType": kind }))
                .collect();
            server.json(
                "dynamodb",
                "DynamoDB_20120810.CreateTable",
                &region,
                Some(&pipeline),
                json!({
                    "TableName": table,
                    "AttributeDefinitions": attributes,
                    "KeySchema": schema,
                    "BillingMode": "PAY_PER_REQUEST",
                    "SSESpecification": { "Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": "alias/paas-platform" },
                }),
            );
        }

        // The topic the pipeline notifies (the spec's, else the platform's),
        // with a queue subscribed to read what was sent.
        let topic = app.notification_topic();
        let queue_url = {
            let parts: Vec<&str> = topic.split(':').collect();
            let (topic_account, name) = (parts[4].to_string(), parts[5].to_string());
            let created = server.query(
                "sns",
                &region,
                Some(&topic_account),
                &[
                    ("Action", "CreateTopic"),
                    ("Name", &name),
                    ("Version", "2010-03-31"),
                ],
            );
            assert_eq!(xml_values(&created, "TopicArn"), vec![topic.to_string()]);
            let queue = format!("{name}-inbox");
            let q = server.json(
                "sqs",
                "AmazonSQS.CreateQueue",
                &region,
                Some(&topic_account),
                json!({ "QueueName": queue }),
            );
            let url = q["QueueUrl"].as_str().unwrap().to_string();
            server.query(
                "sns",
                &region,
                Some(&topic_account),
                &[
                    ("Action", "Subscribe"),
                    ("Version", "2010-03-31"),
                    ("TopicArn", &topic),
                    ("Protocol", "sqs"),
                    (
                        "Endpoint",
                        &format!("arn:aws:sqs:{region}:{topic_account}:{queue}"),
                    ),
                    ("Attributes.entry.1.key", "RawMessageDelivery"),
                    ("Attributes.entry.1.value", "true"),
                ],
            );
            Some((topic_account, url))
        };

        let definition = stepfunctions::emit(app).unwrap().remove(0).contents;
        let created = server.sfn(
            &region,
            &pipeline,
            "CreateStateMachine",
            json!({
                "name": app.state_machine_name(),
                "definition": definition,
                "roleArn": app.pipeline_role_arn(),
            }),
        );
        let state_machine_arn = created["stateMachineArn"].as_str().unwrap().to_string();
        Env {
            server,
            region,
            pipeline_account: pipeline,
            app_account: account,
            state_machine_arn,
            listener_arn,
            blue_tg,
            green_tg,
            terraform_outputs,
            queue_url,
        }
    }

    fn write_outcomes(&self, app: &App, outcome: &Outcome) {
        script_runner(self.server, app, AMI_ID, &self.terraform_outputs, outcome);
    }

    /// What the harness's Terraform "printed" (`terraform output -json`).
    #[allow(dead_code)]
    pub fn terraform_outputs(&self) -> &Value {
        &self.terraform_outputs
    }

    /// Scripts every stage of the app to succeed.
    pub fn write_success(&self, app: &App) {
        self.write_outcomes(app, &Outcome::Success);
    }

    /// Starts an execution with the contract's input and waits for its end.
    pub fn run(&self, app: &App, name: &str, outcome: Outcome) -> Run {
        self.write_outcomes(app, &outcome);
        let arn = self.start(app, name);
        self.wait(&arn)
    }

    /// Scripts the runner with a stage that stays InProgress for `polls`
    /// GetCommandInvocation calls (then succeeds).
    pub fn hold_stage(&self, app: &App, stage: ToolStage, polls: u32) {
        self.write_outcomes(app, &Outcome::Success);
        let path = self.server.outcomes_file();
        let mut outcomes: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        outcomes[runner_key(app, stage)]["Pending"] = json!(polls);
        let tmp = path.with_extension(format!("{}.hold.tmp", std::process::id()));
        std::fs::write(&tmp, outcomes.to_string()).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }

    /// The app and env's item of the platform's release table.
    pub fn release_item(&self, app: &App) -> Value {
        let got = self.server.json(
            "dynamodb",
            "DynamoDB_20120810.GetItem",
            &self.region,
            Some(&self.pipeline_account),
            json!({
                "TableName": "paas-releases",
                "Key": { "release": { "S": app.release_key() } },
                "ConsistentRead": true,
            }),
        );
        got["Item"].clone()
    }

    /// The status of the latest SSM command of a stage's document.
    pub fn command_status(&self, app: &App, stage: ToolStage) -> String {
        let got = self.server.json(
            "ssm",
            "AmazonSSM.ListCommands",
            &self.region,
            Some(&self.pipeline_account),
            json!({}),
        );
        let name = app.ssm_document_name(stage);
        got["Commands"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["DocumentName"] == name.as_str())
            .max_by(|a, b| {
                a["RequestedDateTime"]
                    .as_f64()
                    .partial_cmp(&b["RequestedDateTime"].as_f64())
                    .unwrap()
            })
            .map(|c| c["Status"].as_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// The status of an execution now.
    pub fn status(&self, arn: &str) -> String {
        let d = self.server.sfn(
            &self.region,
            &self.pipeline_account,
            "DescribeExecution",
            json!({ "executionArn": arn }),
        );
        d["status"].as_str().unwrap_or_default().to_string()
    }

    /// Starts an execution with the contract's input; returns its ARN.
    pub fn start(&self, app: &App, name: &str) -> String {
        let input = json!({
            "artifact_bucket": app.artifact_bucket(),
            "artifact_prefix": format!("{}/{}/{}/{CONTENT_HASH}/", app.name, app.env, app.version),
            "parameter_path": app.parameter_path(),
            "content_hash": CONTENT_HASH,
            "version": app.version,
            "runner_instance_id": RUNNER,
            "state_bucket": app.state_bucket(),
            "platform_key": format!("arn:aws:kms:{}:{}:alias/paas-platform", app.region, app.pipeline.account),
            "caller": format!("arn:aws:sts::{}:assumed-role/ci/test", app.pipeline.account),
        });
        let started = self.server.sfn(
            &self.region,
            &self.pipeline_account,
            "StartExecution",
            json!({ "stateMachineArn": self.state_machine_arn, "name": name, "input": input.to_string() }),
        );
        started["executionArn"].as_str().unwrap().to_string()
    }

    /// Waits for an execution's end and reads its history.
    pub fn wait(&self, arn: &str) -> Run {
        let arn = arn.to_string();
        let deadline = Instant::now() + Duration::from_secs(600);
        let described = loop {
            let d = self.server.sfn(
                &self.region,
                &self.pipeline_account,
                "DescribeExecution",
                json!({ "executionArn": arn }),
            );
            if d["status"] != "RUNNING" {
                break d;
            }
            assert!(
                Instant::now() < deadline,
                "execution {arn} still RUNNING after 600 s"
            );
            std::thread::sleep(Duration::from_millis(500));
        };
        let events = self.history(&arn);
        Run {
            arn,
            status: described["status"].as_str().unwrap().to_string(),
            error: described["error"].as_str().map(str::to_string),
            cause: described["cause"].as_str().map(str::to_string),
            events,
        }
    }

    /// An execution's history events so far.
    pub fn history(&self, arn: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = json!({ "executionArn": arn, "maxResults": 1000 });
            if let Some(t) = &token {
                req["nextToken"] = json!(t);
            }
            let page = self.server.sfn(
                &self.region,
                &self.pipeline_account,
                "GetExecutionHistory",
                req,
            );
            events.extend(page["events"].as_array().cloned().unwrap_or_default());
            match page["nextToken"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        events
    }

    /// Starts an instance refresh of a group of the app account.
    pub fn start_instance_refresh(&self, group: &str) {
        self.server.query(
            "autoscaling",
            &self.region,
            Some(&self.app_account),
            &[
                ("Action", "StartInstanceRefresh"),
                ("Version", "2011-01-01"),
                ("AutoScalingGroupName", group),
            ],
        );
    }

    /// Sets one of the app account's alarms to `state` (SetAlarmState).
    pub fn set_alarm(&self, name: &str, state: &str) {
        self.server.query(
            "monitoring",
            &self.region,
            Some(&self.app_account),
            &[
                ("Action", "SetAlarmState"),
                ("Version", "2010-08-01"),
                ("AlarmName", name),
                ("StateValue", state),
                ("StateReason", "set by the test"),
            ],
        );
    }

    /// The desired capacity of an auto scaling group of the app account.
    pub fn desired_capacity(&self, group: &str) -> u64 {
        let out = self.server.query(
            "autoscaling",
            &self.region,
            Some(&self.app_account),
            &[
                ("Action", "DescribeAutoScalingGroups"),
                ("Version", "2011-01-01"),
                ("AutoScalingGroupNames.member.1", group),
            ],
        );
        xml_values(&out, "DesiredCapacity")
            .first()
            .unwrap_or_else(|| panic!("no group {group}: {out}"))
            .parse()
            .unwrap()
    }

    /// Waits until the running execution has entered `state`.
    pub fn wait_until_entered(&self, arn: &str, state: &str) {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let page = self.server.sfn(
                &self.region,
                &self.pipeline_account,
                "GetExecutionHistory",
                json!({ "executionArn": arn, "maxResults": 1000, "reverseOrder": true }),
            );
            let entered = page["events"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["stateEnteredEventDetails"]["name"].as_str() == Some(state));
            if entered {
                return;
            }
            assert!(Instant::now() < deadline, "{arn} never entered {state}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// (blue, green) weights of the listener's forward action.
    pub fn listener_weights(&self) -> (u64, u64) {
        let out = self.server.query(
            "elasticloadbalancing",
            &self.region,
            Some(&self.app_account),
            &[
                ("Action", "DescribeListeners"),
                ("Version", "2015-12-01"),
                ("ListenerArns.member.1", &self.listener_arn),
            ],
        );
        let arns = xml_values(&out, "TargetGroupArn");
        let weights = xml_values(&out, "Weight");
        let weight_of = |tg: &str| -> u64 {
            if weights.is_empty() {
                // A plain forward action (no ForwardConfig) sends everything to its one group.
                return if arns.first().map(String::as_str) == Some(tg) {
                    100
                } else {
                    0
                };
            }
            // ForwardConfig: TargetGroupArn and Weight alternate, one pair per member.
            assert_eq!(
                arns.len(),
                weights.len(),
                "unexpected listener description: {out}"
            );
            arns.iter()
                .zip(&weights)
                .find(|(a, _)| a.as_str() == tg)
                .map_or(0, |(_, w)| w.parse().unwrap())
        };
        (weight_of(&self.blue_tg), weight_of(&self.green_tg))
    }

    /// The audit record of an execution, as DynamoDB returns it.
    pub fn audit_record(&self, app: &App, execution_arn: &str) -> Value {
        let got = self.server.json(
            "dynamodb",
            "DynamoDB_20120810.GetItem",
            &self.region,
            Some(&self.pipeline_account),
            json!({
                "TableName": "paas-audit",
                "Key": { "release": { "S": app.release_key() }, "execution_id": { "S": execution_arn } },
            }),
        );
        got["Item"].clone()
    }

    /// PreProvision stored the execution input as a SecureString with the platform key.
    pub fn assert_secure_parameter(&self, app: &App) {
        let name = format!("{}{}", app.parameter_path(), parameter::EXECUTION);
        let got = self.server.json(
            "ssm",
            "AmazonSSM.GetParameter",
            &self.region,
            Some(&self.pipeline_account),
            json!({ "Name": name, "WithDecryption": true }),
        );
        assert_eq!(got["Parameter"]["Type"], "SecureString", "{got}");
        let value: Value =
            serde_json::from_str(got["Parameter"]["Value"].as_str().unwrap()).unwrap();
        assert_eq!(value["content_hash"], CONTENT_HASH);
        assert_eq!(value["runner_instance_id"], RUNNER);
        let described = self.server.json(
            "ssm",
            "AmazonSSM.DescribeParameters",
            &self.region,
            Some(&self.pipeline_account),
            json!({ "ParameterFilters": [{ "Key": "Name", "Values": [name] }] }),
        );
        assert_eq!(
            described["Parameters"][0]["KeyId"], "alias/paas-platform",
            "{described}"
        );
    }

    /// Every notification published so far (read from the subscribed queue), parsed.
    pub fn notifications(&self) -> Vec<Value> {
        let Some((account, url)) = &self.queue_url else {
            return Vec::new();
        };
        let mut out = Vec::new();
        loop {
            let got = self.server.json(
                "sqs",
                "AmazonSQS.ReceiveMessage",
                &self.region,
                Some(account),
                json!({ "QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0 }),
            );
            let msgs = got["Messages"].as_array().cloned().unwrap_or_default();
            if msgs.is_empty() || out.len() > 50 {
                break;
            }
            for m in msgs {
                let body = m["Body"].as_str().unwrap();
                out.push(serde_json::from_str(body).unwrap_or_else(|_| json!({ "raw": body })));
                self.server.json(
                    "sqs",
                    "AmazonSQS.DeleteMessage",
                    &self.region,
                    Some(account),
                    json!({ "QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"] }),
                );
            }
        }
        out
    }
}
