//! What the sources hand the console: one environment's cluster view, and the repository's
//! GitHub view, already reduced to what the Snapshot needs. Sources fill these; the rules in
//! `assemble` turn them into a [`crate::snapshot::Snapshot`].

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::snapshot::{CheckState, HelmRevision, ImageRef, WarningEvent, Workload};
use crate::values::FlatValues;

/// One environment as its kube context and namespace show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterInputs {
    /// The Deployments of the environment's Helm release (label
    /// `app.kubernetes.io/instance=<release>`), or every Deployment of the namespace when none
    /// carries it. Their ReplicaSets and pods are inside.
    /// Shared: the Snapshot holds the same list, so that an unchanged environment costs nothing
    /// to carry into the next Snapshot.
    pub workloads: Arc<Vec<Arc<Workload>>>,
    /// What each workload's containers run, per pod template and running pod (digests).
    pub images: Arc<Vec<ImageRef>>,
    /// Workloads whose rollout exceeded its progress deadline.
    pub stalled: Vec<String>,
    /// Helm history of the release, newest first.
    pub helm_history: Arc<Vec<HelmRevision>>,
    /// The newest revision Helm marked `deployed`: what `helm get values` shows.
    pub deployed_release: Option<DeployedRelease>,
    /// Warning events of the namespace, newest first, the newest few per workload.
    pub warnings: Vec<WarningEvent>,
    /// Warning events of the namespace not in `warnings`.
    pub warnings_left_out: u32,
    /// The environment's approvals ledger (read only where a gate asks for a quorum).
    pub approvals: Vec<crate::quorum::LedgerApproval>,
    /// Readable problems that did not stop the rest (a corrupt Helm secret, a forbidden list).
    pub problems: Vec<String>,
}

/// The release as Helm last deployed it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployedRelease {
    pub revision: u32,
    /// `name-version`, as `helm list` shows it.
    pub chart: String,
    /// The values supplied to that revision (its `config`), flattened.
    pub values: FlatValues,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GithubInputs {
    /// The login of the token in use; `None` when reading anonymously.
    pub viewer: Option<String>,
    /// The default branch, newest first.
    pub commits: Vec<CommitInfo>,
    /// Open pull requests, and recently merged ones (to name the PR a commit came from).
    pub pull_requests: Vec<PullRequestInfo>,
    /// The latest deployment per environment and its latest status.
    pub deployments: Vec<DeploymentInfo>,
    /// Runs waiting on a protected environment.
    pub waiting_runs: Vec<WaitingRunInfo>,
    /// Comparisons the console asked for, by (base, head).
    pub comparisons: BTreeMap<(String, String), ComparisonInfo>,
    /// Combined check state per commit the console asked about, with each check's name.
    pub checks: BTreeMap<String, Vec<(String, CheckState)>>,
    pub rate_remaining: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub sha: String,
    pub title: String,
    pub author: String,
    /// RFC 3339.
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestInfo {
    pub number: u32,
    pub title: String,
    pub author: String,
    pub url: String,
    pub head_sha: String,
    pub merge_commit_sha: Option<String>,
    pub open: bool,
    pub checks: CheckState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentInfo {
    pub environment: String,
    pub sha: String,
    /// The latest status: `success`, `failure`, `in_progress`, …
    pub state: String,
    pub creator: String,
    /// RFC 3339 of the latest status.
    pub updated_at: String,
    /// Who approved the run that made this deployment (GitHub's review history of the run
    /// its status links to), if anyone did.
    pub approved_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingRunInfo {
    pub run_id: u64,
    pub head_sha: String,
    pub actor: String,
    /// Environments the run waits on, with GitHub's `current_user_can_approve` for each.
    pub environments: Vec<(String, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparisonInfo {
    pub ahead_by: u32,
    pub behind_by: u32,
    /// Commits in head not in base, oldest first.
    pub commits: Vec<CommitInfo>,
}
