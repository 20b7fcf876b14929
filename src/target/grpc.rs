//! The channel every session calls through: tonic's HTTP/2 channel, with the
//! [`Http2Watch`] over its connections, refusing an answer that is not gRPC.
//!
//! gRPC over HTTP/2 answers with HTTP status 200 and a content type
//! `application/grpc…` (gRPC's PROTOCOL-HTTP2.md, "Responses"). tonic does
//! not look: a proxy's `502 Bad Gateway` HTML page is read as a gRPC message
//! whose compression flag is `<` ("invalid compression flag: 60"). Here such
//! an answer fails the call with [`NotGrpc`], which says who answered.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderMap, Response, StatusCode};
use tonic::body::Body;
use tonic::transport::Channel;

use super::http2::Http2Watch;

/// How much of a non-gRPC answer's body is kept to show (bytes).
const HEAD: usize = 200;
/// How long reading that much may take.
const HEAD_WAIT: Duration = Duration::from_millis(500);

/// An answer that is not gRPC: its HTTP status, content type and the
/// beginning of its body (peer text, shown escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotGrpc {
    pub status: u16,
    pub content_type: Option<String>,
    /// The body's first bytes (at most 200, lossy UTF-8, whitespace folded).
    pub head: String,
}

impl std::fmt::Display for NotGrpc {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = StatusCode::from_u16(self.status).ok();
        let reason = status.and_then(|status| status.canonical_reason()).unwrap_or("");
        write!(out, "the answer is not gRPC: HTTP {} {reason}", self.status)?;
        match &self.content_type {
            Some(content_type) => write!(out, ", content type `{content_type}`")?,
            None => write!(out, ", no content type")?,
        }
        if !self.head.is_empty() {
            write!(out, ", beginning \"{}\"", self.head)?;
        }
        write!(out, " — {}", self.blame())
    }
}

impl std::error::Error for NotGrpc {}

impl NotGrpc {
    /// Who answered, from the status.
    pub fn blame(&self) -> &'static str {
        match self.status {
            502..=504 => "a proxy answered: the service behind it is down or unreachable",
            429 => "a proxy or rate limiter in front of the service refused the call",
            401 | 403 | 407 => "a proxy or gateway in front of the service refused the call",
            200 => {
                "something other than a gRPC service answered (a web server, or a proxy without HTTP/2 to its backend)"
            }
            _ => "something other than the Puppet Service answered (a proxy, a web server)",
        }
    }
}

/// Whether an answer's head says gRPC: status 200 and a gRPC content type,
/// or a `grpc-status` (a trailers-only answer from a lenient server).
fn is_grpc(status: StatusCode, headers: &HeaderMap) -> bool {
    if headers.contains_key("grpc-status") {
        return true;
    }
    let grpc_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("application/grpc"))
        // `application/grpc`, `application/grpc+proto`, `application/grpc; …` — not `application/grpc-web…`.
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['+', ';']));
    status == StatusCode::OK && grpc_type
}

/// The channel a session calls through: tonic's [`Channel`] and the watch
/// over its connections.
#[derive(Clone, Debug)]
pub struct Transport {
    channel: Channel,
    watch: Arc<Http2Watch>,
}

impl Transport {
    pub fn new(channel: Channel, watch: Arc<Http2Watch>) -> Transport {
        Transport { channel, watch }
    }

    /// What the HTTP/2 layer under this channel has said and done.
    pub fn watch(&self) -> &Arc<Http2Watch> {
        &self.watch
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower::Service<http::Request<Body>> for Transport {
    type Response = Response<Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        tower::Service::poll_ready(&mut self.channel, context).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let answer = tower::Service::call(&mut self.channel, request);
        Box::pin(async move {
            let response = answer.await?;
            if is_grpc(response.status(), response.headers()) {
                return Ok(response.map(|body| Body::new(Framed::new(body))));
            }
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).chars().take(100).collect());
            let head = head(response.into_body()).await;
            Err(Box::new(NotGrpc { status, content_type, head }) as BoxError)
        })
    }
}

/// An answer that ended inside a gRPC message: its length prefix promised
/// more bytes than came (gRPC's PROTOCOL-HTTP2.md, "Length-Prefixed-Message").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutShort {
    /// Bytes the prefix promised (`None`: the 5-byte prefix itself was cut).
    pub promised: Option<u32>,
    /// Bytes that came.
    pub came: u32,
}

impl std::fmt::Display for CutShort {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.promised {
            Some(promised) => write!(
                out,
                "the answer ended inside a message: its length prefix promised {promised} bytes, and {} came (a \
                 message cut short)",
                self.came
            ),
            None => write!(out, "the answer ended inside a message's 5-byte length prefix ({} bytes came)", self.came),
        }
    }
}

impl std::error::Error for CutShort {}

/// Where a body is in gRPC's framing: in a message's prefix (bytes of it
/// read), or in a message (bytes promised, bytes left).
#[derive(Debug, Clone, Copy)]
enum Framing {
    Prefix { have: usize, length: [u8; 4] },
    Message { promised: u32, left: u32 },
}

/// A gRPC answer's body, read as it passes: one that ends (or sends its
/// trailers) inside a message fails with [`CutShort`].
struct Framed {
    inner: Body,
    framing: Framing,
}

impl Framed {
    fn new(inner: Body) -> Framed {
        Framed { inner, framing: Framing::Prefix { have: 0, length: [0; 4] } }
    }

    fn read(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.framing {
                Framing::Prefix { have, length } => {
                    // The flag byte, then four length bytes.
                    if *have > 0 {
                        length[*have - 1] = bytes[0];
                    }
                    *have += 1;
                    bytes = &bytes[1..];
                    if *have == 5 {
                        let promised = u32::from_be_bytes(*length);
                        self.framing = if promised == 0 {
                            Framing::Prefix { have: 0, length: [0; 4] }
                        } else {
                            Framing::Message { promised, left: promised }
                        };
                    }
                }
                Framing::Message { left, .. } => {
                    let take = (*left as usize).min(bytes.len());
                    *left -= take as u32;
                    bytes = &bytes[take..];
                    if *left == 0 {
                        self.framing = Framing::Prefix { have: 0, length: [0; 4] };
                    }
                }
            }
        }
    }

    /// The answer ends here: inside a message, it was cut short.
    fn cut_short(&self) -> Option<CutShort> {
        match self.framing {
            Framing::Prefix { have: 0, .. } => None,
            Framing::Prefix { have, .. } => Some(CutShort { promised: None, came: have as u32 }),
            Framing::Message { promised, left } => Some(CutShort { promised: Some(promised), came: promised - left }),
        }
    }
}

impl http_body::Body for Framed {
    type Data = bytes::Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<bytes::Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(context);
        match polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let data = data.clone();
                    self.read(&data);
                } else if let Some(cut) = self.cut_short() {
                    return Poll::Ready(Some(Err(Box::new(cut))));
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => match self.cut_short() {
                Some(cut) => {
                    // Told once; then the body ends.
                    self.framing = Framing::Prefix { have: 0, length: [0; 4] };
                    Poll::Ready(Some(Err(Box::new(cut))))
                }
                None => Poll::Ready(None),
            },
            other => other.map(|frame| frame.map(|frame| frame.map_err(Into::into))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The first [`HEAD`] bytes of a body, read within [`HEAD_WAIT`], as one line.
async fn head(mut body: Body) -> String {
    use http_body_util::BodyExt;
    let mut bytes = Vec::new();
    let read = async {
        while bytes.len() < HEAD {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let room = HEAD - bytes.len();
                        bytes.extend_from_slice(&data[..data.len().min(room)]);
                    }
                }
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(HEAD_WAIT, read).await;
    String::from_utf8_lossy(&bytes).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (http::HeaderName::from_static(name), value.parse().unwrap())).collect()
    }

    #[test]
    fn grpc_is_status_200_with_a_grpc_content_type_or_a_grpc_status() {
        assert!(is_grpc(StatusCode::OK, &headers(&[("content-type", "application/grpc")])));
        assert!(is_grpc(StatusCode::OK, &headers(&[("content-type", "application/grpc+proto")])));
        assert!(is_grpc(StatusCode::OK, &headers(&[("grpc-status", "14")])));
        assert!(!is_grpc(StatusCode::BAD_GATEWAY, &headers(&[("content-type", "text/html")])));
        assert!(!is_grpc(StatusCode::OK, &headers(&[("content-type", "text/html")])));
        assert!(!is_grpc(StatusCode::OK, &headers(&[])));
        assert!(!is_grpc(StatusCode::OK, &headers(&[("content-type", "application/grpc-web+proto")])));
        assert!(is_grpc(StatusCode::OK, &headers(&[("content-type", "application/grpc; charset=utf-8")])));
        assert!(!is_grpc(StatusCode::NOT_FOUND, &headers(&[("content-type", "application/grpc")])));
    }

    #[test]
    fn framing_is_followed_across_any_split() {
        let mut message = vec![0, 0, 0, 0, 3, b'a', b'b', b'c', 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 9];
        for split in 0..message.len() {
            let mut framed = Framed::new(Body::empty());
            framed.read(&message[..split]);
            framed.read(&message[split..]);
            assert_eq!(framed.cut_short(), Some(CutShort { promised: Some(2), came: 1 }), "split at {split}");
        }
        message.push(9);
        let mut whole = Framed::new(Body::empty());
        whole.read(&message);
        assert_eq!(whole.cut_short(), None);
        let mut prefix = Framed::new(Body::empty());
        prefix.read(&[0, 0, 0]);
        assert_eq!(prefix.cut_short(), Some(CutShort { promised: None, came: 3 }));
    }

    #[test]
    fn a_bad_gateway_page_blames_the_proxy() {
        let said = NotGrpc {
            status: 502,
            content_type: Some("text/html".into()),
            head: "<html><head><title>502 Bad Gateway</title>".into(),
        }
        .to_string();
        assert!(said.contains("HTTP 502 Bad Gateway"), "{said}");
        assert!(said.contains("`text/html`") && said.contains("502 Bad Gateway</title>"), "{said}");
        assert!(said.contains("a proxy answered: the service behind it is down"), "{said}");
    }
}
