#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A kubeconfig is the person's file, but it is edited by hand, by cloud CLIs and by scripts,
//! and it holds tokens and keys. Whatever it holds, reading it and building a client from it
//! end in a client or in words that name the problem (a line, a context) and quote none of the
//! file: no panic, and never a credential in the message.

#[path = "../../core/tests/fuzz_support/mod.rs"]
mod fuzz_support;

use std::path::Path;
use std::sync::LazyLock;

use base64::Engine;
use fuzz_support::{budget, mutated, random_bytes};
use proptest::prelude::*;
use sluice_kube::kubeconfig::{context_names, read};

const TOKEN: &str = "CANARY-token-0123456789abcdef";
const PASSWORD: &str = "CANARY-password-42";

/// A kubeconfig as cloud CLIs write them: a cluster with its CA, users with a token, a client
/// certificate and a password, contexts, and a current context.
static SAMPLE: LazyLock<String> = LazyLock::new(|| {
    let ca = sluice_sim::tls::mint().unwrap().ca_pem;
    let ca = base64::engine::general_purpose::STANDARD.encode(ca);
    format!(
        "apiVersion: v1
kind: Config
preferences: {{}}
clusters:
- name: prod
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: {ca}
    tls-server-name: kubernetes
- name: dev
  cluster:
    server: http://localhost:8080
    insecure-skip-tls-verify: true
users:
- name: alice
  user:
    token: {TOKEN}
- name: bob
  user:
    username: bob
    password: {PASSWORD}
- name: carol
  user:
    client-certificate-data: {ca}
    client-key-data: {ca}
contexts:
- name: prod
  context:
    cluster: prod
    user: alice
    namespace: production
- name: dev
  context:
    cluster: dev
    user: bob
- name: carol
  context: {{cluster: prod, user: carol}}
current-context: prod
"
    )
});

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn assert_quotes_no_secret(message: &str) {
    assert!(!message.trim().is_empty());
    assert!(
        !message.contains("CANARY"),
        "a credential leaked: {message}"
    );
    assert!(
        !message.contains("BEGIN"),
        "a key or certificate leaked: {message}"
    );
}

/// Reads `bytes` as a kubeconfig and connects to each of its contexts (no request is made).
fn check(runtime: &tokio::runtime::Runtime, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, bytes).unwrap();
    let names = match read(Some(&path)) {
        Ok(config) => {
            let names: Vec<String> = config.contexts.iter().map(|c| c.name.clone()).collect();
            assert_eq!(context_names(Some(&path)).unwrap(), names);
            names
        }
        Err(problem) => {
            let message = problem.to_string();
            assert_quotes_no_secret(&message);
            assert!(message.contains("kubeconfig"), "{message}");
            assert_eq!(context_names(Some(&path)).unwrap_err(), problem);
            Vec::new()
        }
    };
    for context in names.iter().map(String::as_str).chain(["prod", "missing"]) {
        if let Err(e) = runtime.block_on(sluice_kube::connect(Some(&path), context)) {
            assert_quotes_no_secret(&e.to_string());
        }
    }
}

proptest! {
    #![proptest_config(budget(64))]

    #[test]
    fn any_bytes_are_read_or_refused_in_words(bytes in random_bytes()) {
        check(&runtime(), &bytes);
    }

    #[test]
    fn a_mutated_kubeconfig_is_read_or_refused_without_quoting_it(bytes in mutated(&SAMPLE)) {
        check(&runtime(), &bytes);
    }
}

#[test]
fn the_sample_connects_to_each_context() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, SAMPLE.as_bytes()).unwrap();
    assert_eq!(
        context_names(Some(&path)).unwrap(),
        ["prod", "dev", "carol"]
    );
    let runtime = runtime();
    for context in ["prod", "dev"] {
        runtime
            .block_on(sluice_kube::connect(Some(&path), context))
            .unwrap_or_else(|e| panic!("{context}: {e}"));
    }
    // Carol's key is a certificate, not a key: refused in words.
    match runtime.block_on(sluice_kube::connect(Some(Path::new(&path)), "carol")) {
        Ok(_) => panic!("a certificate was taken for a key"),
        Err(e) => assert_quotes_no_secret(&e.to_string()),
    }
}

#[test]
fn an_alias_bomb_is_refused_in_words() {
    let bombed = SAMPLE.replace(
        "preferences: {}",
        &format!("preferences: {{bomb: {}}}", fuzz_support::anchor_bomb(9)),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(&path, bombed).unwrap();
    let problem = read(Some(&path)).unwrap_err().to_string();
    assert_quotes_no_secret(&problem);
    assert!(problem.contains("line 3"), "{problem}");
}
