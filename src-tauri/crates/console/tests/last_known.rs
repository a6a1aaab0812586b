#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The last-known state across restarts, through the session both front ends drive: a console
//! keeps what it last saw whole, and the next one opens on it — marked, greyed — and keeps it
//! on screen when the world cannot be reached.

use std::sync::Arc;
use std::time::Duration;

use sluice_console::Console;
use sluice_console::credentials::Keychain;
use sluice_console::session::{Session, SessionOptions};
use sluice_core::snapshot::Snapshot;
use sluice_sim::people::Role;
use sluice_sim::{SimWorld, WorldOptions, testing};

fn labels(s: &Snapshot) -> Vec<(String, Option<String>)> {
    s.environments
        .iter()
        .map(|e| (e.name.clone(), e.version.as_ref().map(|v| v.label.clone())))
        .collect()
}

fn session(
    world_url: &str,
    kubeconfig: &std::path::Path,
    dir: &std::path::Path,
    token: String,
) -> Session {
    Session::new(
        Console::new(testing::shipped_pipeline_dir().join("pipeline.yaml")),
        SessionOptions {
            demo: false,
            kubeconfig: Some(kubeconfig.to_owned()),
            github_api_url: Some(world_url.to_owned()),
            device_client_id: None,
            keychain: Keychain::disabled("no keychain in these tests"),
            journal: dir.join("journal.jsonl"),
            environment: Arc::new(move |name| (name == "GH_TOKEN").then(|| token.clone())),
            demo_person: None,
            autopilot: false,
            last_known: Some(dir.join("state")),
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_console_opens_on_the_last_complete_state_and_keeps_it_without_a_network() {
    let dir = tempfile::tempdir().unwrap();
    let world = SimWorld::start(WorldOptions::default()).await.unwrap();
    let main = world.seeded.main.clone();
    for (release, namespace, replicas, sha) in [
        ("tbyte-dev", "dev", 1, &main[2]),
        ("tbyte-staging", "staging", 2, &main[2]),
        ("tbyte-prod", "production", 3, &main[1]),
    ] {
        testing::deploy(&world, release, namespace, replicas, sha).unwrap();
    }
    let kubeconfig = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    let token = world.person(Role::Viewer).github_token.clone();
    let url = world.github_server.url();
    let pipeline = testing::shipped_pipeline_dir().join("pipeline.yaml");
    let file = sluice_console::last_known::file_in(&dir.path().join("state"), &pipeline);

    let first = session(&url, &kubeconfig, dir.path(), token.clone());
    first.start().await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(Some(kept)) = sluice_console::last_known::load(&file, &pipeline) {
                break kept;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("a complete state was kept within 60 s");
    assert!(
        labels(&seen).iter().all(|(_, v)| v.is_some()),
        "what was kept is whole: {:?}",
        labels(&seen)
    );
    drop(first);
    drop(world);

    // The world is gone: the next console shows what was kept, as of when, greyed.
    let second = session(&url, &kubeconfig, dir.path(), token);
    second.start().await.unwrap();
    let shown = second.latest().expect("the kept state is shown at once");
    assert_eq!(shown.last_known, seen.last_known);
    assert_eq!(labels(&shown), labels(&seen));
    assert!(shown.environments.iter().all(|e| e.stale));
    // Every source fails to answer; the kept state stays, with the sources' errors on it.
    let mut rx = second.subscribe();
    let failing = tokio::time::timeout(
        Duration::from_secs(60),
        rx.wait_for(|s| {
            s.as_deref()
                .is_some_and(|s| s.sources.iter().all(|x| x.last_error.is_some()))
        }),
    )
    .await
    .expect("the sources said they cannot reach the world")
    .unwrap()
    .clone()
    .unwrap();
    assert_eq!(failing.last_known, seen.last_known, "still the kept state");
    assert_eq!(labels(&failing), labels(&seen));
    assert!(failing.sources.iter().all(|x| !x.connected));
}
