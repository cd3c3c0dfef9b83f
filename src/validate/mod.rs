//! Every semantic rule: env overlays, interpolation, types, units, AWS
//! identifier shapes, cross-field checks. Produces the typed `model::App`.
//!
//! Input: a resolved `Program` and an env name. Output: the model for that
//! env when the spec has no errors, plus diagnostics. Reading never stops
//! at the first problem: each block is read whole and every mismatch is
//! reported; a missing value falls back to its default so later checks
//! still run.

mod blocks;
mod checks;
mod fields;
mod structure;
pub(crate) mod tables;
mod tree;
pub mod values;

use crate::diagnostics::{suggest, Code, Diagnostic, Diagnostics};
use crate::model::App;
use crate::resolve::Program;
use crate::syntax::ast::{Block, Ident};
use tree::Node;

/// The env name used when no overlay is selected; reserved as an env name.
pub const DEFAULT_ENV: &str = "default";

/// What does not depend on the env, checked once per program: the shape of
/// every block against the schema table (unknown keys and blocks, shapes,
/// duplicates), the env overlays, unused params.
pub fn program(prog: &Program, diags: &mut Diagnostics) {
    structure::check(prog, diags);
    program_warnings(prog, diags);
    if prog.app.is_none() {
        library(prog, diags);
    }
}

/// A file of modules only: the values of its `base` and `controls`
/// definitions (with an app they are checked as the app lowers, in every
/// env). Modules see the params; there is no app to give `${app}`,
/// `${env}`, `${region}` or `${account}`.
fn library(prog: &Program, diags: &mut Diagnostics) {
    let mut cx = tree::Cx {
        diags,
        vars: Default::default(),
    };
    let params = blocks::params(&mut cx, prog);
    cx.vars.extend(params);
    for def in prog.bases.values().filter(|d| !d.stdlib) {
        let _ = blocks::base_def(&mut cx, def);
    }
    for def in prog.packs.values().filter(|d| !d.stdlib) {
        checks::pack_lines(&mut cx, &def.block);
    }
}

/// The names of the app's env overlays, in source order (problems with
/// them are reported by [`program`]).
pub fn env_names(app: &Block) -> Vec<String> {
    envs(app).iter().map(|(l, _)| l.name.clone()).collect()
}

fn envs(app: &Block) -> Vec<(&Ident, &Block)> {
    structure::envs(app, &mut Diagnostics::default())
}

/// Lowers the app for one env (`None` = default). Returns the model only
/// when this env produced no errors.
pub fn lower(prog: &Program, env: Option<&str>, diags: &mut Diagnostics) -> Option<App> {
    let app = prog.app.as_ref()?;
    let mut local = Diagnostics::default();
    let overlays = envs(app);
    // Duplicates were reported by the structural pass: build silently.
    let mut node = Node::build(&app.items, app.had_errors, &mut Diagnostics::default());
    let env_name = match env {
        None => DEFAULT_ENV.to_string(),
        Some(DEFAULT_ENV) => DEFAULT_ENV.to_string(),
        Some(name) => match overlays.iter().find(|(l, _)| l.name == name) {
            Some((_, b)) => {
                let overlay = Node::build(&b.items, b.had_errors, &mut Diagnostics::default());
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
    let model = blocks::lower_app(prog, app, &node, &env_name, env_list, &mut local);
    let failed = local.has_errors();
    diags.extend(local);
    if failed {
        None
    } else {
        model
    }
}

/// Warnings about the program as a whole (not per env).
fn program_warnings(prog: &Program, diags: &mut Diagnostics) {
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

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use crate::resolve::MemLoader;
    use crate::schema::{self, Content};

    /// A spec that writes every key of the table at least once.
    const EVERY_KEY: &str = r#"
param version = "1.0.0"
base corp {
  owner = "333344445555"  filter = "corp-*"  user = "ec2-user"  platform = "amazon"
}
app every {
  team = "t"  version = "${version}"  region = "eu-west-1"  account = "111122223333"
  kms = "alias/every"
  tags { A = "b" }
  image {
    base = corp  instance = "t3.small"  volume = 30GiB  share = ["444455556666"]
    chef = ["nginx"]
    attributes { a.b = 1 }
  }
  service { port = 8080  health = "/h"  public = false
    https = "arn:aws:acm:eu-west-1:111122223333:certificate/6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d" }
  network { vpc = "vpc-0aa11bb22cc33dd44"
    subnets = ["subnet-0aa11bb22cc33dd44", "subnet-0aa11bb22cc33dd45"]  allow = ["10.0.0.0/8"] }
  fleet { min = 1  max = 2  desired = 1  cpu = 50%  launch = template }
  access { s3 = ["b-1"]  dynamodb = ["tab"]  sqs = ["q"]  secrets = ["/s"] }
  verify { port 8080 listening }
  logs { bucket = "every-logs"  retain = 30d }
  release { strategy = blue-green  shift = [50%, 100%]  bake = 1m }
  pipeline { workers = ssm  timeout = 1h  retry = 1  account = "111122223333"  subnet = "subnet-0aa11bb22cc33dd44"
    notify = "arn:aws:sns:eu-west-1:111122223333:t" }
}
"#;

    #[test]
    fn every_key_of_the_table_is_read() {
        let loader = MemLoader::default().with("every.paas", EVERY_KEY);
        let c = crate::compile("every.paas", &loader, &crate::Envs::All, &[], true);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        let read = super::fields::READ.with(|r| r.borrow().clone());
        for def in schema::BLOCKS {
            // `env` overlays are read through the app's keys.
            if def.name == "env" || def.content != Content::Keys {
                continue;
            }
            for key in def.keys {
                assert!(
                    read.contains(&(def.name, key.name)),
                    "`{}.{}` is in the schema table but no reader reads it",
                    def.name,
                    key.name
                );
            }
        }
    }
}
