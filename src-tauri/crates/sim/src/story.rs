//! The tbyte story: a deterministic sequence of releases on the scenario clock. It opens with
//! the staging commit's deploy run waiting on production's review. Then a developer opens
//! a pull request, checks run, the head deploys to dev; the pull request merges, the merge
//! deploys to staging, and once staging is healthy the deploy run's production job waits on the
//! `production` environment until a required reviewer approves it through the API; then
//! production rolls out. Every third release ships an image that crashes and stalls in staging,
//! so its run fails and never reaches production.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::github::{
    ACTIONS_BOT, APPROVER, CheckStatus, Conclusion, DEVELOPER, DeploymentSpec, DeploymentState,
    GithubEvent, GithubWorld, ReviewState, StatusSpec,
};
use crate::kube::helm::{self, Upgrade};
use crate::kube::resources::Kind;
use crate::kube::{Breakage, KubeWorld};

/// One environment of the pipeline, as the story deploys it.
#[derive(Debug, Clone)]
pub struct StoryEnvironment {
    pub name: String,
    pub namespace: String,
    pub release: String,
    /// The environment's Helm values file, parsed.
    pub values: Value,
}

/// The seed's pipeline: dev (1 replica), staging (2), production (3).
pub fn tbyte_environments() -> Vec<StoryEnvironment> {
    let env = |name: &str,
               namespace: &str,
               release: &str,
               replicas: u32,
               cpu: &str,
               memory: &str,
               host: &str,
               db: &str| StoryEnvironment {
        name: name.into(),
        namespace: namespace.into(),
        release: release.into(),
        values: json!({"replicaCount": replicas, "resources": {"requests": {"cpu": cpu, "memory": memory}}, "ingress": {"host": host}, "database": {"instance": db}}),
    };
    vec![
        env(
            "dev",
            "dev",
            "tbyte-dev",
            1,
            "50m",
            "64Mi",
            "dev.tbyte.local",
            "db.t3.micro",
        ),
        env(
            "staging",
            "staging",
            "tbyte-staging",
            2,
            "100m",
            "128Mi",
            "staging.tbyte.local",
            "db.t3.small",
        ),
        env(
            "production",
            "production",
            "tbyte-prod",
            3,
            "200m",
            "256Mi",
            "tbyte.local",
            "db.t3.medium",
        ),
    ]
}

#[derive(Debug, Clone)]
pub struct StoryOptions {
    /// Time between the starts of two releases.
    pub cadence: Duration,
    /// In demos nobody may be at the keyboard: approve production after this long.
    pub auto_approve_after: Option<Duration>,
}

impl Default for StoryOptions {
    fn default() -> Self {
        Self {
            cadence: Duration::from_secs(15 * 60),
            auto_approve_after: None,
        }
    }
}

const CHANGES: &[(&str, &str)] = &[
    ("Compress API responses", "Gzip JSON responses over 1 KiB"),
    (
        "Paginate the quotes list",
        "Paginate /quotes with cursor tokens",
    ),
    (
        "Switch to the new database driver",
        "Use the async Postgres driver",
    ),
    (
        "Retry failed payment webhooks",
        "Retry payment webhooks with back-off",
    ),
    ("Add request tracing", "Propagate trace ids through the API"),
    ("Move sessions to Redis", "Store sessions in Redis"),
];

pub fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

pub struct Story {
    kube: KubeWorld,
    github: GithubWorld,
    environments: Vec<StoryEnvironment>,
    options: StoryOptions,
    /// The run the prologue left waiting on production, for [`Story::run`] to watch over.
    waiting_run: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoryError {
    #[error("the simulated GitHub refused a step: {0}")]
    Github(#[from] crate::github::WorldError),
    #[error("the simulated cluster refused a step: {0}")]
    Kube(String),
    #[error("the pipeline has no environment `{0}`")]
    MissingEnvironment(&'static str),
}

impl Story {
    pub fn new(
        kube: KubeWorld,
        github: GithubWorld,
        environments: Vec<StoryEnvironment>,
        options: StoryOptions,
    ) -> Self {
        Self {
            kube,
            github,
            environments,
            options,
            waiting_run: None,
        }
    }

    fn env(&self, name: &'static str) -> Result<&StoryEnvironment, StoryError> {
        self.environments
            .iter()
            .find(|e| e.name == name)
            .ok_or(StoryError::MissingEnvironment(name))
    }

    /// `helm upgrade --install` of `sha` into `env`, as CI runs it; returns at once.
    fn helm_upgrade(&self, env: &StoryEnvironment, sha: &str) -> Result<(), StoryError> {
        let mut values = env.values.clone();
        values["image"] = json!({"tag": short(sha)});
        helm::upgrade(
            &self.kube,
            Upgrade {
                release: &env.release,
                namespace: &env.namespace,
                values,
                version: short(sha),
                description: None,
            },
        )
        .map(|_| ())
        .map_err(|e| StoryError::Kube(e.message))
    }

    /// Deploys `sha` to `env` with Helm and returns once the rollout is over (or stalled).
    pub async fn helm_deploy(&self, env: &StoryEnvironment, sha: &str) -> Result<bool, StoryError> {
        self.helm_upgrade(env, sha)?;
        Ok(self.wait_for_rollout(env).await)
    }

    /// True when every Deployment of the release has rolled out; false when one exceeded its
    /// progress deadline.
    async fn wait_for_rollout(&self, env: &StoryEnvironment) -> bool {
        loop {
            self.kube.clock.sleep(Duration::from_secs(5)).await;
            let deployments: Vec<_> = self
                .kube
                .list(Kind::Deployment, Some(&env.namespace))
                .into_iter()
                .filter(|d| {
                    d["metadata"]["labels"]["app.kubernetes.io/instance"] == env.release.as_str()
                })
                .collect();
            let reason = |d: &Value| -> Option<String> {
                d["status"]["conditions"]
                    .as_array()?
                    .iter()
                    .find(|c| c["type"] == "Progressing")
                    .and_then(|c| c["reason"].as_str().map(str::to_owned))
            };
            if deployments
                .iter()
                .any(|d| reason(d).as_deref() == Some("ProgressDeadlineExceeded"))
            {
                return false;
            }
            let done = deployments.iter().all(|d| {
                d["status"]["observedGeneration"] == d["metadata"]["generation"]
                    && reason(d).as_deref() == Some("NewReplicaSetAvailable")
            });
            if done && !deployments.is_empty() {
                return true;
            }
        }
    }

    /// Records on GitHub a deployment of `sha` to `environment` made by a job of `run_id`, and
    /// its outcome.
    fn record_deployment(
        &self,
        sha: &str,
        environment: &str,
        ok: bool,
        run_id: u64,
    ) -> Result<(), StoryError> {
        let mut spec = DeploymentSpec::new(sha, environment, ACTIONS_BOT);
        spec.description = Some(format!("Deploy {} to {environment}", short(sha)));
        let id = self.github.create_deployment(spec)?;
        self.finish_deployment(id, ok, run_id)
    }

    /// The final status of a deployment, written by the job of `run_id` that made it: it links
    /// to the run, as GitHub's environment deployments do.
    fn finish_deployment(&self, id: u64, ok: bool, run_id: u64) -> Result<(), StoryError> {
        let state = if ok {
            DeploymentState::Success
        } else {
            DeploymentState::Failure
        };
        self.github
            .add_deployment_status(id, StatusSpec::new(state, ACTIONS_BOT).of_run(run_id))?;
        Ok(())
    }

    /// Brings the cluster to what the seeded GitHub history says each environment runs, and
    /// leaves the staging commit's deploy run as a merge's run stands once staging deployed:
    /// its production job waiting for a reviewer, so there is a release to approve at once.
    pub async fn prologue(&mut self, seeded: &crate::github::Seeded) -> Result<(), StoryError> {
        let (chart, merge) = (&seeded.main[1], &seeded.main[2]);
        for (name, sha) in [("production", chart), ("staging", merge), ("dev", merge)] {
            self.helm_upgrade(self.env(name)?, sha)?;
        }
        // The run starts on main's head: it must be the commit staging runs.
        if self.github.branch_head("main").as_ref() != Some(merge) {
            return Err(StoryError::Github(crate::github::WorldError::Invalid(
                "main moved past the seeded staging commit".into(),
            )));
        }
        let run = self
            .github
            .start_run("deploy.yml", "main", "push", DEVELOPER, &["staging"])?;
        self.github.start_job(run, "production")?;
        self.waiting_run = Some(run);
        Ok(())
    }

    /// Plays releases forever, one every `cadence`.
    pub async fn run(self) -> Result<(), StoryError> {
        let story = std::sync::Arc::new(self);
        if let Some(run) = story.waiting_run {
            tokio::spawn(story.clone().production_gate(run));
        }
        for release in 1u64.. {
            let started = story.kube.clock.now();
            story.clone().release(release).await?;
            let next = started
                .checked_add(story.options.cadence)
                .unwrap_or(started);
            story.kube.clock.sleep_until(next).await;
        }
        Ok(())
    }

    async fn release(self: std::sync::Arc<Self>, number: u64) -> Result<(), StoryError> {
        let clock = self.kube.clock.clone();
        let (title, message) = CHANGES[(number as usize - 1) % CHANGES.len()];
        let broken = number.is_multiple_of(3);
        let branch = format!("feature/release-{number}");
        self.github.create_branch(&branch, "main")?;
        let head = self.github.commit(&branch, DEVELOPER, message)?;
        let pull = self.github.open_pull(title, &branch, "main", DEVELOPER)?;
        tracing::info!(pull, title, broken, "story: pull request opened");
        if broken {
            for svc in ["api", "web"] {
                self.kube.break_image(
                    &format!("ghcr.io/tbyte-org/tbyte-{svc}:{}", short(&head)),
                    Breakage::CrashLoop,
                );
            }
        }
        self.checks(&head).await?;

        // Pull requests deploy their head to dev.
        let dev = self.env("dev")?;
        let run = self.github.start_deploy_run("dev", &branch, DEVELOPER)?;
        let ok = self.helm_deploy(dev, &head).await?;
        self.record_deployment(&head, "dev", ok, run)?;
        self.github.complete_run(
            run,
            if ok {
                Conclusion::Success
            } else {
                Conclusion::Failure
            },
        )?;

        clock.sleep(Duration::from_secs(120)).await;
        let merge = self.github.merge_pull(pull, DEVELOPER)?;
        if broken {
            for svc in ["api", "web"] {
                self.kube.break_image(
                    &format!("ghcr.io/tbyte-org/tbyte-{svc}:{}", short(&merge)),
                    Breakage::CrashLoop,
                );
            }
        }
        self.checks(&merge).await?;

        // The merge's deploy run: staging's job runs at once. Production's job `needs:` it, so
        // it starts (and waits for a reviewer) only once staging deployed; a failed staging
        // deploy fails the run and production is never asked for.
        let run = self
            .github
            .start_run("deploy.yml", "main", "push", DEVELOPER, &["staging"])?;
        let staging = self.env("staging")?;
        let ok = self.helm_deploy(staging, &merge).await?;
        self.record_deployment(&merge, "staging", ok, run)?;
        if !ok {
            tracing::info!(sha = short(&merge), "story: release stalled in staging");
            self.github.complete_run(run, Conclusion::Failure)?;
            return Ok(());
        }
        self.github.start_job(run, "production")?;
        tokio::spawn(self.clone().production_gate(run));
        Ok(())
    }

    async fn checks(&self, sha: &str) -> Result<(), StoryError> {
        for name in ["build", "test"] {
            self.github
                .set_check_run(sha, name, CheckStatus::InProgress, None)?;
        }
        self.kube.clock.sleep(Duration::from_secs(90)).await;
        for name in ["build", "test"] {
            self.github.set_check_run(
                sha,
                name,
                CheckStatus::Completed,
                Some(Conclusion::Success),
            )?;
        }
        Ok(())
    }

    /// Waits for the production review of `run` (approving it after a while in demos); the
    /// deploy workflow's runner rolls production out once approved.
    async fn production_gate(self: std::sync::Arc<Self>, run: u64) {
        let mut events = self.github.subscribe();
        let auto = self.options.auto_approve_after;
        let clock = self.kube.clock.clone();
        let mut deadline = auto.and_then(|d| clock.now().checked_add(d).ok());
        loop {
            let timer = {
                let clock = clock.clone();
                async move {
                    match deadline {
                        Some(t) => clock.sleep_until(t).await,
                        None => std::future::pending().await,
                    }
                }
            };
            tokio::select! {
                event = events.recv() => match event {
                    Ok(GithubEvent::DeploymentReviewed { run_id, state: ReviewState::Rejected, .. }) if run_id == run => return,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                },
                _ = timer => {
                    deadline = None;
                    let ids: Vec<u64> = self.github.environment_id("production").into_iter().collect();
                    if self.github.review_pending(run, &ids, ReviewState::Approved, "Approved by the demo's release manager", APPROVER).is_err() {
                        return;
                    }
                }
            }
            if self
                .github
                .run_status(run)
                .is_some_and(|(status, _)| status == "completed")
            {
                return;
            }
        }
    }
}

/// The deploy workflow's runner, as the managed app's GitHub Actions workflow behaves:
/// - a `workflow_dispatch` with inputs `environment` and `version` deploys that version there;
/// - a job waiting on a protected environment deploys the run's commit once a reviewer approved
///   it (GitHub creates the deployment at approval).
///
/// Each deploy is a Helm upgrade followed to its end, recorded on GitHub, and completes the run.
pub async fn run_deploy_workflow(
    kube: KubeWorld,
    github: GithubWorld,
    environments: Vec<StoryEnvironment>,
) {
    let story = std::sync::Arc::new(Story::new(
        kube,
        github.clone(),
        environments,
        StoryOptions::default(),
    ));
    let mut events = github.subscribe();
    let mut approved: Vec<(u64, String)> = Vec::new();
    loop {
        match events.recv().await {
            Ok(GithubEvent::WorkflowDispatched {
                inputs,
                run_id,
                actor,
                ..
            }) => {
                let env_name = inputs
                    .get("environment")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let version = inputs
                    .get("version")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let Some(env) = story
                    .environments
                    .iter()
                    .find(|e| e.name == env_name)
                    .cloned()
                else {
                    let _ = github.complete_run(run_id, Conclusion::Failure);
                    continue;
                };
                // Full SHAs and short ones both name the commit; the image tag is the short one.
                let sha = github.resolve_commit(&version).unwrap_or(version);
                let story = story.clone();
                tokio::spawn(async move {
                    let ok = story.helm_deploy(&env, &sha).await.unwrap_or(false);
                    let mut spec = DeploymentSpec::new(&sha, &env.name, &actor);
                    spec.description = Some(format!("Deploy {} to {}", short(&sha), env.name));
                    if let Ok(id) = story.github.create_deployment(spec) {
                        let _ = story.finish_deployment(id, ok, run_id);
                    }
                    let _ = story.github.complete_run(
                        run_id,
                        if ok {
                            Conclusion::Success
                        } else {
                            Conclusion::Failure
                        },
                    );
                });
            }
            Ok(GithubEvent::DeploymentReviewed {
                run_id,
                environment,
                state: ReviewState::Approved,
                ..
            }) => {
                approved.push((run_id, environment));
            }
            Ok(GithubEvent::DeploymentCreated {
                deployment_id,
                environment,
                sha,
                ..
            }) => {
                let Some(i) = approved.iter().position(|(_, e)| *e == environment) else {
                    continue;
                };
                let (run_id, _) = approved.remove(i);
                let Some(env) = story
                    .environments
                    .iter()
                    .find(|e| e.name == environment)
                    .cloned()
                else {
                    continue;
                };
                let story = story.clone();
                tokio::spawn(async move {
                    let _ = story.github.add_deployment_status(
                        deployment_id,
                        StatusSpec::new(DeploymentState::InProgress, ACTIONS_BOT).of_run(run_id),
                    );
                    let ok = story.helm_deploy(&env, &sha).await.unwrap_or(false);
                    let _ = story.finish_deployment(deployment_id, ok, run_id);
                    let _ = story.github.complete_run(
                        run_id,
                        if ok {
                            Conclusion::Success
                        } else {
                            Conclusion::Failure
                        },
                    );
                    tracing::info!(sha = short(&sha), environment = %env.name, ok, "deploy workflow: approved job done");
                });
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return,
        }
    }
}
