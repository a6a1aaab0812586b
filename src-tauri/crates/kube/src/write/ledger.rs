//! Writing an approval to its person's ledger: the ConfigMap `sluice-approvals-<login>` in the
//! environment's namespace, one key per environment. Each person writes only their own ledger
//! (which RBAC can enforce by `resourceNames`), and each write is a JSON merge patch of its one
//! key, so approvals given at once never overwrite each other.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Map, Value, json};
use sluice_core::quorum::{LEDGER_LABEL, LEDGER_SELECTOR, LedgerApproval, ledger_key, ledger_name};

use super::WriteError;

/// Puts `approval` in its person's ledger in `namespace`, replacing their earlier approval for
/// the same environment; creates the ledger when it does not exist yet (and patches after all
/// when another console created it first). No access review first: RBAC may grant `patch` on
/// this ConfigMap by name only, which a review without the name would deny; the write's own
/// 403 is RBAC's answer, in its words.
pub async fn record(
    client: &kube::Client,
    namespace: &str,
    approval: &LedgerApproval,
) -> Result<(), WriteError> {
    let value = serde_json::to_string(approval)
        .map_err(|e| WriteError::Kube(format!("cannot encode the approval: {e}")))?;
    let name = ledger_name(&approval.login);
    let mut data = Map::new();
    data.insert(ledger_key(&approval.environment), Value::String(value));
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let body = json!({"data": data});
    match api
        .patch(&name, &PatchParams::default(), &Patch::Merge(&body))
        .await
    {
        Ok(_) => return Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => return Err(WriteError::of_write(e)),
    }
    let created: ConfigMap = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "sluice", LEDGER_LABEL: "approvals"},
            "annotations": {
                "sluice.dev/login": approval.login,
                "sluice.dev/purpose": "One person's approvals toward gates' quorums, one key per environment. Written by Sluice.",
            },
        },
        "data": data,
    }))
    .map_err(|e| WriteError::Kube(format!("cannot encode the ledger: {e}")))?;
    match api.create(&PostParams::default(), &created).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => api
            .patch(&name, &PatchParams::default(), &Patch::Merge(&body))
            .await
            .map(|_| ())
            .map_err(WriteError::of_write),
        Err(e) => Err(WriteError::of_write(e)),
    }
}

/// Every approval in the ledgers of `namespace` as the API server has them now (not as a watch
/// last saw them), with what could not be counted.
pub async fn read(
    client: &kube::Client,
    namespace: &str,
) -> Result<(Vec<LedgerApproval>, Vec<String>), WriteError> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let ledgers = api
        .list(&ListParams::default().labels(LEDGER_SELECTOR))
        .await
        .map_err(WriteError::of_write)?;
    let mut approvals = Vec::new();
    let mut problems = Vec::new();
    for map in ledgers.items {
        let name = map.metadata.name.clone().unwrap_or_default();
        let (a, p) = crate::source::ledger::entries(&name, map.data.unwrap_or_default());
        approvals.extend(a);
        problems.extend(p);
    }
    Ok((approvals, problems))
}
