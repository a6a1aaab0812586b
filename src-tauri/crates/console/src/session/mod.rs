//! The session: the one composition root both front ends drive. It owns the demo world (when
//! shown), the live view of the pipeline, the identity Sluice acts as, the audit journal and the
//! kube context choices; the window's commands and the `sluice` subcommands are thin printers
//! over its use cases, so they cannot drift apart (read GitHub as different people, say).
//!
//! Signing in or out, or switching the demo world on or off, restarts the live sources with the
//! new identity (GitHub answers "may approve" per person), while subscribers keep one stream of
//! snapshots whose sequence only grows.

mod autopilot;
mod identity;
mod signin;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sluice_core::UiError;
use sluice_core::audit::{Attempt, AttemptFilter, AuditEntry, AuditProblem};
use sluice_core::desk::{
    ActRequest, AuditExport, DemoPerson, EnvironmentContext, ExportFormat, KeychainInfo,
    LinkDecision, Outcome, ProgressLine, SessionInfo,
};
use sluice_core::history::{History, RollbackPlan};
use sluice_core::review::Review;
use sluice_core::snapshot::{InboxItem, Snapshot, ValueEntry};
use sluice_core::web::Origin;
use sluice_github::{GithubClient, GithubConfig};
use tokio::sync::{broadcast, oneshot, watch};
use tokio::task::JoinHandle;

use crate::Console;
use crate::credentials::{Credentials, DeviceSignIn, GithubHost, Keychain};
use crate::demo::Demo;
use crate::journal::{Anchor, Journal};
use crate::live::{Live, LiveConfig};
use crate::promotion::{self, FileCache, HelmPlans};

pub(crate) use identity::Active;

/// How long a restarted live view may take to answer before its snapshots are shown anyway.
const RESTART_PATIENCE: Duration = Duration::from_secs(5);

/// How long a promotion follows its rollout before calling it failed.
const FOLLOW_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Lines of a tool's output kept for a listener that fell behind.
const PROGRESS_LINES: usize = 256;

/// Reads a variable of the environment Sluice runs in (tests give their own).
pub type Environment = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How the session was started.
pub struct SessionOptions {
    pub demo: bool,
    pub kubeconfig: Option<PathBuf>,
    pub github_api_url: Option<String>,
    /// The OAuth app for the device flow (`SLUICE_GITHUB_CLIENT_ID`).
    pub device_client_id: Option<String>,
    pub keychain: Keychain,
    /// The audit journal outside the demo (the demo keeps its own, which ends with it).
    pub journal: PathBuf,
    /// Reads `GH_TOKEN`/`GITHUB_TOKEN`; the process environment outside tests.
    pub environment: Environment,
    /// In the demo: act as this simulated person from the start (`--as`).
    pub demo_person: Option<String>,
    /// In the demo: the simulated release lead approves what waits, through the same rules.
    pub autopilot: bool,
    /// Where the last complete Snapshot of each pipeline is kept, to open on at the next
    /// start (`None`: nothing kept). Never in the demo, whose world starts afresh.
    pub last_known: Option<PathBuf>,
}

impl SessionOptions {
    /// Options read from the process: `SLUICE_GITHUB_CLIENT_ID`, the OS keychain, the default
    /// journal, `GH_TOKEN`/`GITHUB_TOKEN`.
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
            environment: Arc::new(|name| std::env::var(name).ok()),
            demo_person: None,
            autopilot: false,
            last_known: std::env::var_os(LAST_KNOWN_ENV)
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(crate::last_known::default_dir),
        })
    }
}

/// Overrides where last-known states are kept (tests, e2e, several profiles on one machine).
pub const LAST_KNOWN_ENV: &str = "SLUICE_STATE_DIR";

/// How often at most the last-known state is written while things change.
const SAVE_EVERY: Duration = Duration::from_secs(5);

/// The journal of the world shown: opened when first needed, so that reading a session never
/// creates one.
struct JournalSlot {
    path: PathBuf,
    /// Where its head is kept: the keychain outside the demo (whose journal ends with it).
    anchor: Anchor,
    journal: Option<Arc<Journal>>,
    problems: Vec<AuditProblem>,
    interrupted: Vec<AuditEntry>,
}

impl JournalSlot {
    fn at(path: PathBuf, anchor: Anchor) -> Self {
        let mut slot = Self {
            path,
            anchor,
            journal: None,
            problems: Vec::new(),
            interrupted: Vec::new(),
        };
        if slot.path.exists() {
            // An unreadable journal is reported when it is needed; here it only says nothing.
            let _ = slot.open();
        }
        slot
    }

    fn open(&mut self) -> Result<Arc<Journal>, UiError> {
        if let Some(j) = &self.journal {
            return Ok(j.clone());
        }
        // A journal this user may only read still lists; appending to it is then refused.
        let journal =
            Journal::open_to_read(&self.path, self.anchor.clone()).map_err(|e| e.to_ui())?;
        self.problems = journal.recovered();
        self.interrupted = journal.interrupted().unwrap_or_default();
        let journal = Arc::new(journal);
        self.journal = Some(journal.clone());
        Ok(journal)
    }
}

struct State {
    demo: Option<Demo>,
    live: Option<Live>,
    forward: Option<JoinHandle<()>>,
    autopilot: Option<JoinHandle<()>>,
    /// Keeps the last complete Snapshot on disk.
    saver: Option<JoinHandle<()>>,
    active: Option<Active>,
    /// Why a present credential was not used.
    identity_note: Option<String>,
    keychain_problem: Option<String>,
    journal: JournalSlot,
}

pub struct Session {
    console: Console,
    kubeconfig: Option<PathBuf>,
    github_api_url: Option<String>,
    device_client_id: Option<String>,
    environment: Environment,
    credentials: Credentials,
    journal_path: PathBuf,
    demo_requested: bool,
    demo_person: Option<String>,
    autopilot: bool,
    last_known: Option<PathBuf>,
    /// The one stream: every live view's snapshots, renumbered to keep growing.
    snapshots: watch::Sender<Option<Arc<Snapshot>>>,
    state: tokio::sync::Mutex<State>,
    /// Values files read from GitHub at a commit; a commit's file never changes.
    files: FileCache,
    /// The helm method's upgrades as last worked out, per environment.
    helm_plans: HelmPlans,
    /// Lines a running promotion's tool prints (`helm upgrade`).
    progress: broadcast::Sender<ProgressLine>,
    /// Each environment's latest verification after a promotion.
    verifications: promotion::Verifications,
    /// The device sign-in started and not yet finished, with the end of its cancel line.
    device: Mutex<Option<(DeviceSignIn, oneshot::Receiver<()>)>>,
    /// Cancels that sign-in, whether or not its wait has begun; dropping it cancels too.
    device_cancel: Mutex<Option<oneshot::Sender<()>>>,
}

fn not_in_demo(what: &str) -> UiError {
    UiError::new(
        "demo.off",
        format!("{what} is only possible in the demo world."),
        "Turn demo mode on in Settings, or pass --demo.",
    )
}

/// This console's name on a Lease: who, on which machine, which process.
pub(crate) fn holder(login: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{login}@{host}/{}", std::process::id())
}

/// Where each environment runs, for Settings.
struct Contexts {
    environments: Vec<EnvironmentContext>,
    kube_contexts: Vec<String>,
    problem: Option<String>,
}

impl Session {
    /// A session with nothing running yet: [`open`](Self::open) starts the demo world and finds
    /// who acts; [`watch`](Self::watch) starts the live view.
    pub fn new(console: Console, options: SessionOptions) -> Self {
        Self {
            state: tokio::sync::Mutex::new(State {
                demo: None,
                live: None,
                forward: None,
                autopilot: None,
                saver: None,
                active: None,
                identity_note: None,
                keychain_problem: None,
                journal: JournalSlot::at(
                    options.journal.clone(),
                    Anchor::keychain(options.keychain.clone(), &options.journal),
                ),
            }),
            console,
            kubeconfig: options.kubeconfig,
            github_api_url: options.github_api_url,
            device_client_id: options.device_client_id,
            environment: options.environment,
            credentials: Credentials::new(options.keychain),
            journal_path: options.journal,
            demo_requested: options.demo,
            demo_person: options.demo_person,
            autopilot: options.autopilot,
            last_known: options.last_known,
            snapshots: watch::channel(None).0,
            files: FileCache::default(),
            helm_plans: HelmPlans::default(),
            progress: broadcast::channel(PROGRESS_LINES).0,
            verifications: promotion::Verifications::default(),
            device: Mutex::new(None),
            device_cancel: Mutex::new(None),
        }
    }

    pub fn console(&self) -> &Console {
        &self.console
    }

    /// Starts the demo world if asked and finds who acts.
    pub async fn open(&self) -> Result<(), UiError> {
        let mut state = self.state.lock().await;
        if self.demo_requested && state.demo.is_none() {
            let demo = self.start_demo().await?;
            state.journal = JournalSlot::at(
                demo.journal_path(),
                Anchor::nowhere("the demo's journal ends with the demo and keeps no head"),
            );
            state.demo = Some(demo);
        }
        self.resolve_identity(&mut state).await?;
        Ok(())
    }

    /// [`open`](Self::open), then the live view (and, in the demo, the simulated release lead).
    pub async fn start(&self) -> Result<(), UiError> {
        self.open().await?;
        self.watch().await
    }

    /// Starts (or restarts) the live view as the identity in use.
    pub async fn watch(&self) -> Result<(), UiError> {
        let mut state = self.state.lock().await;
        self.restart_live(&mut state).await
    }

    /// Every snapshot, across restarts of the live view.
    /// The lines a promotion's tool prints while it runs, from now on.
    pub fn subscribe_progress(&self) -> broadcast::Receiver<ProgressLine> {
        self.progress.subscribe()
    }

    /// Each environment's latest verification, as it changes.
    pub fn subscribe_verifications(
        &self,
    ) -> watch::Receiver<Vec<sluice_core::verify::Verification>> {
        self.verifications.subscribe()
    }

    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<Snapshot>>> {
        self.snapshots.subscribe()
    }

    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        self.snapshots.borrow().clone()
    }

    /// The first snapshot in which every source has read everything once (or failed to
    /// start): complete, so nothing is waited for after it; what is known at `limit` otherwise.
    pub async fn settled(&self, limit: Duration) -> Option<Arc<Snapshot>> {
        let mut rx = self.subscribe();
        let answered = |s: &Option<Arc<Snapshot>>| s.as_deref().is_some_and(promotion::answered);
        match tokio::time::timeout(limit, rx.wait_for(answered)).await {
            Ok(Ok(s)) => s.clone(),
            _ => self.latest(),
        }
    }

    async fn start_demo(&self) -> Result<Demo, UiError> {
        let pipeline = self.console.pipeline()?;
        Demo::start(&self.console, &pipeline).await.map_err(|e| {
            UiError::new(
                "demo.failed",
                e,
                "Run `sluice validate` to check the pipeline file, then restart Sluice.",
            )
        })
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
        GithubHost::from_api_base(&self.github_api(state)).map_err(UiError::from)
    }

    /// Who acts now: in the demo a simulated person (if one was asked for), else the
    /// environment's token or the kept one.
    async fn resolve_identity(&self, state: &mut State) -> Result<(), UiError> {
        state.active = None;
        state.identity_note = None;
        state.keychain_problem = None;
        if let Some(demo) = &state.demo {
            if let Some(login) = &self.demo_person {
                state.active = Some(Active::demo(demo.person(login)?));
            }
            return Ok(());
        }
        let Ok(host) = self.host(state) else {
            return Ok(());
        };
        let resolved = identity::resolve(&self.credentials, &host, &*self.environment).await;
        state.active = resolved.active;
        state.identity_note = resolved.note;
        state.keychain_problem = resolved.keychain_problem;
        Ok(())
    }

    /// Replaces the live view with one reading as the identity in use (or the demo's viewer).
    async fn restart_live(&self, state: &mut State) -> Result<(), UiError> {
        let pipeline = self.console.pipeline()?;
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
                clock: None,
                kube_silence_limit: None,
            },
        };
        if let Some(forward) = state.forward.take() {
            forward.abort();
        }
        state.live = None;
        if state.demo.is_none() {
            self.open_last_known(state);
        }
        let live = Live::start(pipeline, config).await;
        state.forward = Some(tokio::spawn(forward(
            live.subscribe(),
            self.snapshots.clone(),
        )));
        state.live = Some(live);
        if let Some(task) = state.autopilot.take() {
            task.abort();
        }
        if self.autopilot
            && let Some(demo) = &state.demo
        {
            let lead = Active::demo(demo.world.person(sluice_sim::Role::Lead));
            let journal = state.journal.open()?;
            state.autopilot = Some(tokio::spawn(autopilot::run(
                self.promotion_setup(state, Some(lead))?,
                journal,
                demo.world.clock.clone(),
            )));
        }
        Ok(())
    }

    /// Keeps the latest Snapshot as the last-known state now, if it is complete (a command
    /// that exits before the saver's turn).
    pub async fn keep_last_known(&self) {
        let demo = self.state.lock().await.demo.is_some();
        let (Some(dir), Some(latest), false) = (&self.last_known, self.latest(), demo) else {
            return;
        };
        if !complete(&latest) {
            return;
        }
        let pipeline_file = self.console.pipeline_path().to_path_buf();
        let file = crate::last_known::file_in(dir, &pipeline_file);
        let at = jiff::Timestamp::now().to_string();
        if let Err(e) = crate::last_known::save(&file, &pipeline_file, &latest, &at) {
            tracing::warn!(error = %e.message, "the last-known state could not be kept");
        }
    }

    /// Shows the last-known state until the live view has read everything, and keeps each
    /// complete Snapshot from now on.
    fn open_last_known(&self, state: &mut State) {
        let Some(dir) = &self.last_known else {
            return;
        };
        let pipeline_file = self.console.pipeline_path().to_path_buf();
        let file = crate::last_known::file_in(dir, &pipeline_file);
        if self.snapshots.borrow().is_none() {
            match crate::last_known::load(&file, &pipeline_file) {
                Ok(Some(mut kept)) => {
                    kept.sequence = 1;
                    self.snapshots.send_replace(Some(Arc::new(kept)));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e.message, "the last-known state is not shown"),
            }
        }
        if state.saver.is_none() {
            state.saver = Some(tokio::spawn(save_complete(
                self.snapshots.subscribe(),
                file,
                pipeline_file,
            )));
        }
    }

    pub async fn info(&self) -> SessionInfo {
        let mut state = self.state.lock().await;
        self.info_of(&mut state)
    }

    fn info_of(&self, state: &mut State) -> SessionInfo {
        let keychain = self.credentials.keychain();
        let contexts = self.contexts(state.demo.is_some());
        let demo = state.demo.as_ref();
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
            identity_note: state.identity_note.clone(),
            keychain: KeychainInfo {
                name: keychain.name().to_owned(),
                available: demo.is_none() && state.keychain_problem.is_none(),
                problem: if demo.is_some() {
                    Some("The demo world's tokens end with it, so they are never kept.".into())
                } else {
                    state.keychain_problem.clone()
                },
            },
            environment_token: crate::credentials::token_from_environment(&*self.environment)
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
            interrupted: state.journal.interrupted.clone(),
            journal_problems: state.journal.problems.clone(),
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
        let env = pipeline.environment(environment)?;
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
        Ok(self.info_of(&mut state))
    }

    pub async fn set_demo(&self, on: bool) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
        if on == state.demo.is_some() {
            return Ok(self.info_of(&mut state));
        }
        let old = if on {
            let demo = self.start_demo().await?;
            state.journal = JournalSlot::at(
                demo.journal_path(),
                Anchor::nowhere("the demo's journal ends with the demo and keeps no head"),
            );
            state.demo = Some(demo);
            None
        } else {
            state.journal = JournalSlot::at(
                self.journal_path.clone(),
                Anchor::keychain(self.credentials.keychain().clone(), &self.journal_path),
            );
            state.demo.take()
        };
        self.resolve_identity(&mut state).await?;
        self.restart_live(&mut state).await?;
        // The old world stops only once nothing reads it any more.
        drop(old);
        Ok(self.info_of(&mut state))
    }

    pub async fn set_demo_speed(&self, speed: f64) -> Result<SessionInfo, UiError> {
        let mut state = self.state.lock().await;
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
        Ok(self.info_of(&mut state))
    }

    /// The environment's values file as the pipeline's folder holds it, flattened.
    pub fn environment_values(&self, environment: &str) -> Result<Vec<ValueEntry>, UiError> {
        let pipeline = self.console.pipeline()?;
        let env = pipeline.environment(environment)?;
        let values = promotion::local_values(&self.console.pipeline_dir(), &env.values_file)?;
        Ok(values
            .iter()
            .map(|(key, value)| ValueEntry {
                key: key.to_owned(),
                value: value.to_owned(),
            })
            .collect())
    }

    /// Whether the window may open `url` in the browser now: at once when it is on the
    /// configured GitHub's web host (its pull requests, runs and device sign-in page), once the
    /// person confirmed when it leads anywhere else; never what is not a plain web link.
    pub async fn link(&self, url: &str, confirmed: bool) -> Result<LinkDecision, UiError> {
        let github_web = {
            let state = self.state.lock().await;
            self.host(&state)
                .ok()
                .and_then(|h| Origin::of(&h.web_base()))
        };
        let decision = sluice_core::web::link_decision(url, github_web.as_ref())?;
        Ok(if confirmed {
            LinkDecision::Open
        } else {
            decision
        })
    }

    /// What the promotion use cases need, acting as `acting` (the session's identity when
    /// `None`).
    fn promotion_setup(
        &self,
        state: &State,
        acting: Option<Active>,
    ) -> Result<promotion::Setup, UiError> {
        let pipeline = self.console.pipeline()?;
        let active = acting.or_else(|| state.active.clone());
        let mut config = GithubConfig::github_com(&pipeline.github.owner, &pipeline.github.name);
        config.api_base = self.github_api(state);
        let github = match &active {
            Some(a) => Some(GithubClient::new(&config, Some(&a.token)).map_err(|e| {
                UiError::new(
                    "github.client",
                    e.to_string(),
                    "Check the GitHub API URL in Settings or the pipeline file.",
                )
            })?),
            // Reading anonymously still lets a review read values files of a public repository.
            None => GithubClient::new(&config, None).ok(),
        };
        let login = active.as_ref().map(|a| a.login().to_owned());
        Ok(promotion::Setup {
            pipeline_dir: self.console.pipeline_dir(),
            pipeline,
            snapshots: self.subscribe(),
            kubeconfig: state
                .demo
                .as_ref()
                .map(|d| d.kubeconfig.clone())
                .or_else(|| self.kubeconfig.clone()),
            holder: holder(login.as_deref().unwrap_or("unknown")),
            signed_in: active.is_some(),
            github,
            login,
            follow_timeout: FOLLOW_TIMEOUT,
            files: self.files.clone(),
            helm_plans: self.helm_plans.clone(),
            progress: self.progress.clone(),
            verifications: self.verifications.clone(),
        })
    }

    /// Runs `f` with the promotion setup and journal of the identity in use, without holding
    /// the session lock (a promotion follows its rollout for minutes).
    async fn with_setup<T>(
        &self,
        f: impl AsyncFnOnce(&promotion::Setup, &Journal) -> Result<T, UiError>,
    ) -> Result<T, UiError> {
        let (setup, journal) = {
            let mut state = self.state.lock().await;
            let setup = self.promotion_setup(&state, None)?;
            (setup, state.journal.open())
        };
        match journal {
            Ok(journal) => f(&setup, &journal).await,
            Err(e) => Err(e),
        }
    }

    /// What promoting into `environment` would ship, and whether the person may; for the run
    /// `run_id` when one is named.
    pub async fn review(&self, environment: &str, run_id: Option<u64>) -> Result<Review, UiError> {
        let setup = {
            let state = self.state.lock().await;
            self.promotion_setup(&state, None)?
        };
        promotion::review(&setup, environment, run_id).await
    }

    /// Approves or rejects what was reviewed (`request.pin`), follows the rollout to its end,
    /// and journals every step.
    pub async fn act(&self, request: &ActRequest) -> Result<Outcome, UiError> {
        self.with_setup(async |setup, journal| promotion::act(setup, journal, request).await)
            .await
    }

    /// Rolls `environment` back to `to` (a revision of its history), or to its previous
    /// revision; journaled.
    pub async fn rollback(&self, environment: &str, to: Option<u32>) -> Result<Outcome, UiError> {
        self.with_setup(async |setup, journal| {
            promotion::rollback(setup, journal, environment, to).await
        })
        .await
    }

    /// The recorded rollout of attempt `correlation`, for replay.
    pub async fn replay(&self, correlation: &str) -> Result<sluice_core::replay::Replay, UiError> {
        let path = self.state.lock().await.journal.path.clone();
        crate::replay::load(&crate::replay::dir_of(&path), correlation)
    }

    /// `environment`'s history: what it ran, who put it there and how, newest first.
    pub async fn history(&self, environment: &str) -> Result<History, UiError> {
        let entries = self.journal_entries().await?;
        let setup = {
            let state = self.state.lock().await;
            self.promotion_setup(&state, None)?
        };
        promotion::history::history(&setup, &entries, environment).await
    }

    /// DORA metrics over the `days` before now, of `environment` or of every environment.
    pub async fn metrics(
        &self,
        days: u32,
        environment: Option<&str>,
    ) -> Result<sluice_core::metrics::Metrics, UiError> {
        let entries = self.journal_entries().await?;
        let setup = {
            let state = self.state.lock().await;
            self.promotion_setup(&state, None)?
        };
        // The window's period comes from the webview: bounded like `--since`.
        let days = days.clamp(1, sluice_core::metrics::MAX_DAYS);
        // The window's period comes from the webview: bounded like `--since`.
        let days = days.clamp(1, sluice_core::metrics::MAX_DAYS);
        crate::metrics::metrics(&setup, &entries, days, environment).await
    }

    /// What rolling `environment` back to `revision` would change, shown before it is confirmed.
    pub async fn rollback_plan(
        &self,
        environment: &str,
        revision: u32,
    ) -> Result<RollbackPlan, UiError> {
        let entries = self.journal_entries().await?;
        let setup = {
            let state = self.state.lock().await;
            self.promotion_setup(&state, None)?
        };
        promotion::history::plan(&setup, &entries, environment, revision).await
    }

    /// Records the outcome of every attempt whose console stopped, or could not write, before
    /// recording one ("done, not recorded"), from what the live view shows now; call it once
    /// the live view has settled. Returns the outcomes recorded.
    pub async fn record_late_outcomes(&self) -> Vec<AuditEntry> {
        let (setup, journal) = {
            let mut state = self.state.lock().await;
            if state.journal.journal.is_none() && !state.journal.path.exists() {
                return Vec::new();
            }
            let Ok(setup) = self.promotion_setup(&state, None) else {
                return Vec::new();
            };
            match state.journal.open() {
                Ok(j) if j.is_writable() => (setup, j),
                _ => return Vec::new(),
            }
        };
        let recorded = promotion::record_late_outcomes(&setup, &journal).await;
        if !recorded.is_empty() {
            let mut state = self.state.lock().await;
            if let Ok(interrupted) = journal.interrupted() {
                state.journal.interrupted = interrupted;
            }
        }
        recorded
    }

    /// Whether the journal's chain holds and it still ends with its anchored head.
    pub async fn verify_audit(&self) -> Result<sluice_core::audit::ChainReport, UiError> {
        let mut state = self.state.lock().await;
        if state.journal.journal.is_none() && !state.journal.path.exists() {
            return Ok(crate::journal::empty_report());
        }
        let journal = state.journal.open()?;
        drop(state);
        journal.verify().map_err(|e| e.to_ui())
    }

    /// What waits on the identity in use, as the latest snapshot says.
    pub fn inbox(&self) -> Vec<InboxItem> {
        self.latest().map(|s| s.inbox.clone()).unwrap_or_default()
    }

    /// Every journal entry, oldest first; none (and no journal created) when nothing was ever
    /// journaled here.
    async fn journal_entries(&self) -> Result<Vec<AuditEntry>, UiError> {
        let mut state = self.state.lock().await;
        if state.journal.journal.is_none() && !state.journal.path.exists() {
            return Ok(Vec::new());
        }
        let journal = state.journal.open()?;
        drop(state);
        Ok(journal.read().map_err(|e| e.to_ui())?.entries)
    }

    /// The journal's attempts that `filter` keeps, newest first.
    pub async fn audit(&self, filter: &AttemptFilter) -> Result<Vec<Attempt>, UiError> {
        let entries = self.journal_entries().await?;
        let replays = crate::replay::dir_of(&self.state.lock().await.journal.path);
        Ok(sluice_core::audit::attempts(&entries)
            .into_iter()
            .filter(|a| filter.matches(a))
            .map(|mut a| {
                a.replayable = crate::replay::exists(&replays, &a.correlation);
                a
            })
            .collect())
    }

    /// Writes the journal as CSV or JSON into `dir`, oldest first like the journal itself.
    pub async fn export_audit(
        &self,
        format: ExportFormat,
        dir: &Path,
    ) -> Result<AuditExport, UiError> {
        let entries = self.journal_entries().await?;
        crate::journal::export::write(&entries, format, dir)
    }

    /// Writes the evidence of the attempt `attempt` (its id, or a unique prefix) into `dir`, as
    /// a self-contained HTML page and the same as JSON.
    pub async fn export_evidence(
        &self,
        attempt: &str,
        dir: &Path,
    ) -> Result<sluice_core::evidence::EvidenceExport, UiError> {
        let entries = self.journal_entries().await?;
        let chain = self.verify_audit().await?;
        let journal = self.state.lock().await.journal.path.clone();
        let sealed = crate::evidence::gather(&journal, &entries, Some(&chain), attempt)?;
        crate::evidence::write_into(&sealed, dir)
    }
}

/// A live Snapshot worth opening on next time: every source connected and read whole.
fn complete(s: &Snapshot) -> bool {
    s.last_known.is_none()
        && !s.sources.is_empty()
        && s.sources.iter().all(|x| x.connected && x.synced)
        && s.environments.iter().all(|e| !e.stale)
}

/// Keeps every complete Snapshot as the last-known state, at most every [`SAVE_EVERY`].
async fn save_complete(
    mut snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    file: PathBuf,
    pipeline_file: PathBuf,
) {
    while snapshots.changed().await.is_ok() {
        let latest = snapshots.borrow_and_update().clone();
        let Some(snapshot) = latest.filter(|s| complete(s)) else {
            continue;
        };
        let (file, pipeline_file) = (file.clone(), pipeline_file.clone());
        let saved = tokio::task::spawn_blocking(move || {
            let at = jiff::Timestamp::now().to_string();
            crate::last_known::save(&file, &pipeline_file, &snapshot, &at)
        })
        .await;
        if let Ok(Err(e)) = saved {
            tracing::warn!(error = %e.message, "the last-known state could not be kept");
        }
        tokio::time::sleep(SAVE_EVERY).await;
    }
}

/// Copies one live view's snapshots into the session's stream. After a restart, the new view's
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
            // The last-known state stays on screen until the live view has read everything
            // (without a network, for good), with the live sources' states shown on it.
            let shown = to.borrow().clone();
            let s = match shown {
                Some(kept)
                    if kept.last_known.is_some()
                        && !s.sources.iter().all(|x| x.connected && x.synced) =>
                {
                    let mut kept = (*kept).clone();
                    kept.sources.clone_from(&s.sources);
                    kept.sequence = s.sequence;
                    Arc::new(kept)
                }
                _ => s,
            };
            to.send_replace(Some(s));
        }
        if from.changed().await.is_err() {
            return;
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(mut state) = self.state.try_lock() {
            for task in [
                state.forward.take(),
                state.autopilot.take(),
                state.saver.take(),
            ]
            .into_iter()
            .flatten()
            {
                task.abort();
            }
        }
    }
}
