#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Conformance: kubectl — a client nobody here wrote — against the simulated cluster.
//! Each test starts its own world; the clock runs fast so rollouts finish in about a second.

use std::path::{Path, PathBuf};
use std::process::Output;

use sluice_sim::kube::Breakage;
use sluice_sim::{SimWorld, WorldOptions, testing};

/// kubectl to drive: `SLUICE_KUBECTL`, else the 1.33 client beside gcloud's dispatcher, else PATH.
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

struct Cluster {
    world: SimWorld,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    async fn start() -> Self {
        let world = SimWorld::start(WorldOptions {
            speed: 20.0,
            ..WorldOptions::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = testing::write_kubeconfig(&world, dir.path(), &["tbyte"]).unwrap();
        Self {
            world,
            _dir: dir,
            kubeconfig,
        }
    }

    async fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_stdin(args, None).await
    }

    async fn kubectl_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        use tokio::io::AsyncWriteExt;
        let mut cmd = tokio::process::Command::new(kubectl_binary());
        cmd.arg("--kubeconfig").arg(&self.kubeconfig).args(args);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot run kubectl ({}): {e}; set SLUICE_KUBECTL",
                kubectl_binary().display()
            )
        });
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).await.unwrap();
        }
        drop(pipe);
        tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("kubectl hung")
            .unwrap()
    }

    /// Runs kubectl and returns stdout, failing the test with stderr if it failed.
    async fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs kubectl expecting failure and returns stderr.
    async fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        assert!(
            !out.status.success(),
            "kubectl {args:?} should have failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `kubectl apply` without `--server-side`: kubectl computes the patch itself.
    async fn client_side_apply(&self, manifest: &str) -> String {
        let out = self
            .kubectl_stdin(&["apply", "-f", "-"], Some(manifest))
            .await;
        assert!(
            out.status.success(),
            "apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    async fn apply(&self, manifest: &str) -> String {
        let out = self
            .kubectl_stdin(&["apply", "--server-side", "-f", "-"], Some(manifest))
            .await;
        assert!(
            out.status.success(),
            "apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn deployment(ns: &str, name: &str, image: &str, replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: {replicas}\n  progressDeadlineSeconds: 60\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: {name}\n        image: {image}\n"
    )
}

#[tokio::test]
async fn get_lists_namespaces_and_prints_deployment_columns() {
    let c = Cluster::start().await;
    let ns = c.ok(&["get", "namespaces"]).await;
    for name in ["dev", "staging", "production"] {
        assert!(
            ns.lines()
                .any(|l| l.starts_with(name) && l.contains("Active")),
            "{ns}"
        );
    }
    assert!(
        c.apply(&deployment("staging", "api", "tbyte/api:1", 2))
            .await
            .contains("deployment.apps/api serverside-applied")
    );
    c.ok(&[
        "rollout",
        "status",
        "deploy/api",
        "-n",
        "staging",
        "--timeout=60s",
    ])
    .await;
    let table = c.ok(&["get", "deploy", "-n", "staging"]).await;
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    let row: Vec<&str> = table.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(&row[..4], ["api", "2/2", "2", "2"]);
    let pods = c
        .ok(&[
            "get", "pods", "-n", "staging", "-l", "app=api", "-o", "name",
        ])
        .await;
    assert_eq!(pods.lines().count(), 2, "{pods}");
    let wide = c
        .ok(&["get", "deploy", "api", "-n", "staging", "-o", "wide"])
        .await;
    assert!(
        wide.contains("tbyte/api:1") && wide.contains("app=api"),
        "{wide}"
    );
    let missing = c.fails(&["get", "deploy", "nope", "-n", "staging"]).await;
    assert!(
        missing.contains("(NotFound)") && missing.contains("\"nope\" not found"),
        "{missing}"
    );
}

#[tokio::test]
async fn set_image_history_and_undo() {
    let c = Cluster::start().await;
    c.apply(&deployment("staging", "api", "tbyte/api:1", 2))
        .await;
    c.ok(&[
        "rollout",
        "status",
        "deploy/api",
        "-n",
        "staging",
        "--timeout=60s",
    ])
    .await;
    c.ok(&[
        "set",
        "image",
        "deploy/api",
        "api=tbyte/api:2",
        "-n",
        "staging",
    ])
    .await;
    c.ok(&[
        "annotate",
        "deploy/api",
        "kubernetes.io/change-cause=ship 2",
        "-n",
        "staging",
    ])
    .await;
    c.ok(&[
        "rollout",
        "status",
        "deploy/api",
        "-n",
        "staging",
        "--timeout=60s",
    ])
    .await;
    let history = c
        .ok(&["rollout", "history", "deploy/api", "-n", "staging"])
        .await;
    assert!(
        history
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["2", "ship", "2"]),
        "{history}"
    );

    let undo = c
        .ok(&["rollout", "undo", "deploy/api", "-n", "staging"])
        .await;
    assert!(undo.contains("rolled back"), "{undo}");
    c.ok(&[
        "rollout",
        "status",
        "deploy/api",
        "-n",
        "staging",
        "--timeout=60s",
    ])
    .await;
    let image = c
        .ok(&[
            "get",
            "deploy",
            "api",
            "-n",
            "staging",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
        .await;
    assert_eq!(image, "tbyte/api:1");
    // Revision 1 came back as revision 3, so the history now reads 2, 3.
    let revisions: Vec<String> = c
        .ok(&["rollout", "history", "deploy/api", "-n", "staging"])
        .await
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(revisions, ["2", "3"]);
    let rs = c.ok(&["get", "rs", "-n", "staging", "-o", "name"]).await;
    assert_eq!(
        rs.lines().count(),
        2,
        "a rollback reuses the old ReplicaSet: {rs}"
    );
}

#[tokio::test]
async fn rollout_status_reports_a_stalled_broken_release() {
    let c = Cluster::start().await;
    c.apply(&deployment("staging", "api", "tbyte/api:1", 2))
        .await;
    c.ok(&[
        "rollout",
        "status",
        "deploy/api",
        "-n",
        "staging",
        "--timeout=60s",
    ])
    .await;
    c.world
        .kube
        .break_image("tbyte/api:broken", Breakage::CrashLoop);
    c.ok(&[
        "set",
        "image",
        "deploy/api",
        "api=tbyte/api:broken",
        "-n",
        "staging",
    ])
    .await;
    let err = c
        .fails(&[
            "rollout",
            "status",
            "deploy/api",
            "-n",
            "staging",
            "--timeout=60s",
        ])
        .await;
    assert!(err.contains("exceeded its progress deadline"), "{err}");
    let pods = c.ok(&["get", "pods", "-n", "staging"]).await;
    assert!(
        pods.contains("CrashLoopBackOff") || pods.contains("Error"),
        "{pods}"
    );
    // The old pods keep serving: maxUnavailable 25% of 2 rounds down to 0.
    let ready = c
        .ok(&[
            "get",
            "deploy",
            "api",
            "-n",
            "staging",
            "-o",
            "jsonpath={.status.availableReplicas}",
        ])
        .await;
    assert_eq!(ready, "2");
    let describe = c.ok(&["describe", "deploy", "api", "-n", "staging"]).await;
    assert!(describe.contains("ProgressDeadlineExceeded"), "{describe}");
}

#[tokio::test]
async fn get_watch_streams_changes() {
    let c = Cluster::start().await;
    c.apply(&deployment("dev", "web", "tbyte/web:1", 1)).await;
    c.ok(&[
        "rollout",
        "status",
        "deploy/web",
        "-n",
        "dev",
        "--timeout=60s",
    ])
    .await;
    let mut watch = tokio::process::Command::new(kubectl_binary())
        .arg("--kubeconfig")
        .arg(&c.kubeconfig)
        .args([
            "get",
            "deploy",
            "web",
            "-n",
            "dev",
            "-w",
            "--request-timeout=0",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    c.ok(&["scale", "deploy/web", "--replicas=3", "-n", "dev"])
        .await;
    c.ok(&[
        "rollout",
        "status",
        "deploy/web",
        "-n",
        "dev",
        "--timeout=60s",
    ])
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    watch.start_kill().unwrap();
    let out = watch.wait_with_output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let readiness: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(readiness.first(), Some(&"READY"), "{text}");
    assert!(
        readiness.contains(&"1/1") && readiness.last() == Some(&"3/3"),
        "{text}"
    );
    assert!(
        readiness.iter().any(|r| *r == "1/3" || *r == "2/3"),
        "{text}"
    );
}

#[tokio::test]
async fn auth_can_i_answers_per_person() {
    let c = Cluster::start().await;
    let can = |ctx: &'static str, args: &'static [&'static str]| {
        let c = &c;
        async move {
            let mut full = vec!["--context", ctx, "auth", "can-i"];
            full.extend_from_slice(args);
            let out = c.kubectl(&full).await;
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        }
    };
    assert_eq!(
        can("tbyte", &["patch", "deployments", "-n", "production"]).await,
        "yes"
    );
    assert_eq!(
        can(
            "tbyte@dave-developer",
            &["patch", "deployments", "-n", "production"]
        )
        .await,
        "no"
    );
    assert_eq!(
        can(
            "tbyte@dave-developer",
            &["patch", "deployments", "-n", "staging"]
        )
        .await,
        "yes"
    );
    assert_eq!(
        can("tbyte@vera-viewer", &["list", "pods", "-n", "production"]).await,
        "yes"
    );
    assert_eq!(
        can("tbyte@vera-viewer", &["get", "secrets", "-n", "production"]).await,
        "no"
    );
    // And the server enforces what it says.
    c.apply(&deployment("production", "api", "tbyte/api:1", 1))
        .await;
    let denied = c
        .fails(&[
            "--context",
            "tbyte@dave-developer",
            "set",
            "image",
            "deploy/api",
            "api=x",
            "-n",
            "production",
        ])
        .await;
    assert!(
        denied.contains("forbidden") && denied.contains("dave-developer"),
        "{denied}"
    );
}

#[tokio::test]
async fn server_side_apply_conflicts_like_a_real_apiserver() {
    let c = Cluster::start().await;
    c.apply(&deployment("staging", "api", "tbyte/api:1", 2))
        .await;
    c.ok(&[
        "set",
        "image",
        "deploy/api",
        "api=tbyte/api:2",
        "-n",
        "staging",
    ])
    .await;
    let out = c
        .kubectl_stdin(
            &["apply", "--server-side", "-f", "-"],
            Some(&deployment("staging", "api", "tbyte/api:3", 2)),
        )
        .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("conflict with \"kubectl-set\""),
        "{err}"
    );
    let forced = c
        .kubectl_stdin(
            &["apply", "--server-side", "--force-conflicts", "-f", "-"],
            Some(&deployment("staging", "api", "tbyte/api:3", 2)),
        )
        .await;
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    let image = c
        .ok(&[
            "get",
            "deploy",
            "api",
            "-n",
            "staging",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
        .await;
    assert_eq!(image, "tbyte/api:3");
    let managers = c
        .ok(&[
            "get",
            "deploy",
            "api",
            "-n",
            "staging",
            "--show-managed-fields",
            "-o",
            "jsonpath={.metadata.managedFields[*].manager}",
        ])
        .await;
    assert!(managers.contains("kubectl"), "{managers}");
    // Unknown fields are refused, as with the apiserver's strict field validation.
    let typo =
        deployment("staging", "api", "tbyte/api:3", 2).replace("  replicas: 2", "  replicaz: 2");
    let out = c
        .kubectl_stdin(&["apply", "--server-side", "-f", "-"], Some(&typo))
        .await;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown field \"spec.replicaz\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn describe_shows_replicasets_and_events() {
    let c = Cluster::start().await;
    c.apply(&deployment("dev", "web", "tbyte/web:1", 1)).await;
    c.ok(&[
        "rollout",
        "status",
        "deploy/web",
        "-n",
        "dev",
        "--timeout=60s",
    ])
    .await;
    let d = c.ok(&["describe", "deploy", "web", "-n", "dev"]).await;
    for expected in [
        "Replicas:",
        "1 desired | 1 updated | 1 total | 1 available",
        "NewReplicaSet:",
        "ScalingReplicaSet",
        "tbyte/web:1",
    ] {
        assert!(d.contains(expected), "missing {expected:?} in\n{d}");
    }
    let pod = c.ok(&["get", "pods", "-n", "dev", "-o", "name"]).await;
    let p = c.ok(&["describe", pod.trim(), "-n", "dev"]).await;
    for expected in [
        "Status:",
        "Running",
        "Scheduled",
        "Started",
        "Controlled By:  ReplicaSet/web-",
    ] {
        assert!(p.contains(expected), "missing {expected:?} in\n{p}");
    }
}

/// A Service and an Ingress through kubectl's client-side apply, which computes its strategic
/// merge patch from the `/openapi/v2` schemas (the protobuf form): created, listed as a real
/// cluster lists them, re-applied with a port swapped (merged by `port`, the allocated cluster IP
/// kept); `kubectl explain` reads the same document, `get --raw` its JSON form.
#[tokio::test]
async fn services_and_ingresses_apply_list_and_explain() {
    let c = Cluster::start().await;
    let manifest = |second: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: dev}}\nspec:\n  selector: {{app: web}}\n  ports: [{{name: http, port: 8080}}, {second}]\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: web, namespace: dev}}\nspec:\n  rules:\n  - host: dev.tbyte.local\n    http:\n      paths:\n      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 8080}}}}}}}}\n"
        )
    };
    assert_eq!(
        c.client_side_apply(&manifest("{name: metrics, port: 9090}"))
            .await,
        "service/web created\ningress.networking.k8s.io/web created\n"
    );
    let ip = c
        .ok(&[
            "get",
            "svc",
            "web",
            "-n",
            "dev",
            "-o",
            "jsonpath={.spec.clusterIP}",
        ])
        .await;
    assert!(ip.starts_with("10.96."), "{ip}");

    assert_eq!(
        c.client_side_apply(&manifest("{name: admin, port: 9191}"))
            .await,
        "service/web configured\ningress.networking.k8s.io/web unchanged\n"
    );
    let after = c
        .ok(&[
            "get",
            "svc",
            "web",
            "-n",
            "dev",
            "-o",
            "jsonpath={.spec.clusterIP} {.spec.ports[*].name} {.spec.ports[*].port}",
        ])
        .await;
    assert_eq!(after, format!("{ip} http admin 8080 9191"));

    let listed = c.ok(&["get", "svc,ing", "-n", "dev"]).await;
    let rows: Vec<Vec<&str>> = listed
        .lines()
        .map(|l| l.split_whitespace().collect())
        .filter(|r: &Vec<&str>| r.first().is_some_and(|n| *n != "NAME"))
        .collect();
    assert_eq!(
        rows[0][..5],
        [
            "service/web",
            "ClusterIP",
            ip.as_str(),
            "<none>",
            "8080/TCP,9191/TCP"
        ],
        "{listed}"
    );
    assert_eq!(
        rows[1][..4],
        [
            "ingress.networking.k8s.io/web",
            "<none>",
            "dev.tbyte.local",
            "80"
        ],
        "{listed}"
    );

    let explained = c
        .ok(&[
            "explain",
            "service.spec.ports",
            "--output=plaintext-openapiv2",
        ])
        .await;
    assert!(
        explained.starts_with("KIND:     Service\nVERSION:  v1\n"),
        "{explained}"
    );
    assert!(
        explained.contains("   port\t<integer> -required-\n"),
        "{explained}"
    );
    let raw = c.ok(&["get", "--raw", "/openapi/v2"]).await;
    let doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        doc["definitions"]["io.k8s.api.networking.v1.Ingress"]["x-kubernetes-group-version-kind"],
        serde_json::json!([{"group": "networking.k8s.io", "kind": "Ingress", "version": "v1"}])
    );
}
