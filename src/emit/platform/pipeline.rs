//! `pipeline.tf`: what every pipeline of the platform shares: the audit
//! and release tables, the notification topic, the builder's instance
//! profile, and the parameters under `/paas/platform/` that describe the
//! platform to `paasc deploy` (and to people).

use super::super::hcl::policy::{policy_document, Statement};
use super::super::hcl::{
    at_each, block, block1, call, ident_obj, quoted_obj, r, resource, s, TfFile,
};
use super::keys::keep;
use super::roles;
use crate::model::names::{partition, platform as names, service_domain};
use crate::model::platform::{PipelinePart, Platform};
use hcl::{Block, Body, Expression};

pub(super) fn emit(platform: &Platform) -> TfFile {
    let mut blocks = Vec::new();
    let Some(p) = &platform.pipeline else {
        return TfFile {
            name: "pipeline.tf",
            body: Body::builder().build(),
            skips: vec![],
        };
    };
    blocks.extend(tables());
    blocks.extend(topic(platform));
    blocks.extend(builder(platform));
    blocks.extend(parameters(platform, p));
    TfFile {
        name: "pipeline.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips: vec![],
    }
}

fn table(name: &str, table: &str, range: Option<&str>) -> Block {
    let attribute = |n: &str| {
        block("attribute")
            .add_attribute(("name", s(n)))
            .add_attribute(("type", s("S")))
            .build()
    };
    let mut b = resource("aws_dynamodb_table", name)
        .add_attribute(("name", s(table)))
        .add_attribute(("billing_mode", s("PAY_PER_REQUEST")))
        .add_attribute(("hash_key", s("release")));
    if let Some(range) = range {
        b = b.add_attribute(("range_key", s(range)));
    }
    b = b.add_attribute(("deletion_protection_enabled", true));
    b = b.add_block(attribute("release"));
    if let Some(range) = range {
        b = b.add_block(attribute(range));
    }
    b.add_block(
        block("server_side_encryption")
            .add_attribute(("enabled", true))
            .add_attribute(("kms_key_arn", r("aws_kms_key.platform.arn")))
            .build(),
    )
    .add_block(block1("point_in_time_recovery", "enabled", true.into()))
    .add_block(keep())
    .build()
}

/// The audit trail (one record per execution, never deleted by the
/// pipeline) and the release state (live colour, the release in progress).
fn tables() -> Vec<Block> {
    vec![
        table("audit", names::AUDIT_TABLE, Some("execution_id")),
        table("releases", names::RELEASES_TABLE, None),
    ]
}

fn topic(platform: &Platform) -> Vec<Block> {
    let account = &platform.account;
    vec![
        resource("aws_sns_topic", "notifications")
            .add_attribute(("name", s(names::TOPIC)))
            .add_attribute(("kms_master_key_id", r("aws_kms_key.platform.id")))
            .build(),
        policy_document(
            "notifications",
            vec![
                Statement::new(
                    "AccountPublishes",
                    ["sns:Publish"],
                    vec![r("aws_sns_topic.notifications.arn")],
                )
                .principal(
                    "AWS",
                    vec![format!(
                        "arn:{}:iam::{account}:root",
                        partition(&platform.region)
                    )],
                ),
                Statement::new(
                    "DenyInsecureTransport",
                    ["sns:Publish"],
                    vec![r("aws_sns_topic.notifications.arn")],
                )
                .deny()
                .principal("AWS", vec!["*".into()])
                .condition("Bool", "aws:SecureTransport", vec!["false".into()]),
            ],
        ),
        resource("aws_sns_topic_policy", "notifications")
            .add_attribute(("arn", r("aws_sns_topic.notifications.arn")))
            .add_attribute((
                "policy",
                r("data.aws_iam_policy_document.notifications.json"),
            ))
            .build(),
    ]
}

/// The temporary builder instance's role: Session Manager only (Packer
/// talks to it through SSM, no SSH ingress). Created here, so the runner
/// needs no IAM write permission, only `iam:PassRole` on this one role.
fn builder(platform: &Platform) -> Vec<Block> {
    let region = &platform.region;
    let name = names::builder_role(region);
    let p = partition(region);
    vec![
        policy_document(
            "builder_assume",
            vec![Statement::new("EC2AssumeRole", ["sts:AssumeRole"], vec![])
                .principal("Service", vec![format!("ec2.{}", service_domain(p))])],
        ),
        resource("aws_iam_role", "builder")
            .add_attribute(("name", s(&name)))
            .add_attribute((
                "description",
                s("paasc: the temporary instance Packer bakes on (Session Manager only)"),
            ))
            .add_attribute((
                "assume_role_policy",
                r("data.aws_iam_policy_document.builder_assume.json"),
            ))
            .build(),
        resource("aws_iam_role_policy_attachment", "builder_ssm")
            .add_attribute(("role", r("aws_iam_role.builder.name")))
            .add_attribute((
                "policy_arn",
                s(format!(
                    "arn:{p}:iam::aws:policy/AmazonSSMManagedInstanceCore"
                )),
            ))
            .build(),
        resource("aws_iam_instance_profile", "builder")
            .add_attribute(("name", s(&name)))
            .add_attribute(("role", r("aws_iam_role.builder.name")))
            .build(),
    ]
}

/// `/paas/platform/config` and one `/paas/platform/apps/<app>/<env>` per
/// pipeline: SecureString JSON with the platform key. The field names are
/// `model::platform::PlatformConfig`'s and `PlatformApp`'s (deploy reads
/// them into those types).
fn parameters(platform: &Platform, p: &PipelinePart) -> Vec<Block> {
    let config = ident_obj(vec![
        ("schema", Expression::from(1)),
        ("account", s(&platform.account)),
        ("region", s(&platform.region)),
        ("platform_key_arn", r("aws_kms_key.platform.arn")),
        ("artifact_bucket", r("aws_s3_bucket.artifacts.id")),
        ("state_bucket", r("aws_s3_bucket.state.id")),
        ("audit_table", r("aws_dynamodb_table.audit.name")),
        ("releases_table", r("aws_dynamodb_table.releases.name")),
        ("topic_arn", r("aws_sns_topic.notifications.arn")),
        ("runner_role_arn", r("aws_iam_role.runner.arn")),
        ("runner_asg", r("aws_autoscaling_group.runner.name")),
        (
            "runner_instance_parameter",
            s(names::RUNNER_INSTANCE_PARAMETER),
        ),
        (
            "builder_instance_profile",
            r("aws_iam_instance_profile.builder.name"),
        ),
    ]);
    let mut blocks = vec![secure_parameter(
        "config",
        s(names::CONFIG_PARAMETER),
        "paasc: this platform (read by paasc deploy)",
        call("jsonencode", vec![config]),
    )];
    let apps = p
        .apps
        .iter()
        .map(|a| {
            (
                roles::key(&a.name, &a.env),
                ident_obj(vec![
                    ("name", s(names::app_parameter(&a.name, &a.env))),
                    ("app_account", s(&a.account)),
                    ("state_machine", s(&a.state_machine_name)),
                    ("provision_role_arn", s(&a.provision_role_arn)),
                    ("app_key", s(&a.app_key)),
                    ("topic_arn", s(&a.topic_arn)),
                ]),
            )
        })
        .collect::<Vec<_>>();
    blocks.push(
        block("locals")
            .add_attribute(("pipelines", quoted_obj(apps)))
            .build(),
    );
    let value = ident_obj(vec![
        ("state_machine", r("each.value.state_machine")),
        (
            "state_machine_role_arn",
            at_each("aws_iam_role.pipeline", "arn"),
        ),
        ("app_account", r("each.value.app_account")),
        ("provision_role_arn", r("each.value.provision_role_arn")),
        ("app_key", r("each.value.app_key")),
        ("topic_arn", r("each.value.topic_arn")),
    ]);
    blocks.push(
        resource("aws_ssm_parameter", "pipeline")
            .add_attribute(("for_each", r("local.pipelines")))
            .add_attribute(("name", r("each.value.name")))
            .add_attribute((
                "description",
                s("paasc: one app and env of this platform (read by paasc deploy)"),
            ))
            .add_attribute(("type", s("SecureString")))
            .add_attribute(("key_id", r("aws_kms_key.platform.arn")))
            .add_attribute(("value", call("jsonencode", vec![value])))
            .build(),
    );
    blocks
}

fn secure_parameter(
    name: &str,
    parameter: Expression,
    description: &str,
    value: Expression,
) -> Block {
    resource("aws_ssm_parameter", name)
        .add_attribute(("name", parameter))
        .add_attribute(("description", s(description)))
        .add_attribute(("type", s("SecureString")))
        .add_attribute(("key_id", r("aws_kms_key.platform.arn")))
        .add_attribute(("value", value))
        .build()
}
