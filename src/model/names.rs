//! The contract between artifacts: every name two artifacts (or an artifact
//! and `paasc deploy`) must agree on, derived from the model in one place.
//!
//! Emitters never import each other, and deploy never reads an emitter's
//! internals: the Packer variable the bake document sets, the Terraform
//! output the state machine reads, the SSM document a task runs, the
//! parameter deploy writes and the state machine reads, are all named here,
//! so a rename is one edit and a mismatch fails to compile.

use super::{App, Kms, Strategy};
use crate::hash::sha256_hex;

/// The AWS partition of a region code (`aws`, `aws-cn`, `aws-us-gov`, ...).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// Domain suffix of service principals in a partition (`logs.eu-west-1.amazonaws.com`).
pub fn service_domain(partition: &str) -> &'static str {
    if partition == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` (region and
/// account empty for global resources such as IAM and S3).
pub fn arn(partition: &str, service: &str, region: &str, account: &str, resource: &str) -> String {
    format!("arn:{partition}:{service}:{region}:{account}:{resource}")
}

/// Paths of artifacts inside `DIR/<app>/<env>/` that other artifacts or
/// deploy look up.
/// The packer-plugin-amazon release paasc's templates are validated with
/// (`pipeline.packer_plugin` overrides it).
pub const DEFAULT_PACKER_PLUGIN: &str = "1.3.9";
/// The hashicorp/aws provider release paasc's modules are validated with
/// (`pipeline.aws_provider` overrides it for app modules).
pub const DEFAULT_AWS_PROVIDER: &str = "5.100.0";

/// The builder's tools (Cinc, the CloudWatch agent): the bake copies the
/// platform's pinned files beside the template, the template installs them.
pub mod builder_tools {
    /// Beside `packer/` in the bake's working directory, with `SHA256SUMS`.
    pub const DIR: &str = "tools";
    /// Whether the base installs `.deb` packages (else `.rpm`).
    pub fn deb_family(platform: &str) -> bool {
        matches!(platform, "ubuntu" | "debian")
    }
    /// (Cinc client, CloudWatch agent) as globs over the tools' file names
    /// (the tool catalogue's names, `bootstrap::tools`).
    pub fn globs(platform: &str) -> [&'static str; 2] {
        if deb_family(platform) {
            ["cinc_*_amd64.deb", "amazon-cloudwatch-agent-*_amd64.deb"]
        } else {
            ["cinc-[0-9]*.rpm", "amazon-cloudwatch-agent-*.x86_64.rpm"]
        }
    }
}

pub mod path {
    pub const MANIFEST: &str = "manifest.json";
    pub const STATE_MACHINE: &str = "stepfunctions/pipeline.asl.json";
    pub const PACKER_TEMPLATE: &str = "packer/image.pkr.hcl";
    pub const PACKER_PLUGINS: &str = "packer/plugins.pkr.hcl";
    pub const CHEF_NODE: &str = "chef/node.json";
    /// sha256 of every other file under `chef/` (`sha256sum --check` format).
    pub const CHEF_SUMS: &str = "chef/SHA256SUMS";
}

/// The state machine's state names that `deploy --wait`, tests and the
/// docs refer to. Every state of a stage has a name starting with the
/// stage's (`BakeryWait` belongs to `Bakery`).
pub mod state {
    pub const PRE_PROVISION: &str = "PreProvision";
    pub const BAKERY: &str = "Bakery";
    pub const PROVISION: &str = "Provision";
    pub const VALIDATION: &str = "Validation";
    pub const POST_PROVISION: &str = "PostProvision";
    /// First state of the failure path (a `Choice`: roll back when Provision produced outputs).
    pub const ROLLBACK: &str = "Rollback";
    pub const NOTIFY_FAILURE: &str = "NotifyFailure";
    pub const NOTIFY_SUCCESS: &str = "NotifySuccess";
    pub const CLOSE_AUDIT_RECORD: &str = "CloseAuditRecord";
    pub const FAILED: &str = "Failed";
    pub const SUCCEEDED: &str = "Succeeded";
    /// Another execution of the app and env holds the release: the failure
    /// path reports `paasc.ReleaseInProgress` (nothing to roll back).
    pub const RELEASE_IN_PROGRESS: &str = "ReleaseInProgress";
    /// The success path gives the release back (before notifying).
    pub const RELEASE_LOCK: &str = "ReleaseLock";
    /// The failure path gives the release back (after the audit record).
    pub const RELEASE_LOCK_AFTER_FAILURE: &str = "ReleaseLockAfterFailure";
    /// The five stages, in order.
    pub const STAGES: [&str; 5] = [PRE_PROVISION, BAKERY, PROVISION, VALIDATION, POST_PROVISION];
}

/// The pipeline stages that run tools (SSM documents, activities, Lambda
/// functions), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ToolStage {
    Bake,
    Provision,
    Validate,
    Post,
}

impl ToolStage {
    pub const ALL: [ToolStage; 4] = [
        ToolStage::Bake,
        ToolStage::Provision,
        ToolStage::Validate,
        ToolStage::Post,
    ];

    /// The stage's word in document, activity and file names (`ssm/bake.json`).
    pub fn word(self) -> &'static str {
        match self {
            ToolStage::Bake => "bake",
            ToolStage::Provision => "provision",
            ToolStage::Validate => "validate",
            ToolStage::Post => "post",
        }
    }

    /// The pipeline stage (state name) the tool stage runs in.
    pub fn state(self) -> &'static str {
        match self {
            ToolStage::Bake => state::BAKERY,
            ToolStage::Provision => state::PROVISION,
            ToolStage::Validate => state::VALIDATION,
            ToolStage::Post => state::POST_PROVISION,
        }
    }

    /// The SSM command document's path among the artifacts.
    pub fn document_path(self) -> String {
        format!("ssm/{}.json", self.word())
    }

    pub fn from_word(word: &str) -> Option<ToolStage> {
        ToolStage::ALL.into_iter().find(|s| s.word() == word)
    }
}

/// How `paasc worker` fails a stage's task, as the error name it sends
/// (`paasc.<State><Kind>`, e.g. `paasc.BakeryCommandFailed`). None of these
/// is retried: a second attempt would fail the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerError {
    /// The script exited non-zero.
    CommandFailed,
    /// The script ran past the document's `timeoutSeconds`.
    TimedOut,
    /// The script succeeded but printed no result of the stage's shape.
    ResultInvalid,
    /// The task was not one the worker may run: a parameter outside its
    /// pattern, artifacts that are not the release's, an unknown stage.
    Refused,
}

impl WorkerError {
    pub const ALL: [WorkerError; 4] = [
        WorkerError::CommandFailed,
        WorkerError::TimedOut,
        WorkerError::ResultInvalid,
        WorkerError::Refused,
    ];

    pub fn name(self, stage: ToolStage) -> String {
        let kind = match self {
            WorkerError::CommandFailed => "CommandFailed",
            WorkerError::TimedOut => "TimedOut",
            WorkerError::ResultInvalid => "ResultInvalid",
            WorkerError::Refused => "Refused",
        };
        format!("paasc.{}{kind}", stage.state())
    }
}

/// The error `paasc worker` sends for a task it gave up because it was told
/// to stop (SIGTERM): the state machine retries it, on the next worker.
pub const WORKER_STOPPED: &str = "paasc.WorkerStopped";

/// The execution input `paasc deploy` starts every execution with (field
/// names; the state machine reads them as `$.<name>`).
pub mod input {
    pub const ARTIFACT_BUCKET: &str = "artifact_bucket";
    pub const ARTIFACT_PREFIX: &str = "artifact_prefix";
    pub const PARAMETER_PATH: &str = "parameter_path";
    pub const CONTENT_HASH: &str = "content_hash";
    pub const VERSION: &str = "version";
    pub const RUNNER_INSTANCE_ID: &str = "runner_instance_id";
    pub const STATE_BUCKET: &str = "state_bucket";
    /// The platform key's ARN (Terraform state, the pipeline's parameters).
    pub const PLATFORM_KEY: &str = "platform_key";
    /// Who started the release (the deploying identity's ARN, from STS).
    pub const CALLER: &str = "caller";
    pub const ALL: [&str; 9] = [
        ARTIFACT_BUCKET,
        ARTIFACT_PREFIX,
        PARAMETER_PATH,
        CONTENT_HASH,
        VERSION,
        RUNNER_INSTANCE_ID,
        STATE_BUCKET,
        PLATFORM_KEY,
        CALLER,
    ];
    /// `$.<name>`.
    pub fn path(name: &str) -> String {
        format!("$.{name}")
    }
}

/// Names of the SecureString parameters under `App::parameter_path()`.
pub mod parameter {
    /// The resolved app model (deploy writes it).
    pub const CONFIG: &str = "config";
    /// Where this deploy's artifacts are, with their sha256 (deploy writes it).
    pub const ARTIFACTS: &str = "artifacts";
    /// The pipeline inputs of the latest execution (PreProvision writes it).
    pub const EXECUTION: &str = "execution";
}

/// Variables of the Packer template the bake document sets with `-var`.
pub mod packer_var {
    pub const VERSION: &str = "version";
    /// AMI id that replaces the `source_ami_filter` lookup when not empty.
    pub const SOURCE_AMI: &str = "source_ami";
    /// Subnet of the temporary builder instance (`""`: the bake fills in the
    /// runner's own subnet).
    pub const SUBNET_ID: &str = "subnet_id";
    /// Overrides the AMI name's timestamp (`""`: the time of the build).
    pub const BUILD_TIMESTAMP: &str = "build_timestamp";
    /// The root device of the base image (the launch mapping resizes it).
    pub const ROOT_DEVICE_NAME: &str = "root_device_name";
    /// The instance profile of the builder (`paasc bootstrap` creates it,
    /// so the runner needs no IAM write permission).
    pub const INSTANCE_PROFILE: &str = "builder_instance_profile";
}

/// Parameters of the SSM command documents, which the state machine's
/// `sendCommand` tasks pass (each a list of one string).
pub mod doc_param {
    pub const ARTIFACT_BUCKET: &str = "ArtifactBucket";
    pub const ARTIFACT_PREFIX: &str = "ArtifactPrefix";
    pub const EXECUTION_ID: &str = "ExecutionId";
    pub const VERSION: &str = "Version";
    pub const SOURCE_AMI: &str = "SourceAmi";
    pub const BUILD_TIMESTAMP: &str = "BuildTimestamp";
    pub const AMI_ID: &str = "AmiId";
    pub const BLUE_WEIGHT: &str = "BlueWeight";
    pub const GREEN_WEIGHT: &str = "GreenWeight";
    pub const ASG_NAME: &str = "AsgName";
    pub const ALB_DNS_NAME: &str = "AlbDnsName";
    pub const STATE_BUCKET: &str = "StateBucket";
    pub const STATE_KMS_KEY: &str = "StateKmsKey";
    pub const LIVE_COLOUR: &str = "LiveColour";
    pub const LIVE_AMI_ID: &str = "LiveAmiId";
    pub const COLOUR: &str = "Colour";
}

/// The colours of a blue-green release, each a fleet behind its own target group.
pub const COLOURS: [&str; 2] = ["blue", "green"];

/// The request header the main listener routes by colour (the smoke test
/// reaches the idle colour before any traffic shifts to it).
pub const COLOUR_HEADER: &str = "X-Paas-Colour";

/// Variables of the Terraform module the provision document sets with `-var`.
pub mod tf_var {
    pub const AMI_ID: &str = "ami_id";
    pub const BLUE_WEIGHT: &str = "blue_weight";
    pub const GREEN_WEIGHT: &str = "green_weight";
    pub const LIVE_COLOUR: &str = "live_colour";
    pub const LIVE_AMI_ID: &str = "live_ami_id";
}

/// Outputs of the Terraform module that the state machine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TfOutput {
    AlbDnsName,
    ListenerArn,
    AsgName,
    LogBucket,
    AuditTable,
    InstanceRoleArn,
    KmsKeyArn,
    LogGroup,
    BlueTargetGroupArn,
    GreenTargetGroupArn,
    TargetGroupArn,
    BlueAsgName,
    GreenAsgName,
    ResourceArns,
}

impl TfOutput {
    pub fn name(self) -> &'static str {
        match self {
            TfOutput::AlbDnsName => "alb_dns_name",
            TfOutput::ListenerArn => "listener_arn",
            TfOutput::AsgName => "asg_name",
            TfOutput::LogBucket => "log_bucket",
            TfOutput::AuditTable => "audit_table",
            TfOutput::InstanceRoleArn => "instance_role_arn",
            TfOutput::KmsKeyArn => "kms_key_arn",
            TfOutput::LogGroup => "log_group",
            TfOutput::BlueTargetGroupArn => "blue_target_group_arn",
            TfOutput::GreenTargetGroupArn => "green_target_group_arn",
            TfOutput::TargetGroupArn => "target_group_arn",
            TfOutput::BlueAsgName => "blue_asg_name",
            TfOutput::GreenAsgName => "green_asg_name",
            TfOutput::ResourceArns => "resource_arns",
        }
    }

    /// The outputs later states read, per strategy (the state machine keeps
    /// only these; the module emits them all).
    pub fn read_by_pipeline(strategy: Strategy) -> &'static [TfOutput] {
        match strategy {
            Strategy::BlueGreen => &[
                TfOutput::AlbDnsName,
                TfOutput::ListenerArn,
                TfOutput::BlueTargetGroupArn,
                TfOutput::GreenTargetGroupArn,
                TfOutput::ResourceArns,
            ],
            Strategy::Rolling => &[
                TfOutput::AlbDnsName,
                TfOutput::AsgName,
                TfOutput::ListenerArn,
                TfOutput::TargetGroupArn,
                TfOutput::ResourceArns,
            ],
        }
    }
}

/// The platform `paasc bootstrap` creates once per pipeline account and
/// region (and, in app accounts, the provision role and the app keys):
/// every name the platform module, the pipeline's artifacts and deploy
/// share. Global IAM names carry the region, since one account may host a
/// platform (or apps) in several regions.
pub mod platform {
    use super::{arn, partition};

    /// Where the platform describes itself (SecureString JSON, platform key).
    pub const CONFIG_PARAMETER: &str = "/paas/platform/config";
    /// What the platform knows of one app and env (SecureString JSON).
    pub fn app_parameter(app: &str, env: &str) -> String {
        format!("/paas/platform/apps/{app}/{env}")
    }
    /// The runner writes its instance id here at boot (String).
    pub const RUNNER_INSTANCE_PARAMETER: &str = "/paas/platform/runner/instance-id";
    /// The platform key: artifacts, state, parameters, audit, notifications.
    pub const KMS_ALIAS: &str = "alias/paas-platform";
    /// Audit records, one per execution: key `release` (`<app>/<env>`), `execution_id`.
    pub const AUDIT_TABLE: &str = "paas-audit";
    /// Release state, one item per app and env: key `release` (`<app>/<env>`).
    /// `running` holds the ARN of the execution that has the release (one
    /// at a time); `last_execution` and `last_status` the latest to finish.
    pub const RELEASES_TABLE: &str = "paas-releases";
    /// Attributes of a `paas-releases` item.
    pub mod release_item {
        pub const RUNNING: &str = "running";
        pub const RUNNING_SINCE: &str = "running_since";
        pub const LAST_EXECUTION: &str = "last_execution";
        pub const LAST_STATUS: &str = "last_status";
        /// Blue-green: the colour that takes the traffic (`blue`, `green`;
        /// absent before the first release succeeded).
        pub const LIVE_COLOUR: &str = "live_colour";
        /// The AMI the live hosts run (the previous release's AMI for the next one).
        pub const LIVE_AMI: &str = "live_ami";
    }
    /// Where pipelines notify when their spec names no `pipeline.notify`.
    pub const TOPIC: &str = "paas-notifications";
    /// The runner's auto scaling group (of one).
    pub const RUNNER_ASG: &str = "paas-runner";
    /// Tag every runner instance carries (`paasc:role = runner`).
    pub const RUNNER_TAG: (&str, &str) = ("paasc:role", "runner");
    /// Key prefix of the runner's and builder's tools in the artifact bucket.
    pub const TOOLS_PREFIX: &str = "tools/";
    /// Where every stage's command output goes (SSM Run Command to CloudWatch Logs).
    pub const COMMAND_LOG_GROUP: &str = "/paas/platform/commands";
    /// On the runner: the environment file every stage script sources.
    pub const RUNNER_ENV_FILE: &str = "/etc/paasc/env";

    pub fn artifact_bucket(account: &str, region: &str) -> String {
        format!("paas-artifacts-{account}-{region}")
    }
    pub fn state_bucket(account: &str, region: &str) -> String {
        format!("paas-tfstate-{account}-{region}")
    }
    /// S3 server access logs of the platform's buckets (SSE-S3: S3 log
    /// delivery cannot write SSE-KMS).
    pub fn access_log_bucket(account: &str, region: &str) -> String {
        format!("paas-access-logs-{account}-{region}")
    }
    pub fn runner_role(region: &str) -> String {
        format!("paas-runner-{region}")
    }
    pub fn builder_role(region: &str) -> String {
        format!("paas-builder-{region}")
    }
    /// In every app account: the role the runner and the state machine act
    /// through (Terraform's provider, the cross-account tasks).
    pub fn provision_role(region: &str) -> String {
        format!("paas-provision-{region}")
    }
    /// In every app account: the most any role the app modules create may do.
    pub fn boundary_policy(region: &str) -> String {
        format!("paas-boundary-{region}")
    }
    /// In every app account: the most the provision role itself may do.
    pub fn provision_boundary_policy(region: &str) -> String {
        format!("paas-provision-boundary-{region}")
    }
    pub fn role_arn(region: &str, account: &str, name: &str) -> String {
        arn(
            partition(region),
            "iam",
            "",
            account,
            &format!("role/{name}"),
        )
    }
    pub fn policy_arn(region: &str, account: &str, name: &str) -> String {
        arn(
            partition(region),
            "iam",
            "",
            account,
            &format!("policy/{name}"),
        )
    }
    /// The Auto Scaling service-linked role of an account.
    pub fn autoscaling_service_role_arn(region: &str, account: &str) -> String {
        arn(
            partition(region),
            "iam",
            "",
            account,
            "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        )
    }
}

/// Names derived from the spec, shared by every emitter so they agree.
impl App {
    /// The AWS partition of the app's region.
    pub fn partition(&self) -> &'static str {
        partition(&self.region)
    }
    /// `<app>-<env>`: prefix for AWS resource names.
    pub fn prefix(&self) -> String {
        format!("{}-{}", self.name, self.env)
    }
    /// The auto scaling group of a fleet: `fleet` is `this` (rolling) or a
    /// colour (blue-green).
    pub fn asg_name(&self, fleet: &str) -> String {
        if fleet == "this" {
            self.prefix()
        } else {
            format!("{}-{fleet}", self.prefix())
        }
    }
    /// What every CloudWatch alarm of one fleet's target group starts with
    /// (`DescribeAlarms`' `AlarmNamePrefix` finds exactly these).
    pub fn alarm_prefix(&self, fleet: &str) -> String {
        format!("paas-{}-{fleet}-", self.prefix())
    }
    /// The Step Functions state machine name.
    pub fn state_machine_name(&self) -> String {
        format!("paas-{}-{}", self.name, self.env)
    }
    /// SSM Parameter Store path prefix for config, ends with `/`.
    pub fn parameter_path(&self) -> String {
        format!("/paas/{}/{}/", self.name, self.env)
    }
    /// The full name of one of the app's parameters (see [`parameter`]).
    pub fn parameter(&self, name: &str) -> String {
        format!("{}{name}", self.parameter_path())
    }
    /// DynamoDB audit table name.
    pub fn audit_table(&self) -> String {
        format!("paas-audit-{}-{}", self.name, self.env)
    }
    /// CloudWatch log group name.
    pub fn log_group(&self) -> String {
        format!("/paas/{}/{}", self.name, self.env)
    }
    /// Whether the AMI is baked in another account than the app's.
    pub fn bakes_elsewhere(&self) -> bool {
        self.pipeline.account != self.account
    }
    /// The builder's subnet as the spec gives it: the pipeline's, else (one
    /// account) the app's first; None: the runner's own (the bake asks).
    pub fn builder_subnet(&self) -> Option<String> {
        self.pipeline.subnet.clone().or_else(|| {
            (!self.bakes_elsewhere())
                .then(|| self.network.subnets.first().cloned())
                .flatten()
        })
    }
    /// Name of the SSM command document of a tool stage: `paas-<app>-<env>-<stage>`.
    pub fn ssm_document_name(&self, stage: ToolStage) -> String {
        format!("{}{}", self.ssm_document_prefix(), stage.word())
    }
    /// What every SSM document of the app and env starts with: `paas-<app>-<env>-`.
    pub fn ssm_document_prefix(&self) -> String {
        format!("paas-{}-{}-", self.name, self.env)
    }
    /// `workers = activity`: the activity a tool stage waits on, in the
    /// account of the state machine (the pipeline account):
    /// `paas-<app>-<env>-<stage>`, like the stage's SSM document.
    pub fn activity_arn(&self, stage: ToolStage) -> String {
        arn(
            self.partition(),
            "states",
            &self.region,
            &self.pipeline.account,
            &format!("activity:paas-{}-{}-{}", self.name, self.env, stage.word()),
        )
    }
    /// `alias/paas-<app>-<env>`: the alias of the key created for the app
    /// when the spec names no `kms`.
    pub fn managed_kms_alias(&self) -> String {
        format!("alias/paas-{}-{}", self.name, self.env)
    }
    /// The app's KMS key as any account can name it: key ARNs as they are,
    /// aliases as alias ARNs in the app's account (a bare alias resolves in
    /// the caller's account).
    pub fn kms_key_arn(&self) -> String {
        let alias = match &self.kms {
            Kms::KeyArn(arn) => return arn.clone(),
            Kms::Alias(alias) => alias.clone(),
            Kms::Managed => self.managed_kms_alias(),
        };
        arn(self.partition(), "kms", &self.region, &self.account, &alias)
    }
    /// The role in the app's account that the runner and the state machine
    /// act through (the provision role `paasc bootstrap` creates there).
    pub fn provision_role_arn(&self) -> String {
        platform::role_arn(
            &self.region,
            &self.account,
            &platform::provision_role(&self.region),
        )
    }
    /// The pipeline account's artifact bucket (the platform's).
    pub fn artifact_bucket(&self) -> String {
        platform::artifact_bucket(&self.pipeline.account, &self.region)
    }
    /// The pipeline account's Terraform state bucket (the platform's).
    pub fn state_bucket(&self) -> String {
        platform::state_bucket(&self.pipeline.account, &self.region)
    }
    /// The key of the app module's Terraform state in the state bucket.
    pub fn state_key(&self) -> String {
        format!("{}/{}/terraform.tfstate", self.name, self.env)
    }
    /// The platform key as the pipeline account names it (bare alias: the
    /// state machine and the runner are in that account).
    pub fn platform_kms_key_id(&self) -> String {
        platform::KMS_ALIAS.to_string()
    }
    /// The name of the state machine's role (one per app and env, created by
    /// `paasc bootstrap` with exactly the calls this app's pipeline makes).
    pub fn pipeline_role_name(&self) -> String {
        fit_name(&format!("paas-sfn-{}-{}", self.name, self.env), 64)
    }
    pub fn pipeline_role_arn(&self) -> String {
        platform::role_arn(
            &self.region,
            &self.pipeline.account,
            &self.pipeline_role_name(),
        )
    }
    /// The runner's role, in the pipeline account.
    pub fn runner_role_arn(&self) -> String {
        platform::role_arn(
            &self.region,
            &self.pipeline.account,
            &platform::runner_role(&self.region),
        )
    }
    /// The instance profile of the temporary builder instance Packer launches.
    pub fn builder_instance_profile(&self) -> String {
        platform::builder_role(&self.region)
    }
    /// The permission boundary of every role the app module creates.
    pub fn boundary_policy_arn(&self) -> String {
        platform::policy_arn(
            &self.region,
            &self.account,
            &platform::boundary_policy(&self.region),
        )
    }
    /// The topic the pipeline notifies: the spec's, else the platform's.
    pub fn notification_topic(&self) -> String {
        match &self.pipeline.notify {
            Some(topic) => topic.clone(),
            None => arn(
                self.partition(),
                "sns",
                &self.region,
                &self.pipeline.account,
                platform::TOPIC,
            ),
        }
    }
    /// The item key of this app and env in the platform's audit and releases tables.
    pub fn release_key(&self) -> String {
        format!("{}/{}", self.name, self.env)
    }
    /// The app module's bucket for the load balancer's access logs (SSE-S3:
    /// ALB log delivery writes nothing else).
    pub fn alb_logs_bucket(&self) -> String {
        fit_name(&format!("{}-alb-logs-{}", self.prefix(), self.account), 63)
    }
    /// Key prefix of the InSpec reports in `logs.bucket`.
    pub fn report_key_prefix(&self) -> &'static str {
        "inspec/"
    }
}

/// `base` when it fits in `max` characters; otherwise a prefix of it, `-`
/// and the first 8 hex digits of its sha256, so long app/env names stay
/// within AWS limits and distinct.
pub fn fit_name(base: &str, max: usize) -> String {
    if base.chars().count() <= max {
        return base.to_string();
    }
    let hash: String = sha256_hex(base.as_bytes()).chars().take(8).collect();
    let keep = max.saturating_sub(hash.len() + 1);
    let head: String = base.chars().take(keep).collect();
    format!("{}-{}", head.trim_end_matches('-'), hash)
}
