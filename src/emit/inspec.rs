//! InSpec profile emitter: `inspec/inspec.yml` and `inspec/controls/*.rb`.
//!
//! Input: one `model::App`. Output: the profile metadata (name `<app>-<env>`,
//! maintainer = team, version = app version, `supports` from the base image's
//! platform, the inputs `app_port` and `health_path`) and one control file per
//! origin: `controls/verify.rb` (the spec's own `verify` lines),
//! `controls/pack-<name>.rb` (each control pack used) and
//! `controls/implied.rb` (what the spec implies: the app port listens, port 22
//! does not, the SSM and CloudWatch agents run, the health path answers 200),
//! an implied control being left out when an explicit check is exactly it.
//!
//! Invariants:
//! - Every user string reaches Ruby only through `ruby_str` (a single-quoted
//!   literal, `\` and `'` escaped): no interpolation, no code, whatever the
//!   spec says. Text that is not a user string (numbers, fixed snippets) is
//!   built here from typed values only.
//! - Control ids are `<app>-<check>-<target>` in `[a-z0-9-]`, unique within
//!   the profile (a repeat gets `-2`, `-3`, ... in spec order), so they are
//!   stable across builds as long as the spec's check order is.
//! - The controls are evaluated on the app's hosts (InSpec reaches them
//!   through SSM; see `ssm.rs`), so `http` checks use `localhost`.
//! - The templates are `templates/inspec/*.hbs`, rendered by handlebars in
//!   strict mode without HTML escaping; they reach the registry compiled
//!   ahead of time (`inspec/compiled.rs`, generated from them; see
//!   `inspec/precompile.rs`), so no process parses them.

use super::{header, Artifact, InternalError};
use crate::model::{App, Check, FileState, PortState};
use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError,
    RenderErrorReason,
};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

// Compiled ahead of time from these sources (see `precompile.rs`).
#[rustfmt::skip]
mod compiled;
mod precompile;

/// The templates' sources, by the name the emitter renders each with. Only
/// the compile-time fingerprint and the tests read them: the binary holds
/// the compiled templates, not their text.
const TEMPLATES: [(&str, &str); 9] = [
    ("control", include_str!("templates/inspec/control.rb.hbs")),
    ("port", include_str!("templates/inspec/port.rb.hbs")),
    ("service", include_str!("templates/inspec/service.rb.hbs")),
    ("package", include_str!("templates/inspec/package.rb.hbs")),
    ("file", include_str!("templates/inspec/file.rb.hbs")),
    ("command", include_str!("templates/inspec/command.rb.hbs")),
    ("http", include_str!("templates/inspec/http.rb.hbs")),
    (
        "http_input",
        include_str!("templates/inspec/http_input.rb.hbs"),
    ),
    (
        "inspec_yml",
        include_str!("templates/inspec/inspec.yml.hbs"),
    ),
];

/// The fingerprint of every template's name and text, in order.
const fn fingerprint(mut templates: &[(&str, &str)]) -> u64 {
    let mut f = crate::hash::Fingerprint::new();
    while let [(name, text), rest @ ..] = templates {
        f = f.add(name).add(text);
        templates = rest;
    }
    f.value()
}

const _: () = assert!(
    crate::hash::REGENERATING || fingerprint(&TEMPLATES) == compiled::FINGERPRINT,
    "src/emit/inspec/compiled.rs is stale (a template changed): \
     run `PAASC_REGEN=1 cargo test --lib precompile`, then `cargo test`"
);

/// Longest sanitised target kept in a control id (long commands would
/// otherwise make unwieldy ids).
const MAX_TARGET_LEN: usize = 48;

/// The SSM agent's systemd unit: Ubuntu ships the agent as a snap.
pub fn ssm_agent_service(app: &App) -> &'static str {
    if app.image.base.platform == "ubuntu" {
        "snap.amazon-ssm-agent.amazon-ssm-agent"
    } else {
        "amazon-ssm-agent"
    }
}

/// The systemd unit of a service a check names, on the app's platform:
/// `amazon-ssm-agent` is a snap on Ubuntu; every other name is as written.
pub fn service_unit(app: &App, name: &str) -> String {
    if name == "amazon-ssm-agent" {
        ssm_agent_service(app).to_string()
    } else {
        name.to_string()
    }
}

/// The CloudWatch agent's service name (the same on every supported platform).
pub const CLOUDWATCH_AGENT_SERVICE: &str = "amazon-cloudwatch-agent";

/// Quotes `s` as a Ruby single-quoted string literal. Inside single quotes
/// only `\\` and `\'` are escapes, and `#{}` is inert; newlines and every
/// other character stand for themselves, so the literal's value is exactly `s`.
pub fn ruby_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quotes `s` as a YAML double-quoted scalar (JSON string syntax is a subset).
fn yaml_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Lowercase `[a-z0-9-]`, runs of anything else folded into one `-`, no
/// leading or trailing `-`.
pub fn sanitize_id(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn string_param<'a>(h: &'a Helper, name: &'static str) -> Result<&'a str, RenderError> {
    let param = h
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
    param
        .value()
        .as_str()
        .ok_or_else(|| RenderErrorReason::InvalidParamType("string").into())
}

fn ruby_str_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&ruby_str(string_param(h, "ruby_str")?))?;
    Ok(())
}

fn yaml_str_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    out.write(&yaml_str(string_param(h, "yaml_str")?))?;
    Ok(())
}

/// The registry of the precompiled templates, built once per process (every
/// env and spec of a run shares it).
fn registry() -> Result<&'static Handlebars<'static>, String> {
    static REGISTRY: OnceLock<Result<Handlebars<'static>, String>> = OnceLock::new();
    REGISTRY
        .get_or_init(compile_templates)
        .as_ref()
        .map_err(Clone::clone)
}

/// A registry with every setting and helper, and no template yet.
fn configured() -> Handlebars<'static> {
    let mut reg = Handlebars::new();
    reg.set_strict_mode(true);
    // Ruby and YAML are not HTML: quoting is done by the helpers alone.
    reg.register_escape_fn(handlebars::no_escape);
    reg.register_helper("ruby_str", Box::new(ruby_str_helper));
    reg.register_helper("yaml_str", Box::new(yaml_str_helper));
    reg
}

fn compile_templates() -> Result<Handlebars<'static>, String> {
    let mut reg = configured();
    for (name, template) in compiled::templates()? {
        reg.register_template(name, template);
    }
    Ok(reg)
}

/// Where a control comes from; decides its file, description and tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin<'a> {
    Verify,
    Pack(&'a str),
    Implied,
}

/// What a control checks: one of the spec's checks, a check the spec
/// implies, or the implied ones that read the profile's inputs.
enum Subject<'a> {
    Explicit(&'a Check),
    Implied(Check),
    AppPort,
    AppHealth,
}

struct Planned<'a> {
    origin: Origin<'a>,
    subject: Subject<'a>,
}

#[derive(Serialize)]
struct Tag {
    key: &'static str,
    value: String,
}

#[derive(Serialize)]
struct ControlData {
    id: String,
    impact: &'static str,
    title: String,
    desc: String,
    tags: Vec<Tag>,
    body: String,
}

/// Every control of the profile in order: the spec's checks (packs
/// flattened in place), then the implied ones not already covered.
fn plan(app: &App) -> Vec<Planned<'_>> {
    let mut out: Vec<Planned<'_>> = app
        .checks()
        .map(|(pack, check)| Planned {
            origin: pack.map_or(Origin::Verify, Origin::Pack),
            subject: Subject::Explicit(check),
        })
        .collect();
    let explicit: Vec<&Check> = app.checks().map(|(_, c)| c).collect();
    let has = |want: &dyn Fn(&Check) -> bool| explicit.iter().any(|c| want(c));

    let port = app.service.port;
    if !has(&|c| matches!(c, Check::Port { port: p, state: PortState::Listening } if *p == port)) {
        out.push(Planned {
            origin: Origin::Implied,
            subject: Subject::AppPort,
        });
    }
    let no_ssh = Check::Port {
        port: 22,
        state: PortState::Closed,
    };
    if !explicit.contains(&&no_ssh) {
        out.push(Planned {
            origin: Origin::Implied,
            subject: Subject::Implied(no_ssh),
        });
    }
    for name in [ssm_agent_service(app), CLOUDWATCH_AGENT_SERVICE] {
        let agent = Check::Service {
            name: name.to_string(),
        };
        if !explicit.contains(&&agent) {
            out.push(Planned {
                origin: Origin::Implied,
                subject: Subject::Implied(agent),
            });
        }
    }
    let health = app.service.health.as_str();
    if !has(&|c| matches!(c, Check::Http { path, status: 200 } if path == health)) {
        out.push(Planned {
            origin: Origin::Implied,
            subject: Subject::AppHealth,
        });
    }
    out
}

/// One control's parts: check kind and target (for the id), impact,
/// title, and the resource block's template and data.
struct Described {
    kind: &'static str,
    target: String,
    impact: &'static str,
    title: String,
    template: &'static str,
    data: serde_json::Value,
}

fn describe_subject(app: &App, subject: &Subject<'_>) -> Described {
    let check = match subject {
        Subject::AppPort => {
            let port = app.service.port;
            return Described {
                kind: "port",
                target: port.to_string(),
                impact: "0.7",
                title: format!("The application listens on port {port}"),
                template: "port",
                data: json!({ "port_expr": "input('app_port')", "should": "should" }),
            };
        }
        Subject::AppHealth => {
            let health = &app.service.health;
            return Described {
                kind: "http",
                target: health.clone(),
                impact: "0.7",
                title: format!("GET {health} on the application port returns 200"),
                template: "http_input",
                data: json!({ "status": 200 }),
            };
        }
        Subject::Explicit(check) => check,
        Subject::Implied(check) => check,
    };
    match check {
        Check::Port { port, state } => {
            let (should, verb, impact) = match state {
                PortState::Listening => ("should", "is listening", "0.7"),
                PortState::Closed => ("should_not", "is not listening", "1.0"),
            };
            Described {
                kind: "port",
                target: port.to_string(),
                impact,
                title: format!("Port {port} {verb}"),
                template: "port",
                data: json!({ "port_expr": port.to_string(), "should": should }),
            }
        }
        Check::Service { name } => {
            // Packs name services portably; the unit is the platform's.
            let unit = service_unit(app, name);
            Described {
                kind: "service",
                target: name.clone(),
                impact: "0.7",
                title: format!("Service {unit} is installed, enabled and running"),
                template: "service",
                data: json!({ "name": unit }),
            }
        }
        Check::Package { name, constraint } => Described {
            kind: "package",
            target: name.clone(),
            impact: "0.5",
            title: match constraint {
                Some(c) => format!("Package {name} is installed, version {c}"),
                None => format!("Package {name} is installed"),
            },
            template: "package",
            data: json!({ "name": name, "constraints": constraint.iter().collect::<Vec<_>>() }),
        },
        Check::File {
            path,
            state,
            mode,
            owner,
        } => {
            let (should, mut title, impact) = match state {
                FileState::Exists => ("should", format!("File {path} exists"), "0.5"),
                FileState::Absent => ("should_not", format!("File {path} is absent"), "0.7"),
            };
            if let Some(m) = mode {
                title.push_str(&format!(" with mode {m}"));
            }
            if let Some(o) = owner {
                title.push_str(&format!(", owned by {o}"));
            }
            Described {
                kind: "file",
                target: path.clone(),
                impact,
                title,
                template: "file",
                data: json!({
                    "path": path,
                    "should": should,
                    "modes": mode.iter().collect::<Vec<_>>(),
                    "owners": owner.iter().collect::<Vec<_>>(),
                }),
            }
        }
        Check::Command { command, exit } => Described {
            kind: "command",
            target: command.clone(),
            impact: "0.5",
            title: format!("Command `{command}` exits {exit}"),
            template: "command",
            data: json!({ "command": command, "exit": exit }),
        },
        Check::Http { path, status } => Described {
            kind: "http",
            target: path.clone(),
            impact: "0.7",
            title: format!("GET {path} on the application port returns {status}"),
            template: "http",
            data: json!({
                "url": format!("http://localhost:{}{}", app.service.port, path),
                "status": status,
            }),
        },
    }
}

/// `<app>-<check>-<target>`, sanitised, target shortened.
fn control_id(app: &App, kind: &str, target: &str) -> String {
    let mut target = sanitize_id(target);
    if target.len() > MAX_TARGET_LEN {
        target.truncate(MAX_TARGET_LEN);
        while target.ends_with('-') {
            target.pop();
        }
    }
    sanitize_id(&format!("{}-{}-{}", app.name, kind, target))
}

/// Makes `id` unique against `seen` with a numeric suffix, deterministically.
fn dedup(seen: &mut BTreeSet<String>, id: String) -> String {
    let mut candidate = id.clone();
    let mut n = 2u32;
    while seen.contains(&candidate) {
        candidate = format!("{id}-{n}");
        n += 1;
    }
    seen.insert(candidate.clone());
    candidate
}

fn control_file(origin: Origin<'_>) -> String {
    match origin {
        Origin::Verify => "inspec/controls/verify.rb".to_string(),
        Origin::Pack(name) => {
            let name = sanitize_id(name);
            let name = if name.is_empty() {
                "pack".to_string()
            } else {
                name
            };
            format!("inspec/controls/pack-{name}.rb")
        }
        Origin::Implied => "inspec/controls/implied.rb".to_string(),
    }
}

/// `header(app, "#")`, kept to one comment line even if the source file name
/// held a line break (a newline there would end the comment and start Ruby).
fn comment_header(app: &App) -> String {
    let h = header(app, "#");
    let body: String = h
        .trim_end_matches('\n')
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("{body}\n")
}

fn render_all(app: &App) -> Result<Vec<Artifact>, String> {
    let reg = registry()?;
    let source = &app.source.file_name;
    let mut seen = BTreeSet::new();
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for planned in plan(app) {
        let d = describe_subject(app, &planned.subject);
        let id = dedup(&mut seen, control_id(app, d.kind, &d.target));
        let body = reg.render(d.template, &d.data).map_err(|e| e.to_string())?;
        let mut tags = vec![
            Tag {
                key: "app",
                value: app.name.clone(),
            },
            Tag {
                key: "env",
                value: app.env.clone(),
            },
            Tag {
                key: "check",
                value: d.kind.to_string(),
            },
        ];
        let desc = match planned.origin {
            Origin::Verify => {
                tags.push(Tag {
                    key: "origin",
                    value: "verify".into(),
                });
                format!("Declared in the `verify` block of {source}.")
            }
            Origin::Pack(name) => {
                tags.push(Tag {
                    key: "origin",
                    value: "pack".into(),
                });
                tags.push(Tag {
                    key: "pack",
                    value: name.to_string(),
                });
                format!("From the control pack `{name}` used in the `verify` block of {source}.")
            }
            Origin::Implied => {
                tags.push(Tag {
                    key: "origin",
                    value: "implied".into(),
                });
                format!("Implied by {source}: every paasc host must satisfy it.")
            }
        };
        let data = ControlData {
            id,
            impact: d.impact,
            title: d.title,
            desc,
            tags,
            body,
        };
        let text = reg.render("control", &data).map_err(|e| e.to_string())?;
        files
            .entry(control_file(planned.origin))
            .or_insert_with(|| comment_header(app))
            .push_str(&text);
    }

    let platform = app.image.base.platform.as_str();
    let (family, names) = platform_support(platform);
    let yml = reg
        .render(
            "inspec_yml",
            &json!({
                "name": app.prefix(),
                "title": format!("{} ({}): host validation", app.name, app.env),
                "maintainer": app.team,
                "summary": format!("Validates the hosts of {} in {} after each deploy; generated from {}", app.name, app.env, source),
                "version": app.version,
                "family": family,
                "platform_names": names,
                "app_port": app.service.port,
                "health_path": app.service.health,
            }),
        )
        .map_err(|e| e.to_string())?;
    let mut out = vec![Artifact::new(
        "inspec/inspec.yml",
        format!("{}{}", comment_header(app), yml),
    )];
    out.extend(
        files
            .into_iter()
            .map(|(path, contents)| Artifact::new(path, contents)),
    );
    Ok(out)
}

/// InSpec's `supports` entry for the model's platform: platforms that are a
/// distribution name (Ubuntu, Amazon Linux, ...) are matched by family and
/// name together, platforms that are a family by family alone.
fn platform_support(platform: &str) -> (&str, Vec<&str>) {
    match platform {
        "ubuntu" | "debian" => (
            "debian",
            if platform == "ubuntu" {
                vec!["ubuntu"]
            } else {
                vec![]
            },
        ),
        "amazon" | "centos" | "rocky" | "almalinux" | "oracle" => ("redhat", vec![platform]),
        "rhel" => ("redhat", vec!["redhat"]),
        "opensuse" | "sles" => ("suse", vec![platform]),
        other => (other, vec![]),
    }
}

/// The profile: `inspec/inspec.yml` then the control files, sorted by path.
pub fn emit(app: &App) -> Result<Vec<Artifact>, InternalError> {
    // Templates are fixed at compile time and covered by tests: a render
    // failure is a paasc bug.
    let mut out = render_all(app).map_err(|e| InternalError::new("inspec", e))?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
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

    #[test]
    fn ruby_str_escapes_only_backslash_and_quote() {
        assert_eq!(ruby_str(r"a'b\c#{x}"), r"'a\'b\\c#{x}'");
    }

    #[test]
    fn ids_are_sanitised_and_deduplicated() {
        let app = sample::shop_prod();
        let all: String = emit(&app)
            .unwrap()
            .into_iter()
            .map(|a| a.contents)
            .collect();
        assert!(all.contains("control 'shop-file-root-ssh-authorized-keys' do"));
        assert!(all.contains("control 'shop-file-root-ssh-authorized-keys-2' do"));
        assert!(all.contains("control 'shop-port-8443' do"));
        // explicit checks cover the implied ones exactly: no duplicates
        assert!(!all.contains("shop-port-8443-2"));
        assert!(!all.contains("shop-port-22-2"));
    }
}
