//! The release's Helm history from its release Secrets. Each Secret is decoded once, as it
//! arrives from the watch, and only what it gave is kept (never the gzipped release): the view
//! is rebuilt on every pod change, and gunzipping ten releases each time would be waste.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use sluice_core::inputs::DeployedRelease;
use sluice_core::snapshot::HelmRevision;
use sluice_core::values::FlatValues;

use crate::helm::decode_release;

/// What one release Secret gave: the revision shown, and what Helm deployed with it.
#[derive(Debug, Clone)]
struct Decoded {
    revision: HelmRevision,
    values: FlatValues,
    deployments: Option<Vec<String>>,
}

/// One release Secret as the store keeps it.
#[derive(Debug, Clone)]
pub(super) struct ReleaseRow {
    name: String,
    decoded: Result<Decoded, String>,
}

/// Decodes a release Secret as it arrives.
pub(super) fn release_row(secret: Secret) -> ReleaseRow {
    ReleaseRow {
        decoded: revision_of(&secret),
        name: secret.name_any(),
    }
}

// Keyed by name within the namespace's store, as the other rows are.
super::rows::keyed_by_name!(ReleaseRow, Secret, |r| &r.name);

/// The release's history as the cluster source hands it on.
#[derive(Default)]
pub(super) struct HelmRead {
    /// Newest first.
    pub revisions: Vec<HelmRevision>,
    /// The newest revision Helm marked deployed.
    pub deployed: Option<DeployedRelease>,
    /// The Deployments the release renders: its newest and its deployed revisions' manifests.
    /// `None` when no revision's manifest could be read.
    pub members: Option<Vec<String>>,
    /// One readable problem per Secret that could not be read.
    pub problems: Vec<String>,
}

pub(super) fn read(releases: &[Arc<ReleaseRow>]) -> HelmRead {
    let mut sorted: Vec<&ReleaseRow> = releases.iter().map(AsRef::as_ref).collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut decoded: Vec<&Decoded> = Vec::new();
    let mut problems = Vec::new();
    for row in sorted {
        match &row.decoded {
            Ok(d) => decoded.push(d),
            Err(problem) => problems.push(problem.clone()),
        }
    }
    decoded.sort_by_key(|d| std::cmp::Reverse(d.revision.revision));
    let deployed = decoded.iter().find(|d| d.revision.status == "deployed");
    let mut members: Option<Vec<String>> = None;
    for d in decoded.first().into_iter().chain(deployed) {
        if let Some(names) = &d.deployments {
            let all = members.get_or_insert_with(Vec::new);
            all.extend(names.iter().cloned());
            all.sort();
            all.dedup();
        }
    }
    HelmRead {
        deployed: deployed.map(|d| DeployedRelease {
            revision: d.revision.revision,
            chart: d.revision.chart.clone(),
            values: d.values.clone(),
        }),
        members,
        revisions: decoded.into_iter().map(|d| d.revision.clone()).collect(),
        problems,
    }
}

fn revision_of(secret: &Secret) -> Result<Decoded, String> {
    let name = secret.name_any();
    let payload = secret
        .data
        .as_ref()
        .and_then(|data| data.get("release"))
        .ok_or_else(|| format!("Helm release secret {name} has no `release` data"))?;
    let release = decode_release(&payload.0).map_err(|error| {
        format!(
            "Helm release secret {name} cannot be read: {}",
            crate::errors::describe(&error)
        )
    })?;
    Ok(Decoded {
        values: FlatValues::from_tree(&release.values),
        deployments: release.deployments,
        revision: HelmRevision {
            revision: release.revision,
            status: release.status,
            chart: format!("{}-{}", release.chart_name, release.chart_version),
            app_version: release.app_version,
            description: release.description,
            deployed_at: release.last_deployed,
            images: release.images,
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write;

    use base64::Engine;
    use k8s_openapi::ByteString;

    use super::*;

    fn secret(name: &str, version: &str, release: Option<Vec<u8>>) -> Arc<ReleaseRow> {
        let mut s = Secret::default();
        s.metadata.name = Some(name.to_owned());
        s.metadata.uid = Some(format!("uid-{name}"));
        s.metadata.resource_version = Some(version.to_owned());
        s.data = release.map(|r| [("release".to_owned(), ByteString(r))].into());
        Arc::new(release_row(s))
    }

    fn payload(revision: u32) -> Vec<u8> {
        let doc = serde_json::json!({
            "name": "tbyte-staging", "version": revision,
            "info": {"status": "deployed", "description": "Upgrade complete", "last_deployed": "2026-11-25T09:30:00Z"},
            "chart": {"metadata": {"name": "tbyte-microservices", "version": "0.1.0", "appVersion": "abc1234"}},
            "config": {"replicaCount": 2, "image": {"tag": "abc1234"}},
            "manifest": format!("kind: Deployment\nmetadata:\n  name: tbyte-staging-v{revision}\n"),
        });
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(doc.to_string().as_bytes()).unwrap();
        base64::engine::general_purpose::STANDARD
            .encode(gz.finish().unwrap())
            .into_bytes()
    }

    #[test]
    fn newest_first_and_corrupt_secrets_are_problems() {
        let read = read(&[
            secret("sh.helm.release.v1.tbyte-staging.v1", "1", Some(payload(1))),
            secret("sh.helm.release.v1.tbyte-staging.v2", "2", Some(payload(2))),
            secret(
                "sh.helm.release.v1.tbyte-staging.v3",
                "3",
                Some(b"!!".to_vec()),
            ),
            secret("sh.helm.release.v1.tbyte-staging.v4", "4", None),
        ]);
        let (revisions, problems) = (&read.revisions, &read.problems);
        let numbers: Vec<u32> = revisions.iter().map(|r| r.revision).collect();
        assert_eq!(numbers, [2, 1]);
        assert_eq!(revisions[0].chart, "tbyte-microservices-0.1.0");
        assert_eq!(revisions[0].app_version.as_deref(), Some("abc1234"));
        assert_eq!(
            revisions[0].deployed_at.as_deref(),
            Some("2026-11-25T09:30:00Z")
        );
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0].contains("tbyte-staging.v3") && problems[0].contains("not base64"),
            "{problems:?}"
        );
        assert!(problems[1].contains("no `release` data"), "{problems:?}");
        let deployed = read.deployed.as_ref().unwrap();
        assert_eq!(deployed.revision, 2);
        assert_eq!(deployed.values.get("image.tag"), Some("abc1234"));
        assert_eq!(
            read.members,
            Some(vec!["tbyte-staging-v2".to_owned()]),
            "the newest revision is also the deployed one"
        );
    }
}
