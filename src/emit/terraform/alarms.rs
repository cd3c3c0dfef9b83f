//! `alarms.tf`: the CloudWatch alarms that guard a release, three per
//! fleet's target group (blue and green, or the rolling fleet):
//!
//! - `errors`: target 5XX responses in one minute at or above
//!   `release.alarm_errors` (default 10);
//! - `unhealthy`: at least one unhealthy host in the target group for two
//!   minutes running;
//! - `latency`: p99 target response time above `release.alarm_latency`
//!   (default 2 s) for two minutes running.
//!
//! Missing data is not breaching: a colour with no traffic yet is healthy.
//! The names start with `App::alarm_prefix(fleet)`: blue-green's state
//! machine watches the idle colour's with one `DescribeAlarms` while each
//! shift bakes; a rolling fleet's instance refresh names them in its alarm
//! specification and rolls itself back when one fires.

use super::compute::fleets;
use super::{ident_obj, r, resource, s, TfFile};
use crate::model::App;
use hcl::{Block, Body, Expression};

/// One kind of alarm.
pub(crate) struct Kind {
    /// Resource name suffix and alarm name suffix.
    pub id: &'static str,
    metric: &'static str,
    /// `Sum`, `Maximum`, or an extended statistic (`p99`).
    statistic: &'static str,
    comparison: &'static str,
    /// Minutes in ALARM territory before the alarm fires.
    minutes: u32,
    what: &'static str,
}

pub(crate) const KINDS: [Kind; 3] = [
    Kind {
        id: "errors",
        metric: "HTTPCode_Target_5XX_Count",
        statistic: "Sum",
        comparison: "GreaterThanOrEqualToThreshold",
        minutes: 1,
        what: "target 5XX responses in a minute",
    },
    Kind {
        id: "unhealthy",
        metric: "UnHealthyHostCount",
        statistic: "Maximum",
        comparison: "GreaterThanOrEqualToThreshold",
        minutes: 2,
        what: "unhealthy hosts",
    },
    Kind {
        id: "latency",
        metric: "TargetResponseTime",
        statistic: "p99",
        comparison: "GreaterThanThreshold",
        minutes: 2,
        what: "p99 target response time (seconds)",
    },
];

fn threshold(app: &App, kind: &Kind) -> Expression {
    match kind.id {
        "errors" => app.release.alarm_errors.into(),
        "unhealthy" => 1.into(),
        _ => app.release.alarm_latency_seconds.into(),
    }
}

pub(crate) fn emit(app: &App) -> TfFile {
    let mut blocks: Vec<Block> = Vec::new();
    for fleet in fleets(app) {
        for kind in &KINDS {
            let mut alarm = resource("aws_cloudwatch_metric_alarm", &format!("{fleet}_{}", kind.id))
                .add_attribute(("alarm_name", s(format!("{}{}", app.alarm_prefix(fleet), kind.id))))
                .add_attribute((
                    "alarm_description",
                    s(format!(
                        "paasc: {} of {} ({}), {} fleet; a release watching it rolls back when it fires",
                        kind.what, app.name, app.env, fleet
                    )),
                ))
                .add_attribute(("namespace", s("AWS/ApplicationELB")))
                .add_attribute(("metric_name", s(kind.metric)));
            alarm = if kind.statistic.starts_with('p') {
                alarm.add_attribute(("extended_statistic", s(kind.statistic)))
            } else {
                alarm.add_attribute(("statistic", s(kind.statistic)))
            };
            alarm = alarm
                .add_attribute(("period", 60))
                .add_attribute(("evaluation_periods", kind.minutes))
                .add_attribute(("datapoints_to_alarm", kind.minutes))
                .add_attribute(("threshold", threshold(app, kind)))
                .add_attribute(("comparison_operator", s(kind.comparison)))
                .add_attribute(("treat_missing_data", s("notBreaching")))
                .add_attribute((
                    "dimensions",
                    ident_obj(vec![
                        ("LoadBalancer", r("aws_lb.this.arn_suffix")),
                        (
                            "TargetGroup",
                            r(&format!("aws_lb_target_group.{fleet}.arn_suffix")),
                        ),
                    ]),
                ));
            blocks.push(alarm.build());
        }
    }
    TfFile {
        name: "alarms.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips: vec![],
    }
}
