//! `lb.tf`: the application load balancer, its target group(s), listeners
//! and, for a public ALB, the WAFv2 web ACL.
//!
//! - Blue-green: target groups `blue` and `green`, each holding its colour's
//!   fleet only; the listener forwards with weights `var.blue_weight` /
//!   `var.green_weight` (the state machine shifts them), and a request with
//!   the header `X-Paas-Colour: blue|green` goes to that colour whatever the
//!   weights (the smoke test reaches the idle colour before it takes
//!   traffic). Rolling: one target group `this`.
//! - With `service.https`: HTTPS listener (TLS 1.3 policy, the spec's
//!   certificate) plus an HTTP listener that only redirects. Without it: one
//!   HTTP forward listener, with the checkov skips that decision implies.

use super::compute::fleets;
use super::skips::{self, skip, Skip};
use super::storage::log_group;
use super::{block, elb_name, fit_name, r, resource, s, strs, TfFile};
use crate::model::names::{COLOURS, COLOUR_HEADER};
use crate::model::{App, Strategy};
use hcl::{Block, Body, Expression};

/// TLS 1.3 with TLS 1.2 fallback, forward secrecy only.
pub const TLS_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Address of the listener that forwards to the fleet (output `listener_arn`).
pub(crate) fn main_listener(app: &App) -> &'static str {
    if app.service.https.is_some() {
        "aws_lb_listener.https.arn"
    } else {
        "aws_lb_listener.http.arn"
    }
}

pub(crate) fn emit(app: &App) -> TfFile {
    let mut blocks: Vec<Block> = Vec::new();
    let mut skips: Vec<Skip> = Vec::new();
    let prefix = app.prefix();
    let tls = app.service.https.is_some();

    blocks.push(
        resource("aws_lb", "this")
            .add_attribute(("name", s(elb_name(&prefix))))
            .add_attribute(("internal", !app.service.public))
            .add_attribute(("load_balancer_type", s("application")))
            .add_attribute((
                "security_groups",
                Expression::Array(vec![r("aws_security_group.alb.id")]),
            ))
            .add_attribute(("subnets", r("local.subnet_ids")))
            .add_attribute(("drop_invalid_header_fields", true))
            .add_attribute(("enable_deletion_protection", true))
            .add_block(
                block("access_logs")
                    .add_attribute(("bucket", r("aws_s3_bucket.alb_logs.id")))
                    .add_attribute(("prefix", s("alb")))
                    .add_attribute(("enabled", true))
                    .build(),
            )
            // ELB checks it may write to the bucket when the ALB is created.
            .add_attribute((
                "depends_on",
                Expression::Array(vec![r("aws_s3_bucket_policy.alb_logs")]),
            ))
            .build(),
    );
    if !tls {
        skips.push(skip("aws_lb", "this", "CKV2_AWS_20", skips::NO_TLS));
    }

    // One target group per fleet, of the same name.
    for tg in fleets(app) {
        let name = if tg == "this" {
            elb_name(&prefix)
        } else {
            elb_name(&format!("{prefix}-{tg}"))
        };
        blocks.push(
            resource("aws_lb_target_group", tg)
                .add_attribute(("name", s(name)))
                .add_attribute(("port", app.service.port))
                .add_attribute(("protocol", s("HTTP")))
                .add_attribute(("vpc_id", r("local.vpc_id")))
                .add_attribute(("target_type", s("instance")))
                .add_attribute(("deregistration_delay", 30))
                .add_block(
                    block("health_check")
                        .add_attribute(("enabled", true))
                        .add_attribute(("path", s(&app.service.health)))
                        .add_attribute(("protocol", s("HTTP")))
                        .add_attribute(("port", s("traffic-port")))
                        .add_attribute(("matcher", s("200-399")))
                        .add_attribute(("interval", 15))
                        .add_attribute(("timeout", 5))
                        .add_attribute(("healthy_threshold", 3))
                        .add_attribute(("unhealthy_threshold", 3))
                        .build(),
                )
                .build(),
        );
        if !tls {
            // Behind an HTTPS listener checkov accepts the HTTP target group.
            skips.push(skip(
                "aws_lb_target_group",
                tg,
                "CKV_AWS_378",
                skips::NO_TLS,
            ));
        }
    }

    let forward = forward_action(app);
    let listener = main_listener(app).trim_end_matches(".arn").to_string();
    if tls {
        let cert = app.service.https.clone().unwrap_or_default();
        blocks.push(
            resource("aws_lb_listener", "https")
                .add_attribute(("load_balancer_arn", r("aws_lb.this.arn")))
                .add_attribute(("port", 443))
                .add_attribute(("protocol", s("HTTPS")))
                .add_attribute(("ssl_policy", s(TLS_POLICY)))
                .add_attribute(("certificate_arn", s(cert)))
                .add_block(forward)
                .build(),
        );
        blocks.push(
            resource("aws_lb_listener", "http_redirect")
                .add_attribute(("load_balancer_arn", r("aws_lb.this.arn")))
                .add_attribute(("port", 80))
                .add_attribute(("protocol", s("HTTP")))
                .add_block(
                    block("default_action")
                        .add_attribute(("type", s("redirect")))
                        .add_block(
                            block("redirect")
                                .add_attribute(("port", s("443")))
                                .add_attribute(("protocol", s("HTTPS")))
                                .add_attribute(("status_code", s("HTTP_301")))
                                .build(),
                        )
                        .build(),
                )
                .build(),
        );
    } else {
        blocks.push(
            resource("aws_lb_listener", "http")
                .add_attribute(("load_balancer_arn", r("aws_lb.this.arn")))
                .add_attribute(("port", 80))
                .add_attribute(("protocol", s("HTTP")))
                .add_block(forward)
                .build(),
        );
        skips.push(skip("aws_lb_listener", "http", "CKV_AWS_2", skips::NO_TLS));
        skips.push(skip(
            "aws_lb_listener",
            "http",
            "CKV_AWS_103",
            skips::NO_TLS,
        ));
    }

    if app.release.strategy == Strategy::BlueGreen {
        for (i, colour) in COLOURS.iter().enumerate() {
            blocks.push(
                resource("aws_lb_listener_rule", colour)
                    .add_attribute(("listener_arn", r(&format!("{listener}.arn"))))
                    .add_attribute(("priority", (i as u32 + 1) * 10))
                    .add_block(
                        block("action")
                            .add_attribute(("type", s("forward")))
                            .add_attribute((
                                "target_group_arn",
                                r(&format!("aws_lb_target_group.{colour}.arn")),
                            ))
                            .build(),
                    )
                    .add_block(
                        block("condition")
                            .add_block(
                                block("http_header")
                                    .add_attribute(("http_header_name", s(COLOUR_HEADER)))
                                    .add_attribute(("values", strs([*colour])))
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            );
        }
    }

    if app.service.public {
        blocks.extend(waf(app));
        if app.logs.retain_days < 365 {
            skips.push(skip(
                "aws_cloudwatch_log_group",
                "waf",
                "CKV_AWS_338",
                skips::retention(app.logs.retain_days),
            ));
        }
    }
    TfFile {
        name: "lb.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips,
    }
}

fn forward_action(app: &App) -> Block {
    let action = block("default_action").add_attribute(("type", s("forward")));
    match app.release.strategy {
        Strategy::Rolling => action
            .add_attribute(("target_group_arn", r("aws_lb_target_group.this.arn")))
            .build(),
        Strategy::BlueGreen => {
            let group = |tg: &str| {
                block("target_group")
                    .add_attribute(("arn", r(&format!("aws_lb_target_group.{tg}.arn"))))
                    .add_attribute(("weight", r(&format!("var.{tg}_weight"))))
                    .build()
            };
            action
                .add_block(
                    block("forward")
                        .add_block(group("blue"))
                        .add_block(group("green"))
                        .add_block(
                            block("stickiness")
                                .add_attribute(("enabled", false))
                                .add_attribute(("duration", 1))
                                .build(),
                        )
                        .build(),
                )
                .build()
        }
    }
}

/// AWS managed rule groups of the web ACL, in priority order. KnownBadInputs
/// carries the Log4j (CVE-2021-44228) rules.
/// AnonymousIpList blocks anonymizers (VPNs, Tor); its hosting-provider
/// rule only counts, so clients running in public clouds keep working.
const MANAGED_RULE_GROUPS: [&str; 4] = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
];

fn visibility(metric: &str) -> Block {
    block("visibility_config")
        .add_attribute(("cloudwatch_metrics_enabled", true))
        .add_attribute(("metric_name", s(metric)))
        .add_attribute(("sampled_requests_enabled", true))
        .build()
}

fn waf(app: &App) -> Vec<Block> {
    let name = fit_name(&format!("paas-{}", app.prefix()), 128);
    let mut acl = resource("aws_wafv2_web_acl", "this")
        .add_attribute(("name", s(&name)))
        .add_attribute((
            "description",
            s(format!(
                "paasc: public load balancer of {} ({})",
                app.name, app.env
            )),
        ))
        .add_attribute(("scope", s("REGIONAL")))
        .add_block(
            block("default_action")
                .add_block(block("allow").build())
                .build(),
        );
    for (i, group) in MANAGED_RULE_GROUPS.iter().enumerate() {
        let mut statement = block("managed_rule_group_statement")
            .add_attribute(("name", s(*group)))
            .add_attribute(("vendor_name", s("AWS")));
        if *group == "AWSManagedRulesAnonymousIpList" {
            statement = statement.add_block(
                block("rule_action_override")
                    .add_attribute(("name", s("HostingProviderIPList")))
                    .add_block(
                        block("action_to_use")
                            .add_block(block("count").build())
                            .build(),
                    )
                    .build(),
            );
        }
        acl = acl.add_block(
            block("rule")
                .add_attribute(("name", s(*group)))
                .add_attribute(("priority", (i as u32 + 1) * 10))
                .add_block(
                    block("override_action")
                        .add_block(block("none").build())
                        .build(),
                )
                .add_block(block("statement").add_block(statement.build()).build())
                .add_block(visibility(group))
                .build(),
        );
    }
    let acl = acl.add_block(visibility(&name)).build();
    vec![
        acl,
        resource("aws_wafv2_web_acl_association", "this")
            .add_attribute(("resource_arn", r("aws_lb.this.arn")))
            .add_attribute(("web_acl_arn", r("aws_wafv2_web_acl.this.arn")))
            .build(),
        // WAF requires the `aws-waf-logs-` prefix on its log destinations.
        log_group(
            "waf",
            &fit_name(&format!("aws-waf-logs-{}", app.prefix()), 512),
            app.logs.retain_days,
        ),
        resource("aws_wafv2_web_acl_logging_configuration", "this")
            .add_attribute(("resource_arn", r("aws_wafv2_web_acl.this.arn")))
            .add_attribute((
                "log_destination_configs",
                Expression::Array(vec![r("aws_cloudwatch_log_group.waf.arn")]),
            ))
            .build(),
    ]
}
