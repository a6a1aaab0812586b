//! Field ownership (`metadata.managedFields`) and server-side apply: who set which field, so an
//! apply that would change another manager's field is a conflict unless forced, and fields an
//! applier stops sending are removed.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::strategic::{self, ListKind, list_kind};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Field(String),
    /// A keyed list element, as the JSON of its key, e.g. `{"name":"web"}`.
    Key(String),
}

pub type FieldPath = Vec<Seg>;
pub type FieldSet = BTreeSet<FieldPath>;

const SERVER_OWNED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "managedFields",
    "selfLink",
];

/// The leaf fields of an object that ownership is tracked for.
pub fn leaf_paths(object: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    if let Some(map) = object.as_object() {
        for (k, v) in map {
            if matches!(k.as_str(), "apiVersion" | "kind" | "status") {
                continue;
            }
            if k == "metadata" {
                for (mk, mv) in v.as_object().into_iter().flatten() {
                    if !SERVER_OWNED_METADATA.contains(&mk.as_str()) {
                        walk(
                            mv,
                            vec![Seg::Field(k.clone()), Seg::Field(mk.clone())],
                            &mut out,
                        );
                    }
                }
                continue;
            }
            walk(v, vec![Seg::Field(k.clone())], &mut out);
        }
    }
    out
}

/// The field names along `path`: what decides how a list there merges.
fn field_names(path: &[Seg]) -> Vec<&str> {
    path.iter()
        .filter_map(|seg| match seg {
            Seg::Field(f) => Some(f.as_str()),
            Seg::Key(_) => None,
        })
        .collect()
}

fn walk(value: &Value, prefix: FieldPath, out: &mut FieldSet) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let mut p = prefix.clone();
                p.push(Seg::Field(k.clone()));
                walk(v, p, out);
            }
        }
        Value::Array(items)
            if items.iter().all(Value::is_object)
                && !items.is_empty()
                && let ListKind::Keyed(key) = list_kind(&field_names(&prefix)) =>
        {
            for item in items {
                let mut p = prefix.clone();
                p.push(Seg::Key(json!({ key: item[key] }).to_string()));
                walk(item, p, out);
            }
        }
        _ => {
            out.insert(prefix);
        }
    }
}

pub fn value_at<'a>(object: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    let mut node = object;
    for seg in path {
        node = match seg {
            Seg::Field(f) => node.get(f)?,
            Seg::Key(k) => {
                let key: Map<String, Value> = serde_json::from_str(k).ok()?;
                node.as_array()?
                    .iter()
                    .find(|item| key.iter().all(|(kk, kv)| &item[kk] == kv))?
            }
        };
    }
    Some(node)
}

fn remove_at(object: &mut Value, path: &[Seg]) {
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    let mut node = object;
    for seg in parent_path {
        let next = match seg {
            Seg::Field(f) => node.get_mut(f),
            Seg::Key(k) => {
                let Ok(key) = serde_json::from_str::<Map<String, Value>>(k) else {
                    return;
                };
                node.as_array_mut().and_then(|items| {
                    items
                        .iter_mut()
                        .find(|item| key.iter().all(|(kk, kv)| &item[kk] == kv))
                })
            }
        };
        match next {
            Some(n) => node = n,
            None => return,
        }
    }
    match last {
        Seg::Field(f) => {
            if let Some(map) = node.as_object_mut() {
                map.remove(f);
            }
        }
        Seg::Key(k) => {
            if let (Ok(key), Some(items)) = (
                serde_json::from_str::<Map<String, Value>>(k),
                node.as_array_mut(),
            ) {
                items.retain(|item| !key.iter().all(|(kk, kv)| &item[kk] == kv));
            }
        }
    }
}

/// `.spec.template.spec.containers[name="web"].image`, as apiserver conflict messages write it.
pub fn display(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            Seg::Key(k) => {
                let key: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
                let inner: Vec<String> = key.iter().map(|(kk, kv)| format!("{kk}={kv}")).collect();
                out.push_str(&format!("[{}]", inner.join(",")));
            }
        }
    }
    out
}

fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Value::Object(Map::new());
    for path in set {
        let mut node = &mut root;
        for seg in path {
            let key = match seg {
                Seg::Field(f) => format!("f:{f}"),
                Seg::Key(k) => format!("k:{k}"),
            };
            let is_key = matches!(seg, Seg::Key(_));
            let Some(map) = node.as_object_mut() else {
                break;
            };
            node = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if is_key && let Some(m) = node.as_object_mut() {
                m.entry(".").or_insert_with(|| Value::Object(Map::new()));
            }
        }
    }
    root
}

fn from_fields_v1(value: &Value, prefix: FieldPath, out: &mut FieldSet) {
    let Some(map) = value.as_object() else {
        return;
    };
    let children: Vec<_> = map.iter().filter(|(k, _)| k.as_str() != ".").collect();
    if children.is_empty() && !prefix.is_empty() {
        out.insert(prefix);
        return;
    }
    for (k, v) in children {
        let seg = if let Some(f) = k.strip_prefix("f:") {
            Seg::Field(f.to_owned())
        } else if let Some(key) = k.strip_prefix("k:") {
            Seg::Key(key.to_owned())
        } else {
            continue;
        };
        let mut p = prefix.clone();
        p.push(seg);
        from_fields_v1(v, p, out);
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ManagerEntry {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub fields: FieldSet,
}

pub fn read_managers(object: &Value) -> Vec<ManagerEntry> {
    object["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let mut fields = FieldSet::new();
            from_fields_v1(&e["fieldsV1"], Vec::new(), &mut fields);
            Some(ManagerEntry {
                manager: e["manager"].as_str()?.to_owned(),
                operation: e["operation"].as_str().unwrap_or("Update").to_owned(),
                api_version: e["apiVersion"].as_str().unwrap_or_default().to_owned(),
                time: e["time"].as_str().unwrap_or_default().to_owned(),
                fields,
            })
        })
        .collect()
}

fn write_managers(object: &mut Value, entries: &[ManagerEntry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&e.fields),
            })
        })
        .collect();
    super::store::metadata_mut(object).insert("managedFields".into(), Value::Array(list));
}

/// After a create, update or non-apply patch by `manager`: it now owns every field it changed,
/// and nobody owns fields that no longer exist.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
) {
    let mut entries = old.map(read_managers).unwrap_or_default();
    let new_paths = leaf_paths(new);
    let changed: FieldSet = new_paths
        .iter()
        .filter(|p| old.and_then(|o| value_at(o, p)) != value_at(new, p))
        .cloned()
        .collect();
    for e in &mut entries {
        e.fields
            .retain(|p| new_paths.contains(p) && (e.manager == manager || !changed.contains(p)));
    }
    if !changed.is_empty() {
        match entries
            .iter_mut()
            .find(|e| e.manager == manager && e.operation == "Update")
        {
            Some(e) => {
                e.fields.extend(changed);
                e.time = now.to_owned();
            }
            None => entries.push(ManagerEntry {
                manager: manager.to_owned(),
                operation: "Update".to_owned(),
                api_version: api_version.to_owned(),
                time: now.to_owned(),
                fields: changed,
            }),
        }
    }
    write_managers(new, &entries);
}

/// Server-side apply of `applied` by `manager` onto `live` (None: the object is new).
/// Returns the merged object with updated managedFields, or the conflict message.
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
    now: &str,
) -> Result<Value, String> {
    let applied_paths = leaf_paths(applied);
    let mut entries = live.map(read_managers).unwrap_or_default();
    let base = live.cloned().unwrap_or_else(|| json!({}));

    let mut conflicts = Vec::new();
    for e in entries.iter().filter(|e| e.manager != manager) {
        for p in e.fields.intersection(&applied_paths) {
            if value_at(&base, p) != value_at(applied, p) {
                conflicts.push(format!(
                    "conflict with \"{}\" using {}: {}",
                    e.manager,
                    e.api_version,
                    display(p)
                ));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        let n = conflicts.len();
        return Err(format!(
            "Apply failed with {n} conflict{}: {}",
            if n == 1 { "" } else { "s" },
            conflicts.join("\n")
        ));
    }

    let previously_applied: FieldSet = entries
        .iter()
        .filter(|e| e.manager == manager && e.operation == "Apply")
        .flat_map(|e| e.fields.iter().cloned())
        .collect();
    let mut merged = base;
    for dropped in previously_applied.difference(&applied_paths) {
        let owned_elsewhere = entries.iter().any(|e| {
            !(e.manager == manager && e.operation == "Apply") && e.fields.contains(dropped)
        });
        if !owned_elsewhere {
            remove_at(&mut merged, dropped);
        }
    }
    let mut merged = strategic::apply(&merged, applied).map_err(|e| e.message)?;

    for e in &mut entries {
        if e.manager != manager {
            e.fields.retain(|p| !(applied_paths.contains(p) && force));
        }
    }
    entries.retain(|e| !(e.manager == manager && e.operation == "Apply"));
    entries.push(ManagerEntry {
        manager: manager.to_owned(),
        operation: "Apply".to_owned(),
        api_version: api_version.to_owned(),
        time: now.to_owned(),
        fields: applied_paths,
    });
    write_managers(&mut merged, &entries);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-26T09:00:00Z";

    fn applied(image: &str, replicas: Option<i64>) -> Value {
        let mut v = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}});
        if let Some(r) = replicas {
            v["spec"]["replicas"] = json!(r);
        }
        v
    }

    #[test]
    fn fields_v1_round_trips() {
        let set = leaf_paths(&applied("web:1", Some(2)));
        let mut back = FieldSet::new();
        from_fields_v1(&to_fields_v1(&set), Vec::new(), &mut back);
        assert_eq!(set, back);
        let v1 = to_fields_v1(&set);
        assert!(
            v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]["f:image"]
                .is_object()
        );
    }

    #[test]
    fn apply_conflicts_with_another_managers_field_unless_forced() {
        let created = server_side_apply(
            None,
            &applied("web:1", Some(2)),
            "sluice",
            false,
            "apps/v1",
            NOW,
        )
        .unwrap();
        // kubectl set image takes the image field over.
        let mut updated = created.clone();
        updated["spec"]["template"]["spec"]["containers"][0]["image"] = json!("web:2");
        record_update(Some(&created), &mut updated, "kubectl-set", "apps/v1", NOW);

        let err = server_side_apply(
            Some(&updated),
            &applied("web:3", Some(2)),
            "sluice",
            false,
            "apps/v1",
            NOW,
        )
        .unwrap_err();
        assert!(err.contains(r#"conflict with "kubectl-set" using apps/v1: .spec.template.spec.containers[name="web"].image"#), "{err}");

        let forced = server_side_apply(
            Some(&updated),
            &applied("web:3", Some(2)),
            "sluice",
            true,
            "apps/v1",
            NOW,
        )
        .unwrap();
        assert_eq!(
            forced["spec"]["template"]["spec"]["containers"][0]["image"],
            "web:3"
        );
        let managers: Vec<String> = read_managers(&forced)
            .iter()
            .map(|e| e.manager.clone())
            .collect();
        assert_eq!(managers, ["sluice"]);
    }

    #[test]
    fn fields_an_applier_stops_sending_are_removed() {
        let first = server_side_apply(
            None,
            &applied("web:1", Some(2)),
            "sluice",
            false,
            "apps/v1",
            NOW,
        )
        .unwrap();
        let second = server_side_apply(
            Some(&first),
            &applied("web:1", None),
            "sluice",
            false,
            "apps/v1",
            NOW,
        )
        .unwrap();
        assert!(second["spec"].get("replicas").is_none());
    }

    #[test]
    fn same_value_is_no_conflict() {
        let created =
            server_side_apply(None, &applied("web:1", None), "a", false, "apps/v1", NOW).unwrap();
        server_side_apply(
            Some(&created),
            &applied("web:1", None),
            "b",
            false,
            "apps/v1",
            NOW,
        )
        .unwrap();
    }
}
