//! Who is calling (bearer token → simulated person) and what they may do: a small RBAC table
//! shaped like the roles a real team would bind, so access reviews answer truthfully.

use serde_json::{Value, json};

use super::resources::{Kind, ResourceType};
use crate::people::{Person, Role};

const READ_VERBS: &[&str] = &["get", "list", "watch"];

/// Namespaces a developer may change; production is read-only for them.
const DEVELOPER_NAMESPACES: &[&str] = &["dev", "staging"];

/// Whether `person` may `verb` the resource in `namespace` (None: cluster scope).
pub fn allowed(person: &Person, verb: &str, kind: Option<Kind>, namespace: Option<&str>) -> bool {
    // Everyone may ask what they may do.
    if kind == Some(Kind::SelfSubjectAccessReview) {
        return verb == "create";
    }
    let read = READ_VERBS.contains(&verb);
    match person.role {
        Role::Approver | Role::Lead => true,
        Role::Developer => {
            if read {
                return true;
            }
            let writable_kind = matches!(
                kind,
                Some(
                    Kind::Deployment
                        | Kind::ReplicaSet
                        | Kind::Pod
                        | Kind::ConfigMap
                        | Kind::Secret
                        | Kind::Lease
                        | Kind::Event
                )
            );
            writable_kind && namespace.is_some_and(|ns| DEVELOPER_NAMESPACES.contains(&ns))
        }
        // Like Kubernetes' built-in `view` role: no secrets, which hold Helm's release data.
        Role::Viewer => read && kind != Some(Kind::Secret),
    }
}

/// Answers a SelfSubjectAccessReview the way the apiserver does.
pub fn review(person: &Person, request: &Value) -> Value {
    let attrs = &request["spec"]["resourceAttributes"];
    let (allowed, reason) = if attrs.is_object() {
        let group = attrs["group"].as_str().unwrap_or_default();
        let resource = attrs["resource"].as_str().unwrap_or_default();
        let verb = attrs["verb"].as_str().unwrap_or_default();
        let namespace = attrs["namespace"].as_str().filter(|n| !n.is_empty());
        let version = attrs["version"]
            .as_str()
            .filter(|v| !v.is_empty())
            .unwrap_or("v1");
        let kind = ResourceType::find(group, version, resource)
            .or_else(|| {
                super::resources::RESOURCES
                    .iter()
                    .find(|r| r.group == group && r.plural == resource)
            })
            .map(|r| r.kind);
        let ok = match kind {
            Some(k) => allowed(person, verb, Some(k), namespace),
            // Unknown resources: only the approver's and the lead's wildcard rule covers them.
            None => matches!(person.role, Role::Approver | Role::Lead),
        };
        let reason = if ok {
            allowed_by(person, verb, kind, namespace)
        } else {
            String::new()
        };
        (ok, reason)
    } else {
        // Non-resource URLs (/healthz, /version, …) are open to every authenticated user.
        (
            true,
            "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"".to_owned(),
        )
    };
    let mut out = json!({
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": request["spec"].clone(),
        "status": {"allowed": allowed},
    });
    if !reason.is_empty() {
        out["status"]["reason"] = json!(reason);
    }
    out
}

/// The RBAC authorizer's words for the binding that allowed a request, as a real apiserver
/// says them: the bindings are those tests/control-plane/cluster.sh creates for the same roles
/// (ClusterRoleBindings are consulted before RoleBindings).
fn allowed_by(person: &Person, verb: &str, kind: Option<Kind>, namespace: Option<&str>) -> String {
    let (binding, role) = match person.role {
        _ if kind == Some(Kind::SelfSubjectAccessReview) => {
            return "RBAC: allowed by ClusterRoleBinding \"system:basic-user\" of ClusterRole \"system:basic-user\" to Group \"system:authenticated\"".to_owned();
        }
        Role::Approver => (
            "ClusterRoleBinding \"release-approvers\"".to_owned(),
            "cluster-admin",
        ),
        Role::Lead => (
            "ClusterRoleBinding \"release-leads\"".to_owned(),
            "cluster-admin",
        ),
        Role::Developer if READ_VERBS.contains(&verb) => (
            "ClusterRoleBinding \"developers-read\"".to_owned(),
            "sluice:read-all",
        ),
        Role::Developer => (
            format!(
                "RoleBinding \"developers/{}\"",
                namespace.unwrap_or_default()
            ),
            "sluice:developer",
        ),
        Role::Viewer => ("ClusterRoleBinding \"viewers\"".to_owned(), "sluice:viewer"),
    };
    format!(
        "RBAC: allowed by {binding} of ClusterRole \"{role}\" to User \"{}\"",
        person.login
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::cast;

    fn person(role: Role) -> Person {
        cast().into_iter().find(|p| p.role == role).unwrap()
    }

    #[test]
    fn roles_allow_what_they_should() {
        let (a, d, v, l) = (
            person(Role::Approver),
            person(Role::Developer),
            person(Role::Viewer),
            person(Role::Lead),
        );
        let deploy = Some(Kind::Deployment);
        assert!(allowed(&a, "patch", deploy, Some("production")));
        // The lead may do whatever the approver may, production and Helm's Secrets included.
        assert!(allowed(&l, "patch", deploy, Some("production")));
        assert!(allowed(&l, "create", Some(Kind::Lease), Some("production")));
        assert!(allowed(&l, "list", Some(Kind::Secret), Some("production")));
        assert!(allowed(&d, "patch", deploy, Some("staging")));
        assert!(!allowed(&d, "patch", deploy, Some("production")));
        assert!(allowed(&d, "watch", deploy, Some("production")));
        assert!(!allowed(&v, "patch", deploy, Some("dev")));
        assert!(allowed(&v, "list", Some(Kind::Pod), None));
        assert!(!allowed(&v, "list", Some(Kind::Secret), Some("dev")));
    }

    #[test]
    fn access_review_answers_for_the_caller() {
        let req = json!({"spec": {"resourceAttributes": {"namespace": "production", "verb": "patch", "group": "apps", "resource": "deployments"}}});
        assert_eq!(
            review(&person(Role::Approver), &req)["status"]["allowed"],
            true
        );
        assert_eq!(
            review(&person(Role::Developer), &req)["status"]["allowed"],
            false
        );
        let lead = review(&person(Role::Lead), &req);
        assert_eq!(lead["status"]["allowed"], true);
        assert!(
            lead["status"]["reason"]
                .as_str()
                .unwrap()
                .ends_with("to User \"carol-lead\""),
            "{lead}"
        );
        let lease = json!({"spec": {"resourceAttributes": {"namespace": "production", "verb": "create", "group": "coordination.k8s.io", "resource": "leases"}}});
        assert_eq!(
            review(&person(Role::Viewer), &lease)["status"]["allowed"],
            false
        );
    }
}
