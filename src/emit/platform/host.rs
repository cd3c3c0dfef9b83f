//! `host.tf`: in an account that hosts apps, the role the pipeline acts
//! through, the boundaries that keep it from escalating, and the Auto
//! Scaling service-linked role the fleets' encrypted volumes need.
//!
//! The provision role may be assumed only by the runners and state machine
//! roles of the pipelines that deploy here. Its policy is what the app
//! modules manage (load balancers, target groups, security groups, launch
//! templates, auto scaling groups, the instance role and profile, the logs
//! buckets, log groups, web ACLs, alarms), scoped to the apps' names where
//! AWS allows it, plus the calls the state machines make here (derived from
//! their Task states) and what the validate and post stages read. Roles it
//! creates must carry the app boundary (`paas-boundary-<region>`), which
//! allows only what instances need; its own boundary denies every way out:
//! roles without the app boundary, touching the boundaries, touching itself.

use super::super::hcl::policy::{policy_document, Statement};
use super::super::hcl::{at, r, resource, s, skip, TfFile};
use super::roles;
use crate::model::names::{arn, partition, platform as names, service_domain};
use crate::model::platform::{HostPart, Platform};
use hcl::expr::Conditional;
use hcl::{Body, Expression};

pub(super) fn emit(platform: &Platform) -> TfFile {
    let mut blocks = Vec::new();
    let Some(h) = &platform.host else {
        return TfFile {
            name: "host.tf",
            body: Body::builder().build(),
            skips: vec![],
        };
    };
    let region = &platform.region;
    let role_name = names::provision_role(region);
    blocks.push(policy_document(
        "provision_assume",
        vec![
            Statement::new("PipelinesOfThisAccount", ["sts:AssumeRole"], vec![])
                .principal_exprs("AWS", trusted(platform, h)),
        ],
    ));
    blocks.push(
        resource("aws_iam_role", "provision")
            .add_attribute(("name", s(&role_name)))
            .add_attribute((
                "description",
                s("paasc: what the pipelines' Provision, Validation and PostProvision do in this account"),
            ))
            .add_attribute(("assume_role_policy", r("data.aws_iam_policy_document.provision_assume.json")))
            .add_attribute(("permissions_boundary", r("aws_iam_policy.provision_boundary.arn")))
            .add_attribute(("max_session_duration", 3600))
            .build(),
    );
    blocks.push(policy_document(
        "provision",
        provision_statements(platform, h),
    ));
    blocks.push(
        resource("aws_iam_role_policy", "provision")
            .add_attribute(("name", s("app-modules")))
            .add_attribute(("role", r("aws_iam_role.provision.id")))
            .add_attribute(("policy", r("data.aws_iam_policy_document.provision.json")))
            .build(),
    );
    blocks.push(policy_document("app_boundary", app_boundary(platform)));
    blocks.push(
        resource("aws_iam_policy", "app_boundary")
            .add_attribute(("name", s(names::boundary_policy(region))))
            .add_attribute((
                "description",
                s("paasc: the most a role created by an app module may do (what instances need)"),
            ))
            .add_attribute((
                "policy",
                r("data.aws_iam_policy_document.app_boundary.json"),
            ))
            .build(),
    );
    blocks.push(policy_document(
        "provision_boundary",
        provision_boundary(platform),
    ));
    blocks.push(
        resource("aws_iam_policy", "provision_boundary")
            .add_attribute(("name", s(names::provision_boundary_policy(region))))
            .add_attribute((
                "description",
                s("paasc: the most the provision role may do; no way around the app boundary"),
            ))
            .add_attribute((
                "policy",
                r("data.aws_iam_policy_document.provision_boundary.json"),
            ))
            .build(),
    );
    blocks.push(
        resource("aws_iam_service_linked_role", "autoscaling")
            .add_attribute((
                "count",
                Expression::from(Conditional::new(
                    r("var.create_autoscaling_service_linked_role"),
                    Expression::from(1),
                    Expression::from(0),
                )),
            ))
            .add_attribute((
                "aws_service_name",
                s(format!("autoscaling.{}", service_domain(partition(region)))),
            ))
            .add_attribute((
                "description",
                s("Auto Scaling's service-linked role (the fleets' encrypted volumes)"),
            ))
            .build(),
    );
    // A boundary caps a role and grants nothing: its allow list is the
    // ceiling, the roles' own policies carry the scope. checkov reads any
    // policy document as an identity policy.
    let mut skips = Vec::new();
    for (doc, ids) in [
        (
            "app_boundary",
            &["CKV_AWS_108", "CKV_AWS_111", "CKV_AWS_356"][..],
        ),
        (
            "provision_boundary",
            &[
                "CKV_AWS_107",
                "CKV_AWS_108",
                "CKV_AWS_109",
                "CKV_AWS_111",
                "CKV_AWS_356",
            ][..],
        ),
    ] {
        for id in ids {
            skips.push(skip(
                "data.aws_iam_policy_document",
                doc,
                id,
                super::skips::BOUNDARY,
            ));
        }
    }
    TfFile {
        name: "host.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips,
    }
}

/// The roles that may assume the provision role; those of this very module
/// by reference (so they exist before the trust policy names them).
fn trusted(platform: &Platform, h: &HostPart) -> Vec<Expression> {
    let own_runner = platform.pipeline.as_ref().map(|_| {
        names::role_arn(
            &platform.region,
            &platform.account,
            &names::runner_role(&platform.region),
        )
    });
    let own_pipelines: Vec<(String, String)> = platform
        .pipeline
        .iter()
        .flat_map(|p| p.apps.iter())
        .map(|a| {
            (
                names::role_arn(&platform.region, &platform.account, &a.role_name),
                roles::key(&a.name, &a.env),
            )
        })
        .collect();
    h.trusted
        .iter()
        .map(|arn| {
            if own_runner.as_deref() == Some(arn.as_str()) {
                r("aws_iam_role.runner.arn")
            } else if let Some((_, key)) = own_pipelines.iter().find(|(a, _)| a == arn) {
                at("aws_iam_role.pipeline", key, "arn")
            } else {
                s(arn)
            }
        })
        .collect()
}

fn provision_statements<'a>(platform: &Platform, h: &HostPart) -> Vec<Statement<'a>> {
    let (region, account) = (&platform.region, &platform.account);
    let p = partition(region);
    let domain = service_domain(p);
    let here = |service: &str, resource: &str| arn(p, service, region, account, resource);
    let prefixes: Vec<&str> = h.apps.iter().map(|a| a.prefix.as_str()).collect();
    let boundary = names::policy_arn(region, account, &names::boundary_policy(region));
    let iam_roles: Vec<String> = prefixes
        .iter()
        .map(|x| arn(p, "iam", "", account, &format!("role/paas-{x}-*")))
        .collect();
    let profiles: Vec<String> = prefixes
        .iter()
        .map(|x| {
            arn(
                p,
                "iam",
                "",
                account,
                &format!("instance-profile/paas-{x}-*"),
            )
        })
        .collect();
    let mut buckets: Vec<String> = Vec::new();
    for app in &h.apps {
        for b in &app.buckets {
            buckets.push(format!("arn:{p}:s3:::{b}"));
            buckets.push(format!("arn:{p}:s3:::{b}/*"));
        }
    }
    let mut log_groups: Vec<String> = Vec::new();
    for app in &h.apps {
        log_groups.push(here("logs", &format!("log-group:{}*", app.log_group)));
        log_groups.push(here(
            "logs",
            &format!("log-group:aws-waf-logs-{}*", app.prefix),
        ));
    }
    let groups: Vec<String> = prefixes
        .iter()
        .map(|x| {
            here(
                "autoscaling",
                &format!("autoScalingGroup:*:autoScalingGroupName/{x}*"),
            )
        })
        .collect();
    let alarms: Vec<String> = prefixes
        .iter()
        .map(|x| here("cloudwatch", &format!("alarm:paas-{x}-*")))
        .collect();
    let acls: Vec<String> = prefixes
        .iter()
        .map(|x| here("wafv2", &format!("regional/webacl/paas-{x}*/*")))
        .collect();
    let mut remote: Vec<String> = h
        .apps
        .iter()
        .flat_map(|a| a.remote_actions.clone())
        .collect();
    remote.sort();
    remote.dedup();
    let mut out = vec![
        // Reads with no resource-level scope, in this region only.
        Statement::on(
            "Read",
            [
                "autoscaling:Describe*",
                "cloudwatch:DescribeAlarms",
                "ec2:Describe*",
                "ec2:GetLaunchTemplateData",
                "elasticloadbalancing:Describe*",
                "kms:ListAliases",
                "logs:DescribeExportTasks",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "ssm:DescribeInstanceInformation",
                "ssm:GetCommandInvocation",
                "ssm:ListCommandInvocations",
                "wafv2:GetWebACLForResource",
            ],
            ["*"],
        )
        .condition("StringEquals", "aws:RequestedRegion", vec![region.clone()]),
        Statement::on(
            "ReadInstanceRoles",
            [
                "iam:GetInstanceProfile",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
            ],
            iam_roles
                .iter()
                .chain(profiles.iter())
                .cloned()
                .collect::<Vec<_>>(),
        ),
        Statement::on(
            "Network",
            [
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:CreateLaunchTemplate",
                "ec2:CreateLaunchTemplateVersion",
                "ec2:CreateSecurityGroup",
                "ec2:CreateTags",
                "ec2:DeleteLaunchTemplate",
                "ec2:DeleteLaunchTemplateVersions",
                "ec2:DeleteSecurityGroup",
                "ec2:DeleteTags",
                "ec2:ModifyLaunchTemplate",
                "ec2:ModifySecurityGroupRules",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RunInstances",
                "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
                "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
            ],
            [here("ec2", "*")],
        ),
        Statement::on(
            "LoadBalancing",
            ["elasticloadbalancing:*"],
            [here("elasticloadbalancing", "*")],
        ),
        Statement::on("Fleets", ["autoscaling:*"], groups),
        Statement::on(
            "FleetConfiguration",
            [
                "autoscaling:CreateLaunchConfiguration",
                "autoscaling:DeleteLaunchConfiguration",
            ],
            [here(
                "autoscaling",
                "launchConfiguration:*:launchConfigurationName/paas-*",
            )],
        ),
        Statement::on(
            "InstanceRoles",
            [
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:PutRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ],
            iam_roles.clone(),
        ),
        Statement::on(
            "InstanceRolesUnderTheBoundary",
            ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            iam_roles.clone(),
        )
        .condition(
            "StringEquals",
            "iam:PermissionsBoundary",
            vec![boundary.clone()],
        ),
        Statement::on(
            "InstanceRolesManagedPolicies",
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            iam_roles.clone(),
        )
        .condition(
            "ArnEquals",
            "iam:PolicyARN",
            vec![
                format!("arn:{p}:iam::aws:policy/AmazonSSMManagedInstanceCore"),
                format!("arn:{p}:iam::aws:policy/CloudWatchAgentServerPolicy"),
            ],
        ),
        Statement::on("PassInstanceRoles", ["iam:PassRole"], iam_roles).condition(
            "StringEquals",
            "iam:PassedToService",
            vec![format!("ec2.{domain}")],
        ),
        Statement::on(
            "InstanceProfiles",
            [
                "iam:AddRoleToInstanceProfile",
                "iam:CreateInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:TagInstanceProfile",
            ],
            profiles,
        ),
        Statement::on(
            "LoadBalancerServiceRole",
            ["iam:CreateServiceLinkedRole"],
            [arn(
                p,
                "iam",
                "",
                account,
                "role/aws-service-role/elasticloadbalancing.amazonaws.com/*",
            )],
        )
        .condition(
            "StringEquals",
            "iam:AWSServiceName",
            vec!["elasticloadbalancing.amazonaws.com".into()],
        ),
        Statement::on("LogBuckets", ["s3:*"], buckets),
        Statement::on(
            "LogGroups",
            [
                "logs:AssociateKmsKey",
                "logs:CreateExportTask",
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:DescribeLogStreams",
                "logs:DisassociateKmsKey",
                "logs:ListTagsForResource",
                "logs:ListTagsLogGroup",
                "logs:PutRetentionPolicy",
                "logs:TagLogGroup",
                "logs:TagResource",
                "logs:UntagLogGroup",
                "logs:UntagResource",
            ],
            log_groups,
        ),
        // WAF logging delivers through a log resource policy and a delivery
        // (neither has a resource-level scope): this region only.
        Statement::on(
            "WafLogDelivery",
            [
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:PutResourcePolicy",
            ],
            ["*"],
        )
        .condition("StringEquals", "aws:RequestedRegion", vec![region.clone()]),
        Statement::on(
            "WebAcls",
            ["wafv2:*"],
            acls.into_iter()
                .chain([here("wafv2", "regional/managedruleset/*/*")])
                .collect::<Vec<_>>(),
        ),
        Statement::on("Alarms", ["cloudwatch:*"], alarms),
        Statement::on(
            "AppKeys",
            [
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ],
            [here("kms", "key/*")],
        ),
        // Validation runs InSpec on the hosts through SSM (no SSH).
        Statement::on(
            "ValidateHosts",
            ["ssm:SendCommand", "ssm:StartSession"],
            [
                here("ec2", "instance/*"),
                arn(p, "ssm", region, "", "document/AWS-RunShellScript"),
                arn(p, "ssm", region, "", "document/AWS-StartSSHSession"),
            ],
        ),
        Statement::on(
            "EndOwnSessions",
            ["ssm:TerminateSession"],
            [here("ssm", "session/${aws:userid}-*")],
        ),
    ];
    if !remote.is_empty() {
        // What the state machines do here through this role, by name (the
        // statements above already scope each of these; listing them keeps
        // the contract with the Task states visible and tested).
        out.push(Statement::on(
            "StateMachineTasks",
            remote,
            [
                here("elasticloadbalancing", "*"),
                here("autoscaling", "*"),
                here("cloudwatch", "*"),
            ],
        ));
    }
    out
}

/// The most a role created by an app module may do: what the instances
/// need (Session Manager, the CloudWatch agent, the `access` block).
fn app_boundary<'a>(platform: &Platform) -> Vec<Statement<'a>> {
    let _ = platform;
    vec![
        Statement::on(
            "InstanceNeeds",
            [
                "cloudwatch:PutMetricData",
                "dynamodb:BatchGetItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:DescribeTable",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "ec2:DescribeTags",
                "ec2:DescribeVolumes",
                "ec2messages:*",
                "kms:Decrypt",
                "kms:GenerateDataKey",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "s3:GetBucketLocation",
                "s3:GetEncryptionConfiguration",
                "s3:GetObject",
                "s3:ListBucket",
                "s3:PutObject",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
                "sqs:SendMessage",
                "ssm:DescribeAssociation",
                "ssm:DescribeDocument",
                "ssm:GetDeployablePatchSnapshotForInstance",
                "ssm:GetDocument",
                "ssm:GetManifest",
                "ssm:GetParameter",
                "ssm:GetParameters",
                "ssm:GetParametersByPath",
                "ssm:ListAssociations",
                "ssm:ListInstanceAssociations",
                "ssm:PutComplianceItems",
                "ssm:PutConfigurePackageResult",
                "ssm:PutInventory",
                "ssm:UpdateAssociationStatus",
                "ssm:UpdateInstanceAssociationStatus",
                "ssm:UpdateInstanceInformation",
                "ssmmessages:*",
            ],
            ["*"],
        ),
        Statement::on(
            "NeverIdentities",
            ["iam:*", "sts:AssumeRole", "organizations:*"],
            ["*"],
        )
        .deny(),
    ]
}

/// The most the provision role may do, and the escalations it may never take.
fn provision_boundary<'a>(platform: &Platform) -> Vec<Statement<'a>> {
    let (region, account) = (&platform.region, &platform.account);
    let p = partition(region);
    let app_boundary = names::policy_arn(region, account, &names::boundary_policy(region));
    let own_boundary =
        names::policy_arn(region, account, &names::provision_boundary_policy(region));
    let own_role = names::role_arn(region, account, &names::provision_role(region));
    vec![
        Statement::on(
            "Services",
            [
                "autoscaling:*",
                "cloudwatch:*",
                "ec2:*",
                "elasticloadbalancing:*",
                "iam:*",
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:ListAliases",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "logs:*",
                "s3:*",
                "ssm:*",
                "sts:GetCallerIdentity",
                "wafv2:*",
            ],
            ["*"],
        ),
        Statement::on(
            "RolesOnlyUnderTheAppBoundary",
            ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
            ["*"],
        )
        .deny()
        .condition(
            "StringNotEquals",
            "iam:PermissionsBoundary",
            vec![app_boundary.clone()],
        ),
        Statement::on(
            "BoundariesStay",
            [
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:DeleteRolePermissionsBoundary",
                "iam:SetDefaultPolicyVersion",
            ],
            ["*"],
        )
        .deny(),
        Statement::on(
            "NotItself",
            ["iam:*"],
            [own_role, own_boundary, app_boundary],
        )
        .deny(),
        Statement::on(
            "NoIdentities",
            [
                "iam:AttachUserPolicy",
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:CreateUser",
                "iam:PutUserPolicy",
            ],
            [arn(p, "iam", "", account, "user/*")],
        )
        .deny(),
        Statement::on(
            "NothingElse",
            ["account:*", "organizations:*", "secretsmanager:*"],
            ["*"],
        )
        .deny(),
    ]
}
