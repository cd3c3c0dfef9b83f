//! How a release's time is spent: every tool stage has its own deadline, and
//! the deadlines, the release's shifts and their watched bakes, the keep-warm time and a reserve
//! for the failure path fit inside `pipeline.timeout`, the execution's own
//! limit. So a slow stage is stopped by its own deadline and takes its Catch
//! (rollback, audit record closed, notification) while the execution still
//! has time for it; the execution's timeout, which no Catch sees, is never
//! what ends a release.

use super::names::ToolStage;
use super::{Release, Strategy};
use serde::Serialize;

/// A stage gets at least a minute.
pub const MIN_STAGE_SECONDS: u64 = 60;
/// One SSM command runs at most 48 hours.
pub const MAX_STAGE_SECONDS: u64 = 172_800;
/// PreProvision (lock, parameter, audit record) and the failure path
/// (rollback, audit record, notification, lock released), each task with its
/// retries.
pub const RESERVE_SECONDS: u64 = 600;
/// One traffic shift (a listener change) with its retries.
pub const SHIFT_SECONDS: u64 = 60;

/// Shares of the stages' time for stages whose deadline the spec does not
/// set (percent; the bake is the long one).
const SHARES: [(ToolStage, u64); 4] = [
    (ToolStage::Bake, 50),
    (ToolStage::Provision, 25),
    (ToolStage::Validate, 10),
    (ToolStage::Post, 15),
];

/// Each tool stage's deadline in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    pub bake: u64,
    pub provision: u64,
    pub validate: u64,
    pub post: u64,
}

impl Deadlines {
    pub fn of(&self, stage: ToolStage) -> u64 {
        match stage {
            ToolStage::Bake => self.bake,
            ToolStage::Provision => self.provision,
            ToolStage::Validate => self.validate,
            ToolStage::Post => self.post,
        }
    }

    pub fn total(&self) -> u64 {
        self.bake + self.provision + self.validate + self.post
    }
}

/// Why the stages do not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoesNotFit {
    /// What the release needs besides the stages (bakes, shifts, reserve).
    pub release: u64,
    /// The stages' deadlines the spec set, summed.
    pub fixed: u64,
    /// How many stages have no deadline in the spec.
    pub open: usize,
    /// The smallest `pipeline.timeout` that fits.
    pub needed: u64,
}

/// Seconds a blue-green release takes after its last shift: the new colour
/// recorded live and the previous one scaled down, with their retries.
pub const HANDOVER_SECONDS: u64 = 60;

/// Seconds the release takes besides its stages: blue-green, each shift
/// (a listener change) and its watched bake, the handover and the keep-warm
/// time; both strategies, the failure path's reserve.
pub fn release_seconds(release: &Release) -> u64 {
    match release.strategy {
        Strategy::BlueGreen => {
            let shifts = release.shift.len() as u64;
            SHIFT_SECONDS
                .saturating_add(release.bake_seconds)
                .saturating_mul(shifts)
                .saturating_add(HANDOVER_SECONDS)
                .saturating_add(release.keep_warm_seconds)
                .saturating_add(RESERVE_SECONDS)
        }
        Strategy::Rolling => RESERVE_SECONDS,
    }
}

/// How many times a stage's deadline counts against the timeout: a rolling
/// Provision is Terraform's apply and then the wait for the instance
/// refresh it starts, each bounded by `provision_timeout`.
fn factor(release: &Release, stage: ToolStage) -> u64 {
    match (release.strategy, stage) {
        (Strategy::Rolling, ToolStage::Provision) => 2,
        _ => 1,
    }
}

/// Seconds the stages' deadlines take of the timeout.
pub fn stages_seconds(release: &Release, d: &Deadlines) -> u64 {
    SHARES
        .iter()
        .map(|(stage, _)| d.of(*stage) * factor(release, *stage))
        .sum()
}

/// The deadlines: the spec's where it sets them, the rest sharing what is
/// left of the timeout by `SHARES` (each at most 48 h, at least a minute).
pub fn plan(
    timeout: u64,
    release: &Release,
    set: [Option<u64>; 4],
) -> Result<Deadlines, DoesNotFit> {
    let extra = release_seconds(release);
    let fixed: u64 = SHARES
        .iter()
        .zip(set.iter())
        .filter_map(|((stage, _), s)| s.map(|v| v * factor(release, *stage)))
        .sum();
    // Open stages with their share weighted by how often they count.
    let open: Vec<(u64, u64)> = SHARES
        .iter()
        .zip(set.iter())
        .filter(|(_, s)| s.is_none())
        .map(|((stage, w), _)| (*w, factor(release, *stage)))
        .collect();
    let weights: u64 = open.iter().map(|(w, f)| w * f).sum();
    let left = timeout.checked_sub(extra.saturating_add(fixed));
    // The smallest timeout: every open stage at its minimum share.
    let needed = {
        let min_open = open
            .iter()
            .map(|(w, _)| (MIN_STAGE_SECONDS * weights).div_ceil(*w))
            .max()
            .unwrap_or(0);
        extra + fixed + min_open
    };
    let does_not_fit = DoesNotFit {
        release: extra,
        fixed,
        open: open.len(),
        needed,
    };
    let left = left.ok_or_else(|| does_not_fit.clone())?;
    // SHARES and `set` are both in stage order (bake, provision, validate, post).
    let mut out = [0u64; 4];
    for ((slot, (_, weight)), given) in out.iter_mut().zip(SHARES.iter()).zip(set) {
        *slot = match given {
            Some(v) => v,
            None => {
                let share = left * weight / weights.max(1);
                if share < MIN_STAGE_SECONDS {
                    return Err(does_not_fit);
                }
                share.min(MAX_STAGE_SECONDS)
            }
        };
    }
    let [bake, provision, validate, post] = out;
    Ok(Deadlines {
        bake,
        provision,
        validate,
        post,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn blue_green(shifts: usize, bake: u64) -> Release {
        Release {
            strategy: Strategy::BlueGreen,
            shift: (1..=shifts).map(|i| (100 * i / shifts) as u8).collect(),
            bake_seconds: bake,
            keep_warm_seconds: 600,
            alarm_errors: 10,
            alarm_latency_seconds: 2,
            allow_skipped_controls: false,
        }
    }

    #[test]
    fn open_stages_share_what_is_left() {
        // 2h, three shifts each watched 5m: 3m shifts, 15m bakes, 1m
        // handover, 10m keep-warm, 10m reserve.
        let r = blue_green(3, 300);
        assert_eq!(release_seconds(&r), 180 + 900 + 60 + 600 + 600);
        let d = plan(7200, &r, [None; 4]).unwrap();
        let left = 7200 - release_seconds(&r);
        assert_eq!(d.bake, left / 2);
        assert_eq!(d.provision, left / 4);
        assert_eq!(d.validate, left / 10);
        assert_eq!(d.post, left * 15 / 100);
        assert!(stages_seconds(&r, &d) + release_seconds(&r) <= 7200);
    }

    #[test]
    fn a_rolling_provision_counts_twice() {
        let mut r = blue_green(1, 300);
        r.strategy = Strategy::Rolling;
        r.shift = vec![100];
        let d = plan(7200, &r, [None; 4]).unwrap();
        let left = 7200 - RESERVE_SECONDS;
        assert_eq!(d.provision, left * 25 / 125);
        assert_eq!(d.bake, left * 50 / 125);
        assert!(stages_seconds(&r, &d) + release_seconds(&r) <= 7200);
        assert_eq!(stages_seconds(&r, &d), d.total() + d.provision);
    }

    #[test]
    fn set_deadlines_are_kept_and_the_rest_shares() {
        let r = blue_green(1, 300);
        let d = plan(7200, &r, [Some(3600), None, None, Some(600)]).unwrap();
        assert_eq!((d.bake, d.post), (3600, 600));
        let left = 7200 - release_seconds(&r) - 4200;
        assert_eq!(d.provision, left * 25 / 35);
        assert_eq!(d.validate, left * 10 / 35);
        assert!(stages_seconds(&r, &d) + release_seconds(&r) <= 7200);
    }

    #[test]
    fn a_timeout_too_short_says_what_would_fit() {
        let r = blue_green(3, 300);
        let e = plan(1200, &r, [None; 4]).unwrap_err();
        assert_eq!(e.release, release_seconds(&r));
        // validate's 10% share must reach a minute: 600 s for the stages.
        assert_eq!(e.needed, release_seconds(&r) + 600);
        assert!(plan(e.needed, &r, [None; 4]).is_ok());
        assert!(plan(e.needed - 1, &r, [None; 4]).is_err());
        let e = plan(3600, &r, [Some(3600), None, None, None]).unwrap_err();
        assert_eq!(e.fixed, 3600);
    }

    #[test]
    fn long_timeouts_cap_each_stage_at_what_ssm_runs() {
        let d = plan(31_536_000, &blue_green(1, 300), [None; 4]).unwrap();
        assert_eq!(d.bake, MAX_STAGE_SECONDS);
        assert!(d.validate <= MAX_STAGE_SECONDS);
    }

    #[test]
    fn the_samples_hold_what_plan_gives() {
        for app in [
            crate::model::sample::shop_prod(),
            crate::model::sample::minimal(),
        ] {
            let d = plan(app.pipeline.timeout_seconds, &app.release, [None; 4]).unwrap();
            assert_eq!(app.pipeline.deadlines, d, "{}", app.name);
        }
    }
}
