#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The GitHub source polling the simulated GitHub, started in-process: what it reads, what it
//! costs, and how it rides out rate limits and outages.

use std::time::{Duration, Instant};

use sluice_core::snapshot::CheckState;
use sluice_github::{GithubClient, GithubConfig, GithubSource, GithubToken, GithubView};
use sluice_sim::github::{self, ACTIONS_BOT, GithubWorld, Seeded};
use sluice_sim::{Faults, Person, ScenarioClock, SimServer, people, testing};
use tokio::sync::watch;

const FAST: Duration = Duration::from_millis(100);
const PATIENCE: Duration = Duration::from_secs(15);

struct Sim {
    world: GithubWorld,
    server: SimServer,
    people: Vec<Person>,
    seeded: Seeded,
}

impl Sim {
    async fn start() -> Self {
        let people = people::cast();
        // A stopped scenario clock: nothing in the repository changes unless a test changes it.
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
        let person = self.people.iter().find(|p| p.login == login).unwrap();
        GithubToken::new(&person.github_token)
    }

    fn source(&self, login: Option<&str>) -> GithubSource {
        self.source_with(login.map(|l| self.token(l)))
    }

    fn source_with(&self, token: Option<GithubToken>) -> GithubSource {
        let config = GithubConfig {
            api_base: self.server.url(),
            owner: "tbyte-org".into(),
            repo: "tbyte".into(),
            max_retries: 3,
        };
        let client = GithubClient::new(&config, token.as_ref()).unwrap();
        GithubSource::start(&client, FAST).unwrap()
    }

    fn requests(&self, login: &str) -> u64 {
        self.world.requests_seen(Some(self.token(login).expose()))
    }

    fn points(&self, login: &str) -> u64 {
        self.world.points_spent(Some(self.token(login).expose()))
    }
}

/// The first view that satisfies `pred`, or a failure naming what was waited for and showing
/// the last view.
async fn until(
    rx: &mut watch::Receiver<GithubView>,
    what: &str,
    pred: impl Fn(&GithubView) -> bool,
) -> GithubView {
    match testing::until(rx, PATIENCE, what, pred).await {
        Ok(view) => view,
        Err(e) => panic!("{e}: {:#?}", *rx.borrow()),
    }
}

/// Waits (in real time) until `enough` holds of the simulator's counters.
async fn until_counted(what: &str, mut enough: impl FnMut() -> bool) {
    let started = Instant::now();
    while !enough() {
        assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn after_sync_the_inputs_describe_the_seeded_repository() {
    let sim = Sim::start().await;
    let alice = sim.source(Some("alice-approver"));
    let mut rx = alice.subscribe();
    let view = until(&mut rx, "the first poll", |v| v.synced).await;
    assert!(view.connected);
    assert_eq!(view.last_error, None);
    let at: jiff::Timestamp = view.last_event_at.as_deref().unwrap().parse().unwrap();
    assert!(at.duration_until(jiff::Timestamp::now()).as_secs() < 60);
    let inputs = &view.inputs;
    assert_eq!(inputs.viewer.as_deref(), Some("alice-approver"));
    assert!(inputs.rate_remaining.is_some_and(|r| r > 4900));

    // The default branch's history, newest first: the merge, the merged change, then `main`'s
    // first two commits.
    let shas: Vec<&String> = inputs.commits.iter().map(|c| &c.sha).collect();
    assert_eq!(shas.len(), 4);
    assert_eq!(shas[0], &sim.seeded.main[2]);
    assert_eq!(shas[2..], [&sim.seeded.main[1], &sim.seeded.main[0]]);
    assert_eq!(
        inputs.commits[0].title,
        "Merge pull request #1 from tbyte-org/feature/healthz"
    );
    assert_eq!(inputs.commits[0].author, "dave-developer");
    assert!(inputs.commits[0].date.is_some());

    let open: Vec<_> = inputs.pull_requests.iter().filter(|p| p.open).collect();
    assert_eq!(open.len(), 1);
    assert_eq!(u64::from(open[0].number), sim.seeded.open_pull);
    assert_eq!(open[0].head_sha, sim.seeded.feature_head);
    assert_eq!(open[0].author, "dave-developer");
    assert_eq!(open[0].merge_commit_sha, None);
    assert!(open[0].url.ends_with(&format!("/pull/{}", open[0].number)));
    // `build` passed, `test` is still running.
    assert_eq!(open[0].checks, CheckState::Pending);
    let merged = inputs
        .pull_requests
        .iter()
        .find(|p| u64::from(p.number) == sim.seeded.merged_pull)
        .unwrap();
    assert!(!merged.open);
    assert_eq!(merged.merge_commit_sha.as_ref(), Some(&sim.seeded.main[2]));

    let deployed: Vec<(&str, &str, &str, &str)> = inputs
        .deployments
        .iter()
        .map(|d| {
            (
                d.environment.as_str(),
                d.sha.as_str(),
                d.state.as_str(),
                d.creator.as_str(),
            )
        })
        .collect();
    let (chart, merge) = (sim.seeded.main[1].as_str(), sim.seeded.main[2].as_str());
    assert_eq!(
        deployed,
        [
            ("dev", merge, "success", ACTIONS_BOT),
            ("production", chart, "success", ACTIONS_BOT),
            ("staging", merge, "success", ACTIONS_BOT),
        ]
    );
    assert!(inputs.waiting_runs.is_empty());

    // The checks the console asks about arrive without waiting for the next interval.
    alice.want(Vec::new(), vec![sim.seeded.feature_head.clone()]);
    let view = until(&mut rx, "the asked-for checks", |v| {
        !v.inputs.checks.is_empty()
    })
    .await;
    assert_eq!(
        view.inputs.checks[&sim.seeded.feature_head],
        [
            ("build".to_owned(), CheckState::Success),
            ("test".to_owned(), CheckState::Pending)
        ]
    );

    // A production deploy waits for a reviewer: the approver may approve it, its author not.
    let dave = sim.source(Some("dave-developer"));
    let mut dave_rx = dave.subscribe();
    let run = sim
        .world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    for (rx, can_approve) in [(&mut rx, true), (&mut dave_rx, false)] {
        let view = until(rx, "the waiting run", |v| !v.inputs.waiting_runs.is_empty()).await;
        let waiting = &view.inputs.waiting_runs[0];
        assert_eq!(waiting.run_id, run);
        assert_eq!(waiting.head_sha, sim.seeded.main[2]);
        assert_eq!(waiting.actor, "dave-developer");
        assert_eq!(
            waiting.environments,
            [("production".to_owned(), can_approve)]
        );
    }

    // Once approved, the run stops waiting and production's latest deployment is the new one,
    // by whom the run was started.
    let env = sim.world.environment_id("production").unwrap();
    sim.world
        .review_pending(
            run,
            &[env],
            github::ReviewState::Approved,
            "Ship it",
            "alice-approver",
        )
        .unwrap();
    let view = until(&mut rx, "the approval", |v| {
        v.inputs.waiting_runs.is_empty()
    })
    .await;
    let production = view
        .inputs
        .deployments
        .iter()
        .find(|d| d.environment == "production")
        .unwrap();
    assert_eq!(
        (production.sha.as_str(), production.state.as_str()),
        (merge, "pending")
    );
    // GitHub Actions creates the deployment of an approved environment job, not its author.
    assert_eq!(production.creator, "github-actions[bot]");
}

#[tokio::test]
async fn anonymous_reads_work_for_a_public_repository() {
    let sim = Sim::start().await;
    sim.world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    let source = sim.source(None);
    let mut rx = source.subscribe();
    let view = until(&mut rx, "the first poll", |v| v.synced).await;
    assert!(view.connected, "{view:#?}");
    assert_eq!(view.inputs.viewer, None);
    assert_eq!(
        view.inputs.pull_requests.iter().filter(|p| p.open).count(),
        1
    );
    assert_eq!(view.inputs.deployments.len(), 3);
    assert_eq!(
        view.inputs.waiting_runs[0].environments,
        [("production".to_owned(), false)]
    );
}

#[tokio::test]
async fn a_quiet_repository_costs_no_rate_limit_after_the_first_poll() {
    let sim = Sim::start().await;
    let source = sim.source(Some("alice-approver"));
    let (production, staging) = (sim.seeded.main[1].clone(), sim.seeded.main[2].clone());
    source.want(
        vec![(production, staging.clone())],
        vec![staging, sim.seeded.feature_head.clone()],
    );
    let mut rx = source.subscribe();
    until(&mut rx, "a poll with the comparison", |v| {
        v.synced && !v.inputs.comparisons.is_empty() && v.inputs.checks.len() == 2
    })
    .await;
    // Let the poll in flight (if any) finish, then count from a quiet start.
    tokio::time::sleep(FAST * 3).await;
    rx.mark_unchanged();
    let (points, requests) = (sim.points("alice-approver"), sim.requests("alice-approver"));
    let per_poll = 11; // commits, 2 pull lists, deployments + 3 statuses, runs, 3 checks
    until_counted("ten more polls", || {
        sim.requests("alice-approver") >= requests + 10 * per_poll
    })
    .await;
    assert_eq!(
        sim.points("alice-approver"),
        points,
        "every further poll was answered 304, for free"
    );
    let view = source.view();
    assert!(view.connected && view.last_error.is_none());
    assert!(
        !rx.has_changed().unwrap(),
        "nothing changed, so nothing was published"
    );

    // A change is seen, published and paid for: only the resources that changed cost a point.
    let head = sim
        .world
        .commit(
            &sim.seeded.feature_branch,
            "dave-developer",
            "Tune the cache size",
        )
        .unwrap();
    let view = until(&mut rx, "the new head", |v| {
        v.inputs.pull_requests.iter().any(|p| p.head_sha == head)
    })
    .await;
    assert!(view.connected);
    let spent = sim.points("alice-approver") - points;
    assert!(
        (1..=4).contains(&spent),
        "spent {spent} points on one change"
    );
}

#[tokio::test]
async fn a_secondary_limit_is_waited_out_without_a_storm() {
    let sim = Sim::start().await;
    let source = sim.source(Some("alice-approver"));
    let mut rx = source.subscribe();
    until(&mut rx, "the first poll", |v| v.synced).await;
    let before = source.view().inputs;

    let tripped = Instant::now();
    sim.world.trip_secondary_limit(1, 3);
    let view = until(&mut rx, "the rate limit to show", |v| !v.connected).await;
    let error = view.last_error.unwrap();
    assert!(error.contains("secondary rate limit"), "{error}");
    assert!(error.contains("retrying in 3"), "{error}");
    assert_eq!(view.inputs, before, "the last inputs stay while waiting");
    assert!(view.synced);

    let at_error = sim.requests("alice-approver");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        sim.requests("alice-approver"),
        at_error,
        "no request while GitHub asked to wait"
    );

    let view = until(&mut rx, "recovery", |v| v.connected).await;
    assert!(
        tripped.elapsed() >= Duration::from_secs(3),
        "came back after {:?}",
        tripped.elapsed()
    );
    assert_eq!(view.last_error, None);
    assert_eq!(view.inputs.commits, before.commits);
}

#[tokio::test]
async fn an_exhausted_primary_limit_waits_for_the_reset() {
    let sim = Sim::start().await;
    let source = sim.source(Some("alice-approver"));
    let mut rx = source.subscribe();
    until(&mut rx, "the first poll", |v| v.synced).await;

    sim.world.exhaust_primary_limit(1);
    let view = until(&mut rx, "the exhausted limit to show", |v| !v.connected).await;
    let error = view.last_error.unwrap();
    assert!(error.contains("API rate limit exceeded"), "{error}");
    assert_eq!(view.inputs.rate_remaining, Some(0));
    // The simulator's window resets within the hour, as GitHub's does: the source waits for it
    // rather than trying again after its poll interval.
    let secs: f64 = error
        .rsplit("retrying in ")
        .next()
        .and_then(|s| s.trim_end_matches(" s").parse().ok())
        .unwrap();
    assert!((60.0..=3661.0).contains(&secs), "{error}");
    let at_error = sim.requests("alice-approver");
    tokio::time::sleep(FAST * 10).await;
    assert_eq!(sim.requests("alice-approver"), at_error);
}

#[tokio::test]
async fn an_outage_disconnects_and_the_source_comes_back_by_itself() {
    let sim = Sim::start().await;
    let source = sim.source(Some("alice-approver"));
    let mut rx = source.subscribe();
    until(&mut rx, "the first poll", |v| v.synced).await;
    let before = source.view().inputs;

    sim.server.stop().await;
    let view = until(&mut rx, "the outage to show", |v| !v.connected).await;
    assert!(
        view.last_error
            .as_deref()
            .is_some_and(|e| e.contains("could not talk to GitHub")),
        "{view:#?}"
    );
    assert_eq!(
        view.inputs, before,
        "the last inputs stay during the outage"
    );
    sim.server.resume().await.unwrap();
    let view = until(&mut rx, "reconnection", |v| v.connected).await;
    assert_eq!(view.last_error, None);
    assert_eq!(view.inputs.commits, before.commits);

    // GitHub's own trouble (5xx) is an outage too.
    sim.server.faults().fail_next(2, 503);
    let view = until(&mut rx, "the 503 to show", |v| !v.connected).await;
    assert!(
        view.last_error
            .as_deref()
            .is_some_and(|e| e.contains("503")),
        "{view:#?}"
    );
    let view = until(&mut rx, "recovery from the 503s", |v| v.connected).await;
    assert_eq!(view.inputs.commits, before.commits);
}

#[tokio::test]
async fn comparisons_list_the_commits_between_two_environments() {
    let sim = Sim::start().await;
    let source = sim.source(Some("alice-approver"));
    let mut rx = source.subscribe();
    let view = until(&mut rx, "the first poll", |v| v.synced).await;
    let sha_of = |env: &str| {
        view.inputs
            .deployments
            .iter()
            .find(|d| d.environment == env)
            .unwrap()
            .sha
            .clone()
    };
    let pair = (sha_of("production"), sha_of("staging"));
    // Refs GitHub does not know do not break the poll.
    let unknown = ("0".repeat(40), sha_of("staging"));
    source.want(vec![pair.clone(), unknown.clone()], vec!["f".repeat(40)]);
    let view = until(&mut rx, "the comparison", |v| {
        v.inputs.comparisons.contains_key(&pair)
    })
    .await;
    assert!(view.connected, "{view:#?}");
    assert!(!view.inputs.comparisons.contains_key(&unknown));
    // A commit GitHub does not know is recorded as asked, with no checks.
    assert_eq!(
        view.inputs.checks.get(&"f".repeat(40)).map(Vec::len),
        Some(0)
    );
    let cmp = &view.inputs.comparisons[&pair];
    assert_eq!((cmp.ahead_by, cmp.behind_by), (2, 0));
    let titles: Vec<&str> = cmp.commits.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Add /healthz endpoint for the readiness probe",
            "Merge pull request #1 from tbyte-org/feature/healthz"
        ],
        "oldest first"
    );
    assert_eq!(cmp.commits[1].sha, pair.1);

    // What lies between two commits never changes: once answered, it is not asked again.
    source.want(vec![pair.clone()], Vec::new());
    until(&mut rx, "the poll without the unknown commit", |v| {
        v.inputs.checks.is_empty()
    })
    .await;
    let (asked, requests) = (
        sim.world.comparisons_asked(),
        sim.requests("alice-approver"),
    );
    // A poll here is commits, 2 pull lists, deployments and their 3 statuses, runs.
    until_counted("ten more polls", || {
        sim.requests("alice-approver") >= requests + 10 * 8
    })
    .await;
    assert_eq!(sim.world.comparisons_asked(), asked);
    assert_eq!(source.view().inputs.comparisons[&pair], *cmp);

    // Asking for nothing more drops the answer.
    source.want(Vec::new(), Vec::new());
    until(&mut rx, "the comparison to go", |v| {
        v.inputs.comparisons.is_empty()
    })
    .await;
}

#[tokio::test]
async fn a_rejected_token_is_reported_without_showing_it_and_dropping_stops_polling() {
    let sim = Sim::start().await;
    let secret = GithubToken::new("ghp_this_is_not_valid");
    let source = sim.source_with(Some(secret));
    let mut rx = source.subscribe();
    let view = until(&mut rx, "the refusal to show", |v| v.last_error.is_some()).await;
    let error = view.last_error.unwrap();
    assert!(
        error.starts_with("GitHub did not accept the credentials: Bad credentials"),
        "{error}"
    );
    assert!(!error.contains("this_is_not_valid"));
    assert!(!view.connected && !view.synced);

    let alice = sim.source(Some("alice-approver"));
    let mut alice_rx = alice.subscribe();
    until(&mut alice_rx, "the first poll", |v| v.synced).await;
    drop(alice);
    // Let a request already on the wire land before counting.
    tokio::time::sleep(FAST).await;
    let seen = sim.requests("alice-approver");
    tokio::time::sleep(FAST * 5).await;
    assert_eq!(
        sim.requests("alice-approver"),
        seen,
        "a dropped source polls no more"
    );
    assert!(
        tokio::time::timeout(PATIENCE, alice_rx.changed())
            .await
            .unwrap()
            .is_err(),
        "its followers learn it is gone"
    );
}
