#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The evidence of a promotion on the simulated world: promoted through the session both front
//! ends drive, exported as the Audit view and `sluice evidence` do, and read back as an auditor
//! would — what it says against what the review showed, what shipped and the journal; its hash
//! verifies and a changed byte does not; no credential is anywhere in it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sluice_console::Console;
use sluice_console::credentials::Keychain;
use sluice_console::evidence::record;
use sluice_console::session::{Session, SessionOptions};
use sluice_core::audit::{AuditEntry, AuditResult};
use sluice_core::desk::{ActRequest, ReviewAction};
use sluice_core::evidence::{Evidence, TimelineSource};
use sluice_core::snapshot::{Health, Snapshot};
use sluice_sim::kube::helm::{self, Upgrade};
use sluice_sim::people::Role;
use sluice_sim::testing;
use sluice_sim::{SimWorld, WorldOptions};

/// A comment no page may take for markup.
const HOSTILE: &str =
    "ship release 42 </style><script>alert('x')</script><img src=http://evil.example/p.png>";

/// The shipped pipeline with production promoted by the kubernetes method and verified for 4 s.
fn pipeline(dir: &Path) -> PathBuf {
    let shipped = testing::shipped_pipeline_dir();
    for f in ["values-dev.yaml", "values-staging.yaml", "values-prod.yaml"] {
        std::fs::copy(shipped.join(f), dir.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(shipped.join("pipeline.yaml")).unwrap();
    let head = &text[..text.find("    gate:").unwrap()];
    let gate = "    gate:\n      method: kubernetes\n      workflow: deploy.yml\n      approval:\n        reviewers:\n          users: [alice-approver]\n        preventSelfReview: true\n      requiredChecks: [build, test]\n    verify:\n      for: 4s\n      onFailure: rollback\n";
    let path = dir.join("pipeline.yaml");
    std::fs::write(&path, format!("{head}{gate}")).unwrap();
    path
}

fn deploy(world: &SimWorld, env: &str, sha: &str) {
    let (release, ns, file) = match env {
        "dev" => ("tbyte-dev", "dev", "values-dev.yaml"),
        "staging" => ("tbyte-staging", "staging", "values-staging.yaml"),
        _ => ("tbyte-prod", "production", "values-prod.yaml"),
    };
    let mut values =
        sluice_core::values::read_tree(&testing::shipped_pipeline_dir(), file).unwrap();
    values["image"] = json!({"tag": &sha[..7]});
    helm::upgrade(
        &world.kube,
        Upgrade {
            release,
            namespace: ns,
            values,
            version: &sha[..7],
            description: None,
        },
    )
    .unwrap();
}

struct World {
    world: SimWorld,
    pipeline: PathBuf,
    kubeconfig: PathBuf,
    journal: PathBuf,
    dir: tempfile::TempDir,
}

/// Production runs `main[1]`, staging and dev `main[2]`.
async fn start() -> World {
    let world = SimWorld::start(WorldOptions {
        speed: 30.0,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    for f in ["values-dev.yaml", "values-staging.yaml", "values-prod.yaml"] {
        let text = std::fs::read_to_string(testing::shipped_pipeline_dir().join(f)).unwrap();
        world
            .github
            .set_file(&format!("environments/{f}"), &text)
            .unwrap();
    }
    deploy(&world, "production", &world.seeded.main[1].clone());
    deploy(&world, "staging", &world.seeded.main[2].clone());
    deploy(&world, "dev", &world.seeded.main[2].clone());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    World {
        journal: dir.path().join("audit").join("journal.jsonl"),
        pipeline: pipeline(dir.path()),
        world,
        kubeconfig,
        dir,
    }
}

impl World {
    /// The approver's console, signed in by `GH_TOKEN` (her real token: the canary), its live
    /// view settled. `GITHUB_TOKEN` answers a second, fake canary that must not leak either.
    async fn console(&self) -> Session {
        let token = self.world.person(Role::Approver).github_token.clone();
        let session = Session::new(
            Console::new(&self.pipeline),
            SessionOptions {
                demo: false,
                kubeconfig: Some(self.kubeconfig.clone()),
                github_api_url: Some(self.world.github_server.url()),
                device_client_id: None,
                keychain: Keychain::disabled("no keychain in these tests"),
                journal: self.journal.clone(),
                environment: Arc::new(move |name| match name {
                    "GH_TOKEN" => Some(token.clone()),
                    "GITHUB_TOKEN" => Some(FAKE_CANARY.to_owned()),
                    _ => None,
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
            "a healthy, synced pipeline whose checks are known",
            |s: &Option<Arc<Snapshot>>| {
                s.as_deref().is_some_and(|s| {
                    s.environments.iter().all(|e| e.health == Health::Healthy)
                        && s.sources.iter().all(|x| x.connected)
                        && s.gates.iter().flat_map(|g| &g.conditions).all(|c| {
                            !c.reason
                                .starts_with(sluice_core::assemble::CHECKS_NOT_KNOWN_YET)
                        })
                })
            },
        )
        .await
        .unwrap();
        session
    }

    fn journal(&self) -> Vec<AuditEntry> {
        sluice_console::journal::Journal::open(&self.journal)
            .unwrap()
            .read()
            .unwrap()
            .entries
    }

    /// Every secret of the world: each person's GitHub and Kubernetes token, and the fake one.
    fn secrets(&self) -> Vec<String> {
        let mut all = vec![FAKE_CANARY.to_owned()];
        for role in [Role::Approver, Role::Developer, Role::Viewer, Role::Lead] {
            let p = self.world.person(role);
            all.push(p.github_token.clone());
            all.push(p.kube_token.clone());
        }
        all
    }
}

/// As the sessions of these tests: the journal's head is not anchored.
fn no_keychain() -> Keychain {
    Keychain::disabled("no keychain in these tests")
}

const FAKE_CANARY: &str = "ghp_CANARYevidence0000000000000000000000";

/// Waits until the attempt's record is closed (its console finishes it just after the outcome).
async fn closed_record(journal: &Path, correlation: &str) {
    for _ in 0..100 {
        if record::read(journal, correlation).is_some_and(|r| r.ended) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the record of {correlation} was not closed");
}

/// Every tag of `page` that would make a browser fetch or navigate anything. Values are
/// escaped, so each `<` opens one of the page's own tags.
fn tags_loading_anything(page: &str) -> Vec<String> {
    page.split('<')
        .skip(1)
        .filter_map(|t| t.split('>').next())
        .map(str::to_lowercase)
        .filter(|t| {
            ["link", "img", "iframe", "object", "embed", "script", "base"]
                .iter()
                .any(|n| t.starts_with(n))
                || [" src=", " href=", " action=", " srcset=", "url(", "@import"]
                    .iter()
                    .any(|a| t.contains(a))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verified_promotion_exports_evidence_of_what_was_reviewed_decided_and_shipped() {
    let w = start().await;
    let staging = w.world.seeded.main[2].clone();
    let alice = w.console().await;
    let review = alice.review("production", None).await.unwrap();
    let outcome = alice
        .act(&ActRequest {
            environment: "production".into(),
            action: ReviewAction::Approve,
            comment: HOSTILE.into(),
            override_reason: None,
            pin: review.pin.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        outcome.result,
        AuditResult::Succeeded,
        "{}",
        outcome.message
    );
    let journal = w.journal();
    let correlation = journal[0].correlation.clone();
    closed_record(&w.journal, &correlation).await;

    // Exported as the Audit view does, naming the attempt by a prefix of its id.
    let downloads = w.dir.path().join("downloads");
    let written = alice
        .export_evidence(&correlation[..correlation.len() - 1], &downloads)
        .await
        .unwrap();
    assert_eq!(written.correlation, correlation);
    let page = std::fs::read_to_string(&written.html).unwrap();
    let json = std::fs::read_to_string(&written.json).unwrap();

    // The JSON says what the review said would ship, and what did.
    let file: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(file["sha256"], written.sha256.as_str());
    let e: Evidence = serde_json::from_value(file["evidence"].clone()).unwrap();
    let shown = e.review.as_ref().expect("the review as shown");
    assert_eq!(
        shown.pin, review.pin,
        "the review it records is the one approved"
    );
    assert_eq!(shown.image_changes, review.image_changes);
    // The commit staging runs (as its labels name it), asked for and recorded.
    let commit = shown
        .candidate
        .as_ref()
        .and_then(|c| c.sha.clone())
        .unwrap();
    assert!(
        commit.len() >= 7 && staging.starts_with(&commit),
        "{commit}"
    );
    assert_eq!(e.sha.as_deref(), Some(commit.as_str()));
    assert_eq!(e.to_version.as_deref(), Some(&staging[..7]));
    assert_eq!(
        e.shipped.as_deref(),
        Some(&staging[..7]),
        "what production ran after"
    );
    assert_eq!(e.result, AuditResult::Succeeded);
    assert_eq!(
        e.entries, journal,
        "every entry of the attempt, as journaled"
    );
    // Who decided, and the comment as typed.
    assert_eq!(e.decisions.len(), 1);
    assert_eq!(e.decisions[0].actor, "alice-approver");
    assert_eq!(e.decisions[0].comment.as_deref(), Some(HOSTILE));
    // The gates as journaled, the approval meeting the reviewers condition.
    assert_eq!(e.gates, journal[0].gates);
    let reviewers = e.gates.iter().find(|g| g.kind == "reviewers").unwrap();
    assert!(reviewers.met);
    assert_eq!(reviewers.reason, "approved by @alice-approver");
    // Verification held for the pipeline's 4 s, and the timeline shows it as the person saw it.
    let v = e.verification.as_ref().expect("verification ran");
    assert!(v.held && v.for_seconds == 4, "{v:?}");
    let said = |source: TimelineSource| -> Vec<&str> {
        e.timeline
            .iter()
            .filter(|l| l.source == source)
            .map(|l| l.line.as_str())
            .collect()
    };
    let lines = said(TimelineSource::Sluice);
    assert!(
        lines.iter().any(|l| l.starts_with("verifying for 4 s:")),
        "{lines:?}"
    );
    assert_eq!(lines.last(), Some(&"verified: production held for 4 s"));
    assert!(
        e.timeline.windows(2).all(|p| p[0].at <= p[1].at),
        "in order"
    );
    // The rollout as the cluster showed it: from what ran before to the new version, whole.
    let seen = said(TimelineSource::Cluster);
    let before = format!("runs {}, healthy", &w.world.seeded.main[1][..7]);
    assert!(
        seen.first().is_some_and(|l| l.starts_with(&before)),
        "{seen:?}"
    );
    let whole = format!(
        "runs {}, healthy; tbyte-prod-api 3/3 updated, 3/3 ready",
        &staging[..7]
    );
    assert!(
        seen.last().is_some_and(|l| l.starts_with(&whole)),
        "{seen:?}"
    );
    assert!(seen.iter().any(|l| l.contains("rolling out")), "{seen:?}");
    assert!(e.helm.is_none(), "not the helm method");
    // The journal it was read from was checked at export, and held.
    let check = e.journal.as_ref().expect("the journal was checked");
    assert!(
        check.holds && check.lines == 2 && check.breaks == 0,
        "{check:?}"
    );
    assert!(e.missing.is_empty(), "{:?}", e.missing);

    // The page says the same to a reader: the images, the commit, the person, the gates.
    for change in &review.image_changes {
        assert!(page.contains(change.to.as_deref().unwrap()), "{change:?}");
    }
    assert!(page.contains(&commit));
    assert!(page.contains("<td>@alice-approver</td><td>promote</td>"));
    assert!(page.contains("approved by @alice-approver"));
    assert!(page.contains("verified: production held for 4 s"));
    assert!(page.contains("ship release 42 &lt;/style&gt;&lt;script&gt;"));
    assert!(page.contains(&written.sha256));
    // Nothing runs and nothing is fetched.
    assert!(!page.to_lowercase().contains("<script"));
    assert_eq!(tags_loading_anything(&page), Vec::<String>::new());
    assert!(page.contains("default-src 'none'; style-src 'unsafe-inline'"));

    // Both files verify; one changed byte of content in either does not.
    for path in [&written.html, &written.json] {
        let ok = sluice_console::evidence::verify_file(Path::new(path)).unwrap();
        assert_eq!(ok.sha256, written.sha256);
    }
    for (path, text, was, now) in [
        (&written.json, &json, "ship release 42", "ship release 43"),
        (&written.html, &page, "ship release 42", "ship release 43"),
    ] {
        let changed = w
            .dir
            .path()
            .join("changed")
            .with_extension(Path::new(path).extension().unwrap());
        // Every copy of the comment: the content, and (for the page) what the reader sees.
        std::fs::write(&changed, text.replace(was, now)).unwrap();
        let err = sluice_console::evidence::verify_file(&changed).unwrap_err();
        assert_eq!(err.code, "evidence.not-verified");
        assert!(err.message.contains("SHA-256"), "{}", err.message);
        assert!(err.message.contains(&written.sha256), "{}", err.message);
    }

    // The canary: no token of the world, nor the fake one offered, is in any file.
    let record_file = record::path(&w.journal, &correlation).unwrap();
    let record_text = std::fs::read_to_string(&record_file).unwrap();
    for secret in w.secrets() {
        for (what, text) in [("record", &record_text), ("page", &page), ("json", &json)] {
            assert!(!text.contains(&secret), "a token is in the {what}");
        }
    }
    for (what, text) in [("record", &record_text), ("page", &page), ("json", &json)] {
        assert!(
            !text.contains("ghp_"),
            "something token-like is in the {what}"
        );
        assert!(!text.contains("sim-kube-"), "a kube token is in the {what}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&record_file), 0o600, "as private as the journal");
        assert_eq!(mode(record_file.parent().unwrap()), 0o700);
    }

    // `sluice evidence` writes the same evidence where it is told.
    let out = w.dir.path().join("cli").join("proof.html");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let cli =
        sluice_console::cli::export_evidence(&w.journal, &correlation, Some(&out), &no_keychain())
            .unwrap();
    assert!(cli.html.ends_with("proof.html") && cli.json.ends_with("proof.json"));
    let again = sluice_console::evidence::verify_file(Path::new(&cli.json)).unwrap();
    assert_eq!(
        Evidence {
            exported_at: e.exported_at.clone(),
            ..again.evidence
        },
        e,
        "the same evidence, but for when it was exported"
    );
    let err =
        sluice_console::cli::export_evidence(&w.journal, "no-such-attempt", None, &no_keychain())
            .unwrap_err();
    assert_eq!(err.code, "evidence.unknown-attempt");
    assert!(err.hint.contains("sluice audit --json"), "{}", err.hint);

    // A damaged record costs only its damaged line, and the evidence says so; a removed one
    // leaves the journal's part, saying what is missing.
    let mut damaged = record_text.clone();
    damaged.push_str("{\"event\":\"line\",\"at\":\n{\"event\":\"li");
    std::fs::write(&record_file, damaged).unwrap();
    let gone_line = record_text.lines().count() + 1;
    let path =
        sluice_console::cli::export_evidence(&w.journal, &correlation, Some(&out), &no_keychain())
            .unwrap();
    let d = sluice_console::evidence::verify_file(Path::new(&path.json))
        .unwrap()
        .evidence;
    assert_eq!(d.review, e.review, "the review survives");
    assert_eq!(d.timeline, e.timeline, "and the timeline");
    assert_eq!(
        d.missing,
        [
            format!(
                "line {gone_line} of the attempt record cannot be read: EOF while parsing a value at line 1 column 21"
            ),
            format!("line {} of the attempt record is unfinished", gone_line + 1),
        ],
    );
    std::fs::remove_file(&record_file).unwrap();
    let path =
        sluice_console::cli::export_evidence(&w.journal, &correlation, Some(&out), &no_keychain())
            .unwrap();
    let bare = sluice_console::evidence::verify_file(Path::new(&path.html))
        .unwrap()
        .evidence;
    assert!(bare.review.is_none() && bare.timeline.is_empty());
    assert_eq!(bare.entries, journal, "the journal's part is whole");
    assert!(
        bare.missing[0].starts_with("There is no attempt record"),
        "{:?}",
        bare.missing
    );
}
