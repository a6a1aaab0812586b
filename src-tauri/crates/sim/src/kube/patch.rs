//! The three patch formats Kubernetes accepts besides apply: JSON merge (RFC 7386), JSON patch
//! (RFC 6902) and strategic merge, where lists such as `containers` merge by a key.

use serde_json::{Map, Value};

/// The field that identifies an element of a list Kubernetes merges by key, by field name.
/// Lists not named here are atomic: a patch replaces them whole.
pub fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "volumeDevices"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "ports" => "containerPort",
        "conditions" => "type",
        "hostAliases" => "ip",
        "ownerReferences" => "uid",
        _ => return None,
    })
}

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
pub fn apply_patch(kind: PatchType, target: &Value, patch: &Value) -> Result<Value, String> {
    let mut out = target.clone();
    match kind {
        PatchType::Merge => json_patch::merge(&mut out, patch),
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| format!("invalid JSON patch: {e}"))?;
            json_patch::patch(&mut out, &ops)
                .map_err(|e| format!("the JSON patch could not be applied: {e}"))?;
        }
        PatchType::Strategic => strategic_merge(&mut out, patch, None),
        PatchType::Apply => return Err("apply patches are handled by server-side apply".to_owned()),
    }
    Ok(out)
}

/// Strategic merge: maps merge recursively, `null` deletes, keyed lists merge element by
/// element, and the directives kubectl sends (`$patch`, `$setElementOrder/…`,
/// `$deleteFromPrimitiveList/…`, `$retainKeys`) are honoured and never stored.
pub fn strategic_merge(target: &mut Value, patch: &Value, _field: Option<&str>) {
    let Some(patch_map) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if patch_map.get("$patch").and_then(Value::as_str) == Some("replace") {
        *target = strip_directives(patch);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let mut orders: Vec<(String, Vec<Value>)> = Vec::new();
    for (key, value) in patch_map {
        if let Some(field) = key.strip_prefix("$setElementOrder/") {
            if let Some(order) = value.as_array() {
                orders.push((field.to_owned(), order.clone()));
            }
            continue;
        }
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(list), Some(remove)) = (target[field].as_array_mut(), value.as_array()) {
                list.retain(|item| !remove.contains(item));
            }
            continue;
        }
        if key.starts_with('$') {
            continue;
        }
        let Some(target_map) = target.as_object_mut() else {
            return;
        };
        if value.is_null() {
            target_map.remove(key);
            continue;
        }
        match (merge_key(key), value) {
            (Some(merge_key), Value::Array(items)) => {
                let list = target_map
                    .entry(key.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !list.is_array() {
                    *list = Value::Array(Vec::new());
                }
                merge_keyed_list(list, items, merge_key);
            }
            (_, Value::Object(_)) => {
                let child = target_map.entry(key.clone()).or_insert(Value::Null);
                if value.get("$patch").and_then(Value::as_str) == Some("delete") {
                    target_map.remove(key);
                } else {
                    strategic_merge(child, value, Some(key));
                }
            }
            _ => {
                target_map.insert(key.clone(), strip_directives(value));
            }
        }
    }
    if let Some(retain) = patch_map.get("$retainKeys").and_then(Value::as_array)
        && let Some(target_map) = target.as_object_mut()
    {
        target_map.retain(|k, _| retain.iter().any(|r| r.as_str() == Some(k)));
    }
    for (field, order) in orders {
        if let (Some(list), Some(key)) = (target[&field].as_array_mut(), merge_key(&field)) {
            let position = |item: &Value| {
                order
                    .iter()
                    .position(|o| o[key] == item[key])
                    .unwrap_or(usize::MAX)
            };
            list.sort_by_key(position);
        }
    }
}

fn merge_keyed_list(list: &mut Value, items: &[Value], key: &str) {
    let Some(list) = list.as_array_mut() else {
        return;
    };
    for item in items {
        let id = &item[key];
        let existing = list.iter().position(|t| &t[key] == id && !id.is_null());
        match (item.get("$patch").and_then(Value::as_str), existing) {
            (Some("delete"), Some(i)) => {
                list.remove(i);
            }
            (Some("delete"), None) => {}
            (_, Some(i)) => strategic_merge(&mut list[i], item, None),
            (_, None) => list.push(strip_directives(item)),
        }
    }
}

fn strip_directives(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_directives).collect()),
        other => other.clone(),
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
