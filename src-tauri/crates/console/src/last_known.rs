//! The last complete Snapshot of a pipeline, kept on disk so that the window opens at once on
//! what was last seen (marked as such) and stays readable without a network, and so that
//! `sluice status --offline` can print it.
//!
//! One file per pipeline file (`<data dir>/last-known/<hash of its path>.json`), written whole
//! to a temporary file and renamed over the old one, private (0600 in a 0700 folder). A Snapshot
//! holds no credentials. A file that is damaged, too large or another program's is a readable
//! problem: it is never read as a state, and it is moved aside rather than overwritten.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sluice_core::UiError;
use sluice_core::snapshot::Snapshot;

/// What the envelope says it is.
const FORMAT: &str = "sluice-last-known";
const VERSION: u32 = 1;
/// Far above a pipeline's Snapshot at the largest size measured (30 × 500 workloads); a larger
/// file is not ours.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    format: String,
    version: u32,
    /// The pipeline file it is the state of.
    pipeline: String,
    /// RFC 3339.
    saved_at: String,
    snapshot: Snapshot,
}

/// Where `pipeline_file`'s last-known state lives in `dir`.
pub fn file_in(dir: &Path, pipeline_file: &Path) -> PathBuf {
    let key = pipeline_file
        .canonicalize()
        .unwrap_or_else(|_| pipeline_file.to_path_buf());
    let digest = Sha256::digest(key.to_string_lossy().as_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}.json"))
}

/// `<data dir>/last-known` (`~/.local/share/sluice/last-known` on Linux).
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "sluice", "sluice")
        .map(|d| d.data_dir().join("last-known"))
}

fn problem(path: &Path, what: impl std::fmt::Display) -> UiError {
    UiError::new(
        "last-known.unreadable",
        format!(
            "The last-known state {} cannot be used: {what}.",
            path.display()
        ),
        "Nothing is lost: Sluice reads the clusters and GitHub afresh and keeps a new one. The file is left as it is (or moved aside when a new state is saved).",
    )
}

/// The state kept for `pipeline_file`, marked with when it was saved; `None` when none was.
pub fn load(path: &Path, pipeline_file: &Path) -> Result<Option<Snapshot>, UiError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(problem(path, e)),
    };
    if !meta.is_file() {
        return Err(problem(path, "it is not a regular file"));
    }
    if meta.len() > MAX_BYTES {
        return Err(problem(
            path,
            format!("it is {} bytes, more than a state can be", meta.len()),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| problem(path, e))?;
    let envelope: Envelope = serde_json::from_slice(&bytes)
        .map_err(|e| problem(path, format!("it is not a Sluice state ({e})")))?;
    if envelope.format != FORMAT || envelope.version != VERSION {
        return Err(problem(
            path,
            format!(
                "it is `{}` version {}, not `{FORMAT}` version {VERSION}",
                envelope.format, envelope.version
            ),
        ));
    }
    let expected = pipeline_file.display().to_string();
    if envelope.pipeline != expected {
        return Err(problem(
            path,
            format!(
                "it is the state of {}, not of {expected}",
                envelope.pipeline
            ),
        ));
    }
    let mut snapshot = envelope.snapshot;
    snapshot.last_known = Some(envelope.saved_at);
    for env in &mut snapshot.environments {
        env.stale = true;
    }
    // Nothing of it is live: no source is connected, and none has read anything yet.
    for source in &mut snapshot.sources {
        source.connected = false;
        source.synced = false;
    }
    Ok(Some(snapshot))
}

/// Keeps `snapshot` as `pipeline_file`'s last-known state. A file there that is not a readable
/// state of ours is moved aside first (`<name>.unreadable-<time>`), never overwritten.
pub fn save(
    path: &Path,
    pipeline_file: &Path,
    snapshot: &Snapshot,
    saved_at: &str,
) -> Result<(), UiError> {
    let dir = path
        .parent()
        .ok_or_else(|| problem(path, "it has no folder"))?;
    crate::private::create_dir(dir).map_err(|e| problem(path, e))?;
    crate::private::tighten(dir, 0o700);
    if path.exists() && load(path, pipeline_file).is_err() {
        let aside =
            path.with_extension(format!("unreadable-{}", saved_at.replace([':', '.'], "-")));
        std::fs::rename(path, &aside).map_err(|e| problem(path, e))?;
        tracing::warn!(path = %path.display(), aside = %aside.display(), "an unreadable last-known state was moved aside");
    }
    let envelope = Envelope {
        format: FORMAT.to_owned(),
        version: VERSION,
        pipeline: pipeline_file.display().to_string(),
        saved_at: saved_at.to_owned(),
        snapshot: Snapshot {
            last_known: None,
            ..snapshot.clone()
        },
    };
    let bytes = serde_json::to_vec(&envelope).map_err(|e| problem(path, e))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(problem(path, "the state is larger than a state can be"));
    }
    let temporary = path.with_extension("json.partial");
    let mut file = crate::private::create_file(&temporary).map_err(|e| problem(&temporary, e))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| problem(&temporary, e))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(|e| problem(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests;
