//! Calls on the service: `start`, `stop`, `logout`, `ding`,
//! `contact_payload`, `version`, `authority_token`, `expect_synced`; and what an rpc's result means for a step
//! (`expect_error:`), shared by every family that calls one.

use std::time::Duration;

use super::{CheckRun, Failure, Stepped, fields};
use crate::config::Address;
use crate::engine::field::synced::{self, Explained, Taken};
use crate::proto::wechaty::puppet as pb;
use crate::session::RpcError;
use crate::session::{Session, What};
use crate::suite::{DurationExpr, ErrorExpectation, RpcAction, Step};
use crate::wire::status::code_name;
use crate::wire::{EventKind, Rpc};

/// The longest pause between two takes of the lists (`expect_synced`).
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// The shortest (a short watch still takes a few lists).
const SYNC_EVERY_MIN: Duration = Duration::from_millis(100);
/// Entries of the timeline read at a time for the events that explain growth.
const SYNC_BATCH: usize = 4096;
/// `friendship` events after `ready` whose payload `expect_synced` reads (past them, each may explain a contact).
const FRIENDSHIPS_READ: usize = 64;

impl CheckRun {
    pub(super) async fn rpc_step(&mut self, step: &Step, action: &RpcAction) -> Result<Stepped, Failure> {
        let captured = match action {
            RpcAction::Start => self.rpc(step, Box::pin(self.session()?.start()).await)?.map(|()| Default::default()),
            RpcAction::Stop => self.rpc(step, Box::pin(self.session()?.stop()).await)?.map(|()| Default::default()),
            RpcAction::Logout => self.rpc(step, Box::pin(self.session()?.logout()).await)?.map(|()| Default::default()),
            RpcAction::Resubscribe => {
                let slot = self.rpc(step, Box::pin(self.session()?.resubscribe()).await)?;
                slot.map(|slot| fields([("slot_ms", slot.as_millis().to_string())]))
            }
            RpcAction::Ding { data } => {
                let data = self.render(data)?;
                self.rpc(step, Box::pin(self.session()?.ding(&data)).await)?.map(|()| fields([("data", data)]))
            }
            RpcAction::ContactPayload { id } => {
                let id = self.render(id)?;
                let contact = self.rpc(step, Box::pin(self.session()?.contact_payload(&id)).await)?;
                contact.map(|contact| fields([("id", contact.id), ("name", contact.name)]))
            }
            RpcAction::Version { token } => {
                let token = token.as_ref().map(|token| self.render(token)).transpose()?;
                if let Some(token) = &token {
                    crate::redact::register(token);
                }
                let version = self.rpc(step, Box::pin(self.session()?.version_with(token.as_deref())).await)?;
                version.map(|version| fields([("version", version)]))
            }
            RpcAction::AuthorityToken => Box::pin(self.authority_token(step)).await?,
            RpcAction::ExpectSynced { after, from, duration } => {
                Box::pin(self.expect_synced(step, after, from.as_deref(), duration)).await?;
                None
            }
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

    /// `expect_synced`: `ContactList` and `RoomList` now (the lists at `after`, normally `ready`), then every
    /// [`SYNC_EVERY`] (a quarter of the watch when shorter) until `duration` has passed since `from`; ids that appear
    /// with no event since `after` that explains them fail ([`synced::judge`]). An rpc answered UNIMPLEMENTED is
    /// left out and said; both left out, the check is skipped.
    async fn expect_synced(
        &mut self,
        step: &Step,
        after: &str,
        from: Option<&str>,
        duration: &DurationExpr,
    ) -> Result<(), Failure> {
        let duration = self.duration(duration)?;
        let session = self.session()?;
        let timeline = self.context.timeline.clone();
        let Some(after_mark) = self.mark(Some(after)) else {
            return Err(Failure::error(format!("`{after}` was not captured before `expect_synced`")));
        };
        let start = self.mark(from).map_or_else(|| timeline.now(), |mark| mark.at);
        let end = start + duration;
        let every = (duration / 4).clamp(SYNC_EVERY_MIN, SYNC_EVERY);
        let rpcs = [Rpc::ContactList, Rpc::RoomList];
        let mut lists: [Vec<Taken>; 2] = [Vec::new(), Vec::new()];
        let mut unimplemented: Vec<Rpc> = Vec::new();
        self.progress(format!("taking ContactList and RoomList until +{:.1}s", end.as_secs_f64()), None);
        loop {
            for (index, rpc) in rpcs.iter().enumerate() {
                if unimplemented.contains(rpc) {
                    continue;
                }
                let answer = match rpc {
                    Rpc::ContactList => session.contact_list().await,
                    _ => session.room_list().await,
                };
                match answer {
                    Ok(ids) => lists[index].push(Taken { at: timeline.now(), ids }),
                    Err(error) if error.code() == Some(tonic::Code::Unimplemented) => unimplemented.push(*rpc),
                    Err(error) => {
                        self.rpc(step, Err::<(), _>(error))?;
                    }
                }
            }
            if unimplemented.len() == rpcs.len() {
                return Err(Failure {
                    kind: super::Kind::Skip,
                    summary: "the service implements neither ContactList nor RoomList (UNIMPLEMENTED): nothing to \
                 hold `ready` against"
                        .to_owned(),
                    expected: String::new(),
                    observed: String::new(),
                    focus: None,
                });
            }
            let now = timeline.now();
            let taken = lists.iter().map(Vec::len).max().unwrap_or(0);
            if now >= end && taken >= 2 {
                break;
            }
            // At least two lists, the last at the end of the watch (or at once when it has passed).
            let pause = if now >= end { Duration::ZERO } else { every.min(end - now) };
            if tokio::time::Instant::now() + pause >= self.deadline {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        // What the events since `after` explain (replays and connect heartbeats tell nothing new).
        let mut explained = Explained::new();
        // A friendship explains a contact only once it is confirmed: its payload tells (the first ones read).
        let mut friendships: Vec<String> = Vec::new();
        let (mut next, last) = (after_mark.after, timeline.len());
        while next < last {
            let to = (next + SYNC_BATCH).min(last);
            for entry in timeline.range(next, to) {
                if let What::Event(event) = &entry.what
                    && !event.replay
                    && !event.connect_heartbeat
                {
                    match event.field("friendshipId") {
                        Some(id) if event.kind == EventKind::Friendship && friendships.len() < FRIENDSHIPS_READ => {
                            friendships.push(id.to_owned());
                        }
                        _ => explained.event(event.kind, event.payload.as_ref()),
                    }
                }
            }
            next = to;
        }
        // Read within the check's deadline: a service that stalls on them cannot hold the check past it.
        let confirm = i32::from(pb::FriendshipType::Confirm);
        for id in &friendships {
            match tokio::time::timeout_at(self.deadline, session.account_friendship(id)).await {
                Ok(Ok(payload)) if payload.r#type != confirm => {}
                // Confirmed, or it cannot be told (refused, or past the deadline): it may explain a contact.
                _ => explained.friendship(),
            }
        }
        let grown: Vec<synced::Growth> =
            rpcs.iter().zip(&lists).filter_map(|(rpc, taken)| synced::judge(*rpc, taken, &explained)).collect();
        let left_out = if unimplemented.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = unimplemented.iter().map(|rpc| rpc.name()).collect();
            format!(" ({} answered UNIMPLEMENTED: not judged)", names.join(", "))
        };
        let counts = |taken: &[Taken]| -> String {
            taken.iter().map(|list| list.ids.len().to_string()).collect::<Vec<_>>().join(" → ")
        };
        let Some(first) = grown.first() else {
            self.note = Some(format!(
                "ContactList {} ids, RoomList {} ids, from `{after}` (+{:.1}s) to +{:.1}s: nothing appeared that no \
                 event explains{left_out}",
                counts(&lists[0]),
                counts(&lists[1]),
                after_mark.at.as_secs_f64(),
                timeline.now().as_secs_f64()
            ));
            return Ok(());
        };
        let observed: Vec<String> = grown.iter().map(ToString::to_string).collect();
        Err(Failure::fail(
            format!("{first}: `ready` came before the data was synced"),
            format!(
                "the contacts and rooms at `{after}` (+{:.1}s) are whole: an id that appears later comes with an \
                 event that explains it (a friendship, a room invitation, a room event or `dirty` naming it){left_out}",
                after_mark.at.as_secs_f64()
            ),
            observed.join("; "),
        )
        .at(first.first_seen))
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
