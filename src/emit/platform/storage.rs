//! `storage.tf`: the artifact bucket (what deploy uploads, the runner's
//! tools), the Terraform state bucket (every app module's state, S3-native
//! locking) and the bucket both log their server access to.

use super::super::hcl::bucket::{self, deny_insecure, Bucket};
use super::super::hcl::policy::Statement;
use super::super::hcl::{r, skip, Skip, TfFile};
use super::skips;
use crate::model::names::{partition, platform as names, service_domain};
use crate::model::platform::Platform;
use hcl::Body;

pub(super) fn emit(platform: &Platform) -> TfFile {
    let (account, region) = (&platform.account, &platform.region);
    let mut blocks = Vec::new();
    let mut skips: Vec<Skip> = Vec::new();
    let key = || Some(r("aws_kms_key.platform.arn"));

    let access_logs = names::access_log_bucket(account, region);
    blocks.extend(bucket::blocks(&Bucket {
        name: "access_logs",
        bucket: &access_logs,
        kms_key: None,
        expire_days: Some(400.into()),
        noncurrent_days: 30,
    }));
    skips.push(skip(
        "aws_s3_bucket",
        "access_logs",
        "CKV_AWS_145",
        skips::ACCESS_LOGS_SSE_S3,
    ));
    skips.push(skip(
        "aws_s3_bucket",
        "access_logs",
        "CKV_AWS_18",
        skips::ACCESS_LOGS_SELF,
    ));

    let artifacts = names::artifact_bucket(account, region);
    let state = names::state_bucket(account, region);
    for (name, bucket_name, expire) in [
        (
            "artifacts",
            &artifacts,
            Some(r("var.artifact_retention_days")),
        ),
        ("state", &state, None),
    ] {
        blocks.extend(bucket::blocks(&Bucket {
            name,
            bucket: bucket_name,
            kms_key: key(),
            expire_days: expire,
            noncurrent_days: if name == "state" { 90 } else { 30 },
        }));
        blocks.push(bucket::logging(
            name,
            "access_logs",
            &format!("{bucket_name}/"),
        ));
        skips.push(skip(
            "aws_s3_bucket",
            name,
            "CKV_AWS_144",
            skips::SINGLE_REGION,
        ));
    }
    skips.push(skip(
        "aws_s3_bucket",
        "access_logs",
        "CKV_AWS_144",
        skips::SINGLE_REGION,
    ));

    let p = partition(region);
    let domain = service_domain(p);
    blocks.extend(bucket::policy(
        "access_logs",
        vec![
            Statement::new(
                "S3ServerAccessLogs",
                ["s3:PutObject"],
                vec![super::super::hcl::interp(
                    "aws_s3_bucket.access_logs.arn",
                    "/*",
                )],
            )
            .principal("Service", vec![format!("logging.s3.{domain}")])
            .condition("StringEquals", "aws:SourceAccount", vec![account.clone()])
            .condition(
                "ArnLike",
                "aws:SourceArn",
                vec![
                    format!("arn:{p}:s3:::{artifacts}"),
                    format!("arn:{p}:s3:::{state}"),
                ],
            ),
            deny_insecure("access_logs"),
        ],
    ));
    blocks.extend(bucket::policy(
        "artifacts",
        vec![deny_insecure("artifacts")],
    ));
    blocks.extend(bucket::policy("state", vec![deny_insecure("state")]));
    TfFile {
        name: "storage.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips,
    }
}
