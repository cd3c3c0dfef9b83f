//! ARNs, KMS key references and account ids: values whose rules depend on
//! the app's region and account (for the env being lowered).

use super::super::tree::Cx;
use super::super::values as v;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::Kms;
use crate::source::Span;
use crate::syntax::ast::{Value, ValueKind};

pub(super) fn account_value(cx: &mut Cx, val: &Value) -> Option<String> {
    if let ValueKind::Int(n) = val.kind {
        cx.push(
            Diagnostic::new(Code::WrongType, "account ids are strings")
                .label(val.span, "an integer")
                .help(format!(
                    "write it in quotes: `\"{n:012}\"` (leading zeros matter)"
                )),
        );
        return None;
    }
    let s = cx.string(val)?;
    if v::is_account(&s) {
        Some(s)
    } else {
        cx.push(
            Diagnostic::new(
                Code::AccountId,
                format!("`{}` is not an AWS account id", s.escape_debug()),
            )
            .label(
                val.span,
                format!(
                    "{} characters; account ids are exactly 12 digits",
                    s.chars().count()
                ),
            )
            .help("write the 12-digit id, e.g. `\"123456789012\"`"),
        );
        None
    }
}

/// What ARNs must agree with.
#[derive(Clone)]
pub(super) struct ArnCx {
    pub region: Option<String>,
    /// Accounts an ARN may name (app account, and the pipeline's where relevant).
    pub accounts: Vec<String>,
    /// The env being lowered, and where the app's account is set (it may be
    /// an overlay's), so a mismatch can say which env and point there.
    pub env: String,
    pub account_span: Option<Span>,
}

/// Checks an ARN's service, resource shape, region and account.
pub(super) fn arn(
    cx: &mut Cx,
    val: &Value,
    what: &str,
    service: &str,
    example: &str,
    resource_ok: fn(&str) -> bool,
    acx: &ArnCx,
) -> Option<String> {
    let s = cx.string(val)?;
    let Some(a) = v::arn(&s)
        .filter(|a| a.service == service && resource_ok(a.resource) && v::is_account(a.account))
    else {
        cx.push(
            Diagnostic::new(Code::Arn, format!("`{}` is not {what}", s.escape_debug()))
                .label(val.span, "malformed ARN")
                .help(format!("expected `{example}`")),
        );
        return None;
    };
    let mut ok = true;
    if let Some(r) = &acx.region {
        if a.region != r {
            cx.push(
                Diagnostic::new(
                    Code::ArnRegion,
                    format!("{what} is in `{}`, the app in `{r}`", a.region),
                )
                .label(val.span, format!("region `{}`", a.region))
                .help(format!("use {what} in `{r}`")),
            );
            ok = false;
        }
    }
    if !acx.accounts.is_empty() && !acx.accounts.iter().any(|x| x == a.account) {
        cx.push(
            {
                let whose = if acx.env == super::super::DEFAULT_ENV { "the app".to_string() } else { format!("the app in env `{}`", acx.env) };
                let mut d = Diagnostic::new(Code::ArnAccount, format!("{what} belongs to account `{}`, {whose} to `{}`", a.account, acx.accounts.join("`/`")))
                    .label(val.span, format!("account `{}`", a.account));
                if let Some(span) = acx.account_span {
                    d = d.label(span, format!("{whose} runs in this account"));
                }
                d.help("use a resource of the app's account; an env overlay that changes `account` must override this too")
            },
        );
        ok = false;
    }
    ok.then_some(s)
}

pub(super) fn kms(cx: &mut Cx, val: &Value, acx: &ArnCx) -> Option<Kms> {
    let s = cx.string(val)?;
    if s.starts_with("alias/") {
        if s.starts_with("alias/aws/") {
            cx.push(
                Diagnostic::new(Code::Kms, format!("`{s}` is an AWS managed key"))
                    .label(
                        val.span,
                        "AWS managed keys cannot be shared or given key policies",
                    )
                    .help("use a customer managed key, or leave `kms` out and paasc creates one"),
            );
            return None;
        }
        if v::is_alias(&s) {
            return Some(Kms::Alias(s));
        }
    } else if s.starts_with("arn:") {
        return arn(
            cx,
            val,
            "a KMS key ARN",
            "kms",
            "arn:aws:kms:REGION:ACCOUNT:key/ID",
            v::is_kms_key_resource,
            acx,
        )
        .map(Kms::KeyArn);
    }
    cx.push(
        Diagnostic::new(
            Code::Kms,
            format!("`{}` is not a KMS key reference", s.escape_debug()),
        )
        .label(val.span, "expected `alias/NAME` or a key ARN")
        .help("write `kms = \"alias/my-key\"`"),
    );
    None
}
