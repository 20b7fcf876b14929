//! JUnit XML for CI: one `testsuite` per suite, one `testcase` per check
//! (`name` = check id, `classname` = suite id). Provider failures are
//! `failure`, harness errors and timeouts `error`, skips `skipped` with the
//! reason; a warning (a `should` that failed) stays a passing test with the
//! warning in `system-out`. Every test case also carries its verdict as a
//! property, so the run reads back exactly. Valid XML 1.0 whatever the
//! provider sent: characters XML cannot hold are written as `\u{…}` escapes.

use std::fmt::Write as _;

use super::model::{CheckReport, Report, Verdict};

pub fn render(report: &Report) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let totals = counts(&report.checks.iter().collect::<Vec<_>>());
    let _ = writeln!(
        xml,
        "<testsuites name=\"puppet-lint\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        totals.tests,
        totals.failures,
        totals.errors,
        totals.skipped,
        seconds(report.duration_ms),
        attribute(&report.started_at)
    );
    for suite in &report.suites {
        let checks: Vec<&CheckReport> = report.checks.iter().filter(|check| check.suite == suite.id).collect();
        let count = counts(&checks);
        let time: u64 = checks.iter().map(|check| check.duration_ms).max().unwrap_or(0);
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
            attribute(&suite.id),
            count.tests,
            count.failures,
            count.errors,
            count.skipped,
            seconds(time),
            attribute(&report.started_at)
        );
        xml.push_str("    <properties>\n");
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
        for (name, value) in properties {
            let _ = writeln!(xml, "      <property name=\"{}\" value=\"{}\"/>", name, attribute(&value));
        }
        xml.push_str("    </properties>\n");
        for check in checks {
            test_case(&mut xml, check);
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

fn test_case(xml: &mut String, check: &CheckReport) {
    let _ = writeln!(
        xml,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\">",
        attribute(&check.id),
        attribute(&check.suite),
        seconds(check.duration_ms)
    );
    let _ =
        writeln!(xml, "      <properties><property name=\"verdict\" value=\"{}\"/></properties>", check.verdict.name());
    let message = attribute(check.reason.as_deref().unwrap_or(""));
    match check.verdict {
        Verdict::Pass => {}
        Verdict::Skip => {
            let _ = writeln!(xml, "      <skipped message=\"{message}\"/>");
        }
        Verdict::Fail => {
            let _ =
                writeln!(xml, "      <failure message=\"{message}\" type=\"fail\">{}</failure>", text(&details(check)));
        }
        Verdict::Error | Verdict::Timeout => {
            let _ = writeln!(
                xml,
                "      <error message=\"{message}\" type=\"{}\">{}</error>",
                check.verdict.name(),
                text(&details(check))
            );
        }
        Verdict::Warn => {
            let _ = writeln!(
                xml,
                "      <system-out>{}</system-out>",
                text(&format!("WARNING (should)\n{}", details(check)))
            );
        }
    }
    xml.push_str("    </testcase>\n");
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

struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn counts(checks: &[&CheckReport]) -> Counts {
    let count = |wanted: &[Verdict]| checks.iter().filter(|check| wanted.contains(&check.verdict)).count();
    Counts {
        tests: checks.len(),
        failures: count(&[Verdict::Fail]),
        errors: count(&[Verdict::Error, Verdict::Timeout]),
        skipped: count(&[Verdict::Skip]),
    }
}

fn seconds(milliseconds: u64) -> String {
    format!("{}.{:03}", milliseconds / 1000, milliseconds % 1000)
}

/// Character data: `<`, `>` and `&` escaped, unusable characters written out.
pub fn text(raw: &str) -> String {
    escape(raw, false)
}

/// Attribute values: quotes and line breaks escaped too.
pub fn attribute(raw: &str) -> String {
    escape(raw, true)
}

fn escape(raw: &str, in_attribute: bool) -> String {
    let raw = crate::redact::redact(raw);
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\'' if in_attribute => out.push_str("&apos;"),
            '\n' if in_attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if in_attribute => out.push_str("&#9;"),
            c if allowed_in_xml(c) => out.push(c),
            c => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        }
    }
    out
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
        assert_eq!(text("a\u{0}b\u{1b}c\u{FFFE}"), "a\\u{0000}b\\u{001b}c\\u{fffe}");
        assert_eq!(text("]]> <x> & 'q'"), "]]&gt; &lt;x&gt; &amp; 'q'");
        assert_eq!(attribute("\"two\"\nlines"), "&quot;two&quot;&#10;lines");
        assert_eq!(text("emoji 🎉 ok"), "emoji 🎉 ok");
    }
}
