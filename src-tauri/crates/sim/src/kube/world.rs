//! The cluster's shared state: the store, the clock, the people, and what the world counts.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use super::resources::{Kind, ResourceType};
use super::status::ApiError;
use super::store::Store;
use crate::clock::ScenarioClock;
use crate::people::Person;

/// How the simulated kubelet behaves for one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    /// Starts, exits with an error, restarts with growing back-off.
    CrashLoop,
    /// Runs healthy (and ready) for this long after its first start, then crash-loops.
    CrashLoopAfter(Duration),
    /// The image cannot be pulled.
    ImagePull,
}

/// Delays of the simulated pod lifecycle, in scenario time.
#[derive(Debug, Clone, Copy)]
pub struct PodTimings {
    pub schedule: Duration,
    pub pull: Duration,
    pub ready: Duration,
    pub terminate: Duration,
}

impl Default for PodTimings {
    fn default() -> Self {
        Self {
            schedule: Duration::from_secs(1),
            pull: Duration::from_secs(3),
            ready: Duration::from_secs(4),
            terminate: Duration::from_secs(2),
        }
    }
}

pub struct ClusterState {
    pub store: Store,
    pub broken_images: HashMap<String, Breakage>,
    /// Namespaces whose next rollout crashes ([`KubeWorld::crash_next_rollout`]), with how
    /// long its pods run healthy first and the Deployments whose new ReplicaSet already did.
    pub rollout_crashes: HashMap<String, (Duration, BTreeSet<String>)>,
    /// Uids of ReplicaSets whose pods crash-loop whatever their image, with how long they run
    /// healthy first.
    pub crash_looping_replicasets: HashMap<String, Duration>,
    /// Namespaces whose next Job fails ([`KubeWorld::fail_next_job`]).
    pub failing_jobs: HashSet<String>,
    pub timings: PodTimings,
    /// Requests served, by verb (`list`, `watch`, `get`, …), for the steady-state benchmarks.
    pub requests: HashMap<String, u64>,
    /// How often open watches that asked for bookmarks receive one (real time).
    pub bookmark_interval: Duration,
}

/// The simulated cluster. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct KubeWorld {
    state: Arc<Mutex<ClusterState>>,
    pub clock: ScenarioClock,
    people: Arc<Vec<Person>>,
}

impl KubeWorld {
    /// A cluster with the namespaces `default`, `kube-system` and the given ones.
    pub fn new(clock: ScenarioClock, people: Vec<Person>, namespaces: &[&str]) -> Self {
        let world = Self {
            state: Arc::new(Mutex::new(ClusterState {
                store: Store::new(),
                broken_images: HashMap::new(),
                rollout_crashes: HashMap::new(),
                crash_looping_replicasets: HashMap::new(),
                failing_jobs: HashSet::new(),
                timings: PodTimings::default(),
                requests: HashMap::new(),
                bookmark_interval: Duration::from_secs(15),
            })),
            clock,
            people: Arc::new(people),
        };
        for ns in ["default", "kube-system"].iter().chain(namespaces) {
            let _ = world.create(Kind::Namespace, "", json!({"metadata": {"name": ns}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}));
        }
        // The apiserver's own Service, first address of the service range, as on every cluster.
        let _ = world.create(
            Kind::Service,
            "default",
            json!({
                "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {
                    "clusterIP": super::services::API_SERVICE_IP,
                    "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                },
            }),
        );
        world
    }

    pub fn lock(&self) -> MutexGuard<'_, ClusterState> {
        // A panic elsewhere must not take the whole simulated cluster down with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn people(&self) -> &[Person] {
        &self.people
    }

    pub fn person_by_token(&self, token: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.kube_token == token)
    }

    pub fn now_rfc3339(&self) -> String {
        self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// Creates an object as the cluster itself (controllers, the story), bypassing RBAC.
    pub fn create(
        &self,
        kind: Kind,
        namespace: &str,
        object: Value,
    ) -> Result<Arc<Value>, ApiError> {
        let now = self.now_rfc3339();
        self.lock()
            .store
            .create(ResourceType::of(kind), namespace, object, &now)
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.lock().store.get(kind, namespace, name)
    }

    pub fn list(&self, kind: Kind, namespace: Option<&str>) -> Vec<Arc<Value>> {
        self.lock().store.list(kind, namespace)
    }

    /// Marks an image as failing in the given way; pods running it fail from their next start.
    pub fn break_image(&self, image: &str, breakage: Breakage) {
        self.lock().broken_images.insert(image.to_owned(), breakage);
    }

    /// Makes the next rollout in `namespace` crash: the next ReplicaSet the deployment
    /// controller creates there for each Deployment (its next revision, whatever the image)
    /// has pods that crash-loop, so the rollout stalls while the older ReplicaSets keep serving,
    /// and a rollback to an earlier template brings healthy pods back. The fault is spent once
    /// every Deployment in the namespace has rolled out such a ReplicaSet. Unlike
    /// [`Self::break_image`], the same image elsewhere (the environment it was promoted from)
    /// stays healthy.
    pub fn crash_next_rollout(&self, namespace: &str) {
        self.crash_next_rollout_after(namespace, Duration::ZERO);
    }

    /// Like [`Self::crash_next_rollout`], but the new pods run healthy and ready for `healthy`
    /// of scenario time after they start, then crash-loop: the rollout completes, and the new
    /// version breaks afterwards (what a verification after the promotion must catch).
    pub fn crash_next_rollout_after(&self, namespace: &str, healthy: Duration) {
        self.lock()
            .rollout_crashes
            .insert(namespace.to_owned(), (healthy, BTreeSet::new()));
    }

    /// Makes the next Job created in `namespace` fail (its pod exits 1, as a failing smoke
    /// test would); Jobs otherwise succeed a few simulated seconds after they start.
    pub fn fail_next_job(&self, namespace: &str) {
        self.lock().failing_jobs.insert(namespace.to_owned());
    }

    pub fn set_pod_timings(&self, timings: PodTimings) {
        self.lock().timings = timings;
    }

    pub fn set_bookmark_interval(&self, interval: Duration) {
        self.lock().bookmark_interval = interval.max(Duration::from_millis(10));
    }

    pub fn count_request(&self, verb: &str) {
        *self.lock().requests.entry(verb.to_owned()).or_default() += 1;
    }

    pub fn request_counts(&self) -> HashMap<String, u64> {
        self.lock().requests.clone()
    }

    /// Forgets watch history, so watches from older versions get 410 Gone.
    pub fn compact(&self) {
        self.lock().store.compact();
    }
}
