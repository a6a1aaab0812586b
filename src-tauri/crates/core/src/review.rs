//! The promotion review: what Approve would ship into an environment — which run and commit,
//! the commits and pull requests, each container's image, the values as deployed against the
//! values the deploy would apply — and whether this person may approve or reject it. Pure: the
//! console gathers what needs IO (the values file at the commit, GitHub's answer for the person)
//! and calls [`compose`].

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::approval::{self, Decision, Proposal, Standing};
use crate::commit::{same_commit, short};
use crate::manifests::ManifestChange;
use crate::pipeline::{Environment, Principals, PromotionMethod};
use crate::snapshot::{
    CommitSummary, EnvironmentState, GateCondition, GateState, ImageChange, PullRequestRef,
    ValueChange, WaitingRun,
};
use crate::values::FlatValues;

/// Everything the review screen and `sluice promote` show, decided by the rules that carry it
/// out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    pub environment: String,
    pub from: String,
    pub method: PromotionMethod,
    /// The label of what the environment runs now.
    pub current_version: Option<String>,
    /// The label of what the source environment runs.
    pub source_version: Option<String>,
    /// What Approve would ship; `None` when nothing known could be.
    pub candidate: Option<Candidate>,
    /// Every deploy run waiting on the environment, newest first; the candidate names the one
    /// under review.
    pub waiting_runs: Vec<WaitingRun>,
    /// What the person must read before deciding, in plain sentences.
    pub warnings: Vec<String>,
    pub notes: ReleaseNotes,
    /// Each container of the environment that would run another image.
    pub image_changes: Vec<ImageChange>,
    pub values: ValuesChanges,
    /// The `helm` method: what `helm upgrade` would change in the cluster, object by object.
    pub helm: Option<HelmPreview>,
    /// The gate's conditions for the candidate.
    pub conditions: Vec<GateCondition>,
    /// For the signed-in person, now.
    pub decision: Decision,
    /// The release's approvals so far, when the gate asks for more than one.
    pub quorum: Option<crate::quorum::Quorum>,
    pub reviewers: Principals,
    pub override_by: Principals,
    /// What an approval of this review carries back: it is refused when the release changed.
    pub pin: Pin,
}

impl Review {
    /// Who authored what would ship, or triggered the run that ships it (see
    /// [`crate::quorum::authors`]).
    pub fn authors(&self) -> Vec<&str> {
        let run = self
            .candidate
            .as_ref()
            .and_then(|c| c.run_id)
            .and_then(|id| self.waiting_runs.iter().find(|r| r.run_id == id));
        crate::quorum::authors(&self.notes.commits, run.map(|r| r.actor.as_str()))
    }
}

/// The release under review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// The full commit, when known.
    pub sha: Option<String>,
    pub label: String,
    /// The deploy run whose approval ships it (github-approval).
    #[ts(type = "number | null")]
    pub run_id: Option<u64>,
    /// It is what the source environment runs.
    pub ships_source_version: bool,
}

/// What a `helm` promotion would run and change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HelmPreview {
    /// The chart the source runs (`name-version`), rebuilt from its release record.
    pub chart: Option<String>,
    /// The command Sluice would run, as the journal records it.
    pub command: String,
    /// Every object the upgrade adds, removes or changes.
    pub changes: Vec<ManifestChange>,
    /// Each container whose image the upgrade changes, read from the rendered manifest.
    pub images: Vec<ImageChange>,
    /// Why the rendered difference is not known, with what to do.
    pub problem: Option<String>,
}

/// The identity of what was reviewed. An approval carries it back unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Pin {
    #[ts(type = "number | null")]
    pub run_id: Option<u64>,
    pub sha: Option<String>,
    pub images: Vec<ImageChange>,
    /// The chart a `helm` promotion installs.
    pub chart: Option<String>,
}

/// The release notes as data; Markdown only for copying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseNotes {
    /// e.g. `tbyte: production d313be6 → 7ec480f (from staging)`.
    pub heading: String,
    pub pull_requests: Vec<PullRequestRef>,
    /// Oldest first.
    pub commits: Vec<CommitSummary>,
    /// Nothing would ship: both sides run the same version.
    pub empty: bool,
    /// The same notes as Markdown, for pasting into a release announcement.
    pub markdown: String,
}

/// How the environment's Helm values would change: as deployed now, against what the deploy
/// would apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ValuesChanges {
    /// What the left side is, e.g. `production as deployed (Helm revision 7)`.
    pub before: String,
    /// What the right side is, e.g. `values-prod.yaml at 7ec480f, image.tag = 7ec480f`.
    pub after: String,
    pub changes: Vec<ValueChange>,
    /// The chart before → after, when it changes.
    pub chart: Option<ValueChange>,
    /// Why part of it could not be worked out, with what it means.
    pub notes: Vec<String>,
}

/// The values file the deploy would read, as the console found it.
#[derive(Debug, Clone, Default)]
pub struct ValuesFile {
    /// Its text, as helm would read it; `None` when it could not be read.
    pub text: Option<String>,
    pub values: FlatValues,
    /// Where it was read, e.g. `values-prod.yaml at 7ec480f`.
    pub label: String,
    /// A caveat, e.g. that it was read from the local checkout.
    pub note: Option<String>,
}

/// Picks the release under review: the run asked for; else the newest run that ships what the
/// source runs; else the newest run; for methods without runs, the source's version.
pub fn candidate(
    method: PromotionMethod,
    gate: &GateState,
    source: &EnvironmentState,
    run_id: Option<u64>,
) -> Option<Candidate> {
    let source_sha = source.version.as_ref().and_then(|v| v.sha.clone());
    if method == PromotionMethod::GithubApproval {
        let run = run_id
            .and_then(|id| gate.waiting_runs.iter().find(|r| r.run_id == id))
            .or_else(|| gate.waiting_runs.iter().find(|r| r.ships_source_version))
            .or_else(|| gate.waiting_runs.first());
        if let Some(r) = run {
            return Some(Candidate {
                sha: Some(r.sha.clone()),
                label: r.label.clone(),
                run_id: Some(r.run_id),
                ships_source_version: r.ships_source_version,
            });
        }
    }
    source.version.as_ref().map(|v| Candidate {
        sha: source_sha,
        label: v.label.clone(),
        run_id: None,
        ships_source_version: true,
    })
}

/// The values change: the target's Helm config as deployed → the values file the deploy reads,
/// with the image tag set where the chart takes it.
pub fn values_changes(
    target: &EnvironmentState,
    source: &EnvironmentState,
    candidate: &Candidate,
    file: &ValuesFile,
    image_tag_key: Option<&str>,
) -> ValuesChanges {
    let mut notes: Vec<String> = file.note.iter().cloned().collect();
    let mut after = file.values.clone();
    let mut after_label = file.label.clone();
    if let Some(key) = image_tag_key {
        // What the source was deployed with, when it runs the candidate; else the commit itself.
        let tag = source
            .deployed_values
            .as_ref()
            .filter(|_| candidate.ships_source_version)
            .and_then(|d| d.values.iter().find(|v| v.key == key))
            .map_or_else(|| candidate.label.clone(), |v| v.value.clone());
        after_label.push_str(&format!(", {key} = {tag}"));
        after.set(key, &tag);
    }
    let Some(deployed) = &target.deployed_values else {
        notes.push(format!(
            "{} has no deployed Helm release to compare with: every value is new.",
            target.name
        ));
        return ValuesChanges {
            before: format!("{} (no Helm release)", target.name),
            after: after_label,
            changes: FlatValues::default().changes_to(&after),
            chart: None,
            notes,
        };
    };
    let mut before = FlatValues::default();
    for v in &deployed.values {
        before.set(&v.key, &v.value);
    }
    let chart_after = source
        .deployed_values
        .as_ref()
        .filter(|_| candidate.ships_source_version)
        .map(|d| d.chart.clone());
    if chart_after.is_none() {
        notes.push(format!(
            "The chart version the deploy uses at {} is not known: {} does not run it.",
            candidate.label, source.name
        ));
    }
    ValuesChanges {
        before: format!(
            "{} as deployed (Helm revision {})",
            target.name, deployed.revision
        ),
        after: after_label,
        changes: before.changes_to(&after),
        chart: chart_after
            .filter(|c| *c != deployed.chart)
            .map(|to| ValueChange {
                key: "chart".into(),
                from: Some(deployed.chart.clone()),
                to: Some(to),
            }),
        notes,
    }
}

/// What release notes are made of.
struct Shipment<'a> {
    current: Option<&'a str>,
    candidate: Option<&'a Candidate>,
    commits: &'a [CommitSummary],
    pull_requests: &'a [PullRequestRef],
    images: &'a [ImageChange],
}

fn release_notes(
    app: &str,
    environment: &str,
    from: &str,
    shipment: &Shipment<'_>,
) -> ReleaseNotes {
    let Shipment {
        current,
        candidate,
        commits,
        pull_requests,
        images,
    } = *shipment;
    let heading = format!(
        "{app}: {environment} {} → {} (from {from})",
        current.unwrap_or("nothing"),
        candidate.map_or("?", |c| c.label.as_str())
    );
    let empty = commits.is_empty() && pull_requests.is_empty();
    let mut md = format!("## {heading}\n");
    if !pull_requests.is_empty() {
        md.push_str("\n### Pull requests\n");
        for pr in pull_requests {
            md.push_str(&format!("- {} ([#{}]({}))\n", pr.title, pr.number, pr.url));
        }
    }
    if !commits.is_empty() {
        md.push_str("\n### Commits\n");
        for c in commits {
            md.push_str(&format!(
                "- `{}` {} (@{})\n",
                short(&c.sha),
                c.title,
                c.author
            ));
        }
    }
    if !images.is_empty() {
        md.push_str("\n### Images\n");
        for i in images {
            md.push_str(&format!(
                "- {} / {}: {} → {}\n",
                i.workload,
                i.container,
                i.from.as_deref().unwrap_or("—"),
                i.to.as_deref().unwrap_or("—")
            ));
        }
    }
    if empty {
        md.push_str("\nNothing to ship: both environments run the same version.\n");
    }
    ReleaseNotes {
        heading,
        pull_requests: pull_requests.to_vec(),
        commits: commits.to_vec(),
        empty,
        markdown: md,
    }
}

/// What [`compose`] needs besides the live state.
pub struct ReviewInputs<'a> {
    pub app: &'a str,
    /// The target environment's configuration.
    pub environment: &'a Environment,
    pub gate: &'a GateState,
    pub target: &'a EnvironmentState,
    pub candidate: Option<Candidate>,
    pub values: ValuesChanges,
    /// The `helm` method's preview, worked out by the console.
    pub helm: Option<HelmPreview>,
    pub standing: Standing<'a>,
}

/// The review of promoting `inputs.candidate` into the environment.
pub fn compose(inputs: ReviewInputs<'_>) -> Review {
    let ReviewInputs {
        app,
        environment,
        gate,
        target,
        candidate,
        values,
        helm,
        standing,
    } = inputs;
    let method = environment
        .gate
        .as_ref()
        .map_or(PromotionMethod::Kubernetes, |g| g.method);
    let run = candidate
        .as_ref()
        .and_then(|c| c.run_id)
        .and_then(|id| gate.waiting_runs.iter().find(|r| r.run_id == id));
    let (commits, pull_requests, conditions) = match run {
        Some(r) => (&r.commits, &r.pull_requests, &r.conditions),
        None => (
            &gate.pending.commits,
            &gate.pending.pull_requests,
            &gate.conditions,
        ),
    };
    let ships_source = candidate.as_ref().is_some_and(|c| c.ships_source_version);
    // The images a promotion sets: for helm, what the upgrade renders; otherwise the source's,
    // known only when that is what ships.
    let image_changes = match &helm {
        Some(h) => h.images.clone(),
        None if ships_source => gate.pending.image_changes.to_vec(),
        None => Vec::new(),
    };
    let mut warnings = Vec::new();
    if let (Some(c), Some(r)) = (&candidate, run)
        && !c.ships_source_version
    {
        warnings.push(format!(
            "Run #{} deploys {}, not {} that {} runs: approving it ships {} to {}.",
            r.run_id,
            r.label,
            gate.pending.incoming_version.as_deref().unwrap_or("what"),
            gate.from,
            r.label,
            gate.environment
        ));
    }
    if gate.waiting_runs.len() > 1 {
        warnings.push(format!(
            "{} deploy runs wait on {}; this review is for run #{}. Pick another run to review it instead.",
            gate.waiting_runs.len(),
            gate.environment,
            run.map_or(0, |r| r.run_id)
        ));
    }
    let current = target.version.as_ref().map(|v| v.label.clone());
    let something_new = match (&candidate, target.version.as_ref()) {
        (Some(c), Some(v)) => match (&c.sha, &v.sha) {
            (Some(a), Some(b)) => !same_commit(a, b),
            _ => c.label != v.label,
        },
        (Some(_), None) => true,
        (None, _) => false,
    };
    let gate_config = environment.gate.as_ref();
    let quorum = match run {
        Some(r) => r.quorum.clone(),
        None => gate.quorum.clone(),
    };
    let decision = approval::decide(
        gate_config,
        conditions,
        &Proposal {
            environment: &environment.name,
            method,
            commits,
            run,
            something_new,
            image_problems: &gate.pending.image_problems,
            plan_problem: helm.as_ref().and_then(|h| h.problem.as_deref()),
            quorum: quorum.as_ref(),
        },
        &standing,
    );
    let notes = release_notes(
        app,
        &environment.name,
        &gate.from,
        &Shipment {
            current: current.as_deref(),
            candidate: candidate.as_ref(),
            commits,
            pull_requests,
            images: &image_changes,
        },
    );
    let pin = Pin {
        run_id: candidate.as_ref().and_then(|c| c.run_id),
        sha: candidate.as_ref().and_then(|c| c.sha.clone()),
        images: image_changes.clone(),
        chart: helm.as_ref().and_then(|h| h.chart.clone()),
    };
    Review {
        environment: environment.name.clone(),
        from: gate.from.clone(),
        method,
        current_version: current,
        source_version: gate.pending.incoming_version.clone(),
        candidate,
        waiting_runs: gate.waiting_runs.clone(),
        warnings,
        notes,
        image_changes,
        values,
        helm,
        conditions: conditions.clone(),
        decision,
        quorum,
        reviewers: gate_config
            .and_then(|g| g.approval.as_ref())
            .map(|a| a.reviewers.clone())
            .unwrap_or_default(),
        override_by: gate_config
            .map(|g| g.override_by.clone())
            .unwrap_or_default(),
        pin,
    }
}
