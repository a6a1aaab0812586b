//! "Did you mean …?" for names a person mistyped.

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub(super) fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word_lower, &c.to_lowercase()),
                c,
            )
        })
        .filter(|(distance, c)| {
            let c = c.to_lowercase();
            *distance <= (c.len().max(word_lower.len()) / 3).max(2)
                || (c.len() >= 3 && (word_lower.starts_with(&c) || c.starts_with(&word_lower)))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// Builds a hint from serde's own wording ("unknown field `x`, expected one of `a`, `b`",
/// "unknown variant …", "missing field `x`", "invalid type …").
pub(super) fn hint_for_serde_message(message: &str) -> String {
    let quoted = backticked(message);
    if message.starts_with("unknown field") || message.starts_with("unknown variant") {
        let what = if message.starts_with("unknown field") {
            "keys"
        } else {
            "values"
        };
        let Some(unknown) = quoted.first().copied() else {
            return "Check the spelling against the documented keys.".to_owned();
        };
        let allowed = expected_names(message);
        let list = allowed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return match nearest(unknown, allowed.iter().copied()) {
            Some(best) => format!(
                "Did you mean `{best}`? Write `{best}` instead of `{unknown}` (allowed {what} here: {list})."
            ),
            None if allowed.is_empty() => format!("Remove `{unknown}`: nothing is allowed here."),
            None => format!("Remove `{unknown}` or use one of the allowed {what} here: {list}."),
        };
    }
    if message.starts_with("missing field")
        && let Some(field) = quoted.first()
    {
        return format!("Add `{field}:` with a value to this entry.");
    }
    if message.starts_with("invalid type") {
        return "Give the value the type the message names (quote text, use a list for several items).".to_owned();
    }
    "Fix the YAML at this position; see environments/pipeline.yaml for a complete example."
        .to_owned()
}

/// The names after "expected", whether serde wrote "one of `a`, `b`", "`a` or `b`" or "a, b".
fn expected_names(message: &str) -> Vec<&str> {
    let Some((_, tail)) = message.split_once("expected ") else {
        return Vec::new();
    };
    let tail = tail.split(" at line ").next().unwrap_or(tail);
    let tail = tail.strip_prefix("one of ").unwrap_or(tail);
    tail.split(", ")
        .flat_map(|part| part.split(" or "))
        .map(|name| name.trim().trim_matches('`'))
        .filter(|name| !name.is_empty())
        .collect()
}

fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_typos_and_ignores_unrelated_words() {
        let keys = ["name", "namespace", "kubeContext", "release"];
        assert_eq!(nearest("namspace", keys), Some("namespace"));
        assert_eq!(nearest("kubecontext", keys), Some("kubeContext"));
        assert_eq!(nearest("replicas", keys), None);
    }

    #[test]
    fn unknown_field_hint_names_the_nearest_key() {
        let hint =
            hint_for_serde_message("unknown field `namspace`, expected one of `name`, `namespace`");
        assert!(hint.starts_with("Did you mean `namespace`?"), "{hint}");
    }

    #[test]
    fn expected_names_in_every_wording() {
        assert_eq!(
            expected_names("unknown field `x`, expected one of a, bB at line 2, column 1"),
            ["a", "bB"]
        );
        assert_eq!(
            expected_names("unknown variant `x`, expected `a` or `b`"),
            ["a", "b"]
        );
        assert_eq!(
            expected_names("unknown field `x`, expected one of `a`, `b`, `c`"),
            ["a", "b", "c"]
        );
        assert!(expected_names("unknown field `x`, there are no fields").is_empty());
    }

    #[test]
    fn missing_field_hint_says_what_to_add() {
        assert_eq!(
            hint_for_serde_message("missing field `release`"),
            "Add `release:` with a value to this entry."
        );
    }
}
