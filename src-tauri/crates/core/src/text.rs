//! Characters that change how the text around them is shown rather than being shown: C0 and C1
//! controls (a terminal takes ESC, CSI or BEL as commands: retitle, clear, recolour) and the
//! bidirectional formatting characters (they reorder what follows, so a name or a review can
//! read differently from what it says). Names in the pipeline file refuse them; printers show
//! them escaped.

/// A control character (C0, DEL or C1), a bidirectional formatting character, or the Unicode
/// line and paragraph separators (U+2028, U+2029: they break a line where none shows in the
/// bytes, so one printed value can pass for two).
pub fn is_control_or_bidi(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `text` with every control and bidirectional formatting character written out as `\u{…}`,
/// for a terminal or a log line. Newlines, tabs and the CR of a CRLF (CSV's line ending) are
/// layout and stay; a lone CR would let a line overwrite itself.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let layout = matches!(c, '\n' | '\t') || (c == '\r' && chars.peek() == Some(&'\n'));
        if is_control_or_bidi(c) && !layout {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// ALM, LRM, RLM, the embeddings and overrides (LRE…RLO) and the isolates (LRI…PDI).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_formatting_are_caught_and_ordinary_text_is_not() {
        for c in [
            '\0', '\u{7}', '\u{1b}', '\r', '\n', '\u{7f}', '\u{9b}', '\u{61c}', '\u{200f}',
            '\u{202e}', '\u{2066}', '\u{2069}', '\u{2028}', '\u{2029}',
        ] {
            assert!(is_control_or_bidi(c), "{:?}", c);
        }
        for c in ['a', ' ', 'é', '→', '✓', '\u{200b}', '日'] {
            assert!(!is_control_or_bidi(c), "{:?}", c);
        }
    }

    #[test]
    fn terminal_escapes_and_bidi_overrides_are_made_visible() {
        let image = "ghcr.io/x:1\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[31m\u{202e}gnp.exe\u{61c}";
        let shown = visible(image);
        assert!(!shown.chars().any(is_control_or_bidi), "{shown:?}");
        assert_eq!(
            shown,
            "ghcr.io/x:1\\u{001b}]0;PWNED\\u{0007}\\u{001b}[2J\\u{001b}[31m\\u{202e}gnp.exe\\u{061c}"
        );
        assert_eq!(visible("\u{9b}31m"), "\\u{009b}31m", "C1 controls too");
        assert_eq!(
            visible(&visible(image)),
            shown,
            "escaping twice changes nothing"
        );
    }

    #[test]
    fn layout_stays_but_a_lone_carriage_return_does_not() {
        assert_eq!(visible("a\tb\nc\r\nd"), "a\tb\nc\r\nd");
        assert_eq!(visible("paid\rfree"), "paid\\u{000d}free");
        assert_eq!(visible("end\r"), "end\\u{000d}");
    }
}
