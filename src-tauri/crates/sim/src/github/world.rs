//! The state of the simulated GitHub and the Rust API the story drives it with. The HTTP side
//! (`api.rs`) only reads this state and applies the same rules, so what a test does through the
//! Rust API and what a client does over HTTP cannot disagree.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

use super::device::DeviceFlows;
use super::ratelimit::RateLimits;
use super::workflow::{DEPLOY_WORKFLOW_PATH, deploy_workflow};
use crate::clock::ScenarioClock;
use crate::people::{Person, Role};

/// Something that happened in the world that the story (or a test) may react to.
#[derive(Debug, Clone, PartialEq)]
pub enum GithubEvent {
    /// A required reviewer approved or rejected a waiting deployment.
    DeploymentReviewed {
        run_id: u64,
        environment: String,
        state: ReviewState,
        reviewer: String,
        comment: String,
    },
    /// A workflow was started through `workflow_dispatch`.
    WorkflowDispatched {
        workflow: String,
        git_ref: String,
        inputs: serde_json::Map<String, Value>,
        run_id: u64,
        actor: String,
    },
    DeploymentCreated {
        deployment_id: u64,
        environment: String,
        sha: String,
        creator: String,
    },
    DeploymentStatusCreated {
        deployment_id: u64,
        environment: String,
        state: DeploymentState,
        creator: String,
    },
    /// Every protection rule of a waiting run passed; its jobs now run.
    RunReleased { run_id: u64 },
    /// A newer job of its concurrency group took the place of the run's waiting job.
    RunCancelled { run_id: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    #[error("no such user: {0}")]
    UnknownUser(String),
    #[error("no such branch: {0}")]
    UnknownBranch(String),
    #[error("no such commit: {0}")]
    UnknownCommit(String),
    #[error("commit {0} already exists")]
    DuplicateCommit(String),
    #[error("no such pull request: #{0}")]
    UnknownPull(u64),
    #[error("pull request #{0} is not open")]
    PullNotOpen(u64),
    #[error("no such workflow: {0}")]
    UnknownWorkflow(String),
    #[error("no such workflow run: {0}")]
    UnknownRun(u64),
    #[error("no such environment: {0}")]
    UnknownEnvironment(String),
    #[error("no such deployment: {0}")]
    UnknownDeployment(u64),
    #[error("no pending device authorization with user code {0}")]
    UnknownUserCode(String),
    #[error("invalid argument: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Approved,
    Rejected,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

/// Why a review of a pending deployment was refused; each maps to GitHub's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewRefusal {
    #[error("no such workflow run")]
    UnknownRun,
    #[error("No pending deployment requests to approve or reject")]
    NothingPending,
    #[error("{0} is not a required reviewer for environment {1}")]
    NotAReviewer(String, String),
    #[error("{0} triggered this run and environment {1} prevents self-review")]
    SelfReview(String, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    Queued,
    InProgress,
    Completed,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conclusion {
    Success,
    Failure,
    Neutral,
    Cancelled,
    Skipped,
    TimedOut,
    ActionRequired,
}

impl Conclusion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Neutral => "neutral",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
            Self::TimedOut => "timed_out",
            Self::ActionRequired => "action_required",
        }
    }

    /// Whether GitHub counts this conclusion as passing for required contexts.
    pub fn passes(self) -> bool {
        matches!(self, Self::Success | Self::Neutral | Self::Skipped)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Queued,
    InProgress,
    Waiting,
    Completed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Waiting => "waiting",
            Self::Completed => "completed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentState {
    Error,
    Failure,
    Inactive,
    InProgress,
    Queued,
    Pending,
    Success,
}

impl DeploymentState {
    pub const ALL: [Self; 7] = [
        Self::Error,
        Self::Failure,
        Self::Inactive,
        Self::InProgress,
        Self::Queued,
        Self::Pending,
        Self::Success,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Failure => "failure",
            Self::Inactive => "inactive",
            Self::InProgress => "in_progress",
            Self::Queued => "queued",
            Self::Pending => "pending",
            Self::Success => "success",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reviewer {
    User(String),
    /// A team slug within the repository's organization.
    Team(String),
}

/// How an environment is protected.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentSpec {
    pub name: String,
    /// Minutes a job waits before it may run (0–43200).
    pub wait_timer: u32,
    pub reviewers: Vec<Reviewer>,
    pub prevent_self_review: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKind {
    User,
    Organization,
    Bot,
}

impl UserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Organization => "Organization",
            Self::Bot => "Bot",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: u64,
    pub login: String,
    pub name: String,
    pub kind: UserKind,
    /// What the user may do in the repository; `None` for accounts without a role (bots, the org).
    pub role: Option<Role>,
    pub created_at: Timestamp,
}

impl User {
    pub fn can_write(&self) -> bool {
        matches!(
            self.role,
            Some(Role::Approver | Role::Developer | Role::Lead)
        )
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub login: String,
    pub scopes: Vec<String>,
}

impl Grant {
    /// Classic scopes: `repo` covers everything the simulator serves; `repo_deployment` only
    /// deployments and their statuses.
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == "repo" || s == scope)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    pub author: String,
    pub message: String,
    pub at: Timestamp,
    pub tree: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PullState {
    Open,
    Closed,
}

#[derive(Debug, Clone)]
pub(crate) struct Pull {
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: Option<String>,
    pub author: String,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub state: PullState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub merged_at: Option<Timestamp>,
    pub merge_commit_sha: Option<String>,
    pub merged_by: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CheckRun {
    pub id: u64,
    pub suite_id: u64,
    pub head_sha: String,
    pub name: String,
    pub status: CheckStatus,
    pub conclusion: Option<Conclusion>,
    pub started_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub(crate) struct Workflow {
    pub id: u64,
    pub name: String,
    pub path: String,
    pub created_at: Timestamp,
}

impl Workflow {
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Gate {
    pub environment: String,
    pub started_at: Timestamp,
    pub approved_by: Option<String>,
}

/// One review of a run's pending deployments, as its review history lists it.
#[derive(Debug, Clone)]
pub(crate) struct Review {
    pub state: ReviewState,
    pub comment: String,
    /// The environments this one review approved or rejected.
    pub environments: Vec<String>,
    pub reviewer: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub id: u64,
    pub workflow_id: u64,
    pub run_number: u64,
    pub head_branch: String,
    pub head_sha: String,
    pub event: String,
    pub status: RunStatus,
    pub conclusion: Option<Conclusion>,
    pub actor: String,
    pub display_title: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub gates: Vec<Gate>,
    /// Oldest first.
    pub reviews: Vec<Review>,
    /// The deploy workflow's jobs that have started, in order.
    pub jobs: Vec<RunJob>,
}

/// A job of a deploy run: one of the shipped workflow's, deploying one environment.
#[derive(Debug, Clone)]
pub(crate) struct RunJob {
    pub id: u64,
    pub name: String,
    pub environment: String,
    pub started_at: Timestamp,
}

#[derive(Debug, Clone)]
pub(crate) struct DeploymentStatus {
    pub id: u64,
    pub state: DeploymentState,
    pub description: String,
    pub environment: String,
    pub target_url: String,
    pub log_url: String,
    /// The workflow run that wrote this status: without URLs of its own, the status links to
    /// the run's page, which is only known per request (the server's address).
    pub run_id: Option<u64>,
    pub environment_url: String,
    pub creator: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub(crate) struct Deployment {
    pub id: u64,
    pub sha: String,
    pub git_ref: String,
    pub task: String,
    pub environment: String,
    pub original_environment: String,
    pub description: Option<String>,
    pub payload: Value,
    pub creator: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub production_environment: bool,
    pub transient_environment: bool,
    /// Oldest first.
    pub statuses: Vec<DeploymentStatus>,
}

#[derive(Debug, Clone)]
pub(crate) struct Environment {
    pub id: u64,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub wait_timer: u32,
    pub reviewers: Vec<Reviewer>,
    pub prevent_self_review: bool,
    pub wait_rule_id: u64,
    pub reviewers_rule_id: u64,
}

impl Environment {
    pub fn is_protected(&self) -> bool {
        self.wait_timer > 0 || !self.reviewers.is_empty()
    }
}

/// What a new deployment should look like; defaults follow GitHub's.
#[derive(Debug, Clone)]
pub struct DeploymentSpec {
    pub git_ref: String,
    pub environment: String,
    pub task: String,
    pub description: Option<String>,
    pub payload: Value,
    pub creator: String,
    pub production_environment: Option<bool>,
    pub transient_environment: bool,
}

impl DeploymentSpec {
    pub fn new(git_ref: &str, environment: &str, creator: &str) -> Self {
        Self {
            git_ref: git_ref.to_owned(),
            environment: environment.to_owned(),
            task: "deploy".to_owned(),
            description: None,
            payload: Value::Object(serde_json::Map::new()),
            creator: creator.to_owned(),
            production_environment: None,
            transient_environment: false,
        }
    }
}

/// A new deployment status; `auto_inactive` (GitHub's default) marks earlier successful
/// deployments to the same environment inactive once this one succeeds.
#[derive(Debug, Clone)]
pub struct StatusSpec {
    pub state: DeploymentState,
    pub creator: String,
    pub description: String,
    pub environment: Option<String>,
    pub target_url: String,
    pub log_url: String,
    /// Written by this workflow run's job: `log_url` and `target_url` default to its page.
    pub run_id: Option<u64>,
    pub environment_url: String,
    pub auto_inactive: bool,
}

impl StatusSpec {
    pub fn new(state: DeploymentState, creator: &str) -> Self {
        Self {
            state,
            creator: creator.to_owned(),
            description: String::new(),
            environment: None,
            target_url: String::new(),
            log_url: String::new(),
            run_id: None,
            environment_url: String::new(),
            auto_inactive: true,
        }
    }

    /// The status as a job of workflow run `run_id` writes it: linking to the run.
    pub fn of_run(mut self, run_id: u64) -> Self {
        self.run_id = Some(run_id);
        self
    }
}

/// The actions bot, creator of deployments made by workflow runs.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

pub(crate) struct State {
    pub owner: String,
    pub repo: String,
    pub repo_id: u64,
    pub created_at: Timestamp,
    pub default_branch: String,
    pub users: BTreeMap<String, User>,
    pub tokens: HashMap<String, Grant>,
    pub teams: Vec<Team>,
    pub commits: HashMap<String, Commit>,
    pub branches: BTreeMap<String, String>,
    pub pulls: BTreeMap<u64, Pull>,
    pub checks: Vec<CheckRun>,
    pub workflows: Vec<Workflow>,
    pub runs: BTreeMap<u64, Run>,
    pub deployments: BTreeMap<u64, Deployment>,
    pub environments: BTreeMap<String, Environment>,
    /// Repository files by path: the simulated commits carry no trees, so every commit holds
    /// the same content.
    pub files: BTreeMap<String, String>,
    pub device: DeviceFlows,
    pub limits: RateLimits,
    /// Comparisons answered, found or not: how often a client asks for one.
    pub comparisons_asked: u64,
    /// The deploy workflow's jobs keep to their `concurrency` groups (the shipped workflow's
    /// do); off, runs waiting on one environment pile up, as in a repository whose workflow
    /// declares no group.
    pub concurrency_groups: bool,
    next_id: u64,
}

impl State {
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn user(&self, login: &str) -> Option<&User> {
        self.users.get(login)
    }

    fn require_user(&self, login: &str) -> Result<&User, WorldError> {
        self.user(login)
            .ok_or_else(|| WorldError::UnknownUser(login.to_owned()))
    }

    /// Resolves a branch name, a full SHA or an unambiguous SHA prefix (≥ 7 characters).
    pub fn resolve(&self, reference: &str) -> Option<String> {
        let reference = reference.strip_prefix("refs/heads/").unwrap_or(reference);
        if let Some(sha) = self.branches.get(reference) {
            return Some(sha.clone());
        }
        if self.commits.contains_key(reference) {
            return Some(reference.to_owned());
        }
        if reference.len() >= 7
            && reference.len() < 40
            && reference.bytes().all(|b| b.is_ascii_hexdigit())
        {
            let mut found = self.commits.keys().filter(|sha| sha.starts_with(reference));
            if let (Some(sha), None) = (found.next(), found.next()) {
                return Some(sha.clone());
            }
        }
        None
    }

    /// Every commit reachable from `sha`, newest first (by time, then by walk order).
    pub fn history(&self, sha: &str) -> Vec<&Commit> {
        let reachable = self.ancestors(sha);
        let mut out: Vec<&Commit> = reachable
            .iter()
            .filter_map(|s| self.commits.get(s))
            .collect();
        out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.sha.cmp(&a.sha)));
        out
    }

    pub fn ancestors(&self, sha: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([sha.to_owned()]);
        while let Some(next) = queue.pop_front() {
            if !seen.insert(next.clone()) {
                continue;
            }
            if let Some(c) = self.commits.get(&next) {
                queue.extend(c.parents.iter().cloned());
            }
        }
        seen
    }

    /// The newest common ancestor of two commits.
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let of_a = self.ancestors(a);
        let of_b = self.ancestors(b);
        of_a.intersection(&of_b)
            .filter_map(|s| self.commits.get(s))
            .max_by(|x, y| x.at.cmp(&y.at).then_with(|| x.sha.cmp(&y.sha)))
            .map(|c| c.sha.clone())
    }

    pub fn is_reviewer(&self, env: &Environment, login: &str) -> bool {
        env.reviewers.iter().any(|r| match r {
            Reviewer::User(u) => u == login,
            Reviewer::Team(slug) => self
                .teams
                .iter()
                .any(|t| &t.slug == slug && t.members.iter().any(|m| m == login)),
        })
    }

    /// GitHub's `current_user_can_approve`: a required reviewer who, if the environment
    /// prevents self-review, did not trigger the run.
    pub fn can_approve(&self, run: &Run, env: &Environment, login: Option<&str>) -> bool {
        let Some(login) = login else { return false };
        self.is_reviewer(env, login) && !(env.prevent_self_review && run.actor == login)
    }

    /// `run_id`'s job now waits on `environment`: it replaces the job of the same concurrency
    /// group still waiting in any other run, which is cancelled, as GitHub keeps one pending job
    /// per group. Returns the runs cancelled.
    fn replace_pending_in_group(
        &mut self,
        run_id: u64,
        environment: &str,
        now: Timestamp,
    ) -> Vec<u64> {
        let group_of = |run: &Run, environment: &str| {
            deploy_workflow()
                .job(&run.event, environment)
                .ok()
                .and_then(|job| job.concurrency.clone())
        };
        let group = self
            .runs
            .get(&run_id)
            .and_then(|r| group_of(r, environment));
        let Some(group) = group.filter(|_| self.concurrency_groups) else {
            return Vec::new();
        };
        let mut cancelled = Vec::new();
        for run in self.runs.values_mut().filter(|r| {
            r.id != run_id
                && r.status == RunStatus::Waiting
                && r.gates.iter().any(|g| {
                    g.approved_by.is_none()
                        && r.jobs.iter().any(|j| j.environment == g.environment)
                        && group_of(r, &g.environment).as_deref() == Some(group.as_str())
                })
        }) {
            run.status = RunStatus::Completed;
            run.conclusion = Some(Conclusion::Cancelled);
            run.gates.clear();
            run.updated_at = now;
            cancelled.push(run.id);
        }
        cancelled
    }

    /// Gates still waiting for a review, in the order the run met them.
    pub fn pending_gates<'a>(
        &'a self,
        run: &'a Run,
    ) -> impl Iterator<Item = (&'a Gate, &'a Environment)> + 'a {
        run.gates
            .iter()
            .filter(|g| g.approved_by.is_none())
            .filter_map(|g| {
                let env = self.environments.get(&g.environment)?;
                (!env.reviewers.is_empty()).then_some((g, env))
            })
    }

    /// Releases gates whose reviews and wait timers are done; returns the runs that may now go.
    fn release_gates(&mut self, now: Timestamp) -> Vec<u64> {
        let mut released = Vec::new();
        let envs = &self.environments;
        for run in self
            .runs
            .values_mut()
            .filter(|r| r.status == RunStatus::Waiting)
        {
            run.gates.retain(|g| {
                let Some(env) = envs.get(&g.environment) else {
                    return false;
                };
                let reviewed = env.reviewers.is_empty() || g.approved_by.is_some();
                let timer = SignedDuration::from_secs(i64::from(env.wait_timer) * 60);
                let elapsed = g
                    .started_at
                    .checked_add(timer)
                    .map(|t| now >= t)
                    .unwrap_or(true);
                !(reviewed && elapsed)
            });
            if run.gates.is_empty() {
                run.status = RunStatus::InProgress;
                run.updated_at = now;
                released.push(run.id);
            }
        }
        released
    }

    fn add_commit(
        &mut self,
        sha: String,
        parents: Vec<String>,
        author: &str,
        message: &str,
        at: Timestamp,
    ) -> Result<(), WorldError> {
        self.require_user(author)?;
        if self.commits.contains_key(&sha) {
            return Err(WorldError::DuplicateCommit(sha));
        }
        let tree = hex_digest(&[b"tree", sha.as_bytes()]);
        self.commits.insert(
            sha.clone(),
            Commit {
                sha,
                parents,
                author: author.to_owned(),
                message: message.to_owned(),
                at,
                tree,
            },
        );
        Ok(())
    }

    fn move_branch(&mut self, branch: &str, sha: &str, now: Timestamp) {
        self.branches.insert(branch.to_owned(), sha.to_owned());
        for pull in self.pulls.values_mut() {
            if pull.state == PullState::Open && pull.head_ref == branch {
                pull.head_sha = sha.to_owned();
                pull.updated_at = now;
            }
        }
    }

    pub fn workflow_by_key(&self, key: &str) -> Option<&Workflow> {
        self.workflows
            .iter()
            .find(|w| w.id.to_string() == key || w.file_name() == key || w.path == key)
    }
}

struct Shared {
    state: Mutex<State>,
    events: broadcast::Sender<GithubEvent>,
    clock: ScenarioClock,
}

/// The simulated GitHub: one repository, its people and their tokens. Cheap to clone.
#[derive(Clone)]
pub struct GithubWorld {
    shared: Arc<Shared>,
}

impl GithubWorld {
    /// An empty `tbyte-org/tbyte` with the given people (their `github_token`s are valid) and the
    /// organization account. Times come from `clock`.
    pub fn new(clock: ScenarioClock, people: &[Person]) -> Self {
        let now = clock.now();
        let mut users = BTreeMap::new();
        let mut tokens = HashMap::new();
        let mut id = 1000;
        let mut add = |login: &str, name: &str, kind: UserKind, role: Option<Role>| {
            id += 1;
            users.insert(
                login.to_owned(),
                User {
                    id,
                    login: login.to_owned(),
                    name: name.to_owned(),
                    kind,
                    role,
                    created_at: now,
                },
            );
        };
        add("tbyte-org", "tbyte", UserKind::Organization, None);
        add(ACTIONS_BOT, "GitHub Actions", UserKind::Bot, None);
        for p in people {
            add(&p.login, &p.name, UserKind::User, Some(p.role));
            tokens.insert(
                p.github_token.clone(),
                Grant {
                    login: p.login.clone(),
                    scopes: vec!["repo".to_owned(), "read:org".to_owned()],
                },
            );
        }
        let state = State {
            owner: "tbyte-org".to_owned(),
            repo: "tbyte".to_owned(),
            repo_id: 700_001,
            created_at: now,
            default_branch: "main".to_owned(),
            users,
            tokens,
            teams: Vec::new(),
            commits: HashMap::new(),
            branches: BTreeMap::new(),
            pulls: BTreeMap::new(),
            checks: Vec::new(),
            workflows: Vec::new(),
            runs: BTreeMap::new(),
            deployments: BTreeMap::new(),
            environments: BTreeMap::new(),
            files: BTreeMap::new(),
            device: DeviceFlows::default(),
            limits: RateLimits::default(),
            comparisons_asked: 0,
            concurrency_groups: true,
            next_id: 10_000,
        };
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                events: broadcast::channel(256).0,
                clock,
            }),
        }
    }

    pub fn clock(&self) -> &ScenarioClock {
        &self.shared.clock
    }

    pub fn owner(&self) -> String {
        self.lock().owner.clone()
    }

    pub fn repo(&self) -> String {
        self.lock().repo.clone()
    }

    /// As a repository whose deploy workflow declares no concurrency groups: every run's job
    /// waiting on an environment keeps waiting, however many there are.
    pub fn without_concurrency_groups(&self) {
        self.lock().concurrency_groups = false;
    }

    pub fn subscribe(&self) -> broadcast::Receiver<GithubEvent> {
        self.shared.events.subscribe()
    }

    pub(crate) fn emit(&self, event: GithubEvent) {
        // Nobody listening is normal (tests that only use HTTP).
        let _ = self.shared.events.send(event);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the state half-written in a way worse than failing
        // every later request, so carry on with what is there.
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state with wait timers applied at the current scenario time.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        let now = self.shared.clock.now();
        let mut state = self.lock();
        let released = state.release_gates(now);
        for run_id in released {
            self.emit(GithubEvent::RunReleased { run_id });
        }
        state
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.shared.clock.now()
    }

    /// Puts `text` at `path` (relative to the repository's root) in every commit, replacing
    /// what was there.
    pub fn set_file(&self, path: &str, text: &str) -> Result<(), WorldError> {
        let path = path.trim_matches('/');
        if path.is_empty() || path.split('/').any(|part| matches!(part, "" | "." | "..")) {
            return Err(WorldError::Invalid(format!(
                "{path:?} is not a file path in the repository"
            )));
        }
        self.state().files.insert(path.to_owned(), text.to_owned());
        Ok(())
    }

    /// Adds a team of the organization (e.g. `release-managers`) with its members.
    pub fn add_team(&self, slug: &str, name: &str, members: &[&str]) -> Result<u64, WorldError> {
        let mut s = self.state();
        for m in members {
            s.require_user(m)?;
        }
        let id = s.next_id();
        s.teams.retain(|t| t.slug != slug);
        s.teams.push(Team {
            id,
            slug: slug.to_owned(),
            name: name.to_owned(),
            members: members.iter().map(|m| (*m).to_owned()).collect(),
        });
        Ok(id)
    }

    /// Adds a commit with a content-derived SHA on top of `branch` (created from the default
    /// branch's head if it does not exist yet). Returns the SHA.
    pub fn commit(&self, branch: &str, author: &str, message: &str) -> Result<String, WorldError> {
        let now = self.now();
        let parent = self.parent_for(branch);
        let sha = hex_digest(&[
            parent.as_deref().unwrap_or("").as_bytes(),
            author.as_bytes(),
            message.as_bytes(),
            now.to_string().as_bytes(),
        ]);
        self.commit_with_sha(branch, &sha, author, message)?;
        Ok(sha)
    }

    /// Adds a commit with a SHA chosen by the caller (e.g. one that an image tag refers to).
    pub fn commit_with_sha(
        &self,
        branch: &str,
        sha: &str,
        author: &str,
        message: &str,
    ) -> Result<(), WorldError> {
        if sha.len() != 40 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(WorldError::Invalid(format!(
                "{sha:?} is not a 40-character hex SHA"
            )));
        }
        let now = self.now();
        let parent = self.parent_for(branch);
        let mut s = self.state();
        s.add_commit(
            sha.to_ascii_lowercase(),
            parent.into_iter().collect(),
            author,
            message,
            now,
        )?;
        s.move_branch(branch, &sha.to_ascii_lowercase(), now);
        Ok(())
    }

    fn parent_for(&self, branch: &str) -> Option<String> {
        let s = self.lock();
        s.branches
            .get(branch)
            .or_else(|| s.branches.get(&s.default_branch))
            .cloned()
    }

    pub fn create_branch(&self, branch: &str, from: &str) -> Result<(), WorldError> {
        let now = self.now();
        let mut s = self.state();
        let sha = s
            .resolve(from)
            .ok_or_else(|| WorldError::UnknownCommit(from.to_owned()))?;
        s.move_branch(branch, &sha, now);
        Ok(())
    }

    /// A branch, a full SHA or an unambiguous SHA prefix, as the full SHA.
    pub fn resolve_commit(&self, reference: &str) -> Option<String> {
        self.state().resolve(reference)
    }

    pub fn branch_head(&self, branch: &str) -> Option<String> {
        self.lock().branches.get(branch).cloned()
    }

    /// Opens a pull request from `head_ref` into `base_ref`; returns its number.
    pub fn open_pull(
        &self,
        title: &str,
        head_ref: &str,
        base_ref: &str,
        author: &str,
    ) -> Result<u64, WorldError> {
        let now = self.now();
        let mut s = self.state();
        s.require_user(author)?;
        let head_sha = s
            .branches
            .get(head_ref)
            .cloned()
            .ok_or_else(|| WorldError::UnknownBranch(head_ref.to_owned()))?;
        let base_sha = s
            .branches
            .get(base_ref)
            .cloned()
            .ok_or_else(|| WorldError::UnknownBranch(base_ref.to_owned()))?;
        let number = s.pulls.keys().next_back().map_or(1, |n| n + 1);
        let id = s.next_id();
        s.pulls.insert(
            number,
            Pull {
                number,
                id,
                title: title.to_owned(),
                body: None,
                author: author.to_owned(),
                head_ref: head_ref.to_owned(),
                head_sha,
                base_ref: base_ref.to_owned(),
                base_sha,
                state: PullState::Open,
                created_at: now,
                updated_at: now,
                closed_at: None,
                merged_at: None,
                merge_commit_sha: None,
                merged_by: None,
            },
        );
        Ok(number)
    }

    /// Merges with a merge commit (GitHub's default); returns the merge commit's SHA.
    pub fn merge_pull(&self, number: u64, by: &str) -> Result<String, WorldError> {
        let now = self.now();
        let mut s = self.state();
        s.require_user(by)?;
        let pull = s
            .pulls
            .get(&number)
            .cloned()
            .ok_or(WorldError::UnknownPull(number))?;
        if pull.state != PullState::Open {
            return Err(WorldError::PullNotOpen(number));
        }
        let base_head = s
            .branches
            .get(&pull.base_ref)
            .cloned()
            .ok_or_else(|| WorldError::UnknownBranch(pull.base_ref.clone()))?;
        let message = format!(
            "Merge pull request #{number} from {}/{}\n\n{}",
            s.owner, pull.head_ref, pull.title
        );
        let sha = hex_digest(&[
            base_head.as_bytes(),
            pull.head_sha.as_bytes(),
            message.as_bytes(),
        ]);
        s.add_commit(
            sha.clone(),
            vec![base_head.clone(), pull.head_sha.clone()],
            by,
            &message,
            now,
        )?;
        s.move_branch(&pull.base_ref, &sha, now);
        if let Some(p) = s.pulls.get_mut(&number) {
            p.state = PullState::Closed;
            p.base_sha = base_head;
            p.merged_at = Some(now);
            p.closed_at = Some(now);
            p.updated_at = now;
            p.merge_commit_sha = Some(sha.clone());
            p.merged_by = Some(by.to_owned());
        }
        Ok(sha)
    }

    pub fn close_pull(&self, number: u64) -> Result<(), WorldError> {
        let now = self.now();
        let mut s = self.state();
        let p = s
            .pulls
            .get_mut(&number)
            .ok_or(WorldError::UnknownPull(number))?;
        if p.state != PullState::Open {
            return Err(WorldError::PullNotOpen(number));
        }
        p.state = PullState::Closed;
        p.closed_at = Some(now);
        p.updated_at = now;
        Ok(())
    }

    /// Creates the check run `name` on `sha`, or updates it if one exists.
    pub fn set_check_run(
        &self,
        sha: &str,
        name: &str,
        status: CheckStatus,
        conclusion: Option<Conclusion>,
    ) -> Result<u64, WorldError> {
        if (status == CheckStatus::Completed) != conclusion.is_some() {
            return Err(WorldError::Invalid(
                "a conclusion is given exactly when the check is completed".into(),
            ));
        }
        let now = self.now();
        let mut s = self.state();
        let sha = s
            .resolve(sha)
            .ok_or_else(|| WorldError::UnknownCommit(sha.to_owned()))?;
        let completed_at = (status == CheckStatus::Completed).then_some(now);
        if let Some(c) = s
            .checks
            .iter_mut()
            .find(|c| c.head_sha == sha && c.name == name)
        {
            c.status = status;
            c.conclusion = conclusion;
            c.completed_at = completed_at;
            return Ok(c.id);
        }
        let suite_id = s
            .checks
            .iter()
            .find(|c| c.head_sha == sha)
            .map(|c| c.suite_id)
            .unwrap_or_else(|| s.next_id());
        let id = s.next_id();
        s.checks.push(CheckRun {
            id,
            suite_id,
            head_sha: sha,
            name: name.to_owned(),
            status,
            conclusion,
            started_at: now,
            completed_at,
        });
        Ok(id)
    }

    /// Adds or reconfigures an environment and its protection rules.
    pub fn configure_environment(&self, spec: EnvironmentSpec) -> Result<u64, WorldError> {
        if spec.wait_timer > 43_200 {
            return Err(WorldError::Invalid(
                "wait_timer is at most 43200 minutes".into(),
            ));
        }
        if spec.reviewers.len() > 6 {
            return Err(WorldError::Invalid("at most 6 reviewers".into()));
        }
        let now = self.now();
        let mut s = self.state();
        for r in &spec.reviewers {
            match r {
                Reviewer::User(u) => {
                    s.require_user(u)?;
                }
                Reviewer::Team(t) if !s.teams.iter().any(|x| &x.slug == t) => {
                    return Err(WorldError::Invalid(format!("no team {t}")));
                }
                Reviewer::Team(_) => {}
            }
        }
        let (id, created_at, wait_rule_id, reviewers_rule_id) = match s.environments.get(&spec.name)
        {
            Some(e) => (e.id, e.created_at, e.wait_rule_id, e.reviewers_rule_id),
            None => (s.next_id(), now, s.next_id(), s.next_id()),
        };
        s.environments.insert(
            spec.name.clone(),
            Environment {
                id,
                name: spec.name,
                created_at,
                updated_at: now,
                wait_timer: spec.wait_timer,
                reviewers: spec.reviewers,
                prevent_self_review: spec.prevent_self_review,
                wait_rule_id,
                reviewers_rule_id,
            },
        );
        Ok(id)
    }

    pub fn environment_id(&self, name: &str) -> Option<u64> {
        self.lock().environments.get(name).map(|e| e.id)
    }

    /// Adds a workflow file (e.g. `("Deploy", ".github/workflows/deploy.yml")`).
    pub fn add_workflow(&self, name: &str, path: &str) -> u64 {
        let now = self.now();
        let mut s = self.state();
        if let Some(w) = s.workflows.iter().find(|w| w.path == path) {
            return w.id;
        }
        let id = s.next_id();
        s.workflows.push(Workflow {
            id,
            name: name.to_owned(),
            path: path.to_owned(),
            created_at: now,
        });
        id
    }

    /// Starts a run of `workflow` (id, file name or path) on `branch`'s head, triggered by
    /// `actor`. Its first jobs target `environments` and wait on their protection rules: the run
    /// is `waiting` while any protected environment has not passed. Jobs that `needs:` another
    /// start later, through [`Self::start_job`].
    pub fn start_run(
        &self,
        workflow: &str,
        branch: &str,
        event: &str,
        actor: &str,
        environments: &[&str],
    ) -> Result<u64, WorldError> {
        let now = self.now();
        let mut s = self.state();
        s.require_user(actor)?;
        let wf = s
            .workflow_by_key(workflow)
            .cloned()
            .ok_or_else(|| WorldError::UnknownWorkflow(workflow.to_owned()))?;
        let head_sha = s
            .branches
            .get(branch)
            .cloned()
            .ok_or_else(|| WorldError::UnknownBranch(branch.to_owned()))?;
        let mut gates = Vec::new();
        let mut jobs = Vec::new();
        for env in environments {
            let e = s
                .environments
                .get(*env)
                .ok_or_else(|| WorldError::UnknownEnvironment((*env).to_owned()))?;
            if wf.path == DEPLOY_WORKFLOW_PATH {
                let job = deploy_workflow()
                    .job(event, env)
                    .map_err(WorldError::Invalid)?;
                jobs.push((job.name.clone(), e.name.clone()));
            }
            if e.is_protected() {
                gates.push(Gate {
                    environment: e.name.clone(),
                    started_at: now,
                    approved_by: None,
                });
            }
        }
        let display_title = s
            .commits
            .get(&head_sha)
            .and_then(|c| c.message.lines().next())
            .unwrap_or(&wf.name)
            .to_owned();
        let run_number = s.runs.values().filter(|r| r.workflow_id == wf.id).count() as u64 + 1;
        let id = s.next_id();
        let jobs = jobs
            .into_iter()
            .map(|(name, environment)| RunJob {
                id: s.next_id(),
                name,
                environment,
                started_at: now,
            })
            .collect();
        s.runs.insert(
            id,
            Run {
                id,
                workflow_id: wf.id,
                run_number,
                head_branch: branch.to_owned(),
                head_sha,
                event: event.to_owned(),
                status: if gates.is_empty() {
                    RunStatus::InProgress
                } else {
                    RunStatus::Waiting
                },
                conclusion: None,
                actor: actor.to_owned(),
                display_title,
                created_at: now,
                updated_at: now,
                gates,
                reviews: Vec::new(),
                jobs,
            },
        );
        let mut cancelled = Vec::new();
        for env in environments {
            if s.environments
                .get(*env)
                .is_some_and(Environment::is_protected)
            {
                cancelled.extend(s.replace_pending_in_group(id, env, now));
            }
        }
        drop(s);
        for run_id in cancelled {
            self.emit(GithubEvent::RunCancelled { run_id });
        }
        Ok(id)
    }

    /// Starts a job of a running `run` that targets `environment`, as GitHub does once the jobs
    /// it `needs:` succeeded. Only now do the environment's protection rules apply: its pending
    /// deployment appears and its wait timer starts, so a run never waits on an environment
    /// whose job could not start yet (production's, while staging still deploys).
    pub fn start_job(&self, run_id: u64, environment: &str) -> Result<(), WorldError> {
        let now = self.now();
        let mut s = self.state();
        let protected = s
            .environments
            .get(environment)
            .ok_or_else(|| WorldError::UnknownEnvironment(environment.to_owned()))?
            .is_protected();
        let job_id = s.next_id();
        let run = s
            .runs
            .get_mut(&run_id)
            .ok_or(WorldError::UnknownRun(run_id))?;
        if run.status == RunStatus::Completed {
            return Err(WorldError::Invalid(format!(
                "run {run_id} is completed; no job of it starts"
            )));
        }
        let job = deploy_workflow()
            .job(&run.event, environment)
            .map_err(WorldError::Invalid)?;
        let job = RunJob {
            id: job_id,
            name: job.name.clone(),
            environment: environment.to_owned(),
            started_at: now,
        };
        run.jobs.push(job);
        if protected {
            run.gates.push(Gate {
                environment: environment.to_owned(),
                started_at: now,
                approved_by: None,
            });
            run.status = RunStatus::Waiting;
        }
        run.updated_at = now;
        let cancelled = if protected {
            s.replace_pending_in_group(run_id, environment, now)
        } else {
            Vec::new()
        };
        drop(s);
        for run_id in cancelled {
            self.emit(GithubEvent::RunCancelled { run_id });
        }
        Ok(())
    }

    /// Records the job a dispatched deploy run runs for `environment` (the `environment` input
    /// of a `workflow_dispatch`). The story deploys it at once: a repository gated by Sluice's
    /// workflow-dispatch method gives that environment no required reviewers of its own.
    pub fn start_dispatched_job(&self, run_id: u64, environment: &str) -> Result<(), WorldError> {
        let now = self.now();
        let mut s = self.state();
        let job_id = s.next_id();
        let run = s
            .runs
            .get_mut(&run_id)
            .ok_or(WorldError::UnknownRun(run_id))?;
        let job = deploy_workflow()
            .job(&run.event, environment)
            .map_err(WorldError::Invalid)?;
        run.jobs.push(RunJob {
            id: job_id,
            name: job.name.clone(),
            environment: environment.to_owned(),
            started_at: now,
        });
        Ok(())
    }

    /// The deploy workflow's run whose first job deploys `environment` (a pull request's head
    /// into dev, a merge into staging), triggered by `actor` on `branch`.
    pub fn start_deploy_run(
        &self,
        environment: &str,
        branch: &str,
        actor: &str,
    ) -> Result<u64, WorldError> {
        let event = deploy_workflow().event_of(environment).ok_or_else(|| {
            WorldError::Invalid(format!(
                "the deploy workflow deploys `{environment}` on no event of its own"
            ))
        })?;
        self.start_run("deploy.yml", branch, event, actor, &[environment])
    }

    pub fn complete_run(&self, run_id: u64, conclusion: Conclusion) -> Result<(), WorldError> {
        let now = self.now();
        let mut s = self.state();
        let run = s
            .runs
            .get_mut(&run_id)
            .ok_or(WorldError::UnknownRun(run_id))?;
        run.status = RunStatus::Completed;
        run.conclusion = Some(conclusion);
        run.gates.clear();
        run.updated_at = now;
        Ok(())
    }

    /// `(status, conclusion)` of a run, as GitHub spells them.
    pub fn run_status(&self, run_id: u64) -> Option<(&'static str, Option<&'static str>)> {
        self.state()
            .runs
            .get(&run_id)
            .map(|r| (r.status.as_str(), r.conclusion.map(Conclusion::as_str)))
    }

    /// Names of the environments a run still waits on for a review.
    pub fn pending_environments(&self, run_id: u64) -> Vec<String> {
        let s = self.state();
        let Some(run) = s.runs.get(&run_id) else {
            return Vec::new();
        };
        s.pending_gates(run).map(|(_, e)| e.name.clone()).collect()
    }

    /// Reviews a run's pending deployments as `reviewer`, enforcing the environments' rules
    /// exactly as the REST endpoint does. Returns the ids of deployments created by approval.
    pub fn review_pending(
        &self,
        run_id: u64,
        environment_ids: &[u64],
        state: ReviewState,
        comment: &str,
        reviewer: &str,
    ) -> Result<Vec<u64>, ReviewRefusal> {
        let now = self.now();
        let mut events = Vec::new();
        let created = {
            let mut s = self.state();
            let run = s
                .runs
                .get(&run_id)
                .cloned()
                .ok_or(ReviewRefusal::UnknownRun)?;
            let pending: Vec<Environment> = s.pending_gates(&run).map(|(_, e)| e.clone()).collect();
            let mut targets = Vec::new();
            for id in environment_ids {
                let env = pending
                    .iter()
                    .find(|e| e.id == *id)
                    .ok_or(ReviewRefusal::NothingPending)?;
                if !s.is_reviewer(env, reviewer) {
                    return Err(ReviewRefusal::NotAReviewer(
                        reviewer.to_owned(),
                        env.name.clone(),
                    ));
                }
                if env.prevent_self_review && run.actor == reviewer {
                    return Err(ReviewRefusal::SelfReview(
                        reviewer.to_owned(),
                        env.name.clone(),
                    ));
                }
                targets.push(env.name.clone());
            }
            if targets.is_empty() {
                return Err(ReviewRefusal::NothingPending);
            }
            if let Some(run) = s.runs.get_mut(&run_id) {
                run.reviews.push(Review {
                    state,
                    comment: comment.to_owned(),
                    environments: targets.clone(),
                    reviewer: reviewer.to_owned(),
                });
            }
            let mut created = Vec::new();
            for env in &targets {
                events.push(GithubEvent::DeploymentReviewed {
                    run_id,
                    environment: env.clone(),
                    state,
                    reviewer: reviewer.to_owned(),
                    comment: comment.to_owned(),
                });
                match state {
                    ReviewState::Approved => {
                        if let Some(run) = s.runs.get_mut(&run_id) {
                            for g in run.gates.iter_mut().filter(|g| &g.environment == env) {
                                g.approved_by = Some(reviewer.to_owned());
                            }
                        }
                        // The approved job creates its deployment: the workflow's bot, not
                        // the person who pushed, is its creator.
                        let mut spec = DeploymentSpec::new(&run.head_branch, env, ACTIONS_BOT);
                        spec.description =
                            Some(format!("Deploy {} to {env}", short(&run.head_sha)));
                        let id = create_deployment_locked(&mut s, &run.head_sha, spec, now);
                        events.push(GithubEvent::DeploymentCreated {
                            deployment_id: id,
                            environment: env.clone(),
                            sha: run.head_sha.clone(),
                            creator: ACTIONS_BOT.to_owned(),
                        });
                        created.push(id);
                    }
                    ReviewState::Rejected => {
                        if let Some(run) = s.runs.get_mut(&run_id) {
                            run.status = RunStatus::Completed;
                            run.conclusion = Some(Conclusion::Failure);
                            run.gates.clear();
                            run.updated_at = now;
                        }
                    }
                }
            }
            if let Some(run) = s.runs.get_mut(&run_id) {
                run.updated_at = now;
            }
            let released = s.release_gates(now);
            events.extend(
                released
                    .into_iter()
                    .map(|run_id| GithubEvent::RunReleased { run_id }),
            );
            created
        };
        for e in events {
            self.emit(e);
        }
        Ok(created)
    }

    /// Creates a deployment as `spec.creator` would through the API (no status checks).
    pub fn create_deployment(&self, spec: DeploymentSpec) -> Result<u64, WorldError> {
        let now = self.now();
        let event = {
            let mut s = self.state();
            s.require_user(&spec.creator)?;
            let sha = s
                .resolve(&spec.git_ref)
                .ok_or_else(|| WorldError::UnknownCommit(spec.git_ref.clone()))?;
            let (environment, creator) = (spec.environment.clone(), spec.creator.clone());
            let deployment_id = create_deployment_locked(&mut s, &sha, spec, now);
            GithubEvent::DeploymentCreated {
                deployment_id,
                environment,
                sha,
                creator,
            }
        };
        let id = match &event {
            GithubEvent::DeploymentCreated { deployment_id, .. } => *deployment_id,
            _ => 0,
        };
        self.emit(event);
        Ok(id)
    }

    pub fn add_deployment_status(
        &self,
        deployment_id: u64,
        spec: StatusSpec,
    ) -> Result<u64, WorldError> {
        let now = self.now();
        let (id, env) = {
            let mut s = self.state();
            s.require_user(&spec.creator)?;
            if !s.deployments.contains_key(&deployment_id) {
                return Err(WorldError::UnknownDeployment(deployment_id));
            }
            let id = add_status_locked(&mut s, deployment_id, &spec, now);
            let env = s
                .deployments
                .get(&deployment_id)
                .map(|d| d.environment.clone())
                .unwrap_or_default();
            (id, env)
        };
        self.emit(GithubEvent::DeploymentStatusCreated {
            deployment_id,
            environment: env,
            state: spec.state,
            creator: spec.creator,
        });
        Ok(id)
    }

    /// Completes a pending device authorization as `login` (what the person does in the browser).
    pub fn authorize_device(&self, user_code: &str, login: &str) -> Result<(), WorldError> {
        let mut s = self.state();
        s.require_user(login)?;
        s.device.authorize(user_code, login)
    }

    /// The person clicked "Cancel" on the device authorization page.
    pub fn deny_device(&self, user_code: &str) -> Result<(), WorldError> {
        self.state().device.deny(user_code)
    }

    /// Seconds between device-flow polls that GitHub asks for (5 on github.com). Tests lower it.
    pub fn set_device_poll_interval(&self, seconds: u64) {
        self.state().device.interval = seconds.max(1);
    }

    /// Answers the next `requests` rate-counted requests as if the primary limit were exhausted
    /// (403, `x-ratelimit-remaining: 0`).
    pub fn exhaust_primary_limit(&self, requests: u32) {
        self.state().limits.primary_exhausted_for = requests;
    }

    /// Answers the next `requests` rate-counted requests with a secondary limit (429 with
    /// `retry-after: retry_after_secs`).
    pub fn trip_secondary_limit(&self, requests: u32, retry_after_secs: u32) {
        let mut s = self.state();
        s.limits.secondary_for = requests;
        s.limits.retry_after = retry_after_secs;
    }

    /// Rate-limit points spent by `token` (`None`: anonymous callers) since the world started.
    pub fn points_spent(&self, token: Option<&str>) -> u64 {
        self.lock().limits.spent_by(token)
    }

    /// Comparisons (`/compare/{base}...{head}`) the API was asked for, by anyone.
    pub fn comparisons_asked(&self) -> u64 {
        self.lock().comparisons_asked
    }

    /// Requests (of any kind, including free ones) the API has answered for `token`.
    pub fn requests_seen(&self, token: Option<&str>) -> u64 {
        self.lock().limits.requests_by(token)
    }
}

pub(crate) fn create_deployment_locked(
    s: &mut State,
    sha: &str,
    spec: DeploymentSpec,
    now: Timestamp,
) -> u64 {
    let id = s.next_id();
    let production = spec
        .production_environment
        .unwrap_or(spec.environment == "production");
    s.deployments.insert(
        id,
        Deployment {
            id,
            sha: sha.to_owned(),
            git_ref: spec.git_ref,
            task: spec.task,
            original_environment: spec.environment.clone(),
            environment: spec.environment,
            description: spec.description,
            payload: spec.payload,
            creator: spec.creator,
            created_at: now,
            updated_at: now,
            production_environment: production,
            transient_environment: spec.transient_environment,
            statuses: Vec::new(),
        },
    );
    id
}

pub(crate) fn add_status_locked(
    s: &mut State,
    deployment_id: u64,
    spec: &StatusSpec,
    now: Timestamp,
) -> u64 {
    let id = s.next_id();
    let Some(dep) = s.deployments.get_mut(&deployment_id) else {
        return id;
    };
    if let Some(env) = &spec.environment {
        dep.environment = env.clone();
    }
    let env = dep.environment.clone();
    dep.updated_at = now;
    dep.statuses.push(DeploymentStatus {
        id,
        state: spec.state,
        description: spec.description.clone(),
        environment: env.clone(),
        target_url: spec.target_url.clone(),
        log_url: spec.log_url.clone(),
        run_id: spec.run_id,
        environment_url: spec.environment_url.clone(),
        creator: spec.creator.clone(),
        created_at: now,
    });
    if spec.state == DeploymentState::Success && spec.auto_inactive {
        let older: Vec<u64> = s
            .deployments
            .values()
            .filter(|d| {
                d.id != deployment_id
                    && d.environment == env
                    && !d.transient_environment
                    && d.statuses
                        .last()
                        .is_some_and(|st| st.state == DeploymentState::Success)
            })
            .map(|d| d.id)
            .collect();
        for other in older {
            let sid = s.next_id();
            if let Some(d) = s.deployments.get_mut(&other) {
                d.updated_at = now;
                d.statuses.push(DeploymentStatus {
                    id: sid,
                    state: DeploymentState::Inactive,
                    description: String::new(),
                    environment: env.clone(),
                    target_url: String::new(),
                    log_url: String::new(),
                    run_id: None,
                    environment_url: String::new(),
                    creator: spec.creator.clone(),
                    created_at: now,
                });
            }
        }
    }
    id
}

pub(crate) fn hex_digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    let digest = h.finalize();
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
