//! A gate asking for a quorum (`approval.required: N`): an approval that is not the last one
//! needed is written to the approver's own ledger in the environment's namespace, with their
//! own Kubernetes credentials, and journaled as counted. The approval that completes the quorum
//! carries the promotion out by the gate's method (for github-approval, GitHub's review is
//! submitted then, in that person's name). Ledgers are read back from the API server after each
//! write, so that two approvals given at once, each seeing the other not yet, still complete it.

use sluice_core::UiError;
use sluice_core::audit::{AuditEntry, AuditResult};
use sluice_core::desk::Outcome;
use sluice_core::quorum::{LedgerApproval, Release, tally};
use sluice_core::review::Review;
use sluice_kube::write::{WriteError, ledger};

use super::{Setup, journal_err, methods, record};
use crate::journal::Journal;

const PERMISSIONS_HINT: &str = "Your approval was not counted. Each approver's approvals are kept in the ConfigMap `sluice-approvals-<login>` of the environment's namespace: ask your cluster's admin for get, create and patch on yours (README, “Quorum approvals”).";

/// How an approval toward a quorum ended.
pub(super) enum Counted {
    /// Written and counted; the others have yet to approve.
    Waiting(Outcome),
    /// With it, the quorum is complete: carry the promotion out.
    Complete,
}

/// Writes the person's approval of what `review` shows to their ledger and reads every ledger
/// back: `Complete` when that makes the quorum, else journaled (`started` already is) as counted.
pub(super) async fn count(
    setup: &Setup,
    journal: &Journal,
    started: &AuditEntry,
    review: &Review,
) -> Result<Counted, UiError> {
    let env = setup.pipeline.environment(&review.environment)?;
    let refuse = |e: UiError| -> Result<Counted, UiError> {
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
        Err(e)
    };
    let (Some(login), Some(candidate), Some(approval)) = (
        setup.login.as_deref(),
        review.candidate.as_ref(),
        env.gate.as_ref().and_then(|g| g.approval.as_ref()),
    ) else {
        return refuse(UiError::new(
            "promotion.refused",
            "There is no release to approve toward a quorum.",
            "Nothing was changed.",
        ));
    };
    let mine = LedgerApproval {
        environment: review.environment.clone(),
        login: login.to_owned(),
        version: candidate.label.clone(),
        sha: candidate.sha.clone(),
        from: review.current_version.clone(),
        at: crate::journal::now(),
        comment: started.comment.clone(),
    };
    let client =
        match methods::kubernetes::client(setup, env, "promotion.kubernetes-unreachable").await {
            Ok(c) => c,
            Err(e) => return refuse(e),
        };
    if let Err(e) = ledger::record(&client, &env.namespace, &mine).await {
        return refuse(ledger_error(e, &env.namespace));
    }
    let authors = review.authors();
    let release = Release {
        environment: &review.environment,
        version: &candidate.label,
        sha: candidate.sha.as_deref(),
        from: review.current_version.as_deref(),
        authors: &authors,
    };
    // What the API server holds now; what the live view showed when the review was made may
    // lack an approval given meanwhile on another console.
    let quorum = match ledger::read(&client, &env.namespace).await {
        Ok((all, _)) => tally(approval, &all, &release),
        Err(e) => {
            tracing::warn!(error = %e, "the ledgers could not be read back; counting from the review");
            review.quorum.clone()
        }
    };
    let Some(quorum) = quorum else {
        return Ok(Counted::Complete);
    };
    // The review's quorum may lack this approval (the read-back failed): it counts all the same.
    let count = quorum.count() + u32::from(!quorum.has(login));
    if count >= quorum.required {
        return Ok(Counted::Complete);
    }
    record(
        journal,
        started,
        AuditResult::Counted,
        None,
        Default::default(),
    )
    .map_err(journal_err)?;
    let mut names: Vec<String> = quorum
        .approvals
        .iter()
        .map(|a| format!("@{}", a.login))
        .collect();
    if !quorum.has(login) {
        names.push(format!("@{login}"));
    }
    let missing = quorum.required - count;
    Ok(Counted::Waiting(Outcome {
        result: AuditResult::Counted,
        message: format!(
            "Your approval of {} for {} is counted: {count} of {} approvals ({}). It ships to {} when {missing} more reviewer{} approve{}.",
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
    }))
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
            format!("Your approval could not be written to your approvals ledger: {other}."),
            "Nothing was changed and your approval was not counted. Check the cluster connection, then approve again.",
        ),
    }
}
