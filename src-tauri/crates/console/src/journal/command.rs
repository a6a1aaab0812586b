//! `sluice audit`: the journal as a table, JSON or CSV.

use std::collections::HashSet;
use std::path::PathBuf;

use sluice_core::audit::{AuditEntry, AuditResult};

use super::{AuditFilter, Journal, JournalError, Listing, default_path, export};
use crate::cli::AuditArgs;

/// Prints the journal selected by `args` to stdout, and any problem found in it to stderr.
pub fn run(args: &AuditArgs) -> Result<(), JournalError> {
    let path = match &args.journal {
        Some(p) => p.clone(),
        None => default_path()?,
    };
    let (out, problems) = render(args, path)?;
    for p in problems {
        eprintln!("sluice audit: warning: {p}");
    }
    print!("{out}");
    Ok(())
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
    let mut rows = vec![
        [
            "AT",
            "ACTOR",
            "ENVIRONMENT",
            "CHANGE",
            "METHOD",
            "ACTION",
            "RESULT",
            "DETAIL",
        ]
        .map(String::from),
    ];
    for e in entries {
        let result =
            if e.result == AuditResult::Started && !finished.contains(e.correlation.as_str()) {
                "started (no outcome)".to_owned()
            } else {
                e.result.as_str().to_owned()
            };
        let detail = [
            e.error.as_ref().map(|x| x.message.clone()),
            e.override_reason.as_ref().map(|r| format!("override: {r}")),
            e.comment.as_ref().map(|c| format!("“{c}”")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        rows.push([
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
            // One row per entry, whatever the person typed.
            detail.replace(['\r', '\n'], " "),
        ]);
    }
    let mut widths = [0usize; 8];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < row.len() {
                line.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
