//! Watches: newline-delimited JSON events over a chunked response, resuming from a
//! resourceVersion, with bookmarks, selectors (objects entering and leaving them), and
//! `410 Gone` as an ERROR event when the version has been compacted away.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::api::selectors;
use super::resources::ResourceType;
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{Change, ChangeType};
use super::table;
use super::world::KubeWorld;

struct Filter {
    rt: &'static ResourceType,
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, o: &Value) -> bool {
        let ns_ok = self
            .namespace
            .as_deref()
            .is_none_or(|ns| o["metadata"]["namespace"].as_str() == Some(ns));
        ns_ok && self.labels.matches(o) && self.fields.matches(o)
    }

    /// The event a filtered watcher sees for this change, if any.
    fn event_for(&self, change: &Change) -> Option<ChangeType> {
        if change.kind != self.rt.kind {
            return None;
        }
        let now = self.matches(&change.object);
        let before = change.previous.as_deref().is_some_and(|p| self.matches(p));
        match change.change {
            ChangeType::Added => now.then_some(ChangeType::Added),
            ChangeType::Deleted => before.then_some(ChangeType::Deleted),
            ChangeType::Modified => match (before, now) {
                (true, true) => Some(ChangeType::Modified),
                (false, true) => Some(ChangeType::Added),
                (true, false) => Some(ChangeType::Deleted),
                (false, false) => None,
            },
        }
    }
}

struct Encoder {
    rt: &'static ResourceType,
    table: bool,
    include_object: String,
    world: KubeWorld,
}

impl Encoder {
    fn event(&self, kind: &str, object: &Value) -> Bytes {
        let object = if self.table && kind != "BOOKMARK" && kind != "ERROR" {
            table::table(
                self.rt.kind,
                &[object],
                &self.include_object,
                json!({"resourceVersion": object["metadata"]["resourceVersion"]}),
                self.world.clock.now(),
            )
        } else {
            object.clone()
        };
        let mut line = json!({"type": kind, "object": object}).to_string();
        line.push('\n');
        Bytes::from(line)
    }

    fn bookmark(&self, rv: u64, initial_events_end: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_events_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        self.event("BOOKMARK", &json!({"kind": self.rt.kind_name, "apiVersion": self.rt.api_version(), "metadata": meta}))
    }
}

pub fn serve(
    world: KubeWorld,
    rt: &'static ResourceType,
    namespace: Option<String>,
    params: &HashMap<String, String>,
    accept: &str,
) -> Response {
    let (labels, fields) = match selectors(params) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let filter = Filter {
        rt,
        namespace,
        labels,
        fields,
    };
    let encoder = Encoder {
        rt,
        table: table::wants_table(accept),
        include_object: params.get("includeObject").cloned().unwrap_or_default(),
        world: world.clone(),
    };
    let bookmarks = params
        .get("allowWatchBookmarks")
        .is_some_and(|b| b == "true" || b == "1");
    let send_initial = params.get("sendInitialEvents").is_some_and(|b| b == "true");
    let timeout = params
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1800));
    let from_rv: Option<u64> = params
        .get("resourceVersion")
        .filter(|rv| !rv.is_empty() && rv.as_str() != "0")
        .and_then(|rv| rv.parse().ok());

    // Snapshot and subscribe under one lock, so no change falls between them.
    let (initial, mut last_rv, mut changes) = {
        let state = world.lock();
        let rx = state.store.subscribe();
        let current = state.store.resource_version();
        let initial: Result<Vec<(ChangeType, Arc<Value>)>, _> = match (from_rv, send_initial) {
            (Some(rv), false) => state.store.changes_since(rv).map(|cs| {
                cs.iter()
                    .filter_map(|c| filter.event_for(c).map(|t| (t, c.object.clone())))
                    .collect()
            }),
            _ => Ok(state
                .store
                .list(rt.kind, filter.namespace.as_deref())
                .into_iter()
                .filter(|o| filter.matches(o))
                .map(|o| (ChangeType::Added, o))
                .collect()),
        };
        (initial, current, rx)
    };
    let initial = match initial {
        Ok(events) => events,
        Err(gone) => {
            // The apiserver answers a compacted version with 200 and one ERROR event.
            let line = encoder.event("ERROR", &gone.to_status());
            return ([(header::CONTENT_TYPE, "application/json")], line).into_response();
        }
    };

    let (tx, rx) = mpsc::channel::<Bytes>(256);
    tokio::spawn(async move {
        for (kind, object) in &initial {
            if tx.send(encoder.event(kind.as_str(), object)).await.is_err() {
                return;
            }
        }
        if send_initial && tx.send(encoder.bookmark(last_rv, true)).await.is_err() {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let interval = world.lock().bookmark_interval;
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = ticker.tick(), if bookmarks => {
                    let rv = world.lock().store.resource_version();
                    last_rv = last_rv.max(rv);
                    if tx.send(encoder.bookmark(last_rv, false)).await.is_err() {
                        return;
                    }
                }
                change = changes.recv() => match change {
                    Ok(change) => {
                        if change.rv <= last_rv {
                            continue;
                        }
                        last_rv = change.rv;
                        if let Some(kind) = filter.event_for(&change)
                            && tx.send(encoder.event(kind.as_str(), &change.object)).await.is_err() {
                                return;
                            }
                    }
                    // Too slow a reader: end the watch; the client resumes from its last version.
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    let stream = tokio_stream_from(rx).map(Ok::<_, Infallible>);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

fn tokio_stream_from(mut rx: mpsc::Receiver<Bytes>) -> impl futures::Stream<Item = Bytes> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
