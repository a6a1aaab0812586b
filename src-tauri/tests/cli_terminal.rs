#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! What others wrote (image names, commit and PR titles, comments in the journal) printed by
//! `sluice` the way a terminal shows it, never as commands to it. A suite of its own: it runs
//! eight commands against one simulated world, and would slow the other CLI tests' worlds
//! beside it.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sluice_sim::people::Role;
use sluice_sim::{SimWorld, WorldOptions, testing};
use support::{clock_free, sluice, text};

/// Terminal commands (OSC retitle, clear screen, colour), a C1 CSI, and bidi characters that
/// reorder what follows: what a developer can put in an image name, a commit or a PR title.
const HOSTILE: &str =
    "\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[31m\u{202e}gnp.exe\u{9b}1m\u{61c}\u{2066}";

/// The characters a terminal would act on instead of showing (newlines, tabs and CSV's CRLF
/// are layout).
fn raw_controls(out: &str) -> Vec<char> {
    out.replace("\r\n", "\n")
        .chars()
        .filter(|&c| sluice_core::text::is_control_or_bidi(c) && c != '\n' && c != '\t')
        .collect()
}

/// A world where the developer wrote `HOSTILE` into a commit, a PR title and the image staging
/// runs, with a deploy run waiting on production; the pipeline file and kubeconfig for it.
async fn hostile_world(dir: &Path) -> (SimWorld, PathBuf, PathBuf) {
    let world = SimWorld::start(WorldOptions {
        speed: 30.0,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    let main = world.seeded.main.clone();
    let github = &world.github;
    github.create_branch("hostile", "main").unwrap();
    github
        .commit("hostile", "dave-developer", &format!("fix: {HOSTILE}"))
        .unwrap();
    let pull = github
        .open_pull(
            &format!("Feature {HOSTILE}"),
            "hostile",
            "main",
            "dave-developer",
        )
        .unwrap();
    let merged = github.merge_pull(pull, "dave-developer").unwrap();
    // And one still open, which every Snapshot lists.
    github.create_branch("hostile-2", "main").unwrap();
    github
        .commit("hostile-2", "dave-developer", "more")
        .unwrap();
    github
        .open_pull(
            &format!("Open {HOSTILE}"),
            "hostile-2",
            "main",
            "dave-developer",
        )
        .unwrap();
    testing::deploy(&world, "tbyte-prod", "production", 3, &main[1]).unwrap();
    // Staging runs the merge, from a registry whose name the developer chose.
    sluice_sim::kube::helm::upgrade(
        &world.kube,
        sluice_sim::kube::helm::Upgrade {
            release: "tbyte-staging",
            namespace: "staging",
            values: serde_json::json!({
                "replicaCount": 2,
                "image": {"registry": format!("ghcr.io/x{HOSTILE}"), "tag": &merged[..7]},
            }),
            version: &merged[..7],
            description: None,
        },
    )
    .unwrap();
    github
        .start_run(
            "deploy.yml",
            "main",
            "push",
            "dave-developer",
            &["production"],
        )
        .unwrap();
    // The gate waits on staging's rollout: let it finish.
    for _ in 0..600 {
        let updated = world
            .kube
            .get(
                sluice_sim::kube::resources::Kind::Deployment,
                "staging",
                "tbyte-staging-web",
            )
            .and_then(|d| d["status"]["updatedReplicas"].as_u64());
        if updated == Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let kubeconfig = testing::write_kubeconfig(&world, dir, &["tbyte"]).unwrap();
    // Without soak and required checks: the gate waits on the reviewer only.
    let pipeline = clock_free(dir);
    let written = std::fs::read_to_string(&pipeline).unwrap();
    std::fs::write(
        &pipeline,
        written.replace("      requiredChecks: [build, test]\n", ""),
    )
    .unwrap();
    (world, pipeline, kubeconfig)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_others_wrote_reaches_the_terminal_escaped_in_promote_status_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let (world, pipeline, kubeconfig) = hostile_world(dir.path()).await;
    let token = world.person(Role::Approver).github_token.clone();
    let api = world.github_server.url();
    let global = [
        "--pipeline",
        pipeline.to_str().unwrap(),
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--github-api-url",
        &api,
    ];
    // Every output is looked at before failing, so that a failure lists each one that leaks.
    let mut leaks = Vec::new();
    // `sluice <command>` until its stdout shows what `shows` wants (release notes may come in
    // a later poll than the one a command settles on), at most four times; the last stdout.
    let mut run = async |command: &[&str], shows: &dyn Fn(&str) -> bool| {
        let args = [&global[..], command].concat();
        let mut last = String::new();
        for _ in 0..4 {
            let out = sluice(dir.path(), &args, &[("GH_TOKEN", &token)]).await;
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert!(
                out.status.success(),
                "sluice {command:?}: {stdout}\n{stderr}"
            );
            for (stream, printed) in [("stdout", &stdout), ("stderr", &stderr)] {
                let found = raw_controls(printed);
                if !found.is_empty() {
                    // Debug-quoted: this message is read on a terminal too.
                    leaks.push(format!(
                        "sluice {command:?} printed {found:?} raw on {stream}:\n{printed:?}"
                    ));
                }
            }
            last = stdout;
            if shows(&last) {
                break;
            }
        }
        last
    };
    // The release notes (the merged PR and its commits) come from a poll the command may not
    // wait for: asked for, not required; the image is always there.
    let noted =
        |out: &str| out.contains("PWNED") && out.contains("Feature ") && out.contains("fix: ");
    let imaged = |out: &str| out.contains("PWNED");
    let review = run(&["promote", "production"], &noted).await;
    assert!(imaged(&review), "{review}");
    let json = run(&["promote", "production", "--json"], &imaged).await;
    // Escaped the JSON way: the document still says exactly what GitHub and the cluster said.
    let review: sluice_core::review::Review = serde_json::from_str(&json).unwrap();
    assert!(
        review
            .image_changes
            .iter()
            .all(|i| i.to.as_deref().is_some_and(|to| to.contains(HOSTILE))),
        "{:?}",
        review.image_changes
    );
    let status = run(&["status"], &|out| {
        out.contains("GATE staging → production")
    })
    .await;
    assert!(status.contains("GATE staging → production"), "{status}");
    let json = run(&["status", "--json"], &|out| out.contains("PWNED")).await;
    let snapshot: sluice_core::snapshot::Snapshot = serde_json::from_str(&json).unwrap();
    assert!(
        snapshot
            .pull_requests
            .iter()
            .any(|p| p.title == format!("Open {HOSTILE}")),
        "{:?}",
        snapshot.pull_requests
    );
    let approved = run(
        &[
            "promote",
            "production",
            "--approve",
            "--yes",
            "--comment",
            &format!("ok {HOSTILE}"),
        ],
        &|out| out.contains("production now runs"),
    )
    .await;
    assert!(approved.contains("production now runs"), "{approved}");
    for audit in [&["audit"][..], &["audit", "--csv"], &["audit", "--json"]] {
        let out = run(audit, &|out| out.contains("PWNED")).await;
        assert!(out.contains("PWNED"), "{out}");
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}
