//! The matrix as GitHub-flavoured Markdown.

use std::fmt::Write as _;

use super::{LEGEND, Matrix, Verdict, count, date, level_text, mark, suite_label};
use crate::report::escape::markdown::cell as md_cell;

/// GitHub-flavoured Markdown: a table of providers and their levels, then a
/// table per suite version (checks × the providers that ran it), then the
/// reasons of what did not pass.
pub fn markdown(m: &Matrix) -> String {
    let mut md = String::new();
    md.push_str("## Compatibility matrix\n\n");
    let _ = writeln!(md, "{} from puppet-lint reports.\n", count(m.providers.len(), "provider"));
    md.push_str("| Provider | Service | Date | puppet-lint |");
    for suite in &m.suites {
        let _ = write!(md, " {} |", md_cell(&suite_label(suite)));
    }
    md.push_str("\n| --- | --- | --- | --- |");
    md.push_str(&" --- |".repeat(m.suites.len()));
    md.push('\n');
    for (index, provider) in m.providers.iter().enumerate() {
        let partial = if provider.partial { " (partial run)" } else { "" };
        let _ = write!(
            md,
            "| {}{partial} | {} | {} | {} |",
            md_cell(&provider.name),
            md_cell(provider.service_version.as_deref().unwrap_or("")),
            md_cell(date(&provider.started_at)),
            md_cell(&provider.puppet_lint_version)
        );
        for suite in &m.suites {
            match suite.providers.iter().position(|&listed| listed == index) {
                Some(column) => {
                    let _ = write!(md, " {} |", md_cell(&level_text(&suite.certification[column])));
                }
                None => md.push_str(" · |"),
            }
        }
        md.push('\n');
    }
    for suite in &m.suites {
        let title = if suite.title.is_empty() { String::new() } else { format!(" — {}", md_cell(&suite.title)) };
        let _ = writeln!(md, "\n### {}{title}\n", md_cell(&suite_label(suite)));
        md.push_str("| Check | Level |");
        for &provider in &suite.providers {
            let _ = write!(md, " {} |", md_cell(&m.providers[provider].name));
        }
        md.push_str("\n| --- | --- |");
        md.push_str(&" :-: |".repeat(suite.providers.len()));
        md.push('\n');
        for row in &suite.checks {
            let _ = write!(md, "| {} | {} |", md_cell(&row.id), md_cell(&row.level));
            for result in &row.results {
                let _ = write!(md, " {} |", mark(result.as_ref().map(|cell| cell.verdict)));
            }
            md.push('\n');
        }
        let mut notes = String::new();
        for row in &suite.checks {
            for (column, result) in row.results.iter().enumerate() {
                let Some(cell) = result else { continue };
                if matches!(cell.verdict, Verdict::Pass | Verdict::Skip) {
                    continue;
                }
                let reason = cell.reason.as_deref().map(|reason| format!(": {}", md_cell(reason))).unwrap_or_default();
                let _ = writeln!(
                    notes,
                    "- {} {} · {} · {}{reason}",
                    mark(Some(cell.verdict)),
                    md_cell(&m.providers[suite.providers[column]].name),
                    md_cell(&row.id),
                    cell.verdict.name()
                );
            }
        }
        if !notes.is_empty() {
            let _ = write!(md, "\n{notes}");
        }
    }
    md.push_str("\n**Legend:** ");
    let legend: Vec<String> =
        LEGEND.iter().map(|(verdict, text)| format!("{} {}", mark(*verdict), text.replace('`', ""))).collect();
    md.push_str(&legend.join("; "));
    md.push('\n');
    crate::redact::redact(&md).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_escape_tables_html_and_inline_syntax() {
        assert_eq!(md_cell("a|b\nc <v> *y* [l](u) `c` \\"), "a\\|b c &lt;v&gt; \\*y\\* \\[l\\]\\(u\\) \\`c\\` \\\\");
    }
}
