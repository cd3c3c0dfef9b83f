//! `storage.tf`: where logs, reports and the audit trail are kept.
//!
//! - `aws_s3_bucket.logs` (`logs.bucket`): SSE-KMS with the app key and a
//!   bucket key, versioning, public access block, owner-enforced objects,
//!   TLS-only policy, lifecycle from `logs.retain`, EventBridge
//!   notifications, server access logs to the ALB-log bucket.
//! - `aws_s3_bucket.alb_logs`: the ALB access-log target. ALB log delivery
//!   supports SSE-S3 only, so this one bucket is SSE-S3; its policy admits
//!   the regional ELB account (`aws_elb_service_account`), the ELB log
//!   delivery service and S3 server access logging, TLS only.
//! - the app's CloudWatch log group (KMS, retention).
//!
//! The DynamoDB audit table is not here: the state machine's PreProvision
//! opens the audit record before this module is ever applied, so the
//! pipeline creates the table itself (in the pipeline account, KMS CMK,
//! point-in-time recovery, deletion protection) and this module only
//! reports its name.

use super::kms::{key_arn, policy_document, service_domain, Statement};
use super::skips::{self, skip, Skip};
use super::{alb_logs_bucket, block, data, interp, partition, r, resource, s, TfFile};
use crate::model::App;
use hcl::{Block, Body, Expression};

pub(crate) fn emit(app: &App) -> TfFile {
    let mut blocks: Vec<Block> = Vec::new();
    let mut skips: Vec<Skip> = Vec::new();
    let p = partition(app);

    let legacy_elb = has_elb_account(&app.region);
    if legacy_elb {
        blocks.push(data("aws_elb_service_account", "this").build());
    }
    let alb_bucket = alb_logs_bucket(app);
    blocks.extend(bucket(app, "alb_logs", &alb_bucket, false));
    skips.push(skip(
        "aws_s3_bucket",
        "alb_logs",
        "CKV_AWS_145",
        skips::ALB_LOGS_SSE_S3,
    ));
    skips.push(skip(
        "aws_s3_bucket",
        "alb_logs",
        "CKV_AWS_144",
        skips::SINGLE_REGION,
    ));
    let alb_prefix = format!("/alb/AWSLogs/{}/*", app.account);
    let log_delivery = "s3:PutObject";
    let mut statements = Vec::new();
    if legacy_elb {
        statements.push(
            Statement::new(
                "ElbAccountLogDelivery",
                vec![log_delivery],
                vec![interp("aws_s3_bucket.alb_logs.arn", &alb_prefix)],
            )
            .principal_exprs("AWS", vec![r("data.aws_elb_service_account.this.arn")]),
        );
    }
    statements.extend([
        Statement::new(
            "ElbServiceLogDelivery",
            vec![log_delivery],
            vec![interp("aws_s3_bucket.alb_logs.arn", &alb_prefix)],
        )
        .principal(
            "Service",
            vec![format!(
                "logdelivery.elasticloadbalancing.{}",
                service_domain(app)
            )],
        ),
        Statement::new(
            "S3ServerAccessLogs",
            vec![log_delivery],
            vec![interp("aws_s3_bucket.alb_logs.arn", "/s3/*")],
        )
        .principal(
            "Service",
            vec![format!("logging.s3.{}", service_domain(app))],
        )
        .condition(
            "StringEquals",
            "aws:SourceAccount",
            vec![app.account.clone()],
        )
        .condition(
            "ArnLike",
            "aws:SourceArn",
            vec![format!("arn:{p}:s3:::{}", app.logs.bucket)],
        ),
        deny_insecure("alb_logs"),
    ]);
    blocks.push(policy_document("alb_logs", statements));
    blocks.push(bucket_policy("alb_logs"));

    blocks.extend(bucket(app, "logs", &app.logs.bucket, true));
    skips.push(skip(
        "aws_s3_bucket",
        "logs",
        "CKV_AWS_144",
        skips::SINGLE_REGION,
    ));
    blocks.push(policy_document("logs", vec![deny_insecure("logs")]));
    blocks.push(bucket_policy("logs"));
    blocks.push(
        resource("aws_s3_bucket_logging", "logs")
            .add_attribute(("bucket", r("aws_s3_bucket.logs.id")))
            .add_attribute(("target_bucket", r("aws_s3_bucket.alb_logs.id")))
            .add_attribute(("target_prefix", s(format!("s3/{}/", app.logs.bucket))))
            .build(),
    );

    blocks.push(log_group("app", &app.log_group(), app.logs.retain_days));
    if app.logs.retain_days < 365 {
        skips.push(skip(
            "aws_cloudwatch_log_group",
            "app",
            "CKV_AWS_338",
            skips::retention(app.logs.retain_days),
        ));
    }

    TfFile {
        name: "storage.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips,
    }
}

/// Regions with a legacy per-region ELB account, the ones
/// `data "aws_elb_service_account"` knows (it fails elsewhere). Regions
/// opened since August 2022 deliver ALB logs through the log-delivery
/// service principal only.
fn has_elb_account(region: &str) -> bool {
    const REGIONS: [&str; 26] = [
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ca-central-1",
        "cn-north-1",
        "cn-northwest-1",
        "eu-central-1",
        "eu-north-1",
        "eu-south-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "me-south-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-gov-east-1",
        "us-gov-west-1",
        "us-west-1",
        "us-west-2",
    ];
    REGIONS.contains(&region)
}

/// A KMS-encrypted CloudWatch log group (also used for the WAF logs).
pub(crate) fn log_group(name: &str, group: &str, retain_days: u32) -> Block {
    resource("aws_cloudwatch_log_group", name)
        .add_attribute(("name", s(group)))
        .add_attribute(("retention_in_days", retain_days))
        .add_attribute(("kms_key_id", key_arn()))
        .build()
}

fn deny_insecure(name: &str) -> Statement<'static> {
    let arn = format!("aws_s3_bucket.{name}.arn");
    Statement::new(
        "DenyInsecureTransport",
        vec!["s3:*"],
        vec![r(&arn), interp(&arn, "/*")],
    )
    .deny()
    .principal("AWS", vec!["*".into()])
    .condition("Bool", "aws:SecureTransport", vec!["false".into()])
}

fn bucket_policy(name: &str) -> Block {
    resource("aws_s3_bucket_policy", name)
        .add_attribute(("bucket", r(&format!("aws_s3_bucket.{name}.id"))))
        .add_attribute((
            "policy",
            r(&format!("data.aws_iam_policy_document.{name}.json")),
        ))
        .build()
}

/// The bucket and the settings every bucket of the module has.
fn bucket(app: &App, name: &str, bucket_name: &str, kms: bool) -> Vec<Block> {
    let id = r(&format!("aws_s3_bucket.{name}.id"));
    let by_default = if kms {
        block("apply_server_side_encryption_by_default")
            .add_attribute(("sse_algorithm", s("aws:kms")))
            .add_attribute(("kms_master_key_id", key_arn()))
            .build()
    } else {
        block("apply_server_side_encryption_by_default")
            .add_attribute(("sse_algorithm", s("AES256")))
            .build()
    };
    let mut rule = block("rule").add_block(by_default);
    if kms {
        rule = rule.add_attribute(("bucket_key_enabled", true));
    }
    let with_id = |kind: &str| resource(kind, name).add_attribute(("bucket", id.clone()));
    vec![
        resource("aws_s3_bucket", name)
            .add_attribute(("bucket", s(bucket_name)))
            .build(),
        with_id("aws_s3_bucket_server_side_encryption_configuration")
            .add_block(rule.build())
            .build(),
        with_id("aws_s3_bucket_versioning")
            .add_block(super::block1(
                "versioning_configuration",
                "status",
                s("Enabled"),
            ))
            .build(),
        with_id("aws_s3_bucket_public_access_block")
            .add_attribute(("block_public_acls", true))
            .add_attribute(("block_public_policy", true))
            .add_attribute(("ignore_public_acls", true))
            .add_attribute(("restrict_public_buckets", true))
            .build(),
        with_id("aws_s3_bucket_ownership_controls")
            .add_block(super::block1(
                "rule",
                "object_ownership",
                s("BucketOwnerEnforced"),
            ))
            .build(),
        with_id("aws_s3_bucket_lifecycle_configuration")
            .add_block(
                block("rule")
                    .add_attribute(("id", s("retention")))
                    .add_attribute(("status", s("Enabled")))
                    .add_block(block("filter").build())
                    .add_block(super::block1(
                        "expiration",
                        "days",
                        Expression::from(app.logs.retain_days),
                    ))
                    .add_block(super::block1(
                        "noncurrent_version_expiration",
                        "noncurrent_days",
                        Expression::from(30),
                    ))
                    .add_block(super::block1(
                        "abort_incomplete_multipart_upload",
                        "days_after_initiation",
                        Expression::from(7),
                    ))
                    .build(),
            )
            .build(),
        with_id("aws_s3_bucket_notification")
            .add_attribute(("eventbridge", true))
            .build(),
    ]
}
