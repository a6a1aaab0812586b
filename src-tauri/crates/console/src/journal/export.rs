//! Exports of audit entries: CSV for spreadsheets, JSON for scripts.

use std::path::Path;

use sluice_core::UiError;
use sluice_core::audit::AuditEntry;
use sluice_core::desk::{AuditExport, ExportFormat};

const CSV_HEADER: [&str; 22] = [
    "at",
    "id",
    "correlation",
    "actor",
    "environment",
    "from",
    "to",
    "method",
    "action",
    "result",
    "commits",
    "pullRequests",
    "images",
    "gates",
    "comment",
    "overrideReason",
    "errorCode",
    "errorMessage",
    "errorHint",
    "runId",
    "sha",
    "shipped",
];

/// The entries as a JSON array, pretty-printed, in the order given.
pub fn to_json(entries: &[AuditEntry]) -> String {
    serde_json::to_string_pretty(entries).unwrap_or_else(|_| "[]".to_owned())
}

/// The entries as RFC 4180 CSV (CRLF line ends, quoted where needed), with a header row.
/// Cells that a spreadsheet would run as a formula are prefixed with `'`: comments are typed by
/// people and this file is opened by others.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory fails only on a broken invariant of the csv crate; such a row is lost
    // rather than the export.
    let _ = out.write_record(CSV_HEADER);
    for e in entries {
        let plan = e.plan.as_ref();
        let error = e.error.as_ref();
        let row = [
            e.at.clone(),
            e.id.clone(),
            e.correlation.clone(),
            e.actor.clone(),
            e.environment.clone(),
            e.from_version.clone().unwrap_or_default(),
            e.to_version.clone().unwrap_or_default(),
            e.method.as_str().to_owned(),
            e.action.as_str().to_owned(),
            e.result.as_str().to_owned(),
            plan.map(|p| p.commits.to_string()).unwrap_or_default(),
            plan.map(|p| {
                p.pull_requests
                    .iter()
                    .map(|n| format!("#{n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
            plan.map(|p| {
                p.images
                    .iter()
                    .map(|i| {
                        format!(
                            "{}{}: {} → {}",
                            i.workload,
                            if i.container.is_empty() {
                                String::new()
                            } else {
                                format!("/{}", i.container)
                            },
                            i.from.as_deref().unwrap_or("none"),
                            i.to.as_deref().unwrap_or("none")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default(),
            e.gates
                .iter()
                .map(|g| {
                    let state = if g.met { "met" } else { "unmet" };
                    format!("{} {state}: {}", g.kind, g.reason)
                })
                .collect::<Vec<_>>()
                .join("; "),
            e.comment.clone().unwrap_or_default(),
            e.override_reason.clone().unwrap_or_default(),
            error.map(|x| x.code.clone()).unwrap_or_default(),
            error.map(|x| x.message.clone()).unwrap_or_default(),
            error.map(|x| x.hint.clone()).unwrap_or_default(),
            e.run_id.map(|r| r.to_string()).unwrap_or_default(),
            e.sha.clone().unwrap_or_default(),
            e.shipped.clone().unwrap_or_default(),
        ];
        let _ = out.write_record(row.iter().map(|cell| defused(cell).into_owned()));
    }
    let bytes = out.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// A cell a spreadsheet would run as a formula, prefixed with `'`.
pub fn defused(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// Writes `entries` as CSV or JSON into `dir`, as `sluice-audit-<time>.<ext>`.
pub fn write(
    entries: &[AuditEntry],
    format: ExportFormat,
    dir: &Path,
) -> Result<AuditExport, UiError> {
    let (text, extension) = match format {
        ExportFormat::Csv => (to_csv(entries), "csv"),
        ExportFormat::Json => (to_json(entries), "json"),
    };
    let stamp = super::now().replace(':', "-");
    let path = dir.join(format!("sluice-audit-{stamp}.{extension}"));
    let failed = |e: std::io::Error| {
        UiError::new(
            "audit.export-failed",
            format!("Cannot write {}: {e}", path.display()),
            "Check that the folder exists and you may write to it.",
        )
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    std::fs::write(&path, text).map_err(failed)?;
    Ok(AuditExport {
        path: path.display().to_string(),
        entries: u32::try_from(entries.len()).unwrap_or(u32::MAX),
    })
}
