//! The simulated GitHub behaves as GitHub does where clients depend on it: conditional requests,
//! rate-limit accounting, limits, protection rules on pending deployments, the device flow and
//! robustness against bad input. Everything goes over real HTTP.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sluice_sim::github::{self, GithubEvent, GithubWorld, ReviewState, Seeded};
use sluice_sim::{Faults, Person, ScenarioClock, SimServer, people};

struct World {
    world: GithubWorld,
    server: SimServer,
    people: Vec<Person>,
    seeded: Seeded,
    http: reqwest::Client,
}

impl World {
    async fn start() -> Self {
        let people = people::cast();
        let world = GithubWorld::new(
            ScenarioClock::manual("2026-11-26T09:00:00Z".parse().unwrap()),
            &people,
        );
        let seeded = github::seed_tbyte(&world).unwrap();
        let server = github::start(world.clone(), Faults::default())
            .await
            .unwrap();
        Self {
            world,
            server,
            people,
            seeded,
            http: reqwest::Client::new(),
        }
    }

    fn token(&self, login: &str) -> String {
        self.people
            .iter()
            .find(|p| p.login == login)
            .unwrap()
            .github_token
            .clone()
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.server.url(),
            path.replace("{repo}", "/repos/tbyte-org/tbyte")
        )
    }

    async fn get(&self, path: &str, token: Option<&str>, etag: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.header("authorization", format!("token {t}"));
        }
        if let Some(e) = etag {
            req = req.header("if-none-match", e);
        }
        req.send().await.unwrap()
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn etag_revalidation_is_free_and_changes_with_the_data() {
    let w = World::start().await;
    let alice = w.token("alice-approver");
    let first = w.get("{repo}/pulls", Some(&alice), None).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = header(&first, "etag");
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"),
        "strong ETag: {etag}"
    );
    assert_eq!(header(&first, "x-ratelimit-used"), "1");
    assert_eq!(w.world.points_spent(Some(&alice)), 1);

    for _ in 0..5 {
        let again = w.get("{repo}/pulls", Some(&alice), Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&again, "etag"), etag);
        assert_eq!(header(&again, "x-ratelimit-remaining"), "4999");
        assert!(again.bytes().await.unwrap().is_empty());
    }
    assert_eq!(
        w.world.points_spent(Some(&alice)),
        1,
        "304s must not cost points"
    );
    assert_eq!(w.world.requests_seen(Some(&alice)), 6);

    // Another caller's ETag is not honoured (GitHub varies on Authorization).
    let dave = w.token("dave-developer");
    assert_eq!(
        w.get("{repo}/pulls", Some(&dave), Some(&etag))
            .await
            .status(),
        StatusCode::OK
    );

    // A change in the world changes the body and so the ETag.
    w.world
        .commit(
            &w.seeded.feature_branch,
            "dave-developer",
            "Tune cache size",
        )
        .unwrap();
    let changed = w.get("{repo}/pulls", Some(&alice), Some(&etag)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(header(&changed, "etag"), etag);
    assert_eq!(w.world.points_spent(Some(&alice)), 2);
}

#[tokio::test]
async fn rate_limits_are_counted_per_token_and_anonymously() {
    let w = World::start().await;
    let alice = w.token("alice-approver");
    let resp = w.get("{repo}", None, None).await;
    assert_eq!(header(&resp, "x-ratelimit-limit"), "60");
    assert_eq!(header(&resp, "x-ratelimit-remaining"), "59");
    assert_eq!(header(&resp, "x-ratelimit-resource"), "core");
    let reset: u64 = header(&resp, "x-ratelimit-reset").parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        reset > now && reset <= now + 3600,
        "reset {reset} is within the hour"
    );

    let resp = w.get("{repo}", Some(&alice), None).await;
    assert_eq!(header(&resp, "x-ratelimit-limit"), "5000");
    assert_eq!(header(&resp, "x-ratelimit-used"), "1");

    // `/rate_limit` is free and reports what the headers say.
    let body: Value = w
        .get("/rate_limit", Some(&alice), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["resources"]["core"]["used"], 1);
    assert_eq!(body["rate"]["remaining"], 4999);
    assert_eq!(w.world.points_spent(Some(&alice)), 1);
    assert_eq!(w.world.points_spent(None), 1);

    // An anonymous caller runs out after 60 points.
    for _ in 0..59 {
        assert_eq!(
            w.get("{repo}/commits", None, None).await.status(),
            StatusCode::OK
        );
    }
    let out = w.get("{repo}/commits", None, None).await;
    assert_eq!(out.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&out, "x-ratelimit-remaining"), "0");
    let body: Value = out.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("API rate limit exceeded"),
        "{body}"
    );
    assert_eq!(
        w.world.points_spent(None),
        60,
        "a refused request costs nothing"
    );
    assert_eq!(
        w.get("{repo}", Some(&alice), None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_tokens_get_githubs_401() {
    let w = World::start().await;
    for auth in [
        "token ghp_nope",
        "Bearer ghp_nope",
        "Basic dXNlcjpwYXNz",
        "garbage",
    ] {
        let resp = w
            .http
            .get(w.url("{repo}"))
            .header("authorization", auth)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{auth}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["message"], "Bad credentials");
        assert_eq!(body["documentation_url"], "https://docs.github.com/rest");
    }
}

#[tokio::test]
async fn injected_limits_and_faults_answer_like_github() {
    let w = World::start().await;
    let alice = w.token("alice-approver");
    w.world.trip_secondary_limit(2, 7);
    for _ in 0..2 {
        let resp = w.get("{repo}/pulls", Some(&alice), None).await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(&resp, "retry-after"), "7");
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("secondary rate limit")
        );
    }
    assert_eq!(
        w.get("{repo}/pulls", Some(&alice), None).await.status(),
        StatusCode::OK
    );

    w.world.exhaust_primary_limit(1);
    let resp = w.get("{repo}/pulls", Some(&alice), None).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(&resp, "x-ratelimit-remaining"), "0");
    assert!(!header(&resp, "x-ratelimit-reset").is_empty());
    assert_eq!(
        w.get("{repo}/pulls", Some(&alice), None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        w.world.points_spent(Some(&alice)),
        2,
        "limited requests are not charged"
    );

    w.server.faults().fail_next(1, 502);
    let resp = w.get("/user", Some(&alice), None).await;
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["message"], "Bad Gateway");
    assert_eq!(
        w.get("/user", Some(&alice), None).await.status(),
        StatusCode::OK
    );

    // A restart keeps the world.
    w.server.restart().await.unwrap();
    let me: Value = w
        .get("/user", Some(&alice), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["login"], "alice-approver");
}

#[tokio::test]
async fn pending_deployments_enforce_required_reviewers_and_self_review() {
    let w = World::start().await;
    let mut events = w.world.subscribe();
    let (alice, dave, vera) = (
        w.token("alice-approver"),
        w.token("dave-developer"),
        w.token("vera-viewer"),
    );
    let run = w
        .world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    let env = w.world.environment_id("production").unwrap();
    let path = format!("{{repo}}/actions/runs/{run}/pending_deployments");

    let waiting: Value = w
        .get("{repo}/actions/runs?status=waiting", None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(waiting["workflow_runs"][0]["id"], run);
    assert_eq!(waiting["workflow_runs"][0]["status"], "waiting");

    // `current_user_can_approve` is computed for the caller.
    for (token, can) in [
        (Some(&alice), true),
        (Some(&dave), false),
        (Some(&vera), false),
        (None, false),
    ] {
        let p: Value = w
            .get(&path, token.map(String::as_str), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(p[0]["current_user_can_approve"], can, "{token:?}");
        assert_eq!(p[0]["environment"]["name"], "production");
        let reviewers: Vec<&str> = p[0]["reviewers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        assert_eq!(reviewers, ["User", "Team"]);
    }

    let approve = json!({"environment_ids": [env], "state": "approved", "comment": "Ship it"});
    // Neither the developer nor the viewer is a required reviewer.
    for token in [&dave, &vera] {
        let (status, body) = w.post(&path, Some(token), &approve).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("not a required reviewer"),
            "{body}"
        );
    }
    // An environment the run does not wait on.
    let staging = w.world.environment_id("staging").unwrap();
    let (status, body) = w
        .post(
            &path,
            Some(&alice),
            &json!({"environment_ids": [staging], "state": "approved", "comment": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["message"],
        "No pending deployment requests to approve or reject"
    );
    assert_eq!(w.world.run_status(run), Some(("waiting", None)));

    // Prevent-self-review: alice triggered this one, so she cannot approve it, though she may
    // approve dave's.
    let own = w
        .world
        .start_deploy_run("production", "main", "alice-approver")
        .unwrap();
    let own_path = format!("{{repo}}/actions/runs/{own}/pending_deployments");
    let p: Value = w
        .get(&own_path, Some(&alice), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p[0]["current_user_can_approve"], false);
    let (status, body) = w.post(&own_path, Some(&alice), &approve).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"].as_str().unwrap().contains("Self-review"),
        "{body}"
    );
    assert_eq!(w.world.pending_environments(own), ["production"]);

    // The deploy workflow's production job has a concurrency group: alice's run, waiting on
    // production, took the place of dave's, as GitHub cancels the older pending job. Dave
    // pushes again, and his new run takes the place of alice's.
    assert_eq!(
        w.world.run_status(run),
        Some(("completed", Some("cancelled")))
    );
    let run = w
        .world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    assert_eq!(
        w.world.run_status(own),
        Some(("completed", Some("cancelled")))
    );
    let path = format!("{{repo}}/actions/runs/{run}/pending_deployments");

    let (status, body) = w.post(&path, Some(&alice), &approve).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["environment"], "production");
    assert_eq!(body[0]["sha"], w.world.branch_head("main").unwrap());
    assert_eq!(
        body[0]["creator"]["login"], "github-actions[bot]",
        "the approved job creates the deployment, not the developer who pushed"
    );
    assert_eq!(w.world.run_status(run), Some(("in_progress", None)));
    let p: Value = w.get(&path, Some(&alice), None).await.json().await.unwrap();
    assert_eq!(p, json!([]));

    let reviewed = loop {
        match events.try_recv().unwrap() {
            e @ GithubEvent::DeploymentReviewed { .. } => break e,
            _ => continue,
        }
    };
    assert_eq!(
        reviewed,
        GithubEvent::DeploymentReviewed {
            run_id: run,
            environment: "production".into(),
            state: ReviewState::Approved,
            reviewer: "alice-approver".into(),
            comment: "Ship it".into(),
        }
    );
}

#[tokio::test]
async fn the_lead_reviews_production_through_the_release_managers_team() {
    let w = World::start().await;
    let carol = w.token("carol-lead");
    let production: Value = w
        .get("{repo}/environments/production", None, None)
        .await
        .json()
        .await
        .unwrap();
    let reviewers: Vec<(&str, &str)> = production["protection_rules"][0]["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let who = &r["reviewer"];
            let name = who["login"].as_str().or(who["slug"].as_str()).unwrap();
            (r["type"].as_str().unwrap(), name)
        })
        .collect();
    assert_eq!(
        reviewers,
        [("User", "alice-approver"), ("Team", "release-managers")],
        "carol is not named"
    );

    let run = w
        .world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    let path = format!("{{repo}}/actions/runs/{run}/pending_deployments");
    let pending: Value = w.get(&path, Some(&carol), None).await.json().await.unwrap();
    assert_eq!(pending[0]["current_user_can_approve"], true);
    let env = w.world.environment_id("production").unwrap();
    let (status, body) = w
        .post(
            &path,
            Some(&carol),
            &json!({"environment_ids": [env], "state": "approved", "comment": "Lead says go"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // She may write to the repository like the approver.
    let repo: Value = w
        .get("{repo}", Some(&carol), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(repo["permissions"]["push"], true);
    let (status, _) = w
        .post(
            "{repo}/deployments",
            Some(&carol),
            &json!({"ref": "main", "environment": "staging", "required_contexts": []}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_runs_review_history_lists_each_review_newest_first() {
    let w = World::start().await;
    let (alice, carol) = (w.token("alice-approver"), w.token("carol-lead"));
    w.world
        .configure_environment(github::EnvironmentSpec {
            name: "staging".into(),
            reviewers: vec![github::Reviewer::Team(github::RELEASE_MANAGERS.into())],
            ..Default::default()
        })
        .unwrap();
    let run = w
        .world
        .start_run(
            "deploy.yml",
            "main",
            "push",
            "dave-developer",
            &["staging", "production"],
        )
        .unwrap();
    let history = format!("{{repo}}/actions/runs/{run}/approvals");
    let empty = w.get(&history, Some(&alice), None).await;
    assert_eq!(empty.status(), StatusCode::OK);
    let etag = header(&empty, "etag");
    assert_eq!(empty.json::<Value>().await.unwrap(), json!([]));
    assert_eq!(
        w.get(&history, Some(&alice), Some(&etag)).await.status(),
        StatusCode::NOT_MODIFIED,
        "the history revalidates like every other read"
    );

    let pending = format!("{{repo}}/actions/runs/{run}/pending_deployments");
    let staging = w.world.environment_id("staging").unwrap();
    let production = w.world.environment_id("production").unwrap();
    for (token, env, comment) in [
        (&alice, staging, "Staging looks fine"),
        (&carol, production, "Lead says go"),
    ] {
        let (status, body) = w
            .post(
                &pending,
                Some(token),
                &json!({"environment_ids": [env], "state": "approved", "comment": comment}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let changed = w.get(&history, Some(&alice), Some(&etag)).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let reviews: Value = changed.json().await.unwrap();
    let summary: Vec<(&str, &str, &str, &str)> = reviews
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user"]["login"].as_str().unwrap(),
                r["state"].as_str().unwrap(),
                r["environments"][0]["name"].as_str().unwrap(),
                r["comment"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("carol-lead", "approved", "production", "Lead says go"),
            (
                "alice-approver",
                "approved",
                "staging",
                "Staging looks fine"
            ),
        ]
    );
    assert_eq!(reviews[0]["environments"][0]["id"], production);
    assert_eq!(reviews[0]["user"]["type"], "User");

    // A rejection is history too; an unknown run is GitHub's 404.
    let rejected = w
        .world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    w.world
        .review_pending(
            rejected,
            &[production],
            ReviewState::Rejected,
            "Not today",
            "alice-approver",
        )
        .unwrap();
    let reviews: Value = w
        .get(
            &format!("{{repo}}/actions/runs/{rejected}/approvals"),
            None,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reviews[0]["state"], "rejected");
    assert_eq!(reviews[0]["comment"], "Not today");
    let missing = w
        .get("{repo}/actions/runs/4242/approvals", None, None)
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["message"], "Not Found");
    assert_eq!(body["documentation_url"], "https://docs.github.com/rest");
}

#[tokio::test]
async fn repository_files_are_the_same_at_every_known_ref() {
    let w = World::start().await;
    let alice = w.token("alice-approver");
    let text = format!("# The tbyte pipeline\n{}\n", "environments: []  ".repeat(8));
    w.world
        .set_file("environments/pipeline.yaml", &text)
        .unwrap();
    w.world.set_file("hello.txt", "hello\n").unwrap();
    let merge = w.seeded.main[2].clone();
    let root = w.seeded.main[0].clone();
    // No ref reads the default branch; a branch, a full SHA or a short one names a commit.
    for (query, read_at) in [
        (String::new(), "main"),
        ("?ref=main".to_owned(), "main"),
        (
            format!("?ref={}", w.seeded.feature_branch),
            w.seeded.feature_branch.as_str(),
        ),
        (format!("?ref={root}"), root.as_str()),
        (format!("?ref={}", &merge[..7]), &merge[..7]),
    ] {
        let resp = w
            .get(
                &format!("{{repo}}/contents/environments/pipeline.yaml{query}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "{query}");
        let file: Value = resp.json().await.unwrap();
        assert_eq!(
            (file["type"].as_str(), file["encoding"].as_str()),
            (Some("file"), Some("base64"))
        );
        assert_eq!(
            (file["name"].as_str(), file["path"].as_str()),
            (Some("pipeline.yaml"), Some("environments/pipeline.yaml"))
        );
        assert_eq!(file["size"], text.len());
        let content = file["content"].as_str().unwrap();
        assert!(
            content.lines().all(|l| l.len() <= 60) && content.lines().count() > 1,
            "wrapped as GitHub wraps it: {content:?}"
        );
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(content.replace('\n', ""))
            .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), text);
        assert_eq!(file["sha"], github::blob_sha(text.as_bytes()));
        assert!(
            file["html_url"].as_str().unwrap().ends_with(&format!(
                "/tbyte-org/tbyte/blob/{read_at}/environments/pipeline.yaml"
            )),
            "{file}"
        );
        assert!(
            file["url"].as_str().unwrap().ends_with(&format!(
                "/contents/environments/pipeline.yaml?ref={read_at}"
            )),
            "{file}"
        );
    }
    // The blob id is git's: `printf 'hello\n' | git hash-object --stdin`.
    let hello: Value = w
        .get("{repo}/contents/hello.txt", None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hello["sha"], "ce013625030ba8dba906f756967f9e9ca394464a");
    assert_eq!(hello["content"], "aGVsbG8K\n");

    for (path, message) in [
        ("{repo}/contents/environments/values-prod.yaml", "Not Found"),
        ("{repo}/contents/environments", "Not Found"),
        (
            "{repo}/contents/environments/pipeline.yaml?ref=nope",
            "No commit found for the ref nope",
        ),
        ("/repos/tbyte-org/nope/contents/hello.txt", "Not Found"),
    ] {
        let resp = w.get(path, Some(&alice), None).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["message"], message, "{path}");
        assert_eq!(body["status"], "404");
    }
    assert!(w.world.set_file("../outside", "x").is_err());
    assert!(w.world.set_file("", "x").is_err());
}

#[tokio::test]
async fn a_team_member_may_approve_and_a_rejection_fails_the_run() {
    let people = people::cast();
    let world = GithubWorld::new(
        ScenarioClock::manual("2026-11-26T09:00:00Z".parse().unwrap()),
        &people,
    );
    github::seed_tbyte(&world).unwrap();
    // Only the team is listed now: alice may still approve, through her membership.
    world
        .configure_environment(github::EnvironmentSpec {
            name: "production".into(),
            reviewers: vec![github::Reviewer::Team(github::RELEASE_MANAGERS.into())],
            prevent_self_review: true,
            ..Default::default()
        })
        .unwrap();
    let env = world.environment_id("production").unwrap();
    let run = world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    assert!(
        world
            .review_pending(run, &[env], ReviewState::Approved, "ok", "alice-approver")
            .is_ok()
    );

    let run = world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    world
        .review_pending(run, &[env], ReviewState::Rejected, "no", "alice-approver")
        .unwrap();
    assert_eq!(world.run_status(run), Some(("completed", Some("failure"))));
}

#[tokio::test]
async fn wait_timers_hold_a_run_on_scenario_time() {
    let people = people::cast();
    let world = GithubWorld::new(
        ScenarioClock::manual("2026-11-26T09:00:00Z".parse().unwrap()),
        &people,
    );
    github::seed_tbyte(&world).unwrap();
    world
        .configure_environment(github::EnvironmentSpec {
            name: "staging".into(),
            wait_timer: 10,
            ..Default::default()
        })
        .unwrap();
    let run = world
        .start_deploy_run("staging", "main", "dave-developer")
        .unwrap();
    assert_eq!(world.run_status(run), Some(("waiting", None)));
    world.clock().advance(Duration::from_secs(9 * 60));
    assert_eq!(world.run_status(run), Some(("waiting", None)));
    world.clock().advance(Duration::from_secs(60));
    assert_eq!(world.run_status(run), Some(("in_progress", None)));
}

#[tokio::test]
async fn a_job_that_needs_another_meets_its_environment_only_when_it_starts() {
    let people = people::cast();
    let world = GithubWorld::new(
        ScenarioClock::manual("2026-11-26T09:00:00Z".parse().unwrap()),
        &people,
    );
    github::seed_tbyte(&world).unwrap();
    world
        .configure_environment(github::EnvironmentSpec {
            name: "production".into(),
            wait_timer: 10,
            reviewers: vec![github::Reviewer::User("alice-approver".into())],
            ..Default::default()
        })
        .unwrap();
    let env = world.environment_id("production").unwrap();
    // Staging's job runs first; production's `needs:` it.
    let run = world
        .start_run("deploy.yml", "main", "push", "dave-developer", &["staging"])
        .unwrap();
    assert_eq!(world.run_status(run), Some(("in_progress", None)));
    assert!(world.pending_environments(run).is_empty());
    assert_eq!(
        world.review_pending(
            run,
            &[env],
            ReviewState::Approved,
            "early",
            "alice-approver"
        ),
        Err(github::ReviewRefusal::NothingPending)
    );

    // Staging took a while; production's wait timer counts from its job's start.
    world.clock().advance(Duration::from_secs(30 * 60));
    world.start_job(run, "production").unwrap();
    assert_eq!(world.run_status(run), Some(("waiting", None)));
    assert_eq!(world.pending_environments(run), ["production"]);
    world
        .review_pending(run, &[env], ReviewState::Approved, "ok", "alice-approver")
        .unwrap();
    world.clock().advance(Duration::from_secs(9 * 60));
    assert_eq!(world.run_status(run), Some(("waiting", None)));
    world.clock().advance(Duration::from_secs(60));
    assert_eq!(world.run_status(run), Some(("in_progress", None)));

    // A finished run starts no more jobs.
    world
        .complete_run(run, github::Conclusion::Failure)
        .unwrap();
    assert!(world.start_job(run, "production").is_err());
    assert!(world.pending_environments(run).is_empty());
}

#[tokio::test]
async fn workflow_dispatch_starts_a_run_and_tells_the_story() {
    let w = World::start().await;
    let mut events = w.world.subscribe();
    let dave = w.token("dave-developer");
    // The shipped workflow's `environment` input is a choice of `production` alone.
    let (status, refused) = w
        .post(
            "{repo}/actions/workflows/deploy.yml/dispatches",
            Some(&dave),
            &json!({"ref": "main", "inputs": {"environment": "staging"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused["message"],
        "Provided value 'staging' for input 'environment' not in the list of allowed values"
    );
    let body =
        json!({"ref": "main", "inputs": {"environment": "production"}, "return_run_details": true});
    let (status, ran) = w
        .post(
            "{repo}/actions/workflows/deploy.yml/dispatches",
            Some(&dave),
            &body,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let run_id = ran["workflow_run_id"].as_u64().unwrap();
    let run: Value = w
        .get(&format!("{{repo}}/actions/runs/{run_id}"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(run["event"], "workflow_dispatch");
    assert_eq!(run["actor"]["login"], "dave-developer");
    let jobs: Value = w
        .get(&format!("{{repo}}/actions/runs/{run_id}/jobs"), None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(jobs["total_count"], 1);
    assert_eq!(jobs["jobs"][0]["name"], "Deploy to production");
    let GithubEvent::WorkflowDispatched {
        workflow,
        git_ref,
        inputs,
        ..
    } = events.recv().await.unwrap()
    else {
        panic!("expected a dispatch event");
    };
    assert_eq!(
        (workflow.as_str(), git_ref.as_str()),
        ("deploy.yml", "main")
    );
    assert_eq!(inputs["environment"], "production");

    let eleven: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("i{i}"), json!("x"))).collect();
    let (status, _) = w
        .post(
            "{repo}/actions/workflows/deploy.yml/dispatches",
            Some(&dave),
            &json!({"ref": "main", "inputs": eleven}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn deployment_statuses_mark_older_deployments_inactive() {
    let w = World::start().await;
    let dave = w.token("dave-developer");
    let before: Value = w
        .get("{repo}/deployments?environment=staging", None, None)
        .await
        .json()
        .await
        .unwrap();
    let old_id = before[0]["id"].as_u64().unwrap();
    let (status, dep) = w
        .post(
            "{repo}/deployments",
            Some(&dave),
            &json!({"ref": "main", "environment": "staging", "required_contexts": []}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let new_id = dep["id"].as_u64().unwrap();
    let (status, _) = w
        .post(
            &format!("{{repo}}/deployments/{new_id}/statuses"),
            Some(&dave),
            &json!({"state": "success"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let old: Value = w
        .get(
            &format!("{{repo}}/deployments/{old_id}/statuses"),
            None,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(old[0]["state"], "inactive", "newest status first");
    let filtered: Value = w
        .get("{repo}/deployments?environment=staging", None, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered[0]["id"], new_id);
    let (status, body) = w
        .post(
            &format!("{{repo}}/deployments/{new_id}/statuses"),
            Some(&dave),
            &json!({"state": "success", "description": "x".repeat(141)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn device_flow_issues_a_token_for_the_person_who_authorized() {
    let w = World::start().await;
    w.world.set_device_poll_interval(1);
    let form = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).unwrap();
    let code_resp = w
        .http
        .post(w.url("/login/device/code"))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("client_id", "sluice-sim"),
            ("scope", "repo read:org"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(code_resp.status(), StatusCode::OK);
    let codes: Value = code_resp.json().await.unwrap();
    for field in ["device_code", "user_code", "verification_uri"] {
        assert!(
            codes[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {codes}"
        );
    }
    assert_eq!(codes["expires_in"], 900);
    assert_eq!(codes["interval"], 1);
    let device_code = codes["device_code"].as_str().unwrap().to_owned();
    let user_code = codes["user_code"].as_str().unwrap().to_owned();
    assert_eq!(user_code.len(), 9);

    let poll = || async {
        let body = json!({"client_id": "sluice-sim", "device_code": device_code, "grant_type": "urn:ietf:params:oauth:grant-type:device_code"});
        let resp = w
            .http
            .post(w.url("/login/oauth/access_token"))
            .header("accept", "application/json")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json::<Value>().await.unwrap()
    };
    assert_eq!(poll().await["error"], "authorization_pending");
    let fast = poll().await;
    assert_eq!(fast["error"], "slow_down");
    assert_eq!(fast["interval"], 6);

    w.world.authorize_device(&user_code, "vera-viewer").unwrap();
    tokio::time::sleep(Duration::from_millis(6100)).await;
    let granted = poll().await;
    assert_eq!(granted["token_type"], "bearer", "{granted}");
    let token = granted["access_token"].as_str().unwrap().to_owned();
    let me: Value = w
        .get("/user", Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["login"], "vera-viewer");
    // The device code is spent.
    assert_eq!(poll().await["error"], "incorrect_device_code");

    // Without `Accept: application/json`, github.com answers form-encoded.
    let resp = w
        .http
        .post(w.url("/login/device/code"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("client_id=sluice-sim")
        .send()
        .await
        .unwrap();
    assert!(header(&resp, "content-type").starts_with("application/x-www-form-urlencoded"));
    let text = resp.text().await.unwrap();
    assert!(text.contains("user_code="), "{text}");
}

#[tokio::test]
async fn device_codes_can_be_denied_or_expire() {
    let w = World::start().await;
    let start = || async {
        let v: Value = w
            .http
            .post(w.url("/login/device/code"))
            .header("accept", "application/json")
            .json(&json!({"client_id": "c"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            v["device_code"].as_str().unwrap().to_owned(),
            v["user_code"].as_str().unwrap().to_owned(),
        )
    };
    let w = &w;
    let poll = |device_code: String| async move {
        w.http
            .post(w.url("/login/oauth/access_token"))
            .header("accept", "application/json")
            .json(&json!({"client_id": "c", "device_code": device_code, "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let (denied, user_code) = start().await;
    w.world.deny_device(&user_code).unwrap();
    assert_eq!(poll(denied).await["error"], "access_denied");

    let (expiring, _) = start().await;
    w.world.clock().advance(Duration::from_secs(901));
    assert_eq!(poll(expiring).await["error"], "expired_token");
    assert!(
        w.world
            .authorize_device("NOPE-NOPE", "alice-approver")
            .is_err()
    );
}

#[tokio::test]
async fn bad_input_is_answered_never_crashes() {
    let w = World::start().await;
    let alice = w.token("alice-approver");
    let cases: &[(&str, &str, &str, StatusCode)] = &[
        (
            "GET",
            "{repo}/pulls/184467440737095516160",
            "",
            StatusCode::NOT_FOUND,
        ),
        ("GET", "{repo}/actions/runs/-5", "", StatusCode::NOT_FOUND),
        (
            "GET",
            "{repo}/deployments/1e9/statuses",
            "",
            StatusCode::NOT_FOUND,
        ),
        (
            "GET",
            "{repo}/environments/%FF%FE",
            "",
            StatusCode::NOT_FOUND,
        ),
        (
            "GET",
            "{repo}/pulls?per_page=-1&page=99999999999999999999",
            "",
            StatusCode::OK,
        ),
        ("GET", "{repo}/compare/...", "", StatusCode::NOT_FOUND),
        ("GET", "/nope", "", StatusCode::NOT_FOUND),
        ("DELETE", "{repo}", "", StatusCode::NOT_FOUND),
        (
            "POST",
            "{repo}/deployments",
            "[1,2]",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "POST",
            "{repo}/deployments",
            "\u{0}",
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            "{repo}/deployments",
            "{\"ref\": 5}",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "POST",
            "{repo}/deployments",
            "{\"ref\": \"main\", \"payload\": 3}",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "POST",
            "{repo}/actions/runs/99999999999999999999/pending_deployments",
            "{}",
            StatusCode::NOT_FOUND,
        ),
        (
            "POST",
            "/login/oauth/access_token",
            "garbage",
            StatusCode::OK,
        ),
    ];
    for (method, path, body, expected) in cases {
        let resp = w
            .http
            .request(method.parse().unwrap(), w.url(path))
            .bearer_auth(&alice)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), *expected, "{method} {path} {body}");
        let json: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(
            json.is_object() || json.is_array(),
            "{method} {path}: JSON answer"
        );
    }
    let (status, _) = w
        .post(
            &format!(
                "{{repo}}/actions/runs/{}/pending_deployments",
                w.world
                    .start_deploy_run("production", "main", "dave-developer")
                    .unwrap()
            ),
            Some(&alice),
            &json!({"environment_ids": [u64::MAX, -1], "state": "approved", "comment": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
