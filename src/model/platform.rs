//! The platform model: what `paasc bootstrap` creates in one account and
//! region, derived from every app and env of the specs it is given.
//!
//! Input: the validated models of every spec and env, and the runner's tools.
//! Output (built by `crate::bootstrap`): one [`Platform`] per account and
//! region that any pipeline runs in or any app lives in. The platform
//! emitter (`emit::platform`) turns each into a Terraform root module.
//!
//! Invariants: every name here comes from `model::names`; apps are sorted by
//! (name, env); lists are sorted and deduplicated, so the same specs give the
//! same platforms in any order of the files.

use serde::Serialize;

/// One Terraform root module: one account, one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Platform {
    pub account: String,
    pub region: String,
    /// This account runs pipelines in this region.
    pub pipeline: Option<PipelinePart>,
    /// This account hosts apps in this region (their provision role, keys).
    pub host: Option<HostPart>,
    /// The spec files the platform was derived from (file names only).
    pub sources: Vec<String>,
}

/// The pipeline side: what the first stages need before any app module exists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelinePart {
    /// Every app and env whose pipeline runs here.
    pub apps: Vec<PipelineApp>,
    /// Subnets the specs name for the builder and runner (`pipeline.subnet`);
    /// empty: the default VPC's default subnets.
    pub subnets: Vec<String>,
    /// The runner's and builder's tools, pinned by sha256.
    pub tools: Vec<Tool>,
    /// Whether any pipeline here is served by `paasc worker` (activities).
    pub activity_workers: bool,
}

/// One app and env whose pipeline runs in this platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PipelineApp {
    pub name: String,
    pub env: String,
    /// The account the app lives in (its provision role).
    pub account: String,
    pub state_machine_name: String,
    /// The state machine's role (`paas-sfn-<app>-<env>`).
    pub role_name: String,
    /// IAM actions of the AWS service calls the generated state machine
    /// makes with its own role (derived from its Task states), sorted.
    pub actions: Vec<String>,
    /// IAM actions of the calls it makes through the app account's
    /// provision role (Tasks with `Credentials`), sorted.
    pub remote_actions: Vec<String>,
    /// The provision role its cross-account tasks and Terraform assume.
    pub provision_role_arn: String,
    /// The app's KMS key as the pipeline names it (alias ARN or key ARN).
    pub app_key: String,
    /// The SNS topic the pipeline notifies (the spec's or the platform's).
    pub topic_arn: String,
    /// The parameter path (`/paas/<app>/<env>/`).
    pub parameter_path: String,
    /// SSM document name prefix (`paas-<app>-<env>-`).
    pub document_prefix: String,
    /// Activity ARNs its stages wait on (`workers = activity`), sorted.
    pub activities: Vec<String>,
}

/// The app-account side: what lets a pipeline act in this account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostPart {
    /// Roles (runner and state machine roles of the pipeline accounts) that
    /// may assume the provision role, sorted.
    pub trusted: Vec<String>,
    /// Every app and env living here.
    pub apps: Vec<HostApp>,
    /// Create the Auto Scaling service-linked role here (once per account:
    /// in its first region; a variable turns it off where it exists).
    pub create_autoscaling_role: bool,
}

/// One app and env living in this account and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostApp {
    pub name: String,
    pub env: String,
    /// `alias/paas-<app>-<env>` when the spec names no `kms` (bootstrap creates it).
    pub managed_key_alias: Option<String>,
    /// Accounts the AMI is shared with (their roots may use the key to launch).
    pub share: Vec<String>,
    /// The runner role of the pipeline that bakes and provisions it.
    pub runner_role_arn: String,
    /// Buckets the app module creates (logs, ALB logs), for the provision role.
    pub buckets: Vec<String>,
    /// The app's CloudWatch log group.
    pub log_group: String,
    /// IAM actions its state machine makes here through the provision role.
    pub remote_actions: Vec<String>,
    /// Name prefix of the app's AWS resources (`<app>-<env>`).
    pub prefix: String,
}

/// A file the runner or the builder installs, fetched from the artifact
/// bucket and checked against its sha256 before use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tool {
    /// What it is (`terraform`, `packer`, `cinc-rpm`, ...).
    pub name: String,
    /// The file name, as in the tools directory and under `tools/` in the bucket.
    pub file: String,
    /// The version, read from the file name.
    pub version: String,
    pub sha256: String,
    pub bytes: u64,
    /// Where it is installed: the runner, or the builder of some base family.
    pub target: ToolTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToolTarget {
    Runner,
    /// Builders of rpm-based images (Amazon Linux, RHEL and relatives).
    BuilderRpm,
    /// Builders of deb-based images (Ubuntu, Debian).
    BuilderDeb,
}

/// `/paas/platform/config`, as the platform module writes it (JSON) and
/// `paasc deploy` reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PlatformConfig {
    pub schema: u32,
    pub account: String,
    pub region: String,
    pub platform_key_arn: String,
    pub artifact_bucket: String,
    pub state_bucket: String,
    pub audit_table: String,
    pub releases_table: String,
    pub topic_arn: String,
    pub runner_role_arn: String,
    pub runner_asg: String,
    pub runner_instance_parameter: String,
    pub builder_instance_profile: String,
}

/// `/paas/platform/apps/<app>/<env>`: what the platform knows of one app and env.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PlatformApp {
    pub state_machine: String,
    pub state_machine_role_arn: String,
    pub app_account: String,
    pub provision_role_arn: String,
    pub app_key: String,
    pub topic_arn: String,
}
