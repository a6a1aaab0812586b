//! Following Deployments until their rollouts complete, or stall.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;

use super::WriteError;

/// Waits for every named Deployment to finish rolling out, or for one to exceed its progress
/// deadline.
pub async fn follow(
    api: &Api<Deployment>,
    names: &[String],
    timeout: Duration,
) -> Result<(), WriteError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let watcher = kube::runtime::watcher(api.clone(), kube::runtime::watcher::Config::default());
    let mut stream = Box::pin(kube::runtime::WatchStreamExt::applied_objects(watcher));
    let mut done: Vec<String> = Vec::new();
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next()).await;
        let d = match next {
            Err(_) => {
                return Err(WriteError::RolloutFailed(format!(
                    "still rolling out after {}s",
                    timeout.as_secs()
                )));
            }
            Ok(None) => return Err(WriteError::RolloutFailed("the watch ended".into())),
            Ok(Some(Err(_))) => continue,
            Ok(Some(Ok(d))) => d,
        };
        let name = d.metadata.name.clone().unwrap_or_default();
        if !names.contains(&name) {
            continue;
        }
        let status = d.status.clone().unwrap_or_default();
        // Until the controller has seen this spec, its conditions are about the one before (a
        // rollback of a stalled rollout still says "deadline exceeded"), as `kubectl rollout
        // status` reads them.
        let observed = status.observed_generation >= d.metadata.generation;
        let stalled = observed
            && status.conditions.iter().flatten().any(|c| {
                c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
            });
        if stalled {
            return Err(WriteError::RolloutFailed(format!(
                "{name} exceeded its progress deadline"
            )));
        }
        let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let complete = observed
            && status.updated_replicas.unwrap_or(0) == desired
            && status.available_replicas.unwrap_or(0) == desired
            && status.replicas.unwrap_or(0) == desired;
        if complete && !done.contains(&name) {
            done.push(name);
        }
        if names.iter().all(|n| done.contains(n)) {
            return Ok(());
        }
    }
}
