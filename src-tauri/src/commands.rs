//! Tauri commands: parse, call one console function, return its result. Nothing else.

use std::sync::Arc;

use sluice_console::Console;
use sluice_console::session::Session;
use sluice_core::audit::{Attempt, AttemptFilter, ChainReport};
use sluice_core::desk::{
    ActRequest, AuditExport, DeviceCode, ExportFormat, LinkDecision, Outcome, SessionInfo,
};
use sluice_core::evidence::EvidenceExport;
use sluice_core::history::{History, RollbackPlan};
use sluice_core::metrics::Metrics;
use sluice_core::replay::Replay;
use sluice_core::review::Review;
use sluice_core::snapshot::{Snapshot, ValueEntry};
use sluice_core::{Pipeline, UiError};
use sluice_github::GithubToken;
use tauri::{AppHandle, Runtime};

type SessionState<'a> = tauri::State<'a, Arc<Session>>;

#[tauri::command]
pub fn load_pipeline(console: tauri::State<'_, Console>) -> Result<Pipeline, UiError> {
    console.pipeline()
}

/// The latest Snapshot; `None` until the sources produced the first one. Later ones arrive as
/// `snapshot` events.
#[tauri::command]
pub fn get_snapshot(session: SessionState<'_>) -> Option<Snapshot> {
    session.latest().map(|s| (*s).clone())
}

#[tauri::command]
pub fn environment_values(
    session: SessionState<'_>,
    environment: String,
) -> Result<Vec<ValueEntry>, UiError> {
    session.environment_values(&environment)
}

#[tauri::command]
pub async fn get_session(session: SessionState<'_>) -> Result<SessionInfo, UiError> {
    Ok(session.info().await)
}

/// The pasted token crosses from the webview once, here, and is never sent back.
#[tauri::command]
pub async fn sign_in_with_token(
    session: SessionState<'_>,
    token: String,
    session_only: bool,
) -> Result<SessionInfo, UiError> {
    session
        .sign_in_with_token(GithubToken::new(token), session_only)
        .await
}

#[tauri::command]
pub async fn sign_in_from_environment(
    session: SessionState<'_>,
    session_only: bool,
) -> Result<SessionInfo, UiError> {
    session.sign_in_from_environment(session_only).await
}

/// Starts the device flow and opens the person's browser at GitHub's code page.
#[tauri::command]
pub async fn start_device_sign_in<R: Runtime>(
    app: AppHandle<R>,
    session: SessionState<'_>,
) -> Result<DeviceCode, UiError> {
    let mut code = session.start_device_sign_in().await?;
    code.browser_opened = crate::desktop::open_url(&app, &code.verification_uri).is_ok();
    Ok(code)
}

#[tauri::command]
pub async fn finish_device_sign_in(
    session: SessionState<'_>,
    session_only: bool,
) -> Result<SessionInfo, UiError> {
    session.finish_device_sign_in(session_only).await
}

/// Stops waiting for the device sign-in; `finish_device_sign_in` answers `signin.cancelled`.
#[tauri::command]
pub fn cancel_device_sign_in(session: SessionState<'_>) {
    session.cancel_device_sign_in();
}

#[tauri::command]
pub async fn sign_in_as_demo_person(
    session: SessionState<'_>,
    login: String,
) -> Result<SessionInfo, UiError> {
    session.sign_in_as_demo_person(&login).await
}

#[tauri::command]
pub async fn sign_out(session: SessionState<'_>) -> Result<SessionInfo, UiError> {
    session.sign_out().await.map(|(info, _)| info)
}

#[tauri::command]
pub async fn set_demo(session: SessionState<'_>, on: bool) -> Result<SessionInfo, UiError> {
    session.set_demo(on).await
}

#[tauri::command]
pub async fn set_demo_speed(session: SessionState<'_>, speed: f64) -> Result<SessionInfo, UiError> {
    session.set_demo_speed(speed).await
}

/// `context: null` goes back to the pipeline file's context.
#[tauri::command]
pub async fn set_kube_context(
    session: SessionState<'_>,
    environment: String,
    context: Option<String>,
) -> Result<SessionInfo, UiError> {
    session.set_kube_context(&environment, context).await
}

/// `run_id: null` reviews the run that ships what the source runs (or the source's version).
#[tauri::command]
pub async fn review(
    session: SessionState<'_>,
    environment: String,
    run_id: Option<u64>,
) -> Result<Review, UiError> {
    session.review(&environment, run_id).await
}

/// The request carries the review's pin: it is refused if the release changed since.
#[tauri::command]
pub async fn act(session: SessionState<'_>, request: ActRequest) -> Result<Outcome, UiError> {
    session.act(&request).await
}

/// Rolls back to `to` (a revision of the environment's history), or to the previous revision.
#[tauri::command]
pub async fn rollback(
    session: SessionState<'_>,
    environment: String,
    to: Option<u32>,
) -> Result<Outcome, UiError> {
    session.rollback(&environment, to).await
}

/// What the environment ran, revision by revision.
#[tauri::command]
pub async fn history(session: SessionState<'_>, environment: String) -> Result<History, UiError> {
    session.history(&environment).await
}

/// The recorded rollout of attempt `correlation`, for replay in presentation mode.
#[tauri::command]
pub async fn replay(session: SessionState<'_>, correlation: String) -> Result<Replay, UiError> {
    session.replay(&correlation).await
}

/// DORA metrics over the `days` before now, of every environment (the same as `sluice metrics`).
#[tauri::command]
pub async fn metrics(session: SessionState<'_>, days: u32) -> Result<Metrics, UiError> {
    session.metrics(days, None).await
}

/// What rolling back to `revision` would change, for the confirmation.
#[tauri::command]
pub async fn rollback_plan(
    session: SessionState<'_>,
    environment: String,
    revision: u32,
) -> Result<RollbackPlan, UiError> {
    session.rollback_plan(&environment, revision).await
}

/// The journal's attempts the filter keeps, newest first.
#[tauri::command]
pub async fn audit(
    session: SessionState<'_>,
    filter: AttemptFilter,
) -> Result<Vec<Attempt>, UiError> {
    session.audit(&filter).await
}

/// Writes the journal into the person's downloads folder.
#[tauri::command]
pub async fn export_audit<R: Runtime>(
    app: AppHandle<R>,
    session: SessionState<'_>,
    format: ExportFormat,
) -> Result<AuditExport, UiError> {
    let dir = crate::desktop::downloads(&app)?;
    session.export_audit(format, &dir).await
}

/// Writes the evidence of one attempt (its id) into the person's downloads folder, as a
/// self-contained page and the same as JSON.
#[tauri::command]
pub async fn export_evidence<R: Runtime>(
    app: AppHandle<R>,
    session: SessionState<'_>,
    attempt: String,
) -> Result<EvidenceExport, UiError> {
    let dir = crate::desktop::downloads(&app)?;
    session.export_evidence(&attempt, &dir).await
}

/// Shows an exported evidence page (once it verified) in a window of the app's own. Async:
/// a window made on the main thread by a synchronous command deadlocks on Windows.
#[tauri::command]
pub async fn open_evidence<R: Runtime>(app: AppHandle<R>, path: String) -> Result<(), UiError> {
    crate::evidence_window::open(&app, std::path::Path::new(&path)).map(|_| ())
}

/// Whether the journal's chain holds and it still ends with the head kept in the keychain.
#[tauri::command]
pub async fn verify_audit(session: SessionState<'_>) -> Result<ChainReport, UiError> {
    session.verify_audit().await
}

/// Opens the link when the console says so; otherwise answers `confirm` and the window asks
/// the person, then calls again with `confirmed`.
#[tauri::command]
pub async fn open_url<R: Runtime>(
    app: AppHandle<R>,
    session: SessionState<'_>,
    url: String,
    confirmed: bool,
) -> Result<LinkDecision, UiError> {
    let decision = session.link(&url, confirmed).await?;
    if decision == LinkDecision::Open {
        crate::desktop::open_url(&app, &url)?;
    }
    Ok(decision)
}

#[tauri::command]
pub fn set_attention<R: Runtime>(app: AppHandle<R>, count: u32) -> Result<(), UiError> {
    crate::desktop::set_attention(&app, count)
}

#[tauri::command]
pub fn notify<R: Runtime>(app: AppHandle<R>, title: String, body: String) -> Result<(), UiError> {
    crate::desktop::notify(&app, &title, &body)
}

#[tauri::command]
pub fn set_fullscreen<R: Runtime>(app: AppHandle<R>, on: bool) -> Result<(), UiError> {
    crate::desktop::set_fullscreen(&app, on)
}
