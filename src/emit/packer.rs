//! Packer HCL2 template for the Bakery stage.
//!
//! Input: one `model::App`. Output: `packer/image.pkr.hcl` (variables,
//! locals, one `amazon-ebs` source, the build with its provisioners) and
//! `packer/plugins.pkr.hcl` (only `packer { required_plugins { ... } }`,
//! which Packer 1.6.6 rejects, so the main template stays valid there).
//!
//! Invariants:
//! - Built with the `hcl` crate's builders only; user strings are
//!   `Expression::String`, which the formatter escapes (`${` -> `$${`,
//!   `%{` -> `%%{`, quotes, control characters). Template literals (which the
//!   formatter does not quote-escape) are only ever fixed text or names the
//!   model restricts to `[a-z0-9-]`.
//! - The output is what `packer fmt` would write: [`align_assignments`] pads
//!   keys the way hclwrite does, because the `hcl` formatter does not.
//! - Nothing depends on the compiler's clock: the AMI's timestamp is a Packer
//!   `locals` expression (or the `build_timestamp` variable).
//! - The builder has no SSH ingress and no public address: the SSH
//!   communicator runs through AWS Session Manager with the platform's
//!   builder instance profile (`paasc bootstrap` creates it; the runner may
//!   pass it and create no role), Packer then skips the port-22 rule of its
//!   temporary security group, and its temporary key pair is deleted at the
//!   end (`ssh_keypair_name` is never set).
//! - The AMI is encrypted with the app's key by full ARN, in the app's
//!   account (never the AWS default key, which cannot be shared across
//!   accounts; an alias would resolve in the pipeline account).
//! - Offline and pinned: the plugin is an exact version; Cinc and the
//!   CloudWatch agent come from the platform's tools (the bake copies them
//!   beside the template), the cookbooks from the vendored `chef/`; the
//!   builder checks both against their SHA256SUMS before using anything.
//! - The image serves nothing on port 22: the last provisioner disables and
//!   masks sshd (`ssh.service` and `ssh.socket` on Debian and Ubuntu), so it
//!   does not start at boot (the build's own session stays up until Packer
//!   stops the instance).

use super::{header, Artifact, InternalError};
use crate::model::names::builder_tools::{
    deb_family, globs as builder_tool_globs, DIR as TOOLS_UPLOAD,
};
use crate::model::names::{packer_var, path};
use crate::model::App;
use hcl::expr::{
    BinaryOp, BinaryOperator, Conditional, Expression, FuncCall, Object, ObjectKey, TemplateExpr,
    Traversal, Variable,
};
use hcl::template::Template;
use hcl::{Block, Body, Identifier};

/// The file the `manifest` post-processor writes in Packer's working
/// directory; the bake stage reads the AMI id from its last build's
/// `artifact_id` (`<region>:<ami-id>`).
pub const MANIFEST_FILE: &str = "packer-manifest.json";

/// Where the provisioners stage files on the builder (removed at the end).
const STAGING: &str = "/tmp/paasc";
/// The uploaded `chef/` directory (node JSON, roles, vendored cookbooks).
const CHEF_DIR: &str = "/tmp/paasc/chef";
/// The uploaded builder tools (Cinc, the CloudWatch agent) and their sums.
const TOOLS_DIR: &str = "/tmp/paasc/tools";
/// CloudWatch agent configuration written by the bake.
const CW_CONFIG: &str = "/opt/aws/amazon-cloudwatch-agent/etc/paasc.json";
pub fn emit(app: &App) -> Result<Vec<Artifact>, InternalError> {
    Ok(vec![
        Artifact::new(path::PACKER_TEMPLATE, render(app, &image_body(app))?),
        Artifact::new(path::PACKER_PLUGINS, render(app, &plugins_body(app))?),
    ])
}

/// The source block's name: the build is `amazon-ebs.<app>` in Packer's output.
pub fn source_name(app: &App) -> String {
    app.name.clone()
}

/// The base image's root device. `base` definitions do not carry it, so it
/// follows the platform's official AMIs (overridable at bake time).
pub fn root_device_name(platform: &str) -> &'static str {
    match platform {
        "amazon" | "debian" => "/dev/xvda",
        _ => "/dev/sda1",
    }
}

fn render(app: &App, body: &Body) -> Result<String, InternalError> {
    let text = hcl::format::to_string(body).map_err(|e| InternalError::new("packer", e))?;
    let mut out = header(app, "#");
    out.push_str(align_assignments(&text).trim_end());
    out.push('\n');
    Ok(out)
}

fn plugins_body(app: &App) -> Body {
    let mut amazon: Object<ObjectKey, Expression> = Object::new();
    amazon.insert(
        ObjectKey::Identifier(Identifier::unchecked("source")),
        s("github.com/hashicorp/amazon"),
    );
    amazon.insert(
        ObjectKey::Identifier(Identifier::unchecked("version")),
        s(&format!("= {}", app.pipeline.packer_plugin)),
    );
    Body::builder()
        .add_block(
            Block::builder("packer")
                .add_block(
                    Block::builder("required_plugins")
                        .add_attribute(("amazon", Expression::Object(amazon)))
                        .build(),
                )
                .build(),
        )
        .build()
}

fn image_body(app: &App) -> Body {
    let mut body = Body::builder();
    for block in variables(app) {
        body = body.add_block(block);
    }
    body.add_block(locals())
        .add_block(source(app))
        .add_block(build(app))
        .build()
}

fn variables(app: &App) -> Vec<Block> {
    let subnet = app.builder_subnet().unwrap_or_default();
    vec![
        string_var(
            packer_var::VERSION,
            &app.version,
            "App version baked into the AMI name and tags",
        ),
        string_var(
            packer_var::SOURCE_AMI,
            "",
            "AMI id to start from instead of the base image lookup (empty: look it up)",
        ),
        string_var(
            packer_var::SUBNET_ID,
            &subnet,
            "Subnet of the temporary builder instance: private, with a route to the AWS APIs (the bake fills in the runner's own when empty)",
        ),
        string_var(
            packer_var::BUILD_TIMESTAMP,
            "",
            "Timestamp in the AMI name (empty: the time of the build)",
        ),
        string_var(
            packer_var::ROOT_DEVICE_NAME,
            root_device_name(&app.image.base.platform),
            "Root device of the base image",
        ),
        string_var(
            packer_var::INSTANCE_PROFILE,
            &app.builder_instance_profile(),
            "Instance profile of the builder (Session Manager only; created by paasc bootstrap)",
        ),
    ]
}

fn string_var(name: &str, default: &str, description: &str) -> Block {
    Block::builder("variable")
        .add_label(name)
        .add_attribute(("type", Variable::unchecked("string")))
        .add_attribute(("default", s(default)))
        .add_attribute(("description", s(description)))
        .build()
}

fn locals() -> Block {
    let timestamp = Conditional::new(
        BinaryOp::new(
            var(packer_var::BUILD_TIMESTAMP),
            BinaryOperator::NotEq,
            s(""),
        ),
        var(packer_var::BUILD_TIMESTAMP),
        FuncCall::builder("formatdate")
            .arg(s("YYYYMMDDhhmmss"))
            .arg(FuncCall::new("timestamp"))
            .build(),
    );
    // AMI names allow only `[A-Za-z0-9()./_ '@-]`; versions may hold `+`.
    let ami_version = FuncCall::builder("regex_replace")
        .arg(var(packer_var::VERSION))
        .arg(s("[^A-Za-z0-9._-]"))
        .arg(s("-"))
        .build();
    Block::builder("locals")
        .add_attribute(("build_timestamp", timestamp))
        .add_attribute(("ami_version", ami_version))
        .build()
}

/// The app's key by full ARN: an alias alone would resolve in the
/// pipeline's account when the bake runs there.
fn kms_key(app: &App) -> Expression {
    s(&app.kms_key_arn())
}

fn tags(app: &App) -> Expression {
    let mut tags: Object<ObjectKey, Expression> = Object::new();
    // Derived tags win over spec tags of the same key: they are facts.
    for (k, v) in &app.tags {
        if !["app", "env", "team", "version"].contains(&k.as_str()) {
            tags.insert(key(k), s(v));
        }
    }
    tags.insert(key("app"), s(&app.name));
    tags.insert(key("env"), s(&app.env));
    tags.insert(key("team"), s(&app.team));
    tags.insert(key("version"), var(packer_var::VERSION));
    Expression::Object(tags)
}

fn source(app: &App) -> Block {
    let base = &app.image.base;
    let mut filters: Object<ObjectKey, Expression> = Object::new();
    filters.insert(key("name"), s(&base.filter));
    filters.insert(key("root-device-type"), s("ebs"));
    filters.insert(key("virtualization-type"), s("hvm"));
    // The filter only applies when no explicit source AMI is given: Packer
    // prefers the filter over `source_ami` when both are set.
    let use_filter = Conditional::new(
        BinaryOp::new(var(packer_var::SOURCE_AMI), BinaryOperator::Eq, s("")),
        Expression::Array(vec![s(&base.name)]),
        Expression::Array(vec![]),
    );
    let ami_filter = Block::builder("dynamic")
        .add_label("source_ami_filter")
        .add_attribute(("for_each", use_filter))
        .add_block(
            Block::builder("content")
                .add_attribute(("filters", Expression::Object(filters)))
                .add_attribute(("owners", Expression::Array(vec![s(&base.owner)])))
                .add_attribute(("most_recent", true))
                .build(),
        )
        .build();
    let ami_name = template(&[
        Part::Lit(&app.name),
        Part::Lit("-"),
        Part::Expr(local("ami_version")),
        Part::Lit("-"),
        Part::Expr(local("build_timestamp")),
    ]);
    let description = template(&[
        Part::Lit(&app.name),
        Part::Lit(" "),
        Part::Expr(var(packer_var::VERSION)),
        Part::Lit(" ("),
        Part::Lit(&app.env),
        Part::Lit(") baked by paasc"),
    ]);
    let root_volume = Block::builder("launch_block_device_mappings")
        .add_attribute(("device_name", var(packer_var::ROOT_DEVICE_NAME)))
        .add_attribute(("volume_size", app.image.volume_gib))
        .add_attribute(("volume_type", s("gp3")))
        // The gp3 baseline, explicit: Packer 1.6.6 refuses a gp3 mapping
        // without a throughput.
        .add_attribute(("iops", 3000))
        .add_attribute(("throughput", 125))
        .add_attribute(("encrypted", true))
        .add_attribute(("kms_key_id", kms_key(app)))
        .add_attribute(("delete_on_termination", true))
        .build();
    Block::builder("source")
        .add_label("amazon-ebs")
        .add_label(source_name(app))
        .add_attribute(("region", s(&app.region)))
        .add_attribute(("instance_type", s(&app.image.instance)))
        .add_attribute(("source_ami", var(packer_var::SOURCE_AMI)))
        .add_block(ami_filter)
        .add_attribute(("subnet_id", var(packer_var::SUBNET_ID)))
        .add_attribute(("communicator", s("ssh")))
        .add_attribute(("ssh_username", s(&base.user)))
        .add_attribute(("ssh_interface", s("session_manager")))
        // The SSM agent must register before the tunnel opens: allow more
        // than Packer's 5m default.
        .add_attribute(("ssh_timeout", s("10m")))
        .add_attribute(("ssh_clear_authorized_keys", true))
        .add_attribute(("iam_instance_profile", var(packer_var::INSTANCE_PROFILE)))
        .add_attribute(("associate_public_ip_address", false))
        .add_block(
            Block::builder("metadata_options")
                .add_attribute(("http_endpoint", s("enabled")))
                .add_attribute(("http_tokens", s("required")))
                .add_attribute(("http_put_response_hop_limit", 1))
                .build(),
        )
        .add_attribute(("ami_name", ami_name))
        .add_attribute(("ami_description", description))
        .add_attribute((
            "ami_users",
            Expression::Array(app.ami_users().iter().map(|a| s(a)).collect()),
        ))
        .add_attribute(("encrypt_boot", true))
        .add_attribute(("kms_key_id", kms_key(app)))
        .add_block(root_volume)
        .add_attribute(("tags", tags(app)))
        .add_attribute(("run_tags", tags(app)))
        .add_attribute(("snapshot_tags", tags(app)))
        .build()
}

fn build(app: &App) -> Block {
    let source_ref = format!("source.amazon-ebs.{}", source_name(app));
    let upload = |dir: &str| {
        Block::builder("provisioner")
            .add_label("file")
            .add_attribute((
                "source",
                template(&[Part::Expr(path_root()), Part::Lit(&format!("/../{dir}"))]),
            ))
            .add_attribute(("destination", s(STAGING)))
            .build()
    };
    let manifest = Block::builder("post-processor")
        .add_label("manifest")
        .add_attribute(("output", s(MANIFEST_FILE)))
        .add_attribute(("strip_path", true))
        .build();
    let platform = app.image.base.platform.as_str();
    Block::builder("build")
        .add_attribute(("sources", Expression::Array(vec![s(&source_ref)])))
        // As the login user, so the uploads below can write into it.
        .add_block(
            Block::builder("provisioner")
                .add_label("shell")
                .add_attribute(("inline", lines(&[&format!("install -d -m 0700 {STAGING}")])))
                .build(),
        )
        .add_block(upload("chef"))
        .add_block(upload(TOOLS_UPLOAD))
        .add_block(root_shell(verify_commands()))
        .add_block(root_shell(chef_commands(platform)))
        .add_block(root_shell(cloudwatch_commands(app)))
        .add_block(root_shell(audit_commands(platform)))
        .add_block(root_shell(cleanup_commands(platform)))
        .add_block(manifest)
        .build()
}

/// A shell provisioner whose inline script runs as root with `-eux`.
fn root_shell(commands: Vec<String>) -> Block {
    let refs: Vec<&str> = commands.iter().map(String::as_str).collect();
    Block::builder("provisioner")
        .add_label("shell")
        .add_attribute(("inline_shebang", s("/bin/sh -eux")))
        .add_attribute((
            "execute_command",
            s("chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"),
        ))
        .add_attribute(("inline", lines(&refs)))
        .build()
}

/// Before anything is used: every uploaded file is the one the pipeline
/// checked (the runner verified them against the release's manifest).
fn verify_commands() -> Vec<String> {
    vec![
        format!("cd {CHEF_DIR} && sha256sum --check --strict --quiet SHA256SUMS"),
        format!("cd {TOOLS_DIR} && sha256sum --check --strict --quiet SHA256SUMS"),
    ]
}

/// The one file of the tools directory matching `glob` (the bake copied
/// exactly the platform's pinned ones), in `$F`.
fn one_tool(glob: &str) -> String {
    format!(
        "set -- {TOOLS_DIR}/{glob}; [ \"$#\" -eq 1 ] && [ -f \"$1\" ] || {{ echo \"paasc: expected one {glob} in the builder tools, found: $*\" >&2; exit 1; }}; F=\"$1\""
    )
}

/// Install Cinc Client (the free Chef Infra build: no licence to accept)
/// from the platform's pinned package and converge the run list in local
/// mode against the vendored cookbooks and roles.
fn chef_commands(platform: &str) -> Vec<String> {
    let [cinc, _] = builder_tool_globs(platform);
    let install = if deb_family(platform) {
        "dpkg -i \"$F\""
    } else {
        "rpm -U --replacepkgs \"$F\""
    };
    vec![
        one_tool(cinc),
        install.to_string(),
        format!(
            "cinc-client --local-mode --no-color --log_level info --config-option chef_repo_path={CHEF_DIR} --config-option file_cache_path={STAGING}/cache --json-attributes {CHEF_DIR}/node.json"
        ),
    ]
}

/// Install the CloudWatch agent (the platform's pinned package), configure
/// it to ship the OS logs to the app's log group, and enable it for boot. It
/// is not started here: the builder's own logs do not belong in the app's
/// log group.
fn cloudwatch_commands(app: &App) -> Vec<String> {
    let platform = app.image.base.platform.as_str();
    let [_, agent] = builder_tool_globs(platform);
    let install = if deb_family(platform) {
        "dpkg -i -E \"$F\""
    } else {
        "rpm -U --replacepkgs \"$F\""
    };
    let mut cmds = vec![one_tool(agent), install.to_string()];
    // A quoted heredoc: the shell expands nothing inside the JSON.
    cmds.push(format!(
        "cat > {CW_CONFIG} <<'PAASC_CWAGENT_CONFIG'\n{}\nPAASC_CWAGENT_CONFIG",
        cloudwatch_config(app)
    ));
    cmds.push(format!(
        "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -c file:{CW_CONFIG}"
    ));
    cmds.push("systemctl enable amazon-cloudwatch-agent".to_string());
    cmds
}

/// auditd (the `baseline` pack requires it running): an OS package, from
/// the image's own package repositories (your mirror), enabled for boot.
fn audit_commands(platform: &str) -> Vec<String> {
    if deb_family(platform) {
        vec![
            "dpkg -s auditd >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q auditd; }".to_string(),
            "systemctl enable auditd".to_string(),
        ]
    } else {
        vec![
            "rpm -q audit >/dev/null 2>&1 || yum install -y audit".to_string(),
            "systemctl enable auditd".to_string(),
        ]
    }
}

/// The agent's configuration (compact JSON): OS logs to `app.log_group()`,
/// one stream per instance and file (`{instance_id}` is the agent's own
/// placeholder).
pub fn cloudwatch_config(app: &App) -> String {
    let system_log = match app.image.base.platform.as_str() {
        "ubuntu" | "debian" => "/var/log/syslog",
        _ => "/var/log/messages",
    };
    let group = app.log_group();
    let files: Vec<serde_json::Value> = [
        ("/var/log/cloud-init-output.log", "cloud-init-output"),
        (system_log, "system"),
        ("/var/log/audit/audit.log", "audit"),
    ]
    .iter()
    .map(|(path, stream)| {
        serde_json::json!({
            "file_path": path,
            "log_group_name": group,
            "log_stream_name": format!("{{instance_id}}/{stream}"),
        })
    })
    .collect();
    let config = serde_json::json!({
        "agent": { "run_as_user": "root" },
        "logs": { "logs_collected": { "files": { "collect_list": files } } },
    });
    config.to_string()
}

/// Remove what must not be baked into the image: staging files, the Chef
/// client's caches and state, SSH host keys and every authorized key; and
/// make sure nothing serves SSH at boot (disabled and masked: the build's
/// own session runs on until Packer stops the instance).
fn cleanup_commands(platform: &str) -> Vec<String> {
    let ssh_units = if deb_family(platform) {
        "ssh.service ssh.socket"
    } else {
        "sshd.service"
    };
    vec![
        format!("rm -rf {STAGING} /var/chef /var/cinc /etc/chef /etc/cinc /root/.chef /root/.cinc"),
        "rm -f /etc/ssh/ssh_host_*".to_string(),
        "rm -f /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys".to_string(),
        "rm -f /root/.bash_history /home/*/.bash_history".to_string(),
        format!("systemctl disable {ssh_units} 2>/dev/null || true"),
        format!("systemctl mask {ssh_units}"),
    ]
}

fn lines(commands: &[&str]) -> Expression {
    Expression::Array(commands.iter().map(|c| s(c)).collect())
}

fn s(text: &str) -> Expression {
    Expression::String(text.to_string())
}

fn key(name: &str) -> ObjectKey {
    ObjectKey::Expression(Expression::String(name.to_string()))
}

fn var(name: &str) -> Expression {
    Traversal::builder(Variable::unchecked("var"))
        .attr(name)
        .build()
        .into()
}

fn local(name: &str) -> Expression {
    Traversal::builder(Variable::unchecked("local"))
        .attr(name)
        .build()
        .into()
}

fn path_root() -> Expression {
    Traversal::builder(Variable::unchecked("path"))
        .attr("root")
        .build()
        .into()
}

enum Part<'a> {
    /// Fixed text or a model name restricted to `[a-z0-9-]`: the formatter
    /// escapes template markers in literals but not quotes or backslashes.
    Lit(&'a str),
    Expr(Expression),
}

/// A quoted template string (`"shop-${var.version}"`) built from parts.
fn template(parts: &[Part<'_>]) -> Expression {
    let mut tpl = Template::new();
    for part in parts {
        tpl = match part {
            Part::Lit(text) => tpl.add_literal(text.replace(['"', '\\'], "_")),
            Part::Expr(expr) => tpl.add_interpolation(expr.clone()),
        };
    }
    Expression::from(TemplateExpr::QuotedString(tpl.to_string()))
}

/// Pads attribute keys so `=` signs line up the way `packer fmt` (hclwrite)
/// does: within a run of consecutive single-line `key = value` lines; a line
/// that opens a multi-line value (`key = {`), a block, a closing brace or a
/// blank line ends the run and is left alone.
pub(crate) fn align_assignments(text: &str) -> String {
    type Line<'a> = (&'a str, Option<(usize, usize)>);
    let lines: Vec<Line> = text.lines().map(|l| (l, assignment(l))).collect();
    let key_width = |line: &str, indent: usize, key_end: usize| {
        line.get(indent..key_end).map_or(0, |k| k.chars().count())
    };
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest: &[Line] = &lines;
    while let Some(((line, parsed), tail)) = rest.split_first() {
        let Some((indent, _)) = *parsed else {
            out.push_str(line);
            out.push('\n');
            rest = tail;
            continue;
        };
        let run_len = rest
            .iter()
            .take_while(|(_, p)| matches!(p, Some((ind, _)) if *ind == indent))
            .count();
        let (run, after) = rest.split_at_checked(run_len).unwrap_or((rest, &[]));
        let width = run
            .iter()
            .filter_map(|(l, p)| p.map(|(_, k)| key_width(l, indent, k)))
            .max()
            .unwrap_or(0);
        for (l, p) in run {
            if let Some((key, value)) = p.and_then(|(_, k)| l.split_at_checked(k)) {
                out.push_str(key);
                out.push_str(&" ".repeat(width.saturating_sub(key_width(l, indent, key.len()))));
                out.push_str(value);
                out.push('\n');
            }
        }
        rest = after;
    }
    out
}

/// For a single-line `key = value` line: (indent in bytes, end of key in bytes).
fn assignment(line: &str) -> Option<(usize, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let rest = &line[indent..];
    let key_len = if let Some(quoted) = rest.strip_prefix('"') {
        let mut escaped = false;
        let mut close = None;
        for (pos, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    close = Some(pos);
                    break;
                }
                _ => {}
            }
        }
        close? + 2
    } else {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?
    };
    if key_len == 0 || !rest[key_len..].starts_with(" = ") {
        return None;
    }
    if rest.ends_with('{') || rest.ends_with('[') || rest.ends_with('(') {
        return None;
    }
    Some((indent, indent + key_len))
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
    use crate::model::sample;

    fn image(app: &App) -> String {
        emit(app)
            .unwrap()
            .into_iter()
            .find(|a| a.path == "packer/image.pkr.hcl")
            .unwrap()
            .contents
    }

    #[test]
    fn starts_with_header_and_is_deterministic() {
        let app = sample::shop_prod();
        let a = emit(&app).unwrap();
        assert_eq!(a, emit(&app).unwrap());
        for artifact in &a {
            assert!(
                artifact.contents.starts_with(&header(&app, "#")),
                "{}",
                artifact.path
            );
            assert!(artifact.contents.ends_with("}\n"), "{}", artifact.path);
        }
    }

    #[test]
    fn aligns_like_hclwrite() {
        let input = "a {\n  x = 1\n  long_name = 2\n  tags = {\n    \"k\" = \"v\"\n    \"longer\" = 1\n  }\n  y = [\"a\"]\n\n  z = 3\n}\n";
        let want = "a {\n  x         = 1\n  long_name = 2\n  tags = {\n    \"k\"      = \"v\"\n    \"longer\" = 1\n  }\n  y = [\"a\"]\n\n  z = 3\n}\n";
        assert_eq!(align_assignments(input), want);
    }

    #[test]
    fn the_key_is_the_apps_by_full_arn() {
        let text = image(&sample::minimal());
        assert!(
            text.contains("\"arn:aws:kms:eu-west-1:111122223333:alias/paas-minimal-default\""),
            "{text}"
        );
        let text = image(&sample::shop_prod());
        assert!(
            text.contains("\"arn:aws:kms:eu-west-1:222233334444:alias/shop\""),
            "{text}"
        );
        assert!(!text.contains("\"alias/shop\""));
    }

    #[test]
    fn user_strings_are_escaped() {
        let mut app = sample::minimal();
        app.tags
            .insert("Note".into(), "${evil} \"quoted\" %{x}".into());
        let text = image(&app);
        assert!(text.contains(r#""$${evil} \"quoted\" %%{x}""#), "{text}");
    }
}
