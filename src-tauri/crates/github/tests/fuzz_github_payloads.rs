#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! GitHub's answers, or whatever answers in its place (a proxy, a misconfigured Enterprise
//! Server, a hostile host), reach the real client over HTTP from a server started here that
//! serves chosen bytes per route. Whatever the bytes, a poll of the GitHub source ends in
//! inputs or in a readable error on the view (the poller never dies), each client call ends in
//! a value or a typed error, and no error quotes the token.

#[path = "../../core/tests/fuzz_support/mod.rs"]
mod fuzz_support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use fuzz_support::{budget, deep_json, mutated_json, random_bytes};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use sluice_github::{GithubClient, GithubConfig, GithubSource, GithubToken, GithubView};

const TOKEN: &str = "CANARY-gh-token-0123456789";
const SHA_A: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const SHA_B: &str = "b2c3d4e5f60718293a4b5c6d7e8f901234567890";
/// Long enough for a poll on two shared cores in a debug build; a poll that takes longer hangs.
const HANG: Duration = Duration::from_secs(60);

/// The resources a poll and the client's calls read, by what the path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    User,
    RateLimit,
    Commits,
    CheckRuns,
    Pulls,
    Deployments,
    Statuses,
    Runs,
    Run,
    Approvals,
    Pending,
    Compare,
    Contents,
}

const ROUTES: [Route; 13] = [
    Route::User,
    Route::RateLimit,
    Route::Commits,
    Route::CheckRuns,
    Route::Pulls,
    Route::Deployments,
    Route::Statuses,
    Route::Runs,
    Route::Run,
    Route::Approvals,
    Route::Pending,
    Route::Compare,
    Route::Contents,
];

fn route_of(path: &str) -> Option<Route> {
    let path = path.split('?').next().unwrap_or_default();
    match path {
        "/user" => return Some(Route::User),
        "/rate_limit" => return Some(Route::RateLimit),
        _ => {}
    }
    let rest = path.strip_prefix("/repos/org/repo/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    Some(match parts.as_slice() {
        ["commits"] => Route::Commits,
        ["commits", _, "check-runs"] => Route::CheckRuns,
        ["pulls"] => Route::Pulls,
        ["deployments"] => Route::Deployments,
        ["deployments", _, "statuses"] => Route::Statuses,
        ["actions", "runs"] => Route::Runs,
        ["actions", "runs", _] => Route::Run,
        ["actions", "runs", _, "approvals"] => Route::Approvals,
        ["actions", "runs", _, "pending_deployments"] => Route::Pending,
        ["compare", _] => Route::Compare,
        ["contents", ..] => Route::Contents,
        _ => return None,
    })
}

fn commit(sha: &str) -> Value {
    json!({
        "sha": sha,
        "commit": {
            "message": "Raise the API's replicas\n\nBecause of the load test.",
            "author": {"name": "Alice", "date": "2026-11-25T09:00:00Z"},
            "committer": {"name": "GitHub", "date": "2026-11-25T09:05:00Z"}
        },
        "author": {"login": "alice"}
    })
}

/// A small repository as GitHub describes it, one answer per route.
fn valid() -> BTreeMap<Route, Value> {
    let values = base64::engine::general_purpose::STANDARD.encode("replicaCount: 2\n");
    BTreeMap::from([
        (Route::User, json!({"login": "alice", "name": "Alice"})),
        (
            Route::RateLimit,
            json!({"resources": {}, "rate": {"limit": 5000, "remaining": 4999, "used": 1, "reset": 1_800_000_000u64}}),
        ),
        (Route::Commits, json!([commit(SHA_A)])),
        (
            Route::CheckRuns,
            json!({"total_count": 2, "check_runs": [
                {"name": "build", "status": "completed", "conclusion": "success"},
                {"name": "test", "status": "in_progress", "conclusion": null}
            ]}),
        ),
        (
            Route::Pulls,
            json!([{
                "number": 7, "title": "Raise the API's replicas", "user": {"login": "bob"},
                "html_url": "https://github.com/org/repo/pull/7", "state": "open",
                "merged_at": null, "merge_commit_sha": null, "head": {"ref": "replicas", "sha": SHA_B}
            }]),
        ),
        (
            Route::Deployments,
            json!([{"id": 1, "sha": SHA_A, "environment": "production", "creator": {"login": "carol"}, "updated_at": "2026-11-25T10:00:00Z"}]),
        ),
        (
            Route::Statuses,
            json!([{"state": "success", "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:01:00Z",
                    "log_url": "https://github.com/org/repo/actions/runs/42/job/1"}]),
        ),
        (
            Route::Runs,
            json!({"total_count": 1, "workflow_runs": [{"id": 42, "head_sha": SHA_A, "actor": {"login": "bob"}}]}),
        ),
        (
            Route::Run,
            json!({"id": 42, "head_sha": SHA_A, "status": "waiting", "conclusion": null}),
        ),
        (
            Route::Approvals,
            json!([{"state": "approved", "user": {"login": "alice"}, "environments": [{"name": "production"}]}]),
        ),
        (
            Route::Pending,
            json!([{"environment": {"id": 5, "name": "production"}, "wait_timer": 0, "current_user_can_approve": true,
                    "reviewers": [{"type": "User", "reviewer": {"login": "alice"}}, {"type": "Team", "reviewer": {"slug": "release"}}]}]),
        ),
        (
            Route::Compare,
            json!({"status": "ahead", "ahead_by": 1, "behind_by": 0, "total_commits": 1, "commits": [commit(SHA_B)]}),
        ),
        (
            Route::Contents,
            json!({"type": "file", "encoding": "base64", "size": 16, "name": "values.yaml", "path": "values.yaml", "content": values}),
        ),
    ])
}

/// What the server answers: the valid repository, with some routes' bodies replaced.
#[derive(Default)]
struct Answers {
    replaced: BTreeMap<Route, Vec<u8>>,
}

/// A plain HTTP/1.1 server on a free loopback port, answering each request from [`Answers`].
struct Server {
    url: String,
    answers: Arc<Mutex<Answers>>,
}

impl Server {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answers = Arc::new(Mutex::new(Answers::default()));
        let valid: BTreeMap<Route, Vec<u8>> = valid()
            .into_iter()
            .map(|(r, v)| (r, serde_json::to_vec(&v).unwrap()))
            .collect();
        let shared = answers.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split(' ').nth(1).unwrap_or_default();
                let (status, body) = match route_of(path) {
                    Some(route) => {
                        let answers = shared.lock().unwrap();
                        let body = answers.replaced.get(&route).unwrap_or(&valid[&route]);
                        ("200 OK", body.clone())
                    }
                    None => ("404 Not Found", br#"{"message": "Not Found"}"#.to_vec()),
                };
                let mut response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                response.extend_from_slice(&body);
                let _ = stream.write_all(&response);
            }
        });
        Self { url, answers }
    }

    fn answer(&self, replaced: BTreeMap<Route, Vec<u8>>) {
        self.answers.lock().unwrap().replaced = replaced;
    }

    fn client(&self) -> GithubClient {
        let config = GithubConfig {
            api_base: self.url.clone(),
            owner: "org".into(),
            repo: "repo".into(),
            max_retries: 0,
        };
        GithubClient::new(&config, Some(&GithubToken::new(TOKEN))).unwrap()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One or two routes' bodies replaced by random bytes, deep JSON, or their valid answer
/// mutated.
fn replaced_answers() -> impl Strategy<Value = BTreeMap<Route, Vec<u8>>> {
    proptest::collection::vec(replaced_one(), 1..3).prop_map(|pairs| pairs.into_iter().collect())
}

fn replaced_one() -> impl Strategy<Value = (Route, Vec<u8>)> {
    let valid = valid();
    (0..ROUTES.len()).prop_flat_map(move |i| {
        let route = ROUTES[i];
        let body = prop_oneof![
            3 => mutated_json(valid[&route].clone()),
            1 => random_bytes(),
            1 => deep_json(),
        ];
        (Just(route), body)
    })
}

fn assert_readable(error: &str) {
    assert!(!error.trim().is_empty());
    assert!(!error.contains("CANARY"), "the token leaked: {error}");
}

/// One full poll of the GitHub source against what the server answers now: the view it ends
/// with, synced or with an error.
fn poll_once(runtime: &tokio::runtime::Runtime, client: &GithubClient) -> GithubView {
    runtime.block_on(async {
        let source = GithubSource::start(client, Duration::from_secs(3600)).unwrap();
        // Asked before the poller first runs (nothing has yielded yet), so the first poll
        // reads the comparison and the checks too.
        source.want(
            vec![(SHA_A.to_owned(), SHA_B.to_owned())],
            vec![SHA_A.to_owned()],
        );
        let mut view = source.subscribe();
        loop {
            match tokio::time::timeout(HANG, view.changed()).await {
                Err(_) => panic!("the poll hung"),
                Ok(Err(_)) => panic!("the poller stopped: it panicked"),
                Ok(Ok(())) => {}
            }
            let now = view.borrow_and_update().clone();
            if now.synced || now.last_error.is_some() {
                return now;
            }
        }
    })
}

#[test]
fn the_valid_repository_polls_into_inputs() {
    let server = Server::start();
    let runtime = runtime();
    let _in_runtime = runtime.enter();
    let view = poll_once(&runtime, &server.client());
    assert!(view.synced, "{:?}", view.last_error);
    let inputs = view.inputs;
    assert_eq!(inputs.viewer.as_deref(), Some("alice"));
    assert_eq!(inputs.commits[0].title, "Raise the API's replicas");
    assert_eq!(inputs.pull_requests.len(), 1);
    assert_eq!(inputs.deployments[0].approved_by.as_deref(), Some("alice"));
    assert_eq!(
        inputs.waiting_runs[0].environments,
        [("production".to_owned(), true)]
    );
    assert_eq!(inputs.checks[SHA_A].len(), 2);
    assert_eq!(
        inputs.comparisons[&(SHA_A.to_owned(), SHA_B.to_owned())].ahead_by,
        1
    );
}

#[test]
fn any_answer_polls_into_inputs_or_a_readable_error() {
    let server = Server::start();
    let runtime = runtime();
    // octocrab's service starts its buffer task on the runtime it is built in.
    let _in_runtime = runtime.enter();
    let client = server.client();
    let mut runner = TestRunner::new(budget(32));
    runner
        .run(&replaced_answers(), |replaced| {
            server.answer(replaced);
            let view = poll_once(&runtime, &client);
            if let Some(error) = &view.last_error {
                assert_readable(error);
                prop_assert!(!view.connected);
            } else {
                prop_assert!(view.synced && view.connected);
            }
            Ok(())
        })
        .unwrap();
}

/// The client's own calls (octocrab's models and ours) on any answer: a value or a typed error.
#[test]
fn any_answer_to_a_client_call_is_a_value_or_an_error() {
    let server = Server::start();
    let runtime = runtime();
    // octocrab's service starts its buffer task on the runtime it is built in.
    let _in_runtime = runtime.enter();
    let client = server.client();
    let mut runner = TestRunner::new(budget(32));
    runner
        .run(&replaced_answers(), |replaced| {
            server.answer(replaced);
            runtime.block_on(async {
                let errors = [
                    client.identity().await.err(),
                    client.rate_budget().await.err(),
                    client.run(42).await.err(),
                    client.pending_deployments(42).await.err(),
                    client.open_pulls().await.err(),
                    client.check_state(SHA_A).await.err(),
                    client.compare(SHA_A, SHA_B).await.err(),
                    client.waiting_runs().await.err(),
                ];
                for e in errors.into_iter().flatten() {
                    assert_readable(&e.to_string());
                }
                match client.file_at("values.yaml", SHA_A).await {
                    Ok(Some(text)) => {
                        assert!(text.len() as u64 <= sluice_github::MAX_FILE_BYTES)
                    }
                    Ok(None) => panic!("a file that was answered read as missing"),
                    Err(e) => assert_readable(&e.to_string()),
                }
            });
            Ok(())
        })
        .unwrap();
}
