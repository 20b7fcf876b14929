//! The layer a connection failure under a call happened in — TCP, TLS, HTTP/2, or an answer that is not gRPC — and
//! the failure in words a provider understands.

use std::io;

use crate::redact::error_chain;

/// The layer a connection failure happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// TCP: refused, reset, closed, timed out.
    Tcp,
    /// TLS, after the handshake.
    Tls,
    /// HTTP/2: a GOAWAY, a stream reset, a protocol error.
    Http2,
    /// An answer that is not gRPC (a proxy's error page, a web server).
    NotGrpc,
    /// Nothing down the chain says which.
    Unknown,
}

impl Layer {
    /// What a person can do about a call that failed in this layer.
    pub fn hint(self) -> &'static str {
        match self {
            Layer::Tcp => "the connection broke: check that the service is up (its process, its logs)",
            Layer::Tls => "TLS failed under a call: check the service's TLS setup and its logs",
            Layer::Http2 => {
                "the service, or a proxy in front of it, ended the call in HTTP/2: check its logs and its HTTP/2 \
                 settings (limits on streams, headers, windows)"
            }
            Layer::NotGrpc => {
                "something else than the Puppet Service answered: check that the service behind the proxy is up, \
                 and that the address is its gRPC port"
            }
            Layer::Unknown => {
                "the connection broke: check that the service is up and that TLS is on (or off) on both sides"
            }
        }
    }
}

/// A failed connection in words a provider understands, naming the layer
/// that failed: TCP (refused, reset, closed), TLS, HTTP/2 (a GOAWAY with its
/// code, a stream reset), or an answer that is not gRPC — from the source
/// chain of a transport error (WIRE.md: tonic's text is "transport error";
/// the reason is further down).
pub fn layer_cause(error: &(dyn std::error::Error + 'static)) -> (Layer, String) {
    let chain = error_chain(error);
    let mut source = Some(error);
    while let Some(current) = source {
        if let Some(not_grpc) = current.downcast_ref::<super::grpc::NotGrpc>() {
            return (Layer::NotGrpc, crate::redact::redact(&not_grpc.to_string()).into_owned());
        }
        if let Some(h2) = current.downcast_ref::<h2::Error>()
            && let Some(reason) = h2.reason()
        {
            let code = super::http2::error_code(u32::from(reason));
            // h2 names why it ended the connection itself in the GOAWAY's
            // debug data, which only its text carries.
            let text = h2.to_string();
            let said = match (h2.is_go_away(), h2.is_remote()) {
                (true, true) => format!("HTTP/2: the service sent GOAWAY ({code})"),
                (false, true) => format!("HTTP/2: the service reset the stream (RST_STREAM {code})"),
                _ if text.contains("too_many_continuations") || text.contains("header_list_way_too_large") => {
                    "HTTP/2: the service's response headers are larger than puppet-lint accepts (a gRPC answer's \
                     headers are a few hundred bytes), so puppet-lint ended the connection"
                        .to_owned()
                }
                _ if text.contains("too_many_resets") || text.contains("too_many_internal_resets") => {
                    format!(
                        "HTTP/2: the service reset streams faster than puppet-lint allows, so puppet-lint ended the connection ({code})"
                    )
                }
                _ if text.contains("too_many_data_frames") => {
                    // h2 says so both for empty frames past its limit and for small frames buffered unread past its
                    // budget (puppet-lint reading slower than the service sends): it cannot tell which.
                    "HTTP/2: more small or empty DATA frames waited unread than puppet-lint buffers (h2's frame budget), \
                     so puppet-lint ended the connection: a flood of tiny frames, or puppet-lint reading the events \
                     slower than the service sent them"
                        .to_owned()
                }
                (true, false) => {
                    format!("HTTP/2: puppet-lint ended the connection ({code}): the service broke the protocol")
                }
                (false, false) => {
                    format!("HTTP/2: puppet-lint reset the stream ({code}): the service broke the protocol")
                }
            };
            return (Layer::Http2, said);
        }
        if let Some(io) = current.downcast_ref::<io::Error>() {
            let said = match io.kind() {
                io::ErrorKind::ConnectionRefused => Some("TCP: connection refused (the provider stopped serving)"),
                io::ErrorKind::ConnectionReset => {
                    Some("TCP: connection reset (the provider's process died or dropped the connection)")
                }
                io::ErrorKind::BrokenPipe => Some("TCP: broken pipe (the provider closed the connection)"),
                io::ErrorKind::UnexpectedEof => Some("TCP: the provider closed the connection"),
                io::ErrorKind::TimedOut => Some("TCP: the connection timed out"),
                _ => None,
            };
            if let Some(said) = said {
                return (Layer::Tcp, said.to_owned());
            }
        }
        if current.downcast_ref::<rustls::Error>().is_some() {
            return (Layer::Tls, format!("TLS: {chain}"));
        }
        source = current.source();
    }
    let lower = chain.to_ascii_lowercase();
    if lower.contains("connection refused") {
        (Layer::Tcp, "TCP: connection refused (the provider stopped serving)".to_owned())
    } else if lower.contains("connection reset") || lower.contains("broken pipe") {
        (Layer::Tcp, format!("TCP: the connection broke ({chain})"))
    } else if lower.contains("h2") || lower.contains("http2") || lower.contains("frame") || lower.contains("goaway") {
        (Layer::Http2, format!("HTTP/2: {chain}"))
    } else if lower.contains("tls") || lower.contains("certificate") {
        (Layer::Tls, format!("TLS: {chain}"))
    } else {
        (Layer::Unknown, format!("the connection failed: {chain}"))
    }
}
