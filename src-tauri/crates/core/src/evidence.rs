//! The evidence of one attempt (a promotion, approval, rejection or rollback): everything an
//! auditor asks — the review as it was shown, who decided with what comment, the gate
//! conditions, the verification, the rollout timeline, the Helm revisions before and after —
//! gathered from the attempt's journal entries and its attempt record, sealed with a SHA-256 of
//! its canonical content, and rendered as one self-contained HTML page ([`html`]).
//!
//! Canonical content: the [`Evidence`] as JSON with every object's keys sorted and no
//! whitespace. Both files are rendered from the evidence alone, so verifying one renders it
//! again from the content it carries and compares byte for byte: a change anywhere made without
//! recomputing the hash is found. An integrity check, not a signature: the hash travels with the
//! content, so whoever rewrites both makes a file that verifies.

pub mod html;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::audit::{AuditAction, AuditEntry, AuditGate, AuditMethod, AuditPlan, AuditResult};
use crate::error::UiError;
use crate::review::Review;

/// The format of the evidence files; verification refuses others.
pub const FORMAT: &str = "sluice-evidence/1";

/// One attempt, as the journal and its record tell it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// [`FORMAT`].
    pub format: String,
    /// The attempt's id (its `started` entry's id), as `sluice audit --json` shows it.
    pub correlation: String,
    /// When this evidence was exported (RFC 3339).
    pub exported_at: String,
    pub environment: String,
    pub method: AuditMethod,
    pub action: AuditAction,
    /// Who acted (a GitHub login, or `unknown`).
    pub actor: String,
    /// The outcome's result, or `started` when none was recorded.
    pub result: AuditResult,
    /// When the attempt was journaled first and last (RFC 3339).
    pub started_at: String,
    pub ended_at: Option<String>,
    pub from_version: Option<String>,
    pub to_version: Option<String>,
    /// The full commit asked for.
    pub sha: Option<String>,
    /// The deploy run reviewed (github-approval).
    #[ts(type = "number | null")]
    pub run_id: Option<u64>,
    /// What the environment ran when the attempt ended, as the cluster showed it.
    pub shipped: Option<String>,
    /// Why it failed or was refused.
    pub error: Option<UiError>,
    /// How the outcome was determined when it was recorded after the fact.
    pub recorded_late: Option<String>,
    /// What would change, in brief, as journaled before anything was done.
    pub plan: Option<AuditPlan>,
    /// Every gate condition as journaled when the person decided.
    pub gates: Vec<AuditGate>,
    /// The people's decisions on this attempt, with their comments, oldest first.
    pub decisions: Vec<Decided>,
    /// The review exactly as composed when the person confirmed; `None` when the attempt
    /// record does not hold it (see `missing`).
    pub review: Option<Review>,
    /// What verification found (`verify` in the pipeline); `None` when it did not run.
    pub verification: Option<VerificationResult>,
    /// The `helm` method (and rollbacks of helm releases): the release's revisions.
    pub helm: Option<HelmRevisions>,
    /// Every progress line of the rollout, with when it was said, oldest first.
    pub timeline: Vec<TimelineLine>,
    /// Progress lines the record did not keep (it keeps at most a bounded number).
    pub timeline_left_out: u32,
    /// The attempt's journal entries as written, oldest first.
    pub entries: Vec<AuditEntry>,
    /// What this evidence lacks, and why (no record, a damaged record, an unfinished attempt).
    pub missing: Vec<String>,
    /// Whether the journal the entries were read from was intact when this was exported;
    /// `None` when it was not checked.
    #[serde(default)]
    pub journal: Option<JournalCheck>,
}

/// The journal's chain as checked at export (`sluice audit --verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JournalCheck {
    /// Every line followed the one before, and nothing contradicted the anchored head.
    pub holds: bool,
    pub lines: u32,
    /// Breaks found (listed by `sluice audit --verify`).
    pub breaks: u32,
    /// Why the head could not be checked against the keychain, when it could not: lines cut off
    /// the journal's end cannot be detected then.
    pub not_anchored: Option<String>,
}

impl Evidence {
    /// The evidence with the check of the journal it was read from; a broken chain is also
    /// said among what it lacks.
    pub fn checked(mut self, report: &crate::audit::ChainReport) -> Self {
        let breaks = u32::try_from(report.breaks.len())
            .unwrap_or(u32::MAX)
            .saturating_add(report.more_breaks);
        if !report.holds() {
            self.missing.push(format!(
                "The journal's chain did not hold when this was exported ({breaks} breaks): its entries may have been changed; see `sluice audit --verify`."
            ));
        }
        self.journal = Some(JournalCheck {
            holds: report.holds(),
            lines: report.lines,
            breaks,
            not_anchored: match &report.head {
                crate::audit::ChainHead::NotAnchored { reason } => Some(reason.clone()),
                crate::audit::ChainHead::Anchored { .. } => None,
            },
        });
        self
    }
}

/// A person's decision on the attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Decided {
    pub actor: String,
    pub action: AuditAction,
    pub at: String,
    pub comment: Option<String>,
    pub override_reason: Option<String>,
}

/// One line of the rollout timeline, with when it was said or seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TimelineLine {
    pub at: String,
    pub line: String,
    #[serde(default)]
    pub source: TimelineSource,
}

/// Who said a timeline line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum TimelineSource {
    /// A progress line Sluice showed the person (a tool's output, verification).
    #[default]
    Sluice,
    /// The environment as the live view showed it, each time it changed.
    Cluster,
}

impl TimelineSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sluice => "Sluice",
            Self::Cluster => "cluster",
        }
    }
}

/// The environment as one timeline line: what it runs, its health, each workload's replicas
/// and the rollout under way.
pub fn cluster_line(env: &crate::snapshot::EnvironmentState) -> String {
    use crate::snapshot::Health;
    let health = match env.health {
        Health::Healthy => "healthy",
        Health::Progressing => "progressing",
        Health::Degraded => "degraded",
        Health::Unknown => "health unknown",
    };
    let mut parts = vec![format!(
        "runs {}, {health}",
        env.version
            .as_ref()
            .map_or("an unknown version", |v| v.label.as_str())
    )];
    for w in env.workloads.iter() {
        let restarts = if w.restarts > 0 {
            format!(", {} restarts", w.restarts)
        } else {
            String::new()
        };
        parts.push(format!(
            "{} {}/{} updated, {}/{} ready{restarts}",
            w.name, w.updated, w.desired, w.ready, w.desired
        ));
    }
    if let Some(r) = &env.rollout {
        parts.push(format!(
            "rolling out {} → {} ({:.0} %){}",
            r.from.as_deref().unwrap_or("?"),
            r.to.as_deref().unwrap_or("?"),
            (r.progress * 100.0).clamp(0.0, 100.0),
            if r.stalled { ", stalled" } else { "" }
        ));
    }
    parts.join("; ")
}

/// How verification ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VerificationResult {
    /// When it ended.
    pub at: String,
    /// How long the environment had to hold.
    pub for_seconds: u32,
    pub held: bool,
    /// Why it did not hold.
    pub reason: Option<String>,
}

/// A Helm release's revision before the attempt and the one it left deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HelmRevisions {
    pub release: Option<String>,
    pub before: Option<u32>,
    pub after: Option<u32>,
}

/// One line of an attempt record (JSON Lines, kept beside the journal): the record is append
/// only, so a line is written once and a damaged one loses only itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "event")]
pub enum RecordEvent {
    /// The attempt started: what was shown, and the Helm revision then.
    Started {
        at: String,
        correlation: String,
        environment: String,
        review: Option<Box<Review>>,
        helm_release: Option<String>,
        helm_before: Option<u32>,
    },
    /// A progress line, or the environment as seen.
    Line {
        at: String,
        line: String,
        #[serde(default)]
        source: TimelineSource,
    },
    Verified(VerificationResult),
    /// The attempt's console stopped recording it; lines past the record's bound were counted.
    Ended {
        at: String,
        lines_left_out: u32,
    },
}

/// An attempt record as read: its events folded, and what could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttemptRecord {
    pub review: Option<Review>,
    pub helm_release: Option<String>,
    pub helm_before: Option<u32>,
    pub lines: Vec<TimelineLine>,
    pub verification: Option<VerificationResult>,
    pub lines_left_out: u32,
    /// An `ended` event was read.
    pub ended: bool,
    /// Lines of the record that could not be read, in words.
    pub problems: Vec<String>,
    /// A `started` event was read.
    pub started: bool,
}

impl AttemptRecord {
    /// Folds the record's text (JSON Lines); a line that does not parse is a problem, not a
    /// failure, and the last unfinished line (a writer that stopped mid-line) too.
    pub fn parse(text: &str) -> Self {
        let mut record = Self::default();
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let n = i + 1;
            let Some(body) = line.strip_suffix('\n') else {
                record
                    .problems
                    .push(format!("line {n} of the attempt record is unfinished"));
                continue;
            };
            if body.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<RecordEvent>(body) {
                Ok(event) => record.apply(event),
                Err(e) => record.problems.push(format!(
                    "line {n} of the attempt record cannot be read: {e}"
                )),
            }
        }
        record
    }

    fn apply(&mut self, event: RecordEvent) {
        match event {
            RecordEvent::Started {
                review,
                helm_release,
                helm_before,
                ..
            } => {
                self.started = true;
                self.review = review.map(|r| *r);
                self.helm_release = helm_release;
                self.helm_before = helm_before;
            }
            RecordEvent::Line { at, line, source } => {
                self.lines.push(TimelineLine { at, line, source })
            }
            RecordEvent::Verified(v) => self.verification = Some(v),
            RecordEvent::Ended { lines_left_out, .. } => {
                self.ended = true;
                self.lines_left_out = lines_left_out;
            }
        }
    }
}

/// The evidence of the attempt whose entries are `entries` (in journal order), from its record
/// (`None` when there is none), exported at `exported_at`. `None` when `entries` is empty.
pub fn build(
    entries: &[AuditEntry],
    record: Option<&AttemptRecord>,
    exported_at: &str,
) -> Option<Evidence> {
    let first = entries.first()?;
    let started = entries
        .iter()
        .find(|e| e.result == AuditResult::Started)
        .unwrap_or(first);
    let outcome = entries.iter().find(|e| e.result != AuditResult::Started);
    let last = outcome.unwrap_or(started);
    let mut missing = Vec::new();
    if outcome.is_none() {
        missing.push(
            "The journal holds no outcome for this attempt: it was still running, or its console stopped before recording one."
                .to_owned(),
        );
    }
    match record {
        None if started.result == AuditResult::Started => missing.push(
            "There is no attempt record: the review as shown, the rollout timeline and the verification were not kept (the attempt predates attempt records, or its record was removed)."
                .to_owned(),
        ),
        None => missing.push(
            "There is no attempt record: the attempt was refused before it started, so nothing ran."
                .to_owned(),
        ),
        Some(r) => {
            if !r.started {
                missing.push(
                    "The attempt record lacks its first line (missing or damaged): the review as shown and the Helm revision before are not known."
                        .to_owned(),
                );
            }
            if !r.ended {
                missing.push(
                    "The attempt record was not closed: its console stopped while recording, so the timeline may end early."
                        .to_owned(),
                );
            }
            missing.extend(r.problems.iter().cloned());
        }
    }
    let helm = match (first.method, record) {
        (AuditMethod::Helm | AuditMethod::Rollback, Some(r))
            if r.helm_before.is_some() || r.helm_release.is_some() =>
        {
            Some(HelmRevisions {
                release: r.helm_release.clone(),
                before: r.helm_before,
                after: outcome.and_then(|o| o.revision),
            })
        }
        (AuditMethod::Helm, _) => Some(HelmRevisions {
            release: None,
            before: None,
            after: outcome.and_then(|o| o.revision),
        }),
        _ => None,
    };
    Some(Evidence {
        format: FORMAT.to_owned(),
        correlation: if started.correlation.is_empty() {
            started.id.clone()
        } else {
            started.correlation.clone()
        },
        exported_at: exported_at.to_owned(),
        environment: started.environment.clone(),
        method: started.method,
        action: started.action,
        actor: started.actor.clone(),
        result: outcome.map_or(AuditResult::Started, |o| o.result),
        started_at: started.at.clone(),
        ended_at: outcome.map(|o| o.at.clone()),
        from_version: started.from_version.clone(),
        to_version: started.to_version.clone(),
        sha: started.sha.clone(),
        run_id: started.run_id,
        shipped: last.shipped.clone(),
        error: last.error.clone(),
        recorded_late: last.recorded_late.clone(),
        plan: started.plan.clone(),
        gates: started.gates.clone(),
        decisions: vec![Decided {
            actor: started.actor.clone(),
            action: started.action,
            at: started.at.clone(),
            comment: started.comment.clone(),
            override_reason: started.override_reason.clone(),
        }],
        review: record.and_then(|r| r.review.clone()),
        verification: record.and_then(|r| r.verification.clone()),
        helm,
        timeline: record.map(|r| r.lines.clone()).unwrap_or_default(),
        timeline_left_out: record.map_or(0, |r| r.lines_left_out),
        entries: entries.to_vec(),
        missing,
        journal: None,
    })
}

/// `value` as canonical JSON: object keys sorted (by their UTF-8 bytes), no whitespace.
pub fn canonical(value: &serde_json::Value) -> String {
    use serde_json::Value;
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(&map[key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

/// The evidence's canonical content: what its hash is taken over.
pub fn content(evidence: &Evidence) -> String {
    canonical(&serde_json::to_value(evidence).unwrap_or(serde_json::Value::Null))
}

/// The SHA-256 of `text`'s UTF-8 bytes, as lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The evidence sealed: its canonical content and that content's hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    pub evidence: Evidence,
    pub content: String,
    pub sha256: String,
}

pub fn seal(evidence: Evidence) -> Sealed {
    let content = content(&evidence);
    Sealed {
        sha256: sha256_hex(&content),
        content,
        evidence,
    }
}

/// The JSON file: `{"format", "sha256", "evidence"}`, the evidence as its canonical content,
/// so that the hash is that of the bytes between `"evidence":` and the closing brace.
pub fn to_json_file(sealed: &Sealed) -> String {
    format!(
        "{{\"format\":\"{FORMAT}\",\"sha256\":\"{}\",\"evidence\":{}}}\n",
        sealed.sha256, sealed.content
    )
}

/// Why a file is not verified evidence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("this is not a Sluice evidence file ({0})")]
    NotEvidence(String),
    #[error(
        "the content's SHA-256 is {actual}, but the file says {stated}: the content was changed after it was exported"
    )]
    HashMismatch { stated: String, actual: String },
    #[error(
        "the content matches its hash, but the rest of the file was changed after it was exported (it is not what that content renders)"
    )]
    Altered,
}

/// What a verified file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub evidence: Evidence,
    pub sha256: String,
}

/// Checks an evidence file (JSON or HTML, told apart by its first bytes): the hash it states is
/// the hash of the content it carries, and the whole file is exactly what that content renders.
pub fn verify(file: &str) -> Result<Verified, VerifyError> {
    let trimmed = file.trim_start();
    let (stated, content_text) = if trimmed.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(file)
            .map_err(|e| VerifyError::NotEvidence(format!("not JSON: {e}")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(VerifyError::NotEvidence(format!(
                "its `format` is not {FORMAT}"
            )));
        }
        let stated = value
            .get("sha256")
            .and_then(|s| s.as_str())
            .ok_or_else(|| VerifyError::NotEvidence("it states no sha256".to_owned()))?
            .to_owned();
        let evidence = value
            .get("evidence")
            .ok_or_else(|| VerifyError::NotEvidence("it holds no evidence".to_owned()))?;
        (stated, canonical(evidence))
    } else {
        let (stated, content) = html::embedded(file).ok_or_else(|| {
            VerifyError::NotEvidence("neither JSON nor a Sluice evidence page".to_owned())
        })?;
        (stated, content)
    };
    let actual = sha256_hex(&content_text);
    if actual != stated {
        return Err(VerifyError::HashMismatch { stated, actual });
    }
    let evidence: Evidence = serde_json::from_str(&content_text)
        .map_err(|e| VerifyError::NotEvidence(format!("its content does not read: {e}")))?;
    let sealed = seal(evidence);
    let again = if trimmed.starts_with('{') {
        to_json_file(&sealed)
    } else {
        html::render(&sealed)
    };
    if sealed.sha256 != actual || again != file {
        return Err(VerifyError::Altered);
    }
    Ok(Verified {
        evidence: sealed.evidence,
        sha256: actual,
    })
}

/// Where an export wrote the evidence, for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceExport {
    pub correlation: String,
    /// The self-contained page.
    pub html: String,
    /// The same evidence as JSON.
    pub json: String,
    /// The SHA-256 of the canonical content, as both files state it.
    pub sha256: String,
}

#[cfg(test)]
mod tests;
