//! `iam.tf`: the instance role and profile. AWS managed policies give the
//! SSM agent and the CloudWatch agent what they need; `access` becomes one
//! inline policy with exact ARNs (absent when `access` is empty). The
//! resources of `access` are in the app's account and region.

use super::kms::{key_arn, policy_document, service_domain, Statement};
use super::{fit_name, partition, r, resource, s, TfFile};
use crate::model::App;
use hcl::{Block, Body, Expression};

/// Name of the instance role and its instance profile.
pub fn instance_role_name(app: &App) -> String {
    fit_name(&format!("paas-{}-instance", app.prefix()), 64)
}

pub(crate) fn emit(app: &App) -> TfFile {
    let p = partition(app);
    let role_name = instance_role_name(app);
    let mut blocks: Vec<Block> = vec![
        policy_document(
            "instance_assume",
            vec![
                Statement::new("EC2AssumeRole", vec!["sts:AssumeRole"], vec![])
                    .principal("Service", vec![format!("ec2.{}", service_domain(app))]),
            ],
        ),
        resource("aws_iam_role", "instance")
            .add_attribute(("name", s(&role_name)))
            .add_attribute((
                "description",
                s(format!("paasc: instances of {} ({})", app.name, app.env)),
            ))
            .add_attribute((
                "assume_role_policy",
                r("data.aws_iam_policy_document.instance_assume.json"),
            ))
            // The provision role may create roles only under this boundary.
            .add_attribute(("permissions_boundary", s(app.boundary_policy_arn())))
            .build(),
        resource("aws_iam_instance_profile", "instance")
            .add_attribute(("name", s(&role_name)))
            .add_attribute(("role", r("aws_iam_role.instance.name")))
            .build(),
    ];
    for (name, policy) in [
        ("ssm_core", "AmazonSSMManagedInstanceCore"),
        ("cloudwatch_agent", "CloudWatchAgentServerPolicy"),
    ] {
        blocks.push(
            resource("aws_iam_role_policy_attachment", name)
                .add_attribute(("role", r("aws_iam_role.instance.name")))
                .add_attribute(("policy_arn", s(format!("arn:{p}:iam::aws:policy/{policy}"))))
                .build(),
        );
    }
    if let Some(statements) = access_statements(app) {
        blocks.push(policy_document("access", statements));
        blocks.push(
            resource("aws_iam_role_policy", "access")
                .add_attribute(("name", s("access")))
                .add_attribute(("role", r("aws_iam_role.instance.id")))
                .add_attribute(("policy", r("data.aws_iam_policy_document.access.json")))
                .build(),
        );
    }
    TfFile {
        name: "iam.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips: vec![],
    }
}

/// The least-privilege statements for `access`, or None when it is empty.
fn access_statements(app: &App) -> Option<Vec<Statement<'static>>> {
    let a = &app.access;
    if a.s3.is_empty() && a.dynamodb.is_empty() && a.sqs.is_empty() && a.secrets.is_empty() {
        return None;
    }
    let p = partition(app);
    let (region, account) = (&app.region, &app.account);
    let strings = |v: Vec<String>| v.into_iter().map(Expression::String).collect::<Vec<_>>();
    let mut out = Vec::new();
    let mut via: Vec<String> = Vec::new();
    if !a.s3.is_empty() {
        out.push(Statement::new(
            "S3Buckets",
            vec!["s3:ListBucket", "s3:GetBucketLocation"],
            strings(a.s3.iter().map(|b| format!("arn:{p}:s3:::{b}")).collect()),
        ));
        out.push(Statement::new(
            "S3Objects",
            vec!["s3:GetObject", "s3:PutObject"],
            strings(a.s3.iter().map(|b| format!("arn:{p}:s3:::{b}/*")).collect()),
        ));
        via.push(format!("s3.{region}.{}", service_domain(app)));
    }
    if !a.dynamodb.is_empty() {
        let mut arns = Vec::new();
        for t in &a.dynamodb {
            arns.push(format!("arn:{p}:dynamodb:{region}:{account}:table/{t}"));
            arns.push(format!(
                "arn:{p}:dynamodb:{region}:{account}:table/{t}/index/*"
            ));
        }
        out.push(Statement::new(
            "DynamoDBTables",
            vec![
                "dynamodb:BatchGetItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:DescribeTable",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
            ],
            strings(arns),
        ));
        via.push(format!("dynamodb.{region}.{}", service_domain(app)));
    }
    if !a.sqs.is_empty() {
        out.push(Statement::new(
            "SQSQueues",
            vec![
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
                "sqs:SendMessage",
            ],
            strings(
                a.sqs
                    .iter()
                    .map(|q| format!("arn:{p}:sqs:{region}:{account}:{q}"))
                    .collect(),
            ),
        ));
        via.push(format!("sqs.{region}.{}", service_domain(app)));
    }
    if !a.secrets.is_empty() {
        let mut arns = Vec::new();
        for path in &a.secrets {
            // A secret is a parameter name or a hierarchy: allow both the
            // exact parameter and what lies under it.
            let name = path.trim_end_matches('/');
            arns.push(format!("arn:{p}:ssm:{region}:{account}:parameter{name}"));
            arns.push(format!("arn:{p}:ssm:{region}:{account}:parameter{name}/*"));
        }
        out.push(Statement::new(
            "Parameters",
            vec![
                "ssm:GetParameter",
                "ssm:GetParameters",
                "ssm:GetParametersByPath",
            ],
            strings(arns),
        ));
        via.push(format!("ssm.{region}.{}", service_domain(app)));
    }
    // Decrypt with the app's key, only through the services listed above.
    out.push(
        Statement::new("DecryptWithAppKey", vec!["kms:Decrypt"], vec![key_arn()]).condition(
            "StringEquals",
            "kms:ViaService",
            via,
        ),
    );
    Some(out)
}
