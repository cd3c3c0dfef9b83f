//! The generated state machine: validated by asl-validator for every model,
//! its facts read back, and executed in the moto emulator (see
//! docs/artifacts/stepfunctions.md for what the executed runs do and do not
//! exercise).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "support/examples.rs"]
mod examples;

#[path = "stepfunctions/moto.rs"]
mod moto;

use paasc::emit::stepfunctions;
use paasc::model::names::{state, ToolStage};
use paasc::model::{sample, App, Kms, Strategy, Workers};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn compile(path: &Path, env: Option<&str>) -> App {
    paasc::compile_file(path, env, &[])
        .unwrap_or_else(|e| panic!("{} ({env:?}) does not compile:\n{e}", path.display()))
}

/// Every project example in its default env and each declared env, plus
/// variants of the full-featured model covering each workers kind, rolling
/// releases, a key ARN and no notification topic.
fn models() -> Vec<(String, App)> {
    let mut out = Vec::new();
    for file in examples::names() {
        let file = file.as_str();
        let path = root().join("examples").join(file);
        let default = compile(&path, None);
        let envs = default.envs.clone();
        out.push((format!("{file}/default"), default));
        for env in envs {
            out.push((format!("{file}/{env}"), compile(&path, Some(&env))));
        }
    }
    out.push(("sample/shop_prod".into(), sample::shop_prod()));
    out.push(("sample/minimal".into(), sample::minimal()));
    for workers in [Workers::Ssm, Workers::Activity] {
        for strategy in [Strategy::BlueGreen, Strategy::Rolling] {
            let mut app = sample::shop_prod();
            app.pipeline.workers = workers;
            app.release.strategy = strategy;
            if strategy == Strategy::Rolling {
                app.release.shift = vec![100];
                app.pipeline.notify = None;
                app.kms = Kms::KeyArn(
                    "arn:aws:kms:eu-west-1:222233334444:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                        .into(),
                );
            }
            out.push((format!("variant/{workers:?}-{strategy:?}"), app));
        }
    }
    out
}

fn definition(app: &App) -> Value {
    let artifacts = stepfunctions::emit(app).unwrap();
    assert_eq!(artifacts.len(), 1);
    assert_eq!(artifacts[0].path, "stepfunctions/pipeline.asl.json");
    serde_json::from_str(&artifacts[0].contents).unwrap()
}

/// Writes the state machine of `app` as `paasc build` lays it out; returns OUTDIR.
fn write_outdir(base: &Path, app: &App) -> PathBuf {
    let outdir = base.join(&app.name).join(&app.env);
    for a in stepfunctions::emit(app).unwrap() {
        let p = outdir.join(&a.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, a.contents).unwrap();
    }
    outdir
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (asl-validator): scripts/test.sh runs it"
)]
fn asl_validator_accepts_every_model() {
    let tmp = tempfile::tempdir().unwrap();
    let script = root().join("scripts/validate/asl.sh");
    let mut failures = Vec::new();
    for (i, (label, app)) in models().into_iter().enumerate() {
        let outdir = write_outdir(&tmp.path().join(i.to_string()), &app);
        let out = Command::new(&script)
            .arg(&outdir)
            .output()
            .expect("run scripts/validate/asl.sh");
        if !out.status.success() {
            failures.push(format!(
                "{label}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "asl-validator rejected:\n{}",
        failures.join("\n")
    );
}

#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (asl-validator): scripts/test.sh runs it"
)]
fn validator_script_fails_on_a_broken_machine() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("stepfunctions");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("pipeline.asl.json"),
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}"#,
    )
    .unwrap();
    let out = Command::new(root().join("scripts/validate/asl.sh"))
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a machine with a dangling Next passed validation"
    );
}

fn states(def: &Value) -> &serde_json::Map<String, Value> {
    def["States"].as_object().unwrap()
}

/// Follows `Next` from `start` through non-branching states; names in order.
fn chain(def: &Value, start: &str, limit: usize) -> Vec<String> {
    let mut out = vec![start.to_string()];
    let mut cur = start.to_string();
    while out.len() < limit {
        match def["States"][&cur]["Next"].as_str() {
            Some(n) => {
                out.push(n.to_string());
                cur = n.to_string();
            }
            None => break,
        }
    }
    out
}

#[test]
fn every_task_retries_and_catches() {
    for (label, app) in models() {
        let def = definition(&app);
        for (name, st) in states(&def) {
            if st["Type"] != "Task" {
                continue;
            }
            let retry = st["Retry"]
                .as_array()
                .unwrap_or_else(|| panic!("{label}: {name} has no Retry"));
            let last = retry.last().unwrap();
            assert_eq!(
                last["ErrorEquals"],
                serde_json::json!(["States.ALL"]),
                "{label}: {name}: States.ALL is not last"
            );
            assert_eq!(last["MaxAttempts"], app.pipeline.retry, "{label}: {name}");
            assert_eq!(last["BackoffRate"], 2, "{label}: {name}");
            assert_eq!(last["JitterStrategy"], "FULL", "{label}: {name}");
            assert!(
                last["MaxDelaySeconds"].as_u64().unwrap() > 0,
                "{label}: {name}"
            );
            for r in &retry[..retry.len() - 1] {
                assert!(
                    !r["ErrorEquals"]
                        .as_array()
                        .unwrap()
                        .contains(&Value::from("States.ALL")),
                    "{label}: {name}"
                );
            }
            let catch = st["Catch"]
                .as_array()
                .unwrap_or_else(|| panic!("{label}: {name} has no Catch"));
            let all = catch
                .iter()
                .find(|c| c["ErrorEquals"] == serde_json::json!(["States.ALL"]))
                .unwrap();
            let target = all["Next"].as_str().unwrap();
            assert!(
                def["States"].get(target).is_some(),
                "{label}: {name} catches into missing {target}"
            );
        }
    }
}

#[test]
fn shape_order_and_names_follow_the_model() {
    let app = sample::shop_prod();
    let def = definition(&app);
    assert_eq!(def["StartAt"], "PreProvision");
    assert_eq!(def["TimeoutSeconds"], 5400);
    let comment = def["Comment"].as_str().unwrap();
    assert!(
        comment.contains("shop") && comment.contains("1.4.0"),
        "{comment}"
    );

    // PreProvision: the release taken (see the_release_is_taken_first...),
    // then the inputs as a SecureString with the platform key (the pipeline
    // account's own), then the audit record in the platform's table, opened
    // once (conditional write); the pipeline creates no table.
    assert_eq!(def["States"]["PreProvision"]["Next"], "ReadLiveRelease");
    // The live release read from the taken item: blue-green picks the idle
    // colour, and every way on leads to the inputs.
    for pass in ["LiveIsBlue", "LiveIsGreen", "NothingLive"] {
        assert_eq!(def["States"][pass]["Next"], "StartStageClock", "{pass}");
        assert_eq!(def["States"][pass]["ResultPath"], "$.live", "{pass}");
    }
    assert_eq!(def["States"]["LiveIsBlue"]["Parameters"]["idle"], "green");
    assert_eq!(
        def["States"]["LiveIsBlue"]["Parameters"]["idle_asg"],
        "shop-prod-green"
    );
    assert_eq!(
        def["States"]["LiveIsBlue"]["Parameters"]["weights"],
        json!({"blue": "100", "green": "0"})
    );
    assert_eq!(def["States"]["LiveIsGreen"]["Parameters"]["idle"], "blue");
    assert_eq!(def["States"]["NothingLive"]["Parameters"]["idle"], "blue");
    assert_eq!(def["States"]["NothingLive"]["Parameters"]["colour"], "none");
    let pre = &def["States"]["RecordExecutionInputs"];
    assert_eq!(pre["Resource"], "arn:aws:states:::aws-sdk:ssm:putParameter");
    assert_eq!(pre["Parameters"]["Type"], "SecureString");
    assert_eq!(pre["Parameters"]["KeyId"], "alias/paas-platform");
    assert_eq!(pre["Parameters"]["Overwrite"], true);
    assert_eq!(pre["Parameters"]["Name"], "/paas/shop/prod/execution");
    assert_eq!(pre["Parameters"]["Value.$"], "States.JsonToString($)");
    assert_eq!(pre["Next"], "OpenAuditRecord");
    assert!(def["States"].get("CreateAuditTable").is_none());
    let open = &def["States"]["OpenAuditRecord"];
    assert_eq!(open["Resource"], "arn:aws:states:::dynamodb:putItem");
    assert_eq!(open["Parameters"]["TableName"], "paas-audit");
    assert_eq!(open["Parameters"]["Item"]["release"]["S"], "shop/prod");
    assert_eq!(
        open["Parameters"]["Item"]["execution_id"]["S.$"],
        "$$.Execution.Id"
    );
    assert_eq!(open["Parameters"]["Item"]["caller"]["S.$"], "$.caller");
    assert_eq!(
        open["Parameters"]["ConditionExpression"],
        "attribute_not_exists(execution_id)"
    );

    // Stage order along the success path.
    let path = chain(&def, "Bakery", 200);
    let pos = |s: &str| {
        path.iter()
            .position(|x| x == s)
            .unwrap_or_else(|| panic!("{s} not on {path:?}"))
    };
    assert!(pos("Bakery") < pos("BakeryWait") && pos("BakeryWait") < pos("BakeryPoll"));
    for (stage, doc) in [
        ("Bakery", "bake"),
        ("Provision", "provision"),
        ("Validation", "validate"),
        ("PostProvision", "post"),
    ] {
        let st = &def["States"][stage];
        assert_eq!(
            st["Resource"], "arn:aws:states:::aws-sdk:ssm:sendCommand",
            "{stage}"
        );
        assert_eq!(
            st["Parameters"]["DocumentName"],
            app.ssm_document_name(ToolStage::from_word(doc).unwrap())
        );
        assert_eq!(
            st["Parameters"]["InstanceIds.$"],
            "States.Array($.runner_instance_id)"
        );
        assert_eq!(
            st["ResultSelector"],
            serde_json::json!({"CommandId.$": "$.Command.CommandId", "Elapsed": 0})
        );
        let choice = &def["States"][format!("{stage}Status")];
        assert_eq!(choice["Type"], "Choice");
        assert_eq!(choice["Default"], format!("{stage}Failed"));
        assert_eq!(def["States"][format!("{stage}Failed")]["Next"], "Rollback");
    }
    // Choice routes: the Bakery status goes on to its output only with an AMI id.
    let bake_choice = def["States"]["BakeryStatus"].to_string();
    assert!(
        bake_choice.contains("ami-*")
            && bake_choice.contains("InProgress")
            && bake_choice.contains("Delayed")
    );
    // The AMI id flows to Provision, Provision's outputs to Validation and PostProvision.
    assert_eq!(
        def["States"]["BakeryOutput"]["Parameters"]["ami_id.$"],
        "States.ArrayGetItem(States.StringSplit($.bake.invocation.StandardOutputContent, $.bake.invocation.Whitespace), 0)"
    );
    assert_eq!(
        def["States"]["Provision"]["Parameters"]["Parameters"]["AmiId.$"],
        "States.Array($.bake.ami_id)"
    );
    assert_eq!(
        def["States"]["ProvisionOutput"]["Parameters"]["raw.$"],
        "States.StringToJson($.provision.invocation.StandardOutputContent)"
    );
    assert_eq!(
        def["States"]["ProvisionOutputs"]["Parameters"]["outputs"]["listener_arn.$"],
        "$.provision.raw.listener_arn.value"
    );
    // Validation checks the idle colour's hosts only; the smoke test reaches it by header.
    assert_eq!(
        def["States"]["Validation"]["Parameters"]["Parameters"]["AsgName.$"],
        "States.Array($.live.idle_asg)"
    );
    assert_eq!(
        def["States"]["PostProvision"]["Parameters"]["Parameters"]["Colour.$"],
        "States.Array($.live.idle)"
    );
    // Provision keeps the live colour's AMI and weights.
    let provision = &def["States"]["Provision"]["Parameters"]["Parameters"];
    assert_eq!(provision["LiveColour.$"], "States.Array($.live.colour)");
    assert_eq!(provision["LiveAmiId.$"], "States.Array($.live.ami)");
    assert_eq!(
        provision["BlueWeight.$"],
        "States.Array($.live.weights.blue)"
    );
    assert_eq!(
        def["States"]["ProvisionOutputs"]["Next"],
        "PickTargetGroups"
    );
    assert_eq!(
        def["States"]["IdleIsGreen"]["Parameters"]["idle.$"],
        "$.provision.outputs.green_target_group_arn"
    );
    assert_eq!(
        def["States"]["IdleIsGreen"]["Parameters"]["live.$"],
        "$.provision.outputs.blue_target_group_arn"
    );
    assert_eq!(
        def["States"]["PostProvision"]["Parameters"]["Parameters"]["AlbDnsName.$"],
        "States.Array($.provision.outputs.alb_dns_name)"
    );

    // PostProvision: one shift per release.shift entry, each followed by a
    // bake that watches the idle colour's alarms; then the release recorded
    // live, the previous colour kept warm and scaled down, audit, notify.
    let post_choice = def["States"]["PostProvisionStatus"].to_string();
    assert!(post_choice.contains("ShiftTraffic25Percent"));
    for (idle, next) in [
        (25u64, "ShiftTraffic50Percent"),
        (50, "ShiftTraffic100Percent"),
        (100, "RecordLiveRelease"),
    ] {
        let bake = format!("BakeAt{idle}Percent");
        assert_eq!(
            chain(&def, &format!("ShiftTraffic{idle}Percent"), 10),
            [
                format!("ShiftTraffic{idle}Percent"),
                bake.clone(),
                format!("{bake}Wait"),
                format!("{bake}Tick"),
                format!("{bake}Alarms"),
                format!("{bake}Check"),
            ]
        );
        let alarms = &def["States"][format!("{bake}Alarms")];
        assert_eq!(
            alarms["Resource"],
            "arn:aws:states:::aws-sdk:cloudwatch:describeAlarms"
        );
        assert_eq!(
            alarms["Parameters"]["AlarmNamePrefix.$"],
            "$.live.alarm_prefix"
        );
        assert_eq!(alarms["Parameters"]["StateValue"], "ALARM");
        let check = &def["States"][format!("{bake}Check")];
        assert_eq!(
            check["Choices"][0]["Next"],
            format!("AlarmFiredAt{idle}Percent")
        );
        assert_eq!(check["Choices"][1]["NumericGreaterThanEquals"], 120);
        assert_eq!(check["Choices"][1]["Next"], next);
        assert_eq!(check["Default"], format!("{bake}Wait"));
        assert_eq!(
            def["States"][format!("AlarmFiredAt{idle}Percent")]["Next"],
            "Rollback"
        );
        let st = &def["States"][format!("ShiftTraffic{idle}Percent")];
        assert_eq!(
            st["Resource"],
            "arn:aws:states:::aws-sdk:elasticloadbalancingv2:modifyListener"
        );
        let groups = &st["Parameters"]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"];
        assert_eq!(groups[0]["Weight"], 100 - idle);
        assert_eq!(groups[0]["TargetGroupArn.$"], "$.target_groups.live");
        assert_eq!(groups[1]["Weight"], idle);
        assert_eq!(groups[1]["TargetGroupArn.$"], "$.target_groups.idle");
        assert_eq!(
            st["Credentials"]["RoleArn"],
            "arn:aws:iam::222233334444:role/paas-provision-eu-west-1"
        );
    }
    assert_eq!(
        chain(&def, "RecordLiveRelease", 10),
        [
            "RecordLiveRelease",
            "KeepPreviousColourWarm",
            "ScaleDownPreviousColour",
            "CloseAuditRecord",
            "ReleaseLock",
            "NotifySuccess",
            "Succeeded"
        ]
    );
    assert_eq!(def["States"]["KeepPreviousColourWarm"]["Seconds"], 600);
    assert_eq!(
        def["States"]["ScaleDownPreviousColour"]["Parameters"]["AutoScalingGroupName.$"],
        "$.live.live_asg"
    );
    assert_eq!(
        def["States"]["RecordLiveRelease"]["Parameters"]["ExpressionAttributeValues"][":colour"]
            ["S.$"],
        "$.live.idle"
    );
    let close = &def["States"]["CloseAuditRecord"];
    assert_eq!(close["Resource"], "arn:aws:states:::dynamodb:updateItem");
    assert!(close["Parameters"]["UpdateExpression"]
        .as_str()
        .unwrap()
        .contains("ami_id"));
    assert_eq!(
        def["States"]["NotifySuccess"]["Parameters"]["TopicArn"],
        app.pipeline.notify.clone().unwrap()
    );

    // Failure path: rollback (live colour 100 / idle 0, idle scaled to
    // zero) -> audit -> notify -> Fail with the error.
    assert_eq!(def["States"]["Rollback"]["Type"], "Choice");
    let rb = &def["States"]["RollbackTraffic"]["Parameters"]["DefaultActions"][0]["ForwardConfig"]
        ["TargetGroups"];
    assert_eq!(rb[0]["Weight"], 100);
    assert_eq!(rb[0]["TargetGroupArn.$"], "$.target_groups.live");
    assert_eq!(rb[1]["Weight"], 0);
    assert_eq!(
        def["States"]["ScaleDownIdleColour"]["Parameters"]["AutoScalingGroupName.$"],
        "$.live.idle_asg"
    );
    assert_eq!(
        chain(&def, "RollbackTraffic", 10),
        ["RollbackTraffic", "ScaleDownIdleColour", "StageTimesKnown"]
    );
    assert_eq!(
        chain(&def, "CloseAuditRecordFailed", 10),
        [
            "CloseAuditRecordFailed",
            "ReleaseLockAfterFailure",
            "NotifyFailure",
            "CheckErrorName"
        ]
    );
    // Each stage's start and end: a clock before each stage, closed into
    // the record on both ends (an execution refused before PreProvision's
    // clock gets an empty one).
    assert_eq!(def["States"]["BakeryClock"]["Next"], "Bakery");
    assert_eq!(def["States"]["OpenAuditRecord"]["Next"], "BakeryClock");
    let post_clock = &def["States"]["PostProvisionClock"]["Parameters"];
    assert_eq!(post_clock["validation"]["ended.$"], "$$.State.EnteredTime");
    assert_eq!(
        post_clock["validation"]["started.$"],
        "$.times.validation.started"
    );
    assert_eq!(post_clock["bakery.$"], "$.times.bakery");
    assert_eq!(
        post_clock["post_provision"]["started.$"],
        "$$.State.EnteredTime"
    );
    for close in ["CloseAuditRecord", "CloseAuditRecordFailed"] {
        assert_eq!(
            def["States"][close]["Parameters"]["ExpressionAttributeValues"][":stage_times"]["S.$"],
            "States.JsonToString($.times)"
        );
    }
    assert_eq!(def["States"]["StageTimesKnown"]["Default"], "NoStageTimes");
    assert_eq!(
        def["States"]["NotifyFailure"]["Resource"],
        "arn:aws:states:::sns:publish"
    );
    assert_eq!(def["States"]["Failed"]["Type"], "Fail");
    assert_eq!(def["States"]["Failed"]["ErrorPath"], "$.error.Error");
}

#[test]
fn workers_and_strategies() {
    for (label, app) in models() {
        let def = definition(&app);
        let text = def.to_string();
        assert!(!text.contains("REPLACE_ME"), "{label}");
        let bakery = &def["States"]["Bakery"];
        match app.pipeline.workers {
            Workers::Ssm => assert_eq!(
                bakery["Resource"], "arn:aws:states:::aws-sdk:ssm:sendCommand",
                "{label}"
            ),
            Workers::Activity => {
                assert_eq!(
                    bakery["Resource"],
                    format!(
                        "arn:aws:states:{}:{}:activity:paas-{}-{}-bake",
                        app.region, app.pipeline.account, app.name, app.env
                    ),
                    "{label}"
                );
                assert!(!text.contains("sendCommand"), "{label}");
                let heartbeat = bakery["HeartbeatSeconds"].as_u64().unwrap();
                assert!(heartbeat < bakery["TimeoutSeconds"].as_u64().unwrap());
                // The worker is told which document to run, how often to
                // beat, and the same parameters an SSM command gets.
                let task = &bakery["Parameters"];
                assert_eq!(task["document"], "ssm/bake.json", "{label}");
                assert_eq!(task["heartbeat_seconds"], heartbeat, "{label}");
                assert_eq!(
                    task["parameters"]["ArtifactPrefix.$"], "$.artifact_prefix",
                    "{label}"
                );
                assert_eq!(
                    task["parameters"]["ExecutionId.$"], "$$.Execution.Name",
                    "{label}"
                );
                let post = &def["States"]["PostProvision"]["Parameters"]["parameters"];
                assert_eq!(post["AmiId.$"], "$.bake.ami_id", "{label}");
                assert_eq!(post["LiveAmiId.$"], "$.live.ami", "{label}");
                assert_eq!(
                    post["AlbDnsName.$"], "$.provision.outputs.alb_dns_name",
                    "{label}"
                );
                // The result is checked before it is read.
                let status = def["States"]["BakeryStatus"].to_string();
                assert!(
                    status.contains("IsPresent") && status.contains("ami-*"),
                    "{label}"
                );
                assert_eq!(def["States"]["BakeryFailed"]["Next"], "Rollback", "{label}");
            }
        }
        match app.release.strategy {
            Strategy::BlueGreen => {
                assert!(def["States"].get("RollbackTraffic").is_some(), "{label}");
                let shifts = states(&def)
                    .keys()
                    .filter(|k| k.starts_with("ShiftTraffic"))
                    .count();
                assert_eq!(shifts, app.release.shift.len(), "{label}");
            }
            Strategy::Rolling => {
                // A rollback, not a cancel: cancelling leaves the replaced
                // instances on the new AMI.
                let undo = &def["States"]["RollbackInstanceRefresh"];
                assert_eq!(
                    undo["Resource"],
                    "arn:aws:states:::aws-sdk:autoscaling:rollbackInstanceRefresh"
                );
                assert!(undo["Credentials"]["RoleArn"].is_string(), "{label}");
                assert!(!text.contains("cancelInstanceRefresh"), "{label}");
                assert!(!text.contains("modifyListener"), "{label}");
            }
        }
        // Every pipeline notifies: the spec's topic, else the platform's.
        let topic = app.pipeline.notify.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:sns:{}:{}:paas-notifications",
                app.region, app.pipeline.account
            )
        });
        for state in ["NotifyFailure", "NotifySuccess"] {
            assert_eq!(
                def["States"][state]["Parameters"]["TopicArn"],
                topic.as_str(),
                "{label}"
            );
        }
        assert_eq!(
            def["States"]["RecordExecutionInputs"]["Parameters"]["KeyId"], "alias/paas-platform",
            "{label}"
        );
        // Deterministic bytes.
        assert_eq!(
            stepfunctions::emit(&app).unwrap(),
            stepfunctions::emit(&app).unwrap(),
            "{label}"
        );
    }
}

/// The full-featured blue-green example (examples/shop.paas, env prod) runs
/// to SUCCEEDED; then a second execution whose Validation command fails runs
/// to FAILED through the traffic rollback and the failure notification.
#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn moto_blue_green_succeeds_then_validation_failure_rolls_back() {
    // Bakes of 3 s: long enough to set an alarm while one runs.
    let mut app = moto::isolated(
        moto::executable(compile(&root().join("examples/shop.paas"), Some("prod"))),
        "200000000001",
        "200000000002",
    );
    app.release.bake_seconds = 3;
    let server = moto::Server::start();
    let env = moto::Env::prepare(&server, &app);
    let (blue, green) = (app.asg_name("blue"), app.asg_name("green"));

    // 1. The first release: nothing live, blue takes it.
    let run = env.run(&app, "ok", moto::Outcome::Success);
    assert_eq!(run.status, "SUCCEEDED", "history:\n{}", run.history_text());
    for s in [
        state::PRE_PROVISION,
        "NothingLive",
        "OpenAuditRecord",
        state::BAKERY,
        "BakeryWait",
        "BakeryPoll",
        "BakeryStatus",
        "BakeryOutput",
        state::PROVISION,
        "ProvisionOutputs",
        "IdleIsBlue",
        state::VALIDATION,
        "ValidationOutput",
        state::POST_PROVISION,
        "ShiftTraffic25Percent",
        "BakeAt25PercentAlarms",
        "ShiftTraffic50Percent",
        "ShiftTraffic100Percent",
        "BakeAt100PercentCheck",
        "RecordLiveRelease",
        "KeepPreviousColourWarm",
        "ScaleDownPreviousColour",
        state::CLOSE_AUDIT_RECORD,
        state::NOTIFY_SUCCESS,
        state::SUCCEEDED,
    ] {
        assert!(
            run.entered(s),
            "{s} not entered; history:\n{}",
            run.history_text()
        );
    }
    assert!(!run.entered(state::ROLLBACK));
    // Polling looped: Validation reported InProgress once before Success.
    assert_eq!(
        run.entered_count("ValidationPoll"),
        2,
        "history:\n{}",
        run.history_text()
    );
    // Each bake of 3 s polled its alarms three times.
    // Each bake of 3 s waited once (polls are a minute, or the bake when shorter).
    assert_eq!(
        run.entered_count("BakeAt25PercentAlarms"),
        1,
        "{}",
        run.history_text()
    );
    // Stage order in the history.
    let order: Vec<usize> = [
        state::PRE_PROVISION,
        state::BAKERY,
        state::PROVISION,
        state::VALIDATION,
        state::POST_PROVISION,
    ]
    .iter()
    .map(|s| run.first_entered(s).unwrap())
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "stages out of order: {order:?}"
    );
    // Side effects in the emulator's services: blue takes all the traffic
    // and is recorded live; green (the stand-in "live" colour) is empty.
    assert_eq!(env.listener_weights(), (100, 0), "all traffic on blue");
    let item = env.release_item(&app);
    assert_eq!(item["live_colour"]["S"], "blue", "{item}");
    assert_eq!(item["live_ami"]["S"], moto::AMI_ID, "{item}");
    assert_eq!(env.desired_capacity(&green), 0);
    assert_eq!(env.desired_capacity(&blue), 1);
    let record = env.audit_record(&app, &run.arn);
    assert_eq!(record["status"]["S"], "SUCCEEDED");
    assert_eq!(record["ami_id"]["S"], moto::AMI_ID);
    assert_eq!(record["previous_ami"]["S"], "");
    assert_eq!(record["colour"]["S"], "blue");
    assert_eq!(record["content_hash"]["S"], moto::CONTENT_HASH);
    assert_eq!(
        record["caller"]["S"],
        "arn:aws:sts::200000000001:assumed-role/ci/test"
    );
    let resources: Value =
        serde_json::from_str(record["resources"]["S"].as_str().unwrap()).unwrap();
    assert!(
        resources["aws_lb.this"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:elasticloadbalancing:"),
        "{resources}"
    );
    let validation: Value =
        serde_json::from_str(record["validation"]["S"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            validation["passed"].as_u64(),
            validation["skipped"].as_u64()
        ),
        (Some(12), Some(1)),
        "{validation}"
    );
    assert!(
        validation["report"].as_str().unwrap().starts_with("s3://"),
        "{validation}"
    );
    assert!(record["live_since"]["S"].as_str().is_some(), "{record}");
    let times: Value = serde_json::from_str(record["stage_times"]["S"].as_str().unwrap()).unwrap();
    for stage in ["pre_provision", "bakery", "provision", "validation"] {
        let (started, ended) = (
            times[stage]["started"].as_str(),
            times[stage]["ended"].as_str(),
        );
        assert!(
            started.is_some() && ended.is_some() && started <= ended,
            "{stage}: {times}"
        );
    }
    assert!(
        times["validation"]["ended"].as_str() <= times["post_provision"]["started"].as_str(),
        "{times}"
    );
    env.assert_secure_parameter(&app);
    let messages = env.notifications();
    assert!(
        messages
            .iter()
            .any(|m| m["result"] == "SUCCEEDED" && m["ami_id"] == moto::AMI_ID),
        "{messages:?}"
    );

    // 2. The second release: green takes it; its error alarm fires while
    //    the second shift bakes. The traffic goes back to blue, green is
    //    emptied, blue stays the live colour.
    env.write_success(&app);
    let arn = env.start(&app, "alarm");
    env.wait_until_entered(&arn, "ShiftTraffic50Percent");
    let alarm = format!("{}errors", app.alarm_prefix("green"));
    env.set_alarm(&alarm, "ALARM");
    let run = env.wait(&arn);
    env.set_alarm(&alarm, "OK");
    assert_eq!(run.status, "FAILED", "history:\n{}", run.history_text());
    assert_eq!(run.error.as_deref(), Some("paasc.AlarmFired"));
    assert!(
        run.cause.as_deref().unwrap().contains(&alarm),
        "{:?}",
        run.cause
    );
    assert!(
        run.cause.as_deref().unwrap().contains("50%"),
        "{:?}",
        run.cause
    );
    for s in [
        "LiveIsBlue",
        "IdleIsGreen",
        "AlarmFiredAt50Percent",
        "RollbackTraffic",
        "ScaleDownIdleColour",
        "CloseAuditRecordFailed",
    ] {
        assert!(
            run.entered(s),
            "{s} not entered; history:\n{}",
            run.history_text()
        );
    }
    assert!(!run.entered("AlarmFiredAt25Percent"));
    assert!(!run.entered("RecordLiveRelease"));
    assert_eq!(
        env.listener_weights(),
        (100, 0),
        "rollback put all traffic back on blue"
    );
    assert_eq!(
        env.desired_capacity(&green),
        0,
        "the idle colour is emptied"
    );
    assert_eq!(
        env.desired_capacity(&blue),
        1,
        "the live colour is untouched"
    );
    let item = env.release_item(&app);
    assert_eq!(item["live_colour"]["S"], "blue", "{item}");
    let record = env.audit_record(&app, &run.arn);
    assert_eq!(record["status"]["S"], "FAILED");
    assert_eq!(record["colour"]["S"], "green");
    assert_eq!(record["previous_ami"]["S"], moto::AMI_ID);
    assert!(record["error"]["S"]
        .as_str()
        .unwrap()
        .contains("AlarmFired"));
    let times: Value = serde_json::from_str(record["stage_times"]["S"].as_str().unwrap()).unwrap();
    assert!(times["post_provision"]["started"].is_string(), "{times}");

    // 3. Validation fails: nothing shifted, the traffic stays on blue.
    let run = env.run(&app, "validation-fails", moto::Outcome::FailAt("validate"));
    assert_eq!(run.status, "FAILED", "history:\n{}", run.history_text());
    for s in [
        state::VALIDATION,
        "ValidationFailed",
        state::ROLLBACK,
        "RollbackTraffic",
        "ScaleDownIdleColour",
        "CloseAuditRecordFailed",
        state::NOTIFY_FAILURE,
        state::FAILED,
    ] {
        assert!(
            run.entered(s),
            "{s} not entered; history:\n{}",
            run.history_text()
        );
    }
    assert!(!run.entered(state::POST_PROVISION));
    assert_eq!(run.error.as_deref(), Some("paasc.ValidationCommandFailed"));
    assert_eq!(env.listener_weights(), (100, 0));
    let record = env.audit_record(&app, &run.arn);
    assert_eq!(record["status"]["S"], "FAILED");
    assert!(record["error"]["S"]
        .as_str()
        .unwrap()
        .contains("ValidationCommandFailed"));
    let messages = env.notifications();
    assert!(
        messages
            .iter()
            .any(|m| m["result"] == "FAILED"
                && m["error"]["Error"] == "paasc.ValidationCommandFailed"),
        "{messages:?}"
    );

    // 4. The next good release goes to green, which becomes live; blue is
    //    scaled to zero after the keep-warm time.
    let run = env.run(&app, "to-green", moto::Outcome::Success);
    assert_eq!(run.status, "SUCCEEDED", "history:\n{}", run.history_text());
    assert!(run.entered("LiveIsBlue") && run.entered("IdleIsGreen"));
    assert_eq!(env.listener_weights(), (0, 100), "all traffic on green");
    assert_eq!(env.release_item(&app)["live_colour"]["S"], "green");
    assert_eq!(
        env.desired_capacity(&blue),
        0,
        "the previous colour is scaled down"
    );
}

/// Rolling, in moto: Validation waits for the instance refresh Terraform
/// started (InProgress, then Successful), the release is recorded live with
/// its AMI; a failed Validation asks for the refresh's rollback (none is in
/// progress any more: the path goes on) and reports.
#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn moto_rolling_waits_for_the_instance_refresh() {
    let app = moto::isolated(
        moto::executable(compile(&root().join("examples/batch.paas"), None)),
        "200000000021",
        "200000000022",
    );
    assert_eq!(app.release.strategy, Strategy::Rolling);
    // batch serves its stages with activity workers; this test is about
    // the refresh, so its stages run through SSM like the other tests'.
    let mut app = app;
    app.pipeline.workers = Workers::Ssm;
    let server = moto::Server::start();
    let env = moto::Env::prepare(&server, &app);
    // The refresh Terraform's apply starts when the launch template changes.
    env.start_instance_refresh(&app.asg_name("this"));
    let run = env.run(&app, "ok", moto::Outcome::Success);
    assert_eq!(run.status, "SUCCEEDED", "history:\n{}", run.history_text());
    assert!(run.entered("InstanceRefreshWait"), "{}", run.history_text());
    assert_eq!(
        run.entered_count("DescribeInstanceRefresh"),
        2,
        "{}",
        run.history_text()
    );
    assert!(run.first_entered("DescribeInstanceRefresh") < run.first_entered(state::VALIDATION));
    assert!(run.entered("RecordLiveRelease"));
    assert_eq!(env.release_item(&app)["live_ami"]["S"], moto::AMI_ID);
    let record = env.audit_record(&app, &run.arn);
    assert_eq!(record["status"]["S"], "SUCCEEDED");
    assert_eq!(record["previous_ami"]["S"], "");

    let run = env.run(&app, "validation-fails", moto::Outcome::FailAt("validate"));
    assert_eq!(run.status, "FAILED", "history:\n{}", run.history_text());
    assert!(run.entered("LiveReleaseKnown"));
    assert!(
        run.entered("RollbackInstanceRefresh"),
        "{}",
        run.history_text()
    );
    assert!(run.entered("CloseAuditRecordFailed"));
    assert_eq!(run.error.as_deref(), Some("paasc.ValidationCommandFailed"));
    assert_eq!(
        env.audit_record(&app, &run.arn)["previous_ami"]["S"],
        moto::AMI_ID
    );
}

/// A Provision command that fails: FAILED through the failure path, with no
/// traffic rollback (Provision produced no outputs) but the audit record
/// closed and the notification sent.
#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn moto_provision_failure_fails_through_rollback_and_notification() {
    let app = moto::isolated(
        moto::executable(compile(&root().join("examples/shop.paas"), Some("prod"))),
        "200000000003",
        "200000000004",
    );
    let server = moto::Server::start();
    let env = moto::Env::prepare(&server, &app);
    let run = env.run(&app, "provision-fails", moto::Outcome::FailAt("provision"));
    assert_eq!(run.status, "FAILED", "history:\n{}", run.history_text());
    for s in [
        state::BAKERY,
        "BakeryOutput",
        state::PROVISION,
        "ProvisionStatus",
        "ProvisionFailed",
        state::ROLLBACK,
        "CloseAuditRecordFailed",
        state::NOTIFY_FAILURE,
        state::FAILED,
    ] {
        assert!(
            run.entered(s),
            "{s} not entered; history:\n{}",
            run.history_text()
        );
    }
    for s in [
        "ProvisionOutput",
        state::VALIDATION,
        "RollbackTraffic",
        state::SUCCEEDED,
    ] {
        assert!(
            !run.entered(s),
            "{s} entered; history:\n{}",
            run.history_text()
        );
    }
    assert_eq!(run.error.as_deref(), Some("paasc.ProvisionCommandFailed"));
    assert!(
        run.cause.as_deref().unwrap_or("").contains("Failed"),
        "{:?}",
        run.cause
    );
    let record = env.audit_record(&app, &run.arn);
    assert_eq!(record["status"]["S"], "FAILED");
    let messages = env.notifications();
    assert!(
        messages
            .iter()
            .any(|m| m["result"] == "FAILED"
                && m["error"]["Error"] == "paasc.ProvisionCommandFailed"),
        "{messages:?}"
    );
    assert_eq!(env.listener_weights(), (100, 0), "traffic untouched");
}

/// Every stage has its own deadline, enforced where it runs, and they fit
/// in the execution's timeout with the release's bakes and the failure
/// path's reserve; a stage is never started again after its deadline.
#[test]
fn each_stage_has_a_deadline_inside_the_execution_timeout() {
    use paasc::model::deadline;
    for (label, app) in models() {
        let def = definition(&app);
        let d = app.pipeline.deadlines;
        assert_eq!(
            def["TimeoutSeconds"], app.pipeline.timeout_seconds,
            "{label}"
        );
        assert!(
            deadline::stages_seconds(&app.release, &d) + deadline::release_seconds(&app.release)
                <= app.pipeline.timeout_seconds,
            "{label}: {d:?} do not fit {}",
            app.pipeline.timeout_seconds
        );
        for stage in ToolStage::ALL {
            let name = stage.state();
            let task = &def["States"][name];
            match app.pipeline.workers {
                Workers::Ssm => {
                    // SSM stops the script at the deadline...
                    let doc = paasc::emit::ssm::emit(&app)
                        .unwrap()
                        .into_iter()
                        .find(|a| a.path == stage.document_path())
                        .unwrap();
                    let doc: Value = serde_json::from_str(&doc.contents).unwrap();
                    assert_eq!(
                        doc["mainSteps"][0]["inputs"]["timeoutSeconds"],
                        d.of(stage),
                        "{label} {name}"
                    );
                    // ...and the state machine cancels a command still running
                    // two polls past it, then takes the failure path.
                    let choices = def["States"][format!("{name}Status")]["Choices"].to_string();
                    assert!(choices.contains("NumericGreaterThan"), "{label} {name}");
                    assert!(choices.contains(&format!("{name}Overdue")), "{label}");
                    assert!(choices.contains(&format!("{name}TimedOut")), "{label}");
                    let overdue = &def["States"][format!("{name}Overdue")];
                    assert_eq!(
                        overdue["Resource"], "arn:aws:states:::aws-sdk:ssm:cancelCommand",
                        "{label}"
                    );
                    assert_eq!(overdue["Next"], format!("{name}TimedOut"));
                    let timed_out = &def["States"][format!("{name}TimedOut")];
                    assert_eq!(
                        timed_out["Parameters"]["Error"],
                        format!("paasc.{name}TimedOut")
                    );
                    assert_eq!(timed_out["Next"], state::ROLLBACK);
                    assert!(task["Parameters"]["TimeoutSeconds"].as_u64().unwrap() <= 600);
                }
                Workers::Activity => {
                    assert_eq!(task["TimeoutSeconds"], d.of(stage), "{label} {name}");
                    // Past the deadline, or failed by the script: no retry.
                    let never = &task["Retry"][0];
                    assert_eq!(never["ErrorEquals"][0], "States.Timeout", "{label} {name}");
                    assert!(
                        never["ErrorEquals"]
                            .to_string()
                            .contains(&format!("paasc.{name}CommandFailed")),
                        "{label} {name}"
                    );
                    assert_eq!(never["MaxAttempts"], 0, "{label} {name}");
                    // A dead or stopped worker: retried.
                    let again = &task["Retry"][1]["ErrorEquals"];
                    assert_eq!(
                        *again,
                        serde_json::json!(["States.HeartbeatTimeout", "paasc.WorkerStopped"]),
                        "{label} {name}"
                    );
                }
            }
        }
    }
}

/// A spec whose stages cannot fit its timeout is refused, located at the
/// timeout, with the smallest timeout that fits.
#[test]
fn a_timeout_too_short_for_the_release_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("app.paas");
    let text = std::fs::read_to_string(root().join("examples/shop.paas"))
        .unwrap()
        .replace("timeout = 90m", "timeout = 15m");
    assert!(text.contains("timeout = 15m"));
    std::fs::write(&spec, &text).unwrap();
    let err = paasc::compile_file(&spec, Some("prod"), &[]).unwrap_err();
    assert!(err.contains("paas::E0330"), "{err}");
    assert!(
        err.contains("the stages do not fit the pipeline's timeout of 15m"),
        "{err}"
    );
    assert!(err.contains("raise `timeout` to at least"), "{err}");
}

/// One release at a time: PreProvision takes the app and env's release item
/// with a conditional write; both ends give it back, only when held.
#[test]
fn the_release_is_taken_first_and_given_back_on_every_end() {
    for (label, app) in models() {
        let def = definition(&app);
        let states = states(&def);
        let take = &states[state::PRE_PROVISION];
        assert_eq!(
            take["Resource"], "arn:aws:states:::dynamodb:updateItem",
            "{label}"
        );
        assert_eq!(take["Parameters"]["TableName"], "paas-releases");
        assert_eq!(
            take["Parameters"]["Key"]["release"]["S"],
            app.release_key(),
            "{label}"
        );
        assert_eq!(
            take["Parameters"]["ConditionExpression"],
            "attribute_not_exists(#running) OR #running = :me"
        );
        assert_eq!(take["Next"], "ReadLiveRelease", "{label}");
        assert_eq!(take["Parameters"]["ReturnValues"], "ALL_NEW", "{label}");
        // Refused: the failure path, which rolls back nothing of the other
        // release (this execution has no Provision outputs).
        let refused = &states[state::RELEASE_IN_PROGRESS];
        assert_eq!(refused["Parameters"]["Error"], "paasc.ReleaseInProgress");
        assert_eq!(refused["Next"], state::ROLLBACK);
        // Nothing is undone without a Provision, nor once the release is live.
        let rollback = states[state::ROLLBACK]["Choices"].to_string();
        assert!(rollback.contains("$.provision"), "{label}");
        assert!(rollback.contains("$.live_recorded"), "{label}");
        for (release, status, after) in [
            (state::RELEASE_LOCK, "SUCCEEDED", state::NOTIFY_SUCCESS),
            (
                state::RELEASE_LOCK_AFTER_FAILURE,
                "FAILED",
                state::NOTIFY_FAILURE,
            ),
        ] {
            let r = &states[release];
            assert_eq!(
                r["Parameters"]["ConditionExpression"], "#running = :me",
                "{label}"
            );
            assert_eq!(
                r["Parameters"]["ExpressionAttributeValues"][":status"]["S"],
                status
            );
            assert_eq!(r["Next"], after, "{label}");
        }
        assert_eq!(
            states[state::CLOSE_AUDIT_RECORD]["Next"],
            state::RELEASE_LOCK
        );
        assert_eq!(
            states["CloseAuditRecordFailed"]["Next"],
            state::RELEASE_LOCK_AFTER_FAILURE
        );
    }
}

/// In moto: a second execution while one runs is refused at once and leaves
/// the first alone; a release left behind by an ended execution is taken
/// over; a stage past its deadline is cancelled and rolls back.
#[test]
#[cfg_attr(
    not(feature = "tool-tests"),
    ignore = "tool tier (moto): scripts/test.sh runs it"
)]
fn moto_one_release_at_a_time_and_stage_deadlines() {
    let mut app = moto::isolated(
        moto::executable(compile(&root().join("examples/shop.paas"), Some("prod"))),
        "200000000005",
        "200000000006",
    );
    // A short Validation deadline: polls of 1 s, cancelled past 22 s.
    app.pipeline.deadlines.validate = 20;
    let server = moto::Server::start();
    let env = moto::Env::prepare(&server, &app);

    // First release, held in Validation for a while.
    env.hold_stage(&app, ToolStage::Validate, 12);
    let first = env.start(&app, "first");
    let held = std::time::Instant::now();
    while env.release_item(&app)["running"]["S"] != first.as_str() {
        assert!(held.elapsed().as_secs() < 60, "{}", env.release_item(&app));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let second = env.wait(&env.start(&app, "second"));
    assert_eq!(
        second.status,
        "FAILED",
        "history:\n{}",
        second.history_text()
    );
    assert_eq!(
        second.error.as_deref(),
        Some("paasc.ReleaseInProgress"),
        "{:?}\n{}",
        second.cause,
        second.history_text()
    );
    assert!(
        second.cause.as_deref().unwrap_or("").contains(&first),
        "{:?}",
        second.cause
    );
    for s in [state::BAKERY, "RecordExecutionInputs", "RollbackTraffic"] {
        assert!(
            !second.entered(s),
            "{s} entered:\n{}",
            second.history_text()
        );
    }
    assert_eq!(env.status(&first), "RUNNING", "the first release goes on");
    assert_eq!(env.release_item(&app)["running"]["S"], first.as_str());
    let first = env.wait(&first);
    assert_eq!(
        first.status,
        "SUCCEEDED",
        "history:\n{}",
        first.history_text()
    );
    assert_eq!(
        env.listener_weights(),
        (100, 0),
        "blue took the first release"
    );
    let item = env.release_item(&app);
    assert!(item.get("running").is_none(), "given back: {item}");
    assert_eq!(item["last_execution"]["S"], first.arn.as_str());
    assert_eq!(item["last_status"]["S"], "SUCCEEDED");

    // An execution that ended without giving the release back (stopped by
    // hand, say): the next one takes it over.
    let gone = format!(
        "arn:aws:states:{}:{}:execution:{}:stopped-by-hand",
        app.region,
        app.pipeline.account,
        app.state_machine_name()
    );
    server.json(
        "dynamodb",
        "DynamoDB_20120810.PutItem",
        &app.region,
        Some(&app.pipeline.account),
        serde_json::json!({
            "TableName": "paas-releases",
            "Item": { "release": { "S": app.release_key() }, "running": { "S": gone } },
        }),
    );
    let third = env.run(&app, "third", moto::Outcome::Success);
    assert_eq!(
        third.status,
        "SUCCEEDED",
        "history:\n{}",
        third.history_text()
    );
    assert!(
        third.entered("TakeOverReleaseLock"),
        "{}",
        third.history_text()
    );

    // A Validation that never ends: cancelled past its deadline, rolled back.
    env.hold_stage(&app, ToolStage::Validate, 10_000);
    let stuck = env.wait(&env.start(&app, "stuck"));
    assert_eq!(stuck.status, "FAILED", "history:\n{}", stuck.history_text());
    assert_eq!(
        stuck.error.as_deref(),
        Some("paasc.ValidationTimedOut"),
        "{:?}\n{}",
        stuck.cause,
        stuck.history_text()
    );
    for s in [
        "ValidationOverdue",
        "ValidationTimedOut",
        "RollbackTraffic",
        "CloseAuditRecordFailed",
        state::RELEASE_LOCK_AFTER_FAILURE,
        state::NOTIFY_FAILURE,
    ] {
        assert!(
            stuck.entered(s),
            "{s} not entered:\n{}",
            stuck.history_text()
        );
    }
    assert!(stuck.entered_count("ValidationPoll") >= 20);
    let live = env.release_item(&app)["live_colour"]["S"]
        .as_str()
        .unwrap()
        .to_string();
    let on_live = if live == "blue" { (100, 0) } else { (0, 100) };
    assert_eq!(
        env.listener_weights(),
        on_live,
        "traffic back on the live colour ({live})"
    );
    assert_eq!(env.audit_record(&app, &stuck.arn)["status"]["S"], "FAILED");
    let item = env.release_item(&app);
    assert!(item.get("running").is_none(), "given back: {item}");
    assert_eq!(item["last_status"]["S"], "FAILED");
    assert_eq!(env.command_status(&app, ToolStage::Validate), "Cancelled");
}
