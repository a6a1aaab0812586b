//! The journal as evidence: a removed, forged or moved line breaks the chain at a line number;
//! old unchained lines still read; a read-only journal lists; a hostile file is scanned in linear
//! time with a bounded report; the files are private.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sluice_console::cli::{AuditArgs, Cli, Command};
use sluice_console::journal::{Anchor, Journal};
use sluice_core::audit::{AuditAction, AuditEntry, AuditMethod, AuditResult, ChainHead};

fn entry(id: &str, actor: &str, result: AuditResult) -> AuditEntry {
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
        comment: None,
        override_reason: None,
        result,
        error: None,
        run_id: None,
        sha: None,
        shipped: None,
        revision: None,
        recorded_late: None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A journal of `n` entries `e1`…`en`, and its path.
fn journal_of(dir: &tempfile::TempDir, n: usize) -> PathBuf {
    let path = dir.path().join("audit").join("journal.jsonl");
    let j = Journal::open(&path).unwrap();
    for i in 1..=n {
        j.append(&entry(&format!("e{i}"), "alice", AuditResult::Succeeded))
            .unwrap();
    }
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

/// What a forger who knows the format writes: `line` with its entry replaced by `entry` and its
/// own checksum recomputed, keeping its `prev`.
fn forge(line: &str, entry: &AuditEntry) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let prev = v["prev"].as_str().unwrap();
    let payload = serde_json::to_string(entry).unwrap();
    let sum = hex(&Sha256::new()
        .chain_update(prev.as_bytes())
        .chain_update(payload.as_bytes())
        .finalize());
    format!(r#"{{"v":2,"prev":"{prev}","sha256":"{sum}","entry":{payload}}}"#)
}

fn break_lines(path: &Path) -> Vec<u32> {
    let report = Journal::open(path).unwrap().verify().unwrap();
    report.breaks.iter().map(|b| b.line).collect()
}

#[test]
fn an_untouched_journal_holds_and_says_its_head_is_not_anchored_without_a_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_of(&dir, 4);
    let report = Journal::open(&path).unwrap().verify().unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!((report.lines, report.chained, report.legacy), (4, 4, 0));
    assert!(
        matches!(&report.head, ChainHead::NotAnchored { reason } if reason.contains("no keychain")),
        "{report:?}"
    );
    // Which is why cutting lines off the end cannot be seen without one.
    let mut all = lines(&path);
    all.truncate(2);
    write_lines(&path, &all);
    assert!(Journal::open(&path).unwrap().verify().unwrap().holds());
}

#[test]
fn a_removed_middle_line_breaks_the_chain_at_the_line_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_of(&dir, 5);
    let mut all = lines(&path);
    all.remove(2); // e3
    write_lines(&path, &all);
    let report = Journal::open(&path).unwrap().verify().unwrap();
    assert!(!report.holds());
    assert_eq!(break_lines(&path), [3], "{report:?}");
    assert!(
        report.breaks[0]
            .reason
            .contains("the line it was written after is not in the journal"),
        "{report:?}"
    );
    assert!(report.breaks[0].hint.contains("evidence"), "{report:?}");
    // The entries still list: the chain is evidence, not a filter.
    assert_eq!(
        Journal::open(&path).unwrap().read().unwrap().entries.len(),
        4
    );
}

#[test]
fn a_forged_entry_with_a_recomputed_checksum_lists_but_breaks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_of(&dir, 4);
    let mut all = lines(&path);
    all[1] = forge(&all[1], &entry("e2", "carol-lead", AuditResult::Succeeded));
    write_lines(&path, &all);
    // Its own checksum holds, so it is listed as carol-lead's...
    let listing = Journal::open(&path).unwrap().read().unwrap();
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    assert_eq!(listing.entries[1].actor, "carol-lead");
    // ...but the line after it was written after another line 2.
    assert_eq!(break_lines(&path), [3]);
}

#[test]
fn moved_lines_break_the_chain_where_they_landed() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_of(&dir, 4);
    let mut all = lines(&path);
    all.swap(1, 2); // e1 e3 e2 e4
    write_lines(&path, &all);
    let report = Journal::open(&path).unwrap().verify().unwrap();
    assert_eq!(break_lines(&path), [2, 3, 4], "{report:?}");
    // e2, now line 3, says it follows line 1.
    assert!(
        report.breaks[1]
            .reason
            .contains("written after line 1, not after line 2"),
        "{report:?}"
    );
    // A line that claims to be the first, put after others.
    let dir = tempfile::tempdir().unwrap();
    let path = journal_of(&dir, 2);
    let mut all = lines(&path);
    all.rotate_left(1); // e2 e1
    write_lines(&path, &all);
    let report = Journal::open(&path).unwrap().verify().unwrap();
    assert_eq!(break_lines(&path), [1, 2]);
    assert!(
        report.breaks[1].reason.contains("journal's first line"),
        "{report:?}"
    );
}

/// A version 1 line: what Sluice wrote before the chain.
fn v1_line(entry: &AuditEntry) -> String {
    let payload = serde_json::to_string(entry).unwrap();
    let sum = hex(&Sha256::digest(payload.as_bytes())[..8]);
    format!(r#"{{"v":1,"sha256":"{sum}","entry":{payload}}}"#)
}

#[test]
fn old_unchained_lines_still_read_and_new_lines_chain_onto_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let old = [
        entry("o1", "alice", AuditResult::Started),
        entry("o2", "alice", AuditResult::Succeeded),
    ];
    write_lines(&path, &old.iter().map(v1_line).collect::<Vec<_>>());
    let j = Journal::open(&path).unwrap();
    assert!(j.recovered().is_empty(), "{:?}", j.recovered());
    j.append(&entry("n1", "bob", AuditResult::Refused)).unwrap();
    let listing = j.read().unwrap();
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    let ids: Vec<_> = listing.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["o1", "o2", "n1"]);
    let report = j.verify().unwrap();
    assert!(report.holds(), "{report:?}");
    assert_eq!((report.lines, report.chained, report.legacy), (3, 1, 2));
    // The new line is chained to the old one before it: removing that one is seen.
    let mut all = lines(&path);
    all.remove(1);
    write_lines(&path, &all);
    assert_eq!(break_lines(&path), [2]);
    // An old-format line slipped in after the chain began is a break, not a legacy line.
    let dir = tempfile::tempdir().unwrap();
    let path = journal_of(&dir, 2);
    let mut all = lines(&path);
    all.push(v1_line(&entry("x", "mallory", AuditResult::Succeeded)));
    write_lines(&path, &all);
    let report = Journal::open(&path).unwrap().verify().unwrap();
    assert_eq!(break_lines(&path), [3], "{report:?}");
    assert!(report.breaks[0].reason.contains("version 1"), "{report:?}");
}

fn audit_args(argv: &[&str]) -> AuditArgs {
    let mut full = vec!["sluice", "audit"];
    full.extend_from_slice(argv);
    match <Cli as clap::Parser>::try_parse_from(full).unwrap().command {
        Some(Command::Audit(args)) => args,
        other => panic!("{other:?}"),
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_journal_lists_and_verifies_without_being_changed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = journal_of(&dir, 2);
    // An unfinished last line, which a writer would cut off and set aside.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"v":2,"prev":"00"#);
    std::fs::write(&path, &bytes).unwrap();
    let folder = path.parent().unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o555)).unwrap();

    let (out, warnings) =
        sluice_console::cli::render_audit(&audit_args(&["--json"]), path.clone()).unwrap();
    let listed: Vec<AuditEntry> = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("unfinished last line"), "{warnings:?}");
    assert!(!warnings[0].contains("copied to"), "{warnings:?}");
    let report = Journal::open_to_read(&path, Anchor::none())
        .unwrap()
        .verify()
        .unwrap();
    assert!(report.holds(), "{report:?}");
    // Nothing was cut, set aside or tightened.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(std::fs::read_dir(folder).unwrap().count(), 1);
    // Appending is refused, saying why.
    let j = Journal::open_to_read(&path, Anchor::none()).unwrap();
    assert!(!j.is_writable());
    let e = j
        .append(&entry("x", "alice", AuditResult::Started))
        .unwrap_err();
    assert!(e.to_string().contains("read only"), "{e}");
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A record start followed by a well-formed version 1 header, which made the old resync hash the
/// rest of the line once per copy.
const HEADER: &str = r#"{"v":1,"sha256":"0123456789abcdef","entry":"#;

#[test]
fn a_line_full_of_record_starts_is_scanned_once_and_a_glued_entry_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    // 4 MiB of headers (~95 000 of them; resyncing at each, as before, is some 200 GB of
    // hashing), then a whole entry glued to them.
    let junk = HEADER.repeat(4 * 1024 * 1024 / HEADER.len());
    let real = v1_line(&entry("real", "alice", AuditResult::Succeeded));
    std::fs::write(&path, format!("{junk}{real}\n{junk}\n")).unwrap();
    let listing = Journal::open(&path).unwrap().read().unwrap();
    let ids: Vec<_> = listing.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["real"]);
    let lines: Vec<u32> = listing.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 2], "{:?}", listing.problems);
    assert!(listing.problems[0].reason.contains("entry was kept"));
}

/// A log writer that counts lines.
#[derive(Clone, Default)]
struct Lines(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.iter().filter(|&&b| b == b'\n').count();
        self.0.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_garbage_file_gives_a_bounded_report_and_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let mut garbage = "garbage\n".repeat(200_000);
    garbage.push_str("torn");
    std::fs::write(&path, garbage).unwrap();
    let logged = Lines::default();
    let writer = logged.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .finish();
    let j = tracing::subscriber::with_default(subscriber, || Journal::open(&path).unwrap());
    let logged = logged.0.load(std::sync::atomic::Ordering::Relaxed);
    assert!(logged <= 12, "{logged} log lines");
    // Recovered: the first 50, one line for the rest, and the torn tail set aside.
    let recovered = j.recovered();
    assert_eq!(recovered.len(), 52, "{:?}", &recovered[..3]);
    assert_eq!(recovered[50].line, 51);
    assert_eq!(
        recovered[50].reason,
        "199950 more lines from here on do not verify (not listed)"
    );
    assert!(recovered[51].set_aside.is_some());
    let listing = j.read().unwrap();
    assert_eq!(listing.problems.len(), 51);
    let report = j.verify().unwrap();
    assert_eq!(report.breaks.len(), 50);
    assert_eq!(report.more_breaks, 199_950);
    assert!(!report.holds());
}

#[cfg(unix)]
#[test]
fn the_journal_is_private_and_a_loose_one_is_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new").join("audit").join("journal.jsonl");
    let j = Journal::open(&path).unwrap();
    j.append(&entry("a", "alice", AuditResult::Started))
        .unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    drop(j);
    // A journal left readable by all (an older version, a copy) is made private when opened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let j = Journal::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    // What is set aside is as private as the journal.
    drop(j);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, b"{\"v\":2,").unwrap();
    let j = Journal::open(&path).unwrap();
    let aside = j.recovered()[0].set_aside.clone().unwrap();
    assert_eq!(mode(Path::new(&aside)), 0o600);
}
