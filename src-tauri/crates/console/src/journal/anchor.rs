//! The chain's head, kept where someone editing the journal file cannot silently rewrite it:
//! the OS keychain, under the journal's absolute path. Each append stores the new last line's
//! end offset and hash; a reader then checks that the file still ends with that line, which the
//! chain alone cannot tell (cutting lines off the end leaves a valid, shorter chain).
//!
//! Why a plain hash chain and not a keyed MAC (the key in the keychain): the key would sit in
//! the same keychain as the head, so whoever can read the key can also rewrite the head, and the
//! MAC would add no protection against them; against someone who can only edit the file, the
//! anchored head already exposes any change to any line, because every later link and so the
//! head change with it. A MAC would also make every verifier a holder of the forging key, and a
//! lost key would leave the whole history unverifiable, while the chain can be checked by anyone
//! holding the file (a copy given to an auditor with the head's value, say). What the chain
//! leaves open is lines added at the end by hand while the head is not looked at: they are
//! reported until the next append moves the head past them, and that append reports them too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::line::{Link, hex, unhex};
use crate::credentials::Keychain;

/// How long an append waits for the keychain before it leaves the head where it was. Short: a
/// promotion must never wait on a keychain prompt, and a head left behind is reported, not lost.
const PATIENCE: Duration = Duration::from_secs(10);

/// The last line as last anchored: where it ends in the file, and its link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    pub end: u64,
    pub link: Link,
}

impl Head {
    fn encode(&self) -> String {
        format!("{} {}", self.end, hex(&self.link))
    }

    fn decode(text: &str) -> Option<Self> {
        let (end, link) = text.trim().split_once(' ')?;
        Some(Self {
            end: end.parse().ok()?,
            link: unhex(link.as_bytes())?,
        })
    }
}

/// Where a journal's head is kept, if anywhere.
#[derive(Debug, Clone)]
pub struct Anchor {
    keychain: Option<Keychain>,
    account: String,
    /// Why there is no keychain, when there is none.
    missing: &'static str,
}

impl Anchor {
    /// Nowhere: the head is not anchored (tests, a journal only listed).
    pub fn none() -> Self {
        Self::nowhere("no keychain was given to check it against")
    }

    /// Nowhere, for the reason `why` (said by `--verify`).
    pub fn nowhere(why: &'static str) -> Self {
        Self {
            keychain: None,
            account: String::new(),
            missing: why,
        }
    }

    /// In `keychain`, for the journal at `path`.
    pub fn keychain(keychain: Keychain, path: &Path) -> Self {
        Self {
            keychain: Some(keychain),
            account: account(path),
            missing: "",
        }
    }

    /// The keychain account the head of the journal at `path` is kept under.
    pub fn account_of(path: &Path) -> String {
        account(path)
    }

    /// The anchored head; `Err` says why it cannot be known.
    pub(crate) fn load(&self) -> Result<Option<Head>, String> {
        let Some(keychain) = &self.keychain else {
            return Err(self.missing.to_owned());
        };
        match keychain.read_text_blocking(&self.account, PATIENCE) {
            Ok(None) => Ok(None),
            Ok(Some(text)) => Head::decode(&text)
                .map(Some)
                .ok_or_else(|| format!("the head kept in {} is not readable", keychain.name())),
            Err(e) => Err(e.to_string()),
        }
    }

    pub(crate) fn store(&self, head: Head) -> Result<(), String> {
        let Some(keychain) = &self.keychain else {
            return Err(self.missing.to_owned());
        };
        keychain
            .store_text_blocking(&self.account, &head.encode(), PATIENCE)
            .map_err(|e| e.to_string())
    }

    pub(crate) fn is_configured(&self) -> bool {
        self.keychain.is_some()
    }
}

/// Absolute, not canonical: the same path names the same head whether or not the file exists
/// yet (canonicalising would change it once the file is created, through a symlinked folder).
fn account(path: &Path) -> String {
    let absolute: PathBuf = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("audit-head:{}", absolute.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_round_trip_and_garbage_is_refused() {
        let head = Head {
            end: 4096,
            link: [7; 32],
        };
        assert_eq!(Head::decode(&head.encode()), Some(head));
        for bad in ["", "12", "x 00", "12 zz", "-1 00"] {
            assert_eq!(Head::decode(bad), None, "{bad}");
        }
    }
}
