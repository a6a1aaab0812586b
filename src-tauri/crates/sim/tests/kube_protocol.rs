#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Protocol details of the simulated apiserver, seen through kube-rs: bookmarks, paging,
//! selectors on watches, optimistic concurrency and 410 Gone.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use serde_json::json;
use sluice_sim::{SimWorld, WorldOptions, testing};

async fn client() -> (SimWorld, tempfile::TempDir, kube::Client) {
    let world = SimWorld::start(WorldOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(&path).unwrap(),
        &kube::config::KubeConfigOptions {
            context: Some("tbyte".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (world, dir, kube::Client::try_from(config).unwrap())
}

fn cm(name: &str, tier: &str) -> ConfigMap {
    serde_json::from_value(
        json!({"metadata": {"name": name, "labels": {"tier": tier}}, "data": {"k": "v"}}),
    )
    .unwrap()
}

#[tokio::test]
async fn watches_get_bookmarks_and_selector_transitions() {
    let (world, _dir, client) = client().await;
    world.kube.set_bookmark_interval(Duration::from_millis(100));
    let api: Api<ConfigMap> = Api::namespaced(client, "dev");
    api.create(&PostParams::default(), &cm("a", "front"))
        .await
        .unwrap();
    let rv = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut params = WatchParams::default().labels("tier=front");
    params.bookmarks = true;
    let mut stream = api.watch(&params, &rv).await.unwrap().boxed();

    // Leaving the selector is a DELETED for this watcher, entering it an ADDED.
    let mut moved = cm("a", "back");
    moved.metadata.resource_version = None;
    api.replace("a", &PostParams::default(), &{
        let mut current = api.get("a").await.unwrap();
        current.metadata.labels = moved.metadata.labels.clone();
        current
    })
    .await
    .unwrap();
    api.create(&PostParams::default(), &cm("b", "front"))
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut bookmark = false;
    while seen.len() < 2 || !bookmark {
        match tokio::time::timeout(Duration::from_secs(5), stream.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            WatchEvent::Deleted(o) => seen.push(format!("deleted {}", o.metadata.name.unwrap())),
            WatchEvent::Added(o) => seen.push(format!("added {}", o.metadata.name.unwrap())),
            WatchEvent::Bookmark(_) => bookmark = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["deleted a", "added b"]);
}

#[tokio::test]
async fn lists_page_with_limit_and_continue() {
    let (_world, _dir, client) = client().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "dev");
    for i in 0..5 {
        api.create(&PostParams::default(), &cm(&format!("c{i}"), "front"))
            .await
            .unwrap();
    }
    let first = api.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let token = first.metadata.continue_.clone().unwrap();
    let mut names: Vec<String> = first
        .items
        .iter()
        .map(|c| c.metadata.name.clone().unwrap())
        .collect();
    let mut next = Some(token);
    while let Some(token) = next.filter(|t| !t.is_empty()) {
        let page = api
            .list(&ListParams::default().limit(2).continue_token(&token))
            .await
            .unwrap();
        names.extend(page.items.iter().map(|c| c.metadata.name.clone().unwrap()));
        next = page.metadata.continue_;
    }
    assert_eq!(names, ["c0", "c1", "c2", "c3", "c4"]);
}

#[tokio::test]
async fn stale_writes_conflict_and_compacted_versions_are_gone() {
    let (world, _dir, client) = client().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "dev");
    let created = api
        .create(&PostParams::default(), &cm("a", "front"))
        .await
        .unwrap();
    let mut first = created.clone();
    first.data = Some([("k".to_owned(), "1".to_owned())].into());
    api.replace("a", &PostParams::default(), &first)
        .await
        .unwrap();
    let mut stale = created.clone();
    stale.data = Some([("k".to_owned(), "2".to_owned())].into());
    let err = api
        .replace("a", &PostParams::default(), &stale)
        .await
        .unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 409 && s.reason == "Conflict"),
        "{err:?}"
    );

    let old_rv = created.metadata.resource_version.unwrap();
    world.kube.compact();
    let mut stream = api
        .watch(&WatchParams::default(), &old_rv)
        .await
        .unwrap()
        .boxed();
    match tokio::time::timeout(Duration::from_secs(5), stream.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
    {
        WatchEvent::Error(e) => assert_eq!(e.code, 410),
        other => panic!("expected 410 Gone, got {other:?}"),
    }
}

#[tokio::test]
async fn injected_faults_answer_as_a_failing_apiserver() {
    let (world, _dir, client) = client().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "dev");
    // kube-rs retries 503 by itself; a 500 reaches the caller.
    world.kube_server.faults().fail_next(1, 500);
    let err = api.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(err, kube::Error::Api(ref s) if s.code == 500),
        "{err:?}"
    );
    api.list(&ListParams::default()).await.unwrap();
}
