//! DORA metrics as a session reads them: each environment's changes are gathered here (GitHub's
//! deployments and the commits they shipped, Helm's revisions from the live view, the journal),
//! the figures are `sluice_core::metrics`'s, so the window and `sluice metrics` agree.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use sluice_core::UiError;
use sluice_core::audit::AuditEntry;
use sluice_core::inputs::{CommitInfo, DeploymentInfo};
use sluice_core::metrics::records::{RecordInputs, records};
use sluice_core::metrics::{self, DeploymentRecord, Metrics, Period};

use crate::promotion::Setup;

/// How many GitHub deployments of each environment are read (one page, GitHub's largest).
pub const GITHUB_DEPLOYMENTS: usize = 100;

/// The metrics of `only` (or of every environment of the pipeline) over the `days` before the
/// live view's time; `journal` is the whole journal.
pub async fn metrics(
    setup: &Setup,
    journal: &[AuditEntry],
    days: u32,
    only: Option<&str>,
) -> Result<Metrics, UiError> {
    let environments: Vec<String> = match only {
        Some(name) => vec![setup.pipeline.environment(name)?.name.clone()],
        None => setup
            .pipeline
            .environments
            .iter()
            .map(|e| e.name.clone())
            .collect(),
    };
    let snapshot = setup.snapshots.borrow().clone().ok_or_else(|| {
        UiError::new(
            "metrics.not-ready",
            "The live state of the pipeline is not known yet.",
            "Wait a moment for the cluster and GitHub to answer, then try again.",
        )
    })?;
    // The live view's time: in the demo, the simulated world's.
    let until: Timestamp = snapshot
        .generated_at
        .parse()
        .unwrap_or_else(|_| Timestamp::now());
    let period = Period::days_before(until, days);
    let mut problems = Vec::new();
    let mut deployments: BTreeMap<&str, Vec<DeploymentInfo>> = BTreeMap::new();
    // A few hundred reads: more than GitHub allows anyone not signed in in an hour (60), and
    // the client would wait for the limit's reset rather than fail.
    let github = setup.github.as_ref().filter(|_| setup.signed_in);
    match github {
        Some(github) => {
            for env in &environments {
                match github.deployment_outcomes(env, GITHUB_DEPLOYMENTS).await {
                    Ok(d) => {
                        deployments.insert(env, d);
                    }
                    Err(e) => problems.push(format!(
                        "GitHub's deployments to {env} could not be read ({e}): its changes are from Helm and the journal only"
                    )),
                }
            }
        }
        None if setup.github.is_some() => problems.push(
            "Not signed in to GitHub: its deployments and commits were not read (GitHub allows 60 requests an hour without signing in), so changes are from Helm and the journal only and lead times are not known. Sign in (Settings, or `sluice login`) to include them."
                .to_owned(),
        ),
        None => problems.push(
            "GitHub is not configured: changes are from Helm and the journal only, and lead times are not known"
                .to_owned(),
        ),
    }
    let gather = |commits: &BTreeMap<String, CommitInfo>| -> Vec<DeploymentRecord> {
        environments
            .iter()
            .flat_map(|env| {
                let helm = snapshot
                    .environments
                    .iter()
                    .find(|e| &e.name == env)
                    .map(|e| e.helm_history.as_slice())
                    .unwrap_or_default();
                records(&RecordInputs {
                    environment: env,
                    deployments: deployments.get(env.as_str()).map_or(&[], Vec::as_slice),
                    helm_history: helm,
                    journal,
                    commits,
                })
            })
            .collect()
    };
    let mut commits = BTreeMap::new();
    if let Some(github) = github {
        // Only the commits shipped in the period: lead time is taken over those alone.
        let shas: BTreeSet<String> = gather(&commits)
            .into_iter()
            .filter(|r| r.deployed_at >= period.since)
            .filter_map(|r| r.sha)
            .collect();
        let mut unread = 0;
        for sha in shas {
            match github.commit(&sha).await {
                Ok(Some(c)) => {
                    commits.insert(c.sha.clone(), c);
                }
                Ok(None) | Err(_) => unread += 1,
            }
        }
        if unread > 0 {
            problems.push(format!(
                "GitHub did not describe {unread} deployed commit(s): their lead times are left out"
            ));
        }
    }
    Ok(metrics::metrics(
        &environments,
        &gather(&commits),
        period,
        problems,
    ))
}
