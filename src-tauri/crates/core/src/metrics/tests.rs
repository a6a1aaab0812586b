use std::collections::BTreeMap;

use jiff::Timestamp;

use super::records::{RecordInputs, records};
use super::*;
use crate::audit::{AuditAction, AuditEntry, AuditMethod, AuditResult};
use crate::inputs::{CommitInfo, DeploymentInfo};
use crate::snapshot::HelmRevision;

/// 2026-03-01T00:00:00Z plus `hours`.
fn at(hours: i64) -> Timestamp {
    let base: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    base.checked_add(SignedDuration::from_hours(hours)).unwrap()
}

fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(20)
}

fn release(n: u8, committed: i64, deployed: i64, outcome: ChangeOutcome) -> DeploymentRecord {
    DeploymentRecord {
        environment: "production".into(),
        version: Some(sha(n)[..7].to_owned()),
        sha: Some(sha(n)),
        title: Some(format!("Change {n}")),
        committed_at: Some(at(committed)),
        deployed_at: at(deployed),
        kind: ChangeKind::Release,
        outcome,
    }
}

fn rollback_to(n: u8, deployed: i64) -> DeploymentRecord {
    DeploymentRecord {
        kind: ChangeKind::Rollback,
        ..release(n, 0, deployed, ChangeOutcome::Succeeded)
    }
}

/// The 14 days from 2026-03-01.
fn fortnight() -> Period {
    Period {
        since: at(0),
        until: at(14 * 24),
    }
}

fn production(records: &[DeploymentRecord]) -> EnvironmentMetrics {
    let m = metrics(&["production".into()], records, fortnight(), Vec::new());
    m.environments.into_iter().next().unwrap()
}

#[test]
fn deployment_frequency_counts_releases_not_rollbacks_nor_other_periods() {
    let m = production(&[
        release(1, -30, -20, ChangeOutcome::Succeeded), // before the period
        release(2, 10, 12, ChangeOutcome::Succeeded),
        release(3, 30, 34, ChangeOutcome::Failed),
        release(4, 50, 52, ChangeOutcome::Succeeded),
        rollback_to(2, 53),
        release(5, 100, 101, ChangeOutcome::Succeeded),
        release(6, 14 * 24, 14 * 24 + 1, ChangeOutcome::Succeeded), // after it
    ]);
    assert_eq!(m.deployments, 4);
    assert_eq!(m.rollbacks, 1);
    // 4 deployments over 2 weeks.
    assert_eq!(m.per_week, 2.0);
    // Daily buckets: day 1 (12 h), day 2 (34 h, failed), day 3 (52 h, rolled back at 53 h),
    // day 5 (101 h).
    assert_eq!(m.series.len(), 14);
    assert_eq!(m.series[0].start, "2026-03-01");
    assert_eq!((m.series[0].deployments, m.series[0].failures), (1, 0));
    assert_eq!(
        (
            m.series[2].deployments,
            m.series[2].failures,
            m.series[2].rollbacks
        ),
        (1, 1, 1)
    );
    assert_eq!(m.series[1].deployments, 1);
    assert_eq!(m.series[4].deployments, 1);
    assert_eq!(m.series.iter().map(|b| b.deployments).sum::<u32>(), 4);
}

#[test]
fn lead_time_is_commit_to_running_for_succeeded_deployments() {
    let m = production(&[
        release(1, 0, 2, ChangeOutcome::Succeeded),   // 2 h
        release(2, 10, 14, ChangeOutcome::Succeeded), // 4 h
        release(3, 20, 21, ChangeOutcome::Failed),    // not running: no lead time
        release(4, 30, 36, ChangeOutcome::Succeeded), // 6 h
        release(5, 40, 60, ChangeOutcome::Succeeded), // 20 h
    ]);
    let lead = m.lead_time.unwrap();
    // Median of 2, 4, 6, 20: (4 + 6) / 2; p90 by nearest rank: the 4th of 4.
    assert_eq!(lead.median_hours, 5.0);
    assert_eq!(lead.p90_hours, 20.0);
    assert_eq!(lead.samples, 4);
    // Day 1 holds 2 h and 4 h, day 2 the 6 h one, day 3 the 20 h one.
    assert_eq!(m.series[0].lead_time_median_hours, Some(3.0));
    assert_eq!(m.series[1].lead_time_median_hours, Some(6.0));
    assert_eq!(m.series[2].lead_time_median_hours, Some(20.0));
    assert_eq!(m.series[3].lead_time_median_hours, None);
}

#[test]
fn change_failure_rate_counts_failed_rolled_back_and_fixed_releases() {
    let mut fix = release(5, 40, 41, ChangeOutcome::Succeeded);
    fix.title = Some("fix(api): restore the rate-card cache".into());
    let mut late_fix = release(7, 100, 101, ChangeOutcome::Succeeded);
    late_fix.title = Some("Fix typo in the footer".into());
    let m = production(&[
        release(1, 0, 2, ChangeOutcome::Succeeded),   // fine
        release(2, 5, 10, ChangeOutcome::Failed),     // failed
        release(3, 11, 20, ChangeOutcome::Succeeded), // rolled back
        rollback_to(1, 21),
        release(4, 30, 32, ChangeOutcome::Succeeded), // needed a fix (9 h later)
        fix,                                          // fine
        release(6, 50, 52, ChangeOutcome::Succeeded), // fix came 49 h later: fine
        late_fix,                                     // fine
    ]);
    assert_eq!(m.deployments, 7);
    assert_eq!(m.failures, 3);
    // 3 / 7 = 0.428…
    assert_eq!(m.change_failure_rate, Some(0.43));
    let reasons: Vec<(Option<&str>, FailureReason)> = m
        .failed_changes
        .iter()
        .map(|f| (f.version.as_deref(), f.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            (Some("0404040"), FailureReason::NeededFix),
            (Some("0303030"), FailureReason::RolledBack),
            (Some("0202020"), FailureReason::Failed),
        ]
    );
}

#[test]
fn time_to_restore_runs_from_a_failed_change_to_the_next_healthy_one() {
    let m = production(&[
        release(1, 0, 2, ChangeOutcome::Succeeded),
        release(2, 5, 10, ChangeOutcome::Failed), // failed at 10 h …
        release(3, 11, 13, ChangeOutcome::Failed), // … and again at 13 h …
        release(4, 14, 16, ChangeOutcome::Succeeded), // … restored at 16 h: 6 h and 3 h
        release(5, 20, 30, ChangeOutcome::Succeeded), // rolled back …
        rollback_to(4, 31),                       // … 1 h later
        release(6, 40, 50, ChangeOutcome::Failed), // never restored
    ]);
    assert_eq!(m.failures, 4);
    assert_eq!(m.unrestored, 1);
    let ttr = m.time_to_restore.unwrap();
    // 6, 3, 1 hours: median 3, p90 (nearest rank 3 of 3) 6.
    assert_eq!(
        (ttr.median_hours, ttr.p90_hours, ttr.samples),
        (3.0, 6.0, 3)
    );
    assert_eq!(m.failed_changes[0].restored_after_hours, None);
    assert_eq!(m.failed_changes[1].restored_after_hours, Some(1.0));
}

#[test]
fn an_empty_period_says_no_deployments_and_divides_by_nothing() {
    let m = production(&[release(1, -30, -20, ChangeOutcome::Succeeded)]);
    assert_eq!(m.deployments, 0);
    assert_eq!(m.per_week, 0.0);
    assert_eq!(m.change_failure_rate, None);
    assert_eq!(m.lead_time, None);
    assert_eq!(m.time_to_restore, None);
    assert_eq!(m.note.as_deref(), Some("No deployments in this period."));
    let none = metrics(&[], &[], fortnight(), Vec::new());
    assert!(none.environments.is_empty());
}

#[test]
fn long_periods_are_charted_per_week() {
    let period = Period::days_before(at(42 * 24), 42);
    let m = metrics(
        &["production".into()],
        &[release(1, 0, 1, ChangeOutcome::Succeeded)],
        period,
        Vec::new(),
    );
    assert_eq!((m.days, m.bucket_days), (42, 7));
    assert_eq!(m.environments[0].series.len(), 6);
    assert_eq!(m.environments[0].series[0].deployments, 1);
}

#[test]
fn since_takes_days_or_weeks_and_explains_anything_else() {
    assert_eq!(parse_since("30d").unwrap(), 30);
    assert_eq!(parse_since("6w").unwrap(), 42);
    for bad in [
        "",
        "30",
        "d",
        "0d",
        "-3d",
        "1.5w",
        "400d",
        "99999999999w",
        "3é",
    ] {
        let e = parse_since(bad).unwrap_err();
        assert_eq!(e.code, "metrics.bad-since", "{bad}");
        assert!(e.hint.contains("--since 30d"), "{bad}");
    }
}

#[test]
fn fix_titles_are_words_at_the_start() {
    for t in [
        "Fix the cache",
        "fix: x",
        "fix(api): x",
        "Revert \"x\"",
        "HOTFIX x",
    ] {
        assert!(is_fix_title(t), "{t}");
    }
    for t in ["Fixture data", "Add a fix", "prefix", ""] {
        assert!(!is_fix_title(t), "{t}");
    }
}

fn deployment(n: u8, state: &str, hours: i64) -> DeploymentInfo {
    DeploymentInfo {
        environment: "production".into(),
        sha: sha(n),
        state: state.into(),
        creator: "github-actions[bot]".into(),
        updated_at: at(hours).to_string(),
        approved_by: None,
    }
}

#[test]
fn sources_merge_into_one_change_each_and_returns_are_rollbacks() {
    let commits: BTreeMap<String, CommitInfo> = (1..=3)
        .map(|n| {
            (
                sha(n),
                CommitInfo {
                    sha: sha(n),
                    title: format!("Change {n}"),
                    author: "dave".into(),
                    date: Some(at(i64::from(n) * 10 - 5).to_string()),
                },
            )
        })
        .collect();
    let deployments = [
        deployment(1, "inactive", 10),
        deployment(1, "success", 12), // a re-run of what runs: no change
        deployment(2, "success", 20),
        deployment(1, "success", 21), // back to 1: a rollback
        deployment(3, "success", 30),
        deployment(3, "in_progress", 40), // not over: left out
    ];
    // Helm saw 3's upgrade start a little before GitHub's status.
    let helm = [HelmRevision {
        revision: 7,
        status: "deployed".into(),
        chart: "tbyte-0.1.0".into(),
        app_version: Some(sha(3)[..7].to_owned()),
        description: "Upgrade complete".into(),
        deployed_at: Some(
            at(30)
                .checked_sub(SignedDuration::from_mins(5))
                .unwrap()
                .to_string(),
        ),
        images: Vec::new(),
    }];
    // The journal: 3's verification failed after GitHub recorded it.
    let journal = [AuditEntry {
        id: "b".into(),
        at: at(30)
            .checked_add(SignedDuration::from_mins(4))
            .unwrap()
            .to_string(),
        correlation: "a".into(),
        actor: "alice".into(),
        environment: "production".into(),
        from_version: None,
        to_version: Some(sha(3)[..7].to_owned()),
        method: AuditMethod::Helm,
        action: AuditAction::Promote,
        plan: None,
        gates: Vec::new(),
        comment: None,
        override_reason: None,
        result: AuditResult::Failed,
        error: None,
        run_id: None,
        sha: Some(sha(3)),
        shipped: None,
        revision: None,
        recorded_late: None,
    }];
    let r = records(&RecordInputs {
        environment: "production",
        deployments: &deployments,
        helm_history: &helm,
        journal: &journal,
        commits: &commits,
    });
    let seen: Vec<(String, ChangeKind, ChangeOutcome)> = r
        .iter()
        .map(|r| (r.version.clone().unwrap(), r.kind, r.outcome))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "0101010".into(),
                ChangeKind::Release,
                ChangeOutcome::Succeeded
            ),
            (
                "0202020".into(),
                ChangeKind::Release,
                ChangeOutcome::Succeeded
            ),
            (
                "0101010".into(),
                ChangeKind::Rollback,
                ChangeOutcome::Succeeded
            ),
            ("0303030".into(), ChangeKind::Release, ChangeOutcome::Failed),
        ]
    );
    assert_eq!(r[3].title.as_deref(), Some("Change 3"));
    assert_eq!(r[3].committed_at, Some(at(25)));
    // Released 2 was rolled back one hour later.
    let m = production(&r);
    assert_eq!((m.deployments, m.rollbacks, m.failures), (3, 1, 2));
}
