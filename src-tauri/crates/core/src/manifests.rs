//! What a Helm upgrade would change in the cluster: the release's objects as deployed (its
//! manifest) against the ones the upgrade would apply (`helm template`), object by object, each
//! as a unified diff of its YAML; and the images the rendered Deployments would run.

use serde::{Deserialize, Serialize};
use similar::TextDiff;
use ts_rs::TS;

use crate::snapshot::ImageChange;

/// An object's text beyond this is not diffed line by line (a manifest comes from the cluster,
/// whose records anyone with write access to the namespace can fill).
const MAX_OBJECT_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ManifestChangeKind {
    Added,
    Removed,
    Changed,
}

/// One object the upgrade adds, removes or changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ManifestChange {
    /// e.g. `Deployment`.
    pub kind: String,
    pub name: String,
    pub change: ManifestChangeKind,
    /// A unified diff of the object's YAML (now → after), three lines of context.
    pub diff: String,
}

/// One rendered object: its identity, its content and that content as canonical YAML.
#[derive(Debug, Clone, PartialEq)]
struct Object {
    kind: String,
    name: String,
    value: serde_json::Value,
    text: String,
}

#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: HeadMetadata,
}

#[derive(Default, Deserialize)]
struct HeadMetadata {
    #[serde(default)]
    name: String,
}

/// The documents of a multi-document YAML stream as Helm writes it, without its `# Source:`
/// comments and empty documents. A document that does not parse is an error naming it.
fn objects(manifest: &str) -> Result<Vec<Object>, String> {
    let mut docs: Vec<Vec<&str>> = vec![Vec::new()];
    for line in manifest.lines() {
        if line.trim_end() == "---" {
            docs.push(Vec::new());
        } else if !line.trim_start().starts_with("# Source:")
            && let Some(doc) = docs.last_mut()
        {
            doc.push(line);
        }
    }
    let mut out = Vec::new();
    for (i, lines) in docs.into_iter().enumerate() {
        let text = format!("{}\n", lines.join("\n").trim());
        if text.trim().is_empty() || text.lines().all(|l| l.trim_start().starts_with('#')) {
            continue;
        }
        let parsed =
            |e: serde_saphyr::Error| format!("document {} of the manifest is not YAML: {e}", i + 1);
        let head: Head = serde_saphyr::from_str(&text).map_err(parsed)?;
        let value = sorted(serde_saphyr::from_str(&text).map_err(parsed)?);
        out.push(Object {
            kind: head.kind,
            name: head.metadata.name,
            text: canonical_yaml(&value).unwrap_or(text),
            value,
        });
    }
    Ok(out)
}

/// `value` with every map's keys in order, whatever order the YAML wrote them in.
fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

/// One spelling for one content: the stored manifest and `helm template` may come from
/// different Helm versions (or a chart that orders keys differently), and only what differs in
/// content is a change a release manager should read.
fn canonical_yaml(value: &serde_json::Value) -> Option<String> {
    serde_saphyr::to_string(value).ok()
}

fn unified(before: &str, after: &str, from: &str, to: &str) -> String {
    if before.len() > MAX_OBJECT_BYTES || after.len() > MAX_OBJECT_BYTES {
        return format!(
            "(over {} KiB: not shown line by line)\n",
            MAX_OBJECT_BYTES / 1024
        );
    }
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .to_string()
}

/// Every object `next` adds, removes or changes against `current`, in `next`'s order (removals
/// last). `from` and `to` name the two sides in the diffs' headers.
pub fn changes(
    current: &str,
    next: &str,
    from: &str,
    to: &str,
) -> Result<Vec<ManifestChange>, String> {
    let before = objects(current)?;
    let after = objects(next)?;
    let same = |a: &Object, b: &Object| a.kind == b.kind && a.name == b.name;
    let mut out = Vec::new();
    for object in &after {
        match before.iter().find(|b| same(b, object)) {
            Some(old) if old.value == object.value => {}
            Some(old) => out.push(ManifestChange {
                kind: object.kind.clone(),
                name: object.name.clone(),
                change: ManifestChangeKind::Changed,
                diff: unified(&old.text, &object.text, from, to),
            }),
            None => out.push(ManifestChange {
                kind: object.kind.clone(),
                name: object.name.clone(),
                change: ManifestChangeKind::Added,
                diff: unified("", &object.text, from, to),
            }),
        }
    }
    for old in before.iter().filter(|b| !after.iter().any(|a| same(b, a))) {
        out.push(ManifestChange {
            kind: old.kind.clone(),
            name: old.name.clone(),
            change: ManifestChangeKind::Removed,
            diff: unified(&old.text, "", from, to),
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct DeploymentDoc {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: HeadMetadata,
    #[serde(default)]
    spec: DeploymentSpec,
}

#[derive(Default, Deserialize)]
struct DeploymentSpec {
    #[serde(default)]
    template: PodTemplate,
}

#[derive(Default, Deserialize)]
struct PodTemplate {
    #[serde(default)]
    spec: PodSpec,
}

#[derive(Default, Deserialize)]
struct PodSpec {
    #[serde(default)]
    containers: Vec<Container>,
}

#[derive(Deserialize)]
struct Container {
    #[serde(default)]
    name: String,
    #[serde(default)]
    image: String,
}

/// (Deployment, container, image) of every container the manifest's Deployments run.
fn images(manifest: &str) -> Result<Vec<(String, String, String)>, String> {
    let mut out = Vec::new();
    for object in objects(manifest)?
        .into_iter()
        .filter(|o| o.kind == "Deployment")
    {
        let doc: DeploymentDoc = serde_saphyr::from_str(&object.text)
            .map_err(|e| format!("Deployment {} is not one: {e}", object.name))?;
        if doc.kind != "Deployment" {
            continue;
        }
        for c in doc.spec.template.spec.containers {
            out.push((doc.metadata.name.clone(), c.name, c.image));
        }
    }
    Ok(out)
}

/// The containers whose image the upgrade changes, as the review lists them.
pub fn image_changes(current: &str, next: &str) -> Result<Vec<ImageChange>, String> {
    let before = images(current)?;
    Ok(images(next)?
        .into_iter()
        .filter_map(|(workload, container, image)| {
            let was = before
                .iter()
                .find(|(w, c, _)| *w == workload && *c == container)
                .map(|(_, _, i)| i.clone());
            (was.as_deref() != Some(image.as_str())).then(|| ImageChange {
                source_workload: workload.clone(),
                workload,
                container,
                from: was,
                to: Some(image),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "---
# Source: tbyte/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: tbyte-prod-api
spec:
  ports:
    - port: 8080
---
# Source: tbyte/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tbyte-prod-api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/t/tbyte-api:aaaaaaa
---
kind: ConfigMap
metadata:
  name: old-config
";

    const NEXT: &str = "---
# Source: tbyte/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: tbyte-prod-api
spec:
  ports:
    - port: 8080
---
# Source: tbyte/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tbyte-prod-api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/t/tbyte-api:bbbbbbb
---
# Source: tbyte/templates/ingress.yaml
kind: Ingress
metadata:
  name: tbyte-prod
---
";

    #[test]
    fn objects_are_compared_one_by_one() {
        let changes = changes(NOW, NEXT, "production now", "after").unwrap();
        let summary: Vec<(&str, &str, ManifestChangeKind)> = changes
            .iter()
            .map(|c| (c.kind.as_str(), c.name.as_str(), c.change))
            .collect();
        assert_eq!(
            summary,
            [
                ("Deployment", "tbyte-prod-api", ManifestChangeKind::Changed),
                ("Ingress", "tbyte-prod", ManifestChangeKind::Added),
                ("ConfigMap", "old-config", ManifestChangeKind::Removed),
            ],
            "the unchanged Service is not listed"
        );
        let diff = &changes[0].diff;
        assert!(
            diff.starts_with("--- production now\n+++ after\n"),
            "{diff}"
        );
        assert!(
            diff.contains("-      - image: ghcr.io/t/tbyte-api:aaaaaaa\n+      - image: ghcr.io/t/tbyte-api:bbbbbbb\n"),
            "{diff}"
        );
        assert!(!diff.contains("# Source"), "{diff}");
    }

    #[test]
    fn key_order_and_quoting_are_not_changes() {
        let written = "kind: Service\nmetadata:\n  name: a\n  labels: {x: \"1\", b: z}\nspec:\n  ports: [{port: 80}]\n";
        let reordered = "---\n# Source: c/t.yaml\nspec:\n  ports:\n  - port: 80\nmetadata:\n  labels:\n    b: 'z'\n    x: '1'\n  name: a\nkind: Service\n";
        assert_eq!(changes(written, reordered, "a", "b").unwrap(), []);
        let bumped = reordered.replace("port: 80", "port: 81");
        let c = changes(written, &bumped, "a", "b").unwrap();
        assert_eq!(c.len(), 1);
        // Only the port differs in the diff: both sides are spelled the same way.
        let lines: Vec<&str> = c[0]
            .diff
            .lines()
            .filter(|l| {
                (l.starts_with('-') || l.starts_with('+'))
                    && !l.starts_with("---")
                    && !l.starts_with("+++")
            })
            .collect();
        assert_eq!(lines.len(), 2, "{}", c[0].diff);
        assert!(
            lines[0].ends_with("port: 80") && lines[1].ends_with("port: 81"),
            "{}",
            c[0].diff
        );
    }

    #[test]
    fn image_changes_come_from_the_rendered_deployments() {
        let changes = image_changes(NOW, NEXT).unwrap();
        assert_eq!(
            changes,
            [ImageChange {
                workload: "tbyte-prod-api".into(),
                container: "api".into(),
                source_workload: "tbyte-prod-api".into(),
                from: Some("ghcr.io/t/tbyte-api:aaaaaaa".into()),
                to: Some("ghcr.io/t/tbyte-api:bbbbbbb".into()),
            }]
        );
    }

    #[test]
    fn a_broken_manifest_is_an_error_not_a_panic() {
        assert!(changes("kind: [unclosed", NEXT, "a", "b").is_err());
        assert_eq!(changes("", "", "a", "b").unwrap(), []);
        let huge = format!(
            "kind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"{}\"\n",
            "z".repeat(MAX_OBJECT_BYTES)
        );
        let c = changes("", &huge, "a", "b").unwrap();
        assert!(c[0].diff.contains("not shown line by line"));
    }
}
