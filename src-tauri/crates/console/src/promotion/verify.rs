//! Verifying a promotion after its rollout: the environment is watched through the live view for
//! the time the pipeline asks, each Snapshot judged by `sluice_core::verify`. The phase is
//! published as typed state ([`Verifications`]: the window's review screen, card and
//! presentation mode) and as progress lines with each check's state (`sluice promote`'s stderr).

use std::sync::Arc;
use std::time::Duration;

use sluice_core::desk::ProgressLine;
use sluice_core::pipeline::{Environment, OnFailure, Verify};
use sluice_core::snapshot::{EnvironmentState, Snapshot};
use sluice_core::verify::{Baseline, Verification, VerificationState, checks, failure};
use tokio::sync::watch;
use tokio::time::Instant;

use super::Setup;

/// How long the live view may take to show the finished rollout before verification starts.
const SETTLE: Duration = Duration::from_secs(30);
/// How often the verifying phase says how far it is, as a line.
const REPORT_EVERY: Duration = Duration::from_secs(5);
/// How often the timer moves on screen.
const TICK: Duration = Duration::from_secs(1);

/// The latest verification of each environment, in the order they started: the one running and,
/// once it is over, how it ended (until the next promotion there).
#[derive(Clone)]
pub struct Verifications(Arc<watch::Sender<Vec<Verification>>>);

impl Default for Verifications {
    fn default() -> Self {
        Self(Arc::new(watch::channel(Vec::new()).0))
    }
}

impl Verifications {
    pub fn subscribe(&self) -> watch::Receiver<Vec<Verification>> {
        self.0.subscribe()
    }

    pub fn current(&self) -> Vec<Verification> {
        self.0.borrow().clone()
    }

    /// Replaces the environment's verification with `v`; subscribers hear of it only if it changed.
    fn publish(&self, v: &Verification) {
        self.0.send_if_modified(|all| {
            match all.iter_mut().find(|x| x.environment == v.environment) {
                Some(x) if x == v => false,
                Some(x) => {
                    x.clone_from(v);
                    true
                }
                None => {
                    all.push(v.clone());
                    true
                }
            }
        });
    }

    /// Changes the environment's verification in place, if it is `id`.
    fn update(&self, environment: &str, id: &str, change: impl FnOnce(&mut Verification)) {
        self.0.send_if_modified(|all| {
            match all
                .iter_mut()
                .find(|x| x.environment == environment && x.id == id)
            {
                Some(x) => {
                    change(x);
                    true
                }
                None => false,
            }
        });
    }
}

/// How a verification ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verified {
    Held,
    /// With the verification's id, for [`rolled_back`].
    Broke {
        reason: String,
        id: String,
    },
}

fn state_of(snapshot: Option<&Snapshot>, environment: &str) -> Option<EnvironmentState> {
    snapshot?
        .environments
        .iter()
        .find(|e| e.name == environment)
        .cloned()
}

fn whole(env: &EnvironmentState) -> bool {
    !env.workloads.is_empty() && env.workloads.iter().all(|w| w.ready >= w.desired)
}

pub(super) fn say(setup: &Setup, environment: &str, line: String) {
    let _ = setup.progress.send(ProgressLine {
        environment: environment.to_owned(),
        line,
    });
}

/// The state a broken check leads to, as the pipeline's `onFailure` asks.
fn broken(verify: &Verify, reason: String) -> VerificationState {
    match verify.on_failure {
        OnFailure::Offer => VerificationState::Failed { reason },
        OnFailure::Rollback => VerificationState::RollingBack { reason },
    }
}

/// Fails `environment`'s verification for a `reason` found beside the live view (the smoke
/// test, a required check), as a broken check does: said, shown, and handed on to roll back.
pub(crate) fn fail_beside(
    setup: &Setup,
    environment: &str,
    verify: &Verify,
    reason: String,
) -> Verified {
    say(setup, environment, format!("verification failed: {reason}"));
    let shown = setup
        .verifications
        .current()
        .into_iter()
        .find(|v| v.environment == environment);
    let id = match shown {
        Some(mut shown) => {
            shown.set(broken(verify, reason.clone()));
            setup.verifications.publish(&shown);
            say(setup, environment, shown.line());
            shown.id
        }
        None => crate::journal::new_id(),
    };
    Verified::Broke { reason, id }
}

/// Watches `env` for `verify.for_seconds` from the moment the live view shows every replica of
/// `version` ready; the first broken check ends it.
pub(crate) async fn verify(
    setup: &Setup,
    env: &Environment,
    verify: &Verify,
    version: &str,
) -> Verified {
    let mut snapshots = setup.snapshots.clone();
    let name = env.name.as_str();
    let mut shown = Verification::settling(crate::journal::new_id(), name, version, verify);
    setup.verifications.publish(&shown);
    let fail = |shown: &mut Verification, reason: String| {
        say(setup, name, format!("verification failed: {reason}"));
        shown.set(broken(verify, reason.clone()));
        setup.verifications.publish(shown);
        say(setup, name, shown.line());
        Verified::Broke {
            reason,
            id: shown.id.clone(),
        }
    };
    // The rollout was followed on the API server; the live view may be a moment behind.
    let settle = Instant::now() + SETTLE;
    let start = loop {
        if let Some(state) = state_of(snapshots.borrow_and_update().as_deref(), name)
            && whole(&state)
        {
            break state;
        }
        if Instant::now() >= settle {
            let reason = format!(
                "{name} did not show every replica ready within {} s of the rollout",
                SETTLE.as_secs()
            );
            return fail(&mut shown, reason);
        }
        wait(&mut snapshots, settle).await;
    };
    let baseline = Baseline::of(&start);
    let hold = Duration::from_secs(u64::from(verify.for_seconds));
    let begun = Instant::now();
    let until = begun + hold;
    say(
        setup,
        name,
        format!(
            "verifying for {} s: no restarts, every replica ready, no crash loop, no new {} warning",
            hold.as_secs(),
            verify.warning_reasons.join("/")
        ),
    );
    shown.set(VerificationState::Verifying);
    let mut next_report = begun + REPORT_EVERY;
    let mut next_tick = begun + TICK;
    let mut current = start;
    loop {
        if let Some(state) = state_of(snapshots.borrow_and_update().as_deref(), name) {
            current = state;
        }
        let now = Instant::now();
        let held = u32::try_from((now.min(until) - begun).as_secs()).unwrap_or(u32::MAX);
        shown.tick(held, checks(verify, &baseline, &current));
        if let Some(reason) = failure(&shown.checks) {
            return fail(&mut shown, reason);
        }
        if now >= until {
            shown.set(VerificationState::Held);
            setup.verifications.publish(&shown);
            say(
                setup,
                name,
                format!("verified: {name} held for {} s", hold.as_secs()),
            );
            return Verified::Held;
        }
        setup.verifications.publish(&shown);
        if now >= next_report {
            say(setup, name, shown.line());
            next_report += REPORT_EVERY;
        }
        if now >= next_tick {
            next_tick = now + TICK;
        }
        wait(&mut snapshots, until.min(next_report).min(next_tick)).await;
    }
}

/// Says how the automatic rollback after verification `id` failed in `environment` ended (`Err`
/// with why it failed). Once done, it waits (a little) for the live view to show the environment
/// whole on another version than the one that failed, so that what it names is what runs — and
/// what the window shows next to it.
pub(crate) async fn rolled_back(
    setup: &Setup,
    environment: &str,
    id: &str,
    reason: &str,
    result: Result<(), String>,
) {
    let failed = setup
        .verifications
        .current()
        .into_iter()
        .find(|v| v.id == id)
        .map(|v| v.version);
    let state = match result {
        Ok(()) => {
            let mut snapshots = setup.snapshots.clone();
            let settle = Instant::now() + SETTLE;
            let to = loop {
                let state = state_of(snapshots.borrow_and_update().as_deref(), environment);
                let now = state
                    .as_ref()
                    .and_then(|s| s.version.as_ref().map(|v| v.label.clone()));
                if let Some(s) = &state
                    && whole(s)
                    && now.is_some()
                    && now != failed
                {
                    break now;
                }
                if Instant::now() >= settle {
                    break now;
                }
                wait(&mut snapshots, settle).await;
            };
            VerificationState::RolledBack {
                reason: reason.to_owned(),
                to,
            }
        }
        Err(error) => VerificationState::RollbackFailed {
            reason: reason.to_owned(),
            error,
        },
    };
    let mut line = None;
    setup.verifications.update(environment, id, |v| {
        v.set(state);
        line = Some(v.summary.clone());
    });
    if let Some(line) = line {
        say(setup, environment, line);
    }
}

/// Until the next Snapshot or `deadline`, whichever comes first; a closed view waits it out.
async fn wait(
    snapshots: &mut tokio::sync::watch::Receiver<Option<std::sync::Arc<Snapshot>>>,
    deadline: Instant,
) {
    if let Ok(Err(_)) = tokio::time::timeout_at(deadline, snapshots.changed()).await {
        tokio::time::sleep_until(deadline).await;
    }
}
