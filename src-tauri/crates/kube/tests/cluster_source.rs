#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The cluster source against the simulated cluster: the real kube client over HTTPS, the
//! simulated deployment controller and kubelet, and the simulated Helm's release Secrets.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ObjectMeta, PostParams};
use sluice_core::snapshot::Workload;
use sluice_kube::source::MAX_WARNINGS_PER_WORKLOAD;
use sluice_kube::{ClusterSource, ClusterView};
use sluice_sim::kube::Breakage;
use sluice_sim::{Role, SimWorld, WorldOptions, testing};
use tokio::sync::watch;

const NAMESPACE: &str = "staging";
const RELEASE: &str = "tbyte-staging";
const API: &str = "tbyte-staging-api";
const WAIT: Duration = Duration::from_secs(30);

struct Fixture {
    world: SimWorld,
    _dir: tempfile::TempDir,
    kubeconfig: std::path::PathBuf,
}

async fn world() -> Fixture {
    let world = SimWorld::start(WorldOptions {
        speed: 20.0,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    Fixture {
        world,
        _dir: dir,
        kubeconfig,
    }
}

impl Fixture {
    async fn client(&self, context: &str) -> kube::Client {
        sluice_kube::connect(Some(&self.kubeconfig), context)
            .await
            .unwrap()
    }

    async fn source(&self, context: &str) -> (ClusterSource, watch::Receiver<ClusterView>) {
        ClusterSource::start(self.client(context).await, NAMESPACE, RELEASE)
    }

    fn deploy(&self, version: &str) {
        testing::deploy(&self.world, RELEASE, NAMESPACE, 2, version).unwrap();
    }

    fn lists(&self) -> u64 {
        self.world
            .kube
            .request_counts()
            .get("list")
            .copied()
            .unwrap_or(0)
    }
}

/// Waits for a view satisfying `ok` and returns it; a failure shows the last view.
async fn until(
    views: &mut watch::Receiver<ClusterView>,
    what: &str,
    ok: impl Fn(&ClusterView) -> bool,
) -> ClusterView {
    match testing::until(views, WAIT, what, ok).await {
        Ok(view) => view,
        Err(e) => panic!("{e}; last view: {:#?}", *views.borrow()),
    }
}

fn workload<'a>(view: &'a ClusterView, name: &str) -> Option<&'a Workload> {
    view.inputs
        .workloads
        .iter()
        .map(AsRef::as_ref)
        .find(|w| w.name == name)
}

/// Every workload of the release runs `version` on all its desired replicas.
fn rolled_out(view: &ClusterView, version: &str) -> bool {
    !view.inputs.workloads.is_empty()
        && view.inputs.workloads.iter().all(|w| {
            w.images.iter().all(|i| i.ends_with(&format!(":{version}")))
                && w.updated == w.desired
                && w.ready == w.desired
                && w.available == w.desired
                && w.replica_sets.iter().skip(1).all(|rs| rs.ready == 0)
        })
}

/// Ready replicas of the workload's ReplicaSet running `version`, if it exists yet.
fn ready_of(w: &Workload, version: &str) -> Option<u32> {
    w.replica_sets
        .iter()
        .find(|rs| {
            rs.images
                .iter()
                .all(|i| i.ends_with(&format!(":{version}")))
        })
        .map(|rs| rs.ready)
}

#[tokio::test]
async fn a_rollout_shows_the_new_replica_set_rising_and_the_old_one_falling() {
    let f = world().await;
    f.deploy("aaaaaaa");
    let (_source, mut views) = f.source("tbyte").await;
    let first = until(&mut views, "the first release rolled out", |v| {
        v.synced && v.connected && rolled_out(v, "aaaaaaa")
    })
    .await;
    assert_eq!(first.inputs.workloads.len(), 2, "api and web");
    assert!(first.last_event_at.is_some());

    f.deploy("bbbbbbb");
    // (new set ready, old set ready) in every view published during the rollout.
    let mut sequence: Vec<(u32, u32)> = Vec::new();
    tokio::time::timeout(WAIT, async {
        loop {
            views.changed().await.unwrap();
            let view = views.borrow_and_update().clone();
            let Some(api) = workload(&view, API) else {
                continue;
            };
            if let Some(new) = ready_of(api, "bbbbbbb") {
                let old = ready_of(api, "aaaaaaa").unwrap_or(0);
                if sequence.last() != Some(&(new, old)) {
                    sequence.push((new, old));
                }
            }
            if rolled_out(&view, "bbbbbbb") {
                break;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the rollout did not finish; seen {sequence:?}"));

    assert_eq!(sequence.first().map(|s| s.0), Some(0), "{sequence:?}");
    assert_eq!(sequence.last(), Some(&(2, 0)), "{sequence:?}");
    assert!(
        sequence.windows(2).all(|w| w[1].0 >= w[0].0),
        "the new set only rises: {sequence:?}"
    );
    assert!(
        sequence.windows(2).all(|w| w[1].1 <= w[0].1),
        "the old set only falls: {sequence:?}"
    );
    assert!(
        sequence.iter().any(|&(new, _)| new > 0 && new < 2) || sequence.len() > 2,
        "intermediate states were seen: {sequence:?}"
    );

    let done = until(&mut views, "the Helm history of both revisions", |v| {
        v.inputs.helm_history.len() == 2
    })
    .await;
    let history: Vec<(u32, &str, Option<&str>)> = done
        .inputs
        .helm_history
        .iter()
        .map(|h| (h.revision, h.status.as_str(), h.app_version.as_deref()))
        .collect();
    assert_eq!(
        history,
        [
            (2, "deployed", Some("bbbbbbb")),
            (1, "superseded", Some("aaaaaaa"))
        ]
    );
    assert_eq!(
        done.inputs.helm_history[0].chart,
        "tbyte-microservices-0.1.0"
    );
    let api_image = done
        .inputs
        .images
        .iter()
        .find(|i| i.workload == API)
        .unwrap();
    assert_eq!(api_image.tag.as_deref(), Some("bbbbbbb"));
    assert_eq!(api_image.image, "ghcr.io/tbyte-org/tbyte-api:bbbbbbb");
    let api = workload(&done, API).unwrap();
    assert_eq!(api.revision.as_deref(), Some("2"));
    assert_eq!(api.replica_sets[0].revision.as_deref(), Some("2"));
    // Old pods may still be shutting down; they say so.
    let (serving, leaving): (Vec<_>, Vec<_>) =
        api.pods.iter().partition(|p| p.phase != "Terminating");
    assert_eq!(serving.len(), 2, "{:?}", api.pods);
    assert!(serving.iter().all(|p| p.ready && p.phase == "Running"));
    let new_set = api.replica_sets[0].name.as_str();
    assert!(
        serving
            .iter()
            .all(|p| p.replica_set.as_deref() == Some(new_set))
    );
    assert!(
        leaving
            .iter()
            .all(|p| p.replica_set.as_deref() != Some(new_set))
    );
    assert!(
        done.inputs.problems.is_empty(),
        "{:?}",
        done.inputs.problems
    );
}

#[tokio::test]
async fn a_crashing_image_shows_its_reason_and_then_stalls() {
    let f = world().await;
    for service in ["api", "web"] {
        f.world.kube.break_image(
            &format!("ghcr.io/tbyte-org/tbyte-{service}:bad0000"),
            Breakage::CrashLoop,
        );
    }
    f.deploy("aaaaaaa");
    let (_source, mut views) = f.source("tbyte").await;
    until(&mut views, "the good release", |v| rolled_out(v, "aaaaaaa")).await;

    f.deploy("bad0000");
    let crashing = until(&mut views, "a pod in CrashLoopBackOff", |v| {
        workload(v, API).is_some_and(|w| {
            w.pods
                .iter()
                .any(|p| p.reason.as_deref() == Some("CrashLoopBackOff"))
        })
    })
    .await;
    let api = workload(&crashing, API).unwrap();
    let pod = api
        .pods
        .iter()
        .find(|p| p.reason.as_deref() == Some("CrashLoopBackOff"))
        .unwrap();
    assert!(!pod.ready);
    assert!(
        pod.message
            .as_deref()
            .unwrap_or_default()
            .contains("back-off")
    );
    assert_eq!(
        pod.replica_set.as_deref(),
        Some(api.replica_sets[0].name.as_str())
    );
    assert!(
        crashing.inputs.stalled.is_empty(),
        "not yet past its deadline"
    );

    // The default progress deadline is 600 s of scenario time.
    f.world.clock.advance(Duration::from_secs(700));
    let stalled = until(&mut views, "the rollout stalled", |v| {
        v.inputs.stalled.iter().any(|s| s == API)
    })
    .await;
    assert!(workload(&stalled, API).unwrap().restarts > 0);
    let warnings = until(&mut views, "the deadline warning", |v| {
        v.inputs.warnings.iter().any(|w| {
            w.reason == "ProgressDeadlineExceeded" && w.object == format!("deployment/{API}")
        })
    })
    .await
    .inputs
    .warnings
    .clone();
    assert!(warnings.len() <= 20);
}

#[tokio::test]
async fn an_apiserver_restart_disconnects_then_recovers_and_catches_up() {
    let f = world().await;
    f.deploy("aaaaaaa");
    let (_source, mut views) = f.source("tbyte").await;
    until(&mut views, "the first release", |v| {
        v.synced && v.connected && rolled_out(v, "aaaaaaa")
    })
    .await;

    f.world.kube_server.stop().await;
    let down = until(&mut views, "the source to notice", |v| !v.connected).await;
    let error = down
        .last_error
        .clone()
        .expect("a disconnected view says why");
    let token = &f.world.person(Role::Approver).kube_token;
    assert!(!error.contains(token.as_str()), "{error}");
    assert!(
        rolled_out(&down, "aaaaaaa"),
        "the last known state is kept while disconnected"
    );

    // A release lands while the source cannot see it.
    f.deploy("bbbbbbb");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!views.borrow().connected);
    f.world.kube_server.resume().await.unwrap();

    let back = until(&mut views, "reconnected with the new release", |v| {
        v.connected && rolled_out(v, "bbbbbbb")
    })
    .await;
    assert_eq!(back.last_error, None);
    until(&mut views, "the new Helm revision", |v| {
        v.inputs.helm_history.first().map(|h| h.revision) == Some(2)
    })
    .await;
}

/// The silence limit of the frozen-server tests: the simulated server answers in milliseconds.
const TEST_SILENCE: Duration = Duration::from_secs(3);

impl Fixture {
    /// A source on `namespace` with [`TEST_SILENCE`], the server sending bookmarks every
    /// `bookmarks`.
    async fn source_with_short_silence(
        &self,
        namespace: &str,
        bookmarks: Duration,
    ) -> (ClusterSource, watch::Receiver<ClusterView>) {
        self.world.kube.set_bookmark_interval(bookmarks);
        ClusterSource::start_with_silence_limit(
            self.client("tbyte").await,
            namespace,
            RELEASE,
            TEST_SILENCE,
        )
    }
}

#[tokio::test]
async fn a_frozen_apiserver_makes_the_source_stale_until_it_thaws() {
    let f = world().await;
    f.deploy("aaaaaaa");
    let (_source, mut views) = f
        .source_with_short_silence(NAMESPACE, Duration::from_millis(100))
        .await;
    until(&mut views, "the first release", |v| {
        v.synced && v.connected && rolled_out(v, "aaaaaaa")
    })
    .await;

    // As `kill -STOP`: every connection stays open, nothing more comes.
    f.world.kube_server.faults().freeze();
    let stale = until(&mut views, "the silence noticed", |v| !v.connected).await;
    let error = stale.last_error.clone().expect("a stale view says why");
    assert!(
        error.contains("sent nothing — no change, no bookmark, no answer — for 3 s"),
        "{error}"
    );
    assert!(
        rolled_out(&stale, "aaaaaaa"),
        "the last known state is kept while stale"
    );

    // A release lands during the freeze; the thawed server delivers it.
    f.deploy("bbbbbbb");
    f.world.kube_server.faults().thaw();
    let back = until(&mut views, "thawed, with the new release", |v| {
        v.connected && rolled_out(v, "bbbbbbb")
    })
    .await;
    assert_eq!(back.last_error, None);
    until(&mut views, "the new Helm revision", |v| {
        v.inputs.helm_history.first().map(|h| h.revision) == Some(2)
    })
    .await;
}

#[tokio::test]
async fn a_quiet_healthy_apiserver_stays_connected_past_the_silence_limit() {
    let f = world().await;
    // Nothing is deployed in production: no object, no event, ever. And no bookmark, as from a
    // real kube-apiserver on a quiet cluster (it sends one only once the kind's version moved).
    let (_source, mut views) = f
        .source_with_short_silence("production", Duration::from_secs(3_600))
        .await;
    let settled = until(&mut views, "the first sync", |v| v.synced && v.connected).await;

    let mut watching = views.clone();
    let went_stale = tokio::spawn(async move {
        watching
            .wait_for(|v| !v.connected)
            .await
            .map(|v| v.last_error.clone())
    });
    // Three silence limits without a change: only the quiet check's answers keep it live.
    tokio::time::sleep(TEST_SILENCE * 3).await;
    assert!(
        !went_stale.is_finished(),
        "a healthy server went stale: {:?}",
        went_stale.await
    );
    went_stale.abort();
    let now = views.borrow().clone();
    assert!(now.connected);
    assert_eq!(
        now.inputs, settled.inputs,
        "nothing changed in the namespace meanwhile"
    );
}

#[tokio::test]
async fn a_flood_of_warnings_on_one_workload_keeps_its_newest_and_counts_the_rest() {
    let f = world().await;
    f.deploy("aaaaaaa");
    // A warning on another workload, older than the flood's newest 20: the flood must not push
    // it out.
    let now = f.world.clock.now();
    let web_seen = now - jiff::SignedDuration::from_secs(1_000);
    testing::warning_events(
        &f.world,
        NAMESPACE,
        ("Deployment", "tbyte-staging-web"),
        (1, web_seen),
        |_| "web: an older warning".to_owned(),
    )
    .unwrap();
    let (_source, mut views) = f.source("tbyte").await;
    until(&mut views, "the first release", |v| {
        v.synced && rolled_out(v, "aaaaaaa")
    })
    .await;

    // 2 000 warnings on the api's pods, each with a 5 000-character message.
    let pod = "tbyte-staging-api-l56crxbqq7-bvll4";
    testing::warning_events(&f.world, NAMESPACE, ("Pod", pod), (2_000, now), |i| {
        format!("flood {i:04} {}", "x".repeat(5_000))
    })
    .unwrap();
    let view = until(&mut views, "the flood counted", |v| {
        v.inputs.warnings_left_out == 2_000 - 20
    })
    .await;
    let warnings = &view.inputs.warnings;
    let flood: Vec<&str> = warnings
        .iter()
        .filter(|w| w.object == format!("pod/{pod}"))
        .map(|w| &w.message[..10])
        .collect();
    let newest: Vec<String> = (1_980..2_000)
        .rev()
        .map(|i| format!("flood {i:04}"))
        .collect();
    assert_eq!(MAX_WARNINGS_PER_WORKLOAD, 20);
    assert_eq!(flood, newest, "the newest 20 of the flood, newest first");
    assert_eq!(warnings.len(), 21, "and the other workload's");
    assert_eq!(warnings[20].message, "web: an older warning");
    // Each message is cut, so what the view carries stays small whatever the flood.
    let size = serde_json::to_string(&warnings).unwrap().len();
    assert!(size < 21 * 1_300, "{size} bytes of warnings");
}

#[tokio::test]
async fn steady_state_follows_changes_without_listing() {
    let f = world().await;
    f.deploy("aaaaaaa");
    let (_source, mut views) = f.source("tbyte").await;
    until(&mut views, "the initial sync", |v| {
        v.synced && rolled_out(v, "aaaaaaa")
    })
    .await;
    let lists_before = f.lists();
    assert!(lists_before >= 5, "each store listed once");
    for version in ["bbbbbbb", "ccccccc", "ddddddd"] {
        f.deploy(version);
        until(&mut views, version, |v| rolled_out(v, version)).await;
    }
    assert_eq!(
        f.lists(),
        lists_before,
        "three rollouts arrived by watch, not by listing"
    );
}

#[tokio::test]
async fn a_corrupt_helm_secret_is_a_problem_not_a_failure() {
    let f = world().await;
    f.deploy("aaaaaaa");
    let (_source, mut views) = f.source("tbyte").await;
    until(&mut views, "the first release", |v| {
        rolled_out(v, "aaaaaaa") && v.inputs.helm_history.len() == 1
    })
    .await;

    let corrupt = "sh.helm.release.v1.tbyte-staging.v2";
    let secrets: Api<Secret> = Api::namespaced(f.client("tbyte").await, NAMESPACE);
    secrets
        .create(
            &PostParams::default(),
            &Secret {
                metadata: ObjectMeta {
                    name: Some(corrupt.to_owned()),
                    labels: Some(BTreeMap::from([
                        ("owner".to_owned(), "helm".to_owned()),
                        ("name".to_owned(), RELEASE.to_owned()),
                        ("version".to_owned(), "2".to_owned()),
                    ])),
                    ..ObjectMeta::default()
                },
                type_: Some("helm.sh/release.v1".to_owned()),
                data: Some(BTreeMap::from([(
                    "release".to_owned(),
                    ByteString(b"H4sI this is not a release".to_vec()),
                )])),
                ..Secret::default()
            },
        )
        .await
        .unwrap();

    let view = until(&mut views, "the corrupt secret reported", |v| {
        v.inputs.problems.iter().any(|p| p.contains(corrupt))
    })
    .await;
    assert_eq!(view.inputs.problems.len(), 1, "{:?}", view.inputs.problems);
    let revisions: Vec<u32> = view
        .inputs
        .helm_history
        .iter()
        .map(|h| h.revision)
        .collect();
    assert_eq!(revisions, [1], "the readable revision is still there");
    assert!(rolled_out(&view, "aaaaaaa"));
    assert!(view.connected && view.synced);
}

#[tokio::test]
async fn a_viewer_sees_workloads_and_is_told_helm_history_is_forbidden() {
    let f = world().await;
    f.deploy("aaaaaaa");
    let (_source, mut views) = f.source("tbyte@vera-viewer").await;
    let view = until(&mut views, "workloads and the refusal", |v| {
        v.synced
            && rolled_out(v, "aaaaaaa")
            && v.inputs
                .problems
                .iter()
                .any(|p| p.starts_with("cannot read Helm history: forbidden ("))
    })
    .await;
    assert!(view.connected, "a refusal is not a disconnection");
    assert_eq!(view.last_error, None);
    assert!(view.inputs.helm_history.is_empty());
    assert_eq!(view.inputs.problems.len(), 1, "{:?}", view.inputs.problems);
    assert!(
        view.inputs.problems[0].contains("vera-viewer"),
        "{:?}",
        view.inputs.problems
    );

    // The other feeds keep following changes.
    f.deploy("bbbbbbb");
    until(&mut views, "the next release, as a viewer", |v| {
        rolled_out(v, "bbbbbbb")
    })
    .await;
}
