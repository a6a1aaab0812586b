//! The desktop shell. Commands are registered here, in one place; their logic is the console's.

mod commands;

use std::sync::{Arc, Mutex};

use sluice_console::Console;
use sluice_console::cli::Cli;
use sluice_core::snapshot::Snapshot;
use tauri::{Emitter, Manager};

/// The event that carries every new Snapshot to the webview.
pub const SNAPSHOT_EVENT: &str = "snapshot";

/// The live session, once started; `latest` answers `get_snapshot`.
#[derive(Default)]
pub struct LiveState(Mutex<Option<Arc<Snapshot>>>);

impl LiveState {
    pub fn latest(&self) -> Option<Arc<Snapshot>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, snapshot: Option<Arc<Snapshot>>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = snapshot;
    }
}

/// The app's wiring, shared by the real runtime and the mock runtime used in tests.
pub fn builder<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    console: Console,
) -> tauri::Builder<R> {
    builder
        .manage(console)
        .manage(LiveState::default())
        .invoke_handler(tauri::generate_handler![
            commands::load_pipeline,
            commands::get_snapshot
        ])
}

/// Opens the window and runs until it is closed. Without `--demo`, when none of the pipeline's
/// kube contexts exists in the kubeconfig, the demo world opens instead of an empty console.
pub fn run(console: Console, cli: &Cli) -> tauri::Result<()> {
    tracing::info!(pipeline = %console.pipeline_path().display(), "starting Sluice");
    let mut options = SessionOptions {
        demo: cli.demo,
        kubeconfig: cli.kubeconfig.clone(),
        github_api_url: cli.github_api_url.clone(),
    };
    if !options.demo
        && let Ok(pipeline) = console.pipeline()
        && !sluice_console::demo::pipeline_contexts_exist(cli.kubeconfig.as_deref(), &pipeline)
    {
        tracing::info!("no kube context of the pipeline is configured: opening the demo world");
        options.demo = true;
    }
    builder(tauri::Builder::default(), console)
        .setup(move |app| {
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { publish(handle, options).await });
            Ok(())
        })
        .run(tauri::generate_context!())
}

struct SessionOptions {
    demo: bool,
    kubeconfig: Option<std::path::PathBuf>,
    github_api_url: Option<String>,
}

/// Starts the live session and forwards every Snapshot to the webview until the app exits.
async fn publish<R: tauri::Runtime>(app: tauri::AppHandle<R>, options: SessionOptions) {
    let console = app.state::<Console>().inner().clone();
    let cli = Cli {
        pipeline: console.pipeline_path().to_owned(),
        demo: options.demo,
        kubeconfig: options.kubeconfig,
        github_api_url: options.github_api_url,
        command: None,
    };
    let session = match sluice_console::status::start_session(&console, &cli).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "the live session did not start");
            return;
        }
    };
    let mut rx = session.live.subscribe();
    loop {
        let snapshot = rx.borrow_and_update().clone();
        app.state::<LiveState>().set(snapshot.clone());
        if let Some(s) = snapshot
            && let Err(e) = app.emit(SNAPSHOT_EVENT, &*s)
        {
            tracing::warn!(error = %e, "cannot push the snapshot to the window");
        }
        if rx.changed().await.is_err() {
            break;
        }
    }
    drop(session);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    use super::*;

    fn invoke(pipeline: &Path, cmd: &str) -> Result<serde_json::Value, serde_json::Value> {
        let app = builder(mock_builder(), Console::new(pipeline))
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

    #[test]
    fn get_snapshot_is_null_until_the_first_snapshot() {
        assert_eq!(
            invoke(&shipped(), "get_snapshot").unwrap(),
            serde_json::Value::Null
        );
    }
}
