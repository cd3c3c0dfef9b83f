//! `runner.tf` and `runner/boot.sh`: the machine the pipeline's stages run
//! on, and its tools.
//!
//! The runner is an auto scaling group of one (a dead runner is replaced),
//! managed by SSM, with no SSH, IMDSv2 required, no public IP, an encrypted
//! root volume and a security group that only lets it reach AWS APIs over
//! HTTPS. Its tools (the files of `tools.json`) are uploaded to the artifact
//! bucket by this module and installed at boot from there, each checked
//! against the sha256 pinned when `paasc bootstrap` read it: a file that
//! does not match stops the boot (and the apply that would upload it). At
//! boot the runner writes its instance id to
//! `/paas/platform/runner/instance-id`, where `paasc deploy` finds it.

use super::super::hcl::policy::{policy_document, Statement};
use super::super::hcl::{block, block1, call, quoted_obj, r, resource, s, strs, TfFile};
use crate::emit::hcl::binop;
use crate::model::names::{arn, partition, platform as names, service_domain};
use crate::model::platform::{PipelinePart, Platform, Tool, ToolTarget};
use hcl::expr::{BinaryOperator, Conditional};
use hcl::{Block, Body, Expression};

/// Path of the boot script inside the platform module.
pub const BOOT_SCRIPT: &str = "runner/boot.sh";

/// Where the runner keeps its tools and their configuration.
const TOOLS_DIR: &str = "/opt/paasc/tools";
const PROVIDER_MIRROR: &str = "/opt/paasc/terraform-providers";
const PACKER_PLUGINS: &str = "/opt/paasc/packer-plugins";
const TERRAFORM_RC: &str = "/etc/paasc/terraform.rc";
const WORKER_UNIT: &str = "/etc/systemd/system/paasc-worker.service";
const WORKER_LOG_DIR: &str = "/var/log/paasc/worker";

pub(super) fn emit(platform: &Platform) -> TfFile {
    let mut blocks = Vec::new();
    let Some(p) = &platform.pipeline else {
        return TfFile {
            name: "runner.tf",
            body: Body::builder().build(),
            skips: vec![],
        };
    };
    blocks.extend(network());
    blocks.extend(role(platform, p));
    blocks.extend(fleet(platform));
    blocks.extend(tools(p));
    TfFile {
        name: "runner.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips: vec![],
    }
}

fn when_no_subnets() -> Expression {
    binop(
        call("length", vec![r("var.runner_subnet_ids")]),
        BinaryOperator::Eq,
        Expression::from(0),
    )
}

/// Where the runner lives: the subnets given (private, with a route to the
/// AWS APIs: the platform team's network), or else a private subnet of its
/// own in the default VPC, behind a NAT gateway in a default subnet. The
/// runner never has a public address; the default subnets are public, so
/// without a subnet of its own it could not reach S3, SSM or STS at all.
fn network() -> Vec<Block> {
    let counted = |when_none: i64| {
        Expression::from(Conditional::new(
            when_no_subnets(),
            Expression::from(when_none),
            Expression::from(1 - when_none),
        ))
    };
    let first = |e: &str| call("one", vec![r(e)]);
    vec![
        resource_data("aws_vpc", "default")
            .add_attribute(("count", counted(1)))
            .add_attribute(("default", true))
            .build(),
        resource_data("aws_subnets", "default")
            .add_attribute(("count", counted(1)))
            .add_block(
                block("filter")
                    .add_attribute(("name", s("vpc-id")))
                    .add_attribute((
                        "values",
                        Expression::Array(vec![first("data.aws_vpc.default[*].id")]),
                    ))
                    .build(),
            )
            .add_block(
                block("filter")
                    .add_attribute(("name", s("default-for-az")))
                    .add_attribute(("values", strs(["true"])))
                    .build(),
            )
            .build(),
        // The NAT gateway's home: the first default subnet (sorted, so the
        // choice does not move between plans).
        resource_data("aws_subnet", "nat")
            .add_attribute(("count", counted(1)))
            .add_attribute((
                "id",
                Expression::from(
                    hcl::expr::Traversal::builder(call(
                        "sort",
                        vec![first("data.aws_subnets.default[*].ids")],
                    ))
                    .index(0u64)
                    .build(),
                ),
            ))
            .build(),
        resource("aws_subnet", "runner_own")
            .add_attribute(("count", counted(1)))
            .add_attribute(("vpc_id", first("data.aws_vpc.default[*].id")))
            .add_attribute(("cidr_block", r("var.runner_subnet_cidr")))
            .add_attribute((
                "availability_zone",
                first("data.aws_subnet.nat[*].availability_zone"),
            ))
            .add_attribute(("map_public_ip_on_launch", false))
            .add_attribute(("tags", quoted_obj([("Name", s("paas-runner (private)"))])))
            .build(),
        resource("aws_eip", "runner_nat")
            .add_attribute(("count", counted(1)))
            .add_attribute(("domain", s("vpc")))
            .add_attribute(("tags", quoted_obj([("Name", s("paas-runner-nat"))])))
            .build(),
        resource("aws_nat_gateway", "runner")
            .add_attribute(("count", counted(1)))
            .add_attribute(("allocation_id", first("aws_eip.runner_nat[*].id")))
            .add_attribute(("subnet_id", first("data.aws_subnet.nat[*].id")))
            .add_attribute(("tags", quoted_obj([("Name", s("paas-runner"))])))
            .build(),
        resource("aws_route_table", "runner_own")
            .add_attribute(("count", counted(1)))
            .add_attribute(("vpc_id", first("data.aws_vpc.default[*].id")))
            .add_attribute(("tags", quoted_obj([("Name", s("paas-runner (private)"))])))
            .build(),
        resource("aws_route", "runner_own_default")
            .add_attribute(("count", counted(1)))
            .add_attribute(("route_table_id", first("aws_route_table.runner_own[*].id")))
            .add_attribute(("destination_cidr_block", s("0.0.0.0/0")))
            .add_attribute(("nat_gateway_id", first("aws_nat_gateway.runner[*].id")))
            .build(),
        resource("aws_route_table_association", "runner_own")
            .add_attribute(("count", counted(1)))
            .add_attribute(("subnet_id", first("aws_subnet.runner_own[*].id")))
            .add_attribute(("route_table_id", first("aws_route_table.runner_own[*].id")))
            .build(),
        resource_data("aws_subnet", "runner")
            .add_attribute(("count", counted(0)))
            .add_attribute(("id", index0("var.runner_subnet_ids")))
            .build(),
        block("locals")
            .add_attribute((
                "runner_subnet_ids",
                Expression::from(Conditional::new(
                    when_no_subnets(),
                    r("aws_subnet.runner_own[*].id"),
                    r("var.runner_subnet_ids"),
                )),
            ))
            .add_attribute((
                "runner_vpc_id",
                Expression::from(Conditional::new(
                    when_no_subnets(),
                    first("data.aws_vpc.default[*].id"),
                    first("data.aws_subnet.runner[*].vpc_id"),
                )),
            ))
            .build(),
        resource("aws_security_group", "runner")
            .add_attribute(("name", s("paas-runner")))
            .add_attribute((
                "description",
                s("paasc runner: no ingress; HTTPS to the AWS APIs only"),
            ))
            .add_attribute(("vpc_id", r("local.runner_vpc_id")))
            .add_attribute(("tags", quoted_obj([("Name", s("paas-runner"))])))
            .build(),
        resource("aws_vpc_security_group_egress_rule", "runner_https")
            .add_attribute(("security_group_id", r("aws_security_group.runner.id")))
            .add_attribute((
                "description",
                s("HTTPS to the AWS APIs (SSM, S3, KMS, EC2, STS)"),
            ))
            .add_attribute(("cidr_ipv4", s("0.0.0.0/0")))
            .add_attribute(("ip_protocol", s("tcp")))
            .add_attribute(("from_port", 443))
            .add_attribute(("to_port", 443))
            .build(),
    ]
}

fn resource_data(kind: &str, name: &str) -> hcl::BlockBuilder {
    super::super::hcl::data(kind, name)
}

/// `var.x[0]` as an index expression.
fn index0(var: &str) -> Expression {
    let mut parts = var.split('.');
    let root = hcl::expr::Variable::unchecked(parts.next().unwrap_or("var"));
    let mut b = hcl::expr::Traversal::builder(root);
    for part in parts {
        b = b.attr(hcl::Identifier::unchecked(part));
    }
    b.index(0u64).build().into()
}

/// The runner's role: run the stages' tools, and nothing else. The stage
/// commands act in app accounts only through their provision roles.
fn role(platform: &Platform, p: &PipelinePart) -> Vec<Block> {
    let (region, account) = (&platform.region, &platform.account);
    let part = partition(region);
    let domain = service_domain(part);
    let role_name = names::runner_role(region);
    let artifacts = names::artifact_bucket(account, region);
    let state = names::state_bucket(account, region);
    let s3 = |bucket: &str, key: &str| format!("arn:{part}:s3:::{bucket}{key}");
    let ec2 = |resource: &str| arn(part, "ec2", region, account, resource);
    let builder = names::role_arn(region, account, &names::builder_role(region));
    let app_accounts: Vec<String> = {
        let mut a: Vec<String> = p.apps.iter().map(|a| a.account.clone()).collect();
        a.sort();
        a.dedup();
        a
    };
    let provision_roles: Vec<String> = {
        let mut roles: Vec<String> = p
            .apps
            .iter()
            .map(|a| a.provision_role_arn.clone())
            .collect();
        roles.sort();
        roles.dedup();
        roles
    };
    let app_keys: Vec<String> = app_accounts
        .iter()
        .map(|a| arn(part, "kms", region, a, "key/*"))
        .collect();
    let mut statements = vec![
        Statement::on(
            "ReadArtifactsAndTools",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [s3(&artifacts, "/*")],
        ),
        Statement::on("ListArtifacts", ["s3:ListBucket"], [s3(&artifacts, "")]),
        // The app modules' states only (`<app>/<env>/terraform.tfstate` and
        // its lock file), not the platform's own or anything else kept there.
        Statement::on(
            "TerraformState",
            ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            p.apps
                .iter()
                .map(|a| s3(&state, &format!("/{}/{}/*", a.name, a.env)))
                .collect::<Vec<_>>(),
        ),
        Statement::on("ListState", ["s3:ListBucket"], [s3(&state, "")]),
        Statement::new(
            "PlatformKey",
            [
                "kms:Decrypt",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:DescribeKey",
            ],
            vec![r("aws_kms_key.platform.arn")],
        ),
        // The bake encrypts the image with the app's key (its key policy
        // names this role too); only keys under the paasc aliases.
        Statement::on(
            "AppKeysForTheImage",
            [
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
            ],
            app_keys,
        )
        .condition(
            "ForAnyValue:StringLike",
            "kms:ResourceAliases",
            vec!["alias/paas-*".into()],
        ),
        // Packer: the temporary builder instance, its image and snapshots.
        // EC2 has no resource-level scope for most of these calls.
        Statement::on(
            "Bakery",
            [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:CopyImage",
                "ec2:CreateImage",
                "ec2:CreateKeyPair",
                "ec2:CreateSecurityGroup",
                "ec2:CreateSnapshot",
                "ec2:CreateTags",
                "ec2:DeleteKeyPair",
                "ec2:DeleteSecurityGroup",
                "ec2:DeleteSnapshot",
                "ec2:DeregisterImage",
                "ec2:DescribeImageAttribute",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstances",
                "ec2:DescribeKeyPairs",
                "ec2:DescribeRegions",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSnapshots",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
                "ec2:DescribeVolumes",
                "ec2:DescribeVpcs",
                "ec2:ModifyImageAttribute",
                "ec2:ModifyInstanceAttribute",
                "ec2:ModifySnapshotAttribute",
                "ec2:RegisterImage",
                "ec2:RunInstances",
                "ec2:StopInstances",
                "ec2:TerminateInstances",
            ],
            ["*"],
        )
        .condition("StringEquals", "aws:RequestedRegion", vec![region.clone()]),
        Statement::on("PassTheBuilderRole", ["iam:PassRole"], [builder]).condition(
            "StringEquals",
            "iam:PassedToService",
            vec![format!("ec2.{domain}")],
        ),
        // Session Manager to the builder (Packer's communicator).
        Statement::on(
            "SessionToTheBuilder",
            ["ssm:StartSession"],
            [
                ec2("instance/*"),
                arn(
                    part,
                    "ssm",
                    region,
                    "",
                    "document/AWS-StartPortForwardingSession",
                ),
                arn(part, "ssm", region, "", "document/AWS-StartSSHSession"),
            ],
        ),
        Statement::on(
            "EndOwnSessions",
            ["ssm:TerminateSession", "ssm:ResumeSession"],
            [arn(part, "ssm", region, account, "session/${aws:userid}-*")],
        ),
        Statement::on(
            "RegisterAtBoot",
            ["ssm:PutParameter", "ssm:GetParameter"],
            [arn(
                part,
                "ssm",
                region,
                account,
                &format!("parameter{}", names::RUNNER_INSTANCE_PARAMETER),
            )],
        ),
        Statement::on(
            "CommandOutput",
            [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            [arn(
                part,
                "logs",
                region,
                account,
                &format!("log-group:{}:*", names::COMMAND_LOG_GROUP),
            )],
        ),
        Statement::on("ActInTheAppAccounts", ["sts:AssumeRole"], provision_roles),
    ];
    let activities: Vec<String> = p.apps.iter().flat_map(|a| a.activities.clone()).collect();
    if !activities.is_empty() {
        statements.push(Statement::on(
            "ServeActivities",
            ["states:GetActivityTask"],
            activities,
        ));
        // Task tokens carry the scope: no resource-level permissions.
        statements.push(Statement::on(
            "AnswerTasks",
            [
                "states:SendTaskSuccess",
                "states:SendTaskFailure",
                "states:SendTaskHeartbeat",
            ],
            ["*"],
        ));
    }
    vec![
        policy_document(
            "runner_assume",
            vec![Statement::new("EC2AssumeRole", ["sts:AssumeRole"], vec![])
                .principal("Service", vec![format!("ec2.{domain}")])],
        ),
        resource("aws_iam_role", "runner")
            .add_attribute(("name", s(&role_name)))
            .add_attribute((
                "description",
                s("paasc: the runner that runs the pipeline's stages"),
            ))
            .add_attribute((
                "assume_role_policy",
                r("data.aws_iam_policy_document.runner_assume.json"),
            ))
            .build(),
        resource("aws_iam_role_policy_attachment", "runner_ssm")
            .add_attribute(("role", r("aws_iam_role.runner.name")))
            .add_attribute((
                "policy_arn",
                s(format!(
                    "arn:{part}:iam::aws:policy/AmazonSSMManagedInstanceCore"
                )),
            ))
            .build(),
        policy_document("runner", statements),
        resource("aws_iam_role_policy", "runner")
            .add_attribute(("name", s("stages")))
            .add_attribute(("role", r("aws_iam_role.runner.id")))
            .add_attribute(("policy", r("data.aws_iam_policy_document.runner.json")))
            .build(),
        resource("aws_iam_instance_profile", "runner")
            .add_attribute(("name", s(&role_name)))
            .add_attribute(("role", r("aws_iam_role.runner.name")))
            .build(),
        resource("aws_cloudwatch_log_group", "commands")
            .add_attribute(("name", s(names::COMMAND_LOG_GROUP)))
            .add_attribute(("retention_in_days", 365))
            .add_attribute(("kms_key_id", r("aws_kms_key.platform.arn")))
            .build(),
    ]
}

/// The launch template and the auto scaling group of one.
fn fleet(platform: &Platform) -> Vec<Block> {
    let ami = Expression::from(Conditional::new(
        binop(r("var.runner_ami_id"), BinaryOperator::NotEq, s("")),
        r("var.runner_ami_id"),
        r("data.aws_ssm_parameter.al2023.insecure_value"),
    ));
    let tag = |kind: &str| {
        block("tag_specifications")
            .add_attribute(("resource_type", s(kind)))
            .add_attribute((
                "tags",
                quoted_obj([
                    ("Name", s("paas-runner")),
                    (names::RUNNER_TAG.0, s(names::RUNNER_TAG.1)),
                ]),
            ))
            .build()
    };
    vec![
        resource_data("aws_ssm_parameter", "al2023")
            .add_attribute((
                "name",
                s("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
            ))
            .build(),
        resource("aws_launch_template", "runner")
            .add_attribute(("name", s("paas-runner")))
            .add_attribute((
                "description",
                s(format!("paasc runner of {}", platform.region)),
            ))
            .add_attribute(("image_id", ami))
            .add_attribute(("instance_type", r("var.runner_instance_type")))
            .add_attribute(("update_default_version", true))
            .add_attribute((
                "user_data",
                call("filebase64", vec![r("local.runner_boot_script")]),
            ))
            .add_block(
                block("iam_instance_profile")
                    .add_attribute(("arn", r("aws_iam_instance_profile.runner.arn")))
                    .build(),
            )
            .add_block(
                block("metadata_options")
                    .add_attribute(("http_endpoint", s("enabled")))
                    .add_attribute(("http_tokens", s("required")))
                    .add_attribute(("http_put_response_hop_limit", 1))
                    .build(),
            )
            .add_block(block1("monitoring", "enabled", true.into()))
            .add_block(
                block("network_interfaces")
                    .add_attribute(("associate_public_ip_address", false))
                    .add_attribute((
                        "security_groups",
                        Expression::Array(vec![r("aws_security_group.runner.id")]),
                    ))
                    .build(),
            )
            .add_block(
                block("block_device_mappings")
                    .add_attribute(("device_name", s("/dev/xvda")))
                    .add_block(
                        block("ebs")
                            .add_attribute(("volume_size", 40))
                            .add_attribute(("volume_type", s("gp3")))
                            .add_attribute(("encrypted", s("true")))
                            .add_attribute(("kms_key_id", r("aws_kms_key.platform.arn")))
                            .add_attribute(("delete_on_termination", s("true")))
                            .build(),
                    )
                    .build(),
            )
            .add_block(tag("instance"))
            .add_block(tag("volume"))
            .add_attribute((
                "depends_on",
                Expression::Array(vec![
                    r("aws_s3_object.tools"),
                    r("aws_iam_role_policy.runner"),
                ]),
            ))
            .build(),
        block("locals")
            .add_attribute((
                "runner_boot_script",
                Expression::from(hcl::TemplateExpr::QuotedString(format!(
                    "${{path.module}}/{BOOT_SCRIPT}"
                ))),
            ))
            .build(),
        resource("aws_autoscaling_group", "runner")
            .add_attribute(("name", s(names::RUNNER_ASG)))
            .add_attribute(("min_size", 1))
            .add_attribute(("max_size", 1))
            .add_attribute(("desired_capacity", 1))
            .add_attribute(("vpc_zone_identifier", r("local.runner_subnet_ids")))
            .add_attribute(("health_check_type", s("EC2")))
            .add_block(
                block("launch_template")
                    .add_attribute(("id", r("aws_launch_template.runner.id")))
                    .add_attribute(("version", r("aws_launch_template.runner.latest_version")))
                    .build(),
            )
            // New tools or a new image replace the runner.
            .add_block(
                block("instance_refresh")
                    .add_attribute(("strategy", s("Rolling")))
                    .add_block(
                        block("preferences")
                            .add_attribute(("min_healthy_percentage", 0))
                            .build(),
                    )
                    .build(),
            )
            .add_block(
                block("tag")
                    .add_attribute(("key", s(names::RUNNER_TAG.0)))
                    .add_attribute(("value", s(names::RUNNER_TAG.1)))
                    .add_attribute(("propagate_at_launch", true))
                    .build(),
            )
            .build(),
    ]
}

/// Uploads every pinned tool from `var.tools_dir` to `tools/<file>` in the
/// artifact bucket, refusing a file whose sha256 is not the pinned one.
fn tools(p: &PipelinePart) -> Vec<Block> {
    let pins = p
        .tools
        .iter()
        .map(|t| (t.file.clone(), s(&t.sha256)))
        .collect::<Vec<_>>();
    let path = Expression::from(hcl::TemplateExpr::QuotedString(
        "${var.tools_dir}/${each.key}".to_string(),
    ));
    vec![
        block("locals").add_attribute(("tools", quoted_obj(pins))).build(),
        resource("aws_s3_object", "tools")
            .add_attribute(("for_each", r("local.tools")))
            .add_attribute(("bucket", r("aws_s3_bucket.artifacts.id")))
            .add_attribute((
                "key",
                Expression::from(hcl::TemplateExpr::QuotedString(format!(
                    "{}${{each.key}}",
                    names::TOOLS_PREFIX
                ))),
            ))
            .add_attribute(("source", path.clone()))
            .add_attribute(("source_hash", call("filesha256", vec![path.clone()])))
            .add_attribute(("server_side_encryption", s("aws:kms")))
            .add_attribute(("kms_key_id", r("aws_kms_key.platform.arn")))
            .add_block(
                block("lifecycle")
                    .add_block(
                        block("precondition")
                            .add_attribute((
                                "condition",
                                binop(call("filesha256", vec![path]), BinaryOperator::Eq, r("each.value")),
                            ))
                            .add_attribute((
                                "error_message",
                                s("a tool's sha256 is not the one paasc bootstrap pinned (tools.json): re-run paasc bootstrap with the files you verified"),
                            ))
                            .build(),
                    )
                    .build(),
            )
            .build(),
    ]
}

/// The order the runner installs its tools in: each after what it needs.
const INSTALL_ORDER: [&str; 8] = [
    "terraform",
    "terraform-provider-aws",
    "packer",
    "packer-plugin-amazon",
    "session-manager-plugin",
    "cinc-auditor",
    "train-awsssm",
    "paasc",
];

/// How the runner installs one tool (`$f` is the verified file).
fn install(tool: &Tool) -> Vec<String> {
    let t = TOOLS_DIR;
    match tool.name.as_str() {
        "terraform" | "packer" => vec![format!(
            "unzip -o -q \"{t}/{}\" -d /usr/local/bin {}",
            tool.file, tool.name
        )],
        "terraform-provider-aws" => vec![
            format!("mkdir -p {PROVIDER_MIRROR}/registry.terraform.io/hashicorp/aws"),
            format!(
                "cp \"{t}/{}\" {PROVIDER_MIRROR}/registry.terraform.io/hashicorp/aws/",
                tool.file
            ),
        ],
        "packer-plugin-amazon" => vec![
            format!("rm -rf {t}/plugin && mkdir -p {t}/plugin"),
            format!("unzip -o -q \"{t}/{}\" -d {t}/plugin", tool.file),
            format!(
                "PACKER_PLUGIN_PATH={PACKER_PLUGINS} packer plugins install --path \"$(ls {t}/plugin/packer-plugin-amazon_*)\" github.com/hashicorp/amazon"
            ),
        ],
        "session-manager-plugin" | "cinc-auditor" => {
            vec![format!("rpm -U --replacepkgs \"{t}/{}\"", tool.file)]
        }
        "train-awsssm" => vec![format!("cinc-auditor plugin install \"{t}/{}\"", tool.file)],
        "paasc" => vec![format!("install -m 0755 \"{t}/{}\" /usr/local/bin/paasc", tool.file)],
        // Builder tools stay in the tools directory: the bake copies them
        // into the builder's payload.
        _ => vec![],
    }
}

/// The runner's user data: fetch, verify, install, configure, register.
pub(super) fn boot_script(platform: &Platform, p: &PipelinePart, header: &str) -> String {
    let bucket = names::artifact_bucket(&platform.account, &platform.region);
    let mut lines: Vec<String> = vec![
        "#!/bin/bash".into(),
        header.trim_end().into(),
        "# The runner's boot: fetch its tools from the artifact bucket, check each".into(),
        "# against the sha256 pinned by paasc bootstrap (a mismatch stops the boot),".into(),
        "# install them, write the stages' environment, and register.".into(),
        "set -euo pipefail".into(),
        format!(
            "export AWS_REGION='{}' AWS_DEFAULT_REGION='{}'",
            platform.region, platform.region
        ),
        format!("BUCKET='{bucket}'"),
        format!("TOOLS='{TOOLS_DIR}'"),
        "mkdir -p \"$TOOLS\" /etc/paasc".into(),
        "cat > \"$TOOLS/SHA256SUMS\" <<'PAASC_SUMS'".into(),
    ];
    for t in &p.tools {
        lines.push(format!("{}  {}", t.sha256, t.file));
    }
    lines.push("PAASC_SUMS".into());
    for t in &p.tools {
        lines.push(format!(
            "aws s3 cp --only-show-errors \"s3://$BUCKET/{}{}\" \"$TOOLS/{}\"",
            names::TOOLS_PREFIX,
            t.file,
            t.file
        ));
    }
    lines.push("(cd \"$TOOLS\" && sha256sum --check --strict --quiet SHA256SUMS)".into());
    lines.push(format!("mkdir -p {PACKER_PLUGINS}"));
    // Dependencies first: packer installs its plugin, cinc-auditor its train.
    let mut runner_tools: Vec<&Tool> = p
        .tools
        .iter()
        .filter(|t| t.target == ToolTarget::Runner)
        .collect();
    runner_tools.sort_by_key(|t| {
        INSTALL_ORDER
            .iter()
            .position(|n| *n == t.name)
            .unwrap_or(INSTALL_ORDER.len())
    });
    for t in runner_tools {
        lines.extend(install(t));
    }
    lines.push(format!("cat > {TERRAFORM_RC} <<'PAASC_TFRC'"));
    lines.extend([
        "provider_installation {".to_string(),
        "  filesystem_mirror {".to_string(),
        format!("    path    = \"{PROVIDER_MIRROR}\""),
        "    include = [\"registry.terraform.io/hashicorp/*\"]".to_string(),
        "  }".to_string(),
        "  direct {".to_string(),
        "    exclude = [\"*/*\"]".to_string(),
        "  }".to_string(),
        "}".to_string(),
        "PAASC_TFRC".to_string(),
    ]);
    lines.extend([
        "# Who and where this instance is (IMDSv2): its id registers it, its".to_string(),
        "# subnet is the builder's when a spec names none.".to_string(),
        "IMDS_TOKEN=\"$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')\"".to_string(),
        "imds() { curl -fsS -H \"X-aws-ec2-metadata-token: $IMDS_TOKEN\" \"http://169.254.169.254/latest/meta-data/$1\"; }".to_string(),
        "INSTANCE_ID=\"$(imds instance-id)\"".to_string(),
        "SUBNET_ID=\"$(imds \"network/interfaces/macs/$(imds mac)/subnet-id\")\"".to_string(),
    ]);
    lines.push(format!("cat > {} <<'PAASC_ENV'", names::RUNNER_ENV_FILE));
    lines.extend([
        "# written by the runner's boot (paasc): the stages' environment".to_string(),
        "export PATH=\"/usr/local/bin:$PATH\"".to_string(),
        format!("export TF_CLI_CONFIG_FILE={TERRAFORM_RC}"),
        format!("export PACKER_PLUGIN_PATH={PACKER_PLUGINS}"),
        format!("export PAASC_BUILDER_TOOLS={TOOLS_DIR}"),
        "export CHECKPOINT_DISABLE=1 PACKER_CHECKPOINT_DISABLE=1".to_string(),
        "PAASC_ENV".to_string(),
    ]);
    lines.push(format!(
        "echo \"export PAASC_BUILDER_SUBNET=$SUBNET_ID\" >> {}",
        names::RUNNER_ENV_FILE
    ));
    lines.extend([
        "# Register: paasc deploy sends the stages to this instance.".to_string(),
        format!(
            "aws ssm put-parameter --name '{}' --type String --overwrite --value \"$INSTANCE_ID\" >/dev/null",
            names::RUNNER_INSTANCE_PARAMETER
        ),
        "echo \"paasc runner $INSTANCE_ID ready\"".to_string(),
    ]);
    if p.activity_workers {
        lines.extend(worker_unit(platform, p));
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Seconds `paasc worker` gives running scripts after SIGTERM (its
/// `--grace`); systemd waits for that, a poll in flight (70 s) and the
/// scripts' own clean-up before it kills what is left.
const WORKER_GRACE: u64 = 30;

/// The `paasc-worker` service: serves every activity of this platform's
/// `workers = activity` pipelines, restarted when it dies. SIGTERM goes to
/// the worker alone (`KillMode=mixed`), which stops its scripts itself and
/// fails their tasks with `paasc.WorkerStopped` so another worker retries them.
fn worker_unit(platform: &Platform, p: &PipelinePart) -> Vec<String> {
    let mut activities: Vec<&String> = p.apps.iter().flat_map(|a| &a.activities).collect();
    activities.sort();
    activities.dedup();
    let mut exec = format!(
        "ExecStart=/usr/local/bin/paasc worker --log-dir {WORKER_LOG_DIR} --grace {WORKER_GRACE}"
    );
    for a in activities {
        exec.push_str(&format!(" --activity {a}"));
    }
    vec![
        "# The activity worker (workers = activity): a service, restarted when it dies.".into(),
        format!("mkdir -p {WORKER_LOG_DIR} && chmod 0700 {WORKER_LOG_DIR}"),
        format!("cat > {WORKER_UNIT} <<'PAASC_UNIT'"),
        "[Unit]".into(),
        "Description=paasc worker: runs the pipeline stages of workers = activity apps".into(),
        "Wants=network-online.target".into(),
        "After=network-online.target".into(),
        "".into(),
        "[Service]".into(),
        "Type=simple".into(),
        format!(
            "Environment=AWS_REGION={} AWS_DEFAULT_REGION={}",
            platform.region, platform.region
        ),
        "Environment=HOME=/root".into(),
        exec,
        "Restart=always".into(),
        "RestartSec=5".into(),
        "KillMode=mixed".into(),
        "KillSignal=SIGTERM".into(),
        format!("TimeoutStopSec={}", WORKER_GRACE + 100),
        "SyslogIdentifier=paasc-worker".into(),
        "".into(),
        "[Install]".into(),
        "WantedBy=multi-user.target".into(),
        "PAASC_UNIT".into(),
        "systemctl daemon-reload".into(),
        "systemctl enable --now paasc-worker.service".into(),
        "echo \"paasc worker started (journalctl -u paasc-worker)\"".into(),
    ]
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;
    use crate::bootstrap::tools::KINDS;

    #[test]
    fn every_runner_tool_has_its_place_in_the_install_order() {
        for kind in KINDS.iter().filter(|k| k.target == ToolTarget::Runner) {
            assert!(
                INSTALL_ORDER.contains(&kind.name),
                "`{}` is installed on the runner but has no place in INSTALL_ORDER",
                kind.name
            );
            let tool = Tool {
                name: kind.name.to_string(),
                file: "f".into(),
                version: "1".into(),
                sha256: String::new(),
                bytes: 0,
                target: kind.target,
            };
            assert!(
                !install(&tool).is_empty(),
                "`{}` is never installed",
                kind.name
            );
        }
    }
}
