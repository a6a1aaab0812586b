//! A simulated `helm upgrade --install` of the tbyte chart (environments/apps/tbyte-microservices):
//! it renders what the chart's templates render (ConfigMap, a Service and a Deployment per
//! service, the Ingress), applies it, and records the release in a Secret exactly as Helm 3
//! stores it, marking the previous revision superseded. The story deploys with it; the real
//! `helm` can take over any release it made, since both leave the same objects and records.

use std::io::Write;

use base64::Engine;
use serde_json::{Map, Value, json};

use super::resources::{Kind, ResourceType};
use super::status::ApiError;
use super::world::KubeWorld;

pub const CHART_NAME: &str = "tbyte-microservices";
pub const CHART_VERSION: &str = "0.1.0";
/// Helm 3 writes the chart's objects as field manager `helm` (Update operations), so that a
/// later server-side apply of a field Helm set conflicts with "helm" unless forced.
pub const FIELD_MANAGER: &str = "helm";
/// Its release Secrets are written by the storage driver's client, whose manager comes from
/// Helm's user agent: `Helm`.
pub const STORAGE_FIELD_MANAGER: &str = "Helm";
/// Revisions Helm keeps of a release when `helm upgrade` is not given `--history-max`.
pub const HISTORY_MAX: usize = 10;

/// The chart's values.yaml.
pub fn chart_defaults() -> Value {
    json!({
        "replicaCount": 1,
        "image": {"registry": "ghcr.io/tbyte-org", "tag": ""},
        "services": [{"name": "api", "port": 8080}, {"name": "web", "port": 3000}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
        "ingress": {"enabled": true, "host": "tbyte.local"},
        "database": {"instance": "db.t3.micro"},
    })
}

/// The chart's templates as a release record keeps them (name, base64 of the file), so that a
/// real helm, or Sluice's helm method, can rebuild the chart from a release this one made.
fn chart_templates() -> Value {
    macro_rules! template {
        ($name:literal) => {
            json!({
                "name": concat!("templates/", $name),
                "data": base64::engine::general_purpose::STANDARD.encode(include_str!(concat!(
                    "../../../../../environments/apps/tbyte-microservices/templates/",
                    $name
                ))),
            })
        };
    }
    json!([
        template!("_helpers.tpl"),
        template!("configmap.yaml"),
        template!("deployment.yaml"),
        template!("ingress.yaml"),
        template!("service.yaml"),
    ])
}

/// Helm's value coalescing: maps merge key by key, anything else is replaced.
pub fn merge_values(base: &mut Value, over: &Value) {
    match (base.as_object_mut(), over.as_object()) {
        (Some(b), Some(o)) => {
            for (k, v) in o {
                merge_values(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        _ => *base = over.clone(),
    }
}

pub struct Upgrade<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    /// The values the user supplied (`-f values-<env>.yaml --set image.tag=…`).
    pub values: Value,
    /// The git SHA being deployed: the image tag and the release's appVersion.
    pub version: &'a str,
    /// Helm's description of the revision, e.g. "Upgrade complete".
    pub description: Option<&'a str>,
}

fn render(up: &Upgrade<'_>, values: &Value) -> Vec<(&'static str, Kind, Value)> {
    let release = up.release;
    let tag = values["image"]["tag"]
        .as_str()
        .filter(|t| !t.is_empty())
        .unwrap_or(up.version)
        .to_owned();
    let labels = json!({
        "helm.sh/chart": format!("{CHART_NAME}-{CHART_VERSION}"),
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/part-of": "tbyte",
    });
    // In Helm's install order: ConfigMap, Services, Deployments, Ingress.
    let mut out = vec![(
        "templates/configmap.yaml",
        Kind::ConfigMap,
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("{release}-config"), "labels": labels},
            "data": {"database.instance": values["database"]["instance"].as_str().unwrap_or_default()},
        }),
    )];
    let services = values["services"].as_array().cloned().unwrap_or_default();
    for svc in &services {
        let name = svc["name"].as_str().unwrap_or("app");
        let port = svc["port"].as_i64().unwrap_or(8080);
        out.push((
            "templates/service.yaml",
            Kind::Service,
            json!({
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("{release}-{name}"), "labels": labels},
                "spec": {
                    "selector": {"app.kubernetes.io/instance": release, "app.kubernetes.io/name": format!("tbyte-{name}")},
                    "ports": [{"port": port, "targetPort": port}],
                },
            }),
        ));
    }
    for svc in &services {
        let name = svc["name"].as_str().unwrap_or("app");
        let mut dl = labels.clone();
        dl["app.kubernetes.io/name"] = json!(format!("tbyte-{name}"));
        dl["app.kubernetes.io/version"] = json!(tag);
        let selector = json!({"app.kubernetes.io/instance": release, "app.kubernetes.io/name": format!("tbyte-{name}")});
        let mut pod_labels = selector.clone();
        pod_labels["app.kubernetes.io/version"] = json!(tag);
        out.push((
            "templates/deployment.yaml",
            Kind::Deployment,
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": format!("{release}-{name}"), "labels": dl},
                "spec": {
                    "replicas": values["replicaCount"].as_i64().unwrap_or(1),
                    "selector": {"matchLabels": selector},
                    "template": {
                        "metadata": {"labels": pod_labels},
                        "spec": {"containers": [{
                            "name": name,
                            "image": format!("{}/tbyte-{name}:{tag}", values["image"]["registry"].as_str().unwrap_or_default()),
                            "ports": [{"containerPort": svc["port"].as_i64().unwrap_or(8080)}],
                            "env": [{"name": "DATABASE_INSTANCE", "valueFrom": {"configMapKeyRef": {"name": format!("{release}-config"), "key": "database.instance"}}}],
                            "resources": {"requests": values["resources"]["requests"]},
                        }]},
                    },
                },
            }),
        ));
    }
    if values["ingress"]["enabled"].as_bool().unwrap_or(true) {
        let backend = |service: &str, port: i64| json!({"service": {"name": format!("{release}-{service}"), "port": {"number": port}}});
        out.push((
            "templates/ingress.yaml",
            Kind::Ingress,
            json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": release, "labels": labels},
                "spec": {"rules": [{
                    "host": values["ingress"]["host"].as_str().unwrap_or("tbyte.local"),
                    "http": {"paths": [
                        {"path": "/api", "pathType": "Prefix", "backend": backend("api", 8080)},
                        {"path": "/", "pathType": "Prefix", "backend": backend("web", 3000)},
                    ]},
                }]},
            }),
        ));
    }
    out
}

/// Helm's manifest text: every rendered document under its `# Source:` line.
fn manifest(docs: &[(&'static str, Kind, Value)]) -> String {
    let mut out = String::new();
    for (source, _, doc) in docs {
        out.push_str(&format!("---\n# Source: {CHART_NAME}/{source}\n"));
        yaml(doc, 0, &mut out);
    }
    out
}

/// A small YAML emitter for rendered manifests (block style, strings quoted when needed).
fn yaml(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                match child {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml(child, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml(child, indent, out);
                    }
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(child))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                let mut inner = String::new();
                yaml(item, indent + 2, &mut inner);
                let trimmed = inner.trim_start_matches(' ');
                out.push_str(&format!("{pad}- {trimmed}"));
                if !trimmed.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

/// Whether a string must be quoted to stay a string for YAML 1.1 and 1.2 readers alike.
fn needs_quotes(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    s.is_empty()
        || s.parse::<f64>().is_ok()
        || s.contains([':', '#', '"', '\'', '\n'])
        || s.starts_with([
            '*', '&', '!', '{', '[', '-', '@', '`', '|', '>', '%', '?', ' ', ',',
        ])
        || s.ends_with(' ')
        || matches!(
            lower.as_str(),
            "true" | "false" | "null" | "~" | "y" | "n" | "yes" | "no" | "on" | "off"
        )
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if needs_quotes(s) => Value::String(s.clone()).to_string(),
        Value::String(s) => s.clone(),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        other => other.to_string(),
    }
}

/// `data.release` as Helm writes it, plus the outer base64 the Kubernetes API adds to `data`.
pub fn encode_release(document: &Value) -> Result<String, std::io::Error> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(document.to_string().as_bytes())?;
    let inner = base64::engine::general_purpose::STANDARD.encode(gz.finish()?);
    Ok(base64::engine::general_purpose::STANDARD.encode(inner))
}

fn decode_release(secret: &Value) -> Option<Value> {
    use std::io::Read;
    let outer = secret["data"]["release"].as_str()?;
    let inner = base64::engine::general_purpose::STANDARD
        .decode(outer)
        .ok()?;
    let gz = base64::engine::general_purpose::STANDARD
        .decode(inner)
        .ok()?;
    let mut json = String::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_string(&mut json)
        .ok()?;
    serde_json::from_str(&json).ok()
}

fn revision_of(secret: &Value) -> u32 {
    secret["metadata"]["labels"]["version"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Runs the upgrade (or install) and returns the new revision.
pub fn upgrade(world: &KubeWorld, up: Upgrade<'_>) -> Result<u32, ApiError> {
    let secrets_rt = ResourceType::of(Kind::Secret);
    let history: Vec<_> = world
        .list(Kind::Secret, Some(up.namespace))
        .into_iter()
        .filter(|s| {
            s["metadata"]["labels"]["owner"] == "helm"
                && s["metadata"]["labels"]["name"] == up.release
        })
        .collect();
    let previous = history.iter().max_by_key(|s| revision_of(s));
    let revision = previous.map_or(1, |s| revision_of(s) + 1);
    let now = world.now_rfc3339();
    let first_deployed = previous
        .and_then(|s| decode_release(s))
        .and_then(|d| d["info"]["first_deployed"].as_str().map(str::to_owned))
        .unwrap_or_else(|| now.clone());

    let mut values = chart_defaults();
    merge_values(&mut values, &up.values);
    let docs = render(&up, &values);
    // Helm marks the live objects as the release's; its stored manifest is the render as is.
    let owner = json!({"meta.helm.sh/release-name": up.release, "meta.helm.sh/release-namespace": up.namespace});
    for (_, kind, doc) in &docs {
        let mut live = doc.clone();
        live["metadata"]["annotations"] = owner.clone();
        apply(world, *kind, up.namespace, live)?;
    }

    if let Some(prev) = previous {
        let mut superseded = (**prev).clone();
        superseded["metadata"]["labels"]["status"] = json!("superseded");
        if let Some(mut doc) = decode_release(prev) {
            doc["info"]["status"] = json!("superseded");
            superseded["data"]["release"] =
                json!(encode_release(&doc).map_err(|e| ApiError::bad_request(e.to_string()))?);
        }
        let name = prev["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        super::fields::record_update(
            Some(prev),
            &mut superseded,
            STORAGE_FIELD_MANAGER,
            "v1",
            &now,
        );
        world
            .lock()
            .store
            .update(secrets_rt, up.namespace, &name, superseded)?;
    }

    let description = up.description.unwrap_or(if revision == 1 {
        "Install complete"
    } else {
        "Upgrade complete"
    });
    let document = json!({
        "name": up.release,
        "namespace": up.namespace,
        "version": revision,
        "info": {
            "first_deployed": first_deployed,
            "last_deployed": now,
            "deleted": "",
            "description": description,
            "status": "deployed",
            "notes": format!("tbyte {} is running in {}.", up.version, up.namespace),
        },
        "chart": {
            "metadata": {"name": CHART_NAME, "version": CHART_VERSION, "appVersion": up.version, "apiVersion": "v2",
                         "description": "The tbyte microservices (api and web), one release per environment.", "type": "application"},
            "templates": chart_templates(),
            "values": chart_defaults(),
        },
        "config": up.values,
        "manifest": manifest(&docs),
    });
    let release = encode_release(&document).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let modified = world.clock.now().as_second().to_string();
    let mut secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": format!("sh.helm.release.v1.{}.v{revision}", up.release),
            "labels": {"name": up.release, "owner": "helm", "status": "deployed", "version": revision.to_string(), "modifiedAt": modified},
        },
        "type": "helm.sh/release.v1",
        "data": {"release": release},
    });
    super::fields::record_update(None, &mut secret, STORAGE_FIELD_MANAGER, "v1", &now);
    world.create(Kind::Secret, up.namespace, secret)?;
    // As `helm upgrade` without `--history-max`: the oldest revisions beyond the last ten go.
    let mut kept: Vec<(u32, String)> = history
        .iter()
        .map(|s| {
            let name = s["metadata"]["name"].as_str().unwrap_or_default();
            (revision_of(s), name.to_owned())
        })
        .collect();
    kept.sort_unstable();
    let surplus = (kept.len() + 1).saturating_sub(HISTORY_MAX);
    for (_, name) in kept.into_iter().take(surplus) {
        world.lock().store.delete(secrets_rt, up.namespace, &name)?;
    }
    Ok(revision)
}

/// Creates or replaces one rendered object, as `helm upgrade` does (three-way merge reduced to
/// replacing what the chart owns: labels, annotations, spec or data).
fn apply(world: &KubeWorld, kind: Kind, namespace: &str, doc: Value) -> Result<(), ApiError> {
    let rt = ResourceType::of(kind);
    let name = doc["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let now = world.now_rfc3339();
    match world.get(kind, namespace, &name) {
        None => {
            let mut doc = doc;
            super::fields::record_update(None, &mut doc, FIELD_MANAGER, &rt.api_version(), &now);
            world.create(kind, namespace, doc)?;
        }
        Some(current) => {
            let mut next = (*current).clone();
            for key in ["spec", "data"] {
                if let Some(v) = doc.get(key) {
                    next[key] = v.clone();
                }
            }
            for key in ["labels", "annotations"] {
                let merged: Map<String, Value> = next["metadata"][key]
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .chain(
                        doc["metadata"][key]
                            .as_object()
                            .cloned()
                            .unwrap_or_default(),
                    )
                    .collect();
                next["metadata"][key] = Value::Object(merged);
            }
            super::fields::record_update(
                Some(&current),
                &mut next,
                FIELD_MANAGER,
                &rt.api_version(),
                &now,
            );
            world.lock().store.update(rt, namespace, &name, next)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ScenarioClock;
    use crate::people::cast;

    #[test]
    fn the_stored_chart_is_the_shipped_one() {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../environments/apps/tbyte-microservices");
        let values: Value =
            serde_saphyr::from_str(&std::fs::read_to_string(shipped.join("values.yaml")).unwrap())
                .unwrap();
        assert_eq!(chart_defaults(), values);
        let chart: Value =
            serde_saphyr::from_str(&std::fs::read_to_string(shipped.join("Chart.yaml")).unwrap())
                .unwrap();
        assert_eq!(
            (chart["name"].as_str(), chart["version"].as_str()),
            (Some(CHART_NAME), Some(CHART_VERSION))
        );
        let mut files: Vec<String> = std::fs::read_dir(shipped.join("templates"))
            .unwrap()
            .map(|e| format!("templates/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        files.sort();
        let stored = chart_templates();
        let names: Vec<&str> = stored
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, files);
    }

    fn world() -> KubeWorld {
        KubeWorld::new(
            ScenarioClock::manual("2026-11-26T09:00:00Z".parse().unwrap()),
            cast(),
            &["staging"],
        )
    }

    fn staging_values() -> Value {
        json!({"replicaCount": 2, "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}, "ingress": {"host": "staging.tbyte.local"}, "database": {"instance": "db.t3.small"}})
    }

    #[test]
    fn install_then_upgrade_keeps_history_like_helm() {
        let w = world();
        let up = |version: &'static str| Upgrade {
            release: "tbyte-staging",
            namespace: "staging",
            values: staging_values(),
            version,
            description: None,
        };
        assert_eq!(upgrade(&w, up("a1b2c3d")).unwrap(), 1);
        assert_eq!(upgrade(&w, up("e4f5a6b")).unwrap(), 2);

        let api = w
            .get(Kind::Deployment, "staging", "tbyte-staging-api")
            .unwrap();
        assert_eq!(api["spec"]["replicas"], 2);
        assert_eq!(
            api["spec"]["template"]["spec"]["containers"][0]["image"],
            "ghcr.io/tbyte-org/tbyte-api:e4f5a6b"
        );
        assert_eq!(
            api["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"],
            "100m"
        );
        assert!(
            w.get(Kind::Deployment, "staging", "tbyte-staging-web")
                .is_some()
        );
        assert_eq!(
            w.get(Kind::ConfigMap, "staging", "tbyte-staging-config")
                .unwrap()["data"]["database.instance"],
            "db.t3.small"
        );
        // The chart's Services (with the cluster IP the registry allocated, kept on upgrade)
        // and its Ingress.
        let web = w
            .get(Kind::Service, "staging", "tbyte-staging-web")
            .unwrap();
        assert_eq!(web["spec"]["ports"][0]["port"], 3000);
        assert!(
            web["spec"]["clusterIP"]
                .as_str()
                .unwrap()
                .starts_with("10.96.")
        );
        let ingress = w.get(Kind::Ingress, "staging", "tbyte-staging").unwrap();
        assert_eq!(ingress["spec"]["rules"][0]["host"], "staging.tbyte.local");
        assert_eq!(
            ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
            "tbyte-staging-api"
        );

        let v1 = w
            .get(
                Kind::Secret,
                "staging",
                "sh.helm.release.v1.tbyte-staging.v1",
            )
            .unwrap();
        let v2 = w
            .get(
                Kind::Secret,
                "staging",
                "sh.helm.release.v1.tbyte-staging.v2",
            )
            .unwrap();
        assert_eq!(
            (
                v1["metadata"]["labels"]["status"].as_str(),
                v2["metadata"]["labels"]["status"].as_str()
            ),
            (Some("superseded"), Some("deployed"))
        );
        assert_eq!(v2["type"], "helm.sh/release.v1");
        let doc = decode_release(&v2).unwrap();
        assert_eq!(
            (doc["version"].as_u64(), doc["info"]["status"].as_str()),
            (Some(2), Some("deployed"))
        );
        assert_eq!(doc["chart"]["metadata"]["appVersion"], "e4f5a6b");
        assert_eq!(doc["config"]["replicaCount"], 2);
        assert!(
            doc["manifest"]
                .as_str()
                .unwrap()
                .contains("# Source: tbyte-microservices/templates/deployment.yaml")
        );
        assert_eq!(decode_release(&v1).unwrap()["info"]["status"], "superseded");
    }

    #[test]
    fn an_upgrade_keeps_the_last_ten_revisions_as_helm_does() {
        let w = world();
        let tags = [
            "a000001", "a000002", "a000003", "a000004", "a000005", "a000006", "a000007", "a000008",
            "a000009", "a000010", "a000011", "a000012",
        ];
        for (i, version) in tags.into_iter().enumerate() {
            let up = Upgrade {
                release: "tbyte-staging",
                namespace: "staging",
                values: staging_values(),
                version,
                description: None,
            };
            assert_eq!(upgrade(&w, up).unwrap() as usize, i + 1);
        }
        let mut revisions: Vec<(u32, Option<String>)> = w
            .list(Kind::Secret, Some("staging"))
            .iter()
            .filter(|s| s["metadata"]["labels"]["owner"] == "helm")
            .map(|s| {
                let status = s["metadata"]["labels"]["status"]
                    .as_str()
                    .map(str::to_owned);
                (revision_of(s), status)
            })
            .collect();
        revisions.sort();
        let numbers: Vec<u32> = revisions.iter().map(|r| r.0).collect();
        assert_eq!(
            numbers,
            (3..=12).collect::<Vec<_>>(),
            "revisions 1 and 2 went"
        );
        assert_eq!(revisions[9].1.as_deref(), Some("deployed"));
        assert!(
            revisions[..9]
                .iter()
                .all(|r| r.1.as_deref() == Some("superseded"))
        );
        // The next one counts on from the newest kept, not from how many are kept.
        let up = Upgrade {
            release: "tbyte-staging",
            namespace: "staging",
            values: staging_values(),
            version: "a000013",
            description: None,
        };
        assert_eq!(upgrade(&w, up).unwrap(), 13);
        assert!(
            w.get(
                Kind::Secret,
                "staging",
                "sh.helm.release.v1.tbyte-staging.v3"
            )
            .is_none()
        );
    }

    #[test]
    fn manifest_is_yaml_that_parses_back() {
        let up = Upgrade {
            release: "r",
            namespace: "n",
            values: json!({}),
            version: "abc1234",
            description: None,
        };
        let mut values = chart_defaults();
        merge_values(&mut values, &up.values);
        let docs = render(&up, &values);
        let text = manifest(&docs);
        let parsed: Vec<Value> = text
            .split("---\n")
            .filter(|d| !d.trim().is_empty())
            .map(|d| serde_saphyr::from_str(d).unwrap())
            .collect();
        assert_eq!(parsed.len(), docs.len());
        assert_eq!(parsed[1], docs[1].2);
    }
}
