//! What one peer may cost the registry. Its protocol is small: a provider
//! sends JSON frames of a few hundred bytes (`sys`, `scan` with a QR code
//! URL, `login`, `heartbeat`, JSON-RPC answers) and pings; a client sends a
//! `GET` with no body. So the WebSocket library's defaults (64 MiB messages,
//! 16 MiB frames, 128 KiB buffers per socket) give way to KiBs, sockets are
//! counted, and a peer that says nothing is let go: a socket that does not
//! register at once, and one that goes silent.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The largest WebSocket message a provider may send (a `scan` frame with a
/// long QR code URL is a few KiB).
pub const MAX_MESSAGE: usize = 64 * 1024;
/// The largest WebSocket frame.
pub const MAX_FRAME: usize = 16 * 1024;
/// Connections open at once (providers' sockets and discovery requests);
/// one more is closed as soon as it is accepted.
pub const MAX_CONNECTIONS: usize = 256;
/// The most a request's head may take (hyper's smallest buffer is 8 KiB).
pub const MAX_HEAD: usize = 16 * 1024;
/// Header lines in a request.
pub const MAX_HEADERS: usize = 64;
/// A request's head must arrive within this, from the connection's start
/// (also a connection that never sends one).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a provider's socket may stay silent (no frame, no ping, no pong)
/// before it is closed; the registry pings it at a third of that, and
/// WebSocket libraries answer pings by themselves, so a live provider is
/// never silent that long.
pub const IDLE: Duration = Duration::from_secs(60);

/// How long a socket may stay open without registering: a provider says
/// which bot it serves in a `sys` frame as soon as its socket opens (wechaty's
/// `Io` does), or a `login` frame. A socket that only answers pings past this
/// is closed, so unregistered sockets cannot sit on the connection slots.
pub const REGISTER_WITHIN: Duration = Duration::from_secs(10);

/// Sockets open at once that have not registered yet; one more closes the
/// one that has waited longest (a provider registers within milliseconds of
/// opening, so only a socket that never will is closed). Unregistered sockets
/// so never hold more than this of [`MAX_CONNECTIONS`], and never lock a
/// provider out.
pub const MAX_UNREGISTERED: usize = 32;

/// The frame names that register a socket.
pub const REGISTERING_FRAMES: &[&str] = &["sys", "login"];

/// The WebSocket settings of a provider's socket.
pub fn websocket() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_FRAME))
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_MESSAGE)
}
