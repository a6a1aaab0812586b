#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The live console against the simulated world, end to end: real kube and octocrab clients,
//! real sources, the real assembly — what the window and `sluice status` show.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sluice_console::live::{Live, LiveConfig};
use sluice_core::snapshot::{GateConditionKind, Health, Snapshot};
use sluice_sim::github::{ACTIONS_BOT, DeploymentSpec, DeploymentState, StatusSpec};
use sluice_sim::kube::Breakage;
use sluice_sim::kube::helm::{self, Upgrade};
use sluice_sim::people::Role;
use sluice_sim::{SimWorld, WorldOptions};

struct Harness {
    world: SimWorld,
    live: Live,
    _dir: tempfile::TempDir,
    viewer_token: String,
}

fn pipeline_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../environments/pipeline.yaml")
}

/// Deploys `sha` to an environment of the seed pipeline as the story's CI would.
fn deploy(world: &SimWorld, env: &str, sha: &str) {
    let (release, ns, replicas) = match env {
        "dev" => ("tbyte-dev", "dev", 1),
        "staging" => ("tbyte-staging", "staging", 2),
        _ => ("tbyte-prod", "production", 3),
    };
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

/// Steps the stopped clock a second at a time until `ok` holds on the latest snapshot.
async fn until(h: &Harness, what: &str, ok: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
    let mut rx = h.live.subscribe();
    for _ in 0..2000 {
        if let Some(s) = rx.borrow_and_update().clone()
            && ok(&s)
        {
            return s;
        }
        h.world.clock.advance(Duration::from_secs(1));
        let _ = tokio::time::timeout(Duration::from_millis(20), rx.changed()).await;
    }
    panic!(
        "timed out waiting for {what}: {:#?}",
        rx.borrow().as_deref().map(|s| &s.environments)
    );
}

async fn start() -> Harness {
    start_with(None).await
}

/// [`start`] with the cluster sources' silence limit set to `kube_silence_limit`.
async fn start_with(kube_silence_limit: Option<Duration>) -> Harness {
    let world = SimWorld::start(WorldOptions {
        start: "2026-11-26T09:00:00Z".parse().unwrap(),
        speed: 0.0,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    // What the seeded GitHub history says each environment runs.
    deploy(&world, "production", &world.seeded.main[1].clone());
    deploy(&world, "staging", &world.seeded.main[2].clone());
    deploy(&world, "dev", &world.seeded.main[2].clone());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    world
        .write_kubeconfig(&kubeconfig, &["tbyte".to_owned()])
        .unwrap();
    let viewer_token = world.person(Role::Viewer).github_token.clone();
    let pipeline = sluice_core::load_pipeline(&pipeline_path()).unwrap();
    let live = Live::start(
        pipeline,
        LiveConfig {
            kubeconfig: Some(kubeconfig),
            github_api: Some(world.github_server.url()),
            github_token: Some(sluice_github::GithubToken::new(viewer_token.clone())),
            github_poll: Some(Duration::from_millis(150)),
            // The gates are judged on the world's clock, as in the demo.
            clock: Some(sluice_console::live::Clock(Arc::new({
                let clock = world.clock.clone();
                move || clock.now()
            }))),
            kube_silence_limit,
        },
    )
    .await;
    let h = Harness {
        world,
        live,
        _dir: dir,
        viewer_token,
    };
    until(&h, "every environment healthy and GitHub synced", |s| {
        s.environments.iter().all(|e| e.health == Health::Healthy)
            && s.sources.iter().all(|src| src.connected)
            && !s.pull_requests.is_empty()
    })
    .await;
    h
}

fn env<'a>(s: &'a Snapshot, name: &str) -> &'a sluice_core::snapshot::EnvironmentState {
    s.environments.iter().find(|e| e.name == name).unwrap()
}

#[tokio::test]
async fn a_staging_rollout_rises_to_done_and_then_the_version_flips() {
    let h = start().await;
    let old = h.world.seeded.main[2][..7].to_owned();
    let new = h.world.seeded.feature_head.clone();
    deploy(&h.world, "staging", &new);
    let mut rx = h.live.subscribe();
    let mut seen: Vec<(Option<f64>, String)> = Vec::new();
    for _ in 0..600 {
        if let Some(s) = rx.borrow_and_update().clone() {
            let st = env(&s, "staging");
            let sample = (
                st.rollout.as_ref().map(|r| r.progress),
                st.version.as_ref().unwrap().label.clone(),
            );
            if seen.last() != Some(&sample) {
                seen.push(sample);
            }
            if st.rollout.is_none() && st.version.as_ref().unwrap().label == new[..7] {
                break;
            }
        }
        h.world.clock.advance(Duration::from_secs(1));
        let _ = tokio::time::timeout(Duration::from_millis(30), rx.changed()).await;
    }
    let progress: Vec<f64> = seen.iter().filter_map(|(p, _)| *p).collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress only rises: {seen:?}"
    );
    assert!(
        progress.iter().any(|p| *p > 0.0 && *p < 1.0),
        "intermediate progress was published: {seen:?}"
    );
    for (p, label) in &seen {
        if p.is_some() {
            assert_eq!(
                label, &old,
                "the version flips only when the rollout is done: {seen:?}"
            );
        }
    }
    assert_eq!(
        seen.last().unwrap(),
        &(None, new[..7].to_owned()),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_broken_image_degrades_staging_and_blocks_the_gate_with_the_reason() {
    let h = start().await;
    let broken = h.world.seeded.feature_head.clone();
    for svc in ["api", "web"] {
        h.world.kube.break_image(
            &format!("ghcr.io/tbyte-org/tbyte-{svc}:{}", &broken[..7]),
            Breakage::CrashLoop,
        );
    }
    deploy(&h.world, "staging", &broken);
    let s = until(&h, "staging degraded by a crashing pod", |s| {
        let st = env(s, "staging");
        st.health == Health::Degraded && st.health_reason.contains("CrashLoopBackOff")
    })
    .await;
    let gate = s
        .gates
        .iter()
        .find(|g| g.environment == "production")
        .unwrap();
    assert_eq!(
        gate.status,
        sluice_core::snapshot::GateStatus::Blocked,
        "production is a release behind what staging still serves"
    );
    let source = gate
        .conditions
        .iter()
        .find(|c| c.kind == GateConditionKind::SourceHealthy)
        .unwrap();
    assert!(
        !source.met && source.reason.contains("CrashLoopBackOff"),
        "{}",
        source.reason
    );
    // The old pods keep serving: staging still runs its previous version.
    assert_eq!(
        env(&s, "staging").version.as_ref().unwrap().label,
        &h.world.seeded.main[2][..7]
    );
    let s = until(&h, "the rollout to stall", |s| {
        env(s, "staging")
            .rollout
            .as_ref()
            .is_some_and(|r| r.stalled)
    })
    .await;
    assert!(
        env(&s, "staging")
            .health_reason
            .starts_with("rollout stalled"),
        "{}",
        env(&s, "staging").health_reason
    );
}

#[tokio::test]
async fn an_apiserver_restart_marks_the_cluster_stale_then_recovers() {
    let h = start().await;
    h.world.kube_server.stop().await;
    let s = until(&h, "the cluster source to be marked stale", |s| {
        env(s, "staging").stale
    })
    .await;
    let kube = s
        .sources
        .iter()
        .find(|src| src.name == "kubernetes (tbyte)")
        .unwrap();
    assert!(!kube.connected && kube.last_error.is_some());
    assert!(
        env(&s, "staging").version.is_some(),
        "the last known state stays on screen"
    );
    deploy(&h.world, "dev", &h.world.seeded.feature_head.clone());
    h.world.kube_server.resume().await.unwrap();
    let head = h.world.seeded.feature_head[..7].to_owned();
    until(&h, "recovery with the change made while it was down", |s| {
        !env(s, "dev").stale
            && env(s, "dev")
                .version
                .as_ref()
                .is_some_and(|v| v.label == head)
    })
    .await;
}

#[tokio::test]
async fn a_frozen_apiserver_marks_the_cluster_stale_then_recovers() {
    // The simulated server answers in milliseconds: only a freeze silences it that long.
    let silence = Duration::from_secs(3);
    let h = start_with(Some(silence)).await;
    h.world.kube_server.faults().freeze();
    let s = until(&h, "the silent cluster marked stale", |s| {
        s.environments.iter().all(|e| e.stale)
    })
    .await;
    let kube = s
        .sources
        .iter()
        .find(|src| src.name == "kubernetes (tbyte)")
        .unwrap();
    assert!(!kube.connected);
    let error = kube.last_error.as_ref().expect("a stale source says why");
    assert_eq!(error.code, "kubernetes.unreachable");
    assert!(
        error
            .message
            .contains("sent nothing — no change, no bookmark, no answer — for 3 s"),
        "{error:?}"
    );
    assert!(
        env(&s, "staging").version.is_some(),
        "the last known state stays on screen"
    );

    deploy(&h.world, "dev", &h.world.seeded.feature_head.clone());
    h.world.kube_server.faults().thaw();
    let head = h.world.seeded.feature_head[..7].to_owned();
    until(
        &h,
        "recovery with the change made while it was frozen",
        |s| {
            !env(s, "dev").stale
                && env(s, "dev")
                    .version
                    .as_ref()
                    .is_some_and(|v| v.label == head)
        },
    )
    .await;
}

#[tokio::test]
async fn a_flood_of_warnings_keeps_the_snapshot_small_and_says_how_many_are_left_out() {
    let h = start().await;
    let before = serde_json::to_vec(&*h.live.latest().unwrap())
        .unwrap()
        .len();
    let pod = "tbyte-staging-api-l56crxbqq7-bvll4";
    let now = h.world.clock.now();
    sluice_sim::testing::warning_events(&h.world, "staging", ("Pod", pod), (2_000, now), |i| {
        format!("flood {i:04} {}", "x".repeat(5_000))
    })
    .unwrap();
    let s = until(&h, "the flood counted", |s| {
        env(s, "staging").warnings_left_out == 2_000 - 20
    })
    .await;
    let staging = env(&s, "staging");
    let kept: Vec<&str> = staging.warnings.iter().map(|w| &w.message[..10]).collect();
    let newest: Vec<String> = (1_980..2_000)
        .rev()
        .map(|i| format!("flood {i:04}"))
        .collect();
    assert_eq!(kept, newest, "the newest 20, newest first");
    // 2 000 messages of 5 000 characters would be 10 MB; what is kept is cut to 1 024 each.
    let after = serde_json::to_vec(&*s).unwrap().len();
    assert!(after - before < 20 * 1_300, "{before} → {after} bytes");
    let json = serde_json::to_value(staging).unwrap();
    assert_eq!(json["warningsLeftOut"], 1_980);
}

#[tokio::test]
async fn a_quiet_github_costs_nothing_and_a_429_is_honoured() {
    let h = start().await;
    // Everything the gates ask GitHub for (the comparison, the checks) has been fetched once.
    until(&h, "the gate's GitHub facts", |s| {
        !s.gates[0].pending.commits.is_empty()
            && s.gates[0]
                .conditions
                .iter()
                .any(|c| c.kind == GateConditionKind::Checks && c.met)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = h.world.github.points_spent(Some(&h.viewer_token));
    let requests_before = h.world.github.requests_seen(Some(&h.viewer_token));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let spent = h.world.github.points_spent(Some(&h.viewer_token)) - before;
    let polled = h.world.github.requests_seen(Some(&h.viewer_token)) - requests_before;
    assert!(
        polled >= 10,
        "the repository was polled ({polled} requests)"
    );
    assert_eq!(
        spent, 0,
        "{polled} conditional requests to a quiet repository cost nothing"
    );

    h.world.github.trip_secondary_limit(1, 2);
    let s = until(&h, "the rate limit to show", |s| {
        s.sources
            .iter()
            .any(|src| src.name.starts_with("github") && !src.connected)
    })
    .await;
    let gh = s
        .sources
        .iter()
        .find(|src| src.name.starts_with("github"))
        .unwrap();
    assert!(
        gh.last_error.as_ref().unwrap().message.contains("retry"),
        "{:?}",
        gh.last_error
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    until(&h, "GitHub to recover after retry-after", |s| {
        s.sources.iter().all(|src| src.connected)
    })
    .await;
}

#[tokio::test]
async fn drift_shows_when_github_and_the_cluster_disagree() {
    let h = start().await;
    let s = h.live.latest().unwrap();
    assert!(
        s.environments.iter().all(|e| e.drift.is_none()),
        "the seeded world agrees with itself"
    );
    // GitHub records a deployment the cluster never received.
    let claimed = h.world.seeded.feature_head.clone();
    let id = h
        .world
        .github
        .create_deployment(DeploymentSpec::new(&claimed, "production", ACTIONS_BOT))
        .unwrap();
    h.world
        .github
        .add_deployment_status(id, StatusSpec::new(DeploymentState::Success, ACTIONS_BOT))
        .unwrap();
    let s = until(&h, "drift on production", |s| {
        env(s, "production").drift.is_some()
    })
    .await;
    let drift = env(&s, "production").drift.clone().unwrap();
    assert_eq!(drift.github_sha, claimed);
    assert_eq!(
        drift.cluster_sha.as_deref(),
        Some(&h.world.seeded.main[1][..7])
    );
}

fn soak(s: &Snapshot) -> sluice_core::snapshot::GateCondition {
    s.gates[0]
        .conditions
        .iter()
        .find(|c| c.kind == GateConditionKind::Soak)
        .unwrap()
        .clone()
}

/// A Helm release record as Helm writes it: base64(gzip(JSON)) in a labelled Secret.
fn helm_secret(
    release: &str,
    revision: u32,
    last_deployed: &str,
) -> k8s_openapi::api::core::v1::Secret {
    use base64::Engine;
    use std::io::Write;
    let doc = json!({
        "name": release, "version": revision, "namespace": "staging",
        "info": {"status": "deployed", "description": "Upgrade complete", "last_deployed": last_deployed},
        "chart": {"metadata": {"name": "tbyte-microservices", "version": "0.1.0", "appVersion": "0.1.0"}},
        "config": {}, "manifest": "",
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(doc.to_string().as_bytes()).unwrap();
    let payload = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": format!("sh.helm.release.v1.{release}.v{revision}"),
            "labels": {"owner": "helm", "name": release, "status": "deployed", "version": revision.to_string()}},
        "data": {"release": base64::engine::general_purpose::STANDARD.encode(payload)},
    }))
    .unwrap()
}

#[tokio::test]
async fn soak_counts_from_the_rollout_and_a_forged_helm_record_moves_nothing() {
    let h = start().await;
    let first = h.live.latest().unwrap();
    let before = soak(&first);
    let since = first.environments[1].running_since.clone().unwrap();
    assert!(
        !before.met,
        "staging deployed at the world's start has not soaked 24h: {}",
        before.reason
    );
    assert!(
        before
            .reason
            .contains("completed its rollout at 2026-11-26"),
        "where the figure comes from: {}",
        before.reason
    );
    // A developer (who may write staging's Secrets) forges a Helm record of a day-old release.
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    h.world
        .write_kubeconfig(&kubeconfig, &["tbyte".to_owned()])
        .unwrap();
    let dave = sluice_kube::connect(Some(&kubeconfig), "tbyte@dave-developer")
        .await
        .unwrap();
    kube::Api::<k8s_openapi::api::core::v1::Secret>::namespaced(dave.clone(), "staging")
        .create(
            &kube::api::PostParams::default(),
            &helm_secret("tbyte-staging", 999, "2020-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let s = until(&h, "the forged record in staging's Helm history", |s| {
        s.environments[1]
            .helm_history
            .first()
            .is_some_and(|r| r.revision == 999)
    })
    .await;
    // The reason's figure moves with the clock; where it counts from must not.
    let evidence = |reason: &str| reason[reason.find('(').unwrap_or(0)..].to_owned();
    assert_eq!(
        evidence(&soak(&s).reason),
        evidence(&before.reason),
        "the forged record moves nothing"
    );
    assert!(!soak(&s).met);
    assert_eq!(s.environments[1].running_since.as_ref(), Some(&since));

    // `kubectl set image` on staging: a new version runs, and its soak starts over.
    kube::Api::<k8s_openapi::api::apps::v1::Deployment>::namespaced(dave, "staging")
        .patch(
            "tbyte-staging-api",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "api", "image": "ghcr.io/tbyte-org/tbyte-api:1234567"}]}}}})),
        )
        .await
        .unwrap();
    h.world.clock.advance(Duration::from_secs(3600));
    let s = until(&h, "staging's new rollout complete", |s| {
        s.environments[1].health == Health::Healthy
            && s.environments[1].running_since.as_ref().is_some_and(|r| {
                r.evidence
                    .starts_with("Deployment tbyte-staging-api completed its rollout at")
                    && r.at.as_str() > "2026-11-26T10:00:00Z"
            })
    })
    .await;
    let after = soak(&s);
    assert!(!after.met);
    assert!(
        after.reason.starts_with("1234567 has run "),
        "the soak started over with the new version: {}",
        after.reason
    );
    let ran = after.reason["1234567 has run ".len()..]
        .split(" in staging")
        .next()
        .unwrap();
    assert!(
        !ran.contains('h') && !ran.contains('d'),
        "under an hour, not since the old release: {}",
        after.reason
    );
}
