//! The language's one table of blocks and keys: what each block takes, each
//! key's type, default, one-line doc and validator.
//!
//! Everything that needs to know the language's shape reads it from here:
//! the structural check (unknown keys and blocks, did-you-mean), the block
//! readers in `validate` (each read goes through [`BlockDef::key`], and a
//! test proves every key here is read), the reference tables in
//! `docs/language.md` (a test fails when they differ from [`markdown`]), and
//! the editor's hover and completion.
//!
//! Invariants: block names are unique; key names are unique within a block;
//! a key's [`Rule`] matches its [`Ty`] (string rules on strings, integer
//! rules on integers, ...); the defaults are the model's.

pub mod rules;

use rules::Rule;

/// The type of a key's value, as a person reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    String,
    /// A bare name or a string (references such as `image.base`).
    Name,
    Integer,
    Boolean,
    /// `30s 5m 2h 400d`.
    Duration,
    /// `512MiB 30GiB`.
    Size,
    /// `60%`.
    Percent,
    /// One of a fixed set of bare names.
    Choice(&'static [&'static str]),
    /// `["a", "b"]`.
    StringList,
    /// `[10%, 50%, 100%]`.
    PercentList,
}

impl Ty {
    /// The type as the reference tables and hover texts spell it.
    pub fn words(self) -> String {
        match self {
            Ty::String => "string".into(),
            Ty::Name => "name".into(),
            Ty::Integer => "integer".into(),
            Ty::Boolean => "boolean".into(),
            Ty::Duration => "duration".into(),
            Ty::Size => "size".into(),
            Ty::Percent => "percentage".into(),
            Ty::Choice(choices) => choices
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" or "),
            Ty::StringList => "list of strings".into(),
            Ty::PercentList => "list of percentages".into(),
        }
    }
}

/// One key of a block.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub name: &'static str,
    pub ty: Ty,
    /// The default as the docs say it (`required` for required keys).
    pub default: &'static str,
    /// One line: what the key is for and the rules its value follows.
    pub doc: &'static str,
    /// Checks the value alone can fail; the reader locates the problem.
    pub rule: Rule,
}

/// How a block holds its content beyond the keys of its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Only the keys and blocks of the table.
    Keys,
    /// Any key (`tags`: tag names; `attributes`: dotted Chef attribute paths).
    AnyKey,
    /// Check lines (`verify`, `controls`), no keys.
    Checks,
}

/// One block of the language.
#[derive(Debug, Clone, Copy)]
pub struct BlockDef {
    pub name: &'static str,
    /// One line: what the block describes.
    pub doc: &'static str,
    pub keys: &'static [Key],
    /// Blocks it may hold (names of other `BlockDef`s).
    pub blocks: &'static [&'static str],
    pub content: Content,
    /// Written `name LABEL { ... }` (`env prod`, `base NAME`).
    pub labelled: bool,
}

impl BlockDef {
    /// The key's entry. Readers only ask for keys of the table; a miss is a
    /// paasc bug that the schema tests catch.
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }
    pub fn key_names(&self) -> impl Iterator<Item = &'static str> {
        self.keys.iter().map(|k| k.name)
    }
    pub fn takes_block(&self, name: &str) -> bool {
        self.blocks.contains(&name)
    }
}

const fn key(name: &'static str, ty: Ty, default: &'static str, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        default,
        doc,
        rule: Rule::None,
    }
}

const fn checked(
    name: &'static str,
    ty: Ty,
    default: &'static str,
    doc: &'static str,
    rule: Rule,
) -> Key {
    Key {
        name,
        ty,
        default,
        doc,
        rule,
    }
}

/// Blocks an `app` (and an `env` overlay, which may override any of them) holds.
const APP_BLOCKS: &[&str] = &[
    "tags", "image", "service", "network", "fleet", "access", "verify", "logs", "release",
    "pipeline", "env",
];

const APP_KEYS: &[Key] = &[
    key("team", Ty::String, "the app name", "the owning team"),
    checked(
        "version",
        Ty::String,
        "`0.0.0`",
        "1-64 of `[A-Za-z0-9._+-]`; part of AMI and execution names",
        Rule::Str(rules::version),
    ),
    key("region", Ty::String, "required", "a known AWS region"),
    key("account", Ty::String, "required", "the app's AWS account: exactly 12 digits"),
    key(
        "kms",
        Ty::String,
        "`alias/paas-<app>-<env>`, created by `paasc bootstrap`",
        "`alias/NAME` (not `alias/aws/...`) or `arn:aws:kms:REGION:ACCOUNT:key/ID` in the app's region and account",
    ),
];

pub const APP: BlockDef = BlockDef {
    name: "app",
    doc: "one application: where it runs, what it serves, how it is released",
    keys: APP_KEYS,
    blocks: APP_BLOCKS,
    content: Content::Keys,
    labelled: true,
};

pub const ENV: BlockDef = BlockDef {
    name: "env",
    doc: "an overlay: any key of `app` overridden for one environment",
    keys: APP_KEYS,
    blocks: &[
        "tags", "image", "service", "network", "fleet", "access", "verify", "logs", "release",
        "pipeline",
    ],
    content: Content::Keys,
    labelled: true,
};

pub const TAGS: BlockDef = BlockDef {
    name: "tags",
    doc: "tags on every resource: `Key = \"value\"`; keys 1-128 characters, not `aws:`; values up to 256",
    keys: &[],
    blocks: &[],
    content: Content::AnyKey,
    labelled: false,
};

pub const IMAGE: BlockDef = BlockDef {
    name: "image",
    doc: "the AMI the Bakery stage bakes",
    keys: &[
        key(
            "base",
            Ty::Name,
            "`amazon-linux-2023`",
            "a `base` from the stdlib, this file or a `use`d file",
        ),
        checked(
            "instance",
            Ty::String,
            "`t3.micro`",
            "a known EC2 family and size",
            Rule::Str(rules::instance_type),
        ),
        checked(
            "volume",
            Ty::Size,
            "`20GiB`",
            "root volume: whole GiB, 8GiB to 16384GiB",
            Rule::Gib(rules::volume),
        ),
        checked(
            "share",
            Ty::StringList,
            "none",
            "account ids the AMI is shared with (plus the app's account when `pipeline.account` differs)",
            Rule::Item(rules::share_account),
        ),
        key(
            "chef",
            Ty::StringList,
            "none",
            "the ordered run list: `\"cookbook\"`, `\"cookbook::recipe\"`, `\"cookbook@1.2.3\"`, `\"recipe[...]\"`, `\"role[name]\"`; versions `x.y` or `x.y.z`",
        ),
    ],
    blocks: &["attributes"],
    content: Content::Keys,
    labelled: false,
};

pub const ATTRIBUTES: BlockDef = BlockDef {
    name: "attributes",
    doc: "Chef node attributes: `a.b = value` becomes nested JSON; values string, number, boolean or list; `a.b` and `a.b.c` conflict",
    keys: &[],
    blocks: &[],
    content: Content::AnyKey,
    labelled: false,
};

pub const SERVICE: BlockDef = BlockDef {
    name: "service",
    doc: "what the instances serve, behind the load balancer",
    keys: &[
        checked(
            "port",
            Ty::Integer,
            "required",
            "1-65535, never 22",
            Rule::Int(rules::service_port),
        ),
        checked(
            "health",
            Ty::String,
            "`/`",
            "health-check path: absolute",
            Rule::Str(rules::health_path),
        ),
        key(
            "https",
            Ty::String,
            "none (plain HTTP: warning W0002)",
            "ACM certificate ARN in the app's region and account",
        ),
        key(
            "public",
            Ty::Boolean,
            "`false`",
            "internet-facing load balancer (with a WAF) when true",
        ),
    ],
    blocks: &[],
    content: Content::Keys,
    labelled: false,
};

pub const NETWORK: BlockDef = BlockDef {
    name: "network",
    doc: "where the fleet and load balancer live; no `network` block means the region's default VPC and its subnets",
    keys: &[
        checked(
            "vpc",
            Ty::String,
            "default VPC",
            "`vpc-` + 8 or 17 hex digits",
            Rule::Str(rules::vpc),
        ),
        key(
            "subnets",
            Ty::StringList,
            "default VPC's",
            "two or more `subnet-` ids; required with `vpc`",
        ),
        key(
            "allow",
            Ty::StringList,
            "RFC 1918 ranges (internal) or `0.0.0.0/0` (public)",
            "IPv4 CIDRs without host bits that may reach the load balancer",
        ),
    ],
    blocks: &[],
    content: Content::Keys,
    labelled: false,
};

pub const FLEET: BlockDef = BlockDef {
    name: "fleet",
    doc: "the instances: sizes, scaling, how they launch",
    keys: &[
        checked(
            "min",
            Ty::Integer,
            "1",
            "`min <= desired <= max`, `max >= 1`",
            Rule::Int(rules::fleet_size),
        ),
        checked(
            "desired",
            Ty::Integer,
            "`min`",
            "instances at release",
            Rule::Int(rules::fleet_size),
        ),
        checked(
            "max",
            Ty::Integer,
            "the larger of `min` and `desired`",
            "the most instances scaling may run",
            Rule::Int(rules::fleet_size),
        ),
        key(
            "cpu",
            Ty::Percent,
            "`70%`",
            "target-tracking average CPU, 1-100%",
        ),
        key(
            "launch",
            Ty::Choice(&["template", "configuration"]),
            "`template`",
            "`configuration` (legacy) warns W0001",
        ),
    ],
    blocks: &[],
    content: Content::Keys,
    labelled: false,
};

pub const ACCESS: BlockDef = BlockDef {
    name: "access",
    doc:
        "what the instances may use; becomes a least-privilege IAM policy, nothing else is granted",
    keys: &[
        checked(
            "s3",
            Ty::StringList,
            "none",
            "bucket names",
            Rule::Item(rules::access_bucket),
        ),
        checked(
            "dynamodb",
            Ty::StringList,
            "none",
            "table names",
            Rule::Item(rules::access_table),
        ),
        checked(
            "sqs",
            Ty::StringList,
            "none",
            "queue names",
            Rule::Item(rules::access_queue),
        ),
        checked(
            "secrets",
            Ty::StringList,
            "none",
            "SSM parameter paths starting with `/`",
            Rule::Item(rules::access_secret),
        ),
    ],
    blocks: &[],
    content: Content::Keys,
    labelled: false,
};

pub const VERIFY: BlockDef = BlockDef {
    name: "verify",
    doc: "what InSpec checks on every new host, one check a line",
    keys: &[],
    blocks: &[],
    content: Content::Checks,
    labelled: false,
};

pub const LOGS: BlockDef = BlockDef {
    name: "logs",
    doc: "where logs and InSpec reports are kept",
    keys: &[
        checked(
            "bucket",
            Ty::String,
            "`<app>-<env>-logs-<account>`",
            "a valid S3 bucket name",
            Rule::Str(rules::logs_bucket),
        ),
        checked(
            "retain",
            Ty::Duration,
            "`90d`",
            "whole days that CloudWatch allows: 1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653",
            Rule::Seconds(rules::retention),
        ),
    ],
    blocks: &[],
    content: Content::Keys,
    labelled: false,
};

pub const RELEASE: BlockDef = BlockDef {
    name: "release",
    doc: "how a new version reaches the hosts",
    keys: &[
        key(
            "strategy",
            Ty::Choice(&["blue-green", "rolling"]),
            "`blue-green`",
            "two fleets and a traffic shift, or instances replaced in place",
        ),
        key(
            "shift",
            Ty::PercentList,
            "`[100%]`",
            "blue-green only: strictly increasing percentages ending at `100%`",
        ),
        checked(
            "bake",
            Ty::Duration,
            "`5m`",
            "how long each shift is watched (the alarms of the new hosts) before the next; 1s to 365d",
            Rule::Seconds(rules::bake),
        ),
        checked(
            "keep_warm",
            Ty::Duration,
            "`10m`",
            "blue-green only: how long the previous colour keeps its hosts after the last shift, before it is scaled to zero; 1s to 365d",
            Rule::Seconds(rules::keep_warm),
        ),
        checked(
            "alarm_errors",
            Ty::Integer,
            "`10`",
            "target 5XX responses in one minute that put the new hosts' error alarm in ALARM (1 to 100000)",
            Rule::Int(rules::alarm_errors),
        ),
        checked(
            "alarm_latency",
            Ty::Duration,
            "`2s`",
            "p99 target response time over one minute that puts the new hosts' latency alarm in ALARM (1s to 60s)",
            Rule::Seconds(rules::alarm_latency),
        ),
        key(
            "skipped_controls",
            Ty::Choice(&["fail", "allow"]),
            "`fail`",
            "whether Validation passes when controls were skipped and none failed (InSpec exit 101)",
        ),
    ],
    blocks: &[],
    content: Content::Keys,
    labelled: false,
};

pub const PIPELINE: BlockDef = BlockDef {
    name: "pipeline",
    doc: "the Step Functions pipeline that releases the app",
    keys: &[
        key(
            "workers",
            Ty::Choice(&["ssm", "lambda", "activity"]),
            "`ssm`",
            "who runs the tool stages: `ssm` (Run Command on the platform's runner) or `activity`; `lambda` is refused (E0331: paasc ships no functions)",
        ),
        checked(
            "timeout",
            Ty::Duration,
            "`2h`",
            "the whole execution; 1s to 365d, Step Functions' limit. The stages, the release's bakes and 10m for the failure path must fit in it",
            Rule::Seconds(rules::timeout),
        ),
        checked(
            "bake_timeout",
            Ty::Duration,
            "half of what the stages may take",
            "the Bakery stage's deadline (its SSM command or task is stopped past it); 1m to 48h",
            Rule::Seconds(rules::stage_timeout),
        ),
        checked(
            "provision_timeout",
            Ty::Duration,
            "a quarter of what the stages may take",
            "the Provision stage's deadline; 1m to 48h",
            Rule::Seconds(rules::stage_timeout),
        ),
        checked(
            "validate_timeout",
            Ty::Duration,
            "a tenth of what the stages may take",
            "the Validation stage's deadline; 1m to 48h",
            Rule::Seconds(rules::stage_timeout),
        ),
        checked(
            "post_timeout",
            Ty::Duration,
            "15% of what the stages may take",
            "the PostProvision stage's deadline (smoke test, AMI lifecycle, log export); 1m to 48h",
            Rule::Seconds(rules::stage_timeout),
        ),
        checked(
            "retry",
            Ty::Integer,
            "2",
            "attempts per task after the first: 0-10",
            Rule::Int(rules::retry),
        ),
        key(
            "notify",
            Ty::String,
            "none",
            "SNS topic ARN in the app's region, in the app's or the pipeline's account",
        ),
        key(
            "account",
            Ty::String,
            "the app's",
            "the platform account that runs the pipeline and bakes the AMI",
        ),
        checked(
            "subnet",
            Ty::String,
            "the app's first subnet, or the default VPC's",
            "a subnet of the pipeline account for the builder (and the runner); required when `account` differs from the app's",
            Rule::Str(rules::subnet),
        ),
        checked(
            "packer_plugin",
            Ty::String,
            "`1.3.9`",
            "the exact packer-plugin-amazon version the template requires (the runner has this one: `paasc bootstrap` checks)",
            Rule::Str(rules::exact_version),
        ),
        checked(
            "aws_provider",
            Ty::String,
            "`5.100.0`",
            "the exact hashicorp/aws provider version the app module requires (the runner's mirror has this one)",
            Rule::Str(rules::exact_version),
        ),
    ],
    blocks: &[],
    content: Content::Keys,
    labelled: false,
};

pub const BASE: BlockDef = BlockDef {
    name: "base",
    doc: "a source image: `base NAME { owner filter user [platform] }`",
    keys: &[
        key(
            "owner",
            Ty::String,
            "required",
            "the AMI owner: a 12-digit account id or `amazon`",
        ),
        key(
            "filter",
            Ty::String,
            "required",
            "the AMI name filter; the newest match wins",
        ),
        key("user", Ty::String, "required", "the image's login user"),
        key(
            "platform",
            Ty::Choice(PLATFORMS),
            "`linux`",
            "the InSpec/Chef platform family of the image",
        ),
    ],
    blocks: &[],
    content: Content::Keys,
    labelled: true,
};

/// Platform families a `base` may name (InSpec's and Chef's names).
pub const PLATFORMS: &[&str] = &[
    "linux",
    "amazon",
    "redhat",
    "centos",
    "rocky",
    "almalinux",
    "oracle",
    "debian",
    "ubuntu",
    "suse",
];

pub const CONTROLS: BlockDef = BlockDef {
    name: "controls",
    doc: "a pack of check lines, used in `verify` as `controls NAME`",
    keys: &[],
    blocks: &[],
    content: Content::Checks,
    labelled: true,
};

/// Every block of the language, in the order the reference presents them.
pub const BLOCKS: &[&BlockDef] = &[
    &APP,
    &TAGS,
    &IMAGE,
    &ATTRIBUTES,
    &SERVICE,
    &NETWORK,
    &FLEET,
    &ACCESS,
    &VERIFY,
    &LOGS,
    &RELEASE,
    &PIPELINE,
    &ENV,
    &BASE,
    &CONTROLS,
];

/// Blocks a file may hold at its top level.
pub const TOP_BLOCKS: &[&str] = &["app", "base", "controls"];

/// The block definition by name.
pub fn block(name: &str) -> Option<&'static BlockDef> {
    BLOCKS.iter().copied().find(|b| b.name == name)
}

/// The check lines of `verify` and `controls`, with their usage.
pub const CHECKS: &[(&str, &str, &str)] = &[
    (
        "port",
        "port N listening|closed",
        "a TCP port listens or is closed; never `port 22 listening`",
    ),
    ("service", "service NAME running", "a system service runs"),
    (
        "package",
        "package NAME \"constraint\"",
        "a package is installed, optionally at a version: `\">= 3.0.8\"`, `\"= 1.2\"`, `\"~> 2.0\"`",
    ),
    (
        "file",
        "file \"path\" exists|absent [mode \"0644\"] [owner NAME]",
        "a file exists (with a mode and owner) or is absent",
    ),
    (
        "command",
        "command \"cmd\" exits N",
        "a command exits with this code (0-255)",
    ),
    (
        "http",
        "http \"path\" returns N",
        "the service answers this path with this status (100-599)",
    ),
    (
        "controls",
        "controls NAME",
        "a pack, expanded in place (in `verify` only)",
    ),
];

/// The reference table of one block, as `docs/language.md` holds it.
pub fn markdown(def: &BlockDef) -> String {
    let mut out = String::from("| key | type | default | rules |\n|---|---|---|---|\n");
    for k in def.keys {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            k.name,
            k.ty.words(),
            k.default,
            k.doc
        ));
    }
    out
}

/// Hover text of a key: its type, default and doc.
pub fn hover(def: &BlockDef, key: &Key) -> String {
    format!(
        "`{}.{}`: {}, default {}\n\n{}",
        def.name,
        key.name,
        key.ty.words(),
        key.default,
        key.doc
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_blocks_resolve() {
        let mut names: Vec<&str> = BLOCKS.iter().map(|b| b.name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a block is defined twice");
        for b in BLOCKS {
            let mut keys: Vec<&str> = b.key_names().collect();
            keys.sort();
            let n = keys.len();
            keys.dedup();
            assert_eq!(n, keys.len(), "`{}` has a key twice", b.name);
            for child in b.blocks {
                assert!(
                    block(child).is_some(),
                    "`{}` names unknown block `{child}`",
                    b.name
                );
            }
        }
    }

    #[test]
    fn rules_fit_their_types() {
        for b in BLOCKS {
            for k in b.keys {
                let fits = match k.rule {
                    Rule::None => true,
                    Rule::Str(_) => matches!(k.ty, Ty::String | Ty::Name),
                    Rule::Int(_) => k.ty == Ty::Integer,
                    Rule::Seconds(_) => k.ty == Ty::Duration,
                    Rule::Gib(_) => k.ty == Ty::Size,
                    Rule::Item(_) => k.ty == Ty::StringList,
                };
                assert!(
                    fits,
                    "`{}.{}`: rule does not fit {:?}",
                    b.name, k.name, k.ty
                );
            }
        }
    }
}
