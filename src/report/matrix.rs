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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::{self, CheckReport, Report, Summary, Verdict};
use super::{certify, one_line};

/// The JSON rendering's schema.
pub const SCHEMA: &str = "puppet-lint/matrix";
pub const SCHEMA_VERSION: u32 = 1;

const STYLE: &str = include_str!("matrix.css");
const SCRIPT: &str = include_str!("matrix.js");
/// `sha256-…` of [`STYLE`] and [`SCRIPT`], for the page's CSP (a unit test
/// keeps them in step with the files).
const STYLE_HASH: &str = "sha256-cMqbYJy2iMWQJvmVUbZJVjfEEW7DYpaCi9i0rP/8hb8=";
const SCRIPT_HASH: &str = "sha256-HPiuEuWxmG0oft3vb9BiR0bG3/J3+t5r1vGoUv1Nme4=";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Matrix {
    pub schema: String,
    pub schema_version: u32,
    /// In the order given; names are unique (a repeated one gets ` (2)`, …).
    pub providers: Vec<Provider>,
    /// One per suite id and version, sorted by id, then version.
    pub suites: Vec<SuiteMatrix>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Provider {
    pub name: String,
    /// The report's target, token masked.
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_version: Option<String>,
    pub puppet_lint_version: String,
    pub started_at: String,
    /// The run did not finish.
    pub partial: bool,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SuiteMatrix {
    pub suite: String,
    pub version: String,
    pub title: String,
    /// Indexes into [`Matrix::providers`] of those that ran this suite version.
    pub providers: Vec<usize>,
    /// Aligned with `providers` above.
    pub certification: Vec<Level>,
    pub checks: Vec<Row>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Level {
    /// The highest level reached, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub passed: usize,
    pub total: usize,
    /// Only some of the suite's checks ran: no level can be reached.
    pub partial: bool,
    /// `L2 · 11/11`, `uncertified · 9/11`.
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub id: String,
    pub title: String,
    /// `must` or `should`.
    pub level: String,
    /// Aligned with the suite's `providers`; `null` where the check did not run.
    pub results: Vec<Option<Cell>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cell {
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Matrix {
    /// The matrix of `(provider name, report)` pairs, in the order given.
    pub fn build(reports: Vec<(String, Report)>) -> Matrix {
        let mut providers = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        // (suite id, version) → its matrix, and each row's index by check id.
        let mut groups: Vec<(SuiteMatrix, HashMap<String, usize>)> = Vec::new();
        for (index, (name, report)) in reports.iter().enumerate() {
            providers.push(provider(unique(name, &report.target.description, &mut seen), report));
            let levels = certify(report);
            for check in &report.checks {
                let version = version_of(report, &check.suite);
                let group = group(&mut groups, report, &check.suite, &version);
                add_check(group, index, check);
            }
            for suite in &report.suites {
                let group = group(&mut groups, report, &suite.id, &suite.version);
                if !group.0.providers.contains(&index) {
                    group.0.providers.push(index);
                }
                if let Some(certification) = levels.iter().find(|level| level.suite == suite.id) {
                    let column = group.0.providers.iter().position(|&listed| listed == index).unwrap_or_default();
                    if group.0.certification.len() <= column {
                        group.0.certification.resize(column + 1, unlisted());
                    }
                    group.0.certification[column] = Level {
                        level: certification.level.as_ref().map(|(level, _)| *level),
                        name: certification.level.as_ref().map(|(_, name)| name.clone()),
                        passed: certification.passed,
                        total: certification.total,
                        partial: certification.partial,
                        message: certification.message(),
                    };
                }
            }
        }
        let mut suites: Vec<SuiteMatrix> = groups
            .into_iter()
            .map(|(mut group, _)| {
                // A provider whose report has checks of a suite it does not list.
                let width = group.providers.len();
                group.certification.resize(width, unlisted());
                for row in &mut group.checks {
                    row.results.resize(width, None);
                }
                group
            })
            .collect();
        suites.sort_by(|a, b| a.suite.cmp(&b.suite).then_with(|| compare_versions(&a.version, &b.version)));
        Matrix { schema: SCHEMA.into(), schema_version: SCHEMA_VERSION, providers, suites }
    }
}

/// The level of a provider whose report has checks of a suite it does not list.
fn unlisted() -> Level {
    Level { level: None, name: None, passed: 0, total: 0, partial: true, message: "suite not listed".into() }
}

fn provider(name: String, report: &Report) -> Provider {
    Provider {
        name,
        description: report.target.description.clone(),
        endpoint: report.target.endpoint.clone(),
        service_version: report.service.as_ref().and_then(|service| service.version.clone()),
        puppet_lint_version: report.puppet_lint_version.clone(),
        started_at: report.started_at.clone(),
        partial: report.partial,
        summary: report.summary.clone(),
    }
}

/// The name shown: the one given, else the target; one line, and unique.
fn unique(name: &str, description: &str, seen: &mut HashMap<String, usize>) -> String {
    let name = if name.trim().is_empty() { description } else { name };
    let name = match one_line(name).trim() {
        "" => "(unnamed)".to_owned(),
        name => name.to_owned(),
    };
    let count = seen.entry(name.clone()).or_insert(0);
    *count += 1;
    if *count == 1 { name } else { format!("{name} ({count})") }
}

fn version_of(report: &Report, suite: &str) -> String {
    report
        .suites
        .iter()
        .find(|listed| listed.id == suite)
        .map_or_else(|| "?".to_owned(), |listed| listed.version.clone())
}

fn group<'a>(
    groups: &'a mut Vec<(SuiteMatrix, HashMap<String, usize>)>,
    report: &Report,
    suite: &str,
    version: &str,
) -> &'a mut (SuiteMatrix, HashMap<String, usize>) {
    let found = groups.iter().position(|(group, _)| group.suite == suite && group.version == version);
    let index = found.unwrap_or_else(|| {
        let title = report.suites.iter().find(|listed| listed.id == suite).map_or("", |listed| &listed.title);
        groups.push((
            SuiteMatrix {
                suite: suite.to_owned(),
                version: version.to_owned(),
                title: title.to_owned(),
                providers: Vec::new(),
                certification: Vec::new(),
                checks: Vec::new(),
            },
            HashMap::new(),
        ));
        groups.len() - 1
    });
    &mut groups[index]
}

fn add_check(group: &mut (SuiteMatrix, HashMap<String, usize>), provider: usize, check: &CheckReport) {
    let (suite, rows) = group;
    let column = match suite.providers.iter().position(|&listed| listed == provider) {
        Some(column) => column,
        None => {
            suite.providers.push(provider);
            suite.providers.len() - 1
        }
    };
    let row = *rows.entry(check.id.clone()).or_insert_with(|| {
        suite.checks.push(Row {
            id: check.id.clone(),
            title: check.title.clone(),
            level: severity(check),
            results: Vec::new(),
        });
        suite.checks.len() - 1
    });
    let results = &mut suite.checks[row].results;
    if results.len() <= column {
        results.resize(column + 1, None);
    }
    // A check listed twice in one report keeps its first verdict.
    if results[column].is_none() {
        results[column] = Some(Cell { verdict: check.verdict, reason: check.reason.clone() });
    }
}

/// `must`/`should`, as `report.json` spells it.
fn severity(check: &CheckReport) -> String {
    check.level.as_str().to_owned()
}

/// `1.10.0` after `1.9.0`: numeric parts compare as numbers.
fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |text: &str| -> Vec<(u64, String)> {
        text.split(['.', '-', '+']).map(|part| (part.parse().unwrap_or(u64::MAX), part.to_owned())).collect()
    };
    parts(a).cmp(&parts(b))
}

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

// ---------------------------------------------------------------- Markdown

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
    md
}

/// Text safe in a Markdown table cell or list item: one line; HTML, pipes
/// and inline syntax (emphasis, code, links) escaped.
fn md_cell(text: &str) -> String {
    let mut out = String::new();
    for c in one_line(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

// ---------------------------------------------------------------- HTML

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
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '{STYLE_HASH}'; \
         script-src '{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"puppet-lint matrix\">\n\
         <title>Compatibility matrix — puppet-lint</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\
         <script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
}

/// Text safe in HTML text and in a quoted attribute.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------- JSON

/// The matrix as data (schema `puppet-lint/matrix` version 1): providers,
/// then per suite version its providers (indexes), levels and rows, each
/// row's `results` aligned with the suite's providers (`null`: not run).
pub fn json(m: &Matrix) -> String {
    let mut text = serde_json::to_string_pretty(m).unwrap_or_default();
    text.push('\n');
    text
}

// ---------------------------------------------------------------- Loading

#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("no reports given")]
    NoInput,
    #[error("{path}: cannot read it: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: no report.json in it or in its subdirectories")]
    NoReports { path: PathBuf },
    #[error("{path}:{line}:{column}: not a puppet-lint report: {message}")]
    Json { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: not a puppet-lint report: its schema is {found}, not \"{expected}\"", expected = model::SCHEMA)]
    Schema { path: PathBuf, found: String },
    #[error(
        "{path}: report schema_version {found} is newer than this puppet-lint reads ({known}): upgrade puppet-lint",
        known = model::SCHEMA_VERSION
    )]
    TooNew { path: PathBuf, found: u64 },
}

/// A report to read, with the name to show for it (`None`: its target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub name: Option<String>,
    pub path: PathBuf,
}

impl Input {
    /// `PATH`, or `NAME=PATH` (when no file `NAME=PATH` exists).
    pub fn parse(arg: &str) -> Input {
        match arg.split_once('=') {
            Some((name, path)) if !name.is_empty() && !path.is_empty() && !Path::new(arg).exists() => {
                Input { name: Some(name.to_owned()), path: PathBuf::from(path) }
            }
            _ => Input { name: None, path: PathBuf::from(arg) },
        }
    }
}

/// Reads report files and directories: a directory gives its own
/// `report.json` (one run: nothing below it is read, a `rejudged/` is made
/// from it) or else each `<name>/report.json` one level down (named
/// `<name>`), sorted. A report's default name is its target.
pub fn load(paths: &[PathBuf]) -> Result<Vec<(String, Report)>, MatrixError> {
    let inputs: Vec<Input> = paths.iter().map(|path| Input { name: None, path: path.clone() }).collect();
    load_inputs(&inputs)
}

/// As [`load`], with names given by the caller; a named directory's
/// subdirectory reports are named `NAME/<name>`.
pub fn load_inputs(inputs: &[Input]) -> Result<Vec<(String, Report)>, MatrixError> {
    if inputs.is_empty() {
        return Err(MatrixError::NoInput);
    }
    let mut reports = Vec::new();
    for input in inputs {
        let path = &input.path;
        let is_dir = std::fs::metadata(path).map_err(|source| read_error(path, source))?.is_dir();
        if !is_dir {
            let report = read(path)?;
            reports.push((input.name.clone().unwrap_or_else(|| report.target.description.clone()), report));
            continue;
        }
        let found_before = reports.len();
        let own = path.join("report.json");
        if own.is_file() {
            // One run's directory: what lies below it (`rejudged/`) was made
            // from that run, not by another provider.
            let report = read(&own)?;
            reports.push((input.name.clone().unwrap_or_else(|| report.target.description.clone()), report));
            continue;
        }
        let mut subdirectories = Vec::new();
        for entry in std::fs::read_dir(path).map_err(|source| read_error(path, source))? {
            let entry = entry.map_err(|source| read_error(path, source))?;
            let file = entry.path().join("report.json");
            if entry.path().is_dir() && file.is_file() {
                subdirectories.push((entry.file_name().to_string_lossy().into_owned(), file));
            }
        }
        subdirectories.sort();
        for (name, file) in subdirectories {
            let report = read(&file)?;
            let name = match &input.name {
                Some(prefix) => format!("{prefix}/{name}"),
                None => name,
            };
            reports.push((name, report));
        }
        if reports.len() == found_before {
            return Err(MatrixError::NoReports { path: path.clone() });
        }
    }
    Ok(reports)
}

fn read_error(path: &Path, source: std::io::Error) -> MatrixError {
    MatrixError::Read { path: path.to_owned(), source }
}

/// One `report.json`: its schema and version first, for a clear error,
/// then the whole of it.
pub fn read(path: &Path) -> Result<Report, MatrixError> {
    #[derive(Deserialize)]
    struct Head {
        schema: Option<serde_json::Value>,
        schema_version: Option<serde_json::Value>,
    }
    let text = std::fs::read_to_string(path).map_err(|source| read_error(path, source))?;
    let json_error = |error: serde_json::Error| {
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let message = error.to_string();
        MatrixError::Json {
            path: path.to_owned(),
            line: error.line(),
            column: error.column(),
            message: message.strip_suffix(&suffix).unwrap_or(&message).to_owned(),
        }
    };
    let head: Head = serde_json::from_str(&text).map_err(json_error)?;
    match &head.schema {
        Some(serde_json::Value::String(schema)) if schema == model::SCHEMA => {}
        Some(other) => return Err(MatrixError::Schema { path: path.to_owned(), found: one_line(&other.to_string()) }),
        None => return Err(MatrixError::Schema { path: path.to_owned(), found: "missing".into() }),
    }
    if let Some(found) = head.schema_version.as_ref().and_then(serde_json::Value::as_u64)
        && found > u64::from(model::SCHEMA_VERSION)
    {
        return Err(MatrixError::TooNew { path: path.to_owned(), found });
    }
    serde_json::from_str(&text).map_err(json_error)
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
    fn markdown_cells_escape_tables_html_and_inline_syntax() {
        assert_eq!(md_cell("a|b\nc <x> *y* [l](u) `c` \\"), "a\\|b c &lt;x&gt; \\*y\\* \\[l\\](u) \\`c\\` \\\\");
    }

    #[test]
    fn html_escapes_text_and_attributes() {
        assert_eq!(
            esc("<a href='x' title=\"y\">&</a>"),
            "&lt;a href=&#39;x&#39; title=&quot;y&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn versions_compare_by_number() {
        assert!(compare_versions("1.9.0", "1.10.0").is_lt());
        assert!(compare_versions("1.0.0", "1.0.0").is_eq());
        assert!(compare_versions("2.0.0", "10.0.0").is_lt());
    }

    #[test]
    fn dates_are_cut_from_instants_only() {
        assert_eq!(date("2026-05-01T10:00:00Z"), "2026-05-01");
        assert_eq!(date("yesterday at noon"), "yesterday at noon");
    }

    #[test]
    fn names_are_unique_and_never_empty() {
        let mut seen = HashMap::new();
        assert_eq!(unique("a", "x", &mut seen), "a");
        assert_eq!(unique("a", "x", &mut seen), "a (2)");
        assert_eq!(unique(" ", "target", &mut seen), "target");
        assert_eq!(unique("", "", &mut seen), "(unnamed)");
    }

    #[test]
    fn inputs_may_carry_a_name() {
        assert_eq!(Input::parse("acme=reports/x/report.json").name.as_deref(), Some("acme"));
        assert_eq!(Input::parse("reports/x/report.json").name, None);
        assert_eq!(Input::parse("=x").name, None);
    }
}
