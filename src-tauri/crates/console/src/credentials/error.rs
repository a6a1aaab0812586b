//! What can go wrong signing in or reaching the keychain. No variant holds a token, and none
//! holds what the keychain returned (a mis-encoded secret would be the secret's bytes).

use sluice_core::UiError;
use sluice_github::GithubError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// No keychain could be reached (no Secret Service on the session bus, no session bus, a
    /// locked or refused store, or a platform without one): nothing was stored.
    #[error("{keychain} is not available: {detail}")]
    KeychainUnavailable {
        keychain: &'static str,
        detail: String,
        #[source]
        source: Option<BoxError>,
    },
    /// The keychain answered, but not as expected.
    #[error("{keychain} could not {operation} the GitHub token: {detail}")]
    Keychain {
        keychain: &'static str,
        operation: &'static str,
        detail: String,
    },
    #[error(
        "{keychain} did not answer within {seconds} seconds (it may be waiting to be unlocked)"
    )]
    KeychainTimeout {
        keychain: &'static str,
        seconds: u64,
    },
    #[error("GitHub at {host} did not accept the token: {message}")]
    TokenRejected { host: String, message: String },
    #[error("could not check the token with GitHub at {host}: {source}")]
    Github {
        host: String,
        #[source]
        source: Box<GithubError>,
    },
    #[error("no GitHub token is set in the environment (looked at {variables})")]
    NoEnvironmentToken { variables: String },
    #[error("the token is empty")]
    EmptyToken,
    #[error("device sign-in needs the client id of a GitHub OAuth app")]
    NoClientId,
    #[error("device sign-in with GitHub at {host} failed: {source}")]
    Device {
        host: String,
        #[source]
        source: Box<GithubError>,
    },
    #[error("{url:?} is not a GitHub API URL: {reason}")]
    BadApiUrl { url: String, reason: String },
    /// The device flow named a sign-in page that is not the configured GitHub's.
    #[error(
        "GitHub at {host} gave a device sign-in page on {page}, not on {expected} over https: it was not opened"
    )]
    DevicePage {
        host: String,
        page: String,
        expected: String,
    },
}

impl CredentialError {
    /// A stable code for tests, scripts and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::KeychainUnavailable { .. } => "keychain.unavailable",
            Self::Keychain { .. } => "keychain.failed",
            Self::KeychainTimeout { .. } => "keychain.timeout",
            Self::TokenRejected { .. } => "signin.rejected",
            Self::Github { .. } => "signin.github",
            Self::NoEnvironmentToken { .. } => "signin.no_environment_token",
            Self::EmptyToken => "signin.empty_token",
            Self::NoClientId => "signin.no_client_id",
            Self::Device { .. } => "signin.device",
            Self::BadApiUrl { .. } => "signin.bad_api_url",
            Self::DevicePage { .. } => "signin.device_page",
        }
    }

    /// Whether no keychain could be used at all (as opposed to one that misbehaved).
    pub fn is_keychain_unavailable(&self) -> bool {
        matches!(
            self,
            Self::KeychainUnavailable { .. } | Self::KeychainTimeout { .. }
        )
    }

    fn hint(&self) -> String {
        const SESSION_ONLY: &str = "or sign in for this session only (`sluice login --session-only`): \
             the token is then kept in memory and forgotten when Sluice exits";
        match self {
            Self::KeychainUnavailable { .. } | Self::KeychainTimeout { .. } => {
                format!("{}, {SESSION_ONLY}.", keychain_remedy())
            }
            Self::Keychain { .. } => format!(
                "Look at the entry for `{}` in your keychain app and remove it if it is damaged, then sign in again, {SESSION_ONLY}.",
                super::keychain::SERVICE
            ),
            Self::TokenRejected { .. } => "Check that the token is current and not revoked (a classic token needs the `repo` \
                 scope, and `read:org` for team reviewers), then sign in again: `sluice login`."
                .to_owned(),
            Self::Github { source, .. } if source.is_transient() => {
                "Check the network connection and the GitHub API URL, then try again.".to_owned()
            }
            Self::Github { .. } => "Check the GitHub API URL (`--github-api-url`, or `github.api_url` in the pipeline \
                 file) and that the token belongs to that host."
                .to_owned(),
            Self::NoEnvironmentToken { .. } => "Set GH_TOKEN (or GITHUB_TOKEN) to a token, e.g. `GH_TOKEN=$(gh auth token) \
                 sluice login --from-env`, or use another sign-in method."
                .to_owned(),
            Self::EmptyToken => "Pipe the token on standard input: `sluice login --token-stdin < token-file`.".to_owned(),
            Self::NoClientId => "Pass the client id of a GitHub OAuth app with device flow enabled (`--client-id`, or \
                 SLUICE_GITHUB_CLIENT_ID), or sign in with a token (`--token-stdin`, `--from-env`)."
                .to_owned(),
            Self::Device { .. } => "Start the sign-in again and enter the code before it expires; check the OAuth \
                 app's client id and that its device flow is enabled."
                .to_owned(),
            Self::BadApiUrl { .. } => "Give the API base, e.g. `https://api.github.com` or \
                 `https://github.example.com/api/v3`."
                .to_owned(),
            Self::DevicePage { .. } => "Check the GitHub API URL (`--github-api-url`, or `github.apiUrl` in the pipeline \
                 file), or sign in with a token instead (`sluice login --token-stdin` or `--from-env`)."
                .to_owned(),
        }
    }
}

fn keychain_remedy() -> &'static str {
    if cfg!(target_os = "macos") {
        "Unlock your login keychain (Keychain Access) and try again"
    } else if cfg!(target_os = "windows") {
        "Make sure Windows Credential Manager is available to your account and try again"
    } else if cfg!(target_os = "linux") {
        "Run Sluice in a desktop session with a Secret Service running and unlocked (GNOME Keyring, \
         KWallet or KeePassXC; e.g. `apt install gnome-keyring`), then try again"
    } else {
        "Sluice has no keychain on this system"
    }
}

impl From<&CredentialError> for UiError {
    fn from(e: &CredentialError) -> Self {
        UiError::new(e.code(), e.to_string(), e.hint())
    }
}

impl From<CredentialError> for UiError {
    fn from(e: CredentialError) -> Self {
        UiError::from(&e)
    }
}
