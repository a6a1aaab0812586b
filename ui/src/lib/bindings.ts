// This file is generated from Rust by `make bindings`. Do not edit.
export type Pipeline = { 
/**
 * The application's name, e.g. `tbyte`.
 */
app: string, 
/**
 * The pipeline file this was read from, as given (for display and error messages).
 */
sourceFile: string, github: GithubRepository, 
/**
 * In promotion order: every environment is reached before the ones after it.
 */
environments: Array<Environment>, };
export type GithubRepository = { owner: string, name: string, 
/**
 * REST API base for GitHub Enterprise Server or the simulated world; `None` means github.com.
 */
apiUrl: string | null, };
export type Environment = { name: string, kubeContext: string, namespace: string, 
/**
 * The Helm release deployed into this environment.
 */
release: string, 
/**
 * Path of the Helm values file, relative to the pipeline file.
 */
valuesFile: string, trigger: Trigger, 
/**
 * Replica target read from the values file at the chart's `replicasKey`.
 */
replicas: number | null, 
/**
 * The values the pipeline asks to show for every environment, in the order it lists them.
 */
shownValues: Array<ShownValue>, 
/**
 * The conditions a promotion into this environment must meet.
 */
gate: Gate | null, };
export type ShownValue = { label: string, 
/**
 * Dotted path into the values file, e.g. `resources.requests.cpu`.
 */
key: string, 
/**
 * `None` when the values file does not set this key.
 */
value: string | null, };
export type Trigger = { "kind": "pull-request" } | { "kind": "merge", branch: string, } | { "kind": "promotion", from: string, };
export type Gate = { method: PromotionMethod, 
/**
 * The deploy workflow file (for `github-approval` and `workflow-dispatch`).
 */
workflow: string | null, 
/**
 * `None` when no human approval is required.
 */
approval: Approval | null, 
/**
 * Minimum time the version must have run in the source environment, as written (`24h`).
 */
soak: string | null, 
/**
 * Check runs that must have passed on the promoted commit.
 */
requiredChecks: Array<string>, 
/**
 * When set, promotions happen only inside one of these windows.
 */
changeWindows: Array<ChangeWindow>, freezes: Array<Freeze>, 
/**
 * Who may override a freeze or an unfinished soak (with a reason).
 */
overrideBy: Principals, };
export type PromotionMethod = "github-approval" | "workflow-dispatch" | "kubernetes";
export type Approval = { 
/**
 * Never empty: at least one user or team.
 */
reviewers: Principals, preventSelfReview: boolean, };
export type Principals = { 
/**
 * GitHub logins.
 */
users: Array<string>, 
/**
 * GitHub teams as `org/team-slug`.
 */
teams: Array<string>, };
export type ChangeWindow = { days: Array<Weekday>, 
/**
 * `HH:MM`, inclusive.
 */
start: string, 
/**
 * `HH:MM`, exclusive.
 */
end: string, 
/**
 * An IANA time zone name such as `Europe/Berlin`, or `UTC`.
 */
timezone: string, };
export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";
export type Freeze = { 
/**
 * RFC 3339 timestamp.
 */
start: string, 
/**
 * RFC 3339 timestamp, after `start`.
 */
end: string, reason: string, };
export type UiError = { code: string, message: string, hint: string, };
export type Snapshot = { 
/**
 * Increases with every published snapshot.
 */
sequence: number, 
/**
 * RFC 3339.
 */
generatedAt: string, 
/**
 * Environments in pipeline order.
 */
environments: Array<EnvironmentState>, 
/**
 * One per environment reached by promotion, in pipeline order.
 */
gates: Array<GateState>, sources: Array<SourceState>, 
/**
 * Open pull requests, newest first.
 */
pullRequests: Array<PullRequestState>, };
export type Health = "healthy" | "progressing" | "degraded" | "unknown";
export type EnvironmentState = { name: string, namespace: string, version: Version | null, health: Health, 
/**
 * Why the environment is not healthy, in words; empty when it is.
 */
healthReason: string, workloads: Array<Workload>, rollout: Rollout | null, 
/**
 * Newest first.
 */
helmHistory: Array<HelmRevision>, lastDeployed: LastDeployed | null, drift: Drift | null, 
/**
 * Recent warning events, newest first.
 */
warnings: Array<WarningEvent>, 
/**
 * The cluster source is disconnected; what is shown is the last known state.
 */
stale: boolean, 
/**
 * Problems reading this environment that did not stop the rest (a corrupt Helm secret…).
 */
problems: Array<string>, };
export type Version = { 
/**
 * The git commit, from the image tag (or Helm appVersion) when it looks like one.
 */
sha: string | null, 
/**
 * A human label: the short SHA, or the tag when it is not a SHA.
 */
label: string, images: Array<ImageRef>, appVersion: string | null, pullRequest: PullRequestRef | null, 
/**
 * The first line of the commit message, when GitHub knows the commit.
 */
title: string | null, };
export type ImageRef = { workload: string, container: string, image: string, tag: string | null, 
/**
 * `sha256:…` when a running pod reports it.
 */
digest: string | null, };
export type PullRequestRef = { number: number, title: string, url: string, };
export type Workload = { name: string, desired: number, updated: number, ready: number, available: number, restarts: number, images: Array<string>, 
/**
 * The Deployment's revision annotation.
 */
revision: string | null, conditions: Array<Condition>, replicaSets: Array<ReplicaSetState>, pods: Array<PodState>, };
export type Condition = { type: string, status: string, reason: string, message: string, };
export type ReplicaSetState = { name: string, revision: string | null, desired: number, ready: number, images: Array<string>, };
export type PodState = { name: string, replicaSet: string | null, 
/**
 * `Running`, `Pending`, … or `Terminating`.
 */
phase: string, ready: boolean, restarts: number, 
/**
 * A waiting or terminated container's reason: `CrashLoopBackOff`, `ImagePullBackOff`…
 */
reason: string | null, message: string | null, 
/**
 * RFC 3339.
 */
createdAt: string | null, };
export type Rollout = { 
/**
 * 0 to 1: the share of desired replicas updated and available.
 */
progress: number, from: string | null, to: string | null, 
/**
 * The rollout exceeded its progress deadline.
 */
stalled: boolean, };
export type HelmRevision = { revision: number, status: string, chart: string, appVersion: string | null, description: string, 
/**
 * RFC 3339.
 */
deployedAt: string | null, };
export type LastDeployed = { 
/**
 * RFC 3339.
 */
at: string, 
/**
 * A GitHub login, when GitHub recorded the deployment.
 */
by: string | null, };
export type Drift = { 
/**
 * What GitHub's latest successful deployment to the environment says runs.
 */
githubSha: string, 
/**
 * What the cluster runs.
 */
clusterSha: string | null, message: string, };
export type WarningEvent = { object: string, reason: string, message: string, count: number, 
/**
 * RFC 3339.
 */
lastSeen: string | null, };
export type GateState = { 
/**
 * The environment this gate guards.
 */
environment: string, from: string, 
/**
 * Whether every condition is met.
 */
open: boolean, pending: Pending, conditions: Array<GateCondition>, 
/**
 * The deploy run waiting on this environment, if GitHub has one.
 */
waitingRun: WaitingRun | null, };
export type Pending = { 
/**
 * From → to version labels; `None` when either side is unknown.
 */
fromVersion: string | null, toVersion: string | null, commits: Array<CommitSummary>, pullRequests: Array<PullRequestRef>, imageChanges: Array<ImageChange>, valuesDiff: Array<ValueChange>, };
export type CommitSummary = { sha: string, title: string, author: string, };
export type ImageChange = { workload: string, from: string | null, to: string | null, };
export type ValueChange = { key: string, from: string | null, to: string | null, };
export type GateConditionKind = "source-healthy" | "checks" | "soak" | "reviewers" | "window" | "freeze";
export type GateCondition = { kind: GateConditionKind, met: boolean, 
/**
 * Why it is met or not, in words a release manager reads.
 */
reason: string, };
export type WaitingRun = { 
/**
 * GitHub's run ids exceed 32 bits; JSON numbers hold them exactly up to 2^53.
 */
runId: number, sha: string, actor: string, 
/**
 * GitHub's own answer for the signed-in person.
 */
currentUserCanApprove: boolean, };
export type SourceKind = "kubernetes" | "github";
export type SourceState = { 
/**
 * e.g. `kubernetes (tbyte)` or `github (tbyte-org/tbyte)`.
 */
name: string, kind: SourceKind, connected: boolean, 
/**
 * RFC 3339 of the last event or answer received.
 */
lastEventAt: string | null, lastError: UiError | null, 
/**
 * GitHub's remaining rate-limit budget.
 */
rateRemaining: number | null, };
export type CheckState = "pending" | "success" | "failure" | "none";
export type PullRequestState = { number: number, title: string, author: string, headSha: string, url: string, checks: CheckState, 
/**
 * The environment running this pull request's head, if any (dev, usually).
 */
deployedTo: string | null, };
export type ApprovalDecision = { 
/**
 * Approve may be offered and carried out.
 */
allowed: boolean, 
/**
 * Every reason it may not, each a sentence for the person.
 */
refusals: Array<string>, 
/**
 * Conditions set aside by an override (recorded in the audit journal).
 */
overridden: Array<string>, };
export type AuditEntry = { 
/**
 * Unique per entry.
 */
id: string, 
/**
 * RFC 3339.
 */
at: string, 
/**
 * Shared by a `started` entry and its outcome; equal to the `started` entry's id. An entry
 * that is its own whole attempt (a refusal before anything started) uses its own id.
 */
correlation: string, 
/**
 * The GitHub login of the person, or `unknown` when nobody is signed in.
 */
actor: string, 
/**
 * The target environment.
 */
environment: string, 
/**
 * The version label running before (none when the environment was empty or unknown).
 */
fromVersion: string | null, 
/**
 * The version label asked for.
 */
toVersion: string | null, method: AuditMethod, action: AuditAction, 
/**
 * What the attempt would change, as shown to the person before they confirmed.
 */
plan: AuditPlan | null, 
/**
 * Every gate condition as it stood at the time of the entry.
 */
gates: Array<AuditGate>, 
/**
 * The person's comment, as typed.
 */
comment: string | null, 
/**
 * Why a freeze or an unfinished soak was overridden; set only for overrides.
 */
overrideReason: string | null, result: AuditResult, 
/**
 * Why it failed or was refused.
 */
error: UiError | null, };
export type AuditMethod = "github-approval" | "workflow-dispatch" | "kubernetes" | "rollback";
export type AuditAction = "approve" | "reject" | "promote" | "rollback" | "override";
export type AuditResult = "started" | "succeeded" | "failed" | "refused" | "interrupted";
export type AuditPlan = { 
/**
 * Commits between the from and to versions.
 */
commits: number, pullRequests: Array<number>, images: Array<ImageChange>, };
export type AuditGate = { kind: string, met: boolean, reason: string, };
export type AuditProblem = { 
/**
 * 1-based line number in the journal file.
 */
line: number, 
/**
 * What is wrong with it, e.g. "checksum mismatch" or "unfinished line (the writer died)".
 */
reason: string, 
/**
 * Where the bytes were copied before they were removed from the journal, if they were.
 */
setAside: string | null, };
export type SessionInfo = { 
/**
 * The built-in simulated world is shown instead of the configured clusters and GitHub.
 */
demo: boolean, 
/**
 * The demo world's clock speed (1 = real time); `None` outside the demo.
 */
demoSpeed: number | null, 
/**
 * The simulated people one may act as in the demo; empty outside it.
 */
demoPeople: Array<DemoPerson>, account: Account | null, keychain: KeychainInfo, 
/**
 * The environment variable a token could be imported from (`GH_TOKEN`…), if one is set.
 */
environmentToken: string | null, 
/**
 * The device flow is possible (an OAuth client id is configured, or the demo).
 */
deviceFlow: boolean, 
/**
 * The GitHub API host tokens are kept for, e.g. `api.github.com`.
 */
githubHost: string, pipelineFile: string, 
/**
 * `None`: `$KUBECONFIG` or `~/.kube/config`.
 */
kubeconfig: string | null, contexts: Array<EnvironmentContext>, 
/**
 * The context names the kubeconfig offers; empty in the demo or when it cannot be read.
 */
kubeContexts: Array<string>, 
/**
 * Environments may be pointed at other contexts (not in the demo, whose world is its own).
 */
contextsEditable: boolean, 
/**
 * Why the kubeconfig or this machine's context choices cannot be read, with what to do.
 */
contextsProblem: string | null, 
/**
 * Promotions started and never finished (a console stopped mid-way), oldest first.
 */
interrupted: Array<AuditEntry>, 
/**
 * Damaged journal lines found and set aside when the journal was opened.
 */
journalProblems: Array<AuditProblem>, };
export type DemoPerson = { login: string, 
/**
 * `approver`, `developer` or `viewer`.
 */
role: string, };
export type Account = { login: string, name: string | null, 
/**
 * Where the token is kept, in words: "the Secret Service keyring", "memory, for this
 * session only".
 */
tokenHome: string, 
/**
 * The token is not persisted: it is gone when Sluice closes.
 */
sessionOnly: boolean, };
export type KeychainInfo = { 
/**
 * e.g. "the Secret Service keyring".
 */
name: string, available: boolean, 
/**
 * Why it is not available, with what to do.
 */
problem: string | null, };
export type EnvironmentContext = { environment: string, 
/**
 * The context Sluice uses: this machine's choice, else the pipeline file's.
 */
kubeContext: string, 
/**
 * The context the pipeline file names.
 */
pipelineContext: string, namespace: string, 
/**
 * Whether the kubeconfig has `kube_context`; `None` when that is not known (demo,
 * unreadable kubeconfig).
 */
found: boolean | null, };
export type DeviceCode = { userCode: string, verificationUri: string, 
/**
 * The browser was opened at `verification_uri`.
 */
browserOpened: boolean, };
export type Review = { environment: string, from: string, method: PromotionMethod, gate: GateState, 
/**
 * For the signed-in person, now.
 */
decision: ApprovalDecision, 
/**
 * Rejecting is possible (a waiting GitHub run the person may review).
 */
mayReject: boolean, reviewers: Principals, overrideBy: Principals, 
/**
 * Approve is refused only for a freeze or an unfinished soak that this person may
 * override: with a reason, they may approve.
 */
mayOverride: boolean, 
/**
 * Commits and pull requests as Markdown, for pasting into a release announcement.
 */
releaseNotes: string, };
export type ReviewAction = "approve" | "reject";
export type Outcome = { result: AuditResult, message: string, };
export type ExportFormat = "csv" | "json";
export type AuditExport = { 
/**
 * Where the file was written.
 */
path: string, entries: number, };
export type ValueEntry = { 
/**
 * e.g. `resources.requests.cpu`.
 */
key: string, value: string, };
