//! The Snapshot: everything the UI and `sluice status` show, rebuilt from the sources on every
//! change. It is the single truth the UI renders.

use std::sync::Arc;

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
    /// The GitHub login the sources read as: whose `current_user_can_approve` and inbox these
    /// are. `None` when reading anonymously.
    pub viewer: Option<String>,
    /// What waits on `viewer`; empty when nobody is signed in.
    pub inbox: Vec<InboxItem>,
    /// RFC 3339: this is the state last seen, as saved then, shown while the sources are read
    /// again (or cannot be). `None` for live state.
    #[serde(default)]
    pub last_known: Option<String>,
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
    // Shared with the cluster source's inputs: a change elsewhere does not copy them.
    pub workloads: Arc<Vec<Arc<Workload>>>,
    pub rollout: Option<Rollout>,
    /// Newest first.
    /// Shared with the cluster source's inputs, as the workloads are.
    pub helm_history: Arc<Vec<HelmRevision>>,
    pub last_deployed: Option<LastDeployed>,
    /// Since when the running version has run whole (its rollout completed): the start of a
    /// soak. `None` while rolling out or when no workload says.
    pub running_since: Option<RunningSince>,
    /// The values Helm last deployed the release with (`helm get values`).
    pub deployed_values: Option<DeployedValues>,
    pub drift: Option<Drift>,
    /// Recent warning events, newest first: the newest few of each workload (see the cluster
    /// source), so that a flood on one cannot hide the others or grow without bound.
    pub warnings: Vec<WarningEvent>,
    /// How many more warning events the namespace holds than `warnings` shows: older ones of a
    /// workload past its share. Shown as "and 1 234 older warning events".
    #[serde(default)]
    pub warnings_left_out: u32,
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
    /// Shared with the cluster inputs when every image runs the version's tag, so that an
    /// unchanged environment's 500 image refs are not copied into each Snapshot, nor sent.
    pub images: Arc<Vec<ImageRef>>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    pub name: String,
    /// What it implements within its release: the name without the Helm release's prefix
    /// (`api` for `tbyte-prod-api`), by which it is matched to the other environments' workloads.
    #[serde(default)]
    pub component: String,
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
    /// RFC 3339: when the controller last changed this condition's reason.
    pub last_update: Option<String>,
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
    /// The images its manifest's Deployments run, sorted: what a rollback to it restores.
    #[serde(default)]
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LastDeployed {
    /// RFC 3339.
    pub at: String,
    /// Who approved the deployment of the running version, when GitHub recorded a review.
    pub approved_by: Option<String>,
    /// What carried it out, in words: `GitHub Actions` for the workflow's bot, `@login` for a
    /// person.
    pub deployed_by: Option<String>,
}

/// The release as Helm last deployed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeployedValues {
    pub revision: u32,
    /// `name-version`.
    pub chart: String,
    /// Sorted by key.
    pub values: Vec<ValueEntry>,
}

/// One leaf of a Helm values tree, flattened to a dotted key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ValueEntry {
    /// e.g. `resources.requests.cpu`.
    pub key: String,
    pub value: String,
}

/// When the running version finished rolling out, and what says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RunningSince {
    /// RFC 3339.
    pub at: String,
    /// Where the time comes from, in words: the Deployment whose rollout completed last.
    pub evidence: String,
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
    pub status: GateStatus,
    /// The status in a few words for the gate's badge: `up to date`, `blocked`, `open`.
    pub status_label: String,
    pub pending: Pending,
    pub conditions: Vec<GateCondition>,
    /// Every deploy run waiting on this environment, newest first.
    pub waiting_runs: Vec<WaitingRun>,
    /// The quorum of the source's version, when the gate asks for more than one approval.
    pub quorum: Option<crate::quorum::Quorum>,
    /// Every approval in the environment's ledger (empty unless the gate asks for a quorum).
    pub ledger: Vec<crate::quorum::LedgerApproval>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum GateStatus {
    /// Both environments run the same version: nothing to promote.
    UpToDate,
    /// Something new to promote, and every condition but the approval is met.
    Open,
    /// Something new to promote, held back by an unmet condition.
    Blocked,
    /// What either side runs is not known yet.
    Unknown,
}

/// What promoting the source's version would change in the target environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    /// The label of what the target environment runs now.
    pub current_version: Option<String>,
    /// The label of what the source environment runs: what a promotion would bring.
    pub incoming_version: Option<String>,
    pub commits: Vec<CommitSummary>,
    pub pull_requests: Vec<PullRequestRef>,
    /// Each container of the target's workloads that would run another image. Shared: a gate
    /// whose sides did not change hands on the same list, as environments do their workloads.
    pub image_changes: Arc<Vec<ImageChange>>,
    /// Why the source's workloads cannot be matched to the target's, if they cannot: a
    /// promotion that sets images refuses then.
    pub image_problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CommitSummary {
    pub sha: String,
    pub title: String,
    pub author: String,
}

/// One container of the target environment and the image a promotion gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImageChange {
    /// The target's Deployment.
    pub workload: String,
    /// Empty in journals written before containers were recorded.
    #[serde(default)]
    pub container: String,
    /// The source's Deployment the image comes from.
    #[serde(default)]
    pub source_workload: String,
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
    /// Unmet, and the people the pipeline names may set it aside with a reason (a freeze or an
    /// unfinished soak).
    pub overridable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WaitingRun {
    /// GitHub's run ids exceed 32 bits; JSON numbers hold them exactly up to 2^53.
    #[ts(type = "number")]
    pub run_id: u64,
    pub sha: String,
    /// The commit as people read it.
    pub label: String,
    pub actor: String,
    /// GitHub's own answer for the signed-in person.
    pub current_user_can_approve: bool,
    /// The run deploys the commit the source environment runs; when false, approving it ships
    /// something else than the source shows.
    pub ships_source_version: bool,
    /// The commits approving this run would bring into the environment, oldest first.
    pub commits: Vec<CommitSummary>,
    pub pull_requests: Vec<PullRequestRef>,
    /// The gate's conditions for this run's commit.
    pub conditions: Vec<GateCondition>,
    /// The quorum of this run's commit, when the gate asks for more than one approval.
    pub quorum: Option<crate::quorum::Quorum>,
}

/// Something waiting on the person: a review only they (or their peers) can give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    /// Stable while the same thing waits: a new version or run makes a new item.
    pub id: String,
    pub environment: String,
    pub from: String,
    pub current_version: Option<String>,
    pub incoming_version: Option<String>,
    pub commits: u32,
    pub pull_requests: u32,
    pub why: InboxReason,
    /// The deploy run GitHub asks about, if one waits.
    #[ts(type = "number | null")]
    pub run_id: Option<u64>,
    /// Who started the waiting run.
    pub actor: Option<String>,
    /// Where a quorum stands (`1 of 2 approvals: @alice-approver`), when the gate asks for one.
    pub approvals: Option<String>,
    /// The desktop notification for this item, when it starts waiting.
    pub notification: Notification,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum InboxReason {
    /// GitHub asks this person to review a waiting deploy run.
    WaitingRun,
    /// Something new waits at a gate this person is a named reviewer of, with nothing but the
    /// approval missing.
    Reviewer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub title: String,
    pub body: String,
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
    /// Its first whole read is done (every list, every poll): what the snapshot shows of it
    /// is complete, not still arriving.
    pub synced: bool,
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
