//! Who Sluice acts as on GitHub: the token lives in the OS keychain (Secret Service, macOS
//! Keychain, Windows Credential Manager), one entry per GitHub API host, and never anywhere
//! else — not in files, logs, errors or events. With no keychain, signing in fails closed unless
//! the person asks for a session-only sign-in (the token then stays in this process's memory).
//!
//! Sign-in methods: a pasted token, `GH_TOKEN`/`GITHUB_TOKEN` from the environment, or GitHub's
//! device flow; each is checked with `GET /user` before it is kept.

mod error;
mod host;
mod keychain;
mod signin;

pub use error::CredentialError;
pub use host::GithubHost;
pub use keychain::{Credentials, Keychain, Persistence, TokenHome};
pub use signin::{
    DEVICE_SCOPES, DeviceSignIn, ENVIRONMENT_TOKEN_VARIABLES, SignedIn, check_token,
    sign_in_from_environment, sign_in_with_token, sign_out, start_device_sign_in,
    token_from_environment, who_am_i,
};
