//! The one writer of report files. It builds the [`Report`] from the run's
//! events: while the run goes on, `report.json` and `junit.xml` are rewritten
//! as each check finishes, marked partial, so even a killed run leaves what it
//! had; when the run finishes, every format is written. The same report is
//! what the checklist and the exit code are made from.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::files;
use super::model::Report;
use crate::events::{Observer, RunEvent};

/// What a partial report says while its run goes on.
const UNFINISHED: &str = "the run had not finished when this was written";

pub struct ReportWriter {
    /// `None`: build the report, write nothing (`--no-report`).
    dir: Option<PathBuf>,
    /// The partial files are rewritten at most this often (zero: as each
    /// check finishes).
    partial_every: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    report: Option<Report>,
    plan: Vec<String>,
    finished: bool,
    /// When the partial files were last written.
    partial_at: Option<Instant>,
    /// The final files written, or why they could not be.
    written: Option<Result<Vec<PathBuf>, String>>,
}

impl ReportWriter {
    pub fn new(dir: Option<PathBuf>) -> ReportWriter {
        ReportWriter { dir, partial_every: Duration::ZERO, state: Mutex::new(State::default()) }
    }

    /// A writer that rewrites the partial files at most once per `every`
    /// (a run over many targets: each target's writes cost the others
    /// time). The final files are written as always; a run killed outright
    /// may leave its last checks out of the partial ones.
    pub fn throttled(dir: Option<PathBuf>, every: Duration) -> ReportWriter {
        ReportWriter { partial_every: every, ..ReportWriter::new(dir) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The report as it stands: final once the run has finished; `None`
    /// before the run started.
    pub fn report(&self) -> Option<Report> {
        self.state().report.clone()
    }

    /// The files written when the run finished (empty without a directory),
    /// or why they could not be written.
    pub fn written(&self) -> Result<Vec<PathBuf>, String> {
        self.state().written.clone().unwrap_or_else(|| Ok(Vec::new()))
    }

    fn write_partial(&self, report: &Report) {
        let Some(dir) = &self.dir else { return };
        if std::fs::create_dir_all(dir).is_ok() {
            let _ = files::write_atomically(&dir.join(files::JSON), &files::json(report));
            let _ = files::write_atomically(&dir.join(files::JUNIT), &super::junit::render(report));
        }
    }
}

impl Observer for ReportWriter {
    fn event(&self, event: RunEvent) {
        let mut state = self.state();
        match event {
            RunEvent::RunStarted(info) => {
                let mut report = Report::frame(&info);
                report.partial = true;
                report.interrupted_by = Some(UNFINISHED.into());
                state.plan = info.plan.clone();
                // Written just now: the next partial files are due after the throttle's wait, not at the first check.
                if !self.partial_every.is_zero() {
                    state.partial_at = Some(Instant::now());
                }
                // Every file at once, so that no file of an earlier run
                // stays beside this run's (a summary, a badge).
                if let Some(dir) = &self.dir {
                    let _ = files::write_all(&report, dir);
                }
                state.report = Some(report);
            }
            RunEvent::CheckFinished(check) if !state.finished => {
                let plan = state.plan.clone();
                let Some(report) = state.report.as_mut() else { return };
                report.record(*check);
                report.order(&plan);
                let due = state.partial_at.is_none_or(|at| at.elapsed() >= self.partial_every);
                if due {
                    state.partial_at = Some(Instant::now());
                    let Some(report) = state.report.as_ref() else { return };
                    // Under the lock: two checks finishing at once must not
                    // interleave their writes.
                    self.write_partial(report);
                }
            }
            RunEvent::RunFinished(end) => {
                let plan = state.plan.clone();
                let Some(report) = state.report.as_mut() else { return };
                report.order(&plan);
                report.finish(&end);
                let written = self.dir.as_ref().map(|dir| {
                    files::write_all(report, dir)
                        .map_err(|error| format!("cannot write the reports to {}: {error}", dir.display()))
                });
                state.finished = true;
                state.written = written;
            }
            _ => {}
        }
    }
}
