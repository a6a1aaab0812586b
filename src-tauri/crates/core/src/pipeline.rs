//! The validated pipeline: what the console and the UI work with once the file has passed
//! [`crate::config::load_pipeline`]. Every invariant the validator checks holds here.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Pipeline {
    /// The application's name, e.g. `tbyte`.
    pub app: String,
    /// The pipeline file this was read from, as given (for display and error messages).
    pub source_file: String,
    pub github: GithubRepository,
    /// The values key the deploy sets the image tag at (`image.tag`), when the pipeline says.
    pub image_tag_key: Option<String>,
    /// How Sluice runs helm (the `helm` promotion method).
    pub helm: HelmSettings,
    /// In promotion order: every environment is reached before the ones after it.
    pub environments: Vec<Environment>,
}

impl Pipeline {
    /// The environment called `name`, or an error that names the ones there are.
    pub fn environment(&self, name: &str) -> Result<&Environment, crate::UiError> {
        self.environments
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.environments.iter().map(|e| e.name.as_str()).collect();
                crate::UiError::new(
                    "pipeline.unknown-environment",
                    format!("There is no environment `{name}`."),
                    format!("Name one of: {}.", names.join(", ")),
                )
            })
    }
}

/// How Sluice runs the helm binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HelmSettings {
    /// The helm 3 binary: a path, or a name looked up on PATH.
    pub binary: String,
    /// How long `helm upgrade --wait` may take.
    pub timeout_seconds: u32,
    /// `--atomic`: a failed upgrade is rolled back by helm itself.
    pub atomic: bool,
}

impl Default for HelmSettings {
    fn default() -> Self {
        Self {
            binary: "helm".into(),
            timeout_seconds: 300,
            atomic: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GithubRepository {
    pub owner: String,
    pub name: String,
    /// REST API base for GitHub Enterprise Server or the simulated world; `None` means github.com.
    pub api_url: Option<String>,
    /// The pipeline file's folder within the repository (`""` for the root), so that values
    /// files can be read at any commit; `None` when the pipeline does not say.
    pub directory: Option<String>,
}

impl GithubRepository {
    /// Where `file` (relative to the pipeline file) is in the repository, if known.
    pub fn path_of(&self, file: &str) -> Option<String> {
        let dir = self.directory.as_deref()?;
        let file = file.trim_start_matches("./");
        Some(if dir.is_empty() {
            file.to_owned()
        } else {
            format!("{dir}/{file}")
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub name: String,
    pub kube_context: String,
    pub namespace: String,
    /// The Helm release deployed into this environment.
    pub release: String,
    /// Path of the Helm values file, relative to the pipeline file.
    pub values_file: String,
    pub trigger: Trigger,
    /// Replica target read from the values file at the chart's `replicasKey`.
    pub replicas: Option<u32>,
    /// The values the pipeline asks to show for every environment, in the order it lists them.
    pub shown_values: Vec<ShownValue>,
    /// The conditions a promotion into this environment must meet.
    pub gate: Option<Gate>,
    /// How long a promoted version must hold here, and what happens when it does not.
    pub verify: Option<Verify>,
}

/// Verification after a promotion's rollout: the new version must hold for `for_seconds` —
/// no restarts, every replica ready, no crash loop, no new warning of a listed reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Verify {
    pub for_seconds: u32,
    pub on_failure: OnFailure,
    /// Warning event reasons that fail it (`BackOff`, `Unhealthy`, …).
    pub warning_reasons: Vec<String>,
    /// A smoke test: a Job made from this template must succeed within the hold.
    pub job: Option<SmokeJob>,
}

/// The smoke test's Job template, read and checked when the pipeline was loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SmokeJob {
    /// The template file, as the pipeline names it (relative to the pipeline file).
    pub file: String,
    /// The template as JSON. Kept from the webview: a template may carry values its author
    /// did not mean to show.
    #[serde(skip)]
    #[ts(skip)]
    pub manifest: String,
}

/// What a failed verification does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum OnFailure {
    /// Offers Rollback, with the failure as its reason.
    Offer,
    /// Rolls back at once, and says so.
    Rollback,
}

impl Environment {
    /// The environment this one is promoted from, if it is reached by promotion.
    pub fn promoted_from(&self) -> Option<&str> {
        match &self.trigger {
            Trigger::Promotion { from } => Some(from),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShownValue {
    pub label: String,
    /// Dotted path into the values file, e.g. `resources.requests.cpu`.
    pub key: String,
    /// `None` when the values file does not set this key.
    pub value: Option<String>,
}

/// How a new version reaches an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Trigger {
    /// Every pull request deploys its head here.
    PullRequest,
    /// A merge to `branch` deploys here.
    Merge { branch: String },
    /// A person promotes the version running in `from`.
    Promotion { from: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Gate {
    pub method: PromotionMethod,
    /// The deploy workflow file (for `github-approval` and `workflow-dispatch`).
    pub workflow: Option<String>,
    /// `None` when no human approval is required.
    pub approval: Option<Approval>,
    /// Minimum time the version must have run in the source environment, as written (`24h`).
    pub soak: Option<String>,
    /// Check runs that must have passed on the promoted commit.
    pub required_checks: Vec<String>,
    /// When set, promotions happen only inside one of these windows.
    pub change_windows: Vec<ChangeWindow>,
    pub freezes: Vec<Freeze>,
    /// Who may override a freeze or an unfinished soak (with a reason).
    pub override_by: Principals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum PromotionMethod {
    /// Approve the deploy workflow's pending deployment on GitHub.
    GithubApproval,
    /// Dispatch the deploy workflow with the version as input.
    WorkflowDispatch,
    /// Sluice sets the images itself by server-side apply.
    Kubernetes,
    /// Sluice runs `helm upgrade` with the chart and image tag the source runs and the target's
    /// own values file.
    Helm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// Never empty: at least one user or team.
    pub reviewers: Principals,
    pub prevent_self_review: bool,
    /// How many different people must approve (a quorum); at least 1.
    pub required: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Principals {
    /// GitHub logins.
    pub users: Vec<String>,
    /// GitHub teams as `org/team-slug`.
    pub teams: Vec<String>,
}

impl Principals {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.teams.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChangeWindow {
    pub days: Vec<Weekday>,
    /// `HH:MM`, inclusive.
    pub start: String,
    /// `HH:MM`, exclusive.
    pub end: String,
    /// An IANA time zone name such as `Europe/Berlin`, or `UTC`.
    pub timezone: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Freeze {
    /// RFC 3339 timestamp.
    pub start: String,
    /// RFC 3339 timestamp, after `start`.
    pub end: String,
    pub reason: String,
}
