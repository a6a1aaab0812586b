//! Tauri commands: parse, call one console function, return its result. Nothing else.

use sluice_console::Console;
use sluice_core::snapshot::Snapshot;
use sluice_core::{Pipeline, UiError};

use crate::LiveState;

#[tauri::command]
pub fn load_pipeline(console: tauri::State<'_, Console>) -> Result<Pipeline, UiError> {
    console.pipeline()
}

/// The latest Snapshot; `None` until the sources produced the first one. Later ones arrive as
/// `snapshot` events.
#[tauri::command]
pub fn get_snapshot(live: tauri::State<'_, LiveState>) -> Option<Snapshot> {
    live.latest().map(|s| (*s).clone())
}
