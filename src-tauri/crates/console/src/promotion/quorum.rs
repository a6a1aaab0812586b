//! A gate asking for a quorum (`approval.required: N`): an approval that is not the last one
//! needed is added to the environment's ledger in the cluster, with the person's own Kubernetes
//! credentials, and journaled as counted; the last one carries the promotion out by the gate's
//! method (for github-approval, GitHub's review is submitted then, in that person's name), and
//! the release's approvals are cleared from the ledger.

use sluice_core::UiError;
use sluice_core::audit::{AuditEntry, AuditResult};
use sluice_core::desk::Outcome;
use sluice_core::pipeline::Environment;
use sluice_core::quorum::{LedgerApproval, ledger_key};
use sluice_core::review::Review;
use sluice_kube::write::{WriteError, ledger};

use super::{Setup, journal_err, kube_context_hint, latest, record};
use crate::journal::Journal;

const PERMISSIONS_HINT: &str = "Your approval was not counted. Approvals toward a quorum are kept in the ConfigMap `sluice-approvals` of the environment's namespace: ask your cluster's admin for get, create and patch on it (README, “Quorum approvals”).";

async fn client(setup: &Setup, env: &Environment) -> Result<kube::Client, UiError> {
    sluice_kube::connect(setup.kubeconfig.as_deref(), &env.kube_context)
        .await
        .map_err(|e| {
            UiError::new(
                "promotion.kubernetes-unreachable",
                e.to_string(),
                kube_context_hint(&env.kube_context),
            )
        })
}

/// The ledger keys of approvals in `env` that are of no release still in question: not the
/// one approved now, not what the source runs, not a waiting run's.
fn stale_keys(setup: &Setup, review: &Review) -> Vec<String> {
    let Ok(snapshot) = latest(setup) else {
        return Vec::new();
    };
    let Some(gate) = snapshot
        .gates
        .iter()
        .find(|g| g.environment == review.environment)
    else {
        return Vec::new();
    };
    let source_sha = snapshot
        .environments
        .iter()
        .find(|e| e.name == gate.from)
        .and_then(|e| e.version.as_ref())
        .and_then(|v| v.sha.clone());
    let mut live: Vec<(String, Option<String>)> = gate
        .waiting_runs
        .iter()
        .map(|r| (r.label.clone(), Some(r.sha.clone())))
        .collect();
    live.extend(
        gate.pending
            .incoming_version
            .clone()
            .map(|v| (v, source_sha.clone())),
    );
    live.extend(
        review
            .candidate
            .as_ref()
            .map(|c| (c.label.clone(), c.sha.clone())),
    );
    gate.ledger
        .iter()
        .filter(|a| {
            !live
                .iter()
                .any(|(v, sha)| a.approves(&review.environment, v, sha.as_deref()))
        })
        .map(|a| ledger_key(&a.environment, &a.login))
        .collect()
}

/// Adds the person's approval of what `review` shows to the ledger and journals it (`started`
/// already checked and about to be appended by the caller's rules): the promotion waits for
/// the others.
pub(super) async fn count(
    setup: &Setup,
    journal: &Journal,
    started: &AuditEntry,
    review: &Review,
) -> Result<Outcome, UiError> {
    let env = setup.pipeline.environment(&review.environment)?;
    let (Some(login), Some(candidate), Some(quorum)) = (
        setup.login.as_deref(),
        review.candidate.as_ref(),
        review.quorum.as_ref(),
    ) else {
        return Err(UiError::new(
            "promotion.refused",
            "There is no release to approve toward a quorum.",
            "Nothing was changed.",
        ));
    };
    journal.append(started).map_err(journal_err)?;
    let approval = LedgerApproval {
        environment: review.environment.clone(),
        login: login.to_owned(),
        version: candidate.label.clone(),
        sha: candidate.sha.clone(),
        at: crate::journal::now(),
        comment: started.comment.clone(),
    };
    let written = match client(setup, env).await {
        Ok(client) => ledger::record(
            &client,
            &env.namespace,
            &approval,
            &stale_keys(setup, review),
        )
        .await
        .map_err(|e| ledger_error(e, &env.namespace)),
        Err(e) => Err(e),
    };
    if let Err(e) = written {
        let result = if e.code == "promotion.ledger-forbidden" {
            AuditResult::Refused
        } else {
            AuditResult::Failed
        };
        record(
            journal,
            started,
            result,
            Some(e.clone()),
            Default::default(),
        )
        .map_err(journal_err)?;
        return Err(e);
    }
    record(
        journal,
        started,
        AuditResult::Counted,
        None,
        Default::default(),
    )
    .map_err(journal_err)?;
    let now = quorum.count() + 1;
    let missing = quorum.required.saturating_sub(now);
    let mut names: Vec<String> = quorum
        .approvals
        .iter()
        .map(|a| format!("@{}", a.login))
        .collect();
    names.push(format!("@{login}"));
    Ok(Outcome {
        result: AuditResult::Counted,
        message: format!(
            "Your approval of {} for {} is counted: {now} of {} approvals ({}). It ships to {} when {missing} more reviewer{} approve{}.",
            candidate.label,
            review.environment,
            quorum.required,
            names.join(", "),
            review.environment,
            if missing == 1 { "" } else { "s" },
            if missing == 1 { "s" } else { "" },
        ),
        running: review.current_version.clone(),
        rollback: None,
    })
}

/// After the last approval carried the promotion out: its approvals leave the ledger, so that
/// the same release promoted again later asks for a quorum again. A failure here only leaves
/// entries behind, which the next approval in this environment removes as stale.
pub(super) async fn clear(setup: &Setup, review: &Review) {
    let Some(quorum) = &review.quorum else {
        return;
    };
    let Ok(env) = setup.pipeline.environment(&review.environment) else {
        return;
    };
    let keys: Vec<String> = quorum
        .approvals
        .iter()
        .map(|a| ledger_key(&a.environment, &a.login))
        .collect();
    let cleared = match client(setup, env).await {
        Ok(client) => ledger::clear(&client, &env.namespace, &keys)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.message),
    };
    if let Err(e) = cleared {
        tracing::warn!(environment = %review.environment, error = %e, "the approvals ledger was not cleared");
    }
}

fn ledger_error(e: WriteError, namespace: &str) -> UiError {
    match e {
        WriteError::Forbidden(why) => UiError::new(
            "promotion.ledger-forbidden",
            format!("Kubernetes refused to keep your approval in `{namespace}`: {why}."),
            PERMISSIONS_HINT,
        ),
        other => UiError::new(
            "promotion.ledger-failed",
            format!("Your approval could not be written to the approvals ledger: {other}."),
            "Nothing was changed and your approval was not counted. Check the cluster connection, then approve again.",
        ),
    }
}
