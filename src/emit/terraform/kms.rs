//! `kms.tf`: the key that encrypts the app's data, exposed as
//! `local.kms_key_arn`. An alias in the spec is resolved with a data source,
//! a key ARN is used as is, and without `kms` the module creates a key with
//! rotation and an explicit key policy (account root, CloudWatch Logs of the
//! region for the log groups, the Auto Scaling service-linked role for the
//! encrypted EBS volumes) plus the alias `alias/paas-<app>-<env>`.

use super::{block, call, data, ident_obj, partition, quoted_obj, r, resource, s, strs, TfFile};
use crate::model::{App, Kms};
use hcl::{Block, Body, Expression};

/// The key's ARN, for every other file.
pub(crate) fn key_arn() -> Expression {
    r("local.kms_key_arn")
}

pub(crate) fn emit(app: &App) -> TfFile {
    let mut body = Body::builder();
    let arn = match &app.kms {
        Kms::Alias(alias) => {
            body = body.add_block(
                data("aws_kms_alias", "app")
                    .add_attribute(("name", s(alias)))
                    .build(),
            );
            r("data.aws_kms_alias.app.target_key_arn")
        }
        Kms::KeyArn(arn) => s(arn),
        Kms::Managed => {
            body = body.add_block(
                resource("aws_kms_key", "this")
                    .add_attribute((
                        "description",
                        s(format!("paasc: data of {} ({})", app.name, app.env)),
                    ))
                    .add_attribute(("enable_key_rotation", true))
                    .add_attribute(("deletion_window_in_days", 30))
                    .add_attribute(("policy", key_policy(app)))
                    .build(),
            );
            body = body.add_block(
                resource("aws_kms_alias", "this")
                    .add_attribute(("name", s(app.managed_kms_alias())))
                    .add_attribute(("target_key_id", r("aws_kms_key.this.key_id")))
                    .build(),
            );
            r("aws_kms_key.this.arn")
        }
    };
    body = body.add_block(block("locals").add_attribute(("kms_key_arn", arn)).build());
    TfFile {
        name: "kms.tf",
        body: body.build(),
        skips: vec![],
    }
}

pub(crate) struct Statement<'a> {
    pub sid: &'a str,
    pub effect: Option<&'a str>,
    pub actions: Vec<&'a str>,
    pub resources: Vec<Expression>,
    pub principals: Option<(&'a str, Vec<Expression>)>,
    pub conditions: Vec<(&'a str, &'a str, Vec<String>)>,
}

impl<'a> Statement<'a> {
    pub(crate) fn new(sid: &'a str, actions: Vec<&'a str>, resources: Vec<Expression>) -> Self {
        Statement {
            sid,
            effect: None,
            actions,
            resources,
            principals: None,
            conditions: vec![],
        }
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
        variable: &'a str,
        values: Vec<String>,
    ) -> Self {
        self.conditions.push((test, variable, values));
        self
    }
    /// The `statement { ... }` block of an `aws_iam_policy_document`.
    pub(crate) fn build(self) -> Block {
        let mut b = block("statement").add_attribute(("sid", s(self.sid)));
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
            let mut tests: Vec<(String, Expression)> = Vec::new();
            for (test, variable, values) in self.conditions {
                tests.push((test.to_string(), quoted_obj([(variable, strs(values))])));
            }
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

/// Domain suffix of service principals in the app's partition.
pub(crate) fn service_domain(app: &App) -> &'static str {
    crate::model::names::service_domain(app.partition())
}

/// The key policy, inline as `jsonencode({...})`: a key policy is not an
/// identity policy (its `*` resource means "this key"), so it stays out of
/// `aws_iam_policy_document`, which scanners read as identity policies.
fn key_policy(app: &App) -> Expression {
    let p = partition(app);
    let account = &app.account;
    let root = format!("arn:{p}:iam::{account}:root");
    let autoscaling =
        format!("arn:{p}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling");
    // In a key policy `*` means "this key"; the principals carry the scope.
    let this_key = || vec![s("*")];
    let statements = vec![
        Statement::new("AccountAdministration", vec!["kms:*"], this_key())
            .principal("AWS", vec![root]),
        Statement::new(
            "CloudWatchLogs",
            vec![
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            this_key(),
        )
        .principal(
            "Service",
            vec![format!("logs.{}.{}", app.region, service_domain(app))],
        )
        .condition(
            "ArnLike",
            "kms:EncryptionContext:aws:logs:arn",
            vec![format!("arn:{p}:logs:{}:{account}:log-group:*", app.region)],
        ),
        Statement::new(
            "AutoScalingVolumes",
            vec![
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
            this_key(),
        )
        .principal("AWS", vec![autoscaling.clone()]),
        Statement::new("AutoScalingGrants", vec!["kms:CreateGrant"], this_key())
            .principal("AWS", vec![autoscaling])
            .condition("Bool", "kms:GrantIsForAWSResource", vec!["true".into()]),
    ];
    let document = ident_obj(vec![
        ("Version", s("2012-10-17")),
        (
            "Statement",
            Expression::Array(statements.into_iter().map(Statement::json).collect()),
        ),
    ]);
    call("jsonencode", vec![document])
}
