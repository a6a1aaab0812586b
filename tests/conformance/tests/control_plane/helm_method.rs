//! The `helm` promotion method, end to end through the session the window and the CLI drive:
//! production gets staging's chart and image tag with production's own values file (read from
//! GitHub at the commit promoted), by the same helm the seed's commands use; a second console
//! is refused by the Lease while the first upgrades; a bad release is rolled back by
//! `--atomic` and journaled as failed with helm's reason. GitHub (identity, approval rules,
//! the values files) is a simulated world's on both targets.

use std::sync::Arc;

use sluice_console::Console;
use sluice_console::credentials::Keychain;
use sluice_console::session::{Session, SessionOptions};
use sluice_core::audit::{AttemptFilter, AuditResult};
use sluice_core::desk::{ActRequest, ReviewAction};
use sluice_core::manifests::ManifestChangeKind;
use sluice_core::review::Review;
use sluice_core::snapshot::{Health, Snapshot};
use sluice_sim::people::Role;

use super::*;

/// How long helm may wait for a rollout: the bad release takes all of it.
const HELM_TIMEOUT: &str = "20s";
/// The registry production's values file points at in the bad release: its images never run
/// (the simulator is told; the real control plane's kwok crashes every image naming it).
const BAD_REGISTRY: &str = "ghcr.io/tbyte-org-crashloop";

/// The seed's pipeline with production promoted by `helm`: the helm built for this suite,
/// approvals by alice or carol, nothing that depends on the clock.
fn helm_pipeline(dir: &Path) -> PathBuf {
    let shipped = environments_dir();
    let text = std::fs::read_to_string(shipped.join("pipeline.yaml")).unwrap();
    let head = &text[..text.find("    gate:").unwrap()];
    let pipeline = format!(
        "{head}    gate:\n      method: helm\n      approval:\n        reviewers:\n          users: [alice-approver, carol-lead]\n        preventSelfReview: true\nhelm:\n  binary: {}\n  timeout: {HELM_TIMEOUT}\n  atomic: true\n",
        helm_binary().display()
    );
    for e in &ENVS {
        std::fs::copy(shipped.join(e.values_file), dir.join(e.values_file)).unwrap();
    }
    let path = dir.join("pipeline.yaml");
    std::fs::write(&path, pipeline).unwrap();
    path
}

/// The tbyte chart as a new version (`version`), for staging to run before production does.
fn chart_version(dir: &Path, version: &str) -> PathBuf {
    let source = environments_dir().join("apps/tbyte-microservices");
    let chart = dir.join(format!("tbyte-microservices-{version}"));
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    for entry in std::fs::read_dir(source.join("templates")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            chart.join("templates").join(entry.file_name()),
        )
        .unwrap();
    }
    std::fs::copy(source.join("values.yaml"), chart.join("values.yaml")).unwrap();
    let meta = std::fs::read_to_string(source.join("Chart.yaml")).unwrap();
    let meta: String = meta
        .lines()
        .map(|l| {
            if l.starts_with("version:") {
                format!("version: {version}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(chart.join("Chart.yaml"), meta).unwrap();
    chart
}

struct Consoles {
    pipeline: PathBuf,
    journal: PathBuf,
    kubeconfig: PathBuf,
    github_url: String,
}

impl Consoles {
    /// A console of `person`, signed in by `GH_TOKEN`, its live view settled.
    async fn open(&self, token: &str) -> Session {
        let token = token.to_owned();
        let session = Session::new(
            Console::new(&self.pipeline),
            SessionOptions {
                demo: false,
                kubeconfig: Some(self.kubeconfig.clone()),
                github_api_url: Some(self.github_url.clone()),
                device_client_id: None,
                keychain: Keychain::disabled("no keychain in the conformance suite"),
                journal: self.journal.clone(),
                environment: Arc::new(move |name| (name == "GH_TOKEN").then(|| token.clone())),
                demo_person: None,
                autopilot: false,
                last_known: None,
            },
        );
        session.start().await.unwrap();
        session
    }
}

async fn until(session: &Session, what: &str, ok: impl Fn(&Snapshot) -> bool) {
    let mut rx = session.subscribe();
    sluice_sim::testing::until(&mut rx, Duration::from_secs(60), what, |s| {
        s.as_deref().is_some_and(&ok)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}: {:#?}", session.latest()));
}

/// Until the live view shows staging running `tag`, every environment healthy.
async fn settled_on(session: &Session, tag: &str) {
    until(session, &format!("staging runs {tag}, all healthy"), |s| {
        s.sources.iter().all(|x| x.connected)
            && s.environments
                .iter()
                .all(|e| e.health == Health::Healthy && e.rollout.is_none())
            && s.environments
                .iter()
                .any(|e| e.name == "staging" && e.version.as_ref().is_some_and(|v| v.label == tag))
    })
    .await;
}

fn approve(review: &Review) -> ActRequest {
    ActRequest {
        environment: "production".into(),
        action: ReviewAction::Approve,
        comment: "conformance".into(),
        override_reason: None,
        pin: review.pin.clone(),
    }
}

/// Staging upgraded to `tag` from `chart` (as its deploy would), rolled out.
async fn staging_runs(t: &Target, chart: &Path, tag: &str) {
    let staging = env("staging");
    let set = format!("image.tag={tag}");
    let chart = chart.to_str().unwrap();
    let args = [
        "upgrade",
        "--install",
        staging.release,
        chart,
        "-f",
        staging.values_file,
        "-n",
        staging.namespace,
        "--set",
        &set,
        "--wait",
    ];
    let out = t.helm(&args);
    assert!(
        out.status.success(),
        "helm {args:?} on the {}: {}",
        t.name(),
        text(&out.stderr)
    );
    rolled_out(&t.client("tbyte").await, staging).await;
}

pub(super) async fn helm_method(t: &Target) {
    // GitHub: the target's own world, or one started for it beside the real control plane.
    let own;
    let github = match &t.cluster {
        Cluster::Sim(world) => world.as_ref(),
        Cluster::Real(_) => {
            own = SimWorld::start(WorldOptions::default()).await.unwrap();
            &own
        }
    };
    let values_prod = std::fs::read_to_string(environments_dir().join("values-prod.yaml")).unwrap();
    for e in &ENVS {
        let text = std::fs::read_to_string(environments_dir().join(e.values_file)).unwrap();
        github
            .github
            .set_file(&format!("environments/{}", e.values_file), &text)
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let consoles = Consoles {
        pipeline: helm_pipeline(dir.path()),
        journal: dir.path().join("journal.jsonl"),
        kubeconfig: t.kubeconfig.clone(),
        github_url: github.github_server.url(),
    };
    let chart = chart_version(dir.path(), "0.2.0");
    let tag = github.seeded.main[1][..7].to_owned();
    staging_runs(t, &chart, &tag).await;

    let alice = consoles
        .open(&github.person(Role::Approver).github_token)
        .await;
    let carol = consoles.open(&github.person(Role::Lead).github_token).await;
    settled_on(&alice, &tag).await;
    settled_on(&carol, &tag).await;

    // The review: the command, and what it changes, rendered by helm from staging's chart.
    let review = alice.review("production", None).await.unwrap();
    let preview = review.helm.clone().expect("the helm method's preview");
    assert_eq!(preview.problem, None, "{preview:#?}");
    assert_eq!(preview.chart.as_deref(), Some("tbyte-microservices-0.2.0"));
    let kubeconfig = t.kubeconfig.display().to_string();
    assert_eq!(
        preview.command,
        format!(
            "{} upgrade --install tbyte-prod ./tbyte-microservices-0.2.0 --namespace production --values values-prod.yaml --set-string image.tag={tag} --kube-context tbyte --kubeconfig {kubeconfig} --atomic --wait --timeout 20s",
            helm_binary().display()
        )
    );
    let changed: Vec<(&str, &str)> = preview
        .changes
        .iter()
        .filter(|c| c.change == ManifestChangeKind::Changed)
        .map(|c| (c.kind.as_str(), c.name.as_str()))
        .collect();
    for d in workload_names(env("production")) {
        assert!(
            changed.contains(&("Deployment", d.as_str())),
            "{d} changes: {changed:?}"
        );
    }
    let api_diff = &preview
        .changes
        .iter()
        .find(|c| c.kind == "Deployment" && c.name == "tbyte-prod-api")
        .unwrap()
        .diff;
    assert!(
        // Canonical YAML: keys sorted, so `image` follows the container's `env`.
        api_diff.contains(&format!("+        image: {}\n", image("api", &tag))),
        "{api_diff}"
    );
    assert!(
        api_diff.contains("+    helm.sh/chart: tbyte-microservices-0.2.0"),
        "{api_diff}"
    );
    let to: Vec<Option<String>> = review.image_changes.iter().map(|c| c.to.clone()).collect();
    assert_eq!(
        to,
        SERVICES
            .iter()
            .map(|s| Some(image(s, &tag)))
            .collect::<Vec<_>>()
    );
    assert!(review.decision.approve.allowed, "{:#?}", review.decision);

    // Alice approves; while helm runs under the Lease, carol's console tries too.
    let prepared = carol.review("production", None).await.unwrap();
    let promotion = {
        let request = approve(&review);
        tokio::spawn(async move {
            let outcome = alice.act(&request).await;
            (alice, outcome)
        })
    };
    let leases: Api<Lease> = Api::namespaced(t.client("tbyte").await, "production");
    let started = Instant::now();
    while leases.get_opt(lease::LEASE_NAME).await.unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30) && !promotion.is_finished(),
            "the first promotion never took the Lease"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let refused = carol.act(&approve(&prepared)).await.unwrap_err();
    assert_eq!(refused.code, "promotion.refused", "{refused:?}");
    assert!(
        refused
            .message
            .contains("promotion in progress by alice-approver"),
        "{}",
        refused.message
    );
    let (alice, outcome) = promotion.await.unwrap();
    let outcome = outcome.unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );

    // Production runs staging's chart and tag, with production's own values.
    let client = t.client("tbyte").await;
    let production = env("production");
    rolled_out(&client, production).await;
    assert_eq!(images(&client, production).await, expected_images(&tag));
    for d in deployments(&client, production).await {
        assert_eq!(d.spec.unwrap().replicas, Some(3));
    }
    let ingress: Api<Ingress> = Api::namespaced(client.clone(), "production");
    let host = ingress
        .get("tbyte-prod")
        .await
        .unwrap()
        .spec
        .unwrap()
        .rules
        .unwrap()[0]
        .host
        .clone();
    assert_eq!(host.as_deref(), Some("tbyte.local"));
    let config: Api<ConfigMap> = Api::namespaced(client.clone(), "production");
    let data = config.get("tbyte-prod-config").await.unwrap().data.unwrap();
    assert_eq!(data["database.instance"], "db.t3.medium");
    let record = sluice_kube::helm::deployed_record(&client, "production", "tbyte-prod")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.chart.label(), "tbyte-microservices-0.2.0");
    let mut expected_values: Value = serde_saphyr::from_str(&values_prod).unwrap();
    expected_values["image"] = json!({"tag": tag});
    assert_eq!(record.release.values, expected_values);
    let revision = record.release.revision;

    // The journal: carol refused by the Lease; alice's attempt with its command and revision.
    let attempts = alice.audit(&AttemptFilter::default()).await.unwrap();
    let results: Vec<(String, AuditResult)> = attempts
        .iter()
        .map(|a| (a.actor.clone(), a.result))
        .collect();
    assert_eq!(
        results,
        [
            ("alice-approver".to_owned(), AuditResult::Succeeded),
            ("carol-lead".to_owned(), AuditResult::Refused),
        ]
    );
    let done = &attempts[0].entries[0];
    assert_eq!(done.revision, Some(revision));
    assert_eq!(
        done.plan.as_ref().and_then(|p| p.command.clone()),
        Some(preview.command.clone())
    );
    assert!(!preview.command.contains("token"), "no credentials");

    // A bad release: production's values file at the next commit names a registry whose images
    // never run. helm --atomic rolls it back; the journal says why.
    let bad_tag = github.seeded.main[2][..7].to_owned();
    if let Cluster::Sim(world) = &t.cluster {
        for s in SERVICES {
            world.kube.break_image(
                &format!("{BAD_REGISTRY}/tbyte-{s}:{bad_tag}"),
                Breakage::CrashLoop,
            );
        }
    }
    github
        .github
        .set_file(
            "environments/values-prod.yaml",
            &format!("{values_prod}image:\n  registry: {BAD_REGISTRY}\n"),
        )
        .unwrap();
    staging_runs(t, &chart, &bad_tag).await;
    settled_on(&alice, &bad_tag).await;
    let review = alice.review("production", None).await.unwrap();
    let registry = review
        .values
        .changes
        .iter()
        .find(|c| c.key == "image.registry")
        .unwrap_or_else(|| panic!("the review shows the registry change: {:#?}", review.values));
    assert_eq!(registry.to.as_deref(), Some(BAD_REGISTRY));
    assert_eq!(
        review.image_changes[0].to.as_deref(),
        Some(format!("{BAD_REGISTRY}/tbyte-api:{bad_tag}").as_str())
    );
    let failed = alice.act(&approve(&review)).await.unwrap_err();
    assert_eq!(failed.code, "promotion.helm-failed", "{failed:?}");
    assert!(
        failed.message.contains(
            "UPGRADE FAILED: release tbyte-prod failed, and has been rolled back due to atomic being set"
        ),
        "{}",
        failed.message
    );
    rolled_out(&client, production).await;
    assert_eq!(
        images(&client, production).await,
        expected_images(&tag),
        "production runs what it ran before"
    );
    let attempts = alice.audit(&AttemptFilter::default()).await.unwrap();
    let last = &attempts[0];
    assert_eq!(last.result, AuditResult::Failed);
    let outcome = &last.entries[0];
    assert_eq!(
        outcome.error.as_ref().map(|e| e.message.clone()),
        Some(failed.message.clone())
    );
    assert_eq!(
        outcome.revision,
        Some(revision + 2),
        "the rollback's revision"
    );
    let history = helm_history(&client, production).await;
    let last_two: Vec<(String, String)> = history[history.len() - 2..]
        .iter()
        .map(|(_, r)| (r.status.clone(), r.description.clone()))
        .collect();
    assert_eq!(
        last_two,
        [
            (
                "failed".to_owned(),
                "Upgrade \"tbyte-prod\" failed: context deadline exceeded".to_owned()
            ),
            ("deployed".to_owned(), format!("Rollback to {revision}")),
        ]
    );

    // The history: helm's revisions, alice's from the journal, the failed one not offered; a
    // rollback to the revision before alice's restores that revision's images, by `helm rollback`.
    let history = {
        let started = Instant::now();
        loop {
            let h = alice.history("production").await.unwrap();
            if h.rows.first().map(|r| r.revision) == Some(revision + 2) {
                break h;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the history never showed the rollback's revision: {h:#?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let row = |n: u32| history.rows.iter().find(|r| r.revision == n).unwrap();
    assert!(row(revision + 2).current);
    assert!(
        row(revision + 1)
            .rollback_refusal
            .as_deref()
            .is_some_and(|r| r.contains("failed")),
        "{history:#?}"
    );
    let shipped = row(revision);
    assert_eq!(shipped.by.as_deref(), Some("alice-approver"));
    assert_eq!(shipped.how, "helm, by Sluice");
    assert_eq!(shipped.images, expected_images(&tag));
    let older = row(revision - 1).clone();
    assert_eq!(older.rollback_refusal, None, "{history:#?}");
    assert_ne!(older.images, expected_images(&tag), "{history:#?}");
    let plan = alice
        .rollback_plan("production", older.revision)
        .await
        .unwrap();
    assert_eq!(plan.images_restored.len(), SERVICES.len(), "{plan:#?}");
    let rolled = alice
        .rollback("production", Some(older.revision))
        .await
        .unwrap();
    assert_eq!(rolled.result, AuditResult::Succeeded, "{}", rolled.message);
    rolled_out(&client, production).await;
    assert_eq!(images(&client, production).await, older.images);
    let history = helm_history(&client, production).await;
    assert_eq!(
        history.last().map(|(_, r)| r.description.clone()),
        Some(format!("Rollback to {}", older.revision))
    );
}
