#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Each promotion method, end to end against the simulated world: the live console, Sluice's
//! rules, the real authority (GitHub or Kubernetes), the rollout followed to its end, and the
//! audit journal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use sluice_console::journal::Journal;
use sluice_console::live::{Live, LiveConfig};
use sluice_console::promote::{self, Action, Context, Request};
use sluice_core::audit::AuditResult;
use sluice_core::snapshot::{Health, Snapshot};
use sluice_github::{GithubClient, GithubConfig, GithubToken};
use sluice_sim::kube::helm::{self, Upgrade};
use sluice_sim::people::Role;
use sluice_sim::{SimWorld, WorldOptions};

/// The shipped pipeline with production's gate replaced: no clock-dependent conditions, so the
/// tests do not depend on when they run.
fn pipeline_with(dir: &Path, method: &str, extra_gate: &str) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../environments");
    for f in ["values-dev.yaml", "values-staging.yaml", "values-prod.yaml"] {
        std::fs::copy(shipped.join(f), dir.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(shipped.join("pipeline.yaml")).unwrap();
    let head = &text[..text.find("    gate:").unwrap()];
    let gate = format!(
        "    gate:\n      method: {method}\n      workflow: deploy.yml\n      approval:\n        reviewers:\n          users: [alice-approver]\n        preventSelfReview: true\n      requiredChecks: [build, test]\n"
    );
    let path = dir.join("pipeline.yaml");
    std::fs::write(&path, format!("{head}{gate}{extra_gate}")).unwrap();
    path
}

struct Harness {
    world: SimWorld,
    live: Live,
    pipeline: sluice_core::Pipeline,
    kubeconfig: PathBuf,
    journal: Journal,
    _dir: tempfile::TempDir,
}

fn deploy(world: &SimWorld, release: &str, ns: &str, replicas: u32, sha: &str) {
    helm::upgrade(
        &world.kube,
        Upgrade {
            release,
            namespace: ns,
            values: json!({"replicaCount": replicas, "image": {"tag": &sha[..7]}}),
            version: &sha[..7],
            description: None,
        },
    )
    .unwrap();
}

fn github_for(world: &SimWorld, role: Role) -> GithubClient {
    let mut cfg = GithubConfig::github_com("tbyte-org", "tbyte");
    cfg.api_base = world.github_server.url();
    GithubClient::new(
        &cfg,
        Some(&GithubToken::new(world.person(role).github_token.clone())),
    )
    .unwrap()
}

async fn start(method: &str) -> Harness {
    start_with(method, "").await
}

/// A harness whose production gate has `extra_gate` appended (YAML lines at the gate's indent).
async fn start_with(method: &str, extra_gate: &str) -> Harness {
    let world = SimWorld::start(WorldOptions {
        speed: 30.0,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    deploy(
        &world,
        "tbyte-prod",
        "production",
        3,
        &world.seeded.main[1].clone(),
    );
    deploy(
        &world,
        "tbyte-staging",
        "staging",
        2,
        &world.seeded.main[2].clone(),
    );
    deploy(&world, "tbyte-dev", "dev", 1, &world.seeded.main[2].clone());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    world
        .write_kubeconfig(&kubeconfig, &["tbyte".to_owned()])
        .unwrap();
    let path = pipeline_with(dir.path(), method, extra_gate);
    let pipeline = sluice_core::load_pipeline(&path).unwrap();
    let live = Live::start(
        pipeline.clone(),
        dir.path().to_owned(),
        LiveConfig {
            kubeconfig: Some(kubeconfig.clone()),
            github_api: Some(world.github_server.url()),
            github_token: Some(GithubToken::new(
                world.person(Role::Approver).github_token.clone(),
            )),
            github_poll: Some(Duration::from_millis(150)),
        },
    )
    .await;
    let journal = Journal::open(dir.path().join("journal.jsonl")).unwrap();
    let h = Harness {
        world,
        live,
        pipeline,
        kubeconfig,
        journal,
        _dir: dir,
    };
    // GitHub's answer about the checks arrives after the first synced snapshot; a promotion
    // decided before it would be refused for "not known yet".
    h.until("a healthy, synced pipeline whose checks are known", |s| {
        s.environments.iter().all(|e| e.health == Health::Healthy)
            && s.sources.iter().all(|x| x.connected)
            && s.gates.iter().flat_map(|g| &g.conditions).all(|c| {
                !c.reason
                    .starts_with(sluice_core::assemble::CHECKS_NOT_KNOWN_YET)
            })
    })
    .await;
    h
}

impl Harness {
    async fn until(&self, what: &str, ok: impl Fn(&Snapshot) -> bool) -> Snapshot {
        let mut rx = self.live.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = rx.borrow_and_update().clone()
                && ok(&s)
            {
                return (*s).clone();
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                panic!("timed out waiting for {what}");
            }
        }
    }

    fn context(&self, role: Role) -> Context<'_> {
        Context {
            pipeline: &self.pipeline,
            snapshots: self.live.subscribe(),
            kubeconfig: Some(self.kubeconfig.clone()),
            github: Some(github_for(&self.world, role)),
            login: Some(self.world.person(role).login.clone()),
            journal: &self.journal,
            holder: format!("{}@test/1", self.world.person(role).login),
            follow_timeout: Duration::from_secs(60),
        }
    }

    fn production_tag(&self) -> String {
        let d = self
            .world
            .kube
            .get(
                sluice_sim::kube::resources::Kind::Deployment,
                "production",
                "tbyte-prod-api",
            )
            .unwrap();
        d["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned()
    }

    fn results(&self) -> Vec<AuditResult> {
        // In append order.
        self.journal
            .read()
            .unwrap()
            .entries
            .iter()
            .map(|e| e.result)
            .collect()
    }
}

fn approve(comment: &str) -> Request {
    Request {
        environment: "production".into(),
        action: Action::Approve,
        comment: comment.into(),
        override_reason: None,
    }
}

#[tokio::test]
async fn github_approval_refuses_the_author_then_the_reviewer_ships_it() {
    let h = start("github-approval").await;
    let staging = h.world.seeded.main[2][..7].to_owned();
    // The merge's deploy run waits on production; dave merged it.
    h.world
        .github
        .start_run(
            "deploy.yml",
            "main",
            "push",
            "dave-developer",
            &["production"],
        )
        .unwrap();
    h.until("the waiting run", |s| s.gates[0].waiting_run.is_some())
        .await;

    let err = promote::promote(&h.context(Role::Developer), &approve("lgtm"))
        .await
        .unwrap_err();
    assert_eq!(err.code, "promotion.refused");
    assert!(
        err.message.contains("not a required reviewer")
            && err.message.contains("another reviewer must approve"),
        "{}",
        err.message
    );
    assert_ne!(h.production_tag(), staging, "nothing moved");

    let outcome = promote::promote(&h.context(Role::Approver), &approve("ship release 42"))
        .await
        .unwrap();
    assert_eq!(outcome.result, AuditResult::Succeeded);
    assert_eq!(h.production_tag(), staging);
    assert_eq!(
        h.results(),
        [
            AuditResult::Refused,
            AuditResult::Started,
            AuditResult::Succeeded
        ]
    );
    let entries = h.journal.read().unwrap().entries;
    let done = entries
        .iter()
        .find(|e| e.result == AuditResult::Succeeded)
        .unwrap();
    assert_eq!(
        (done.actor.as_str(), done.comment.as_deref()),
        ("alice-approver", Some("ship release 42"))
    );
    assert_eq!(done.to_version.as_deref(), Some(staging.as_str()));
}

#[tokio::test]
async fn workflow_dispatch_moves_production_to_the_staging_version() {
    let h = start("workflow-dispatch").await;
    let staging = h.world.seeded.main[2][..7].to_owned();
    let outcome = promote::promote(&h.context(Role::Approver), &approve("dispatch it"))
        .await
        .unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    assert_eq!(h.production_tag(), staging);
    assert_eq!(h.results(), [AuditResult::Started, AuditResult::Succeeded]);
}

#[tokio::test]
async fn kubernetes_method_moves_production_and_posts_a_github_deployment() {
    let h = start("kubernetes").await;
    let staging_sha = h.world.seeded.main[2].clone();
    let outcome = promote::promote(&h.context(Role::Approver), &approve("apply it"))
        .await
        .unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    assert_eq!(h.production_tag(), &staging_sha[..7]);
    assert_eq!(h.results(), [AuditResult::Started, AuditResult::Succeeded]);
    // Traceability: GitHub now records the promotion, so no drift appears.
    let s = h
        .until("GitHub to record the promotion", |s| {
            s.environments[2].drift.is_none()
                && s.environments[2]
                    .version
                    .as_ref()
                    .is_some_and(|v| v.label == staging_sha[..7])
        })
        .await;
    assert!(s.environments[2].last_deployed.is_some());
}

#[tokio::test]
async fn a_failed_check_is_refused_audited_and_nothing_changes() {
    let h = start("kubernetes").await;
    let before = h.production_tag();
    h.world
        .github
        .set_check_run(
            &h.world.seeded.main[2],
            "test",
            sluice_sim::github::CheckStatus::Completed,
            Some(sluice_sim::github::Conclusion::Failure),
        )
        .unwrap();
    h.until("the failed check", |s| {
        s.gates[0]
            .conditions
            .iter()
            .any(|c| c.reason.contains("failed: test"))
    })
    .await;
    let err = promote::promote(&h.context(Role::Approver), &approve(""))
        .await
        .unwrap_err();
    assert!(
        err.message.to_lowercase().contains("failed: test"),
        "{}",
        err.message
    );
    assert_eq!(h.production_tag(), before);
    assert_eq!(h.results(), [AuditResult::Refused]);
}

#[tokio::test]
async fn twenty_concurrent_promotions_one_proceeds_and_all_are_journaled() {
    let h = start("kubernetes").await;
    let contexts: Vec<Context<'_>> = (0..20)
        .map(|i| {
            let mut ctx = h.context(Role::Approver);
            // Two consoles, double clicks: distinct holders on the Lease.
            ctx.holder = format!("alice-approver@console{}/{i}", i % 2);
            ctx
        })
        .collect();
    let requests: Vec<Request> = (0..20).map(|i| approve(&format!("click {i}"))).collect();
    let outcomes = futures::future::join_all(
        contexts
            .iter()
            .zip(&requests)
            .map(|(ctx, req)| promote::promote(ctx, req)),
    )
    .await;
    let succeeded = outcomes.iter().filter(|o| o.is_ok()).count();
    let in_progress = outcomes
        .iter()
        .filter(|o| {
            o.as_ref()
                .is_err_and(|e| e.message.contains("promotion in progress by"))
        })
        .count();
    assert_eq!((succeeded, in_progress), (1, 19), "{outcomes:?}");
    let entries = h.journal.read().unwrap().entries;
    let mut attempts: Vec<&str> = entries.iter().map(|e| e.correlation.as_str()).collect();
    attempts.sort_unstable();
    attempts.dedup();
    assert_eq!(attempts.len(), 20, "one journaled attempt per click");
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.result == AuditResult::Refused)
            .count(),
        19
    );
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.result == AuditResult::Succeeded)
            .count(),
        1
    );
}

#[tokio::test]
async fn an_unfinished_soak_is_offered_for_override_only_to_the_person_named() {
    let h = start_with(
        "kubernetes",
        "      soak: 24h\n      overrideBy:\n        users: [alice-approver]\n",
    )
    .await;
    let alice = promote::review(&h.context(Role::Approver), "production").unwrap();
    assert!(!alice.decision.allowed);
    assert!(alice.may_override, "{:?}", alice.decision.refusals);
    // Not a reviewer: no reason would let the developer approve.
    let dave = promote::review(&h.context(Role::Developer), "production").unwrap();
    assert!(!dave.decision.allowed && !dave.may_override);
    // With the reason, the override goes through and is journaled as one.
    let mut request = approve("hotfix");
    request.override_reason = Some("Incident 4711 needs the fix now".into());
    let outcome = promote::promote(&h.context(Role::Approver), &request)
        .await
        .unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    let entries = h.journal.read().unwrap().entries;
    assert_eq!(
        entries[0].override_reason.as_deref(),
        Some("Incident 4711 needs the fix now")
    );
}
