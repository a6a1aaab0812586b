#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Credentials from a kubeconfig's exec plugin, as EKS, GKE and corporate logins provide them,
//! against the simulated cluster: a working plugin's token is used; a failing one is told in
//! words that keep the plugin's stderr and never its stdout, where credentials are printed.

use std::path::{Path, PathBuf};

use base64::Engine;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use sluice_sim::{Role, SimWorld, WorldOptions};

const CANARY: &str = "CANARY-half-printed-credential-0123456789";

/// A kubeconfig whose contexts each authenticate through one plugin, a `sh -c` script.
fn kubeconfig(world: &SimWorld, dir: &Path, plugins: &[(&str, &str)]) -> PathBuf {
    let ca = base64::engine::general_purpose::STANDARD.encode(&world.kube_ca_pem);
    let mut text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n",
        world.kube_server.url()
    );
    for (name, script) in plugins {
        // A script runs under `sh -c`; a path is run as the plugin itself.
        let (command, args) = if script.starts_with('/') {
            ((*script).to_owned(), "[]".to_owned())
        } else {
            (
                "sh".to_owned(),
                format!("[\"-c\", {}]", serde_json::to_string(script).unwrap()),
            )
        };
        text.push_str(&format!(
            "- name: {name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {command}\n      args: {args}\n      interactiveMode: Never\n"
        ));
    }
    text.push_str("contexts:\n");
    for (name, _) in plugins {
        text.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: sim\n    user: {name}\n"
        ));
    }
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

/// What the person is told when `context` is used: a failed connect, or a failed first request.
async fn failure(kubeconfig: &Path, context: &str) -> String {
    match sluice_kube::connect(Some(kubeconfig), context).await {
        Err(e) => e.to_string(),
        Ok(client) => {
            let err = Api::<Deployment>::namespaced(client, "staging")
                .list(&ListParams::default())
                .await
                .expect_err("the plugin failed, so the request must");
            sluice_kube::errors::describe(&err)
        }
    }
}

#[tokio::test]
async fn a_plugins_token_is_used_and_its_failures_are_told_without_its_output() {
    let world = SimWorld::start(WorldOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let approver = &world.person(Role::Approver).kube_token;
    let credential = serde_json::json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": approver},
    })
    .to_string();
    let ok = format!("printf '%s' '{credential}'");
    let stranger = format!(
        "printf '%s' '{}'",
        credential.replace(approver.as_str(), "nobody-knows-this-token")
    );
    let fails = format!("echo {CANARY}; echo 'session expired: run corp-login first' >&2; exit 3");
    let garbage = format!("echo '{{{{ {CANARY} ['");
    let no_status = format!("echo 'kind: ExecCredential\nspec:\n  token: {CANARY}'");
    let path = kubeconfig(
        &world,
        dir.path(),
        &[
            ("works", &ok),
            ("stranger", &stranger),
            ("fails", &fails),
            ("garbage", &garbage),
            ("no-status", &no_status),
            ("missing", "exec /nonexistent/sluice-test-plugin"),
            ("absent", "/nonexistent/sluice-test-plugin"),
        ],
    );

    // Reading Secrets is the approver's right, not anonymous: the plugin's token was sent.
    let secrets = |client| Api::<Secret>::namespaced(client, "staging");
    let client = sluice_kube::connect(Some(&path), "works").await.unwrap();
    secrets(client)
        .list(&ListParams::default())
        .await
        .expect("the plugin's token is accepted");
    let client = sluice_kube::connect(Some(&path), "stranger").await.unwrap();
    let refused = secrets(client)
        .list(&ListParams::default())
        .await
        .expect_err("an unknown token is refused");
    assert!(
        matches!(&refused, kube::Error::Api(s) if s.code == 401),
        "{refused}"
    );

    let told = failure(&path, "fails").await;
    assert!(told.contains("credential plugin failed"), "{told}");
    assert!(told.contains("exit status: 3"), "{told}");
    assert!(told.contains("run corp-login first"), "{told}");
    assert!(!told.contains(CANARY), "stdout leaked: {told}");

    let told = failure(&path, "garbage").await;
    assert!(told.contains("not an ExecCredential"), "{told}");
    assert!(!told.contains(CANARY), "stdout leaked: {told}");

    let told = failure(&path, "no-status").await;
    assert!(told.contains("without a credential"), "{told}");
    assert!(!told.contains(CANARY), "stdout leaked: {told}");

    let told = failure(&path, "missing").await;
    assert!(
        told.contains("credential plugin failed (exit status: 127)") && told.contains("not found"),
        "{told}"
    );

    let told = failure(&path, "absent").await;
    assert!(
        told.contains("credential plugin could not be started") && told.contains("No such file"),
        "{told}"
    );
}
