//! `pipeline`: who runs the stages, limits, notifications, the platform account.

use super::super::fields::{Field, Fields};
use super::super::tree::Cx;
use super::super::values as v;
use super::arn::{account_value, arn, ArnCx};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Pipeline, Workers};

pub(super) fn pipeline(
    cx: &mut Cx,
    f: &Fields,
    app_account: &str,
    acx: &ArnCx,
) -> Option<Pipeline> {
    let workers = f
        .choice(cx, "workers", "worker kind")
        .map(|w| match w {
            "lambda" => Workers::Lambda,
            "activity" => Workers::Activity,
            _ => Workers::Ssm,
        })
        .or(Workers::Ssm);
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
    Some(Pipeline {
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
