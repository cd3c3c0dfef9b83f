//! PostProvision after its smoke test: the blue/green traffic shift (one
//! `modifyListener` per `release.shift` entry, `release.bake` apart), the
//! audit record closed, the success notification, `Succeed`.
//!
//! Rolling releases have no shift: Terraform's instance refresh already
//! replaced the instances behind the one target group.

use super::{output, Builder, Integration};
use crate::model::names::{input, platform, state, TfOutput};
use crate::model::Strategy;
use serde_json::{json, Map, Value};

/// Builds the states after the smoke test; returns the first one's name.
pub(super) fn build(b: &mut Builder) -> String {
    let app = b.app;
    close_audit_record(b);
    {
        let topic = app.notification_topic();
        let notify = b.task(
            b.integration("sns:publish"),
            Integration::Sns,
            json!({
                "Parameters": {
                    "TopicArn": topic,
                    "Subject": subject(&format!("paasc: {}/{} {} deployed", app.name, app.env, app.version)),
                    "Message": {
                        "result": "SUCCEEDED",
                        "app": app.name,
                        "env": app.env,
                        "version.$": input::path(input::VERSION),
                        "execution.$": "$$.Execution.Id",
                        "ami_id.$": "$.bake.ami_id",
                        "content_hash.$": input::path(input::CONTENT_HASH),
                        "alb_dns_name.$": output(TfOutput::AlbDnsName),
                    },
                },
                "ResultPath": null,
            }),
            state::SUCCEEDED,
        );
        b.add(state::NOTIFY_SUCCESS, notify);
    }
    b.add(state::SUCCEEDED, json!({ "Type": "Succeed" }));

    if app.release.strategy == Strategy::Rolling {
        return state::CLOSE_AUDIT_RECORD.to_string();
    }
    let shifts = app.release.shift.clone();
    for (i, &green) in shifts.iter().enumerate() {
        let name = shift_state(green);
        let next = match shifts.get(i + 1) {
            Some(&following) => {
                let wait = format!("BakeAt{green}Percent");
                b.add(
                    &wait,
                    json!({
                        "Type": "Wait",
                        "Comment": "release.bake: watch the new instances under this share of traffic",
                        "Seconds": app.release.bake_seconds,
                        "Next": shift_state(following),
                    }),
                );
                wait
            }
            None => state::CLOSE_AUDIT_RECORD.to_string(),
        };
        let task = b.task(
            b.integration("aws-sdk:elasticloadbalancingv2:modifyListener"),
            Integration::ElbV2,
            listener_fields(
                b,
                100 - green,
                green,
                &format!("Shift {green}% of the traffic to the new (green) instances"),
            ),
            &next,
        );
        b.add(&name, task);
    }
    shifts
        .first()
        .map(|&g| shift_state(g))
        .unwrap_or_else(|| state::CLOSE_AUDIT_RECORD.to_string())
}

fn shift_state(green: u8) -> String {
    format!("ShiftTraffic{green}Percent")
}

/// `modifyListener` fields forwarding to blue and green with these weights,
/// with the ARNs from Provision's outputs (and the app account's role when
/// the pipeline runs elsewhere).
pub(super) fn listener_fields(b: &Builder, blue: u8, green: u8, comment: &str) -> Value {
    let mut fields = Map::new();
    fields.insert("Comment".into(), json!(comment));
    fields.insert(
        "Parameters".into(),
        json!({
            "ListenerArn.$": output(TfOutput::ListenerArn),
            "DefaultActions": [{
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        { "TargetGroupArn.$": output(TfOutput::BlueTargetGroupArn), "Weight": blue },
                        { "TargetGroupArn.$": output(TfOutput::GreenTargetGroupArn), "Weight": green },
                    ],
                },
            }],
        }),
    );
    // The listener's full description is not needed later.
    fields.insert("ResultPath".into(), Value::Null);
    // The listener is in the app's account: act through its provision role.
    fields.insert(
        "Credentials".into(),
        json!({ "RoleArn": b.app.provision_role_arn() }),
    );
    Value::Object(fields)
}

fn close_audit_record(b: &mut Builder) {
    let app = b.app;
    let release = super::preprovision::release_lock(b, "SUCCEEDED", state::NOTIFY_SUCCESS);
    b.add(state::RELEASE_LOCK, release);
    let next = state::RELEASE_LOCK;
    let task = b.task(
        b.integration("dynamodb:updateItem"),
        Integration::DynamoDbOptimized,
        json!({
            "Parameters": {
                "TableName": platform::AUDIT_TABLE,
                "Key": { "release": { "S": app.release_key() }, "execution_id": { "S.$": "$$.Execution.Id" } },
                "UpdateExpression": "SET #status = :status, ami_id = :ami_id, content_hash = :content_hash, finished_at = :finished_at",
                "ExpressionAttributeNames": { "#status": "status" },
                "ExpressionAttributeValues": {
                    ":status": { "S": "SUCCEEDED" },
                    ":ami_id": { "S.$": "$.bake.ami_id" },
                    ":content_hash": { "S.$": input::path(input::CONTENT_HASH) },
                    ":finished_at": { "S.$": "$$.State.EnteredTime" },
                },
            },
            "ResultPath": null,
        }),
        next,
    );
    b.add(state::CLOSE_AUDIT_RECORD, task);
}

/// SNS subjects are limited to 100 characters.
pub(super) fn subject(text: &str) -> String {
    text.chars().take(99).collect()
}
