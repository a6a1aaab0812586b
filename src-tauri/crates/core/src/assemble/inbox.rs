//! What waits on a person, for the inbox, the window title and notifications:
//! 1. a deploy run waiting for a review GitHub says this person may give: GitHub is asking;
//! 2. otherwise, something new at a gate this person is a named reviewer of (teams are GitHub's
//!    to resolve, through rule 1), when every unmet condition is the approval itself: a gate
//!    still soaking, outside its window or failing checks waits on time or code, not on them.
//!
//! Neither waits on someone whose approval toward the gate's quorum is already counted.

use crate::pipeline::Pipeline;
use crate::snapshot::{GateConditionKind, GateState, InboxItem, InboxReason, Notification};

fn notification(item: &InboxItem) -> Notification {
    let version = item.incoming_version.as_deref().unwrap_or("a new version");
    let ahead = match item.commits {
        1 => "1 commit".to_owned(),
        n => format!("{n} commits"),
    };
    let by = item
        .actor
        .as_ref()
        .map_or(String::new(), |a| format!(", started by @{a}"));
    Notification {
        title: format!("Waiting on you: {}", item.environment),
        body: format!(
            "Promote {version} from {} to {} ({ahead}){by}.",
            item.from, item.environment
        ),
    }
}

fn is_reviewer(pipeline: &Pipeline, environment: &str, login: &str) -> bool {
    pipeline
        .environments
        .iter()
        .find(|e| e.name == environment)
        .and_then(|e| e.gate.as_ref())
        .and_then(|g| g.approval.as_ref())
        .is_some_and(|a| {
            a.reviewers
                .users
                .iter()
                .any(|u| u.trim_start_matches('@').eq_ignore_ascii_case(login))
        })
}

pub(super) fn items(
    pipeline: &Pipeline,
    gates: &[GateState],
    viewer: Option<&str>,
) -> Vec<InboxItem> {
    let Some(login) = viewer else {
        return Vec::new();
    };
    let mut items = Vec::new();
    for gate in gates {
        let p = &gate.pending;
        let item = |id: String, why, run: Option<&crate::snapshot::WaitingRun>| {
            let mut item = InboxItem {
                id,
                environment: gate.environment.clone(),
                from: gate.from.clone(),
                current_version: p.current_version.clone(),
                incoming_version: run
                    .map_or_else(|| p.incoming_version.clone(), |r| Some(r.label.clone())),
                commits: u32::try_from(run.map_or(p.commits.len(), |r| r.commits.len()))
                    .unwrap_or(u32::MAX),
                pull_requests: u32::try_from(
                    run.map_or(p.pull_requests.len(), |r| r.pull_requests.len()),
                )
                .unwrap_or(u32::MAX),
                why,
                run_id: run.map(|r| r.run_id),
                actor: run.or(gate.waiting_runs.first()).map(|r| r.actor.clone()),
                approvals: run
                    .map_or(gate.quorum.as_ref(), |r| r.quorum.as_ref())
                    .map(|q| q.summary.clone()),
                notification: Notification {
                    title: String::new(),
                    body: String::new(),
                },
            };
            item.notification = notification(&item);
            item
        };
        // Someone who has given their approval toward a quorum is no longer waited on.
        // A complete quorum not yet carried out still waits on its approvers.
        let approved =
            |q: Option<&crate::quorum::Quorum>| q.is_some_and(|q| q.has(login) && !q.met());
        if let Some(run) = gate
            .waiting_runs
            .iter()
            .find(|r| r.current_user_can_approve && !approved(r.quorum.as_ref()))
        {
            items.push(item(
                format!("{}:run:{}", gate.environment, run.run_id),
                InboxReason::WaitingRun,
                Some(run),
            ));
            continue;
        }
        let something_new = p.incoming_version.is_some() && p.incoming_version != p.current_version;
        let only_approval_missing = gate
            .conditions
            .iter()
            .all(|c| c.met || c.kind == GateConditionKind::Reviewers);
        if something_new
            && only_approval_missing
            && !approved(gate.quorum.as_ref())
            && is_reviewer(pipeline, &gate.environment, login)
        {
            items.push(item(
                format!(
                    "{}:version:{}",
                    gate.environment,
                    p.incoming_version.as_deref().unwrap_or_default()
                ),
                InboxReason::Reviewer,
                None,
            ));
        }
    }
    items
}
