//! Who the session acts as. As `gh` does, a token in `GH_TOKEN`/`GITHUB_TOKEN` is used as-is and
//! wins over a stored sign-in, with no keychain needed (scripts, CI jobs, SSH sessions); without
//! one, the token kept for the GitHub host (this session's, then the keychain's); in the demo, a
//! simulated person. Every token is checked with GitHub first, so the session knows who it is.

use sluice_core::desk::{Account, AccountSource};
use sluice_github::GithubToken;

use crate::credentials::{
    self, Credentials, GithubHost, SignedIn, TokenHome, token_from_environment,
};

/// The identity in use, with its token (never shown, logged or sent to the window).
#[derive(Clone)]
pub(crate) struct Active {
    pub account: Account,
    pub token: GithubToken,
}

impl Active {
    pub fn login(&self) -> &str {
        &self.account.login
    }

    /// A sign-in made in this session (window or `sluice login`).
    pub fn signed_in(signed: &SignedIn, token: GithubToken) -> Self {
        let (source, why) = match &signed.home {
            TokenHome::Keychain(name) => (
                AccountSource::Keychain,
                format!(
                    "Signed in as @{}; the token is kept in {name}.",
                    signed.login
                ),
            ),
            TokenHome::Session => (
                AccountSource::Session,
                format!(
                    "Signed in as @{} for this session only; nothing was stored.",
                    signed.login
                ),
            ),
        };
        Self {
            account: Account {
                login: signed.login.clone(),
                name: signed.name.clone(),
                token_home: match &signed.home {
                    TokenHome::Keychain(name) => (*name).to_owned(),
                    TokenHome::Session => "memory, for this session only".to_owned(),
                },
                session_only: signed.home == TokenHome::Session,
                source,
                why,
            },
            token,
        }
    }

    /// One of the demo world's simulated people.
    pub fn demo(person: &sluice_sim::people::Person) -> Self {
        Self {
            account: Account {
                login: person.login.clone(),
                name: Some(person.name.clone()),
                token_home: "the demo world (never stored)".into(),
                session_only: true,
                source: AccountSource::Demo,
                why: format!(
                    "Acting as the demo world's simulated @{}; its token ends with the world.",
                    person.login
                ),
            },
            token: GithubToken::new(person.github_token.clone()),
        }
    }
}

/// What resolving the identity found.
#[derive(Default)]
pub(crate) struct Resolved {
    pub active: Option<Active>,
    /// Why a present credential was not used, for the person to read.
    pub note: Option<String>,
    /// The keychain could not be read at all.
    pub keychain_problem: Option<String>,
}

/// The identity for `host`: the environment's token when set, else the kept one.
pub(crate) async fn resolve(
    credentials: &Credentials,
    host: &GithubHost,
    environment: &(dyn Fn(&str) -> Option<String> + Send + Sync),
) -> Resolved {
    let mut resolved = Resolved::default();
    if let Ok((variable, token)) = token_from_environment(environment) {
        match credentials::check_token(host, &token).await {
            Ok(identity) => {
                let why = format!(
                    "{variable} is set: Sluice uses it as-is and it wins over any token in the keychain, as gh does."
                );
                resolved.active = Some(Active {
                    account: Account {
                        login: identity.login,
                        name: identity.name,
                        token_home: format!("the {variable} environment variable"),
                        // Not Sluice's to keep or lose: it stays in the environment.
                        session_only: false,
                        source: AccountSource::Environment,
                        why,
                    },
                    token,
                });
                return resolved;
            }
            Err(e) => {
                tracing::warn!(variable, error = %e, "the environment's GitHub token was not accepted");
                resolved.note = Some(format!(
                    "{variable} is set but GitHub did not accept it ({e}); the kept sign-in is used instead."
                ));
            }
        }
    }
    match credentials.token(host).await {
        Ok(Some((token, home))) => match credentials::check_token(host, &token).await {
            Ok(identity) => {
                let signed = SignedIn {
                    host: host.account().to_owned(),
                    login: identity.login,
                    name: identity.name,
                    home,
                };
                resolved.active = Some(Active::signed_in(&signed, token));
            }
            Err(e) => {
                tracing::warn!(error = %e, "the kept GitHub token was not accepted");
                resolved.note = Some(format!(
                    "The token kept for {} was not accepted by GitHub ({e}); sign in again.",
                    host.account()
                ));
            }
        },
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the keychain");
            if e.is_keychain_unavailable() {
                resolved.keychain_problem = Some(e.to_string());
            }
        }
    }
    resolved
}
