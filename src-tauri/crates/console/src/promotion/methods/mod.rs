//! The promotion methods, one module each: how an approved release reaches the environment.

mod github_approval;
pub(crate) mod helm;
pub(crate) mod kubernetes;
mod workflow_dispatch;

use sluice_core::desk::{ActRequest, ReviewAction};
use sluice_core::pipeline::PromotionMethod;
use sluice_core::review::Review;

use super::{Done, Failure, Setup};

/// Whether what the review names still waits where the method acts: for github-approval, the
/// run is still waiting on GitHub for the reviewed commit (the live view may lag behind).
pub(super) async fn still_waiting(setup: &Setup, review: &Review) -> bool {
    match review.method {
        PromotionMethod::GithubApproval => github_approval::still_waiting(setup, review).await,
        PromotionMethod::WorkflowDispatch | PromotionMethod::Kubernetes | PromotionMethod::Helm => {
            true
        }
    }
}

/// Carries out `request` (already decided and journaled as started) by the review's method;
/// `plan` is the helm method's upgrade, worked out with the review.
pub(super) async fn carry_out(
    setup: &Setup,
    review: &Review,
    request: &ActRequest,
    plan: Option<&helm::Plan>,
) -> Result<Done, Failure> {
    match (review.method, request.action) {
        (PromotionMethod::GithubApproval, action) => {
            github_approval::review_run(setup, review, request, action).await
        }
        (_, ReviewAction::Reject) => Err(Failure::Refused(super::refused(
            "Only a deploy run waiting for review can be rejected.".to_owned(),
            "Nothing was changed.",
        ))),
        (PromotionMethod::WorkflowDispatch, ReviewAction::Approve) => {
            workflow_dispatch::dispatch(setup, review, request).await
        }
        (PromotionMethod::Kubernetes, ReviewAction::Approve) => {
            kubernetes::set_images(setup, review, request).await
        }
        (PromotionMethod::Helm, ReviewAction::Approve) => match plan {
            Some(plan) => helm::upgrade(setup, review, plan).await,
            None => Err(Failure::Refused(super::refused(
                "There is nothing to upgrade to: no release is waiting to be promoted.".into(),
                "Nothing was changed.",
            ))),
        },
    }
}

/// What the journal records as the environment's release revision after an attempt (helm).
pub(super) async fn revision_after(setup: &Setup, review: &Review) -> Option<u32> {
    match review.method {
        PromotionMethod::Helm => helm::deployed_revision(setup, &review.environment).await,
        _ => None,
    }
}
