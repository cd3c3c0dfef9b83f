//! A hardened S3 bucket: every bucket paasc creates (the app module's logs
//! buckets, the platform's artifact, state and access-log buckets) has the
//! same settings, so they are written once.
//!
//! Server-side encryption (SSE-KMS with a bucket key, or SSE-S3 where AWS
//! log delivery allows nothing else), versioning, a public access block,
//! owner-enforced objects, a lifecycle rule, EventBridge notifications, and
//! a bucket policy that refuses plain HTTP (`deny_insecure`).

use super::policy::{policy_document, Statement};
use super::{block, block1, interp, r, resource, s};
use hcl::{Block, Expression};

/// How one bucket differs from the others.
pub(crate) struct Bucket<'a> {
    /// The Terraform name (`aws_s3_bucket.<name>`).
    pub name: &'a str,
    /// The bucket's name in AWS.
    pub bucket: &'a str,
    /// SSE-KMS with this key; None: SSE-S3.
    pub kms_key: Option<Expression>,
    /// Current objects expire after this many days (a number or a
    /// variable); None: never.
    pub expire_days: Option<Expression>,
    /// Noncurrent versions expire after this many days.
    pub noncurrent_days: u32,
}

/// The bucket and the settings every bucket has (its policy aside).
pub(crate) fn blocks(b: &Bucket) -> Vec<Block> {
    let name = b.name;
    let id = r(&format!("aws_s3_bucket.{name}.id"));
    let by_default = match &b.kms_key {
        Some(key) => block("apply_server_side_encryption_by_default")
            .add_attribute(("sse_algorithm", s("aws:kms")))
            .add_attribute(("kms_master_key_id", key.clone()))
            .build(),
        None => block("apply_server_side_encryption_by_default")
            .add_attribute(("sse_algorithm", s("AES256")))
            .build(),
    };
    let mut rule = block("rule").add_block(by_default);
    if b.kms_key.is_some() {
        rule = rule.add_attribute(("bucket_key_enabled", true));
    }
    let with_id = |kind: &str| resource(kind, name).add_attribute(("bucket", id.clone()));
    let mut lifecycle = block("rule")
        .add_attribute(("id", s("retention")))
        .add_attribute(("status", s("Enabled")))
        .add_block(block("filter").build());
    if let Some(days) = &b.expire_days {
        lifecycle = lifecycle.add_block(block1("expiration", "days", days.clone()));
    }
    lifecycle = lifecycle
        .add_block(block1(
            "noncurrent_version_expiration",
            "noncurrent_days",
            Expression::from(b.noncurrent_days),
        ))
        .add_block(block1(
            "abort_incomplete_multipart_upload",
            "days_after_initiation",
            Expression::from(7),
        ));
    vec![
        resource("aws_s3_bucket", name)
            .add_attribute(("bucket", s(b.bucket)))
            .build(),
        with_id("aws_s3_bucket_server_side_encryption_configuration")
            .add_block(rule.build())
            .build(),
        with_id("aws_s3_bucket_versioning")
            .add_block(block1("versioning_configuration", "status", s("Enabled")))
            .build(),
        with_id("aws_s3_bucket_public_access_block")
            .add_attribute(("block_public_acls", true))
            .add_attribute(("block_public_policy", true))
            .add_attribute(("ignore_public_acls", true))
            .add_attribute(("restrict_public_buckets", true))
            .build(),
        with_id("aws_s3_bucket_ownership_controls")
            .add_block(block1("rule", "object_ownership", s("BucketOwnerEnforced")))
            .build(),
        with_id("aws_s3_bucket_lifecycle_configuration")
            .add_block(lifecycle.build())
            .build(),
        with_id("aws_s3_bucket_notification")
            .add_attribute(("eventbridge", true))
            .build(),
    ]
}

/// The statement every bucket policy holds: nothing over plain HTTP.
pub(crate) fn deny_insecure(name: &str) -> Statement<'static> {
    let arn = format!("aws_s3_bucket.{name}.arn");
    Statement::new(
        "DenyInsecureTransport",
        ["s3:*"],
        vec![r(&arn), interp(&arn, "/*")],
    )
    .deny()
    .principal("AWS", vec!["*".into()])
    .condition("Bool", "aws:SecureTransport", vec!["false".into()])
}

/// The bucket policy from `data.aws_iam_policy_document.<name>` and the
/// document itself.
pub(crate) fn policy(name: &str, statements: Vec<Statement<'_>>) -> Vec<Block> {
    vec![
        policy_document(name, statements),
        resource("aws_s3_bucket_policy", name)
            .add_attribute(("bucket", r(&format!("aws_s3_bucket.{name}.id"))))
            .add_attribute((
                "policy",
                r(&format!("data.aws_iam_policy_document.{name}.json")),
            ))
            .build(),
    ]
}

/// Server access logs of `name` into the bucket `target` (Terraform names).
/// S3 checks that the target's policy admits its log delivery when logging
/// is turned on, so the policy comes first.
pub(crate) fn logging(name: &str, target: &str, prefix: &str) -> Block {
    resource("aws_s3_bucket_logging", name)
        .add_attribute(("bucket", r(&format!("aws_s3_bucket.{name}.id"))))
        .add_attribute(("target_bucket", r(&format!("aws_s3_bucket.{target}.id"))))
        .add_attribute(("target_prefix", s(prefix)))
        .add_attribute((
            "depends_on",
            Expression::Array(vec![r(&format!("aws_s3_bucket_policy.{target}"))]),
        ))
        .build()
}
