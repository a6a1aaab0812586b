//! The one way `sluice` writes to its standard output and error. What it prints comes from the
//! cluster, GitHub, the journal and people (image names, PR and commit titles, health reasons,
//! comments): a control character could retitle, clear or recolour the reader's terminal, and a
//! bidirectional override make a review read differently from what it says. Every character of
//! that kind is made visible here, whichever printer wrote the text; `print!` and friends are
//! refused elsewhere in `cli/` (clippy's `print_stdout` and `print_stderr`).
//!
//! Write errors (a closed pipe: `sluice status | head -1`) end the output quietly instead of
//! panicking as `println!` would.

use std::io::Write;

use sluice_core::text::{is_control_or_bidi, visible};

/// Prints `text` on stdout as it is laid out, controls made visible.
pub(super) fn print(text: &str) {
    let _ = write_safe(&mut std::io::stdout().lock(), text);
}

/// [`print`] and a newline.
pub(super) fn println(text: &str) {
    print(&format!("{text}\n"));
}

/// A line on stderr, controls made visible.
pub(super) fn eprintln(text: &str) {
    let _ = write_line(&mut std::io::stderr().lock(), text);
}

/// A JSON document and a newline on stdout. Escaped the JSON way (`\u202e`), so that it still
/// parses to exactly what was said: serde_json escapes C0 controls itself but not DEL, C1
/// controls or bidi characters.
pub(super) fn print_json(json: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_all(json_safe(json).as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
}

/// `text` and a newline to `out` (tests pass a buffer), controls made visible.
pub(super) fn write_line(out: &mut dyn Write, text: &str) -> std::io::Result<()> {
    write_safe(out, &format!("{text}\n"))
}

fn write_safe(out: &mut dyn Write, text: &str) -> std::io::Result<()> {
    out.write_all(visible(text).as_bytes())?;
    out.flush()
}

/// `json` with every control and bidi character that is not JSON layout (a newline) written as
/// a `\uXXXX` escape. Outside strings JSON holds only ASCII punctuation and whitespace, so every
/// such character is inside a string, where the escape means the same character.
fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if is_control_or_bidi(c) && c != '\n' {
            // Every such character is in the Basic Multilingual Plane: one escape each.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_its_meaning_and_loses_its_raw_controls() {
        let value = serde_json::json!({
            "image": "ghcr.io/x\u{1b}]0;PWNED\u{7}\u{202e}gnp\u{9b}1m\u{7f}\u{61c}",
            "list": ["a\nb", "\t"],
        });
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let safe = json_safe(&pretty);
        assert!(
            !safe.chars().any(|c| is_control_or_bidi(c) && c != '\n'),
            "{safe:?}"
        );
        assert!(safe.contains("\\u202e"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn lines_written_for_tests_are_escaped_too() {
        let mut out = Vec::new();
        write_line(&mut out, "code \u{1b}[2J1234").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "code \\u{001b}[2J1234\n");
    }
}
