use std::path::{Path, PathBuf};

use super::*;
use crate::pipeline::{PromotionMethod, Trigger};

const BASE: &str = "\
app: demo
github:
  repository: acme/demo
chart:
  show:
    - { label: Host, key: ingress.host }
environments:
  - name: dev
    kubeContext: one
    namespace: dev
    release: demo-dev
    valuesFile: values-dev.yaml
    deploy: { on: pull-request }
  - name: staging
    kubeContext: one
    namespace: staging
    release: demo-staging
    valuesFile: values-staging.yaml
    deploy: { on: merge, branch: main }
  - name: production
    kubeContext: one
    namespace: production
    release: demo-prod
    valuesFile: values-prod.yaml
    deploy: { on: promotion, from: staging }
    gate:
      method: kubernetes
      approval:
        reviewers:
          users: [alice]
      soak: 2h
";

struct Fixture {
    _dir: tempfile::TempDir,
    pipeline: PathBuf,
}

/// Writes `pipeline` beside three small values files.
fn fixture(pipeline: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    for (env, replicas) in [("dev", 1), ("staging", 2), ("prod", 3)] {
        std::fs::write(
            dir.path().join(format!("values-{env}.yaml")),
            format!("replicaCount: {replicas}\ningress:\n  host: {env}.demo.local\n"),
        )
        .unwrap();
    }
    let path = dir.path().join("pipeline.yaml");
    std::fs::write(&path, pipeline).unwrap();
    Fixture {
        _dir: dir,
        pipeline: path,
    }
}

fn edited(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "fixture edit `{from}` does not apply");
    BASE.replacen(from, to, 1)
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    let index = text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in fixture"));
    index as u64 + 1
}

fn only_diagnostic(pipeline: &str) -> (Diagnostic, PathBuf) {
    let f = fixture(pipeline);
    let err = load_pipeline(&f.pipeline).expect_err("pipeline should be rejected");
    let PipelineError::Invalid { diagnostics } = err else {
        panic!("expected diagnostics, got {err}");
    };
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    (diagnostics[0].clone(), f.pipeline.clone())
}

fn assert_diag(d: &Diagnostic, file: &Path, line: u64, hint_contains: &str) {
    assert_eq!(d.file, file);
    assert_eq!(d.line, line, "{d}");
    assert!(d.column > 0, "{d}");
    assert!(
        d.hint.contains(hint_contains),
        "hint `{}` lacks `{hint_contains}`",
        d.hint
    );
}

#[test]
fn base_fixture_is_valid() {
    let f = fixture(BASE);
    let p = load_pipeline(&f.pipeline).unwrap();
    assert_eq!(p.environments.len(), 3);
    assert_eq!(p.environments[2].replicas, Some(3));
    assert_eq!(
        p.environments[2].shown_values[0].value.as_deref(),
        Some("prod.demo.local")
    );
}

#[test]
fn unknown_key_suggests_the_nearest_known_key() {
    let text = edited("    namespace: staging\n", "    namspace: staging\n");
    let (d, file) = only_diagnostic(&text);
    assert_diag(
        &d,
        &file,
        line_of(&text, "namspace"),
        "Did you mean `namespace`?",
    );
    assert!(d.message.contains("namspace"), "{d}");
}

#[test]
fn unknown_key_in_a_gate_suggests_the_gate_key() {
    let text = edited("      soak: 2h\n", "      soakTime: 2h\n");
    let (d, file) = only_diagnostic(&text);
    assert_diag(&d, &file, line_of(&text, "soakTime"), "`soak`");
}

#[test]
fn missing_values_file_names_the_nearest_existing_file() {
    let text = edited(
        "valuesFile: values-prod.yaml",
        "valuesFile: values-production.yaml",
    );
    let (d, file) = only_diagnostic(&text);
    assert_diag(
        &d,
        &file,
        line_of(&text, "values-production.yaml"),
        "valuesFile: values-prod.yaml",
    );
}

#[test]
fn missing_values_file_with_no_lookalike_says_to_create_it() {
    let text = edited("valuesFile: values-prod.yaml", "valuesFile: conf/zzz.yaml");
    let (d, file) = only_diagnostic(&text);
    assert_diag(&d, &file, line_of(&text, "zzz.yaml"), "Create ");
}

#[test]
fn promotion_from_an_unknown_environment() {
    let text = edited("from: staging", "from: stagging");
    let (d, file) = only_diagnostic(&text);
    assert_diag(&d, &file, line_of(&text, "from: stagging"), "from: staging");
}

#[test]
fn promotion_from_a_later_environment() {
    // staging is promoted from production, which comes after it; production from dev keeps it acyclic.
    let text = edited(
        "    deploy: { on: merge, branch: main }\n",
        "    deploy: { on: promotion, from: production }\n",
    )
    .replacen("from: staging", "from: dev", 1);
    let (d, file) = only_diagnostic(&text);
    assert_diag(
        &d,
        &file,
        line_of(&text, "from: production"),
        "Promote from an environment listed before `staging` (dev)",
    );
    assert!(d.message.contains("comes after it"), "{d}");
}

#[test]
fn promotion_cycle_is_named_as_a_cycle() {
    let text = edited(
        "    deploy: { on: merge, branch: main }\n",
        "    deploy: { on: promotion, from: production }\n",
    );
    let (d, file) = only_diagnostic(&text);
    assert_diag(
        &d,
        &file,
        line_of(&text, "from: production"),
        "Break the cycle",
    );
    assert!(
        d.message.contains("cycle: staging ← production ← staging"),
        "{d}"
    );
}

#[test]
fn two_environments_on_one_context_and_namespace() {
    let text = edited("    namespace: production\n", "    namespace: staging\n");
    let (d, file) = only_diagnostic(&text);
    let line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("namespace: staging"))
        .nth(1)
        .map(|(i, _)| i as u64 + 1)
        .unwrap();
    assert_diag(&d, &file, line, "Give `production` its own namespace");
}

#[test]
fn same_namespace_in_different_contexts_is_fine() {
    let text = edited("    namespace: production\n", "    namespace: staging\n").replacen(
        "    kubeContext: one\n    namespace: staging\n    release: demo-prod",
        "    kubeContext: two\n    namespace: staging\n    release: demo-prod",
        1,
    );
    let f = fixture(&text);
    load_pipeline(&f.pipeline).unwrap();
}

#[test]
fn unparsable_duration() {
    let text = edited("soak: 2h", "soak: two hours");
    let (d, file) = only_diagnostic(&text);
    assert_diag(&d, &file, line_of(&text, "soak: two hours"), "`24h`");
}

#[test]
fn empty_reviewer_list_on_a_gate_that_requires_approval() {
    let text = edited("          users: [alice]\n", "          users: []\n");
    let (d, file) = only_diagnostic(&text);
    assert_diag(
        &d,
        &file,
        line_of(&text, "approval:") + 1,
        "at least one user or team",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = edited("soak: 2h", "soak: later").replacen("from: staging", "from: nowhere", 1);
    let f = fixture(&text);
    let Err(PipelineError::Invalid { diagnostics }) = load_pipeline(&f.pipeline) else {
        panic!("expected diagnostics");
    };
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
}

#[test]
fn syntax_error_has_a_location() {
    let text = edited("  repository: acme/demo\n", "  repository: [acme/demo\n");
    let (d, file) = only_diagnostic(&text);
    assert_eq!(d.file, file);
    assert!(d.line >= line_of(&text, "repository"), "{d}");
}

#[test]
fn unreadable_pipeline_file_is_an_error_not_a_panic() {
    let err = load_pipeline(Path::new("/nonexistent/pipeline.yaml")).unwrap_err();
    let ui = UiError::from(&err);
    assert_eq!(ui.code, "pipeline.unreadable");
    assert!(ui.hint.contains("--pipeline"));
}

#[test]
fn hostile_inputs_are_rejected_without_panicking() {
    for text in [
        "",
        "[]",
        "42",
        "app: [",
        "environments: {}",
        "\u{0}\u{1}",
        "a: &a [*a]",
        "app: x\ngithub: {repository: a/b}\nenvironments: []\n",
    ] {
        let f = fixture(text);
        assert!(load_pipeline(&f.pipeline).is_err(), "{text:?} was accepted");
    }
}

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../environments")
        .join(name)
}

#[test]
fn shipped_pipeline_is_the_seed_pipeline() {
    let p = load_pipeline(&shipped("pipeline.yaml")).unwrap();
    assert_eq!(p.app, "tbyte");
    let summary: Vec<(&str, &str, &str, Option<u32>)> = p
        .environments
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.namespace.as_str(),
                e.release.as_str(),
                e.replicas,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("dev", "dev", "tbyte-dev", Some(1)),
            ("staging", "staging", "tbyte-staging", Some(2)),
            ("production", "production", "tbyte-prod", Some(3)),
        ]
    );
    let shown = |i: usize| -> Vec<String> {
        p.environments[i]
            .shown_values
            .iter()
            .map(|v| v.value.clone().unwrap_or_default())
            .collect()
    };
    assert_eq!(shown(0), ["50m", "64Mi", "dev.tbyte.local", "db.t3.micro"]);
    assert_eq!(
        shown(1),
        ["100m", "128Mi", "staging.tbyte.local", "db.t3.small"]
    );
    assert_eq!(shown(2), ["200m", "256Mi", "tbyte.local", "db.t3.medium"]);
    assert_eq!(p.environments[0].trigger, Trigger::PullRequest);
    assert_eq!(
        p.environments[1].trigger,
        Trigger::Merge {
            branch: "main".into()
        }
    );
    assert_eq!(p.environments[2].promoted_from(), Some("staging"));
    let gate = p.environments[2].gate.as_ref().unwrap();
    assert_eq!(gate.method, PromotionMethod::GithubApproval);
    let approval = gate.approval.as_ref().unwrap();
    assert!(approval.prevent_self_review);
    assert!(!approval.reviewers.is_empty());
    assert_eq!(gate.soak.as_deref(), Some("24h"));
}

#[test]
fn cluster_per_environment_pipeline_differs_only_in_contexts() {
    let one = load_pipeline(&shipped("pipeline.yaml")).unwrap();
    let many = load_pipeline(&shipped("pipeline.clusters.yaml")).unwrap();
    let contexts: Vec<&str> = many
        .environments
        .iter()
        .map(|e| e.kube_context.as_str())
        .collect();
    assert_eq!(contexts, ["tbyte-dev", "tbyte-staging", "tbyte-prod"]);
    let mut normalised = many.clone();
    normalised.source_file = one.source_file.clone();
    for (env, original) in normalised.environments.iter_mut().zip(&one.environments) {
        env.kube_context = original.kube_context.clone();
    }
    assert_eq!(normalised, one);
}

#[test]
fn the_helm_method_needs_to_know_where_the_image_tag_goes() {
    let text = edited("      method: kubernetes\n", "      method: helm\n");
    let (d, file) = only_diagnostic(&text);
    assert_diag(
        &d,
        &file,
        line_of(&text, "method: helm"),
        "imageTagKey: image.tag",
    );
    let fixed = edited("chart:\n", "chart:\n  imageTagKey: image.tag\n")
        .replace("      method: kubernetes\n", "      method: helm\n");
    let f = fixture(&fixed);
    let p = load_pipeline(&f.pipeline).unwrap();
    assert_eq!(p.image_tag_key.as_deref(), Some("image.tag"));
    assert_eq!(
        p.environments[2].gate.as_ref().unwrap().method,
        PromotionMethod::Helm
    );
    assert_eq!(p.helm, crate::pipeline::HelmSettings::default());
}

#[test]
fn helm_settings_are_read_and_checked() {
    let with = |helm: &str| edited("environments:\n", &format!("helm:\n{helm}environments:\n"));
    let f = fixture(&with(
        "  binary: /opt/helm/bin/helm\n  timeout: 10m\n  atomic: false\n",
    ));
    let p = load_pipeline(&f.pipeline).unwrap();
    assert_eq!(
        (
            p.helm.binary.as_str(),
            p.helm.timeout_seconds,
            p.helm.atomic
        ),
        ("/opt/helm/bin/helm", 600, false)
    );
    let text = with("  timeout: 500ms\n");
    let (d, file) = only_diagnostic(&text);
    assert_diag(&d, &file, line_of(&text, "timeout: 500ms"), "timeout: 5m");
    let text = with("  timeout: soon\n");
    let (d, file) = only_diagnostic(&text);
    assert_diag(
        &d,
        &file,
        line_of(&text, "timeout: soon"),
        "positive duration",
    );
    let text = with("  binary: \"\"\n");
    let (d, file) = only_diagnostic(&text);
    assert_diag(&d, &file, line_of(&text, "binary:"), "helm 3 binary");
}

// Values files stay inside the pipeline file's folder: their text reaches the screen (shown
// values, the review, `status --json`), so a pipeline file must not be able to name any other
// file on the reader's machine, nor one that never ends (a FIFO, a device) or is huge.

fn diagnostics_of(f: &Fixture) -> Vec<Diagnostic> {
    match load_pipeline(&f.pipeline) {
        Ok(_) => panic!("pipeline should be rejected"),
        Err(PipelineError::Invalid { diagnostics }) => diagnostics,
        Err(e) => panic!("expected diagnostics, got {e}"),
    }
}

/// A folder beside the fixture's with a YAML file that is nobody's values (a kubeconfig, say).
fn outside_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, "replicaCount: 1\nusers:\n  token: s3cret-token\n").unwrap();
    (dir, path)
}

fn assert_refused_without_content(f: &Fixture, text: &str, needle: &str, hint: &str) {
    let diagnostics = diagnostics_of(f);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_diag(d, &f.pipeline, line_of(text, needle), hint);
    assert!(!d.to_string().contains("s3cret"), "{d}");
}

#[test]
fn values_file_climbing_out_of_the_pipeline_folder_is_refused() {
    let (outside, secret) = outside_file();
    let name = outside.path().file_name().unwrap().to_str().unwrap();
    let climbing = format!("valuesFile: ../{name}/kubeconfig");
    assert!(secret.exists());
    let text = edited("valuesFile: values-prod.yaml", &climbing);
    let f = fixture(&text);
    assert_refused_without_content(&f, &text, &climbing, "inside the pipeline file's folder");
    let d = &diagnostics_of(&f)[0];
    assert!(d.message.contains(".."), "{d}");
}

#[test]
fn absolute_values_file_is_refused() {
    let (_outside, secret) = outside_file();
    for path in [secret.to_str().unwrap(), "/dev/zero"] {
        let written = format!("valuesFile: {path}");
        let text = edited("valuesFile: values-prod.yaml", &written);
        let f = fixture(&text);
        assert_refused_without_content(&f, &text, &written, "relative to the pipeline file");
    }
}

#[test]
fn values_file_linked_outside_the_pipeline_folder_is_refused() {
    let (_outside, secret) = outside_file();
    let f = fixture(BASE);
    let prod = f.pipeline.with_file_name("values-prod.yaml");
    std::fs::remove_file(&prod).unwrap();
    std::os::unix::fs::symlink(&secret, &prod).unwrap();
    assert_refused_without_content(
        &f,
        BASE,
        "valuesFile: values-prod.yaml",
        "inside the pipeline file's folder",
    );

    // A link that stays inside the folder is fine.
    std::fs::remove_file(&prod).unwrap();
    std::os::unix::fs::symlink("values-staging.yaml", &prod).unwrap();
    let p = load_pipeline(&f.pipeline).unwrap();
    assert_eq!(p.environments[2].replicas, Some(2));
}

#[test]
fn values_file_that_is_a_fifo_is_refused_without_waiting_for_a_writer() {
    let f = fixture(BASE);
    let prod = f.pipeline.with_file_name("values-prod.yaml");
    std::fs::remove_file(&prod).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&prod)
        .status()
        .unwrap();
    assert!(made.success());
    let pipeline = f.pipeline.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(load_pipeline(&pipeline));
    });
    let answer = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("validation answers without waiting for the FIFO's writer");
    let Err(PipelineError::Invalid { diagnostics }) = answer else {
        panic!("a FIFO was accepted as a values file");
    };
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_diag(
        &diagnostics[0],
        &f.pipeline,
        line_of(BASE, "valuesFile: values-prod.yaml"),
        "regular file",
    );
    assert!(
        diagnostics[0].message.contains("FIFO"),
        "{}",
        diagnostics[0]
    );
}

#[test]
fn oversized_values_file_is_refused() {
    let f = fixture(BASE);
    let prod = f.pipeline.with_file_name("values-prod.yaml");
    // Valid YAML (comments) just over the cap: the size alone refuses it.
    let line = "# padding padding padding padding padding padding padding padding\n";
    let mut text = String::from("replicaCount: 3\n");
    while text.len() <= 1024 * 1024 {
        text.push_str(line);
    }
    std::fs::write(&prod, text).unwrap();
    let diagnostics = diagnostics_of(&f);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_diag(
        &diagnostics[0],
        &f.pipeline,
        line_of(BASE, "valuesFile: values-prod.yaml"),
        "1 MiB",
    );
}

#[test]
fn names_with_control_or_bidi_characters_are_refused() {
    for (from, to) in [
        ("app: demo", "app: \"demo\\0\""),
        ("- name: dev", "- name: \"dev\\e[2J\""),
        ("namespace: production", "namespace: \"production\\u202e\""),
        ("release: demo-dev", "release: \"demo\\r-dev\""),
        (
            "kubeContext: one\n    namespace: dev",
            "kubeContext: \"one\\x07\"\n    namespace: dev",
        ),
        ("repository: acme/demo", "repository: \"acme/demo\\x9b\""),
        ("users: [alice]", "users: [\"alice\\u2066\"]"),
    ] {
        let text = edited(from, to);
        let (d, file) = only_diagnostic(&text);
        let written = to.lines().next().unwrap();
        assert_diag(
            &d,
            &file,
            line_of(&text, written),
            "without control characters",
        );
    }
}

/// A token sent over plain http can be read on the way; only this machine is exempt (the
/// simulated GitHub, a local proxy).
#[test]
fn plain_http_api_url_is_refused_unless_it_is_this_machine() {
    let with = |url: &str| {
        edited(
            "  repository: acme/demo\n",
            &format!("  repository: acme/demo\n  apiUrl: {url}\n"),
        )
    };
    for url in [
        "http://ghe.example.com/api/v3",
        "http://10.0.0.7:8080/api/v3",
        "http://127.0.0.1.evil.example/api/v3",
        "HTTP://ghe.example.com/api/v3",
    ] {
        let text = with(url);
        let (d, file) = only_diagnostic(&text);
        assert_diag(&d, &file, line_of(&text, "apiUrl:"), "https://");
    }
    for url in [
        "https://ghe.example.com/api/v3",
        "http://127.0.0.1:41234",
        "http://127.1.2.3:8080/api/v3",
        "http://localhost:3000/api/v3",
        "http://[::1]:9000",
    ] {
        let f = fixture(&with(url));
        let p = load_pipeline(&f.pipeline).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(p.github.api_url.as_deref(), Some(url.trim_end_matches('/')));
    }
}

#[test]
fn verification_is_read_with_defaults_and_refuses_no_time_at_all() {
    let with = |verify: &str| edited("    gate:\n", &format!("{verify}    gate:\n"));
    let f = fixture(&with(
        "    verify:\n      for: 10m\n      onFailure: rollback\n      warningReasons: [BackOff]\n",
    ));
    let p = load_pipeline(&f.pipeline).unwrap();
    assert_eq!(
        p.environments[2].verify,
        Some(crate::pipeline::Verify {
            for_seconds: 600,
            on_failure: crate::pipeline::OnFailure::Rollback,
            warning_reasons: vec!["BackOff".into()],
            job: None,
        })
    );
    assert_eq!(p.environments[1].verify, None);
    let f = fixture(&with("    verify:\n      for: 30s\n"));
    let v = load_pipeline(&f.pipeline).unwrap().environments[2]
        .verify
        .clone()
        .unwrap();
    assert_eq!(v.on_failure, crate::pipeline::OnFailure::Offer);
    assert_eq!(v.warning_reasons, ["BackOff", "Unhealthy", "FailedCreate"]);

    for bad in ["0s", "-5m"] {
        let text = with(&format!("    verify:\n      for: {bad}\n"));
        let (d, file) = only_diagnostic(&text);
        assert_diag(&d, &file, line_of(&text, &format!("for: {bad}")), "");
        assert!(
            d.hint.contains("for: 10m") || d.hint.contains("positive duration"),
            "{d}"
        );
    }
    let text = with("    verify:\n      for: 1m\n      onFailure: panic\n");
    let (d, file) = only_diagnostic(&text);
    assert_diag(&d, &file, line_of(&text, "onFailure: panic"), "");
}

#[cfg(unix)]
#[test]
fn a_pipeline_file_that_is_a_fifo_a_device_or_huge_is_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipeline.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for (path, says) in [
        (fifo.as_path(), "not a regular file"),
        (Path::new("/dev/zero"), "not a regular file"),
    ] {
        let err = load_pipeline(path).unwrap_err();
        let ui = UiError::from(&err);
        assert_eq!(ui.code, "pipeline.unreadable");
        assert!(ui.message.contains(says), "{}", ui.message);
    }
    let huge = dir.path().join("huge.yaml");
    std::fs::write(&huge, vec![b'#'; 1024 * 1024 + 1]).unwrap();
    let ui = UiError::from(&load_pipeline(&huge).unwrap_err());
    assert!(ui.message.contains("larger than 1 MiB"), "{}", ui.message);
    // A link to a good pipeline file is followed.
    let f = fixture(BASE);
    let link = f.pipeline.with_file_name("link.yaml");
    std::os::unix::fs::symlink(&f.pipeline, &link).unwrap();
    assert!(load_pipeline(&link).is_ok());
}

#[test]
fn a_quorum_is_read_and_refused_when_nobody_listed_could_ever_reach_it() {
    let with = |quorum: &str| edited("          users: [alice]\n", quorum);
    let f = fixture(&with(
        "          users: [alice, bob, Alice]\n        required: 2\n",
    ));
    let p = load_pipeline(&f.pipeline).unwrap();
    let approval = p.environments[2]
        .gate
        .as_ref()
        .unwrap()
        .approval
        .clone()
        .unwrap();
    assert_eq!(approval.required, 2);
    // Unset means one approval, as before.
    let f = fixture(BASE);
    let p = load_pipeline(&f.pipeline).unwrap();
    assert_eq!(
        p.environments[2]
            .gate
            .as_ref()
            .unwrap()
            .approval
            .as_ref()
            .unwrap()
            .required,
        1
    );

    // Alice listed twice is one person: two of {alice, bob} is all there is.
    let text = with("          users: [alice, bob, Alice]\n        required: 3\n");
    let (d, file) = only_diagnostic(&text);
    assert_diag(
        &d,
        &file,
        line_of(&text, "required: 3"),
        "lower `required` to 2",
    );
    assert!(d.message.contains("only 2 reviewers are listed"), "{d}");
    // A team's members are GitHub's to count: not refused here.
    let f = fixture(&with(
        "          users: [alice]\n          teams: [acme/release]\n        required: 3\n",
    ));
    assert_eq!(
        load_pipeline(&f.pipeline).unwrap().environments[2]
            .gate
            .as_ref()
            .unwrap()
            .approval
            .as_ref()
            .unwrap()
            .required,
        3
    );
    for bad in ["0", "-1"] {
        let text = with(&format!(
            "          users: [alice]\n        required: {bad}\n"
        ));
        let (d, file) = only_diagnostic(&text);
        assert_diag(
            &d,
            &file,
            line_of(&text, &format!("required: {bad}")),
            "at least 1",
        );
    }
}

#[test]
fn a_smoke_test_job_template_is_read_and_one_that_does_not_parse_is_reported_at_its_line() {
    let with = |job: &str| {
        edited(
            "    gate:\n",
            &format!("    verify:\n      for: 1m\n      job: {job}\n    gate:\n"),
        )
    };
    let template = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: smoke\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: smoke\n          image: curlimages/curl\n          args: [\"-f\", \"http://tbyte-prod-api/healthz\"]\n";
    let f = fixture(&with("smoke-job.yaml"));
    std::fs::write(f.pipeline.with_file_name("smoke-job.yaml"), template).unwrap();
    let p = load_pipeline(&f.pipeline).unwrap();
    let job = p.environments[2]
        .verify
        .as_ref()
        .unwrap()
        .job
        .clone()
        .unwrap();
    assert_eq!(job.file, "smoke-job.yaml");
    let manifest: serde_json::Value = serde_json::from_str(&job.manifest).unwrap();
    assert_eq!(
        manifest["spec"]["template"]["spec"]["containers"][0]["name"],
        "smoke"
    );

    // Broken YAML: the diagnostic names the template and the line that breaks.
    let text = with("smoke-job.yaml");
    let f = fixture(&text);
    let template_path = f.pipeline.with_file_name("smoke-job.yaml");
    std::fs::write(
        &template_path,
        "apiVersion: batch/v1\nkind: Job\nspec: [unclosed\n",
    )
    .unwrap();
    let Err(PipelineError::Invalid { diagnostics }) = load_pipeline(&f.pipeline) else {
        panic!("expected diagnostics");
    };
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d.file, template_path);
    assert!(d.line >= 3, "{d}");
    assert!(d.message.contains("does not parse"), "{d}");
    assert!(!d.hint.is_empty());

    // YAML that is not a Job, and a missing file: reported at `job:` in the pipeline.
    std::fs::write(&template_path, "apiVersion: v1\nkind: Pod\n").unwrap();
    let Err(PipelineError::Invalid { diagnostics }) = load_pipeline(&f.pipeline) else {
        panic!("expected diagnostics");
    };
    assert_diag(
        &diagnostics[0],
        &f.pipeline,
        line_of(&text, "job: smoke-job.yaml"),
        "kubectl create job",
    );
    let text = with("nowhere.yaml");
    let (d, file) = only_diagnostic(&text);
    assert_diag(
        &d,
        &file,
        line_of(&text, "job: nowhere.yaml"),
        "job: smoke-job.yaml",
    );
}
