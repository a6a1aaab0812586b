//! `sluice promote` and `sluice rollback`: the same use cases as the window's buttons.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use sluice_core::snapshot::Snapshot;
use sluice_github::{GithubClient, GithubConfig, GithubToken};

use super::{Action, Context, Request};
use crate::Console;
use crate::cli::Cli;
use crate::journal::Journal;

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// The environment to promote into (e.g. production).
    pub environment: String,
    /// Approve (or, for the kubernetes and workflow-dispatch methods, carry out) the promotion.
    #[arg(long, conflicts_with = "reject")]
    pub approve: bool,
    /// Reject the waiting deployment (github-approval).
    #[arg(long)]
    pub reject: bool,
    /// A comment recorded with the review and in the audit journal.
    #[arg(long, default_value = "")]
    pub comment: String,
    /// Override a freeze or an unfinished soak (only people the pipeline names), with this reason.
    #[arg(long, value_name = "REASON")]
    pub override_reason: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// With --demo: act as this simulated person (default alice-approver).
    #[arg(long = "as", value_name = "LOGIN")]
    pub as_login: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The environment to roll back to its previous revision.
    pub environment: String,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// With --demo: act as this simulated person (default alice-approver).
    #[arg(long = "as", value_name = "LOGIN")]
    pub as_login: Option<String>,
}

/// This console's name on a Lease: who, on which machine, which process.
pub(crate) fn holder(login: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{login}@{host}/{}", std::process::id())
}

/// Who acts and with which GitHub client: a simulated person in the demo, else the signed-in token.
async fn identity(
    console: &Console,
    cli: &Cli,
    session: &crate::status::Session,
    as_login: Option<&str>,
) -> Result<(Option<GithubClient>, Option<String>), String> {
    let pipeline = console.pipeline().map_err(|e| e.message)?;
    let mut cfg = GithubConfig::github_com(&pipeline.github.owner, &pipeline.github.name);
    if let Some(demo) = &session.demo {
        let login = as_login.unwrap_or("alice-approver");
        let person = demo
            .world
            .people
            .iter()
            .find(|p| p.login == login)
            .ok_or_else(|| {
                format!(
                    "the demo has no person `{login}` (alice-approver, dave-developer, vera-viewer)"
                )
            })?;
        cfg.api_base = demo.world.github_server.url();
        let client = GithubClient::new(&cfg, Some(&GithubToken::new(person.github_token.clone())))
            .map_err(|e| e.to_string())?;
        return Ok((Some(client), Some(person.login.clone())));
    }
    if let Some(api) = cli
        .github_api_url
        .clone()
        .or(pipeline.github.api_url.clone())
    {
        cfg.api_base = api;
    }
    let host =
        crate::credentials::GithubHost::from_api_base(&cfg.api_base).map_err(|e| e.to_string())?;
    let credentials = crate::credentials::Credentials::new(crate::credentials::Keychain::os());
    let Some((token, _)) = credentials.token(&host).await.map_err(|e| e.to_string())? else {
        return Ok((None, None));
    };
    let client = GithubClient::new(&cfg, Some(&token)).map_err(|e| e.to_string())?;
    let login = client
        .identity()
        .await
        .map_err(|e| format!("the stored GitHub token was refused: {e}; run `sluice login` again"))?
        .login;
    Ok((Some(client), Some(login)))
}

/// The promotion context of a command-line session.
fn context<'a>(
    pipeline: &'a sluice_core::Pipeline,
    cli: &Cli,
    session: &crate::status::Session,
    github: Option<GithubClient>,
    login: Option<String>,
    journal: &'a Journal,
) -> Context<'a> {
    Context {
        pipeline,
        snapshots: session.live.subscribe(),
        kubeconfig: session
            .demo
            .as_ref()
            .map(|d| d.kubeconfig.clone())
            .or(cli.kubeconfig.clone()),
        holder: holder(login.as_deref().unwrap_or("unknown")),
        github,
        login,
        journal,
        follow_timeout: Duration::from_secs(15 * 60),
    }
}

/// Waits for a snapshot in which every source answered, then a short quiet moment.
async fn settled(session: &crate::status::Session) -> Option<std::sync::Arc<Snapshot>> {
    let mut rx = session.live.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ready = rx.borrow_and_update().as_deref().is_some_and(|s| {
            s.sources
                .iter()
                .all(|x| x.connected || x.last_error.is_some())
        });
        let wait = if ready {
            tokio::time::Instant::now() + Duration::from_millis(700)
        } else {
            deadline
        };
        if tokio::time::timeout_at(wait.min(deadline), rx.changed())
            .await
            .is_err()
        {
            return rx.borrow().clone();
        }
    }
}

fn confirm(question: &str) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err("refusing to act without confirmation: pass --yes".into());
    }
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

pub fn promote(console: &Console, cli: &Cli, args: &PromoteArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let session = crate::status::start_session(console, cli).await?;
        let (github, login) = identity(console, cli, &session, args.as_login.as_deref()).await?;
        settled(&session).await;
        let pipeline = console.pipeline().map_err(|e| e.message)?;
        let journal = Journal::open_default().map_err(|e| e.to_ui().message)?;
        let ctx = context(&pipeline, cli, &session, github, login, &journal);
        let (_, gate, decision) = super::plan(&ctx, &args.environment)
            .map_err(|e| format!("{}\nhint: {}", e.message, e.hint))?;
        println!(
            "Promote {} → {}: {} → {}",
            gate.from,
            gate.environment,
            gate.pending.from_version.as_deref().unwrap_or("?"),
            gate.pending.to_version.as_deref().unwrap_or("?")
        );
        for c in &gate.pending.commits {
            println!(
                "  {} {} (@{})",
                &c.sha[..7.min(c.sha.len())],
                c.title,
                c.author
            );
        }
        for p in &gate.pending.pull_requests {
            println!("  PR #{} {}", p.number, p.title);
        }
        for i in &gate.pending.image_changes {
            println!(
                "  image {}: {} → {}",
                i.workload,
                i.from.as_deref().unwrap_or("—"),
                i.to.as_deref().unwrap_or("—")
            );
        }
        for c in &gate.conditions {
            println!("  {} {}", if c.met { "✓" } else { "✗" }, c.reason);
        }
        for r in &decision.refusals {
            println!("  refused: {r}");
        }
        let action = match (args.approve, args.reject) {
            (true, _) => Action::Approve,
            (_, true) => Action::Reject,
            _ => {
                println!("(review only: pass --approve or --reject to act)");
                return Ok(());
            }
        };
        let verb = if action == Action::Approve {
            "Approve"
        } else {
            "Reject"
        };
        if !args.yes && !confirm(&format!("{verb} the promotion into {}?", gate.environment))? {
            return Err("not confirmed; nothing was done".into());
        }
        let request = Request {
            environment: args.environment.clone(),
            action,
            comment: args.comment.clone(),
            override_reason: args.override_reason.clone(),
        };
        let outcome = super::promote(&ctx, &request)
            .await
            .map_err(|e| format!("{}\nhint: {}", e.message, e.hint))?;
        println!("{}", outcome.message);
        Ok(())
    })
}

pub fn rollback(console: &Console, cli: &Cli, args: &RollbackArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let session = crate::status::start_session(console, cli).await?;
        let (github, login) = identity(console, cli, &session, args.as_login.as_deref()).await?;
        settled(&session).await;
        let pipeline = console.pipeline().map_err(|e| e.message)?;
        let journal = Journal::open_default().map_err(|e| e.to_ui().message)?;
        if !args.yes
            && !confirm(&format!(
                "Roll {} back to its previous revision?",
                args.environment
            ))?
        {
            return Err("not confirmed; nothing was done".into());
        }
        let ctx = context(&pipeline, cli, &session, github, login, &journal);
        let outcome = super::rollback(&ctx, &args.environment)
            .await
            .map_err(|e| format!("{}\nhint: {}", e.message, e.hint))?;
        println!("{}", outcome.message);
        Ok(())
    })
}
