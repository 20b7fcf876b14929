//! puppet-lint's own Puppet Service: speaks the official server's wire
//! protocol, is conformant by default, and breaks exactly one rule per
//! [`Fault`]. Used by `puppet-lint mock`, by `--mock`, and in-process by tests.

pub mod authority;
mod fault;
mod layer;
mod puppet;

pub use puppet::Sent;

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::service::Interceptor;
use tonic::transport::Server;
use tonic::transport::server::Connected;
use tonic::{Request, Status};

pub use fault::{Fault, MISBEHAVIOURS};
use layer::AuthorityToken;
pub use puppet::{ALICE_PHOTO, CAROL, CONTACTS, PersonAct, ROOM};
use puppet::{Health, Mock, Settings};

use crate::proto::health::health_server::HealthServer;
use crate::proto::wechaty::puppet_server::PuppetServer;
use authority::{Authority, server_config, valid_now};

/// The mock's token when none is given. Not a secret: it is printed in
/// `puppet-lint mock --help`. No word in its secret part: any 8 characters
/// of a secret are masked wherever they appear (`puppet-lint-mock` would
/// mask the mock's own version string, and every `puppet-lint`).
pub const DEFAULT_TOKEN: &str = "insecure_mock-4f1e2a9c";

#[derive(Debug, Clone)]
pub struct MockOptions {
    pub listen: SocketAddr,
    pub token: String,
    pub tls: bool,
    pub faults: Vec<Fault>,
    pub heartbeat_interval: Duration,
    pub pace: Duration,
    /// Raw events (type number, payload) sent after each login: for seeing
    /// how a client copes with what a broken provider sends.
    pub after_login: Vec<(i32, String)>,
    /// How many `message` events `flood` sends.
    pub flood_count: u64,
    /// How late `slow` answers.
    pub slow_delay: Duration,
}

pub const DEFAULT_FLOOD_COUNT: u64 = 200_000;
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_secs(20);

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: DEFAULT_TOKEN.into(),
            tls: false,
            faults: Vec::new(),
            heartbeat_interval: Duration::from_secs(15),
            pace: Duration::from_millis(100),
            after_login: Vec::new(),
            flood_count: DEFAULT_FLOOD_COUNT,
            slow_delay: DEFAULT_SLOW_DELAY,
        }
    }
}

/// A running mock. Dropping it without [`MockServer::shutdown`] also stops it.
pub struct MockServer {
    pub address: SocketAddr,
    pub token: String,
    /// With `tls`: the name its certificate carries and the CA that signed it.
    pub tls: Option<MockTls>,
    mock: Mock,
    shutdown: Option<oneshot::Sender<()>>,
    serving: Option<JoinHandle<()>>,
    accepting: Option<JoinHandle<()>>,
    crashing: Option<JoinHandle<()>>,
}

#[derive(Debug, Clone)]
pub struct MockTls {
    pub server_name: String,
    pub ca_pem: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot listen on {address}: {error}")]
    Listen { address: SocketAddr, error: io::Error },
    #[error("cannot make the mock's TLS certificate: {0}")]
    Certificate(String),
}

impl MockServer {
    /// Every message the bot sent so far: by which rpc, to which conversation, as which bot (the first 10000).
    pub fn sends(&self) -> Vec<Sent> {
        self.mock.sends()
    }

    /// A person on the other side acts now: sends the bot a file, asks for friendship, invites it to a room (what
    /// `--interactive` asks a person to do; tests stand in for the person).
    pub fn person_acts(&self, act: PersonAct) {
        self.mock.person_acts(act);
    }

    /// The members of a room as the mock holds them now (the mock's own room, or one the bot made); `None` for a
    /// room it does not know.
    pub fn room_members(&self, room: &str) -> Option<Vec<String>> {
        self.mock.members_of(room).ok()
    }

    /// The rooms the bot is in now (`RoomList`'s answer).
    pub fn rooms(&self) -> Vec<String> {
        self.mock.rooms_listed()
    }

    pub async fn start(options: MockOptions) -> Result<MockServer, MockError> {
        crate::redact::register(&options.token);
        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|error| MockError::Listen { address: options.listen, error })?;
        let address = listener.local_addr().map_err(|error| MockError::Listen { address: options.listen, error })?;
        let mock = Mock::new(Settings {
            faults: options.faults.iter().copied().collect::<HashSet<_>>(),
            heartbeat_interval: options.heartbeat_interval,
            pace: options.pace,
            after_login: options.after_login.clone(),
            flood_count: options.flood_count,
        });
        let has = |fault| options.faults.contains(&fault);
        let expected = (!has(Fault::AcceptAnyToken) && !has(Fault::TokenEcho)).then(|| options.token.clone());
        let behaviour =
            layer::Behaviour { hang: has(Fault::HangAll), delay: has(Fault::Slow).then_some(options.slow_delay) };
        let router = Server::builder()
            .layer(tower::layer::layer_fn(move |inner| layer::Wire::new(inner, behaviour)))
            .add_service(PuppetServer::with_interceptor(
                mock.clone(),
                TokenCheck { expected, mock: mock.clone(), authority: !has(Fault::NoAuthorityToken) },
            ))
            .add_service(HealthServer::new(Health(mock.clone())));
        let connections = Connections::default();
        let (shutdown, stop) = oneshot::channel::<()>();
        let stopped = async move {
            let _ = stop.await;
        };
        let (tls, serving, accepting) = if options.tls {
            let server_name = certificate_name(&options.token);
            let authority =
                Authority::new("puppet-lint mock CA").map_err(|error| MockError::Certificate(error.to_string()))?;
            let leaf = authority
                .issue_v1(&server_name, valid_now())
                .map_err(|error| MockError::Certificate(error.to_string()))?;
            let config =
                server_config(leaf.certificate, leaf.key).map_err(|error| MockError::Certificate(error.to_string()))?;
            let (incoming, accepting) =
                accept_tls(listener, tokio_rustls::TlsAcceptor::from(config), connections.clone());
            let serving = tokio::spawn(async move {
                let _ = router.serve_with_incoming_shutdown(incoming, stopped).await;
            });
            (Some(MockTls { server_name, ca_pem: authority.certificate_pem() }), serving, accepting)
        } else {
            let (incoming, accepting) = accept_plain(listener, connections.clone());
            let serving = tokio::spawn(async move {
                let _ = router.serve_with_incoming_shutdown(incoming, stopped).await;
            });
            (None, serving, accepting)
        };
        // `crash`: when the mock says it died, the port closes and every
        // connection is cut, as when a provider's process ends.
        let crashing = {
            let (mock, accepting) = (mock.clone(), accepting.abort_handle());
            tokio::spawn(async move {
                mock.crashed().await;
                accepting.abort();
                mock.halt();
                connections.cut_all();
            })
        };
        Ok(MockServer {
            address,
            token: options.token,
            tls,
            mock,
            shutdown: Some(shutdown),
            serving: Some(serving),
            accepting: Some(accepting),
            crashing: Some(crashing),
        })
    }

    /// Ends the event stream (so graceful shutdown has nothing to wait for),
    /// then the server.
    pub async fn shutdown(mut self) {
        self.mock.halt();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        for task in [self.accepting.take(), self.crashing.take()].into_iter().flatten() {
            task.abort();
        }
        if let Some(serving) = self.serving.take() {
            let abort = serving.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), serving).await.is_err() {
                abort.abort();
            }
        }
    }

    /// Waits for Ctrl-C or SIGTERM, then shuts down.
    pub async fn serve_until_signal(self) {
        crate::signal::interrupted().await;
        self.shutdown().await;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.mock.halt();
        for task in [self.serving.take(), self.accepting.take(), self.crashing.take()].into_iter().flatten() {
            task.abort();
        }
    }
}

/// Checks `authorization: Wechaty <token>` with the official server's words
/// — which echo the token back, as real servers do. Without `authorization`
/// the HTTP/2 `:authority` is the token, as on the official server: that is
/// all its client sends when TLS is off.
#[derive(Clone)]
struct TokenCheck {
    /// `None`: any token is accepted.
    expected: Option<String>,
    mock: Mock,
    /// The `:authority` counts as the token (`no-authority-token`: not).
    authority: bool,
}

impl Interceptor for TokenCheck {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let authorization = match request.metadata().get("authorization") {
            Some(value) => Some(value.to_str().unwrap_or("").to_owned()),
            None if self.authority => {
                request.extensions().get::<AuthorityToken>().map(|AuthorityToken(token)| format!("Wechaty {token}"))
            }
            None => None,
        };
        if let Some(token) = authorization.as_deref().and_then(|given| given.strip_prefix("Wechaty ")) {
            self.mock.note_token(token);
        }
        let Some(expected) = &self.expected else {
            return Ok(request);
        };
        match authorization.as_deref() {
            Some(given) => match given.strip_prefix("Wechaty ") {
                Some(token) if token == expected => Ok(request),
                Some(token) => Err(Status::unauthenticated(format!("Invalid Wechaty TOKEN \"{token}\""))),
                None => Err(Status::unauthenticated(format!(
                    "Invalid authorization type: \"{}\"",
                    given.split_whitespace().next().unwrap_or("")
                ))),
            },
            None => Err(Status::unauthenticated("No Authorization found.")),
        }
    }
}

/// Every connection the mock holds, so that `crash` can cut them all: a
/// second handle on each socket, dropped with the connection.
#[derive(Clone, Default)]
struct Connections {
    open: Arc<Mutex<HashMap<u64, std::net::TcpStream>>>,
    next: Arc<AtomicU64>,
}

impl Connections {
    /// Registers `tcp`; the returned handle forgets it when dropped.
    fn track(&self, tcp: TcpStream) -> io::Result<(TcpStream, Tracked)> {
        let std = tcp.into_std()?;
        let second = std.try_clone()?;
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(id, second);
        Ok((TcpStream::from_std(std)?, Tracked { id, connections: self.clone() }))
    }

    /// Shuts every socket down both ways: reads end, writes fail, the peer
    /// sees the connection close.
    fn cut_all(&self) {
        for (_, socket) in self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).drain() {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }
}

struct Tracked {
    id: u64,
    connections: Connections,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.connections.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&self.id);
    }
}

/// Accepts TCP, tracked.
fn accept_plain(
    listener: TcpListener,
    connections: Connections,
) -> (tokio_stream::wrappers::ReceiverStream<io::Result<Connection<TcpStream>>>, JoinHandle<()>) {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let accepting = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            if let Ok((tcp, tracked)) = connections.track(tcp)
                && sender.send(Ok(Connection { stream: tcp, _tracked: tracked })).await.is_err()
            {
                break;
            }
        }
    });
    (tokio_stream::wrappers::ReceiverStream::new(receiver), accepting)
}

/// Accepts TCP and completes each TLS handshake on its own task, so a slow
/// or silent client holds up nobody else.
fn accept_tls(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    connections: Connections,
) -> (tokio_stream::wrappers::ReceiverStream<io::Result<TlsConnection>>, JoinHandle<()>) {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let accepting = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok((tcp, tracked)) = connections.track(tcp) else { continue };
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                if let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    let _ = sender.send(Ok(Connection { stream, _tracked: tracked })).await;
                }
            });
        }
    });
    (tokio_stream::wrappers::ReceiverStream::new(receiver), accepting)
}

type TlsConnection = Connection<tokio_rustls::server::TlsStream<TcpStream>>;

/// A served connection (plain or TLS), tracked for `crash`.
struct Connection<S> {
    stream: S,
    /// Forgets the connection when it is dropped.
    _tracked: Tracked,
}

impl<S> Connected for Connection<S> {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl<S: AsyncRead + Unpin> AsyncRead for Connection<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(context, buffer)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Connection<S> {
    fn poll_write(mut self: Pin<&mut Self>, context: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(context, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(context)
    }
}

/// The name the mock's certificate carries. The mock keeps its own table
/// rather than the checker's rule: the Wechaty token convention
/// `<server name>_<id>` for the prefixes puppet-lint's own tests and demos
/// use, and `insecure` — the official server's default certificate name —
/// for everything else (WIRE.md, "Auth and TLS").
pub fn certificate_name(token: &str) -> String {
    const PREFIXES: &[(&str, &str)] =
        &[("insecure_", "insecure"), ("puppet_lint_", "puppet_lint"), ("puppet_mock_", "puppet_mock")];
    let lower = token.to_ascii_lowercase();
    PREFIXES.iter().find(|(prefix, _)| lower.starts_with(prefix)).map_or("insecure", |(_, name)| name).to_owned()
}
