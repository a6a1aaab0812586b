//! What the cluster source keeps of each object: the fields the console reads, projected as each
//! object arrives from the watch. A whole Pod (spec, managed fields, every status field) is some
//! 15 KiB in memory; its row is a few hundred bytes, and at 150 000 pods that is the difference
//! between gigabytes and a few hundred MiB.
//!
//! Objects come from clusters we do not control and from every Kubernetes version: any field
//! may be missing, so every read has a default and no projection can fail.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;
use sluice_core::snapshot::{Condition, PodState};

/// The label Helm charts put on everything a release renders.
pub(super) const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// Set by the deployment controller on a Deployment and on each of its ReplicaSets.
pub(super) const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// An event's message, reason or object name beyond this is cut: anyone who may create Events in
/// the namespace writes them, and a 2-million-character message must not travel to the window
/// on every frame.
pub(super) const MAX_EVENT_MESSAGE_CHARS: usize = 1024;

#[derive(Debug, Clone, PartialEq)]
pub(super) struct DeploymentRow {
    pub name: String,
    pub uid: Option<String>,
    /// Its `app.kubernetes.io/instance` label.
    pub instance: Option<String>,
    pub revision: Option<String>,
    pub desired: u32,
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
    /// (container, image) of its pod template.
    pub containers: Vec<(String, String)>,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct ReplicaSetRow {
    pub name: String,
    pub uid: Option<String>,
    /// The controlling Deployment's uid.
    pub owner: Option<String>,
    pub revision: Option<String>,
    pub desired: u32,
    pub ready: u32,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct PodRow {
    /// The pod as shown, without its ReplicaSet's name (known when the view is built).
    pub state: PodState,
    /// The controlling ReplicaSet's uid.
    pub owner: Option<String>,
    /// Running and not being deleted: its digests name what the workload runs.
    pub running: bool,
    /// (container, content digest) of each container whose runtime reported one.
    pub digests: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct EventRow {
    pub name: String,
    /// `pod/tbyte-api-…`, as kubectl spells it.
    pub object: String,
    /// The workload the event is about, by name ([`workload_of`]): what its share of the kept
    /// warnings is counted against.
    pub workload: String,
    pub reason: String,
    pub message: String,
    pub count: u32,
    pub last_seen: Option<Timestamp>,
    /// Its type is Warning (or not given): a server that ignores the field selector must not
    /// turn normal events into alarms.
    pub warning: bool,
}

pub(super) fn deployment(d: Deployment) -> DeploymentRow {
    let status = d.status.as_ref();
    let mut meta = d.metadata;
    DeploymentRow {
        instance: meta.labels.as_mut().and_then(|l| l.remove(INSTANCE_LABEL)),
        revision: revision(&mut meta),
        name: meta.name.unwrap_or_default(),
        uid: meta.uid,
        desired: count(d.spec.as_ref().and_then(|s| s.replicas), 1),
        updated: count(status.and_then(|s| s.updated_replicas), 0),
        ready: count(status.and_then(|s| s.ready_replicas), 0),
        available: count(status.and_then(|s| s.available_replicas), 0),
        containers: template_containers(d.spec.as_ref().map(|s| &s.template)),
        conditions: status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .map(|c| Condition {
                kind: c.type_.clone(),
                status: c.status.clone(),
                reason: c.reason.clone().unwrap_or_default(),
                message: c.message.clone().unwrap_or_default(),
                last_update: c.last_update_time.as_ref().map(|t| t.0.to_string()),
            })
            .collect(),
    }
}

pub(super) fn replica_set(rs: ReplicaSet) -> ReplicaSetRow {
    let mut meta = rs.metadata;
    ReplicaSetRow {
        owner: controller_uid(meta.owner_references.as_deref().unwrap_or_default())
            .map(str::to_owned),
        revision: revision(&mut meta),
        name: meta.name.unwrap_or_default(),
        uid: meta.uid,
        desired: count(rs.spec.as_ref().and_then(|s| s.replicas), 1),
        ready: count(rs.status.as_ref().and_then(|s| s.ready_replicas), 0),
        images: template_containers(rs.spec.as_ref().and_then(|s| s.template.as_ref()))
            .into_iter()
            .map(|(_, image)| image)
            .collect(),
    }
}

pub(super) fn pod(pod: Pod) -> PodRow {
    let meta = pod.metadata;
    let status = pod.status.unwrap_or_default();
    let containers = status.container_statuses.unwrap_or_default();
    let deleting = meta.deletion_timestamp.is_some();
    let running = !deleting && status.phase.as_deref() == Some("Running");
    let phase = if deleting {
        "Terminating".to_owned()
    } else {
        status.phase.unwrap_or_else(|| "Pending".to_owned())
    };
    let ready = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    // A waiting container says why the pod is stuck (CrashLoopBackOff, ImagePullBackOff); a
    // terminated one why it stopped; a pod-level reason (Evicted) when no container says more.
    let waiting = containers
        .iter()
        .filter_map(|c| c.state.as_ref()?.waiting.as_ref())
        .find(|w| w.reason.is_some());
    let terminated = containers
        .iter()
        .filter_map(|c| c.state.as_ref()?.terminated.as_ref())
        .find(|t| t.reason.is_some());
    let (reason, message) = if let Some(w) = waiting {
        (w.reason.clone(), w.message.clone())
    } else if let Some(t) = terminated {
        (t.reason.clone(), t.message.clone())
    } else {
        (status.reason, status.message)
    };
    PodRow {
        owner: controller_uid(meta.owner_references.as_deref().unwrap_or_default())
            .map(str::to_owned),
        running,
        digests: containers
            .iter()
            .filter_map(|c| Some((c.name.clone(), digest_of(&c.image_id)?)))
            .collect(),
        state: PodState {
            name: meta.name.unwrap_or_default(),
            replica_set: None,
            phase,
            ready,
            restarts: containers
                .iter()
                .map(|c| count(Some(c.restart_count), 0))
                .fold(0, u32::saturating_add),
            reason,
            message: message.map(capped),
            created_at: meta.creation_timestamp.map(|t| t.0.to_string()),
        },
    }
}

pub(super) fn event(e: Event) -> EventRow {
    let kind = e.involved_object.kind.as_deref().unwrap_or("object");
    let name = e.involved_object.name.as_deref().unwrap_or_default();
    EventRow {
        workload: capped(workload_of(kind, name).to_owned()),
        last_seen: last_seen(&e),
        warning: e.type_.as_deref().is_none_or(|t| t == "Warning"),
        object: capped(format!("{}/{name}", kind.to_lowercase())),
        reason: capped(e.reason.unwrap_or_default()),
        message: capped(e.message.unwrap_or_default()),
        count: count(e.count, 1),
        name: e.metadata.name.unwrap_or_default(),
    }
}

/// The workload an object belongs to, by the names Kubernetes' controllers give: a ReplicaSet is
/// its Deployment's name and a pod-template hash (`tbyte-api-7d9f8c6b5`), a pod its ReplicaSet's
/// (or DaemonSet's, Job's) name and five random characters (`…-x2k4z`), both drawn from the
/// same 27-character alphabet. Anything else is its own workload. It is read from the name
/// alone so that events about pods long gone still count against their workload; a name that
/// merely looks generated is grouped with a shorter one, which only shares out the kept
/// warnings differently.
pub(super) fn workload_of<'a>(kind: &str, name: &'a str) -> &'a str {
    /// Kubernetes' `rand.SafeEncodeString` alphabet: no vowels, no look-alikes.
    fn generated(part: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
        lengths.contains(&part.len())
            && part
                .bytes()
                .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b))
    }
    fn without(name: &str, suffix: impl Fn(&str) -> bool) -> &str {
        match name.rsplit_once('-') {
            Some((stem, tail)) if !stem.is_empty() && suffix(tail) => stem,
            _ => name,
        }
    }
    match kind {
        "Pod" => without(without(name, |s| generated(s, 5..=5)), |s| {
            generated(s, 1..=10)
        }),
        "ReplicaSet" => without(name, |s| generated(s, 1..=10)),
        _ => name,
    }
}

/// `text` cut to [`MAX_EVENT_MESSAGE_CHARS`], saying so.
fn capped(mut text: String) -> String {
    if let Some((at, _)) = text.char_indices().nth(MAX_EVENT_MESSAGE_CHARS) {
        text.truncate(at);
        text.push_str(" … (cut)");
    }
    text
}

/// Old-style events carry `lastTimestamp`; events written through `events.k8s.io/v1` carry
/// only `eventTime` (or a series).
fn last_seen(event: &Event) -> Option<Timestamp> {
    event
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| {
            event
                .series
                .as_ref()
                .and_then(|s| s.last_observed_time.as_ref())
                .map(|t| t.0)
        })
        .or_else(|| event.event_time.as_ref().map(|t| t.0))
        .or_else(|| event.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| event.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

fn revision(meta: &mut ObjectMeta) -> Option<String> {
    meta.annotations
        .as_mut()
        .and_then(|a| a.remove(REVISION_ANNOTATION))
}

/// Container runtimes report `docker-pullable://repo@sha256:…`, `repo@sha256:…` or a bare
/// `sha256:…`; anything without a sha256 is not a content digest.
pub(super) fn digest_of(image_id: &str) -> Option<String> {
    image_id.find("sha256:").map(|at| image_id[at..].to_owned())
}

/// The controlling owner's uid; a single owner reference without the `controller` flag counts,
/// as hand-written objects often omit it.
fn controller_uid(owners: &[OwnerReference]) -> Option<&str> {
    owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or(match owners {
            [only] => Some(only),
            _ => None,
        })
        .map(|o| o.uid.as_str())
}

fn template_containers(template: Option<&PodTemplateSpec>) -> Vec<(String, String)> {
    template
        .and_then(|t| t.spec.as_ref())
        .map(|spec| {
            spec.containers
                .iter()
                .map(|c| (c.name.clone(), c.image.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

/// Kubernetes counts are `i32`; a negative one (a broken object) reads as 0.
fn count(value: Option<i32>, default: u32) -> u32 {
    value.map_or(default, |v| u32::try_from(v).unwrap_or(0))
}

/// Rows live in one store per namespace, keyed by name alone: the namespace, uid and
/// resourceVersion of the key would repeat what every row of the store shares or never reads.
macro_rules! keyed_by_name {
    ($row:ty, $kind:ty, $name:expr) => {
        impl kube::runtime::reflector::Lookup for $row {
            type DynamicType = ();

            fn kind(_: &()) -> std::borrow::Cow<'_, str> {
                <$kind as kube::Resource>::kind(&())
            }
            fn group(_: &()) -> std::borrow::Cow<'_, str> {
                <$kind as kube::Resource>::group(&())
            }
            fn version(_: &()) -> std::borrow::Cow<'_, str> {
                <$kind as kube::Resource>::version(&())
            }
            fn plural(_: &()) -> std::borrow::Cow<'_, str> {
                <$kind as kube::Resource>::plural(&())
            }
            fn name(&self) -> Option<std::borrow::Cow<'_, str>> {
                let name: fn(&Self) -> &str = $name;
                Some(std::borrow::Cow::Borrowed(name(self)))
            }
            fn namespace(&self) -> Option<std::borrow::Cow<'_, str>> {
                None
            }
            fn resource_version(&self) -> Option<std::borrow::Cow<'_, str>> {
                None
            }
            fn uid(&self) -> Option<std::borrow::Cow<'_, str>> {
                None
            }
        }
    };
}

pub(super) use keyed_by_name;

keyed_by_name!(DeploymentRow, Deployment, |r| &r.name);
keyed_by_name!(ReplicaSetRow, ReplicaSet, |r| &r.name);
keyed_by_name!(PodRow, Pod, |r| &r.state.name);
keyed_by_name!(EventRow, Event, |r| &r.name);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn digests_come_from_image_ids() {
        assert_eq!(
            digest_of("docker-pullable://ghcr.io/x@sha256:feed").as_deref(),
            Some("sha256:feed")
        );
        assert_eq!(digest_of("docker-pullable://ghcr.io/x:1"), None);
    }

    #[test]
    fn events_count_against_the_workload_their_object_belongs_to() {
        for (kind, name, workload) in [
            (
                "Pod",
                "tbyte-staging-api-l56crxbqq7-bvll4",
                "tbyte-staging-api",
            ),
            (
                "ReplicaSet",
                "tbyte-staging-api-l56crxbqq7",
                "tbyte-staging-api",
            ),
            ("Deployment", "tbyte-staging-api", "tbyte-staging-api"),
            ("Pod", "fluentd-x2k4z", "fluentd"),
            // Not generated: vowels, or the wrong length.
            ("Pod", "my-cache", "my-cache"),
            ("Pod", "postgres-0", "postgres-0"),
            ("ReplicaSet", "web-canary", "web-canary"),
            ("Service", "api-7d9f8", "api-7d9f8"),
            ("Pod", "-x2k4z", "-x2k4z"),
        ] {
            assert_eq!(workload_of(kind, name), workload, "{kind} {name}");
        }
    }

    #[test]
    fn a_huge_event_message_is_cut() {
        let e: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
            "message": "é".repeat(2_000_000), "type": "Warning", "reason": "r".repeat(5_000)
        }))
        .unwrap();
        let row = event(e);
        assert_eq!(row.message.chars().count(), MAX_EVENT_MESSAGE_CHARS + 8);
        assert_eq!(row.reason.chars().count(), MAX_EVENT_MESSAGE_CHARS + 8);
        assert!(row.message.ends_with(" … (cut)"));
        assert_eq!(row.object, "pod/p");
        assert_eq!(row.workload, "p");
        assert!(row.warning);
    }
}
