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
 * The values key the deploy sets the image tag at (`image.tag`), when the pipeline says.
 */
imageTagKey: string | null, 
/**
 * How Sluice runs helm (the `helm` promotion method).
 */
helm: HelmSettings, 
/**
 * In promotion order: every environment is reached before the ones after it.
 */
environments: Array<Environment>, };
export type GithubRepository = { owner: string, name: string, 
/**
 * REST API base for GitHub Enterprise Server or the simulated world; `None` means github.com.
 */
apiUrl: string | null, 
/**
 * The pipeline file's folder within the repository (`""` for the root), so that values
 * files can be read at any commit; `None` when the pipeline does not say.
 */
directory: string | null, };
export type HelmSettings = { 
/**
 * The helm 3 binary: a path, or a name looked up on PATH.
 */
binary: string, 
/**
 * How long `helm upgrade --wait` may take.
 */
timeoutSeconds: number, 
/**
 * `--atomic`: a failed upgrade is rolled back by helm itself.
 */
atomic: boolean, };
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
gate: Gate | null, 
/**
 * How long a promoted version must hold here, and what happens when it does not.
 */
verify: Verify | null, };
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
export type PromotionMethod = "github-approval" | "workflow-dispatch" | "kubernetes" | "helm";
export type Approval = { 
/**
 * Never empty: at least one user or team.
 */
reviewers: Principals, preventSelfReview: boolean, 
/**
 * How many different people must approve (a quorum); at least 1.
 */
required: number, };
export type Verify = { forSeconds: number, onFailure: OnFailure, 
/**
 * Warning event reasons that fail it (`BackOff`, `Unhealthy`, …).
 */
warningReasons: Array<string>, 
/**
 * A smoke test: a Job made from this template must succeed within the hold.
 */
job: SmokeJob | null, };
export type SmokeJob = { 
/**
 * The template file, as the pipeline names it (relative to the pipeline file).
 */
file: string, };
export type OnFailure = "offer" | "rollback";
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
export type History = { environment: string, 
/**
 * Newest first.
 */
rows: Array<HistoryRow>, 
/**
 * What could not be read (GitHub, the journal); the rows hold what could.
 */
problems: Array<string>, };
export type HistoryRow = { 
/**
 * What `sluice rollback --to` takes: the Helm revision, or the newest Deployment revision
 * that ran this version.
 */
revision: number, 
/**
 * The version label (short commit or tag).
 */
version: string | null, 
/**
 * The full commit, when GitHub or the journal knew it.
 */
sha: string | null, 
/**
 * Sorted.
 */
images: Array<string>, 
/**
 * RFC 3339: when it was deployed.
 */
at: string | null, 
/**
 * Who approved or carried it out.
 */
by: string | null, 
/**
 * How it got there, in words (`helm, by Sluice`, `GitHub deployment`, `Helm: Upgrade complete`).
 */
how: string, 
/**
 * The cluster's word: Helm's status (`deployed`, `superseded`, `failed`, …), or `running`
 * / `replaced` for ReplicaSets.
 */
status: string, 
/**
 * The outcome of the journaled attempt that made it, when this machine made it.
 */
result: AuditResult | null, 
/**
 * How long that attempt took, from its start to its outcome.
 */
durationSecs: number | null, current: boolean, 
/**
 * Why rolling back to it is not offered; `None` when it is.
 */
rollbackRefusal: string | null, };
export type RollbackPlan = { environment: string, revision: number, 
/**
 * The version running now, and the one the rollback restores.
 */
fromVersion: string | null, toVersion: string | null, 
/**
 * Images running now that the rollback replaces, sorted.
 */
imagesRemoved: Array<string>, 
/**
 * Images the rollback brings back, sorted.
 */
imagesRestored: Array<string>, 
/**
 * Commits in what runs now that the restored version does not have, oldest first.
 */
commitsGoingAway: Array<CommitSummary>, 
/**
 * Why the commits going away are not known (no GitHub, versions not commits), if they are not.
 */
commitsUnknown: string | null, 
/**
 * Why it cannot be rolled back to; `None` when it can.
 */
refusal: string | null, };
export type Metrics = { 
/**
 * RFC 3339: the period's start and end.
 */
since: string, until: string, days: number, 
/**
 * How many days each point of the series covers: 1 or 7.
 */
bucketDays: number, environments: Array<EnvironmentMetrics>, 
/**
 * What could not be read; the figures hold what could.
 */
problems: Array<string>, };
export type EnvironmentMetrics = { environment: string, 
/**
 * Deployment frequency: deployments (not rollbacks) in the period.
 */
deployments: number, 
/**
 * Deployments per 7 days of the period.
 */
perWeek: number, rollbacks: number, 
/**
 * `None` when no succeeded deployment has a known commit time.
 */
leadTime: Spread | null, 
/**
 * Failed changes among the deployments.
 */
failures: number, 
/**
 * Failed changes ÷ deployments, from 0 to 1; `None` with no deployments.
 */
changeFailureRate: number | null, 
/**
 * Above [`HIGH_FAILURE_RATE`]: worse than DORA's "high performers" bracket.
 */
failureRateHigh: boolean, 
/**
 * `None` when no failed change was restored.
 */
timeToRestore: Spread | null, 
/**
 * Failed changes not followed yet by a healthy change.
 */
unrestored: number, 
/**
 * Newest first.
 */
failedChanges: Array<FailedChange>, 
/**
 * Oldest first, one point per `bucket_days`.
 */
series: Array<MetricsBucket>, 
/**
 * Why figures are missing, in words (`No deployments in this period.`).
 */
note: string | null, };
export type Spread = { medianHours: number, p90Hours: number, 
/**
 * How many values they are taken over.
 */
samples: number, };
export type FailedChange = { version: string | null, 
/**
 * RFC 3339: when it was deployed.
 */
at: string, reason: FailureReason, 
/**
 * Hours until the next healthy change; `None` while unrestored.
 */
restoredAfterHours: number | null, };
export type FailureReason = "failed" | "rolled-back" | "needed-fix";
export type MetricsBucket = { 
/**
 * The first day it covers, `YYYY-MM-DD` (UTC).
 */
start: string, deployments: number, failures: number, rollbacks: number, 
/**
 * The median lead time of its succeeded deployments, in hours.
 */
leadTimeMedianHours: number | null, };
export type ChangeKind = "release" | "rollback";
export type ChangeOutcome = "succeeded" | "failed";
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
pullRequests: Array<PullRequestState>, 
/**
 * The GitHub login the sources read as: whose `current_user_can_approve` and inbox these
 * are. `None` when reading anonymously.
 */
viewer: string | null, 
/**
 * What waits on `viewer`; empty when nobody is signed in.
 */
inbox: Array<InboxItem>, 
/**
 * RFC 3339: this is the state last seen, as saved then, shown while the sources are read
 * again (or cannot be). `None` for live state.
 */
lastKnown: string | null, };
export type SnapshotUpdate = { 
/**
 * The new Snapshot; the environments named in `sameWorkloads` come with no workloads.
 */
snapshot: Snapshot, 
/**
 * The sequence of the Snapshot this update was made against; a receiver that holds
 * another one asks for the whole Snapshot instead.
 */
base: number | null, 
/**
 * Environments whose workloads are those of the `base` Snapshot.
 */
sameWorkloads: Array<string>, 
/**
 * Environments where only some workloads changed: they come with those alone.
 */
keptWorkloads: Array<KeptWorkloads>, 
/**
 * Environments whose Helm history is that of the `base` Snapshot; they come with none.
 */
sameHelmHistory: Array<string>, 
/**
 * Environments whose version's images are those of the `base` Snapshot's version; their
 * version comes with none (500 Deployments make 500 image refs in each environment).
 */
sameVersionImages: Array<string>, 
/**
 * Gates, by target environment, whose pending image changes are those of the `base`
 * Snapshot; they come with none.
 */
sameImageChanges: Array<string>, 
/**
 * When the console sent it, in ms since the epoch on this computer's clock: the window
 * times how long a Snapshot takes to reach its DOM (the window benchmark reads it).
 */
sentAt: number, };
export type KeptWorkloads = { environment: string, 
/**
 * Every workload's name, in order: those not sent are the `base` Snapshot's of that name.
 */
order: Array<string>, };
export type Health = "healthy" | "progressing" | "degraded" | "unknown";
export type EnvironmentState = { name: string, namespace: string, version: Version | null, health: Health, 
/**
 * Why the environment is not healthy, in words; empty when it is.
 */
healthReason: string, workloads: Array<Workload>, rollout: Rollout | null, 
/**
 * Newest first.
 * Shared with the cluster source's inputs, as the workloads are.
 */
helmHistory: Array<HelmRevision>, lastDeployed: LastDeployed | null, 
/**
 * Since when the running version has run whole (its rollout completed): the start of a
 * soak. `None` while rolling out or when no workload says.
 */
runningSince: RunningSince | null, 
/**
 * The values Helm last deployed the release with (`helm get values`).
 */
deployedValues: DeployedValues | null, drift: Drift | null, 
/**
 * Recent warning events, newest first: the newest few of each workload (see the cluster
 * source), so that a flood on one cannot hide the others or grow without bound.
 */
warnings: Array<WarningEvent>, 
/**
 * How many more warning events the namespace holds than `warnings` shows: older ones of a
 * workload past its share. Shown as "and 1 234 older warning events".
 */
warningsLeftOut: number, 
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
label: string, 
/**
 * Shared with the cluster inputs when every image runs the version's tag, so that an
 * unchanged environment's 500 image refs are not copied into each Snapshot, nor sent.
 */
images: Array<ImageRef>, appVersion: string | null, pullRequest: PullRequestRef | null, 
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
export type Workload = { name: string, 
/**
 * What it implements within its release: the name without the Helm release's prefix
 * (`api` for `tbyte-prod-api`), by which it is matched to the other environments' workloads.
 */
component: string, desired: number, updated: number, ready: number, available: number, restarts: number, images: Array<string>, 
/**
 * The Deployment's revision annotation.
 */
revision: string | null, conditions: Array<Condition>, replicaSets: Array<ReplicaSetState>, pods: Array<PodState>, };
export type Condition = { type: string, status: string, reason: string, message: string, 
/**
 * RFC 3339: when the controller last changed this condition's reason.
 */
lastUpdate: string | null, };
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
deployedAt: string | null, 
/**
 * The images its manifest's Deployments run, sorted: what a rollback to it restores.
 */
images: Array<string>, };
export type LastDeployed = { 
/**
 * RFC 3339.
 */
at: string, 
/**
 * Who approved the deployment of the running version, when GitHub recorded a review.
 */
approvedBy: string | null, 
/**
 * What carried it out, in words: `GitHub Actions` for the workflow's bot, `@login` for a
 * person.
 */
deployedBy: string | null, };
export type RunningSince = { 
/**
 * RFC 3339.
 */
at: string, 
/**
 * Where the time comes from, in words: the Deployment whose rollout completed last.
 */
evidence: string, };
export type DeployedValues = { revision: number, 
/**
 * `name-version`.
 */
chart: string, 
/**
 * Sorted by key.
 */
values: Array<ValueEntry>, };
export type ValueEntry = { 
/**
 * e.g. `resources.requests.cpu`.
 */
key: string, value: string, };
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
environment: string, from: string, status: GateStatus, 
/**
 * The status in a few words for the gate's badge: `up to date`, `blocked`, `open`.
 */
statusLabel: string, pending: Pending, conditions: Array<GateCondition>, 
/**
 * Every deploy run waiting on this environment, newest first.
 */
waitingRuns: Array<WaitingRun>, 
/**
 * The quorum of the source's version, when the gate asks for more than one approval.
 */
quorum: Quorum | null, 
/**
 * Every approval in the environment's ledger (empty unless the gate asks for a quorum).
 */
ledger: Array<LedgerApproval>, };
export type GateStatus = "up-to-date" | "open" | "blocked" | "unknown";
export type Pending = { 
/**
 * The label of what the target environment runs now.
 */
currentVersion: string | null, 
/**
 * The label of what the source environment runs: what a promotion would bring.
 */
incomingVersion: string | null, commits: Array<CommitSummary>, pullRequests: Array<PullRequestRef>, 
/**
 * Each container of the target's workloads that would run another image. Shared: a gate
 * whose sides did not change hands on the same list, as environments do their workloads.
 */
imageChanges: Array<ImageChange>, 
/**
 * Why the source's workloads cannot be matched to the target's, if they cannot: a
 * promotion that sets images refuses then.
 */
imageProblems: Array<string>, };
export type CommitSummary = { sha: string, title: string, author: string, };
export type ImageChange = { 
/**
 * The target's Deployment.
 */
workload: string, 
/**
 * Empty in journals written before containers were recorded.
 */
container: string, 
/**
 * The source's Deployment the image comes from.
 */
sourceWorkload: string, from: string | null, to: string | null, };
export type ValueChange = { key: string, from: string | null, to: string | null, };
export type GateConditionKind = "source-healthy" | "checks" | "soak" | "reviewers" | "window" | "freeze";
export type GateCondition = { kind: GateConditionKind, met: boolean, 
/**
 * Why it is met or not, in words a release manager reads.
 */
reason: string, 
/**
 * Unmet, and the people the pipeline names may set it aside with a reason (a freeze or an
 * unfinished soak).
 */
overridable: boolean, };
export type WaitingRun = { 
/**
 * GitHub's run ids exceed 32 bits; JSON numbers hold them exactly up to 2^53.
 */
runId: number, sha: string, 
/**
 * The commit as people read it.
 */
label: string, actor: string, 
/**
 * GitHub's own answer for the signed-in person.
 */
currentUserCanApprove: boolean, 
/**
 * The run deploys the commit the source environment runs; when false, approving it ships
 * something else than the source shows.
 */
shipsSourceVersion: boolean, 
/**
 * The commits approving this run would bring into the environment, oldest first.
 */
commits: Array<CommitSummary>, pullRequests: Array<PullRequestRef>, 
/**
 * The gate's conditions for this run's commit.
 */
conditions: Array<GateCondition>, 
/**
 * The quorum of this run's commit, when the gate asks for more than one approval.
 */
quorum: Quorum | null, };
export type InboxItem = { 
/**
 * Stable while the same thing waits: a new version or run makes a new item.
 */
id: string, environment: string, from: string, currentVersion: string | null, incomingVersion: string | null, commits: number, pullRequests: number, why: InboxReason, 
/**
 * The deploy run GitHub asks about, if one waits.
 */
runId: number | null, 
/**
 * Who started the waiting run.
 */
actor: string | null, 
/**
 * Where a quorum stands (`1 of 2 approvals: @alice-approver`), when the gate asks for one.
 */
approvals: string | null, 
/**
 * The desktop notification for this item, when it starts waiting.
 */
notification: Notification, };
export type InboxReason = "waiting-run" | "reviewer";
export type Notification = { title: string, body: string, };
export type SourceKind = "kubernetes" | "github";
export type SourceState = { 
/**
 * e.g. `kubernetes (tbyte)` or `github (tbyte-org/tbyte)`.
 */
name: string, kind: SourceKind, connected: boolean, 
/**
 * Its first whole read is done (every list, every poll): what the snapshot shows of it
 * is complete, not still arriving.
 */
synced: boolean, 
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
export type Decision = { approve: Offer, reject: Offer, 
/**
 * Approve is refused only for conditions this person may set aside: with a reason, they
 * may approve.
 */
mayOverride: boolean, 
/**
 * Conditions set aside by the override reason given (recorded in the audit journal).
 */
overridden: Array<GateConditionKind>, 
/**
 * A comment means something: the person may approve, override or reject.
 */
mayComment: boolean, 
/**
 * At a gate asking for a quorum: what this person's approval would add to it.
 */
vote: Vote | null, };
export type Vote = { required: number, 
/**
 * Approvals counted before this one.
 */
before: number, 
/**
 * Which approval this one would be (`2` of 2); the quorum's size once it is complete.
 */
ordinal: number, 
/**
 * How many more approvals it would still need after this one.
 */
remaining: number, 
/**
 * This approval is the last one needed: approving carries the promotion out.
 */
completes: boolean, };
export type Replay = { 
/**
 * The attempt it belongs to (its journal correlation).
 */
correlation: string, environment: string, 
/**
 * RFC 3339, when the recording started.
 */
startedAt: string, 
/**
 * In time order; the first is the state before anything changed.
 */
frames: Array<ReplayFrame>, 
/**
 * Frames past the recording's cap, not kept (the rollout went on longer than a replay
 * holds), or lines that could not be read.
 */
leftOut: number, };
export type ReplayFrame = { 
/**
 * Milliseconds since the recording started.
 */
atMs: number, 
/**
 * The environment as the live view showed it then.
 */
state: EnvironmentState, };
export type Quorum = { required: number, 
/**
 * The approvals that count, one per person, oldest first.
 */
approvals: Array<LedgerApproval>, 
/**
 * Approvals in the ledger for this release that do not count, each with why.
 */
notCounted: Array<string>, 
/**
 * For the gate and the inbox: `1 of 2 approvals: @alice-approver`.
 */
summary: string, };
export type LedgerApproval = { environment: string, 
/**
 * The approver's GitHub login, as signed in to Sluice.
 */
login: string, 
/**
 * The version label approved.
 */
version: string, 
/**
 * The full commit approved, when known.
 */
sha: string | null, 
/**
 * What the environment ran when the approval was given (its version label): an approval is
 * of one move, and stops counting once the environment runs something else.
 */
from: string | null, 
/**
 * RFC 3339.
 */
at: string, comment: string | null, };
export type Offer = { allowed: boolean, refusals: Array<Refusal>, };
export type Refusal = { kind: RefusalKind, 
/**
 * The gate condition behind a `condition-unmet` or override refusal.
 */
condition: GateConditionKind | null, 
/**
 * One sentence for the person: what stands in the way, and what would change it.
 */
sentence: string, };
export type RefusalKind = "not-signed-in" | "not-a-reviewer" | "self-review" | "authority-denied" | "no-waiting-run" | "nothing-to-promote" | "condition-unmet" | "override-needs-reason" | "override-by-others" | "unmatched-workloads" | "release-changed" | "upgrade-unknown" | "already-approved";
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
error: UiError | null, 
/**
 * The deploy run reviewed (github-approval), as the person saw it.
 */
runId: number | null, 
/**
 * The full commit asked for, when known.
 */
sha: string | null, 
/**
 * On an outcome: what the environment ran when the attempt ended, as the cluster showed
 * it (which may differ from what was asked for).
 */
shipped: string | null, 
/**
 * On an outcome of the `helm` method: the release's revision the attempt left deployed. On
 * a rollback's `started` entry: the revision of the history asked for.
 */
revision: number | null, 
/**
 * On an outcome written after the fact, because it could not be recorded when the attempt
 * ended: how it was determined (what the cluster showed when Sluice next started).
 */
recordedLate?: string, };
export type AuditMethod = "github-approval" | "workflow-dispatch" | "kubernetes" | "helm" | "rollback";
export type AuditAction = "approve" | "reject" | "promote" | "rollback" | "override";
export type AuditResult = "started" | "succeeded" | "failed" | "refused" | "interrupted" | "counted";
export type AuditPlan = { 
/**
 * Commits between the from and to versions.
 */
commits: number, pullRequests: Array<number>, images: Array<ImageChange>, 
/**
 * The `helm` method: the chart installed (`name-version`).
 */
chart: string | null, 
/**
 * The `helm` method: the command line run, exactly (it carries no credentials).
 */
command: string | null, };
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
export type Attempt = { correlation: string, 
/**
 * Newest first: the outcome above the `started` entry it belongs to.
 */
entries: Array<AuditEntry>, 
/**
 * The outcome's result, or `started` while no outcome was recorded.
 */
result: AuditResult, 
/**
 * Started with no outcome, or marked interrupted.
 */
unfinished: boolean, 
/**
 * The newest entry's time (RFC 3339), by which attempts are ordered.
 */
latestAt: string, environment: string, actor: string, 
/**
 * Its rollout was recorded on this computer: it can be replayed (set by the console,
 * which knows the recordings; never from the journal alone).
 */
replayable: boolean, };
export type AttemptFilter = { environment: string | null, 
/**
 * A GitHub login; logins are case-insensitive.
 */
person: string | null, 
/**
 * The attempt's result.
 */
result: AuditResult | null, 
/**
 * Words that must all appear in one of the attempt's entries (case-insensitive).
 */
search: string | null, };
export type ChainReport = { 
/**
 * Complete lines read.
 */
lines: number, 
/**
 * Lines of the chain whose link to the line before held.
 */
chained: number, 
/**
 * Lines written before the chain existed (format version 1), which carry no link.
 */
legacy: number, head: ChainHead, 
/**
 * The first breaks found, in file order.
 */
breaks: Array<ChainBreak>, 
/**
 * Breaks beyond those listed.
 */
moreBreaks: number, };
export type ChainHead = { "state": "anchored", line: number | null, } | { "state": "notAnchored", reason: string, };
export type ChainBreak = { 
/**
 * 1-based line number in the journal file.
 */
line: number, 
/**
 * What is wrong there.
 */
reason: string, 
/**
 * What to do about it.
 */
hint: string, };
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
demoPeople: Array<DemoPerson>, account: Account | null, 
/**
 * Why a credential that is present is not the one in use (a refused `GH_TOKEN`, a kept
 * token GitHub no longer accepts), for the person to act on.
 */
identityNote: string | null, keychain: KeychainInfo, 
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
sessionOnly: boolean, source: AccountSource, 
/**
 * Which identity is used and why, in a sentence.
 */
why: string, };
export type AccountSource = "environment" | "keychain" | "session" | "demo";
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
export type LinkDecision = { "kind": "open" } | { "kind": "confirm", host: string, };
export type Review = { environment: string, from: string, method: PromotionMethod, 
/**
 * The label of what the environment runs now.
 */
currentVersion: string | null, 
/**
 * The label of what the source environment runs.
 */
sourceVersion: string | null, 
/**
 * What Approve would ship; `None` when nothing known could be.
 */
candidate: Candidate | null, 
/**
 * Every deploy run waiting on the environment, newest first; the candidate names the one
 * under review.
 */
waitingRuns: Array<WaitingRun>, 
/**
 * What the person must read before deciding, in plain sentences.
 */
warnings: Array<string>, notes: ReleaseNotes, 
/**
 * Each container of the environment that would run another image.
 */
imageChanges: Array<ImageChange>, values: ValuesChanges, 
/**
 * The `helm` method: what `helm upgrade` would change in the cluster, object by object.
 */
helm: HelmPreview | null, 
/**
 * The gate's conditions for the candidate.
 */
conditions: Array<GateCondition>, 
/**
 * For the signed-in person, now.
 */
decision: Decision, 
/**
 * The release's approvals so far, when the gate asks for more than one.
 */
quorum: Quorum | null, reviewers: Principals, overrideBy: Principals, 
/**
 * What an approval of this review carries back: it is refused when the release changed.
 */
pin: Pin, };
export type Candidate = { 
/**
 * The full commit, when known.
 */
sha: string | null, label: string, 
/**
 * The deploy run whose approval ships it (github-approval).
 */
runId: number | null, 
/**
 * It is what the source environment runs.
 */
shipsSourceVersion: boolean, };
export type Pin = { runId: number | null, sha: string | null, images: Array<ImageChange>, 
/**
 * The chart a `helm` promotion installs.
 */
chart: string | null, };
export type HelmPreview = { 
/**
 * The chart the source runs (`name-version`), rebuilt from its release record.
 */
chart: string | null, 
/**
 * The command Sluice would run, as the journal records it.
 */
command: string, 
/**
 * Every object the upgrade adds, removes or changes.
 */
changes: Array<ManifestChange>, 
/**
 * Each container whose image the upgrade changes, read from the rendered manifest.
 */
images: Array<ImageChange>, 
/**
 * Why the rendered difference is not known, with what to do.
 */
problem: string | null, };
export type ManifestChange = { 
/**
 * e.g. `Deployment`.
 */
kind: string, name: string, change: ManifestChangeKind, 
/**
 * A unified diff of the object's YAML (now → after), three lines of context.
 */
diff: string, };
export type ManifestChangeKind = "added" | "removed" | "changed";
export type ReleaseNotes = { 
/**
 * e.g. `tbyte: production d313be6 → 7ec480f (from staging)`.
 */
heading: string, pullRequests: Array<PullRequestRef>, 
/**
 * Oldest first.
 */
commits: Array<CommitSummary>, 
/**
 * Nothing would ship: both sides run the same version.
 */
empty: boolean, 
/**
 * The same notes as Markdown, for pasting into a release announcement.
 */
markdown: string, };
export type ValuesChanges = { 
/**
 * What the left side is, e.g. `production as deployed (Helm revision 7)`.
 */
before: string, 
/**
 * What the right side is, e.g. `values-prod.yaml at 7ec480f, image.tag = 7ec480f`.
 */
after: string, changes: Array<ValueChange>, 
/**
 * The chart before → after, when it changes.
 */
chart: ValueChange | null, 
/**
 * Why part of it could not be worked out, with what it means.
 */
notes: Array<string>, };
export type ReviewAction = "approve" | "reject";
export type ActRequest = { environment: string, action: ReviewAction, comment: string, 
/**
 * Why a freeze or an unfinished soak is set aside; only for people the pipeline names.
 */
overrideReason: string | null, 
/**
 * The review's pin: the run, commit and images the person saw.
 */
pin: Pin, };
export type Outcome = { result: AuditResult, message: string, 
/**
 * What the environment runs at the end, as the cluster shows it.
 */
running: string | null, 
/**
 * Rollback is offered, and why.
 */
rollback: RollbackOffer | null, };
export type RollbackOffer = { environment: string, 
/**
 * Why, in words: what failed.
 */
reason: string, };
export type ProgressLine = { environment: string, line: string, };
export type Verification = { 
/**
 * Unique per verification, so that its outcome is announced once.
 */
id: string, environment: string, 
/**
 * The version being verified, as the review named it.
 */
version: string, forSeconds: number, 
/**
 * How long it has held so far, whole seconds; at most `for_seconds`.
 */
heldSeconds: number, 
/**
 * Empty until the live view shows the new version whole.
 */
checks: Array<VerifyCheck>, onFailure: OnFailure, state: VerificationState, 
/**
 * The phase in one sentence (the card's tooltip, the banner).
 */
summary: string, 
/**
 * The desktop notification of a failure; `None` while it runs or when it held.
 */
notification: Notification | null, 
/**
 * Still under way (settling, verifying or rolling back): what presentation mode and the
 * review follow. Kept equal to `!finished()`.
 */
running: boolean, };
export type VerificationState = { "phase": "settling" } | { "phase": "verifying" } | { "phase": "held" } | { "phase": "failed", reason: string, } | { "phase": "rolling-back", reason: string, } | { "phase": "rolled-back", reason: string, to: string | null, } | { "phase": "rollback-failed", reason: string, error: string, };
export type VerifyCheck = { 
/**
 * `restarts`, `readiness`, `crash-looping` or `warnings`.
 */
name: string, holding: boolean, 
/**
 * What broke it, in words; empty while it holds.
 */
detail: string, };
export type ExportFormat = "csv" | "json";
export type AuditExport = { 
/**
 * Where the file was written.
 */
path: string, entries: number, };
export type Evidence = { 
/**
 * [`FORMAT`].
 */
format: string, 
/**
 * The attempt's id (its `started` entry's id), as `sluice audit --json` shows it.
 */
correlation: string, 
/**
 * When this evidence was exported (RFC 3339).
 */
exportedAt: string, environment: string, method: AuditMethod, action: AuditAction, 
/**
 * Who acted (a GitHub login, or `unknown`).
 */
actor: string, 
/**
 * The outcome's result, or `started` when none was recorded.
 */
result: AuditResult, 
/**
 * When the attempt was journaled first and last (RFC 3339).
 */
startedAt: string, endedAt: string | null, fromVersion: string | null, toVersion: string | null, 
/**
 * The full commit asked for.
 */
sha: string | null, 
/**
 * The deploy run reviewed (github-approval).
 */
runId: number | null, 
/**
 * What the environment ran when the attempt ended, as the cluster showed it.
 */
shipped: string | null, 
/**
 * Why it failed or was refused.
 */
error: UiError | null, 
/**
 * How the outcome was determined when it was recorded after the fact.
 */
recordedLate: string | null, 
/**
 * What would change, in brief, as journaled before anything was done.
 */
plan: AuditPlan | null, 
/**
 * Every gate condition as journaled when the person decided.
 */
gates: Array<AuditGate>, 
/**
 * The people's decisions on this attempt, with their comments, oldest first.
 */
decisions: Array<Decided>, 
/**
 * The review exactly as composed when the person confirmed; `None` when the attempt
 * record does not hold it (see `missing`).
 */
review: Review | null, 
/**
 * What verification found (`verify` in the pipeline); `None` when it did not run.
 */
verification: VerificationResult | null, 
/**
 * The `helm` method (and rollbacks of helm releases): the release's revisions.
 */
helm: HelmRevisions | null, 
/**
 * Every progress line of the rollout, with when it was said, oldest first.
 */
timeline: Array<TimelineLine>, 
/**
 * Progress lines the record did not keep (it keeps at most a bounded number).
 */
timelineLeftOut: number, 
/**
 * The attempt's journal entries as written, oldest first.
 */
entries: Array<AuditEntry>, 
/**
 * What this evidence lacks, and why (no record, a damaged record, an unfinished attempt).
 */
missing: Array<string>, 
/**
 * Whether the journal the entries were read from was intact when this was exported;
 * `None` when it was not checked.
 */
journal: JournalCheck | null, };
export type Decided = { actor: string, action: AuditAction, at: string, comment: string | null, overrideReason: string | null, };
export type TimelineLine = { at: string, line: string, source: TimelineSource, };
export type TimelineSource = "sluice" | "cluster";
export type VerificationResult = { 
/**
 * When it ended.
 */
at: string, 
/**
 * How long the environment had to hold.
 */
forSeconds: number, held: boolean, 
/**
 * Why it did not hold.
 */
reason: string | null, };
export type HelmRevisions = { release: string | null, before: number | null, after: number | null, };
export type JournalCheck = { 
/**
 * Every line followed the one before, and nothing contradicted the anchored head.
 */
holds: boolean, lines: number, 
/**
 * Breaks found (listed by `sluice audit --verify`).
 */
breaks: number, 
/**
 * Why the head could not be checked against the keychain, when it could not: lines cut off
 * the journal's end cannot be detected then.
 */
notAnchored: string | null, };
export type EvidenceExport = { correlation: string, 
/**
 * The self-contained page.
 */
html: string, 
/**
 * The same evidence as JSON.
 */
json: string, 
/**
 * The SHA-256 of the canonical content, as both files state it.
 */
sha256: string, };
