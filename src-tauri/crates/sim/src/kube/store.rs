//! The object store: every object as JSON, one global resourceVersion, and a bounded history of
//! changes so watches can resume from a version — or get `410 Gone` when it has been compacted,
//! as etcd does.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::resources::{Kind, ResourceType};
use super::services;
use super::status::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }
}

#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub kind: Kind,
    pub namespace: String,
    pub change: ChangeType,
    pub object: Arc<Value>,
    /// The object before this change, so filtered watches can tell entering from leaving.
    pub previous: Option<Arc<Value>>,
}

type Objects = BTreeMap<(String, String), Arc<Value>>;

pub struct Store {
    objects: HashMap<Kind, Objects>,
    rv: u64,
    /// Each change with when it was made, oldest first.
    history: VecDeque<(Instant, Arc<Change>)>,
    history_limit: usize,
    /// Watches from a version older than this get 410 Gone.
    compacted_rv: u64,
    tx: broadcast::Sender<Arc<Change>>,
    next_uid: u64,
}

/// How many changes a watch can resume across; older versions answer 410 Gone.
const DEFAULT_HISTORY: usize = 50_000;
/// How long a change stays in the history, as an API server's etcd compacts every five minutes:
/// a demo running at 60x for a day would otherwise keep 50 000 objects, and their previous
/// versions, for nobody.
const HISTORY_AGE: Duration = Duration::from_secs(5 * 60);

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    pub fn new() -> Self {
        Self {
            objects: HashMap::new(),
            rv: 1,
            history: VecDeque::new(),
            history_limit: DEFAULT_HISTORY,
            compacted_rv: 1,
            tx: broadcast::channel(16_384).0,
            next_uid: 1,
        }
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }

    /// Forgets the history up to now, as an etcd compaction does.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted_rv = self.rv;
    }

    pub fn set_history_limit(&mut self, limit: usize) {
        self.history_limit = limit.max(1);
    }

    /// Changes after `rv`, or `Gone` when they are no longer kept.
    pub fn changes_since(&self, rv: u64) -> Result<Vec<Arc<Change>>, ApiError> {
        if rv < self.compacted_rv {
            return Err(ApiError::gone(format!(
                "too old resource version: {rv} ({})",
                self.compacted_rv
            )));
        }
        Ok(self
            .history
            .iter()
            .filter(|(_, c)| c.rv > rv)
            .map(|(_, c)| c.clone())
            .collect())
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.objects
            .get(&kind)?
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Objects of `kind`, in one namespace or all, ordered by namespace then name.
    pub fn list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Value>> {
        let Some(objects) = self.objects.get(&kind) else {
            return Vec::new();
        };
        match namespace {
            Some(ns) => objects
                .range((ns.to_owned(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| v.clone())
                .collect(),
            None => objects.values().cloned().collect(),
        }
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.objects.get(&kind).map_or(0, BTreeMap::len)
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn record(&mut self, change: Change) {
        let change = Arc::new(change);
        let now = Instant::now();
        self.history.push_back((now, change.clone()));
        while self.history.len() > self.history_limit
            || self
                .history
                .front()
                .is_some_and(|(at, _)| now.duration_since(*at) > HISTORY_AGE)
        {
            if let Some((_, old)) = self.history.pop_front() {
                self.compacted_rv = old.rv;
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.tx.send(change);
    }

    fn new_uid(&mut self) -> String {
        let n = self.next_uid;
        self.next_uid += 1;
        // A UUID-shaped id: clients only compare uids, but some parse the format.
        format!("5a1ce000-0000-4000-8000-{n:012x}")
    }

    /// Stores a new object. `now` is the scenario clock's RFC 3339 time.
    pub fn create(
        &mut self,
        rt: &ResourceType,
        namespace: &str,
        mut object: Value,
        now: &str,
    ) -> Result<Arc<Value>, ApiError> {
        let name = match object["metadata"]["name"]
            .as_str()
            .filter(|n| !n.is_empty())
        {
            Some(name) => name.to_owned(),
            None => match object["metadata"]["generateName"].as_str() {
                Some(prefix) => self.generated_name(rt.kind, namespace, prefix),
                None => {
                    return Err(ApiError::invalid(
                        rt,
                        "",
                        "metadata.name: Required value: name or generateName is required",
                    ));
                }
            },
        };
        validate_name(rt, &name)?;
        if matches!(rt.kind, Kind::Service | Kind::Ingress)
            && let Some(map) = object.as_object_mut()
        {
            // A new Service or Ingress starts with an empty status, whatever the client sent.
            map.remove("status");
        }
        super::defaults::apply(rt.kind, &mut object);
        if rt.namespaced && self.get(Kind::Namespace, "", namespace).is_none() {
            return Err(ApiError::namespace_not_found(namespace));
        }
        let ns_key = if rt.namespaced { namespace } else { "" };
        if self.get(rt.kind, ns_key, &name).is_some() {
            return Err(ApiError::already_exists(rt, &name));
        }
        if rt.kind == Kind::Service {
            let taken = services::Taken::of(self.list(Kind::Service, None).iter().map(|s| &**s));
            services::allocate(&mut object, &format!("{ns_key}/{name}"), &taken)
                .map_err(|e| ApiError::invalid(rt, &name, e))?;
        }
        let rv = self.next_rv();
        let uid = self.new_uid();
        let meta = metadata_mut(&mut object);
        meta.insert("name".into(), json!(name));
        if rt.namespaced {
            meta.insert("namespace".into(), json!(namespace));
        } else {
            meta.remove("namespace");
        }
        meta.insert("uid".into(), json!(uid));
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        meta.insert("creationTimestamp".into(), json!(now));
        meta.remove("deletionTimestamp");
        if rt.has_generation {
            meta.insert("generation".into(), json!(1));
        }
        object["apiVersion"] = json!(rt.api_version());
        object["kind"] = json!(rt.kind_name);
        let object = Arc::new(object);
        self.objects
            .entry(rt.kind)
            .or_default()
            .insert((ns_key.to_owned(), name), object.clone());
        self.record(Change {
            rv,
            kind: rt.kind,
            namespace: ns_key.to_owned(),
            change: ChangeType::Added,
            object: object.clone(),
            previous: None,
        });
        Ok(object)
    }

    fn generated_name(&self, kind: Kind, namespace: &str, prefix: &str) -> String {
        // Deterministic suffixes keep seeded stories reproducible.
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        let mut n = self
            .rv
            .wrapping_mul(2_654_435_761)
            .wrapping_add(self.count(kind) as u64);
        loop {
            let mut suffix = String::new();
            let mut x = n;
            for _ in 0..5 {
                suffix.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
                x /= ALPHABET.len() as u64;
            }
            let name = format!("{prefix}{suffix}");
            if self.get(kind, namespace, &name).is_none() {
                return name;
            }
            n = n.wrapping_add(7919);
        }
    }

    /// Replaces an object. A non-empty `resourceVersion` in `object` must match the stored one.
    pub fn update(
        &mut self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        mut object: Value,
    ) -> Result<Arc<Value>, ApiError> {
        let ns_key = if rt.namespaced { namespace } else { "" };
        let Some(current) = self.get(rt.kind, ns_key, name) else {
            return Err(ApiError::not_found(rt, name));
        };
        if let Some(rv) = object["metadata"]["resourceVersion"]
            .as_str()
            .filter(|rv| !rv.is_empty())
            && Some(rv) != current["metadata"]["resourceVersion"].as_str()
        {
            return Err(ApiError::conflict(
                rt,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        if object["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n != name)
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                object["metadata"]["name"].as_str().unwrap_or_default()
            )));
        }
        super::defaults::apply(rt.kind, &mut object);
        if rt.kind == Kind::Service {
            services::keep_allocated(&current, &mut object)
                .map_err(|e| ApiError::invalid(rt, name, e))?;
        }
        // Identity and bookkeeping are the server's, whatever the client sent.
        for key in [
            "uid",
            "creationTimestamp",
            "namespace",
            "generation",
            "deletionTimestamp",
        ] {
            match current["metadata"].get(key) {
                Some(v) => {
                    metadata_mut(&mut object).insert(key.into(), v.clone());
                }
                None => {
                    metadata_mut(&mut object).remove(key);
                }
            }
        }
        metadata_mut(&mut object).insert("name".into(), json!(name));
        if rt.has_generation && current.get("spec") != object.get("spec") {
            let generation = current["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
            metadata_mut(&mut object).insert("generation".into(), json!(generation));
        }
        object["apiVersion"] = json!(rt.api_version());
        object["kind"] = json!(rt.kind_name);
        if *current == object_with_rv(&object, &current) {
            // Nothing changed: Kubernetes answers with the stored object and bumps nothing.
            return Ok(current);
        }
        let rv = self.next_rv();
        metadata_mut(&mut object).insert("resourceVersion".into(), json!(rv.to_string()));
        let object = Arc::new(object);
        self.objects
            .entry(rt.kind)
            .or_default()
            .insert((ns_key.to_owned(), name.to_owned()), object.clone());
        self.record(Change {
            rv,
            kind: rt.kind,
            namespace: ns_key.to_owned(),
            change: ChangeType::Modified,
            object: object.clone(),
            previous: Some(current),
        });
        Ok(object)
    }

    /// Starts a graceful deletion: the object stays, with `deletionTimestamp` set, until its
    /// controller removes it. Clients cannot set that field through `update`.
    pub fn mark_deleting(
        &mut self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        now: &str,
    ) -> Result<Arc<Value>, ApiError> {
        let ns_key = if rt.namespaced { namespace } else { "" };
        let current = self
            .get(rt.kind, ns_key, name)
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        if current["metadata"]["deletionTimestamp"].is_string() {
            return Ok(current);
        }
        let mut next = (*current).clone();
        let rv = self.next_rv();
        let meta = metadata_mut(&mut next);
        meta.insert("deletionTimestamp".into(), json!(now));
        meta.insert("deletionGracePeriodSeconds".into(), json!(30));
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        let next = Arc::new(next);
        self.objects
            .entry(rt.kind)
            .or_default()
            .insert((ns_key.to_owned(), name.to_owned()), next.clone());
        self.record(Change {
            rv,
            kind: rt.kind,
            namespace: ns_key.to_owned(),
            change: ChangeType::Modified,
            object: next.clone(),
            previous: Some(current),
        });
        Ok(next)
    }

    pub fn delete(
        &mut self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
    ) -> Result<Arc<Value>, ApiError> {
        let ns_key = if rt.namespaced { namespace } else { "" };
        let removed = self
            .objects
            .get_mut(&rt.kind)
            .and_then(|o| o.remove(&(ns_key.to_owned(), name.to_owned())))
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        let rv = self.next_rv();
        let mut gone = (*removed).clone();
        metadata_mut(&mut gone).insert("resourceVersion".into(), json!(rv.to_string()));
        let gone = Arc::new(gone);
        self.record(Change {
            rv,
            kind: rt.kind,
            namespace: ns_key.to_owned(),
            change: ChangeType::Deleted,
            object: gone.clone(),
            previous: Some(removed),
        });
        Ok(gone)
    }
}

/// `candidate` with the resourceVersion of `current`, to compare content only.
fn object_with_rv(candidate: &Value, current: &Value) -> Value {
    let mut c = candidate.clone();
    metadata_mut(&mut c).insert(
        "resourceVersion".into(),
        current["metadata"]["resourceVersion"].clone(),
    );
    c
}

pub fn metadata_mut(object: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !object.is_object() {
        *object = json!({});
    }
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    match object.get_mut("metadata").and_then(Value::as_object_mut) {
        Some(meta) => meta,
        // Unreachable after the two guards above; keep the function total without panicking.
        None => unreachable_metadata(),
    }
}

#[allow(clippy::panic)]
fn unreachable_metadata() -> ! {
    panic!("metadata was just made an object")
}

/// DNS-1123 subdomain rules for object names, as the apiserver validates them.
fn validate_name(rt: &ResourceType, name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        && name
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphanumeric);
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            rt,
            name,
            format!(
                "metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-26T09:00:00Z";

    fn store_with_ns(ns: &str) -> Store {
        let mut s = Store::new();
        s.create(
            ResourceType::of(Kind::Namespace),
            "",
            json!({"metadata": {"name": ns}}),
            NOW,
        )
        .unwrap();
        s
    }

    #[test]
    fn create_get_update_delete_with_versions() {
        let mut s = store_with_ns("dev");
        let cm = ResourceType::of(Kind::ConfigMap);
        let created = s
            .create(
                cm,
                "dev",
                json!({"metadata": {"name": "a"}, "data": {"k": "1"}}),
                NOW,
            )
            .unwrap();
        assert_eq!(created["metadata"]["namespace"], "dev");
        assert_eq!(created["kind"], "ConfigMap");
        let rv = created["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_owned();

        let mut stale = (*created).clone();
        stale["data"]["k"] = json!("2");
        let updated = s.update(cm, "dev", "a", stale.clone()).unwrap();
        assert_ne!(updated["metadata"]["resourceVersion"], json!(rv));
        // The same resourceVersion again is now stale.
        let err = s.update(cm, "dev", "a", stale).unwrap_err();
        assert_eq!((err.code, err.reason), (409, "Conflict"));

        assert_eq!(s.list(Kind::ConfigMap, Some("dev")).len(), 1);
        s.delete(cm, "dev", "a").unwrap();
        assert!(s.get(Kind::ConfigMap, "dev", "a").is_none());
        assert_eq!(s.delete(cm, "dev", "a").unwrap_err().code, 404);
    }

    #[test]
    fn create_needs_the_namespace_and_a_valid_unique_name() {
        let mut s = store_with_ns("dev");
        let cm = ResourceType::of(Kind::ConfigMap);
        assert_eq!(
            s.create(cm, "nope", json!({"metadata": {"name": "a"}}), NOW)
                .unwrap_err()
                .code,
            404
        );
        assert_eq!(
            s.create(cm, "dev", json!({"metadata": {"name": "Bad_Name"}}), NOW)
                .unwrap_err()
                .code,
            422
        );
        s.create(cm, "dev", json!({"metadata": {"name": "a"}}), NOW)
            .unwrap();
        assert_eq!(
            s.create(cm, "dev", json!({"metadata": {"name": "a"}}), NOW)
                .unwrap_err()
                .code,
            409
        );
        let g = s
            .create(cm, "dev", json!({"metadata": {"generateName": "a-"}}), NOW)
            .unwrap();
        assert!(g["metadata"]["name"].as_str().unwrap().starts_with("a-"));
    }

    #[test]
    fn generation_moves_with_spec_only() {
        let mut s = store_with_ns("dev");
        let d = ResourceType::of(Kind::Deployment);
        let created = s
            .create(
                d,
                "dev",
                json!({"metadata": {"name": "web"}, "spec": {"replicas": 1}}),
                NOW,
            )
            .unwrap();
        assert_eq!(created["metadata"]["generation"], 1);
        let mut labelled = (*created).clone();
        labelled["metadata"]["labels"] = json!({"a": "b"});
        assert_eq!(
            s.update(d, "dev", "web", labelled).unwrap()["metadata"]["generation"],
            1
        );
        let mut scaled = (*s.get(Kind::Deployment, "dev", "web").unwrap()).clone();
        scaled["spec"]["replicas"] = json!(3);
        assert_eq!(
            s.update(d, "dev", "web", scaled).unwrap()["metadata"]["generation"],
            2
        );
    }

    #[test]
    fn history_is_bounded_and_compaction_means_gone() {
        let mut s = store_with_ns("dev");
        let start = s.resource_version();
        let cm = ResourceType::of(Kind::ConfigMap);
        s.create(cm, "dev", json!({"metadata": {"name": "a"}}), NOW)
            .unwrap();
        assert_eq!(s.changes_since(start).unwrap().len(), 1);
        s.compact();
        assert_eq!(s.changes_since(start).unwrap_err().code, 410);
        assert!(s.changes_since(s.resource_version()).unwrap().is_empty());
    }
}
