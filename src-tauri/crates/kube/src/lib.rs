//! The cluster side of Sluice: clients per kube context, the cluster source that watches an
//! environment's namespace, and Helm releases read from the Secrets Helm itself writes, so
//! Sluice needs no helm binary and installs nothing in the cluster.

pub mod client;
pub mod errors;
pub mod helm;
pub mod kubeconfig;
pub mod source;

pub use client::{ConnectError, connect};
pub use source::{ClusterSource, ClusterView};
