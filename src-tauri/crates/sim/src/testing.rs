//! Test support: the world set-up the crates' test suites share (waiting on a live value, the
//! shipped pipeline, a kubeconfig for the simulated cluster, a Helm deploy as CI runs it).
//! Compiled always so that other crates' tests can use it; the product never calls it. Nothing
//! here panics: failures come back as errors for the test to unwrap.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;

use crate::kube::helm::{self, Upgrade};
use crate::kube::resources::Kind;
use crate::kube::status::ApiError;
use crate::world::SimWorld;

/// The first value of `rx` (the current one included) for which `ok` holds, waiting at most
/// `limit` of real time. The error names `what` was awaited, for the test's failure message.
pub async fn until<T: Clone>(
    rx: &mut watch::Receiver<T>,
    limit: Duration,
    what: &str,
    ok: impl Fn(&T) -> bool,
) -> Result<T, String> {
    match tokio::time::timeout(limit, rx.wait_for(|value| ok(value))).await {
        Ok(Ok(value)) => Ok(value.clone()),
        Ok(Err(_)) => Err(format!("the sender was dropped while waiting for {what}")),
        Err(_) => Err(format!("timed out after {limit:?} waiting for {what}")),
    }
}

/// The repository's `environments/` directory: the shipped pipeline, its values files and the
/// tbyte chart.
pub fn shipped_pipeline_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../environments")
}

/// Writes `dir/kubeconfig` for `world`'s cluster with the given contexts (as the approver, plus
/// `<context>@<login>` for every simulated person) and returns its path.
pub fn write_kubeconfig(
    world: &SimWorld,
    dir: &Path,
    contexts: &[&str],
) -> std::io::Result<PathBuf> {
    let path = dir.join("kubeconfig");
    let contexts: Vec<String> = contexts.iter().map(|c| (*c).to_owned()).collect();
    world.write_kubeconfig(&path, &contexts)?;
    Ok(path)
}

/// `helm upgrade` of `sha` into an environment of the shipped pipeline with that environment's
/// own values file (its replicas, resources, host), the image tag set to the short SHA: what the
/// seed's CI runs.
pub fn deploy_with_values(world: &SimWorld, env: &str, sha: &str) -> Result<u32, ApiError> {
    let (release, ns, file) = match env {
        "dev" => ("tbyte-dev", "dev", "values-dev.yaml"),
        "staging" => ("tbyte-staging", "staging", "values-staging.yaml"),
        _ => ("tbyte-prod", "production", "values-prod.yaml"),
    };
    let mut values = sluice_core::values::read_tree(&shipped_pipeline_dir(), file)
        .map_err(|e| ApiError::bad_request(format!("{file}: {e}")))?;
    let tag = crate::story::short(sha);
    values["image"] = json!({ "tag": tag });
    helm::upgrade(
        &world.kube,
        Upgrade {
            release,
            namespace: ns,
            values,
            version: tag,
            description: None,
        },
    )
}

/// `helm upgrade --install release` of the tbyte chart at commit `sha` into `namespace` with
/// `replicas` replicas, as CI runs it: the image tag and the release's version are the short
/// SHA. Returns the Helm revision.
pub fn deploy(
    world: &SimWorld,
    release: &str,
    namespace: &str,
    replicas: u32,
    sha: &str,
) -> Result<u32, ApiError> {
    let tag = crate::story::short(sha);
    helm::upgrade(
        &world.kube,
        Upgrade {
            release,
            namespace,
            values: json!({"replicaCount": replicas, "image": {"tag": tag}}),
            version: tag,
            description: None,
        },
    )
}

/// Creates `count` warning Events about `object` (kind, name) in `namespace`, as a flood from a
/// crash loop or from anyone allowed to write Events: the `i`th says `message(i)` and was last
/// seen `count - 1 - i` seconds before `newest`, so the last one is the newest.
pub fn warning_events(
    world: &SimWorld,
    namespace: &str,
    object: (&str, &str),
    (count, newest): (u32, jiff::Timestamp),
    message: impl Fn(u32) -> String,
) -> Result<(), ApiError> {
    for i in 0..count {
        let seen = newest - jiff::SignedDuration::from_secs(i64::from(count - 1 - i));
        let seen = seen.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        world.kube.create(
            Kind::Event,
            namespace,
            json!({
                "metadata": {"name": format!("{}.flood{i:06}", object.1), "namespace": namespace},
                "involvedObject": {"kind": object.0, "namespace": namespace, "name": object.1},
                "reason": "BackOff",
                "message": message(i),
                "type": "Warning",
                "count": 1,
                "firstTimestamp": seen,
                "lastTimestamp": seen,
            }),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn until_returns_the_first_value_that_holds_or_says_what_it_waited_for() {
        let (tx, mut rx) = watch::channel(1);
        assert_eq!(
            until(&mut rx, Duration::from_secs(1), "one", |v| *v == 1).await,
            Ok(1),
            "the current value counts"
        );
        let sender = tokio::spawn(async move {
            for v in 2..=5 {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let _ = tx.send(v);
            }
            tx
        });
        assert_eq!(
            until(
                &mut rx,
                Duration::from_secs(5),
                "an even number above 3",
                |v| { *v > 3 && *v % 2 == 0 }
            )
            .await,
            Ok(4)
        );
        let tx = sender.await.unwrap();
        let err = until(&mut rx, Duration::from_millis(20), "seven", |v| *v == 7)
            .await
            .unwrap_err();
        assert!(err.contains("seven") && err.contains("timed out"), "{err}");
        drop(tx);
        let err = until(&mut rx, Duration::from_secs(1), "eight", |v| *v == 8)
            .await
            .unwrap_err();
        assert!(err.contains("eight") && err.contains("dropped"), "{err}");
    }

    #[test]
    fn the_shipped_pipeline_is_where_it_says() {
        assert!(shipped_pipeline_dir().join("pipeline.yaml").is_file());
    }
}
