#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Promotions end to end against the simulated world, through the session both front ends
//! drive: the live view, the review, Sluice's rules, the real authority (GitHub or Kubernetes),
//! the rollout followed to its end, and the audit journal. Each person is a session of their
//! own, signed in by `GH_TOKEN` as a script or CI job would be.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use sluice_console::Console;
use sluice_console::credentials::Keychain;
use sluice_console::session::{Session, SessionOptions};
use sluice_core::UiError;
use sluice_core::approval::RefusalKind;
use sluice_core::audit::{AttemptFilter, AuditEntry, AuditResult};
use sluice_core::desk::{ActRequest, Outcome, ReviewAction};
use sluice_core::review::Review;
use sluice_core::snapshot::{GateConditionKind, Health, Snapshot};
use sluice_core::verify::VerificationState;
use sluice_sim::kube::resources::Kind;
use sluice_sim::people::Role;
use sluice_sim::testing;
use sluice_sim::{SimWorld, WorldOptions};

/// The shipped pipeline with production's gate replaced: no clock-dependent conditions, so the
/// tests do not depend on when they run.
fn pipeline_with(dir: &Path, method: &str, gate_extra: &str) -> PathBuf {
    let shipped = testing::shipped_pipeline_dir();
    for f in ["values-dev.yaml", "values-staging.yaml", "values-prod.yaml"] {
        std::fs::copy(shipped.join(f), dir.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(shipped.join("pipeline.yaml")).unwrap();
    let head = &text[..text.find("    gate:").unwrap()];
    let gate = format!(
        "    gate:\n      method: {method}\n      workflow: deploy.yml\n      approval:\n        reviewers:\n          users: [alice-approver]\n        preventSelfReview: true\n      requiredChecks: [build, test]\n"
    );
    let path = dir.join("pipeline.yaml");
    std::fs::write(&path, format!("{head}{gate}{gate_extra}")).unwrap();
    path
}

/// `helm upgrade` of `sha` into an environment with its own values file, as CI runs it.
fn deploy(world: &SimWorld, env: &str, sha: &str) {
    testing::deploy_with_values(world, env, sha).unwrap();
}

struct World {
    world: SimWorld,
    pipeline: PathBuf,
    kubeconfig: PathBuf,
    journal: PathBuf,
    _dir: tempfile::TempDir,
}

async fn start(method: &str) -> World {
    start_with(method, "").await
}

/// A world where production runs `main[1]` and staging and dev `main[2]`, and a pipeline whose
/// production gate uses `method`, with `gate_extra` (YAML lines at the gate's indent) appended.
async fn start_with(method: &str, gate_extra: &str) -> World {
    let world = SimWorld::start(WorldOptions {
        speed: 30.0,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    // The repository holds the values files where the pipeline says its folder is.
    for f in ["values-dev.yaml", "values-staging.yaml", "values-prod.yaml"] {
        let text = std::fs::read_to_string(testing::shipped_pipeline_dir().join(f)).unwrap();
        world
            .github
            .set_file(&format!("environments/{f}"), &text)
            .unwrap();
    }
    deploy(&world, "production", &world.seeded.main[1].clone());
    deploy(&world, "staging", &world.seeded.main[2].clone());
    deploy(&world, "dev", &world.seeded.main[2].clone());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    let pipeline = pipeline_with(dir.path(), method, gate_extra);
    World {
        journal: dir.path().join("journal.jsonl"),
        world,
        pipeline,
        kubeconfig,
        _dir: dir,
    }
}

impl World {
    /// A console of `role`'s person, signed in by `GH_TOKEN`, its live view settled: every
    /// environment healthy and GitHub's answers about the checks in.
    async fn console(&self, role: Role) -> Session {
        let token = self.world.person(role).github_token.clone();
        let session = Session::new(
            Console::new(&self.pipeline),
            SessionOptions {
                demo: false,
                kubeconfig: Some(self.kubeconfig.clone()),
                github_api_url: Some(self.world.github_server.url()),
                device_client_id: None,
                keychain: Keychain::disabled("no keychain in these tests"),
                journal: self.journal.clone(),
                environment: Arc::new(move |name| (name == "GH_TOKEN").then(|| token.clone())),
                demo_person: None,
                autopilot: false,
                last_known: None,
            },
        );
        session.start().await.unwrap();
        until(
            &session,
            "a healthy, synced pipeline whose checks are known",
            |s| {
                s.environments.iter().all(|e| e.health == Health::Healthy)
                    && s.sources.iter().all(|x| x.connected)
                    && s.gates.iter().flat_map(|g| &g.conditions).all(|c| {
                        !c.reason
                            .starts_with(sluice_core::assemble::CHECKS_NOT_KNOWN_YET)
                    })
            },
        )
        .await;
        session
    }

    fn production_tag(&self) -> String {
        let d = self
            .world
            .kube
            .get(Kind::Deployment, "production", "tbyte-prod-api")
            .unwrap();
        let image = d["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap();
        sluice_core::image::tag_of(image).unwrap().to_owned()
    }

    fn production_images(&self) -> Vec<String> {
        ["tbyte-prod-api", "tbyte-prod-web"]
            .iter()
            .map(|name| {
                self.world
                    .kube
                    .get(Kind::Deployment, "production", name)
                    .unwrap()["spec"]["template"]["spec"]["containers"][0]["image"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    /// The journal in append order.
    fn journal(&self) -> Vec<AuditEntry> {
        sluice_console::journal::Journal::open(&self.journal)
            .unwrap()
            .read()
            .unwrap()
            .entries
    }

    fn results(&self) -> Vec<AuditResult> {
        self.journal().iter().map(|e| e.result).collect()
    }

    /// A commit on main by the developer, with its checks passed.
    fn merge(&self, message: &str) -> String {
        let sha = self
            .world
            .github
            .commit("main", "dave-developer", message)
            .unwrap();
        for name in ["build", "test"] {
            self.world
                .github
                .set_check_run(
                    &sha,
                    name,
                    sluice_sim::github::CheckStatus::Completed,
                    Some(sluice_sim::github::Conclusion::Success),
                )
                .unwrap();
        }
        sha
    }

    /// The deploy workflow's run for main's head, its production job waiting for a review.
    fn waiting_run(&self) -> u64 {
        self.world
            .github
            .start_run(
                "deploy.yml",
                "main",
                "push",
                "dave-developer",
                &["production"],
            )
            .unwrap()
    }
}

async fn until(session: &Session, what: &str, ok: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
    let mut rx = session.subscribe();
    testing::until(&mut rx, Duration::from_secs(60), what, |s| {
        s.as_deref().is_some_and(&ok)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}: {:#?}", session.latest()))
    .unwrap()
}

fn approve(review: &Review, comment: &str) -> ActRequest {
    ActRequest {
        environment: review.environment.clone(),
        action: ReviewAction::Approve,
        comment: comment.into(),
        override_reason: None,
        pin: review.pin.clone(),
    }
}

async fn approve_now(session: &Session, comment: &str) -> Result<Outcome, UiError> {
    let review = session.review("production", None).await?;
    session.act(&approve(&review, comment)).await
}

fn kinds(review: &Review) -> Vec<RefusalKind> {
    review
        .decision
        .approve
        .refusals
        .iter()
        .map(|r| r.kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_approval_refuses_the_author_then_the_reviewer_ships_it_credited_to_her() {
    let w = start("github-approval").await;
    let staging = w.world.seeded.main[2][..7].to_owned();
    let run = w.waiting_run();
    let dave = w.console(Role::Developer).await;
    until(&dave, "the waiting run", |s| {
        !s.gates[0].waiting_runs.is_empty()
    })
    .await;

    let review = dave.review("production", None).await.unwrap();
    assert_eq!(review.candidate.as_ref().unwrap().run_id, Some(run));
    // Sluice's rules and GitHub's own answer for dave both say no.
    assert_eq!(
        kinds(&review),
        [
            RefusalKind::NotAReviewer,
            RefusalKind::SelfReview,
            RefusalKind::AuthorityDenied
        ]
    );
    let err = dave.act(&approve(&review, "lgtm")).await.unwrap_err();
    assert_eq!(err.code, "promotion.refused");
    assert!(
        err.message.contains("not a required reviewer")
            && err.message.contains("another reviewer must approve"),
        "{}",
        err.message
    );
    assert_ne!(w.production_tag(), staging, "nothing moved");

    let alice = w.console(Role::Approver).await;
    let outcome = approve_now(&alice, "ship release 42").await.unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    assert_eq!(outcome.running.as_deref(), Some(staging.as_str()));
    assert_eq!(w.production_tag(), staging);
    assert_eq!(
        w.results(),
        [
            AuditResult::Refused,
            AuditResult::Started,
            AuditResult::Succeeded
        ]
    );
    let journal = w.journal();
    let done = journal.last().unwrap();
    assert_eq!(
        (done.actor.as_str(), done.comment.as_deref()),
        ("alice-approver", Some("ship release 42"))
    );
    assert_eq!(done.run_id, Some(run));
    assert_eq!(done.to_version.as_deref(), Some(staging.as_str()));
    assert_eq!(done.shipped.as_deref(), Some(staging.as_str()));
    // The approval itself met the reviewers condition of the journaled gates.
    let reviewers = done.gates.iter().find(|g| g.kind == "reviewers").unwrap();
    assert!(reviewers.met, "{reviewers:?}");
    assert_eq!(reviewers.reason, "approved by @alice-approver");

    // Production is credited to who approved and what deployed, never to the author.
    let s = until(&alice, "GitHub's record of the approved deployment", |s| {
        s.environments[2]
            .last_deployed
            .as_ref()
            .is_some_and(|d| d.approved_by.is_some())
    })
    .await;
    let deployed = s.environments[2].last_deployed.as_ref().unwrap();
    assert_eq!(deployed.approved_by.as_deref(), Some("alice-approver"));
    assert_eq!(deployed.deployed_by.as_deref(), Some("GitHub Actions"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviewed_run_ships_exactly_its_commit_and_a_stale_approval_is_refused() {
    let w = start("github-approval").await;
    // Runs pile up on production only where the workflow gives its job no concurrency group
    // (the shipped one does, and GitHub then keeps the newest waiting).
    w.world.github.without_concurrency_groups();
    let older = w.world.seeded.main[2].clone();
    let older_run = w.waiting_run();
    // A newer merge reaches staging, and its run waits on production too.
    let newer = w.merge("Cache rate cards");
    deploy(&w.world, "staging", &newer);
    let newer_run = w.waiting_run();
    let alice = w.console(Role::Approver).await;
    until(
        &alice,
        "two waiting runs, staging on the newer commit",
        |s| {
            s.gates[0].waiting_runs.len() == 2
                && s.environments[1]
                    .version
                    .as_ref()
                    .is_some_and(|v| v.label == newer[..7])
        },
    )
    .await;

    // By default the review is of the run that ships what staging runs, and lists both.
    let review = alice.review("production", None).await.unwrap();
    let candidate = review.candidate.clone().unwrap();
    assert_eq!(
        (candidate.run_id, candidate.label.as_str()),
        (Some(newer_run), &newer[..7])
    );
    assert!(candidate.ships_source_version);
    assert_eq!(review.waiting_runs.len(), 2);
    assert!(
        review
            .warnings
            .iter()
            .any(|w| w.starts_with("2 deploy runs wait on production")),
        "{:?}",
        review.warnings
    );
    // The older run, reviewed on purpose: the review says plainly it is not staging's version.
    let older_review = alice.review("production", Some(older_run)).await.unwrap();
    assert_eq!(
        older_review.candidate.as_ref().unwrap().label,
        older[..7].to_owned()
    );
    assert!(
        older_review.warnings.iter().any(|w| w
            == &format!(
                "Run #{older_run} deploys {}, not {} that staging runs: approving it ships {} to production.",
                &older[..7],
                &newer[..7],
                &older[..7]
            )),
        "{:?}",
        older_review.warnings
    );
    assert!(
        older_review.image_changes.is_empty(),
        "staging does not run its images: none are claimed"
    );
    let soak = older_review
        .conditions
        .iter()
        .find(|c| c.kind == GateConditionKind::Checks)
        .unwrap();
    assert!(
        soak.met,
        "checks are the older commit's own: {}",
        soak.reason
    );

    // Approving the review of the older run ships exactly the older commit.
    let outcome = alice
        .act(&approve(&older_review, "the older one"))
        .await
        .unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    assert_eq!(w.production_tag(), older[..7]);
    let done = w.journal().last().cloned().unwrap();
    assert_eq!(done.run_id, Some(older_run));
    assert_eq!(done.sha.as_deref(), Some(older.as_str()));
    assert_eq!(done.shipped.as_deref(), Some(&older[..7]));

    // The review shown before is stale now (production moved): its approval is refused, and
    // nothing changes.
    let err = alice.act(&approve(&review, "stale")).await.unwrap_err();
    assert!(
        err.code == "promotion.release-changed" || err.code == "promotion.refused",
        "{err:?}"
    );
    let fresh = alice.review("production", Some(newer_run)).await.unwrap();
    // A stale pin for the same run: refused as changed, and the new review differs from it.
    let mut stale = approve(&fresh, "stale pin");
    stale.pin.sha = Some(older.clone());
    let err = alice.act(&stale).await.unwrap_err();
    assert_eq!(err.code, "promotion.release-changed");
    assert!(
        err.message
            .starts_with("The release changed while you were reviewing"),
        "{}",
        err.message
    );
    assert_eq!(w.production_tag(), older[..7]);
    assert_eq!(w.journal().last().unwrap().result, AuditResult::Refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_shows_production_values_as_deployed_against_its_file_at_the_commit() {
    let w = start("github-approval").await;
    w.waiting_run();
    let alice = w.console(Role::Approver).await;
    until(&alice, "the waiting run", |s| {
        !s.gates[0].waiting_runs.is_empty()
    })
    .await;
    let review = alice.review("production", None).await.unwrap();
    let to = &w.world.seeded.main[2][..7];
    let from = &w.world.seeded.main[1][..7];
    // Versions the right way round: production's, then what would ship.
    assert_eq!(review.current_version.as_deref(), Some(from));
    assert_eq!(review.candidate.as_ref().unwrap().label, to);
    assert!(
        review
            .values
            .before
            .starts_with("production as deployed (Helm revision "),
        "{}",
        review.values.before
    );
    assert_eq!(
        review.values.after,
        format!("values-prod.yaml at {to}, image.tag = {to}")
    );
    let changes: Vec<(&str, Option<&str>, Option<&str>)> = review
        .values
        .changes
        .iter()
        .map(|c| (c.key.as_str(), c.from.as_deref(), c.to.as_deref()))
        .collect();
    // Only the image tag changes: production keeps its own replicas, host and database.
    assert_eq!(changes, [("image.tag", Some(from), Some(to))]);
    assert!(review.values.notes.is_empty(), "{:?}", review.values.notes);
    assert_eq!(
        review.values.chart, None,
        "the same chart runs on both sides"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_dispatch_moves_production_to_the_staging_version() {
    let w = start("workflow-dispatch").await;
    let staging = w.world.seeded.main[2][..7].to_owned();
    let alice = w.console(Role::Approver).await;
    let outcome = approve_now(&alice, "dispatch it").await.unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    assert_eq!(w.production_tag(), staging);
    assert_eq!(w.results(), [AuditResult::Started, AuditResult::Succeeded]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_method_moves_production_and_posts_a_github_deployment() {
    let w = start("kubernetes").await;
    let staging_sha = w.world.seeded.main[2].clone();
    let alice = w.console(Role::Approver).await;
    let review = alice.review("production", None).await.unwrap();
    // Exactly which container changes to what, workload to workload.
    let changes: Vec<(&str, &str, &str)> = review
        .image_changes
        .iter()
        .map(|c| {
            (
                c.workload.as_str(),
                c.container.as_str(),
                c.source_workload.as_str(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("tbyte-prod-api", "api", "tbyte-staging-api"),
            ("tbyte-prod-web", "web", "tbyte-staging-web")
        ]
    );
    let outcome = alice.act(&approve(&review, "apply it")).await.unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    assert_eq!(w.production_tag(), &staging_sha[..7]);
    assert_eq!(w.results(), [AuditResult::Started, AuditResult::Succeeded]);
    assert_eq!(w.journal()[1].shipped.as_deref(), Some(&staging_sha[..7]));
    // Traceability: GitHub now records the promotion, so no drift appears.
    let s = until(&alice, "GitHub to record the promotion", |s| {
        s.environments[2].drift.is_none()
            && s.environments[2]
                .version
                .as_ref()
                .is_some_and(|v| v.label == staging_sha[..7])
    })
    .await;
    assert!(s.environments[2].last_deployed.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_labelled_deployment_never_reaches_production_and_digests_keep_their_port() {
    let w = start("kubernetes").await;
    // A developer (who may write staging) labels a backdoor as part of staging's release.
    let dave = sluice_kube::connect(Some(&w.kubeconfig), "tbyte@dave-developer")
        .await
        .unwrap();
    let foreign: Deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "tbyte-staging-aaa", "labels": {"app.kubernetes.io/instance": "tbyte-staging"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "aaa"}},
            "template": {"metadata": {"labels": {"app": "aaa"}},
                "spec": {"containers": [{"name": "api", "image": "ghcr.io/evil/backdoor:1"}]}}},
    }))
    .unwrap();
    Api::<Deployment>::namespaced(dave.clone(), "staging")
        .create(&PostParams::default(), &foreign)
        .await
        .unwrap();
    // And staging's real api runs an image from a registry with a port.
    let ported = "registry.example:5000/tbyte-api:v2";
    Api::<Deployment>::namespaced(dave, "staging")
        .patch(
            "tbyte-staging-api",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "api", "image": ported}]}}}})),
        )
        .await
        .unwrap();
    let alice = w.console(Role::Approver).await;
    let s = until(
        &alice,
        "staging running the ported image, with a digest",
        |s| {
            s.environments[1]
                .workloads
                .iter()
                .all(|w| w.name != "tbyte-staging-aaa")
                && s.gates[0].pending.image_changes.iter().any(|c| {
                    c.to.as_deref()
                        .is_some_and(|t| t.starts_with(&format!("{ported}@sha256:")))
                })
        },
    )
    .await;
    assert!(
        s.environments[1].problems.iter().any(|p| p.starts_with(
            "Deployment tbyte-staging-aaa is labelled as part of release tbyte-staging"
        )),
        "{:?}",
        s.environments[1].problems
    );
    let review = alice.review("production", None).await.unwrap();
    let told = serde_json::to_string(&review).unwrap();
    assert!(!told.contains("backdoor"), "the backdoor is not offered");
    let outcome = alice.act(&approve(&review, "ship")).await.unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    let images = w.production_images();
    assert!(
        images[0].starts_with(&format!("{ported}@sha256:")),
        "the port and the digest survive: {images:?}"
    );
    assert!(images.iter().all(|i| !i.contains("backdoor")), "{images:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_carries_what_was_reviewed_and_is_refused_when_staging_moved() {
    let w = start("kubernetes").await;
    let alice = w.console(Role::Approver).await;
    let review = alice.review("production", None).await.unwrap();
    let reviewed = review.candidate.clone().unwrap().label;
    // Staging moves on while the person reads the review.
    let newer = w.merge("Move sessions to Redis");
    deploy(&w.world, "staging", &newer);
    until(&alice, "staging on the newer commit", |s| {
        s.environments[1].health == Health::Healthy
            && s.environments[1]
                .version
                .as_ref()
                .is_some_and(|v| v.label == newer[..7])
    })
    .await;
    let before = w.production_tag();
    let err = alice.act(&approve(&review, "yes")).await.unwrap_err();
    assert_eq!(err.code, "promotion.release-changed");
    assert!(
        err.message.contains(&newer[..7]),
        "{} (newer {newer}, reviewed {reviewed})",
        err.message
    );
    assert_eq!(w.production_tag(), before, "nothing was promoted");
    assert_ne!(before, reviewed);
    assert_eq!(w.results(), [AuditResult::Refused]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_check_is_refused_audited_and_nothing_changes() {
    let w = start("kubernetes").await;
    let before = w.production_tag();
    w.world
        .github
        .set_check_run(
            &w.world.seeded.main[2],
            "test",
            sluice_sim::github::CheckStatus::Completed,
            Some(sluice_sim::github::Conclusion::Failure),
        )
        .unwrap();
    let alice = w.console(Role::Approver).await;
    until(&alice, "the failed check", |s| {
        s.gates[0]
            .conditions
            .iter()
            .any(|c| c.reason.contains("failed: test"))
    })
    .await;
    let err = approve_now(&alice, "").await.unwrap_err();
    assert!(
        err.message.to_lowercase().contains("failed: test"),
        "{}",
        err.message
    );
    assert_eq!(w.production_tag(), before);
    assert_eq!(w.results(), [AuditResult::Refused]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_approvals_one_proceeds_and_all_are_journaled() {
    let w = start("kubernetes").await;
    // Two consoles, double clicks.
    let consoles = [
        w.console(Role::Approver).await,
        w.console(Role::Approver).await,
    ];
    let review = consoles[0].review("production", None).await.unwrap();
    let requests: Vec<ActRequest> = (0..20)
        .map(|i| approve(&review, &format!("click {i}")))
        .collect();
    let outcomes = futures::future::join_all(
        requests
            .iter()
            .enumerate()
            .map(|(i, r)| consoles[i % 2].act(r)),
    )
    .await;
    let succeeded = outcomes.iter().filter(|o| o.is_ok()).count();
    // Each other click is refused, changing nothing: by the Lease while the winner runs, or,
    // when it comes after (a loaded machine), because production already runs the release.
    let refused = outcomes
        .iter()
        .filter(|o| {
            o.as_ref().is_err_and(|e| {
                e.message.contains("promotion in progress by")
                    || e.code == "promotion.release-changed"
            })
        })
        .count();
    assert_eq!((succeeded, refused), (1, 19), "{outcomes:?}");
    let journal = w.journal();
    let attempts = sluice_core::audit::attempts(&journal);
    assert_eq!(attempts.len(), 20, "one journaled attempt per click");
    let by_result = |r| attempts.iter().filter(|a| a.result == r).count();
    assert_eq!(
        (
            by_result(AuditResult::Refused),
            by_result(AuditResult::Succeeded)
        ),
        (19, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_soak_is_offered_for_override_only_to_the_person_named() {
    let w = start_with(
        "kubernetes",
        "      soak: 24h\n      overrideBy:\n        users: [alice-approver]\n",
    )
    .await;
    let alice = w.console(Role::Approver).await;
    let review = alice.review("production", None).await.unwrap();
    assert!(!review.decision.approve.allowed);
    assert!(
        review.decision.may_override,
        "{:?}",
        review.decision.approve
    );
    assert_eq!(kinds(&review), [RefusalKind::OverrideNeedsReason]);
    // Not a reviewer: no reason would let the developer approve.
    let dave = w.console(Role::Developer).await;
    let theirs = dave.review("production", None).await.unwrap();
    assert!(!theirs.decision.approve.allowed && !theirs.decision.may_override);
    // With the reason, the override goes through and is journaled as one.
    let mut request = approve(&review, "hotfix");
    request.override_reason = Some("Incident 4711 needs the fix now".into());
    let outcome = alice.act(&request).await.unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    let journal = w.journal();
    assert_eq!(
        journal[0].override_reason.as_deref(),
        Some("Incident 4711 needs the fix now")
    );
    assert_eq!(journal[0].action, sluice_core::audit::AuditAction::Override);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_of_team_reviewers_takes_the_signed_in_persons_answer_from_github() {
    let w = start_with("github-approval", "").await;
    // Only the team is named: whether alice may approve is GitHub's answer for her.
    let text = std::fs::read_to_string(&w.pipeline).unwrap().replace(
        "users: [alice-approver]",
        "teams: [tbyte-org/release-managers]",
    );
    std::fs::write(&w.pipeline, text).unwrap();
    w.waiting_run();
    let alice = w.console(Role::Approver).await;
    until(&alice, "the waiting run", |s| {
        !s.gates[0].waiting_runs.is_empty()
    })
    .await;
    let review = alice.review("production", None).await.unwrap();
    assert!(
        review.decision.approve.allowed,
        "GitHub says alice may (a member of the team): {:?}",
        review.decision.approve.refusals
    );
    assert_eq!(
        alice.latest().unwrap().viewer.as_deref(),
        Some("alice-approver")
    );
    assert_eq!(alice.inbox().len(), 1, "GitHub asks alice about the run");
    let vera = w.console(Role::Viewer).await;
    let theirs = vera.review("production", None).await.unwrap();
    assert_eq!(
        kinds(&theirs),
        [RefusalKind::NotAReviewer, RefusalKind::AuthorityDenied]
    );
    assert!(vera.inbox().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_that_stalls_after_approval_offers_rollback_which_restores_the_images() {
    let w = start("kubernetes").await;
    let alice = w.console(Role::Approver).await;
    let before = w.production_images();
    // The new pods will crash: the rollout stalls past its deadline.
    w.world.kube.crash_next_rollout("production");
    let outcome = approve_now(&alice, "ship").await.unwrap();
    assert_eq!(outcome.result, AuditResult::Failed, "{}", outcome.message);
    let offer = outcome.rollback.expect("rollback is offered");
    assert_eq!(offer.environment, "production");
    assert!(
        offer.reason.contains("progress deadline") || offer.reason.contains("stalled"),
        "{}",
        offer.reason
    );
    assert_eq!(w.results(), [AuditResult::Started, AuditResult::Failed]);
    let rolled = alice.rollback("production", None).await.unwrap();
    assert_eq!(rolled.result, AuditResult::Succeeded, "{}", rolled.message);
    assert_eq!(w.production_images(), before, "the previous images again");
    let attempts = alice.audit(&AttemptFilter::default()).await.unwrap();
    assert_eq!(
        attempts[0].entries[0].action,
        sluice_core::audit::AuditAction::Rollback
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_back_to_a_revision_two_back_restores_its_images_after_showing_what_goes() {
    let w = start("kubernetes").await;
    let alice = w.console(Role::Approver).await;
    let first = w.production_images();
    let first_label = w.world.seeded.main[1][..7].to_owned();
    let second = approve_now(&alice, "ship main[2]").await.unwrap();
    assert_eq!(second.result, AuditResult::Succeeded, "{}", second.message);
    let newer = w.merge("Cache rate cards");
    deploy(&w.world, "staging", &newer);
    until(&alice, "staging on the newer commit, healthy", |s| {
        s.environments[1].health == Health::Healthy
            && s.environments[1]
                .version
                .as_ref()
                .is_some_and(|v| v.label == newer[..7])
    })
    .await;
    let third = approve_now(&alice, "ship the newer commit").await.unwrap();
    assert_eq!(third.result, AuditResult::Succeeded, "{}", third.message);
    until(&alice, "production on the newer commit", |s| {
        s.environments[2].health == Health::Healthy
            && s.environments[2]
                .version
                .as_ref()
                .is_some_and(|v| v.label == newer[..7])
    })
    .await;

    let history = alice.history("production").await.unwrap();
    let versions: Vec<&str> = history
        .rows
        .iter()
        .map(|r| r.version.as_deref().unwrap())
        .collect();
    assert_eq!(
        versions,
        [
            &newer[..7],
            &w.world.seeded.main[2][..7],
            first_label.as_str()
        ],
        "newest first: {history:#?}"
    );
    assert!(history.rows[0].current);
    for row in &history.rows[..2] {
        assert_eq!(row.by.as_deref(), Some("alice-approver"), "{row:?}");
        assert_eq!(row.how, "kubernetes, by Sluice");
        assert_eq!(row.result, Some(AuditResult::Succeeded));
    }
    let two_back = history.rows[2].clone();
    assert_eq!(two_back.rollback_refusal, None, "{two_back:?}");

    let plan = alice
        .rollback_plan("production", two_back.revision)
        .await
        .unwrap();
    assert_eq!(plan.refusal, None);
    assert_eq!(plan.to_version.as_deref(), Some(first_label.as_str()));
    let mut restored = plan.images_restored.clone();
    restored.sort();
    let mut expected = first.clone();
    expected.sort();
    assert_eq!(restored, expected, "the plan names the images that return");
    // main[2] (a merged pull request: its commit and the merge) and the newer commit go away.
    let going: Vec<&str> = plan
        .commits_going_away
        .iter()
        .map(|c| c.sha.as_str())
        .collect();
    assert_eq!(going.len(), 3, "{plan:#?}");
    assert_eq!(going[1], w.world.seeded.main[2], "{plan:#?}");
    assert_eq!(going[2], newer, "oldest first: {plan:#?}");
    assert!(!going.contains(&w.world.seeded.main[1].as_str()));

    // The current revision is refused, and the refusal journaled; nothing changes.
    let before = w.production_images();
    let err = alice
        .rollback("production", Some(history.rows[0].revision))
        .await
        .unwrap_err();
    assert_eq!(err.code, "rollback.refused", "{err:?}");
    assert_eq!(w.production_images(), before);
    assert_eq!(w.results().last(), Some(&AuditResult::Refused));

    let rolled = alice
        .rollback("production", Some(two_back.revision))
        .await
        .unwrap();
    assert_eq!(rolled.result, AuditResult::Succeeded, "{}", rolled.message);
    assert_eq!(w.production_images(), first, "main[1]'s images again");
    let journal = w.journal();
    let last = journal.last().unwrap();
    assert_eq!(last.action, sluice_core::audit::AuditAction::Rollback);
    assert_eq!(last.result, AuditResult::Succeeded);
    assert_eq!(last.to_version.as_deref(), Some(first_label.as_str()));
    assert_eq!(last.plan.as_ref().map(|p| p.commits), Some(3));
    let started = &journal[journal.len() - 2];
    assert_eq!(started.result, AuditResult::Started);
    assert_eq!(
        started.revision,
        Some(two_back.revision),
        "the revision asked for"
    );
}

/// GitHub's deployments to production as the world's API lists them, newest first.
async fn production_deployments(w: &World) -> Vec<sluice_core::inputs::DeploymentInfo> {
    let config = sluice_github::GithubConfig {
        api_base: w.world.github_server.url(),
        ..sluice_github::GithubConfig::github_com("tbyte-org", "tbyte")
    };
    let token = sluice_github::GithubToken::new(w.world.person(Role::Viewer).github_token.clone());
    sluice_github::GithubClient::new(&config, Some(&token))
        .unwrap()
        .deployment_history("production", 5)
        .await
        .unwrap()
}

const VERIFY_ROLLBACK: &str = "    verify:\n      for: 4s\n      onFailure: rollback\n";
/// Long enough that the crash the test causes falls inside it on a busy machine: a failure
/// ends verification at once, so the test does not wait it out.
const VERIFY_LONG: &str = "    verify:\n      for: 120s\n      onFailure: rollback\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_that_holds_is_verified_and_github_says_so() {
    let w = start_with("kubernetes", VERIFY_ROLLBACK).await;
    let alice = w.console(Role::Approver).await;
    let mut progress = alice.subscribe_progress();
    let outcome = approve_now(&alice, "ship").await.unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    assert!(
        outcome.message.ends_with("; verified: it held for 4 s"),
        "{}",
        outcome.message
    );
    let mut lines = Vec::new();
    while let Ok(line) = progress.try_recv() {
        lines.push(line.line);
    }
    assert!(
        lines.iter().any(|l| l.starts_with("verifying for 4 s:")),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("verified: production held for 4 s")
    );
    assert_eq!(w.results(), [AuditResult::Started, AuditResult::Succeeded]);
    let newest = &production_deployments(&w).await[0];
    assert!(w.world.seeded.main[2].starts_with(&newest.sha[..7]));
    assert_eq!(newest.state, "success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_whose_pods_crash_during_verification_is_rolled_back_and_says_why() {
    let w = start_with("kubernetes", VERIFY_LONG).await;
    let alice = Arc::new(w.console(Role::Approver).await);
    let before = w.production_images();
    let new_tag = w.world.seeded.main[2][..7].to_owned();
    let before_label = alice.latest().unwrap().environments[2]
        .version
        .as_ref()
        .map(|v| v.label.clone());
    let mut progress = alice.subscribe_progress();
    // Every phase the window is shown, in order.
    let phases = {
        let mut verifications = alice.subscribe_verifications();
        tokio::spawn(async move {
            let mut seen: Vec<VerificationState> = Vec::new();
            while verifications.changed().await.is_ok() {
                let now = verifications.borrow_and_update().clone();
                if let Some(v) = now.iter().find(|v| v.environment == "production")
                    && seen.last() != Some(&v.state)
                {
                    seen.push(v.state.clone());
                    if v.finished() {
                        break;
                    }
                }
            }
            seen
        })
    };
    // The new version's pods run healthy for 5 simulated minutes (10 s here), then crash-loop:
    // after the rollout, whatever the machine's load (the verification lasts 120 s).
    w.world
        .kube
        .crash_next_rollout_after("production", Duration::from_secs(300));
    let promotion = {
        let alice = alice.clone();
        tokio::spawn(async move { approve_now(&alice, "ship").await })
    };
    let outcome = promotion.await.unwrap().unwrap();
    assert_eq!(outcome.result, AuditResult::Failed, "{}", outcome.message);
    assert!(
        outcome
            .message
            .starts_with(&format!("production did not hold {new_tag} for 120 s: ")),
        "{}",
        outcome.message
    );
    assert!(
        outcome.message.contains("rolled back automatically"),
        "{}",
        outcome.message
    );
    assert_eq!(
        outcome.rollback, None,
        "nothing left to offer: it rolled back"
    );
    assert_eq!(w.production_images(), before, "the previous images again");
    let phases = phases.await.unwrap();
    let names: Vec<&str> = phases
        .iter()
        .map(|p| match p {
            VerificationState::Settling => "settling",
            VerificationState::Verifying => "verifying",
            VerificationState::RollingBack { .. } => "rolling-back",
            VerificationState::RolledBack { .. } => "rolled-back",
            _ => "other",
        })
        .collect();
    // Settling and verifying may pass between two looks at the channel (and on a loaded machine
    // the crash may come before the live view showed the new version whole).
    assert!(
        names.ends_with(&["rolling-back", "rolled-back"]) && !names.contains(&"other"),
        "{phases:?}"
    );
    let VerificationState::RolledBack { reason, to } = phases.last().unwrap() else {
        unreachable!()
    };
    assert!(
        outcome.message.contains(reason.as_str()),
        "the window and the outcome give the same reason: {reason} / {}",
        outcome.message
    );
    assert_eq!(to, &before_label, "named what production runs again");
    // `sluice promote` prints each check's state with the failure.
    let mut lines = Vec::new();
    while let Ok(line) = progress.try_recv() {
        lines.push(line.line);
    }
    // Which checks still held when it failed depends on when the crash came (all four may fail
    // within one look), so the failure line is asked to name each check with its state.
    if names.contains(&"verifying") {
        let failure = lines.iter().find(|l| l.contains(" FAILED ("));
        let states = |l: &str| {
            ["restarts", "readiness", "crash-looping", "warnings"]
                .iter()
                .all(|c| l.contains(&format!("{c} met")) || l.contains(&format!("{c} FAILED (")))
        };
        assert!(failure.is_some_and(|l| states(l)), "{lines:?}");
    }
    assert_eq!(
        alice.latest().unwrap().environments[2]
            .version
            .as_ref()
            .map(|v| v.label.clone()),
        before_label
    );
    let journal = w.journal();
    let results: Vec<(sluice_core::audit::AuditAction, AuditResult)> =
        journal.iter().map(|e| (e.action, e.result)).collect();
    use sluice_core::audit::AuditAction::{Promote, Rollback};
    assert_eq!(
        results,
        [
            (Promote, AuditResult::Started),
            (Promote, AuditResult::Failed),
            (Rollback, AuditResult::Started),
            (Rollback, AuditResult::Succeeded),
        ]
    );
    let failed = journal[1].error.as_ref().unwrap();
    assert_eq!(failed.code, "promotion.verification-failed");
    assert!(failed.hint.contains("rolled it back"), "{}", failed.hint);
    let newest = production_deployments(&w)
        .await
        .into_iter()
        .find(|d| new_tag.starts_with(&d.sha[..7]))
        .unwrap();
    assert_eq!(newest.state, "failure");
}

/// Production's gate asking two different people of alice, carol and dave to approve.
fn quorum_of_two(w: &World) {
    let text = std::fs::read_to_string(&w.pipeline).unwrap();
    let text = text
        .replace(
            "users: [alice-approver]",
            "users: [alice-approver, carol-lead, dave-developer]",
        )
        .replace(
            "        preventSelfReview: true\n",
            "        preventSelfReview: true\n        required: 2\n",
        );
    std::fs::write(&w.pipeline, text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quorum_of_two_counts_each_person_once_never_the_author_and_the_second_ships() {
    let w = start("github-approval").await;
    quorum_of_two(&w);
    let staging_sha = w.world.seeded.main[2].clone();
    let staging = staging_sha[..7].to_owned();
    let before = w.production_tag();
    let run = w.waiting_run();
    let waiting = |s: &Snapshot| !s.gates[0].waiting_runs.is_empty();
    let dave = w.console(Role::Developer).await;
    until(&dave, "the waiting run", waiting).await;

    // The author may not approve; an approval in his name written to the ledger by someone who
    // may write it does not count either.
    let review = dave.review("production", None).await.unwrap();
    assert!(
        kinds(&review).contains(&RefusalKind::SelfReview),
        "{:?}",
        kinds(&review)
    );
    let kube = sluice_kube::connect(Some(&w.kubeconfig), "tbyte")
        .await
        .unwrap();
    sluice_kube::write::ledger::record(
        &kube,
        "production",
        &sluice_core::quorum::LedgerApproval {
            environment: "production".into(),
            login: "dave-developer".into(),
            version: staging.clone(),
            sha: Some(staging_sha.clone()),
            from: Some(before.clone()),
            at: "2026-12-06T09:00:00Z".into(),
            comment: None,
        },
    )
    .await
    .unwrap();

    let alice = w.console(Role::Approver).await;
    until(&alice, "the waiting run", waiting).await;
    let review = alice.review("production", None).await.unwrap();
    let vote = review.decision.vote.unwrap();
    assert_eq!((vote.required, vote.before, vote.completes), (2, 0, false));
    let first = alice.act(&approve(&review, "one of two")).await.unwrap();
    assert_eq!(first.result, AuditResult::Counted, "{}", first.message);
    assert!(
        first.message.contains("1 of 2 approvals (@alice-approver)"),
        "{}",
        first.message
    );
    // The first approval alone changes nothing: production runs what it ran, the run still waits.
    assert_eq!(w.production_tag(), before);

    let carol = w.console(Role::Lead).await;
    let s = until(&carol, "alice's approval counted on the gate", |s| {
        s.gates[0]
            .waiting_runs
            .first()
            .and_then(|r| r.quorum.as_ref())
            .is_some_and(|q| q.count() == 1)
    })
    .await;
    let gate_run = &s.gates[0].waiting_runs[0];
    assert_eq!(gate_run.run_id, run);
    let q = gate_run.quorum.as_ref().unwrap();
    assert_eq!(q.summary, "1 of 2 approvals: @alice-approver");
    assert_eq!(q.not_counted.len(), 1, "{:?}", q.not_counted);
    assert!(q.not_counted[0].starts_with("@dave-developer"));
    let reviewers = gate_run
        .conditions
        .iter()
        .find(|c| c.kind == GateConditionKind::Reviewers)
        .unwrap();
    assert!(
        reviewers
            .reason
            .starts_with("1 of 2 approvals: @alice-approver; needs 1 more"),
        "{}",
        reviewers.reason
    );
    // Carol's inbox says where the quorum stands; alice's no longer waits on her.
    assert_eq!(
        s.inbox.first().and_then(|i| i.approvals.as_deref()),
        Some("1 of 2 approvals: @alice-approver")
    );
    let s = until(&alice, "alice's approval counted", |s| {
        s.gates[0]
            .waiting_runs
            .first()
            .and_then(|r| r.quorum.as_ref())
            .is_some_and(|q| q.count() == 1)
    })
    .await;
    assert!(s.inbox.is_empty(), "{:?}", s.inbox);

    // One approval per person.
    let again = alice.review("production", None).await.unwrap();
    assert!(
        kinds(&again).contains(&RefusalKind::AlreadyApproved),
        "{:?}",
        kinds(&again)
    );
    assert_eq!(
        alice.act(&approve(&again, "twice")).await.unwrap_err().code,
        "promotion.refused"
    );

    // The second person's approval completes the quorum: GitHub's review is submitted in her name.
    let review = carol.review("production", None).await.unwrap();
    let vote = review.decision.vote.unwrap();
    assert_eq!((vote.before, vote.completes), (1, true));
    let second = carol.act(&approve(&review, "two of two")).await.unwrap();
    assert_eq!(second.result, AuditResult::Succeeded, "{}", second.message);
    assert_eq!(w.production_tag(), staging);
    assert_eq!(
        w.results(),
        [
            AuditResult::Started,
            AuditResult::Counted,
            AuditResult::Refused,
            AuditResult::Started,
            AuditResult::Succeeded
        ]
    );
    let journal = w.journal();
    let reviewers = journal
        .last()
        .unwrap()
        .gates
        .iter()
        .find(|g| g.kind == "reviewers")
        .unwrap();
    assert_eq!(
        reviewers.reason,
        "approved by @alice-approver, @carol-lead (2 of 2 approvals)"
    );
    // Each approval sits in its giver's own ledger; carol's, which completed the quorum, was not
    // needed there. Once production runs the release, they are of a move that was made: the gate
    // counts none of them any more.
    let ledger = |login: &str| {
        w.world
            .kube
            .get(
                Kind::ConfigMap,
                "production",
                &sluice_core::quorum::ledger_name(login),
            )
            .map(|m| m["data"].clone())
    };
    assert!(ledger("alice-approver").unwrap()["production"].is_string());
    assert!(ledger("carol-lead").is_none());
    until(&carol, "the done move's approvals no longer counted", |s| {
        s.gates[0].quorum.as_ref().is_some_and(|q| q.count() == 0)
    })
    .await;
    let s = until(&carol, "GitHub's record of the approved deployment", |s| {
        s.environments[2]
            .last_deployed
            .as_ref()
            .is_some_and(|d| d.approved_by.is_some())
    })
    .await;
    assert_eq!(
        s.environments[2]
            .last_deployed
            .as_ref()
            .unwrap()
            .approved_by
            .as_deref(),
        Some("carol-lead")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_the_cluster_will_not_keep_is_refused_in_rbacs_words_and_nothing_counts() {
    let w = start("kubernetes").await;
    quorum_of_two(&w);
    // Production is read and written as vera, who may read the namespace but write nothing.
    let text = std::fs::read_to_string(&w.pipeline).unwrap();
    let at = text.rfind("kubeContext: tbyte").unwrap();
    let text = format!(
        "{}kubeContext: tbyte@vera-viewer{}",
        &text[..at],
        &text[at + "kubeContext: tbyte".len()..]
    )
    .replace("carol-lead, dave-developer]", "carol-lead, vera-viewer]");
    std::fs::write(&w.pipeline, text).unwrap();
    let before = w.production_tag();

    let vera = w.console(Role::Viewer).await;
    let review = vera.review("production", None).await.unwrap();
    assert_eq!(
        review.decision.vote.map(|v| v.completes),
        Some(false),
        "{:?}",
        kinds(&review)
    );
    let err = vera.act(&approve(&review, "from vera")).await.unwrap_err();
    assert_eq!(err.code, "promotion.ledger-forbidden", "{err:?}");
    assert!(
        err.message
            .contains("User \"vera-viewer\" cannot patch resource \"configmaps\""),
        "{}",
        err.message
    );
    assert!(err.hint.contains("sluice-approvals"), "{}", err.hint);
    assert_eq!(w.results(), [AuditResult::Started, AuditResult::Refused]);
    assert_eq!(w.production_tag(), before);
    assert!(
        w.world
            .kube
            .get(
                Kind::ConfigMap,
                "production",
                &sluice_core::quorum::ledger_name("vera-viewer")
            )
            .is_none()
    );
}

const VERIFY_SMOKE: &str =
    "    verify:\n      for: 4s\n      onFailure: rollback\n      job: smoke-job.yaml\n";
const SMOKE_JOB: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: tbyte-smoke\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: smoke\n          image: curlimages/curl:8.11.0\n          args: [\"-fsS\", \"http://tbyte-prod-api/healthz\"]\n";

/// A world whose production verifies with the smoke-test Job above.
async fn with_smoke_test() -> World {
    let w = start_with("kubernetes", VERIFY_SMOKE).await;
    std::fs::write(w.pipeline.with_file_name("smoke-job.yaml"), SMOKE_JOB).unwrap();
    w
}

/// The smoke-test Jobs Sluice made in production, as (name, status word).
fn smoke_jobs(w: &World) -> Vec<(String, String)> {
    w.world
        .kube
        .list(Kind::Job, Some("production"))
        .iter()
        .filter(|j| j["metadata"]["labels"]["sluice.dev/verifies"] == "production")
        .map(|j| {
            (
                j["metadata"]["name"].as_str().unwrap().to_owned(),
                sluice_sim::kube::controllers::job_status_word(j).to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smoke_test_job_that_succeeds_is_part_of_the_verification() {
    let w = with_smoke_test().await;
    let alice = w.console(Role::Approver).await;
    let mut progress = alice.subscribe_progress();
    let outcome = approve_now(&alice, "ship").await.unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    let jobs = smoke_jobs(&w);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let (job, status) = &jobs[0];
    assert!(job.starts_with("tbyte-smoke-"), "{job}");
    assert_eq!(status, "Complete");
    let job_object = w.world.kube.get(Kind::Job, "production", job).unwrap();
    assert_eq!(
        job_object["metadata"]["labels"]["sluice.dev/version"],
        w.world.seeded.main[2][..7]
    );
    let mut lines = Vec::new();
    while let Ok(line) = progress.try_recv() {
        lines.push(line.line);
    }
    assert!(
        lines.contains(&format!("smoke test: Job {job} succeeded")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smoke_test_job_that_fails_fails_the_verification_and_rolls_back() {
    let w = with_smoke_test().await;
    let alice = w.console(Role::Approver).await;
    let before = w.production_images();
    w.world.kube.fail_next_job("production");
    let outcome = approve_now(&alice, "ship").await.unwrap();
    assert_eq!(outcome.result, AuditResult::Failed, "{}", outcome.message);
    let (job, status) = smoke_jobs(&w).pop().unwrap();
    assert_eq!(status, "Failed");
    assert!(
        outcome.message.contains(&format!(
            "the smoke test Job {job} failed: BackoffLimitExceeded: Job has reached the specified backoff limit"
        )),
        "{}",
        outcome.message
    );
    assert!(
        outcome.message.contains("rolled back automatically"),
        "{}",
        outcome.message
    );
    assert_eq!(w.production_images(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_check_failing_on_the_deployed_commit_fails_the_verification() {
    let w = start_with("kubernetes", VERIFY_LONG).await;
    let alice = Arc::new(w.console(Role::Approver).await);
    let before = w.production_images();
    let sha = w.world.seeded.main[2].clone();
    let promotion = {
        let alice = alice.clone();
        tokio::spawn(async move { approve_now(&alice, "ship").await })
    };
    until(&alice, "production on the new version", |s| {
        s.environments[2]
            .version
            .as_ref()
            .is_some_and(|v| v.label == sha[..7])
    })
    .await;
    // A re-run of `test` on the deployed commit fails while the new version holds.
    w.world
        .github
        .set_check_run(
            &sha,
            "test",
            sluice_sim::github::CheckStatus::Completed,
            Some(sluice_sim::github::Conclusion::Failure),
        )
        .unwrap();
    let outcome = promotion.await.unwrap().unwrap();
    assert_eq!(outcome.result, AuditResult::Failed, "{}", outcome.message);
    assert!(
        outcome
            .message
            .contains(&format!("the required check test failed on {}", &sha[..7])),
        "{}",
        outcome.message
    );
    assert_eq!(w.production_images(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_s_rollout_is_recorded_and_replays_from_the_old_version_to_the_new() {
    let w = start("kubernetes").await;
    let before = w.production_tag();
    let new_tag = w.world.seeded.main[2][..7].to_owned();
    let alice = w.console(Role::Approver).await;
    let outcome = approve_now(&alice, "ship").await.unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    let correlation = w.journal()[0].correlation.clone();
    let replay = alice.replay(&correlation).await.unwrap();
    assert_eq!(replay.environment, "production");
    let frames = &replay.frames;
    let label = |i: usize| frames[i].state.version.as_ref().map(|v| v.label.clone());
    assert_eq!(
        label(0).as_deref(),
        Some(before.as_str()),
        "it starts before anything changed"
    );
    assert_eq!(
        label(frames.len() - 1).as_deref(),
        Some(new_tag.as_str()),
        "it ends on what shipped"
    );
    // In between, the rollout as it moved, in time order.
    assert!(frames.windows(2).all(|f| f[0].at_ms <= f[1].at_ms));
    assert!(
        frames.iter().any(|f| f
            .state
            .rollout
            .as_ref()
            .is_some_and(|r| r.progress > 0.0 && r.progress < 1.0)),
        "{:#?}",
        frames.iter().map(|f| &f.state.rollout).collect::<Vec<_>>()
    );
    let last = &frames[frames.len() - 1].state;
    assert!(last.workloads.iter().all(|wl| wl.ready == wl.desired));
    assert_eq!(replay.left_out, 0);
    assert_eq!(
        alice.replay("no-such-attempt").await.unwrap_err().code,
        "replay.not-found"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_approvals_given_at_once_complete_the_quorum_and_ship() {
    let w = start("kubernetes").await;
    quorum_of_two(&w);
    let new_tag = w.world.seeded.main[2][..7].to_owned();
    let (alice, carol) = (w.console(Role::Approver).await, w.console(Role::Lead).await);
    // Each reviews before the other approves: both see no approval counted yet.
    let (for_alice, for_carol) = (
        alice.review("production", None).await.unwrap(),
        carol.review("production", None).await.unwrap(),
    );
    assert_eq!(for_alice.decision.vote.map(|v| v.completes), Some(false));
    assert_eq!(for_carol.decision.vote.map(|v| v.completes), Some(false));
    let (by_alice, by_carol) = (
        approve(&for_alice, "at once"),
        approve(&for_carol, "at once"),
    );
    let (a, c) = tokio::join!(alice.act(&by_alice), carol.act(&by_carol));
    let results: Vec<String> = [&a, &c]
        .iter()
        .map(|o| match o {
            Ok(o) => format!("{:?}", o.result),
            Err(e) => e.code.clone(),
        })
        .collect();
    // Whoever's read-back saw both approvals carried it out; nothing waits for a third.
    assert!(
        [&a, &c]
            .iter()
            .any(|o| o.as_ref().is_ok_and(|o| o.result == AuditResult::Succeeded)),
        "{results:?}"
    );
    assert_eq!(w.production_tag(), new_tag, "{results:?}");
}
