//! From a resolved target to a logged-in session: discovery, connection,
//! auth (`Version`), the event stream (before `Start`), `Start`, and the bot's
//! login. Each failure says which step failed and what to try.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::discovery::{self, Answer, DiscoveryError};
use crate::engine::{Observer, RunEvent};
use crate::session::{self, ConnectError, RpcError, Session, TlsClient, What};
use crate::target::{Address, Endpoint, Target};
use crate::tls::SetupError as TlsSetupError;
use crate::wire::EventKind;
use crate::wire::event::scan_status_name;

#[derive(Debug, Clone)]
pub struct Options {
    pub session: session::Options,
    pub discovery: discovery::Policy,
    /// How long to wait for the bot to log in (a person may need to scan).
    pub login_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            session: session::Options::default(),
            discovery: discovery::Policy::default(),
            login_timeout: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SetupFailure {
    #[error("{0}")]
    Discovery(DiscoveryError),
    #[error("{0}")]
    Trust(TlsSetupError),
    #[error("{0}")]
    Connect(ConnectError),
    #[error("the service refused the token: {0}")]
    Unauthenticated(RpcError),
    #[error("{0}")]
    Rpc(RpcError),
    #[error("the bot did not log in within {}{}", crate::clock::human(*waited), scan_hint(last_scan))]
    NotLoggedIn { waited: Duration, last_scan: Option<String> },
}

fn scan_hint(last_scan: &Option<String>) -> String {
    last_scan.as_ref().map_or_else(String::new, |scan| format!(" (last scan event: {scan})"))
}

impl SetupFailure {
    pub fn hint(&self) -> String {
        match self {
            SetupFailure::Discovery(error) => error.hint().to_owned(),
            SetupFailure::Trust(_) => {
                "check the CA file given with --tls-ca-cert or WECHATY_PUPPET_SERVICE_TLS_CA_CERT".into()
            }
            SetupFailure::Connect(error) => error.hint().to_owned(),
            SetupFailure::Unauthenticated(_) => {
                "check the token (--token or WECHATY_PUPPET_SERVICE_TOKEN): this service serves another one".into()
            }
            SetupFailure::Rpc(error) if error.is_transport() => {
                "the connection broke: check that the service is up and that TLS is on (or off) on both sides".into()
            }
            SetupFailure::Rpc(_) => "the service answered with an error; its logs may say why".into(),
            SetupFailure::NotLoggedIn { last_scan: Some(_), .. } => {
                "scan the QR code with the account's phone, or give more time with --login-timeout".into()
            }
            SetupFailure::NotLoggedIn { .. } => {
                "the puppet emitted no login; check the provider's logs, or give more time with --login-timeout".into()
            }
        }
    }
}

/// A session with the service, authenticated, not yet subscribed.
pub struct Connected {
    pub session: Arc<Session>,
    pub endpoint: Endpoint,
    pub version: String,
    pub answer: Option<Answer>,
}

/// Finds the endpoint (discovering it if the target is a token).
pub async fn endpoint(target: &Target, options: &Options) -> Result<(Endpoint, Option<Answer>), SetupFailure> {
    match &target.address {
        Address::Endpoint(endpoint) => Ok((endpoint.clone(), None)),
        Address::Discover(authority) => {
            let token = target.token.as_deref().unwrap_or_default();
            let answer =
                discovery::discover(authority, token, options.discovery).await.map_err(SetupFailure::Discovery)?;
            Ok((answer.endpoint.clone(), Some(answer)))
        }
    }
}

pub fn tls_client(target: &Target) -> Result<Option<TlsClient>, SetupFailure> {
    let Some(tls) = &target.tls else {
        return Ok(None);
    };
    let trust = tls.trust.load().map_err(SetupFailure::Trust)?;
    let config = trust.client_config().map_err(SetupFailure::Trust)?;
    Ok(Some(TlsClient { config, server_name: tls.server_name.clone() }))
}

/// Connects and proves the token with `Version`.
pub async fn connect(
    target: &Target,
    endpoint: Endpoint,
    answer: Option<Answer>,
    options: &Options,
) -> Result<Connected, SetupFailure> {
    let tls = tls_client(target)?;
    let channel = session::connect::channel(&endpoint, tls, options.session.connect_timeout)
        .await
        .map_err(SetupFailure::Connect)?;
    let session = Arc::new(Session::new(channel, target.token.as_deref(), options.session));
    let version = session.version().await.map_err(|error| match error.code() {
        Some(tonic::Code::Unauthenticated) => SetupFailure::Unauthenticated(error),
        _ => SetupFailure::Rpc(error),
    })?;
    Ok(Connected { session, endpoint, version, answer })
}

/// Subscribes, starts, and waits for the bot to log in.
pub async fn log_in(
    session: &Session,
    login_timeout: Duration,
    observer: &dyn Observer,
) -> Result<String, SetupFailure> {
    session.subscribe().await.map_err(SetupFailure::Rpc)?;
    start_and_wait(session, login_timeout, observer).await
}

/// On a subscribed session: starts, and waits for the bot to log in; scans
/// are shown as they come, so a person can act on them.
pub async fn start_and_wait(
    session: &Session,
    login_timeout: Duration,
    observer: &dyn Observer,
) -> Result<String, SetupFailure> {
    session.start().await.map_err(SetupFailure::Rpc)?;
    let started = Instant::now();
    let deadline = started + login_timeout;
    let timeline = session.timeline();
    let mut seen = 0;
    let mut asked_current_user = false;
    let mut last_scan = None;
    loop {
        if let Some(bot) = session.bot_id() {
            return Ok(bot);
        }
        for entry in timeline.since(seen) {
            seen = entry.seq + 1;
            if let What::Event(event) = &entry.what
                && event.kind == EventKind::Scan
            {
                let status =
                    event.payload.as_ref().and_then(|payload| payload.get("status")).and_then(|status| status.as_i64());
                let text = match (event.field("qrcode"), status) {
                    (Some(qrcode), Some(status)) => {
                        format!("{} — scan {qrcode}", scan_status_name(status))
                    }
                    (None, Some(status)) => scan_status_name(status).to_owned(),
                    _ => "scan event".to_owned(),
                };
                observer.event(RunEvent::Phase(format!("waiting for login: {text}")));
                last_scan = Some(text);
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(SetupFailure::NotLoggedIn { waited: login_timeout, last_scan });
        }
        // After a moment without a login, ask: a fork's CurrentUser knows the
        // bot even when no login is replayed.
        if !asked_current_user && now >= started + Duration::from_secs(2) {
            asked_current_user = true;
            if let Ok(id) = session.current_user().await
                && !id.is_empty()
            {
                session.set_bot_id(&id);
                continue;
            }
        }
        timeline.changed_after(seen, deadline.min(now + Duration::from_millis(250))).await;
    }
}
