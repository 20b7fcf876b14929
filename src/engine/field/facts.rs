//! Whether what the payloads say is *true*, judged over the whole run: well-shaped payloads ([`super::shapes`]) can
//! still name one message twice, carry a time decades off, or hold a language's placeholder where a value belongs.
//! Each rule ([`FactRule`]) observes only the recording, so a run and `rejudge` of its recording find the same.
//!
//! | rule | level | what it holds | why |
//! | --- | --- | --- | --- |
//! | `message-once` | must | one `message` event per `messageId` | Wechaty emits `message` for every event: a bot answers a message delivered twice twice (issue reports: echoes and received texts delivered twice) |
//! | `event-storm` | should | at most [`STORM_PER_SECOND`] events of one type with one payload within any second | no event of a well-behaved puppet repeats byte for byte that fast: messages carry new ids, heartbeats come seconds apart, a dong answers one Ding (dongs are left out: a client may ding with one data many times); a storm floods every bot's handler, but each event is still true |
//! | `timestamps` | must | a room event's `timestamp` (`room-join`, `room-leave`, `room-topic`; seconds in wechaty-puppet, a value of 1e11 or more read as milliseconds as Wechaty does) lies within [`PAST`] before and [`FUTURE`] after the event arrived | room events are told as they happen; a backlog after a reconnect is hours old, not years; a host clock off by minutes already breaks TLS. A time decades off puts a join before the room existed in every bot's log |
//! | `placeholders` | must | no string in a payload is `undefined`, `null`, `NaN` or `[object Object]` (whole, spaces and line breaks around it aside, in any letter case: `" null "`, `"NULL"`, `"undefined\n"`; `Null Island` is a value) | these are JavaScript's stringifications of a lost value (`String(undefined)`, `` `${obj}` ``): wechaty-puppet's payload types hold values, and a bot cannot tell the placeholder from a real one (a dong that answers no ding, a topic "undefined") |
//!
//! The unit of a room event's timestamp (seconds, not milliseconds) is `payloads.shape-advice`'s (should); this
//! judge reads either unit and holds the time itself against the clock. A timestamp in milliseconds is no `must`
//! finding, because the official server sends them: wechaty-puppet-mock's `room-join`, `room-leave` and
//! `room-topic` carry `timestamp: Date.now()` (dist/esm/src/mock/user/room-mock.js), and Wechaty reads either unit
//! (`timestampToDate`: a value under 1e11 is seconds, else milliseconds), so no bot sees a wrong date. The unit is
//! told as a should (wechaty-puppet's payload types say seconds); a time that is wrong in either unit is a must.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::session::timeline::Identity;
use crate::vocab::FactRule;
use crate::wire::EventKind;

/// More identical events than this within one second are a storm.
pub const STORM_PER_SECOND: u32 = 10;
/// How long before its arrival a room event's time may lie.
pub const PAST: Duration = Duration::from_secs(24 * 3600);
/// How long after its arrival a room event's time may lie (clock skew between hosts).
pub const FUTURE: Duration = Duration::from_secs(5 * 60);
/// How long before its `message` event a message's own time (`timestamp`, `receive_time`) may lie: unlike a room
/// event, a message can be told late on purpose — the backlog a provider syncs at login holds what arrived while the
/// bot was away, days or weeks of it. A message from 1970 (seconds where milliseconds belong) or decades off is no
/// backlog. Judged by `check_message_content`'s `message-time` (engine/actions/content.rs).
pub const MESSAGE_PAST: Duration = Duration::from_secs(30 * 24 * 3600);
/// A timestamp this large is in milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
const MILLISECONDS_FROM: f64 = 1e11;
/// The placeholder texts: what JavaScript makes of a value that was lost (matched whole, trimmed, in any case:
/// [`is_placeholder`]).
pub const PLACEHOLDERS: &[&str] = &["undefined", "null", "NaN", "[object Object]"];
/// How many message ids are remembered (a flood past this is judged on what was remembered).
const IDS_KEPT: usize = 1 << 20;
/// Findings kept per rule (the count says how many in all).
const KEPT_PER_RULE: usize = 64;
/// Storm windows kept before the stale ones are dropped.
const WINDOWS_KEPT: usize = 4096;

/// One thing the payloads say that is not true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactFinding {
    pub rule: FactRule,
    pub seq: usize,
    pub at: Duration,
    /// Names the event, the field, the value and the rule, e.g.
    /// "seq 12: `message`.messageId \"m-1\" again (first at seq 9): one `message` event per message id (must)".
    pub message: String,
}

/// The fact judge: fed every event of the run in order ([`Facts::event`]), then read ([`Facts::findings`]).
pub struct Facts {
    once: bool,
    storm: bool,
    times: bool,
    placeholders: bool,
    /// When the run began, in seconds since the Unix epoch.
    started: f64,
    hasher: std::hash::RandomState,
    /// Each message id's hash, with the seq of its first event.
    ids: HashMap<u64, usize>,
    /// Each (type, payload)'s current one-second window: its start, its count, its first seq.
    windows: HashMap<u64, (Duration, u32, usize)>,
    stormed: HashSet<u64>,
    /// When the storm windows were last pruned.
    pruned: Duration,
    findings: Vec<FactFinding>,
    /// Findings per rule, kept or not (by [`FactRule::ALL`]'s order).
    counts: [usize; 4],
    /// Payloads not judged: the recording budget trimmed them.
    pub unjudged: u64,
    pub judged: u64,
}

impl Facts {
    pub fn new(rules: &[FactRule], started: SystemTime) -> Facts {
        Facts {
            once: rules.contains(&FactRule::MessageOnce),
            storm: rules.contains(&FactRule::EventStorm),
            times: rules.contains(&FactRule::Timestamps),
            placeholders: rules.contains(&FactRule::Placeholders),
            started: started.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64(),
            hasher: std::hash::RandomState::new(),
            ids: HashMap::new(),
            windows: HashMap::new(),
            stormed: HashSet::new(),
            pruned: Duration::ZERO,
            findings: Vec::new(),
            counts: [0; 4],
            unjudged: 0,
            judged: 0,
        }
    }

    /// One event of the run: `raw` as shown (a long payload cut), `identity` what tells the whole payload from
    /// another (`EventRecord::identity`: itself, or its SHA-256 when long or trimmed; `None` when nothing of it was
    /// recorded), `payload` its parse (`None` when it is no JSON or was trimmed), `whole` whether the recording kept
    /// it whole. The storm rule goes by `identity`, so it also judges a payload the recording trimmed (its digest
    /// was kept) and never takes two long payloads with one head for one; the other rules read the payload, whole.
    /// Connect heartbeats and replays are artefacts of a subscription, not happenings: they are left out of the
    /// storm rule.
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        &mut self,
        seq: usize,
        at: Duration,
        kind: EventKind,
        raw: &str,
        identity: Option<&Identity<'_>>,
        payload: Option<&Value>,
        whole: bool,
        subscription_artefact: bool,
    ) {
        if self.storm
            && !subscription_artefact
            && kind != EventKind::Dong
            && let Some(identity) = identity
        {
            self.storm(seq, at, kind, raw, identity);
        }
        if !whole {
            self.unjudged += 1;
            return;
        }
        self.judged += 1;
        let Some(payload) = payload else { return };
        if self.once && kind == EventKind::Message {
            self.once(seq, at, payload);
        }
        if self.times && matches!(kind, EventKind::RoomJoin | EventKind::RoomLeave | EventKind::RoomTopic) {
            self.time(seq, at, kind, payload);
        }
        if self.placeholders {
            let mut path = Vec::new();
            self.placeholder(seq, at, kind, payload, &mut path);
        }
    }

    /// What was found, in the order of the run (at most [`KEPT_PER_RULE`] a rule).
    pub fn findings(&self) -> &[FactFinding] {
        &self.findings
    }

    /// How many findings `rule` has, kept or not.
    pub fn count(&self, rule: FactRule) -> usize {
        FactRule::ALL.iter().position(|known| *known == rule).map_or(0, |index| self.counts[index])
    }

    fn found(&mut self, finding: FactFinding) {
        let Some(index) = FactRule::ALL.iter().position(|known| *known == finding.rule) else { return };
        self.counts[index] += 1;
        if self.counts[index] <= KEPT_PER_RULE {
            self.findings.push(finding);
        }
    }

    fn hash(&self, value: impl Hash) -> u64 {
        self.hasher.hash_one(value)
    }

    fn once(&mut self, seq: usize, at: Duration, payload: &Value) {
        let Some(id) = payload.get("messageId").and_then(Value::as_str).filter(|id| !id.is_empty()) else { return };
        let key = self.hash(id);
        match self.ids.get(&key) {
            Some(first) => {
                let first = *first;
                self.found(FactFinding {
                    rule: FactRule::MessageOnce,
                    seq,
                    at,
                    message: format!(
                        "seq {seq}: `message`.messageId {} again (first at seq {first}): one `message` event per \
                         message id; a bot answers a message delivered twice twice (must)",
                        shown(id)
                    ),
                });
            }
            None if self.ids.len() < IDS_KEPT => {
                self.ids.insert(key, seq);
            }
            None => {}
        }
    }

    fn storm(&mut self, seq: usize, at: Duration, kind: EventKind, raw: &str, identity: &Identity<'_>) {
        let key = self.hash((kind.wire(), identity));
        // Windows older than a second are dropped once a second; past WINDOWS_KEPT distinct payloads within it,
        // a new payload is not followed until then (thousands of distinct events a second are no storm of one).
        if at.saturating_sub(self.pruned) > Duration::from_secs(1) {
            self.windows.retain(|_, (start, _, _)| at.saturating_sub(*start) <= Duration::from_secs(1));
            self.pruned = at;
        }
        if self.windows.len() >= WINDOWS_KEPT && !self.windows.contains_key(&key) {
            return;
        }
        let window = self.windows.entry(key).or_insert((at, 0, seq));
        if at.saturating_sub(window.0) > Duration::from_secs(1) {
            *window = (at, 0, seq);
        }
        window.1 += 1;
        if window.1 == STORM_PER_SECOND + 1 && self.stormed.insert(key) {
            let first = window.2;
            self.found(FactFinding {
                rule: FactRule::EventStorm,
                seq,
                at,
                message: format!(
                    "seq {seq}: `{}` {} for the {}th time within 1 s (first at seq {first}): a storm of identical \
                     events; at most {STORM_PER_SECOND} of one type and payload a second (should)",
                    kind.name(),
                    shown(raw),
                    STORM_PER_SECOND + 1
                ),
            });
        }
    }

    fn time(&mut self, seq: usize, at: Duration, kind: EventKind, payload: &Value) {
        let Some(value) = payload.get("timestamp").and_then(Value::as_f64) else { return };
        let (seconds, unit) = if value >= MILLISECONDS_FROM { (value / 1000.0, " ms") } else { (value, " s") };
        let arrived = self.started + at.as_secs_f64();
        let off = seconds - arrived;
        let wrong = if off < -PAST.as_secs_f64() {
            format!("{} before the event arrived", span(-off))
        } else if off > FUTURE.as_secs_f64() {
            format!("{} after the event arrived", span(off))
        } else {
            return;
        };
        self.found(FactFinding {
            rule: FactRule::Timestamps,
            seq,
            at,
            message: format!(
                "seq {seq}: `{}`.timestamp is {}{unit} ({}), {wrong} ({}): a room event's time is now, read in \
                 seconds (or milliseconds from 1e11), at most {} before and {} after it arrives (must)",
                kind.name(),
                number(value),
                date(seconds),
                date(arrived),
                span(PAST.as_secs_f64()),
                span(FUTURE.as_secs_f64()),
            ),
        });
    }

    fn placeholder<'a>(
        &mut self,
        seq: usize,
        at: Duration,
        kind: EventKind,
        value: &'a Value,
        path: &mut Vec<Segment<'a>>,
    ) {
        match value {
            Value::String(text) if is_placeholder(text) => {
                let field = if path.is_empty() {
                    " payload".to_owned()
                } else {
                    path.iter().enumerate().fold(String::new(), |mut field, (index, segment)| {
                        match segment {
                            Segment::Key(key) if index == 0 => field.push_str(&format!(".{key}")),
                            Segment::Key(key) => field.push_str(&format!("/{key}")),
                            Segment::Index(i) if index == 0 => field.push_str(&format!(".{i}")),
                            Segment::Index(i) => field.push_str(&format!("/{i}")),
                        }
                        field
                    })
                };
                self.found(FactFinding {
                    rule: FactRule::Placeholders,
                    seq,
                    at,
                    message: format!(
                        "seq {seq}: `{}`{field} is {}: a placeholder where a value belongs (a lost value \
                         turned into text); a bot takes it for a real one (must)",
                        kind.name(),
                        shown(text)
                    ),
                });
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(Segment::Index(index));
                    self.placeholder(seq, at, kind, item, path);
                    path.pop();
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    path.push(Segment::Key(key));
                    self.placeholder(seq, at, kind, item, path);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Whether a string is a placeholder: the whole string, spaces and line breaks around it aside, is one of
/// [`PLACEHOLDERS`] in any letter case. Trimmed: a lost value is often formatted into a line (`` `${x}\n` ``) or
/// padded, and no id, topic or name is only that word with spaces. Any case: other languages and libraries spell
/// the same lost value `Undefined`, `NULL`, `nan` (Python's `str(float('nan'))`). Python's `None` is left out: it is
/// a word people use. A text that merely contains one (`Null Island`, `nullable`, `NaNa`) is a value.
pub(crate) fn is_placeholder(text: &str) -> bool {
    let trimmed = text.trim();
    // Longest placeholder is 15 bytes: anything longer is a value, whatever it holds.
    trimmed.len() <= 15 && PLACEHOLDERS.iter().any(|placeholder| placeholder.eq_ignore_ascii_case(trimmed))
}

/// A value for a message, cut (a 1 MB payload must not end up in a report).
fn shown(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    if quoted.chars().count() > 60 { format!("{}…", quoted.chars().take(57).collect::<String>()) } else { quoted }
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e18 { format!("{}", value as i64) } else { format!("{value}") }
}

/// An instant (seconds since the epoch) in RFC 3339, or a year for one out of chrono's range.
pub(crate) fn date(seconds: f64) -> String {
    match chrono::DateTime::from_timestamp(seconds.floor() as i64, 0) {
        Some(date) if seconds.is_finite() => date.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        _ => format!("{seconds:e} s since 1970"),
    }
}

/// A span in the largest unit that reads well: `46 years`, `3 days`, `7 h`, `12 min`.
pub(crate) fn span(seconds: f64) -> String {
    const YEAR: f64 = 365.25 * 86400.0;
    if seconds >= 2.0 * YEAR {
        format!("{:.0} years", seconds / YEAR)
    } else if seconds >= 2.0 * 86400.0 {
        format!("{:.0} days", seconds / 86400.0)
    } else if seconds >= 2.0 * 3600.0 {
        format!("{:.0} h", seconds / 3600.0)
    } else {
        format!("{:.0} min", (seconds / 60.0).max(1.0))
    }
}

#[cfg(test)]
mod tests;
