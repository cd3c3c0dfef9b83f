//! `paasc deploy`: compile exactly as `build` does, then hand the artifacts
//! to `paasc::deploy` (behind the `deploy` cargo feature).
//!
//! Exit codes: 0 deployed, already deployed, or planned (`--dry-run`); 1
//! errors in the spec or a failed deploy (including a failed execution
//! under `--wait`); 2 usage or I/O errors.

use super::output::{internal, readable, report, INTERNAL_ERROR};
use super::SpecArgs;
use paasc::deploy::{DeployOptions, Event, StagePhase};
use paasc::Envs;
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct DeployArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The env to deploy (default: no overlay, env `default`).
    #[arg(long)]
    pub env: Option<String>,
    /// Print what would be done; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Follow the execution stage by stage; exit 1 if it fails.
    #[arg(long)]
    pub wait: bool,
    /// Send every AWS call to this endpoint (e.g. a local emulator); also
    /// read from AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Bucket for the artifacts, instead of the platform's (`paasc bootstrap`
    /// creates paas-artifacts-<pipeline account>-<region>).
    #[arg(long, value_name = "NAME")]
    pub artifact_bucket: Option<String>,
    /// Role of the state machine, instead of the one the platform created
    /// for this app and env (paas-sfn-<app>-<env>).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// The EC2 instance that runs the pipeline's SSM commands, instead of
    /// the platform's runner (registered in /paas/platform/runner/instance-id).
    #[arg(long, value_name = "ID")]
    pub runner_instance_id: Option<String>,
}

pub fn run(args: &DeployArgs) -> ExitCode {
    let root = match readable(&args.spec) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let envs = match &args.env {
        Some(e) => Envs::Named(e.clone()),
        None => Envs::Default,
    };
    let c = match super::output::compile(&args.spec, &root, &envs, true) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if report(&c, &args.spec) {
        return ExitCode::from(1);
    }
    let Some(app) = c.apps.first() else {
        return ExitCode::from(1);
    };
    let artifacts = match paasc::emit::build(app) {
        Ok(a) => a,
        Err(e) => {
            internal(&e, args.spec.opts.message_format);
            return ExitCode::from(INTERNAL_ERROR);
        }
    };
    let endpoint_url = args.endpoint_url.clone().or_else(|| {
        std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|s| !s.is_empty())
    });
    let opts = DeployOptions {
        endpoint_url,
        artifact_bucket: args.artifact_bucket.clone(),
        role_arn: args.role_arn.clone(),
        runner_instance_id: args.runner_instance_id.clone(),
        dry_run: args.dry_run,
        wait: args.wait,
        ..DeployOptions::default()
    };
    let terminal = std::io::stdout().is_terminal();
    let mut stages_done = 0usize;
    let mut print = |e: Event| {
        if terminal {
            // A compact progress display: stage events carry a counter.
            match &e {
                Event::Stage {
                    phase: StagePhase::Succeeded,
                    ..
                } => {
                    stages_done += 1;
                    println!("[{stages_done}/5] {e}");
                }
                Event::Stage {
                    phase: StagePhase::Entered,
                    ..
                } => println!("[{}/5] {e} ...", stages_done + 1),
                Event::Stage {
                    phase: StagePhase::Failed { .. },
                    ..
                } => println!("[{}/5] {e}", stages_done + 1),
                _ => println!("{e}"),
            }
        } else {
            println!("{e}");
        }
    };
    match paasc::deploy::deploy(app, &artifacts, &opts, &mut print) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
