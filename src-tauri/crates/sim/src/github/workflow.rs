//! The deploy workflow the project ships (environments/github/deploy.yml), read from that very
//! file: which job deploys which environment, under what name, on which event. The simulated
//! GitHub's deploy runs are made of these jobs, so what the demo shows is what the workflow
//! does; a run the workflow could not make is refused.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// Where the workflow lives in a repository that uses it.
pub const DEPLOY_WORKFLOW_PATH: &str = ".github/workflows/deploy.yml";

const SHIPPED: &str = include_str!("../../../../../environments/github/deploy.yml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployWorkflow {
    /// Its `name:` (`Deploy`).
    pub name: String,
    pub jobs: Vec<DeployJob>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployJob {
    /// The job's key under `jobs:` (`deploy-production`).
    pub id: String,
    /// Its `name:`, as GitHub lists the job (`Deploy to production`).
    pub name: String,
    pub environment: String,
    pub needs: Vec<String>,
    /// Its `concurrency` group: GitHub keeps one job of a group pending, and a newer one
    /// cancels the older.
    pub concurrency: Option<String>,
    /// Its `if:`, whose `github.event_name == '…'` tests say which events run it.
    condition: String,
}

#[derive(Deserialize)]
struct File {
    name: String,
    jobs: BTreeMap<String, JobFile>,
}

#[derive(Deserialize)]
struct JobFile {
    name: String,
    environment: String,
    #[serde(default)]
    needs: Needs,
    #[serde(default)]
    concurrency: Option<Concurrency>,
    #[serde(default, rename = "if")]
    condition: String,
}

/// `concurrency: group-name`, or `concurrency: {group: …, cancel-in-progress: …}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Concurrency {
    Group(String),
    Block { group: String },
}

#[derive(Default, Deserialize)]
#[serde(untagged)]
enum Needs {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

/// The shipped workflow. It is part of the build and a unit test reads it; should it not read,
/// the world has a workflow with no jobs, so every deploy run is refused with that reason logged.
pub fn deploy_workflow() -> &'static DeployWorkflow {
    static WORKFLOW: OnceLock<DeployWorkflow> = OnceLock::new();
    WORKFLOW.get_or_init(|| {
        parse(SHIPPED).unwrap_or_else(|error| {
            tracing::error!(%error, "the shipped deploy workflow");
            DeployWorkflow {
                name: "Deploy".to_owned(),
                jobs: Vec::new(),
            }
        })
    })
}

fn parse(text: &str) -> Result<DeployWorkflow, String> {
    let file: File = serde_saphyr::from_str(text)
        .map_err(|e| format!("environments/github/deploy.yml does not read: {e}"))?;
    Ok(DeployWorkflow {
        name: file.name,
        jobs: file
            .jobs
            .into_iter()
            .map(|(id, j)| DeployJob {
                id,
                name: j.name,
                environment: j.environment,
                needs: match j.needs {
                    Needs::None => Vec::new(),
                    Needs::One(n) => vec![n],
                    Needs::Many(n) => n,
                },
                concurrency: j.concurrency.map(|c| match c {
                    Concurrency::Group(group) | Concurrency::Block { group } => group,
                }),
                condition: j.condition,
            })
            .collect(),
    })
}

impl DeployJob {
    /// Whether a run triggered by `event` runs this job: its condition names the event, or a
    /// job it needs runs on it.
    fn runs_on(&self, workflow: &DeployWorkflow, event: &str) -> bool {
        self.condition
            .contains(&format!("github.event_name == '{event}'"))
            || self.needs.iter().any(|n| {
                workflow
                    .jobs
                    .iter()
                    .find(|j| &j.id == n)
                    .is_some_and(|j| j.runs_on(workflow, event))
            })
    }
}

impl DeployWorkflow {
    /// The job that deploys `environment` in a run triggered by `event`.
    pub fn job(&self, event: &str, environment: &str) -> Result<&DeployJob, String> {
        let job = self
            .jobs
            .iter()
            .find(|j| j.environment == environment)
            .ok_or_else(|| {
                format!("the deploy workflow has no job for environment `{environment}`")
            })?;
        if job.runs_on(self, event) {
            Ok(job)
        } else {
            Err(format!(
                "the deploy workflow's job `{}` does not run on `{event}`",
                job.id
            ))
        }
    }

    /// The event of a run that deploys `environment`: `pull_request` for dev, `push` for
    /// staging (and production, after it).
    pub fn event_of(&self, environment: &str) -> Option<&'static str> {
        ["pull_request", "push", "workflow_dispatch"]
            .into_iter()
            .find(|e| self.job(e, environment).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_workflow_deploys_each_environment_on_its_event() {
        assert_eq!(parse(SHIPPED).as_ref(), Ok(deploy_workflow()));
        let w = deploy_workflow();
        assert_eq!(w.name, "Deploy");
        assert_eq!(w.event_of("dev"), Some("pull_request"));
        assert_eq!(w.event_of("staging"), Some("push"));
        assert_eq!(
            w.job("push", "production").unwrap().name,
            "Deploy to production"
        );
        assert_eq!(
            w.job("workflow_dispatch", "production").unwrap().id,
            "deploy-production"
        );
        assert!(
            w.job("push", "dev").is_err(),
            "dev deploys pull requests only"
        );
        assert!(w.job("push", "qa").is_err());
        // One group per environment: a production review never holds up staging.
        let groups: Vec<Option<&str>> = ["dev", "staging", "production"]
            .iter()
            .map(|e| {
                let job = w.job(w.event_of(e).unwrap(), e).unwrap();
                job.concurrency.as_deref()
            })
            .collect();
        assert_eq!(
            groups,
            [
                Some("deploy-dev"),
                Some("deploy-staging"),
                Some("deploy-production")
            ]
        );
    }
}
