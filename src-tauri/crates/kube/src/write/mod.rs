//! What Sluice changes in a cluster, beside what it reads: the promotion lock (a Lease), the
//! approvals ledger of a gate asking for a quorum, an
//! environment's images set by server-side apply, and a rollback to the previous revision —
//! each only after the cluster itself said the person may, and each followed to its end.

mod access;
mod follow;
pub mod helm;
mod images;
pub mod job;
pub mod lease;
pub mod ledger;
mod rollback;

pub use access::{authorize, can, require};
pub use follow::follow;
pub use images::{Record, set_images};
pub use rollback::{RollbackTarget, rollback};

/// The field manager Sluice's server-side applies use.
pub const FIELD_MANAGER: &str = "sluice";

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The authority (Kubernetes RBAC) said no.
    #[error("Kubernetes refused: {0}")]
    Forbidden(String),
    #[error(transparent)]
    Lease(#[from] lease::LeaseError),
    #[error("nothing to change: {0}")]
    Nothing(String),
    /// The cluster no longer runs what the person reviewed.
    #[error("the release changed while you were reviewing: {0}")]
    Changed(String),
    #[error("the rollout did not finish: {0}")]
    RolloutFailed(String),
    /// Words only (see [`crate::errors`]): kube's error can quote an exec plugin's output.
    #[error("Kubernetes answered with an error: {0}")]
    Kube(String),
}

impl From<kube::Error> for WriteError {
    fn from(error: kube::Error) -> Self {
        Self::Kube(crate::errors::describe(&error))
    }
}

impl WriteError {
    /// A write's error: a 403 is RBAC's answer, kept in its words; anything else a failure.
    pub(crate) fn of_write(e: kube::Error) -> Self {
        match &e {
            kube::Error::Api(s) if s.code == 403 => Self::Forbidden(s.message.clone()),
            _ => Self::from(e),
        }
    }

    /// The cluster (RBAC, or another console's lock) said no, as opposed to a failure.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Forbidden(_) | Self::Lease(_) | Self::Changed(_))
    }
}
