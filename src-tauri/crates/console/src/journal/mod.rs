//! The audit journal: a durable local record of every promotion, approval, rejection and
//! rollback attempt, kept in the app's data directory (`…/sluice/audit/journal.jsonl`).
//!
//! Why it can be trusted: each line carries the hash of the line before it, and each append
//! keeps the new last line's hash in the OS keychain ([`anchor`]), so `sluice audit --verify`
//! finds a line removed, changed or moved, and lines cut off the end ([`chain`]). Without a
//! keychain the head is not anchored, which is said, never a reason to refuse a promotion.
//!
//! Why it is private: the file is created 0600 in a 0700 folder (tightened when found looser).
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

pub mod anchor;
mod chain;
pub mod export;
mod line;

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use sluice_core::UiError;
use sluice_core::audit::{AuditEntry, AuditProblem, AuditResult, ChainReport};

pub use anchor::Anchor;
use anchor::Head;

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
    #[error("audit journal {}: opened to read only (it or its folder is not writable)", path.display())]
    ReadOnly { path: PathBuf },
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
            Self::ReadOnly { .. } => {
                "make the audit journal and its folder writable by you; nothing is promoted without an audit entry"
            }
        };
        UiError::new("audit.journal", self.to_string(), hint)
    }

    /// The journal may be read but not written here.
    fn is_not_writable(&self) -> bool {
        matches!(self, Self::Io { source, .. } if matches!(
            source.kind(),
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
        ))
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
    default_dir()
        .map(|d| d.join("journal.jsonl"))
        .ok_or(JournalError::NoDataDir)
}

/// `<data dir>/audit`: Sluice's own folder, which it may tighten.
fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "sluice", "sluice").map(|d| d.data_dir().join("audit"))
}

/// A fault for tests of "done, not recorded": after this many appends, this process's appends
/// fail as if the disk were full. Read once, at the first append.
pub const FAULT_FULL_AFTER_ENV: &str = "SLUICE_FAULT_AUDIT_FULL_AFTER";

fn simulated_full_disk() -> bool {
    static AFTER: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    static APPENDS: AtomicU64 = AtomicU64::new(0);
    let Some(after) = *AFTER.get_or_init(|| {
        std::env::var(FAULT_FULL_AFTER_ENV)
            .ok()
            .and_then(|v| v.trim().parse().ok())
    }) else {
        return false;
    };
    APPENDS.fetch_add(1, Ordering::Relaxed) >= after
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

/// What `--verify` says of a journal that does not exist yet.
pub fn empty_report() -> ChainReport {
    ChainReport {
        lines: 0,
        chained: 0,
        legacy: 0,
        head: sluice_core::audit::ChainHead::NotAnchored {
            reason: "there is no journal yet".to_owned(),
        },
        breaks: Vec::new(),
        more_breaks: 0,
    }
}

/// Entries read from the journal, and the lines that could not be trusted.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub entries: Vec<AuditEntry>,
    /// The first problems found; past [`MAX_PROBLEMS`](line::MAX_PROBLEMS) of them, one more
    /// says how many were not listed.
    pub problems: Vec<AuditProblem>,
}

pub struct Journal {
    path: PathBuf,
    /// The mutex orders appends within this process: a file lock is held per open file, so it
    /// does not exclude two threads sharing one.
    file: Mutex<File>,
    /// `false`: opened to read only; appends are refused and torn tails left alone.
    writable: bool,
    recovered: Mutex<Vec<AuditProblem>>,
    anchor: Anchor,
    /// Why the keychain could not keep the head, once it failed: it is not asked again on
    /// every append of this process.
    anchor_down: Mutex<Option<String>>,
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

    /// Opens (creating if needed) the journal at `path` for writing, its head not anchored,
    /// setting aside an unfinished last line. What was set aside or found corrupt is in
    /// [`Journal::recovered`].
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, JournalError> {
        Self::open_anchored(path, Anchor::none())
    }

    /// [`open`](Self::open), keeping the head where `anchor` says after every append.
    pub fn open_anchored(path: impl Into<PathBuf>, anchor: Anchor) -> Result<Self, JournalError> {
        let path = path.into();
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        if !dir.exists() {
            crate::private::create_dir(&dir).map_err(io_err(&dir, "create the directory"))?;
            if let Some(parent) = dir.parent().filter(|d| !d.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        } else if default_dir().is_some_and(|d| d == dir) {
            // Only Sluice's own folder: a folder named by SLUICE_AUDIT_JOURNAL may be shared.
            crate::private::tighten(&dir, 0o700);
        }
        let mut options = crate::private::file_options();
        options.read(true).append(true);
        let file = match options.clone().create_new(true).open(&path) {
            Ok(f) => {
                sync_dir(&dir)?;
                f
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let file = options.open(&path).map_err(io_err(&path, "open"))?;
                crate::private::tighten(&path, 0o600);
                file
            }
            Err(e) => return Err(io_err(&path, "create")(e)),
        };
        let recovered = {
            let _lock = Locked::exclusive(&file, &path)?;
            recover(&file, &path)?
        };
        log_problems(&path, &recovered);
        Ok(Self {
            path,
            file: Mutex::new(file),
            writable: true,
            recovered: Mutex::new(recovered),
            anchor,
            anchor_down: Mutex::new(None),
        })
    }

    /// Opens the existing journal at `path` to read only: nothing in it or beside it is
    /// changed, and appends are refused.
    pub fn open_read_only(path: impl Into<PathBuf>, anchor: Anchor) -> Result<Self, JournalError> {
        let path = path.into();
        let file = File::open(&path).map_err(io_err(&path, "open"))?;
        Ok(Self {
            path,
            file: Mutex::new(file),
            writable: false,
            recovered: Mutex::new(Vec::new()),
            anchor,
            anchor_down: Mutex::new(None),
        })
    }

    /// The existing journal at `path`, for writing when this user may write it (so an
    /// unfinished last line is set aside), else to read only.
    pub fn open_to_read(path: impl Into<PathBuf>, anchor: Anchor) -> Result<Self, JournalError> {
        let path = path.into();
        // Made read-only on purpose (chmod a-w): respected even by a user who could write anyway.
        let read_only = |p: &Path| std::fs::metadata(p).is_ok_and(|m| m.permissions().readonly());
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if read_only(&path) || dir.is_some_and(read_only) {
            return Self::open_read_only(path, anchor);
        }
        match Self::open_anchored(&path, anchor.clone()) {
            Err(e) if e.is_not_writable() => Self::open_read_only(path, anchor),
            other => other,
        }
    }

    pub fn is_writable(&self) -> bool {
        self.writable
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
        self.append_unless(entry, false).map(|_| ())
    }

    /// Appends the outcome `entry` unless its attempt has one already, deciding under the same
    /// lock as the append (two consoles starting at once record it once). `false`: it had one.
    pub fn append_outcome(&self, entry: &AuditEntry) -> Result<bool, JournalError> {
        self.append_unless(entry, true)
    }

    fn append_unless(&self, entry: &AuditEntry, once: bool) -> Result<bool, JournalError> {
        if !self.writable {
            return Err(JournalError::ReadOnly {
                path: self.path.clone(),
            });
        }
        if simulated_full_disk() {
            return Err(io_err(&self.path, "append")(io::Error::new(
                io::ErrorKind::StorageFull,
                format!("no space left on device (simulated by {FAULT_FULL_AFTER_ENV})"),
            )));
        }
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
        if once {
            let bytes = read_all(&file, &self.path)?;
            let scan = line::scan(&bytes);
            if scan
                .entries()
                .any(|e| e.correlation == entry.correlation && e.result != AuditResult::Started)
            {
                return Ok(false);
            }
        }
        let before = file.metadata().map_err(io_err(&self.path, "stat"))?.len();
        let prev = match line_ending_at(&file, &self.path, before)? {
            Some(last) => line::link(&last),
            None => line::GENESIS,
        };
        let line = line::encode(entry, &prev).map_err(JournalError::Encode)?;
        if let Err(e) = (&*file).write_all(&line) {
            // Leave no half line behind (a full disk, say).
            let _ = file.set_len(before);
            return Err(io_err(&self.path, "append")(e));
        }
        file.sync_data().map_err(io_err(&self.path, "fsync"))?;
        let written = line.strip_suffix(b"\n").unwrap_or(&line);
        self.move_head(
            &file,
            Head {
                end: before,
                link: prev,
            },
            Head {
                end: before + line.len() as u64,
                link: line::link(written),
            },
        );
        Ok(true)
    }

    /// Anchors `new` as the head after an append onto `old` (the line appended after). The
    /// caller holds the exclusive lock, so heads are kept in the file's order. A failure is
    /// logged and leaves the head behind, which `--verify` reports: never a failed append.
    fn move_head(&self, file: &File, old: Head, new: Head) {
        if !self.anchor.is_configured() {
            return;
        }
        let mut down = self.anchor_down.lock().unwrap_or_else(|p| p.into_inner());
        if down.is_some() {
            return;
        }
        let warn_down = |down: &mut Option<String>, why: String| {
            tracing::warn!(journal = %self.path.display(), reason = %why,
                "the audit journal's head is not anchored in the keychain: lines removed from its end cannot be detected");
            *down = Some(why);
        };
        let anchored = match self.anchor.load() {
            Ok(h) => h,
            Err(why) => return warn_down(&mut down, why),
        };
        if let Some(anchored) = anchored.filter(|a| *a != old) {
            let still_there = anchored.end < old.end
                && line_ending_at(file, &self.path, anchored.end)
                    .ok()
                    .flatten()
                    .is_some_and(|l| line::link(&l) == anchored.link);
            if !still_there {
                // Moving the head now would hide the change from `--verify`.
                tracing::warn!(journal = %self.path.display(), anchored_end = anchored.end,
                    "the audit journal no longer holds its anchored last line (it was cut short or rewritten); the head stays there until a person checks it (`sluice audit --verify`)");
                return;
            }
            tracing::warn!(journal = %self.path.display(), anchored_end = anchored.end,
                "lines after the audit journal's anchored head were written without anchoring (a console without keychain access, or by hand); the head now covers them");
        }
        if let Err(why) = self.anchor.store(new) {
            warn_down(&mut down, why);
        }
    }

    /// Anchors the journal's current last line as its head, whatever was anchored before: for
    /// a person who checked the breaks `--verify` reported and accepts the journal as it is.
    pub fn reanchor(&self) -> Result<Option<u32>, String> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let _lock = Locked::shared(&file, &self.path).map_err(|e| e.to_string())?;
        let bytes = read_all(&file, &self.path).map_err(|e| e.to_string())?;
        let scan = line::scan(&bytes);
        let Some(last) = scan.lines.last() else {
            return Ok(None);
        };
        self.anchor.store(Head {
            end: last.end as u64,
            link: last.link(&bytes),
        })?;
        Ok(Some(last.number))
    }

    /// Whether every line follows the one before it and the journal still ends with its
    /// anchored head.
    pub fn verify(&self) -> Result<ChainReport, JournalError> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let _lock = Locked::shared(&file, &self.path)?;
        let bytes = read_all(&file, &self.path)?;
        // Read under the lock: writers move the head while holding it exclusively.
        let head = self.anchor.load();
        Ok(chain::verify(&bytes, &line::scan(&bytes), head))
    }

    /// Every verified entry in file (append) order.
    pub fn read(&self) -> Result<Listing, JournalError> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let bytes = {
            let _lock = Locked::shared(&file, &self.path)?;
            read_all(&file, &self.path)?
        };
        let scan = line::scan(&bytes);
        let mut problems = problems_of(&scan);
        if let Some(torn) = scan.torn {
            problems.push(AuditProblem {
                line: torn.line,
                reason: "unfinished last line (the writer stopped mid-write)".to_owned(),
                set_aside: None,
            });
        }
        Ok(Listing {
            entries: scan.entries().cloned().collect(),
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

/// The problems a scan kept, and one more saying how many it did not.
fn problems_of(scan: &line::Scan) -> Vec<AuditProblem> {
    let mut problems: Vec<AuditProblem> = scan
        .problems
        .iter()
        .map(|(line, reason)| AuditProblem {
            line: *line,
            reason: reason.clone(),
            set_aside: None,
        })
        .collect();
    if let Some((first, count)) = scan.omitted {
        problems.push(AuditProblem {
            line: first,
            reason: format!("{count} more lines from here on do not verify (not listed)"),
            set_aside: None,
        });
    }
    problems
}

/// How many problems are logged one by one when a journal is opened; the rest in one line.
const LOGGED_PROBLEMS: usize = 10;

fn log_problems(path: &Path, problems: &[AuditProblem]) {
    for p in problems.iter().take(LOGGED_PROBLEMS) {
        tracing::warn!(journal = %path.display(), line = p.line, reason = %p.reason,
            set_aside = ?p.set_aside, "audit journal problem");
    }
    if problems.len() > LOGGED_PROBLEMS {
        tracing::warn!(journal = %path.display(), more = problems.len() - LOGGED_PROBLEMS,
            "more audit journal problems (`sluice audit` lists them)");
    }
}

/// The line that ends (with its newline) at byte `end`, without the newline; `None` at the
/// start of the file or when no line ends there. Reads backwards, so only that line is read.
fn line_ending_at(mut file: &File, path: &Path, end: u64) -> Result<Option<Vec<u8>>, JournalError> {
    const CHUNK: u64 = 64 * 1024;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut pos = end;
    while pos > 0 {
        let take = CHUNK.min(pos);
        pos -= take;
        let mut chunk = vec![0u8; usize::try_from(take).unwrap_or(0)];
        file.seek(SeekFrom::Start(pos))
            .and_then(|_| file.read_exact(&mut chunk))
            .map_err(io_err(path, "read"))?;
        if chunks.is_empty() && chunk.pop() != Some(b'\n') {
            return Ok(None);
        }
        let start = chunk.iter().rposition(|&b| b == b'\n');
        if let Some(at) = start {
            chunk.drain(..=at);
        }
        chunks.push(chunk);
        if start.is_some() {
            break;
        }
    }
    if chunks.is_empty() {
        return Ok(None);
    }
    Ok(Some(chunks.into_iter().rev().flatten().collect()))
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
    let mut problems = problems_of(&scan);
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
        match crate::private::file_options()
            .write(true)
            .create_new(true)
            .open(&aside)
        {
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

#[cfg(test)]
mod tests {
    use sluice_core::audit::{AuditAction, AuditMethod, ChainHead};

    use super::*;
    use crate::credentials::Keychain;

    fn entry(id: &str, actor: &str) -> AuditEntry {
        AuditEntry {
            id: id.into(),
            at: "2026-03-01T10:00:00Z".into(),
            correlation: id.into(),
            actor: actor.into(),
            environment: "production".into(),
            from_version: None,
            to_version: Some("def5678".into()),
            method: AuditMethod::Kubernetes,
            action: AuditAction::Promote,
            plan: None,
            gates: vec![],
            comment: None,
            override_reason: None,
            result: AuditResult::Succeeded,
            error: None,
            run_id: None,
            sha: None,
            shipped: None,
            revision: None,
            recorded_late: None,
        }
    }

    /// A journal of three entries whose head is kept in a (mock) keychain.
    fn anchored(dir: &tempfile::TempDir) -> (PathBuf, Keychain) {
        let path = dir.path().join("journal.jsonl");
        let keychain = Keychain::mock("test");
        let j = Journal::open_anchored(&path, Anchor::keychain(keychain.clone(), &path)).unwrap();
        for id in ["a", "b", "c"] {
            j.append(&entry(id, "alice")).unwrap();
        }
        (path, keychain)
    }

    fn verify(path: &Path, keychain: &Keychain) -> ChainReport {
        Journal::open_read_only(path, Anchor::keychain(keychain.clone(), path))
            .unwrap()
            .verify()
            .unwrap()
    }

    fn lines(path: &Path) -> Vec<Vec<u8>> {
        std::fs::read(path)
            .unwrap()
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    }

    #[test]
    fn the_head_is_anchored_and_the_journal_ends_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let (path, keychain) = anchored(&dir);
        let report = verify(&path, &keychain);
        assert!(report.holds(), "{report:?}");
        assert_eq!(report.head, ChainHead::Anchored { line: Some(3) });
    }

    #[test]
    fn lines_cut_off_the_end_are_found_by_the_head() {
        let dir = tempfile::tempdir().unwrap();
        let (path, keychain) = anchored(&dir);
        let all = lines(&path);
        std::fs::write(&path, all[..2].concat()).unwrap();
        let report = verify(&path, &keychain);
        assert_eq!(report.breaks.len(), 1, "{report:?}");
        assert_eq!(report.breaks[0].line, 3);
        assert!(
            report.breaks[0].reason.contains("removed from its end"),
            "{report:?}"
        );
        // A writer does not move the head past the gap, which would hide it.
        Journal::open_anchored(&path, Anchor::keychain(keychain.clone(), &path))
            .unwrap()
            .append(&entry("d", "alice"))
            .unwrap();
        assert!(!verify(&path, &keychain).holds());
    }

    #[test]
    fn a_forged_last_line_is_found_by_the_head() {
        let dir = tempfile::tempdir().unwrap();
        let (path, keychain) = anchored(&dir);
        let original = lines(&path);
        let prev = line::link(original[1].strip_suffix(b"\n").unwrap());
        // A new actor as long as the old (the line keeps its length), and a longer one.
        for (actor, says) in [
            ("carol", "not the line that was anchored"),
            ("carol-lead", "inside this line"),
        ] {
            let mut all = original.clone();
            all[2] = line::encode(&entry("c", actor), &prev).unwrap();
            std::fs::write(&path, all.concat()).unwrap();
            let report = verify(&path, &keychain);
            let found: Vec<u32> = report.breaks.iter().map(|b| b.line).collect();
            assert_eq!(found, [3], "{report:?}");
            assert!(report.breaks[0].reason.contains(says), "{report:?}");
        }
    }

    #[test]
    fn lines_added_after_the_head_are_reported_until_a_writer_anchors_them() {
        let dir = tempfile::tempdir().unwrap();
        let (path, keychain) = anchored(&dir);
        // Written by a console without the keychain (or by hand: the same, seen from here).
        Journal::open(&path)
            .unwrap()
            .append(&entry("d", "bob"))
            .unwrap();
        let report = verify(&path, &keychain);
        let found: Vec<u32> = report.breaks.iter().map(|b| b.line).collect();
        assert_eq!(found, [4], "{report:?}");
        assert!(
            report.breaks[0]
                .reason
                .contains("lines 4–4 were written after the head was last anchored (line 3)"),
            "{report:?}"
        );
        assert_eq!(report.head, ChainHead::Anchored { line: Some(3) });
        Journal::open_anchored(&path, Anchor::keychain(keychain.clone(), &path))
            .unwrap()
            .append(&entry("e", "alice"))
            .unwrap();
        let report = verify(&path, &keychain);
        assert!(report.holds(), "{report:?}");
        assert_eq!(report.head, ChainHead::Anchored { line: Some(5) });
    }

    #[test]
    fn without_a_keychain_appends_go_on_and_the_head_is_said_not_anchored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let keychain = Keychain::disabled("no keychain here");
        let j = Journal::open_anchored(&path, Anchor::keychain(keychain.clone(), &path)).unwrap();
        j.append(&entry("a", "alice")).unwrap();
        j.append(&entry("b", "alice")).unwrap();
        let report = j.verify().unwrap();
        assert!(report.holds(), "{report:?}");
        assert!(
            matches!(&report.head, ChainHead::NotAnchored { reason } if reason.contains("no keychain here")),
            "{report:?}"
        );
        assert_eq!(j.read().unwrap().entries.len(), 2);
    }

    #[test]
    fn reanchoring_accepts_the_journal_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let (path, keychain) = anchored(&dir);
        let all = lines(&path);
        std::fs::write(&path, all[..2].concat()).unwrap();
        assert!(!verify(&path, &keychain).holds());
        let j = Journal::open_read_only(&path, Anchor::keychain(keychain.clone(), &path)).unwrap();
        assert_eq!(j.reanchor(), Ok(Some(2)));
        assert!(verify(&path, &keychain).holds());
    }

    #[test]
    fn the_line_ending_at_an_offset_is_read_backwards() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let long = "x".repeat(200_000);
        std::fs::write(&path, format!("one\n{long}\n\nlast\n")).unwrap();
        let f = File::open(&path).unwrap();
        let at = |end: u64| line_ending_at(&f, &path, end).unwrap();
        assert_eq!(at(0), None);
        assert_eq!(at(4), Some(b"one".to_vec()));
        assert_eq!(at(3), None, "no line ends there");
        let long_end = 4 + long.len() as u64 + 1;
        assert_eq!(at(long_end), Some(long.into_bytes()));
        assert_eq!(at(long_end + 1), Some(Vec::new()));
        assert_eq!(at(long_end + 6), Some(b"last".to_vec()));
    }
}
