//! Calls on the service: `start`, `stop`, `logout`, `ding`,
//! `contact_payload`, `version`, `authority_token`; and what an rpc's result means for a step
//! (`expect_error:`), shared by every family that calls one.

use super::{CheckRun, Failure, Stepped, fields};
use crate::config::Address;
use crate::session::RpcError;
use crate::session::Session;
use crate::suite::{ErrorExpectation, RpcAction, Step};
use crate::wire::status::code_name;

impl CheckRun {
    pub(super) async fn rpc_step(&mut self, step: &Step, action: &RpcAction) -> Result<Stepped, Failure> {
        let captured = match action {
            RpcAction::Start => self.rpc(step, self.session()?.start().await)?.map(|()| Default::default()),
            RpcAction::Stop => self.rpc(step, self.session()?.stop().await)?.map(|()| Default::default()),
            RpcAction::Logout => self.rpc(step, self.session()?.logout().await)?.map(|()| Default::default()),
            RpcAction::Resubscribe => {
                let slot = self.rpc(step, self.session()?.resubscribe().await)?;
                slot.map(|slot| fields([("slot_ms", slot.as_millis().to_string())]))
            }
            RpcAction::Ding { data } => {
                let data = self.render(data)?;
                self.rpc(step, self.session()?.ding(&data).await)?.map(|()| fields([("data", data)]))
            }
            RpcAction::ContactPayload { id } => {
                let id = self.render(id)?;
                let contact = self.rpc(step, self.session()?.contact_payload(&id).await)?;
                contact.map(|contact| fields([("id", contact.id), ("name", contact.name)]))
            }
            RpcAction::Version { token } => {
                let token = token.as_ref().map(|token| self.render(token)).transpose()?;
                if let Some(token) = &token {
                    crate::redact::register(token);
                }
                let version = self.rpc(step, self.session()?.version_with(token.as_deref()).await)?;
                version.map(|version| fields([("version", version)]))
            }
            RpcAction::AuthorityToken => self.authority_token(step).await?,
        };
        Ok(Stepped::captured(captured))
    }

    /// `Version` as the official client calls it without TLS: a second
    /// channel whose HTTP/2 `:authority` is the token, no `authorization`
    /// metadata (WIRE.md, "Auth and TLS").
    async fn authority_token(&self, step: &Step) -> Result<Option<super::Captured>, Failure> {
        let skip = |summary: &str| Failure {
            kind: super::Kind::Skip,
            summary: summary.to_owned(),
            expected: String::new(),
            observed: String::new(),
            focus: None,
        };
        let live = self.context.live();
        let Some(target) = live.and_then(|live| live.target.as_ref()) else {
            return Err(Failure::error("no target to open a second channel to"));
        };
        if target.tls.is_some() {
            return Err(skip(
                "TLS is on: the official client sends the token as `authorization` metadata over TLS; the :authority \
                 rule is for plaintext services (--no-tls)",
            ));
        }
        let Some(token) = target.token.as_deref() else {
            return Err(skip("the run has no token to carry as the :authority"));
        };
        let endpoint = match (&target.address, live.and_then(|live| live.discovery.as_ref())) {
            (Address::Endpoint(endpoint), _) => endpoint.clone(),
            (Address::Discover(_), Some(Ok(answer))) => answer.endpoint.clone(),
            (Address::Discover(_), _) => return Err(Failure::error("the token did not resolve to an address")),
        };
        let options = self.session()?.options();
        let channel = crate::target::connect::channel_with_authority(&endpoint, token, options.connect_timeout)
            .await
            .map_err(|error| Failure::error(format!("a second channel to {endpoint}: {error}")))?;
        let second = Session::new(channel, None, options, crate::session::Timeline::new());
        match second.version().await {
            Ok(version) => Ok(Some(fields([("version", version)]))),
            Err(error) if error.code() == Some(tonic::Code::Unauthenticated) => Err(Failure::fail(
                format!(
                    "Version with the token as the HTTP/2 :authority and no `authorization` metadata was refused: {}",
                    error.shown()
                ),
                "without TLS, a call whose :authority is the token and that carries no `authorization` succeeds: that \
                 is all the official client sends when TLS is off",
                error.shown(),
            )),
            Err(error) => self.rpc(step, Err::<String, _>(error)).map(|_| None),
        }
    }

    /// What an rpc's result means for the step, given `expect_error`.
    pub(super) fn rpc<T>(&self, step: &Step, result: Result<T, RpcError>) -> Result<Option<T>, Failure> {
        match (result, step.expect_error) {
            (Err(error), _) if error.is_transport() => Err(Failure::connection(&error)),
            (Ok(value), None) => Ok(Some(value)),
            (Err(error), None) => {
                let rpc = error.rpc();
                Err(Failure::fail(error.to_string(), format!("{rpc} succeeds"), error.shown()))
            }
            (Ok(_), Some(expected)) => Err(Failure::fail(
                format!("{} succeeded, but it should have failed{}", step.action.name(), describe_expected(expected)),
                format!("{} fails{}", step.action.name(), describe_expected(expected)),
                "it succeeded",
            )),
            (Err(error), Some(ErrorExpectation::Any)) => {
                let _ = error;
                Ok(None)
            }
            (Err(error), Some(ErrorExpectation::Code(code))) if error.code() == Some(code) => Ok(None),
            (Err(error), Some(expected)) => Err(Failure::fail(
                format!("{error}, not{}", describe_expected(expected).trim_start_matches(" with")),
                format!("{} fails{}", step.action.name(), describe_expected(expected)),
                error.shown(),
            )),
        }
    }
}

fn describe_expected(expected: ErrorExpectation) -> String {
    match expected {
        ErrorExpectation::Any => String::new(),
        ErrorExpectation::Code(code) => format!(" with {}", code_name(code)),
    }
}
