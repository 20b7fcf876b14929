//! Discovery and registration: `discover` (the run's discovery answer) and
//! `registration` (with `--registry`: the provider registers, names its
//! gRPC port, and that port answers `Version` for its token).

use std::net::IpAddr;
use std::time::Duration;

use super::{Captured, CheckRun, Failure, Stepped, fields};
use crate::clock::human;
use crate::config::Target;
use crate::suite::{DiscoveryAction, DurationExpr};

impl CheckRun {
    pub(super) async fn discovery_step(&mut self, action: &DiscoveryAction) -> Result<Stepped, Failure> {
        let captured = match action {
            DiscoveryAction::Discover => self.discover()?,
            DiscoveryAction::Registration { within } => self.registration(within.as_ref()).await?,
        };
        Ok(Stepped::captured(Some(captured)))
    }

    fn discover(&self) -> Result<Captured, Failure> {
        let live = self.context.live();
        match live.and_then(|live| live.discovery.as_ref()) {
            None => Err(Failure::error("the target was not found by discovery (it was given as an endpoint)")),
            Some(Err(error)) => Err(Failure::fail(
                error.to_string(),
                "the token resolves to a non-empty host and a non-zero port",
                error.to_string(),
            )),
            Some(Ok(answer)) => Ok(fields([
                ("host", answer.endpoint.host.clone()),
                ("port", answer.endpoint.port.to_string()),
                ("legacy_ip", answer.has_legacy_ip.to_string()),
                ("extra_keys", answer.extra_keys.join(",")),
                ("authority", live.and_then(|live| live.authority.clone()).unwrap_or_default()),
                ("body", answer.body.clone()),
            ])),
        }
    }

    /// The provider registered with puppet-lint's registry, and the port it
    /// names for `getHostieGrpcPort` answers gRPC for its token.
    async fn registration(&self, within: Option<&DurationExpr>) -> Result<Captured, Failure> {
        let live = self.context.live();
        let registry = live
            .and_then(|live| live.registry.clone())
            .ok_or_else(|| Failure::error("no registry: run with --registry"))?;
        let target =
            live.and_then(|live| live.target.clone()).ok_or_else(|| Failure::error("no target token to register"))?;
        let token = target.token.clone().unwrap_or_default();
        let (deadline, waited) = self.within(within)?;
        self.progress(format!("waiting for the provider to register at {}", registry.websocket_url()), None);
        let Some(registration) = registry.wait_registered(&token, deadline).await else {
            return Err(Failure::fail(
                format!("the provider did not register its token within {}", human(waited)),
                format!("a WebSocket to {} with `Authorization: Token <token>`", registry.websocket_url()),
                format!("registered tokens: {}", registry.registered_masked().join(", ")),
            ));
        };
        let port = registry.ask_grpc_port(&token).await.map_err(|problem| {
            Failure::fail(
                format!("the provider did not answer getHostieGrpcPort: {problem}"),
                "a JSON-RPC answer `{\"result\": <port>}` within 5s",
                problem,
            )
        })?;
        let ip = registration.address();
        let probed = probe_grpc(&target, &ip, port, &registry.options().allow).await;
        let captured =
            fields([("port", port.to_string()), ("ip", ip.to_string()), ("answered", probed.is_ok().to_string())]);
        match probed {
            Ok(()) => Ok(captured),
            Err(ProbeError::NotAllowed(why)) => Err(Failure::error(why)),
            Err(ProbeError::NoAnswer(why)) => Err(Failure::fail(
                format!("getHostieGrpcPort answered {port}, but the gRPC service does not answer there: {why}"),
                format!("the Puppet Service answers `Version` at {ip}:{port}, the port the provider named"),
                why,
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum ProbeError {
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    NoAnswer(String),
}

/// Whether the Puppet Service answers `Version` for `target`'s token at
/// `ip:port` — with the target's TLS settings — and only where allowed.
async fn probe_grpc(target: &Target, ip: &IpAddr, port: u16, allow: &[IpAddr]) -> Result<(), ProbeError> {
    if !(ip.is_loopback() || allow.contains(ip)) {
        return Err(ProbeError::NotAllowed(format!(
            "not probing {ip}: only loopback and --allow addresses are probed"
        )));
    }
    let endpoint = crate::config::Endpoint { host: ip.to_string(), port };
    let tls = crate::target::tls::client(target).map_err(|failure| ProbeError::NoAnswer(failure.to_string()))?;
    let channel = crate::target::connect::channel(&endpoint, tls, Duration::from_secs(5))
        .await
        .map_err(|error| ProbeError::NoAnswer(error.to_string()))?;
    let timeline = crate::session::Timeline::new();
    let session =
        crate::session::Session::new(channel, target.token.as_deref(), crate::session::Options::default(), timeline);
    session.version().await.map(drop).map_err(|error| ProbeError::NoAnswer(error.to_string()))
}
