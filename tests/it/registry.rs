//! The local discovery and registration service, driven by a provider that
//! speaks the registration protocol (a WebSocket client written here), and by
//! puppet-lint's own discovery.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use puppet_lint::config::Authority;
use puppet_lint::exit;
use puppet_lint::registry::{Happening, Options, Registry};
use puppet_lint::target::discovery::{self, DiscoveryError};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{self, Cli, PATIENCE, eventually};

/// A provider's side: registers `token`, answers getHostieGrpcPort with
/// `port`, and records every frame it gets.
struct Provider {
    frames: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
    echoed_protocol: Option<String>,
}

const PROTOCOL: &str = "io|0.0.1|0b7c6f1e-provider|127.0.0.1|";

/// The frame wechaty's `Io` sends as its socket opens: it registers.
const SYS: &str = r#"{"name":"sys","payload":"Wechaty version 1.20.2 with CUID: 0b7c6f1e-provider"}"#;

async fn provider(registry: &Registry, token: &str, port: u16) -> Provider {
    let mut request = registry.websocket_url().into_client_request().unwrap();
    request.headers_mut().insert("Authorization", format!("Token {token}").parse().unwrap());
    request.headers_mut().insert("Sec-WebSocket-Protocol", format!("{PROTOCOL}{port}").parse().unwrap());
    let stream = tokio::net::TcpStream::connect(registry.address()).await.unwrap();
    let (socket, response) = tokio_tungstenite::client_async(request, stream).await.expect("the registry accepts");
    let echoed_protocol =
        response.headers().get("Sec-WebSocket-Protocol").map(|value| value.to_str().unwrap().to_owned());
    let frames = Arc::new(Mutex::new(Vec::new()));
    let seen = frames.clone();
    let (mut sink, mut stream) = socket.split();
    // It registers as wechaty's `Io` does, as soon as its socket opens.
    sink.send(Message::Text(SYS.into())).await.unwrap();
    let task = tokio::spawn(async move {
        // Pings (the registry's, to a silent socket) are answered by the library.
        while let Some(Ok(message)) = stream.next().await {
            let Message::Text(text) = message else { continue };
            let frame: Value = serde_json::from_str(&text).unwrap();
            seen.lock().unwrap().push(frame.clone());
            if frame["name"] == "jsonrpc" && frame["payload"]["method"] == "getHostieGrpcPort" {
                let answer = json!({ "name": "jsonrpc", "payload": { "jsonrpc": "2.0", "id": frame["payload"]["id"], "result": port } });
                sink.send(Message::Text(answer.to_string().into())).await.unwrap();
            }
        }
    });
    Provider { frames, task, echoed_protocol }
}

async fn registry() -> Registry {
    Registry::start(Options::default()).await.unwrap()
}

async fn resolve(registry: &Registry, token: &str) -> Result<discovery::Answer, DiscoveryError> {
    let policy = discovery::Policy { attempts: 1, ..discovery::Policy::default() };
    discovery::discover(&Authority::parse(&registry.url()).unwrap(), token, policy).await
}

#[tokio::test]
async fn an_unknown_token_gets_404_with_the_zero_body() {
    let registry = registry().await;
    let body = reqwest_get(&format!("{}/v0/hosties/nobody_4f2c9e1b7d", registry.url())).await;
    assert_eq!(body, (404, json!({ "host": "0.0.0.0", "ip": "0.0.0.0", "port": 0 })));
    assert!(matches!(resolve(&registry, "nobody_4f2c9e1b7d").await, Err(DiscoveryError::NotRegistered { .. })));
}

#[tokio::test]
async fn a_registered_provider_is_greeted_asked_for_its_port_and_resolved() {
    let registry = registry().await;
    let grpc = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = grpc.local_addr().unwrap().port();
    let provider = provider(&registry, "token_one_0123456789", port).await;
    assert_eq!(
        provider.echoed_protocol.as_deref(),
        Some(format!("{PROTOCOL}{port}").as_str()),
        "the subprotocol is echoed exactly"
    );
    let answer = resolve(&registry, "token_one_0123456789").await.unwrap();
    assert_eq!(answer.endpoint.to_string(), format!("127.0.0.1:{port}"));
    assert!(answer.has_legacy_ip, "the answer is {{host, ip, port}}, as the public service's");
    let frames = provider.frames.lock().unwrap().clone();
    assert_eq!(frames[0], json!({ "name": "sys", "payload": "registered" }));
    assert_eq!(frames[1]["payload"]["method"], "getHostieGrpcPort");
    assert!(frames.iter().all(|frame| frame["name"] != "shutdown"), "the registry never sends shutdown");
    provider.task.abort();
}

#[tokio::test]
async fn tokens_share_an_address_and_the_first_socket_of_a_token_wins() {
    let registry = registry().await;
    let first = provider(&registry, "token_shared_a", 4001).await;
    let second = provider(&registry, "token_shared_b", 4001).await;
    let late = provider(&registry, "token_shared_a", 4999).await;
    let body = reqwest_get(&format!("{}/v0/hosties/token_shared_a", registry.url())).await;
    assert_eq!(body.1["port"], 4001, "the first socket of a token answers");
    let body = reqwest_get(&format!("{}/v0/hosties/token_shared_b", registry.url())).await;
    assert_eq!(body.1["port"], 4001);
    assert_eq!(body.1["host"], "", "nothing listens on 4001, so no host");
    for provider in [first, second, late] {
        provider.task.abort();
    }
}

#[tokio::test]
async fn a_closed_socket_deregisters_at_once() {
    let registry = registry().await;
    let provider = provider(&registry, "token_leaving", 4002).await;
    assert_eq!(reqwest_get(&format!("{}/v0/hosties/token_leaving", registry.url())).await.0, 200);
    provider.task.abort();
    // At once: nothing waits for a ping to go unanswered (10 s leave a busy
    // machine room).
    eventually("deregistered after the socket closed", Duration::from_secs(10), async || {
        reqwest_get(&format!("{}/v0/hosties/token_leaving", registry.url())).await.0 == 404
    })
    .await;
}

#[tokio::test]
async fn sockets_without_a_token_or_subprotocol_are_refused() {
    let registry = registry().await;
    for (authorization, protocol) in
        [(None, Some(PROTOCOL)), (Some("Token t_0"), None), (Some("Bearer t_0"), Some(PROTOCOL))]
    {
        let mut request = registry.websocket_url().into_client_request().unwrap();
        if let Some(authorization) = authorization {
            request.headers_mut().insert("Authorization", authorization.parse().unwrap());
        }
        if let Some(protocol) = protocol {
            request.headers_mut().insert("Sec-WebSocket-Protocol", format!("{protocol}1").parse().unwrap());
        }
        let stream = tokio::net::TcpStream::connect(registry.address()).await.unwrap();
        assert!(tokio_tungstenite::client_async(request, stream).await.is_err(), "{authorization:?} {protocol:?}");
    }
}

/// `puppet-lint --registry`: the provider registers with puppet-lint, which
/// resolves its token, reaches its gRPC service and checks the registration.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_with_registry_reaches_the_provider_and_checks_its_port() {
    let mock = support::mock(&[]).await;
    let token = mock.token.clone();
    let listen = support::free_address();
    // The provider registers after puppet-lint starts, as in life.
    let registering = register_once_listening(&listen, &token, mock.address.port());
    let ran = Cli::new()
        .args([
            "--token",
            &token,
            "--registry",
            &listen,
            "--no-tls",
            "--heartbeat-window",
            "1s",
            "--only",
            "registration.*",
            "--only",
            "discovery.*",
            "--only",
            "events.ready",
            "--no-report",
        ])
        .run_async()
        .await;
    ran.code(exit::OK)
        .row("registration.hostie-grpc-port", "pass")
        .row("discovery.resolves", "pass")
        .row("events.ready", "pass")
        .never_shows(&token);
    registering.abort();
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_names_the_wrong_port_fails_the_registration_check() {
    let mock = support::mock(&[]).await;
    let token = mock.token.clone();
    let listen = support::free_address();
    let closed = support::free_port();
    let registering = register_once_listening(&listen, &token, closed);
    let ran = Cli::new()
        .args(["--token", &token, "--registry", &listen, "--no-tls", "--login-timeout", "5s", "--no-report"])
        .run_async()
        .await;
    // Discovery hands out the wrong port too, so no session: exit 3, and the
    // registration check says why.
    ran.code(exit::UNREACHABLE)
        .stdout_has("✗ fail registration.hostie-grpc-port")
        .stdout_has(&format!("getHostieGrpcPort answered {closed}"));
    registering.abort();
    mock.shutdown().await;
}

/// Registers with the registry puppet-lint is starting at `listen`, as soon
/// as it accepts connections, and answers until aborted.
fn register_once_listening(listen: &str, token: &str, port: u16) -> tokio::task::JoinHandle<()> {
    let (listen, token) = (listen.to_owned(), token.to_owned());
    tokio::spawn(async move { register_at(&listen, &token, port).await })
}

async fn register_at(listen: &str, token: &str, port: u16) {
    let mut request = format!("ws://{listen}/v0/websocket").into_client_request().unwrap();
    request.headers_mut().insert("Authorization", format!("Token {token}").parse().unwrap());
    request.headers_mut().insert("Sec-WebSocket-Protocol", format!("{PROTOCOL}{port}").parse().unwrap());
    let waiting = tokio::time::Instant::now();
    let stream = loop {
        match tokio::net::TcpStream::connect(listen).await {
            Ok(stream) => break stream,
            Err(_) if waiting.elapsed() < PATIENCE => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(error) => panic!("the registry never listened on {listen}: {error}"),
        }
    };
    let (socket, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    let (mut sink, mut stream) = socket.split();
    sink.send(Message::Text(SYS.into())).await.unwrap();
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(text) = message else { continue };
        let frame: Value = serde_json::from_str(&text).unwrap();
        if frame["payload"]["method"] == "getHostieGrpcPort" {
            let answer = json!({ "name": "jsonrpc", "payload": { "jsonrpc": "2.0", "id": frame["payload"]["id"], "result": port } });
            let _ = sink.send(Message::Text(answer.to_string().into())).await;
        }
    }
}

/// A plain GET: status and JSON body.
async fn reqwest_get(url: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream
        .write_all(format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_ask_in_flight_when_the_provider_leaves_fails_at_once() {
    let registry = registry().await;
    // A provider that registers and then never answers: it hangs up instead.
    let mut request = registry.websocket_url().into_client_request().unwrap();
    request.headers_mut().insert("Authorization", "Token token_hanging_up".parse().unwrap());
    request.headers_mut().insert("Sec-WebSocket-Protocol", format!("{PROTOCOL}4003").parse().unwrap());
    let stream = tokio::net::TcpStream::connect(registry.address()).await.unwrap();
    let (socket, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    let (_sink, mut frames) = socket.split();
    let asking = {
        let registry = registry.clone();
        tokio::spawn(async move { registry.ask_grpc_port("token_hanging_up").await })
    };
    // Read until the ask arrives, then hang up.
    while let Some(Ok(Message::Text(text))) = frames.next().await {
        if text.contains("getHostieGrpcPort") {
            break;
        }
    }
    drop(frames);
    drop(_sink);
    let answer = tokio::time::timeout(PATIENCE, asking).await.expect("the ask ends").unwrap();
    // Told by the socket's end, not by the ask's 5 s timeout ("no answer within").
    let error = answer.expect_err("no port from a provider that left");
    assert!(error.contains("socket closed"), "{error}");
}

// --- Budgets: what one peer may cost the registry ---

/// A WebSocket upgrade written by hand (so frames can be too): the socket,
/// its 101 answer read.
async fn raw_socket(address: std::net::SocketAddr, token: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "GET /v0/websocket HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Authorization: Token {token}\r\nSec-WebSocket-Protocol: {PROTOCOL}4001\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        assert_eq!(stream.read(&mut byte).await.unwrap(), 1, "the registry answers the upgrade");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    stream
}

/// A client frame's head: `fin`, `opcode`, a payload of `length` bytes, masked
/// with a zero key (so the payload goes as it is).
fn frame_head(fin: bool, opcode: u8, length: u64) -> Vec<u8> {
    let mut head = vec![if fin { 0x80 } else { 0 } | opcode];
    match length {
        0..=125 => head.push(0x80 | length as u8),
        126..=0xFFFF => {
            head.push(0x80 | 126);
            head.extend_from_slice(&(length as u16).to_be_bytes());
        }
        _ => {
            head.push(0x80 | 127);
            head.extend_from_slice(&length.to_be_bytes());
        }
    }
    head.extend_from_slice(&[0, 0, 0, 0]);
    head
}

/// Whether the registry closed `stream` within `within` (what it sent before,
/// the greeting, is read and dropped).
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// A provider's frames are a few hundred bytes: a frame over 16 KiB, or a
/// message over 64 KiB in small frames, closes its socket at once (the
/// library's defaults were 16 MiB and 64 MiB).
#[tokio::test]
async fn a_frame_or_message_over_the_budget_closes_the_socket() {
    use puppet_lint::registry::budget::{MAX_FRAME, MAX_MESSAGE};
    use tokio::io::AsyncWriteExt;
    let registry = registry().await;
    let mut big_frame = raw_socket(registry.address(), "token_big_frame").await;
    let _ = big_frame.write_all(&frame_head(true, 1, (MAX_FRAME + 1) as u64)).await;
    let _ = big_frame.write_all(&vec![b'x'; MAX_FRAME + 1]).await;
    assert!(closed_within(&mut big_frame, Duration::from_secs(3)).await, "a frame over 16 KiB is refused");

    let mut big_message = raw_socket(registry.address(), "token_big_message").await;
    let piece = vec![b'x'; MAX_FRAME];
    for index in 0..(MAX_MESSAGE / MAX_FRAME + 2) {
        let head = frame_head(false, if index == 0 { 1 } else { 0 }, piece.len() as u64);
        if big_message.write_all(&head).await.is_err() || big_message.write_all(&piece).await.is_err() {
            break;
        }
    }
    assert!(closed_within(&mut big_message, Duration::from_secs(3)).await, "a message over 64 KiB is refused");

    // A frame of the budget's size is fine.
    let mut fine = raw_socket(registry.address(), "token_fine_frame").await;
    let text = format!("{{\"name\":\"sys\",\"payload\":\"{}\"}}", "x".repeat(MAX_FRAME - 40));
    fine.write_all(&frame_head(true, 1, text.len() as u64)).await.unwrap();
    fine.write_all(text.as_bytes()).await.unwrap();
    assert!(!closed_within(&mut fine, Duration::from_millis(500)).await, "a 16 KiB frame is taken");
}

/// A socket that says nothing (not even a pong) for the idle time is
/// closed; a provider whose library answers the registry's pings stays.
#[tokio::test]
async fn a_silent_socket_is_closed_and_a_live_provider_stays() {
    let idle = Duration::from_millis(900);
    let registry = Registry::start(Options { idle, ..Options::default() }).await.unwrap();
    let live = provider(&registry, "token_live_provider", 4002).await;
    // From before the socket opens: the registry's clock starts when it accepts it, before the handshake ends.
    let started = tokio::time::Instant::now();
    let mut silent = raw_socket(registry.address(), "token_silent_provider").await;
    assert!(closed_within(&mut silent, idle * 3).await, "a silent socket is closed");
    assert!(started.elapsed() >= idle, "not before the idle time: {:?}", started.elapsed());
    tokio::time::sleep(idle).await;
    assert_eq!(registry.ask_grpc_port("token_live_provider").await, Ok(4002), "the live provider still answers");
    assert!(!live.task.is_finished(), "the live provider's socket is open");
}

/// A socket that answers pings but never registers (no `sys` or `login`
/// frame) is closed once its time to register is up; a provider that
/// registered stays.
#[tokio::test]
async fn a_socket_that_never_registers_is_closed_and_a_registered_provider_stays() {
    let register_within = Duration::from_millis(700);
    let registry = Registry::start(Options { register_within, ..Options::default() }).await.unwrap();
    let live = provider(&registry, "token_registered_provider", 4003).await;
    // From before the socket opens: the registry's clock starts when it accepts it, before the handshake ends.
    let started = tokio::time::Instant::now();
    let mut unregistered = raw_socket(registry.address(), "token_never_registers").await;
    assert!(closed_within(&mut unregistered, register_within * 4).await, "an unregistered socket is closed");
    assert!(started.elapsed() >= register_within, "not before its time: {:?}", started.elapsed());
    tokio::time::sleep(register_within).await;
    assert_eq!(registry.ask_grpc_port("token_registered_provider").await, Ok(4003), "the provider still answers");
    assert!(!live.task.is_finished(), "the registered provider's socket is open");
}

/// Sockets that never register cannot fill the table: past 32 of them, each
/// new one closes the one waiting longest, and a provider that registers at
/// once gets in and stays, however many keep coming.
#[tokio::test]
async fn unregistered_sockets_cannot_lock_a_provider_out() {
    use puppet_lint::registry::budget::MAX_UNREGISTERED;
    let registry = registry().await;
    let mut waiting = Vec::new();
    for index in 0..MAX_UNREGISTERED {
        waiting.push(raw_socket(registry.address(), &format!("token_waiting_{index}")).await);
    }
    let mut happenings = registry.happenings();
    let live = provider(&registry, "token_provider_among_them", 4004).await;
    // The provider's `sys` is read before the next socket comes.
    let registered = async {
        loop {
            if let Ok(Happening::Frame { name, .. }) = happenings.recv().await
                && name == "sys"
            {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), registered).await.expect("the provider registered");
    let mut more = Vec::new();
    for index in 0..MAX_UNREGISTERED + 8 {
        more.push(raw_socket(registry.address(), &format!("token_more_{index}")).await);
    }
    for (index, socket) in waiting.iter_mut().enumerate() {
        assert!(
            closed_within(socket, Duration::from_secs(3)).await,
            "the oldest unregistered socket {index} is closed"
        );
    }
    let open = {
        let mut open = 0;
        for socket in &mut more {
            if !closed_within(socket, Duration::from_millis(20)).await {
                open += 1;
            }
        }
        open
    };
    assert_eq!(open, MAX_UNREGISTERED, "the newest unregistered sockets stay, no more");
    assert_eq!(registry.ask_grpc_port("token_provider_among_them").await, Ok(4004), "the provider is in");
    assert!(!live.task.is_finished());
}

/// Past 256 open connections, a new one is closed as soon as it is
/// accepted; once one closes, the next is served.
#[tokio::test]
async fn connections_past_the_cap_are_closed_at_once() {
    use puppet_lint::registry::budget::MAX_CONNECTIONS;
    let registry = registry().await;
    let mut open = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        open.push(tokio::net::TcpStream::connect(registry.address()).await.unwrap());
    }
    let mut extra = tokio::net::TcpStream::connect(registry.address()).await.unwrap();
    assert!(closed_within(&mut extra, Duration::from_secs(2)).await, "the connection past the cap is closed");
    drop(open.pop());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let url = format!("{}/v0/hosties/nobody_4f2c9e1b7d", registry.url());
    loop {
        let served = tokio::time::timeout(Duration::from_millis(500), reqwest_get(&url));
        if let Ok((404, _)) = served.await {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "a freed slot serves again");
    }
}

/// The issue's attack on the real binary: 8 sockets each sending a 60 MiB
/// message (one frame announcing it, or 16 KiB frames that never finish),
/// and 2,000 sockets asking to register: the registry stays under 64 MiB.
#[tokio::test(flavor = "multi_thread")]
async fn the_registry_stays_small_under_2000_sockets_and_8_unfinished_60_mib_messages() {
    use std::io::BufRead;
    use tokio::io::AsyncWriteExt;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_puppet-lint"))
        .args(["registry", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let address: std::net::SocketAddr = first.rsplit(' ').next().unwrap().parse().unwrap();
    // Drain its output (one line per happening) so it never blocks on it.
    std::thread::spawn(move || lines.for_each(drop));
    let started = std::time::Instant::now();

    const SIXTY_MIB: u64 = 60 << 20;
    let mut attackers = Vec::new();
    for index in 0..8 {
        attackers.push(tokio::spawn(async move {
            let mut socket = raw_socket(address, &format!("token_sixty_mib_{index}")).await;
            let chunk = vec![b'x'; 1 << 20];
            let mut sent = 0u64;
            let write = async {
                if index % 2 == 0 {
                    // One frame announcing 60 MiB.
                    socket.write_all(&frame_head(true, 1, SIXTY_MIB)).await?;
                    while sent < SIXTY_MIB {
                        socket.write_all(&chunk).await?;
                        sent += chunk.len() as u64;
                    }
                } else {
                    // 16 KiB frames of a message that never ends.
                    let piece = &chunk[..16 << 10];
                    let mut first = true;
                    while sent < SIXTY_MIB {
                        socket.write_all(&frame_head(false, if first { 1 } else { 0 }, piece.len() as u64)).await?;
                        socket.write_all(piece).await?;
                        first = false;
                        sent += piece.len() as u64;
                    }
                }
                Ok::<_, std::io::Error>(())
            };
            let _ = tokio::time::timeout(Duration::from_secs(10), write).await;
            assert!(sent < SIXTY_MIB, "the registry took all 60 MiB of socket {index}");
            closed_within(&mut socket, Duration::from_secs(5)).await
        }));
    }
    let mut sockets = Vec::new();
    for index in 0..2000 {
        let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let request = format!(
            "GET /v0/websocket HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Authorization: Token token_many_{index}\r\nSec-WebSocket-Protocol: {PROTOCOL}4001\r\n\r\n"
        );
        let _ = socket.write_all(request.as_bytes()).await;
        sockets.push(socket);
    }
    for (index, attacker) in attackers.into_iter().enumerate() {
        assert!(attacker.await.unwrap(), "socket {index}'s unfinished message closed it");
    }
    // Accepts are taken in order: once a connection opened after all of them is closed (it is past the cap),
    // the registry has taken every one before it.
    let mut probe = tokio::net::TcpStream::connect(address).await.unwrap();
    let _ = probe.write_all(b"GET /v0/hosties/probe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(closed_within(&mut probe, Duration::from_secs(20)).await, "the registry reached the last connection");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap();
    assert!(child.try_wait().unwrap().is_none(), "the registry is still up");
    drop(sockets);
    let _ = child.kill();
    let _ = child.wait();
    eprintln!("registry peak RSS {:.1} MiB in {:?}", peak_kib as f64 / 1024.0, started.elapsed());
    assert!(peak_kib < 64 * 1024, "the registry's peak RSS is {peak_kib} KiB");
    assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
}

/// A provider's frame that carries its own token — as it is, or its secret in base64 — is shown with the token
/// masked; a subprotocol the registry refuses is shown masked too (a peer may put a token there).
#[tokio::test]
async fn a_providers_token_in_what_it_sends_is_masked() {
    use base64::Engine as _;
    let token = "puppet_service_R3gS3cr3tK3yQWERTY";
    let secret = "R3gS3cr3tK3yQWERTY";
    let registry = registry().await;
    let mut happenings = registry.happenings();
    let mut request = registry.websocket_url().into_client_request().unwrap();
    request.headers_mut().insert("Authorization", format!("Token {token}").parse().unwrap());
    request.headers_mut().insert("Sec-WebSocket-Protocol", format!("{PROTOCOL}4005").parse().unwrap());
    let stream = tokio::net::TcpStream::connect(registry.address()).await.unwrap();
    let (socket, _) = tokio_tungstenite::client_async(request, stream).await.expect("the registry accepts");
    let (mut sink, _stream) = socket.split();
    sink.send(Message::Text(SYS.into())).await.unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(secret);
    let name = format!("leak {secret} {encoded} {}", secret.to_ascii_lowercase());
    sink.send(Message::Text(json!({ "name": name, "payload": {} }).to_string().into())).await.unwrap();
    let mut refused = registry.websocket_url().into_client_request().unwrap();
    refused.headers_mut().insert("Authorization", "Token other_x".parse().unwrap());
    refused.headers_mut().insert("Sec-WebSocket-Protocol", token.parse().unwrap());
    let stream = tokio::net::TcpStream::connect(registry.address()).await.unwrap();
    assert!(tokio_tungstenite::client_async(refused, stream).await.is_err(), "a bad subprotocol is refused");
    let (mut frame, mut refusal) = (None, None);
    let seen = async {
        while frame.is_none() || refusal.is_none() {
            match happenings.recv().await {
                Ok(Happening::Frame { name, .. }) if name.starts_with("leak") => frame = Some(name),
                Ok(Happening::Refused { why, .. }) if why.contains("subprotocol") => refusal = Some(why),
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), seen).await.expect("the frame and the refusal are told");
    let (frame, refusal) = (frame.unwrap(), refusal.unwrap());
    for shown in [&frame, &refusal] {
        assert_eq!(crate::support::leak::a_run_of_the_secret(shown, secret), None, "{shown}");
    }
    assert!(frame.starts_with("leak …"), "{frame}");
}
