//! Keeping an attempt's record while it runs (see [`crate::evidence::record`]): started with
//! the review as shown and the Helm revision before, then every progress line of its
//! environment with its time, the environment as the live view shows it each time that
//! changes (the rollout as the cluster saw it), and the verification's result; beside it, the
//! environment's whole state at each change for replay ([`crate::replay`]). Dropping the
//! [`Recording`] (on any way out of the attempt) closes both.

use std::sync::{Arc, Mutex};

use sluice_core::audit::AuditEntry;
use sluice_core::evidence::{RecordEvent, TimelineSource, VerificationResult, cluster_line};
use sluice_core::pipeline::{PromotionMethod, Verify};
use sluice_core::review::Review;
use sluice_core::snapshot::Snapshot;
use tokio::sync::{broadcast, oneshot, watch};

use super::verify::Verified;
use super::{Setup, method_of, methods};
use crate::evidence::record::Writer;
use crate::journal::Journal;

/// The record of a running attempt; inert when it could not be created.
pub(super) struct Recording {
    writer: Option<Arc<Mutex<Writer>>>,
    stop: Option<oneshot::Sender<()>>,
    _replay: Option<crate::replay::Recording>,
}

fn lock(writer: &Mutex<Writer>) -> std::sync::MutexGuard<'_, Writer> {
    writer.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts the record of `started` (just journaled), holding `review` as the person saw it.
pub(super) async fn start(
    setup: &Setup,
    journal: &Journal,
    started: &AuditEntry,
    review: Option<&Review>,
) -> Recording {
    // Before anything runs, so that no line of this attempt is missed.
    let lines = setup.progress.subscribe();
    let replay = crate::replay::record(
        &crate::replay::dir_of(journal.path()),
        &started.correlation,
        &started.environment,
        setup.snapshots.clone(),
    );
    let helm = setup
        .pipeline
        .environment(&started.environment)
        .ok()
        .filter(|env| method_of(env) == PromotionMethod::Helm);
    let helm_before = match helm {
        Some(env) => methods::helm::deployed_revision(setup, &env.name).await,
        None => None,
    };
    let first = RecordEvent::Started {
        at: crate::journal::now(),
        correlation: started.correlation.clone(),
        environment: started.environment.clone(),
        review: review.cloned().map(Box::new),
        helm_release: helm.map(|env| env.release.clone()),
        helm_before,
    };
    let writer = match Writer::create(journal.path(), &first) {
        Ok(w) => Arc::new(Mutex::new(w)),
        Err(e) => {
            tracing::warn!(correlation = %started.correlation, error = %e,
                "cannot keep this attempt's record: its evidence will lack the review, timeline and verification");
            return Recording {
                writer: None,
                stop: None,
                _replay: replay,
            };
        }
    };
    let (stop, stopped) = oneshot::channel();
    let sink = Sink {
        lines,
        snapshots: setup.snapshots.clone(),
        writer: writer.clone(),
        environment: started.environment.clone(),
        seen: None,
    };
    tokio::spawn(follow(sink, stopped));
    Recording {
        writer: Some(writer),
        stop: Some(stop),
        _replay: replay,
    }
}

/// Receives the progress lines and the snapshots; dropped (when stopped, or with the runtime)
/// it takes what is left in the channel, looks at the environment once more and closes the
/// record.
struct Sink {
    lines: broadcast::Receiver<sluice_core::desk::ProgressLine>,
    snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    writer: Arc<Mutex<Writer>>,
    environment: String,
    /// The environment's last line as seen, so that only changes are recorded.
    seen: Option<String>,
}

impl Sink {
    fn take(&self, line: &sluice_core::desk::ProgressLine) {
        if line.environment == self.environment {
            lock(&self.writer).line(crate::journal::now(), &line.line, TimelineSource::Sluice);
        }
    }

    /// The environment as the latest snapshot shows it, when that changed since last seen.
    fn look(&mut self) {
        let latest = self.snapshots.borrow_and_update().clone();
        let Some(env) = latest
            .as_deref()
            .and_then(|s| s.environments.iter().find(|e| e.name == self.environment))
        else {
            return;
        };
        let line = cluster_line(env);
        if self.seen.as_ref() != Some(&line) {
            lock(&self.writer).line(crate::journal::now(), &line, TimelineSource::Cluster);
            self.seen = Some(line);
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        loop {
            match self.lines.try_recv() {
                Ok(line) => self.take(&line),
                Err(broadcast::error::TryRecvError::Lagged(n)) => lock(&self.writer).missed(n),
                Err(_) => break,
            }
        }
        self.look();
        lock(&self.writer).end(crate::journal::now());
    }
}

async fn follow(mut sink: Sink, mut stopped: oneshot::Receiver<()>) {
    sink.look();
    let mut watching = true;
    loop {
        tokio::select! {
            changed = sink.snapshots.changed(), if watching => match changed {
                Ok(()) => sink.look(),
                Err(_) => watching = false,
            },
            line = sink.lines.recv() => match line {
                Ok(line) => sink.take(&line),
                Err(broadcast::error::RecvError::Lagged(n)) => lock(&sink.writer).missed(n),
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = &mut stopped => return,
        }
    }
}

impl Recording {
    /// Records how verification ended, and hands the result on.
    pub(super) fn verified(&self, rules: &Verify, verified: Verified) -> Verified {
        if let Some(writer) = &self.writer {
            let (held, reason) = match &verified {
                Verified::Held => (true, None),
                Verified::Broke { reason, .. } => (false, Some(reason.clone())),
            };
            lock(writer).event(&RecordEvent::Verified(VerificationResult {
                at: crate::journal::now(),
                for_seconds: rules.for_seconds,
                held,
                reason,
            }));
        }
        verified
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
