//! `pipeline`: who runs the stages, limits, notifications, the platform account.

use super::super::fields::{Field, Fields};
use super::super::tree::Cx;
use super::super::values as v;
use super::arn::{account_value, arn, ArnCx};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::deadline::{self, Deadlines};
use crate::model::{Pipeline, Release, Workers};

pub(super) fn pipeline(
    cx: &mut Cx,
    f: &Fields,
    app_account: &str,
    acx: &ArnCx,
    release: Option<&Release>,
) -> Option<Pipeline> {
    // paasc ships no Lambda functions: a pipeline whose stages invoke
    // functions nobody wrote could never run.
    let workers = match (f.choice(cx, "workers", "worker kind"), f.attr("workers")) {
        (Field::Ok("lambda", _), Some(a)) => {
            cx.push(
                Diagnostic::new(
                    Code::LambdaWorkers,
                    "`workers = lambda` has no functions to run: paasc ships none",
                )
                .label(a.value.span, "nothing implements these stages")
                .help("use `workers = ssm` (the default: SSM Run Command on the platform's runner) or `workers = activity`"),
            );
            None
        }
        (w, _) => w
            .map(|w| match w {
                "activity" => Workers::Activity,
                _ => Workers::Ssm,
            })
            .or(Workers::Ssm),
    };
    let timeout_seconds = f.duration(cx, "timeout").or(7200);
    let retry = f
        .int(cx, "retry")
        .map(|n| u32::try_from(n).unwrap_or_default())
        .or(2);
    let account = match f.attr("account") {
        None => Some(app_account.to_string()),
        Some(a) => account_value(cx, &a.value),
    };
    // The topic may live in the app's account or the pipeline's.
    let mut nacx = acx.clone();
    if let Some(a) = &account {
        if !nacx.accounts.contains(a) {
            nacx.accounts.push(a.clone());
        }
    }
    let notify = match f.attr("notify") {
        None => Some(None),
        Some(a) => arn(
            cx,
            &a.value,
            "an SNS topic ARN",
            "sns",
            "arn:aws:sns:REGION:ACCOUNT:TOPIC",
            v::is_topic_resource,
            &nacx,
        )
        .map(Some),
    };
    let subnet = f.string(cx, "subnet");
    let two_account =
        account.as_deref().is_some_and(|a| a != app_account) && !app_account.is_empty();
    if two_account && matches!(subnet, Field::Absent) && !f.had_errors() {
        let span = f.attr("account").map(|a| a.value.span).or(f.block_span());
        let d = Diagnostic::new(
            Code::BuilderSubnet,
            "a pipeline in another account needs a builder subnet",
        )
        .help("add `subnet = \"subnet-...\"` to `pipeline`: a subnet of the pipeline account where the builder instance runs");
        cx.push(match span {
            Some(s) => d.label(s, "the pipeline runs in this account, not the app's"),
            None => d,
        });
    }
    let set = STAGE_KEYS.map(|k| f.duration(cx, k).optional());
    let deadlines = match (timeout_seconds, release, set) {
        (Some(timeout), Some(release), [Some(a), Some(b), Some(c), Some(d)]) => {
            deadlines(cx, f, timeout, release, [a, b, c, d])
        }
        _ => None,
    };
    Some(Pipeline {
        deadlines: deadlines?,
        workers: workers?,
        timeout_seconds: timeout_seconds?,
        retry: retry?,
        notify: notify?,
        account: account?,
        subnet: subnet.optional()?,
        packer_plugin: f
            .string(cx, "packer_plugin")
            .or_else(|| crate::model::names::DEFAULT_PACKER_PLUGIN.to_string())?,
        aws_provider: f
            .string(cx, "aws_provider")
            .or_else(|| crate::model::names::DEFAULT_AWS_PROVIDER.to_string())?,
    })
}

/// The stage deadline keys, in `deadline::plan`'s order.
const STAGE_KEYS: [&str; 4] = [
    "bake_timeout",
    "provision_timeout",
    "validate_timeout",
    "post_timeout",
];

fn minutes(secs: u64) -> String {
    if secs % 3600 == 0 {
        format!("{}h", secs / 3600)
    } else {
        format!("{}m", secs.div_ceil(60))
    }
}

/// The stages' deadlines, or E0330 at `timeout` (or the deadlines the spec
/// set, or the block) when they cannot fit.
fn deadlines(
    cx: &mut Cx,
    f: &Fields,
    timeout: u64,
    release: &Release,
    set: [Option<u64>; 4],
) -> Option<Deadlines> {
    match deadline::plan(timeout, release, set) {
        Ok(d) => Some(d),
        Err(e) => {
            let mut d = Diagnostic::new(
                Code::StagesDoNotFit,
                format!(
                    "the stages do not fit the pipeline's timeout of {}",
                    minutes(timeout)
                ),
            )
            .help(format!(
                "raise `timeout` to at least {}: the release needs {} besides its stages (the shifts and their watched bakes, the keep-warm time, 10m for the failure path){}",
                minutes(e.needed),
                minutes(e.release),
                if e.fixed > 0 {
                    format!(", the deadlines set here take {}", minutes(e.fixed))
                } else {
                    String::new()
                }
            ));
            let mut labelled = false;
            if let Some(a) = f.attr("timeout") {
                d = d.label(a.value.span, "the whole execution");
                labelled = true;
            }
            for key in STAGE_KEYS {
                if let Some(a) = f.attr(key) {
                    d = d.label(a.value.span, "this stage's deadline");
                    labelled = true;
                }
            }
            if !labelled {
                if let Some(span) = f.block_span() {
                    d = d.label(span, "the default timeout is 2h");
                }
            }
            cx.push(d);
            None
        }
    }
}
