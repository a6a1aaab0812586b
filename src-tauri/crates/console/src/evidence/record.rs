//! Attempt records: one file per attempt beside the journal (`<journal dir>/attempts/<id>.jsonl`),
//! holding what the journal's one-line entries cannot — the review as it was shown, every
//! progress line with its time, the verification, the Helm revision before.
//!
//! As private as the journal (0600 files in a 0700 folder) and append-only, one JSON line per
//! [`RecordEvent`]: a torn or damaged line loses only itself, and the evidence says so. Bounded:
//! at most [`MAX_LINES`] progress lines of at most [`MAX_LINE_CHARS`] characters; the rest are
//! counted. Failing to write a record never fails the attempt: it is logged, and the evidence
//! then says what is missing.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sluice_core::evidence::{AttemptRecord, RecordEvent, TimelineSource};

/// Progress lines kept per attempt; a long helm output or verification beyond this is counted.
pub const MAX_LINES: u32 = 2000;
/// Characters kept of one progress line.
pub const MAX_LINE_CHARS: usize = 4000;
/// A record longer than this is not read whole (it was not written by Sluice's bounds).
const MAX_READ_BYTES: u64 = 32 * 1024 * 1024;

/// The folder of attempt records beside the journal at `journal`.
pub fn dir(journal: &Path) -> PathBuf {
    journal
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("attempts")
}

/// The record of the attempt `correlation`; `None` for an id that could name another file.
pub fn path(journal: &Path, correlation: &str) -> Option<PathBuf> {
    let safe = !correlation.is_empty()
        && correlation.len() <= 128
        && correlation
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    safe.then(|| dir(journal).join(format!("{correlation}.jsonl")))
}

/// An attempt record being written.
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    file: File,
    lines: u32,
    left_out: u32,
    ended: bool,
}

impl Writer {
    /// Creates the record of the attempt `started` names, with that first event.
    pub fn create(journal: &Path, started: &RecordEvent) -> std::io::Result<Self> {
        let RecordEvent::Started { correlation, .. } = started else {
            return Err(std::io::Error::other(
                "a record starts with its started event",
            ));
        };
        let path = path(journal, correlation)
            .ok_or_else(|| std::io::Error::other("the attempt id is not a file name"))?;
        let folder = dir(journal);
        if folder.exists() {
            crate::private::tighten(&folder, 0o700);
        } else {
            crate::private::create_dir(&folder)?;
        }
        let file = crate::private::file_options()
            .append(true)
            .create_new(true)
            .open(&path)?;
        let mut writer = Self {
            path,
            file,
            lines: 0,
            left_out: 0,
            ended: false,
        };
        writer.write(started)?;
        Ok(writer)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event as one line, in one write.
    fn write(&mut self, event: &RecordEvent) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)
    }

    fn logged(&mut self, event: &RecordEvent) {
        if let Err(e) = self.write(event) {
            tracing::warn!(record = %self.path.display(), error = %e,
                "cannot add to the attempt record (its evidence will say it is incomplete)");
        }
    }

    /// A timeline line said (or seen, by `source`) at `at`; past [`MAX_LINES`] only counted.
    pub fn line(&mut self, at: String, line: &str, source: TimelineSource) {
        if self.lines >= MAX_LINES {
            self.left_out = self.left_out.saturating_add(1);
            return;
        }
        self.lines += 1;
        let line = match line.char_indices().nth(MAX_LINE_CHARS) {
            Some((cut, _)) => format!("{}… (cut)", &line[..cut]),
            None => line.to_owned(),
        };
        self.logged(&RecordEvent::Line { at, line, source });
    }

    /// Lines the progress channel dropped before they were read (it fell behind).
    pub fn missed(&mut self, n: u64) {
        self.left_out = self
            .left_out
            .saturating_add(u32::try_from(n).unwrap_or(u32::MAX));
    }

    pub fn event(&mut self, event: &RecordEvent) {
        self.logged(event);
    }

    /// Closes the record: the attempt's console stopped recording it.
    pub fn end(&mut self, at: String) {
        if self.ended {
            return;
        }
        self.ended = true;
        let left = self.left_out;
        self.logged(&RecordEvent::Ended {
            at,
            lines_left_out: left,
        });
        let _ = self.file.sync_data();
    }
}

/// The record of `correlation`, read; `None` when there is none. A record that cannot be read
/// is one whose every part is missing, with why.
pub fn read(journal: &Path, correlation: &str) -> Option<AttemptRecord> {
    let path = path(journal, correlation)?;
    let unreadable = |why: String| AttemptRecord {
        problems: vec![format!(
            "The attempt record {} cannot be read: {why}",
            path.display()
        )],
        ..AttemptRecord::default()
    };
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(unreadable(e.to_string())),
    };
    let mut bytes = Vec::new();
    if let Err(e) = file.take(MAX_READ_BYTES + 1).read_to_end(&mut bytes) {
        return Some(unreadable(e.to_string()));
    }
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Some(unreadable(format!(
            "it is larger than {MAX_READ_BYTES} bytes"
        )));
    }
    let mut record = AttemptRecord::parse(&String::from_utf8_lossy(&bytes));
    if std::str::from_utf8(&bytes).is_err() {
        record
            .problems
            .push("The attempt record holds bytes that are not UTF-8 (shown replaced).".to_owned());
    }
    Some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(correlation: &str) -> RecordEvent {
        RecordEvent::Started {
            at: "2026-03-01T10:00:00Z".into(),
            correlation: correlation.into(),
            environment: "production".into(),
            review: None,
            helm_release: None,
            helm_before: None,
        }
    }

    #[test]
    fn a_record_is_private_bounded_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("audit").join("journal.jsonl");
        std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
        let mut w = Writer::create(&journal, &started("abc-1")).unwrap();
        for i in 0..MAX_LINES + 5 {
            w.line(
                "2026-03-01T10:00:01Z".into(),
                &format!("line {i}"),
                TimelineSource::Sluice,
            );
        }
        w.line(
            "t".into(),
            &"x".repeat(MAX_LINE_CHARS + 10),
            TimelineSource::Cluster,
        );
        w.missed(2);
        w.end("2026-03-01T10:01:00Z".into());
        let record = read(&journal, "abc-1").unwrap();
        assert!(record.started && record.ended);
        assert_eq!(record.lines.len(), MAX_LINES as usize);
        assert_eq!(record.lines_left_out, 5 + 1 + 2);
        assert!(record.problems.is_empty(), "{:?}", record.problems);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(w.path()), 0o600);
            assert_eq!(mode(&super::dir(&journal)), 0o700);
        }
        // A second writer for the same attempt never overwrites it.
        assert!(Writer::create(&journal, &started("abc-1")).is_err());
        assert!(read(&journal, "nope").is_none());
    }

    #[test]
    fn an_id_that_is_not_a_plain_name_names_no_file() {
        let journal = Path::new("/tmp/x/journal.jsonl");
        assert!(path(journal, "../../etc/passwd").is_none());
        assert!(path(journal, "a/b").is_none());
        assert!(path(journal, "").is_none());
        assert_eq!(
            path(journal, "18f-2a-0"),
            Some(PathBuf::from("/tmp/x/attempts/18f-2a-0.jsonl"))
        );
    }
}
