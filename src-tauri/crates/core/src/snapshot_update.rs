//! What the window is sent when the Snapshot changes: the new Snapshot without the workloads that
//! did not change (all of an environment's, or those of it that did not), nor the image changes
//! of gates whose image changes did not. At 30 environments of 500 workloads, one pod turning
//! over must carry its own workload across to the webview, not the 149 999 other pods, nor 29
//! gates' 500 images each.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::snapshot::{Snapshot, Workload};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotUpdate {
    /// The new Snapshot; the environments named in `sameWorkloads` come with no workloads.
    pub snapshot: Snapshot,
    /// The sequence of the Snapshot this update was made against; a receiver that holds
    /// another one asks for the whole Snapshot instead.
    pub base: Option<u32>,
    /// Environments whose workloads are those of the `base` Snapshot.
    pub same_workloads: Vec<String>,
    /// Environments where only some workloads changed: they come with those alone.
    pub kept_workloads: Vec<KeptWorkloads>,
    /// Environments whose Helm history is that of the `base` Snapshot; they come with none.
    pub same_helm_history: Vec<String>,
    /// Environments whose version's images are those of the `base` Snapshot's version; their
    /// version comes with none (500 Deployments make 500 image refs in each environment).
    pub same_version_images: Vec<String>,
    /// Gates, by target environment, whose pending image changes are those of the `base`
    /// Snapshot; they come with none.
    pub same_image_changes: Vec<String>,
    /// When the console sent it, in ms since the epoch on this computer's clock: the window
    /// times how long a Snapshot takes to reach its DOM (the window benchmark reads it).
    pub sent_at: f64,
}

/// An environment sent with only the workloads that changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeptWorkloads {
    pub environment: String,
    /// Every workload's name, in order: those not sent are the `base` Snapshot's of that name.
    pub order: Vec<String>,
}

/// `next` as an update of `previous` (the last Snapshot sent). Workloads count as the same only
/// when they are the very same: the cluster source makes a new one for every change.
pub fn update(previous: Option<&Snapshot>, next: &Snapshot, sent_at: f64) -> SnapshotUpdate {
    let mut snapshot = next.clone();
    let mut same_workloads = Vec::new();
    let mut kept_workloads = Vec::new();
    let mut same_helm_history = Vec::new();
    let mut same_version_images = Vec::new();
    let mut same_image_changes = Vec::new();
    if let Some(previous) = previous {
        for env in &mut snapshot.environments {
            let Some(before) = previous.environments.iter().find(|p| p.name == env.name) else {
                continue;
            };
            // Ten revisions of a release of 500 Deployments name 5 000 images.
            if !env.helm_history.is_empty() && Arc::ptr_eq(&before.helm_history, &env.helm_history)
            {
                env.helm_history = Arc::default();
                same_helm_history.push(env.name.clone());
            }
            // Equal by value too: a version assembled again from changed inputs (another
            // workload rolled) mostly names the same images. `Arc`'s equality looks at the
            // pointer first.
            if let (Some(version), Some(version_before)) = (&mut env.version, &before.version)
                && !version.images.is_empty()
                && version.images == version_before.images
            {
                version.images = Arc::default();
                same_version_images.push(env.name.clone());
            }
            if env.workloads.is_empty() {
                continue;
            }
            if Arc::ptr_eq(&before.workloads, &env.workloads) {
                env.workloads = Arc::default();
                same_workloads.push(env.name.clone());
                continue;
            }
            let before: HashMap<&str, &Arc<Workload>> = before
                .workloads
                .iter()
                .map(|w| (w.name.as_str(), w))
                .collect();
            let unchanged = |w: &Arc<Workload>| {
                before
                    .get(w.name.as_str())
                    .is_some_and(|b| Arc::ptr_eq(b, w))
            };
            if env.workloads.iter().any(unchanged) {
                let order = env.workloads.iter().map(|w| w.name.clone()).collect();
                let changed = env
                    .workloads
                    .iter()
                    .filter(|w| !unchanged(w))
                    .cloned()
                    .collect();
                env.workloads = Arc::new(changed);
                kept_workloads.push(KeptWorkloads {
                    environment: env.name.clone(),
                    order,
                });
            }
        }
        for gate in &mut snapshot.gates {
            let unchanged = previous.gates.iter().any(|p| {
                p.environment == gate.environment
                    && Arc::ptr_eq(&p.pending.image_changes, &gate.pending.image_changes)
            });
            if unchanged && !gate.pending.image_changes.is_empty() {
                gate.pending.image_changes = Arc::default();
                same_image_changes.push(gate.environment.clone());
            }
        }
    }
    SnapshotUpdate {
        snapshot,
        base: previous.map(|p| p.sequence),
        same_workloads,
        kept_workloads,
        same_helm_history,
        same_version_images,
        same_image_changes,
        sent_at,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::snapshot::{EnvironmentState, GateState, Health, ImageChange, Workload};

    fn env(name: &str, workloads: Arc<Vec<Arc<Workload>>>) -> EnvironmentState {
        serde_json::from_value::<EnvironmentState>(serde_json::json!({
            "name": name, "namespace": name, "version": null, "health": "healthy",
            "healthReason": "", "workloads": [], "rollout": null, "helmHistory": [],
            "lastDeployed": null, "runningSince": null, "deployedValues": null, "drift": null,
            "warnings": [], "stale": false, "problems": []
        }))
        .map(|mut e| {
            e.workloads = workloads;
            e
        })
        .unwrap()
    }

    fn workload(name: &str) -> Arc<Workload> {
        serde_json::from_value(serde_json::json!({
            "name": name, "component": "api", "desired": 1, "updated": 1, "ready": 1,
            "available": 1, "restarts": 0, "images": [], "revision": null, "conditions": [],
            "replicaSets": [], "pods": []
        }))
        .unwrap()
    }

    fn snapshot(sequence: u32, envs: Vec<EnvironmentState>) -> Snapshot {
        let mut s: Snapshot = serde_json::from_value(serde_json::json!({
            "sequence": sequence, "generatedAt": "2026-12-06T00:00:00Z", "environments": [],
            "gates": [], "sources": [], "pullRequests": [], "viewer": null, "inbox": []
        }))
        .unwrap();
        s.environments = envs;
        s
    }

    #[test]
    fn only_changed_workloads_travel() {
        let dev = Arc::new(vec![workload("tbyte-dev-api")]);
        let prod = Arc::new(vec![workload("tbyte-prod-api")]);
        let first = snapshot(1, vec![env("dev", dev.clone()), env("production", prod)]);
        let sent = update(None, &first, 1.0);
        assert_eq!((sent.base, sent.same_workloads.len()), (None, 0));
        assert_eq!(
            sent.snapshot, first,
            "with nothing sent before, all of it goes"
        );

        // Production's pods turned over (a new list); dev's list is the one sent before.
        let changed = Arc::new(vec![workload("tbyte-prod-api-2")]);
        let second = snapshot(2, vec![env("dev", dev), env("production", changed.clone())]);
        let sent = update(Some(&first), &second, 2.0);
        assert_eq!(sent.base, Some(1));
        assert_eq!(sent.same_workloads, ["dev"]);
        assert!(sent.snapshot.environments[0].workloads.is_empty());
        assert_eq!(sent.snapshot.environments[1].workloads, changed);
        assert_eq!(sent.snapshot.environments[1].health, Health::Healthy);
        let json = serde_json::to_string(&sent).unwrap();
        assert!(!json.contains("\"tbyte-dev-api\""), "{json}");

        // One of production's two workloads turned over: it alone travels, with the order.
        let web = workload("tbyte-prod-web");
        let both = snapshot(
            3,
            vec![env(
                "production",
                Arc::new(vec![workload("tbyte-prod-api"), web.clone()]),
            )],
        );
        let api_now = workload("tbyte-prod-api");
        let in_part = snapshot(
            4,
            vec![env("production", Arc::new(vec![api_now.clone(), web]))],
        );
        let sent = update(Some(&both), &in_part, 4.0);
        assert!(sent.same_workloads.is_empty());
        assert_eq!(
            sent.kept_workloads,
            [KeptWorkloads {
                environment: "production".into(),
                order: vec!["tbyte-prod-api".into(), "tbyte-prod-web".into()],
            }]
        );
        assert_eq!(*sent.snapshot.environments[0].workloads, [api_now]);
        // Nothing in common: the whole list goes, with no order to follow.
        let sent = update(Some(&first), &both, 3.0);
        assert!(sent.kept_workloads.is_empty());
        assert_eq!(sent.snapshot.environments[0].workloads.len(), 2);
    }

    #[test]
    fn an_unchanged_helm_history_stays_behind() {
        let history = Arc::new(vec![
            serde_json::from_value(serde_json::json!({
                "revision": 3, "status": "deployed", "chart": "tbyte-microservices-0.3.0",
                "appVersion": null, "description": "Upgrade complete", "deployedAt": null,
                "images": ["ghcr.io/tbyte-org/tbyte-api:aaaaaaa"]
            }))
            .unwrap(),
        ]);
        let with = |sequence: u32, history: Arc<Vec<crate::snapshot::HelmRevision>>| {
            let mut env = env("production", Arc::default());
            env.helm_history = history;
            snapshot(sequence, vec![env])
        };
        let first = with(1, history.clone());
        let sent = update(Some(&first), &with(2, history.clone()), 2.0);
        assert_eq!(sent.same_helm_history, ["production"]);
        assert!(sent.snapshot.environments[0].helm_history.is_empty());
        // A new revision: the history travels.
        let mut newer = (*history).clone();
        newer[0].revision = 4;
        let sent = update(Some(&first), &with(3, Arc::new(newer)), 3.0);
        assert!(sent.same_helm_history.is_empty());
        assert_eq!(sent.snapshot.environments[0].helm_history[0].revision, 4);
    }

    fn gate(environment: &str, image_changes: Arc<Vec<ImageChange>>) -> GateState {
        let mut gate: GateState = serde_json::from_value(serde_json::json!({
            "environment": environment, "from": "dev", "status": "open", "statusLabel": "open",
            "pending": {"currentVersion": "a", "incomingVersion": "b", "commits": [],
                        "pullRequests": [], "imageChanges": [], "imageProblems": []},
            "conditions": [], "waitingRuns": [], "quorum": null, "ledger": []
        }))
        .unwrap();
        gate.pending.image_changes = image_changes;
        gate
    }

    #[test]
    fn only_changed_image_changes_travel() {
        let change = |to: &str| ImageChange {
            workload: "tbyte-staging-api".into(),
            container: "api".into(),
            source_workload: "tbyte-dev-api".into(),
            from: Some("ghcr.io/tbyte-org/tbyte-api:a".into()),
            to: Some(format!("ghcr.io/tbyte-org/tbyte-api:{to}")),
        };
        let staging = Arc::new(vec![change("b")]);
        let mut first = snapshot(1, Vec::new());
        first.gates = vec![gate("staging", staging.clone())];
        // The same list planned again (a pod changed elsewhere): it stays behind.
        let mut second = snapshot(2, Vec::new());
        second.gates = vec![gate("staging", staging)];
        let sent = update(Some(&first), &second, 2.0);
        assert_eq!(sent.same_image_changes, ["staging"]);
        assert!(sent.snapshot.gates[0].pending.image_changes.is_empty());
        // Another version on its way: the new list travels.
        let moved = Arc::new(vec![change("c")]);
        let mut third = snapshot(3, Vec::new());
        third.gates = vec![gate("staging", moved.clone())];
        let sent = update(Some(&second), &third, 3.0);
        assert!(sent.same_image_changes.is_empty());
        assert_eq!(sent.snapshot.gates[0].pending.image_changes, moved);
    }

    #[test]
    fn a_versions_images_travel_only_when_they_change() {
        let image = |tag: &str| crate::snapshot::ImageRef {
            workload: "tbyte-prod-api".into(),
            container: "api".into(),
            image: format!("ghcr.io/tbyte-org/tbyte-api:{tag}"),
            tag: Some(tag.into()),
            digest: None,
        };
        let at = |sequence: u32, tag: &str, images: Vec<crate::snapshot::ImageRef>| {
            let mut production = env("production", Arc::default());
            production.version = Some(crate::snapshot::Version {
                sha: None,
                label: tag.into(),
                images: Arc::new(images),
                app_version: None,
                pull_request: None,
                title: None,
            });
            snapshot(sequence, vec![production])
        };
        let first = at(1, "a", vec![image("a")]);
        // Assembled again, equal but not the same list: it stays behind all the same.
        let second = at(2, "a", vec![image("a")]);
        let sent = update(Some(&first), &second, 2.0);
        assert_eq!(sent.same_version_images, ["production"]);
        let version = sent.snapshot.environments[0].version.as_ref().unwrap();
        assert!(version.images.is_empty());
        assert_eq!(version.label, "a", "the rest of the version travels");
        // Another image: the new list travels.
        let third = at(3, "b", vec![image("b")]);
        let sent = update(Some(&second), &third, 3.0);
        assert!(sent.same_version_images.is_empty());
        assert_eq!(
            sent.snapshot.environments[0].version,
            third.environments[0].version
        );
        // Without a Snapshot to go by, everything travels.
        let sent = update(None, &third, 4.0);
        assert!(sent.same_version_images.is_empty());
        assert_eq!(sent.snapshot, third);
    }
}
