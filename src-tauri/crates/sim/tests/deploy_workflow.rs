#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! What the simulated GitHub's deploy runs show is what the shipped workflow
//! (`environments/github/deploy.yml`) does: its name and path, its jobs' names, the environment
//! each job deploys, and the event each job runs on. The workflow is read here on its own, not
//! through the simulator's parser, and the runs are read over REST as Sluice reads them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use sluice_sim::people::Role;
use sluice_sim::story::StoryOptions;
use sluice_sim::{SimWorld, WorldOptions, testing};

/// One job of the shipped workflow, as its YAML says.
#[derive(Debug)]
struct Job {
    name: String,
    environment: String,
    condition: String,
    needs: Vec<String>,
}

fn shipped_workflow() -> (String, BTreeMap<String, Job>) {
    let path = testing::shipped_pipeline_dir().join("github/deploy.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    let jobs = doc["jobs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, j)| {
            let needs = match &j["needs"] {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a.iter().map(|n| n.as_str().unwrap().to_owned()).collect(),
                _ => Vec::new(),
            };
            let job = Job {
                name: j["name"].as_str().unwrap().to_owned(),
                environment: j["environment"].as_str().unwrap().to_owned(),
                condition: j["if"].as_str().unwrap_or_default().to_owned(),
                needs,
            };
            (id.clone(), job)
        })
        .collect();
    (doc["name"].as_str().unwrap().to_owned(), jobs)
}

/// Whether the workflow runs `job` on `event`: its condition names the event, or it follows a
/// job that runs on it.
fn runs_on(jobs: &BTreeMap<String, Job>, job: &Job, event: &str) -> bool {
    job.condition
        .contains(&format!("github.event_name == '{event}'"))
        || job.needs.iter().any(|n| runs_on(jobs, &jobs[n], event))
}

struct Rest {
    base: String,
    http: reqwest::Client,
}

impl Rest {
    async fn get(&self, path: &str) -> Value {
        let url = format!("{}/repos/tbyte-org/tbyte{path}", self.base);
        let resp = self.http.get(&url).send().await.unwrap();
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.unwrap()
    }
}

#[tokio::test]
async fn simulated_deploy_runs_follow_the_shipped_workflow() {
    let (workflow_name, jobs) = shipped_workflow();
    assert_eq!(workflow_name, "Deploy");
    let environments: Vec<&str> = jobs.values().map(|j| j.environment.as_str()).collect();
    assert_eq!(environments, ["dev", "production", "staging"]);

    // The story's prologue leaves a merge's run with production waiting on a reviewer.
    let world = SimWorld::start(WorldOptions {
        start: "2026-11-26T09:00:00Z".parse().unwrap(),
        speed: 0.0,
        story: Some(StoryOptions::default()),
        ..WorldOptions::default()
    })
    .await
    .unwrap();
    let rest = Rest {
        base: world.github_server.url(),
        http: reqwest::Client::new(),
    };
    let dave = world.person(Role::Developer).clone();
    // A pull request deploys to dev; a dispatch deploys production with a version.
    world
        .github
        .start_deploy_run("dev", &world.seeded.feature_branch, &dave.login)
        .unwrap();
    let dispatched = rest
        .http
        .post(format!(
            "{}/repos/tbyte-org/tbyte/actions/workflows/deploy.yml/dispatches",
            rest.base
        ))
        .bearer_auth(&dave.github_token)
        .json(&json!({
            "ref": "main",
            "inputs": {"environment": "production", "version": world.seeded.main[2]},
            "return_run_details": true,
        }))
        .send()
        .await
        .unwrap();
    assert!(dispatched.status().is_success(), "{}", dispatched.status());
    let dispatched: Value = dispatched.json().await.unwrap();
    let dispatched = dispatched["workflow_run_id"].as_u64().unwrap();

    // The dispatched run's job is started by the world's deploy task, not by the request.
    let mut seen = BTreeMap::new();
    for _ in 0..200 {
        let runs = rest.get("/actions/runs?per_page=100").await;
        seen.clear();
        for run in runs["workflow_runs"].as_array().unwrap() {
            if run["path"] != ".github/workflows/deploy.yml" {
                continue;
            }
            let id = run["id"].as_u64().unwrap();
            let listed = rest.get(&format!("/actions/runs/{id}/jobs")).await;
            seen.insert(
                id,
                (run.clone(), listed["jobs"].as_array().unwrap().clone()),
            );
        }
        if seen.get(&dispatched).is_some_and(|(_, j)| !j.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let events: Vec<&str> = seen
        .values()
        .map(|(r, _)| r["event"].as_str().unwrap())
        .collect();
    for event in ["pull_request", "push", "workflow_dispatch"] {
        assert!(events.contains(&event), "no {event} run among {events:?}");
    }

    let by_name: BTreeMap<&str, &Job> = jobs.values().map(|j| (j.name.as_str(), j)).collect();
    for (id, (run, run_jobs)) in &seen {
        assert_eq!(run["name"], workflow_name, "run {id}");
        let event = run["event"].as_str().unwrap();
        assert!(!run_jobs.is_empty(), "run {id} ({event}) has no job");
        for job in run_jobs {
            let name = job["name"].as_str().unwrap();
            let declared = by_name
                .get(name)
                .unwrap_or_else(|| panic!("run {id}: job `{name}` is not in deploy.yml"));
            assert!(
                runs_on(&jobs, declared, event),
                "run {id}: `{name}` does not run on {event} in deploy.yml"
            );
        }
        // Each environment waiting for a review is the one a job of this run deploys.
        let pending = rest
            .get(&format!("/actions/runs/{id}/pending_deployments"))
            .await;
        for gate in pending.as_array().unwrap() {
            let env = gate["environment"]["name"].as_str().unwrap();
            let deploying = run_jobs
                .iter()
                .any(|j| by_name[j["name"].as_str().unwrap()].environment == env);
            assert!(deploying, "run {id} waits on {env} but no job deploys it");
        }
    }
    // The prologue's merge run: staging deployed, production's job waiting on its reviewers.
    let (_, merge_jobs) = seen.values().find(|(r, _)| r["event"] == "push").unwrap();
    let names: Vec<&str> = merge_jobs
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            &*jobs["deploy-staging"].name,
            &*jobs["deploy-production"].name
        ]
    );
    assert_eq!(merge_jobs[1]["status"], "waiting");
    let (_, dispatch_jobs) = &seen[&dispatched];
    assert_eq!(dispatch_jobs[0]["name"], jobs["deploy-production"].name);

    // Every deployment GitHub records names one of the workflow's environments.
    let deployments = rest.get("/deployments?per_page=100").await;
    for d in deployments.as_array().unwrap() {
        let env = d["environment"].as_str().unwrap();
        assert!(environments.contains(&env), "deployment to {env}");
    }
}
