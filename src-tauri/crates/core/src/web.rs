//! Web addresses Sluice sends a token to or opens in the browser: which origin a URL names,
//! which hosts are this machine, and whether a link stays on the GitHub the session works with.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::desk::LinkDecision;
use crate::error::UiError;

/// Where an http(s) URL leads: its scheme, host (lower case, an IPv6 address without brackets)
/// and port (the scheme's default when none is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: &'static str,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin of an `http://` or `https://` URL. `None` for any other scheme, whitespace,
    /// no host, a bad port, or credentials before the host (`https://github.com@evil.example`
    /// reads as GitHub and leads elsewhere).
    pub fn of(url: &str) -> Option<Self> {
        if url.contains(char::is_whitespace) {
            return None;
        }
        let (scheme, rest) = url.split_once("://")?;
        let (scheme, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "https" => ("https", 443),
            "http" => ("http", 80),
            _ => return None,
        };
        // Browsers end the authority at a backslash too.
        let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
        if authority.contains('@') {
            return None;
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']')?;
                (host, after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        let port = match port {
            None | Some("") => default_port,
            Some(port) => port.parse().ok()?,
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        Some(Self { scheme, host, port })
    }

    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.host)
    }
}

/// `localhost`, 127.0.0.0/8 or ::1: this machine, where plain http reaches no network.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || bare.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether a URL may carry a GitHub token: https, or plain http to this machine only.
pub fn may_carry_a_token(url: &str) -> bool {
    Origin::of(url).is_some_and(|o| o.scheme == "https" || o.is_loopback())
}

/// What to do with a link the window asks to open: open it when it is on `github_web` (the
/// configured GitHub's web origin, where its pull requests, runs and device sign-in page are),
/// ask the person first when it leads anywhere else, refuse what is not a plain web link.
pub fn link_decision(url: &str, github_web: Option<&Origin>) -> Result<LinkDecision, UiError> {
    let origin = Origin::of(url).ok_or_else(|| {
        UiError::new(
            "url.refused",
            format!("Sluice opens only plain http and https links, not {url:?}."),
            "Copy the link and open it yourself if you trust it.",
        )
    })?;
    Ok(if github_web == Some(&origin) {
        LinkDecision::Open
    } else {
        LinkDecision::Confirm { host: origin.host }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Origin {
        Origin::of(url).unwrap_or_else(|| panic!("{url} has no origin"))
    }

    #[test]
    fn origins_are_read_as_a_browser_reads_them() {
        assert_eq!(
            origin("https://GitHub.com/o/r/pull/1"),
            Origin {
                scheme: "https",
                host: "github.com".into(),
                port: 443
            }
        );
        assert_eq!(origin("http://127.0.0.1:41234/login/device").port, 41234);
        assert_eq!(origin("http://[::1]:9/x").host, "::1");
        assert_eq!(
            origin("https://github.com\\@evil.example/").host,
            "github.com"
        );
        assert_eq!(origin("https://github.com./x").host, "github.com");
        for bad in [
            "https://github.com@evil.example/",
            "https://user:pw@github.com/",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://a b",
            "https://:443/",
            "https://github.com:99999/",
            "github.com/o/r",
            "",
        ] {
            assert_eq!(Origin::of(bad), None, "{bad}");
        }
    }

    #[test]
    fn loopback_is_this_machine_only() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "10.0.0.1",
            "0.0.0.0",
            "::",
            "github.com",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn links_on_the_configured_github_open_and_others_ask_first() {
        let github = origin("https://github.com");
        let decide = |url: &str| link_decision(url, Some(&github));
        assert_eq!(
            decide("https://github.com/o/r/pull/42"),
            Ok(LinkDecision::Open)
        );
        assert_eq!(
            decide("https://github.com/login/device"),
            Ok(LinkDecision::Open)
        );
        for (url, host) in [
            ("https://evil.example/o/r/pull/42", "evil.example"),
            ("http://github.com/o/r/pull/42", "github.com"),
            ("https://github.com:8443/x", "github.com"),
            ("https://gist.github.com/x", "gist.github.com"),
        ] {
            assert_eq!(
                decide(url),
                Ok(LinkDecision::Confirm { host: host.into() }),
                "{url}"
            );
        }
        assert_eq!(
            decide("https://github.com@evil.example/").unwrap_err().code,
            "url.refused"
        );
        let sim = origin("http://127.0.0.1:41234");
        assert_eq!(
            link_decision("http://127.0.0.1:41234/login/device", Some(&sim)),
            Ok(LinkDecision::Open)
        );
        assert_eq!(
            link_decision("http://127.0.0.1:8080/admin", Some(&sim)),
            Ok(LinkDecision::Confirm {
                host: "127.0.0.1".into()
            })
        );
    }
}
