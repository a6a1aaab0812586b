//! The `sluice` command line: its clap types, and printers over the session's use cases. Without
//! a subcommand `sluice` opens the desktop window (the app crate does that). Nothing outside this
//! module depends on it. Everything it prints goes through [`terminal`].
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod audit;
mod credentials;
mod evidence;
mod history;
mod metrics;
mod offline;
mod promote;
mod sim;
mod status;
mod terminal;
mod text;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use sluice_core::UiError;

use crate::Console;
use crate::session::{Session, SessionOptions};

pub use audit::render as render_audit;
pub use credentials::{login_with, logout_with, whoami_with};
pub use evidence::{export as export_evidence, print_export as print_evidence_export};
pub use history::{print_history, print_plan};
pub use metrics::print_metrics;
pub use promote::{print_inbox, print_review};
pub use status::render as render_status;

#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    about = "A desktop release console: what runs where, and promotion with approval.",
    after_help = "Exit codes: 0 success; 1 failure (nothing was changed); 2 the command line is wrong; \
3 done, not recorded (the change was made but the audit journal could not record it; the next start \
records it); 4 `sluice audit --verify` found the journal's chain broken."
)]
pub struct Cli {
    /// The pipeline file: environments in promotion order, their clusters, values files and gates.
    #[arg(
        long,
        value_name = "PATH",
        env = "SLUICE_PIPELINE",
        default_value = "environments/pipeline.yaml",
        global = true
    )]
    pub pipeline: PathBuf,

    /// Run against the built-in simulated world (no cluster or GitHub account needed).
    #[arg(long, global = true)]
    pub demo: bool,

    /// The kubeconfig to read contexts from (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH", global = true)]
    pub kubeconfig: Option<PathBuf>,

    /// GitHub's REST API base URL, for GitHub Enterprise Server (overrides the pipeline file).
    #[arg(long, value_name = "URL", env = "SLUICE_GITHUB_API_URL", global = true)]
    pub github_api_url: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the pipeline file and its values files; print every problem with its line and a fix.
    Validate,
    /// Run the simulated world (Kubernetes and GitHub on loopback) until interrupted.
    Sim(SimArgs),
    /// Print what runs where, its health, rollouts, drift and the gates.
    Status(StatusArgs),
    /// Print what waits on you: deploy runs GitHub asks you to review, and gates you review.
    Inbox(InboxArgs),
    /// Print the audit journal: every promotion, approval, rejection and rollback attempt,
    /// newest first.
    Audit(AuditArgs),
    /// Export the evidence of one attempt (review as shown, approvals and comments, gates,
    /// verification, rollout timeline, Helm revisions, SHA-256) as FILE.html and FILE.json;
    /// or check an exported copy with --verify.
    Evidence(EvidenceArgs),
    /// Sign in to GitHub (device flow by default) and keep the token in the OS keychain.
    Login(LoginArgs),
    /// Sign out of GitHub: delete the token kept for the GitHub host.
    Logout,
    /// Print who Sluice acts as on GitHub, and why.
    Whoami,
    /// Review a promotion (what it would ship and whether you may), then approve or reject it.
    Promote(PromoteArgs),
    /// Roll an environment back to its previous revision, or to one from its history.
    Rollback(RollbackArgs),
    /// Print what an environment ran, revision by revision: when, who, how, and the result.
    History(HistoryArgs),
    /// Print DORA metrics per environment: deployment frequency, lead time for changes, change
    /// failure rate and time to restore.
    Metrics(MetricsArgs),
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print the Snapshot as JSON (the same document the window renders).
    #[arg(long)]
    pub json: bool,
    /// Print again on every change until interrupted.
    #[arg(long, conflicts_with = "offline")]
    pub watch: bool,
    /// Print the last state this computer saw whole (kept on disk), reaching nothing.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, clap::Args)]
pub struct InboxArgs {
    /// Print the items as JSON (the same the window shows).
    #[arg(long)]
    pub json: bool,
    /// With --demo: act as this simulated person (default alice-approver).
    #[arg(long = "as", value_name = "LOGIN")]
    pub as_login: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Print the entries as a JSON array.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the entries as CSV (RFC 4180), for spreadsheets.
    #[arg(long)]
    pub csv: bool,
    /// Only entries for this environment.
    #[arg(long, value_name = "E")]
    pub environment: Option<String>,
    /// Only entries by this GitHub login.
    #[arg(long, value_name = "P")]
    pub person: Option<String>,
    /// Only entries with this result: started, succeeded, failed, refused, interrupted or counted.
    #[arg(long, value_name = "R")]
    pub result: Option<sluice_core::audit::AuditResult>,
    /// The journal file (default: the app's data directory, audit/journal.jsonl).
    #[arg(long, value_name = "PATH", env = "SLUICE_AUDIT_JOURNAL")]
    pub journal: Option<PathBuf>,
    /// Check that no line was removed, changed or moved and that the journal still ends with
    /// the head kept in the OS keychain; print each break with its line. Exits 0 when the chain
    /// holds, 4 when it does not.
    #[arg(long, conflicts_with_all = ["json", "csv", "environment", "person", "result"])]
    pub verify: bool,
    /// After checking what --verify reported: keep the journal's current last line in the
    /// keychain as its head, so that only changes from now on are reported.
    #[arg(long, conflicts_with_all = ["verify", "json", "csv", "environment", "person", "result"])]
    pub reanchor: bool,
}

#[derive(Debug, clap::Args)]
pub struct EvidenceArgs {
    /// The attempt: its id, the `correlation` of its entries in `sluice audit --json` (a
    /// unique prefix will do).
    #[arg(required_unless_present = "verify")]
    pub attempt: Option<String>,
    /// Write FILE.html and FILE.json (a `.html` or `.json` ending is dropped first). Default:
    /// sluice-evidence-<environment>-<attempt> in the current folder.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print where the files were written and their hash as JSON.
    #[arg(long)]
    pub json: bool,
    /// Check an exported file (.html or .json): its content still has the hash it states and
    /// the file is exactly what that content renders. Exits 1 with the reason when not.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["attempt", "out", "json"])]
    pub verify: Option<PathBuf>,
    /// The journal file (default: the app's data directory, audit/journal.jsonl).
    #[arg(long, value_name = "PATH", env = "SLUICE_AUDIT_JOURNAL")]
    pub journal: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("method").args(["token_stdin", "from_env", "device"])))]
pub struct LoginArgs {
    /// Read a token (one line) from standard input, check it with GitHub and keep it.
    #[arg(long)]
    pub token_stdin: bool,
    /// Import the token in GH_TOKEN (or GITHUB_TOKEN), check it with GitHub and keep it.
    #[arg(long)]
    pub from_env: bool,
    /// Sign in in the browser with GitHub's device flow (the default).
    #[arg(long)]
    pub device: bool,
    /// Client id of the GitHub OAuth app used for the device flow.
    #[arg(long, value_name = "ID", env = "SLUICE_GITHUB_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Keep the token in memory for this run only; nothing is written to the keychain.
    #[arg(long)]
    pub session_only: bool,
}

#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// The environment to promote into (e.g. production).
    pub environment: String,
    /// Review this waiting deploy run (github-approval) instead of the one that ships what the
    /// source environment runs.
    #[arg(long, value_name = "ID")]
    pub run: Option<u64>,
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
    /// Print the review as JSON (the same document the window gets); with --approve or
    /// --reject, then the outcome.
    #[arg(long)]
    pub json: bool,
    /// With --demo: act as this simulated person (default alice-approver).
    #[arg(long = "as", value_name = "LOGIN")]
    pub as_login: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The environment (e.g. production).
    pub environment: String,
    /// Print the history as JSON (the same the window shows).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// The period: the days (`30d`) or weeks (`6w`) before now.
    #[arg(long, value_name = "PERIOD", default_value = "30d", value_parser = metrics::since)]
    pub since: u32,
    /// Only this environment (e.g. production).
    #[arg(long, value_name = "E")]
    pub environment: Option<String>,
    /// Print the metrics as JSON (the same the window shows).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The environment to roll back.
    pub environment: String,
    /// The revision to restore, from `sluice history` (default: the previous one). What it
    /// changes is shown before you confirm.
    #[arg(long, value_name = "REVISION")]
    pub to: Option<u32>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// With --demo: act as this simulated person (default alice-approver).
    #[arg(long = "as", value_name = "LOGIN")]
    pub as_login: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Where to write a kubeconfig for the simulated cluster: the pipeline's contexts, plus
    /// `<context>@<login>` for each simulated person.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: PathBuf,
    /// Where to write the simulated people's GitHub tokens, as JSON {"<login>": "<token>"}.
    #[arg(long, value_name = "PATH")]
    pub github_tokens: Option<PathBuf>,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Approve waiting production deployments as the simulated release manager after this
    /// many simulated minutes (by default they wait for a real approval).
    #[arg(long, value_name = "MINUTES")]
    pub auto_approve_after: Option<u64>,
    /// Make the pods of the next rollout in this namespace crash (a fault for trying Rollback).
    #[arg(long, value_name = "NAMESPACE")]
    pub crash_next_rollout: Option<String>,
    /// With --crash-next-rollout: those pods first run healthy for this many seconds of the
    /// world's time, so the rollout completes and then breaks (a fault for verification).
    #[arg(long, value_name = "SECONDS", requires = "crash_next_rollout")]
    pub crash_after: Option<u64>,
}

/// Exit codes beyond 0 (success), 1 (failure, nothing changed) and 2 (a command line clap
/// could not parse); listed in `sluice --help` and the README.
pub mod exit {
    /// The change was made (in the cluster or on GitHub) but the audit journal could not record
    /// its outcome; the next start records it.
    pub const DONE_NOT_RECORDED: u8 = 3;
    /// `sluice audit --verify`: the journal's chain does not hold.
    pub const JOURNAL_BROKEN: u8 = 4;
}

/// The simulated person a demo command acts as when none is named.
const DEMO_DEFAULT_PERSON: &str = "alice-approver";

/// Runs `command` and says how it ended.
pub fn run(console: &Console, cli: &Cli, command: &Command) -> ExitCode {
    let name = match command {
        Command::Validate => "validate",
        Command::Sim(_) => "sim",
        Command::Status(_) => "status",
        Command::Inbox(_) => "inbox",
        Command::Audit(_) => "audit",
        Command::Evidence(_) => "evidence",
        Command::Login(_) => "login",
        Command::Logout => "logout",
        Command::Whoami => "whoami",
        Command::Promote(_) => "promote",
        Command::Rollback(_) => "rollback",
        Command::History(_) => "history",
        Command::Metrics(_) => "metrics",
    };
    let result = match command {
        Command::Validate => validate(console),
        Command::Sim(args) => sim::run(console, args),
        Command::Status(args) if args.offline => offline::run(console, args),
        Command::Status(args) => block_on(status::run(console, cli, args)),
        Command::Inbox(args) => block_on(promote::inbox(console, cli, args)),
        Command::Audit(args) => audit::run(args),
        Command::Evidence(args) => evidence::run(args),
        Command::Login(args) => block_on(credentials::login(console, cli, args)),
        Command::Logout => block_on(credentials::logout(console, cli)),
        Command::Whoami => block_on(credentials::whoami(console, cli)),
        Command::Promote(args) => block_on(promote::promote(console, cli, args)),
        Command::Rollback(args) => block_on(promote::rollback(console, cli, args)),
        Command::History(args) => block_on(history::run(console, cli, args)),
        Command::Metrics(args) => block_on(metrics::run(console, cli, args)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            terminal::eprintln(&format!("sluice {name}: {}", e.message));
            if !e.hint.is_empty() {
                terminal::eprintln(&format!("hint: {}", e.hint));
            }
            if e.code == crate::promotion::DONE_NOT_RECORDED {
                ExitCode::from(exit::DONE_NOT_RECORDED)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn block_on(
    work: impl std::future::Future<Output = Result<ExitCode, UiError>>,
) -> Result<ExitCode, UiError> {
    tokio::runtime::Runtime::new()
        .map_err(|e| {
            UiError::new(
                "runtime.failed",
                format!("cannot start the async runtime: {e}"),
                "Try again.",
            )
        })?
        .block_on(work)
}

/// A session for a command: the demo world with `--demo` (acting as `demo_person`), else the
/// user's clusters and GitHub identity.
async fn session(
    console: &Console,
    cli: &Cli,
    demo_person: Option<&str>,
) -> Result<Session, UiError> {
    let mut options =
        SessionOptions::from_process(cli.demo, cli.kubeconfig.clone(), cli.github_api_url.clone())?;
    if cli.demo {
        options.demo_person = Some(demo_person.unwrap_or(DEMO_DEFAULT_PERSON).to_owned());
    }
    let session = Session::new(console.clone(), options);
    session.open().await?;
    Ok(session)
}

/// [`session`], with the live view started and settled: every source answered.
async fn watching(
    console: &Console,
    cli: &Cli,
    demo_person: Option<&str>,
) -> Result<Session, UiError> {
    let session = session(console, cli, demo_person).await?;
    session.watch().await?;
    session.settled(Duration::from_secs(20)).await;
    for late in session.record_late_outcomes().await {
        let what = match &late.to_version {
            Some(v) => format!("{} {v} into {}", late.action.as_str(), late.environment),
            None => format!("{} of {}", late.action.as_str(), late.environment),
        };
        terminal::eprintln(&format!(
            "sluice: recorded the outcome of an earlier attempt ({what}): {}. {}",
            late.result,
            late.recorded_late.as_deref().unwrap_or_default()
        ));
    }
    Ok(session)
}

/// What `sluice validate` prints, and whether it succeeded.
pub fn validate_report(console: &Console) -> (String, bool) {
    match console.pipeline_as_written() {
        Ok(p) => {
            let names: Vec<&str> = p.environments.iter().map(|e| e.name.as_str()).collect();
            (
                format!(
                    "{}: pipeline `{}` is valid: {}",
                    console.pipeline_path().display(),
                    p.app,
                    names.join(" → ")
                ),
                true,
            )
        }
        Err(e) => (format!("{}\nhint: {}", e.message, e.hint), false),
    }
}

fn validate(console: &Console) -> Result<ExitCode, UiError> {
    let (report, ok) = validate_report(console);
    if ok {
        terminal::println(&report);
        Ok(ExitCode::SUCCESS)
    } else {
        terminal::eprintln(&report);
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn pipeline_flag_picks_another_file() {
        let cli = Cli::try_parse_from(["sluice", "--pipeline", "other.yaml"]).unwrap();
        assert_eq!(cli.pipeline, PathBuf::from("other.yaml"));
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from(["sluice", "validate", "--pipeline", "x.yaml"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Validate)));
    }

    #[test]
    fn metrics_periods_are_days_or_weeks_and_a_wrong_one_shows_the_format() {
        let cli = Cli::try_parse_from(["sluice", "metrics", "--since", "6w", "--json"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Metrics(MetricsArgs {
                since: 42,
                json: true,
                ..
            }))
        ));
        let default = Cli::try_parse_from(["sluice", "metrics"]).unwrap();
        assert!(matches!(
            default.command,
            Some(Command::Metrics(MetricsArgs { since: 30, .. }))
        ));
        let e = Cli::try_parse_from(["sluice", "metrics", "--since", "month"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains("e.g. `--since 30d` or `--since 6w`"),
            "{e}"
        );
    }

    #[test]
    fn validate_reports_success_and_failure() {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../environments/pipeline.yaml");
        let (out, ok) = validate_report(&Console::new(shipped));
        assert!(ok, "{out}");
        assert!(out.contains("dev → staging → production"), "{out}");
        let (out, ok) = validate_report(&Console::new("/nonexistent.yaml"));
        assert!(!ok);
        assert!(out.contains("hint:"), "{out}");
    }
}
