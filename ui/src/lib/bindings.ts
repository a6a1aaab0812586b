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
