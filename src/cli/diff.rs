//! `paasc diff OLD.paas NEW.paas [--env NAME]`: what a spec change does to
//! the infrastructure (`paasc::diff`), before it ships.
//!
//! Exit codes: 0 the two compile to the same artifacts; 1 they differ; 2 a
//! spec has errors, or a usage or I/O error; 3 an internal error.

use super::output::{internal, readable, report, INTERNAL_ERROR};
use super::{MessageFormat, SpecArgs, SpecOptions};
use paasc::Envs;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The spec as it is (e.g. `git show main:app.paas > /tmp/old.paas`).
    pub old: PathBuf,
    /// The spec as it would be.
    pub new: PathBuf,
    /// Compare this env (default: no overlay, env `default`).
    #[arg(long)]
    pub env: Option<String>,
    /// Override a `param` in both: `--set name=value` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = super::parse_set)]
    pub sets: Vec<(String, String)>,
    /// The chef repo both are resolved against (default: beside each spec).
    #[arg(long, value_name = "DIR")]
    pub chef_repo: Option<PathBuf>,
    /// `human`: the summary, the changed settings, then unified diffs;
    /// `json`: one object with `summary`, `changes` and `artifacts`.
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
}

pub fn run(args: &DiffArgs) -> ExitCode {
    let envs = match &args.env {
        Some(e) => Envs::Named(e.clone()),
        None => Envs::Default,
    };
    let mut sides = Vec::new();
    for file in [&args.old, &args.new] {
        let spec = SpecArgs {
            file: file.clone(),
            opts: SpecOptions {
                sets: args.sets.clone(),
                message_format: args.message_format,
                deny_warnings: false,
                chef_repo: args.chef_repo.clone(),
            },
        };
        let root = match readable(&spec) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        let c = match super::output::compile(&spec, &root, &envs, true) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        if report(&c, &spec) {
            return ExitCode::from(2);
        }
        let Some(app) = c.apps.into_iter().next() else {
            return ExitCode::from(2);
        };
        // Both sides' artifacts name the new file in their headers: a
        // renamed file is not a change to the infrastructure.
        let mut app = app;
        if let Some(name) = args.new.file_name() {
            app.source.file_name = name.to_string_lossy().into_owned();
        }
        let artifacts = match paasc::emit::emit_all(&app) {
            Ok(a) => a,
            Err(e) => {
                internal(&e, args.message_format);
                return ExitCode::from(INTERNAL_ERROR);
            }
        };
        sides.push((app, artifacts));
    }
    let (Some((new, new_artifacts)), Some((old, old_artifacts))) = (sides.pop(), sides.pop())
    else {
        return ExitCode::from(2);
    };
    let r = paasc::diff::diff(&old, &old_artifacts, &new, &new_artifacts);
    match args.message_format {
        MessageFormat::Json => match serde_json::to_string(&r) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(INTERNAL_ERROR);
            }
        },
        MessageFormat::Human => print_human(&r, &new),
    }
    if r.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_human(r: &paasc::diff::Report, app: &paasc::model::App) {
    if r.is_empty() {
        println!("{}/{}: no change", app.name, app.env);
        return;
    }
    println!("{}/{}:", app.name, app.env);
    for s in &r.summary {
        println!("  * {}", s.text);
    }
    if !r.changes.is_empty() {
        println!("\nsettings:");
        for c in &r.changes {
            println!("  {}: {} -> {}", c.path, c.old, c.new);
        }
    }
    if !r.artifacts.is_empty() {
        println!("\nartifacts:");
        for a in &r.artifacts {
            println!("  {:<8} {}", a.status, a.path);
        }
        for a in &r.artifacts {
            print!("\n{}", a.diff);
        }
    }
}
