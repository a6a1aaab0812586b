//! The pure rules that turn what the sources saw into a [`Snapshot`]: which version runs where,
//! how healthy it is, how far a rollout got, whether GitHub and the cluster disagree, and what
//! each gate would let through and why it may or may not open.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::inputs::{ClusterInputs, GithubInputs};
use crate::pipeline::{Environment, Gate, Pipeline, Trigger, Weekday};
use crate::snapshot::{
    CheckState, CommitSummary, Drift, EnvironmentState, GateCondition, GateConditionKind,
    GateState, Health, ImageChange, LastDeployed, Pending, PullRequestRef, PullRequestState,
    Rollout, Snapshot, SourceState, ValueChange, Version, WaitingRun, Workload,
};
use crate::values::FlatValues;

/// One environment's inputs as the console holds them.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentInputs {
    /// `None` until the cluster source has synced once.
    pub cluster: Option<ClusterInputs>,
    /// The cluster source is disconnected: `cluster` is the last known state.
    pub stale: bool,
    /// The environment's values file, for the values diff between environments.
    pub values: FlatValues,
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

/// A git SHA (7 to 40 hex digits) or nothing.
fn as_sha(text: &str) -> Option<&str> {
    (text.len() >= 7 && text.len() <= 40 && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(text)
}

/// Whether two SHAs name the same commit, one possibly abbreviated.
fn same_commit(a: &str, b: &str) -> bool {
    let n = a.len().min(b.len());
    n >= 7 && a[..n].eq_ignore_ascii_case(&b[..n])
}

fn tag_of(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map(|(_, t)| t)
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

fn in_rollout(w: &Workload) -> bool {
    let Some(new) = new_replica_set(w) else {
        return false;
    };
    let old_running = w
        .replica_sets
        .iter()
        .any(|rs| rs.name != new.name && (rs.desired > 0 || rs.ready > 0));
    new.ready < w.desired || old_running || w.updated < w.desired
}

/// The tag a workload is rolling away from: its newest older replica set that still runs.
fn old_tag(w: &Workload) -> Option<&str> {
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
        Some(s) => s[..7.min(s.len())].to_owned(),
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
        images: cluster
            .images
            .iter()
            .filter(|i| i.tag.as_deref() == Some(tag))
            .cloned()
            .collect(),
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
        workloads: Vec::new(),
        rollout: None,
        helm_history: Vec::new(),
        last_deployed: None,
        drift: None,
        warnings: Vec::new(),
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
    state.helm_history = cluster.helm_history.clone();
    state.warnings = cluster.warnings.clone();
    state.problems = cluster.problems.clone();
    let app_version = cluster
        .helm_history
        .first()
        .and_then(|h| h.app_version.clone());

    let rolling: Vec<&Workload> = cluster.workloads.iter().filter(|w| in_rollout(w)).collect();
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
            .map(|w| new_replica_set(w).map_or(0, |rs| rs.ready.min(w.desired)))
            .sum();
        let progress = if desired == 0 {
            1.0
        } else {
            f64::from(done) / f64::from(desired)
        };
        let label = |t: &str| as_sha(t).map_or_else(|| t.to_owned(), |s| s[..7].to_owned());
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

    let deployment =
        github.and_then(|gh| gh.deployments.iter().find(|d| d.environment == env.name));
    let running_sha = state.version.as_ref().and_then(|v| v.sha.clone());
    if let Some(latest) = cluster.helm_history.first() {
        let by = deployment
            .filter(|d| {
                running_sha
                    .as_deref()
                    .is_some_and(|s| same_commit(s, &d.sha))
            })
            .map(|d| d.creator.clone());
        if let Some(at) = &latest.deployed_at {
            state.last_deployed = Some(LastDeployed { at: at.clone(), by });
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
            let short = abbreviated(&d.sha);
            let running = state
                .version
                .as_ref()
                .map_or("nothing known", |v| v.label.as_str());
            state.drift = Some(Drift {
                github_sha: d.sha.clone(),
                cluster_sha: running_sha.clone(),
                message: format!(
                    "GitHub's last successful deployment to {} is {short}, but the cluster runs {running}",
                    env.name
                ),
            });
        }
    }
    state
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

fn window_condition(gate: &Gate, now: Timestamp) -> GateCondition {
    if gate.change_windows.is_empty() {
        return GateCondition {
            kind: GateConditionKind::Window,
            met: true,
            reason: "no change window configured".into(),
        };
    }
    let mut described = Vec::new();
    for w in &gate.change_windows {
        let days: Vec<String> = w
            .days
            .iter()
            .map(|d| format!("{d:?}").to_lowercase())
            .collect();
        described.push(format!(
            "{} {}–{} {}",
            days.join(","),
            w.start,
            w.end,
            w.timezone
        ));
        let (Ok(tz), Ok(start), Ok(end)) = (
            jiff::tz::TimeZone::get(&w.timezone),
            w.start.parse::<jiff::civil::Time>(),
            w.end.parse::<jiff::civil::Time>(),
        ) else {
            continue;
        };
        let local = now.to_zoned_datetime(tz);
        if w.days.contains(&weekday(local.weekday())) && local.time() >= start && local.time() < end
        {
            return GateCondition {
                kind: GateConditionKind::Window,
                met: true,
                reason: format!(
                    "inside the change window {}",
                    described.last().map_or("", String::as_str)
                ),
            };
        }
    }
    GateCondition {
        kind: GateConditionKind::Window,
        met: false,
        reason: format!("outside the change windows ({})", described.join("; ")),
    }
}

fn freeze_condition(gate: &Gate, now: Timestamp) -> GateCondition {
    for f in &gate.freezes {
        let (Ok(start), Ok(end)) = (f.start.parse::<Timestamp>(), f.end.parse::<Timestamp>())
        else {
            continue;
        };
        if start <= now && now < end {
            let by = principals(&gate.override_by);
            let override_note = if by.is_empty() {
                String::new()
            } else {
                format!("; {by} may override with a reason")
            };
            return GateCondition {
                kind: GateConditionKind::Freeze,
                met: false,
                reason: format!("{} until {}{override_note}", f.reason, f.end),
            };
        }
    }
    GateCondition {
        kind: GateConditionKind::Freeze,
        met: true,
        reason: "no freeze in force".into(),
    }
}

fn soak_condition(gate: &Gate, source: &EnvironmentState, now: Timestamp) -> Option<GateCondition> {
    let soak_text = gate.soak.as_deref()?;
    let soak = soak_text.parse::<jiff::Span>().ok().and_then(|s| {
        s.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
            .ok()
    })?;
    let since = source
        .helm_history
        .first()
        .and_then(|h| h.deployed_at.as_deref())
        .and_then(|t| t.parse::<Timestamp>().ok());
    Some(match since {
        None => GateCondition {
            kind: GateConditionKind::Soak,
            met: false,
            reason: format!(
                "unknown how long the version has run in {} (needs {soak_text})",
                source.name
            ),
        },
        Some(since) => {
            let ran = now.duration_since(since);
            let ran_text = format!("{:#}", SignedDuration::from_secs(ran.as_secs()));
            if ran >= soak {
                GateCondition {
                    kind: GateConditionKind::Soak,
                    met: true,
                    reason: format!("ran {ran_text} in {} (needs {soak_text})", source.name),
                }
            } else {
                GateCondition {
                    kind: GateConditionKind::Soak,
                    met: false,
                    reason: format!("has run {ran_text} in {}; needs {soak_text}", source.name),
                }
            }
        }
    })
}

/// A commit id as people write it; an id from the wild may be short or not even ASCII.
fn abbreviated(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
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
        return Some(GateCondition {
            kind,
            met: false,
            reason: "unknown: GitHub is not connected or the version has no commit".into(),
        });
    };
    let found = gh
        .checks
        .iter()
        .find(|(s, _)| same_commit(s, sha))
        .map(|(_, c)| c);
    // GitHub has not been asked about this commit yet: saying "not passed" would be a guess.
    let Some(found) = found else {
        return Some(GateCondition {
            kind,
            met: false,
            reason: format!("{CHECKS_NOT_KNOWN_YET} {}", abbreviated(sha)),
        });
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
        GateCondition {
            kind,
            met: false,
            reason: format!("failed: {}", failed.join(", ")),
        }
    } else if !missing.is_empty() {
        GateCondition {
            kind,
            met: false,
            reason: format!("not passed yet: {}", missing.join(", ")),
        }
    } else {
        GateCondition {
            kind,
            met: true,
            reason: format!("passed: {}", gate.required_checks.join(", ")),
        }
    })
}

fn values_diff(from: &FlatValues, to: &FlatValues) -> Vec<ValueChange> {
    let mut keys: Vec<&str> = from
        .iter()
        .map(|(k, _)| k)
        .chain(to.iter().map(|(k, _)| k))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter(|k| from.get(k) != to.get(k))
        .map(|k| ValueChange {
            key: k.to_owned(),
            from: from.get(k).map(str::to_owned),
            to: to.get(k).map(str::to_owned),
        })
        .collect()
}

fn image_changes(target: &EnvironmentState, source: &EnvironmentState) -> Vec<ImageChange> {
    let container_image = |env: &EnvironmentState| -> BTreeMap<String, String> {
        env.workloads
            .iter()
            .flat_map(|w| {
                let new = new_replica_set(w);
                // What the workload actually serves: the newest replica set's images when the
                // rollout is done, otherwise the template's.
                let images = new.map_or(&w.images, |rs| {
                    if in_rollout(w) { &w.images } else { &rs.images }
                });
                images
                    .iter()
                    .map(|i| {
                        (
                            i.rsplit('/')
                                .next()
                                .unwrap_or(i)
                                .split(':')
                                .next()
                                .unwrap_or(i)
                                .to_owned(),
                            i.clone(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (from, to) = (container_image(target), container_image(source));
    let mut names: Vec<&String> = from.keys().chain(to.keys()).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter(|n| from.get(*n) != to.get(*n))
        .map(|n| ImageChange {
            workload: n.clone(),
            from: from.get(n).cloned(),
            to: to.get(n).cloned(),
        })
        .collect()
}

fn gate_state(
    target_env: &Environment,
    target: &EnvironmentState,
    source_env: &Environment,
    source: &EnvironmentState,
    inputs: (&EnvironmentInputs, &EnvironmentInputs),
    github: Option<&GithubInputs>,
    now: Timestamp,
) -> GateState {
    let target_sha = target.version.as_ref().and_then(|v| v.sha.clone());
    let source_sha = source.version.as_ref().and_then(|v| v.sha.clone());
    let comparison = match (&target_sha, &source_sha, github) {
        (Some(base), Some(head), Some(gh)) => gh
            .comparisons
            .iter()
            .find(|((b, h), _)| same_commit(b, base) && same_commit(h, head))
            .map(|(_, c)| c),
        _ => None,
    };
    let commits: Vec<CommitSummary> = comparison
        .map(|c| {
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
    let pull_requests: Vec<PullRequestRef> = github
        .map(|gh| {
            gh.pull_requests
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
                .collect()
        })
        .unwrap_or_default();
    let pending = Pending {
        from_version: target.version.as_ref().map(|v| v.label.clone()),
        to_version: source.version.as_ref().map(|v| v.label.clone()),
        commits,
        pull_requests,
        image_changes: image_changes(target, source),
        values_diff: values_diff(&inputs.0.values, &inputs.1.values),
    };

    let mut conditions = vec![GateCondition {
        kind: GateConditionKind::SourceHealthy,
        met: source.health == Health::Healthy,
        reason: match source.health {
            Health::Healthy => format!("{} is healthy", source_env.name),
            _ => format!(
                "{} is not healthy: {}",
                source_env.name, source.health_reason
            ),
        },
    }];
    if let Some(gate) = &target_env.gate {
        conditions.extend(checks_condition(gate, source_sha.as_deref(), github));
        conditions.extend(soak_condition(gate, source, now));
        conditions.push(match &gate.approval {
            Some(a) => GateCondition {
                kind: GateConditionKind::Reviewers,
                met: false,
                reason: format!(
                    "needs approval by one of {}{}",
                    principals(&a.reviewers),
                    if a.prevent_self_review {
                        "; authors may not approve their own changes"
                    } else {
                        ""
                    }
                ),
            },
            None => GateCondition {
                kind: GateConditionKind::Reviewers,
                met: true,
                reason: "no approval required".into(),
            },
        });
        conditions.push(window_condition(gate, now));
        conditions.push(freeze_condition(gate, now));
    }
    // The approval is what the gate waits for; the gate is open when everything else is met.
    let open = conditions
        .iter()
        .filter(|c| c.kind != GateConditionKind::Reviewers)
        .all(|c| c.met);
    let waiting_run = github.and_then(|gh| {
        gh.waiting_runs.iter().find_map(|r| {
            r.environments
                .iter()
                .find(|(name, _)| *name == target_env.name)
                .map(|(_, can)| WaitingRun {
                    run_id: r.run_id,
                    sha: r.head_sha.clone(),
                    actor: r.actor.clone(),
                    current_user_can_approve: *can,
                })
        })
    });
    GateState {
        environment: target_env.name.clone(),
        from: source_env.name.clone(),
        open,
        pending,
        conditions,
        waiting_run,
    }
}

/// Builds the Snapshot. Pure: the same sources give the same snapshot.
pub fn assemble(sources: &Sources<'_>) -> Snapshot {
    let envs = &sources.pipeline.environments;
    let default_inputs = EnvironmentInputs::default();
    let inputs_of = |i: usize| sources.environments.get(i).unwrap_or(&default_inputs);
    let states: Vec<EnvironmentState> = envs
        .iter()
        .enumerate()
        .map(|(i, e)| environment_state(e, inputs_of(i), sources.github))
        .collect();
    let mut gates = Vec::new();
    for (i, env) in envs.iter().enumerate() {
        if let Trigger::Promotion { from } = &env.trigger
            && let Some(j) = envs.iter().position(|e| &e.name == from)
        {
            gates.push(gate_state(
                env,
                &states[i],
                &envs[j],
                &states[j],
                (inputs_of(i), inputs_of(j)),
                sources.github,
                sources.now,
            ));
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
    Snapshot {
        sequence: sources.sequence,
        generated_at: sources.now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        environments: states,
        gates,
        sources: sources.source_states.clone(),
        pull_requests,
    }
}

#[cfg(test)]
mod tests;
