#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The tbyte story on a clock the test steps by hand: deterministic, and fast.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use sluice_sim::kube::resources::Kind;
use sluice_sim::people::Role;
use sluice_sim::story::StoryOptions;
use sluice_sim::{SimWorld, WorldOptions, testing};

const START: &str = "2026-11-26T09:00:00Z";

async fn world() -> SimWorld {
    SimWorld::start(WorldOptions {
        start: START.parse().unwrap(),
        speed: 0.0,
        story: Some(StoryOptions::default()),
        ..WorldOptions::default()
    })
    .await
    .unwrap()
}

/// Moves simulated time forward in small steps, giving the world's tasks time to react.
async fn pass(world: &SimWorld, total: Duration) {
    let step = Duration::from_secs(5);
    let mut elapsed = Duration::ZERO;
    while elapsed < total {
        world.clock.advance(step);
        elapsed += step;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

/// Steps the clock until `ok` holds, failing after `limit` of simulated time.
async fn until(world: &SimWorld, limit: Duration, what: &str, ok: impl Fn(&SimWorld) -> bool) {
    let mut waited = Duration::ZERO;
    while !ok(world) {
        assert!(
            waited < limit,
            "{what} did not happen within {limit:?} of simulated time"
        );
        pass(world, Duration::from_secs(10)).await;
        waited += Duration::from_secs(10);
    }
}

fn images(world: &SimWorld, ns: &str) -> Vec<String> {
    world
        .kube
        .list(Kind::Deployment, Some(ns))
        .iter()
        .map(|d| {
            d["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn tag(image: &str) -> &str {
    image.rsplit(':').next().unwrap()
}

/// Every Deployment in `ns` finished its rollout (what `kubectl rollout status` waits for).
fn rolled_out(world: &SimWorld, ns: &str) -> bool {
    world.kube.list(Kind::Deployment, Some(ns)).iter().all(|d| {
        d["status"]["observedGeneration"] == d["metadata"]["generation"]
            && d["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Progressing" && c["reason"] == "NewReplicaSetAvailable")
    })
}

fn ready(world: &SimWorld, ns: &str) -> Vec<i64> {
    world
        .kube
        .list(Kind::Deployment, Some(ns))
        .iter()
        .map(|d| d["status"]["readyReplicas"].as_i64().unwrap_or(0))
        .collect()
}

async fn github(
    world: &SimWorld,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client
        .request(method, format!("{}{path}", world.github_server.url()))
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "application/vnd.github+json")
        .header("user-agent", "sluice-test");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The deploy run that the push of `sha` to main started, over the API.
async fn push_run(world: &SimWorld, token: &str, sha: &str) -> Option<Value> {
    let (status, runs) = github(
        world,
        token,
        reqwest::Method::GET,
        &format!("/repos/tbyte-org/tbyte/actions/runs?branch=main&event=push&head_sha={sha}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    runs["workflow_runs"].as_array().unwrap().first().cloned()
}

async fn pending_deployments(world: &SimWorld, token: &str, run_id: u64) -> Vec<Value> {
    let (status, pending) = github(
        world,
        token,
        reqwest::Method::GET,
        &format!("/repos/tbyte-org/tbyte/actions/runs/{run_id}/pending_deployments"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    pending.as_array().unwrap().clone()
}

/// Steps the clock until main moves past `from` (a pull request merged); returns the merge.
async fn next_merge(world: &SimWorld, from: &str, limit: Duration) -> String {
    until(world, limit, "a merge to main", |w| {
        w.github.branch_head("main").as_deref() != Some(from)
    })
    .await;
    world.github.branch_head("main").unwrap()
}

/// Steps the clock until the push of `sha` started its deploy run; returns the run's id.
async fn deploy_run_of(world: &SimWorld, token: &str, sha: &str) -> u64 {
    for _ in 0..60 {
        if let Some(run) = push_run(world, token, sha).await {
            return run["id"].as_u64().unwrap();
        }
        pass(world, Duration::from_secs(5)).await;
    }
    panic!("no deploy run started for {sha} within 5 minutes of simulated time");
}

fn get(path: &str) -> (reqwest::Method, String) {
    (
        reqwest::Method::GET,
        format!("/repos/tbyte-org/tbyte{path}"),
    )
}

/// When the Progressing condition of each Deployment in `ns` last changed.
fn progressing_updates(world: &SimWorld, ns: &str) -> Vec<String> {
    world
        .kube
        .list(Kind::Deployment, Some(ns))
        .iter()
        .map(|d| {
            d["status"]["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["type"] == "Progressing")
                .unwrap()["lastUpdateTime"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_world_opens_with_the_staging_commit_waiting_on_production() {
    let w = world().await;
    let lead = w.person(Role::Lead).github_token.clone();
    let staged = w.seeded.main[2].clone();
    let (method, path) = get("/actions/runs?status=waiting");
    let (status, runs) = github(&w, &lead, method, &path, None).await;
    assert_eq!(status, 200);
    let waiting = runs["workflow_runs"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{runs:#}");
    let run = &waiting[0];
    assert_eq!(
        (
            run["head_sha"].as_str(),
            run["event"].as_str(),
            run["path"].as_str(),
            run["actor"]["login"].as_str()
        ),
        (
            Some(staged.as_str()),
            Some("push"),
            Some(".github/workflows/deploy.yml"),
            Some("dave-developer")
        )
    );
    let run_id = run["id"].as_u64().unwrap();
    let pending = pending_deployments(&w, &lead, run_id).await;
    assert_eq!(pending.len(), 1, "only production waits: staging deployed");
    assert_eq!(pending[0]["environment"]["name"], "production");
    assert_eq!(
        pending[0]["current_user_can_approve"], true,
        "the lead may approve, through the release managers team"
    );
    assert_eq!(tag(&images(&w, "production")[0]), &w.seeded.main[1][..7]);

    let env_id = pending[0]["environment"]["id"].as_u64().unwrap();
    let (status, created) = github(
        &w,
        &lead,
        reqwest::Method::POST,
        &format!("/repos/tbyte-org/tbyte/actions/runs/{run_id}/pending_deployments"),
        Some(json!({"environment_ids": [env_id], "state": "approved", "comment": "Lead says go"})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    until(
        &w,
        Duration::from_secs(300),
        "production to run the staging commit and the run to succeed",
        |w| {
            images(w, "production")
                .iter()
                .all(|i| tag(i) == &staged[..7])
                && ready(w, "production") == [3, 3]
                && w.github.run_status(run_id) == Some(("completed", Some("success")))
        },
    )
    .await;

    // What a client reads to learn who approved what production runs: the latest deployment,
    // its latest status's log_url naming the run, and that run's review history.
    let (method, path) = get("/deployments?environment=production");
    let (_, deployments) = github(&w, &lead, method, &path, None).await;
    let latest = &deployments[0];
    assert_eq!(latest["sha"], staged.as_str());
    assert_eq!(latest["creator"]["login"], "github-actions[bot]");
    let (method, path) = get(&format!("/deployments/{}/statuses", latest["id"]));
    let (_, statuses) = github(&w, &lead, method, &path, None).await;
    let states: Vec<&str> = statuses
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["success", "in_progress"]);
    let run_page = format!(
        "{}/tbyte-org/tbyte/actions/runs/{run_id}",
        w.github_server.url()
    );
    for status in statuses.as_array().unwrap() {
        assert_eq!(status["log_url"], run_page.as_str());
        assert_eq!(status["target_url"], run_page.as_str());
    }
    let linked: u64 = statuses[0]["log_url"]
        .as_str()
        .unwrap()
        .rsplit("/actions/runs/")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (method, path) = get(&format!("/actions/runs/{linked}/approvals"));
    let (status, approvals) = github(&w, &lead, method, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(approvals.as_array().unwrap().len(), 1, "{approvals:#}");
    assert_eq!(approvals[0]["user"]["login"], "carol-lead");
    assert_eq!(approvals[0]["state"], "approved");
    assert_eq!(approvals[0]["comment"], "Lead says go");
    assert_eq!(approvals[0]["environments"][0]["name"], "production");
}

#[tokio::test]
async fn runs_deploying_staging_and_dev_link_their_statuses_to_the_run() {
    let w = world().await;
    let viewer = w.person(Role::Viewer).github_token.clone();
    let merge = next_merge(&w, &w.seeded.main[2], Duration::from_secs(900)).await;
    let run_id = deploy_run_of(&w, &viewer, &merge).await;
    until(
        &w,
        Duration::from_secs(300),
        "staging's deployment of the merge to be recorded",
        |w| w.github.run_status(run_id) == Some(("waiting", None)),
    )
    .await;
    // The pull request's head went to dev in its own run, triggered by the pull request.
    let (method, path) = get(&format!("/commits/{merge}"));
    let (_, commit) = github(&w, &viewer, method, &path, None).await;
    let head = commit["parents"][1]["sha"].as_str().unwrap().to_owned();
    let (method, path) = get(&format!("/actions/runs?head_sha={head}&event=pull_request"));
    let (_, runs) = github(&w, &viewer, method, &path, None).await;
    let dev_run = runs["workflow_runs"][0]["id"].as_u64().unwrap();
    assert_ne!(dev_run, run_id);

    for (environment, sha, run) in [("staging", &merge, run_id), ("dev", &head, dev_run)] {
        let (method, path) = get(&format!("/deployments?environment={environment}&sha={sha}"));
        let (_, deployments) = github(&w, &viewer, method, &path, None).await;
        let (method, path) = get(&format!("/deployments/{}/statuses", deployments[0]["id"]));
        let (_, statuses) = github(&w, &viewer, method, &path, None).await;
        assert_eq!(statuses[0]["state"], "success", "{environment}");
        assert!(
            statuses[0]["log_url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/tbyte-org/tbyte/actions/runs/{run}")),
            "{environment}: {statuses:#}"
        );
    }
}

#[tokio::test]
async fn a_world_may_open_with_more_than_a_day_of_history() {
    let start: Timestamp = START.parse().unwrap();
    let pipeline =
        std::fs::read_to_string(testing::shipped_pipeline_dir().join("pipeline.yaml")).unwrap();
    // Shorter than the seed needs is raised to what it needs: history still ends before start.
    for hours in [0, 27] {
        let w = SimWorld::start(WorldOptions {
            start,
            speed: 0.0,
            story: Some(StoryOptions::default()),
            history: Duration::from_secs(hours * 3600),
            repository_files: vec![("environments/pipeline.yaml".into(), pipeline.clone())],
            ..WorldOptions::default()
        })
        .await
        .unwrap();
        assert_eq!(w.clock.now(), start);
        let token = w.person(Role::Viewer).github_token.clone();
        let at = |v: &Value| v.as_str().unwrap().parse::<Timestamp>().unwrap();

        let (method, path) = get("/deployments?per_page=100");
        let (_, deployments) = github(&w, &token, method, &path, None).await;
        let (method, path) = get("/commits?per_page=100");
        let (_, commits) = github(&w, &token, method, &path, None).await;
        let (method, path) = get("/actions/runs?per_page=100");
        let (_, runs) = github(&w, &token, method, &path, None).await;
        let times: Vec<Timestamp> = deployments
            .as_array()
            .unwrap()
            .iter()
            .map(|d| at(&d["created_at"]))
            .chain(
                commits
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| at(&c["commit"]["author"]["date"])),
            )
            .chain(
                runs["workflow_runs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| at(&r["created_at"])),
            )
            .collect();
        assert!(times.len() > 5);
        assert!(
            times.iter().all(|t| *t < start),
            "{hours} h: the seeded history ends before the world starts: {times:?}"
        );

        let day_before = start - jiff::SignedDuration::from_hours(24);
        let staging = deployments
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["environment"] == "staging")
            .unwrap();
        let completed = progressing_updates(&w, "staging");
        if hours == 27 {
            assert!(at(&staging["created_at"]) < day_before);
            assert!(
                completed
                    .iter()
                    .all(|t| t.parse::<Timestamp>().unwrap() < day_before),
                "staging's rollout completed over a day ago: {completed:?}"
            );
        }

        // The rollout's completion time stays put while nothing rolls out.
        pass(&w, Duration::from_secs(60)).await;
        assert_eq!(progressing_updates(&w, "staging"), completed);

        let (method, path) = get(&format!(
            "/contents/environments/pipeline.yaml?ref={}",
            w.seeded.main[1]
        ));
        let (status, file) = github(&w, &token, method, &path, None).await;
        assert_eq!(status, 200);
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD
            .decode(file["content"].as_str().unwrap().replace('\n', ""))
            .unwrap();
        assert_eq!(String::from_utf8(text).unwrap(), pipeline);
    }
}

#[tokio::test]
async fn production_waits_for_review_only_after_staging_deployed() {
    let w = world().await;
    let approver = w.person(Role::Approver).github_token.clone();
    let merge = next_merge(&w, &w.seeded.main[2], Duration::from_secs(900)).await;
    let run_id = deploy_run_of(&w, &approver, &merge).await;
    let release = &merge[..7];

    // As on GitHub, production's job `needs:` staging's: while staging rolls out, nothing
    // waits on production and nobody can approve it yet. GitHub is sampled first: if staging has
    // not rolled out after the sample, it had not when the sample was taken either.
    let mut seen_rolling_out = 0;
    loop {
        let status = w.github.run_status(run_id);
        let pending = pending_deployments(&w, &approver, run_id).await;
        if images(&w, "staging").iter().all(|i| tag(i) == release) && rolled_out(&w, "staging") {
            break;
        }
        assert!(
            seen_rolling_out < 60,
            "staging did not roll out in 5 minutes"
        );
        assert_eq!(status, Some(("in_progress", None)));
        assert_eq!(pending, Vec::<Value>::new());
        seen_rolling_out += 1;
        pass(&w, Duration::from_secs(5)).await;
    }
    assert!(seen_rolling_out > 0, "the rollout was never observed");

    // Staging is healthy: its deployment is recorded, and production's review appears.
    until(
        &w,
        Duration::from_secs(60),
        "the run to wait on production",
        |w| w.github.run_status(run_id) == Some(("waiting", None)),
    )
    .await;
    let (_, staged) = github(
        &w,
        &approver,
        reqwest::Method::GET,
        "/repos/tbyte-org/tbyte/deployments?environment=staging",
        None,
    )
    .await;
    assert_eq!(staged[0]["sha"], merge.as_str());
    let pending = pending_deployments(&w, &approver, run_id).await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["environment"]["name"], "production");
    assert_eq!(pending[0]["current_user_can_approve"], true);
}

#[tokio::test]
async fn a_release_that_fails_in_staging_never_waits_on_production() {
    let w = world().await;
    let approver = w.person(Role::Approver).github_token.clone();
    // The third release ships a crashing image; its dev deploy stalls before it merges.
    let mut head = w.seeded.main[2].clone();
    for _ in 0..3 {
        head = next_merge(&w, &head, Duration::from_secs(40 * 60)).await;
    }
    let run_id = deploy_run_of(&w, &approver, &head).await;

    let mut steps = 0;
    while w
        .github
        .run_status(run_id)
        .is_some_and(|(s, _)| s != "completed")
    {
        assert!(steps < 20 * 12, "the run did not end within 20 minutes");
        assert_eq!(w.github.run_status(run_id), Some(("in_progress", None)));
        assert_eq!(w.github.pending_environments(run_id), Vec::<String>::new());
        steps += 1;
        pass(&w, Duration::from_secs(5)).await;
    }
    assert_eq!(
        w.github.run_status(run_id),
        Some(("completed", Some("failure")))
    );
    assert_eq!(
        pending_deployments(&w, &approver, run_id).await,
        Vec::<Value>::new()
    );
    // (Nothing is deployed to production either, but with nobody approving that proves
    // nothing: the pending list above, sampled throughout, is the check.)
}

#[tokio::test]
async fn a_release_flows_to_production_after_an_api_approval() {
    let w = world().await;
    // The prologue matches the seeded GitHub history: production one change behind staging.
    until(
        &w,
        Duration::from_secs(120),
        "the seeded releases to be ready",
        |w| ready(w, "production") == [3, 3] && ready(w, "staging") == [2, 2],
    )
    .await;
    let production_before = images(&w, "production");
    let staging_before = images(&w, "staging");
    assert_ne!(tag(&production_before[0]), tag(&staging_before[0]));
    assert_eq!(tag(&staging_before[0]), &w.seeded.main[2][..7]);

    // Release 1 merges and reaches staging; production waits on its reviewer.
    until(
        &w,
        Duration::from_secs(900),
        "staging to run the merged release",
        |w| images(w, "staging") != staging_before && ready(w, "staging") == [2, 2],
    )
    .await;
    let release = tag(&images(&w, "staging")[0]).to_owned();
    assert_eq!(images(&w, "production"), production_before);

    // The story sees the rollout end on its next look; then production's job starts waiting.
    let approver = w.person(Role::Approver).github_token.clone();
    let mut waiting = None;
    for _ in 0..12 {
        let (status, runs) = github(
            &w,
            &approver,
            reqwest::Method::GET,
            "/repos/tbyte-org/tbyte/actions/runs?status=waiting",
            None,
        )
        .await;
        assert_eq!(status, 200);
        waiting = runs["workflow_runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["head_sha"].as_str().unwrap().starts_with(&release))
            .cloned();
        if waiting.is_some() {
            break;
        }
        pass(&w, Duration::from_secs(5)).await;
    }
    let run_id = waiting.expect("a waiting run for the release")["id"]
        .as_u64()
        .unwrap();
    let (_, pending) = github(
        &w,
        &approver,
        reqwest::Method::GET,
        &format!("/repos/tbyte-org/tbyte/actions/runs/{run_id}/pending_deployments"),
        None,
    )
    .await;
    assert_eq!(pending[0]["environment"]["name"], "production");
    assert_eq!(pending[0]["current_user_can_approve"], true);

    // The developer who merged may not approve their own release.
    let developer = w.person(Role::Developer).github_token.clone();
    let env_id = pending[0]["environment"]["id"].as_u64().unwrap();
    let review =
        serde_json::json!({"environment_ids": [env_id], "state": "approved", "comment": "ship it"});
    let (refused, _) = github(
        &w,
        &developer,
        reqwest::Method::POST,
        &format!("/repos/tbyte-org/tbyte/actions/runs/{run_id}/pending_deployments"),
        Some(review.clone()),
    )
    .await;
    assert!(refused >= 400, "{refused}");
    pass(&w, Duration::from_secs(60)).await;
    assert_eq!(
        images(&w, "production"),
        production_before,
        "nothing moves without an approval"
    );

    let (approved, _) = github(
        &w,
        &approver,
        reqwest::Method::POST,
        &format!("/repos/tbyte-org/tbyte/actions/runs/{run_id}/pending_deployments"),
        Some(review),
    )
    .await;
    assert_eq!(approved, 200);
    until(
        &w,
        Duration::from_secs(300),
        "production to roll out the release",
        |w| {
            images(w, "production").iter().all(|i| tag(i) == release)
                && ready(w, "production") == [3, 3]
        },
    )
    .await;
    let (_, deployments) = github(
        &w,
        &approver,
        reqwest::Method::GET,
        "/repos/tbyte-org/tbyte/deployments?environment=production",
        None,
    )
    .await;
    assert!(
        deployments[0]["sha"]
            .as_str()
            .unwrap()
            .starts_with(&release),
        "GitHub records what production runs"
    );
}

#[tokio::test]
async fn the_third_release_stalls_in_staging() {
    let w = world().await;
    // Releases start every 15 simulated minutes; the third crashes.
    until(
        &w,
        Duration::from_secs(90 * 60),
        "a crash-looping pod in staging",
        |w| {
            w.kube.list(Kind::Pod, Some("staging")).iter().any(|p| {
                p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]
                    == "CrashLoopBackOff"
            })
        },
    )
    .await;
    // The old ReplicaSet keeps serving while the new one crashes.
    assert_eq!(ready(&w, "staging"), [2, 2]);
    until(
        &w,
        Duration::from_secs(20 * 60),
        "the rollout to exceed its deadline",
        |w| {
            w.kube
                .list(Kind::Deployment, Some("staging"))
                .iter()
                .all(|d| {
                    d["status"]["conditions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|c| c["reason"] == "ProgressDeadlineExceeded")
                })
        },
    )
    .await;
    let warnings = w.kube.list(Kind::Event, Some("staging"));
    assert!(
        warnings
            .iter()
            .any(|e| e["reason"] == "BackOff" && e["type"] == "Warning")
    );
}
