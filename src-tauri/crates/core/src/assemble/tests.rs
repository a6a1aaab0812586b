use std::path::Path;

use super::*;
use crate::inputs::{
    CommitInfo, ComparisonInfo, DeploymentInfo, GithubInputs, PullRequestInfo, WaitingRunInfo,
};
use crate::snapshot::{Condition, HelmRevision, ImageRef, InboxReason, PodState, ReplicaSetState};

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
        component: String::new(),
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

/// Inputs whose workloads (named as staging's) finished rolling out at `deployed_at`, which is
/// also when Helm says it deployed them.
fn cluster(mut workloads: Vec<Workload>, deployed_at: &str) -> ClusterInputs {
    for w in &mut workloads {
        w.conditions.push(Condition {
            kind: "Progressing".into(),
            status: "True".into(),
            reason: "NewReplicaSetAvailable".into(),
            message: String::new(),
            last_update: Some(deployed_at.into()),
        });
    }
    let tag = workloads[0].images[0]
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    ClusterInputs {
        images: Arc::new(vec![ImageRef {
            workload: "tbyte-staging-api".into(),
            container: "api".into(),
            image: workloads[0].images[0].clone(),
            tag: Some(tag.clone()),
            digest: None,
        }]),
        workloads: Arc::new(workloads.into_iter().map(Arc::new).collect()),
        stalled: Vec::new(),
        approvals: Vec::new(),
        helm_history: Arc::new(vec![HelmRevision {
            revision: 2,
            status: "deployed".into(),
            chart: "tbyte-microservices-0.1.0".into(),
            app_version: Some(tag),
            description: "Upgrade complete".into(),
            deployed_at: Some(deployed_at.into()),
            images: Vec::new(),
        }]),
        deployed_release: None,
        warnings: Vec::new(),
        warnings_left_out: 0,
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

/// The fixtures name every workload as staging's; each environment gets its own release's names.
fn renamed(p: &Pipeline, envs: &[EnvironmentInputs]) -> Vec<EnvironmentInputs> {
    envs.iter()
        .zip(&p.environments)
        .map(|(inputs, e)| {
            let mut inputs = inputs.clone();
            let name = format!("{}-api", e.release);
            if let Some(c) = inputs.cluster.as_mut().map(std::sync::Arc::make_mut) {
                for w in std::sync::Arc::make_mut(&mut c.workloads) {
                    std::sync::Arc::make_mut(w).name.clone_from(&name);
                }
                for i in Arc::make_mut(&mut c.images) {
                    i.workload.clone_from(&name);
                }
                for s in &mut c.stalled {
                    s.clone_from(&name);
                }
            }
            inputs
        })
        .collect()
}

fn snapshot(envs: &[EnvironmentInputs], github: Option<&GithubInputs>, now: &str) -> Snapshot {
    let p = pipeline();
    assemble(&Sources {
        pipeline: &p,
        environments: &renamed(&p, envs),
        github,
        source_states: Vec::new(),
        now: now.parse().unwrap(),
        sequence: 1,
    })
}

fn env(cluster: ClusterInputs) -> EnvironmentInputs {
    EnvironmentInputs {
        cluster: Some(cluster.into()),
        stale: false,
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
fn a_template_the_controller_has_not_answered_yet_is_a_rollout_not_the_new_version() {
    // `helm upgrade` changed the template to B; the newest ReplicaSet still runs A.
    let mut w = workload(2, vec![rs("old", "2", 2, 2, &A[..7])], Vec::new());
    w.images = vec![format!("ghcr.io/tbyte-org/tbyte-api:{}", &B[..7])];
    let s = snapshot(
        &[
            env(healthy(&A[..7], 1)),
            env(cluster(vec![w], "2026-11-26T09:00:00Z")),
            env(healthy(&A[..7], 3)),
        ],
        None,
        "2026-11-26T10:00:00Z",
    );
    let staging = &s.environments[1];
    assert_eq!(staging.health, Health::Progressing);
    assert_eq!(staging.version.as_ref().unwrap().label, A[..7]);
    let rollout = staging.rollout.as_ref().unwrap();
    assert_eq!(
        (
            rollout.progress,
            rollout.from.as_deref(),
            rollout.to.as_deref()
        ),
        (0.0, Some(&A[..7]), Some(&B[..7]))
    );
}

fn crashing_pod() -> PodState {
    PodState {
        name: "tbyte-staging-api-new-x1".into(),
        replica_set: Some("new".into()),
        phase: "Running".into(),
        ready: false,
        restarts: 4,
        reason: Some("CrashLoopBackOff".into()),
        message: None,
        created_at: None,
    }
}

#[test]
fn a_crashing_pod_degrades_the_environment_and_blocks_the_gate() {
    let crashing = crashing_pod();
    let sets = vec![rs("new", "3", 1, 0, &B[..7]), rs("old", "2", 2, 2, &A[..7])];
    let mut staging = cluster(
        vec![workload(2, sets, vec![crashing])],
        "2026-11-26T09:00:00Z",
    );
    staging.stalled = vec!["tbyte-staging-api".into()];
    // Production is a release behind what staging still serves while its rollout crashes.
    let s = snapshot(
        &[
            env(healthy(&A[..7], 1)),
            env(staging),
            env(healthy(&C[..7], 3)),
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
    assert_eq!(gate.status, GateStatus::Blocked);
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
            approved_by: None,
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
            creator: "github-actions[bot]".into(),
            updated_at: "2026-11-26T09:00:00Z".into(),
            approved_by: Some("alice-approver".into()),
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
    // The person who approved, and what deployed: never the author the gate forbids.
    let last = s.environments[2].last_deployed.as_ref().unwrap();
    assert_eq!(last.approved_by.as_deref(), Some("alice-approver"));
    assert_eq!(last.deployed_by.as_deref(), Some("GitHub Actions"));
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
fn soak_counts_from_when_the_source_finished_rolling_out_not_from_helm() {
    let soak_of = |staging: ClusterInputs| {
        let s = snapshot(
            &[
                env(healthy(&A[..7], 1)),
                env(staging),
                env(healthy(&A[..7], 3)),
            ],
            None,
            "2026-11-26T10:00:00Z",
        );
        s.gates[0]
            .conditions
            .iter()
            .find(|c| c.kind == GateConditionKind::Soak)
            .unwrap()
            .clone()
    };
    let staging = cluster(
        vec![workload(2, vec![rs("new", "2", 2, 2, &B[..7])], Vec::new())],
        "2026-11-26T08:00:00Z",
    );
    let soak = soak_of(staging.clone());
    assert!(!soak.met && soak.overridable);
    assert_eq!(
        soak.reason,
        "bbbbbbb has run 2h 0m in staging; it needs 24h (Deployment tbyte-staging-api completed its rollout at 2026-11-26 08:00 UTC)"
    );
    // A Helm record anyone with write access to staging's Secrets can forge moves nothing.
    let mut forged = staging.clone();
    let history = Arc::make_mut(&mut forged.helm_history);
    history[0].deployed_at = Some("2020-01-01T00:00:00Z".into());
    history[0].revision = 999;
    assert_eq!(soak_of(forged).reason, soak.reason);
    // A rollout that has not completed has not started its soak.
    let mut rolling = staging;
    std::sync::Arc::make_mut(&mut std::sync::Arc::make_mut(&mut rolling.workloads)[0])
        .conditions
        .clear();
    let unfinished = soak_of(rolling);
    assert!(
        !unfinished.met && unfinished.reason.contains("has not finished rolling out"),
        "{}",
        unfinished.reason
    );
}

#[test]
fn pending_lists_container_image_changes() {
    let s = snapshot(
        &[
            env(healthy(&A[..7], 1)),
            env(healthy(&B[..7], 2)),
            env(healthy(&A[..7], 3)),
        ],
        None,
        "2026-11-26T10:00:00Z",
    );
    let pending = &s.gates[0].pending;
    // What production runs now → what it would run.
    assert_eq!(
        (
            pending.current_version.as_deref(),
            pending.incoming_version.as_deref()
        ),
        (Some(&A[..7]), Some(&B[..7]))
    );
    assert!(
        pending.image_problems.is_empty(),
        "{:?}",
        pending.image_problems
    );
    assert_eq!(pending.image_changes.len(), 1);
    let change = &pending.image_changes[0];
    assert_eq!(
        (
            change.workload.as_str(),
            change.container.as_str(),
            change.source_workload.as_str()
        ),
        ("tbyte-prod-api", "api", "tbyte-staging-api")
    );
    assert!(change.to.as_deref().unwrap().ends_with(&B[..7]));
}

#[test]
fn a_gate_with_nothing_to_promote_is_up_to_date_not_blocked() {
    let s = snapshot(
        &[
            env(healthy(&A[..7], 1)),
            env(healthy(&A[..7], 2)),
            env(healthy(&A[..7], 3)),
        ],
        None,
        "2026-11-27T10:00:00Z",
    );
    assert_eq!(s.gates[0].status, GateStatus::UpToDate);
    assert_eq!(s.gates[0].status_label, "up to date");
}

#[test]
fn a_release_crashing_in_the_source_blocks_the_gate_even_when_both_run_the_same_version() {
    let crashing = crashing_pod();
    // Staging still serves A (production's version) while B crashes on its way in.
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
    let gate = &s.gates[0];
    assert_eq!(gate.pending.incoming_version, gate.pending.current_version);
    assert_eq!(gate.status, GateStatus::Blocked);
}

fn run(id: u64, sha: &str, can: bool) -> WaitingRunInfo {
    WaitingRunInfo {
        run_id: id,
        head_sha: sha.into(),
        actor: "dave-developer".into(),
        environments: vec![("production".into(), can)],
    }
}

const C: &str = "ccccccc3333333333333333333333333333333cc";

#[test]
fn every_waiting_run_is_listed_with_what_it_would_ship() {
    let commit = |sha: &str, title: &str| CommitInfo {
        sha: sha.into(),
        title: title.into(),
        author: "dave-developer".into(),
        date: None,
    };
    let github = GithubInputs {
        viewer: Some("alice-approver".into()),
        waiting_runs: vec![run(10090, B, true), run(10062, C, true)],
        comparisons: [
            (
                (A.to_owned(), B.to_owned()),
                ComparisonInfo {
                    ahead_by: 2,
                    behind_by: 0,
                    commits: vec![commit(C, "older"), commit(B, "newer")],
                },
            ),
            (
                (A.to_owned(), C.to_owned()),
                ComparisonInfo {
                    ahead_by: 1,
                    behind_by: 0,
                    commits: vec![commit(C, "older")],
                },
            ),
        ]
        .into(),
        pull_requests: vec![PullRequestInfo {
            number: 7,
            title: "Newer".into(),
            author: "dave-developer".into(),
            url: "https://github.com/o/r/pull/7".into(),
            head_sha: "f".repeat(40),
            merge_commit_sha: Some(B.into()),
            open: false,
            checks: CheckState::Success,
        }],
        ..GithubInputs::default()
    };
    let s = snapshot(
        &[
            env(healthy(&A[..7], 1)),
            env(healthy(&B[..7], 2)),
            env(healthy(&A[..7], 3)),
        ],
        Some(&github),
        "2026-11-26T10:00:00Z",
    );
    let runs = &s.gates[0].waiting_runs;
    let summary: Vec<(u64, &str, bool, usize, usize)> = runs
        .iter()
        .map(|r| {
            (
                r.run_id,
                r.label.as_str(),
                r.ships_source_version,
                r.commits.len(),
                r.pull_requests.len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (10090, "bbbbbbb", true, 2, 1),
            (10062, "ccccccc", false, 1, 0)
        ]
    );
    let soak_of = |r: &WaitingRun| {
        r.conditions
            .iter()
            .find(|c| c.kind == GateConditionKind::Soak)
            .unwrap()
            .reason
            .clone()
    };
    assert!(
        soak_of(&runs[0]).starts_with("bbbbbbb has run"),
        "{}",
        soak_of(&runs[0])
    );
    assert_eq!(
        soak_of(&runs[1]),
        "ccccccc does not run in staging, so it has not soaked there (needs 24h)"
    );
    // GitHub asks alice about the run: the inbox holds it, with the run's own figures.
    assert_eq!(s.inbox.len(), 1);
    let item = &s.inbox[0];
    assert_eq!(
        (item.id.as_str(), item.why, item.run_id, item.commits),
        (
            "production:run:10090",
            InboxReason::WaitingRun,
            Some(10090),
            2
        )
    );
    assert_eq!(
        item.notification.body,
        "Promote bbbbbbb from staging to production (2 commits), started by @dave-developer."
    );
    // Each comparison once, however abbreviated the ids the sources gave.
    assert_eq!(
        github_wants(&s).0,
        [
            (A[..7].to_owned(), B[..7].to_owned()),
            (A[..7].to_owned(), C.to_owned())
        ]
    );
}

#[test]
fn the_inbox_holds_a_gate_for_a_named_reviewer_only_when_the_review_is_all_that_is_missing() {
    let envs = [
        env(healthy(&A[..7], 1)),
        env(healthy(&B[..7], 2)),
        env(healthy(&A[..7], 3)),
    ];
    let as_viewer = |login: &str, now: &str| {
        let github = GithubInputs {
            viewer: Some(login.into()),
            checks: [(
                B.to_owned(),
                vec![
                    ("build".to_owned(), CheckState::Success),
                    ("test".to_owned(), CheckState::Success),
                ],
            )]
            .into(),
            ..GithubInputs::default()
        };
        snapshot(&envs, Some(&github), now).inbox
    };
    // Thursday, inside the window, soaked since 2026-11-20.
    let alice = as_viewer("Alice-Approver", "2026-11-26T10:00:00Z");
    assert_eq!(
        alice.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["production:version:bbbbbbb"]
    );
    assert_eq!(alice[0].why, InboxReason::Reviewer);
    // Not a named user: teams are GitHub's to resolve, through a waiting run.
    assert!(as_viewer("dave-developer", "2026-11-26T10:00:00Z").is_empty());
    // Friday, outside the window: the gate waits on time, not on alice.
    assert!(as_viewer("alice-approver", "2026-11-27T10:00:00Z").is_empty());
}

#[test]
fn unreachable_cluster_is_unknown_and_stale() {
    let s = snapshot(
        &[EnvironmentInputs {
            cluster: None,
            stale: true,
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

/// The Assembler reuses environments whose inputs it saw before; what it gives must be what a
/// whole assemble gives, step after step, whichever source moved.
#[test]
fn the_assembler_gives_what_a_whole_assemble_gives_as_sources_move() {
    let p = pipeline();
    let deployed = |sha: &str| GithubInputs {
        deployments: vec![DeploymentInfo {
            environment: "production".into(),
            sha: sha.into(),
            state: "success".into(),
            creator: "github-actions[bot]".into(),
            updated_at: "2026-11-26T09:00:00Z".into(),
            approved_by: None,
        }],
        ..GithubInputs::default()
    };
    let first = renamed(
        &p,
        &[
            env(healthy(&A[..7], 1)),
            env(healthy(&A[..7], 2)),
            env(healthy(&B[..7], 3)),
        ],
    );
    let mut steps: Vec<(Vec<EnvironmentInputs>, Option<GithubInputs>)> = Vec::new();
    steps.push((first.clone(), Some(deployed(A))));
    // Staging's pod crashes: only staging's inputs are new.
    let mut crashed = first.clone();
    crashed[1] = renamed(
        &p,
        &[
            env(healthy(&A[..7], 1)),
            env(cluster(
                vec![workload(
                    2,
                    vec![rs("new", "2", 2, 1, &A[..7])],
                    vec![crashing_pod()],
                )],
                "2026-11-20T09:00:00Z",
            )),
        ],
    )[1]
    .clone();
    steps.push((crashed.clone(), Some(deployed(A))));
    // Staging moves to another version: both gates next to it would ship something else.
    let mut moved = crashed.clone();
    moved[1] = renamed(&p, &[env(healthy(&A[..7], 1)), env(healthy(&B[..7], 2))])[1].clone();
    steps.push((moved, Some(deployed(A))));
    // GitHub moves alone: production's drift changes with no cluster input new.
    steps.push((crashed.clone(), Some(deployed(B))));
    // Production's source disconnects: the same inputs, now stale.
    let mut stale = crashed.clone();
    stale[2].stale = true;
    steps.push((stale, Some(deployed(B))));
    // Back to where it started, and GitHub gone.
    steps.push((first.clone(), Some(deployed(A))));
    steps.push((first, None));

    let mut assembler = Assembler::default();
    let mut before: Option<Snapshot> = None;
    for (i, (environments, github)) in steps.iter().enumerate() {
        let sources = Sources {
            pipeline: &p,
            environments,
            github: github.as_ref(),
            source_states: Vec::new(),
            now: "2026-11-26T10:00:00Z".parse().unwrap(),
            sequence: 1,
        };
        let whole = assemble(&sources);
        let assembled = assembler.assemble(&sources);
        assert_eq!(assembled, whole, "step {i}");
        if i == 1 {
            // Staging crashed but still runs the same images: the gate to production, planned
            // again, hands on the very same image changes (the window is not sent them again).
            let images = |s: &Snapshot| {
                let gate = s.gates.iter().find(|g| g.from == "staging").unwrap();
                gate.pending.image_changes.clone()
            };
            let (then, now) = (images(before.as_ref().unwrap()), images(&assembled));
            assert!(!now.is_empty());
            assert!(Arc::ptr_eq(&then, &now));
            // Dev's inputs did not move: its version hands on the very same image refs.
            let images = |s: &Snapshot| s.environments[0].version.as_ref().unwrap().images.clone();
            let (then, now) = (images(before.as_ref().unwrap()), images(&assembled));
            assert!(!now.is_empty());
            assert!(Arc::ptr_eq(&then, &now));
        }
        before = Some(assembled);
        // Each step moves something the window shows, so reusing a stale reduction would show.
        if i == 0 {
            assert!(whole.environments[2].drift.is_some());
        }
        if i == 1 {
            assert_eq!(whole.environments[1].health, Health::Degraded);
        }
        if i == 2 {
            let gate = whole.gates.iter().find(|g| g.from == "staging").unwrap();
            let incoming = gate.pending.incoming_version.as_deref();
            assert!(
                incoming.is_some_and(|v| v.starts_with("bbbbbbb")),
                "{incoming:?}"
            );
        }
        if i == 3 {
            assert!(whole.environments[2].drift.is_none());
        }
        if i == 4 {
            assert!(whole.environments[2].stale);
        }
    }
}
