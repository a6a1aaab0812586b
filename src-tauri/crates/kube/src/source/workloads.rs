//! From the stores' rows of Deployments, ReplicaSets and Pods to the workloads and images of
//! [`sluice_core::inputs::ClusterInputs`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sluice_core::snapshot::{ImageRef, ReplicaSetState, Workload};

use super::rows::{DeploymentRow, PodRow, ReplicaSetRow};

/// What the workloads mapping produces in one pass.
#[derive(Debug, Default, PartialEq)]
pub(super) struct WorkloadInputs {
    pub workloads: Vec<Arc<Workload>>,
    pub images: Vec<ImageRef>,
    pub stalled: Vec<String>,
    pub problems: Vec<String>,
}

/// The workloads built last time, by Deployment name, with the rows each was built from. The
/// stores replace a row's `Arc` on every change, so a workload whose rows are the very same
/// ones is handed on as it was: one pod changing among 5 000 rebuilds one workload, and the
/// console tells the others unchanged by identity alone. One memo serves one release.
#[derive(Default)]
pub(super) struct WorkloadMemo {
    release: String,
    built: HashMap<String, Built>,
}

struct Built {
    rows: Rows,
    workload: Arc<Workload>,
    images: Vec<ImageRef>,
}

/// What one workload is built from. Its sets and pods are in address order, so the same rows
/// compare equal whatever order the stores list them in.
struct Rows {
    deployment: Arc<DeploymentRow>,
    sets: Vec<Arc<ReplicaSetRow>>,
    pods: Vec<Arc<PodRow>>,
}

impl Rows {
    fn new(
        deployment: &Arc<DeploymentRow>,
        sets: &[&Arc<ReplicaSetRow>],
        pods_of: &HashMap<&str, Vec<&Arc<PodRow>>>,
    ) -> Self {
        let mut sets: Vec<Arc<ReplicaSetRow>> = sets.iter().map(|rs| Arc::clone(rs)).collect();
        sets.sort_by_key(|rs| Arc::as_ptr(rs) as usize);
        let mut pods: Vec<Arc<PodRow>> = sets
            .iter()
            .filter_map(|rs| pods_of.get(rs.uid.as_deref()?))
            .flatten()
            .map(|pod| Arc::clone(pod))
            .collect();
        pods.sort_by_key(|pod| Arc::as_ptr(pod) as usize);
        Self {
            deployment: Arc::clone(deployment),
            sets,
            pods,
        }
    }

    fn same_as(&self, other: &Rows) -> bool {
        fn same<T>(a: &[Arc<T>], b: &[Arc<T>]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| Arc::ptr_eq(a, b))
        }
        Arc::ptr_eq(&self.deployment, &other.deployment)
            && same(&self.sets, &other.sets)
            && same(&self.pods, &other.pods)
    }
}

impl WorkloadMemo {
    /// The release's Deployments with their ReplicaSets and pods, sorted by name so that an
    /// unchanged cluster maps to an equal value. The release's own objects are the ones its
    /// Helm manifest names (`members`); without one, those labelled with the release; without
    /// any, the whole namespace's. A labelled Deployment the manifest does not name is someone
    /// else's: it is left out, and said so.
    pub(super) fn workload_inputs(
        &mut self,
        deployments: &[Arc<DeploymentRow>],
        replica_sets: &[Arc<ReplicaSetRow>],
        pods: &[Arc<PodRow>],
        release: &str,
        members: Option<&[String]>,
    ) -> WorkloadInputs {
        if self.release != release {
            self.built.clear();
            release.clone_into(&mut self.release);
        }
        let labelled = |d: &&Arc<DeploymentRow>| d.instance.as_deref() == Some(release);
        let mut outsiders = Vec::new();
        let of_release: Vec<&Arc<DeploymentRow>> = match members.filter(|m| !m.is_empty()) {
            Some(members) => {
                // A set: a release of 500 Deployments would otherwise compare names 250 000 times.
                let members: HashSet<&str> = members.iter().map(String::as_str).collect();
                deployments
                    .iter()
                    .filter(|d| {
                        let member = members.contains(d.name.as_str());
                        if !member && labelled(d) {
                            outsiders.push(d.name.clone());
                        }
                        member
                    })
                    .collect()
            }
            None => deployments.iter().filter(labelled).collect(),
        };
        // A namespace managed without Helm's labels (or by an older chart) still shows something.
        let mut chosen = if of_release.is_empty() {
            deployments.iter().collect()
        } else {
            of_release
        };
        chosen.sort_by(|a, b| a.name.cmp(&b.name));

        // One pass over the sets and the pods, grouped by owner, rather than one per Deployment.
        let mut sets_of: HashMap<&str, Vec<&Arc<ReplicaSetRow>>> = HashMap::new();
        for rs in replica_sets {
            if let Some(owner) = rs.owner.as_deref() {
                sets_of.entry(owner).or_default().push(rs);
            }
        }
        let mut pods_of: HashMap<&str, Vec<&Arc<PodRow>>> = HashMap::new();
        for pod in pods {
            if let Some(owner) = pod.owner.as_deref() {
                pods_of.entry(owner).or_default().push(pod);
            }
        }

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
        let mut previous = std::mem::take(&mut self.built);
        for deployment in chosen {
            let owned_sets = deployment
                .uid
                .as_deref()
                .and_then(|uid| sets_of.get(uid))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let rows = Rows::new(deployment, owned_sets, &pods_of);
            let built = match previous.remove(&deployment.name) {
                Some(before) if before.rows.same_as(&rows) => before,
                _ => {
                    let sets: Vec<&ReplicaSetRow> =
                        owned_sets.iter().map(|rs| rs.as_ref()).collect();
                    Built {
                        workload: Arc::new(workload(deployment, &sets, &pods_of, release)),
                        images: image_refs(deployment, &sets, &pods_of),
                        rows,
                    }
                }
            };
            out.images.extend(built.images.iter().cloned());
            if is_stalled(&built.workload) {
                out.stalled.push(built.workload.name.clone());
            }
            out.workloads.push(Arc::clone(&built.workload));
            self.built.insert(deployment.name.clone(), built);
        }
        out
    }
}

fn workload(
    deployment: &DeploymentRow,
    replica_sets: &[&ReplicaSetRow],
    pods_of: &HashMap<&str, Vec<&Arc<PodRow>>>,
    release: &str,
) -> Workload {
    let mut sets: Vec<&ReplicaSetRow> = replica_sets.to_vec();
    // Newest revision first; a set without a revision (not made by the controller) goes last.
    sets.sort_by(|a, b| {
        revision_number(b)
            .cmp(&revision_number(a))
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut pod_states = Vec::new();
    for rs in &sets {
        let Some(pods) = rs.uid.as_deref().and_then(|uid| pods_of.get(uid)) else {
            continue;
        };
        pod_states.extend(pods.iter().map(|pod| {
            let mut state = pod.state.clone();
            state.replica_set = Some(rs.name.clone());
            state
        }));
    }
    pod_states.sort_by(|a, b| a.name.cmp(&b.name));

    Workload {
        name: deployment.name.clone(),
        component: sluice_core::assemble::component(release, &deployment.name).to_owned(),
        desired: deployment.desired,
        updated: deployment.updated,
        ready: deployment.ready,
        available: deployment.available,
        restarts: pod_states
            .iter()
            .map(|p| p.restarts)
            .fold(0, u32::saturating_add),
        images: deployment
            .containers
            .iter()
            .map(|(_, image)| image.clone())
            .collect(),
        revision: deployment.revision.clone(),
        conditions: deployment.conditions.clone(),
        replica_sets: sets
            .iter()
            .map(|rs| ReplicaSetState {
                name: rs.name.clone(),
                revision: rs.revision.clone(),
                desired: rs.desired,
                ready: rs.ready,
                images: rs.images.clone(),
            })
            .collect(),
        pods: pod_states,
    }
}

/// One entry per container of the Deployment's pod template; the digest comes from a running
/// pod of the ReplicaSet whose template runs exactly these images, so that an old pod still
/// draining during a rollout never lends its digest to the new image.
fn image_refs(
    deployment: &DeploymentRow,
    replica_sets: &[&ReplicaSetRow],
    pods_of: &HashMap<&str, Vec<&Arc<PodRow>>>,
) -> Vec<ImageRef> {
    let images: Vec<&str> = deployment
        .containers
        .iter()
        .map(|(_, image)| image.as_str())
        .collect();
    let running: Vec<&PodRow> = replica_sets
        .iter()
        .filter(|rs| {
            rs.images
                .iter()
                .map(String::as_str)
                .eq(images.iter().copied())
        })
        .filter_map(|rs| pods_of.get(rs.uid.as_deref()?))
        .flatten()
        .map(|p| p.as_ref())
        .filter(|p| p.running)
        .collect();
    deployment
        .containers
        .iter()
        .map(|(container, image)| {
            let reference = sluice_core::image::parse(image);
            let running_digest = running.iter().find_map(|pod| {
                pod.digests
                    .iter()
                    .find(|(name, _)| name == container)
                    .map(|(_, digest)| digest.clone())
            });
            ImageRef {
                workload: deployment.name.clone(),
                container: container.clone(),
                tag: reference.tag.map(str::to_owned),
                digest: running_digest.or(reference.digest.map(str::to_owned)),
                image: image.clone(),
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

fn revision_number(rs: &ReplicaSetRow) -> Option<u64> {
    rs.revision.as_deref().and_then(|r| r.parse().ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
    use k8s_openapi::api::core::v1::Pod;

    use super::super::rows::{self, INSTANCE_LABEL, REVISION_ANNOTATION};
    use super::*;

    /// An object as the API server would send it, projected as the source keeps it.
    fn from_json<K: serde::de::DeserializeOwned, R>(
        project: fn(K) -> R,
        value: serde_json::Value,
    ) -> Arc<R> {
        Arc::new(project(serde_json::from_value(value).unwrap()))
    }

    #[test]
    fn odd_objects_map_without_failing() {
        let deployments = vec![
            Arc::new(rows::deployment(Deployment::default())),
            from_json(
                rows::deployment,
                serde_json::json!({"metadata": {"name": "no-spec", "uid": "d1"}}),
            ),
        ];
        let sets = vec![
            Arc::new(rows::replica_set(ReplicaSet::default())),
            from_json(
                rows::replica_set,
                serde_json::json!({"metadata": {"name": "rs", "uid": "r1",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "no-spec", "uid": "d1"}]}}),
            ),
        ];
        let pods = vec![
            Arc::new(rows::pod(Pod::default())),
            from_json(
                rows::pod,
                serde_json::json!({"metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:00Z",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "r1", "controller": true}]},
                "status": {"containerStatuses": [{"name": "c", "image": "", "imageID": "", "ready": false, "restartCount": -3}]}}),
            ),
        ];
        let out = WorkloadMemo::default().workload_inputs(&deployments, &sets, &pods, "rel", None);
        assert_eq!(out.workloads.len(), 2);
        let w = &out.workloads[1];
        assert_eq!((w.name.as_str(), w.desired, w.ready), ("no-spec", 1, 0));
        assert_eq!(w.replica_sets.len(), 1);
        assert_eq!(w.pods.len(), 1);
        assert_eq!(w.pods[0].phase, "Terminating");
        assert_eq!(w.pods[0].restarts, 0);
        assert!(out.images.is_empty());
        assert!(out.stalled.is_empty());
    }

    #[test]
    fn release_deployments_are_preferred_and_sets_sorted_newest_first() {
        let deployment = |name: &str, uid: &str, instance: Option<&str>| -> Arc<DeploymentRow> {
            from_json(
                rows::deployment,
                serde_json::json!({
                    "metadata": {"name": name, "uid": uid, "labels": instance.map(|i| serde_json::json!({INSTANCE_LABEL: i}))},
                    "spec": {"replicas": 3, "selector": {}, "template": {"spec": {"containers": [{"name": "api", "image": "r/api:new"}]}}},
                    "status": {"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}
                }),
            )
        };
        let set = |name: &str, revision: &str, image: &str| -> Arc<ReplicaSetRow> {
            from_json(
                rows::replica_set,
                serde_json::json!({
                    "metadata": {"name": name, "uid": name, "annotations": {REVISION_ANNOTATION: revision},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "uid": "d-api", "controller": true}]},
                    "spec": {"replicas": 1, "selector": {}, "template": {"spec": {"containers": [{"name": "api", "image": image}]}}},
                    "status": {"replicas": 1, "readyReplicas": 1}
                }),
            )
        };
        let pod = |name: &str, set: &str, image_id: &str| -> Arc<PodRow> {
            from_json(
                rows::pod,
                serde_json::json!({
                    "metadata": {"name": name, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": set, "uid": set, "controller": true}]},
                    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                        "containerStatuses": [{"name": "api", "image": "", "imageID": image_id, "ready": true, "restartCount": 2,
                            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}}}]}
                }),
            )
        };
        let out = WorkloadMemo::default().workload_inputs(
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
        let with_manifest = WorkloadMemo::default().workload_inputs(
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

    #[test]
    fn unchanged_rows_hand_on_the_workload_they_built() {
        let deployment = |name: &str| -> Arc<DeploymentRow> {
            from_json(
                rows::deployment,
                serde_json::json!({
                    "metadata": {"name": name, "uid": name, "labels": {INSTANCE_LABEL: "rel"}},
                    "spec": {"replicas": 2, "selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": format!("r/{name}:v1")}]}}},
                    "status": {"replicas": 2, "readyReplicas": 2}
                }),
            )
        };
        let set = |owner: &str| -> Arc<ReplicaSetRow> {
            from_json(
                rows::replica_set,
                serde_json::json!({
                    "metadata": {"name": format!("{owner}-1"), "uid": format!("{owner}-1"), "annotations": {REVISION_ANNOTATION: "1"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": owner, "uid": owner, "controller": true}]},
                    "spec": {"replicas": 2, "selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": format!("r/{owner}:v1")}]}}},
                    "status": {"replicas": 2, "readyReplicas": 2}
                }),
            )
        };
        let pod = |name: &str, owner: &str, ready: bool| -> Arc<PodRow> {
            from_json(
                rows::pod,
                serde_json::json!({
                    "metadata": {"name": name, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{owner}-1"), "uid": format!("{owner}-1"), "controller": true}]},
                    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                        "containerStatuses": [{"name": "c", "image": "", "imageID": format!("r/{owner}@sha256:{owner}"), "ready": ready, "restartCount": 0}]}
                }),
            )
        };
        let deployments = vec![deployment("api"), deployment("web")];
        let sets = vec![set("api"), set("web")];
        let mut pods = vec![
            pod("api-a", "api", true),
            pod("api-b", "api", true),
            pod("web-a", "web", true),
            pod("web-b", "web", true),
        ];
        let mut memo = WorkloadMemo::default();
        let mut build = |pods: &[Arc<PodRow>]| {
            let out = memo.workload_inputs(&deployments, &sets, pods, "rel", None);
            // Whatever the memo hands on is what building afresh gives.
            assert_eq!(
                out,
                WorkloadMemo::default().workload_inputs(&deployments, &sets, pods, "rel", None)
            );
            out
        };
        let first = build(&pods);
        assert_eq!(first.workloads.len(), 2);

        // The same rows, listed in another order: both workloads are the very same.
        pods.reverse();
        let again = build(&pods);
        assert!(Arc::ptr_eq(&first.workloads[0], &again.workloads[0]));
        assert!(Arc::ptr_eq(&first.workloads[1], &again.workloads[1]));

        // One of web's pods turns not ready (the store holds a new row): web alone is rebuilt.
        let i = pods.iter().position(|p| p.state.name == "web-b").unwrap();
        pods[i] = pod("web-b", "web", false);
        let changed = build(&pods);
        assert!(Arc::ptr_eq(&first.workloads[0], &changed.workloads[0]));
        assert!(!Arc::ptr_eq(&first.workloads[1], &changed.workloads[1]));
        let web_b = changed.workloads[1]
            .pods
            .iter()
            .find(|p| p.name == "web-b")
            .unwrap();
        assert!(!web_b.ready);

        // A pod goes away: its workload no longer lists it.
        pods.retain(|p| p.state.name != "api-a");
        let fewer = build(&pods);
        assert!(!Arc::ptr_eq(&first.workloads[0], &fewer.workloads[0]));
        assert_eq!(fewer.workloads[0].pods.len(), 1);
        assert!(Arc::ptr_eq(&changed.workloads[1], &fewer.workloads[1]));
    }
}
