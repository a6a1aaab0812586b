#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Sluice's cluster-facing behaviour, with the same assertions against two clusters: the
//! simulated world, and a real control plane built from upstream sources
//! (tests/control-plane/: etcd, kube-apiserver, controller-manager, scheduler, kwok). On both,
//! the releases are made by the real `helm` 3 (built from source by tests/control-plane/build.sh)
//! running the seed's own commands from environments/, and kubectl lists what they made.
//!
//! Versions, health, replica counts and rollouts, the chart's Services and Ingress, Helm
//! history decoded from Helm's Secrets, SelfSubjectAccessReview per person, a kubernetes-method
//! promotion under the Lease with a second console refused, rollback, watch recovery after an
//! apiserver restart, a failing `helm upgrade --atomic` rolled back by Helm, and what `sluice
//! status --json` reports (and how soon after each helm command), and promotions by the `helm`
//! method through the console's session (control_plane/helm_method.rs). Where the two clusters
//! disagree, the simulator is wrong.
//!
//! Both targets need helm, and the real one the control plane: `make conformance-control-plane`
//! builds (or reuses) them and runs this file with `--include-ignored`. Set `SLUICE_BIN` to a
//! built `sluice` to have `sluice status --json` run as a process; otherwise the library it
//! wraps is used.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use sluice_console::live::{Live, LiveConfig};
use sluice_core::snapshot::ImageChange;
use sluice_kube::write::lease::{self, LeaseError};
use sluice_kube::write::{self as kubernetes, Record, WriteError as KubePromotionError};
use sluice_sim::kube::Breakage;
use sluice_sim::testing::until;
use sluice_sim::{SimWorld, WorldOptions};

#[path = "control_plane/helm_method.rs"]
mod helm_method;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn environments_dir() -> PathBuf {
    repo().join("environments")
}

/// One environment of the seed pipeline (environments/pipeline.yaml).
struct Env {
    name: &'static str,
    namespace: &'static str,
    release: &'static str,
    values_file: &'static str,
    replicas: i32,
}

const ENVS: [Env; 3] = [
    Env {
        name: "dev",
        namespace: "dev",
        release: "tbyte-dev",
        values_file: "values-dev.yaml",
        replicas: 1,
    },
    Env {
        name: "staging",
        namespace: "staging",
        release: "tbyte-staging",
        values_file: "values-staging.yaml",
        replicas: 2,
    },
    Env {
        name: "production",
        namespace: "production",
        release: "tbyte-prod",
        values_file: "values-prod.yaml",
        replicas: 3,
    },
];

fn env(name: &str) -> &'static Env {
    ENVS.iter().find(|e| e.name == name).unwrap()
}

fn yaml_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn values_of(e: &Env) -> Value {
    yaml_file(&environments_dir().join(e.values_file))
}

/// The chart's appVersion: the image tag when none is set.
fn chart_app_version() -> String {
    yaml_file(&environments_dir().join("apps/tbyte-microservices/Chart.yaml"))["appVersion"]
        .as_str()
        .unwrap()
        .to_owned()
}

const SERVICES: [&str; 2] = ["api", "web"];

fn image(service: &str, tag: &str) -> String {
    format!("ghcr.io/tbyte-org/tbyte-{service}:{tag}")
}

fn workload_names(e: &Env) -> Vec<String> {
    SERVICES
        .iter()
        .map(|s| format!("{}-{s}", e.release))
        .collect()
}

// --- the real control plane ------------------------------------------------------------------

fn script(name: &str) -> PathBuf {
    repo().join("tests/control-plane").join(name)
}

/// Runs a control-plane script, failing the test with its output if it fails.
fn run_script(name: &str, args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(script(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "tests/control-plane/{name} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A control plane on loopback, stopped (every process, ports freed) when dropped — also when
/// an assertion fails and the test unwinds.
struct RealCluster {
    dir: PathBuf,
}

impl RealCluster {
    fn start() -> Self {
        // Builds what is missing (nothing, once cached); names the component that fails.
        run_script("build.sh", &[]);
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| repo().join("target"), PathBuf::from);
        let dir = target
            .join("control-plane")
            .join(format!("run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cluster = Self { dir };
        let up = run_script("cluster.sh", &["start", cluster.dir.to_str().unwrap()]);
        eprintln!("{}", up.trim());
        cluster
    }
}

/// The helm 3 that tests/control-plane/build.sh builds from source and caches.
fn helm_binary() -> PathBuf {
    let path = PathBuf::from(run_script("build.sh", &["--path", "helm"]).trim());
    assert!(
        path.is_file(),
        "helm is not built ({}): run `bash tests/control-plane/build.sh helm` (make conformance-control-plane does)",
        path.display()
    );
    path
}

/// kubectl: `SLUICE_KUBECTL`, else the 1.33 client beside gcloud's dispatcher, else PATH.
fn kubectl_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("SLUICE_KUBECTL") {
        return PathBuf::from(p);
    }
    let versioned = Path::new("/usr/lib/google-cloud-sdk/bin/kubectl.1.33");
    if versioned.exists() {
        return versioned.to_owned();
    }
    PathBuf::from("kubectl")
}

/// The seed's deploy command for `e`, as the pipeline file writes it, then `extra`:
/// `helm upgrade --install <release> ./apps/tbyte-microservices -f <values> -n <namespace>`.
fn upgrade_command<'a>(e: &'a Env, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "upgrade",
        "--install",
        e.release,
        "./apps/tbyte-microservices",
        "-f",
        e.values_file,
        "-n",
        e.namespace,
    ];
    args.extend_from_slice(extra);
    args
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Drop for RealCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The test failed: what the components said last, before their directory goes.
            for name in [
                "etcd",
                "kube-apiserver",
                "kube-controller-manager",
                "kube-scheduler",
                "kwok",
            ] {
                let log =
                    std::fs::read_to_string(self.dir.join("logs").join(format!("{name}.log")))
                        .unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                eprintln!("--- {name} (last lines) ---");
                for line in tail.iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
        let out = Command::new("bash")
            .arg(script("cluster.sh"))
            .arg("stop")
            .arg(&self.dir)
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
            Ok(o) => eprintln!(
                "stopping the control plane in {} failed: {}",
                self.dir.display(),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => eprintln!("cannot run cluster.sh stop: {e}"),
        }
    }
}

// --- the two targets -------------------------------------------------------------------------

/// A frozen API server, thawed when dropped.
enum Thaw<'a> {
    Process(String),
    Sim(&'a SimWorld),
}

impl Drop for Thaw<'_> {
    fn drop(&mut self) {
        match self {
            Thaw::Process(pid) => signal("-CONT", pid),
            Thaw::Sim(world) => world.kube_server.faults().thaw(),
        }
    }
}

fn signal(which: &str, pid: &str) {
    let status = Command::new("kill").args([which, pid]).status().unwrap();
    assert!(status.success(), "kill {which} {pid} failed");
}

enum Cluster {
    Sim(Box<SimWorld>),
    Real(RealCluster),
}

struct Target {
    cluster: Cluster,
    kubeconfig: PathBuf,
    /// Helm's cache, config and data, apart from the user's.
    helm_home: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Target {
    async fn simulated() -> Self {
        let world = SimWorld::start(WorldOptions {
            speed: 20.0,
            ..WorldOptions::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        world
            .write_kubeconfig(&kubeconfig, &["tbyte".to_owned()])
            .unwrap();
        Self {
            cluster: Cluster::Sim(Box::new(world)),
            kubeconfig,
            helm_home: dir.path().join("helm"),
            _dir: Some(dir),
        }
    }

    fn real() -> Self {
        let cluster = RealCluster::start();
        let kubeconfig = cluster.dir.join("kubeconfig");
        let helm_home = cluster.dir.join("helm");
        Self {
            cluster: Cluster::Real(cluster),
            kubeconfig,
            helm_home,
            _dir: None,
        }
    }

    fn name(&self) -> &'static str {
        match self.cluster {
            Cluster::Sim(_) => "simulated world",
            Cluster::Real(_) => "real control plane",
        }
    }

    async fn client(&self, context: &str) -> kube::Client {
        sluice_kube::connect(Some(&self.kubeconfig), context)
            .await
            .unwrap()
    }

    /// Runs the real helm from environments/ against this cluster (its kubeconfig's current
    /// context, `tbyte`), as the seed's commands are run.
    fn helm(&self, args: &[&str]) -> Output {
        Command::new(helm_binary())
            .current_dir(environments_dir())
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HELM_CACHE_HOME", self.helm_home.join("cache"))
            .env("HELM_CONFIG_HOME", self.helm_home.join("config"))
            .env("HELM_DATA_HOME", self.helm_home.join("data"))
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run helm: {e}"))
    }

    fn kubectl(&self, args: &[&str]) -> String {
        let out = Command::new(kubectl_binary())
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run kubectl: {e}; set SLUICE_KUBECTL"));
        assert!(
            out.status.success(),
            "kubectl {args:?} on the {} failed: {}",
            self.name(),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// The seed's deployment commands, one after the other, each followed by `sluice status
    /// --json`, which must show the new revision at once. `revisions` is what each command
    /// makes (1 when it installs).
    async fn seed(&self, revisions: [u32; 3]) {
        for (e, revision) in ENVS.iter().zip(revisions) {
            let out = self.helm(&upgrade_command(e, &[]));
            let stdout = text(&out.stdout);
            assert!(
                out.status.success(),
                "{} on the {}: {stdout}{}",
                upgrade_command(e, &[]).join(" "),
                self.name(),
                text(&out.stderr)
            );
            let said = if revision == 1 {
                format!(
                    "Release \"{}\" does not exist. Installing it now.",
                    e.release
                )
            } else {
                format!(
                    "Release \"{}\" has been upgraded. Happy Helming!",
                    e.release
                )
            };
            assert!(stdout.contains(&said), "{stdout}");
            assert!(
                stdout.contains(&format!("REVISION: {revision}\n")),
                "{stdout}"
            );
            self.status_shows_revision(e, revision).await;
        }
    }

    /// `sluice status --json`, run right after a helm command returned, shows `e`'s new Helm
    /// revision as deployed, on its first read.
    async fn status_shows_revision(&self, e: &Env, revision: u32) {
        let started = Instant::now();
        let s = self.status_json().await;
        let took = started.elapsed();
        let shown = s["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == e.name)
            .map(|x| x["helmHistory"][0].clone())
            .unwrap_or_default();
        assert_eq!(
            (shown["revision"].as_u64(), shown["status"].as_str()),
            (Some(u64::from(revision)), Some("deployed")),
            "{} on the {}: {shown:#}",
            e.release,
            self.name()
        );
        eprintln!(
            "[{}] sluice status --json showed {} revision {revision} {} ms after helm returned",
            self.name(),
            e.release,
            took.as_millis()
        );
        // How soon is printed, not asserted (speed is the benchmarks' business): what this
        // checks is that the first read already shows the new revision.
    }

    /// `helm upgrade --install` of `e`'s release with its values file, `--set image.tag=<tag>`
    /// and `flags` (`--wait`, `--atomic --wait --timeout 2m`).
    fn helm_upgrade(&self, e: &Env, tag: &str, flags: &[&str]) {
        let set = format!("image.tag={tag}");
        let mut extra = vec!["--set", set.as_str()];
        extra.extend_from_slice(flags);
        let out = self.helm(&upgrade_command(e, &extra));
        assert!(
            out.status.success(),
            "helm {} on the {} failed: {}{}",
            upgrade_command(e, &extra).join(" "),
            self.name(),
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    /// Freezes the API server as `kill -STOP` does (the simulator's freeze fault); the API
    /// server is thawed when the returned guard is dropped, also if the test fails.
    fn freeze_apiserver(&self) -> Thaw<'_> {
        match &self.cluster {
            Cluster::Real(c) => {
                let pid = std::fs::read_to_string(c.dir.join("pids").join("kube-apiserver.pid"))
                    .unwrap()
                    .trim()
                    .to_owned();
                signal("-STOP", &pid);
                Thaw::Process(pid)
            }
            Cluster::Sim(world) => {
                world.kube_server.faults().freeze();
                Thaw::Sim(world)
            }
        }
    }

    async fn restart_apiserver(&self) {
        match &self.cluster {
            Cluster::Real(c) => {
                run_script(
                    "cluster.sh",
                    &["restart", c.dir.to_str().unwrap(), "kube-apiserver"],
                );
            }
            Cluster::Sim(world) => world.kube_server.restart().await.unwrap(),
        }
    }

    /// What `sluice status --json` prints for the seed pipeline against this cluster (GitHub
    /// unreachable: the cluster side alone).
    async fn status_json(&self) -> Value {
        let pipeline = environments_dir().join("pipeline.yaml");
        if let Some(bin) = std::env::var_os("SLUICE_BIN") {
            let out = tokio::process::Command::new(bin)
                .arg("status")
                .arg("--json")
                .arg("--pipeline")
                .arg(&pipeline)
                .arg("--kubeconfig")
                .arg(&self.kubeconfig)
                .args(["--github-api-url", UNREACHABLE_GITHUB])
                .output()
                .await
                .unwrap();
            assert!(
                out.status.success(),
                "sluice status --json failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return serde_json::from_slice(&out.stdout).unwrap();
        }
        let live = Live::start(
            sluice_core::load_pipeline(&pipeline).unwrap(),
            LiveConfig {
                kubeconfig: Some(self.kubeconfig.clone()),
                github_api: Some(UNREACHABLE_GITHUB.to_owned()),
                github_token: None,
                github_poll: Some(Duration::from_secs(60)),
                clock: None,
                kube_silence_limit: None,
            },
        )
        .await;
        // As `sluice status` does: the first snapshot in which every source has read
        // everything once (or failed to). An environment nothing was deployed to yet stays
        // unknown; that is an answer too.
        let mut rx = live.subscribe();
        let whole = |s: &Option<std::sync::Arc<sluice_core::snapshot::Snapshot>>| {
            s.as_deref().is_some_and(|s| {
                s.sources
                    .iter()
                    .all(|src| src.synced || src.last_error.is_some())
            })
        };
        let _ = tokio::time::timeout(Duration::from_secs(15), rx.wait_for(whole)).await;
        let s = rx.borrow().clone().expect("no snapshot within 15 s");
        serde_json::to_value(&*s).unwrap()
    }
}

/// Nothing listens there: `sluice status` reports the cluster side alone.
const UNREACHABLE_GITHUB: &str = "http://127.0.0.1:9";

/// An image tag whose pods crash on both clusters: the simulator is told so
/// (`KubeWorld::break_image`), the real control plane's kwok has a stage for tags ending in
/// `-crashloop` (tests/control-plane/cluster.sh).
const CRASHING_TAG: &str = "ddddddd-crashloop";

// --- assertions shared by both targets -------------------------------------------------------

async fn deployments(client: &kube::Client, e: &Env) -> Vec<Deployment> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), e.namespace);
    let mut items = api
        .list(&ListParams::default().labels(&format!("app.kubernetes.io/instance={}", e.release)))
        .await
        .unwrap()
        .items;
    items.sort_by_key(|d| d.metadata.name.clone());
    items
}

fn images_of(d: &Deployment) -> Vec<String> {
    d.spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers
        .iter()
        .map(|c| c.image.clone().unwrap())
        .collect()
}

async fn images(client: &kube::Client, e: &Env) -> Vec<String> {
    let mut all: Vec<String> = deployments(client, e)
        .await
        .iter()
        .flat_map(images_of)
        .collect();
    all.sort();
    all
}

fn expected_images(tag: &str) -> Vec<String> {
    SERVICES.iter().map(|s| image(s, tag)).collect()
}

async fn rolled_out(client: &kube::Client, e: &Env) {
    let api: Api<Deployment> = Api::namespaced(client.clone(), e.namespace);
    kubernetes::follow(&api, &workload_names(e), Duration::from_secs(120))
        .await
        .unwrap_or_else(|err| panic!("{} did not roll out: {err}", e.release));
}

/// The Helm release Secrets of `e`, by revision.
async fn helm_history(
    client: &kube::Client,
    e: &Env,
) -> Vec<(Secret, sluice_kube::helm::HelmRelease)> {
    let api: Api<Secret> = Api::namespaced(client.clone(), e.namespace);
    let mut out: Vec<_> = api
        .list(&ListParams::default().labels(&format!("owner=helm,name={}", e.release)))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| {
            let payload = s.data.as_ref().unwrap()["release"].0.clone();
            let decoded = sluice_kube::helm::decode_release(&payload)
                .unwrap_or_else(|err| panic!("{}: {err}", s.metadata.name.clone().unwrap()));
            (s, decoded)
        })
        .collect();
    out.sort_by_key(|(_, r)| r.revision);
    out
}

fn label<'a>(s: &'a Secret, key: &str) -> &'a str {
    s.metadata.labels.as_ref().unwrap()[key].as_str()
}

async fn versions_and_health(t: &Target) {
    let client = t.client("tbyte").await;
    let v = client.apiserver_version().await.unwrap();
    assert_eq!((v.major.as_str(), v.minor.as_str()), ("1", "33"), "{v:?}");
    assert!(v.git_version.starts_with("v1.33."), "{v:?}");
    for path in ["/readyz", "/livez", "/healthz"] {
        let req = http::Request::get(path).body(Vec::new()).unwrap();
        let body = client.request_text(req).await.unwrap();
        assert_eq!(body, "ok", "{path} on the {}", t.name());
    }
}

async fn seeded_releases(t: &Target) {
    let client = t.client("tbyte").await;
    let tag = chart_app_version();
    for e in &ENVS {
        rolled_out(&client, e).await;
        let values = values_of(e);
        let ds = deployments(&client, e).await;
        let names: Vec<String> = ds
            .iter()
            .map(|d| d.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(names, workload_names(e));
        for d in &ds {
            let spec = d.spec.as_ref().unwrap();
            let status = d.status.as_ref().unwrap();
            assert_eq!(spec.replicas, Some(e.replicas), "{names:?}");
            assert_eq!(status.ready_replicas, Some(e.replicas));
            assert_eq!(status.available_replicas, Some(e.replicas));
            assert_eq!(status.updated_replicas, Some(e.replicas));
            let container = &spec.template.spec.as_ref().unwrap().containers[0];
            let requests = container
                .resources
                .as_ref()
                .unwrap()
                .requests
                .as_ref()
                .unwrap();
            assert_eq!(
                requests["cpu"].0,
                values["resources"]["requests"]["cpu"].as_str().unwrap()
            );
            assert_eq!(
                requests["memory"].0,
                values["resources"]["requests"]["memory"].as_str().unwrap()
            );
            // What the apiserver fills in (the simulator once served none of it).
            assert_eq!(spec.progress_deadline_seconds, Some(600));
            assert_eq!(spec.revision_history_limit, Some(10));
            let strategy = serde_json::to_value(spec.strategy.as_ref().unwrap()).unwrap();
            assert_eq!(
                strategy,
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
            );
            let pod = spec.template.spec.as_ref().unwrap();
            assert_eq!(pod.restart_policy.as_deref(), Some("Always"));
            assert_eq!(pod.dns_policy.as_deref(), Some("ClusterFirst"));
            assert_eq!(pod.scheduler_name.as_deref(), Some("default-scheduler"));
            assert_eq!(pod.termination_grace_period_seconds, Some(30));
            let c = &pod.containers[0];
            assert_eq!(c.image_pull_policy.as_deref(), Some("IfNotPresent"));
            assert_eq!(c.termination_message_policy.as_deref(), Some("File"));
            assert_eq!(
                c.ports.as_ref().unwrap()[0].protocol.as_deref(),
                Some("TCP")
            );
            // Zero counts are left out of the status, not sent as 0.
            assert_eq!(status.unavailable_replicas, None);
            // Helm writes the chart's objects as field manager `helm`.
            let managers: Vec<(String, String)> = d
                .metadata
                .managed_fields
                .iter()
                .flatten()
                .filter(|m| m.subresource.is_none())
                .map(|m| {
                    (
                        m.manager.clone().unwrap_or_default(),
                        m.operation.clone().unwrap_or_default(),
                    )
                })
                .collect();
            assert_eq!(managers, [("helm".to_owned(), "Update".to_owned())]);
            let labels = d.metadata.labels.as_ref().unwrap();
            assert_eq!(labels["app.kubernetes.io/managed-by"], "Helm");
            assert_eq!(labels["app.kubernetes.io/version"], tag);
            let annotations = d.metadata.annotations.as_ref().unwrap();
            assert_eq!(annotations["meta.helm.sh/release-name"], e.release);
            assert_eq!(annotations["meta.helm.sh/release-namespace"], e.namespace);
            assert_eq!(
                annotations
                    .get("deployment.kubernetes.io/revision")
                    .map(String::as_str),
                Some("1")
            );
            let available = status
                .conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == "Available")
                .unwrap();
            assert_eq!(available.status, "True");
            let progressing = status
                .conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == "Progressing")
                .unwrap();
            assert_eq!(
                progressing.reason.as_deref(),
                Some("NewReplicaSetAvailable"),
                "{progressing:?}"
            );
        }
        assert_eq!(images(&client, e).await, expected_images(&tag));
        let config: Api<ConfigMap> = Api::namespaced(client.clone(), e.namespace);
        let cm = config.get(&format!("{}-config", e.release)).await.unwrap();
        assert_eq!(
            cm.data.unwrap()["database.instance"],
            values["database"]["instance"].as_str().unwrap()
        );
        let pods: Api<Pod> = Api::namespaced(client.clone(), e.namespace);
        let pods = pods
            .list(
                &ListParams::default().labels(&format!("app.kubernetes.io/instance={}", e.release)),
            )
            .await
            .unwrap()
            .items;
        let running_ready = pods
            .iter()
            .filter(|p| {
                let st = p.status.as_ref().unwrap();
                st.phase.as_deref() == Some("Running")
                    && st
                        .conditions
                        .iter()
                        .flatten()
                        .any(|c| c.type_ == "Ready" && c.status == "True")
            })
            .count();
        assert_eq!(
            running_ready,
            2 * e.replicas as usize,
            "{} pods",
            e.namespace
        );
    }
}

/// Helm's own records: one Secret per revision, decoded as Sluice decodes them.
async fn helm_history_after_install(t: &Target) {
    let client = t.client("tbyte").await;
    for e in &ENVS {
        let history = helm_history(&client, e).await;
        assert_eq!(history.len(), 1, "{}", e.release);
        let (secret, release) = &history[0];
        assert_eq!(
            secret.metadata.name.as_deref(),
            Some(format!("sh.helm.release.v1.{}.v1", e.release).as_str())
        );
        assert_eq!(secret.type_.as_deref(), Some("helm.sh/release.v1"));
        assert_eq!(label(secret, "owner"), "helm");
        assert_eq!(label(secret, "name"), e.release);
        assert_eq!(label(secret, "status"), "deployed");
        assert_eq!(label(secret, "version"), "1");
        let managers: Vec<&str> = secret
            .metadata
            .managed_fields
            .iter()
            .flatten()
            .filter_map(|m| m.manager.as_deref())
            .collect();
        assert_eq!(
            managers,
            ["Helm"],
            "Helm's storage driver writes its Secrets"
        );
        assert_eq!(release.name, e.release);
        assert_eq!(release.namespace, e.namespace);
        assert_eq!(release.revision, 1);
        assert_eq!(release.status, "deployed");
        assert_eq!(release.description, "Install complete");
        assert_eq!(release.chart_name, "tbyte-microservices");
        assert_eq!(release.chart_version, "0.1.0");
        assert_eq!(
            release.app_version.as_deref(),
            Some(chart_app_version().as_str())
        );
        assert_eq!(release.values, values_of(e), "the user-supplied values");
        assert!(release.first_deployed.is_some() && release.last_deployed.is_some());
    }
}

async fn helm_history_after_upgrade(t: &Target, tag: &str) {
    let client = t.client("tbyte").await;
    let e = env("staging");
    let history = helm_history(&client, e).await;
    let revisions: Vec<(u32, &str, &str)> = history
        .iter()
        .map(|(s, r)| (r.revision, r.status.as_str(), label(s, "status")))
        .collect();
    assert_eq!(
        revisions,
        [(1, "superseded", "superseded"), (2, "deployed", "deployed")]
    );
    let latest = &history[1].1;
    assert_eq!(latest.description, "Upgrade complete");
    let mut expected = values_of(e);
    expected["image"] = json!({"tag": tag});
    assert_eq!(latest.values, expected);
    assert_eq!(latest.first_deployed, history[0].1.first_deployed);
}

async fn access_reviews(t: &Target) {
    let can = |ctx: &'static str,
               ns: &'static str,
               verb: &'static str,
               group: &'static str,
               resource: &'static str| async move {
        kubernetes::can(&t.client(ctx).await, ns, verb, group, resource)
            .await
            .unwrap()
    };
    assert!(can("tbyte", "production", "patch", "apps", "deployments").await);
    assert!(
        can(
            "tbyte@alice-approver",
            "production",
            "create",
            "coordination.k8s.io",
            "leases"
        )
        .await
    );
    assert!(
        !can(
            "tbyte@dave-developer",
            "production",
            "patch",
            "apps",
            "deployments"
        )
        .await
    );
    assert!(
        can(
            "tbyte@dave-developer",
            "staging",
            "patch",
            "apps",
            "deployments"
        )
        .await
    );
    assert!(can("tbyte@dave-developer", "production", "list", "", "secrets").await);
    assert!(can("tbyte@vera-viewer", "production", "list", "", "pods").await);
    assert!(
        can(
            "tbyte@vera-viewer",
            "production",
            "watch",
            "apps",
            "deployments"
        )
        .await
    );
    assert!(!can("tbyte@vera-viewer", "production", "get", "", "secrets").await);
    assert!(
        !can(
            "tbyte@vera-viewer",
            "production",
            "patch",
            "apps",
            "deployments"
        )
        .await
    );
    assert!(
        !can(
            "tbyte@vera-viewer",
            "production",
            "create",
            "coordination.k8s.io",
            "leases"
        )
        .await
    );
    // The authorizer's reasons, word for word.
    let reason = |ctx: &'static str,
                  ns: &'static str,
                  verb: &'static str,
                  group: &'static str,
                  resource: &'static str| async move {
        let review: SelfSubjectAccessReview = serde_json::from_value(json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"namespace": ns, "verb": verb, "group": group, "resource": resource}},
        }))
        .unwrap();
        let api: Api<SelfSubjectAccessReview> = Api::all(t.client(ctx).await);
        let answer = api.create(&PostParams::default(), &review).await.unwrap();
        answer.status.unwrap().reason.unwrap_or_default()
    };
    assert_eq!(
        reason("tbyte", "production", "patch", "apps", "deployments").await,
        "RBAC: allowed by ClusterRoleBinding \"release-approvers\" of ClusterRole \"cluster-admin\" to User \"alice-approver\""
    );
    assert_eq!(
        reason(
            "tbyte@dave-developer",
            "staging",
            "patch",
            "apps",
            "deployments"
        )
        .await,
        "RBAC: allowed by RoleBinding \"developers/staging\" of ClusterRole \"sluice:developer\" to User \"dave-developer\""
    );
    assert_eq!(
        reason("tbyte@dave-developer", "production", "get", "", "secrets").await,
        "RBAC: allowed by ClusterRoleBinding \"developers-read\" of ClusterRole \"sluice:read-all\" to User \"dave-developer\""
    );
    assert_eq!(
        reason("tbyte@vera-viewer", "production", "list", "", "pods").await,
        "RBAC: allowed by ClusterRoleBinding \"viewers\" of ClusterRole \"sluice:viewer\" to User \"vera-viewer\""
    );
    assert_eq!(
        reason("tbyte@vera-viewer", "production", "get", "", "secrets").await,
        ""
    );
    // The promotion's own check: the viewer is refused before anything is touched.
    let viewer = t.client("tbyte@vera-viewer").await;
    match kubernetes::authorize(&viewer, "production").await {
        Err(KubePromotionError::Forbidden(m)) => {
            assert_eq!(m, "you may not patch deployments in namespace `production`");
        }
        other => panic!("the viewer was not refused: {other:?}"),
    }
    kubernetes::authorize(&t.client("tbyte").await, "production")
        .await
        .unwrap();
    // And the server enforces it: the viewer cannot read Helm's Secrets.
    let secrets: Api<Secret> = Api::namespaced(viewer, "production");
    match secrets.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden")),
        other => panic!(
            "the viewer listed Secrets: {:?}",
            other.map(|l| l.items.len())
        ),
    }
}

fn record(version: &str) -> Record<'_> {
    Record {
        actor: "alice-approver",
        from_environment: "staging",
        version,
        reason: "conformance",
    }
}

/// Server-side apply of a field Helm set conflicts with "helm" unless forced (the promotion
/// forces on purpose).
async fn apply_conflicts_with_helm(t: &Target) {
    let client = t.client("tbyte").await;
    let api: Api<Deployment> = Api::namespaced(client, "production");
    let patch = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "tbyte-prod-api"},
        "spec": {"template": {"spec": {"containers": [{"name": "api", "image": image("api", "not-forced")}]}}},
    });
    match api
        .patch(
            "tbyte-prod-api",
            &PatchParams::apply("sluice"),
            &Patch::Apply(&patch),
        )
        .await
    {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
            assert_eq!(
                s.message,
                "Apply failed with 1 conflict: conflict with \"helm\" using apps/v1: .spec.template.spec.containers[name=\"api\"].image"
            );
        }
        other => panic!(
            "a non-forced apply over Helm's field went through: {:?}",
            other.map(|d| d.metadata.name)
        ),
    }
}

/// The Lease's optimistic concurrency: a stale resourceVersion can neither replace nor delete it
/// (a console releases only the lock it still holds), and a delete answers with a Status.
async fn lease_preconditions(t: &Target) {
    let client = t.client("tbyte").await;
    let api: Api<Lease> = Api::namespaced(client, "staging");
    let held = lease::acquire(api.clone(), "alice-approver@probe/1")
        .await
        .unwrap();
    let first = api.get(lease::LEASE_NAME).await.unwrap();
    let stale = first.metadata.resource_version.clone().unwrap();
    let mut renewed = first.clone();
    renewed.spec.as_mut().unwrap().lease_duration_seconds = Some(31);
    let current = api
        .replace(lease::LEASE_NAME, &PostParams::default(), &renewed)
        .await
        .unwrap();
    let now = current.metadata.resource_version.clone().unwrap();
    match api
        .replace(lease::LEASE_NAME, &PostParams::default(), &first)
        .await
    {
        Err(kube::Error::Api(s)) => assert_eq!(
            (s.code, s.message.as_str()),
            (
                409,
                "Operation cannot be fulfilled on leases.coordination.k8s.io \"sluice-promotion\": the object has been modified; please apply your changes to the latest version and try again"
            )
        ),
        other => panic!("a stale replace went through: {:?}", other.map(|_| ())),
    }
    let stale_delete = DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            resource_version: Some(stale.clone()),
            uid: None,
        }),
        ..DeleteParams::default()
    };
    match api.delete(lease::LEASE_NAME, &stale_delete).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
            assert_eq!(
                s.message,
                format!(
                    "Operation cannot be fulfilled on Lease.coordination.k8s.io \"sluice-promotion\": the ResourceVersion in the precondition ({stale}) does not match the ResourceVersion in record ({now}). The object might have been modified"
                )
            );
        }
        other => panic!(
            "a delete with a stale precondition went through: {:?}",
            other.map(|_| ())
        ),
    }
    assert!(
        api.get_opt(lease::LEASE_NAME).await.unwrap().is_some(),
        "still there"
    );
    let current_delete = DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            resource_version: Some(now),
            uid: current.metadata.uid.clone(),
        }),
        ..DeleteParams::default()
    };
    let answered = api
        .delete(lease::LEASE_NAME, &current_delete)
        .await
        .unwrap();
    assert!(
        answered.is_right(),
        "a delete answered with the object: {answered:?}"
    );
    let status = answered.right().unwrap();
    assert_eq!(
        status.status,
        Some(kube::core::response::StatusSummary::Success)
    );
    let details = status.details.unwrap();
    assert_eq!(
        (details.name.as_str(), details.kind.as_str()),
        ("sluice-promotion", "leases")
    );
    assert_eq!(Some(details.uid), current.metadata.uid);
    assert!(api.get_opt(lease::LEASE_NAME).await.unwrap().is_none());
    held.release().await;
}

/// staging → production by the kubernetes method, while a second console tries the same.
async fn promotion_under_the_lease(t: &Target, tag: &str) {
    let staging = env("staging");
    let production = env("production");
    let first = t.client("tbyte").await;
    let second = t.client("tbyte").await;
    assert_eq!(images(&first, staging).await, expected_images(tag));
    // What a review shows: each production container, from what it runs to staging's image.
    let mut running = Vec::new();
    for d in deployments(&first, production).await {
        running.extend(images_of(&d));
    }
    let to_ship: Vec<ImageChange> = SERVICES
        .iter()
        .map(|s| ImageChange {
            workload: format!("{}-{s}", production.release),
            container: (*s).to_owned(),
            source_workload: format!("{}-{s}", staging.release),
            from: running
                .iter()
                .find(|i| i.starts_with(&format!("ghcr.io/tbyte-org/tbyte-{s}:")))
                .cloned(),
            to: Some(image(s, tag)),
        })
        .collect();
    let promotion = {
        let client = first.clone();
        let to_ship = to_ship.clone();
        let tag = tag.to_owned();
        tokio::spawn(async move {
            kubernetes::set_images(
                &client,
                "production",
                &to_ship,
                &record(&tag),
                "alice-approver@console-one/1",
                Duration::from_secs(120),
            )
            .await
        })
    };
    // The second console arrives while the first holds the Lease.
    let leases: Api<Lease> = Api::namespaced(second.clone(), "production");
    let started = Instant::now();
    while leases.get_opt(lease::LEASE_NAME).await.unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30) && !promotion.is_finished(),
            "the first promotion never took the Lease"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let refused = kubernetes::set_images(
        &second,
        "production",
        &to_ship,
        &record(tag),
        "alice-approver@console-two/2",
        Duration::from_secs(60),
    )
    .await;
    match refused {
        Err(KubePromotionError::Lease(err @ LeaseError::Held { .. })) => {
            assert_eq!(err.to_string(), "promotion in progress by alice-approver");
        }
        other => panic!("the second console was not refused: {other:?}"),
    }
    promotion.await.unwrap().unwrap();
    assert_eq!(images(&first, production).await, expected_images(tag));
    for d in deployments(&first, production).await {
        let annotations = d.metadata.annotations.clone().unwrap();
        assert_eq!(annotations["sluice.dev/promoted-by"], "alice-approver");
        assert_eq!(annotations["sluice.dev/promoted-from"], "staging");
        assert_eq!(annotations["sluice.dev/version"], tag);
        assert_eq!(
            annotations["kubernetes.io/change-cause"],
            format!("alice-approver promoted {tag} from staging: conformance")
        );
        assert_eq!(annotations["deployment.kubernetes.io/revision"], "2");
        let managers: Vec<(String, String)> = d
            .metadata
            .managed_fields
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m.manager.clone().unwrap_or_default(),
                    m.operation.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert!(
            managers.contains(&("sluice".into(), "Apply".into())),
            "{managers:?}"
        );
        let status = d.status.unwrap();
        assert_eq!(status.updated_replicas, Some(production.replicas));
        assert_eq!(status.available_replicas, Some(production.replicas));
    }
    assert!(
        leases.get_opt(lease::LEASE_NAME).await.unwrap().is_none(),
        "the Lease is released"
    );
    // A developer may not promote into production: Kubernetes says so, nothing changes.
    let developer = t.client("tbyte@dave-developer").await;
    let err = kubernetes::set_images(
        &developer,
        "production",
        &to_ship
            .iter()
            .map(|c| ImageChange {
                from: Some(image(&c.container, tag)),
                to: Some(image(&c.container, "zzzzzzz")),
                ..c.clone()
            })
            .collect::<Vec<_>>(),
        &record("zzzzzzz"),
        "dave-developer@console/3",
        Duration::from_secs(30),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, KubePromotionError::Forbidden(_)), "{err}");
    assert_eq!(images(&first, production).await, expected_images(tag));
}

async fn rollback(t: &Target, to_tag: &str) {
    let client = t.client("tbyte").await;
    let production = env("production");
    let rolled = kubernetes::rollback(
        &client,
        "production",
        "tbyte-prod",
        kubernetes::RollbackTarget::Previous,
        "alice-approver@console-one/4",
        Duration::from_secs(120),
    )
    .await
    .unwrap();
    assert_eq!(rolled, workload_names(production));
    assert_eq!(images(&client, production).await, expected_images(to_tag));
    for d in deployments(&client, production).await {
        let annotations = d.metadata.annotations.clone().unwrap();
        // Like `kubectl rollout undo`: the old ReplicaSet comes back as the newest revision.
        assert_eq!(annotations["deployment.kubernetes.io/revision"], "3");
        let status = d.status.unwrap();
        assert_eq!(status.ready_replicas, Some(production.replicas));
    }
}

async fn view_until(
    view: &tokio::sync::watch::Receiver<sluice_kube::ClusterView>,
    what: &str,
    ok: impl Fn(&sluice_kube::ClusterView) -> bool,
) {
    let mut view = view.clone();
    let waited = tokio::time::timeout(Duration::from_secs(90), async {
        loop {
            if ok(&view.borrow_and_update()) {
                return;
            }
            view.changed().await.unwrap();
        }
    })
    .await;
    if waited.is_err() {
        panic!("timed out waiting for {what}: {:#?}", *view.borrow());
    }
}

fn ledger_entry(
    login: &str,
    environment: &str,
    version: &str,
) -> sluice_core::quorum::LedgerApproval {
    sluice_core::quorum::LedgerApproval {
        environment: environment.into(),
        login: login.into(),
        version: version.into(),
        sha: None,
        from: Some("aaaaaaa".into()),
        at: "2026-12-06T10:00:00Z".into(),
        comment: None,
    }
}

/// The approvals ledgers: one person's approvals written at once from two consoles are both
/// kept (one creates the ConfigMap, the other patches it), every ledger of the namespace is read
/// by a cluster source watching them by label and read back from the API server, a new approval
/// replaces the person's earlier one; a viewer is refused in RBAC's own words.
async fn approvals_ledger(t: &Target) {
    use sluice_kube::write::ledger;
    let (a, b) = (
        t.client("tbyte").await,
        t.client("tbyte@alice-approver").await,
    );
    let (in_production, in_staging) = (
        ledger_entry("alice-approver", "production", "bbbbbbb"),
        ledger_entry("alice-approver", "staging", "bbbbbbb"),
    );
    let (x, y) = tokio::join!(
        ledger::record(&a, "production", &in_production),
        ledger::record(&b, "production", &in_staging)
    );
    x.unwrap();
    y.unwrap();
    ledger::record(
        &a,
        "production",
        &ledger_entry("erin-approver", "production", "bbbbbbb"),
    )
    .await
    .unwrap();
    let maps: Api<ConfigMap> = Api::namespaced(a.clone(), "production");
    let alice = sluice_core::quorum::ledger_name("alice-approver");
    let keys =
        |m: &ConfigMap| -> Vec<String> { m.data.clone().unwrap_or_default().into_keys().collect() };
    assert_eq!(
        keys(&maps.get(&alice).await.unwrap()),
        ["production", "staging"]
    );
    let (_source, view) = sluice_kube::ClusterSource::start_with(
        a.clone(),
        "production",
        env("production").release,
        sluice_kube::SourceOptions {
            ledger: true,
            ..Default::default()
        },
    );
    view_until(&view, "the three approvals read from the ledgers", |v| {
        v.synced && v.inputs.approvals.len() == 3
    })
    .await;
    ledger::record(
        &a,
        "production",
        &ledger_entry("alice-approver", "production", "ccccccc"),
    )
    .await
    .unwrap();
    view_until(&view, "alice's production approval replaced", |v| {
        v.inputs.approvals.iter().any(|e| {
            e.login == "alice-approver" && e.environment == "production" && e.version == "ccccccc"
        })
    })
    .await;
    let (now, problems) = ledger::read(&a, "production").await.unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(now.len(), 3);
    let err = ledger::record(
        &t.client("tbyte@vera-viewer").await,
        "production",
        &ledger_entry("vera-viewer", "production", "ccccccc"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, KubePromotionError::Forbidden(ref m)
            if m.contains("User \"vera-viewer\" cannot patch resource \"configmaps\"")),
        "{err}"
    );
    for login in ["alice-approver", "erin-approver"] {
        maps.delete(
            &sluice_core::quorum::ledger_name(login),
            &DeleteParams::default(),
        )
        .await
        .unwrap();
    }
}

/// A cluster source keeps following after the apiserver restarts: the next release shows.
async fn watch_recovery(t: &Target, tag: &str) {
    let staging = env("staging");
    let client = t.client("tbyte").await;
    let (_source, view) =
        sluice_kube::ClusterSource::start(client.clone(), staging.namespace, staging.release);
    view_until(&view, "the first view", |v| v.synced && v.connected).await;
    t.restart_apiserver().await;
    // After the restart the same client works, and the same watches deliver the next release.
    t.helm_upgrade(staging, tag, &["--atomic", "--wait", "--timeout", "2m"]);
    let want: Vec<String> = expected_images(tag);
    view_until(&view, "the release after the restart", |v| {
        v.connected
            && v.inputs
                .helm_history
                .first()
                .is_some_and(|h| h.revision == 3)
            && want
                .iter()
                .all(|i| v.inputs.images.iter().any(|r| &r.image == i))
    })
    .await;
    rolled_out(&client, staging).await;
}

/// `sluice status --json`: versions, replica counts, Helm revisions, healthy rollouts.
async fn status_reports(t: &Target, expected: &[(&str, &str, u32, u32)]) {
    let s = t.status_json().await;
    let envs = s["environments"].as_array().unwrap();
    let names: Vec<&str> = envs.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dev", "staging", "production"], "{s:#}");
    for (name, version, replicas, revision) in expected {
        let e = envs.iter().find(|e| e["name"] == *name).unwrap();
        assert_eq!(
            e["version"]["label"],
            *version,
            "{name} on the {}: {e:#}",
            t.name()
        );
        assert_eq!(e["health"], "healthy", "{name}: {e:#}");
        assert_eq!(e["stale"], false, "{name}: {e:#}");
        assert_eq!(e["problems"], json!([]), "{name}: {e:#}");
        assert!(e["rollout"].is_null(), "{name} is still rolling out: {e:#}");
        let workloads = e["workloads"].as_array().unwrap();
        assert_eq!(workloads.len(), 2, "{name}: {e:#}");
        for w in workloads {
            for field in ["desired", "updated", "ready", "available"] {
                assert_eq!(w[field], *replicas, "{name} {field}: {w:#}");
            }
        }
        let helm = &e["helmHistory"];
        assert_eq!(helm[0]["revision"], *revision, "{name}: {helm:#}");
        assert_eq!(helm[0]["status"], "deployed", "{name}: {helm:#}");
        assert_eq!(
            helm[0]["chart"], "tbyte-microservices-0.1.0",
            "{name}: {helm:#}"
        );
        assert_eq!(
            helm.as_array().unwrap().len(),
            *revision as usize,
            "{name}: {helm:#}"
        );
    }
    let kube = s["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|src| src["name"] == "kubernetes (tbyte)")
        .unwrap_or_else(|| panic!("{s:#}"));
    assert_eq!(kube["connected"], true, "{kube:#}");
}

/// `kubectl get svc,ing -n production` lists the chart's Services and Ingress as a real
/// apiserver prints them, and the objects are what the apiserver makes of Helm's: a cluster IP
/// allocated, the Service defaults filled in, an empty load-balancer status, Helm's ownership.
async fn services_and_ingress(t: &Target) {
    let listed = t.kubectl(&["get", "svc,ing", "-n", "production"]);
    let rows: Vec<Vec<&str>> = listed
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|cells| cells.first().is_some_and(|c| *c != "NAME"))
        .collect();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no {name} on the {}:\n{listed}", t.name()))
    };
    let client = t.client("tbyte").await;
    let services: Api<Service> = Api::namespaced(client.clone(), "production");
    for (service, port) in [("api", 8080), ("web", 3000)] {
        let name = format!("tbyte-prod-{service}");
        // NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE
        let cells = row(&format!("service/{name}"));
        assert_eq!(
            (cells[1], cells[3], cells[4]),
            ("ClusterIP", "<none>", format!("{port}/TCP").as_str()),
            "{listed}"
        );
        let svc = services.get(&name).await.unwrap();
        let spec = svc.spec.clone().unwrap();
        let ip = spec.cluster_ip.clone().unwrap();
        assert!(ip.parse::<Ipv4Addr>().is_ok(), "cluster IP {ip}");
        assert_eq!(cells[2], ip);
        assert_eq!(spec.cluster_ips, Some(vec![ip.clone()]));
        assert_eq!(spec.ip_families, Some(vec!["IPv4".to_owned()]));
        assert_eq!(spec.ip_family_policy.as_deref(), Some("SingleStack"));
        assert_eq!(spec.session_affinity.as_deref(), Some("None"));
        assert_eq!(spec.internal_traffic_policy.as_deref(), Some("Cluster"));
        assert_eq!(spec.external_traffic_policy, None);
        assert_eq!(
            serde_json::to_value(&spec.ports).unwrap(),
            json!([{"port": port, "protocol": "TCP", "targetPort": port}])
        );
        assert_eq!(
            serde_json::to_value(&spec.selector).unwrap(),
            json!({"app.kubernetes.io/instance": "tbyte-prod", "app.kubernetes.io/name": format!("tbyte-{service}")})
        );
        assert_eq!(
            serde_json::to_value(&svc.status).unwrap(),
            json!({"loadBalancer": {}})
        );
        assert_helm_owns(&svc.metadata, "tbyte-prod", "production");
    }
    // NAME CLASS HOSTS ADDRESS PORTS AGE, the address empty: no controller serves it.
    let cells = row("ingress.networking.k8s.io/tbyte-prod");
    assert_eq!(
        (cells[1], cells[2], cells[3]),
        ("<none>", "tbyte.local", "80"),
        "{listed}"
    );
    let ingresses: Api<Ingress> = Api::namespaced(client, "production");
    let ing = ingresses.get("tbyte-prod").await.unwrap();
    assert_eq!(ing.metadata.generation, Some(1));
    let rule = &ing.spec.as_ref().unwrap().rules.as_ref().unwrap()[0];
    assert_eq!(rule.host.as_deref(), Some("tbyte.local"));
    let backends: Vec<(String, String, i32)> = rule
        .http
        .as_ref()
        .unwrap()
        .paths
        .iter()
        .map(|p| {
            let svc = p.backend.service.as_ref().unwrap();
            (
                p.path.clone().unwrap_or_default(),
                svc.name.clone(),
                svc.port.as_ref().unwrap().number.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        backends,
        [
            ("/api".to_owned(), "tbyte-prod-api".to_owned(), 8080),
            ("/".to_owned(), "tbyte-prod-web".to_owned(), 3000)
        ]
    );
    assert_eq!(
        serde_json::to_value(&ing.status).unwrap(),
        json!({"loadBalancer": {}})
    );
    assert_helm_owns(&ing.metadata, "tbyte-prod", "production");
}

/// What Helm sets on every object it makes, and that it made it as field manager `helm`.
fn assert_helm_owns(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    release: &str,
    namespace: &str,
) {
    let labels = meta.labels.as_ref().unwrap();
    assert_eq!(labels["app.kubernetes.io/managed-by"], "Helm");
    let annotations = meta.annotations.as_ref().unwrap();
    assert_eq!(annotations["meta.helm.sh/release-name"], release);
    assert_eq!(annotations["meta.helm.sh/release-namespace"], namespace);
    let managers: Vec<(String, String)> = meta
        .managed_fields
        .iter()
        .flatten()
        .filter(|m| m.subresource.is_none())
        .map(|m| {
            (
                m.manager.clone().unwrap_or_default(),
                m.operation.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(managers, [("helm".to_owned(), "Update".to_owned())]);
}

/// `helm upgrade --atomic --wait` of an image whose pods crash: Helm gives up at its timeout
/// and rolls back through the API, so the release's previous revision runs again (as a new
/// revision, "Rollback to 1") and the failed one is recorded as failed.
async fn atomic_upgrade_rolls_back(t: &Target, good_tag: &str) {
    let dev = env("dev");
    if let Cluster::Sim(world) = &t.cluster {
        for s in SERVICES {
            world
                .kube
                .break_image(&image(s, CRASHING_TAG), Breakage::CrashLoop);
        }
    }
    let started = Instant::now();
    let set = format!("image.tag={CRASHING_TAG}");
    let flags = [
        "--set",
        set.as_str(),
        "--atomic",
        "--wait",
        "--timeout",
        "15s",
    ];
    let out = t.helm(&upgrade_command(dev, &flags));
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "a crashing release went through on the {}: {}",
        t.name(),
        text(&out.stdout)
    );
    assert!(
        stderr.contains("Error: UPGRADE FAILED: release tbyte-dev failed, and has been rolled back due to atomic being set: context deadline exceeded"),
        "{stderr}"
    );
    eprintln!(
        "[{}] helm --atomic failed and rolled back in {:.1} s",
        t.name(),
        started.elapsed().as_secs_f64()
    );
    let client = t.client("tbyte").await;
    let history = helm_history(&client, dev).await;
    let revisions: Vec<(u32, &str, &str, &str)> = history
        .iter()
        .map(|(s, r)| {
            (
                r.revision,
                r.status.as_str(),
                label(s, "status"),
                r.description.as_str(),
            )
        })
        .collect();
    assert_eq!(
        revisions,
        [
            (1, "superseded", "superseded", "Install complete"),
            (
                2,
                "failed",
                "failed",
                "Upgrade \"tbyte-dev\" failed: context deadline exceeded"
            ),
            (3, "deployed", "deployed", "Rollback to 1"),
        ]
    );
    assert_eq!(
        history[2].1.values, history[0].1.values,
        "rev 1's values again"
    );
    rolled_out(&client, dev).await;
    assert_eq!(images(&client, dev).await, expected_images(good_tag));
    for d in deployments(&client, dev).await {
        let status = d.status.unwrap();
        assert_eq!(status.ready_replicas, Some(dev.replicas));
        assert_eq!(status.updated_replicas, Some(dev.replicas));
    }
}

/// The whole suite, in order, against one target.
/// A cluster source with a short silence limit on a settled namespace: it stays connected for
/// three limits (kube-apiserver sends no bookmark while nothing of a kind moves; the source's
/// quiet check is answered), a frozen API server makes it stale with the reason, and the thaw
/// brings it back.
async fn silence_and_freeze(t: &Target) {
    let silence = Duration::from_secs(10);
    let e = env("production");
    let (_source, mut views) = sluice_kube::ClusterSource::start_with_silence_limit(
        t.client("tbyte").await,
        e.namespace,
        e.release,
        silence,
    );
    let name = t.name();
    until(
        &mut views,
        Duration::from_secs(60),
        "the source to sync",
        |v| v.synced && v.connected,
    )
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"));

    let mut watching = views.clone();
    let went_stale = tokio::spawn(async move { watching.wait_for(|v| !v.connected).await.is_ok() });
    tokio::time::sleep(silence * 3).await;
    assert!(
        !went_stale.is_finished(),
        "{}: a healthy, quiet API server went stale: {:?}",
        t.name(),
        views.borrow().last_error
    );
    went_stale.abort();

    let frozen = t.freeze_apiserver();
    let stale = until(
        &mut views,
        Duration::from_secs(120),
        "the freeze noticed",
        |v| !v.connected,
    )
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let error = stale.last_error.unwrap_or_default();
    assert!(
        error.contains("sent nothing — no change, no bookmark, no answer — for 10 s"),
        "{name}: {error}"
    );
    assert!(
        !stale.inputs.workloads.is_empty(),
        "{name}: the last known state is kept"
    );
    drop(frozen);
    until(&mut views, Duration::from_secs(120), "the thaw", |v| {
        v.connected
    })
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"));
}

async fn suite(t: &Target) {
    let started = Instant::now();
    let step = |what: &str| {
        eprintln!(
            "[{} +{:>5.1}s] {what}",
            t.name(),
            started.elapsed().as_secs_f64()
        )
    };
    let app_version = chart_app_version();
    step("version and health endpoints");
    versions_and_health(t).await;
    step("the seed's helm commands, each followed by sluice status --json");
    t.seed([1, 1, 1]).await;
    step("replica counts, images, values, rollouts");
    seeded_releases(t).await;
    step("kubectl get svc,ing: the chart's Services and Ingress");
    services_and_ingress(t).await;
    step("Helm history decoded from Helm's Secrets");
    helm_history_after_install(t).await;
    step("sluice status --json after the seed");
    status_reports(
        t,
        &[
            ("dev", &app_version, 1, 1),
            ("staging", &app_version, 2, 1),
            ("production", &app_version, 3, 1),
        ],
    )
    .await;
    step("a quiet cluster source stays live; a frozen API server makes it stale until thawed");
    silence_and_freeze(t).await;
    step("access reviews per person");
    access_reviews(t).await;
    step("server-side apply conflicts with Helm's fields");
    apply_conflicts_with_helm(t).await;
    step("Lease concurrency: stale replace and stale delete refused");
    lease_preconditions(t).await;
    step(
        "the approvals ledgers: concurrent writes kept, watched by label, read back, a viewer refused",
    );
    approvals_ledger(t).await;
    step("a new release in staging (helm --wait)");
    t.helm_upgrade(env("staging"), "bbbbbbb", &["--wait"]);
    rolled_out(&t.client("tbyte").await, env("staging")).await;
    helm_history_after_upgrade(t, "bbbbbbb").await;
    step("promotion staging → production under the Lease, a second console refused");
    promotion_under_the_lease(t, "bbbbbbb").await;
    step("rollback of production");
    rollback(t, &app_version).await;
    step("watch recovery after an apiserver restart (helm --atomic --wait --timeout 2m)");
    watch_recovery(t, "ccccccc").await;
    step("a crashing release in dev, rolled back by helm --atomic");
    atomic_upgrade_rolls_back(t, &app_version).await;
    step("sluice status --json after them");
    status_reports(
        t,
        &[
            ("dev", &app_version, 1, 3),
            ("staging", "ccccccc", 2, 3),
            ("production", &app_version, 3, 1),
        ],
    )
    .await;
    step("the seed's helm commands again, as upgrades");
    t.seed([4, 4, 2]).await;
    let client = t.client("tbyte").await;
    for e in &ENVS {
        rolled_out(&client, e).await;
    }
    status_reports(
        t,
        &[
            ("dev", &app_version, 1, 4),
            ("staging", &app_version, 2, 4),
            ("production", &app_version, 3, 2),
        ],
    )
    .await;
    step(
        "the helm method: staging → production by Sluice, a second console refused, a bad release rolled back",
    );
    helm_method::helm_method(t).await;
    step("done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs helm built from source: make conformance-control-plane"]
async fn simulated_world() {
    let t = Target::simulated().await;
    suite(&t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the control plane built from source: make conformance-control-plane"]
async fn real_control_plane() {
    let t = Target::real();
    suite(&t).await;
}
