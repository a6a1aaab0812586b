use super::*;
use crate::audit::AuditGate;
use crate::snapshot::ImageChange;

const HOSTILE: &str =
    "ship it </style><script>alert('x')</script><img src=https://evil.example/p.png> & \"more\"";

fn started() -> AuditEntry {
    AuditEntry {
        id: "a1".into(),
        at: "2026-03-01T10:00:00Z".into(),
        correlation: "a1".into(),
        actor: "alice-approver".into(),
        environment: "production".into(),
        from_version: Some("aaa1111".into()),
        to_version: Some("bbb2222".into()),
        method: AuditMethod::Helm,
        action: AuditAction::Promote,
        plan: Some(AuditPlan {
            commits: 2,
            pull_requests: vec![7],
            images: vec![ImageChange {
                workload: "tbyte-prod-api".into(),
                container: "api".into(),
                source_workload: "tbyte-staging-api".into(),
                from: Some("registry/api:aaa1111".into()),
                to: Some("registry/api:bbb2222".into()),
            }],
            chart: Some("tbyte-1.0.0".into()),
            command: Some("helm upgrade tbyte-prod".into()),
        }),
        gates: vec![AuditGate {
            kind: "checks".into(),
            met: true,
            reason: "build and test passed".into(),
        }],
        comment: Some(HOSTILE.into()),
        override_reason: None,
        result: AuditResult::Started,
        error: None,
        run_id: None,
        sha: Some("bbb2222".repeat(5) + "bbbbb"),
        shipped: None,
        revision: None,
        recorded_late: None,
    }
}

fn attempt() -> Vec<AuditEntry> {
    let start = started();
    let mut done = start.outcome("a2", "2026-03-01T10:02:00Z", AuditResult::Succeeded, None);
    done.shipped = Some("bbb2222".into());
    done.revision = Some(8);
    vec![start, done]
}

fn record_text() -> String {
    let events = [
        RecordEvent::Started {
            at: "2026-03-01T10:00:00Z".into(),
            correlation: "a1".into(),
            environment: "production".into(),
            review: None,
            helm_release: Some("tbyte-prod".into()),
            helm_before: Some(7),
        },
        RecordEvent::Line {
            at: "2026-03-01T10:00:05Z".into(),
            line: "Release \"tbyte-prod\" has been upgraded.".into(),
            source: TimelineSource::Sluice,
        },
        RecordEvent::Verified(VerificationResult {
            at: "2026-03-01T10:01:59Z".into(),
            for_seconds: 60,
            held: true,
            reason: None,
        }),
        RecordEvent::Ended {
            at: "2026-03-01T10:02:00Z".into(),
            lines_left_out: 3,
        },
    ];
    events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect()
}

fn sealed() -> Sealed {
    let record = AttemptRecord::parse(&record_text());
    seal(build(&attempt(), Some(&record), "2026-03-02T09:00:00Z").unwrap())
}

#[test]
fn the_evidence_names_the_attempt_its_record_and_what_it_lacks() {
    let e = sealed().evidence;
    assert_eq!(e.correlation, "a1");
    assert_eq!(e.result, AuditResult::Succeeded);
    assert_eq!(e.shipped.as_deref(), Some("bbb2222"));
    assert_eq!(e.ended_at.as_deref(), Some("2026-03-01T10:02:00Z"));
    assert_eq!(
        e.helm,
        Some(HelmRevisions {
            release: Some("tbyte-prod".into()),
            before: Some(7),
            after: Some(8)
        })
    );
    assert_eq!(e.decisions[0].comment.as_deref(), Some(HOSTILE));
    assert_eq!(e.timeline.len(), 1);
    assert_eq!(e.timeline_left_out, 3);
    assert!(e.verification.as_ref().is_some_and(|v| v.held));
    assert!(e.review.is_none());
    assert!(e.missing.is_empty(), "{:?}", e.missing);

    // No record: said, not guessed.
    let bare = build(&attempt(), None, "now").unwrap();
    assert_eq!(bare.missing.len(), 1, "{:?}", bare.missing);
    assert!(bare.missing[0].contains("no attempt record"));
    assert_eq!(bare.helm.as_ref().and_then(|h| h.after), Some(8));
    assert!(build(&[], None, "now").is_none());
}

#[test]
fn a_damaged_record_loses_only_its_damaged_lines_and_says_so() {
    let mut text = record_text();
    let lines: Vec<&str> = text.lines().collect();
    text = format!(
        "{}\n{{\"event\":\"line\",\"at\n{}\n{}",
        lines[0], lines[1], "{\"event\":\"ended\""
    );
    let record = AttemptRecord::parse(&text);
    assert_eq!(record.lines.len(), 1);
    assert_eq!(record.helm_before, Some(7));
    assert!(!record.ended);
    assert_eq!(record.problems.len(), 2, "{:?}", record.problems);
    assert!(record.problems[0].starts_with("line 2 "));
    assert!(record.problems[1].contains("line 4 of the attempt record is unfinished"));
    let e = build(&attempt(), Some(&record), "now").unwrap();
    assert!(
        e.missing.iter().any(|m| m.contains("was not closed")),
        "{:?}",
        e.missing
    );
    assert!(
        e.missing.iter().any(|m| m.starts_with("line 2 ")),
        "{:?}",
        e.missing
    );
}

#[test]
fn a_hostile_comment_is_text_in_the_page_never_markup() {
    let page = html::render(&sealed());
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert_eq!(tags_loading_anything(&page), Vec::<String>::new());
    assert_eq!(page.matches("</style>").count(), 1, "only the page's own");
    assert!(page.contains(
        "ship it &lt;/style&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;img src=https://evil.example/p.png&gt; &amp; &quot;more&quot;"
    ));
    assert!(page.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    ));
    // A bidirectional override cannot reorder what the reader sees.
    let mut entries = attempt();
    entries[0].comment = Some("ok \u{202E}evil".into());
    let page = html::render(&seal(build(&entries, None, "now").unwrap()));
    assert!(page.contains("ok \\u{202e}evil"), "{page}");
}

#[test]
fn escaping_round_trips_and_refuses_foreign_entities() {
    assert_eq!(
        unescape_for_test(&html::escape(HOSTILE)),
        Some(HOSTILE.to_owned())
    );
    assert_eq!(unescape_for_test("a &nbsp; b"), None);
}

fn unescape_for_test(text: &str) -> Option<String> {
    let page = format!(
        "<meta name=\"sluice-evidence-sha256\" content=\"x\"><pre id=\"sluice-evidence-content\">{text}</pre>"
    );
    html::embedded(&page).map(|(_, c)| c)
}

#[test]
fn both_files_verify_and_one_changed_byte_does_not() {
    let sealed = sealed();
    assert_eq!(sealed.sha256, sha256_hex(&sealed.content));
    assert_eq!(sealed.sha256.len(), 64);
    let page = html::render(&sealed);
    let json = to_json_file(&sealed);
    for file in [&page, &json] {
        let ok = verify(file).unwrap();
        assert_eq!(ok.sha256, sealed.sha256);
        assert_eq!(ok.evidence, sealed.evidence);
    }
    // One byte of the content: the shipped version.
    let was = "\"shipped\":\"bbb2222\"";
    let now = "\"shipped\":\"bbb2223\"";
    for (file, was, now) in [
        (&page, html::escape(was), html::escape(now)),
        (&json, was.to_owned(), now.to_owned()),
    ] {
        let changed = file.replacen(&was, &now, 1);
        assert_ne!(&changed, file);
        assert!(
            matches!(verify(&changed), Err(VerifyError::HashMismatch { .. })),
            "{:?}",
            verify(&changed)
        );
    }
    // One byte of the page outside the content: what the reader sees.
    let changed = page.replacen("<td>@alice-approver</td>", "<td>@alice-approves</td>", 1);
    assert_ne!(changed, page);
    assert_eq!(verify(&changed).unwrap_err(), VerifyError::Altered);
    // The stated hash replaced by that of a forged content: the page no longer renders so.
    let forged = sealed.content.replace("alice-approver", "mallory-approver");
    let forged_page = page
        .replace(&sealed.sha256, &sha256_hex(&forged))
        .replace(&html::escape(&sealed.content), &html::escape(&forged));
    assert_eq!(verify(&forged_page).unwrap_err(), VerifyError::Altered);
    assert!(matches!(verify("hello"), Err(VerifyError::NotEvidence(_))));
    assert!(matches!(
        verify("{\"a\":1}"),
        Err(VerifyError::NotEvidence(_))
    ));
}

#[test]
fn canonical_json_sorts_keys_at_every_depth() {
    let v = serde_json::json!({"b": [{"z": 1, "a": "é"}], "a": null});
    assert_eq!(canonical(&v), "{\"a\":null,\"b\":[{\"a\":\"é\",\"z\":1}]}");
}

/// Every tag of `page` with an attribute that makes a browser fetch or navigate. Values are
/// escaped, so every `<` in the page opens one of its own tags.
pub(crate) fn tags_loading_anything(page: &str) -> Vec<String> {
    page.split('<')
        .skip(1)
        .filter_map(|t| t.split('>').next())
        .map(str::to_lowercase)
        .filter(|t| {
            t.starts_with("link")
                || t.starts_with("img")
                || t.starts_with("iframe")
                || t.starts_with("object")
                || t.starts_with("embed")
                || [" src=", " href=", " action=", " srcset=", "url("]
                    .iter()
                    .any(|a| t.contains(a))
        })
        .collect()
}

#[test]
fn the_journal_check_is_part_of_the_evidence_and_a_break_is_said() {
    use crate::audit::{ChainBreak, ChainHead, ChainReport};
    let report = |breaks: Vec<ChainBreak>, head: ChainHead| ChainReport {
        lines: 2,
        chained: 2,
        legacy: 0,
        head,
        breaks,
        more_breaks: 0,
    };
    let intact = build(&attempt(), None, "now")
        .unwrap()
        .checked(&report(vec![], ChainHead::Anchored { line: Some(2) }));
    assert_eq!(
        intact.journal,
        Some(JournalCheck {
            holds: true,
            lines: 2,
            breaks: 0,
            not_anchored: None
        })
    );
    assert_eq!(
        intact.missing.len(),
        1,
        "only the record: {:?}",
        intact.missing
    );
    let page = html::render(&seal(intact));
    assert!(page.contains("its chain held at export</span> (2 lines); its head is anchored"));

    let broken = build(&attempt(), None, "now").unwrap().checked(&report(
        vec![ChainBreak {
            line: 2,
            reason: "changed".into(),
            hint: "look".into(),
        }],
        ChainHead::NotAnchored {
            reason: "no keychain".into(),
        },
    ));
    let check = broken.journal.clone().unwrap();
    assert!(!check.holds && check.breaks == 1);
    assert_eq!(check.not_anchored.as_deref(), Some("no keychain"));
    assert!(
        broken.missing.iter().any(|m| m.contains("did not hold")),
        "{:?}",
        broken.missing
    );
    let sealed = seal(broken);
    assert!(verify(&html::render(&sealed)).is_ok());
}
