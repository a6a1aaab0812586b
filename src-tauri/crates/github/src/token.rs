use std::fmt;

/// A GitHub token. It never prints: `Debug` shows a placeholder and there is no `Display`, so it
/// cannot leak into logs, errors or events by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct GithubToken(String);

impl GithubToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The secret itself, for the keychain and the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for GithubToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GithubToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let t = GithubToken::new("ghp_secret123");
        assert!(!format!("{t:?}").contains("secret123"));
        assert_eq!(t.expose(), "ghp_secret123");
    }
}
