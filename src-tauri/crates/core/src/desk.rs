//! What the window is told about its session — who is signed in, where the token is kept,
//! which world is shown — and the answers of its actions. Data only; the console produces it.
//!
//! Nothing here carries a token: the window learns who is signed in, never with what.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::approval::ApprovalDecision;
use crate::audit::{AuditEntry, AuditProblem, AuditResult};
use crate::pipeline::{Principals, PromotionMethod};
use crate::snapshot::GateState;

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

/// Everything the promotion review shows, computed by the same rules that carry it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    pub environment: String,
    pub from: String,
    pub method: PromotionMethod,
    pub gate: GateState,
    /// For the signed-in person, now.
    pub decision: ApprovalDecision,
    /// Rejecting is possible (a waiting GitHub run the person may review).
    pub may_reject: bool,
    pub reviewers: Principals,
    pub override_by: Principals,
    /// Approve is refused only for a freeze or an unfinished soak that this person may
    /// override: with a reason, they may approve.
    pub may_override: bool,
    /// Commits and pull requests as Markdown, for pasting into a release announcement.
    pub release_notes: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewAction {
    Approve,
    Reject,
}

/// How an approval, rejection or rollback ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub result: AuditResult,
    pub message: String,
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

/// One leaf of an environment's Helm values file, flattened to a dotted key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ValueEntry {
    /// e.g. `resources.requests.cpu`.
    pub key: String,
    pub value: String,
}

/// The commits and pull requests a gate would ship, as Markdown.
pub fn release_notes(app: &str, gate: &GateState) -> String {
    let p = &gate.pending;
    let mut out = format!(
        "## {app}: {} → {} ({} → {})\n",
        gate.from,
        gate.environment,
        p.from_version.as_deref().unwrap_or("?"),
        p.to_version.as_deref().unwrap_or("?")
    );
    if !p.pull_requests.is_empty() {
        out.push_str("\n### Pull requests\n");
        for pr in &p.pull_requests {
            out.push_str(&format!("- {} ([#{}]({}))\n", pr.title, pr.number, pr.url));
        }
    }
    if !p.commits.is_empty() {
        out.push_str("\n### Commits\n");
        for c in &p.commits {
            let short = c.sha.get(..7).unwrap_or(&c.sha);
            out.push_str(&format!("- `{short}` {} (@{})\n", c.title, c.author));
        }
    }
    if !p.image_changes.is_empty() {
        out.push_str("\n### Images\n");
        for i in &p.image_changes {
            out.push_str(&format!(
                "- {}: {} → {}\n",
                i.workload,
                i.from.as_deref().unwrap_or("—"),
                i.to.as_deref().unwrap_or("—")
            ));
        }
    }
    if p.commits.is_empty() && p.pull_requests.is_empty() {
        out.push_str("\nNothing to ship: both environments run the same version.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{CommitSummary, ImageChange, Pending, PullRequestRef};

    fn gate(pending: Pending) -> GateState {
        GateState {
            environment: "production".into(),
            from: "staging".into(),
            open: true,
            pending,
            conditions: vec![],
            waiting_run: None,
        }
    }

    #[test]
    fn release_notes_list_pull_requests_commits_and_images() {
        let notes = release_notes(
            "tbyte",
            &gate(Pending {
                from_version: Some("a1b2c3d".into()),
                to_version: Some("e4f5a6b".into()),
                commits: vec![CommitSummary {
                    sha: "e4f5a6b7c8".into(),
                    title: "Faster checkout".into(),
                    author: "dave-developer".into(),
                }],
                pull_requests: vec![PullRequestRef {
                    number: 42,
                    title: "Faster checkout".into(),
                    url: "https://github.com/o/r/pull/42".into(),
                }],
                image_changes: vec![ImageChange {
                    workload: "api".into(),
                    from: Some("api:a1b2c3d".into()),
                    to: Some("api:e4f5a6b".into()),
                }],
                values_diff: vec![],
            }),
        );
        assert!(notes.starts_with("## tbyte: staging → production (a1b2c3d → e4f5a6b)\n"));
        assert!(notes.contains("- Faster checkout ([#42](https://github.com/o/r/pull/42))\n"));
        assert!(notes.contains("- `e4f5a6b` Faster checkout (@dave-developer)\n"));
        assert!(notes.contains("- api: api:a1b2c3d → api:e4f5a6b\n"));
        assert!(!notes.contains("Nothing to ship"));
    }

    #[test]
    fn release_notes_say_when_there_is_nothing_to_ship() {
        let notes = release_notes(
            "tbyte",
            &gate(Pending {
                from_version: Some("a1b2c3d".into()),
                to_version: Some("a1b2c3d".into()),
                commits: vec![],
                pull_requests: vec![],
                image_changes: vec![],
                values_diff: vec![],
            }),
        );
        assert!(notes.contains("Nothing to ship"), "{notes}");
    }
}
