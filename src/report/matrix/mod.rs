//! `puppet-lint matrix`: a compatibility matrix of providers × checks, built
//! from saved `report.json` files and rendered as Markdown (docs, READMEs),
//! as one self-contained HTML page (sortable, filterable, loads nothing) and
//! as JSON.
//!
//! Rows are grouped by suite *and suite version*: the check `events.ready` of
//! `wechaty-puppet` 1.0.0 and the one of 1.1.0 are different rules, so each
//! suite version gets its own table, with a column for each provider that ran
//! it. Nothing is merged across versions; a provider that ran both shows up in
//! both tables. Within a table, checks keep the order the reports list them in
//! (the suite's order); groups are sorted by suite id, then version.
//!
//! Every string from a report is untrusted: it is made one line, then escaped
//! for the format (HTML text and attributes; Markdown tables and inline
//! syntax). The HTML page carries no report data in its script, and its
//! Content-Security-Policy allows only its own inline style and script (by
//! hash), so markup that slipped through could still load or run nothing.
//!
//! When reports carry capabilities (`--capabilities`), a capability section follows: the rows of the capability
//! table grouped as the Wechaty docs' compatibility table groups them, a column per provider, a mark per outcome,
//! numbered notes, the claims each provider was compared with and where they disagree, and a legend defining every
//! mark and both numbers (`capability.rs`: its model).
//!
//! `model.rs` builds the [`Matrix`] from reports, `load.rs` reads them from
//! files, and each format has its renderer: `markdown.rs`, `html.rs`
//! (with `matrix.css` and `matrix.js`), `json.rs`. What the renderers share
//! (marks, the legend, labels) is here.

mod capability;
mod html;
mod json;
mod load;
mod markdown;
mod model;

pub use capability::{
    Capabilities, CapabilityCell, CapabilityGroup, CapabilityRow, ClaimsSource, ProviderScore, Ratio,
};
pub use html::capabilities as capabilities_html;
pub use html::html;
pub use json::json;
pub use load::{Input, MatrixError, load, load_inputs, read};
pub use markdown::capabilities as capabilities_markdown;
pub use markdown::markdown;
pub use model::{Cell, Level, Matrix, Provider, Row, SCHEMA, SCHEMA_VERSION, SuiteMatrix};

use crate::report::model::Verdict;
use crate::vocab::capability::Outcome;

/// One mark per capability outcome, in every format: the docs' ✅ and ❌ for supported and unsupported.
pub fn outcome_mark(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Supported => "✅",
        Outcome::Partial => "◐",
        Outcome::Unsupported => "❌",
        Outcome::Broken => "⚠️",
        Outcome::Untested => "?",
    }
}

/// The mark a disagreement with the claims adds to a cell (`❌ ≠`), explained beside it as `claimed ✅`.
pub const DISAGREES_MARK: &str = "≠";

/// One character per verdict; `·` for a check that did not run.
pub fn mark(verdict: Option<Verdict>) -> &'static str {
    match verdict {
        Some(Verdict::Pass) => "✓",
        Some(Verdict::Fail) => "✗",
        Some(Verdict::Warn) => "!",
        Some(Verdict::Skip) => "-",
        Some(Verdict::Error) => "E",
        Some(Verdict::Timeout) => "T",
        None => "·",
    }
}

const LEGEND: [(Option<Verdict>, &str); 7] = [
    (Some(Verdict::Pass), "pass"),
    (Some(Verdict::Fail), "fail (the provider broke a `must` rule)"),
    (Some(Verdict::Warn), "warn (a `should` rule failed)"),
    (Some(Verdict::Skip), "skip"),
    (Some(Verdict::Error), "error (puppet-lint or the connection failed, not the rule)"),
    (Some(Verdict::Timeout), "timeout (no answer within the check's budget)"),
    (None, "not run"),
];

/// `2026-05-01` of an RFC 3339 instant (or the text as it is).
fn date(started_at: &str) -> &str {
    match started_at.get(..10) {
        Some(date)
            if date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() }) =>
        {
            date
        }
        _ => started_at,
    }
}

fn suite_label(suite: &SuiteMatrix) -> String {
    format!("{} {}", suite.suite, suite.version)
}

fn level_text(level: &Level) -> String {
    if level.partial && level.total > 0 { format!("{} (partial)", level.message) } else { level.message.clone() }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_cut_from_instants_only() {
        assert_eq!(date("2026-05-01T10:00:00Z"), "2026-05-01");
        assert_eq!(date("yesterday at noon"), "yesterday at noon");
    }
}
