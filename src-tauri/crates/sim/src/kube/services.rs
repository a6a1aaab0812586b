//! What the apiserver's Service registry does besides storing: it allocates a cluster IP (and
//! node ports for NodePort and LoadBalancer services) on create, and keeps them on updates that
//! leave them out — Helm's and kubectl's patches never send them — while refusing to change them.
//! `helm --wait` counts a Service as ready only once it has its cluster IP.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use serde_json::{Value, json};

/// The simulated cluster's service CIDR, kubeadm's default prefix: 10.96.0.0/16.
const SERVICE_NETWORK: u32 = u32::from_be_bytes([10, 96, 0, 0]);
const SERVICE_PREFIX: u32 = 16;
/// The lower addresses are kept for services that ask for a fixed IP (the apiserver's "static
/// band"); allocations without one are picked above it.
const STATIC_BAND: u32 = 256;
pub const SERVICE_RANGE: &str = "10.96.0.0/16";
/// The `kubernetes` Service's address: the first of the range, as on a real cluster.
pub const API_SERVICE_IP: &str = "10.96.0.1";
const NODE_PORTS: std::ops::RangeInclusive<u32> = 30000..=32767;

fn service_type(svc: &Value) -> &str {
    svc["spec"]["type"].as_str().unwrap_or("ClusterIP")
}

fn needs_cluster_ip(svc: &Value) -> bool {
    service_type(svc) != "ExternalName"
}

fn needs_node_ports(svc: &Value) -> bool {
    match service_type(svc) {
        "NodePort" => true,
        "LoadBalancer" => svc["spec"]["allocateLoadBalancerNodePorts"] != json!(false),
        _ => false,
    }
}

/// The cluster IPs and node ports that `services` hold.
#[derive(Debug, Default)]
pub struct Taken {
    ips: BTreeSet<String>,
    node_ports: BTreeSet<i64>,
}

impl Taken {
    pub fn of<'a>(services: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut taken = Self::default();
        for svc in services {
            for ip in svc["spec"]["clusterIPs"].as_array().into_iter().flatten() {
                if let Some(ip) = ip.as_str() {
                    taken.ips.insert(ip.to_owned());
                }
            }
            for port in svc["spec"]["ports"].as_array().into_iter().flatten() {
                if let Some(p) = port["nodePort"].as_i64() {
                    taken.node_ports.insert(p);
                }
            }
        }
        taken
    }
}

/// A deterministic starting point per Service, so that addresses look scattered over the range
/// as a real cluster's do, and a seeded world gets the same ones every run.
fn spread(seed: &str, span: u32) -> u32 {
    let hash = seed.bytes().fold(2_166_136_261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    });
    hash % span.max(1)
}

fn in_range(ip: Ipv4Addr) -> Option<u32> {
    let n = u32::from(ip);
    let mask = u32::MAX << (32 - SERVICE_PREFIX);
    let offset = n.wrapping_sub(SERVICE_NETWORK);
    // The network and broadcast addresses are never handed out.
    (n & mask == SERVICE_NETWORK && offset != 0 && offset != !mask).then_some(offset)
}

fn free_ip(seed: &str, taken: &Taken) -> Option<String> {
    let size = 1u32 << (32 - SERVICE_PREFIX);
    let span = size - 1 - STATIC_BAND;
    let start = spread(seed, span);
    (0..span)
        .map(|i| SERVICE_NETWORK + STATIC_BAND + (start + i) % span)
        .map(|n| Ipv4Addr::from(n).to_string())
        .find(|ip| !taken.ips.contains(ip))
}

fn free_node_port(seed: &str, taken: &Taken, also: &BTreeSet<i64>) -> Option<i64> {
    let span = NODE_PORTS.end() - NODE_PORTS.start() + 1;
    let start = spread(seed, span);
    (0..span)
        .map(|i| i64::from(NODE_PORTS.start() + (start + i) % span))
        .find(|p| !taken.node_ports.contains(p) && !also.contains(p))
}

fn invalid_ips(ips: &[String], why: &str) -> String {
    let quoted: Vec<String> = ips.iter().map(|ip| format!("{ip:?}")).collect();
    format!(
        "spec.clusterIPs: Invalid value: []string{{{}}}: {why}",
        quoted.join(", ")
    )
}

/// On create: a cluster IP (the one asked for, if free and in range, or a free one), the IP
/// family fields that go with it, and node ports where the type needs them. The error is the
/// apiserver's field error.
pub fn allocate(svc: &mut Value, seed: &str, taken: &Taken) -> Result<(), String> {
    if !svc["spec"].is_object() {
        svc["spec"] = json!({});
    }
    if !needs_cluster_ip(svc) {
        if let Some(spec) = svc["spec"].as_object_mut() {
            for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
                spec.remove(key);
            }
        }
        return Ok(());
    }
    let requested = svc["spec"]["clusterIP"]
        .as_str()
        .or(svc["spec"]["clusterIPs"][0].as_str())
        .filter(|ip| !ip.is_empty())
        .map(str::to_owned);
    let ip = match requested {
        Some(none) if none == "None" => none,
        Some(ip) => {
            let parsed = ip.parse::<Ipv4Addr>().ok().and_then(in_range);
            if parsed.is_none() {
                return Err(invalid_ips(
                    std::slice::from_ref(&ip),
                    &format!(
                        "failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {SERVICE_RANGE}"
                    ),
                ));
            }
            if taken.ips.contains(&ip) {
                return Err(invalid_ips(
                    std::slice::from_ref(&ip),
                    &format!("failed to allocate IP {ip}: provided IP is already allocated"),
                ));
            }
            ip
        }
        None => free_ip(seed, taken).ok_or_else(|| {
            "spec.clusterIPs: Internal error: failed to allocate a serviceIP: range is full"
                .to_owned()
        })?,
    };
    svc["spec"]["clusterIP"] = json!(ip);
    svc["spec"]["clusterIPs"] = json!([ip]);
    svc["spec"]["ipFamilies"] = json!(["IPv4"]);
    svc["spec"]["ipFamilyPolicy"] = json!("SingleStack");
    if needs_node_ports(svc) {
        let mut chosen = BTreeSet::new();
        let ports = svc["spec"]["ports"].as_array_mut();
        for (i, port) in ports.into_iter().flatten().enumerate() {
            let port_seed = format!("{seed}/{i}");
            let node_port = match port["nodePort"].as_i64() {
                Some(p) if taken.node_ports.contains(&p) || chosen.contains(&p) => {
                    return Err(format!(
                        "spec.ports[{i}].nodePort: Invalid value: {p}: provided port is already allocated"
                    ));
                }
                Some(p) => p,
                None => free_node_port(&port_seed, taken, &chosen).ok_or_else(|| {
                    format!("spec.ports[{i}].nodePort: Internal error: range is full")
                })?,
            };
            chosen.insert(node_port);
            port["nodePort"] = json!(node_port);
        }
    }
    Ok(())
}

/// On update (and patch): what the registry allocated stays when the new object leaves it out,
/// and a cluster IP may not be changed.
pub fn keep_allocated(current: &Value, next: &mut Value) -> Result<(), String> {
    if !next["spec"].is_object() {
        next["spec"] = json!({});
    }
    if needs_cluster_ip(current) && needs_cluster_ip(next) {
        let old_ips: Vec<String> = current["spec"]["clusterIPs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|ip| ip.as_str().map(str::to_owned))
            .collect();
        let new_ip = next["spec"]["clusterIP"]
            .as_str()
            .filter(|ip| !ip.is_empty())
            .map(str::to_owned);
        let new_ips: Vec<String> = next["spec"]["clusterIPs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|ip| ip.as_str().map(str::to_owned))
            .collect();
        let changed = new_ip
            .as_ref()
            .is_some_and(|ip| old_ips.first() != Some(ip))
            || (!new_ips.is_empty() && new_ips != old_ips);
        if changed && !old_ips.is_empty() {
            let shown = if new_ips.is_empty() {
                new_ip.into_iter().collect()
            } else {
                new_ips
            };
            let quoted: Vec<String> = shown.iter().map(|ip| format!("{ip:?}")).collect();
            return Err(format!(
                "spec.clusterIPs[0]: Invalid value: []string{{{}}}: may not change once set",
                quoted.join(", ")
            ));
        }
        for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            let unset = match &next["spec"][key] {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                _ => false,
            };
            if unset && let Some(v) = current["spec"].get(key) {
                next["spec"][key] = v.clone();
            }
        }
    }
    if needs_node_ports(current) && needs_node_ports(next) {
        let by_name: Vec<(Value, Value)> = current["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (p["name"].clone(), p["nodePort"].clone()))
            .collect();
        for port in next["spec"]["ports"].as_array_mut().into_iter().flatten() {
            if port["nodePort"].is_null()
                && let Some((_, node_port)) = by_name.iter().find(|(name, _)| *name == port["name"])
                && !node_port.is_null()
            {
                port["nodePort"] = node_port.clone();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(spec: Value) -> Value {
        json!({"metadata": {"name": "web", "namespace": "dev"}, "spec": spec})
    }

    #[test]
    fn a_cluster_ip_is_allocated_in_range_and_never_twice() {
        let mut first = svc(json!({"ports": [{"port": 80}]}));
        allocate(&mut first, "dev/web", &Taken::default()).unwrap();
        let ip: Ipv4Addr = first["spec"]["clusterIP"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(in_range(ip).is_some_and(|o| o >= STATIC_BAND), "{ip}");
        assert_eq!(first["spec"]["clusterIPs"], json!([ip.to_string()]));
        assert_eq!(first["spec"]["ipFamilies"], json!(["IPv4"]));
        assert_eq!(first["spec"]["ipFamilyPolicy"], "SingleStack");
        assert!(first["spec"]["ports"][0].get("nodePort").is_none());

        // The same seed again, with the first address taken: another one.
        let mut second = svc(json!({}));
        allocate(&mut second, "dev/web", &Taken::of([&first])).unwrap();
        assert_ne!(second["spec"]["clusterIP"], first["spec"]["clusterIP"]);
    }

    #[test]
    fn a_requested_ip_is_honoured_checked_or_refused() {
        let mut fixed = svc(json!({"clusterIP": "10.96.0.10"}));
        allocate(&mut fixed, "dev/a", &Taken::default()).unwrap();
        assert_eq!(fixed["spec"]["clusterIPs"], json!(["10.96.0.10"]));

        let mut again = svc(json!({"clusterIP": "10.96.0.10"}));
        assert_eq!(
            allocate(&mut again, "dev/b", &Taken::of([&fixed])).unwrap_err(),
            "spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: provided IP is already allocated"
        );
        let mut outside = svc(json!({"clusterIP": "192.168.1.1"}));
        assert!(
            allocate(&mut outside, "dev/c", &Taken::default())
                .unwrap_err()
                .contains("is not in the valid range. The range of valid IPs is 10.96.0.0/16")
        );
        let mut headless = svc(json!({"clusterIP": "None"}));
        allocate(&mut headless, "dev/d", &Taken::default()).unwrap();
        assert_eq!(headless["spec"]["clusterIPs"], json!(["None"]));
        let mut external = svc(json!({"type": "ExternalName", "externalName": "db.example.com"}));
        allocate(&mut external, "dev/e", &Taken::default()).unwrap();
        assert!(external["spec"].get("clusterIP").is_none());
    }

    #[test]
    fn node_ports_are_allocated_for_node_port_services() {
        let mut np = svc(
            json!({"type": "NodePort", "ports": [{"port": 80}, {"port": 443, "nodePort": 30443}]}),
        );
        allocate(&mut np, "dev/np", &Taken::default()).unwrap();
        let first = np["spec"]["ports"][0]["nodePort"].as_i64().unwrap();
        assert!(NODE_PORTS.contains(&u32::try_from(first).unwrap()));
        assert_eq!(np["spec"]["ports"][1]["nodePort"], 30443);
        let mut clash =
            svc(json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30443}]}));
        assert_eq!(
            allocate(&mut clash, "dev/x", &Taken::of([&np])).unwrap_err(),
            "spec.ports[0].nodePort: Invalid value: 30443: provided port is already allocated"
        );
    }

    #[test]
    fn updates_keep_what_was_allocated_and_may_not_change_it() {
        let mut current = svc(
            json!({"type": "NodePort", "ports": [{"name": "http", "port": 80}], "selector": {"app": "web"}}),
        );
        allocate(&mut current, "dev/web", &Taken::default()).unwrap();
        // What a client resubmits: its own manifest, without the allocated fields.
        let mut next = svc(
            json!({"type": "NodePort", "ports": [{"name": "http", "port": 8080}], "selector": {"app": "web"}}),
        );
        keep_allocated(&current, &mut next).unwrap();
        for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            assert_eq!(next["spec"][key], current["spec"][key], "{key}");
        }
        assert_eq!(
            next["spec"]["ports"][0]["nodePort"],
            current["spec"]["ports"][0]["nodePort"]
        );
        let mut moved = svc(json!({"clusterIP": "10.96.0.99"}));
        let err = keep_allocated(&current, &mut moved).unwrap_err();
        assert_eq!(
            err,
            "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.99\"}: may not change once set"
        );
    }
}
