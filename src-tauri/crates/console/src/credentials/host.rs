//! Which GitHub a token belongs to. Tokens are kept per API host, so github.com and an
//! Enterprise Server (or the simulated GitHub) never share one.

use super::CredentialError;

/// A GitHub API base and the keychain account its token is stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubHost {
    api_base: String,
    account: String,
}

impl GithubHost {
    pub const GITHUB_COM_API: &'static str = "https://api.github.com";

    pub fn github_com() -> Self {
        Self {
            api_base: Self::GITHUB_COM_API.to_owned(),
            account: "api.github.com".to_owned(),
        }
    }

    /// `https://api.github.com`, `https://HOST/api/v3` (Enterprise Server), or any other base
    /// (the simulated GitHub serves the API and the sign-in pages from one root).
    pub fn from_api_base(api_base: &str) -> Result<Self, CredentialError> {
        let trimmed = api_base.trim().trim_end_matches('/');
        let bad = |reason: &str| CredentialError::BadApiUrl {
            url: without_userinfo(trimmed),
            reason: reason.to_owned(),
        };
        let uri: http::Uri = trimmed.parse().map_err(|_| bad("it does not parse"))?;
        if !matches!(uri.scheme_str(), Some("https" | "http")) {
            return Err(bad("it must start with https:// (or http://)"));
        }
        if !sluice_core::web::may_carry_a_token(trimmed) {
            return Err(bad(
                "a token sent over http:// could be read on the way: use https:// (http:// is only for this machine: localhost, 127.0.0.1, ::1)",
            ));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| bad("it names no host"))?
            .as_str();
        if authority.contains('@') {
            return Err(bad("it must not carry credentials"));
        }
        Ok(Self {
            api_base: trimmed.to_owned(),
            account: authority.to_ascii_lowercase(),
        })
    }

    /// The API base for [`sluice_github::GithubClient`].
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The keychain account: the API host (with its port when it has one).
    pub fn account(&self) -> &str {
        &self.account
    }

    /// Where the OAuth device flow lives: the web host, not the API host.
    pub fn web_base(&self) -> String {
        if self.account == "api.github.com" {
            return "https://github.com".to_owned();
        }
        match self.api_base.strip_suffix("/api/v3") {
            Some(web) => web.to_owned(),
            None => self.api_base.clone(),
        }
    }
}

/// The URL with any `user:password@` removed, for messages.
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_com_enterprise_and_simulator_are_separate_accounts() {
        let com = GithubHost::from_api_base("https://api.github.com/").unwrap();
        assert_eq!(com, GithubHost::github_com());
        assert_eq!(com.web_base(), "https://github.com");

        let ghes = GithubHost::from_api_base("https://GHE.example.com/api/v3").unwrap();
        assert_eq!(ghes.account(), "ghe.example.com");
        assert_eq!(ghes.api_base(), "https://GHE.example.com/api/v3");
        assert_eq!(ghes.web_base(), "https://GHE.example.com");

        let sim = GithubHost::from_api_base("http://127.0.0.1:41234").unwrap();
        assert_eq!(sim.account(), "127.0.0.1:41234");
        assert_eq!(sim.web_base(), "http://127.0.0.1:41234");
    }

    #[test]
    fn rejects_what_is_not_an_api_url() {
        for url in [
            "api.github.com",
            "ftp://x",
            "https://user:pw@ghe.example.com/api/v3",
            "",
        ] {
            let e = GithubHost::from_api_base(url).unwrap_err();
            assert_eq!(e.code(), "signin.bad_api_url", "{url}");
        }
        // A token over plain http to another machine can be read on the way.
        for url in [
            "http://ghe.example.com/api/v3",
            "http://192.168.1.10/api/v3",
            "http://localhost.evil.example",
        ] {
            let e = GithubHost::from_api_base(url).unwrap_err();
            assert_eq!(e.code(), "signin.bad_api_url", "{url}");
            assert!(e.to_string().contains("https"), "{e}");
        }
        for url in [
            "http://localhost:8080",
            "http://[::1]:41234",
            "http://127.0.0.2:1",
        ] {
            assert!(GithubHost::from_api_base(url).is_ok(), "{url}");
        }
        // The URL is echoed, but never a password in it.
        let e =
            GithubHost::from_api_base("https://user:s3cret@ghe.example.com/api/v3").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(e.to_string().contains("ghe.example.com/api/v3"), "{e}");
    }
}
