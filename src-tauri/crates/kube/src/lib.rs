//! The cluster side of Sluice. Helm releases are read from the Secrets Helm itself writes, so
//! Sluice needs no helm binary and installs nothing in the cluster.

pub mod helm;
