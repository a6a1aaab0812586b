//! The environment's approvals ledger (the `sluice-approvals` ConfigMap), read as it arrives.
//! Anyone who may write ConfigMaps in the namespace may write it, so every entry is untrusted
//! input: each is parsed on its own, bounded, and a bad one is a problem, never a failure.

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
    let mut approvals = Vec::new();
    let mut problems = Vec::new();
    let data = map.data.unwrap_or_default();
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
    LedgerRow {
        name,
        approvals,
        problems,
    }
}

/// Every approval of the namespace's ledger, and the ledger's problems.
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
        let mut data = BTreeMap::new();
        data.insert("production.alice".to_owned(), good.to_owned());
        data.insert("production.x".to_owned(), "not json".to_owned());
        data.insert("production.y".to_owned(), "x".repeat(MAX_ENTRY_BYTES + 1));
        let row = ledger_row(ConfigMap {
            metadata: kube::api::ObjectMeta {
                name: Some("sluice-approvals".into()),
                ..Default::default()
            },
            data: Some(data),
            ..Default::default()
        });
        assert_eq!(row.approvals.len(), 1);
        assert!(!row.approvals[0].login.contains('\u{1b}'));
        assert_eq!(row.problems.len(), 2, "{:?}", row.problems);
        assert!(row.problems.iter().all(|p| p.contains("not counted")));
    }
}
