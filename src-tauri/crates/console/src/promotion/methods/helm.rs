//! `helm`: the seed's own deploy, run by Sluice as the person — `helm upgrade --install` with
//! the chart and image tag the source environment's Helm release runs, and the target's own
//! values file at the commit being promoted, under the environment's Lease. The review shows
//! what that upgrade would change, object by object, rendered by the same helm from the same
//! files before anyone approves.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sluice_core::UiError;
use sluice_core::desk::ProgressLine;
use sluice_core::manifests;
use sluice_core::pipeline::Environment;
use sluice_core::review::{Candidate, HelmPreview, Review, ValuesFile};
use sluice_core::values::FlatValues;
use sluice_kube::helm::{self, ReleaseRecord};
use sluice_kube::helm_cli::{Chart, Helm, HelmError, Upgrade};
use sluice_kube::write;

use super::super::{Done, Failure, Setup, follow, kube_context_hint};

/// How long past helm's own timeout Sluice waits before stopping helm.
const GRACE: Duration = Duration::from_secs(60);

/// An upgrade worked out: the files helm reads (deleted with the plan) and what it would change.
pub(crate) struct Plan {
    pub preview: HelmPreview,
    files: Option<Files>,
}

struct Files {
    dir: tempfile::TempDir,
    chart_dir: String,
    values_file: String,
    set_string: Vec<(String, String)>,
}

/// What a plan depends on: the same inputs render the same upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PlanKey {
    source: (u32, String),
    target: Option<(u32, String)>,
    values: String,
    candidate: String,
}

/// Plans kept per environment, while their inputs stay the same: a review is read many times,
/// and each render runs helm twice.
#[derive(Clone, Default)]
pub struct HelmPlans(Arc<Mutex<HashMap<String, Kept>>>);

/// A plan, and what it was worked out from.
type Kept = (PlanKey, Arc<Plan>);

impl HelmPlans {
    fn get(&self, environment: &str, key: &PlanKey) -> Option<Arc<Plan>> {
        let plans = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        plans
            .get(environment)
            .filter(|(k, _)| k == key)
            .map(|(_, p)| p.clone())
    }

    fn put(&self, environment: &str, key: PlanKey, plan: Arc<Plan>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(environment.to_owned(), (key, plan));
    }
}

fn problem(text: String) -> Arc<Plan> {
    Arc::new(Plan {
        preview: HelmPreview {
            problem: Some(text),
            ..HelmPreview::default()
        },
        files: None,
    })
}

fn upgrade_settings<'a>(setup: &'a Setup, target: &'a Environment) -> Upgrade<'a> {
    let timeout = Duration::from_secs(u64::from(setup.pipeline.helm.timeout_seconds));
    Upgrade {
        kube_context: &target.kube_context,
        atomic: setup.pipeline.helm.atomic,
        timeout,
        patience: timeout + GRACE,
    }
}

fn helm(setup: &Setup) -> Helm {
    Helm::new(&setup.pipeline.helm.binary, setup.kubeconfig.as_deref())
}

/// A name from the cluster or the pipeline file, fit to be a file name in the plan's folder.
fn file_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.trim_start_matches('.') {
        "" => "chart".to_owned(),
        plain => plain.to_owned(),
    }
}

/// The deployed record of an environment's release, read as the person.
async fn record(
    setup: &Setup,
    env: &Environment,
) -> Result<(kube::Client, Option<ReleaseRecord>), String> {
    let client = sluice_kube::connect(setup.kubeconfig.as_deref(), &env.kube_context)
        .await
        .map_err(|e| format!("{e} {}", kube_context_hint(&env.kube_context)))?;
    let record = helm::deployed_record(&client, &env.namespace, &env.release)
        .await
        .map_err(|e| e.to_string())?;
    Ok((client, record))
}

/// What promoting `candidate` from `source` into `target` by helm would run and change.
pub(crate) async fn plan(
    setup: &Setup,
    target: &Environment,
    source: &Environment,
    candidate: &Candidate,
    values: &ValuesFile,
) -> Arc<Plan> {
    let source_record = match record(setup, source).await {
        Ok((_, Some(r))) => r,
        Ok((_, None)) => {
            return problem(format!(
                "{} has no deployed Helm release `{}`: there is no chart to promote.",
                source.name, source.release
            ));
        }
        Err(e) => {
            return problem(format!(
                "{}'s Helm release cannot be read: {e}",
                source.name
            ));
        }
    };
    let target_record = match record(setup, target).await {
        Ok((_, r)) => r,
        Err(e) => {
            return problem(format!(
                "{}'s Helm release cannot be read: {e}",
                target.name
            ));
        }
    };
    let Some(text) = &values.text else {
        return problem(format!(
            "{} cannot be read, and helm would install without it: {}",
            values.label,
            values.note.as_deref().unwrap_or("no reason given")
        ));
    };
    let key = PlanKey {
        source: (
            source_record.release.revision,
            source_record
                .release
                .last_deployed
                .clone()
                .unwrap_or_default(),
        ),
        target: target_record.as_ref().map(|r| {
            (
                r.release.revision,
                r.release.last_deployed.clone().unwrap_or_default(),
            )
        }),
        values: text.clone(),
        candidate: candidate.label.clone(),
    };
    if let Some(plan) = setup.helm_plans.get(&target.name, &key) {
        return plan;
    }
    let plan = Arc::new(
        render(
            setup,
            target,
            &source_record,
            target_record.as_ref(),
            candidate,
            values,
            text,
        )
        .await
        .unwrap_or_else(|e| Plan {
            preview: HelmPreview {
                chart: Some(source_record.chart.label()),
                problem: Some(e),
                ..HelmPreview::default()
            },
            files: None,
        }),
    );
    setup.helm_plans.put(&target.name, key, plan.clone());
    plan
}

async fn render(
    setup: &Setup,
    target: &Environment,
    source: &ReleaseRecord,
    current: Option<&ReleaseRecord>,
    candidate: &Candidate,
    values: &ValuesFile,
    text: &str,
) -> Result<Plan, String> {
    let Some(tag_key) = setup.pipeline.image_tag_key.as_deref() else {
        return Err("The pipeline file does not say where the chart takes the image tag (`chart.imageTagKey`).".into());
    };
    // The tag the source runs: its release's own value, or the chart's default.
    let tag = FlatValues::from_tree(&source.release.values)
        .get(tag_key)
        .or(FlatValues::from_tree(&source.chart.values).get(tag_key))
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "{}'s release does not set `{tag_key}`, nor does its chart: the image tag to promote is not known.",
                source.release.name
            )
        })?;
    let dir = tempfile::Builder::new()
        .prefix("sluice-helm-")
        .tempdir()
        .map_err(|e| format!("Cannot make a folder for the chart: {e}"))?;
    let label = source.chart.label();
    let chart_dir = format!("./{}", file_name(&label));
    source
        .chart
        .write_into(&dir.path().join(&chart_dir))
        .map_err(|e| {
            format!(
                "{label} cannot be rebuilt from {}'s release: {e}",
                source.release.name
            )
        })?;
    let values_file = file_name(
        Path::new(&target.values_file)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("values.yaml"),
    );
    std::fs::write(dir.path().join(&values_file), text)
        .map_err(|e| format!("Cannot write {}: {e}", values.label))?;
    let files = Files {
        dir,
        chart_dir,
        values_file,
        set_string: vec![(tag_key.to_owned(), tag)],
    };
    let helm = helm(setup);
    let explain = |e: HelmError| format!("{e}. {}", e.hint());
    helm.version().await.map_err(explain)?;
    let chart = files.chart(target);
    let rendered = helm.template(&chart).await.map_err(explain)?;
    let manifest = current.map_or("", |r| r.manifest.as_str());
    let from = current.map_or_else(
        || "(not installed)".to_owned(),
        |r| format!("revision {}", r.release.revision),
    );
    let changes = manifests::changes(manifest, &rendered, &from, &candidate.label)?;
    let images = manifests::image_changes(manifest, &rendered)?;
    let command = helm.upgrade_command(&chart, &upgrade_settings(setup, target));
    Ok(Plan {
        preview: HelmPreview {
            chart: Some(label),
            command,
            changes,
            images,
            problem: None,
        },
        files: Some(files),
    })
}

impl Files {
    fn chart<'a>(&'a self, target: &'a Environment) -> Chart<'a> {
        Chart {
            release: &target.release,
            namespace: &target.namespace,
            workdir: self.dir.path(),
            chart_dir: &self.chart_dir,
            values_file: &self.values_file,
            set_string: &self.set_string,
        }
    }
}

fn authority(e: write::WriteError) -> Failure {
    super::kubernetes::authority(e)
}

/// Runs the reviewed upgrade, passing helm's lines on as it prints them.
pub(super) async fn upgrade(setup: &Setup, review: &Review, plan: &Plan) -> Result<Done, Failure> {
    let env = setup
        .pipeline
        .environment(&review.environment)
        .map_err(Failure::Failed)?;
    let Some(files) = &plan.files else {
        return Err(Failure::Refused(super::super::refused(
            plan.preview
                .problem
                .clone()
                .unwrap_or_else(|| "The upgrade is not known.".into()),
            "Nothing was changed.",
        )));
    };
    let client = sluice_kube::connect(setup.kubeconfig.as_deref(), &env.kube_context)
        .await
        .map_err(|e| {
            Failure::Failed(UiError::new(
                "promotion.kubernetes-unreachable",
                e.to_string(),
                kube_context_hint(&env.kube_context),
            ))
        })?;
    let settings = upgrade_settings(setup, env);
    let mut on_line = |line: &str| {
        // Nobody listening is fine: the lines are for whoever watches.
        let _ = setup.progress.send(ProgressLine {
            environment: env.name.clone(),
            line: line.to_owned(),
        });
    };
    let run = write::helm::upgrade(
        &client,
        &helm(setup),
        &files.chart(env),
        &settings,
        &plan.preview.changes,
        &setup.holder,
        &mut on_line,
    )
    .await
    .map_err(authority)?;
    let revision = run
        .revision
        .map_or_else(String::new, |r| format!(" (revision {r})"));
    match run.result {
        Ok(()) => {
            let running =
                follow::settled_running(setup, &env.name, review.pin.sha.as_deref()).await;
            Ok(Done {
                message: format!(
                    "{} now runs {}{revision}",
                    env.name,
                    running.as_deref().unwrap_or("the new release")
                ),
                running,
            })
        }
        Err(e) if settings.atomic => Err(Failure::Failed(UiError::new(
            "promotion.helm-failed",
            format!("{e}; helm rolled {} back{revision}", env.name),
            "Nothing changed in the end: --atomic put back what ran before. Helm's reason says what to fix (see also the environment's workloads).",
        ))),
        Err(e) => Err(Failure::WentWrong(UiError::new(
            "promotion.helm-failed",
            e.to_string(),
            "Roll back with the Rollback button or `sluice rollback`, or fix what helm says and promote again.",
        ))),
    }
}

/// The revision of the environment's release Helm marks deployed, after an attempt.
pub(crate) async fn deployed_revision(setup: &Setup, environment: &str) -> Option<u32> {
    let env = setup.pipeline.environment(environment).ok()?;
    let client = sluice_kube::connect(setup.kubeconfig.as_deref(), &env.kube_context)
        .await
        .ok()?;
    write::helm::deployed_revision(&client, &env.namespace, &env.release).await
}

/// `helm rollback` to `revision` (the previous one when `None`), under the Lease; helm's lines
/// passed on.
pub(crate) async fn roll_back(
    setup: &Setup,
    env: &Environment,
    revision: Option<u32>,
) -> Result<(), Failure> {
    let client = sluice_kube::connect(setup.kubeconfig.as_deref(), &env.kube_context)
        .await
        .map_err(|e| {
            Failure::Failed(UiError::new(
                "rollback.kubernetes-unreachable",
                e.to_string(),
                kube_context_hint(&env.kube_context),
            ))
        })?;
    let mut on_line = |line: &str| {
        let _ = setup.progress.send(ProgressLine {
            environment: env.name.clone(),
            line: line.to_owned(),
        });
    };
    write::helm::rollback(
        &client,
        &helm(setup),
        &env.release,
        revision,
        &env.namespace,
        &upgrade_settings(setup, env),
        &setup.holder,
        &mut on_line,
    )
    .await
    .map_err(authority)?
    .map_err(|e| Failure::Failed(UiError::new("rollback.failed", e.to_string(), e.hint())))
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn names_from_the_cluster_stay_inside_the_plans_folder() {
        assert_eq!(
            file_name("tbyte-microservices-0.3.0"),
            "tbyte-microservices-0.3.0"
        );
        assert_eq!(file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_name(".."), "chart");
        assert_eq!(file_name("a b\u{202e}"), "a_b_");
    }
}
