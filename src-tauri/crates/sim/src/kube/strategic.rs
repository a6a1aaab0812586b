//! Strategic merge patch (`application/strategic-merge-patch+json`) as the apiserver applies
//! it (k8s.io/apimachinery `strategicpatch.StrategicMergePatch`), for the kinds served here.
//!
//! Helm 3 updates every object it owns with such a patch, computed on the client as a
//! three-way merge of the previous release's manifest, the new one and the live object, so
//! it carries the directives of the format: `$patch` (`replace`, `delete`, `merge`),
//! `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>` and `$retainKeys`. Lists merge
//! the way the Go types' `patchStrategy`/`patchMergeKey` tags say ([`list_kind`]); every other
//! list is replaced whole.

use serde_json::{Map, Value};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";

/// How a list field merges, from the Go struct tags of k8s.io/api.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// No patch strategy: a patch replaces the list.
    Atomic,
    /// `patchStrategy:"merge"` on a list of scalars (`metadata.finalizers`): a set union.
    Set,
    /// `patchStrategy:"merge"` with `patchMergeKey`: elements merge by that field.
    Keyed(&'static str),
}

fn is_container_list(field: &str) -> bool {
    matches!(
        field,
        "containers" | "initContainers" | "ephemeralContainers"
    )
}

/// The merge strategy of the list at `path` (the field names from the object's root; list
/// elements are transparent). The kinds this simulator serves never use one path for two
/// differently merged lists, so the path alone decides: `spec.ports` is a Service's (by
/// `port`), `….containers[].ports` a container's (by `containerPort`).
pub fn list_kind<S: AsRef<str>>(path: &[S]) -> ListKind {
    let names: Vec<&str> = path.iter().map(AsRef::as_ref).collect();
    match names.as_slice() {
        [.., c, "ports"] if is_container_list(c) => ListKind::Keyed("containerPort"),
        [.., c, "env"] if is_container_list(c) => ListKind::Keyed("name"),
        [.., c, "volumeMounts"] if is_container_list(c) => ListKind::Keyed("mountPath"),
        [.., c, "volumeDevices"] if is_container_list(c) => ListKind::Keyed("devicePath"),
        [.., "spec", c] if is_container_list(c) => ListKind::Keyed("name"),
        [
            ..,
            "spec",
            "volumes" | "imagePullSecrets" | "schedulingGates" | "resourceClaims",
        ] => ListKind::Keyed("name"),
        [.., "spec", "hostAliases"] => ListKind::Keyed("ip"),
        [.., "spec", "topologySpreadConstraints"] => ListKind::Keyed("topologyKey"),
        ["spec", "ports"] => ListKind::Keyed("port"),
        ["secrets"] => ListKind::Keyed("name"),
        [.., "metadata", "ownerReferences"] => ListKind::Keyed("uid"),
        [.., "metadata", "finalizers"] => ListKind::Set,
        ["status", "conditions"] => ListKind::Keyed("type"),
        ["status", "podIPs" | "hostIPs"] => ListKind::Keyed("ip"),
        _ => ListKind::Atomic,
    }
}

/// Why a patch could not be applied, with the HTTP status the apiserver answers it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    /// 400 for a malformed patch (`mergepatch.ErrBadPatchFormat…`), 422 for content the
    /// format cannot express, 500 for the rest (the apiserver passes those errors on as they
    /// are).
    pub code: u16,
    pub message: String,
}

impl PatchError {
    pub fn bad_request(message: &str) -> Self {
        Self {
            code: 400,
            message: message.to_owned(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: 422,
            message: message.into(),
        }
    }

    fn failed(message: impl Into<String>) -> Self {
        Self {
            code: 500,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A decoded JSON value as Go's `%v` prints it, for error messages worded as the apiserver's.
fn go(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut pairs: Vec<String> =
                map.iter().map(|(k, v)| format!("{k}:{}", go(v))).collect();
            pairs.sort();
            format!("map[{}]", pairs.join(" "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go).collect();
            format!("[{}]", items.join(" "))
        }
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".to_owned(),
        other => other.to_string(),
    }
}

/// Applies `patch` to `original` and returns the result; neither is changed.
pub fn apply(original: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Some(patch) = patch.as_object() else {
        return Err(PatchError::bad_request("invalid JSON document"));
    };
    let original = original.as_object().cloned().unwrap_or_default();
    merge_map(original, patch.clone(), &[]).map(Value::Object)
}

fn child<'a>(path: &[&'a str], field: &'a str) -> Vec<&'a str> {
    let mut p = path.to_vec();
    p.push(field);
    p
}

/// Go's `==` on decoded JSON: numbers are all float64 there.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// What identifies a list element: its merge key's value, or the scalar itself.
fn identity<'v>(item: &'v Value, key: Option<&str>) -> &'v Value {
    match key {
        Some(k) => item.get(k).unwrap_or(&Value::Null),
        None => item,
    }
}

fn position(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    let id = identity(item, key);
    list.iter().position(|x| same(identity(x, key), id))
}

fn no_merge_key(item: &Value, key: &str) -> PatchError {
    PatchError::failed(format!(
        "map: {} does not contain declared merge key: {key}",
        go(item)
    ))
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    path: &[&str],
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.remove(DIRECTIVE) {
        return match directive.as_str() {
            // The patch is the new value of this map; no merging below it.
            Some("replace") => Ok(strip(patch)),
            Some("delete") => Ok(Map::new()),
            _ => Err(PatchError::failed(format!(
                "unknown patch type: {} in map: {}",
                go(&directive),
                go(&Value::Object(patch))
            ))),
        };
    }
    retain_keys(&mut original, &mut patch)?;
    set_element_orders(&mut original, &mut patch, path)?;
    for (key, value) in std::mem::take(&mut patch) {
        let (field, deleting) = match key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            Some("") => {
                return Err(PatchError::bad_request(
                    "invalid patch format of primitive list",
                ));
            }
            Some(field) => (field.to_owned(), true),
            // Directives this format does not know are not fields either.
            None if key.starts_with('$') => continue,
            None => (key, false),
        };
        if value.is_null() {
            original.remove(&field);
            continue;
        }
        let merged = match (original.remove(&field), value) {
            (None, value) if !deleting => without_directives(value),
            (None, _) => None,
            (Some(Value::Object(o)), Value::Object(p)) => {
                Some(Value::Object(merge_map(o, p, &child(path, &field))?))
            }
            (Some(Value::Array(o)), Value::Array(p)) => {
                let kind = list_kind(&child(path, &field));
                if kind == ListKind::Atomic && !deleting {
                    Some(Value::Array(strip_list(p)))
                } else {
                    Some(Value::Array(merge_list(
                        o,
                        p,
                        kind,
                        deleting,
                        &child(path, &field),
                    )?))
                }
            }
            // A delete list for a field of another type leaves the field alone.
            (Some(current), _) if deleting => Some(current),
            (Some(_), value) => without_directives(value),
        };
        if let Some(v) = merged {
            original.insert(field, v);
        }
    }
    Ok(original)
}

/// `$retainKeys`: the fields of the map that survive (a union's other members are dropped).
fn retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Some(retain) = retain.as_array() else {
        return Err(PatchError::bad_request(
            "invalid patch format of retainKeys",
        ));
    };
    let kept = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
    let stray = patch.iter().any(|(k, v)| {
        !v.is_null()
            && !k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !k.starts_with(SET_ELEMENT_ORDER)
            && !kept(k)
    });
    if stray {
        return Err(PatchError::bad_request(
            "invalid patch format of retainKeys",
        ));
    }
    original.retain(|k, _| kept(k));
    Ok(())
}

/// `$setElementOrder/<list>`: merges the list with its patch, then orders it as the directive
/// says; elements only the server has keep their place relative to the others.
fn set_element_orders(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    path: &[&str],
) -> Result<(), PatchError> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive in directives {
        let order = patch.remove(&directive).unwrap_or_default();
        let field = &directive[SET_ELEMENT_ORDER.len()..];
        let (Some(order), false) = (order.as_array(), field.is_empty()) else {
            return Err(PatchError::bad_request(
                "invalid patch format of setElementOrder list",
            ));
        };
        let list_path = child(path, field);
        let kind = list_kind(&list_path);
        let live = match original.get(field) {
            None => None,
            Some(Value::Array(items)) => Some(items.clone()),
            Some(other) => {
                return Err(PatchError::failed(format!(
                    "expected a []interface{{}}, but received a {}",
                    go(other)
                )));
            }
        };
        let patched = match patch.remove(field) {
            None => None,
            Some(Value::Array(items)) => Some(items),
            Some(other) => {
                return Err(PatchError::failed(format!(
                    "expected a []interface{{}}, but received a {}",
                    go(&other)
                )));
            }
        };
        let merged = match (live.clone(), patched) {
            (Some(live), None) => live,
            (_, Some(p)) if kind == ListKind::Atomic => strip_list(p),
            (None, Some(p)) => strip_list(p),
            (Some(live), Some(p)) => merge_list(live, p, kind, false, &list_path)?,
            (None, None) => continue,
        };
        let key = match kind {
            ListKind::Keyed(k) => Some(k),
            ListKind::Set | ListKind::Atomic => None,
        };
        let ordered = if kind == ListKind::Atomic {
            merged
        } else {
            let (in_order, server_only) = partition(merged, order, key)?;
            normalize_order(in_order, server_only, order, &live.unwrap_or_default(), key)
        };
        original.insert(field.to_owned(), Value::Array(ordered));
    }
    Ok(())
}

fn element_kind(lists: &[&[Value]]) -> Result<Option<bool>, PatchError> {
    let mut maps = None;
    for item in lists.iter().flat_map(|l| l.iter()) {
        let is_map = match item {
            Value::Array(_) => {
                return Err(PatchError::invalid("lists of lists are not supported"));
            }
            Value::Object(_) => true,
            _ => false,
        };
        match maps {
            None => maps = Some(is_map),
            Some(m) if m != is_map => {
                return Err(PatchError::failed(format!(
                    "list element types are not identical: {}",
                    go(&Value::Array(
                        lists.iter().flat_map(|l| l.iter().cloned()).collect()
                    ))
                )));
            }
            Some(_) => {}
        }
    }
    Ok(maps)
}

fn merge_list(
    mut live: Vec<Value>,
    patch: Vec<Value>,
    kind: ListKind,
    deleting: bool,
    path: &[&str],
) -> Result<Vec<Value>, PatchError> {
    let Some(maps) = element_kind(&[&live, &patch])? else {
        return Ok(live);
    };
    if !maps {
        if deleting {
            live.retain(|item| !patch.iter().any(|p| same(p, item)));
            return Ok(live);
        }
        let mut merged = live.clone();
        for item in &patch {
            if !merged.iter().any(|m| same(m, item)) {
                merged.push(item.clone());
            }
        }
        let (in_patch, server_only) = partition(merged, &patch, None)?;
        return Ok(normalize_order(in_patch, server_only, &patch, &live, None));
    }
    let ListKind::Keyed(key) = kind else {
        return Err(PatchError::failed(format!(
            "cannot merge lists without merge key for {}",
            path.join(".")
        )));
    };
    // Elements carrying `$patch`: deletions by key, or a replacement of the whole list.
    let mut plain = Vec::new();
    let mut replace = false;
    for item in patch {
        match item.get(DIRECTIVE).map(|d| d.as_str()) {
            None => plain.push(item),
            Some(Some("delete")) => {
                let id = item.get(key).ok_or_else(|| no_merge_key(&item, key))?;
                live.retain(|l| !same(identity(l, Some(key)), id));
            }
            Some(Some("replace")) => replace = true,
            Some(Some("merge")) => {
                return Err(PatchError::failed(
                    "merging lists cannot yet be specified in the patch",
                ));
            }
            Some(other) => {
                return Err(PatchError::failed(format!(
                    "unknown patch type: {} in map: {}",
                    other.unwrap_or_default(),
                    go(&item)
                )));
            }
        }
    }
    let (live, plain) = if replace {
        (strip_list(plain), Vec::new())
    } else {
        (live, plain)
    };
    let mut merged = live.clone();
    for item in &plain {
        let Value::Object(fields) = item else {
            continue;
        };
        if !fields.contains_key(key) {
            return Err(no_merge_key(item, key));
        }
        match position(&merged, item, Some(key)) {
            Some(i) => {
                let current = match merged[i].take() {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                merged[i] = Value::Object(merge_map(current, fields.clone(), path)?);
            }
            None => merged.push(Value::Object(merge_map(Map::new(), fields.clone(), path)?)),
        }
    }
    let (in_patch, server_only) = partition(merged, &plain, Some(key))?;
    Ok(normalize_order(
        in_patch,
        server_only,
        &plain,
        &live,
        Some(key),
    ))
}

/// Splits `merged` into the elements named by `by` and the others, both in their order.
fn partition(
    merged: Vec<Value>,
    by: &[Value],
    key: Option<&str>,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut named = Vec::new();
    let mut others = Vec::new();
    for item in merged {
        if let Some(k) = key
            && item.get(k).is_none()
        {
            return Err(no_merge_key(&item, k));
        }
        if position(by, &item, key).is_some() {
            named.push(item);
        } else {
            others.push(item);
        }
    }
    Ok((named, others))
}

/// The patch's elements in the patch's order, the server-only ones in the live order, then
/// interleaved: a server-only element goes before a patch element when the live list had it
/// there (apimachinery's `normalizeElementOrder`).
fn normalize_order(
    mut named: Vec<Value>,
    mut server_only: Vec<Value>,
    patch_order: &[Value],
    live_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let rank = |order: &[Value], item: &Value| position(order, item, key).unwrap_or(usize::MAX);
    named.sort_by_key(|item| rank(patch_order, item));
    server_only.sort_by_key(|item| rank(live_order, item));
    let mut out = Vec::with_capacity(named.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = named.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                match (position(live_order, l, key), position(live_order, r, key)) {
                    (Some(li), Some(ri)) => li < ri,
                    _ => false,
                }
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

/// A value from the patch as it is stored: maps carrying `$patch` are dropped, nulls inside
/// are discarded and other directives removed.
fn without_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.contains_key(DIRECTIVE) => None,
        Value::Object(map) => Some(Value::Object(strip(map))),
        Value::Array(items) => Some(Value::Array(strip_list(items))),
        other => Some(other),
    }
}

fn strip(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
        .filter_map(|(k, v)| without_directives(v).map(|v| (k, v)))
        .collect()
}

fn strip_list(items: Vec<Value>) -> Vec<Value> {
    items.into_iter().filter_map(without_directives).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A Deployment as the apiserver stores it, trimmed to what the cases touch.
    fn deployment() -> Value {
        json!({
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}, "finalizers": ["a", "b"]},
            "spec": {
                "replicas": 2,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {"spec": {
                    "containers": [
                        {"name": "web", "image": "web:1",
                         "ports": [{"containerPort": 8080, "protocol": "TCP"}, {"containerPort": 9090, "protocol": "TCP"}],
                         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                         "args": ["--a", "--b"]},
                        {"name": "sidecar", "image": "proxy:1"}
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}]
                }}
            }
        })
    }

    fn service() -> Value {
        json!({"spec": {"type": "ClusterIP", "clusterIP": "10.96.3.4",
            "ports": [{"port": 8080, "targetPort": 8080, "protocol": "TCP"}, {"port": 9090, "targetPort": 9090, "protocol": "TCP"}],
            "selector": {"app": "web"}}})
    }

    fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
        path.split('.')
            .fold(v, |node, seg| match seg.parse::<usize>() {
                Ok(i) => &node[i],
                Err(_) => &node[seg],
            })
    }

    #[test]
    fn table_of_patches_and_results() {
        let d = deployment();
        // (what, original, patch, path in the result, expected value there)
        let cases: Vec<(&str, Value, Value, &str, Value)> = vec![
            (
                "maps merge; null deletes a field",
                d.clone(),
                json!({"metadata": {"labels": {"tier": null, "v": "2"}}}),
                "metadata.labels",
                json!({"app": "web", "v": "2"}),
            ),
            (
                "containers merge by name, the other container untouched",
                d.clone(),
                json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "web:2"}]}}}}),
                "spec.template.spec.containers",
                json!([
                    {"name": "web", "image": "web:2",
                     "ports": [{"containerPort": 8080, "protocol": "TCP"}, {"containerPort": 9090, "protocol": "TCP"}],
                     "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "args": ["--a", "--b"]},
                    {"name": "sidecar", "image": "proxy:1"}
                ]),
            ),
            (
                // Without `$setElementOrder` the patch's elements come first, as on a real
                // apiserver; clients that care about the order send the directive.
                "a new container without an order goes first",
                d.clone(),
                json!({"spec": {"template": {"spec": {"containers": [{"name": "log", "image": "log:1"}]}}}}),
                "spec.template.spec.containers.0",
                json!({"name": "log", "image": "log:1"}),
            ),
            (
                "a new container placed by $setElementOrder",
                d.clone(),
                json!({"spec": {"template": {"spec": {
                    "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}, {"name": "log"}],
                    "containers": [{"name": "log", "image": "log:1"}]}}}}),
                "spec.template.spec.containers.2",
                json!({"name": "log", "image": "log:1"}),
            ),
            (
                "env merges by name",
                d.clone(),
                json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}]}}}}),
                "spec.template.spec.containers.0.env",
                json!([{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]),
            ),
            (
                "container ports merge by containerPort",
                d.clone(),
                json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "ports": [{"containerPort": 9090, "name": "metrics"}]}]}}}}),
                "spec.template.spec.containers.0.ports.1",
                json!({"containerPort": 9090, "protocol": "TCP", "name": "metrics"}),
            ),
            (
                "args are atomic: replaced whole",
                d.clone(),
                json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "args": ["--c"]}]}}}}),
                "spec.template.spec.containers.0.args",
                json!(["--c"]),
            ),
            (
                "$patch: delete removes a keyed element",
                d.clone(),
                json!({"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}}),
                "spec.template.spec.containers.1",
                Value::Null,
            ),
            (
                "$patch: replace on a list element replaces the list",
                d.clone(),
                json!({"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}}}}),
                "spec.template.spec.containers",
                json!([{"name": "only", "image": "x"}]),
            ),
            (
                "$patch: replace on a map replaces the map",
                d.clone(),
                json!({"metadata": {"labels": {"$patch": "replace", "only": "this"}}}),
                "metadata.labels",
                json!({"only": "this"}),
            ),
            (
                "$patch: delete on a map empties it",
                d.clone(),
                json!({"metadata": {"labels": {"$patch": "delete"}}}),
                "metadata.labels",
                json!({}),
            ),
            (
                "$setElementOrder reorders, server-only elements keep their place",
                d.clone(),
                json!({"spec": {"template": {"spec": {"containers": [{"name": "web",
                    "$setElementOrder/env": [{"name": "C"}, {"name": "A"}],
                    "env": [{"name": "C", "value": "4"}]}]}}}}),
                "spec.template.spec.containers.0.env",
                json!([{"name": "C", "value": "4"}, {"name": "A", "value": "1"}, {"name": "B", "value": "2"}]),
            ),
            (
                "$setElementOrder with no patch list only reorders",
                d.clone(),
                json!({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}]}}}}),
                "spec.template.spec.containers.0.name",
                json!("sidecar"),
            ),
            (
                "finalizers merge as a set",
                d.clone(),
                json!({"metadata": {"finalizers": ["b", "c"]}}),
                "metadata.finalizers",
                json!(["a", "b", "c"]),
            ),
            (
                "$deleteFromPrimitiveList removes scalars",
                d.clone(),
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
                "metadata.finalizers",
                json!(["b"]),
            ),
            (
                "$retainKeys drops the other members of a union",
                d.clone(),
                json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null}}}),
                "spec.strategy",
                json!({"type": "Recreate"}),
            ),
            (
                "volumes keep a retained source only",
                d.clone(),
                json!({"spec": {"template": {"spec": {"volumes": [{"name": "data", "$retainKeys": ["configMap", "name"], "configMap": {"name": "cfg"}}]}}}}),
                "spec.template.spec.volumes",
                json!([{"name": "data", "configMap": {"name": "cfg"}}]),
            ),
            (
                "a Service's ports merge by port",
                service(),
                json!({"spec": {"$setElementOrder/ports": [{"port": 8080}, {"port": 9090}], "ports": [{"port": 9090, "targetPort": "metrics"}]}}),
                "spec.ports",
                json!([{"port": 8080, "targetPort": 8080, "protocol": "TCP"}, {"port": 9090, "targetPort": "metrics", "protocol": "TCP"}]),
            ),
            (
                "a Service port dropped from the chart is deleted",
                service(),
                json!({"spec": {"$setElementOrder/ports": [{"port": 8080}], "ports": [{"port": 9090, "$patch": "delete"}]}}),
                "spec.ports",
                json!([{"port": 8080, "targetPort": 8080, "protocol": "TCP"}]),
            ),
            (
                "numbers compare as numbers",
                service(),
                json!({"spec": {"ports": [{"port": 8080.0, "name": "http"}]}}),
                "spec.ports.0.name",
                json!("http"),
            ),
        ];
        for (what, original, patch, path, expected) in cases {
            let out = apply(&original, &patch).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(at(&out, path), &expected, "{what}: {out:#}");
            assert!(!out.to_string().contains('$'), "{what}: directives stored");
        }
    }

    #[test]
    fn helms_three_way_patch_for_a_new_image_and_a_dropped_env() {
        // What Helm 3 sends when the chart's next revision changes the image and drops env B
        // (strategicpatch.CreateThreeWayMergePatch over the previous manifest, the new one and
        // the live object).
        let patch = json!({"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
            "containers": [{
                "$setElementOrder/env": [{"name": "A"}],
                "env": [{"$patch": "delete", "name": "B"}],
                "image": "web:2",
                "name": "web"
            }]
        }}}});
        let out = apply(&deployment(), &patch).unwrap();
        let web = &out["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(web["image"], "web:2");
        assert_eq!(web["env"], json!([{"name": "A", "value": "1"}]));
        assert_eq!(web["ports"].as_array().unwrap().len(), 2, "untouched");
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][1]["name"],
            "sidecar"
        );
    }

    #[test]
    fn malformed_patches_are_refused_with_the_apiservers_words() {
        // Status and message as kube-apiserver v1.33 answers each (checked against it).
        let d = deployment();
        let cases = [
            (json!(["not", "a", "map"]), 400, "invalid JSON document"),
            (
                json!({"metadata": {"$retainKeys": "name"}}),
                400,
                "invalid patch format of retainKeys",
            ),
            (
                json!({"metadata": {"$retainKeys": ["name"], "labels": {"a": "b"}}}),
                400,
                "invalid patch format of retainKeys",
            ),
            (
                json!({"spec": {"template": {"spec": {"$setElementOrder/containers": "web"}}}}),
                400,
                "invalid patch format of setElementOrder list",
            ),
            (
                json!({"spec": {"template": {"spec": {"containers": [{"image": "x", "env": [{"name": "a"}]}]}}}}),
                500,
                "map: map[env:[map[name:a]] image:x] does not contain declared merge key: name",
            ),
            (
                json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "$patch": "merge"}]}}}}),
                500,
                "merging lists cannot yet be specified in the patch",
            ),
            (
                json!({"metadata": {"labels": {"$patch": "bogus"}}}),
                500,
                "unknown patch type: bogus in map: map[]",
            ),
            (
                json!({"spec": {"template": {"spec": {"containers": [[1]]}}}}),
                422,
                "lists of lists are not supported",
            ),
        ];
        for (patch, code, words) in cases {
            let err = apply(&d, &patch).unwrap_err();
            assert_eq!(err.code, code, "{patch}: {err}");
            assert_eq!(err.message, words, "{patch}");
        }
    }

    #[test]
    fn list_kinds_follow_the_go_struct_tags() {
        let cases: [(&[&str], ListKind); 9] = [
            (
                &["spec", "template", "spec", "containers"],
                ListKind::Keyed("name"),
            ),
            (
                &["spec", "template", "spec", "containers", "ports"],
                ListKind::Keyed("containerPort"),
            ),
            (&["spec", "ports"], ListKind::Keyed("port")),
            (
                &["spec", "template", "spec", "initContainers", "env"],
                ListKind::Keyed("name"),
            ),
            (&["metadata", "finalizers"], ListKind::Set),
            (&["status", "conditions"], ListKind::Keyed("type")),
            (&["spec", "rules"], ListKind::Atomic),
            (&["secrets"], ListKind::Keyed("name")),
            (&["imagePullSecrets"], ListKind::Atomic),
        ];
        for (path, kind) in cases {
            assert_eq!(list_kind(path), kind, "{path:?}");
        }
    }
}
