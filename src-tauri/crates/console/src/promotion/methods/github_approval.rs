//! `github-approval`: the deploy workflow's job waits on the protected environment; Sluice
//! submits the person's review of that run (GitHub decides whether they may), and the workflow
//! deploys the run's commit.

use sluice_core::desk::{ActRequest, ReviewAction};
use sluice_core::review::Review;
use sluice_github::Review as GithubReview;

use super::super::{Done, Failure, Setup, follow, github_failure, refused};

/// The run is still waiting on GitHub, for the commit reviewed.
pub(super) async fn still_waiting(setup: &Setup, review: &Review) -> bool {
    let (Some(github), Some(run_id), Some(sha)) = (
        setup.person_github(),
        review.pin.run_id,
        review.pin.sha.as_deref(),
    ) else {
        // Nothing to check against: the decision refuses it anyway.
        return true;
    };
    match github.run(run_id).await {
        Ok(run) => run.status == "waiting" && run.head_sha == sha,
        Err(e) => {
            tracing::warn!(run_id, error = %e, "cannot confirm the run still waits");
            // GitHub decides when the review is submitted.
            true
        }
    }
}

pub(super) async fn review_run(
    setup: &Setup,
    review: &Review,
    request: &ActRequest,
    action: ReviewAction,
) -> Result<Done, Failure> {
    let github = setup.person_github().ok_or_else(|| {
        Failure::Refused(refused(
            "Sign in to GitHub to review the deploy run.".into(),
            "Sign in (Settings, or `sluice login`).",
        ))
    })?;
    let (Some(run_id), Some(candidate)) = (review.pin.run_id, review.candidate.as_ref()) else {
        return Err(Failure::Refused(refused(
            format!("No deploy run is waiting on `{}`.", review.environment),
            "Approvals apply to a deploy workflow run waiting on the environment; start one first.",
        )));
    };
    let pending = github
        .pending_deployments(run_id)
        .await
        .map_err(github_failure)?;
    let ids: Vec<u64> = pending
        .iter()
        .filter(|p| p.environment == review.environment)
        .map(|p| p.environment_id)
        .collect();
    let verdict = match action {
        ReviewAction::Approve => GithubReview::Approve,
        ReviewAction::Reject => GithubReview::Reject,
    };
    github
        .review_pending(run_id, &ids, verdict, &request.comment)
        .await
        .map_err(github_failure)?;
    match action {
        ReviewAction::Reject => Ok(Done {
            message: format!(
                "rejected run #{run_id} ({}) for {}",
                candidate.label, review.environment
            ),
            running: follow::running(setup, &review.environment),
        }),
        ReviewAction::Approve => {
            follow::until_running(setup, &review.environment, candidate.sha.as_deref()).await
        }
    }
}
