//! `sluice audit`: the journal as a table, JSON or CSV.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_core::audit::{AuditEntry, AuditResult};

use super::AuditArgs;
use super::terminal;
use super::text::table as text_table;
use crate::journal::{AuditFilter, Journal, JournalError, Listing, default_path, export};

/// Prints the journal selected by `args` to stdout, and any problem found in it to stderr.
pub(super) fn run(args: &AuditArgs) -> Result<ExitCode, UiError> {
    let path = match &args.journal {
        Some(p) => p.clone(),
        None => default_path().map_err(|e| e.to_ui())?,
    };
    let (out, problems) = render(args, path).map_err(|e| e.to_ui())?;
    for p in problems {
        terminal::eprintln(&format!("sluice audit: warning: {p}"));
    }
    if args.json {
        terminal::print_json(out.trim_end());
    } else {
        // CSV too: a spreadsheet has no use for terminal commands either.
        terminal::print(&out);
    }
    Ok(ExitCode::SUCCESS)
}

/// What `sluice audit` prints on stdout, and the warnings for stderr.
pub fn render(args: &AuditArgs, path: PathBuf) -> Result<(String, Vec<String>), JournalError> {
    // Reading an audit trail must not create one: no file simply means no entries yet.
    let listing = if path.exists() {
        let journal = Journal::open(path)?;
        let mut listing = journal.query(&AuditFilter {
            environment: args.environment.clone(),
            person: args.person.clone(),
            result: args.result,
            since: None,
            until: None,
        })?;
        // Problems set aside on open carry the copy's path; report those over the plain ones.
        let recovered = journal.recovered();
        listing
            .problems
            .retain(|p| !recovered.iter().any(|r| r.line == p.line));
        listing.problems.splice(0..0, recovered);
        listing
    } else {
        Listing::default()
    };
    let warnings = listing
        .problems
        .iter()
        .map(|p| match &p.set_aside {
            Some(aside) => format!("line {}: {}; copied to {aside}", p.line, p.reason),
            None => format!("line {}: {}", p.line, p.reason),
        })
        .collect();
    let out = if args.json {
        let mut s = export::to_json(&listing.entries);
        s.push('\n');
        s
    } else if args.csv {
        export::to_csv(&listing.entries)
    } else {
        table(&listing.entries)
    };
    Ok((out, warnings))
}

fn table(entries: &[AuditEntry]) -> String {
    if entries.is_empty() {
        return "No audit entries.\n".to_owned();
    }
    let finished: HashSet<&str> = entries
        .iter()
        .filter(|e| e.result != AuditResult::Started)
        .map(|e| e.correlation.as_str())
        .collect();
    let rows = entries.iter().map(|e| {
        let result =
            if e.result == AuditResult::Started && !finished.contains(e.correlation.as_str()) {
                "started (no outcome)".to_owned()
            } else {
                e.result.as_str().to_owned()
            };
        let detail = [
            e.error.as_ref().map(|x| x.message.clone()),
            e.shipped.as_ref().map(|s| format!("shipped {s}")),
            e.override_reason.as_ref().map(|r| format!("override: {r}")),
            e.comment.as_ref().map(|c| format!("“{c}”")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        vec![
            e.at.clone(),
            e.actor.clone(),
            e.environment.clone(),
            format!(
                "{} → {}",
                e.from_version.as_deref().unwrap_or("none"),
                e.to_version.as_deref().unwrap_or("none")
            ),
            e.method.as_str().to_owned(),
            e.action.as_str().to_owned(),
            result,
            detail,
        ]
    });
    text_table(
        &[
            "AT",
            "ACTOR",
            "ENVIRONMENT",
            "CHANGE",
            "METHOD",
            "ACTION",
            "RESULT",
            "DETAIL",
        ],
        rows,
    )
}
