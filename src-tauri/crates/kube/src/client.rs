//! A Kubernetes client for one kubeconfig context, exactly as kubectl would build it:
//! the file from `--kubeconfig` or `$KUBECONFIG` (or ~/.kube/config), exec plugins included.

use std::path::Path;

use kube::config::KubeConfigOptions;

use crate::kubeconfig::KubeconfigProblem;

/// Each cause is kept as words only: kube's own errors can quote the kubeconfig or an exec
/// plugin's output, both of which hold credentials.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot read the kubeconfig: {0}")]
    Kubeconfig(KubeconfigProblem),
    #[error("kube context `{context}` cannot be used: {reason}")]
    Context { context: String, reason: String },
    #[error("cannot build a client for kube context `{context}`: {reason}")]
    Client { context: String, reason: String },
}

/// Builds a client for `context` from `kubeconfig`, or from the default locations when `None`.
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: &str,
) -> Result<kube::Client, ConnectError> {
    let file = crate::kubeconfig::read(kubeconfig).map_err(ConnectError::Kubeconfig)?;
    let options = KubeConfigOptions {
        context: Some(context.to_owned()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(file, &options)
        .await
        .map_err(|e| ConnectError::Context {
            context: context.to_owned(),
            reason: KubeconfigProblem::of(&e).to_string(),
        })?;
    kube::Client::try_from(config).map_err(|e| ConnectError::Client {
        context: context.to_owned(),
        reason: crate::errors::describe(&e),
    })
}
