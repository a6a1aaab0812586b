//! The cluster side of Sluice: clients per kube context, and Helm releases read from the
//! Secrets Helm itself writes, so Sluice needs no helm binary and installs nothing in the cluster.

pub mod client;
pub mod helm;

pub use client::{ConnectError, connect};
