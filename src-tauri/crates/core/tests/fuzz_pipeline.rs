#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The pipeline file is written by whoever can push to the repository. Whatever it holds, and
//! whatever the values files it names hold, loading it ends in a pipeline or in diagnostics that
//! say where (a line, when the file has any) and what to write instead; never in a panic, a
//! stack overflow or an expanded alias bomb. And it ends the same way every time.

mod fuzz_support;

use std::path::{Path, PathBuf};

use fuzz_support::{budget, mutated, random_bytes};
use proptest::prelude::*;
use sluice_core::pipeline::Trigger;
use sluice_core::{Pipeline, PipelineError, UiError, load_pipeline};

const SHIPPED: &str = include_str!("../../../../environments/pipeline.yaml");
const VALUES: [(&str, &str); 3] = [
    (
        "values-dev.yaml",
        include_str!("../../../../environments/values-dev.yaml"),
    ),
    (
        "values-staging.yaml",
        include_str!("../../../../environments/values-staging.yaml"),
    ),
    (
        "values-prod.yaml",
        include_str!("../../../../environments/values-prod.yaml"),
    ),
];

/// A folder holding `pipeline` as pipeline.yaml beside the shipped values files, `staging`
/// replacing staging's.
struct Repo {
    _dir: tempfile::TempDir,
    pipeline: PathBuf,
}

fn repo(pipeline: &[u8], staging: Option<&[u8]>) -> Repo {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in VALUES {
        let text = match staging {
            Some(bytes) if name == "values-staging.yaml" => bytes,
            _ => text.as_bytes(),
        };
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let path = dir.path().join("pipeline.yaml");
    std::fs::write(&path, pipeline).unwrap();
    Repo {
        _dir: dir,
        pipeline: path,
    }
}

/// Loads `pipeline` (twice: the outcome must not vary) and checks the outcome's contract.
fn load(pipeline: &[u8], staging: Option<&[u8]>) -> Result<Pipeline, PipelineError> {
    let repo = repo(pipeline, staging);
    let result = load_pipeline(&repo.pipeline);
    check_outcome(&repo.pipeline, pipeline, &result);
    let again = load_pipeline(&repo.pipeline);
    match (&result, &again) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the same file loaded differently"),
        (
            Err(PipelineError::Invalid { diagnostics: a }),
            Err(PipelineError::Invalid { diagnostics: b }),
        ) => assert_eq!(a, b, "the same file was diagnosed differently"),
        (Err(PipelineError::Read { .. }), Err(PipelineError::Read { .. })) => {}
        (a, b) => panic!("the same file loaded as {a:?} and then as {b:?}"),
    }
    result
}

fn check_outcome(path: &Path, bytes: &[u8], result: &Result<Pipeline, PipelineError>) {
    let text = std::str::from_utf8(bytes);
    let err = match result {
        Ok(pipeline) => {
            assert!(text.is_ok());
            assert!(!pipeline.environments.is_empty());
            assert!(!pipeline.app.trim().is_empty());
            return;
        }
        Err(err) => err,
    };
    match err {
        PipelineError::Read { .. } => {
            assert!(text.is_err(), "a UTF-8 file was unreadable: {err}");
        }
        PipelineError::Invalid { diagnostics } => {
            let text = text.expect("a file that is not UTF-8 was parsed");
            assert!(!diagnostics.is_empty(), "invalid without a diagnostic");
            let has_lines = !text.trim().is_empty();
            for d in diagnostics {
                assert_eq!(d.file, path);
                assert!(!d.message.trim().is_empty(), "{d:?}");
                assert!(!d.hint.trim().is_empty(), "no hint: {d:?}");
                if has_lines {
                    assert!(d.line >= 1, "no line: {d}");
                    assert!(
                        usize::try_from(d.line).unwrap() <= text.lines().count() + 1,
                        "line beyond the file: {d}"
                    );
                }
            }
            let lines: Vec<u64> = diagnostics.iter().map(|d| d.line).collect();
            assert!(lines.is_sorted(), "diagnostics out of order: {lines:?}");
        }
    }
    let ui = UiError::from(err);
    assert!(ui.code.starts_with("pipeline."), "{}", ui.code);
    assert!(!ui.message.trim().is_empty() && !ui.hint.trim().is_empty());
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

/// A valid pipeline of one to five environments, each promoted from the one before, and the
/// replica count each one's values file sets.
fn valid_pipeline() -> impl Strategy<Value = (String, String, Vec<(String, u32)>)> {
    let names = proptest::collection::btree_set("[a-z][a-z0-9-]{0,10}", 1..6);
    let app = "[a-z][a-z0-9-]{0,15}";
    (app, names)
        .prop_flat_map(|(app, names)| {
            let n = names.len();
            (
                Just(app),
                Just(names.into_iter().collect::<Vec<_>>()),
                proptest::collection::vec(0u32..1000, n),
            )
        })
        .prop_map(|(app, names, replicas)| {
            let mut text = format!("app: {app}\ngithub:\n  repository: org/{app}\nenvironments:\n");
            for (i, name) in names.iter().enumerate() {
                let deploy = match i {
                    0 => "{ on: pull-request }".to_owned(),
                    _ => format!("{{ on: promotion, from: {} }}", names[i - 1]),
                };
                text.push_str(&format!(
                    "  - name: {name}\n    kubeContext: ctx\n    namespace: ns-{name}\n    release: {app}-{name}\n    valuesFile: values-{name}.yaml\n    deploy: {deploy}\n"
                ));
            }
            (text, app, names.into_iter().zip(replicas).collect())
        })
}

proptest! {
    #![proptest_config(budget(64))]

    #[test]
    fn any_bytes_load_or_are_diagnosed(bytes in random_bytes()) {
        let _ = load(&bytes, None);
    }

    #[test]
    fn a_mutated_pipeline_loads_or_is_diagnosed_by_line(bytes in mutated(SHIPPED)) {
        let _ = load(&bytes, None);
    }

    /// A broken values file is reported at the `valuesFile:` line that names it.
    #[test]
    fn a_mutated_values_file_is_diagnosed_at_the_line_naming_it(
        bytes in mutated(VALUES[1].1)
    ) {
        let at = line_of(SHIPPED, "valuesFile: values-staging.yaml");
        if let Err(PipelineError::Invalid { diagnostics }) = load(SHIPPED.as_bytes(), Some(&bytes)) {
            for d in &diagnostics {
                prop_assert_eq!(d.line, at, "{}", d);
            }
        }
    }

    #[test]
    fn a_valid_pipeline_loads_as_written((text, app, envs) in valid_pipeline()) {
        let dir = tempfile::tempdir().unwrap();
        for (name, replicas) in &envs {
            std::fs::write(
                dir.path().join(format!("values-{name}.yaml")),
                format!("replicaCount: {replicas}\n"),
            )
            .unwrap();
        }
        let path = dir.path().join("pipeline.yaml");
        std::fs::write(&path, &text).unwrap();
        let pipeline = load_pipeline(&path).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&pipeline.app, &app);
        let loaded: Vec<(String, Option<u32>)> = pipeline
            .environments
            .iter()
            .map(|e| (e.name.clone(), e.replicas))
            .collect();
        let expected: Vec<(String, Option<u32>)> =
            envs.iter().map(|(n, r)| (n.clone(), Some(*r))).collect();
        prop_assert_eq!(loaded, expected);
        for pair in pipeline.environments.windows(2) {
            prop_assert_eq!(&pair[1].trigger, &Trigger::Promotion { from: pair[0].name.clone() });
        }
    }
}

#[test]
fn the_shipped_pipeline_loads() {
    let pipeline = load(SHIPPED.as_bytes(), None).unwrap();
    assert_eq!(pipeline.environments.len(), 3);
}

#[test]
fn an_alias_bomb_is_refused_at_its_line() {
    let at = line_of(SHIPPED, "requiredChecks:");
    let bombed = SHIPPED.replace(
        "requiredChecks: [build, test]",
        &format!("requiredChecks: {}", fuzz_support::anchor_bomb(9)),
    );
    let Err(PipelineError::Invalid { diagnostics }) = load(bombed.as_bytes(), None) else {
        panic!("an alias bomb was accepted");
    };
    assert_eq!(diagnostics[0].line, at, "{}", diagnostics[0]);
    let values_at = line_of(SHIPPED, "valuesFile: values-staging.yaml");
    let bombed_values = format!("replicaCount: 2\nbomb: {}\n", fuzz_support::anchor_bomb(9));
    let Err(PipelineError::Invalid { diagnostics }) =
        load(SHIPPED.as_bytes(), Some(bombed_values.as_bytes()))
    else {
        panic!("an alias bomb in a values file was accepted");
    };
    assert_eq!(diagnostics[0].line, values_at, "{}", diagnostics[0]);
}
