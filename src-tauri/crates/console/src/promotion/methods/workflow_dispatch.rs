//! `workflow-dispatch`: Sluice starts the deploy workflow with the environment and the reviewed
//! commit as inputs, and follows the environment until it runs that commit.

use sluice_core::desk::ActRequest;
use sluice_core::review::Review;

use super::super::{Done, Failure, Setup, follow, github_failure, refused};

pub(super) async fn dispatch(
    setup: &Setup,
    review: &Review,
    _request: &ActRequest,
) -> Result<Done, Failure> {
    let github = setup.person_github().ok_or_else(|| {
        Failure::Refused(refused(
            "Sign in to GitHub to dispatch the deploy workflow.".into(),
            "Sign in (Settings, or `sluice login`).",
        ))
    })?;
    let Some(sha) = review.pin.sha.clone() else {
        return Err(Failure::Refused(refused(
            format!(
                "The version running in `{}` is not a known commit.",
                review.from
            ),
            "Wait until the source environment runs a version built from a commit.",
        )));
    };
    let workflow = setup
        .pipeline
        .environments
        .iter()
        .find(|e| e.name == review.environment)
        .and_then(|e| e.gate.as_ref())
        .and_then(|g| g.workflow.clone())
        .unwrap_or_else(|| "deploy.yml".into());
    let inputs = serde_json::json!({"environment": review.environment, "version": sha});
    github
        .dispatch_workflow(&workflow, "main", &inputs)
        .await
        .map_err(github_failure)?;
    follow::until_running(setup, &review.environment, Some(&sha)).await
}
