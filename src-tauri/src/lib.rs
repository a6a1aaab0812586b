//! The desktop shell. Commands are registered here, in one place; their logic is the console's.

mod commands;

use sluice_console::Console;

/// The app's wiring, shared by the real runtime and the mock runtime used in tests.
pub fn builder<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    console: Console,
) -> tauri::Builder<R> {
    builder
        .manage(console)
        .invoke_handler(tauri::generate_handler![commands::load_pipeline])
}

/// Opens the window and runs until it is closed.
pub fn run(console: Console) -> tauri::Result<()> {
    tracing::info!(pipeline = %console.pipeline_path().display(), "starting Sluice");
    builder(tauri::Builder::default(), console).run(tauri::generate_context!())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    use super::*;

    fn invoke_load_pipeline(pipeline: &Path) -> Result<serde_json::Value, serde_json::Value> {
        let app = builder(mock_builder(), Console::new(pipeline))
            .build(mock_context(noop_assets()))
            .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: "load_pipeline".into(),
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

    #[test]
    fn load_pipeline_command_returns_the_pipeline_as_json() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../environments/pipeline.yaml");
        let json = invoke_load_pipeline(&shipped).unwrap();
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
        let err = invoke_load_pipeline(Path::new("/nonexistent/pipeline.yaml")).unwrap_err();
        assert_eq!(err["code"], "pipeline.unreadable");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("/nonexistent/pipeline.yaml")
        );
        assert!(!err["hint"].as_str().unwrap().is_empty());
    }
}
