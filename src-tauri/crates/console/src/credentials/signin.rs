//! The ways to sign in, shared by the command line and the window. Every token is checked with
//! `GET /user` before it is kept, so a sign-in always knows who it is.

use sluice_core::web::Origin;
use sluice_github::{DeviceLogin, GithubClient, GithubConfig, GithubError, GithubToken, Identity};

use super::{CredentialError, Credentials, GithubHost, Persistence, TokenHome};

/// What the device flow asks for: reviewing deployments and dispatching workflows need `repo`;
/// team reviewers are resolved with `read:org`.
pub const DEVICE_SCOPES: &[&str] = &["repo", "read:org"];

/// Where a token is imported from, in the order `gh` reads them.
pub const ENVIRONMENT_TOKEN_VARIABLES: &[&str] = &["GH_TOKEN", "GITHUB_TOKEN"];

/// Someone signed in to one GitHub host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The keychain account, i.e. the API host.
    pub host: String,
    pub login: String,
    pub name: Option<String>,
    pub home: TokenHome,
}

impl SignedIn {
    /// "signed in as @login (token in the Secret Service keyring)".
    pub fn describe(&self) -> String {
        format!("signed in as @{} ({})", self.login, self.home)
    }
}

/// Who `token` belongs to on `host`; a token GitHub refuses is [`CredentialError::TokenRejected`].
pub async fn check_token(
    host: &GithubHost,
    token: &GithubToken,
) -> Result<Identity, CredentialError> {
    let config = GithubConfig {
        api_base: host.api_base().to_owned(),
        // `GET /user` names no repository.
        owner: String::new(),
        repo: String::new(),
        max_retries: 1,
    };
    let github_error = |source: GithubError| match source {
        GithubError::Unauthorized { message } => CredentialError::TokenRejected {
            host: host.account().to_owned(),
            message,
        },
        source => CredentialError::Github {
            host: host.account().to_owned(),
            source: Box::new(source),
        },
    };
    let client = GithubClient::new(&config, Some(token)).map_err(github_error)?;
    client.identity().await.map_err(github_error)
}

async fn keep(
    credentials: &Credentials,
    host: &GithubHost,
    token: GithubToken,
    persistence: Persistence,
) -> Result<SignedIn, CredentialError> {
    let identity = check_token(host, &token).await?;
    let home = credentials.save(host, &token, persistence).await?;
    tracing::info!(host = host.account(), login = %identity.login, ?home, "signed in to GitHub");
    Ok(SignedIn {
        host: host.account().to_owned(),
        login: identity.login,
        name: identity.name,
        home,
    })
}

/// Signs in with a pasted token: checked with GitHub, then kept.
pub async fn sign_in_with_token(
    credentials: &Credentials,
    host: &GithubHost,
    token: GithubToken,
    persistence: Persistence,
) -> Result<SignedIn, CredentialError> {
    let token = GithubToken::new(token.expose().trim());
    if token.expose().is_empty() {
        return Err(CredentialError::EmptyToken);
    }
    keep(credentials, host, token, persistence).await
}

/// The first non-empty of [`ENVIRONMENT_TOKEN_VARIABLES`], read through `lookup`
/// (`|name| std::env::var(name).ok()` for the process environment).
pub fn token_from_environment(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(&'static str, GithubToken), CredentialError> {
    ENVIRONMENT_TOKEN_VARIABLES
        .iter()
        .find_map(|&name| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map(|v| (name, GithubToken::new(v)))
        })
        .ok_or_else(|| CredentialError::NoEnvironmentToken {
            variables: ENVIRONMENT_TOKEN_VARIABLES.join(", "),
        })
}

/// Imports `GH_TOKEN`/`GITHUB_TOKEN` (through `lookup`): checked with GitHub, then kept.
pub async fn sign_in_from_environment(
    credentials: &Credentials,
    host: &GithubHost,
    persistence: Persistence,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<SignedIn, CredentialError> {
    let (variable, token) = token_from_environment(lookup)?;
    tracing::debug!(variable, "importing the GitHub token from the environment");
    keep(credentials, host, token, persistence).await
}

/// A device sign-in waiting for the person: show [`user_code`](Self::user_code) and
/// [`verification_uri`](Self::verification_uri), then [`finish`](Self::finish).
pub struct DeviceSignIn {
    host: GithubHost,
    login: DeviceLogin,
}

impl std::fmt::Debug for DeviceSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceSignIn")
            .field("host", &self.host.account())
            .field("user_code", &self.login.user_code())
            .finish_non_exhaustive()
    }
}

/// Starts GitHub's device flow on `host`'s web host for the OAuth app `client_id`.
pub async fn start_device_sign_in(
    host: &GithubHost,
    client_id: &str,
) -> Result<DeviceSignIn, CredentialError> {
    let client_id = client_id.trim();
    if client_id.is_empty() {
        return Err(CredentialError::NoClientId);
    }
    let login = sluice_github::start_device_login(&host.web_base(), client_id, DEVICE_SCOPES)
        .await
        .map_err(device_error(host))?;
    check_verification_page(host, login.verification_uri())?;
    Ok(DeviceSignIn {
        host: host.clone(),
        login,
    })
}

impl DeviceSignIn {
    /// The code the person types at [`verification_uri`](Self::verification_uri).
    pub fn user_code(&self) -> &str {
        self.login.user_code()
    }

    pub fn verification_uri(&self) -> &str {
        self.login.verification_uri()
    }

    /// Waits until the person authorizes (or denies, or the code expires), then checks and
    /// keeps the token.
    pub async fn finish(
        self,
        credentials: &Credentials,
        persistence: Persistence,
    ) -> Result<SignedIn, CredentialError> {
        let token = self.login.wait().await.map_err(device_error(&self.host))?;
        keep(credentials, &self.host, token, persistence).await
    }

    /// As [`finish`](Self::finish), but `cancelled` ending first stops the wait (`Ok(None)`).
    /// Once GitHub issued the token it is kept whatever happens: a cancel never leaves a
    /// half-stored sign-in.
    pub async fn finish_unless(
        self,
        credentials: &Credentials,
        persistence: Persistence,
        cancelled: impl std::future::Future<Output = ()>,
    ) -> Result<Option<SignedIn>, CredentialError> {
        let Self { host, login } = self;
        let token = tokio::select! {
            token = login.wait() => token.map_err(device_error(&host))?,
            () = cancelled => return Ok(None),
        };
        keep(credentials, &host, token, persistence).await.map(Some)
    }
}

/// The device flow's verification page is opened in the person's browser, where they sign in
/// to GitHub: it must be on the configured GitHub's web host (github.com for api.github.com, the
/// same host for Enterprise Server), over https, unless that host is this machine (the
/// simulated GitHub).
fn check_verification_page(host: &GithubHost, uri: &str) -> Result<(), CredentialError> {
    let expected = Origin::of(&host.web_base());
    let page = Origin::of(uri);
    let on_github = match (&expected, &page) {
        (Some(expected), Some(page)) => {
            page.host == expected.host
                && (page.scheme == "https" || (expected.is_loopback() && page.is_loopback()))
        }
        _ => false,
    };
    if on_github {
        return Ok(());
    }
    Err(CredentialError::DevicePage {
        host: host.account().to_owned(),
        page: page.map_or_else(
            || "an address that is not a plain web link".to_owned(),
            |p| format!("{}://{}", p.scheme, p.host),
        ),
        expected: expected.map_or_else(|| host.web_base(), |e| e.host),
    })
}

fn device_error(host: &GithubHost) -> impl FnOnce(GithubError) -> CredentialError {
    let host = host.account().to_owned();
    move |source| CredentialError::Device {
        host,
        source: Box::new(source),
    }
}

/// Who is signed in to `host`, checked with GitHub; `None` when no token is kept.
pub async fn who_am_i(
    credentials: &Credentials,
    host: &GithubHost,
) -> Result<Option<SignedIn>, CredentialError> {
    let Some((token, home)) = credentials.token(host).await? else {
        return Ok(None);
    };
    let identity = check_token(host, &token).await?;
    Ok(Some(SignedIn {
        host: host.account().to_owned(),
        login: identity.login,
        name: identity.name,
        home,
    }))
}

/// Deletes the token for `host`; `false` when none was kept.
pub async fn sign_out(
    credentials: &Credentials,
    host: &GithubHost,
) -> Result<bool, CredentialError> {
    let removed = credentials.forget(host).await?;
    tracing::info!(host = host.account(), removed, "signed out of GitHub");
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page is opened in the person's browser and asks for their GitHub sign-in: it must be
    /// the configured GitHub's own, over https (this machine's simulated GitHub excepted).
    #[test]
    fn the_device_verification_page_is_on_the_configured_github() {
        let com = GithubHost::github_com();
        let ghes = GithubHost::from_api_base("https://ghe.example.com/api/v3").unwrap();
        let sim = GithubHost::from_api_base("http://127.0.0.1:41234").unwrap();
        for (host, page) in [
            (&com, "https://github.com/login/device"),
            (&ghes, "https://GHE.example.com/login/device"),
            (&sim, "http://127.0.0.1:41234/login/device"),
        ] {
            assert!(check_verification_page(host, page).is_ok(), "{page}");
        }
        for (host, page) in [
            (&com, "https://github.com.evil.example/login/device"),
            (&com, "http://github.com/login/device"),
            (&com, "https://api.github.com@evil.example/login/device"),
            (&com, "javascript:alert(1)"),
            (&ghes, "https://github.com/login/device"),
            (&sim, "http://192.168.1.5:41234/login/device"),
        ] {
            let e = check_verification_page(host, page).unwrap_err();
            assert_eq!(e.code(), "signin.device_page", "{page}");
        }
    }

    #[test]
    fn gh_token_wins_over_github_token_and_blanks_do_not_count() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let (var, token) =
            token_from_environment(env(&[("GITHUB_TOKEN", "b"), ("GH_TOKEN", "a")])).unwrap();
        assert_eq!((var, token.expose()), ("GH_TOKEN", "a"));
        let (var, token) =
            token_from_environment(env(&[("GH_TOKEN", "  "), ("GITHUB_TOKEN", " b\n")])).unwrap();
        assert_eq!((var, token.expose()), ("GITHUB_TOKEN", "b"));
        let e = token_from_environment(env(&[])).unwrap_err();
        assert_eq!(e.code(), "signin.no_environment_token");
        assert!(e.to_string().contains("GH_TOKEN, GITHUB_TOKEN"), "{e}");
    }

    #[test]
    fn describes_where_the_token_lives() {
        let s = SignedIn {
            host: "api.github.com".into(),
            login: "alice".into(),
            name: None,
            home: TokenHome::Keychain("the Secret Service keyring"),
        };
        assert_eq!(
            s.describe(),
            "signed in as @alice (token in the Secret Service keyring)"
        );
    }
}
