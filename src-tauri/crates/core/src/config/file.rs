//! The pipeline file as written: serde shapes that keep each value's line and column so that
//! validation can point at the exact spot. Nothing here is trusted until `validate` accepts it.

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::pipeline::{OnFailure, PromotionMethod, Weekday};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PipelineFile {
    pub app: Spanned<String>,
    pub github: GithubSection,
    #[serde(default)]
    pub chart: ChartSection,
    pub helm: Option<HelmSection>,
    pub environments: Spanned<Vec<EnvironmentSection>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct HelmSection {
    pub binary: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub atomic: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct GithubSection {
    /// `owner/name`.
    pub repository: Spanned<String>,
    pub api_url: Option<Spanned<String>>,
    /// The pipeline file's folder within the repository.
    pub directory: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ChartSection {
    #[serde(default = "default_replicas_key")]
    pub replicas_key: Spanned<String>,
    /// Where the deploy sets the image tag, e.g. `image.tag`.
    pub image_tag_key: Option<Spanned<String>>,
    #[serde(default)]
    pub show: Vec<ShownValueSection>,
}

impl Default for ChartSection {
    fn default() -> Self {
        Self {
            replicas_key: default_replicas_key(),
            image_tag_key: None,
            show: Vec::new(),
        }
    }
}

fn default_replicas_key() -> Spanned<String> {
    unspanned("replicaCount".to_owned())
}

fn unspanned<T>(value: T) -> Spanned<T> {
    Spanned::new(
        value,
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ShownValueSection {
    pub label: Spanned<String>,
    pub key: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct EnvironmentSection {
    pub name: Spanned<String>,
    pub kube_context: Spanned<String>,
    pub namespace: Spanned<String>,
    pub release: Spanned<String>,
    pub values_file: Spanned<String>,
    pub deploy: Spanned<DeploySection>,
    pub gate: Option<Spanned<GateSection>>,
    pub verify: Option<Spanned<VerifySection>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct VerifySection {
    #[serde(rename = "for")]
    pub hold_for: Spanned<String>,
    pub on_failure: Option<Spanned<OnFailure>>,
    pub warning_reasons: Option<Vec<Spanned<String>>>,
    /// A Job template file (relative to the pipeline file): the smoke test.
    pub job: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct DeploySection {
    pub on: Spanned<DeployOn>,
    pub branch: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum DeployOn {
    PullRequest,
    Merge,
    Promotion,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct GateSection {
    pub method: Spanned<PromotionMethod>,
    pub workflow: Option<Spanned<String>>,
    pub approval: Option<Spanned<ApprovalSection>>,
    pub soak: Option<Spanned<String>>,
    #[serde(default)]
    pub required_checks: Vec<Spanned<String>>,
    #[serde(default)]
    pub change_windows: Vec<Spanned<ChangeWindowSection>>,
    #[serde(default)]
    pub freezes: Vec<Spanned<FreezeSection>>,
    #[serde(default)]
    pub override_by: PrincipalsSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ApprovalSection {
    #[serde(default)]
    pub reviewers: PrincipalsSection,
    #[serde(default = "yes")]
    pub prevent_self_review: bool,
    /// Signed, so that `-1` is reported as a quorum rather than as a YAML type error.
    pub required: Option<Spanned<i64>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct PrincipalsSection {
    #[serde(default)]
    pub users: Vec<Spanned<String>>,
    #[serde(default)]
    pub teams: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ChangeWindowSection {
    pub days: Spanned<Vec<Weekday>>,
    pub start: Spanned<String>,
    pub end: Spanned<String>,
    #[serde(default = "utc")]
    pub timezone: Spanned<String>,
}

fn utc() -> Spanned<String> {
    unspanned("UTC".to_owned())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct FreezeSection {
    pub start: Spanned<String>,
    pub end: Spanned<String>,
    pub reason: Spanned<String>,
}
