//! PreProvision: the execution's inputs into Parameter Store (SecureString,
//! the platform key), then the audit record opened in the platform's audit
//! table.
//!
//! Both the key and the table exist before the first execution: `paasc
//! bootstrap` creates them with the rest of the platform (the table with a
//! customer managed key, point-in-time recovery and deletion protection), so
//! the pipeline creates nothing of its own. The record is opened with a
//! conditional write: an execution is audited once, even when retried.

use super::{Builder, Integration};
use crate::model::names::{input, parameter, platform, state};
use serde_json::json;

const OPEN: &str = "OpenAuditRecord";

pub(super) fn build(b: &mut Builder, next: &str) {
    let app = b.app;

    let put = b.task(
        b.integration("aws-sdk:ssm:putParameter"),
        Integration::Ssm,
        json!({
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
    b.add(state::PRE_PROVISION, put);

    let open = b.task_never_retry(
        b.integration("dynamodb:putItem"),
        Integration::DynamoDbOptimized,
        // The record exists: a retry of this very state after a lost answer.
        &["DynamoDB.ConditionalCheckFailedException"],
        json!({
            "Parameters": {
                "TableName": platform::AUDIT_TABLE,
                "Item": {
                    "release": { "S": app.release_key() },
                    "execution_id": { "S.$": "$$.Execution.Id" },
                    "app": { "S": app.name },
                    "env": { "S": app.env },
                    "version": { "S.$": input::path(input::VERSION) },
                    "content_hash": { "S.$": input::path(input::CONTENT_HASH) },
                    "artifact_bucket": { "S.$": input::path(input::ARTIFACT_BUCKET) },
                    "artifact_prefix": { "S.$": input::path(input::ARTIFACT_PREFIX) },
                    "caller": { "S.$": input::path(input::CALLER) },
                    // `$$.State.EnteredTime`, not `$$.Execution.StartTime`: the emulator gives the
                    // latter as a non-string, and the record is opened seconds after the start anyway.
                    "opened_at": { "S.$": "$$.State.EnteredTime" },
                    "status": { "S": "RUNNING" },
                },
                "ConditionExpression": "attribute_not_exists(execution_id)",
            },
            "ResultPath": null,
            "Catch": [{ "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": null, "Next": next }],
        }),
        next,
    );
    b.add(OPEN, open);
}
