//! The failure path every main-flow Task's `Catch` (and every failed command
//! status) leads to, with the error object at `$.error`:
//! Rollback (only when Provision produced outputs, i.e. something new exists)
//! -> audit record closed as FAILED -> notification (when `pipeline.notify`)
//! -> `Fail` with the original error and cause (`States.*` errors, which a
//! Fail state may not raise, as `paasc.PipelineFailed` with the original
//! error as the cause).
//!
//! Rollback: blue-green puts all traffic back on blue (`modifyListener`,
//! blue 100 / green 0); rolling rolls the instance refresh back. The failure
//! path's own Tasks retry like any other but catch into the next step of the
//! path (keeping `$.error` intact), so a broken rollback still reports.

use super::postprovision::{listener_fields, subject};
use super::{output, Builder, Integration};
use crate::model::names::{input, platform, state, TfOutput};
use crate::model::Strategy;
use serde_json::{json, Map, Value};

const ROLLBACK_TRAFFIC: &str = "RollbackTraffic";
const ROLLBACK_REFRESH: &str = "RollbackInstanceRefresh";
const CLOSE_FAILED: &str = "CloseAuditRecordFailed";
const CHECK_ERROR: &str = "CheckErrorName";
const WRAP_ERROR: &str = "WrapReservedError";

pub(super) fn build(b: &mut Builder) {
    let app = b.app;
    let after_audit = state::RELEASE_LOCK_AFTER_FAILURE;
    let release = super::preprovision::release_lock(b, "FAILED", state::NOTIFY_FAILURE);
    b.add(state::RELEASE_LOCK_AFTER_FAILURE, release);

    let (undo, undo_state) = match app.release.strategy {
        Strategy::BlueGreen => (
            ROLLBACK_TRAFFIC,
            listener_fields(
                b,
                100,
                0,
                "Roll back: all traffic to the previous (blue) instances",
            ),
        ),
        Strategy::Rolling => {
            let mut fields = Map::new();
            fields.insert(
                "Comment".into(),
                json!("Roll back: put the instances the refresh replaced back on the previous launch template version"),
            );
            fields.insert(
                "Parameters".into(),
                json!({ "AutoScalingGroupName.$": output(TfOutput::AsgName) }),
            );
            fields.insert("ResultPath".into(), Value::Null);
            fields.insert(
                "Credentials".into(),
                json!({ "RoleArn": app.provision_role_arn() }),
            );
            (ROLLBACK_REFRESH, Value::Object(fields))
        }
    };
    b.add(
        state::ROLLBACK,
        json!({
            "Type": "Choice",
            "Comment": "Roll back only when Provision got far enough to change something",
            "Choices": [{ "Variable": "$.provision.outputs", "IsPresent": true, "Next": undo }],
            "Default": CLOSE_FAILED,
        }),
    );
    let (resource, integration, never): (String, Integration, &[&str]) = match app.release.strategy
    {
        Strategy::BlueGreen => (
            b.integration("aws-sdk:elasticloadbalancingv2:modifyListener"),
            Integration::ElbV2,
            &[],
        ),
        Strategy::Rolling => (
            b.integration("aws-sdk:autoscaling:rollbackInstanceRefresh"),
            Integration::AutoScaling,
            // No refresh in progress (nothing to roll back), or one AWS cannot
            // roll back: not worth retrying; the failure path goes on.
            &[
                "AutoScaling.ActiveInstanceRefreshNotFoundException",
                "AutoScaling.IrreversibleInstanceRefreshException",
            ],
        ),
    };
    let undo_task = path_task(
        b,
        resource,
        integration,
        never,
        undo_state,
        "$.rollback_error",
        CLOSE_FAILED,
    );
    b.add(undo, undo_task);

    let close = path_task(
        b,
        b.integration("dynamodb:updateItem"),
        Integration::DynamoDbOptimized,
        &[],
        json!({
            "Parameters": {
                "TableName": platform::AUDIT_TABLE,
                "Key": { "release": { "S": app.release_key() }, "execution_id": { "S.$": "$$.Execution.Id" } },
                "UpdateExpression": "SET #status = :status, content_hash = :content_hash, #error = :error, finished_at = :finished_at",
                "ExpressionAttributeNames": { "#status": "status", "#error": "error" },
                "ExpressionAttributeValues": {
                    ":status": { "S": "FAILED" },
                    ":content_hash": { "S.$": input::path(input::CONTENT_HASH) },
                    ":error": { "S.$": "States.JsonToString($.error)" },
                    ":finished_at": { "S.$": "$$.State.EnteredTime" },
                },
            },
            "ResultPath": null,
        }),
        "$.audit_error",
        after_audit,
    );
    b.add(CLOSE_FAILED, close);

    {
        let topic = app.notification_topic();
        let notify = path_task(
            b,
            b.integration("sns:publish"),
            Integration::Sns,
            &[],
            json!({
                "Parameters": {
                    "TopicArn": topic,
                    "Subject": subject(&format!("paasc: {}/{} {} FAILED", app.name, app.env, app.version)),
                    "Message": {
                        "result": "FAILED",
                        "app": app.name,
                        "env": app.env,
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
        json!({
            "Type": "Choice",
            "Choices": [{ "Variable": "$.error.Error", "StringMatches": "States.*", "Next": WRAP_ERROR }],
            "Default": state::FAILED,
        }),
    );
    b.add(
        WRAP_ERROR,
        json!({
            "Type": "Pass",
            "Parameters": { "Error": "paasc.PipelineFailed", "Cause.$": "States.JsonToString($.error)" },
            "ResultPath": "$.error",
            "Next": state::FAILED,
        }),
    );
    b.add(
        state::FAILED,
        json!({
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
    fields: Value,
    error_path: &str,
    next: &str,
) -> Value {
    let mut state = Map::new();
    state.insert("Type".into(), json!("Task"));
    state.insert("Resource".into(), json!(resource));
    if let Value::Object(extra) = fields {
        state.extend(extra);
    }
    state.insert("Retry".into(), b.retry(integration, never));
    state.insert(
        "Catch".into(),
        json!([{ "ErrorEquals": ["States.ALL"], "ResultPath": error_path, "Next": next }]),
    );
    state.insert("Next".into(), json!(next));
    Value::Object(state)
}
