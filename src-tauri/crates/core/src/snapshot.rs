//! The Snapshot: everything the UI and `sluice status` show, rebuilt from the sources on every
//! change. It is the single truth the UI renders.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Increases with every published snapshot.
    pub sequence: u32,
    /// RFC 3339.
    pub generated_at: String,
    /// Environments in pipeline order.
    pub environments: Vec<EnvironmentState>,
    /// One per environment reached by promotion, in pipeline order.
    pub gates: Vec<GateState>,
    pub sources: Vec<SourceState>,
    /// Open pull requests, newest first.
    pub pull_requests: Vec<PullRequestState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    /// Every workload has all its replicas ready on the current version.
    Healthy,
    /// A rollout is under way and still within its deadline.
    Progressing,
    /// Something is wrong: missing replicas, crashing pods, a stalled rollout.
    Degraded,
    /// Nothing known yet, or the source is unreachable and nothing was ever seen.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentState {
    pub name: String,
    pub namespace: String,
    pub version: Option<Version>,
    pub health: Health,
    /// Why the environment is not healthy, in words; empty when it is.
    pub health_reason: String,
    pub workloads: Vec<Workload>,
    pub rollout: Option<Rollout>,
    /// Newest first.
    pub helm_history: Vec<HelmRevision>,
    pub last_deployed: Option<LastDeployed>,
    pub drift: Option<Drift>,
    /// Recent warning events, newest first.
    pub warnings: Vec<WarningEvent>,
    /// The cluster source is disconnected; what is shown is the last known state.
    pub stale: bool,
    /// Problems reading this environment that did not stop the rest (a corrupt Helm secret…).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    /// The git commit, from the image tag (or Helm appVersion) when it looks like one.
    pub sha: Option<String>,
    /// A human label: the short SHA, or the tag when it is not a SHA.
    pub label: String,
    pub images: Vec<ImageRef>,
    pub app_version: Option<String>,
    pub pull_request: Option<PullRequestRef>,
    /// The first line of the commit message, when GitHub knows the commit.
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImageRef {
    pub workload: String,
    pub container: String,
    pub image: String,
    pub tag: Option<String>,
    /// `sha256:…` when a running pod reports it.
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PullRequestRef {
    pub number: u32,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    pub name: String,
    pub desired: u32,
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
    pub restarts: u32,
    pub images: Vec<String>,
    /// The Deployment's revision annotation.
    pub revision: Option<String>,
    pub conditions: Vec<Condition>,
    pub replica_sets: Vec<ReplicaSetState>,
    pub pods: Vec<PodState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaSetState {
    pub name: String,
    pub revision: Option<String>,
    pub desired: u32,
    pub ready: u32,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PodState {
    pub name: String,
    pub replica_set: Option<String>,
    /// `Running`, `Pending`, … or `Terminating`.
    pub phase: String,
    pub ready: bool,
    pub restarts: u32,
    /// A waiting or terminated container's reason: `CrashLoopBackOff`, `ImagePullBackOff`…
    pub reason: Option<String>,
    pub message: Option<String>,
    /// RFC 3339.
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    /// 0 to 1: the share of desired replicas updated and available.
    pub progress: f64,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The rollout exceeded its progress deadline.
    pub stalled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HelmRevision {
    pub revision: u32,
    pub status: String,
    pub chart: String,
    pub app_version: Option<String>,
    pub description: String,
    /// RFC 3339.
    pub deployed_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LastDeployed {
    /// RFC 3339.
    pub at: String,
    /// A GitHub login, when GitHub recorded the deployment.
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// What GitHub's latest successful deployment to the environment says runs.
    pub github_sha: String,
    /// What the cluster runs.
    pub cluster_sha: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WarningEvent {
    pub object: String,
    pub reason: String,
    pub message: String,
    pub count: u32,
    /// RFC 3339.
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GateState {
    /// The environment this gate guards.
    pub environment: String,
    pub from: String,
    /// Whether every condition is met.
    pub open: bool,
    pub pending: Pending,
    pub conditions: Vec<GateCondition>,
    /// The deploy run waiting on this environment, if GitHub has one.
    pub waiting_run: Option<WaitingRun>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    /// From → to version labels; `None` when either side is unknown.
    pub from_version: Option<String>,
    pub to_version: Option<String>,
    pub commits: Vec<CommitSummary>,
    pub pull_requests: Vec<PullRequestRef>,
    pub image_changes: Vec<ImageChange>,
    pub values_diff: Vec<ValueChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommitSummary {
    pub sha: String,
    pub title: String,
    pub author: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImageChange {
    pub workload: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ValueChange {
    pub key: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum GateConditionKind {
    SourceHealthy,
    Checks,
    Soak,
    Reviewers,
    Window,
    Freeze,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GateCondition {
    pub kind: GateConditionKind,
    pub met: bool,
    /// Why it is met or not, in words a release manager reads.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WaitingRun {
    /// GitHub's run ids exceed 32 bits; JSON numbers hold them exactly up to 2^53.
    #[ts(type = "number")]
    pub run_id: u64,
    pub sha: String,
    pub actor: String,
    /// GitHub's own answer for the signed-in person.
    pub current_user_can_approve: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Kubernetes,
    Github,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceState {
    /// e.g. `kubernetes (tbyte)` or `github (tbyte-org/tbyte)`.
    pub name: String,
    pub kind: SourceKind,
    pub connected: bool,
    /// RFC 3339 of the last event or answer received.
    pub last_event_at: Option<String>,
    pub last_error: Option<UiError>,
    /// GitHub's remaining rate-limit budget.
    pub rate_remaining: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum CheckState {
    Pending,
    Success,
    Failure,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PullRequestState {
    pub number: u32,
    pub title: String,
    pub author: String,
    pub head_sha: String,
    pub url: String,
    pub checks: CheckState,
    /// The environment running this pull request's head, if any (dev, usually).
    pub deployed_to: Option<String>,
}
