//! `fleet` (sizes, scaling, launch kind) and `access` (what the instances may use).

use super::super::fields::{Field, Fields};
use super::super::tree::Cx;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Access, Fleet, Launch};
use crate::source::Span;

pub(super) fn fleet(cx: &mut Cx, f: &Fields) -> Option<Fleet> {
    let size = |cx: &mut Cx, key: &str| -> Result<Option<(u32, Span)>, ()> {
        match f.int(cx, key) {
            Field::Absent => Ok(None),
            Field::Ok(n, span) => u32::try_from(n).map(|n| Some((n, span))).map_err(|_| ()),
            Field::Bad => Err(()),
        }
    };
    let (min, max, desired) = (size(cx, "min"), size(cx, "max"), size(cx, "desired"));
    let cpu = f.percent(cx, "cpu").or(70);
    let launch = match f.choice(cx, "launch", "launch kind") {
        Field::Absent => Some(Launch::Template),
        Field::Bad => None,
        Field::Ok("configuration", span) => {
            cx.push(
                Diagnostic::new(
                    Code::LaunchConfiguration,
                    "launch configurations are deprecated",
                )
                .label(
                    span,
                    "accounts created on or after 2024-10-01 cannot create them",
                )
                .help("use `launch = template` (the default) when the account allows"),
            );
            Some(Launch::Configuration)
        }
        Field::Ok(_, _) => Some(Launch::Template),
    };
    let (Ok(min), Ok(max), Ok(desired)) = (min, max, desired) else {
        return None;
    };
    let min_v = min.map(|m| m.0).unwrap_or(1);
    let desired_v = desired.map(|d| d.0).unwrap_or(min_v);
    let max_v = max.map(|m| m.0).unwrap_or(min_v.max(desired_v).max(1));
    let mut ok = true;
    if max_v < 1 {
        ok = false;
        let d = Diagnostic::new(Code::FleetSize, "`max` must be at least 1")
            .help("set `max = 1` or more");
        cx.push(match max {
            Some((_, s)) => d.label(s, "max is 0"),
            None => d,
        });
    } else if !(min_v <= desired_v && desired_v <= max_v) {
        ok = false;
        let mut d = Diagnostic::new(
            Code::FleetSize,
            format!("fleet needs min <= desired <= max, got {min_v} / {desired_v} / {max_v}"),
        )
        .help("adjust the sizes so that min <= desired <= max");
        for (x, what) in [(min, "min"), (desired, "desired"), (max, "max")] {
            if let Some((n, s)) = x {
                d = d.label(s, format!("{what} = {n}"));
            }
        }
        if d.labels.is_empty() {
            if let Some(span) = f.block_span() {
                d = d.label(span, "in this fleet");
            }
        }
        cx.push(d);
    }
    let fleet = Fleet {
        min: min_v,
        max: max_v,
        desired: desired_v,
        cpu: cpu?,
        launch: launch?,
    };
    ok.then_some(fleet)
}

pub(super) fn access(cx: &mut Cx, f: &Fields) -> Option<Access> {
    if f.node().is_none() {
        return Some(Access::default());
    }
    let mut ok = true;
    let mut list = |cx: &mut Cx, key: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        match f.string_list(cx, key) {
            Field::Ok(items, _) => {
                for (s, _) in items {
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
            Field::Bad => ok = false,
            Field::Absent => {}
        }
        out
    };
    let s3 = list(cx, "s3");
    let dynamodb = list(cx, "dynamodb");
    let sqs = list(cx, "sqs");
    let secrets = list(cx, "secrets");
    ok.then_some(Access {
        s3,
        dynamodb,
        sqs,
        secrets,
    })
}
