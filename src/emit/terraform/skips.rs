//! The only checkov checks this module skips, each with the design reason
//! that makes it not apply. `docs/artifacts/terraform.md` lists the same
//! table; a skip is emitted only in the configuration that needs it.

pub(crate) use crate::emit::hcl::{skip, Skip};

/// Plain HTTP listener (and its checks) when the spec has no certificate.
pub const NO_TLS: &str = "spec opted out of TLS (no service.https; paasc warns W0002)";

/// The ALB access-log bucket cannot use SSE-KMS.
pub const ALB_LOGS_SSE_S3: &str =
    "ALB access logs can only be delivered to SSE-S3 buckets, not SSE-KMS";

/// Buckets hold one app/env's logs in its own region.
pub const SINGLE_REGION: &str = "regional log archive of one app/env; the module is single-region by design (one provider, the spec's region)";

/// Port 80 stays open only to answer with a redirect to HTTPS.
pub const REDIRECT_ONLY: &str =
    "port 80 only answers with a 301 redirect to HTTPS (listener http_redirect)";

/// The spec selected the legacy launch configuration.
pub const LAUNCH_CONFIGURATION: &str =
    "spec selects fleet.launch = configuration (legacy; paasc warns W0001)";

/// Log retention comes from the spec.
pub fn retention(days: u32) -> String {
    format!("retention is the spec's logs.retain ({days} days); the post stage exports logs to the KMS-encrypted logs bucket")
}
