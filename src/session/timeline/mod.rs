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
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::events::{TimelineEntry, TimelineWhat};
use crate::wire::{EventKind, Rpc, decode_payload};

mod entry;
mod overview;
mod recording;

pub use entry::{Entry, EventRecord, Identity, Kept, Moment, RpcRecord, SCAN_LIMIT, Scan, Sighting, What, sha256_hex};
use recording::{Appended, Recording};
pub use recording::{Budget, HEAD, RecordingError};

/// The recording's file name in the report directory.
pub const RECORDING: &str = "timeline.jsonl";

/// Index times are kept in units of 100 µs (a `u32` lasts 119 hours). Every entry's instant is a whole
/// millisecond (`whole_ms`), rounded up so that an entry is never placed before a moment taken earlier with
/// [`Timeline::now`]; the unit is finer than needed.
const TICK_NANOS: u64 = 100_000;

/// Flag bits in [`Slot::locator`]; the low bits are a byte offset into the
/// recording (events) or an index into the other entries.
const OTHER: u64 = 1 << 63;
const CONNECT_HEARTBEAT: u64 = 1 << 62;
const REPLAY: u64 = 1 << 61;
/// A long event kept cut in memory ([`State::long`]), not read back.
const LONG: u64 = 1 << 60;
/// An event past the recording budget: not recorded, known by type and time.
const UNRECORDED: u64 = 1 << 59;
const VALUE_BITS: u64 = (1 << 59) - 1;

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

impl Timeline {
    /// A timeline recorded to a temporary file, deleted when it is dropped.
    pub fn new() -> Timeline {
        let path = std::env::temp_dir().join(format!(
            "puppet-lint-{}-{}.jsonl",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        Timeline::with_recording(&path, true, Budget::DEFAULT)
    }

    /// A timeline recorded to `path` (the report directory's
    /// [`RECORDING`]) within the default [`Budget`]; the file is created (and
    /// its directory) or replaced.
    pub fn recorded_to(path: &Path) -> Timeline {
        Timeline::recorded_within(path, Budget::DEFAULT)
    }

    /// [`Timeline::recorded_to`] within `budget`.
    pub fn recorded_within(path: &Path, budget: Budget) -> Timeline {
        Timeline::with_recording(path, false, budget)
    }

    fn with_recording(path: &Path, temporary: bool, budget: Budget) -> Timeline {
        let recording = Recording::open(path, temporary, budget);
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

    /// What the recording budget cut so far, if it cut anything (for the
    /// report); a timeline rebuilt from a trimmed recording says the same.
    pub fn trimmed(&self) -> Option<crate::events::RecordingTrim> {
        let state = self.lock();
        let trim = &state.recording.trim;
        (trim.trimmed > 0 || trim.unrecorded > 0).then(|| trim.clone())
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
        let mut what = what;
        let seq = {
            let mut state = self.lock();
            // Read under the lock: entries stay in time order across threads.
            let at = whole_ms(self.now());
            // An rpc's span in whole milliseconds too, as its recording gives it back (`took_ms` before `at_ms`).
            if let What::Rpc(rpc) = &mut what {
                rpc.started = whole_ms(rpc.started).min(at);
                rpc.took = at - rpc.started;
            }
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

    /// Indexes and records an event. `recorded` is a recording's entry (its
    /// time, marks, trim and problem); `None`: it arrives now, its marks
    /// worked out.
    fn insert_event(&self, stream: u32, wire_type: i32, raw: String, recorded: Option<Recorded>) -> usize {
        let kind = EventKind::from_wire(wire_type);
        let trimmed = recorded.as_ref().and_then(|recorded| recorded.trimmed.clone());
        // Judged before the lock: payloads are parsed with long strings cut.
        // A payload recorded trimmed keeps its recorded problem (its head is no JSON).
        let (payload, problem) = match &trimmed {
            Some(_) => (None, recorded.as_ref().and_then(|recorded| recorded.problem.clone())),
            None => {
                let (payload, problem) = decode_payload(kind, &raw);
                (payload, problem.map(|problem| problem.to_string()))
            }
        };
        // A long payload is cut for readers: its identity, the whole's digest, is taken now, from all of it.
        let long =
            (raw.len() > LONG_PAYLOAD).then(|| (crate::wire::cut_long(&raw).into_owned(), payload, sha256_hex(&raw)));
        let recorded = recorded.map(|recorded| (recorded.at, recorded.connect_heartbeat, recorded.replay));
        let seq = {
            let mut state = self.lock();
            // Read under the lock: entries stay in time order across threads.
            let at = recorded.map_or_else(|| whole_ms(self.now()), |(at, _, _)| at);
            let seq = state.index.len();
            let first_on_stream = state.fresh_stream == Some(stream) || state.current_stream != stream;
            if state.fresh_stream == Some(stream) {
                state.fresh_stream = None;
            }
            state.current_stream = stream;
            let (connect_heartbeat, replay) =
                recorded.map(|(_, heartbeat, replay)| (heartbeat, replay)).unwrap_or_else(|| {
                    let replay = state.replays.mark(stream, kind, at, &raw);
                    (first_on_stream && kind == EventKind::Heartbeat, replay)
                });
            let mut line = TimelineEntry {
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
                    trimmed,
                },
            };
            let appended = state.recording.append_event(&mut line, long.is_some());
            drop(line);
            let flags = if connect_heartbeat { CONNECT_HEARTBEAT } else { 0 } | if replay { REPLAY } else { 0 };
            let (kept, offset) = match appended {
                Appended::Whole(offset) => (Kept::Whole, Some(offset)),
                Appended::Trimmed(offset, trimmed) => (Kept::Trimmed(trimmed), Some(offset)),
                Appended::Unrecorded => (Kept::Unrecorded, None),
            };
            let unrecorded = offset.is_none();
            let locator = match (long, offset) {
                // The run saw it whole: live readers (a message's id) keep its parse; judges go by `kept`.
                (Some((shown, payload, sha256)), _) if state.long.len() < LONG_KEPT => {
                    state.long.push(EventRecord {
                        stream,
                        kind,
                        raw: shown,
                        payload,
                        problem,
                        connect_heartbeat,
                        replay,
                        kept,
                        sha256: Some(sha256),
                    });
                    LONG | (state.long.len() - 1) as u64
                }
                (_, Some(offset)) => offset & VALUE_BITS,
                (_, None) => UNRECORDED,
            };
            state.index.push(Slot { at: ticks(at), number: wire_type, locator: flags | locator });
            *state.counts.entry(wire_type).or_default() += 1;
            if unrecorded && state.recording.trim.unrecorded == 1 {
                let budget = state.recording.budget.total >> 20;
                let text = format!(
                    "the recording budget ({budget} MiB) is spent: from entry {seq} on, events are kept by type and \
                     time only, not recorded, and not judged by their payloads"
                );
                let note = state.insert_other(at, What::Note(text));
                drop(state);
                self.grew(note + 1);
                return seq;
            }
            seq
        };
        self.grew(seq + 1);
        seq
    }

    pub fn len(&self) -> usize {
        self.lock().index.len()
    }

    /// How many entries came before `at`: the timeline as it stood then.
    pub fn len_before(&self, at: Duration) -> usize {
        self.lock().index.partition_point(|slot| untick(slot.at) < at)
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

/// An entry's instant: the next whole millisecond (never before the moment it came). The recording keeps whole
/// milliseconds, so the live index and a timeline read back from the recording hold the same instants, and a judge
/// re-judging a recording sees what it saw live (an event at +5.3 ms was before a judge's +5 ms live and after it
/// re-judged).
fn whole_ms(at: Duration) -> Duration {
    Duration::from_millis(u64::try_from(at.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX))
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
    let at = untick(slot.at);
    if slot.locator & UNRECORDED != 0 {
        let raw = "(not recorded: the recording budget was spent)".to_owned();
        let (stream, kept) = (state.current_stream, Kept::Unrecorded);
        let record = EventRecord {
            stream,
            kind,
            raw,
            payload: None,
            problem: None,
            connect_heartbeat,
            replay,
            kept,
            sha256: None,
        };
        return Some(Entry { seq, at, what: What::Event(record) });
    }
    let back = state.recording.read_event(slot.locator & VALUE_BITS).unwrap_or_default();
    let stream = back.stream;
    if let Some(trimmed) = back.trimmed {
        let raw = format!(
            "{}… ({} bytes in all, sha256 {}; trimmed by the recording budget)",
            back.payload, trimmed.bytes, trimmed.sha256
        );
        let kept = Kept::Trimmed(trimmed);
        let problem = back.problem;
        let record =
            EventRecord { stream, kind, raw, payload: None, problem, connect_heartbeat, replay, kept, sha256: None };
        return Some(Entry { seq, at, what: What::Event(record) });
    }
    let raw = back.payload;
    let (payload, problem) = decode_payload(kind, &raw);
    // A long line read back (past [`LONG_KEPT`]) is shown cut, like the others, its identity the whole's digest.
    let (raw, sha256) = match crate::wire::cut_long(&raw) {
        std::borrow::Cow::Borrowed(_) => (raw, None),
        std::borrow::Cow::Owned(shown) => (shown, Some(sha256_hex(&raw))),
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
            kept: Kept::Whole,
            sha256,
        }),
    })
}

/// A recording's event entry, as [`Timeline::insert_event`] takes it back.
struct Recorded {
    at: Duration,
    connect_heartbeat: bool,
    replay: bool,
    trimmed: Option<crate::events::Trimmed>,
    problem: Option<String>,
}

#[cfg(test)]
mod tests;
