//! Terraform root module: everything the Provision stage applies.
//!
//! Input: one validated `App`. Output: `terraform/*.tf` artifacts (versions,
//! variables, network, kms, security, iam, storage, lb, compute, outputs),
//! each starting with the paasc header line.
//!
//! Invariants:
//! - Every file is built with the `hcl` crate's builders; references such as
//!   `aws_lb.this.arn` are traversal expressions, user text is only ever a
//!   string literal (the formatter escapes `${`/`%{` in literals).
//! - The formatted text is byte-identical to what `terraform fmt` would
//!   produce (see `text::align_assignments`), so `terraform fmt -check` passes.
//! - Nothing opens port 22; every storage resource is encrypted with the
//!   app's KMS key except the ALB access-log bucket (ALB supports SSE-S3 only).
//! - Checkov skips are only the design-specific ones in [`skips`], inserted as
//!   `#checkov:skip=` comments inside the resource they apply to.
//! - The interface (variables, outputs) is the cross-artifact contract: see
//!   `docs/artifacts/terraform.md`.

use super::hcl::render;
use super::{header, Artifact, InternalError};
use crate::model::App;

pub(crate) use super::hcl::{
    binop, block, block1, call, cond, data, fit_name, ident_obj, interp, quoted_obj, r, resource,
    s, strs, TfFile,
};

mod alarms;
mod compute;
mod iam;
mod kms;
mod lb;
mod network;
mod security;
pub mod skips;
mod storage;
mod versions;

/// Every file of the root module for one app/env, sorted by path.
pub fn emit(app: &App) -> Result<Vec<Artifact>, InternalError> {
    let files = vec![
        versions::versions(app),
        versions::variables(app),
        network::emit(app),
        kms::emit(app),
        security::emit(app),
        iam::emit(app),
        storage::emit(app),
        lb::emit(app),
        compute::emit(app),
        alarms::emit(app),
        versions::outputs(app),
    ];
    let mut out = files
        .into_iter()
        .map(|f| {
            Ok(Artifact::new(
                format!("terraform/{}", f.name),
                render("terraform", &header(app, "#"), &f)?,
            ))
        })
        .collect::<Result<Vec<Artifact>, InternalError>>()?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

// ---------------------------------------------------------------------------
// Names derived from the model that only this module needs.

/// The AWS partition of a region (ARNs are built without data sources so the
/// module stays readable and plan-time cheap).
pub(crate) fn partition(app: &App) -> &'static str {
    app.partition()
}

/// Load balancer and target group names: at most 32 characters and never
/// starting with `internal-` (reserved by ELB).
pub(crate) fn elb_name(base: &str) -> String {
    let base = if base.starts_with("internal-") {
        format!("paas-{base}")
    } else {
        base.to_string()
    };
    fit_name(&base, 32)
}

#[cfg(test)]
mod tests;
