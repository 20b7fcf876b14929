//! The capability family's action, `probe`: one row of the capability table (`vocab::capability::Row`), probed on
//! the live service, coming to an outcome that rests on an observed effect — an echo of the right type, a read-back,
//! an event, an id that resolves — never on an OK alone (`../shared/CAPABILITIES.md` §2.2 says how each row is
//! observed; §3 what "unsupported" looks like on the wire).
//!
//! Sends go to the bot itself only (its own id: "filehelper" does not exist on every provider); a row that needs a
//! peer (`--peer-contact`, `--peer-room`) is untested without one; what a peer or destructive probe changes (an
//! alias, an announcement, a topic) is put back and read back, and a failed restore is said.
//!
//! The outcome becomes the check's verdict: supported and partial pass, broken is a finding of the check's level
//! (`should` unless `--require` named the row), unsupported and untested skip — unless the row is required, then
//! they fail too.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

mod account;
mod destructive;
mod human;
mod messages;

pub use destructive::Decided;

use super::watch::{event_of, of_kinds};
use super::{CheckRun, Failure, Kind, Stepped, shown};
use crate::events::{CapabilityEvidence, CapabilityReport, TimelineEntry};
use crate::proto::wechaty::puppet as pb;
use crate::session::{RpcError, SCAN_LIMIT, Session, Timeline};
use crate::suite::{CapabilityAction, Severity};
use crate::vocab::capability::{Outcome, Row, SideEffect, declares_unsupported};
use crate::wire::filebox::FileBox;
use crate::wire::status::{code_name, first_line};
use crate::wire::{EventKind, MessageKind, Rpc};

/// The longest a probe waits for an echo or an event (the heartbeat window, when shorter).
const ECHO_WAIT: Duration = Duration::from_secs(30);

/// The shortest window the probes that run beside the conformance checks are given to end in, whatever
/// `--heartbeat-window` says.
const SHORTEST_WINDOW: Duration = Duration::from_secs(5);

/// How long past the window's end a probe that runs beside the conformance checks may take to wind down (its calls
/// end at the window's end; what it does after them is local).
const WIND_DOWN: Duration = Duration::from_millis(250);

/// How many timeline entries a supported row's evidence keeps (the others keep the check's usual excerpt): a run of
/// 50 probes in a flood of events keeps report.json small.
const SUPPORTED_EXCERPT: usize = 4;

/// How many timeline entries a probe reads back at a time. Small: a target's 50 probes wait together, each holding
/// what it read while it asks `MessagePayload` of one entry after another (at the timeline's own 1,024 a step, a
/// hundred probing targets held 28 MiB of parsed events).
const PROBE_SCAN: usize = 32;

/// How many of a list's ids a probe resolves.
const RESOLVE_AT_MOST: usize = 5;

/// How many other messages a probe reads while it looks for an echo without an id.
const INSPECT_AT_MOST: usize = 50;

/// What a probe found: its outcome and what shows it.
#[derive(Debug)]
struct Found {
    outcome: Outcome,
    /// `partial`: what falls short; `untested`: why; otherwise a line on what was seen.
    note: String,
    expected: String,
    seen: String,
    /// A row another check's probe decided ([`Decided`]): the timeline span its evidence shows, and the rpc that
    /// decided it.
    earlier: Option<Box<Earlier>>,
    /// What a probe changed and could not put back (a member left out of a room, say): whatever the row's outcome,
    /// the check warns so a person puts it back by hand.
    restore_failed: Option<String>,
}

/// Where a row decided by another check's probe was decided.
#[derive(Debug, Clone)]
struct Earlier {
    from: Duration,
    to: Duration,
    rpc: Option<(Rpc, String)>,
}

impl Found {
    fn new(outcome: Outcome, note: impl Into<String>, expected: impl Into<String>, seen: impl Into<String>) -> Found {
        Found {
            outcome,
            note: note.into(),
            expected: expected.into(),
            seen: seen.into(),
            earlier: None,
            restore_failed: None,
        }
    }

    fn supported(expected: impl Into<String>, seen: impl Into<String>) -> Found {
        let seen = seen.into();
        Found::new(Outcome::Supported, seen.clone(), expected, seen)
    }

    fn partial(note: impl Into<String>, expected: impl Into<String>, seen: impl Into<String>) -> Found {
        Found::new(Outcome::Partial, note, expected, seen)
    }

    fn broken(expected: impl Into<String>, seen: impl Into<String>) -> Found {
        let seen = seen.into();
        Found::new(Outcome::Broken, seen.clone(), expected, seen)
    }

    fn untested(reason: impl Into<String>) -> Found {
        let reason = reason.into();
        Found::new(Outcome::Untested, reason.clone(), "", reason)
    }
}

/// Why a probe stopped before its last step: an outcome already decided, or puppet-lint's own failure (the
/// connection, a malformed answer), which is the check's error, not the row's outcome.
enum Halt {
    Found(Found),
    Failure(Failure),
}

impl From<Failure> for Halt {
    fn from(failure: Failure) -> Halt {
        Halt::Failure(failure)
    }
}

type Probing<T> = Result<T, Halt>;

/// A probe under way: the session, the bot, the check's nonce, and the last rpc it called (with its status), which
/// the evidence names.
struct Probe<'a> {
    run: &'a CheckRun,
    session: std::sync::Arc<Session>,
    bot: String,
    nonce: String,
    last: Mutex<Option<(Rpc, String)>>,
    /// How long the probe waits for an echo or an event, and until when.
    wait: Duration,
    deadline: Instant,
    /// The heartbeat window's end took more than a second from `wait` (the probe began late in it): what had not
    /// come by `deadline` is not decided, rather than broken.
    cut: bool,
    /// The probe runs again alone on the probes' connection ([`Session::alone`]): a connection that fails under one
    /// of its calls now was ended by that call's answer.
    alone: bool,
    /// When the heartbeat window the probes run in ends (at least [`SHORTEST_WINDOW`] after the ordinary checks
    /// began): what a probe watches without asking anyone ends with it.
    window_ends: Instant,
}

/// Reads one id field (`messageId`, `friendshipId`) of the events of one kind, from a place in the timeline on:
/// a batch of ids at a time, with each event's instant, waiting for more until a deadline. It keeps the ids alone,
/// not the entries they were read from: a target's 50 probes wait at once, and a probe asks the service about each
/// id it reads (at 100 targets, each probe holding its parsed batch across those calls and its waits was most of
/// the probes' memory).
///
/// The one reader of the probes that watch events: the echo of a send, a message from another talker, the
/// friendship an `Add friends` request leads to.
struct IdReader {
    kind: EventKind,
    field: &'static str,
    /// The first entry not read yet.
    next: usize,
}

impl IdReader {
    fn new(kind: EventKind, field: &'static str, from: usize) -> IdReader {
        IdReader { kind, field, next: from }
    }

    /// The ids read since the last batch — those of the entries the timeline holds now (at most [`PROBE_SCAN`]
    /// entries of the kind a batch). Caught up, it waits for the timeline to grow until `until`: `None` once
    /// `until` has passed with nothing new; with no `until`, `None` at once when caught up.
    async fn batch(&mut self, timeline: &Timeline, until: Option<Instant>) -> Option<Vec<(String, Duration)>> {
        loop {
            let ids: Vec<(String, Duration)> = {
                let scan = timeline.scan(self.next, of_kinds(&[self.kind]), PROBE_SCAN);
                self.next = scan.next;
                scan.sightings(self.field).into_iter().filter_map(|seen| Some((seen.id?, seen.at))).collect()
            };
            if !ids.is_empty() {
                return Some(ids);
            }
            if self.next < timeline.len() {
                continue;
            }
            let until = until?;
            if Instant::now() >= until {
                return None;
            }
            timeline.changed_after(self.next, until).await;
        }
    }
}

impl CheckRun {
    pub(super) async fn capability_step(&mut self, action: &CapabilityAction) -> Result<Stepped, Failure> {
        let CapabilityAction::Probe { row } = action;
        let row = *row;
        let required = self.check.severity == Severity::Must;
        let from = self.context.timeline.now();
        // Probes call on their own connection: an answer that ends it ends no conformance check.
        let main = self.session()?;
        let session = Box::pin(main.probe_lane()).await.map_err(Failure::error)?;
        let bot = self.scope.get("bot").and_then(|fields| fields.get("")).cloned();
        let Some(bot) = bot else {
            return Err(Failure::error("the bot is not logged in, so no capability can be probed"));
        };
        // The window the probes run in: the heartbeat window, but never shorter than a loaded machine needs to send
        // and read back (demos and tests shorten the window to a second or two).
        let window = self.context.settings.window.max(SHORTEST_WINDOW);
        let wait = ECHO_WAIT.min(window);
        // A row a person must act on watches what the run receives (and, asking a person, waits for the others to
        // come to watching): it does not hold the service from the checks that need it to themselves.
        if row.class() == SideEffect::Human
            && let Some(turn) = self.turn.as_mut()
        {
            turn.watch();
        }
        // The rows that run beside the conformance checks end with the heartbeat window they run in (issue #21
        // point 9): every wait and every call of the probe is bounded by the window's end as well as by its own.
        // (Not a peer row: what it changes on the peer is put back whatever the window says.)
        let window_ends = {
            let began = self.context.sharing.began.get().copied();
            let elapsed = self.context.timeline.now().saturating_sub(self.started);
            began.map_or_else(|| Instant::now() + window.saturating_sub(elapsed), |began| began + window)
        };
        let window_end = match row.class() {
            SideEffect::Read | SideEffect::SelfOnly => Some(window_ends),
            SideEffect::Peer | SideEffect::Destructive | SideEffect::Human => None,
        };
        let bounded = |deadline: Instant| window_end.map_or(deadline, |end| deadline.min(end));
        let probe = Probe {
            run: self,
            session: session.clone(),
            bot,
            nonce: self.nonce(),
            last: Mutex::new(None),
            wait,
            deadline: bounded(self.cap(wait)),
            cut: bounded(self.cap(wait)) + Duration::from_secs(1) < self.cap(wait),
            alone: false,
            window_ends,
        };
        let taken = |probe: &Probe<'_>| probe.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        let calls_end = bounded(self.deadline);
        // Boxed, as the retry below and the rows are: a probe's future held 4 KiB inline while it waited (room for
        // its row's calls and for the retry), and a hundred targets' 50 probes wait at once.
        let (found, last) = match Box::pin(probe.row_within(row, calls_end, window_end)).await {
            Ok(found) | Err(Halt::Found(found)) => (found, taken(&probe)),
            // The probes' connection failed under this probe: another probe's answer may have ended it (every
            // call in flight on it fails). Once more, alone on the connection opened again: if it fails alone
            // while the service still answers the session, this probe's own answer ended it.
            Err(Halt::Failure(failure)) if failure.kind == Kind::Connection && main.lost().is_none() => {
                let _alone = Box::pin(session.alone()).await;
                // The connection the failure ended is opened again on the next call: one that answers first, so
                // the retry does not meet the old one's end.
                Box::pin(session.answering_again()).await;
                let again = Probe { last: Mutex::new(None), deadline: bounded(self.cap(wait)), alone: true, ..probe };
                match Box::pin(again.row_within(row, calls_end, window_end)).await {
                    Ok(found) | Err(Halt::Found(found)) => (found, taken(&again)),
                    Err(Halt::Failure(failure)) => return Err(failure),
                }
            }
            Err(Halt::Failure(failure)) => return Err(failure),
        };
        let now = self.context.timeline.now();
        let (from, to, last) = match found.earlier.clone() {
            Some(earlier) => (earlier.from, earlier.to, earlier.rpc.clone().or(last)),
            None => (from, now, last),
        };
        // An untested row did nothing to show; a supported one shows its last steps; the others what led to them.
        let limit = match found.outcome {
            Outcome::Untested => 0,
            Outcome::Supported => SUPPORTED_EXCERPT,
            _ => super::EXCERPT_LIMIT,
        };
        let timeline: Vec<TimelineEntry> = if limit == 0 {
            Vec::new()
        } else {
            self.context
                .timeline
                .excerpt(from.saturating_sub(Duration::from_millis(500)), to, to, limit)
                .iter()
                .map(TimelineEntry::from)
                .collect()
        };
        let redact = |text: &str| crate::redact::redact(text).into_owned();
        let evidence = CapabilityEvidence {
            rpc: last.as_ref().map(|(rpc, _)| rpc.name().to_owned()),
            status: last.map(|(_, status)| redact(&status)),
            expected: redact(&found.expected),
            seen: redact(&found.seen),
            timeline,
        };
        let note = (!found.note.is_empty()).then(|| redact(&found.note));
        self.probed.put(CapabilityReport::of(row, found.outcome, note.clone(), required, Some(evidence)));
        let said = format!("{}: {}", found.outcome, note.clone().unwrap_or_default());
        match found.outcome {
            Outcome::Supported | Outcome::Partial if found.restore_failed.is_some() => Err(Failure::fail(
                format!(
                    "`{}` is {}, but putting back what it changed failed: {} — put it back by hand",
                    row.text(),
                    found.outcome,
                    found.restore_failed.as_deref().map(redact).unwrap_or_default()
                ),
                found.expected,
                found.seen,
            )),
            Outcome::Supported | Outcome::Partial => {
                self.note = Some(said);
                Ok(Stepped::nothing())
            }
            Outcome::Broken => Err(Failure::fail(
                format!("`{}` is broken: {}", row.text(), note.unwrap_or_default()),
                found.expected,
                found.seen,
            )),
            Outcome::Unsupported | Outcome::Untested if required => Err(Failure::fail(
                format!("`{}` is required (--require) but {said}", row.text()),
                format!("`{}` supported", row.text()),
                found.seen,
            )),
            Outcome::Unsupported | Outcome::Untested => Err(Failure {
                kind: Kind::Skip,
                summary: said,
                expected: found.expected,
                observed: found.seen,
                focus: None,
            }),
        }
    }
}

impl Probe<'_> {
    /// How long the probe waited for an effect, as told: `5.0s`, and when that is longer than `--heartbeat-window`
    /// (the probes' shortest, [`SHORTEST_WINDOW`]), why — "within 3.0s" for a 5 s wait would be untrue.
    pub(super) fn waited(&self) -> String {
        let window = self.run.context.settings.window;
        if self.wait > window {
            format!(
                "{} (the probes' shortest wait; --heartbeat-window {} is shorter)",
                crate::clock::human(self.wait),
                crate::clock::human(window)
            )
        } else {
            crate::clock::human(self.wait)
        }
    }

    /// The row's probe, its calls bounded by `calls_end`, and the whole of it by `window_end` (and a moment to wind
    /// down): a probe still waiting then — for a call's turn, say — is untested.
    async fn row_within(&self, row: Row, calls_end: Instant, window_end: Option<Instant>) -> Probing<Found> {
        let probing = crate::session::within(calls_end, self.row(row));
        let Some(end) = window_end else { return probing.await };
        match tokio::time::timeout_at(end + WIND_DOWN, probing).await {
            Ok(found) => found,
            Err(_) => {
                let last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
                let after = last.map(|(rpc, _)| format!(" (the last answer was `{rpc}`'s)")).unwrap_or_default();
                Ok(Found::untested(format!(
                    "not decided within the heartbeat window: the probe was still waiting for the service{after}; a \
                     longer --heartbeat-window gives it the time"
                )))
            }
        }
    }

    /// The row's probe. Each row's work is boxed: a probe's future holds only its own row's, not room for the
    /// largest of them all (18 KiB inline; a hundred targets' 50 probes wait at once).
    async fn row(&self, row: Row) -> Probing<Found> {
        let peer = |name: &str| self.run.scope.get(name).and_then(|fields| fields.get("")).cloned();
        match row {
            Row::SendReceiveText => Box::pin(self.text()).await.map(|(_, found)| found),
            Row::SendReceiveContactCard => Box::pin(self.contact_card()).await,
            Row::SendReceiveUrl => Box::pin(self.url()).await.map(|(_, found)| found),
            Row::SendPicturesFiles => Box::pin(self.pictures_and_files()).await.map(|(_, found)| found),
            Row::SendVideo => Box::pin(self.video()).await.map(|(_, found)| found),
            Row::SendMiniProgram => Box::pin(self.mini_program()).await.map(|(_, found)| found),
            Row::SendGif => Box::pin(self.gif()).await.map(|(_, found)| found),
            Row::SendVoice => Box::pin(self.voice()).await.map(|(_, found)| found),
            Row::ForwardText
            | Row::ForwardPicture
            | Row::ForwardUrl
            | Row::ForwardAudio
            | Row::ForwardVideo
            | Row::ForwardFile
            | Row::ForwardGif
            | Row::ForwardMiniProgram => Box::pin(self.forward(row)).await,
            Row::Recall => Box::pin(self.recall()).await,
            Row::SendLocation => Box::pin(self.location()).await,
            Row::RoomList => Box::pin(self.room_list()).await,
            Row::RoomMemberList => Box::pin(self.room_member_list()).await,
            Row::RoomDetails => Box::pin(self.room_details()).await,
            Row::RoomMemberDetails => Box::pin(self.room_member_details()).await,
            Row::GetAnnouncement => Box::pin(self.get_announcement()).await,
            Row::RoomQrCode => Box::pin(self.room_qr_code()).await,
            Row::ContactList => Box::pin(self.contact_list()).await,
            Row::ContactDetails => Box::pin(self.contact_details()).await,
            Row::ContactTags => Box::pin(self.contact_tags()).await,
            Row::SelfQrCode => Box::pin(self.self_qr_code()).await,
            Row::LoginEvent => self.login_event(),
            Row::MentionMember => match peer("peer_room") {
                Some(room) => Box::pin(self.mention(&room, peer("peer_contact"))).await,
                None => Ok(Found::untested("needs a room the bot may message: run with --peer-room ID")),
            },
            Row::SetAlias => match peer("peer_contact") {
                Some(contact) => Box::pin(self.alias(&contact)).await,
                None => {
                    Ok(Found::untested("needs a contact whose alias the bot may set and put back: --peer-contact ID"))
                }
            },
            Row::SetAnnouncement => match peer("peer_room") {
                Some(room) => Box::pin(self.set_announcement(&room)).await,
                None => {
                    Ok(Found::untested("needs a room whose announcement may change and be put back: --peer-room ID"))
                }
            },
            Row::SetTopic | Row::RoomTopicEvent => match peer("peer_room") {
                Some(room) => Box::pin(self.set_topic(&room, row == Row::RoomTopicEvent)).await,
                None => Ok(Found::untested("needs a room whose name may change and be put back: --peer-room ID")),
            },
            Row::ReceivePicturesFiles
            | Row::ReceiveVideo
            | Row::ReceiveGif
            | Row::ReceiveVoice
            | Row::AcceptFriend
            | Row::ScanStatus
            | Row::RoomInvitation => Box::pin(self.human(row)).await,
            Row::CreateRoom | Row::RoomQuit => Box::pin(self.decided(row, destructive::Trip::Room)).await,
            Row::RoomAdd | Row::RoomDel | Row::RoomJoinEvent | Row::RoomLeaveEvent => {
                Box::pin(self.decided(row, destructive::Trip::Membership)).await
            }
            Row::LogoutEvent | Row::Logout => Box::pin(self.decided(row, destructive::Trip::Logout)).await,
            Row::AddFriend => match peer("peer_contact") {
                Some(contact) => Box::pin(self.add_friend(&contact)).await,
                None => Ok(Found::untested(
                    "needs a contact who is not a friend yet (a second account of yours): --peer-contact ID",
                )),
            },
        }
    }

    // --- answers ------------------------------------------------------------------------------------------------

    /// An rpc's answer: its value, or the outcome its status decides — `unsupported` when the service says so
    /// (`UNIMPLEMENTED`, or "Unsupported API Error" in any status), `broken` for any other refusal or silence;
    /// a connection that failed under the call is puppet-lint's error.
    fn answered<T>(&self, rpc: Rpc, answer: Result<T, RpcError>, expected: &str) -> Probing<T> {
        match answer {
            Ok(value) => {
                self.noted(rpc, "OK".to_owned());
                Ok(value)
            }
            Err(error) => {
                let shown_error = error.shown();
                let status = match error.code() {
                    Some(code) if !shown_error.starts_with(code_name(code)) => {
                        format!("{}: {}", code_name(code), first_line(&shown_error))
                    }
                    _ => first_line(&shown_error).to_owned(),
                };
                self.noted(rpc, status.clone());
                match &error {
                    RpcError::Status { code, .. } if declares_unsupported(*code, &shown_error) => {
                        Err(Halt::Found(Found::new(
                            Outcome::Unsupported,
                            format!("`{rpc}` answered {}", shown(&status, 160)),
                            expected,
                            shown(&status, 300),
                        )))
                    }
                    // The probe's share of the heartbeat window ran out first: nothing is known of the row.
                    RpcError::Cut { after, .. } if after.is_zero() => Err(Halt::Found(Found::untested(format!(
                        "not decided within the heartbeat window: it had ended before `{rpc}` could be asked (a \
                         longer --heartbeat-window gives it the time)"
                    )))),
                    RpcError::Cut { after, .. } => Err(Halt::Found(Found::untested(format!(
                        "not decided within the heartbeat window: `{rpc}` had not answered after {} (slow, not \
                         refused; a longer --heartbeat-window gives it the time)",
                        crate::clock::human(*after)
                    )))),
                    RpcError::Status { .. } | RpcError::Timeout { .. } => {
                        Err(Halt::Found(Found::broken(expected, format!("`{rpc}` answered {}", shown(&status, 300)))))
                    }
                    // Alone on the connection, with the service still answering the session: this answer ended it.
                    RpcError::Transport { .. } if self.alone && self.service_answers() => {
                        Err(Halt::Found(Found::broken(
                            "an answer the client can read (a status or a reply), on a connection that stays open",
                            format!("`{rpc}`'s answer ended the connection, alone on it: {}", shown(&status, 300)),
                        )))
                    }
                    RpcError::Transport { .. } => Err(Halt::Failure(Failure::connection(&error))),
                    RpcError::Malformed { .. } => Err(Halt::Failure(Failure::error(error.to_string()))),
                }
            }
        }
    }

    /// The service is not lost: the session's own connection and stream still stand.
    fn service_answers(&self) -> bool {
        self.run.session().is_ok_and(|session| session.lost().is_none())
    }

    fn noted(&self, rpc: Rpc, status: String) {
        *self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((rpc, status));
    }

    fn mark(&self) -> usize {
        self.run.context.timeline.len()
    }

    /// The `message` the bot's send came back as: by the id the send returned, else (a server that returns none)
    /// the first message from `after` on whose text or file name (its `filename`, or for a file-typed or Unknown
    /// echo with neither, the name of the FileBox `MessageFile` gives) carries `marker`, other than `not`. No echo
    /// within the wait: `broken` — the send was accepted and nothing came.
    async fn echo(
        &self,
        what: &str,
        id: &str,
        marker: &str,
        after: usize,
        not: &str,
        room: Option<&str>,
    ) -> Probing<pb::MessagePayloadResponse> {
        let timeline = &self.run.context.timeline;
        let mut reader = IdReader::new(EventKind::Message, "messageId", after);
        let mut inspected = 0usize;
        while let Some(batch) = reader.batch(timeline, Some(self.deadline)).await {
            for (message_id, at) in &batch {
                let message_id = message_id.as_str();
                if message_id == not || (!id.is_empty() && message_id != id) {
                    continue;
                }
                if id.is_empty() {
                    if inspected >= INSPECT_AT_MOST {
                        continue;
                    }
                    inspected += 1;
                }
                let payload = self.answered(
                    Rpc::MessagePayload,
                    self.session.message_payload(message_id).await,
                    &format!("MessagePayload answers for the echo of {what}"),
                )?;
                let carries = |text: &str| !marker.is_empty() && text.contains(marker);
                // A file's echo may name its file only in its FileBox (the official mock's carries no text and no
                // `filename`): a file-typed echo with neither is matched by the name `MessageFile` gives.
                let file_named = || async {
                    if marker.is_empty() || !payload.text.is_empty() || !payload.filename.is_empty() {
                        return false;
                    }
                    // Unknown too: a provider that cannot type a file (the official mock, for a GIF or an MP3).
                    let kind = MessageKind::from_wire(payload.r#type);
                    if !kind.carries_file() && kind != MessageKind::Unknown {
                        return false;
                    }
                    match self.session.message_file(message_id).await {
                        Ok(json) => FileBox::parse(&json).is_ok_and(|file| carries(&file.name)),
                        Err(_) => false,
                    }
                };
                if !id.is_empty() || carries(&payload.text) || carries(&payload.filename) || file_named().await {
                    timeline.mark_consumed(*at);
                    if let Some(place) = self.misplaced(&payload, room) {
                        let to =
                            room.map_or("the bot's own conversation".to_owned(), |room| format!("room \"{room}\""));
                        return Err(Halt::Found(Found::new(
                            Outcome::Broken,
                            format!("what was sent to {to} came back {place}"),
                            format!("{what} comes back in {to}"),
                            format!("the echo {} came back {place}", payload.id),
                        )));
                    }
                    return Ok(payload);
                }
            }
        }
        let wanted = if !id.is_empty() {
            format!("a `message` event with id \"{id}\"")
        } else if marker.is_empty() {
            "a `message` from the bot (the send returned no id, and what was sent has no text to know it by)".to_owned()
        } else {
            format!("a `message` carrying \"{marker}\" (the send returned no id)")
        };
        if self.cut {
            return Err(Halt::Found(Found::untested(format!(
                "not decided within the heartbeat window: the send was accepted, and the window ended before {wanted} \
                 came (the probe began late in it; a longer --heartbeat-window gives it the time)"
            ))));
        }
        Err(Halt::Found(Found::broken(
            format!("{what} comes back to the bot: {wanted}"),
            format!("the send was accepted, but no echo came within {}", self.waited()),
        )))
    }

    /// Sends with `send` to the bot itself, then waits for its echo, which must come back in the bot's own
    /// conversation.
    async fn sent_echo(
        &self,
        what: &str,
        rpc: Rpc,
        marker: &str,
        sent: Result<String, RpcError>,
        after: usize,
    ) -> Probing<pb::MessagePayloadResponse> {
        self.sent_echo_in(None, what, rpc, marker, sent, after).await
    }

    /// As [`Probe::sent_echo`], for a send to `room` (`None`: the bot itself), whose echo must come back there.
    async fn sent_echo_in(
        &self,
        room: Option<&str>,
        what: &str,
        rpc: Rpc,
        marker: &str,
        sent: Result<String, RpcError>,
        after: usize,
    ) -> Probing<pb::MessagePayloadResponse> {
        let id = self.answered(rpc, sent, &format!("`{rpc}` sends {what}"))?;
        self.echo(what, &id, marker, after, "", room).await
    }

    /// Where an echo landed when it is not where its message was sent: a send to the bot itself comes back with no
    /// room (and, if it names a listener, the bot); a send to a room comes back in that room. A provider that posts
    /// the bot's note to itself in a group misleads bots, and other people see it.
    fn misplaced(&self, echo: &pb::MessagePayloadResponse, room: Option<&str>) -> Option<String> {
        match room {
            None if !echo.room_id.is_empty() => Some(format!("in room \"{}\"", shown(&echo.room_id, 80))),
            None if !echo.listener_id.is_empty() && echo.listener_id != self.bot => {
                Some(format!("to listener \"{}\"", shown(&echo.listener_id, 80)))
            }
            Some(room) if echo.room_id != room => Some(format!("in room \"{}\"", shown(&echo.room_id, 80))),
            _ => None,
        }
    }

    fn type_name(payload: &pb::MessagePayloadResponse) -> String {
        let kind = MessageKind::from_wire(payload.r#type);
        format!("{} ({})", kind.name(), payload.r#type)
    }

    fn wrong_type(&self, what: &str, wanted: MessageKind, echo: &pb::MessagePayloadResponse) -> Halt {
        // The note names no message id, so providers that do the same share one note in the table.
        Halt::Found(Found::new(
            Outcome::Broken,
            format!("the echo came typed {}", Self::type_name(echo)),
            format!("the echo of {what} typed {} ({})", wanted.name(), wanted.wire()),
            format!("the echo {} came typed {}", echo.id, Self::type_name(echo)),
        ))
    }
}
