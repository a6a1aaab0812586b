//! The demo's simulated release lead: nobody may be at the keyboard during a demo, so a release
//! that waits at a gate long enough is approved by the demo world's `carol-lead` — through the
//! same review, rules and journal as a person's approval. She may override an unfinished soak
//! (the pipeline names her), and she says so; she cannot open a closed change window or approve
//! a crashing release, so those stay blocked on screen, as they would for anyone.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sluice_core::desk::{ActRequest, ReviewAction};
use sluice_core::snapshot::GateStatus;
use sluice_sim::clock::ScenarioClock;

use crate::journal::Journal;
use crate::promotion::{self, Setup};

/// How long (simulated) a release waits before the lead approves it: time for a presenter to
/// approve it first.
const PATIENCE: Duration = Duration::from_secs(5 * 60);

const COMMENT: &str = "Approved by the demo's simulated release lead.";
const OVERRIDE_REASON: &str =
    "Demo: the simulated release lead ships what staging has proven so far.";

pub(super) async fn run(setup: Setup, journal: Arc<Journal>, clock: ScenarioClock) {
    let mut rx = setup.snapshots.clone();
    let setup = Arc::new(setup);
    // What waits, by gate and release, since when (simulated), and what was already tried.
    let mut waiting_since: HashMap<String, Timestamp> = HashMap::new();
    let mut tried: HashSet<String> = HashSet::new();
    loop {
        let snapshot = rx.borrow_and_update().clone();
        let now = clock.now();
        let mut waiting_now = HashSet::new();
        for gate in snapshot.iter().flat_map(|s| &s.gates) {
            if gate.status == GateStatus::UpToDate {
                continue;
            }
            let release = gate.waiting_runs.first().map_or_else(
                || gate.pending.incoming_version.clone().unwrap_or_default(),
                |r| format!("run {}", r.run_id),
            );
            let key = format!("{}:{release}", gate.environment);
            waiting_now.insert(key.clone());
            let since = *waiting_since.entry(key.clone()).or_insert(now);
            let waited = now.duration_since(since).unsigned_abs();
            if waited >= PATIENCE && tried.insert(key) {
                tokio::spawn(approve(
                    setup.clone(),
                    journal.clone(),
                    gate.environment.clone(),
                ));
            }
        }
        // What no longer waits is forgotten: a simulated day has hundreds of releases.
        waiting_since.retain(|key, _| waiting_now.contains(key));
        tried.retain(|key| waiting_now.contains(key));
        // Wake on a change, or when enough simulated time may have passed.
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { return },
            () = clock.sleep(Duration::from_secs(30)) => {}
        }
    }
}

/// How often the lead reads the review again when the release moved under her (at demo speed the
/// live view can move between her review and her approval), before she leaves it waiting.
const ATTEMPTS: u32 = 3;

async fn approve(setup: Arc<Setup>, journal: Arc<Journal>, environment: String) {
    for _ in 0..ATTEMPTS {
        let review = match promotion::review(&setup, &environment, None).await {
            Ok(r) => r,
            Err(e) => {
                tracing::info!(environment, error = %e.message, "demo lead: no review");
                return;
            }
        };
        let decision = &review.decision;
        if !decision.approve.allowed && !decision.may_override {
            tracing::info!(
                environment,
                why = %decision.approve_refusals_text(),
                "demo lead: leaves the release waiting"
            );
            return;
        }
        let request = ActRequest {
            environment: environment.clone(),
            action: ReviewAction::Approve,
            comment: COMMENT.to_owned(),
            override_reason: decision.may_override.then(|| OVERRIDE_REASON.to_owned()),
            pin: review.pin,
        };
        match promotion::act(&setup, &journal, &request).await {
            Ok(outcome) => {
                tracing::info!(environment, message = %outcome.message, "demo lead approved");
                return;
            }
            // As a person would: read the review of the new release, then decide again.
            Err(e) if e.code == "promotion.release-changed" => {
                tracing::info!(environment, error = %e.message, "demo lead reads the review again");
            }
            Err(e) => {
                tracing::info!(environment, error = %e.message, "demo lead's approval refused");
                return;
            }
        }
    }
}
