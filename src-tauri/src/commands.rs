//! Tauri commands: parse, call one console function, return its result. Nothing else.

use std::sync::Arc;

use sluice_console::Console;
use sluice_console::desk::Desk;
use sluice_core::audit::AuditEntry;
use sluice_core::desk::{
    AuditExport, DeviceCode, ExportFormat, Outcome, Review, ReviewAction, SessionInfo, ValueEntry,
};
use sluice_core::snapshot::Snapshot;
use sluice_core::{Pipeline, UiError};
use sluice_github::GithubToken;
use tauri::{AppHandle, Manager, Runtime};

type DeskState<'a> = tauri::State<'a, Arc<Desk>>;

#[tauri::command]
pub fn load_pipeline(console: tauri::State<'_, Console>) -> Result<Pipeline, UiError> {
    console.pipeline()
}

/// The latest Snapshot; `None` until the sources produced the first one. Later ones arrive as
/// `snapshot` events.
#[tauri::command]
pub fn get_snapshot(desk: DeskState<'_>) -> Option<Snapshot> {
    desk.latest().map(|s| (*s).clone())
}

#[tauri::command]
pub fn environment_values(
    desk: DeskState<'_>,
    environment: String,
) -> Result<Vec<ValueEntry>, UiError> {
    desk.environment_values(&environment)
}

#[tauri::command]
pub async fn get_session(desk: DeskState<'_>) -> Result<SessionInfo, UiError> {
    Ok(desk.session().await)
}

/// The pasted token crosses from the webview once, here, and is never sent back.
#[tauri::command]
pub async fn sign_in_with_token(
    desk: DeskState<'_>,
    token: String,
    session_only: bool,
) -> Result<SessionInfo, UiError> {
    desk.sign_in_with_token(GithubToken::new(token), session_only)
        .await
}

#[tauri::command]
pub async fn sign_in_from_environment(
    desk: DeskState<'_>,
    session_only: bool,
) -> Result<SessionInfo, UiError> {
    desk.sign_in_from_environment(session_only).await
}

/// Starts the device flow and opens the person's browser at GitHub's code page.
#[tauri::command]
pub async fn start_device_sign_in<R: Runtime>(
    app: AppHandle<R>,
    desk: DeskState<'_>,
) -> Result<DeviceCode, UiError> {
    let mut code = desk.start_device_sign_in().await?;
    code.browser_opened = crate::desktop::open_url(&app, &code.verification_uri).is_ok();
    Ok(code)
}

#[tauri::command]
pub async fn finish_device_sign_in(
    desk: DeskState<'_>,
    session_only: bool,
) -> Result<SessionInfo, UiError> {
    desk.finish_device_sign_in(session_only).await
}

/// Stops waiting for the device sign-in; `finish_device_sign_in` answers `signin.cancelled`.
#[tauri::command]
pub fn cancel_device_sign_in(desk: DeskState<'_>) {
    desk.cancel_device_sign_in();
}

#[tauri::command]
pub async fn sign_in_as_demo_person(
    desk: DeskState<'_>,
    login: String,
) -> Result<SessionInfo, UiError> {
    desk.sign_in_as_demo_person(&login).await
}

#[tauri::command]
pub async fn sign_out(desk: DeskState<'_>) -> Result<SessionInfo, UiError> {
    desk.sign_out().await
}

#[tauri::command]
pub async fn set_demo(desk: DeskState<'_>, on: bool) -> Result<SessionInfo, UiError> {
    desk.set_demo(on).await
}

#[tauri::command]
pub async fn set_demo_speed(desk: DeskState<'_>, speed: f64) -> Result<SessionInfo, UiError> {
    desk.set_demo_speed(speed).await
}

/// `context: null` goes back to the pipeline file's context.
#[tauri::command]
pub async fn set_kube_context(
    desk: DeskState<'_>,
    environment: String,
    context: Option<String>,
) -> Result<SessionInfo, UiError> {
    desk.set_kube_context(&environment, context).await
}

#[tauri::command]
pub async fn review(desk: DeskState<'_>, environment: String) -> Result<Review, UiError> {
    desk.review(&environment).await
}

#[tauri::command]
pub async fn act(
    desk: DeskState<'_>,
    environment: String,
    action: ReviewAction,
    comment: String,
    override_reason: Option<String>,
) -> Result<Outcome, UiError> {
    desk.act(&environment, action, &comment, override_reason)
        .await
}

#[tauri::command]
pub async fn rollback(desk: DeskState<'_>, environment: String) -> Result<Outcome, UiError> {
    desk.rollback(&environment).await
}

#[tauri::command]
pub fn audit(desk: DeskState<'_>) -> Result<Vec<AuditEntry>, UiError> {
    desk.audit()
}

/// Writes the journal into the person's downloads folder.
#[tauri::command]
pub fn export_audit<R: Runtime>(
    app: AppHandle<R>,
    desk: DeskState<'_>,
    format: ExportFormat,
) -> Result<AuditExport, UiError> {
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| {
            UiError::new(
                "audit.no-folder",
                format!("There is no downloads or home folder to export to: {e}"),
                "Set XDG_DOWNLOAD_DIR or HOME, then try again.",
            )
        })?;
    desk.export_audit(format, &dir)
}

#[tauri::command]
pub fn open_url<R: Runtime>(app: AppHandle<R>, url: String) -> Result<(), UiError> {
    crate::desktop::open_url(&app, &url)
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
