//! Who may approve a promotion now, and why not: the gate's conditions, the person's standing
//! (signed in, a required reviewer, not the author), and overrides of a freeze or an unfinished
//! soak by the people the pipeline names, with a reason. The authority (GitHub, Kubernetes) still
//! has the last word; this decides what Sluice offers and refuses before asking it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::pipeline::Gate;
use crate::snapshot::{GateConditionKind, GateState};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalDecision {
    /// Approve may be offered and carried out.
    pub allowed: bool,
    /// Every reason it may not, each a sentence for the person.
    pub refusals: Vec<String>,
    /// Conditions set aside by an override (recorded in the audit journal).
    pub overridden: Vec<String>,
}

/// What the person asks for beyond a plain approval.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// The signed-in GitHub login; `None` when not signed in.
    pub login: Option<&'a str>,
    /// A reason to override a freeze or an unfinished soak.
    pub override_reason: Option<&'a str>,
    /// GitHub's `current_user_can_approve` for the waiting run (github-approval), if known.
    pub github_can_approve: Option<bool>,
}

/// Decides whether `request` may approve the promotion through `gate` (its config and its
/// current state).
pub fn decide(config: Option<&Gate>, state: &GateState, request: &Request<'_>) -> ApprovalDecision {
    let mut refusals = Vec::new();
    let mut overridable = Vec::new();
    let Some(login) = request.login else {
        return ApprovalDecision {
            allowed: false,
            refusals: vec!["Sign in to GitHub to approve: approvals are made in your name.".into()],
            overridden: Vec::new(),
        };
    };
    if let Some(approval) = config.and_then(|g| g.approval.as_ref()) {
        let listed = approval
            .reviewers
            .users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(login));
        // Team membership is GitHub's to know: it answers through current_user_can_approve.
        let by_team =
            !approval.reviewers.teams.is_empty() && request.github_can_approve == Some(true);
        if !listed && !by_team {
            refusals.push(format!(
                "@{login} is not a required reviewer of {}.",
                state.environment
            ));
        }
        if approval.prevent_self_review {
            let authored = state
                .pending
                .commits
                .iter()
                .any(|c| c.author.eq_ignore_ascii_case(login));
            let triggered = state
                .waiting_run
                .as_ref()
                .is_some_and(|r| r.actor.eq_ignore_ascii_case(login));
            if authored || triggered {
                refusals.push(format!(
                    "@{login} authored or triggered this release; another reviewer must approve it."
                ));
            }
        }
    }
    if request.github_can_approve == Some(false) {
        refusals.push("GitHub says you may not approve this deployment.".into());
    }
    for c in state.conditions.iter().filter(|c| !c.met) {
        match c.kind {
            GateConditionKind::Reviewers => {}
            GateConditionKind::Soak | GateConditionKind::Freeze => {
                overridable.push(c.reason.clone())
            }
            _ => refusals.push(c.reason.clone()),
        }
    }
    let mut overridden = Vec::new();
    if !overridable.is_empty() {
        let may_override = config.is_some_and(|g| {
            g.override_by
                .users
                .iter()
                .any(|u| u.eq_ignore_ascii_case(login))
        });
        let reason = request
            .override_reason
            .map(str::trim)
            .filter(|r| !r.is_empty());
        match (may_override, reason) {
            (true, Some(_)) => overridden = overridable,
            (true, None) => refusals.extend(
                overridable
                    .into_iter()
                    .map(|r| format!("{r} (you may override this with a reason)")),
            ),
            (false, _) => {
                let who = config
                    .map(|g| {
                        g.override_by
                            .users
                            .iter()
                            .map(|u| format!("@{u}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let by = if who.is_empty() {
                    "nobody may override it".to_owned()
                } else {
                    format!("only {who} may override it")
                };
                refusals.extend(overridable.into_iter().map(|r| format!("{r} ({by})")));
            }
        }
    }
    ApprovalDecision {
        allowed: refusals.is_empty(),
        refusals,
        overridden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Approval, Principals, PromotionMethod};
    use crate::snapshot::{CommitSummary, GateCondition, Pending, WaitingRun};

    fn gate() -> Gate {
        Gate {
            method: PromotionMethod::GithubApproval,
            workflow: None,
            approval: Some(Approval {
                reviewers: Principals {
                    users: vec!["alice-approver".into()],
                    teams: vec!["tbyte-org/release-managers".into()],
                },
                prevent_self_review: true,
            }),
            soak: Some("24h".into()),
            required_checks: vec!["build".into()],
            change_windows: vec![],
            freezes: vec![],
            override_by: Principals {
                users: vec!["carol-lead".into()],
                teams: vec![],
            },
        }
    }

    fn state(conditions: Vec<(GateConditionKind, bool)>) -> GateState {
        GateState {
            environment: "production".into(),
            from: "staging".into(),
            open: conditions.iter().all(|(_, m)| *m),
            pending: Pending {
                from_version: Some("aaaaaaa".into()),
                to_version: Some("bbbbbbb".into()),
                commits: vec![CommitSummary {
                    sha: "b".repeat(40),
                    title: "Cache".into(),
                    author: "dave-developer".into(),
                }],
                pull_requests: vec![],
                image_changes: vec![],
                values_diff: vec![],
            },
            conditions: conditions
                .into_iter()
                .map(|(kind, met)| GateCondition {
                    kind,
                    met,
                    reason: format!("{kind:?} {}", if met { "met" } else { "unmet" }),
                })
                .collect(),
            waiting_run: Some(WaitingRun {
                run_id: 7,
                sha: "b".repeat(40),
                actor: "dave-developer".into(),
                current_user_can_approve: true,
            }),
        }
    }

    fn ask<'a>(
        login: Option<&'a str>,
        reason: Option<&'a str>,
        github: Option<bool>,
    ) -> Request<'a> {
        Request {
            login,
            override_reason: reason,
            github_can_approve: github,
        }
    }

    #[test]
    fn a_listed_reviewer_may_approve_an_open_gate() {
        let d = decide(
            Some(&gate()),
            &state(vec![
                (GateConditionKind::Checks, true),
                (GateConditionKind::Reviewers, false),
            ]),
            &ask(Some("alice-approver"), None, Some(true)),
        );
        assert!(d.allowed, "{d:?}");
    }

    #[test]
    fn each_refusal_says_why() {
        let open = state(vec![(GateConditionKind::Checks, true)]);
        let not_signed_in = decide(Some(&gate()), &open, &ask(None, None, None));
        assert!(!not_signed_in.allowed && not_signed_in.refusals[0].contains("Sign in"));
        let stranger = decide(
            Some(&gate()),
            &open,
            &ask(Some("mallory"), None, Some(false)),
        );
        assert!(
            stranger
                .refusals
                .iter()
                .any(|r| r.contains("not a required reviewer")),
            "{stranger:?}"
        );
        assert!(stranger.refusals.iter().any(|r| r.contains("GitHub says")));
        let author = decide(
            Some(&gate()),
            &open,
            &ask(Some("dave-developer"), None, Some(true)),
        );
        assert!(
            author
                .refusals
                .iter()
                .any(|r| r.contains("another reviewer")),
            "{author:?}"
        );
        let failed = decide(
            Some(&gate()),
            &state(vec![(GateConditionKind::Checks, false)]),
            &ask(Some("alice-approver"), None, Some(true)),
        );
        assert_eq!(failed.refusals, ["Checks unmet"]);
    }

    #[test]
    fn freezes_and_soak_yield_only_to_named_people_with_a_reason() {
        let frozen = state(vec![
            (GateConditionKind::Freeze, false),
            (GateConditionKind::Soak, false),
        ]);
        let alice = decide(
            Some(&gate()),
            &frozen,
            &ask(Some("alice-approver"), Some("hotfix"), Some(true)),
        );
        assert!(
            !alice.allowed
                && alice
                    .refusals
                    .iter()
                    .all(|r| r.contains("only @carol-lead may override")),
            "{alice:?}"
        );
        let mut g = gate();
        g.approval
            .as_mut()
            .unwrap()
            .reviewers
            .users
            .push("carol-lead".into());
        let carol_no_reason = decide(
            Some(&g),
            &frozen,
            &ask(Some("carol-lead"), Some("  "), Some(true)),
        );
        assert!(!carol_no_reason.allowed && carol_no_reason.refusals[0].contains("with a reason"));
        let carol = decide(
            Some(&g),
            &frozen,
            &ask(Some("carol-lead"), Some("security hotfix"), Some(true)),
        );
        assert!(carol.allowed, "{carol:?}");
        assert_eq!(carol.overridden.len(), 2);
    }
}
