//! The evidence as one self-contained HTML page: inline CSS, no script, nothing fetched (a
//! Content-Security-Policy of `default-src 'none'` says so to the browser too), every value
//! escaped. Pull request URLs are shown as text, not links: the page reaches nothing.
//!
//! The page carries its canonical content, escaped, in `<pre id="sluice-evidence-content">`
//! and its hash in `<meta name="sluice-evidence-sha256">`; verifying renders the page again
//! from that content and compares.

use std::fmt::Write as _;

use super::{Evidence, Sealed};
use crate::audit::{AuditAction, AuditResult};
use crate::text::visible;

const CONTENT_OPEN: &str = "<pre id=\"sluice-evidence-content\">";
const CONTENT_CLOSE: &str = "</pre>";
const HASH_META: &str = "<meta name=\"sluice-evidence-sha256\" content=\"";

/// `text` safe in HTML text and in a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The inverse of [`escape`] (only what it writes); `None` for any other `&`.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (entity, c) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
            ("&#39;", '\''),
        ]
        .into_iter()
        .find(|(e, _)| rest.starts_with(e))?;
        out.push(c);
        rest = &rest[entity.len()..];
    }
    out.push_str(rest);
    Some(out)
}

/// A value shown to the reader: controls and bidirectional overrides made visible, escaped.
fn shown(text: &str) -> String {
    escape(&visible(text))
}

fn opt(text: Option<&str>) -> String {
    text.map_or_else(|| "<span class=\"none\">none</span>".to_owned(), shown)
}

/// The hash the page states and the content it carries, unescaped.
pub fn embedded(page: &str) -> Option<(String, String)> {
    let meta = page.find(HASH_META)? + HASH_META.len();
    let hash = &page[meta..meta + page[meta..].find('"')?];
    let open = page.find(CONTENT_OPEN)? + CONTENT_OPEN.len();
    let close = open + page[open..].find(CONTENT_CLOSE)?;
    Some((hash.to_owned(), unescape(&page[open..close])?))
}

const STYLE: &str = "
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--code:#151b23}}
body{margin:0 auto;max-width:980px;padding:24px;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}
h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.1rem;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600;white-space:nowrap}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:var(--code);padding:10px;border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere}
.lead{color:var(--muted);margin:0}.none{color:var(--muted);font-style:italic}
.met,.succeeded{color:var(--ok);font-weight:600}.unmet,.failed,.refused{color:var(--bad);font-weight:600}.started,.interrupted{color:var(--warn);font-weight:600}
.missing{border:1px solid var(--warn);border-radius:6px;padding:8px 12px}
.hash{overflow-wrap:anywhere}
";

/// The page.
pub fn render(sealed: &Sealed) -> String {
    let e = &sealed.evidence;
    let mut out = String::new();
    let title = format!(
        "{} {} into {} — {}",
        e.action.as_str(),
        e.to_version.as_deref().unwrap_or("(no version)"),
        e.environment,
        e.result.as_str()
    );
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    let _ = writeln!(out, "{HASH_META}{}\">", sealed.sha256);
    let _ = writeln!(out, "<title>Sluice evidence: {}</title>", shown(&title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(
        out,
        "<h1>Evidence: {}</h1>\n<p class=\"lead\">Attempt <code>{}</code>, exported {} by Sluice.</p>",
        shown(&title),
        shown(&e.correlation),
        shown(&e.exported_at)
    );
    summary(&mut out, e);
    if !e.missing.is_empty() {
        out.push_str("<h2>What this evidence lacks</h2>\n<div class=\"missing\"><ul>\n");
        for m in &e.missing {
            let _ = writeln!(out, "<li>{}</li>", shown(m));
        }
        out.push_str("</ul></div>\n");
    }
    decisions(&mut out, e);
    gates(&mut out, e);
    review(&mut out, e);
    verification(&mut out, e);
    timeline(&mut out, e);
    entries(&mut out, e);
    integrity(&mut out, sealed);
    out.push_str("</body>\n</html>\n");
    out
}

fn row(out: &mut String, head: &str, cell: &str) {
    let _ = writeln!(out, "<tr><th>{head}</th><td>{cell}</td></tr>");
}

fn result_class(result: AuditResult) -> &'static str {
    result.as_str()
}

fn summary(out: &mut String, e: &Evidence) {
    out.push_str("<h2>Summary</h2>\n<table>\n");
    row(
        out,
        "Result",
        &format!(
            "<span class=\"{}\">{}</span>",
            result_class(e.result),
            e.result.as_str()
        ),
    );
    row(out, "Environment", &shown(&e.environment));
    row(out, "Method", e.method.as_str());
    row(out, "Action", e.action.as_str());
    row(out, "By", &format!("@{}", shown(&e.actor)));
    row(
        out,
        "Change",
        &format!(
            "{} → {}",
            opt(e.from_version.as_deref()),
            opt(e.to_version.as_deref())
        ),
    );
    row(
        out,
        "Commit",
        &format!("<span class=\"mono\">{}</span>", opt(e.sha.as_deref())),
    );
    if let Some(run) = e.run_id {
        row(out, "Deploy run", &run.to_string());
    }
    row(out, "Shipped", &opt(e.shipped.as_deref()));
    row(out, "Started", &shown(&e.started_at));
    row(out, "Ended", &opt(e.ended_at.as_deref()));
    if let Some(h) = &e.helm {
        let rev = |r: Option<u32>| r.map_or_else(|| opt(None), |r| r.to_string());
        row(
            out,
            "Helm revision",
            &format!(
                "{}{} → {}",
                h.release
                    .as_deref()
                    .map(|r| format!("{} ", shown(r)))
                    .unwrap_or_default(),
                rev(h.before),
                rev(h.after)
            ),
        );
    }
    if let Some(plan) = &e.plan {
        row(out, "Commits", &plan.commits.to_string());
        if !plan.pull_requests.is_empty() {
            let prs: Vec<String> = plan.pull_requests.iter().map(|n| format!("#{n}")).collect();
            row(out, "Pull requests", &prs.join(", "));
        }
        for i in &plan.images {
            row(
                out,
                "Image",
                &format!(
                    "{}{}: <span class=\"mono\">{}</span> → <span class=\"mono\">{}</span>",
                    shown(&i.workload),
                    if i.container.is_empty() {
                        String::new()
                    } else {
                        format!("/{}", shown(&i.container))
                    },
                    opt(i.from.as_deref()),
                    opt(i.to.as_deref())
                ),
            );
        }
        if let Some(chart) = &plan.chart {
            row(out, "Chart", &shown(chart));
        }
        if let Some(command) = &plan.command {
            row(out, "Command", &format!("<code>{}</code>", shown(command)));
        }
    }
    if let Some(err) = &e.error {
        row(
            out,
            "Error",
            &format!(
                "{} <span class=\"mono\">({})</span><br>{}",
                shown(&err.message),
                shown(&err.code),
                shown(&err.hint)
            ),
        );
    }
    if let Some(late) = &e.recorded_late {
        row(out, "Recorded late", &shown(late));
    }
    row(
        out,
        "Journal",
        &match &e.journal {
            None => "<span class=\"none\">not checked</span>".to_owned(),
            Some(j) if !j.holds => format!(
                "<span class=\"unmet\">its chain did not hold at export</span>: {} breaks in {} lines",
                j.breaks, j.lines
            ),
            Some(j) => format!(
                "<span class=\"met\">its chain held at export</span> ({} lines){}",
                j.lines,
                match &j.not_anchored {
                    None => "; its head is anchored in the keychain".to_owned(),
                    Some(why) => format!(
                        "; its head is not anchored ({}), so lines cut off its end cannot be detected",
                        shown(why)
                    ),
                }
            ),
        },
    );
    out.push_str("</table>\n");
}

fn decisions(out: &mut String, e: &Evidence) {
    out.push_str("<h2>Approvals and comments</h2>\n<table>\n<tr><th>Who</th><th>Decision</th><th>When</th><th>Comment</th></tr>\n");
    for d in &e.decisions {
        let mut comment = opt(d.comment.as_deref());
        if let Some(reason) = &d.override_reason {
            let _ = write!(comment, "<br>Override reason: {}", shown(reason));
        }
        let _ = writeln!(
            out,
            "<tr><td>@{}</td><td>{}</td><td>{}</td><td>{comment}</td></tr>",
            shown(&d.actor),
            d.action.as_str(),
            shown(&d.at)
        );
    }
    out.push_str("</table>\n");
}

fn gates(out: &mut String, e: &Evidence) {
    out.push_str("<h2>Gate conditions</h2>\n");
    if e.gates.is_empty() {
        out.push_str("<p class=\"none\">No gate conditions apply to this attempt.</p>\n");
        return;
    }
    out.push_str("<table>\n<tr><th>Condition</th><th>State</th><th>Why</th></tr>\n");
    for g in &e.gates {
        let (class, word) = if g.met {
            ("met", "met")
        } else {
            ("unmet", "not met")
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{class}\">{word}</td><td>{}</td></tr>",
            shown(&g.kind),
            shown(&g.reason)
        );
    }
    out.push_str("</table>\n");
}

fn review(out: &mut String, e: &Evidence) {
    out.push_str("<h2>The review as shown</h2>\n");
    let Some(r) = &e.review else {
        out.push_str(if e.action == AuditAction::Rollback {
            "<p class=\"none\">A rollback is confirmed, not reviewed: what it restored is in the summary.</p>\n"
        } else {
            "<p class=\"none\">Not kept (see what this evidence lacks).</p>\n"
        });
        return;
    };
    let _ = writeln!(out, "<p>{}</p>", shown(&r.notes.heading));
    out.push_str("<table>\n");
    row(
        out,
        "Would ship",
        &match &r.candidate {
            Some(c) => format!(
                "{} <span class=\"mono\">{}</span>",
                shown(&c.label),
                opt(c.sha.as_deref())
            ),
            None => opt(None),
        },
    );
    row(out, "Runs now", &opt(r.current_version.as_deref()));
    row(
        out,
        "From",
        &format!("{} ({})", shown(&r.from), opt(r.source_version.as_deref())),
    );
    out.push_str("</table>\n");
    if !r.warnings.is_empty() {
        out.push_str("<h3>Warnings shown</h3>\n<ul>\n");
        for w in &r.warnings {
            let _ = writeln!(out, "<li>{}</li>", shown(w));
        }
        out.push_str("</ul>\n");
    }
    if !r.notes.commits.is_empty() {
        out.push_str("<h3>Commits</h3>\n<table>\n");
        for c in &r.notes.commits {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
                shown(&c.sha),
                shown(&c.title),
                shown(&c.author)
            );
        }
        out.push_str("</table>\n");
    }
    if !r.notes.pull_requests.is_empty() {
        out.push_str("<h3>Pull requests</h3>\n<table>\n");
        for p in &r.notes.pull_requests {
            let _ = writeln!(
                out,
                "<tr><td>#{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                p.number,
                shown(&p.title),
                shown(&p.url)
            );
        }
        out.push_str("</table>\n");
    }
    if !r.image_changes.is_empty() {
        out.push_str("<h3>Images</h3>\n<table>\n<tr><th>Workload</th><th>Container</th><th>From</th><th>To</th></tr>\n");
        for i in &r.image_changes {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                shown(&i.workload),
                shown(&i.container),
                opt(i.from.as_deref()),
                opt(i.to.as_deref())
            );
        }
        out.push_str("</table>\n");
    }
    if !r.values.changes.is_empty() || r.values.chart.is_some() {
        let _ = writeln!(
            out,
            "<h3>Values</h3>\n<p class=\"lead\">{} → {}</p>\n<table>\n<tr><th>Key</th><th>Before</th><th>After</th></tr>",
            shown(&r.values.before),
            shown(&r.values.after)
        );
        for v in r.values.chart.iter().chain(&r.values.changes) {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td></tr>",
                shown(&v.key),
                opt(v.from.as_deref()),
                opt(v.to.as_deref())
            );
        }
        out.push_str("</table>\n");
    }
    if let Some(h) = &r.helm {
        let _ = writeln!(
            out,
            "<h3>Helm</h3>\n<p>Chart {}; command <code>{}</code></p>",
            opt(h.chart.as_deref()),
            shown(&h.command)
        );
        for c in &h.changes {
            let _ = writeln!(
                out,
                "<details><summary>{} {} ({:?})</summary><pre>{}</pre></details>",
                shown(&c.kind),
                shown(&c.name),
                c.change,
                shown(&c.diff)
            );
        }
        if let Some(p) = &h.problem {
            let _ = writeln!(out, "<p>{}</p>", shown(p));
        }
    }
    let decision = &r.decision;
    out.push_str("<h3>What the person was allowed</h3>\n<table>\n");
    for (what, offer) in [("Approve", &decision.approve), ("Reject", &decision.reject)] {
        let reasons: Vec<String> = offer.refusals.iter().map(|x| shown(&x.sentence)).collect();
        row(
            out,
            what,
            &if offer.allowed {
                "<span class=\"met\">allowed</span>".to_owned()
            } else {
                format!(
                    "<span class=\"unmet\">refused</span>: {}",
                    reasons.join(" ")
                )
            },
        );
    }
    out.push_str("</table>\n");
}

fn verification(out: &mut String, e: &Evidence) {
    out.push_str("<h2>Verification</h2>\n");
    match &e.verification {
        None => out.push_str("<p class=\"none\">Not run for this attempt.</p>\n"),
        Some(v) if v.held => {
            let _ = writeln!(
                out,
                "<p><span class=\"met\">Held</span> for {} s (ended {}).</p>",
                v.for_seconds,
                shown(&v.at)
            );
        }
        Some(v) => {
            let _ = writeln!(
                out,
                "<p><span class=\"unmet\">Did not hold</span> for {} s: {} (ended {}).</p>",
                v.for_seconds,
                opt(v.reason.as_deref()),
                shown(&v.at)
            );
        }
    }
}

fn timeline(out: &mut String, e: &Evidence) {
    out.push_str("<h2>Rollout timeline</h2>\n");
    if e.timeline.is_empty() {
        out.push_str("<p class=\"none\">No progress lines were recorded.</p>\n");
    } else {
        out.push_str("<table>\n<tr><th>At</th><th>From</th><th>What</th></tr>\n");
        for l in &e.timeline {
            let _ = writeln!(
                out,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
                shown(&l.at),
                l.source.as_str(),
                shown(&l.line)
            );
        }
        out.push_str("</table>\n");
    }
    if e.timeline_left_out > 0 {
        let _ = writeln!(
            out,
            "<p>{} more lines were not kept (the record keeps a bounded number).</p>",
            e.timeline_left_out
        );
    }
}

fn entries(out: &mut String, e: &Evidence) {
    out.push_str(
        "<h2>Journal entries</h2>\n<table>\n<tr><th>At</th><th>Id</th><th>Result</th></tr>\n",
    );
    for entry in &e.entries {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"mono\">{}</td><td class=\"{}\">{}</td></tr>",
            shown(&entry.at),
            shown(&entry.id),
            result_class(entry.result),
            entry.result.as_str()
        );
    }
    out.push_str("</table>\n");
}

fn integrity(out: &mut String, sealed: &Sealed) {
    let _ = writeln!(
        out,
        "<h2>Integrity</h2>\n<p>SHA-256 of the content: <code class=\"hash\" id=\"sluice-evidence-hash\">{}</code></p>",
        sealed.sha256
    );
    out.push_str(
        "<p>To verify this page, run <code>sluice evidence --verify FILE</code> on it (or on its JSON \
         twin): the hash is taken again over the content below, and the page is rendered again from \
         that content and compared byte for byte. Without Sluice: copy the content below exactly \
         (no newline added) and compare its <code>sha256sum</code> with the hash above. The content \
         is canonical JSON: keys sorted, no whitespace.</p>\n",
    );
    let _ = writeln!(
        out,
        "<details><summary>Content (canonical JSON)</summary>{CONTENT_OPEN}{}{CONTENT_CLOSE}</details>",
        escape(&sealed.content)
    );
}
