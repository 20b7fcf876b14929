//! The matrix as GitHub-flavoured Markdown.

use std::fmt::Write as _;

use super::{DISAGREES_MARK, LEGEND, Matrix, Verdict, count, date, level_text, mark, outcome_mark, suite_label};
use crate::report::escape::markdown::{cell as md_cell, code_cell};
use crate::vocab::capability::{Agreement, Outcome, Score};

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
    let capabilities = capabilities(m);
    if !capabilities.is_empty() {
        md.push('\n');
        md.push_str(&capabilities);
    }
    crate::redact::redact(&md).into_owned()
}

/// The capability section alone (empty when no report probed capabilities): shaped like the Wechaty docs'
/// compatibility table — a row per feature, grouped as the docs group them, a column per provider — with each
/// provider's coverage and correctness, the numbered notes, where a claim and a measurement disagree, and a legend.
/// Every string from a report is escaped for a table cell.
pub fn capabilities(m: &Matrix) -> String {
    let Some(section) = &m.capabilities else { return String::new() };
    let name = |column: usize| md_cell(&m.providers[section.providers[column]].name);
    let mut md = String::new();
    md.push_str("## Capabilities\n\n");
    md.push_str(
        "What each provider did when puppet-lint probed the rows of the Wechaty docs' compatibility table \
         (wechaty/docusaurus `docs/puppet-services/compatibility.md`), measured on the wire; rows marked \\* are \
         not in that table.\n\n",
    );
    md.push_str("| Provider | Coverage | Correctness |");
    for outcome in Outcome::ALL {
        let _ = write!(md, " {} {outcome} |", outcome_mark(*outcome));
    }
    md.push_str(" Claims |\n| --- | --- | --- |");
    md.push_str(&" --: |".repeat(Outcome::ALL.len()));
    md.push_str(" --- |\n");
    for (column, score) in section.scores.iter().enumerate() {
        let _ = write!(md, "| {} | {} | {} |", name(column), score.coverage.text(), score.correctness.text());
        for outcome in Outcome::ALL {
            let _ = write!(md, " {} |", score.counts.count(*outcome));
        }
        let claims = match &section.claims[column] {
            Some(claims) => format!(
                "{} — {}, {}{}: {}",
                code_cell(&claims.column),
                md_cell(&claims.source),
                md_cell(&claims.date),
                claims.file.as_deref().map(|file| format!(" (file {})", md_cell(file))).unwrap_or_default(),
                count(score.disagreements, "disagreement")
            ),
            None => "none".to_owned(),
        };
        let _ = writeln!(md, " {claims} |");
    }
    md.push_str("\n| Feature |");
    for column in 0..section.providers.len() {
        let _ = write!(md, " {} |", name(column));
    }
    md.push_str("\n| :--- |");
    md.push_str(&" :-: |".repeat(section.providers.len()));
    md.push('\n');
    for group in &section.groups {
        let _ = write!(md, "| **{}** |", md_cell(&group.heading));
        md.push_str(&" |".repeat(section.providers.len()));
        md.push('\n');
        for row in &group.rows {
            let extra = if row.docs_number.is_none() { " \\*" } else { "" };
            let _ = write!(md, "| {}{extra} |", md_cell(&row.row));
            for cell in &row.cells {
                let text = match cell {
                    Some(cell) => {
                        let mut text = outcome_mark(cell.outcome).to_owned();
                        if let Some(note) = cell.note {
                            let _ = write!(text, " [{note}]");
                        }
                        if let (Some(claim), Some(agreement)) = (&cell.claim, cell.agreement)
                            && agreement.disagrees()
                        {
                            let _ = write!(text, " {DISAGREES_MARK} claimed {}", md_cell(&claim.text()));
                        }
                        text
                    }
                    None => "·".to_owned(),
                };
                let _ = write!(md, " {text} |");
            }
            md.push('\n');
        }
    }
    if !section.notes.is_empty() {
        md.push_str("\n**Notes**\n\n");
        for (index, note) in section.notes.iter().enumerate() {
            let _ = writeln!(md, "{}. {}", index + 1, md_cell(note));
        }
    }
    let disagreements = section.disagreements();
    if section.claims.iter().any(Option::is_some) {
        md.push_str("\n**Claimed versus measured**\n\n");
        if disagreements.is_empty() {
            md.push_str("Every row probed says what its claim says.\n");
        }
        for (column, row, cell) in disagreements {
            let claim = cell.claim.as_ref().map(|claim| claim.text()).unwrap_or_default();
            let source = section.claims[column].as_ref().map(|claims| claims.column.as_str()).unwrap_or_default();
            let note = cell.note.map(|note| format!(" [{note}]")).unwrap_or_default();
            let _ = writeln!(
                md,
                "- {} · {}: claimed {} ({}), measured {}{note} — {}",
                name(column),
                md_cell(&row.row),
                md_cell(&claim),
                code_cell(source),
                cell.outcome,
                cell.agreement.map_or("", Agreement::as_str)
            );
        }
    }
    md.push_str("\n**Legend**\n\n");
    md.push_str(&legend());
    md
}

/// Every mark and both numbers, defined.
fn legend() -> String {
    let mut md = String::new();
    for outcome in Outcome::ALL {
        let _ = writeln!(md, "- {} **{outcome}**: {}", outcome_mark(*outcome), outcome.meaning());
    }
    let _ = writeln!(md, "- \\[n\\]: the row's note n above (why it is partial, unsupported, broken or untested)");
    let _ = writeln!(md, "- \\*: a row the docs' table does not have (an rpc it never names)");
    let _ = writeln!(md, "- · : the provider's report has no such row");
    for agreement in [Agreement::Overclaimed, Agreement::Unclaimed] {
        let _ = writeln!(md, "- {DISAGREES_MARK} claimed … — **{agreement}**: {}", agreement.meaning());
    }
    let _ = writeln!(md, "- **Coverage** = {}", Score::COVERAGE);
    let _ = writeln!(md, "- **Correctness** = {}", Score::CORRECTNESS);
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_escape_tables_html_and_inline_syntax() {
        assert_eq!(md_cell("a|b\nc <v> *y* [l](u) `c` \\"), "a\\|b c &lt;v&gt; \\*y\\* \\[l\\]\\(u\\) \\`c\\` \\\\");
    }
}
