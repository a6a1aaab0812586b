//! `sluice metrics [--since 30d] [--environment E] [--json]`: the Metrics view's figures,
//! printed; the same session and use case.

use std::fmt::Write as _;
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_core::metrics::{Metrics, Spread};

use super::text::table;
use super::{Cli, MetricsArgs, terminal};
use crate::Console;

/// `--since`'s parser: a period in days or weeks; a wrong one is a wrong command line (exit 2)
/// with the format to use.
pub fn since(text: &str) -> Result<u32, String> {
    sluice_core::metrics::parse_since(text).map_err(|e| format!("{} {}", e.message, e.hint))
}

/// Hours as people read them: minutes under an hour, days from two days on.
pub fn duration(hours: f64) -> String {
    if hours < 1.0 {
        format!("{:.0} min", hours * 60.0)
    } else if hours < 48.0 {
        format!("{hours:.1} h")
    } else {
        format!("{:.1} d", hours / 24.0)
    }
}

fn spread(s: Option<&Spread>) -> String {
    s.map_or_else(
        || "–".to_owned(),
        |s| {
            format!(
                "{} / {} (n={})",
                duration(s.median_hours),
                duration(s.p90_hours),
                s.samples
            )
        },
    )
}

/// The metrics: one row per environment, then the failed changes, then what could not be read.
pub fn print_metrics(m: &Metrics) -> String {
    let day = |t: &str| t.get(..10).unwrap_or(t).to_owned();
    let mut out = format!(
        "DORA metrics over {} days, {} to {}:\n",
        m.days,
        day(&m.since),
        day(&m.until)
    );
    let rows = m.environments.iter().map(|e| {
        let rate = match e.change_failure_rate {
            Some(r) => format!("{:.0} % ({} of {})", r * 100.0, e.failures, e.deployments),
            None => "–".to_owned(),
        };
        let restore = match (&e.time_to_restore, e.unrestored) {
            (s, 0) => spread(s.as_ref()),
            (s, n) => format!("{}, {n} not restored", spread(s.as_ref())),
        };
        vec![
            e.environment.clone(),
            e.deployments.to_string(),
            format!("{:.1}", e.per_week),
            spread(e.lead_time.as_ref()),
            rate,
            restore,
            e.rollbacks.to_string(),
            e.note.clone().unwrap_or_default(),
        ]
    });
    out.push_str(&table(
        &[
            "ENVIRONMENT",
            "DEPLOYMENTS",
            "PER WEEK",
            "LEAD TIME (MEDIAN / P90)",
            "CHANGE FAILURE RATE",
            "TIME TO RESTORE (MEDIAN / P90)",
            "ROLLBACKS",
            "",
        ],
        rows,
    ));
    let failed: Vec<Vec<String>> = m
        .environments
        .iter()
        .flat_map(|e| {
            e.failed_changes.iter().map(|f| {
                vec![
                    e.environment.clone(),
                    f.version.clone().unwrap_or_else(|| "?".into()),
                    f.at.clone(),
                    f.reason.as_str().to_owned(),
                    f.restored_after_hours
                        .map_or_else(|| "not yet".to_owned(), duration),
                ]
            })
        })
        .collect();
    if !failed.is_empty() {
        out.push_str("\nFailed changes (newest first):\n");
        out.push_str(&table(
            &[
                "ENVIRONMENT",
                "VERSION",
                "DEPLOYED",
                "WHY",
                "RESTORED AFTER",
            ],
            failed,
        ));
    }
    for p in &m.problems {
        let _ = writeln!(out, "! {p}");
    }
    out
}

/// `sluice metrics`.
pub(super) async fn run(
    console: &Console,
    cli: &Cli,
    args: &MetricsArgs,
) -> Result<ExitCode, UiError> {
    let session = super::watching(console, cli, None).await?;
    let metrics = session
        .metrics(args.since, args.environment.as_deref())
        .await?;
    if args.json {
        terminal::print_json(
            &serde_json::to_string_pretty(&metrics).map_err(|e| {
                UiError::new("metrics.encode", e.to_string(), "Report this as a bug.")
            })?,
        );
    } else {
        terminal::print(&print_metrics(&metrics));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_minutes_hours_or_days() {
        assert_eq!(duration(0.5), "30 min");
        assert_eq!(duration(5.25), "5.2 h");
        assert_eq!(duration(72.0), "3.0 d");
    }

    #[test]
    fn a_bad_period_names_the_format() {
        let e = since("thirty").unwrap_err();
        assert!(e.contains("--since 30d"), "{e}");
        assert_eq!(since("2w"), Ok(14));
    }
}
