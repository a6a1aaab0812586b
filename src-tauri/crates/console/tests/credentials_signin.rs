//! Signing in against the simulated GitHub: a pasted token, the environment, the device flow,
//! and `sluice login`/`whoami`/`logout` in demo mode. These keep tokens session-only so that
//! they never touch the machine's keychain (the keychain itself is tested in
//! `credentials_secret_service.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use clap::Parser;
use sluice_console::Console;
use sluice_console::cli::{self, Cli, Command};
use sluice_console::credentials::{
    Credentials, GithubHost, Keychain, Persistence, TokenHome, sign_in_from_environment,
    sign_in_with_token, start_device_sign_in, who_am_i,
};
use sluice_core::UiError;
use sluice_github::GithubToken;
use sluice_sim::{Role, SimWorld, WorldOptions};

const CANARY: &str = "ghp_canarySIGNIN0123456789abcdef";

/// No keychain at all: a sign-in that tried to persist would fail, so these tests prove they
/// stay in memory, and the machine's keychain is never asked.
fn session_credentials() -> Credentials {
    Credentials::new(Keychain::disabled("tests keep nothing"))
}

async fn world() -> (SimWorld, GithubHost) {
    let world = SimWorld::start(WorldOptions::default()).await.unwrap();
    let host = GithubHost::from_api_base(&world.github_server.url()).unwrap();
    (world, host)
}

fn assert_no_canary(texts: &[String]) {
    for text in texts {
        assert!(!text.contains("canary"), "the token leaked: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_token_is_checked_with_github_and_its_login_recorded() {
    let (world, host) = world().await;
    let viewer = world.person(Role::Viewer);
    let credentials = session_credentials();
    let signed_in = sign_in_with_token(
        &credentials,
        &host,
        // What a paste brings along.
        GithubToken::new(format!("  {}\n", viewer.github_token)),
        Persistence::SessionOnly,
    )
    .await
    .unwrap();
    assert_eq!(signed_in.login, viewer.login);
    assert_eq!(signed_in.name.as_deref(), Some(viewer.name.as_str()));
    assert_eq!(signed_in.host, host.account());
    assert_eq!(
        signed_in.describe(),
        format!(
            "signed in as @{} (token held in memory for this session only)",
            viewer.login
        )
    );
    let (token, home) = credentials.token(&host).await.unwrap().unwrap();
    assert_eq!(token.expose(), viewer.github_token, "kept trimmed");
    assert_eq!(home, TokenHome::Session);
    assert_eq!(
        who_am_i(&credentials, &host).await.unwrap().unwrap().login,
        viewer.login
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_refused_readably_without_the_token_and_not_kept() {
    let (_world, host) = world().await;
    let credentials = session_credentials();
    let e = sign_in_with_token(
        &credentials,
        &host,
        GithubToken::new(CANARY),
        Persistence::SessionOnly,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "signin.rejected");
    let ui = UiError::from(&e);
    assert_eq!(
        ui.message,
        format!(
            "GitHub at {} did not accept the token: Bad credentials",
            host.account()
        )
    );
    assert!(ui.hint.contains("sluice login"), "{ui:?}");
    assert_no_canary(&[
        e.to_string(),
        format!("{e:?}"),
        serde_json::to_string(&ui).unwrap(),
    ]);
    // Nothing kept: the disabled keychain is the only other place, and it refuses to answer.
    assert_eq!(
        credentials.token(&host).await.unwrap_err().code(),
        "keychain.unavailable"
    );

    let e = sign_in_with_token(
        &credentials,
        &host,
        GithubToken::new(" \n"),
        Persistence::SessionOnly,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "signin.empty_token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keychain_sign_in_without_a_keychain_fails_closed_after_the_check() {
    let (world, host) = world().await;
    let credentials = session_credentials();
    let e = sign_in_with_token(
        &credentials,
        &host,
        GithubToken::new(world.person(Role::Viewer).github_token.clone()),
        Persistence::Keychain,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "keychain.unavailable");
    assert!(UiError::from(&e).hint.contains("--session-only"));
    assert!(
        credentials.token(&host).await.is_err(),
        "not kept in memory either"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_environment_token_is_imported() {
    let (world, host) = world().await;
    let developer = world.person(Role::Developer);
    let credentials = session_credentials();
    let token = developer.github_token.clone();
    let signed_in =
        sign_in_from_environment(&credentials, &host, Persistence::SessionOnly, |name| {
            (name == "GITHUB_TOKEN").then(|| token.clone())
        })
        .await
        .unwrap();
    assert_eq!(signed_in.login, developer.login);
    let (kept, _) = credentials.token(&host).await.unwrap().unwrap();
    assert_eq!(kept.expose(), developer.github_token);

    let e = sign_in_from_environment(&credentials, &host, Persistence::SessionOnly, |name| {
        (name == "GH_TOKEN").then(|| CANARY.to_owned())
    })
    .await
    .unwrap_err();
    assert_eq!(e.code(), "signin.rejected");
    assert_no_canary(&[e.to_string(), format!("{e:?}")]);

    let e = sign_in_from_environment(&credentials, &host, Persistence::SessionOnly, |_| None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "signin.no_environment_token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_flow_signs_in_whoever_enters_the_code() {
    let (world, host) = world().await;
    world.github.set_device_poll_interval(1);
    let credentials = session_credentials();

    let flow = start_device_sign_in(&host, "sluice-test-app")
        .await
        .unwrap();
    assert_eq!(
        flow.verification_uri(),
        format!("{}/login/device", host.web_base())
    );
    let approver = world.person(Role::Approver);
    world
        .github
        .authorize_device(flow.user_code(), &approver.login)
        .unwrap();
    let signed_in = flow
        .finish(&credentials, Persistence::SessionOnly)
        .await
        .unwrap();
    assert_eq!(signed_in.login, approver.login);
    // The token GitHub issued works for later calls.
    assert_eq!(
        who_am_i(&credentials, &host).await.unwrap().unwrap().login,
        approver.login
    );

    // Cancelled in the browser: a readable refusal, nothing kept.
    let denied = session_credentials();
    let flow = start_device_sign_in(&host, "sluice-test-app")
        .await
        .unwrap();
    world.github.deny_device(flow.user_code()).unwrap();
    let e = flow
        .finish(&denied, Persistence::SessionOnly)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "signin.device");
    assert!(e.to_string().contains("cancelled in the browser"), "{e}");

    let e = start_device_sign_in(&host, " ").await.unwrap_err();
    assert_eq!(e.code(), "signin.no_client_id");
}

fn shipped_pipeline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../environments/pipeline.yaml")
}

fn demo_cli(args: &[&str]) -> Cli {
    let pipeline = shipped_pipeline();
    let mut argv = vec!["sluice", "--demo", "--pipeline", pipeline.to_str().unwrap()];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).unwrap()
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sluice_login_demo_device_flow_end_to_end() {
    let cli = demo_cli(&["login", "--device"]);
    let Some(Command::Login(args)) = &cli.command else {
        panic!("parsed {:?}", cli.command);
    };
    let console = Console::new(&cli.pipeline);
    let mut out = Vec::new();
    cli::login_with(&console, &cli, args, &mut &b""[..], &mut out, no_env)
        .await
        .unwrap();
    let out = String::from_utf8(out).unwrap();
    let code_line = out
        .lines()
        .find_map(|l| l.strip_prefix("First copy your one-time code: "))
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(code_line.len(), 9, "{out}");
    assert!(out.contains("/login/device in a browser"), "{out}");
    assert!(
        out.contains("signed in as @alice-approver (token held in memory for this session only)"),
        "{out}"
    );
    assert!(!out.contains("gho_"), "no token in the output: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sluice_login_demo_refuses_a_pasted_bad_token_without_echoing_it() {
    let cli = demo_cli(&["login", "--token-stdin"]);
    let Some(Command::Login(args)) = &cli.command else {
        panic!("parsed {:?}", cli.command);
    };
    let console = Console::new(&cli.pipeline);
    let mut out = Vec::new();
    let input = format!("{CANARY}\n");
    let e = cli::login_with(
        &console,
        &cli,
        args,
        &mut input.as_bytes(),
        &mut out,
        no_env,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "signin.rejected");
    assert_no_canary(&[
        String::from_utf8(out).unwrap(),
        serde_json::to_string(&e).unwrap(),
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sluice_whoami_and_logout_in_demo_keep_nothing() {
    let console = Console::new(shipped_pipeline());
    let mut out = Vec::new();
    let signed_in = cli::whoami_with(&console, &demo_cli(&["whoami"]), &mut out, no_env)
        .await
        .unwrap();
    assert!(!signed_in);
    assert!(String::from_utf8_lossy(&out).starts_with("not signed in"));
    let mut out = Vec::new();
    cli::logout_with(&console, &demo_cli(&["logout"]), &mut out, no_env)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&out).contains("nothing to sign out of"));
}

#[test]
fn login_methods_exclude_each_other() {
    let parsed = Cli::try_parse_from(["sluice", "login", "--device", "--from-env"]);
    assert!(parsed.is_err());
    let cli = Cli::try_parse_from(["sluice", "login", "--token-stdin", "--session-only"]).unwrap();
    let Some(Command::Login(args)) = cli.command else {
        panic!()
    };
    assert!(args.token_stdin && args.session_only && !args.device && !args.from_env);
}
