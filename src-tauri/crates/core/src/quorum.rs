//! Quorum approvals: a gate that asks for `approval.required: N` different people. Each person's
//! approvals are kept in a ledger of their own in the environment's namespace (a ConfigMap named
//! after them, one key per environment): every console of the team reads them all, and RBAC can
//! let each person write only their own (`resourceNames`). They are counted here: one per
//! person, only from that person's own ledger, for the move under review only (this release into
//! the environment as it runs now), never the author's when the gate forbids self-review.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::commit::same_commit;
use crate::pipeline::Approval;

/// The label every ledger carries, and the selector the console watches them by.
pub const LEDGER_LABEL: &str = "sluice.dev/ledger";
pub const LEDGER_SELECTOR: &str = "sluice.dev/ledger=approvals";

/// One approval in an environment's ledger: a person approved a release, on some console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerApproval {
    pub environment: String,
    /// The approver's GitHub login, as signed in to Sluice.
    pub login: String,
    /// The version label approved.
    pub version: String,
    /// The full commit approved, when known.
    #[serde(default)]
    pub sha: Option<String>,
    /// What the environment ran when the approval was given (its version label): an approval is
    /// of one move, and stops counting once the environment runs something else.
    #[serde(default)]
    pub from: Option<String>,
    /// RFC 3339.
    pub at: String,
    #[serde(default)]
    pub comment: Option<String>,
}

impl LedgerApproval {
    /// Whether this approval is of `release`: the same commit (by label when a commit is not
    /// known), into the environment as it runs now.
    pub fn approves(&self, release: &Release<'_>) -> bool {
        let same_release = match (self.sha.as_deref(), release.sha) {
            (Some(a), Some(b)) => same_commit(a, b),
            _ => self.version == release.version,
        };
        self.environment == release.environment
            && same_release
            && self.from.as_deref() == release.from
    }
}

/// The ledger (ConfigMap) holding `login`'s approvals: `sluice-approvals-<login>`, a valid
/// object name (lowercase letters, digits and dashes) whatever the login.
pub fn ledger_name(login: &str) -> String {
    let clean: String = login
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("sluice-approvals-{}", clean.trim_matches('-'))
}

/// The key of an environment's approval in a person's ledger: a new approval there replaces
/// the person's earlier one. ConfigMap keys allow `[-._a-zA-Z0-9]`; anything else becomes `_`.
pub fn ledger_key(environment: &str) -> String {
    environment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where a release's approvals stand against the gate's quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Quorum {
    pub required: u32,
    /// The approvals that count, one per person, oldest first.
    pub approvals: Vec<LedgerApproval>,
    /// Approvals in the ledger for this release that do not count, each with why.
    pub not_counted: Vec<String>,
    /// For the gate and the inbox: `1 of 2 approvals: @alice-approver`.
    pub summary: String,
}

impl Quorum {
    pub fn count(&self) -> u32 {
        u32::try_from(self.approvals.len()).unwrap_or(u32::MAX)
    }

    pub fn met(&self) -> bool {
        self.count() >= self.required
    }

    /// Whether `login` has already approved this release.
    pub fn has(&self, login: &str) -> bool {
        self.approvals
            .iter()
            .any(|a| a.login.eq_ignore_ascii_case(login))
    }
}

/// What one more approval does to a quorum, for the person about to give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Vote {
    pub required: u32,
    /// Approvals counted before this one.
    pub before: u32,
    /// Which approval this one would be (`2` of 2); the quorum's size once it is complete.
    pub ordinal: u32,
    /// How many more approvals it would still need after this one.
    pub remaining: u32,
    /// This approval is the last one needed: approving carries the promotion out.
    pub completes: bool,
}

/// Who authored what would ship (`commits`), or triggered the run that ships it: under
/// `preventSelfReview` their approvals do not count.
pub fn authors<'a>(
    commits: &'a [crate::snapshot::CommitSummary],
    trigger: Option<&'a str>,
) -> Vec<&'a str> {
    commits
        .iter()
        .map(|c| c.author.as_str())
        .chain(trigger)
        .collect()
}

/// The move under review, for counting its approvals: this release into the environment as it
/// runs now.
#[derive(Debug, Clone, Copy)]
pub struct Release<'a> {
    pub environment: &'a str,
    pub version: &'a str,
    pub sha: Option<&'a str>,
    /// What the environment runs now (its version label).
    pub from: Option<&'a str>,
    /// Who authored or triggered it: their approvals never count under `prevent_self_review`.
    pub authors: &'a [&'a str],
}

/// The quorum of `release` at a gate asking `approval`, from the environment's `ledger`; `None`
/// when one approval is enough (the authority's own review is then the whole record).
pub fn tally(
    approval: &Approval,
    ledger: &[LedgerApproval],
    release: &Release<'_>,
) -> Option<Quorum> {
    if approval.required <= 1 {
        return None;
    }
    let mut approvals: Vec<LedgerApproval> = Vec::new();
    let mut not_counted = Vec::new();
    let mut mine: Vec<&LedgerApproval> = ledger.iter().filter(|a| a.approves(release)).collect();
    mine.sort_by(|a, b| a.at.cmp(&b.at));
    // Without a team, who may approve is known: anyone else's approval does not count. A team's
    // members are GitHub's to know; with one listed, any signed-in login may be among them.
    let listed = |login: &str| {
        !approval.reviewers.teams.is_empty()
            || approval
                .reviewers
                .users
                .iter()
                .any(|u| u.eq_ignore_ascii_case(login))
    };
    for a in mine {
        if !listed(&a.login) {
            not_counted.push(format!(
                "@{} is not a reviewer of {}: their approval does not count",
                a.login, release.environment
            ));
        } else if approval.prevent_self_review
            && release
                .authors
                .iter()
                .any(|author| author.eq_ignore_ascii_case(&a.login))
        {
            not_counted.push(format!(
                "@{} authored or triggered this release: their approval does not count",
                a.login
            ));
        } else if !approvals
            .iter()
            .any(|b| b.login.eq_ignore_ascii_case(&a.login))
        {
            approvals.push(a.clone());
        }
    }
    let names = approvals
        .iter()
        .map(|a| format!("@{}", a.login))
        .collect::<Vec<_>>()
        .join(", ");
    let summary = format!(
        "{} of {} approvals{}",
        approvals.len(),
        approval.required,
        if names.is_empty() {
            String::new()
        } else {
            format!(": {names}")
        }
    );
    Some(Quorum {
        required: approval.required,
        approvals,
        not_counted,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Principals;

    fn approval(required: u32) -> Approval {
        Approval {
            reviewers: Principals {
                users: vec![
                    "alice-approver".into(),
                    "carol-lead".into(),
                    "dave-developer".into(),
                    "erin".into(),
                    "frank".into(),
                ],
                teams: vec![],
            },
            prevent_self_review: true,
            required,
        }
    }

    fn entry(login: &str, version: &str, sha: Option<&str>, at: &str) -> LedgerApproval {
        LedgerApproval {
            environment: "production".into(),
            login: login.into(),
            version: version.into(),
            sha: sha.map(str::to_owned),
            from: Some("aaaaaaa".into()),
            at: at.into(),
            comment: None,
        }
    }

    #[test]
    fn counts_each_person_once_for_this_release_and_never_the_author() {
        let b = "b".repeat(40);
        let ledger = vec![
            entry("carol-lead", "bbbbbbb", Some(&b), "2026-12-06T10:02:00Z"),
            entry(
                "alice-approver",
                "bbbbbbb",
                Some(&b),
                "2026-12-06T10:01:00Z",
            ),
            // The author, who may not approve their own change.
            entry(
                "dave-developer",
                "bbbbbbb",
                Some(&b),
                "2026-12-06T10:00:00Z",
            ),
            // An approval of another release does not carry over.
            entry(
                "erin",
                "aaaaaaa",
                Some(&"a".repeat(40)),
                "2026-12-06T09:00:00Z",
            ),
            // Another environment's approvals are not this one's.
            LedgerApproval {
                environment: "staging".into(),
                ..entry("frank", "bbbbbbb", Some(&b), "2026-12-06T09:00:00Z")
            },
            // Given while production ran something else: another move.
            LedgerApproval {
                from: Some("0000000".into()),
                ..entry("frank", "bbbbbbb", Some(&b), "2026-12-06T09:00:00Z")
            },
        ];
        let release = Release {
            environment: "production",
            version: "bbbbbbb",
            sha: Some(&b[..7]),
            from: Some("aaaaaaa"),
            authors: &["Dave-Developer"],
        };
        let q = tally(&approval(3), &ledger, &release).unwrap();
        assert_eq!(
            q.approvals
                .iter()
                .map(|a| a.login.as_str())
                .collect::<Vec<_>>(),
            ["alice-approver", "carol-lead"]
        );
        assert_eq!(q.summary, "2 of 3 approvals: @alice-approver, @carol-lead");
        assert!(!q.met());
        assert!(q.has("ALICE-approver"));
        assert_eq!(q.not_counted.len(), 1);
        assert!(q.not_counted[0].starts_with("@dave-developer"));
        assert!(tally(&approval(2), &ledger, &release).unwrap().met());
        assert_eq!(tally(&approval(1), &ledger, &release), None);
    }

    #[test]
    fn with_no_commit_known_the_label_says_which_release() {
        let ledger = vec![entry(
            "alice-approver",
            "v1.4.0",
            None,
            "2026-12-06T10:00:00Z",
        )];
        let of = |version| Release {
            environment: "production",
            version,
            sha: None,
            from: Some("aaaaaaa"),
            authors: &[],
        };
        assert_eq!(
            tally(&approval(2), &ledger, &of("v1.4.0")).unwrap().count(),
            1
        );
        let other = tally(&approval(2), &ledger, &of("v1.5.0")).unwrap();
        assert_eq!(other.count(), 0);
        assert_eq!(other.summary, "0 of 2 approvals");
    }

    #[test]
    fn only_reviewers_count_when_no_team_is_listed() {
        let ledger = vec![entry("mallory", "v1.4.0", None, "2026-12-06T10:00:00Z")];
        let release = Release {
            environment: "production",
            version: "v1.4.0",
            sha: None,
            from: Some("aaaaaaa"),
            authors: &[],
        };
        let q = tally(&approval(2), &ledger, &release).unwrap();
        assert_eq!(q.count(), 0);
        assert_eq!(
            q.not_counted,
            ["@mallory is not a reviewer of production: their approval does not count"]
        );
        let with_team = Approval {
            reviewers: Principals {
                users: vec![],
                teams: vec!["acme/release".into()],
            },
            ..approval(2)
        };
        assert_eq!(tally(&with_team, &ledger, &release).unwrap().count(), 1);
    }

    #[test]
    fn ledgers_are_named_per_person_and_keyed_per_environment() {
        assert_eq!(
            ledger_name("Alice-Approver"),
            "sluice-approvals-alice-approver"
        );
        assert_eq!(ledger_name("-odd_login-"), "sluice-approvals-odd-login");
        assert_eq!(ledger_key("production"), "production");
        let odd = ledger_key("prod/eu west");
        assert!(
            odd.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)),
            "{odd}"
        );
    }
}
