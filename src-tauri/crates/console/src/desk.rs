//! The window's session: one live view of the pipeline, the person signed in, and the actions
//! the buttons take. The same use cases as the command line (`sluice login`, `promote`,
//! `rollback`, `audit`), held open for as long as the window is.
//!
//! Signing in or out, or switching the demo world on or off, restarts the live sources with the
//! new identity (GitHub answers "may approve" per person), while the window keeps one stream of
//! snapshots whose sequence only grows.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sluice_core::audit::{AuditEntry, AuditProblem};
use sluice_core::desk::{
    Account, AuditExport, DemoPerson, DeviceCode, EnvironmentContext, ExportFormat, KeychainInfo,
    Outcome, Review, ReviewAction, SessionInfo, ValueEntry,
};
use sluice_core::snapshot::Snapshot;
use sluice_core::{Pipeline, UiError};
use sluice_github::{GithubClient, GithubConfig, GithubToken};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::Console;
use crate::credentials::{
    CredentialError, Credentials, DeviceSignIn, GithubHost, Keychain, Persistence, SignedIn,
    TokenHome,
};
use crate::demo::Demo;
use crate::journal::Journal;
use crate::live::{Live, LiveConfig};
use crate::promote;

/// The OAuth client id the simulated GitHub is asked with.
const DEMO_CLIENT_ID: &str = "sluice-demo";

/// How long a restarted live view may take to answer before its snapshots are shown anyway.
const RESTART_PATIENCE: Duration = Duration::from_secs(5);

/// How the window was started.
pub struct DeskOptions {
    pub demo: bool,
    pub kubeconfig: Option<PathBuf>,
    pub github_api_url: Option<String>,
    /// The OAuth app for the device flow (`SLUICE_GITHUB_CLIENT_ID`).
    pub device_client_id: Option<String>,
    pub keychain: Keychain,
    /// The audit journal.
    pub journal: PathBuf,
    /// Reads `GH_TOKEN`/`GITHUB_TOKEN`; the process environment outside tests.
    pub environment: fn(&str) -> Option<String>,
}

impl DeskOptions {
    pub fn from_process(
        demo: bool,
        kubeconfig: Option<PathBuf>,
        github_api_url: Option<String>,
    ) -> Result<Self, UiError> {
        Ok(Self {
            demo,
            kubeconfig,
            github_api_url,
            device_client_id: std::env::var("SLUICE_GITHUB_CLIENT_ID")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            keychain: Keychain::os(),
            journal: crate::journal::default_path().map_err(|e| e.to_ui())?,
            environment: |name| std::env::var(name).ok(),
        })
    }
}

/// Who acts: a token checked with GitHub, or a simulated person of the demo world.
struct Active {
    account: Account,
    token: GithubToken,
}

struct State {
    demo: Option<Demo>,
    live: Option<Live>,
    forward: Option<JoinHandle<()>>,
    active: Option<Active>,
    keychain_problem: Option<String>,
    interrupted: Vec<AuditEntry>,
}

pub struct Desk {
    console: Console,
    kubeconfig: Option<PathBuf>,
    github_api_url: Option<String>,
    device_client_id: Option<String>,
    environment: fn(&str) -> Option<String>,
    credentials: Credentials,
    journal: Result<Journal, UiError>,
    journal_problems: Vec<AuditProblem>,
    /// The window's one stream: every live view's snapshots, renumbered to keep growing.
    snapshots: watch::Sender<Option<Arc<Snapshot>>>,
    state: tokio::sync::Mutex<State>,
    /// The device sign-in started and not yet finished, with the end of its cancel line.
    device: Mutex<Option<(DeviceSignIn, oneshot::Receiver<()>)>>,
    /// Cancels that sign-in, whether or not its wait has begun; dropping it cancels too (a new
    /// sign-in supersedes the old one).
    device_cancel: Mutex<Option<oneshot::Sender<()>>>,
    demo_requested: bool,
}

/// Where each environment runs, for Settings.
struct Contexts {
    environments: Vec<EnvironmentContext>,
    /// The kubeconfig's context names; empty when unknown.
    kube_contexts: Vec<String>,
    problem: Option<String>,
}

fn not_in_demo(what: &str) -> UiError {
    UiError::new(
        "demo.off",
        format!("{what} is only possible in the demo world."),
        "Turn demo mode on in Settings.",
    )
}

fn device_sign_in_cancelled() -> UiError {
    UiError::new(
        "signin.cancelled",
        "The device sign-in was cancelled.",
        "Start again with “Sign in with GitHub” when you are ready.",
    )
}

fn credential_error(e: CredentialError) -> UiError {
    e.into()
}

fn account_of(s: &SignedIn) -> Account {
    Account {
        login: s.login.clone(),
        name: s.name.clone(),
        token_home: match &s.home {
            TokenHome::Keychain(name) => (*name).to_owned(),
            TokenHome::Session => "memory, for this session only".to_owned(),
        },
        session_only: s.home == TokenHome::Session,
    }
}

impl Desk {
    /// A desk with nothing running yet; [`start`](Self::start) opens the live view.
    pub fn new(console: Console, options: DeskOptions) -> Self {
        let (journal, journal_problems) = match Journal::open(&options.journal) {
            Ok(j) => {
                let problems = j.recovered();
                (Ok(j), problems)
            }
            Err(e) => (Err(e.to_ui()), Vec::new()),
        };
        let interrupted = journal
            .as_ref()
            .ok()
            .and_then(|j| j.interrupted().ok())
            .unwrap_or_default();
        Self {
            console,
            kubeconfig: options.kubeconfig,
            github_api_url: options.github_api_url,
            device_client_id: options.device_client_id,
            environment: options.environment,
            credentials: Credentials::new(options.keychain),
            journal,
            journal_problems,
            snapshots: watch::channel(None).0,
            state: tokio::sync::Mutex::new(State {
                demo: None,
                live: None,
                forward: None,
                active: None,
                keychain_problem: None,
                interrupted,
            }),
            device: Mutex::new(None),
            device_cancel: Mutex::new(None),
            demo_requested: options.demo,
        }
    }

    /// Starts the demo world if asked, finds who is signed in, and opens the live view.
    pub async fn start(&self) -> Result<(), UiError> {
        let mut state = self.state.lock().await;
        if self.demo_requested {
            state.demo = Some(self.start_demo().await?);
        }
        self.restore_sign_in(&mut state).await;
        self.restart_live(&mut state).await
    }

    /// Every snapshot for the window, across restarts of the live view.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<Snapshot>>> {
        self.snapshots.subscribe()
    }

    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        self.snapshots.borrow().clone()
    }

    async fn start_demo(&self) -> Result<Demo, UiError> {
        let pipeline = self.console.pipeline()?;
        let demo = Demo::start(&self.console, &pipeline).await.map_err(|e| {
            UiError::new(
                "demo.failed",
                e,
                "Run `sluice validate` to check the pipeline file, then restart Sluice.",
            )
        })?;
        // The simulated person enters a device code at once; no need for five-second polls.
        demo.world.github.set_device_poll_interval(1);
        Ok(demo)
    }

    fn github_api(&self, state: &State) -> String {
        if let Some(demo) = &state.demo {
            return demo.world.github_server.url();
        }
        self.github_api_url
            .clone()
            .or_else(|| self.console.pipeline().ok().and_then(|p| p.github.api_url))
            .unwrap_or_else(|| GithubHost::GITHUB_COM_API.to_owned())
    }

    fn host(&self, state: &State) -> Result<GithubHost, UiError> {
        GithubHost::from_api_base(&self.github_api(state)).map_err(credential_error)
    }

    /// Outside the demo: the token kept for this GitHub host, if GitHub still accepts it.
    async fn restore_sign_in(&self, state: &mut State) {
        state.active = None;
        state.keychain_problem = None;
        if state.demo.is_some() {
            return;
        }
        let Ok(host) = self.host(state) else {
            return;
        };
        match self.credentials.token(&host).await {
            Ok(Some((token, home))) => match crate::credentials::check_token(&host, &token).await {
                Ok(identity) => {
                    state.active = Some(Active {
                        account: account_of(&SignedIn {
                            host: host.account().to_owned(),
                            login: identity.login,
                            name: identity.name,
                            home,
                        }),
                        token,
                    });
                }
                Err(e) => tracing::warn!(error = %e, "the kept GitHub token was not accepted"),
            },
            Ok(None) => {}
            Err(e) => {
                if e.is_keychain_unavailable() {
                    state.keychain_problem = Some(e.to_string());
                }
                tracing::warn!(error = %e, "cannot read the keychain");
            }
        }
    }

    /// Replaces the live view with one reading as the active person (or the demo's viewer).
    async fn restart_live(&self, state: &mut State) -> Result<(), UiError> {
        let pipeline = self.console.pipeline()?;
        let dir = self
            .console
            .pipeline_path()
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let token = state.active.as_ref().map(|a| a.token.clone());
        let config = match &state.demo {
            Some(demo) => {
                let mut config = demo.live_config();
                if token.is_some() {
                    config.github_token = token;
                }
                config
            }
            None => LiveConfig {
                kubeconfig: self.kubeconfig.clone(),
                github_api: Some(self.github_api(state)),
                github_token: token,
                github_poll: None,
            },
        };
        if let Some(forward) = state.forward.take() {
            forward.abort();
        }
        state.live = None;
        let live = Live::start(pipeline, dir, config).await;
        state.forward = Some(tokio::spawn(forward(
            live.subscribe(),
            self.snapshots.clone(),
        )));
        state.live = Some(live);
        Ok(())
    }

    pub async fn session(&self) -> SessionInfo {
        let state = self.state.lock().await;
        self.session_of(&state)
    }

    fn session_of(&self, state: &State) -> SessionInfo {
        let keychain = self.credentials.keychain();
        let demo = state.demo.as_ref();
        let contexts = self.contexts(demo.is_some());
        SessionInfo {
            demo: demo.is_some(),
            demo_speed: demo.map(|d| d.world.clock.speed()),
            demo_people: demo
                .map(|d| {
                    d.world
                        .people
                        .iter()
                        .map(|p| DemoPerson {
                            login: p.login.clone(),
                            role: format!("{:?}", p.role).to_lowercase(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            account: state.active.as_ref().map(|a| a.account.clone()),
            keychain: KeychainInfo {
                name: keychain.name().to_owned(),
                available: demo.is_none() && state.keychain_problem.is_none(),
                problem: if demo.is_some() {
                    Some("The demo world's tokens end with it, so they are never kept.".into())
                } else {
                    state.keychain_problem.clone()
                },
            },
            environment_token: crate::credentials::token_from_environment(self.environment)
                .ok()
                .map(|(name, _)| name.to_owned()),
            device_flow: demo.is_some() || self.device_client_id.is_some(),
            github_host: self
                .host(state)
                .map(|h| h.account().to_owned())
                .unwrap_or_else(|e| e.message),
            pipeline_file: self.console.pipeline_path().display().to_string(),
            kubeconfig: demo
                .map(|d| d.kubeconfig.clone())
                .or_else(|| self.kubeconfig.clone())
                .map(|p| p.display().to_string()),
            contexts: contexts.environments,
            kube_contexts: contexts.kube_contexts,
            contexts_editable: demo.is_none(),
            contexts_problem: contexts.problem,
            interrupted: state.interrupted.clone(),
            journal_problems: self.journal_problems.clone(),
        }
    }

    /// Where each environment runs, the kubeconfig's contexts, and why either is not known.
    fn contexts(&self, demo: bool) -> Contexts {
        let mut problems = Vec::new();
        let choices = self.console.chosen_contexts().unwrap_or_else(|e| {
            problems.push(e.message);
            Default::default()
        });
        let kube_contexts = if demo {
            None
        } else {
            self.kubeconfig_contexts()
                .map_err(|e| problems.push(format!("{} {}", e.message, e.hint)))
                .ok()
        };
        let environments = self
            .console
            .pipeline_as_written()
            .map(|written| {
                let mut chosen = written.clone();
                crate::contexts::apply(&mut chosen, &choices);
                written
                    .environments
                    .iter()
                    .zip(chosen.environments)
                    .map(|(w, c)| EnvironmentContext {
                        found: kube_contexts.as_ref().map(|k| k.contains(&c.kube_context)),
                        environment: c.name,
                        kube_context: c.kube_context,
                        pipeline_context: w.kube_context.clone(),
                        namespace: c.namespace,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Contexts {
            environments,
            kube_contexts: kube_contexts.unwrap_or_default(),
            problem: (!problems.is_empty()).then(|| problems.join(" ")),
        }
    }

    /// The kubeconfig's context names; the error names the file that was read.
    fn kubeconfig_contexts(&self) -> Result<Vec<String>, UiError> {
        sluice_kube::kubeconfig::context_names(self.kubeconfig.as_deref()).map_err(|e| {
            let file = self.kubeconfig.as_ref().map_or_else(
                || "$KUBECONFIG or ~/.kube/config".to_owned(),
                |p| p.display().to_string(),
            );
            UiError::new(
                "contexts.no-kubeconfig",
                format!("Cannot read the kubeconfig: {e}."),
                format!("Check {file}, then try again."),
            )
        })
    }

    /// Points `environment` at another context of the kubeconfig on this machine, or back at
    /// the pipeline file's with `None`, and reconnects.
    pub async fn set_kube_context(
        &self,
        environment: &str,
        context: Option<String>,
    ) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        if state.demo.is_some() {
            return Err(UiError::new(
                "contexts.demo",
                "The demo world's contexts are its own.",
                "Turn demo mode off to choose the contexts of your kubeconfig.",
            ));
        }
        let choices = self.console.context_choices().ok_or_else(|| {
            UiError::new(
                "contexts.unavailable",
                "There is no config folder to keep the choice in.",
                "Set HOME (or XDG_CONFIG_HOME) and restart Sluice, or edit the pipeline file.",
            )
        })?;
        let pipeline = self.console.pipeline_as_written()?;
        let env = find_environment(&pipeline, environment)?;
        // Choosing the pipeline file's own context is no choice at all.
        let context = context.filter(|c| *c != env.kube_context);
        if let Some(c) = &context {
            let known = self.kubeconfig_contexts()?;
            if !known.contains(c) {
                return Err(UiError::new(
                    "contexts.unknown",
                    format!("The kubeconfig has no context `{c}`."),
                    "Pick one of the contexts listed (`kubectl config get-contexts`).",
                ));
            }
        }
        choices
            .set(
                self.console.pipeline_path(),
                environment,
                context.as_deref(),
            )
            .map_err(|e| e.to_ui())?;
        self.restart_live(&mut state).await?;
        Ok(self.session_of(&state))
    }

    fn persistence(session_only: bool, state: &State) -> Persistence {
        if session_only || state.demo.is_some() {
            Persistence::SessionOnly
        } else {
            Persistence::Keychain
        }
    }

    async fn signed_in(
        &self,
        mut state: tokio::sync::MutexGuard<'_, State>,
        signed: SignedIn,
    ) -> Result<SessionInfo, UiError> {
        let host = self.host(&state)?;
        let (token, _) = self
            .credentials
            .token(&host)
            .await
            .map_err(credential_error)?
            .ok_or_else(|| {
                UiError::new(
                    "signin.lost",
                    "The token was accepted but could not be read back.",
                    "Sign in again.",
                )
            })?;
        state.active = Some(Active {
            account: account_of(&signed),
            token,
        });
        self.restart_live(&mut state).await?;
        Ok(self.session_of(&state))
    }

    fn note_keychain(state: &mut State, e: &CredentialError) {
        if e.is_keychain_unavailable() {
            state.keychain_problem = Some(e.to_string());
        }
    }

    pub async fn sign_in_with_token(
        &self,
        token: GithubToken,
        session_only: bool,
    ) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        let host = self.host(&state)?;
        let persistence = Self::persistence(session_only, &state);
        match crate::credentials::sign_in_with_token(&self.credentials, &host, token, persistence)
            .await
        {
            Ok(signed) => self.signed_in(state, signed).await,
            Err(e) => {
                Self::note_keychain(&mut state, &e);
                Err(e.into())
            }
        }
    }

    pub async fn sign_in_from_environment(
        &self,
        session_only: bool,
    ) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        let host = self.host(&state)?;
        let persistence = Self::persistence(session_only, &state);
        match crate::credentials::sign_in_from_environment(
            &self.credentials,
            &host,
            persistence,
            self.environment,
        )
        .await
        {
            Ok(signed) => self.signed_in(state, signed).await,
            Err(e) => {
                Self::note_keychain(&mut state, &e);
                Err(e.into())
            }
        }
    }

    /// Starts the device flow; in the demo, the simulated approver enters the code.
    pub async fn start_device_sign_in(&self) -> Result<DeviceCode, UiError> {
        let state = self.state.lock().await;
        let host = self.host(&state)?;
        let client_id = match (&self.device_client_id, &state.demo) {
            (_, Some(_)) => DEMO_CLIENT_ID.to_owned(),
            (Some(id), None) => id.clone(),
            (None, None) => return Err(CredentialError::NoClientId.into()),
        };
        let flow = crate::credentials::start_device_sign_in(&host, &client_id)
            .await
            .map_err(credential_error)?;
        let code = DeviceCode {
            user_code: flow.user_code().to_owned(),
            verification_uri: flow.verification_uri().to_owned(),
            browser_opened: false,
        };
        if let Some(demo) = &state.demo {
            let approver = &demo.world.person(sluice_sim::Role::Approver).login;
            demo.world
                .github
                .authorize_device(flow.user_code(), approver)
                .map_err(|e| UiError::new("demo.failed", e.to_string(), "Try again."))?;
        }
        let (cancel, cancelled) = oneshot::channel();
        *self.device.lock().unwrap_or_else(PoisonError::into_inner) = Some((flow, cancelled));
        *self
            .device_cancel
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(cancel);
        Ok(code)
    }

    pub async fn finish_device_sign_in(&self, session_only: bool) -> Result<SessionInfo, UiError> {
        let (flow, cancelled) = self
            .device
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| {
                UiError::new(
                    "signin.no-device-flow",
                    "No device sign-in is waiting.",
                    "Start again with “Sign in with GitHub”.",
                )
            })?;
        let persistence = {
            let state = self.state.lock().await;
            Self::persistence(session_only, &state)
        };
        // Waiting for the person must not hold the session: the window stays usable. A cancel
        // sent at any time since the start, even before this wait began, ends it.
        let signed = flow
            .finish_unless(&self.credentials, persistence, async {
                let _ = cancelled.await;
            })
            .await;
        let mut state = self.state.lock().await;
        match signed {
            Ok(Some(signed)) => self.signed_in(state, signed).await,
            Ok(None) => Err(device_sign_in_cancelled()),
            Err(e) => {
                Self::note_keychain(&mut state, &e);
                Err(e.into())
            }
        }
    }

    /// Stops waiting for the device sign-in; its code is no longer asked about.
    pub fn cancel_device_sign_in(&self) {
        if let Some(cancel) = self
            .device_cancel
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = cancel.send(());
        }
    }

    pub async fn sign_in_as_demo_person(&self, login: &str) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        let demo = state
            .demo
            .as_ref()
            .ok_or_else(|| not_in_demo("Acting as a simulated person"))?;
        let person = demo
            .world
            .people
            .iter()
            .find(|p| p.login == login)
            .ok_or_else(|| {
                UiError::new(
                    "demo.no-person",
                    format!("The demo world has no person @{login}."),
                    "Pick one of the people listed in Settings.",
                )
            })?;
        state.active = Some(Active {
            account: Account {
                login: person.login.clone(),
                name: Some(person.name.clone()),
                token_home: "the demo world (never stored)".into(),
                session_only: true,
            },
            token: GithubToken::new(person.github_token.clone()),
        });
        self.restart_live(&mut state).await?;
        Ok(self.session_of(&state))
    }

    pub async fn sign_out(&self) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        if state.demo.is_none() {
            let host = self.host(&state)?;
            if let Err(e) = crate::credentials::sign_out(&self.credentials, &host).await {
                Self::note_keychain(&mut state, &e);
                return Err(e.into());
            }
        }
        state.active = None;
        self.restart_live(&mut state).await?;
        Ok(self.session_of(&state))
    }

    pub async fn set_demo(&self, on: bool) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        if on == state.demo.is_some() {
            return Ok(self.session_of(&state));
        }
        if on {
            state.demo = Some(self.start_demo().await?);
        }
        let old = if on { None } else { state.demo.take() };
        self.restore_sign_in(&mut state).await;
        self.restart_live(&mut state).await?;
        // The old world stops only once nothing reads it any more.
        drop(old);
        Ok(self.session_of(&state))
    }

    pub async fn set_demo_speed(&self, speed: f64) -> Result<SessionInfo, UiError> {
        let state = self.state.lock().await;
        let demo = state
            .demo
            .as_ref()
            .ok_or_else(|| not_in_demo("Changing the clock's speed"))?;
        if !speed.is_finite() || !(0.0..=10_000.0).contains(&speed) {
            return Err(UiError::new(
                "demo.bad-speed",
                format!("{speed} is not a speed the demo can run at."),
                "Pick a speed between 0 (paused) and 10000.",
            ));
        }
        demo.world.clock.set_speed(speed);
        Ok(self.session_of(&state))
    }

    pub fn environment_values(&self, environment: &str) -> Result<Vec<ValueEntry>, UiError> {
        let pipeline = self.console.pipeline()?;
        let env = find_environment(&pipeline, environment)?;
        let path = self
            .console
            .pipeline_path()
            .parent()
            .unwrap_or(Path::new("."))
            .join(&env.values_file);
        let unreadable = |detail: String| {
            UiError::new(
                "values.unreadable",
                format!("Cannot read {}: {detail}", path.display()),
                "Check that the values file exists and is valid YAML.",
            )
        };
        let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.to_string()))?;
        let values =
            sluice_core::values::FlatValues::parse(&text).map_err(|e| unreadable(e.to_string()))?;
        Ok(values
            .iter()
            .map(|(key, value)| ValueEntry {
                key: key.to_owned(),
                value: value.to_owned(),
            })
            .collect())
    }

    fn journal(&self) -> Result<&Journal, UiError> {
        self.journal.as_ref().map_err(Clone::clone)
    }

    /// Runs `f` with a promotion context for the active person, without holding the session
    /// lock (a promotion follows its rollout for minutes).
    async fn with_context<T>(
        &self,
        f: impl AsyncFnOnce(&promote::Context<'_>) -> Result<T, UiError>,
    ) -> Result<T, UiError> {
        let pipeline = self.console.pipeline()?;
        let journal = self.journal()?;
        let (kubeconfig, api, active) = {
            let state = self.state.lock().await;
            (
                state
                    .demo
                    .as_ref()
                    .map(|d| d.kubeconfig.clone())
                    .or_else(|| self.kubeconfig.clone()),
                self.github_api(&state),
                state
                    .active
                    .as_ref()
                    .map(|a| (a.account.login.clone(), a.token.clone())),
            )
        };
        let mut config = GithubConfig::github_com(&pipeline.github.owner, &pipeline.github.name);
        config.api_base = api;
        let (github, login) = match active {
            Some((login, token)) => (
                Some(GithubClient::new(&config, Some(&token)).map_err(|e| {
                    UiError::new(
                        "github.client",
                        e.to_string(),
                        "Check the GitHub API URL in Settings.",
                    )
                })?),
                Some(login),
            ),
            None => (None, None),
        };
        let ctx = promote::Context {
            pipeline: &pipeline,
            snapshots: self.subscribe(),
            kubeconfig,
            holder: promote::command::holder(login.as_deref().unwrap_or("unknown")),
            github,
            login,
            journal,
            follow_timeout: Duration::from_secs(15 * 60),
        };
        f(&ctx).await
    }

    pub async fn review(&self, environment: &str) -> Result<Review, UiError> {
        self.with_context(async |ctx| promote::review(ctx, environment))
            .await
    }

    pub async fn act(
        &self,
        environment: &str,
        action: ReviewAction,
        comment: &str,
        override_reason: Option<String>,
    ) -> Result<Outcome, UiError> {
        let request = promote::Request {
            environment: environment.to_owned(),
            action: match action {
                ReviewAction::Approve => promote::Action::Approve,
                ReviewAction::Reject => promote::Action::Reject,
            },
            comment: comment.to_owned(),
            override_reason: override_reason.filter(|r| !r.trim().is_empty()),
        };
        let outcome = self
            .with_context(async |ctx| promote::promote(ctx, &request).await)
            .await?;
        Ok(Outcome {
            result: outcome.result,
            message: outcome.message,
        })
    }

    pub async fn rollback(&self, environment: &str) -> Result<Outcome, UiError> {
        let outcome = self
            .with_context(async |ctx| promote::rollback(ctx, environment).await)
            .await?;
        Ok(Outcome {
            result: outcome.result,
            message: outcome.message,
        })
    }

    /// The whole journal, newest first.
    pub fn audit(&self) -> Result<Vec<AuditEntry>, UiError> {
        let mut entries = self.journal()?.read().map_err(|e| e.to_ui())?.entries;
        entries.reverse();
        Ok(entries)
    }

    /// Writes the journal as CSV or JSON into `dir`, oldest first like the journal itself.
    pub fn export_audit(&self, format: ExportFormat, dir: &Path) -> Result<AuditExport, UiError> {
        let entries = self.journal()?.read().map_err(|e| e.to_ui())?.entries;
        let (text, extension) = match format {
            ExportFormat::Csv => (crate::journal::export::to_csv(&entries), "csv"),
            ExportFormat::Json => (crate::journal::export::to_json(&entries), "json"),
        };
        let stamp = crate::journal::now().replace(':', "-");
        let path = dir.join(format!("sluice-audit-{stamp}.{extension}"));
        let failed = |e: std::io::Error| {
            UiError::new(
                "audit.export-failed",
                format!("Cannot write {}: {e}", path.display()),
                "Check that the folder exists and you may write to it.",
            )
        };
        std::fs::create_dir_all(dir).map_err(failed)?;
        std::fs::write(&path, text).map_err(failed)?;
        Ok(AuditExport {
            path: path.display().to_string(),
            entries: u32::try_from(entries.len()).unwrap_or(u32::MAX),
        })
    }
}

fn find_environment<'p>(
    pipeline: &'p Pipeline,
    name: &str,
) -> Result<&'p sluice_core::pipeline::Environment, UiError> {
    pipeline
        .environments
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| {
            UiError::new(
                "pipeline.unknown-environment",
                format!("There is no environment `{name}`."),
                "Pick an environment of the pipeline.",
            )
        })
}

/// Copies one live view's snapshots into the window's stream. After a restart, the new view's
/// first answers wait until every source has answered (or a few seconds passed), so the window
/// does not flash "connecting"; sequence numbers continue from the previous view's.
async fn forward(
    mut from: watch::Receiver<Option<Arc<Snapshot>>>,
    to: watch::Sender<Option<Arc<Snapshot>>>,
) {
    let base = to.borrow().as_ref().map_or(0, |s| s.sequence);
    if base > 0 {
        let ready = |s: &Option<Arc<Snapshot>>| {
            s.as_deref().is_some_and(|s| {
                s.sources
                    .iter()
                    .all(|x| x.connected || x.last_error.is_some())
            })
        };
        let _ = tokio::time::timeout(RESTART_PATIENCE, from.wait_for(ready)).await;
    }
    loop {
        let latest = from.borrow_and_update().clone();
        if let Some(s) = latest {
            // Only a restarted view needs renumbering; the first one's snapshots pass as they are.
            let s = if base == 0 {
                s
            } else {
                let mut s = (*s).clone();
                s.sequence += base;
                Arc::new(s)
            };
            to.send_replace(Some(s));
        }
        if from.changed().await.is_err() {
            return;
        }
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        if let Ok(mut state) = self.state.try_lock()
            && let Some(f) = state.forward.take()
        {
            f.abort();
        }
    }
}
