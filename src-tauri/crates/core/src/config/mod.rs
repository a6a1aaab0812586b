//! Loading `pipeline.yaml`: parse (with locations), then validate into a [`Pipeline`].
//! Every problem becomes a [`Diagnostic`] naming the file, line, column and what to write instead.

mod file;
mod suggest;
mod validate;
pub mod values_file;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::UiError;
use crate::pipeline::Pipeline;

/// One problem in a pipeline or values file, positioned for a person to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based; 0 when the position is unknown.
    pub line: u64,
    /// 1-based; 0 when the position is unknown.
    pub column: u64,
    pub message: String,
    /// What to write instead.
    pub hint: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}\n  hint: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message,
            self.hint
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("cannot read pipeline file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_all(diagnostics))]
    Invalid { diagnostics: Vec<Diagnostic> },
}

fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(Diagnostic::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl From<&PipelineError> for UiError {
    fn from(err: &PipelineError) -> Self {
        match err {
            PipelineError::Read { path, source } => UiError::new(
                "pipeline.unreadable",
                format!("Cannot read the pipeline file {}: {source}", path.display()),
                "Check the path given with --pipeline, or run Sluice from the repository that holds environments/pipeline.yaml.",
            ),
            PipelineError::Invalid { diagnostics } => {
                let message = diagnostics
                    .iter()
                    .map(|d| {
                        format!(
                            "{}:{}:{}: {}",
                            d.file.display(),
                            d.line,
                            d.column,
                            d.message
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                let hint = diagnostics
                    .iter()
                    .map(|d| d.hint.as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                UiError::new("pipeline.invalid", message, hint)
            }
        }
    }
}

/// Reads and validates a pipeline file and the values files it names (relative to it).
pub fn load_pipeline(path: &Path) -> Result<Pipeline, PipelineError> {
    let text = read_pipeline_file(path).map_err(|source| PipelineError::Read {
        path: path.to_owned(),
        source,
    })?;
    let raw: file::PipelineFile =
        serde_saphyr::from_str(&text).map_err(|e| PipelineError::Invalid {
            diagnostics: vec![diagnostic_from_yaml(path, &e)],
        })?;
    validate::validate(path, raw).map_err(|diagnostics| PipelineError::Invalid { diagnostics })
}

/// The pipeline file's text: a regular file (a FIFO would hold the read, a device never end it)
/// of at most [`values_file::MAX_BYTES`], as its values files are.
fn read_pipeline_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    // Checked before opening: opening a FIFO for reading waits for a writer. A link to the
    // file is fine: it is resolved first, and what it leads to is what is checked and opened.
    let resolved = path.canonicalize()?;
    if !std::fs::metadata(&resolved)?.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    let file = values_file::open_without_waiting(&resolved)?;
    if !file.metadata()?.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(values_file::MAX_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > values_file::MAX_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidData,
            "it is larger than 1 MiB, far more than a pipeline file",
        ));
    }
    String::from_utf8(bytes).map_err(|e| Error::new(ErrorKind::InvalidData, e))
}

/// Turns a parse or shape error from serde-saphyr into a diagnostic with a useful hint.
pub(crate) fn diagnostic_from_yaml(file: &Path, err: &serde_saphyr::Error) -> Diagnostic {
    let (line, column) = err
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((0, 0));
    let message = match err.without_snippet() {
        serde_saphyr::Error::Message { msg, .. } => msg.clone(),
        other => other
            .render_with_options(serde_saphyr::render_options! {
                snippets: serde_saphyr::SnippetMode::Off,
            })
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    let hint = suggest::hint_for_serde_message(&message);
    Diagnostic {
        file: file.to_owned(),
        line,
        column,
        message,
        hint,
    }
}

#[cfg(test)]
mod tests;
