//! The three patch formats Kubernetes accepts besides apply: JSON merge (RFC 7386), JSON patch
//! (RFC 6902) and strategic merge ([`strategic`]), where lists such as `containers` merge by a
//! key.

use serde_json::Value;

use super::strategic::{self, PatchError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        Some(match essence {
            "application/merge-patch+json" => Self::Merge,
            "application/json-patch+json" => Self::Json,
            "application/strategic-merge-patch+json" => Self::Strategic,
            "application/apply-patch+yaml"
            | "application/apply-patch+json"
            | "application/apply-patch+cbor" => Self::Apply,
            _ => return None,
        })
    }
}

/// Applies a merge, JSON or strategic patch to a copy of `target`.
pub fn apply_patch(kind: PatchType, target: &Value, patch: &Value) -> Result<Value, PatchError> {
    match kind {
        PatchType::Merge => {
            let mut out = target.clone();
            json_patch::merge(&mut out, patch);
            Ok(out)
        }
        PatchType::Json => {
            let mut out = target.clone();
            let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| PatchError::invalid(format!("invalid JSON patch: {e}")))?;
            json_patch::patch(&mut out, &ops).map_err(|e| {
                PatchError::invalid(format!("the JSON patch could not be applied: {e}"))
            })?;
            Ok(out)
        }
        PatchType::Strategic => strategic::apply(target, patch),
        PatchType::Apply => Err(PatchError::invalid(
            "apply patches are handled by server-side apply",
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment() -> Value {
        json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [
            {"name": "web", "image": "web:1", "env": [{"name": "A", "value": "1"}]},
            {"name": "sidecar", "image": "proxy:1"}
        ]}}}})
    }

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        // What `kubectl set image deploy/x web=web:2` sends.
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
            "containers": [{"image": "web:2", "name": "web"}]
        }}}});
        let out = apply_patch(PatchType::Strategic, &deployment(), &patch).unwrap();
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "web:2");
        assert_eq!(containers[0]["env"][0]["name"], "A");
        assert_eq!(containers[1]["image"], "proxy:1");
        assert!(!out.to_string().contains('$'));
    }

    #[test]
    fn strategic_merge_deletes_by_directive_and_null() {
        let patch = json!({"spec": {"replicas": null, "template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}});
        let out = apply_patch(PatchType::Strategic, &deployment(), &patch).unwrap();
        assert!(out["spec"].get("replicas").is_none());
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn merge_patch_replaces_lists() {
        let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x"}]}}}});
        let out = apply_patch(PatchType::Merge, &deployment(), &patch).unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn json_patch_ops_and_errors() {
        let ops = json!([{"op": "replace", "path": "/spec/replicas", "value": 3}, {"op": "test", "path": "/spec/replicas", "value": 3}]);
        assert_eq!(
            apply_patch(PatchType::Json, &deployment(), &ops).unwrap()["spec"]["replicas"],
            3
        );
        let bad = json!([{"op": "test", "path": "/spec/replicas", "value": 9}]);
        assert!(apply_patch(PatchType::Json, &deployment(), &bad).is_err());
        assert!(apply_patch(PatchType::Json, &deployment(), &json!({"not": "a list"})).is_err());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml"),
            Some(PatchType::Apply)
        );
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json; charset=utf-8"),
            Some(PatchType::Strategic)
        );
        assert_eq!(PatchType::from_content_type("text/plain"), None);
    }
}
