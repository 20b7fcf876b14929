//! The checklist a person reads at the end of a run: one row per check, then
//! each check that did not pass with its requirement, expected vs observed,
//! and the timeline that shows it, then one closing line.

use comfy_table::{Cell, Color};

use super::model::{Report, Verdict};
use super::{certify, one_line};
use crate::clock::human;
use crate::report::look::{Look, Paint};

pub fn render(report: &Report, look: &Look) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "puppet-lint {} — {}\n",
        one_line(&report.puppet_lint_version),
        one_line(&report.target.description)
    ));
    if let Some(service) = &report.service {
        let version = service.version.as_deref().map(one_line).unwrap_or_default();
        let bot = service.bot.as_deref().map(|bot| format!(", bot {}", one_line(bot))).unwrap_or_default();
        out.push_str(&format!("service {version}{bot}\n"));
    }
    if let Some(lost) = &report.lost_service {
        out.push_str(&look.paint(&format!("{}\n", one_line(lost)), Paint::Red));
    }
    if let Some(error) = &report.setup_error {
        out.push_str(&look.paint(&format!("setup failed: {}\n", one_line(error)), Paint::Red));
    }
    if let Some(by) = &report.interrupted_by {
        out.push_str(&look.paint(&format!("partial: interrupted by {}\n", one_line(by)), Paint::Yellow));
    }
    if let Some(trimmed) = &report.recording_trimmed {
        out.push_str(&look.paint(&format!("{}\n", one_line(&trimmed.line())), Paint::Yellow));
    }
    out.push('\n');

    let mut table = look.table();
    table.set_header(vec!["", "check", "title", "level", "time"]);
    for check in &report.checks {
        let (mark, paint) = crate::report::look::mark(check.verdict);
        let color = match paint {
            Paint::Green => Color::Green,
            Paint::Yellow => Color::Yellow,
            Paint::Dim => Color::DarkGrey,
            _ => Color::Red,
        };
        table.add_row(vec![
            Cell::new(format!("{mark} {}", check.verdict.name())).fg(color),
            Cell::new(one_line(&check.id)),
            Cell::new(one_line(&check.title)),
            Cell::new(check.level_label()),
            Cell::new(human(std::time::Duration::from_millis(check.duration_ms))),
        ]);
    }
    out.push_str(&table.to_string());
    out.push('\n');

    // Checks that never ran for one same reason (a failed setup, a lost
    // service) are told once, with their ids.
    let unrun = |check: &&super::model::CheckReport| check.verdict == Verdict::Error && check.evidence.is_none();
    let mut told: Vec<&str> = Vec::new();
    for check in report.checks.iter().filter(|check| check.verdict != Verdict::Pass) {
        // A capability that skipped (unsupported, untested) is told in the capability section, compactly.
        if check.capability.is_some() && check.verdict == Verdict::Skip {
            continue;
        }
        if unrun(&check) {
            let reason = check.reason.as_deref().unwrap_or_default();
            let alike: Vec<&str> = report
                .checks
                .iter()
                .filter(|other| unrun(other) && other.reason.as_deref().unwrap_or_default() == reason)
                .map(|other| other.id.as_str())
                .collect();
            if alike.len() >= GROUP_FROM {
                if told.contains(&reason) {
                    continue;
                }
                told.push(reason);
                out.push_str(&format!(
                    "\n{} {} checks — {}\n  {}\n",
                    look.verdict(Verdict::Error),
                    alike.len(),
                    one_line(reason),
                    one_line(&alike.join(", "))
                ));
                continue;
            }
        }
        out.push('\n');
        out.push_str(&format!(
            "{} {} — {} [{}]\n",
            look.verdict(check.verdict),
            one_line(&check.id),
            one_line(&check.title),
            check.level_label()
        ));
        if let Some(reason) = &check.reason {
            out.push_str(&format!("  {}\n", one_line(reason)));
        }
        // A skip, or a check that never ran, has nothing more to show.
        if check.verdict == Verdict::Skip || (check.verdict == Verdict::Error && check.evidence.is_none()) {
            continue;
        }
        out.push_str(&format!("  requirement: {}\n", one_line(&check.requirement)));
        if let Some(spec) = &check.spec {
            out.push_str(&format!("  spec:        {}\n", one_line(spec)));
        }
        if let Some(evidence) = &check.evidence {
            if !evidence.expected.is_empty() {
                out.push_str(&format!("  expected:    {}\n", one_line(&evidence.expected)));
            }
            out.push_str(&format!("  observed:    {}\n", one_line(&evidence.observed)));
            if !evidence.step.is_empty() {
                out.push_str(&format!("  step:        {}\n", one_line(&evidence.step)));
            }
            if !evidence.timeline.is_empty() {
                out.push_str("  timeline:\n");
                for entry in &evidence.timeline {
                    out.push_str(&format!("    {}\n", one_line(&entry.line())));
                }
            }
        }
    }
    out.push_str(&capabilities(report));
    out.push('\n');
    let summary = report.summary.line();
    let failed = report.summary.failed + report.summary.timed_out + report.summary.errored > 0;
    out.push_str(&look.paint(&summary, if failed { Paint::Red } else { Paint::Green }));
    out.push('\n');
    for certification in certify(report) {
        let level = match &certification.level {
            Some((level, name)) => format!("level {level} ({})", one_line(name)),
            None if certification.partial => {
                format!(
                    "no level (only {} of the suite's {} checks were selected)",
                    run_of(report, &certification.suite),
                    certification.total
                )
            }
            None if certification.unrequired.is_some() => {
                let probes =
                    report.checks.iter().any(|check| check.suite == certification.suite && check.capability.is_some());
                format!(
                    "no level (its levels require {} checks, and this run has none{})",
                    certification.unrequired.as_deref().unwrap_or_default(),
                    if probes { ": --require ROW makes a row `must`" } else { "" }
                )
            }
            None => {
                let skipped = report
                    .checks
                    .iter()
                    .filter(|check| check.suite == certification.suite && check.verdict == Verdict::Skip)
                    .count();
                if skipped > 0 && report.summary.failed + report.summary.timed_out + report.summary.errored == 0 {
                    format!("no level ({skipped} skipped check(s) were not shown to hold)")
                } else {
                    "no level".to_owned()
                }
            }
        };
        out.push_str(&format!(
            "certification {}: {level}, {}/{} checks passed\n",
            one_line(&certification.suite),
            certification.passed,
            certification.total
        ));
    }
    crate::redact::redact(&out).into_owned()
}

/// The capability section: how many rows came to each outcome, then the rows that are not supported, those
/// with one same note told once (`untested: a, b, c — needs a person …`). Empty when no capability was probed.
fn capabilities(report: &Report) -> String {
    use crate::vocab::capability::{Agreement, Outcome, Score};
    let rows: Vec<&crate::events::CapabilityReport> =
        report.checks.iter().filter_map(|check| check.capability.as_ref()).collect();
    if rows.is_empty() {
        return String::new();
    }
    let counts: Vec<String> = Outcome::ALL
        .iter()
        .map(|outcome| format!("{} {outcome}", rows.iter().filter(|row| row.outcome == *outcome).count()))
        .collect();
    let score = Score::of(rows.iter().map(|row| row.outcome));
    // Nothing probed for one reason (no session, say): the checks above told it; one line, not 50 keys again.
    if let [first, rest @ ..] = rows.as_slice()
        && first.outcome == Outcome::Untested
        && rest.iter().all(|row| row.outcome == Outcome::Untested && row.note == first.note)
    {
        let not_run = report.checks.iter().filter(|check| check.capability.is_some()).all(|check| {
            matches!(check.verdict, crate::report::model::Verdict::Error | crate::report::model::Verdict::Timeout)
        });
        let why = if not_run {
            "their checks were not run (above)".to_owned()
        } else {
            one_line(first.note.as_deref().unwrap_or("not probed"))
        };
        return format!("\ncapabilities — {} rows, none probed: {why}\n", rows.len());
    }
    let mut out = format!("\ncapabilities — {} rows: {}\n", rows.len(), counts.join(", "));
    out.push_str(&format!(
        "  coverage {} (supported / probed), correctness {} (behaved / accepted)\n",
        Score::ratio(score.coverage()),
        Score::ratio(score.correctness())
    ));
    for outcome in Outcome::ALL.iter().filter(|outcome| **outcome != Outcome::Supported) {
        let mut notes: Vec<(&str, Vec<&str>)> = Vec::new();
        for row in rows.iter().filter(|row| row.outcome == *outcome) {
            let note = row.note.as_deref().unwrap_or_default();
            match notes.iter_mut().find(|(known, _)| *known == note) {
                Some((_, keys)) => keys.push(&row.key),
                None => notes.push((note, vec![&row.key])),
            }
        }
        for (note, keys) in notes {
            out.push_str(&format!("  {outcome}: {} — {}\n", one_line(&keys.join(", ")), one_line(note)));
        }
    }
    if let Some(claims) = &report.claims {
        let disagree: Vec<&&crate::events::CapabilityReport> =
            rows.iter().filter(|row| row.agreement.is_some_and(Agreement::disagrees)).collect();
        out.push_str(&format!(
            "  claims: column {} of {} ({}): {} disagreement(s)\n",
            one_line(&claims.column),
            one_line(claims.file.as_deref().unwrap_or(&claims.source)),
            one_line(&claims.date),
            disagree.len()
        ));
        for row in disagree {
            let claim = row.claim.as_ref().map(|claim| claim.text()).unwrap_or_default();
            let agreement = row.agreement.map_or("", Agreement::as_str);
            out.push_str(&format!(
                "  {agreement}: {} — claimed {}, measured {}\n",
                one_line(&row.key),
                one_line(&claim),
                row.outcome
            ));
        }
    }
    out
}

/// From this many checks not run for one reason, they are told as one.
const GROUP_FROM: usize = 3;

fn run_of(report: &Report, suite: &str) -> usize {
    report.checks.iter().filter(|check| check.suite == suite).count()
}
