//! The pure rules that turn what the sources saw into a [`Snapshot`]: which version runs where,
//! how healthy it is, how far a rollout got, whether GitHub and the cluster disagree, and what
//! each gate would let through and why it may or may not open.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use crate::commit::{as_sha, label, same_commit, short};
use crate::image::tag_of;
use crate::inputs::{ClusterInputs, DeploymentInfo, GithubInputs};
use crate::pipeline::{Environment, Gate, Pipeline, Trigger, Weekday};
use crate::quorum::{self, Quorum};
use crate::snapshot::{
    CheckState, CommitSummary, DeployedValues, Drift, EnvironmentState, GateCondition,
    GateConditionKind, GateState, GateStatus, Health, LastDeployed, Pending, PullRequestRef,
    PullRequestState, Rollout, RunningSince, Snapshot, SourceState, ValueEntry, Version,
    WaitingRun, Workload,
};

mod images;
mod inbox;
mod memo;

pub use images::{component, image_plan};
pub use memo::Assembler;

/// One environment's inputs as the console holds them.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentInputs {
    /// `None` until the cluster source has synced once.
    /// Shared with the source's view: the Live loop hands it on without copying it.
    pub cluster: Option<Arc<ClusterInputs>>,
    /// The cluster source is disconnected: `cluster` is the last known state.
    pub stale: bool,
}

pub struct Sources<'a> {
    pub pipeline: &'a Pipeline,
    /// In pipeline order, one per environment.
    pub environments: &'a [EnvironmentInputs],
    pub github: Option<&'a GithubInputs>,
    pub source_states: Vec<SourceState>,
    pub now: Timestamp,
    pub sequence: u32,
}

fn first_tag(images: &[String]) -> Option<&str> {
    images.iter().find_map(|i| tag_of(i))
}

/// The replica set a workload is rolling toward: the one at the workload's revision.
fn new_replica_set(w: &Workload) -> Option<&crate::snapshot::ReplicaSetState> {
    w.replica_sets
        .iter()
        .find(|rs| rs.revision.is_some() && rs.revision == w.revision)
        .or_else(|| w.replica_sets.first())
}

/// The Deployment's template changed and the controller has not made its ReplicaSet yet: the
/// newest ReplicaSet still runs the previous images. Without this, the moment between a
/// `helm upgrade` and the controller's answer reads as "the new version runs, healthy".
fn template_ahead(w: &Workload) -> Option<&crate::snapshot::ReplicaSetState> {
    new_replica_set(w).filter(|rs| !rs.images.is_empty() && rs.images != w.images)
}

fn in_rollout(w: &Workload) -> bool {
    let Some(new) = new_replica_set(w) else {
        return false;
    };
    let old_running = w
        .replica_sets
        .iter()
        .any(|rs| rs.name != new.name && (rs.desired > 0 || rs.ready > 0));
    template_ahead(w).is_some() || new.ready < w.desired || old_running || w.updated < w.desired
}

/// The tag a workload is rolling away from: what its ReplicaSet runs when the template is
/// ahead of it, else its newest older replica set that still runs.
fn old_tag(w: &Workload) -> Option<&str> {
    if let Some(previous) = template_ahead(w) {
        return first_tag(&previous.images);
    }
    let new = new_replica_set(w)?;
    w.replica_sets
        .iter()
        .filter(|rs| rs.name != new.name && (rs.desired > 0 || rs.ready > 0))
        .find_map(|rs| first_tag(&rs.images))
}

fn version_from_tag(
    tag: &str,
    app_version: Option<&str>,
    github: Option<&GithubInputs>,
    cluster: &ClusterInputs,
) -> Version {
    let sha = as_sha(tag)
        .or_else(|| app_version.and_then(as_sha))
        .map(str::to_owned);
    let label = match &sha {
        Some(s) => short(s).to_owned(),
        None => tag.to_owned(),
    };
    let (pull_request, title) = match (&sha, github) {
        (Some(sha), Some(gh)) => {
            let pr = gh
                .pull_requests
                .iter()
                .find(|p| {
                    same_commit(&p.head_sha, sha)
                        || p.merge_commit_sha
                            .as_deref()
                            .is_some_and(|m| same_commit(m, sha))
                })
                .map(|p| PullRequestRef {
                    number: p.number,
                    title: p.title.clone(),
                    url: p.url.clone(),
                });
            let title = gh
                .commits
                .iter()
                .find(|c| same_commit(&c.sha, sha))
                .map(|c| c.title.clone());
            (pr, title)
        }
        _ => (None, None),
    };
    Version {
        sha,
        label,
        images: if cluster.images.iter().all(|i| i.tag.as_deref() == Some(tag)) {
            Arc::clone(&cluster.images)
        } else {
            Arc::new(
                cluster
                    .images
                    .iter()
                    .filter(|i| i.tag.as_deref() == Some(tag))
                    .cloned()
                    .collect(),
            )
        },
        app_version: app_version.map(str::to_owned),
        pull_request,
        title,
    }
}

const FAILING_REASONS: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "InvalidImageName",
    "Error",
    "OOMKilled",
];

fn environment_state(
    env: &Environment,
    inputs: &EnvironmentInputs,
    github: Option<&GithubInputs>,
) -> EnvironmentState {
    let mut state = EnvironmentState {
        name: env.name.clone(),
        namespace: env.namespace.clone(),
        version: None,
        health: Health::Unknown,
        health_reason: String::new(),
        workloads: Arc::default(),
        rollout: None,
        helm_history: Arc::default(),
        last_deployed: None,
        running_since: None,
        deployed_values: None,
        drift: None,
        warnings: Vec::new(),
        warnings_left_out: 0,
        stale: inputs.stale,
        problems: Vec::new(),
    };
    let Some(cluster) = &inputs.cluster else {
        state.health_reason = if inputs.stale {
            format!("kube context `{}` is unreachable", env.kube_context)
        } else {
            "connecting…".to_owned()
        };
        return state;
    };
    state.workloads = cluster.workloads.clone();
    // The cluster source names components already; other producers may not.
    if state
        .workloads
        .iter()
        .any(|w| w.component != component(&env.release, &w.name))
    {
        for w in Arc::make_mut(&mut state.workloads) {
            let name = component(&env.release, &w.name).to_owned();
            Arc::make_mut(w).component = name;
        }
    }
    state.deployed_values = cluster.deployed_release.as_ref().map(|d| DeployedValues {
        revision: d.revision,
        chart: d.chart.clone(),
        values: d
            .values
            .iter()
            .map(|(key, value)| ValueEntry {
                key: key.to_owned(),
                value: value.to_owned(),
            })
            .collect(),
    });
    state.helm_history = cluster.helm_history.clone();
    state.warnings = cluster.warnings.clone();
    state.warnings_left_out = cluster.warnings_left_out;
    state.problems = cluster.problems.clone();
    let app_version = cluster
        .helm_history
        .first()
        .and_then(|h| h.app_version.clone());

    let rolling: Vec<&Workload> = cluster
        .workloads
        .iter()
        .map(AsRef::as_ref)
        .filter(|w| in_rollout(w))
        .collect();
    let spec_tag = cluster
        .workloads
        .iter()
        .find_map(|w| first_tag(&w.images))
        .map(str::to_owned);
    let from_tag = rolling.iter().find_map(|w| old_tag(w)).map(str::to_owned);
    let running_tag = if rolling.is_empty() {
        spec_tag.clone()
    } else {
        from_tag.clone().or(spec_tag.clone())
    };
    // appVersion describes the newest revision; it names the running version only when no
    // rollout is under way.
    let running_app = if rolling.is_empty() {
        app_version.as_deref()
    } else {
        None
    };
    state.version = running_tag
        .as_deref()
        .map(|t| version_from_tag(t, running_app, github, cluster));

    let stalled = !cluster.stalled.is_empty();
    if !rolling.is_empty() || stalled {
        let desired: u32 = cluster.workloads.iter().map(|w| w.desired).sum();
        let done: u32 = cluster
            .workloads
            .iter()
            .map(|w| match template_ahead(w) {
                Some(_) => 0,
                None => new_replica_set(w).map_or(0, |rs| rs.ready.min(w.desired)),
            })
            .sum();
        let progress = if desired == 0 {
            1.0
        } else {
            f64::from(done) / f64::from(desired)
        };
        state.rollout = Some(Rollout {
            progress: progress.clamp(0.0, 1.0),
            from: from_tag.as_deref().map(label),
            to: spec_tag.as_deref().map(label),
            stalled,
        });
    }

    let failing = cluster
        .workloads
        .iter()
        .flat_map(|w| w.pods.iter())
        .find(|p| {
            p.reason
                .as_deref()
                .is_some_and(|r| FAILING_REASONS.contains(&r))
        });
    let (health, reason) = if cluster.workloads.is_empty() {
        (
            Health::Unknown,
            format!(
                "no workloads of release `{}` in namespace `{}`",
                env.release, env.namespace
            ),
        )
    } else if let Some(pod) = failing {
        let what = if stalled {
            "rollout stalled"
        } else {
            "pods failing"
        };
        (
            Health::Degraded,
            format!(
                "{what}: pod {} is {}",
                pod.name,
                pod.reason.as_deref().unwrap_or_default()
            ),
        )
    } else if stalled {
        (
            Health::Degraded,
            format!(
                "rollout of {} exceeded its progress deadline",
                cluster.stalled.join(", ")
            ),
        )
    } else if !rolling.is_empty() {
        (Health::Progressing, "rollout in progress".to_owned())
    } else if let Some(w) = cluster.workloads.iter().find(|w| w.ready < w.desired) {
        (
            Health::Degraded,
            format!("{} has {}/{} replicas ready", w.name, w.ready, w.desired),
        )
    } else {
        (Health::Healthy, String::new())
    };
    state.health = health;
    state.health_reason = reason;

    if state.health == Health::Healthy {
        state.running_since = running_since(&cluster.workloads);
    }
    let deployment =
        github.and_then(|gh| gh.deployments.iter().find(|d| d.environment == env.name));
    let running_sha = state.version.as_ref().and_then(|v| v.sha.clone());
    if let Some(latest) = cluster.helm_history.first() {
        let of_running = deployment.filter(|d| {
            running_sha
                .as_deref()
                .is_some_and(|s| same_commit(s, &d.sha))
        });
        if let Some(at) = &latest.deployed_at {
            state.last_deployed = Some(LastDeployed {
                at: at.clone(),
                approved_by: of_running.and_then(|d| d.approved_by.clone()),
                deployed_by: of_running.map(deployer),
            });
        }
    }
    if let Some(d) = deployment.filter(|d| d.state == "success") {
        let rolling_to_it = state
            .rollout
            .as_ref()
            .and_then(|r| r.to.as_deref())
            .is_some_and(|to| same_commit(to, &d.sha));
        let agrees = running_sha
            .as_deref()
            .is_some_and(|s| same_commit(s, &d.sha));
        if !agrees && !rolling_to_it {
            let deployed = short(&d.sha);
            let running = state
                .version
                .as_ref()
                .map_or("nothing known", |v| v.label.as_str());
            state.drift = Some(Drift {
                github_sha: d.sha.clone(),
                cluster_sha: running_sha.clone(),
                message: format!(
                    "GitHub's last successful deployment to {} is {deployed}, but the cluster runs {running}",
                    env.name
                ),
            });
        }
    }
    state
}

/// Kubernetes sets `Progressing` to `NewReplicaSetAvailable` when a rollout completes and leaves
/// it alone until the Deployment changes again: its update time is when the running version
/// began to run whole. Status is written by the controller, not by whoever may edit the
/// Deployment or Helm's release records, so a soak measured from it cannot be forged by them.
const ROLLOUT_COMPLETE: &str = "NewReplicaSetAvailable";

/// When every workload had finished rolling out to what it runs: the latest completion.
fn running_since(workloads: &[Arc<Workload>]) -> Option<RunningSince> {
    let mut latest: Option<(Timestamp, &str)> = None;
    for w in workloads {
        let completed = w
            .conditions
            .iter()
            .find(|c| c.kind == "Progressing" && c.reason == ROLLOUT_COMPLETE)?
            .last_update
            .as_deref()?
            .parse::<Timestamp>()
            .ok()?;
        if latest.is_none_or(|(at, _)| completed > at) {
            latest = Some((completed, w.name.as_str()));
        }
    }
    latest.map(|(at, name)| RunningSince {
        at: at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        evidence: format!(
            "Deployment {name} completed its rollout at {}",
            at.strftime("%Y-%m-%d %H:%M UTC")
        ),
    })
}

/// The workflow's bot in words; a person by login.
fn deployer(d: &DeploymentInfo) -> String {
    if d.creator.ends_with("[bot]") {
        match d.creator.trim_end_matches("[bot]") {
            "github-actions" => "GitHub Actions".to_owned(),
            bot => format!("{bot} (bot)"),
        }
    } else {
        format!("@{}", d.creator)
    }
}

fn principals(p: &crate::pipeline::Principals) -> String {
    p.users
        .iter()
        .map(|u| format!("@{u}"))
        .chain(p.teams.iter().map(|t| format!("@{t}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn weekday(d: jiff::civil::Weekday) -> Weekday {
    use jiff::civil::Weekday as W;
    match d {
        W::Monday => Weekday::Mon,
        W::Tuesday => Weekday::Tue,
        W::Wednesday => Weekday::Wed,
        W::Thursday => Weekday::Thu,
        W::Friday => Weekday::Fri,
        W::Saturday => Weekday::Sat,
        W::Sunday => Weekday::Sun,
    }
}

fn condition(kind: GateConditionKind, met: bool, reason: impl Into<String>) -> GateCondition {
    GateCondition {
        kind,
        met,
        reason: reason.into(),
        overridable: false,
    }
}

/// The change window `now` falls in (`Some("")` when the gate has none), and every window in
/// words.
pub fn change_window_at(gate: &Gate, now: Timestamp) -> (Option<String>, Vec<String>) {
    let mut described = Vec::new();
    let mut inside = gate.change_windows.is_empty().then(String::new);
    for w in &gate.change_windows {
        let days: Vec<String> = w
            .days
            .iter()
            .map(|d| format!("{d:?}").to_lowercase())
            .collect();
        let text = format!("{} {}–{} {}", days.join(","), w.start, w.end, w.timezone);
        described.push(text.clone());
        let (Ok(tz), Ok(start), Ok(end)) = (
            jiff::tz::TimeZone::get(&w.timezone),
            w.start.parse::<jiff::civil::Time>(),
            w.end.parse::<jiff::civil::Time>(),
        ) else {
            continue;
        };
        let local = now.to_zoned_datetime(tz);
        if inside.is_none()
            && w.days.contains(&weekday(local.weekday()))
            && local.time() >= start
            && local.time() < end
        {
            inside = Some(text);
        }
    }
    (inside, described)
}

/// The freeze in force at `now`, if any.
pub fn freeze_at(gate: &Gate, now: Timestamp) -> Option<&crate::pipeline::Freeze> {
    gate.freezes.iter().find(|f| {
        matches!(
            (f.start.parse::<Timestamp>(), f.end.parse::<Timestamp>()),
            (Ok(start), Ok(end)) if start <= now && now < end
        )
    })
}

fn window_condition(gate: &Gate, now: Timestamp) -> GateCondition {
    let kind = GateConditionKind::Window;
    match change_window_at(gate, now) {
        (Some(w), _) if w.is_empty() => condition(kind, true, "no change window configured"),
        (Some(w), _) => condition(kind, true, format!("inside the change window {w}")),
        (None, windows) => condition(
            kind,
            false,
            format!("outside the change windows ({})", windows.join("; ")),
        ),
    }
}

fn freeze_condition(gate: &Gate, now: Timestamp) -> GateCondition {
    match freeze_at(gate, now) {
        Some(f) => {
            let by = principals(&gate.override_by);
            let override_note = if by.is_empty() {
                String::new()
            } else {
                format!("; {by} may override with a reason")
            };
            GateCondition {
                overridable: !gate.override_by.is_empty(),
                ..condition(
                    GateConditionKind::Freeze,
                    false,
                    format!("{} until {}{override_note}", f.reason, f.end),
                )
            }
        }
        None => condition(GateConditionKind::Freeze, true, "no freeze in force"),
    }
}

/// A duration as people say it: `1h 51m`, `10m 29s`, `2d 3h`; never negative (clocks of two
/// machines can disagree by a little).
pub fn duration_text(d: SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    let (days, hours, minutes, seconds) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m {seconds}s"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// How long the candidate has run whole in the source environment, against the gate's soak. Only
/// the version the source runs has soaked there; another commit has not.
fn soak_condition(
    gate: &Gate,
    candidate: Option<&str>,
    source: &EnvironmentState,
    now: Timestamp,
) -> Option<GateCondition> {
    let soak_text = gate.soak.as_deref()?;
    let soak = soak_text.parse::<jiff::Span>().ok().and_then(|s| {
        s.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
            .ok()
    })?;
    let overridable = !gate.override_by.is_empty();
    let unmet = |reason: String| GateCondition {
        overridable,
        ..condition(GateConditionKind::Soak, false, reason)
    };
    let source_sha = source.version.as_ref().and_then(|v| v.sha.as_deref());
    let runs_there = match (candidate, source_sha) {
        (Some(c), Some(s)) => same_commit(c, s),
        (None, _) => true,
        (Some(_), None) => false,
    };
    if !runs_there {
        return Some(unmet(format!(
            "{} does not run in {}, so it has not soaked there (needs {soak_text})",
            candidate.map_or("it", short),
            source.name
        )));
    }
    let version = source
        .version
        .as_ref()
        .map_or("the version", |v| v.label.as_str());
    let Some(since) = source
        .running_since
        .as_ref()
        .and_then(|r| r.at.parse::<Timestamp>().ok())
    else {
        return Some(unmet(format!(
            "{version} has not finished rolling out in {}, so its soak has not started (needs {soak_text})",
            source.name
        )));
    };
    let ran = now.duration_since(since);
    let ran_text = duration_text(ran);
    let evidence = source
        .running_since
        .as_ref()
        .map_or(String::new(), |r| format!(" ({})", r.evidence));
    Some(if ran >= soak {
        condition(
            GateConditionKind::Soak,
            true,
            format!(
                "{version} has run {ran_text} in {}, more than {soak_text}{evidence}",
                source.name
            ),
        )
    } else {
        unmet(format!(
            "{version} has run {ran_text} in {}; it needs {soak_text}{evidence}",
            source.name
        ))
    })
}

/// The start of a checks condition's reason while GitHub's answer for the commit is awaited.
pub const CHECKS_NOT_KNOWN_YET: &str = "not known yet: asking GitHub about";

fn checks_condition(
    gate: &Gate,
    sha: Option<&str>,
    github: Option<&GithubInputs>,
) -> Option<GateCondition> {
    if gate.required_checks.is_empty() {
        return None;
    }
    let kind = GateConditionKind::Checks;
    let (Some(sha), Some(gh)) = (sha, github) else {
        return Some(condition(
            kind,
            false,
            "unknown: GitHub is not connected or the version has no commit",
        ));
    };
    let found = gh
        .checks
        .iter()
        .find(|(s, _)| same_commit(s, sha))
        .map(|(_, c)| c);
    // GitHub has not been asked about this commit yet: saying "not passed" would be a guess.
    let Some(found) = found else {
        return Some(condition(
            kind,
            false,
            format!("{CHECKS_NOT_KNOWN_YET} {}", short(sha)),
        ));
    };
    let mut missing = Vec::new();
    let mut failed = Vec::new();
    for name in &gate.required_checks {
        match found.iter().find(|(n, _)| n == name).map(|(_, s)| *s) {
            Some(CheckState::Success) => {}
            Some(CheckState::Failure) => failed.push(name.clone()),
            _ => missing.push(name.clone()),
        }
    }
    Some(if !failed.is_empty() {
        condition(kind, false, format!("failed: {}", failed.join(", ")))
    } else if !missing.is_empty() {
        condition(
            kind,
            false,
            format!("not passed yet: {}", missing.join(", ")),
        )
    } else {
        condition(
            kind,
            true,
            format!("passed: {}", gate.required_checks.join(", ")),
        )
    })
}

/// The gate's conditions for promoting `candidate` (a commit; the source's version when
/// `None`).
fn conditions_for(
    gate: Option<&Gate>,
    candidate: Option<&str>,
    quorum: Option<&Quorum>,
    source_env: &Environment,
    source: &EnvironmentState,
    github: Option<&GithubInputs>,
    now: Timestamp,
) -> Vec<GateCondition> {
    let mut conditions = vec![condition(
        GateConditionKind::SourceHealthy,
        source.health == Health::Healthy,
        match source.health {
            Health::Healthy => format!("{} is healthy", source_env.name),
            _ => format!(
                "{} is not healthy: {}",
                source_env.name, source.health_reason
            ),
        },
    )];
    let Some(gate) = gate else {
        return conditions;
    };
    let sha = candidate.or_else(|| source.version.as_ref().and_then(|v| v.sha.as_deref()));
    conditions.extend(checks_condition(gate, sha, github));
    conditions.extend(soak_condition(gate, candidate, source, now));
    let authors_rule = |a: &crate::pipeline::Approval| {
        if a.prevent_self_review {
            "; authors may not approve their own changes"
        } else {
            ""
        }
    };
    conditions.push(match (&gate.approval, quorum) {
        (Some(a), Some(q)) => condition(
            GateConditionKind::Reviewers,
            false,
            if q.met() {
                format!(
                    "{}: complete; any of them may approve again to carry it out",
                    q.summary
                )
            } else {
                format!(
                    "{}; needs {} more from {}{}",
                    q.summary,
                    q.required - q.count(),
                    principals(&a.reviewers),
                    authors_rule(a)
                )
            },
        ),
        (Some(a), None) => condition(
            GateConditionKind::Reviewers,
            false,
            format!(
                "needs approval by one of {}{}",
                principals(&a.reviewers),
                authors_rule(a)
            ),
        ),
        (None, _) => condition(GateConditionKind::Reviewers, true, "no approval required"),
    });
    conditions.push(window_condition(gate, now));
    conditions.push(freeze_condition(gate, now));
    conditions
}

/// The commits between what the target runs and `head`, and the pull requests merged by them.
fn commits_between(
    base: Option<&str>,
    head: Option<&str>,
    github: Option<&GithubInputs>,
) -> (Vec<CommitSummary>, Vec<PullRequestRef>) {
    let (Some(base), Some(head), Some(gh)) = (base, head, github) else {
        return (Vec::new(), Vec::new());
    };
    let commits: Vec<CommitSummary> = gh
        .comparisons
        .iter()
        .find(|((b, h), _)| same_commit(b, base) && same_commit(h, head))
        .map(|(_, c)| {
            c.commits
                .iter()
                .map(|c| CommitSummary {
                    sha: c.sha.clone(),
                    title: c.title.clone(),
                    author: c.author.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let pull_requests = gh
        .pull_requests
        .iter()
        .filter(|p| {
            p.merge_commit_sha
                .as_deref()
                .is_some_and(|m| commits.iter().any(|c| same_commit(&c.sha, m)))
        })
        .map(|p| PullRequestRef {
            number: p.number,
            title: p.title.clone(),
            url: p.url.clone(),
        })
        .collect();
    (commits, pull_requests)
}

/// The comparisons (base, head) and check results the gates need from GitHub: what the target
/// runs against what the source runs and against each waiting run's commit.
pub fn github_wants(snapshot: &Snapshot) -> (Vec<(String, String)>, Vec<String>) {
    let mut comparisons: Vec<(String, String)> = Vec::new();
    let mut shas: Vec<String> = Vec::new();
    let sha_of = |name: &str| {
        snapshot
            .environments
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.version.as_ref())
            .and_then(|v| v.sha.clone())
    };
    for gate in &snapshot.gates {
        let base = sha_of(&gate.environment);
        let heads = sha_of(&gate.from)
            .into_iter()
            .chain(gate.waiting_runs.iter().map(|r| r.sha.clone()));
        for head in heads {
            if let Some(base) = &base
                && !same_commit(base, &head)
                && !comparisons
                    .iter()
                    .any(|(b, h)| same_commit(b, base) && same_commit(h, &head))
            {
                comparisons.push((base.clone(), head.clone()));
            }
            if !shas.iter().any(|s| same_commit(s, &head)) {
                shas.push(head);
            }
        }
    }
    (comparisons, shas)
}

/// The gate's status. A release the source is still rolling out (or failed to) counts as
/// something new on its way: the gate is held by the source's health, not up to date.
fn gate_status(
    pending: &Pending,
    source: &EnvironmentState,
    conditions: &[GateCondition],
) -> (GateStatus, &'static str) {
    let arriving = source
        .rollout
        .as_ref()
        .and_then(|r| r.to.as_ref())
        .is_some_and(|to| Some(to) != pending.current_version.as_ref());
    match (&pending.current_version, &pending.incoming_version) {
        (_, None) => (GateStatus::Unknown, "unknown"),
        (Some(a), Some(b)) if a == b && !arriving => (GateStatus::UpToDate, "up to date"),
        _ if conditions
            .iter()
            .filter(|c| c.kind != GateConditionKind::Reviewers)
            .all(|c| c.met) =>
        {
            (GateStatus::Open, "open")
        }
        _ => (GateStatus::Blocked, "blocked"),
    }
}

struct GateSides<'a> {
    target_env: &'a Environment,
    target: &'a EnvironmentState,
    target_inputs: &'a EnvironmentInputs,
    source_env: &'a Environment,
    source: &'a EnvironmentState,
    source_inputs: &'a EnvironmentInputs,
}

impl<'a> GateSides<'a> {
    /// The commits the target and the source run, when known.
    fn commits(&self) -> (Option<&'a str>, Option<&'a str>) {
        let sha = |s: &'a EnvironmentState| s.version.as_ref().and_then(|v| v.sha.as_deref());
        (sha(self.target), sha(self.source))
    }
}

/// What promoting the source's version would change in the target. It does not depend on the
/// clock, so it stands as long as both sides and GitHub do (see [`memo`]).
fn pending_of(sides: &GateSides<'_>, github: Option<&GithubInputs>) -> Pending {
    let GateSides {
        target_env,
        target,
        source_env,
        source,
        ..
    } = *sides;
    let (target_sha, source_sha) = sides.commits();
    let (commits, pull_requests) = commits_between(target_sha, source_sha, github);
    let no_images: &[crate::snapshot::ImageRef] = &[];
    let target_images = sides
        .target_inputs
        .cluster
        .as_ref()
        .map_or(no_images, |c| c.images.as_slice());
    let source_images = sides
        .source_inputs
        .cluster
        .as_ref()
        .map_or(no_images, |c| c.images.as_slice());
    let (image_changes, image_problems) = image_plan(
        (&target_env.release, target_images),
        (&source_env.release, source_images),
    );
    Pending {
        current_version: target.version.as_ref().map(|v| v.label.clone()),
        incoming_version: source.version.as_ref().map(|v| v.label.clone()),
        commits,
        pull_requests,
        image_changes: Arc::new(image_changes),
        image_problems,
    }
}

fn gate_state(
    sides: &GateSides<'_>,
    pending: Pending,
    github: Option<&GithubInputs>,
    now: Timestamp,
) -> GateState {
    let GateSides {
        target_env,
        target,
        source_env,
        source,
        ..
    } = *sides;
    let (target_sha, source_sha) = sides.commits();
    let gate = target_env.gate.as_ref();
    let ledger = sides
        .target_inputs
        .cluster
        .as_ref()
        .map(|c| c.approvals.clone())
        .unwrap_or_default();
    let approval = gate.and_then(|g| g.approval.as_ref());
    let quorum = |version: Option<&str>, sha: Option<&str>, authors: &[&str]| {
        approval.and_then(|a| {
            quorum::tally(
                a,
                &ledger,
                &quorum::Release {
                    environment: &target_env.name,
                    version: version?,
                    sha,
                    from: target.version.as_ref().map(|v| v.label.as_str()),
                    authors,
                },
            )
        })
    };
    let authors = quorum::authors(&pending.commits, None);
    let gate_quorum = quorum(pending.incoming_version.as_deref(), source_sha, &authors);
    let conditions = conditions_for(
        gate,
        None,
        gate_quorum.as_ref(),
        source_env,
        source,
        github,
        now,
    );
    let waiting_runs = github
        .map(|gh| {
            gh.waiting_runs
                .iter()
                .filter_map(|r| {
                    let (_, can) = r
                        .environments
                        .iter()
                        .find(|(name, _)| *name == target_env.name)?;
                    let (commits, pull_requests) =
                        commits_between(target_sha, Some(&r.head_sha), github);
                    let authors = quorum::authors(&commits, Some(&r.actor));
                    let run_quorum = quorum(Some(&label(&r.head_sha)), Some(&r.head_sha), &authors);
                    Some(WaitingRun {
                        run_id: r.run_id,
                        sha: r.head_sha.clone(),
                        label: label(&r.head_sha),
                        actor: r.actor.clone(),
                        current_user_can_approve: *can,
                        ships_source_version: source_sha
                            .is_some_and(|s| same_commit(s, &r.head_sha)),
                        commits,
                        pull_requests,
                        conditions: conditions_for(
                            gate,
                            Some(&r.head_sha),
                            run_quorum.as_ref(),
                            source_env,
                            source,
                            Some(gh),
                            now,
                        ),
                        quorum: run_quorum,
                    })
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let (status, status_label) = gate_status(&pending, source, &conditions);
    GateState {
        environment: target_env.name.clone(),
        from: source_env.name.clone(),
        status,
        status_label: status_label.to_owned(),
        pending,
        conditions,
        waiting_runs,
        quorum: gate_quorum,
        ledger: if approval.is_some_and(|a| a.required > 1) {
            ledger
        } else {
            Vec::new()
        },
    }
}

/// Builds the Snapshot. Pure: the same sources give the same snapshot.
pub fn assemble(sources: &Sources<'_>) -> Snapshot {
    let default_inputs = EnvironmentInputs::default();
    let states = sources
        .pipeline
        .environments
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let inputs = sources.environments.get(i).unwrap_or(&default_inputs);
            environment_state(e, inputs, sources.github)
        })
        .collect();
    assemble_with(sources, states, &mut |_, sides| {
        pending_of(sides, sources.github)
    })
}

/// The Snapshot around environments already reduced: the gates between them, the pull
/// requests and the inbox.
/// `pending` gives what the gate from environment `j` into `i` would ship.
fn assemble_with(
    sources: &Sources<'_>,
    states: Vec<EnvironmentState>,
    pending: &mut dyn FnMut((usize, usize), &GateSides<'_>) -> Pending,
) -> Snapshot {
    let envs = &sources.pipeline.environments;
    let default_inputs = EnvironmentInputs::default();
    let inputs_of = |i: usize| sources.environments.get(i).unwrap_or(&default_inputs);
    let mut gates = Vec::new();
    for (i, env) in envs.iter().enumerate() {
        if let Trigger::Promotion { from } = &env.trigger
            && let Some(j) = envs.iter().position(|e| &e.name == from)
        {
            let sides = GateSides {
                target_env: env,
                target: &states[i],
                target_inputs: inputs_of(i),
                source_env: &envs[j],
                source: &states[j],
                source_inputs: inputs_of(j),
            };
            let pending = pending((i, j), &sides);
            gates.push(gate_state(&sides, pending, sources.github, sources.now));
        }
    }
    let pull_requests = sources
        .github
        .map(|gh| {
            let mut prs: Vec<PullRequestState> = gh
                .pull_requests
                .iter()
                .filter(|p| p.open)
                .map(|p| PullRequestState {
                    number: p.number,
                    title: p.title.clone(),
                    author: p.author.clone(),
                    head_sha: p.head_sha.clone(),
                    url: p.url.clone(),
                    checks: p.checks,
                    deployed_to: states
                        .iter()
                        .find(|s| {
                            s.version
                                .as_ref()
                                .and_then(|v| v.sha.as_deref())
                                .is_some_and(|sha| same_commit(sha, &p.head_sha))
                        })
                        .map(|s| s.name.clone()),
                })
                .collect();
            prs.sort_by_key(|p| std::cmp::Reverse(p.number));
            prs
        })
        .unwrap_or_default();
    let viewer = sources.github.and_then(|gh| gh.viewer.as_deref());
    let inbox = inbox::items(sources.pipeline, &gates, viewer);
    Snapshot {
        sequence: sources.sequence,
        generated_at: sources.now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        environments: states,
        gates,
        sources: sources.source_states.clone(),
        pull_requests,
        viewer: viewer.map(str::to_owned),
        inbox,
        last_known: None,
    }
}

#[cfg(test)]
mod tests;
