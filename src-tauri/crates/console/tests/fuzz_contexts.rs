#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `kube-contexts.json` is Sluice's own file, but it lives in the person's config folder where
//! editors, sync tools and disk faults reach it. Whatever it holds, reading it gives the choices
//! or an error that says how to recover, and a damaged file is never overwritten by the next
//! choice; what is chosen, any text at all, is read back as it was.

#[path = "../../core/tests/fuzz_support/mod.rs"]
mod fuzz_support;

use std::path::Path;

use fuzz_support::{budget, deep_json, mutated_json, random_bytes};
use proptest::prelude::*;
use serde_json::json;
use sluice_console::contexts::{Choices, ContextChoices};

const PIPELINE: &str = "/repo/environments/pipeline.yaml";

/// Reads `bytes` as the choices file and checks the outcome's contract.
fn check(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kube-contexts.json");
    std::fs::write(&path, bytes).unwrap();
    let choices = ContextChoices::at(&path);
    match choices.read(Path::new(PIPELINE)) {
        Ok(read) => {
            // Readable: a choice can be added and is kept with the others.
            choices
                .set(Path::new(PIPELINE), "fuzz-env", Some("fuzz-ctx"))
                .unwrap();
            let mut expected = read;
            expected.insert("fuzz-env".into(), "fuzz-ctx".into());
            assert_eq!(choices.read(Path::new(PIPELINE)).unwrap(), expected);
        }
        Err(e) => {
            let ui = e.to_ui();
            assert_eq!(ui.code, "contexts.unreadable");
            assert!(!ui.message.trim().is_empty());
            assert!(ui.hint.contains("Fix or delete"), "{}", ui.hint);
            // What the person may still repair is left as it was.
            assert!(choices.set(Path::new(PIPELINE), "dev", Some("x")).is_err());
            assert_eq!(std::fs::read(&path).unwrap(), bytes);
        }
    }
}

proptest! {
    #![proptest_config(budget(64))]

    #[test]
    fn any_bytes_are_read_or_refused_with_a_hint(bytes in random_bytes()) {
        check(&bytes);
    }

    #[test]
    fn a_mutated_file_is_read_or_refused_with_a_hint(
        bytes in mutated_json(json!({
            "pipelines": {
                PIPELINE: {"production": "prod-admin", "staging": "kind-staging"},
                "/other/pipeline.yaml": {"dev": "kind-dev"}
            }
        }))
    ) {
        check(&bytes);
    }

    #[test]
    fn deep_nesting_is_refused(bytes in deep_json()) {
        check(&bytes);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kube-contexts.json");
        std::fs::write(&path, &bytes).unwrap();
        prop_assert!(ContextChoices::at(&path).read(Path::new(PIPELINE)).is_err());
    }

    /// Any environment and context names, controls and all, are kept exactly.
    #[test]
    fn choices_are_read_back_as_chosen(
        chosen in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let choices = ContextChoices::at(dir.path().join("cfg/kube-contexts.json"));
        for (env, ctx) in &chosen {
            choices.set(Path::new(PIPELINE), env, Some(ctx)).unwrap();
        }
        prop_assert_eq!(choices.read(Path::new(PIPELINE)).unwrap(), chosen.clone());
        if let Some(env) = chosen.keys().next() {
            choices.set(Path::new(PIPELINE), env, None).unwrap();
            let mut rest: Choices = chosen.clone();
            rest.remove(env);
            prop_assert_eq!(choices.read(Path::new(PIPELINE)).unwrap(), rest);
        }
    }
}

#[test]
fn a_file_past_the_cap_is_refused_unread() {
    let mut big = br#"{"pipelines": {}}"#.to_vec();
    big.resize((1 << 20) + 1, b' ');
    check(&big);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kube-contexts.json");
    std::fs::write(&path, &big).unwrap();
    let e = ContextChoices::at(&path)
        .read(Path::new(PIPELINE))
        .unwrap_err();
    assert!(e.to_string().contains("too large"), "{e}");
}
