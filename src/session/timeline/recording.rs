//! The recording's file format and its two directions: entries appended as they arrive (`timeline.jsonl`, one
//! JSON line an entry, tokens masked, read back by offset), and a recorded run rebuilt into a timeline.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::events::{PAYLOAD_LIMIT, TimelineEntry, TimelineWhat, truncate};

/// Why a recording could not be read back: the file, the line (1-based;
/// 0 for the file as a whole) and what is wrong.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}{}: {message}", path.display(), if *line == 0 { String::new() } else { format!(":{line}") })]
pub struct RecordingError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// The longest recording line read back: whatever a run records fits — an
/// event of a 64 MiB gRPC message whose every byte is escaped as `\u00XX`
/// (six bytes each), and the entry around it.
const LINE_LIMIT: u64 = 6 * (64 << 20) + (1 << 20);

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
}

impl Recording {
    /// Recording stops: why, once; the writer is dropped.
    pub(super) fn fail(&mut self, why: String) {
        self.broken.get_or_insert(why);
        self.writer = None;
        self.failed.cancel();
    }

    pub(super) fn open(path: &Path, temporary: bool) -> Recording {
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
    pub(super) fn append(&mut self, entry: &TimelineEntry, long: bool) -> u64 {
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

    /// The stream and raw payload of the event line at `offset`.
    pub(super) fn read_event(&mut self, offset: u64) -> Option<(u32, String)> {
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
