#![allow(clippy::unwrap_used)]

use super::*;
use crate::audit::AuditMethod;
use crate::snapshot::ReplicaSetState;

fn revision(n: u32, status: &str, tag: &str) -> HelmRevision {
    HelmRevision {
        revision: n,
        status: status.into(),
        chart: "tbyte-microservices-0.3.0".into(),
        app_version: None,
        description: "Upgrade complete".into(),
        deployed_at: Some(format!("2026-11-2{n}T10:00:00Z")),
        images: vec![
            format!("ghcr.io/tbyte/api:{tag}"),
            format!("ghcr.io/tbyte/web:{tag}"),
        ],
    }
}

fn entry(
    correlation: &str,
    at: &str,
    result: AuditResult,
    revision: Option<u32>,
    shipped: Option<&str>,
) -> AuditEntry {
    AuditEntry {
        id: format!("{correlation}-{at}"),
        at: at.into(),
        correlation: correlation.into(),
        actor: "alice-approver".into(),
        environment: "production".into(),
        from_version: None,
        to_version: shipped.map(str::to_owned),
        method: AuditMethod::Helm,
        action: AuditAction::Promote,
        plan: None,
        gates: Vec::new(),
        comment: None,
        override_reason: None,
        result,
        error: None,
        run_id: None,
        sha: None,
        shipped: shipped.map(str::to_owned),
        revision,
        recorded_late: None,
    }
}

fn inputs<'a>(
    helm_method: bool,
    helm_history: &'a [HelmRevision],
    workloads: &'a [Arc<Workload>],
    journal: &'a [AuditEntry],
    deployments: &'a [DeploymentInfo],
) -> HistoryInputs<'a> {
    HistoryInputs {
        environment: "production",
        helm_method,
        helm_history,
        workloads,
        journal,
        deployments,
    }
}

#[test]
fn helm_revisions_are_rows_enriched_by_the_journal() {
    let revisions = [
        revision(3, "deployed", "ccccccc"),
        revision(2, "failed", "bbbbbbb"),
        revision(1, "superseded", "aaaaaaa"),
    ];
    let journal = [
        entry(
            "p3",
            "2026-11-23T10:00:00Z",
            AuditResult::Started,
            None,
            None,
        ),
        entry(
            "p3",
            "2026-11-23T10:02:30Z",
            AuditResult::Succeeded,
            Some(3),
            Some("ccccccc"),
        ),
        // Another environment's attempt with the same revision number is not this one's.
        AuditEntry {
            environment: "staging".into(),
            actor: "mallory".into(),
            ..entry(
                "s3",
                "2026-11-23T11:00:00Z",
                AuditResult::Succeeded,
                Some(1),
                None,
            )
        },
    ];
    let rows = history(&inputs(true, &revisions, &[], &journal, &[]));
    assert_eq!(
        rows.iter().map(|r| r.revision).collect::<Vec<_>>(),
        [3, 2, 1]
    );
    let now = &rows[0];
    assert!(now.current);
    assert_eq!(now.version.as_deref(), Some("ccccccc"));
    assert_eq!(now.by.as_deref(), Some("alice-approver"));
    assert_eq!(now.how, "helm, by Sluice");
    assert_eq!(now.result, Some(AuditResult::Succeeded));
    assert_eq!(now.duration_secs, Some(150));
    assert_eq!(
        now.rollback_refusal.as_deref(),
        Some("it is what the environment runs now")
    );
    assert!(
        rows[1]
            .rollback_refusal
            .as_deref()
            .unwrap()
            .contains("failed"),
        "a failed revision never ran whole: {:?}",
        rows[1].rollback_refusal
    );
    assert_eq!(rows[2].rollback_refusal, None, "revision 1 can be restored");
    assert_eq!(rows[2].by, None, "staging's attempt is not production's");
    assert_eq!(rows[2].how, "Helm: Upgrade complete");
}

fn rs(name: &str, revision: u32, tag: &str, component: &str) -> ReplicaSetState {
    ReplicaSetState {
        name: name.into(),
        revision: Some(revision.to_string()),
        desired: 0,
        ready: 0,
        images: vec![format!("ghcr.io/tbyte/{component}:{tag}")],
    }
}

fn workload(name: &str, revision: u32, sets: Vec<ReplicaSetState>) -> Arc<Workload> {
    Arc::new(Workload {
        name: name.into(),
        component: name.into(),
        desired: 1,
        updated: 1,
        ready: 1,
        available: 1,
        restarts: 0,
        images: Vec::new(),
        revision: Some(revision.to_string()),
        conditions: Vec::new(),
        replica_sets: sets,
        pods: Vec::new(),
    })
}

const SHA_B: &str = "bbbbbbb0123456789012345678901234567890ab";

#[test]
fn replica_sets_line_up_by_version_and_github_says_who() {
    // Kubernetes numbers revisions per Deployment: web was created later, so its numbers lag.
    let workloads = [
        workload(
            "api",
            3,
            vec![
                rs("api-c", 3, "ccccccc", "api"),
                rs("api-b", 2, "bbbbbbb", "api"),
            ],
        ),
        workload(
            "web",
            2,
            vec![
                rs("web-c", 2, "ccccccc", "web"),
                rs("web-b", 1, "bbbbbbb", "web"),
                rs("web-a", 0, "aaaaaaa", "web"),
            ],
        ),
    ];
    let deployments = [DeploymentInfo {
        environment: "production".into(),
        sha: SHA_B.into(),
        state: "success".into(),
        creator: "github-actions[bot]".into(),
        updated_at: "2026-11-20T09:00:00Z".into(),
        approved_by: Some("bob-lead".into()),
    }];
    let rows = history(&inputs(false, &[], &workloads, &[], &deployments));
    let versions: Vec<_> = rows.iter().map(|r| r.version.as_deref().unwrap()).collect();
    assert_eq!(versions, ["ccccccc", "bbbbbbb", "aaaaaaa"]);
    assert_eq!(
        rows.iter().map(|r| r.revision).collect::<Vec<_>>(),
        [3, 2, 0]
    );
    assert!(rows[0].current && rows[0].status == "running");
    let b = &rows[1];
    assert!(!b.current);
    assert_eq!(b.sha.as_deref(), Some(SHA_B));
    assert_eq!(
        b.by.as_deref(),
        Some("bob-lead"),
        "the approver, not the bot"
    );
    assert_eq!(b.at.as_deref(), Some("2026-11-20T09:00:00Z"));
    assert_eq!(
        b.images,
        ["ghcr.io/tbyte/api:bbbbbbb", "ghcr.io/tbyte/web:bbbbbbb"]
    );
    assert_eq!(b.rollback_refusal, None);
    assert!(
        rows[2].rollback_refusal.as_deref().unwrap().contains("api"),
        "api no longer keeps aaaaaaa: {:?}",
        rows[2].rollback_refusal
    );
    assert_eq!(
        replica_sets_to_restore(&workloads, "bbbbbbb"),
        [
            ("api".to_owned(), "api-b".to_owned()),
            ("web".to_owned(), "web-b".to_owned())
        ]
    );
}

#[test]
fn a_rollback_plan_says_what_goes_and_what_comes_back() {
    let revisions = [
        revision(3, "deployed", "ccccccc"),
        revision(2, "superseded", "bbbbbbb"),
        revision(1, "superseded", "aaaaaaa"),
    ];
    let rows = history(&inputs(true, &revisions, &[], &[], &[]));
    let going = vec![CommitSummary {
        sha: "ccccccc".into(),
        title: "Add checkout".into(),
        author: "dev".into(),
    }];
    let plan = rollback_plan("production", &rows, 1, Ok(going.clone()));
    assert_eq!(plan.refusal, None);
    assert_eq!(plan.from_version.as_deref(), Some("ccccccc"));
    assert_eq!(plan.to_version.as_deref(), Some("aaaaaaa"));
    assert_eq!(
        plan.images_removed,
        ["ghcr.io/tbyte/api:ccccccc", "ghcr.io/tbyte/web:ccccccc"]
    );
    assert_eq!(
        plan.images_restored,
        ["ghcr.io/tbyte/api:aaaaaaa", "ghcr.io/tbyte/web:aaaaaaa"]
    );
    assert_eq!(plan.commits_going_away, going);

    let current = rollback_plan("production", &rows, 3, Err("no GitHub".into()));
    assert_eq!(
        current.refusal.as_deref(),
        Some("it is what the environment runs now")
    );
    assert_eq!(current.commits_unknown.as_deref(), Some("no GitHub"));
    let missing = rollback_plan("production", &rows, 9, Ok(Vec::new()));
    assert_eq!(
        missing.refusal.as_deref(),
        Some("production has no revision 9; its revisions are 3, 2, 1")
    );
}
