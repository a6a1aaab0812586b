#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Image references come from pods, releases and developers' deploys: the parser must split
//! any text without panicking, and give back exactly what a valid reference was built from.

use proptest::prelude::*;
use sluice_core::image::{ImageReference, parse, tag_of};

/// `make test` runs a short budget; `make fuzz` sets PROPTEST_CASES for a long one.
fn budget(short: u32) -> ProptestConfig {
    let config = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_some() {
        config
    } else {
        ProptestConfig {
            cases: short,
            ..config
        }
    }
}

/// A reference as registries write them, and the parts it was built from.
fn valid_reference() -> impl Strategy<Value = (String, String, Option<String>, Option<String>)> {
    let registry = proptest::option::of("[a-z0-9]{1,10}(\\.[a-z]{2,5})?(:[0-9]{1,5})?");
    let path = proptest::collection::vec("[a-z0-9]{1,8}([._-][a-z0-9]{1,5})?", 1..4);
    let tag = proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}");
    let digest = proptest::option::of("sha256:[0-9a-f]{64}");
    (registry, path, tag, digest).prop_map(|(registry, path, tag, digest)| {
        let mut name = path.join("/");
        if let Some(registry) = registry {
            name = format!("{registry}/{name}");
        }
        let mut text = name.clone();
        if let Some(tag) = &tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &digest {
            text.push('@');
            text.push_str(digest);
        }
        (text, name, tag, digest)
    })
}

/// Text near valid references: the separators image references use, doubled and misplaced,
/// with control characters and non-ASCII between them.
fn reference_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z0-9.]{0,6}",
        Just(":".to_owned()),
        Just("/".to_owned()),
        Just("@".to_owned()),
        Just("sha256:".to_owned()),
        "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}]",
        "\\PC{1,3}",
    ];
    proptest::collection::vec(piece, 0..16).prop_map(|parts| parts.concat())
}

fn check_any(text: &str) {
    let r = parse(text);
    assert!(text.starts_with(r.name), "{text:?}: name {:?}", r.name);
    if let Some(tag) = r.tag {
        assert!(!tag.is_empty());
        assert!(
            !tag.contains([':', '/', '@']),
            "{text:?}: tag {tag:?} holds a separator"
        );
        assert!(text.contains(&format!(":{tag}")), "{text:?}");
    }
    if let Some(digest) = r.digest {
        assert!(!digest.is_empty());
        assert!(text.ends_with(&format!("@{digest}")), "{text:?}");
    }
    assert_eq!(tag_of(text), r.tag);
    assert!(r.name.ends_with(r.base_name()));
    assert!(r.pinned_to(Some("sha256:0")).ends_with("@sha256:0"));
}

proptest! {
    #![proptest_config(budget(256))]

    #[test]
    fn any_text_splits_without_panicking(text in any::<String>()) {
        check_any(&text);
    }

    #[test]
    fn text_near_references_splits_without_panicking(text in reference_like()) {
        check_any(&text);
    }

    /// parse(display(x)) == x: every part of a valid reference comes back as it was written,
    /// a registry port never taken for a tag.
    #[test]
    fn a_valid_reference_parses_into_its_parts((text, name, tag, digest) in valid_reference()) {
        let r = parse(&text);
        prop_assert_eq!(
            r,
            ImageReference { name: &name, tag: tag.as_deref(), digest: digest.as_deref() }
        );
        let shown = r.pinned_to(None);
        prop_assert_eq!(&shown, &text);
        prop_assert_eq!(parse(&shown), r);
        prop_assert_eq!(r.base_name(), name.rsplit('/').next().unwrap());
        let pinned = r.pinned_to(Some("sha256:feed"));
        let repinned = parse(&pinned);
        prop_assert_eq!(
            (repinned.name, repinned.tag, repinned.digest),
            (name.as_str(), tag.as_deref(), Some("sha256:feed"))
        );
    }
}
