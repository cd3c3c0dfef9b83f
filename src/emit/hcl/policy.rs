//! IAM and key policies as HCL: `aws_iam_policy_document` statements for
//! identity and resource policies, and `jsonencode({...})` objects for key
//! policies (whose `*` resource means "this key", which scanners would read
//! as an identity policy's wildcard).

use super::{block, data, ident_obj, quoted_obj, s, strs};
use hcl::{Block, Expression};

/// One statement of a policy. The lifetime is kept for the callers that
/// build statements from static text; every field is owned.
pub(crate) struct Statement<'a> {
    pub sid: String,
    pub effect: Option<&'a str>,
    pub actions: Vec<String>,
    pub resources: Vec<Expression>,
    pub principals: Option<(&'a str, Vec<Expression>)>,
    pub conditions: Vec<(&'a str, String, Vec<String>)>,
}

impl<'a> Statement<'a> {
    pub(crate) fn new<A: Into<String>>(
        sid: impl Into<String>,
        actions: impl IntoIterator<Item = A>,
        resources: Vec<Expression>,
    ) -> Self {
        Statement {
            sid: sid.into(),
            effect: None,
            actions: actions.into_iter().map(Into::into).collect(),
            resources,
            principals: None,
            conditions: vec![],
        }
    }
    /// Resources given as ARN strings.
    pub(crate) fn on<A: Into<String>, R: Into<String>>(
        sid: impl Into<String>,
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = R>,
    ) -> Self {
        Statement::new(
            sid,
            actions,
            resources
                .into_iter()
                .map(|r| Expression::String(r.into()))
                .collect(),
        )
    }
    pub(crate) fn deny(mut self) -> Self {
        self.effect = Some("Deny");
        self
    }
    pub(crate) fn principal(self, kind: &'a str, ids: Vec<String>) -> Self {
        self.principal_exprs(kind, ids.into_iter().map(Expression::String).collect())
    }
    pub(crate) fn principal_exprs(mut self, kind: &'a str, ids: Vec<Expression>) -> Self {
        self.principals = Some((kind, ids));
        self
    }
    pub(crate) fn condition(
        mut self,
        test: &'a str,
        variable: impl Into<String>,
        values: Vec<String>,
    ) -> Self {
        self.conditions.push((test, variable.into(), values));
        self
    }
    /// The `statement { ... }` block of an `aws_iam_policy_document`.
    pub(crate) fn build(self) -> Block {
        let mut b = block("statement").add_attribute(("sid", s(&self.sid)));
        if let Some(effect) = self.effect {
            b = b.add_attribute(("effect", s(effect)));
        }
        b = b.add_attribute(("actions", strs(self.actions)));
        if !self.resources.is_empty() {
            b = b.add_attribute(("resources", Expression::Array(self.resources)));
        }
        if let Some((kind, ids)) = self.principals {
            b = b.add_block(
                block("principals")
                    .add_attribute(("type", s(kind)))
                    .add_attribute(("identifiers", Expression::Array(ids)))
                    .build(),
            );
        }
        for (test, variable, values) in self.conditions {
            b = b.add_block(
                block("condition")
                    .add_attribute(("test", s(test)))
                    .add_attribute(("variable", s(variable)))
                    .add_attribute(("values", strs(values)))
                    .build(),
            );
        }
        b.build()
    }

    /// The statement as an IAM JSON object expression (for `jsonencode`).
    pub(crate) fn json(self) -> Expression {
        let mut pairs: Vec<(&str, Expression)> = vec![
            ("Sid", s(self.sid)),
            ("Effect", s(self.effect.unwrap_or("Allow"))),
        ];
        if let Some((kind, ids)) = self.principals {
            pairs.push(("Principal", quoted_obj([(kind, Expression::Array(ids))])));
        }
        pairs.push(("Action", strs(self.actions)));
        pairs.push(("Resource", Expression::Array(self.resources)));
        if !self.conditions.is_empty() {
            // One object per test operator, holding every variable it tests.
            let mut tests: Vec<(&str, Vec<(String, Expression)>)> = Vec::new();
            for (test, variable, values) in self.conditions {
                let entry = (variable, strs(values));
                match tests.iter_mut().find(|(t, _)| *t == test) {
                    Some((_, vars)) => vars.push(entry),
                    None => tests.push((test, vec![entry])),
                }
            }
            let tests = tests.into_iter().map(|(t, vars)| (t, quoted_obj(vars)));
            pairs.push(("Condition", quoted_obj(tests)));
        }
        ident_obj(pairs)
    }
}

/// `data "aws_iam_policy_document" NAME { statement ... }`.
pub(crate) fn policy_document(name: &str, statements: Vec<Statement<'_>>) -> Block {
    data("aws_iam_policy_document", name)
        .add_blocks(statements.into_iter().map(Statement::build))
        .build()
}
