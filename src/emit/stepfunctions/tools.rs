//! The tool stages (Bakery, Provision, Validation, and PostProvision's smoke
//! test) for each kind of worker.
//!
//! `workers = ssm`: SSM Run Command on the runner instance. AWS SDK
//! integrations have no `.sync`, so: `sendCommand` -> Wait -> poll
//! `getCommandInvocation` -> Choice on `Status` (Success: on; Pending,
//! InProgress, Delayed: wait again; anything else: failure path). Bake prints
//! only the AMI id and Provision only `terraform output -json` on stdout, so
//! the AMI id and the outputs are read from `StandardOutputContent`, after a
//! Choice checked their shape (an intrinsic failing on bad text would be a
//! `States.Runtime` error, which no Catch can route to the rollback).
//!
//! `workers = activity`: one activity Task per stage. `paasc worker` gets
//! the document to run and its parameters' values (below), runs the same
//! script an SSM command would, and returns `{"ami_id": "ami-..."}` for
//! bake, `{"outputs": <terraform output -json>}` for provision and the
//! summary JSON for validate.
//!
//! State layout: `$.bake` ends as `{"ami_id"}`, `$.provision` as
//! `{"outputs": {...}}` holding only the outputs later states read.

use super::intrinsic::intrinsic_escape;
use super::{output, Builder, Integration};
use crate::emit::json::{node, Node, Obj};
use crate::model::names::{doc_param, input, state, TfOutput, ToolStage as Stage, WorkerError};
use crate::model::{Strategy, Workers};

/// Seconds between `getCommandInvocation` polls: a bake takes many
/// minutes, the checks a few; at least twenty polls fit in the deadline.
fn poll_seconds(stage: Stage, deadline: u64) -> u64 {
    let usual = match stage {
        Stage::Bake => 30,
        Stage::Provision => 15,
        Stage::Validate | Stage::Post => 10,
    };
    usual.min(deadline / 20).max(1)
}

/// Seconds a command may wait for the runner to pick it up (SendCommand's
/// `TimeoutSeconds`, 30 at least): past it SSM never starts it.
fn delivery_seconds(deadline: u64) -> u64 {
    deadline.clamp(30, 600)
}

pub(super) fn build_stage(b: &mut Builder, stage: Stage, next: &str) {
    match b.app.pipeline.workers {
        Workers::Ssm => ssm_stage(b, stage, next),
        Workers::Activity => worker_stage(b, stage, next),
    }
}

/// What each stage's document parameter is bound to: (parameter name, the
/// JSONPath of its value). Names match the documents of `emit::ssm`; SSM
/// takes each as a list of strings, an activity worker as a plain value.
fn stage_inputs(b: &Builder, stage: Stage) -> Vec<(&'static str, String)> {
    let mut p = vec![
        (
            doc_param::ARTIFACT_BUCKET,
            input::path(input::ARTIFACT_BUCKET),
        ),
        (
            doc_param::ARTIFACT_PREFIX,
            input::path(input::ARTIFACT_PREFIX),
        ),
        (doc_param::EXECUTION_ID, "$$.Execution.Name".to_string()),
    ];
    let blue_green = b.app.release.strategy == Strategy::BlueGreen;
    match stage {
        Stage::Bake => {}
        Stage::Provision => {
            p.push((doc_param::AMI_ID, "$.bake.ami_id".into()));
            p.push((doc_param::STATE_BUCKET, input::path(input::STATE_BUCKET)));
            p.push((doc_param::STATE_KMS_KEY, input::path(input::PLATFORM_KEY)));
            if blue_green {
                // The live colour keeps its AMI and all the traffic; the idle
                // one takes the new AMI and no traffic until PostProvision
                // shifts it.
                p.extend([
                    (doc_param::BLUE_WEIGHT, "$.live.weights.blue".into()),
                    (doc_param::GREEN_WEIGHT, "$.live.weights.green".into()),
                    (doc_param::LIVE_COLOUR, "$.live.colour".into()),
                    (doc_param::LIVE_AMI_ID, "$.live.ami".into()),
                ]);
            }
        }
        Stage::Validate => p.push((doc_param::ASG_NAME, validated_asg(b))),
        Stage::Post => {
            p.push((doc_param::ALB_DNS_NAME, output(TfOutput::AlbDnsName)));
            p.push((doc_param::AMI_ID, "$.bake.ami_id".into()));
            p.push((doc_param::LIVE_AMI_ID, "$.live.ami".into()));
            if blue_green {
                p.push((doc_param::COLOUR, "$.live.idle".into()));
            }
        }
    }
    p
}

/// SSM document parameters (each a list of strings) for a stage.
fn ssm_parameters(b: &Builder, stage: Stage) -> Node {
    let p = stage_inputs(b, stage)
        .into_iter()
        .map(|(name, path)| (format!("{name}.$"), node!(format!("States.Array({path})"))))
        .collect();
    Node::Obj(p)
}

/// The auto scaling group Validation checks: blue-green, the idle colour's
/// (the new hosts only); rolling, the one fleet's.
fn validated_asg(b: &Builder) -> String {
    match b.app.release.strategy {
        Strategy::BlueGreen => "$.live.idle_asg".into(),
        Strategy::Rolling => output(TfOutput::AsgName),
    }
}

fn ssm_stage(b: &mut Builder, stage: Stage, next: &str) {
    let app = b.app;
    let name = stage.state();
    let key = stage.word();
    let wait = format!("{name}Wait");
    let poll = format!("{name}Poll");
    let status = format!("{name}Status");
    let failed = format!("{name}Failed");
    let output = format!("{name}Output");
    let tick = format!("{name}Tick");
    let overdue = format!("{name}Overdue");
    let timed_out = format!("{name}TimedOut");
    let deadline = app.pipeline.deadlines.of(stage);
    let poll_every = poll_seconds(stage, deadline);
    let elapsed = format!("$.{key}.command.Elapsed");

    let send = b.task(
        b.integration("aws-sdk:ssm:sendCommand"),
        Integration::Ssm,
        node!({
            "Comment": format!("Runs SSM document {} on the runner instance", app.ssm_document_name(stage)),
            "Parameters": {
                "DocumentName": app.ssm_document_name(stage),
                "InstanceIds.$": format!("States.Array({})", input::path(input::RUNNER_INSTANCE_ID)),
                "Comment": format!("paasc {}/{} {}", app.name, app.env, stage.word()),
                "Parameters": ssm_parameters(b, stage),
                "TimeoutSeconds": delivery_seconds(deadline),
            },
            // The full SendCommand result is large and holds timestamps; only the
            // id is needed, and the seconds waited so far (the stage's clock).
            "ResultSelector": { "CommandId.$": "$.Command.CommandId", "Elapsed": 0 },
            "ResultPath": format!("$.{key}.command"),
        }),
        &wait,
    );
    b.add(name, send);
    b.add(
        &wait,
        node!({ "Type": "Wait", "Seconds": poll_every, "Next": &tick }),
    );
    b.add(
        &tick,
        node!({
            "Type": "Pass",
            "Comment": "Count the seconds waited: the stage's deadline is measured in them",
            "Parameters": {
                "CommandId.$": format!("$.{key}.command.CommandId"),
                "Elapsed.$": format!("States.MathAdd({elapsed}, {poll_every})"),
            },
            "ResultPath": format!("$.{key}.command"),
            "Next": &poll,
        }),
    );

    let mut selector = Obj::new();
    selector.insert("Status.$".into(), node!("$.Status"));
    selector.insert("StatusDetails.$".into(), node!("$.StatusDetails"));
    selector.insert("ResponseCode.$".into(), node!("$.ResponseCode"));
    let reads_stdout = matches!(stage, Stage::Bake | Stage::Provision | Stage::Validate);
    if reads_stdout {
        selector.insert(
            "StandardOutputContent.$".into(),
            node!("$.StandardOutputContent"),
        );
    }
    if stage == Stage::Bake {
        // Separators for trimming the AMI id (`echo` ends it with a newline);
        // passed by path: intrinsic string literals cannot hold control characters.
        selector.insert("Whitespace".into(), node!(" \t\r\n"));
    }
    let get = b.task(
        b.integration("aws-sdk:ssm:getCommandInvocation"),
        Integration::Ssm,
        node!({
            "Parameters": {
                "CommandId.$": format!("$.{key}.command.CommandId"),
                "InstanceId.$": input::path(input::RUNNER_INSTANCE_ID),
            },
            "ResultSelector": Node::Obj(selector),
            "ResultPath": format!("$.{key}.invocation"),
        }),
        &status,
    );
    // Right after SendCommand the invocation may not exist yet: retried as transient.
    b.add(&poll, get);

    let status_var = format!("$.{key}.invocation.Status");
    let stdout_var = format!("$.{key}.invocation.StandardOutputContent");
    let success = node!({ "Variable": &status_var, "StringEquals": "Success" });
    let success_rule = match stage {
        Stage::Bake => node!({
            "And": [success, { "Variable": &stdout_var, "StringMatches": "ami-*" }],
            "Next": &output,
        }),
        Stage::Provision => node!({
            "And": [success, { "Variable": &stdout_var, "StringMatches": "{*" }],
            "Next": &output,
        }),
        Stage::Validate => node!({
            "And": [success, { "Variable": &stdout_var, "StringMatches": "{*" }],
            "Next": &output,
        }),
        Stage::Post => {
            node!({ "Variable": &status_var, "StringEquals": "Success", "Next": next })
        }
    };
    let running = ["Pending", "InProgress", "Delayed"]
        .iter()
        .map(|s| node!({ "Variable": &status_var, "StringEquals": s }))
        .collect::<Vec<_>>();
    // SSM stops the script at the deadline (the document's timeoutSeconds);
    // a command still running two polls later (never delivered, or its
    // runner gone) is cancelled here.
    let limit = deadline + 2 * poll_every;
    b.add(
        &status,
        node!({
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        { "Or": running.clone() },
                        { "Variable": elapsed, "NumericGreaterThan": limit },
                    ],
                    "Next": &overdue,
                },
                { "Or": running, "Next": wait },
                success_rule,
                { "Variable": status_var, "StringEquals": "TimedOut", "Next": &timed_out },
            ],
            "Default": &failed,
        }),
    );
    let mut cancel = Obj::new();
    cancel.insert("Type".into(), node!("Task"));
    cancel.insert(
        "Resource".into(),
        node!(b.integration("aws-sdk:ssm:cancelCommand")),
    );
    cancel.insert(
        "Comment".into(),
        node!("Past the stage's deadline: stop the command on the runner"),
    );
    cancel.insert(
        "Parameters".into(),
        node!({
            "CommandId.$": format!("$.{key}.command.CommandId"),
            "InstanceIds.$": format!("States.Array({})", input::path(input::RUNNER_INSTANCE_ID)),
        }),
    );
    cancel.insert("ResultPath".into(), Node::Null);
    cancel.insert("Retry".into(), b.retry(Integration::Ssm, &[]));
    // A cancel that fails still reports the timeout (and rolls back).
    cancel.insert(
        "Catch".into(),
        node!([{ "ErrorEquals": ["States.ALL"], "ResultPath": format!("$.{key}.cancel_error"), "Next": &timed_out }]),
    );
    cancel.insert("Next".into(), node!(&timed_out));
    b.add(&overdue, Node::Obj(cancel));
    b.add(
        &timed_out,
        node!({
            "Type": "Pass",
            "Comment": "The stage passed its deadline: the failure path reports it",
            "Parameters": {
                "Error": format!("paasc.{name}TimedOut"),
                "Cause.$": format!(
                    "States.Format('SSM document {} (command {{}}) passed the stage deadline of {deadline} s ({{}})', $.{key}.command.CommandId, $.{key}.invocation.Status)",
                    intrinsic_escape(&app.ssm_document_name(stage)),
                ),
            },
            "ResultPath": "$.error",
            "Next": state::ROLLBACK,
        }),
    );

    let expectation = match stage {
        Stage::Bake => " (or printed no AMI id)",
        Stage::Provision => " (or printed no terraform output JSON)",
        Stage::Validate => " (or printed no JSON summary)",
        Stage::Post => "",
    };
    b.add(
        &failed,
        node!({
            "Type": "Pass",
            "Comment": "The command ended in a failed state: build the error the failure path reports",
            "Parameters": {
                "Error": format!("paasc.{name}CommandFailed"),
                "Cause.$": format!(
                    "States.Format('SSM document {} (command {{}}) ended with status {{}}: {{}}{}', $.{key}.command.CommandId, $.{key}.invocation.Status, $.{key}.invocation.StatusDetails)",
                    intrinsic_escape(&app.ssm_document_name(stage)),
                    expectation
                ),
            },
            "ResultPath": "$.error",
            "Next": state::ROLLBACK,
        }),
    );

    match stage {
        Stage::Bake => {
            b.add(
                &output,
                node!({
                    "Type": "Pass",
                    "Comment": "Keep only the AMI id: the first word of the output",
                    "Parameters": {
                        "ami_id.$": format!("States.ArrayGetItem(States.StringSplit({stdout_var}, $.{key}.invocation.Whitespace), 0)")
                    },
                    "ResultPath": "$.bake",
                    "Next": next,
                }),
            );
        }
        Stage::Provision => {
            let select = format!("{name}Outputs");
            b.add(
                &output,
                node!({
                    "Type": "Pass",
                    "Comment": "Parse `terraform output -json`",
                    "Parameters": { "raw.$": format!("States.StringToJson({stdout_var})") },
                    "ResultPath": "$.provision",
                    "Next": &select,
                }),
            );
            add_output_selection(b, &select, "$.provision.raw", next);
        }
        Stage::Validate => {
            b.add(
                &output,
                node!({
                    "Type": "Pass",
                    "Comment": "Keep the report's summary: status, S3 URI, passed/failed/skipped results",
                    "Parameters": { "report.$": format!("States.StringToJson({stdout_var})") },
                    "ResultPath": "$.validate",
                    "Next": next,
                }),
            );
        }
        Stage::Post => {}
    }
}

/// Keeps only the needed outputs' values: `$.provision = {"outputs": {...}}`.
fn add_output_selection(b: &mut Builder, name: &str, raw: &str, next: &str) {
    let mut outputs = Obj::new();
    for o in TfOutput::read_by_pipeline(b.app.release.strategy) {
        let o = o.name();
        outputs.insert(format!("{o}.$").into(), node!(format!("{raw}.{o}.value")));
    }
    b.add(
        name,
        node!({
            "Type": "Pass",
            "Comment": "Keep only the Terraform outputs later states read",
            "Parameters": { "outputs": Node::Obj(outputs) },
            "ResultPath": "$.provision",
            "Next": next,
        }),
    );
}

/// Seconds without a heartbeat after which a worker is taken for dead:
/// half the stage's deadline, two minutes at most (`paasc worker` beats
/// every third of it).
fn heartbeat_seconds(deadline: u64) -> u64 {
    (deadline / 2).clamp(1, 120)
}

/// The task an activity worker gets for a stage: which document of the
/// release to run and the values of its parameters, the same ones an SSM
/// command gets (`paasc worker` checks them against the document's
/// `allowedPattern`s).
fn worker_payload(b: &Builder, stage: Stage) -> Node {
    let app = b.app;
    let parameters: Obj = stage_inputs(b, stage)
        .into_iter()
        .map(|(name, path)| (format!("{name}.$"), node!(path)))
        .collect();
    node!({
        "stage": stage.word(),
        "app": &app.name,
        "env": &app.env,
        "document": stage.document_path(),
        "heartbeat_seconds": heartbeat_seconds(app.pipeline.deadlines.of(stage)),
        "parameters": parameters,
    })
}

fn worker_stage(b: &mut Builder, stage: Stage, next: &str) {
    let app = b.app;
    let name = stage.state();
    let key = stage.word();
    // Bake and provision results are checked by a Choice before anything reads
    // them: a missing field read by a selector would be an uncatchable
    // `States.Runtime` error instead of a rollback.
    let checked = matches!(stage, Stage::Bake | Stage::Provision);
    let keeps_report = stage == Stage::Validate;
    let status = format!("{name}Status");
    let after = if checked {
        status.clone()
    } else {
        next.to_string()
    };
    let activity = app.activity_arn(stage);
    let deadline = app.pipeline.deadlines.of(stage);
    let mut fields = Obj::new();
    fields.insert(
        "Comment".into(),
        node!(format!(
            "Runs {} of the release on a paasc worker serving the activity",
            stage.document_path()
        )),
    );
    fields.insert("Parameters".into(), worker_payload(b, stage));
    fields.insert("TimeoutSeconds".into(), node!(deadline));
    // A worker that stops heartbeating has died: fail (and retry) long before the deadline.
    fields.insert(
        "HeartbeatSeconds".into(),
        node!(heartbeat_seconds(deadline)),
    );
    if checked {
        fields.insert("ResultSelector".into(), node!({ "result.$": "$" }));
    }
    if keeps_report {
        fields.insert("ResultSelector".into(), node!({ "report.$": "$" }));
    }
    let result_path = if checked || keeps_report {
        node!(format!("$.{key}"))
    } else {
        Node::Null
    };
    fields.insert("ResultPath".into(), result_path);
    // A stage past its deadline is not started again, nor one whose script
    // failed: they roll back. A dead or stopped worker's task is retried.
    let mut never = vec!["States.Timeout".to_string()];
    never.extend(WorkerError::ALL.map(|e| e.name(stage)));
    let never: Vec<&str> = never.iter().map(String::as_str).collect();
    let task = b.task_never_retry(
        activity.clone(),
        Integration::Activity,
        &never,
        Node::Obj(fields),
        &after,
    );
    b.add(name, task);
    if !checked {
        return;
    }

    let (field, pattern, what) = match stage {
        Stage::Bake => ("ami_id", "ami-*", "`ami_id` starting with ami-"),
        _ => ("outputs", "", "`outputs` object"),
    };
    let var = format!("$.{key}.result.{field}");
    let failed = format!("{name}Failed");
    let output = format!("{name}Output");
    let present = node!({ "Not": { "Variable": &var, "IsPresent": true }, "Next": &failed });
    let good = if pattern.is_empty() {
        node!({ "Variable": &var, "IsPresent": true, "Next": &output })
    } else {
        node!({ "Variable": &var, "StringMatches": pattern, "Next": &output })
    };
    b.add(
        &status,
        node!({ "Type": "Choice", "Choices": [present, good], "Default": &failed }),
    );
    b.add(
        &failed,
        node!({
            "Type": "Pass",
            "Comment": "The worker returned no usable result: build the error the failure path reports",
            "Parameters": {
                "Error": WorkerError::ResultInvalid.name(stage),
                "Cause": format!("{activity} returned no {what}"),
            },
            "ResultPath": "$.error",
            "Next": state::ROLLBACK,
        }),
    );
    match stage {
        Stage::Bake => b.add(
            &output,
            node!({
                "Type": "Pass",
                "Comment": "Keep only the AMI id",
                "Parameters": { "ami_id.$": var },
                "ResultPath": "$.bake",
                "Next": next,
            }),
        ),
        _ => add_output_selection(b, &output, &format!("$.{key}.result.outputs"), next),
    }
}
