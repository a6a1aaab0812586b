//! An environment's history as a session reads it, and the plan of a rollback to one of its
//! revisions: the inputs are gathered here (the live view, the journal, GitHub's deployments),
//! the rules are `sluice_core::history`'s, so the window and the CLI show the same rows.

use sluice_core::UiError;
use sluice_core::audit::AuditEntry;
use sluice_core::history::{self, GITHUB_DEPLOYMENTS, History, HistoryInputs, RollbackPlan};
use sluice_core::pipeline::PromotionMethod;
use sluice_core::snapshot::{CommitSummary, EnvironmentState};

use super::{Setup, latest, method_of};

fn state_of<'a>(
    snapshot: &'a sluice_core::snapshot::Snapshot,
    environment: &str,
) -> Result<&'a EnvironmentState, UiError> {
    snapshot
        .environments
        .iter()
        .find(|e| e.name == environment)
        .ok_or_else(|| {
            UiError::new(
                "promotion.not-ready",
                format!("The live state of `{environment}` is not known yet."),
                "Wait a moment for the cluster to answer, then try again.",
            )
        })
}

/// `environment`'s history, newest first; `journal` is the whole journal, oldest first.
pub async fn history(
    setup: &Setup,
    journal: &[AuditEntry],
    environment: &str,
) -> Result<History, UiError> {
    let env = setup.pipeline.environment(environment)?;
    let snapshot = latest(setup)?;
    let state = state_of(&snapshot, environment)?;
    let mut problems = Vec::new();
    let deployments = match &setup.github {
        Some(github) => match github
            .deployment_history(environment, GITHUB_DEPLOYMENTS)
            .await
        {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!(
                    "GitHub's deployments could not be read ({e}): who deployed what is from the journal only"
                ));
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let rows = history::history(&HistoryInputs {
        environment,
        helm_method: method_of(env) == PromotionMethod::Helm,
        helm_history: &state.helm_history,
        workloads: &state.workloads,
        journal,
        deployments: &deployments,
    });
    Ok(History {
        environment: environment.to_owned(),
        rows,
        problems,
    })
}

/// What rolling `environment` back to `revision` would change, and whether it can.
pub async fn plan(
    setup: &Setup,
    journal: &[AuditEntry],
    environment: &str,
    revision: u32,
) -> Result<RollbackPlan, UiError> {
    let history = history(setup, journal, environment).await?;
    let commit = |current: bool| {
        history
            .rows
            .iter()
            .find(|r| {
                if current {
                    r.current
                } else {
                    r.revision == revision
                }
            })
            .and_then(|r| r.sha.clone().or_else(|| r.version.clone()))
            .filter(|s| sluice_core::commit::as_sha(s).is_some())
    };
    let going = match (&setup.github, commit(false), commit(true)) {
        (None, _, _) => Err("GitHub is not configured".to_owned()),
        (_, None, _) | (_, _, None) => {
            Err("the versions are not commits, so GitHub cannot compare them".to_owned())
        }
        (Some(github), Some(then), Some(now)) => commits_between(github, &then, &now).await,
    };
    Ok(history::rollback_plan(
        environment,
        &history.rows,
        revision,
        going,
    ))
}

/// What `now` has that `then` has not, oldest first.
async fn commits_between(
    github: &sluice_github::GithubClient,
    then: &str,
    now: &str,
) -> Result<Vec<CommitSummary>, String> {
    let comparison = github
        .compare(then, now)
        .await
        .map_err(|e| format!("GitHub could not compare them: {e}"))?;
    Ok(comparison
        .commits
        .into_iter()
        .map(|c| CommitSummary {
            sha: c.sha,
            title: c.title,
            author: c.author.unwrap_or_default(),
        })
        .collect())
}
