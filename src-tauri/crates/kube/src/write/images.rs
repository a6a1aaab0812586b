//! The `kubernetes` promotion method's write: each container the person reviewed is set to its
//! reviewed image by server-side apply (field manager `sluice`), under the environment's Lease,
//! after the cluster said the person may — and only while each container still runs what the
//! review showed it running.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use sluice_core::snapshot::ImageChange;

use super::{FIELD_MANAGER, WriteError, access, follow, lease};

/// Who, what and why, recorded on the workloads.
pub struct Record<'a> {
    pub actor: &'a str,
    pub from_environment: &'a str,
    pub version: &'a str,
    pub reason: &'a str,
}

/// The image a Deployment's container runs now.
fn container_image(d: &Deployment, container: &str) -> Option<String> {
    d.spec
        .as_ref()?
        .template
        .spec
        .as_ref()?
        .containers
        .iter()
        .find(|c| c.name == container)?
        .image
        .clone()
}

/// Sets exactly `changes` in `namespace`, holding the Lease, then follows the rollout to its end.
pub async fn set_images(
    client: &kube::Client,
    namespace: &str,
    changes: &[ImageChange],
    record: &Record<'_>,
    holder: &str,
    timeout: Duration,
) -> Result<Vec<String>, WriteError> {
    if changes.is_empty() {
        return Err(WriteError::Nothing(format!(
            "no container in `{namespace}` would run another image"
        )));
    }
    access::authorize(client, namespace).await?;
    let held = lease::acquire(Api::<Lease>::namespaced(client.clone(), namespace), holder).await?;
    let result = apply_and_follow(client, namespace, changes, record, timeout).await;
    held.release().await;
    result
}

async fn apply_and_follow(
    client: &kube::Client,
    namespace: &str,
    changes: &[ImageChange],
    record: &Record<'_>,
    timeout: Duration,
) -> Result<Vec<String>, WriteError> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let mut by_workload: BTreeMap<&str, Vec<&ImageChange>> = BTreeMap::new();
    for c in changes {
        by_workload.entry(&c.workload).or_default().push(c);
    }
    // Checked for every workload before any is changed: all or nothing.
    for (name, containers) in &by_workload {
        let d = api.get_opt(name).await?.ok_or_else(|| {
            WriteError::Changed(format!(
                "Deployment {name} no longer exists in `{namespace}`"
            ))
        })?;
        for c in containers {
            let now = container_image(&d, &c.container);
            if now != c.from {
                return Err(WriteError::Changed(format!(
                    "container `{}` of {name} runs {}, not {} as reviewed",
                    c.container,
                    now.as_deref().unwrap_or("nothing"),
                    c.from.as_deref().unwrap_or("nothing")
                )));
            }
        }
    }
    let cause = format!(
        "{} promoted {} from {}: {}",
        record.actor, record.version, record.from_environment, record.reason
    );
    let mut changed = Vec::new();
    for (name, containers) in by_workload {
        let patch = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "annotations": {
                "sluice.dev/promoted-by": record.actor,
                "sluice.dev/promoted-from": record.from_environment,
                "sluice.dev/version": record.version,
                "kubernetes.io/change-cause": cause,
            }},
            "spec": {"template": {"spec": {"containers": containers
                .iter()
                .map(|c| json!({"name": c.container, "image": c.to}))
                .collect::<Vec<_>>()}}},
        });
        // Force: Helm (or kubectl) owns these fields; a promotion takes them over on purpose.
        api.patch(
            name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?;
        changed.push(name.to_owned());
    }
    follow(&api, &changed, timeout).await?;
    Ok(changed)
}
