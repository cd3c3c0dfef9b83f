//! How a release's time is spent: every tool stage has its own deadline, and
//! the deadlines, the release's bakes between traffic shifts and a reserve
//! for the failure path fit inside `pipeline.timeout`, the execution's own
//! limit. So a slow stage is stopped by its own deadline and takes its Catch
//! (rollback, audit record closed, notification) while the execution still
//! has time for it; the execution's timeout, which no Catch sees, is never
//! what ends a release.

use super::names::ToolStage;
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

/// Seconds the release takes besides its stages: the bakes between shifts,
/// the shifts themselves and the failure path's reserve.
pub fn release_seconds(shifts: usize, bake_seconds: u64) -> u64 {
    let bakes = bake_seconds.saturating_mul(shifts.saturating_sub(1) as u64);
    bakes
        .saturating_add(SHIFT_SECONDS.saturating_mul(shifts as u64))
        .saturating_add(RESERVE_SECONDS)
}

/// The deadlines: the spec's where it sets them, the rest sharing what is
/// left of the timeout by `SHARES` (each at most 48 h, at least a minute).
pub fn plan(
    timeout: u64,
    shifts: usize,
    bake_seconds: u64,
    set: [Option<u64>; 4],
) -> Result<Deadlines, DoesNotFit> {
    let release = release_seconds(shifts, bake_seconds);
    let fixed: u64 = set.iter().flatten().sum();
    let open: Vec<(ToolStage, u64)> = SHARES
        .iter()
        .zip(set.iter())
        .filter(|(_, s)| s.is_none())
        .map(|(&share, _)| share)
        .collect();
    let weights: u64 = open.iter().map(|(_, w)| w).sum();
    let left = timeout.checked_sub(release.saturating_add(fixed));
    // The smallest timeout: every open stage at its minimum share.
    let needed = {
        let min_open = open
            .iter()
            .map(|(_, w)| (MIN_STAGE_SECONDS * weights).div_ceil(*w))
            .max()
            .unwrap_or(0);
        release + fixed + min_open
    };
    let does_not_fit = DoesNotFit {
        release,
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

    #[test]
    fn open_stages_share_what_is_left() {
        // 2h, three shifts 5m apart: 10m bakes, 3m shifts, 10m reserve.
        let d = plan(7200, 3, 300, [None; 4]).unwrap();
        let left = 7200 - 600 - 180 - 600;
        assert_eq!(d.bake, left / 2);
        assert_eq!(d.provision, left / 4);
        assert_eq!(d.validate, left / 10);
        assert_eq!(d.post, left * 15 / 100);
        assert!(d.total() + release_seconds(3, 300) <= 7200);
    }

    #[test]
    fn set_deadlines_are_kept_and_the_rest_shares() {
        let d = plan(7200, 1, 300, [Some(3600), None, None, Some(600)]).unwrap();
        assert_eq!((d.bake, d.post), (3600, 600));
        let left = 7200 - 660 - 4200;
        assert_eq!(d.provision, left * 25 / 35);
        assert_eq!(d.validate, left * 10 / 35);
        assert!(d.total() + release_seconds(1, 300) <= 7200);
    }

    #[test]
    fn a_timeout_too_short_says_what_would_fit() {
        let e = plan(1200, 3, 300, [None; 4]).unwrap_err();
        assert_eq!(e.release, 600 + 180 + 600);
        // validate's 10% share must reach a minute: 600 s for the stages.
        assert_eq!(e.needed, 1380 + 600);
        assert!(plan(e.needed, 3, 300, [None; 4]).is_ok());
        assert!(plan(e.needed - 1, 3, 300, [None; 4]).is_err());
        let e = plan(3600, 1, 300, [Some(3600), None, None, None]).unwrap_err();
        assert_eq!(e.fixed, 3600);
    }

    #[test]
    fn long_timeouts_cap_each_stage_at_what_ssm_runs() {
        let d = plan(31_536_000, 1, 300, [None; 4]).unwrap();
        assert_eq!(d.bake, MAX_STAGE_SECONDS);
        assert!(d.validate <= MAX_STAGE_SECONDS);
    }

    #[test]
    fn the_samples_hold_what_plan_gives() {
        for app in [
            crate::model::sample::shop_prod(),
            crate::model::sample::minimal(),
        ] {
            let d = plan(
                app.pipeline.timeout_seconds,
                app.release.shift.len(),
                app.release.bake_seconds,
                [None; 4],
            )
            .unwrap();
            assert_eq!(app.pipeline.deadlines, d, "{}", app.name);
        }
    }
}
