//! Decoding Helm 3 release Secrets (`sh.helm.release.v1.<name>.v<rev>`, type `helm.sh/release.v1`).
//!
//! Helm stores `base64(gzip(json))` in `data.release`; the Kubernetes API base64-encodes `data`
//! once more, and the client strips that outer layer, so the bytes given here are still base64
//! text. Releases written by old Helm versions are not gzipped. Secrets come from clusters we do
//! not control, so every step is bounded and fallible.

use std::io::Read;

use base64::Engine;
use serde::Deserialize;

/// A decoded release stops here: Helm's own releases are far smaller, a larger one is hostile.
pub const MAX_DECODED_BYTES: u64 = 32 * 1024 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

#[derive(Debug, thiserror::Error)]
pub enum HelmDecodeError {
    #[error("release payload is not base64")]
    Base64(#[source] base64::DecodeError),
    #[error("release payload is not valid gzip")]
    Gzip(#[source] std::io::Error),
    #[error("release payload exceeds {MAX_DECODED_BYTES} bytes when decompressed")]
    TooLarge,
    #[error("release payload is not a Helm release document")]
    Json(#[source] serde_json::Error),
}

/// The parts of a Helm release Sluice shows: one revision of one release.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmRelease {
    pub name: String,
    pub namespace: String,
    pub revision: u32,
    /// `deployed`, `superseded`, `failed`, `pending-upgrade`, …
    pub status: String,
    pub description: String,
    pub chart_name: String,
    pub chart_version: String,
    pub app_version: Option<String>,
    /// RFC 3339, as Helm wrote it.
    pub first_deployed: Option<String>,
    pub last_deployed: Option<String>,
    /// The user-supplied values of this revision (`helm get values`).
    pub values: serde_json::Value,
    /// The Deployments this revision rendered (its manifest), by name: the release's own
    /// workloads. `None` when the manifest is missing or unreadable.
    pub deployments: Option<Vec<String>>,
}

/// Decodes the `release` entry of a Helm release Secret's `data`.
pub fn decode_release(payload: &[u8]) -> Result<HelmRelease, HelmDecodeError> {
    let compact: Vec<u8> = payload
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(HelmDecodeError::Base64)?;
    let json = if raw.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(MAX_DECODED_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(HelmDecodeError::Gzip)?;
        if out.len() as u64 > MAX_DECODED_BYTES {
            return Err(HelmDecodeError::TooLarge);
        }
        out
    } else {
        raw
    };
    let doc: ReleaseDocument = serde_json::from_slice(&json).map_err(HelmDecodeError::Json)?;
    Ok(doc.into())
}

#[derive(Deserialize)]
struct ReleaseDocument {
    name: String,
    #[serde(default)]
    namespace: String,
    version: u32,
    #[serde(default)]
    info: Info,
    #[serde(default)]
    chart: Chart,
    #[serde(default)]
    config: serde_json::Value,
    #[serde(default)]
    manifest: String,
}

/// One rendered object of a manifest: all a release's membership needs.
#[derive(Deserialize)]
struct ManifestObject {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: ManifestMetadata,
}

#[derive(Default, Deserialize)]
struct ManifestMetadata {
    #[serde(default)]
    name: String,
}

/// The Deployments a rendered manifest (YAML documents) creates, sorted.
fn manifest_deployments(manifest: &str) -> Option<Vec<String>> {
    if manifest.trim().is_empty() {
        return None;
    }
    let docs: Vec<Option<ManifestObject>> = serde_saphyr::from_multiple(manifest).ok()?;
    let mut names: Vec<String> = docs
        .into_iter()
        .flatten()
        .filter(|o| o.kind == "Deployment" && !o.metadata.name.is_empty())
        .map(|o| o.metadata.name)
        .collect();
    names.sort();
    names.dedup();
    Some(names)
}

#[derive(Default, Deserialize)]
struct Info {
    #[serde(default)]
    status: String,
    #[serde(default)]
    description: String,
    first_deployed: Option<String>,
    last_deployed: Option<String>,
}

#[derive(Default, Deserialize)]
struct Chart {
    #[serde(default)]
    metadata: ChartMetadata,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChartMetadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    app_version: Option<String>,
}

impl From<ReleaseDocument> for HelmRelease {
    fn from(doc: ReleaseDocument) -> Self {
        Self {
            name: doc.name,
            namespace: doc.namespace,
            revision: doc.version,
            status: doc.info.status,
            description: doc.info.description,
            chart_name: doc.chart.metadata.name,
            chart_version: doc.chart.metadata.version,
            app_version: doc.chart.metadata.app_version.filter(|v| !v.is_empty()),
            first_deployed: doc.info.first_deployed,
            last_deployed: doc.info.last_deployed,
            values: if doc.config.is_null() {
                serde_json::Value::Object(Default::default())
            } else {
                doc.config
            },
            deployments: manifest_deployments(&doc.manifest),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A release document with the shape Helm 3 writes (trimmed of the manifest and templates).
    fn release_json(revision: u32, status: &str) -> String {
        serde_json::json!({
            "name": "tbyte-staging",
            "namespace": "staging",
            "version": revision,
            "info": {
                "first_deployed": "2026-11-20T10:00:00.123456789Z",
                "last_deployed": "2026-11-25T09:30:00.5Z",
                "deleted": "",
                "description": "Upgrade complete",
                "status": status,
                "notes": "Visit https://staging.tbyte.local"
            },
            "chart": {
                "metadata": {"name": "tbyte-microservices", "version": "0.3.1", "appVersion": "1.4.2", "apiVersion": "v2"},
                "templates": [], "values": {"replicaCount": 1}
            },
            "config": {"replicaCount": 2, "ingress": {"host": "staging.tbyte.local"}},
            "manifest": "---\n# Source: tbyte/templates/api.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tbyte-staging-api\n  labels: {app: api}\nspec:\n  replicas: 2\n---\n# Source: tbyte/templates/svc.yaml\nkind: Service\nmetadata:\n  name: tbyte-staging-api\n---\n# Source: tbyte/templates/empty.yaml\n"
        })
        .to_string()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn b64(bytes: &[u8]) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into_bytes()
    }

    #[test]
    fn decodes_a_gzipped_release() {
        let r = decode_release(&b64(&gzip(release_json(7, "deployed").as_bytes()))).unwrap();
        assert_eq!(r.name, "tbyte-staging");
        assert_eq!(r.namespace, "staging");
        assert_eq!(r.revision, 7);
        assert_eq!(r.status, "deployed");
        assert_eq!(r.chart_name, "tbyte-microservices");
        assert_eq!(r.chart_version, "0.3.1");
        assert_eq!(r.app_version.as_deref(), Some("1.4.2"));
        assert_eq!(r.last_deployed.as_deref(), Some("2026-11-25T09:30:00.5Z"));
        assert_eq!(r.values["replicaCount"], 2);
        assert_eq!(r.deployments, Some(vec!["tbyte-staging-api".to_owned()]));
    }

    #[test]
    fn an_unreadable_manifest_names_no_members() {
        assert_eq!(manifest_deployments(""), None);
        assert_eq!(manifest_deployments("kind: [unclosed"), None);
    }

    #[test]
    fn decodes_an_uncompressed_legacy_release() {
        let r = decode_release(&b64(release_json(2, "superseded").as_bytes())).unwrap();
        assert_eq!((r.revision, r.status.as_str()), (2, "superseded"));
    }

    #[test]
    fn tolerates_line_wrapped_base64() {
        let mut wrapped = Vec::new();
        for chunk in b64(&gzip(release_json(1, "deployed").as_bytes())).chunks(76) {
            wrapped.extend_from_slice(chunk);
            wrapped.push(b'\n');
        }
        assert_eq!(decode_release(&wrapped).unwrap().revision, 1);
    }

    #[test]
    fn corrupt_payloads_are_errors() {
        assert!(matches!(
            decode_release(b"not base64 !!!"),
            Err(HelmDecodeError::Base64(_))
        ));
        let mut truncated = gzip(release_json(1, "deployed").as_bytes());
        truncated.truncate(truncated.len() / 2);
        assert!(matches!(
            decode_release(&b64(&truncated)),
            Err(HelmDecodeError::Gzip(_))
        ));
        assert!(matches!(
            decode_release(&b64(b"{\"name\": 3}")),
            Err(HelmDecodeError::Json(_))
        ));
        assert!(matches!(
            decode_release(&b64(&gzip(b"[]"))),
            Err(HelmDecodeError::Json(_))
        ));
        assert!(matches!(decode_release(b""), Err(HelmDecodeError::Json(_))));
    }

    #[test]
    fn a_decompression_bomb_is_cut_off() {
        let zeros = vec![b' '; (MAX_DECODED_BYTES + 10) as usize];
        let err = decode_release(&b64(&gzip(&zeros))).unwrap_err();
        assert!(matches!(err, HelmDecodeError::TooLarge), "{err}");
    }
}
