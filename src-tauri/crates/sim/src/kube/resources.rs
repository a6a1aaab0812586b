//! The resource types the simulated apiserver serves, and what discovery says about them.

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    Pod,
    Event,
    Secret,
    ConfigMap,
    Service,
    ServiceAccount,
    Deployment,
    ReplicaSet,
    Ingress,
    Lease,
    Job,
    SelfSubjectAccessReview,
}

#[derive(Debug)]
pub struct ResourceType {
    pub kind: Kind,
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind_name: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Has a `status` subresource: writes to the main resource leave status alone.
    pub has_status: bool,
    /// Bumps `metadata.generation` when its spec changes.
    pub has_generation: bool,
    pub categories: &'static [&'static str],
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

pub static RESOURCES: &[ResourceType] = &[
    ResourceType {
        kind: Kind::Namespace,
        group: "",
        version: "v1",
        plural: "namespaces",
        singular: "namespace",
        kind_name: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        verbs: &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        has_status: true,
        has_generation: false,
        categories: &[],
    },
    ResourceType {
        kind: Kind::Pod,
        group: "",
        version: "v1",
        plural: "pods",
        singular: "pod",
        kind_name: "Pod",
        namespaced: true,
        short_names: &["po"],
        verbs: ALL_VERBS,
        has_status: true,
        has_generation: false,
        categories: &["all"],
    },
    ResourceType {
        kind: Kind::Event,
        group: "",
        version: "v1",
        plural: "events",
        singular: "event",
        kind_name: "Event",
        namespaced: true,
        short_names: &["ev"],
        verbs: ALL_VERBS,
        has_status: false,
        has_generation: false,
        categories: &[],
    },
    ResourceType {
        kind: Kind::Secret,
        group: "",
        version: "v1",
        plural: "secrets",
        singular: "secret",
        kind_name: "Secret",
        namespaced: true,
        short_names: &[],
        verbs: ALL_VERBS,
        has_status: false,
        has_generation: false,
        categories: &[],
    },
    ResourceType {
        kind: Kind::ConfigMap,
        group: "",
        version: "v1",
        plural: "configmaps",
        singular: "configmap",
        kind_name: "ConfigMap",
        namespaced: true,
        short_names: &["cm"],
        verbs: ALL_VERBS,
        has_status: false,
        has_generation: false,
        categories: &[],
    },
    ResourceType {
        kind: Kind::Service,
        group: "",
        version: "v1",
        plural: "services",
        singular: "service",
        kind_name: "Service",
        namespaced: true,
        short_names: &["svc"],
        verbs: ALL_VERBS,
        has_status: true,
        has_generation: false,
        categories: &["all"],
    },
    ResourceType {
        kind: Kind::ServiceAccount,
        group: "",
        version: "v1",
        plural: "serviceaccounts",
        singular: "serviceaccount",
        kind_name: "ServiceAccount",
        namespaced: true,
        short_names: &["sa"],
        verbs: ALL_VERBS,
        has_status: false,
        has_generation: false,
        categories: &[],
    },
    ResourceType {
        kind: Kind::Deployment,
        group: "apps",
        version: "v1",
        plural: "deployments",
        singular: "deployment",
        kind_name: "Deployment",
        namespaced: true,
        short_names: &["deploy"],
        verbs: ALL_VERBS,
        has_status: true,
        has_generation: true,
        categories: &["all"],
    },
    ResourceType {
        kind: Kind::ReplicaSet,
        group: "apps",
        version: "v1",
        plural: "replicasets",
        singular: "replicaset",
        kind_name: "ReplicaSet",
        namespaced: true,
        short_names: &["rs"],
        verbs: ALL_VERBS,
        has_status: true,
        has_generation: true,
        categories: &["all"],
    },
    ResourceType {
        kind: Kind::Ingress,
        group: "networking.k8s.io",
        version: "v1",
        plural: "ingresses",
        singular: "ingress",
        kind_name: "Ingress",
        namespaced: true,
        short_names: &["ing"],
        verbs: ALL_VERBS,
        has_status: true,
        has_generation: true,
        categories: &[],
    },
    ResourceType {
        kind: Kind::Lease,
        group: "coordination.k8s.io",
        version: "v1",
        plural: "leases",
        singular: "lease",
        kind_name: "Lease",
        namespaced: true,
        short_names: &[],
        verbs: ALL_VERBS,
        has_status: false,
        has_generation: false,
        categories: &[],
    },
    ResourceType {
        kind: Kind::Job,
        group: "batch",
        version: "v1",
        plural: "jobs",
        singular: "job",
        kind_name: "Job",
        namespaced: true,
        short_names: &[],
        // What a smoke test needs; no patch: the served OpenAPI documents carry no Job schema.
        verbs: &["create", "delete", "get", "list", "watch"],
        has_status: true,
        has_generation: true,
        categories: &["all"],
    },
    ResourceType {
        kind: Kind::SelfSubjectAccessReview,
        group: "authorization.k8s.io",
        version: "v1",
        plural: "selfsubjectaccessreviews",
        singular: "selfsubjectaccessreview",
        kind_name: "SelfSubjectAccessReview",
        namespaced: false,
        short_names: &[],
        verbs: &["create"],
        has_status: false,
        has_generation: false,
        categories: &[],
    },
];

impl ResourceType {
    pub fn of(kind: Kind) -> &'static ResourceType {
        // RESOURCES lists every Kind; the fallback is unreachable but keeps this total.
        RESOURCES
            .iter()
            .find(|r| r.kind == kind)
            .unwrap_or(&RESOURCES[0])
    }

    pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
        RESOURCES
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether a DELETE answers with the object rather than a Status: Pods and Namespaces
    /// (they go away gracefully), Services and ServiceAccounts (their registries say so).
    pub fn deletes_answer_the_object(&self) -> bool {
        matches!(
            self.kind,
            Kind::Namespace | Kind::Pod | Kind::Service | Kind::ServiceAccount
        )
    }

    /// `deployments.apps`, as Kubernetes names a resource in its messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

pub fn version_info() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-sluice-sim",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-11-01T00:00:00Z",
        "goVersion": "go1.24",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// `GET /api`.
pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]
    })
}

fn groups() -> Vec<&'static str> {
    let mut groups: Vec<&str> = RESOURCES
        .iter()
        .map(|r| r.group)
        .filter(|g| !g.is_empty())
        .collect();
    groups.dedup();
    groups
}

/// `GET /apis`.
pub fn group_list() -> Value {
    let groups: Vec<Value> = groups()
        .into_iter()
        .map(|g| {
            let gv = json!({"groupVersion": format!("{g}/v1"), "version": "v1"});
            json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/{group}`.
pub fn group(name: &str) -> Option<Value> {
    groups().into_iter().find(|g| *g == name).map(|g| {
        let gv = json!({"groupVersion": format!("{g}/v1"), "version": "v1"});
        json!({"kind": "APIGroup", "apiVersion": "v1", "name": g, "versions": [gv.clone()], "preferredVersion": gv})
    })
}

/// `GET /api/v1` or `GET /apis/{group}/{version}`.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind_name,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        resources.push(entry);
        if matches!(r.kind, Kind::Deployment | Kind::ReplicaSet) {
            resources.push(json!({
                "name": format!("{}/scale", r.plural),
                "singularName": "",
                "namespaced": true,
                "group": "autoscaling",
                "version": "v1",
                "kind": "Scale",
                "verbs": ["get", "patch", "update"],
            }));
        }
        if r.has_status {
            resources.push(json!({
                "name": format!("{}/status", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": r.kind_name,
                "verbs": ["get", "patch", "update"],
            }));
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_once() {
        for r in RESOURCES {
            assert_eq!(ResourceType::of(r.kind).plural, r.plural);
        }
        assert_eq!(
            ResourceType::find("apps", "v1", "deployments")
                .unwrap()
                .kind,
            Kind::Deployment
        );
        assert!(ResourceType::find("apps", "v1", "pods").is_none());
    }

    #[test]
    fn discovery_lists_status_subresources() {
        let apps = resource_list("apps", "v1").unwrap();
        let names: Vec<&str> = apps["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "deployments",
                "deployments/scale",
                "deployments/status",
                "replicasets",
                "replicasets/scale",
                "replicasets/status"
            ]
        );
        assert!(group("coordination.k8s.io").is_some());
        // Jobs are served for smoke tests, without a status subresource of their own.
        let batch = resource_list("batch", "v1").unwrap();
        assert_eq!(batch["resources"][0]["name"], "jobs");
    }
}
