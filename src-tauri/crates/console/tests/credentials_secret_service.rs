//! The keychain against a real Secret Service. The round trips need a session bus with an
//! unlocked keyring, so they are ignored by plain `cargo test` and run by `make keyring-test`:
//!   tests/scripts/with-keyring.sh cargo test -p sluice-console --test credentials_secret_service -- --ignored
//! The fail-closed test runs everywhere: it points a child process at a bus that does not exist.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use sluice_console::credentials::{
    Credentials, GithubHost, Keychain, Persistence, TokenHome, sign_in_with_token, sign_out,
    who_am_i,
};
use sluice_github::GithubToken;
use sluice_sim::{Role, SimWorld, WorldOptions};

/// Tests keep clear of the real `dev.sluice.app` entries, in case they run in a real session.
fn test_service(case: &str) -> String {
    format!("dev.sluice.app.test.{case}.{}", std::process::id())
}

/// Reads the item the way other Secret Service clients do, to prove it is really there.
fn secret_tool_lookup(service: &str, account: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .expect("secret-tool (Debian package libsecret-tools)");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

#[tokio::test]
#[ignore = "needs a Secret Service: run through tests/scripts/with-keyring.sh (make keyring-test)"]
async fn round_trip_through_a_real_secret_service() {
    let service = test_service("round-trip");
    let keychain = Keychain::os_with_service(&service);
    assert_eq!(keychain.name(), "the Secret Service keyring");
    let account = "api.github.com";
    let other = "ghe.example.com";

    assert_eq!(keychain.load(account).await.unwrap(), None);
    keychain
        .store(account, &GithubToken::new("ghp_first"))
        .await
        .unwrap();
    assert_eq!(
        keychain.load(account).await.unwrap(),
        Some(GithubToken::new("ghp_first"))
    );
    assert_eq!(
        secret_tool_lookup(&service, account).as_deref(),
        Some("ghp_first"),
        "the token is in the Secret Service, not in memory"
    );

    keychain
        .store(account, &GithubToken::new("ghp_second"))
        .await
        .unwrap();
    // A fresh keychain object reads what the store holds, not what an entry remembers.
    let again = Keychain::os_with_service(&service);
    assert_eq!(
        again.load(account).await.unwrap(),
        Some(GithubToken::new("ghp_second"))
    );
    assert_eq!(again.load(other).await.unwrap(), None, "hosts are separate");

    assert!(again.delete(account).await.unwrap());
    assert_eq!(keychain.load(account).await.unwrap(), None);
    assert_eq!(secret_tool_lookup(&service, account), None);
    assert!(!keychain.delete(account).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service: run through tests/scripts/with-keyring.sh (make keyring-test)"]
async fn a_sign_in_is_kept_in_the_keychain_until_sign_out() {
    let world = SimWorld::start(WorldOptions::default()).await.unwrap();
    let host = GithubHost::from_api_base(&world.github_server.url()).unwrap();
    let service = test_service("sign-in");
    let developer = world.person(Role::Developer);

    let signed_in = sign_in_with_token(
        &Credentials::new(Keychain::os_with_service(&service)),
        &host,
        GithubToken::new(developer.github_token.clone()),
        Persistence::Keychain,
    )
    .await
    .unwrap();
    assert_eq!(signed_in.login, developer.login);
    assert_eq!(
        signed_in.home,
        TokenHome::Keychain("the Secret Service keyring")
    );

    // Another process (here: fresh credentials) finds the sign-in.
    let later = Credentials::new(Keychain::os_with_service(&service));
    let who = who_am_i(&later, &host).await.unwrap().unwrap();
    assert_eq!(
        who.describe(),
        format!(
            "signed in as @{} (token in the Secret Service keyring)",
            developer.login
        )
    );
    assert!(sign_out(&later, &host).await.unwrap());
    assert_eq!(who_am_i(&later, &host).await.unwrap(), None);
    assert_eq!(secret_tool_lookup(&service, host.account()), None);
}

/// Set in the child process of `without_a_secret_service_the_store_fails_closed`.
const CHILD_MARKER: &str = "SLUICE_TEST_NO_SECRET_SERVICE";

#[test]
fn without_a_secret_service_the_store_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_fails_closed", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_MARKER, "1")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", dir.path().join("no-bus").display()),
        )
        .env("XDG_RUNTIME_DIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
#[ignore = "run by without_a_secret_service_the_store_fails_closed in a process without a bus"]
async fn child_fails_closed() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    const CANARY: &str = "ghp_canaryNOBUS0123456789";
    let credentials = Credentials::new(Keychain::os_with_service(&test_service("no-bus")));
    let host = GithubHost::github_com();
    let e = credentials
        .save(&host, &GithubToken::new(CANARY), Persistence::Keychain)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "keychain.unavailable", "{e}");
    let ui = sluice_core::UiError::from(&e);
    assert!(
        ui.message
            .starts_with("the Secret Service keyring is not available: "),
        "{ui:?}"
    );
    assert!(ui.hint.contains("Secret Service"), "{ui:?}");
    assert!(ui.hint.contains("--session-only"), "{ui:?}");
    for text in [format!("{e:?}"), serde_json::to_string(&ui).unwrap()] {
        assert!(!text.contains("canary"), "{text}");
    }
    // Not kept in memory as a fallback, and reading fails the same way.
    let e = credentials.token(&host).await.unwrap_err();
    assert_eq!(e.code(), "keychain.unavailable");
    // Asked for explicitly, a session-only sign-in works without any keychain.
    let home = credentials
        .save(&host, &GithubToken::new(CANARY), Persistence::SessionOnly)
        .await
        .unwrap();
    assert_eq!(home, TokenHome::Session);
    assert!(credentials.forget(&host).await.unwrap());
}

fn audit_entry(id: &str) -> sluice_core::audit::AuditEntry {
    use sluice_core::audit::{AuditAction, AuditMethod, AuditResult};
    sluice_core::audit::AuditEntry {
        id: id.into(),
        at: "2026-03-01T10:00:00Z".into(),
        correlation: id.into(),
        actor: "alice".into(),
        environment: "production".into(),
        from_version: None,
        to_version: Some("def5678".into()),
        method: AuditMethod::Kubernetes,
        action: AuditAction::Promote,
        plan: None,
        gates: vec![],
        comment: None,
        override_reason: None,
        result: AuditResult::Succeeded,
        error: None,
        run_id: None,
        sha: None,
        shipped: None,
        revision: None,
        recorded_late: None,
    }
}

/// The audit journal's head lives in the Secret Service, where another reader checks it: lines
/// cut off the end of the journal, which leave a valid shorter chain, are found there.
#[test]
#[ignore = "needs a Secret Service: run through tests/scripts/with-keyring.sh (make keyring-test)"]
fn the_audit_journals_head_is_anchored_in_a_real_secret_service() {
    use sluice_console::journal::{Anchor, Journal};
    use sluice_core::audit::ChainHead;
    let service = test_service("audit-head");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let account = Anchor::account_of(&path);
    let writer = Keychain::os_with_service(&service);
    let j = Journal::open_anchored(&path, Anchor::keychain(writer, &path)).unwrap();
    for id in ["a", "b", "c"] {
        j.append(&audit_entry(id)).unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    let stored = secret_tool_lookup(&service, &account).expect("the head is in the store");
    assert!(
        stored.starts_with(&format!("{} ", bytes.len())),
        "the head is where the journal ends: {stored}"
    );

    // A reader with a keychain of its own (another process, as far as the store can tell).
    let verify = || {
        let reader = Keychain::os_with_service(&service);
        Journal::open_read_only(&path, Anchor::keychain(reader, &path))
            .unwrap()
            .verify()
            .unwrap()
    };
    let report = verify();
    assert!(report.holds(), "{report:?}");
    assert_eq!(report.head, ChainHead::Anchored { line: Some(3) });

    let second_end = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0;
    std::fs::write(&path, &bytes[..=second_end]).unwrap();
    let report = verify();
    assert!(!report.holds());
    assert_eq!(report.breaks[0].line, 3, "{report:?}");
    assert!(
        report.breaks[0].reason.contains("removed from its end"),
        "{report:?}"
    );

    let cleanup = Keychain::os_with_service(&service);
    assert!(
        cleanup
            .delete_blocking(&account, std::time::Duration::from_secs(30))
            .unwrap()
    );
}
