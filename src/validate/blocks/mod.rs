//! Reading the merged app block into the model, one file per block. Every
//! key is read through `Fields`, so its type, rule and doc come from the
//! schema table; what lives here are defaults that depend on other keys
//! and the checks across keys.

mod arn;
mod base;

pub(super) use base::base_def;
mod fleet;
mod image;
mod network;
mod pipeline;
mod release;
mod service;
mod storage;

use super::checks;
use super::fields::Fields;
use super::tree::{Cx, Node};
use crate::diagnostics::{suggest, Code, Diagnostic, Diagnostics};
use crate::model::*;
use crate::resolve::Program;
use crate::schema;
use crate::syntax::ast::{Block, StrPart, Value, ValueKind};
use crate::validate::tables::REGIONS;
use arn::ArnCx;
use std::collections::BTreeMap;

/// Fields of a sub-block of the merged app (all absent when the block is).
fn sub<'n, 'a>(node: &'n Node<'a>, def: &'static schema::BlockDef) -> Fields<'n, 'a> {
    Fields::of(def, node.block(def.name))
}

pub fn lower_app(
    prog: &Program,
    app: &Block,
    node: &Node,
    env: &str,
    envs: Vec<String>,
    diags: &mut Diagnostics,
) -> Option<App> {
    let name_ident = match &app.label {
        Some(l) => l,
        None => {
            diags.push(
                Diagnostic::new(Code::Misplaced, "`app` needs a name")
                    .label(app.name.span, "write `app NAME { ... }`"),
            );
            return None;
        }
    };
    crate::resolve::check_name(name_ident, "app", diags);
    let name = name_ident.name.clone();
    let top = Fields::new(&schema::APP, Some(node));

    // Params first, then region and account (which may use params), then the rest.
    let mut vars = BTreeMap::new();
    vars.insert("app".to_string(), name.clone());
    vars.insert("env".to_string(), env.to_string());
    let mut cx = Cx { diags, vars };
    let param_values = params(&mut cx, prog);
    for (k, val) in param_values {
        cx.vars.insert(k, val);
    }
    let region = required(&mut cx, &top, "region", app).and_then(|a| {
        no_self_reference(&mut cx, &a.value)?;
        let r = cx.string(&a.value)?;
        if REGIONS.contains(&r.as_str()) {
            Some(r)
        } else {
            let help = suggest(&r, REGIONS.iter().copied())
                .unwrap_or_else(|| "use a region code such as `us-east-1`".into());
            cx.push(
                Diagnostic::new(Code::Region, format!("unknown region `{r}`"))
                    .label(a.value.span, "not an AWS region")
                    .help(help),
            );
            None
        }
    });
    let account = required(&mut cx, &top, "account", app).and_then(|a| {
        no_self_reference(&mut cx, &a.value)?;
        arn::account_value(&mut cx, &a.value)
    });
    if let Some(r) = &region {
        cx.vars.insert("region".into(), r.clone());
    }
    if let Some(a) = &account {
        cx.vars.insert("account".into(), a.clone());
    }
    let account_s = account.clone().unwrap_or_default();
    let region_s = region.clone().unwrap_or_default();
    let arn_cx = ArnCx {
        region: region.clone(),
        accounts: account.iter().cloned().collect(),
        env: env.to_string(),
        account_span: top.attr("account").map(|a| a.value.span),
    };

    let team = top
        .string(&mut cx, "team")
        .or_else(|| name.clone())
        .unwrap_or_else(|| name.clone());
    let version = top
        .string(&mut cx, "version")
        .or_else(|| "0.0.0".to_string())
        .unwrap_or_default();
    let kms = match top.attr("kms") {
        None => Kms::Managed,
        Some(a) => arn::kms(&mut cx, &a.value, &arn_cx).unwrap_or(Kms::Managed),
    };
    let tags = storage::tags(&mut cx, node.block("tags"));
    let image = image::image(&mut cx, prog, node);
    let service = service::service(&mut cx, node.block("service"), &arn_cx, app);
    let network = network::network(
        &mut cx,
        node.block("network"),
        service.as_ref().map(|s| s.public).unwrap_or(false),
    );
    let fleet = fleet::fleet(&mut cx, &sub(node, &schema::FLEET));
    let access = fleet::access(&mut cx, &sub(node, &schema::ACCESS));
    let verify = match node.block("verify") {
        Some(b) => checks::verify(&mut cx, prog, &b.node.checks),
        None => Vec::new(),
    };
    for def in prog.packs.values().filter(|d| !d.stdlib) {
        checks::pack_lines(&mut cx, &def.block);
    }
    let logs = storage::logs(
        &mut cx,
        &sub(node, &schema::LOGS),
        &name,
        env,
        &account_s,
        app,
    );
    let release = release::release(&mut cx, &sub(node, &schema::RELEASE));
    let pipeline = pipeline::pipeline(
        &mut cx,
        &sub(node, &schema::PIPELINE),
        &account_s,
        &arn_cx,
        release.as_ref(),
    );

    // Warnings that depend on the merged result.
    if let Some(s) = &service {
        if s.https.is_none() {
            let span = node
                .block("service")
                .map(|b| b.name.span)
                .unwrap_or(name_ident.span);
            cx.push(
                Diagnostic::new(Code::PlainHttp, "the service is served over plain HTTP")
                    .label(span, "no `https` certificate")
                    .help(
                        "add `https = \"arn:aws:acm:REGION:ACCOUNT:certificate/ID\"` to `service`",
                    ),
            );
        }
    }

    Some(App {
        name,
        env: env.to_string(),
        envs,
        team,
        version,
        region: region_s,
        account: account_s,
        kms,
        tags,
        image: image?,
        service: service?,
        network: network?,
        fleet: fleet?,
        access: access?,
        verify,
        logs: logs?,
        release: release?,
        pipeline: pipeline?,
        source: SourceInfo {
            file_name: prog.root_file_name.clone(),
            sha256: prog.source_sha256.clone(),
        },
    })
    .filter(|_| region.is_some() && account.is_some())
}

/// The params' values in this env (`${app}` and `${env}` are available to
/// them; `${region}` and `${account}` are not, since those may use params).
pub(super) fn params(cx: &mut Cx, prog: &Program) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (pname, p) in &prog.params {
        let value = match &p.value.kind {
            ValueKind::Str(parts) => {
                let self_ref = parts.iter().find_map(|x| match x {
                    StrPart::Interp(i) if i.name == "region" || i.name == "account" => Some(i),
                    _ => None,
                });
                if let Some(i) = self_ref {
                    cx.push(
                        Diagnostic::new(
                            Code::InterpolationCycle,
                            format!("param `{pname}` cannot use `${{{}}}`", i.name),
                        )
                        .label(i.span, "params are evaluated before region and account")
                        .help("use `${region}`/`${account}` in the app's strings instead"),
                    );
                    None
                } else {
                    cx.eval_parts(parts)
                }
            }
            ValueKind::Int(n) => Some(n.to_string()),
            ValueKind::Decimal(d) => Some(d.to_string()),
            ValueKind::Bool(b) => Some(b.to_string()),
            ValueKind::Name(n) => Some(n.clone()),
            ValueKind::Quantity { amount, unit } => Some(format!("{amount}{unit}")),
            ValueKind::List(_) | ValueKind::Invalid => Some(String::new()),
        };
        if let Some(value) = value {
            out.push((pname.clone(), value));
        }
    }
    out
}

fn required<'a>(
    cx: &mut Cx,
    top: &Fields<'_, 'a>,
    key: &str,
    app: &Block,
) -> Option<&'a crate::syntax::ast::Attr> {
    let a = top.attr(key);
    if a.is_none() && !top.had_errors() {
        let span = app.label.as_ref().map(|l| l.span).unwrap_or(app.name.span);
        let example = if key == "region" {
            "region = \"us-east-1\""
        } else {
            "account = \"123456789012\""
        };
        cx.push(
            Diagnostic::new(Code::MissingKey, format!("`app` is missing `{key}`"))
                .label(span, format!("this app needs `{key}`"))
                .help(format!("add `{example}`")),
        );
    }
    a
}

fn no_self_reference(cx: &mut Cx, val: &Value) -> Option<()> {
    if let ValueKind::Str(parts) = &val.kind {
        for p in parts {
            if let StrPart::Interp(i) = p {
                if i.name == "region" || i.name == "account" {
                    cx.push(
                        Diagnostic::new(
                            Code::InterpolationCycle,
                            format!("`{}` cannot be used here", i.name),
                        )
                        .label(
                            i.span,
                            "region and account cannot be built from region or account",
                        )
                        .help("write the value out, or use a `param`"),
                    );
                    return None;
                }
            }
        }
    }
    Some(())
}
