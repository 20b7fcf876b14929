//! What the HTTP/2 layer under the channel said and did, read from the
//! frames themselves: the server's SETTINGS (its stream limit, its
//! flow-control window), WINDOW_UPDATEs, GOAWAY and RST_STREAM, and the
//! streams puppet-lint opened. hyper and tonic keep these to themselves (a
//! call waiting for a stream the server does not allow just waits; tonic
//! turns a GOAWAY into "h2 protocol error" without its code), so the
//! connection is watched as it passes (RFC 9113 §4.1 frame layout, §6 frame
//! types, §7 error codes), and a failure can name the layer and the side.
//!
//! Only frame headers and the few small frames above are read; DATA and
//! HEADERS payloads are skipped, so watching costs nothing per byte.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The client connection preface (RFC 9113 §3.4), written before any frame.
const PREFACE_LEN: usize = 24;
/// A frame header: 24-bit length, type, flags, 31-bit stream id.
const HEADER_LEN: usize = 9;
/// The most of a kept frame's payload (SETTINGS, GOAWAY, WINDOW_UPDATE,
/// RST_STREAM) held to read it; a GOAWAY's debug data past it is cut.
const KEPT_PAYLOAD: usize = 512;
/// The most streams tracked at once (puppet-lint opens a handful).
const TRACKED_STREAMS: usize = 4096;
/// HTTP/2's initial flow-control window, for streams and the connection
/// (RFC 9113 §6.9.2).
const INITIAL_WINDOW: i64 = 65_535;
/// A header block larger than this (bytes, compressed) is large: a gRPC
/// answer's headers are a few hundred bytes, and h2 refuses such a block
/// under names that do not say so (PROTOCOL_ERROR, COMPRESSION_ERROR,
/// too_many_continuations).
pub const LARGE_HEADER_BLOCK: u64 = 16 * 1024;

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const WINDOW_UPDATE: u8 = 0x8;
const CONTINUATION: u8 = 0x9;
const END_HEADERS: u8 = 0x4;
const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE: u16 = 0x4;

/// A GOAWAY the server sent (RFC 9113 §6.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoAway {
    /// Its error code (§7); `NO_ERROR` is a graceful shutdown.
    pub code: u32,
    /// The last stream the server says it processed.
    pub last_stream_id: u32,
    /// Its debug data, as text (lossy UTF-8, at most ~500 bytes; peer text).
    pub debug: String,
    /// Which connection of the channel (1 for the first) it came on.
    pub connection: u32,
}

impl GoAway {
    /// Whether the server is shutting down gracefully (code `NO_ERROR`).
    pub fn graceful(&self) -> bool {
        self.code == 0
    }
}

impl std::fmt::Display for GoAway {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(out, "the service sent GOAWAY ({})", error_code(self.code))?;
        if self.graceful() {
            write!(out, ", a graceful shutdown: it is draining its connections, going down or restarting")?;
        } else if self.code == 0xb {
            write!(out, ": it says puppet-lint sends too much, too fast")?;
        }
        if !self.debug.is_empty() {
            write!(out, "; its debug data: \"{}\"", self.debug)?;
        }
        Ok(())
    }
}

/// An HTTP/2 error code by its RFC 9113 §7 name, and what it means.
pub fn error_code(code: u32) -> String {
    let reason = h2::Reason::from(code);
    format!("{reason:?}: {}", reason.description())
}

/// What the watch has seen so far. The server's settings, windows and open
/// streams are those of the channel's latest connection; counters and the
/// GOAWAY span every connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Connections the channel has made (each starts a fresh HTTP/2 state).
    pub connections: u32,
    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS, once it set one.
    pub max_concurrent_streams: Option<u32>,
    /// The server's SETTINGS_INITIAL_WINDOW_SIZE (bytes), once it set one.
    pub initial_window_size: Option<u32>,
    /// WINDOW_UPDATE frames on a stream (not the connection) from the server.
    pub stream_window_updates: u64,
    /// WINDOW_UPDATE frames on the connection from the server.
    pub connection_window_updates: u64,
    /// Bytes puppet-lint may still send on the connection (the initial
    /// 65,535, plus the server's connection WINDOW_UPDATEs, less DATA sent).
    pub connection_window: i64,
    /// Streams puppet-lint opened that have not ended (both sides done, or
    /// reset).
    pub open_streams: u32,
    /// Requests puppet-lint sent (HEADERS frames opening a stream), over all
    /// connections.
    pub requests_sent: u64,
    /// DATA frames puppet-lint sent, over all connections.
    pub data_frames_sent: u64,
    /// The latest GOAWAY from the server.
    pub goaway: Option<GoAway>,
    /// GOAWAY frames the server sent, over all connections.
    pub goaways: u32,
    /// The latest RST_STREAM from the server: its stream and error code.
    pub reset: Option<(u32, u32)>,
    /// The largest header block (HEADERS and its CONTINUATIONs, bytes as
    /// sent, compressed) the server sent, on any connection.
    pub largest_header_block: u64,
    /// Header blocks from the server that grew past [`LARGE_HEADER_BLOCK`].
    pub large_header_blocks: u64,
}

/// Why a call got no answer, when HTTP/2 says: the call could not be sent,
/// or the server ended the connection under it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stuck {
    /// The server allows no stream at all.
    #[error(
        "the request never left puppet-lint: the service allows no stream at all (its HTTP/2 \
         SETTINGS_MAX_CONCURRENT_STREAMS is 0)"
    )]
    NoStreams,
    /// Every stream the server allows is open (the event stream holds one).
    #[error(
        "the request never left puppet-lint: the service allows {max} concurrent stream{} (its HTTP/2 \
         SETTINGS_MAX_CONCURRENT_STREAMS) and {open} {} open — the event stream holds one for the whole session, so a \
         Puppet Service must allow more",
        if *max == 1 { "" } else { "s" },
        if *open == 1 { "is" } else { "are" }
    )]
    StreamLimit { max: u32, open: u32 },
    /// The server's flow-control window for a new stream is zero, and it
    /// never opened one.
    #[error(
        "the request's message never left puppet-lint: the service grants no HTTP/2 flow-control window (its \
         SETTINGS_INITIAL_WINDOW_SIZE is 0, and it sent no WINDOW_UPDATE)"
    )]
    NoStreamWindow,
    /// The connection's flow-control window is used up, and the server
    /// never opened it.
    #[error(
        "the request's message never left puppet-lint: the service's HTTP/2 flow-control window for the connection \
         is used up ({left} bytes left), and it never sent a WINDOW_UPDATE to open it"
    )]
    NoConnectionWindow { left: i64 },
    /// HTTP/2 did not send the request, for a reason the frames do not show.
    #[error("the request never left puppet-lint (HTTP/2 sent no HEADERS frame for it)")]
    NotSent,
    /// The server ended the connection with a GOAWAY.
    #[error("{0}")]
    GoAway(GoAway),
}

impl Stuck {
    /// Whether no call at all can leave while this lasts (the service
    /// allows no stream, only the one the event stream holds, or no window),
    /// so the service cannot be tested.
    pub fn blocks_every_call(&self) -> bool {
        match self {
            Stuck::NoStreams | Stuck::NoStreamWindow | Stuck::NoConnectionWindow { .. } => true,
            Stuck::StreamLimit { max, .. } => *max <= 1,
            Stuck::NotSent | Stuck::GoAway(_) => false,
        }
    }
}

/// The watch over one channel's connections, shared by every connection the
/// channel makes (it reconnects after a failure).
#[derive(Debug, Default)]
pub struct Http2Watch {
    seen: Mutex<Seen>,
    /// Each open stream: (puppet-lint ended its side, the server ended its side).
    streams: Mutex<HashMap<u32, (bool, bool)>>,
    /// Bytes puppet-lint handed the connection (its socket, or TLS under it), on every connection so far.
    written: AtomicU64,
    /// Told each time bytes are written (see [`Http2Watch::written_past`]).
    writes: tokio::sync::Notify,
}

impl Http2Watch {
    /// `bytes` more were handed to the connection.
    pub fn wrote(&self, bytes: usize) {
        self.written.fetch_add(bytes as u64, Ordering::Relaxed);
        self.writes.notify_waiters();
    }

    /// Bytes handed to the connections so far, frames and all.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Resolves once at least `bytes` were handed to the connections in all: what a paced sender waits on (HTTP/2
    /// keeps what it has not written yet in memory, up to 400 KiB a stream).
    pub async fn written_past(&self, bytes: u64) {
        loop {
            let written = self.writes.notified();
            if self.written() >= bytes {
                return;
            }
            written.await;
        }
    }

    /// What was seen so far.
    pub fn seen(&self) -> Seen {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_streams(&self) -> std::sync::MutexGuard<'_, HashMap<u32, (bool, bool)>> {
        self.streams.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new connection: its HTTP/2 state starts afresh. Returns its number.
    pub fn connected(&self) -> u32 {
        self.lock_streams().clear();
        let mut seen = self.lock();
        seen.connections += 1;
        seen.max_concurrent_streams = None;
        seen.initial_window_size = None;
        seen.stream_window_updates = 0;
        seen.connection_window_updates = 0;
        seen.connection_window = INITIAL_WINDOW;
        seen.open_streams = 0;
        seen.connections
    }

    /// Why a call that began when `before` was seen got no answer, if the
    /// frames say: a GOAWAY since, no stream allowed, every allowed stream
    /// open, no window to send its message in, or no request sent at all.
    /// `None`: its request went out, and the service said nothing.
    pub fn stuck(&self, before: &Seen) -> Option<Stuck> {
        let now = self.seen();
        if now.goaways > before.goaways
            && let Some(goaway) = now.goaway
        {
            return Some(Stuck::GoAway(goaway));
        }
        let sent = now.requests_sent > before.requests_sent;
        match now.max_concurrent_streams {
            Some(0) => return Some(Stuck::NoStreams),
            Some(max) if !sent && now.open_streams >= max => {
                return Some(Stuck::StreamLimit { max, open: now.open_streams });
            }
            _ => {}
        }
        if now.data_frames_sent == before.data_frames_sent {
            if now.initial_window_size == Some(0) && now.stream_window_updates == 0 {
                return Some(Stuck::NoStreamWindow);
            }
            // A window that opened before and stays shut now is a service
            // that stopped reading (frozen, overloaded), not its settings.
            if now.connection_window <= 0 && now.connection_window_updates == 0 {
                return Some(Stuck::NoConnectionWindow { left: now.connection_window });
            }
        }
        (!sent).then_some(Stuck::NotSent)
    }

    fn client_frame(&self, frame: &Frame) {
        match frame.kind {
            HEADERS => {
                let mut streams = self.lock_streams();
                let opened = !streams.contains_key(&frame.stream);
                if opened && streams.len() < TRACKED_STREAMS {
                    streams.insert(frame.stream, (frame.flags & END_STREAM != 0, false));
                }
                let open = streams.len() as u32;
                drop(streams);
                let mut seen = self.lock();
                if opened {
                    seen.requests_sent += 1;
                }
                seen.open_streams = open;
            }
            DATA => {
                if frame.flags & END_STREAM != 0 {
                    self.end(frame.stream, true);
                }
                let mut seen = self.lock();
                seen.data_frames_sent += 1;
                seen.connection_window -= i64::from(frame.length);
            }
            RST_STREAM => self.reset(frame.stream),
            _ => {}
        }
    }

    /// A header block from the server has reached `bytes` (told as each
    /// frame's header arrives: a client that gives up mid-frame still knows).
    fn header_block(&self, previous: u64, bytes: u64) {
        let mut seen = self.lock();
        seen.largest_header_block = seen.largest_header_block.max(bytes);
        if previous <= LARGE_HEADER_BLOCK && bytes > LARGE_HEADER_BLOCK {
            seen.large_header_blocks += 1;
        }
    }

    fn server_frame(&self, frame: &Frame) {
        match frame.kind {
            HEADERS | DATA if frame.flags & END_STREAM != 0 => self.end(frame.stream, false),
            RST_STREAM => {
                self.reset(frame.stream);
                if let Some(code) = frame.payload.get(..4) {
                    self.lock().reset = Some((frame.stream, u32::from_be_bytes([code[0], code[1], code[2], code[3]])));
                }
            }
            SETTINGS if frame.flags & ACK == 0 => {
                let mut seen = self.lock();
                for setting in frame.payload.chunks_exact(6) {
                    let value = u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]);
                    match u16::from_be_bytes([setting[0], setting[1]]) {
                        SETTINGS_MAX_CONCURRENT_STREAMS => seen.max_concurrent_streams = Some(value),
                        SETTINGS_INITIAL_WINDOW_SIZE => seen.initial_window_size = Some(value),
                        _ => {}
                    }
                }
            }
            WINDOW_UPDATE => {
                let Some(bytes) = frame.payload.get(..4) else { return };
                let increment = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) & 0x7fff_ffff;
                let mut seen = self.lock();
                if frame.stream == 0 {
                    seen.connection_window += i64::from(increment);
                    seen.connection_window_updates += 1;
                } else {
                    seen.stream_window_updates += 1;
                }
            }
            GOAWAY => {
                let Some(head) = frame.payload.get(..8) else { return };
                let last_stream_id = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) & 0x7fff_ffff;
                let code = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
                let debug = String::from_utf8_lossy(&frame.payload[8..]).into_owned();
                let mut seen = self.lock();
                seen.goaways += 1;
                let connection = seen.connections;
                seen.goaway = Some(GoAway { code, last_stream_id, debug, connection });
            }
            _ => {}
        }
    }

    /// One side of `stream` ended (`client`: puppet-lint's).
    fn end(&self, stream: u32, client: bool) {
        let mut streams = self.lock_streams();
        if let Some(ends) = streams.get_mut(&stream) {
            if client {
                ends.0 = true;
            } else {
                ends.1 = true;
            }
            if ends.0 && ends.1 {
                streams.remove(&stream);
            }
        }
        let open = streams.len() as u32;
        drop(streams);
        self.lock().open_streams = open;
    }

    fn reset(&self, stream: u32) {
        let mut streams = self.lock_streams();
        streams.remove(&stream);
        let open = streams.len() as u32;
        drop(streams);
        self.lock().open_streams = open;
    }
}

/// One frame as the watch sees it: its header, and its payload when it is
/// one of the small kinds kept (cut at [`KEPT_PAYLOAD`]).
#[derive(Debug, Default)]
struct Frame {
    length: u32,
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

/// Frames read out of one direction of one connection, across reads.
#[derive(Debug, Default)]
pub struct FrameReader {
    /// Preface bytes still to skip (the client's side starts with one).
    preface: usize,
    header: [u8; HEADER_LEN],
    have: usize,
    /// Payload bytes of the current frame still to come.
    remaining: usize,
    frame: Option<Frame>,
    /// Bytes of the header block under way (HEADERS, then CONTINUATIONs).
    block: u64,
}

/// Which side wrote the bytes a [`FrameReader`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// puppet-lint (the client): starts with the connection preface.
    Client,
    /// The service.
    Server,
}

impl FrameReader {
    /// A reader for one direction of a fresh connection.
    pub fn new(side: Side) -> FrameReader {
        FrameReader { preface: if side == Side::Client { PREFACE_LEN } else { 0 }, ..FrameReader::default() }
    }

    /// Reads `bytes` (the next bytes `side` wrote) and tells `watch` of each
    /// frame completed.
    pub fn feed(&mut self, mut bytes: &[u8], side: Side, watch: &Http2Watch) {
        let skipped = self.preface.min(bytes.len());
        self.preface -= skipped;
        bytes = &bytes[skipped..];
        while !bytes.is_empty() {
            if self.remaining == 0 && self.frame.is_none() {
                let take = (HEADER_LEN - self.have).min(bytes.len());
                self.header[self.have..self.have + take].copy_from_slice(&bytes[..take]);
                self.have += take;
                bytes = &bytes[take..];
                if self.have < HEADER_LEN {
                    return;
                }
                self.have = 0;
                let header = self.header;
                let length = u32::from_be_bytes([0, header[0], header[1], header[2]]);
                let frame = Frame {
                    length,
                    kind: header[3],
                    flags: header[4],
                    stream: u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff,
                    payload: Vec::new(),
                };
                if side == Side::Server && matches!(frame.kind, HEADERS | CONTINUATION) {
                    let previous = if frame.kind == HEADERS { 0 } else { self.block };
                    let block = previous + u64::from(length);
                    self.block = if frame.flags & END_HEADERS == 0 { block } else { 0 };
                    watch.header_block(previous, block);
                }
                self.remaining = length as usize;
                self.frame = Some(frame);
            }
            let take = self.remaining.min(bytes.len());
            if let Some(frame) = self.frame.as_mut()
                && matches!(frame.kind, SETTINGS | GOAWAY | WINDOW_UPDATE | RST_STREAM)
            {
                let room = KEPT_PAYLOAD.saturating_sub(frame.payload.len()).min(take);
                frame.payload.extend_from_slice(&bytes[..room]);
            }
            self.remaining -= take;
            bytes = &bytes[take..];
            if self.remaining == 0
                && let Some(frame) = self.frame.take()
            {
                match side {
                    Side::Client => watch.client_frame(&frame),
                    Side::Server => watch.server_frame(&frame),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
