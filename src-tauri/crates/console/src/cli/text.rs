//! Text for terminals. Anything printed may come from the cluster, GitHub or a person (a PR
//! title, an image name, a comment): control characters could retitle, clear or recolour the
//! reader's terminal, and bidirectional overrides could make a review read differently from
//! what it says. Both are shown as visible escapes instead.

use comfy_table::presets::NOTHING;
use comfy_table::{CellAlignment, ContentArrangement, Table};

/// `text` with C0/C1 controls (but newline and tab) and bidi controls escaped as `\u{…}`.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let control = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if control {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A borderless, left-aligned table of `header` and `rows`, as `kubectl get` prints them;
/// every cell made [`plain`] and kept on one line.
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_style(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for row in rows {
        t.add_row(
            row.iter()
                .map(|c| plain(&c.replace(['\r', '\n'], " ")))
                .collect::<Vec<_>>(),
        );
    }
    for column in t.column_iter_mut() {
        column.set_cell_alignment(CellAlignment::Left);
        column.set_padding((0, 2));
    }
    let mut out: String = t
        .lines()
        .map(|l| l.trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_and_bidi_overrides_are_made_visible() {
        let image = "ghcr.io/x:1\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{1b}[31m\u{202e}gnp.exe";
        let shown = plain(image);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert_eq!(
            shown,
            "ghcr.io/x:1\\u{001b}]0;PWNED\\u{0007}\\u{001b}[2J\\u{001b}[31m\\u{202e}gnp.exe"
        );
        assert_eq!(plain("a\tb\nc"), "a\tb\nc");
        assert_eq!(plain("\u{9b}31m"), "\\u{009b}31m", "C1 controls too");
    }

    #[test]
    fn tables_align_columns_without_borders() {
        let out = table(
            &["NAME", "VERSION"],
            [
                vec!["dev".into(), "a1b2c3d".into()],
                vec!["production".into(), "e\u{1b}[2J".into()],
            ],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "NAME        VERSION");
        assert_eq!(lines[1], "dev         a1b2c3d");
        assert_eq!(lines[2], "production  e\\u{001b}[2J");
    }
}
