//! `paasc worker`: serves the activities of `workers = activity` pipelines
//! (behind the `deploy` feature, like all network code).
//!
//! Input: the activity ARNs to serve and `WorkerOptions`. Output: one log
//! line per task (and per start, stop and polling trouble) through the
//! caller's `log`, and how the service ended.
//!
//! What a worker does, per activity: long-polls `GetActivityTask` (the
//! client waits 70 s for an answer; AWS holds a poll up to 60 s), but only
//! while a slot is free, so it never holds a task it cannot start. For each
//! task: heartbeats every third of the task's `heartbeat_seconds`; fetches
//! the release's `manifest.json` and the stage's SSM document from the
//! artifact bucket and checks both (`task::verify`); fills in the
//! document's parameters as SSM would (`task::script`); runs it with bash in
//! its own process group, stdout captured (the stage's result), stderr to
//! `<log_dir>/<execution>/<stage>.log` beside the script; then sends
//! `SendTaskSuccess` with the result or `SendTaskFailure` with a
//! `paasc.<State>...` error and a cause that names the log.
//!
//! Invariants: no task is dropped silently. A script past its document's
//! `timeoutSeconds` is stopped and reported `TimedOut`. A task the state
//! machine took back (a heartbeat answered TaskTimedOut: the execution
//! stopped or the task timed out) has its script stopped and nothing sent.
//! On SIGTERM or SIGINT the worker polls no more, gives running scripts
//! `grace` to finish, then stops them and sends `paasc.WorkerStopped`
//! (which the state machine retries on another worker); a second signal
//! ends the grace at once. A poll already in flight when the signal comes
//! is answered, and a task it brings is failed the same way.

pub mod task;

use crate::deploy::{Clients, DeployOptions, Timeouts};
use crate::model::names::{ToolStage, WorkerError, WORKER_STOPPED};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use task::{Refusal, Task};
use tokio::io::AsyncReadExt;
use tokio::sync::{watch, Semaphore};

/// How a worker runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOptions {
    /// The activities served (`arn:...:states:<region>:<account>:activity:...`),
    /// all in one region.
    pub activities: Vec<String>,
    /// Tasks run at once, at most.
    pub concurrency: usize,
    /// Serve one task, then exit.
    pub once: bool,
    /// Send every AWS call here (an emulator); also honours `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    /// Where each task's script and its stderr are kept.
    pub log_dir: PathBuf,
    /// After SIGTERM, how long running scripts may go on before they are stopped.
    pub grace: Duration,
    /// The worker's name in the execution history (`workerName`).
    pub name: String,
}

/// Why a worker could not serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeError {
    /// An activity ARN is malformed, or the ARNs name several regions.
    Activities(String),
    /// The runtime, the signal handlers or the log directory.
    Setup(String),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Activities(m) | ServeError::Setup(m) => f.write_str(m),
        }
    }
}

/// How a worker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Told to stop (SIGTERM or SIGINT); every task taken was answered.
    Stopped,
    /// `--once`: the task was served; `succeeded` is whether it succeeded.
    Served { succeeded: bool },
}

/// A log line's sink (stderr in the CLI, the journal under systemd).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// Where the service is: serving, draining (no new task, running ones may
/// finish) or stopping running tasks now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serve,
    Drain,
    Now,
}

struct Shared {
    opts: WorkerOptions,
    sfn: aws_sdk_sfn::Client,
    poll: aws_sdk_sfn::Client,
    s3: aws_sdk_s3::Client,
    slots: Arc<Semaphore>,
    phase: watch::Receiver<Phase>,
    taken: AtomicUsize,
    served: Mutex<Option<bool>>,
    log: Log,
}

impl Shared {
    /// Whether a poller goes on: the worker serves, and with `--once` no
    /// task was taken yet.
    fn polls_on(&self, phase: &watch::Receiver<Phase>) -> bool {
        *phase.borrow() == Phase::Serve
            && !(self.opts.once && self.taken.load(Ordering::SeqCst) > 0)
    }
}

/// The region of the activities (all must share one).
pub fn region_of(activities: &[String]) -> Result<String, ServeError> {
    let mut region: Option<String> = None;
    for arn in activities {
        let parts: Vec<&str> = arn.split(':').collect();
        let ok = parts.len() == 7
            && parts.first() == Some(&"arn")
            && parts.get(2) == Some(&"states")
            && parts.get(5) == Some(&"activity")
            && parts.get(3).is_some_and(|r| !r.is_empty())
            && parts.get(6).is_some_and(|n| !n.is_empty());
        let Some(r) = parts.get(3).filter(|_| ok) else {
            return Err(ServeError::Activities(format!(
                "`{arn}` is not an activity ARN (arn:aws:states:<region>:<account>:activity:<name>)"
            )));
        };
        match &region {
            None => region = Some(r.to_string()),
            Some(first) if first != r => {
                return Err(ServeError::Activities(format!(
                    "the activities are in {first} and {r}: run one worker per region"
                )))
            }
            Some(_) => {}
        }
    }
    region.ok_or_else(|| ServeError::Activities("no activity to serve".into()))
}

/// Serves until told to stop (or, with `once`, until one task is served).
/// Blocking: runs its own runtime.
pub fn serve(opts: WorkerOptions, log: Log) -> Result<Ended, ServeError> {
    let region = region_of(&opts.activities)?;
    std::fs::create_dir_all(&opts.log_dir).map_err(|e| {
        ServeError::Setup(format!(
            "cannot create the log directory {}: {e}",
            opts.log_dir.display()
        ))
    })?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::Setup(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(serve_async(opts, region, log))
}

async fn serve_async(
    mut opts: WorkerOptions,
    region: String,
    log: Log,
) -> Result<Ended, ServeError> {
    use tokio::signal::unix::{signal, SignalKind};
    if opts.once {
        // One poll in flight at a time, so no second task can arrive.
        opts.concurrency = 1;
    }
    opts.concurrency = opts.concurrency.max(1);
    let deploy_opts = DeployOptions {
        endpoint_url: opts.endpoint_url.clone(),
        timeouts: Timeouts {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(20),
            operation: Duration::from_secs(60),
            max_attempts: 5,
        },
        ..DeployOptions::default()
    };
    let clients = Clients::from_env(&region, &deploy_opts).await;
    // GetActivityTask holds the request up to 60 s: the client must wait longer.
    let long = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .read_timeout(Duration::from_secs(70))
        .operation_attempt_timeout(Duration::from_secs(70))
        .operation_timeout(Duration::from_secs(75))
        .build();
    let poll = aws_sdk_sfn::Client::from_conf(
        clients
            .sfn
            .config()
            .to_builder()
            .timeout_config(long)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .build(),
    );
    let (set_phase, phase) = watch::channel(Phase::Serve);
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| ServeError::Setup(format!("cannot handle SIGTERM: {e}")))?;
    let mut int = signal(SignalKind::interrupt())
        .map_err(|e| ServeError::Setup(format!("cannot handle SIGINT: {e}")))?;
    let shared = Arc::new(Shared {
        slots: Arc::new(Semaphore::new(opts.concurrency)),
        sfn: clients.sfn.clone(),
        s3: clients.s3.clone(),
        poll,
        phase,
        taken: AtomicUsize::new(0),
        served: Mutex::new(None),
        log: log.clone(),
        opts,
    });
    log(&format!(
        "paasc worker {}: serving {} activit{} in {region}, {} task{} at a time{}",
        shared.opts.name,
        shared.opts.activities.len(),
        if shared.opts.activities.len() == 1 {
            "y"
        } else {
            "ies"
        },
        shared.opts.concurrency,
        if shared.opts.concurrency == 1 {
            ""
        } else {
            "s"
        },
        if shared.opts.once {
            ", one task only"
        } else {
            ""
        },
    ));

    let mut pollers = tokio::task::JoinSet::new();
    for arn in shared.opts.activities.clone() {
        pollers.spawn(poller(shared.clone(), arn));
    }
    let grace = shared.opts.grace;
    let signals = async {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        log(&format!(
            "paasc worker {}: stopping: no new tasks; running ones have {} s to finish",
            shared.opts.name,
            grace.as_secs()
        ));
        let _ = set_phase.send(Phase::Drain);
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = tokio::time::sleep(grace) => {}
        }
        let _ = set_phase.send(Phase::Now);
        std::future::pending::<()>().await;
    };
    let work = async {
        while pollers.join_next().await.is_some() {}
        // Every slot back: every task taken was answered.
        let all = u32::try_from(shared.opts.concurrency).unwrap_or(u32::MAX);
        let _ = shared.slots.acquire_many(all).await;
    };
    tokio::select! {
        _ = signals => {}
        _ = work => {}
    }
    let served = shared.served.lock().ok().and_then(|s| *s);
    log(&format!("paasc worker {}: stopped", shared.opts.name));
    Ok(match (shared.opts.once, served) {
        (true, Some(succeeded)) => Ended::Served { succeeded },
        _ => Ended::Stopped,
    })
}

/// Polls one activity while the worker serves, a free slot before each poll.
async fn poller(shared: Arc<Shared>, arn: String) {
    let mut phase = shared.phase.clone();
    let mut backoff = Duration::from_secs(5);
    let mut last_trouble = String::new();
    loop {
        if !shared.polls_on(&phase) {
            return;
        }
        let permit = tokio::select! {
            p = shared.slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = phase.changed() => continue,
        };
        if !shared.polls_on(&phase) {
            return;
        }
        let answer = shared
            .poll
            .get_activity_task()
            .activity_arn(&arn)
            .worker_name(&shared.opts.name)
            .send()
            .await;
        match answer {
            Ok(out) => {
                backoff = Duration::from_secs(5);
                last_trouble.clear();
                let Some(token) = out.task_token().filter(|t| !t.is_empty()) else {
                    continue;
                };
                shared.taken.fetch_add(1, Ordering::SeqCst);
                let token = token.to_string();
                let input = out.input().unwrap_or_default().to_string();
                if *phase.borrow() != Phase::Serve {
                    // The poll was in flight when the signal came.
                    let shared = shared.clone();
                    let started = Instant::now();
                    let stage = Task::parse(&input).ok();
                    let outcome = Outcome::Failure {
                        error: WORKER_STOPPED.into(),
                        cause: format!(
                            "worker {} was stopping when it received the task",
                            shared.opts.name
                        ),
                    };
                    answer_task(&shared, &token, stage.as_ref(), outcome, started, None).await;
                    drop(permit);
                    continue;
                }
                tokio::spawn(run_task(shared.clone(), token, input, permit));
            }
            Err(e) => {
                drop(permit);
                let trouble = describe_sdk_error(&e);
                if trouble != last_trouble {
                    (shared.log)(&format!(
                        "paasc worker {}: cannot poll {arn}: {trouble}; polling again in {} s",
                        shared.opts.name,
                        backoff.as_secs()
                    ));
                    last_trouble = trouble;
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = phase.changed() => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
        }
    }
}

/// The error code and message of an SDK error, or its kind.
fn describe_sdk_error<E, R>(e: &aws_sdk_sfn::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_sfn::error::SdkError;
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            format!(
                "{}: {}",
                err.code().unwrap_or("error"),
                err.message().unwrap_or("no message")
            )
        }
        SdkError::TimeoutError(_) => "the call timed out".into(),
        SdkError::DispatchFailure(d) if d.is_io() => "cannot connect".into(),
        other => format!("{other}"),
    }
}

/// What a task came to.
enum Outcome {
    Success {
        output: String,
        detail: String,
    },
    Failure {
        error: String,
        cause: String,
    },
    /// The state machine took the task back: nothing to send.
    TakenBack {
        why: String,
    },
}

async fn run_task(
    shared: Arc<Shared>,
    token: String,
    input: String,
    permit: tokio::sync::OwnedSemaphorePermit,
) {
    let started = Instant::now();
    let (task, outcome, log_path) = match Task::parse(&input) {
        Err((stage, why)) => (None, refused(stage, &why), None),
        Ok(task) => {
            let files = TaskFiles::of(&shared.opts.log_dir, &task);
            let outcome =
                with_heartbeats(&shared, &token, &task, work(&shared, &task, &files)).await;
            (Some(task), outcome, Some(files.log))
        }
    };
    answer_task(
        &shared,
        &token,
        task.as_ref(),
        outcome,
        started,
        log_path.as_deref(),
    )
    .await;
    drop(permit);
}

fn refused(stage: Option<ToolStage>, why: &Refusal) -> Outcome {
    Outcome::Failure {
        error: match stage {
            Some(s) => WorkerError::Refused.name(s),
            None => "paasc.TaskRefused".into(),
        },
        cause: format!("refused: {why}"),
    }
}

/// Sends the outcome and logs the task's one line.
async fn answer_task(
    shared: &Shared,
    token: &str,
    task: Option<&Task>,
    outcome: Outcome,
    started: Instant,
    log_path: Option<&Path>,
) {
    let what = task.map_or_else(
        || "unreadable task".to_string(),
        |t| format!("{} {} of {}", t.label(), t.stage.word(), t.execution()),
    );
    let seconds = started.elapsed().as_secs();
    let log_note = log_path.map_or_else(String::new, |p| format!(" (log {})", p.display()));
    let (sent, line) = match &outcome {
        Outcome::Success { output, detail } => (
            shared
                .sfn
                .send_task_success()
                .task_token(token)
                .output(output)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| describe_sdk_error(&e)),
            format!("succeeded in {seconds} s{detail}"),
        ),
        Outcome::Failure { error, cause } => (
            shared
                .sfn
                .send_task_failure()
                .task_token(token)
                .error(truncate(error, 256))
                .cause(truncate(cause, 32_768))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| describe_sdk_error(&e)),
            format!("failed in {seconds} s: {error}: {cause}"),
        ),
        Outcome::TakenBack { why } => (Ok(()), format!("stopped after {seconds} s: {why}")),
    };
    let line = match sent {
        Ok(()) => line,
        Err(e) => format!(
            "{line}; the answer was not delivered ({e}): the state machine will time the task out"
        ),
    };
    (shared.log)(&format!(
        "paasc worker {}: {what}: {line}{log_note}",
        shared.opts.name
    ));
    if shared.opts.once {
        if let Ok(mut s) = shared.served.lock() {
            *s = Some(matches!(outcome, Outcome::Success { .. }));
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", s.get(..end).unwrap_or_default())
}

/// Runs `work` while heartbeating; a task taken back by the state machine
/// ends it (dropping `work` stops its script).
async fn with_heartbeats(
    shared: &Shared,
    token: &str,
    task: &Task,
    work: impl std::future::Future<Output = Outcome>,
) -> Outcome {
    let every = Duration::from_secs((task.heartbeat_seconds / 3).clamp(1, 60));
    let beats = async {
        loop {
            tokio::time::sleep(every).await;
            match shared
                .sfn
                .send_task_heartbeat()
                .task_token(token)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) => {
                    let code = e
                        .as_service_error()
                        .map(|s| s.meta().code().unwrap_or_default().to_string());
                    // Any other failure is a lost heartbeat: the next may get through.
                    if let Some(c @ ("TaskTimedOut" | "TaskDoesNotExist" | "InvalidToken")) =
                        code.as_deref()
                    {
                        return format!("the state machine took the task back ({c})");
                    }
                }
            }
        }
    };
    tokio::select! {
        outcome = work => outcome,
        why = beats => Outcome::TakenBack { why },
    }
}

/// Where a task's script and its stderr are kept:
/// `<log_dir>/<app>-<env>/<execution>/<stage>.{sh,log}`.
struct TaskFiles {
    dir: PathBuf,
    script: PathBuf,
    log: PathBuf,
}

impl TaskFiles {
    fn of(log_dir: &Path, task: &Task) -> TaskFiles {
        let dir = task_dir(log_dir, task);
        let stage = task.stage.word();
        TaskFiles {
            script: dir.join(format!("{stage}.sh")),
            log: dir.join(format!("{stage}.log")),
            dir,
        }
    }
}

fn task_dir(log_dir: &Path, task: &Task) -> PathBuf {
    let safe: String = task
        .execution()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    log_dir
        .join(format!("{}-{}", task.app, task.env).replace(['/', '\\'], "_"))
        .join(safe)
}

/// Fetches, checks and runs the stage's script.
async fn work(shared: &Shared, task: &Task, files: &TaskFiles) -> Outcome {
    let stage = task.stage;
    let refusal = |why: Refusal| refused(Some(stage), &why);
    let (bucket, prefix) = match task.artifacts() {
        Ok(a) => a,
        Err(why) => return refusal(why),
    };
    let manifest = match fetch(shared, bucket, &format!("{prefix}manifest.json")).await {
        Ok(b) => b,
        Err(why) => return refusal(why),
    };
    let document = match fetch(shared, bucket, &format!("{prefix}{}", task.document)).await {
        Ok(b) => b,
        Err(why) => return refusal(why),
    };
    if let Err(why) = task::verify(task, &manifest, &document) {
        return refusal(why);
    }
    let script = match task::script(task, &document) {
        Ok(s) => s,
        Err(why) => return refusal(why),
    };
    if let Err(e) = write_private(&files.dir, &files.script, &script.text) {
        return Outcome::Failure {
            error: WorkerError::CommandFailed.name(stage),
            cause: format!(
                "worker {} cannot write {}: {e}",
                shared.opts.name,
                files.script.display()
            ),
        };
    }
    run_script(shared, task, &script, files).await
}

async fn fetch(shared: &Shared, bucket: &str, key: &str) -> Result<Vec<u8>, Refusal> {
    let missing = |e: String| Refusal(format!("cannot read s3://{bucket}/{key}: {e}"));
    let out = shared
        .s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| {
            missing(match e.as_service_error() {
                Some(s) => s.meta().code().unwrap_or("error").to_string(),
                None => format!("{e}"),
            })
        })?;
    let body = out
        .body
        .collect()
        .await
        .map_err(|e| missing(e.to_string()))?;
    Ok(body.into_bytes().to_vec())
}

fn write_private(dir: &Path, path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// Runs the script in its own process group; stops the group at the
/// document's timeout or when the worker must stop.
async fn run_script(
    shared: &Shared,
    task: &Task,
    script: &task::Script,
    files: &TaskFiles,
) -> Outcome {
    let (script_path, log_path) = (&files.script, &files.log);
    let stage = task.stage;
    let name = &shared.opts.name;
    let stderr = match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
    {
        Ok(f) => f,
        Err(e) => {
            return Outcome::Failure {
                error: WorkerError::CommandFailed.name(stage),
                cause: format!("worker {name} cannot open {}: {e}", log_path.display()),
            }
        }
    };
    let started = Instant::now();
    let mut child = match tokio::process::Command::new("bash")
        .arg(script_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            return Outcome::Failure {
                error: WorkerError::CommandFailed.name(stage),
                cause: format!("worker {name} cannot start bash: {e}"),
            }
        }
    };
    let group = child.id();
    let mut stdout = child.stdout.take();
    // Stopping the group when this future is dropped (task taken back) too.
    let guard = GroupGuard(group);
    let finished = async {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.read_to_end(&mut out).await;
        }
        (child.wait().await, out)
    };
    let mut phase = shared.phase.clone();
    let timeout = Duration::from_secs(script.timeout_seconds);
    let (status, out) = tokio::select! {
        r = finished => r,
        _ = tokio::time::sleep(timeout) => {
            drop(guard);
            return Outcome::Failure {
                error: WorkerError::TimedOut.name(stage),
                cause: format!(
                    "{} ran past its timeout of {} s on worker {name} and was stopped (log {})",
                    task.document, script.timeout_seconds, log_path.display()
                ),
            };
        }
        _ = phase.wait_for(|p| *p == Phase::Now) => {
            drop(guard);
            return Outcome::Failure {
                error: WORKER_STOPPED.into(),
                cause: format!(
                    "worker {name} was stopped after {} s of {} and stopped the script (log {})",
                    started.elapsed().as_secs(), task.document, log_path.display()
                ),
            };
        }
    };
    guard.disarm();
    let seconds = started.elapsed().as_secs();
    let stderr_text = std::fs::read_to_string(log_path).unwrap_or_default();
    let reason = task::reason(&stderr_text)
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match status {
        Ok(s) if s.success() => {
            let stdout = String::from_utf8_lossy(&out);
            match task::result(stage, &stdout) {
                Ok(v) => Outcome::Success {
                    detail: match stage {
                        ToolStage::Bake => format!(
                            " ({})",
                            v.get("ami_id").and_then(|a| a.as_str()).unwrap_or_default()
                        ),
                        _ => String::new(),
                    },
                    output: v.to_string(),
                },
                Err((kind, why)) => Outcome::Failure {
                    error: kind.name(stage),
                    cause: format!("{why} (log {})", log_path.display()),
                },
            }
        }
        Ok(s) => Outcome::Failure {
            error: WorkerError::CommandFailed.name(stage),
            cause: format!(
                "{} exited with {} after {seconds} s on worker {name} (log {}){reason}",
                task.document,
                s.code()
                    .map_or_else(|| "a signal".to_string(), |c| format!("status {c}")),
                log_path.display()
            ),
        },
        Err(e) => Outcome::Failure {
            error: WorkerError::CommandFailed.name(stage),
            cause: format!("worker {name} lost the script: {e}"),
        },
    }
}

/// Stops a script's process group (SIGTERM, then SIGKILL ten seconds
/// later) when dropped, unless disarmed.
struct GroupGuard(Option<u32>);

impl GroupGuard {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let Some(pid) = self.0 else { return };
        let kill = move |signal: &str| {
            let _ = std::process::Command::new("kill")
                .args([signal, "--", &format!("-{pid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        };
        kill("-TERM");
        // Terraform and packer clean up on SIGTERM; give them a moment,
        // then make sure nothing of the script is left.
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(10));
            kill("-KILL");
        });
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
    use super::*;

    #[test]
    fn activities_share_one_region() {
        let a = |r: &str| format!("arn:aws:states:{r}:555566667777:activity:paas-ledger-prod-bake");
        assert_eq!(
            region_of(&[a("eu-central-1"), a("eu-central-1")]).unwrap(),
            "eu-central-1"
        );
        assert!(matches!(
            region_of(&[a("eu-central-1"), a("eu-west-1")]),
            Err(ServeError::Activities(m)) if m.contains("one worker per region")
        ));
        assert!(region_of(&["arn:aws:states:eu-central-1:1:stateMachine:x".into()]).is_err());
        assert!(region_of(&[]).is_err());
    }

    #[test]
    fn long_causes_are_cut_at_a_character_boundary() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("ééééé", 6), "é...");
    }
}
