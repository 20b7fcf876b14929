//! The matrix as one self-contained HTML page.

use std::fmt::Write as _;

use super::{Cell, DISAGREES_MARK, LEGEND, Matrix, Verdict, count, date, level_text, mark, outcome_mark, suite_label};
use crate::report::escape::html::text as esc;
use crate::vocab::capability::{Agreement, Outcome, Score};

const STYLE: &str = include_str!("matrix.css");
const SCRIPT: &str = include_str!("matrix.js");
/// `sha256-…` of [`STYLE`] and [`SCRIPT`], for the page's CSP (a unit test
/// keeps them in step with the files).
const STYLE_HASH: &str = "sha256-6A/r0HeYN3iGpxtLnR2NoEGLiz019mtaYKFKZ4dw0CM=";
const SCRIPT_HASH: &str = "sha256-HPiuEuWxmG0oft3vb9BiR0bG3/J3+t5r1vGoUv1Nme4=";

/// The filters of the check tables (the script wires them).
const CONTROLS: &str = concat!(
    "<form id=\"controls\" class=\"controls\" hidden role=\"search\">",
    "<label>Checks <input type=\"search\" id=\"filter-checks\" placeholder=\"id or title\" autocomplete=\"off\"></label>",
    "<label>Providers <input type=\"search\" id=\"filter-providers\" placeholder=\"name\" autocomplete=\"off\"></label>",
    "<label>Show <select id=\"filter-verdict\">",
    "<option value=\"\">every check</option>",
    "<option value=\"failing\">only failing (✗ T E)</option>",
    "<option value=\"notpass\">not passing everywhere</option>",
    "<option value=\"warn\">warned (!)</option>",
    "<option value=\"skip\">skipped (-)</option>",
    "<option value=\"none\">not run somewhere (·)</option>",
    "</select></label>",
    "<output id=\"shown\"></output></form>\n"
);

/// Sort rank of a cell: the worst first.
fn rank(verdict: Option<Verdict>) -> u8 {
    match verdict {
        Some(Verdict::Fail) => 0,
        Some(Verdict::Timeout) => 1,
        Some(Verdict::Error) => 2,
        Some(Verdict::Warn) => 3,
        Some(Verdict::Skip) => 4,
        None => 5,
        Some(Verdict::Pass) => 6,
    }
}

fn verdict_class(verdict: Option<Verdict>) -> &'static str {
    verdict.map_or("none", Verdict::name)
}

/// One page, no network: inline CSS and JS under a CSP that allows only them.
/// Without JS it is a plain set of tables; with it, headers sort and the
/// filter box, the provider box and the verdict choice narrow the rows.
pub fn html(m: &Matrix) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<header><h1>Compatibility matrix</h1><p>{} from puppet-lint reports{}.</p></header>",
        count(m.providers.len(), "provider"),
        if m.suites.is_empty() { String::new() } else { format!("; {}", count(m.suites.len(), "suite version")) }
    );
    // The filters act on the check tables: a page of capabilities alone has none.
    let checks = !m.suites.is_empty();
    if checks {
        body.push_str(CONTROLS);
    }
    // Providers.
    body.push_str("<section><h2>Providers</h2>\n<table class=\"providers sortable\">\n<thead><tr>");
    body.push_str("<th scope=\"col\">Provider</th><th scope=\"col\">Service</th><th scope=\"col\">Date</th>");
    body.push_str("<th scope=\"col\">puppet-lint</th><th scope=\"col\">Summary</th>");
    for suite in &m.suites {
        let _ = write!(body, "<th scope=\"col\">{}</th>", esc(&suite_label(suite)));
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for (index, provider) in m.providers.iter().enumerate() {
        let mut about = provider.description.clone();
        if let Some(endpoint) = &provider.endpoint {
            about.push_str(&format!(" · {endpoint}"));
        }
        let _ = write!(
            body,
            "<tr data-provider=\"{}\"><th scope=\"row\" title=\"{}\">{}{}</th><td>{}</td><td title=\"{}\">{}</td><td>{}</td><td data-sort=\"{}\">{}</td>",
            esc(&provider.name.to_lowercase()),
            esc(&about),
            esc(&provider.name),
            if provider.partial { " <span class=\"partial\">partial run</span>" } else { "" },
            esc(provider.service_version.as_deref().unwrap_or("")),
            esc(&provider.started_at),
            esc(date(&provider.started_at)),
            esc(&provider.puppet_lint_version),
            provider.summary.failed + provider.summary.timed_out + provider.summary.errored,
            esc(&provider.summary.line())
        );
        for suite in &m.suites {
            match suite.providers.iter().position(|&listed| listed == index) {
                Some(column) => {
                    let level = &suite.certification[column];
                    let class = match level.level {
                        None => "cert cert-none".to_owned(),
                        Some(reached) => format!("cert cert-{reached}"),
                    };
                    let title = level.name.as_deref().unwrap_or("no level reached");
                    let _ = write!(
                        body,
                        "<td class=\"{class}\" data-sort=\"{}\" title=\"{}\">{}</td>",
                        level.level.unwrap_or(0),
                        esc(title),
                        esc(&level_text(level))
                    );
                }
                None => body.push_str("<td class=\"v-none\" data-sort=\"-1\" title=\"not run\">·</td>"),
            }
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table></section>\n");
    // A table per suite version.
    for suite in &m.suites {
        let title = if suite.title.is_empty() { String::new() } else { format!(" — {}", esc(&suite.title)) };
        let _ = writeln!(
            body,
            "<section class=\"suite\"><h2><code>{}</code> <span class=\"version\">{}</span>{title}</h2>",
            esc(&suite.suite),
            esc(&suite.version)
        );
        body.push_str(
            "<table class=\"matrix sortable\">\n<thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Level</th>",
        );
        for (column, &provider) in suite.providers.iter().enumerate() {
            let provider = &m.providers[provider];
            let level = &suite.certification[column];
            let _ = write!(
                body,
                "<th scope=\"col\" class=\"p\" data-provider=\"{}\">{}<small>{}</small></th>",
                esc(&provider.name.to_lowercase()),
                esc(&provider.name),
                esc(&level_text(level))
            );
        }
        body.push_str("</tr></thead>\n<tbody>\n");
        for row in &suite.checks {
            let _ = write!(
                body,
                "<tr data-check=\"{}\"><th scope=\"row\"><code>{}</code><span class=\"title\">{}</span></th><td class=\"level level-{}\">{}</td>",
                esc(&format!("{} {}", row.id, row.title).to_lowercase()),
                esc(&row.id),
                esc(&row.title),
                if row.level == "must" { "must" } else { "should" },
                esc(&row.level)
            );
            for result in &row.results {
                let verdict = result.as_ref().map(|cell| cell.verdict);
                let tip = match result {
                    Some(Cell { verdict, reason: Some(reason) }) => format!("{}: {reason}", verdict.name()),
                    Some(Cell { verdict, reason: None }) => verdict.name().to_owned(),
                    None => "not run".to_owned(),
                };
                let _ = write!(
                    body,
                    "<td class=\"v v-{0}\" data-v=\"{0}\" data-sort=\"{1}\" title=\"{2}\">{3}</td>",
                    verdict_class(verdict),
                    rank(verdict),
                    esc(&tip),
                    mark(verdict)
                );
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</tbody></table></section>\n");
    }
    if checks {
        body.push_str(&verdict_legend());
    }
    body.push_str(&capabilities(m));
    let script = if checks { format!("<script>{SCRIPT}</script>\n") } else { String::new() };
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '{STYLE_HASH}'; \
         script-src '{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"puppet-lint matrix\">\n\
         <title>Compatibility matrix — puppet-lint</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\
         {script}</body>\n</html>\n"
    );
    crate::redact::redact(&page).into_owned()
}

/// The verdicts' legend, under the check tables.
fn verdict_legend() -> String {
    let mut body = String::new();
    body.push_str("<section class=\"legend\"><h2>Legend</h2><ul>");
    for (verdict, text) in LEGEND {
        let _ = write!(
            body,
            "<li><span class=\"v v-{}\">{}</span> {}</li>",
            verdict_class(verdict),
            mark(verdict),
            esc(text).replace("`must`", "<code>must</code>").replace("`should`", "<code>should</code>")
        );
    }
    body.push_str(
        "</ul><p>Hover a mark for the reason. Levels: the highest certification level whose required checks all \
         passed, with checks passed / checks in the suite; a run of only some of a suite's checks reaches none.</p>\
         </section>\n",
    );
    body
}

/// The capability section (empty when no report probed capabilities): the docs' table's shape — a row per
/// feature under its group's heading, a column per provider — each cell a mark with its outcome as a class and its
/// note as a tooltip, then each provider's numbers, the numbered notes, where claims and measurements disagree, and
/// the legend. Every string from a report passes through HTML's escaping.
pub fn capabilities(m: &Matrix) -> String {
    let Some(section) = &m.capabilities else { return String::new() };
    let name = |column: usize| esc(&m.providers[section.providers[column]].name);
    let mut body = String::new();
    body.push_str("<section class=\"capabilities\" id=\"capabilities\"><h2>Capabilities</h2>\n");
    body.push_str(
        "<p class=\"about\">What each provider did when puppet-lint probed the rows of the Wechaty docs' \
         compatibility table (wechaty/docusaurus <code>docs/puppet-services/compatibility.md</code>), measured on \
         the wire; rows marked * are not in that table.</p>\n",
    );
    body.push_str("<table class=\"scores\">\n<thead><tr><th scope=\"col\">Provider</th>");
    body.push_str("<th scope=\"col\">Coverage</th><th scope=\"col\">Correctness</th>");
    for outcome in Outcome::ALL {
        let _ = write!(body, "<th scope=\"col\" class=\"o o-{outcome}\">{} {outcome}</th>", outcome_mark(*outcome));
    }
    body.push_str("<th scope=\"col\">Claims</th></tr></thead>\n<tbody>\n");
    for (column, score) in section.scores.iter().enumerate() {
        let _ = write!(
            body,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td>",
            name(column),
            score.coverage.text(),
            score.correctness.text()
        );
        for outcome in Outcome::ALL {
            let _ = write!(body, "<td class=\"n\">{}</td>", score.counts.count(*outcome));
        }
        match &section.claims[column] {
            Some(claims) => {
                let _ = write!(
                    body,
                    "<td><code>{}</code> — <span class=\"source\">{}</span>, {}{}: {}</td>",
                    esc(&claims.column),
                    esc(&claims.source),
                    esc(&claims.date),
                    claims
                        .file
                        .as_deref()
                        .map(|file| format!(" (file <code>{}</code>)", esc(file)))
                        .unwrap_or_default(),
                    count(score.disagreements, "disagreement")
                );
            }
            None => body.push_str("<td class=\"muted\">none</td>"),
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table>\n");
    body.push_str("<table class=\"caps\">\n<thead><tr><th scope=\"col\">Feature</th>");
    for column in 0..section.providers.len() {
        let _ = write!(body, "<th scope=\"col\" class=\"p\">{}</th>", name(column));
    }
    body.push_str("</tr></thead>\n");
    for group in &section.groups {
        let _ = writeln!(
            body,
            "<tbody><tr class=\"group\"><th scope=\"rowgroup\" colspan=\"{}\">{}</th></tr>",
            section.providers.len() + 1,
            esc(&group.heading)
        );
        for row in &group.rows {
            let extra = if row.docs_number.is_none() { " <span class=\"extra\">*</span>" } else { "" };
            let _ = write!(
                body,
                "<tr><th scope=\"row\">{}{extra}<code class=\"key\">{}</code></th>",
                esc(&row.row),
                esc(&row.key)
            );
            for cell in &row.cells {
                let Some(cell) = cell else {
                    body.push_str("<td class=\"o o-none\" title=\"not in this provider's report\">·</td>");
                    continue;
                };
                let mut tip = cell.outcome.as_str().to_owned();
                let mut text = esc(outcome_mark(cell.outcome));
                if let Some(note) = cell.note {
                    tip.push_str(&format!(": {}", section.notes[note - 1]));
                    let _ = write!(text, "<sup>{note}</sup>");
                }
                let mut class = format!("o o-{}", cell.outcome);
                if let (Some(claim), Some(agreement)) = (&cell.claim, cell.agreement)
                    && agreement.disagrees()
                {
                    tip.push_str(&format!(" — claimed {} ({agreement})", claim.text()));
                    let _ =
                        write!(text, " <span class=\"claim\">{DISAGREES_MARK} claimed {}</span>", esc(&claim.text()));
                    class.push_str(" disagrees");
                }
                let _ = write!(body, "<td class=\"{class}\" title=\"{}\">{text}</td>", esc(&tip));
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</tbody>\n");
    }
    body.push_str("</table>\n");
    if !section.notes.is_empty() {
        body.push_str("<h3>Notes</h3>\n<ol class=\"notes\">\n");
        for note in &section.notes {
            let _ = writeln!(body, "<li>{}</li>", esc(note));
        }
        body.push_str("</ol>\n");
    }
    if section.claims.iter().any(Option::is_some) {
        body.push_str("<h3>Claimed versus measured</h3>\n");
        let disagreements = section.disagreements();
        if disagreements.is_empty() {
            body.push_str("<p>Every row probed says what its claim says.</p>\n");
        } else {
            body.push_str("<ul class=\"disagreements\">\n");
            for (column, row, cell) in disagreements {
                let claim = cell.claim.as_ref().map(|claim| claim.text()).unwrap_or_default();
                let source = section.claims[column].as_ref().map(|claims| claims.column.as_str()).unwrap_or_default();
                let _ = writeln!(
                    body,
                    "<li>{} · {}: claimed {} (<code>{}</code>), measured <span class=\"o o-{}\">{} {}</span> — {}</li>",
                    name(column),
                    esc(&row.row),
                    esc(&claim),
                    esc(source),
                    cell.outcome,
                    outcome_mark(cell.outcome),
                    cell.outcome,
                    cell.agreement.map_or("", Agreement::as_str)
                );
            }
            body.push_str("</ul>\n");
        }
    }
    body.push_str("<h3>Legend</h3>\n<dl class=\"legend\">\n");
    for outcome in Outcome::ALL {
        let _ = writeln!(
            body,
            "<dt><span class=\"o o-{outcome}\">{}</span> {outcome}</dt><dd>{}</dd>",
            outcome_mark(*outcome),
            esc(outcome.meaning())
        );
    }
    body.push_str(
        "<dt><sup>n</sup></dt><dd>the row's note n above (why it is partial, unsupported, broken or untested)</dd>\n",
    );
    body.push_str("<dt>*</dt><dd>a row the docs' table does not have (an rpc it never names)</dd>\n");
    body.push_str("<dt>·</dt><dd>the provider's report has no such row</dd>\n");
    for agreement in [Agreement::Overclaimed, Agreement::Unclaimed] {
        let _ = writeln!(
            body,
            "<dt><span class=\"claim\">{DISAGREES_MARK} claimed …</span> {agreement}</dt><dd>{}</dd>",
            esc(agreement.meaning())
        );
    }
    let _ = writeln!(body, "<dt>Coverage</dt><dd>= {}</dd>", esc(Score::COVERAGE));
    let _ = writeln!(body, "<dt>Correctness</dt><dd>= {}</dd>", esc(Score::CORRECTNESS));
    body.push_str("</dl></section>\n");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csp_hashes_match_the_inline_style_and_script() {
        use base64::Engine as _;
        let hash = |text: &str| {
            let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
            format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest.as_ref()))
        };
        assert_eq!(STYLE_HASH, hash(STYLE), "update STYLE_HASH after editing matrix.css");
        assert_eq!(SCRIPT_HASH, hash(SCRIPT), "update SCRIPT_HASH after editing matrix.js");
    }

    #[test]
    fn html_escapes_text_and_attributes() {
        assert_eq!(
            esc("<a href='u' title=\"y\">&</a>"),
            "&lt;a href=&#39;u&#39; title=&quot;y&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
