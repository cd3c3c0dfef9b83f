//! The module's interface: `versions.tf` (Terraform and provider
//! requirements, provider configuration), `variables.tf` and `outputs.tf`.
//! Variable and output names are the cross-artifact contract.

use super::{binop, block, call, ident_obj, kms, quoted_obj, r, s, strs, TfFile};
use crate::model::names::{tf_var, TfOutput};
use crate::model::{App, Strategy};
use hcl::expr::BinaryOperator;
use hcl::{Block, Body, Expression};
use std::collections::BTreeMap;

/// Tags every resource carries (provider `default_tags`, and the ASG's
/// propagated tags): the spec's tags, then the paasc ones, which win on a
/// clash because the pipeline relies on them.
pub(crate) fn default_tags(app: &App) -> BTreeMap<String, String> {
    let mut tags = app.tags.clone();
    tags.insert("app".into(), app.name.clone());
    tags.insert("team".into(), app.team.clone());
    tags.insert("version".into(), app.version.clone());
    tags.insert("env".into(), app.env.clone());
    tags.insert("managed-by".into(), "paasc".into());
    tags
}

pub(crate) fn versions(app: &App) -> TfFile {
    // The state lives in the platform's bucket; the provision document
    // passes the bucket and key with `-backend-config`, so the module stays
    // reusable. S3-native locking (`use_lockfile`) needs Terraform 1.10.
    let backend = block("backend")
        .add_label("s3")
        .add_attribute(("region", s(&app.region)))
        .add_attribute(("key", s(app.state_key())))
        .add_attribute(("encrypt", true))
        .add_attribute(("use_lockfile", true))
        .build();
    let terraform = block("terraform")
        .add_attribute(("required_version", s(">= 1.10")))
        .add_block(backend)
        .add_block(
            block("required_providers")
                .add_attribute((
                    "aws",
                    ident_obj(vec![
                        ("source", s("hashicorp/aws")),
                        ("version", s(format!("= {}", app.pipeline.aws_provider))),
                    ]),
                ))
                .build(),
        )
        .build();

    let mut provider = block("provider")
        .add_label("aws")
        .add_attribute(("region", s(&app.region)))
        .add_attribute(("allowed_account_ids", strs([app.account.clone()])));
    {
        // The runner acts only through the app account's provision role
        // (created by `paasc bootstrap`), in one account as in two: the
        // runner itself holds no permission to create IAM roles.
        provider = provider.add_block(
            block("assume_role")
                .add_attribute(("role_arn", s(app.provision_role_arn())))
                .add_attribute((
                    "session_name",
                    s(super::fit_name(&format!("paasc-{}", app.prefix()), 64)),
                ))
                .build(),
        );
    }
    let tags = default_tags(app).into_iter().map(|(k, v)| (k, s(v)));
    provider = provider.add_block(
        block("default_tags")
            .add_attribute(("tags", quoted_obj(tags)))
            .build(),
    );

    TfFile {
        name: "versions.tf",
        body: Body::builder()
            .add_block(terraform)
            .add_block(provider.build())
            .build(),
        skips: vec![],
    }
}

fn weight_variable(name: &str, default: u32, who: &str) -> Block {
    let var = format!("var.{name}");
    let condition = binop(
        binop(r(&var), BinaryOperator::GreaterEq, Expression::from(0)),
        BinaryOperator::And,
        binop(r(&var), BinaryOperator::LessEq, Expression::from(999)),
    );
    block("variable")
        .add_label(name)
        .add_attribute(("description", s(format!("Share of traffic the listener sends to the {who} target group (the state machine shifts it)"))))
        .add_attribute(("type", r("number")))
        .add_attribute(("default", Expression::from(default)))
        .add_block(
            block("validation")
                .add_attribute(("condition", condition))
                .add_attribute(("error_message", s(format!("{name} must be between 0 and 999 (ALB target group weight)"))))
                .build(),
        )
        .build()
}

pub(crate) fn variables(app: &App) -> TfFile {
    let ami = block("variable")
        .add_label(tf_var::AMI_ID)
        .add_attribute((
            "description",
            s("AMI baked by the Bake stage for this release"),
        ))
        .add_attribute(("type", r("string")))
        .add_block(
            block("validation")
                .add_attribute((
                    "condition",
                    call(
                        "can",
                        vec![call(
                            "regex",
                            vec![
                                s("^ami-[0-9a-f]{8,17}$"),
                                r(&format!("var.{}", tf_var::AMI_ID)),
                            ],
                        )],
                    ),
                ))
                .add_attribute(("error_message", s("ami_id must be an AMI id (ami-...)")))
                .build(),
        )
        .build();
    let mut body = Body::builder().add_block(ami);
    if app.release.strategy == Strategy::BlueGreen {
        let live = r(&format!("var.{}", tf_var::LIVE_COLOUR));
        let live_ami = r(&format!("var.{}", tf_var::LIVE_AMI_ID));
        body = body
            .add_block(weight_variable(tf_var::BLUE_WEIGHT, 100, "blue"))
            .add_block(weight_variable(tf_var::GREEN_WEIGHT, 0, "green"))
            .add_block(
                block("variable")
                    .add_label(tf_var::LIVE_COLOUR)
                    .add_attribute((
                        "description",
                        s("The colour that takes the traffic (none before the first release): it keeps its AMI, the other colour gets ami_id"),
                    ))
                    .add_attribute(("type", r("string")))
                    .add_attribute(("default", s("none")))
                    .add_block(
                        block("validation")
                            .add_attribute((
                                "condition",
                                call("contains", vec![strs(["none", "blue", "green"]), live.clone()]),
                            ))
                            .add_attribute(("error_message", s("live_colour must be none, blue or green")))
                            .build(),
                    )
                    .build(),
            )
            .add_block(
                block("variable")
                    .add_label(tf_var::LIVE_AMI_ID)
                    .add_attribute(("description", s("The AMI the live colour runs (empty when live_colour is none)")))
                    .add_attribute(("type", r("string")))
                    .add_attribute(("default", s("")))
                    .add_block(
                        block("validation")
                            .add_attribute((
                                "condition",
                                binop(
                                    binop(live, BinaryOperator::Eq, s("none")),
                                    BinaryOperator::Or,
                                    call(
                                        "can",
                                        vec![call("regex", vec![s("^ami-[0-9a-f]{8,17}$"), live_ami])],
                                    ),
                                ),
                            ))
                            .add_attribute(("error_message", s("live_ami_id must be an AMI id (ami-...) when live_colour is blue or green")))
                            .build(),
                    )
                    .build(),
            );
    }
    TfFile {
        name: "variables.tf",
        body: body.build(),
        skips: vec![],
    }
}

/// Every ARN-bearing resource of the module, by address (the audit
/// record of each release keeps this map).
fn resource_arns(app: &App) -> Expression {
    let mut addresses: Vec<String> = vec![
        "aws_lb.this".into(),
        format!(
            "aws_lb_listener.{}",
            if app.service.https.is_some() {
                "https"
            } else {
                "http"
            }
        ),
        "aws_iam_role.instance".into(),
        "aws_iam_instance_profile.instance".into(),
        "aws_security_group.alb".into(),
        "aws_security_group.instance".into(),
        "aws_s3_bucket.logs".into(),
        "aws_s3_bucket.alb_logs".into(),
        "aws_cloudwatch_log_group.app".into(),
    ];
    if app.service.https.is_some() {
        addresses.push("aws_lb_listener.http_redirect".into());
    }
    if app.service.public {
        addresses.push("aws_wafv2_web_acl.this".into());
        addresses.push("aws_cloudwatch_log_group.waf".into());
    }
    for fleet in super::compute::fleets(app) {
        addresses.push(format!("aws_lb_target_group.{fleet}"));
        addresses.push(format!("aws_autoscaling_group.{fleet}"));
        addresses.push(format!("{}.{fleet}", super::compute::launch_resource(app)));
        for kind in &super::alarms::KINDS {
            addresses.push(format!("aws_cloudwatch_metric_alarm.{fleet}_{}", kind.id));
        }
        if fleet != "this" {
            addresses.push(format!("aws_lb_listener_rule.{fleet}"));
        }
    }
    addresses.sort();
    let mut object = hcl::Object::new();
    for a in addresses {
        object.insert(hcl::ObjectKey::Expression(s(&a)), r(&format!("{a}.arn")));
    }
    Expression::Object(object)
}

fn output(name: TfOutput, description: &str, value: Expression) -> Block {
    block("output")
        .add_label(name.name())
        .add_attribute(("description", s(description)))
        .add_attribute(("value", value))
        .build()
}

pub(crate) fn outputs(app: &App) -> TfFile {
    let mut outs = vec![
        output(
            TfOutput::AlbDnsName,
            "DNS name of the application load balancer",
            r("aws_lb.this.dns_name"),
        ),
        output(
            TfOutput::ListenerArn,
            "ARN of the listener that forwards to the fleet",
            r(super::lb::main_listener(app)),
        ),
        output(
            TfOutput::LogBucket,
            "Encrypted bucket for logs and InSpec reports",
            r("aws_s3_bucket.logs.id"),
        ),
        output(
            TfOutput::InstanceRoleArn,
            "IAM role of the instances",
            r("aws_iam_role.instance.arn"),
        ),
        output(
            TfOutput::KmsKeyArn,
            "KMS key that encrypts the app's data",
            kms::key_arn(),
        ),
        output(
            TfOutput::LogGroup,
            "CloudWatch log group of the app",
            r("aws_cloudwatch_log_group.app.name"),
        ),
    ];
    match app.release.strategy {
        Strategy::BlueGreen => {
            outs.push(output(
                TfOutput::BlueAsgName,
                "Auto scaling group of the blue fleet",
                r("aws_autoscaling_group.blue.name"),
            ));
            outs.push(output(
                TfOutput::GreenAsgName,
                "Auto scaling group of the green fleet",
                r("aws_autoscaling_group.green.name"),
            ));
            outs.push(output(
                TfOutput::BlueTargetGroupArn,
                "Blue target group",
                r("aws_lb_target_group.blue.arn"),
            ));
            outs.push(output(
                TfOutput::GreenTargetGroupArn,
                "Green target group",
                r("aws_lb_target_group.green.arn"),
            ));
        }
        Strategy::Rolling => {
            outs.push(output(
                TfOutput::AsgName,
                "Name of the auto scaling group",
                r("aws_autoscaling_group.this.name"),
            ));
            outs.push(output(
                TfOutput::TargetGroupArn,
                "Target group of the fleet",
                r("aws_lb_target_group.this.arn"),
            ));
        }
    }
    outs.push(output(
        TfOutput::ResourceArns,
        "ARNs of the resources this module manages that have one (the audit record keeps them)",
        resource_arns(app),
    ));
    TfFile {
        name: "outputs.tf",
        body: Body::builder().add_blocks(outs).build(),
        skips: vec![],
    }
}
