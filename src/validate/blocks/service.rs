//! `service`: the port, health path, certificate and exposure.

use super::super::fields::{Field, Fields};
use super::super::tree::{Cx, NBlock};
use super::super::values as v;
use super::arn::{arn, ArnCx};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::Service;
use crate::schema;
use crate::syntax::ast::Block;

pub(super) fn service(
    cx: &mut Cx,
    b: Option<&NBlock>,
    acx: &ArnCx,
    app: &Block,
) -> Option<Service> {
    let Some(b) = b else {
        if !app.had_errors {
            let span = app.label.as_ref().map(|l| l.span).unwrap_or(app.name.span);
            cx.push(
                Diagnostic::new(Code::MissingKey, "`app` is missing `service`")
                    .label(span, "this app needs a `service` block")
                    .help("add `service { port = 8080 }`"),
            );
        }
        return None;
    };
    let f = Fields::new(&schema::SERVICE, Some(&b.node));
    let port = match f.int(cx, "port") {
        Field::Absent => {
            if !f.had_errors() {
                cx.push(
                    Diagnostic::new(Code::MissingKey, "`service` is missing `port`")
                        .label(b.name.span, "needs `port`")
                        .help("add `port = 8080`"),
                );
            }
            None
        }
        Field::Ok(p, _) => u16::try_from(p).ok(),
        Field::Bad => None,
    };
    let health = f.string(cx, "health").or_else(|| "/".to_string());
    let https = match f.attr("https") {
        None => Some(None),
        Some(a) => arn(
            cx,
            &a.value,
            "an ACM certificate ARN",
            "acm",
            "arn:aws:acm:REGION:ACCOUNT:certificate/ID",
            v::is_certificate_resource,
            acx,
        )
        .map(Some),
    };
    let public = f.boolean(cx, "public").or(false);
    Some(Service {
        port: port?,
        health: health?,
        https: https?,
        public: public?,
    })
}
