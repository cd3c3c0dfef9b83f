//! What a release knows of the one before it, and what blue-green does with
//! its two colours.
//!
//! The app and env's item of the platform's release table holds the live
//! release: `live_ami`, and for blue-green `live_colour`. PreProvision reads
//! them when it takes the release (`ReturnValues: ALL_NEW`) and keeps at
//! `$.live`:
//!
//! - `ami`: the AMI the live hosts run (`""` before the first release);
//! - blue-green: `colour` (`blue`, `green`, or `none` before the first
//!   release), `idle` (the other colour, which takes this release: blue
//!   when nothing is live), both colours' auto scaling groups, the idle
//!   colour's alarm name prefix, and the listener weights Provision keeps
//!   (100 on the live colour, 0 on the idle one: a Provision never moves
//!   traffic).
//!
//! After Provision, `$.target_groups` holds the live and idle colours'
//! target group ARNs (from the Terraform outputs); every traffic change
//! names both. The success path records the release live (`live_ami`, and
//! the idle colour as `live_colour`) after the last watched bake, keeps the
//! previous colour warm for `release.keep_warm`, then scales it to zero.

use super::{output, Builder, Integration};
use crate::emit::json::{node, Node, Obj};
use crate::model::names::platform::release_item;
use crate::model::names::{platform, TfOutput, COLOURS};
use crate::model::{App, Strategy};

pub(super) const READ_LIVE: &str = "ReadLiveRelease";
pub(super) const PICK_TARGET_GROUPS: &str = "PickTargetGroups";
pub(super) const RECORD_LIVE: &str = "RecordLiveRelease";
pub(super) const KEEP_WARM: &str = "KeepPreviousColourWarm";
pub(super) const SCALE_DOWN_PREVIOUS: &str = "ScaleDownPreviousColour";
pub(super) const NOTHING_LIVE: &str = "NothingLive";

/// Where the taken release item lands.
pub(super) const RELEASE_STATE: &str = "$.release_state";

fn attr(name: &str) -> String {
    format!("{RELEASE_STATE}.Attributes.{name}.S")
}

fn live_is(colour: &str) -> String {
    let c = colour[..1].to_ascii_uppercase() + &colour[1..];
    format!("LiveIs{c}")
}

fn other(colour: &str) -> &'static str {
    if colour == "blue" {
        "green"
    } else {
        "blue"
    }
}

/// `$.live` when `live` is the live colour (`none`: nothing is).
fn live_state(app: &App, live: &str, next: &str) -> Node {
    let idle = other(live);
    let ami = if live == "none" {
        node!({ "ami": "" })
    } else {
        node!({ "ami.$": attr(release_item::LIVE_AMI) })
    };
    let mut p = ami.as_obj().cloned().unwrap_or_default();
    // Before the first release green stands in as the "live" colour: it is
    // empty, and its weight keeps the listener's total at 100.
    let live_fleet = if live == "none" { other(idle) } else { live };
    p.insert("colour".into(), node!(live));
    p.insert("idle".into(), node!(idle));
    p.insert("idle_asg".into(), node!(app.asg_name(idle)));
    p.insert("live_asg".into(), node!(app.asg_name(live_fleet)));
    p.insert("alarm_prefix".into(), node!(app.alarm_prefix(idle)));
    let mut weights = Obj::new();
    weights.insert(idle.to_string().into(), node!("0"));
    weights.insert(live_fleet.to_string().into(), node!("100"));
    p.insert("weights".into(), Node::Obj(weights));
    node!({
        "Type": "Pass",
        "Comment": if live == "none" {
            "Nothing is live yet: blue takes this release".to_string()
        } else {
            format!("{live} is live: {idle} takes this release")
        },
        "Parameters": Node::Obj(p),
        "ResultPath": "$.live",
        "Next": next,
    })
}

/// The states that read the live release into `$.live`; `READ_LIVE` first.
pub(super) fn build_read(b: &mut Builder, next: &str) {
    let app = b.app;
    match app.release.strategy {
        Strategy::BlueGreen => {
            let mut choices = Vec::new();
            for colour in COLOURS {
                choices.push(node!({
                    "And": [
                        { "Variable": attr(release_item::LIVE_AMI), "IsPresent": true },
                        { "Variable": attr(release_item::LIVE_COLOUR), "IsPresent": true },
                        { "Variable": attr(release_item::LIVE_COLOUR), "StringEquals": colour },
                    ],
                    "Next": live_is(colour),
                }));
                b.add(&live_is(colour), live_state(app, colour, next));
            }
            b.add(NOTHING_LIVE, live_state(app, "none", next));
            b.add(
                READ_LIVE,
                node!({
                    "Type": "Choice",
                    "Comment": "Which colour takes the traffic now (the release table's item)",
                    "Choices": choices,
                    "Default": NOTHING_LIVE,
                }),
            );
        }
        Strategy::Rolling => {
            b.add(
                "LiveReleaseKnown",
                node!({
                    "Type": "Pass",
                    "Parameters": { "ami.$": attr(release_item::LIVE_AMI) },
                    "ResultPath": "$.live",
                    "Next": next,
                }),
            );
            b.add(
                NOTHING_LIVE,
                node!({
                    "Type": "Pass",
                    "Comment": "The first release of this app and env",
                    "Parameters": { "ami": "" },
                    "ResultPath": "$.live",
                    "Next": next,
                }),
            );
            b.add(
                READ_LIVE,
                node!({
                    "Type": "Choice",
                    "Comment": "The AMI the live hosts run (the release table's item)",
                    "Choices": [{
                        "Variable": attr(release_item::LIVE_AMI),
                        "IsPresent": true,
                        "Next": "LiveReleaseKnown",
                    }],
                    "Default": NOTHING_LIVE,
                }),
            );
        }
    }
}

/// Blue-green, after Provision: the live and idle target groups' ARNs at
/// `$.target_groups`.
pub(super) fn build_pick_target_groups(b: &mut Builder, next: &str) {
    let arn = |colour: &str| {
        output(if colour == "blue" {
            TfOutput::BlueTargetGroupArn
        } else {
            TfOutput::GreenTargetGroupArn
        })
    };
    let mut choices = Vec::new();
    for idle in COLOURS {
        let name = format!("IdleIs{}", live_is(idle).trim_start_matches("LiveIs"));
        choices.push(node!({ "Variable": "$.live.idle", "StringEquals": idle, "Next": &name }));
        b.add(
            &name,
            node!({
                "Type": "Pass",
                "Parameters": { "idle.$": arn(idle), "live.$": arn(other(idle)) },
                "ResultPath": "$.target_groups",
                "Next": next,
            }),
        );
    }
    b.add(
        PICK_TARGET_GROUPS,
        node!({
            "Type": "Choice",
            "Choices": choices,
            // `$.live.idle` is always blue or green; a Choice must have somewhere to go.
            "Default": "IdleIsBlue",
        }),
    );
}

/// `modifyListener` fields: `idle` percent to the idle colour, the rest to the live one.
pub(super) fn listener_fields(b: &Builder, idle: u8, comment: &str) -> Node {
    node!({
        "Comment": comment,
        "Parameters": {
            "ListenerArn.$": output(TfOutput::ListenerArn),
            "DefaultActions": [{
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        { "TargetGroupArn.$": "$.target_groups.live", "Weight": 100 - idle },
                        { "TargetGroupArn.$": "$.target_groups.idle", "Weight": idle },
                    ],
                },
            }],
        },
        // The listener's full description is not needed later.
        "ResultPath": null,
        // The listener is in the app's account: act through its provision role.
        "Credentials": { "RoleArn": b.app.provision_role_arn() },
    })
}

/// `updateAutoScalingGroup` fields scaling the group at `asg_path` to zero.
pub(super) fn scale_to_zero(b: &Builder, asg_path: &str, comment: &str) -> Node {
    node!({
        "Comment": comment,
        "Parameters": { "AutoScalingGroupName.$": asg_path, "MinSize": 0, "DesiredCapacity": 0 },
        "ResultPath": null,
        "Credentials": { "RoleArn": b.app.provision_role_arn() },
    })
}

/// The success path's end of a release: recorded live, and for blue-green
/// the previous colour kept warm, then scaled to zero; then `next`.
pub(super) fn build_handover(b: &mut Builder, next: &str) -> &'static str {
    let app = b.app;
    let blue_green = app.release.strategy == Strategy::BlueGreen;
    let (expression, names, values) = if blue_green {
        (
            "SET #ami = :ami, #colour = :colour",
            node!({ "#running": release_item::RUNNING, "#ami": release_item::LIVE_AMI, "#colour": release_item::LIVE_COLOUR }),
            node!({ ":me": { "S.$": "$$.Execution.Id" }, ":ami": { "S.$": "$.bake.ami_id" }, ":colour": { "S.$": "$.live.idle" } }),
        )
    } else {
        (
            "SET #ami = :ami",
            node!({ "#running": release_item::RUNNING, "#ami": release_item::LIVE_AMI }),
            node!({ ":me": { "S.$": "$$.Execution.Id" }, ":ami": { "S.$": "$.bake.ami_id" } }),
        )
    };
    let after_record = if blue_green { KEEP_WARM } else { next };
    let record = b.task(
        b.integration("dynamodb:updateItem"),
        Integration::DynamoDbOptimized,
        node!({
            "Comment": "This release is live: the next one starts from it, and a rollback from here on leaves it live",
            "Parameters": {
                "TableName": platform::RELEASES_TABLE,
                "Key": { "release": { "S": app.release_key() } },
                "UpdateExpression": expression,
                "ConditionExpression": "#running = :me",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            },
            "ResultSelector": { "recorded.$": "$$.State.EnteredTime" },
            "ResultPath": "$.live_recorded",
        }),
        after_record,
    );
    b.add(RECORD_LIVE, record);
    if blue_green {
        b.add(
            KEEP_WARM,
            node!({
                "Type": "Wait",
                "Comment": "release.keep_warm: the previous colour keeps its hosts, ready to take the traffic back by hand",
                "Seconds": app.release.keep_warm_seconds,
                "Next": SCALE_DOWN_PREVIOUS,
            }),
        );
        let mut fields = scale_to_zero(
            b,
            "$.live.live_asg",
            "The previous colour takes no traffic: scale it to zero (the next release empties it anyway before it puts its AMI there)",
        );
        // The release is live: a failed scale-down does not fail it (the
        // next Provision empties that colour before using it).
        if let Some(f) = fields.as_obj_mut() {
            f.insert(
                "Catch".into(),
                node!([{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.scale_down_error", "Next": next }]),
            );
        }
        let scale = b.task(
            b.integration("aws-sdk:autoscaling:updateAutoScalingGroup"),
            Integration::AutoScaling,
            fields,
            next,
        );
        b.add(SCALE_DOWN_PREVIOUS, scale);
    }
    RECORD_LIVE
}

/// The failure path's first state for blue-green; see `failure.rs`.
pub(super) const ROLLBACK_TRAFFIC: &str = "RollbackTraffic";
pub(super) const SCALE_DOWN_IDLE: &str = "ScaleDownIdleColour";

/// The `Rollback` Choice's rules for blue-green.
pub(super) fn rollback_choices(done: &str) -> Node {
    node!([
        // Recorded live: the release is done; what failed after it (the
        // previous colour's scale-down) leaves the new colour live.
        { "Variable": "$.live_recorded", "IsPresent": true, "Next": done },
        { "Variable": "$.target_groups", "IsPresent": true, "Next": ROLLBACK_TRAFFIC },
        // Provision started: the idle colour may have hosts.
        { "Variable": "$.provision", "IsPresent": true, "Next": SCALE_DOWN_IDLE },
    ])
}

/// `wait` (Wait `poll` seconds) then `tick` (`<counter>.elapsed` += `poll`,
/// the rest of `counter` dropped), then `next`: a loop's clock.
fn add_counted_wait(b: &mut Builder, wait: &str, tick: &str, counter: &str, poll: u64, next: &str) {
    b.add(
        wait,
        node!({ "Type": "Wait", "Seconds": poll, "Next": tick }),
    );
    b.add(
        tick,
        node!({
            "Type": "Pass",
            "Parameters": { "elapsed.$": format!("States.MathAdd({counter}.elapsed, {poll})") },
            "ResultPath": counter,
            "Next": next,
        }),
    );
}

pub(super) const REFRESH_START: &str = "InstanceRefreshStart";

/// Rolling, after Provision: wait for the instance refresh Terraform
/// started (none on the first apply: nothing to replace), bounded by
/// `pipeline.provision_timeout`; Validation runs on the refreshed fleet.
/// A refresh that fails, is cancelled or rolls back (an alarm fired, or
/// hosts never got healthy) fails the release.
pub(super) fn build_refresh_wait(b: &mut Builder, next: &str) {
    let app = b.app;
    let deadline = app.pipeline.deadlines.provision;
    let poll = 15u64.min(deadline / 20).max(1);
    let wait = "InstanceRefreshWait";
    let tick = "InstanceRefreshTick";
    let describe = "DescribeInstanceRefresh";
    let status = "InstanceRefreshStatus";
    let failed = "InstanceRefreshFailed";
    let timed_out = "InstanceRefreshTimedOut";
    b.add(
        REFRESH_START,
        node!({
            "Type": "Pass",
            "Parameters": { "elapsed": 0 },
            "ResultPath": "$.refresh",
            "Next": describe,
        }),
    );
    add_counted_wait(b, wait, tick, "$.refresh", poll, describe);
    let task = b.task(
        b.integration("aws-sdk:autoscaling:describeInstanceRefreshes"),
        Integration::AutoScaling,
        node!({
            "Comment": "The newest instance refresh of the fleet",
            "Parameters": { "AutoScalingGroupName.$": output(TfOutput::AsgName), "MaxRecords": 1 },
            "ResultSelector": {
                "count.$": "States.ArrayLength($.InstanceRefreshes)",
                "statuses.$": "$.InstanceRefreshes[*].Status",
            },
            "ResultPath": "$.refresh.found",
            "Credentials": { "RoleArn": app.provision_role_arn() },
        }),
        status,
    );
    b.add(describe, task);
    let latest = "$.refresh.found.statuses[0]";
    let running: Vec<Node> = [
        "Pending",
        "InProgress",
        "Baking",
        "Cancelling",
        "RollbackInProgress",
    ]
    .iter()
    .map(|s| node!({ "Variable": latest, "StringEquals": s }))
    .collect();
    b.add(
        status,
        node!({
            "Type": "Choice",
            "Choices": [
                { "Variable": "$.refresh.found.count", "NumericEquals": 0, "Next": next },
                { "Variable": latest, "StringEquals": "Successful", "Next": next },
                {
                    "And": [
                        { "Or": running.clone() },
                        { "Variable": "$.refresh.elapsed", "NumericGreaterThanEquals": deadline },
                    ],
                    "Next": timed_out,
                },
                { "Or": running, "Next": wait },
            ],
            "Default": failed,
        }),
    );
    let asg = crate::emit::stepfunctions::intrinsic::intrinsic_escape(&app.asg_name("this"));
    b.add(
        failed,
        node!({
            "Type": "Pass",
            "Parameters": {
                "Error": "paasc.InstanceRefreshFailed",
                "Cause.$": format!("States.Format('the instance refresh of {asg} ended {{}}', {latest})"),
            },
            "ResultPath": "$.error",
            "Next": crate::model::names::state::ROLLBACK,
        }),
    );
    b.add(
        timed_out,
        node!({
            "Type": "Pass",
            "Parameters": {
                "Error": "paasc.InstanceRefreshTimedOut",
                "Cause": format!("the instance refresh of {} ran past provision_timeout ({deadline} s)", app.asg_name("this")),
            },
            "ResultPath": "$.error",
            "Next": crate::model::names::state::ROLLBACK,
        }),
    );
}

/// Blue-green, after a shift to `idle` percent: watch the idle colour's
/// alarms for `release.bake`, polling; an alarm in ALARM fails the release
/// (the failure path puts the traffic back). Returns the first state's name.
pub(super) fn build_watched_bake(b: &mut Builder, idle: u8, next: &str) -> String {
    let app = b.app;
    let bake = app.release.bake_seconds;
    let poll = 60u64.min(bake).max(1);
    let start = format!("BakeAt{idle}Percent");
    let wait = format!("BakeAt{idle}PercentWait");
    let tick = format!("BakeAt{idle}PercentTick");
    let alarms = format!("BakeAt{idle}PercentAlarms");
    let check = format!("BakeAt{idle}PercentCheck");
    let fired = format!("AlarmFiredAt{idle}Percent");
    b.add(
        &start,
        node!({
            "Type": "Pass",
            "Comment": format!("release.bake: watch the new colour's alarms with {idle}% of the traffic"),
            "Parameters": { "elapsed": 0 },
            "ResultPath": "$.watch",
            "Next": &wait,
        }),
    );
    add_counted_wait(b, &wait, &tick, "$.watch", poll, &alarms);
    let task = b.task(
        b.integration("aws-sdk:cloudwatch:describeAlarms"),
        Integration::CloudWatch,
        node!({
            "Comment": "The new colour's alarms that are in ALARM",
            "Parameters": { "AlarmNamePrefix.$": "$.live.alarm_prefix", "StateValue": "ALARM", "AlarmTypes": ["MetricAlarm"] },
            "ResultSelector": {
                "count.$": "States.ArrayLength($.MetricAlarms)",
                "firing.$": "$.MetricAlarms[*].AlarmName",
            },
            "ResultPath": "$.watch.alarms",
            "Credentials": { "RoleArn": app.provision_role_arn() },
        }),
        &check,
    );
    b.add(&alarms, task);
    b.add(
        &check,
        node!({
            "Type": "Choice",
            "Choices": [
                { "Variable": "$.watch.alarms.count", "NumericGreaterThan": 0, "Next": &fired },
                { "Variable": "$.watch.elapsed", "NumericGreaterThanEquals": bake, "Next": next },
            ],
            "Default": wait,
        }),
    );
    b.add(
        &fired,
        node!({
            "Type": "Pass",
            "Comment": "An alarm of the new colour fired: the failure path sends the traffic back",
            "Parameters": {
                "Error": "paasc.AlarmFired",
                "Cause.$": format!("States.Format('in ALARM with {idle}% of the traffic on the new colour: {{}}', States.JsonToString($.watch.alarms.firing))"),
            },
            "ResultPath": "$.error",
            "Next": crate::model::names::state::ROLLBACK,
        }),
    );
    start
}

/// Where each stage's start and end are kept (`$.times`, `{<stage>:
/// {started, ended}}`), closed into the audit record on every path.
pub(super) const START_CLOCK: &str = "StartStageClock";

/// The clock state entered just before `stage` (one of `state::STAGES`
/// after PreProvision).
pub(super) fn clock(stage: &str) -> String {
    format!("{stage}Clock")
}

fn time_key(stage: &str) -> String {
    let mut out = String::new();
    for (i, c) in stage.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The clock states: `StartStageClock` (PreProvision started) then one
/// before each later stage, which ends the one before and starts its own.
pub(super) fn build_clocks(b: &mut Builder, first_next: &str) {
    use crate::model::names::state::STAGES;
    b.add(
        START_CLOCK,
        node!({
            "Type": "Pass",
            "Comment": "Each stage's start and end go to the audit record",
            "Parameters": { time_key(crate::model::names::state::PRE_PROVISION): { "started.$": "$$.State.EnteredTime" } },
            "ResultPath": "$.times",
            "Next": first_next,
        }),
    );
    let mut done: Vec<&str> = Vec::new();
    for pair in STAGES.windows(2) {
        let [previous_stage, stage] = pair else {
            continue;
        };
        let mut p = Obj::new();
        for d in &done {
            p.insert(
                format!("{}.$", time_key(d)).into(),
                node!(format!("$.times.{}", time_key(d))),
            );
        }
        let previous = time_key(previous_stage);
        p.insert(
            previous.clone().into(),
            node!({ "started.$": format!("$.times.{previous}.started"), "ended.$": "$$.State.EnteredTime" }),
        );
        p.insert(
            time_key(stage).into(),
            node!({ "started.$": "$$.State.EnteredTime" }),
        );
        done.push(previous_stage);
        b.add(
            &clock(stage),
            node!({
                "Type": "Pass",
                "Parameters": Node::Obj(p),
                "ResultPath": "$.times",
                "Next": stage,
            }),
        );
    }
}
