//! Exports of audit entries: CSV for spreadsheets, JSON for scripts.

use sluice_core::audit::AuditEntry;

const CSV_HEADER: [&str; 19] = [
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
];

/// The entries as a JSON array, pretty-printed, in the order given.
pub fn to_json(entries: &[AuditEntry]) -> String {
    serde_json::to_string_pretty(entries).unwrap_or_else(|_| "[]".to_owned())
}

/// The entries as RFC 4180 CSV (CRLF line ends, quoted where needed), with a header row.
/// Cells that a spreadsheet would run as a formula are prefixed with `'`: comments are typed by
/// people and this file is opened by others.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let mut out = String::new();
    push_row(&mut out, CSV_HEADER.iter().map(|h| (*h).to_owned()));
    for e in entries {
        let plan = e.plan.as_ref();
        let error = e.error.as_ref();
        push_row(
            &mut out,
            [
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
                                "{}: {} → {}",
                                i.workload,
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
            ],
        );
    }
    out
}

fn push_row(out: &mut String, cells: impl IntoIterator<Item = String>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(&cell));
    }
    out.push_str("\r\n");
}

/// One cell: defused against formula injection, then quoted per RFC 4180 when it holds a
/// comma, a quote or a line break.
pub fn csv_cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}
