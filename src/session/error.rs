//! Why an rpc failed, blaming the right side: a status the service sent, our own deadline, or the connection
//! under the call.

use std::time::Duration;

use tonic::{Code, Status};

use crate::wire::{Rpc, describe_status};

/// Why an rpc failed, blaming the right side: a status the service really
/// sent, our own deadline passing, or the connection under the call failing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// The service answered with this status (code and details as sent).
    #[error("{rpc} failed with {shown}")]
    Status { rpc: Rpc, code: Code, shown: String },
    /// Our deadline (`--rpc-timeout`) passed: the service answered nothing.
    #[error("`{rpc}` did not answer within {} (`--rpc-timeout`)", crate::clock::human(*after))]
    Timeout { rpc: Rpc, after: Duration },
    /// The connection failed under the call (`cause` names the layer: TCP,
    /// TLS, HTTP/2); no status came from the service.
    #[error("{rpc} could not reach the service: {cause}")]
    Transport { rpc: Rpc, cause: String },
}

impl RpcError {
    /// The status code the service sent, if it sent one.
    pub fn code(&self) -> Option<Code> {
        match self {
            RpcError::Status { code, .. } => Some(*code),
            RpcError::Timeout { .. } | RpcError::Transport { .. } => None,
        }
    }

    /// The failure as shown, without the rpc name.
    pub fn shown(&self) -> String {
        match self {
            RpcError::Status { shown, .. } => shown.clone(),
            RpcError::Timeout { after, .. } => {
                format!("no answer within {} (--rpc-timeout)", crate::clock::human(*after))
            }
            RpcError::Transport { cause, .. } => cause.clone(),
        }
    }

    /// The rpc's name.
    pub fn rpc(&self) -> Rpc {
        match self {
            RpcError::Status { rpc, .. } | RpcError::Timeout { rpc, .. } | RpcError::Transport { rpc, .. } => *rpc,
        }
    }

    /// The connection itself is gone (not the provider refusing a call).
    pub fn is_transport(&self) -> bool {
        matches!(self, RpcError::Transport { .. } | RpcError::Status { code: Code::Unavailable, .. })
    }

    /// From what tonic gave back after `took` under the deadline `after`.
    pub(super) fn classify(rpc: Rpc, status: &Status, took: Duration, after: Duration) -> RpcError {
        // tonic reports its own deadline as CANCELLED "Timeout expired"; a
        // DEADLINE_EXCEEDED that comes as ours runs out is ours too.
        let ours = (status.code() == Code::Cancelled && status.message().contains("Timeout expired"))
            || (status.code() == Code::DeadlineExceeded && took + Duration::from_millis(50) >= after);
        if ours {
            return RpcError::Timeout { rpc, after };
        }
        match connection_cause(status) {
            Some(cause) => RpcError::Transport { rpc, cause },
            None => RpcError::Status { rpc, code: status.code(), shown: describe(status) },
        }
    }
}

/// For a failure of the connection under a call (tonic attaches the cause
/// as the status's source), the layer that failed; `None` for a status the
/// service sent.
pub(super) fn connection_cause(status: &Status) -> Option<String> {
    std::error::Error::source(status).map(crate::target::connect::layer_cause)
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
