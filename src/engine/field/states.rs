//! The puppet's login states, judged over a whole recorded timeline.
//!
//! A recording is a list of [`Item`]s in the order puppet-lint saw them: subscriptions to the `Event` stream, the
//! ends of those streams, the replies of the rpcs that move the puppet (`Start`, `Stop`, `Logout`, `Ding`), and every
//! event. [`judge`] walks it with the state machine below and returns [`Judged`].
//!
//! # States
//!
//! | state | meaning |
//! | --- | --- |
//! | not started | nothing seen yet: no `Start` and no login. Also where an attach begins (the puppet may be running) |
//! | started, logged out | `Start` succeeded, or a `logout` ended a login |
//! | scanning | a `scan` arrived and no login yet |
//! | logged in | a `login` arrived (live or replayed) and no `logout` since |
//! | ready | logged in, and `ready` arrived |
//! | stopped | `Stop` replied OK |
//!
//! # Events
//!
//! The table below is rendered from [`EVENT_TABLE`], and a test checks that this comment holds exactly its
//! rendering, so the doc and the behaviour cannot drift. "live" lists the states an event may arrive in;
//! "replayed" the states it may arrive in as a replay to a new subscriber (see [Replays](#replays)). Arriving in
//! any other state is a finding of the row's rule — except in *stopped*, where an event that needs a started puppet
//! breaks `needs-started` (must: "a stopped puppet emits only the connect heartbeat and replays"; WIRE.md: `Stop` ends
//! the stream, "the puppet's own stop-logout is never seen").
//!
//! | event | no. | live | replayed | moves to | otherwise | source |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | heartbeat | 1 | any | — | (stays) | — | WIRE.md: each new subscription gets one heartbeat at once; the official client feeds its watchdog with any event |
//! | message | 2 | logged in, ready | — | (stays) | needs-login (must) | WIRE.md Messages: a message is the logged-in bot's (talker_id = login contactId); after Logout sends fail "not logged in" |
//! | dong | 3 | any | — | (stays) | — | WIRE.md: Ding answers at once, dong {data} follows; wechaty-puppet-mock ding() has no login check. Extra rule dong-without-ding (should) |
//! | post | 4 | logged in, ready | — | (stays) | needs-login (must) | wechaty-puppet EventPostPayload: posts belong to the logged-in account |
//! | error | 16 | any | — | (stays) | — | WIRE.md: the server forwards the puppet's `error` whenever it happens; the official client emits it on its 60 s watchdog |
//! | friendship | 17 | logged in, ready | — | (stays) | needs-login (must) | wechaty-puppet: friend requests are addressed to the logged-in bot |
//! | room-invite | 18 | logged in, ready | — | (stays) | needs-login (must) | wechaty-puppet: room invitations are addressed to the logged-in bot |
//! | room-join | 19 | logged in, ready | — | (stays) | needs-login (must) | wechaty-puppet: room events are seen by the logged-in bot |
//! | room-leave | 20 | logged in, ready | — | (stays) | needs-login (must) | wechaty-puppet: room events are seen by the logged-in bot |
//! | room-topic | 21 | logged in, ready | — | (stays) | needs-login (must) | wechaty-puppet: room events are seen by the logged-in bot |
//! | scan | 22 | not started, started, logged out, scanning | not started, started, logged out, scanning, stopped | scanning | no-scan-while-logged-in (must) | field fault (1); wechaty-puppet login-mixin.js clears the QR code on login: no QR while logged in |
//! | ready | 23 | logged in, ready | logged in, ready | ready | ready-before-login (must) | WIRE.md: ready may come more than once per login (re-emitted 5 s after login, replayed 100 ms after a late subscription) |
//! | reset | 24 | none | — | (stays) | reset-not-forwarded (should) | wechaty-puppet-service server/event-stream-manager.js: reset "should be dealed internally", the client warns on it |
//! | login | 25 | not started, started, logged out, scanning | any | logged in | login-twice (must) | wechaty-puppet login-mixin.js login(): "must logout first before login again!"; WIRE.md: login replayed to every new subscriber |
//! | logout | 26 | logged in, ready | — | started, logged out | logout-while-logged-out (should) | wechaty-puppet login-mixin.js logout(): does nothing when not logged in; WIRE.md Session: Logout should emit logout for the bot |
//! | dirty | 27 | not started, started, logged out, scanning, logged in, ready | — | (stays) | needs-started (must) | wechaty-puppet cache-mixin.js dirtyPayload(): emits `dirty` with no login check |
//!
//! Rules that the table alone cannot express (each has its own stable id):
//! - `login-twice`: a live `login` while logged in is allowed only when the current login was itself a replay on
//!   an earlier moment of this stream and names the same bot (a service may replay, then re-emit after `Start`); a
//!   replayed `login` naming another bot than the one logged in also breaks it.
//! - `no-scan-while-logged-in`: also when a replayed `scan` and a replayed `login` arrive in the same replay window
//!   in either order — the service says it is both waiting for a scan and logged in (field fault 1).
//! - `logout-other-bot` (must): a `logout` whose contactId is not the logged-in bot.
//! - `one-logout-per-logout-rpc` (should): after one `Logout` rpc, a second `logout` before the next login (field
//!   fault 2). A second `logout` with no `Logout` rpc around is `logout-while-logged-out`. No `logout` at all is left
//!   to another check.
//! - `dong-without-ding` (should): a `dong` with no `Ding` rpc waiting for it.
//! - `confirmed-without-login` (should): a live scan Confirmed, then a new QR code (a Waiting, or another
//!   `qrcode`), a Timeout or a Cancel with no login in between — the provider's failure to log in once the user
//!   confirmed on the phone (`session::scans`, shared with the setup error of a run that never logs in). A should:
//!   the bot may still log in after a second scan, and WeChat itself may refuse a login; the user had to scan again.
//! - `unknown-event` (should): a number wechaty-puppet does not define (0 UNSPECIFIED included); kept and shown,
//!   never dropped (WIRE.md "Unknown numbers must be kept and shown").
//! - `event-after-stream-end` (must): an event on a stream that already ended.
//! - `stream-ended-outside-stop` (must): the Event stream ended while no `Stop` was asked for (see Rpcs below).
//!
//! # Rpcs
//!
//! | rpc | effect | checks | source |
//! | --- | --- | --- | --- |
//! | Start (OK) | not started / stopped → started, logged out; other states stay; closes the replay window | `subscribe-before-start` (should): no open stream when it replies, so its scan/login were dropped | WIRE.md: one stream opened before Start; events with no subscriber are dropped |
//! | Stop (OK) | → stopped, the bot forgotten | — (whether the stream ended before the reply is not judged: a client reads the two HTTP/2 streams in an order the server does not control) | WIRE.md: Stop ends the Event stream with status OK before it replies; after Stop, subscribe again before Start |
//! | Logout | opens the count of `logout` events it caused (the event may arrive before the reply) | see `one-logout-per-logout-rpc` | WIRE.md Session: Logout should emit logout for the bot |
//! | Ding | one `dong` expected, from its request (the dong can come before the reply) | see `dong-without-ding` | WIRE.md: dong {data} follows a Ding |
//!
//! Failed rpcs (`ok: false`) move nothing; a failed `Start` still closes the replay window. Other rpcs are ignored.
//! A `Stop` request (sent, before its reply) asks for the end of the stream open at that moment, whenever that end
//! is read; any other stream that ends is `stream-ended-outside-stop` (must) — the service ended it by itself, with any status (OK,
//! CANCELLED, UNAVAILABLE…), and a bot whose client does not subscribe again goes deaf (WIRE.md: `Stop` ends the
//! Event stream; one stream per session, shared by every check). puppet-lint's own cancels are no stream ends: the
//! reader is dropped, nothing is recorded. An end that comes with the loss of the service (it could not be opened
//! again: the run ends, exit 3) is reported once, as the loss, not as `stream-ended-outside-stop`.
//!
//! # Replays
//!
//! What a replay is has one definition, `session::replay`: the timeline marks each event with it as it arrives,
//! the recording keeps the mark, and this judge reads it ([`Item::Event`]'s `replay`). A replay is judged against
//! the states it may arrive in as a replay (the table's "replayed" column).

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;

use crate::session::scans::{LostConfirmation, ScanHistory};

use crate::vocab::{Severity, StateRule};
use crate::wire::{EventKind, Rpc, ScanStatus};

/// One thing puppet-lint saw, in the order it saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An `Event` call was opened.
    Subscribed { stream: u32 },
    /// An `Event` stream ended (the entry's `seq`); `error`: how, `None` for status OK; `lost`: the end came
    /// with the loss of the service (it could not be opened again), which is reported once, as the loss.
    StreamEnded { seq: usize, stream: u32, error: Option<String>, lost: bool },
    /// A `Stop` request was sent (its reply comes as an [`Item::Rpc`]): the stream's end that follows is asked for.
    StopRequested,
    /// The reply of an rpc (`Start`, `Stop`, `Logout`, `Ding`, …); `ok`: it succeeded.
    Rpc { rpc: Rpc, ok: bool },
    /// An `EventResponse`; `payload` is the parsed JSON (None when it was not JSON).
    /// `replay`: the timeline marked it a replay to a new subscriber (`session::replay`); `at`: when it arrived,
    /// from the start of the timeline.
    Event { seq: usize, stream: u32, number: i32, payload: Option<Value>, replay: bool, at: Duration },
}

/// The login states of the puppet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    NotStarted,
    LoggedOut,
    Scanning,
    LoggedIn,
    Ready,
    Stopped,
}

impl Phase {
    pub const ALL: &'static [Phase] =
        &[Phase::NotStarted, Phase::LoggedOut, Phase::Scanning, Phase::LoggedIn, Phase::Ready, Phase::Stopped];

    pub fn name(self) -> &'static str {
        match self {
            Phase::NotStarted => "not started",
            Phase::LoggedOut => "started, logged out",
            Phase::Scanning => "scanning",
            Phase::LoggedIn => "logged in",
            Phase::Ready => "ready",
            Phase::Stopped => "stopped",
        }
    }

    fn logged_in(self) -> bool {
        matches!(self, Phase::LoggedIn | Phase::Ready)
    }
}

/// What an event does to the state when it is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Stay,
    To(Phase),
}

/// One row of the event table.
#[derive(Debug)]
pub struct Row {
    pub kind: EventKind,
    /// States it may arrive in live.
    pub live: &'static [Phase],
    /// States it may arrive in as a replay to a new subscriber (empty: never a replay).
    pub replay: &'static [Phase],
    pub moves: Move,
    /// The rule it breaks when it arrives elsewhere, its level, and the rule's words for messages.
    pub rule: Option<StateRule>,
    pub source: &'static str,
}

use Phase::*;

const ANY: &[Phase] = Phase::ALL;
const LOGGED: &[Phase] = &[LoggedIn, Ready];
const NEEDS_LOGIN: Option<StateRule> = Some(StateRule::NeedsLogin);
const ROOM_SOURCE: &str = "wechaty-puppet: room events are seen by the logged-in bot";

/// The event table (see the module doc, which is its rendering).
pub const EVENT_TABLE: &[Row] = &[
    Row {
        kind: EventKind::Heartbeat,
        live: ANY,
        replay: &[],
        moves: Move::Stay,
        rule: None,
        source: "WIRE.md: each new subscription gets one heartbeat at once; the official client feeds its watchdog with any event",
    },
    Row {
        kind: EventKind::Message,
        live: LOGGED,
        replay: &[],
        moves: Move::Stay,
        rule: NEEDS_LOGIN,
        source: "WIRE.md Messages: a message is the logged-in bot's (talker_id = login contactId); after Logout sends fail \"not logged in\"",
    },
    Row {
        kind: EventKind::Dong,
        live: ANY,
        replay: &[],
        moves: Move::Stay,
        rule: None,
        source: "WIRE.md: Ding answers at once, dong {data} follows; wechaty-puppet-mock ding() has no login check. Extra rule dong-without-ding (should)",
    },
    Row {
        kind: EventKind::Post,
        live: LOGGED,
        replay: &[],
        moves: Move::Stay,
        rule: NEEDS_LOGIN,
        source: "wechaty-puppet EventPostPayload: posts belong to the logged-in account",
    },
    Row {
        kind: EventKind::Error,
        live: ANY,
        replay: &[],
        moves: Move::Stay,
        rule: None,
        source: "WIRE.md: the server forwards the puppet's `error` whenever it happens; the official client emits it on its 60 s watchdog",
    },
    Row {
        kind: EventKind::Friendship,
        live: LOGGED,
        replay: &[],
        moves: Move::Stay,
        rule: NEEDS_LOGIN,
        source: "wechaty-puppet: friend requests are addressed to the logged-in bot",
    },
    Row {
        kind: EventKind::RoomInvite,
        live: LOGGED,
        replay: &[],
        moves: Move::Stay,
        rule: NEEDS_LOGIN,
        source: "wechaty-puppet: room invitations are addressed to the logged-in bot",
    },
    Row {
        kind: EventKind::RoomJoin,
        live: LOGGED,
        replay: &[],
        moves: Move::Stay,
        rule: NEEDS_LOGIN,
        source: ROOM_SOURCE,
    },
    Row {
        kind: EventKind::RoomLeave,
        live: LOGGED,
        replay: &[],
        moves: Move::Stay,
        rule: NEEDS_LOGIN,
        source: ROOM_SOURCE,
    },
    Row {
        kind: EventKind::RoomTopic,
        live: LOGGED,
        replay: &[],
        moves: Move::Stay,
        rule: NEEDS_LOGIN,
        source: ROOM_SOURCE,
    },
    Row {
        kind: EventKind::Scan,
        live: &[NotStarted, LoggedOut, Scanning],
        replay: &[NotStarted, LoggedOut, Scanning, Stopped],
        moves: Move::To(Scanning),
        rule: Some(StateRule::NoScanWhileLoggedIn),
        source: "field fault (1); wechaty-puppet login-mixin.js clears the QR code on login: no QR while logged in",
    },
    Row {
        kind: EventKind::Ready,
        live: LOGGED,
        replay: LOGGED,
        moves: Move::To(Ready),
        rule: Some(StateRule::ReadyBeforeLogin),
        source: "WIRE.md: ready may come more than once per login (re-emitted 5 s after login, replayed 100 ms after a late subscription)",
    },
    Row {
        kind: EventKind::Reset,
        live: &[],
        replay: &[],
        moves: Move::Stay,
        rule: Some(StateRule::ResetNotForwarded),
        source: "wechaty-puppet-service server/event-stream-manager.js: reset \"should be dealed internally\", the client warns on it",
    },
    Row {
        kind: EventKind::Login,
        live: &[NotStarted, LoggedOut, Scanning],
        replay: ANY,
        moves: Move::To(LoggedIn),
        rule: Some(StateRule::LoginTwice),
        source: "wechaty-puppet login-mixin.js login(): \"must logout first before login again!\"; WIRE.md: login replayed to every new subscriber",
    },
    Row {
        kind: EventKind::Logout,
        live: LOGGED,
        replay: &[],
        moves: Move::To(LoggedOut),
        rule: Some(StateRule::LogoutWhileLoggedOut),
        source: "wechaty-puppet login-mixin.js logout(): does nothing when not logged in; WIRE.md Session: Logout should emit logout for the bot",
    },
    Row {
        kind: EventKind::Dirty,
        live: &[NotStarted, LoggedOut, Scanning, LoggedIn, Ready],
        replay: &[],
        moves: Move::Stay,
        rule: Some(StateRule::NeedsStarted),
        source: "wechaty-puppet cache-mixin.js dirtyPayload(): emits `dirty` with no login check",
    },
];

const NEEDS_STARTED: StateRule = StateRule::NeedsStarted;

fn phases(list: &[Phase]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    if list.len() == Phase::ALL.len() {
        return "any".into();
    }
    list.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
}

/// The event table as markdown rows, exactly as the module doc shows it.
pub fn render_event_table() -> Vec<String> {
    let mut lines = vec![
        "| event | no. | live | replayed | moves to | otherwise | source |".to_string(),
        "| --- | --- | --- | --- | --- | --- | --- |".to_string(),
    ];
    for r in EVENT_TABLE {
        let replay = if r.replay.is_empty() { "—".to_string() } else { phases(r.replay) };
        let moves = match r.moves {
            Move::Stay => "(stays)",
            Move::To(p) => p.name(),
        };
        let rule = r.rule.map(|rule| format!("{rule} ({})", rule.severity())).unwrap_or_else(|| "—".into());
        lines.push(format!(
            "| {} | {} | {} | {replay} | {moves} | {rule} | {} |",
            r.kind,
            r.kind.wire(),
            phases(r.live),
            r.source
        ));
    }
    lines
}

/// One judged fault in the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateFinding {
    /// The event's seq; for an rpc finding, the seq of the last event before it (0 if none).
    pub seq: usize,
    /// The rule it breaks.
    pub rule: StateRule,
    pub level: Severity,
    /// Event name (or the rpc's name for rpc findings).
    pub event: String,
    /// The state it arrived in, e.g. "logged in as bot-1".
    pub state: String,
    /// Names the event, the state and the rule.
    pub message: String,
}

/// The verdict on a whole recording.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Judged {
    pub findings: Vec<StateFinding>,
    /// Seqs of the events judged as replays to a new subscriber.
    pub replays: Vec<usize>,
    /// `Some(true)`: attached to a session already running (its first login was replayed on subscribe);
    /// `Some(false)`: puppet-lint started it (a scan or a successful Start came before the first, live, login);
    /// `None`: cannot tell.
    pub attached: Option<bool>,
    /// Seqs of stream ends that came with the loss of the service: not judged as
    /// `stream-ended-outside-stop` (the loss is the finding; WIRE.md: a lost service ends the run, exit 3).
    pub lost_ends: Vec<usize>,
}

#[derive(Debug)]
struct Stream {
    id: u32,
    ended: bool,

    replayed_scan: Option<(usize, String)>,
    replayed_login: bool,
}

impl Stream {
    fn new(id: u32) -> Self {
        Stream { id, ended: false, replayed_scan: None, replayed_login: false }
    }
}

/// `logout` events since the last login, to count them per `Logout` rpc.
#[derive(Debug, Default)]
struct LogoutSegment {
    logouts: usize,
    extra: Vec<(usize, String)>,
    logout_rpc: bool,
}

#[derive(Debug)]
struct Machine {
    phase: Phase,
    bot: Option<String>,
    /// The current login came from a replay (not a live login).
    login_replayed: bool,
    stream: Option<Stream>,
    ended: HashSet<u32>,
    /// The streams that were open when a `Stop` was sent: their ends are asked for, whenever they are read (an
    /// old stream's end can be read after the next subscription opened).
    stopped: HashSet<u32>,
    /// Every stream subscribed or seen.
    seen_streams: HashSet<u32>,
    pending_dings: usize,
    segment: LogoutSegment,
    last_seq: usize,
    seen_scan: bool,
    seen_start: bool,
    attached: Option<Option<bool>>,
    /// The live scans since the last login (`confirmed-without-login`).
    scans: ScanHistory,
    out: Judged,
}

fn contact_id(payload: Option<&Value>) -> Option<String> {
    payload.and_then(|p| p.get("contactId")).and_then(Value::as_str).map(str::to_string)
}

impl Machine {
    fn new() -> Self {
        Machine {
            phase: NotStarted,
            bot: None,
            login_replayed: false,
            stream: None,
            ended: HashSet::new(),
            stopped: HashSet::new(),
            seen_streams: HashSet::new(),
            pending_dings: 0,
            segment: LogoutSegment::default(),
            last_seq: 0,
            seen_scan: false,
            seen_start: false,
            attached: None,
            scans: ScanHistory::new(),
            out: Judged::default(),
        }
    }

    fn state(&self) -> String {
        match (self.phase, &self.bot) {
            (LoggedIn, Some(bot)) => format!("logged in as {bot}"),
            (Ready, Some(bot)) => format!("logged in as {bot} and ready"),
            (p, _) => p.name().to_string(),
        }
    }

    fn find(&mut self, seq: usize, rule: StateRule, event: &str, detail: &str, state: String) {
        let (words, level) = (rule.words(), rule.severity());
        let message = format!("`{event}`{detail} at seq {seq} while {state}: {words} ({level})");
        self.out.findings.push(StateFinding { seq, rule, level, event: event.to_string(), state, message });
    }

    fn close_segment(&mut self) {
        let segment = std::mem::take(&mut self.segment);
        for (seq, state) in segment.extra {
            let rule =
                if segment.logout_rpc { StateRule::OneLogoutPerLogoutRpc } else { StateRule::LogoutWhileLoggedOut };
            self.find(seq, rule, "logout", "", state);
        }
    }

    fn rpc(&mut self, rpc: Rpc, ok: bool) {
        let seq = self.last_seq;
        match rpc {
            Rpc::Start => {
                if !ok {
                    return;
                }
                self.close_segment();
                self.seen_start = true;
                if self.stream.as_ref().is_none_or(|s| s.ended) {
                    let state = self.state();
                    self.out.findings.push(StateFinding {
                        seq,
                        rule: StateRule::SubscribeBeforeStart,
                        level: StateRule::SubscribeBeforeStart.severity(),
                        event: Rpc::Start.name().into(),
                        state: state.clone(),
                        message: format!(
                            "`Start` replied after seq {seq} while {state} with no open Event stream: subscribe \
                             before Start, events with no subscriber are dropped (should)"
                        ),
                    });
                }
                if matches!(self.phase, NotStarted | Stopped) {
                    self.phase = LoggedOut;
                }
            }
            Rpc::Stop if ok => {
                self.close_segment();
                // The open stream's end is asked for, whenever it is read: a reader may read it after the reply
                // (and after the next subscription) although the server sent it first.
                if let Some(open) = self.stream.as_ref().filter(|s| !s.ended) {
                    self.stopped.insert(open.id);
                }
                self.phase = Stopped;
                self.bot = None;
                self.login_replayed = false;
                // A stopped puppet owes no login for a scan confirmed before.
                self.scans.forget_confirmed();
            }
            Rpc::Logout => self.segment.logout_rpc = true,
            Rpc::Ding if ok => self.pending_dings += 1,
            _ => {}
        }
    }

    fn event(&mut self, seq: usize, stream: u32, number: i32, payload: Option<&Value>, replay: bool, at: Duration) {
        self.last_seq = seq;
        let kind = EventKind::from_wire(number);
        let name = kind.name();
        // Which stream: a stream never announced counts as a new subscription.
        if self.stream.as_ref().is_none_or(|s| s.id != stream) {
            if self.ended.contains(&stream) {
                let state = self.state();
                self.find(seq, StateRule::EventAfterStreamEnd, &name, &format!(" on stream {stream}"), state);
                return;
            }
            self.stream = Some(Stream::new(stream));
        }
        let Some(row) = EVENT_TABLE.iter().find(|r| r.kind == kind) else {
            let state = self.state();
            self.find(
                seq,
                StateRule::UnknownEvent,
                &name,
                &format!(" (event type {number}{})", if kind.is_known() { "" } else { ", not in wechaty-puppet" }),
                state,
            );
            return;
        };

        // A replay as the timeline marked it, judged as one where the table allows replays of its kind.
        let replay = replay && !row.replay.is_empty();
        if replay {
            self.out.replays.push(seq);
        }
        let detail = match kind {
            EventKind::Scan => format!(
                " (status {})",
                ScanStatus::of_payload(payload).map_or_else(|| "?".to_owned(), |status| status.to_string())
            ),
            EventKind::Login | EventKind::Logout => contact_id(payload).map(|c| format!(" ({c})")).unwrap_or_default(),
            _ => String::new(),
        };
        let detail = if replay { format!("{detail}, replayed on subscribe,") } else { detail };
        let state = self.state();
        let allowed = if replay { row.replay.contains(&self.phase) } else { row.live.contains(&self.phase) };

        match kind {
            EventKind::Login => return self.login(seq, replay, allowed, payload, &detail, state, row),
            EventKind::Logout => return self.logout(seq, allowed, payload, &detail, state, row),
            EventKind::Dong => {
                if self.pending_dings == 0 {
                    let rule = StateRule::DongWithoutDing;
                    self.find(seq, rule, "dong", &detail, state.clone());
                } else {
                    self.pending_dings -= 1;
                }
            }
            EventKind::Scan => {
                self.seen_scan = true;
                // A replay tells the state again; the history is the live scans'.
                if !replay {
                    let qrcode = payload.and_then(|p| p.get("qrcode")).and_then(Value::as_str);
                    if let Some(lost) = self.scans.scan(at, ScanStatus::of_payload(payload), qrcode) {
                        self.lost_confirmation(seq, &detail, lost);
                    }
                }
                if replay && allowed {
                    let s = self.stream.as_mut().expect("stream set above");
                    s.replayed_scan = Some((seq, detail.clone()));
                }
            }
            _ => {}
        }
        if !allowed {
            let rule = if self.phase == Stopped && row.live.iter().any(|p| *p != NotStarted) && row.rule.is_some() {
                NEEDS_STARTED
            } else {
                row.rule.expect("a row that is not allowed somewhere names its rule")
            };
            self.find(seq, rule, &name, &detail, state);
            return;
        }
        if let Move::To(p) = row.moves {
            self.phase = p;
        }
    }

    /// `confirmed-without-login`: a Confirmed scan followed by a new QR code, a Timeout or a Cancel.
    fn lost_confirmation(&mut self, seq: usize, detail: &str, lost: LostConfirmation) {
        let rule = StateRule::ConfirmedWithoutLogin;
        let state = self.state();
        self.out.findings.push(StateFinding {
            seq,
            rule,
            level: rule.severity(),
            event: EventKind::Scan.name(),
            state: state.clone(),
            message: format!(
                "`scan`{detail} at seq {seq} while {state}: {lost}: {} ({})",
                LostConfirmation::WORDS,
                rule.severity()
            ),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn login(
        &mut self,
        seq: usize,
        replay: bool,
        allowed: bool,
        payload: Option<&Value>,
        detail: &str,
        state: String,
        row: &Row,
    ) {
        let bot = contact_id(payload);
        if self.attached.is_none() {
            self.attached = Some(if replay {
                Some(true)
            } else if self.seen_scan || self.seen_start {
                Some(false)
            } else {
                None
            });
        }
        let rule = row.rule.expect("login has a rule");
        let same_bot = bot.is_some() && bot == self.bot;
        let fault = if self.phase.logged_in() {
            // replayed: fine for the same bot; live: fine only on top of a replayed login of the same bot
            !same_bot || (!replay && !self.login_replayed)
        } else if self.phase == Stopped && !replay {
            true
        } else {
            !allowed
        };
        if fault {
            let rule = if self.phase == Stopped { NEEDS_STARTED } else { rule };
            self.find(seq, rule, "login", detail, state);
            if self.phase == Stopped {
                return;
            }
        }
        self.close_segment();
        self.scans.login();
        let s = self.stream.as_mut().expect("stream set above");
        if replay {
            s.replayed_login = true;
        }
        // A cached scan replayed in the same window says the opposite of this login (field fault 1).
        let stale = if replay { s.replayed_scan.take() } else { None };
        if let Some((scan_seq, scan_detail)) = stale {
            let state = match &bot {
                Some(b) => format!("logged in as {b} (per the replayed login at seq {seq})"),
                None => format!("logged in (per the replayed login at seq {seq})"),
            };
            self.find(scan_seq, row_rule(EventKind::Scan), "scan", &scan_detail, state);
        }
        self.phase = LoggedIn;
        self.login_replayed = replay || (self.login_replayed && same_bot);
        self.bot = bot;
    }

    fn logout(&mut self, seq: usize, allowed: bool, payload: Option<&Value>, detail: &str, state: String, row: &Row) {
        if allowed {
            let who = contact_id(payload);
            if who.is_some() && who != self.bot {
                let rule = StateRule::LogoutOtherBot;
                self.find(seq, rule, "logout", detail, state);
            }
            self.phase = LoggedOut;
            self.bot = None;
            self.login_replayed = false;
            self.segment.logouts += 1;
        } else if self.segment.logouts > 0 {
            self.segment.extra.push((seq, state));
        } else if self.phase == Stopped {
            self.find(seq, NEEDS_STARTED, "logout", detail, state);
        } else {
            self.find(seq, row.rule.expect("logout has a rule"), "logout", detail, state);
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Subscribed { stream } => {
                self.seen_streams.insert(*stream);
                self.stream = Some(Stream::new(*stream));
            }
            // Every stream seen and not ended yet: which one the server
            // serves is its business (a late event of an older stream can
            // make that one look current).
            Item::StopRequested => {
                let open: Vec<u32> = self.seen_streams.difference(&self.ended).copied().collect();
                self.stopped.extend(open);
                if let Some(s) = self.stream.as_ref() {
                    self.stopped.insert(s.id);
                }
            }
            Item::StreamEnded { seq, stream, error, lost } => {
                if *lost && !self.stopped.contains(stream) {
                    self.out.lost_ends.push(*seq);
                } else if !self.stopped.contains(stream) {
                    let state = self.state();
                    let how = error.as_deref().map_or_else(|| "with status OK".to_string(), |error| error.to_string());
                    self.out.findings.push(StateFinding {
                        seq: *seq,
                        rule: StateRule::StreamEndedOutsideStop,
                        level: StateRule::StreamEndedOutsideStop.severity(),
                        event: "stream end".into(),
                        state: state.clone(),
                        message: format!(
                            "the Event stream {stream} ended ({how}) at seq {seq} while {state}, with no `Stop` \
                             asked for: only Stop ends the stream; a client that does not subscribe again goes deaf \
                             (must)"
                        ),
                    });
                }
                self.ended.insert(*stream);
                if let Some(s) = self.stream.as_mut().filter(|s| s.id == *stream) {
                    s.ended = true;
                }
            }
            Item::Rpc { rpc, ok } => self.rpc(*rpc, *ok),
            Item::Event { seq, stream, number, payload, replay, at } => {
                self.seen_streams.insert(*stream);
                self.event(*seq, *stream, *number, payload.as_ref(), *replay, *at)
            }
        }
    }
}

fn row_rule(kind: EventKind) -> StateRule {
    EVENT_TABLE.iter().find(|r| r.kind == kind).and_then(|r| r.rule).expect("row with a rule")
}

/// Judge a whole recorded timeline.
pub fn judge(items: &[Item]) -> Judged {
    let mut m = Machine::new();
    for item in items {
        m.item(item);
    }
    m.close_segment();
    let mut out = m.out;
    out.attached = m.attached.flatten();
    out.findings.sort_by_key(|f| f.seq);
    out
}

#[cfg(test)]
mod tests;
