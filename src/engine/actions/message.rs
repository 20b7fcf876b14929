//! Messages: `send_text`, `message_payload`, `message_file`, and
//! `wait_message` (a `message` event, resolved with `MessagePayload`).

use std::time::Duration;

use tokio::time::Instant;

use super::watch::{count_kinds, of_kinds, stream_end};
use super::{Captured, CheckRun, Failure, Mark, Stepped, fields, seconds, shown, skip_instead};
use crate::clock::human;
use crate::engine::field::account::{self, Bucket};
use crate::proto::wechaty::puppet::MessagePayloadResponse;
use crate::session::{Moment, SCAN_LIMIT, Session};

/// How many other messages a wait resolves with `MessagePayload` freely; past it, at most [`account::RATE`] a second.
const INSPECT_LIMIT: usize = 500;

/// The message a wait found: its fields and place, what was waited for, and — when it came back as another kind
/// than what was sent (a text as a file, a file as a text) — how.
struct Found {
    values: Captured,
    mark: Mark,
    wanted: String,
    other_kind: Option<String>,
}
use crate::suite::{DurationExpr, MessageAction, Step, Template};
use crate::wire::filebox::{self, FileBox};
use crate::wire::message::Numbering;
use crate::wire::{EventKind, MessageKind};

impl CheckRun {
    pub(super) async fn message_step(&mut self, step: &Step, action: &MessageAction) -> Result<Stepped, Failure> {
        let captured = match action {
            MessageAction::SendText { to, text, repeat } => {
                let (to, text) = (self.render(to)?, self.render(text)?.repeat(*repeat as usize));
                let id = self.rpc(step, Box::pin(self.session()?.send_text(&to, &text)).await)?;
                id.map(|id| fields([("id", id), ("to", to), ("text", text)]))
            }
            MessageAction::MessagePayload { id } => {
                let id = self.render(id)?;
                let payload = self.rpc(step, Box::pin(self.session()?.message_payload(&id)).await)?;
                payload.map(|payload| message_fields(&payload))
            }
            MessageAction::MessageFile { id } => {
                let id = self.render(id)?;
                match self.rpc(step, Box::pin(self.session()?.message_file(&id)).await)? {
                    Some(json) => Some(file_fields(&json, &id)?),
                    None => None,
                }
            }
            MessageAction::WaitMessage { id, text, name, after, within, or_skip } => {
                let (values, at) = Box::pin(self.wait_message(
                    id.as_ref(),
                    text.as_ref(),
                    name.as_ref(),
                    after.as_deref(),
                    within.as_ref(),
                ))
                .await
                .map_err(|failure| skip_instead(failure, or_skip.as_deref()))?;
                return Ok(Stepped { captured: Some(values), moment: Some(at) });
            }
            MessageAction::ExpectNoMessage { text, name, after, duration } => {
                Box::pin(self.expect_no_message(text.as_ref(), name.as_ref(), after, duration)).await?;
                None
            }
            MessageAction::CheckReceivedMessages { duration } => {
                let duration = self.duration(duration)?;
                Box::pin(self.check_received_messages(duration)).await?;
                None
            }
            MessageAction::CheckMessageContent { duration, rules } => {
                let duration = self.duration(duration)?;
                Box::pin(self.check_message_content(duration, rules)).await?;
                None
            }
        };
        Ok(Stepped::captured(captured))
    }

    async fn wait_message(
        &self,
        id: Option<&Template>,
        text: Option<&Template>,
        name: Option<&Template>,
        after: Option<&str>,
        within: Option<&DurationExpr>,
    ) -> Result<(Captured, Mark), Failure> {
        let found = self.find_message(id, text, name, after, within).await?;
        match found.other_kind {
            None => Ok((found.values, found.mark)),
            Some(how) => {
                Err(Failure::fail(format!("{} came back, but {how}", found.wanted), found.wanted.clone(), how)
                    .at(found.mark.at))
            }
        }
    }

    /// The `message` a wait is for: by id, or the first whose text (or file name) holds what is waited for. Waiting
    /// for a text, a message whose file's name holds it instead is what was sent, come back as a file (and the
    /// other way round for a name): found at once, `other_kind` saying how, not waited past. Each candidate costs a
    /// `MessagePayload`: the first [`INSPECT_LIMIT`] are resolved, then at most [`account::RATE`] a second (a flood
    /// must not become a flood of rpcs); those left uninspected are counted, and a wait that ends without its
    /// message says so as puppet-lint's limit, not the service's failure.
    async fn find_message(
        &self,
        id: Option<&Template>,
        text: Option<&Template>,
        name: Option<&Template>,
        after: Option<&str>,
        within: Option<&DurationExpr>,
    ) -> Result<Found, Failure> {
        let render = |template: Option<&Template>| template.map(|template| self.render(template)).transpose();
        let (id, text, name) =
            (render(id)?.unwrap_or_default(), render(text)?.unwrap_or_default(), render(name)?.unwrap_or_default());
        let after = self.mark(after);
        let (deadline, waited) = self.within(within)?;
        let session = self.session()?;
        let timeline = &self.context.timeline;
        let mut next = after.map_or(0, |mark| mark.after);
        let mut seen: Vec<String> = Vec::new();
        let wanted = if !id.is_empty() {
            format!("a `message` event with id \"{id}\"")
        } else if !text.is_empty() {
            format!("a `message` whose text contains \"{text}\"")
        } else {
            format!("a `message` whose file name contains \"{name}\"")
        };
        // `arrived`: messages scanned; `inspected`: resolved with `MessagePayload` (answered or not); `unresolved`:
        // those that failed; `skipped`: past the limit, not inspected.
        let (mut arrived, mut inspected, mut unresolved, mut skipped) = (0usize, 0, 0, 0);
        let mut bucket = Bucket::new(timeline.now());
        let by_id = !id.is_empty();
        loop {
            // Chosen on the index, before anything is read back: past the limit, a message with no token left is
            // counted and skipped unread (a flood is not parsed to be thrown away).
            let now = timeline.now();
            let choose = |moment: &Moment| {
                if moment.kind != Some(EventKind::Message) {
                    return false;
                }
                if by_id {
                    return true;
                }
                arrived += 1;
                if inspected < INSPECT_LIMIT || bucket.take(now).is_ok() {
                    inspected += 1;
                    true
                } else {
                    skipped += 1;
                    false
                }
            };
            let scan = timeline.scan(next, choose, SCAN_LIMIT);
            let caught_up = scan.next >= timeline.len();
            next = scan.next;
            for entry in &scan.sightings("messageId") {
                if entry.kind != EventKind::Message {
                    continue;
                }
                let Some(message_id) = entry.id.as_deref() else {
                    continue;
                };
                let mut other_kind = None;
                let payload = if !id.is_empty() {
                    if message_id != id {
                        continue;
                    }
                    match session.message_payload(message_id).await {
                        Ok(payload) => payload,
                        Err(error) => {
                            return Err(Failure::fail(
                                format!("the echo arrived, but {error}"),
                                format!("MessagePayload answers for message \"{id}\""),
                                error.shown(),
                            )
                            .at(entry.at));
                        }
                    }
                } else {
                    let Ok(payload) = session.message_payload(message_id).await else {
                        unresolved += 1;
                        continue;
                    };
                    let kind = MessageKind::from_wire(payload.r#type);
                    let matched = if !text.is_empty() {
                        payload.text.contains(&text)
                            || (kind != MessageKind::Text && {
                                let file = self.file_name_of(&session, &payload).await;
                                let as_file = file.as_deref().is_some_and(|file| file.contains(&text));
                                if as_file {
                                    other_kind = Some(format!(
                                        "as a file: `message` \"{}\" is typed {} ({}), its file named \"{}\" — the \
                                         text was sent as a text, and comes back as Text (7) with that text",
                                        shown(&payload.id, 60),
                                        kind.name(),
                                        kind.wire(),
                                        shown(file.as_deref().unwrap_or_default(), 80)
                                    ));
                                }
                                as_file
                            })
                    } else {
                        let file = self.file_name_of(&session, &payload).await;
                        let as_text = file.is_none() && kind == MessageKind::Text && payload.text.contains(&name);
                        if as_text {
                            other_kind = Some(format!(
                                "as a text: `message` \"{}\" is typed {} ({}) with the name in its text (\"{}\"), no \
                                 file — a file was sent, and comes back as a file",
                                shown(&payload.id, 60),
                                kind.name(),
                                kind.wire(),
                                shown(&payload.text, 80)
                            ));
                        }
                        file.is_some_and(|file| file.contains(&name)) || as_text
                    };
                    if !matched {
                        if seen.len() < 3 {
                            seen.push(format!(
                                "{} from {} \"{}\"",
                                payload.id,
                                payload.talker_id,
                                shown(&payload.text, 40)
                            ));
                        }
                        continue;
                    }
                    payload
                };
                timeline.mark_consumed(entry.at);
                return Ok(Found { values: message_fields(&payload), mark: Mark::seen(entry), wanted, other_kind });
            }
            if caught_up {
                if Instant::now() >= deadline {
                    break;
                }
                timeline.changed_after(next, deadline).await;
            }
        }
        let from = after.map_or(0, |mark| mark.after);
        if let Some(ended) = stream_end(&timeline.others_since(from)) {
            return Err(Failure::error(format!("the event stream ended while waiting for {wanted}: {ended}")));
        }
        let failed = if unresolved > 0 {
            format!(" ({unresolved} of them did not resolve with MessagePayload)")
        } else {
            String::new()
        };
        if skipped > 0 {
            return Err(Failure::error(format!(
                "{wanted} was not among the {inspected} of {arrived} messages puppet-lint inspected within {}{failed}: \
                 past {INSPECT_LIMIT}, it resolves at most {} a second, and {skipped} were left uninspected (a flood \
                 of messages hides the one it waits for)",
                human(waited),
                account::RATE
            )));
        }
        let observed = if arrived == 0 && seen.is_empty() {
            format!("no `message` event came back; events seen: {}", count_kinds(timeline, from))
        } else {
            format!("{arrived} other message(s) arrived{failed}: {}", seen.join("; "))
        };
        Err(Failure::fail(
            format!("{wanted} did not come back within {}", human(waited)),
            format!("{wanted}, within {}", human(waited)),
            observed,
        )
        .at(after.map_or(self.started, |mark| mark.at)))
    }

    /// One message per send: no second `message` whose text contains `text` after the capture `after` (the echo
    /// that came) for `duration`. A second one — a provider that delivers what the bot said twice, under new ids —
    /// fails naming both.
    async fn expect_no_message(
        &self,
        text: Option<&Template>,
        name: Option<&Template>,
        after: &str,
        duration: &DurationExpr,
    ) -> Result<(), Failure> {
        let first = self.scope.get(after).and_then(|fields| fields.get("id")).cloned().unwrap_or_default();
        let (what, wanted) = match (text, name) {
            (Some(text), _) => ("text sent", self.render(text)?),
            (None, Some(name)) => ("file name sent", self.render(name)?),
            (None, None) => return Ok(()),
        };
        let field = if text.is_some() { "text" } else { "file name" };
        match self.find_message(None, text, name, Some(after), Some(duration)).await {
            Ok(Found { values: again, mark, .. }) => {
                let second = again.get("id").cloned().unwrap_or_default();
                Err(Failure::fail(
                    format!(
                        "what the bot sent once came back twice: `message` \"{}\" and then `message` \"{}\", both \
                         with the {what} (\"{}\"): one message per send, or the bot reads (and answers) itself \
                         twice",
                        shown(&first, 60),
                        shown(&second, 60),
                        shown(&wanted, 60)
                    ),
                    format!("no second `message` whose {field} contains \"{}\"", shown(&wanted, 60)),
                    format!("`message` \"{}\" at +{}", shown(&second, 60), seconds(mark.at)),
                )
                .at(mark.at))
            }
            Err(failure) if failure.kind == super::Kind::Fail => Ok(()),
            Err(failure) => Err(failure),
        }
    }

    /// Every `message` event of the run (and for `duration` more), resolved
    /// and judged: as [`super::sample`] reads them.
    async fn check_received_messages(&mut self, duration: Duration) -> Result<(), Failure> {
        let session = self.session()?;
        let timeline = self.context.timeline.clone();
        let deadline = self.cap(duration);
        let (mut next, mut messages, mut judged) = (0usize, 0usize, 0usize);
        // Messages whose payload the recording budget trimmed and the run no longer holds: their id is unknown.
        let mut unread = 0usize;
        let mut problems: Vec<(Duration, String)> = Vec::new();
        // Types past wechaty-puppet's own numbering, by number: shown, never failed.
        let mut beyond: std::collections::BTreeMap<i32, usize> = std::collections::BTreeMap::new();
        loop {
            let scan = timeline.scan(next, of_kinds(&[EventKind::Message]), SCAN_LIMIT);
            let caught_up = scan.next >= timeline.len();
            next = scan.next;
            for entry in scan.sightings("messageId") {
                messages += 1;
                if !super::sample::reads(messages, judged) {
                    continue;
                }
                if entry.unread {
                    unread += 1;
                    continue;
                }
                judged += 1;
                let id = entry.id.unwrap_or_default();
                let problem = match session.message_payload(&id).await {
                    Err(error) => Some(format!("message \"{}\" does not resolve: {}", shown(&id, 60), error.shown())),
                    Ok(payload) => {
                        if MessageKind::from_wire(payload.r#type).numbering() != Numbering::Upstream {
                            *beyond.entry(payload.r#type).or_default() += 1;
                        }
                        message_problem(&payload)
                    }
                };
                if let Some(problem) = problem {
                    problems.push((entry.at, format!("seq {}: {problem}", entry.seq)));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if caught_up {
                self.progress(
                    format!("judging received messages, {} left", human(deadline - now)),
                    Some((duration.saturating_sub(deadline - now), duration)),
                );
                timeline.changed_after(next, deadline.min(now + Duration::from_secs(1))).await;
            }
        }
        let mut sampled = if messages > judged + unread {
            format!(" ({judged} of {messages}: {})", super::sample::words())
        } else {
            String::new()
        };
        if unread > 0 {
            sampled.push_str(&format!("; {unread} not judged: the recording budget trimmed their payloads"));
        }
        sampled.push_str(&beyond_numbering(&beyond));
        let Some((at, first)) = problems.first().cloned() else {
            self.note = Some(format!("{judged} message(s) judged{sampled}"));
            return Ok(());
        };
        let mut listed: Vec<String> = problems.iter().take(5).map(|(_, problem)| problem.clone()).collect();
        if !beyond.is_empty() {
            listed.push(beyond_numbering(&beyond).trim_start_matches("; ").to_owned());
        }
        let summary = if problems.len() == 1 {
            first
        } else {
            format!("{} received messages are wrong{sampled}: {first}", problems.len())
        };
        Err(Failure::fail(
            summary,
            "every message resolves, its talker is a contact (not empty, not the room), a Text carries text (types beyond wechaty-puppet's are shown, not failed; where a message goes is message.conversation-shape's)",
            listed.join("; "),
        )
        .at(at))
    }

    /// A message's file name: the payload's, else its file box's (the official
    /// mock leaves `filename` empty).
    async fn file_name_of(&self, session: &Session, payload: &MessagePayloadResponse) -> Option<String> {
        if !payload.filename.is_empty() {
            return Some(payload.filename.clone());
        }
        if MessageKind::from_wire(payload.r#type) == MessageKind::Text {
            return None;
        }
        let json = session.message_file(&payload.id).await.ok()?;
        FileBox::parse(&json).ok().map(|file_box| file_box.name)
    }
}

pub(super) fn message_fields(payload: &MessagePayloadResponse) -> Captured {
    fields([
        ("id", payload.id.clone()),
        ("talker", payload.talker_id.clone()),
        ("listener", payload.listener_id.clone()),
        ("room", payload.room_id.clone()),
        ("text", payload.text.clone()),
        ("filename", payload.filename.clone()),
        ("type", MessageKind::from_wire(payload.r#type).name()),
    ])
}

fn file_fields(json: &str, id: &str) -> Result<Captured, Failure> {
    let file_box = FileBox::parse(json).map_err(|error| {
        Failure::fail(
            format!("MessageFile answered a file box puppet-lint cannot read: {error}"),
            format!("MessageFile(\"{id}\") answers a FileBox as JSON"),
            shown(json, 200),
        )
    })?;
    let (extension, mime) = filebox::mime_of_name(&file_box.name);
    Ok(fields([
        ("name", file_box.name),
        ("mime", mime.unwrap_or_default()),
        ("extension", extension.unwrap_or_default()),
    ]))
}

/// The types past wechaty-puppet's numbering a run received, named where a fork names them: shown, never a failure
/// (a fork's types are its own; an unknown number is kept, as wechaty-puppet keeps it).
fn beyond_numbering(beyond: &std::collections::BTreeMap<i32, usize>) -> String {
    if beyond.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = beyond
        .iter()
        .take(10)
        .map(|(number, count)| {
            let kind = MessageKind::from_wire(*number);
            let whose =
                if kind.numbering() == Numbering::Fork { "a fork's" } else { "not in wechaty-puppet or its forks" };
            let name = kind.name();
            let name = if name == format!("type-{number}") { String::new() } else { format!("{name}, ") };
            format!("type {number} ({name}{whose}) ×{count}")
        })
        .collect();
    format!("; types beyond wechaty-puppet's own, shown and not judged: {}", shown.join(", "))
}

/// What is wrong with a received message's payload, for a bot that reads it
/// (issue reports: a room as the talker sends replies astray; an empty
/// talker crashes contact lookups). Where it goes — a room, or a listener —
/// is the account model's (`message.conversation-shape`). Types are wechaty-puppet's wire numbers
/// (WIRE.md, "Messages": 0–16).
fn message_problem(payload: &MessagePayloadResponse) -> Option<String> {
    let id = shown(&payload.id, 60);
    let kind = MessageKind::from_wire(payload.r#type);
    if payload.talker_id.is_empty() {
        return Some(format!("message \"{id}\": talker_id is empty: every message has a talker (must)"));
    }
    if !payload.room_id.is_empty() && payload.talker_id == payload.room_id {
        return Some(format!(
            "message \"{id}\": talker_id is the room \"{}\": the talker is the contact who spoke, never the room (must)",
            shown(&payload.room_id, 60)
        ));
    }
    if kind == MessageKind::Text && payload.text.is_empty() {
        return Some(format!("message \"{id}\": a Text message (type 7) with no text (must)"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(kind: i32, text: &str) -> MessagePayloadResponse {
        MessagePayloadResponse {
            id: "m-1".into(),
            talker_id: "c-1".into(),
            listener_id: "bot".into(),
            text: text.into(),
            r#type: kind,
            ..Default::default()
        }
    }

    /// System (18, wechaty-puppet ≥ 1.21), the fork's 17–28 and unknown numbers are no problem of the message.
    #[test]
    fn types_past_post_are_no_failure() {
        for kind in [16, 17, 18, 21, 25, 28, 29, 99, -3, i32::MAX] {
            assert_eq!(message_problem(&payload(kind, "")), None, "type {kind}");
        }
        assert!(
            message_problem(&payload(7, ""))
                .is_some_and(|problem| problem.contains("Text message (type 7) with no text"))
        );
    }

    #[test]
    fn types_past_post_are_shown_by_name() {
        let seen = std::collections::BTreeMap::from([(17, 2), (99, 1)]);
        assert_eq!(
            beyond_numbering(&seen),
            "; types beyond wechaty-puppet's own, shown and not judged: type 17 (channel, a fork's) ×2, type 99 \
             (not in wechaty-puppet or its forks) ×1"
        );
        assert_eq!(beyond_numbering(&std::collections::BTreeMap::new()), "");
    }
}
