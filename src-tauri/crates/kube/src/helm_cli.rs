//! The helm 3 binary, run as a person would run it: `helm template` for what an upgrade would
//! apply, `helm upgrade --install --wait` to apply it. Its output is passed on line by line, so
//! the person watches the upgrade as it goes; helm prints no credentials.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// A line of helm's output beyond this is cut: helm's own lines are short, a template's error
/// can quote a whole document.
const MAX_LINE: usize = 2048;
/// How many of helm's last lines an error keeps, for the reason.
const KEPT_LINES: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    #[error("helm is not installed: `{binary}` was not found")]
    Missing { binary: String },
    #[error("`{binary}` is not helm 3 (it says `{found}`)")]
    NotHelm3 { binary: String, found: String },
    #[error("helm {verb} failed: {reason}")]
    Failed { verb: &'static str, reason: String },
    #[error("helm {verb} did not finish in {seconds} s and was stopped")]
    TimedOut { verb: &'static str, seconds: u64 },
    #[error("cannot run `{binary}`: {source}")]
    Io {
        binary: String,
        #[source]
        source: std::io::Error,
    },
}

impl HelmError {
    /// What to do about it, for the person.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Missing { .. } | Self::NotHelm3 { .. } => {
                "Install helm 3 (https://helm.sh/docs/intro/install/), or name its path in the pipeline file under `helm: {binary: …}`."
            }
            Self::Failed { .. } | Self::TimedOut { .. } => {
                "Helm has the last word: its reason is above; see the environment's workloads and `helm history`."
            }
            Self::Io { .. } => "Check that the helm binary may be run by you.",
        }
    }
}

/// What is rendered or installed: a release, from a chart folder, with values. Helm runs in
/// `workdir`, so the command line names the chart and values file as the person knows them
/// (`./tbyte-microservices-0.3.0`, `values-prod.yaml`), the same in the review and the journal.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    pub workdir: &'a Path,
    /// Relative to `workdir`.
    pub chart_dir: &'a str,
    /// Relative to `workdir`.
    pub values_file: &'a str,
    /// `--set-string key=value` pairs (the image tag).
    pub set_string: &'a [(String, String)],
}

/// How an upgrade runs.
#[derive(Debug, Clone)]
pub struct Upgrade<'a> {
    pub kube_context: &'a str,
    pub atomic: bool,
    /// helm's `--timeout`: how long it waits for the rollout.
    pub timeout: Duration,
    /// How long to wait for helm itself before stopping it: its timeout and some.
    pub patience: Duration,
}

#[derive(Debug, Clone)]
pub struct Helm {
    binary: String,
    kubeconfig: Option<PathBuf>,
}

impl Helm {
    /// `binary` is a path or a name on PATH; `kubeconfig` is passed on when one was given
    /// (otherwise helm reads `$KUBECONFIG` or `~/.kube/config`, as kubectl does).
    pub fn new(binary: &str, kubeconfig: Option<&Path>) -> Self {
        Self {
            binary: binary.to_owned(),
            kubeconfig: kubeconfig.map(Path::to_path_buf),
        }
    }

    fn command(&self, workdir: Option<&Path>) -> Command {
        let mut c = Command::new(&self.binary);
        c.stdin(Stdio::null()).kill_on_drop(true);
        if let Some(dir) = workdir {
            c.current_dir(dir);
        }
        c
    }

    fn io(&self) -> impl FnOnce(std::io::Error) -> HelmError + '_ {
        move |source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                HelmError::Missing {
                    binary: self.binary.clone(),
                }
            } else {
                HelmError::Io {
                    binary: self.binary.clone(),
                    source,
                }
            }
        }
    }

    /// helm's version (`v3.22.0`); anything but helm 3 is an error.
    pub async fn version(&self) -> Result<String, HelmError> {
        let out = self
            .command(None)
            .args(["version", "--short"])
            .output()
            .await
            .map_err(self.io())?;
        let found = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let version = found.split('+').next().unwrap_or_default().to_owned();
        if out.status.success() && version.starts_with("v3.") {
            Ok(version)
        } else {
            Err(HelmError::NotHelm3 {
                binary: self.binary.clone(),
                found: if found.is_empty() {
                    truncated(&String::from_utf8_lossy(&out.stderr))
                } else {
                    found
                },
            })
        }
    }

    fn chart_args(chart: &Chart<'_>) -> Vec<String> {
        let mut args = vec![
            chart.release.to_owned(),
            chart.chart_dir.to_owned(),
            "--namespace".into(),
            chart.namespace.to_owned(),
            "--values".into(),
            chart.values_file.to_owned(),
        ];
        for (key, value) in chart.set_string {
            args.push("--set-string".into());
            args.push(format!("{key}={value}"));
        }
        args
    }

    /// What `helm upgrade` would apply: `helm template --is-upgrade`, offline.
    pub async fn template(&self, chart: &Chart<'_>) -> Result<String, HelmError> {
        let out = self
            .command(Some(chart.workdir))
            .arg("template")
            .args(Self::chart_args(chart))
            .arg("--is-upgrade")
            .output()
            .await
            .map_err(self.io())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(HelmError::Failed {
                verb: "template",
                reason: truncated(&String::from_utf8_lossy(&out.stderr)),
            })
        }
    }

    /// The arguments of `helm upgrade --install` for `chart` (without the binary).
    pub fn upgrade_args(&self, chart: &Chart<'_>, upgrade: &Upgrade<'_>) -> Vec<String> {
        let mut args = vec!["upgrade".into(), "--install".into()];
        args.extend(Self::chart_args(chart));
        args.extend(self.cluster_args(upgrade));
        if upgrade.atomic {
            // Before `--wait`, as the seed's documentation writes it.
            let at = args.len() - 3;
            args.insert(at, "--atomic".into());
        }
        args
    }

    /// Which cluster, and how long to wait for it: `--kube-context … [--kubeconfig …] --wait
    /// --timeout <n>s` (the last three always last).
    fn cluster_args(&self, upgrade: &Upgrade<'_>) -> Vec<String> {
        let mut args = vec!["--kube-context".into(), upgrade.kube_context.to_owned()];
        if let Some(k) = &self.kubeconfig {
            args.extend(["--kubeconfig".into(), k.display().to_string()]);
        }
        args.extend([
            "--wait".into(),
            "--timeout".into(),
            format!("{}s", upgrade.timeout.as_secs().max(1)),
        ]);
        args
    }

    /// The command line of `helm upgrade --install` for `chart`, as a shell would take it.
    pub fn upgrade_command(&self, chart: &Chart<'_>, upgrade: &Upgrade<'_>) -> String {
        std::iter::once(self.binary.as_str())
            .chain(self.upgrade_args(chart, upgrade).iter().map(String::as_str))
            .map(shell_word)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs `helm upgrade --install`, passing each line helm prints to `on_line`; the last
    /// lines are the reason when it fails.
    pub async fn upgrade(
        &self,
        chart: &Chart<'_>,
        upgrade: &Upgrade<'_>,
        on_line: &mut (dyn FnMut(&str) + Send),
    ) -> Result<(), HelmError> {
        let args = self.upgrade_args(chart, upgrade);
        self.run(
            "upgrade",
            &args,
            Some(chart.workdir),
            upgrade.patience,
            on_line,
        )
        .await
    }

    /// Runs `helm rollback <release>` to its previous revision, waiting for it like an upgrade.
    /// `helm rollback` to `revision`, or to the previous one when `None`.
    pub async fn rollback(
        &self,
        release: &str,
        revision: Option<u32>,
        namespace: &str,
        upgrade: &Upgrade<'_>,
        on_line: &mut (dyn FnMut(&str) + Send),
    ) -> Result<(), HelmError> {
        let mut args: Vec<String> = vec!["rollback".into(), release.into()];
        args.extend(revision.map(|r| r.to_string()));
        args.extend(["--namespace".into(), namespace.into()]);
        args.extend(self.cluster_args(upgrade));
        self.run("rollback", &args, None, upgrade.patience, on_line)
            .await
    }

    async fn run(
        &self,
        verb: &'static str,
        args: &[String],
        workdir: Option<&Path>,
        patience: Duration,
        on_line: &mut (dyn FnMut(&str) + Send),
    ) -> Result<(), HelmError> {
        let mut child = self
            .command(workdir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(self.io())?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(HelmError::Failed {
                verb,
                reason: "its output could not be read".into(),
            });
        };
        let mut out = BufReader::new(stdout).lines();
        let mut err = BufReader::new(stderr).lines();
        let mut last: Vec<String> = Vec::new();
        let mut keep = |line: String, on_line: &mut (dyn FnMut(&str) + Send)| {
            let line = truncated(&line);
            on_line(&line);
            last.push(line);
            if last.len() > KEPT_LINES {
                last.remove(0);
            }
        };
        let run = async {
            let (mut out_done, mut err_done) = (false, false);
            while !(out_done && err_done) {
                tokio::select! {
                    line = out.next_line(), if !out_done => match line {
                        Ok(Some(l)) => keep(l, on_line),
                        _ => out_done = true,
                    },
                    line = err.next_line(), if !err_done => match line {
                        Ok(Some(l)) => keep(l, on_line),
                        _ => err_done = true,
                    },
                }
            }
            child.wait().await
        };
        let status = tokio::time::timeout(patience, run)
            .await
            .map_err(|_| HelmError::TimedOut {
                verb,
                seconds: patience.as_secs(),
            })?
            .map_err(self.io())?;
        if status.success() {
            Ok(())
        } else {
            Err(HelmError::Failed {
                verb,
                reason: last
                    .iter()
                    .rev()
                    .find(|l| l.starts_with("Error:"))
                    .cloned()
                    .unwrap_or_else(|| last.join("\n")),
            })
        }
    }
}

/// `word` quoted for a POSIX shell when it needs to be.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn truncated(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_LINE) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for helm: a shell script that answers like it.
    fn fake_helm(dir: &Path, script: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("helm");
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn chart<'a>(dir: &'a Path, set: &'a [(String, String)]) -> Chart<'a> {
        Chart {
            release: "tbyte-prod",
            namespace: "production",
            workdir: dir,
            chart_dir: "./tbyte-microservices-0.3.0",
            values_file: "values-prod.yaml",
            set_string: set,
        }
    }

    #[tokio::test]
    async fn only_helm_3_is_accepted_and_a_missing_binary_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let three = fake_helm(dir.path(), "echo v3.22.0+g1234567");
        assert_eq!(
            Helm::new(three.to_str().unwrap(), None)
                .version()
                .await
                .unwrap(),
            "v3.22.0"
        );
        let two = fake_helm(dir.path(), "echo 'Client: v2.17.0'");
        assert!(matches!(
            Helm::new(two.to_str().unwrap(), None).version().await,
            Err(HelmError::NotHelm3 { found, .. }) if found == "Client: v2.17.0"
        ));
        let missing = Helm::new("/nonexistent/helm", None)
            .version()
            .await
            .unwrap_err();
        assert!(matches!(missing, HelmError::Missing { .. }), "{missing}");
        assert!(missing.hint().contains("helm.sh"));
    }

    #[tokio::test]
    async fn an_upgrade_streams_helms_lines_and_fails_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let set = [("image.tag".to_owned(), "b5ca258".to_owned())];
        let ok = fake_helm(dir.path(), "echo \"$@\"; echo 'STATUS: deployed' >&2");
        let helm = Helm::new(ok.to_str().unwrap(), Some(Path::new("/k/config")));
        let upgrade = Upgrade {
            kube_context: "tbyte",
            atomic: true,
            timeout: Duration::from_secs(300),
            patience: Duration::from_secs(10),
        };
        let mut lines = Vec::new();
        helm.upgrade(&chart(dir.path(), &set), &upgrade, &mut |l| {
            lines.push(l.to_owned())
        })
        .await
        .unwrap();
        assert!(lines.contains(&"STATUS: deployed".to_owned()), "{lines:?}");
        let args = "upgrade --install tbyte-prod ./tbyte-microservices-0.3.0 --namespace production --values values-prod.yaml --set-string image.tag=b5ca258 --kube-context tbyte --kubeconfig /k/config --atomic --wait --timeout 300s";
        assert!(lines.contains(&args.to_owned()), "{lines:?}");
        assert_eq!(
            helm.upgrade_command(&chart(dir.path(), &set), &upgrade),
            format!("{} {args}", ok.display())
        );
        let failing = fake_helm(
            dir.path(),
            "echo 'Release \"tbyte-prod\" has been upgraded.'; echo 'Error: UPGRADE FAILED: release tbyte-prod failed, and has been rolled back due to atomic being set: context deadline exceeded' >&2; exit 1",
        );
        let err = Helm::new(failing.to_str().unwrap(), None)
            .upgrade(&chart(dir.path(), &set), &upgrade, &mut |_| {})
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "helm upgrade failed: Error: UPGRADE FAILED: release tbyte-prod failed, and has been rolled back due to atomic being set: context deadline exceeded"
        );
    }

    #[test]
    fn a_command_line_quotes_what_a_shell_would_split() {
        assert_eq!(shell_word("image.tag=b5ca258"), "image.tag=b5ca258");
        assert_eq!(shell_word("my values.yaml"), "'my values.yaml'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[tokio::test]
    async fn a_helm_that_hangs_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let hanging = fake_helm(dir.path(), "sleep 30");
        let set = [];
        let upgrade = Upgrade {
            kube_context: "tbyte",
            atomic: true,
            timeout: Duration::from_secs(1),
            patience: Duration::from_millis(300),
        };
        let err = Helm::new(hanging.to_str().unwrap(), None)
            .upgrade(&chart(dir.path(), &set), &upgrade, &mut |_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, HelmError::TimedOut { .. }), "{err}");
    }
}
