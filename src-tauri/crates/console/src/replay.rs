//! Recording a promotion's rollout for replay, beside the journal: `replays/<correlation>.jsonl`,
//! a header line, then one line per change of the target environment as the live view showed
//! it (the time since the start and the environment's state). Private like the journal (0600 in
//! 0700), written line by line so that a crash keeps what was seen, and capped: a rollout that
//! runs on is not a reason to fill the disk.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sluice_core::UiError;
use sluice_core::replay::{Replay, ReplayFrame};
use sluice_core::snapshot::{EnvironmentState, Snapshot};
use tokio::sync::watch;
use tokio::time::Instant;

/// At most this many frames are kept per recording (a rollout of 3 replicas takes some dozens).
pub const MAX_FRAMES: usize = 5_000;
/// A recording file larger than this is not read whole.
const MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    correlation: String,
    environment: String,
    started_at: String,
}

/// Where the replays of the journal at `journal` are kept.
pub fn dir_of(journal: &Path) -> PathBuf {
    journal.parent().unwrap_or(Path::new(".")).join("replays")
}

/// An attempt id as a file name: journal ids are hex and dashes; anything else is refused.
fn file_of(dir: &Path, correlation: &str) -> Option<PathBuf> {
    (!correlation.is_empty()
        && correlation.len() <= 64
        && correlation
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-'))
    .then(|| dir.join(format!("{correlation}.jsonl")))
}

/// Whether attempt `correlation` has a recording to replay.
pub fn exists(dir: &Path, correlation: &str) -> bool {
    file_of(dir, correlation).is_some_and(|p| p.is_file())
}

/// A recording under way; it stops when dropped.
pub struct Recording(tokio::task::JoinHandle<()>);

impl Drop for Recording {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts recording `environment` from the live view `snapshots` for attempt `correlation`.
/// Not being able to record is logged, never a reason to stop a promotion.
pub fn record(
    dir: &Path,
    correlation: &str,
    environment: &str,
    snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
) -> Option<Recording> {
    let path = file_of(dir, correlation)?;
    let opened = crate::private::create_dir(dir).and_then(|()| {
        crate::private::tighten(dir, 0o700);
        crate::private::create_file(&path)
    });
    let mut file = match opened {
        Ok(f) => std::io::BufWriter::new(f),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot record the rollout for replay");
            return None;
        }
    };
    let header = Header {
        correlation: correlation.to_owned(),
        environment: environment.to_owned(),
        started_at: crate::journal::now(),
    };
    let environment = environment.to_owned();
    Some(Recording(tokio::spawn(async move {
        let mut snapshots = snapshots;
        let started = Instant::now();
        let mut last: Option<EnvironmentState> = None;
        let mut frames = 0usize;
        if !write_line(&mut file, &header) {
            return;
        }
        loop {
            let state = snapshots.borrow_and_update().as_deref().and_then(|s| {
                s.environments
                    .iter()
                    .find(|e| e.name == environment)
                    .map(playable)
            });
            if let Some(state) = state
                && last.as_ref() != Some(&state)
            {
                let frame = ReplayFrame {
                    at_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    state: state.clone(),
                };
                if frames >= MAX_FRAMES || !write_line(&mut file, &frame) {
                    return;
                }
                frames += 1;
                last = Some(state);
            }
            if snapshots.changed().await.is_err() {
                return;
            }
        }
    })))
}

/// What a replay shows of the environment: its rollout, not the values Helm deployed it with
/// (which may hold credentials) nor its Helm history, which would repeat in every frame.
fn playable(state: &EnvironmentState) -> EnvironmentState {
    EnvironmentState {
        deployed_values: None,
        helm_history: std::sync::Arc::default(),
        ..state.clone()
    }
}

/// One JSON line, flushed at once so that a crash keeps what was seen; false when it failed.
fn write_line(file: &mut impl Write, value: &impl Serialize) -> bool {
    let ok = serde_json::to_writer(&mut *file, value).is_ok()
        && file.write_all(b"\n").is_ok()
        && file.flush().is_ok();
    if !ok {
        tracing::warn!("the replay recording could not be written; it stops here");
    }
    ok
}

fn not_found(correlation: &str) -> UiError {
    UiError::new(
        "replay.not-found",
        format!("No rollout was recorded for attempt `{correlation}`."),
        "Replays are recorded for promotions made with this version of Sluice on this computer; pick a promotion in the audit view.",
    )
}

/// The recording of attempt `correlation`: what could be read of it (a line that cannot be
/// read is counted, not fatal).
pub fn load(dir: &Path, correlation: &str) -> Result<Replay, UiError> {
    let path = file_of(dir, correlation).ok_or_else(|| not_found(correlation))?;
    let file = std::fs::File::open(&path).map_err(|_| not_found(correlation))?;
    let mut lines = BufReader::new(file.take(MAX_BYTES)).lines();
    let header: Header = lines
        .next()
        .and_then(Result::ok)
        .and_then(|l| serde_json::from_str(&l).ok())
        .ok_or_else(|| {
            UiError::new(
                "replay.unreadable",
                format!("The recording of attempt `{correlation}` is damaged: it has no header."),
                format!("Nothing can be replayed from it; it is {}.", path.display()),
            )
        })?;
    let mut frames = Vec::new();
    let mut left_out = 0u32;
    for line in lines {
        match line
            .ok()
            .and_then(|l| serde_json::from_str::<ReplayFrame>(&l).ok())
        {
            Some(frame) if frames.len() < MAX_FRAMES => frames.push(frame),
            _ => left_out = left_out.saturating_add(1),
        }
    }
    // In time order, whatever the file says: playback seeks by time.
    frames.sort_by_key(|f| f.at_ms);
    Ok(Replay {
        correlation: header.correlation,
        environment: header.environment,
        started_at: header.started_at,
        frames,
        left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_journal_ids_name_files_and_a_damaged_recording_is_a_readable_problem() {
        let dir = tempfile::tempdir().unwrap();
        assert!(file_of(dir.path(), "../../etc/passwd").is_none());
        assert!(file_of(dir.path(), "").is_none());
        assert_eq!(
            load(dir.path(), "0123-abcd").unwrap_err().code,
            "replay.not-found"
        );
        std::fs::write(dir.path().join("0123-abcd.jsonl"), "garbage\n").unwrap();
        assert_eq!(
            load(dir.path(), "0123-abcd").unwrap_err().code,
            "replay.unreadable"
        );
        std::fs::write(
            dir.path().join("0123-abcd.jsonl"),
            "{\"correlation\":\"0123-abcd\",\"environment\":\"production\",\"startedAt\":\"2026-12-06T10:00:00Z\"}\nnot a frame\n",
        )
        .unwrap();
        let replay = load(dir.path(), "0123-abcd").unwrap();
        assert_eq!((replay.frames.len(), replay.left_out), (0, 1));
    }
}
