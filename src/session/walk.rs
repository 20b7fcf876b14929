//! The connection walk, from a target to a logged-in session: discovery →
//! TCP → TLS → auth (`Version`) → the event stream (opened before `Start`) →
//! `Start` → the bot's login. Each step is sent as a
//! [`RunEvent::SetupStep`] with its duration, and a failure says which step
//! failed and what to try. `run` and `doctor` both walk it; they only render
//! it differently.

use std::sync::Arc;
use std::time::{Duration, Instant as Clock};

use tokio::time::Instant;

use super::scans::Instead;
use super::{RpcError, Session, What};
use crate::config::{Address, Endpoint, Target, Timeouts};
use crate::events::{Observer, RunEvent, SetupStep};
use crate::target::connect::{self, ConnectError};
use crate::target::discovery::{self, Answer, DiscoveryError};
use crate::target::http2::Stuck;
use crate::target::layer::Layer;
use crate::target::tls::{PeerCertificate, SetupError as TlsSetupError};
use crate::wire::EventKind;

#[derive(Debug, thiserror::Error)]
pub enum SetupFailure {
    #[error("{0}")]
    Discovery(DiscoveryError),
    #[error("{0}")]
    Trust(TlsSetupError),
    #[error("{0}")]
    Connect(ConnectError),
    /// The address discovery gave refuses connections.
    #[error("{error} — the address the discovery service at {authority} gave for the token")]
    Discovered { authority: String, error: ConnectError },
    #[error("the service refused the token: {0}")]
    Unauthenticated(RpcError),
    #[error("{0}")]
    Rpc(RpcError),
    /// The connection or the event stream went away for good.
    #[error("{0}")]
    Lost(String),
    #[error("subscribed, but no event within {}", crate::clock::human(*waited))]
    NoFirstEvent { waited: Duration },
    /// No login within the login timeout; `scans`: the scan history (QR codes cut, see [`super::scans`]) when
    /// there was one, `lost`: it shows a Confirmed scan that the provider did not turn into a login. `ended`: the
    /// wait ended before the timeout, at `waited`, because a Confirmed scan was followed by a Cancel or a Timeout
    /// (that QR code's login is over: no login can follow it).
    #[error("{}{}", not_logged_in(*waited, *ended), scan_history(scans))]
    NotLoggedIn { waited: Duration, scans: Option<String>, lost: bool, ended: bool },
}

fn not_logged_in(waited: Duration, ended: bool) -> String {
    if ended {
        format!(
            "the bot did not log in: the scan ended after Confirmed with no login, {} after Start",
            crate::clock::human(waited)
        )
    } else {
        format!("the bot did not log in within {}", crate::clock::human(waited))
    }
}

fn scan_history(scans: &Option<String>) -> String {
    scans.as_ref().map_or_else(String::new, |scans| format!("; scans: {scans}"))
}

impl SetupFailure {
    pub fn hint(&self) -> String {
        match self {
            SetupFailure::Discovery(error) => error.hint(),
            SetupFailure::Discovered { authority, .. } => format!(
                "discovery at {authority} answered with an address nobody serves: the provider registered a wrong \
                 host or port, or stopped without deregistering; check the provider, or use --endpoint HOST:PORT"
            ),
            SetupFailure::Trust(_) => {
                "check the CA file given with --tls-ca-cert or WECHATY_PUPPET_SERVICE_TLS_CA_CERT".into()
            }
            SetupFailure::Connect(error) => error.hint().to_owned(),
            SetupFailure::Unauthenticated(_) => {
                "check the token (--token or WECHATY_PUPPET_SERVICE_TOKEN): this service serves another one".into()
            }
            SetupFailure::Rpc(RpcError::Transport { layer, .. }) => layer.hint().into(),
            SetupFailure::Rpc(error) if error.is_transport() => Layer::Unknown.hint().into(),
            SetupFailure::Rpc(RpcError::Timeout { stuck: Some(Stuck::GoAway(_)), .. }) => {
                "the service sent GOAWAY and then nothing: check its logs (is it shutting down, or limiting clients?)"
                    .into()
            }
            SetupFailure::Rpc(RpcError::Timeout { stuck: Some(_), .. }) => {
                "the service's HTTP/2 settings keep puppet-lint's calls from being sent: a Puppet Service must allow \
                 the event stream and calls beside it (SETTINGS_MAX_CONCURRENT_STREAMS of 2 or more; grpc-js allows \
                 unlimited) and open flow-control windows; check the server's settings, or the proxy in front of it"
                    .into()
            }
            SetupFailure::Rpc(RpcError::Timeout { .. }) => {
                "the service accepted the call but gave no answer in time: check its logs, or allow more with --rpc-timeout"
                    .into()
            }
            SetupFailure::Rpc(RpcError::Malformed { .. }) => {
                "the service answered in broken gRPC: a bug in the provider's server, or a proxy cutting answers short"
                    .into()
            }
            SetupFailure::Rpc(RpcError::Status { rpc: crate::wire::Rpc::Event, code: tonic::Code::AlreadyExists, .. }) => {
                "another client holds this service's one event stream — most likely your own bot: a Puppet Service \
                 serves one subscriber (the official server answers a second ALREADY_EXISTS, \"GrpcServerImpl.event() \
                 can not call twice.\"), and puppet-lint cannot observe events beside it; stop the bot while \
                 puppet-lint runs, or point puppet-lint at a second service"
                    .into()
            }
            SetupFailure::Rpc(_) => "the service answered with an error; its logs may say why".into(),
            SetupFailure::Lost(_) => {
                "the provider stopped serving, or closed the event stream for good: check its logs".into()
            }
            SetupFailure::NoFirstEvent { .. } => {
                "the official server sends a heartbeat as a stream opens; this one sent nothing: check its logs".into()
            }
            SetupFailure::NotLoggedIn { lost: true, .. } => {
                "the user confirmed the scan and the provider did not log in: check the provider's logs for its login \
                 after a confirmed scan; a puppet emits `login` once the scan is confirmed"
                    .into()
            }
            SetupFailure::NotLoggedIn { scans: Some(_), .. } => {
                "scan the QR code with the account's phone, or give more time with --login-timeout".into()
            }
            SetupFailure::NotLoggedIn { .. } => {
                "the puppet emitted no login; check the provider's logs, or give more time with --login-timeout".into()
            }
        }
    }
}

/// How long a probe the other way (TLS or plaintext) may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// How far the walk went.
pub struct Walked {
    /// The discovery answer, when the target was found by token.
    pub discovery: Option<Result<Answer, DiscoveryError>>,
    /// The endpoint, once known.
    pub endpoint: Option<Endpoint>,
    /// The service's `Version`, once it answered.
    pub version: Option<String>,
    /// The session, even when its bot never logged in (its timeline shows why).
    pub session: Option<Arc<Session>>,
    /// The bot's id, or the step that failed and why.
    pub outcome: Result<String, (&'static str, SetupFailure)>,
}

/// What the walk needs besides the target.
#[derive(Clone)]
pub struct WalkOptions {
    pub timeouts: Timeouts,
    /// Where the session's timeline is recorded (`timeline.jsonl` in the
    /// report directory); `None`: a temporary recording.
    pub recording: Option<std::path::PathBuf>,
    /// Wait for the stream's first event before `Start` (`doctor`: proves
    /// the stream delivers; the official server sends a heartbeat at once).
    pub first_event: bool,
}

/// Walks from `target` to a logged-in bot, telling `observer` each step.
pub async fn walk(target: &Target, options: WalkOptions, observer: &dyn Observer) -> Walked {
    let timeouts = options.timeouts;
    let mut walked =
        Walked { discovery: None, endpoint: None, version: None, session: None, outcome: Ok(String::new()) };
    let fail =
        |walked: Walked, step: &'static str, failure: SetupFailure| Walked { outcome: Err((step, failure)), ..walked };

    // Discovery, when the target is a token.
    let clock = Clock::now();
    let endpoint = match &target.address {
        Address::Endpoint(endpoint) => endpoint.clone(),
        Address::Discover(authority) => {
            let token = target.token.as_deref().unwrap_or_default();
            match discovery::discover(authority, token, timeouts.discovery).await {
                Ok(answer) => {
                    let endpoint = answer.endpoint.clone();
                    tell(observer, "discovery", Ok(format!("{endpoint} (from {authority})")), clock);
                    walked.discovery = Some(Ok(answer));
                    endpoint
                }
                Err(error) => {
                    walked.discovery = Some(Err(error.clone()));
                    let failure = SetupFailure::Discovery(error);
                    tell(observer, "discovery", Err(&failure), clock);
                    return fail(walked, "discovery", failure);
                }
            }
        }
    };
    walked.endpoint = Some(endpoint.clone());

    // TCP and TLS, probed on their own so a failure names its layer.
    let clock = Clock::now();
    let tcp = match connect::tcp(&endpoint, timeouts.connect).await {
        Ok(tcp) => tcp,
        Err(error) => {
            let failure = match &target.address {
                Address::Discover(authority) => SetupFailure::Discovered { authority: authority.to_string(), error },
                Address::Endpoint(_) => SetupFailure::Connect(error),
            };
            tell(observer, "tcp", Err(&failure), clock);
            return fail(walked, "tcp", failure);
        }
    };
    tell(observer, "tcp", Ok(format!("connected to {endpoint}")), clock);
    let tls = match crate::target::tls::client(target) {
        Ok(tls) => tls,
        Err(error) => {
            let failure = SetupFailure::Trust(error);
            tell(observer, "tls", Err(&failure), Clock::now());
            return fail(walked, "tls", failure);
        }
    };
    match &tls {
        // Told once the channel shows the service speaks plaintext too (below):
        // a TLS service met without TLS is the one `tls` line, a failure.
        None => drop(tcp),
        Some(tls) => {
            let clock = Clock::now();
            match connect::tls_handshake(&endpoint, tcp, tls, timeouts.connect).await {
                Ok(stream) => {
                    let (_, connection) = stream.get_ref();
                    let peer =
                        connection.peer_certificates().and_then(|chain| chain.first()).and_then(PeerCertificate::of);
                    let detail = match peer {
                        Some(peer) => format!(
                            "verified: server name \"{}\", issuer {}, valid {} → {}, X.509 v{}",
                            tls.server_name, peer.issuer, peer.not_before, peer.not_after, peer.version
                        ),
                        None => format!("verified: server name \"{}\"", tls.server_name),
                    };
                    tell(observer, "tls", Ok(detail), clock);
                }
                Err(error) => {
                    // One cheap probe the other way, to name the cause: the
                    // run still fails.
                    let error = match error {
                        ConnectError::Tls { endpoint: shown, reason }
                        | ConnectError::Unreachable { endpoint: shown, reason }
                        | ConnectError::ClosedEarly { endpoint: shown, reason, .. }
                            if connect::speaks_plaintext_h2(&endpoint, PROBE_TIMEOUT).await =>
                        {
                            ConnectError::ServiceWithoutTls { endpoint: shown, reason }
                        }
                        other => other,
                    };
                    let failure = SetupFailure::Connect(error);
                    tell(observer, "tls", Err(&failure), clock);
                    return fail(walked, "tls", failure);
                }
            }
        }
    }

    // The channel every rpc uses; `Version` proves the token.
    let clock = Clock::now();
    let plaintext = tls.is_none();
    let tls_off = || {
        if plaintext {
            observer.event(RunEvent::SetupStep(SetupStep {
                step: "tls",
                outcome: Ok("off (--no-tls)".into()),
                skipped: true,
                took: Duration::ZERO,
            }));
        }
    };
    let lane_to = super::LaneTo { endpoint: endpoint.clone(), tls: tls.clone() };
    let channel = match connect::channel(&endpoint, tls, timeouts.connect).await {
        Ok(channel) => channel,
        Err(error @ ConnectError::ServiceWithTls { .. }) => {
            let failure = SetupFailure::Connect(error);
            tell(observer, "tls", Err(&failure), clock);
            return fail(walked, "tls", failure);
        }
        Err(error @ ConnectError::NotHttp2 { .. }) => {
            tls_off();
            let failure = SetupFailure::Connect(error);
            tell(observer, "http/2", Err(&failure), clock);
            return fail(walked, "http/2", failure);
        }
        Err(error) => {
            // A TLS service may keep silent on an HTTP/2 preface, or hang up:
            // one ClientHello tells.
            if plaintext && connect::speaks_tls(&endpoint, PROBE_TIMEOUT).await {
                let failure = SetupFailure::Connect(ConnectError::ServiceWithTls {
                    endpoint: endpoint.to_string(),
                    reason: error.to_string(),
                });
                tell(observer, "tls", Err(&failure), clock);
                return fail(walked, "tls", failure);
            }
            let step = match error {
                ConnectError::Silent { .. } | ConnectError::ClosedEarly { .. } => "http/2",
                _ => "auth",
            };
            tls_off();
            let failure = SetupFailure::Connect(error);
            tell(observer, step, Err(&failure), clock);
            return fail(walked, step, failure);
        }
    };
    let session_options = super::Options { rpc_timeout: timeouts.rpc, connect_timeout: timeouts.connect };
    let timeline = match &options.recording {
        Some(path) => super::Timeline::recorded_to(path),
        None => super::Timeline::new(),
    };
    let session =
        Arc::new(Session::new(channel, target.token.as_deref(), session_options, timeline).with_lane(lane_to));
    walked.session = Some(session.clone());
    match session.version().await {
        Ok(version) => {
            tls_off();
            tell(observer, "auth", Ok("token accepted".into()), clock);
            tell(observer, "version", Ok(format!("\"{version}\"")), Clock::now());
            walked.version = Some(version);
        }
        Err(error) => {
            let (step, failure) = match error.code() {
                Some(tonic::Code::Unauthenticated) => ("auth", SetupFailure::Unauthenticated(error)),
                // Plaintext to a TLS service: the HTTP/2 preface meets a
                // TLS server, and the first call breaks.
                _ if plaintext && error.is_transport() && connect::speaks_tls(&endpoint, PROBE_TIMEOUT).await => (
                    "tls",
                    SetupFailure::Connect(ConnectError::ServiceWithTls {
                        endpoint: endpoint.to_string(),
                        reason: error.shown(),
                    }),
                ),
                _ => ("version", SetupFailure::Rpc(error)),
            };
            if step != "tls" {
                tls_off();
            }
            tell(observer, step, Err(&failure), clock);
            return fail(walked, step, failure);
        }
    }

    // The one event stream, opened before `Start`.
    let clock = Clock::now();
    if let Err(error) = session.subscribe().await {
        let failure = SetupFailure::Rpc(error);
        tell(observer, "event stream", Err(&failure), clock);
        return fail(walked, "event stream", failure);
    }
    if options.first_event {
        // A stream that keeps ending loses the service sooner than the wait.
        let first = tokio::select! {
            first = first_event(&session, timeouts.rpc) => first.ok_or(SetupFailure::NoFirstEvent { waited: timeouts.rpc }),
            cause = session.wait_lost() => Err(SetupFailure::Lost(cause)),
        };
        match first {
            Ok(description) => tell(observer, "event stream", Ok(format!("first event: {description}")), clock),
            Err(failure) => {
                tell(observer, "event stream", Err(&failure), clock);
                return fail(walked, "event stream", failure);
            }
        }
    } else {
        tell(observer, "event stream", Ok("subscribed".into()), clock);
    }

    // `Start`, then the login (a person may need to scan).
    let clock = Clock::now();
    match start_and_wait(&session, timeouts.login, observer).await {
        Ok(bot) => {
            tell(observer, "login", Ok(format!("logged in as {bot}")), clock);
            walked.outcome = Ok(bot);
            walked
        }
        Err(failure) => {
            tell(observer, "login", Err(&failure), clock);
            fail(walked, "login", failure)
        }
    }
}

/// Sends one step's outcome; a failure carries its hint.
fn tell(observer: &dyn Observer, step: &'static str, outcome: Result<String, &SetupFailure>, clock: Clock) {
    let outcome = outcome.map_err(|failure| {
        let redact = |text: String| crate::redact::redact(&text).into_owned();
        (redact(failure.to_string()), redact(failure.hint()))
    });
    observer.event(RunEvent::SetupStep(SetupStep { step, outcome, skipped: false, took: clock.elapsed() }));
}

/// The first event on the stream, described.
async fn first_event(session: &Session, timeout: Duration) -> Option<String> {
    let deadline = Instant::now() + timeout;
    let entry = session.timeline().wait_for(0, deadline, |moment| moment.kind.is_some(), |_| true).await?;
    let What::Event(event) = entry.what else { return None };
    Some(if event.connect_heartbeat { format!("{} (stream connect)", event.kind) } else { event.kind.name() })
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
    let mut history = super::scans::ScanHistory::new();
    let mut ended = false;
    loop {
        if let Some(bot) = session.bot_id() {
            return Ok(bot);
        }
        if let Some(cause) = session.lost() {
            return Err(SetupFailure::Lost(cause));
        }
        let scan = timeline.scan(seen, |moment| moment.kind == Some(EventKind::Scan), super::SCAN_LIMIT);
        seen = scan.next;
        for entry in scan.entries {
            if let What::Event(event) = &entry.what
                && event.kind == EventKind::Scan
            {
                let status = crate::wire::ScanStatus::of_payload(event.payload.as_ref());
                // A Confirmed then a Cancel or a Timeout: that code's login is over, judged at once (a new QR code
                // may still be scanned, so it is waited past).
                let lost = history.scan(entry.at, status, event.field("qrcode"));
                ended |= lost.is_some_and(|lost| matches!(lost.instead, Instead::Cancel | Instead::Timeout));
                let status = status.unwrap_or(crate::wire::ScanStatus::Unknown).to_string();
                // Shown whole to the person who must scan it (progress), never kept whole in the history.
                let qrcode = event.field("qrcode").map(|qrcode| crate::redact::redact(qrcode).into_owned());
                observer.event(RunEvent::Scan { status, qrcode });
            }
        }
        if ended && session.bot_id().is_none() {
            let scans = (!history.is_empty()).then(|| history.to_string());
            return Err(SetupFailure::NotLoggedIn { waited: started.elapsed(), scans, lost: true, ended });
        }
        let now = Instant::now();
        if now >= deadline {
            let lost = !history.lost().is_empty() || history.confirmed().is_some();
            let scans = (!history.is_empty()).then(|| history.to_string());
            return Err(SetupFailure::NotLoggedIn { waited: login_timeout, scans, lost, ended: false });
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
