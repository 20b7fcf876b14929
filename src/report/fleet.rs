//! A run over several targets, in one picture: the combined checklist
//! (targets × checks, verdict marks, each target's outcome and exit code) for
//! the terminal, and the combined files in the run's report directory —
//! `summary.md` (the compatibility matrix of [`super::matrix`] with a line per
//! target) and `matrix.json`. Each target's own files are in `<name>/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use comfy_table::{Cell, Color};

use super::look::{Look, Paint};
use super::matrix::{self, Matrix};
use super::model::{Report, Verdict};
use super::{files, one_line};

/// Up to this many targets the checklist has a column per target; past it,
/// a row per target with a mark per check.
const COLUMNS_UP_TO: usize = 8;

/// One target's outcome, as the combined views show it.
pub struct Outcome {
    pub name: String,
    pub report: Report,
    /// The exit code this target alone would give.
    pub code: i32,
}

/// The checks of every target, in the order they first appear.
fn check_ids(outcomes: &[Outcome]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for outcome in outcomes {
        for check in &outcome.report.checks {
            if !ids.contains(&check.id) {
                ids.push(check.id.clone());
            }
        }
    }
    ids
}

fn verdict_of(report: &Report, id: &str) -> Option<Verdict> {
    report.checks.iter().find(|check| check.id == id).map(|check| check.verdict)
}

/// `✓`, `✗`, …; `·` where the target did not run the check.
fn mark(verdict: Option<Verdict>) -> &'static str {
    verdict.map_or("·", |verdict| super::look::mark(verdict).0)
}

fn color(verdict: Option<Verdict>) -> Color {
    match verdict.map(|verdict| super::look::mark(verdict).1) {
        Some(Paint::Green) => Color::Green,
        Some(Paint::Yellow) => Color::Yellow,
        Some(Paint::Dim) | None => Color::DarkGrey,
        Some(_) => Color::Red,
    }
}

/// What a target came to, in one line: its summary, or why it could not
/// be checked.
fn outcome_line(outcome: &Outcome) -> String {
    let report = &outcome.report;
    if let Some(error) = &report.setup_error {
        return format!("setup failed: {}", one_line(error));
    }
    let mut line = report.summary.line();
    if let Some(lost) = &report.lost_service {
        line.push_str(&format!("; {}", one_line(lost)));
    }
    if report.partial {
        line.push_str("; partial");
    }
    line
}

/// `1 target`, `3 targets`.
fn count_targets(count: usize) -> String {
    format!("{count} target{}", if count == 1 { "" } else { "s" })
}

/// The combined checklist for the terminal. `interrupted`: the signal that
/// cut the run short and the exit code it gives (its last line says so).
pub fn checklist(outcomes: &[Outcome], look: &Look, interrupted: Option<(&str, i32)>) -> String {
    let ids = check_ids(outcomes);
    let mut out = String::new();
    let version = outcomes.first().map_or("", |outcome| outcome.report.puppet_lint_version.as_str());
    let _ =
        writeln!(out, "puppet-lint {} — {} × {} checks\n", one_line(version), count_targets(outcomes.len()), ids.len());
    if outcomes.len() <= COLUMNS_UP_TO {
        let mut grid = look.table();
        let mut header = vec![Cell::new("check")];
        header.extend(outcomes.iter().map(|outcome| Cell::new(one_line(&outcome.name))));
        grid.set_header(header);
        for id in &ids {
            let mut row = vec![Cell::new(one_line(id))];
            for outcome in outcomes {
                let verdict = verdict_of(&outcome.report, id);
                row.push(Cell::new(mark(verdict)).fg(color(verdict)));
            }
            grid.add_row(row);
        }
        out.push_str(&grid.to_string());
        out.push('\n');
    } else {
        out.push_str("checks, in the order of the marks:\n");
        for (index, id) in ids.iter().enumerate() {
            let _ = writeln!(out, "  {:>2} {}", index + 1, one_line(id));
        }
        out.push('\n');
    }
    let mut targets = look.table();
    targets.set_header(vec!["target", "checks", "outcome", "exit"]);
    for outcome in outcomes {
        let marks: String = ids.iter().map(|id| mark(verdict_of(&outcome.report, id))).collect();
        let code = Cell::new(outcome.code).fg(if outcome.code == 0 { Color::Green } else { Color::Red });
        targets.add_row(vec![
            Cell::new(one_line(&outcome.name)),
            Cell::new(marks),
            Cell::new(outcome_line(outcome)),
            code,
        ]);
    }
    out.push_str(&targets.to_string());
    out.push('\n');
    for outcome in outcomes {
        for check in
            outcome.report.checks.iter().filter(|check| !matches!(check.verdict, Verdict::Pass | Verdict::Skip))
        {
            // A target that could not be set up said why once, above.
            if outcome.report.setup_error.is_some() && check.evidence.is_none() && check.verdict == Verdict::Error {
                continue;
            }
            let reason = check.reason.as_deref().map(|reason| format!(" — {}", one_line(reason))).unwrap_or_default();
            let _ = writeln!(
                out,
                "{} {} {}{reason}",
                look.verdict(check.verdict),
                one_line(&outcome.name),
                one_line(&check.id)
            );
        }
    }
    let worst = outcomes.iter().map(|outcome| outcome.code).max().unwrap_or(0);
    let passing = outcomes.iter().filter(|outcome| outcome.code == 0).count();
    let (line, paint) = match interrupted {
        Some((by, code)) => (
            format!(
                "interrupted by {by}: {passing} of {} passed before it; exit {code} (partial reports)",
                count_targets(outcomes.len())
            ),
            Paint::Yellow,
        ),
        None => (
            format!("{passing} of {} passed; exit {worst} (the worst of them)", count_targets(outcomes.len())),
            if worst == 0 { Paint::Green } else { Paint::Red },
        ),
    };
    out.push('\n');
    out.push_str(&look.paint(&line, paint));
    out.push('\n');
    crate::redact::redact(&out).into_owned()
}

/// The combined Markdown: a line per target (its directory, outcome and
/// exit code), then the compatibility matrix of them all.
pub fn markdown(outcomes: &[Outcome], built: &Matrix) -> String {
    let mut md = String::from(
        "# puppet-lint: several targets\n\n| Target | Outcome | Exit | Reports |\n| --- | --- | --- | --- |\n",
    );
    for outcome in outcomes {
        let _ = writeln!(
            md,
            "| {} | {} | {} | [{}/](<{}/summary.md>) |",
            super::escape::markdown::cell(&outcome.name),
            super::escape::markdown::cell(&outcome_line(outcome)),
            outcome.code,
            super::escape::markdown::cell(&outcome.name),
            outcome.name
        );
    }
    md.push('\n');
    md.push_str(&matrix::markdown(built).replacen("## Compatibility matrix", "## Targets × checks", 1));
    crate::redact::redact(&md).into_owned()
}

/// Writes the combined files into `dir` (each target's are in `<name>/`).
pub fn write(outcomes: &[Outcome], dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let built = Matrix::build(outcomes.iter().map(|outcome| (outcome.name.clone(), outcome.report.clone())).collect());
    let written = [(files::MARKDOWN, markdown(outcomes, &built)), (MATRIX_JSON, matrix::json(&built))];
    written
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            files::write_atomically(&path, &text)?;
            Ok(path)
        })
        .collect()
}

/// The combined matrix, as `puppet-lint matrix --format json` writes it.
pub const MATRIX_JSON: &str = "matrix.json";
