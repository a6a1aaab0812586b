//! A Kubernetes client for one kubeconfig context, exactly as kubectl would build it:
//! the file from `--kubeconfig` or `$KUBECONFIG` (or ~/.kube/config), exec plugins included.

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot read the kubeconfig: {0}")]
    Kubeconfig(#[source] kube::config::KubeconfigError),
    #[error("kube context `{context}` cannot be used: {source}")]
    UnknownContext {
        context: String,
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// Not a `#[source]`: the cause is told by [`crate::errors::describe`] only, because its
    /// own text can quote an exec plugin's output (a credential).
    #[error(
        "cannot build a client for kube context `{context}`: {}",
        crate::errors::describe(error)
    )]
    Client { context: String, error: kube::Error },
}

/// Builds a client for `context` from `kubeconfig`, or from the default locations when `None`.
pub async fn connect(
    kubeconfig: Option<&Path>,
    context: &str,
) -> Result<kube::Client, ConnectError> {
    let file = match kubeconfig {
        Some(path) => Kubeconfig::read_from(path).map_err(ConnectError::Kubeconfig)?,
        None => Kubeconfig::read().map_err(ConnectError::Kubeconfig)?,
    };
    let options = KubeConfigOptions {
        context: Some(context.to_owned()),
        ..KubeConfigOptions::default()
    };
    let config = kube::Config::from_custom_kubeconfig(file, &options)
        .await
        .map_err(|source| ConnectError::UnknownContext {
            context: context.to_owned(),
            source,
        })?;
    kube::Client::try_from(config).map_err(|error| ConnectError::Client {
        context: context.to_owned(),
        error,
    })
}
