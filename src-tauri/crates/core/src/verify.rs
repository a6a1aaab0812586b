//! Verification after a promotion: whether the new version holds in the environment for the time
//! the pipeline asks (`verify.for`). Pure: the console hands over the environment as each
//! Snapshot shows it, and this says which check broke, if any, and how the phase stands in the
//! words the window, the notification and `sluice promote` show.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::pipeline::{OnFailure, Verify};
use crate::snapshot::{EnvironmentState, Notification};

/// One check of a verification, as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VerifyCheck {
    /// `restarts`, `readiness`, `crash-looping` or `warnings`.
    pub name: String,
    pub holding: bool,
    /// What broke it, in words; empty while it holds.
    pub detail: String,
}

/// What the environment was when verification started: restarts and warnings from before do
/// not count against the new version.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    restarts: BTreeMap<String, u32>,
    /// Each warning event already seen, with its count.
    warnings: BTreeMap<(String, String), u32>,
}

impl Baseline {
    pub fn of(env: &EnvironmentState) -> Self {
        Self {
            restarts: env
                .workloads
                .iter()
                .map(|w| (w.name.clone(), w.restarts))
                .collect(),
            warnings: env
                .warnings
                .iter()
                .map(|w| ((w.object.clone(), w.reason.clone()), w.count))
                .collect(),
        }
    }
}

/// Every check against `env` now.
pub fn checks(verify: &Verify, baseline: &Baseline, env: &EnvironmentState) -> Vec<VerifyCheck> {
    let check = |name: &str, broken: Vec<String>| VerifyCheck {
        name: name.to_owned(),
        holding: broken.is_empty(),
        detail: broken.join("; "),
    };
    let restarted: Vec<String> = env
        .workloads
        .iter()
        .filter_map(|w| {
            let before = baseline.restarts.get(&w.name).copied().unwrap_or(0);
            (w.restarts > before)
                .then(|| format!("{} restarted {} time(s)", w.name, w.restarts - before))
        })
        .collect();
    let unready: Vec<String> = env
        .workloads
        .iter()
        .filter(|w| w.ready < w.desired)
        .map(|w| format!("{}: {} of {} ready", w.name, w.ready, w.desired))
        .collect();
    let crashing: Vec<String> = env
        .workloads
        .iter()
        .flat_map(|w| &w.pods)
        .filter(|p| p.reason.as_deref() == Some("CrashLoopBackOff"))
        .map(|p| format!("{} is crash-looping", p.name))
        .collect();
    let warned: Vec<String> = env
        .warnings
        .iter()
        .filter(|w| verify.warning_reasons.iter().any(|r| r == &w.reason))
        .filter(|w| {
            baseline
                .warnings
                .get(&(w.object.clone(), w.reason.clone()))
                .is_none_or(|&seen| w.count > seen)
        })
        .map(|w| format!("{} on {}: {}", w.reason, w.object, w.message))
        .collect();
    vec![
        check("restarts", restarted),
        check("readiness", unready),
        check("crash-looping", crashing),
        check("warnings", warned),
    ]
}

/// A promotion's verification as it stands: what the review screen, the environment card and
/// presentation mode show while it runs and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Unique per verification, so that its outcome is announced once.
    pub id: String,
    pub environment: String,
    /// The version being verified, as the review named it.
    pub version: String,
    pub for_seconds: u32,
    /// How long it has held so far, whole seconds; at most `for_seconds`.
    pub held_seconds: u32,
    /// Empty until the live view shows the new version whole.
    pub checks: Vec<VerifyCheck>,
    pub on_failure: OnFailure,
    pub state: VerificationState,
    /// The phase in one sentence (the card's tooltip, the banner).
    pub summary: String,
    /// The desktop notification of a failure; `None` while it runs or when it held.
    pub notification: Option<Notification>,
    /// Still under way (settling, verifying or rolling back): what presentation mode and the
    /// review follow. Kept equal to `!finished()`.
    pub running: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum VerificationState {
    /// Waiting for the live view to show every replica of the new version ready.
    Settling,
    /// The timer runs; every check holds so far.
    Verifying,
    /// It held for the whole time.
    Held,
    /// A check broke; Rollback is offered with this reason (`onFailure: offer`).
    Failed { reason: String },
    /// A check broke; Sluice is rolling back (`onFailure: rollback`).
    RollingBack { reason: String },
    /// A check broke and Sluice rolled back; `to` is what the environment runs now.
    RolledBack { reason: String, to: Option<String> },
    /// A check broke and the automatic rollback failed too: Rollback is offered.
    RollbackFailed { reason: String, error: String },
}

impl Verification {
    /// A verification that has not started its timer yet.
    pub fn settling(id: String, environment: &str, version: &str, verify: &Verify) -> Self {
        let mut v = Self {
            id,
            environment: environment.to_owned(),
            version: version.to_owned(),
            for_seconds: verify.for_seconds,
            held_seconds: 0,
            checks: Vec::new(),
            on_failure: verify.on_failure,
            state: VerificationState::Settling,
            summary: String::new(),
            notification: None,
            running: true,
        };
        v.reword();
        v
    }

    /// Moves to `state`, rewording what is said about it.
    pub fn set(&mut self, state: VerificationState) {
        if state == VerificationState::Held {
            self.held_seconds = self.for_seconds;
        }
        self.state = state;
        self.reword();
    }

    /// The timer and the checks as they stand now.
    pub fn tick(&mut self, held_seconds: u32, checks: Vec<VerifyCheck>) {
        self.held_seconds = held_seconds.min(self.for_seconds);
        self.checks = checks;
        self.reword();
    }

    /// Whether it is over (held, or failed and dealt with as the pipeline asks).
    pub fn finished(&self) -> bool {
        !matches!(
            self.state,
            VerificationState::Settling
                | VerificationState::Verifying
                | VerificationState::RollingBack { .. }
        )
    }

    fn reword(&mut self) {
        self.running = !self.finished();
        let (env, version) = (&self.environment, &self.version);
        let (for_seconds, held_seconds) = (self.for_seconds, self.held_seconds);
        let summary = match &self.state {
            VerificationState::Settling => {
                format!("Verifying {version} in {env}: waiting for every replica to be ready")
            }
            VerificationState::Verifying => {
                format!("Verifying {version} in {env}: held {held_seconds} s of {for_seconds} s")
            }
            VerificationState::Held => {
                format!("Verified: {version} held in {env} for {for_seconds} s")
            }
            VerificationState::Failed { reason } => {
                format!("Verification of {version} in {env} failed: {reason} — Rollback is offered")
            }
            VerificationState::RollingBack { reason } => {
                format!("Verification of {version} in {env} failed: {reason} — rolling back")
            }
            VerificationState::RolledBack { reason, to } => format!(
                "Verification of {version} in {env} failed: {reason} — rolled back to {}",
                to.as_deref().unwrap_or("the previous revision")
            ),
            VerificationState::RollbackFailed { reason, error } => format!(
                "Verification of {version} in {env} failed: {reason} — the automatic rollback failed too: {error}"
            ),
        };
        let notification = match &self.state {
            VerificationState::Failed { reason } => Some(Notification {
                title: format!("Verification failed in {env}"),
                body: format!("{version} did not hold: {reason}. Rollback is offered."),
            }),
            VerificationState::RolledBack { reason, to } => Some(Notification {
                title: format!("{env} rolled back: verification failed"),
                body: format!(
                    "{version} did not hold: {reason}. Sluice rolled back to {}.",
                    to.as_deref().unwrap_or("the previous revision")
                ),
            }),
            VerificationState::RollbackFailed { reason, error } => Some(Notification {
                title: format!("Verification failed in {env}; the rollback failed"),
                body: format!("{version} did not hold: {reason}. Rolling back failed: {error}"),
            }),
            _ => None,
        };
        self.summary = summary;
        self.notification = notification;
    }

    /// The phase as a line of `sluice promote`'s output: the timer and each check's state.
    pub fn line(&self) -> String {
        let checks = self
            .checks
            .iter()
            .map(|c| {
                if c.holding {
                    format!("{} met", c.name)
                } else {
                    format!("{} FAILED ({})", c.name, c.detail)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        match self.state {
            VerificationState::Verifying if !checks.is_empty() => format!(
                "verifying: {} s of {} s; {checks}",
                self.held_seconds, self.for_seconds
            ),
            _ if checks.is_empty() => self.summary.clone(),
            _ => format!("{}; {checks}", self.summary),
        }
    }
}

/// Why the checks fail, in words; `None` while every one holds.
pub fn failure(checks: &[VerifyCheck]) -> Option<String> {
    let broken: Vec<&str> = checks
        .iter()
        .filter(|c| !c.holding)
        .map(|c| c.detail.as_str())
        .collect();
    (!broken.is_empty()).then(|| broken.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::OnFailure;
    use crate::snapshot::{PodState, WarningEvent, Workload};

    fn verify() -> Verify {
        Verify {
            for_seconds: 60,
            on_failure: OnFailure::Rollback,
            warning_reasons: vec!["BackOff".into()],
            job: None,
        }
    }

    fn env(ready: u32, restarts: u32, warnings: Vec<WarningEvent>) -> EnvironmentState {
        let workload = Workload {
            name: "tbyte-prod-api".into(),
            component: "api".into(),
            desired: 3,
            updated: 3,
            ready,
            available: ready,
            restarts,
            images: Vec::new(),
            revision: Some("2".into()),
            conditions: Vec::new(),
            replica_sets: Vec::new(),
            pods: vec![PodState {
                name: "tbyte-prod-api-1".into(),
                replica_set: None,
                phase: "Running".into(),
                ready: ready == 3,
                restarts,
                reason: (ready < 3).then(|| "CrashLoopBackOff".into()),
                message: None,
                created_at: None,
            }],
        };
        EnvironmentState {
            name: "production".into(),
            namespace: "production".into(),
            version: None,
            health: crate::snapshot::Health::Healthy,
            health_reason: String::new(),
            workloads: vec![workload.into()].into(),
            rollout: None,
            helm_history: std::sync::Arc::default(),
            last_deployed: None,
            running_since: None,
            deployed_values: None,
            drift: None,
            warnings,
            warnings_left_out: 0,
            stale: false,
            problems: Vec::new(),
        }
    }

    fn warning(reason: &str, count: u32) -> WarningEvent {
        WarningEvent {
            object: "Pod/tbyte-prod-api-1".into(),
            reason: reason.into(),
            message: "Back-off restarting failed container".into(),
            count,
            last_seen: None,
        }
    }

    #[test]
    fn a_healthy_environment_holds_and_old_trouble_does_not_count() {
        // Restarts and a BackOff from before the promotion are the baseline.
        let start = env(3, 4, vec![warning("BackOff", 2)]);
        let baseline = Baseline::of(&start);
        let now = checks(&verify(), &baseline, &start);
        assert!(now.iter().all(|c| c.holding), "{now:?}");
        assert_eq!(failure(&now), None);
    }

    #[test]
    fn restarts_readiness_crash_loops_and_listed_warnings_each_break_it() {
        let baseline = Baseline::of(&env(3, 0, vec![warning("BackOff", 2)]));
        let now = env(2, 3, vec![warning("BackOff", 5), warning("FailedMount", 1)]);
        let checks = checks(&verify(), &baseline, &now);
        let broken: Vec<(&str, &str)> = checks
            .iter()
            .filter(|c| !c.holding)
            .map(|c| (c.name.as_str(), c.detail.as_str()))
            .collect();
        assert_eq!(
            broken,
            [
                ("restarts", "tbyte-prod-api restarted 3 time(s)"),
                ("readiness", "tbyte-prod-api: 2 of 3 ready"),
                ("crash-looping", "tbyte-prod-api-1 is crash-looping"),
                (
                    "warnings",
                    "BackOff on Pod/tbyte-prod-api-1: Back-off restarting failed container"
                ),
            ],
            "FailedMount is not a listed reason"
        );
        assert_eq!(
            failure(&checks).as_deref(),
            Some(
                "tbyte-prod-api restarted 3 time(s); tbyte-prod-api: 2 of 3 ready; tbyte-prod-api-1 is crash-looping; BackOff on Pod/tbyte-prod-api-1: Back-off restarting failed container"
            )
        );
    }

    #[test]
    fn the_phase_is_worded_for_the_window_the_notification_and_the_terminal() {
        let mut v = Verification::settling("1".into(), "production", "a1b2c3d", &verify());
        assert_eq!(v.state, VerificationState::Settling);
        assert_eq!(v.notification, None);
        let start = env(3, 0, Vec::new());
        let baseline = Baseline::of(&start);
        v.set(VerificationState::Verifying);
        v.tick(40, checks(&verify(), &baseline, &start));
        assert_eq!(
            v.summary,
            "Verifying a1b2c3d in production: held 40 s of 60 s"
        );
        assert_eq!(
            v.line(),
            "verifying: 40 s of 60 s; restarts met, readiness met, crash-looping met, warnings met"
        );
        assert!(!v.finished());

        let broken = env(2, 1, Vec::new());
        v.tick(45, checks(&verify(), &baseline, &broken));
        let reason = failure(&v.checks).unwrap();
        v.set(VerificationState::RollingBack {
            reason: reason.clone(),
        });
        assert!(!v.finished(), "still rolling back");
        assert_eq!(v.notification, None, "announced once it rolled back");
        v.set(VerificationState::RolledBack {
            reason,
            to: Some("9f8e7d6".into()),
        });
        assert!(v.finished());
        assert_eq!(
            v.summary,
            "Verification of a1b2c3d in production failed: tbyte-prod-api restarted 1 time(s); \
             tbyte-prod-api: 2 of 3 ready; tbyte-prod-api-1 is crash-looping — rolled back to 9f8e7d6"
        );
        let note = v.notification.clone().unwrap();
        assert_eq!(note.title, "production rolled back: verification failed");
        assert!(
            note.body.ends_with("Sluice rolled back to 9f8e7d6."),
            "{}",
            note.body
        );
        assert!(
            v.line()
                .contains("restarts FAILED (tbyte-prod-api restarted 1 time(s))"),
            "{}",
            v.line()
        );
        assert_eq!(v.held_seconds, 45, "the timer stops where it broke");
    }

    #[test]
    fn a_held_verification_reads_the_whole_time_and_is_not_announced() {
        let mut v = Verification::settling("1".into(), "production", "a1b2c3d", &verify());
        v.tick(58, Vec::new());
        v.set(VerificationState::Held);
        assert_eq!(v.held_seconds, 60);
        assert_eq!(v.summary, "Verified: a1b2c3d held in production for 60 s");
        assert_eq!(v.notification, None);
        assert!(v.finished());
    }
}
