//! The HTTP surface of the simulated apiserver: discovery, then one handler that routes
//! `/api/v1/…` and `/apis/{group}/{version}/…` paths to the verbs of the resource they name.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use base64::Engine;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::auth;
use super::fields;
use super::patch::{PatchType, apply_patch};
use super::resources::{self, Kind, ResourceType};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::table;
use super::watch;
use super::world::KubeWorld;
use crate::people::Person;

pub fn router(world: KubeWorld) -> Router {
    Router::new()
        .route(
            "/version",
            get(|| async { axum::Json(resources::version_info()) }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route("/livez", get(|| async { "ok" }))
        .route(
            "/api",
            get(|| async { axum::Json(resources::core_versions()) }),
        )
        .route(
            "/apis",
            get(|| async { axum::Json(resources::group_list()) }),
        )
        .route("/apis/{group}", get(api_group))
        .route("/api/{version}", get(core_resource_list))
        .route("/apis/{group}/{version}", get(group_resource_list))
        .route("/openapi/v2", get(openapi_v2))
        .route(
            "/openapi/v3",
            get(|| async { axum::Json(super::openapi::root()) }),
        )
        .route("/openapi/v3/{*path}", get(openapi_group_version))
        .route("/api/{version}/{*rest}", any(core_resource))
        .route("/apis/{group}/{version}/{*rest}", any(group_resource))
        .fallback(|| async { ApiError::route_not_found() })
        .layer(middleware::from_fn_with_state(world.clone(), authenticate))
        .with_state(world)
}

/// The fault-injection layer, in the Kubernetes dialect.
pub async fn faults_layer(
    State(faults): State<crate::faults::Faults>,
    request: Request,
    next: Next,
) -> Response {
    let decision = faults.decide();
    crate::server::apply_delay(&decision).await;
    match decision.fail_with {
        Some(code) => ApiError::unavailable(code).into_response(),
        None => next.run(request).await,
    }
}

/// Every request needs a known bearer token; discovery included, as on a real cluster.
async fn authenticate(
    State(world): State<KubeWorld>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match token.and_then(|t| world.person_by_token(t)) {
        Some(person) => {
            request.extensions_mut().insert(person.clone());
            next.run(request).await
        }
        None => ApiError::unauthorized().into_response(),
    }
}

/// `/openapi/v2`: gnostic protobuf when the client asks for it (client-go always does), JSON
/// otherwise.
async fn openapi_v2(headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match super::openapi::v2_wants_protobuf(accept) {
        Some(true) => (
            [
                (
                    header::CONTENT_TYPE,
                    super::openapi::V2_PROTOBUF_CONTENT_TYPE,
                ),
                (header::VARY, "Accept"),
            ],
            super::openapi::v2_protobuf(),
        )
            .into_response(),
        Some(false) => axum::Json(super::openapi::v2()).into_response(),
        None => (
            axum::http::StatusCode::NOT_ACCEPTABLE,
            format!("none of the media types in {accept:?} can be served"),
        )
            .into_response(),
    }
}

async fn openapi_group_version(Path(path): Path<String>) -> Response {
    match super::openapi::group_version(path.trim_matches('/')) {
        Some(doc) => axum::Json(doc).into_response(),
        None => ApiError::route_not_found().into_response(),
    }
}

async fn api_group(Path(group): Path<String>) -> Response {
    match resources::group(&group) {
        Some(g) => axum::Json(g).into_response(),
        None => ApiError::route_not_found().into_response(),
    }
}

async fn core_resource_list(Path(version): Path<String>) -> Response {
    match resources::resource_list("", &version) {
        Some(l) => axum::Json(l).into_response(),
        None => ApiError::route_not_found().into_response(),
    }
}

async fn group_resource_list(Path((group, version)): Path<(String, String)>) -> Response {
    match resources::resource_list(&group, &version) {
        Some(l) => axum::Json(l).into_response(),
        None => ApiError::route_not_found().into_response(),
    }
}

async fn core_resource(
    State(world): State<KubeWorld>,
    Path((version, rest)): Path<(String, String)>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let person = request.extensions().get::<Person>().cloned();
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    handle(
        world, person, "", &version, &rest, method, query, headers, body,
    )
    .await
}

async fn group_resource(
    State(world): State<KubeWorld>,
    Path((group, version, rest)): Path<(String, String, String)>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let person = request.extensions().get::<Person>().cloned();
    let body = axum::body::to_bytes(request.into_body(), 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    handle(
        world, person, &group, &version, &rest, method, query, headers, body,
    )
    .await
}

/// What a request path names.
struct Target {
    rt: &'static ResourceType,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

fn parse_target(group: &str, version: &str, rest: &str) -> Result<Target, ApiError> {
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let find = |plural: &str| {
        ResourceType::find(group, version, plural).ok_or_else(ApiError::route_not_found)
    };
    let namespaced_collection = segs.len() >= 3
        && segs[0] == "namespaces"
        && ResourceType::find(group, version, segs[2]).is_some_and(|r| r.namespaced);
    let (rt, namespace, tail) = if namespaced_collection {
        (find(segs[2])?, Some(segs[1].to_owned()), &segs[3..])
    } else {
        let rt = find(segs.first().copied().unwrap_or_default())?;
        (rt, None, &segs[1..])
    };
    if tail.len() > 2 {
        return Err(ApiError::route_not_found());
    }
    let subresource = tail.get(1).map(|s| (*s).to_owned());
    let scalable = matches!(rt.kind, Kind::Deployment | Kind::ReplicaSet);
    if let Some(sub) = &subresource
        && !((sub == "status" && rt.has_status) || (sub == "scale" && scalable))
    {
        return Err(ApiError::route_not_found());
    }
    Ok(Target {
        rt,
        namespace,
        name: tail.first().map(|s| (*s).to_owned()),
        subresource,
    })
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    world: KubeWorld,
    person: Option<Person>,
    group: &str,
    version: &str,
    rest: &str,
    method: Method,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(person) = person else {
        return ApiError::unauthorized().into_response();
    };
    let target = match parse_target(group, version, rest) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let is_watch = matches!(params.get("watch").map(String::as_str), Some("true" | "1"));
    let verb = match (&method, target.name.is_some()) {
        (&Method::GET, false) if is_watch => "watch",
        (&Method::GET, false) => "list",
        (&Method::GET, true) => "get",
        (&Method::POST, false) => "create",
        (&Method::PUT, true) => "update",
        (&Method::PATCH, true) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        _ => return ApiError::method_not_allowed().into_response(),
    };
    if !target.rt.verbs.contains(&verb) {
        return ApiError::method_not_allowed().into_response();
    }
    world.count_request(verb);
    let ns = target.namespace.as_deref();
    if !auth::allowed(&person, verb, Some(target.rt.kind), ns) {
        return ApiError::forbidden(
            &person.login,
            verb,
            target.rt,
            ns,
            target.name.as_deref().unwrap_or_default(),
        )
        .into_response();
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let manager = params
        .get("fieldManager")
        .cloned()
        .unwrap_or_else(|| user_agent.split('/').next().unwrap_or("unknown").to_owned());
    let request = RequestParams {
        params,
        accept,
        content_type,
        manager,
    };
    let result = match verb {
        "watch" => {
            return watch::serve(
                world,
                target.rt,
                target.namespace,
                &request.params,
                &request.accept,
            );
        }
        "list" => list(&world, target.rt, ns, &request),
        _ if target.subresource.as_deref() == Some("scale") => {
            scale(&world, &target, verb, &request, &body)
        }
        "get" => get_one(&world, &target, &request),
        "create" => create(&world, &person, &target, &request, &body),
        "update" => update(&world, &target, &request, &body),
        "patch" => patch(&world, &target, &request, &body),
        "delete" => delete(&world, &target, &request.content_type, &body),
        _ => delete_collection(&world, target.rt, ns, &request),
    };
    match result {
        Ok((code, value)) => (
            axum::http::StatusCode::from_u16(code).unwrap_or_default(),
            axum::Json(value),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

pub struct RequestParams {
    pub params: HashMap<String, String>,
    pub accept: String,
    pub content_type: String,
    pub manager: String,
}

type Answer = Result<(u16, Value), ApiError>;

pub fn selectors(
    params: &HashMap<String, String>,
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(params.get("labelSelector").map_or("", String::as_str))
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(params.get("fieldSelector").map_or("", String::as_str))
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

fn list(
    world: &KubeWorld,
    rt: &'static ResourceType,
    namespace: Option<&str>,
    req: &RequestParams,
) -> Answer {
    let (labels, fields) = selectors(&req.params)?;
    let (objects, rv) = {
        let state = world.lock();
        (
            state.store.list(rt.kind, namespace),
            state.store.resource_version(),
        )
    };
    let start_after = match req.params.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => Some(decode_continue(token)?),
        None => None,
    };
    let limit = req
        .params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let mut matching: Vec<&Arc<Value>> = objects
        .iter()
        .filter(|o| labels.matches(o) && fields.matches(o))
        .filter(|o| {
            start_after
                .as_ref()
                .is_none_or(|after| object_key(o) > *after)
        })
        .collect();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(limit) = limit
        && matching.len() > limit
    {
        let remaining = matching.len() - limit;
        matching.truncate(limit);
        if let Some(last) = matching.last() {
            meta["continue"] = json!(encode_continue(&object_key(last)));
            meta["remainingItemCount"] = json!(remaining);
        }
    }
    if table::wants_table(&req.accept) {
        let values: Vec<&Value> = matching.iter().map(|o| o.as_ref()).collect();
        let include = req.params.get("includeObject").map_or("", String::as_str);
        return Ok((
            200,
            table::table(rt.kind, &values, include, meta, world.clock.now()),
        ));
    }
    let items: Vec<Value> = matching.iter().map(|o| (***o).clone()).collect();
    Ok((
        200,
        json!({"kind": format!("{}List", rt.kind_name), "apiVersion": rt.api_version(), "metadata": meta, "items": items}),
    ))
}

fn object_key(o: &Value) -> String {
    format!(
        "{}/{}",
        o["metadata"]["namespace"].as_str().unwrap_or_default(),
        o["metadata"]["name"].as_str().unwrap_or_default()
    )
}

fn encode_continue(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!({"start": key}).to_string())
}

fn decode_continue(token: &str) -> Result<String, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["start"].as_str().map(str::to_owned))
        .ok_or_else(|| ApiError::bad_request("invalid continue token"))
}

fn get_one(world: &KubeWorld, target: &Target, req: &RequestParams) -> Answer {
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref().unwrap_or_default();
    let object = world
        .get(target.rt.kind, ns, name)
        .ok_or_else(|| ApiError::not_found(target.rt, name))?;
    if table::wants_table(&req.accept) {
        let include = req.params.get("includeObject").map_or("", String::as_str);
        let rv = object["metadata"]["resourceVersion"].clone();
        return Ok((
            200,
            table::table(
                target.rt.kind,
                &[&object],
                include,
                json!({"resourceVersion": rv}),
                world.clock.now(),
            ),
        ));
    }
    Ok((200, (*object).clone()))
}

fn parse_body(body: &Bytes, yaml: bool) -> Result<Value, ApiError> {
    if yaml {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::bad_request("the body is not UTF-8"))?;
        serde_saphyr::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding JSON: {e}")))
    }
}

/// The object a create or update sends: JSON or YAML, or Kubernetes protobuf from typed
/// client-go clients.
fn read_body(rt: &ResourceType, req: &RequestParams, body: &Bytes) -> Result<Value, ApiError> {
    if super::proto::is_protobuf(&req.content_type) {
        return super::proto::decode_object(body, rt.kind).map_err(|e| match e {
            super::proto::DecodeError::UnsupportedKind => {
                ApiError::unsupported_media_type(&req.content_type)
            }
            super::proto::DecodeError::Malformed(why) => ApiError::bad_request(why),
        });
    }
    check_body_type(&req.content_type)?;
    parse_body(body, req.content_type.contains("yaml"))
}

fn check_body_type(content_type: &str) -> Result<(), ApiError> {
    if content_type.is_empty()
        || content_type.starts_with("application/json")
        || content_type.contains("yaml")
    {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type(content_type))
    }
}

/// Decodes into the real Kubernetes type and back: wrong field types are rejected, unknown
/// fields dropped, exactly as the apiserver's own decoding does for built-in kinds.
pub fn normalize(rt: &ResourceType, name: &str, mut object: Value) -> Result<Value, ApiError> {
    use k8s_openapi::api::{apps, authorization, batch, coordination, core, networking};
    fn round_trip<T: DeserializeOwned + Serialize>(v: Value) -> Result<Value, String> {
        let typed: T = serde_json::from_value(v).map_err(|e| e.to_string())?;
        serde_json::to_value(typed).map_err(|e| e.to_string())
    }
    if !object.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    if let Some(av) = object.get("apiVersion").and_then(Value::as_str)
        && av != rt.api_version()
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({})",
            rt.api_version()
        )));
    }
    object["apiVersion"] = json!(rt.api_version());
    object["kind"] = json!(rt.kind_name);
    let result = match rt.kind {
        Kind::Namespace => round_trip::<core::v1::Namespace>(object),
        Kind::Pod => round_trip::<core::v1::Pod>(object),
        Kind::Event => round_trip::<core::v1::Event>(object),
        Kind::Secret => round_trip::<core::v1::Secret>(object),
        Kind::ConfigMap => round_trip::<core::v1::ConfigMap>(object),
        Kind::Service => round_trip::<core::v1::Service>(object),
        Kind::ServiceAccount => round_trip::<core::v1::ServiceAccount>(object),
        Kind::Ingress => round_trip::<networking::v1::Ingress>(object),
        Kind::Deployment => round_trip::<apps::v1::Deployment>(object),
        Kind::ReplicaSet => round_trip::<apps::v1::ReplicaSet>(object),
        Kind::Lease => round_trip::<coordination::v1::Lease>(object),
        Kind::Job => round_trip::<batch::v1::Job>(object),
        Kind::SelfSubjectAccessReview => {
            round_trip::<authorization::v1::SelfSubjectAccessReview>(object)
        }
    };
    result.map_err(|e| ApiError::invalid(rt, name, e))
}

/// Decodes like [`normalize`], and with `fieldValidation=Strict` refuses fields the type lacks.
fn decode(
    rt: &ResourceType,
    name: &str,
    object: Value,
    req: &RequestParams,
) -> Result<Value, ApiError> {
    let strict = req
        .params
        .get("fieldValidation")
        .is_some_and(|v| v == "Strict");
    let sent = strict.then(|| object.clone());
    let decoded = normalize(rt, name, object)?;
    if let Some(sent) = sent {
        let unknown = super::openapi::unknown_fields(&sent, &decoded);
        if !unknown.is_empty() {
            let list: Vec<String> = unknown
                .iter()
                .map(|f| format!("unknown field \"{f}\""))
                .collect();
            return Err(ApiError::bad_request(format!(
                "{} in version \"{}\" cannot be handled as a {}: strict decoding error: {}",
                rt.kind_name,
                rt.version,
                rt.kind_name,
                list.join(", ")
            )));
        }
    }
    Ok(decoded)
}

fn create(
    world: &KubeWorld,
    person: &Person,
    target: &Target,
    req: &RequestParams,
    body: &Bytes,
) -> Answer {
    if target.rt.kind == Kind::SelfSubjectAccessReview
        && super::proto::is_protobuf(&req.content_type)
    {
        let review = super::proto::decode_access_review(body).map_err(ApiError::bad_request)?;
        return Ok((201, auth::review(person, &review)));
    }
    let object = read_body(target.rt, req, body)?;
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut object = decode(target.rt, &name, object, req)?;
    if target.rt.kind == Kind::SelfSubjectAccessReview {
        return Ok((201, auth::review(person, &object)));
    }
    let ns = target.namespace.as_deref().unwrap_or_default();
    if let Some(body_ns) = object["metadata"]["namespace"].as_str()
        && target.rt.namespaced
        && body_ns != ns
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if let Some(meta) = object["metadata"].as_object_mut() {
        meta.remove("managedFields");
    }
    let now = world.now_rfc3339();
    fields::record_update(
        None,
        &mut object,
        &req.manager,
        &target.rt.api_version(),
        &now,
    );
    if is_dry_run(req) {
        return Ok((201, object));
    }
    let created = world.lock().store.create(target.rt, ns, object, &now)?;
    Ok((201, (*created).clone()))
}

fn is_dry_run(req: &RequestParams) -> bool {
    req.params.get("dryRun").is_some_and(|d| d == "All")
}

/// The `scale` subresource (`kubectl scale`): an autoscaling/v1 Scale view of the replicas.
fn scale(
    world: &KubeWorld,
    target: &Target,
    verb: &str,
    req: &RequestParams,
    body: &Bytes,
) -> Answer {
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref().unwrap_or_default();
    let current = world
        .get(target.rt.kind, ns, name)
        .ok_or_else(|| ApiError::not_found(target.rt, name))?;
    let view = |o: &Value| {
        let selector = super::table::selector_string(o);
        json!({
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {"name": name, "namespace": ns, "uid": o["metadata"]["uid"], "resourceVersion": o["metadata"]["resourceVersion"], "creationTimestamp": o["metadata"]["creationTimestamp"]},
            "spec": {"replicas": o["spec"]["replicas"].as_i64().unwrap_or(1)},
            "status": {"replicas": o["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector},
        })
    };
    let desired = match verb {
        "get" => return Ok((200, view(&current))),
        "update" => parse_body(body, false)?,
        "patch" => {
            let kind = PatchType::from_content_type(&req.content_type)
                .filter(|k| *k != PatchType::Apply)
                .ok_or_else(|| ApiError::unsupported_media_type(&req.content_type))?;
            apply_patch(kind, &view(&current), &parse_body(body, false)?)
                .map_err(|e| patch_error(target.rt, name, e))?
        }
        _ => return Err(ApiError::method_not_allowed()),
    };
    let replicas = desired["spec"]["replicas"]
        .as_i64()
        .filter(|r| *r >= 0)
        .ok_or_else(|| {
            ApiError::invalid(
                target.rt,
                name,
                "spec.replicas: Invalid value: must be greater than or equal to 0",
            )
        })?;
    let mut next = (*current).clone();
    next["spec"]["replicas"] = json!(replicas);
    let main = Target {
        rt: target.rt,
        namespace: target.namespace.clone(),
        name: target.name.clone(),
        subresource: None,
    };
    let (_, stored) = store_write(world, &main, &current, next, req, true)?;
    Ok((200, view(&stored)))
}

/// Finishes a write: status stays with the status subresource, ownership is recorded, the
/// store checks the resourceVersion.
fn store_write(
    world: &KubeWorld,
    target: &Target,
    current: &Value,
    mut next: Value,
    req: &RequestParams,
    record: bool,
) -> Answer {
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref().unwrap_or_default();
    if target.rt.has_status {
        if target.subresource.is_some() {
            let status = next.get("status").cloned();
            next = current.clone();
            match status {
                Some(s) => next["status"] = s,
                None => {
                    if let Some(m) = next.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        } else {
            match current.get("status") {
                Some(s) => next["status"] = s.clone(),
                None => {
                    if let Some(m) = next.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
    }
    let now = world.now_rfc3339();
    if record {
        fields::record_update(
            Some(current),
            &mut next,
            &req.manager,
            &target.rt.api_version(),
            &now,
        );
    }
    if is_dry_run(req) {
        return Ok((200, next));
    }
    let stored = world.lock().store.update(target.rt, ns, name, next)?;
    Ok((200, (*stored).clone()))
}

fn update(world: &KubeWorld, target: &Target, req: &RequestParams, body: &Bytes) -> Answer {
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref().unwrap_or_default();
    let object = decode(target.rt, name, read_body(target.rt, req, body)?, req)?;
    let current = world
        .get(target.rt.kind, ns, name)
        .ok_or_else(|| ApiError::not_found(target.rt, name))?;
    store_write(world, target, &current, object, req, true)
}

/// A patch that names no resourceVersion applies to whatever is current: like the real API
/// server, a write that lost a race with another writer (a controller updating status) is
/// tried again on the new object instead of answering 409.
fn patch(world: &KubeWorld, target: &Target, req: &RequestParams, body: &Bytes) -> Answer {
    let pinned = serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|p| p["metadata"]["resourceVersion"].is_string());
    let mut attempt = 0;
    loop {
        match patch_once(world, target, req, body) {
            // A field-ownership conflict of a server-side apply is an answer, not a lost race.
            Err(e)
                if e.code == 409
                    && !pinned
                    && attempt < 5
                    && e.message.starts_with("Operation cannot be fulfilled") =>
            {
                attempt += 1;
            }
            answer => return answer,
        }
    }
}

fn patch_once(world: &KubeWorld, target: &Target, req: &RequestParams, body: &Bytes) -> Answer {
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref().unwrap_or_default();
    let kind = PatchType::from_content_type(&req.content_type)
        .ok_or_else(|| ApiError::unsupported_media_type(&req.content_type))?;
    let current = world.get(target.rt.kind, ns, name);
    if kind == PatchType::Apply {
        return server_side_apply(world, target, req, body, current);
    }
    let current = current.ok_or_else(|| ApiError::not_found(target.rt, name))?;
    let patch = parse_body(body, false)?;
    let patched =
        apply_patch(kind, &current, &patch).map_err(|e| patch_error(target.rt, name, e))?;
    let patched = decode(target.rt, name, patched, req)?;
    store_write(world, target, &current, patched, req, true)
}

/// A malformed patch is a bad request, one whose content cannot be applied leaves the object
/// invalid, and other failures of the strategic merge are passed on as the apiserver does.
fn patch_error(rt: &ResourceType, name: &str, e: super::strategic::PatchError) -> ApiError {
    match e.code {
        400 => ApiError::bad_request(e.message),
        422 => ApiError::invalid(rt, name, e.message),
        code => ApiError::patch_failed(code, e.message),
    }
}

fn server_side_apply(
    world: &KubeWorld,
    target: &Target,
    req: &RequestParams,
    body: &Bytes,
    current: Option<Arc<Value>>,
) -> Answer {
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref().unwrap_or_default();
    let Some(manager) = req.params.get("fieldManager").filter(|m| !m.is_empty()) else {
        return Err(ApiError::invalid(
            target.rt,
            name,
            "fieldManager: Required value: is required for apply patch",
        ));
    };
    let force = req.params.get("force").is_some_and(|f| f == "true");
    let applied = parse_body(body, true)?;
    if applied["metadata"]["name"].as_str() != Some(name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            applied["metadata"]["name"].as_str().unwrap_or_default()
        )));
    }
    if applied["kind"].as_str() != Some(target.rt.kind_name)
        || applied["apiVersion"].as_str() != Some(&target.rt.api_version())
    {
        return Err(ApiError::bad_request(
            "apply patches need the apiVersion and kind of the resource",
        ));
    }
    let applied = decode(target.rt, name, applied, req)?;
    let now = world.now_rfc3339();
    let merged = fields::server_side_apply(
        current.as_deref(),
        &applied,
        manager,
        force,
        &target.rt.api_version(),
        &now,
    )
    .map_err(ApiError::apply_conflict)?;
    let merged = normalize(target.rt, name, merged)?;
    match current {
        None => {
            if is_dry_run(req) {
                return Ok((201, merged));
            }
            let created = world.lock().store.create(target.rt, ns, merged, &now)?;
            Ok((201, (*created).clone()))
        }
        Some(current) => store_write(world, target, &current, merged, req, false),
    }
}

fn delete(world: &KubeWorld, target: &Target, content_type: &str, body: &Bytes) -> Answer {
    let name = target.name.as_deref().unwrap_or_default();
    let ns = target.namespace.as_deref().unwrap_or_default();
    // DeleteOptions may carry preconditions: delete only the version (or instance) the caller
    // read, as a Lease holder releasing only its own lock does.
    let options = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else if super::proto::is_protobuf(content_type) {
        super::proto::decode_delete_options(body).map_err(ApiError::bad_request)?
    } else {
        parse_body(body, false)?
    };
    let preconditions = &options["preconditions"];
    if preconditions.is_object() {
        let current = world
            .get(target.rt.kind, ns, name)
            .ok_or_else(|| ApiError::not_found(target.rt, name))?;
        for (key, field) in [("resourceVersion", "ResourceVersion"), ("uid", "UID")] {
            if let Some(wanted) = preconditions[key].as_str() {
                let found = current["metadata"][key].as_str().unwrap_or_default();
                if wanted != found {
                    return Err(ApiError::precondition_failed(
                        target.rt, name, field, wanted, found,
                    ));
                }
            }
        }
    }
    if target.rt.kind == Kind::Pod {
        // Pods terminate gracefully: the simulated kubelet removes them after the grace period.
        let now = world.now_rfc3339();
        let stored = world
            .lock()
            .store
            .mark_deleting(target.rt, ns, name, &now)?;
        return Ok((200, (*stored).clone()));
    }
    let removed = world.lock().store.delete(target.rt, ns, name)?;
    if target.rt.kind == Kind::Namespace {
        delete_namespace_contents(world, name);
    }
    if target.rt.deletes_answer_the_object() {
        return Ok((200, (*removed).clone()));
    }
    // What was removed at once is answered with a Status, as the apiserver does for kinds
    // without graceful deletion or finalizers.
    let mut details =
        json!({"name": name, "kind": target.rt.plural, "uid": removed["metadata"]["uid"]});
    if !target.rt.group.is_empty() {
        details["group"] = json!(target.rt.group);
    }
    Ok((
        200,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}),
    ))
}

fn delete_namespace_contents(world: &KubeWorld, namespace: &str) {
    let mut state = world.lock();
    for rt in resources::RESOURCES.iter().filter(|r| r.namespaced) {
        for o in state.store.list(rt.kind, Some(namespace)) {
            let name = o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let _ = state.store.delete(rt, namespace, &name);
        }
    }
}

fn delete_collection(
    world: &KubeWorld,
    rt: &'static ResourceType,
    namespace: Option<&str>,
    req: &RequestParams,
) -> Answer {
    let (labels, fields) = selectors(&req.params)?;
    let objects = world.list(rt.kind, namespace);
    let mut deleted = Vec::new();
    for o in objects
        .iter()
        .filter(|o| labels.matches(o) && fields.matches(o))
    {
        let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        if let Ok(d) = world.lock().store.delete(rt, ns, name) {
            deleted.push((*d).clone());
        }
    }
    let rv = world.lock().store.resource_version();
    Ok((
        200,
        json!({"kind": format!("{}List", rt.kind_name), "apiVersion": rt.api_version(), "metadata": {"resourceVersion": rv.to_string()}, "items": deleted}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_resources_namespaces_and_subresources() {
        let t = parse_target("apps", "v1", "namespaces/dev/deployments/web/status").unwrap();
        assert_eq!(
            (
                t.rt.kind,
                t.namespace.as_deref(),
                t.name.as_deref(),
                t.subresource.as_deref()
            ),
            (Kind::Deployment, Some("dev"), Some("web"), Some("status"))
        );
        let t = parse_target("", "v1", "namespaces/dev").unwrap();
        assert_eq!(
            (t.rt.kind, t.namespace, t.name.as_deref()),
            (Kind::Namespace, None, Some("dev"))
        );
        let t = parse_target("", "v1", "pods").unwrap();
        assert_eq!((t.rt.kind, t.namespace, t.name), (Kind::Pod, None, None));
        assert!(parse_target("apps", "v1", "namespaces/dev/deployments/web/scale").is_ok());
        assert!(parse_target("apps", "v1", "namespaces/dev/deployments/web/log").is_err());
        assert!(parse_target("apps", "v1", "widgets").is_err());
        assert!(parse_target("", "v1", "namespaces/dev/configmaps/a/status").is_err());
    }

    #[test]
    fn normalize_rejects_wrong_types_and_drops_unknown_fields() {
        let rt = ResourceType::of(Kind::Deployment);
        let ok = normalize(rt, "web", json!({"metadata": {"name": "web"}, "spec": {"replicas": 2, "selector": {}, "template": {}}, "bogus": 1})).unwrap();
        assert!(ok.get("bogus").is_none());
        assert_eq!(ok["kind"], "Deployment");
        let err = normalize(
            rt,
            "web",
            json!({"metadata": {"name": "web"}, "spec": {"replicas": "two"}}),
        )
        .unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(
            normalize(rt, "web", json!({"apiVersion": "v1"}))
                .unwrap_err()
                .code,
            400
        );
    }
}
