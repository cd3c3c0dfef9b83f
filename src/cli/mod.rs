//! Command-line front end: argument parsing, file I/O, output, exit codes.
//!
//! Exit codes: 0 clean or warnings only; 1 errors in the spec (or warnings
//! with `--deny-warnings`); 2 usage or I/O errors; 3 an internal error (a
//! bug in paasc).

mod bootstrap;
mod build;
mod check;
#[cfg(feature = "deploy")]
mod deploy;
mod diff;
mod explain;
mod fmt;
mod many;
mod output;
#[cfg(feature = "deploy")]
mod worker;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "paasc",
    version,
    about = "Compiles an app spec into every artifact of an immutable-infrastructure pipeline on AWS"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum MessageFormat {
    /// Graphical reports on stderr.
    Human,
    /// One JSON object per diagnostic per line, on stdout.
    Json,
}

/// How a spec is compiled and its diagnostics shown (every command that
/// compiles specs takes these).
#[derive(clap::Args, Debug, Clone)]
pub struct SpecOptions {
    /// Override a `param`: `--set name=value` (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    pub sets: Vec<(String, String)>,
    /// How diagnostics are printed.
    #[arg(long, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
    /// Treat warnings as errors (exit 1).
    #[arg(long)]
    pub deny_warnings: bool,
    /// The chef repo (`cookbooks/`, `roles/`) run lists are checked
    /// against and vendored from (default: beside each spec, when there).
    #[arg(long, value_name = "DIR")]
    pub chef_repo: Option<std::path::PathBuf>,
}

/// One spec and its options (`deploy`).
#[derive(clap::Args, Debug)]
pub struct SpecArgs {
    /// The spec file (`app.paas`).
    pub file: std::path::PathBuf,
    #[command(flatten)]
    pub opts: SpecOptions,
}

/// Many specs and their options (`check`, `build`).
#[derive(clap::Args, Debug)]
pub struct SpecsArgs {
    /// Spec files, or directories: every top-level `.paas` file in them.
    #[arg(required = true)]
    pub files: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub opts: SpecOptions,
}

impl SpecsArgs {
    /// The options for one of the specs.
    pub fn one(&self, file: &std::path::Path) -> SpecArgs {
        SpecArgs {
            file: file.to_path_buf(),
            opts: self.opts.clone(),
        }
    }
}

pub(crate) fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Check specs and report every problem (default env and every env).
    Check {
        #[command(flatten)]
        spec: SpecsArgs,
        /// Check only this env (default: the app and every env overlay).
        #[arg(long)]
        env: Option<String>,
    },
    /// Compile specs and write every artifact to DIR/<app>/<env>/.
    Build {
        #[command(flatten)]
        spec: SpecsArgs,
        /// Build this env (default: no overlay, written as `default`).
        #[arg(long, conflicts_with = "all_envs")]
        env: Option<String>,
        /// Build the default and every declared env.
        #[arg(long)]
        all_envs: bool,
        /// Output directory.
        #[arg(short = 'o', long = "out", default_value = "out")]
        out: std::path::PathBuf,
        /// Compare with what the output directory holds instead of writing:
        /// exit 0 when identical, 1 naming every stale, missing or extra file.
        #[arg(long)]
        check: bool,
    },
    /// Compile, upload the artifacts, and start the pipeline on AWS.
    #[cfg(feature = "deploy")]
    Deploy(deploy::DeployArgs),
    /// Compile, upload the artifacts, and start the pipeline on AWS (not in this build).
    #[cfg(not(feature = "deploy"))]
    Deploy {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
    /// Serve the Step Functions activities of `workers = activity` pipelines (on the runner).
    #[cfg(feature = "deploy")]
    Worker(worker::WorkerArgs),
    /// Serve the Step Functions activities of `workers = activity` pipelines (not in this build).
    #[cfg(not(feature = "deploy"))]
    Worker {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        args: Vec<String>,
    },
    /// Write the platform (a Terraform module per account and region) the specs' pipelines need.
    Bootstrap(bootstrap::BootstrapArgs),
    /// What a spec change does to the infrastructure: a summary, the changed settings, unified diffs.
    Diff(diff::DiffArgs),
    /// Rewrite specs in the canonical layout (`--check`: only name the unformatted ones).
    Fmt(fmt::FmtArgs),
    /// Serve the language server protocol over stdio (for editors).
    Lsp,
    /// Print shell completions: `paasc completions bash > /etc/bash_completion.d/paasc`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Explain a diagnostic code, e.g. `paasc explain E0313`.
    Explain {
        /// The code: `paas::E0313`, `E0313` or `e0313`; `--list` for all.
        code: Option<String>,
        /// List every code with its title.
        #[arg(long)]
        list: bool,
    },
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Check { spec, env } => check::run(&spec, env.as_deref()),
        Command::Build {
            spec,
            env,
            all_envs,
            out,
            check,
        } => build::run(&spec, env.as_deref(), all_envs, &out, check),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "paasc", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Explain { code, list } => explain::run(code.as_deref(), list),
        Command::Fmt(args) => fmt::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Lsp => match paasc::lsp::serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: paasc lsp: {e}");
                ExitCode::from(2)
            }
        },
        Command::Bootstrap(args) => bootstrap::run(&args),
        #[cfg(feature = "deploy")]
        Command::Deploy(args) => deploy::run(&args),
        #[cfg(not(feature = "deploy"))]
        Command::Deploy { .. } => without_aws("deploy"),
        #[cfg(feature = "deploy")]
        Command::Worker(args) => worker::run(&args),
        #[cfg(not(feature = "deploy"))]
        Command::Worker { .. } => without_aws("worker"),
    }
}

/// A command that needs the AWS SDK, in a build without it.
#[cfg(not(feature = "deploy"))]
fn without_aws(command: &str) -> ExitCode {
    eprintln!(
        "error: this paasc was built without AWS support, so `paasc {command}` is not available; \
         install it with `cargo install --locked --path . --features deploy` (see README.md)"
    );
    ExitCode::from(2)
}
