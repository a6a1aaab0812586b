//! An environment's history: what it ran, revision by revision, merged from what the cluster
//! keeps (the Helm release's revisions, or the Deployments' ReplicaSets), what GitHub recorded
//! (deployments) and what this machine journaled (who, by which method, how long it took); and
//! what rolling back to one of those revisions would change. Pure: the console gathers the
//! inputs, so the window and `sluice history` show the same rows.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{AuditAction, AuditEntry, AuditResult};
use crate::commit::{as_sha, label, same_commit};
use crate::image::tag_of;
use crate::inputs::DeploymentInfo;
use crate::snapshot::{CommitSummary, HelmRevision, Workload};

/// How many GitHub deployments of an environment its history reads.
pub const GITHUB_DEPLOYMENTS: usize = 20;

/// What an environment's history is made from.
pub struct HistoryInputs<'a> {
    pub environment: &'a str,
    /// The environment is promoted and rolled back by Helm: the release's revisions are the
    /// history's rows. Otherwise its ReplicaSets are: Sluice (or a workflow) changes the
    /// Deployments, and Helm's records no longer say what runs.
    pub helm_method: bool,
    /// Newest first.
    pub helm_history: &'a [HelmRevision],
    /// The environment's Deployments, with their ReplicaSets.
    pub workloads: &'a [Arc<Workload>],
    /// The whole journal, oldest first.
    pub journal: &'a [AuditEntry],
    /// GitHub's deployments to the environment, newest first.
    pub deployments: &'a [DeploymentInfo],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub environment: String,
    /// Newest first.
    pub rows: Vec<HistoryRow>,
    /// What could not be read (GitHub, the journal); the rows hold what could.
    pub problems: Vec<String>,
}

/// One revision the environment ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRow {
    /// What `sluice rollback --to` takes: the Helm revision, or the newest Deployment revision
    /// that ran this version.
    pub revision: u32,
    /// The version label (short commit or tag).
    pub version: Option<String>,
    /// The full commit, when GitHub or the journal knew it.
    pub sha: Option<String>,
    /// Sorted.
    pub images: Vec<String>,
    /// RFC 3339: when it was deployed.
    pub at: Option<String>,
    /// Who approved or carried it out.
    pub by: Option<String>,
    /// How it got there, in words (`helm, by Sluice`, `GitHub deployment`, `Helm: Upgrade complete`).
    pub how: String,
    /// The cluster's word: Helm's status (`deployed`, `superseded`, `failed`, …), or `running`
    /// / `replaced` for ReplicaSets.
    pub status: String,
    /// The outcome of the journaled attempt that made it, when this machine made it.
    pub result: Option<AuditResult>,
    /// How long that attempt took, from its start to its outcome.
    #[ts(type = "number | null")]
    pub duration_secs: Option<u64>,
    pub current: bool,
    /// Why rolling back to it is not offered; `None` when it is.
    pub rollback_refusal: Option<String>,
}

/// The version label of a set of images: the first tag, read as a commit when it is one.
pub fn version_of(images: &[String]) -> Option<String> {
    images.iter().find_map(|i| tag_of(i)).map(label)
}

/// The environment's history, newest first.
pub fn history(inputs: &HistoryInputs<'_>) -> Vec<HistoryRow> {
    let from_helm = inputs.helm_method;
    let mut rows = if from_helm {
        helm_rows(inputs.helm_history)
    } else {
        replica_set_rows(inputs.workloads)
    };
    if !from_helm {
        // Rolled back by restoring ReplicaSets: only versions every Deployment still keeps.
        for row in rows.iter_mut().filter(|r| r.rollback_refusal.is_none()) {
            row.rollback_refusal = row
                .version
                .as_deref()
                .and_then(|v| not_kept(inputs.workloads, v));
        }
    }
    let attempts = attempts(inputs.journal, inputs.environment);
    // Each attempt made one revision: the newest row it matches (rows are newest first).
    let mut used = vec![false; attempts.len()];
    for row in &mut rows {
        let journaled = attempts.iter().enumerate().rev().find(|(i, a)| {
            let made_it = match a.outcome.revision {
                Some(revision) => from_helm && revision == row.revision,
                None => {
                    a.outcome.result == AuditResult::Succeeded
                        && row.version.is_some()
                        && a.outcome.shipped == row.version
                }
            };
            !used[*i] && made_it
        });
        if let Some((i, a)) = journaled {
            used[i] = true;
            row.by = Some(a.outcome.actor.clone()).filter(|by| by != "unknown");
            row.how = format!("{}, by Sluice", a.outcome.method.as_str());
            row.result = Some(a.outcome.result);
            row.duration_secs = a.duration_secs;
            row.at = row.at.take().or_else(|| Some(a.outcome.at.clone()));
            let version = row.version.as_deref();
            row.sha = a
                .outcome
                .sha
                .clone()
                .filter(|s| version.is_some_and(|v| same_commit(v, s)));
        }
        let version_sha = row.version.as_deref().and_then(as_sha);
        let deployed = version_sha.and_then(|v| {
            inputs
                .deployments
                .iter()
                .find(|d| d.environment == inputs.environment && same_commit(v, &d.sha))
        });
        if let Some(d) = deployed {
            row.sha = Some(d.sha.clone());
            if row.at.is_none() {
                row.at = Some(d.updated_at.clone());
            }
            if row.by.is_none() {
                row.by = d
                    .approved_by
                    .clone()
                    .or_else(|| Some(d.creator.clone()).filter(|c| !c.is_empty()));
            }
            if journaled.is_none() {
                row.how = format!("GitHub deployment ({})", d.state);
            }
        }
    }
    rows
}

/// Why `version` cannot be restored from ReplicaSets: the Deployments that no longer keep one.
fn not_kept(workloads: &[Arc<Workload>], version: &str) -> Option<String> {
    let missing: Vec<&str> = workloads
        .iter()
        .filter(|w| {
            !w.replica_sets
                .iter()
                .any(|rs| version_of(&rs.images).as_deref() == Some(version))
        })
        .map(|w| w.name.as_str())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "Kubernetes no longer keeps it for {} (revision history limit)",
            missing.join(", ")
        )
    })
}

fn helm_rows(revisions: &[HelmRevision]) -> Vec<HistoryRow> {
    let current = revisions
        .iter()
        .find(|r| r.status == "deployed")
        .map(|r| r.revision);
    let mut rows: Vec<HistoryRow> = revisions
        .iter()
        .map(|r| {
            let is_current = Some(r.revision) == current;
            HistoryRow {
                revision: r.revision,
                version: version_of(&r.images).or_else(|| r.app_version.as_deref().map(label)),
                sha: None,
                images: r.images.clone(),
                at: r.deployed_at.clone(),
                by: None,
                how: format!("Helm: {}", r.description),
                status: r.status.clone(),
                result: None,
                duration_secs: None,
                current: is_current,
                rollback_refusal: helm_refusal(r, is_current),
            }
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.revision));
    rows
}

fn helm_refusal(r: &HelmRevision, current: bool) -> Option<String> {
    if current {
        Some("it is what the environment runs now".to_owned())
    } else if !matches!(r.status.as_str(), "superseded" | "deployed") {
        Some(format!(
            "Helm recorded it as {}: it never ran whole",
            r.status
        ))
    } else if r.images.is_empty() {
        Some("its manifest names no images, so what it would restore is not known".to_owned())
    } else {
        None
    }
}

/// One version across the environment's Deployments: the ReplicaSets that ran it.
#[derive(Default)]
struct Group {
    /// The newest revision any Deployment ran it at.
    revision: u32,
    images: BTreeSet<String>,
}

/// The ReplicaSets of every Deployment, grouped by the version they ran: a promotion changes
/// every Deployment of the release to one version, and Kubernetes numbers revisions per
/// Deployment, so the version is what lines them up.
fn replica_set_rows(workloads: &[Arc<Workload>]) -> Vec<HistoryRow> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for w in workloads {
        for rs in &w.replica_sets {
            let (Some(version), Some(revision)) = (
                version_of(&rs.images),
                rs.revision.as_deref().and_then(|r| r.parse::<u32>().ok()),
            ) else {
                continue;
            };
            let g = groups.entry(version).or_default();
            g.revision = g.revision.max(revision);
            g.images.extend(rs.images.iter().cloned());
        }
    }
    let current_of = |w: &Workload| {
        w.replica_sets
            .iter()
            .find(|rs| rs.revision.is_some() && rs.revision == w.revision)
            .and_then(|rs| version_of(&rs.images))
    };
    let mut rows: Vec<HistoryRow> = groups
        .into_iter()
        .map(|(version, g)| {
            let current = !workloads.is_empty()
                && workloads
                    .iter()
                    .all(|w| current_of(w).as_deref() == Some(&version));
            let rollback_refusal =
                current.then(|| "it is what the environment runs now".to_owned());
            HistoryRow {
                revision: g.revision,
                version: Some(version),
                sha: None,
                images: g.images.into_iter().collect(),
                at: None,
                by: None,
                how: "kubernetes".to_owned(),
                status: if current { "running" } else { "replaced" }.to_owned(),
                result: None,
                duration_secs: None,
                current,
                rollback_refusal,
            }
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.revision));
    rows
}

/// For a rollback of a `kubernetes` environment to `row`: each Deployment and the ReplicaSet
/// whose template it gets back.
pub fn replica_sets_to_restore(
    workloads: &[Arc<Workload>],
    version: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for w in workloads {
        let best = w
            .replica_sets
            .iter()
            .filter(|rs| version_of(&rs.images).as_deref() == Some(version))
            .filter_map(|rs| Some((rs.revision.as_deref()?.parse::<u32>().ok()?, &rs.name)))
            .max();
        if let Some((_, name)) = best {
            out.push((w.name.clone(), name.clone()));
        }
    }
    out
}

/// A journaled attempt that changed something: its outcome, and how long it took.
struct Attempt<'a> {
    outcome: &'a AuditEntry,
    duration_secs: Option<u64>,
}

fn attempts<'a>(journal: &'a [AuditEntry], environment: &str) -> Vec<Attempt<'a>> {
    let started: BTreeMap<&str, &AuditEntry> = journal
        .iter()
        .filter(|e| e.result == AuditResult::Started)
        .map(|e| (e.correlation.as_str(), e))
        .collect();
    journal
        .iter()
        .filter(|e| e.environment == environment)
        .filter(|e| matches!(e.result, AuditResult::Succeeded | AuditResult::Failed))
        .filter(|e| e.action != AuditAction::Reject)
        .map(|outcome| Attempt {
            outcome,
            duration_secs: started
                .get(outcome.correlation.as_str())
                .and_then(|s| seconds_between(&s.at, &outcome.at)),
        })
        .collect()
}

fn seconds_between(from: &str, to: &str) -> Option<u64> {
    let from: jiff::Timestamp = from.parse().ok()?;
    let to: jiff::Timestamp = to.parse().ok()?;
    u64::try_from(to.duration_since(from).as_secs()).ok()
}

/// What rolling an environment back to one of its revisions changes, shown before it is
/// confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RollbackPlan {
    pub environment: String,
    pub revision: u32,
    /// The version running now, and the one the rollback restores.
    pub from_version: Option<String>,
    pub to_version: Option<String>,
    /// Images running now that the rollback replaces, sorted.
    pub images_removed: Vec<String>,
    /// Images the rollback brings back, sorted.
    pub images_restored: Vec<String>,
    /// Commits in what runs now that the restored version does not have, oldest first.
    pub commits_going_away: Vec<CommitSummary>,
    /// Why the commits going away are not known (no GitHub, versions not commits), if they are not.
    pub commits_unknown: Option<String>,
    /// Why it cannot be rolled back to; `None` when it can.
    pub refusal: Option<String>,
}

/// The plan for rolling back to `revision`, from the history rows.
pub fn rollback_plan(
    environment: &str,
    rows: &[HistoryRow],
    revision: u32,
    commits_going_away: Result<Vec<CommitSummary>, String>,
) -> RollbackPlan {
    let current = rows.iter().find(|r| r.current);
    let target = rows.iter().find(|r| r.revision == revision);
    let set = |r: Option<&HistoryRow>| -> BTreeSet<String> {
        r.map(|r| r.images.iter().cloned().collect())
            .unwrap_or_default()
    };
    let (now, then) = (set(current), set(target));
    let refusal = match target {
        None => Some(format!(
            "{environment} has no revision {revision}; its revisions are {}",
            rows.iter()
                .map(|r| r.revision.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(t) => t.rollback_refusal.clone(),
    };
    let (commits, unknown) = match commits_going_away {
        Ok(c) => (c, None),
        Err(why) => (Vec::new(), Some(why)),
    };
    RollbackPlan {
        environment: environment.to_owned(),
        revision,
        from_version: current.and_then(|r| r.version.clone()),
        to_version: target.and_then(|r| r.version.clone()),
        images_removed: now.difference(&then).cloned().collect(),
        images_restored: then.difference(&now).cloned().collect(),
        commits_going_away: commits,
        commits_unknown: unknown,
        refusal,
    }
}

#[cfg(test)]
mod tests;
