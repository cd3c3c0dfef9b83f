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

use super::super::hcl::bucket::{self, deny_insecure, Bucket};
use super::kms::{key_arn, service_domain, Statement};
use super::skips::{self, skip, Skip};
use super::{data, interp, partition, r, resource, s, TfFile};
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
    let alb_bucket = app.alb_logs_bucket();
    blocks.extend(bucket::blocks(&Bucket {
        name: "alb_logs",
        bucket: &alb_bucket,
        kms_key: None,
        expire_days: Some(app.logs.retain_days.into()),
        noncurrent_days: 30,
    }));
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
            // Exactly the prefix the logs bucket logs to.
            vec![interp(
                "aws_s3_bucket.alb_logs.arn",
                &format!("/s3/{}/*", app.logs.bucket),
            )],
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
    blocks.extend(bucket::policy("alb_logs", statements));

    blocks.extend(bucket::blocks(&Bucket {
        name: "logs",
        bucket: &app.logs.bucket,
        kms_key: Some(key_arn()),
        expire_days: Some(app.logs.retain_days.into()),
        noncurrent_days: 30,
    }));
    skips.push(skip(
        "aws_s3_bucket",
        "logs",
        "CKV_AWS_144",
        skips::SINGLE_REGION,
    ));
    // PostProvision exports the app's log group here: CloudWatch Logs
    // checks the bucket's ACL and writes the objects, for this account's
    // group only.
    let logs_service = format!("logs.{}.{}", app.region, service_domain(app));
    let group_arn = format!(
        "arn:{p}:logs:{}:{}:log-group:{}*",
        app.region,
        app.account,
        app.log_group()
    );
    let export = |sid: &str, action: &'static str, resource: Expression| {
        Statement::new(sid, vec![action], vec![resource])
            .principal("Service", vec![logs_service.clone()])
            .condition(
                "StringEquals",
                "aws:SourceAccount",
                vec![app.account.clone()],
            )
            .condition("ArnLike", "aws:SourceArn", vec![group_arn.clone()])
    };
    blocks.extend(bucket::policy(
        "logs",
        vec![
            export(
                "LogsExportAcl",
                "s3:GetBucketAcl",
                r("aws_s3_bucket.logs.arn"),
            ),
            export(
                "LogsExportWrite",
                "s3:PutObject",
                interp("aws_s3_bucket.logs.arn", "/cloudwatch/*"),
            )
            .condition(
                "StringEquals",
                "s3:x-amz-acl",
                vec!["bucket-owner-full-control".into()],
            ),
            deny_insecure("logs"),
        ],
    ));
    blocks.push(bucket::logging(
        "logs",
        "alb_logs",
        &format!("s3/{}/", app.logs.bucket),
    ));

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
