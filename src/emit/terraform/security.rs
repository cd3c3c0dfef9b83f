//! `security.tf`: the two security groups and every rule, as separate
//! `aws_vpc_security_group_*_rule` resources (one rule each, a description on
//! each). The ALB accepts 443 from `network.allow` (and 80, which only
//! redirects, or forwards when the spec opted out of TLS); the instances
//! accept `service.port` from the ALB's group only and reach AWS APIs on 443.
//! No rule ever covers port 22 (the model forbids it as service port).

use super::skips::{self, skip, Skip};
use super::{call, r, resource, s, strs, TfFile};
use crate::model::App;
use hcl::{Block, Body, Expression};

pub(crate) fn emit(app: &App) -> TfFile {
    let mut blocks: Vec<Block> = Vec::new();
    let mut skips: Vec<Skip> = Vec::new();
    let prefix = app.prefix();

    blocks.push(group(
        "alb",
        &format!("paas-{prefix}-alb"),
        &format!("paasc: load balancer of {} ({})", app.name, app.env),
    ));
    blocks.push(group(
        "instance",
        &format!("paas-{prefix}-instance"),
        &format!("paasc: instances of {} ({})", app.name, app.env),
    ));

    let (v4, v6): (Vec<&String>, Vec<&String>) =
        app.network.allow.iter().partition(|c| !c.contains(':'));
    let open_world = app
        .network
        .allow
        .iter()
        .any(|c| c == "0.0.0.0/0" || c == "::/0");
    let mut listener_ports: Vec<(&str, u16, &str)> = Vec::new();
    if app.service.https.is_some() {
        listener_ports.push((
            "alb_https",
            443,
            "HTTPS to the load balancer from an allowed network",
        ));
        listener_ports.push((
            "alb_http",
            80,
            "HTTP to the load balancer, answered with a redirect to HTTPS",
        ));
    } else {
        listener_ports.push((
            "alb_http",
            80,
            "HTTP to the load balancer from an allowed network (spec has no certificate)",
        ));
    }
    for (name, port, description) in listener_ports {
        for (suffix, cidrs, attr) in [("", &v4, "cidr_ipv4"), ("_ipv6", &v6, "cidr_ipv6")] {
            if cidrs.is_empty() {
                continue;
            }
            let rule_name = format!("{name}{suffix}");
            blocks.push(
                resource("aws_vpc_security_group_ingress_rule", &rule_name)
                    .add_attribute((
                        "for_each",
                        call("toset", vec![strs(cidrs.iter().map(|c| c.to_string()))]),
                    ))
                    .add_attribute(("security_group_id", r("aws_security_group.alb.id")))
                    .add_attribute(("description", s(description)))
                    .add_attribute((attr, r("each.value")))
                    .add_attribute(("ip_protocol", s("tcp")))
                    .add_attribute(("from_port", port))
                    .add_attribute(("to_port", port))
                    .build(),
            );
            if port == 80 && open_world {
                let reason = if app.service.https.is_some() {
                    skips::REDIRECT_ONLY
                } else {
                    skips::NO_TLS
                };
                skips.push(skip(
                    "aws_vpc_security_group_ingress_rule",
                    &rule_name,
                    "CKV_AWS_260",
                    reason,
                ));
            }
        }
    }

    let port = app.service.port;
    blocks.push(sg_rule(
        "aws_vpc_security_group_egress_rule",
        "alb_to_instances",
        "alb",
        "Load balancer to the instances on the service port",
        Target::Group("instance"),
        port,
    ));
    blocks.push(sg_rule(
        "aws_vpc_security_group_ingress_rule",
        "instance_from_alb",
        "instance",
        "Service port, from the load balancer only",
        Target::Group("alb"),
        port,
    ));
    blocks.push(sg_rule(
        "aws_vpc_security_group_egress_rule",
        "instance_https",
        "instance",
        "HTTPS to AWS APIs (SSM, CloudWatch, S3, KMS)",
        Target::Cidr("0.0.0.0/0"),
        443,
    ));
    TfFile {
        name: "security.tf",
        body: Body::builder().add_blocks(blocks).build(),
        skips,
    }
}

fn group(name: &str, group_name: &str, description: &str) -> Block {
    resource("aws_security_group", name)
        .add_attribute(("name", s(group_name)))
        .add_attribute(("description", s(description)))
        .add_attribute(("vpc_id", r("local.vpc_id")))
        .add_attribute(("tags", super::quoted_obj([("Name", s(group_name))])))
        .build()
}

enum Target {
    Group(&'static str),
    Cidr(&'static str),
}

fn sg_rule(
    kind: &str,
    name: &str,
    group: &str,
    description: &str,
    target: Target,
    port: u16,
) -> Block {
    let mut b = resource(kind, name)
        .add_attribute((
            "security_group_id",
            r(&format!("aws_security_group.{group}.id")),
        ))
        .add_attribute(("description", s(description)));
    b = match target {
        Target::Group(other) => b.add_attribute((
            "referenced_security_group_id",
            r(&format!("aws_security_group.{other}.id")),
        )),
        Target::Cidr(cidr) => b.add_attribute(("cidr_ipv4", Expression::String(cidr.into()))),
    };
    b.add_attribute(("ip_protocol", s("tcp")))
        .add_attribute(("from_port", port))
        .add_attribute(("to_port", port))
        .build()
}
