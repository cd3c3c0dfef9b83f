//! `kms.tf`: the platform key (artifacts, Terraform state, parameters,
//! audit, notifications) and, in app accounts, the key of every app and env
//! whose spec names no `kms`: they exist before the first bake, so nothing
//! has to be created by hand and the app module only reads them.
//!
//! Each key policy admits exactly who uses the key: the account root
//! (the only `kms:*`, which is also what lets the account's IAM policies
//! grant use), CloudWatch Logs for the log groups it encrypts (encryption
//! context condition), and the roles that use it by name. App keys also
//! admit the Auto Scaling service-linked role (encrypted volumes of the
//! fleet), the pipeline's runner (the bake encrypts the AMI) and the roots
//! of the accounts the AMI is shared with (launching it there).

use super::super::hcl::policy::Statement;
use super::super::hcl::{at, block, call, ident_obj, r, resource, s, TfFile};
use crate::model::names::{partition, platform as names, service_domain};
use crate::model::platform::{HostApp, Platform};
use hcl::{Block, Body, Expression};

/// Terraform name of an app's key: `<app>__<env>` with `.` as `_` (names
/// hold no `_`, so `__` cannot be ambiguous).
pub(super) fn app_key_name(app: &str, env: &str) -> String {
    format!("{}__{}", app.replace('.', "_"), env.replace('.', "_"))
}

const USE: [&str; 5] = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
];

fn key_policy(statements: Vec<Statement<'_>>) -> Expression {
    // In a key policy `*` means "this key"; the principals carry the scope.
    let document = ident_obj(vec![
        ("Version", s("2012-10-17")),
        (
            "Statement",
            Expression::Array(statements.into_iter().map(Statement::json).collect()),
        ),
    ]);
    call("jsonencode", vec![document])
}

fn this_key() -> Vec<Expression> {
    vec![s("*")]
}

fn root(platform: &Platform) -> String {
    crate::model::names::arn(
        partition(&platform.region),
        "iam",
        "",
        &platform.account,
        "root",
    )
}

fn logs_principal(platform: &Platform) -> String {
    format!(
        "logs.{}.{}",
        platform.region,
        service_domain(partition(&platform.region))
    )
}

fn log_group_arn(platform: &Platform, name: &str) -> String {
    crate::model::names::arn(
        partition(&platform.region),
        "logs",
        &platform.region,
        &platform.account,
        &format!("log-group:{name}"),
    )
}

fn key(name: &str, description: String, policy: Expression, depends: Vec<Expression>) -> Block {
    let mut b = resource("aws_kms_key", name)
        .add_attribute(("description", s(description)))
        .add_attribute(("enable_key_rotation", true))
        .add_attribute(("deletion_window_in_days", 30))
        .add_attribute(("policy", policy));
    if !depends.is_empty() {
        b = b.add_attribute(("depends_on", Expression::Array(depends)));
    }
    b.build()
}

fn alias(name: &str, alias: &str) -> Block {
    resource("aws_kms_alias", name)
        .add_attribute(("name", s(alias)))
        .add_attribute(("target_key_id", r(&format!("aws_kms_key.{name}.key_id"))))
        .build()
}

pub(super) fn emit(platform: &Platform) -> TfFile {
    let mut blocks = Vec::new();
    if let Some(p) = &platform.pipeline {
        let mut users: Vec<Expression> = vec![r("aws_iam_role.runner.arn")];
        for app in &p.apps {
            users.push(at(
                "aws_iam_role.pipeline",
                &super::roles::key(&app.name, &app.env),
                "arn",
            ));
        }
        let statements = vec![
            Statement::new("AccountAdministration", ["kms:*"], this_key())
                .principal("AWS", vec![root(platform)]),
            Statement::new("PipelineRoles", USE, this_key()).principal_exprs("AWS", users),
            Statement::new("CloudWatchLogs", USE, this_key())
                .principal("Service", vec![logs_principal(platform)])
                .condition(
                    "ArnLike",
                    "kms:EncryptionContext:aws:logs:arn",
                    vec![log_group_arn(platform, "/paas/platform/*")],
                ),
        ];
        blocks.push(key(
            "platform",
            format!(
                "paasc platform of {} in {}: artifacts, state, parameters, audit, notifications",
                platform.account, platform.region
            ),
            key_policy(statements),
            vec![],
        ));
        blocks.push(alias("platform", names::KMS_ALIAS));
    }
    if let Some(h) = &platform.host {
        for app in h.apps.iter().filter(|a| a.managed_key_alias.is_some()) {
            blocks.extend(app_key(platform, h.create_autoscaling_role, app));
        }
    }
    TfFile {
        name: "kms.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips: vec![],
    }
}

fn app_key(platform: &Platform, local_slr: bool, app: &HostApp) -> Vec<Block> {
    let name = app_key_name(&app.name, &app.env);
    let Some(alias_name) = &app.managed_key_alias else {
        return vec![];
    };
    let autoscaling = names::autoscaling_service_role_arn(&platform.region, &platform.account);
    let prefix = format!("{}-{}", app.name, app.env);
    let mut statements = vec![
        Statement::new("AccountAdministration", ["kms:*"], this_key())
            .principal("AWS", vec![root(platform)]),
        Statement::new("CloudWatchLogs", USE, this_key())
            .principal("Service", vec![logs_principal(platform)])
            .condition(
                "ArnLike",
                "kms:EncryptionContext:aws:logs:arn",
                vec![
                    log_group_arn(platform, &format!("{}*", app.log_group)),
                    log_group_arn(platform, &format!("aws-waf-logs-{prefix}*")),
                ],
            ),
        // PostProvision exports the app's log group into the logs bucket,
        // which this key encrypts: CloudWatch Logs writes the objects.
        Statement::new(
            "CloudWatchLogsExport",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            this_key(),
        )
        .principal("Service", vec![logs_principal(platform)])
        .condition(
            "StringEquals",
            "aws:SourceAccount",
            vec![platform.account.clone()],
        )
        .condition(
            "ArnLike",
            "aws:SourceArn",
            vec![log_group_arn(platform, &format!("{}*", app.log_group))],
        ),
        Statement::new("AutoScalingVolumes", USE, this_key())
            .principal("AWS", vec![autoscaling.clone()]),
        Statement::new("AutoScalingGrants", ["kms:CreateGrant"], this_key())
            .principal("AWS", vec![autoscaling])
            .condition("Bool", "kms:GrantIsForAWSResource", vec!["true".into()]),
        Statement::new("Provision", USE, this_key())
            .principal_exprs("AWS", vec![r("aws_iam_role.provision.arn")]),
        Statement::new("ProvisionGrants", ["kms:CreateGrant"], this_key())
            .principal_exprs("AWS", vec![r("aws_iam_role.provision.arn")])
            .condition("Bool", "kms:GrantIsForAWSResource", vec!["true".into()]),
        // The bake runs in the pipeline account: EC2 encrypts the AMI's
        // snapshots with this key on the runner's behalf.
        Statement::new("BakeryEncryptsTheImage", USE, this_key())
            .principal("AWS", vec![app.runner_role_arn.clone()]),
        Statement::new("BakeryGrants", ["kms:CreateGrant"], this_key())
            .principal("AWS", vec![app.runner_role_arn.clone()])
            .condition("Bool", "kms:GrantIsForAWSResource", vec!["true".into()]),
    ];
    if !app.share.is_empty() {
        let roots: Vec<String> = app
            .share
            .iter()
            .map(|a| crate::model::names::arn(partition(&platform.region), "iam", "", a, "root"))
            .collect();
        statements.push(
            Statement::new(
                "SharedImageAccounts",
                [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKeyWithoutPlaintext",
                ],
                this_key(),
            )
            .principal("AWS", roots.clone()),
        );
        statements.push(
            Statement::new("SharedImageAccountsGrants", ["kms:CreateGrant"], this_key())
                .principal("AWS", roots.clone())
                .condition("Bool", "kms:GrantIsForAWSResource", vec!["true".into()]),
        );
        // An auto scaling group there launches through that account's Auto
        // Scaling service-linked role, which only a grant can admit (no
        // policy attaches to it): each account may grant its own role, and
        // nothing else (docs/bootstrap.md shows the one command).
        let slrs: Vec<String> = app
            .share
            .iter()
            .map(|a| names::autoscaling_service_role_arn(&platform.region, a))
            .collect();
        statements.push(
            Statement::new(
                "SharedImageAccountsGrantTheirAutoScaling",
                ["kms:CreateGrant"],
                this_key(),
            )
            .principal("AWS", roots)
            .condition("StringEquals", "kms:GranteePrincipal", slrs),
        );
    }
    let mut depends = vec![];
    if local_slr {
        depends.push(r("aws_iam_service_linked_role.autoscaling"));
    }
    vec![
        key(
            &name,
            format!("paasc: data and image of {} ({})", app.name, app.env),
            key_policy(statements),
            depends,
        ),
        alias(&name, alias_name),
    ]
}

/// A `lifecycle { prevent_destroy = true }` block: keys and tables outlive
/// a careless `terraform destroy`.
pub(super) fn keep() -> Block {
    block("lifecycle")
        .add_attribute(("prevent_destroy", true))
        .build()
}
