//! `sluice history <environment>` and what `sluice rollback --to` shows before it asks: the
//! environment detail's History and the rollback confirmation, printed; the same session and
//! use cases.

use std::fmt::Write as _;
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_core::history::{History, RollbackPlan};

use super::text::table;
use super::{Cli, HistoryArgs, terminal};
use crate::Console;

/// The history as a table, newest first; controls in it are made visible when it is printed.
pub fn print_history(history: &History) -> String {
    let mut out = format!("History of {} (newest first):\n", history.environment);
    if history.rows.is_empty() {
        out.push_str("  Nothing is known to have run here.\n");
    } else {
        let rows = history.rows.iter().map(|r| {
            vec![
                format!("{}{}", r.revision, if r.current { " *" } else { "" }),
                r.version.clone().unwrap_or_else(|| "?".into()),
                r.at.clone().unwrap_or_default(),
                r.by.as_deref().map(|b| format!("@{b}")).unwrap_or_default(),
                r.how.clone(),
                r.result.map_or_else(
                    || r.status.clone(),
                    |res| format!("{} ({})", r.status, res.as_str()),
                ),
                r.duration_secs.map(|s| format!("{s}s")).unwrap_or_default(),
                match &r.rollback_refusal {
                    None => format!(
                        "sluice rollback {} --to {}",
                        history.environment, r.revision
                    ),
                    Some(_) => String::new(),
                },
            ]
        });
        out.push_str(&table(
            &[
                "REVISION",
                "VERSION",
                "WHEN",
                "WHO",
                "HOW",
                "RESULT",
                "TOOK",
                "ROLL BACK",
            ],
            rows,
        ));
        out.push_str("* runs now\n");
    }
    for p in &history.problems {
        let _ = writeln!(out, "! {p}");
    }
    out
}

/// What a rollback to one revision changes, as the person confirms it.
pub fn print_plan(plan: &RollbackPlan) -> String {
    let mut out = format!(
        "Roll {} back to revision {}: {} → {}\n",
        plan.environment,
        plan.revision,
        plan.from_version.as_deref().unwrap_or("?"),
        plan.to_version.as_deref().unwrap_or("?"),
    );
    if let Some(refusal) = &plan.refusal {
        let _ = writeln!(out, "  Not possible: {refusal}.");
        return out;
    }
    for i in &plan.images_removed {
        let _ = writeln!(out, "  - {i}");
    }
    for i in &plan.images_restored {
        let _ = writeln!(out, "  + {i}");
    }
    match &plan.commits_unknown {
        Some(why) => {
            let _ = writeln!(out, "  Commits going away: not known ({why}).");
        }
        None if plan.commits_going_away.is_empty() => {
            out.push_str("  No commits go away.\n");
        }
        None => {
            let _ = writeln!(
                out,
                "  {} commit(s) go away:",
                plan.commits_going_away.len()
            );
            for c in &plan.commits_going_away {
                let _ = writeln!(
                    out,
                    "    {} {} ({})",
                    sluice_core::commit::short(&c.sha),
                    c.title,
                    c.author
                );
            }
        }
    }
    out
}

/// `sluice history <environment> [--json]`.
pub(super) async fn run(
    console: &Console,
    cli: &Cli,
    args: &HistoryArgs,
) -> Result<ExitCode, UiError> {
    let session = super::watching(console, cli, None).await?;
    let history = session.history(&args.environment).await?;
    if args.json {
        terminal::print_json(
            &serde_json::to_string_pretty(&history).map_err(|e| {
                UiError::new("history.encode", e.to_string(), "Report this as a bug.")
            })?,
        );
    } else {
        terminal::print(&print_history(&history));
    }
    Ok(ExitCode::SUCCESS)
}
