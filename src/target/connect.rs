//! One HTTP/2 channel to the service: TCP, then (by default) TLS with
//! puppet-lint's verifier and ALPN `h2`, under a connect deadline.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use tokio::net::TcpStream;
use tonic::transport::Endpoint as ChannelEndpoint;

use super::grpc::Transport;
use super::http2::Http2Watch;
use super::listened::{Heard, Io, Listened, Progress};
use super::tls::{self, Mismatch, Refusal};
use crate::config::Endpoint;

/// TLS settings ready to use.
#[derive(Clone)]
pub struct TlsClient {
    pub config: Arc<ClientConfig>,
    pub server_name: String,
    /// Whether a server asked for a client certificate (puppet-lint has none).
    pub certificate_asked: Arc<tls::CertificateAsked>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("TLS with {endpoint} failed: {refusal}")]
    Refused { endpoint: String, refusal: Refusal },
    /// The service speaks TLS, and the two sides could not agree.
    #[error("TLS with {endpoint} failed: {mismatch}")]
    Mismatch { endpoint: String, mismatch: Mismatch },
    #[error("TLS with {endpoint} failed: {reason}")]
    Tls { endpoint: String, reason: String },
    #[error("no connection to {endpoint} within {}", crate::clock::human(*after))]
    Timeout { endpoint: String, after: Duration },
    /// TLS failed, and a probe found plaintext HTTP/2 there.
    #[error("TLS with {endpoint} failed: the service speaks plaintext HTTP/2, without TLS ({reason})")]
    ServiceWithoutTls { endpoint: String, reason: String },
    /// TCP connected, and then nothing: the TLS handshake or HTTP/2 got no
    /// answer at all within the deadline (`layer`: "TLS" or "HTTP/2").
    #[error(
        "TCP connected to {endpoint}, but nothing answered {} within {}",
        if *layer == "TLS" { "the TLS handshake" } else { "in HTTP/2 (no SETTINGS frame from the server)" },
        crate::clock::human(*after)
    )]
    Silent { endpoint: String, layer: &'static str, after: Duration },
    /// TCP connected, and the peer hung up before answering in `layer`
    /// ("TLS": during the handshake; "HTTP/2": before its first frame).
    #[error(
        "TCP connected to {endpoint}, but the service closed the connection {}{}",
        if *layer == "TLS" { "during the TLS handshake" } else { "before any HTTP/2 frame" },
        if reason.is_empty() { String::new() } else { format!(" ({reason})") }
    )]
    ClosedEarly { endpoint: String, layer: &'static str, reason: String },
    /// TCP connected, and the server answered in something else than HTTP/2.
    #[error("TCP connected to {endpoint}, but it answers {what}")]
    NotHttp2 { endpoint: String, what: String },
    /// Plaintext failed, and a probe found TLS there.
    #[error("{endpoint} speaks TLS, and puppet-lint connected without it ({reason})")]
    ServiceWithTls { endpoint: String, reason: String },
}

impl ConnectError {
    pub fn hint(&self) -> &'static str {
        match self {
            ConnectError::Unreachable { .. } | ConnectError::Timeout { .. } => {
                "check that the service is running and listening on that address (a firewall may drop the packets)"
            }
            ConnectError::Refused { refusal, .. } => refusal.hint(),
            ConnectError::Mismatch { mismatch, .. } => mismatch.hint(),
            ConnectError::NotHttp2 { .. } => {
                "check the port: the Puppet Service's gRPC port speaks HTTP/2 (is this its web or discovery port?)"
            }
            ConnectError::ClosedEarly { .. } => {
                "something listens on that port but hangs up: is the Puppet Service there? (a service with TLS \
                 hangs up on a client without it, and the reverse: check --no-tls)"
            }
            ConnectError::Silent { .. } => {
                "something accepts connections on that port but does not answer as a gRPC service: check the port \
                 (is the Puppet Service listening there, or another program, or a proxy holding connections open?)"
            }
            ConnectError::Tls { .. } => {
                "if the service speaks plaintext, connect with --no-tls (or WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true)"
            }
            ConnectError::ServiceWithoutTls { .. } => {
                "connect without TLS: --no-tls (or WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true) — or serve with \
                 TLS (the official server does unless WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true)"
            }
            ConnectError::ServiceWithTls { .. } => {
                "connect with TLS: drop --no-tls and unset WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT (TLS is on by \
                 default); name the CA with --tls-ca-cert (WECHATY_PUPPET_SERVICE_TLS_CA_CERT) unless it is the Wechaty root"
            }
        }
    }
}

/// TCP alone, for `doctor`'s step-by-step diagnosis.
pub async fn tcp(endpoint: &Endpoint, timeout: Duration) -> Result<TcpStream, ConnectError> {
    match tokio::time::timeout(timeout, TcpStream::connect((endpoint.host.as_str(), endpoint.port))).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
        Ok(Err(error)) => Err(ConnectError::Unreachable { endpoint: endpoint.to_string(), reason: error.to_string() }),
        Err(_) => Err(ConnectError::Timeout { endpoint: endpoint.to_string(), after: timeout }),
    }
}

/// TLS on an open connection, for `doctor`; the error says which refusal.
pub async fn tls_handshake(
    endpoint: &Endpoint,
    stream: TcpStream,
    tls: &TlsClient,
    timeout: Duration,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ConnectError> {
    match tokio::time::timeout(timeout, tls::handshake(stream, tls.config.clone(), &tls.server_name)).await {
        Ok(Ok(stream)) => Ok(stream),
        // TCP is up: a connection-level failure is the peer hanging up.
        Ok(Err(error)) => Err(match classify(endpoint, &error) {
            ConnectError::Unreachable { endpoint, reason } => {
                ConnectError::ClosedEarly { endpoint, layer: "TLS", reason }
            }
            ConnectError::Tls { endpoint, reason } if hung_up(&error) => {
                ConnectError::ClosedEarly { endpoint, layer: "TLS", reason }
            }
            other => other,
        }),
        // The connection is open: the peer is there and says nothing.
        Err(_) => Err(ConnectError::Silent { endpoint: endpoint.to_string(), layer: "TLS", after: timeout }),
    }
}

/// The channel every rpc of a session uses. Ready only once the server has
/// said something in HTTP/2 (its SETTINGS frame comes first): a port that
/// accepts TCP and stays silent is [`ConnectError::Silent`], naming the
/// layer that got no answer, within `timeout`.
pub async fn channel(
    endpoint: &Endpoint,
    tls: Option<TlsClient>,
    timeout: Duration,
) -> Result<Transport, ConnectError> {
    let host = endpoint.host.clone();
    let port = endpoint.port;
    let tls_on = tls.is_some();
    let certificate_asked = tls.as_ref().map(|tls| tls.certificate_asked.clone());
    let progress = Arc::new(Progress::default());
    let watch = Arc::new(Http2Watch::default());
    let watched = progress.clone();
    let frames = watch.clone();
    let connector = tower::service_fn(move |_uri: http::Uri| {
        let host = host.clone();
        let tls = tls.clone();
        let progress = watched.clone();
        let watch = frames.clone();
        async move {
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            let _ = tcp.set_nodelay(true);
            progress.tcp.store(true, Ordering::SeqCst);
            let stream: Box<dyn Io> = match tls {
                Some(tls) => {
                    let stream = tls::handshake(tcp, tls.config, &tls.server_name).await?;
                    if stream.get_ref().1.alpn_protocol().is_none() {
                        progress.no_alpn.store(true, Ordering::SeqCst);
                    }
                    Box::new(stream)
                }
                None => Box::new(tcp),
            };
            Ok::<_, io::Error>(TokioIo::new(Listened::new(stream, progress, watch)))
        }
    });
    // tonic wants an http:// URI when the connector does TLS itself.
    let uri = format!("http://{endpoint}");
    let builder = ChannelEndpoint::from_shared(uri)
        .map_err(|error| ConnectError::Unreachable { endpoint: endpoint.to_string(), reason: error.to_string() })?
        .connect_timeout(timeout)
        // A peer that vanishes without closing the connection is noticed.
        .http2_keep_alive_interval(Duration::from_secs(20))
        .keep_alive_timeout(Duration::from_secs(10))
        .keep_alive_while_idle(true)
        // What a flooding peer may have in flight, unread, is bounded by the
        // HTTP/2 windows: keep them modest (256 KiB a stream, 512 KiB in all:
        // a download filling its stream's window leaves the event stream
        // room) so memory stays flat — within the fleet's budget of 1 MiB a
        // target even while puppet-lint is too busy to read (1 MiB and 2 MiB
        // before: a hundred lagging targets could hold 200 MiB); large
        // messages still arrive, in more steps.
        .initial_stream_window_size(256 << 10)
        .initial_connection_window_size(512 << 10);
    let started = tokio::time::Instant::now();
    let silent = |layer| ConnectError::Silent { endpoint: endpoint.to_string(), layer, after: timeout };
    let channel =
        match tokio::time::timeout(timeout + Duration::from_millis(100), builder.connect_with_connector(connector))
            .await
        {
            Ok(Ok(channel)) => channel,
            Ok(Err(error)) => return Err(classify(endpoint, &error)),
            Err(_) if progress.tcp.load(Ordering::SeqCst) => return Err(silent(if tls_on { "TLS" } else { "HTTP/2" })),
            Err(_) => return Err(ConnectError::Timeout { endpoint: endpoint.to_string(), after: timeout }),
        };
    // hyper reads the server's SETTINGS as soon as the connection is up.
    let left = (timeout + Duration::from_millis(100)).saturating_sub(started.elapsed());
    // Over TLS without ALPN `h2`, silence or another protocol is the
    // service offering no HTTP/2, whatever else it does.
    let no_alpn = |then: String| {
        let mismatch = Mismatch::NoAlpn { then };
        ConnectError::Mismatch { endpoint: endpoint.to_string(), mismatch }
    };
    let alpn_missing = tls_on && progress.no_alpn.load(Ordering::SeqCst);
    match tokio::time::timeout(left, progress.wait_heard()).await {
        Err(_) if alpn_missing => {
            Err(no_alpn(format!("then said nothing in HTTP/2 within {}", crate::clock::human(timeout))))
        }
        Err(_) => Err(silent("HTTP/2")),
        Ok(Heard::Bytes(first)) => match not_http2(&first, tls_on, endpoint.to_string()) {
            None => Ok(Transport::new(channel, watch)),
            Some(ConnectError::NotHttp2 { what, .. }) if alpn_missing => Err(no_alpn(format!("then answered {what}"))),
            Some(error) => Err(error),
        },
        Ok(Heard::Mismatch(mismatch)) => Err(ConnectError::Mismatch { endpoint: endpoint.to_string(), mismatch }),
        Ok(Heard::Closed(_)) if certificate_asked.is_some_and(|asked| asked.asked()) => {
            Err(ConnectError::Mismatch { endpoint: endpoint.to_string(), mismatch: Mismatch::ClientCertificate })
        }
        Ok(Heard::Closed(reason)) => {
            Err(ConnectError::ClosedEarly { endpoint: endpoint.to_string(), layer: "HTTP/2", reason })
        }
    }
}

/// What the server's first bytes say when they are no HTTP/2: an HTTP/2
/// server's first frame is SETTINGS (RFC 9113 §3.4), a frame header of type 4
/// on stream 0. `tls_on`: the bytes came through TLS.
fn not_http2(first: &[u8], tls_on: bool, endpoint: String) -> Option<ConnectError> {
    if first.starts_with(b"HTTP/") {
        let version = String::from_utf8_lossy(&first[..first.len().min(8)]).into_owned();
        let what = format!("in {version}, not HTTP/2: a web server or a proxy, not a gRPC service");
        return Some(ConnectError::NotHttp2 { endpoint, what });
    }
    if !tls_on && matches!(first, [0x15 | 0x16, 0x03, ..]) {
        let reason = "it answered the HTTP/2 preface with a TLS record".to_owned();
        return Some(ConnectError::ServiceWithTls { endpoint, reason });
    }
    if first.len() >= 4 && first[3] != 0x04 {
        let what = "with bytes that are not HTTP/2 (no SETTINGS frame first): not a gRPC service".to_owned();
        return Some(ConnectError::NotHttp2 { endpoint, what });
    }
    None
}

/// A channel whose every request carries `authority` as its HTTP/2
/// `:authority` (the official client's plaintext way of sending the token),
/// connected to `endpoint` without TLS.
pub async fn channel_with_authority(
    endpoint: &Endpoint,
    authority: &str,
    timeout: Duration,
) -> Result<Transport, ConnectError> {
    let host = endpoint.host.clone();
    let port = endpoint.port;
    let watch = Arc::new(Http2Watch::default());
    let frames = watch.clone();
    let connector = tower::service_fn(move |_uri: http::Uri| {
        let host = host.clone();
        let watch = frames.clone();
        async move {
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            let _ = tcp.set_nodelay(true);
            let progress = Arc::new(Progress::default());
            Ok::<_, io::Error>(TokioIo::new(Listened::new(Box::new(tcp), progress, watch)))
        }
    });
    let unusable = |reason: String| ConnectError::Unreachable { endpoint: endpoint.to_string(), reason };
    let builder = ChannelEndpoint::from_shared(format!("http://{authority}"))
        .map_err(|_| unusable("the token is not usable as an HTTP/2 :authority".into()))?
        .connect_timeout(timeout);
    match tokio::time::timeout(timeout + Duration::from_millis(100), builder.connect_with_connector(connector)).await {
        Ok(Ok(channel)) => Ok(Transport::new(channel, watch)),
        Ok(Err(error)) => Err(classify(endpoint, &error)),
        Err(_) => Err(ConnectError::Timeout { endpoint: endpoint.to_string(), after: timeout }),
    }
}

/// One cheap probe: does `endpoint` speak plaintext HTTP/2? The client
/// preface and an empty SETTINGS frame; an HTTP/2 server answers with its
/// own SETTINGS frame (a TLS server with an alert, or nothing).
pub async fn speaks_plaintext_h2(endpoint: &Endpoint, timeout: Duration) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let probe = async {
        let mut tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
        tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00").await?;
        let mut header = [0u8; 9];
        tcp.read_exact(&mut header).await?;
        // A frame header: 24-bit length, type 4 (SETTINGS), stream 0.
        Ok::<_, io::Error>(header[3] == 0x04 && header[5..9] == [0, 0, 0, 0])
    };
    matches!(tokio::time::timeout(timeout, probe).await, Ok(Ok(true)))
}

/// One cheap probe: does `endpoint` speak TLS? A ClientHello; a TLS server
/// answers with a handshake or alert record (an HTTP/2 server with a
/// GOAWAY frame, or nothing).
pub async fn speaks_tls(endpoint: &Endpoint, timeout: Duration) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(config) = super::tls::Trust::wechaty_root().client_config() else {
        return false;
    };
    let Ok(mut client) = rustls::ClientConnection::new(config, "insecure".try_into().expect("a valid name")) else {
        return false;
    };
    let mut hello = Vec::new();
    if client.write_tls(&mut hello).is_err() {
        return false;
    }
    let probe = async {
        let mut tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await?;
        tcp.write_all(&hello).await?;
        let mut record = [0u8; 3];
        tcp.read_exact(&mut record).await?;
        // A TLS record: content type handshake (22) or alert (21), version 3.x.
        Ok::<_, io::Error>(matches!(record[0], 0x15 | 0x16) && record[1] == 0x03)
    };
    matches!(tokio::time::timeout(timeout, probe).await, Ok(Ok(true)))
}

/// Whether `error` is the peer ending the connection (EOF, a reset) rather
/// than saying something wrong.
fn hung_up(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<io::Error>()
            && matches!(
                io.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            )
        {
            return true;
        }
        if current.to_string().contains("handshake eof") {
            return true;
        }
        source = current.source();
    }
    false
}

/// tonic says "transport error"; the reason is further down the chain.
fn classify(endpoint: &Endpoint, error: &(dyn std::error::Error + 'static)) -> ConnectError {
    let endpoint_text = endpoint.to_string();
    if let Some(refusal) = Refusal::find(error) {
        return ConnectError::Refused { endpoint: endpoint_text, refusal };
    }
    if let Some(mismatch) = Mismatch::find(error) {
        return ConnectError::Mismatch { endpoint: endpoint_text, mismatch };
    }
    let reason = error_chain(error);
    let mut source = Some(error);
    while let Some(current) = source {
        if current.downcast_ref::<rustls::Error>().is_some() {
            return ConnectError::Tls { endpoint: endpoint_text, reason };
        }
        if let Some(io) = current.downcast_ref::<io::Error>()
            && io.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
        {
            return ConnectError::Tls { endpoint: endpoint_text, reason };
        }
        source = current.source();
    }
    if reason.contains("InvalidContentType")
        || reason.contains("corrupt message")
        || reason.contains("tls handshake eof")
    {
        return ConnectError::Tls { endpoint: endpoint_text, reason };
    }
    ConnectError::Unreachable { endpoint: endpoint_text, reason }
}

/// Every distinct message down an error's source chain, redacted.
pub use crate::redact::error_chain;
