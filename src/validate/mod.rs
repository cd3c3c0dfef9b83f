//! Every semantic rule: env overlays, interpolation, types, units, AWS
//! identifier shapes, cross-field checks. Produces the typed `model::App`.
//!
//! Input: a resolved `Program` and an env name. Output: the model for that
//! env when the spec has no errors, plus diagnostics. Reading never stops
//! at the first problem: each block is read whole and every mismatch is
//! reported; a missing value falls back to its default so later checks
//! still run.

mod app;
mod checks;
mod tables;
mod tree;
pub mod values;

use crate::diagnostics::{suggest, Code, Diagnostic, Diagnostics};
use crate::model::App;
use crate::resolve::{duplicate, Program};
use crate::syntax::ast::{Block, Ident, Item};
use tree::Node;

/// The env name used when no overlay is selected.
pub const DEFAULT_ENV: &str = "default";

/// The `env NAME { ... }` overlays of an app, in source order (duplicates
/// and nameless ones reported).
pub fn envs<'a>(app: &'a Block, diags: &mut Diagnostics) -> Vec<(&'a Ident, &'a Block)> {
    let mut out: Vec<(&Ident, &Block)> = Vec::new();
    for item in &app.items {
        let Item::Block(b) = item else { continue };
        if b.name.name != "env" {
            continue;
        }
        let Some(label) = &b.label else {
            diags.push(
                Diagnostic::new(Code::Misplaced, "`env` needs a name")
                    .label(b.name.span, "write `env NAME { ... }`")
                    .help("for example `env prod { fleet { min = 3 } }`"),
            );
            continue;
        };
        crate::resolve::check_name(label, "env", diags);
        if let Some((prev, _)) = out.iter().find(|(l, _)| l.name == label.name) {
            diags.push(duplicate("env", &label.name, prev.span, label.span));
            continue;
        }
        for inner in &b.items {
            if let Item::Block(nested) = inner {
                if nested.name.name == "env" {
                    diags.push(
                        Diagnostic::new(Code::UnknownBlock, "env overlays cannot nest")
                            .label(nested.name.span, "`env` inside `env`")
                            .help("declare every env directly inside `app`"),
                    );
                }
            }
        }
        out.push((label, b));
    }
    out
}

/// Lowers the app for one env (`None` = default). Returns the model only
/// when this env produced no errors.
pub fn lower(prog: &Program, env: Option<&str>, diags: &mut Diagnostics) -> Option<App> {
    let app = prog.app.as_ref()?;
    let mut local = Diagnostics::default();
    let overlays = envs(app, &mut local);
    let mut node = Node::build(&app.items, app.had_errors, &mut local);
    let env_name = match env {
        None => DEFAULT_ENV.to_string(),
        Some(DEFAULT_ENV) => DEFAULT_ENV.to_string(),
        Some(name) => match overlays.iter().find(|(l, _)| l.name == name) {
            Some((_, b)) => {
                let overlay = Node::build(&b.items, b.had_errors, &mut local);
                node.merge(&overlay);
                name.to_string()
            }
            None => {
                let names: Vec<&str> = overlays.iter().map(|(l, _)| l.name.as_str()).collect();
                let help = suggest(name, names.iter().copied()).or_else(|| {
                    if names.is_empty() {
                        Some("the app declares no env overlays".into())
                    } else {
                        Some(format!("declared envs: {}", names.join(", ")))
                    }
                });
                let span = app.label.as_ref().map(|l| l.span).unwrap_or(app.name.span);
                local.push(
                    Diagnostic::new(Code::UnknownEnv, format!("no env `{name}` in this app"))
                        .label(span, "this app has no such env")
                        .maybe_help(help),
                );
                diags.extend(local);
                return None;
            }
        },
    };
    let env_list: Vec<String> = overlays.iter().map(|(l, _)| l.name.clone()).collect();
    let model = app::lower_app(prog, app, &node, &env_name, env_list, &mut local);
    let failed = local.has_errors();
    diags.extend(local);
    if failed {
        None
    } else {
        model
    }
}

/// Warnings about the program as a whole (not per env).
pub fn program_warnings(prog: &Program, diags: &mut Diagnostics) {
    for (name, p) in &prog.params {
        if !prog.interpolated.contains(name) {
            diags.push(
                Diagnostic::new(Code::UnusedParam, format!("param `{name}` is never used"))
                    .label(p.name.span, "declared here")
                    .help(format!("use it as `${{{name}}}` in a string, or remove it")),
            );
        }
    }
}
