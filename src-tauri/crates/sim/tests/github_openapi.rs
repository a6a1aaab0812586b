//! Every kind of response the simulated GitHub sends is checked against GitHub's official
//! OpenAPI description (npm `@octokit/openapi`, the dereferenced api.github.com document) for
//! the operation and status it answers. Statuses an operation does not document (GitHub sends
//! 401/403/404/429/5xx on every route) are checked against the description's shared response of
//! that status (`requires_authentication`, `forbidden`, …), and the test says which ones.

// Test helpers outside #[test] functions fail loudly too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Value, json};
use sluice_sim::github::{self, GithubWorld, Seeded};
use sluice_sim::{Faults, Person, ScenarioClock, SimServer, people};

// ---------------------------------------------------------------------------------------------
// The description, loaded once per test binary

fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../..")
        .join("node_modules/@octokit/openapi/generated/api.github.com.deref.json")
}

struct WantedPaths(HashMap<String, Value>);

impl<'de> Deserialize<'de> for WantedPaths {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WantedPaths;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the paths object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WantedPaths, A::Error> {
                let wanted: HashSet<&str> = github::ENDPOINTS.iter().map(|(_, p)| *p).collect();
                let mut out = HashMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    // The document is 70 MB: keep only the operations the simulator serves.
                    if wanted.contains(key.as_str()) {
                        out.insert(key, map.next_value::<Value>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(WantedPaths(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct RawSpec {
    openapi: String,
    paths: WantedPaths,
}

struct Spec {
    paths: HashMap<String, Value>,
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = spec_path();
        let file = std::fs::File::open(&path).unwrap_or_else(|e| {
            panic!(
                "GitHub's OpenAPI description is missing ({}: {e}); run `npm ci` in the repository root",
                path.display()
            )
        });
        let raw: RawSpec = serde_json::from_reader(std::io::BufReader::new(file)).expect("parse OpenAPI description");
        assert!(raw.openapi.starts_with("3.0"), "expected OpenAPI 3.0 (nullable), got {}", raw.openapi);
        Spec { paths: raw.paths.0 }
    })
}

/// OpenAPI 3.0 schema objects → JSON Schema draft 4: `nullable: true` becomes a `null` type
/// (and a `null` enum member); the rest is already JSON Schema.
fn to_json_schema(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, val) in map {
                let converted = match k.as_str() {
                    "properties" | "patternProperties" => match val {
                        Value::Object(props) => Value::Object(
                            props
                                .iter()
                                .map(|(name, s)| (name.clone(), to_json_schema(s)))
                                .collect(),
                        ),
                        other => other.clone(),
                    },
                    "items" | "additionalProperties" | "not" => to_json_schema(val),
                    "allOf" | "anyOf" | "oneOf" => match val {
                        Value::Array(items) => {
                            Value::Array(items.iter().map(to_json_schema).collect())
                        }
                        other => other.clone(),
                    },
                    // Examples are data, not schema, and `discriminator` is OpenAPI-only.
                    "example" | "examples" | "discriminator" | "nullable" => continue,
                    _ => val.clone(),
                };
                out.insert(k.clone(), converted);
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(t) = out.get("type").and_then(Value::as_str).map(str::to_owned) {
                    out.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(e)) = out.get_mut("enum") {
                        e.push(Value::Null);
                    }
                } else {
                    return json!({"anyOf": [Value::Object(out), {"type": "null"}]});
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&to_json_schema(schema))
        .expect("compile schema")
}

enum Expect {
    /// The operation documents this status with this JSON schema.
    Documented(Value),
    /// Not documented for the operation; GitHub's shared response of that status.
    Shared(&'static str, Value),
    /// Documented without a body (204, 304, GitHub's 409 for deployments).
    NoBody,
}

/// The dereferenced document inlines GitHub's shared responses (`components/responses`), so
/// each is taken from an operation that documents it.
fn shared_response_for(status: u16) -> (&'static str, &'static str, &'static str, u16) {
    match status {
        400 => ("bad_request", "get", "/repos/{owner}/{repo}/commits", 400),
        401 => ("requires_authentication", "get", "/user", 401),
        // A rate-limited 429 carries the same basic error as a 403.
        403 | 429 => ("forbidden", "get", "/user", 403),
        404 => ("not_found", "get", "/repos/{owner}/{repo}", 404),
        409 => ("conflict", "get", "/repos/{owner}/{repo}/commits", 409),
        422 => (
            "validation_failed",
            "get",
            "/repos/{owner}/{repo}/pulls",
            422,
        ),
        503 => (
            "service_unavailable",
            "get",
            "/repos/{owner}/{repo}/pulls/{pull_number}",
            503,
        ),
        _ => (
            "internal_error",
            "get",
            "/repos/{owner}/{repo}/pulls/{pull_number}",
            500,
        ),
    }
}

fn json_schema_of(response: &Value) -> Option<Value> {
    response
        .pointer("/content/application~1json/schema")
        .cloned()
}

fn expectation(method: &str, path: &str, status: u16) -> Expect {
    let spec = spec();
    let op = spec
        .paths
        .get(path)
        .and_then(|p| p.get(method))
        .unwrap_or_else(|| panic!("{method} {path} is not in GitHub's description"));
    if let Some(response) = op.pointer(&format!("/responses/{status}")) {
        return json_schema_of(response).map_or(Expect::NoBody, Expect::Documented);
    }
    let (name, m, p, st) = shared_response_for(status);
    let response = spec
        .paths
        .get(p)
        .and_then(|item| item.get(m))
        .and_then(|o| o.pointer(&format!("/responses/{st}")))
        .unwrap_or_else(|| panic!("{m} {p} no longer documents {st} ({name})"));
    Expect::Shared(
        name,
        json_schema_of(response).unwrap_or_else(|| panic!("{name} has no schema")),
    )
}

fn violations(schema: &Value, body: &Value) -> Vec<String> {
    validator(schema)
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A client that checks every answer

struct Checker {
    http: reqwest::Client,
    base: String,
    repo: String,
    validated: BTreeSet<(String, String, u16)>,
    shared_used: BTreeSet<(String, String, u16, &'static str)>,
}

impl Checker {
    async fn call(
        &mut self,
        method: &str,
        op: &str,
        url: &str,
        token: Option<&str>,
        body: Option<Value>,
        expected: u16,
    ) -> Value {
        let full = format!("{}{}", self.base, url.replace("{repo}", &self.repo));
        let mut req = match method {
            "get" => self.http.get(&full),
            "post" => self.http.post(&full),
            other => panic!("method {other}"),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req = match body {
            Some(Value::String(raw)) => req.header("content-type", "application/json").body(raw),
            Some(b) => req.json(&b),
            None => req,
        };
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        assert_eq!(status, expected, "{method} {url}: {text}");
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        match expectation(method, op, status) {
            Expect::Documented(schema) => {
                let errs = violations(&schema, &value);
                assert!(
                    errs.is_empty(),
                    "{method} {url} → {status} violates {op}: {errs:#?}\n{value:#}"
                );
            }
            Expect::Shared(name, schema) => {
                let errs = violations(&schema, &value);
                assert!(
                    errs.is_empty(),
                    "{method} {url} → {status} violates {name}: {errs:#?}\n{value:#}"
                );
                self.shared_used
                    .insert((method.into(), op.into(), status, name));
            }
            Expect::NoBody => {}
        }
        self.validated
            .insert((method.to_owned(), op.to_owned(), status));
        value
    }
}

struct World {
    world: GithubWorld,
    server: SimServer,
    people: Vec<Person>,
    seeded: Seeded,
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
}

const REPO: &str = "/repos/{owner}/{repo}";

fn op(suffix: &str) -> String {
    format!("{REPO}{suffix}")
}

#[tokio::test]
async fn every_response_matches_githubs_openapi_description() {
    let w = World::start().await;
    let alice = w.token("alice-approver");
    let dave = w.token("dave-developer");
    let vera = w.token("vera-viewer");
    let (a, d, v) = (
        Some(alice.as_str()),
        Some(dave.as_str()),
        Some(vera.as_str()),
    );
    let mut c = Checker {
        http: reqwest::Client::new(),
        base: w.server.url(),
        repo: "/repos/tbyte-org/tbyte".into(),
        validated: BTreeSet::new(),
        shared_used: BTreeSet::new(),
    };
    let s = &w.seeded;
    let head = s.feature_head.clone();
    let main = s.main.last().unwrap().clone();

    // Identity and limits.
    let me = c.call("get", "/user", "/user", a, None, 200).await;
    assert_eq!(me["login"], "alice-approver");
    c.call("get", "/user", "/user", None, None, 401).await;
    c.call("get", "/user", "/user", Some("ghp_not_a_token"), None, 401)
        .await;
    c.call("get", "/rate_limit", "/rate_limit", a, None, 200)
        .await;
    c.call("get", "/rate_limit", "/rate_limit", None, None, 200)
        .await;

    // Repository, pulls, commits, checks.
    c.call("get", REPO, "{repo}", a, None, 200).await;
    c.call("get", REPO, "{repo}", None, None, 200).await;
    c.call("get", REPO, "/repos/tbyte-org/nope", a, None, 404)
        .await;
    let open = c
        .call("get", &op("/pulls"), "{repo}/pulls", None, None, 200)
        .await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    c.call(
        "get",
        &op("/pulls"),
        "{repo}/pulls?state=all&per_page=1",
        None,
        None,
        200,
    )
    .await;
    c.call(
        "get",
        &op("/pulls"),
        "{repo}/pulls?state=bogus",
        None,
        None,
        422,
    )
    .await;
    let pulls = op("/pulls/{pull_number}");
    c.call(
        "get",
        &pulls,
        &format!("{{repo}}/pulls/{}", s.merged_pull),
        None,
        None,
        200,
    )
    .await;
    c.call(
        "get",
        &pulls,
        &format!("{{repo}}/pulls/{}", s.open_pull),
        a,
        None,
        200,
    )
    .await;
    c.call("get", &pulls, "{repo}/pulls/999", None, None, 404)
        .await;
    c.call(
        "get",
        &pulls,
        "{repo}/pulls/99999999999999999999999",
        None,
        None,
        404,
    )
    .await;
    c.call("get", &op("/commits"), "{repo}/commits", None, None, 200)
        .await;
    c.call(
        "get",
        &op("/commits"),
        &format!("{{repo}}/commits?sha={}", s.feature_branch),
        None,
        None,
        200,
    )
    .await;
    c.call(
        "get",
        &op("/commits"),
        "{repo}/commits?sha=nope",
        None,
        None,
        404,
    )
    .await;
    let commit = op("/commits/{ref}");
    c.call(
        "get",
        &commit,
        &format!("{{repo}}/commits/{main}"),
        None,
        None,
        200,
    )
    .await;
    c.call("get", &commit, "{repo}/commits/main", None, None, 200)
        .await;
    c.call(
        "get",
        &commit,
        "{repo}/commits/0123456789abcdef",
        None,
        None,
        422,
    )
    .await;
    let checks = op("/commits/{ref}/check-runs");
    let runs = c
        .call(
            "get",
            &checks,
            &format!("{{repo}}/commits/{head}/check-runs"),
            None,
            None,
            200,
        )
        .await;
    assert_eq!(runs["total_count"], 2);
    c.call(
        "get",
        &checks,
        "{repo}/commits/nope/check-runs",
        None,
        None,
        422,
    )
    .await;
    let compare = op("/compare/{basehead}");
    let prod = s.main[1].clone();
    let ahead = c
        .call(
            "get",
            &compare,
            &format!("{{repo}}/compare/{prod}...main"),
            None,
            None,
            200,
        )
        .await;
    assert_eq!(
        (ahead["status"].as_str(), ahead["ahead_by"].as_u64()),
        (Some("ahead"), Some(2))
    );
    c.call(
        "get",
        &compare,
        &format!("{{repo}}/compare/main...{prod}"),
        None,
        None,
        200,
    )
    .await;
    c.call(
        "get",
        &compare,
        "{repo}/compare/main...main",
        None,
        None,
        200,
    )
    .await;
    w.world
        .commit("main", "alice-approver", "Hotfix: tighten timeouts")
        .unwrap();
    let diverged = c
        .call(
            "get",
            &compare,
            &format!("{{repo}}/compare/main...{}", s.feature_branch),
            None,
            None,
            200,
        )
        .await;
    assert_eq!(diverged["status"], "diverged");
    c.call(
        "get",
        &compare,
        "{repo}/compare/main...nope",
        None,
        None,
        404,
    )
    .await;
    c.call("get", &compare, "{repo}/compare/nodots", None, None, 404)
        .await;
    w.world
        .set_file(
            "environments/pipeline.yaml",
            "apiVersion: sluice/v1\nenvironments: []\n",
        )
        .unwrap();
    let contents = op("/contents/{path}");
    let file = c
        .call(
            "get",
            &contents,
            "{repo}/contents/environments/pipeline.yaml?ref=main",
            None,
            None,
            200,
        )
        .await;
    assert_eq!(file["type"], "file");
    c.call(
        "get",
        &contents,
        &format!("{{repo}}/contents/environments/pipeline.yaml?ref={prod}"),
        a,
        None,
        200,
    )
    .await;
    c.call(
        "get",
        &contents,
        "{repo}/contents/nope.yaml",
        None,
        None,
        404,
    )
    .await;
    c.call(
        "get",
        &contents,
        "{repo}/contents/environments/pipeline.yaml?ref=nope",
        None,
        None,
        404,
    )
    .await;

    // Actions: runs waiting on production, their review, dispatch. Three wait at once, as in a
    // repository whose workflow gives the job no concurrency group.
    w.world.without_concurrency_groups();
    c.call(
        "get",
        &op("/actions/workflows"),
        "{repo}/actions/workflows",
        None,
        None,
        200,
    )
    .await;
    let waiting = w
        .world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    let by_alice = w
        .world
        .start_deploy_run("production", "main", "alice-approver")
        .unwrap();
    let to_reject = w
        .world
        .start_deploy_run("production", "main", "dave-developer")
        .unwrap();
    let runs_op = op("/actions/runs");
    let listed = c
        .call(
            "get",
            &runs_op,
            "{repo}/actions/runs?status=waiting",
            None,
            None,
            200,
        )
        .await;
    assert_eq!(listed["total_count"], 3);
    c.call("get", &runs_op, "{repo}/actions/runs", a, None, 200)
        .await;
    let run = op("/actions/runs/{run_id}");
    c.call(
        "get",
        &run,
        &format!("{{repo}}/actions/runs/{waiting}"),
        None,
        None,
        200,
    )
    .await;
    c.call("get", &run, "{repo}/actions/runs/12345", None, None, 404)
        .await;
    let jobs_op = op("/actions/runs/{run_id}/jobs");
    let jobs = c
        .call(
            "get",
            &jobs_op,
            &format!("{{repo}}/actions/runs/{waiting}/jobs"),
            None,
            None,
            200,
        )
        .await;
    assert!(
        jobs["total_count"].as_u64().is_some_and(|n| n > 0),
        "{jobs}"
    );
    c.call(
        "get",
        &jobs_op,
        "{repo}/actions/runs/12345/jobs",
        None,
        None,
        404,
    )
    .await;
    let pending = op("/actions/runs/{run_id}/pending_deployments");
    let url = format!("{{repo}}/actions/runs/{waiting}/pending_deployments");
    let p = c.call("get", &pending, &url, a, None, 200).await;
    assert_eq!(p[0]["current_user_can_approve"], true);
    c.call("get", &pending, &url, None, None, 200).await;
    c.call(
        "get",
        &pending,
        "{repo}/actions/runs/777/pending_deployments",
        None,
        None,
        404,
    )
    .await;
    let env_id = w.world.environment_id("production").unwrap();
    let approve = json!({"environment_ids": [env_id], "state": "approved", "comment": "Ship it"});
    c.call("post", &pending, &url, None, Some(approve.clone()), 401)
        .await;
    c.call(
        "post",
        &pending,
        &url,
        a,
        Some(Value::String("{not json".into())),
        400,
    )
    .await;
    c.call(
        "post",
        &pending,
        &url,
        a,
        Some(json!({"environment_ids": [env_id], "comment": "x"})),
        422,
    )
    .await;
    c.call(
        "post",
        &pending,
        &url,
        a,
        Some(json!({"environment_ids": ["x"], "state": "approved", "comment": "x"})),
        422,
    )
    .await;
    c.call("post", &pending, &url, v, Some(approve.clone()), 422)
        .await;
    let self_url = format!("{{repo}}/actions/runs/{by_alice}/pending_deployments");
    c.call("post", &pending, &self_url, a, Some(approve.clone()), 422)
        .await;
    let created = c
        .call("post", &pending, &url, a, Some(approve.clone()), 200)
        .await;
    assert_eq!(created[0]["environment"], "production");
    c.call("post", &pending, &url, a, Some(approve.clone()), 422)
        .await;
    let reject = json!({"environment_ids": [env_id], "state": "rejected", "comment": "Not today"});
    let rejected = c
        .call(
            "post",
            &pending,
            &format!("{{repo}}/actions/runs/{to_reject}/pending_deployments"),
            a,
            Some(reject),
            200,
        )
        .await;
    assert_eq!(rejected, json!([]));
    let approvals = op("/actions/runs/{run_id}/approvals");
    let history = c
        .call(
            "get",
            &approvals,
            &format!("{{repo}}/actions/runs/{waiting}/approvals"),
            None,
            None,
            200,
        )
        .await;
    assert_eq!(history[0]["state"], "approved");
    let history = c
        .call(
            "get",
            &approvals,
            &format!("{{repo}}/actions/runs/{to_reject}/approvals"),
            a,
            None,
            200,
        )
        .await;
    assert_eq!(history[0]["state"], "rejected");
    c.call(
        "get",
        &approvals,
        "{repo}/actions/runs/777/approvals",
        None,
        None,
        404,
    )
    .await;

    let dispatches = op("/actions/workflows/{workflow_id}/dispatches");
    let dispatch_url = "{repo}/actions/workflows/deploy.yml/dispatches";
    c.call(
        "post",
        &dispatches,
        dispatch_url,
        d,
        Some(json!({"ref": "main", "inputs": {"environment": "production"}})),
        204,
    )
    .await;
    c.call(
        "post",
        &dispatches,
        dispatch_url,
        d,
        Some(json!({"ref": "main", "inputs": {"environment": "dev"}})),
        422,
    )
    .await;
    let details =
        json!({"ref": "main", "inputs": {"environment": "production"}, "return_run_details": true});
    let by_id = format!(
        "{{repo}}/actions/workflows/{}/dispatches",
        s.deploy_workflow
    );
    let ran = c
        .call("post", &dispatches, &by_id, d, Some(details), 200)
        .await;
    assert!(ran["workflow_run_id"].as_u64().is_some());
    c.call(
        "post",
        &dispatches,
        dispatch_url,
        d,
        Some(json!({"ref": "nope"})),
        422,
    )
    .await;
    c.call(
        "post",
        &dispatches,
        dispatch_url,
        v,
        Some(json!({"ref": "main"})),
        403,
    )
    .await;
    c.call(
        "post",
        &dispatches,
        dispatch_url,
        None,
        Some(json!({"ref": "main"})),
        401,
    )
    .await;
    c.call(
        "post",
        &dispatches,
        "{repo}/actions/workflows/nope.yml/dispatches",
        d,
        Some(json!({"ref": "main"})),
        404,
    )
    .await;

    // Deployments, statuses, environments.
    let deps = op("/deployments");
    c.call("get", &deps, "{repo}/deployments", None, None, 200)
        .await;
    c.call(
        "get",
        &deps,
        "{repo}/deployments?environment=production&per_page=1",
        None,
        None,
        200,
    )
    .await;
    let made = c
        .call(
            "post",
            &deps,
            "{repo}/deployments",
            d,
            Some(json!({"ref": "main", "environment": "staging"})),
            201,
        )
        .await;
    let dep_id = made["id"].as_u64().unwrap();
    let pending_checks = json!({"ref": head, "environment": "dev"});
    c.call(
        "post",
        &deps,
        "{repo}/deployments",
        d,
        Some(pending_checks),
        409,
    )
    .await;
    c.call(
        "post",
        &deps,
        "{repo}/deployments",
        d,
        Some(json!({"environment": "dev"})),
        422,
    )
    .await;
    c.call(
        "post",
        &deps,
        "{repo}/deployments",
        v,
        Some(json!({"ref": "main"})),
        403,
    )
    .await;
    let dep = op("/deployments/{deployment_id}");
    c.call(
        "get",
        &dep,
        &format!("{{repo}}/deployments/{dep_id}"),
        None,
        None,
        200,
    )
    .await;
    c.call("get", &dep, "{repo}/deployments/-1", None, None, 404)
        .await;
    let statuses = op("/deployments/{deployment_id}/statuses");
    let surl = format!("{{repo}}/deployments/{dep_id}/statuses");
    let status = json!({"state": "success", "log_url": "https://ci.example/run/1", "environment_url": "https://staging.tbyte.example"});
    c.call("post", &statuses, &surl, d, Some(status), 201).await;
    c.call(
        "post",
        &statuses,
        &surl,
        d,
        Some(json!({"state": "done"})),
        422,
    )
    .await;
    c.call(
        "post",
        &statuses,
        "{repo}/deployments/4242/statuses",
        d,
        Some(json!({"state": "success"})),
        404,
    )
    .await;
    c.call("get", &statuses, &surl, None, None, 200).await;
    // A status the approved job wrote links to its run. (An unset URL is GitHub's "", which
    // the description's `format: uri` does not allow: the environment's URL is set here.)
    let approved_id = created[0]["id"].as_u64().unwrap();
    let mut by_job =
        github::StatusSpec::new(github::DeploymentState::InProgress, github::ACTIONS_BOT)
            .of_run(waiting);
    by_job.environment_url = "https://tbyte.example".into();
    w.world.add_deployment_status(approved_id, by_job).unwrap();
    let by_job = c
        .call(
            "get",
            &statuses,
            &format!("{{repo}}/deployments/{approved_id}/statuses"),
            None,
            None,
            200,
        )
        .await;
    assert!(
        by_job[0]["log_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/tbyte-org/tbyte/actions/runs/{waiting}")),
        "{by_job}"
    );
    c.call(
        "get",
        &statuses,
        "{repo}/deployments/4242/statuses",
        None,
        None,
        404,
    )
    .await;
    let envs = c
        .call(
            "get",
            &op("/environments"),
            "{repo}/environments",
            None,
            None,
            200,
        )
        .await;
    assert_eq!(envs["total_count"], 3);
    let env = op("/environments/{environment_name}");
    c.call(
        "get",
        &env,
        "{repo}/environments/production",
        None,
        None,
        200,
    )
    .await;
    c.call("get", &env, "{repo}/environments/nope", None, None, 404)
        .await;

    // Faults and limits, on a documented read.
    w.server.faults().fail_next(1, 503);
    c.call(
        "get",
        &pulls,
        &format!("{{repo}}/pulls/{}", s.open_pull),
        None,
        None,
        503,
    )
    .await;
    w.server.faults().fail_next(1, 500);
    c.call(
        "get",
        &pulls,
        &format!("{{repo}}/pulls/{}", s.open_pull),
        None,
        None,
        500,
    )
    .await;
    w.world.exhaust_primary_limit(1);
    c.call("get", &op("/pulls"), "{repo}/pulls", a, None, 403)
        .await;
    w.world.trip_secondary_limit(1, 1);
    c.call("get", &op("/pulls"), "{repo}/pulls", a, None, 429)
        .await;

    // Every implemented operation answered successfully at least once.
    for (method, path) in github::ENDPOINTS {
        assert!(
            c.validated
                .iter()
                .any(|(m, p, st)| m == method && p == path && (200..300).contains(st)),
            "no successful {method} {path} was validated"
        );
    }
    let statuses_seen: HashSet<u16> = c.validated.iter().map(|(_, _, s)| *s).collect();
    for status in [400, 401, 403, 404, 409, 422, 429, 500, 503] {
        assert!(statuses_seen.contains(&status), "no {status} validated");
    }
    eprintln!("statuses checked against shared responses (not documented for the operation):");
    for (m, p, st, name) in &c.shared_used {
        eprintln!("  {m} {p} {st} → {name}");
    }
}

#[test]
fn the_validation_bites() {
    let pull_schema = match expectation("get", "/repos/{owner}/{repo}/pulls/{pull_number}", 200) {
        Expect::Documented(s) => s,
        _ => panic!("pulls/get documents 200"),
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body: Value = rt.block_on(async {
        let w = World::start().await;
        let url = format!(
            "{}/repos/tbyte-org/tbyte/pulls/{}",
            w.server.url(),
            w.seeded.open_pull
        );
        reqwest::get(url).await.unwrap().json().await.unwrap()
    });
    assert!(violations(&pull_schema, &body).is_empty());

    let mut missing = body.clone();
    missing.as_object_mut().unwrap().remove("head");
    assert!(
        !violations(&pull_schema, &missing).is_empty(),
        "a missing required field must fail"
    );

    let mut wrong_enum = body.clone();
    wrong_enum["state"] = json!("merged");
    assert!(
        !violations(&pull_schema, &wrong_enum).is_empty(),
        "a value outside the enum must fail"
    );

    let mut wrong_type = body.clone();
    wrong_type["number"] = json!("2");
    assert!(
        !violations(&pull_schema, &wrong_type).is_empty(),
        "a wrong type must fail"
    );

    // `nullable` is honoured both ways: null where GitHub allows it, not elsewhere.
    let mut null_ok = body.clone();
    null_ok["merged_at"] = Value::Null;
    null_ok["body"] = Value::Null;
    assert!(violations(&pull_schema, &null_ok).is_empty());
    let mut null_bad = body.clone();
    null_bad["title"] = Value::Null;
    assert!(
        !violations(&pull_schema, &null_bad).is_empty(),
        "null in a non-nullable field must fail"
    );

    let mut bad_format = body.clone();
    bad_format["created_at"] = json!("yesterday");
    assert!(
        !violations(&pull_schema, &bad_format).is_empty(),
        "formats (date-time) are checked"
    );

    let mut nested = body;
    nested["head"]["repo"]
        .as_object_mut()
        .unwrap()
        .remove("full_name");
    assert!(
        !violations(&pull_schema, &nested).is_empty(),
        "nested required fields are checked"
    );
}

#[test]
fn shared_error_schema_requires_a_message() {
    let Expect::Shared(_, schema) = expectation("get", "/repos/{owner}/{repo}/environments", 404)
    else {
        panic!("environments does not document 404");
    };
    assert!(
        violations(
            &schema,
            &json!({"message": "Not Found", "documentation_url": "x"})
        )
        .is_empty()
    );
    assert!(!violations(&schema, &json!({"message": 404})).is_empty());
}
