//! `sluice status --offline`: the last complete state this computer saw of the pipeline, as the
//! window opens on it, without reaching a cluster or GitHub.

use std::process::ExitCode;

use sluice_core::UiError;

use super::{StatusArgs, terminal};
use crate::Console;
use crate::last_known;
use crate::session::SessionOptions;

pub(super) fn run(console: &Console, args: &StatusArgs) -> Result<ExitCode, UiError> {
    let dir = SessionOptions::from_process(false, None, None)?
        .last_known
        .ok_or_else(|| {
            UiError::new(
                "last-known.no-place",
                "There is no data directory for this user to keep the last-known state in.",
                "Set SLUICE_STATE_DIR to a folder.",
            )
        })?;
    let pipeline = console.pipeline_path();
    let file = last_known::file_in(&dir, pipeline);
    let Some(snapshot) = last_known::load(&file, pipeline)? else {
        return Err(UiError::new(
            "last-known.none",
            format!(
                "No state of {} has been kept on this computer yet.",
                pipeline.display()
            ),
            "Run `sluice status` (or open the window) once while the clusters and GitHub can be reached.",
        ));
    };
    if args.json {
        let json = serde_json::to_string_pretty(&snapshot)
            .map_err(|e| UiError::new("status.encode", e.to_string(), "Report this as a bug."))?;
        terminal::print_json(&json);
    } else {
        terminal::print(&super::status::render(&snapshot));
    }
    Ok(ExitCode::SUCCESS)
}
