//! `paasc deploy`: the only network code in paasc (behind the `deploy` feature).
//!
//! Input: the validated `App` and the artifacts `paasc build` writes for it
//! (including `manifest.json`), plus `DeployOptions`. Output: progress as
//! `Event`s through a callback, and an `Outcome` or one `DeployError`.
//!
//! What a deploy does, in this order (see `plan` for every name):
//! 0. discovers (`platform`): checks with STS that the credentials belong to
//!    the pipeline account and reads what `paasc bootstrap` registered under
//!    `/paas/platform/`; refuses, writing nothing, when either is wrong;
//! 1. reads: finds the state machine and, when it exists, the execution this
//!    content would start; if that execution exists the deploy is "already
//!    deployed" and writes nothing;
//! 2. uploads every artifact under `<app>/<env>/<version>/<hash>/` (SSE-KMS);
//! 3. writes the `config` and `artifacts` SecureString parameters under
//!    `app.parameter_path()` with the platform key (after the uploads: the
//!    `artifacts` parameter must never point at objects that do not exist);
//! 4. registers the SSM command documents the state machine runs (created,
//!    or a new default version when the content changed), creates the
//!    activities its stages wait on (`workers = activity`; each read back),
//!    then creates the state machine, or updates it when definition or role
//!    differ;
//! 5. starts the execution; with `wait`, follows it stage by stage.
//!
//! Invariants: each step runs only when every earlier one succeeded, so no
//! execution starts after a failed write. `dry_run` makes only the reads of
//! step 1. Parameter values never reach an `Event`, an error or a log line.
//! Every call has explicit time-outs and a bounded retry budget, so a dead
//! or silent endpoint fails in seconds.

mod aws;
pub mod error;
mod follow;
pub mod plan;
pub mod platform;

pub use aws::Clients;
pub use error::DeployError;
pub use plan::{ExecutionInput, Plan, Tier};
pub use platform::Target;

use crate::emit::Artifact;
use crate::model::App;
use std::fmt;
use std::time::Duration;

/// Time-outs and retries for every AWS call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP (and TLS) connect.
    pub connect: Duration,
    /// One attempt of one call, including reading the response.
    pub attempt: Duration,
    /// One call, all attempts and back-off included.
    pub operation: Duration,
    /// Attempts per call (standard retry mode: throttling and transient
    /// errors are retried with jittered exponential back-off).
    pub max_attempts: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(30),
            max_attempts: 3,
        }
    }
}

/// How to deploy; everything has a default derived from the app.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeployOptions {
    /// Send every call here (an emulator); also honours `AWS_ENDPOINT_URL`.
    /// S3 then uses path-style addressing.
    pub endpoint_url: Option<String>,
    /// Instead of the platform's artifact bucket.
    pub artifact_bucket: Option<String>,
    /// Instead of the state machine role the platform created for the app.
    pub role_arn: Option<String>,
    /// Instead of the platform's registered runner (`workers = ssm`).
    pub runner_instance_id: Option<String>,
    pub dry_run: bool,
    pub wait: bool,
    pub timeouts: Timeouts,
    /// Between two polls of a followed execution; default 5 s.
    pub poll_interval: Option<Duration>,
    /// Give up following after this long; default the pipeline's own timeout
    /// plus five minutes (Step Functions ends the execution before that).
    pub max_wait: Option<Duration>,
}

/// What happens to the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineAction {
    Create,
    Update,
    Unchanged,
}

/// Where a followed execution is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StagePhase {
    Entered,
    Succeeded,
    Failed { error: String, cause: String },
}

/// Progress, one line each when displayed. `planned` is true for `--dry-run`
/// (nothing was done). No variant carries a parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Target {
        region: String,
        endpoint: String,
        bucket: String,
        prefix: String,
    },
    Parameter {
        name: String,
        tier: Tier,
        bytes: usize,
        kms_key: String,
        planned: bool,
    },
    Object {
        bucket: String,
        key: String,
        bytes: usize,
        planned: bool,
    },
    StateMachine {
        name: String,
        action: MachineAction,
        planned: bool,
    },
    /// A Step Functions activity the state machine's stages wait on
    /// (`workers = activity`; `paasc worker` serves it).
    Activity {
        name: String,
        action: MachineAction,
        planned: bool,
    },
    /// An SSM command document the state machine runs.
    Document {
        name: String,
        action: MachineAction,
        planned: bool,
    },
    Execution {
        name: String,
        planned: bool,
    },
    AlreadyDeployed {
        name: String,
        status: String,
    },
    /// `--dry-run` while another release runs: a real deploy now is refused.
    ReleaseRunning {
        release: String,
        execution: String,
        started: String,
    },
    Stage {
        stage: String,
        phase: StagePhase,
    },
    Finished {
        name: String,
        status: String,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = |planned: bool, would: &'static str, did: &'static str| {
            if planned {
                would
            } else {
                did
            }
        };
        match self {
            Event::Target { region, endpoint, bucket, prefix } => {
                write!(f, "deploying to {endpoint} ({region}): s3://{bucket}/{prefix}")
            }
            Event::Parameter { name, tier, bytes, kms_key, planned } => write!(
                f,
                "{} parameter {name} (SecureString, {tier} tier, {bytes} bytes, key {kms_key}, value redacted)",
                verb(*planned, "would write", "wrote")
            ),
            Event::Object { bucket, key, bytes, planned } => write!(
                f,
                "{} s3://{bucket}/{key} ({bytes} bytes, SSE-KMS)",
                verb(*planned, "would upload", "uploaded")
            ),
            Event::StateMachine { name, action, planned } => match action {
                MachineAction::Create => write!(f, "{} state machine {name}", verb(*planned, "would create", "created")),
                MachineAction::Update => write!(f, "{} state machine {name}", verb(*planned, "would update", "updated")),
                MachineAction::Unchanged => write!(f, "state machine {name} is up to date"),
            },
            Event::Document { name, action, planned } => match action {
                MachineAction::Create => write!(f, "{} SSM document {name}", verb(*planned, "would create", "created")),
                MachineAction::Update => write!(f, "{} SSM document {name}", verb(*planned, "would update", "updated")),
                MachineAction::Unchanged => write!(f, "SSM document {name} is up to date"),
            },
            Event::Activity { name, action, planned } => match action {
                MachineAction::Create => write!(f, "{} activity {name}", verb(*planned, "would create", "created")),
                MachineAction::Update | MachineAction::Unchanged => write!(f, "activity {name} exists"),
            },
            Event::Execution { name, planned } => {
                write!(f, "{} execution {name}", verb(*planned, "would start", "started"))
            }
            Event::AlreadyDeployed { name, status } => {
                write!(f, "already deployed: execution {name} exists ({status})")
            }
            Event::ReleaseRunning { release, execution, started } => write!(
                f,
                "another release of {release} is running (execution {execution}, started {started}): a deploy now would be refused"
            ),
            Event::Stage { stage, phase } => match phase {
                StagePhase::Entered => write!(f, "{stage}: entered"),
                StagePhase::Succeeded => write!(f, "{stage}: succeeded"),
                StagePhase::Failed { error, cause } => write!(f, "{stage}: failed: {error}: {cause}"),
            },
            Event::Finished { name, status } => write!(f, "execution {name}: {status}"),
        }
    }
}

/// How a deploy ended (errors aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `--dry-run`: the plan was printed.
    Planned { execution_name: String },
    /// The execution was started (and, with `wait`, succeeded).
    Started {
        execution_arn: String,
        succeeded: bool,
    },
    /// An execution of exactly this content exists; nothing was written.
    AlreadyDeployed {
        execution_arn: String,
        status: String,
    },
}

/// Deploys with the standard credential chain, the app's region and
/// `opts.endpoint_url`. Blocking: runs its own single-threaded runtime.
pub fn deploy(
    app: &App,
    artifacts: &[Artifact],
    opts: &DeployOptions,
    out: &mut dyn FnMut(Event),
) -> Result<Outcome, DeployError> {
    preflight(app)?;
    let rt = runtime()?;
    rt.block_on(async {
        let clients = Clients::from_env(&app.region, opts).await;
        let target = platform::discover(&clients, app, opts).await?;
        let plan = plan::plan(app, artifacts, &target)?;
        run(&clients, app, &plan, opts, out).await
    })
}

/// Like `deploy`, with clients built by the caller (tests use mocked ones).
pub fn deploy_with(
    clients: &Clients,
    app: &App,
    artifacts: &[Artifact],
    opts: &DeployOptions,
    out: &mut dyn FnMut(Event),
) -> Result<Outcome, DeployError> {
    preflight(app)?;
    runtime()?.block_on(async {
        let target = platform::discover(clients, app, opts).await?;
        let plan = plan::plan(app, artifacts, &target)?;
        run(clients, app, &plan, opts, out).await
    })
}

/// Like `deploy_with`, to a target given by the caller instead of the one
/// the platform describes (tests of what follows the discovery).
pub fn deploy_to(
    clients: &Clients,
    app: &App,
    artifacts: &[Artifact],
    target: &Target,
    opts: &DeployOptions,
    out: &mut dyn FnMut(Event),
) -> Result<Outcome, DeployError> {
    preflight(app)?;
    let plan = plan::plan(app, artifacts, target)?;
    runtime()?.block_on(run(clients, app, &plan, opts, out))
}

/// What must hold before any AWS call: a run list's cookbooks and roles
/// are vendored (a bake without them fails on the builder).
fn preflight(app: &App) -> Result<(), DeployError> {
    if app.image.chef.is_empty() || app.image.vendor.is_some() {
        return Ok(());
    }
    let (cookbooks, roles) = crate::chef_repo::resolve::needs(&app.image.chef);
    let mut parts = Vec::new();
    if !cookbooks.is_empty() {
        parts.push(format!(
            "cookbook{} {}",
            if cookbooks.len() == 1 { "" } else { "s" },
            cookbooks.join(", ")
        ));
    }
    if !roles.is_empty() {
        parts.push(format!(
            "role{} {}",
            if roles.len() == 1 { "" } else { "s" },
            roles.join(", ")
        ));
    }
    Err(DeployError::NoChefRepo {
        spec: app.source.file_name.clone(),
        needs: parts.join(" and "),
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, DeployError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DeployError::Internal {
            message: format!("cannot start the async runtime: {e}"),
        })
}

async fn run(
    clients: &Clients,
    app: &App,
    plan: &Plan,
    opts: &DeployOptions,
    out: &mut dyn FnMut(Event),
) -> Result<Outcome, DeployError> {
    if app.pipeline.workers == crate::model::Workers::Ssm
        && plan.runner_instance_id.is_none()
        && !opts.dry_run
    {
        return Err(DeployError::NoRunner);
    }
    let input = plan.input();
    let calls = clients.calls(plan);
    out(Event::Target {
        region: plan.region.clone(),
        endpoint: clients.endpoint.clone(),
        bucket: plan.bucket.clone(),
        prefix: plan.prefix.clone(),
    });

    // Step 1: reads only.
    let existing = calls.find_state_machine().await?;
    let action = match &existing {
        None => MachineAction::Create,
        Some(m) if m.definition == plan.definition && m.role_arn == plan.role_arn => {
            MachineAction::Unchanged
        }
        Some(_) => MachineAction::Update,
    };
    if let Some(machine) = &existing {
        let arn = aws::execution_arn(&machine.arn, &plan.execution_name);
        if let Some(status) = calls.execution_status(&arn).await? {
            out(Event::AlreadyDeployed {
                name: plan.execution_name.clone(),
                status: status.clone(),
            });
            if opts.wait && !opts.dry_run {
                follow::follow(&calls, app, &arn, &plan.execution_name, opts, out).await?;
            }
            return Ok(Outcome::AlreadyDeployed {
                execution_arn: arn,
                status,
            });
        }
    }

    // One release at a time: uploading documents and updating the machine
    // under a running execution would change what its next stage runs.
    if let Some(machine) = &existing {
        if let Some((execution, started)) = calls.running_execution(&machine.arn).await? {
            if opts.dry_run {
                out(Event::ReleaseRunning {
                    release: app.release_key(),
                    execution,
                    started,
                });
            } else {
                return Err(DeployError::ReleaseInProgress {
                    release: app.release_key(),
                    execution,
                    started,
                });
            }
        }
    }

    let planned = opts.dry_run;
    let documents = documents(app, plan);
    if planned {
        for o in &plan.objects {
            out(object_event(plan, o, true));
        }
        for p in &plan.parameters {
            out(parameter_event(plan, p, true));
        }
        for (name, content) in &documents {
            let action = calls.document_action(name, content).await?;
            out(Event::Document {
                name: name.clone(),
                action,
                planned,
            });
        }
        for (name, arn) in &plan.activities {
            let action = match calls.activity_exists(arn).await? {
                true => MachineAction::Unchanged,
                false => MachineAction::Create,
            };
            out(Event::Activity {
                name: name.clone(),
                action,
                planned,
            });
        }
        out(Event::StateMachine {
            name: plan.state_machine_name.clone(),
            action,
            planned,
        });
        out(Event::Execution {
            name: plan.execution_name.clone(),
            planned,
        });
        return Ok(Outcome::Planned {
            execution_name: plan.execution_name.clone(),
        });
    }

    // Steps 2-4: every write must succeed before anything starts.
    // Objects before parameters: the `artifacts` parameter points at them.
    for o in &plan.objects {
        calls.put_object(o).await?;
        out(object_event(plan, o, false));
    }
    for p in &plan.parameters {
        calls.put_parameter(p).await?;
        out(parameter_event(plan, p, false));
    }
    // The documents the state machine's tasks run must exist before it starts.
    for (name, content) in &documents {
        let action = calls.document_action(name, content).await?;
        calls.put_document(name, content, action).await?;
        out(Event::Document {
            name: name.clone(),
            action,
            planned,
        });
    }
    // The activities its stages wait on, before an execution can schedule
    // a task on one (an execution fails on a missing activity).
    for (name, arn) in &plan.activities {
        let action = if calls.activity_exists(arn).await? {
            MachineAction::Unchanged
        } else {
            calls.create_activity(name, arn).await?;
            MachineAction::Create
        };
        out(Event::Activity {
            name: name.clone(),
            action,
            planned,
        });
    }
    let machine_arn = match (&existing, action) {
        (None, _) => calls.create_state_machine().await?,
        (Some(m), MachineAction::Update) => {
            calls.update_state_machine(&m.arn).await?;
            m.arn.clone()
        }
        (Some(m), _) => m.arn.clone(),
    };
    out(Event::StateMachine {
        name: plan.state_machine_name.clone(),
        action,
        planned,
    });

    // Step 5.
    let input_json = serde_json::to_string(&input).map_err(|e| DeployError::Internal {
        message: e.to_string(),
    })?;
    let execution_arn = aws::execution_arn(&machine_arn, &plan.execution_name);
    if !calls.start_execution(&machine_arn, &input_json).await? {
        // Lost a race with an identical deploy: same content, same name.
        let status = calls
            .execution_status(&execution_arn)
            .await?
            .unwrap_or_else(|| "UNKNOWN".into());
        out(Event::AlreadyDeployed {
            name: plan.execution_name.clone(),
            status: status.clone(),
        });
        return Ok(Outcome::AlreadyDeployed {
            execution_arn,
            status,
        });
    }
    out(Event::Execution {
        name: plan.execution_name.clone(),
        planned,
    });
    let succeeded = if opts.wait {
        follow::follow(&calls, app, &execution_arn, &plan.execution_name, opts, out).await?;
        true
    } else {
        false
    };
    Ok(Outcome::Started {
        execution_arn,
        succeeded,
    })
}

/// The SSM command documents (`ssm/<stage>.json`) with the names the state
/// machine calls them by.
fn documents(app: &App, plan: &Plan) -> Vec<(String, String)> {
    plan.objects
        .iter()
        .filter_map(|o| {
            let stage = o.path.strip_prefix("ssm/")?.strip_suffix(".json")?;
            let stage = crate::model::names::ToolStage::from_word(stage)?;
            Some((app.ssm_document_name(stage), o.body.clone()))
        })
        .collect()
}

fn parameter_event(plan: &Plan, p: &plan::ParameterPlan, planned: bool) -> Event {
    Event::Parameter {
        name: p.name.clone(),
        tier: p.tier,
        bytes: p.bytes,
        kms_key: plan.kms_key_id.clone(),
        planned,
    }
}

fn object_event(plan: &Plan, o: &plan::ObjectPlan, planned: bool) -> Event {
    Event::Object {
        bucket: plan.bucket.clone(),
        key: o.key.clone(),
        bytes: o.body.len(),
        planned,
    }
}
