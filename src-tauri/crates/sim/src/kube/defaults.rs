//! The apiserver's defaulting: what a real cluster fills in on every write of a Deployment,
//! ReplicaSet, Pod or Service (apps/v1 and core/v1 `SetDefaults_*`), the empty load-balancer
//! status of Services and Ingresses, and the zero counts it leaves out of a workload's status
//! (`omitempty`). Found by the conformance suite against a real control
//! plane (tests/conformance/tests/control_plane.rs): without it the simulator served objects
//! that no real cluster returns.

use serde_json::{Map, Value, json};

use super::resources::Kind;

/// Applies the defaults for `kind` to `object`, in place. Idempotent.
pub fn apply(kind: Kind, object: &mut Value) {
    match kind {
        Kind::Deployment => {
            if let Some(spec) = object_at(object, "spec") {
                deployment_spec(spec);
            }
            status_omitempty(
                object,
                &[
                    "replicas",
                    "updatedReplicas",
                    "readyReplicas",
                    "availableReplicas",
                    "unavailableReplicas",
                    "terminatingReplicas",
                    "collisionCount",
                ],
            );
        }
        Kind::ReplicaSet => {
            if let Some(spec) = object_at(object, "spec") {
                spec.entry("replicas").or_insert(json!(1));
                remove_zero(spec, &["minReadySeconds"]);
                template(spec);
            }
            status_omitempty(
                object,
                &[
                    "fullyLabeledReplicas",
                    "readyReplicas",
                    "availableReplicas",
                    "terminatingReplicas",
                ],
            );
        }
        Kind::Pod => {
            if let Some(spec) = object_at(object, "spec") {
                pod_spec(spec);
            }
        }
        Kind::Service => {
            if let Some(spec) = object_at(object, "spec") {
                service_spec(spec);
            }
            load_balancer_status(object);
        }
        Kind::Ingress => load_balancer_status(object),
        _ => {}
    }
}

/// core/v1 `SetDefaults_Service`.
fn service_spec(spec: &mut Map<String, Value>) {
    spec.entry("type").or_insert_with(|| json!("ClusterIP"));
    spec.entry("sessionAffinity")
        .or_insert_with(|| json!("None"));
    if spec["sessionAffinity"] == "None" {
        spec.remove("sessionAffinityConfig");
    }
    for port in spec
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(port) = port.as_object_mut() {
            port.entry("protocol").or_insert_with(|| json!("TCP"));
            let unset = match port.get("targetPort") {
                None | Some(Value::Null) => true,
                Some(Value::Number(n)) => n.as_i64() == Some(0),
                Some(Value::String(s)) => s.is_empty(),
                Some(_) => false,
            };
            if unset && let Some(p) = port.get("port").cloned() {
                port.insert("targetPort".into(), p);
            }
        }
    }
    let kind = spec["type"].as_str().unwrap_or_default().to_owned();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let externally_accessible = matches!(kind.as_str(), "LoadBalancer" | "NodePort")
        || (kind == "ClusterIP" && has_external_ips);
    if externally_accessible {
        spec.entry("externalTrafficPolicy")
            .or_insert_with(|| json!("Cluster"));
    }
    if matches!(kind.as_str(), "ClusterIP" | "NodePort" | "LoadBalancer") {
        spec.entry("internalTrafficPolicy")
            .or_insert_with(|| json!("Cluster"));
    }
    if kind == "LoadBalancer" {
        spec.entry("allocateLoadBalancerNodePorts")
            .or_insert(json!(true));
    }
}

/// Services and Ingresses report their load balancer, empty until one exists.
fn load_balancer_status(object: &mut Value) {
    if let Some(status) = object_at(object, "status") {
        let lb = status.entry("loadBalancer").or_insert_with(|| json!({}));
        if !lb.is_object() {
            *lb = json!({});
        }
    }
}

fn deployment_spec(spec: &mut Map<String, Value>) {
    spec.entry("replicas").or_insert(json!(1));
    spec.entry("revisionHistoryLimit").or_insert(json!(10));
    spec.entry("progressDeadlineSeconds").or_insert(json!(600));
    remove_zero(spec, &["minReadySeconds"]);
    let strategy = spec.entry("strategy").or_insert_with(|| json!({}));
    if let Some(strategy) = strategy.as_object_mut() {
        strategy
            .entry("type")
            .or_insert_with(|| json!("RollingUpdate"));
        if strategy["type"] == "RollingUpdate" {
            let ru = strategy.entry("rollingUpdate").or_insert_with(|| json!({}));
            if let Some(ru) = ru.as_object_mut() {
                ru.entry("maxUnavailable").or_insert_with(|| json!("25%"));
                ru.entry("maxSurge").or_insert_with(|| json!("25%"));
            }
        }
    }
    template(spec);
}

fn object_at<'a>(value: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    let entry = value
        .as_object_mut()?
        .entry(key)
        .or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut()
}

fn remove_zero(map: &mut Map<String, Value>, keys: &[&str]) {
    for key in keys {
        if map.get(*key).and_then(Value::as_i64) == Some(0) {
            map.remove(*key);
        }
    }
}

fn status_omitempty(object: &mut Value, keys: &[&str]) {
    if let Some(status) = object.get_mut("status").and_then(Value::as_object_mut) {
        remove_zero(status, keys);
    }
}

fn template(spec: &mut Map<String, Value>) {
    if let Some(pod) = spec
        .get_mut("template")
        .and_then(|t| t.get_mut("spec"))
        .and_then(Value::as_object_mut)
    {
        pod_spec(pod);
    }
}

fn pod_spec(spec: &mut Map<String, Value>) {
    spec.entry("restartPolicy")
        .or_insert_with(|| json!("Always"));
    spec.entry("terminationGracePeriodSeconds")
        .or_insert(json!(30));
    spec.entry("dnsPolicy")
        .or_insert_with(|| json!("ClusterFirst"));
    spec.entry("securityContext").or_insert_with(|| json!({}));
    spec.entry("schedulerName")
        .or_insert_with(|| json!("default-scheduler"));
    for volume in spec
        .get_mut("volumes")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        // `SetDefaults_{ConfigMap,Secret,Projected,DownwardAPI}VolumeSource`: files are 0644.
        for source in ["configMap", "secret", "projected", "downwardAPI"] {
            if let Some(src) = volume.get_mut(source).and_then(Value::as_object_mut) {
                src.entry("defaultMode").or_insert(json!(420));
            }
        }
    }
    for list in ["initContainers", "containers"] {
        for c in spec
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(c) = c.as_object_mut() {
                container(c);
            }
        }
    }
}

fn container(c: &mut Map<String, Value>) {
    let policy = pull_policy(c.get("image").and_then(Value::as_str).unwrap_or_default());
    c.entry("imagePullPolicy").or_insert_with(|| json!(policy));
    c.entry("terminationMessagePath")
        .or_insert_with(|| json!("/dev/termination-log"));
    c.entry("terminationMessagePolicy")
        .or_insert_with(|| json!("File"));
    for port in c
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(port) = port.as_object_mut() {
            port.entry("protocol").or_insert_with(|| json!("TCP"));
        }
    }
}

/// `Always` for `:latest` or an untagged image, else `IfNotPresent` (digests included).
fn pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ => "Always",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_deployment_gets_what_the_apiserver_fills_in() {
        let mut d = json!({
            "spec": {"selector": {}, "template": {"spec": {"containers": [
                {"name": "api", "image": "ghcr.io/x/api:1.0.0", "ports": [{"containerPort": 8080}]},
                {"name": "side", "image": "busybox"},
            ]}}},
            "status": {"replicas": 2, "unavailableReplicas": 0, "readyReplicas": 2},
        });
        apply(Kind::Deployment, &mut d);
        let once = d.clone();
        apply(Kind::Deployment, &mut d);
        assert_eq!(d, once, "idempotent");
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
        assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
        assert_eq!(
            d["spec"]["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
        );
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Always");
        assert_eq!(pod["terminationGracePeriodSeconds"], 30);
        assert_eq!(pod["dnsPolicy"], "ClusterFirst");
        assert_eq!(pod["schedulerName"], "default-scheduler");
        assert_eq!(pod["securityContext"], json!({}));
        assert_eq!(pod["containers"][0]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(pod["containers"][1]["imagePullPolicy"], "Always");
        assert_eq!(pod["containers"][0]["ports"][0]["protocol"], "TCP");
        assert_eq!(
            pod["containers"][0]["terminationMessagePath"],
            "/dev/termination-log"
        );
        assert_eq!(
            d["status"],
            json!({"replicas": 2, "readyReplicas": 2}),
            "zero counts are left out"
        );
        let mut with_volumes = json!({"spec": {"template": {"spec": {"volumes": [
            {"name": "cfg", "configMap": {"name": "cfg"}},
            {"name": "tmp", "emptyDir": {}},
        ]}}}});
        apply(Kind::Deployment, &mut with_volumes);
        assert_eq!(
            with_volumes["spec"]["template"]["spec"]["volumes"],
            json!([{"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}}, {"name": "tmp", "emptyDir": {}}])
        );
    }

    #[test]
    fn a_recreate_strategy_gets_no_rolling_update() {
        let mut d = json!({"spec": {"strategy": {"type": "Recreate"}}});
        apply(Kind::Deployment, &mut d);
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    #[test]
    fn a_service_gets_what_the_apiserver_fills_in() {
        let mut svc = json!({"spec": {"selector": {"app": "web"}, "ports": [{"port": 8080}, {"port": 53, "protocol": "UDP", "targetPort": "dns"}]}});
        apply(Kind::Service, &mut svc);
        let once = svc.clone();
        apply(Kind::Service, &mut svc);
        assert_eq!(svc, once, "idempotent");
        assert_eq!(
            svc["spec"]["ports"],
            json!([{"port": 8080, "protocol": "TCP", "targetPort": 8080}, {"port": 53, "protocol": "UDP", "targetPort": "dns"}])
        );
        assert_eq!(svc["spec"]["type"], "ClusterIP");
        assert_eq!(svc["spec"]["sessionAffinity"], "None");
        assert_eq!(svc["spec"]["internalTrafficPolicy"], "Cluster");
        assert!(svc["spec"].get("externalTrafficPolicy").is_none());
        assert_eq!(svc["status"], json!({"loadBalancer": {}}));

        let mut lb = json!({"spec": {"type": "LoadBalancer"}});
        apply(Kind::Service, &mut lb);
        assert_eq!(lb["spec"]["externalTrafficPolicy"], "Cluster");
        assert_eq!(lb["spec"]["allocateLoadBalancerNodePorts"], true);
    }

    #[test]
    fn pull_policy_follows_the_tag() {
        assert_eq!(pull_policy("nginx"), "Always");
        assert_eq!(pull_policy("nginx:latest"), "Always");
        assert_eq!(pull_policy("registry:5000/nginx"), "Always");
        assert_eq!(pull_policy("registry:5000/nginx:1.2"), "IfNotPresent");
        assert_eq!(pull_policy("nginx@sha256:abc"), "IfNotPresent");
    }
}
