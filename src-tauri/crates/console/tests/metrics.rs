#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! DORA metrics end to end: the simulated world with six weeks of past releases (GitHub's
//! deployments and commits, read by the real octocrab client over HTTP), the cluster's Helm
//! history, and the figures the session computes, checked against the schedule the world played.

use std::sync::Arc;
use std::time::Duration;

use sluice_console::Console;
use sluice_console::credentials::Keychain;
use sluice_console::session::{Session, SessionOptions};
use sluice_core::metrics::FailureReason;
use sluice_core::snapshot::Health;
use sluice_sim::people::Role;
use sluice_sim::testing;
use sluice_sim::{SimWorld, WorldOptions};

/// `helm upgrade` of `sha` into an environment with its own values file, as CI runs it.
fn deploy(world: &SimWorld, env: &str, sha: &str) {
    testing::deploy_with_values(world, env, sha).unwrap();
}

/// The world with six weeks of past releases, the seed's versions deployed with Helm.
async fn world() -> SimWorld {
    // The live view reads this computer's clock, the world runs 30 times faster: starting two
    // hours back keeps what the world does in the view's past.
    let start = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(2))
        .unwrap();
    let world = SimWorld::start(WorldOptions {
        start,
        speed: 30.0,
        past_weeks: 6,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    deploy(&world, "production", &world.seeded.main[1].clone());
    deploy(&world, "staging", &world.seeded.main[2].clone());
    deploy(&world, "dev", &world.seeded.main[2].clone());
    world
}

/// A session on `world`, signed in as the viewer by `GH_TOKEN` when `signed_in`, its live view
/// healthy.
async fn session(world: &SimWorld, dir: &std::path::Path, signed_in: bool) -> Session {
    let kubeconfig = testing::write_kubeconfig(world, dir, &["tbyte"]).unwrap();
    let token = world.person(Role::Viewer).github_token.clone();
    let session = Session::new(
        Console::new(testing::shipped_pipeline_dir().join("pipeline.yaml")),
        SessionOptions {
            demo: false,
            kubeconfig: Some(kubeconfig),
            github_api_url: Some(world.github_server.url()),
            device_client_id: None,
            keychain: Keychain::disabled("no keychain in these tests"),
            journal: dir.join("journal.jsonl"),
            environment: Arc::new(move |name| {
                (signed_in && name == "GH_TOKEN").then(|| token.clone())
            }),
            demo_person: None,
            autopilot: false,
            last_known: None,
        },
    );
    session.start().await.unwrap();
    let mut rx = session.subscribe();
    testing::until(
        &mut rx,
        Duration::from_secs(60),
        "a healthy pipeline",
        |s| {
            s.as_deref()
                .is_some_and(|s| s.environments.iter().all(|e| e.health == Health::Healthy))
        },
    )
    .await
    .unwrap();
    session
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_of_six_weeks_match_the_releases_the_world_played() {
    let world = world().await;
    let dir = tempfile::tempdir().unwrap();
    let session = session(&world, dir.path(), true).await;

    let m = session.metrics(60, Some("production")).await.unwrap();
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    assert_eq!((m.days, m.bucket_days), (60, 7));
    let p = &m.environments[0];
    assert_eq!(p.environment, "production");
    // 26 past releases: 4 failed in staging (releases 4, 11, 18, 25) and never came; release 8
    // and release 21 each brought a fix; then the seed's release. Helm's record of the seed's
    // release is the same change as GitHub's.
    assert_eq!(p.deployments, 22 + 2 + 1, "{p:#?}");
    assert_eq!(p.rollbacks, 1, "{p:#?}");
    let reasons: Vec<FailureReason> = p.failed_changes.iter().map(|f| f.reason).collect();
    assert_eq!(
        reasons,
        [
            FailureReason::NeededFix,
            FailureReason::RolledBack,
            FailureReason::Failed
        ],
        "{p:#?}"
    );
    assert_eq!(p.change_failure_rate, Some(0.12));
    // Restored after 7 h (the fix the next morning), 0.8 h (the rollback), 3.5 h (the fix).
    let ttr = p.time_to_restore.as_ref().unwrap();
    assert_eq!(
        (ttr.median_hours, ttr.p90_hours, ttr.samples),
        (3.5, 7.0, 3)
    );
    assert_eq!(p.unrestored, 0);
    // Lead times of the 23 succeeded past releases (6, 20, 27, 9 or 30 hours by release number,
    // 2.5 h and 4 h for the fixes) and the seed's (under 2 h): the 12th and 13th of 24 are 20 h,
    // the 22nd is 30 h.
    let lead = p.lead_time.as_ref().unwrap();
    assert_eq!(
        (lead.median_hours, lead.p90_hours, lead.samples),
        (20.0, 30.0, 24)
    );
    assert_eq!(p.series.len(), 9);
    assert_eq!(p.series.iter().map(|b| b.deployments).sum::<u32>(), 25);

    // Every environment by default; dev got every release.
    let all = session.metrics(60, None).await.unwrap();
    let names: Vec<&str> = all
        .environments
        .iter()
        .map(|e| e.environment.as_str())
        .collect();
    assert_eq!(names, ["dev", "staging", "production"]);
    assert_eq!(all.environments[0].deployments, 26 + 2 + 1);

    // The last day: the seed's release only.
    let day = session.metrics(1, Some("production")).await.unwrap();
    assert_eq!(day.environments[0].deployments, 1);
    assert_eq!(day.environments[0].failures, 0);

    let unknown = session.metrics(30, Some("qa")).await.unwrap_err();
    assert_eq!(unknown.code, "pipeline.unknown-environment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_signing_in_github_is_not_read_and_the_metrics_say_so() {
    let world = world().await;
    let dir = tempfile::tempdir().unwrap();
    let session = session(&world, dir.path(), false).await;
    // Anonymous reads allow 60 requests an hour: the metrics do not spend them (nor wait for
    // the limit's reset), and come from Helm's history alone.
    let m = tokio::time::timeout(
        Duration::from_secs(30),
        session.metrics(60, Some("production")),
    )
    .await
    .expect("the metrics waited")
    .unwrap();
    assert!(
        m.problems[0].starts_with("Not signed in to GitHub"),
        "{:?}",
        m.problems
    );
    let p = &m.environments[0];
    assert_eq!((p.deployments, p.failures), (1, 0));
    assert_eq!(p.lead_time, None);
}
