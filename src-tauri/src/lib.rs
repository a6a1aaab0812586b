//! The desktop shell. Commands are registered here, in one place; their logic is the console's.

mod command_names;
mod commands;
pub mod desktop;
pub mod evidence_window;

use std::sync::Arc;

use sluice_console::Console;
use sluice_console::cli::Cli;
use sluice_console::session::{Session, SessionOptions};
use tauri::{Emitter, Manager};

pub use command_names::COMMANDS;

/// The event that carries every new Snapshot to the webview, as a [`sluice_core::snapshot_update::SnapshotUpdate`].
pub const SNAPSHOT_EVENT: &str = "snapshot";
/// The event that carries each line a running promotion's tool prints (`helm upgrade`).
pub const PROGRESS_EVENT: &str = "progress";
/// The event that carries each environment's latest verification, as a list of
/// [`sluice_core::verify::Verification`], whenever one changes (the timer moves every second).
pub const VERIFICATION_EVENT: &str = "verification";

/// A handler for each of [`COMMANDS`] (a test holds the two lists together).
macro_rules! app_commands {
    () => {
        tauri::generate_handler![
            commands::load_pipeline,
            commands::get_snapshot,
            commands::environment_values,
            commands::get_session,
            commands::sign_in_with_token,
            commands::sign_in_from_environment,
            commands::start_device_sign_in,
            commands::finish_device_sign_in,
            commands::cancel_device_sign_in,
            commands::sign_in_as_demo_person,
            commands::sign_out,
            commands::set_demo,
            commands::set_demo_speed,
            commands::set_kube_context,
            commands::review,
            commands::act,
            commands::rollback,
            commands::history,
            commands::replay,
            commands::rollback_plan,
            commands::metrics,
            commands::audit,
            commands::export_audit,
            commands::verify_audit,
            commands::export_evidence,
            commands::open_evidence,
            commands::open_url,
            commands::set_attention,
            commands::notify,
            commands::set_fullscreen
        ]
    };
}

/// The app's wiring, shared by the real runtime and the mock runtime used in tests.
pub fn builder<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    console: Console,
    session: Arc<Session>,
) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .manage(console)
        .manage(session)
        .manage(evidence_window::EvidencePages::default())
        .register_uri_scheme_protocol(evidence_window::SCHEME, |ctx, request| {
            evidence_window::serve(ctx.app_handle(), &request)
        })
        .invoke_handler(app_commands!())
}

/// Opens the window and runs until it is closed. Without `--demo`, when none of the pipeline's
/// kube contexts exists in the kubeconfig, the demo world opens instead of an empty console.
pub fn run(console: Console, cli: &Cli) -> tauri::Result<()> {
    tracing::info!(pipeline = %console.pipeline_path().display(), "starting Sluice");
    let mut demo = cli.demo;
    if !demo
        && let Ok(pipeline) = console.pipeline()
        && !sluice_console::demo::pipeline_contexts_exist(cli.kubeconfig.as_deref(), &pipeline)
    {
        tracing::info!("no kube context of the pipeline is configured: opening the demo world");
        demo = true;
    }
    let mut options =
        SessionOptions::from_process(demo, cli.kubeconfig.clone(), cli.github_api_url.clone())
            .map_err(|e| std::io::Error::other(format!("{} ({})", e.message, e.hint)))?;
    // Nobody may be at the keyboard during a demo: the simulated release lead approves what
    // waits, through the same rules.
    options.autopilot = true;
    let session = Arc::new(Session::new(console.clone(), options));
    builder(tauri::Builder::default(), console, session)
        .setup(move |app| {
            if let Some(window) = app.get_webview_window("main") {
                desktop::paint_without_gpu(&window)?;
            }
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { publish(handle).await });
            Ok(())
        })
        .run(tauri::generate_context!())
}

/// Snapshots can come faster than a screen shows them (cheap rebuilds during a rollout's burst of
/// events); the window gets at most one per frame, always the newest.
const FRAME: std::time::Duration = std::time::Duration::from_millis(16);

/// Starts the session's live view and forwards the newest Snapshot to the webview until the
/// app exits.
async fn publish<R: tauri::Runtime>(app: tauri::AppHandle<R>) {
    let session = app.state::<Arc<Session>>().inner().clone();
    if let Err(e) = session.start().await {
        tracing::error!(error = %e.message, "the live session did not start");
        return;
    }
    tauri::async_runtime::spawn(forward_progress(app.clone(), session.clone()));
    tauri::async_runtime::spawn(forward_verifications(app.clone(), session.clone()));
    // Outcomes a console could not record (it died, or the disk was full) are recorded from
    // what the live view shows once it has settled.
    tauri::async_runtime::spawn({
        let session = session.clone();
        async move {
            session.settled(std::time::Duration::from_secs(60)).await;
            session.record_late_outcomes().await;
        }
    });
    let mut rx = session.subscribe();
    let mut sent: Option<Arc<sluice_core::snapshot::Snapshot>> = None;
    loop {
        let snapshot = rx.borrow_and_update().clone();
        let emitted_at = tokio::time::Instant::now();
        if let Some(s) = snapshot {
            let sent_at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
            let update = sluice_core::snapshot_update::update(sent.as_deref(), &s, sent_at);
            match app.emit(SNAPSHOT_EVENT, &update) {
                Ok(()) => sent = Some(s),
                // The next update is then made against the last one that did arrive.
                Err(e) => tracing::warn!(error = %e, "cannot push the snapshot to the window"),
            }
        }
        if rx.changed().await.is_err() {
            break;
        }
        tokio::time::sleep_until(emitted_at + FRAME).await;
    }
}

/// Passes each line of a running promotion's tool to the window as it comes.
async fn forward_progress<R: tauri::Runtime>(app: tauri::AppHandle<R>, session: Arc<Session>) {
    use tokio::sync::broadcast::error::RecvError;
    let mut lines = session.subscribe_progress();
    loop {
        match lines.recv().await {
            Ok(line) => {
                if let Err(e) = app.emit(PROGRESS_EVENT, &line) {
                    tracing::warn!(error = %e, "cannot push a progress line to the window");
                }
            }
            Err(RecvError::Lagged(n)) => tracing::warn!(n, "progress lines dropped"),
            Err(RecvError::Closed) => break,
        }
    }
}

/// Passes each environment's verification to the window whenever it changes.
async fn forward_verifications<R: tauri::Runtime>(app: tauri::AppHandle<R>, session: Arc<Session>) {
    let mut verifications = session.subscribe_verifications();
    while verifications.changed().await.is_ok() {
        let now = verifications.borrow_and_update().clone();
        if let Err(e) = app.emit(VERIFICATION_EVENT, &now) {
            tracing::warn!(error = %e, "cannot push the verifications to the window");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    use super::*;

    fn invoke(pipeline: &Path, cmd: &str) -> Result<serde_json::Value, serde_json::Value> {
        let journal = tempfile::tempdir().unwrap();
        let session = Session::new(
            Console::new(pipeline),
            SessionOptions {
                demo: false,
                kubeconfig: None,
                github_api_url: None,
                device_client_id: None,
                keychain: sluice_console::credentials::Keychain::disabled("no keychain in tests"),
                journal: journal.path().join("audit.jsonl"),
                environment: Arc::new(|_| None),
                demo_person: None,
                autopilot: false,
                last_known: None,
            },
        );
        let app = builder(mock_builder(), Console::new(pipeline), Arc::new(session))
            .build(mock_context(noop_assets()))
            .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::default(),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<serde_json::Value>().unwrap())
    }

    fn shipped() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../environments/pipeline.yaml")
    }

    #[test]
    fn load_pipeline_command_returns_the_pipeline_as_json() {
        let json = invoke(&shipped(), "load_pipeline").unwrap();
        let names: Vec<&str> = json["environments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["dev", "staging", "production"]);
        assert_eq!(json["environments"][2]["gate"]["method"], "github-approval");
        assert_eq!(json["environments"][1]["trigger"]["kind"], "merge");
    }

    #[test]
    fn load_pipeline_command_rejects_with_code_message_hint() {
        let err = invoke(Path::new("/nonexistent/pipeline.yaml"), "load_pipeline").unwrap_err();
        assert_eq!(err["code"], "pipeline.unreadable");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("/nonexistent/pipeline.yaml")
        );
        assert!(!err["hint"].as_str().unwrap().is_empty());
    }

    /// The names between `generate_handler![` and `]` in this file's `app_commands!`.
    fn registered_handlers() -> Vec<String> {
        let source = include_str!("lib.rs");
        let start = source.find("generate_handler![").unwrap();
        let end = start + source[start..].find(']').unwrap();
        source[start..end]
            .split("commands::")
            .skip(1)
            .map(|s| s.trim().trim_end_matches(',').trim().to_owned())
            .collect()
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    #[test]
    fn commands_are_listed_once_and_every_place_agrees() {
        let listed = sorted(COMMANDS.iter().map(|c| (*c).to_owned()).collect());
        assert_eq!(
            sorted(registered_handlers()),
            listed,
            "handlers in app_commands!"
        );
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
        let granted: Vec<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        assert_eq!(
            sorted(granted),
            listed,
            "allow-<command> in capabilities/default.json"
        );
        let backend = include_str!("../../ui/src/lib/backend/tauri.ts");
        let called: Vec<String> = backend
            .split("call<")
            .skip(1)
            .filter_map(|rest| {
                let quoted = rest.split_once("('")?.1;
                Some(quoted.split_once('\'')?.0.to_owned())
            })
            .collect();
        assert_eq!(
            sorted(called),
            listed,
            "commands called by ui/src/lib/backend/tauri.ts"
        );
    }

    #[test]
    fn get_snapshot_is_null_until_the_first_snapshot() {
        assert_eq!(
            invoke(&shipped(), "get_snapshot").unwrap(),
            serde_json::Value::Null
        );
    }
}
