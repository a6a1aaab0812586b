//! What a verification waits on beside the live view (`verify`): the smoke-test Job made from
//! the pipeline's template, which must succeed, and the gate's required checks on the deployed
//! commit, which must not fail on GitHub while the new version holds.

use std::time::Duration;

use sluice_core::pipeline::{Environment, Verify};
use sluice_core::review::Review;
use sluice_core::snapshot::CheckState;
use sluice_kube::write::job::{self, JobEnd, JobLabels};

use super::Setup;
use super::verify::{self as hold, Verified, say};

/// How often the required checks are asked for while verifying (a few requests a window).
const CHECKS_EVERY: Duration = Duration::from_secs(30);
/// How much longer than the hold a smoke-test Job may run before it counts as failed.
const JOB_GRACE: Duration = Duration::from_secs(300);

/// Verifies `env` after `review`'s promotion: the live view must hold (see `verify`), the
/// smoke test (if any) must succeed, and no required check may fail; the first failure ends it.
pub(super) async fn verify(
    setup: &Setup,
    env: &Environment,
    rules: &Verify,
    review: &Review,
) -> Verified {
    let name = env.name.as_str();
    let version = review
        .candidate
        .as_ref()
        .map_or("the new version", |c| c.label.as_str());
    let live = hold::verify(setup, env, rules, version);
    let job = smoke_test(setup, env, rules, review);
    let checks = required_checks(setup, env, review);
    tokio::pin!(live, job, checks);
    let mut job_done = rules.job.is_none();
    let mut held = false;
    loop {
        tokio::select! {
            // The live hold first: it publishes this verification before anything beside it
            // may fail it.
            biased;
            verified = &mut live, if !held => match verified {
                Verified::Held if job_done => return Verified::Held,
                Verified::Held => {
                    held = true;
                    say(setup, name, "verifying: waiting for the smoke test Job to finish".into());
                }
                broke => return broke,
            },
            ended = &mut job, if !job_done => match ended {
                Ok(()) if held => return Verified::Held,
                Ok(()) => job_done = true,
                Err(reason) => return hold::fail_beside(setup, name, rules, reason),
            },
            reason = &mut checks => return hold::fail_beside(setup, name, rules, reason),
        }
    }
}

/// Runs the smoke-test Job to its end: `Err` with why when it failed, did not finish in time or
/// could not run (a Job Kubernetes refuses, in RBAC's words: a required test that did not run
/// verifies nothing). Without a template there is nothing to run. A Job left behind because the
/// verification ended first is deleted.
async fn smoke_test(
    setup: &Setup,
    env: &Environment,
    rules: &Verify,
    review: &Review,
) -> Result<(), String> {
    let Some(template) = &rules.job else {
        return Ok(());
    };
    let name = env.name.as_str();
    let manifest: serde_json::Value = serde_json::from_str(&template.manifest).map_err(|e| {
        format!(
            "the smoke-test Job template {} is unreadable: {e}",
            template.file
        )
    })?;
    let client = sluice_kube::connect(setup.kubeconfig.as_deref(), &env.kube_context)
        .await
        .map_err(|e| format!("the smoke test could not start: {e}"))?;
    let version = review.candidate.as_ref().map_or("", |c| c.label.as_str());
    let labels = JobLabels {
        environment: name,
        version,
    };
    let limit = Duration::from_secs(u64::from(rules.for_seconds)) + JOB_GRACE;
    let started = match job::start(&client, &env.namespace, &manifest, &labels, limit).await {
        Ok(started) => started,
        Err(sluice_kube::write::WriteError::Forbidden(why)) => {
            return Err(format!(
                "the smoke test could not run: Kubernetes refused to create the Job ({why}); it needs create, get, list and watch on jobs in `{}`",
                env.namespace
            ));
        }
        Err(e) => return Err(format!("the smoke test could not start: {e}")),
    };
    say(
        setup,
        name,
        format!("smoke test: Job {started} started in {}", env.namespace),
    );
    let mut running = job::Running::new(&client, &env.namespace, &started);
    let ended = job::wait(&client, &env.namespace, &started, limit).await;
    if matches!(ended, Ok(Some(_))) {
        running.ended();
    }
    match ended {
        Ok(Some(JobEnd::Succeeded)) => {
            say(setup, name, format!("smoke test: Job {started} succeeded"));
            Ok(())
        }
        Ok(Some(JobEnd::Failed(why))) => Err(format!("the smoke test Job {started} failed: {why}")),
        Ok(None) => Err(format!(
            "the smoke test Job {started} did not finish within {} s",
            limit.as_secs()
        )),
        Err(e) => Err(format!(
            "the smoke test Job {started} could not be followed: {e}"
        )),
    }
}

/// Asks GitHub for the gate's required checks on the deployed commit every [`CHECKS_EVERY`];
/// returns (only) when one of them failed. Unanswered questions are not failures.
async fn required_checks(setup: &Setup, env: &Environment, review: &Review) -> String {
    let required = env
        .gate
        .as_ref()
        .map(|g| g.required_checks.clone())
        .unwrap_or_default();
    let (Some(github), Some(sha), false) = (
        setup.github.as_ref(),
        review.pin.sha.as_deref(),
        required.is_empty(),
    ) else {
        return std::future::pending().await;
    };
    loop {
        match github.checks_by_name(sha).await {
            Ok(Some(checks)) => {
                let failed: Vec<&str> = checks
                    .iter()
                    .filter(|(n, s)| *s == CheckState::Failure && required.contains(n))
                    .map(|(n, _)| n.as_str())
                    .collect();
                if !failed.is_empty() {
                    return format!(
                        "the required check{} {} failed on {}",
                        if failed.len() == 1 { "" } else { "s" },
                        failed.join(", "),
                        sluice_core::commit::short(sha)
                    );
                }
            }
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "required checks not known during verification"),
        }
        tokio::time::sleep(CHECKS_EVERY).await;
    }
}
