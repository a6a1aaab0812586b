//! Verification after a promotion: whether the new version holds in the environment for the time
//! the pipeline asks (`verify.for`). Pure: the console hands over the environment as each
//! Snapshot shows it, and this says which check broke, if any.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::pipeline::Verify;
use crate::snapshot::EnvironmentState;

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
            workloads: vec![workload].into(),
            rollout: None,
            helm_history: Vec::new(),
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
}
