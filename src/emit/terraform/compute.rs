//! `compute.tf`: the fleet, or for blue-green one fleet per colour (`blue`,
//! `green`), each in its own target group only. A launch template by default (IMDSv2 required
//! with hop limit 1, root EBS encrypted with the app key, the instance
//! profile, detailed monitoring, no key pair) or, when the spec selects
//! `fleet.launch = configuration`, a launch configuration with the same
//! hardening where aws 5.x allows it (its root volume cannot name a KMS key:
//! it inherits the encrypted AMI's key). The ASG takes min/max/desired from
//! the spec, uses ELB health checks, registers in the target group(s) and
//! propagates tags; a target-tracking policy holds average CPU at `fleet.cpu`.
//!
//! Blue-green: `var.live_colour` names the colour that takes the traffic
//! (`none` before the first release) and `var.live_ami_id` its AMI. The live
//! colour keeps its AMI; the other (the idle colour) gets this release's
//! AMI. Both colours are sized as the env says, except that before the first
//! release green stays empty. Each group ignores later changes of its
//! desired capacity: the live colour keeps whatever scaling gave it, and an
//! idle colour the state machine scaled to zero comes back to the env's
//! `min` when the apply raises its `min_size` (AWS raises the desired
//! capacity to a new minimum).

use super::kms::key_arn;
use super::skips::{self, skip, Skip};
use super::versions::default_tags;
use super::{binop, block, cond, data, ident_obj, quoted_obj, r, resource, s, strs, TfFile};
use crate::model::names::{tf_var, COLOURS};
use crate::model::{App, Launch, Strategy};
use hcl::expr::BinaryOperator;
use hcl::{Block, Body, Expression};

/// The fleets of a release strategy (each with its target group of the same name).
pub(crate) fn fleets(app: &App) -> Vec<&'static str> {
    match app.release.strategy {
        Strategy::BlueGreen => COLOURS.to_vec(),
        Strategy::Rolling => vec!["this"],
    }
}

/// The resource type of a fleet's launch template or configuration.
pub(crate) fn launch_resource(app: &App) -> &'static str {
    match app.fleet.launch {
        Launch::Template => "aws_launch_template",
        Launch::Configuration => "aws_launch_configuration",
    }
}

fn var_is(var: &str, value: &str) -> Expression {
    binop(r(&format!("var.{var}")), BinaryOperator::Eq, s(value))
}

/// Blue-green locals: each colour's AMI and whether it holds hosts.
fn colour_locals() -> Block {
    let ami = |colour: &str| {
        cond(
            var_is(tf_var::LIVE_COLOUR, colour),
            r(&format!("var.{}", tf_var::LIVE_AMI_ID)),
            r(&format!("var.{}", tf_var::AMI_ID)),
        )
    };
    block("locals")
        .add_attribute((
            "colour_ami",
            ident_obj(vec![("blue", ami("blue")), ("green", ami("green"))]),
        ))
        .add_attribute((
            "colour_in_use",
            ident_obj(vec![
                ("blue", Expression::from(true)),
                (
                    "green",
                    binop(
                        r(&format!("var.{}", tf_var::LIVE_COLOUR)),
                        BinaryOperator::NotEq,
                        s("none"),
                    ),
                ),
            ]),
        ))
        .build()
}

pub(crate) fn emit(app: &App) -> TfFile {
    let mut blocks: Vec<Block> = Vec::new();
    let mut skips: Vec<Skip> = Vec::new();

    // The AMI is owned by the account that baked it; its root device name
    // (`/dev/xvda`, `/dev/sda1`) depends on the base image.
    blocks.push(
        data("aws_ami", "release")
            .add_attribute(("owners", strs([app.pipeline.account.clone()])))
            .add_block(
                block("filter")
                    .add_attribute(("name", s("image-id")))
                    .add_attribute(("values", Expression::Array(vec![r("var.ami_id")])))
                    .build(),
            )
            .build(),
    );
    if app.release.strategy == Strategy::BlueGreen {
        blocks.push(colour_locals());
    }
    for fleet in fleets(app) {
        blocks.extend(fleet_blocks(app, fleet, &mut skips));
    }
    TfFile {
        name: "compute.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips,
    }
}

/// Launch template (or configuration), auto scaling group and CPU policy of one fleet.
fn fleet_blocks(app: &App, fleet: &str, skips: &mut Vec<Skip>) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let colour = fleet != "this";
    let prefix = app.prefix();
    let asg_name = app.asg_name(fleet);
    let image = if colour {
        r(&format!("local.colour_ami.{fleet}"))
    } else {
        r("var.ami_id")
    };
    let (min, max, desired): (Expression, Expression, Expression) = if colour {
        let sized = |n: u32| {
            cond(
                r(&format!("local.colour_in_use.{fleet}")),
                Expression::from(n),
                Expression::from(0),
            )
        };
        (
            sized(app.fleet.min),
            sized(app.fleet.max),
            sized(app.fleet.desired),
        )
    } else {
        (
            app.fleet.min.into(),
            app.fleet.max.into(),
            app.fleet.desired.into(),
        )
    };

    let metadata = || {
        block("metadata_options")
            .add_attribute(("http_endpoint", s("enabled")))
            .add_attribute(("http_tokens", s("required")))
            .add_attribute(("http_put_response_hop_limit", 1))
            .build()
    };

    match app.fleet.launch {
        Launch::Template => {
            let name_tags = |kind: &str| {
                block("tag_specifications")
                    .add_attribute(("resource_type", s(kind)))
                    .add_attribute(("tags", quoted_obj([("Name", s(&asg_name))])))
                    .build()
            };
            blocks.push(
                resource("aws_launch_template", fleet)
                    .add_attribute(("name", s(format!("paas-{asg_name}"))))
                    .add_attribute((
                        "description",
                        s(if colour {
                            format!(
                                "paasc: {} ({}) release instances, {fleet} fleet",
                                app.name, app.env
                            )
                        } else {
                            format!("paasc: {} ({}) release instances", app.name, app.env)
                        }),
                    ))
                    .add_attribute(("image_id", image))
                    .add_attribute(("instance_type", s(&app.image.instance)))
                    .add_attribute(("update_default_version", true))
                    .add_attribute((
                        "vpc_security_group_ids",
                        Expression::Array(vec![r("aws_security_group.instance.id")]),
                    ))
                    .add_block(
                        block("iam_instance_profile")
                            .add_attribute(("arn", r("aws_iam_instance_profile.instance.arn")))
                            .build(),
                    )
                    .add_block(metadata())
                    .add_block(block("monitoring").add_attribute(("enabled", true)).build())
                    .add_block(
                        block("block_device_mappings")
                            .add_attribute((
                                "device_name",
                                r("data.aws_ami.release.root_device_name"),
                            ))
                            .add_block(
                                // The provider types these two flags as strings.
                                block("ebs")
                                    .add_attribute(("volume_size", app.image.volume_gib))
                                    .add_attribute(("volume_type", s("gp3")))
                                    .add_attribute(("encrypted", s("true")))
                                    .add_attribute(("kms_key_id", key_arn()))
                                    .add_attribute(("delete_on_termination", s("true")))
                                    .build(),
                            )
                            .build(),
                    )
                    .add_block(name_tags("instance"))
                    .add_block(name_tags("volume"))
                    .build(),
            );
        }
        Launch::Configuration => {
            blocks.push(
                resource("aws_launch_configuration", fleet)
                    .add_attribute(("name_prefix", s(format!("paas-{asg_name}-"))))
                    .add_attribute(("image_id", image))
                    .add_attribute(("instance_type", s(&app.image.instance)))
                    .add_attribute((
                        "iam_instance_profile",
                        r("aws_iam_instance_profile.instance.name"),
                    ))
                    .add_attribute((
                        "security_groups",
                        Expression::Array(vec![r("aws_security_group.instance.id")]),
                    ))
                    .add_attribute(("enable_monitoring", true))
                    .add_attribute(("associate_public_ip_address", false))
                    .add_block(metadata())
                    .add_block(
                        block("root_block_device")
                            .add_attribute(("volume_size", app.image.volume_gib))
                            .add_attribute(("volume_type", s("gp3")))
                            .add_attribute(("encrypted", true))
                            .add_attribute(("delete_on_termination", true))
                            .build(),
                    )
                    // Launch configurations are immutable: replace before the
                    // ASG lets go of the old one.
                    .add_block(super::block1(
                        "lifecycle",
                        "create_before_destroy",
                        true.into(),
                    ))
                    .build(),
            );
            skips.push(skip(
                "aws_autoscaling_group",
                fleet,
                "CKV_AWS_315",
                skips::LAUNCH_CONFIGURATION,
            ));
        }
    }

    let mut asg = resource("aws_autoscaling_group", fleet)
        .add_attribute(("name", s(&asg_name)))
        .add_attribute(("min_size", min.clone()))
        .add_attribute(("max_size", max))
        .add_attribute(("desired_capacity", desired))
        .add_attribute(("vpc_zone_identifier", r("local.subnet_ids")))
        .add_attribute(("health_check_type", s("ELB")))
        .add_attribute(("health_check_grace_period", 300));
    asg = if colour {
        // The provision document sizes the idle colour (at least the live
        // one's hosts) and waits for them to be healthy within the stage's
        // deadline; Terraform's own wait would count only `min`.
        asg.add_attribute(("wait_for_capacity_timeout", s("0")))
    } else {
        // On create, apply returns only once `min` instances pass the ALB
        // health check, so the Validate stage never starts on an empty fleet.
        asg.add_attribute(("min_elb_capacity", min))
    };
    asg = asg.add_attribute((
        "target_group_arns",
        Expression::Array(vec![r(&format!("aws_lb_target_group.{fleet}.arn"))]),
    ));
    asg = match app.fleet.launch {
        Launch::Template => asg.add_block(
            block("launch_template")
                .add_attribute(("id", r(&format!("aws_launch_template.{fleet}.id"))))
                .add_attribute((
                    "version",
                    r(&format!("aws_launch_template.{fleet}.latest_version")),
                ))
                .build(),
        ),
        Launch::Configuration => asg.add_attribute((
            "launch_configuration",
            r(&format!("aws_launch_configuration.{fleet}.name")),
        )),
    };
    if app.release.strategy == Strategy::Rolling {
        // Launch before terminate: capacity never drops below desired. With a
        // launch template a failed refresh, or one during which an alarm of
        // the fleet fires, rolls itself back (AWS offers both for templates
        // only, not launch configurations).
        let mut preferences = block("preferences")
            .add_attribute(("min_healthy_percentage", 100))
            .add_attribute(("max_healthy_percentage", 200));
        if app.fleet.launch == Launch::Template {
            preferences = preferences
                .add_attribute(("auto_rollback", true))
                .add_block(
                    block("alarm_specification")
                        .add_attribute((
                            "alarms",
                            Expression::Array(
                                super::alarms::KINDS
                                    .iter()
                                    .map(|k| {
                                        r(&format!(
                                            "aws_cloudwatch_metric_alarm.{fleet}_{}.alarm_name",
                                            k.id
                                        ))
                                    })
                                    .collect(),
                            ),
                        ))
                        .build(),
                );
        }
        asg = asg.add_block(
            block("instance_refresh")
                .add_attribute(("strategy", s("Rolling")))
                .add_block(preferences.build())
                .build(),
        );
    } else {
        asg = asg.add_block(
            block("lifecycle")
                .add_attribute((
                    "ignore_changes",
                    Expression::Array(vec![r("desired_capacity")]),
                ))
                .build(),
        );
    }
    let mut tags = default_tags(app);
    tags.insert("Name".into(), asg_name.clone());
    if colour {
        tags.insert("paasc:colour".into(), fleet.to_string());
    }
    for (key, value) in tags {
        asg = asg.add_block(
            block("tag")
                .add_attribute(("key", s(key)))
                .add_attribute(("value", s(value)))
                .add_attribute(("propagate_at_launch", true))
                .build(),
        );
    }
    blocks.push(asg.build());

    let (policy, policy_resource) = if colour {
        (
            format!("{prefix}-{fleet}-cpu-target"),
            format!("{fleet}_cpu"),
        )
    } else {
        (format!("{prefix}-cpu-target"), "cpu".to_string())
    };
    blocks.push(
        resource("aws_autoscaling_policy", &policy_resource)
            .add_attribute(("name", s(policy)))
            .add_attribute((
                "autoscaling_group_name",
                r(&format!("aws_autoscaling_group.{fleet}.name")),
            ))
            .add_attribute(("policy_type", s("TargetTrackingScaling")))
            .add_block(
                block("target_tracking_configuration")
                    .add_block(
                        block("predefined_metric_specification")
                            .add_attribute((
                                "predefined_metric_type",
                                s("ASGAverageCPUUtilization"),
                            ))
                            .build(),
                    )
                    .add_attribute(("target_value", app.fleet.cpu))
                    .build(),
            )
            .build(),
    );
    blocks
}
