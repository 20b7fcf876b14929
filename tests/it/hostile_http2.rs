//! A hostile HTTP/2 peer (an `h2` server on loopback, speaking just enough gRPC: `Version`, `Event`) that breaks
//! one thing of the HTTP/2 layer or of gRPC's framing at a time, and the real binary naming the layer that failed
//! and the side to blame — never "the service accepted the call" for a call that never left, never a TLS hint for a
//! plaintext peer. Every case is bounded by a 2 s rpc deadline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use h2::server::SendResponse;
use http::{HeaderMap, Response};
use prost::Message;
use puppet_lint::exit;
use puppet_lint::proto::wechaty::puppet as pb;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::support::Cli;

const TOKEN: &str = "insecure_h0stile-h2-5ecret9";

/// What the peer does wrong.
#[derive(Clone, Copy, Debug)]
enum Peer {
    /// SETTINGS_MAX_CONCURRENT_STREAMS = 1: the event stream holds it.
    OneStream,
    /// SETTINGS_MAX_CONCURRENT_STREAMS = 0.
    NoStream,
    /// SETTINGS_INITIAL_WINDOW_SIZE = 0, and never a WINDOW_UPDATE.
    NoWindow,
    /// Answers `Version`, then a graceful GOAWAY (NO_ERROR) at the next call.
    DrainAfterVersion,
    /// GOAWAY ENHANCE_YOUR_CALM at the first call.
    Calm,
    /// GOAWAY (NO_ERROR) on every connection, before any call.
    GoAwayAtOnce,
    /// A proxy's `502 Bad Gateway` HTML page for every call.
    BadGateway,
    /// A 200 with `text/html`: a web server.
    WebPage,
    /// 1 MiB of response headers.
    HugeHeaders,
    /// This many response headers of 4,000 bytes each.
    ManyHeaders(usize),
    /// A message whose length prefix says 100 bytes, and 10 come.
    Truncated,
    /// RST_STREAM (REFUSED_STREAM) on every call.
    Refused,
}

fn grpc_frame(message: &impl Message) -> Bytes {
    let body = message.encode_to_vec();
    let mut framed = vec![0];
    framed.extend((body.len() as u32).to_be_bytes());
    framed.extend(body);
    Bytes::from(framed)
}

fn grpc_head() -> Response<()> {
    Response::builder().status(200).header("content-type", "application/grpc").body(()).unwrap()
}

fn ok_trailers() -> HeaderMap {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", "0".parse().unwrap());
    trailers
}

/// Answers one call as a conformant peer would (`Version`; `Event` kept
/// open with a heartbeat every 200 ms), or with this peer's fault.
async fn answer(peer: Peer, path: String, mut respond: SendResponse<Bytes>) {
    match peer {
        Peer::BadGateway => {
            let head = Response::builder().status(502).header("content-type", "text/html").body(()).unwrap();
            if let Ok(mut send) = respond.send_response(head, false) {
                let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
                let _ = send.send_data(Bytes::from(page), true);
            }
            return;
        }
        Peer::WebPage => {
            let head = Response::builder().status(200).header("content-type", "text/html").body(()).unwrap();
            if let Ok(mut send) = respond.send_response(head, false) {
                let _ = send.send_data(Bytes::from("<!doctype html><title>Welcome</title>"), true);
            }
            return;
        }
        Peer::HugeHeaders => {
            let huge = "x".repeat(1 << 20);
            let head =
                Response::builder().status(200).header("content-type", "application/grpc").header("x-huge", huge);
            let _ = respond.send_response(head.body(()).unwrap(), true);
            return;
        }
        Peer::ManyHeaders(count) => {
            let mut head = Response::builder().status(200).header("content-type", "application/grpc");
            for index in 0..count {
                head = head.header(format!("x-big-{index}"), "y".repeat(4000));
            }
            let _ = respond.send_response(head.body(()).unwrap(), true);
            return;
        }
        Peer::Refused => {
            respond.send_reset(h2::Reason::REFUSED_STREAM);
            return;
        }
        _ => {}
    }
    let Ok(mut send) = respond.send_response(grpc_head(), false) else { return };
    if path.ends_with("/Event") {
        // The connect heartbeat, as the official server sends it; then the stream stays open until the client
        // resets it (a cancel) or the connection ends.
        let heartbeat =
            pb::EventResponse { r#type: pb::EventType::Heartbeat as i32, payload: r#"{"data":"heartbeat"}"#.into() };
        if send.send_data(grpc_frame(&heartbeat), false).is_ok() {
            let _ = std::future::poll_fn(|context| send.poll_reset(context)).await;
        }
        return;
    }
    if path.ends_with("/Version") && matches!(peer, Peer::Truncated) {
        let mut cut = vec![0, 0, 0, 0, 100];
        cut.extend([8; 10]);
        let _ = send.send_data(Bytes::from(cut), false);
    } else if path.ends_with("/Version") {
        let _ = send.send_data(grpc_frame(&pb::VersionResponse { version: "hostile-h2 0.1".into() }), false);
    }
    // Every other call answers OK with an empty message.
    else {
        let _ = send.send_data(Bytes::from_static(&[0, 0, 0, 0, 0]), false);
    }
    let _ = send.send_trailers(ok_trailers());
}

/// Serves `peer` on a loopback port until the test ends.
async fn serve(peer: Peer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(Notify::new());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            accepted.notify_waiters();
            tokio::spawn(connection(peer, tcp, accepted.clone()));
        }
    });
    address
}

/// One connection; `accepted` fires when the peer accepts the next one.
async fn connection(peer: Peer, tcp: tokio::net::TcpStream, accepted: Arc<Notify>) {
    let next = accepted.notified();
    let mut builder = h2::server::Builder::new();
    match peer {
        Peer::OneStream => builder.max_concurrent_streams(1),
        Peer::NoStream => builder.max_concurrent_streams(0),
        Peer::NoWindow => builder.initial_window_size(0).initial_connection_window_size(0),
        _ => &mut builder,
    };
    let Ok(mut connection) = builder.handshake::<_, Bytes>(tcp).await else { return };
    if matches!(peer, Peer::GoAwayAtOnce) {
        connection.abrupt_shutdown(h2::Reason::NO_ERROR);
    }
    let mut calls = 0;
    while let Some(Ok((request, respond))) = connection.accept().await {
        calls += 1;
        let path = request.uri().path().to_owned();
        match peer {
            Peer::Calm => {
                connection.abrupt_shutdown(h2::Reason::ENHANCE_YOUR_CALM);
                continue;
            }
            Peer::DrainAfterVersion if calls > 1 => {
                connection.graceful_shutdown();
                continue;
            }
            // Takes the request's message only when the window opens: never.
            Peer::NoWindow => {
                drop(request);
                std::future::pending::<()>().await;
            }
            _ => {}
        }
        tokio::spawn(answer(peer, path, respond));
    }
    // As servers do, the socket stays open after the GOAWAY until the client has read it and moved on to a new
    // connection (closed at once, with the client's bytes unread, the kernel resets it and the client may lose the
    // GOAWAY unread: then nothing names it).
    if matches!(peer, Peer::GoAwayAtOnce) {
        next.await;
    }
}

/// Runs the binary against `peer` with a 2 s rpc deadline.
async fn run_against(peer: Peer) -> crate::support::Ran {
    let address = serve(peer).await;
    Cli::new()
        .args(["--endpoint", &address.to_string(), "--no-tls", "--token", TOKEN, "--no-report", "--rpc-timeout", "2s"])
        .args(["--login-timeout", "5s"])
        .deadline(Duration::from_secs(60))
        .run_async()
        .await
}

fn never_wrongly_blamed(ran: &crate::support::Ran) {
    ran.never_shows(TOKEN)
        .stdout_lacks("accepted the call")
        .stdout_lacks("--no-tls (or")
        .stdout_lacks("invalid compression flag")
        .stdout_lacks("too_many_continuations");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_behind_a_one_stream_limit_never_left_and_says_so() {
    let ran = run_against(Peer::OneStream).await;
    ran.code(exit::UNREACHABLE)
        .stdout_has("never left puppet-lint")
        .stdout_has("allows 1 concurrent stream")
        .stdout_has("SETTINGS_MAX_CONCURRENT_STREAMS");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_that_allows_no_stream_is_named() {
    let ran = run_against(Peer::NoStream).await;
    ran.code(exit::UNREACHABLE).stdout_has("allows no stream at all");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_that_never_opens_is_named() {
    let ran = run_against(Peer::NoWindow).await;
    ran.code(exit::UNREACHABLE).stdout_has("flow-control window");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_graceful_goaway_is_named_as_a_shutdown() {
    let ran = run_against(Peer::DrainAfterVersion).await;
    ran.code(exit::UNREACHABLE).stdout_has("GOAWAY").stdout_has("NO_ERROR");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn enhance_your_calm_is_named() {
    let ran = run_against(Peer::Calm).await;
    ran.code(exit::UNREACHABLE).stdout_has("GOAWAY").stdout_has("ENHANCE_YOUR_CALM");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn goaway_on_every_connection_gets_no_tls_hint() {
    let ran = run_against(Peer::GoAwayAtOnce).await;
    ran.code(exit::UNREACHABLE).stdout_has("GOAWAY").stdout_lacks("TLS is on (or off)");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proxys_bad_gateway_page_blames_the_proxy() {
    let ran = run_against(Peer::BadGateway).await;
    ran.code(exit::UNREACHABLE)
        .stdout_has("not gRPC: HTTP 502 Bad Gateway")
        .stdout_has("text/html")
        .stdout_has("the service behind it is down");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_web_page_is_not_grpc() {
    let ran = run_against(Peer::WebPage).await;
    ran.code(exit::UNREACHABLE).stdout_has("not gRPC: HTTP 200 OK").stdout_has("Welcome");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_response_headers_are_named() {
    let ran = run_against(Peer::HugeHeaders).await;
    ran.code(exit::UNREACHABLE).stdout_has("response headers are larger than puppet-lint accepts");
    ran.stdout_lacks("the service broke the protocol");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn many_large_response_headers_are_named_whatever_h2_calls_them() {
    for count in [8, 20, 60] {
        let ran = run_against(Peer::ManyHeaders(count)).await;
        ran.code(exit::UNREACHABLE).stdout_has("KiB of response headers in one block, more than puppet-lint accepts");
        never_wrongly_blamed(&ran);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_message_is_named() {
    let ran = run_against(Peer::Truncated).await;
    ran.stdout_has("not well-formed gRPC").stdout_has("its length prefix promised 100 bytes, and 10 came");
    never_wrongly_blamed(&ran);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_stream_is_named() {
    let ran = run_against(Peer::Refused).await;
    ran.code(exit::UNREACHABLE).stdout_has("RST_STREAM").stdout_has("REFUSED_STREAM");
    never_wrongly_blamed(&ran);
}
