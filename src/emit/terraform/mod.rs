//! Terraform root module: everything the Provision stage applies.
//!
//! Input: one validated `App`. Output: `terraform/*.tf` artifacts (versions,
//! variables, network, kms, security, iam, storage, lb, compute, outputs),
//! each starting with the paasc header line.
//!
//! Invariants:
//! - Every file is built with the `hcl` crate's builders; references such as
//!   `aws_lb.this.arn` are traversal expressions, user text is only ever a
//!   string literal (the formatter escapes `${`/`%{` in literals).
//! - The formatted text is byte-identical to what `terraform fmt` would
//!   produce (see `text::align_assignments`), so `terraform fmt -check` passes.
//! - Nothing opens port 22; every storage resource is encrypted with the
//!   app's KMS key except the ALB access-log bucket (ALB supports SSE-S3 only).
//! - Checkov skips are only the design-specific ones in [`skips`], inserted as
//!   `#checkov:skip=` comments inside the resource they apply to.
//! - The interface (variables, outputs) is the cross-artifact contract: see
//!   `docs/artifacts/terraform.md`.

use super::{header, Artifact, InternalError};
use crate::model::App;
use hcl::expr::{FuncCall, Traversal, Variable};
use hcl::template::Template;
use hcl::{Block, BlockBuilder, Body, Expression, Identifier, Object, ObjectKey};
use sha2::{Digest, Sha256};

mod compute;
mod iam;
mod kms;
mod lb;
mod network;
mod security;
pub mod skips;
mod storage;
pub mod text;
mod versions;

/// One `.tf` file before rendering: its body and the checkov skips that go
/// inside some of its resources.
pub(crate) struct TfFile {
    pub name: &'static str,
    pub body: Body,
    pub skips: Vec<skips::Skip>,
}

/// Every file of the root module for one app/env, sorted by path.
pub fn emit(app: &App) -> Result<Vec<Artifact>, InternalError> {
    let files = vec![
        versions::versions(app),
        versions::variables(app),
        network::emit(app),
        kms::emit(app),
        security::emit(app),
        iam::emit(app),
        storage::emit(app),
        lb::emit(app),
        compute::emit(app),
        versions::outputs(app),
    ];
    let mut out = files
        .into_iter()
        .map(|f| {
            Ok(Artifact::new(
                format!("terraform/{}", f.name),
                render(app, &f)?,
            ))
        })
        .collect::<Result<Vec<Artifact>, InternalError>>()?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn render(app: &App, file: &TfFile) -> Result<String, InternalError> {
    let formatted =
        hcl::format::to_string(&file.body).map_err(|e| InternalError::new("terraform", e))?;
    let aligned = text::align_assignments(&text::collapse_empty_blocks(&formatted));
    let with_skips = text::insert_skips(&aligned, &file.skips);
    Ok(format!(
        "{}\n{}",
        header(app, "#"),
        with_skips.trim_end_matches('\n')
    ) + "\n")
}

// ---------------------------------------------------------------------------
// Small builders shared by the file modules. Paths given to `r` are always
// static resource addresses written in this emitter, never user text.

/// A reference such as `aws_lb.this.arn` as a traversal expression.
pub(crate) fn r(path: &str) -> Expression {
    let mut parts = path.split('.');
    let root = Variable::unchecked(parts.next().unwrap_or("null"));
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        return Expression::Variable(root);
    }
    let mut builder = Traversal::builder(root);
    for part in rest {
        builder = builder.attr(Identifier::unchecked(part));
    }
    builder.build().into()
}

/// A string literal (user text is safe here: the formatter escapes `${`).
pub(crate) fn s(text: impl Into<String>) -> Expression {
    Expression::String(text.into())
}

/// A list of string literals.
pub(crate) fn strs<I, T>(items: I) -> Expression
where
    I: IntoIterator<Item = T>,
    T: Into<String>,
{
    Expression::Array(items.into_iter().map(|t| s(t)).collect())
}

/// A function call `name(args...)`.
pub(crate) fn call(name: &str, args: Vec<Expression>) -> Expression {
    let mut builder = FuncCall::builder(Identifier::unchecked(name));
    for arg in args {
        builder = builder.arg(arg);
    }
    Expression::FuncCall(Box::new(builder.build()))
}

/// `"${<reference>}<suffix>"`, e.g. `"${aws_s3_bucket.logs.arn}/*"`.
/// `suffix` is static text of this emitter.
pub(crate) fn interp(reference: &str, suffix: &str) -> Expression {
    let template = Template::new()
        .add_interpolation(r(reference))
        .add_literal(suffix);
    Expression::TemplateExpr(Box::new(template.to_string().into()))
}

/// An object with quoted keys (tag maps: user keys may hold any tag character).
pub(crate) fn quoted_obj<I, K>(pairs: I) -> Expression
where
    I: IntoIterator<Item = (K, Expression)>,
    K: Into<String>,
{
    let mut object = Object::new();
    for (k, v) in pairs {
        object.insert(ObjectKey::Expression(Expression::String(k.into())), v);
    }
    Expression::Object(object)
}

/// An object with identifier keys (static schema keys such as `source`).
pub(crate) fn ident_obj(pairs: Vec<(&str, Expression)>) -> Expression {
    let mut object = Object::new();
    for (k, v) in pairs {
        object.insert(ObjectKey::Identifier(Identifier::unchecked(k)), v);
    }
    Expression::Object(object)
}

pub(crate) fn resource(kind: &str, name: &str) -> BlockBuilder {
    Block::builder("resource").add_label(kind).add_label(name)
}

pub(crate) fn data(kind: &str, name: &str) -> BlockBuilder {
    Block::builder("data").add_label(kind).add_label(name)
}

pub(crate) fn block(ident: &str) -> BlockBuilder {
    Block::builder(ident)
}

/// `lifecycle { prevent_destroy = ... }`-style one-attribute block.
pub(crate) fn block1(ident: &str, key: &str, value: Expression) -> Block {
    Block::builder(ident).add_attribute((key, value)).build()
}

// ---------------------------------------------------------------------------
// Names derived from the model that only this module needs.

/// The AWS partition of a region (ARNs are built without data sources so the
/// module stays readable and plan-time cheap).
pub(crate) fn partition(app: &App) -> &'static str {
    app.partition()
}

/// `base` when it fits in `max` characters; otherwise a prefix of it, `-`
/// and the first 8 hex digits of its sha256, so long app/env names stay
/// within AWS limits and distinct.
pub(crate) fn fit_name(base: &str, max: usize) -> String {
    if base.chars().count() <= max {
        return base.to_string();
    }
    let digest = Sha256::digest(base.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let keep = max.saturating_sub(hash.len() + 1);
    let head: String = base.chars().take(keep).collect();
    format!("{}-{}", head.trim_end_matches('-'), hash)
}

/// Load balancer and target group names: at most 32 characters and never
/// starting with `internal-` (reserved by ELB).
pub(crate) fn elb_name(base: &str) -> String {
    let base = if base.starts_with("internal-") {
        format!("paas-{base}")
    } else {
        base.to_string()
    };
    fit_name(&base, 32)
}

/// Dedicated bucket for ALB access logs (SSE-S3 only, see docs).
pub fn alb_logs_bucket(app: &App) -> String {
    fit_name(&format!("{}-alb-logs-{}", app.prefix(), app.account), 63)
}

#[cfg(test)]
mod tests;
