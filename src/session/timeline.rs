//! Everything observed in a session, in order, on one monotonic clock: events
//! (unknown types kept, payload raw and decoded), stream openings and ends,
//! and the rpcs the harness made. Checks read it and wait on it; reports show
//! excerpts of it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use serde_json::Value;
use tokio::sync::watch;

use crate::events::{PAYLOAD_LIMIT, TimelineEntry, TimelineWhat, truncate};
use crate::wire::{EventKind, decode_payload};

#[derive(Clone)]
pub struct Timeline(Arc<Inner>);

struct Inner {
    origin: Instant,
    entries: Mutex<Vec<Entry>>,
    /// The latest event a check consumed (an echo, a dong): events the harness
    /// caused, like the rpcs that caused them.
    consumed: Mutex<Option<Duration>>,
    /// The number of entries, bumped on every push: waiters watch it.
    length: watch::Sender<usize>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: usize,
    /// Since the timeline began.
    pub at: Duration,
    pub what: What,
}

#[derive(Debug, Clone)]
pub enum What {
    Event(EventRecord),
    /// An `Event` subscription answered (stream numbers start at 1).
    Subscribed {
        stream: u32,
    },
    /// The stream ended: `None` is a clean end (status OK).
    StreamEnded {
        stream: u32,
        error: Option<String>,
    },
    Rpc(RpcRecord),
    Note(String),
}

#[derive(Debug, Clone)]
pub struct EventRecord {
    pub stream: u32,
    pub kind: EventKind,
    pub raw: String,
    pub payload: Option<Value>,
    /// Why the payload does not have its type's shape, if it does not.
    pub problem: Option<String>,
    /// The heartbeat a server sends as each subscription opens: it proves the
    /// stream works, not that the puppet is alive.
    pub connect_heartbeat: bool,
}

#[derive(Debug, Clone)]
pub struct RpcRecord {
    pub name: &'static str,
    pub started: Duration,
    pub took: Duration,
    /// `ok` or the error as shown to people.
    pub outcome: String,
    pub ok: bool,
    /// Whether the rpc makes the puppet emit events (a send, a ding, start…).
    pub causes_events: bool,
}

impl EventRecord {
    /// A string field of the payload.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.payload.as_ref()?.get(name)?.as_str()
    }
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline::new()
    }
}

impl Timeline {
    pub fn new() -> Timeline {
        Timeline(Arc::new(Inner {
            origin: Instant::now(),
            entries: Mutex::new(Vec::new()),
            consumed: Mutex::new(None),
            length: watch::channel(0).0,
        }))
    }

    /// Time since the timeline began.
    pub fn now(&self) -> Duration {
        self.0.origin.elapsed()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.0.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn push(&self, what: What) -> usize {
        let seq = {
            let mut entries = self.lock();
            let seq = entries.len();
            entries.push(Entry { seq, at: self.now(), what });
            seq
        };
        self.0.length.send_replace(seq + 1);
        seq
    }

    /// Records an event as received on `stream`.
    pub fn push_event(&self, stream: u32, wire_type: i32, raw: String) -> usize {
        let kind = EventKind::from_wire(wire_type);
        let (payload, problem) = decode_payload(kind, &raw);
        let first_on_stream =
            !self.lock().iter().any(|entry| matches!(&entry.what, What::Event(event) if event.stream == stream));
        self.push(What::Event(EventRecord {
            stream,
            kind,
            raw,
            payload,
            problem: problem.map(|problem| problem.to_string()),
            connect_heartbeat: first_on_stream && kind == EventKind::Heartbeat,
        }))
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn snapshot(&self) -> Vec<Entry> {
        self.lock().clone()
    }

    pub fn since(&self, seq: usize) -> Vec<Entry> {
        self.lock().get(seq..).map(<[Entry]>::to_vec).unwrap_or_default()
    }

    /// Waits until an entry at or after `from` satisfies `matches`, or the
    /// deadline passes (`None`). Entries already there count.
    pub async fn wait_for(
        &self,
        from: usize,
        deadline: Instant,
        mut matches: impl FnMut(&Entry) -> bool,
    ) -> Option<Entry> {
        let mut length = self.0.length.subscribe();
        let mut next = from;
        loop {
            for entry in self.since(next) {
                next = entry.seq + 1;
                if matches(&entry) {
                    return Some(entry);
                }
            }
            tokio::select! {
                changed = length.changed() => if changed.is_err() { return None },
                () = tokio::time::sleep_until(deadline) => {
                    // One last look: an entry may have landed with the deadline.
                    return self.since(next).into_iter().find(|entry| matches(entry));
                }
            }
        }
    }

    /// Waits until the timeline grows past `seen` entries or the deadline.
    pub async fn changed_after(&self, seen: usize, deadline: Instant) {
        let mut length = self.0.length.subscribe();
        while *length.borrow_and_update() <= seen {
            tokio::select! {
                changed = length.changed() => if changed.is_err() { return },
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    /// Records that a check consumed the event at `at` (it was caused by the
    /// harness, not offered by the provider).
    pub fn mark_consumed(&self, at: Duration) {
        let mut consumed = self.0.consumed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *consumed = (*consumed).max(Some(at));
    }

    /// When the harness last did something that makes a puppet emit events:
    /// the end of such an rpc, or an event a check consumed. Silence is only
    /// the provider's after this.
    pub fn last_activity(&self) -> Option<Duration> {
        let rpc = self.lock().iter().rev().find_map(|entry| match &entry.what {
            What::Rpc(rpc) if rpc.causes_events => Some(rpc.started + rpc.took),
            _ => None,
        });
        let consumed = *self.0.consumed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        rpc.max(consumed)
    }

    /// The entries between two instants, at most `limit` of them, keeping the
    /// ones nearest `focus` when there are more.
    pub fn excerpt(&self, from: Duration, to: Duration, focus: Duration, limit: usize) -> Vec<Entry> {
        let mut window: Vec<Entry> =
            self.lock().iter().filter(|entry| entry.at >= from && entry.at <= to).cloned().collect();
        if window.len() > limit {
            window.sort_by_key(|entry| entry.at.abs_diff(focus));
            window.truncate(limit);
            window.sort_by_key(|entry| entry.seq);
        }
        window
    }
}

/// The session's entries as the reports show them: tokens redacted, payloads
/// cut at [`PAYLOAD_LIMIT`].
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waiting_sees_entries_pushed_later_and_gives_up_at_the_deadline() {
        let timeline = Timeline::new();
        let later = timeline.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            later.push_event(1, 25, r#"{"contactId":"bot"}"#.into());
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let login = timeline
            .wait_for(0, deadline, |entry| matches!(&entry.what, What::Event(event) if event.kind == EventKind::Login))
            .await
            .unwrap();
        let What::Event(event) = login.what else { unreachable!() };
        assert_eq!(event.field("contactId"), Some("bot"));

        let deadline = Instant::now() + Duration::from_secs(1);
        let none = timeline.wait_for(0, deadline, |entry| matches!(&entry.what, What::Note(_))).await;
        assert!(none.is_none());
    }

    #[test]
    fn only_the_first_heartbeat_of_a_stream_is_the_connect_heartbeat() {
        let timeline = Timeline::new();
        timeline.push(What::Subscribed { stream: 1 });
        timeline.push_event(1, 1, r#"{"data":"stream connect successfully"}"#.into());
        timeline.push_event(1, 1, r#"{"data":"tick"}"#.into());
        timeline.push_event(2, 1, r#"{"data":"again"}"#.into());
        let flags: Vec<bool> = timeline
            .snapshot()
            .iter()
            .filter_map(|entry| match &entry.what {
                What::Event(event) => Some(event.connect_heartbeat),
                _ => None,
            })
            .collect();
        assert_eq!(flags, [true, false, true]);
    }

    #[test]
    fn garbage_payloads_are_recorded_with_their_problem() {
        let timeline = Timeline::new();
        timeline.push_event(1, 2, "\u{1}not json".into());
        timeline.push_event(1, 99, "{}".into());
        let entries = timeline.snapshot();
        let What::Event(message) = &entries[0].what else { unreachable!() };
        assert!(message.problem.as_deref().unwrap().starts_with("payload is not JSON"));
        let What::Event(unknown) = &entries[1].what else { unreachable!() };
        assert_eq!(unknown.kind, EventKind::Other(99));
    }
}
