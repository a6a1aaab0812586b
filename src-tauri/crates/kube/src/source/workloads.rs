//! From the reflectors' Deployments, ReplicaSets, Pods and warning Events to the workloads,
//! images and warnings of [`sluice_core::inputs::ClusterInputs`].
//!
//! Objects come from clusters we do not control and from every Kubernetes version: any field
//! may be missing, so every read has a default and nothing here can fail.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{Event, Pod, PodSpec, PodTemplateSpec};
use kube::ResourceExt;
use sluice_core::snapshot::{
    Condition, ImageRef, PodState, ReplicaSetState, WarningEvent, Workload,
};

/// The label Helm charts put on everything a release renders.
const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// Set by the deployment controller on a Deployment and on each of its ReplicaSets.
const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// A UI shows a handful of warnings; older ones are noise.
pub(super) const MAX_WARNINGS: usize = 20;

/// What the workloads mapping produces in one pass.
#[derive(Debug, Default, PartialEq)]
pub(super) struct WorkloadInputs {
    pub workloads: Vec<Workload>,
    pub images: Vec<ImageRef>,
    pub stalled: Vec<String>,
    pub problems: Vec<String>,
}

/// The release's Deployments with their ReplicaSets and pods, sorted by name so that an
/// unchanged cluster maps to an equal value. The release's own objects are the ones its Helm
/// manifest names (`members`); without one, those labelled with the release; without any, the
/// whole namespace's. A labelled Deployment the manifest does not name is someone else's: it is
/// left out, and said so.
pub(super) fn workload_inputs(
    deployments: &[Arc<Deployment>],
    replica_sets: &[Arc<ReplicaSet>],
    pods: &[Arc<Pod>],
    release: &str,
    members: Option<&[String]>,
) -> WorkloadInputs {
    let labelled =
        |d: &&Deployment| d.labels().get(INSTANCE_LABEL).map(String::as_str) == Some(release);
    let mut outsiders = Vec::new();
    let of_release: Vec<&Deployment> = match members.filter(|m| !m.is_empty()) {
        Some(members) => deployments
            .iter()
            .map(AsRef::as_ref)
            .filter(|d| {
                let member = members.contains(&d.name_any());
                if !member && labelled(d) {
                    outsiders.push(d.name_any());
                }
                member
            })
            .collect(),
        None => deployments
            .iter()
            .map(AsRef::as_ref)
            .filter(labelled)
            .collect(),
    };
    // A namespace managed without Helm's labels (or by an older chart) still shows something.
    let mut chosen = if of_release.is_empty() {
        deployments.iter().map(AsRef::as_ref).collect()
    } else {
        of_release
    };
    chosen.sort_by_key(|d| d.name_any());

    let mut out = WorkloadInputs::default();
    outsiders.sort();
    out.problems = outsiders
        .into_iter()
        .map(|name| {
            format!(
                "Deployment {name} is labelled as part of release {release}, but the release's Helm manifest does not create it: it is not shown, and never promoted"
            )
        })
        .collect();
    for deployment in chosen {
        let owned_sets = owned_by(replica_sets, deployment.uid().as_deref());
        let workload = workload(deployment, &owned_sets, pods);
        out.images
            .extend(image_refs(deployment, &owned_sets, pods, &workload.name));
        if is_stalled(&workload) {
            out.stalled.push(workload.name.clone());
        }
        out.workloads.push(workload);
    }
    out
}

fn workload(deployment: &Deployment, replica_sets: &[&ReplicaSet], pods: &[Arc<Pod>]) -> Workload {
    let status = deployment.status.as_ref();
    let mut sets: Vec<&ReplicaSet> = replica_sets.to_vec();
    // Newest revision first; a set without a revision (not made by the controller) goes last.
    sets.sort_by(|a, b| {
        revision_number(b)
            .cmp(&revision_number(a))
            .then_with(|| a.name_any().cmp(&b.name_any()))
    });
    let set_uids: HashMap<String, String> = sets
        .iter()
        .filter_map(|rs| Some((rs.uid()?, rs.name_any())))
        .collect();
    let mut pod_states: Vec<PodState> = pods
        .iter()
        .filter_map(|pod| {
            let owner = controller_uid(pod.owner_references())?;
            let set_name = set_uids.get(owner)?;
            Some(pod_state(pod, set_name))
        })
        .collect();
    pod_states.sort_by(|a, b| a.name.cmp(&b.name));

    Workload {
        name: deployment.name_any(),
        // Set where the release is known (assembly).
        component: String::new(),
        desired: count(deployment.spec.as_ref().and_then(|s| s.replicas), 1),
        updated: count(status.and_then(|s| s.updated_replicas), 0),
        ready: count(status.and_then(|s| s.ready_replicas), 0),
        available: count(status.and_then(|s| s.available_replicas), 0),
        restarts: pod_states
            .iter()
            .map(|p| p.restarts)
            .fold(0, u32::saturating_add),
        images: template_images(deployment.spec.as_ref().map(|s| &s.template)),
        revision: deployment.annotations().get(REVISION_ANNOTATION).cloned(),
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
        replica_sets: sets
            .iter()
            .map(|rs| ReplicaSetState {
                name: rs.name_any(),
                revision: rs.annotations().get(REVISION_ANNOTATION).cloned(),
                desired: count(rs.spec.as_ref().and_then(|s| s.replicas), 1),
                ready: count(rs.status.as_ref().and_then(|s| s.ready_replicas), 0),
                images: template_images(rs.spec.as_ref().and_then(|s| s.template.as_ref())),
            })
            .collect(),
        pods: pod_states,
    }
}

fn pod_state(pod: &Pod, replica_set: &str) -> PodState {
    let status = pod.status.as_ref();
    let containers = status
        .and_then(|s| s.container_statuses.as_ref())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let phase = if pod.metadata.deletion_timestamp.is_some() {
        "Terminating".to_owned()
    } else {
        status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Pending".to_owned())
    };
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
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
        (
            status.and_then(|s| s.reason.clone()),
            status.and_then(|s| s.message.clone()),
        )
    };
    PodState {
        name: pod.name_any(),
        replica_set: Some(replica_set.to_owned()),
        phase,
        ready,
        restarts: containers
            .iter()
            .map(|c| count(Some(c.restart_count), 0))
            .fold(0, u32::saturating_add),
        reason,
        message,
        created_at: pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.to_string()),
    }
}

/// One entry per container of the Deployment's pod template; the digest comes from a running
/// pod of the ReplicaSet whose template runs exactly these images, so that an old pod still
/// draining during a rollout never lends its digest to the new image.
fn image_refs(
    deployment: &Deployment,
    replica_sets: &[&ReplicaSet],
    pods: &[Arc<Pod>],
    workload: &str,
) -> Vec<ImageRef> {
    let template = deployment.spec.as_ref().map(|s| &s.template);
    let images = template_images(template);
    let current_sets: Vec<String> = replica_sets
        .iter()
        .filter(|rs| template_images(rs.spec.as_ref().and_then(|s| s.template.as_ref())) == images)
        .filter_map(|rs| rs.uid())
        .collect();
    let running: Vec<&Pod> = pods
        .iter()
        .map(AsRef::as_ref)
        .filter(|p| {
            p.metadata.deletion_timestamp.is_none()
                && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
                && controller_uid(p.owner_references())
                    .is_some_and(|uid| current_sets.iter().any(|c| c == uid))
        })
        .collect();
    pod_spec(template)
        .map(|spec| spec.containers.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|container| {
            let image = container.image.clone().unwrap_or_default();
            let reference = sluice_core::image::parse(&image);
            let running_digest = running.iter().find_map(|pod| {
                pod.status
                    .as_ref()?
                    .container_statuses
                    .as_ref()?
                    .iter()
                    .find(|s| s.name == container.name)
                    .and_then(|s| digest_of(&s.image_id))
            });
            ImageRef {
                workload: workload.to_owned(),
                container: container.name.clone(),
                tag: reference.tag.map(str::to_owned),
                digest: running_digest.or(reference.digest.map(str::to_owned)),
                image,
            }
        })
        .collect()
}

fn is_stalled(workload: &Workload) -> bool {
    workload
        .conditions
        .iter()
        .any(|c| c.kind == "Progressing" && c.reason == "ProgressDeadlineExceeded")
}

/// The namespace's warning Events, newest first, at most [`MAX_WARNINGS`].
pub(super) fn warnings(events: &[Arc<Event>]) -> Vec<WarningEvent> {
    let mut sorted: Vec<&Event> = events
        .iter()
        .map(AsRef::as_ref)
        // The watch asks for warnings only; a server that ignores field selectors must not
        // turn normal events into alarms.
        .filter(|e| e.type_.as_deref().is_none_or(|t| t == "Warning"))
        .collect();
    sorted.sort_by(|a, b| {
        last_seen(b)
            .cmp(&last_seen(a))
            .then_with(|| a.name_any().cmp(&b.name_any()))
    });
    sorted
        .into_iter()
        .take(MAX_WARNINGS)
        .map(|e| WarningEvent {
            // kubectl's spelling (`pod/tbyte-api-…`), which people paste back into kubectl.
            object: format!(
                "{}/{}",
                e.involved_object
                    .kind
                    .as_deref()
                    .unwrap_or("object")
                    .to_lowercase(),
                e.involved_object.name.as_deref().unwrap_or_default()
            ),
            reason: e.reason.clone().unwrap_or_default(),
            message: e.message.clone().unwrap_or_default(),
            count: count(e.count, 1),
            last_seen: last_seen(e).map(|t| t.to_string()),
        })
        .collect()
}

/// Old-style events carry `lastTimestamp`; events written through `events.k8s.io/v1` carry
/// only `eventTime` (or a series).
fn last_seen(event: &Event) -> Option<k8s_openapi::jiff::Timestamp> {
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

/// Container runtimes report `docker-pullable://repo@sha256:…`, `repo@sha256:…` or a bare
/// `sha256:…`; anything without a sha256 is not a content digest.
fn digest_of(image_id: &str) -> Option<String> {
    image_id.find("sha256:").map(|at| image_id[at..].to_owned())
}

fn owned_by<'a>(replica_sets: &'a [Arc<ReplicaSet>], owner: Option<&str>) -> Vec<&'a ReplicaSet> {
    let Some(owner) = owner else {
        return Vec::new();
    };
    replica_sets
        .iter()
        .map(AsRef::as_ref)
        .filter(|rs| controller_uid(rs.owner_references()) == Some(owner))
        .collect()
}

/// The controlling owner's uid; a single owner reference without the `controller` flag counts,
/// as hand-written objects often omit it.
fn controller_uid(
    owners: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference],
) -> Option<&str> {
    owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or(match owners {
            [only] => Some(only),
            _ => None,
        })
        .map(|o| o.uid.as_str())
}

fn revision_number(rs: &ReplicaSet) -> Option<u64> {
    rs.annotations()
        .get(REVISION_ANNOTATION)
        .and_then(|r| r.parse().ok())
}

fn pod_spec(template: Option<&PodTemplateSpec>) -> Option<&PodSpec> {
    template.and_then(|t| t.spec.as_ref())
}

fn template_images(template: Option<&PodTemplateSpec>) -> Vec<String> {
    pod_spec(template)
        .map(|spec| {
            spec.containers
                .iter()
                .map(|c| c.image.clone().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

/// Kubernetes counts are `i32`; a negative one (a broken object) reads as 0.
fn count(value: Option<i32>, default: u32) -> u32 {
    value.map_or(default, |v| u32::try_from(v).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Arc<T> {
        Arc::new(serde_json::from_value(value).unwrap())
    }

    #[test]
    fn digests_come_from_image_ids() {
        assert_eq!(
            digest_of("docker-pullable://ghcr.io/x@sha256:feed").as_deref(),
            Some("sha256:feed")
        );
        assert_eq!(digest_of("docker-pullable://ghcr.io/x:1"), None);
    }

    #[test]
    fn odd_objects_map_without_failing() {
        let deployments = vec![
            Arc::new(Deployment::default()),
            from_json(serde_json::json!({"metadata": {"name": "no-spec", "uid": "d1"}})),
        ];
        let sets = vec![
            Arc::new(ReplicaSet::default()),
            from_json(serde_json::json!({"metadata": {"name": "rs", "uid": "r1",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "no-spec", "uid": "d1"}]}})),
        ];
        let pods = vec![
            Arc::new(Pod::default()),
            from_json(
                serde_json::json!({"metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:00Z",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "r1", "controller": true}]},
                "status": {"containerStatuses": [{"name": "c", "image": "", "imageID": "", "ready": false, "restartCount": -3}]}}),
            ),
        ];
        let out = workload_inputs(&deployments, &sets, &pods, "rel", None);
        assert_eq!(out.workloads.len(), 2);
        let w = &out.workloads[1];
        assert_eq!((w.name.as_str(), w.desired, w.ready), ("no-spec", 1, 0));
        assert_eq!(w.replica_sets.len(), 1);
        assert_eq!(w.pods.len(), 1);
        assert_eq!(w.pods[0].phase, "Terminating");
        assert_eq!(w.pods[0].restarts, 0);
        assert!(out.images.is_empty());
        assert!(out.stalled.is_empty());
        assert!(warnings(&[Arc::new(Event::default())]).len() == 1);
    }

    #[test]
    fn release_deployments_are_preferred_and_sets_sorted_newest_first() {
        let deployment = |name: &str, uid: &str, instance: Option<&str>| -> Arc<Deployment> {
            from_json(serde_json::json!({
                "metadata": {"name": name, "uid": uid, "labels": instance.map(|i| serde_json::json!({INSTANCE_LABEL: i}))},
                "spec": {"replicas": 3, "selector": {}, "template": {"spec": {"containers": [{"name": "api", "image": "r/api:new"}]}}},
                "status": {"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}
            }))
        };
        let set = |name: &str, revision: &str, image: &str| -> Arc<ReplicaSet> {
            from_json(serde_json::json!({
                "metadata": {"name": name, "uid": name, "annotations": {REVISION_ANNOTATION: revision},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "uid": "d-api", "controller": true}]},
                "spec": {"replicas": 1, "selector": {}, "template": {"spec": {"containers": [{"name": "api", "image": image}]}}},
                "status": {"replicas": 1, "readyReplicas": 1}
            }))
        };
        let pod = |name: &str, set: &str, image_id: &str| -> Arc<Pod> {
            from_json(serde_json::json!({
                "metadata": {"name": name, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": set, "uid": set, "controller": true}]},
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [{"name": "api", "image": "", "imageID": image_id, "ready": true, "restartCount": 2,
                        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}}}]}
            }))
        };
        let out = workload_inputs(
            &[
                deployment("api", "d-api", Some("rel")),
                deployment("other", "d-other", None),
            ],
            &[
                set("api-2", "2", "r/api:old"),
                set("api-10", "10", "r/api:new"),
            ],
            &[
                pod("a", "api-2", "docker-pullable://r/api@sha256:old"),
                pod("b", "api-10", "docker-pullable://r/api@sha256:new"),
            ],
            "rel",
            None,
        );
        assert_eq!(out.workloads.len(), 1, "only the release's deployment");
        let w = &out.workloads[0];
        let names: Vec<&str> = w.replica_sets.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["api-10", "api-2"]);
        assert_eq!(w.restarts, 4);
        assert_eq!(w.pods[0].reason.as_deref(), Some("CrashLoopBackOff"));
        assert!(w.pods[0].ready);
        assert_eq!(out.images.len(), 1);
        assert_eq!(out.images[0].tag.as_deref(), Some("new"));
        assert_eq!(
            out.images[0].digest.as_deref(),
            Some("sha256:new"),
            "the digest comes from the current set's pod"
        );
        assert_eq!(out.stalled, ["api"]);

        // With the release's manifest, a labelled Deployment it does not create is left out.
        let with_manifest = workload_inputs(
            &[
                deployment("api", "d-api", Some("rel")),
                deployment("rel-aaa", "d-aaa", Some("rel")),
            ],
            &[],
            &[],
            "rel",
            Some(&["api".to_owned()]),
        );
        let names: Vec<&str> = with_manifest
            .workloads
            .iter()
            .map(|w| w.name.as_str())
            .collect();
        assert_eq!(names, ["api"]);
        assert_eq!(with_manifest.images.len(), 1);
        assert_eq!(with_manifest.problems.len(), 1);
        assert!(
            with_manifest.problems[0]
                .starts_with("Deployment rel-aaa is labelled as part of release rel"),
            "{:?}",
            with_manifest.problems
        );
    }
}
