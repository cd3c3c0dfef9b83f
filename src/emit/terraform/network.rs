//! `network.tf`: where the fleet and load balancer live. The spec's VPC and
//! subnets become locals; without a `network` block the region's default VPC
//! and its default subnets are looked up. Everything else refers to
//! `local.vpc_id` and `local.subnet_ids` only.

use super::{block, data, r, s, strs, TfFile};
use crate::model::App;
use hcl::{Block, Body, Expression};

pub(crate) fn emit(app: &App) -> TfFile {
    let mut body = Body::builder();
    let (vpc_id, subnet_ids): (Expression, Expression) = match &app.network.vpc {
        Some(vpc) => (s(vpc), strs(app.network.subnets.iter().cloned())),
        None => {
            body = body
                .add_block(
                    data("aws_vpc", "default")
                        .add_attribute(("default", true))
                        .build(),
                )
                .add_block(
                    data("aws_subnets", "default")
                        .add_block(filter(
                            "vpc-id",
                            Expression::Array(vec![r("data.aws_vpc.default.id")]),
                        ))
                        .add_block(filter("default-for-az", strs(["true"])))
                        .build(),
                );
            (
                r("data.aws_vpc.default.id"),
                r("data.aws_subnets.default.ids"),
            )
        }
    };
    let locals = block("locals")
        .add_attribute(("vpc_id", vpc_id))
        .add_attribute(("subnet_ids", subnet_ids))
        .build();
    TfFile {
        name: "network.tf",
        body: body.add_block(locals).build(),
        skips: vec![],
    }
}

fn filter(name: &str, values: Expression) -> Block {
    block("filter")
        .add_attribute(("name", s(name)))
        .add_attribute(("values", values))
        .build()
}
