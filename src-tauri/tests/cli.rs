#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The `sluice` command line as people run it: the built binary, its output and exit status,
//! against the demo world and a simulated one.

mod support;

use sluice_core::audit::AuditResult;
use sluice_sim::people::Role;
use sluice_sim::testing;
use support::{clock_free, shipped, sluice, text};

/// The header line's two versions: `Promote into production: <current> → <candidate> (…`.
fn header_versions(out: &str) -> (String, String) {
    let line = out
        .lines()
        .find(|l| l.starts_with("Promote into production: "))
        .unwrap_or_else(|| panic!("no review header in:\n{out}"));
    let versions = line
        .trim_start_matches("Promote into production: ")
        .split(" (")
        .next()
        .unwrap();
    let (current, candidate) = versions.split_once(" → ").unwrap();
    (current.to_owned(), candidate.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_an_approval_at_any_hour_and_refuses_the_author() {
    let home = tempfile::tempdir().unwrap();
    let pipeline = shipped();
    let pipeline = pipeline.to_str().unwrap();
    let dave = sluice(
        home.path(),
        &[
            "--pipeline",
            pipeline,
            "promote",
            "production",
            "--demo",
            "--as",
            "dave-developer",
            "--approve",
            "--yes",
        ],
        &[],
    )
    .await;
    assert!(!dave.status.success(), "{}", text(&dave.stdout));
    let refused = text(&dave.stderr);
    assert!(
        refused
            .contains("@dave-developer authored this release; another reviewer must approve it."),
        "{refused}"
    );

    let alice = sluice(
        home.path(),
        &[
            "--pipeline",
            pipeline,
            "promote",
            "production",
            "--demo",
            "--as",
            "alice-approver",
            "--approve",
            "--yes",
        ],
        &[],
    )
    .await;
    let out = text(&alice.stdout);
    assert!(alice.status.success(), "{out}\n{}", text(&alice.stderr));
    let (current, candidate) = header_versions(&out);
    assert_ne!(current, candidate, "something new ships");
    assert!(
        out.contains("  ✓ window    inside the change window"),
        "the demo opens inside its change window, whatever the hour: {out}"
    );
    assert!(
        out.lines().last() == Some(&format!("production now runs {candidate}")),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_json_is_the_review_the_window_gets_and_inbox_lists_what_waits() {
    let home = tempfile::tempdir().unwrap();
    let pipeline = shipped();
    let pipeline = pipeline.to_str().unwrap();
    let review = sluice(
        home.path(),
        &[
            "--pipeline",
            pipeline,
            "promote",
            "production",
            "--demo",
            "--as",
            "alice-approver",
            "--json",
        ],
        &[],
    )
    .await;
    assert!(review.status.success(), "{}", text(&review.stderr));
    let review: sluice_core::review::Review = serde_json::from_slice(&review.stdout)
        .unwrap_or_else(|e| panic!("not a Review ({e}): {}", text(&review.stdout)));
    assert_eq!(review.environment, "production");
    assert!(review.decision.approve.allowed, "{:?}", review.decision);
    let run = review
        .candidate
        .as_ref()
        .unwrap()
        .run_id
        .expect("a waiting run");

    let inbox = sluice(
        home.path(),
        &[
            "--pipeline",
            pipeline,
            "inbox",
            "--demo",
            "--as",
            "alice-approver",
            "--json",
        ],
        &[],
    )
    .await;
    assert!(inbox.status.success(), "{}", text(&inbox.stderr));
    let items: Vec<sluice_core::snapshot::InboxItem> = serde_json::from_slice(&inbox.stdout)
        .unwrap_or_else(|e| panic!("not inbox items ({e}): {}", text(&inbox.stdout)));
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].environment, "production");
    assert_eq!(items[0].run_id, Some(run));
    let vera = sluice(
        home.path(),
        &[
            "--pipeline",
            pipeline,
            "inbox",
            "--demo",
            "--as",
            "vera-viewer",
        ],
        &[],
    )
    .await;
    assert_eq!(text(&vera.stdout), "Nothing waits on @vera-viewer.\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_only_gh_token_and_no_secret_service_a_promotion_is_approved() {
    let world = support::tbyte_world(30.0).await;
    // The merge's deploy run, its production job waiting for a review.
    world
        .github
        .start_run(
            "deploy.yml",
            "main",
            "push",
            "dave-developer",
            &["production"],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    let pipeline = clock_free(dir.path());
    let token = world.person(Role::Approver).github_token.clone();
    let github = world.github_server.url();
    let args = [
        "--pipeline",
        pipeline.to_str().unwrap(),
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--github-api-url",
        &github,
    ];
    let who = sluice(
        dir.path(),
        &[&args[..], &["whoami"]].concat(),
        &[("GH_TOKEN", &token)],
    )
    .await;
    let who_out = text(&who.stdout);
    assert!(who.status.success(), "{who_out}{}", text(&who.stderr));
    assert!(
        who_out.starts_with(
            "signed in as @alice-approver (token from the GH_TOKEN environment variable)"
        ),
        "{who_out}"
    );

    let promoted = sluice(
        dir.path(),
        &[
            &args[..],
            &[
                "promote",
                "production",
                "--approve",
                "--yes",
                "--comment",
                "from CI",
            ],
        ]
        .concat(),
        &[("GH_TOKEN", &token)],
    )
    .await;
    let out = text(&promoted.stdout);
    assert!(
        promoted.status.success(),
        "{out}\n{}",
        text(&promoted.stderr)
    );
    let (_, candidate) = header_versions(&out);
    assert_eq!(candidate, world.seeded.main[2][..7]);
    assert!(
        out.contains("@alice-approver may approve."),
        "GitHub answered for her: {out}"
    );
    assert!(
        out.ends_with(&format!("production now runs {candidate}\n")),
        "{out}"
    );
    let d = world
        .kube
        .get(
            sluice_sim::kube::resources::Kind::Deployment,
            "production",
            "tbyte-prod-api",
        )
        .unwrap();
    let image = d["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap();
    assert_eq!(sluice_core::image::tag_of(image), Some(candidate.as_str()));
}

/// A promotion that changed production but whose outcome the journal could not take (the disk
/// full after the `started` line) says so with its own exit code, and the next run records the
/// outcome from what the cluster shows, marked as recorded late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn done_but_not_recorded_exits_3_and_the_next_run_records_the_outcome() {
    let world = support::tbyte_world(30.0).await;
    world
        .github
        .start_run(
            "deploy.yml",
            "main",
            "push",
            "dave-developer",
            &["production"],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    let pipeline = clock_free(dir.path());
    let token = world.person(Role::Approver).github_token.clone();
    let github = world.github_server.url();
    let args = [
        "--pipeline",
        pipeline.to_str().unwrap(),
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--github-api-url",
        &github,
    ];
    let audit = async || -> Vec<sluice_core::audit::AuditEntry> {
        let out = sluice(dir.path(), &["audit", "--json"], &[]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };

    // The disk is full after the `started` line.
    let promoted = sluice(
        dir.path(),
        &[&args[..], &["promote", "production", "--approve", "--yes"]].concat(),
        &[("GH_TOKEN", &token), ("SLUICE_FAULT_AUDIT_FULL_AFTER", "1")],
    )
    .await;
    let (out, err) = (text(&promoted.stdout), text(&promoted.stderr));
    assert_eq!(promoted.status.code(), Some(3), "{out}\n{err}");
    let (_, candidate) = header_versions(&out);
    assert!(
        err.contains(&format!(
            "sluice promote: Done, not recorded: production now runs {candidate}."
        )),
        "{err}"
    );
    assert!(err.contains("no space left on device"), "{err}");
    assert!(!err.contains("nothing is promoted"), "{err}");
    assert!(err.contains("hint: Make room on the disk"), "{err}");
    let d = world
        .kube
        .get(
            sluice_sim::kube::resources::Kind::Deployment,
            "production",
            "tbyte-prod-api",
        )
        .unwrap();
    let image = d["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap();
    assert_eq!(sluice_core::image::tag_of(image), Some(candidate.as_str()));
    let journaled = audit().await;
    assert_eq!(journaled.len(), 1, "only the start: {journaled:?}");
    assert_eq!(journaled[0].result, AuditResult::Started);

    // The next run (any command that starts the live view) records the outcome.
    let next = sluice(
        dir.path(),
        &[&args[..], &["promote", "production"]].concat(),
        &[("GH_TOKEN", &token)],
    )
    .await;
    let err = text(&next.stderr);
    assert!(next.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "sluice: recorded the outcome of an earlier attempt (approve {candidate} into production): succeeded."
        )),
        "{err}"
    );
    let journaled = audit().await;
    assert_eq!(journaled.len(), 2, "{journaled:?}");
    let outcome = &journaled[0];
    assert_eq!(outcome.result, AuditResult::Succeeded);
    assert_eq!(outcome.correlation, journaled[1].id);
    assert_eq!(outcome.shipped.as_deref(), Some(candidate.as_str()));
    let late = outcome.recorded_late.as_deref().unwrap();
    assert!(late.starts_with("Recorded late"), "{late}");
    assert!(
        late.contains(&format!("production ran {candidate}, as asked")),
        "{late}"
    );

    // Once: a third run finds nothing left to record.
    let again = sluice(
        dir.path(),
        &[&args[..], &["promote", "production"]].concat(),
        &[("GH_TOKEN", &token)],
    )
    .await;
    assert!(!text(&again.stderr).contains("recorded the outcome"));
    assert_eq!(audit().await.len(), 2);

    // A rollback is the same: done, not recorded, then recorded late.
    let rolled = sluice(
        dir.path(),
        &[&args[..], &["rollback", "production", "--yes"]].concat(),
        &[("GH_TOKEN", &token), ("SLUICE_FAULT_AUDIT_FULL_AFTER", "1")],
    )
    .await;
    let err = text(&rolled.stderr);
    assert_eq!(rolled.status.code(), Some(3), "{err}");
    assert!(
        err.contains("sluice rollback: Done, not recorded: rolled back "),
        "{err}"
    );
    let next = sluice(
        dir.path(),
        &[&args[..], &["status"]].concat(),
        &[("GH_TOKEN", &token)],
    )
    .await;
    let err = text(&next.stderr);
    assert!(
        err.contains(
            "recorded the outcome of an earlier attempt (rollback of production): succeeded."
        ),
        "{err}"
    );
    let journaled = audit().await;
    assert_eq!(journaled.len(), 4, "{journaled:?}");
    assert_eq!(
        journaled[0].action,
        sluice_core::audit::AuditAction::Rollback
    );
    assert_eq!(
        journaled[0].from_version.as_deref(),
        Some(candidate.as_str())
    );
    assert!(
        journaled[0]
            .recorded_late
            .as_deref()
            .is_some_and(|r| r.contains("the rollback took effect")),
        "{:?}",
        journaled[0]
    );
}

/// `sluice audit --verify`: 0 when the chain holds (saying the head is not anchored without a
/// keychain), 4 with each break's line and what to do when a line was removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_exits_4_on_a_removed_line_and_says_where() {
    use sluice_core::audit::{AuditAction, AuditEntry, AuditMethod};
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("journal.jsonl");
    let journal = sluice_console::journal::Journal::open(&path).unwrap();
    for id in ["a", "b", "c"] {
        journal
            .append(&AuditEntry {
                id: id.into(),
                at: "2026-03-01T10:00:00Z".into(),
                correlation: id.into(),
                actor: "alice".into(),
                environment: "production".into(),
                from_version: None,
                to_version: Some("def5678".into()),
                method: AuditMethod::Kubernetes,
                action: AuditAction::Promote,
                plan: None,
                gates: vec![],
                comment: None,
                override_reason: None,
                result: AuditResult::Succeeded,
                error: None,
                run_id: None,
                sha: None,
                shipped: None,
                revision: None,
                recorded_late: None,
            })
            .unwrap();
    }
    let verify = async || {
        sluice(
            home.path(),
            &["audit", "--verify", "--journal", path.to_str().unwrap()],
            &[],
        )
        .await
    };
    let holds = verify().await;
    let out = text(&holds.stdout);
    assert_eq!(holds.status.code(), Some(0), "{out}{}", text(&holds.stderr));
    assert!(out.contains(": 3 lines, 3 chained."), "{out}");
    assert!(out.contains("The head is not anchored ("), "{out}");
    assert!(out.ends_with("The chain holds.\n"), "{out}");

    let text_of = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text_of
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&path, format!("{}\n", kept.join("\n"))).unwrap();
    let broken = verify().await;
    let out = text(&broken.stdout);
    assert_eq!(
        broken.status.code(),
        Some(4),
        "{out}{}",
        text(&broken.stderr)
    );
    assert!(
        out.starts_with("line 2: the line it was written after is not in the journal"),
        "{out}"
    );
    assert!(
        out.contains("\n  what to do: The journal was changed"),
        "{out}"
    );
    assert!(
        out.ends_with("The chain does not hold: 1 break.\n"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_offline_prints_the_last_state_read_whole_and_says_when_there_is_none() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pipeline = clock_free(dir.path());
    let offline = |home: std::path::PathBuf, json: bool| {
        let pipeline = pipeline.clone();
        async move {
            let mut args = vec![
                "--pipeline",
                pipeline.to_str().unwrap(),
                "status",
                "--offline",
            ];
            if json {
                args.push("--json");
            }
            sluice(&home, &args, &[]).await
        }
    };
    let none = offline(home.path().to_owned(), false).await;
    assert!(!none.status.success());
    assert!(
        text(&none.stderr).contains("No state of")
            && text(&none.stderr).contains("hint: Run `sluice status`"),
        "{}",
        text(&none.stderr)
    );

    let world = support::tbyte_world(1.0).await;
    let main = world.seeded.main.clone();
    let kubeconfig = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    let token = world.person(Role::Viewer).github_token.clone();
    let github = world.github_server.url();
    let live = sluice(
        home.path(),
        &[
            "--pipeline",
            pipeline.to_str().unwrap(),
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--github-api-url",
            &github,
            "status",
        ],
        &[("GH_TOKEN", &token)],
    )
    .await;
    assert!(live.status.success(), "{}", text(&live.stderr));
    drop(world);

    let kept = offline(home.path().to_owned(), false).await;
    let out = text(&kept.stdout);
    assert!(kept.status.success(), "{out}{}", text(&kept.stderr));
    assert!(out.starts_with("Last known state, as of "), "{out}");
    let production = out
        .lines()
        .find(|l| l.starts_with("production"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(production.contains(&main[1][..7]), "{production}");
    let json = offline(home.path().to_owned(), true).await;
    let snapshot: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(snapshot["lastKnown"].is_string(), "{snapshot}");
    assert_eq!(
        snapshot["environments"][1]["version"]["label"],
        main[2][..7]
    );

    // A damaged state is a problem with its file named, never a crash.
    let state_dir = home.path().join("share/sluice/last-known");
    for entry in std::fs::read_dir(&state_dir).unwrap() {
        std::fs::write(entry.unwrap().path(), "{ not json").unwrap();
    }
    let damaged = offline(home.path().to_owned(), false).await;
    assert!(!damaged.status.success());
    assert!(
        text(&damaged.stderr).contains("cannot be used: it is not a Sluice state"),
        "{}",
        text(&damaged.stderr)
    );
}
