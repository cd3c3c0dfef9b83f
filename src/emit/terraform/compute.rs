//! `compute.tf`: the fleet. A launch template by default (IMDSv2 required
//! with hop limit 1, root EBS encrypted with the app key, the instance
//! profile, detailed monitoring, no key pair) or, when the spec selects
//! `fleet.launch = configuration`, a launch configuration with the same
//! hardening where aws 5.x allows it (its root volume cannot name a KMS key:
//! it inherits the encrypted AMI's key). The ASG takes min/max/desired from
//! the spec, uses ELB health checks, registers in the target group(s) and
//! propagates tags; a target-tracking policy holds average CPU at `fleet.cpu`.

use super::kms::key_arn;
use super::lb::target_groups;
use super::skips::{self, skip, Skip};
use super::versions::default_tags;
use super::{block, data, quoted_obj, r, resource, s, strs, TfFile};
use crate::model::{App, Launch, Strategy};
use hcl::{Block, Body, Expression};

pub(crate) fn emit(app: &App) -> TfFile {
    let mut blocks: Vec<Block> = Vec::new();
    let mut skips: Vec<Skip> = Vec::new();
    let prefix = app.prefix();

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
                    .add_attribute(("tags", quoted_obj([("Name", s(&prefix))])))
                    .build()
            };
            blocks.push(
                resource("aws_launch_template", "this")
                    .add_attribute(("name", s(format!("paas-{prefix}"))))
                    .add_attribute((
                        "description",
                        s(format!(
                            "paasc: {} ({}) release instances",
                            app.name, app.env
                        )),
                    ))
                    .add_attribute(("image_id", r("var.ami_id")))
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
                resource("aws_launch_configuration", "this")
                    .add_attribute(("name_prefix", s(format!("paas-{prefix}-"))))
                    .add_attribute(("image_id", r("var.ami_id")))
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
                "this",
                "CKV_AWS_315",
                skips::LAUNCH_CONFIGURATION,
            ));
        }
    }

    let fleet = &app.fleet;
    let mut asg = resource("aws_autoscaling_group", "this")
        .add_attribute(("name", s(&prefix)))
        .add_attribute(("min_size", fleet.min))
        .add_attribute(("max_size", fleet.max))
        .add_attribute(("desired_capacity", fleet.desired))
        .add_attribute(("vpc_zone_identifier", r("local.subnet_ids")))
        .add_attribute(("health_check_type", s("ELB")))
        .add_attribute(("health_check_grace_period", 300))
        // On create, apply returns only once `min` instances pass the ALB
        // health check, so the Validate stage never starts on an empty fleet.
        .add_attribute(("min_elb_capacity", fleet.min))
        .add_attribute((
            "target_group_arns",
            Expression::Array(
                target_groups(app)
                    .into_iter()
                    .map(|tg| r(&format!("aws_lb_target_group.{tg}.arn")))
                    .collect(),
            ),
        ));
    asg = match fleet.launch {
        Launch::Template => asg.add_block(
            block("launch_template")
                .add_attribute(("id", r("aws_launch_template.this.id")))
                .add_attribute(("version", r("aws_launch_template.this.latest_version")))
                .build(),
        ),
        Launch::Configuration => asg.add_attribute((
            "launch_configuration",
            r("aws_launch_configuration.this.name"),
        )),
    };
    if app.release.strategy == Strategy::Rolling {
        // Launch before terminate: capacity never drops below desired. With a
        // launch template a failed refresh rolls itself back (AWS offers
        // that for templates only, not launch configurations).
        let mut preferences = block("preferences")
            .add_attribute(("min_healthy_percentage", 100))
            .add_attribute(("max_healthy_percentage", 200));
        if fleet.launch == Launch::Template {
            preferences = preferences.add_attribute(("auto_rollback", true));
        }
        asg = asg.add_block(
            block("instance_refresh")
                .add_attribute(("strategy", s("Rolling")))
                .add_block(preferences.build())
                .build(),
        );
    }
    let mut tags = default_tags(app);
    tags.insert("Name".into(), prefix.clone());
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

    blocks.push(
        resource("aws_autoscaling_policy", "cpu")
            .add_attribute(("name", s(format!("{prefix}-cpu-target"))))
            .add_attribute((
                "autoscaling_group_name",
                r("aws_autoscaling_group.this.name"),
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
                    .add_attribute(("target_value", fleet.cpu))
                    .build(),
            )
            .build(),
    );
    TfFile {
        name: "compute.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips,
    }
}
