//! The audit journal: round trips, filters, exports, recovery from torn and corrupt lines,
//! concurrent appends from threads, and interrupted attempts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use sluice_console::cli::{AuditArgs, Cli, Command};
use sluice_console::journal::{self, AuditFilter, Journal, export};
use sluice_core::UiError;
use sluice_core::audit::{AuditAction, AuditEntry, AuditGate, AuditMethod, AuditPlan, AuditResult};
use sluice_core::snapshot::ImageChange;

fn entry(id: &str, at: &str, actor: &str, env: &str, result: AuditResult) -> AuditEntry {
    AuditEntry {
        id: id.into(),
        at: at.into(),
        correlation: id.into(),
        actor: actor.into(),
        environment: env.into(),
        from_version: Some("abc1234".into()),
        to_version: Some("def5678".into()),
        method: AuditMethod::Kubernetes,
        action: AuditAction::Promote,
        plan: Some(AuditPlan {
            commits: 3,
            pull_requests: vec![41, 42],
            images: vec![ImageChange {
                container: "api".into(),
                source_workload: "tbyte-staging-api".into(),
                workload: "api".into(),
                from: Some("ghcr.io/t/api:abc1234".into()),
                to: Some("ghcr.io/t/api:def5678".into()),
            }],
            chart: None,
            command: None,
        }),
        gates: vec![
            AuditGate {
                kind: "checks".into(),
                met: true,
                reason: "all 3 required checks passed".into(),
            },
            AuditGate {
                kind: "soak".into(),
                met: false,
                reason: "2h of 4h soaked".into(),
            },
        ],
        comment: Some("looks good".into()),
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

fn journal_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("audit").join("journal.jsonl")
}

fn append_raw(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

fn corrupt_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect()
}

#[test]
fn entries_round_trip_and_filters_select_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_path(&dir);
    let j = Journal::open(&path).unwrap();
    assert!(j.recovered().is_empty());
    let a = entry(
        "a",
        "2025-03-01T10:00:00Z",
        "Alice",
        "staging",
        AuditResult::Succeeded,
    );
    let b = entry(
        "b",
        "2025-03-01T11:00:00Z",
        "bob",
        "production",
        AuditResult::Refused,
    );
    let mut c = entry(
        "c",
        "2025-03-01T12:00:00Z",
        "alice",
        "production",
        AuditResult::Failed,
    );
    c.error = Some(UiError::new("kube.forbidden", "no", "ask for access"));
    c.comment = Some("multi\nline, \"quoted\"".into());
    for e in [&a, &b, &c] {
        j.append(e).unwrap();
    }

    // A second handle (another console) reads exactly what was written.
    let again = Journal::open(&path).unwrap();
    let all = again.read().unwrap();
    assert!(all.problems.is_empty(), "{:?}", all.problems);
    assert_eq!(all.entries, vec![a.clone(), b.clone(), c.clone()]);

    let newest_first = again.query(&AuditFilter::default()).unwrap().entries;
    let ids: Vec<_> = newest_first.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["c", "b", "a"]);

    let q = |f: AuditFilter| -> Vec<String> {
        again
            .query(&f)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(
        q(AuditFilter {
            environment: Some("production".into()),
            ..Default::default()
        }),
        ["c", "b"]
    );
    // Logins are case-insensitive.
    assert_eq!(
        q(AuditFilter {
            person: Some("ALICE".into()),
            ..Default::default()
        }),
        ["c", "a"]
    );
    assert_eq!(
        q(AuditFilter {
            result: Some(AuditResult::Refused),
            ..Default::default()
        }),
        ["b"]
    );
    assert_eq!(
        q(AuditFilter {
            since: Some("2025-03-01T11:00:00Z".parse().unwrap()),
            until: Some("2025-03-01T12:00:00Z".parse().unwrap()),
            ..Default::default()
        }),
        ["b"]
    );
}

#[test]
fn the_file_is_json_lines_each_with_a_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_path(&dir);
    let j = Journal::open(&path).unwrap();
    let mut e = entry(
        "x",
        "2025-03-01T10:00:00Z",
        "a",
        "dev",
        AuditResult::Started,
    );
    e.comment = Some("line one\nline two".into());
    j.append(&e).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
    // Version 2: chained. The first line follows nothing (all zeros).
    assert_eq!(v["v"], 2);
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(v["prev"], "0".repeat(64));
    assert_eq!(v["entry"]["comment"], "line one\nline two");
    // The next line carries the SHA-256 of this one.
    j.append(&e).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let (first, second) = text.split_once('\n').unwrap();
    let v: serde_json::Value = serde_json::from_str(second.trim_end()).unwrap();
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(first.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(v["prev"], hex);
}

#[test]
fn csv_export_quotes_per_rfc4180_and_defuses_formulas() {
    let mut e = entry(
        "a",
        "2025-03-01T10:00:00Z",
        "alice",
        "prod",
        AuditResult::Succeeded,
    );
    e.comment = Some("=HYPERLINK(\"http://evil\",\"x\")".into());
    e.override_reason = Some("freeze, but \"urgent\"\r\nhotfix".into());
    e.error = Some(UiError::new("c", "+1 then @SUM(A1)", "-rf"));
    let csv = export::to_csv(&[e]);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(
        lines[0].starts_with("at,id,correlation,actor,environment,from,to,method,action,result")
    );
    let row = &csv[csv.find("\r\n").unwrap() + 2..];
    assert!(
        row.contains(r#""'=HYPERLINK(""http://evil"",""x"")""#),
        "{row}"
    );
    assert!(
        row.contains("\"freeze, but \"\"urgent\"\"\r\nhotfix\""),
        "{row}"
    );
    assert!(row.contains(",'+1 then @SUM(A1),'-rf,,,\r\n"), "{row}");
    assert!(row.contains(",#41 #42,"), "{row}");
    assert!(row.contains("checks met: all 3 required checks passed; soak unmet: 2h of 4h soaked"));
    assert!(csv.ends_with("\r\n"));

    assert_eq!(export::defused("plain"), "plain");
    assert_eq!(export::defused("a,b"), "a,b");
    assert_eq!(export::defused("@cmd"), "'@cmd");
    assert_eq!(export::defused("-2+3"), "'-2+3");
    assert_eq!(export::defused("\t=1"), "'\t=1");
    assert_eq!(export::defused("a=b"), "a=b");
}

#[test]
fn json_export_round_trips() {
    let entries = vec![
        entry(
            "a",
            "2025-03-01T10:00:00Z",
            "alice",
            "prod",
            AuditResult::Started,
        ),
        entry(
            "b",
            "2025-03-01T10:01:00Z",
            "alice",
            "prod",
            AuditResult::Succeeded,
        ),
    ];
    let json = export::to_json(&entries);
    let back: Vec<AuditEntry> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, entries);
    assert!(json.contains("\"fromVersion\": \"abc1234\""), "{json}");
}

#[test]
fn a_torn_last_line_is_set_aside_and_committed_entries_survive() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_path(&dir);
    let a = entry(
        "a",
        "2025-03-01T10:00:00Z",
        "alice",
        "prod",
        AuditResult::Started,
    );
    let b = entry(
        "b",
        "2025-03-01T10:01:00Z",
        "alice",
        "prod",
        AuditResult::Succeeded,
    );
    {
        let j = Journal::open(&path).unwrap();
        j.append(&a).unwrap();
        j.append(&b).unwrap();
    }
    // The process died half way through writing a third line.
    let full = std::fs::read(&path).unwrap();
    let second_line = &full[full.iter().position(|&x| x == b'\n').unwrap() + 1..];
    let half = &second_line[..second_line.len() / 2];
    append_raw(&path, half);

    let j = Journal::open(&path).unwrap();
    let recovered = j.recovered();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert_eq!(recovered[0].line, 3);
    assert!(recovered[0].reason.contains("unfinished"), "{recovered:?}");
    let aside = recovered[0]
        .set_aside
        .clone()
        .expect("the half line was copied");
    assert_eq!(std::fs::read(&aside).unwrap(), half);
    assert_eq!(corrupt_files(path.parent().unwrap()).len(), 1);
    // The journal holds exactly the committed lines again.
    assert_eq!(std::fs::read(&path).unwrap(), full);

    let listing = j.read().unwrap();
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    assert_eq!(listing.entries, vec![a.clone(), b.clone()]);

    // New appends land on a line of their own.
    let c = entry(
        "c",
        "2025-03-01T10:02:00Z",
        "bob",
        "prod",
        AuditResult::Refused,
    );
    j.append(&c).unwrap();
    assert_eq!(j.read().unwrap().entries, vec![a, b, c]);
    assert!(Journal::open(&path).unwrap().recovered().is_empty());
}

#[test]
fn a_torn_line_left_by_another_process_is_cut_off_before_the_next_append() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_path(&dir);
    let j = Journal::open(&path).unwrap();
    let a = entry(
        "a",
        "2025-03-01T10:00:00Z",
        "alice",
        "prod",
        AuditResult::Started,
    );
    j.append(&a).unwrap();
    // Another console, already open, died mid-line.
    append_raw(
        &path,
        br#"{"v":1,"sha256":"0123456789abcdef","entry":{"id":"#,
    );
    let b = entry(
        "b",
        "2025-03-01T10:01:00Z",
        "alice",
        "prod",
        AuditResult::Failed,
    );
    j.append(&b).unwrap();
    let listing = j.read().unwrap();
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    assert_eq!(listing.entries, vec![a, b]);
    let recovered = j.recovered();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert!(recovered[0].set_aside.is_some());
}

#[test]
fn a_line_glued_to_a_fragment_is_still_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_path(&dir);
    let a = entry(
        "a",
        "2025-03-01T10:00:00Z",
        "alice",
        "prod",
        AuditResult::Started,
    );
    let b = entry(
        "b",
        "2025-03-01T10:01:00Z",
        "alice",
        "prod",
        AuditResult::Succeeded,
    );
    Journal::open(&path).unwrap().append(&a).unwrap();
    let mut glued = std::fs::read(&path).unwrap();
    glued.pop(); // "a" lost its newline: a fragment of a line...
    glued.truncate(glued.len() - 10);
    std::fs::write(&path, &glued).unwrap();
    // ...and a writer that did not check appended its complete line right after it.
    let other = tempfile::tempdir().unwrap();
    let scratch = Journal::open(journal_path(&other)).unwrap();
    scratch.append(&b).unwrap();
    append_raw(&path, &std::fs::read(scratch.path()).unwrap());

    let j = Journal::open(&path).unwrap();
    let listing = j.read().unwrap();
    assert_eq!(listing.entries, vec![b]);
    assert_eq!(listing.problems.len(), 1, "{:?}", listing.problems);
    assert!(listing.problems[0].reason.contains("entry was kept"));
}

#[test]
fn a_corrupt_line_in_the_middle_is_reported_and_the_others_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_path(&dir);
    let entries: Vec<_> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            entry(
                id,
                &format!("2025-03-01T10:0{i}:00Z"),
                "alice",
                "prod",
                AuditResult::Succeeded,
            )
        })
        .collect();
    {
        let j = Journal::open(&path).unwrap();
        for e in &entries {
            j.append(e).unwrap();
        }
    }
    // Flip one byte of the second entry's payload: still valid JSON, wrong checksum.
    let text = std::fs::read_to_string(&path).unwrap();
    let tampered = text.replacen("\"actor\":\"alice\"", "\"actor\":\"mallory\"", 2);
    let tampered = tampered.replacen("\"actor\":\"mallory\"", "\"actor\":\"alice\"", 1);
    assert_ne!(tampered, text);
    std::fs::write(&path, &tampered).unwrap();

    let j = Journal::open(&path).unwrap();
    let recovered = j.recovered();
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert_eq!(recovered[0].line, 2);
    assert_eq!(recovered[0].reason, "checksum mismatch");
    let listing = j.read().unwrap();
    assert_eq!(
        listing.entries,
        vec![entries[0].clone(), entries[2].clone()]
    );
    assert_eq!(listing.problems.len(), 1);
    // Nothing was rewritten: the evidence stays where it was.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), tampered);
    // Appends still work after it.
    j.append(&entries[1]).unwrap();
    assert_eq!(j.read().unwrap().entries.len(), 3);

    // Garbage lines are reported too, never a panic.
    append_raw(&path, b"not json at all\n\xff\xfe\n");
    let listing = Journal::open(&path).unwrap().read().unwrap();
    assert_eq!(listing.entries.len(), 3);
    assert_eq!(listing.problems.len(), 3, "{:?}", listing.problems);
}

#[test]
fn concurrent_appends_from_threads_are_all_present_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_path(&dir);
    let j = Arc::new(Journal::open(&path).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let j = Arc::clone(&j);
            // A second handle per thread pair: exercises the file lock as well as the mutex.
            let other = Journal::open(j.path()).unwrap();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let mut e = entry(
                        &format!("t{t}-{i}"),
                        "2025-03-01T10:00:00Z",
                        "alice",
                        "prod",
                        AuditResult::Started,
                    );
                    e.comment = Some("x".repeat(5000));
                    let journal = if i % 2 == 0 { &*j } else { &other };
                    journal.append(&e).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let listing = Journal::open(&path).unwrap().read().unwrap();
    assert!(listing.problems.is_empty(), "{:?}", listing.problems);
    assert_eq!(listing.entries.len(), 100);
    let ids: std::collections::HashSet<_> = listing.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), 100);
}

#[test]
fn interrupted_finds_started_attempts_without_an_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(journal_path(&dir)).unwrap();
    let done = entry(
        "s1",
        "2025-03-01T10:00:00Z",
        "alice",
        "prod",
        AuditResult::Started,
    );
    let killed = entry(
        "s2",
        "2025-03-01T10:05:00Z",
        "bob",
        "staging",
        AuditResult::Started,
    );
    j.append(&done).unwrap();
    j.append(&killed).unwrap();
    j.append(&done.outcome("o1", "2025-03-01T10:01:00Z", AuditResult::Succeeded, None))
        .unwrap();
    // A refusal that never started is not interrupted either.
    j.append(&entry(
        "r1",
        "2025-03-01T10:06:00Z",
        "eve",
        "prod",
        AuditResult::Refused,
    ))
    .unwrap();
    assert_eq!(j.interrupted().unwrap(), vec![killed.clone()]);

    let marked = killed.outcome(
        journal::new_id(),
        journal::now(),
        AuditResult::Interrupted,
        None,
    );
    j.append(&marked).unwrap();
    assert!(j.interrupted().unwrap().is_empty());
}

#[test]
fn new_ids_are_unique_and_now_is_rfc3339() {
    let ids: std::collections::HashSet<_> = (0..1000).map(|_| journal::new_id()).collect();
    assert_eq!(ids.len(), 1000);
    assert!(journal::now().parse::<jiff::Timestamp>().is_ok());
}

fn audit_args(argv: &[&str]) -> AuditArgs {
    let mut full = vec!["sluice", "audit"];
    full.extend_from_slice(argv);
    let cli = <Cli as clap::Parser>::try_parse_from(full).unwrap();
    match cli.command {
        Some(Command::Audit(args)) => args,
        other => panic!("{other:?}"),
    }
}

#[test]
fn sluice_audit_prints_a_table_json_or_csv_with_filters() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal_path(&dir);

    // No journal yet: nothing printed, nothing created.
    let (out, warnings) =
        sluice_console::cli::render_audit(&audit_args(&[]), path.clone()).unwrap();
    assert_eq!(out, "No audit entries.\n");
    assert!(warnings.is_empty());
    assert!(!path.exists());

    let j = Journal::open(&path).unwrap();
    let started = entry(
        "s",
        "2025-03-01T10:00:00Z",
        "alice",
        "production",
        AuditResult::Started,
    );
    j.append(&started).unwrap();
    j.append(&entry(
        "r",
        "2025-03-01T10:01:00Z",
        "bob",
        "staging",
        AuditResult::Refused,
    ))
    .unwrap();
    append_raw(&path, b"{\"v\":1,\"sha");

    let (out, warnings) =
        sluice_console::cli::render_audit(&audit_args(&[]), path.clone()).unwrap();
    assert!(out.starts_with("AT "), "{out}");
    assert!(out.contains("started (no outcome)"), "{out}");
    assert!(out.contains("abc1234 → def5678"), "{out}");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("copied to"), "{warnings:?}");

    let (out, _) = sluice_console::cli::render_audit(
        &audit_args(&["--json", "--environment", "production"]),
        path.clone(),
    )
    .unwrap();
    let v: Vec<AuditEntry> = serde_json::from_str(&out).unwrap();
    assert_eq!(v, vec![started]);

    let (out, _) = sluice_console::cli::render_audit(
        &audit_args(&["--csv", "--person", "BOB", "--result", "refused"]),
        path.clone(),
    )
    .unwrap();
    assert_eq!(out.matches("\r\n").count(), 2, "{out}");
    assert!(out.contains(",r,r,bob,staging,"), "{out}");

    assert!(
        <Cli as clap::Parser>::try_parse_from(["sluice", "audit", "--result", "bogus"]).is_err()
    );
    assert!(<Cli as clap::Parser>::try_parse_from(["sluice", "audit", "--json", "--csv"]).is_err());
}
