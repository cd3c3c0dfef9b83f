//! `tags` (on every resource) and `logs` (the logs bucket and retention).

use super::super::fields::{Field, Fields};
use super::super::tree::{Cx, NBlock};
use super::super::values as v;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::Logs;
use crate::syntax::ast::Block;
use std::collections::BTreeMap;

pub(super) fn tags(cx: &mut Cx, b: Option<&NBlock>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(b) = b else { return out };
    for blk in &b.node.blocks {
        cx.push(
            Diagnostic::new(Code::UnknownBlock, "`tags` takes no blocks")
                .label(blk.name.span, "not a tag")
                .help("write tags as `Key = \"value\"`"),
        );
    }
    for c in &b.node.checks {
        cx.push(
            Diagnostic::new(Code::MisplacedCheck, "missing `=` in tag")
                .label(c.span, "a tag needs `=`")
                .help("write `Key = \"value\"`"),
        );
    }
    for a in &b.node.attrs {
        let Some(value) = cx.string(&a.value) else {
            continue;
        };
        let k = &a.key.name;
        if k.len() > 128 || k.to_ascii_lowercase().starts_with("aws:") {
            cx.push(
                Diagnostic::new(Code::Tag, format!("invalid tag key `{k}`"))
                    .label(a.key.span, "1-128 characters, not starting with `aws:`")
                    .help("rename the tag"),
            );
            continue;
        }
        if value.chars().count() > 256 {
            cx.push(
                Diagnostic::new(Code::Tag, format!("tag `{k}` value is too long"))
                    .label(a.value.span, "at most 256 characters")
                    .help("shorten the value"),
            );
            continue;
        }
        out.insert(k.clone(), value);
    }
    out
}

pub(super) fn logs(
    cx: &mut Cx,
    f: &Fields,
    app: &str,
    env: &str,
    account: &str,
    app_block: &Block,
) -> Option<Logs> {
    let bucket = match f.string(cx, "bucket") {
        Field::Ok(s, _) => Some(s),
        Field::Bad => None,
        Field::Absent => {
            let s = format!("{app}-{env}-logs-{account}");
            if account.is_empty() || cx.diags.has_errors() {
                // The account or app name may be what is wrong; that is
                // reported already and would only echo here.
                None
            } else if v::is_bucket(&s) {
                Some(s)
            } else {
                let span = app_block
                    .label
                    .as_ref()
                    .map(|l| l.span)
                    .unwrap_or(app_block.name.span);
                cx.push(
                    Diagnostic::new(
                        Code::BucketName,
                        format!("the default log bucket name `{s}` is not valid"),
                    )
                    .label(span, "app and env names make the bucket name too long")
                    .help("set `logs { bucket = \"...\" }` explicitly"),
                );
                None
            }
        }
    };
    let retain_days = f
        .duration(cx, "retain")
        .map(|secs| u32::try_from(secs / 86400).unwrap_or(u32::MAX))
        .or(90);
    Some(Logs {
        bucket: bucket?,
        retain_days: retain_days?,
    })
}
