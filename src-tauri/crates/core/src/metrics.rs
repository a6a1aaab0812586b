//! DORA metrics per environment over a period: deployment frequency, lead time for changes,
//! change failure rate and time to restore, with a series for charts. Pure: the console gathers
//! the deployments ([`records`] merges GitHub's, Helm's and the journal's into one list), so the
//! window and `sluice metrics` show the same figures.
//!
//! The definitions, for one environment and the period `[since, until)`:
//! - A **deployment** is a release: a version sent to the environment that is not a rollback,
//!   whatever its outcome. A **rollback** restores a version the environment ran before; it is
//!   counted apart, never as a deployment.
//! - **Deployment frequency**: the deployments that ended (succeeded or failed) in the period,
//!   and that count per 7 days of the period.
//! - **Lead time for changes**: for each deployment that succeeded and whose commit time is
//!   known, from when the commit landed on its branch (GitHub's committer date) to when the
//!   deployment finished; the median (the middle value, or the mean of the two middle ones) and
//!   the 90th percentile (nearest rank: the smallest value that at least 90 % of them are at
//!   most).
//! - **Change failure rate**: failed changes ÷ deployments. A deployment is a failed change when
//!   (a) it failed (its rollout or its verification failed), (b) it was rolled back: the next
//!   change to the environment is a rollback, or (c) it needed a fix: the next change is a
//!   deployment, within [`FIX_WINDOW_HOURS`], of a commit whose title says it fixes or reverts
//!   something ([`is_fix_title`]). None with no deployments.
//! - **Time to restore**: for each failed change, from its deployment to the next change of the
//!   environment that succeeded and is not itself a failed change (a rollback, a fix, the next
//!   release); the median and 90th percentile as above. A failed change not yet followed by
//!   one is *unrestored*, and counted apart.

pub mod records;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::UiError;
use jiff::{SignedDuration, Timestamp};

/// A deployment followed this soon by a fix counts as having needed it.
pub const FIX_WINDOW_HOURS: i64 = 24;
/// Periods up to this many days are charted per day, longer ones per week.
pub const DAILY_UP_TO_DAYS: u32 = 31;
/// The longest period asked for.
pub const MAX_DAYS: u32 = 366;

/// A change failure rate above this (15 %) is outside DORA's high performers' 0–15 %.
pub const HIGH_FAILURE_RATE: f64 = 0.15;

/// One change to an environment, as [`records`] merged it from the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentRecord {
    pub environment: String,
    /// The version label (short commit or tag).
    pub version: Option<String>,
    pub sha: Option<String>,
    /// The commit's title, when GitHub answered.
    pub title: Option<String>,
    /// When the commit landed on its branch.
    pub committed_at: Option<Timestamp>,
    /// When the deployment finished (succeeded or failed).
    pub deployed_at: Timestamp,
    pub kind: ChangeKind,
    pub outcome: ChangeOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Release,
    Rollback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeOutcome {
    Succeeded,
    Failed,
}

/// The time the metrics are taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub since: Timestamp,
    pub until: Timestamp,
}

impl Period {
    /// The `days` before `until`.
    pub fn days_before(until: Timestamp, days: u32) -> Self {
        let since = until
            .checked_sub(SignedDuration::from_hours(24 * i64::from(days)))
            .unwrap_or(until);
        Self { since, until }
    }

    fn days(&self) -> u32 {
        let secs = self
            .until
            .duration_since(self.since)
            .as_secs()
            .max(0)
            .unsigned_abs();
        u32::try_from(secs.div_ceil(86_400)).unwrap_or(u32::MAX)
    }

    fn contains(&self, t: Timestamp) -> bool {
        self.since <= t && t < self.until
    }
}

/// `--since`: a number of days (`30d`) or weeks (`6w`), from 1 day to [`MAX_DAYS`].
pub fn parse_since(text: &str) -> Result<u32, UiError> {
    let bad = || {
        UiError::new(
            "metrics.bad-since",
            format!("`{text}` is not a period."),
            format!(
                "Give a number of days or weeks, e.g. `--since 30d` or `--since 6w` (at most {MAX_DAYS} days)."
            ),
        )
    };
    let t = text.trim();
    let (number, per) = match t.char_indices().last() {
        Some((i, 'd' | 'D')) => (&t[..i], 1),
        Some((i, 'w' | 'W')) => (&t[..i], 7),
        _ => return Err(bad()),
    };
    let n: u32 = number.parse().map_err(|_| bad())?;
    let days = n.checked_mul(per).ok_or_else(bad)?;
    if days == 0 || days > MAX_DAYS {
        return Err(bad());
    }
    Ok(days)
}

/// Whether a commit title says it fixes or reverts something: it starts with `fix`, `hotfix`
/// or `revert` (any case, as a word: `Fix …`, `fix: …`, `fix(api): …`, `Revert "…"`).
pub fn is_fix_title(title: &str) -> bool {
    let first: String = title
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(first.as_str(), "fix" | "fixes" | "hotfix" | "revert")
}

/// The metrics of every environment, in the order given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// RFC 3339: the period's start and end.
    pub since: String,
    pub until: String,
    pub days: u32,
    /// How many days each point of the series covers: 1 or 7.
    pub bucket_days: u32,
    pub environments: Vec<EnvironmentMetrics>,
    /// What could not be read; the figures hold what could.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentMetrics {
    pub environment: String,
    /// Deployment frequency: deployments (not rollbacks) in the period.
    pub deployments: u32,
    /// Deployments per 7 days of the period.
    pub per_week: f64,
    pub rollbacks: u32,
    /// `None` when no succeeded deployment has a known commit time.
    pub lead_time: Option<Spread>,
    /// Failed changes among the deployments.
    pub failures: u32,
    /// Failed changes ÷ deployments, from 0 to 1; `None` with no deployments.
    pub change_failure_rate: Option<f64>,
    /// Above [`HIGH_FAILURE_RATE`]: worse than DORA's "high performers" bracket.
    pub failure_rate_high: bool,
    /// `None` when no failed change was restored.
    pub time_to_restore: Option<Spread>,
    /// Failed changes not followed yet by a healthy change.
    pub unrestored: u32,
    /// Newest first.
    pub failed_changes: Vec<FailedChange>,
    /// Oldest first, one point per `bucket_days`.
    pub series: Vec<MetricsBucket>,
    /// Why figures are missing, in words (`No deployments in this period.`).
    pub note: Option<String>,
}

/// A median and 90th percentile, in hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Spread {
    pub median_hours: f64,
    pub p90_hours: f64,
    /// How many values they are taken over.
    pub samples: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FailedChange {
    pub version: Option<String>,
    /// RFC 3339: when it was deployed.
    pub at: String,
    pub reason: FailureReason,
    /// Hours until the next healthy change; `None` while unrestored.
    pub restored_after_hours: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum FailureReason {
    /// Its rollout or its verification failed.
    Failed,
    RolledBack,
    NeededFix,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::RolledBack => "rolled back",
            Self::NeededFix => "needed a fix",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MetricsBucket {
    /// The first day it covers, `YYYY-MM-DD` (UTC).
    pub start: String,
    pub deployments: u32,
    pub failures: u32,
    pub rollbacks: u32,
    /// The median lead time of its succeeded deployments, in hours.
    pub lead_time_median_hours: Option<f64>,
}

/// The metrics of `environments` over `period`, from every change known (in any order; changes
/// after the period are read only to tell whether one in it was rolled back, fixed or restored).
pub fn metrics(
    environments: &[String],
    records: &[DeploymentRecord],
    period: Period,
    problems: Vec<String>,
) -> Metrics {
    let days = period.days();
    let bucket_days = if days <= DAILY_UP_TO_DAYS { 1 } else { 7 };
    Metrics {
        since: period.since.to_string(),
        until: period.until.to_string(),
        days,
        bucket_days,
        environments: environments
            .iter()
            .map(|e| environment_metrics(e, records, period, bucket_days))
            .collect(),
        problems,
    }
}

/// Whether each change of `changes` (oldest first) is a failed change, and why.
fn failure_of(changes: &[&DeploymentRecord], i: usize) -> Option<FailureReason> {
    let c = changes[i];
    if c.kind != ChangeKind::Release {
        return None;
    }
    if c.outcome == ChangeOutcome::Failed {
        return Some(FailureReason::Failed);
    }
    let next = changes.get(i + 1)?;
    if next.kind == ChangeKind::Rollback {
        return Some(FailureReason::RolledBack);
    }
    let soon = next.deployed_at.duration_since(c.deployed_at)
        <= SignedDuration::from_hours(FIX_WINDOW_HOURS);
    (soon && next.title.as_deref().is_some_and(is_fix_title)).then_some(FailureReason::NeededFix)
}

fn hours(d: SignedDuration) -> f64 {
    round2(d.as_secs_f64().max(0.0) / 3600.0)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The median and nearest-rank 90th percentile; `None` for no values.
pub fn spread(values: &[f64]) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    };
    // Nearest rank: ceil(0.9 n), 1-based.
    let rank = (n * 9).div_ceil(10).max(1);
    Some(Spread {
        median_hours: round2(median),
        p90_hours: round2(v[rank - 1]),
        samples: count(n),
    })
}

fn environment_metrics(
    environment: &str,
    records: &[DeploymentRecord],
    period: Period,
    bucket_days: u32,
) -> EnvironmentMetrics {
    let mut changes: Vec<&DeploymentRecord> = records
        .iter()
        .filter(|r| r.environment == environment && r.deployed_at < period.until)
        .collect();
    changes.sort_by_key(|r| r.deployed_at);
    let failures: Vec<Option<FailureReason>> = (0..changes.len())
        .map(|i| failure_of(&changes, i))
        .collect();
    let healthy =
        |j: usize| changes[j].outcome == ChangeOutcome::Succeeded && failures[j].is_none();

    let mut deployments = 0usize;
    let mut rollbacks = 0usize;
    let mut leads = Vec::new();
    let mut restores = Vec::new();
    let mut failed_changes = Vec::new();
    let buckets = period.days().div_ceil(bucket_days).max(1) as usize;
    let mut series: Vec<(u32, u32, u32, Vec<f64>)> = vec![(0, 0, 0, Vec::new()); buckets];
    let bucket_of = |t: Timestamp| {
        let secs = t.duration_since(period.since).as_secs().max(0);
        let b = secs / (86_400 * i64::from(bucket_days));
        usize::try_from(b).unwrap_or(usize::MAX).min(buckets - 1)
    };
    for (i, c) in changes.iter().enumerate() {
        if !period.contains(c.deployed_at) {
            continue;
        }
        let b = bucket_of(c.deployed_at);
        if c.kind == ChangeKind::Rollback {
            rollbacks += 1;
            series[b].2 += 1;
            continue;
        }
        deployments += 1;
        series[b].0 += 1;
        if c.outcome == ChangeOutcome::Succeeded
            && let Some(committed) = c.committed_at
        {
            let lead = hours(c.deployed_at.duration_since(committed));
            leads.push(lead);
            series[b].3.push(lead);
        }
        if let Some(reason) = failures[i] {
            series[b].1 += 1;
            let restored = (i + 1..changes.len())
                .find(|&j| healthy(j))
                .map(|j| hours(changes[j].deployed_at.duration_since(c.deployed_at)));
            restores.extend(restored);
            failed_changes.push(FailedChange {
                version: c.version.clone(),
                at: c.deployed_at.to_string(),
                reason,
                restored_after_hours: restored,
            });
        }
    }
    failed_changes.reverse();
    let weeks = f64::from(period.days().max(1)) / 7.0;
    let unrestored = failed_changes
        .iter()
        .filter(|f| f.restored_after_hours.is_none())
        .count();
    let note = if deployments == 0 {
        Some("No deployments in this period.".to_owned())
    } else if leads.is_empty() {
        Some("No lead time: the commit times of the deployments are not known.".to_owned())
    } else {
        None
    };
    let failure_rate =
        (deployments > 0).then(|| round2(failed_changes.len() as f64 / deployments as f64));
    EnvironmentMetrics {
        environment: environment.to_owned(),
        deployments: count(deployments),
        per_week: round2(deployments as f64 / weeks),
        rollbacks: count(rollbacks),
        lead_time: spread(&leads),
        failures: count(failed_changes.len()),
        change_failure_rate: failure_rate,
        failure_rate_high: failure_rate.is_some_and(|r| r > HIGH_FAILURE_RATE),
        time_to_restore: spread(&restores),
        unrestored: count(unrestored),
        failed_changes,
        series: series
            .into_iter()
            .enumerate()
            .map(|(i, (deployments, failures, rollbacks, leads))| {
                let start = period
                    .since
                    .checked_add(SignedDuration::from_hours(
                        24 * i64::from(bucket_days) * i as i64,
                    ))
                    .unwrap_or(period.since);
                MetricsBucket {
                    start: start.strftime("%Y-%m-%d").to_string(),
                    deployments,
                    failures,
                    rollbacks,
                    lead_time_median_hours: spread(&leads).map(|s| s.median_hours),
                }
            })
            .collect(),
        note,
    }
}

#[cfg(test)]
mod tests;
