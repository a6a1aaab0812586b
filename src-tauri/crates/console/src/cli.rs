//! The `sluice` command line. Without a subcommand it opens the desktop window.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::Console;

#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    about = "A desktop release console: what runs where, and promotion with approval."
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
    /// Print the audit journal: every promotion, approval, rejection and rollback attempt,
    /// newest first.
    Audit(AuditArgs),
    /// Sign in to GitHub (device flow by default) and keep the token in the OS keychain.
    Login(LoginArgs),
    /// Sign out of GitHub: delete the token kept for the GitHub host.
    Logout,
    /// Print who is signed in to GitHub, and where the token is kept.
    Whoami,
    /// Review a promotion (what it would ship and whether you may), then approve or reject it.
    Promote(crate::promote::command::PromoteArgs),
    /// Roll an environment back to its previous revision.
    Rollback(crate::promote::command::RollbackArgs),
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print the Snapshot as JSON (the same document the window renders).
    #[arg(long)]
    pub json: bool,
    /// Print again on every change until interrupted.
    #[arg(long)]
    pub watch: bool,
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
    /// Only entries with this result: started, succeeded, failed, refused or interrupted.
    #[arg(long, value_name = "R")]
    pub result: Option<sluice_core::audit::AuditResult>,
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
}

/// What `sluice validate` prints, and whether it succeeded.
pub fn validate(console: &Console) -> (String, bool) {
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
    fn validate_reports_success_and_failure() {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../environments/pipeline.yaml");
        let (out, ok) = validate(&Console::new(shipped));
        assert!(ok, "{out}");
        assert!(out.contains("dev → staging → production"), "{out}");
        let (out, ok) = validate(&Console::new("/nonexistent.yaml"));
        assert!(!ok);
        assert!(out.contains("hint:"), "{out}");
    }
}
