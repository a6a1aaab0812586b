//! One environment's changes, merged from what each source knows: GitHub's deployments (what was
//! sent where, and whether it succeeded), Helm's revisions (including failed ones and rollbacks
//! GitHub never heard of) and the journal (promotions and rollbacks made here, and their
//! verification). The same change seen by two sources is one record.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::{ChangeKind, ChangeOutcome, DeploymentRecord};
use crate::audit::{AuditAction, AuditEntry, AuditResult};
use crate::commit::{label, same_commit};
use crate::history::version_of;
use crate::inputs::{CommitInfo, DeploymentInfo};
use crate::snapshot::HelmRevision;

/// Two sources' records of one version in one environment this close in time are one change:
/// GitHub's status is written once the rollout ended, Helm's revision when it started.
pub const SAME_CHANGE_WITHIN_MINUTES: i64 = 60;

/// What one environment's changes are made from.
pub struct RecordInputs<'a> {
    pub environment: &'a str,
    /// GitHub's deployments to the environment, any order.
    pub deployments: &'a [DeploymentInfo],
    pub helm_history: &'a [HelmRevision],
    /// The whole journal.
    pub journal: &'a [AuditEntry],
    /// The commits GitHub described, by full SHA.
    pub commits: &'a BTreeMap<String, CommitInfo>,
}

/// The environment's changes, oldest first. A change is a rollback when a source says so (a
/// journaled rollback, Helm's `Rollback to N`) or when it brings back a version the environment
/// ran before another one replaced it. Shipping again the version that runs is no change.
pub fn records(inputs: &RecordInputs<'_>) -> Vec<DeploymentRecord> {
    let env = inputs.environment;
    let mut out: Vec<DeploymentRecord> = Vec::new();
    for d in inputs.deployments.iter().filter(|d| d.environment == env) {
        let outcome = match d.state.as_str() {
            // GitHub marks earlier successful deployments `inactive` when a newer one succeeds.
            "success" | "inactive" => ChangeOutcome::Succeeded,
            "failure" | "error" => ChangeOutcome::Failed,
            _ => continue,
        };
        let Ok(at) = d.updated_at.parse::<Timestamp>() else {
            continue;
        };
        out.push(record(env, Some(&d.sha), at, ChangeKind::Release, outcome));
    }
    for r in inputs.helm_history {
        let outcome = match r.status.as_str() {
            "deployed" | "superseded" => ChangeOutcome::Succeeded,
            "failed" => ChangeOutcome::Failed,
            _ => continue,
        };
        let Some(at) = r.deployed_at.as_deref().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let version = version_of(&r.images).or_else(|| r.app_version.as_deref().map(label));
        let kind = if r.description.starts_with("Rollback") {
            ChangeKind::Rollback
        } else {
            ChangeKind::Release
        };
        merge(&mut out, record(env, version.as_deref(), at, kind, outcome));
    }
    for e in inputs.journal.iter().filter(|e| e.environment == env) {
        let outcome = match e.result {
            AuditResult::Succeeded => ChangeOutcome::Succeeded,
            AuditResult::Failed => ChangeOutcome::Failed,
            _ => continue,
        };
        let kind = match e.action {
            AuditAction::Rollback => ChangeKind::Rollback,
            AuditAction::Promote | AuditAction::Approve | AuditAction::Override => {
                ChangeKind::Release
            }
            AuditAction::Reject => continue,
        };
        let Ok(at) = e.at.parse::<Timestamp>() else {
            continue;
        };
        let version = e.sha.as_deref().or(e.to_version.as_deref());
        merge(&mut out, record(env, version, at, kind, outcome));
    }
    out.sort_by_key(|r| r.deployed_at);
    drop_redeploys(&mut out);
    mark_returns(&mut out);
    for r in &mut out {
        let commit = r.sha.as_deref().and_then(|sha| {
            inputs
                .commits
                .iter()
                .find(|(full, _)| same_commit(full, sha))
        });
        if let Some((full, c)) = commit {
            r.sha = Some(full.clone());
            r.title = Some(c.title.clone());
            r.committed_at = c.date.as_deref().and_then(|t| t.parse().ok());
        }
    }
    out
}

fn record(
    environment: &str,
    version: Option<&str>,
    at: Timestamp,
    kind: ChangeKind,
    outcome: ChangeOutcome,
) -> DeploymentRecord {
    DeploymentRecord {
        environment: environment.to_owned(),
        version: version.map(label),
        sha: version
            .filter(|v| crate::commit::as_sha(v).is_some())
            .map(str::to_owned),
        title: None,
        committed_at: None,
        deployed_at: at,
        kind,
        outcome,
    }
}

fn same_version(a: &DeploymentRecord, b: &DeploymentRecord) -> bool {
    match (&a.sha, &b.sha, &a.version, &b.version) {
        (Some(x), Some(y), _, _) => same_commit(x, y),
        (_, _, Some(x), Some(y)) => x == y || same_commit(x, y),
        _ => false,
    }
}

/// Adds `new`, or folds it into the nearest record of the same version: a failure or a rollback
/// any source saw holds.
fn merge(out: &mut Vec<DeploymentRecord>, new: DeploymentRecord) {
    let within = SignedDuration::from_mins(SAME_CHANGE_WITHIN_MINUTES);
    let nearest = out
        .iter_mut()
        .filter(|r| same_version(r, &new))
        .filter(|r| r.deployed_at.duration_since(new.deployed_at).abs() <= within)
        .min_by_key(|r| r.deployed_at.duration_since(new.deployed_at).abs());
    match nearest {
        Some(r) => {
            if new.outcome == ChangeOutcome::Failed {
                r.outcome = ChangeOutcome::Failed;
            }
            if new.kind == ChangeKind::Rollback {
                r.kind = ChangeKind::Rollback;
            }
            if r.sha.is_none() {
                r.sha = new.sha;
            }
        }
        None => out.push(new),
    }
}

/// Leaves out succeeded changes that shipped the version already running (a re-run, or a
/// source that saw the change late): nothing changed.
fn drop_redeploys(out: &mut Vec<DeploymentRecord>) {
    let mut running: Option<DeploymentRecord> = None;
    out.retain(|r| {
        if r.outcome != ChangeOutcome::Succeeded {
            return true;
        }
        let same = running.as_ref().is_some_and(|run| same_version(run, r));
        running = Some(r.clone());
        !same
    });
}

/// Marks as rollbacks the changes (oldest first) that bring back a version the environment ran
/// before another one replaced it.
fn mark_returns(out: &mut [DeploymentRecord]) {
    for i in 1..out.len() {
        if out[i].kind == ChangeKind::Rollback {
            continue;
        }
        let replaced = |j: usize| {
            out[j].outcome == ChangeOutcome::Succeeded
                && same_version(&out[j], &out[i])
                && out[j + 1..i].iter().any(|later| {
                    later.outcome == ChangeOutcome::Succeeded && !same_version(later, &out[i])
                })
        };
        if (0..i).any(replaced) {
            out[i].kind = ChangeKind::Rollback;
        }
    }
}
