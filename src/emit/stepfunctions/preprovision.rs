//! PreProvision: the execution's config into Parameter Store (SecureString,
//! the app's KMS key), then the audit record opened in DynamoDB.
//!
//! Why PreProvision makes sure the audit table exists: the record is opened
//! before anything is built, so on an app's very first execution nothing
//! created later (the Terraform module runs in Provision, in the app's
//! account) can hold it. The table belongs to the pipeline, in the pipeline
//! account: `DescribeTable`, and on `ResourceNotFoundException`
//! `CreateTable` (on-demand, SSE with the app's key, deletion protection),
//! then poll until `ACTIVE`; point-in-time recovery is (re)enabled on every
//! run. Idempotent and race-safe: a concurrent
//! execution's `ResourceInUseException` just goes on polling. The Terraform
//! module therefore never creates this table; its `audit_table` output only
//! names it.

use super::{Builder, Integration};
use crate::model::names::{parameter, state};
use serde_json::json;

const DESCRIBE: &str = "DescribeAuditTable";
const CREATE: &str = "CreateAuditTable";
const READY: &str = "AuditTableReady";
const WAIT: &str = "WaitForAuditTable";
const BACKUPS: &str = "EnsureAuditBackups";
const OPEN: &str = "OpenAuditRecord";

/// Seconds between `DescribeTable` polls while the table is being created.
const TABLE_POLL_SECONDS: u64 = 5;

pub(super) fn build(b: &mut Builder, next: &str) {
    let app = b.app;
    let table = app.audit_table();
    let key = app.pipeline_kms_key_id();

    let put = b.task(
        b.integration("aws-sdk:ssm:putParameter"),
        Integration::Ssm,
        json!({
            "Comment": "Pipeline inputs of this execution, encrypted with the app's KMS key",
            "Parameters": {
                "Name": app.parameter(parameter::EXECUTION),
                "Type": "SecureString",
                "KeyId": key,
                "Overwrite": true,
                "Value.$": "States.JsonToString($)",
                "Description": format!("paasc: pipeline inputs of the latest execution of {} ({})", app.name, app.env),
            },
            "ResultPath": null,
        }),
        DESCRIBE,
    );
    b.add(state::PRE_PROVISION, put);

    let describe = b.task_never_retry(
        b.integration("aws-sdk:dynamodb:describeTable"),
        Integration::DynamoDbSdk,
        &["DynamoDb.ResourceNotFoundException"],
        json!({
            "Parameters": { "TableName": table },
            "ResultSelector": { "TableStatus.$": "$.Table.TableStatus" },
            "ResultPath": "$.audit_table",
            "Catch": [{ "ErrorEquals": ["DynamoDb.ResourceNotFoundException"], "ResultPath": null, "Next": CREATE }],
        }),
        READY,
    );
    b.add(DESCRIBE, describe);

    let create = b.task_never_retry(
        b.integration("aws-sdk:dynamodb:createTable"),
        Integration::DynamoDbSdk,
        &["DynamoDb.ResourceInUseException"],
        json!({
            "Parameters": {
                "TableName": table,
                "AttributeDefinitions": [{ "AttributeName": "execution_id", "AttributeType": "S" }],
                "KeySchema": [{ "AttributeName": "execution_id", "KeyType": "HASH" }],
                "BillingMode": "PAY_PER_REQUEST",
                // Step Functions spells SDK fields the AWS SDK for Java v2 way
                // (`SseSpecification`, not the wire name `SSESpecification`).
                "SseSpecification": { "Enabled": true, "SseType": "KMS", "KmsMasterKeyId": app.pipeline_kms_key_id() },
                "DeletionProtectionEnabled": true,
                "Tags": tags(b),
            },
            "ResultPath": null,
            "Catch": [{ "ErrorEquals": ["DynamoDb.ResourceInUseException"], "ResultPath": null, "Next": WAIT }],
        }),
        WAIT,
    );
    b.add(CREATE, create);

    b.add(
        WAIT,
        json!({ "Type": "Wait", "Seconds": TABLE_POLL_SECONDS, "Next": DESCRIBE }),
    );
    b.add(
        READY,
        json!({
            "Type": "Choice",
            "Choices": [{ "Variable": "$.audit_table.TableStatus", "StringEquals": "ACTIVE", "Next": BACKUPS }],
            "Default": WAIT,
        }),
    );

    // Point-in-time recovery for the audit trail. CreateTable cannot turn it
    // on; calling this every run is idempotent and keeps it on if someone
    // turned it off.
    let backups = b.task(
        b.integration("aws-sdk:dynamodb:updateContinuousBackups"),
        Integration::DynamoDbSdk,
        json!({
            "Parameters": {
                "TableName": table,
                "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": true },
            },
            "ResultPath": null,
        }),
        OPEN,
    );
    b.add(BACKUPS, backups);

    let open = b.task(
        b.integration("dynamodb:putItem"),
        Integration::DynamoDbOptimized,
        json!({
            "Parameters": {
                "TableName": table,
                "Item": {
                    "execution_id": { "S.$": "$$.Execution.Id" },
                    "app": { "S": app.name },
                    "env": { "S": app.env },
                    "version": { "S.$": "$.version" },
                    "content_hash": { "S.$": "$.content_hash" },
                    "artifact_bucket": { "S.$": "$.artifact_bucket" },
                    "artifact_prefix": { "S.$": "$.artifact_prefix" },
                    // `$$.State.EnteredTime`, not `$$.Execution.StartTime`: the emulator gives the
                    // latter as a non-string, and the record is opened seconds after the start anyway.
                    "opened_at": { "S.$": "$$.State.EnteredTime" },
                    "status": { "S": "RUNNING" },
                },
            },
            "ResultPath": null,
        }),
        next,
    );
    b.add(OPEN, open);
}

/// The spec's tags plus the pipeline's own, as `[{Key, Value}]`.
fn tags(b: &Builder) -> serde_json::Value {
    let mut tags: Vec<serde_json::Value> = b
        .app
        .tags
        .iter()
        .map(|(k, v)| json!({ "Key": k, "Value": v }))
        .collect();
    if !b.app.tags.contains_key("paasc:app") {
        tags.push(json!({ "Key": "paasc:app", "Value": b.app.name }));
    }
    if !b.app.tags.contains_key("paasc:env") {
        tags.push(json!({ "Key": "paasc:env", "Value": b.app.env }));
    }
    serde_json::Value::Array(tags)
}
