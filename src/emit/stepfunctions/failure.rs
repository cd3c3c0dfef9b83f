//! The failure path every main-flow Task's `Catch` (and every failed command
//! status) leads to, with the error object at `$.error`:
//! Rollback (only when Provision produced outputs, i.e. something new exists)
//! -> audit record closed as FAILED -> notification (when `pipeline.notify`)
//! -> `Fail` with the original error and cause (`States.*` errors, which a
//! Fail state may not raise, as `paasc.PipelineFailed` with the original
//! error as the cause).
//!
//! Rollback: blue-green puts all traffic back on the colour that was live
//! (`modifyListener`, live 100 / idle 0) and scales the idle colour to zero,
//! leaving the recorded live colour as it was; rolling rolls the instance
//! refresh back. Once the release is recorded live nothing is undone. The failure
//! path's own Tasks retry like any other but catch into the next step of the
//! path (keeping `$.error` intact), so a broken rollback still reports.

use super::postprovision::subject;
use super::{output, Builder, Integration};
use crate::emit::json::{node, Node, Obj};
use crate::model::names::{input, platform, state, TfOutput};
use crate::model::Strategy;

const ROLLBACK_REFRESH: &str = "RollbackInstanceRefresh";
const CLOSE_FAILED: &str = "CloseAuditRecordFailed";
/// Before the audit record is closed: `$.times` exists from PreProvision's
/// clock on; an execution refused before it gets an empty one.
const TO_CLOSE: &str = "StageTimesKnown";
const NO_TIMES: &str = "NoStageTimes";
const CHECK_ERROR: &str = "CheckErrorName";
const WRAP_ERROR: &str = "WrapReservedError";

pub(super) fn build(b: &mut Builder) {
    let app = b.app;
    let after_audit = state::RELEASE_LOCK_AFTER_FAILURE;
    let release = super::preprovision::release_lock(b, "FAILED", state::NOTIFY_FAILURE);
    b.add(state::RELEASE_LOCK_AFTER_FAILURE, release);

    match app.release.strategy {
        Strategy::BlueGreen => {
            use super::release::{
                listener_fields, rollback_choices, scale_to_zero, ROLLBACK_TRAFFIC, SCALE_DOWN_IDLE,
            };
            b.add(
                state::ROLLBACK,
                node!({
                    "Type": "Choice",
                    "Comment": "Put the traffic back on the live colour and empty the idle one, as far as this release got",
                    "Choices": rollback_choices(TO_CLOSE),
                    "Default": TO_CLOSE,
                }),
            );
            let traffic = path_task(
                b,
                b.integration("aws-sdk:elasticloadbalancingv2:modifyListener"),
                Integration::ElbV2,
                &[],
                listener_fields(b, 0, "Roll back: all traffic to the colour that was live"),
                "$.rollback_error",
                SCALE_DOWN_IDLE,
            );
            b.add(ROLLBACK_TRAFFIC, traffic);
            let scale = path_task(
                b,
                b.integration("aws-sdk:autoscaling:updateAutoScalingGroup"),
                Integration::AutoScaling,
                // The very first Provision failed before the group existed.
                &["AutoScaling.ValidationErrorException"],
                scale_to_zero(
                    b,
                    "$.live.idle_asg",
                    "Roll back: the idle colour keeps no hosts (the live one is untouched)",
                ),
                "$.scale_down_error",
                TO_CLOSE,
            );
            b.add(SCALE_DOWN_IDLE, scale);
        }
        Strategy::Rolling => {
            let fields = node!({
                "Comment": "Roll back: put the instances the refresh replaced back on the previous launch template version",
                "Parameters": { "AutoScalingGroupName.$": output(TfOutput::AsgName) },
                "ResultPath": null,
                "Credentials": { "RoleArn": app.provision_role_arn() },
            });
            b.add(
                state::ROLLBACK,
                node!({
                    "Type": "Choice",
                    "Comment": "Roll back only when Provision got far enough to change something, and the release is not live yet",
                    "Choices": [
                        { "Variable": "$.live_recorded", "IsPresent": true, "Next": TO_CLOSE },
                        { "Variable": "$.provision.outputs", "IsPresent": true, "Next": ROLLBACK_REFRESH },
                    ],
                    "Default": TO_CLOSE,
                }),
            );
            let undo_task = path_task(
                b,
                b.integration("aws-sdk:autoscaling:rollbackInstanceRefresh"),
                Integration::AutoScaling,
                // No refresh in progress (nothing to roll back), or one AWS cannot
                // roll back: not worth retrying; the failure path goes on.
                &[
                    "AutoScaling.ActiveInstanceRefreshNotFoundException",
                    "AutoScaling.IrreversibleInstanceRefreshException",
                ],
                fields,
                "$.rollback_error",
                TO_CLOSE,
            );
            b.add(ROLLBACK_REFRESH, undo_task);
        }
    }

    let close = path_task(
        b,
        b.integration("dynamodb:updateItem"),
        Integration::DynamoDbOptimized,
        &[],
        node!({
            "Parameters": {
                "TableName": platform::AUDIT_TABLE,
                "Key": { "release": { "S": app.release_key() }, "execution_id": { "S.$": "$$.Execution.Id" } },
                "UpdateExpression": "SET #status = :status, content_hash = :content_hash, #error = :error, finished_at = :finished_at, stage_times = :stage_times",
                "ExpressionAttributeNames": { "#status": "status", "#error": "error" },
                "ExpressionAttributeValues": {
                    ":status": { "S": "FAILED" },
                    ":content_hash": { "S.$": input::path(input::CONTENT_HASH) },
                    ":error": { "S.$": "States.JsonToString($.error)" },
                    ":finished_at": { "S.$": "$$.State.EnteredTime" },
                    ":stage_times": { "S.$": "States.JsonToString($.times)" },
                },
            },
            "ResultPath": null,
        }),
        "$.audit_error",
        after_audit,
    );
    b.add(CLOSE_FAILED, close);
    b.add(
        TO_CLOSE,
        node!({
            "Type": "Choice",
            "Choices": [{ "Variable": "$.times", "IsPresent": true, "Next": CLOSE_FAILED }],
            "Default": NO_TIMES,
        }),
    );
    b.add(
        NO_TIMES,
        node!({
            "Type": "Pass",
            "Comment": "Refused before PreProvision's clock started",
            "Result": {},
            "ResultPath": "$.times",
            "Next": CLOSE_FAILED,
        }),
    );

    {
        let topic = app.notification_topic();
        let notify = path_task(
            b,
            b.integration("sns:publish"),
            Integration::Sns,
            &[],
            node!({
                "Parameters": {
                    "TopicArn": topic,
                    "Subject": subject(&format!("paasc: {}/{} {} FAILED", app.name, app.env, app.version)),
                    "Message": {
                        "result": "FAILED",
                        "app": &app.name,
                        "env": &app.env,
                        "version.$": input::path(input::VERSION),
                        "execution.$": "$$.Execution.Id",
                        "content_hash.$": input::path(input::CONTENT_HASH),
                        "error.$": "$.error",
                    },
                },
                "ResultPath": null,
            }),
            "$.notify_error",
            CHECK_ERROR,
        );
        b.add(state::NOTIFY_FAILURE, notify);
    }

    // `States.*` names are reserved for the runtime's own errors: a Fail state
    // may not raise them (emulators reject it outright), so those are
    // reported as `paasc.PipelineFailed` with the original error as the cause.
    b.add(
        CHECK_ERROR,
        node!({
            "Type": "Choice",
            "Choices": [{ "Variable": "$.error.Error", "StringMatches": "States.*", "Next": WRAP_ERROR }],
            "Default": state::FAILED,
        }),
    );
    b.add(
        WRAP_ERROR,
        node!({
            "Type": "Pass",
            "Parameters": { "Error": "paasc.PipelineFailed", "Cause.$": "States.JsonToString($.error)" },
            "ResultPath": "$.error",
            "Next": state::FAILED,
        }),
    );
    b.add(
        state::FAILED,
        node!({
            "Type": "Fail",
            "Comment": "Fails the execution with the error that started the failure path",
            "ErrorPath": "$.error.Error",
            "CausePath": "$.error.Cause",
        }),
    );
}

/// A failure-path Task: Retry as usual; any error continues along the path
/// (result at `error_path`, `$.error` untouched).
fn path_task(
    b: &Builder,
    resource: String,
    integration: Integration,
    never: &[&str],
    fields: Node,
    error_path: &str,
    next: &str,
) -> Node {
    let mut state = Obj::new();
    state.insert("Type".into(), node!("Task"));
    state.insert("Resource".into(), node!(resource));
    if let Node::Obj(extra) = fields {
        state.extend(extra);
    }
    state.insert("Retry".into(), b.retry(integration, never));
    state.insert(
        "Catch".into(),
        node!([{ "ErrorEquals": ["States.ALL"], "ResultPath": error_path, "Next": next }]),
    );
    state.insert("Next".into(), node!(next));
    Node::Obj(state)
}
