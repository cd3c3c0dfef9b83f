//! The validators of the schema table: checks a value can fail on its own.
//!
//! A rule sees the key and the typed value, never a span: it returns a
//! [`Problem`] (what is wrong, the label's words, the help), and the reader
//! that found the value locates it. Checks that need other keys (`min <=
//! desired <= max`) or the app's region and account (ARNs) live in the
//! block readers.

use crate::diagnostics::{suggest, Code, Diagnostic};
use crate::source::Span;
use crate::validate::tables::{INSTANCE_FAMILIES, INSTANCE_SIZES, MAX_SECONDS, RETENTIONS};
use crate::validate::values as v;

/// What is wrong with a value, before it has a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: Code,
    pub message: String,
    /// The label's text at the value.
    pub label: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(code: Code, message: impl Into<String>, label: impl Into<String>) -> Self {
        Problem {
            code,
            message: message.into(),
            label: label.into(),
            help: None,
        }
    }
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// The diagnostic, labelled at `span`.
    pub fn at(self, span: Span) -> Diagnostic {
        Diagnostic::new(self.code, self.message)
            .label(span, self.label)
            .maybe_help(self.help)
    }
}

pub type Checked = Result<(), Problem>;

/// A key's validator, by the type of value it checks.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    None,
    /// A string (or name) value.
    Str(fn(&str, &str) -> Checked),
    /// An integer value.
    Int(fn(&str, i64) -> Checked),
    /// A duration, in seconds.
    Seconds(fn(&str, u64) -> Checked),
    /// A size, in whole GiB.
    Gib(fn(&str, u64) -> Checked),
    /// Each item of a string list.
    Item(fn(&str, &str) -> Checked),
}

pub fn version(_key: &str, s: &str) -> Checked {
    if v::is_version(s) {
        return Ok(());
    }
    Err(Problem::new(
        Code::Version,
        format!("`{}` is not a valid version", s.escape_debug()),
        "1-64 letters, digits, `.`, `_`, `+`, `-`",
    )
    .help("use a version such as `1.2.3`"))
}

/// An exact `x.y.z` release (a tool version the runner installs).
pub fn exact_version(_key: &str, s: &str) -> Checked {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Ok(());
    }
    Err(Problem::new(
        Code::Version,
        format!("`{}` is not an exact version", s.escape_debug()),
        "expected `MAJOR.MINOR.PATCH`",
    )
    .help("pin the exact release, e.g. `\"1.3.9\"`: the runner installs one version, offline"))
}

pub fn instance_type(_key: &str, s: &str) -> Checked {
    let (family, size) = s.split_once('.').unwrap_or((s, ""));
    if INSTANCE_FAMILIES.contains(&family) && INSTANCE_SIZES.contains(&size) {
        return Ok(());
    }
    let help = if INSTANCE_FAMILIES.contains(&family) {
        suggest(size, INSTANCE_SIZES.iter().copied()).map(|h| format!("{h} (size of `{family}`)"))
    } else {
        suggest(family, INSTANCE_FAMILIES.iter().copied())
            .map(|f| format!("did you mean `{f}.{size}`?"))
    };
    Err(Problem::new(
        Code::InstanceType,
        format!("unknown instance type `{}`", s.escape_debug()),
        "not a known EC2 family and size",
    )
    .help(help.unwrap_or_else(|| "use a type such as `t3.large`".into())))
}

pub fn volume(_key: &str, gib: u64) -> Checked {
    if (8..=16384).contains(&gib) {
        return Ok(());
    }
    Err(Problem::new(
        Code::Volume,
        format!("volume of {gib}GiB out of range"),
        "root volumes are 8GiB to 16384GiB",
    )
    .help("use a size from 8GiB to 16384GiB"))
}

pub fn share_account(_key: &str, s: &str) -> Checked {
    if v::is_account(s) {
        return Ok(());
    }
    Err(Problem::new(
        Code::AccountId,
        format!("`{}` is not an AWS account id", s.escape_debug()),
        "account ids are exactly 12 digits",
    )
    .help("list the 12-digit ids of the accounts to share the AMI with"))
}

pub fn service_port(_key: &str, p: i64) -> Checked {
    if p == 22 {
        return Err(Problem::new(
            Code::SshPort,
            "the service port is 22 (SSH)",
            "SSH is never opened",
        )
        .help("serve the app on another port; hosts are reached through Session Manager"));
    }
    if (1..=65535).contains(&p) {
        return Ok(());
    }
    Err(Problem::new(
        Code::Port,
        format!("port `{p}` out of range"),
        "ports are 1 to 65535",
    )
    .help("use a port from 1 to 65535"))
}

pub fn health_path(_key: &str, h: &str) -> Checked {
    if v::is_path(h) && h.len() <= 1024 {
        return Ok(());
    }
    Err(Problem::new(
        Code::Path,
        format!("health path `{}` is not a path", h.escape_debug()),
        "must start with `/`",
    )
    .help("write the request path, e.g. `\"/healthz\"`"))
}

pub fn vpc(_key: &str, s: &str) -> Checked {
    if v::is_vpc(s) {
        return Ok(());
    }
    Err(Problem::new(
        Code::VpcId,
        format!("`{}` is not a VPC id", s.escape_debug()),
        "expected `vpc-` and 8 or 17 hex digits",
    )
    .help("copy the id from the VPC console, e.g. `\"vpc-0a1b2c3d4e5f60718\"`"))
}

pub fn subnet(_key: &str, s: &str) -> Checked {
    if v::is_subnet(s) {
        return Ok(());
    }
    Err(Problem::new(
        Code::SubnetId,
        format!("`{}` is not a subnet id", s.escape_debug()),
        "expected `subnet-` and 8 or 17 hex digits",
    )
    .help("use ids like `\"subnet-0a1b2c3d4e5f60718\"`"))
}

pub fn fleet_size(key: &str, n: i64) -> Checked {
    if (0..=10_000).contains(&n) {
        return Ok(());
    }
    Err(Problem::new(
        Code::Range,
        format!("`{key}` of {n} out of range"),
        "fleet sizes are 0 to 10000",
    )
    .help("use a size from 0 to 10000"))
}

fn not_a(code: Code, s: &str, what: &str, help: &str) -> Problem {
    Problem::new(
        code,
        format!("`{}` is not {what}", s.escape_debug()),
        format!("not {what}"),
    )
    .help(help)
}

pub fn access_bucket(_key: &str, s: &str) -> Checked {
    if v::is_bucket(s) {
        return Ok(());
    }
    Err(not_a(
        Code::BucketName,
        s,
        "a valid S3 bucket name",
        "bucket names are 3-63 lowercase letters, digits, `.` and `-`",
    ))
}

pub fn access_table(_key: &str, s: &str) -> Checked {
    if v::is_table(s) {
        return Ok(());
    }
    Err(not_a(
        Code::ResourceName,
        s,
        "a valid DynamoDB table name",
        "table names are 3-255 of letters, digits, `_`, `.`, `-`",
    ))
}

pub fn access_queue(_key: &str, s: &str) -> Checked {
    if v::is_queue(s) {
        return Ok(());
    }
    Err(not_a(
        Code::ResourceName,
        s,
        "a valid SQS queue name",
        "queue names are 1-80 of letters, digits, `_`, `-`",
    ))
}

pub fn access_secret(_key: &str, s: &str) -> Checked {
    if v::is_path(s) && s.len() <= 2048 {
        return Ok(());
    }
    Err(not_a(
        Code::Path,
        s,
        "an SSM parameter path",
        "parameter paths start with `/`, e.g. `\"/app/db-password\"`",
    ))
}

pub fn logs_bucket(_key: &str, s: &str) -> Checked {
    if v::is_bucket(s) {
        return Ok(());
    }
    Err(Problem::new(
        Code::BucketName,
        format!("`{}` is not a valid S3 bucket name", s.escape_debug()),
        "invalid bucket name",
    )
    .help("bucket names are 3-63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit"))
}

pub fn retention(_key: &str, secs: u64) -> Checked {
    let days = secs / 86400;
    if secs % 86400 == 0 && u32::try_from(days).is_ok_and(|d| RETENTIONS.contains(&d)) {
        return Ok(());
    }
    let mut near: Vec<u32> = RETENTIONS.to_vec();
    near.sort_by_key(|r| (i64::from(*r) - days as i64).unsigned_abs());
    let mut near: Vec<u32> = near.into_iter().take(3).collect();
    near.sort();
    let list: Vec<String> = near.iter().map(|d| format!("{d}d")).collect();
    Err(Problem::new(
        Code::Retention,
        "CloudWatch Logs does not allow this retention",
        "not an allowed retention",
    )
    .help(format!(
        "allowed retentions near {}d: {}",
        days,
        list.join(", ")
    )))
}

/// Durations Step Functions can wait or run: 1s to 365d.
pub fn step_functions_duration(key: &str, secs: u64) -> Checked {
    if (1..=MAX_SECONDS).contains(&secs) {
        return Ok(());
    }
    Err(Problem::new(
        Code::DurationLimit,
        format!("`{key}` must be between 1s and 365d"),
        if secs == 0 {
            "zero"
        } else {
            "longer than Step Functions allows"
        },
    )
    .help("Step Functions executions and waits last at most one year"))
}

pub fn bake(key: &str, secs: u64) -> Checked {
    step_functions_duration(key, secs)
}

pub fn keep_warm(key: &str, secs: u64) -> Checked {
    step_functions_duration(key, secs)
}

/// 5XX responses per minute: at least one, at most what an ALB target
/// group plausibly answers.
pub fn alarm_errors(key: &str, n: i64) -> Checked {
    if (1..=100_000).contains(&n) {
        return Ok(());
    }
    Err(Problem::new(
        Code::Range,
        format!("`{key}` of {n} out of range"),
        "alarm thresholds are 1 to 100000 responses a minute",
    )
    .help("the count of target 5XX responses in one minute that raises the alarm"))
}

/// The p99 latency threshold: ALB target response times are capped by the
/// idle timeout (60 s by default).
pub fn alarm_latency(key: &str, secs: u64) -> Checked {
    if (1..=60).contains(&secs) {
        return Ok(());
    }
    Err(Problem::new(
        Code::DurationLimit,
        format!("`{key}` must be between 1s and 60s"),
        "out of range",
    )
    .help("a target response time above the load balancer's 60 s idle timeout is never measured"))
}

pub fn timeout(key: &str, secs: u64) -> Checked {
    step_functions_duration(key, secs)
}

/// A stage's deadline: at least a minute, at most what one SSM command may
/// run (48 h).
pub fn stage_timeout(key: &str, secs: u64) -> Checked {
    if (crate::model::deadline::MIN_STAGE_SECONDS..=crate::model::deadline::MAX_STAGE_SECONDS)
        .contains(&secs)
    {
        return Ok(());
    }
    Err(Problem::new(
        Code::DurationLimit,
        format!("`{key}` must be between 1m and 48h"),
        if secs < crate::model::deadline::MIN_STAGE_SECONDS {
            "shorter than a minute"
        } else {
            "longer than an SSM command may run"
        },
    )
    .help("a stage runs as one SSM command (at most 48 hours) and needs at least a minute"))
}

pub fn retry(_key: &str, n: i64) -> Checked {
    if (0..=10).contains(&n) {
        return Ok(());
    }
    Err(Problem::new(
        Code::Range,
        format!("`retry` of {n} out of range"),
        "retries are 0 to 10",
    )
    .help("use a value from 0 to 10"))
}
