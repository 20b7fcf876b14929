//! `summary.md`: GitHub-flavoured Markdown for a pull request or a CI job's
//! step summary. Table cells are escaped so a provider's strings cannot break
//! the table; details sit in code fences longer than any backtick run inside.

use std::fmt::Write as _;

use super::escape::html;
use super::escape::markdown::{cell, code_cell, fence};
use super::model::{Report, Verdict};
use super::{certify, one_line};
use crate::clock::human;

pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let title = report.suites.first().map_or("puppet-lint", |suite| suite.title.as_str());
    let headline = certify(report).first().map(|certification| certification.message()).unwrap_or_default();
    let _ = writeln!(md, "## {} — {}\n", cell(title), cell(&headline));
    let _ = writeln!(md, "- **Target:** {}", cell(&report.target.description));
    if let Some(version) = report.service.as_ref().and_then(|service| service.version.as_deref()) {
        let _ = writeln!(md, "- **Service:** {}", cell(version));
    }
    let suites: Vec<String> = report.suites.iter().map(|suite| format!("{} {}", suite.id, suite.version)).collect();
    let _ = writeln!(md, "- **Suites:** {}", cell(&suites.join(", ")));
    let _ =
        writeln!(md, "- **puppet-lint:** {} · started {}", cell(&report.puppet_lint_version), cell(&report.started_at));
    if let Some(lost) = &report.lost_service {
        let _ = writeln!(md, "- **Lost the service:** {}", cell(lost));
    }
    if let Some(error) = &report.setup_error {
        let _ = writeln!(md, "- **Setup failed:** {}", cell(error));
    }
    if let Some(by) = &report.interrupted_by {
        let _ = writeln!(md, "- **Partial:** interrupted by {}", cell(by));
    }
    if let Some(trimmed) = &report.recording_trimmed {
        let _ = writeln!(md, "- **Recording:** {}", cell(&trimmed.line()));
    }
    md.push('\n');
    md.push_str("| | Check | Title | Level | Time |\n|---|---|---|---|---|\n");
    for check in &report.checks {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            emoji(check.verdict),
            code_cell(&check.id),
            cell(&check.title),
            check.level_label(),
            human(std::time::Duration::from_millis(check.duration_ms))
        );
    }
    let _ = writeln!(md, "\n**{}**\n", report.summary.line());
    for check in report.checks.iter().filter(|check| check.verdict != Verdict::Pass) {
        // A raw HTML line: HTML's escaping, not Markdown's.
        let reason = check.reason.as_deref().map(|reason| format!(": {}", html::text(reason))).unwrap_or_default();
        let _ = writeln!(
            md,
            "<details><summary>{} <code>{}</code>{reason}</summary>\n",
            emoji(check.verdict),
            html::text(&check.id)
        );
        let mut body = String::new();
        let _ = writeln!(body, "requirement: {}", one_line(&check.requirement));
        if let Some(evidence) = &check.evidence {
            let _ = writeln!(body, "expected:    {}", one_line(&evidence.expected));
            let _ = writeln!(body, "observed:    {}", one_line(&evidence.observed));
            let _ = writeln!(body, "step:        {}", one_line(&evidence.step));
            for entry in &evidence.timeline {
                let _ = writeln!(body, "  {}", one_line(&entry.line()));
            }
        }
        md.push_str(&fence(&body));
        md.push_str("\n</details>\n\n");
    }
    // The capability table, as the matrix draws it, with this run as its one provider.
    if report.checks.iter().any(|check| check.capability.is_some()) {
        let one = super::matrix::Matrix::build(vec![(report.target.description.clone(), report.clone())]);
        md.push_str(&super::matrix::capabilities_markdown(&one));
    }
    crate::redact::redact(&md).into_owned()
}

fn emoji(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
        Verdict::Warn => "⚠️",
        Verdict::Skip => "⏭️",
        Verdict::Error => "💥",
        Verdict::Timeout => "⌛",
    }
}
