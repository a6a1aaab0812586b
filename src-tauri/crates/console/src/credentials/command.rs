//! `sluice login`, `sluice logout` and `sluice whoami`. The GitHub host is `--github-api-url`,
//! else the pipeline's `github.api_url`, else github.com. With `--demo` they run against the
//! simulated GitHub started for the command; a demo sign-in is held in memory only (the world
//! and its tokens end with the command), so the keychain is never touched.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_github::GithubToken;

use super::{
    CredentialError, Credentials, GithubHost, Keychain, Persistence, sign_in_from_environment,
    sign_in_with_token, sign_out, start_device_sign_in, who_am_i,
};
use crate::Console;
use crate::cli::{Cli, LoginArgs};
use crate::demo::Demo;

/// The OAuth client id the simulated GitHub is asked with when none is given.
const DEMO_CLIENT_ID: &str = "sluice-demo";

/// The GitHub host a command acts on, and the demo world when it runs against one.
struct Target {
    host: GithubHost,
    demo: Option<Demo>,
}

async fn target(console: &Console, cli: &Cli) -> Result<Target, UiError> {
    if cli.demo {
        let pipeline = console.pipeline()?;
        let demo = Demo::start(console, &pipeline).await.map_err(|e| {
            UiError::new(
                "demo.failed",
                e,
                "Run `sluice validate` to check the pipeline file, then try again.",
            )
        })?;
        // The simulated person enters the code at once; no need to wait five seconds per poll.
        demo.world.github.set_device_poll_interval(1);
        let host = GithubHost::from_api_base(&demo.world.github_server.url())?;
        return Ok(Target {
            host,
            demo: Some(demo),
        });
    }
    let api = match &cli.github_api_url {
        Some(url) => url.clone(),
        // A missing or broken pipeline file does not stop a sign-in to github.com.
        None => console
            .pipeline()
            .ok()
            .and_then(|p| p.github.api_url)
            .unwrap_or_else(|| GithubHost::GITHUB_COM_API.to_owned()),
    };
    Ok(Target {
        host: GithubHost::from_api_base(&api)?,
        demo: None,
    })
}

fn write_failed(e: std::io::Error) -> UiError {
    UiError::new(
        "io.stdout",
        format!("could not write to standard output: {e}"),
        "Check where the output goes (a closed pipe?).",
    )
}

/// `sluice login`, with its input, output and environment given (tests pass their own).
pub async fn login_with(
    console: &Console,
    cli: &Cli,
    args: &LoginArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), UiError> {
    let target = target(console, cli).await?;
    let host = &target.host;
    let persistence = if args.session_only || target.demo.is_some() {
        Persistence::SessionOnly
    } else {
        Persistence::Keychain
    };
    let credentials = Credentials::new(if target.demo.is_some() {
        Keychain::disabled("demo mode keeps nothing")
    } else {
        Keychain::os()
    });
    let signed_in = if args.token_stdin {
        let mut line = String::new();
        input.read_line(&mut line).map_err(|e| {
            UiError::new(
                "signin.stdin",
                format!("could not read the token from standard input: {e}"),
                "Pipe the token in: `sluice login --token-stdin < token-file`.",
            )
        })?;
        sign_in_with_token(&credentials, host, GithubToken::new(line), persistence).await?
    } else if args.from_env {
        sign_in_from_environment(&credentials, host, persistence, env).await?
    } else {
        let client_id = match (&args.client_id, &target.demo) {
            (Some(id), _) => id.clone(),
            (None, Some(_)) => DEMO_CLIENT_ID.to_owned(),
            (None, None) => return Err(CredentialError::NoClientId.into()),
        };
        let flow = start_device_sign_in(host, &client_id).await?;
        writeln!(out, "First copy your one-time code: {}", flow.user_code())
            .map_err(write_failed)?;
        writeln!(
            out,
            "Then open {} in a browser and enter it. Waiting for GitHub…",
            flow.verification_uri()
        )
        .map_err(write_failed)?;
        if let Some(demo) = &target.demo {
            // What the person would do in the browser.
            let approver = &demo.world.person(sluice_sim::Role::Approver).login;
            writeln!(out, "(demo: the simulated @{approver} enters the code)")
                .map_err(write_failed)?;
            demo.world
                .github
                .authorize_device(flow.user_code(), approver)
                .map_err(|e| UiError::new("demo.failed", e.to_string(), "Try again."))?;
        }
        out.flush().map_err(write_failed)?;
        flow.finish(&credentials, persistence).await?
    };
    writeln!(out, "{}", signed_in.describe()).map_err(write_failed)?;
    if target.demo.is_some() {
        writeln!(
            out,
            "(demo: the simulated GitHub ends with this command; nothing was stored)"
        )
        .map_err(write_failed)?;
    }
    Ok(())
}

/// `sluice whoami`; `Ok(false)` when nobody is signed in.
pub async fn whoami_with(
    console: &Console,
    cli: &Cli,
    out: &mut dyn Write,
) -> Result<bool, UiError> {
    let target = target(console, cli).await?;
    if target.demo.is_some() {
        writeln!(
            out,
            "not signed in to the simulated GitHub (a demo sign-in lasts only as long as the command that makes it)"
        )
        .map_err(write_failed)?;
        return Ok(false);
    }
    let credentials = Credentials::new(Keychain::os());
    match who_am_i(&credentials, &target.host).await? {
        Some(signed_in) => {
            writeln!(out, "{}", signed_in.describe()).map_err(write_failed)?;
            Ok(true)
        }
        None => {
            writeln!(out, "not signed in to {}", target.host.account()).map_err(write_failed)?;
            Ok(false)
        }
    }
}

/// `sluice logout`.
pub async fn logout_with(console: &Console, cli: &Cli, out: &mut dyn Write) -> Result<(), UiError> {
    let target = target(console, cli).await?;
    if target.demo.is_some() {
        writeln!(
            out,
            "nothing to sign out of: demo sign-ins are never stored"
        )
        .map_err(write_failed)?;
        return Ok(());
    }
    let credentials = Credentials::new(Keychain::os());
    let account = target.host.account();
    if sign_out(&credentials, &target.host).await? {
        writeln!(
            out,
            "signed out of {account}: the token was deleted from {}",
            credentials.keychain().name()
        )
    } else {
        writeln!(out, "not signed in to {account}; nothing to delete")
    }
    .map_err(write_failed)?;
    Ok(())
}

fn block_on<T>(
    name: &str,
    work: impl std::future::Future<Output = Result<T, UiError>>,
) -> Result<T, ExitCode> {
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| {
            UiError::new(
                "runtime.failed",
                format!("cannot start the async runtime: {e}"),
                "Try again.",
            )
        })
        .and_then(|runtime| runtime.block_on(work));
    result.map_err(|e| {
        eprintln!("sluice {name}: {}\nhint: {}", e.message, e.hint);
        ExitCode::FAILURE
    })
}

/// `sluice login [--token-stdin | --from-env | --device] [--session-only]`.
pub fn login(console: &Console, cli: &Cli, args: &LoginArgs) -> ExitCode {
    let stdin = std::io::stdin();
    if args.token_stdin && stdin.is_terminal() {
        eprintln!("Paste a GitHub token, then press Enter:");
    }
    let env = |name: &str| std::env::var(name).ok();
    let (mut input, mut out) = (stdin.lock(), std::io::stdout());
    let work = login_with(console, cli, args, &mut input, &mut out, &env);
    match block_on("login", work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// `sluice whoami`: exits with 1 when nobody is signed in.
pub fn whoami(console: &Console, cli: &Cli) -> ExitCode {
    match block_on("whoami", whoami_with(console, cli, &mut std::io::stdout())) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(code) => code,
    }
}

/// `sluice logout`.
pub fn logout(console: &Console, cli: &Cli) -> ExitCode {
    match block_on("logout", logout_with(console, cli, &mut std::io::stdout())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
