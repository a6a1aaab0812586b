//! The promotion lock: a `coordination.k8s.io/v1` Lease per environment, taken with
//! optimistic concurrency, so that two consoles (or two clicks) cannot promote at once. A
//! console that dies stops renewing; the Lease expires and the next promotion may proceed.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, DeleteParams, PostParams};
use serde_json::json;

/// The Lease's name in the target namespace.
pub const LEASE_NAME: &str = "sluice-promotion";
/// How long a holder that stopped renewing keeps the lock.
pub const LEASE_SECONDS: i32 = 30;

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("promotion in progress by {holder}")]
    Held { holder: String },
    /// Words only (see [`crate::errors`]): kube's error can quote an exec plugin's output.
    #[error("the promotion lock could not be taken: {0}")]
    Kube(String),
}

fn kube_failure(error: kube::Error) -> LeaseError {
    LeaseError::Kube(crate::errors::describe(&error))
}

/// A held lock; it is renewed in the background until released or dropped.
pub struct Held {
    api: Api<Lease>,
    identity: String,
    renewer: tokio::task::JoinHandle<()>,
}

fn now() -> MicroTime {
    MicroTime(k8s_openapi::jiff::Timestamp::now())
}

fn expired(lease: &Lease) -> bool {
    let Some(spec) = &lease.spec else {
        return true;
    };
    if spec
        .holder_identity
        .as_deref()
        .unwrap_or_default()
        .is_empty()
    {
        return true;
    }
    let (Some(renewed), Some(seconds)) = (&spec.renew_time, spec.lease_duration_seconds) else {
        return true;
    };
    let until = renewed
        .0
        .checked_add(k8s_openapi::jiff::SignedDuration::from_secs(i64::from(
            seconds,
        )));
    until.map_or(true, |t| t < k8s_openapi::jiff::Timestamp::now())
}

/// The person part of a holder identity (`alice-approver@host/1234/…` → `alice-approver`).
fn person(identity: &str) -> String {
    identity.split('@').next().unwrap_or(identity).to_owned()
}

fn lease(identity: &str, resource_version: Option<String>, seconds: i32) -> Lease {
    let mut l: Lease = serde_json::from_value(json!({
        "metadata": {"name": LEASE_NAME, "labels": {"app.kubernetes.io/managed-by": "sluice"}},
        "spec": {"holderIdentity": identity, "leaseDurationSeconds": seconds},
    }))
    .unwrap_or_default();
    l.metadata.resource_version = resource_version;
    if let Some(spec) = l.spec.as_mut() {
        spec.acquire_time = Some(now());
        spec.renew_time = Some(now());
    }
    l
}

/// Takes the lock for `identity`, or says who holds it.
pub async fn acquire(api: Api<Lease>, identity: &str) -> Result<Held, LeaseError> {
    acquire_for(api, identity, LEASE_SECONDS).await
}

/// [`acquire`] with a chosen lease duration (renewed every third of it).
pub async fn acquire_for(
    api: Api<Lease>,
    identity: &str,
    seconds: i32,
) -> Result<Held, LeaseError> {
    match api.get_opt(LEASE_NAME).await.map_err(kube_failure)? {
        None => {
            api.create(&PostParams::default(), &lease(identity, None, seconds))
                .await
                .map_err(|e| contended(e, identity))?;
        }
        Some(current) if expired(&current) => {
            // Replacing with the read resourceVersion: of two consoles racing here, one wins.
            let rv = current.metadata.resource_version.clone();
            api.replace(
                LEASE_NAME,
                &PostParams::default(),
                &lease(identity, rv, seconds),
            )
            .await
            .map_err(|e| contended(e, identity))?;
        }
        Some(current) => {
            let holder = current
                .spec
                .and_then(|s| s.holder_identity)
                .unwrap_or_default();
            return Err(LeaseError::Held {
                holder: person(&holder),
            });
        }
    }
    let renewer = tokio::spawn(renew(api.clone(), identity.to_owned(), seconds));
    Ok(Held {
        api,
        identity: identity.to_owned(),
        renewer,
    })
}

/// Losing a create or replace race means another console took the lock first.
fn contended(e: kube::Error, identity: &str) -> LeaseError {
    match &e {
        kube::Error::Api(status) if status.code == 409 => LeaseError::Held {
            holder: format!("another console (not {})", person(identity)),
        },
        _ => kube_failure(e),
    }
}

async fn renew(api: Api<Lease>, identity: String, seconds: i32) {
    let period = Duration::from_millis(u64::try_from(seconds.max(1)).unwrap_or(1) * 1000 / 3);
    let mut tick = tokio::time::interval(period);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Ok(Some(mut current)) = api.get_opt(LEASE_NAME).await else {
            continue;
        };
        if current
            .spec
            .as_ref()
            .and_then(|s| s.holder_identity.as_deref())
            != Some(identity.as_str())
        {
            return;
        }
        if let Some(spec) = current.spec.as_mut() {
            spec.renew_time = Some(now());
        }
        let _ = api
            .replace(LEASE_NAME, &PostParams::default(), &current)
            .await;
    }
}

impl Held {
    /// Releases the lock (deleting the Lease only if it is still ours).
    pub async fn release(self) {
        self.renewer.abort();
        if let Ok(Some(current)) = self.api.get_opt(LEASE_NAME).await
            && current
                .spec
                .as_ref()
                .and_then(|s| s.holder_identity.as_deref())
                == Some(self.identity.as_str())
        {
            let params = DeleteParams {
                preconditions: Some(kube::api::Preconditions {
                    resource_version: current.metadata.resource_version.clone(),
                    uid: None,
                }),
                ..DeleteParams::default()
            };
            let _ = self.api.delete(LEASE_NAME, &params).await;
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // Not released (a panic or a cancelled task): stop renewing so the Lease expires.
        self.renewer.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_or_old_lease_is_expired() {
        assert!(expired(&Lease::default()));
        let mut l = lease("alice@h/1", None, LEASE_SECONDS);
        assert!(!expired(&l));
        if let Some(s) = l.spec.as_mut() {
            s.renew_time = Some(MicroTime("2020-01-01T00:00:00Z".parse().unwrap()));
        }
        assert!(expired(&l));
        assert_eq!(person("alice-approver@host/42/x"), "alice-approver");
    }
}
