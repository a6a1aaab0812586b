//! The cluster side of Sluice, reads and writes together: clients per kube context, the cluster
//! source that watches an environment's namespace, Helm releases read from the Secrets Helm
//! itself writes (no helm binary needed, nothing installed in the cluster), and the changes a
//! promotion or rollback makes, under a Lease, after the cluster's own access review.

pub mod client;
pub mod errors;
pub mod helm;
pub mod helm_cli;
pub mod kubeconfig;
pub mod source;
pub mod write;

pub use client::{ConnectError, connect};
pub use source::{ClusterSource, ClusterView, SourceOptions};
