//! The `helm` method's write: `helm upgrade --install` run as the person, under the
//! environment's Lease, after the cluster said they may change what the upgrade changes and
//! the release records Helm keeps in Secrets.

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use sluice_core::manifests::{ManifestChange, ManifestChangeKind};

use super::{WriteError, access, lease};
use crate::helm_cli::{Chart, Helm, HelmError, Upgrade};

/// The API group and resource of the kinds a chart commonly renders; others are left for the
/// cluster to refuse while helm runs.
fn resource_of(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "Deployment" => ("apps", "deployments"),
        "StatefulSet" => ("apps", "statefulsets"),
        "DaemonSet" => ("apps", "daemonsets"),
        "Service" => ("", "services"),
        "ServiceAccount" => ("", "serviceaccounts"),
        "ConfigMap" => ("", "configmaps"),
        "Secret" => ("", "secrets"),
        "PersistentVolumeClaim" => ("", "persistentvolumeclaims"),
        "Ingress" => ("networking.k8s.io", "ingresses"),
        "HorizontalPodAutoscaler" => ("autoscaling", "horizontalpodautoscalers"),
        "PodDisruptionBudget" => ("policy", "poddisruptionbudgets"),
        "Job" => ("batch", "jobs"),
        "CronJob" => ("batch", "cronjobs"),
        _ => return None,
    })
}

/// What the upgrade needs the cluster to allow: Helm's release records, and each change.
fn needs(changes: &[ManifestChange]) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut needs = vec![
        ("list", "", "secrets"),
        ("create", "", "secrets"),
        ("update", "", "secrets"),
    ];
    for c in changes {
        let verb = match c.change {
            ManifestChangeKind::Added => "create",
            ManifestChangeKind::Changed => "patch",
            ManifestChangeKind::Removed => "delete",
        };
        if let Some((group, resource)) = resource_of(&c.kind)
            && !needs.contains(&(verb, group, resource))
        {
            needs.push((verb, group, resource));
        }
    }
    needs.extend(access::LEASE);
    needs
}

/// How helm's run ended, and the release's deployed revision afterwards.
#[derive(Debug)]
pub struct HelmRun {
    pub result: Result<(), HelmError>,
    pub revision: Option<u32>,
}

/// Runs the upgrade, holding the Lease, passing each line helm prints to `on_line`. Refusals
/// (RBAC, another console's Lease) are errors before helm runs; helm's own failure is in the
/// run.
#[allow(clippy::too_many_arguments)]
pub async fn upgrade(
    client: &kube::Client,
    helm: &Helm,
    chart: &Chart<'_>,
    upgrade: &Upgrade<'_>,
    changes: &[ManifestChange],
    holder: &str,
    on_line: &mut (dyn FnMut(&str) + Send),
) -> Result<HelmRun, WriteError> {
    access::require(client, chart.namespace, &needs(changes)).await?;
    let held = lease::acquire(
        Api::<Lease>::namespaced(client.clone(), chart.namespace),
        holder,
    )
    .await?;
    let result = helm.upgrade(chart, upgrade, on_line).await;
    held.release().await;
    let revision = deployed_revision(client, chart.namespace, chart.release).await;
    Ok(HelmRun { result, revision })
}

/// `helm rollback` of `release` to `revision` (its previous one when `None`), holding the Lease.
#[allow(clippy::too_many_arguments)]
pub async fn rollback(
    client: &kube::Client,
    helm: &Helm,
    release: &str,
    revision: Option<u32>,
    namespace: &str,
    upgrade: &Upgrade<'_>,
    holder: &str,
    on_line: &mut (dyn FnMut(&str) + Send),
) -> Result<Result<(), HelmError>, WriteError> {
    access::require(
        client,
        namespace,
        &[
            ("list", "", "secrets"),
            ("create", "", "secrets"),
            ("update", "", "secrets"),
            ("patch", "apps", "deployments"),
        ],
    )
    .await?;
    access::require(client, namespace, &access::LEASE).await?;
    let held = lease::acquire(Api::<Lease>::namespaced(client.clone(), namespace), holder).await?;
    let result = helm
        .rollback(release, revision, namespace, upgrade, on_line)
        .await;
    held.release().await;
    Ok(result)
}

/// The revision of `release` that Helm marks deployed, from its Secrets' labels.
pub async fn deployed_revision(
    client: &kube::Client,
    namespace: &str,
    release: &str,
) -> Option<u32> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let selector = format!("owner=helm,name={release},status=deployed");
    match api
        .list_metadata(&ListParams::default().labels(&selector))
        .await
    {
        Ok(list) => list
            .items
            .iter()
            .filter_map(|s| s.metadata.labels.as_ref()?.get("version")?.parse().ok())
            .max(),
        Err(e) => {
            tracing::warn!(release, error = %crate::errors::describe(&e), "the release's revision is not known");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: &str, change: ManifestChangeKind) -> ManifestChange {
        ManifestChange {
            kind: kind.into(),
            name: "x".into(),
            change,
            diff: String::new(),
        }
    }

    #[test]
    fn an_upgrade_asks_for_what_it_changes_and_for_helms_records() {
        let needs = needs(&[
            change("Deployment", ManifestChangeKind::Changed),
            change("Deployment", ManifestChangeKind::Changed),
            change("Ingress", ManifestChangeKind::Added),
            change("ConfigMap", ManifestChangeKind::Removed),
            change("Widget", ManifestChangeKind::Added),
        ]);
        assert_eq!(
            needs,
            vec![
                ("list", "", "secrets"),
                ("create", "", "secrets"),
                ("update", "", "secrets"),
                ("patch", "apps", "deployments"),
                ("create", "networking.k8s.io", "ingresses"),
                ("delete", "", "configmaps"),
                ("create", "coordination.k8s.io", "leases"),
                ("update", "coordination.k8s.io", "leases"),
            ]
        );
    }
}
