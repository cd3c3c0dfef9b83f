//! `pipelines.tf`: one role per app and env for its state machine, with
//! exactly the calls that state machine makes.
//!
//! The actions come from the generated state machine itself (its Task
//! states, see `emit::stepfunctions::iam_actions`); this file gives each a
//! resource scope. A call paasc does not know how to scope is an internal
//! error, never a `*` grant by accident. Calls into the app's account go
//! through the provision role (`Credentials`), so this role may only assume
//! it; what those calls may do is the provision role's policy.

use super::super::hcl::policy::{policy_document, Statement};
use super::super::hcl::{at, block, ident_obj, quoted_obj, r, resource, s, TfFile};
use crate::model::names::{arn, partition, platform as names, service_domain};
use crate::model::platform::{PipelineApp, Platform};
use hcl::{Block, Body};

/// The key of an app and env in the module's maps: `<app>/<env>`.
pub(super) fn key(app: &str, env: &str) -> String {
    format!("{app}/{env}")
}

/// Terraform name of an app's policy document: `pipeline__<app>__<env>`.
fn document_name(app: &PipelineApp) -> String {
    format!(
        "pipeline__{}",
        super::keys::app_key_name(&app.name, &app.env)
    )
}

pub(super) fn emit(platform: &Platform) -> TfFile {
    let mut blocks = Vec::new();
    let Some(p) = &platform.pipeline else {
        return TfFile {
            name: "pipelines.tf",
            body: Body::builder().build(),
            skips: vec![],
        };
    };
    let domain = service_domain(partition(&platform.region));
    blocks.push(policy_document(
        "pipeline_assume",
        vec![
            Statement::new("StepFunctionsAssumeRole", ["sts:AssumeRole"], vec![])
                .principal("Service", vec![format!("states.{domain}")])
                .condition(
                    "StringEquals",
                    "aws:SourceAccount",
                    vec![platform.account.clone()],
                ),
        ],
    ));
    let roles = p
        .apps
        .iter()
        .map(|a| {
            (
                key(&a.name, &a.env),
                ident_obj(vec![
                    ("name", s(&a.role_name)),
                    (
                        "description",
                        s(format!("paasc: state machine {}", a.state_machine_name)),
                    ),
                ]),
            )
        })
        .collect::<Vec<_>>();
    blocks.push(
        block("locals")
            .add_attribute(("pipeline_roles", quoted_obj(roles)))
            .build(),
    );
    blocks.push(
        resource("aws_iam_role", "pipeline")
            .add_attribute(("for_each", r("local.pipeline_roles")))
            .add_attribute(("name", r("each.value.name")))
            .add_attribute(("description", r("each.value.description")))
            .add_attribute((
                "assume_role_policy",
                r("data.aws_iam_policy_document.pipeline_assume.json"),
            ))
            .build(),
    );
    for app in &p.apps {
        blocks.extend(app_policy(platform, app));
    }
    TfFile {
        name: "pipelines.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips: vec![],
    }
}

/// The statements for one state machine's own calls; the actions of every
/// statement together are exactly `app.actions` plus the implied KMS and
/// STS actions (see [`IMPLIED`]).
pub(crate) fn statements<'a>(platform: &Platform, app: &PipelineApp) -> Vec<Statement<'a>> {
    let (region, account) = (&platform.region, &platform.account);
    let p = partition(region);
    let mut out: Vec<Statement<'a>> = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    let table = |name: &str| arn(p, "dynamodb", region, account, &format!("table/{name}"));
    let mut dynamo: Vec<&str> = Vec::new();
    for action in &app.actions {
        match action.as_str() {
            "ssm:PutParameter" => out.push(Statement::on(
                "ExecutionParameter",
                ["ssm:PutParameter"],
                [arn(
                    p,
                    "ssm",
                    region,
                    account,
                    &format!("parameter{}*", app.parameter_path),
                )],
            )),
            "ssm:SendCommand" => {
                out.push(Statement::on(
                    "StageDocuments",
                    ["ssm:SendCommand"],
                    [arn(
                        p,
                        "ssm",
                        region,
                        account,
                        &format!("document/{}*", app.document_prefix),
                    )],
                ));
                out.push(
                    Statement::on(
                        "OnTheRunnerOnly",
                        ["ssm:SendCommand"],
                        [arn(p, "ec2", region, account, "instance/*")],
                    )
                    .condition(
                        "StringEquals",
                        format!("ssm:resourceTag/{}", names::RUNNER_TAG.0),
                        vec![names::RUNNER_TAG.1.to_string()],
                    ),
                );
            }
            // No resource-level permissions: the command ids are the scope.
            "ssm:GetCommandInvocation" | "ssm:CancelCommand" | "ssm:ListCommandInvocations" => {
                rest.push(action)
            }
            "dynamodb:PutItem"
            | "dynamodb:UpdateItem"
            | "dynamodb:GetItem"
            | "dynamodb:DeleteItem" => dynamo.push(action),
            // The release lock asks whether its holder, an execution of this
            // same state machine, still runs.
            "states:DescribeExecution" => out.push(Statement::on(
                "ReleaseLockHolder",
                ["states:DescribeExecution"],
                [arn(
                    p,
                    "states",
                    region,
                    account,
                    &format!("execution:{}:*", app.state_machine_name),
                )],
            )),
            "sns:Publish" => out.push(Statement::on(
                "Notify",
                ["sns:Publish"],
                [app.topic_arn.clone()],
            )),
            _ => out.push(Statement::on(
                format!("Unscoped{}", action.replace([':', '*'], "")),
                [action.as_str()],
                ["arn:unknown"],
            )),
        }
    }
    if !dynamo.is_empty() {
        out.push(
            Statement::on(
                "AuditAndRelease",
                dynamo,
                [table(names::AUDIT_TABLE), table(names::RELEASES_TABLE)],
            )
            .condition(
                "ForAllValues:StringEquals",
                "dynamodb:LeadingKeys",
                vec![format!("{}/{}", app.name, app.env)],
            ),
        );
    }
    if !rest.is_empty() {
        out.push(Statement::on("CommandStatus", rest, ["*"]));
    }
    out.push(Statement::new(
        "PlatformKey",
        ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
        vec![r("aws_kms_key.platform.arn")],
    ));
    out.push(Statement::on(
        "ActInTheAppAccount",
        ["sts:AssumeRole"],
        [app.provision_role_arn.clone()],
    ));
    out
}

/// Actions a state machine role holds beyond its Task states' own: the
/// platform key behind its SecureString parameter and encrypted topic, and
/// the provision role its cross-account tasks assume.
pub const IMPLIED: [&str; 4] = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "sts:AssumeRole",
];

/// Actions paasc knows how to scope (every other one is an internal error).
pub fn scoped(action: &str) -> bool {
    matches!(
        action,
        "ssm:PutParameter"
            | "ssm:SendCommand"
            | "ssm:GetCommandInvocation"
            | "ssm:CancelCommand"
            | "ssm:ListCommandInvocations"
            | "dynamodb:PutItem"
            | "dynamodb:UpdateItem"
            | "dynamodb:GetItem"
            | "dynamodb:DeleteItem"
            | "states:DescribeExecution"
            | "sns:Publish"
    )
}

fn app_policy(platform: &Platform, app: &PipelineApp) -> Vec<Block> {
    let name = document_name(app);
    vec![
        policy_document(&name, statements(platform, app)),
        resource("aws_iam_role_policy", &name)
            .add_attribute(("name", s("pipeline")))
            .add_attribute((
                "role",
                at("aws_iam_role.pipeline", &key(&app.name, &app.env), "id"),
            ))
            .add_attribute((
                "policy",
                r(&format!("data.aws_iam_policy_document.{name}.json")),
            ))
            .build(),
    ]
}
