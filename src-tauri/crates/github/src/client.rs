use std::sync::Arc;
use std::time::Duration;

use octocrab::Octocrab;
use octocrab::params::repos::Commitish;
use octocrab::service::middleware::retry::{NoOpRateLimitMetrics, RetryConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::cache::EtagCache;
use crate::{GithubError, GithubToken};

/// The largest file [`GithubClient::file_at`] reads.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Where the repository lives and how patient to be with rate limits.
#[derive(Debug, Clone)]
pub struct GithubConfig {
    /// `https://api.github.com`, `https://HOST/api/v3` for Enterprise Server, or the simulator.
    pub api_base: String,
    pub owner: String,
    pub repo: String,
    /// Retries of rate-limited (403/429 with limit headers) and 5xx answers. Each waits as long
    /// as GitHub says (`retry-after`, else until `x-ratelimit-reset`).
    pub max_retries: usize,
}

impl GithubConfig {
    pub fn github_com(owner: &str, repo: &str) -> Self {
        Self {
            api_base: "https://api.github.com".into(),
            owner: owner.into(),
            repo: repo.into(),
            max_retries: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub login: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSummary {
    pub number: u64,
    pub title: String,
    pub author: Option<String>,
    pub head_ref: String,
    pub head_sha: String,
}

/// The combined state of a commit's check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckState {
    /// No checks ran on the commit.
    None,
    Pending,
    Passing,
    Failing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSummary {
    pub sha: String,
    /// First line of the message.
    pub title: String,
    pub author: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// `ahead`, `behind`, `identical` or `diverged`, as GitHub reports it.
    pub status: String,
    pub ahead_by: u64,
    pub behind_by: u64,
    /// Oldest first.
    pub commits: Vec<CommitSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingRun {
    pub id: u64,
    pub workflow: String,
    pub head_branch: String,
    pub head_sha: String,
}

/// A workflow run as GitHub has it now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RunState {
    pub id: u64,
    pub head_sha: String,
    /// `queued`, `in_progress`, `waiting`, `completed`…
    pub status: String,
    pub conclusion: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PendingDeployment {
    pub environment_id: u64,
    pub environment: String,
    pub wait_timer: u64,
    pub current_user_can_approve: bool,
    /// Logins of user reviewers and `org/slug` of team reviewers.
    pub reviewers: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Approve,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeploymentRef {
    pub id: u64,
    pub environment: String,
    pub sha: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RateBudget {
    pub limit: u64,
    pub remaining: u64,
    pub used: u64,
    /// Unix seconds.
    pub reset: u64,
}

/// A GitHub client for one repository. Every GET goes through an ETag cache: GitHub
/// answers an unchanged resource with `304 Not Modified`, which costs no rate limit.
pub struct GithubClient {
    octo: Octocrab,
    cache: EtagCache,
    owner: String,
    repo: String,
    // Kept to build the polling twin (see `without_retries`); never printed.
    config: GithubConfig,
    token: Option<GithubToken>,
}

/// A decoded answer and the primary rate limit left after it (`x-ratelimit-remaining`).
pub(crate) struct Fetched<T> {
    pub value: T,
    pub rate_remaining: Option<u64>,
}

impl std::fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubClient")
            .field("repo", &format_args!("{}/{}", self.owner, self.repo))
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct WireUser {
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct WireEnvironmentRef {
    id: u64,
    name: String,
}

#[derive(Deserialize)]
struct WireReviewer {
    #[serde(rename = "type")]
    kind: String,
    reviewer: serde_json::Value,
}

#[derive(Deserialize)]
struct WirePending {
    environment: WireEnvironmentRef,
    wait_timer: u64,
    current_user_can_approve: bool,
    reviewers: Vec<WireReviewer>,
}

#[derive(Deserialize)]
struct WireRateLimit {
    rate: RateBudget,
}

impl GithubClient {
    /// A client for `config`'s repository; without a token it reads anonymously (a much lower
    /// rate limit on github.com).
    pub fn new(config: &GithubConfig, token: Option<&GithubToken>) -> Result<Self, GithubError> {
        let cache = EtagCache::default();
        let mut builder = Octocrab::builder()
            .base_uri(config.api_base.as_str())
            .map_err(|source| GithubError::BaseUrl {
                url: config.api_base.clone(),
                source,
            })?
            .cache(cache.clone())
            .add_retry_config(RetryConfig::HandleRateLimits {
                metrics: Arc::new(NoOpRateLimitMetrics),
                max_retries: config.max_retries,
                min_wait_seconds: 60,
                // A bare 403 is a refusal (e.g. a reviewer rule), not a limit.
                retry_on_forbidden: false,
            })
            // A server that accepts and then never answers must not stall a poll forever.
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)));
        if let Some(token) = token {
            builder = builder.personal_token(token.expose().to_owned());
        }
        Ok(Self {
            octo: builder.build()?,
            cache,
            owner: config.owner.clone(),
            repo: config.repo.clone(),
            config: config.clone(),
            token: token.cloned(),
        })
    }

    /// Whether requests carry a token (anonymous reads work for public repositories only).
    pub fn is_authenticated(&self) -> bool {
        self.token.is_some()
    }

    /// The same repository and credentials, with a fresh ETag cache and without octocrab's
    /// retries: a poller that handles limits itself must see every 429/403 and 5xx instead of
    /// waiting invisibly inside a request (up to an hour for an exhausted primary limit).
    pub(crate) fn without_retries(&self) -> Result<Self, GithubError> {
        let config = GithubConfig {
            max_retries: 0,
            ..self.config.clone()
        };
        Self::new(&config, self.token.as_ref())
    }

    /// A conditional GET of `route` (path and query, relative to the API base), decoded as `T`.
    /// Goes through the ETag cache like every typed call, and keeps the rate-limit header the
    /// typed calls drop.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        route: &str,
    ) -> Result<Fetched<T>, GithubError> {
        let response = self.octo._get(route).await?;
        let response = octocrab::map_github_error(response).await?;
        let rate_remaining = response
            .headers()
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = self.octo.body_to_string(response).await?;
        let value = serde_json::from_str(&body).map_err(|source| {
            // Whatever the cause, a stored copy must not be replayed on the next 304.
            self.cache.forget(route);
            GithubError::Decode {
                route: route.to_owned(),
                source,
            }
        })?;
        Ok(Fetched {
            value,
            rate_remaining,
        })
    }

    pub(crate) fn route(&self, suffix: &str) -> String {
        format!("/repos/{}/{}{suffix}", self.owner, self.repo)
    }

    /// Who the token belongs to.
    pub async fn identity(&self) -> Result<Identity, GithubError> {
        let user: WireUser = self.octo.get("/user", None::<&()>).await?;
        Ok(Identity {
            login: user.login,
            name: user.name,
        })
    }

    /// Open pull requests, newest first.
    pub async fn open_pulls(&self) -> Result<Vec<PullSummary>, GithubError> {
        let page = self
            .octo
            .pulls(&self.owner, &self.repo)
            .list()
            .state(octocrab::params::State::Open)
            .per_page(100)
            .send()
            .await?;
        Ok(page
            .items
            .into_iter()
            .map(|p| PullSummary {
                number: p.number,
                title: p.title.unwrap_or_default(),
                author: p.user.map(|u| u.login),
                head_ref: p.head.ref_field,
                head_sha: p.head.sha,
            })
            .collect())
    }

    /// The combined state of the check runs on `sha`.
    pub async fn check_state(&self, sha: &str) -> Result<CheckState, GithubError> {
        let runs = self
            .octo
            .checks(&self.owner, &self.repo)
            .list_check_runs_for_git_ref(Commitish(sha.to_owned()))
            .per_page(100)
            .send()
            .await?;
        let conclusions: Vec<Option<String>> =
            runs.check_runs.into_iter().map(|r| r.conclusion).collect();
        Ok(if conclusions.is_empty() {
            CheckState::None
        } else if conclusions
            .iter()
            .flatten()
            .any(|c| !matches!(c.as_str(), "success" | "neutral" | "skipped"))
        {
            CheckState::Failing
        } else if conclusions.iter().any(Option::is_none) {
            CheckState::Pending
        } else {
            CheckState::Passing
        })
    }

    /// Each check on `sha` by name (the newest run of a name wins); `None` when GitHub does
    /// not know the commit. Conditional, like the live reads.
    pub async fn checks_by_name(
        &self,
        sha: &str,
    ) -> Result<Option<Vec<(String, sluice_core::snapshot::CheckState)>>, GithubError> {
        crate::reads::Reads::new(self).checks(sha).await
    }

    /// What `head` has that `base` has not (e.g. staging's version against production's).
    pub async fn compare(&self, base: &str, head: &str) -> Result<Comparison, GithubError> {
        let cmp = self
            .octo
            .commits(&self.owner, &self.repo)
            .compare(base, head)
            .send()
            .await?;
        Ok(Comparison {
            status: serde_json::to_value(&cmp.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            ahead_by: u64::try_from(cmp.ahead_by).unwrap_or(0),
            behind_by: u64::try_from(cmp.behind_by).unwrap_or(0),
            commits: cmp
                .commits
                .into_iter()
                .map(|c| CommitSummary {
                    sha: c.sha,
                    title: c
                        .commit
                        .message
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    author: c.author.map(|a| a.login),
                })
                .collect(),
        })
    }

    /// Workflow runs waiting on an environment's protection rules.
    pub async fn waiting_runs(&self) -> Result<Vec<WaitingRun>, GithubError> {
        let page = self
            .octo
            .workflows(&self.owner, &self.repo)
            .list_all_runs()
            .status("waiting")
            .per_page(100)
            .send()
            .await?;
        Ok(page
            .items
            .into_iter()
            .map(|r| WaitingRun {
                id: r.id.into_inner(),
                workflow: r.name,
                head_branch: r.head_branch,
                head_sha: r.head_sha,
            })
            .collect())
    }

    /// A workflow run as GitHub has it now: its commit and status (`waiting`, `completed`…).
    pub async fn run(&self, run_id: u64) -> Result<RunState, GithubError> {
        let route = self.route(&format!("/actions/runs/{run_id}"));
        Ok(self.octo.get(route, None::<&()>).await?)
    }

    /// The environments a run waits on, and whether this token's user may approve each.
    pub async fn pending_deployments(
        &self,
        run_id: u64,
    ) -> Result<Vec<PendingDeployment>, GithubError> {
        let route = self.route(&format!("/actions/runs/{run_id}/pending_deployments"));
        let wire: Vec<WirePending> = self.octo.get(route, None::<&()>).await?;
        Ok(wire
            .into_iter()
            .map(|p| PendingDeployment {
                environment_id: p.environment.id,
                environment: p.environment.name,
                wait_timer: p.wait_timer,
                current_user_can_approve: p.current_user_can_approve,
                reviewers: p
                    .reviewers
                    .into_iter()
                    .filter_map(|r| match r.kind.as_str() {
                        "Team" => r.reviewer["slug"]
                            .as_str()
                            .map(|s| format!("{}/{s}", self.owner)),
                        _ => r.reviewer["login"].as_str().map(str::to_owned),
                    })
                    .collect(),
            })
            .collect())
    }

    /// Approves or rejects a run's pending deployments. GitHub refuses (4xx) callers who are
    /// not required reviewers or who triggered the run when self-review is prevented.
    pub async fn review_pending(
        &self,
        run_id: u64,
        environment_ids: &[u64],
        review: Review,
        comment: &str,
    ) -> Result<Vec<DeploymentRef>, GithubError> {
        let route = self.route(&format!("/actions/runs/{run_id}/pending_deployments"));
        let state = match review {
            Review::Approve => "approved",
            Review::Reject => "rejected",
        };
        let body = serde_json::json!({"environment_ids": environment_ids, "state": state, "comment": comment});
        Ok(self.octo.post(route, Some(&body)).await?)
    }

    /// Starts the deploy workflow (`workflow` is its file name or id) on `git_ref` with `inputs`.
    /// GitHub answers 204 with no body.
    pub async fn dispatch_workflow(
        &self,
        workflow: &str,
        git_ref: &str,
        inputs: &serde_json::Value,
    ) -> Result<(), GithubError> {
        let route = self.route(&format!("/actions/workflows/{workflow}/dispatches"));
        let body = serde_json::json!({"ref": git_ref, "inputs": inputs});
        let response = self.octo._post(route, Some(&body)).await?;
        octocrab::map_github_error(response).await?;
        Ok(())
    }

    /// The newest `limit` deployments to `environment`, newest first, with their latest status
    /// and who approved them.
    pub async fn deployment_history(
        &self,
        environment: &str,
        limit: usize,
    ) -> Result<Vec<sluice_core::inputs::DeploymentInfo>, GithubError> {
        crate::reads::Reads::new(self)
            .deployments_to(environment, limit)
            .await
    }

    /// The newest `limit` deployments to `environment`, newest first, with their latest status
    /// (not who approved them).
    pub async fn deployment_outcomes(
        &self,
        environment: &str,
        limit: usize,
    ) -> Result<Vec<sluice_core::inputs::DeploymentInfo>, GithubError> {
        crate::reads::Reads::new(self)
            .deployment_outcomes(environment, limit)
            .await
    }

    /// One commit with its title and when it landed on its branch; `None` when GitHub does not
    /// know it.
    pub async fn commit(
        &self,
        sha: &str,
    ) -> Result<Option<sluice_core::inputs::CommitInfo>, GithubError> {
        crate::reads::Reads::new(self).commit(sha).await
    }

    /// Records a deployment of `sha` to `environment` with one status, for traceability of
    /// promotions GitHub did not run itself.
    pub async fn record_deployment(
        &self,
        sha: &str,
        environment: &str,
        state: &str,
        description: &str,
    ) -> Result<u64, GithubError> {
        #[derive(serde::Deserialize)]
        struct Created {
            id: u64,
        }
        let body = serde_json::json!({
            "ref": sha, "environment": environment, "description": description,
            "auto_merge": false, "required_contexts": [], "production_environment": environment == "production",
        });
        let created: Created = self
            .octo
            .post(self.route("/deployments"), Some(&body))
            .await?;
        let status = serde_json::json!({"state": state, "description": description.chars().take(140).collect::<String>()});
        let _: serde_json::Value = self
            .octo
            .post(
                self.route(&format!("/deployments/{}/statuses", created.id)),
                Some(&status),
            )
            .await?;
        Ok(created.id)
    }

    /// Adds a status to the newest deployment of `sha` (full or abbreviated) to `environment`
    /// (a verification's result); `false` when there is no such deployment among the recent ones.
    pub async fn set_deployment_status(
        &self,
        environment: &str,
        sha: &str,
        state: &str,
        description: &str,
    ) -> Result<bool, GithubError> {
        #[derive(serde::Deserialize)]
        struct Listed {
            id: u64,
            sha: String,
        }
        if !is_plain_ref(environment) {
            return Ok(false);
        }
        // GitHub's `sha` filter wants the full id; a review may hold an abbreviated one.
        let listed: Vec<Listed> = self
            .octo
            .get(
                self.route(&format!(
                    "/deployments?environment={environment}&per_page=30"
                )),
                None::<&()>,
            )
            .await?;
        let Some(newest) = listed
            .iter()
            .find(|d| sluice_core::commit::same_commit(&d.sha, sha))
        else {
            return Ok(false);
        };
        let status = serde_json::json!({"state": state, "description": description.chars().take(140).collect::<String>()});
        let _: serde_json::Value = self
            .octo
            .post(
                self.route(&format!("/deployments/{}/statuses", newest.id)),
                Some(&status),
            )
            .await?;
        Ok(true)
    }

    /// The text of `path` at `git_ref` (a commit), `None` when GitHub has no such file there.
    /// Files beyond [`MAX_FILE_BYTES`] are refused: a values file is far smaller.
    pub async fn file_at(&self, path: &str, git_ref: &str) -> Result<Option<String>, GithubError> {
        #[derive(serde::Deserialize)]
        struct Contents {
            #[serde(default)]
            content: String,
            #[serde(default)]
            encoding: String,
            #[serde(default)]
            size: u64,
        }
        if !is_plain_ref(git_ref) || !is_plain_ref(path) {
            return Err(GithubError::Invalid(format!(
                "`{path}` at `{git_ref}` is not a path and commit GitHub can be asked about"
            )));
        }
        let route = self.route(&format!("/contents/{path}?ref={git_ref}"));
        let contents: Contents = match self.octo.get(route, None::<&()>).await {
            Ok(c) => c,
            Err(e) => {
                let e = GithubError::from(e);
                return if matches!(e, GithubError::NotFound { .. }) {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        if contents.size > MAX_FILE_BYTES || contents.encoding != "base64" {
            return Err(GithubError::Invalid(format!(
                "`{path}` at `{git_ref}` is not a file Sluice reads ({} bytes, {} encoding)",
                contents.size, contents.encoding
            )));
        }
        let compact: String = contents.content.split_whitespace().collect();
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, compact)
            .map_err(|e| GithubError::Invalid(format!("`{path}` is not valid base64: {e}")))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| GithubError::Invalid(format!("`{path}` at `{git_ref}` is not text")))
    }

    /// The remaining primary rate limit (asking costs nothing).
    pub async fn rate_budget(&self) -> Result<RateBudget, GithubError> {
        let wire: WireRateLimit = self.octo.get("/rate_limit", None::<&()>).await?;
        Ok(wire.rate)
    }
}

/// Refs the console asks about go into URL paths; anything beyond a SHA or branch-like name is
/// refused here rather than turned into a broken request that would fail the whole poll.
pub(crate) fn is_plain_ref(r: &str) -> bool {
    !r.is_empty()
        && !r.contains("..")
        && r.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}
