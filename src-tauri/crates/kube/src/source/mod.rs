//! The cluster source of one pipeline environment: kube-runtime watchers and reflector stores on
//! its namespace, reduced to a [`ClusterView`] that is republished on every change.
//!
//! Watch, never poll: each store lists once, then follows a watch; a dropped watch resumes from
//! its last resourceVersion (no list), and only a `410 Gone` makes the watcher list again.
//! Failed feeds retry with kube-runtime's default backoff, and one refused feed (a viewer may
//! not read Secrets) leaves the others running. A server that keeps its connections open but
//! sends nothing for [`SILENCE_LIMIT`], and does not answer when asked, counts as disconnected
//! (see `answers`).

mod answers;
mod helm_history;
pub(crate) mod ledger;
mod rows;
mod warnings;
mod workloads;

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{BoxStream, SelectAll};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ConfigMap, Event, Pod, Secret};
use kube::runtime::reflector::{self, Lookup, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use sluice_core::inputs::ClusterInputs;
use sluice_core::pacing::spacing_after;
use tokio::sync::{mpsc, watch};

use self::helm_history::ReleaseRow;
use self::ledger::LedgerRow;
use self::rows::{DeploymentRow, PodRow, ReplicaSetRow};
pub use self::warnings::MAX_PER_WORKLOAD as MAX_WARNINGS_PER_WORKLOAD;
use self::warnings::WarningStore;
use self::workloads::WorkloadMemo;

/// One environment's cluster, as the console needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterView {
    /// Shared: the console hands it into every Snapshot without copying it.
    pub inputs: Arc<ClusterInputs>,
    /// Whether the API server is answering: false from the first failed request of a watch
    /// until the server answers again (an event, or a watch re-established).
    pub connected: bool,
    /// RFC 3339, real time, of the last watch event received.
    pub last_event_at: Option<String>,
    /// What broke the connection, in words; `None` while connected. Never holds credentials.
    pub last_error: Option<String>,
    /// Every store has had its initial list (or was refused, which is reported in `problems`).
    pub synced: bool,
}

/// How long the source waits with nothing from the API server — no change, no bookmark, no
/// answer — before it counts it as gone and restarts its watches. Halfway, a quiet source asks
/// the server for its version, so a healthy server always answers well within the limit; on a
/// quiet cluster that is one small request every 75 s. Well above the minute at which
/// kube-apiserver sends bookmarks when the cluster moves, and the time a loaded server may take
/// to answer.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(150);

/// How a cluster source watches.
#[derive(Debug, Clone, Copy)]
pub struct SourceOptions {
    /// See [`SILENCE_LIMIT`]; shorter only against the simulated world.
    pub silence: Duration,
    /// Also watch the approvals ledger: only where a gate asks for a quorum, so that a viewer
    /// who may not read ConfigMaps sees no problem where none matters.
    pub ledger: bool,
}

impl Default for SourceOptions {
    fn default() -> Self {
        Self {
            silence: SILENCE_LIMIT,
            ledger: false,
        }
    }
}

/// A running cluster source. Dropping it stops every watch.
pub struct ClusterSource {
    task: tokio::task::JoinHandle<()>,
    /// [`answers::ask_when_quiet`].
    asking: tokio::task::JoinHandle<()>,
    view: watch::Receiver<ClusterView>,
}

impl ClusterSource {
    /// Starts watching `namespace` for the Helm release `release`. Must be called inside a
    /// Tokio runtime. The receiver holds the latest view; it starts as the default view
    /// (not connected, not synced).
    pub fn start(
        client: kube::Client,
        namespace: &str,
        release: &str,
    ) -> (Self, watch::Receiver<ClusterView>) {
        Self::start_with(client, namespace, release, SourceOptions::default())
    }

    /// [`ClusterSource::start`] with another silence limit than [`SILENCE_LIMIT`]: for tests
    /// against the simulated world, which answers in milliseconds. A real server needs the
    /// default.
    pub fn start_with_silence_limit(
        client: kube::Client,
        namespace: &str,
        release: &str,
        silence: Duration,
    ) -> (Self, watch::Receiver<ClusterView>) {
        Self::start_with(
            client,
            namespace,
            release,
            SourceOptions {
                silence,
                ledger: false,
            },
        )
    }

    /// [`ClusterSource::start`] with every option.
    pub fn start_with(
        client: kube::Client,
        namespace: &str,
        release: &str,
        options: SourceOptions,
    ) -> (Self, watch::Receiver<ClusterView>) {
        let silence = options.silence;
        let (answers_tx, answers_rx) = mpsc::unbounded_channel();
        let (client, heard) = answers::observed(client, answers_tx, silence);
        let (sender, view) = watch::channel(ClusterView::default());
        let (stores, feeds) = Stores::start(&client, namespace, release, options.ledger);
        let asking = tokio::spawn(answers::ask_when_quiet(client, heard, silence));
        let ledger = options.ledger;
        let task = tokio::spawn(run(
            feeds,
            answers_rx,
            stores,
            (release.to_owned(), ledger),
            sender,
        ));
        let receiver = view.clone();
        (Self { task, asking, view }, receiver)
    }

    /// Another receiver of the same views.
    pub fn subscribe(&self) -> watch::Receiver<ClusterView> {
        self.view.clone()
    }
}

impl Drop for ClusterSource {
    fn drop(&mut self) {
        self.task.abort();
        self.asking.abort();
    }
}

/// The feeds, in the order their problems are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Deployments,
    ReplicaSets,
    Pods,
    Warnings,
    HelmHistory,
    Ledger,
}

impl Feed {
    const ALL: [Feed; 6] = [
        Feed::Deployments,
        Feed::ReplicaSets,
        Feed::Pods,
        Feed::Warnings,
        Feed::HelmHistory,
        Feed::Ledger,
    ];

    fn index(self) -> usize {
        self as usize
    }

    /// What a person is missing when this feed is refused.
    fn what(self) -> &'static str {
        match self {
            Feed::Deployments => "deployments",
            Feed::ReplicaSets => "replica sets",
            Feed::Pods => "pods",
            Feed::Warnings => "warning events",
            Feed::HelmHistory => "Helm history",
            Feed::Ledger => "the approvals ledger",
        }
    }
}

struct Stores {
    deployments: Store<DeploymentRow>,
    replica_sets: Store<ReplicaSetRow>,
    pods: Store<PodRow>,
    warnings: WarningStore,
    releases: Store<ReleaseRow>,
    ledger: Store<LedgerRow>,
}

impl Stores {
    fn start(
        client: &kube::Client,
        namespace: &str,
        release: &str,
        with_ledger: bool,
    ) -> (Self, SelectAll<BoxStream<'static, Signal>>) {
        let all = watcher::Config::default();
        let (deployments, writer) = reflector::store();
        let d = follow::<Deployment, _>(
            client,
            namespace,
            all.clone(),
            Feed::Deployments,
            rows::deployment,
            writer,
        );
        let (replica_sets, writer) = reflector::store();
        let r = follow::<ReplicaSet, _>(
            client,
            namespace,
            all.clone(),
            Feed::ReplicaSets,
            rows::replica_set,
            writer,
        );
        let (pods, writer) = reflector::store();
        let p = follow::<Pod, _>(client, namespace, all, Feed::Pods, rows::pod, writer);
        let warnings = WarningStore::default();
        let w = follow::<Event, _>(
            client,
            namespace,
            watcher::Config::default().fields("type=Warning"),
            Feed::Warnings,
            rows::event,
            warnings.clone(),
        );
        let (releases, writer) = reflector::store();
        let s = follow::<Secret, _>(
            client,
            namespace,
            watcher::Config::default().labels(&format!("owner=helm,name={release}")),
            Feed::HelmHistory,
            helm_history::release_row,
            writer,
        );
        let mut feeds = futures::stream::select_all([d, r, p, w, s]);
        let (ledger, writer) = reflector::store();
        if with_ledger {
            feeds.push(follow::<ConfigMap, _>(
                client,
                namespace,
                watcher::Config::default().labels(sluice_core::quorum::LEDGER_SELECTOR),
                Feed::Ledger,
                ledger::ledger_row,
                writer,
            ));
        }
        (
            Self {
                deployments,
                replica_sets,
                pods,
                warnings,
                releases,
                ledger,
            },
            feeds,
        )
    }
}

/// What the feeds tell the loop. Each is stamped when it happened, so that signals merged
/// from different streams still tell which came last (a late "answered" must not undo a newer
/// failure).
enum Signal {
    Event {
        feed: Feed,
        at: Instant,
        /// The store changed (an object applied or deleted, or a list completed); the events
        /// of a list in progress do not touch the store until it completes.
        changed: bool,
        listed: bool,
    },
    Failed {
        feed: Feed,
        at: Instant,
        error: watcher::Error,
    },
}

/// Where a feed's rows are kept: a reflector store, or the warnings' bounded one.
trait Keep<R>: Send + 'static {
    fn apply(&mut self, event: &watcher::Event<R>);
}

impl<R: Lookup<DynamicType = ()> + Clone + Send + Sync + 'static> Keep<R> for Writer<R> {
    fn apply(&mut self, event: &watcher::Event<R>) {
        self.apply_watcher_event(event);
    }
}

impl Keep<rows::EventRow> for WarningStore {
    fn apply(&mut self, event: &watcher::Event<rows::EventRow>) {
        WarningStore::apply(self, event);
    }
}

/// A watcher on `namespace` whose objects are projected (`project`) into the rows `keep`
/// keeps, retried with kube-runtime's default backoff; its outcomes become [`Signal`]s.
/// Only the rows stay: each whole object is dropped as soon as it is projected.
fn follow<K, R>(
    client: &kube::Client,
    namespace: &str,
    config: watcher::Config,
    feed: Feed,
    project: fn(K) -> R,
    mut keep: impl Keep<R>,
) -> BoxStream<'static, Signal>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Send + Sync,
    R: Lookup<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let rows = watcher(api, config)
        .default_backoff()
        .map_ok(move |event| match event {
            watcher::Event::Apply(k) => watcher::Event::Apply(project(k)),
            watcher::Event::Delete(k) => watcher::Event::Delete(project(k)),
            watcher::Event::InitApply(k) => watcher::Event::InitApply(project(k)),
            watcher::Event::Init => watcher::Event::Init,
            watcher::Event::InitDone => watcher::Event::InitDone,
        });
    rows.inspect_ok(move |event| keep.apply(event))
        .map(move |outcome| {
            let at = Instant::now();
            match outcome {
                Ok(event) => Signal::Event {
                    feed,
                    at,
                    changed: matches!(
                        event,
                        watcher::Event::Apply(_)
                            | watcher::Event::Delete(_)
                            | watcher::Event::InitDone
                    ),
                    listed: matches!(event, watcher::Event::InitDone),
                },
                Err(error) => Signal::Failed { feed, at, error },
            }
        })
        .boxed()
}

/// How each feed stands.
#[derive(Default, Clone)]
struct FeedState {
    listed: bool,
    /// The server refused this feed (403): why, for `problems`.
    refused: Option<String>,
}

/// The connection as the loop sees it.
struct Link {
    connected: bool,
    /// When `connected` last flipped, to order stamped signals.
    since: Option<Instant>,
    last_error: Option<String>,
    last_event_at: Option<String>,
}

impl Link {
    fn answered(&mut self, at: Instant) -> bool {
        if self.since.is_some_and(|since| at < since) || self.connected {
            return false;
        }
        self.connected = true;
        self.since = Some(at);
        self.last_error = None;
        true
    }

    fn failed(&mut self, at: Instant, error: String) -> bool {
        if self.since.is_some_and(|since| at < since) {
            return false;
        }
        let changed = self.connected || self.last_error.as_deref() != Some(&error);
        self.connected = false;
        self.since = Some(at);
        self.last_error = Some(error);
        changed
    }
}

async fn run(
    mut feeds: SelectAll<BoxStream<'static, Signal>>,
    mut answers: mpsc::UnboundedReceiver<Instant>,
    stores: Stores,
    (release, with_ledger): (String, bool),
    sender: watch::Sender<ClusterView>,
) {
    let mut feed_states = vec![FeedState::default(); Feed::ALL.len()];
    // A feed not watched has nothing to wait for.
    feed_states[Feed::Ledger.index()].listed = !with_ledger;
    let mut link = Link {
        connected: false,
        since: None,
        last_error: None,
        last_event_at: None,
    };
    // A lone change publishes at once; a burst's changes wait for the spacing that the last
    // build's cost earns (see `sluice_core::pacing`).
    let mut next_build_at = tokio::time::Instant::now();
    let mut pending = false;
    let mut memo = WorkloadMemo::default();
    loop {
        // Built here rather than in a timer branch: a timer, even one already due, can wait
        // for the runtime's next millisecond tick.
        if pending && tokio::time::Instant::now() >= next_build_at {
            let started = tokio::time::Instant::now();
            let mut view = build(&stores, &mut memo, &release, &feed_states, &link);
            sender.send_if_modified(|current| {
                keep_unchanged(&current.inputs, &mut view.inputs);
                let modified = *current != view;
                if modified {
                    *current = view;
                }
                modified
            });
            let built = tokio::time::Instant::now();
            next_build_at = built + spacing_after(built - started);
            pending = false;
        }
        tokio::select! {
            signal = feeds.next() => {
                let Some(signal) = signal else {
                    // Watchers never end; if they all did, there is nothing left to report.
                    return;
                };
                pending |= apply(signal, &mut feed_states, &mut link);
            }
            Some(at) = answers.recv() => {
                pending |= link.answered(at);
            }
            // A change hard on the heels of the last build waits out its spacing.
            () = tokio::time::sleep_until(next_build_at), if pending => {}
        }
    }
}

/// Folds one signal into the feed and link state; true when the view may have changed.
fn apply(signal: Signal, feed_states: &mut [FeedState], link: &mut Link) -> bool {
    match signal {
        Signal::Event {
            feed,
            at,
            changed,
            listed,
        } => {
            let state = &mut feed_states[feed.index()];
            let was_refused = state.refused.take().is_some();
            let newly_listed = listed && !state.listed;
            state.listed |= listed;
            link.last_event_at = Some(now_rfc3339());
            let reconnected = link.answered(at);
            changed || was_refused || newly_listed || reconnected
        }
        Signal::Failed { feed, at, error } => match classify(&error) {
            Failure::Refused(why) => {
                let state = &mut feed_states[feed.index()];
                let problem = format!("cannot read {}: forbidden ({why})", feed.what());
                let changed = state.refused.as_deref() != Some(&problem);
                state.refused = Some(problem);
                // A refusal is an answer: the server is there.
                changed | link.answered(at)
            }
            Failure::Gone => {
                // History compacted: the watcher lists again by itself, and the server answered.
                tracing::debug!(feed = feed.what(), "watch expired (410), re-listing");
                link.answered(at)
            }
            Failure::Unreachable(why) => {
                tracing::warn!(feed = feed.what(), error = %why, "cluster watch failed");
                link.failed(at, format!("watching {}: {why}", feed.what()))
            }
        },
    }
}

enum Failure {
    /// 403: this feed is not allowed; the others may be.
    Refused(String),
    /// 410: the watch's resourceVersion is too old.
    Gone,
    /// Anything else: the server is unreachable or misbehaving.
    Unreachable(String),
}

fn classify(error: &watcher::Error) -> Failure {
    if let Some(silent) = answers::silent_in(error) {
        return Failure::Unreachable(silent.to_string());
    }
    let status = match error {
        watcher::Error::WatchError(status) => Some(status.as_ref()),
        watcher::Error::InitialListFailed(kube::Error::Api(status))
        | watcher::Error::WatchStartFailed(kube::Error::Api(status))
        | watcher::Error::WatchFailed(kube::Error::Api(status)) => Some(status.as_ref()),
        _ => None,
    };
    match status {
        Some(s) if s.code == 403 || s.is_forbidden() => Failure::Refused(s.message.clone()),
        Some(s) if s.code == 410 => Failure::Gone,
        Some(s) => Failure::Unreachable(format!(
            "the API server answered {} {}: {}",
            s.code, s.reason, s.message
        )),
        None => Failure::Unreachable(crate::errors::describe(error)),
    }
}

fn build(
    stores: &Stores,
    memo: &mut WorkloadMemo,
    release: &str,
    feed_states: &[FeedState],
    link: &Link,
) -> ClusterView {
    let helm = helm_history::read(&stores.releases.state());
    let (warnings, warnings_left_out) = stores.warnings.read();
    let found = memo.workload_inputs(
        &stores.deployments.state(),
        &stores.replica_sets.state(),
        &stores.pods.state(),
        release,
        helm.members.as_deref(),
    );
    let mut problems: Vec<String> = feed_states
        .iter()
        .filter_map(|s| s.refused.clone())
        .collect();
    problems.extend(helm.problems);
    problems.extend(found.problems);
    let (approvals, ledger_problems) = ledger::read(&stores.ledger.state());
    problems.extend(ledger_problems);
    ClusterView {
        inputs: Arc::new(ClusterInputs {
            workloads: Arc::new(found.workloads),
            images: Arc::new(found.images),
            stalled: found.stalled,
            helm_history: Arc::new(helm.revisions),
            deployed_release: helm.deployed,
            warnings,
            warnings_left_out,
            approvals,
            problems,
        }),
        connected: link.connected,
        last_event_at: link.last_event_at.clone(),
        last_error: link.last_error.clone(),
        synced: feed_states.iter().all(|s| s.listed || s.refused.is_some()),
    }
}

/// What did not change keeps the identity it had: the console tells by identity alone that an
/// environment (or its workloads) needs no reducing again, nor sending to the window.
fn keep_unchanged(current: &Arc<ClusterInputs>, built: &mut Arc<ClusterInputs>) {
    if Arc::ptr_eq(current, built) {
        return;
    }
    if current.workloads == built.workloads {
        Arc::make_mut(built).workloads = current.workloads.clone();
    }
    if current.helm_history == built.helm_history {
        Arc::make_mut(built).helm_history = current.helm_history.clone();
    }
    if **current == **built {
        *built = current.clone();
    }
}

fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn what_did_not_change_keeps_its_identity() {
        let workload = |name: &str| {
            Arc::new(sluice_core::snapshot::Workload {
                name: name.to_owned(),
                ..serde_json::from_value(serde_json::json!({
                    "name": "", "component": "", "desired": 1, "updated": 1, "ready": 1,
                    "available": 1, "restarts": 0, "images": [], "revision": null,
                    "conditions": [], "replicaSets": [], "pods": []
                }))
                .unwrap()
            })
        };
        let current = Arc::new(ClusterInputs {
            workloads: Arc::new(vec![workload("api")]),
            ..ClusterInputs::default()
        });
        // Built again from the same stores: the very same inputs go on.
        let mut same = Arc::new((*current).clone());
        Arc::make_mut(&mut same).workloads = Arc::new(vec![workload("api")]);
        keep_unchanged(&current, &mut same);
        assert!(Arc::ptr_eq(&current, &same));
        // Only a problem is new: the workloads go on, the inputs are new.
        let mut problem = Arc::new(ClusterInputs {
            workloads: Arc::new(vec![workload("api")]),
            problems: vec!["the ledger is unreadable".to_owned()],
            ..ClusterInputs::default()
        });
        keep_unchanged(&current, &mut problem);
        assert!(!Arc::ptr_eq(&current, &problem));
        assert!(Arc::ptr_eq(&current.workloads, &problem.workloads));
        assert_eq!(problem.problems.len(), 1);
        // A workload changed: nothing is kept.
        let mut changed = Arc::new(ClusterInputs {
            workloads: Arc::new(vec![workload("web")]),
            ..ClusterInputs::default()
        });
        keep_unchanged(&current, &mut changed);
        assert!(!Arc::ptr_eq(&current.workloads, &changed.workloads));
        assert_eq!(changed.workloads[0].name, "web");
    }

    #[test]
    fn a_late_answer_does_not_undo_a_newer_failure() {
        let mut link = Link {
            connected: true,
            since: None,
            last_error: None,
            last_event_at: None,
        };
        let before = Instant::now();
        let after = before + Duration::from_millis(5);
        assert!(link.failed(after, "connection refused".to_owned()));
        assert!(!link.answered(before));
        assert!(!link.connected);
        assert!(link.answered(after + Duration::from_millis(1)));
        assert_eq!(link.last_error, None);
    }

    #[test]
    fn forbidden_and_gone_are_not_disconnections() {
        let status = |code: u16, reason: &str| {
            watcher::Error::InitialListFailed(kube::Error::Api(Box::new(kube::core::Status {
                code,
                reason: reason.to_owned(),
                message: "secrets is forbidden: User \"vera\" cannot list".to_owned(),
                ..kube::core::Status::default()
            })))
        };
        assert!(matches!(
            classify(&status(403, "Forbidden")),
            Failure::Refused(m) if m.contains("cannot list")
        ));
        assert!(matches!(classify(&status(410, "Expired")), Failure::Gone));
        assert!(matches!(
            classify(&status(500, "InternalError")),
            Failure::Unreachable(m) if m.contains("500")
        ));
        let mut states = vec![FeedState::default(); Feed::ALL.len()];
        let mut link = Link {
            connected: false,
            since: None,
            last_error: None,
            last_event_at: None,
        };
        apply(
            Signal::Failed {
                feed: Feed::HelmHistory,
                at: Instant::now(),
                error: status(403, "Forbidden"),
            },
            &mut states,
            &mut link,
        );
        assert!(link.connected);
        assert_eq!(
            states[Feed::HelmHistory.index()].refused.as_deref(),
            Some(
                "cannot read Helm history: forbidden (secrets is forbidden: User \"vera\" cannot list)"
            )
        );
    }
}
