//! `paasc worker`: serve the activities of `workers = activity` pipelines
//! until SIGTERM (`paasc::worker` does the work; this reads the arguments).
//!
//! Exit codes: 0 stopped cleanly, or with `--once` the task succeeded; 1
//! with `--once` the task failed; 2 usage or set-up errors.

use paasc::worker::{Ended, WorkerOptions};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct WorkerArgs {
    /// An activity to serve (repeatable): the ARNs `paasc bootstrap` lists
    /// in the runner's unit, e.g.
    /// arn:aws:states:eu-central-1:555566667777:activity:paas-ledger-prod-bake.
    #[arg(long = "activity", value_name = "ARN", required = true)]
    pub activities: Vec<String>,
    /// Tasks run at once, at most (a bake mostly waits on AWS).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Serve one task, then exit (0 if it succeeded, 1 if not).
    #[arg(long)]
    pub once: bool,
    /// Where each task's script and its output are kept
    /// (`<DIR>/<app>-<env>/<execution>/<stage>.{sh,log}`).
    #[arg(long, value_name = "DIR", default_value = "/var/log/paasc/worker")]
    pub log_dir: std::path::PathBuf,
    /// After SIGTERM, seconds running scripts may go on before they are
    /// stopped and their tasks failed with `paasc.WorkerStopped`.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub grace: u64,
    /// The worker's name in the execution history (default: host name and pid).
    #[arg(long)]
    pub name: Option<String>,
    /// Send every AWS call to this endpoint (e.g. a local emulator); also
    /// read from AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

pub fn run(args: &WorkerArgs) -> ExitCode {
    let name = args.name.clone().unwrap_or_else(default_name);
    let opts = WorkerOptions {
        activities: args.activities.clone(),
        concurrency: usize::from(args.concurrency),
        once: args.once,
        endpoint_url: args.endpoint_url.clone(),
        log_dir: args.log_dir.clone(),
        grace: std::time::Duration::from_secs(args.grace),
        name: name.chars().take(80).collect(),
    };
    let log = Arc::new(|line: &str| {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    });
    match paasc::worker::serve(opts, log) {
        Ok(Ended::Stopped | Ended::Served { succeeded: true }) => ExitCode::SUCCESS,
        Ok(Ended::Served { succeeded: false }) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// `<host>-<pid>`: which runner, and which process on it.
fn default_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "worker".into());
    format!("{host}-{}", std::process::id())
}
