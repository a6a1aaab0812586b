//! Logs go to stderr and to a daily-rotated file in the platform's log directory, which is
//! private: the folder 0700, its files 0600 (they name clusters, people and releases).
//! `RUST_LOG` overrides the default level. Secrets are never passed to `tracing`. A log line
//! can quote what the cluster, GitHub or a person wrote, so field values (the message too) have
//! their control and bidi characters made visible, in both: a log file is read on a terminal
//! too (`tail -f`).

use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::{DefaultFields, Writer};
use tracing_subscriber::fmt::{self, FormatFields, MakeWriter};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// Where Sluice's log files live, e.g. `~/.local/share/sluice/logs` on Linux.
pub fn log_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "sluice", "sluice")
        .map(|d| d.data_local_dir().join("logs"))
}

/// Installs the global subscriber. Keep the guard alive until exit or the last lines are lost.
/// A log directory that cannot be created degrades to stderr only, with a warning.
pub fn init() -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: redirected output (a CI log, a file) gets plain text.
    let stderr = stderr_layer(
        std::io::stderr,
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    );
    let file = log_dir().and_then(|dir| {
        // The appender prunes old files by listing the directory, so it must exist first.
        private_dir(&dir)
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
            .map(|appender| PrivateFiles::new(appender, dir))
    });
    let (file_layer, guard) = match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (
                Some(
                    fmt::layer()
                        .with_ansi(false)
                        .fmt_fields(VisibleFields)
                        .with_writer(writer),
                ),
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

/// Creates `dir` 0700, or takes group and other access away from it.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    crate::private::create_dir(dir)?;
    crate::private::tighten(dir, 0o700);
    Ok(())
}

/// The rolling appender, whose files are made 0600: it creates them with the default mode, and
/// a new one each day, so after the first write of each day every log file in the folder is
/// tightened (inside a 0700 folder nobody else could open one meanwhile).
struct PrivateFiles {
    inner: RollingFileAppender,
    dir: PathBuf,
    /// The UTC day whose file was last tightened.
    day: Option<u64>,
}

impl PrivateFiles {
    fn new(inner: RollingFileAppender, dir: PathBuf) -> Self {
        Self {
            inner,
            dir,
            day: None,
        }
    }

    fn tighten_new_files(&mut self) {
        let day = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        if self.day == Some(day) {
            return;
        }
        self.day = Some(day);
        tighten_logs(&self.dir);
    }
}

/// Makes every log file in `dir` 0600.
fn tighten_logs(dir: &std::path::Path) {
    let Ok(files) = std::fs::read_dir(dir) else {
        return;
    };
    for f in files.flatten() {
        if f.file_name().to_string_lossy().starts_with("sluice") {
            crate::private::tighten(&f.path(), 0o600);
        }
    }
}

impl std::io::Write for PrivateFiles {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.tighten_new_files();
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The layer that writes to the terminal, in colour when `ansi`.
fn stderr_layer<S, W>(writer: W, ansi: bool) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    fmt::layer()
        .with_ansi(ansi)
        .fmt_fields(VisibleFields)
        .with_writer(writer)
}

/// tracing-subscriber's own field format, then every control and bidi character in it made
/// visible. Its own escaping covers ESC, BEL and C1 in some values only (not in `%` values,
/// not CR or bidi characters). Colours are the event formatter's, outside the fields, and stay.
struct VisibleFields;

impl<'writer> FormatFields<'writer> for VisibleFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> std::fmt::Result {
        let mut plain = String::new();
        DefaultFields::new().format_fields(Writer::new(&mut plain), fields)?;
        writer.write_str(&sluice_core::text::visible(&plain))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A log line can quote what the cluster or GitHub said (an error, an image name).
    #[test]
    fn log_lines_on_the_terminal_carry_no_raw_controls() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry()
            .with(stderr_layer(move || writer.clone(), true).with_filter(EnvFilter::new("info")));
        let hostile = "x\u{1b}]0;PWNED\u{7}\r\u{e}\u{202e}gnp\u{9b}1m";
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(image = %hostile, reason = hostile, "rollout of {hostile} failed");
            let _span = tracing::info_span!("review", run = %hostile).entered();
            tracing::info!("inside");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let raw: Vec<char> = without_colours(&text)
            .chars()
            .filter(|&c| sluice_core::text::is_control_or_bidi(c) && c != '\n')
            .collect();
        assert!(text.contains("PWNED"), "{text}");
        assert!(raw.is_empty(), "{raw:?} raw in:\n{text}");
    }

    /// Log files name clusters, people and releases: nobody else may read them.
    #[cfg(unix)]
    #[test]
    fn log_files_are_private_in_a_private_folder() {
        use std::io::Write as _;
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("sluice").join("logs");
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        // A folder left open by an older version is tightened.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let appender = RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("sluice")
            .filename_suffix("log")
            .build(&dir)
            .unwrap();
        let mut files = PrivateFiles::new(appender, dir.clone());
        files.write_all(b"a line\n").unwrap();
        files.flush().unwrap();
        let logs: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert_eq!(mode(&logs[0].path()), 0o600);
        assert_eq!(std::fs::read(logs[0].path()).unwrap(), b"a line\n");
    }

    /// `text` without the formatter's own colour sequences (`ESC [ digits ; … m`).
    fn without_colours(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("\u{1b}[") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            let end = after.find(|c: char| !(c.is_ascii_digit() || c == ';'));
            match end {
                Some(end) if after[end..].starts_with('m') => rest = &after[end + 1..],
                _ => {
                    out.push_str(&rest[at..at + 2]);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}
