//! The `kubernetes` promotion method: Sluice itself sets the target environment's workloads to
//! the images the source environment runs, by server-side apply as field manager `sluice`,
//! under the environment's Lease, after Kubernetes itself said the person may.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;
use sluice_core::snapshot::Workload;

use super::lease;

pub const FIELD_MANAGER: &str = "sluice";

#[derive(Debug, thiserror::Error)]
pub enum KubePromotionError {
    /// The authority (Kubernetes RBAC) said no.
    #[error("Kubernetes refused: {0}")]
    Forbidden(String),
    #[error(transparent)]
    Lease(#[from] lease::LeaseError),
    #[error("nothing to promote: {0}")]
    Nothing(String),
    #[error("the rollout did not finish: {0}")]
    RolloutFailed(String),
    /// Words only (see [`sluice_kube::errors`]): kube's error can quote an exec plugin's output.
    #[error("Kubernetes answered with an error: {0}")]
    Kube(String),
}

impl From<kube::Error> for KubePromotionError {
    fn from(error: kube::Error) -> Self {
        Self::Kube(sluice_kube::errors::describe(&error))
    }
}

/// Asks Kubernetes whether the current user may `verb` `resource` in `namespace`.
pub async fn can(
    client: &kube::Client,
    namespace: &str,
    verb: &str,
    group: &str,
    resource: &str,
) -> Result<bool, kube::Error> {
    let review: SelfSubjectAccessReview = serde_json::from_value(json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": namespace, "verb": verb, "group": group, "resource": resource}},
    }))
    .unwrap_or_default();
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = api.create(&PostParams::default(), &review).await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// The real authority's word on a kubernetes-method promotion into `namespace`.
pub async fn authorize(client: &kube::Client, namespace: &str) -> Result<(), KubePromotionError> {
    for (verb, group, resource) in [
        ("patch", "apps", "deployments"),
        ("create", "coordination.k8s.io", "leases"),
        ("update", "coordination.k8s.io", "leases"),
    ] {
        if !can(client, namespace, verb, group, resource).await? {
            return Err(KubePromotionError::Forbidden(format!(
                "you may not {verb} {resource} in namespace `{namespace}`"
            )));
        }
    }
    Ok(())
}

/// What a promotion sets: container name → image (by digest when the source pods report one).
pub fn images_from(
    source: &[Workload],
    source_images: &[sluice_core::snapshot::ImageRef],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for w in source {
        for image in &w.images {
            let container = source_images
                .iter()
                .find(|i| i.workload == w.name && &i.image == image)
                .map(|i| {
                    (
                        i.container.clone(),
                        i.digest.as_ref().map_or_else(
                            || image.clone(),
                            |d| format!("{}@{d}", image.split(':').next().unwrap_or(image)),
                        ),
                    )
                });
            if let Some((name, img)) = container
                && !out.iter().any(|(n, _)| n == &name)
            {
                out.push((name, img));
            }
        }
    }
    out
}

/// Who, what and why, recorded on the workloads.
pub struct Record<'a> {
    pub actor: &'a str,
    pub from_environment: &'a str,
    pub version: &'a str,
    pub reason: &'a str,
}

/// Sets every Deployment of `release` in `namespace` whose containers appear in `images`, holding
/// the Lease, then follows the rollout to its end.
pub async fn promote(
    client: &kube::Client,
    namespace: &str,
    release: &str,
    images: &[(String, String)],
    record: &Record<'_>,
    holder: &str,
    timeout: Duration,
) -> Result<(), KubePromotionError> {
    authorize(client, namespace).await?;
    let held = lease::acquire(Api::<Lease>::namespaced(client.clone(), namespace), holder).await?;
    let result = apply_and_follow(client, namespace, release, images, record, timeout).await;
    held.release().await;
    result
}

async fn deployments_of(
    api: &Api<Deployment>,
    release: &str,
) -> Result<Vec<Deployment>, kube::Error> {
    let labelled = api
        .list(&ListParams::default().labels(&format!("app.kubernetes.io/instance={release}")))
        .await?;
    Ok(labelled.items)
}

async fn apply_and_follow(
    client: &kube::Client,
    namespace: &str,
    release: &str,
    images: &[(String, String)],
    record: &Record<'_>,
    timeout: Duration,
) -> Result<(), KubePromotionError> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let mut changed = Vec::new();
    for d in deployments_of(&api, release).await? {
        let name = d.metadata.name.clone().unwrap_or_default();
        let containers: Vec<serde_json::Value> = d
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .map(|p| {
                p.containers
                    .iter()
                    .filter_map(|c| {
                        images
                            .iter()
                            .find(|(n, _)| n == &c.name)
                            .map(|(n, i)| json!({"name": n, "image": i}))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if containers.is_empty() {
            continue;
        }
        let cause = format!(
            "{} promoted {} from {}: {}",
            record.actor, record.version, record.from_environment, record.reason
        );
        let patch = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "annotations": {
                "sluice.dev/promoted-by": record.actor,
                "sluice.dev/promoted-from": record.from_environment,
                "sluice.dev/version": record.version,
                "kubernetes.io/change-cause": cause,
            }},
            "spec": {"template": {"spec": {"containers": containers}}},
        });
        // Force: Helm (or kubectl) owns these fields; a promotion takes them over on purpose.
        api.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?;
        changed.push(name);
    }
    if changed.is_empty() {
        return Err(KubePromotionError::Nothing(format!(
            "no Deployment of release `{release}` in `{namespace}` runs those containers"
        )));
    }
    follow(&api, &changed, timeout).await
}

/// Waits for every named Deployment to finish rolling out, or to fail.
pub async fn follow(
    api: &Api<Deployment>,
    names: &[String],
    timeout: Duration,
) -> Result<(), KubePromotionError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let watcher = kube::runtime::watcher(api.clone(), kube::runtime::watcher::Config::default());
    let mut stream = Box::pin(kube::runtime::WatchStreamExt::applied_objects(watcher));
    let mut done: Vec<String> = Vec::new();
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next()).await;
        let d = match next {
            Err(_) => {
                return Err(KubePromotionError::RolloutFailed(format!(
                    "still rolling out after {}s",
                    timeout.as_secs()
                )));
            }
            Ok(None) => return Err(KubePromotionError::RolloutFailed("the watch ended".into())),
            Ok(Some(Err(_))) => continue,
            Ok(Some(Ok(d))) => d,
        };
        let name = d.metadata.name.clone().unwrap_or_default();
        if !names.contains(&name) {
            continue;
        }
        let status = d.status.clone().unwrap_or_default();
        let stalled = status.conditions.iter().flatten().any(|c| {
            c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
        });
        if stalled {
            return Err(KubePromotionError::RolloutFailed(format!(
                "{name} exceeded its progress deadline"
            )));
        }
        let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let complete = status.observed_generation >= d.metadata.generation
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

/// Rolls every Deployment of `release` back to its previous revision, as `kubectl rollout undo`
/// does: the previous ReplicaSet's pod template becomes the Deployment's again.
pub async fn rollback(
    client: &kube::Client,
    namespace: &str,
    release: &str,
    holder: &str,
    timeout: Duration,
) -> Result<Vec<String>, KubePromotionError> {
    authorize(client, namespace).await?;
    let held = lease::acquire(Api::<Lease>::namespaced(client.clone(), namespace), holder).await?;
    let result = async {
        let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
        let sets: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
        let all_sets = sets.list(&ListParams::default()).await?.items;
        let mut changed = Vec::new();
        for d in deployments_of(&api, release).await? {
            let uid = d.metadata.uid.clone().unwrap_or_default();
            let revision = |rs: &ReplicaSet| -> i64 {
                rs.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get("deployment.kubernetes.io/revision"))
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(0)
            };
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
            api.patch(
                &name,
                &PatchParams::default(),
                &Patch::<()>::Json(
                    serde_json::from_value(patch)
                        .map_err(|e| KubePromotionError::Nothing(e.to_string()))?,
                ),
            )
            .await?;
            changed.push(name);
        }
        if changed.is_empty() {
            return Err(KubePromotionError::Nothing(format!(
                "release `{release}` has no previous revision to roll back to"
            )));
        }
        follow(&api, &changed, timeout).await?;
        Ok(changed)
    }
    .await;
    held.release().await;
    result
}
