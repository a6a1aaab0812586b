#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The `sluice` command line as people run it: the built binary, its output and exit status,
//! against the demo world and a simulated one.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use sluice_sim::people::Role;
use sluice_sim::{SimWorld, WorldOptions, testing};

fn shipped() -> PathBuf {
    testing::shipped_pipeline_dir().join("pipeline.yaml")
}

/// `sluice <args>` in a home of its own, with no keychain to reach and no token in the
/// environment unless `env` gives one.
async fn sluice(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("share"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        // No Secret Service: what works must work without one (scripts, CI jobs, SSH).
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env_remove("SLUICE_AUDIT_JOURNAL")
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(240), command.output())
        .await
        .expect("sluice finished within four minutes")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

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

/// The shipped pipeline without the clock-dependent gate conditions.
fn clock_free(dir: &Path) -> PathBuf {
    let source = testing::shipped_pipeline_dir();
    for f in ["values-dev.yaml", "values-staging.yaml", "values-prod.yaml"] {
        std::fs::copy(source.join(f), dir.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(shipped()).unwrap();
    let head = &text[..text.find("      soak:").unwrap()];
    let path = dir.join("pipeline.yaml");
    std::fs::write(
        &path,
        format!("{head}      requiredChecks: [build, test]\n"),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_only_gh_token_and_no_secret_service_a_promotion_is_approved() {
    let world = SimWorld::start(WorldOptions {
        speed: 30.0,
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    let main = world.seeded.main.clone();
    testing::deploy(&world, "tbyte-prod", "production", 3, &main[1]).unwrap();
    testing::deploy(&world, "tbyte-staging", "staging", 2, &main[2]).unwrap();
    testing::deploy(&world, "tbyte-dev", "dev", 1, &main[2]).unwrap();
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
    // a later poll than the one a command settles on), at most four times.
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
                    leaks.push(format!(
                        "`sluice {}` printed {found:?} raw on {stream}:\n{printed}",
                        command.join(" ")
                    ));
                }
            }
            if shows(&stdout) {
                return stdout;
            }
            last = stdout;
        }
        panic!("sluice {command:?} never showed what was expected:\n{last}");
    };
    let noted =
        |out: &str| out.contains("PWNED") && out.contains("Feature ") && out.contains("fix: ");

    run(&["promote", "production"], &noted).await;
    let json = run(&["promote", "production", "--json"], &noted).await;
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
    assert!(
        review
            .notes
            .pull_requests
            .iter()
            .any(|p| p.title == format!("Feature {HOSTILE}")),
        "{:?}",
        review.notes.pull_requests
    );
    run(&["status"], &|out| {
        out.contains("GATE staging → production")
    })
    .await;
    let json = run(&["status", "--json"], &|out| out.contains("PWNED")).await;
    serde_json::from_str::<sluice_core::snapshot::Snapshot>(&json).unwrap();
    run(
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
    for audit in [&["audit"][..], &["audit", "--csv"], &["audit", "--json"]] {
        run(audit, &|out| out.contains("PWNED")).await;
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}
