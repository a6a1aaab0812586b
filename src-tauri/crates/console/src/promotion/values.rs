//! The values file a deploy reads, at the commit it deploys: from GitHub when the pipeline says
//! where its folder is in the repository, else from the pipeline's own folder (said so).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use sluice_core::UiError;
use sluice_core::config::values_file;
use sluice_core::pipeline::Environment;
use sluice_core::review::{Candidate, ValuesFile};
use sluice_core::values::FlatValues;

use super::Setup;

/// A commit's file never changes: what GitHub answered is kept (at most this many files).
const KEPT: usize = 64;

/// A file's path in the repository, and the commit it was read at.
type FileAt = (String, String);

/// Files read from GitHub, by (path, commit); `None` when GitHub has no such file.
#[derive(Clone, Default)]
pub struct FileCache(Arc<Mutex<HashMap<FileAt, Option<String>>>>);

impl FileCache {
    fn get(&self, key: &FileAt) -> Option<Option<String>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    fn put(&self, key: FileAt, text: Option<String>) {
        let mut files = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if files.len() >= KEPT {
            files.clear();
        }
        files.insert(key, text);
    }
}

/// The values file as the pipeline's folder holds it, flattened.
pub fn local_values(pipeline_dir: &Path, values_file: &str) -> Result<FlatValues, UiError> {
    local_file(pipeline_dir, values_file).map(|(_, values)| values)
}

/// The values file as the pipeline's folder holds it: its text, and flattened.
fn local_file(pipeline_dir: &Path, values_file: &str) -> Result<(String, FlatValues), UiError> {
    let text = values_file::read(pipeline_dir, values_file).map_err(|e| UiError::from(&e))?;
    let values = FlatValues::parse(&text).map_err(|e| {
        UiError::new(
            "values.unreadable",
            format!(
                "Cannot read {}: {e}",
                pipeline_dir.join(values_file).display()
            ),
            "Check that the values file is valid YAML.",
        )
    })?;
    Ok((text, values))
}

/// The target's values file as the deploy of `candidate` would read it.
pub(super) async fn at_commit(
    setup: &Setup,
    env: &Environment,
    candidate: &Candidate,
) -> ValuesFile {
    let file = &env.values_file;
    if let (Some(path), Some(sha), Some(github)) = (
        setup.pipeline.github.path_of(file),
        candidate.sha.as_deref(),
        setup.github.as_ref(),
    ) {
        let key = (path.clone(), sha.to_owned());
        let answer = match setup.files.get(&key) {
            Some(text) => Ok(text),
            None => github.file_at(&path, sha).await.inspect(|text| {
                setup.files.put(key, text.clone());
            }),
        };
        match answer {
            Ok(Some(text)) => match FlatValues::parse(&text) {
                Ok(values) => {
                    return ValuesFile {
                        text: Some(text),
                        values,
                        label: format!("{file} at {}", candidate.label),
                        note: None,
                    };
                }
                Err(e) => {
                    return ValuesFile {
                        text: None,
                        values: FlatValues::default(),
                        label: format!("{file} at {}", candidate.label),
                        note: Some(format!(
                            "{path} at {} is not valid YAML: {e}",
                            candidate.label
                        )),
                    };
                }
            },
            Ok(None) => {
                return ValuesFile {
                    text: None,
                    values: FlatValues::default(),
                    label: format!("{file} at {}", candidate.label),
                    note: Some(format!(
                        "GitHub has no {path} at {}: the deploy would run without it.",
                        candidate.label
                    )),
                };
            }
            Err(e) => tracing::warn!(path, sha, error = %e, "values file not read from GitHub"),
        }
    }
    let note = if setup.pipeline.github.directory.is_none() {
        format!(
            "Read from {file} beside the pipeline file, not at {}: set `github.directory` in the pipeline file so Sluice reads it at the commit being promoted.",
            candidate.label
        )
    } else {
        format!(
            "GitHub did not answer for {file} at {}: read from the pipeline's folder instead.",
            candidate.label
        )
    };
    match local_file(&setup.pipeline_dir, file) {
        Ok((text, values)) => ValuesFile {
            text: Some(text),
            values,
            label: format!("{file} (local copy)"),
            note: Some(note),
        },
        Err(e) => ValuesFile {
            text: None,
            values: FlatValues::default(),
            label: file.clone(),
            note: Some(format!("{} {}", e.message, e.hint)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values file may have been swapped since the pipeline was validated: what is read
    /// later is confined the same way.
    #[test]
    fn local_values_are_read_only_from_inside_the_pipeline_folder() {
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("kubeconfig");
        std::fs::write(&secret, "token: s3cret-token\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("values-dev.yaml"), "replicaCount: 1\n").unwrap();
        assert_eq!(
            local_values(dir.path(), "values-dev.yaml")
                .unwrap()
                .get("replicaCount"),
            Some("1")
        );
        std::os::unix::fs::symlink(&secret, dir.path().join("values-prod.yaml")).unwrap();
        let e = local_values(dir.path(), "values-prod.yaml").unwrap_err();
        assert_eq!(e.code, "values.outside-folder", "{e}");
        assert!(!e.message.contains("s3cret"), "{e}");
        let e = local_values(dir.path(), secret.to_str().unwrap()).unwrap_err();
        assert_eq!(e.code, "values.outside-folder", "{e}");
    }

    #[test]
    fn a_fifo_in_place_of_the_values_file_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("values-prod.yaml");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let path = dir.path().to_owned();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(local_values(&path, "values-prod.yaml"));
        });
        let answer = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("answered without waiting for a writer");
        assert_eq!(answer.unwrap_err().code, "values.not-a-file");
    }
}
