//! `--wait`: follows an execution stage by stage until it ends.
//!
//! Input: an execution ARN; the execution's history, polled. Output: `Stage`
//! and `Finished` events, then Ok for SUCCEEDED or `ExecutionFailed` (with the
//! failing stage, error and cause) for FAILED, TIMED_OUT and ABORTED.
//! Invariants: each history event is looked at once (events are numbered);
//! a state belongs to the pipeline stage its name starts with, and states
//! whose names start with no stage name belong to the stage entered last.

use super::aws::Calls;
use super::error::DeployError;
use super::{DeployOptions, Event, StagePhase};
use crate::model::App;
use aws_sdk_sfn::types::{HistoryEvent, HistoryEventType};
use std::time::{Duration, Instant};

use crate::model::names::state::STAGES;

/// The stage a state belongs to by its name: `Bakery`, `Bakery.Wait`,
/// `BakeryStart` and `Bakery: poll` all belong to `Bakery`.
pub fn stage_of(state: &str) -> Option<&'static str> {
    STAGES.iter().copied().find(|s| state.starts_with(s))
}

/// Turns history events into stage events.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    last_id: i64,
    stage: Option<String>,
    /// The latest error and cause any event reported.
    failure: Option<(String, String)>,
}

impl Tracker {
    pub fn feed(&mut self, event: &HistoryEvent, out: &mut dyn FnMut(Event)) {
        if event.id() <= self.last_id {
            return;
        }
        self.last_id = event.id();
        if let Some(d) = event.state_entered_event_details() {
            let stage = stage_of(d.name())
                .map(str::to_string)
                .or_else(|| self.stage.clone());
            let stage = stage.unwrap_or_else(|| d.name().to_string());
            if self.stage.as_deref() != Some(stage.as_str()) {
                if let Some(previous) = self.stage.take() {
                    out(Event::Stage {
                        stage: previous,
                        phase: StagePhase::Succeeded,
                    });
                }
                out(Event::Stage {
                    stage: stage.clone(),
                    phase: StagePhase::Entered,
                });
                self.stage = Some(stage);
            }
            return;
        }
        if let Some((error, cause)) = failure_of(event) {
            self.failure = Some((error, cause));
        }
        if *event.r#type() == HistoryEventType::ExecutionSucceeded {
            if let Some(stage) = self.stage.take() {
                out(Event::Stage {
                    stage,
                    phase: StagePhase::Succeeded,
                });
            }
        }
    }

    pub fn stage(&self) -> Option<&str> {
        self.stage.as_deref()
    }

    pub fn failure(&self) -> Option<&(String, String)> {
        self.failure.as_ref()
    }
}

/// Error and cause of any failure-like event.
fn failure_of(e: &HistoryEvent) -> Option<(String, String)> {
    let pair = |error: Option<&str>, cause: Option<&str>| {
        Some((
            error.unwrap_or_default().to_string(),
            cause.unwrap_or_default().to_string(),
        ))
    };
    if let Some(d) = e.execution_failed_event_details() {
        return pair(d.error(), d.cause());
    }
    if let Some(d) = e.execution_timed_out_event_details() {
        return pair(d.error(), d.cause());
    }
    if let Some(d) = e.execution_aborted_event_details() {
        return pair(d.error(), d.cause());
    }
    if let Some(d) = e.task_failed_event_details() {
        return pair(d.error(), d.cause());
    }
    if let Some(d) = e.task_timed_out_event_details() {
        return pair(d.error(), d.cause());
    }
    if let Some(d) = e.lambda_function_failed_event_details() {
        return pair(d.error(), d.cause());
    }
    if let Some(d) = e.activity_failed_event_details() {
        return pair(d.error(), d.cause());
    }
    None
}

/// Polls until the execution ends; Ok only for SUCCEEDED.
pub(crate) async fn follow(
    calls: &Calls<'_>,
    app: &App,
    arn: &str,
    name: &str,
    opts: &DeployOptions,
    out: &mut dyn FnMut(Event),
) -> Result<(), DeployError> {
    let interval = opts.poll_interval.unwrap_or(Duration::from_secs(5));
    let max_wait = opts
        .max_wait
        .unwrap_or(Duration::from_secs(app.pipeline.timeout_seconds + 300));
    let started = Instant::now();
    let mut tracker = Tracker::default();
    loop {
        // Status first, history second: a final status then comes with
        // every event that led to it.
        let (status, error, cause) = calls.describe(arn).await?;
        for event in calls.history(arn).await? {
            tracker.feed(&event, out);
        }
        if status != "RUNNING" && status != "PENDING_REDRIVE" {
            let (error, cause) = match (error.is_empty() && cause.is_empty(), tracker.failure()) {
                (true, Some((e, c))) => (e.clone(), c.clone()),
                _ => (error, cause),
            };
            let stage = tracker.stage().map(str::to_string);
            if status != "SUCCEEDED" {
                out(Event::Stage {
                    stage: stage.clone().unwrap_or_else(|| "execution".into()),
                    phase: StagePhase::Failed {
                        error: error.clone(),
                        cause: cause.clone(),
                    },
                });
            }
            out(Event::Finished {
                name: name.to_string(),
                status: status.clone(),
            });
            if status == "SUCCEEDED" {
                return Ok(());
            }
            return Err(DeployError::ExecutionFailed {
                execution: name.to_string(),
                status,
                stage,
                error,
                cause,
            });
        }
        if started.elapsed() >= max_wait {
            return Err(DeployError::ExecutionFailed {
                execution: name.to_string(),
                status: format!("still RUNNING after {}s of waiting", max_wait.as_secs()),
                stage: tracker.stage().map(str::to_string),
                error: String::new(),
                cause: String::new(),
            });
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use aws_sdk_sfn::primitives::DateTime;
    use aws_sdk_sfn::types::{ExecutionFailedEventDetails, StateEnteredEventDetails};

    fn entered(id: i64, name: &str) -> HistoryEvent {
        HistoryEvent::builder()
            .id(id)
            .timestamp(DateTime::from_secs(0))
            .r#type(HistoryEventType::TaskStateEntered)
            .state_entered_event_details(
                StateEnteredEventDetails::builder()
                    .name(name)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn stages_by_state_name() {
        assert_eq!(stage_of("PreProvision"), Some("PreProvision"));
        assert_eq!(stage_of("Provision.Apply"), Some("Provision"));
        assert_eq!(stage_of("PostProvision: shift 50%"), Some("PostProvision"));
        assert_eq!(stage_of("Choice"), None);
    }

    #[test]
    fn reports_entered_succeeded_and_failed() {
        let mut t = Tracker::default();
        let mut events = Vec::new();
        let mut out = |e: Event| events.push(e.to_string());
        for e in [
            entered(2, "PreProvision"),
            entered(3, "Bakery.Start"),
            entered(4, "Poll"),
            entered(4, "dup"),
        ] {
            t.feed(&e, &mut out);
        }
        let failed = HistoryEvent::builder()
            .id(5)
            .timestamp(DateTime::from_secs(0))
            .r#type(HistoryEventType::ExecutionFailed)
            .execution_failed_event_details(
                ExecutionFailedEventDetails::builder()
                    .error("E")
                    .cause("C")
                    .build(),
            )
            .build()
            .unwrap();
        t.feed(&failed, &mut out);
        assert_eq!(
            events,
            [
                "PreProvision: entered",
                "PreProvision: succeeded",
                "Bakery: entered"
            ]
        );
        assert_eq!(t.stage(), Some("Bakery"));
        assert_eq!(t.failure(), Some(&("E".to_string(), "C".to_string())));
    }
}
