//! `sluice promote`, `sluice rollback` and `sluice inbox`: the window's review screen, buttons and
//! inbox, printed; the same session and use cases.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use sluice_core::UiError;
use sluice_core::audit::AuditResult;
use sluice_core::commit::short;
use sluice_core::desk::{ActRequest, Outcome, ProgressLine, ReviewAction};
use sluice_core::manifests::ManifestChangeKind;
use sluice_core::review::Review;
use sluice_core::snapshot::InboxItem;

use super::status::condition_word;
use super::text::table;
use super::{Cli, InboxArgs, PromoteArgs, RollbackArgs, terminal};
use crate::Console;
use crate::session::Session;

fn principals(p: &sluice_core::pipeline::Principals) -> String {
    p.users
        .iter()
        .chain(&p.teams)
        .map(|u| format!("@{u}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The review as text: what would ship, from where to where, and whether the person may.
/// Controls in it are made visible when it is printed.
pub fn print_review(review: &Review, login: Option<&str>) -> String {
    let mut out = String::new();
    let candidate = review.candidate.as_ref();
    let _ = writeln!(
        out,
        "Promote into {}: {} → {} (from {}, {})",
        review.environment,
        review.current_version.as_deref().unwrap_or("nothing"),
        candidate.map_or("?", |c| c.label.as_str()),
        review.from,
        sluice_core::audit::AuditMethod::from(review.method).as_str()
    );
    if let Some(run_id) = candidate.and_then(|c| c.run_id)
        && let Some(run) = review.waiting_runs.iter().find(|r| r.run_id == run_id)
    {
        let _ = writeln!(
            out,
            "  deploy run #{run_id}, started by @{}, deploys {}",
            run.actor, run.label
        );
    }
    for w in &review.warnings {
        let _ = writeln!(out, "  ! {w}");
    }
    if review.waiting_runs.len() > 1 {
        out.push_str("\nWaiting runs (review another with --run ID):\n");
        for r in &review.waiting_runs {
            let reviewed = candidate.and_then(|c| c.run_id) == Some(r.run_id);
            let _ = writeln!(
                out,
                "  {} #{} {} by @{}{}",
                if reviewed { "→" } else { " " },
                r.run_id,
                r.label,
                r.actor,
                if r.ships_source_version {
                    format!(" (what {} runs)", review.from)
                } else {
                    String::new()
                }
            );
        }
    }
    let notes = &review.notes;
    if !notes.pull_requests.is_empty() {
        out.push_str("\nPull requests:\n");
        for p in &notes.pull_requests {
            let _ = writeln!(out, "  #{} {}", p.number, p.title);
        }
    }
    if !notes.commits.is_empty() {
        out.push_str("\nCommits:\n");
        for c in &notes.commits {
            let _ = writeln!(out, "  {} {} (@{})", short(&c.sha), c.title, c.author);
        }
    }
    if notes.empty {
        let _ = writeln!(
            out,
            "\nNothing to ship: both environments run the same version."
        );
    }
    if !review.image_changes.is_empty() {
        out.push_str("\nImages:\n");
        out.push_str(&indent(&table(
            &["WORKLOAD", "CONTAINER", "NOW", "AFTER"],
            review.image_changes.iter().map(|i| {
                vec![
                    i.workload.clone(),
                    i.container.clone(),
                    i.from.clone().unwrap_or_else(|| "—".into()),
                    i.to.clone().unwrap_or_else(|| "—".into()),
                ]
            }),
        )));
    }
    let values = &review.values;
    if !values.before.is_empty() {
        let _ = writeln!(out, "\nValues: {} → {}", values.before, values.after);
        let rows = values.chart.iter().chain(&values.changes).map(|c| {
            vec![
                c.key.clone(),
                c.from.clone().unwrap_or_else(|| "—".into()),
                c.to.clone().unwrap_or_else(|| "—".into()),
            ]
        });
        if values.changes.is_empty() && values.chart.is_none() {
            out.push_str("  no value changes\n");
        } else {
            out.push_str(&indent(&table(&["KEY", "NOW", "AFTER"], rows)));
        }
        for n in &values.notes {
            let _ = writeln!(out, "  note: {n}");
        }
    }
    if let Some(helm) = &review.helm {
        print_helm(&mut out, helm);
    }
    out.push_str("\nGate conditions:\n");
    for c in &review.conditions {
        let _ = writeln!(
            out,
            "  {} {:<9} {}",
            if c.met { "✓" } else { "✗" },
            condition_word(c.kind),
            c.reason
        );
    }
    if !review.reviewers.is_empty() {
        let _ = writeln!(out, "Reviewers: {}", principals(&review.reviewers));
    }
    let decision = &review.decision;
    let who = login.map_or_else(|| "you".to_owned(), |l| format!("@{l}"));
    if decision.approve.allowed {
        let _ = writeln!(out, "\n{who} may approve.");
        if let Some(vote) = decision.vote {
            let _ = writeln!(
                out,
                "{}",
                if vote.completes {
                    format!(
                        "This is approval {} of {}: approving carries the promotion out.",
                        (vote.before + 1).min(vote.required),
                        vote.required
                    )
                } else {
                    format!(
                        "This is approval {} of {}: it is counted, and the promotion waits for the others.",
                        vote.before + 1,
                        vote.required
                    )
                }
            );
        }
    } else {
        let _ = writeln!(out, "\n{who} may not approve:");
        for r in &decision.approve.refusals {
            let _ = writeln!(out, "  - {}", r.sentence);
        }
        if decision.may_override {
            let _ = writeln!(out, "  (pass --override-reason to override with a reason)");
        }
    }
    out
}

/// The helm method's upgrade: the command, then each object it changes with its diff.
fn print_helm(out: &mut String, helm: &sluice_core::review::HelmPreview) {
    if let Some(problem) = &helm.problem {
        let _ = writeln!(out, "\nhelm upgrade: not known. {problem}");
        return;
    }
    let _ = writeln!(
        out,
        "\nhelm upgrade ({}):\n  $ {}",
        helm.chart.as_deref().unwrap_or("chart unknown"),
        helm.command
    );
    if helm.changes.is_empty() {
        out.push_str("  no object changes\n");
    }
    for c in &helm.changes {
        let word = match c.change {
            ManifestChangeKind::Added => "added",
            ManifestChangeKind::Removed => "removed",
            ManifestChangeKind::Changed => "changed",
        };
        let _ = writeln!(out, "  {} {} {word}", c.kind, c.name);
        out.push_str(&indent(&indent(&c.diff)));
    }
}

/// Runs `work`, printing the lines a promotion's tool prints meanwhile to stderr (stdout stays
/// the answer, e.g. the JSON of `--json`).
async fn echoing<T>(session: &Session, work: impl Future<Output = T>) -> T {
    use tokio::sync::broadcast::error::RecvError;
    let mut lines = session.subscribe_progress();
    let show = |p: ProgressLine| terminal::eprintln(&format!("  {} | {}", p.environment, p.line));
    tokio::pin!(work);
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            line = lines.recv() => match line {
                Ok(p) => show(p),
                Err(RecvError::Lagged(n)) => terminal::eprintln(&format!("  ({n} lines not shown)")),
                Err(RecvError::Closed) => break work.await,
            },
        }
    };
    while let Ok(p) = lines.try_recv() {
        show(p);
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

fn confirm(question: &str) -> Result<bool, UiError> {
    let refused = || {
        UiError::new(
            "promotion.not-confirmed",
            "Refusing to act without confirmation.",
            "Answer the question in a terminal, or pass --yes.",
        )
    };
    if !std::io::stdin().is_terminal() {
        return Err(refused());
    }
    terminal::print(&format!("{question} [y/N] "));
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|_| refused())?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn print_outcome(outcome: &Outcome) -> ExitCode {
    terminal::println(&outcome.message);
    if let Some(offer) = &outcome.rollback {
        terminal::println(&format!(
            "Roll back with `sluice rollback {}`: {}",
            offer.environment, offer.reason
        ));
    }
    exit_code(outcome)
}

/// Success: it was carried out, or the approval was counted toward the gate's quorum.
fn exit_code(outcome: &Outcome) -> ExitCode {
    if matches!(
        outcome.result,
        AuditResult::Succeeded | AuditResult::Counted
    ) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, UiError> {
    serde_json::to_string_pretty(value)
        .map_err(|e| UiError::new("promotion.encode", e.to_string(), "Report this as a bug."))
}

/// `sluice promote <environment> [--run ID] [--approve | --reject] [--json]`.
pub(super) async fn promote(
    console: &Console,
    cli: &Cli,
    args: &PromoteArgs,
) -> Result<ExitCode, UiError> {
    let session = super::watching(console, cli, args.as_login.as_deref()).await?;
    let login = session.info().await.account.map(|a| a.login);
    let review = session.review(&args.environment, args.run).await?;
    let action = match (args.approve, args.reject) {
        (true, _) => ReviewAction::Approve,
        (_, true) => ReviewAction::Reject,
        _ => {
            if args.json {
                terminal::print_json(&json(&review)?);
            } else {
                terminal::print(&print_review(&review, login.as_deref()));
                terminal::println("(review only: pass --approve or --reject to act)");
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    if !args.json {
        terminal::print(&print_review(&review, login.as_deref()));
    }
    let what = review
        .candidate
        .as_ref()
        .map_or_else(|| "nothing".to_owned(), |c| c.label.clone());
    let question = match action {
        ReviewAction::Approve => format!("Approve shipping {what} into {}?", review.environment),
        ReviewAction::Reject => format!("Reject shipping {what} into {}?", review.environment),
    };
    if !args.yes && !confirm(&question)? {
        return Err(UiError::new(
            "promotion.not-confirmed",
            "Not confirmed; nothing was done.",
            "Run the command again and answer y, or pass --yes.",
        ));
    }
    let request = ActRequest {
        environment: args.environment.clone(),
        action,
        comment: args.comment.clone(),
        override_reason: args
            .override_reason
            .clone()
            .filter(|r| !r.trim().is_empty()),
        pin: review.pin.clone(),
    };
    let outcome = echoing(&session, session.act(&request)).await?;
    if args.json {
        terminal::print_json(&json(
            &serde_json::json!({"review": review, "outcome": outcome}),
        )?);
        return Ok(exit_code(&outcome));
    }
    Ok(print_outcome(&outcome))
}

/// `sluice rollback <environment>`.
pub(super) async fn rollback(
    console: &Console,
    cli: &Cli,
    args: &RollbackArgs,
) -> Result<ExitCode, UiError> {
    let session = super::watching(console, cli, args.as_login.as_deref()).await?;
    let (question, possible) = match args.to {
        Some(revision) => {
            let plan = session.rollback_plan(&args.environment, revision).await?;
            terminal::print(&super::history::print_plan(&plan));
            (
                format!("Roll {} back to revision {revision}?", args.environment),
                plan.refusal.is_none(),
            )
        }
        None => (
            format!("Roll {} back to its previous revision?", args.environment),
            true,
        ),
    };
    // An impossible rollback is not asked about: the attempt is refused and journaled as such.
    if possible && !args.yes && !confirm(&question)? {
        return Err(UiError::new(
            "rollback.not-confirmed",
            "Not confirmed; nothing was done.",
            "Run the command again and answer y, or pass --yes.",
        ));
    }
    let outcome = echoing(&session, session.rollback(&args.environment, args.to)).await?;
    Ok(print_outcome(&outcome))
}

/// The inbox as text; controls in it are made visible when it is printed.
pub fn print_inbox(items: &[InboxItem], login: Option<&str>) -> String {
    let Some(login) = login else {
        return "Nobody is signed in: sign in (`sluice login`) to see what waits on you.\n"
            .to_owned();
    };
    if items.is_empty() {
        return format!("Nothing waits on @{login}.\n");
    }
    let mut out = format!("Waiting on @{login}:\n");
    for i in items {
        let _ = writeln!(out, "  {}", i.notification.body);
    }
    out
}

/// `sluice inbox [--json]`.
pub(super) async fn inbox(
    console: &Console,
    cli: &Cli,
    args: &InboxArgs,
) -> Result<ExitCode, UiError> {
    let session = super::watching(console, cli, args.as_login.as_deref()).await?;
    let items = session.inbox();
    if args.json {
        terminal::print_json(&json(&items)?);
    } else {
        let login = session.info().await.account.map(|a| a.login);
        terminal::print(&print_inbox(&items, login.as_deref()));
    }
    Ok(ExitCode::SUCCESS)
}
