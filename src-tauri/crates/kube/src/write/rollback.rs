//! Rolling an environment back to its previous revision, as `kubectl rollout undo` does: each
//! Deployment's previous ReplicaSet's pod template becomes the Deployment's again.

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

/// Rolls every Deployment of `release` in `namespace` back one revision, holding the Lease, and
/// follows the rollout; returns the Deployments changed.
pub async fn rollback(
    client: &kube::Client,
    namespace: &str,
    release: &str,
    holder: &str,
    timeout: Duration,
) -> Result<Vec<String>, WriteError> {
    access::authorize(client, namespace).await?;
    let held = lease::acquire(Api::<Lease>::namespaced(client.clone(), namespace), holder).await?;
    let result = undo(client, namespace, release, timeout).await;
    held.release().await;
    result
}

async fn undo(
    client: &kube::Client,
    namespace: &str,
    release: &str,
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
        let Some(previous) = owned.get(1) else {
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
        let name = d.metadata.name.clone().unwrap_or_default();
        let patch = json!([{"op": "replace", "path": "/spec/template", "value": template}]);
        let patch =
            serde_json::from_value(patch).map_err(|e| WriteError::Nothing(e.to_string()))?;
        api.patch(&name, &PatchParams::default(), &Patch::<()>::Json(patch))
            .await?;
        changed.push(name);
    }
    if changed.is_empty() {
        return Err(WriteError::Nothing(format!(
            "release `{release}` has no previous revision to roll back to"
        )));
    }
    follow(&api, &changed, timeout).await?;
    Ok(changed)
}
