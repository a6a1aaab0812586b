//! Demo mode: the simulated world in-process, with the tbyte story playing, and the live
//! console pointed at it — for trying Sluice without a cluster or a GitHub account.

use std::path::PathBuf;
use std::time::Duration;

use sluice_core::Pipeline;
use sluice_sim::story::StoryOptions;
use sluice_sim::{SimWorld, WorldOptions};

use crate::Console;
use crate::live::LiveConfig;

/// A running demo world and where its kubeconfig lives; drop it to stop the world.
pub struct Demo {
    pub world: SimWorld,
    _dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

impl Demo {
    pub async fn start(console: &Console, pipeline: &Pipeline) -> Result<Self, String> {
        let environments = crate::sim::story_environments(console, pipeline)?;
        let world = SimWorld::start(WorldOptions {
            environments,
            story: Some(StoryOptions {
                cadence: Duration::from_secs(6 * 60),
                // Nobody may be at the keyboard during a demo: production moves on by itself.
                auto_approve_after: Some(Duration::from_secs(3 * 60)),
            }),
            ..WorldOptions::default()
        })
        .await
        .map_err(|e| format!("cannot start the simulated world: {e}"))?;
        let dir = tempfile::tempdir()
            .map_err(|e| format!("cannot create a directory for the demo kubeconfig: {e}"))?;
        let kubeconfig = dir.path().join("kubeconfig");
        let mut contexts: Vec<String> = Vec::new();
        for env in &pipeline.environments {
            if !contexts.contains(&env.kube_context) {
                contexts.push(env.kube_context.clone());
            }
        }
        world
            .write_kubeconfig(&kubeconfig, &contexts)
            .map_err(|e| format!("cannot write the demo kubeconfig: {e}"))?;
        tracing::info!(kubernetes = %world.kube_server.url(), github = %world.github_server.url(), "demo world running");
        Ok(Self {
            world,
            _dir: dir,
            kubeconfig,
        })
    }

    /// The live configuration that reads this world, as its viewer on GitHub.
    pub fn live_config(&self) -> LiveConfig {
        let viewer = self.world.person(sluice_sim::Role::Viewer);
        LiveConfig {
            kubeconfig: Some(self.kubeconfig.clone()),
            github_api: Some(self.world.github_server.url()),
            github_token: Some(sluice_github::GithubToken::new(viewer.github_token.clone())),
            github_poll: Some(Duration::from_secs(2)),
        }
    }
}

/// Whether any kube context the pipeline names exists in the user's kubeconfig; when none
/// does, `make run` opens the demo instead of an empty console.
pub fn pipeline_contexts_exist(kubeconfig: Option<&std::path::Path>, pipeline: &Pipeline) -> bool {
    let Ok(file) = sluice_kube::kubeconfig::read(kubeconfig) else {
        return false;
    };
    pipeline
        .environments
        .iter()
        .any(|e| file.contexts.iter().any(|c| c.name == e.kube_context))
}
