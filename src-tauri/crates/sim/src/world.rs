//! A whole simulated world, started in-process: the cluster with its controllers, served on
//! loopback, on one scenario clock, with one cast of people.

use std::path::Path;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::clock::ScenarioClock;
use crate::faults::Faults;
use crate::github::{self, GithubWorld, Seeded};
use crate::kube::{self, KubeWorld};
use crate::people::{self, Person, Role};
use crate::server::SimServer;
use crate::story::{Story, StoryEnvironment, StoryOptions};

pub struct WorldOptions {
    /// Where the clock starts. With a story, the seeded history ends here; without, the world
    /// starts empty here.
    pub start: Timestamp,
    /// Simulated seconds per real second; 0 for a clock that only tests move.
    pub speed: f64,
    /// The pipeline's environments; their namespaces are created, and the story deploys them.
    pub environments: Vec<StoryEnvironment>,
    /// Play the tbyte story (seeded history, then a release every cadence). `None`: an empty
    /// cluster and a seeded but quiet GitHub.
    pub story: Option<StoryOptions>,
    /// How long before `start` the seeded history begins, so that a world may open with, say,
    /// staging's version running for over a day (27 h). At least [`MIN_HISTORY`], which the
    /// seed and the first rollouts need to end before `start`; shorter values are raised to it.
    pub history: Duration,
    /// Files of the repository, `(path in the repository, text)`, the same in every commit.
    pub repository_files: Vec<(String, String)>,
    /// Weeks of past releases GitHub records before the seeded history (see
    /// [`github::seed_past`]); 0 for none.
    pub past_weeks: u32,
}

impl Default for WorldOptions {
    fn default() -> Self {
        Self {
            start: Timestamp::now(),
            speed: 1.0,
            environments: crate::story::tbyte_environments(),
            story: None,
            history: DEFAULT_HISTORY,
            repository_files: Vec::new(),
            past_weeks: 0,
        }
    }
}

/// How long before `start` the seeded history begins unless told otherwise.
pub const DEFAULT_HISTORY: Duration = Duration::from_secs(3 * 3600);

/// The seed writes about two hours of history and the first rollouts settle within ten
/// minutes: history shorter than this would end after `start`.
pub const MIN_HISTORY: Duration = Duration::from_secs(150 * 60);

pub struct SimWorld {
    pub clock: ScenarioClock,
    pub people: Vec<Person>,
    pub kube: KubeWorld,
    pub kube_server: SimServer,
    /// PEM of the CA the simulated apiserver's certificate chains to.
    pub kube_ca_pem: String,
    pub github: GithubWorld,
    pub github_server: SimServer,
    /// What the seeded GitHub history contains.
    pub seeded: Seeded,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SimWorld {
    pub async fn start(options: WorldOptions) -> std::io::Result<Self> {
        // The seed writes its history on a stopped clock; it starts early enough to end before
        // `start`, then the clock jumps there and runs.
        let history = SignedDuration::try_from(options.history.max(MIN_HISTORY))
            .unwrap_or(SignedDuration::from_hours(3));
        let seed_start = options.start.checked_sub(history).unwrap_or(options.start);
        let past = SignedDuration::from_hours(i64::from(options.past_weeks) * 7 * 24);
        let clock = ScenarioClock::manual(seed_start.checked_sub(past).unwrap_or(seed_start));
        let people = people::cast();
        let namespaces: Vec<&str> = options
            .environments
            .iter()
            .map(|e| e.namespace.as_str())
            .collect();
        let kube = KubeWorld::new(clock.clone(), people.clone(), &namespaces);
        let github = GithubWorld::new(clock.clone(), &people);
        if options.past_weeks > 0 {
            github::seed_past(&github, options.past_weeks).map_err(std::io::Error::other)?;
            let now = clock.now();
            if now < seed_start {
                clock.advance(seed_start.duration_since(now).unsigned_abs());
            }
        }
        let seeded = github::seed_tbyte(&github).map_err(std::io::Error::other)?;
        for (path, text) in &options.repository_files {
            github.set_file(path, text).map_err(std::io::Error::other)?;
        }
        let mut tasks = vec![
            tokio::spawn(kube::controllers::run(kube.clone())),
            tokio::spawn(crate::story::run_deploy_workflow(
                kube.clone(),
                github.clone(),
                options.environments.clone(),
            )),
        ];
        let mut story = options.story.map(|o| {
            Story::new(
                kube.clone(),
                github.clone(),
                options.environments.clone(),
                o,
            )
        });
        if let Some(story) = &mut story {
            story
                .prologue(&seeded)
                .await
                .map_err(std::io::Error::other)?;
            // Let the seeded releases roll out in the past, so the world opens settled.
            settle(&kube, &clock).await;
        }
        let now = clock.now();
        if now < options.start {
            clock.advance(options.start.duration_since(now).unsigned_abs());
        }
        clock.set_speed(options.speed);
        if let Some(story) = story {
            tasks.push(tokio::spawn(async move {
                if let Err(e) = story.run().await {
                    tracing::error!(error = %e, "the story stopped");
                }
            }));
        }
        let identity = crate::tls::mint().map_err(std::io::Error::other)?;
        let kube_server = kube::serve(kube.clone(), Faults::default(), identity.config).await?;
        let github_server = github::start(github.clone(), Faults::default()).await?;
        Ok(Self {
            clock,
            people,
            kube,
            kube_server,
            kube_ca_pem: identity.ca_pem,
            github,
            github_server,
            seeded,
            tasks,
        })
    }

    pub fn person(&self, role: Role) -> &Person {
        // cast() has one person per role.
        self.people
            .iter()
            .find(|p| p.role == role)
            .unwrap_or(&self.people[0])
    }

    /// Writes a kubeconfig whose contexts are `contexts` (the pipeline's), as the approver, plus
    /// `<context>@<login>` for every simulated person.
    pub fn write_kubeconfig(&self, path: &Path, contexts: &[String]) -> std::io::Result<()> {
        let text = crate::kubeconfig::render(
            &self.kube_server.url(),
            &self.kube_ca_pem,
            contexts,
            &self.people,
            self.person(Role::Approver),
        );
        crate::kubeconfig::write_private(path, &text)
    }
}

/// Steps the stopped clock until every Deployment has all its replicas ready (at most ten
/// simulated minutes).
async fn settle(kube: &KubeWorld, clock: &ScenarioClock) {
    for _ in 0..120 {
        let done = kube
            .list(kube::resources::Kind::Deployment, None)
            .iter()
            .all(|d| {
                d["status"]["readyReplicas"].as_i64().unwrap_or(0)
                    == d["spec"]["replicas"].as_i64().unwrap_or(1)
                    && d["status"]["updatedReplicas"].as_i64().unwrap_or(0)
                        == d["spec"]["replicas"].as_i64().unwrap_or(1)
            });
        if done {
            return;
        }
        clock.advance(std::time::Duration::from_secs(5));
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

impl Drop for SimWorld {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
