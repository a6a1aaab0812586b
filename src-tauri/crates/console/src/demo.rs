//! Demo mode: the simulated world in-process, with the tbyte story playing, and the live view
//! pointed at it — for trying Sluice without a cluster or a GitHub account, and for presenters.
//!
//! Presenters demo at any hour: the world's clock starts inside the pipeline's change window and
//! outside its freezes, with a day of history behind it, so a release that has soaked waits for
//! approval from the first minute. As the story goes on, new releases have not soaked yet (the
//! simulated release lead overrides that, with a reason), every third release crashes and blocks
//! the gate, and at higher speeds the window closes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use sluice_core::assemble::{change_window_at, freeze_at};
use sluice_core::config::values_file;
use sluice_core::pipeline::Gate;
use sluice_core::{Pipeline, UiError};
use sluice_sim::people::Person;
use sluice_sim::story::{StoryEnvironment, StoryOptions};
use sluice_sim::{SimWorld, WorldOptions};

use crate::Console;
use crate::live::{Clock, LiveConfig};

/// Time between the starts of two releases in the demo.
const CADENCE: Duration = Duration::from_secs(8 * 60);
/// How long before the demo's start its history begins: longer than a day's soak.
const HISTORY: Duration = Duration::from_secs(27 * 60 * 60);
/// Weeks of past releases GitHub holds before that history, for the Metrics view.
const PAST_WEEKS: u32 = 6;
/// How much of the change window is left at the demo's start, at least.
const WINDOW_AHEAD: SignedDuration = SignedDuration::from_hours(3);

/// A running demo world, its kubeconfig and its journal; drop it to stop the world.
pub struct Demo {
    pub world: SimWorld,
    dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

/// The first gate with change windows or freezes: the one whose clock the demo must suit.
fn timed_gate(pipeline: &Pipeline) -> Option<&Gate> {
    pipeline
        .environments
        .iter()
        .filter_map(|e| e.gate.as_ref())
        .find(|g| !g.change_windows.is_empty() || !g.freezes.is_empty())
}

fn open_at(gate: &Gate, t: Timestamp) -> bool {
    let inside = |t: Timestamp| change_window_at(gate, t).0.is_some();
    inside(t)
        && t.checked_add(WINDOW_AHEAD).is_ok_and(inside)
        && freeze_at(gate, t).is_none()
        && t.checked_add(WINDOW_AHEAD)
            .is_ok_and(|later| freeze_at(gate, later).is_none())
}

/// When the demo's clock starts: `now` when the gate is open for the next hours, else the most
/// recent whole hour (within 60 days) when it was; `now` when there is none.
pub fn demo_start(pipeline: &Pipeline, now: Timestamp) -> Timestamp {
    let Some(gate) = timed_gate(pipeline) else {
        return now;
    };
    if open_at(gate, now) {
        return now;
    }
    let hour = now.as_second() - now.as_second().rem_euclid(3600);
    (0..24 * 60)
        .filter_map(|h| Timestamp::from_second(hour - h * 3600).ok())
        .find(|&t| open_at(gate, t))
        .unwrap_or(now)
}

impl Demo {
    pub async fn start(console: &Console, pipeline: &Pipeline) -> Result<Self, String> {
        let environments = story_environments(console, pipeline)?;
        let repository_files = repository_files(console, pipeline);
        let world = SimWorld::start(WorldOptions {
            start: demo_start(pipeline, Timestamp::now()),
            history: HISTORY,
            past_weeks: PAST_WEEKS,
            environments,
            repository_files,
            story: Some(StoryOptions {
                cadence: CADENCE,
                // Approvals in the demo are made through Sluice's rules (the session's release
                // lead), never behind the gate's back.
                auto_approve_after: None,
            }),
            ..WorldOptions::default()
        })
        .await
        .map_err(|e| format!("cannot start the simulated world: {e}"))?;
        let dir = tempfile::tempdir()
            .map_err(|e| format!("cannot create a directory for the demo: {e}"))?;
        let kubeconfig = dir.path().join("kubeconfig");
        world
            .write_kubeconfig(&kubeconfig, &pipeline_contexts(pipeline))
            .map_err(|e| format!("cannot write the demo kubeconfig: {e}"))?;
        tracing::info!(kubernetes = %world.kube_server.url(), github = %world.github_server.url(), "demo world running");
        Ok(Self {
            world,
            dir,
            kubeconfig,
        })
    }

    /// The demo's own audit journal: its entries are the demo's, and end with it.
    pub fn journal_path(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    /// The simulated person `login`.
    pub fn person(&self, login: &str) -> Result<&Person, UiError> {
        self.world
            .people
            .iter()
            .find(|p| p.login == login)
            .ok_or_else(|| {
                let logins: Vec<&str> =
                    self.world.people.iter().map(|p| p.login.as_str()).collect();
                UiError::new(
                    "demo.no-person",
                    format!("The demo world has no person @{login}."),
                    format!("Pick one of: {}.", logins.join(", ")),
                )
            })
    }

    /// The live configuration that reads this world on its clock, as its viewer on GitHub.
    pub fn live_config(&self) -> LiveConfig {
        let viewer = self.world.person(sluice_sim::Role::Viewer);
        let clock = self.world.clock.clone();
        LiveConfig {
            kubeconfig: Some(self.kubeconfig.clone()),
            github_api: Some(self.world.github_server.url()),
            github_token: Some(sluice_github::GithubToken::new(viewer.github_token.clone())),
            github_poll: Some(Duration::from_secs(2)),
            clock: Some(Clock(Arc::new(move || clock.now()))),
            kube_silence_limit: None,
        }
    }
}

/// The kube contexts the pipeline names, each once.
pub fn pipeline_contexts(pipeline: &Pipeline) -> Vec<String> {
    let mut contexts: Vec<String> = Vec::new();
    for env in &pipeline.environments {
        if !contexts.contains(&env.kube_context) {
            contexts.push(env.kube_context.clone());
        }
    }
    contexts
}

/// The pipeline's environments with their values files, for the story to deploy.
pub fn story_environments(
    console: &Console,
    pipeline: &Pipeline,
) -> Result<Vec<StoryEnvironment>, String> {
    let base = console.pipeline_dir();
    pipeline
        .environments
        .iter()
        .map(|e| {
            Ok(StoryEnvironment {
                name: e.name.clone(),
                namespace: e.namespace.clone(),
                release: e.release.clone(),
                values: sluice_core::values::read_tree(&base, &e.values_file)?,
            })
        })
        .collect()
}

/// The values files as the simulated repository holds them, where the pipeline says its
/// folder is (nothing when it does not say).
pub fn repository_files(console: &Console, pipeline: &Pipeline) -> Vec<(String, String)> {
    let base = console.pipeline_dir();
    pipeline
        .environments
        .iter()
        .filter_map(|e| {
            let path = pipeline.github.path_of(&e.values_file)?;
            let text = values_file::read(&base, &e.values_file).ok()?;
            Some((path, text))
        })
        .collect()
}

/// Whether any kube context the pipeline names exists in the user's kubeconfig; when none
/// does, `make run` opens the demo instead of an empty console.
pub fn pipeline_contexts_exist(kubeconfig: Option<&Path>, pipeline: &Pipeline) -> bool {
    let Ok(file) = sluice_kube::kubeconfig::read(kubeconfig) else {
        return false;
    };
    pipeline
        .environments
        .iter()
        .any(|e| file.contexts.iter().any(|c| c.name == e.kube_context))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Pipeline {
        Console::new(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../environments/pipeline.yaml"),
        )
        .pipeline()
        .unwrap()
    }

    #[test]
    fn the_demo_clock_starts_inside_the_change_window_whenever_it_is_started() {
        let pipeline = shipped();
        let gate = timed_gate(&pipeline).unwrap();
        // Every hour of a week, including a Sunday and the year-end freeze.
        let week: Vec<Timestamp> = (0..7 * 24)
            .map(|h| Timestamp::from_second(1_796_500_800 + h * 3600).unwrap())
            .chain(["2026-12-25T12:00:00Z".parse().unwrap()])
            .collect();
        for now in week {
            let start = demo_start(&pipeline, now);
            assert!(open_at(gate, start), "{now} → {start}");
            assert!(
                start <= now,
                "{now} → {start}: the demo never starts in the future"
            );
        }
        // Inside the window with hours to go, the demo keeps real time.
        let thursday_ten: Timestamp = "2026-12-03T10:00:00Z".parse().unwrap();
        assert_eq!(demo_start(&pipeline, thursday_ten), thursday_ten);
    }
}
