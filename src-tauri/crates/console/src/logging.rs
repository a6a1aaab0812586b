//! Logs go to stderr and to a daily-rotated file in the platform's log directory.
//! `RUST_LOG` overrides the default level. Secrets are never passed to `tracing`.

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

/// Where Sluice's log files live, e.g. `~/.local/share/sluice/logs` on Linux.
pub fn log_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "sluice", "sluice")
        .map(|d| d.data_local_dir().join("logs"))
}

/// Installs the global subscriber. Keep the guard alive until exit or the last lines are lost.
/// A log directory that cannot be created degrades to stderr only, with a warning.
pub fn init() -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer().with_writer(std::io::stderr);
    let file = log_dir().and_then(|dir| {
        // The appender prunes old files by listing the directory, so it must exist first.
        std::fs::create_dir_all(&dir)
            .map_err(|e| {
                eprintln!(
                    "sluice: logging to stderr only: cannot create {}: {e}",
                    dir.display()
                )
            })
            .ok()?;
        RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("sluice")
            .filename_suffix("log")
            .max_log_files(7)
            .build(&dir)
            .map_err(|e| {
                eprintln!(
                    "sluice: logging to stderr only: cannot open {}: {e}",
                    dir.display()
                )
            })
            .ok()
    });
    let (file_layer, guard) = match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (
                Some(fmt::layer().with_ansi(false).with_writer(writer)),
                Some(guard),
            )
        }
        None => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file_layer)
        .try_init();
    if let Some(dir) = log_dir() {
        tracing::debug!(dir = %dir.display(), "logging");
    }
    guard
}
