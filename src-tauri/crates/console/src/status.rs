//! `sluice status`: the Snapshot as a compact table for terminals and scripts.

use std::fmt::Write as _;

use sluice_core::snapshot::{GateConditionKind, Health, Snapshot};

fn health_word(h: Health) -> &'static str {
    match h {
        Health::Healthy => "healthy",
        Health::Progressing => "progressing",
        Health::Degraded => "degraded",
        Health::Unknown => "unknown",
    }
}

fn condition_word(k: GateConditionKind) -> &'static str {
    match k {
        GateConditionKind::SourceHealthy => "source",
        GateConditionKind::Checks => "checks",
        GateConditionKind::Soak => "soak",
        GateConditionKind::Reviewers => "reviewers",
        GateConditionKind::Window => "window",
        GateConditionKind::Freeze => "freeze",
    }
}

/// Renders environments, gates and sources as aligned text.
pub fn render(s: &Snapshot) -> String {
    let mut rows = vec![
        [
            "ENVIRONMENT",
            "VERSION",
            "HEALTH",
            "READY",
            "ROLLOUT",
            "HELM",
            "DRIFT",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for e in &s.environments {
        let ready: u32 = e.workloads.iter().map(|w| w.ready).sum();
        let desired: u32 = e.workloads.iter().map(|w| w.desired).sum();
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
        rows.push(vec![
            e.name.clone(),
            e.version
                .as_ref()
                .map_or("—".to_owned(), |v| v.label.clone()),
            health,
            if e.workloads.is_empty() {
                "—".to_owned()
            } else {
                format!("{ready}/{desired}")
            },
            rollout,
            e.helm_history
                .first()
                .map_or("—".to_owned(), |h| format!("r{}", h.revision)),
            e.drift.as_ref().map_or("—".to_owned(), |d| {
                format!("GitHub says {}", &d.github_sha[..7.min(d.github_sha.len())])
            }),
        ]);
    }
    let mut out = table(&rows);
    for e in s
        .environments
        .iter()
        .filter(|e| !e.health_reason.is_empty() && e.health != Health::Healthy)
    {
        let _ = writeln!(out, "  {}: {}", e.name, e.health_reason);
    }
    for e in &s.environments {
        for p in &e.problems {
            let _ = writeln!(out, "  {}: {p}", e.name);
        }
    }
    for g in &s.gates {
        let _ = writeln!(
            out,
            "\nGATE {} → {}: {}{}",
            g.from,
            g.environment,
            if g.open {
                "ready for approval"
            } else {
                "blocked"
            },
            match (&g.pending.from_version, &g.pending.to_version) {
                (Some(a), Some(b)) if a != b => format!(
                    " ({a} → {b}, {} commits, {} PRs)",
                    g.pending.commits.len(),
                    g.pending.pull_requests.len()
                ),
                (Some(_), Some(_)) => " (nothing to promote)".to_owned(),
                _ => String::new(),
            }
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
        if let Some(run) = &g.waiting_run {
            let _ = writeln!(
                out,
                "  waiting run {} for {} by @{}",
                run.run_id,
                &run.sha[..7.min(run.sha.len())],
                run.actor
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
        let _ = write!(out, "  {:<36} {state}", src.name);
        if let Some(at) = &src.last_event_at {
            let _ = write!(out, ", last event {at}");
        }
        if let Some(r) = src.rate_remaining {
            let _ = write!(out, ", {r} requests left");
        }
        if let Some(e) = &src.last_error {
            let _ = write!(out, " — {} ({})", e.message, e.hint);
        }
        out.push('\n');
    }
    out
}

fn table(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// Where `sluice status` and the window read from: the demo world, or the user's clusters.
pub struct Session {
    pub live: crate::live::Live,
    /// Keeps the simulated world running while the session lasts.
    pub demo: Option<crate::demo::Demo>,
}

/// Starts the live console for `cli`'s options: the demo world when `--demo` is given.
pub async fn start_session(
    console: &crate::Console,
    cli: &crate::cli::Cli,
) -> Result<Session, String> {
    let pipeline = console
        .pipeline()
        .map_err(|e| format!("{}\nhint: {}", e.message, e.hint))?;
    let dir = console.pipeline_path().parent().map_or_else(
        || std::path::PathBuf::from("."),
        std::path::Path::to_path_buf,
    );
    let (config, demo) = if cli.demo {
        let demo = crate::demo::Demo::start(console, &pipeline).await?;
        (demo.live_config(), Some(demo))
    } else {
        (
            crate::live::LiveConfig {
                kubeconfig: cli.kubeconfig.clone(),
                github_api: cli.github_api_url.clone(),
                github_token: None,
                github_poll: None,
            },
            None,
        )
    };
    let live = crate::live::Live::start(pipeline, dir, config).await;
    Ok(Session { live, demo })
}

/// Promotions whose start is journaled but whose outcome is not: a console died mid-way (its
/// Lease then expires), or one is still running elsewhere. Shown so nobody assumes they finished.
fn interrupted_promotions() -> Vec<String> {
    let Ok(path) = crate::journal::default_path() else {
        return Vec::new();
    };
    if !path.exists() {
        return Vec::new();
    }
    let Ok(entries) = crate::journal::Journal::open(&path).and_then(|j| j.interrupted()) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if !entries.is_empty() {
        lines.push("INTERRUPTED PROMOTIONS (started, no outcome recorded — a console stopped mid-way, or one is still running)".to_owned());
    }
    for e in entries {
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

/// Whether every source has answered at least once (or failed to start): a first snapshot
/// worth printing.
fn settled(s: &Snapshot) -> bool {
    s.sources
        .iter()
        .all(|src| src.connected || src.last_error.is_some())
        && s.environments.iter().all(|e| {
            e.stale || e.health != Health::Unknown || !e.health_reason.starts_with("connecting")
        })
}

/// `sluice status [--json] [--watch]`.
pub fn run(
    console: &crate::Console,
    cli: &crate::cli::Cli,
    args: &crate::cli::StatusArgs,
) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let session = start_session(console, cli).await?;
        let mut rx = session.live.subscribe();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        let print = |s: &Snapshot| -> Result<(), String> {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(s).map_err(|e| e.to_string())?
                );
            } else {
                println!("{}", render(s));
            }
            Ok(())
        };
        // Print once every source has answered and the state has been quiet for a moment (a
        // freshly started watch delivers its initial burst), or what is known at the deadline.
        let quiet = std::time::Duration::from_millis(700);
        let first = loop {
            let current = rx.borrow_and_update().clone();
            let ready = current.as_deref().is_some_and(settled);
            let wait = if ready {
                tokio::time::Instant::now() + quiet
            } else {
                deadline
            };
            match tokio::time::timeout_at(wait.min(deadline), rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => break rx.borrow().clone(),
            }
        };
        if let Some(s) = first {
            print(&s)?;
        }
        if !args.json {
            for line in interrupted_promotions() {
                println!("{line}");
            }
        }
        if !args.watch {
            return Ok(());
        }
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
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        drop(session);
        Ok(())
    })
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
                images: vec![],
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
            workloads: vec![],
            rollout: None,
            helm_history: vec![],
            last_deployed: None,
            drift: None,
            warnings: vec![],
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
                last_event_at: None,
                last_error: None,
                rate_remaining: Some(4999),
            }],
            pull_requests: vec![],
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
    }
}
