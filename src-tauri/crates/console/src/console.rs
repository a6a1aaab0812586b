//! The pipeline file a session works on, with this machine's kube context choices applied.

use std::path::{Path, PathBuf};

use sluice_core::{Pipeline, UiError, load_pipeline};

use crate::contexts::{Choices, ContextChoices};

/// One console per pipeline file.
#[derive(Debug, Clone)]
pub struct Console {
    pipeline_path: PathBuf,
    context_choices: Option<ContextChoices>,
}

impl Console {
    /// A console reading the pipeline file as written.
    pub fn new(pipeline_path: impl Into<PathBuf>) -> Self {
        Self {
            pipeline_path: pipeline_path.into(),
            context_choices: None,
        }
    }

    /// Also applies this machine's kube context choices (see [`crate::contexts`]).
    #[must_use]
    pub fn with_context_choices(mut self, choices: Option<ContextChoices>) -> Self {
        self.context_choices = choices;
        self
    }

    pub fn context_choices(&self) -> Option<&ContextChoices> {
        self.context_choices.as_ref()
    }

    /// This machine's choices for the pipeline file; an unreadable choices file is an error
    /// here, and ignored (logged) by [`pipeline`](Self::pipeline).
    pub fn chosen_contexts(&self) -> Result<Choices, UiError> {
        match &self.context_choices {
            Some(c) => c.read(&self.pipeline_path).map_err(|e| e.to_ui()),
            None => Ok(Choices::new()),
        }
    }

    pub fn pipeline_path(&self) -> &Path {
        &self.pipeline_path
    }

    /// The pipeline file's folder: values files are read relative to it.
    pub fn pipeline_dir(&self) -> PathBuf {
        self.pipeline_path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// Reads the pipeline afresh, so that an edited file shows without a restart, with this
    /// machine's kube context choices applied.
    pub fn pipeline(&self) -> Result<Pipeline, UiError> {
        let mut pipeline = self.pipeline_as_written()?;
        match self.chosen_contexts() {
            Ok(choices) => crate::contexts::apply(&mut pipeline, &choices),
            Err(e) => tracing::warn!(error = %e.message, "kube context choices ignored"),
        }
        Ok(pipeline)
    }

    /// The pipeline exactly as its file says.
    pub fn pipeline_as_written(&self) -> Result<Pipeline, UiError> {
        load_pipeline(&self.pipeline_path).map_err(|e| {
            tracing::warn!(path = %self.pipeline_path.display(), error = %e, "pipeline rejected");
            UiError::from(&e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../environments/pipeline.yaml")
    }

    #[test]
    fn reads_the_shipped_pipeline() {
        let p = Console::new(shipped()).pipeline().unwrap();
        let names: Vec<&str> = p.environments.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["dev", "staging", "production"]);
    }

    #[test]
    fn an_invalid_pipeline_is_a_ui_error_with_file_line_and_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.yaml");
        std::fs::write(
            &path,
            "app: x\ngithub: {repository: a/b}\nenvironment: []\n",
        )
        .unwrap();
        let err = Console::new(&path).pipeline().unwrap_err();
        assert_eq!(err.code, "pipeline.invalid");
        assert!(
            err.message.starts_with(&format!("{}:3:", path.display())),
            "{}",
            err.message
        );
        assert!(err.hint.contains("`environments`"), "{}", err.hint);
    }
}
