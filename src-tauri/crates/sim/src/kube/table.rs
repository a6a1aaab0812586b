//! `meta.k8s.io/v1` Table output, which kubectl asks for to print `get` the way it does on a
//! real cluster (READY, STATUS, RESTARTS, AGE …).

use jiff::Timestamp;
use serde_json::{Value, json};

use super::resources::Kind;

/// Whether the client asked for a Table (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).
pub fn wants_table(accept: &str) -> bool {
    accept.split(',').any(|part| part.contains("as=Table"))
}

fn columns(kind: Kind) -> Vec<(&'static str, &'static str, i32)> {
    match kind {
        Kind::Deployment => vec![
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        Kind::ReplicaSet => vec![
            ("Name", "string", 0),
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        Kind::Pod => vec![
            ("Name", "string", 0),
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
        ],
        Kind::Namespace => vec![
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Age", "string", 0),
        ],
        Kind::Event => vec![
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Message", "string", 0),
        ],
        Kind::Secret => vec![
            ("Name", "string", 0),
            ("Type", "string", 0),
            ("Data", "string", 0),
            ("Age", "string", 0),
        ],
        Kind::ConfigMap => vec![
            ("Name", "string", 0),
            ("Data", "string", 0),
            ("Age", "string", 0),
        ],
        Kind::Lease => vec![
            ("Name", "string", 0),
            ("Holder", "string", 0),
            ("Age", "string", 0),
        ],
        Kind::Job => vec![
            ("Name", "string", 0),
            ("Status", "string", 0),
            ("Age", "string", 0),
        ],
        Kind::Service => vec![
            ("Name", "string", 0),
            ("Type", "string", 0),
            ("Cluster-IP", "string", 0),
            ("External-IP", "string", 0),
            ("Port(s)", "string", 0),
            ("Age", "string", 0),
            ("Selector", "string", 1),
        ],
        Kind::ServiceAccount => vec![
            ("Name", "string", 0),
            ("Secrets", "string", 0),
            ("Age", "string", 0),
        ],
        Kind::Ingress => vec![
            ("Name", "string", 0),
            ("Class", "string", 0),
            ("Hosts", "string", 0),
            ("Address", "string", 0),
            ("Ports", "string", 0),
            ("Age", "string", 0),
        ],
        Kind::SelfSubjectAccessReview => vec![("Name", "string", 0)],
    }
}

/// Kubernetes' short ages: `45s`, `3m2s`, `5h`, `2d3h`.
pub fn age(since: Option<&str>, now: Timestamp) -> String {
    let Some(then) = since.and_then(|s| s.parse::<Timestamp>().ok()) else {
        return "<unknown>".to_owned();
    };
    let secs = now.duration_since(then).as_secs();
    if secs < 0 {
        return "<invalid>".to_owned();
    }
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    match secs {
        0..120 => format!("{secs}s"),
        120..600 => {
            if s == 0 {
                format!("{m}m")
            } else {
                format!("{m}m{s}s")
            }
        }
        600..10_800 => format!("{}m", secs / 60),
        10_800..28_800 => {
            if m == 0 {
                format!("{}h", secs / 3600)
            } else {
                format!("{}h{m}m", secs / 3600)
            }
        }
        28_800..172_800 => format!("{}h", secs / 3600),
        172_800..691_200 => {
            if h == 0 {
                format!("{d}d")
            } else {
                format!("{d}d{h}h")
            }
        }
        _ => format!("{d}d"),
    }
}

fn containers(o: &Value, path: &[&str]) -> (String, String) {
    let mut node = o;
    for p in path {
        node = &node[*p];
    }
    let list = node["containers"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = list.iter().filter_map(|c| c["name"].as_str()).collect();
    let images: Vec<&str> = list.iter().filter_map(|c| c["image"].as_str()).collect();
    (names.join(","), images.join(","))
}

/// `app=web,tier=front`: a workload's selector as a label-selector string.
pub fn selector_string(o: &Value) -> String {
    selector(o)
}

fn selector(o: &Value) -> String {
    o["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// What kubectl shows in a pod's STATUS column.
pub fn pod_status(o: &Value) -> String {
    if o["metadata"]["deletionTimestamp"].is_string() {
        return "Terminating".to_owned();
    }
    for c in o["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(reason) = c["state"]["waiting"]["reason"].as_str() {
            return reason.to_owned();
        }
        if let Some(reason) = c["state"]["terminated"]["reason"].as_str() {
            return reason.to_owned();
        }
    }
    o["status"]["phase"]
        .as_str()
        .unwrap_or("Pending")
        .to_owned()
}

fn cells(kind: Kind, o: &Value, now: Timestamp) -> Vec<Value> {
    let name = json!(o["metadata"]["name"].as_str().unwrap_or_default());
    let created = o["metadata"]["creationTimestamp"].as_str();
    let age = json!(age(created, now));
    match kind {
        Kind::Deployment => {
            let (names, images) = containers(o, &["spec", "template", "spec"]);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    int(&o["status"]["readyReplicas"]),
                    int(&o["spec"]["replicas"])
                )),
                json!(int(&o["status"]["updatedReplicas"])),
                json!(int(&o["status"]["availableReplicas"])),
                age,
                json!(names),
                json!(images),
                json!(selector(o)),
            ]
        }
        Kind::ReplicaSet => {
            let (names, images) = containers(o, &["spec", "template", "spec"]);
            vec![
                name,
                json!(int(&o["spec"]["replicas"])),
                json!(int(&o["status"]["replicas"])),
                json!(int(&o["status"]["readyReplicas"])),
                age,
                json!(names),
                json!(images),
                json!(selector(o)),
            ]
        }
        Kind::Pod => {
            let statuses = o["status"]["containerStatuses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let total = o["spec"]["containers"].as_array().map_or(0, Vec::len);
            let ready = statuses.iter().filter(|c| c["ready"] == true).count();
            let restarts: i64 = statuses.iter().map(|c| int(&c["restartCount"])).sum();
            vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(pod_status(o)),
                json!(restarts.to_string()),
                age,
                json!(o["status"]["podIP"].as_str().unwrap_or("<none>")),
                json!(o["spec"]["nodeName"].as_str().unwrap_or("<none>")),
            ]
        }
        Kind::Namespace => vec![
            name,
            json!(o["status"]["phase"].as_str().unwrap_or("Active")),
            age,
        ],
        Kind::Event => {
            let last = o["lastTimestamp"]
                .as_str()
                .or(o["eventTime"].as_str())
                .or(created);
            let involved = &o["involvedObject"];
            vec![
                json!(self::age(last, now)),
                json!(o["type"].as_str().unwrap_or("Normal")),
                json!(o["reason"].as_str().unwrap_or_default()),
                json!(format!(
                    "{}/{}",
                    involved["kind"].as_str().unwrap_or_default().to_lowercase(),
                    involved["name"].as_str().unwrap_or_default()
                )),
                json!(o["message"].as_str().unwrap_or_default()),
            ]
        }
        Kind::Secret => vec![
            name,
            json!(o["type"].as_str().unwrap_or("Opaque")),
            json!(o["data"].as_object().map_or(0, serde_json::Map::len)),
            age,
        ],
        Kind::ConfigMap => vec![
            name,
            json!(o["data"].as_object().map_or(0, serde_json::Map::len)),
            age,
        ],
        Kind::Lease => vec![
            name,
            json!(o["spec"]["holderIdentity"].as_str().unwrap_or_default()),
            age,
        ],
        Kind::Job => vec![name, json!(super::controllers::job_status_word(o)), age],
        Kind::Service => vec![
            name,
            json!(o["spec"]["type"].as_str().unwrap_or("ClusterIP")),
            json!(
                o["spec"]["clusterIPs"][0]
                    .as_str()
                    .or(o["spec"]["clusterIP"].as_str())
                    .unwrap_or("<none>")
            ),
            json!(service_external_ip(o)),
            json!(service_ports(o)),
            age,
            json!(label_string(&o["spec"]["selector"])),
        ],
        Kind::ServiceAccount => vec![
            name,
            json!(o["secrets"].as_array().map_or(0, Vec::len)),
            age,
        ],
        Kind::Ingress => vec![
            name,
            json!(o["spec"]["ingressClassName"].as_str().unwrap_or("<none>")),
            json!(ingress_hosts(o)),
            json!(load_balancer_addresses(o).join(",")),
            json!(
                if o["spec"]["tls"].as_array().is_some_and(|t| !t.is_empty()) {
                    "80, 443"
                } else {
                    "80"
                }
            ),
            age,
        ],
        Kind::SelfSubjectAccessReview => vec![name],
    }
}

/// `8080/TCP,3000:31234/TCP`, as kubectl prints a Service's ports.
fn service_ports(o: &Value) -> String {
    let ports: Vec<String> = o["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let protocol = p["protocol"].as_str().unwrap_or("TCP");
            match p["nodePort"].as_i64() {
                Some(node) => format!("{}:{node}/{protocol}", int(&p["port"])),
                None => format!("{}/{protocol}", int(&p["port"])),
            }
        })
        .collect();
    if ports.is_empty() {
        "<none>".to_owned()
    } else {
        ports.join(",")
    }
}

fn load_balancer_addresses(o: &Value) -> Vec<String> {
    o["status"]["loadBalancer"]["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["ip"].as_str().or(i["hostname"].as_str()))
        .map(str::to_owned)
        .collect()
}

/// The EXTERNAL-IP column: external IPs, a load balancer's addresses (`<pending>` until it has
/// one), or the name an ExternalName service points at.
fn service_external_ip(o: &Value) -> String {
    let external: Vec<String> = o["spec"]["externalIPs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|ip| ip.as_str().map(str::to_owned))
        .collect();
    match o["spec"]["type"].as_str().unwrap_or("ClusterIP") {
        "ExternalName" => o["spec"]["externalName"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        "LoadBalancer" => {
            let mut all = load_balancer_addresses(o);
            all.extend(external);
            if all.is_empty() {
                "<pending>".to_owned()
            } else {
                all.join(",")
            }
        }
        _ if external.is_empty() => "<none>".to_owned(),
        _ => external.join(","),
    }
}

/// Up to four hosts of an Ingress's rules, `*` when none names one.
fn ingress_hosts(o: &Value) -> String {
    let hosts: Vec<&str> = o["spec"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["host"].as_str().filter(|h| !h.is_empty()))
        .collect();
    match hosts.len() {
        0 => "*".to_owned(),
        1..=4 => hosts.join(","),
        n => format!("{} + {} more...", hosts[..4].join(","), n - 4),
    }
}

/// `a=1,b=2` with keys sorted, or `<none>`.
fn label_string(map: &Value) -> String {
    let Some(map) = map.as_object().filter(|m| !m.is_empty()) else {
        return "<none>".to_owned();
    };
    let mut pairs: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    pairs.join(",")
}

/// A Table of `objects`. `include_object` is the `includeObject` query parameter.
pub fn table(
    kind: Kind,
    objects: &[&Value],
    include_object: &str,
    list_meta: Value,
    now: Timestamp,
) -> Value {
    let column_definitions: Vec<Value> = columns(kind)
        .into_iter()
        .map(|(name, ty, priority)| {
            let format = if name == "Name" { "name" } else { "" };
            json!({"name": name, "type": ty, "format": format, "description": "", "priority": priority})
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let object = match include_object {
                "None" => Value::Null,
                "Object" => (*o).clone(),
                _ => json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"].clone()}),
            };
            json!({"cells": cells(kind, o, now), "object": object})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": column_definitions,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let now: Timestamp = "2026-11-26T12:00:00Z".parse().unwrap();
        let cases = [
            ("2026-11-26T11:59:15Z", "45s"),
            ("2026-11-26T11:56:58Z", "3m2s"),
            ("2026-11-26T11:30:00Z", "30m"),
            ("2026-11-26T07:00:00Z", "5h"),
            ("2026-11-23T09:00:00Z", "3d3h"),
        ];
        for (then, expected) in cases {
            assert_eq!(age(Some(then), now), expected, "{then}");
        }
        assert_eq!(age(None, now), "<unknown>");
    }

    #[test]
    fn pod_row_shows_waiting_reason_and_restarts() {
        let pod = json!({"metadata": {"name": "web-1", "creationTimestamp": "2026-11-26T11:59:00Z"},
            "spec": {"containers": [{"name": "web"}]},
            "status": {"phase": "Running", "containerStatuses": [{"ready": false, "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        let now: Timestamp = "2026-11-26T12:00:00Z".parse().unwrap();
        let t = table(Kind::Pod, &[&pod], "", json!({}), now);
        assert_eq!(
            t["rows"][0]["cells"],
            json!([
                "web-1",
                "0/1",
                "CrashLoopBackOff",
                "4",
                "60s",
                "<none>",
                "<none>"
            ])
        );
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }
}
