//! A local discovery and registration service, speaking both protocols as
//! the real ones do (see WIRE.md, "Registration"), so providers can be
//! checked offline and in CI:
//!
//! - a provider's server opens a WebSocket to `/v0/websocket` with
//!   `Authorization: Token <token>` and the subprotocol
//!   `io|0.0.1|<client uuid>|<advertised ip>|<grpc port>`, which is echoed;
//!   the registry greets with `{"name":"sys","payload":"registered"}`;
//! - `GET /v0/hosties/<token>` makes the registry ask the provider
//!   `getHostieGrpcPort` over JSON-RPC in `{"name":"jsonrpc"}` frames (5 s at
//!   most, else port 8788) and answer `{"host","ip","port"}`; an unknown
//!   token gets 404 with the zero body;
//! - several tokens may share one address; for one token the first socket
//!   wins; a closed socket deregisters at once.
//!
//! It never sends `shutdown` (the provider would exit), and it probes (a TCP
//! connect for `host`, gRPC for the registration check) only addresses it is
//! allowed to: loopback, plus `--allow`. What a peer may cost it (message
//! sizes, open connections, silence) is in [`budget`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

pub mod budget;
mod http;
mod websocket;

use http::{percent_decode, text};

use crate::redact;

/// What the public service falls back to when a provider does not answer.
const FALLBACK_PORT: u16 = 8788;
const JSONRPC_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    /// Addresses besides loopback that may be probed.
    pub allow: Vec<IpAddr>,
    /// How long a provider's socket may stay silent before it is closed.
    pub idle: Duration,
    /// How long a socket may stay open before it registers (its first `sys`
    /// or `login` frame) until it is closed ([`budget::REGISTER_WITHIN`]).
    pub register_within: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            allow: Vec::new(),
            idle: budget::IDLE,
            register_within: budget::REGISTER_WITHIN,
        }
    }
}

/// What the registry saw, for people watching it.
#[derive(Debug, Clone)]
pub enum Happening {
    Registered { token: String, peer: SocketAddr, client: String, advertised: String },
    Deregistered { token: String, peer: SocketAddr },
    Refused { peer: SocketAddr, why: String },
    Frame { token: String, name: String },
    Asked { token: String, answer: String },
}

#[derive(Clone)]
pub struct Registry(Arc<Inner>);

struct Inner {
    options: Options,
    address: SocketAddr,
    /// Token → its sockets, oldest first (the first one answers).
    tokens: Mutex<HashMap<String, Vec<Arc<Registration>>>>,
    changed: watch::Sender<u64>,
    happenings: broadcast::Sender<Happening>,
    next_id: AtomicU64,
    serving: Mutex<Option<JoinHandle<()>>>,
    /// The sockets that have not registered yet, oldest first, each with
    /// what closes it ([`budget::MAX_UNREGISTERED`]).
    unregistered: Mutex<std::collections::VecDeque<(u64, tokio_util::sync::CancellationToken)>>,
}

/// One provider's socket.
pub struct Registration {
    pub peer: SocketAddr,
    pub client: String,
    /// The ip in the provider's subprotocol (may be empty).
    pub advertised_ip: String,
    outgoing: mpsc::UnboundedSender<Message>,
    pending: Mutex<HashMap<u64, oneshot::Sender<Value>>>,
    /// Masks the provider's own token in what it sends (built once).
    redactor: crate::redact::Redactor,
}

impl Registration {
    /// The registered address: the one the provider advertised, else the
    /// socket's own.
    pub fn address(&self) -> IpAddr {
        self.advertised_ip.parse().unwrap_or_else(|_| self.peer.ip())
    }
}

/// A socket that has not registered yet, in [`Inner::unregistered`] until it
/// is dropped (it registered, or it closed).
struct Unregistered {
    registry: Registry,
    id: u64,
    /// Fires when a newer unregistered socket takes its place.
    evicted: tokio_util::sync::CancellationToken,
}

impl Unregistered {
    /// A new socket's place among the unregistered: the one waiting longest
    /// is closed when they are [`budget::MAX_UNREGISTERED`] already.
    fn new(registry: &Registry) -> Unregistered {
        let id = registry.0.next_id.fetch_add(1, Ordering::Relaxed);
        let evicted = tokio_util::sync::CancellationToken::new();
        let mut waiting = registry.0.unregistered.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while waiting.len() >= budget::MAX_UNREGISTERED {
            if let Some((_, oldest)) = waiting.pop_front() {
                oldest.cancel();
            }
        }
        waiting.push_back((id, evicted.clone()));
        Unregistered { registry: registry.clone(), id, evicted }
    }
}

impl Drop for Unregistered {
    fn drop(&mut self) {
        let mut waiting = self.registry.0.unregistered.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        waiting.retain(|(id, _)| *id != self.id);
    }
}

impl Registry {
    pub async fn start(options: Options) -> std::io::Result<Registry> {
        let listener = TcpListener::bind(options.listen).await?;
        let address = listener.local_addr()?;
        let registry = Registry(Arc::new(Inner {
            options,
            address,
            tokens: Mutex::new(HashMap::new()),
            changed: watch::channel(0).0,
            happenings: broadcast::channel(256).0,
            next_id: AtomicU64::new(1),
            serving: Mutex::new(None),
            unregistered: Mutex::new(std::collections::VecDeque::new()),
        }));
        let serving = registry.clone();
        let handle = tokio::spawn(async move {
            let connections = Arc::new(Semaphore::new(budget::MAX_CONNECTIONS));
            let mut turned_away = 0u64;
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    // Out of file descriptors, a connection reset before it
                    // was accepted: the listener still listens.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(held) = connections.clone().try_acquire_owned() else {
                    // Closed at once: a peer gets no slot it can sit on.
                    drop(stream);
                    turned_away += 1;
                    if turned_away.is_power_of_two() {
                        serving.tell(Happening::Refused {
                            peer,
                            why: format!(
                                "{} connections are open, the most it takes ({turned_away} turned away so far)",
                                budget::MAX_CONNECTIONS
                            ),
                        });
                    }
                    continue;
                };
                let held = Arc::new(held);
                let registry = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let registry = registry.clone();
                        let held = held.clone();
                        async move { Ok::<_, Infallible>(registry.handle(request, peer, held).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(budget::HEAD_TIMEOUT)
                        .max_buf_size(budget::MAX_HEAD)
                        .max_headers(budget::MAX_HEADERS)
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        *registry.0.serving.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(handle);
        Ok(registry)
    }

    pub fn address(&self) -> SocketAddr {
        self.0.address
    }

    /// The authority to give puppet-lint (`--authority`).
    pub fn url(&self) -> String {
        format!("http://{}", self.0.address)
    }

    pub fn websocket_url(&self) -> String {
        format!("ws://{}/v0/websocket", self.0.address)
    }

    pub fn options(&self) -> &Options {
        &self.0.options
    }

    pub fn happenings(&self) -> broadcast::Receiver<Happening> {
        self.0.happenings.subscribe()
    }

    pub fn stop(&self) {
        if let Some(serving) = self.0.serving.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
            serving.abort();
        }
        for registration in self.0.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).values().flatten() {
            let _ = registration.outgoing.send(Message::Close(None));
        }
    }

    fn tell(&self, happening: Happening) {
        let _ = self.0.happenings.send(happening);
    }

    fn first(&self, token: &str) -> Option<Arc<Registration>> {
        self.0
            .tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(token)
            .and_then(|sockets| sockets.first().cloned())
    }

    pub fn registered_masked(&self) -> Vec<String> {
        let tokens = self.0.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut masked: Vec<String> = tokens.keys().map(|token| redact::mask(token)).collect();
        masked.sort();
        if masked.is_empty() { vec!["none".into()] } else { masked }
    }

    /// Waits until `token` has a socket, or the deadline.
    pub async fn wait_registered(&self, token: &str, deadline: Instant) -> Option<Arc<Registration>> {
        let mut changed = self.0.changed.subscribe();
        loop {
            if let Some(registration) = self.first(token) {
                return Some(registration);
            }
            if tokio::time::timeout_at(deadline, changed.changed()).await.is_err() {
                return self.first(token);
            }
        }
    }

    /// Asks the provider for its gRPC port over JSON-RPC.
    pub async fn ask_grpc_port(&self, token: &str) -> Result<u16, String> {
        let registration = self.first(token).ok_or_else(|| "the token is not registered".to_owned())?;
        let id = self.0.next_id.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        registration.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(id, answer);
        let request =
            json!({ "name": "jsonrpc", "payload": { "jsonrpc": "2.0", "id": id, "method": "getHostieGrpcPort" } });
        registration
            .outgoing
            .send(Message::Text(request.to_string().into()))
            .map_err(|_| "the provider's socket is closed".to_owned())?;
        let reply = tokio::time::timeout(JSONRPC_TIMEOUT, answered).await;
        registration.pending.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&id);
        let reply = match reply {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => return Err("the provider's socket closed before it answered".into()),
            Err(_) => return Err(format!("no answer within {}", crate::clock::human(JSONRPC_TIMEOUT))),
        };
        let result = match (reply.get("result"), reply.get("error")) {
            (Some(result), _) => result.clone(),
            (None, Some(error)) => return Err(format!("it answered an error: {error}")),
            (None, None) => return Err(format!("its answer has no result: {reply}")),
        };
        let port = result
            .as_u64()
            .or_else(|| result.as_str().and_then(|text| text.parse().ok()))
            .and_then(|port| u16::try_from(port).ok())
            .filter(|port| *port != 0)
            .ok_or_else(|| format!("its answer {result} is not a port"))?;
        self.tell(Happening::Asked { token: redact::mask(token), answer: port.to_string() });
        Ok(port)
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        ip.is_loopback() || self.0.options.allow.contains(&ip)
    }

    /// One request; `held` is the connection's slot, kept by a WebSocket
    /// for as long as it is open.
    async fn handle(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
        held: Arc<OwnedSemaphorePermit>,
    ) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_owned();
        if request.method() != Method::GET {
            return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
        }
        // Nothing here takes a body: one is refused, unread.
        let has_body = request.headers().contains_key(header::TRANSFER_ENCODING)
            || request.headers().get(header::CONTENT_LENGTH).is_some_and(|length| length.as_bytes() != b"0");
        if has_body {
            let mut refused = text(StatusCode::PAYLOAD_TOO_LARGE, "a GET here has no body\n");
            refused.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return refused;
        }
        if path == "/v0/websocket" {
            return self.websocket(request, peer, held);
        }
        if let Some(token) = path.strip_prefix("/v0/hosties/") {
            let token = percent_decode(token);
            return self.hostie(&token).await;
        }
        text(StatusCode::NOT_FOUND, "puppet-lint registry: GET /v0/hosties/<token>, or a WebSocket at /v0/websocket\n")
    }
}
