//! `kubernetes`: Sluice sets each reviewed container to its reviewed image itself, by
//! server-side apply under the environment's Lease, after Kubernetes said the person may; and
//! rolls an environment back the same way.

use sluice_core::UiError;
use sluice_core::audit::AuditResult;
use sluice_core::desk::ActRequest;
use sluice_core::pipeline::Environment;
use sluice_core::review::Review;
use sluice_kube::write::{self, Record, WriteError};

use super::super::{Done, Failure, Setup, follow, kube_context_hint};

/// The person's client for `env`'s kube context; `code` names what could not be done.
pub(in crate::promotion) async fn client(
    setup: &Setup,
    env: &Environment,
    code: &str,
) -> Result<kube::Client, UiError> {
    sluice_kube::connect(setup.kubeconfig.as_deref(), &env.kube_context)
        .await
        .map_err(|e| UiError::new(code, e.to_string(), kube_context_hint(&env.kube_context)))
}

pub(super) fn authority(e: WriteError) -> Failure {
    let refused = e.is_refusal();
    let went_wrong = matches!(e, WriteError::RolloutFailed(_));
    let err = UiError::new(
        if refused {
            if matches!(e, WriteError::Changed(_)) {
                "promotion.release-changed"
            } else {
                "promotion.refused"
            }
        } else if went_wrong {
            "promotion.rollout-failed"
        } else {
            "promotion.failed"
        },
        e.to_string(),
        if went_wrong {
            "Roll back with the Rollback button or `sluice rollback`; see the environment's workloads for what failed."
        } else {
            "The cluster has the last word; see the environment's workloads for what happened."
        },
    );
    if refused {
        Failure::Refused(err)
    } else if went_wrong {
        Failure::WentWrong(err)
    } else {
        Failure::Failed(err)
    }
}

pub(super) async fn set_images(
    setup: &Setup,
    review: &Review,
    request: &ActRequest,
) -> Result<Done, Failure> {
    let env = setup
        .pipeline
        .environment(&review.environment)
        .map_err(Failure::Failed)?;
    let client = client(setup, env, "promotion.kubernetes-unreachable")
        .await
        .map_err(Failure::Failed)?;
    let version = review.candidate.as_ref().map_or("?", |c| c.label.as_str());
    let record = Record {
        actor: setup.login.as_deref().unwrap_or("unknown"),
        from_environment: &review.from,
        version,
        reason: &request.comment,
    };
    write::set_images(
        &client,
        &env.namespace,
        &review.pin.images,
        &record,
        &setup.holder,
        setup.follow_timeout,
    )
    .await
    .map_err(authority)?;
    // Traceability on GitHub when the token allows; the promotion stands either way.
    if let (Some(github), Some(sha)) = (setup.person_github(), &review.pin.sha)
        && let Err(e) = github
            .record_deployment(
                sha,
                &env.name,
                "success",
                &format!("Promoted by Sluice from {}", review.from),
            )
            .await
    {
        tracing::warn!(error = %e, "the promotion could not be recorded on GitHub");
    }
    let running = follow::settled_running(setup, &env.name, review.pin.sha.as_deref()).await;
    Ok(Done {
        message: format!(
            "{} now runs {}",
            env.name,
            running.as_deref().unwrap_or(version)
        ),
        running,
    })
}

/// Rolls the environment's workloads back to `target`; the Deployments changed.
pub(crate) async fn roll_back(
    setup: &Setup,
    env: &Environment,
    target: write::RollbackTarget<'_>,
) -> Result<Vec<String>, (AuditResult, UiError)> {
    let client = client(setup, env, "rollback.kubernetes-unreachable")
        .await
        .map_err(|e| (AuditResult::Failed, e))?;
    write::rollback(
        &client,
        &env.namespace,
        &env.release,
        target,
        &setup.holder,
        setup.follow_timeout,
    )
    .await
    .map_err(|e| {
        let result = if e.is_refusal() {
            AuditResult::Refused
        } else {
            AuditResult::Failed
        };
        (
            result,
            UiError::new(
                if e.is_refusal() {
                    "rollback.refused"
                } else {
                    "rollback.failed"
                },
                e.to_string(),
                "See the environment's workloads; Kubernetes has the last word.",
            ),
        )
    })
}
