//! The account family: `check_account`, the model of the account (`engine::field::account`) built live. Every event
//! of the run (and for `for` more) is read from the timeline; `message` events are resolved with `MessagePayload`
//! (cached by the session, so shared with `check_received_messages`; as [`super::sample`]
//! reads them); the ids the model chooses are resolved with their payload
//! rpc, each under the model's token bucket, and the answers judged. The ingest path stays cheap: no rpc is sent per
//! event past these bounds.

use std::time::Duration;

use tokio::time::Instant;

use super::watch::of_kinds;
use super::{CheckRun, Failure, Stepped};
use crate::clock::human;
use crate::engine::field::account::{self, Account, Answer, Bucket, Named, Resolver};
use crate::session::What;
use crate::session::{RpcError, SCAN_LIMIT, Session};
use crate::suite::{AccountAction, AccountRule};
use crate::wire::{EventKind, Rpc};

/// The events whose payloads name ids.
const NAMING: &[EventKind] = &[
    EventKind::Message,
    EventKind::Login,
    EventKind::RoomJoin,
    EventKind::RoomLeave,
    EventKind::RoomTopic,
    EventKind::Friendship,
    EventKind::RoomInvite,
];

impl CheckRun {
    pub(super) async fn account_step(&mut self, action: &AccountAction) -> Result<Stepped, Failure> {
        match action {
            AccountAction::CheckAccount { duration, rules } => {
                let duration = self.duration(duration)?;
                Box::pin(self.check_account(duration, rules)).await?;
            }
        }
        Ok(Stepped::nothing())
    }

    async fn check_account(&mut self, duration: Duration, rules: &[AccountRule]) -> Result<(), Failure> {
        let session = self.session()?;
        let timeline = self.context.timeline.clone();
        let deadline = self.cap(duration);
        let mut model = Account::new(rules);
        let mut bucket = Bucket::new(timeline.now());
        let (mut next, mut messages, mut judged) = (0usize, 0usize, 0usize);
        // Messages not judged here: their payload was trimmed, or `MessagePayload` failed (message.received-payloads'
        // rule).
        let (mut trimmed, mut unresolved) = (0usize, 0usize);
        // The lists a bot loads at `ready` name ids too (a refused list is another check's: nothing to resolve).
        if let Ok(contacts) = session.contact_list().await {
            model.listed(timeline.now(), Rpc::ContactList, Resolver::Contact, &contacts);
        }
        if let Ok(rooms) = session.room_list().await {
            model.listed(timeline.now(), Rpc::RoomList, Resolver::Room, &rooms);
        }
        'watch: loop {
            let scan = timeline.scan(next, of_kinds(NAMING), SCAN_LIMIT);
            let caught_up = scan.next >= timeline.len();
            next = scan.next;
            // A message is kept as its id alone across the calls below, not as its parsed event.
            let read: Vec<Read> = scan
                .entries
                .into_iter()
                .filter_map(|entry| {
                    let What::Event(event) = entry.what else { return None };
                    let id = event.field("messageId").map(str::to_owned);
                    let Some(payload) = event.payload else {
                        trimmed += usize::from(!event.kept.is_whole());
                        return None;
                    };
                    if event.kind != EventKind::Message {
                        return Some(Read::Other(entry.seq, entry.at, event.kind, payload));
                    }
                    Some(Read::Message(entry.at, id))
                })
                .collect();
            for entry in read {
                let (at, id) = match entry {
                    Read::Other(seq, at, kind, payload) => {
                        model.event(seq, at, kind, &payload);
                        continue;
                    }
                    Read::Message(at, id) => (at, id),
                };
                messages += 1;
                if !super::sample::reads(messages, judged) {
                    continue;
                }
                let Some(id) = id else { continue };
                judged += 1;
                let Ok(message) = session.message_payload(&id).await else {
                    unresolved += 1;
                    continue;
                };
                model.message(at, &message);
                if let Some(room) = model.wants_members(&message) {
                    if !self.token(&mut bucket, deadline).await {
                        break 'watch;
                    }
                    let members = session.account_members(&room).await;
                    model.members(at, &message, refused(members)?);
                }
                model.judge_talker(at, &message);
            }
            while let Some(named) = model.next_to_resolve() {
                if !self.token(&mut bucket, deadline).await {
                    break 'watch;
                }
                self.resolve(&session, &mut model, &named).await?;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if caught_up {
                self.progress(
                    format!("resolving the account's ids, {} left", human(deadline - now)),
                    Some((duration.saturating_sub(deadline - now), duration)),
                );
                timeline.changed_after(next, deadline.min(now + Duration::from_secs(1))).await;
            }
        }
        let mut said = if model.resolves() { model.coverage() } else { String::new() };
        let mut also = |part: String| {
            if !said.is_empty() {
                said.push_str("; ");
            }
            said.push_str(&part);
        };
        also(if messages > judged {
            format!("{judged} of {messages} messages read ({})", super::sample::words())
        } else {
            format!("{judged} message(s) read")
        });
        if unresolved > 0 {
            also(format!(
                "{unresolved} message(s) not judged: MessagePayload failed (message.received-payloads' rule)"
            ));
        }
        if trimmed > 0 {
            also(format!("{trimmed} event(s) not judged: the recording budget trimmed their payloads"));
        }
        if model.rooms_unjudged > 0 {
            also(format!(
                "{} room message(s) not judged: more than {} rooms",
                model.rooms_unjudged,
                account::ROOMS_MOST
            ));
        }
        let Some(first) = model.findings().first() else {
            self.note = Some(said);
            return Ok(());
        };
        let summary = if model.found == 1 {
            first.message.clone()
        } else {
            format!("{} findings ({said}): {}", model.found, first.message)
        };
        let expected: Vec<String> =
            rules.iter().map(|rule| format!("{} ({rule}, {})", rule.words(), rule.severity())).collect();
        let mut listed: Vec<String> = model.findings().iter().take(5).map(|finding| finding.message.clone()).collect();
        listed.push(said);
        Err(Failure::fail(crate::redact::redact(&summary).into_owned(), expected.join("; "), listed.join("; "))
            .at(first.at))
    }

    /// Waits for the bucket's next token; `false` when the check's time runs out first.
    async fn token(&self, bucket: &mut Bucket, deadline: Instant) -> bool {
        loop {
            match bucket.take(self.context.timeline.now()) {
                Ok(()) => return true,
                Err(wait) => {
                    if Instant::now() + wait >= deadline {
                        return false;
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Resolves one id with its payload rpc (cached by the session: the checks that read the account share the
    /// answers) and hands the answer to the model.
    async fn resolve(&self, session: &Session, model: &mut Account, named: &Named) -> Result<(), Failure> {
        let id = &named.id;
        let answer = match named.resolver {
            Resolver::Contact => refused(session.account_contact(id).await)?.map(|contact| {
                model.contact(named, &contact);
                contact.id
            }),
            Resolver::Room => refused(session.account_room(id).await)?.map(|room| {
                model.room(named, &room);
                room.id
            }),
            Resolver::Friendship => refused(session.account_friendship(id).await)?.map(|friendship| {
                model.friendship(named, &friendship);
                friendship.id
            }),
            Resolver::RoomInvitation => refused(session.account_room_invitation(id).await)?.map(|invitation| {
                model.room_invitation(named, &invitation);
                invitation.id
            }),
        };
        model.answer(named, &answer.map_or_else(Answer::Refused, Answer::Id));
        Ok(())
    }
}

/// An rpc's answer: its value, or the status the service sent (a finding); a connection that failed under it ends
/// the check (the run sees whether the service was lost), a deadline or a malformed answer is puppet-lint's error.
fn refused<T>(result: Result<T, RpcError>) -> Result<Result<T, String>, Failure> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(error @ RpcError::Status { .. }) => Ok(Err(error.shown())),
        Err(error @ RpcError::Transport { .. }) => Err(Failure::connection(&error)),
        Err(error) => Err(Failure::error(error.to_string())),
    }
}

/// An event the id rule read, as it is kept across the rule's calls: a message as its id alone (the bulk of a
/// run's events), any other naming event with its payload.
enum Read {
    Other(usize, Duration, EventKind, serde_json::Value),
    Message(Duration, Option<String>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Action;

    /// Every account rule is asked for by a built-in check: a rule renamed in one place only fails here or when the
    /// suite loads.
    #[test]
    fn every_account_rule_is_asked_for_by_a_built_in_check() {
        let suites = crate::suite::load_suites(&[]).expect("the built-in suites load");
        let mut asked = std::collections::BTreeSet::new();
        for check in suites.iter().flat_map(|suite| suite.checks.iter()) {
            for step in &check.steps {
                if let Action::Account(AccountAction::CheckAccount { rules, .. }) = &step.action {
                    asked.extend(rules.iter().copied());
                }
            }
        }
        let never: Vec<&str> =
            AccountRule::ALL.iter().filter(|rule| !asked.contains(rule)).map(|rule| rule.id()).collect();
        assert!(never.is_empty(), "account rules no built-in check asks for: {never:?}");
        let renamed = crate::suite::BUILTIN.replace("rules: [direct-has-listener]", "rules: [direct-has-listeners]");
        let errors = crate::suite::parse(&renamed, "renamed.yaml").expect_err("the renamed rule is refused");
        assert!(errors.to_string().contains("unknown account rule `direct-has-listeners`"), "{errors}");
    }
}
