#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The session both front ends drive, against the demo world and a simulated one: who is signed
//! in, the review the Approve button is built from, refusals journaled, values and exports,
//! context choices — through the real clients.

use std::path::Path;
use std::time::Duration;

use sluice_console::Console;
use sluice_console::contexts::ContextChoices;
use sluice_console::credentials::Keychain;
use sluice_console::session::{Session, SessionOptions};
use sluice_core::audit::{AttemptFilter, AuditResult};
use sluice_core::desk::{ActRequest, ExportFormat, LinkDecision, ReviewAction};

fn shipped() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../environments/pipeline.yaml")
}

/// A session's options with no keychain, no token in the environment and nothing to reach;
/// each test sets what it needs.
fn options(journal: &Path) -> SessionOptions {
    SessionOptions {
        demo: false,
        kubeconfig: None,
        github_api_url: None,
        device_client_id: None,
        keychain: Keychain::disabled("no keychain in this test"),
        journal: journal.to_owned(),
        environment: std::sync::Arc::new(|_| None),
        demo_person: None,
        autopilot: false,
        last_known: None,
    }
}

fn demo_desk(journal: &Path) -> Session {
    Session::new(
        Console::new(shipped()),
        SessionOptions {
            demo: true,
            ..options(journal)
        },
    )
}

/// Waits until every source answered and the gate into production is known.
async fn settled(desk: &Session) {
    let mut rx = desk.subscribe();
    tokio::time::timeout(
        Duration::from_secs(30),
        rx.wait_for(|s| {
            s.as_deref().is_some_and(|s| {
                s.sources.iter().all(|x| x.connected)
                    && s.gates.iter().any(|g| {
                        g.pending.incoming_version.is_some() && g.pending.current_version.is_some()
                    })
            })
        }),
    )
    .await
    .expect("the demo world answered within 30 s")
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_session_signs_in_reviews_refuses_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let desk = demo_desk(&dir.path().join("audit.jsonl"));
    desk.start().await.unwrap();
    settled(&desk).await;

    let session = desk.info().await;
    assert!(session.demo);
    assert!(session.account.is_none());
    let people: Vec<&str> = session
        .demo_people
        .iter()
        .map(|p| p.login.as_str())
        .collect();
    assert_eq!(
        people,
        [
            "alice-approver",
            "dave-developer",
            "vera-viewer",
            "carol-lead"
        ]
    );
    assert!(!session.keychain.available, "the demo never keeps tokens");

    // Nobody signed in: the review says why Approve is not offered.
    let review = desk.review("production", None).await.unwrap();
    assert!(!review.decision.approve.allowed);
    assert_eq!(
        review.decision.approve.refusals[0].kind,
        sluice_core::approval::RefusalKind::NotSignedIn
    );
    assert!(
        review.notes.heading.starts_with("tbyte: production "),
        "{}",
        review.notes.heading
    );
    assert!(
        review.notes.markdown.starts_with("## tbyte: production "),
        "{}",
        review.notes.markdown
    );
    assert!(
        !review.decision.may_override && !review.decision.may_comment,
        "nobody signed in may override or comment"
    );
    assert_eq!(review.reviewers.users, ["alice-approver"]);

    // The viewer: signed in, but not a reviewer; the refusal is journaled.
    let session = desk.sign_in_as_demo_person("vera-viewer").await.unwrap();
    assert_eq!(session.account.as_ref().unwrap().login, "vera-viewer");
    settled(&desk).await;
    let review = desk.review("production", None).await.unwrap();
    assert!(!review.decision.approve.allowed);
    assert!(
        review.decision.approve.refusals.iter().any(|r| r.kind
            == sluice_core::approval::RefusalKind::NotAReviewer
            && r.sentence
                .contains("@vera-viewer is not a required reviewer")),
        "{:?}",
        review.decision.approve.refusals
    );
    let err = desk
        .act(&ActRequest {
            environment: "production".into(),
            action: ReviewAction::Approve,
            comment: "ship it".into(),
            override_reason: None,
            pin: review.pin.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "promotion.refused");
    let audit = desk.audit(&AttemptFilter::default()).await.unwrap();
    assert_eq!(audit[0].actor, "vera-viewer");
    assert_eq!(audit[0].result, AuditResult::Refused);

    // The snapshot stream keeps growing across the restart that signing in caused.
    let before = desk.latest().unwrap().sequence;
    desk.sign_in_as_demo_person("alice-approver").await.unwrap();
    let mut rx = desk.subscribe();
    tokio::time::timeout(
        Duration::from_secs(30),
        rx.wait_for(|s| s.as_deref().is_some_and(|s| s.sequence > before)),
    )
    .await
    .expect("the restarted live view publishes after the last one")
    .unwrap();
    settled(&desk).await;

    // No token of any simulated person reaches what the window is told.
    let session = desk.info().await;
    let told = serde_json::to_string(&session).unwrap()
        + &serde_json::to_string(&*desk.latest().unwrap()).unwrap()
        + &serde_json::to_string(&desk.review("production", None).await.unwrap()).unwrap();
    assert!(!told.contains("ghp_sim"), "a token reached the window");

    let values = desk.environment_values("production").unwrap();
    assert!(
        values
            .iter()
            .any(|v| v.key == "replicaCount" && v.value == "3"),
        "{values:?}"
    );
    assert_eq!(
        desk.environment_values("nowhere").unwrap_err().code,
        "pipeline.unknown-environment"
    );

    let export = desk
        .export_audit(ExportFormat::Csv, &dir.path().join("downloads"))
        .await
        .unwrap();
    assert_eq!(export.entries, 1);
    let csv = std::fs::read_to_string(&export.path).unwrap();
    assert!(
        csv.contains("vera-viewer") && csv.contains("refused"),
        "{csv}"
    );

    let session = desk.set_demo_speed(60.0).await.unwrap();
    assert_eq!(session.demo_speed, Some(60.0));
    assert_eq!(
        desk.set_demo_speed(f64::NAN).await.unwrap_err().code,
        "demo.bad-speed"
    );
    let (session, _) = desk.sign_out().await.unwrap();
    assert!(session.account.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_device_sign_in_is_completed_by_the_simulated_approver() {
    let dir = tempfile::tempdir().unwrap();
    let desk = demo_desk(&dir.path().join("audit.jsonl"));
    desk.start().await.unwrap();
    let code = desk.start_device_sign_in().await.unwrap();
    assert!(!code.user_code.is_empty());
    assert!(code.verification_uri.ends_with("/login/device"));
    let session = desk.finish_device_sign_in(false).await.unwrap();
    let account = session.account.unwrap();
    assert_eq!(account.login, "alice-approver");
    assert!(account.session_only, "demo sign-ins are never kept");
    assert_eq!(
        desk.finish_device_sign_in(false).await.unwrap_err().code,
        "signin.no-device-flow"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_demo_the_simulated_people_are_not_offered() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Session::new(
        Console::new(shipped()),
        SessionOptions {
            kubeconfig: Some(dir.path().join("no-kubeconfig")),
            github_api_url: Some("http://127.0.0.1:9".into()),
            ..options(&dir.path().join("audit.jsonl"))
        },
    );
    let session = desk.info().await;
    assert!(!session.demo && session.demo_people.is_empty());
    assert!(!session.device_flow, "no client id configured");
    assert_eq!(
        desk.sign_in_as_demo_person("alice-approver")
            .await
            .unwrap_err()
            .code,
        "demo.off"
    );
    assert_eq!(
        desk.start_device_sign_in().await.unwrap_err().code,
        "signin.no_client_id"
    );
    let err = desk.sign_in_from_environment(true).await.unwrap_err();
    assert_eq!(err.code, "signin.no_environment_token");
}

/// Links the window opens come from GitHub and the cluster (a PR's address, a run's, a
/// deployment's log): only the configured GitHub's own pages open without asking.
#[tokio::test]
async fn only_links_to_the_configured_github_open_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("audit.jsonl");
    let com = Session::new(Console::new(shipped()), options(&journal));
    for url in [
        "https://github.com/tbyte-org/tbyte/pull/42",
        "https://github.com/login/device",
    ] {
        assert_eq!(com.link(url, false).await, Ok(LinkDecision::Open), "{url}");
    }
    for (url, host) in [
        (
            "https://evil.example/tbyte-org/tbyte/pull/42",
            "evil.example",
        ),
        ("http://github.com/tbyte-org/tbyte/pull/42", "github.com"),
        ("https://ghe.example.com/o/r/pull/1", "ghe.example.com"),
    ] {
        assert_eq!(
            com.link(url, false).await,
            Ok(LinkDecision::Confirm { host: host.into() }),
            "{url}"
        );
        // Asked and confirmed by the person: opened.
        assert_eq!(com.link(url, true).await, Ok(LinkDecision::Open), "{url}");
    }
    for url in [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://github.com@evil.example/",
    ] {
        assert_eq!(
            com.link(url, true).await.unwrap_err().code,
            "url.refused",
            "{url}"
        );
    }

    let ghes = Session::new(
        Console::new(shipped()),
        SessionOptions {
            github_api_url: Some("https://ghe.example.com/api/v3".into()),
            ..options(&journal)
        },
    );
    assert_eq!(
        ghes.link("https://ghe.example.com/o/r/pull/1", false).await,
        Ok(LinkDecision::Open)
    );
    assert_eq!(
        ghes.link("https://github.com/o/r/pull/1", false).await,
        Ok(LinkDecision::Confirm {
            host: "github.com".into()
        })
    );
}

#[tokio::test]
async fn a_promotion_started_and_never_finished_is_shown_at_start() {
    use sluice_core::audit::{AuditAction, AuditEntry, AuditMethod};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let started = AuditEntry {
        id: "a1".into(),
        at: "2026-11-26T10:00:00Z".into(),
        correlation: "a1".into(),
        actor: "alice-approver".into(),
        environment: "production".into(),
        from_version: Some("a1b2c3d".into()),
        to_version: Some("e4f5a6b".into()),
        method: AuditMethod::Kubernetes,
        action: AuditAction::Promote,
        plan: None,
        gates: vec![],
        comment: None,
        override_reason: None,
        result: AuditResult::Started,
        error: None,
        run_id: None,
        sha: None,
        shipped: None,
        revision: None,
        recorded_late: None,
    };
    sluice_console::journal::Journal::open(&path)
        .unwrap()
        .append(&started)
        .unwrap();
    // The console that wrote it died here; the next one starts.
    let desk = Session::new(
        Console::new(shipped()),
        SessionOptions {
            kubeconfig: Some(dir.path().join("no-kubeconfig")),
            github_api_url: Some("http://127.0.0.1:9".into()),
            ..options(&path)
        },
    );
    let session = desk.info().await;
    assert_eq!(session.interrupted, [started]);
}

/// A session outside the demo, on a simulated world whose kubeconfig has the pipeline's context
/// `tbyte` and one of the person's own, `my-cluster`; choices kept under `dir`.
async fn world_desk(dir: &Path) -> (sluice_sim::SimWorld, Session) {
    let world = sluice_sim::SimWorld::start(sluice_sim::WorldOptions::default())
        .await
        .unwrap();
    let kubeconfig = dir.join("kubeconfig");
    world
        .write_kubeconfig(&kubeconfig, &["tbyte".into(), "my-cluster".into()])
        .unwrap();
    let console = Console::new(shipped()).with_context_choices(Some(ContextChoices::at(
        dir.join("config/kube-contexts.json"),
    )));
    let desk = Session::new(
        console,
        SessionOptions {
            kubeconfig: Some(kubeconfig),
            github_api_url: Some(world.github_server.url()),
            device_client_id: Some("sluice-test".into()),
            ..options(&dir.join("audit.jsonl"))
        },
    );
    (world, desk)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_is_pointed_at_another_context_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let (_world, desk) = world_desk(dir.path()).await;
    desk.start().await.unwrap();

    let session = desk.info().await;
    assert!(session.contexts_editable);
    assert_eq!(session.contexts_problem, None);
    assert!(session.kube_contexts.contains(&"my-cluster".to_owned()));
    let production = |s: &sluice_core::desk::SessionInfo| {
        s.contexts
            .iter()
            .find(|c| c.environment == "production")
            .cloned()
            .unwrap()
    };
    let before = production(&session);
    assert_eq!(
        (before.kube_context.as_str(), before.found),
        ("tbyte", Some(true))
    );

    let err = desk
        .set_kube_context("production", Some("nowhere".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code, "contexts.unknown");
    assert!(err.message.contains("nowhere"), "{}", err.message);
    let err = desk
        .set_kube_context("qa", Some("my-cluster".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code, "pipeline.unknown-environment");

    let session = desk
        .set_kube_context("production", Some("my-cluster".into()))
        .await
        .unwrap();
    let chosen = production(&session);
    assert_eq!(
        (
            chosen.kube_context.as_str(),
            chosen.pipeline_context.as_str(),
            chosen.found
        ),
        ("my-cluster", "tbyte", Some(true))
    );
    // The live view now reads production through the chosen context.
    let mut rx = desk.subscribe();
    tokio::time::timeout(
        Duration::from_secs(30),
        rx.wait_for(|s| {
            s.as_deref().is_some_and(|s| {
                s.sources
                    .iter()
                    .any(|x| x.name == "kubernetes (my-cluster)" && x.connected)
            })
        }),
    )
    .await
    .expect("the chosen context is read within 30 s")
    .unwrap();
    // The command line sees the same choice; the pipeline file is untouched.
    let cli = Console::new(shipped()).with_context_choices(Some(ContextChoices::at(
        dir.path().join("config/kube-contexts.json"),
    )));
    let contexts = |p: sluice_core::Pipeline| {
        p.environments
            .into_iter()
            .map(|e| e.kube_context)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        contexts(cli.pipeline().unwrap()),
        ["tbyte", "tbyte", "my-cluster"]
    );
    assert_eq!(
        contexts(cli.pipeline_as_written().unwrap()),
        ["tbyte", "tbyte", "tbyte"]
    );

    let session = desk.set_kube_context("production", None).await.unwrap();
    assert_eq!(production(&session), before);
    assert_eq!(
        contexts(cli.pipeline().unwrap()),
        ["tbyte", "tbyte", "tbyte"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_keeps_its_own_contexts() {
    let dir = tempfile::tempdir().unwrap();
    let desk = demo_desk(&dir.path().join("audit.jsonl"));
    desk.start().await.unwrap();
    let session = desk.info().await;
    assert!(!session.contexts_editable);
    assert!(session.kube_contexts.is_empty());
    assert!(session.contexts.iter().all(|c| c.found.is_none()));
    let err = desk
        .set_kube_context("production", Some("tbyte".into()))
        .await
        .unwrap_err();
    assert_eq!(err.code, "contexts.demo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_sign_in_can_be_cancelled_while_it_waits() {
    let dir = tempfile::tempdir().unwrap();
    let (_world, desk) = world_desk(dir.path()).await;
    let desk = std::sync::Arc::new(desk);
    let code = desk.start_device_sign_in().await.unwrap();
    assert!(!code.user_code.is_empty());
    // Nobody enters the code: the wait would last until it expires.
    let waiting = tokio::spawn({
        let desk = desk.clone();
        async move { desk.finish_device_sign_in(true).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    desk.cancel_device_sign_in();
    let err = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("cancelling ends the wait at once")
        .unwrap()
        .unwrap_err();
    assert_eq!(err.code, "signin.cancelled");
    assert!(desk.info().await.account.is_none());
    assert_eq!(
        desk.finish_device_sign_in(true).await.unwrap_err().code,
        "signin.no-device-flow"
    );

    // A cancel that arrives before the wait begins is not lost: the wait ends at once.
    desk.start_device_sign_in().await.unwrap();
    desk.cancel_device_sign_in();
    let err = tokio::time::timeout(Duration::from_secs(5), desk.finish_device_sign_in(true))
        .await
        .expect("an early cancel ends the wait at once")
        .unwrap_err();
    assert_eq!(err.code, "signin.cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demos_own_approvals_are_the_simulated_leads_made_through_the_same_rules() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Session::new(
        Console::new(shipped()),
        SessionOptions {
            demo: true,
            autopilot: true,
            last_known: None,
            ..options(&dir.path().join("audit.jsonl"))
        },
    );
    desk.start().await.unwrap();
    settled(&desk).await;
    // Nobody approves the waiting release: the lead does, after her patience, at 60×.
    desk.set_demo_speed(60.0).await.unwrap();
    let mut attempts = Vec::new();
    for _ in 0..240 {
        attempts = desk.audit(&AttemptFilter::default()).await.unwrap();
        if attempts.iter().any(|a| a.result == AuditResult::Succeeded) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let done = attempts
        .iter()
        .find(|a| a.result == AuditResult::Succeeded)
        .unwrap_or_else(|| panic!("no approval by the lead: {attempts:#?}"));
    assert_eq!(done.actor, "carol-lead");
    let outcome = &done.entries[0];
    assert_eq!(
        outcome.comment.as_deref(),
        Some("Approved by the demo's simulated release lead.")
    );
    let reviewers = outcome
        .gates
        .iter()
        .find(|g| g.kind == "reviewers")
        .unwrap();
    assert_eq!(reviewers.reason, "approved by @carol-lead");
    // Production is credited to her approval and to GitHub Actions, never to the author.
    let mut rx = desk.subscribe();
    let s = tokio::time::timeout(
        Duration::from_secs(60),
        rx.wait_for(|s| {
            s.as_deref().is_some_and(|s| {
                s.environments[2]
                    .last_deployed
                    .as_ref()
                    .is_some_and(|d| d.approved_by.as_deref() == Some("carol-lead"))
            })
        }),
    )
    .await
    .expect("production credited to the lead's approval")
    .unwrap()
    .clone()
    .unwrap();
    assert_eq!(
        s.environments[2]
            .last_deployed
            .as_ref()
            .unwrap()
            .deployed_by
            .as_deref(),
        Some("GitHub Actions")
    );
}

/// The window's view of `sluice audit --verify`: the same report, as data.
#[tokio::test]
async fn the_journal_is_verified_as_data_for_the_window() {
    use sluice_core::audit::{AuditAction, AuditEntry, AuditMethod, ChainHead};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let desk = Session::new(Console::new(shipped()), options(&path));
    let none = desk.verify_audit().await.unwrap();
    assert!(none.holds() && none.lines == 0, "{none:?}");
    assert!(!path.exists(), "verifying creates no journal");

    let journal = sluice_console::journal::Journal::open(&path).unwrap();
    for id in ["a", "b", "c"] {
        journal
            .append(&AuditEntry {
                id: id.into(),
                at: "2026-11-26T10:00:00Z".into(),
                correlation: id.into(),
                actor: "alice-approver".into(),
                environment: "production".into(),
                from_version: None,
                to_version: Some("e4f5a6b".into()),
                method: AuditMethod::Kubernetes,
                action: AuditAction::Promote,
                plan: None,
                gates: vec![],
                comment: None,
                override_reason: None,
                result: AuditResult::Succeeded,
                error: None,
                run_id: None,
                sha: None,
                shipped: None,
                revision: None,
                recorded_late: None,
            })
            .unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(0);
    std::fs::write(&path, format!("{}\n", lines.join("\n"))).unwrap();
    let desk = Session::new(Console::new(shipped()), options(&path));
    let report = desk.verify_audit().await.unwrap();
    assert_eq!(
        report.breaks.iter().map(|b| b.line).collect::<Vec<_>>(),
        [1],
        "{report:?}"
    );
    assert!(
        matches!(&report.head, ChainHead::NotAnchored { reason } if reason.contains("no keychain in this test")),
        "{report:?}"
    );
}
