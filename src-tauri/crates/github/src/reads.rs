//! The reads a poll makes, each a conditional GET decoded straight into the console's inputs.
//! Wire types are our own and minimal (unknown fields ignored) so that a field octocrab's models
//! or GitHub add or reshape elsewhere cannot break a poll.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use sluice_core::commit::as_sha;
use sluice_core::inputs::{
    CommitInfo, ComparisonInfo, DeploymentInfo, PullRequestInfo, WaitingRunInfo,
};
use sluice_core::snapshot::CheckState;

use crate::GithubError;
use crate::client::{GithubClient, is_plain_ref};

/// How many recent default-branch commits, and recently closed pull requests, a poll reads.
const RECENT: usize = 30;
/// One page of GitHub's largest size, and no further pages: a poll must stay a handful of
/// requests. Beyond 100 open pull requests, deployments (newest first, so only environments
/// untouched for 100 deployments drop out) or waiting runs, the oldest are not read.
const PAGE: usize = 100;

/// How many of a deployment's newest statuses are read to find how it ended.
const OUTCOME_STATUSES: usize = 10;

/// One poll's reads. Remembers the lowest `x-ratelimit-remaining` seen: the most recent figure
/// within a rate-limit window, since the budget only falls until the window resets.
pub(crate) struct Reads<'a> {
    client: &'a GithubClient,
    pub rate_remaining: Option<u64>,
}

#[derive(Deserialize)]
struct Login {
    login: String,
}

#[derive(Deserialize)]
struct GitPerson {
    name: Option<String>,
    date: Option<String>,
}

#[derive(Deserialize)]
struct GitCommit {
    message: String,
    author: Option<GitPerson>,
    committer: Option<GitPerson>,
}

#[derive(Deserialize)]
struct WireCommit {
    sha: String,
    commit: GitCommit,
    /// The GitHub account the commit's author email maps to, when there is one.
    author: Option<Login>,
}

#[derive(Deserialize)]
struct WireHead {
    sha: String,
}

#[derive(Deserialize)]
struct WirePull {
    number: u32,
    title: String,
    user: Option<Login>,
    html_url: String,
    state: String,
    merged_at: Option<String>,
    merge_commit_sha: Option<String>,
    head: WireHead,
}

#[derive(Deserialize)]
struct WireDeployment {
    id: u64,
    sha: String,
    environment: String,
    creator: Option<Login>,
    updated_at: String,
}

#[derive(Deserialize)]
struct WireStatus {
    state: String,
    updated_at: Option<String>,
    created_at: String,
    #[serde(default)]
    log_url: Option<String>,
    #[serde(default)]
    target_url: Option<String>,
}

/// One entry of a run's review history (`GET …/runs/{id}/approvals`).
#[derive(Deserialize)]
struct WireApproval {
    state: String,
    user: Option<Login>,
    #[serde(default)]
    environments: Vec<WireEnvironment>,
}

/// The workflow run a deployment status links to (`…/actions/runs/<id>…`), as GitHub's own
/// environment deployments do.
fn run_of(url: &str) -> Option<u64> {
    let rest = url.split("/actions/runs/").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[derive(Deserialize)]
struct WireRuns {
    workflow_runs: Vec<WireRun>,
}

#[derive(Deserialize)]
struct WireRun {
    id: u64,
    head_sha: String,
    actor: Option<Login>,
}

#[derive(Deserialize, Default)]
struct WireEnvironment {
    name: String,
}

#[derive(Deserialize)]
struct WirePending {
    environment: WireEnvironment,
    current_user_can_approve: bool,
}

#[derive(Deserialize)]
struct WireCheckRuns {
    check_runs: Vec<WireCheckRun>,
}

#[derive(Deserialize)]
struct WireCheckRun {
    name: String,
    status: String,
    conclusion: Option<String>,
}

#[derive(Deserialize)]
struct WireComparison {
    ahead_by: u32,
    behind_by: u32,
    commits: Vec<WireCommit>,
}

impl From<WireCommit> for CommitInfo {
    fn from(c: WireCommit) -> Self {
        let title = c
            .commit
            .message
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        // The account when GitHub knows it (what the UI links to), else the git author's name.
        let author = c
            .author
            .map(|a| a.login)
            .or_else(|| c.commit.author.as_ref().and_then(|a| a.name.clone()))
            .unwrap_or_default();
        // When the commit landed where it is (a rebase or merge re-commits), else when written.
        let date = c
            .commit
            .committer
            .and_then(|p| p.date)
            .or_else(|| c.commit.author.and_then(|p| p.date));
        Self {
            sha: c.sha,
            title,
            author,
            date,
        }
    }
}

/// One check's state as the gate reads it: neutral and skipped checks do not block.
fn check_state(run: &WireCheckRun) -> CheckState {
    if run.status != "completed" {
        return CheckState::Pending;
    }
    match run.conclusion.as_deref() {
        Some("success" | "neutral" | "skipped") => CheckState::Success,
        // failure, cancelled, timed_out, action_required, stale: each needs a person.
        Some(_) => CheckState::Failure,
        None => CheckState::Pending,
    }
}

/// The state of a commit's checks together: any failure fails it, then any pending keeps it
/// pending.
pub(crate) fn combined(checks: &[(String, CheckState)]) -> CheckState {
    let has = |s: CheckState| checks.iter().any(|(_, c)| *c == s);
    if checks.is_empty() {
        CheckState::None
    } else if has(CheckState::Failure) {
        CheckState::Failure
    } else if has(CheckState::Pending) {
        CheckState::Pending
    } else {
        CheckState::Success
    }
}

/// A resource that vanished between two reads (a run that finished, a deployment deleted) or a
/// ref the console asked about that GitHub does not know: the item is left out, the poll goes on.
fn missing(e: &GithubError) -> bool {
    matches!(
        e,
        GithubError::NotFound { .. } | GithubError::Refused { status: 422, .. }
    )
}

impl<'a> Reads<'a> {
    pub fn new(client: &'a GithubClient) -> Self {
        Self {
            client,
            rate_remaining: None,
        }
    }

    async fn get<T: DeserializeOwned>(&mut self, suffix: &str) -> Result<T, GithubError> {
        let fetched = self.client.get_json(&self.client.route(suffix)).await?;
        if let Some(r) = fetched.rate_remaining {
            self.rate_remaining = Some(self.rate_remaining.map_or(r, |seen| seen.min(r)));
        }
        Ok(fetched.value)
    }

    /// The item, `None` when it is [`missing`], or the error that should stop the poll.
    async fn get_optional<T: DeserializeOwned>(
        &mut self,
        suffix: &str,
    ) -> Result<Option<T>, GithubError> {
        match self.get(suffix).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if missing(&e) => {
                tracing::debug!(route = suffix, error = %e, "left out of this poll");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The default branch (GitHub's default when no `sha` is given), newest first.
    pub async fn commits(&mut self) -> Result<Vec<CommitInfo>, GithubError> {
        let wire: Vec<WireCommit> = self.get(&format!("/commits?per_page={RECENT}")).await?;
        Ok(wire.into_iter().map(CommitInfo::from).collect())
    }

    /// Open pull requests, then recently merged ones (closed unmerged ones brought nothing).
    /// Checks are left `None` here: [`Reads::checks`] fills them for open heads.
    pub async fn pull_requests(&mut self) -> Result<Vec<PullRequestInfo>, GithubError> {
        let open: Vec<WirePull> = self
            .get(&format!("/pulls?state=open&per_page={PAGE}"))
            .await?;
        let closed: Vec<WirePull> = self
            .get(&format!(
                "/pulls?state=closed&sort=updated&direction=desc&per_page={RECENT}"
            ))
            .await?;
        Ok(open
            .into_iter()
            .chain(closed.into_iter().filter(|p| p.merged_at.is_some()))
            .map(|p| {
                let open = p.state == "open";
                PullRequestInfo {
                    number: p.number,
                    title: p.title,
                    author: p.user.map(|u| u.login).unwrap_or_default(),
                    url: p.html_url,
                    head_sha: p.head.sha,
                    // For an open pull request GitHub's merge_commit_sha is a test merge that
                    // is on no branch; only a merged one's names a commit of the default branch.
                    merge_commit_sha: p.merged_at.and(p.merge_commit_sha),
                    open,
                    checks: CheckState::None,
                }
            })
            .collect())
    }

    /// The latest deployment per environment (GitHub lists newest first) with its latest
    /// status; a deployment without statuses yet is `pending`, as GitHub's GraphQL API says.
    pub async fn deployments(&mut self) -> Result<Vec<DeploymentInfo>, GithubError> {
        let all: Vec<WireDeployment> = self.get(&format!("/deployments?per_page={PAGE}")).await?;
        let mut latest: BTreeMap<String, WireDeployment> = BTreeMap::new();
        for d in all {
            latest.entry(d.environment.clone()).or_insert(d);
        }
        let mut out = Vec::with_capacity(latest.len());
        for d in latest.into_values() {
            out.push(self.deployment(d, true).await?);
        }
        Ok(out)
    }

    /// The newest `limit` deployments to `environment`, newest first, each with its latest
    /// status and approver: an environment's history as GitHub recorded it.
    pub async fn deployments_to(
        &mut self,
        environment: &str,
        limit: usize,
    ) -> Result<Vec<DeploymentInfo>, GithubError> {
        self.deployments_of(environment, limit, true).await
    }

    /// [`Reads::deployments_to`] without who approved each: one request fewer per deployment,
    /// for reads (metrics) that need only what was deployed, when, and how it ended.
    pub async fn deployment_outcomes(
        &mut self,
        environment: &str,
        limit: usize,
    ) -> Result<Vec<DeploymentInfo>, GithubError> {
        self.deployments_of(environment, limit, false).await
    }

    async fn deployments_of(
        &mut self,
        environment: &str,
        limit: usize,
        approvers: bool,
    ) -> Result<Vec<DeploymentInfo>, GithubError> {
        if !is_plain_ref(environment) {
            return Ok(Vec::new());
        }
        let page = limit.clamp(1, PAGE);
        let all: Vec<WireDeployment> = self
            .get(&format!(
                "/deployments?environment={environment}&per_page={page}"
            ))
            .await?;
        let mut out = Vec::with_capacity(all.len());
        for d in all.into_iter().take(page) {
            out.push(self.deployment(d, approvers).await?);
        }
        Ok(out)
    }

    /// One deployment with its latest status, and who approved the run that made it; or, for
    /// an outcome only (`approver` false), with how it ended: its newest status that is not
    /// `inactive`, since GitHub marks a successful deployment inactive later, when another
    /// one to the environment succeeds.
    async fn deployment(
        &mut self,
        d: WireDeployment,
        approver: bool,
    ) -> Result<DeploymentInfo, GithubError> {
        let per_page = if approver { 1 } else { OUTCOME_STATUSES };
        let statuses: Option<Vec<WireStatus>> = self
            .get_optional(&format!(
                "/deployments/{}/statuses?per_page={per_page}",
                d.id
            ))
            .await?;
        let status = statuses.and_then(|s| {
            let ended = s.iter().position(|st| approver || st.state != "inactive");
            s.into_iter().nth(ended.unwrap_or(0))
        });
        let run = status
            .as_ref()
            .and_then(|s| s.log_url.as_deref().or(s.target_url.as_deref()))
            .and_then(run_of);
        let (state, updated_at) = match status {
            Some(s) => (s.state, s.updated_at.unwrap_or(s.created_at)),
            None => ("pending".to_owned(), d.updated_at),
        };
        let approved_by = match run.filter(|_| approver) {
            Some(run) => self.approved_by(run, &d.environment).await?,
            None => None,
        };
        Ok(DeploymentInfo {
            environment: d.environment,
            sha: d.sha,
            state,
            creator: d.creator.map(|c| c.login).unwrap_or_default(),
            updated_at,
            approved_by,
        })
    }

    /// Who approved `run`'s deployment to `environment` last, from the run's review history.
    async fn approved_by(
        &mut self,
        run: u64,
        environment: &str,
    ) -> Result<Option<String>, GithubError> {
        let history: Option<Vec<WireApproval>> = self
            .get_optional(&format!("/actions/runs/{run}/approvals"))
            .await?;
        // GitHub lists the history newest first.
        Ok(history.unwrap_or_default().into_iter().find_map(|a| {
            (a.state == "approved" && a.environments.iter().any(|e| e.name == environment))
                .then(|| a.user.map(|u| u.login))
                .flatten()
        }))
    }

    /// One commit, `None` when GitHub does not know it.
    pub async fn commit(&mut self, sha: &str) -> Result<Option<CommitInfo>, GithubError> {
        if !is_plain_ref(sha) {
            return Ok(None);
        }
        let wire: Option<WireCommit> = self.get_optional(&format!("/commits/{sha}")).await?;
        Ok(wire.map(CommitInfo::from))
    }

    /// Runs waiting on a protected environment, with what the token's user may approve.
    pub async fn waiting_runs(&mut self) -> Result<Vec<WaitingRunInfo>, GithubError> {
        let runs: WireRuns = self
            .get(&format!("/actions/runs?status=waiting&per_page={PAGE}"))
            .await?;
        let mut out = Vec::new();
        for run in runs.workflow_runs {
            let run_id = run.id;
            let pending: Option<Vec<WirePending>> = self
                .get_optional(&format!("/actions/runs/{}/pending_deployments", run.id))
                .await?;
            let environments: Vec<(String, bool)> = pending
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.environment.name, p.current_user_can_approve))
                .collect();
            // Approved in the meantime: nothing left to wait on.
            if environments.is_empty() {
                continue;
            }
            out.push(WaitingRunInfo {
                run_id,
                head_sha: run.head_sha,
                actor: run.actor.map(|a| a.login).unwrap_or_default(),
                environments,
            });
        }
        Ok(out)
    }

    /// Each check on `sha` by name (the newest run of a name wins, as GitHub's `latest` filter
    /// does); `None` when GitHub does not know the commit.
    pub async fn checks(
        &mut self,
        sha: &str,
    ) -> Result<Option<Vec<(String, CheckState)>>, GithubError> {
        if !is_plain_ref(sha) {
            return Ok(None);
        }
        let runs: Option<WireCheckRuns> = self
            .get_optional(&format!(
                "/commits/{sha}/check-runs?filter=latest&per_page={PAGE}"
            ))
            .await?;
        Ok(runs.map(|r| {
            let mut seen = BTreeMap::new();
            for run in r.check_runs {
                let state = check_state(&run);
                seen.entry(run.name).or_insert(state);
            }
            seen.into_iter().collect()
        }))
    }

    /// What `head` has that `base` has not, oldest first; `None` when either is unknown.
    pub async fn compare(
        &mut self,
        base: &str,
        head: &str,
    ) -> Result<Option<ComparisonInfo>, GithubError> {
        if !is_plain_ref(base) || !is_plain_ref(head) {
            return Ok(None);
        }
        let cmp: Option<WireComparison> = self
            .get_optional(&format!("/compare/{base}...{head}"))
            .await?;
        Ok(cmp.map(|c| ComparisonInfo {
            ahead_by: c.ahead_by,
            behind_by: c.behind_by,
            commits: c.commits.into_iter().map(CommitInfo::from).collect(),
        }))
    }

    /// The login of the token's user.
    pub async fn viewer(&mut self) -> Result<String, GithubError> {
        let fetched = self.client.get_json::<Login>("/user").await?;
        Ok(fetched.value.login)
    }
}

/// Whether `base...head` names two commits, whose comparison never changes (a branch's does).
pub(crate) fn between_commits(base: &str, head: &str) -> bool {
    as_sha(base).is_some() && as_sha(head).is_some()
}
