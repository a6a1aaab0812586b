//! Commit ids as the sources hand them over (full, abbreviated, or from the wild: any text) and
//! as people read them. The one place that shortens or compares them.

/// How many hex digits people read a commit by.
pub const SHORT: usize = 7;

/// `text` when it looks like a git commit id (7 to 40 hex digits), else `None`.
pub fn as_sha(text: &str) -> Option<&str> {
    (text.len() >= SHORT && text.len() <= 40 && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(text)
}

/// Whether two ids name the same commit, one possibly abbreviated (at least 7 digits).
pub fn same_commit(a: &str, b: &str) -> bool {
    let n = a.len().min(b.len());
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    n >= SHORT && hex(a) && hex(b) && a[..n].eq_ignore_ascii_case(&b[..n])
}

/// The first seven characters, as people write commit ids; never slices into a character.
pub fn short(sha: &str) -> &str {
    match sha.char_indices().nth(SHORT) {
        Some((end, _)) => &sha[..end],
        None => sha,
    }
}

/// A version's label: the short id when `text` is a commit id, else `text` itself (a tag).
pub fn label(text: &str) -> String {
    as_sha(text).map_or_else(|| text.to_owned(), |s| short(s).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shas_are_recognised_compared_and_shortened() {
        assert_eq!(as_sha("a1b2c3d"), Some("a1b2c3d"));
        assert_eq!(as_sha("a1b2c3"), None);
        assert_eq!(as_sha("v1.2.3"), None);
        assert!(same_commit("A1B2C3D4E5", "a1b2c3d"));
        assert!(!same_commit("a1b2c3d", "a1b2c3e"));
        assert!(!same_commit("a1b2c3", "a1b2c3"));
        assert_eq!(short("a1b2c3d4e5f6"), "a1b2c3d");
        assert_eq!(short("abc"), "abc");
        assert_eq!(label("a1b2c3d4e5f6"), "a1b2c3d");
        assert_eq!(label("v1.2.3"), "v1.2.3");
    }

    #[test]
    fn ids_from_the_wild_never_panic() {
        assert_eq!(short("ééééééééé"), "ééééééé");
        assert!(!same_commit("ééééééé1", "ééééééé1"));
        assert!(!same_commit("aaaaaaaé", "aaaaaaa"));
    }
}
