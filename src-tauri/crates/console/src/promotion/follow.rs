//! Following an environment in the live view after a promotion: until it runs the promoted
//! commit whole and healthy, or its rollout stalls.

use std::time::Duration;

use sluice_core::UiError;
use sluice_core::commit::same_commit;
use sluice_core::snapshot::{EnvironmentState, Health};

use super::{Done, Failure, Setup};

/// How long the live view may lag behind the cluster once a rollout is known to be complete.
const CATCH_UP: Duration = Duration::from_secs(10);

/// What `environment` runs now, as the latest snapshot shows it.
pub(super) fn running(setup: &Setup, environment: &str) -> Option<String> {
    setup
        .snapshots
        .borrow()
        .as_ref()?
        .environments
        .iter()
        .find(|e| e.name == environment)?
        .version
        .as_ref()
        .map(|v| v.label.clone())
}

fn runs(env: &EnvironmentState, sha: &str) -> bool {
    env.version
        .as_ref()
        .and_then(|v| v.sha.as_deref())
        .is_some_and(|s| same_commit(s, sha))
}

fn done(env: &EnvironmentState, sha: &str) -> bool {
    runs(env, sha) && env.health == Health::Healthy && env.rollout.is_none()
}

/// Follows `environment` until it runs `sha` whole and healthy. A stalled rollout went wrong
/// (rolling back is offered), as does running out of patience.
pub(super) async fn until_running(
    setup: &Setup,
    environment: &str,
    sha: Option<&str>,
) -> Result<Done, Failure> {
    let Some(sha) = sha else {
        return Ok(Done {
            message: format!(
                "approved; {environment}'s deploy runs a version with no commit to follow"
            ),
            running: running(setup, environment),
        });
    };
    let mut rx = setup.snapshots.clone();
    let deadline = tokio::time::Instant::now() + setup.follow_timeout;
    loop {
        if let Some(s) = rx.borrow_and_update().clone()
            && let Some(env) = s.environments.iter().find(|e| e.name == environment)
        {
            if done(env, sha) {
                let label = env.version.as_ref().map_or("?", |v| v.label.as_str());
                return Ok(Done {
                    message: format!("{environment} now runs {label}"),
                    running: Some(label.to_owned()),
                });
            }
            if env.rollout.as_ref().is_some_and(|r| r.stalled) {
                return Err(Failure::WentWrong(UiError::new(
                    "promotion.rollout-failed",
                    format!(
                        "The rollout in {environment} stalled: {}",
                        env.health_reason
                    ),
                    "Roll back with the Rollback button or `sluice rollback`.",
                )));
            }
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            return Err(Failure::WentWrong(UiError::new(
                "promotion.timeout",
                format!(
                    "{environment} did not finish rolling out in {} s",
                    setup.follow_timeout.as_secs()
                ),
                "Check the environment's workloads; the promotion may still complete, or roll back.",
            )));
        }
    }
}

/// Once the cluster said the rollout completed: what the live view shows the environment
/// running, after giving it a moment to catch up with `sha`.
pub(super) async fn settled_running(
    setup: &Setup,
    environment: &str,
    sha: Option<&str>,
) -> Option<String> {
    if let Some(sha) = sha {
        let mut rx = setup.snapshots.clone();
        let caught_up = |s: &Option<std::sync::Arc<sluice_core::snapshot::Snapshot>>| {
            s.as_ref().is_some_and(|s| {
                s.environments
                    .iter()
                    .any(|e| e.name == environment && done(e, sha))
            })
        };
        let _ = tokio::time::timeout(CATCH_UP, rx.wait_for(caught_up)).await;
    }
    running(setup, environment)
}
