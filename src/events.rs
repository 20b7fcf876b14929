//! The contract between the engine and its readers: what happens during a
//! run ([`RunEvent`]), who listens ([`Observer`], [`Fanout`]), and the result
//! vocabulary every reader shares (verdicts, check reports, evidence, timeline
//! excerpts, the run's description).
//!
//! The engine and the session's connection walk send events; `report/` reads
//! them. Nothing here talks to the network or formats output. Every string a
//! peer sent has had tokens redacted before it is put in an event.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::suite::Severity;
use crate::vocab::capability::{Agreement, Claim, Claims, Group, Outcome, Row, SideEffect};

pub mod overview;

/// Longest payload kept in a timeline excerpt; the rest is summarised.
pub const PAYLOAD_LIMIT: usize = 2_000;

/// What happens during a run, in order. Every planned check gets exactly one
/// [`RunEvent::CheckFinished`], also when it never ran (no session, the run
/// was interrupted, destructive without permission).
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// First: what runs, against what, how.
    RunStarted(Box<RunInfo>),
    /// A line of progress for people (connecting, registering…).
    Phase(String),
    /// The service asks for a scan while puppet-lint waits for the login:
    /// the scan status's name and the QR code's content (a URL to show as a
    /// QR code), as the `scan` event carried them.
    Scan {
        status: String,
        qrcode: Option<String>,
    },
    /// A question to the person at the terminal (`--interactive`), or what came of it: one line, shown whatever the
    /// progress mode (a person must see it), above any live progress so that nothing draws over it.
    Ask(String),
    /// One step of the connection walk finished (discovery, tcp, tls, auth,
    /// version, event stream, login).
    SetupStep(SetupStep),
    CheckStarted {
        id: String,
        title: String,
    },
    /// `watch`: how far into how long a window the check is.
    CheckProgress {
        id: String,
        note: String,
        watch: Option<(Duration, Duration)>,
    },
    CheckFinished(Box<CheckReport>),
    /// Last: how the run ended and what it saw.
    RunFinished(Box<RunEnd>),
}

/// One step of the connection walk and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupStep {
    /// `discovery`, `tcp`, `tls`, `auth`, `version`, `event stream`, `login`.
    pub step: &'static str,
    /// `Ok(detail)` or `Err((problem, hint))`; `Ok` with `skipped` set for a
    /// step this target does not need (TLS off).
    pub outcome: Result<String, (String, String)>,
    pub skipped: bool,
    pub took: Duration,
}

/// The run as it starts: the frame every report is built in.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// RFC 3339, UTC.
    pub started_at: String,
    pub target: TargetReport,
    pub settings: SettingsReport,
    /// The suites this run checks (a `when:` suite may not apply).
    pub suites: Vec<SuiteReport>,
    /// The planned check ids, in plan order (reports list checks in it).
    pub plan: Vec<String>,
    /// What the provider is claimed to support (`--claims`, `--claims-column`), to compare the capabilities with.
    pub claims: Option<Claims>,
}

/// The run as it ends.
#[derive(Debug, Clone, Default)]
pub struct RunEnd {
    pub duration: Duration,
    /// Interrupted (a signal) or cut short (the run deadline): why.
    pub interrupted_by: Option<String>,
    /// The endpoint reached, once known (discovery may have found it).
    pub endpoint: Option<String>,
    pub service: Option<ServiceReport>,
    /// Why no session could be established, if none was: the target could
    /// not be reached, authenticated or logged in.
    pub setup_error: Option<String>,
    /// Why the run lost the service after setup, if it did.
    pub lost_service: Option<String>,
    /// Events received per type name.
    pub events: std::collections::BTreeMap<String, u64>,
    /// The recording's file name in the report directory (`timeline.jsonl`),
    /// when the run was recorded there.
    pub recording: Option<String>,
    /// What the recording budget cut from the recording, when it cut anything.
    pub recording_trimmed: Option<RecordingTrim>,
    /// The timeline in bounded form (bins, rpcs, subscriptions, login states), when the run had one.
    pub overview: Option<overview::Overview>,
}

/// An event payload the recording kept as its head only: the whole
/// payload's length in bytes (UTF-8, tokens masked) and its SHA-256 (64
/// lowercase hex digits), so the payload a provider sent can be recognised
/// without being kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trimmed {
    pub bytes: u64,
    pub sha256: String,
}

/// What the run's recording budget cut (report.json's `recording_trimmed`):
/// payloads kept as head, length and digest, and events past the end of a
/// spent recording, kept in memory by type and time only. Entries are the
/// timeline's seq numbers (0-based).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingTrim {
    /// The recording's budget, in bytes (the whole file).
    pub budget_bytes: u64,
    /// The longest line the recording holds, in bytes: a payload whose line
    /// would be longer is trimmed whatever the budget.
    pub line_bytes: u64,
    /// Payloads kept as head, length and digest.
    pub trimmed: u64,
    /// The bytes those payloads had beyond what was kept.
    pub trimmed_bytes: u64,
    /// The first trimmed payload's entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_trimmed: Option<u64>,
    /// Events not recorded at all (the budget was spent).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unrecorded: u64,
    /// The first entry not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_unrecorded: Option<u64>,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

impl RecordingTrim {
    /// One line for people: what was cut, how much, and from which entry.
    pub fn line(&self) -> String {
        let mib = |bytes: u64| format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20));
        let mut text = format!(
            "the recording was trimmed to its budget ({}; lines up to {}): {} payload(s) kept as head, length and \
             sha256, {} cut",
            mib(self.budget_bytes),
            mib(self.line_bytes),
            self.trimmed,
            mib(self.trimmed_bytes),
        );
        if let Some(first) = self.first_trimmed {
            text.push_str(&format!(", from entry {first}"));
        }
        if self.unrecorded > 0 {
            text.push_str(&format!(
                "; {} event(s) not recorded, from entry {}",
                self.unrecorded,
                self.first_unrecorded.unwrap_or_default()
            ));
        }
        text.push_str(": trimmed payloads are not judged");
        text
    }
}

/// JSON text with the C1 control characters (U+0080–U+009F) and DEL written
/// as `\u` escapes: serde_json leaves them raw, which is valid JSON, but
/// `cat report.json` would hand a provider's U+009B (CSI) to the terminal.
/// They can only stand inside JSON strings, where the escape means the same.
pub fn escape_c1_controls(json: String) -> String {
    use std::io::Write;
    // U+0080–U+009F are 0xC2 0x80–0x9F in UTF-8: look at bytes first.
    if !json.bytes().any(|byte| byte == 0x7f || byte == 0xc2) {
        return json;
    }
    let mut out = C1Escaping::new(Vec::with_capacity(json.len() + 16));
    let _ = out.write_all(json.as_bytes()).and_then(|()| out.finish());
    String::from_utf8(out.into_inner()).unwrap_or(json)
}

/// A writer that escapes like [`escape_c1_controls`] on the way through, so
/// that a long JSON line is written without a second copy of it. Counts the
/// bytes it writes on. Writes may split a character; call
/// [`C1Escaping::finish`] after the last.
pub struct C1Escaping<W> {
    out: W,
    /// A 0xC2 byte that ended the previous write.
    held: bool,
    /// Bytes written on to `out`.
    pub written: u64,
}

impl<W: std::io::Write> C1Escaping<W> {
    pub fn new(out: W) -> Self {
        C1Escaping { out, held: false, written: 0 }
    }

    /// Writes a held byte on (input that ended inside a character).
    pub fn finish(&mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.held) {
            self.pass(&[0xc2])?;
        }
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn pass(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

impl<W: std::io::Write> std::io::Write for C1Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.held && !buf.iter().any(|byte| *byte == 0x7f || *byte == 0xc2) {
            self.pass(buf)?;
            return Ok(buf.len());
        }
        let mut clean = 0;
        let mut at = 0;
        if std::mem::take(&mut self.held) {
            match buf.first() {
                None => {
                    self.held = true;
                    return Ok(0);
                }
                Some(next @ 0x80..=0x9f) => {
                    self.pass(format!("\\u{:04x}", *next as u32).as_bytes())?;
                    clean = 1;
                    at = 1;
                }
                Some(_) => self.pass(&[0xc2])?,
            }
        }
        while at < buf.len() {
            let escaped = match buf[at] {
                0x7f => Some((0x7f, 1)),
                0xc2 if at + 1 == buf.len() => {
                    self.pass(&buf[clean..at])?;
                    self.held = true;
                    return Ok(buf.len());
                }
                0xc2 if (0x80..=0x9f).contains(&buf[at + 1]) => Some((buf[at + 1], 2)),
                _ => None,
            };
            match escaped {
                Some((code, width)) => {
                    self.pass(&buf[clean..at])?;
                    self.pass(format!("\\u{:04x}", code as u32).as_bytes())?;
                    at += width;
                    clean = at;
                }
                None => at += 1,
            }
        }
        self.pass(&buf[clean..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Whoever wants to know what happens (progress, report files, tests).
pub trait Observer: Send + Sync {
    fn event(&self, event: RunEvent);
}

/// Ignores everything (tests, `--quiet`).
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: RunEvent) {}
}

/// Several observers as one, each getting every event in order.
pub struct Fanout(pub Vec<Arc<dyn Observer>>);

impl Observer for Fanout {
    fn event(&self, event: RunEvent) {
        for observer in &self.0 {
            observer.event(event.clone());
        }
    }
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
    /// A capability probe's row and outcome (checks of the capability suite only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<CapabilityReport>,
}

/// What a capability probe found about one row (report.json's `checks[].capability`; `docs/report-schema.md`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CapabilityReport {
    /// The row's text as the Wechaty docs' compatibility table writes it (an extra row: its own words).
    pub row: String,
    /// The row's stable key (`send-mini-program`).
    pub key: String,
    pub group: Group,
    /// What probing it does to a real account: `R`, `S`, `P`, `D`, `human`.
    pub class: SideEffect,
    /// Its number in the docs' table; absent for a row the docs do not have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_number: Option<u8>,
    pub outcome: Outcome,
    /// `partial`: what falls short (the matrix numbers these notes); `untested`: why it was not probed;
    /// otherwise what was seen, in a line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Named by `--require`: anything but supported or partial fails the run.
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<CapabilityEvidence>,
    /// What the run's claims (report.json's `claims`) say of this row, when they say anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    /// How the outcome stands against `claim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Agreement>,
}

impl CapabilityReport {
    /// An untested row and why.
    pub fn untested(row: Row, reason: impl Into<String>, required: bool) -> CapabilityReport {
        CapabilityReport::of(row, Outcome::Untested, Some(reason.into()), required, None)
    }

    pub fn of(
        row: Row,
        outcome: Outcome,
        note: Option<String>,
        required: bool,
        evidence: Option<CapabilityEvidence>,
    ) -> CapabilityReport {
        CapabilityReport {
            row: row.text().to_owned(),
            key: row.key().to_owned(),
            group: row.group(),
            class: row.class(),
            docs_number: row.docs_number(),
            outcome,
            note,
            required,
            evidence,
            claim: None,
            agreement: None,
        }
    }

    /// Sets the claim `claims` make of this row and how the outcome stands against it (none: both cleared).
    pub fn compare(&mut self, claims: Option<&Claims>) {
        self.claim = claims.and_then(|claims| claims.rows.get(&self.key)).cloned();
        self.agreement = self.claim.as_ref().map(|claim| Agreement::of(claim.claimed, self.outcome));
    }
}

/// What decided a capability's outcome: the rpc, its status, what was expected and seen, the timeline around it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct CapabilityEvidence {
    /// The rpc that decided (`MessageSendUrl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc: Option<String>,
    /// Its status: `OK`, or a code's name and the first line of its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub expected: String,
    pub seen: String,
    pub timeline: Vec<TimelineEntry>,
}

impl CheckReport {
    /// Its level as a person reads it: `must`, `should`, or `must, destructive`.
    pub fn level_label(&self) -> String {
        let level = self.level.as_str();
        if self.destructive { format!("{level}, destructive") } else { level.to_owned() }
    }
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
        /// Replayed to a new subscriber (a `login`, `ready` or `scan` that
        /// tells the state, not a new happening).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        replay: bool,
        /// The recording kept only the payload's head (`payload`): the run's
        /// recording budget was spent, or the line would have been longer
        /// than a recording line may be. What the whole payload was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trimmed: Option<Trimmed>,
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
    /// The stream ended outside `Stop` and puppet-lint subscribed again, as `stream`; `ended`: how it ended.
    Reopened {
        stream: u32,
        ended: String,
    },
    /// The service was lost (it stopped answering, or the stream could not be opened again): the run ends.
    Lost {
        cause: String,
    },
    Note {
        text: String,
    },
}

impl TimelineEntry {
    /// One line for people: `+1.204s  login  {"contactId":"bot"}`.
    pub fn line(&self) -> String {
        let at = format!("+{}.{:03}s", self.at_ms / 1000, self.at_ms % 1000);
        let body = match &self.what {
            TimelineWhat::Event { event, payload, problem, connect_heartbeat, replay, trimmed, .. } => {
                let mut text = format!("event {event} {}", truncate(payload, 160));
                if let Some(trimmed) = trimmed {
                    text.push_str(&format!(" (trimmed: {} bytes in all, sha256 {})", trimmed.bytes, trimmed.sha256));
                }
                if *replay {
                    text.push_str(" (replay)");
                }
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
            TimelineWhat::Reopened { stream, ended } => {
                format!("note: the event stream ended outside Stop ({ended}); subscribed again as stream {stream}")
            }
            TimelineWhat::Lost { cause } => format!("note: lost the service at {cause}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_controls_are_escaped_and_the_json_means_the_same() {
        let raw = serde_json::to_string(&"a\u{9b}31m\u{7f}b").unwrap();
        let safe = escape_c1_controls(raw.clone());
        assert_eq!(safe, "\"a\\u009b31m\\u007fb\"");
        assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), serde_json::from_str::<String>(&raw).unwrap());
    }

    #[test]
    fn the_escaping_writer_escapes_alike_however_the_writes_are_cut() {
        use std::io::Write;
        let raw = serde_json::to_string(&"\u{85}x\u{a0}é\u{9f}\u{7f}\u{c2}\u{80}\u{9b}").unwrap();
        let whole = escape_c1_controls(raw.clone());
        assert!(!whole.contains('\u{85}') && whole.contains('\u{a0}') && whole.contains('\u{c2}'), "{whole}");
        for size in 1..=4 {
            let mut writer = C1Escaping::new(Vec::new());
            for piece in raw.as_bytes().chunks(size) {
                writer.write_all(piece).unwrap();
            }
            writer.finish().unwrap();
            assert_eq!(writer.written as usize, whole.len());
            assert_eq!(String::from_utf8(writer.into_inner()).unwrap(), whole, "writes of {size} bytes");
        }
    }
}
