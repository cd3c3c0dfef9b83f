//! `network`: the VPC, the load balancer's subnets and who may reach it.

use super::super::fields::{Field, Fields};
use super::super::tree::{Cx, NBlock};
use super::super::values as v;
use crate::diagnostics::{Code, Diagnostic};
use crate::model::Network;
use crate::schema;

pub(super) fn network(cx: &mut Cx, b: Option<&NBlock>, public: bool) -> Option<Network> {
    let default_allow: Vec<String> = if public {
        vec!["0.0.0.0/0".into()]
    } else {
        vec![
            "10.0.0.0/8".into(),
            "172.16.0.0/12".into(),
            "192.168.0.0/16".into(),
        ]
    };
    let Some(b) = b else {
        return Some(Network {
            vpc: None,
            subnets: Vec::new(),
            allow: default_allow,
        });
    };
    let f = Fields::new(&schema::NETWORK, Some(&b.node));
    let mut ok = true;
    let vpc = match f.string(cx, "vpc") {
        Field::Ok(s, _) => Some(s),
        Field::Bad => {
            ok = false;
            None
        }
        Field::Absent => None,
    };
    let mut subnets: Vec<String> = Vec::new();
    match f.string_list(cx, "subnets") {
        Field::Ok(items, list_span) => {
            for (s, span) in &items {
                if v::is_subnet(s) {
                    if subnets.contains(s) {
                        ok = false;
                        cx.push(
                            Diagnostic::new(
                                Code::Duplicate,
                                format!("subnet `{s}` is listed twice"),
                            )
                            .label(*span, "listed again")
                            .help("list each subnet once"),
                        );
                    } else {
                        subnets.push(s.clone());
                    }
                } else {
                    ok = false;
                    cx.push(
                        Diagnostic::new(
                            Code::SubnetId,
                            format!("`{}` is not a subnet id", s.escape_debug()),
                        )
                        .label(*span, "expected `subnet-` and 8 or 17 hex digits")
                        .help("use ids like `\"subnet-0a1b2c3d4e5f60718\"`"),
                    );
                }
            }
            if ok && subnets.len() < 2 {
                ok = false;
                cx.push(
                    Diagnostic::new(
                        Code::TooFewSubnets,
                        format!(
                            "{} subnet given; the load balancer needs two or more",
                            subnets.len()
                        ),
                    )
                    .label(list_span, "fewer than two subnets")
                    .help("list subnets in at least two Availability Zones"),
                );
            }
        }
        Field::Bad => ok = false,
        Field::Absent => {}
    }
    match (f.attr("vpc"), f.attr("subnets")) {
        (Some(a), None) if !f.had_errors() => {
            ok = false;
            cx.push(
                Diagnostic::new(Code::TooFewSubnets, "`network` names a VPC but no subnets")
                    .label(a.key.span, "the load balancer needs subnets of this VPC")
                    .help("add `subnets = [\"subnet-...\", \"subnet-...\"]` (two or more)"),
            );
        }
        (None, Some(a)) if !f.had_errors() => {
            ok = false;
            cx.push(
                Diagnostic::new(Code::MissingKey, "`network` lists subnets but no VPC")
                    .label(a.key.span, "subnets of which VPC?")
                    .help("add `vpc = \"vpc-...\"`"),
            );
        }
        _ => {}
    }
    let allow = match f.string_list(cx, "allow") {
        Field::Absent => default_allow,
        Field::Bad => {
            ok = false;
            Vec::new()
        }
        Field::Ok(items, list_span) => {
            let mut out = Vec::new();
            for (s, span) in items {
                match v::cidr(&s) {
                    Ok(()) => {
                        if !out.contains(&s) {
                            out.push(s)
                        }
                    }
                    Err(fix) => {
                        ok = false;
                        let help = match fix {
                            Some(f) => format!("host bits are set; did you mean `{f}`?"),
                            None => "write an IPv4 CIDR such as `10.0.0.0/8`".into(),
                        };
                        cx.push(
                            Diagnostic::new(
                                Code::Cidr,
                                format!("`{}` is not a valid CIDR", s.escape_debug()),
                            )
                            .label(span, "invalid CIDR")
                            .help(help),
                        );
                    }
                }
            }
            if out.is_empty() && ok {
                ok = false;
                cx.push(
                    Diagnostic::new(Code::Cidr, "`allow` is empty")
                        .label(list_span, "nothing could reach the load balancer")
                        .help("list the CIDRs of the clients, e.g. `[\"10.0.0.0/8\"]`"),
                );
            }
            out
        }
    };
    ok.then_some(Network {
        vpc,
        subnets,
        allow,
    })
}
