//! PostProvision after its smoke test: the blue/green traffic shift (one
//! `modifyListener` per `release.shift` entry, each followed by a bake of
//! `release.bake` that watches the new colour's alarms), the release
//! recorded live, the previous colour kept warm then scaled to zero, the
//! audit record closed, the success notification, `Succeed`.
//!
//! Rolling releases have no shift: the instance refresh (waited for before
//! Validation) already replaced the instances behind the one target group.

use super::{output, Builder, Integration};
use crate::emit::json::node;
use crate::model::names::{input, platform, state, TfOutput};
use crate::model::Strategy;

/// Builds the states after the smoke test; returns the first one's name.
pub(super) fn build(b: &mut Builder) -> String {
    let app = b.app;
    close_audit_record(b);
    {
        let topic = app.notification_topic();
        let notify = b.task(
            b.integration("sns:publish"),
            Integration::Sns,
            node!({
                "Parameters": {
                    "TopicArn": topic,
                    "Subject": subject(&format!("paasc: {}/{} {} deployed", app.name, app.env, app.version)),
                    "Message": {
                        "result": "SUCCEEDED",
                        "app": &app.name,
                        "env": &app.env,
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
    b.add(state::SUCCEEDED, node!({ "Type": "Succeed" }));

    let handover = super::release::build_handover(b, state::CLOSE_AUDIT_RECORD);
    if app.release.strategy == Strategy::Rolling {
        return handover.to_string();
    }
    let shifts = app.release.shift.clone();
    let mut next = handover.to_string();
    for &idle in shifts.iter().rev() {
        let bake = super::release::build_watched_bake(b, idle, &next);
        let name = shift_state(idle);
        let task = b.task(
            b.integration("aws-sdk:elasticloadbalancingv2:modifyListener"),
            Integration::ElbV2,
            super::release::listener_fields(
                b,
                idle,
                &format!("Shift {idle}% of the traffic to the new colour"),
            ),
            &bake,
        );
        b.add(&name, task);
        next = name;
    }
    next
}

fn shift_state(idle: u8) -> String {
    format!("ShiftTraffic{idle}Percent")
}

fn close_audit_record(b: &mut Builder) {
    let app = b.app;
    let release = super::preprovision::release_lock(b, "SUCCEEDED", state::NOTIFY_SUCCESS);
    b.add(state::RELEASE_LOCK, release);
    let next = state::RELEASE_LOCK;
    let task = b.task(
        b.integration("dynamodb:updateItem"),
        Integration::DynamoDbOptimized,
        node!({
            "Parameters": {
                "TableName": platform::AUDIT_TABLE,
                "Key": { "release": { "S": app.release_key() }, "execution_id": { "S.$": "$$.Execution.Id" } },
                "UpdateExpression": "SET #status = :status, ami_id = :ami_id, content_hash = :content_hash, finished_at = :finished_at, resources = :resources, validation = :validation, live_since = :live_since, stage_times = :stage_times",
                "ExpressionAttributeNames": { "#status": "status" },
                "ExpressionAttributeValues": {
                    ":status": { "S": "SUCCEEDED" },
                    ":ami_id": { "S.$": "$.bake.ami_id" },
                    ":content_hash": { "S.$": input::path(input::CONTENT_HASH) },
                    ":finished_at": { "S.$": "$$.State.EnteredTime" },
                    // Terraform's `resource_arns`: every ARN the apply manages, by address.
                    ":resources": { "S.$": format!("States.JsonToString({})", output(TfOutput::ResourceArns)) },
                    // Validation's summary: status, report URI, passed/failed/skipped.
                    ":validation": { "S.$": "States.JsonToString($.validate.report)" },
                    ":live_since": { "S.$": "$.live_recorded.recorded" },
                    // Each stage's start and end (PostProvision's ends with this record).
                    ":stage_times": { "S.$": "States.JsonToString($.times)" },
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
