//! Tables for terminals.

use comfy_table::presets::NOTHING;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use sluice_core::text::visible;

/// A borderless, left-aligned table of `header` and `rows`, as `kubectl get` prints them; each
/// cell kept on one line and its controls made visible here already, so that the columns are as
/// wide as what the terminal will show.
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_style(NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for row in rows {
        t.add_row(
            row.iter()
                .map(|c| visible(&c.replace(['\r', '\n'], " ")))
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
