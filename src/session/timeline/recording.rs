//! The recording's file format and its two directions: entries appended as they arrive (`timeline.jsonl`, one
//! JSON line an entry, tokens masked, read back by offset), and a recorded run rebuilt into a timeline.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::events::overview::TIME_LIMIT_MS;
use crate::events::{PAYLOAD_LIMIT, RecordingTrim, TimelineEntry, TimelineWhat, Trimmed, truncate};

/// Why a recording could not be read back: the file, the line (1-based;
/// 0 for the file as a whole) and what is wrong.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}{}: {message}", path.display(), if *line == 0 { String::new() } else { format!(":{line}") })]
pub struct RecordingError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// How big a run's recording may grow (see [`Timeline::recorded_to`]): the
/// whole file, and its longest line. Past the budget, payloads are kept as
/// their head, length and SHA-256; a recording never holds more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The whole file, in bytes. Payloads are kept whole in its first
    /// seven eighths; past that, those longer than [`HEAD`] are trimmed;
    /// past all but [`Budget::tail`], events are no longer recorded (kept in
    /// memory by type and time), and the tail holds the entries that are no
    /// events (rpcs, stream ends, notes) until the file is full.
    pub total: u64,
    /// The longest line, in bytes: a payload whose line would be longer is
    /// trimmed whatever the budget left.
    pub line: u64,
}

impl Budget {
    /// 64 MiB a run, lines up to 4 MiB: over a thousand times what a
    /// conformant run records (a 60 s mock run writes about 30 KiB), and 4
    /// MiB is the default gRPC message limit of stock clients, so a payload
    /// over it does not reach a bot anyway.
    pub const DEFAULT: Budget = Budget { total: 64 << 20, line: 4 << 20 };

    /// Where payloads stop being kept whole (longer than [`HEAD`]).
    fn whole_until(self) -> u64 {
        self.total - self.total / 8
    }

    /// The end reserved for the entries that are no events.
    fn tail(self) -> u64 {
        (self.total / 256).max(4096)
    }

    /// Where events stop being recorded.
    fn events_until(self) -> u64 {
        self.total.saturating_sub(self.tail())
    }
}

/// The recording's write buffer, bytes: a few dozen lines between flushes (every read back flushes), longer lines
/// go straight to the file. Every target of a fleet holds one (at 64 KiB, a hundred targets held 6.4 MiB of them).
const WRITE_BUFFER: usize = 8 * 1024;

/// The bytes of a payload kept when it is trimmed (cut back to a character
/// boundary).
pub const HEAD: usize = 1024;

/// The longest recording line read back: the longest a recording writes
/// ([`Budget::line`]), with room for an older version's entry around it.
const LINE_LIMIT: u64 = Budget::DEFAULT.line + (64 << 10);

/// The biggest recording read back: what the budget allows, and slack.
const FILE_LIMIT: u64 = Budget::DEFAULT.total + (1 << 20);

/// What became of an event's line (see [`Recording::append_event`]).
pub(super) enum Appended {
    /// Written whole (or as recorded), at this offset.
    Whole(u64),
    /// Written with the payload's head only, at this offset.
    Trimmed(u64, Trimmed),
    /// Not written: the budget is spent.
    Unrecorded,
}

/// The recording on disk: written through a buffer, read back by offset.
pub(super) struct Recording {
    pub(super) path: PathBuf,
    /// A temporary recording (no report directory) is deleted at the end.
    pub(super) temporary: bool,
    pub(super) writer: Option<BufWriter<File>>,
    pub(super) reader: Option<File>,
    /// Bytes written so far (buffered or not).
    pub(super) written: u64,
    /// Fires when recording stops (see [`Timeline::recording_failed`]).
    pub(super) failed: tokio_util::sync::CancellationToken,
    /// Why recording stopped, if it did (a full disk); the index goes on.
    pub(super) broken: Option<String>,
    /// The line being written (reused; see [`Recording::append`]).
    pub(super) line: Vec<u8>,
    pub(super) budget: Budget,
    /// What the budget cut so far.
    pub(super) trim: RecordingTrim,
    /// Events are no longer recorded (the budget is spent).
    pub(super) full: bool,
}

impl Timeline {
    /// Rebuilds the timeline of a recorded run from its recording (each
    /// line of `timeline.jsonl` as it was written): every entry at its
    /// recorded time, with its recorded marks (stream connect heartbeats,
    /// replays), a payload's problem worked out again. The result stands
    /// still at its last entry: nothing more arrives. Kept in a temporary
    /// recording of its own.
    pub fn from_recording(path: &Path) -> Result<Timeline, RecordingError> {
        let failed = |line: usize, message: String| RecordingError { path: path.to_path_buf(), line, message };
        // A device or a pipe (`/dev/zero`) is no recording and may never end; a FIFO would block the open itself.
        let metadata = std::fs::metadata(path).map_err(|error| failed(0, format!("cannot read it: {error}")))?;
        if !metadata.is_file() {
            return Err(failed(0, "not a regular file, so not a recording".into()));
        }
        if metadata.len() > FILE_LIMIT {
            return Err(failed(
                0,
                format!(
                    "it is {} MiB, more than a recording ever holds ({} MiB: the recording budget, and slack), so \
                     not a recording to read",
                    metadata.len() >> 20,
                    FILE_LIMIT >> 20
                ),
            ));
        }
        let file = File::open(path).map_err(|error| failed(0, format!("cannot read it: {error}")))?;
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
                    let limit = LINE_LIMIT >> 10;
                    return Err(failed(
                        number,
                        format!(
                            "the line is longer than {limit} KiB, more than a recording line ever holds (payloads \
                             past it are trimmed), so not a timeline entry"
                        ),
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
            // A time no run's timeline holds (a recording is input: its times size the overview's span).
            let took_ms = match &entry.what {
                TimelineWhat::Rpc { took_ms, .. } => *took_ms,
                _ => 0,
            };
            if let Some((field, ms)) =
                [("at_ms", entry.at_ms), ("took_ms", took_ms)].into_iter().find(|(_, ms)| *ms > TIME_LIMIT_MS)
            {
                return Err(failed(
                    number,
                    format!("its {field} is {ms} ms, longer than any run's timeline ({TIME_LIMIT_MS} ms, 30 days)"),
                ));
            }
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
            TimelineWhat::Event { stream, number, payload, connect_heartbeat, replay, trimmed, problem, .. } => {
                let recorded = Recorded { at, connect_heartbeat, replay, trimmed, problem };
                self.insert_event(stream, number, payload, Some(recorded));
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
}

impl Recording {
    /// Recording stops: why, once; the writer is dropped.
    pub(super) fn fail(&mut self, why: String) {
        self.broken.get_or_insert(why);
        self.writer = None;
        self.failed.cancel();
    }

    pub(super) fn open(path: &Path, temporary: bool, budget: Budget) -> Recording {
        let mut recording = Recording {
            path: path.to_owned(),
            temporary,
            budget,
            trim: RecordingTrim { budget_bytes: budget.total, line_bytes: budget.line, ..RecordingTrim::default() },
            full: false,
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
        match create(path, temporary).and_then(|file| Ok((file, File::open(path)?))) {
            Ok((writer, reader)) => {
                recording.writer = Some(BufWriter::with_capacity(WRITE_BUFFER, writer));
                recording.reader = Some(reader);
                // A temporary recording lives on in its two handles only: nothing is left behind in the temporary
                // directory, whatever ends the process (a failed step, `exit`, a signal).
                if temporary {
                    let _ = std::fs::remove_file(path);
                }
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
    pub(super) fn append(&mut self, entry: &TimelineEntry, long: bool) -> u64 {
        let offset = self.written;
        if !long {
            self.encode(entry);
            if self.written + self.line.len() as u64 > self.budget.total {
                // The file is full: kept in memory only.
                return offset;
            }
        }
        self.write(entry, long)
    }

    /// Appends an event's line within the budget: whole while it fits (and
    /// its line is no longer than [`Budget::line`]); else with the payload's
    /// head only, its length and SHA-256 (`entry` is changed to what was
    /// written); else not at all, once only events' room is spent.
    pub(super) fn append_event(&mut self, entry: &mut TimelineEntry, long: bool) -> Appended {
        let TimelineWhat::Event { payload, trimmed, .. } = &entry.what else {
            return Appended::Whole(self.append(entry, long));
        };
        let length = payload.len();
        let already = trimmed.is_some();
        let line = if long {
            measure(entry)
        } else {
            self.encode(entry);
            self.line.len() as u64
        };
        let room = if length > HEAD && !already { self.budget.whole_until() } else { self.budget.events_until() };
        if !self.full && line <= self.budget.line && self.written + line <= room {
            let offset = self.write(entry, long);
            if let TimelineWhat::Event { trimmed: Some(trimmed), .. } = &entry.what {
                self.count_trimmed(entry.seq, trimmed.bytes, length);
            }
            return Appended::Whole(offset);
        }
        if length > HEAD && !already {
            let TimelineWhat::Event { payload, trimmed, .. } = &mut entry.what else { unreachable!() };
            let sha256 = super::entry::sha256_hex(payload);
            let cut = Trimmed { bytes: length as u64, sha256 };
            let mut head = HEAD;
            while !payload.is_char_boundary(head) {
                head -= 1;
            }
            payload.truncate(head);
            payload.shrink_to_fit();
            let bytes = cut.bytes;
            *trimmed = Some(cut.clone());
            self.encode(entry);
            if !self.full && self.written + self.line.len() as u64 <= self.budget.events_until() {
                let offset = self.write(entry, false);
                self.count_trimmed(entry.seq, bytes, head);
                return Appended::Trimmed(offset, cut);
            }
        }
        self.full = true;
        self.trim.unrecorded += 1;
        self.trim.first_unrecorded.get_or_insert(entry.seq as u64);
        Appended::Unrecorded
    }

    fn count_trimmed(&mut self, seq: usize, bytes: u64, kept: usize) {
        self.trim.trimmed += 1;
        self.trim.trimmed_bytes += bytes.saturating_sub(kept as u64);
        self.trim.first_trimmed.get_or_insert(seq as u64);
    }

    /// `entry`'s line into [`Recording::line`], C1 controls escaped, no newline.
    fn encode(&mut self, entry: &TimelineEntry) {
        let mut bytes = std::mem::take(&mut self.line);
        bytes.clear();
        // Into memory: it cannot fail. Escaped only when needed (rare).
        let _ = serde_json::to_writer(&mut bytes, entry);
        if bytes.iter().any(|byte| *byte == 0x7f || *byte == 0xc2) {
            let mut escaped = crate::events::C1Escaping::new(Vec::with_capacity(bytes.len() + 16));
            let _ = escaped.write_all(&bytes).and_then(|()| escaped.finish());
            bytes = escaped.into_inner();
        }
        self.line = bytes;
    }

    /// Writes `entry`'s line: a short one from [`Recording::line`] (encoded
    /// just before), a long one streamed.
    fn write(&mut self, entry: &TimelineEntry, long: bool) -> u64 {
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

    pub(super) fn flush(&mut self) {
        if let Some(writer) = self.writer.as_mut()
            && let Err(error) = writer.flush()
        {
            let why = format!("writing {} failed: {error}", self.path.display());
            self.fail(why);
        }
    }

    pub(super) fn finish(&mut self) {
        self.flush();
    }

    /// The stream, raw payload (its head when trimmed), what was trimmed and
    /// the recorded problem of the event line at `offset`.
    pub(super) fn read_event(&mut self, offset: u64) -> Option<ReadBack> {
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
            TimelineWhat::Event { stream, payload, trimmed, problem, .. } => {
                Some(ReadBack { stream, payload, trimmed, problem })
            }
            _ => None,
        }
    }
}

/// An event line read back (see [`Recording::read_event`]).
#[derive(Default)]
pub(super) struct ReadBack {
    pub(super) stream: u32,
    pub(super) payload: String,
    pub(super) trimmed: Option<Trimmed>,
    pub(super) problem: Option<String>,
}

/// The length of `entry`'s line as [`Recording::write`] writes it (C1
/// controls escaped, newline included), counted without keeping it.
fn measure(entry: &TimelineEntry) -> u64 {
    let mut counter = crate::events::C1Escaping::new(std::io::sink());
    let counted =
        serde_json::to_writer(&mut counter, entry).map_err(std::io::Error::from).and_then(|()| counter.finish());
    match counted {
        Ok(()) => counter.written + 1,
        Err(_) => u64::MAX,
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
                trimmed: match &event.kept {
                    super::Kept::Trimmed(trimmed) => Some(trimmed.clone()),
                    _ => None,
                },
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

/// The recording's file, created for writing: a temporary one readable by
/// its owner only (it holds what the service sent), and new (never one a
/// link planted in the temporary directory points to).
fn create(path: &Path, temporary: bool) -> std::io::Result<File> {
    if !temporary {
        return File::create(path);
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}
