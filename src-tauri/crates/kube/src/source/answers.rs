//! Noticing that the API server answers again. kube-runtime's watcher re-establishes a watch
//! silently (its success is no event, and bookmarks are swallowed), so in a quiet namespace a
//! source that only learnt from events would look disconnected long after the server came back.
//! The source's client is wrapped so that every successful response is reported, stamped.

use std::time::Instant;

use tokio::sync::mpsc;

/// `client`, reporting the instant of every 2xx response on `answered`.
pub(super) fn observed(
    client: kube::Client,
    answered: mpsc::UnboundedSender<Instant>,
) -> kube::Client {
    let namespace = client.default_namespace().to_owned();
    let service = tower::service_fn(move |request: http::Request<kube::client::Body>| {
        let client = client.clone();
        let answered = answered.clone();
        async move {
            let response = client.send(request).await?;
            if response.status().is_success() {
                // The source may be gone while a request is in flight; nothing to tell then.
                let _ = answered.send(Instant::now());
            }
            Ok::<_, kube::Error>(response)
        }
    });
    kube::Client::new(service, namespace)
}
