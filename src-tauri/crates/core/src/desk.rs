//! What the window is told about its session — who is signed in, where the token is kept,
//! which world is shown — and the answers of its actions. Data only; the console produces it.
//!
//! Nothing here carries a token: the window learns who is signed in, never with what.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{AuditEntry, AuditProblem, AuditResult};
use crate::review::Pin;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The built-in simulated world is shown instead of the configured clusters and GitHub.
    pub demo: bool,
    /// The demo world's clock speed (1 = real time); `None` outside the demo.
    pub demo_speed: Option<f64>,
    /// The simulated people one may act as in the demo; empty outside it.
    pub demo_people: Vec<DemoPerson>,
    pub account: Option<Account>,
    /// Why a credential that is present is not the one in use (a refused `GH_TOKEN`, a kept
    /// token GitHub no longer accepts), for the person to act on.
    pub identity_note: Option<String>,
    pub keychain: KeychainInfo,
    /// The environment variable a token could be imported from (`GH_TOKEN`…), if one is set.
    pub environment_token: Option<String>,
    /// The device flow is possible (an OAuth client id is configured, or the demo).
    pub device_flow: bool,
    /// The GitHub API host tokens are kept for, e.g. `api.github.com`.
    pub github_host: String,
    pub pipeline_file: String,
    /// `None`: `$KUBECONFIG` or `~/.kube/config`.
    pub kubeconfig: Option<String>,
    pub contexts: Vec<EnvironmentContext>,
    /// The context names the kubeconfig offers; empty in the demo or when it cannot be read.
    pub kube_contexts: Vec<String>,
    /// Environments may be pointed at other contexts (not in the demo, whose world is its own).
    pub contexts_editable: bool,
    /// Why the kubeconfig or this machine's context choices cannot be read, with what to do.
    pub contexts_problem: Option<String>,
    /// Promotions started and never finished (a console stopped mid-way), oldest first.
    pub interrupted: Vec<AuditEntry>,
    /// Damaged journal lines found and set aside when the journal was opened.
    pub journal_problems: Vec<AuditProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DemoPerson {
    pub login: String,
    /// `approver`, `developer` or `viewer`.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub login: String,
    pub name: Option<String>,
    /// Where the token is kept, in words: "the Secret Service keyring", "memory, for this
    /// session only".
    pub token_home: String,
    /// The token is not persisted: it is gone when Sluice closes.
    pub session_only: bool,
    pub source: AccountSource,
    /// Which identity is used and why, in a sentence.
    pub why: String,
}

/// Where the identity in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum AccountSource {
    /// `GH_TOKEN` / `GITHUB_TOKEN`, used as-is: it wins over a stored sign-in, as with gh.
    Environment,
    /// The OS keychain.
    Keychain,
    /// Signed in for this session only.
    Session,
    /// A simulated person of the demo world.
    Demo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeychainInfo {
    /// e.g. "the Secret Service keyring".
    pub name: String,
    pub available: bool,
    /// Why it is not available, with what to do.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentContext {
    pub environment: String,
    /// The context Sluice uses: this machine's choice, else the pipeline file's.
    pub kube_context: String,
    /// The context the pipeline file names.
    pub pipeline_context: String,
    pub namespace: String,
    /// Whether the kubeconfig has `kube_context`; `None` when that is not known (demo,
    /// unreadable kubeconfig).
    pub found: Option<bool>,
}

/// A device sign-in waiting for the person to enter `user_code` at `verification_uri`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    /// The browser was opened at `verification_uri`.
    pub browser_opened: bool,
}

/// What became of a link the window asked to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LinkDecision {
    /// Opened in the browser: it is on the GitHub the session works with.
    Open,
    /// Not opened: it leads to `host`. The window asks the person, and opens it only when
    /// asked again with the person's confirmation.
    Confirm { host: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewAction {
    Approve,
    Reject,
}

/// An approval or rejection, carrying what the person reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActRequest {
    pub environment: String,
    pub action: ReviewAction,
    pub comment: String,
    /// Why a freeze or an unfinished soak is set aside; only for people the pipeline names.
    pub override_reason: Option<String>,
    /// The review's pin: the run, commit and images the person saw.
    pub pin: Pin,
}

/// How an approval, rejection or rollback ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub result: AuditResult,
    pub message: String,
    /// What the environment runs at the end, as the cluster shows it.
    pub running: Option<String>,
    /// Rollback is offered, and why.
    pub rollback: Option<RollbackOffer>,
}

/// One line a promotion's tool printed while it ran (`helm upgrade`), for the person watching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProgressLine {
    pub environment: String,
    pub line: String,
}

/// A promotion that went wrong after it changed the environment: going back is offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RollbackOffer {
    pub environment: String,
    /// Why, in words: what failed.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditExport {
    /// Where the file was written.
    pub path: String,
    pub entries: u32,
}
