//! The live console: starts a cluster source per environment and the GitHub source, rebuilds
//! the Snapshot whenever any of them changes (coalescing bursts), and publishes it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sluice_core::assemble::{Assembler, EnvironmentInputs, Sources, github_wants};
use sluice_core::pacing::spacing_after;
use sluice_core::snapshot::{Snapshot, SourceKind, SourceState};
use sluice_core::{Pipeline, UiError};
use sluice_github::{GithubSource, GithubView};
use sluice_kube::source::{ClusterSource, ClusterView};
use tokio::sync::watch;

/// The time the gates are judged at: real time, or a simulated world's clock.
#[derive(Clone)]
pub struct Clock(pub Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Where the live state comes from.
#[derive(Debug, Clone, Default)]
pub struct LiveConfig {
    /// `None`: `$KUBECONFIG` or ~/.kube/config, as kubectl.
    pub kubeconfig: Option<PathBuf>,
    /// Overrides the pipeline's GitHub API URL.
    pub github_api: Option<String>,
    /// `None` reads GitHub anonymously.
    pub github_token: Option<sluice_github::GithubToken>,
    pub github_poll: Option<Duration>,
    /// `None`: real time. A simulated world's clock may run faster, so it is looked at every
    /// second rather than every [`CLOCK_TICK`].
    pub clock: Option<Clock>,
    /// `None`: [`sluice_kube::source::SILENCE_LIMIT`], which real API servers need. Shorter
    /// only for tests against the simulated world, whose bookmarks come as often as asked.
    pub kube_silence_limit: Option<Duration>,
}

/// Time-based conditions (soak, change windows, freezes) move without any event.
const CLOCK_TICK: Duration = Duration::from_secs(30);
const SIMULATED_CLOCK_TICK: Duration = Duration::from_secs(1);

pub struct Live {
    snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    task: tokio::task::JoinHandle<()>,
    /// Hands back what the view's churn freed, for as long as the view runs.
    release: tokio::task::JoinHandle<()>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.task.abort();
        self.release.abort();
    }
}

struct EnvFeed {
    view: Option<watch::Receiver<ClusterView>>,
    /// Why the source could not start (unknown context, unreadable kubeconfig).
    error: Option<String>,
    _source: Option<ClusterSource>,
}

impl Live {
    /// Starts the sources for `pipeline` and the loop that publishes snapshots.
    pub async fn start(pipeline: Pipeline, config: LiveConfig) -> Self {
        let mut envs = Vec::new();
        for env in &pipeline.environments {
            let feed =
                match sluice_kube::connect(config.kubeconfig.as_deref(), &env.kube_context).await {
                    Ok(client) => {
                        let quorum = env
                            .gate
                            .as_ref()
                            .and_then(|g| g.approval.as_ref())
                            .is_some_and(|a| a.required > 1);
                        let (source, view) = ClusterSource::start_with(
                            client,
                            &env.namespace,
                            &env.release,
                            sluice_kube::SourceOptions {
                                silence: config
                                    .kube_silence_limit
                                    .unwrap_or(sluice_kube::source::SILENCE_LIMIT),
                                ledger: quorum,
                            },
                        );
                        EnvFeed {
                            view: Some(view),
                            error: None,
                            _source: Some(source),
                        }
                    }
                    Err(e) => EnvFeed {
                        view: None,
                        error: Some(e.to_string()),
                        _source: None,
                    },
                };
            envs.push(feed);
        }
        let mut github_config =
            sluice_github::GithubConfig::github_com(&pipeline.github.owner, &pipeline.github.name);
        if let Some(api) = config
            .github_api
            .clone()
            .or_else(|| pipeline.github.api_url.clone())
        {
            github_config.api_base = api;
        }
        let poll = config.github_poll.unwrap_or(GithubSource::DEFAULT_INTERVAL);
        let github = sluice_github::GithubClient::new(&github_config, config.github_token.as_ref())
            .and_then(|client| GithubSource::start(&client, poll))
            .map(|source| {
                let view = source.subscribe();
                (source, view)
            })
            .map_err(|e| tracing::warn!(error = %e, "GitHub source not started"))
            .ok();
        let (tx, rx) = watch::channel(None);
        let (clock, tick) = match config.clock {
            Some(clock) => (clock, SIMULATED_CLOCK_TICK),
            None => (Clock(Arc::new(jiff::Timestamp::now)), CLOCK_TICK),
        };
        let task = tokio::spawn(run(pipeline, envs, github, tx, clock, tick));
        Self {
            snapshots: rx,
            task,
            release: crate::memory::spawn_release(),
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<Snapshot>>> {
        self.snapshots.clone()
    }

    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        self.snapshots.borrow().clone()
    }
}

/// Whether `next` says anything `previous` did not, its sequence and time aside. Compared in
/// place: at 150 000 pods a copy of the Snapshot to compare cost more than assembling it.
fn differs_beyond_stamp(previous: &Snapshot, next: &mut Snapshot) -> bool {
    let stamp = (
        std::mem::replace(&mut next.sequence, previous.sequence),
        std::mem::replace(&mut next.generated_at, previous.generated_at.clone()),
    );
    let differs = *previous != *next;
    (next.sequence, next.generated_at) = stamp;
    differs
}

fn kube_source_states(pipeline: &Pipeline, envs: &[EnvFeed]) -> Vec<SourceState> {
    let mut states: Vec<SourceState> = Vec::new();
    for (env, feed) in pipeline.environments.iter().zip(envs) {
        let name = format!("kubernetes ({})", env.kube_context);
        let (connected, synced, last_event_at, error) = match &feed.view {
            Some(v) => {
                let v = v.borrow();
                (
                    v.connected,
                    v.synced,
                    v.last_event_at.clone(),
                    v.last_error.clone(),
                )
            }
            None => (false, false, None, feed.error.clone()),
        };
        let last_error = error.map(|message| {
            UiError::new(
                "kubernetes.unreachable",
                message,
                format!("Check that kube context `{}` exists and its cluster is reachable (`kubectl --context {} get ns`); Settings lets you pick another context for this environment.", env.kube_context, env.kube_context),
            )
        });
        match states.iter_mut().find(|s| s.name == name) {
            // Several environments on one context: the context is as healthy as its worst watch.
            Some(s) => {
                s.connected &= connected;
                s.synced &= synced;
                if s.last_error.is_none() {
                    s.last_error = last_error;
                }
                if last_event_at > s.last_event_at {
                    s.last_event_at = last_event_at;
                }
            }
            None => states.push(SourceState {
                name,
                kind: SourceKind::Kubernetes,
                connected,
                synced,
                last_event_at,
                last_error,
                rate_remaining: None,
            }),
        }
    }
    states
}

fn github_source_state(pipeline: &Pipeline, view: Option<&GithubView>) -> SourceState {
    let name = format!(
        "github ({}/{})",
        pipeline.github.owner, pipeline.github.name
    );
    match view {
        Some(v) => SourceState {
            name,
            kind: SourceKind::Github,
            connected: v.connected,
            synced: v.synced,
            last_event_at: v.last_event_at.clone(),
            last_error: v.last_error.clone().map(|m| {
                UiError::new("github.unreachable", m, "Check the network and the GitHub token; Sluice retries by itself and honours GitHub's rate limits.")
            }),
            rate_remaining: v.inputs.rate_remaining,
        },
        None => SourceState {
            name,
            kind: SourceKind::Github,
            connected: false,
            synced: false,
            last_event_at: None,
            last_error: Some(UiError::new("github.unconfigured", "GitHub is not configured", "Check `github.repository` and `github.apiUrl` in the pipeline file.")),
            rate_remaining: None,
        },
    }
}

async fn run(
    pipeline: Pipeline,
    mut envs: Vec<EnvFeed>,
    mut github: Option<(GithubSource, watch::Receiver<GithubView>)>,
    tx: watch::Sender<Option<Arc<Snapshot>>>,
    clock: Clock,
    tick: Duration,
) {
    let mut sequence = 0u32;
    // The last Snapshot published: the very one subscribers hold.
    let mut previous: Option<Arc<Snapshot>> = None;
    let mut assembler = Assembler::default();
    let mut tick = tokio::time::interval(tick);
    loop {
        let built_at = tokio::time::Instant::now();
        let inputs: Vec<EnvironmentInputs> = envs
            .iter()
            .map(|f| {
                let (cluster, stale) = match &f.view {
                    Some(v) => {
                        let v = v.borrow();
                        (v.synced.then(|| v.inputs.clone()), !v.connected)
                    }
                    None => (None, true),
                };
                EnvironmentInputs { cluster, stale }
            })
            .collect();
        let github_view = github.as_ref().map(|(_, v)| v.borrow().clone());
        let mut source_states = kube_source_states(&pipeline, &envs);
        source_states.push(github_source_state(&pipeline, github_view.as_ref()));
        let github_inputs = github_view
            .as_ref()
            .filter(|v| v.synced)
            .map(|v| v.inputs.as_ref());
        let mut snapshot = assembler.assemble(&Sources {
            pipeline: &pipeline,
            environments: &inputs,
            github: github_inputs,
            source_states,
            now: (clock.0)(),
            sequence: sequence + 1,
        });
        // Ask GitHub for what the gates need: the commits between what each target runs and
        // what could ship (the source's version, each waiting run's), and their checks.
        if let Some((source, _)) = &github {
            let (comparisons, shas) = github_wants(&snapshot);
            // GitHub's source has not read everything until it answered what the gates ask:
            // a decision taken before would see no commits and no checks.
            if !github_view
                .as_ref()
                .is_some_and(|v| v.has_answered(&comparisons, &shas))
            {
                for s in &mut snapshot.sources {
                    if s.kind == SourceKind::Github {
                        s.synced = false;
                    }
                }
            }
            source.want(comparisons, shas);
        }
        if previous
            .as_deref()
            .is_none_or(|p| differs_beyond_stamp(p, &mut snapshot))
        {
            sequence += 1;
            snapshot.sequence = sequence;
            let snapshot = Arc::new(snapshot);
            previous = Some(Arc::clone(&snapshot));
            if tx.send(Some(snapshot)).is_err() {
                return;
            }
        }
        let spacing = spacing_after(built_at.elapsed());
        // Wait for any source to change, or for the clock tick.
        type Change<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;
        let mut waits: Vec<Change<'_>> = Vec::new();
        for v in envs.iter_mut().filter_map(|f| f.view.as_mut()) {
            waits.push(Box::pin(async move {
                // A closed channel means the source ended; never wake for it again.
                if v.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }));
        }
        if let Some((_, v)) = github.as_mut() {
            waits.push(Box::pin(async move {
                if v.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }));
        }
        // select_all needs at least one future.
        waits.push(Box::pin(async {
            tick.tick().await;
        }));
        futures::future::select_all(waits).await;
        // A lone change is rebuilt at once; one hard on the heels of the last rebuild waits for
        // the spacing that rebuild's cost earns, so that a burst makes few snapshots.
        // (No timer when already due: even a due timer can wait for the runtime's next tick.)
        let next_build_at = built_at + spacing;
        if tokio::time::Instant::now() < next_build_at {
            tokio::time::sleep_until(next_build_at).await;
        }
    }
}
