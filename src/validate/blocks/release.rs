//! `release`: the strategy, the traffic shifts and the bake between them.

use super::super::fields::Fields;
use super::super::tree::Cx;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Release, Strategy};
use crate::syntax::ast::ValueKind;

pub(super) fn release(cx: &mut Cx, f: &Fields) -> Option<Release> {
    let strategy = f
        .choice(cx, "strategy", "release strategy")
        .map(|s| {
            if s == "rolling" {
                Strategy::Rolling
            } else {
                Strategy::BlueGreen
            }
        })
        .or(Strategy::BlueGreen);
    let shift = match f.attr("shift") {
        None => Some(vec![100]),
        Some(a) if strategy == Some(Strategy::Rolling) => {
            cx.push(
                Diagnostic::new(Code::Shift, "`shift` applies only to blue-green releases")
                    .label(a.span, "a rolling release replaces instances in place")
                    .help("remove `shift`, or use `strategy = blue-green`"),
            );
            None
        }
        Some(a) => match &a.value.kind {
            ValueKind::List(items) => {
                let steps: Vec<Option<u8>> = items.iter().map(|i| cx.percent(i)).collect();
                if steps.iter().any(Option::is_none) {
                    None
                } else {
                    let steps: Vec<u8> = steps.into_iter().flatten().collect();
                    let rising = steps.windows(2).all(|w| matches!(w, [a, b] if a < b));
                    if steps.last() != Some(&100) || !rising {
                        let what = if !rising {
                            "shifts must strictly increase"
                        } else {
                            "the last shift must be 100%"
                        };
                        cx.push(
                            Diagnostic::new(
                                Code::Shift,
                                format!("traffic shifts must rise to 100%: {what}"),
                            )
                            .label(a.value.span, what)
                            .help("write increasing percentages ending at 100%, e.g. `[10%, 50%, 100%]`"),
                        );
                        None
                    } else {
                        Some(steps)
                    }
                }
            }
            _ => {
                let _ = cx.string_list(&a.value);
                None
            }
        },
    };
    let bake_seconds = f.duration(cx, "bake").or(300);
    let keep_warm = f.duration(cx, "keep_warm");
    if strategy == Some(Strategy::Rolling) {
        if let Some(a) = f.attr("keep_warm") {
            cx.push(
                Diagnostic::new(
                    Code::Shift,
                    "`keep_warm` applies only to blue-green releases",
                )
                .label(a.span, "a rolling release keeps no previous fleet")
                .help("remove `keep_warm`, or use `strategy = blue-green`"),
            );
        }
    }
    let keep_warm = keep_warm.or(600);
    let alarm_errors = f.int(cx, "alarm_errors").or(10);
    let alarm_latency = f.duration(cx, "alarm_latency").or(2);
    let allow_skipped = f
        .choice(cx, "skipped_controls", "skipped-controls policy")
        .map(|c| c == "allow")
        .or(false);
    let strategy = strategy?;
    let shift = if strategy == Strategy::Rolling {
        Some(vec![100])
    } else {
        shift
    };
    Some(Release {
        strategy,
        shift: shift?,
        bake_seconds: bake_seconds?,
        keep_warm_seconds: keep_warm?,
        alarm_errors: u32::try_from(alarm_errors?).ok()?,
        alarm_latency_seconds: alarm_latency?,
        allow_skipped_controls: allow_skipped?,
    })
}
