//! What the API server's answers tell about the connection: that it answers again, and that it
//! went silent.
//!
//! kube-runtime's watcher re-establishes a watch silently (its success is no event, and
//! bookmarks are swallowed), so in a quiet namespace a source that only learnt from events
//! would look disconnected long after the server came back. The source's client is wrapped so
//! that every successful response is reported, stamped.
//!
//! A frozen server (`kill -STOP`, a stalled proxy, a dead network path without a reset) keeps
//! its connections open and sends nothing: the watches neither end nor fail, and the source
//! would show its last state as live. Every response body is therefore watched too: when
//! nothing at all — no object, no bookmark, no answer — has come from the server on any of the
//! source's connections for the silence limit, each body fails with [`Silent`], which ends its
//! watch (the watcher resumes it from its last resourceVersion) and marks the source
//! disconnected until the server answers again. A request whose answer does not start within the
//! limit fails the same way.
//!
//! A quiet namespace is no frozen server, and bookmarks cannot tell them apart: kube-apiserver
//! sends a bookmark only once the watched kind's resourceVersion has moved somewhere in the
//! cluster (1.33 sent none in 130 s on quiet Deployment, ConfigMap and Event watches that asked
//! for them), and none at all on Events, which it serves without its watch cache. So once the
//! source has heard nothing for half the limit, it asks the server for its version
//! ([`ask_when_quiet`]): one small request, whose answer counts like any other.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;
use tokio::time::Sleep;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Nothing came from the API server for this long, on any of the source's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the API server sent nothing — no change, no bookmark, no answer — for {} s: it may be frozen, overloaded or cut off; what is shown is the last known state",
    .0.as_secs_f64()
)]
pub struct Silent(pub Duration);

/// The [`Silent`] in `error` or its causes, if that is why it failed. kube wraps a body's error
/// in an `io::Error`, whose `source` skips it, so each `io::Error` is looked into too.
pub(super) fn silent_in(error: &(dyn std::error::Error + 'static)) -> Option<Silent> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(silent) = e.downcast_ref::<Silent>() {
            return Some(*silent);
        }
        if let Some(silent) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<Silent>())
        {
            return Some(*silent);
        }
        current = e.source();
    }
    None
}

/// When anything last came from the server, on any of the source's connections.
#[derive(Clone)]
pub(super) struct Heard(Arc<Mutex<tokio::time::Instant>>);

impl Heard {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(tokio::time::Instant::now())))
    }

    fn now(&self) -> tokio::time::Instant {
        let now = tokio::time::Instant::now();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = now;
        now
    }

    fn last(&self) -> tokio::time::Instant {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `client`, reporting the instant of every 2xx response on `answered`, and failing any
/// request or response body once the server has been silent for `silence` (see the module);
/// with when the server was last heard.
pub(super) fn observed(
    client: kube::Client,
    answered: mpsc::UnboundedSender<Instant>,
    silence: Duration,
) -> (kube::Client, Heard) {
    let namespace = client.default_namespace().to_owned();
    let heard = Heard::new();
    let last_heard = heard.clone();
    let service = tower::service_fn(move |request: http::Request<kube::client::Body>| {
        let client = client.clone();
        let answered = answered.clone();
        let heard = heard.clone();
        async move {
            let response = match tokio::time::timeout(silence, client.send(request)).await {
                Ok(response) => response.map_err(|e| Box::new(e) as BoxError)?,
                Err(_) => return Err(Box::new(Silent(silence)) as BoxError),
            };
            heard.now();
            if response.status().is_success() {
                // The source may be gone while a request is in flight; nothing to tell then.
                let _ = answered.send(Instant::now());
            }
            Ok::<_, BoxError>(response.map(|body| Watched::new(body, heard, silence)))
        }
    });
    (kube::Client::new(service, namespace), last_heard)
}

/// Asks the server for its version (`GET /version`, open to every authenticated user) whenever
/// `client`'s server has been quiet for half of `silence`, and at most that often: an answer
/// keeps a quiet source live, and none lets its watches fail at the limit. `client` must be
/// the [`observed`] one, so that the answer is heard. Runs until dropped.
pub(super) async fn ask_when_quiet(client: kube::Client, heard: Heard, silence: Duration) {
    let quiet = silence / 2;
    let mut asked = tokio::time::Instant::now();
    loop {
        let due = heard.last().max(asked) + quiet;
        if tokio::time::Instant::now() < due {
            tokio::time::sleep_until(due).await;
            continue;
        }
        asked = tokio::time::Instant::now();
        if let Err(e) = client.apiserver_version().await {
            tracing::debug!(error = %crate::errors::describe(&e), "the API server did not answer a quiet check");
        }
    }
}

/// A response body that fails with [`Silent`] when the source has heard nothing for `silence`.
/// It listens to the whole source, not only to its own connection: one quiet watch is no sign
/// of a frozen server while the others, or the quiet check, hear from it.
struct Watched<B> {
    inner: Pin<Box<B>>,
    heard: Heard,
    silence: Duration,
    deadline: Pin<Box<Sleep>>,
    failed: bool,
}

impl<B> Watched<B> {
    fn new(inner: B, heard: Heard, silence: Duration) -> Self {
        let deadline = Box::pin(tokio::time::sleep_until(heard.last() + silence));
        Self {
            inner: Box::pin(inner),
            heard,
            silence,
            deadline,
            failed: false,
        }
    }
}

impl<B> Body for Watched<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let now = this.heard.now();
                this.deadline.as_mut().reset(now + this.silence);
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        loop {
            if this.deadline.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // Another connection may have heard the server meanwhile.
            let due = this.heard.last() + this.silence;
            if due > tokio::time::Instant::now() {
                this.deadline.as_mut().reset(due);
                continue;
            }
            this.failed = true;
            return Poll::Ready(Some(Err(Box::new(Silent(this.silence)))));
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_found_inside_the_io_error_kube_wraps_it_in() {
        // As kube hands a body's error to the watcher.
        let wrapped = kube::Error::ReadEvents(std::io::Error::other(kube::Error::Service(
            Box::new(Silent(Duration::from_secs(150))),
        )));
        let failure = kube::runtime::watcher::Error::WatchFailed(wrapped);
        assert_eq!(silent_in(&failure), Some(Silent(Duration::from_secs(150))));
        let other = kube::runtime::watcher::Error::WatchFailed(kube::Error::ReadEvents(
            std::io::Error::other("connection reset"),
        ));
        assert_eq!(silent_in(&other), None);
    }
}
