//! A Kubernetes client for one kubeconfig context, exactly as kubectl would build it:
//! the file from `--kubeconfig` or `$KUBECONFIG` (or ~/.kube/config), exec plugins included.

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot read the kubeconfig: {0}")]
    Kubeconfig(#[source] kube::config::KubeconfigError),
    #[error("kube context `{context}` is not in the kubeconfig")]
    UnknownContext {
        context: String,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("cannot build a client for kube context `{context}`")]
    Client {
        context: String,
        #[source]
        source: kube::Error,
    },
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
    kube::Client::try_from(config).map_err(|source| ConnectError::Client {
        context: context.to_owned(),
        source,
    })
}
