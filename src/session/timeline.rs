//! Everything observed in a session, in order, on one monotonic clock: events
//! (unknown types kept, payloads raw), stream openings and ends, the rpcs the
//! harness made, and notes. Checks read it and wait on it; reports show
//! excerpts of it.
//!
//! Memory stays bounded at any event rate: every entry is streamed as it
//! arrives to the run's **recording** (`timeline.jsonl`, one JSON line per
//! entry, tokens masked), and memory keeps only a compact index — 16 bytes
//! an event: when, which type, where its line is. Payloads are read back
//! from the recording and decoded when a check asks for them, and readers
//! that want some event types skip the others on the index alone.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::events::{PAYLOAD_LIMIT, TimelineEntry, TimelineWhat, truncate};
use crate::wire::{EventKind, Rpc, decode_payload};

/// The recording's file name in the report directory.
pub const RECORDING: &str = "timeline.jsonl";

/// Index times are kept in units of 100 µs (a `u32` lasts 119 hours),
/// rounded up so that an entry is never placed before a moment taken
/// earlier with [`Timeline::now`].
const TICK_NANOS: u64 = 100_000;

/// Flag bits in [`Slot::locator`]; the low bits are a byte offset into the
/// recording (events) or an index into the other entries.
const OTHER: u64 = 1 << 63;
const CONNECT_HEARTBEAT: u64 = 1 << 62;
const REPLAY: u64 = 1 << 61;
/// A long event kept cut in memory ([`State::long`]), not read back.
const LONG: u64 = 1 << 60;
const VALUE_BITS: u64 = (1 << 60) - 1;

/// Payloads longer than this (bytes) are kept judged and cut in memory, so
/// that reading one back never loads it whole (an 8 MiB payload would cost
/// two copies per reader; see [`crate::wire::parse_cut`]).
const LONG_PAYLOAD: usize = 64 * 1024;

/// How many long payloads are kept cut in memory (about 2 KiB each); later
/// ones are read back from the recording.
const LONG_KEPT: usize = 4096;

use super::replay::Replays;

#[derive(Clone)]
pub struct Timeline(Arc<Inner>);

struct Inner {
    origin: Instant,
    /// A timeline rebuilt from a recording stands still at its last entry.
    frozen: std::sync::OnceLock<Duration>,
    state: Mutex<State>,
    /// The latest event a check consumed (an echo, a dong): events the harness
    /// caused, like the rpcs that caused them.
    consumed: Mutex<Option<Duration>>,
    /// The number of entries, bumped on every push…
    length: AtomicUsize,
    /// …and waiters woken (a waiter registers again only once it has read
    /// what arrived, so a flood wakes it once per batch, not per event).
    grew: Notify,
}

/// One entry of the index: 16 bytes.
#[derive(Clone, Copy)]
struct Slot {
    /// In ticks since the timeline began.
    at: u32,
    /// The event's wire number (others: unused).
    number: i32,
    locator: u64,
}

struct State {
    index: Vec<Slot>,
    /// Entries that are not events: few (subscriptions, stream ends, rpcs,
    /// notes), kept whole.
    others: Vec<(usize, Duration, What)>,
    recording: Recording,
    /// Events per wire number.
    counts: BTreeMap<i32, u64>,
    /// The stream whose first event is still to come (its connect heartbeat).
    fresh_stream: Option<u32>,
    /// The stream the latest events arrived on.
    current_stream: u32,
    /// Which events are replays (the one definition: [`super::replay`]).
    replays: Replays,
    /// Long events as readers see them (payload cut, see [`LONG_PAYLOAD`]),
    /// indexed by the locator of their [`LONG`] slots.
    long: Vec<EventRecord>,
}

impl State {
    /// Stores an entry that is no event, at `at`: into the recording, kept
    /// whole among the others, and its slot in the index; its seq.
    fn insert_other(&mut self, at: Duration, what: What) -> usize {
        let seq = self.index.len();
        self.recording.append(&TimelineEntry::from(&Entry { seq, at, what: what.clone() }), false);
        let locator = OTHER | self.others.len() as u64;
        self.others.push((seq, at, what));
        self.index.push(Slot { at: ticks(at), number: 0, locator });
        seq
    }
}

/// The recording on disk: written through a buffer, read back by offset.
struct Recording {
    path: PathBuf,
    /// A temporary recording (no report directory) is deleted at the end.
    temporary: bool,
    writer: Option<BufWriter<File>>,
    reader: Option<File>,
    /// Bytes written so far (buffered or not).
    written: u64,
    /// Fires when recording stops (see [`Timeline::recording_failed`]).
    failed: tokio_util::sync::CancellationToken,
    /// Why recording stopped, if it did (a full disk); the index goes on.
    broken: Option<String>,
    /// The line being written (reused; see [`Recording::append`]).
    line: Vec<u8>,
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
    /// The stream ended outside `Stop` (`ended`: how) and was opened again as `stream`.
    Reopened {
        stream: u32,
        ended: String,
    },
    /// The service was lost: `cause` starts with the run time, `+3.2s: …` (shown after "lost the service at").
    Lost {
        cause: String,
    },
    Note(String),
}

#[derive(Debug, Clone)]
pub struct EventRecord {
    pub stream: u32,
    pub kind: EventKind,
    /// As received, tokens masked.
    pub raw: String,
    pub payload: Option<Value>,
    /// Why the payload does not have its type's shape, if it does not.
    pub problem: Option<String>,
    /// The heartbeat a server sends as each subscription opens: it proves the
    /// stream works, not that the puppet is alive.
    pub connect_heartbeat: bool,
    /// Replayed to a new subscriber: it tells the state, it is no new
    /// happening (see [`super::replay`]).
    pub replay: bool,
}

#[derive(Debug, Clone)]
pub struct RpcRecord {
    pub name: Rpc,
    pub started: Duration,
    pub took: Duration,
    /// `ok` or the error as shown to people.
    pub outcome: String,
    pub ok: bool,
}

/// Why a recording could not be read back: the file, the line (1-based;
/// 0 for the file as a whole) and what is wrong.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}{}: {message}", path.display(), if *line == 0 { String::new() } else { format!(":{line}") })]
pub struct RecordingError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// How many entries one step of a reader reads back at most.
pub const SCAN_LIMIT: usize = 1024;

/// A step of reading the timeline (see [`Timeline::scan`]).
pub struct Scan {
    pub entries: Vec<Entry>,
    /// The first entry not looked at yet.
    pub next: usize,
}

/// What the index alone says about an entry: enough for timing rules.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub seq: usize,
    pub at: Duration,
    /// The event type, or `None` for an entry that is no event.
    pub kind: Option<EventKind>,
    pub connect_heartbeat: bool,
    pub replay: bool,
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

impl Drop for Inner {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.recording.finish();
        if state.recording.temporary {
            let _ = std::fs::remove_file(&state.recording.path);
        }
    }
}

/// The longest recording line read back: whatever a run records fits — an
/// event of a 64 MiB gRPC message whose every byte is escaped as `\u00XX`
/// (six bytes each), and the entry around it.
const LINE_LIMIT: u64 = 6 * (64 << 20) + (1 << 20);

impl Timeline {
    /// A timeline recorded to a temporary file, deleted when it is dropped.
    pub fn new() -> Timeline {
        let path = std::env::temp_dir().join(format!(
            "puppet-lint-{}-{}.jsonl",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        Timeline::with_recording(&path, true)
    }

    /// A timeline recorded to `path` (the report directory's
    /// [`RECORDING`]); the file is created (and its directory) or replaced.
    pub fn recorded_to(path: &Path) -> Timeline {
        Timeline::with_recording(path, false)
    }

    fn with_recording(path: &Path, temporary: bool) -> Timeline {
        let recording = Recording::open(path, temporary);
        Timeline(Arc::new(Inner {
            origin: Instant::now(),
            frozen: std::sync::OnceLock::new(),
            state: Mutex::new(State {
                index: Vec::new(),
                others: Vec::new(),
                recording,
                counts: BTreeMap::new(),
                fresh_stream: None,
                current_stream: 0,
                replays: Replays::default(),
                long: Vec::new(),
            }),
            consumed: Mutex::new(None),
            length: AtomicUsize::new(0),
            grew: Notify::new(),
        }))
    }

    /// Time since the timeline began.
    pub fn now(&self) -> Duration {
        match self.0.frozen.get() {
            Some(end) => *end,
            None => self.0.origin.elapsed(),
        }
    }

    /// Rebuilds the timeline of a recorded run from its recording (each
    /// line of `timeline.jsonl` as it was written): every entry at its
    /// recorded time, with its recorded marks (stream connect heartbeats,
    /// replays), a payload's problem worked out again. The result stands
    /// still at its last entry: nothing more arrives. Kept in a temporary
    /// recording of its own.
    pub fn from_recording(path: &Path) -> Result<Timeline, RecordingError> {
        let failed = |line: usize, message: String| RecordingError { path: path.to_path_buf(), line, message };
        let file = File::open(path).map_err(|error| failed(0, format!("cannot read it: {error}")))?;
        // A device or a pipe (`/dev/zero`) is no recording and may never end.
        if !file.metadata().is_ok_and(|metadata| metadata.is_file()) {
            return Err(failed(0, "not a regular file, so not a recording".into()));
        }
        let timeline = Timeline::new();
        let mut end = Duration::ZERO;
        let mut reader = std::io::BufReader::new(file);
        let mut text = String::new();
        let mut number = 0;
        loop {
            text.clear();
            number += 1;
            // Bounded: a line is read into memory whole.
            let mut limited = std::io::Read::take(&mut reader, LINE_LIMIT + 1);
            match std::io::BufRead::read_line(&mut limited, &mut text) {
                Ok(0) => break,
                Ok(read) if read as u64 > LINE_LIMIT => {
                    let limit = LINE_LIMIT >> 20;
                    return Err(failed(
                        number,
                        format!("the line is longer than {limit} MiB, so not a timeline entry"),
                    ));
                }
                Ok(_) => {}
                Err(error) => return Err(failed(number, format!("cannot read it: {error}"))),
            }
            let line = text.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            let entry: TimelineEntry = match serde_json::from_str(line) {
                Ok(entry) => entry,
                // A last line with no newline was torn by the end of the
                // process: what came before it is the recording.
                Err(_) if !text.ends_with('\n') => break,
                Err(error) => return Err(failed(number, format!("not a timeline entry: {error}"))),
            };
            // Older recordings may hold an entry a millisecond before the one
            // above it (two threads' clocks read before one lock): kept in order.
            let at = Duration::from_millis(entry.at_ms).max(end);
            end = at;
            timeline.push_recorded(at, entry.what);
        }
        let _ = timeline.0.frozen.set(end);
        timeline.flush();
        Ok(timeline)
    }

    /// An entry of a recording, at its recorded time.
    fn push_recorded(&self, at: Duration, what: TimelineWhat) {
        let other = match what {
            TimelineWhat::Event { stream, number, payload, connect_heartbeat, replay, .. } => {
                self.insert_event(stream, number, payload, Some((at, connect_heartbeat, replay)));
                return;
            }
            TimelineWhat::Subscribed { stream } => What::Subscribed { stream },
            TimelineWhat::StreamEnded { stream, error } => What::StreamEnded { stream, error },
            TimelineWhat::Rpc { rpc, took_ms, outcome } => {
                let name = Rpc::from_name(&rpc);
                let took = Duration::from_millis(took_ms);
                What::Rpc(RpcRecord { name, started: at.saturating_sub(took), took, ok: outcome == "ok", outcome })
            }
            TimelineWhat::Reopened { stream, ended } => What::Reopened { stream, ended },
            TimelineWhat::Lost { cause } => What::Lost { cause },
            // Recordings before the typed entries told the loss as a note.
            TimelineWhat::Note { text } => match text.strip_prefix("lost the service at ") {
                Some(cause) => What::Lost { cause: cause.to_owned() },
                None => What::Note(text),
            },
        };
        let seq = self.lock().insert_other(at, other);
        self.grew(seq + 1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Fires when the recording stops being written (a full disk, a report
    /// directory that cannot be written): events can no longer be read back,
    /// so a run stops (see `engine::run`); why is in [`Timeline::recording`].
    pub fn recording_failed(&self) -> tokio_util::sync::CancellationToken {
        self.lock().recording.failed.clone()
    }

    /// Where the recording is, and why it stopped if it did.
    pub fn recording(&self) -> (PathBuf, Option<String>) {
        let state = self.lock();
        (state.recording.path.clone(), state.recording.broken.clone())
    }

    /// Writes out what the recording buffers.
    pub fn flush(&self) {
        self.lock().recording.flush();
    }

    /// Ends the recording (at the end of a run, on abort): what it buffers
    /// is written out, and nothing more is. A task still reading the stream
    /// (an abort is not instant) can no longer start a write that the
    /// process's exit would tear in half (the kernel stops a write at a page
    /// when the process exits), so the file ends on a whole line. Entries
    /// still come into memory.
    pub fn close(&self) {
        let mut state = self.lock();
        state.recording.flush();
        state.recording.writer = None;
    }

    /// Records an entry that is no event.
    pub fn push(&self, what: What) -> usize {
        let seq = {
            let mut state = self.lock();
            // Read under the lock: entries stay in time order across threads.
            let at = self.now();
            if let What::Subscribed { stream } = &what {
                state.fresh_stream = Some(*stream);
                state.replays.subscribed(*stream, at);
            }
            state.insert_other(at, what)
        };
        self.grew(seq + 1);
        seq
    }

    /// An rpc is about to be sent. A `Start` ends the replays of the current
    /// subscription from its request on (its reply may come after the
    /// first live events).
    pub fn sending(&self, rpc: Rpc) {
        if rpc == Rpc::Start {
            self.lock().replays.start_sent();
        }
    }

    /// Records an event as received on `stream`; its payload goes to the
    /// recording, tokens masked.
    pub fn push_event(&self, stream: u32, wire_type: i32, raw: String) -> usize {
        // Masking copies only a payload that holds a token.
        let raw = match crate::redact::redact(&raw) {
            std::borrow::Cow::Borrowed(_) => raw,
            std::borrow::Cow::Owned(masked) => masked,
        };
        self.insert_event(stream, wire_type, raw, None)
    }

    /// Indexes and records an event. `recorded` (when, connect heartbeat,
    /// replay) is a recording's; `None`: it arrives now, its marks worked out.
    fn insert_event(
        &self,
        stream: u32,
        wire_type: i32,
        raw: String,
        recorded: Option<(Duration, bool, bool)>,
    ) -> usize {
        let kind = EventKind::from_wire(wire_type);
        // Judged before the lock: payloads are parsed with long strings cut.
        let (payload, problem) = decode_payload(kind, &raw);
        let problem = problem.map(|problem| problem.to_string());
        let long = (raw.len() > LONG_PAYLOAD).then(|| (crate::wire::cut_long(&raw).into_owned(), payload));
        let seq = {
            let mut state = self.lock();
            // Read under the lock: entries stay in time order across threads.
            let at = recorded.map_or_else(|| self.now(), |(at, _, _)| at);
            let seq = state.index.len();
            let first_on_stream = state.fresh_stream == Some(stream) || state.current_stream != stream;
            if state.fresh_stream == Some(stream) {
                state.fresh_stream = None;
            }
            state.current_stream = stream;
            let (connect_heartbeat, replay) =
                recorded.map(|(_, heartbeat, replay)| (heartbeat, replay)).unwrap_or_else(|| {
                    let replay = state.replays.mark(stream, kind, at);
                    (first_on_stream && kind == EventKind::Heartbeat, replay)
                });
            let line = TimelineEntry {
                seq,
                at_ms: at.as_millis() as u64,
                what: TimelineWhat::Event {
                    stream,
                    event: kind.name(),
                    number: wire_type,
                    payload: raw,
                    problem: problem.clone(),
                    connect_heartbeat,
                    replay,
                },
            };
            let offset = state.recording.append(&line, long.is_some());
            drop(line);
            let flags = if connect_heartbeat { CONNECT_HEARTBEAT } else { 0 } | if replay { REPLAY } else { 0 };
            let locator = match long {
                Some((shown, payload)) if state.long.len() < LONG_KEPT => {
                    state.long.push(EventRecord {
                        stream,
                        kind,
                        raw: shown,
                        payload,
                        problem,
                        connect_heartbeat,
                        replay,
                    });
                    LONG | (state.long.len() - 1) as u64
                }
                _ => offset & VALUE_BITS,
            };
            state.index.push(Slot { at: ticks(at), number: wire_type, locator: flags | locator });
            *state.counts.entry(wire_type).or_default() += 1;
            seq
        };
        self.grew(seq + 1);
        seq
    }

    pub fn len(&self) -> usize {
        self.lock().index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Events received per type name, for the report.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.lock().counts.iter().map(|(number, count)| (EventKind::from_wire(*number).name(), *count)).collect()
    }

    /// Every entry from `seq` on, payloads read back and decoded. For
    /// tests and small timelines: readers of a live run use [`Timeline::scan`].
    pub fn since(&self, seq: usize) -> Vec<Entry> {
        let mut entries = Vec::new();
        let mut next = seq;
        loop {
            let scan = self.scan(next, |_| true, SCAN_LIMIT);
            entries.extend(scan.entries);
            if scan.next >= self.len() || scan.next == next {
                return entries;
            }
            next = scan.next;
        }
    }

    /// Up to `limit` entries from `seq` on whose index says `wanted` —
    /// events of a type a reader cares about, say — read back; the rest are
    /// skipped unread. `next` is where to go on from: a reader loops until
    /// it reaches the end, so a flood is read in bounded steps.
    pub fn scan(&self, seq: usize, mut wanted: impl FnMut(&Moment) -> bool, limit: usize) -> Scan {
        let mut state = self.lock();
        let mut picked = Vec::new();
        let mut next = seq;
        let end = state.index.len();
        while next < end && picked.len() < limit {
            if wanted(&moment(&state, next)) {
                picked.push(next);
            }
            next += 1;
        }
        let entries = picked.into_iter().filter_map(|seq| materialize(&mut state, seq)).collect();
        Scan { entries, next }
    }

    /// The entries from `from` to before `to`, read back.
    pub fn range(&self, from: usize, to: usize) -> Vec<Entry> {
        let mut state = self.lock();
        let to = to.min(state.index.len());
        (from..to.max(from)).filter_map(|seq| materialize(&mut state, seq)).collect()
    }

    /// Visits the index from `seq` on, without reading anything back or
    /// collecting it: timing rules over a flood cost no memory.
    pub fn visit_moments(&self, seq: usize, mut visit: impl FnMut(&Moment)) {
        let state = self.lock();
        for seq in seq..state.index.len() {
            visit(&moment(&state, seq));
        }
    }

    /// The moment of entry `seq`, if there is one.
    pub fn moment(&self, seq: usize) -> Option<Moment> {
        let state = self.lock();
        (seq < state.index.len()).then(|| moment(&state, seq))
    }

    /// The entries that are not events (subscriptions, stream ends, rpcs,
    /// notes) from `seq` on.
    pub fn others_since(&self, seq: usize) -> Vec<Entry> {
        let state = self.lock();
        let start = state.others.partition_point(|(at_seq, _, _)| *at_seq < seq);
        state.others[start..].iter().map(|(seq, at, what)| Entry { seq: *seq, at: *at, what: what.clone() }).collect()
    }

    /// Waits until an entry at or after `from` satisfies `matches`, or the
    /// deadline passes (`None`). Entries already there count. `wanted`
    /// narrows what is read back (see [`Timeline::since_where`]).
    pub async fn wait_for(
        &self,
        from: usize,
        deadline: Instant,
        mut wanted: impl FnMut(&Moment) -> bool,
        mut matches: impl FnMut(&Entry) -> bool,
    ) -> Option<Entry> {
        let mut next = from;
        loop {
            let scan = self.scan(next, &mut wanted, SCAN_LIMIT);
            if let Some(found) = scan.entries.into_iter().find(|entry| matches(entry)) {
                return Some(found);
            }
            let caught_up = scan.next >= self.len();
            next = scan.next;
            if caught_up {
                if Instant::now() >= deadline {
                    return None;
                }
                self.changed_after(next, deadline).await;
            }
        }
    }

    /// Waits until the timeline grows past `seen` entries or the deadline.
    pub async fn changed_after(&self, seen: usize, deadline: Instant) {
        loop {
            let grew = self.0.grew.notified();
            tokio::pin!(grew);
            // Registered before looking: a push right after the look wakes it.
            grew.as_mut().enable();
            if self.0.length.load(Ordering::Acquire) > seen {
                return;
            }
            tokio::select! {
                () = &mut grew => {}
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    fn grew(&self, length: usize) {
        self.0.length.store(length, Ordering::Release);
        self.0.grew.notify_waiters();
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
        let rpc = self.lock().others.iter().rev().find_map(|(_, _, what)| match what {
            What::Rpc(rpc) if rpc.name.causes_events() => Some(rpc.started + rpc.took),
            _ => None,
        });
        let consumed = *self.0.consumed.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        rpc.max(consumed)
    }

    /// The entries between two instants, at most `limit` of them, keeping the
    /// ones nearest `focus` when there are more.
    pub fn excerpt(&self, from: Duration, to: Duration, focus: Duration, limit: usize) -> Vec<Entry> {
        let mut state = self.lock();
        let first = state.index.partition_point(|slot| untick(slot.at) < from);
        let last = state.index.partition_point(|slot| untick(slot.at) <= to);
        let mut picked: Vec<usize> = (first..last.max(first)).collect();
        if picked.len() > limit {
            picked.sort_by_key(|seq| untick(state.index[*seq].at).abs_diff(focus));
            picked.truncate(limit);
            picked.sort_unstable();
        }
        picked.into_iter().filter_map(|seq| materialize(&mut state, seq)).collect()
    }
}

fn ticks(at: Duration) -> u32 {
    u32::try_from((at.as_nanos() as u64).div_ceil(TICK_NANOS)).unwrap_or(u32::MAX)
}

fn untick(ticks: u32) -> Duration {
    Duration::from_nanos(u64::from(ticks) * TICK_NANOS)
}

fn moment(state: &State, seq: usize) -> Moment {
    let slot = state.index[seq];
    let (kind, connect_heartbeat, replay) = if slot.locator & OTHER != 0 {
        (None, false, false)
    } else {
        (Some(EventKind::from_wire(slot.number)), slot.locator & CONNECT_HEARTBEAT != 0, slot.locator & REPLAY != 0)
    };
    let at =
        if slot.locator & OTHER != 0 { state.others[(slot.locator & VALUE_BITS) as usize].1 } else { untick(slot.at) };
    Moment { seq, at, kind, connect_heartbeat, replay }
}

/// The whole entry: others from memory, events read back from the recording.
fn materialize(state: &mut State, seq: usize) -> Option<Entry> {
    let slot = *state.index.get(seq)?;
    if slot.locator & OTHER != 0 {
        let (seq, at, what) = &state.others[(slot.locator & VALUE_BITS) as usize];
        return Some(Entry { seq: *seq, at: *at, what: what.clone() });
    }
    if slot.locator & LONG != 0 {
        let record = state.long[(slot.locator & VALUE_BITS) as usize].clone();
        return Some(Entry { seq, at: untick(slot.at), what: What::Event(record) });
    }
    let kind = EventKind::from_wire(slot.number);
    let connect_heartbeat = slot.locator & CONNECT_HEARTBEAT != 0;
    let replay = slot.locator & REPLAY != 0;
    let (stream, raw) = state.recording.read_event(slot.locator & VALUE_BITS).unwrap_or_default();
    let (payload, problem) = decode_payload(kind, &raw);
    // A long line read back (past [`LONG_KEPT`]) is shown cut, like the others.
    let raw = match crate::wire::cut_long(&raw) {
        std::borrow::Cow::Borrowed(_) => raw,
        std::borrow::Cow::Owned(shown) => shown,
    };
    Some(Entry {
        seq,
        at: untick(slot.at),
        what: What::Event(EventRecord {
            stream,
            kind,
            raw,
            payload,
            problem: problem.map(|problem| problem.to_string()),
            connect_heartbeat,
            replay,
        }),
    })
}

impl Recording {
    /// Recording stops: why, once; the writer is dropped.
    fn fail(&mut self, why: String) {
        self.broken.get_or_insert(why);
        self.writer = None;
        self.failed.cancel();
    }

    fn open(path: &Path, temporary: bool) -> Recording {
        let mut recording = Recording {
            path: path.to_owned(),
            temporary,
            writer: None,
            reader: None,
            written: 0,
            failed: tokio_util::sync::CancellationToken::new(),
            broken: None,
            line: Vec::new(),
        };
        if let Some(dir) = path.parent()
            && let Err(error) = std::fs::create_dir_all(dir)
        {
            recording.fail(format!("cannot create {}: {error}", dir.display()));
            return recording;
        }
        match File::create(path).and_then(|file| Ok((file, File::open(path)?))) {
            Ok((writer, reader)) => {
                recording.writer = Some(BufWriter::with_capacity(64 * 1024, writer));
                recording.reader = Some(reader);
            }
            Err(error) => recording.fail(format!("cannot write {}: {error}", path.display())),
        }
        recording
    }

    /// Appends one line; returns its offset. The file holds whole lines
    /// whenever the process ends (a run interrupted during a flood leaves a
    /// recording that parses): a line goes to the buffer in one write, and a
    /// `long` one (a payload over [`LONG_PAYLOAD`]) is streamed straight
    /// through between two flushes, never copied whole.
    fn append(&mut self, entry: &TimelineEntry, long: bool) -> u64 {
        let offset = self.written;
        let Some(writer) = self.writer.as_mut() else { return offset };
        let wrote = if long {
            let mut line = crate::events::C1Escaping::new(&mut *writer);
            let wrote = line
                .flush()
                .and_then(|()| serde_json::to_writer(&mut line, entry).map_err(std::io::Error::from))
                .and_then(|()| line.finish())
                .and_then(|()| line.write_all(b"\n"))
                .and_then(|()| line.flush());
            wrote.map(|()| line.written)
        } else {
            let mut bytes = std::mem::take(&mut self.line);
            // Into memory: it cannot fail. Escaped only when needed (rare).
            let _ = serde_json::to_writer(&mut bytes, entry);
            if bytes.iter().any(|byte| *byte == 0x7f || *byte == 0xc2) {
                let mut escaped = crate::events::C1Escaping::new(Vec::with_capacity(bytes.len() + 16));
                let _ = escaped.write_all(&bytes).and_then(|()| escaped.finish());
                bytes = escaped.into_inner();
            }
            bytes.push(b'\n');
            let wrote = writer.write_all(&bytes).map(|()| bytes.len() as u64);
            bytes.clear();
            bytes.shrink_to(1 << 20);
            self.line = bytes;
            wrote
        };
        match wrote {
            Ok(length) => self.written += length,
            Err(error) => {
                self.fail(format!("writing {} failed: {error}", self.path.display()));
            }
        }
        offset
    }

    fn flush(&mut self) {
        if let Some(writer) = self.writer.as_mut()
            && let Err(error) = writer.flush()
        {
            let why = format!("writing {} failed: {error}", self.path.display());
            self.fail(why);
        }
    }

    fn finish(&mut self) {
        self.flush();
    }

    /// The stream and raw payload of the event line at `offset`.
    fn read_event(&mut self, offset: u64) -> Option<(u32, String)> {
        if offset >= self.written {
            return None;
        }
        // What is asked for may still sit in the write buffer.
        if self.writer.as_ref().is_some_and(|writer| !writer.buffer().is_empty()) {
            self.flush();
        }
        let reader = self.reader.as_ref()?;
        let line = read_line_at(reader, offset)?;
        match serde_json::from_slice::<TimelineEntry>(&line).ok()?.what {
            TimelineWhat::Event { stream, payload, .. } => Some((stream, payload)),
            _ => None,
        }
    }
}

/// One line of the recording, from `offset` to its newline.
fn read_line_at(file: &File, offset: u64) -> Option<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut line = Vec::new();
    let mut chunk = vec![0u8; 4096];
    let mut at = offset;
    loop {
        let read = file.read_at(&mut chunk, at).ok()?;
        if read == 0 {
            return (!line.is_empty()).then_some(line);
        }
        if let Some(end) = chunk[..read].iter().position(|byte| *byte == b'\n') {
            line.extend_from_slice(&chunk[..end]);
            return Some(line);
        }
        line.extend_from_slice(&chunk[..read]);
        at += read as u64;
        // A long line (a huge payload): read in larger steps.
        if chunk.len() < 1 << 20 {
            chunk.resize(chunk.len() * 4, 0);
        }
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
                replay: event.replay,
            },
            What::Subscribed { stream } => TimelineWhat::Subscribed { stream: *stream },
            What::StreamEnded { stream, error } => {
                TimelineWhat::StreamEnded { stream: *stream, error: error.as_deref().map(redact) }
            }
            What::Rpc(rpc) => TimelineWhat::Rpc {
                rpc: rpc.name.name().to_owned(),
                took_ms: rpc.took.as_millis() as u64,
                outcome: redact(&rpc.outcome),
            },
            What::Reopened { stream, ended } => TimelineWhat::Reopened { stream: *stream, ended: redact(ended) },
            What::Lost { cause } => TimelineWhat::Lost { cause: redact(cause) },
            What::Note(text) => TimelineWhat::Note { text: redact(text) },
        };
        TimelineEntry { seq: entry.seq, at_ms: entry.at.as_millis() as u64, what }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_login(moment: &Moment) -> bool {
        moment.kind == Some(EventKind::Login)
    }

    /// A recording that cannot be written says so, once, and tells whoever
    /// waits for it (here its path is a directory; a full disk mid-run takes
    /// the same way).
    #[test]
    fn a_recording_that_fails_tells_why() {
        let dir = std::env::temp_dir().join(format!("puppet-lint-timeline-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("timeline.jsonl")).unwrap();
        let timeline = Timeline::recorded_to(&dir.join("timeline.jsonl"));
        assert!(timeline.recording_failed().is_cancelled());
        timeline.push_event(1, 7, r#"{"messageId":"m1"}"#.into());
        let (_, why) = timeline.recording();
        assert!(why.is_some_and(|why| why.starts_with("cannot write")), "{:?}", timeline.recording());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_sees_entries_pushed_later_and_gives_up_at_the_deadline() {
        let timeline = Timeline::new();
        let later = timeline.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            later.push_event(1, 25, r#"{"contactId":"bot"}"#.into());
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let login = timeline.wait_for(0, deadline, is_login, |_| true).await.unwrap();
        let What::Event(event) = login.what else { unreachable!() };
        assert_eq!(event.field("contactId"), Some("bot"));

        let deadline = Instant::now() + Duration::from_secs(1);
        let none = timeline.wait_for(0, deadline, |_| true, |entry| matches!(&entry.what, What::Note(_))).await;
        assert!(none.is_none());
    }

    #[test]
    fn only_the_first_heartbeat_of_a_stream_is_the_connect_heartbeat() {
        let timeline = Timeline::new();
        timeline.push(What::Subscribed { stream: 1 });
        timeline.push_event(1, 1, r#"{"data":"stream connect successfully"}"#.into());
        timeline.push_event(1, 1, r#"{"data":"tick"}"#.into());
        timeline.push_event(2, 1, r#"{"data":"again"}"#.into());
        let mut flags = Vec::new();
        timeline.visit_moments(0, |m| {
            if m.kind.is_some() {
                flags.push(m.connect_heartbeat);
            }
        });
        assert_eq!(flags, [true, false, true]);
        let read: Vec<bool> = timeline
            .since(0)
            .iter()
            .filter_map(|entry| match &entry.what {
                What::Event(event) => Some(event.connect_heartbeat),
                _ => None,
            })
            .collect();
        assert_eq!(read, [true, false, true]);
    }

    #[test]
    fn garbage_payloads_are_recorded_with_their_problem() {
        let timeline = Timeline::new();
        timeline.push_event(1, 2, "\u{1}not json".into());
        timeline.push_event(1, 99, "{}".into());
        let entries = timeline.since(0);
        let What::Event(message) = &entries[0].what else { unreachable!() };
        assert!(message.problem.as_deref().unwrap().starts_with("payload is not JSON"));
        assert_eq!(message.raw, "\u{1}not json");
        let What::Event(unknown) = &entries[1].what else { unreachable!() };
        assert_eq!(unknown.kind, EventKind::Other(99));
    }

    #[test]
    fn a_recording_reads_back_into_a_timeline_that_stands_still() {
        let dir = std::env::temp_dir().join(format!("puppet-lint-timeline-{}", uuid::Uuid::new_v4().simple()));
        let live = Timeline::recorded_to(&dir.join(RECORDING));
        live.push(What::Subscribed { stream: 1 });
        live.push_event(1, 1, r#"{"data":"stream connect"}"#.into());
        live.push_event(1, 25, r#"{"contactId":"bot"}"#.into());
        live.push(What::Rpc(RpcRecord {
            name: Rpc::Start,
            started: live.now(),
            took: Duration::from_millis(1),
            outcome: "ok".into(),
            ok: true,
        }));
        live.push_event(1, 2, "not json".into());
        live.flush();
        let again = Timeline::from_recording(&dir.join(RECORDING)).unwrap();
        assert_eq!(again.len(), live.len());
        assert_eq!(again.counts(), live.counts());
        let (a, b) = (again.moment(1).unwrap(), live.moment(1).unwrap());
        assert!(a.connect_heartbeat && b.connect_heartbeat);
        assert_eq!(again.moment(2).unwrap().replay, live.moment(2).unwrap().replay);
        let entries = again.since(0);
        assert!(
            matches!(&entries[3].what, What::Rpc(rpc) if rpc.name == Rpc::Start && rpc.ok && rpc.name.causes_events())
        );
        assert!(matches!(&entries[4].what, What::Event(event) if event.problem.is_some()));
        // Nothing more arrives: its clock stands at the last entry.
        let end = again.now();
        assert_eq!(end, Duration::from_millis(entries[4].at.as_millis() as u64));
        std::fs::write(dir.join("bad.jsonl"), "{\"seq\":0,\"at_ms\":5,\"kind\":\"note\",\"text\":\"a\"}\nnot json\n")
            .unwrap();
        let error = Timeline::from_recording(&dir.join("bad.jsonl")).err().expect("a bad line");
        assert_eq!(error.line, 2);
        assert!(error.to_string().contains("bad.jsonl:2: not a timeline entry"), "{error}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_recording_holds_every_entry_as_a_json_line_and_readers_see_huge_payloads_cut() {
        let dir = std::env::temp_dir().join(format!("puppet-lint-timeline-{}", uuid::Uuid::new_v4().simple()));
        let timeline = Timeline::recorded_to(&dir.join(RECORDING));
        timeline.push(What::Subscribed { stream: 1 });
        let huge = format!(r#"{{"messageId":"m","text":"{}"}}"#, "x".repeat(3 << 20));
        timeline.push_event(1, 2, huge.clone());
        timeline.push(What::Note("done".into()));
        let What::Event(event) = &timeline.since(1)[0].what else { unreachable!() };
        assert!(event.raw.len() < 2048 && event.raw.ends_with(&format!("… ({} bytes in all)", huge.len())));
        assert_eq!(event.field("messageId"), Some("m"), "the parse is whole, long strings cut");
        assert!(event.field("text").unwrap().ends_with(&format!("… ({} bytes in all)", 3 << 20)));
        assert_eq!(event.problem, None);
        timeline.flush();
        let text = std::fs::read_to_string(dir.join(RECORDING)).unwrap();
        let lines: Vec<TimelineEntry> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert!(
            matches!(&lines[1].what, TimelineWhat::Event { payload, .. } if *payload == huge),
            "the recording keeps what the service sent, whole"
        );
        assert!(matches!(lines[0].what, TimelineWhat::Subscribed { stream: 1 }));
        assert!(matches!(&lines[2].what, TimelineWhat::Note { text } if text == "done"));
        assert_eq!(timeline.counts().get("message"), Some(&1));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn readers_skip_unwanted_types_on_the_index() {
        let timeline = Timeline::new();
        for index in 0..1000 {
            timeline.push_event(1, 2, format!(r#"{{"messageId":"m{index}"}}"#));
        }
        timeline.push_event(1, 3, r#"{"data":"d"}"#.into());
        let scan = timeline.scan(0, |moment| moment.kind == Some(EventKind::Dong), 10);
        assert_eq!((scan.entries.len(), scan.next), (1, 1001));
        let dongs = scan.entries;
        let first = timeline.scan(0, |_| true, 10);
        assert_eq!((first.entries.len(), first.next), (10, 10), "a scan stops at its limit");
        assert_eq!(dongs[0].seq, 1000);
        let excerpt = timeline.excerpt(Duration::ZERO, timeline.now(), timeline.now(), 3);
        assert_eq!(excerpt.len(), 3);
    }
}
