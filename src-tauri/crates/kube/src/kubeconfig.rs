//! Reading the kubeconfig as kubectl finds it (`--kubeconfig`, else `$KUBECONFIG`, else
//! `~/.kube/config`), with errors that never quote it: the YAML parser's messages show the
//! lines around a mistake, and a kubeconfig's lines hold tokens, keys and passwords.

use std::path::Path;

use kube::config::{Kubeconfig, KubeconfigError};

/// Why the kubeconfig cannot be used, in words that quote none of its contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KubeconfigProblem(String);

impl KubeconfigProblem {
    pub fn of(error: &KubeconfigError) -> Self {
        Self(match error {
            KubeconfigError::Parse(e) => match e.location() {
                Some(at) => format!(
                    "the kubeconfig is not valid YAML (line {}, column {})",
                    at.line(),
                    at.column()
                ),
                None => "the kubeconfig is not valid YAML".to_owned(),
            },
            // The others name a file, a context or a kind of data, never the data itself.
            other => crate::errors::describe(other),
        })
    }
}

/// The kubeconfig at `path`, or at the default locations when `None`.
pub fn read(path: Option<&Path>) -> Result<Kubeconfig, KubeconfigProblem> {
    match path {
        Some(p) => Kubeconfig::read_from(p),
        None => Kubeconfig::read(),
    }
    .map_err(|e| KubeconfigProblem::of(&e))
}

/// The names of the kubeconfig's contexts.
pub fn context_names(path: Option<&Path>) -> Result<Vec<String>, KubeconfigProblem> {
    Ok(read(path)?.contexts.into_iter().map(|c| c.name).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "CANARY-kubeconfig-token-0123456789";

    #[test]
    fn a_broken_kubeconfig_is_told_by_place_not_by_its_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        for broken in [
            format!("users:\n- name: a\n  user:\n    token: {CANARY}\n  - : [\n"),
            format!("users:\n- name: a\n  user: {{token: {CANARY}\n"),
            format!("users: [{{name: a, user: {{token: {CANARY}}}}}]\ncontexts: 7\n"),
        ] {
            std::fs::write(&path, &broken).unwrap();
            let problem = read(Some(&path)).unwrap_err().to_string();
            assert!(
                !problem.contains(CANARY),
                "the kubeconfig leaked: {problem}"
            );
            assert!(problem.contains("kubeconfig"), "{problem}");
        }
        std::fs::write(
            &path,
            format!("users:\n- name: a\n  user:\n    token: {CANARY}\n  - : [\n"),
        )
        .unwrap();
        // Why this module exists: kube's own message shows the lines around the mistake.
        let raw = Kubeconfig::read_from(&path).unwrap_err().to_string();
        assert!(raw.contains(CANARY), "{raw}");
        assert!(
            read(Some(&path))
                .unwrap_err()
                .to_string()
                .contains("not valid YAML (line"),
        );
    }

    #[test]
    fn a_missing_kubeconfig_names_the_file() {
        let problem = read(Some(Path::new("/nonexistent/kubeconfig")))
            .unwrap_err()
            .to_string();
        assert!(problem.contains("/nonexistent/kubeconfig"), "{problem}");
    }
}
