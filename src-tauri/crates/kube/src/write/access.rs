//! The cluster's own answer to "may I?": SelfSubjectAccessReview, asked before every change so
//! that a refusal comes from RBAC in words, not as a failed write halfway through.

use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use kube::api::{Api, PostParams};
use serde_json::json;

use super::WriteError;

/// Whether the current user may `verb` `resource` (of `group`) in `namespace`.
pub async fn can(
    client: &kube::Client,
    namespace: &str,
    verb: &str,
    group: &str,
    resource: &str,
) -> Result<bool, kube::Error> {
    answer(client, namespace, verb, group, resource)
        .await
        .map(|(allowed, _)| allowed)
}

/// The authorizer's answer: whether it allows, and its reason or evaluation error, if it gave one.
async fn answer(
    client: &kube::Client,
    namespace: &str,
    verb: &str,
    group: &str,
    resource: &str,
) -> Result<(bool, String), kube::Error> {
    let review: SelfSubjectAccessReview = serde_json::from_value(json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": namespace, "verb": verb, "group": group, "resource": resource}},
    }))
    .unwrap_or_default();
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = api.create(&PostParams::default(), &review).await?;
    Ok(answer.status.map_or((false, String::new()), |s| {
        let why = [s.reason, s.evaluation_error]
            .into_iter()
            .flatten()
            .filter(|w| !w.trim().is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        (s.allowed, why)
    }))
}

/// What holding the environment's Lease needs.
pub const LEASE: [(&str, &str, &str); 2] = [
    ("create", "coordination.k8s.io", "leases"),
    ("update", "coordination.k8s.io", "leases"),
];

/// Everything a change to an environment's Deployments needs: patching them, and the Lease.
pub async fn authorize(client: &kube::Client, namespace: &str) -> Result<(), WriteError> {
    require(client, namespace, &[("patch", "apps", "deployments")]).await?;
    require(client, namespace, &LEASE).await
}

/// Asks for each `(verb, group, resource)` in turn; the first the cluster refuses is the error.
pub async fn require(
    client: &kube::Client,
    namespace: &str,
    needs: &[(&str, &str, &str)],
) -> Result<(), WriteError> {
    for &(verb, group, resource) in needs {
        let (allowed, why) = answer(client, namespace, verb, group, resource).await?;
        if !allowed {
            let why = if why.is_empty() {
                String::new()
            } else {
                format!(" ({})", sluice_core::text::visible(&why))
            };
            return Err(WriteError::Forbidden(format!(
                "you may not {verb} {resource} in namespace `{namespace}`{why}"
            )));
        }
    }
    Ok(())
}
