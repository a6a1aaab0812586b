//! The journal's line format: one JSON object per line that carries its own checksum, so a reader
//! can tell a committed entry from bytes a dying process left behind.
//!
//! `{"v":1,"sha256":"<first 16 hex digits of SHA-256(entry)>","entry":<entry JSON>}\n`
//!
//! The layout is fixed (the checksum comes before the payload, the payload is the rest of the
//! line minus the closing brace), so the checksum is verified over the exact bytes written, with
//! no re-serialisation. serde_json escapes newlines inside strings, so a payload never contains one.

use sha2::{Digest, Sha256};
use sluice_core::audit::AuditEntry;

const PREFIX: &[u8] = br#"{"v":1,"sha256":""#;
const MIDDLE: &[u8] = br#"","entry":"#;
const SUM_LEN: usize = 16;

fn checksum(payload: &[u8]) -> String {
    let digest = Sha256::digest(payload);
    let mut hex = String::with_capacity(SUM_LEN);
    for byte in &digest[..SUM_LEN / 2] {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// The whole line for `entry`, newline included.
pub(crate) fn encode(entry: &AuditEntry) -> Result<Vec<u8>, serde_json::Error> {
    let payload = serde_json::to_vec(entry)?;
    let mut line = Vec::with_capacity(PREFIX.len() + SUM_LEN + MIDDLE.len() + payload.len() + 2);
    line.extend_from_slice(PREFIX);
    line.extend_from_slice(checksum(&payload).as_bytes());
    line.extend_from_slice(MIDDLE);
    line.extend_from_slice(&payload);
    line.extend_from_slice(b"}\n");
    Ok(line)
}

/// One record without its newline.
fn decode(record: &[u8]) -> Result<AuditEntry, String> {
    let rest = record
        .strip_prefix(PREFIX)
        .ok_or_else(|| "not a journal record".to_owned())?;
    if rest.len() < SUM_LEN {
        return Err("truncated record".to_owned());
    }
    let (sum, rest) = rest.split_at(SUM_LEN);
    let payload = rest
        .strip_prefix(MIDDLE)
        .and_then(|r| r.strip_suffix(b"}"))
        .ok_or_else(|| "truncated or malformed record".to_owned())?;
    if checksum(payload).as_bytes() != sum {
        return Err("checksum mismatch".to_owned());
    }
    // A verified record that does not parse was written by another version of Sluice.
    serde_json::from_slice(payload).map_err(|e| format!("unreadable entry: {e}"))
}

/// What a pass over the journal's bytes found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Verified entries with their 1-based line numbers, in file order.
    pub entries: Vec<(u32, AuditEntry)>,
    /// Complete lines (or parts of lines) that did not verify: line number and reason.
    pub problems: Vec<(u32, String)>,
    /// Bytes after the last newline: a line whose writer died before finishing it.
    pub torn: Option<Torn>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Torn {
    pub offset: usize,
    pub line: u32,
}

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
        scan_line(&bytes[offset..offset + len], line, &mut out);
        offset += len + 1;
    }
    out
}

fn scan_line(record: &[u8], line: u32, out: &mut Scan) {
    if record.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let first_error = match decode(record) {
        Ok(entry) => {
            out.entries.push((line, entry));
            return;
        }
        Err(e) => e,
    };
    // A writer that died mid-line leaves a fragment the next writer's line is glued to; find
    // the last well-formed record inside the line rather than lose the committed one.
    let resync = (1..record.len())
        .rev()
        .filter(|&at| record[at..].starts_with(PREFIX))
        .find_map(|at| decode(&record[at..]).ok());
    match resync {
        Some(entry) => {
            out.problems.push((
                line,
                format!("unfinished bytes before an entry ({first_error}); the entry was kept"),
            ));
            out.entries.push((line, entry));
        }
        None => out.problems.push((line, first_error)),
    }
}
