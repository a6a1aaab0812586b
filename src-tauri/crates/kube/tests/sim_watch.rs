#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! kube-rs watchers and reflectors against the simulated cluster: the real client, over HTTPS,
//! through restarts and compactions.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use sluice_sim::{SimWorld, WorldOptions, testing};

async fn world() -> (SimWorld, tempfile::TempDir, kube::Client) {
    let world = SimWorld::start(WorldOptions {
        speed: 20.0,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    let client = sluice_kube::connect(Some(&path), "tbyte").await.unwrap();
    (world, dir, client)
}

fn deploy(world: &SimWorld, version: &str) {
    testing::deploy(world, "tbyte-staging", "staging", 2, version).unwrap();
}

/// Waits until the reflector's store satisfies `ok`.
async fn until<K>(
    store: &reflector::Store<K>,
    what: &str,
    ok: impl Fn(&reflector::Store<K>) -> bool,
) where
    K: kube::Resource + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    tokio::time::timeout(Duration::from_secs(20), async {
        while !ok(store) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

fn image_of(d: &Deployment) -> String {
    d.spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
        .image
        .clone()
        .unwrap()
}

#[tokio::test]
async fn reflector_follows_a_rollout_through_a_restart_and_a_compaction() {
    let (world, _dir, client) = world().await;
    deploy(&world, "aaaaaaa");
    let api: Api<Deployment> = Api::namespaced(client, "staging");
    let (store, writer) = reflector::store();
    let stream = watcher(api, watcher::Config::default().any_semantic())
        .default_backoff()
        .reflect(writer)
        .applied_objects();
    let task = tokio::spawn(stream.for_each(|_| async {}));

    until(&store, "the initial list", |s| s.state().len() == 2).await;
    until(&store, "2 ready replicas", |s| {
        s.state()
            .iter()
            .all(|d| d.status.as_ref().and_then(|st| st.ready_replicas) == Some(2))
    })
    .await;

    // The apiserver restarts: the watch dies, the reflector reconnects and keeps up.
    world.kube_server.stop().await;
    deploy(&world, "bbbbbbb");
    tokio::time::sleep(Duration::from_millis(300)).await;
    world.kube_server.resume().await.unwrap();
    until(&store, "the new image after the restart", |s| {
        s.state().iter().all(|d| image_of(d).ends_with(":bbbbbbb"))
    })
    .await;

    // History is compacted away: the next resume gets 410 Gone and the watcher re-lists.
    world.kube.compact();
    world.kube_server.restart().await.unwrap();
    deploy(&world, "ccccccc");
    until(&store, "the image after a 410", |s| {
        s.state().iter().all(|d| image_of(d).ends_with(":ccccccc"))
    })
    .await;
    task.abort();
}

#[tokio::test]
async fn steady_watches_make_no_list_calls() {
    let (world, _dir, client) = world().await;
    deploy(&world, "aaaaaaa");
    let api: Api<Deployment> = Api::namespaced(client, "staging");
    let (store, writer) = reflector::store();
    let task = tokio::spawn(
        watcher(api, watcher::Config::default())
            .reflect(writer)
            .applied_objects()
            .for_each(|_| async {}),
    );
    until(&store, "the initial list", |s| s.state().len() == 2).await;
    let lists_before = world
        .kube
        .request_counts()
        .get("list")
        .copied()
        .unwrap_or(0);
    for version in ["bbbbbbb", "ccccccc", "ddddddd"] {
        deploy(&world, version);
        until(&store, version, |s| {
            s.state().iter().all(|d| image_of(d).ends_with(version))
        })
        .await;
    }
    let lists_after = world
        .kube
        .request_counts()
        .get("list")
        .copied()
        .unwrap_or(0);
    assert_eq!(
        lists_after, lists_before,
        "changes arrived by watch, not by listing"
    );
    task.abort();
}

#[tokio::test]
async fn helm_release_secrets_decode_with_sluices_decoder() {
    let (world, _dir, client) = world().await;
    deploy(&world, "aaaaaaa");
    deploy(&world, "bbbbbbb");
    let secrets: Api<Secret> = Api::namespaced(client, "staging");
    let list = secrets
        .list(&ListParams::default().labels("owner=helm,name=tbyte-staging"))
        .await
        .unwrap();
    let mut releases: Vec<sluice_kube::helm::HelmRelease> = list
        .items
        .iter()
        .map(|s| sluice_kube::helm::decode_release(&s.data.as_ref().unwrap()["release"].0).unwrap())
        .collect();
    releases.sort_by_key(|r| r.revision);
    let summary: Vec<(u32, &str, Option<&str>)> = releases
        .iter()
        .map(|r| (r.revision, r.status.as_str(), r.app_version.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, "superseded", Some("aaaaaaa")),
            (2, "deployed", Some("bbbbbbb"))
        ]
    );
    assert_eq!(releases[1].chart_name, "tbyte-microservices");
    assert_eq!(releases[1].values["replicaCount"], 2);
}

#[tokio::test]
async fn unknown_context_is_a_clear_error() {
    let (_world, dir, _client) = world().await;
    let Err(err) = sluice_kube::connect(Some(&dir.path().join("kubeconfig")), "nope").await else {
        panic!("an unknown context connected");
    };
    assert!(err.to_string().contains("`nope`"), "{err}");
}
