//! Helm values files, flattened to dotted keys so that environments can be shown and compared
//! key by key without knowing the chart.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::snapshot::ValueChange;

/// A values file as `dotted.key → scalar` pairs, e.g. `resources.requests.cpu → 50m`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlatValues(BTreeMap<String, String>);

impl FlatValues {
    /// Parses YAML text. The error is serde-saphyr's, which carries the line and column.
    pub fn parse(text: &str) -> Result<Self, serde_saphyr::Error> {
        // An empty values file is valid for Helm; serde reads it as null.
        let root: Option<Value> = serde_saphyr::from_str(text)?;
        Ok(root.as_ref().map(Self::from_tree).unwrap_or_default())
    }

    /// A values tree already parsed (Helm's `config` of a release), flattened.
    pub fn from_tree(root: &Value) -> Self {
        let mut flat = BTreeMap::new();
        // `{}` at the root is no values (Helm's `config` of a release installed without any),
        // not one value `{}` under an empty key.
        if !matches!(root, Value::Object(map) if map.is_empty()) {
            flatten("", root, &mut flat);
        }
        Self(flat)
    }

    /// Sets one dotted key, as `helm --set key=value` would.
    pub fn set(&mut self, key: &str, value: &str) {
        self.0.insert(key.to_owned(), value.to_owned());
    }

    /// Every key whose value differs, sorted: `from` is what is, `to` what would be.
    pub fn changes_to(&self, to: &FlatValues) -> Vec<ValueChange> {
        let mut keys: Vec<&str> = self
            .0
            .keys()
            .chain(to.0.keys())
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .filter(|k| self.get(k) != to.get(k))
            .map(|k| ValueChange {
                key: k.to_owned(),
                from: self.get(k).map(str::to_owned),
                to: to.get(k).map(str::to_owned),
            })
            .collect()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Reads the values file `written` in the pipeline file's folder (see
/// [`crate::config::values_file`]) as a JSON tree (an empty file is an empty map), for handing
/// to Helm.
pub fn read_tree(pipeline_dir: &std::path::Path, written: &str) -> Result<Value, String> {
    let text =
        crate::config::values_file::read(pipeline_dir, written).map_err(|e| e.to_string())?;
    let tree: Option<Value> =
        serde_saphyr::from_str(&text).map_err(|e| format!("{written} is not valid YAML: {e}"))?;
    Ok(tree.unwrap_or_else(|| Value::Object(Default::default())))
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, child, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, child) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), child, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        // Numbers, booleans, null and empty collections print as YAML would show them.
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_nested_maps_and_lists() {
        let v = FlatValues::parse(
            "replicaCount: 2\nresources:\n  requests:\n    cpu: 100m\nhosts: [a, b]\nempty: {}\n",
        )
        .unwrap();
        assert_eq!(v.get("replicaCount"), Some("2"));
        assert_eq!(v.get("resources.requests.cpu"), Some("100m"));
        assert_eq!(v.get("hosts[1]"), Some("b"));
        assert_eq!(v.get("empty"), Some("{}"));
        assert_eq!(v.get("resources"), None);
    }

    #[test]
    fn changes_list_what_differs_only() {
        let deployed =
            FlatValues::parse("replicaCount: 3\nimage: {tag: aaaaaaa}\nold: 1\n").unwrap();
        let mut after = FlatValues::parse("replicaCount: 3\nnew: x\n").unwrap();
        after.set("image.tag", "bbbbbbb");
        let changes = deployed.changes_to(&after);
        let rows: Vec<(&str, Option<&str>, Option<&str>)> = changes
            .iter()
            .map(|c| (c.key.as_str(), c.from.as_deref(), c.to.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                ("image.tag", Some("aaaaaaa"), Some("bbbbbbb")),
                ("new", None, Some("x")),
                ("old", Some("1"), None),
            ]
        );
    }

    #[test]
    fn empty_file_is_empty_values() {
        assert_eq!(FlatValues::parse("").unwrap(), FlatValues::default());
        assert_eq!(
            FlatValues::parse("# only a comment\n").unwrap(),
            FlatValues::default()
        );
    }

    /// Found by tests/fuzz_values.rs: `{}` read as the key `` with the value `{}`, so a release
    /// installed without values showed a change of a nameless key.
    #[test]
    fn an_empty_map_at_the_root_is_no_values() {
        assert_eq!(FlatValues::parse("{}\n").unwrap(), FlatValues::default());
        assert_eq!(
            FlatValues::from_tree(&serde_json::json!({})),
            FlatValues::default()
        );
        assert_eq!(
            FlatValues::from_tree(&serde_json::json!({"a": {}})).get("a"),
            Some("{}")
        );
    }

    #[test]
    fn broken_yaml_is_an_error_with_a_location() {
        let err = FlatValues::parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.location().is_some());
    }
}
