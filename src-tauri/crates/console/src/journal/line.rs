//! The journal's line format: one JSON object per line that carries its own checksum, so a reader
//! can tell a committed entry from bytes a dying process left behind, and (from version 2) the
//! hash of the line before it, so that a removed, changed or moved line breaks the chain.
//!
//! `{"v":2,"prev":"<SHA-256 of the previous line>","sha256":"<SHA-256(prev ‖ entry)>","entry":<entry JSON>}\n`
//!
//! Version 1 lines (`{"v":1,"sha256":"<first 16 hex digits of SHA-256(entry)>","entry":…}`),
//! written before the chain existed, are still read; they are reported as unchained.
//!
//! The layout is fixed (the hashes come before the payload, the payload is the rest of the line
//! minus the closing brace), so hashes are verified over the exact bytes written, with no
//! re-serialisation. serde_json escapes newlines and quotes inside strings, so a payload never
//! contains a newline, nor the `{"v":` that starts a record: a record's start is found by looking
//! for that text, once per line.

use sha2::{Digest, Sha256};
use sluice_core::audit::AuditEntry;

const V1_PREFIX: &[u8] = br#"{"v":1,"sha256":""#;
const V1_MIDDLE: &[u8] = br#"","entry":"#;
const V1_SUM_LEN: usize = 16;

const V2_PREFIX: &[u8] = br#"{"v":2,"prev":""#;
const V2_SUM: &[u8] = br#"","sha256":""#;
const V2_ENTRY: &[u8] = br#"","entry":"#;
const HEX_LEN: usize = 64;

/// How every record, of any version, starts.
const RECORD_START: &[u8] = br#"{"v":"#;

/// How many unverifiable lines a scan keeps with their reasons; the rest are only counted. A
/// garbage file must not become a garbage report (or log) of the same size.
pub(crate) const MAX_PROBLEMS: usize = 50;

/// SHA-256 of one line's bytes (without its newline): what the next line's `prev` holds.
pub(crate) type Link = [u8; 32];

/// The `prev` of a journal's first line.
pub(crate) const GENESIS: Link = [0; 32];

pub(crate) fn link(line: &[u8]) -> Link {
    Sha256::digest(line).into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

pub(crate) fn unhex(text: &[u8]) -> Option<Link> {
    let mut out = [0u8; 32];
    if text.len() != HEX_LEN {
        return None;
    }
    for (i, pair) in text.chunks(2).enumerate() {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

fn v1_checksum(payload: &[u8]) -> String {
    hex(&Sha256::digest(payload)[..V1_SUM_LEN / 2])
}

fn v2_checksum(prev_hex: &[u8], payload: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev_hex);
    h.update(payload);
    hex(&h.finalize())
}

/// The whole line for `entry`, following the line whose link is `prev`, newline included.
pub(crate) fn encode(entry: &AuditEntry, prev: &Link) -> Result<Vec<u8>, serde_json::Error> {
    let payload = serde_json::to_vec(entry)?;
    let prev = hex(prev);
    let sum = v2_checksum(prev.as_bytes(), &payload);
    let mut line = Vec::with_capacity(V2_PREFIX.len() + 2 * HEX_LEN + 32 + payload.len());
    line.extend_from_slice(V2_PREFIX);
    line.extend_from_slice(prev.as_bytes());
    line.extend_from_slice(V2_SUM);
    line.extend_from_slice(sum.as_bytes());
    line.extend_from_slice(V2_ENTRY);
    line.extend_from_slice(&payload);
    line.extend_from_slice(b"}\n");
    Ok(line)
}

/// A record that verified.
#[derive(Debug, Clone)]
pub(crate) enum Record {
    /// Version 1: no chain.
    Legacy(AuditEntry),
    /// Version 2: follows the line whose link is `prev`.
    Chained { prev: Link, entry: AuditEntry },
}

impl Record {
    pub fn entry(&self) -> &AuditEntry {
        match self {
            Self::Legacy(e) | Self::Chained { entry: e, .. } => e,
        }
    }
}

/// One record without its newline.
pub(crate) fn decode(record: &[u8]) -> Result<Record, String> {
    if let Some(rest) = record.strip_prefix(V2_PREFIX) {
        return decode_v2(rest);
    }
    let rest = record
        .strip_prefix(V1_PREFIX)
        .ok_or_else(|| "not a journal record".to_owned())?;
    let (sum, rest) = rest
        .split_at_checked(V1_SUM_LEN)
        .ok_or_else(|| "truncated record".to_owned())?;
    let payload = rest
        .strip_prefix(V1_MIDDLE)
        .and_then(|r| r.strip_suffix(b"}"))
        .ok_or_else(|| "truncated or malformed record".to_owned())?;
    if v1_checksum(payload).as_bytes() != sum {
        return Err("checksum mismatch".to_owned());
    }
    // A verified record that does not parse was written by another version of Sluice.
    serde_json::from_slice(payload)
        .map(Record::Legacy)
        .map_err(|e| format!("unreadable entry: {e}"))
}

fn decode_v2(rest: &[u8]) -> Result<Record, String> {
    let malformed = || "truncated or malformed record".to_owned();
    let (prev_hex, rest) = rest.split_at_checked(HEX_LEN).ok_or_else(malformed)?;
    let rest = rest.strip_prefix(V2_SUM).ok_or_else(malformed)?;
    let (sum, rest) = rest.split_at_checked(HEX_LEN).ok_or_else(malformed)?;
    let payload = rest
        .strip_prefix(V2_ENTRY)
        .and_then(|r| r.strip_suffix(b"}"))
        .ok_or_else(malformed)?;
    let prev = unhex(prev_hex).ok_or_else(malformed)?;
    if v2_checksum(prev_hex, payload).as_bytes() != sum {
        return Err("checksum mismatch".to_owned());
    }
    let entry = serde_json::from_slice(payload).map_err(|e| format!("unreadable entry: {e}"))?;
    Ok(Record::Chained { prev, entry })
}

/// One complete line of the journal.
#[derive(Debug)]
pub(crate) struct Line {
    /// 1-based.
    pub number: u32,
    /// The byte offset of its first byte.
    pub start: usize,
    /// The byte offset just past its newline.
    pub end: usize,
    /// The record in it, when one verified.
    pub record: Option<Record>,
    /// Only whitespace.
    pub blank: bool,
}

/// What a pass over the journal's bytes found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Every complete line, in file order.
    pub lines: Vec<Line>,
    /// The first [`MAX_PROBLEMS`] lines (or parts of lines) that did not verify: line number
    /// and reason.
    pub problems: Vec<(u32, String)>,
    /// Beyond those: the first line that did not verify, and how many did.
    pub omitted: Option<(u32, u32)>,
    /// Bytes after the last newline: a line whose writer died before finishing it.
    pub torn: Option<Torn>,
}

impl Scan {
    /// The verified entries, in file order.
    pub fn entries(&self) -> impl Iterator<Item = &AuditEntry> {
        self.lines
            .iter()
            .filter_map(|l| l.record.as_ref().map(Record::entry))
    }

    fn problem(&mut self, line: u32, reason: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push((line, reason));
        } else {
            match &mut self.omitted {
                Some((_, count)) => *count = count.saturating_add(1),
                None => self.omitted = Some((line, 1)),
            }
        }
    }
}

impl Line {
    /// Its link, from the bytes it was scanned from: computed only when checking the chain, so
    /// listing a large journal hashes each line once.
    pub fn link(&self, bytes: &[u8]) -> Link {
        link(&bytes[self.start..self.end - 1])
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Torn {
    pub offset: usize,
    pub line: u32,
}

/// One pass over `bytes`, linear in their length.
pub(crate) fn scan(bytes: &[u8]) -> Scan {
    let mut out = Scan::default();
    let mut offset = 0;
    let mut line: u32 = 0;
    while offset < bytes.len() {
        line = line.saturating_add(1);
        let Some(len) = bytes[offset..].iter().position(|&b| b == b'\n') else {
            out.torn = Some(Torn { offset, line });
            break;
        };
        let record = &bytes[offset..offset + len];
        offset += len + 1;
        let blank = record.iter().all(u8::is_ascii_whitespace);
        let verified = if blank {
            None
        } else {
            scan_line(record, line, &mut out)
        };
        out.lines.push(Line {
            number: line,
            start: offset - len - 1,
            end: offset,
            record: verified,
            blank,
        });
    }
    out
}

fn scan_line(record: &[u8], line: u32, out: &mut Scan) -> Option<Record> {
    let first_error = match decode(record) {
        Ok(r) => return Some(r),
        Err(e) => e,
    };
    // A writer that died mid-line leaves a fragment the next writer's line may be glued to; the
    // committed record is then the line's end, starting at the last record start in it (no
    // payload contains one). One decode per line keeps the scan linear.
    let resync = last_record_start(record)
        .filter(|&at| at > 0)
        .and_then(|at| decode(&record[at..]).ok());
    match resync {
        Some(r) => {
            out.problem(
                line,
                format!("unfinished bytes before an entry ({first_error}); the entry was kept"),
            );
            Some(r)
        }
        None => {
            out.problem(line, first_error);
            None
        }
    }
}

fn last_record_start(record: &[u8]) -> Option<usize> {
    record
        .windows(RECORD_START.len())
        .rposition(|w| w == RECORD_START)
}
