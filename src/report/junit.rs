//! JUnit XML for CI, written by `quick-junit` (the writer cargo-nextest
//! maintains): one `testsuite` per suite, one `testcase` per check
//! (`name` = check id, `classname` = suite id). Provider failures are
//! `failure`, harness errors and timeouts `error`, skips `skipped` with the
//! reason; a warning (a `should` that failed) stays a passing test with the
//! warning in `system-out`. Every test case also carries its verdict as a
//! property, so the run reads back exactly. Valid XML 1.0 whatever the
//! provider sent: characters XML cannot hold are written as `\u{…}` escapes
//! (before the writer would silently drop them), and tokens are masked.

use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::model::{CheckReport, Report, Verdict};

pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new("puppet-lint");
    junit.set_time(Duration::from_millis(report.duration_ms));
    let started = chrono::DateTime::parse_from_rfc3339(&report.started_at).ok();
    if let Some(started) = started {
        junit.set_timestamp(started);
    }
    for suite in &report.suites {
        let checks: Vec<&CheckReport> = report.checks.iter().filter(|check| check.suite == suite.id).collect();
        let mut test_suite = TestSuite::new(clean(&suite.id));
        test_suite.set_time(Duration::from_millis(checks.iter().map(|check| check.duration_ms).max().unwrap_or(0)));
        if let Some(started) = started {
            test_suite.set_timestamp(started);
        }
        let mut properties = vec![
            ("target", report.target.description.clone()),
            ("suite.version", suite.version.clone()),
            ("suite.title", suite.title.clone()),
            ("puppet-lint.version", report.puppet_lint_version.clone()),
        ];
        if let Some(version) = report.service.as_ref().and_then(|service| service.version.clone()) {
            properties.push(("service.version", version));
        }
        if report.partial {
            properties.push(("partial", format!("true ({})", report.interrupted_by.clone().unwrap_or_default())));
        }
        test_suite.add_properties(properties.into_iter().map(|(name, value)| Property::new(name, clean(&value))));
        test_suite.add_test_cases(checks.into_iter().map(test_case));
        junit.add_test_suite(test_suite);
    }
    junit.to_string().unwrap_or_default()
}

fn test_case(check: &CheckReport) -> TestCase {
    let message = clean(check.reason.as_deref().unwrap_or(""));
    let status = match check.verdict {
        Verdict::Pass | Verdict::Warn => TestCaseStatus::success(),
        Verdict::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(message);
            status
        }
        Verdict::Fail | Verdict::Error | Verdict::Timeout => {
            let kind = if check.verdict == Verdict::Fail { NonSuccessKind::Failure } else { NonSuccessKind::Error };
            let mut status = TestCaseStatus::non_success(kind);
            status.set_message(message).set_type(check.verdict.name()).set_description(clean(&details(check)));
            status
        }
    };
    let mut case = TestCase::new(clean(&check.id), status);
    case.set_classname(clean(&check.suite));
    case.set_time(Duration::from_millis(check.duration_ms));
    case.add_property(Property::new("verdict", check.verdict.name()));
    if check.verdict == Verdict::Warn {
        case.set_system_out(clean(&format!("WARNING (should)\n{}", details(check))));
    }
    case
}

/// The same details the checklist shows, as plain text.
fn details(check: &CheckReport) -> String {
    let mut out = String::new();
    if let Some(reason) = &check.reason {
        let _ = writeln!(out, "{reason}");
    }
    let _ = writeln!(out, "requirement: {}", check.requirement);
    if let Some(evidence) = &check.evidence {
        let _ = writeln!(out, "expected: {}", evidence.expected);
        let _ = writeln!(out, "observed: {}", evidence.observed);
        let _ = writeln!(out, "step: {}", evidence.step);
        for entry in &evidence.timeline {
            let _ = writeln!(out, "  {}", entry.line());
        }
    }
    out
}

/// Tokens masked; characters XML 1.0 cannot hold (and terminal escapes)
/// written out as `\u{…}` so nothing a provider sent silently disappears.
pub fn clean(raw: &str) -> String {
    let raw = crate::redact::redact(raw);
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '\t' | '\n' => out.push(c),
            c if c.is_control() || !allowed_in_xml(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    // Printed to a CI log, no line of it may start a workflow command.
    super::escape::terminal::block(&out)
}

/// XML 1.0's `Char` production.
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_characters_become_escapes() {
        assert_eq!(clean("a\u{0}b\u{1b}c\u{FFFE}"), "a\\u{0000}b\\u{001b}c\\u{fffe}");
        assert_eq!(clean("emoji 🎉 ok"), "emoji 🎉 ok");
    }
}
