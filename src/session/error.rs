//! Why an rpc failed, blaming the right side: a status the service sent, our own deadline (and, when HTTP/2 says,
//! why the call never left), an answer that is not well-formed gRPC, or the connection under the call — naming the
//! layer that failed.

use std::time::Duration;

use tonic::{Code, Status};

use crate::target::grpc::CutShort;
use crate::target::http2::{Http2Watch, Seen, Stuck};
use crate::target::layer::Layer;
use crate::wire::{Rpc, describe_status};

/// Why an rpc failed, blaming the right side: a status the service really
/// sent, our own deadline passing, an answer that is not well-formed gRPC,
/// or the connection under the call failing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// The service answered with this status (code and details as sent).
    #[error("{rpc} failed with {shown}")]
    Status { rpc: Rpc, code: Code, shown: String },
    /// Our deadline (`--rpc-timeout`) passed: the service answered nothing.
    /// `stuck`: what HTTP/2 shows of why (the call never left, a GOAWAY);
    /// `None`, the request went out and nothing came back.
    #[error(
        "`{rpc}` did not answer within {} (`--rpc-timeout`){}",
        crate::clock::human(*after),
        stuck.as_ref().map_or_else(String::new, |stuck| format!(": {stuck}"))
    )]
    Timeout { rpc: Rpc, after: Duration, stuck: Option<Stuck> },
    /// The caller's own deadline ([`super::within`]) passed before `--rpc-timeout` did, and before an answer: the
    /// service was not given the time to answer, so nothing is said of it.
    /// `after` is zero when the deadline had passed before the call: it was not sent.
    #[error("{}", cut_text(*rpc, *after))]
    Cut { rpc: Rpc, after: Duration },
    /// The service answered, but not in well-formed gRPC (a message cut
    /// short, no message, no status); the connection is fine.
    #[error("{rpc}'s answer is not well-formed gRPC: {why}")]
    Malformed { rpc: Rpc, why: String },
    /// The connection failed under the call (`layer` names which: TCP, TLS,
    /// HTTP/2, or an answer that is not gRPC); no status came from the
    /// service.
    #[error("{rpc} could not reach the service: {cause}")]
    Transport { rpc: Rpc, layer: Layer, cause: String },
}

impl RpcError {
    /// The status code the service sent, if it sent one.
    pub fn code(&self) -> Option<Code> {
        match self {
            RpcError::Status { code, .. } => Some(*code),
            RpcError::Timeout { .. }
            | RpcError::Cut { .. }
            | RpcError::Transport { .. }
            | RpcError::Malformed { .. } => None,
        }
    }

    /// The failure as shown, without the rpc name.
    pub fn shown(&self) -> String {
        match self {
            RpcError::Status { shown, .. } => shown.clone(),
            RpcError::Timeout { after, stuck, .. } => format!(
                "no answer within {} (--rpc-timeout){}",
                crate::clock::human(*after),
                stuck.as_ref().map_or_else(String::new, |stuck| format!(": {stuck}"))
            ),
            RpcError::Cut { after, .. } if after.is_zero() => "not sent: the caller's deadline had passed".to_owned(),
            RpcError::Cut { after, .. } => {
                format!("no answer yet after {}, when the caller's deadline passed", crate::clock::human(*after))
            }
            RpcError::Malformed { why, .. } => format!("not well-formed gRPC: {why}"),
            RpcError::Transport { cause, .. } => cause.clone(),
        }
    }

    /// The rpc's name.
    pub fn rpc(&self) -> Rpc {
        match self {
            RpcError::Status { rpc, .. }
            | RpcError::Timeout { rpc, .. }
            | RpcError::Cut { rpc, .. }
            | RpcError::Transport { rpc, .. }
            | RpcError::Malformed { rpc, .. } => *rpc,
        }
    }

    /// The connection itself is gone (not the provider refusing a call).
    pub fn is_transport(&self) -> bool {
        matches!(self, RpcError::Transport { .. } | RpcError::Status { code: Code::Unavailable, .. })
    }

    /// From what tonic gave back after `took` under the deadline `after`;
    /// `before`: what the HTTP/2 watch had seen when the call began.
    pub(super) fn classify(
        rpc: Rpc,
        status: &Status,
        took: Duration,
        after: Duration,
        watch: &Http2Watch,
        before: &Seen,
    ) -> RpcError {
        // tonic reports its own deadline as CANCELLED "Timeout expired"; a
        // DEADLINE_EXCEEDED that comes as ours runs out is ours too.
        let ours = (status.code() == Code::Cancelled && status.message().contains("Timeout expired"))
            || (status.code() == Code::DeadlineExceeded && took + Duration::from_millis(50) >= after);
        if ours {
            return RpcError::Timeout { rpc, after, stuck: watch.stuck(before) };
        }
        match failure(status, watch, before) {
            Some(Failure::Connection(layer, cause)) => RpcError::Transport { rpc, layer, cause },
            Some(Failure::Malformed(why)) => RpcError::Malformed { rpc, why },
            None => RpcError::Status { rpc, code: status.code(), shown: describe(status) },
        }
    }
}

/// A failure that is not a status the service sent.
pub(super) enum Failure {
    /// The connection under the call, by layer.
    Connection(Layer, String),
    /// The answer came, but not as well-formed gRPC.
    Malformed(String),
}

/// For a failure the service did not send as its status — the connection
/// under the call (tonic attaches the cause as the status's source, or says
/// "h2 protocol error"), or an answer tonic could not read as gRPC — what
/// failed; `None` for a status the service sent. A GOAWAY the server sent
/// since `before` is named first: it is why the connection ended.
pub(super) fn failure(status: &Status, watch: &Http2Watch, before: &Seen) -> Option<Failure> {
    let found = match std::error::Error::source(status) {
        Some(source) if let Some(cut) = cut_short(source) => Some(Failure::Malformed(cut.to_string())),
        Some(source) => {
            let (layer, cause) = crate::target::layer::layer_cause(source);
            Some(Failure::Connection(layer, cause))
        }
        None => unsent(status),
    };
    let seen = watch.seen();
    // A GOAWAY since the call began, or on the connection it was made on.
    let ended =
        |goaway: &crate::target::http2::GoAway| seen.goaways > before.goaways || goaway.connection == seen.connections;
    // HTTP/2 ended the call after a large header block came: h2 names it
    // PROTOCOL_ERROR, COMPRESSION_ERROR or too_many_continuations, the frames
    // say why.
    let found = match found {
        Some(Failure::Connection(Layer::Http2, cause)) if seen.large_header_blocks > before.large_header_blocks => {
            let kib = seen.largest_header_block / 1024;
            Some(Failure::Connection(
                Layer::Http2,
                format!(
                    "HTTP/2: the service sent {kib} KiB of response headers in one block, more than puppet-lint \
                     accepts (a gRPC answer's headers are a few hundred bytes) ({cause})"
                ),
            ))
        }
        found => found,
    };
    match (found, seen.goaway.clone()) {
        (Some(Failure::Connection(_, cause)), Some(goaway)) if ended(&goaway) => {
            let then = if cause.contains("sent GOAWAY") { String::new() } else { format!(" (then: {cause})") };
            Some(Failure::Connection(Layer::Http2, format!("HTTP/2: {goaway}{then}")))
        }
        (found, _) => found,
    }
}

/// A message cut short, down an error's source chain.
fn cut_short<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a CutShort> {
    let mut source = Some(error);
    while let Some(current) = source {
        if let Some(cut) = current.downcast_ref::<CutShort>() {
            return Some(cut);
        }
        source = current.source();
    }
    None
}

/// tonic's own words for what the service did not send: an HTTP/2 failure
/// it mapped to a code (its source dropped), an answer that ended inside a
/// message, with no message, or with no status.
fn unsent(status: &Status) -> Option<Failure> {
    let message = status.message();
    if let Some(said) = message.strip_prefix("h2 protocol error: ") {
        let said = crate::redact::redact(said);
        return Some(Failure::Connection(Layer::Http2, format!("HTTP/2: {said}")));
    }
    if status.code() != Code::Internal && status.code() != Code::Unknown {
        return None;
    }
    match message {
        "Unexpected EOF decoding stream." => Some(Failure::Malformed(
            "the answer ended inside a message: its length prefix promised more bytes than came (a message cut short)"
                .into(),
        )),
        "Missing response message." => Some(Failure::Malformed(
            "the answer ended without its message (the service sent its status with no message, or one cut short)"
                .into(),
        )),
        _ if message.starts_with("protocol error: missing grpc-status trailer") => Some(Failure::Malformed(
            "the answer ended without a gRPC status (no grpc-status trailer): the service, or a proxy, cut it short"
                .into(),
        )),
        _ if message.starts_with("protocol error: received message with invalid compression flag") => {
            Some(Failure::Malformed(
                "a message's first byte (its compression flag) is neither 0 nor 1: the bytes are not gRPC messages"
                    .into(),
            ))
        }
        _ => None,
    }
}

pub(super) fn describe(status: &Status) -> String {
    // A transport failure hides its reason in the source chain.
    match std::error::Error::source(status) {
        Some(source) if status.code() == Code::Unavailable || status.code() == Code::Unknown => {
            format!("{} ({})", describe_status(status), crate::target::connect::error_chain(source))
        }
        _ => describe_status(status),
    }
}

/// [`RpcError::Cut`] as told: a call cut while it waited, or one never sent (`after` zero).
fn cut_text(rpc: Rpc, after: Duration) -> String {
    if after.is_zero() {
        format!("`{rpc}` was not sent: its caller's deadline had passed")
    } else {
        format!("`{rpc}` had not answered after {}, when its caller's deadline passed", crate::clock::human(after))
    }
}
