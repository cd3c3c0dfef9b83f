//! The tools the runner and the builders install, recognised by file name
//! in the directory given to `paasc bootstrap --tools`.
//!
//! paasc does not fetch anything: the platform team downloads each file
//! from its vendor, checks it against the vendor's published checksum or
//! signature, and puts it in one directory. Bootstrap hashes every file it
//! needs (the CLI reads them) and pins those sha256 in the platform module;
//! the module uploads them to the artifact bucket, and the runner checks
//! each again before installing it.

use crate::model::platform::ToolTarget;

/// A file of the tools directory, as the CLI read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolFile {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

/// When a platform needs a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Always,
    /// Some pipeline of the platform is served by `paasc worker`.
    ActivityWorkers,
    /// Some app bakes on an rpm-based image (Amazon Linux, RHEL, ...).
    RpmBuilders,
    /// Some app bakes on a deb-based image (Ubuntu, Debian).
    DebBuilders,
}

/// One kind of tool.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    pub target: ToolTarget,
    pub need: Need,
    /// The file name's shape, with `VERSION` where the version goes.
    pub pattern: &'static str,
    /// Where the vendor publishes it (for the docs and the help text).
    pub source: &'static str,
}

pub const KINDS: &[Kind] = &[
    Kind {
        name: "terraform",
        target: ToolTarget::Runner,
        need: Need::Always,
        pattern: "terraform_VERSION_linux_amd64.zip",
        source: "https://releases.hashicorp.com/terraform/",
    },
    Kind {
        name: "terraform-provider-aws",
        target: ToolTarget::Runner,
        need: Need::Always,
        pattern: "terraform-provider-aws_VERSION_linux_amd64.zip",
        source: "https://releases.hashicorp.com/terraform-provider-aws/",
    },
    Kind {
        name: "packer",
        target: ToolTarget::Runner,
        need: Need::Always,
        pattern: "packer_VERSION_linux_amd64.zip",
        source: "https://releases.hashicorp.com/packer/",
    },
    Kind {
        name: "packer-plugin-amazon",
        target: ToolTarget::Runner,
        need: Need::Always,
        pattern: "packer-plugin-amazon_vVERSION_x5.0_linux_amd64.zip",
        source: "https://github.com/hashicorp/packer-plugin-amazon/releases",
    },
    Kind {
        name: "session-manager-plugin",
        target: ToolTarget::Runner,
        need: Need::Always,
        pattern: "session-manager-plugin-VERSION.rpm",
        source: "https://s3.amazonaws.com/session-manager-downloads/plugin/VERSION/linux_64bit/session-manager-plugin.rpm (renamed with its version)",
    },
    Kind {
        name: "cinc-auditor",
        target: ToolTarget::Runner,
        need: Need::Always,
        pattern: "cinc-auditor-VERSION.el9.x86_64.rpm",
        source: "https://downloads.cinc.sh/files/stable/cinc-auditor/",
    },
    Kind {
        name: "train-awsssm",
        target: ToolTarget::Runner,
        need: Need::Always,
        pattern: "train-awsssm-VERSION.gem",
        source: "https://rubygems.org/gems/train-awsssm",
    },
    Kind {
        name: "paasc",
        target: ToolTarget::Runner,
        need: Need::ActivityWorkers,
        pattern: "paasc-VERSION-x86_64-linux",
        source: "this project: cargo build --release --features deploy (renamed with its version)",
    },
    Kind {
        name: "cinc-rpm",
        target: ToolTarget::BuilderRpm,
        need: Need::RpmBuilders,
        pattern: "cinc-VERSION.el9.x86_64.rpm",
        source: "https://downloads.cinc.sh/files/stable/cinc/",
    },
    Kind {
        name: "cloudwatch-agent-rpm",
        target: ToolTarget::BuilderRpm,
        need: Need::RpmBuilders,
        pattern: "amazon-cloudwatch-agent-VERSION.x86_64.rpm",
        source: "https://amazoncloudwatch-agent.s3.amazonaws.com/amazon_linux/amd64/VERSION/amazon-cloudwatch-agent.rpm (renamed with its version)",
    },
    Kind {
        name: "cinc-deb",
        target: ToolTarget::BuilderDeb,
        need: Need::DebBuilders,
        pattern: "cinc_VERSION_amd64.deb",
        source: "https://downloads.cinc.sh/files/stable/cinc/",
    },
    Kind {
        name: "cloudwatch-agent-deb",
        target: ToolTarget::BuilderDeb,
        need: Need::DebBuilders,
        pattern: "amazon-cloudwatch-agent-VERSION_amd64.deb",
        source: "https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/amd64/VERSION/amazon-cloudwatch-agent.deb (renamed with its version)",
    },
];

/// The catalogue as the Markdown table of docs/bootstrap.md (a test keeps
/// the two equal).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| tool | file name | needed | installed on | from |\n|---|---|---|---|---|\n",
    );
    for k in KINDS {
        let needed = match k.need {
            Need::Always => "always",
            Need::ActivityWorkers => "a pipeline with `workers = activity`",
            Need::RpmBuilders => "an app baked on an rpm-based image",
            Need::DebBuilders => "an app baked on a deb-based image",
        };
        let target = match k.target {
            ToolTarget::Runner => "the runner",
            ToolTarget::BuilderRpm | ToolTarget::BuilderDeb => "the builder (copied by the bake)",
        };
        out.push_str(&format!(
            "| {} | `{}` | {needed} | {target} | {} |\n",
            k.name, k.pattern, k.source
        ));
    }
    out
}

impl Kind {
    /// The version in `file` when it has this kind's shape.
    pub fn version(&self, file: &str) -> Option<String> {
        let (prefix, suffix) = self.pattern.split_once("VERSION")?;
        let version = file.strip_prefix(prefix)?.strip_suffix(suffix)?;
        let ok = !version.is_empty()
            && version.starts_with(|c: char| c.is_ascii_digit())
            && version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'));
        ok.then(|| version.to_string())
    }
}

/// Base platforms whose images install rpm packages (`linux`, the default
/// of a `base` without `platform`, is taken for an rpm-based SOE).
pub fn rpm_family(platform: &str) -> bool {
    !deb_family(platform)
}

pub fn deb_family(platform: &str) -> bool {
    matches!(platform, "ubuntu" | "debian")
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    #[test]
    fn versions_come_from_the_names() {
        let k = |n: &str| KINDS.iter().find(|k| k.name == n).unwrap();
        assert_eq!(
            k("terraform")
                .version("terraform_1.11.4_linux_amd64.zip")
                .as_deref(),
            Some("1.11.4")
        );
        assert_eq!(
            k("packer-plugin-amazon")
                .version("packer-plugin-amazon_v1.3.9_x5.0_linux_amd64.zip")
                .as_deref(),
            Some("1.3.9")
        );
        assert_eq!(
            k("cinc-rpm")
                .version("cinc-18.6.2-1.el9.x86_64.rpm")
                .as_deref(),
            Some("18.6.2-1")
        );
        assert_eq!(
            k("cinc-rpm").version("cinc-auditor-6.8.24-1.el9.x86_64.rpm"),
            None
        );
        assert_eq!(
            k("terraform").version("terraform-provider-aws_5.100.0_linux_amd64.zip"),
            None
        );
        assert_eq!(k("terraform").version("terraform__linux_amd64.zip"), None);
    }
}
