//! The release's Helm history from its release Secrets, decoded once per Secret version: the
//! view is rebuilt on every pod change, and gunzipping ten releases each time would be waste.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use sluice_core::snapshot::HelmRevision;

use crate::helm::decode_release;

#[derive(Default)]
pub(super) struct HelmHistory {
    /// By Secret uid (or name): the resourceVersion decoded, and what it gave.
    decoded: HashMap<String, (Option<String>, Result<HelmRevision, String>)>,
}

impl HelmHistory {
    /// Revisions newest first, and one readable problem per Secret that could not be read.
    pub fn read(&mut self, secrets: &[Arc<Secret>]) -> (Vec<HelmRevision>, Vec<String>) {
        let mut seen = Vec::with_capacity(secrets.len());
        let mut revisions = Vec::new();
        let mut problems = Vec::new();
        let mut sorted: Vec<&Secret> = secrets.iter().map(AsRef::as_ref).collect();
        sorted.sort_by_key(|s| s.name_any());
        for secret in sorted {
            let key = secret.uid().unwrap_or_else(|| secret.name_any());
            let version = secret.resource_version();
            let fresh = self
                .decoded
                .get(&key)
                .is_some_and(|(decoded_version, _)| *decoded_version == version);
            if !fresh {
                self.decoded
                    .insert(key.clone(), (version, revision_of(secret)));
            }
            match self.decoded.get(&key).map(|(_, result)| result) {
                Some(Ok(revision)) => revisions.push(revision.clone()),
                Some(Err(problem)) => problems.push(problem.clone()),
                None => {}
            }
            seen.push(key);
        }
        // Forget Secrets Helm pruned (history-max) so the cache stays the size of the history.
        self.decoded.retain(|key, _| seen.contains(key));
        revisions.sort_by_key(|r| std::cmp::Reverse(r.revision));
        (revisions, problems)
    }
}

fn revision_of(secret: &Secret) -> Result<HelmRevision, String> {
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
    Ok(HelmRevision {
        revision: release.revision,
        status: release.status,
        chart: format!("{}-{}", release.chart_name, release.chart_version),
        app_version: release.app_version,
        description: release.description,
        deployed_at: release.last_deployed,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write;

    use base64::Engine;
    use k8s_openapi::ByteString;

    use super::*;

    fn secret(name: &str, version: &str, release: Option<Vec<u8>>) -> Arc<Secret> {
        let mut s = Secret::default();
        s.metadata.name = Some(name.to_owned());
        s.metadata.uid = Some(format!("uid-{name}"));
        s.metadata.resource_version = Some(version.to_owned());
        s.data = release.map(|r| [("release".to_owned(), ByteString(r))].into());
        Arc::new(s)
    }

    fn payload(revision: u32) -> Vec<u8> {
        let doc = serde_json::json!({
            "name": "tbyte-staging", "version": revision,
            "info": {"status": "deployed", "description": "Upgrade complete", "last_deployed": "2026-11-25T09:30:00Z"},
            "chart": {"metadata": {"name": "tbyte-microservices", "version": "0.1.0", "appVersion": "abc1234"}},
        });
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(doc.to_string().as_bytes()).unwrap();
        base64::engine::general_purpose::STANDARD
            .encode(gz.finish().unwrap())
            .into_bytes()
    }

    #[test]
    fn newest_first_and_corrupt_secrets_are_problems() {
        let mut history = HelmHistory::default();
        let (revisions, problems) = history.read(&[
            secret("sh.helm.release.v1.tbyte-staging.v1", "1", Some(payload(1))),
            secret("sh.helm.release.v1.tbyte-staging.v2", "2", Some(payload(2))),
            secret(
                "sh.helm.release.v1.tbyte-staging.v3",
                "3",
                Some(b"!!".to_vec()),
            ),
            secret("sh.helm.release.v1.tbyte-staging.v4", "4", None),
        ]);
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
    }

    #[test]
    fn a_changed_secret_is_decoded_again_and_pruned_ones_forgotten() {
        let mut history = HelmHistory::default();
        let name = "sh.helm.release.v1.tbyte-staging.v1";
        history.read(&[secret(name, "1", Some(b"!!".to_vec()))]);
        let (revisions, problems) = history.read(&[secret(name, "2", Some(payload(1)))]);
        assert_eq!((revisions.len(), problems.len()), (1, 0));
        history.read(&[]);
        assert!(history.decoded.is_empty());
    }
}
