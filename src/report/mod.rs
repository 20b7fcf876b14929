//! Every reader of a run: the live progress on stderr, and the report files
//! — all rendered from one [`model::Report`], which [`writer::ReportWriter`]
//! builds from the run's events: the terminal checklist, JUnit XML, GitHub
//! Markdown, a certification badge (SVG and shields.io JSON), the run as a
//! page (`report.html`), `report.json` itself, and baselines. Nothing here talks to the network or to a session.

pub mod badge;
pub mod baseline;
pub mod bounds;
pub mod checklist;
pub mod escape;
pub mod files;
pub mod fleet;
pub mod github;
pub mod html;
pub mod junit;
pub mod look;
pub mod markdown;
pub mod matrix;
pub mod model;
pub mod progress;
pub mod writer;

use model::{CheckReport, Report, Verdict};

use crate::suite::Severity;

/// The certification a suite's checks earned in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certification {
    pub suite: String,
    /// The highest level whose every required check passed.
    pub level: Option<(u32, String)>,
    /// How many levels the suite defines.
    pub levels: usize,
    pub passed: usize,
    pub total: usize,
    /// Some of the suite's checks were not selected: no level can be reached.
    pub partial: bool,
    /// The suite's first level requires checks of these levels (`must`), and the run had none of them: no level
    /// is reached vacuously (the capability suite without `--require`).
    pub unrequired: Option<String>,
}

impl Certification {
    /// `L2 · 11/11`, or `uncertified · 9/11`.
    pub fn message(&self) -> String {
        match &self.level {
            Some((level, _)) => format!("L{level} · {}/{}", self.passed, self.total),
            None if self.unrequired.is_some() => format!("nothing required · {}/{}", self.passed, self.total),
            None => format!("uncertified · {}/{}", self.passed, self.total),
        }
    }

    /// shields.io colour names, by how high the level reached is.
    pub fn color(&self) -> &'static str {
        match &self.level {
            None if self.unrequired.is_some() => "lightgrey",
            None => "red",
            Some((level, _)) if self.levels > 0 && *level as usize >= self.levels => "brightgreen",
            Some(_) => "green",
        }
    }
}

/// Level reached per suite. A level counts only checks that passed: a
/// skipped `must` check (say, destructive without --allow-destructive) was
/// not shown to hold, so it does not certify; nor does a run of only some
/// of a suite's checks, nor one with no check the level requires (the
/// capability suite's rows are `should` unless `--require` names them).
pub fn certify(report: &Report) -> Vec<Certification> {
    report
        .suites
        .iter()
        .map(|suite| {
            let checks: Vec<_> = report.checks.iter().filter(|check| check.suite == suite.id).collect();
            let required = |severities: &[Severity]| -> Vec<&&CheckReport> {
                checks.iter().filter(|check| severities.contains(&check.level)).collect()
            };
            let holds = |severities: &[Severity]| {
                let required = required(severities);
                !required.is_empty() && required.iter().all(|check| check.verdict == Verdict::Pass)
            };
            let mut levels = suite.levels.clone();
            levels.sort_by_key(|level| level.level);
            let partial = checks.len() < suite.checks;
            let level = levels
                .iter()
                .take_while(|level| !partial && !checks.is_empty() && holds(&level.requires))
                .last()
                .map(|level| (level.level, level.name.clone()));
            let unrequired = levels
                .first()
                .filter(|first| !partial && !checks.is_empty() && required(&first.requires).is_empty())
                .map(|first| {
                    first
                        .requires
                        .iter()
                        .map(|severity| format!("`{}`", severity.as_str()))
                        .collect::<Vec<_>>()
                        .join(" and ")
                });
            Certification {
                suite: suite.id.clone(),
                level,
                levels: levels.len(),
                passed: checks.iter().filter(|check| check.verdict == Verdict::Pass).count(),
                total: checks.len().max(suite.checks),
                partial,
                unrequired,
            }
        })
        .collect()
}

/// Text for one line of a terminal or log (see [`escape::terminal`]).
pub use escape::terminal::{SHOWN_LIMIT, one_line};
