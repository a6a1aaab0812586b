//! The controllers that make the cluster move: Deployments roll out through ReplicaSets, the
//! simulated kubelet walks pods through their lifecycle on the scenario clock, owners' deaths
//! take their dependents along, and Events say what happened.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use sha2::{Digest, Sha256};

use super::resources::{Kind, ResourceType};
use super::store::{Change, metadata_mut};
use super::world::{Breakage, KubeWorld, PodTimings};

const REVISION: &str = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
const HASH_LABEL: &str = "pod-template-hash";
const NODE: &str = "sim-node-1";
/// Events older than this are dropped, as the apiserver's event TTL does.
const EVENT_TTL: Duration = Duration::from_secs(3600);

type Key = (Kind, String, String);

/// Runs every controller until the world is dropped.
pub async fn run(world: KubeWorld) {
    let mut changes = world.lock().store.subscribe();
    let mut dirty: BTreeSet<Key> = BTreeSet::new();
    let mut timers: BTreeMap<Timestamp, BTreeSet<Key>> = BTreeMap::new();
    enqueue_everything(&world, &mut dirty);
    loop {
        // Drain what is already queued without awaiting, so bursts coalesce.
        loop {
            match changes.try_recv() {
                Ok(change) => enqueue_change(&world, &change, &mut dirty),
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                    enqueue_everything(&world, &mut dirty)
                }
                Err(_) => break,
            }
        }
        let now = world.clock.now();
        let due: Vec<Timestamp> = timers.range(..=now).map(|(t, _)| *t).collect();
        for t in due {
            if let Some(keys) = timers.remove(&t) {
                dirty.extend(keys);
            }
        }
        // Pods first, then their ReplicaSets, then Deployments: each sees the others' latest.
        let batch: Vec<Key> = std::mem::take(&mut dirty).into_iter().collect();
        for kind in [
            Kind::Namespace,
            Kind::Pod,
            Kind::ReplicaSet,
            Kind::Deployment,
            Kind::Job,
            Kind::Event,
        ] {
            for (k, ns, name) in batch.iter().filter(|(k, _, _)| *k == kind) {
                let next = match k {
                    Kind::Namespace => reconcile_service_account(&world, name),
                    Kind::Pod => reconcile_pod(&world, ns, name),
                    Kind::ReplicaSet => reconcile_replicaset(&world, ns, name),
                    Kind::Deployment => reconcile_deployment(&world, ns, name),
                    Kind::Job => reconcile_job(&world, ns, name),
                    _ => expire_event(&world, ns, name),
                };
                if let Some(at) = next {
                    timers
                        .entry(at)
                        .or_default()
                        .insert((*k, ns.clone(), name.clone()));
                }
            }
        }
        if !dirty.is_empty() {
            continue;
        }
        let next_timer = timers.keys().next().copied();
        let clock = world.clock.clone();
        tokio::select! {
            change = changes.recv() => match change {
                Ok(change) => enqueue_change(&world, &change, &mut dirty),
                Err(RecvError::Lagged(_)) => enqueue_everything(&world, &mut dirty),
                Err(RecvError::Closed) => return,
            },
            _ = async move {
                match next_timer {
                    Some(t) => clock.sleep_until(t).await,
                    None => std::future::pending().await,
                }
            } => {}
        }
    }
}

fn key_of(kind: Kind, o: &Value) -> Key {
    (
        kind,
        o["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn enqueue_everything(world: &KubeWorld, dirty: &mut BTreeSet<Key>) {
    for kind in [
        Kind::Namespace,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::Pod,
        Kind::Job,
        Kind::Event,
    ] {
        for o in world.list(kind, None) {
            dirty.insert(key_of(kind, &o));
        }
    }
}

fn owner_uid(o: &Value) -> Option<&str> {
    o["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
        .and_then(|r| r["uid"].as_str())
}

fn find_by_uid(world: &KubeWorld, kind: Kind, namespace: &str, uid: &str) -> Option<Arc<Value>> {
    world
        .list(kind, Some(namespace))
        .into_iter()
        .find(|o| o["metadata"]["uid"].as_str() == Some(uid))
}

fn enqueue_change(world: &KubeWorld, change: &Change, dirty: &mut BTreeSet<Key>) {
    let o = &change.object;
    match change.kind {
        Kind::Deployment => {
            dirty.insert(key_of(Kind::Deployment, o));
            if change.change == super::store::ChangeType::Deleted {
                // Orphaned ReplicaSets are collected by their own reconcile.
                for rs in world.list(Kind::ReplicaSet, Some(&change.namespace)) {
                    if owner_uid(&rs) == o["metadata"]["uid"].as_str() {
                        dirty.insert(key_of(Kind::ReplicaSet, &rs));
                    }
                }
            }
        }
        Kind::ReplicaSet => {
            dirty.insert(key_of(Kind::ReplicaSet, o));
            if let Some(uid) = owner_uid(o)
                && let Some(d) = find_by_uid(world, Kind::Deployment, &change.namespace, uid)
            {
                dirty.insert(key_of(Kind::Deployment, &d));
            }
            if change.change == super::store::ChangeType::Deleted {
                for pod in world.list(Kind::Pod, Some(&change.namespace)) {
                    if owner_uid(&pod) == o["metadata"]["uid"].as_str() {
                        dirty.insert(key_of(Kind::Pod, &pod));
                    }
                }
            }
        }
        Kind::Pod => {
            dirty.insert(key_of(Kind::Pod, o));
            if let Some(uid) = owner_uid(o)
                && let Some(rs) = find_by_uid(world, Kind::ReplicaSet, &change.namespace, uid)
            {
                dirty.insert(key_of(Kind::ReplicaSet, &rs));
            }
        }
        Kind::Job if change.change == super::store::ChangeType::Added => {
            dirty.insert(key_of(Kind::Job, o));
        }
        Kind::Event if change.change == super::store::ChangeType::Added => {
            dirty.insert(key_of(Kind::Event, o));
        }
        Kind::Namespace if change.change == super::store::ChangeType::Added => {
            dirty.insert(key_of(Kind::Namespace, o));
        }
        Kind::ServiceAccount
            if change.change == super::store::ChangeType::Deleted
                && o["metadata"]["name"] == DEFAULT_SERVICE_ACCOUNT =>
        {
            dirty.insert((Kind::Namespace, String::new(), change.namespace.clone()));
        }
        _ => {}
    }
}

/// Every namespace has a `default` ServiceAccount, recreated if deleted (the controller
/// manager's serviceaccount controller).
const DEFAULT_SERVICE_ACCOUNT: &str = "default";

fn reconcile_service_account(world: &KubeWorld, namespace: &str) -> Option<Timestamp> {
    let ns = world.get(Kind::Namespace, "", namespace)?;
    if ns["metadata"]["deletionTimestamp"].is_null()
        && world
            .get(Kind::ServiceAccount, namespace, DEFAULT_SERVICE_ACCOUNT)
            .is_none()
    {
        // Lost to a concurrent create: it exists then, which is all this wants.
        let _ = world.create(
            Kind::ServiceAccount,
            namespace,
            json!({"metadata": {"name": DEFAULT_SERVICE_ACCOUNT}}),
        );
    }
    None
}

fn ts(o: &Value, path: &[&str]) -> Option<Timestamp> {
    let mut node = o;
    for p in path {
        node = &node[*p];
    }
    node.as_str()?.parse().ok()
}

fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn after(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_add(d).unwrap_or(t)
}

fn write(world: &KubeWorld, kind: Kind, object: Value) {
    let ns = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // A conflict means someone wrote in between: their change re-queues this object.
    let _ = world
        .lock()
        .store
        .update(ResourceType::of(kind), &ns, &name, object);
}

/// Records an Event, folding repeats into a count as the apiserver's event sink does.
pub fn record_event(
    world: &KubeWorld,
    involved: &Value,
    kind: &str,
    event_type: &str,
    reason: &str,
    message: &str,
    component: &str,
) {
    let ns = involved["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_owned();
    let uid = involved["metadata"]["uid"].as_str().unwrap_or_default();
    let now = world.now_rfc3339();
    let existing = world.list(Kind::Event, Some(&ns)).into_iter().find(|e| {
        e["involvedObject"]["uid"].as_str() == Some(uid)
            && e["reason"] == reason
            && e["message"] == message
    });
    if let Some(e) = existing {
        let mut e = (*e).clone();
        e["count"] = json!(e["count"].as_i64().unwrap_or(1) + 1);
        e["lastTimestamp"] = json!(now);
        write(world, Kind::Event, e);
        return;
    }
    let name = format!(
        "{}.{:x}",
        involved["metadata"]["name"].as_str().unwrap_or("object"),
        world.lock().store.resource_version() * 7919
    );
    let api_version = involved["apiVersion"].clone();
    let _ = world.create(
        Kind::Event,
        &ns,
        json!({
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": {"kind": kind, "namespace": ns, "name": involved["metadata"]["name"], "uid": uid, "apiVersion": api_version},
            "reason": reason,
            "message": message,
            "type": event_type,
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": {"component": component},
            "reportingComponent": component,
            "reportingInstance": "",
        }),
    );
}

fn expire_event(world: &KubeWorld, ns: &str, name: &str) -> Option<Timestamp> {
    let e = world.get(Kind::Event, ns, name)?;
    let last = ts(&e, &["lastTimestamp"]).or_else(|| ts(&e, &["metadata", "creationTimestamp"]))?;
    let expires = after(last, EVENT_TTL);
    if world.clock.now() >= expires {
        let _ = world
            .lock()
            .store
            .delete(ResourceType::of(Kind::Event), ns, name);
        None
    } else {
        Some(expires)
    }
}

// ---- pods: the simulated kubelet ---------------------------------------------------------

/// Where a pod is in its life at a moment, and when that changes next.
struct PodState {
    phase: &'static str,
    scheduled: bool,
    /// (waiting reason | None when running, ready, restarts, last termination)
    waiting: Option<&'static str>,
    running_since: Option<Timestamp>,
    ready: bool,
    restarts: i64,
    last_terminated: Option<Timestamp>,
    /// A stable name for this stage, to emit Events once per transition.
    stage: String,
    next: Option<Timestamp>,
}

fn backoff(k: u32) -> Duration {
    Duration::from_secs((10u64 << k.min(5)).min(300))
}

fn pod_state(
    created: Timestamp,
    now: Timestamp,
    t: &PodTimings,
    breakage: Option<Breakage>,
) -> PodState {
    let scheduled_at = after(created, t.schedule);
    let started_at = after(scheduled_at, t.pull);
    let mut s = PodState {
        phase: "Pending",
        scheduled: false,
        waiting: None,
        running_since: None,
        ready: false,
        restarts: 0,
        last_terminated: None,
        stage: "pending".into(),
        next: Some(scheduled_at),
    };
    if now < scheduled_at {
        return s;
    }
    s.scheduled = true;
    s.waiting = Some("ContainerCreating");
    s.stage = "scheduled".into();
    s.next = Some(started_at);
    if now < started_at {
        return s;
    }
    match breakage {
        None => {
            let ready_at = after(started_at, t.ready);
            s.phase = "Running";
            s.waiting = None;
            s.running_since = Some(started_at);
            s.ready = now >= ready_at;
            s.stage = if s.ready {
                "ready".into()
            } else {
                "started".into()
            };
            s.next = (!s.ready).then_some(ready_at);
        }
        Some(breakage @ (Breakage::CrashLoop | Breakage::CrashLoopAfter(_))) => {
            // A crash-looping container runs 2 s each time; one that breaks later first runs
            // healthy (and becomes ready) for as long as it was given.
            let first_run = match breakage {
                Breakage::CrashLoopAfter(healthy) => healthy,
                _ => Duration::from_secs(2),
            };
            s.phase = "Running";
            let mut run_start = started_at;
            let mut k = 0u32;
            loop {
                let run = if k == 0 {
                    first_run
                } else {
                    Duration::from_secs(2)
                };
                let crash_at = after(run_start, run);
                if now < crash_at {
                    let ready_at = after(run_start, t.ready);
                    s.waiting = None;
                    s.running_since = Some(run_start);
                    s.restarts = i64::from(k);
                    s.ready = ready_at < crash_at && now >= ready_at;
                    s.stage = if s.ready {
                        format!("run:{k}:ready")
                    } else {
                        format!("run:{k}")
                    };
                    s.next = Some(if ready_at < crash_at && !s.ready {
                        ready_at
                    } else {
                        crash_at
                    });
                    break;
                }
                let restart_at = after(crash_at, backoff(k));
                if now < restart_at {
                    s.waiting = Some("CrashLoopBackOff");
                    s.restarts = i64::from(k) + 1;
                    s.last_terminated = Some(crash_at);
                    s.stage = format!("crash:{k}");
                    s.next = Some(restart_at);
                    break;
                }
                run_start = restart_at;
                k += 1;
            }
        }
        Some(Breakage::ImagePull) => {
            let mut attempt_at = started_at;
            let mut k = 0u32;
            loop {
                let backoff_at = after(attempt_at, Duration::from_secs(5));
                if now < backoff_at {
                    s.waiting = Some("ErrImagePull");
                    s.stage = format!("pullfail:{k}");
                    s.next = Some(backoff_at);
                    break;
                }
                let retry_at = after(backoff_at, backoff(k));
                if now < retry_at {
                    s.waiting = Some("ImagePullBackOff");
                    s.stage = format!("pullbackoff:{k}");
                    s.next = Some(retry_at);
                    break;
                }
                attempt_at = retry_at;
                k += 1;
            }
        }
    }
    s
}

fn pod_ip(name: &str) -> String {
    let h = name
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("10.244.{}.{}", (h >> 8) % 250 + 1, h % 250 + 2)
}

fn reconcile_pod(world: &KubeWorld, ns: &str, name: &str) -> Option<Timestamp> {
    let pod = world.get(Kind::Pod, ns, name)?;
    let now = world.clock.now();
    let (timings, broken) = {
        let state = world.lock();
        let image = pod["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let crashing_owner = owner_uid(&pod)
            .and_then(|uid| state.crash_looping_replicasets.get(uid))
            .map(|&healthy| {
                if healthy.is_zero() {
                    Breakage::CrashLoop
                } else {
                    Breakage::CrashLoopAfter(healthy)
                }
            });
        let broken = state.broken_images.get(&image).copied().or(crashing_owner);
        (state.timings, broken)
    };
    if let Some(deleting) = ts(&pod, &["metadata", "deletionTimestamp"]) {
        let gone_at = after(deleting, timings.terminate);
        if now >= gone_at {
            let _ = world
                .lock()
                .store
                .delete(ResourceType::of(Kind::Pod), ns, name);
            return None;
        }
        return Some(gone_at);
    }
    let created = ts(&pod, &["metadata", "creationTimestamp"])?;
    // Broken images apply from the next start: a pod already running stays as it was.
    let s = pod_state(created, now, &timings, broken);
    let previous_stage = pod["metadata"]["annotations"]["sim.sluice.dev/stage"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let mut next = (*pod).clone();
    let containers: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            let state = match (s.waiting, s.running_since) {
                (Some(reason), _) => {
                    let message = match reason {
                        "CrashLoopBackOff" => format!("back-off restarting failed container {} in pod {name}", c["name"].as_str().unwrap_or_default()),
                        "ErrImagePull" | "ImagePullBackOff" => format!("Back-off pulling image \"{}\"", c["image"].as_str().unwrap_or_default()),
                        _ => String::new(),
                    };
                    if message.is_empty() { json!({"waiting": {"reason": reason}}) } else { json!({"waiting": {"reason": reason, "message": message}}) }
                }
                (None, Some(since)) => json!({"running": {"startedAt": rfc3339(since)}}),
                (None, None) => json!({"waiting": {"reason": "ContainerCreating"}}),
            };
            let mut status = json!({
                "name": c["name"],
                "image": c["image"],
                "imageID": "",
                "ready": s.ready,
                "restartCount": s.restarts,
                "started": s.running_since.is_some() && s.waiting.is_none(),
                "state": state,
            });
            if let Some(t) = s.last_terminated {
                status["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": rfc3339(t), "finishedAt": rfc3339(t)}});
            }
            if s.running_since.is_some() {
                status["imageID"] = json!(image_id(c["image"].as_str().unwrap_or_default()));
                status["containerID"] = json!(format!("containerd://{:064x}", name.len() as u64 * 7919 + s.restarts as u64));
            }
            status
        })
        .collect();
    let condition = |ty: &str, ok: bool| json!({"type": ty, "status": if ok { "True" } else { "False" }, "lastProbeTime": null, "lastTransitionTime": rfc3339(created)});
    let mut status =
        json!({"phase": s.phase, "qosClass": "Burstable", "startTime": rfc3339(created)});
    if s.scheduled {
        next["spec"]["nodeName"] = json!(NODE);
        status["hostIP"] = json!("10.0.0.11");
        status["podIP"] = json!(pod_ip(name));
        status["podIPs"] = json!([{"ip": pod_ip(name)}]);
        status["conditions"] = json!([
            condition(
                "PodReadyToStartContainers",
                s.running_since.is_some() || s.waiting != Some("ContainerCreating")
            ),
            condition("Initialized", true),
            condition("Ready", s.ready),
            condition("ContainersReady", s.ready),
            condition("PodScheduled", true),
        ]);
        status["containerStatuses"] = json!(statuses);
    } else {
        status["conditions"] = json!([condition("PodScheduled", false)]);
    }
    next["status"] = status;
    metadata_mut(&mut next)
        .entry("annotations")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .map(|a| a.insert("sim.sluice.dev/stage".into(), json!(s.stage)));
    if next != *pod {
        write(world, Kind::Pod, next);
    }
    if s.stage != previous_stage {
        pod_events(world, &pod, &previous_stage, &s);
    }
    s.next
}

fn pod_events(world: &KubeWorld, pod: &Value, previous: &str, s: &PodState) {
    let image = pod["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default();
    let container = pod["spec"]["containers"][0]["name"]
        .as_str()
        .unwrap_or_default();
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or_default();
    let ev = |t: &str, reason: &str, message: String, component: &str| {
        record_event(world, pod, "Pod", t, reason, &message, component)
    };
    if s.scheduled && (previous.is_empty() || previous == "pending") {
        ev(
            "Normal",
            "Scheduled",
            format!("Successfully assigned {ns}/{name} to {NODE}"),
            "default-scheduler",
        );
    }
    match s.stage.as_str() {
        "started" | "ready" | "run:0" | "run:0:ready"
            if !previous.starts_with("started")
                && !previous.starts_with("run")
                && previous != "ready" =>
        {
            ev(
                "Normal",
                "Pulling",
                format!("Pulling image \"{image}\""),
                "kubelet",
            );
            ev(
                "Normal",
                "Pulled",
                format!("Successfully pulled image \"{image}\""),
                "kubelet",
            );
            ev(
                "Normal",
                "Created",
                format!("Created container: {container}"),
                "kubelet",
            );
            ev(
                "Normal",
                "Started",
                format!("Started container {container}"),
                "kubelet",
            );
        }
        stage if stage.starts_with("crash:") => {
            ev(
                "Warning",
                "BackOff",
                format!("Back-off restarting failed container {container} in pod {name}_{ns}"),
                "kubelet",
            );
        }
        stage if stage.starts_with("pullfail:") => {
            ev(
                "Normal",
                "Pulling",
                format!("Pulling image \"{image}\""),
                "kubelet",
            );
            ev(
                "Warning",
                "Failed",
                format!(
                    "Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found"
                ),
                "kubelet",
            );
            ev(
                "Warning",
                "Failed",
                "Error: ErrImagePull".to_owned(),
                "kubelet",
            );
        }
        stage if stage.starts_with("pullbackoff:") => {
            ev(
                "Normal",
                "BackOff",
                format!("Back-off pulling image \"{image}\""),
                "kubelet",
            );
            ev(
                "Warning",
                "Failed",
                "Error: ImagePullBackOff".to_owned(),
                "kubelet",
            );
        }
        _ => {}
    }
}

// ---- replicasets ---------------------------------------------------------------------------

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn pod_ready(p: &Value) -> bool {
    p["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

fn reconcile_replicaset(world: &KubeWorld, ns: &str, name: &str) -> Option<Timestamp> {
    let rs = world.get(Kind::ReplicaSet, ns, name)?;
    let uid = rs["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // Garbage collection: a ReplicaSet whose owning Deployment is gone goes too.
    if let Some(owner) = owner_uid(&rs)
        && find_by_uid(world, Kind::Deployment, ns, owner).is_none()
    {
        let _ = world
            .lock()
            .store
            .delete(ResourceType::of(Kind::ReplicaSet), ns, name);
        for pod in world
            .list(Kind::Pod, Some(ns))
            .iter()
            .filter(|p| owner_uid(p) == Some(&uid))
        {
            let _ = world.lock().store.delete(
                ResourceType::of(Kind::Pod),
                ns,
                pod["metadata"]["name"].as_str().unwrap_or_default(),
            );
        }
        return None;
    }
    let pods: Vec<Arc<Value>> = world
        .list(Kind::Pod, Some(ns))
        .into_iter()
        .filter(|p| owner_uid(p) == Some(&uid))
        .collect();
    let mut live: Vec<&Arc<Value>> = pods
        .iter()
        .filter(|p| !p["metadata"]["deletionTimestamp"].is_string())
        .collect();
    let desired = int(&rs["spec"]["replicas"]);
    let diff = desired - live.len() as i64;
    if diff > 0 {
        let template = &rs["spec"]["template"];
        for _ in 0..diff {
            let pod = json!({
                "metadata": {
                    "generateName": format!("{name}-"),
                    "namespace": ns,
                    "labels": template["metadata"]["labels"],
                    "annotations": template["metadata"]["annotations"].as_object().cloned().unwrap_or_default(),
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}],
                },
                "spec": template["spec"],
                "status": {"phase": "Pending"},
            });
            if let Ok(created) = world.create(Kind::Pod, ns, pod) {
                let pod_name = created["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                record_event(
                    world,
                    &rs,
                    "ReplicaSet",
                    "Normal",
                    "SuccessfulCreate",
                    &format!("Created pod: {pod_name}"),
                    "replicaset-controller",
                );
            }
        }
    } else if diff < 0 {
        // Delete the least useful pods first: not ready, then the newest.
        live.sort_by_key(|p| {
            (
                pod_ready(p),
                std::cmp::Reverse(
                    p["metadata"]["creationTimestamp"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ),
            )
        });
        let now = world.now_rfc3339();
        for p in live.iter().take((-diff) as usize) {
            let pod_name = p["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let _ =
                world
                    .lock()
                    .store
                    .mark_deleting(ResourceType::of(Kind::Pod), ns, &pod_name, &now);
            record_event(
                world,
                &rs,
                "ReplicaSet",
                "Normal",
                "SuccessfulDelete",
                &format!("Deleted pod: {pod_name}"),
                "replicaset-controller",
            );
        }
    }
    let pods: Vec<Arc<Value>> = world
        .list(Kind::Pod, Some(ns))
        .into_iter()
        .filter(|p| owner_uid(p) == Some(&uid) && !p["metadata"]["deletionTimestamp"].is_string())
        .collect();
    let ready = pods.iter().filter(|p| pod_ready(p)).count();
    let mut next = (*rs).clone();
    next["status"] = json!({
        "replicas": pods.len(),
        "fullyLabeledReplicas": pods.len(),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": rs["metadata"]["generation"],
    });
    if next != *rs {
        write(world, Kind::ReplicaSet, next);
    }
    None
}

// ---- deployments ---------------------------------------------------------------------------

/// A stable hash of the pod template, as the pod-template-hash label (FNV-1a, base-36-ish).
pub fn template_hash(template: &Value) -> String {
    let mut t = template.clone();
    if let Some(labels) = t["metadata"]["labels"].as_object_mut() {
        labels.remove(HASH_LABEL);
    }
    let text = canonical(&t);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut out = String::new();
    let mut x = h;
    for _ in 0..10 {
        out.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
        x /= ALPHABET.len() as u64;
    }
    out
}

/// JSON with object keys sorted at every level and empty values left out, so templates that
/// mean the same (`resources: {}` or not, any key order) hash the same, as the deployment
/// controller's semantic comparison treats them.
fn canonical(v: &Value) -> String {
    let is_empty = |v: &Value| match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().filter(|k| !is_empty(&map[*k])).collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&map[*k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// `maxSurge`/`maxUnavailable`: an int or a percentage of `replicas`.
fn resolve(value: &Value, replicas: i64, round_up: bool, default_percent: i64) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => {
            let pct = s
                .trim_end_matches('%')
                .parse::<i64>()
                .unwrap_or(default_percent);
            let scaled = replicas * pct;
            if round_up {
                (scaled + 99) / 100
            } else {
                scaled / 100
            }
        }
        _ => {
            let scaled = replicas * default_percent;
            if round_up {
                (scaled + 99) / 100
            } else {
                scaled / 100
            }
        }
    }
}

fn revision(o: &Value) -> i64 {
    o["metadata"]["annotations"][REVISION]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn scale(world: &KubeWorld, deployment: &Value, rs: &Value, replicas: i64) {
    let current = int(&rs["spec"]["replicas"]);
    if current == replicas {
        return;
    }
    let mut next = rs.clone();
    next["spec"]["replicas"] = json!(replicas);
    let ann = metadata_mut(&mut next)
        .entry("annotations")
        .or_insert_with(|| json!({}));
    ann["deployment.kubernetes.io/desired-replicas"] =
        json!(int(&deployment["spec"]["replicas"]).to_string());
    let rs_name = rs["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    write(world, Kind::ReplicaSet, next);
    let direction = if replicas > current { "up" } else { "down" };
    let message = format!("Scaled {direction} replica set {rs_name} from {current} to {replicas}");
    record_event(
        world,
        deployment,
        "Deployment",
        "Normal",
        "ScalingReplicaSet",
        &message,
        "deployment-controller",
    );
}

/// The deployment's own annotations (change-cause among them) follow it onto its newest
/// ReplicaSet, as the deployment controller does; that is where `rollout history` reads them.
fn sync_annotations(world: &KubeWorld, d: &Value, rs: Value) -> Value {
    let mut next = rs.clone();
    let skip = [
        REVISION,
        "deployment.kubernetes.io/revision-history",
        "kubectl.kubernetes.io/last-applied-configuration",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
    ];
    for (k, v) in d["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if !skip.contains(&k.as_str()) {
            metadata_mut(&mut next)
                .entry("annotations")
                .or_insert_with(|| json!({}))[k] = v.clone();
        }
    }
    if next != rs {
        write(world, Kind::ReplicaSet, next.clone());
    }
    next
}

fn reconcile_deployment(world: &KubeWorld, ns: &str, name: &str) -> Option<Timestamp> {
    let d = world.get(Kind::Deployment, ns, name)?;
    let uid = d["metadata"]["uid"].as_str().unwrap_or_default().to_owned();
    if d["spec"]["paused"] == true {
        return None;
    }
    let template = d["spec"]["template"].clone();
    let hash = template_hash(&template);
    let owned: Vec<Arc<Value>> = world
        .list(Kind::ReplicaSet, Some(ns))
        .into_iter()
        .filter(|rs| owner_uid(rs) == Some(&uid))
        .collect();
    let max_revision = owned.iter().map(|rs| revision(rs)).max().unwrap_or(0);
    let replicas = d["spec"]["replicas"].as_i64().unwrap_or(1);

    let new_rs = match owned
        .iter()
        .find(|rs| rs["metadata"]["labels"][HASH_LABEL].as_str() == Some(&hash))
    {
        Some(rs) => {
            let rs = (**rs).clone();
            if revision(&rs) < max_revision {
                // A rollback to this template: it becomes the newest revision again.
                let mut bumped = rs.clone();
                let old = revision(&rs).to_string();
                let ann = metadata_mut(&mut bumped)
                    .entry("annotations")
                    .or_insert_with(|| json!({}));
                ann[REVISION] = json!((max_revision + 1).to_string());
                let history = ann["deployment.kubernetes.io/revision-history"]
                    .as_str()
                    .map(|h| format!("{h},{old}"))
                    .unwrap_or(old);
                ann["deployment.kubernetes.io/revision-history"] = json!(history);
                if let Some(cause) = d["metadata"]["annotations"][CHANGE_CAUSE].as_str() {
                    ann[CHANGE_CAUSE] = json!(cause);
                }
                write(world, Kind::ReplicaSet, bumped);
                return Some(world.clock.now());
            }
            sync_annotations(world, &d, rs)
        }
        None => {
            let mut rs_template = template.clone();
            rs_template["metadata"]["labels"][HASH_LABEL] = json!(hash);
            let mut selector = d["spec"]["selector"].clone();
            selector["matchLabels"][HASH_LABEL] = json!(hash);
            let mut labels = template["metadata"]["labels"].clone();
            labels[HASH_LABEL] = json!(hash);
            let mut annotations = json!({
                REVISION: (max_revision + 1).to_string(),
                "deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                "deployment.kubernetes.io/max-replicas": (replicas + resolve(&d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], replicas, true, 25)).to_string(),
            });
            if let Some(cause) = d["metadata"]["annotations"][CHANGE_CAUSE].as_str() {
                annotations[CHANGE_CAUSE] = json!(cause);
            }
            let rs = json!({
                "metadata": {
                    "name": format!("{name}-{hash}"),
                    "namespace": ns,
                    "labels": labels,
                    "annotations": annotations,
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}],
                },
                "spec": {"replicas": 0, "minReadySeconds": d["spec"]["minReadySeconds"].as_i64().unwrap_or(0), "selector": selector, "template": rs_template},
            });
            match world.create(Kind::ReplicaSet, ns, rs) {
                Ok(created) => {
                    spend_rollout_crash(world, ns, name, &created);
                    (*created).clone()
                }
                Err(_) => return None,
            }
        }
    };
    let new_name = new_rs["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let olds: Vec<Value> = {
        let mut olds: Vec<Value> = world
            .list(Kind::ReplicaSet, Some(ns))
            .into_iter()
            .filter(|rs| {
                owner_uid(rs) == Some(&uid) && rs["metadata"]["name"].as_str() != Some(&new_name)
            })
            .map(|rs| (*rs).clone())
            .collect();
        olds.sort_by_key(revision);
        olds
    };

    let strategy = d["spec"]["strategy"]["type"]
        .as_str()
        .unwrap_or("RollingUpdate");
    let new_spec = int(&new_rs["spec"]["replicas"]);
    if strategy == "Recreate" {
        for old in &olds {
            scale(world, &d, old, 0);
        }
        let old_running: i64 = olds.iter().map(|rs| int(&rs["status"]["replicas"])).sum();
        if old_running == 0 {
            scale(world, &d, &new_rs, replicas);
        }
    } else {
        let ru = &d["spec"]["strategy"]["rollingUpdate"];
        let surge = resolve(&ru["maxSurge"], replicas, true, 25);
        let mut unavailable = resolve(&ru["maxUnavailable"], replicas, false, 25);
        if surge == 0 && unavailable == 0 {
            unavailable = 1;
        }
        let old_spec: i64 = olds.iter().map(|rs| int(&rs["spec"]["replicas"])).sum();
        let mut new_target = new_spec;
        if new_spec > replicas {
            new_target = replicas;
        } else {
            let allowed = replicas + surge - (old_spec + new_spec);
            if allowed > 0 {
                new_target = new_spec + allowed.min(replicas - new_spec);
            }
        }
        scale(world, &d, &new_rs, new_target);

        let all = old_spec + new_target;
        let min_available = replicas - unavailable;
        let new_unavailable = new_target - int(&new_rs["status"]["availableReplicas"]);
        let mut max_down = all - min_available - new_unavailable;
        let mut old_specs: Vec<i64> = olds.iter().map(|rs| int(&rs["spec"]["replicas"])).collect();
        // Unhealthy old pods go first: they serve nobody.
        for (i, old) in olds.iter().enumerate() {
            if max_down <= 0 {
                break;
            }
            let unhealthy = old_specs[i] - int(&old["status"]["availableReplicas"]);
            let take = unhealthy.min(max_down).max(0);
            old_specs[i] -= take;
            max_down -= take;
        }
        let available: i64 = olds
            .iter()
            .map(|rs| int(&rs["status"]["availableReplicas"]))
            .sum::<i64>()
            + int(&new_rs["status"]["availableReplicas"]);
        let mut can_remove = (available - min_available).min(max_down.max(0));
        for spec in old_specs.iter_mut() {
            if can_remove <= 0 {
                break;
            }
            let take = (*spec).min(can_remove);
            *spec -= take;
            can_remove -= take;
        }
        for (old, spec) in olds.iter().zip(old_specs) {
            scale(world, &d, old, spec);
        }
    }

    // Old revisions beyond the history limit are pruned once empty.
    let limit = d["spec"]["revisionHistoryLimit"]
        .as_i64()
        .unwrap_or(10)
        .max(0) as usize;
    let empty_olds: Vec<&Value> = olds
        .iter()
        .filter(|rs| int(&rs["spec"]["replicas"]) == 0 && int(&rs["status"]["replicas"]) == 0)
        .collect();
    if empty_olds.len() > limit {
        for rs in &empty_olds[..empty_olds.len() - limit] {
            let _ = world.lock().store.delete(
                ResourceType::of(Kind::ReplicaSet),
                ns,
                rs["metadata"]["name"].as_str().unwrap_or_default(),
            );
        }
    }

    update_deployment_status(world, &d, &new_rs, &olds, replicas)
}

/// How long a simulated Job's pod runs before it exits.
const JOB_RUNS_FOR: Duration = Duration::from_secs(5);

/// `Complete`, `Failed` or `Running`, as `kubectl get jobs` sums a Job up.
pub fn job_status_word(job: &Value) -> &'static str {
    let conditions = job["status"]["conditions"].as_array();
    let has = |kind: &str| {
        conditions.is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == kind && c["status"] == "True")
        })
    };
    if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else {
        "Running"
    }
}

/// The Job controller, in brief: a Job starts at once, its one pod runs for [`JOB_RUNS_FOR`]
/// of simulated time, then exits 0 — or 1 in a namespace armed by
/// [`KubeWorld::fail_next_job`] — and the Job is `Complete` or `Failed` as Kubernetes words it.
fn reconcile_job(world: &KubeWorld, ns: &str, name: &str) -> Option<Timestamp> {
    let job = world.get(Kind::Job, ns, name)?;
    if job_status_word(&job) != "Running" {
        return None;
    }
    let now = world.clock.now();
    let Some(started) = ts(&job, &["status", "startTime"]) else {
        let mut job = (*job).clone();
        job["status"] = json!({"startTime": rfc3339(now), "active": 1});
        write(world, Kind::Job, job);
        return Some(after(now, JOB_RUNS_FOR));
    };
    let done = after(started, JOB_RUNS_FOR);
    if now < done {
        return Some(done);
    }
    let failing = world.lock().failing_jobs.remove(ns);
    let mut job = (*job).clone();
    job["status"] = if failing {
        json!({
            "startTime": rfc3339(started),
            "failed": 1,
            "conditions": [{
                "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit",
                "lastTransitionTime": rfc3339(now),
            }],
        })
    } else {
        json!({
            "startTime": rfc3339(started),
            "completionTime": rfc3339(now),
            "succeeded": 1,
            "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": rfc3339(now)}],
        })
    };
    write(world, Kind::Job, job);
    None
}

/// In a namespace armed by [`KubeWorld::crash_next_rollout`], the first ReplicaSet created for
/// each Deployment crash-loops; once every Deployment there had one, the fault is spent.
fn spend_rollout_crash(world: &KubeWorld, ns: &str, deployment: &str, rs: &Value) {
    let deployments: Vec<String> = world
        .list(Kind::Deployment, Some(ns))
        .iter()
        .filter_map(|d| d["metadata"]["name"].as_str().map(str::to_owned))
        .collect();
    let mut guard = world.lock();
    let state = &mut *guard;
    let Some((healthy, crashed)) = state.rollout_crashes.get_mut(ns) else {
        return;
    };
    if !crashed.insert(deployment.to_owned()) {
        return;
    }
    let healthy = *healthy;
    if let Some(uid) = rs["metadata"]["uid"].as_str() {
        state
            .crash_looping_replicasets
            .insert(uid.to_owned(), healthy);
    }
    if state
        .rollout_crashes
        .get(ns)
        .is_some_and(|(_, crashed)| deployments.iter().all(|d| crashed.contains(d)))
    {
        state.rollout_crashes.remove(ns);
    }
}

fn update_deployment_status(
    world: &KubeWorld,
    d: &Value,
    new_rs: &Value,
    olds: &[Value],
    replicas: i64,
) -> Option<Timestamp> {
    let ns = d["metadata"]["namespace"].as_str().unwrap_or_default();
    let fresh_new = world.get(
        Kind::ReplicaSet,
        ns,
        new_rs["metadata"]["name"].as_str().unwrap_or_default(),
    );
    let new_rs = fresh_new.as_deref().unwrap_or(new_rs);
    let sum = |field: &str| -> i64 {
        int(&new_rs["status"][field]) + olds.iter().map(|rs| int(&rs["status"][field])).sum::<i64>()
    };
    let total = sum("replicas");
    let updated = int(&new_rs["status"]["replicas"]);
    let ready = sum("readyReplicas");
    let available = sum("availableReplicas");
    let unavailable_allowed = resolve(
        &d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        replicas,
        false,
        25,
    );
    let now = world.clock.now();
    let now_s = rfc3339(now);
    let rs_name = new_rs["metadata"]["name"].as_str().unwrap_or_default();
    let old_status = &d["status"];
    let progressed = [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ]
    .iter()
    .zip([total, updated, ready, available])
    .any(|(f, v)| int(&old_status[*f]) != v)
        || old_status["observedGeneration"] != d["metadata"]["generation"];
    let complete = updated == replicas && available == replicas && total == replicas;
    let old_progressing = old_status["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Progressing"))
        .cloned();
    let last_progress = if progressed || old_progressing.is_none() {
        now
    } else {
        old_progressing
            .as_ref()
            .and_then(|c| ts(c, &["lastUpdateTime"]))
            .unwrap_or(now)
    };
    let deadline =
        Duration::from_secs(d["spec"]["progressDeadlineSeconds"].as_u64().unwrap_or(600));
    let deadline_at = after(last_progress, deadline);
    let stalled_before = old_progressing
        .as_ref()
        .is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded");
    let (p_status, p_reason, p_message) = if complete {
        (
            "True",
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
        )
    } else if now >= deadline_at || (stalled_before && !progressed) {
        // A stalled rollout stays stalled until something actually moves.
        (
            "False",
            "ProgressDeadlineExceeded",
            format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
        )
    } else {
        (
            "True",
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{rs_name}\" is progressing."),
        )
    };
    let transition = |ty: &str, status: &str| -> String {
        old_status["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == ty && c["status"] == status))
            .and_then(|c| c["lastTransitionTime"].as_str().map(str::to_owned))
            .unwrap_or_else(|| now_s.clone())
    };
    let available_ok = available >= replicas - unavailable_allowed;
    let a_status = if available_ok { "True" } else { "False" };
    let progressing_update = if progressed
        || old_progressing
            .as_ref()
            .is_some_and(|c| c["reason"] != p_reason)
    {
        now_s.clone()
    } else {
        rfc3339(last_progress)
    };
    let progressing = json!({"type": "Progressing", "status": p_status, "lastUpdateTime": progressing_update, "lastTransitionTime": transition("Progressing", p_status),
        "reason": p_reason, "message": p_message});
    // The deployment controller ignores a condition whose status and reason are unchanged, so
    // a completed rollout's condition keeps saying when it completed, whatever moves later.
    let progressing = match &old_progressing {
        Some(old) if complete && old["status"] == p_status && old["reason"] == p_reason => {
            old.clone()
        }
        _ => progressing,
    };
    let status = json!({
        "observedGeneration": d["metadata"]["generation"],
        "replicas": total,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
        "unavailableReplicas": (replicas - available).max(0),
        "conditions": [
            {"type": "Available", "status": a_status, "lastUpdateTime": transition("Available", a_status), "lastTransitionTime": transition("Available", a_status),
             "reason": if available_ok { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
             "message": if available_ok { "Deployment has minimum availability." } else { "Deployment does not have minimum availability." }},
            progressing,
        ],
    });
    let mut next = d.clone();
    next["status"] = status;
    let rev = revision(new_rs).to_string();
    if next["metadata"]["annotations"][REVISION].as_str() != Some(&rev) {
        metadata_mut(&mut next)
            .entry("annotations")
            .or_insert_with(|| json!({}))[REVISION] = json!(rev);
    }
    if next != *d {
        write(world, Kind::Deployment, next);
        if !complete
            && p_reason == "ProgressDeadlineExceeded"
            && old_progressing
                .as_ref()
                .is_some_and(|c| c["reason"] != "ProgressDeadlineExceeded")
        {
            record_event(
                world,
                d,
                "Deployment",
                "Warning",
                "ProgressDeadlineExceeded",
                &format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                "deployment-controller",
            );
        }
    }
    (!complete && p_reason != "ProgressDeadlineExceeded").then_some(deadline_at)
}

/// What a kubelet reports as a running container's image: the repository pinned to the
/// content digest it pulled (here a stable digest of the reference, as a registry would keep
/// one image per tag).
fn image_id(image: &str) -> String {
    if let Some((_, digest)) = image.split_once('@') {
        let name = sluice_core::image::parse(image).name;
        return format!("docker-pullable://{name}@{digest}");
    }
    let name = sluice_core::image::parse(image).name;
    let digest = Sha256::digest(image.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("docker-pullable://{name}@sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surge_and_unavailable_round_like_kubernetes() {
        assert_eq!(resolve(&Value::Null, 3, true, 25), 1);
        assert_eq!(resolve(&Value::Null, 3, false, 25), 0);
        assert_eq!(resolve(&json!("50%"), 3, true, 25), 2);
        assert_eq!(resolve(&json!(2), 3, false, 25), 2);
    }

    #[test]
    fn template_hash_ignores_its_own_label() {
        let t = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "a"}]}});
        let mut labelled = t.clone();
        labelled["metadata"]["labels"][HASH_LABEL] = json!(template_hash(&t));
        assert_eq!(template_hash(&t), template_hash(&labelled));
        let mut defaulted = t.clone();
        defaulted["spec"]["containers"][0]["resources"] = json!({});
        assert_eq!(template_hash(&t), template_hash(&defaulted));
        let mut other = t.clone();
        other["spec"]["containers"][0]["image"] = json!("b");
        assert_ne!(template_hash(&t), template_hash(&other));
    }

    /// A Deployment in `prod` whose rollout reached `reason` at 09:00 with 2 of 2 replicas
    /// available, and whose spec changed since (a new generation the status has not seen).
    fn deployment_after(reason: &str) -> (KubeWorld, Value) {
        let clock = crate::clock::ScenarioClock::manual("2026-11-26T09:00:00Z".parse().unwrap());
        let world = KubeWorld::new(clock, Vec::new(), &["prod"]);
        let at = "2026-11-26T09:00:00Z";
        let created = world
            .create(
                Kind::Deployment,
                "prod",
                json!({
                    "metadata": {"name": "web"},
                    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                             "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
                    "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2,
                               "conditions": [
                                   {"type": "Available", "status": "True", "lastUpdateTime": at, "lastTransitionTime": at, "reason": "MinimumReplicasAvailable", "message": ""},
                                   {"type": "Progressing", "status": "True", "lastUpdateTime": at, "lastTransitionTime": at, "reason": reason, "message": "ReplicaSet \"web-1\" is progressing."},
                               ]},
                }),
            )
            .unwrap();
        let mut changed = (*created).clone();
        changed["spec"]["progressDeadlineSeconds"] = json!(300);
        let updated = world
            .lock()
            .store
            .update(ResourceType::of(Kind::Deployment), "prod", "web", changed)
            .unwrap();
        assert_eq!(updated["metadata"]["generation"], 2);
        world.clock.advance(Duration::from_secs(3600));
        (world, (*updated).clone())
    }

    fn progressing_after_sync(world: &KubeWorld, d: &Value) -> Value {
        let new_rs = json!({"metadata": {"name": "web-1", "annotations": {REVISION: "1"}},
                            "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2}});
        update_deployment_status(world, d, &new_rs, &[], 2);
        let d = world.get(Kind::Deployment, "prod", "web").unwrap();
        assert_eq!(
            d["status"]["observedGeneration"], 2,
            "the status saw the change"
        );
        d["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Progressing")
            .unwrap()
            .clone()
    }

    #[test]
    fn a_completed_rollout_keeps_saying_when_it_completed() {
        let (world, d) = deployment_after("NewReplicaSetAvailable");
        let progressing = progressing_after_sync(&world, &d);
        assert_eq!(progressing["reason"], "NewReplicaSetAvailable");
        assert_eq!(progressing["lastUpdateTime"], "2026-11-26T09:00:00Z");
    }

    #[test]
    fn a_rollout_that_completes_now_says_so() {
        let (world, d) = deployment_after("ReplicaSetUpdated");
        let progressing = progressing_after_sync(&world, &d);
        assert_eq!(progressing["reason"], "NewReplicaSetAvailable");
        assert_eq!(progressing["lastUpdateTime"], "2026-11-26T10:00:00Z");
        assert_eq!(progressing["lastTransitionTime"], "2026-11-26T09:00:00Z");
    }

    #[test]
    fn crash_loop_restarts_with_growing_backoff() {
        let t0: Timestamp = "2026-11-26T09:00:00Z".parse().unwrap();
        let timings = PodTimings::default();
        let start = after(t0, timings.schedule + timings.pull);
        let at = |secs: u64| {
            pod_state(
                t0,
                after(start, Duration::from_secs(secs)),
                &timings,
                Some(Breakage::CrashLoop),
            )
        };
        assert_eq!((at(1).waiting, at(1).restarts), (None, 0));
        assert_eq!(
            (at(3).waiting, at(3).restarts),
            (Some("CrashLoopBackOff"), 1)
        );
        // Restarted at 12s, crashed at 14s, back-off 20s until 34s.
        assert_eq!(
            (at(13).waiting, at(20).waiting, at(20).restarts),
            (None, Some("CrashLoopBackOff"), 2)
        );
        let healthy = pod_state(t0, after(start, timings.ready), &timings, None);
        assert!(healthy.ready);
        // Breaking later: ready after 4 s, crashing at 60 s, then looping as any crash does.
        let later = |secs: u64| {
            pod_state(
                t0,
                after(start, Duration::from_secs(secs)),
                &timings,
                Some(Breakage::CrashLoopAfter(Duration::from_secs(60))),
            )
        };
        assert_eq!(
            (later(1).ready, later(5).ready, later(59).ready),
            (false, true, true)
        );
        assert_eq!(later(59).next, Some(after(start, Duration::from_secs(60))));
        let broke = later(61);
        assert_eq!(
            (broke.ready, broke.waiting, broke.restarts),
            (false, Some("CrashLoopBackOff"), 1)
        );
        assert_eq!((later(71).waiting, later(71).ready), (None, false));
        let pull = pod_state(
            t0,
            after(start, Duration::from_secs(6)),
            &timings,
            Some(Breakage::ImagePull),
        );
        assert_eq!(
            (pull.phase, pull.waiting),
            ("Pending", Some("ImagePullBackOff"))
        );
    }
}
