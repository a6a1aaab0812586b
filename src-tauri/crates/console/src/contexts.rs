//! This machine's choice of kube context per environment. The pipeline file names the contexts
//! the team agreed on; a person whose kubeconfig calls a cluster something else picks their own
//! in Settings, without editing the shared file. The choices are kept per pipeline file in
//! `~/.config/sluice/kube-contexts.json` and apply to the window and the command line alike.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sluice_core::{Pipeline, UiError};

/// The file is ours, but it is still read as untrusted: a larger one is not a choices file.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// environment → kube context, for one pipeline file.
pub type Choices = BTreeMap<String, String>;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoicesFile {
    /// Keyed by the pipeline file's absolute path.
    pipelines: BTreeMap<String, Choices>,
}

#[derive(Debug, thiserror::Error)]
pub enum ContextsError {
    #[error("cannot read {path}: {detail}")]
    Unreadable { path: PathBuf, detail: String },
    #[error("cannot write {path}: {source}")]
    Unwritable {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ContextsError {
    pub fn to_ui(&self) -> UiError {
        match self {
            Self::Unreadable { path, .. } => UiError::new(
                "contexts.unreadable",
                self.to_string(),
                format!(
                    "Fix or delete {}; until then the pipeline file's contexts are used.",
                    path.display()
                ),
            ),
            Self::Unwritable { .. } => UiError::new(
                "contexts.unwritable",
                self.to_string(),
                "Check that your config folder exists and you may write to it.",
            ),
        }
    }
}

/// Where this machine's choices are kept.
#[derive(Debug, Clone)]
pub struct ContextChoices {
    path: PathBuf,
}

impl ContextChoices {
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `<config dir>/kube-contexts.json` (`~/.config/sluice/` on Linux).
    pub fn default_location() -> Option<Self> {
        directories::ProjectDirs::from("dev", "sluice", "sluice")
            .map(|d| Self::at(d.config_dir().join("kube-contexts.json")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The choices made for `pipeline_file`; none when nothing was ever chosen.
    pub fn read(&self, pipeline_file: &Path) -> Result<Choices, ContextsError> {
        Ok(self
            .read_file()?
            .pipelines
            .remove(&key(pipeline_file))
            .unwrap_or_default())
    }

    /// Chooses `context` for `environment`, or goes back to the pipeline file's with `None`.
    /// Written to a temporary file and renamed over the old one, so a crash leaves either.
    pub fn set(
        &self,
        pipeline_file: &Path,
        environment: &str,
        context: Option<&str>,
    ) -> Result<(), ContextsError> {
        let mut file = self.read_file()?;
        let choices = file.pipelines.entry(key(pipeline_file)).or_default();
        match context {
            Some(c) => {
                choices.insert(environment.to_owned(), c.to_owned());
            }
            None => {
                choices.remove(environment);
            }
        }
        file.pipelines.retain(|_, c| !c.is_empty());
        let unwritable = |source| ContextsError::Unwritable {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(unwritable)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(unwritable)?;
        let text = serde_json::to_vec_pretty(&file).map_err(|e| unwritable(e.into()))?;
        tmp.write_all(&text)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(unwritable)?;
        tmp.persist(&self.path).map_err(|e| unwritable(e.error))?;
        Ok(())
    }

    fn read_file(&self) -> Result<ChoicesFile, ContextsError> {
        let unreadable = |detail: String| ContextsError::Unreadable {
            path: self.path.clone(),
            detail,
        };
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(ChoicesFile::default());
            }
            Err(e) => return Err(unreadable(e.to_string())),
        };
        if meta.len() > MAX_FILE_BYTES {
            return Err(unreadable(format!(
                "{} bytes is too large for a choices file",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(&self.path).map_err(|e| unreadable(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))
    }
}

/// The same pipeline file reached by two paths has one set of choices.
fn key(pipeline_file: &Path) -> String {
    std::fs::canonicalize(pipeline_file)
        .unwrap_or_else(|_| pipeline_file.to_path_buf())
        .display()
        .to_string()
}

/// Points each chosen environment at its chosen context; choices for environments the pipeline
/// no longer has are ignored.
pub fn apply(pipeline: &mut Pipeline, choices: &Choices) {
    for env in &mut pipeline.environments {
        if let Some(context) = choices.get(&env.name) {
            env.kube_context.clone_from(context);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../environments/pipeline.yaml")
    }

    #[test]
    fn choices_are_kept_per_pipeline_file_and_can_be_taken_back() {
        let dir = tempfile::tempdir().unwrap();
        let choices = ContextChoices::at(dir.path().join("cfg/kube-contexts.json"));
        let other = dir.path().join("other.yaml");
        assert!(choices.read(&shipped()).unwrap().is_empty());

        choices
            .set(&shipped(), "production", Some("prod-admin"))
            .unwrap();
        choices.set(&other, "dev", Some("kind-dev")).unwrap();
        assert_eq!(
            choices.read(&shipped()).unwrap(),
            Choices::from([("production".into(), "prod-admin".into())])
        );
        // Another path to the same file finds the same choices.
        let dotted = shipped().parent().unwrap().join("./pipeline.yaml");
        assert_eq!(choices.read(&dotted).unwrap().len(), 1);

        choices.set(&shipped(), "production", None).unwrap();
        assert!(choices.read(&shipped()).unwrap().is_empty());
        assert_eq!(choices.read(&other).unwrap().len(), 1);
    }

    #[test]
    fn a_damaged_file_is_an_error_with_a_hint_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kube-contexts.json");
        let choices = ContextChoices::at(&path);
        for junk in [
            "{",
            "[]",
            "{\"pipelines\": {\"x\": 3}}",
            "\u{0}\u{1}",
            "{\"extra\": 1}",
        ] {
            std::fs::write(&path, junk).unwrap();
            let err = choices.read(&shipped()).unwrap_err().to_ui();
            assert_eq!(err.code, "contexts.unreadable", "{junk:?}");
            assert!(err.hint.contains("Fix or delete"), "{}", err.hint);
            // Choosing again must not overwrite what the person may still want to repair.
            assert!(choices.set(&shipped(), "dev", Some("x")).is_err());
        }
    }

    #[test]
    fn apply_points_only_chosen_environments_elsewhere() {
        let mut pipeline = sluice_core::load_pipeline(&shipped()).unwrap();
        let before: Vec<String> = pipeline
            .environments
            .iter()
            .map(|e| e.kube_context.clone())
            .collect();
        apply(
            &mut pipeline,
            &Choices::from([
                ("production".into(), "prod-admin".into()),
                ("gone".into(), "x".into()),
            ]),
        );
        let after: Vec<&str> = pipeline
            .environments
            .iter()
            .map(|e| e.kube_context.as_str())
            .collect();
        assert_eq!(
            after,
            [before[0].as_str(), before[1].as_str(), "prod-admin"]
        );
    }
}
