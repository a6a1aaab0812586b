//! The OpenAPI v3 discovery kubectl consults before `apply`: it only needs to learn, per
//! group-version, that PATCH accepts `fieldValidation`, so it validates on the server (which
//! this simulator does by strict decoding) instead of downloading schemas.

use serde_json::{Map, Value, json};

use super::resources::RESOURCES;

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `GET /openapi/v3`.
pub fn root() -> Value {
    let mut paths = Map::new();
    for r in RESOURCES {
        let p = gv_path(r.group, r.version);
        let url = format!("/openapi/v3/{p}?hash=5a1ce");
        paths.insert(p, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

/// `GET /openapi/v3/{api/v1 | apis/group/version}`.
pub fn group_version(path: &str) -> Option<Value> {
    let mut paths = Map::new();
    for r in RESOURCES
        .iter()
        .filter(|r| gv_path(r.group, r.version) == path)
    {
        let gvk = json!({"group": r.group, "version": r.version, "kind": r.kind_name});
        let param = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}});
        let write_params = json!([
            param("dryRun"),
            param("fieldManager"),
            param("fieldValidation")
        ]);
        let mut patch_params = write_params.clone();
        if let Some(list) = patch_params.as_array_mut() {
            list.push(param("force"));
        }
        let item = if r.namespaced {
            format!("/{path}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("/{path}/{}/{{name}}", r.plural)
        };
        let collection = if r.namespaced {
            format!("/{path}/namespaces/{{namespace}}/{}", r.plural)
        } else {
            format!("/{path}/{}", r.plural)
        };
        paths.insert(
            item,
            json!({
                "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "get"},
                "put": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "put", "parameters": write_params},
                "patch": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch", "parameters": patch_params},
                "delete": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "delete"},
            }),
        );
        paths.insert(
            collection,
            json!({
                "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "list"},
                "post": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "post", "parameters": write_params},
            }),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

/// Paths present (and not null) in what the client sent but gone after decoding into the real
/// type: the unknown fields a strict decoder reports.
pub fn unknown_fields(sent: &Value, decoded: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(sent, Some(decoded), "", &mut out);
    out
}

/// Null, or containers holding nothing but blanks: what a decoder may drop without loss.
fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.values().all(blank),
        Value::Array(a) => a.iter().all(blank),
        _ => false,
    }
}

fn walk(sent: &Value, decoded: Option<&Value>, path: &str, out: &mut Vec<String>) {
    match sent {
        Value::Object(map) => {
            for (k, v) in map {
                if v.is_null() {
                    continue;
                }
                let child = decoded.and_then(|d| d.get(k));
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match child {
                    None if !blank(v) => out.push(p),
                    None => {}
                    Some(c) => walk(v, Some(c), &p, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let child = decoded.and_then(|d| d.get(i));
                walk(item, child, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_v1_advertises_field_validation_on_patch() {
        let doc = group_version("apis/apps/v1").unwrap();
        let patch =
            &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"]["kind"],
            "Deployment"
        );
        assert!(
            patch["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation")
        );
        assert!(root()["paths"]["apis/apps/v1"]["serverRelativeURL"].is_string());
        assert!(group_version("apis/batch/v1").is_none());
    }

    #[test]
    fn unknown_fields_are_found() {
        let sent = json!({"spec": {"replicas": 1, "replicaz": 2, "template": {"spec": {"containers": [{"name": "a", "imagee": "x"}]}}}, "metadata": {"labels": {}}});
        let decoded =
            json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a"}]}}}});
        assert_eq!(
            unknown_fields(&sent, &decoded),
            ["spec.replicaz", "spec.template.spec.containers[0].imagee"]
        );
    }
}
