//! Kubernetes `Status` errors, with the codes and reasons real clients branch on.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resources::ResourceType;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, rt: &ResourceType, name: &str) -> Self {
        let mut details = json!({"name": name, "kind": rt.plural});
        if !rt.group.is_empty() {
            details["group"] = json!(rt.group);
        }
        self.details = Some(details);
        self
    }

    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", rt.qualified()),
        )
        .with_details(rt, name)
    }

    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", rt.qualified()),
        )
        .with_details(rt, name)
    }

    pub fn conflict(rt: &ResourceType, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": {why}",
                rt.qualified()
            ),
        )
        .with_details(rt, name)
    }

    /// A delete whose precondition (`DeleteOptions.preconditions`) no longer holds. The
    /// apiserver names the kind here, not the resource: `Lease.coordination.k8s.io "x"`.
    pub fn precondition_failed(
        rt: &ResourceType,
        name: &str,
        field: &str,
        wanted: &str,
        found: &str,
    ) -> Self {
        let qualified = if rt.group.is_empty() {
            rt.kind_name.to_owned()
        } else {
            format!("{}.{}", rt.kind_name, rt.group)
        };
        let mut e = Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {qualified} \"{name}\": the {field} in the precondition ({wanted}) does not match the {field} in record ({found}). The object might have been modified"
            ),
        );
        let mut details = json!({"name": name, "kind": rt.kind_name});
        if !rt.group.is_empty() {
            details["group"] = json!(rt.group);
        }
        e.details = Some(details);
        e
    }

    pub fn apply_conflict(message: String) -> Self {
        Self::new(409, "Conflict", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn invalid(rt: &ResourceType, name: &str, message: impl Into<String>) -> Self {
        let message = format!("{} \"{name}\" is invalid: {}", rt.kind_name, message.into());
        Self::new(422, "Invalid", message).with_details(rt, name)
    }

    /// A strategic merge patch the merge code refused: the apiserver passes such errors on
    /// unclassified (500, no reason).
    pub fn patch_failed(code: u16, message: impl Into<String>) -> Self {
        Self::new(code, "", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type})"
            ),
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    pub fn route_not_found() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn forbidden(
        user: &str,
        verb: &str,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Self {
        let group = if rt.group.is_empty() {
            "\"\"".to_owned()
        } else {
            format!("\"{}\"", rt.group)
        };
        let scope = match namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_owned(),
        };
        let message = format!(
            "{}{} is forbidden: User \"{user}\" cannot {verb} resource \"{}\" in API group {group} {scope}",
            rt.qualified(),
            if name.is_empty() {
                String::new()
            } else {
                format!(" \"{name}\"")
            },
            rt.plural
        );
        Self::new(403, "Forbidden", message).with_details(rt, name)
    }

    pub fn namespace_not_found(ns: &str) -> Self {
        Self::new(404, "NotFound", format!("namespaces \"{ns}\" not found"))
            .with_details(ResourceType::of(super::resources::Kind::Namespace), ns)
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn unavailable(code: u16) -> Self {
        let reason = match code {
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "InternalError",
        };
        Self::new(
            code,
            reason,
            "the simulated server is failing on purpose (fault injection)",
        )
    }

    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, axum::Json(self.to_status())).into_response()
    }
}
