//! Rolling an environment back, as `kubectl rollout undo` does: a ReplicaSet's pod template (the
//! previous one, or one the history chose) becomes its Deployment's again.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::json;

use super::{WriteError, access, follow, lease};

const REVISION: &str = "deployment.kubernetes.io/revision";

fn revision(rs: &ReplicaSet) -> i64 {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// Which pod template each Deployment gets back.
#[derive(Debug, Clone, Copy)]
pub enum RollbackTarget<'a> {
    /// Its previous revision's.
    Previous,
    /// For each Deployment named, the named ReplicaSet's (an older revision, chosen from the
    /// environment's history). Deployments not named are left alone.
    ReplicaSets(&'a [(String, String)]),
}

/// Rolls the Deployments of `release` in `namespace` back to `target`, holding the Lease, and
/// follows the rollout; returns the Deployments changed.
pub async fn rollback(
    client: &kube::Client,
    namespace: &str,
    release: &str,
    target: RollbackTarget<'_>,
    holder: &str,
    timeout: Duration,
) -> Result<Vec<String>, WriteError> {
    access::authorize(client, namespace).await?;
    let held = lease::acquire(Api::<Lease>::namespaced(client.clone(), namespace), holder).await?;
    let result = undo(client, namespace, release, target, timeout).await;
    held.release().await;
    result
}

/// The ReplicaSet whose template `deployment` gets back, among those it owns (newest first).
fn restored<'a>(
    target: RollbackTarget<'_>,
    deployment: &str,
    owned: &[&'a ReplicaSet],
) -> Result<Option<&'a ReplicaSet>, WriteError> {
    match target {
        RollbackTarget::Previous => Ok(owned.get(1).copied()),
        RollbackTarget::ReplicaSets(chosen) => {
            let Some((_, name)) = chosen.iter().find(|(d, _)| d == deployment) else {
                return Ok(None);
            };
            owned
                .iter()
                .find(|rs| rs.metadata.name.as_deref() == Some(name.as_str()))
                .copied()
                .map(Some)
                .ok_or_else(|| {
                    WriteError::Nothing(format!(
                        "ReplicaSet `{name}` is no longer kept for Deployment `{deployment}`"
                    ))
                })
        }
    }
}

async fn undo(
    client: &kube::Client,
    namespace: &str,
    release: &str,
    target: RollbackTarget<'_>,
    timeout: Duration,
) -> Result<Vec<String>, WriteError> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let sets: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
    let all_sets = sets.list(&ListParams::default()).await?.items;
    let deployments = api
        .list(&ListParams::default().labels(&format!("app.kubernetes.io/instance={release}")))
        .await?
        .items;
    let mut changed = Vec::new();
    for d in deployments {
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let mut owned: Vec<&ReplicaSet> = all_sets
            .iter()
            .filter(|rs| {
                rs.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.uid == uid)
            })
            .collect();
        owned.sort_by_key(|rs| std::cmp::Reverse(revision(rs)));
        let name = d.metadata.name.clone().unwrap_or_default();
        let Some(previous) = restored(target, &name, &owned)? else {
            continue;
        };
        let mut template = previous
            .spec
            .as_ref()
            .and_then(|s| s.template.clone())
            .unwrap_or_default();
        if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove("pod-template-hash");
        }
        let patch = json!([{"op": "replace", "path": "/spec/template", "value": template}]);
        let patch =
            serde_json::from_value(patch).map_err(|e| WriteError::Nothing(e.to_string()))?;
        api.patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch))
            .await?;
        changed.push(name);
    }
    if changed.is_empty() {
        return Err(WriteError::Nothing(format!(
            "release `{release}` has no {} to roll back to",
            match target {
                RollbackTarget::Previous => "previous revision",
                RollbackTarget::ReplicaSets(_) => "such revision",
            }
        )));
    }
    follow(&api, &changed, timeout).await?;
    Ok(changed)
}
