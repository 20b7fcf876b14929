//! puppet-lint's own Puppet Service: speaks the official server's wire
//! protocol, is conformant by default, and breaks exactly one rule per
//! [`Fault`]. Used by `puppet-lint mock`, by `--mock`, and in-process by tests.

pub mod authority;
mod fault;
mod puppet;

use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
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

pub use fault::Fault;
pub use puppet::{ALICE_PHOTO, CONTACTS};
use puppet::{Health, Mock, Settings};

use crate::proto::health::health_server::HealthServer;
use crate::proto::wechaty::puppet_server::PuppetServer;
use authority::{Authority, server_config, valid_now};

/// The mock's token when none is given. Not a secret: it is printed in
/// `puppet-lint mock --help`.
pub const DEFAULT_TOKEN: &str = "insecure_puppet-lint-mock";

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
}

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
        });
        let expected = (!options.faults.contains(&Fault::AcceptAnyToken)).then(|| format!("Wechaty {}", options.token));
        let router = Server::builder()
            .add_service(PuppetServer::with_interceptor(mock.clone(), TokenCheck { expected }))
            .add_service(HealthServer::new(Health(mock.clone())));
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
            let (connections, accepting) = accept_tls(listener, tokio_rustls::TlsAcceptor::from(config));
            let serving = tokio::spawn(async move {
                let _ = router.serve_with_incoming_shutdown(connections, stopped).await;
            });
            (Some(MockTls { server_name, ca_pem: authority.certificate_pem() }), serving, Some(accepting))
        } else {
            let connections = tokio_stream::wrappers::TcpListenerStream::new(listener);
            let serving = tokio::spawn(async move {
                let _ = router.serve_with_incoming_shutdown(connections, stopped).await;
            });
            (None, serving, None)
        };
        Ok(MockServer {
            address,
            token: options.token,
            tls,
            mock,
            shutdown: Some(shutdown),
            serving: Some(serving),
            accepting,
        })
    }

    /// Ends the event stream (so graceful shutdown has nothing to wait for),
    /// then the server.
    pub async fn shutdown(mut self) {
        self.mock.halt();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
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
        for task in [self.serving.take(), self.accepting.take()].into_iter().flatten() {
            task.abort();
        }
    }
}

/// Checks `authorization: Wechaty <token>` with the official server's words
/// — which echo the token back, as real servers do.
#[derive(Clone)]
struct TokenCheck {
    expected: Option<String>,
}

impl Interceptor for TokenCheck {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.expected else {
            return Ok(request);
        };
        match request.metadata().get("authorization").and_then(|value| value.to_str().ok()) {
            Some(given) if given == expected => Ok(request),
            Some(given) => match given.strip_prefix("Wechaty ") {
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

/// Accepts TCP and completes each TLS handshake on its own task, so a slow
/// or silent client holds up nobody else.
fn accept_tls(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
) -> (tokio_stream::wrappers::ReceiverStream<io::Result<TlsConnection>>, JoinHandle<()>) {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let accepting = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                if let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    let _ = sender.send(Ok(TlsConnection(stream))).await;
                }
            });
        }
    });
    (tokio_stream::wrappers::ReceiverStream::new(receiver), accepting)
}

struct TlsConnection(tokio_rustls::server::TlsStream<TcpStream>);

impl Connected for TlsConnection {
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(context, buffer)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(mut self: Pin<&mut Self>, context: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(context, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(context)
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
