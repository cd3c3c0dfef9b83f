//! PreProvision: the release taken (one execution at a time per app and
//! env), the execution's inputs into Parameter Store (SecureString, the
//! platform key), then the audit record opened in the platform's audit
//! table.
//!
//! The release is taken with a conditional write on the app and env's item
//! of the platform's release table (`running` = this execution's ARN). When
//! another execution holds it, Step Functions is asked whether that one
//! still runs: if it does, this execution stops at once through the failure
//! path with `paasc.ReleaseInProgress` (nothing of it exists to roll back;
//! the other release is not touched); if it ended without giving the
//! release back (stopped by hand, say), the release is taken over with a
//! write conditioned on the stale holder. Every end, success or failure,
//! gives it back (conditioned on holding it).
//!
//! Both the key and the table exist before the first execution: `paasc
//! bootstrap` creates them with the rest of the platform (the table with a
//! customer managed key, point-in-time recovery and deletion protection), so
//! the pipeline creates nothing of its own. The record is opened with a
//! conditional write: an execution is audited once, even when retried.

use super::intrinsic::intrinsic_escape;
use super::{Builder, Integration};
use crate::emit::json::{node, Node, Obj};
use crate::model::names::platform::release_item;
use crate::model::names::{input, parameter, platform, state};

const OPEN: &str = "OpenAuditRecord";

pub(super) const RECORD_INPUTS: &str = "RecordExecutionInputs";
const READ_LOCK: &str = "ReadReleaseLock";
const HOLDER_KNOWN: &str = "ReleaseLockHolderKnown";
const DESCRIBE_HOLDER: &str = "DescribeReleaseLockHolder";
const HOLDER_RUNNING: &str = "ReleaseLockHolderRunning";
const TAKE_OVER: &str = "TakeOverReleaseLock";

/// `dynamodb:updateItem` taking the release item's `running` for this
/// execution when `condition` holds.
fn take_release(b: &Builder, condition: &str, stale: bool) -> Node {
    let app = b.app;
    let mut values = Obj::new();
    values.insert(":me".into(), node!({ "S.$": "$$.Execution.Id" }));
    values.insert(":since".into(), node!({ "S.$": "$$.State.EnteredTime" }));
    if stale {
        values.insert(
            ":stale".into(),
            node!({ "S.$": format!("$.release_lock.Item.{}.S", release_item::RUNNING) }),
        );
    }
    node!({
        "TableName": platform::RELEASES_TABLE,
        "Key": { "release": { "S": app.release_key() } },
        "UpdateExpression": "SET #running = :me, #since = :since",
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {
            "#running": release_item::RUNNING,
            "#since": release_item::RUNNING_SINCE,
        },
        "ExpressionAttributeValues": Node::Obj(values),
        // The live release's AMI and colour come back with the item.
        "ReturnValues": "ALL_NEW",
    })
}

pub(super) fn build(b: &mut Builder, next: &str) {
    let app = b.app;
    let conflict = "DynamoDB.ConditionalCheckFailedException";

    // Take the release; a retry of this state after a lost answer finds it ours.
    let take = b.task_never_retry(
        b.integration("dynamodb:updateItem"),
        Integration::DynamoDbOptimized,
        &[conflict],
        node!({
            "Comment": "One release at a time: take the app and env's release item",
            "Parameters": take_release(b, "attribute_not_exists(#running) OR #running = :me", false),
            "ResultSelector": { "Attributes.$": "$.Attributes" },
            "ResultPath": super::release::RELEASE_STATE,
            "Catch": [{ "ErrorEquals": [conflict], "ResultPath": null, "Next": READ_LOCK }],
        }),
        super::release::READ_LIVE,
    );
    b.add(state::PRE_PROVISION, take);
    super::release::build_read(b, super::release::START_CLOCK);
    let read = b.task(
        b.integration("dynamodb:getItem"),
        Integration::DynamoDbOptimized,
        node!({
            "Parameters": {
                "TableName": platform::RELEASES_TABLE,
                "Key": { "release": { "S": app.release_key() } },
                "ConsistentRead": true,
            },
            "ResultPath": "$.release_lock",
        }),
        HOLDER_KNOWN,
    );
    b.add(READ_LOCK, read);
    let holder = format!("$.release_lock.Item.{}.S", release_item::RUNNING);
    b.add(
        HOLDER_KNOWN,
        node!({
            "Type": "Choice",
            "Comment": "Given back meanwhile: take it again",
            "Choices": [{ "Variable": &holder, "IsPresent": true, "Next": DESCRIBE_HOLDER }],
            "Default": state::PRE_PROVISION,
        }),
    );
    let gone = "Sfn.ExecutionDoesNotExistException";
    let describe = b.task_never_retry(
        b.integration("aws-sdk:sfn:describeExecution"),
        Integration::Sfn,
        &[gone],
        node!({
            "Comment": "Does the execution that holds the release still run?",
            "Parameters": { "ExecutionArn.$": &holder },
            "ResultSelector": { "Status.$": "$.Status" },
            "ResultPath": "$.release_lock.holder",
            "Catch": [{ "ErrorEquals": [gone], "ResultPath": null, "Next": TAKE_OVER }],
        }),
        HOLDER_RUNNING,
    );
    b.add(DESCRIBE_HOLDER, describe);
    b.add(
        HOLDER_RUNNING,
        node!({
            "Type": "Choice",
            "Choices": [{ "Variable": "$.release_lock.holder.Status", "StringEquals": "RUNNING", "Next": state::RELEASE_IN_PROGRESS }],
            "Default": TAKE_OVER,
        }),
    );
    b.add(
        state::RELEASE_IN_PROGRESS,
        node!({
            "Type": "Pass",
            "Comment": "Another release of this app and env runs: stop without touching it",
            "Parameters": {
                "Error": "paasc.ReleaseInProgress",
                "Cause.$": format!(
                    "States.Format('another release of {} is running: {{}}', {holder})",
                    intrinsic_escape(&app.release_key())
                ),
            },
            "ResultPath": "$.error",
            "Next": state::ROLLBACK,
        }),
    );
    let take_over = b.task_never_retry(
        b.integration("dynamodb:updateItem"),
        Integration::DynamoDbOptimized,
        &[conflict],
        node!({
            "Comment": "The holder ended without giving the release back: take it over",
            "Parameters": take_release(b, "#running = :stale", true),
            "ResultSelector": { "Attributes.$": "$.Attributes" },
            "ResultPath": super::release::RELEASE_STATE,
            // Someone else was quicker: look again.
            "Catch": [{ "ErrorEquals": [conflict], "ResultPath": null, "Next": READ_LOCK }],
        }),
        super::release::READ_LIVE,
    );
    b.add(TAKE_OVER, take_over);

    let put = b.task(
        b.integration("aws-sdk:ssm:putParameter"),
        Integration::Ssm,
        node!({
            "Comment": "Pipeline inputs of this execution, encrypted with the platform key",
            "Parameters": {
                "Name": app.parameter(parameter::EXECUTION),
                "Type": "SecureString",
                "KeyId": app.platform_kms_key_id(),
                "Overwrite": true,
                "Value.$": "States.JsonToString($)",
                "Description": format!("paasc: pipeline inputs of the latest execution of {} ({})", app.name, app.env),
            },
            "ResultPath": null,
        }),
        OPEN,
    );
    b.add(RECORD_INPUTS, put);

    let open = b.task_never_retry(
        b.integration("dynamodb:putItem"),
        Integration::DynamoDbOptimized,
        // The record exists: a retry of this very state after a lost answer.
        &["DynamoDB.ConditionalCheckFailedException"],
        node!({
            "Parameters": {
                "TableName": platform::AUDIT_TABLE,
                "Item": {
                    "release": { "S": app.release_key() },
                    "execution_id": { "S.$": "$$.Execution.Id" },
                    "app": { "S": &app.name },
                    "env": { "S": &app.env },
                    "version": { "S.$": input::path(input::VERSION) },
                    "content_hash": { "S.$": input::path(input::CONTENT_HASH) },
                    "artifact_bucket": { "S.$": input::path(input::ARTIFACT_BUCKET) },
                    "artifact_prefix": { "S.$": input::path(input::ARTIFACT_PREFIX) },
                    "caller": { "S.$": input::path(input::CALLER) },
                    // `$$.State.EnteredTime`, not `$$.Execution.StartTime`: the emulator gives the
                    // latter as a non-string, and the record is opened seconds after the start anyway.
                    "opened_at": { "S.$": "$$.State.EnteredTime" },
                    "status": { "S": "RUNNING" },
                    // What was live when this release started (empty before the first).
                    "previous_ami": { "S.$": "$.live.ami" },
                },
                "ConditionExpression": "attribute_not_exists(execution_id)",
            },
            "ResultPath": null,
            "Catch": [{ "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": null, "Next": next }],
        }),
        next,
    );
    let mut open = open;
    if app.release.strategy == crate::model::Strategy::BlueGreen {
        // The colour this release goes to.
        if let Some(item) = open
            .pointer_mut("/Parameters/Item")
            .and_then(|i| i.as_obj_mut())
        {
            item.insert("colour".into(), node!({ "S.$": "$.live.idle" }));
        }
    }
    b.add(OPEN, open);
}

/// Gives the release back at the end of an execution (`status`: SUCCEEDED
/// or FAILED), only when this execution holds it; any error continues to
/// `next` (a release left behind is taken over by the next execution once
/// this one has ended).
pub(super) fn release_lock(b: &Builder, status: &str, next: &str) -> Node {
    let app = b.app;
    node!({
        "Type": "Task",
        "Resource": b.integration("dynamodb:updateItem"),
        "Comment": "Give the release back for the next execution",
        "Parameters": {
            "TableName": platform::RELEASES_TABLE,
            "Key": { "release": { "S": app.release_key() } },
            "UpdateExpression": "REMOVE #running, #since SET #last = :me, #status = :status",
            "ConditionExpression": "#running = :me",
            "ExpressionAttributeNames": {
                "#running": release_item::RUNNING,
                "#since": release_item::RUNNING_SINCE,
                "#last": release_item::LAST_EXECUTION,
                "#status": release_item::LAST_STATUS,
            },
            "ExpressionAttributeValues": {
                ":me": { "S.$": "$$.Execution.Id" },
                ":status": { "S": status },
            },
        },
        "ResultPath": null,
        "Retry": b.retry(Integration::DynamoDbOptimized, &["DynamoDB.ConditionalCheckFailedException"]),
        "Catch": [{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.release_lock_error", "Next": next }],
        "Next": next,
    })
}
