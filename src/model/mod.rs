//! The validated, typed app model: the only input emitters ever see.
//!
//! Input: produced by `validate` from the resolved (merged, interpolated) spec.
//! Output: plain data; every value is final (no `${}` left, units converted,
//! defaults filled in, names checked). Emitters may rely on every invariant
//! documented on these types without re-checking.

use serde::Serialize;
use std::collections::BTreeMap;

/// One app, resolved for one env (`default` when no overlay is selected).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct App {
    /// Lowercase, `[a-z][a-z0-9-]*`, at most 32 characters.
    pub name: String,
    /// The selected env overlay, or `default`. Same charset as `name`.
    pub env: String,
    /// Every env the spec declares, in source order (for `--all-envs`).
    pub envs: Vec<String>,
    /// Owning team; default: the app name.
    pub team: String,
    /// Version string `[A-Za-z0-9._+-]+`; default `0.0.0`.
    pub version: String,
    /// A known AWS region code, e.g. `us-east-1`.
    pub region: String,
    /// The app's AWS account id: exactly 12 digits.
    pub account: String,
    pub kms: Kms,
    /// Spec tags (keys and values checked against AWS tag rules).
    pub tags: BTreeMap<String, String>,
    pub image: Image,
    pub service: Service,
    pub network: Network,
    pub fleet: Fleet,
    pub access: Access,
    pub verify: Vec<Verify>,
    pub logs: Logs,
    pub release: Release,
    pub pipeline: Pipeline,
    pub source: SourceInfo,
}

/// Where the model came from; recorded in `manifest.json` and file headers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceInfo {
    /// The root spec's file name only (never an absolute path), e.g. `payments.paas`.
    pub file_name: String,
    /// sha256 (lowercase hex) over the root file and every `use`d file's bytes, in load order.
    pub sha256: String,
}

/// The KMS key that encrypts everything (AMI, EBS, S3, parameters, logs, DynamoDB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Kms {
    /// `alias/<name>`, full text including the `alias/` prefix.
    Alias(String),
    /// `arn:aws:kms:<region>:<account>:key/<id>` (region/account match the app).
    KeyArn(String),
    /// No `kms` in the spec: the Terraform module creates a key (rotation on).
    Managed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Image {
    pub base: BaseImage,
    /// A known EC2 instance type, e.g. `t3.large`. Default `t3.micro`.
    pub instance: String,
    /// Root volume size in GiB (8..=16384). Default 20.
    pub volume_gib: u32,
    /// Accounts the AMI is shared with (12 digits each, deduplicated, in spec order).
    /// Does not include the app's own account; see `Pipeline::account`.
    pub share: Vec<String>,
    /// The Chef run list, in spec order.
    pub chef: Vec<RunListItem>,
    /// Chef node attributes as a nested JSON object (dotted keys expanded).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// What the run list needs from the chef repo beside the spec (or
    /// `--chef-repo`), resolved and checked; None when there is no repo
    /// (check and build still work; deploy refuses a non-empty run list).
    pub vendor: Option<ChefVendor>,
}

/// The cookbooks and roles a run list needs, every version checked, with
/// their files (text), to be written under `chef/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChefVendor {
    /// The repo's directory as given (for messages; never in artifacts).
    #[serde(skip)]
    pub repo: String,
    /// Sorted by name: the run list's cookbooks and every dependency.
    pub cookbooks: Vec<VendoredCookbook>,
    /// Sorted: the roles the run list reaches.
    pub roles: Vec<String>,
    /// (path under `chef/`, text), sorted by path: `cookbooks/<name>/...`
    /// and `roles/<name>.json`. Not in the model's JSON (the deploy's
    /// `config` parameter): the artifacts carry them.
    #[serde(skip)]
    pub files: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendoredCookbook {
    pub name: String,
    pub version: String,
}

/// A `base` definition (stdlib or user): where the source AMI comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaseImage {
    pub name: String,
    /// AMI owner: 12-digit account id or an alias like `amazon`.
    pub owner: String,
    /// AMI name filter, e.g. `al2023-ami-2023.*-x86_64`.
    pub filter: String,
    /// Login user of the image (for the Packer communicator).
    pub user: String,
    /// InSpec/Chef platform family: `amazon`, `ubuntu`, `redhat`, ...
    pub platform: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunListItem {
    pub kind: RunListKind,
    /// `cookbook` or `cookbook::recipe` for recipes; the role name for roles.
    pub name: String,
    /// Cookbook version pin (`x.y` or `x.y.z`), recipes only.
    pub version: Option<String>,
}

impl RunListItem {
    /// A role (`role[name]`) or a recipe (`cookbook[::recipe][@version]`).
    pub fn new(role: bool, name: String, version: Option<String>) -> Self {
        RunListItem {
            kind: if role {
                RunListKind::Role
            } else {
                RunListKind::Recipe
            },
            name,
            version,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunListKind {
    Recipe,
    Role,
}

impl RunListItem {
    /// Chef's own notation: `recipe[nginx::default@12.2.0]`, `role[web]`.
    pub fn chef_notation(&self) -> String {
        match (self.kind, &self.version) {
            (RunListKind::Recipe, Some(v)) => format!("recipe[{}@{}]", self.name, v),
            (RunListKind::Recipe, None) => format!("recipe[{}]", self.name),
            (RunListKind::Role, _) => format!("role[{}]", self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    /// 1..=65535, never 22.
    pub port: u16,
    /// Health-check path, starts with `/`. Default `/`.
    pub health: String,
    /// ACM certificate ARN (region/account match the app). None = plain HTTP (warned).
    pub https: Option<String>,
    /// Internet-facing ALB when true. Default false (internal).
    pub public: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    /// `vpc-` id; None = the region's default VPC (looked up by data sources).
    pub vpc: Option<String>,
    /// Two or more `subnet-` ids when `vpc` is set; empty when `vpc` is None
    /// (the default VPC's subnets are looked up).
    pub subnets: Vec<String>,
    /// CIDRs allowed to reach the load balancer; never empty. Default: the
    /// RFC 1918 ranges for an internal ALB, `0.0.0.0/0` for a public one.
    pub allow: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fleet {
    /// Invariant: min <= desired <= max, max >= 1.
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    /// Target-tracking average CPU percentage, 1..=100. Default 70.
    pub cpu: u8,
    pub launch: Launch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Launch {
    Template,
    Configuration,
}

/// Resources the instances may use; becomes a least-privilege IAM policy.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Access {
    /// Bucket names (valid S3 names).
    pub s3: Vec<String>,
    /// Table names.
    pub dynamodb: Vec<String>,
    /// Queue names.
    pub sqs: Vec<String>,
    /// SSM parameter paths, each starting with `/`.
    pub secrets: Vec<String>,
}

/// One line of `verify`: either a check or a control pack expanded in place.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verify {
    Check { check: Check },
    Pack { name: String, checks: Vec<Check> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    Port {
        port: u16,
        state: PortState,
    },
    Service {
        name: String,
    },
    /// `constraint` like `>= 3.0.8` (operator and version), or None for "installed".
    Package {
        name: String,
        constraint: Option<String>,
    },
    File {
        path: String,
        state: FileState,
        mode: Option<String>,
        owner: Option<String>,
    },
    Command {
        command: String,
        exit: i32,
    },
    Http {
        path: String,
        status: u16,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PortState {
    Listening,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    Exists,
    Absent,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Logs {
    /// Encrypted S3 bucket for logs and InSpec reports. Default
    /// `<app>-<env>-logs-<account>` (a valid bucket name).
    pub bucket: String,
    /// A CloudWatch-allowed retention in days. Default 90.
    pub retain_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Release {
    pub strategy: Strategy,
    /// Traffic percentages for blue-green, strictly increasing, each 1..=100,
    /// last is 100. Default `[100]`. Always `[100]` for rolling.
    pub shift: Vec<u8>,
    /// Seconds each shift is watched (its alarms) before the next. Default 300.
    pub bake_seconds: u64,
    /// Blue-green: seconds the previous colour keeps its hosts after the
    /// last shift (then scaled to zero). Default 600.
    pub keep_warm_seconds: u64,
    /// Target 5XX responses in one minute that raise the error alarm. Default 10.
    pub alarm_errors: u32,
    /// p99 target response time (seconds) that raises the latency alarm. Default 2.
    pub alarm_latency_seconds: u64,
    /// Validation passes with skipped controls (InSpec exit 101) only when
    /// allowed; default false: a profile skipped whole must not pass.
    pub allow_skipped_controls: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    BlueGreen,
    Rolling,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pipeline {
    pub workers: Workers,
    /// Whole-execution timeout in seconds (1..=31_536_000, Step Functions' limit). Default 7200.
    pub timeout_seconds: u64,
    /// Retry attempts per task (0..=10). Default 2.
    pub retry: u32,
    /// SNS topic ARN for notifications (region/account checked).
    pub notify: Option<String>,
    /// The platform account that runs the pipeline and bakes the AMI; default the app's.
    pub account: String,
    /// A subnet of the pipeline account for the temporary builder instance
    /// (and the runner); None = the app's first subnet, or the default VPC's
    /// (single-account only: a two-account spec must name one).
    pub subnet: Option<String>,
    /// Exact packer-plugin-amazon version (`x.y.z`) the template requires.
    pub packer_plugin: String,
    /// Exact hashicorp/aws provider version (`x.y.z`) the app module requires.
    pub aws_provider: String,
    /// Each tool stage's deadline; with the release's bakes and the failure
    /// path's reserve they fit in `timeout_seconds` (`deadline::plan`).
    pub deadlines: deadline::Deadlines,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workers {
    /// SSM Run Command on the platform's runner.
    Ssm,
    /// Step Functions activities, served by `paasc worker` on the runner.
    Activity,
}

impl App {
    /// Accounts the AMI must be shared with: `image.share` plus the app's own
    /// account when the pipeline bakes elsewhere. Sorted, deduplicated.
    pub fn ami_users(&self) -> Vec<String> {
        let mut users: Vec<String> = self.image.share.clone();
        if self.bakes_elsewhere() {
            users.push(self.account.clone());
        }
        users.sort();
        users.dedup();
        users
    }
    /// Every check the hosts must pass, packs flattened, in spec order.
    pub fn checks(&self) -> impl Iterator<Item = (Option<&str>, &Check)> {
        self.verify.iter().flat_map(|v| match v {
            Verify::Check { check } => vec![(None, check)],
            Verify::Pack { name, checks } => {
                checks.iter().map(|c| (Some(name.as_str()), c)).collect()
            }
        })
    }
}

pub mod deadline;
pub mod names;
pub mod platform;
pub use names::partition;
pub mod sample;
