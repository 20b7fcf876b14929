//! `report.json`: everything a run found, as plain data. The engine fills it;
//! every other format (checklist, JUnit, Markdown, badge) is rendered from it,
//! so `puppet-lint report` can re-render any of them from a saved file.
//!
//! Schema `puppet-lint/report`, version 1. Fields are only ever added within a
//! version; times are milliseconds, instants RFC 3339 UTC; every string a peer
//! sent has had tokens redacted.

use serde::{Deserialize, Serialize};

use crate::session::{Entry, What};
use crate::suite::Severity;

pub const SCHEMA: &str = "puppet-lint/report";
pub const SCHEMA_VERSION: u32 = 1;
/// Longest payload kept in the timeline; the rest is summarised.
const PAYLOAD_LIMIT: usize = 2_000;

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
    pub checks: Vec<CheckReport>,
    pub summary: Summary,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetReport {
    /// One line, token masked.
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub tls: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SettingsReport {
    pub heartbeat_window_ms: u64,
    pub heartbeat_interval_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    pub allow_destructive: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ServiceReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SuiteReport {
    pub id: String,
    pub version: String,
    pub title: String,
    /// How many checks the suite has; a run that selected fewer certifies nothing.
    #[serde(default)]
    pub checks: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    pub source: String,
    pub levels: Vec<LevelReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LevelReport {
    pub level: u32,
    pub name: String,
    pub requires: Vec<Severity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    /// A `should` check that failed.
    Warn,
    Skip,
    /// The harness or the connection failed, not the provider's rule.
    Error,
    /// The check did not finish within its budget.
    Timeout,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
            Verdict::Skip => "skip",
            Verdict::Error => "error",
            Verdict::Timeout => "timeout",
        }
    }

    /// The provider broke the rule (or did not answer in time).
    pub fn is_failure(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Timeout)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckReport {
    pub id: String,
    pub suite: String,
    pub title: String,
    pub requirement: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    pub level: Severity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub destructive: bool,
    pub verdict: Verdict,
    /// One line: why it did not pass (or, for a pass, what was measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    pub started_ms: u64,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Evidence {
    /// The step that decided, e.g. `wait_for (suites/x.yaml:40:9)`.
    pub step: String,
    pub expected: String,
    pub observed: String,
    /// The part of the timeline that shows it.
    pub timeline: Vec<TimelineEntry>,
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TimelineEntry {
    pub seq: usize,
    pub at_ms: u64,
    #[serde(flatten)]
    pub what: TimelineWhat,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TimelineWhat {
    Event {
        stream: u32,
        event: String,
        number: i32,
        payload: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        connect_heartbeat: bool,
    },
    Subscribed {
        stream: u32,
    },
    StreamEnded {
        stream: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    Rpc {
        rpc: String,
        took_ms: u64,
        outcome: String,
    },
    Note {
        text: String,
    },
}

impl From<&Entry> for TimelineEntry {
    fn from(entry: &Entry) -> Self {
        let redact = |text: &str| crate::redact::redact(text).into_owned();
        let what = match &entry.what {
            What::Event(event) => TimelineWhat::Event {
                stream: event.stream,
                event: event.kind.name(),
                number: event.kind.wire(),
                // Redact first: a cut could split a token and leave its start.
                payload: truncate(&redact(&event.raw), PAYLOAD_LIMIT),
                problem: event.problem.as_deref().map(redact),
                connect_heartbeat: event.connect_heartbeat,
            },
            What::Subscribed { stream } => TimelineWhat::Subscribed { stream: *stream },
            What::StreamEnded { stream, error } => {
                TimelineWhat::StreamEnded { stream: *stream, error: error.as_deref().map(redact) }
            }
            What::Rpc(rpc) => TimelineWhat::Rpc {
                rpc: rpc.name.to_owned(),
                took_ms: rpc.took.as_millis() as u64,
                outcome: redact(&rpc.outcome),
            },
            What::Note(text) => TimelineWhat::Note { text: redact(text) },
        };
        TimelineEntry { seq: entry.seq, at_ms: entry.at.as_millis() as u64, what }
    }
}

impl TimelineEntry {
    /// One line for people: `+1.204s  login  {"contactId":"bot"}`.
    pub fn line(&self) -> String {
        let at = format!("+{}.{:03}s", self.at_ms / 1000, self.at_ms % 1000);
        let body = match &self.what {
            TimelineWhat::Event { event, payload, problem, connect_heartbeat, .. } => {
                let mut text = format!("event {event} {}", truncate(payload, 160));
                if *connect_heartbeat {
                    text.push_str(" (stream connect)");
                }
                if let Some(problem) = problem {
                    text.push_str(&format!(" [{problem}]"));
                }
                text
            }
            TimelineWhat::Subscribed { stream } => {
                format!("subscribed to events (stream {stream})")
            }
            TimelineWhat::StreamEnded { stream, error: None } => format!("event stream {stream} ended (OK)"),
            TimelineWhat::StreamEnded { stream, error: Some(error) } => format!("event stream {stream} ended: {error}"),
            TimelineWhat::Rpc { rpc, took_ms, outcome } => format!("rpc {rpc} → {outcome} ({took_ms}ms)"),
            TimelineWhat::Note { text } => format!("note: {text}"),
        };
        format!("{at:>10}  {body}")
    }
}

/// At most `limit` characters, saying how much was cut.
pub fn truncate(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}… ({} more bytes)", &text[..cut], text.len() - cut),
    }
}
