//! `report.json`: everything a run found, as plain data, built from the run's
//! events by [`super::writer::ReportWriter`]; every other format (checklist, JUnit, Markdown, badge) is rendered from it,
//! so `puppet-lint report` can re-render any of them from a saved file.
//!
//! Schema `puppet-lint/report`, version 2 (version 1 embedded the whole
//! timeline; version 2 names the recording, `timeline.jsonl`, and counts
//! events per type, so its size does not grow with the event count). Fields
//! are only ever added within a version; times are milliseconds, instants
//! RFC 3339 UTC; every string a peer sent has had tokens redacted.

use serde::{Deserialize, Serialize};

use crate::events::overview::Overview;
pub use crate::events::{
    CheckReport, Evidence, LevelReport, RecordingTrim, ServiceReport, SettingsReport, SuiteReport, TargetReport,
    TimelineEntry, TimelineWhat, Verdict, truncate,
};
use crate::events::{RunEnd, RunInfo};

pub const SCHEMA: &str = "puppet-lint/report";
pub const SCHEMA_VERSION: u32 = 2;
/// The oldest schema version puppet-lint still reads.
pub const OLDEST_READABLE: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema: String,
    pub schema_version: u32,
    pub puppet_lint_version: String,
    pub started_at: String,
    pub duration_ms: u64,
    /// The run did not finish: interrupted, or cut short by its deadline.
    pub partial: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupted_by: Option<String>,
    pub target: TargetReport,
    pub settings: SettingsReport,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceReport>,
    /// Why no session could be established, if none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_error: Option<String>,
    pub suites: Vec<SuiteReport>,
    /// Why the run lost the service after setup (it stopped serving, or
    /// its event stream could not be reopened), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_service: Option<String>,
    pub checks: Vec<CheckReport>,
    pub summary: Summary,
    /// Events received per type name (`message`, `heartbeat`, `type-99`…).
    #[serde(default)]
    pub events: std::collections::BTreeMap<String, u64>,
    /// The run's recording in the same directory: every entry of the
    /// timeline, one JSON line each (`timeline.jsonl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    /// What the recording budget cut from the recording, when it cut
    /// anything: trimmed payloads are not judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_trimmed: Option<RecordingTrim>,
    /// The timeline in bounded form, for pages that draw it (`report.html`):
    /// events per type in bins along the run, the longest silence per bin,
    /// the rpcs, the subscriptions and their ends, the login-state events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overview: Option<Overview>,
    /// What the provider is claimed to support (`--claims`, `--claims-column`): each capability's `claim` and
    /// `agreement` compare with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<crate::vocab::capability::Claims>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
    pub errored: usize,
    pub timed_out: usize,
}

impl Summary {
    pub fn of(checks: &[CheckReport]) -> Summary {
        let count = |verdict: Verdict| checks.iter().filter(|check| check.verdict == verdict).count();
        Summary {
            total: checks.len(),
            passed: count(Verdict::Pass),
            failed: count(Verdict::Fail),
            warned: count(Verdict::Warn),
            skipped: count(Verdict::Skip),
            errored: count(Verdict::Error),
            timed_out: count(Verdict::Timeout),
        }
    }

    /// `9 passed, 1 failed, 1 warned, 2 skipped, 0 errored` (+ timed out when any).
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} passed, {} failed, {} warned, {} skipped, {} errored",
            self.passed, self.failed, self.warned, self.skipped, self.errored
        );
        if self.timed_out > 0 {
            line.push_str(&format!(", {} timed out", self.timed_out));
        }
        line
    }
}

impl Report {
    /// The report of a run that has just started: no checks yet.
    pub fn frame(info: &RunInfo) -> Report {
        Report {
            schema: SCHEMA.into(),
            schema_version: SCHEMA_VERSION,
            puppet_lint_version: env!("CARGO_PKG_VERSION").into(),
            started_at: info.started_at.clone(),
            duration_ms: 0,
            partial: false,
            interrupted_by: None,
            target: info.target.clone(),
            settings: info.settings.clone(),
            service: None,
            setup_error: None,
            suites: info.suites.clone(),
            lost_service: None,
            checks: Vec::new(),
            summary: Summary::default(),
            events: Default::default(),
            recording: None,
            recording_trimmed: None,
            overview: None,
            claims: info.claims.clone(),
        }
    }

    /// Adds (or replaces) a check's report and recounts.
    pub fn record(&mut self, mut check: CheckReport) {
        if let Some(capability) = check.capability.as_mut() {
            capability.compare(self.claims.as_ref());
        }
        self.checks.retain(|known| known.id != check.id);
        self.checks.push(check);
        self.summary = Summary::of(&self.checks);
    }

    /// Puts the checks in plan order (ids not in `plan` go last).
    pub fn order(&mut self, plan: &[String]) {
        self.checks.sort_by_key(|check| plan.iter().position(|id| *id == check.id).unwrap_or(usize::MAX));
    }

    /// Closes the report with how the run ended.
    pub fn finish(&mut self, end: &RunEnd) {
        self.duration_ms = end.duration.as_millis() as u64;
        self.interrupted_by = end.interrupted_by.clone();
        self.partial = self.interrupted_by.is_some();
        if end.endpoint.is_some() {
            self.target.endpoint = end.endpoint.clone();
        }
        self.service = end.service.clone();
        self.setup_error = end.setup_error.clone();
        self.lost_service = end.lost_service.clone();
        self.events = end.events.clone();
        self.recording = end.recording.clone();
        self.recording_trimmed = end.recording_trimmed.clone();
        self.overview = end.overview.clone();
        self.summary = Summary::of(&self.checks);
    }
}
