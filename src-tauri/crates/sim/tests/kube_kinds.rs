#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The kinds a Helm chart brings besides Deployments, seen through kube-rs: Services with the
//! cluster IP the registry allocates and keeps, Ingresses discovered in networking.k8s.io/v1,
//! the `default` ServiceAccount of every namespace, and a three-way strategic merge patch as
//! Helm 3 sends it.

use k8s_openapi::api::core::v1::{Service, ServiceAccount};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use sluice_sim::{SimWorld, WorldOptions, testing};

async fn client() -> (SimWorld, tempfile::TempDir, kube::Client) {
    let world = SimWorld::start(WorldOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(&path).unwrap(),
        &kube::config::KubeConfigOptions {
            context: Some("tbyte".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (world, dir, kube::Client::try_from(config).unwrap())
}

fn service(name: &str, ports: serde_json::Value) -> Service {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": ports},
    }))
    .unwrap()
}

#[tokio::test]
async fn a_service_gets_a_cluster_ip_that_stays_and_cannot_be_taken_or_changed() {
    let (_world, _dir, client) = client().await;
    let api: Api<Service> = Api::namespaced(client, "dev");
    let created = api
        .create(
            &PostParams::default(),
            &service("web", json!([{"port": 3000}])),
        )
        .await
        .unwrap();
    let spec = created.spec.clone().unwrap();
    let ip = spec.cluster_ip.clone().unwrap();
    assert!(ip.starts_with("10.96."), "{ip}");
    assert_eq!(spec.cluster_ips, Some(vec![ip.clone()]));
    assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
    assert_eq!(
        serde_json::to_value(&created.status).unwrap(),
        json!({"loadBalancer": {}})
    );

    // A replace that leaves the cluster IP out (a client resubmitting its manifest) keeps it.
    let mut resubmitted = service("web", json!([{"port": 3000}, {"port": 9090, "name": "m"}]));
    resubmitted.metadata.resource_version = created.metadata.resource_version.clone();
    let replaced = api
        .replace("web", &PostParams::default(), &resubmitted)
        .await
        .unwrap();
    assert_eq!(replaced.spec.unwrap().cluster_ip, Some(ip.clone()));

    // Another Service may not take it, and this one may not move.
    let mut thief = service("thief", json!([{"port": 80}]));
    thief.spec.as_mut().unwrap().cluster_ip = Some(ip.clone());
    match api.create(&PostParams::default(), &thief).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
            assert_eq!(
                s.message,
                format!(
                    "Service \"thief\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: provided IP is already allocated"
                )
            );
        }
        other => panic!("a taken cluster IP was given twice: {other:?}"),
    }
    let moved = api
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"clusterIP": "10.96.0.77", "clusterIPs": ["10.96.0.77"]}}),
            ),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&moved, kube::Error::Api(s) if s.code == 422 && s.message.ends_with("may not change once set")),
        "{moved:?}"
    );
    // Deleted, its address is free again.
    api.delete("web", &Default::default()).await.unwrap();
    api.create(&PostParams::default(), &thief).await.unwrap();
}

#[tokio::test]
async fn helms_three_way_patch_updates_a_service_by_port() {
    let (_world, _dir, client) = client().await;
    let api: Api<Service> = Api::namespaced(client, "dev");
    api.create(
        &PostParams::default(),
        &service(
            "api",
            json!([{"port": 8080}, {"port": 9090, "name": "metrics"}]),
        ),
    )
    .await
    .unwrap();
    // What Helm 3 sends when the chart's next revision moves metrics' target port and drops
    // nothing else: the changed element by its merge key, the order of all of them.
    let patch = json!({"spec": {
        "$setElementOrder/ports": [{"port": 8080}, {"port": 9090}],
        "ports": [{"port": 9090, "targetPort": "metrics"}],
    }});
    let params = PatchParams {
        field_manager: Some("helm".to_owned()),
        ..PatchParams::default()
    };
    let patched = api
        .patch("api", &params, &Patch::Strategic(patch))
        .await
        .unwrap();
    let managers: Vec<String> = patched
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert!(managers.contains(&"helm".to_owned()), "{managers:?}");
    let ports = serde_json::to_value(patched.spec.unwrap().ports).unwrap();
    assert_eq!(
        ports,
        json!([
            {"port": 8080, "protocol": "TCP", "targetPort": 8080},
            {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": "metrics"}
        ])
    );
}

#[tokio::test]
async fn ingresses_are_discovered_and_namespaces_have_a_default_service_account() {
    let (_world, _dir, client) = client().await;
    let discovery = kube::Discovery::new(client.clone()).run().await.unwrap();
    let (resource, caps) = discovery
        .groups()
        .flat_map(|g| g.recommended_resources())
        .find(|(r, _)| r.kind == "Ingress")
        .expect("Ingress in discovery");
    assert_eq!(
        (
            resource.group.as_str(),
            resource.version.as_str(),
            resource.plural.as_str()
        ),
        ("networking.k8s.io", "v1", "ingresses")
    );
    assert!(
        caps.subresources
            .iter()
            .any(|(s, _)| s.plural.ends_with("status")),
        "{:?}",
        caps.subresources
    );

    let api: Api<Ingress> = Api::namespaced(client.clone(), "staging");
    let ingress: Ingress = serde_json::from_value(json!({
        "metadata": {"name": "tbyte-staging"},
        "spec": {"rules": [{"host": "staging.tbyte.local", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 3000}}}}
        ]}}]},
    }))
    .unwrap();
    let created = api.create(&PostParams::default(), &ingress).await.unwrap();
    assert_eq!(created.metadata.generation, Some(1));

    // The controller manager's serviceaccount controller makes it; it is there at once.
    let accounts: Api<ServiceAccount> = Api::namespaced(client, "production");
    let started = std::time::Instant::now();
    while accounts.get_opt("default").await.unwrap().is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no default ServiceAccount in production"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    accounts
        .delete("default", &Default::default())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    while accounts.get_opt("default").await.unwrap().is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the default ServiceAccount was not made again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
