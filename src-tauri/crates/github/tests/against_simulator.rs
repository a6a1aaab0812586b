//! The real client (octocrab) against the simulated GitHub, started in-process.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use sluice_github::{
    CheckState, GithubClient, GithubConfig, GithubError, GithubToken, Review, start_device_login,
};
use sluice_sim::github::{self, GithubWorld, Seeded};
use sluice_sim::{Faults, Person, ScenarioClock, SimServer, people};

struct Sim {
    world: GithubWorld,
    server: SimServer,
    people: Vec<Person>,
    seeded: Seeded,
}

impl Sim {
    async fn start() -> Self {
        let people = people::cast();
        let clock = ScenarioClock::manual("2026-11-26T09:00:00Z".parse().unwrap());
        let world = GithubWorld::new(clock, &people);
        let seeded = github::seed_tbyte(&world).unwrap();
        let server = github::start(world.clone(), Faults::default())
            .await
            .unwrap();
        Self {
            world,
            server,
            people,
            seeded,
        }
    }

    fn token(&self, login: &str) -> GithubToken {
        GithubToken::new(
            &self
                .people
                .iter()
                .find(|p| p.login == login)
                .unwrap()
                .github_token,
        )
    }

    fn config(&self) -> GithubConfig {
        GithubConfig {
            api_base: self.server.url(),
            owner: "tbyte-org".into(),
            repo: "tbyte".into(),
            max_retries: 3,
        }
    }

    fn client(&self, login: &str) -> GithubClient {
        GithubClient::new(&self.config(), Some(&self.token(login))).unwrap()
    }
}

#[tokio::test]
async fn reads_the_repository_through_octocrabs_models() {
    let sim = Sim::start().await;
    let alice = sim.client("alice-approver");
    let me = alice.identity().await.unwrap();
    assert_eq!(me.login, "alice-approver");
    assert_eq!(me.name.as_deref(), Some("Alice Approver"));

    let pulls = alice.open_pulls().await.unwrap();
    assert_eq!(pulls.len(), 1);
    assert_eq!(pulls[0].number, sim.seeded.open_pull);
    assert_eq!(pulls[0].head_sha, sim.seeded.feature_head);
    assert_eq!(pulls[0].author.as_deref(), Some("dave-developer"));

    assert_eq!(
        alice.check_state(&sim.seeded.feature_head).await.unwrap(),
        CheckState::Pending
    );
    assert_eq!(
        alice.check_state("main").await.unwrap(),
        CheckState::Passing
    );
    assert_eq!(
        alice.check_state(&sim.seeded.main[0]).await.unwrap(),
        CheckState::None
    );
    sim.world
        .set_check_run(
            &sim.seeded.feature_head,
            "test",
            github::CheckStatus::Completed,
            Some(github::Conclusion::Failure),
        )
        .unwrap();
    assert_eq!(
        alice.check_state(&sim.seeded.feature_head).await.unwrap(),
        CheckState::Failing
    );

    let production = &sim.seeded.main[1];
    let cmp = alice.compare(production, "main").await.unwrap();
    assert_eq!(
        (cmp.status.as_str(), cmp.ahead_by, cmp.behind_by),
        ("ahead", 2, 0)
    );
    let titles: Vec<&str> = cmp.commits.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Add /healthz endpoint for the readiness probe",
            "Merge pull request #1 from tbyte-org/feature/healthz"
        ]
    );
}

#[tokio::test]
async fn reviews_pending_deployments_as_github_allows() {
    let sim = Sim::start().await;
    let (alice, dave) = (sim.client("alice-approver"), sim.client("dave-developer"));
    assert!(alice.waiting_runs().await.unwrap().is_empty());
    let run = sim
        .world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();

    let waiting = alice.waiting_runs().await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].id, waiting[0].workflow.as_str()),
        (run, "Deploy")
    );

    let pending = alice.pending_deployments(run).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].environment, "production");
    assert!(pending[0].current_user_can_approve);
    assert_eq!(
        pending[0].reviewers,
        ["alice-approver", "tbyte-org/release-managers"]
    );
    assert!(!dave.pending_deployments(run).await.unwrap()[0].current_user_can_approve);

    let env = pending[0].environment_id;
    let refused = dave
        .review_pending(run, &[env], Review::Approve, "lgtm")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, GithubError::Refused { status: 422, .. }),
        "{refused:?}"
    );

    let created = alice
        .review_pending(run, &[env], Review::Approve, "Ship it")
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].environment, "production");
    assert_eq!(sim.world.run_status(run), Some(("in_progress", None)));
    assert!(alice.waiting_runs().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_quiet_repository_costs_no_rate_limit() {
    let sim = Sim::start().await;
    let alice = sim.client("alice-approver");
    let token = sim.token("alice-approver");
    let run = sim
        .world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    let poll = || async {
        alice.identity().await.unwrap();
        alice.open_pulls().await.unwrap();
        alice.check_state(&sim.seeded.feature_head).await.unwrap();
        alice.compare(&sim.seeded.main[1], "main").await.unwrap();
        alice.waiting_runs().await.unwrap();
        alice.pending_deployments(run).await.unwrap();
    };
    poll().await;
    let first = sim.world.points_spent(Some(token.expose()));
    assert_eq!(first, 6, "the first round pays for every resource once");
    let seen = sim.world.requests_seen(Some(token.expose()));
    for _ in 0..5 {
        poll().await;
    }
    assert_eq!(
        sim.world.requests_seen(Some(token.expose())),
        seen + 30,
        "every poll reached GitHub"
    );
    assert_eq!(
        sim.world.points_spent(Some(token.expose())),
        first,
        "…and was answered 304 for free"
    );
    let budget = alice.rate_budget().await.unwrap();
    assert_eq!(
        (budget.limit, budget.remaining, budget.used),
        (5000, 4994, 6)
    );

    // A change is seen (and paid for) on the next poll.
    sim.world
        .commit(
            &sim.seeded.feature_branch,
            "dave-developer",
            "Tune the cache size",
        )
        .unwrap();
    let pulls = alice.open_pulls().await.unwrap();
    assert_ne!(pulls[0].head_sha, sim.seeded.feature_head);
    assert_eq!(sim.world.points_spent(Some(token.expose())), first + 1);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let sim = Sim::start().await;
    let alice = sim.client("alice-approver");
    let token = sim.token("alice-approver");
    sim.world.trip_secondary_limit(1, 1);
    let started = Instant::now();
    let pulls = alice.open_pulls().await.unwrap();
    assert_eq!(pulls.len(), 1);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(sim.world.requests_seen(Some(token.expose())), 2);
    assert_eq!(sim.world.points_spent(Some(token.expose())), 1);
}

#[tokio::test]
async fn errors_map_githubs_answers_and_never_show_the_token() {
    let sim = Sim::start().await;
    let secret = GithubToken::new("ghp_this_is_not_valid");
    let stranger = GithubClient::new(&sim.config(), Some(&secret)).unwrap();
    let err = stranger.identity().await.unwrap_err();
    assert!(
        matches!(&err, GithubError::Unauthorized { message } if message == "Bad credentials"),
        "{err:?}"
    );
    for text in [
        format!("{err}"),
        format!("{err:?}"),
        format!("{stranger:?}"),
    ] {
        assert!(!text.contains("this_is_not_valid"), "{text}");
    }

    let anonymous = GithubClient::new(&sim.config(), None).unwrap();
    assert_eq!(anonymous.open_pulls().await.unwrap().len(), 1);
    assert!(matches!(
        anonymous.identity().await.unwrap_err(),
        GithubError::Unauthorized { .. }
    ));

    let mut elsewhere = sim.config();
    elsewhere.repo = "nope".into();
    let err = GithubClient::new(&elsewhere, None)
        .unwrap()
        .open_pulls()
        .await
        .unwrap_err();
    assert!(matches!(err, GithubError::NotFound { .. }), "{err:?}");

    let mut impatient = sim.config();
    impatient.max_retries = 0;
    let client = GithubClient::new(&impatient, Some(&sim.token("alice-approver"))).unwrap();
    sim.world.exhaust_primary_limit(1);
    let err = client.open_pulls().await.unwrap_err();
    assert!(
        matches!(err, GithubError::RateLimited { status: 403, .. }),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn device_sign_in_yields_the_authorizing_persons_token() {
    let sim = Sim::start().await;
    sim.world.set_device_poll_interval(1);
    let login = start_device_login(&sim.server.url(), "sluice-desktop", &["repo", "read:org"])
        .await
        .unwrap();
    assert!(login.verification_uri().starts_with(&sim.server.url()));
    sim.world
        .authorize_device(login.user_code(), "alice-approver")
        .unwrap();
    let token = login.wait().await.unwrap();
    let me = GithubClient::new(&sim.config(), Some(&token))
        .unwrap()
        .identity()
        .await
        .unwrap();
    assert_eq!(me.login, "alice-approver");

    let login = start_device_login(&sim.server.url(), "sluice-desktop", &["repo"])
        .await
        .unwrap();
    sim.world.deny_device(login.user_code()).unwrap();
    let err = login.wait().await.unwrap_err();
    assert!(matches!(err, GithubError::Device { .. }), "{err:?}");
}

/// What metrics read: how each deployment ended (a success GitHub later marked inactive is still
/// a success, at the time it succeeded), and the commits with when they landed.
#[tokio::test]
async fn deployment_outcomes_and_commits_say_how_and_when() {
    let sim = Sim::start().await;
    let client = sim.client("alice-approver");
    let (chart, merge) = (&sim.seeded.main[1], &sim.seeded.main[2]);
    let succeeded_at = sim.world.clock().now();
    // Production moves on to the merge: GitHub marks the chart's deployment inactive.
    sim.world.clock().advance(Duration::from_secs(3600));
    let mut spec = github::DeploymentSpec::new(merge, "production", github::ACTIONS_BOT);
    spec.description = Some("Deploy".into());
    let id = sim.world.create_deployment(spec).unwrap();
    sim.world
        .add_deployment_status(
            id,
            github::StatusSpec::new(github::DeploymentState::Success, github::ACTIONS_BOT),
        )
        .unwrap();

    let outcomes = client.deployment_outcomes("production", 100).await.unwrap();
    let chart_outcome = outcomes.iter().find(|d| &d.sha == chart).unwrap();
    assert_eq!(chart_outcome.state, "success");
    let at: jiff::Timestamp = chart_outcome.updated_at.parse().unwrap();
    assert!(at <= succeeded_at, "{at} is the inactive status's time");
    // The history shows GitHub's latest word.
    let history = client.deployment_history("production", 100).await.unwrap();
    assert_eq!(
        history.iter().find(|d| &d.sha == chart).unwrap().state,
        "inactive"
    );

    let commit = client.commit(merge).await.unwrap().unwrap();
    assert_eq!(&commit.sha, merge);
    assert!(!commit.title.is_empty());
    assert!(commit.date.is_some());
    assert_eq!(client.commit(&"0".repeat(40)).await.unwrap(), None);
}
