//! Weeks of releases before the tbyte seed, as GitHub recorded them: commits on `main` and their
//! deployments to dev, staging and production with their outcomes, so that metrics over the
//! demo's past mean something. Deterministic, like the story that follows it: a release every
//! [`CADENCE_HOURS`] reaches dev at once, staging within hours and production a day or so later
//! (after a review); every seventh fails in staging and goes no further; one fails in
//! production and is fixed the same day, one is rolled back within the hour, and one needs a
//! fix the next morning.
//!
//! Only GitHub keeps this past: the cluster's Helm history starts with the seed, as a cluster
//! rebuilt since (or a release whose older revisions Helm pruned) would.

use std::time::Duration;

use jiff::SignedDuration;

use super::seed::{APPROVER, DEVELOPER};
use super::world::{
    ACTIONS_BOT, DeploymentSpec, DeploymentState, GithubWorld, StatusSpec, WorldError,
};

/// Hours between the starts of two past releases.
pub const CADENCE_HOURS: i64 = 38;

/// Hours from a release's commit to its production deployment, by release number.
const PRODUCTION_AFTER_HOURS: [i64; 5] = [6, 20, 27, 9, 30];

const CHANGES: &[&str] = &[
    "Add rate-card export as CSV",
    "Validate currency codes on import",
    "Cache exchange rates for a minute",
    "Log slow queries over 200 ms",
    "Show the rate card's last editor",
    "Batch quote recalculation",
    "Upgrade the HTTP framework",
    "Add a Spanish translation",
    "Index quotes by customer",
    "Trim unused dependencies",
    "Paginate the audit log",
];

/// What happens to a past release in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PastOutcome {
    Healthy,
    /// Fails in staging: production never gets it.
    FailsInStaging,
    /// Fails in production; a fix follows within hours.
    FailsInProduction,
    /// Succeeds in production, then is rolled back to the previous version.
    RolledBack,
    /// Succeeds in production; a fix follows the next morning.
    NeedsFix,
}

/// The fate of past release `n` (0-based).
pub fn past_outcome(n: usize) -> PastOutcome {
    match n {
        8 => PastOutcome::FailsInProduction,
        15 => PastOutcome::RolledBack,
        21 => PastOutcome::NeedsFix,
        n if n % 7 == 4 => PastOutcome::FailsInStaging,
        _ => PastOutcome::Healthy,
    }
}

/// How many releases fit in `weeks`: each is over within a cadence.
pub fn past_releases(weeks: u32) -> usize {
    let hours = i64::from(weeks) * 7 * 24;
    usize::try_from((hours - 2) / CADENCE_HOURS).unwrap_or(0)
}

/// Writes `weeks` of releases starting at the world's clock, which it moves forward as it goes
/// (ending within `weeks` of where it started).
pub fn seed_past(world: &GithubWorld, weeks: u32) -> Result<(), WorldError> {
    let start = world.clock().now();
    let at = |hours: f64| {
        let t = start
            .checked_add(SignedDuration::from_secs_f64(hours * 3600.0))
            .unwrap_or(start);
        let now = world.clock().now();
        if t > now {
            world
                .clock()
                .advance(Duration::from_secs_f64(t.duration_since(now).as_secs_f64()));
        }
    };
    let deploy = |sha: &str, env: &str, by: &str, ok: bool| -> Result<(), WorldError> {
        let mut spec = DeploymentSpec::new(sha, env, by);
        spec.description = Some(format!("Deploy {} to {env}", &sha[..7]));
        let id = world.create_deployment(spec)?;
        let state = if ok {
            DeploymentState::Success
        } else {
            DeploymentState::Failure
        };
        world.add_deployment_status(id, StatusSpec::new(state, by))?;
        Ok(())
    };
    // Ships `sha` through dev and staging from `t` (hours), then production `prod` hours after
    // `t`; returns whether it reached production.
    let ship = |sha: &str, t: f64, prod: f64, staging_ok: bool, prod_ok: bool| {
        at(t + 0.4);
        deploy(sha, "dev", ACTIONS_BOT, true)?;
        at(t + 2.0);
        deploy(sha, "staging", ACTIONS_BOT, staging_ok)?;
        if !staging_ok {
            return Ok::<_, WorldError>(false);
        }
        at(t + prod);
        deploy(sha, "production", ACTIONS_BOT, prod_ok)?;
        Ok(true)
    };
    let mut production: Option<String> = None;
    for n in 0..past_releases(weeks) {
        let t = (n as i64 * CADENCE_HOURS) as f64 + 1.0;
        at(t);
        let sha = world.commit("main", DEVELOPER, CHANGES[n % CHANGES.len()])?;
        let lead = PRODUCTION_AFTER_HOURS[n % PRODUCTION_AFTER_HOURS.len()] as f64;
        match past_outcome(n) {
            PastOutcome::Healthy => {
                ship(&sha, t, lead, true, true)?;
                production = Some(sha);
            }
            PastOutcome::FailsInStaging => {
                ship(&sha, t, lead, false, false)?;
            }
            PastOutcome::FailsInProduction => {
                ship(&sha, t, lead, true, false)?;
                at(t + lead + 1.0);
                let fix = world.commit(
                    "main",
                    DEVELOPER,
                    "Fix quote totals rounding after the currency change",
                )?;
                ship(&fix, t + lead + 1.0, 2.5, true, true)?;
                production = Some(fix);
            }
            PastOutcome::RolledBack => {
                ship(&sha, t, lead, true, true)?;
                if let Some(previous) = &production {
                    at(t + lead + 0.8);
                    deploy(previous, "production", APPROVER, true)?;
                }
            }
            PastOutcome::NeedsFix => {
                ship(&sha, t, lead, true, true)?;
                at(t + lead + 3.0);
                let fix =
                    world.commit("main", DEVELOPER, "Fix the export's date format for Excel")?;
                ship(&fix, t + lead + 3.0, 4.0, true, true)?;
                production = Some(fix);
            }
        }
    }
    Ok(())
}
