//! The matrix as one self-contained HTML page.

use std::fmt::Write as _;

use super::{Cell, LEGEND, Matrix, Verdict, count, date, level_text, mark, suite_label};
use crate::report::escape::html::text as esc;

const STYLE: &str = include_str!("matrix.css");
const SCRIPT: &str = include_str!("matrix.js");
/// `sha256-…` of [`STYLE`] and [`SCRIPT`], for the page's CSP (a unit test
/// keeps them in step with the files).
const STYLE_HASH: &str = "sha256-cMqbYJy2iMWQJvmVUbZJVjfEEW7DYpaCi9i0rP/8hb8=";
const SCRIPT_HASH: &str = "sha256-HPiuEuWxmG0oft3vb9BiR0bG3/J3+t5r1vGoUv1Nme4=";

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
        "<header><h1>Compatibility matrix</h1><p>{} from puppet-lint reports; {}.</p></header>",
        count(m.providers.len(), "provider"),
        count(m.suites.len(), "suite version")
    );
    body.push_str(concat!(
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
    ));
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
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '{STYLE_HASH}'; \
         script-src '{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"puppet-lint matrix\">\n\
         <title>Compatibility matrix — puppet-lint</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\
         <script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    crate::redact::redact(&page).into_owned()
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
