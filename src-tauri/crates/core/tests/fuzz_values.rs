#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Values files are Helm YAML written by whoever can push to the repository, and the path to
//! one is written in the pipeline file. Any text parses or is refused with a position; deep
//! nesting and alias bombs are refused, not expanded; a file is read only inside the pipeline
//! file's folder and only up to its size cap; and values written as JSON (which is YAML) come
//! back key for key.

mod fuzz_support;

use std::path::Path;

use fuzz_support::{anchor_bomb, budget, control_characters, mutated, random_bytes};
use proptest::prelude::*;
use serde_json::Value;
use sluice_core::config::values_file::{self, MAX_BYTES};
use sluice_core::values::{FlatValues, read_tree};

const STAGING: &str = include_str!("../../../../environments/values-staging.yaml");
const SECRET: &str = "token: CANARY-outside-the-folder";

/// Parses `text` and checks the outcome's contract.
fn parse(text: &str) -> Result<FlatValues, serde_saphyr::Error> {
    let result = FlatValues::parse(text);
    if let Err(e) = &result {
        assert!(!e.to_string().trim().is_empty());
        if !text.trim().is_empty() {
            let at = e.location().unwrap_or_else(|| panic!("no position: {e}"));
            assert!(at.line() >= 1, "{e}");
        }
    }
    result
}

/// Reads `bytes` as a values file the way every reader does, and checks the outcome.
fn read(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("values.yaml"), bytes).unwrap();
    match values_file::read(dir.path(), "values.yaml") {
        Ok(text) => {
            assert_eq!(text.as_bytes(), bytes);
            assert!(bytes.len() as u64 <= MAX_BYTES);
            let tree = read_tree(dir.path(), "values.yaml");
            match parse(&text) {
                Ok(flat) => assert_eq!(FlatValues::from_tree(&tree.unwrap()), flat),
                Err(_) => assert!(tree.unwrap_err().contains("values.yaml")),
            }
        }
        Err(e) => {
            assert!(
                std::str::from_utf8(bytes).is_err() || bytes.len() as u64 > MAX_BYTES,
                "a readable file was refused: {e}"
            );
            assert!(!e.hint().is_empty());
            assert!(read_tree(dir.path(), "values.yaml").is_err());
        }
    }
}

/// A values tree as JSON can write it: any text as keys and strings, whole numbers, booleans
/// and nulls, nested a few levels.
fn values_tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(|s| Value::String(yaml_printable(&s))),
        "[a-z0-9 ._/:-]{0,12}".prop_map(Value::String),
        control_characters().prop_map(|s| Value::String(yaml_printable(&s))),
    ];
    let tree = leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(
                "\\PC{0,12}".prop_map(|k| yaml_printable(&k)),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::btree_map("\\PC{1,12}".prop_map(|k| yaml_printable(&k)), tree, 0..8)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// `text` without the characters YAML does not allow unescaped (DEL and the C1 controls but
/// NEL), which JSON writes as they are: YAML rightly refuses those.
fn yaml_printable(text: &str) -> String {
    text.chars()
        .filter(|&c| !matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}'))
        .collect()
}

/// Paths a pipeline file could name, from the pieces that matter: climbing, absolute, links
/// leading out, controls.
fn written_path() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "..",
        ".",
        "",
        "values.yaml",
        "secret.yaml",
        "out",
        "inside",
        "sub",
        "link.yaml",
        "/",
        "\\",
        "\0",
        "\u{202e}",
        "~",
        "C:",
        "//",
    ]);
    proptest::collection::vec(piece, 1..6).prop_map(|parts| parts.join("/"))
}

proptest! {
    #![proptest_config(budget(64))]

    #[test]
    fn any_text_parses_or_is_refused_with_a_position(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn any_bytes_are_read_or_refused(bytes in random_bytes()) {
        read(&bytes);
    }

    #[test]
    fn a_mutated_values_file_is_read_or_refused(bytes in mutated(STAGING)) {
        read(&bytes);
    }

    /// JSON is YAML: a tree written as JSON flattens to the keys and values of the tree.
    #[test]
    fn values_written_as_json_come_back_key_for_key(tree in values_tree(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&tree).unwrap()
        } else {
            serde_json::to_string(&tree).unwrap()
        };
        let flat = FlatValues::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(flat, FlatValues::from_tree(&tree));
    }

    /// Whatever path is written, only a file inside the folder is ever read.
    #[test]
    fn only_files_inside_the_folder_are_read(written in written_path()) {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("inside");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("values.yaml"), "replicaCount: 1\n").unwrap();
        std::fs::write(dir.join("sub/values.yaml"), "replicaCount: 2\n").unwrap();
        std::fs::write(root.path().join("secret.yaml"), SECRET).unwrap();
        std::os::unix::fs::symlink(root.path().join("secret.yaml"), dir.join("link.yaml")).unwrap();
        std::os::unix::fs::symlink("/", dir.join("out")).unwrap();
        match values_file::read(&dir, &written) {
            Ok(text) => prop_assert!(text.starts_with("replicaCount: "), "{:?} read {:?}", written, text),
            Err(e) => {
                prop_assert!(!e.to_string().contains("CANARY"));
                prop_assert!(!e.hint().is_empty());
            }
        }
        if values_file::check_written(&written).is_ok() {
            let path = Path::new(&written);
            prop_assert!(path.is_relative());
            prop_assert!(!path.components().any(|c| c == std::path::Component::ParentDir));
            prop_assert!(!written.contains(['\0', '\u{202e}']), "{:?}", written);
        }
    }
}

#[test]
fn nesting_beyond_the_budget_is_refused_not_followed() {
    for text in [
        format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("a: {}b{}", "{a: ".repeat(100_000), "}".repeat(100_000)),
        (0..200)
            .map(|i| format!("{}a{i}:", "  ".repeat(i)))
            .collect::<Vec<_>>()
            .join("\n"),
    ] {
        let e = parse(&text).unwrap_err();
        assert!(e.location().unwrap().line() >= 1);
    }
}

#[test]
fn an_alias_bomb_is_refused_not_expanded() {
    let text = format!("replicaCount: 2\nbomb: {}\n", anchor_bomb(9));
    let e = parse(&text).unwrap_err();
    assert_eq!(e.location().unwrap().line(), 2, "{e}");
    // A small alias tree is a fine values file.
    let small = parse(&format!("bomb: {}\n", anchor_bomb(1))).unwrap();
    assert_eq!(small.get("bomb[1][9][9]"), Some("x"));
}

#[test]
fn a_file_past_the_cap_is_refused() {
    let mut big = STAGING.as_bytes().to_vec();
    big.resize(MAX_BYTES as usize + 1, b'#');
    read(&big);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("values.yaml"), &big).unwrap();
    let e = values_file::read(dir.path(), "values.yaml").unwrap_err();
    assert_eq!(e.code(), "values.too-large");
}
