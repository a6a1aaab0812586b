//! Promotions: moving the version one environment runs into the next, by the method the
//! pipeline names, after Sluice's rules and then the real authority (GitHub, Kubernetes)
//! agreed. Every attempt — refused, failed or done — is written to the audit journal.

pub mod command;
pub mod kubernetes;
pub mod lease;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sluice_core::approval::{self, ApprovalDecision};
use sluice_core::audit::{AuditAction, AuditEntry, AuditGate, AuditMethod, AuditPlan, AuditResult};
use sluice_core::pipeline::{Environment, PromotionMethod};
use sluice_core::snapshot::{GateState, Health, Snapshot};
use sluice_core::{Pipeline, UiError};
use sluice_github::{GithubClient, Review};
use tokio::sync::watch;

use crate::journal::Journal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Approve,
    Reject,
}

pub struct Request {
    pub environment: String,
    pub action: Action,
    pub comment: String,
    pub override_reason: Option<String>,
}

/// What a promotion needs from its surroundings.
pub struct Context<'a> {
    pub pipeline: &'a Pipeline,
    pub snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    pub kubeconfig: Option<PathBuf>,
    /// Signed in as `login`; `None` when not signed in.
    pub github: Option<GithubClient>,
    pub login: Option<String>,
    pub journal: &'a Journal,
    /// This console's identity on the Lease (`login@host/pid`).
    pub holder: String,
    /// How long to follow a rollout before calling it failed.
    pub follow_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub result: AuditResult,
    pub message: String,
}

/// The plan for promoting into `environment`, and whether the signed-in person may.
pub fn plan(
    ctx: &Context<'_>,
    environment: &str,
) -> Result<(Environment, GateState, ApprovalDecision), UiError> {
    let snapshot = ctx.snapshots.borrow().clone().ok_or_else(|| {
        UiError::new(
            "promotion.not-ready",
            "The live state is not known yet.",
            "Wait a moment for the cluster and GitHub to answer, then try again.",
        )
    })?;
    let env = ctx
        .pipeline
        .environments
        .iter()
        .find(|e| e.name == environment)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = ctx
                .pipeline
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            UiError::new(
                "promotion.unknown-environment",
                format!("There is no environment `{environment}`."),
                format!("Name one of: {}.", names.join(", ")),
            )
        })?;
    let gate = snapshot.gates.iter().find(|g| g.environment == environment).cloned().ok_or_else(|| {
        UiError::new(
            "promotion.not-a-gate",
            format!("`{environment}` is not reached by promotion."),
            "Promote into an environment whose pipeline entry says `deploy: {on: promotion, from: …}`.",
        )
    })?;
    let decision = decide_for(ctx, &env, &gate, None);
    Ok((env, gate, decision))
}

/// Everything the review screen shows, decided by the same rules [`promote`] applies.
pub fn review(ctx: &Context<'_>, environment: &str) -> Result<sluice_core::desk::Review, UiError> {
    let (env, gate, decision) = plan(ctx, environment)?;
    let method = method_of(&env);
    // An override is offered only when a reason would make Approve possible: every refusal is
    // an unmet soak or freeze that this person may set aside.
    let with_reason = decide_for(ctx, &env, &gate, Some("review"));
    let may_override =
        !decision.allowed && with_reason.allowed && !with_reason.overridden.is_empty();
    let may_reject = method == PromotionMethod::GithubApproval
        && ctx.login.is_some()
        && gate
            .waiting_run
            .as_ref()
            .is_some_and(|r| r.current_user_can_approve);
    let config = env.gate.as_ref();
    Ok(sluice_core::desk::Review {
        environment: env.name.clone(),
        from: gate.from.clone(),
        method,
        release_notes: sluice_core::desk::release_notes(&ctx.pipeline.app, &gate),
        reviewers: config
            .and_then(|g| g.approval.as_ref())
            .map(|a| a.reviewers.clone())
            .unwrap_or_default(),
        override_by: config.map(|g| g.override_by.clone()).unwrap_or_default(),
        gate,
        decision,
        may_reject,
        may_override,
    })
}

fn method_of(env: &Environment) -> PromotionMethod {
    env.gate
        .as_ref()
        .map_or(PromotionMethod::Kubernetes, |g| g.method)
}

/// Sluice's rules for this person now; for github-approval, GitHub's own answer counts too.
fn decide_for(
    ctx: &Context<'_>,
    env: &Environment,
    gate: &GateState,
    override_reason: Option<&str>,
) -> ApprovalDecision {
    let github = method_of(env) == PromotionMethod::GithubApproval;
    let github_can_approve = if github {
        gate.waiting_run
            .as_ref()
            .map(|r| r.current_user_can_approve)
    } else {
        None
    };
    let mut decision = approval::decide(
        env.gate.as_ref(),
        gate,
        &approval::Request {
            login: ctx.login.as_deref(),
            override_reason,
            github_can_approve,
        },
    );
    if github && gate.waiting_run.is_none() {
        decision.refusals.push(format!(
            "No deploy run is waiting on {} yet: approvals apply to a run of the deploy workflow.",
            env.name
        ));
        decision.allowed = false;
    }
    decision
}

fn audit_gates(gate: &GateState) -> Vec<AuditGate> {
    gate.conditions
        .iter()
        .map(|c| AuditGate {
            kind: format!("{:?}", c.kind).to_lowercase(),
            met: c.met,
            reason: c.reason.clone(),
        })
        .collect()
}

/// The refusals as one paragraph: each a sentence, capitalised and closed, whatever rule wrote it.
fn as_sentences(reasons: &[String]) -> String {
    reasons
        .iter()
        .map(|r| {
            let r = r.trim();
            let mut chars = r.chars();
            let mut sentence: String = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            if !sentence.ends_with(['.', '!', '?']) {
                sentence.push('.');
            }
            sentence
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn refused(message: String, hint: &str) -> UiError {
    UiError::new("promotion.refused", message, hint)
}

/// Carries out `request`: decides, journals, acts through the method's authority, follows the
/// rollout to its end and journals the outcome.
pub async fn promote(ctx: &Context<'_>, request: &Request) -> Result<Outcome, UiError> {
    let (env, gate, _) = plan(ctx, &request.environment)?;
    let method = method_of(&env);
    let decision = decide_for(ctx, &env, &gate, request.override_reason.as_deref());
    let id = crate::journal::new_id();
    let started = AuditEntry {
        id: id.clone(),
        at: crate::journal::now(),
        correlation: id,
        actor: ctx.login.clone().unwrap_or_else(|| "unknown".into()),
        environment: env.name.clone(),
        from_version: gate.pending.from_version.clone(),
        to_version: gate.pending.to_version.clone(),
        method: method.into(),
        action: match (request.action, decision.overridden.is_empty()) {
            (Action::Reject, _) => AuditAction::Reject,
            (Action::Approve, false) => AuditAction::Override,
            (Action::Approve, true) if method == PromotionMethod::GithubApproval => {
                AuditAction::Approve
            }
            (Action::Approve, true) => AuditAction::Promote,
        },
        plan: Some(AuditPlan {
            commits: u32::try_from(gate.pending.commits.len()).unwrap_or(u32::MAX),
            pull_requests: gate
                .pending
                .pull_requests
                .iter()
                .map(|p| p.number)
                .collect(),
            images: gate.pending.image_changes.clone(),
        }),
        gates: audit_gates(&gate),
        comment: Some(request.comment.clone()).filter(|c| !c.is_empty()),
        override_reason: request
            .override_reason
            .clone()
            .filter(|_| !decision.overridden.is_empty()),
        result: AuditResult::Started,
        error: None,
    };
    let journal = |entry: &AuditEntry| ctx.journal.append(entry).map_err(|e| e.to_ui());
    // A rejection needs standing (signed in, allowed by GitHub), not an open gate.
    let refusals: Vec<String> = match request.action {
        Action::Approve => decision.refusals.clone(),
        Action::Reject => decision
            .refusals
            .iter()
            .filter(|r| {
                r.contains("Sign in")
                    || r.contains("GitHub says")
                    || r.contains("not a required reviewer")
                    || r.contains("No deploy run")
            })
            .cloned()
            .collect(),
    };
    if !refusals.is_empty() {
        let err = refused(
            as_sentences(&refusals),
            "Each reason says what must change first; nothing was changed in the cluster or on GitHub.",
        );
        journal(&started.outcome(
            crate::journal::new_id(),
            crate::journal::now(),
            AuditResult::Refused,
            Some(err.clone()),
        ))?;
        return Err(err);
    }
    journal(&started)?;
    let result = execute(ctx, request, &env, &gate, method).await;
    let (result, error, message) = match result {
        Ok(message) => (AuditResult::Succeeded, None, message),
        Err((result, err)) => (result, Some(err.clone()), err.message.clone()),
    };
    journal(&started.outcome(
        crate::journal::new_id(),
        crate::journal::now(),
        result,
        error.clone(),
    ))?;
    match error {
        Some(e) => Err(e),
        None => Ok(Outcome { result, message }),
    }
}

type Failure = (AuditResult, UiError);

fn github_refusal(e: sluice_github::GithubError) -> Failure {
    let text = e.to_string();
    if e.status().is_some_and(|s| (400..500).contains(&s)) {
        (
            AuditResult::Refused,
            refused(
                format!("GitHub refused: {text}"),
                "GitHub has the last word on approvals: check that you are a required reviewer and did not trigger this run.",
            ),
        )
    } else {
        (
            AuditResult::Failed,
            UiError::new(
                "promotion.github-failed",
                format!("GitHub could not be reached: {text}"),
                "Try again; nothing was approved.",
            ),
        )
    }
}

async fn execute(
    ctx: &Context<'_>,
    request: &Request,
    env: &Environment,
    gate: &GateState,
    method: PromotionMethod,
) -> Result<String, Failure> {
    let to_sha = ctx.snapshots.borrow().as_ref().and_then(|s| {
        s.environments
            .iter()
            .find(|e| e.name == gate.from)
            .and_then(|e| e.version.as_ref())
            .and_then(|v| v.sha.clone())
    });
    match method {
        PromotionMethod::GithubApproval => {
            let github = ctx.github.as_ref().ok_or_else(|| {
                (
                    AuditResult::Refused,
                    refused(
                        "Sign in to GitHub to approve.".into(),
                        "Run `sluice login`.",
                    ),
                )
            })?;
            let run = gate.waiting_run.as_ref().ok_or_else(|| {
                (AuditResult::Refused, refused(format!("No deploy run is waiting on `{}`.", env.name), "Approvals apply to a deploy workflow run waiting on the environment; start one first."))
            })?;
            let pending = github
                .pending_deployments(run.run_id)
                .await
                .map_err(github_refusal)?;
            let ids: Vec<u64> = pending
                .iter()
                .filter(|p| p.environment == env.name)
                .map(|p| p.environment_id)
                .collect();
            let review = if request.action == Action::Approve {
                Review::Approve
            } else {
                Review::Reject
            };
            github
                .review_pending(run.run_id, &ids, review, &request.comment)
                .await
                .map_err(github_refusal)?;
            if request.action == Action::Reject {
                return Ok(format!(
                    "rejected the deployment of {} to {}",
                    gate.pending.to_version.clone().unwrap_or_default(),
                    env.name
                ));
            }
            follow(ctx, &env.name, to_sha.as_deref()).await
        }
        PromotionMethod::WorkflowDispatch => {
            let github = ctx.github.as_ref().ok_or_else(|| {
                (
                    AuditResult::Refused,
                    refused(
                        "Sign in to GitHub to dispatch the deploy workflow.".into(),
                        "Run `sluice login`.",
                    ),
                )
            })?;
            let workflow = env
                .gate
                .as_ref()
                .and_then(|g| g.workflow.clone())
                .unwrap_or_else(|| "deploy.yml".into());
            let version = to_sha.clone().ok_or_else(|| {
                (
                    AuditResult::Refused,
                    refused(
                        format!(
                            "The version running in `{}` is not a known commit.",
                            gate.from
                        ),
                        "Wait until the source environment runs a version built from a commit.",
                    ),
                )
            })?;
            let inputs = serde_json::json!({"environment": env.name, "version": version});
            github
                .dispatch_workflow(&workflow, "main", &inputs)
                .await
                .map_err(github_refusal)?;
            follow(ctx, &env.name, Some(&version)).await
        }
        PromotionMethod::Kubernetes => {
            let snapshot = ctx.snapshots.borrow().clone();
            let source = snapshot
                .as_ref()
                .and_then(|s| s.environments.iter().find(|e| e.name == gate.from).cloned());
            let images = source
                .as_ref()
                .map(|s| {
                    kubernetes::images_from(
                        &s.workloads,
                        &s.version
                            .as_ref()
                            .map(|v| v.images.clone())
                            .unwrap_or_default(),
                    )
                })
                .unwrap_or_default();
            if images.is_empty() {
                return Err((
                    AuditResult::Refused,
                    refused(
                        format!("Nothing known runs in `{}` to promote.", gate.from),
                        "Wait until the source environment is healthy.",
                    ),
                ));
            }
            let client = sluice_kube::connect(ctx.kubeconfig.as_deref(), &env.kube_context)
                .await
                .map_err(|e| {
                    (
                        AuditResult::Failed,
                        UiError::new(
                            "promotion.kubernetes-unreachable",
                            e.to_string(),
                            kube_context_hint(&env.kube_context),
                        ),
                    )
                })?;
            let record = kubernetes::Record {
                actor: ctx.login.as_deref().unwrap_or("unknown"),
                from_environment: &gate.from,
                version: gate.pending.to_version.as_deref().unwrap_or("?"),
                reason: &request.comment,
            };
            kubernetes::promote(&client, &env.namespace, &env.release, &images, &record, &ctx.holder, ctx.follow_timeout).await.map_err(|e| {
                let refused_by_authority = matches!(e, kubernetes::KubePromotionError::Forbidden(_) | kubernetes::KubePromotionError::Lease(_));
                let err = UiError::new(if refused_by_authority { "promotion.refused" } else { "promotion.failed" }, e.to_string(), "The cluster has the last word; see the environment's workloads for what happened.");
                (if refused_by_authority { AuditResult::Refused } else { AuditResult::Failed }, err)
            })?;
            // Traceability on GitHub when the token allows; the promotion stands either way.
            if let (Some(github), Some(sha)) = (&ctx.github, &to_sha)
                && let Err(e) = github
                    .record_deployment(
                        sha,
                        &env.name,
                        "success",
                        &format!("Promoted by Sluice from {}", gate.from),
                    )
                    .await
            {
                tracing::warn!(error = %e, "the promotion could not be recorded on GitHub");
            }
            Ok(format!("{} now runs {}", env.name, record.version))
        }
    }
}

/// Follows the target environment until it runs `sha` healthily, or fails.
async fn follow(
    ctx: &Context<'_>,
    environment: &str,
    sha: Option<&str>,
) -> Result<String, Failure> {
    let mut rx = ctx.snapshots.clone();
    let deadline = tokio::time::Instant::now() + ctx.follow_timeout;
    loop {
        if let Some(s) = rx.borrow_and_update().clone()
            && let Some(env) = s.environments.iter().find(|e| e.name == environment)
        {
            let runs = env
                .version
                .as_ref()
                .and_then(|v| v.sha.as_deref())
                .zip(sha)
                .is_some_and(|(a, b)| {
                    let n = a.len().min(b.len());
                    n >= 7 && a[..n] == b[..n]
                });
            if runs && env.health == Health::Healthy && env.rollout.is_none() {
                return Ok(format!(
                    "{environment} now runs {}",
                    env.version.as_ref().map_or("?", |v| v.label.as_str())
                ));
            }
            if env.rollout.as_ref().is_some_and(|r| r.stalled) {
                return Err((
                    AuditResult::Failed,
                    UiError::new(
                        "promotion.rollout-failed",
                        format!(
                            "The rollout in {environment} stalled: {}",
                            env.health_reason
                        ),
                        "Roll back with `sluice rollback` or the Rollback button.",
                    ),
                ));
            }
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            return Err((
                AuditResult::Failed,
                UiError::new(
                    "promotion.timeout",
                    format!(
                        "{environment} did not finish rolling out in {} s",
                        ctx.follow_timeout.as_secs()
                    ),
                    "Check the environment's workloads; the promotion may still complete.",
                ),
            ));
        }
    }
}

/// Rolls `environment` back to its previous revision (kubernetes), journaled.
pub async fn rollback(ctx: &Context<'_>, environment: &str) -> Result<Outcome, UiError> {
    let env = ctx
        .pipeline
        .environments
        .iter()
        .find(|e| e.name == environment)
        .cloned()
        .ok_or_else(|| {
            UiError::new(
                "promotion.unknown-environment",
                format!("There is no environment `{environment}`."),
                "Name an environment of the pipeline.",
            )
        })?;
    let current = ctx.snapshots.borrow().as_ref().and_then(|s| {
        s.environments
            .iter()
            .find(|e| e.name == environment)
            .and_then(|e| e.version.as_ref().map(|v| v.label.clone()))
    });
    let id = crate::journal::new_id();
    let started = AuditEntry {
        id: id.clone(),
        at: crate::journal::now(),
        correlation: id,
        actor: ctx.login.clone().unwrap_or_else(|| "unknown".into()),
        environment: env.name.clone(),
        from_version: current,
        to_version: None,
        method: AuditMethod::Rollback,
        action: AuditAction::Rollback,
        plan: None,
        gates: Vec::new(),
        comment: None,
        override_reason: None,
        result: AuditResult::Started,
        error: None,
    };
    ctx.journal.append(&started).map_err(|e| e.to_ui())?;
    let result = async {
        let client = sluice_kube::connect(ctx.kubeconfig.as_deref(), &env.kube_context)
            .await
            .map_err(|e| {
                UiError::new(
                    "rollback.kubernetes-unreachable",
                    e.to_string(),
                    kube_context_hint(&env.kube_context),
                )
            })?;
        kubernetes::rollback(
            &client,
            &env.namespace,
            &env.release,
            &ctx.holder,
            ctx.follow_timeout,
        )
        .await
        .map_err(|e| {
            UiError::new(
                "rollback.failed",
                e.to_string(),
                "See the environment's workloads; Kubernetes has the last word.",
            )
        })
    }
    .await;
    let (res, err) = match &result {
        Ok(_) => (AuditResult::Succeeded, None),
        Err(e) => (AuditResult::Failed, Some(e.clone())),
    };
    ctx.journal
        .append(&started.outcome(crate::journal::new_id(), crate::journal::now(), res, err))
        .map_err(|e| e.to_ui())?;
    result.map(|names| Outcome {
        result: AuditResult::Succeeded,
        message: format!("rolled back {}", names.join(", ")),
    })
}

/// What to do when an environment's cluster cannot be reached.
fn kube_context_hint(context: &str) -> String {
    format!(
        "Check the environment's kube context `{context}` (Settings, or the pipeline file) and that `kubectl --context {context} get ns` works."
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn refusals_read_as_sentences() {
        let text = super::as_sentences(&[
            "@vera is not a required reviewer of production.".into(),
            "outside the change windows (mon 09:00–16:00 UTC)".into(),
            "has run 1h in staging; needs 24h (only @carol may override it)".into(),
        ]);
        assert_eq!(
            text,
            "@vera is not a required reviewer of production. Outside the change windows (mon 09:00–16:00 UTC). Has run 1h in staging; needs 24h (only @carol may override it)."
        );
    }
}
