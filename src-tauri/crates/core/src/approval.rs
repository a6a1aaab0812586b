//! Who may approve or reject a promotion now, and why not: the gate's conditions, the person's
//! standing (signed in, a required reviewer, not the author), what would ship, and overrides of
//! a freeze or an unfinished soak by the people the pipeline names, with a reason. The authority
//! (GitHub, Kubernetes) still has the last word; this decides what Sluice offers and refuses
//! before asking it. Every refusal is a typed kind with its sentence: nothing downstream reads
//! the sentence to decide anything.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::pipeline::{Gate, PromotionMethod};
use crate::quorum::{Quorum, Vote};
use crate::snapshot::{CommitSummary, GateCondition, GateConditionKind, WaitingRun};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum RefusalKind {
    /// Approvals are made in a person's name.
    NotSignedIn,
    /// Not among the gate's required reviewers.
    NotAReviewer,
    /// Authored or triggered what would ship, and the gate forbids self-review.
    SelfReview,
    /// The authority (GitHub) said this person may not.
    AuthorityDenied,
    /// github-approval: there is no deploy run waiting on the environment to review.
    NoWaitingRun,
    /// Both environments run the same version.
    NothingToPromote,
    /// A gate condition is not met; `condition` says which.
    ConditionUnmet,
    /// An unmet freeze or soak this person may set aside: with a reason they may approve.
    OverrideNeedsReason,
    /// An unmet freeze or soak only other people may set aside.
    OverrideByOthers,
    /// The source's workloads cannot be matched one to one with the target's.
    UnmatchedWorkloads,
    /// What was reviewed is no longer what would ship.
    ReleaseChanged,
    /// The `helm` method could not work out the upgrade (no chart to promote, no values file,
    /// no helm): approving would run something nobody saw.
    UpgradeUnknown,
    /// This person's approval already counts toward the gate's quorum; others must add theirs.
    AlreadyApproved,
}

impl RefusalKind {
    /// Refusals that also take away the standing to reject: rejecting needs a run to reject,
    /// a signed-in reviewer and GitHub's consent, not an open gate.
    pub fn blocks_reject(self) -> bool {
        matches!(
            self,
            Self::NotSignedIn | Self::NotAReviewer | Self::AuthorityDenied | Self::NoWaitingRun
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    pub kind: RefusalKind,
    /// The gate condition behind a `condition-unmet` or override refusal.
    pub condition: Option<GateConditionKind>,
    /// One sentence for the person: what stands in the way, and what would change it.
    pub sentence: String,
}

impl Refusal {
    pub fn new(kind: RefusalKind, sentence: impl Into<String>) -> Self {
        Self {
            kind,
            condition: None,
            sentence: sentence.into(),
        }
    }

    fn about(kind: RefusalKind, condition: GateConditionKind, sentence: String) -> Self {
        Self {
            kind,
            condition: Some(condition),
            sentence,
        }
    }
}

/// Whether one action (Approve or Reject) is offered, and every reason it is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    pub allowed: bool,
    pub refusals: Vec<Refusal>,
}

impl Offer {
    fn from(refusals: Vec<Refusal>) -> Self {
        Self {
            allowed: refusals.is_empty(),
            refusals,
        }
    }
}

/// What the person may do at a gate now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub approve: Offer,
    pub reject: Offer,
    /// Approve is refused only for conditions this person may set aside: with a reason, they
    /// may approve.
    pub may_override: bool,
    /// Conditions set aside by the override reason given (recorded in the audit journal).
    pub overridden: Vec<GateConditionKind>,
    /// A comment means something: the person may approve, override or reject.
    pub may_comment: bool,
    /// At a gate asking for a quorum: what this person's approval would add to it.
    pub vote: Option<Vote>,
}

impl Decision {
    /// Every refusal as one paragraph, each a sentence.
    pub fn approve_refusals_text(&self) -> String {
        sentences(&self.approve.refusals)
    }
}

/// The refusals as one paragraph: each a sentence, capitalised and closed.
pub fn sentences(refusals: &[Refusal]) -> String {
    refusals
        .iter()
        .map(|r| {
            let r = r.sentence.trim();
            let mut chars = r.chars();
            let mut sentence: String = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            if !sentence.ends_with(['.', '!', '?']) {
                sentence.push('.');
            }
            sentence
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Who asks, and what they bring.
#[derive(Debug, Clone, Default)]
pub struct Standing<'a> {
    /// The signed-in GitHub login; `None` when not signed in.
    pub login: Option<&'a str>,
    /// A reason to override a freeze or an unfinished soak.
    pub override_reason: Option<&'a str>,
    /// GitHub's `current_user_can_approve` for the run under review (github-approval), if known.
    pub github_can_approve: Option<bool>,
}

/// What an approval would ship.
#[derive(Debug, Clone)]
pub struct Proposal<'a> {
    pub environment: &'a str,
    pub method: PromotionMethod,
    /// The commits that would reach the environment; their authors may not approve them.
    pub commits: &'a [CommitSummary],
    /// The deploy run under review (github-approval).
    pub run: Option<&'a WaitingRun>,
    /// The environment would run something else than it does.
    pub something_new: bool,
    /// Why the source's workloads do not match the target's (the kubernetes method sets
    /// images workload by workload).
    pub image_problems: &'a [String],
    /// Why the `helm` method's upgrade is not known, when it is not.
    pub plan_problem: Option<&'a str>,
    /// The release's approvals so far, when the gate asks for more than one.
    pub quorum: Option<&'a Quorum>,
}

fn mentions(users: &[String]) -> String {
    users
        .iter()
        .map(|u| format!("@{u}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decides whether the person in `standing` may approve or reject `proposal` at the gate
/// configured as `config`, whose conditions are `conditions`.
pub fn decide(
    config: Option<&Gate>,
    conditions: &[GateCondition],
    proposal: &Proposal<'_>,
    standing: &Standing<'_>,
) -> Decision {
    let github = proposal.method == PromotionMethod::GithubApproval;
    let Some(login) = standing.login else {
        let refusal = Refusal::new(
            RefusalKind::NotSignedIn,
            "Sign in to GitHub to approve: approvals are made in your name.",
        );
        return Decision {
            approve: Offer::from(vec![refusal.clone()]),
            reject: Offer::from(vec![refusal]),
            may_override: false,
            overridden: Vec::new(),
            may_comment: false,
            vote: None,
        };
    };
    let mut refusals = Vec::new();
    if let Some(approval) = config.and_then(|g| g.approval.as_ref()) {
        let listed = approval
            .reviewers
            .users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(login));
        // Team membership is GitHub's to know: it answers through current_user_can_approve.
        let by_team =
            !approval.reviewers.teams.is_empty() && standing.github_can_approve == Some(true);
        if !listed && !by_team {
            refusals.push(Refusal::new(
                RefusalKind::NotAReviewer,
                format!(
                    "@{login} is not a required reviewer of {}.",
                    proposal.environment
                ),
            ));
        }
        if approval.prevent_self_review {
            let authored = proposal
                .commits
                .iter()
                .any(|c| c.author.eq_ignore_ascii_case(login));
            let triggered = proposal
                .run
                .is_some_and(|r| r.actor.eq_ignore_ascii_case(login));
            if authored || triggered {
                refusals.push(Refusal::new(
                    RefusalKind::SelfReview,
                    format!(
                        "@{login} {} this release; another reviewer must approve it.",
                        if authored { "authored" } else { "triggered" }
                    ),
                ));
            }
        }
    }
    // One approval per person: once the quorum is complete, any of its approvers may carry
    // it out (again, if carrying it out failed).
    if let Some(q) = proposal.quorum
        && q.has(login)
        && !q.met()
    {
        refusals.push(Refusal::new(
            RefusalKind::AlreadyApproved,
            format!(
                "Your approval already counts ({}); {} more must come from other reviewers.",
                q.summary,
                q.required - q.count()
            ),
        ));
    }
    // What this person's approval would add: nothing once theirs is counted.
    let vote = proposal
        .quorum
        .filter(|q| q.met() || !q.has(login))
        .map(|q| {
            let before = q.count();
            Vote {
                required: q.required,
                before,
                ordinal: (before + 1).min(q.required),
                remaining: q.required.saturating_sub(before + 1),
                completes: q.met() || before + 1 >= q.required,
            }
        });
    if standing.github_can_approve == Some(false) {
        refusals.push(Refusal::new(
            RefusalKind::AuthorityDenied,
            "GitHub says you may not approve this deployment.",
        ));
    }
    if github && proposal.run.is_none() {
        refusals.push(Refusal::new(
            RefusalKind::NoWaitingRun,
            format!(
                "No deploy run is waiting on {} yet: approvals apply to a run of the deploy workflow.",
                proposal.environment
            ),
        ));
    }
    if !proposal.something_new {
        refusals.push(Refusal::new(
            RefusalKind::NothingToPromote,
            format!(
                "{} already runs this version: there is nothing to promote.",
                proposal.environment
            ),
        ));
    }
    if proposal.method == PromotionMethod::Kubernetes {
        refusals.extend(
            proposal
                .image_problems
                .iter()
                .map(|p| Refusal::new(RefusalKind::UnmatchedWorkloads, p.clone())),
        );
    }
    if let Some(problem) = proposal.plan_problem {
        refusals.push(Refusal::new(RefusalKind::UpgradeUnknown, problem));
    }
    // Reject standing is decided before the conditions: they hold back an approval, not a no.
    let mut reject: Vec<Refusal> = refusals
        .iter()
        .filter(|r| r.kind.blocks_reject())
        .cloned()
        .collect();
    if !github {
        reject.push(Refusal::new(
            RefusalKind::NoWaitingRun,
            "Rejecting applies to a deploy run waiting for review; this gate's method has none.",
        ));
    }
    let may_override_here = config.is_some_and(|g| {
        g.override_by
            .users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(login))
    });
    let reason = standing
        .override_reason
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let mut overridden = Vec::new();
    for c in conditions
        .iter()
        .filter(|c| !c.met && c.kind != GateConditionKind::Reviewers)
    {
        if !c.overridable {
            refusals.push(Refusal::about(
                RefusalKind::ConditionUnmet,
                c.kind,
                c.reason.clone(),
            ));
        } else if may_override_here && reason.is_some() {
            overridden.push(c.kind);
        } else if may_override_here {
            refusals.push(Refusal::about(
                RefusalKind::OverrideNeedsReason,
                c.kind,
                format!("{} (you may override this with a reason)", c.reason),
            ));
        } else {
            let who = config
                .map(|g| mentions(&g.override_by.users))
                .unwrap_or_default();
            let by = if who.is_empty() {
                "nobody may override it".to_owned()
            } else {
                format!("only {who} may override it")
            };
            refusals.push(Refusal::about(
                RefusalKind::OverrideByOthers,
                c.kind,
                format!("{} ({by})", c.reason),
            ));
        }
    }
    let may_override = !refusals.is_empty()
        && refusals
            .iter()
            .all(|r| r.kind == RefusalKind::OverrideNeedsReason);
    let approve = Offer::from(refusals);
    let reject = Offer::from(reject);
    Decision {
        may_comment: approve.allowed || reject.allowed || may_override,
        approve,
        reject,
        may_override,
        overridden,
        vote,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Approval, Principals};

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
                required: 1,
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

    fn conditions(list: &[(GateConditionKind, bool)]) -> Vec<GateCondition> {
        list.iter()
            .map(|&(kind, met)| GateCondition {
                kind,
                met,
                reason: format!("{kind:?} {}", if met { "met" } else { "unmet" }),
                overridable: !met
                    && matches!(kind, GateConditionKind::Soak | GateConditionKind::Freeze),
            })
            .collect()
    }

    fn commits() -> Vec<CommitSummary> {
        vec![CommitSummary {
            sha: "b".repeat(40),
            title: "Cache".into(),
            author: "dave-developer".into(),
        }]
    }

    fn run() -> WaitingRun {
        WaitingRun {
            run_id: 7,
            sha: "b".repeat(40),
            label: "bbbbbbb".into(),
            actor: "dave-developer".into(),
            current_user_can_approve: true,
            ships_source_version: true,
            commits: commits(),
            pull_requests: vec![],
            conditions: vec![],
            quorum: None,
        }
    }

    fn decide_as(
        config: &Gate,
        conds: &[(GateConditionKind, bool)],
        login: Option<&str>,
        reason: Option<&str>,
        github: Option<bool>,
    ) -> Decision {
        let commits = commits();
        let run = run();
        decide(
            Some(config),
            &conditions(conds),
            &Proposal {
                environment: "production",
                method: config.method,
                commits: &commits,
                run: Some(&run),
                something_new: true,
                image_problems: &[],
                plan_problem: None,
                quorum: None,
            },
            &Standing {
                login,
                override_reason: reason,
                github_can_approve: github,
            },
        )
    }

    fn kinds(offer: &Offer) -> Vec<RefusalKind> {
        offer.refusals.iter().map(|r| r.kind).collect()
    }

    #[test]
    fn a_listed_reviewer_may_approve_and_reject_an_open_gate() {
        let d = decide_as(
            &gate(),
            &[
                (GateConditionKind::Checks, true),
                (GateConditionKind::Reviewers, false),
            ],
            Some("alice-approver"),
            None,
            Some(true),
        );
        assert!(
            d.approve.allowed && d.reject.allowed && d.may_comment,
            "{d:?}"
        );
    }

    #[test]
    fn toward_a_quorum_each_person_approves_once_and_the_last_one_completes_it() {
        let commits = commits();
        let run = run();
        let quorum = |logins: &[&str], required: u32| Quorum {
            required,
            approvals: logins
                .iter()
                .map(|l| crate::quorum::LedgerApproval {
                    environment: "production".into(),
                    login: (*l).into(),
                    version: "bbbbbbb".into(),
                    sha: None,
                    from: None,
                    at: "2026-12-06T10:00:00Z".into(),
                    comment: None,
                })
                .collect(),
            not_counted: vec![],
            summary: String::new(),
        };
        let as_ = |login: &str, q: &Quorum| {
            decide(
                Some(&gate()),
                &conditions(&[(GateConditionKind::Checks, true)]),
                &Proposal {
                    environment: "production",
                    method: PromotionMethod::GithubApproval,
                    commits: &commits,
                    run: Some(&run),
                    something_new: true,
                    image_problems: &[],
                    plan_problem: None,
                    quorum: Some(q),
                },
                &Standing {
                    login: Some(login),
                    override_reason: None,
                    github_can_approve: Some(true),
                },
            )
        };
        let first = as_("alice-approver", &quorum(&[], 2));
        assert!(first.approve.allowed);
        assert_eq!(
            first.vote,
            Some(Vote {
                required: 2,
                before: 0,
                ordinal: 1,
                remaining: 1,
                completes: false
            })
        );
        let again = as_("alice-approver", &quorum(&["alice-approver"], 2));
        assert_eq!(kinds(&again.approve), [RefusalKind::AlreadyApproved]);
        assert_eq!(again.vote, None, "a second approval by her adds nothing");
        let second = as_("carol-lead", &quorum(&["alice-approver"], 2));
        assert!(second.approve.allowed);
        assert_eq!(
            second.vote.map(|v| (v.before, v.completes)),
            Some((1, true))
        );
        // A complete quorum whose promotion failed may be carried out again by one of it.
        let retry = as_(
            "alice-approver",
            &quorum(&["alice-approver", "carol-lead"], 2),
        );
        assert!(retry.approve.allowed, "{retry:?}");
        assert_eq!(retry.vote.map(|v| v.completes), Some(true));
        // The author is refused for self-review at every approval, as without a quorum.
        let author = as_("dave-developer", &quorum(&[], 2));
        assert!(kinds(&author.approve).contains(&RefusalKind::SelfReview));
    }

    #[test]
    fn each_refusal_is_typed() {
        let open = [(GateConditionKind::Checks, true)];
        let anonymous = decide_as(&gate(), &open, None, None, None);
        assert_eq!(kinds(&anonymous.approve), [RefusalKind::NotSignedIn]);
        assert!(!anonymous.reject.allowed && !anonymous.may_comment);
        let stranger = decide_as(&gate(), &open, Some("mallory"), None, Some(false));
        assert_eq!(
            kinds(&stranger.approve),
            [RefusalKind::NotAReviewer, RefusalKind::AuthorityDenied]
        );
        assert!(!stranger.reject.allowed);
        let author = decide_as(&gate(), &open, Some("dave-developer"), None, Some(true));
        assert_eq!(kinds(&author.approve), [RefusalKind::SelfReview]);
        assert!(
            author.approve.refusals[0]
                .sentence
                .contains("another reviewer")
        );
        // The author's own run may still be rejected by them: GitHub decides that.
        assert!(author.reject.allowed);
        let failed = decide_as(
            &gate(),
            &[(GateConditionKind::Checks, false)],
            Some("alice-approver"),
            None,
            Some(true),
        );
        assert_eq!(kinds(&failed.approve), [RefusalKind::ConditionUnmet]);
        assert_eq!(
            failed.approve.refusals[0].condition,
            Some(GateConditionKind::Checks)
        );
        assert!(
            failed.reject.allowed,
            "an unmet condition does not stop a rejection"
        );
    }

    #[test]
    fn nothing_to_promote_and_no_run_are_refusals() {
        let config = gate();
        let none: Vec<CommitSummary> = Vec::new();
        let d = decide(
            Some(&config),
            &[],
            &Proposal {
                environment: "production",
                method: PromotionMethod::GithubApproval,
                commits: &none,
                run: None,
                something_new: false,
                image_problems: &[],
                plan_problem: None,
                quorum: None,
            },
            &Standing {
                login: Some("alice-approver"),
                override_reason: None,
                github_can_approve: None,
            },
        );
        assert_eq!(
            kinds(&d.approve),
            [RefusalKind::NoWaitingRun, RefusalKind::NothingToPromote]
        );
        assert_eq!(kinds(&d.reject), [RefusalKind::NoWaitingRun]);
    }

    #[test]
    fn unmatched_workloads_refuse_the_kubernetes_method() {
        let mut config = gate();
        config.method = PromotionMethod::Kubernetes;
        let problems = vec!["staging's Deployment x has no counterpart".to_owned()];
        let commits = commits();
        let d = decide(
            Some(&config),
            &[],
            &Proposal {
                environment: "production",
                method: PromotionMethod::Kubernetes,
                commits: &commits,
                run: None,
                something_new: true,
                image_problems: &problems,
                plan_problem: None,
                quorum: None,
            },
            &Standing {
                login: Some("alice-approver"),
                override_reason: None,
                github_can_approve: None,
            },
        );
        assert_eq!(kinds(&d.approve), [RefusalKind::UnmatchedWorkloads]);
        assert!(!d.reject.allowed, "no run to reject with this method");
    }

    #[test]
    fn freezes_and_soak_yield_only_to_named_people_with_a_reason() {
        let frozen = [
            (GateConditionKind::Freeze, false),
            (GateConditionKind::Soak, false),
        ];
        let alice = decide_as(
            &gate(),
            &frozen,
            Some("alice-approver"),
            Some("hotfix"),
            Some(true),
        );
        assert_eq!(
            kinds(&alice.approve),
            [RefusalKind::OverrideByOthers, RefusalKind::OverrideByOthers]
        );
        assert!(
            alice.approve.refusals[0]
                .sentence
                .contains("only @carol-lead may override")
        );
        assert!(!alice.may_override);
        let mut g = gate();
        g.approval
            .as_mut()
            .unwrap()
            .reviewers
            .users
            .push("carol-lead".into());
        let carol_no_reason = decide_as(&g, &frozen, Some("carol-lead"), Some("  "), Some(true));
        assert!(carol_no_reason.may_override && !carol_no_reason.approve.allowed);
        assert_eq!(
            kinds(&carol_no_reason.approve),
            [
                RefusalKind::OverrideNeedsReason,
                RefusalKind::OverrideNeedsReason
            ]
        );
        let carol = decide_as(
            &g,
            &frozen,
            Some("carol-lead"),
            Some("security hotfix"),
            Some(true),
        );
        assert!(carol.approve.allowed, "{carol:?}");
        assert_eq!(
            carol.overridden,
            [GateConditionKind::Freeze, GateConditionKind::Soak]
        );
    }

    #[test]
    fn refusals_read_as_sentences() {
        let text = sentences(&[
            Refusal::new(
                RefusalKind::NotAReviewer,
                "@vera is not a required reviewer.",
            ),
            Refusal::new(RefusalKind::ConditionUnmet, "outside the change windows"),
        ]);
        assert_eq!(
            text,
            "@vera is not a required reviewer. Outside the change windows."
        );
    }
}
