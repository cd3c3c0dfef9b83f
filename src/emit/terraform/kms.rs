//! `kms.tf`: the key that encrypts the app's data, exposed as
//! `local.kms_key_arn`. An alias in the spec is resolved with a data source,
//! a key ARN is used as is, and without `kms` the module creates a key with
//! rotation and an explicit key policy (account root, CloudWatch Logs of the
//! region for the log groups, the Auto Scaling service-linked role for the
//! encrypted EBS volumes) plus the alias `alias/paas-<app>-<env>`.

pub(crate) use super::super::hcl::policy::{policy_document, Statement};
use super::{block, call, data, ident_obj, partition, r, resource, s, TfFile};
use crate::model::{App, Kms};
use hcl::{Body, Expression};

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
