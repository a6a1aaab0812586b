//! `sluice login`, `sluice logout` and `sluice whoami`, over the session's sign-in use cases.
//! The GitHub host is `--github-api-url`, else the pipeline's `github.apiUrl`, else github.com.
//! With `--demo` they run against the simulated GitHub started for the command; a demo sign-in
//! is held in memory only (the world and its tokens end with the command).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_core::desk::{Account, AccountSource};
use sluice_github::GithubToken;

use super::terminal::write_line;
use super::{Cli, LoginArgs, terminal};
use crate::Console;
use crate::credentials::Keychain;
use crate::session::{Session, SessionOptions};

fn write_failed(e: std::io::Error) -> UiError {
    UiError::new(
        "io.stdout",
        format!("could not write to standard output: {e}"),
        "Check where the output goes (a closed pipe?).",
    )
}

/// "signed in as @login (token in the Secret Service keyring)".
fn describe(account: &Account) -> String {
    let home = match account.source {
        AccountSource::Session | AccountSource::Demo => {
            "token held in memory for this session only".to_owned()
        }
        AccountSource::Keychain => format!("token in {}", account.token_home),
        AccountSource::Environment => format!("token from {}", account.token_home),
    };
    format!("signed in as @{} ({home})", account.login)
}

/// A session for a sign-in command: nobody acts yet in the demo, the environment is `env`.
async fn session(
    console: &Console,
    cli: &Cli,
    env: fn(&str) -> Option<String>,
    client_id: Option<String>,
) -> Result<Session, UiError> {
    let mut options =
        SessionOptions::from_process(cli.demo, cli.kubeconfig.clone(), cli.github_api_url.clone())?;
    options.environment = std::sync::Arc::new(env);
    if client_id.is_some() {
        options.device_client_id = client_id;
    }
    if cli.demo {
        options.keychain = Keychain::disabled("demo mode keeps nothing");
    }
    let session = Session::new(console.clone(), options);
    session.open().await?;
    Ok(session)
}

/// `sluice login`, with its input, output and environment given (tests pass their own).
pub async fn login_with(
    console: &Console,
    cli: &Cli,
    args: &LoginArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    env: fn(&str) -> Option<String>,
) -> Result<(), UiError> {
    let session = session(console, cli, env, args.client_id.clone()).await?;
    let info = if args.token_stdin {
        let mut line = String::new();
        input.read_line(&mut line).map_err(|e| {
            UiError::new(
                "signin.stdin",
                format!("could not read the token from standard input: {e}"),
                "Pipe the token in: `sluice login --token-stdin < token-file`.",
            )
        })?;
        session
            .sign_in_with_token(GithubToken::new(line), args.session_only)
            .await?
    } else if args.from_env {
        session.sign_in_from_environment(args.session_only).await?
    } else {
        let code = session.start_device_sign_in().await?;
        write_line(
            out,
            &format!("First copy your one-time code: {}", code.user_code),
        )
        .map_err(write_failed)?;
        write_line(
            out,
            &format!(
                "Then open {} in a browser and enter it. Waiting for GitHub…",
                code.verification_uri
            ),
        )
        .map_err(write_failed)?;
        if cli.demo {
            write_line(out, "(demo: the simulated @alice-approver enters the code)")
                .map_err(write_failed)?;
        }
        session.finish_device_sign_in(args.session_only).await?
    };
    if let Some(account) = &info.account {
        write_line(out, &describe(account)).map_err(write_failed)?;
    }
    if cli.demo {
        write_line(
            out,
            "(demo: the simulated GitHub ends with this command; nothing was stored)",
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
    env: fn(&str) -> Option<String>,
) -> Result<bool, UiError> {
    let session = session(console, cli, env, None).await?;
    let info = session.info().await;
    if let Some(note) = &info.identity_note {
        write_line(out, &format!("note: {note}")).map_err(write_failed)?;
    }
    match &info.account {
        Some(account) => {
            write_line(out, &describe(account)).map_err(write_failed)?;
            write_line(out, &account.why).map_err(write_failed)?;
            Ok(true)
        }
        None if info.demo => {
            write_line(
                out,
                "not signed in to the simulated GitHub (a demo sign-in lasts only as long as the command that makes it; other commands take --as LOGIN)",
            )
            .map_err(write_failed)?;
            Ok(false)
        }
        None => {
            write_line(out, &format!("not signed in to {}", info.github_host))
                .map_err(write_failed)?;
            Ok(false)
        }
    }
}

/// `sluice logout`.
pub async fn logout_with(
    console: &Console,
    cli: &Cli,
    out: &mut dyn Write,
    env: fn(&str) -> Option<String>,
) -> Result<(), UiError> {
    let session = session(console, cli, env, None).await?;
    if cli.demo {
        write_line(
            out,
            "nothing to sign out of: demo sign-ins are never stored",
        )
        .map_err(write_failed)?;
        return Ok(());
    }
    let (info, forgotten) = session.sign_out().await?;
    let host = &info.github_host;
    let said = if forgotten {
        format!(
            "signed out of {host}: the token was deleted from {}",
            info.keychain.name
        )
    } else {
        format!("not signed in to {host}; nothing to delete")
    };
    write_line(out, &said).map_err(write_failed)?;
    if let Some(account) = info
        .account
        .as_ref()
        .filter(|a| a.source == AccountSource::Environment)
    {
        write_line(out, &format!("{} Unset it to act as nobody.", account.why))
            .map_err(write_failed)?;
    }
    Ok(())
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// `sluice login [--token-stdin | --from-env | --device] [--session-only]`.
pub(super) async fn login(
    console: &Console,
    cli: &Cli,
    args: &LoginArgs,
) -> Result<ExitCode, UiError> {
    let stdin = std::io::stdin();
    if args.token_stdin && stdin.is_terminal() {
        terminal::eprintln("Paste a GitHub token, then press Enter:");
    }
    let (mut input, mut out) = (stdin.lock(), std::io::stdout());
    login_with(console, cli, args, &mut input, &mut out, process_env).await?;
    Ok(ExitCode::SUCCESS)
}

/// `sluice whoami`: exits with 1 when nobody is signed in.
pub(super) async fn whoami(console: &Console, cli: &Cli) -> Result<ExitCode, UiError> {
    Ok(
        if whoami_with(console, cli, &mut std::io::stdout(), process_env).await? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

/// `sluice logout`.
pub(super) async fn logout(console: &Console, cli: &Cli) -> Result<ExitCode, UiError> {
    logout_with(console, cli, &mut std::io::stdout(), process_env).await?;
    Ok(ExitCode::SUCCESS)
}
