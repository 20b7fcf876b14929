//! GitHub Actions annotations: workflow commands (`::error …::…`) that put a
//! run's failures on the job's page and its pull request. A failed or
//! timed-out `must` check is an error, a warned `should` check a warning, and
//! a check the harness could not carry out (verdict `error`) an error titled
//! so that it reads as puppet-lint's or the connection's failure, not the
//! provider's. Every value is escaped per GitHub's workflow-command rules, so
//! a provider's strings cannot end a command early or start another one.

use std::fmt::Write as _;

use super::escape::workflow::{data, property};
use super::model::{CheckReport, Report, Verdict};

/// One workflow command a line, in the report's check order; empty when
/// there is nothing to say.
pub fn annotations(report: &Report) -> String {
    let mut out = String::new();
    if let Some(error) = &report.setup_error {
        command(&mut out, "error", "puppet-lint: setup failed", error);
    }
    if let Some(lost) = &report.lost_service {
        command(&mut out, "error", "puppet-lint: lost the service", lost);
    }
    // Checks that did not run because of the one cause above say so once,
    // not one annotation each.
    let (not_run, checks): (Vec<&CheckReport>, Vec<&CheckReport>) =
        report.checks.iter().partition(|check| not_run_for_the_cause(report, check));
    if !not_run.is_empty() {
        let ids: Vec<&str> = not_run.iter().map(|check| check.id.as_str()).collect();
        let message = format!("{} check(s) not run, for the cause above: {}", ids.len(), ids.join(", "));
        command(&mut out, "error", "puppet-lint: checks not run", &message);
    }
    for check in checks {
        let Some(kind) = kind(check) else { continue };
        let title = match check.verdict {
            Verdict::Error => format!("{} (puppet-lint could not run it)", check.id),
            Verdict::Timeout => format!("{} (timed out)", check.id),
            _ => check.id.clone(),
        };
        let message = match check.reason.as_deref().filter(|reason| !reason.trim().is_empty()) {
            Some(reason) => format!("{}: {reason}", check.title),
            None => format!("{} ({})", check.title, check.verdict.name()),
        };
        command(&mut out, kind, &title, &message);
    }
    if report.partial {
        let by = report.interrupted_by.as_deref().unwrap_or("its deadline or an interruption");
        command(&mut out, "warning", "puppet-lint: partial run", &format!("the run was cut short by {by}"));
    }
    crate::redact::redact(&out).into_owned()
}

/// A check that ended `error` without evidence because the setup failed or
/// the service was lost (its reason is that cause).
fn not_run_for_the_cause(report: &Report, check: &CheckReport) -> bool {
    if check.verdict != Verdict::Error || check.evidence.is_some() {
        return false;
    }
    let reason = check.reason.as_deref().unwrap_or_default();
    report.setup_error.is_some() || report.lost_service.as_deref().is_some_and(|lost| reason.contains(lost))
}

/// `error` or `warning`, or `None` for a check that needs no annotation.
fn kind(check: &CheckReport) -> Option<&'static str> {
    let must = level_is_must(check);
    match check.verdict {
        Verdict::Pass | Verdict::Skip => None,
        Verdict::Error => Some("error"),
        Verdict::Fail | Verdict::Timeout if must => Some("error"),
        Verdict::Fail | Verdict::Timeout | Verdict::Warn => Some("warning"),
    }
}

/// The check's level as `report.json` spells it (`must`/`should`), read
/// through the schema rather than the suite module's type.
fn level_is_must(check: &CheckReport) -> bool {
    check.level == crate::suite::Severity::Must
}

fn command(out: &mut String, kind: &str, title: &str, message: &str) {
    let _ = writeln!(out, "::{kind} title={}::{}", property(title), data(message));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Summary, TargetReport};

    fn check(id: &str, level: &str, verdict: Verdict, reason: Option<&str>) -> CheckReport {
        serde_json::from_value(serde_json::json!({
            "id": id, "suite": "wechaty-puppet", "title": "Title", "requirement": "r", "level": level,
            "verdict": verdict, "reason": reason, "started_ms": 0, "duration_ms": 1
        }))
        .unwrap()
    }

    fn report(checks: Vec<CheckReport>) -> Report {
        serde_json::from_value(serde_json::json!({
            "schema": "puppet-lint/report", "schema_version": 1, "puppet_lint_version": "0.1.0",
            "started_at": "2026-01-01T00:00:00Z", "duration_ms": 1, "partial": false,
            "target": TargetReport { description: "t".into(), endpoint: None, tls: false, server_name: None, authority: None },
            "settings": { "heartbeat_window_ms": 1, "heartbeat_interval_ms": 1, "allow_destructive": false },
            "suites": [], "summary": Summary::of(&checks), "checks": checks, "timeline": []
        }))
        .unwrap()
    }

    #[test]
    fn each_verdict_gets_its_command() {
        let out = annotations(&report(vec![
            check("a.pass", "must", Verdict::Pass, Some("ok")),
            check("a.fail", "must", Verdict::Fail, Some("no login event")),
            check("a.timeout", "must", Verdict::Timeout, None),
            check("a.warn", "should", Verdict::Warn, Some("ready twice")),
            check("a.skip", "must", Verdict::Skip, Some("destructive")),
            check("a.error", "must", Verdict::Error, Some("connection reset")),
            check("a.should-timeout", "should", Verdict::Timeout, Some("slow")),
        ]));
        assert_eq!(
            out,
            "::error title=a.fail::Title: no login event\n\
             ::error title=a.timeout (timed out)::Title (timeout)\n\
             ::warning title=a.warn::Title: ready twice\n\
             ::error title=a.error (puppet-lint could not run it)::Title: connection reset\n\
             ::warning title=a.should-timeout (timed out)::Title: slow\n"
        );
    }

    #[test]
    fn a_clean_run_says_nothing() {
        assert_eq!(annotations(&report(vec![check("a.pass", "must", Verdict::Pass, None)])), "");
    }

    #[test]
    fn hostile_strings_cannot_end_or_start_a_command() {
        let hostile = "50% done\r\n::error title=fake::pwned, really: yes\u{1b}[31m";
        let out = annotations(&report(vec![check(hostile, "must", Verdict::Fail, Some(hostile))]));
        assert_eq!(out.lines().count(), 1, "{out}");
        assert_eq!(
            out,
            "::error title=50%25 done%0D%0A%3A%3Aerror title=fake%3A%3Apwned%2C really%3A yes\\u{001b}[31m\
             ::Title: 50%25 done%0D%0A::error title=fake::pwned, really: yes\\u{001b}[31m\n"
        );
    }

    #[test]
    fn checks_not_run_for_one_cause_are_one_annotation() {
        let mut setup = report(vec![
            check("a.one", "must", Verdict::Error, Some("not run: no session with the service (see setup)")),
            check("a.two", "should", Verdict::Error, Some("not run: no session with the service (see setup)")),
        ]);
        setup.setup_error = Some("cannot connect to 127.0.0.1:1".into());
        assert_eq!(
            annotations(&setup),
            "::error title=puppet-lint%3A setup failed::cannot connect to 127.0.0.1:1\n\
             ::error title=puppet-lint%3A checks not run::2 check(s) not run, for the cause above: a.one, a.two\n"
        );
        let lost_cause = "lost the service at +1.2s: connection refused";
        let mut lost = report(vec![
            check("a.fail", "must", Verdict::Fail, Some("no login event")),
            check("a.lost", "must", Verdict::Error, Some(lost_cause)),
            check("a.bug", "must", Verdict::Error, Some("puppet-lint failed inside this check")),
        ]);
        lost.lost_service = Some(lost_cause.into());
        let out = annotations(&lost);
        assert_eq!(out.lines().count(), 4, "{out}");
        assert!(out.contains("checks not run::1 check(s) not run, for the cause above: a.lost"), "{out}");
        assert!(out.contains("title=a.bug (puppet-lint could not run it)"), "{out}");
    }

    #[test]
    fn escaping_follows_githubs_rules() {
        assert_eq!(data("100%\n:,"), "100%25%0A:,");
        assert_eq!(property("a:b,c%d\re"), "a%3Ab%2Cc%25d%0De");
    }

    #[test]
    fn setup_failures_and_partial_runs_are_annotated() {
        let mut report = report(vec![]);
        report.setup_error = Some("unauthenticated: token, rejected".into());
        report.partial = true;
        report.interrupted_by = Some("SIGTERM".into());
        assert_eq!(
            annotations(&report),
            "::error title=puppet-lint%3A setup failed::unauthenticated: token, rejected\n\
             ::warning title=puppet-lint%3A partial run::the run was cut short by SIGTERM\n"
        );
    }
}
