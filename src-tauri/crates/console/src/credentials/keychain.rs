//! The OS keychain through `keyring`, with each platform's store named explicitly: keyring's
//! default store falls back to an in-memory mock when no platform feature is enabled, and a
//! sign-in that silently evaporates is worse than one that says it cannot be kept.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use keyring::Entry;
use keyring::credential::{CredentialBuilder, CredentialPersistence};
use sluice_github::GithubToken;

use super::{CredentialError, GithubHost};

/// The keychain service Sluice's tokens are stored under; the account is the API host.
pub const SERVICE: &str = "dev.sluice.app";

/// How long a keychain call may take. Generous: the store may be waiting for the person to
/// type their keyring password into a system prompt.
const PATIENCE: Duration = Duration::from_secs(120);

/// One keychain call at a time: the Secret Service client blocks on a private single-threaded
/// runtime, and the platform stores gain nothing from concurrency.
static CALLS: Mutex<()> = Mutex::new(());

/// The OS keychain, or the knowledge that there is none.
#[derive(Clone)]
pub struct Keychain {
    service: String,
    name: &'static str,
    /// `None`: no keychain, for the reason in `missing`.
    builder: Option<Arc<CredentialBuilder>>,
    missing: &'static str,
    /// Entries are built once per account; a platform entry holds only its attributes.
    entries: Arc<Mutex<HashMap<String, Arc<Entry>>>>,
}

impl fmt::Debug for Keychain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keychain")
            .field("service", &self.service)
            .field("name", &self.name)
            .field("available", &self.builder.is_some())
            .finish_non_exhaustive()
    }
}

impl Keychain {
    /// This platform's keychain, under Sluice's service name.
    pub fn os() -> Self {
        Self::os_with_service(SERVICE)
    }

    /// This platform's keychain under another service name (tests keep clear of real tokens).
    pub fn os_with_service(service: &str) -> Self {
        let (name, builder) = platform_store();
        // Only a store that keeps what it is given is a keychain; anything else is refused.
        let builder = builder.filter(|b| {
            matches!(
                b.persistence(),
                CredentialPersistence::UntilDelete | CredentialPersistence::UntilReboot
            )
        });
        Self::from_builder(service, name, builder)
    }

    fn from_builder(
        service: &str,
        name: &'static str,
        builder: Option<Box<CredentialBuilder>>,
    ) -> Self {
        Self {
            service: service.to_owned(),
            name,
            builder: builder.map(Arc::from),
            missing: "Sluice has no keychain backend for this operating system",
            entries: Arc::default(),
        }
    }

    /// No keychain at all, on purpose (e.g. the demo world, whose tokens die with it): every
    /// call fails closed with `why`, so only session-only sign-ins work.
    pub fn disabled(why: &'static str) -> Self {
        Self {
            missing: why,
            ..Self::from_builder(SERVICE, "the keychain", None)
        }
    }

    /// A keychain backed by keyring's mock, which keeps secrets only in the entry objects.
    #[cfg(test)]
    pub(crate) fn mock(service: &str) -> Self {
        Self::from_builder(
            service,
            "the mock keychain",
            Some(keyring::mock::default_credential_builder()),
        )
    }

    /// What the person knows the store as, e.g. "the Secret Service keyring".
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, account: &str) -> Result<Arc<Entry>, CredentialError> {
        let Some(builder) = &self.builder else {
            return Err(CredentialError::KeychainUnavailable {
                keychain: self.name,
                detail: self.missing.to_owned(),
                source: None,
            });
        };
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.get(account) {
            return Ok(entry.clone());
        }
        let credential = builder
            .build(None, &self.service, account)
            .map_err(|e| fault(self.name, "prepare", e))?;
        let entry = Arc::new(Entry::new_with_credential(credential));
        entries.insert(account.to_owned(), entry.clone());
        Ok(entry)
    }

    /// Runs one keychain call off the async workers (the Secret Service client blocks on its
    /// own runtime, which deadlocks on a tokio worker), with a deadline.
    async fn call<T: Send + 'static>(
        &self,
        account: &str,
        operation: &'static str,
        f: impl FnOnce(&Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, CredentialError> {
        let entry = self.entry(account)?;
        let name = self.name;
        let task = tokio::task::spawn_blocking(move || {
            let _one_at_a_time = CALLS.lock().unwrap_or_else(PoisonError::into_inner);
            f(&entry)
        });
        match tokio::time::timeout(PATIENCE, task).await {
            Err(_) => Err(CredentialError::KeychainTimeout {
                keychain: name,
                seconds: PATIENCE.as_secs(),
            }),
            Ok(Err(join)) => Err(CredentialError::Keychain {
                keychain: name,
                operation,
                detail: format!("the keychain call did not complete ({join})"),
            }),
            Ok(Ok(result)) => result.map_err(|e| fault(name, operation, e)),
        }
    }

    /// One keychain call for synchronous code (the audit journal's appends), on a thread of
    /// its own: safe on an async worker too, and given up after `patience` (the call then ends
    /// on its own; its result is dropped).
    fn call_blocking<T: Send + 'static>(
        &self,
        account: &str,
        operation: &'static str,
        patience: Duration,
        f: impl FnOnce(&Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, CredentialError> {
        let entry = self.entry(account)?;
        let name = self.name;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _one_at_a_time = CALLS.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = tx.send(f(&entry));
        });
        match rx.recv_timeout(patience) {
            Ok(result) => result.map_err(|e| fault(name, operation, e)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                Err(CredentialError::KeychainTimeout {
                    keychain: name,
                    seconds: patience.as_secs(),
                })
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                Err(CredentialError::Keychain {
                    keychain: name,
                    operation,
                    detail: "the keychain call did not complete".to_owned(),
                })
            }
        }
    }

    /// The text kept for `account` (not a secret: e.g. the audit journal's anchored head).
    pub fn read_text_blocking(
        &self,
        account: &str,
        patience: Duration,
    ) -> Result<Option<String>, CredentialError> {
        self.call_blocking(account, "read", patience, |entry| {
            match entry.get_password() {
                Ok(text) => Ok(Some(text)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// Keeps `text` for `account`, replacing what was there.
    pub fn store_text_blocking(
        &self,
        account: &str,
        text: &str,
        patience: Duration,
    ) -> Result<(), CredentialError> {
        let text = text.to_owned();
        self.call_blocking(account, "store", patience, move |entry| {
            entry.set_password(&text)
        })
    }

    /// Deletes what is kept for `account`; `false` when there was nothing.
    pub fn delete_blocking(
        &self,
        account: &str,
        patience: Duration,
    ) -> Result<bool, CredentialError> {
        self.call_blocking(account, "delete", patience, |entry| {
            match entry.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring::Error::NoEntry) => Ok(false),
                Err(e) => Err(e),
            }
        })
    }

    /// Stores (or replaces) the token for `account`.
    pub async fn store(&self, account: &str, token: &GithubToken) -> Result<(), CredentialError> {
        let token = token.clone();
        self.call(account, "store", move |entry| {
            entry.set_password(token.expose())
        })
        .await
    }

    /// The token stored for `account`, if any.
    pub async fn load(&self, account: &str) -> Result<Option<GithubToken>, CredentialError> {
        self.call(account, "read", |entry| match entry.get_password() {
            Ok(secret) => Ok(Some(GithubToken::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    /// Deletes the token for `account`; `false` when there was none.
    pub async fn delete(&self, account: &str) -> Result<bool, CredentialError> {
        self.call(account, "delete", |entry| match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(e),
        })
        .await
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> (&'static str, Option<Box<CredentialBuilder>>) {
    (
        "the Secret Service keyring",
        Some(keyring::secret_service::default_credential_builder()),
    )
}

#[cfg(target_os = "macos")]
fn platform_store() -> (&'static str, Option<Box<CredentialBuilder>>) {
    (
        "the macOS Keychain",
        Some(keyring::macos::default_credential_builder()),
    )
}

#[cfg(target_os = "windows")]
fn platform_store() -> (&'static str, Option<Box<CredentialBuilder>>) {
    (
        "Windows Credential Manager",
        Some(keyring::windows::default_credential_builder()),
    )
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn platform_store() -> (&'static str, Option<Box<CredentialBuilder>>) {
    ("the system keychain", None)
}

/// Maps keyring's error without keeping what it carries from the store: `BadEncoding` holds the
/// stored bytes (a secret) and `Ambiguous` the matching items.
fn fault(keychain: &'static str, operation: &'static str, e: keyring::Error) -> CredentialError {
    let failed = |detail: String| CredentialError::Keychain {
        keychain,
        operation,
        detail,
    };
    match e {
        keyring::Error::PlatformFailure(source) | keyring::Error::NoStorageAccess(source) => {
            CredentialError::KeychainUnavailable {
                keychain,
                detail: source.to_string(),
                source: Some(source),
            }
        }
        keyring::Error::BadEncoding(_) => failed("the stored item is not text".to_owned()),
        keyring::Error::Ambiguous(items) => failed(format!(
            "{} items match Sluice's entry; remove the extra ones",
            items.len()
        )),
        keyring::Error::NoEntry => failed("there is no entry".to_owned()),
        other @ (keyring::Error::TooLong(..) | keyring::Error::Invalid(..)) => {
            failed(other.to_string())
        }
        _ => failed("the keychain reported an unknown error".to_owned()),
    }
}

/// Whether a sign-in is kept in the keychain or only in this process's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    Keychain,
    /// Asked for explicitly: held in memory, never written anywhere.
    SessionOnly,
}

/// Where the token of a sign-in is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenHome {
    Keychain(&'static str),
    Session,
}

impl fmt::Display for TokenHome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Keychain(name) => write!(f, "token in {name}"),
            Self::Session => f.write_str("token held in memory for this session only"),
        }
    }
}

/// The tokens this process may use: the keychain's, plus any session-only sign-ins.
#[derive(Debug)]
pub struct Credentials {
    keychain: Keychain,
    session: Mutex<HashMap<String, GithubToken>>,
}

impl Credentials {
    pub fn new(keychain: Keychain) -> Self {
        Self {
            keychain,
            session: Mutex::default(),
        }
    }

    pub fn keychain(&self) -> &Keychain {
        &self.keychain
    }

    fn session(&self) -> std::sync::MutexGuard<'_, HashMap<String, GithubToken>> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `token` for `host`. With [`Persistence::Keychain`] it is stored or the call fails:
    /// nothing falls back to memory unasked.
    pub async fn save(
        &self,
        host: &GithubHost,
        token: &GithubToken,
        persistence: Persistence,
    ) -> Result<TokenHome, CredentialError> {
        match persistence {
            Persistence::Keychain => {
                self.keychain.store(host.account(), token).await?;
                // The stored sign-in replaces a session-only one.
                self.session().remove(host.account());
                Ok(TokenHome::Keychain(self.keychain.name()))
            }
            Persistence::SessionOnly => {
                self.session()
                    .insert(host.account().to_owned(), token.clone());
                Ok(TokenHome::Session)
            }
        }
    }

    /// The token for `host`: a session-only sign-in first, then the keychain's.
    pub async fn token(
        &self,
        host: &GithubHost,
    ) -> Result<Option<(GithubToken, TokenHome)>, CredentialError> {
        if let Some(token) = self.session().get(host.account()).cloned() {
            return Ok(Some((token, TokenHome::Session)));
        }
        Ok(self
            .keychain
            .load(host.account())
            .await?
            .map(|t| (t, TokenHome::Keychain(self.keychain.name()))))
    }

    /// Forgets the token for `host` everywhere; `false` when there was none.
    pub async fn forget(&self, host: &GithubHost) -> Result<bool, CredentialError> {
        let from_session = self.session().remove(host.account()).is_some();
        match self.keychain.delete(host.account()).await {
            Ok(from_keychain) => Ok(from_session || from_keychain),
            // A session-only sign-in can be ended without a keychain.
            Err(e) if from_session && e.is_keychain_unavailable() => Ok(true),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use keyring::mock::MockCredential;

    use super::*;

    const CANARY: &str = "ghp_canaryKEYCHAIN0123456789";

    fn sim_host() -> GithubHost {
        GithubHost::from_api_base("http://127.0.0.1:9").unwrap()
    }

    #[test]
    fn the_os_keychain_is_a_real_store_never_the_mock() {
        let keychain = Keychain::os();
        assert_eq!(keychain.service(), SERVICE);
        let builder = keychain
            .builder
            .as_ref()
            .expect("a backend on this platform");
        assert!(matches!(
            builder.persistence(),
            CredentialPersistence::UntilDelete
        ));
        assert!(
            builder
                .as_any()
                .downcast_ref::<keyring::mock::MockCredentialBuilder>()
                .is_none()
        );
        #[cfg(target_os = "linux")]
        assert!(
            builder
                .as_any()
                .downcast_ref::<keyring::secret_service::SsCredentialBuilder>()
                .is_some()
        );
    }

    #[tokio::test]
    async fn store_load_overwrite_delete() {
        let keychain = Keychain::mock("test");
        assert_eq!(keychain.load("a").await.unwrap(), None);
        keychain.store("a", &GithubToken::new("one")).await.unwrap();
        assert_eq!(
            keychain.load("a").await.unwrap(),
            Some(GithubToken::new("one"))
        );
        keychain.store("a", &GithubToken::new("two")).await.unwrap();
        assert_eq!(
            keychain.load("a").await.unwrap(),
            Some(GithubToken::new("two"))
        );
        assert_eq!(
            keychain.load("b").await.unwrap(),
            None,
            "accounts are separate"
        );
        assert!(keychain.delete("a").await.unwrap());
        assert!(!keychain.delete("a").await.unwrap());
        assert_eq!(keychain.load("a").await.unwrap(), None);
    }

    fn fail_next(keychain: &Keychain, account: &str, e: keyring::Error) {
        let entry = keychain.entry(account).unwrap();
        let mock: &MockCredential = entry.get_credential().downcast_ref().unwrap();
        mock.set_error(e);
    }

    #[tokio::test]
    async fn an_unreachable_store_fails_closed_with_a_hint() {
        let credentials = Credentials::new(Keychain::mock("test"));
        let host = sim_host();
        fail_next(
            credentials.keychain(),
            host.account(),
            keyring::Error::PlatformFailure("org.freedesktop.DBus.Error.ServiceUnknown".into()),
        );
        let e = credentials
            .save(&host, &GithubToken::new(CANARY), Persistence::Keychain)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "keychain.unavailable");
        let ui = sluice_core::UiError::from(&e);
        assert!(ui.message.contains("ServiceUnknown"), "{ui:?}");
        assert!(ui.hint.contains("--session-only"), "{ui:?}");
        // Nothing was kept anywhere: not in memory, not in the store.
        assert_eq!(credentials.token(&host).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_disabled_keychain_refuses_everything_but_session_sign_ins() {
        let credentials = Credentials::new(Keychain::disabled("demo mode keeps nothing"));
        let host = sim_host();
        let e = credentials
            .save(&host, &GithubToken::new(CANARY), Persistence::Keychain)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "keychain.unavailable");
        assert!(e.to_string().contains("demo mode keeps nothing"), "{e}");
        assert!(credentials.token(&host).await.is_err());
        credentials
            .save(&host, &GithubToken::new(CANARY), Persistence::SessionOnly)
            .await
            .unwrap();
        assert!(credentials.token(&host).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_locked_store_is_unavailable_too() {
        let keychain = Keychain::mock("test");
        fail_next(
            &keychain,
            "a",
            keyring::Error::NoStorageAccess("locked".into()),
        );
        let e = keychain.load("a").await.unwrap_err();
        assert!(e.is_keychain_unavailable(), "{e}");
    }

    #[tokio::test]
    async fn a_mis_encoded_secret_never_reaches_the_error() {
        let keychain = Keychain::mock("test");
        fail_next(
            &keychain,
            "a",
            keyring::Error::BadEncoding(CANARY.as_bytes().to_vec()),
        );
        let e = keychain.load("a").await.unwrap_err();
        assert_eq!(e.code(), "keychain.failed");
        let ui = sluice_core::UiError::from(&e);
        for text in [
            e.to_string(),
            format!("{e:?}"),
            serde_json::to_string(&ui).unwrap(),
        ] {
            assert!(!text.contains("canary"), "{text}");
        }
    }

    #[tokio::test]
    async fn session_only_sign_ins_stay_in_memory_and_end_without_a_keychain() {
        let credentials = Credentials::new(Keychain::mock("test"));
        let host = sim_host();
        let home = credentials
            .save(&host, &GithubToken::new(CANARY), Persistence::SessionOnly)
            .await
            .unwrap();
        assert_eq!(home, TokenHome::Session);
        assert_eq!(
            credentials.keychain().load(host.account()).await.unwrap(),
            None,
            "nothing written to the keychain"
        );
        let (token, home) = credentials.token(&host).await.unwrap().unwrap();
        assert_eq!((token.expose(), home), (CANARY, TokenHome::Session));
        assert!(!format!("{credentials:?}").contains("canary"));

        fail_next(
            credentials.keychain(),
            host.account(),
            keyring::Error::PlatformFailure("no bus".into()),
        );
        assert!(credentials.forget(&host).await.unwrap());
        assert_eq!(credentials.token(&host).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_keychain_sign_in_replaces_a_session_one_and_sign_out_removes_it() {
        let credentials = Credentials::new(Keychain::mock("test"));
        let host = sim_host();
        credentials
            .save(
                &host,
                &GithubToken::new("session"),
                Persistence::SessionOnly,
            )
            .await
            .unwrap();
        let home = credentials
            .save(&host, &GithubToken::new("stored"), Persistence::Keychain)
            .await
            .unwrap();
        assert_eq!(home, TokenHome::Keychain("the mock keychain"));
        assert_eq!(home.to_string(), "token in the mock keychain");
        let (token, _) = credentials.token(&host).await.unwrap().unwrap();
        assert_eq!(token.expose(), "stored");
        assert!(credentials.forget(&host).await.unwrap());
        assert!(!credentials.forget(&host).await.unwrap());
    }
}
