//! Tauri commands: parse, call one console function, return its result. Nothing else.

use sluice_console::Console;
use sluice_core::{Pipeline, UiError};

#[tauri::command]
pub fn load_pipeline(console: tauri::State<'_, Console>) -> Result<Pipeline, UiError> {
    console.pipeline()
}
