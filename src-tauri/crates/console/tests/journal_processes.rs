//! The audit journal across processes: a writer killed with SIGKILL mid-stream, and several
//! processes appending at once. The children are this test binary re-invoked with
//! `SLUICE_JOURNAL_CHILD` set, running only [`child_appender`].
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sluice_console::journal::Journal;
use sluice_core::audit::{AuditAction, AuditEntry, AuditMethod, AuditResult};

const CHILD_PATH: &str = "SLUICE_JOURNAL_CHILD";
const CHILD_TAG: &str = "SLUICE_JOURNAL_CHILD_TAG";
/// How many entries to append; unset means forever (until killed).
const CHILD_COUNT: &str = "SLUICE_JOURNAL_CHILD_COUNT";

fn entry(id: String, comment_len: usize) -> AuditEntry {
    AuditEntry {
        correlation: id.clone(),
        id,
        at: sluice_console::journal::now(),
        actor: "release-bot".into(),
        environment: "production".into(),
        from_version: Some("abc1234".into()),
        to_version: Some("def5678".into()),
        method: AuditMethod::WorkflowDispatch,
        action: AuditAction::Promote,
        plan: None,
        gates: vec![],
        // Long lines make a kill during a write more likely.
        comment: Some("z".repeat(comment_len)),
        override_reason: None,
        result: AuditResult::Started,
        error: None,
        run_id: None,
        sha: None,
        shipped: None,
        revision: None,
        recorded_late: None,
    }
}

/// Not a test of its own: the body of a child process. Does nothing in a normal run.
#[test]
fn child_appender() {
    let Some(path) = std::env::var_os(CHILD_PATH) else {
        return;
    };
    let tag = std::env::var(CHILD_TAG).unwrap();
    let count: Option<usize> = std::env::var(CHILD_COUNT).ok().map(|c| c.parse().unwrap());
    let journal = Journal::open(path).unwrap();
    let mut i = 0usize;
    while count.is_none_or(|n| i < n) {
        journal
            .append(&entry(format!("{tag}-{i}"), 1000 + (i * 7919) % 60_000))
            .unwrap();
        i += 1;
    }
}

fn spawn_child(path: &Path, tag: &str, count: Option<usize>) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_appender", "--test-threads=1", "--quiet"])
        .env(CHILD_PATH, path)
        .env(CHILD_TAG, tag)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(n) = count {
        cmd.env(CHILD_COUNT, n.to_string());
    } else {
        cmd.env_remove(CHILD_COUNT);
    }
    cmd.spawn().unwrap()
}

fn newlines(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

#[test]
fn a_writer_killed_mid_stream_leaves_only_whole_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let mut expected_at_least = 0;
    for round in 0..3 {
        let mut child = spawn_child(&path, &format!("kill{round}"), None);
        let target = expected_at_least + 5 + round * 3;
        let deadline = Instant::now() + Duration::from_secs(60);
        while newlines(&path) < target {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the child exited early"
            );
            assert!(Instant::now() < deadline, "the child appended too slowly");
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL: no destructors, no flush.
        child.wait().unwrap();

        let journal = Journal::open(&path).unwrap();
        // Whatever the kill left after the last newline was set aside, never accepted.
        for p in journal.recovered() {
            assert!(p.set_aside.is_some(), "{p:?}");
        }
        let listing = journal.read().unwrap();
        assert!(listing.problems.is_empty(), "{:?}", listing.problems);
        assert_eq!(
            listing.entries.len(),
            newlines(&path),
            "every line verifies"
        );
        assert!(listing.entries.len() >= target);
        expected_at_least = listing.entries.len();
        // And the journal takes new entries.
        journal.append(&entry(format!("after{round}"), 10)).unwrap();
        expected_at_least += 1;
    }
}

#[test]
fn processes_appending_at_once_never_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit").join("journal.jsonl");
    let children: Vec<_> = (0..4)
        .map(|p| spawn_child(&path, &format!("p{p}"), Some(40)))
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let listing = Journal::open(&path).unwrap().read().unwrap();
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    assert_eq!(listing.entries.len(), 160);
    let ids: std::collections::HashSet<_> = listing.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), 160);
}
