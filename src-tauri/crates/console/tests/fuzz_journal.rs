#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The journal file is read back after crashes, disk faults and hands that edit it: whatever it
//! holds, reading and verifying it never panic, and no change to a valid journal yields an entry
//! that was not written or passes as untouched. A short run by default; PROPTEST_CASES=N for a
//! long one.

use std::path::Path;

use proptest::prelude::*;
use sluice_console::journal::{Anchor, Journal};
use sluice_core::audit::{AuditAction, AuditEntry, AuditMethod, AuditResult};

/// A short budget in `cargo test`; PROPTEST_CASES (which the default config reads) for more.
fn budget(short: u32) -> ProptestConfig {
    let config = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_some() {
        config
    } else {
        ProptestConfig {
            cases: short,
            ..config
        }
    }
}

fn entry(id: &str, actor: &str, comment: &str) -> AuditEntry {
    AuditEntry {
        id: id.into(),
        at: "2026-03-01T10:00:00Z".into(),
        correlation: id.into(),
        actor: actor.into(),
        environment: "production".into(),
        from_version: Some("abc1234".into()),
        to_version: Some("def5678".into()),
        method: AuditMethod::Kubernetes,
        action: AuditAction::Promote,
        plan: None,
        gates: vec![],
        comment: Some(comment.into()),
        override_reason: None,
        result: AuditResult::Succeeded,
        error: None,
        run_id: None,
        sha: None,
        shipped: None,
        revision: None,
        recorded_late: None,
    }
}

/// A valid journal of three entries, and the entries.
fn valid() -> &'static (Vec<u8>, Vec<AuditEntry>) {
    static VALID: std::sync::OnceLock<(Vec<u8>, Vec<AuditEntry>)> = std::sync::OnceLock::new();
    VALID.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let j = Journal::open(&path).unwrap();
        let entries = vec![
            entry("a", "alice", "first"),
            entry("b", "bob", "multi\nline \"quoted\" {\"v\":2,"),
            entry("c", "alice", "last"),
        ];
        for e in &entries {
            j.append(e).unwrap();
        }
        (std::fs::read(&path).unwrap(), entries)
    })
}

/// Reads and verifies `bytes` as a journal, to read only (so nothing is repaired in between).
fn read(dir: &Path, bytes: &[u8]) -> (Vec<AuditEntry>, usize, bool) {
    let path = dir.join("journal.jsonl");
    std::fs::write(&path, bytes).unwrap();
    let j = Journal::open_read_only(&path, Anchor::none()).unwrap();
    let listing = j.read().unwrap();
    let report = j.verify().unwrap();
    (listing.entries, listing.problems.len(), report.holds())
}

/// Bytes shaped like records: record starts, hex, JSON punctuation and newlines among noise.
fn record_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(br#"{"v":2,"prev":""#.to_vec()),
        Just(br#"{"v":1,"sha256":""#.to_vec()),
        Just(br#"","sha256":""#.to_vec()),
        Just(br#"","entry":"#.to_vec()),
        Just(b"0".repeat(64)),
        Just(b"0123456789abcdef".to_vec()),
        Just(br#"{"id":"x"}"#.to_vec()),
        Just(b"}\n".to_vec()),
        Just(b"\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    /// Replace the bytes from `.0` (`.1` long) with `.2`.
    Splice(usize, usize, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, x)| Mutation::Flip(at, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (
            any::<usize>(),
            0..64usize,
            proptest::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(at, len, with)| Mutation::Splice(at, len, with)),
    ]
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let n = out.len();
    if n == 0 {
        return out;
    }
    match m {
        Mutation::Flip(at, x) => out[at % n] ^= x,
        Mutation::Insert(at, b) => out.insert(at % (n + 1), *b),
        Mutation::Delete(at) => {
            out.remove(at % n);
        }
        Mutation::Splice(at, len, with) => {
            let at = at % n;
            let end = (at + len).min(n);
            out.splice(at..end, with.iter().copied());
        }
    }
    out
}

proptest! {
    #![proptest_config(budget(64))]

    #[test]
    fn arbitrary_bytes_never_panic_nor_yield_an_entry(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..4096),
        record_like(),
    ]) {
        let dir = tempfile::tempdir().unwrap();
        let (entries, _, _) = read(dir.path(), &bytes);
        prop_assert!(entries.is_empty(), "{entries:?}");
    }

    #[test]
    fn a_changed_journal_never_passes_as_written(
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let (original, written) = valid();
        let mut bytes = original.clone();
        for m in &mutations {
            bytes = apply(&bytes, m);
        }
        // Only lines cut off the end look untouched without an anchored head (the keychain
        // tests cover that case).
        let cut_at_a_line_end = original.starts_with(&bytes)
            && (bytes.is_empty() || bytes.ends_with(b"\n"));
        prop_assume!(bytes != *original && !cut_at_a_line_end);
        let dir = tempfile::tempdir().unwrap();
        let (entries, problems, holds) = read(dir.path(), &bytes);
        for e in &entries {
            prop_assert!(written.contains(e), "an entry never written: {e:?}");
        }
        prop_assert!(
            problems > 0 || !holds,
            "a changed journal passed as written: {:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}
