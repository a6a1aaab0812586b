//! Characters that change how the text around them is shown rather than being shown: C0 and C1
//! controls (a terminal takes ESC, CSI or BEL as commands: retitle, clear, recolour) and the
//! bidirectional formatting characters (they reorder what follows, so a name or a review can
//! read differently from what it says). Names in the pipeline file refuse them; printers show
//! them escaped.

/// A control character (C0, DEL or C1) or a bidirectional formatting character.
pub fn is_control_or_bidi(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
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
            '\u{202e}', '\u{2066}', '\u{2069}',
        ] {
            assert!(is_control_or_bidi(c), "{:?}", c);
        }
        for c in ['a', ' ', 'é', '→', '✓', '\u{200b}', '日'] {
            assert!(!is_control_or_bidi(c), "{:?}", c);
        }
    }
}
