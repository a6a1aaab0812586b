//! The audit entry: one line of the local journal, recording one step of an attempt to promote,
//! approve, reject or roll back. An attempt writes a `started` entry and then exactly one outcome
//! sharing its `correlation`; a `started` entry with no outcome is an interrupted attempt.
//!
//! There are deliberately no credential fields: nothing here can carry a token.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::UiError;
use crate::snapshot::ImageChange;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Unique per entry.
    pub id: String,
    /// RFC 3339.
    pub at: String,
    /// Shared by a `started` entry and its outcome; equal to the `started` entry's id. An entry
    /// that is its own whole attempt (a refusal before anything started) uses its own id.
    pub correlation: String,
    /// The GitHub login of the person, or `unknown` when nobody is signed in.
    pub actor: String,
    /// The target environment.
    pub environment: String,
    /// The version label running before (none when the environment was empty or unknown).
    pub from_version: Option<String>,
    /// The version label asked for.
    pub to_version: Option<String>,
    pub method: AuditMethod,
    pub action: AuditAction,
    /// What the attempt would change, as shown to the person before they confirmed.
    pub plan: Option<AuditPlan>,
    /// Every gate condition as it stood at the time of the entry.
    pub gates: Vec<AuditGate>,
    /// The person's comment, as typed.
    pub comment: Option<String>,
    /// Why a freeze or an unfinished soak was overridden; set only for overrides.
    pub override_reason: Option<String>,
    pub result: AuditResult,
    /// Why it failed or was refused.
    pub error: Option<UiError>,
    /// The deploy run reviewed (github-approval), as the person saw it.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub run_id: Option<u64>,
    /// The full commit asked for, when known.
    #[serde(default)]
    pub sha: Option<String>,
    /// On an outcome: what the environment ran when the attempt ended, as the cluster showed
    /// it (which may differ from what was asked for).
    #[serde(default)]
    pub shipped: Option<String>,
    /// On an outcome of the `helm` method: the release's revision the attempt left deployed. On
    /// a rollback's `started` entry: the revision of the history asked for.
    #[serde(default)]
    pub revision: Option<u32>,
    /// On an outcome written after the fact, because it could not be recorded when the attempt
    /// ended: how it was determined (what the cluster showed when Sluice next started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub recorded_late: Option<String>,
}

impl AuditEntry {
    /// The outcome of this (`started`) entry: the same attempt, with a new id, time and result.
    pub fn outcome(
        &self,
        id: impl Into<String>,
        at: impl Into<String>,
        result: AuditResult,
        error: Option<UiError>,
    ) -> Self {
        Self {
            id: id.into(),
            at: at.into(),
            correlation: self.correlation.clone(),
            result,
            error,
            ..self.clone()
        }
    }
}

/// How the change reaches the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum AuditMethod {
    GithubApproval,
    WorkflowDispatch,
    Kubernetes,
    Helm,
    Rollback,
}

impl AuditMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GithubApproval => "github-approval",
            Self::WorkflowDispatch => "workflow-dispatch",
            Self::Kubernetes => "kubernetes",
            Self::Helm => "helm",
            Self::Rollback => "rollback",
        }
    }
}

impl From<crate::pipeline::PromotionMethod> for AuditMethod {
    fn from(m: crate::pipeline::PromotionMethod) -> Self {
        use crate::pipeline::PromotionMethod as P;
        match m {
            P::GithubApproval => Self::GithubApproval,
            P::WorkflowDispatch => Self::WorkflowDispatch,
            P::Kubernetes => Self::Kubernetes,
            P::Helm => Self::Helm,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    Approve,
    Reject,
    Promote,
    Rollback,
    /// A promotion past a freeze or an unfinished soak, with a reason.
    Override,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Promote => "promote",
            Self::Rollback => "rollback",
            Self::Override => "override",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum AuditResult {
    /// The attempt was sent to the authority; an outcome entry follows.
    Started,
    Succeeded,
    Failed,
    /// A gate or the authority (GitHub, Kubernetes) said no; nothing was changed.
    Refused,
    /// Found at start-up: a `started` entry whose console died before the outcome.
    Interrupted,
    /// An approval was added to the gate's quorum in the environment's ledger; nothing was
    /// changed in the environment: the last approval needed carries the promotion out.
    Counted,
}

impl AuditResult {
    pub const ALL: [Self; 6] = [
        Self::Started,
        Self::Succeeded,
        Self::Failed,
        Self::Refused,
        Self::Interrupted,
        Self::Counted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Refused => "refused",
            Self::Interrupted => "interrupted",
            Self::Counted => "counted",
        }
    }
}

impl fmt::Display for AuditResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown result word, with the words that exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown result `{0}`: expected started, succeeded, failed, refused, interrupted or counted"
)]
pub struct UnknownAuditResult(pub String);

impl FromStr for AuditResult {
    type Err = UnknownAuditResult;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownAuditResult(s.to_owned()))
    }
}

/// The plan in brief: enough to answer "what did this change?" without the full diff.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditPlan {
    /// Commits between the from and to versions.
    pub commits: u32,
    pub pull_requests: Vec<u32>,
    pub images: Vec<ImageChange>,
    /// The `helm` method: the chart installed (`name-version`).
    #[serde(default)]
    pub chart: Option<String>,
    /// The `helm` method: the command line run, exactly (it carries no credentials).
    #[serde(default)]
    pub command: Option<String>,
}

/// One gate condition as it stood. `kind` is a word (`checks`, `soak`, `freeze`, `reviewers`,
/// `self-review`, `authority`…) rather than an enum so that old journals stay readable when
/// conditions are added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditGate {
    pub kind: String,
    pub met: bool,
    pub reason: String,
}

/// A journal line that could not be trusted, found when the journal was opened or read.
/// One attempt: its `started` entry and its outcome (or a refusal on its own), linked by
/// `correlation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub correlation: String,
    /// Newest first: the outcome above the `started` entry it belongs to.
    pub entries: Vec<AuditEntry>,
    /// The outcome's result, or `started` while no outcome was recorded.
    pub result: AuditResult,
    /// Started with no outcome, or marked interrupted.
    pub unfinished: bool,
    /// The newest entry's time (RFC 3339), by which attempts are ordered.
    pub latest_at: String,
    pub environment: String,
    pub actor: String,
    /// Its rollout was recorded on this computer: it can be replayed (set by the console,
    /// which knows the recordings; never from the journal alone).
    #[serde(default)]
    pub replayable: bool,
}

/// Which attempts to show; every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptFilter {
    pub environment: Option<String>,
    /// A GitHub login; logins are case-insensitive.
    pub person: Option<String>,
    /// The attempt's result.
    pub result: Option<AuditResult>,
    /// Words that must all appear in one of the attempt's entries (case-insensitive).
    pub search: Option<String>,
}

fn instant(at: &str) -> Option<jiff::Timestamp> {
    at.parse().ok()
}

/// The journal (oldest first, as written) as attempts, newest attempt first.
pub fn attempts(entries: &[AuditEntry]) -> Vec<Attempt> {
    let mut order: Vec<(usize, &AuditEntry)> = entries.iter().enumerate().collect();
    // Newest first; entries at the same instant keep the journal's order, later lines first.
    order.sort_by(|(ia, a), (ib, b)| instant(&b.at).cmp(&instant(&a.at)).then_with(|| ib.cmp(ia)));
    let mut groups: Vec<(String, Vec<AuditEntry>)> = Vec::new();
    for (_, entry) in order {
        let key = if entry.correlation.is_empty() {
            entry.id.clone()
        } else {
            entry.correlation.clone()
        };
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(entry.clone()),
            None => groups.push((key, vec![entry.clone()])),
        }
    }
    groups
        .into_iter()
        .filter_map(|(correlation, entries)| {
            let newest = entries.first()?.clone();
            let result = entries
                .iter()
                .find(|e| e.result != AuditResult::Started)
                .map_or(AuditResult::Started, |e| e.result);
            Some(Attempt {
                correlation,
                result,
                unfinished: matches!(result, AuditResult::Started | AuditResult::Interrupted),
                latest_at: newest.at,
                environment: newest.environment,
                actor: newest.actor,
                replayable: false,
                entries,
            })
        })
        .collect()
}

fn searchable(entry: &AuditEntry) -> String {
    let mut parts: Vec<String> = vec![
        entry.id.clone(),
        entry.correlation.clone(),
        entry.actor.clone(),
        format!("@{}", entry.actor),
        entry.environment.clone(),
        entry.method.as_str().to_owned(),
        entry.action.as_str().to_owned(),
        entry.result.as_str().to_owned(),
    ];
    parts.extend(
        [
            &entry.from_version,
            &entry.to_version,
            &entry.comment,
            &entry.override_reason,
            &entry.sha,
            &entry.shipped,
            &entry.plan.as_ref().and_then(|p| p.command.clone()),
        ]
        .into_iter()
        .flatten()
        .cloned(),
    );
    if let Some(e) = &entry.error {
        parts.extend([e.code.clone(), e.message.clone(), e.hint.clone()]);
    }
    parts.extend(entry.gates.iter().map(|g| g.reason.clone()));
    parts.join("\n").to_lowercase()
}

impl AttemptFilter {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The result filter looks at the attempt's result; the others keep an attempt when any of
    /// its entries match, so an outcome is never shown without the `started` entry it belongs to.
    pub fn matches(&self, attempt: &Attempt) -> bool {
        let words: Vec<String> = self
            .search
            .as_deref()
            .unwrap_or_default()
            .to_lowercase()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        self.result.is_none_or(|r| r == attempt.result)
            && attempt.entries.iter().any(|e| {
                self.environment
                    .as_ref()
                    .is_none_or(|env| *env == e.environment)
                    && self
                        .person
                        .as_ref()
                        .is_none_or(|p| p.trim_start_matches('@').eq_ignore_ascii_case(&e.actor))
                    && (words.is_empty() || {
                        let text = searchable(e);
                        words.iter().all(|w| text.contains(w.as_str()))
                    })
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditProblem {
    /// 1-based line number in the journal file.
    pub line: u32,
    /// What is wrong with it, e.g. "checksum mismatch" or "unfinished line (the writer died)".
    pub reason: String,
    /// Where the bytes were copied before they were removed from the journal, if they were.
    pub set_aside: Option<String>,
}

/// What `sluice audit --verify` found: whether every line follows the one before it and the
/// journal still ends with the head anchored in the keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// Complete lines read.
    pub lines: u32,
    /// Lines of the chain whose link to the line before held.
    pub chained: u32,
    /// Lines written before the chain existed (format version 1), which carry no link.
    pub legacy: u32,
    pub head: ChainHead,
    /// The first breaks found, in file order.
    pub breaks: Vec<ChainBreak>,
    /// Breaks beyond those listed.
    pub more_breaks: u32,
}

impl ChainReport {
    /// Every line links to the one before and nothing contradicts the anchored head.
    pub fn holds(&self) -> bool {
        self.breaks.is_empty() && self.more_breaks == 0
    }
}

/// Whether the journal's last line could be checked against a head kept outside the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum ChainHead {
    /// Checked against the head kept in the keychain: `line` is the anchored line, when the
    /// journal still holds it (the breaks say how it does not).
    Anchored { line: Option<u32> },
    /// Nothing to check it against, for `reason`: lines removed from the end cannot be detected.
    NotAnchored { reason: String },
}

/// One place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChainBreak {
    /// 1-based line number in the journal file.
    pub line: u32,
    /// What is wrong there.
    pub reason: String,
    /// What to do about it.
    pub hint: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_through_serde_and_from_str() {
        for r in AuditResult::ALL {
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json, serde_json::json!(r.as_str()));
            assert_eq!(r.as_str().parse::<AuditResult>().unwrap(), r);
        }
        assert!("nope".parse::<AuditResult>().is_err());
        assert_eq!(
            serde_json::to_value(AuditMethod::GithubApproval).unwrap(),
            serde_json::json!("github-approval")
        );
    }

    #[test]
    fn outcome_keeps_the_attempt_and_its_correlation() {
        let started = AuditEntry {
            id: "a".into(),
            at: "2025-01-01T00:00:00Z".into(),
            correlation: "a".into(),
            actor: "octo".into(),
            environment: "production".into(),
            from_version: Some("v1".into()),
            to_version: Some("v2".into()),
            method: AuditMethod::Kubernetes,
            action: AuditAction::Promote,
            plan: None,
            gates: vec![],
            comment: Some("ship".into()),
            override_reason: None,
            result: AuditResult::Started,
            error: None,
            run_id: None,
            sha: None,
            shipped: None,
            revision: None,
            recorded_late: None,
        };
        let done = started.outcome("b", "2025-01-01T00:01:00Z", AuditResult::Succeeded, None);
        assert_eq!(done.correlation, "a");
        assert_eq!(done.id, "b");
        assert_eq!(done.comment.as_deref(), Some("ship"));
        assert_eq!(done.result, AuditResult::Succeeded);
    }

    fn entry(
        id: &str,
        correlation: &str,
        at: &str,
        actor: &str,
        result: AuditResult,
    ) -> AuditEntry {
        AuditEntry {
            id: id.into(),
            at: at.into(),
            correlation: correlation.into(),
            actor: actor.into(),
            environment: "production".into(),
            from_version: None,
            to_version: Some("bbbbbbb".into()),
            method: AuditMethod::GithubApproval,
            action: AuditAction::Approve,
            plan: None,
            gates: vec![],
            comment: None,
            override_reason: None,
            result,
            error: None,
            run_id: None,
            sha: None,
            shipped: None,
            revision: None,
            recorded_late: None,
        }
    }

    #[test]
    fn attempts_group_by_correlation_newest_first() {
        let journal = [
            entry(
                "a",
                "a",
                "2026-01-01T10:00:00Z",
                "Alice",
                AuditResult::Started,
            ),
            entry(
                "r",
                "r",
                "2026-01-01T10:01:00Z",
                "bob",
                AuditResult::Refused,
            ),
            entry(
                "a2",
                "a",
                "2026-01-01T10:05:00Z",
                "Alice",
                AuditResult::Succeeded,
            ),
            entry(
                "c",
                "c",
                "2026-01-01T10:06:00Z",
                "carol",
                AuditResult::Started,
            ),
        ];
        let all = attempts(&journal);
        let summary: Vec<(&str, AuditResult, bool, usize)> = all
            .iter()
            .map(|a| {
                (
                    a.correlation.as_str(),
                    a.result,
                    a.unfinished,
                    a.entries.len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("c", AuditResult::Started, true, 1),
                ("a", AuditResult::Succeeded, false, 2),
                ("r", AuditResult::Refused, false, 1),
            ]
        );
        assert_eq!(all[1].entries[0].id, "a2", "the outcome above its start");
        // Logins are case-insensitive, as in `sluice audit --person`.
        let alice = AttemptFilter {
            person: Some("@alice".into()),
            ..AttemptFilter::default()
        };
        let kept: Vec<&str> = all
            .iter()
            .filter(|a| alice.matches(a))
            .map(|a| a.correlation.as_str())
            .collect();
        assert_eq!(kept, ["a"]);
        let search = AttemptFilter {
            search: Some("BOB refused".into()),
            ..AttemptFilter::default()
        };
        assert_eq!(all.iter().filter(|a| search.matches(a)).count(), 1);
    }
}
