//! The local discovery and registration service, driven by a provider that
//! speaks the registration protocol (a WebSocket client written here), and by
//! puppet-lint's own discovery.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use puppet_lint::config::Authority;
use puppet_lint::exit;
use puppet_lint::registry::{Options, Registry};
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
    let task = tokio::spawn(async move {
        while let Some(Ok(Message::Text(text))) = stream.next().await {
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
    let body = reqwest_get(&format!("{}/v0/hosties/nobody_token", registry.url())).await;
    assert_eq!(body, (404, json!({ "host": "0.0.0.0", "ip": "0.0.0.0", "port": 0 })));
    assert!(matches!(resolve(&registry, "nobody_token").await, Err(DiscoveryError::NotRegistered { .. })));
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
    while let Some(Ok(Message::Text(text))) = stream.next().await {
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
