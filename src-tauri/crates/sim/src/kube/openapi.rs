//! The OpenAPI documents clients read before they write. kubectl and Helm 3 build objects with
//! schema validation on: they read the OpenAPI v3 index and each group-version's document, and
//! leave validation to the server (which this simulator does by strict decoding) for every
//! kind whose PATCH declares the `fieldValidation` parameter under the kind's
//! `x-kubernetes-group-version-kind`. Only when v3 fails do they fall back to `/openapi/v2`,
//! which client-go asks for as gnostic protobuf (see [`super::proto::openapi_v2_document`]);
//! kubectl's client-side apply and `explain --output plaintext-openapiv2` read its schemas.
//!
//! The v2 definitions are the real ones of Kubernetes v1.33.1 for the kinds served here and
//! what they refer to, descriptions left out (`openapi-definitions.json`, 78 kB; a test fails
//! when a served kind lacks its definition). Generated from k8s.io/kubernetes@v1.33.1
//! `api/openapi-spec/swagger.json`, `$ROOTS` being the JSON list of each served kind's
//! definition and its List's, `io.k8s.api.autoscaling.v1.Scale` and
//! `io.k8s.apimachinery.pkg.apis.meta.v1.{Status,DeleteOptions,Patch}`:
//!
//! ```text
//! jq -c --argjson roots "$ROOTS" '.definitions as $d
//!   | def refs: [.. | objects | select(has("$ref")) | .["$ref"] | ltrimstr("#/definitions/")];
//!     def close($seen): ([$seen[] as $n | $d[$n] | refs[]] | unique - $seen) as $new
//!       | if ($new | length) == 0 then $seen else close($seen + $new) end;
//!     (close($roots) | sort) as $names | reduce $names[] as $n ({}; .[$n] = $d[$n])
//!   | walk(if type == "object" and (.description | type) == "string"
//!          then del(.description) else . end)' swagger.json
//! ```

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use super::resources::{Kind, RESOURCES, ResourceType};

const DEFINITIONS: &str = include_str!("openapi-definitions.json");

/// What client-go's discovery asks `/openapi/v2` for.
pub const V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/// The older spelling, which the apiserver answers with whichever was asked: Go's media type
/// parser refuses the `@` of the other in a Content-Type.
pub const V2_PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `io.k8s.api.apps.v1.Deployment`: where a kind's schema is among the definitions.
pub fn definition(group: &str, version: &str, kind: &str) -> String {
    let package = match group {
        "" => "core",
        g => g.split('.').next().unwrap_or(g),
    };
    format!("io.k8s.api.{package}.{version}.{kind}")
}

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1";

fn definition_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/definitions/{name}") })
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `patchAppsV1NamespacedDeployment`, `deleteCoreV1CollectionNamespacedPod`, `…Status`: as
/// the apiserver names its operations.
fn operation_id(verb: &Verb, rt: &ResourceType, scope: &str, suffix: &str) -> String {
    let group = match rt.group {
        "" => "Core".to_owned(),
        g => capitalized(g.split('.').next().unwrap_or(g)),
    };
    let version = capitalized(rt.version);
    format!(
        "{}{group}{version}{}{scope}{}{suffix}",
        verb.id, verb.infix, rt.kind_name
    )
}

/// A query parameter, as v2 writes it (v3 nests `type` under `schema`).
struct Param {
    name: &'static str,
    kind: &'static str,
}

const fn query(name: &'static str, kind: &'static str) -> Param {
    Param { name, kind }
}

const WRITE_PARAMS: &[Param] = &[
    query("dryRun", "string"),
    query("fieldManager", "string"),
    query("fieldValidation", "string"),
];
const PATCH_PARAMS: &[Param] = &[
    query("dryRun", "string"),
    query("fieldManager", "string"),
    query("fieldValidation", "string"),
    query("force", "boolean"),
];
const LIST_PARAMS: &[Param] = &[
    query("allowWatchBookmarks", "boolean"),
    query("continue", "string"),
    query("fieldSelector", "string"),
    query("labelSelector", "string"),
    query("limit", "integer"),
    query("resourceVersion", "string"),
    query("resourceVersionMatch", "string"),
    query("sendInitialEvents", "boolean"),
    query("timeoutSeconds", "integer"),
    query("watch", "boolean"),
];
const DELETE_PARAMS: &[Param] = &[
    query("dryRun", "string"),
    query("gracePeriodSeconds", "integer"),
    query("propagationPolicy", "string"),
];
const DELETE_COLLECTION_PARAMS: &[Param] = &[
    query("dryRun", "string"),
    query("gracePeriodSeconds", "integer"),
    query("propagationPolicy", "string"),
    query("continue", "string"),
    query("fieldSelector", "string"),
    query("labelSelector", "string"),
    query("limit", "integer"),
    query("resourceVersion", "string"),
    query("resourceVersionMatch", "string"),
    query("timeoutSeconds", "integer"),
];

/// What a request or an answer carries.
#[derive(Clone, Copy)]
enum Carries {
    Nothing,
    /// The kind itself (or its subresource's kind).
    Object,
    List,
    Patch,
    DeleteOptions,
    Status,
}

/// One verb as an OpenAPI operation.
struct Verb {
    /// The verb as discovery and RBAC name it.
    name: &'static str,
    method: &'static str,
    action: &'static str,
    /// How the operation id starts: `read`, `replace`, `delete`, …
    id: &'static str,
    /// What follows the group-version in the id: `Collection` for deletecollection.
    infix: &'static str,
    params: &'static [Param],
    body: Carries,
    answer: Carries,
    codes: &'static [(&'static str, &'static str)],
}

const OK: &[(&str, &str)] = &[("200", "OK")];
const CREATED: &[(&str, &str)] = &[("200", "OK"), ("201", "Created"), ("202", "Accepted")];
const PATCHED: &[(&str, &str)] = &[("200", "OK"), ("201", "Created")];
const DELETED: &[(&str, &str)] = &[("200", "OK"), ("202", "Accepted")];

// A table row in function form; a struct literal per verb would bury the table.
#[allow(clippy::too_many_arguments)]
const fn verb(
    name: &'static str,
    method: &'static str,
    action: &'static str,
    id: &'static str,
    infix: &'static str,
    params: &'static [Param],
    body: Carries,
    answer: Carries,
    codes: &'static [(&'static str, &'static str)],
) -> Verb {
    Verb {
        name,
        method,
        action,
        id,
        infix,
        params,
        body,
        answer,
        codes,
    }
}

use Carries::{DeleteOptions, List, Nothing, Object, Patch, Status};

#[rustfmt::skip]
const COLLECTION_VERBS: &[Verb] = &[
    verb("list", "get", "list", "list", "", LIST_PARAMS, Nothing, List, OK),
    verb("create", "post", "post", "create", "", WRITE_PARAMS, Object, Object, CREATED),
    verb("deletecollection", "delete", "deletecollection", "delete", "Collection",
         DELETE_COLLECTION_PARAMS, DeleteOptions, Status, OK),
];
#[rustfmt::skip]
const ITEM_VERBS: &[Verb] = &[
    verb("get", "get", "get", "read", "", &[], Nothing, Object, OK),
    verb("update", "put", "put", "replace", "", WRITE_PARAMS, Object, Object, PATCHED),
    verb("patch", "patch", "patch", "patch", "", PATCH_PARAMS, Patch, Object, PATCHED),
    // The answer is the object for some kinds ([`ResourceType::deletes_answer_the_object`]).
    verb("delete", "delete", "delete", "delete", "", DELETE_PARAMS, DeleteOptions, Status, DELETED),
];
/// `status` and `scale` take get, update and patch.
#[rustfmt::skip]
const SUBRESOURCE_VERBS: &[Verb] = &[
    verb("get", "get", "get", "read", "", &[], Nothing, Object, OK),
    verb("update", "put", "put", "replace", "", WRITE_PARAMS, Object, Object, PATCHED),
    verb("patch", "patch", "patch", "patch", "", PATCH_PARAMS, Patch, Object, PATCHED),
];

/// One operation of one path.
struct Operation {
    method: &'static str,
    action: &'static str,
    id: String,
    /// The kind the operation is about (a subresource's may differ: Scale).
    gvk: (&'static str, &'static str, &'static str),
    params: &'static [Param],
    /// The definition the body is, if there is one.
    body: Option<String>,
    /// The definition of the answer, and the status codes it comes with.
    answer: String,
    codes: &'static [(&'static str, &'static str)],
}

struct PathEntry {
    path: String,
    /// `name` and/or `namespace`.
    path_params: Vec<&'static str>,
    operations: Vec<Operation>,
}

/// The kind a path serves: its group-version-kind and its definition.
struct Served {
    gvk: (&'static str, &'static str, &'static str),
    definition: String,
}

impl Served {
    fn operation(&self, verb: &Verb, id: String) -> Operation {
        let definition = |c: Carries| match c {
            Nothing => None,
            Object => Some(self.definition.clone()),
            List => Some(format!("{}List", self.definition)),
            Patch => Some(format!("{META}.Patch")),
            DeleteOptions => Some(format!("{META}.DeleteOptions")),
            Status => Some(format!("{META}.Status")),
        };
        Operation {
            method: verb.method,
            action: verb.action,
            id,
            gvk: self.gvk,
            params: verb.params,
            body: definition(verb.body),
            answer: definition(verb.answer).unwrap_or_default(),
            codes: verb.codes,
        }
    }
}

/// Every path the simulator serves, with its operations, derived from the resource table.
/// The kinds the documents describe: all but Job, which is served for Sluice's smoke tests only
/// (`openapi-definitions.json` has no Job schema, and neither kubectl nor Helm writes one here).
fn documented() -> impl Iterator<Item = &'static ResourceType> {
    RESOURCES.iter().filter(|r| r.kind != Kind::Job)
}

fn paths() -> Vec<PathEntry> {
    let mut out = Vec::new();
    for rt in documented() {
        let kind = Served {
            gvk: (rt.group, rt.version, rt.kind_name),
            definition: definition(rt.group, rt.version, rt.kind_name),
        };
        let base = format!("/{}", gv_path(rt.group, rt.version));
        let (collection, scope, scope_name) = if rt.namespaced {
            (
                format!("{base}/namespaces/{{namespace}}/{}", rt.plural),
                vec!["namespace"],
                "Namespaced",
            )
        } else {
            (format!("{base}/{}", rt.plural), vec![], "")
        };
        let served = |verbs: &'static [Verb]| verbs.iter().filter(|v| rt.verbs.contains(&v.name));
        out.push(PathEntry {
            path: collection.clone(),
            path_params: scope.clone(),
            operations: served(COLLECTION_VERBS)
                .map(|v| kind.operation(v, operation_id(v, rt, scope_name, "")))
                .collect(),
        });
        if rt.namespaced && rt.verbs.contains(&"list") {
            let list = &COLLECTION_VERBS[0];
            out.push(PathEntry {
                path: format!("{base}/{}", rt.plural),
                path_params: vec![],
                operations: vec![
                    kind.operation(list, operation_id(list, rt, "", "ForAllNamespaces")),
                ],
            });
        }
        let item = format!("{collection}/{{name}}");
        let mut item_params = vec!["name"];
        item_params.extend(scope.iter().copied());
        let operations: Vec<Operation> = served(ITEM_VERBS)
            .map(|v| {
                let mut op = kind.operation(v, operation_id(v, rt, scope_name, ""));
                // As the apiserver documents it: a Namespace's delete is documented as
                // answering a Status, though it answers with the Namespace.
                if v.name == "delete"
                    && rt.deletes_answer_the_object()
                    && rt.kind != Kind::Namespace
                {
                    op.answer = kind.definition.clone();
                }
                op
            })
            .collect();
        if !operations.is_empty() {
            out.push(PathEntry {
                path: item.clone(),
                path_params: item_params.clone(),
                operations,
            });
        }
        let mut subresources = Vec::new();
        if rt.has_status {
            subresources.push(("status", "Status", kind.gvk, kind.definition.clone()));
        }
        if matches!(rt.kind, Kind::Deployment | Kind::ReplicaSet) {
            subresources.push((
                "scale",
                "Scale",
                ("autoscaling", "v1", "Scale"),
                "io.k8s.api.autoscaling.v1.Scale".to_owned(),
            ));
        }
        for (sub, suffix, gvk, definition) in subresources {
            let sub_kind = Served { gvk, definition };
            out.push(PathEntry {
                path: format!("{item}/{sub}"),
                path_params: item_params.clone(),
                operations: SUBRESOURCE_VERBS
                    .iter()
                    .map(|v| sub_kind.operation(v, operation_id(v, rt, scope_name, suffix)))
                    .collect(),
            });
        }
    }
    out
}

fn gvk_value((group, version, kind): (&str, &str, &str)) -> Value {
    json!({"group": group, "kind": kind, "version": version})
}

fn consumes(method: &str) -> Value {
    if method == "patch" {
        json!([
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
            "application/apply-patch+yaml",
            "application/apply-patch+cbor"
        ])
    } else {
        json!(["*/*"])
    }
}

fn path_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "type": "string", "uniqueItems": true})
}

/// `GET /openapi/v2` as JSON: Swagger 2.0 with the real definitions.
pub fn v2() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let definitions: Value = serde_json::from_str(DEFINITIONS).unwrap_or_else(|_| json!({}));
        let mut paths = Map::new();
        for entry in self::paths() {
            let mut item = Map::new();
            let mut params: Vec<Value> = entry.path_params.iter().map(|p| path_param(p)).collect();
            params.push(
                json!({"name": "pretty", "in": "query", "type": "string", "uniqueItems": true}),
            );
            item.insert("parameters".into(), Value::Array(params));
            for op in entry.operations {
                let mut parameters = Vec::new();
                if let Some(body) = &op.body {
                    parameters.push(json!({"name": "body", "in": "body", "required": op.method != "delete", "schema": definition_ref(body)}));
                }
                for p in op.params {
                    parameters.push(json!({"name": p.name, "in": "query", "type": p.kind, "uniqueItems": true}));
                }
                let mut responses = Map::new();
                for (code, description) in op.codes {
                    responses.insert(
                        (*code).to_owned(),
                        json!({"description": description, "schema": definition_ref(&op.answer)}),
                    );
                }
                responses.insert("401".into(), json!({"description": "Unauthorized"}));
                let tag = format!("{}_{}", if op.gvk.0.is_empty() { "core" } else { op.gvk.0.split('.').next().unwrap_or_default() }, op.gvk.1);
                item.insert(
                    op.method.to_owned(),
                    json!({
                        "consumes": consumes(op.method),
                        "produces": ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
                        "schemes": ["https"],
                        "tags": [tag],
                        "operationId": op.id,
                        "parameters": parameters,
                        "responses": responses,
                        "x-kubernetes-action": op.action,
                        "x-kubernetes-group-version-kind": gvk_value(op.gvk),
                    }),
                );
            }
            paths.insert(entry.path, Value::Object(item));
        }
        json!({
            "swagger": "2.0",
            "info": {"title": "Kubernetes", "version": "v1.33.0"},
            "paths": paths,
            "definitions": definitions,
            "securityDefinitions": {"BearerToken": {"description": "Bearer Token authentication", "in": "header", "name": "authorization", "type": "apiKey"}},
            "security": [{"BearerToken": []}],
        })
    })
}

/// `GET /openapi/v2` as gnostic protobuf.
pub fn v2_protobuf() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| super::proto::openapi_v2_document(v2()))
}

/// How `/openapi/v2` answers an `Accept` header: `Some(true)` protobuf, `Some(false)` JSON,
/// `None` nothing the client accepts (406). Media ranges are taken by their `q`, then in order.
pub fn v2_wants_protobuf(accept: &str) -> Option<bool> {
    if accept.trim().is_empty() {
        return Some(false);
    }
    let mut ranges: Vec<(f32, usize, &str)> = accept
        .split(',')
        .enumerate()
        .map(|(i, part)| {
            let mut pieces = part.split(';');
            let essence = pieces.next().unwrap_or_default().trim();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q, i, essence)
        })
        .filter(|(q, _, _)| *q > 0.0)
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.iter().find_map(|(_, _, essence)| match *essence {
        V2_PROTOBUF | V2_PROTOBUF_CONTENT_TYPE => Some(true),
        "application/json" | "application/*" | "*/*" => Some(false),
        _ => None,
    })
}

/// `GET /openapi/v3`.
pub fn root() -> Value {
    let mut paths = Map::new();
    for r in documented() {
        let p = gv_path(r.group, r.version);
        let url = format!("/openapi/v3/{p}?hash=5a1ce");
        paths.insert(p, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

/// `GET /openapi/v3/{api/v1 | apis/group/version}`: the paths and operations of the group
/// version; schemas are left to v2.
pub fn group_version(path: &str) -> Option<Value> {
    let prefix = format!("/{path}/");
    let mut paths = Map::new();
    for entry in self::paths()
        .into_iter()
        .filter(|e| e.path.starts_with(&prefix))
    {
        let mut item = Map::new();
        let params: Vec<Value> = entry
            .path_params
            .iter()
            .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string", "uniqueItems": true}}))
            .collect();
        item.insert("parameters".into(), Value::Array(params));
        for op in entry.operations {
            let parameters: Vec<Value> = op
                .params
                .iter()
                .map(|p| json!({"name": p.name, "in": "query", "schema": {"type": p.kind, "uniqueItems": true}}))
                .collect();
            item.insert(
                op.method.to_owned(),
                json!({
                    "operationId": op.id,
                    "parameters": parameters,
                    "x-kubernetes-action": op.action,
                    "x-kubernetes-group-version-kind": gvk_value(op.gvk),
                }),
            );
        }
        paths.insert(entry.path, Value::Object(item));
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

/// Paths present (and not null) in what the client sent but gone after decoding into the real
/// type: the unknown fields a strict decoder reports.
pub fn unknown_fields(sent: &Value, decoded: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(sent, Some(decoded), "", &mut out);
    out
}

/// Null, or containers holding nothing but blanks: what a decoder may drop without loss.
fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.values().all(blank),
        Value::Array(a) => a.iter().all(blank),
        _ => false,
    }
}

fn walk(sent: &Value, decoded: Option<&Value>, path: &str, out: &mut Vec<String>) {
    match sent {
        Value::Object(map) => {
            for (k, v) in map {
                if v.is_null() {
                    continue;
                }
                let child = decoded.and_then(|d| d.get(k));
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match child {
                    None if !blank(v) => out.push(p),
                    None => {}
                    Some(c) => walk(v, Some(c), &p, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let child = decoded.and_then(|d| d.get(i));
                walk(item, child, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What kubectl's and Helm's validator looks for: a PATCH of the kind that takes
    /// `fieldValidation` (cli-runtime `supportsQueryParamV3`).
    fn patch_validates_on_the_server(doc: &Value, gvk: (&str, &str, &str)) -> bool {
        doc["paths"].as_object().unwrap().values().any(|item| {
            let patch = &item["patch"];
            patch["x-kubernetes-group-version-kind"] == gvk_value(gvk)
                && patch["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
        })
    }

    #[test]
    fn every_served_kind_is_validated_on_the_server_in_v3() {
        let index = root();
        for r in documented().filter(|r| r.verbs.contains(&"patch")) {
            let gv = gv_path(r.group, r.version);
            assert!(index["paths"][&gv]["serverRelativeURL"].is_string(), "{gv}");
            let doc = group_version(&gv).unwrap();
            assert!(
                patch_validates_on_the_server(&doc, (r.group, r.version, r.kind_name)),
                "{}",
                r.kind_name
            );
        }
        let networking = group_version("apis/networking.k8s.io/v1").unwrap();
        assert!(
            networking["paths"]["/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name}"]["patch"]
                .is_object()
        );
    }

    #[test]
    fn v2_has_every_served_kind_with_its_real_schema() {
        let doc = v2();
        for r in documented().filter(|r| r.verbs.contains(&"patch")) {
            assert!(
                patch_validates_on_the_server(doc, (r.group, r.version, r.kind_name)),
                "{}",
                r.kind_name
            );
            let def = definition(r.group, r.version, r.kind_name);
            let schema = &doc["definitions"][&def];
            assert_eq!(
                schema["x-kubernetes-group-version-kind"][0],
                gvk_value((r.group, r.version, r.kind_name)),
                "{def}"
            );
        }
        // Every reference resolves.
        let text = doc.to_string();
        for piece in text.split("\"$ref\":\"#/definitions/").skip(1) {
            let name = piece.split('"').next().unwrap();
            assert!(doc["definitions"].get(name).is_some(), "{name}");
        }
        let ports = &doc["definitions"]["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"];
        assert_eq!(ports["x-kubernetes-patch-merge-key"], "port");
        assert_eq!(
            doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"]
                ["x-kubernetes-group-version-kind"]["kind"],
            "Scale"
        );
    }

    #[test]
    fn v2_is_protobuf_when_asked_first_and_json_otherwise() {
        let cases = [
            (V2_PROTOBUF, Some(true)),
            (
                "application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json",
                Some(true),
            ),
            ("application/json", Some(false)),
            ("", Some(false)),
            ("*/*", Some(false)),
            (
                "application/json;q=0.9, application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
                Some(true),
            ),
            ("text/html", None),
        ];
        for (accept, expected) in cases {
            assert_eq!(v2_wants_protobuf(accept), expected, "{accept}");
        }
    }

    #[test]
    fn unknown_fields_are_found() {
        let sent = json!({"spec": {"replicas": 1, "replicaz": 2, "template": {"spec": {"containers": [{"name": "a", "imagee": "x"}]}}}, "metadata": {"labels": {}}});
        let decoded =
            json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a"}]}}}});
        assert_eq!(
            unknown_fields(&sent, &decoded),
            ["spec.replicaz", "spec.template.spec.containers[0].imagee"]
        );
    }
}
