//! Quorum approvals: a gate that asks for `approval.required: N` different people. Each approval
//! is kept in the environment's ledger in the cluster (every console of the team reads it; only
//! those whose credentials may write it can add to it), and counted here: one per person, for
//! the release under review only, never the author's when the gate forbids self-review.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::commit::same_commit;
use crate::pipeline::Approval;

/// The ConfigMap, in the environment's namespace, that holds its approvals.
pub const LEDGER_NAME: &str = "sluice-approvals";

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
    /// RFC 3339.
    pub at: String,
    #[serde(default)]
    pub comment: Option<String>,
}

impl LedgerApproval {
    /// Whether this approval is of the release `version` (`sha`): by commit when both are
    /// known, else by label.
    pub fn approves(&self, environment: &str, version: &str, sha: Option<&str>) -> bool {
        self.environment == environment
            && match (self.sha.as_deref(), sha) {
                (Some(a), Some(b)) => same_commit(a, b),
                _ => self.version == version,
            }
    }
}

/// The ledger key of `login`'s approval in `environment`: one per person and environment, so a
/// new approval replaces the person's approval of an older release. ConfigMap keys allow
/// `[-._a-zA-Z0-9]`; anything else becomes `_`.
pub fn ledger_key(environment: &str, login: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("{}.{}", clean(environment), clean(login))
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
    /// This approval is the last one needed: approving carries the promotion out.
    pub completes: bool,
}

/// The release under review, for counting its approvals.
#[derive(Debug, Clone, Copy)]
pub struct Release<'a> {
    pub environment: &'a str,
    pub version: &'a str,
    pub sha: Option<&'a str>,
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
    let mut mine: Vec<&LedgerApproval> = ledger
        .iter()
        .filter(|a| a.approves(release.environment, release.version, release.sha))
        .collect();
    mine.sort_by(|a, b| a.at.cmp(&b.at));
    for a in mine {
        if approval.prevent_self_review
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
                users: vec!["alice-approver".into(), "carol-lead".into()],
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
        ];
        let release = Release {
            environment: "production",
            version: "bbbbbbb",
            sha: Some(&b[..7]),
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
    fn ledger_keys_are_one_per_person_and_environment_and_valid_configmap_keys() {
        assert_eq!(
            ledger_key("production", "Alice-Approver"),
            "production.alice-approver"
        );
        let odd = ledger_key("prod/eu west", "ü$er");
        assert!(
            odd.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c)),
            "{odd}"
        );
    }
}
