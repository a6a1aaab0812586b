//! `sluice status`: the Snapshot as a compact table for terminals and scripts.

use std::fmt::Write as _;
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_core::commit::short;
use sluice_core::snapshot::{EnvironmentState, GateConditionKind, Health, Snapshot};

use super::text::table;
use super::{Cli, StatusArgs, terminal};
use crate::Console;

fn health_word(h: Health) -> &'static str {
    match h {
        Health::Healthy => "healthy",
        Health::Progressing => "progressing",
        Health::Degraded => "degraded",
        Health::Unknown => "unknown",
    }
}

pub(super) fn condition_word(k: GateConditionKind) -> &'static str {
    match k {
        GateConditionKind::SourceHealthy => "source",
        GateConditionKind::Checks => "checks",
        GateConditionKind::Soak => "soak",
        GateConditionKind::Reviewers => "reviewers",
        GateConditionKind::Window => "window",
        GateConditionKind::Freeze => "freeze",
    }
}

/// Ready replicas per workload (`api 3/3, web 3/3`): a sum over workloads would read as a
/// contradiction beside the replica count each one runs.
pub(crate) fn readiness(e: &EnvironmentState) -> String {
    match e.workloads.as_slice() {
        [] => "—".to_owned(),
        [only] => format!("{}/{}", only.ready, only.desired),
        all => all
            .iter()
            .map(|w| format!("{} {}/{}", w.component, w.ready, w.desired))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Renders environments, gates and sources as aligned text; controls in it are made visible
/// when it is printed.
pub fn render(s: &Snapshot) -> String {
    let rows = s.environments.iter().map(|e| {
        let rollout = match &e.rollout {
            Some(r) if r.stalled => format!(
                "stalled at {:.0}% → {}",
                r.progress * 100.0,
                r.to.as_deref().unwrap_or("?")
            ),
            Some(r) => format!(
                "{:.0}% → {}",
                r.progress * 100.0,
                r.to.as_deref().unwrap_or("?")
            ),
            None => "—".to_owned(),
        };
        let mut health = health_word(e.health).to_owned();
        if e.stale {
            health.push_str(" (stale)");
        }
        vec![
            e.name.clone(),
            e.version
                .as_ref()
                .map_or("—".to_owned(), |v| v.label.clone()),
            health,
            readiness(e),
            rollout,
            e.helm_history
                .first()
                .map_or("—".to_owned(), |h| format!("r{}", h.revision)),
            e.drift.as_ref().map_or("—".to_owned(), |d| {
                format!("GitHub says {}", short(&d.github_sha))
            }),
        ]
    });
    let mut out = table(
        &[
            "ENVIRONMENT",
            "VERSION",
            "HEALTH",
            "READY",
            "ROLLOUT",
            "HELM",
            "DRIFT",
        ],
        rows,
    );
    if let Some(at) = &s.last_known {
        out.insert_str(
            0,
            &format!("Last known state, as of {at}: the sources have not answered now.\n"),
        );
    }
    for e in s
        .environments
        .iter()
        .filter(|e| !e.health_reason.is_empty() && e.health != Health::Healthy)
    {
        let _ = writeln!(out, "  {}: {}", e.name, e.health_reason);
    }
    for e in &s.environments {
        if let Some(d) = &e.last_deployed {
            let mut by = Vec::new();
            if let Some(a) = &d.approved_by {
                by.push(format!("approved by @{a}"));
            }
            if let Some(d) = &d.deployed_by {
                by.push(format!("deployed by {d}"));
            }
            if !by.is_empty() {
                let _ = writeln!(out, "  {}: {}", e.name, by.join(" · "));
            }
        }
        for p in &e.problems {
            let _ = writeln!(out, "  {}: {}", e.name, p);
        }
    }
    for g in &s.gates {
        let p = &g.pending;
        let change = match (&p.current_version, &p.incoming_version) {
            (Some(a), Some(b)) if a != b => format!(
                " ({} {a} → {b} from {}, {} commits, {} PRs)",
                g.environment,
                g.from,
                p.commits.len(),
                p.pull_requests.len()
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "\nGATE {} → {}: {}{}",
            g.from, g.environment, g.status_label, change
        );
        for c in &g.conditions {
            let _ = writeln!(
                out,
                "  {} {:<9} {}",
                if c.met { "✓" } else { "✗" },
                condition_word(c.kind),
                c.reason
            );
        }
        for run in &g.waiting_runs {
            let _ = writeln!(
                out,
                "  waiting run #{} for {} by @{}{}",
                run.run_id,
                run.label,
                run.actor,
                if run.ships_source_version {
                    String::new()
                } else {
                    format!(" — not what {} runs", g.from)
                }
            );
        }
    }
    out.push_str("\nSOURCES\n");
    for src in &s.sources {
        let state = if src.connected {
            "connected"
        } else {
            "disconnected"
        };
        let mut line = format!("  {:<36} {state}", src.name);
        if let Some(at) = &src.last_event_at {
            let _ = write!(line, ", last event {at}");
        }
        if let Some(r) = src.rate_remaining {
            let _ = write!(line, ", {r} requests left");
        }
        if let Some(e) = &src.last_error {
            let _ = write!(line, " — {} ({})", e.message, e.hint);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Promotions whose start is journaled but whose outcome is not: a console died mid-way (its
/// Lease then expires), or one is still running elsewhere. Shown so nobody assumes they finished.
fn interrupted_lines(info: &sluice_core::desk::SessionInfo) -> Vec<String> {
    let mut lines = Vec::new();
    if !info.interrupted.is_empty() {
        lines.push("INTERRUPTED PROMOTIONS (started, no outcome recorded — a console stopped mid-way, or one is still running)".to_owned());
    }
    for e in &info.interrupted {
        lines.push(format!(
            "  {} @{} {} {} → {} ({})",
            e.at,
            e.actor,
            e.environment,
            e.from_version.as_deref().unwrap_or("?"),
            e.to_version.as_deref().unwrap_or("?"),
            e.method.as_str()
        ));
    }
    lines
}

/// `sluice status [--json] [--watch]`.
pub(super) async fn run(
    console: &Console,
    cli: &Cli,
    args: &StatusArgs,
) -> Result<ExitCode, UiError> {
    let session = super::watching(console, cli, None).await?;
    let mut shown = Shown::default();
    let mut print = |s: &Snapshot| -> Result<(), UiError> {
        let Some(text) = shown.next(s, args.json)? else {
            return Ok(());
        };
        if args.json {
            terminal::print_json(&text);
        } else {
            terminal::println(&text);
        }
        Ok(())
    };
    let mut rx = session.subscribe();
    if let Some(s) = rx.borrow_and_update().clone() {
        print(&s)?;
    }
    if !args.json {
        for line in interrupted_lines(&session.info().await) {
            terminal::println(&line);
        }
    }
    if !args.watch {
        // What was read whole is kept for `--offline` and the window's next start.
        session.keep_last_known().await;
        return Ok(ExitCode::SUCCESS);
    }
    // One Ctrl-C future for the whole wait: re-creating it on every change can miss the signal.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            changed = rx.changed() => {
                if changed.is_err() {
                    break;
                }
                if let Some(s) = rx.borrow_and_update().clone() {
                    print(&s)?;
                }
            }
            _ = &mut interrupted => break,
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `status` printed last: `--watch` prints a Snapshot only when what it would print
/// changed (a new sequence number or time alone is not a change).
#[derive(Default)]
struct Shown {
    /// The human text last printed.
    text: Option<String>,
    /// With `--json`, the Snapshot last printed, without its sequence and time.
    snapshot: Option<Snapshot>,
}

impl Shown {
    /// The text to print for `s`, or `None` when it would repeat the last one.
    fn next(&mut self, s: &Snapshot, json: bool) -> Result<Option<String>, UiError> {
        if json {
            let mut unstamped = s.clone();
            unstamped.sequence = 0;
            unstamped.generated_at.clear();
            if self.snapshot.as_ref() == Some(&unstamped) {
                return Ok(None);
            }
            self.snapshot = Some(unstamped);
            return serde_json::to_string_pretty(s).map(Some).map_err(|e| {
                UiError::new("status.encode", e.to_string(), "Report this as a bug.")
            });
        }
        let text = render(s);
        if self.text.as_ref() == Some(&text) {
            return Ok(None);
        }
        self.text = Some(text.clone());
        Ok(Some(text))
    }
}

#[cfg(test)]
mod tests {
    use sluice_core::snapshot::{EnvironmentState, Rollout, SourceKind, SourceState, Version};

    use super::*;

    #[test]
    fn renders_environments_rollouts_and_sources() {
        let env = |name: &str, health: Health| EnvironmentState {
            name: name.into(),
            namespace: name.into(),
            version: Some(Version {
                sha: Some("a1b2c3d4".into()),
                label: "a1b2c3d".into(),
                images: Default::default(),
                app_version: None,
                pull_request: None,
                title: None,
            }),
            health,
            health_reason: if health == Health::Degraded {
                "pods failing: pod x is CrashLoopBackOff".into()
            } else {
                String::new()
            },
            workloads: Default::default(),
            rollout: None,
            helm_history: std::sync::Arc::default(),
            last_deployed: None,
            running_since: None,
            deployed_values: None,
            drift: None,
            warnings: vec![],
            warnings_left_out: 0,
            stale: false,
            problems: vec![],
        };
        let mut staging = env("staging", Health::Degraded);
        staging.rollout = Some(Rollout {
            progress: 0.5,
            from: Some("a1b2c3d".into()),
            to: Some("e4f5a6b".into()),
            stalled: true,
        });
        let s = Snapshot {
            sequence: 1,
            generated_at: "2026-11-26T10:00:00Z".into(),
            environments: vec![env("dev", Health::Healthy), staging],
            gates: vec![],
            sources: vec![SourceState {
                name: "github (tbyte-org/tbyte)".into(),
                kind: SourceKind::Github,
                connected: true,
                synced: true,
                last_event_at: None,
                last_error: None,
                rate_remaining: Some(4999),
            }],
            pull_requests: vec![],
            viewer: None,
            inbox: vec![],
            last_known: None,
        };
        let text = render(&s);
        assert!(
            text.lines()
                .next()
                .unwrap()
                .starts_with("ENVIRONMENT  VERSION")
        );
        assert!(
            text.contains("staging      a1b2c3d  degraded  —      stalled at 50% → e4f5a6b"),
            "{text}"
        );
        assert!(text.contains("staging: pods failing: pod x is CrashLoopBackOff"));
        assert!(text.contains("github (tbyte-org/tbyte)"));
        assert!(text.contains("4999 requests left"));

        // --watch: a new sequence and time alone print nothing; a change prints again.
        for json in [false, true] {
            let mut shown = Shown::default();
            assert!(shown.next(&s, json).unwrap().is_some());
            let mut restamped = s.clone();
            restamped.sequence = 2;
            restamped.generated_at = "2026-11-26T10:00:05Z".into();
            assert_eq!(shown.next(&restamped, json).unwrap(), None, "json: {json}");
            let mut changed = restamped.clone();
            changed.environments[0].health = Health::Degraded;
            let text = shown.next(&changed, json).unwrap().unwrap();
            assert!(text.contains("degraded"), "{text}");
        }
    }
}
