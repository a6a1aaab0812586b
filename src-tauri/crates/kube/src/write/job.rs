//! The smoke test of a verification: a Job made from the pipeline's template in the
//! environment's namespace, created with the person's credentials and watched (not polled)
//! until Kubernetes says it is `Complete` or `Failed`.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, PostParams};
use kube::runtime::wait::await_condition;
use serde_json::{Value, json};

use super::WriteError;

/// How a smoke-test Job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    Succeeded,
    /// Kubernetes' reason and message (`BackoffLimitExceeded: Job has reached …`).
    Failed(String),
}

/// What each label on the Job says: who made it and for what.
pub struct JobLabels<'a> {
    pub environment: &'a str,
    pub version: &'a str,
}

/// How long a finished smoke-test Job is kept (for `kubectl logs`) before Kubernetes removes it,
/// unless the template says.
const KEPT_AFTER: u64 = 3600;

/// Creates the Job `manifest` describes in `namespace`, under a name of its own
/// (`<template name>-<random>`), limited to `limit` of running unless the template limits it
/// itself, and returns that name.
pub async fn start(
    client: &kube::Client,
    namespace: &str,
    manifest: &Value,
    labels: &JobLabels<'_>,
    limit: Duration,
) -> Result<String, WriteError> {
    let mut manifest = manifest.clone();
    if let Some(spec) = manifest["spec"].as_object_mut() {
        spec.entry("activeDeadlineSeconds")
            .or_insert_with(|| json!(limit.as_secs()));
        spec.entry("ttlSecondsAfterFinished")
            .or_insert_with(|| json!(KEPT_AFTER));
    }
    let base = manifest["metadata"]["name"]
        .as_str()
        .or(manifest["metadata"]["generateName"].as_str())
        .unwrap_or("sluice-verify")
        .trim_end_matches('-')
        .to_owned();
    let meta = manifest["metadata"]
        .as_object_mut()
        .ok_or_else(|| WriteError::Kube("the Job template has no metadata".into()))?;
    meta.remove("name");
    meta.remove("resourceVersion");
    meta.insert("generateName".into(), json!(format!("{base}-")));
    meta.insert("namespace".into(), json!(namespace));
    let label_map = meta
        .entry("labels")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| WriteError::Kube("the Job template's labels are not a map".into()))?;
    label_map.insert("app.kubernetes.io/managed-by".into(), json!("sluice"));
    label_map.insert("sluice.dev/verifies".into(), json!(labels.environment));
    // Label values allow [-._a-zA-Z0-9], 63 characters at most.
    let version: String = labels
        .version
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-._".contains(*c))
        .take(63)
        .collect();
    label_map.insert("sluice.dev/version".into(), json!(version));
    let job: Job = serde_json::from_value(manifest)
        .map_err(|e| WriteError::Kube(format!("the Job template is not a Job: {e}")))?;
    let api: Api<Job> = Api::namespaced(client.clone(), namespace);
    let created = api
        .create(&PostParams::default(), &job)
        .await
        .map_err(WriteError::of_write)?;
    created
        .metadata
        .name
        .ok_or_else(|| WriteError::Kube("Kubernetes did not name the Job".into()))
}

/// A Job under way: dropped before it ended (the verification ended first, or stopped waiting),
/// it is deleted with its pods, so that no smoke test keeps running in the environment.
pub struct Running {
    client: kube::Client,
    namespace: String,
    name: String,
    ended: bool,
}

impl Running {
    pub fn new(client: &kube::Client, namespace: &str, name: &str) -> Self {
        Self {
            client: client.clone(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            ended: false,
        }
    }

    /// It ended by itself: nothing to delete.
    pub fn ended(&mut self) {
        self.ended = true;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let api: Api<Job> = Api::namespaced(self.client.clone(), &self.namespace);
        let name = std::mem::take(&mut self.name);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let background = kube::api::DeleteParams::background();
                if let Err(e) = api.delete(&name, &background).await {
                    tracing::warn!(job = %name, error = %e, "a smoke-test Job left running could not be deleted");
                }
            });
        }
    }
}

/// Waits for Job `name` to end, at most `limit`.
pub async fn wait(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    limit: Duration,
) -> Result<Option<JobEnd>, WriteError> {
    let api: Api<Job> = Api::namespaced(client.clone(), namespace);
    let ended = |job: Option<&Job>| end_of(job).is_some();
    match tokio::time::timeout(limit, await_condition(api, name, ended)).await {
        Err(_) => Ok(None),
        Ok(Err(e)) => Err(WriteError::Kube(format!("watching Job `{name}`: {e}"))),
        Ok(Ok(job)) => Ok(end_of(job.as_ref())),
    }
}

fn end_of(job: Option<&Job>) -> Option<JobEnd> {
    let conditions = job?.status.as_ref()?.conditions.as_ref()?;
    conditions
        .iter()
        .filter(|c| c.status == "True")
        .find_map(|c| match c.type_.as_str() {
            "Complete" => Some(JobEnd::Succeeded),
            "Failed" => Some(JobEnd::Failed(
                [c.reason.as_deref(), c.message.as_deref()]
                    .into_iter()
                    .flatten()
                    .map(sluice_core::text::visible)
                    .collect::<Vec<_>>()
                    .join(": "),
            )),
            _ => None,
        })
}
