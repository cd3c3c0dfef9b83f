//! HCL for Terraform, written with the `hcl` crate's builders and rendered
//! exactly as `terraform fmt` writes it: the shared toolkit of the app module
//! (`emit::terraform`) and the platform module (`emit::platform`).
//!
//! Invariants: references such as `aws_lb.this.arn` are traversal
//! expressions built from static text of the emitters, never user text;
//! user text is only ever a string literal (the formatter escapes `${`/`%{`
//! in literals); the rendered text passes `terraform fmt -check`.

pub mod bucket;
pub mod policy;
pub mod text;

use super::InternalError;
use hcl::expr::{FuncCall, Traversal, Variable};
use hcl::template::Template;
use hcl::{Block, BlockBuilder, Body, Expression, Identifier, Object, ObjectKey};

/// One `#checkov:skip=ID:reason` placed inside `resource "kind" "name"`
/// (or `data "TYPE" "name"` when `kind` is `data.TYPE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub kind: &'static str,
    pub name: String,
    pub id: &'static str,
    pub reason: String,
}

pub(crate) fn skip(
    kind: &'static str,
    name: &str,
    id: &'static str,
    reason: impl Into<String>,
) -> Skip {
    Skip {
        kind,
        name: name.to_string(),
        id,
        reason: reason.into(),
    }
}

/// One `.tf` file before rendering: its body and the checkov skips that go
/// inside some of its resources.
pub(crate) struct TfFile {
    pub name: &'static str,
    pub body: Body,
    pub skips: Vec<Skip>,
}

/// The file as `terraform fmt` would write it, headed by `header`, with its
/// checkov skips inside their resources.
pub(crate) fn render(
    emitter: &'static str,
    header: &str,
    file: &TfFile,
) -> Result<String, InternalError> {
    let formatted =
        hcl::format::to_string(&file.body).map_err(|e| InternalError::new(emitter, e))?;
    Ok(text::finish(header, &formatted, &file.skips))
}

// Builders. Paths given to `r` are always static resource addresses written
// in an emitter, never user text.

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

/// An instance of a `for_each` resource and one of its attributes:
/// `aws_iam_role.pipeline["shop/prod"].arn`. The key is a string literal.
pub(crate) fn at(resource: &str, key: &str, attr: &str) -> Expression {
    at_index(resource, Expression::String(key.to_string()), attr)
}

/// `aws_iam_role.pipeline[each.key].arn`.
pub(crate) fn at_each(resource: &str, attr: &str) -> Expression {
    at_index(resource, r("each.key"), attr)
}

fn at_index(resource: &str, index: Expression, attr: &str) -> Expression {
    let mut parts = resource.split('.');
    let root = Variable::unchecked(parts.next().unwrap_or("null"));
    let mut builder = Traversal::builder(root);
    for part in parts {
        builder = builder.attr(Identifier::unchecked(part));
    }
    builder
        .index(index)
        .attr(Identifier::unchecked(attr))
        .build()
        .into()
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
/// `lhs <op> rhs`.
pub(crate) fn binop(lhs: Expression, op: hcl::expr::BinaryOperator, rhs: Expression) -> Expression {
    Expression::from(hcl::expr::BinaryOp::new(lhs, op, rhs))
}

/// `cond ? yes : no`.
pub(crate) fn cond(cond: Expression, yes: Expression, no: Expression) -> Expression {
    Expression::from(hcl::expr::Conditional::new(cond, yes, no))
}

pub(crate) fn block1(ident: &str, key: &str, value: Expression) -> Block {
    Block::builder(ident).add_attribute((key, value)).build()
}

pub(crate) use crate::model::names::fit_name;
