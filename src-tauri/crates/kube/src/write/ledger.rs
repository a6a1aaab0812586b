//! Writing the approvals ledger: one key per person and environment in the `sluice-approvals`
//! ConfigMap of the environment's namespace. Each write is a JSON merge patch of the keys it
//! touches only, so two people approving at once never overwrite each other's approval.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Map, Value, json};
use sluice_core::quorum::{LEDGER_NAME, LedgerApproval, ledger_key};

use super::WriteError;

/// Adds `approval` to the ledger of `namespace` (replacing the same person's earlier one), and
/// removes the approvals under `stale` keys (of releases no longer under review).
pub async fn record(
    client: &kube::Client,
    namespace: &str,
    approval: &LedgerApproval,
    stale: &[String],
) -> Result<(), WriteError> {
    // No access review first: RBAC may grant patch on this ConfigMap by name only, which a
    // review without the name would deny; the write's own 403 is RBAC's answer, in its words.
    let value = serde_json::to_string(approval)
        .map_err(|e| WriteError::Kube(format!("cannot encode the approval: {e}")))?;
    let mut data = Map::new();
    for key in stale {
        data.insert(key.clone(), Value::Null);
    }
    data.insert(
        ledger_key(&approval.environment, &approval.login),
        Value::String(value),
    );
    patch(client, namespace, data).await
}

/// Removes the approvals under `keys` (a quorum that was carried out); a missing ledger has
/// nothing to remove.
pub async fn clear(
    client: &kube::Client,
    namespace: &str,
    keys: &[String],
) -> Result<(), WriteError> {
    if keys.is_empty() {
        return Ok(());
    }
    let data: Map<String, Value> = keys.iter().map(|k| (k.clone(), Value::Null)).collect();
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    match api
        .patch(
            LEDGER_NAME,
            &PatchParams::default(),
            &Patch::Merge(json!({"data": data})),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(WriteError::of_write(e)),
    }
}

/// Merge-patches `data` into the ledger, creating it when it does not exist yet (and patching
/// after all when another console created it first).
async fn patch(
    client: &kube::Client,
    namespace: &str,
    data: Map<String, Value>,
) -> Result<(), WriteError> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let body = json!({"data": data});
    match api
        .patch(LEDGER_NAME, &PatchParams::default(), &Patch::Merge(&body))
        .await
    {
        Ok(_) => return Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => return Err(WriteError::of_write(e)),
    }
    let kept: Map<String, Value> = data.into_iter().filter(|(_, v)| !v.is_null()).collect();
    let created: ConfigMap = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": LEDGER_NAME,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "sluice"},
            "annotations": {"sluice.dev/purpose": "Approvals toward a gate's quorum, one key per person and environment. Written by Sluice."},
        },
        "data": kept,
    }))
    .map_err(|e| WriteError::Kube(format!("cannot encode the ledger: {e}")))?;
    match api.create(&PostParams::default(), &created).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => api
            .patch(LEDGER_NAME, &PatchParams::default(), &Patch::Merge(&body))
            .await
            .map(|_| ())
            .map_err(WriteError::of_write),
        Err(e) => Err(WriteError::of_write(e)),
    }
}
