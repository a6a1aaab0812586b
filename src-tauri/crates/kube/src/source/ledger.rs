//! The approvals ledgers of the environment's namespace (one ConfigMap per person, labelled
//! `sluice.dev/ledger=approvals`), read as they arrive. Whoever may write a ledger may write
//! anything in it, so every entry is untrusted input: each is parsed on its own, bounded, and a
//! bad one is a problem, never a failure; an approval in someone else's ledger is not counted.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::ResourceExt;
use sluice_core::quorum::LedgerApproval;

/// At most this many entries are read; a ledger holds one per person and environment.
pub const MAX_ENTRIES: usize = 200;
/// An entry larger than this is not an approval Sluice wrote.
const MAX_ENTRY_BYTES: usize = 8 * 1024;

/// The ledger as the store keeps it: its approvals and what could not be read.
#[derive(Debug, Clone)]
pub(super) struct LedgerRow {
    name: String,
    approvals: Vec<LedgerApproval>,
    problems: Vec<String>,
}

super::rows::keyed_by_name!(LedgerRow, ConfigMap, |r| &r.name);

pub(super) fn ledger_row(map: ConfigMap) -> LedgerRow {
    let name = map.name_any();
    let (approvals, problems) = entries(&name, map.data.unwrap_or_default());
    LedgerRow {
        name,
        approvals,
        problems,
    }
}

/// The approvals of the ledger `name` (its `data`), and what could not be counted: only an
/// approval in its own person's ledger counts.
pub(crate) fn entries(
    name: &str,
    data: std::collections::BTreeMap<String, String>,
) -> (Vec<LedgerApproval>, Vec<String>) {
    let mut approvals = Vec::new();
    let mut problems = Vec::new();
    if data.len() > MAX_ENTRIES {
        problems.push(format!(
            "the approvals ledger `{name}` holds {} entries; only the first {MAX_ENTRIES} are read",
            data.len()
        ));
    }
    for (key, value) in data.into_iter().take(MAX_ENTRIES) {
        let parsed = if value.len() > MAX_ENTRY_BYTES {
            Err(format!("{} bytes", value.len()))
        } else {
            serde_json::from_str::<LedgerApproval>(&value).map_err(|e| e.to_string())
        };
        match parsed {
            Ok(a) if sluice_core::quorum::ledger_name(&a.login) != name => problems.push(format!(
                "the approvals ledger `{name}` holds an approval by @{}: only their own ledger counts, it is not counted",
                sluice_core::text::visible(&a.login)
            )),
            Ok(a) => approvals.push(LedgerApproval {
                // Shown in the window and the terminal: no control characters from the wild.
                login: sluice_core::text::visible(&a.login),
                version: sluice_core::text::visible(&a.version),
                comment: a.comment.as_deref().map(sluice_core::text::visible),
                ..a
            }),
            Err(why) => problems.push(format!(
                "the approvals ledger `{name}` has an entry `{}` that is not an approval ({why}); it is not counted",
                sluice_core::text::visible(&key)
            )),
        }
    }
    (approvals, problems)
}

/// Every approval of the namespace's ledgers, and their problems.
pub(super) fn read(rows: &[std::sync::Arc<LedgerRow>]) -> (Vec<LedgerApproval>, Vec<String>) {
    let mut approvals = Vec::new();
    let mut problems = Vec::new();
    for row in rows {
        approvals.extend(row.approvals.iter().cloned());
        problems.extend(row.problems.iter().cloned());
    }
    (approvals, problems)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn entries_are_read_one_by_one_and_a_bad_one_is_a_problem() {
        let good = r#"{"environment":"production","login":"alice\u001b[2J","version":"bbbbbbb","sha":null,"at":"2026-12-06T10:00:00Z"}"#;
        let forged = r#"{"environment":"staging","login":"carol","version":"bbbbbbb","at":"2026-12-06T10:00:00Z"}"#;
        let mut data = BTreeMap::new();
        data.insert("production".to_owned(), good.to_owned());
        data.insert("staging".to_owned(), forged.to_owned());
        data.insert("production.x".to_owned(), "not json".to_owned());
        data.insert("production.y".to_owned(), "x".repeat(MAX_ENTRY_BYTES + 1));
        let row = ledger_row(ConfigMap {
            metadata: kube::api::ObjectMeta {
                name: Some(sluice_core::quorum::ledger_name("alice\u{1b}[2J")),
                ..Default::default()
            },
            data: Some(data),
            ..Default::default()
        });
        assert_eq!(row.approvals.len(), 1);
        assert!(!row.approvals[0].login.contains('\u{1b}'));
        assert_eq!(row.problems.len(), 3, "{:?}", row.problems);
        assert!(row.problems.iter().all(|p| p.contains("not counted")));
        assert!(
            row.problems
                .iter()
                .any(|p| p.contains("approval by @carol"))
        );
    }
}
