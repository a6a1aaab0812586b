//! Semantic checks on a parsed pipeline file, and its conversion into the validated model.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_saphyr::{Location, Spanned};

use super::Diagnostic;
use super::file::{
    ApprovalSection, ChangeWindowSection, DeployOn, EnvironmentSection, FreezeSection, GateSection,
    PipelineFile, PrincipalsSection, VerifySection,
};
use super::suggest::nearest;
use super::values_file;
use crate::pipeline::{
    Approval, ChangeWindow, Environment, Freeze, Gate, GithubRepository, HelmSettings, OnFailure,
    Pipeline, Principals, PromotionMethod, ShownValue, SmokeJob, Trigger, Verify,
};
use crate::text::is_control_or_bidi;
use crate::values::FlatValues;

/// Collects diagnostics for one file so that a person sees every problem at once.
struct Report<'a> {
    file: &'a Path,
    diagnostics: Vec<Diagnostic>,
}

impl Report<'_> {
    fn at(&mut self, location: &Location, message: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            file: self.file.to_owned(),
            line: location.line(),
            column: location.column(),
            message: message.into(),
            hint: hint.into(),
        });
    }
}

pub(super) fn validate(path: &Path, raw: PipelineFile) -> Result<Pipeline, Vec<Diagnostic>> {
    let mut report = Report {
        file: path,
        diagnostics: Vec::new(),
    };
    let base_dir = path.parent().unwrap_or(Path::new("."));

    if raw.app.value.trim().is_empty() {
        report.at(
            &raw.app.referenced,
            "`app` is empty",
            "Name the application, e.g. `app: tbyte`.",
        );
    }
    check_names(&mut report, &raw);
    let github = github_repository(&mut report, &raw);
    let helm = helm_settings(&mut report, &raw);
    let image_tag_key = raw.chart.image_tag_key.as_ref().map(|key| {
        if !is_dotted_key(&key.value) {
            report.at(
                &key.referenced,
                format!("`{}` is not a dotted values key", key.value),
                "Name the key the chart reads the image tag from, e.g. `imageTagKey: image.tag`.",
            );
        }
        key.value.clone()
    });
    let envs = &raw.environments.value;
    if envs.is_empty() {
        report.at(
            &raw.environments.referenced,
            "the pipeline has no environments",
            "List the environments in promotion order under `environments:`, e.g. dev, staging, production.",
        );
    }
    check_unique_names(&mut report, envs);
    check_unique_targets(&mut report, envs);
    check_promotion_sources(&mut report, envs);

    let mut environments = Vec::with_capacity(envs.len());
    for env in envs {
        let trigger = trigger(&mut report, env);
        let gate = env
            .gate
            .as_ref()
            .and_then(|gate| self::gate(&mut report, env, gate));
        let (replicas, shown_values) = values_summary(&mut report, &raw, base_dir, env);
        let verify = env
            .verify
            .as_ref()
            .and_then(|v| verify(&mut report, base_dir, v));
        environments.push(Environment {
            name: env.name.value.clone(),
            kube_context: env.kube_context.value.clone(),
            namespace: env.namespace.value.clone(),
            release: env.release.value.clone(),
            values_file: env.values_file.value.clone(),
            trigger,
            replicas,
            shown_values,
            gate,
            verify,
        });
    }

    if report.diagnostics.is_empty() {
        Ok(Pipeline {
            app: raw.app.value,
            source_file: path.display().to_string(),
            github,
            image_tag_key,
            helm,
            environments,
        })
    } else {
        report.diagnostics.sort_by_key(|d| (d.line, d.column));
        Err(report.diagnostics)
    }
}

fn github_repository(report: &mut Report<'_>, raw: &PipelineFile) -> GithubRepository {
    let repo = &raw.github.repository;
    let (owner, name) = match repo.value.split_once('/') {
        Some((o, n)) if !o.is_empty() && !n.is_empty() && !n.contains('/') => {
            (o.to_owned(), n.to_owned())
        }
        _ => {
            report.at(
                &repo.referenced,
                format!("`{}` is not a GitHub repository", repo.value),
                "Write the repository as `owner/name`, e.g. `repository: tbyte-org/tbyte`.",
            );
            (String::new(), String::new())
        }
    };
    let api_url = raw.github.api_url.as_ref().map(|url| {
        if crate::web::Origin::of(&url.value).is_none() {
            report.at(
                &url.referenced,
                format!("`{}` is not an http(s) URL", url.value),
                "Write the REST API base without credentials in it, e.g. `https://github.example.com/api/v3`, or remove `apiUrl` for github.com.",
            );
        } else if !crate::web::may_carry_a_token(&url.value) {
            report.at(
                &url.referenced,
                format!(
                    "`{}` would send the GitHub token unencrypted to another machine",
                    url.value
                ),
                "Write the API base with https://, e.g. `https://github.example.com/api/v3`; plain http is only for this machine (localhost, 127.0.0.1, ::1).",
            );
        }
        url.value.trim_end_matches('/').to_owned()
    });
    let directory = raw.github.directory.as_ref().map(|dir| {
        let d = dir.value.trim_matches('/');
        let escapes = d.split('/').any(|part| part == ".." || part.is_empty() && !d.is_empty());
        if escapes || dir.value.starts_with('/') || d.contains('\\') {
            report.at(
                &dir.referenced,
                format!("`{}` is not a folder inside the repository", dir.value),
                "Give the pipeline file's folder relative to the repository root, e.g. `directory: environments` (`.` for the root).",
            );
        }
        if d == "." { String::new() } else { d.to_owned() }
    });
    GithubRepository {
        owner,
        name,
        api_url,
        directory,
    }
}

/// Names and labels reach terminals, notifications and the window: a control character could
/// retitle or clear a terminal, a bidirectional one make a name read as another. Durations,
/// times and the values file's path are checked where they are parsed.
fn check_names(report: &mut Report<'_>, raw: &PipelineFile) {
    let mut check = |what: &str, text: &Spanned<String>| {
        check_text(report, what, text, false);
    };
    check("app", &raw.app);
    check("github.repository", &raw.github.repository);
    for (what, text) in [
        ("github.apiUrl", raw.github.api_url.as_ref()),
        ("github.directory", raw.github.directory.as_ref()),
        ("chart.imageTagKey", raw.chart.image_tag_key.as_ref()),
        (
            "helm.binary",
            raw.helm.as_ref().and_then(|h| h.binary.as_ref()),
        ),
    ] {
        if let Some(text) = text {
            check(what, text);
        }
    }
    check("chart.replicasKey", &raw.chart.replicas_key);
    for shown in &raw.chart.show {
        check("label", &shown.label);
        check("key", &shown.key);
    }
    for env in &raw.environments.value {
        check("name", &env.name);
        check("kubeContext", &env.kube_context);
        check("namespace", &env.namespace);
        check("release", &env.release);
        let deploy = &env.deploy.value;
        for (what, text) in [
            ("branch", deploy.branch.as_ref()),
            ("from", deploy.from.as_ref()),
        ] {
            if let Some(text) = text {
                check(what, text);
            }
        }
        let Some(gate) = &env.gate else { continue };
        let gate = &gate.value;
        if let Some(workflow) = &gate.workflow {
            check("workflow", workflow);
        }
        for c in &gate.required_checks {
            check("requiredChecks", c);
        }
        let reviewers = gate.approval.as_ref().map(|a| &a.value.reviewers);
        for principals in reviewers.into_iter().chain([&gate.override_by]) {
            for user in &principals.users {
                check("users", user);
            }
            for team in &principals.teams {
                check("teams", team);
            }
        }
    }
    // A freeze's reason is prose: it may span lines.
    for freeze in raw
        .environments
        .value
        .iter()
        .filter_map(|e| e.gate.as_ref())
        .flat_map(|g| &g.value.freezes)
    {
        check_text(report, "reason", &freeze.value.reason, true);
    }
}

/// Reports `text` if it holds a control or bidirectional formatting character (newlines and
/// tabs allowed in `prose`). The value is not quoted: quoting it would carry the character on.
fn check_text(report: &mut Report<'_>, what: &str, text: &Spanned<String>, prose: bool) {
    let found = text
        .value
        .chars()
        .find(|&c| is_control_or_bidi(c) && !(prose && matches!(c, '\n' | '\t')));
    if let Some(c) = found {
        report.at(
            &text.referenced,
            format!(
                "`{what}` contains U+{:04X}, a control or bidirectional formatting character",
                u32::from(c)
            ),
            format!("Write the {what} without control characters or bidirectional formatting characters (they can change how the text around them is shown)."),
        );
    }
}

/// `a.b.c`: dot-separated names, none empty, no spaces.
fn is_dotted_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .split('.')
            .all(|part| !part.is_empty() && !part.contains(char::is_whitespace))
}

fn helm_settings(report: &mut Report<'_>, raw: &PipelineFile) -> HelmSettings {
    let mut settings = HelmSettings::default();
    if let Some(section) = &raw.helm {
        if let Some(binary) = &section.binary {
            if binary.value.trim().is_empty() {
                report.at(
                    &binary.referenced,
                    "`helm.binary` is empty",
                    "Name the helm 3 binary (`helm`, looked up on PATH) or give its path.",
                );
            }
            settings.binary = binary.value.clone();
        }
        if let Some(timeout) = &section.timeout
            && let Some(d) = parse_duration(report, timeout)
        {
            // Whole seconds, passed to helm as `--timeout <n>s`: Go's duration syntax is not
            // the pipeline file's.
            let seconds = u32::try_from(d.as_secs()).unwrap_or(u32::MAX);
            if seconds == 0 {
                report.at(
                    &timeout.referenced,
                    "`helm.timeout` is under a second: no upgrade could finish",
                    "Give helm time to roll out, e.g. `timeout: 5m`.",
                );
            }
            settings.timeout_seconds = seconds;
        }
        if let Some(atomic) = section.atomic {
            settings.atomic = atomic;
        }
    }
    // The helm method sets the image tag the source runs; it must know where.
    if raw.chart.image_tag_key.is_none()
        && let Some(method) = raw
            .environments
            .value
            .iter()
            .filter_map(|e| e.gate.as_ref())
            .map(|g| &g.value.method)
            .find(|m| m.value == PromotionMethod::Helm)
    {
        report.at(
            &method.referenced,
            "the `helm` method needs to know where the chart takes the image tag",
            "Add `imageTagKey: image.tag` (the values key your chart reads the tag from) under `chart:`.",
        );
    }
    settings
}

fn check_unique_names(report: &mut Report<'_>, envs: &[EnvironmentSection]) {
    let mut seen = HashSet::new();
    for env in envs {
        let name = &env.name;
        if name.value.trim().is_empty() {
            report.at(
                &name.referenced,
                "environment name is empty",
                "Name the environment, e.g. `name: staging`.",
            );
        } else if !seen.insert(name.value.as_str()) {
            report.at(
                &name.referenced,
                format!("environment `{}` is listed twice", name.value),
                "Give each environment its own name, or remove the duplicate entry.",
            );
        }
    }
}

/// Two environments on one context and namespace would overwrite each other's workloads.
fn check_unique_targets(report: &mut Report<'_>, envs: &[EnvironmentSection]) {
    let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
    for env in envs {
        let key = (
            env.kube_context.value.as_str(),
            env.namespace.value.as_str(),
        );
        if let Some(first) = seen.get(&key) {
            report.at(
                &env.namespace.referenced,
                format!(
                    "environments `{first}` and `{}` both deploy to namespace `{}` in kube context `{}`",
                    env.name.value, key.1, key.0
                ),
                format!(
                    "Give `{}` its own namespace (e.g. `namespace: {}`) or its own kube context.",
                    env.name.value, env.name.value
                ),
            );
        } else {
            seen.insert(key, &env.name.value);
        }
    }
}

/// Promotion sources must name an earlier environment, which rules out cycles; a cycle is named
/// as such because "later" alone would not tell the person which edge to break.
fn check_promotion_sources(report: &mut Report<'_>, envs: &[EnvironmentSection]) {
    let index: HashMap<&str, usize> = envs
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.value.as_str(), i))
        .collect();
    let source_of = |i: usize| -> Option<usize> {
        let env = &envs[i];
        if env.deploy.value.on.value != DeployOn::Promotion {
            return None;
        }
        env.deploy
            .value
            .from
            .as_ref()
            .and_then(|f| index.get(f.value.as_str()).copied())
    };
    let mut reported_cycles: HashSet<usize> = HashSet::new();
    for (i, env) in envs.iter().enumerate() {
        let Some(from) = env.deploy.value.from.as_ref() else {
            continue;
        };
        if env.deploy.value.on.value != DeployOn::Promotion {
            continue;
        }
        let earlier: Vec<&str> = envs[..i].iter().map(|e| e.name.value.as_str()).collect();
        let Some(&source) = index.get(from.value.as_str()) else {
            let hint = match nearest(&from.value, index.keys().copied()) {
                Some(best) => format!("Did you mean `from: {best}`?"),
                None if earlier.is_empty() => {
                    "The first environment cannot be promoted from another one: use `on: pull-request` or `on: merge`.".to_owned()
                }
                None => format!("Promote from one of the environments listed before it: {}.", earlier.join(", ")),
            };
            report.at(
                &from.referenced,
                format!(
                    "`{}` is promoted from `{}`, which is not an environment of this pipeline",
                    env.name.value, from.value
                ),
                hint,
            );
            continue;
        };
        // Follow the chain of sources from here; coming back to `i` is a cycle.
        let mut chain = vec![i];
        let mut current = source;
        let mut is_cycle = false;
        while chain.len() <= envs.len() {
            if current == i {
                is_cycle = true;
                break;
            }
            if chain.contains(&current) {
                break; // a cycle further up the chain, reported from one of its members
            }
            chain.push(current);
            match source_of(current) {
                Some(next) => current = next,
                None => break,
            }
        }
        if is_cycle {
            let members: Vec<usize> = chain.clone();
            if members.iter().any(|m| reported_cycles.contains(m)) {
                continue;
            }
            reported_cycles.extend(members.iter().copied());
            let mut names: Vec<&str> = members
                .iter()
                .map(|&m| envs[m].name.value.as_str())
                .collect();
            names.push(env.name.value.as_str());
            report.at(
                &from.referenced,
                format!("promotions form a cycle: {}", names.join(" ← ")),
                format!(
                    "Break the cycle: reach `{}` another way (`on: pull-request` or `on: merge`), or promote it from an environment outside the cycle.",
                    envs[*members.iter().min().unwrap_or(&i)].name.value
                ),
            );
        } else if source >= i {
            let hint = if earlier.is_empty() {
                "The first environment cannot be promoted from another one: use `on: pull-request` or `on: merge`, or move it after its source.".to_owned()
            } else {
                format!(
                    "Promote from an environment listed before `{}` ({}), or move `{}` above it in `environments`.",
                    env.name.value,
                    earlier.join(", "),
                    from.value
                )
            };
            report.at(
                &from.referenced,
                format!(
                    "`{}` is promoted from `{}`, which comes after it in the pipeline",
                    env.name.value, from.value
                ),
                hint,
            );
        }
    }
}

fn trigger(report: &mut Report<'_>, env: &EnvironmentSection) -> Trigger {
    let deploy = &env.deploy.value;
    let misplaced = |report: &mut Report<'_>, key: &str, location: &Location, needs: &str| {
        report.at(
            location,
            format!(
                "`{key}` has no meaning with `on: {}`",
                on_name(deploy.on.value)
            ),
            format!("Remove `{key}`, or set `on: {needs}`."),
        );
    };
    match deploy.on.value {
        DeployOn::PullRequest => {
            if let Some(b) = &deploy.branch {
                misplaced(report, "branch", &b.referenced, "merge");
            }
            if let Some(f) = &deploy.from {
                misplaced(report, "from", &f.referenced, "promotion");
            }
            Trigger::PullRequest
        }
        DeployOn::Merge => {
            if let Some(f) = &deploy.from {
                misplaced(report, "from", &f.referenced, "promotion");
            }
            Trigger::Merge {
                branch: deploy
                    .branch
                    .as_ref()
                    .map_or_else(|| "main".to_owned(), |b| b.value.clone()),
            }
        }
        DeployOn::Promotion => {
            if let Some(b) = &deploy.branch {
                misplaced(report, "branch", &b.referenced, "merge");
            }
            match &deploy.from {
                Some(f) => Trigger::Promotion {
                    from: f.value.clone(),
                },
                None => {
                    report.at(
                        &deploy.on.referenced,
                        format!("`{}` is reached by promotion but does not say from where", env.name.value),
                        "Add `from: <environment>` naming an earlier environment, e.g. `from: staging`.",
                    );
                    Trigger::Promotion {
                        from: String::new(),
                    }
                }
            }
        }
    }
}

fn on_name(on: DeployOn) -> &'static str {
    match on {
        DeployOn::PullRequest => "pull-request",
        DeployOn::Merge => "merge",
        DeployOn::Promotion => "promotion",
    }
}

fn gate(
    report: &mut Report<'_>,
    env: &EnvironmentSection,
    gate: &Spanned<GateSection>,
) -> Option<Gate> {
    if env.deploy.value.on.value != DeployOn::Promotion {
        report.at(
            &gate.referenced,
            format!("`{}` has a gate but is not reached by promotion", env.name.value),
            "A gate guards promotions: set `deploy: {on: promotion, from: <environment>}`, or remove the gate.",
        );
    }
    let g = &gate.value;
    let method = g.method.value;
    if method == PromotionMethod::WorkflowDispatch && g.workflow.is_none() {
        report.at(
            &g.method.referenced,
            "`workflow-dispatch` needs the workflow to dispatch",
            "Add `workflow: deploy.yml` (the file name under .github/workflows) to the gate.",
        );
    }
    let approval = g.approval.as_ref().map(|a| approval(report, a));
    let soak = g.soak.as_ref().map(|s| {
        parse_duration(report, s);
        s.value.clone()
    });
    let change_windows = g
        .change_windows
        .iter()
        .map(|w| change_window(report, w))
        .collect();
    let freezes = g.freezes.iter().map(|f| freeze(report, f)).collect();
    Some(Gate {
        method,
        workflow: g.workflow.as_ref().map(|w| w.value.clone()),
        approval,
        soak,
        required_checks: g.required_checks.iter().map(|c| c.value.clone()).collect(),
        change_windows,
        freezes,
        override_by: principals(report, &g.override_by),
    })
}

fn approval(report: &mut Report<'_>, approval: &Spanned<ApprovalSection>) -> Approval {
    let reviewers = principals(report, &approval.value.reviewers);
    if reviewers.is_empty() {
        report.at(
            &approval.referenced,
            "the gate requires approval but names no reviewers",
            "Add `reviewers: {users: [<login>], teams: [<org>/<team>]}` with at least one user or team, or remove `approval` if no one needs to approve.",
        );
    }
    let required = quorum(report, approval, &reviewers);
    Approval {
        reviewers,
        prevent_self_review: approval.value.prevent_self_review,
        required,
    }
}

/// `approval.required`: at least one, and no more than the listed people could ever give. Teams
/// are GitHub's to count, so a gate naming a team is checked against its members when the
/// console reads them, not here.
fn quorum(
    report: &mut Report<'_>,
    approval: &Spanned<ApprovalSection>,
    reviewers: &Principals,
) -> u32 {
    let Some(required) = &approval.value.required else {
        return 1;
    };
    if required.value < 1 {
        report.at(
            &required.referenced,
            format!(
                "`required: {}` asks for no approval at all",
                required.value
            ),
            "Give how many different people must approve, at least 1 (e.g. `required: 2`), or remove `approval` if no one needs to approve.",
        );
        return 1;
    }
    let mut people: Vec<String> = reviewers.users.iter().map(|u| u.to_lowercase()).collect();
    people.sort();
    people.dedup();
    if reviewers.teams.is_empty() && required.value > people.len() as i64 {
        report.at(
            &required.referenced,
            format!(
                "`required: {}` can never be reached: only {} reviewer{} listed",
                required.value,
                people.len(),
                if people.len() == 1 { " is" } else { "s are" }
            ),
            format!(
                "List at least {} reviewers under `reviewers.users` (or add a team), or lower `required` to {}.",
                required.value,
                people.len().max(1)
            ),
        );
    }
    u32::try_from(required.value).unwrap_or(u32::MAX)
}

fn principals(report: &mut Report<'_>, section: &PrincipalsSection) -> Principals {
    for team in &section.teams {
        let valid = matches!(team.value.split_once('/'), Some((org, slug)) if !org.is_empty() && !slug.is_empty() && !slug.contains('/'));
        if !valid {
            report.at(
                &team.referenced,
                format!("`{}` is not a GitHub team", team.value),
                "Write teams as `org/team-slug`, e.g. `tbyte-org/release-managers`.",
            );
        }
    }
    Principals {
        users: section
            .users
            .iter()
            .map(|u| u.value.trim_start_matches('@').to_owned())
            .collect(),
        teams: section.teams.iter().map(|t| t.value.clone()).collect(),
    }
}

/// Durations are written the friendly way (`24h`, `1h 30m`, `2d`); a day counts as 24 hours.
/// Reasons a new warning fails a verification by when the pipeline lists none.
const DEFAULT_WARNING_REASONS: [&str; 3] = ["BackOff", "Unhealthy", "FailedCreate"];

/// The smoke test's Job template: a file beside the pipeline (read like a values file), YAML
/// that parses, and a `batch/v1` Job with at least one container. A template that does not
/// parse is reported at its own line.
fn smoke_job(report: &mut Report<'_>, base_dir: &Path, job: &Spanned<String>) -> Option<SmokeJob> {
    let text = match values_file::read(base_dir, &job.value) {
        Ok(text) => text,
        Err(e) => {
            report.at(
                &job.referenced,
                format!("the smoke-test Job template: {e}"),
                "Name a Job manifest beside the pipeline file, e.g. `job: smoke-job.yaml`.",
            );
            return None;
        }
    };
    let manifest: serde_json::Value = match serde_saphyr::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            let mut d = super::diagnostic_from_yaml(&base_dir.join(&job.value), &e);
            d.message = format!("the smoke-test Job template does not parse: {}", d.message);
            if d.hint.is_empty() {
                d.hint = "Fix the YAML at that line: `kubectl create job smoke --image=… --dry-run=client -o yaml` writes a valid template.".into();
            }
            report.diagnostics.push(d);
            return None;
        }
    };
    let containers = manifest["spec"]["template"]["spec"]["containers"]
        .as_array()
        .map_or(0, Vec::len);
    if manifest["apiVersion"] != "batch/v1" || manifest["kind"] != "Job" || containers == 0 {
        report.at(
            &job.referenced,
            format!(
                "`{}` is not a Job with a container (apiVersion batch/v1, kind Job, spec.template.spec.containers)",
                job.value
            ),
            "Write a Job manifest, e.g. with `kubectl create job smoke --image=… --dry-run=client -o yaml`.",
        );
        return None;
    }
    Some(SmokeJob {
        file: job.value.clone(),
        manifest: manifest.to_string(),
    })
}

fn verify(
    report: &mut Report<'_>,
    base_dir: &Path,
    section: &Spanned<VerifySection>,
) -> Option<Verify> {
    let v = &section.value;
    let hold = parse_duration(report, &v.hold_for)?;
    let for_seconds = u32::try_from(hold.as_secs()).unwrap_or(u32::MAX);
    if for_seconds == 0 {
        report.at(
            &v.hold_for.referenced,
            format!(
                "`verify.for: {}` is no time at all: nothing would be verified",
                v.hold_for.value
            ),
            "Give the new version time to show trouble, e.g. `for: 10m`.",
        );
        return None;
    }
    let warning_reasons = match &v.warning_reasons {
        Some(reasons) => {
            for r in reasons.iter().filter(|r| r.value.trim().is_empty()) {
                report.at(
                    &r.referenced,
                    "an empty warning reason",
                    "Name the event reason, as `kubectl get events` shows it, e.g. `BackOff`.",
                );
            }
            reasons.iter().map(|r| r.value.clone()).collect()
        }
        None => DEFAULT_WARNING_REASONS.map(str::to_owned).to_vec(),
    };
    Some(Verify {
        for_seconds,
        on_failure: v.on_failure.as_ref().map_or(OnFailure::Offer, |o| o.value),
        warning_reasons,
        job: v.job.as_ref().and_then(|j| smoke_job(report, base_dir, j)),
    })
}

fn parse_duration(report: &mut Report<'_>, text: &Spanned<String>) -> Option<jiff::SignedDuration> {
    let parsed = text
        .value
        .parse::<jiff::Span>()
        .ok()
        .and_then(|span| {
            span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                .ok()
        })
        .filter(|d| !d.is_negative());
    if parsed.is_none() {
        report.at(
            &text.referenced,
            format!("`{}` is not a duration", text.value),
            "Write a positive duration such as `24h`, `90m`, `1h 30m` or `2d`.",
        );
    }
    parsed
}

fn change_window(report: &mut Report<'_>, window: &Spanned<ChangeWindowSection>) -> ChangeWindow {
    let w = &window.value;
    if w.days.value.is_empty() {
        report.at(
            &w.days.referenced,
            "the change window has no days",
            "List the days it is open, e.g. `days: [mon, tue, wed, thu]`.",
        );
    }
    let start = time_of_day(report, &w.start);
    let end = time_of_day(report, &w.end);
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        report.at(
            &w.end.referenced,
            format!("the change window ends ({}) before it starts ({})", w.end.value, w.start.value),
            "Make `end` later than `start` on the same day, e.g. `start: \"09:00\"`, `end: \"16:00\"`.",
        );
    }
    if jiff::tz::TimeZone::get(&w.timezone.value).is_err() {
        report.at(
            &w.timezone.referenced,
            format!("`{}` is not a known time zone", w.timezone.value),
            "Write an IANA time zone name such as `UTC`, `Europe/Berlin` or `America/New_York`.",
        );
    }
    ChangeWindow {
        days: w.days.value.clone(),
        start: w.start.value.clone(),
        end: w.end.value.clone(),
        timezone: w.timezone.value.clone(),
    }
}

fn time_of_day(report: &mut Report<'_>, text: &Spanned<String>) -> Option<jiff::civil::Time> {
    let parsed = text.value.parse::<jiff::civil::Time>().ok();
    if parsed.is_none() {
        report.at(
            &text.referenced,
            format!("`{}` is not a time of day", text.value),
            "Write the time as quoted 24-hour `HH:MM`, e.g. `\"09:00\"`.",
        );
    }
    parsed
}

fn freeze(report: &mut Report<'_>, freeze: &Spanned<FreezeSection>) -> Freeze {
    let f = &freeze.value;
    let start = timestamp(report, &f.start);
    let end = timestamp(report, &f.end);
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        report.at(
            &f.end.referenced,
            "the freeze ends before it starts",
            "Make `end` later than `start`.",
        );
    }
    Freeze {
        start: f.start.value.clone(),
        end: f.end.value.clone(),
        reason: f.reason.value.clone(),
    }
}

fn timestamp(report: &mut Report<'_>, text: &Spanned<String>) -> Option<jiff::Timestamp> {
    let parsed = text.value.parse::<jiff::Timestamp>().ok();
    if parsed.is_none() {
        report.at(
            &text.referenced,
            format!("`{}` is not a timestamp", text.value),
            "Write an RFC 3339 timestamp with a time zone, e.g. `2026-12-21T00:00:00Z`.",
        );
    }
    parsed
}

/// Reads the environment's values file for the replica target and the values the chart shows.
fn values_summary(
    report: &mut Report<'_>,
    raw: &PipelineFile,
    base_dir: &Path,
    env: &EnvironmentSection,
) -> (Option<u32>, Vec<ShownValue>) {
    let values_path = base_dir.join(&env.values_file.value);
    let text = match values_file::read(base_dir, &env.values_file.value) {
        Ok(text) => text,
        Err(e) => {
            let hint = if e.is_missing() {
                missing_values_hint(base_dir, &env.values_file.value)
            } else {
                e.hint().to_owned()
            };
            report.at(&env.values_file.referenced, e.to_string(), hint);
            return (None, Vec::new());
        }
    };
    let values = match FlatValues::parse(&text) {
        Ok(values) => values,
        Err(e) => {
            let inner = super::diagnostic_from_yaml(&values_path, &e);
            report.at(
                &env.values_file.referenced,
                format!(
                    "values file `{}` is not valid YAML: {}:{}:{}: {}",
                    env.values_file.value,
                    inner.file.display(),
                    inner.line,
                    inner.column,
                    inner.message
                ),
                "Fix the YAML in the values file at the position given.",
            );
            return (None, Vec::new());
        }
    };
    let key = &raw.chart.replicas_key.value;
    let replicas = values.get(key).and_then(|v| match v.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            report.at(
                &env.values_file.referenced,
                format!(
                    "`{key}` in `{}` is `{v}`, not a replica count",
                    env.values_file.value
                ),
                format!("Set `{key}` to a whole number such as 3."),
            );
            None
        }
    });
    let shown = raw
        .chart
        .show
        .iter()
        .map(|s| ShownValue {
            label: s.label.value.clone(),
            key: s.key.value.clone(),
            value: values.get(&s.key.value).map(str::to_owned),
        })
        .collect();
    (replicas, shown)
}

fn missing_values_hint(base_dir: &Path, written: &str) -> String {
    let nearby: Vec<String> = std::fs::read_dir(base_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .collect();
    let resolved: PathBuf = base_dir.join(written);
    match nearest(written, nearby.iter().map(String::as_str)) {
        Some(best) => {
            format!("Did you mean `valuesFile: {best}`? Paths are relative to the pipeline file.")
        }
        None => format!(
            "Create {} or point `valuesFile` at an existing file; paths are relative to the pipeline file.",
            resolved.display()
        ),
    }
}
