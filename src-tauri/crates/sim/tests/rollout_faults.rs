#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Faults end-to-end tests inject into the simulated cluster's rollouts, on a clock the test
//! steps by hand.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use sluice_sim::kube::resources::Kind;
use sluice_sim::{SimWorld, WorldOptions, testing};

async fn world() -> SimWorld {
    SimWorld::start(WorldOptions {
        start: "2026-11-26T09:00:00Z".parse().unwrap(),
        speed: 0.0,
        ..WorldOptions::default()
    })
    .await
    .unwrap()
}

/// Steps simulated time in five-second steps until `ok` holds, failing after `limit`.
async fn until(world: &SimWorld, limit: Duration, what: &str, ok: impl Fn(&SimWorld) -> bool) {
    let step = Duration::from_secs(5);
    let mut waited = Duration::ZERO;
    while !ok(world) {
        assert!(
            waited < limit,
            "{what} did not happen within {limit:?} of simulated time"
        );
        world.clock.advance(step);
        waited += step;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

fn deployments(world: &SimWorld, ns: &str) -> Vec<std::sync::Arc<Value>> {
    world.kube.list(Kind::Deployment, Some(ns))
}

fn progressing_reasons(world: &SimWorld, ns: &str) -> Vec<String> {
    deployments(world, ns)
        .iter()
        .map(|d| {
            d["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Progressing")
                .and_then(|c| c["reason"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Every Deployment in `ns` runs `sha` and finished its rollout.
fn rolled_out_at(world: &SimWorld, ns: &str, sha: &str) -> bool {
    deployments(world, ns).iter().all(|d| {
        d["status"]["observedGeneration"] == d["metadata"]["generation"]
            && d["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap()
                .ends_with(&format!(":{}", &sha[..7]))
    }) && progressing_reasons(world, ns)
        .iter()
        .all(|r| r == "NewReplicaSetAvailable")
}

fn ready(world: &SimWorld, ns: &str) -> Vec<i64> {
    deployments(world, ns)
        .iter()
        .map(|d| d["status"]["readyReplicas"].as_i64().unwrap_or(0))
        .collect()
}

/// The workloads (`app.kubernetes.io/name`) of `ns` with a crash-looping pod.
fn crash_looping(world: &SimWorld, ns: &str) -> BTreeSet<String> {
    world
        .kube
        .list(Kind::Pod, Some(ns))
        .iter()
        .filter(|p| {
            p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        })
        .map(|p| {
            p["metadata"]["labels"]["app.kubernetes.io/name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn pod_count(world: &SimWorld, ns: &str) -> usize {
    world.kube.list(Kind::Pod, Some(ns)).len()
}

#[tokio::test]
async fn the_next_rollout_crashes_while_the_old_pods_serve_and_a_rollback_heals_it() {
    let w = world().await;
    let (v1, v2, v3) = (
        w.seeded.main[1].clone(),
        w.seeded.main[2].clone(),
        w.seeded.feature_head.clone(),
    );
    testing::deploy(&w, "tbyte-prod", "production", 3, &v1).unwrap();
    testing::deploy(&w, "tbyte-staging", "staging", 2, &v2).unwrap();
    until(&w, Duration::from_secs(120), "the first rollouts", |w| {
        rolled_out_at(w, "production", &v1) && rolled_out_at(w, "staging", &v2)
    })
    .await;

    // Production's next rollout (v2, which staging runs healthily) crashes in both workloads.
    w.kube.crash_next_rollout("production");
    testing::deploy(&w, "tbyte-prod", "production", 3, &v2).unwrap();
    let both: BTreeSet<String> = ["tbyte-api", "tbyte-web"].map(String::from).into();
    until(
        &w,
        Duration::from_secs(120),
        "the new pods of every workload to crash-loop",
        |w| crash_looping(w, "production") == both,
    )
    .await;
    assert_eq!(
        ready(&w, "production"),
        [3, 3],
        "the old ReplicaSets keep serving"
    );
    assert_eq!(crash_looping(&w, "staging"), BTreeSet::new());
    assert_eq!(
        ready(&w, "staging"),
        [2, 2],
        "the same image elsewhere is healthy"
    );
    until(
        &w,
        Duration::from_secs(15 * 60),
        "the rollout to exceed its progress deadline",
        |w| {
            progressing_reasons(w, "production")
                .iter()
                .all(|r| r == "ProgressDeadlineExceeded")
        },
    )
    .await;
    assert_eq!(ready(&w, "production"), [3, 3]);

    // Back to the previous template: its ReplicaSet is reused and healthy, the crashing one
    // drained.
    testing::deploy(&w, "tbyte-prod", "production", 3, &v1).unwrap();
    until(
        &w,
        Duration::from_secs(180),
        "the rollback to finish with no crashing pod left",
        |w| {
            rolled_out_at(w, "production", &v1)
                && crash_looping(w, "production").is_empty()
                && pod_count(w, "production") == 6
        },
    )
    .await;

    // The fault is spent: the next rollout is a healthy one.
    testing::deploy(&w, "tbyte-prod", "production", 3, &v3).unwrap();
    until(&w, Duration::from_secs(180), "a healthy rollout", |w| {
        rolled_out_at(w, "production", &v3) && pod_count(w, "production") == 6
    })
    .await;
    for pod in w.kube.list(Kind::Pod, Some("production")) {
        assert_eq!(
            pod["status"]["containerStatuses"][0]["restartCount"], 0,
            "{}",
            pod["metadata"]["name"]
        );
    }
}

#[tokio::test]
async fn a_crashing_rollout_is_armed_per_namespace() {
    let w = world().await;
    let (v1, v2) = (w.seeded.main[1].clone(), w.seeded.main[2].clone());
    testing::deploy(&w, "tbyte-dev", "dev", 1, &v1).unwrap();
    until(&w, Duration::from_secs(120), "dev to roll out", |w| {
        rolled_out_at(w, "dev", &v1)
    })
    .await;
    w.kube.crash_next_rollout("production");
    testing::deploy(&w, "tbyte-dev", "dev", 1, &v2).unwrap();
    until(&w, Duration::from_secs(120), "dev's next rollout", |w| {
        rolled_out_at(w, "dev", &v2)
    })
    .await;
    assert_eq!(crash_looping(&w, "dev"), BTreeSet::new());

    // Still armed for production: its first rollout crashes.
    testing::deploy(&w, "tbyte-prod", "production", 1, &v2).unwrap();
    until(
        &w,
        Duration::from_secs(120),
        "production's pods to crash-loop",
        |w| !crash_looping(w, "production").is_empty(),
    )
    .await;
}
