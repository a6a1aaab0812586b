//! `sluice audit`: the journal as a table, JSON or CSV.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_core::audit::{AuditEntry, AuditResult, ChainHead, ChainReport};

use super::AuditArgs;
use super::terminal;
use super::text::table as text_table;
use crate::credentials::Keychain;
use crate::journal::{
    Anchor, AuditFilter, Journal, JournalError, Listing, default_path, empty_report, export,
};

/// Prints the journal selected by `args` to stdout, and any problem found in it to stderr; or,
/// with `--verify`, whether its chain holds.
pub(super) fn run(args: &AuditArgs) -> Result<ExitCode, UiError> {
    let path = match &args.journal {
        Some(p) => p.clone(),
        None => default_path().map_err(|e| e.to_ui())?,
    };
    if args.verify {
        let report = verify(&path, &Keychain::os()).map_err(|e| e.to_ui())?;
        terminal::print(&print_report(&path, &report));
        return Ok(if report.holds() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(super::exit::JOURNAL_BROKEN)
        });
    }
    if args.reanchor {
        return reanchor(&path, &Keychain::os());
    }
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
        let journal = Journal::open_to_read(path, Anchor::none())?;
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
            e.recorded_late.clone(),
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

/// The chain of the journal at `path`, checked against the head kept in `keychain`. Reading only:
/// nothing is created or changed.
pub fn verify(path: &std::path::Path, keychain: &Keychain) -> Result<ChainReport, JournalError> {
    if !path.exists() {
        return Ok(empty_report());
    }
    let anchor = Anchor::keychain(keychain.clone(), path);
    Journal::open_read_only(path, anchor)?.verify()
}

/// What `sluice audit --verify` prints.
pub fn print_report(path: &std::path::Path, report: &ChainReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for b in &report.breaks {
        let _ = writeln!(
            out,
            "line {}: {}\n  what to do: {}",
            b.line, b.reason, b.hint
        );
    }
    if report.more_breaks > 0 {
        let _ = writeln!(out, "({} more breaks not listed)", report.more_breaks);
    }
    let unchained = if report.legacy > 0 {
        format!(
            ", {} written before the chain existed (unchained, so not checked)",
            report.legacy
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{}: {} lines, {} chained{unchained}.",
        path.display(),
        report.lines,
        report.chained
    );
    match &report.head {
        ChainHead::Anchored { line: Some(line) } => {
            let _ = writeln!(out, "The head is anchored in the keychain at line {line}.");
        }
        ChainHead::Anchored { line: None } => {
            let _ = writeln!(
                out,
                "The head is anchored in the keychain, but the journal no longer holds that line."
            );
        }
        ChainHead::NotAnchored { reason } => {
            let _ = writeln!(
                out,
                "The head is not anchored ({reason}): lines removed from the end of the journal cannot be detected."
            );
        }
    }
    if report.holds() {
        out.push_str("The chain holds.\n");
    } else {
        let n = report.breaks.len() + report.more_breaks as usize;
        let _ = writeln!(
            out,
            "The chain does not hold: {n} break{}.",
            if n == 1 { "" } else { "s" }
        );
    }
    out
}

fn reanchor(path: &std::path::Path, keychain: &Keychain) -> Result<ExitCode, UiError> {
    let journal = Journal::open_read_only(path, Anchor::keychain(keychain.clone(), path))
        .map_err(|e| e.to_ui())?;
    match journal.reanchor() {
        Ok(Some(line)) => {
            terminal::println(&format!(
                "{}: line {line} is now the anchored head.",
                path.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Ok(None) => {
            terminal::println(&format!("{}: the journal is empty.", path.display()));
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => Err(UiError::new(
            "audit.reanchor-failed",
            format!("Cannot keep the head in {}: {why}", keychain.name()),
            "Unlock the keychain (or start the Secret Service) and try again.",
        )),
    }
}
