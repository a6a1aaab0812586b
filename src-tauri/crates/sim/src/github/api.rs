//! The REST surface: routing, the gateway every request passes (faults, authentication, rate
//! limits, conditional requests) and the handlers, which answer from the world's state.

use std::fmt::Write as _;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::device::Poll;
use super::ratelimit::{Budget, RateKey, Verdict};
use super::render::{self, Ctx};
use super::workflow::{DEPLOY_WORKFLOW_PATH, deploy_workflow};
use super::world::{
    DeploymentSpec, DeploymentState, GithubEvent, GithubWorld, Grant, PullState, ReviewRefusal,
    ReviewState, State as WorldState, StatusSpec, add_status_locked, create_deployment_locked,
};
use crate::faults::Faults;
use crate::server::apply_delay;

const DOCS: &str = "https://docs.github.com/rest";
const RATE_DOCS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

/// The REST operations this server implements, as `(method, path)` in GitHub's OpenAPI
/// description. The OpenAPI conformance test checks it has validated a response of each.
pub const ENDPOINTS: &[(&str, &str)] = &[
    ("get", "/user"),
    ("get", "/rate_limit"),
    ("get", "/repos/{owner}/{repo}"),
    ("get", "/repos/{owner}/{repo}/pulls"),
    ("get", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("get", "/repos/{owner}/{repo}/commits"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}"),
    ("get", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
    ("get", "/repos/{owner}/{repo}/compare/{basehead}"),
    ("get", "/repos/{owner}/{repo}/contents/{path}"),
    ("get", "/repos/{owner}/{repo}/actions/workflows"),
    ("get", "/repos/{owner}/{repo}/actions/runs"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}"),
    ("get", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs"),
    (
        "get",
        "/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments",
    ),
    (
        "post",
        "/repos/{owner}/{repo}/actions/runs/{run_id}/pending_deployments",
    ),
    (
        "get",
        "/repos/{owner}/{repo}/actions/runs/{run_id}/approvals",
    ),
    (
        "post",
        "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    ),
    ("get", "/repos/{owner}/{repo}/deployments"),
    ("post", "/repos/{owner}/{repo}/deployments"),
    ("get", "/repos/{owner}/{repo}/deployments/{deployment_id}"),
    (
        "get",
        "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    ),
    (
        "post",
        "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    ),
    ("get", "/repos/{owner}/{repo}/environments"),
    (
        "get",
        "/repos/{owner}/{repo}/environments/{environment_name}",
    ),
];

#[derive(Clone)]
struct App {
    world: GithubWorld,
    faults: Faults,
}

/// Who is calling, resolved from the `Authorization` header.
#[derive(Clone, Debug)]
struct Caller {
    token: Option<String>,
    grant: Option<Grant>,
}

impl Caller {
    fn login(&self) -> Option<&str> {
        self.grant.as_ref().map(|g| g.login.as_str())
    }

    fn rate_key(&self) -> RateKey {
        self.token
            .clone()
            .map_or(RateKey::Anonymous, RateKey::Token)
    }
}

/// Builds the router of the simulated GitHub (REST API and github.com's device flow).
pub fn router(world: GithubWorld, faults: Faults) -> Router {
    let app = App { world, faults };
    let repo = "/repos/{owner}/{repo}";
    Router::new()
        .route("/user", get(get_user))
        .route("/rate_limit", get(get_rate_limit))
        .route(repo, get(get_repo))
        .route(&format!("{repo}/pulls"), get(list_pulls))
        .route(&format!("{repo}/pulls/{{number}}"), get(get_pull))
        .route(&format!("{repo}/commits"), get(list_commits))
        .route(&format!("{repo}/commits/{{*rest}}"), get(commit_or_checks))
        .route(&format!("{repo}/compare/{{*basehead}}"), get(compare))
        .route(&format!("{repo}/contents/{{*path}}"), get(get_content))
        .route(&format!("{repo}/actions/workflows"), get(list_workflows))
        .route(
            &format!("{repo}/actions/workflows/{{workflow}}/dispatches"),
            axum::routing::post(dispatch),
        )
        .route(&format!("{repo}/actions/runs"), get(list_runs))
        .route(&format!("{repo}/actions/runs/{{run_id}}"), get(get_run))
        .route(
            &format!("{repo}/actions/runs/{{run_id}}/jobs"),
            get(list_jobs),
        )
        .route(
            &format!("{repo}/actions/runs/{{run_id}}/pending_deployments"),
            get(get_pending).post(review_pending),
        )
        .route(
            &format!("{repo}/actions/runs/{{run_id}}/approvals"),
            get(get_approvals),
        )
        .route(
            &format!("{repo}/deployments"),
            get(list_deployments).post(create_deployment),
        )
        .route(&format!("{repo}/deployments/{{id}}"), get(get_deployment))
        .route(
            &format!("{repo}/deployments/{{id}}/statuses"),
            get(list_statuses).post(create_status),
        )
        .route(&format!("{repo}/environments"), get(list_environments))
        .route(
            &format!("{repo}/environments/{{name}}"),
            get(get_environment),
        )
        .route("/login/device/code", axum::routing::post(device_code))
        .route(
            "/login/oauth/access_token",
            axum::routing::post(access_token),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), gateway))
        .with_state(app)
}

// ---------------------------------------------------------------------------------------------
// Errors

/// An error answered in GitHub's shape: `{message, documentation_url, status}` (+ `errors`).
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
    documentation_url: &'static str,
    errors: Option<Value>,
    headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            documentation_url: DOCS,
            errors: None,
            headers: Vec::new(),
        }
    }

    fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found")
    }

    fn requires_authentication() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Requires authentication")
    }

    fn bad_json() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Problems parsing JSON")
    }

    fn invalid(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Invalid request.\n\n{detail}"),
        )
    }

    fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    fn validation_failed(resource: &str, field: &str, code: &str) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed");
        e.errors = Some(json!([{"resource": resource, "field": field, "code": code}]));
        e
    }

    fn no_write_access() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Must have admin rights to Repository.",
        )
    }

    fn missing_scope() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Resource not accessible by personal access token",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "message": self.message,
            "documentation_url": self.documentation_url,
            "status": self.status.as_u16().to_string(),
        });
        if let (Some(errors), Value::Object(map)) = (self.errors, &mut body) {
            map.insert("errors".into(), errors);
        }
        let mut resp = json_response(self.status, &body);
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(name, v);
            }
        }
        resp
    }
}

type ApiResult = Result<Response, ApiError>;

async fn not_found() -> ApiError {
    ApiError::not_found()
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = (status, bytes).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

fn ok(body: &Value) -> ApiResult {
    Ok(json_response(StatusCode::OK, body))
}

// ---------------------------------------------------------------------------------------------
// The gateway

async fn gateway(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let decision = app.faults.decide();
    apply_delay(&decision).await;
    if let Some(status) = decision.fail_with {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = status.canonical_reason().unwrap_or("Server Error");
        return ApiError::new(status, message).into_response();
    }

    // The device flow lives on github.com, outside the REST API's authentication and limits.
    if req.uri().path().starts_with("/login/") {
        return next.run(req).await;
    }

    let caller = match identify(&app.world, req.headers()) {
        Some(caller) => caller,
        None => return ApiError::new(StatusCode::UNAUTHORIZED, "Bad credentials").into_response(),
    };
    let key = caller.rate_key();
    let counted = req.uri().path() != "/rate_limit";
    {
        let mut s = app.world.state();
        s.limits.saw_request(&key);
        if counted {
            match s.limits.admit(&key) {
                Verdict::Allowed => {}
                Verdict::PrimaryExhausted(budget) => {
                    let who = caller
                        .login()
                        .and_then(|l| s.user(l))
                        .map_or("127.0.0.1".to_owned(), |u| format!("user ID {}", u.id));
                    let mut e = ApiError::new(
                        StatusCode::FORBIDDEN,
                        format!("API rate limit exceeded for {who}."),
                    );
                    e.documentation_url = RATE_DOCS;
                    let mut resp = e.into_response();
                    rate_headers(resp.headers_mut(), budget);
                    return resp;
                }
                Verdict::Secondary {
                    budget,
                    retry_after,
                } => {
                    let mut e = ApiError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    );
                    e.documentation_url = RATE_DOCS;
                    e.headers
                        .push((header::RETRY_AFTER, retry_after.to_string()));
                    let mut resp = e.into_response();
                    rate_headers(resp.headers_mut(), budget);
                    return resp;
                }
            }
        }
    }

    let is_get = req.method() == Method::GET || req.method() == Method::HEAD;
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    req.extensions_mut().insert(caller.clone());
    let resp = next.run(req).await;

    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let mut not_modified = false;
    if is_get && parts.status == StatusCode::OK {
        let etag = etag_for(&key, &bytes);
        not_modified = if_none_match
            .as_deref()
            .is_some_and(|inm| etag_matches(inm, &etag));
        if let Ok(v) = HeaderValue::from_str(&etag) {
            parts.headers.insert(header::ETAG, v);
        }
        parts.headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=60, s-maxage=60"),
        );
        parts.headers.insert(
            header::VARY,
            HeaderValue::from_static("Accept, Authorization, Cookie"),
        );
    }
    let budget = {
        let mut s = app.world.state();
        // A 304 is free, as is asking for the rate limit itself.
        if counted && !not_modified {
            s.limits.spend(&key);
        }
        s.limits.budget(&key)
    };
    rate_headers(&mut parts.headers, budget);
    parts.headers.insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
    parts.headers.insert(
        "x-github-media-type",
        HeaderValue::from_static("github.v3; format=json"),
    );
    if not_modified {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn identify(world: &GithubWorld, headers: &HeaderMap) -> Option<Caller> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Some(Caller {
            token: None,
            grant: None,
        });
    };
    let value = value.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    if !(scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")) {
        return None;
    }
    let token = token.trim();
    let grant = world.state().tokens.get(token).cloned()?;
    Some(Caller {
        token: Some(token.to_owned()),
        grant: Some(grant),
    })
}

/// Strong ETag: the body and the caller, since GitHub does not answer one token's ETag with a
/// 304 for another.
fn etag_for(key: &RateKey, body: &[u8]) -> String {
    let mut h = Sha256::new();
    match key {
        RateKey::Token(t) => h.update(t.as_bytes()),
        RateKey::Anonymous => h.update(b"anonymous"),
    }
    h.update([0]);
    h.update(body);
    let mut out = String::from("\"");
    for b in h.finalize() {
        let _ = write!(out, "{b:02x}");
    }
    out.push('"');
    out
}

fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

fn rate_headers(headers: &mut HeaderMap, b: Budget) {
    for (name, value) in [
        ("x-ratelimit-limit", b.limit.to_string()),
        ("x-ratelimit-remaining", b.remaining.to_string()),
        ("x-ratelimit-used", b.used.to_string()),
        ("x-ratelimit-reset", b.reset.to_string()),
        ("x-ratelimit-resource", "core".to_owned()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Request helpers

fn ctx(headers: &HeaderMap) -> Ctx {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("127.0.0.1");
    Ctx {
        base: format!("http://{host}"),
    }
}

struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<String>) -> Self {
        Self(serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Checks the `{owner}/{repo}` of the path (case-insensitively, as GitHub does).
/// The run `{run_id}` of the repository the path names.
fn run_in_path<'a>(
    s: &'a WorldState,
    path: &[(String, String)],
) -> Result<&'a super::world::Run, ApiError> {
    repo_path(s, path)?;
    s.runs
        .get(&path_id(path, "run_id")?)
        .ok_or_else(ApiError::not_found)
}

fn repo_path(s: &WorldState, path: &[(String, String)]) -> Result<(), ApiError> {
    let get = |k: &str| {
        path.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    if get("owner").eq_ignore_ascii_case(&s.owner) && get("repo").eq_ignore_ascii_case(&s.repo) {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

fn path_param<'a>(path: &'a [(String, String)], name: &str) -> &'a str {
    path.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Numeric ids in paths: anything that is not a u64 is a resource that does not exist.
fn path_id(path: &[(String, String)], name: &str) -> Result<u64, ApiError> {
    path_param(path, name)
        .parse()
        .map_err(|_| ApiError::not_found())
}

type PathParams = Result<Path<Vec<(String, String)>>, axum::extract::rejection::PathRejection>;

fn params(p: PathParams) -> Result<Vec<(String, String)>, ApiError> {
    p.map(|Path(v)| v).map_err(|_| ApiError::not_found())
}

/// A page of `items` as a 200 answer with GitHub's `Link` header for the others.
fn paged(items: Vec<Value>, q: &Query, ctx: &Ctx, route: &str) -> Response {
    let (page, link) = paginate(items, q, ctx, route);
    with_link(json_response(StatusCode::OK, &Value::Array(page)), link)
}

/// One page of `items` and the `Link` header GitHub would send (30 per page, at most 100).
fn paginate(items: Vec<Value>, q: &Query, ctx: &Ctx, path: &str) -> (Vec<Value>, Option<String>) {
    let per_page = q
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = q
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let start = (page - 1).saturating_mul(per_page);
    let slice: Vec<Value> = items.into_iter().skip(start).take(per_page).collect();
    let url = |n: usize| {
        let mut pairs: Vec<(String, String)> =
            q.0.iter().filter(|(k, _)| k != "page").cloned().collect();
        pairs.push(("page".into(), n.to_string()));
        let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("<{}{path}?{qs}>", ctx.base)
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("{}; rel=\"next\"", url(page + 1)));
        links.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", url(1)));
        links.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    (slice, (!links.is_empty()).then(|| links.join(", ")))
}

fn with_link(mut resp: Response, link: Option<String>) -> Response {
    if let Some(v) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LINK, v);
    }
    resp
}

fn parse_json_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::invalid(format!(
            "For 'links/0/schema', {other} is not an object."
        ))),
        Err(_) => Err(ApiError::bad_json()),
    }
}

fn required_str(body: &Map<String, Value>, field: &str) -> Result<String, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(ApiError::invalid(format!("\"{field}\" wasn't supplied."))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(not_a(field, other, "string")),
    }
}

fn optional_str(body: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(not_a(field, other, "string")),
    }
}

fn optional_bool(body: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(not_a(field, other, "boolean")),
    }
}

fn not_a(field: &str, value: &Value, kind: &str) -> ApiError {
    ApiError::invalid(format!(
        "For 'properties/{field}', {value} is not a {kind}."
    ))
}

fn authenticated(caller: &Caller) -> Result<&Grant, ApiError> {
    caller
        .grant
        .as_ref()
        .ok_or_else(ApiError::requires_authentication)
}

fn caller_of(req_ext: Option<axum::Extension<Caller>>) -> Caller {
    req_ext.map(|axum::Extension(c)| c).unwrap_or(Caller {
        token: None,
        grant: None,
    })
}

type CallerExt = Option<axum::Extension<Caller>>;

// ---------------------------------------------------------------------------------------------
// Handlers: identity and limits

async fn get_user(State(app): State<App>, headers: HeaderMap, caller: CallerExt) -> ApiResult {
    let caller = caller_of(caller);
    let grant = authenticated(&caller)?;
    let s = app.world.state();
    let user = s
        .user(&grant.login)
        .ok_or_else(ApiError::requires_authentication)?;
    ok(&render::private_user(&ctx(&headers), user))
}

async fn get_rate_limit(State(app): State<App>, caller: CallerExt) -> ApiResult {
    let caller = caller_of(caller);
    let b = app.world.state().limits.budget(&caller.rate_key());
    ok(&render::rate_limit(b.limit, b.remaining, b.reset, b.used))
}

// ---------------------------------------------------------------------------------------------
// Repository, pulls, commits

async fn get_repo(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    caller: CallerExt,
) -> ApiResult {
    let path = params(path)?;
    let caller = caller_of(caller);
    let s = app.world.state();
    repo_path(&s, &path)?;
    let user = caller.login().and_then(|l| s.user(l));
    ok(&render::full_repository(&ctx(&headers), &s, user))
}

async fn list_pulls(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let path = params(path)?;
    let q = Query::parse(raw);
    let s = app.world.state();
    repo_path(&s, &path)?;
    let state = q.get("state").unwrap_or("open");
    let wanted: fn(PullState) -> bool = match state {
        "open" => |p| p == PullState::Open,
        "closed" => |p| p == PullState::Closed,
        "all" => |_| true,
        _ => return Err(ApiError::validation_failed("Issue", "state", "invalid")),
    };
    let head = q
        .get("head")
        .map(|h| h.split_once(':').map_or(h, |(_, b)| b));
    let ascending = q.get("direction") == Some("asc");
    let ctx = ctx(&headers);
    let mut pulls: Vec<_> = s
        .pulls
        .values()
        .filter(|p| wanted(p.state))
        .filter(|p| head.is_none_or(|h| p.head_ref == h))
        .filter(|p| q.get("base").is_none_or(|b| p.base_ref == b))
        .collect();
    pulls.sort_by_key(|p| (p.created_at, p.number));
    if !ascending {
        pulls.reverse();
    }
    let items = pulls
        .into_iter()
        .map(|p| render::pull_simple(&ctx, &s, p))
        .collect();
    Ok(paged(
        items,
        &q,
        &ctx,
        &format!("/repos/{}/{}/pulls", s.owner, s.repo),
    ))
}

async fn get_pull(State(app): State<App>, headers: HeaderMap, path: PathParams) -> ApiResult {
    let path = params(path)?;
    let s = app.world.state();
    repo_path(&s, &path)?;
    let number = path_id(&path, "number")?;
    let pull = s.pulls.get(&number).ok_or_else(ApiError::not_found)?;
    ok(&render::pull(&ctx(&headers), &s, pull))
}

async fn list_commits(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let path = params(path)?;
    let q = Query::parse(raw);
    let s = app.world.state();
    repo_path(&s, &path)?;
    let start = q.get("sha").unwrap_or(&s.default_branch).to_owned();
    let Some(head) = s.resolve(&start) else {
        return Err(ApiError::not_found());
    };
    let ctx = ctx(&headers);
    let items = s
        .history(&head)
        .into_iter()
        .filter(|c| q.get("author").is_none_or(|a| c.author == a))
        .map(|c| render::commit(&ctx, &s, c))
        .collect();
    Ok(paged(
        items,
        &q,
        &ctx,
        &format!("/repos/{}/{}/commits", s.owner, s.repo),
    ))
}

/// `/commits/{ref}` and `/commits/{ref}/check-runs` share a wildcard because refs may contain `/`.
async fn commit_or_checks(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let path = params(path)?;
    let rest = path_param(&path, "rest").to_owned();
    let q = Query::parse(raw);
    let s = app.world.state();
    repo_path(&s, &path)?;
    let ctx = ctx(&headers);
    if let Some(reference) = rest.strip_suffix("/check-runs") {
        let sha = s.resolve(reference).ok_or_else(|| {
            ApiError::unprocessable(format!("No commit found for SHA: {reference}"))
        })?;
        let mut runs: Vec<_> = s
            .checks
            .iter()
            .filter(|c| c.head_sha == sha)
            .filter(|c| q.get("check_name").is_none_or(|n| c.name == n))
            .filter(|c| q.get("status").is_none_or(|st| c.status.as_str() == st))
            .collect();
        runs.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
        let total = runs.len();
        let items = runs
            .into_iter()
            .map(|c| render::check_run(&ctx, &s, c))
            .collect();
        let route = format!(
            "/repos/{}/{}/commits/{reference}/check-runs",
            s.owner, s.repo
        );
        let (page, link) = paginate(items, &q, &ctx, &route);
        return Ok(with_link(
            json_response(
                StatusCode::OK,
                &json!({"total_count": total, "check_runs": page}),
            ),
            link,
        ));
    }
    let sha = s
        .resolve(&rest)
        .ok_or_else(|| ApiError::unprocessable(format!("No commit found for SHA: {rest}")))?;
    let commit = s.commits.get(&sha).ok_or_else(ApiError::not_found)?;
    ok(&render::commit_detail(&ctx, &s, commit))
}

async fn compare(State(app): State<App>, headers: HeaderMap, path: PathParams) -> ApiResult {
    let path = params(path)?;
    let basehead = path_param(&path, "basehead").to_owned();
    let mut s = app.world.state();
    s.comparisons_asked += 1;
    repo_path(&s, &path)?;
    let (base_ref, head_ref) = basehead
        .split_once("...")
        .or_else(|| basehead.split_once(".."))
        .ok_or_else(ApiError::not_found)?;
    let base = s.resolve(base_ref).ok_or_else(ApiError::not_found)?;
    let head = s.resolve(head_ref).ok_or_else(ApiError::not_found)?;
    let merge_base = s.merge_base(&base, &head).ok_or_else(ApiError::not_found)?;
    let of_base = s.ancestors(&base);
    let of_head = s.ancestors(&head);
    let mut ahead: Vec<_> = of_head
        .difference(&of_base)
        .filter_map(|sha| s.commits.get(sha))
        .collect();
    // Oldest first, as GitHub lists a comparison's commits.
    ahead.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.sha.cmp(&b.sha)));
    let behind_by = of_base.difference(&of_head).count();
    let status = match (ahead.len(), behind_by) {
        (0, 0) => "identical",
        (_, 0) => "ahead",
        (0, _) => "behind",
        _ => "diverged",
    };
    let ctx = ctx(&headers);
    let html = format!("{}/compare/{basehead}", ctx.repo_html(&s));
    let (Some(base_commit), Some(merge_base_commit)) =
        (s.commits.get(&base), s.commits.get(&merge_base))
    else {
        return Err(ApiError::not_found());
    };
    let body = json!({
        "url": format!("{}/compare/{basehead}", ctx.repo_api(&s)),
        "html_url": html,
        "permalink_url": format!("{}/compare/{}:{}...{}:{}", ctx.repo_html(&s), s.owner, render_short(&base), s.owner, render_short(&head)),
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "base_commit": render::commit(&ctx, &s, base_commit),
        "merge_base_commit": render::commit(&ctx, &s, merge_base_commit),
        "status": status,
        "ahead_by": ahead.len(),
        "behind_by": behind_by,
        "total_commits": ahead.len(),
        "commits": ahead.iter().take(250).map(|c| render::commit(&ctx, &s, c)).collect::<Vec<_>>(),
        "files": [],
    });
    ok(&body)
}

/// A file of the repository as of `ref` (the default branch without one). The simulated
/// commits share one set of files, so the ref only has to name a commit.
async fn get_content(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let path = params(path)?;
    let q = Query::parse(raw);
    let s = app.world.state();
    repo_path(&s, &path)?;
    let reference = q
        .get("ref")
        .filter(|r| !r.is_empty())
        .unwrap_or(&s.default_branch)
        .to_owned();
    if s.resolve(&reference).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("No commit found for the ref {reference}"),
        ));
    }
    let file = path_param(&path, "path").trim_matches('/');
    let text = s.files.get(file).ok_or_else(ApiError::not_found)?;
    ok(&render::content_file(
        &ctx(&headers),
        &s,
        file,
        &reference,
        text,
    ))
}

fn render_short(sha: &str) -> &str {
    super::world::short(sha)
}

// ---------------------------------------------------------------------------------------------
// Actions

async fn list_workflows(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let path = params(path)?;
    let q = Query::parse(raw);
    let s = app.world.state();
    repo_path(&s, &path)?;
    let ctx = ctx(&headers);
    let items: Vec<Value> = s
        .workflows
        .iter()
        .map(|w| render::workflow(&ctx, &s, w))
        .collect();
    let total = items.len();
    let (page, link) = paginate(
        items,
        &q,
        &ctx,
        &format!("/repos/{}/{}/actions/workflows", s.owner, s.repo),
    );
    Ok(with_link(
        json_response(
            StatusCode::OK,
            &json!({"total_count": total, "workflows": page}),
        ),
        link,
    ))
}

async fn list_runs(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let path = params(path)?;
    let q = Query::parse(raw);
    let s = app.world.state();
    repo_path(&s, &path)?;
    let ctx = ctx(&headers);
    // `status` filters by status or by conclusion, as GitHub's does.
    let status_matches = |r: &super::world::Run, want: &str| {
        r.status.as_str() == want || r.conclusion.is_some_and(|c| c.as_str() == want)
    };
    let mut runs: Vec<_> = s
        .runs
        .values()
        .filter(|r| q.get("status").is_none_or(|st| status_matches(r, st)))
        .filter(|r| q.get("branch").is_none_or(|b| r.head_branch == b))
        .filter(|r| q.get("event").is_none_or(|e| r.event == e))
        .filter(|r| q.get("actor").is_none_or(|a| r.actor == a))
        .filter(|r| q.get("head_sha").is_none_or(|h| r.head_sha == h))
        .collect();
    runs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let total = runs.len();
    let items = runs.into_iter().map(|r| render::run(&ctx, &s, r)).collect();
    let (page, link) = paginate(
        items,
        &q,
        &ctx,
        &format!("/repos/{}/{}/actions/runs", s.owner, s.repo),
    );
    Ok(with_link(
        json_response(
            StatusCode::OK,
            &json!({"total_count": total, "workflow_runs": page}),
        ),
        link,
    ))
}

async fn get_run(State(app): State<App>, headers: HeaderMap, path: PathParams) -> ApiResult {
    let path = params(path)?;
    let s = app.world.state();
    let run = run_in_path(&s, &path)?;
    ok(&render::run(&ctx(&headers), &s, run))
}

async fn list_jobs(State(app): State<App>, headers: HeaderMap, path: PathParams) -> ApiResult {
    let path = params(path)?;
    let s = app.world.state();
    let run = run_in_path(&s, &path)?;
    let ctx = ctx(&headers);
    let jobs: Vec<Value> = run
        .jobs
        .iter()
        .map(|j| render::job(&ctx, &s, run, j))
        .collect();
    ok(&json!({"total_count": jobs.len(), "jobs": jobs}))
}

async fn get_pending(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    caller: CallerExt,
) -> ApiResult {
    let path = params(path)?;
    let caller = caller_of(caller);
    let s = app.world.state();
    let run = run_in_path(&s, &path)?;
    let ctx = ctx(&headers);
    let items: Vec<Value> = s
        .pending_gates(run)
        .map(|(gate, env)| render::pending_deployment(&ctx, &s, run, gate, env, caller.login()))
        .collect();
    ok(&Value::Array(items))
}

/// The run's review history, newest first.
async fn get_approvals(State(app): State<App>, headers: HeaderMap, path: PathParams) -> ApiResult {
    let path = params(path)?;
    let s = app.world.state();
    let run = run_in_path(&s, &path)?;
    let ctx = ctx(&headers);
    let items: Vec<Value> = run
        .reviews
        .iter()
        .rev()
        .map(|review| render::approval(&ctx, &s, review))
        .collect();
    ok(&Value::Array(items))
}

async fn review_pending(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    caller: CallerExt,
    body: Bytes,
) -> ApiResult {
    let path = params(path)?;
    let caller = caller_of(caller);
    let run_id = {
        let s = app.world.state();
        repo_path(&s, &path)?;
        let id = path_id(&path, "run_id")?;
        if !s.runs.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        id
    };
    let grant = authenticated(&caller)?;
    if !grant.allows("repo") {
        return Err(ApiError::missing_scope());
    }
    let body = parse_json_object(&body)?;
    let ids = match body.get("environment_ids") {
        None | Some(Value::Null) => {
            return Err(ApiError::invalid("\"environment_ids\" wasn't supplied."));
        }
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_u64()
                    .ok_or_else(|| not_a("environment_ids/items", v, "integer"))
            })
            .collect::<Result<Vec<u64>, _>>()?,
        Some(other) => return Err(not_a("environment_ids", other, "array")),
    };
    let state = match required_str(&body, "state")?.as_str() {
        "approved" => ReviewState::Approved,
        "rejected" => ReviewState::Rejected,
        other => {
            return Err(ApiError::invalid(format!(
                "For 'properties/state', \"{other}\" is not one of [\"approved\", \"rejected\"]."
            )));
        }
    };
    let comment = required_str(&body, "comment")?;
    let created = app
        .world
        .review_pending(run_id, &ids, state, &comment, &grant.login)
        .map_err(|refusal| match refusal {
            ReviewRefusal::UnknownRun => ApiError::not_found(),
            ReviewRefusal::NothingPending => {
                ApiError::unprocessable("No pending deployment requests to approve or reject")
            }
            ReviewRefusal::NotAReviewer(_, env) => ApiError::unprocessable(format!(
                "You are not a required reviewer for the environment '{env}'."
            )),
            ReviewRefusal::SelfReview(_, env) => ApiError::unprocessable(format!(
                "Self-review is not allowed for the environment '{env}': you triggered this run."
            )),
        })?;
    let s = app.world.state();
    let ctx = ctx(&headers);
    let items: Vec<Value> = created
        .iter()
        .filter_map(|id| s.deployments.get(id))
        .map(|d| render::deployment(&ctx, &s, d))
        .collect();
    ok(&Value::Array(items))
}

async fn dispatch(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    caller: CallerExt,
    body: Bytes,
) -> ApiResult {
    let path = params(path)?;
    let caller = caller_of(caller);
    let workflow_key = path_param(&path, "workflow").to_owned();
    {
        let s = app.world.state();
        repo_path(&s, &path)?;
        s.workflow_by_key(&workflow_key)
            .ok_or_else(ApiError::not_found)?;
    }
    let grant = authenticated(&caller)?.clone();
    if !grant.allows("workflow") {
        return Err(ApiError::missing_scope());
    }
    if !app
        .world
        .state()
        .user(&grant.login)
        .is_some_and(|u| u.can_write())
    {
        return Err(ApiError::no_write_access());
    }
    let body = parse_json_object(&body)?;
    let git_ref = required_str(&body, "ref")?;
    let inputs = match body.get("inputs") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) if m.len() <= 10 => m.clone(),
        Some(Value::Object(_)) => {
            return Err(ApiError::unprocessable(
                "inputs are too large: at most 10 are allowed",
            ));
        }
        Some(other) => return Err(not_a("inputs", other, "object")),
    };
    let details = optional_bool(&body, "return_run_details")?.unwrap_or(false);
    let branch = git_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(&git_ref)
        .to_owned();
    if app.world.branch_head(&branch).is_none() {
        return Err(ApiError::unprocessable(format!(
            "No ref found for: {git_ref}"
        )));
    }
    let (workflow_name, deploys) = app
        .world
        .state()
        .workflow_by_key(&workflow_key)
        .map(|w| (w.file_name().to_owned(), w.path == DEPLOY_WORKFLOW_PATH))
        .unwrap_or_default();
    // The deploy workflow's `environment` input is a choice: GitHub refuses any other value.
    let environment = inputs
        .get("environment")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if deploys {
        match &environment {
            Some(env) if deploy_workflow().job("workflow_dispatch", env).is_ok() => {}
            Some(env) => {
                return Err(ApiError::unprocessable(format!(
                    "Provided value '{env}' for input 'environment' not in the list of allowed values"
                )));
            }
            None => {
                return Err(ApiError::unprocessable(
                    "Required input 'environment' not provided",
                ));
            }
        }
    }
    let run_id = app
        .world
        .start_run(
            &workflow_key,
            &branch,
            "workflow_dispatch",
            &grant.login,
            &[],
        )
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    if let (true, Some(env)) = (deploys, &environment) {
        app.world
            .start_dispatched_job(run_id, env)
            .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    }
    app.world.emit(GithubEvent::WorkflowDispatched {
        workflow: workflow_name,
        git_ref: git_ref.clone(),
        inputs,
        run_id,
        actor: grant.login.clone(),
    });
    if !details {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let s = app.world.state();
    let ctx = ctx(&headers);
    ok(&json!({
        "workflow_run_id": run_id,
        "run_url": format!("{}/actions/runs/{run_id}", ctx.repo_api(&s)),
        "html_url": format!("{}/actions/runs/{run_id}", ctx.repo_html(&s)),
    }))
}

// ---------------------------------------------------------------------------------------------
// Deployments and environments

async fn list_deployments(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let path = params(path)?;
    let q = Query::parse(raw);
    let s = app.world.state();
    repo_path(&s, &path)?;
    let ctx = ctx(&headers);
    let mut deps: Vec<_> = s
        .deployments
        .values()
        .filter(|d| q.get("sha").is_none_or(|v| d.sha == v))
        .filter(|d| q.get("ref").is_none_or(|v| d.git_ref == v))
        .filter(|d| q.get("task").is_none_or(|v| d.task == v))
        .filter(|d| q.get("environment").is_none_or(|v| d.environment == v))
        .collect();
    deps.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let items = deps
        .into_iter()
        .map(|d| render::deployment(&ctx, &s, d))
        .collect();
    Ok(paged(
        items,
        &q,
        &ctx,
        &format!("/repos/{}/{}/deployments", s.owner, s.repo),
    ))
}

async fn create_deployment(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    caller: CallerExt,
    body: Bytes,
) -> ApiResult {
    let path = params(path)?;
    let caller = caller_of(caller);
    repo_path(&app.world.state(), &path)?;
    let grant = authenticated(&caller)?.clone();
    if !grant.allows("repo_deployment") {
        return Err(ApiError::missing_scope());
    }
    if !app
        .world
        .state()
        .user(&grant.login)
        .is_some_and(|u| u.can_write())
    {
        return Err(ApiError::no_write_access());
    }
    let body = parse_json_object(&body)?;
    let git_ref = required_str(&body, "ref")?;
    let mut spec = DeploymentSpec::new(&git_ref, "production", &grant.login);
    if let Some(env) = optional_str(&body, "environment")? {
        spec.environment = env;
    }
    if let Some(task) = optional_str(&body, "task")? {
        spec.task = task;
    }
    spec.description = optional_str(&body, "description")?;
    spec.production_environment = optional_bool(&body, "production_environment")?;
    spec.transient_environment = optional_bool(&body, "transient_environment")?.unwrap_or(false);
    match body.get("payload") {
        None | Some(Value::Null) => {}
        Some(v @ (Value::Object(_) | Value::String(_))) => spec.payload = v.clone(),
        Some(other) => return Err(not_a("payload", other, "object")),
    }
    let required: Option<Vec<String>> = match body.get("required_contexts") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| not_a("required_contexts/items", v, "string"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(other) => return Err(not_a("required_contexts", other, "array")),
    };
    let now = app.world.now();
    let (id, sha) = {
        let mut s = app.world.state();
        let sha = s
            .resolve(&git_ref)
            .ok_or_else(|| ApiError::unprocessable(format!("No ref found for: {git_ref}")))?;
        // GitHub verifies the commit's checks before it records a deployment: every named
        // context (all of them when none are named) must have passed.
        let checks: Vec<_> = s.checks.iter().filter(|c| c.head_sha == sha).collect();
        let failing: Vec<&str> = match &required {
            Some(names) => names
                .iter()
                .filter(|n| {
                    !checks
                        .iter()
                        .any(|c| &c.name == *n && c.conclusion.is_some_and(|x| x.passes()))
                })
                .map(String::as_str)
                .collect(),
            None => checks
                .iter()
                .filter(|c| !c.conclusion.is_some_and(|x| x.passes()))
                .map(|c| c.name.as_str())
                .collect(),
        };
        if !failing.is_empty() {
            let mut e = ApiError::new(
                StatusCode::CONFLICT,
                format!("Conflict: Commit status checks failed for {git_ref}."),
            );
            e.errors = Some(json!([{
                "contexts": failing.iter().map(|n| json!({"context": n, "state": "pending"})).collect::<Vec<_>>(),
                "resource": "Deployment",
                "field": "required_contexts",
                "code": "invalid",
            }]));
            return Err(e);
        }
        let env = spec.environment.clone();
        let creator = spec.creator.clone();
        let id = create_deployment_locked(&mut s, &sha, spec, now);
        (id, (sha, env, creator))
    };
    let (sha, environment, creator) = sha;
    app.world.emit(GithubEvent::DeploymentCreated {
        deployment_id: id,
        environment,
        sha,
        creator,
    });
    let s = app.world.state();
    let ctx = ctx(&headers);
    let dep = s.deployments.get(&id).ok_or_else(ApiError::not_found)?;
    Ok(json_response(
        StatusCode::CREATED,
        &render::deployment(&ctx, &s, dep),
    ))
}

async fn get_deployment(State(app): State<App>, headers: HeaderMap, path: PathParams) -> ApiResult {
    let path = params(path)?;
    let s = app.world.state();
    repo_path(&s, &path)?;
    let dep = s
        .deployments
        .get(&path_id(&path, "id")?)
        .ok_or_else(ApiError::not_found)?;
    ok(&render::deployment(&ctx(&headers), &s, dep))
}

async fn list_statuses(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    let path = params(path)?;
    let q = Query::parse(raw);
    let s = app.world.state();
    repo_path(&s, &path)?;
    let dep = s
        .deployments
        .get(&path_id(&path, "id")?)
        .ok_or_else(ApiError::not_found)?;
    let ctx = ctx(&headers);
    let items = dep
        .statuses
        .iter()
        .rev()
        .map(|st| render::deployment_status(&ctx, &s, dep, st))
        .collect();
    let route = format!(
        "/repos/{}/{}/deployments/{}/statuses",
        s.owner, s.repo, dep.id
    );
    let (page, link) = paginate(items, &q, &ctx, &route);
    Ok(with_link(
        json_response(StatusCode::OK, &Value::Array(page)),
        link,
    ))
}

async fn create_status(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
    caller: CallerExt,
    body: Bytes,
) -> ApiResult {
    let path = params(path)?;
    let caller = caller_of(caller);
    let id = {
        let s = app.world.state();
        repo_path(&s, &path)?;
        let id = path_id(&path, "id")?;
        if !s.deployments.contains_key(&id) {
            return Err(ApiError::not_found());
        }
        id
    };
    let grant = authenticated(&caller)?.clone();
    if !grant.allows("repo_deployment") {
        return Err(ApiError::missing_scope());
    }
    if !app
        .world
        .state()
        .user(&grant.login)
        .is_some_and(|u| u.can_write())
    {
        return Err(ApiError::no_write_access());
    }
    let body = parse_json_object(&body)?;
    let raw_state = required_str(&body, "state")?;
    let state = DeploymentState::parse(&raw_state).ok_or_else(|| {
        ApiError::invalid(format!(
            "For 'properties/state', \"{raw_state}\" is not one of [\"error\", \"failure\", \"inactive\", \"in_progress\", \"queued\", \"pending\", \"success\"]."
        ))
    })?;
    let mut spec = StatusSpec::new(state, &grant.login);
    spec.description = optional_str(&body, "description")?.unwrap_or_default();
    if spec.description.chars().count() > 140 {
        return Err(ApiError::validation_failed(
            "DeploymentStatus",
            "description",
            "custom",
        ));
    }
    spec.log_url = optional_str(&body, "log_url")?
        .or(optional_str(&body, "target_url")?)
        .unwrap_or_default();
    spec.target_url = spec.log_url.clone();
    spec.environment_url = optional_str(&body, "environment_url")?.unwrap_or_default();
    spec.environment = optional_str(&body, "environment")?;
    spec.auto_inactive = optional_bool(&body, "auto_inactive")?.unwrap_or(true);
    let now = app.world.now();
    let (status_id, env) = {
        let mut s = app.world.state();
        let status_id = add_status_locked(&mut s, id, &spec, now);
        let env = s
            .deployments
            .get(&id)
            .map(|d| d.environment.clone())
            .unwrap_or_default();
        (status_id, env)
    };
    app.world.emit(GithubEvent::DeploymentStatusCreated {
        deployment_id: id,
        environment: env,
        state,
        creator: grant.login.clone(),
    });
    let s = app.world.state();
    let ctx = ctx(&headers);
    let dep = s.deployments.get(&id).ok_or_else(ApiError::not_found)?;
    let st = dep
        .statuses
        .iter()
        .find(|st| st.id == status_id)
        .ok_or_else(ApiError::not_found)?;
    let body = render::deployment_status(&ctx, &s, dep, st);
    let mut resp = json_response(StatusCode::CREATED, &body);
    if let Some(loc) = body
        .get("url")
        .and_then(Value::as_str)
        .and_then(|u| HeaderValue::from_str(u).ok())
    {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

async fn list_environments(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
) -> ApiResult {
    let path = params(path)?;
    let s = app.world.state();
    repo_path(&s, &path)?;
    let ctx = ctx(&headers);
    let envs: Vec<Value> = s
        .environments
        .values()
        .map(|e| render::environment(&ctx, &s, e))
        .collect();
    ok(&json!({"total_count": envs.len(), "environments": envs}))
}

async fn get_environment(
    State(app): State<App>,
    headers: HeaderMap,
    path: PathParams,
) -> ApiResult {
    let path = params(path)?;
    let s = app.world.state();
    repo_path(&s, &path)?;
    let env = s
        .environments
        .get(path_param(&path, "name"))
        .ok_or_else(ApiError::not_found)?;
    ok(&render::environment(&ctx(&headers), &s, env))
}

// ---------------------------------------------------------------------------------------------
// Device flow (github.com)

/// github.com accepts form or JSON bodies here and answers in the format `Accept` asks for.
fn oauth_params(headers: &HeaderMap, body: &Bytes) -> Vec<(String, String)> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    if is_json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map
                .into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Number(n) => Some((k, n.to_string())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    } else {
        serde_urlencoded::from_bytes(body).unwrap_or_default()
    }
}

fn oauth_response(headers: &HeaderMap, status: StatusCode, fields: &[(&str, Value)]) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("json"));
    if wants_json {
        let map: Map<String, Value> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        return json_response(status, &Value::Object(map));
    }
    let pairs: Vec<(&str, String)> = fields
        .iter()
        .map(|(k, v)| (*k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    let mut resp = (
        status,
        serde_urlencoded::to_string(pairs).unwrap_or_default(),
    )
        .into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    resp
}

async fn device_code(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let params = oauth_params(&headers, &body);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(client_id) = get("client_id").filter(|c| !c.is_empty()) else {
        return oauth_response(
            &headers,
            StatusCode::UNAUTHORIZED,
            &[
                ("error", json!("unauthorized_client")),
                ("error_description", json!("A client_id is required.")),
            ],
        );
    };
    let scope = get("scope").unwrap_or_default();
    let now = app.world.now();
    let codes = app.world.state().device.start(&client_id, &scope, now);
    let ctx = ctx(&headers);
    oauth_response(
        &headers,
        StatusCode::OK,
        &[
            ("device_code", json!(codes.device_code)),
            ("user_code", json!(codes.user_code)),
            (
                "verification_uri",
                json!(format!("{}/login/device", ctx.base)),
            ),
            ("expires_in", json!(codes.expires_in)),
            ("interval", json!(codes.interval)),
        ],
    )
}

async fn access_token(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let params = oauth_params(&headers, &body);
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let now = app.world.now();
    let outcome = {
        let mut s = app.world.state();
        let outcome = s
            .device
            .poll(get("client_id"), get("device_code"), get("grant_type"), now);
        if let Poll::Token {
            login,
            token,
            scope,
        } = &outcome
        {
            let scopes = scope
                .split([',', ' '])
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect();
            s.tokens.insert(
                token.clone(),
                Grant {
                    login: login.clone(),
                    scopes,
                },
            );
        }
        outcome
    };
    // github.com answers device-flow errors with 200 and an `error` field.
    match outcome {
        Poll::Token { token, scope, .. } => oauth_response(
            &headers,
            StatusCode::OK,
            &[
                ("access_token", json!(token)),
                ("token_type", json!("bearer")),
                ("scope", json!(scope)),
            ],
        ),
        Poll::Error {
            code,
            description,
            interval,
        } => {
            let mut fields = vec![
                ("error", json!(code)),
                ("error_description", json!(description)),
                (
                    "error_uri",
                    json!(
                        "https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow"
                    ),
                ),
            ];
            if let Some(interval) = interval {
                fields.push(("interval", json!(interval)));
            }
            oauth_response(&headers, StatusCode::OK, &fields)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_depend_on_body_and_caller() {
        let a = etag_for(&RateKey::Anonymous, b"{}");
        assert_eq!(a, etag_for(&RateKey::Anonymous, b"{}"));
        assert_ne!(a, etag_for(&RateKey::Anonymous, b"[]"));
        assert_ne!(a, etag_for(&RateKey::Token("t".into()), b"{}"));
        assert!(etag_matches(&format!("W/{a}, \"other\""), &a));
        assert!(!etag_matches("\"other\"", &a));
    }

    #[test]
    fn pages_link_to_their_neighbours() {
        let ctx = Ctx {
            base: "http://h".into(),
        };
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let q = Query::parse(Some("per_page=2&page=2&state=all".into()));
        let (page, link) = paginate(items, &q, &ctx, "/x");
        assert_eq!(page, vec![json!(2), json!(3)]);
        let link = link.unwrap();
        assert!(
            link.contains("<http://h/x?per_page=2&state=all&page=3>; rel=\"next\""),
            "{link}"
        );
        assert!(link.contains("page=1>; rel=\"first\""), "{link}");
    }
}
