use std::path::Path;

use super::*;
use crate::inputs::{CommitInfo, DeploymentInfo, GithubInputs};
use crate::snapshot::{HelmRevision, ImageRef, PodState, ReplicaSetState};

fn pipeline() -> Pipeline {
    crate::load_pipeline(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../environments/pipeline.yaml"),
    )
    .unwrap()
}

fn rs(name: &str, revision: &str, desired: u32, ready: u32, tag: &str) -> ReplicaSetState {
    ReplicaSetState {
        name: name.into(),
        revision: Some(revision.into()),
        desired,
        ready,
        images: vec![format!("ghcr.io/tbyte-org/tbyte-api:{tag}")],
    }
}

fn workload(desired: u32, sets: Vec<ReplicaSetState>, pods: Vec<PodState>) -> Workload {
    let new = sets[0].clone();
    let ready = sets.iter().map(|s| s.ready).sum();
    Workload {
        name: "tbyte-staging-api".into(),
        desired,
        updated: new.desired,
        ready,
        available: ready,
        restarts: 0,
        images: new.images.clone(),
        revision: new.revision.clone(),
        conditions: Vec::new(),
        replica_sets: sets,
        pods,
    }
}

fn cluster(workloads: Vec<Workload>, deployed_at: &str) -> ClusterInputs {
    let tag = workloads[0].images[0]
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    ClusterInputs {
        images: vec![ImageRef {
            workload: "tbyte-staging-api".into(),
            container: "api".into(),
            image: workloads[0].images[0].clone(),
            tag: Some(tag.clone()),
            digest: None,
        }],
        workloads,
        stalled: Vec::new(),
        helm_history: vec![HelmRevision {
            revision: 2,
            status: "deployed".into(),
            chart: "tbyte-microservices-0.1.0".into(),
            app_version: Some(tag),
            description: "Upgrade complete".into(),
            deployed_at: Some(deployed_at.into()),
        }],
        warnings: Vec::new(),
        problems: Vec::new(),
    }
}

fn healthy(tag: &str, replicas: u32) -> ClusterInputs {
    cluster(
        vec![workload(
            replicas,
            vec![rs("new", "2", replicas, replicas, tag)],
            Vec::new(),
        )],
        "2026-11-20T09:00:00Z",
    )
}

fn snapshot(envs: &[EnvironmentInputs], github: Option<&GithubInputs>, now: &str) -> Snapshot {
    let p = pipeline();
    assemble(&Sources {
        pipeline: &p,
        environments: envs,
        github,
        source_states: Vec::new(),
        now: now.parse().unwrap(),
        sequence: 1,
    })
}

fn env(cluster: ClusterInputs) -> EnvironmentInputs {
    EnvironmentInputs {
        cluster: Some(cluster),
        stale: false,
        values: FlatValues::default(),
    }
}

const A: &str = "aaaaaaa1111111111111111111111111111111aa";
const B: &str = "bbbbbbb2222222222222222222222222222222bb";

#[test]
fn rollout_progress_rises_and_the_version_flips_when_done() {
    let mut progress = Vec::new();
    let mut versions = Vec::new();
    for ready_new in 0..=2 {
        let old_ready = 2 - ready_new;
        let sets = vec![
            rs("new", "3", 2, ready_new, &B[..7]),
            rs("old", "2", old_ready, old_ready, &A[..7]),
        ];
        let staging = env(cluster(
            vec![workload(2, sets, Vec::new())],
            "2026-11-26T09:00:00Z",
        ));
        let s = snapshot(
            &[env(healthy(&A[..7], 1)), staging, env(healthy(&A[..7], 3))],
            None,
            "2026-11-26T10:00:00Z",
        );
        let st = &s.environments[1];
        progress.push(st.rollout.as_ref().map_or(1.0, |r| r.progress));
        versions.push(st.version.as_ref().unwrap().label.clone());
        if ready_new < 2 {
            assert_eq!(st.health, Health::Progressing);
            assert_eq!(st.rollout.as_ref().unwrap().to.as_deref(), Some(&B[..7]));
        }
    }
    assert_eq!(progress, [0.0, 0.5, 1.0]);
    assert_eq!(versions, [&A[..7], &A[..7], &B[..7]]);
}

#[test]
fn a_crashing_pod_degrades_the_environment_and_blocks_the_gate() {
    let crashing = PodState {
        name: "tbyte-staging-api-new-x1".into(),
        replica_set: Some("new".into()),
        phase: "Running".into(),
        ready: false,
        restarts: 4,
        reason: Some("CrashLoopBackOff".into()),
        message: None,
        created_at: None,
    };
    let sets = vec![rs("new", "3", 1, 0, &B[..7]), rs("old", "2", 2, 2, &A[..7])];
    let mut staging = cluster(
        vec![workload(2, sets, vec![crashing])],
        "2026-11-26T09:00:00Z",
    );
    staging.stalled = vec!["tbyte-staging-api".into()];
    let s = snapshot(
        &[
            env(healthy(&A[..7], 1)),
            env(staging),
            env(healthy(&A[..7], 3)),
        ],
        None,
        "2026-11-26T10:00:00Z",
    );
    let st = &s.environments[1];
    assert_eq!(st.health, Health::Degraded);
    assert!(
        st.health_reason.contains("CrashLoopBackOff")
            && st.health_reason.contains("tbyte-staging-api-new-x1"),
        "{}",
        st.health_reason
    );
    assert!(st.rollout.as_ref().unwrap().stalled);
    let gate = &s.gates[0];
    assert_eq!(
        (gate.environment.as_str(), gate.from.as_str()),
        ("production", "staging")
    );
    assert!(!gate.open);
    let blocked = gate
        .conditions
        .iter()
        .find(|c| c.kind == GateConditionKind::SourceHealthy)
        .unwrap();
    assert!(
        !blocked.met && blocked.reason.contains("CrashLoopBackOff"),
        "{}",
        blocked.reason
    );
}

#[test]
fn drift_when_github_and_the_cluster_disagree() {
    let github = GithubInputs {
        deployments: vec![DeploymentInfo {
            environment: "production".into(),
            sha: B.into(),
            state: "success".into(),
            creator: "github-actions[bot]".into(),
            updated_at: "2026-11-26T09:00:00Z".into(),
        }],
        ..GithubInputs::default()
    };
    let s = snapshot(
        &[
            env(healthy(&A[..7], 1)),
            env(healthy(&A[..7], 2)),
            env(healthy(&A[..7], 3)),
        ],
        Some(&github),
        "2026-11-26T10:00:00Z",
    );
    let drift = s.environments[2].drift.as_ref().expect("drift");
    assert_eq!(drift.github_sha, B);
    assert!(
        drift.message.contains("bbbbbbb") && drift.message.contains("aaaaaaa"),
        "{}",
        drift.message
    );
    assert!(s.environments[1].drift.is_none());

    let agreeing = GithubInputs {
        deployments: vec![DeploymentInfo {
            environment: "production".into(),
            sha: A.into(),
            state: "success".into(),
            creator: "alice-approver".into(),
            updated_at: "2026-11-26T09:00:00Z".into(),
        }],
        ..GithubInputs::default()
    };
    let s = snapshot(
        &[
            env(healthy(&A[..7], 1)),
            env(healthy(&A[..7], 2)),
            env(healthy(&A[..7], 3)),
        ],
        Some(&agreeing),
        "2026-11-26T10:00:00Z",
    );
    assert!(s.environments[2].drift.is_none());
    assert_eq!(
        s.environments[2]
            .last_deployed
            .as_ref()
            .unwrap()
            .by
            .as_deref(),
        Some("alice-approver")
    );
}

#[test]
fn gate_conditions_follow_the_clock() {
    let envs = [
        env(healthy(&A[..7], 1)),
        env(healthy(&B[..7], 2)),
        env(healthy(&A[..7], 3)),
    ];
    // Thursday 2026-11-26 10:00 UTC: inside mon–thu 09:00–16:00; staging deployed 2026-11-20: soak met.
    let s = snapshot(&envs, None, "2026-11-26T10:00:00Z");
    let cond = |s: &Snapshot, k: GateConditionKind| {
        s.gates[0]
            .conditions
            .iter()
            .find(|c| c.kind == k)
            .unwrap()
            .clone()
    };
    assert!(cond(&s, GateConditionKind::Window).met);
    assert!(cond(&s, GateConditionKind::Soak).met);
    assert!(cond(&s, GateConditionKind::Freeze).met);
    assert!(!cond(&s, GateConditionKind::Reviewers).met);
    assert!(
        cond(&s, GateConditionKind::Reviewers)
            .reason
            .contains("@alice-approver")
    );
    // Friday: outside the window.
    let s = snapshot(&envs, None, "2026-11-27T10:00:00Z");
    let w = cond(&s, GateConditionKind::Window);
    assert!(
        !w.met && w.reason.contains("mon,tue,wed,thu 09:00–16:00 UTC"),
        "{}",
        w.reason
    );
    // The year-end freeze.
    let s = snapshot(&envs, None, "2026-12-22T10:00:00Z");
    let f = cond(&s, GateConditionKind::Freeze);
    assert!(
        !f.met && f.reason.contains("Year-end freeze") && f.reason.contains("@carol-lead"),
        "{}",
        f.reason
    );
    // Required checks unknown without GitHub.
    assert!(!cond(&s, GateConditionKind::Checks).met);
}

#[test]
fn soak_counts_from_the_source_environments_last_deploy() {
    let mut staging = healthy(&B[..7], 2);
    staging.helm_history[0].deployed_at = Some("2026-11-26T08:00:00Z".into());
    let s = snapshot(
        &[
            env(healthy(&A[..7], 1)),
            env(staging),
            env(healthy(&A[..7], 3)),
        ],
        None,
        "2026-11-26T10:00:00Z",
    );
    let soak = s.gates[0]
        .conditions
        .iter()
        .find(|c| c.kind == GateConditionKind::Soak)
        .unwrap();
    assert!(!soak.met);
    assert!(
        soak.reason.contains("2h") && soak.reason.contains("24h"),
        "{}",
        soak.reason
    );
}

#[test]
fn pending_lists_image_and_values_changes() {
    let mut staging = env(healthy(&B[..7], 2));
    staging.values =
        FlatValues::parse("replicaCount: 2\ningress:\n  host: staging.tbyte.local\n").unwrap();
    let mut prod = env(healthy(&A[..7], 3));
    prod.values = FlatValues::parse("replicaCount: 3\ningress:\n  host: tbyte.local\n").unwrap();
    let s = snapshot(
        &[env(healthy(&A[..7], 1)), staging, prod],
        None,
        "2026-11-26T10:00:00Z",
    );
    let pending = &s.gates[0].pending;
    assert_eq!(
        (
            pending.from_version.as_deref(),
            pending.to_version.as_deref()
        ),
        (Some(&A[..7]), Some(&B[..7]))
    );
    assert_eq!(pending.image_changes.len(), 1);
    assert!(
        pending.image_changes[0]
            .to
            .as_deref()
            .unwrap()
            .ends_with(&B[..7])
    );
    let keys: Vec<&str> = pending.values_diff.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["ingress.host", "replicaCount"]);
    assert_eq!(pending.values_diff[1].from.as_deref(), Some("3"));
}

#[test]
fn unreachable_cluster_is_unknown_and_stale() {
    let s = snapshot(
        &[EnvironmentInputs {
            cluster: None,
            stale: true,
            values: FlatValues::default(),
        }],
        None,
        "2026-11-26T10:00:00Z",
    );
    assert_eq!(s.environments[0].health, Health::Unknown);
    assert!(s.environments[0].stale);
    assert!(s.environments[0].health_reason.contains("unreachable"));
    assert_eq!(
        s.environments.len(),
        3,
        "every pipeline environment is listed"
    );
}

#[test]
fn required_checks_are_unknown_until_github_answered_for_the_commit() {
    let envs = [
        env(healthy(&A[..7], 1)),
        env(healthy(&B[..7], 2)),
        env(healthy(&A[..7], 3)),
    ];
    let commit = |sha: &str| CommitInfo {
        sha: sha.into(),
        title: "t".into(),
        author: "dave-developer".into(),
        date: None,
    };
    let checks_with = |answers: Option<Vec<(&str, CheckState)>>| {
        let github = GithubInputs {
            commits: vec![commit(A), commit(B)],
            checks: answers
                .map(|a| {
                    [(
                        B.to_owned(),
                        a.into_iter().map(|(n, s)| (n.to_owned(), s)).collect(),
                    )]
                    .into()
                })
                .unwrap_or_default(),
            ..GithubInputs::default()
        };
        let s = snapshot(&envs, Some(&github), "2026-11-26T10:00:00Z");
        s.gates[0]
            .conditions
            .iter()
            .find(|c| c.kind == GateConditionKind::Checks)
            .unwrap()
            .clone()
    };
    let asking = checks_with(None);
    assert!(!asking.met);
    assert_eq!(asking.reason, format!("{CHECKS_NOT_KNOWN_YET} bbbbbbb"));
    let none_yet = checks_with(Some(vec![]));
    assert_eq!(
        (none_yet.met, none_yet.reason.as_str()),
        (false, "not passed yet: build, test")
    );
    let failed = checks_with(Some(vec![
        ("build", CheckState::Success),
        ("test", CheckState::Failure),
    ]));
    assert_eq!(
        (failed.met, failed.reason.as_str()),
        (false, "failed: test")
    );
    let passed = checks_with(Some(vec![
        ("build", CheckState::Success),
        ("test", CheckState::Success),
    ]));
    assert!(passed.met, "{}", passed.reason);
}

#[test]
fn a_commit_id_from_the_wild_is_abbreviated_without_panicking() {
    assert_eq!(abbreviated("aaaaaaa1111"), "aaaaaaa");
    assert_eq!(abbreviated("abc"), "abc");
    assert_eq!(abbreviated("ééééé"), "ééééé");
}
