//! The audit journal: a durable local record of every promotion, approval, rejection and
//! rollback attempt, kept in the app's data directory (`…/sluice/audit/journal.jsonl`).
//!
//! Why it survives crashes:
//! - it is append-only, one self-checksummed line per entry ([`line`]), written with a single
//!   `write_all` on an `O_APPEND` file and `fsync`ed before [`Journal::append`] returns, so an
//!   entry is committed exactly when `append` returned `Ok`;
//! - writers hold an exclusive file lock (and, within a process, a mutex) while appending, so
//!   two consoles never interleave bytes within a line;
//! - bytes after the last newline can only come from a writer that died mid-line. Under the
//!   lock they are copied to `journal.jsonl.corrupt-<time>` and cut off, and reported. Lines in
//!   the middle that fail their checksum are reported and skipped, never rewritten: rewriting
//!   the file would race with other processes holding it open for appending.

pub mod export;
mod line;

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use sluice_core::UiError;
use sluice_core::audit::{AuditEntry, AuditProblem, AuditResult};

/// Overrides the journal's location (tests, e2e, several profiles on one machine).
pub const PATH_ENV: &str = "SLUICE_AUDIT_JOURNAL";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("there is no data directory for this user to keep the audit journal in")]
    NoDataDir,
    #[error("audit journal {}: cannot {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("cannot encode an audit entry: {0}")]
    Encode(#[source] serde_json::Error),
}

impl JournalError {
    pub fn to_ui(&self) -> UiError {
        let hint = match self {
            Self::NoDataDir => "set SLUICE_AUDIT_JOURNAL to a writable file path",
            Self::Io { .. } => {
                "check that the audit directory is writable and the disk is not full; \
                 nothing is promoted without an audit entry"
            }
            Self::Encode(_) => "report this as a bug",
        };
        UiError::new("audit.journal", self.to_string(), hint)
    }
}

fn io_err(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> JournalError {
    let path = path.to_path_buf();
    move |source| JournalError::Io {
        path,
        action,
        source,
    }
}

/// `$SLUICE_AUDIT_JOURNAL`, else `<data dir>/audit/journal.jsonl`
/// (`~/.local/share/sluice/audit/journal.jsonl` on Linux).
pub fn default_path() -> Result<PathBuf, JournalError> {
    if let Some(p) = std::env::var_os(PATH_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("dev", "sluice", "sluice")
        .map(|d| d.data_dir().join("audit").join("journal.jsonl"))
        .ok_or(JournalError::NoDataDir)
}

/// A new entry id, unique across processes on this machine.
pub fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = Timestamp::now().as_nanosecond();
    format!("{nanos:x}-{:x}-{n:x}", std::process::id())
}

/// Now, as the RFC 3339 text entries carry.
pub fn now() -> String {
    Timestamp::now().to_string()
}

/// Which entries to show. Every set field must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub environment: Option<String>,
    /// A GitHub login; logins are case-insensitive.
    pub person: Option<String>,
    pub result: Option<AuditResult>,
    /// Inclusive.
    pub since: Option<Timestamp>,
    /// Exclusive.
    pub until: Option<Timestamp>,
}

impl AuditFilter {
    pub fn matches(&self, e: &AuditEntry) -> bool {
        let at = e.at.parse::<Timestamp>().ok();
        self.environment
            .as_ref()
            .is_none_or(|env| *env == e.environment)
            && self
                .person
                .as_ref()
                .is_none_or(|p| p.eq_ignore_ascii_case(&e.actor))
            && self.result.is_none_or(|r| r == e.result)
            && self.since.is_none_or(|s| at.is_some_and(|at| at >= s))
            && self.until.is_none_or(|u| at.is_some_and(|at| at < u))
    }
}

/// Entries read from the journal, and the lines that could not be trusted.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub entries: Vec<AuditEntry>,
    pub problems: Vec<AuditProblem>,
}

pub struct Journal {
    path: PathBuf,
    /// The mutex orders appends within this process: a file lock is held per open file, so it
    /// does not exclude two threads sharing one.
    file: Mutex<File>,
    recovered: Mutex<Vec<AuditProblem>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

/// Holds the file lock until dropped, on every path out of a function.
struct Locked<'a>(&'a File);

impl<'a> Locked<'a> {
    fn exclusive(file: &'a File, path: &Path) -> Result<Self, JournalError> {
        file.lock().map_err(io_err(path, "lock"))?;
        Ok(Self(file))
    }

    fn shared(file: &'a File, path: &Path) -> Result<Self, JournalError> {
        file.lock_shared().map_err(io_err(path, "lock"))?;
        Ok(Self(file))
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Makes a new directory entry durable. Windows cannot open directories and persists entries
/// with the file's own flush.
fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir, "sync the directory"))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl Journal {
    /// Opens the journal at [`default_path`].
    pub fn open_default() -> Result<Self, JournalError> {
        Self::open(default_path()?)
    }

    /// Opens (creating if needed) the journal at `path`, setting aside an unfinished last line.
    /// What was set aside or found corrupt is in [`Journal::recovered`].
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, JournalError> {
        let path = path.into();
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        if !dir.exists() {
            std::fs::create_dir_all(&dir).map_err(io_err(&dir, "create the directory"))?;
            if let Some(parent) = dir.parent().filter(|d| !d.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        }
        let mut options = OpenOptions::new();
        options.read(true).append(true);
        let file = match options.clone().create_new(true).open(&path) {
            Ok(f) => {
                sync_dir(&dir)?;
                f
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                options.open(&path).map_err(io_err(&path, "open"))?
            }
            Err(e) => return Err(io_err(&path, "create")(e)),
        };
        let recovered = {
            let _lock = Locked::exclusive(&file, &path)?;
            recover(&file, &path)?
        };
        for p in &recovered {
            tracing::warn!(journal = %path.display(), line = p.line, reason = %p.reason,
                set_aside = ?p.set_aside, "audit journal problem");
        }
        Ok(Self {
            path,
            file: Mutex::new(file),
            recovered: Mutex::new(recovered),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines found unfinished or corrupt when the journal was opened or appended to, with
    /// where unfinished bytes were set aside. For the person to see, once, at start-up.
    pub fn recovered(&self) -> Vec<AuditProblem> {
        self.recovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Appends `entry` durably: when this returns `Ok`, the entry survives a crash.
    pub fn append(&self, entry: &AuditEntry) -> Result<(), JournalError> {
        let line = line::encode(entry).map_err(JournalError::Encode)?;
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let _lock = Locked::exclusive(&file, &self.path)?;
        if ends_unfinished(&file, &self.path)? {
            // Another process died mid-line since we opened: cut it off before our line is
            // glued to it.
            let found = recover(&file, &self.path)?;
            self.recovered
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(found);
        }
        let before = file.metadata().map_err(io_err(&self.path, "stat"))?.len();
        if let Err(e) = (&*file).write_all(&line) {
            // Leave no half line behind (a full disk, say).
            let _ = file.set_len(before);
            return Err(io_err(&self.path, "append")(e));
        }
        file.sync_data().map_err(io_err(&self.path, "fsync"))
    }

    /// Every verified entry in file (append) order.
    pub fn read(&self) -> Result<Listing, JournalError> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let bytes = {
            let _lock = Locked::shared(&file, &self.path)?;
            read_all(&file, &self.path)?
        };
        let scan = line::scan(&bytes);
        let mut problems = problems_of(&scan.problems);
        if let Some(torn) = scan.torn {
            problems.push(AuditProblem {
                line: torn.line,
                reason: "unfinished last line (the writer stopped mid-write)".to_owned(),
                set_aside: None,
            });
        }
        Ok(Listing {
            entries: scan.entries.into_iter().map(|(_, e)| e).collect(),
            problems,
        })
    }

    /// The entries matching `filter`, newest first (entries with the same time: last written
    /// first).
    pub fn query(&self, filter: &AuditFilter) -> Result<Listing, JournalError> {
        let mut listing = self.read()?;
        listing.entries.retain(|e| filter.matches(e));
        listing.entries.reverse();
        // Stable: ties keep the reversed file order. Unparseable times sort last.
        listing
            .entries
            .sort_by_key(|e| std::cmp::Reverse(e.at.parse::<Timestamp>().ok()));
        Ok(listing)
    }

    /// `started` entries with no outcome: attempts whose console stopped before finishing
    /// (or that are still running in another console). Newest first.
    pub fn interrupted(&self) -> Result<Vec<AuditEntry>, JournalError> {
        let entries = self.query(&AuditFilter::default())?.entries;
        let finished: std::collections::HashSet<&str> = entries
            .iter()
            .filter(|e| e.result != AuditResult::Started)
            .map(|e| e.correlation.as_str())
            .collect();
        Ok(entries
            .iter()
            .filter(|e| e.result == AuditResult::Started)
            .filter(|e| !finished.contains(e.correlation.as_str()))
            .cloned()
            .collect())
    }
}

fn problems_of(found: &[(u32, String)]) -> Vec<AuditProblem> {
    found
        .iter()
        .map(|(line, reason)| AuditProblem {
            line: *line,
            reason: reason.clone(),
            set_aside: None,
        })
        .collect()
}

fn read_all(mut file: &File, path: &Path) -> Result<Vec<u8>, JournalError> {
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(io_err(path, "read"))?;
    Ok(bytes)
}

/// Whether the file does not end with a newline. The caller holds the lock.
fn ends_unfinished(mut file: &File, path: &Path) -> Result<bool, JournalError> {
    let len = file.metadata().map_err(io_err(path, "stat"))?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))
        .and_then(|_| file.read_exact(&mut last))
        .map_err(io_err(path, "read"))?;
    Ok(last[0] != b'\n')
}

/// Scans the whole file; copies an unfinished last line aside and cuts it off. Returns every
/// problem found. The caller holds the exclusive lock, so no live writer is mid-line.
fn recover(file: &File, path: &Path) -> Result<Vec<AuditProblem>, JournalError> {
    let bytes = read_all(file, path)?;
    let scan = line::scan(&bytes);
    let mut problems = problems_of(&scan.problems);
    if let Some(torn) = scan.torn {
        let tail = &bytes[torn.offset..];
        let aside = set_aside(path, tail)?;
        file.set_len(torn.offset as u64)
            .and_then(|_| file.sync_all())
            .map_err(io_err(path, "cut off an unfinished line"))?;
        problems.push(AuditProblem {
            line: torn.line,
            reason: format!(
                "unfinished last line ({} bytes; the writer stopped mid-write), removed from the journal",
                tail.len()
            ),
            set_aside: Some(aside.display().to_string()),
        });
    }
    Ok(problems)
}

/// Writes `bytes` durably to a new `<journal>.corrupt-<time>` beside the journal.
fn set_aside(path: &Path, bytes: &[u8]) -> Result<PathBuf, JournalError> {
    let now = Timestamp::now();
    let stamp = format!(
        "{}{:09}",
        now.strftime("%Y%m%dT%H%M%S"),
        now.subsec_nanosecond()
    );
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "journal.jsonl".to_owned());
    let mut attempt = 0u32;
    loop {
        let suffix = if attempt == 0 {
            String::new()
        } else {
            format!("-{attempt}")
        };
        let aside = path.with_file_name(format!("{name}.corrupt-{stamp}{suffix}"));
        match OpenOptions::new().write(true).create_new(true).open(&aside) {
            Ok(mut f) => {
                f.write_all(bytes)
                    .and_then(|_| f.sync_all())
                    .map_err(io_err(&aside, "write"))?;
                if let Some(dir) = aside.parent().filter(|d| !d.as_os_str().is_empty()) {
                    sync_dir(dir)?;
                }
                return Ok(aside);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 1000 => attempt += 1,
            Err(e) => return Err(io_err(&aside, "create")(e)),
        }
    }
}
