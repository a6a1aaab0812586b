//! Promotions: the review of what would ship, and moving it into the environment by the method
//! the pipeline names — after Sluice's rules and then the real authority (GitHub, Kubernetes)
//! agreed, and only if it is still what the person reviewed. Every attempt — refused, failed or
//! done — is written to the audit journal, with what actually shipped.

mod follow;
pub mod history;
mod methods;
mod quorum;
mod recording;
mod smoke;
mod values;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sluice_core::UiError;
use sluice_core::approval::{Standing, sentences};
use sluice_core::audit::{AuditAction, AuditEntry, AuditGate, AuditMethod, AuditPlan, AuditResult};
use sluice_core::desk::{ActRequest, Outcome, ProgressLine, ReviewAction, RollbackOffer};
use sluice_core::pipeline::{Environment, OnFailure, Pipeline, PromotionMethod};
use sluice_core::review::{self, Review, ReviewInputs};
use sluice_core::snapshot::{EnvironmentState, GateConditionKind, GateState, Snapshot};
use sluice_github::GithubClient;
use tokio::sync::{broadcast, watch};

use crate::journal::Journal;

pub use methods::helm::HelmPlans;
pub use values::{FileCache, local_values};
pub use verify::Verifications;

/// What the promotion use cases need from the session, for one acting person.
pub struct Setup {
    pub pipeline: Pipeline,
    /// The pipeline file's folder: values files are relative to it.
    pub pipeline_dir: PathBuf,
    pub snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    pub kubeconfig: Option<PathBuf>,
    /// As the acting person (anonymous when nobody is signed in).
    pub github: Option<GithubClient>,
    /// The acting person's GitHub login; `None` when not signed in.
    pub login: Option<String>,
    pub signed_in: bool,
    /// This console's identity on the Lease (`login@host/pid`).
    pub holder: String,
    /// How long to follow a rollout before calling it failed.
    pub follow_timeout: Duration,
    pub files: FileCache,
    pub helm_plans: HelmPlans,
    /// Where a running tool's lines go (`helm upgrade`), for the window and the CLI.
    pub progress: broadcast::Sender<ProgressLine>,
    /// Each environment's verification as it stands, for the window.
    pub verifications: Verifications,
}

impl Setup {
    /// The GitHub client of a signed-in person.
    fn person_github(&self) -> Option<&GithubClient> {
        self.github.as_ref().filter(|_| self.signed_in)
    }
}

/// Whether every source has read everything once (or failed to): a snapshot worth deciding on.
pub fn answered(s: &Snapshot) -> bool {
    s.sources
        .iter()
        .all(|src| src.synced || src.last_error.is_some())
}

fn latest(setup: &Setup) -> Result<Arc<Snapshot>, UiError> {
    let not_ready = |message: &str| {
        UiError::new(
            "promotion.not-ready",
            message,
            "Wait a moment for the cluster and GitHub to answer, then try again.",
        )
    };
    let snapshot = setup
        .snapshots
        .borrow()
        .clone()
        .ok_or_else(|| not_ready("The live state is not known yet."))?;
    // Nothing is decided on what was seen before: the last-known state is for reading.
    if snapshot.last_known.is_some() {
        return Err(not_ready(
            "Only the last-known state is shown: the clusters and GitHub have not answered yet.",
        ));
    }
    Ok(snapshot)
}

/// The environment's configuration, its gate, and both sides as the snapshot shows them.
struct Sides<'a> {
    env: &'a Environment,
    gate: &'a GateState,
    target: &'a EnvironmentState,
    source: &'a EnvironmentState,
}

fn sides<'a>(
    pipeline: &'a Pipeline,
    snapshot: &'a Snapshot,
    environment: &str,
) -> Result<Sides<'a>, UiError> {
    let env = pipeline.environment(environment)?;
    let gate = snapshot
        .gates
        .iter()
        .find(|g| g.environment == environment)
        .ok_or_else(|| {
            UiError::new(
                "promotion.not-a-gate",
                format!("`{environment}` is not reached by promotion."),
                "Promote into an environment whose pipeline entry says `deploy: {on: promotion, from: …}`.",
            )
        })?;
    let state = |name: &str| {
        snapshot
            .environments
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| {
                UiError::new(
                    "promotion.not-ready",
                    format!("The live state of `{name}` is not known yet."),
                    "Wait a moment for the cluster to answer, then try again.",
                )
            })
    };
    Ok(Sides {
        env,
        gate,
        target: state(environment)?,
        source: state(&gate.from)?,
    })
}

fn method_of(env: &Environment) -> PromotionMethod {
    env.gate
        .as_ref()
        .map_or(PromotionMethod::Kubernetes, |g| g.method)
}

/// GitHub's answer for the acting person about the run under review. The live view reads as
/// the session's person, so its answer serves when that is who acts; otherwise (or when the
/// answer must be fresh, before acting) GitHub is asked.
async fn github_can_approve(
    setup: &Setup,
    snapshot: &Snapshot,
    sides: &Sides<'_>,
    run_id: Option<u64>,
    fresh: bool,
) -> Option<bool> {
    if method_of(sides.env) != PromotionMethod::GithubApproval {
        return None;
    }
    let run_id = run_id?;
    let viewer_acts = snapshot
        .viewer
        .as_deref()
        .zip(setup.login.as_deref())
        .is_some_and(|(v, l)| v.eq_ignore_ascii_case(l));
    if viewer_acts && !fresh {
        return sides
            .gate
            .waiting_runs
            .iter()
            .find(|r| r.run_id == run_id)
            .map(|r| r.current_user_can_approve);
    }
    let github = setup.person_github()?;
    match github.pending_deployments(run_id).await {
        Ok(pending) => Some(
            pending
                .iter()
                .any(|p| p.environment == sides.env.name && p.current_user_can_approve),
        ),
        Err(e) => {
            tracing::warn!(run_id, error = %e, "GitHub's answer for the run is not known");
            None
        }
    }
}

/// Everything the review screen and `sluice promote` show, decided by the rules that carry it
/// out; for the run `run_id` when one is named.
pub async fn review(
    setup: &Setup,
    environment: &str,
    run_id: Option<u64>,
) -> Result<Review, UiError> {
    compose(setup, environment, run_id, None, false)
        .await
        .map(|(review, _)| review)
}

/// The review, and for the helm method the upgrade it shows (which approving runs).
async fn compose(
    setup: &Setup,
    environment: &str,
    run_id: Option<u64>,
    override_reason: Option<&str>,
    fresh: bool,
) -> Result<(Review, Option<Arc<methods::helm::Plan>>), UiError> {
    let snapshot = latest(setup)?;
    let sides = sides(&setup.pipeline, &snapshot, environment)?;
    let method = method_of(sides.env);
    let candidate = review::candidate(method, sides.gate, sides.source, run_id);
    let can = github_can_approve(
        setup,
        &snapshot,
        &sides,
        candidate.as_ref().and_then(|c| c.run_id),
        fresh,
    )
    .await;
    let (values, plan) = match &candidate {
        Some(c) => {
            let file = values::at_commit(setup, sides.env, c).await;
            let plan = match method {
                PromotionMethod::Helm => {
                    let source = setup.pipeline.environment(&sides.gate.from)?;
                    Some(methods::helm::plan(setup, sides.env, source, c, &file).await)
                }
                _ => None,
            };
            let values = review::values_changes(
                sides.target,
                sides.source,
                c,
                &file,
                setup.pipeline.image_tag_key.as_deref(),
            );
            (values, plan)
        }
        None => Default::default(),
    };
    let review = review::compose(ReviewInputs {
        app: &setup.pipeline.app,
        environment: sides.env,
        gate: sides.gate,
        target: sides.target,
        candidate,
        values,
        helm: plan.as_ref().map(|p| p.preview.clone()),
        standing: Standing {
            login: setup.login.as_deref(),
            override_reason,
            github_can_approve: can,
        },
    });
    Ok((review, plan))
}

fn refused(message: String, hint: &str) -> UiError {
    UiError::new("promotion.refused", message, hint)
}

/// Why an approval is refused because what it carries is no longer what would ship.
fn release_changed(now: &Review) -> UiError {
    UiError::new(
        "promotion.release-changed",
        format!(
            "The release changed while you were reviewing: {} would now ship {}.",
            now.environment,
            now.candidate
                .as_ref()
                .map_or("nothing", |c| c.label.as_str())
        ),
        "Nothing was changed. Read the review again (it now shows the new release), then decide.",
    )
}

/// The gate conditions as journaled: an approval that is carried out met the reviewers
/// condition itself.
fn audit_gates(review: &Review, approved_by: Option<&str>) -> Vec<AuditGate> {
    review
        .conditions
        .iter()
        .map(|c| {
            let approval = c.kind == GateConditionKind::Reviewers && approved_by.is_some();
            AuditGate {
                kind: format!("{:?}", c.kind).to_lowercase(),
                met: c.met || approval,
                reason: match (approved_by, &review.quorum) {
                    (Some(login), Some(q)) if approval => {
                        let mut names: Vec<String> = q
                            .approvals
                            .iter()
                            .map(|a| format!("@{}", a.login))
                            .collect();
                        if !q.has(login) {
                            names.push(format!("@{login}"));
                        }
                        format!(
                            "approved by {} ({} of {} approvals)",
                            names.join(", "),
                            names.len(),
                            q.required
                        )
                    }
                    (Some(login), None) if approval => format!("approved by @{login}"),
                    _ => c.reason.clone(),
                },
            }
        })
        .collect()
}

/// The attempt as first journaled.
fn attempt(setup: &Setup, review: &Review, request: &ActRequest) -> AuditEntry {
    let id = crate::journal::new_id();
    let overriding = !review.decision.overridden.is_empty();
    let approving = request.action == ReviewAction::Approve;
    AuditEntry {
        id: id.clone(),
        at: crate::journal::now(),
        correlation: id,
        actor: setup.login.clone().unwrap_or_else(|| "unknown".into()),
        environment: review.environment.clone(),
        from_version: review.current_version.clone(),
        to_version: review.candidate.as_ref().map(|c| c.label.clone()),
        method: review.method.into(),
        action: match (request.action, overriding) {
            (ReviewAction::Reject, _) => AuditAction::Reject,
            (ReviewAction::Approve, true) => AuditAction::Override,
            (ReviewAction::Approve, false) if review.method == PromotionMethod::GithubApproval => {
                AuditAction::Approve
            }
            (ReviewAction::Approve, false) => AuditAction::Promote,
        },
        plan: Some(AuditPlan {
            commits: u32::try_from(review.notes.commits.len()).unwrap_or(u32::MAX),
            pull_requests: review
                .notes
                .pull_requests
                .iter()
                .map(|p| p.number)
                .collect(),
            images: review.image_changes.clone(),
            chart: review.helm.as_ref().and_then(|h| h.chart.clone()),
            command: review.helm.as_ref().map(|h| h.command.clone()),
        }),
        gates: audit_gates(
            review,
            // An approval that only counts toward a quorum does not meet the condition yet.
            (approving
                && review.decision.approve.allowed
                && review.decision.vote.is_none_or(|v| v.completes))
            .then_some(setup.login.as_deref())
            .flatten(),
        ),
        comment: Some(request.comment.clone()).filter(|c| !c.trim().is_empty()),
        override_reason: request
            .override_reason
            .clone()
            .filter(|_| overriding && approving),
        result: AuditResult::Started,
        error: None,
        run_id: request.pin.run_id,
        sha: request.pin.sha.clone(),
        shipped: None,
        revision: None,
        recorded_late: None,
    }
}

fn journal_err(e: crate::journal::JournalError) -> UiError {
    e.to_ui()
}

/// How an attempt left the environment, as the journal records it.
#[derive(Default)]
struct Left {
    /// What it runs, as the cluster showed it.
    shipped: Option<String>,
    /// The release's revision (helm).
    revision: Option<u32>,
}

/// Records `started`'s outcome.
fn record(
    journal: &Journal,
    started: &AuditEntry,
    result: AuditResult,
    error: Option<UiError>,
    left: Left,
) -> Result<(), crate::journal::JournalError> {
    let mut entry = started.outcome(
        crate::journal::new_id(),
        crate::journal::now(),
        result,
        error,
    );
    entry.shipped = left.shipped;
    entry.revision = left.revision;
    journal.append(&entry)
}

/// The code of an attempt that changed the environment (or GitHub) but whose outcome the journal
/// could not take: the person must not be told that nothing happened.
pub const DONE_NOT_RECORDED: &str = "promotion.done-not-recorded";

const RECORDED_LATER: &str = "Make room on the disk (or make the audit journal writable): the next time Sluice starts, it records the outcome from what the cluster and GitHub show then. Check it with `sluice audit`.";

/// The outcome could not be journaled after `done` was carried out.
fn done_not_recorded(done: &str, e: &crate::journal::JournalError) -> UiError {
    UiError::new(
        DONE_NOT_RECORDED,
        format!("Done, not recorded: {done}. The audit journal could not record the outcome: {e}."),
        RECORDED_LATER,
    )
}

/// The outcome of an attempt that changed nothing (`why`) could not be journaled either.
fn not_recorded(why: UiError, e: &crate::journal::JournalError) -> UiError {
    UiError::new(
        "promotion.not-recorded",
        format!(
            "{} The audit journal could not record this outcome either: {e}.",
            why.message
        ),
        format!("{} {RECORDED_LATER}", why.hint),
    )
}

/// How a method's attempt ended when it did not succeed.
pub(crate) enum Failure {
    /// The authority said no, or the release changed: nothing was changed.
    Refused(UiError),
    /// Something failed before anything was changed.
    Failed(UiError),
    /// The environment was changed and then went wrong: rolling back is offered.
    WentWrong(UiError),
}

/// What a method did, in words, and what the environment runs at the end.
pub(crate) struct Done {
    pub message: String,
    pub running: Option<String>,
}

/// Approves (or carries out) or rejects what was reviewed, refusing when the release changed
/// since, follows the rollout to its end and journals every step.
pub async fn act(
    setup: &Setup,
    journal: &Journal,
    request: &ActRequest,
) -> Result<Outcome, UiError> {
    let (now, plan) = compose(
        setup,
        &request.environment,
        request.pin.run_id,
        request.override_reason.as_deref(),
        true,
    )
    .await?;
    let started = attempt(setup, &now, request);
    let refuse = |err: UiError| -> Result<Outcome, UiError> {
        record(
            journal,
            &started,
            AuditResult::Refused,
            Some(err.clone()),
            Left::default(),
        )
        .map_err(journal_err)?;
        Err(err)
    };
    if now.pin != request.pin || !methods::still_waiting(setup, &now).await {
        return refuse(release_changed(&now));
    }
    let offer = match request.action {
        ReviewAction::Approve => &now.decision.approve,
        ReviewAction::Reject => &now.decision.reject,
    };
    if !offer.allowed {
        return refuse(refused(
            sentences(&offer.refusals),
            "Each reason says what must change first; nothing was changed in the cluster or on GitHub.",
        ));
    }
    journal.append(&started).map_err(journal_err)?;
    if request.action == ReviewAction::Approve
        && now.decision.vote.is_some_and(|v| !v.completes)
        && let quorum::Counted::Waiting(outcome) =
            quorum::count(setup, journal, &started, &now).await?
    {
        return Ok(outcome);
    }
    let recording = recording::start(setup, journal, &started, Some(&now)).await;
    let done = methods::carry_out(setup, &now, request, plan.as_deref()).await;
    let left = async |s: &Setup| Left {
        shipped: follow::running(s, &request.environment),
        revision: methods::revision_after(s, &now).await,
    };
    match done {
        Ok(done) => {
            let env = setup.pipeline.environment(&request.environment)?;
            if let Some(rules) = &env.verify
                && let verify::Verified::Broke { reason, id } =
                    recording.verified(rules, smoke::verify(setup, env, rules, &now).await)
            {
                let broke = (reason, id);
                return verification_failed(setup, journal, &started, &now, rules, broke).await;
            }
            let left = Left {
                shipped: done.running.clone(),
                ..left(setup).await
            };
            record(journal, &started, AuditResult::Succeeded, None, left)
                .map_err(|e| done_not_recorded(&done.message, &e))?;
            let mut message = done.message;
            if let Some(rules) = &env.verify {
                deployment_status(
                    setup,
                    &now,
                    "success",
                    &format!("Verified by Sluice: held for {} s", rules.for_seconds),
                )
                .await;
                message.push_str(&format!("; verified: it held for {} s", rules.for_seconds));
            }
            Ok(Outcome {
                result: AuditResult::Succeeded,
                message,
                running: done.running,
                rollback: None,
            })
        }
        Err(Failure::Refused(e)) => {
            record(
                journal,
                &started,
                AuditResult::Refused,
                Some(e.clone()),
                Left::default(),
            )
            .map_err(|j| not_recorded(e.clone(), &j))?;
            Err(e)
        }
        Err(Failure::Failed(e)) => {
            let left = left(setup).await;
            record(
                journal,
                &started,
                AuditResult::Failed,
                Some(e.clone()),
                left,
            )
            .map_err(|j| not_recorded(e.clone(), &j))?;
            Err(e)
        }
        Err(Failure::WentWrong(e)) => {
            let left = left(setup).await;
            let shipped = left.shipped.clone();
            record(
                journal,
                &started,
                AuditResult::Failed,
                Some(e.clone()),
                left,
            )
            .map_err(|j| {
                done_not_recorded(
                    &format!("{} was changed, then: {}", request.environment, e.message),
                    &j,
                )
            })?;
            Ok(Outcome {
                result: AuditResult::Failed,
                message: e.message.clone(),
                running: shipped,
                rollback: Some(RollbackOffer {
                    environment: request.environment.clone(),
                    reason: e.message,
                }),
            })
        }
    }
}

/// Puts a verification's result on GitHub, as the status of the promoted commit's deployment
/// there; the promotion stands either way.
async fn deployment_status(setup: &Setup, review: &Review, state: &str, description: &str) {
    let (Some(github), Some(sha)) = (setup.person_github(), review.pin.sha.as_deref()) else {
        return;
    };
    match github
        .set_deployment_status(&review.environment, sha, state, description)
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::info!(
            sha,
            "no GitHub deployment of the commit to give the verification's status"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "the verification's status could not be put on GitHub")
        }
    }
}

/// The new version did not hold: journaled as failed with why, said on GitHub, and rolled back
/// at once (`onFailure: rollback`) or offered for rollback.
async fn verification_failed(
    setup: &Setup,
    journal: &Journal,
    started: &AuditEntry,
    review: &Review,
    rules: &sluice_core::pipeline::Verify,
    (reason, id): (String, String),
) -> Result<Outcome, UiError> {
    let environment = review.environment.as_str();
    let shipped = follow::running(setup, environment);
    let error = UiError::new(
        "promotion.verification-failed",
        format!(
            "{environment} did not hold {} for {} s: {reason}",
            review
                .candidate
                .as_ref()
                .map_or("the new version", |c| c.label.as_str()),
            rules.for_seconds
        ),
        match rules.on_failure {
            OnFailure::Rollback => {
                "Sluice rolled it back, as the pipeline's `verify.onFailure` asks; see why in the environment's pods and events."
            }
            OnFailure::Offer => {
                "Roll back (offered here), or look at the environment's pods and events first."
            }
        },
    );
    record(
        journal,
        started,
        AuditResult::Failed,
        Some(error.clone()),
        Left {
            shipped: shipped.clone(),
            revision: methods::revision_after(setup, review).await,
        },
    )
    .map_err(|e| done_not_recorded(&error.message, &e))?;
    deployment_status(
        setup,
        review,
        "failure",
        &format!("Verification failed: {reason}"),
    )
    .await;
    match rules.on_failure {
        OnFailure::Offer => Ok(Outcome {
            result: AuditResult::Failed,
            message: error.message.clone(),
            running: shipped,
            rollback: Some(RollbackOffer {
                environment: environment.to_owned(),
                reason: format!("verification failed: {reason}"),
            }),
        }),
        OnFailure::Rollback => {
            let rolled = Box::pin(rollback(setup, journal, environment, None)).await;
            let done = rolled.as_ref().map(|_| ()).map_err(|e| e.message.clone());
            verify::rolled_back(setup, environment, &id, &reason, done).await;
            let (then, offer) = match rolled {
                Ok(o) => (format!("rolled back automatically: {}", o.message), None),
                Err(e) => (
                    format!("the automatic rollback failed: {}", e.message),
                    Some(RollbackOffer {
                        environment: environment.to_owned(),
                        reason: format!(
                            "verification failed: {reason}; the automatic rollback failed: {}",
                            e.message
                        ),
                    }),
                ),
            };
            Ok(Outcome {
                result: AuditResult::Failed,
                message: format!("{}. {then}", error.message),
                running: follow::running(setup, environment),
                rollback: offer,
            })
        }
    }
}

/// Whether the console that wrote `started` may still be carrying it out: it is this process,
/// or (on Linux) its process is alive, or (elsewhere, or when its id names no process) it
/// started less than twice the follow timeout ago. A reused process id only delays the outcome.
fn may_still_run(started: &AuditEntry, follow_timeout: Duration) -> bool {
    // Ids are `<time>-<process id>-<counter>` in hex (`journal::new_id`).
    let pid = started
        .id
        .split('-')
        .nth(1)
        .and_then(|p| u32::from_str_radix(p, 16).ok());
    if pid == Some(std::process::id()) {
        return true;
    }
    if cfg!(target_os = "linux")
        && let Some(pid) = pid
        && std::path::Path::new("/proc/self").exists()
    {
        return std::path::Path::new(&format!("/proc/{pid}")).exists();
    }
    started
        .at
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|at| jiff::Timestamp::now().duration_since(at).try_into().ok())
        .is_none_or(|age: Duration| age < follow_timeout * 2)
}

/// The result of `started` as what `running` (what its environment runs now) tells, and how
/// that was decided, for the outcome recorded late.
fn late_result(started: &AuditEntry, running: Option<&str>) -> (AuditResult, String) {
    let env = &started.environment;
    let runs = running.unwrap_or("an unknown version");
    let asked = started.to_version.as_deref().unwrap_or("nothing");
    let before = started.from_version.as_deref().unwrap_or("nothing");
    let (result, how) = match started.action {
        // A rollback to a revision of the history names what it restores.
        AuditAction::Rollback if started.to_version.is_some() => {
            if running.is_some() && running == started.to_version.as_deref() {
                (
                    AuditResult::Succeeded,
                    format!("{env} ran {runs}, the revision asked for: the rollback took effect"),
                )
            } else {
                (
                    AuditResult::Interrupted,
                    format!(
                        "{env} ran {runs}, not {asked} as asked: the rollback did not finish, or was undone since"
                    ),
                )
            }
        }
        AuditAction::Rollback
            if running.is_some() && running != started.from_version.as_deref() =>
        {
            (
                AuditResult::Succeeded,
                format!(
                    "{env} ran {runs}, not {before} as before the rollback: the rollback took effect"
                ),
            )
        }
        AuditAction::Rollback => (
            AuditResult::Interrupted,
            format!("{env} ran {runs}, as before the rollback: it did not take effect"),
        ),
        AuditAction::Reject => (
            AuditResult::Interrupted,
            format!(
                "{env} ran {runs}; a rejection changes nothing there, so whether GitHub took it is not known: see the run on GitHub"
            ),
        ),
        _ if running.is_some() && running == started.to_version.as_deref() => (
            AuditResult::Succeeded,
            format!("{env} ran {runs}, as asked: the change took effect"),
        ),
        _ => (
            AuditResult::Interrupted,
            format!(
                "{env} ran {runs}, not {asked} as asked: the attempt did not finish, or was undone since"
            ),
        ),
    };
    (
        result,
        format!(
            "Recorded late, when Sluice next started: the outcome was not recorded when the attempt ended. Then {how}."
        ),
    )
}

/// Records an outcome for every attempt whose console stopped (or could not write) before
/// recording one, from what its environment runs now, marked as recorded late. Attempts that
/// may still be running elsewhere are left alone. Returns the outcomes recorded.
pub async fn record_late_outcomes(setup: &Setup, journal: &Journal) -> Vec<AuditEntry> {
    let orphans = match journal.interrupted() {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for attempts without an outcome");
            return Vec::new();
        }
    };
    let mut recorded = Vec::new();
    for started in orphans
        .into_iter()
        .filter(|s| !may_still_run(s, setup.follow_timeout))
    {
        let Ok(env) = setup.pipeline.environment(&started.environment) else {
            continue;
        };
        let running = follow::running(setup, &started.environment);
        let (result, how) = late_result(&started, running.as_deref());
        let mut entry = started.outcome(
            crate::journal::new_id(),
            crate::journal::now(),
            result,
            None,
        );
        entry.revision = if method_of(env) == PromotionMethod::Helm {
            methods::helm::deployed_revision(setup, &started.environment).await
        } else {
            None
        };
        entry.shipped = running;
        entry.recorded_late = Some(how);
        match journal.append_outcome(&entry) {
            Ok(true) => recorded.push(entry),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, correlation = %entry.correlation,
                    "cannot record the late outcome of an attempt");
                break;
            }
        }
    }
    recorded
}

/// What to do when an environment's cluster cannot be reached.
pub(crate) fn kube_context_hint(context: &str) -> String {
    format!(
        "Check the environment's kube context `{context}` (Settings, or the pipeline file) and that `kubectl --context {context} get ns` works."
    )
}

/// Rolls `environment` back to `to` (one of its history's revisions), or to its previous
/// revision when `None`; journaled like a promotion.
pub async fn rollback(
    setup: &Setup,
    journal: &Journal,
    environment: &str,
    to: Option<u32>,
) -> Result<Outcome, UiError> {
    let env = setup.pipeline.environment(environment)?;
    let plan = match to {
        Some(revision) => {
            let entries = journal.read().map_err(journal_err)?.entries;
            Some(history::plan(setup, &entries, environment, revision).await?)
        }
        None => None,
    };
    let id = crate::journal::new_id();
    let started = AuditEntry {
        id: id.clone(),
        at: crate::journal::now(),
        correlation: id,
        actor: setup.login.clone().unwrap_or_else(|| "unknown".into()),
        environment: env.name.clone(),
        from_version: follow::running(setup, environment),
        to_version: plan.as_ref().and_then(|p| p.to_version.clone()),
        method: AuditMethod::Rollback,
        action: AuditAction::Rollback,
        plan: plan.as_ref().map(|p| AuditPlan {
            commits: u32::try_from(p.commits_going_away.len()).unwrap_or(u32::MAX),
            pull_requests: Vec::new(),
            images: Vec::new(),
            chart: None,
            command: None,
        }),
        gates: Vec::new(),
        comment: None,
        override_reason: None,
        result: AuditResult::Started,
        error: None,
        run_id: None,
        sha: None,
        shipped: None,
        revision: to,
        recorded_late: None,
    };
    if let Some(refusal) = plan.as_ref().and_then(|p| p.refusal.clone()) {
        let err = UiError::new(
            "rollback.refused",
            format!(
                "{environment} cannot be rolled back to revision {}: {refusal}.",
                to.unwrap_or_default()
            ),
            "Pick another revision from `sluice history` (or the environment's History); nothing was changed.",
        );
        record(
            journal,
            &started,
            AuditResult::Refused,
            Some(err.clone()),
            Left::default(),
        )
        .map_err(|e| not_recorded(err.clone(), &e))?;
        return Err(err);
    }
    journal.append(&started).map_err(journal_err)?;
    let _recording = recording::start(setup, journal, &started, None).await;
    let helm = method_of(env) == PromotionMethod::Helm;
    // A Helm release is rolled back by helm, so that its records stay the truth.
    let result = if helm {
        methods::helm::roll_back(setup, env, to)
            .await
            .map(|()| match to {
                Some(r) => format!("rolled {} back to Helm revision {r}", env.release),
                None => format!("rolled {} back to its previous Helm revision", env.release),
            })
            .map_err(|f| match f {
                Failure::Refused(e) => (AuditResult::Refused, e),
                Failure::Failed(e) | Failure::WentWrong(e) => (AuditResult::Failed, e),
            })
    } else {
        let restore = match plan.as_ref().and_then(|p| p.to_version.as_deref()) {
            Some(version) => {
                let snapshot = latest(setup)?;
                let workloads = snapshot
                    .environments
                    .iter()
                    .find(|e| e.name == environment)
                    .map(|e| e.workloads.clone())
                    .unwrap_or_default();
                Some(sluice_core::history::replica_sets_to_restore(
                    &workloads, version,
                ))
            }
            None => None,
        };
        let target = match &restore {
            Some(sets) => sluice_kube::write::RollbackTarget::ReplicaSets(sets),
            None => sluice_kube::write::RollbackTarget::Previous,
        };
        methods::kubernetes::roll_back(setup, env, target)
            .await
            .map(|names| format!("rolled back {}", names.join(", ")))
    };
    let left = Left {
        shipped: follow::running(setup, environment),
        revision: if helm {
            methods::helm::deployed_revision(setup, environment).await
        } else {
            None
        },
    };
    match result {
        Ok(what) => {
            let shipped = left.shipped.clone();
            let message = format!(
                "{what}; {environment} runs {}",
                shipped.as_deref().unwrap_or("its previous revision")
            );
            record(journal, &started, AuditResult::Succeeded, None, left)
                .map_err(|e| done_not_recorded(&message, &e))?;
            Ok(Outcome {
                result: AuditResult::Succeeded,
                message,
                running: shipped,
                rollback: None,
            })
        }
        Err((result, e)) => {
            record(journal, &started, result, Some(e.clone()), left)
                .map_err(|j| not_recorded(e.clone(), &j))?;
            Err(e)
        }
    }
}

/// A failure of GitHub: a 4xx is GitHub's refusal, anything else a failure to reach it.
pub(crate) fn github_failure(e: sluice_github::GithubError) -> Failure {
    let text = e.to_string();
    if e.status().is_some_and(|s| (400..500).contains(&s)) {
        Failure::Refused(refused(
            format!("GitHub refused: {text}"),
            "GitHub has the last word on approvals: check that you are a required reviewer and did not trigger this run.",
        ))
    } else {
        Failure::Failed(UiError::new(
            "promotion.github-failed",
            format!("GitHub could not be reached: {text}"),
            "Try again; nothing was approved.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(id: &str, action: AuditAction, at: &str) -> AuditEntry {
        AuditEntry {
            id: id.into(),
            at: at.into(),
            correlation: id.into(),
            actor: "alice".into(),
            environment: "production".into(),
            from_version: Some("aaa1111".into()),
            to_version: (action != AuditAction::Rollback).then(|| "bbb2222".into()),
            method: AuditMethod::Kubernetes,
            action,
            plan: None,
            gates: vec![],
            comment: None,
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

    #[test]
    fn a_late_outcome_is_what_the_environment_runs_says() {
        let now = "2026-03-01T10:00:00Z";
        let promote = started("p", AuditAction::Promote, now);
        let (result, how) = late_result(&promote, Some("bbb2222"));
        assert_eq!(result, AuditResult::Succeeded);
        assert!(how.contains("production ran bbb2222, as asked"), "{how}");
        let (result, how) = late_result(&promote, Some("aaa1111"));
        assert_eq!(result, AuditResult::Interrupted);
        assert!(how.contains("not bbb2222 as asked"), "{how}");
        assert_eq!(late_result(&promote, None).0, AuditResult::Interrupted);

        let rollback = started("r", AuditAction::Rollback, now);
        assert_eq!(
            late_result(&rollback, Some("0000000")).0,
            AuditResult::Succeeded
        );
        assert_eq!(
            late_result(&rollback, Some("aaa1111")).0,
            AuditResult::Interrupted
        );
        // A rollback to a revision of the history took effect only if it runs what it names.
        let to = AuditEntry {
            to_version: Some("9999999".into()),
            ..rollback.clone()
        };
        assert_eq!(late_result(&to, Some("9999999")).0, AuditResult::Succeeded);
        let (result, how) = late_result(&to, Some("0000000"));
        assert_eq!(
            result,
            AuditResult::Interrupted,
            "another version is not the one asked for"
        );
        assert!(how.contains("not 9999999 as asked"), "{how}");
        // A rejection leaves the cluster as it was: nothing there says whether it happened.
        let reject = started("j", AuditAction::Reject, now);
        assert_eq!(
            late_result(&reject, Some("aaa1111")).0,
            AuditResult::Interrupted
        );
    }

    #[test]
    fn an_attempt_of_this_or_a_live_process_may_still_run_a_dead_ones_not() {
        let follow = Duration::from_secs(15 * 60);
        let now = jiff::Timestamp::now().to_string();
        let mine = format!("1-{:x}-0", std::process::id());
        assert!(may_still_run(
            &started(&mine, AuditAction::Promote, &now),
            follow
        ));
        // No such process (ids are hex; pids stay far below this on Linux).
        let gone = started("1-7ffffffe-0", AuditAction::Promote, &now);
        assert_eq!(may_still_run(&gone, follow), !cfg!(target_os = "linux"));
        // An id that names no process: by age.
        let old = started("odd", AuditAction::Promote, "2020-01-01T00:00:00Z");
        assert!(!may_still_run(&old, follow));
        assert!(may_still_run(
            &started("odd", AuditAction::Promote, &now),
            follow
        ));
    }
}
