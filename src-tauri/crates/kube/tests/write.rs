#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The cluster writes against the simulated cluster: the real kube client, RBAC, server-side
//! apply of exactly the reviewed containers, the Lease, and rollback.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, ListParams};
use sluice_core::snapshot::ImageChange;
use sluice_kube::write::lease::{self, LeaseError};
use sluice_kube::write::{self as kubernetes, Record, WriteError as KubePromotionError};
use sluice_sim::kube::Breakage;
use sluice_sim::{SimWorld, WorldOptions, testing};

struct Cluster {
    world: SimWorld,
    _dir: tempfile::TempDir,
    kubeconfig: std::path::PathBuf,
}

impl Cluster {
    async fn start() -> Self {
        let world = SimWorld::start(WorldOptions {
            speed: 30.0,
            ..WorldOptions::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
        testing::deploy(&world, "tbyte-prod", "production", 3, "aaaaaaa").unwrap();
        testing::deploy(&world, "tbyte-staging", "staging", 2, "bbbbbbb").unwrap();
        let c = Self {
            world,
            _dir: dir,
            kubeconfig,
        };
        let api: Api<Deployment> = Api::namespaced(c.client("tbyte").await, "production");
        kubernetes::follow(
            &api,
            &["tbyte-prod-api".into(), "tbyte-prod-web".into()],
            Duration::from_secs(30),
        )
        .await
        .unwrap();
        c
    }

    async fn client(&self, context: &str) -> kube::Client {
        sluice_kube::connect(Some(&self.kubeconfig), context)
            .await
            .unwrap()
    }

    async fn images(&self, ns: &str) -> Vec<String> {
        let api: Api<Deployment> = Api::namespaced(self.client("tbyte").await, ns);
        let mut images: Vec<String> = api
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .iter()
            .flat_map(|d| {
                d.spec
                    .as_ref()
                    .unwrap()
                    .template
                    .spec
                    .as_ref()
                    .unwrap()
                    .containers
                    .iter()
                    .map(|c| c.image.clone().unwrap())
            })
            .collect();
        images.sort();
        images
    }
}

/// What a review of production shows: each container from what it runs to staging's `tag`.
fn staging_images(tag: &str) -> Vec<ImageChange> {
    ["api", "web"]
        .iter()
        .map(|s| ImageChange {
            workload: format!("tbyte-prod-{s}"),
            container: (*s).to_owned(),
            source_workload: format!("tbyte-staging-{s}"),
            from: Some(format!("ghcr.io/tbyte-org/tbyte-{s}:aaaaaaa")),
            to: Some(format!("ghcr.io/tbyte-org/tbyte-{s}:{tag}")),
        })
        .collect()
}

fn record() -> Record<'static> {
    Record {
        actor: "alice-approver",
        from_environment: "staging",
        version: "bbbbbbb",
        reason: "release 42",
    }
}

#[tokio::test]
async fn promotion_moves_production_to_the_staging_images_and_records_who() {
    let c = Cluster::start().await;
    let client = c.client("tbyte").await;
    kubernetes::set_images(
        &client,
        "production",
        &staging_images("bbbbbbb"),
        &record(),
        "alice-approver@test/1",
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(
        c.images("production").await,
        [
            "ghcr.io/tbyte-org/tbyte-api:bbbbbbb",
            "ghcr.io/tbyte-org/tbyte-web:bbbbbbb"
        ]
    );
    let api: Api<Deployment> = Api::namespaced(client.clone(), "production");
    let d = api.get("tbyte-prod-api").await.unwrap();
    let annotations = d.metadata.annotations.clone().unwrap();
    assert_eq!(annotations["sluice.dev/promoted-by"], "alice-approver");
    assert!(annotations["kubernetes.io/change-cause"].contains("release 42"));
    assert!(
        d.metadata
            .managed_fields
            .unwrap()
            .iter()
            .any(|m| m.manager.as_deref() == Some("sluice")
                && m.operation.as_deref() == Some("Apply"))
    );
    let leases: Api<Lease> = Api::namespaced(client, "production");
    assert!(
        leases.get_opt(lease::LEASE_NAME).await.unwrap().is_none(),
        "the lock is released"
    );
}

#[tokio::test]
async fn kubernetes_refuses_a_developer_and_nothing_changes() {
    let c = Cluster::start().await;
    let before = c.images("production").await;
    let dev = c.client("tbyte@dave-developer").await;
    let err = kubernetes::set_images(
        &dev,
        "production",
        &staging_images("bbbbbbb"),
        &record(),
        "dave-developer@test/1",
        Duration::from_secs(30),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, KubePromotionError::Forbidden(ref m) if m.contains("patch deployments")),
        "{err}"
    );
    assert_eq!(c.images("production").await, before);
}

#[tokio::test]
async fn twenty_concurrent_promotions_one_proceeds() {
    let c = Cluster::start().await;
    let consoles = [c.client("tbyte").await, c.client("tbyte").await];
    let mut tasks = Vec::new();
    for i in 0..20 {
        let client = consoles[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            kubernetes::set_images(
                &client,
                "production",
                &staging_images("bbbbbbb"),
                &record(),
                &format!("alice-approver@console{}/{i}", i % 2),
                Duration::from_secs(60),
            )
            .await
        }));
    }
    let mut ok = 0;
    let mut in_progress = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(KubePromotionError::Lease(LeaseError::Held { holder })) => {
                assert!(
                    holder.contains("alice-approver") || holder.contains("another console"),
                    "{holder}"
                );
                in_progress += 1;
            }
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!((ok, in_progress), (1, 19));
}

#[tokio::test]
async fn a_container_that_no_longer_runs_what_was_reviewed_is_left_alone() {
    let c = Cluster::start().await;
    let client = c.client("tbyte").await;
    // Someone set production's api by hand after the review was made.
    let mut reviewed = staging_images("bbbbbbb");
    reviewed[0].from = Some("ghcr.io/tbyte-org/tbyte-api:0000000".into());
    let before = c.images("production").await;
    let err = kubernetes::set_images(
        &client,
        "production",
        &reviewed,
        &record(),
        "alice-approver@test/1",
        Duration::from_secs(30),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, KubePromotionError::Changed(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "the release changed while you were reviewing: container `api` of tbyte-prod-api runs ghcr.io/tbyte-org/tbyte-api:aaaaaaa, not ghcr.io/tbyte-org/tbyte-api:0000000 as reviewed"
    );
    assert_eq!(c.images("production").await, before, "all or nothing");
}

#[tokio::test]
async fn a_crashed_holder_blocks_until_its_lease_expires() {
    let c = Cluster::start().await;
    let api: Api<Lease> = Api::namespaced(c.client("tbyte").await, "production");
    let held = lease::acquire_for(api.clone(), "alice-approver@crashed/1", 2)
        .await
        .unwrap();
    drop(held); // the console died: no release, no renewal
    match lease::acquire_for(api.clone(), "alice-approver@next/2", 2).await {
        Err(LeaseError::Held { holder }) => assert_eq!(holder, "alice-approver"),
        other => panic!("expected the lock to be held, got {:?}", other.map(|_| ())),
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    lease::acquire_for(api, "alice-approver@next/2", 2)
        .await
        .unwrap()
        .release()
        .await;
}

#[tokio::test]
async fn rollback_after_a_failed_rollout_restores_the_previous_revision() {
    let c = Cluster::start().await;
    for s in ["api", "web"] {
        c.world.kube.break_image(
            &format!("ghcr.io/tbyte-org/tbyte-{s}:ccccccc"),
            Breakage::CrashLoop,
        );
    }
    // Deadlines are ten simulated minutes: about 20 seconds at speed 30.
    let client = c.client("tbyte").await;
    let err = kubernetes::set_images(
        &client,
        "production",
        &staging_images("ccccccc"),
        &record(),
        "alice-approver@test/1",
        Duration::from_secs(90),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, KubePromotionError::RolloutFailed(_)), "{err}");
    let rolled = kubernetes::rollback(
        &client,
        "production",
        "tbyte-prod",
        kubernetes::RollbackTarget::Previous,
        "alice-approver@test/1",
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert_eq!(rolled.len(), 2);
    assert_eq!(
        c.images("production").await,
        [
            "ghcr.io/tbyte-org/tbyte-api:aaaaaaa",
            "ghcr.io/tbyte-org/tbyte-web:aaaaaaa"
        ]
    );
}

#[tokio::test]
async fn rollback_to_a_named_replica_set_refuses_one_the_deployment_does_not_own() {
    let c = Cluster::start().await;
    let client = c.client("tbyte").await;
    // api's own previous ReplicaSet is not web's: naming it for web changes nothing.
    let chosen = [(
        "tbyte-prod-web".to_owned(),
        "tbyte-prod-api-0000".to_owned(),
    )];
    let before = c.images("production").await;
    let err = kubernetes::rollback(
        &client,
        "production",
        "tbyte-prod",
        kubernetes::RollbackTarget::ReplicaSets(&chosen),
        "alice-approver@test/1",
        Duration::from_secs(60),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains(
            "ReplicaSet `tbyte-prod-api-0000` is no longer kept for Deployment `tbyte-prod-web`"
        ),
        "{err}"
    );
    assert_eq!(c.images("production").await, before);
}

fn ledger_entry(
    login: &str,
    environment: &str,
    version: &str,
) -> sluice_core::quorum::LedgerApproval {
    sluice_core::quorum::LedgerApproval {
        environment: environment.into(),
        login: login.into(),
        version: version.into(),
        sha: None,
        from: Some("aaaaaaa".into()),
        at: "2026-12-06T10:00:00Z".into(),
        comment: Some(format!("{login} says ok")),
    }
}

/// The keys of `login`'s ledger in production, from the simulated cluster.
fn ledger_keys(c: &Cluster, login: &str) -> Vec<String> {
    c.world
        .kube
        .get(
            sluice_sim::kube::resources::Kind::ConfigMap,
            "production",
            &sluice_core::quorum::ledger_name(login),
        )
        .map(|m| {
            m["data"]
                .as_object()
                .map(|d| d.keys().cloned().collect())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn each_person_writes_their_own_ledger_and_the_source_and_a_read_back_see_them_all() {
    use sluice_kube::write::ledger;
    let c = Cluster::start().await;
    let (a, b) = (c.client("tbyte").await, c.client("tbyte@carol-lead").await);
    // The same person on two consoles at once, for two environments: one creates the ledger,
    // the other patches it, and both keys are kept.
    let (in_production, in_staging) = (
        ledger_entry("alice-approver", "production", "bbbbbbb"),
        ledger_entry("alice-approver", "staging", "bbbbbbb"),
    );
    let (x, y) = tokio::join!(
        ledger::record(&a, "production", &in_production),
        ledger::record(&b, "production", &in_staging)
    );
    x.unwrap();
    y.unwrap();
    assert_eq!(ledger_keys(&c, "alice-approver"), ["production", "staging"]);
    ledger::record(
        &b,
        "production",
        &ledger_entry("carol-lead", "production", "bbbbbbb"),
    )
    .await
    .unwrap();

    // A console whose gate asks for a quorum watches every ledger of the namespace.
    let (_source, mut views) = sluice_kube::ClusterSource::start_with(
        c.client("tbyte").await,
        "production",
        "tbyte-prod",
        sluice_kube::SourceOptions {
            ledger: true,
            ..Default::default()
        },
    );
    let view = testing::until(
        &mut views,
        Duration::from_secs(30),
        "the ledgers read",
        |v| v.synced && v.inputs.approvals.len() == 3,
    )
    .await
    .unwrap();
    let mut seen: Vec<(String, String)> = view
        .inputs
        .approvals
        .iter()
        .map(|a| (a.login.clone(), a.environment.clone()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("alice-approver".to_owned(), "production".to_owned()),
            ("alice-approver".to_owned(), "staging".to_owned()),
            ("carol-lead".to_owned(), "production".to_owned())
        ]
    );
    // A new approval replaces the person's earlier one for that environment.
    ledger::record(
        &a,
        "production",
        &ledger_entry("alice-approver", "production", "ccccccc"),
    )
    .await
    .unwrap();
    let (now, problems) = ledger::read(&a, "production").await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let alice: Vec<&str> = now
        .iter()
        .filter(|e| e.login == "alice-approver" && e.environment == "production")
        .map(|e| e.version.as_str())
        .collect();
    assert_eq!(alice, ["ccccccc"]);
}

#[tokio::test]
async fn a_viewer_may_not_write_a_ledger_and_is_told_so_in_rbacs_words() {
    let c = Cluster::start().await;
    let vera = c.client("tbyte@vera-viewer").await;
    let err = sluice_kube::write::ledger::record(
        &vera,
        "production",
        &ledger_entry("vera-viewer", "production", "bbbbbbb"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, KubePromotionError::Forbidden(ref m)
            if m.contains("User \"vera-viewer\" cannot patch resource \"configmaps\"") && m.contains("production")),
        "{err}"
    );
    assert!(ledger_keys(&c, "vera-viewer").is_empty());
}

#[tokio::test]
async fn a_smoke_test_job_is_limited_and_one_left_running_is_deleted() {
    use sluice_kube::write::job;
    let c = Cluster::start().await;
    let client = c.client("tbyte").await;
    let manifest = serde_json::json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "smoke"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "smoke", "image": "curl"}]}}},
    });
    let labels = job::JobLabels {
        environment: "production",
        version: "bbbbbbb",
    };
    let name = job::start(
        &client,
        "production",
        &manifest,
        &labels,
        Duration::from_secs(600),
    )
    .await
    .unwrap();
    let made = c
        .world
        .kube
        .get(sluice_sim::kube::resources::Kind::Job, "production", &name)
        .unwrap();
    assert_eq!(made["spec"]["activeDeadlineSeconds"], 600);
    assert_eq!(made["spec"]["ttlSecondsAfterFinished"], 3600);
    assert_eq!(made["metadata"]["labels"]["sluice.dev/version"], "bbbbbbb");
    // Abandoned before it ended (the verification ended first): deleted.
    drop(job::Running::new(&client, "production", &name));
    for _ in 0..100 {
        if c.world
            .kube
            .get(sluice_sim::kube::resources::Kind::Job, "production", &name)
            .is_none()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the abandoned Job {name} was not deleted");
}
