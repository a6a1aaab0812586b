//! Verifying a promotion after its rollout: the environment is watched through the live view for
//! the time the pipeline asks, each Snapshot judged by `sluice_core::verify`; the person sees
//! the phase as progress lines (the review screen's log, `sluice promote`'s stderr).

use std::time::Duration;

use sluice_core::desk::ProgressLine;
use sluice_core::pipeline::{Environment, Verify};
use sluice_core::snapshot::{EnvironmentState, Snapshot};
use sluice_core::verify::{Baseline, checks, failure};
use tokio::time::Instant;

use super::Setup;

/// How long the live view may take to show the finished rollout before verification starts.
const SETTLE: Duration = Duration::from_secs(30);
/// How often the verifying phase says how far it is.
const REPORT_EVERY: Duration = Duration::from_secs(5);

/// How a verification ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verified {
    Held,
    Broke(String),
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

fn say(setup: &Setup, environment: &str, line: String) {
    let _ = setup.progress.send(ProgressLine {
        environment: environment.to_owned(),
        line,
    });
}

/// Watches `env` for `verify.for_seconds` from the moment the live view shows every replica of
/// the new version ready; the first broken check ends it.
pub(crate) async fn verify(setup: &Setup, env: &Environment, verify: &Verify) -> Verified {
    let mut snapshots = setup.snapshots.clone();
    let name = env.name.as_str();
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
            say(setup, name, format!("verification failed: {reason}"));
            return Verified::Broke(reason);
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
    let mut next_report = begun + REPORT_EVERY;
    loop {
        if let Some(state) = state_of(snapshots.borrow_and_update().as_deref(), name) {
            let checks = checks(verify, &baseline, &state);
            if let Some(reason) = failure(&checks) {
                say(setup, name, format!("verification failed: {reason}"));
                return Verified::Broke(reason);
            }
        }
        let now = Instant::now();
        if now >= until {
            say(
                setup,
                name,
                format!("verified: {name} held for {} s", hold.as_secs()),
            );
            return Verified::Held;
        }
        if now >= next_report {
            say(
                setup,
                name,
                format!(
                    "verifying: {} s of {} s, every check holding",
                    (now - begun).as_secs(),
                    hold.as_secs()
                ),
            );
            next_report += REPORT_EVERY;
        }
        wait(&mut snapshots, until.min(next_report)).await;
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
