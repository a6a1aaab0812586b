//! What the fuzz targets (`tests/fuzz_*.rs` in each crate) share: the case budget and the
//! hostile inputs, both random and made by mutating a valid sample. Included with `#[path]`
//! by the other crates' targets, so that every parser meets the same mutations.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::Index;

/// `make test` runs `short` cases; `make fuzz` sets PROPTEST_CASES for a long run, which
/// `ProptestConfig::default()` reads. Failures are reported with the smallest input found and
/// kept as regression tests by hand, not in files beside the sources.
pub fn budget(short: u32) -> ProptestConfig {
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

/// Any bytes, mostly short, sometimes long.
pub fn random_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..256),
        1 => proptest::collection::vec(any::<u8>(), 0..16_384),
    ]
}

/// C0 and C1 controls, DEL, and the bidirectional formatting characters.
pub fn control_characters() -> impl Strategy<Value = String> {
    "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{200e}\\u{200f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]{1,4}"
}

/// `levels` of anchors, each a list of ten aliases of the one before: 10^levels nodes if
/// expanded, a few hundred bytes as written.
pub fn anchor_bomb(levels: usize) -> String {
    let mut parts = vec!["&l0 [x, x, x, x, x, x, x, x, x, x]".to_owned()];
    for level in 1..=levels {
        let alias = format!("*l{}", level - 1);
        parts.push(format!("&l{level} [{}]", vec![alias; 10].join(", ")));
    }
    format!("[{}]", parts.join(", "))
}

/// Values a YAML scalar position can receive: plain words, any text, controls, YAML syntax
/// out of place, numbers out of range, huge strings, deep flow nesting and alias bombs.
pub fn yaml_value() -> impl Strategy<Value = String> {
    let syntax = prop::sample::select(vec![
        "*a",
        "&a x",
        "&a",
        "*undefined",
        "!!binary aGk=",
        "!!str",
        "!!map",
        "!custom x",
        "{",
        "[",
        "]",
        "}",
        "'",
        "\"",
        "\"\\u12\"",
        "\"\\x\"",
        "|",
        ">",
        "|-\n  x",
        "? x",
        ": x",
        "- x",
        "~",
        "null",
        "true",
        "no",
        "-1",
        "0x1F",
        "0o17",
        "1e400",
        "-0",
        "99999999999999999999999999",
        ".nan",
        ".inf",
        "<<: *a",
        "%YAML 1.2",
        "---",
        "...",
        "#",
        "\t",
        "@x",
        "`x",
        "{a: 1, a: 2}",
        "[a, {b: [c, {d: e}]}]",
        "\"a\\\"b\"",
        "'a''b'",
        "{? [a]: b}",
        "!!merge <<",
        "&a [*a]",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        12 => "[a-zA-Z0-9 ._/:@-]{0,16}",
        6 => syntax,
        4 => any::<String>(),
        4 => control_characters(),
        2 => (1usize..200_000).prop_map(|n| "x".repeat(n)),
        2 => (1usize..5_000).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n))),
        2 => (1usize..5_000).prop_map(|n| format!("{}b{}", "{a: ".repeat(n), "}".repeat(n))),
        // Small ones only: a bomb the parser refuses costs it its whole node budget (seconds
        // in a debug build), so refusal has its own test beside each YAML target.
        1 => (1usize..=4).prop_map(anchor_bomb),
    ]
}

/// A block of lines a YAML file could receive: a key with a hostile value, a deep block
/// mapping, many keys, a document marker, a tab-indented line.
pub fn yaml_block() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ("[a-zA-Z]{1,12}", yaml_value()).prop_map(|(k, v)| format!("{k}: {v}")),
        2 => yaml_value(),
        1 => (1usize..400).prop_map(|n| {
            (0..n).map(|i| format!("{}a{i}:", "  ".repeat(i))).collect::<Vec<_>>().join("\n")
        }),
        1 => (1usize..2_000).prop_map(|n| (0..n).map(|i| format!("k{i}: v")).collect::<Vec<_>>().join("\n")),
        1 => prop::sample::select(vec!["---", "...", "\tkey: tab", "- - - x", "%TAG ! tag:x,2000:", "? a\n: b"])
            .prop_map(str::to_owned),
    ]
}

/// One edit of a text file, at positions chosen relative to its size.
#[derive(Debug, Clone)]
pub enum Edit {
    /// The value after `key: ` or `- ` on a line (or the whole line).
    ReplaceValue(Index, String),
    InsertLines(Index, String),
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Indents (or dedents) a line by up to four spaces.
    Reindent(Index, i8),
    Truncate(Index),
    /// A byte anywhere: invalid UTF-8, NUL, a stray quote.
    InsertByte(Index, u8),
}

pub fn yaml_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (any::<Index>(), yaml_value()).prop_map(|(i, v)| Edit::ReplaceValue(i, v)),
        3 => (any::<Index>(), yaml_block()).prop_map(|(i, b)| Edit::InsertLines(i, b)),
        2 => any::<Index>().prop_map(Edit::DeleteLine),
        1 => any::<Index>().prop_map(Edit::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        1 => (any::<Index>(), -4i8..=4).prop_map(|(i, by)| Edit::Reindent(i, by)),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::InsertByte(i, b)),
    ]
}

/// `sample` after one to four edits.
pub fn mutated(sample: &str) -> impl Strategy<Value = Vec<u8>> + use<> {
    let sample = sample.as_bytes().to_vec();
    proptest::collection::vec(yaml_edit(), 1..5)
        .prop_map(move |edits| edits.iter().fold(sample.clone(), apply))
}

fn lines_of(text: &[u8]) -> Vec<Vec<u8>> {
    text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect()
}

pub fn apply(text: Vec<u8>, edit: &Edit) -> Vec<u8> {
    let mut lines = lines_of(&text);
    match edit {
        Edit::ReplaceValue(i, value) => {
            let at = i.index(lines.len());
            let line = &mut lines[at];
            let start = find(line, b": ")
                .map(|at| at + 2)
                .or_else(|| find(line, b"- ").map(|at| at + 2))
                .unwrap_or_else(|| line.iter().take_while(|&&b| b == b' ').count());
            line.truncate(start);
            line.extend_from_slice(value.as_bytes());
        }
        Edit::InsertLines(i, block) => {
            let at = i.index(lines.len() + 1);
            lines.insert(at, block.as_bytes().to_vec());
        }
        Edit::DeleteLine(i) => {
            let at = i.index(lines.len());
            lines.remove(at);
        }
        Edit::DuplicateLine(i) => {
            let at = i.index(lines.len());
            let copy = lines[at].clone();
            lines.insert(at, copy);
        }
        Edit::SwapLines(a, b) => {
            let (a, b) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(a, b);
        }
        Edit::Reindent(i, by) => {
            let at = i.index(lines.len());
            let line = &mut lines[at];
            if *by >= 0 {
                let mut indented = vec![b' '; usize::from(by.unsigned_abs())];
                indented.append(line);
                *line = indented;
            } else {
                let spaces = line.iter().take_while(|&&b| b == b' ').count();
                line.drain(..spaces.min(usize::from(by.unsigned_abs())));
            }
        }
        Edit::Truncate(i) => {
            let mut text = text;
            text.truncate(i.index(text.len() + 1));
            return text;
        }
        Edit::InsertByte(i, byte) => {
            let mut text = text;
            text.insert(i.index(text.len() + 1), *byte);
            return text;
        }
    }
    lines.join(&b'\n')
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// JSON values a field can receive instead of the one expected: other types, controls, huge
/// strings and numbers, deep nesting.
pub fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9 ._/:@-]{0,16}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
        control_characters().prop_map(Value::String),
        (1usize..200_000).prop_map(|n| Value::String("x".repeat(n))),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// JSON text nested `depth` deep, arrays or objects.
pub fn deep_json() -> impl Strategy<Value = Vec<u8>> {
    let depth = prop_oneof![1usize..300, 300usize..20_000];
    (depth, any::<bool>()).prop_map(|(depth, arrays)| {
        if arrays {
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
        } else {
            format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).into_bytes()
        }
    })
}

/// One edit of a JSON document: a value replaced (by path), a key removed or added.
#[derive(Debug, Clone)]
pub enum JsonEdit {
    Replace(Index, serde_json::Value),
    Remove(Index),
    AddKey(Index, String, serde_json::Value),
}

pub fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        4 => (any::<Index>(), json_value()).prop_map(|(i, v)| JsonEdit::Replace(i, v)),
        2 => any::<Index>().prop_map(JsonEdit::Remove),
        1 => (any::<Index>(), "[a-z_]{1,10}", json_value()).prop_map(|(i, k, v)| JsonEdit::AddKey(i, k, v)),
    ]
}

/// `sample` after one to four edits of its tree, then written out; sometimes damaged as text
/// too (truncated, a byte inserted).
pub fn mutated_json(sample: serde_json::Value) -> impl Strategy<Value = Vec<u8>> {
    let text_edit = proptest::option::weighted(
        0.25,
        prop_oneof![
            any::<Index>().prop_map(Edit::Truncate),
            (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::InsertByte(i, b)),
        ],
    );
    (proptest::collection::vec(json_edit(), 1..5), text_edit).prop_map(move |(edits, text)| {
        let mut doc = sample.clone();
        for edit in &edits {
            apply_json(&mut doc, edit);
        }
        let bytes = serde_json::to_vec(&doc).unwrap_or_default();
        match text {
            Some(edit) => apply(bytes, &edit),
            None => bytes,
        }
    })
}

/// Every node's JSON pointer, the root first.
fn pointers(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{at}/{escaped}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

pub fn apply_json(doc: &mut serde_json::Value, edit: &JsonEdit) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match edit {
        JsonEdit::Replace(i, value) => {
            if let Some(node) = doc.pointer_mut(&pick(i)) {
                *node = value.clone();
            }
        }
        JsonEdit::Remove(i) => {
            let pointer = pick(i);
            let Some((parent, last)) = pointer.rsplit_once('/') else {
                return;
            };
            let last = last.replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent) {
                Some(serde_json::Value::Object(map)) => {
                    map.remove(&last);
                }
                Some(serde_json::Value::Array(items)) => {
                    if let Ok(i) = last.parse::<usize>() {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
        JsonEdit::AddKey(i, key, value) => {
            if let Some(serde_json::Value::Object(map)) = doc.pointer_mut(&pick(i)) {
                map.insert(key.clone(), value.clone());
            }
        }
    }
}
