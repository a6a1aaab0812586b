//! Checking the chain: each line of version 2 names the hash of the line before it, so a line
//! removed, changed (even with its own checksum recomputed) or moved breaks the link of the line
//! after it; the head anchored outside the file catches what the chain cannot (lines cut off
//! the end, the last line changed).

use std::collections::HashMap;

use sluice_core::audit::{ChainBreak, ChainHead, ChainReport};

use super::anchor::Head;
use super::line::{GENESIS, Link, MAX_PROBLEMS, Record, Scan};

const CHANGED: &str = "The journal was changed after it was written. Keep this copy as evidence, \
compare the entries around this line with the deployment history on GitHub and in the cluster, \
and restore the journal from a backup if you have one.";

const UNANCHORED_TAIL: &str = "If a console that could not reach the keychain wrote these lines \
(a command over SSH, say), the next promotion from this machine anchors them; otherwise they were \
added by hand: check them against the deployment history on GitHub and in the cluster.";

struct Breaks {
    listed: Vec<ChainBreak>,
    more: u32,
}

impl Breaks {
    fn add(&mut self, line: u32, reason: String, hint: &str) {
        if self.listed.len() < MAX_PROBLEMS {
            self.listed.push(ChainBreak {
                line,
                reason,
                hint: hint.to_owned(),
            });
        } else {
            self.more = self.more.saturating_add(1);
        }
    }
}

/// Checks every link in `scan` (of `bytes`), then the last line against `head` (`Err`: why there
/// is none to check against).
pub(crate) fn verify(bytes: &[u8], scan: &Scan, head: Result<Option<Head>, String>) -> ChainReport {
    let mut breaks = Breaks {
        listed: Vec::new(),
        more: 0,
    };
    let (mut chained, mut legacy) = (0u32, 0u32);
    let mut seen: HashMap<Link, u32> = HashMap::with_capacity(scan.lines.len());
    let mut before: Option<(Link, u32)> = None;
    let mut chain_began = false;
    let reason_of = |line: u32| {
        scan.problems
            .iter()
            .find(|(l, _)| *l == line)
            .map_or("it was changed or damaged", |(_, r)| r.as_str())
            .to_owned()
    };
    for line in &scan.lines {
        let n = line.number;
        let link = line.link(bytes);
        match &line.record {
            Some(Record::Chained { prev, .. }) => {
                let expected = before.map_or(GENESIS, |(link, _)| link);
                if *prev == expected {
                    chained += 1;
                } else if *prev == GENESIS {
                    breaks.add(
                        n,
                        "it was written as the journal's first line: the lines above it were added later, or the journal was put together from pieces".to_owned(),
                        CHANGED,
                    );
                } else if let Some(&k) = seen.get(prev) {
                    breaks.add(
                        n,
                        format!(
                            "it was written after line {k}, not after line {}: lines were added or moved in between",
                            n - 1
                        ),
                        CHANGED,
                    );
                } else {
                    breaks.add(
                        n,
                        format!(
                            "the line it was written after is not in the journal: line {} was changed, or lines before this one were removed or moved",
                            n.saturating_sub(1)
                        ),
                        CHANGED,
                    );
                }
                chain_began = true;
            }
            Some(Record::Legacy(_)) if chain_began => breaks.add(
                n,
                "an unchained (version 1) line after the chain began: Sluice never writes one there"
                    .to_owned(),
                CHANGED,
            ),
            Some(Record::Legacy(_)) => legacy += 1,
            None if line.blank && !chain_began => {}
            None if line.blank => breaks.add(
                n,
                "an empty line inside the chain: Sluice never writes one".to_owned(),
                CHANGED,
            ),
            None => breaks.add(n, format!("the line does not verify: {}", reason_of(n)), CHANGED),
        }
        seen.entry(link).or_insert(n);
        before = Some((link, n));
    }
    let head = match head {
        Err(reason) => ChainHead::NotAnchored { reason },
        Ok(None) => ChainHead::NotAnchored {
            reason: "the keychain holds no head for this journal (it was written without keychain access, or the head was removed)".to_owned(),
        },
        Ok(Some(head)) => check_head(bytes, scan, head, &mut breaks),
    };
    ChainReport {
        lines: scan.lines.last().map_or(0, |l| l.number),
        chained,
        legacy,
        head,
        breaks: breaks.listed,
        more_breaks: breaks.more,
    }
}

fn check_head(bytes: &[u8], scan: &Scan, head: Head, breaks: &mut Breaks) -> ChainHead {
    let last = scan.lines.last();
    let end = last.map_or(0, |l| l.end as u64);
    let after_last = last.map_or(1, |l| l.number.saturating_add(1));
    let Some(at) = scan.lines.iter().position(|l| l.end as u64 == head.end) else {
        match scan.lines.iter().find(|l| l.end as u64 > head.end) {
            Some(inside) => breaks.add(
                inside.number,
                format!(
                    "the anchored last line ended at byte {}, inside this line: it, or a line before it, was changed",
                    head.end
                ),
                CHANGED,
            ),
            None => breaks.add(
                after_last,
                format!(
                    "the journal ends at byte {end} but its anchored last line ended at byte {}: lines were removed from its end",
                    head.end
                ),
                CHANGED,
            ),
        }
        return ChainHead::Anchored { line: None };
    };
    let anchored = &scan.lines[at];
    if anchored.link(bytes) != head.link {
        breaks.add(
            anchored.number,
            "this is where the anchored last line ended, but it is not the line that was anchored: it was changed".to_owned(),
            CHANGED,
        );
    } else if let Some(next) = scan.lines.get(at + 1) {
        breaks.add(
            next.number,
            format!(
                "lines {}–{} were written after the head was last anchored (line {})",
                next.number,
                last.map_or(next.number, |l| l.number),
                anchored.number
            ),
            UNANCHORED_TAIL,
        );
    }
    ChainHead::Anchored {
        line: Some(anchored.number),
    }
}
