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
    #[error("release payload is not a Helm release document: {0}")]
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
    /// The container images those Deployments run, sorted: what this revision shipped.
    pub images: Vec<String>,
}

/// Decodes the `release` entry of a Helm release Secret's `data`.
pub fn decode_release(payload: &[u8]) -> Result<HelmRelease, HelmDecodeError> {
    let doc: ReleaseDocument =
        serde_json::from_slice(&release_json(payload)?).map_err(HelmDecodeError::Json)?;
    Ok(doc.into())
}

/// The JSON of a release payload: base64, then gzip (old releases are not gzipped), bounded.
fn release_json(payload: &[u8]) -> Result<Vec<u8>, HelmDecodeError> {
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
    Ok(json)
}

/// A release as Helm stored it, whole: what it rendered, and the chart it was rendered from
/// (Helm keeps the chart's templates, values and files in the record).
#[derive(Debug, Clone)]
pub struct ReleaseRecord {
    pub release: HelmRelease,
    /// The rendered objects, as `helm get manifest` prints them.
    pub manifest: String,
    pub chart: StoredChart,
}

/// A chart as a release record keeps it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StoredChart {
    #[serde(default)]
    pub metadata: serde_json::Value,
    #[serde(default)]
    pub values: serde_json::Value,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub templates: Vec<ChartFile>,
    /// Helm writes `null` when the chart has none.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub files: Vec<ChartFile>,
    /// `values.schema.json`, when the chart has one.
    #[serde(default, deserialize_with = "optional_bytes")]
    pub schema: Option<Vec<u8>>,
}

/// One file of a stored chart; Helm writes its bytes as base64.
#[derive(Debug, Clone, Deserialize)]
pub struct ChartFile {
    pub name: String,
    #[serde(deserialize_with = "bytes")]
    pub data: Vec<u8>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ChartFile>, D::Error> {
    Ok(Option::<Vec<ChartFile>>::deserialize(d)?.unwrap_or_default())
}

fn bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(d)?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(serde::de::Error::custom)
}

fn optional_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Some)
            .map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error(
        "the chart has dependencies ({0}): a release record does not keep subcharts, so it cannot be rebuilt from one"
    )]
    Dependencies(String),
    #[error("the chart names a file `{0}` outside its own folder")]
    BadName(String),
    #[error("cannot write the chart to {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl StoredChart {
    /// `name-version`, as `helm list` shows a chart.
    pub fn label(&self) -> String {
        let field = |k: &str| self.metadata[k].as_str().unwrap_or_default().to_owned();
        format!("{}-{}", field("name"), field("version"))
    }

    /// Writes the chart as a chart folder helm can install from: `Chart.yaml`, `values.yaml`,
    /// its templates and files. JSON is YAML, so the stored metadata and values are written as
    /// they are. Names come from the cluster: anything leaving `dir` is refused.
    pub fn write_into(&self, dir: &std::path::Path) -> Result<(), ChartError> {
        if let Some(deps) = self.metadata["dependencies"]
            .as_array()
            .filter(|d| !d.is_empty())
        {
            let names: Vec<&str> = deps.iter().filter_map(|d| d["name"].as_str()).collect();
            return Err(ChartError::Dependencies(names.join(", ")));
        }
        let io = |path: &std::path::Path| {
            let path = path.display().to_string();
            move |source| ChartError::Io { path, source }
        };
        let write = |name: &str, data: &[u8]| -> Result<(), ChartError> {
            let relative = std::path::Path::new(name);
            let plain = !name.is_empty()
                && relative
                    .components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
                && !name.chars().any(char::is_control);
            if !plain {
                return Err(ChartError::BadName(name.escape_debug().to_string()));
            }
            let path = dir.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&path, data).map_err(io(&path))
        };
        write("Chart.yaml", self.metadata.to_string().as_bytes())?;
        let values = if self.values.is_null() {
            "{}".to_owned()
        } else {
            self.values.to_string()
        };
        write("values.yaml", values.as_bytes())?;
        if let Some(schema) = &self.schema {
            write("values.schema.json", schema)?;
        }
        for f in self.templates.iter().chain(&self.files) {
            write(&f.name, &f.data)?;
        }
        Ok(())
    }
}

/// Decodes the whole record of a Helm release Secret's `release` entry.
pub fn decode_record(payload: &[u8]) -> Result<ReleaseRecord, HelmDecodeError> {
    #[derive(Deserialize)]
    struct WithChart {
        #[serde(default)]
        chart: StoredChart,
    }
    let json = release_json(payload)?;
    let doc: ReleaseDocument = serde_json::from_slice(&json).map_err(HelmDecodeError::Json)?;
    let stored: WithChart = serde_json::from_slice(&json).map_err(HelmDecodeError::Json)?;
    let manifest = doc.manifest.clone();
    Ok(ReleaseRecord {
        release: doc.into(),
        manifest,
        chart: stored.chart,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Words only (see [`crate::errors`]): kube's error can quote an exec plugin's output.
    #[error("cannot read the Helm release `{release}`: {detail}")]
    Kube { release: String, detail: String },
    #[error("Helm release `{release}` cannot be read: {source}")]
    Decode {
        release: String,
        #[source]
        source: HelmDecodeError,
    },
}

/// The newest revision of `release` in `namespace` that Helm marked deployed, read whole from
/// its Secret; `None` when the release has none.
pub async fn deployed_record(
    client: &kube::Client,
    namespace: &str,
    release: &str,
) -> Result<Option<ReleaseRecord>, RecordError> {
    use kube::api::{Api, ListParams};
    let api: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), namespace);
    let selector = format!("owner=helm,name={release},status=deployed");
    let secrets = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| RecordError::Kube {
            release: release.to_owned(),
            detail: crate::errors::describe(&e),
        })?;
    let newest = secrets.items.into_iter().max_by_key(|s| {
        s.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("version"))
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    let Some(payload) = newest
        .and_then(|s| s.data)
        .and_then(|d| d.get("release").cloned())
    else {
        return Ok(None);
    };
    decode_record(&payload.0)
        .map(Some)
        .map_err(|source| RecordError::Decode {
            release: release.to_owned(),
            source,
        })
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

/// One rendered object of a manifest: all a release's membership and history need.
#[derive(Deserialize)]
struct ManifestObject {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: ManifestMetadata,
    /// Read loosely: a kind's spec of another shape must not make the manifest unreadable.
    #[serde(default)]
    spec: serde_json::Value,
}

#[derive(Default, Deserialize)]
struct ManifestMetadata {
    #[serde(default)]
    name: String,
}

/// What a rendered manifest's Deployments are.
struct ManifestWorkloads {
    /// Sorted; `None` when the manifest is missing or unreadable.
    names: Option<Vec<String>>,
    /// Their container images, sorted.
    images: Vec<String>,
}

/// The Deployments a rendered manifest (YAML documents) creates, and their images.
fn manifest_workloads(manifest: &str) -> ManifestWorkloads {
    let unreadable = ManifestWorkloads {
        names: None,
        images: Vec::new(),
    };
    if manifest.trim().is_empty() {
        return unreadable;
    }
    let Ok(docs) = serde_saphyr::from_multiple::<Option<ManifestObject>>(manifest) else {
        return unreadable;
    };
    let deployments: Vec<ManifestObject> = docs
        .into_iter()
        .flatten()
        .filter(|o| o.kind == "Deployment" && !o.metadata.name.is_empty())
        .collect();
    let mut images: Vec<String> = deployments
        .iter()
        .filter_map(|d| d.spec.pointer("/template/spec/containers")?.as_array())
        .flatten()
        .filter_map(|c| c.get("image")?.as_str())
        .filter(|i| !i.is_empty())
        .map(str::to_owned)
        .collect();
    images.sort();
    images.dedup();
    let mut names: Vec<String> = deployments.into_iter().map(|o| o.metadata.name).collect();
    names.sort();
    names.dedup();
    ManifestWorkloads {
        names: Some(names),
        images,
    }
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
        let workloads = manifest_workloads(&doc.manifest);
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
            deployments: workloads.names,
            images: workloads.images,
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
            "manifest": "---\n# Source: tbyte/templates/api.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tbyte-staging-api\n  labels: {app: api}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - {name: api, image: \"ghcr.io/tbyte/api:7ec480f\"}\n        - {name: sidecar, image: \"ghcr.io/tbyte/proxy:1.2\"}\n---\n# Source: tbyte/templates/svc.yaml\nkind: Service\nmetadata:\n  name: tbyte-staging-api\n---\n# Source: tbyte/templates/empty.yaml\n"
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
        assert_eq!(
            r.images,
            ["ghcr.io/tbyte/api:7ec480f", "ghcr.io/tbyte/proxy:1.2"],
            "every container of the release's Deployments, sorted"
        );
    }

    #[test]
    fn a_whole_record_rebuilds_its_chart_in_a_folder() {
        let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
        let b64_bytes = |t: &[u8]| base64::engine::general_purpose::STANDARD.encode(t);
        let mut doc: serde_json::Value =
            serde_json::from_str(&release_json(3, "deployed")).unwrap();
        doc["chart"]["templates"] = serde_json::json!([
            {"name": "templates/deployment.yaml", "data": b64("kind: Deployment\n")},
            {"name": "templates/_helpers.tpl", "data": b64("{{- define \"x\" -}}{{- end -}}")},
        ]);
        doc["chart"]["files"] =
            serde_json::json!([{"name": ".helmignore", "data": b64("*.tgz\n")}]);
        let record =
            decode_record(b64_bytes(&gzip(doc.to_string().as_bytes())).as_bytes()).unwrap();
        assert_eq!(record.release.revision, 3);
        assert!(record.manifest.contains("name: tbyte-staging-api"));
        assert_eq!(record.chart.label(), "tbyte-microservices-0.3.1");
        let dir = tempfile::tempdir().unwrap();
        record.chart.write_into(dir.path()).unwrap();
        let chart: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("Chart.yaml")).unwrap())
                .unwrap();
        assert_eq!(chart["version"], "0.3.1");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("templates/deployment.yaml")).unwrap(),
            "kind: Deployment\n"
        );
        assert!(dir.path().join(".helmignore").is_file());
        let values: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("values.yaml")).unwrap())
                .unwrap();
        assert_eq!(values["replicaCount"], 1);
    }

    #[test]
    fn a_chart_without_files_as_helm_writes_it_is_read() {
        let mut doc: serde_json::Value =
            serde_json::from_str(&release_json(3, "deployed")).unwrap();
        doc["chart"]["files"] = serde_json::Value::Null;
        doc["chart"]["schema"] = serde_json::Value::Null;
        let record = decode_record(&b64(&gzip(doc.to_string().as_bytes()))).unwrap();
        assert!(record.chart.files.is_empty());
        assert_eq!(record.chart.schema, None);
    }

    #[test]
    fn a_stored_chart_cannot_write_outside_its_folder_or_drop_its_subcharts() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "../escape.yaml",
            "/etc/passwd",
            "templates/../../x",
            "",
            "a\u{1b}b",
        ] {
            let chart = StoredChart {
                templates: vec![ChartFile {
                    name: name.into(),
                    data: vec![],
                }],
                ..StoredChart::default()
            };
            assert!(
                matches!(chart.write_into(dir.path()), Err(ChartError::BadName(_))),
                "{name:?}"
            );
        }
        assert!(!dir.path().parent().unwrap().join("escape.yaml").exists());
        let with_deps = StoredChart {
            metadata: serde_json::json!({"name": "x", "dependencies": [{"name": "redis"}]}),
            ..StoredChart::default()
        };
        assert!(matches!(
            with_deps.write_into(dir.path()),
            Err(ChartError::Dependencies(d)) if d == "redis"
        ));
    }

    #[test]
    fn an_unreadable_manifest_names_no_members() {
        assert_eq!(manifest_workloads("").names, None);
        assert_eq!(manifest_workloads("kind: [unclosed").names, None);
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
