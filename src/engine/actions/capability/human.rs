//! The probes of the rows a person must act on (class `human`). What the run itself received decides first, without
//! anyone: a picture, file, video, GIF or voice message from a talker other than the bot whose file `MessageFile`
//! (for an Image, `MessageImage`) answers is the receive row's effect; the `scan` events of a login the run watched
//! are `Scan code status`'s. Then, with `--interactive` in a terminal, a person is asked on stderr what to do on the
//! phone — one row at a time, after the other checks have come to watching — and the effect is waited for (at most
//! [`ASK_WAIT`]; Enter skips). Accepting a friend or a room invitation is only ever done when a person was asked:
//! the run never accepts what it merely saw. Without a person the rows are `untested`, saying what would decide them.

use std::sync::OnceLock;

use super::*;
use crate::config::Interactive;
use crate::events::RunEvent;
use crate::wire::ScanStatus;

/// The longest a person is waited for, a row.
pub(super) const ASK_WAIT: Duration = Duration::from_secs(120);

/// What a person is asked to do for a row, and what the run looks for.
struct Ask {
    /// "send a picture or a file to"
    act: &'static str,
    /// The message kinds that answer a receive row (empty for the others).
    kinds: &'static [MessageKind],
}

fn ask(row: Row) -> Ask {
    let (act, kinds): (&str, &[MessageKind]) = match row {
        Row::ReceivePicturesFiles => ("send a picture or a file to", &[MessageKind::Image, MessageKind::Attachment]),
        Row::ReceiveVideo => ("send a video to", &[MessageKind::Video]),
        Row::ReceiveGif => ("send a GIF (an animated sticker) to", &[MessageKind::Emoticon]),
        Row::ReceiveVoice => ("send a voice message to", &[MessageKind::Audio]),
        Row::AcceptFriend => ("ask for friendship with", &[]),
        Row::RoomInvitation => ("invite to a group", &[]),
        _ => ("act for", &[]),
    };
    Ask { act, kinds }
}

/// How many times Enter was pressed on stdin since puppet-lint began reading it (a thread of its own, started on the
/// first question: a blocked read never holds the process at its end).
fn enters() -> tokio::sync::watch::Receiver<u64> {
    static PRESSED: OnceLock<tokio::sync::watch::Sender<u64>> = OnceLock::new();
    PRESSED
        .get_or_init(|| {
            let (pressed, _) = tokio::sync::watch::channel(0u64);
            let sender = pressed.clone();
            let _ = std::thread::Builder::new().name("stdin".into()).spawn(move || {
                let mut line = String::new();
                while std::io::stdin().read_line(&mut line).is_ok_and(|read| read > 0) {
                    line.clear();
                    sender.send_modify(|count| *count += 1);
                }
            });
            pressed
        })
        .subscribe()
}

/// A name from the service, fit for a terminal: control and direction characters shown as `?`.
fn plain(text: &str) -> String {
    shown(text, 60)
        .chars()
        .map(|c| {
            let format = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || format { '?' } else { c }
        })
        .collect()
}

impl Probe<'_> {
    pub(super) async fn human(&self, row: Row) -> Probing<Found> {
        if row == Row::ScanStatus {
            return Ok(self.scan_status());
        }
        let wanted = ask(row);
        // What the run receives while the other checks watch (the heartbeat window) decides without a person; the
        // watch and its reads end with the window, however slowly the service answers them.
        let until = self.window_ends.min(self.run.deadline);
        let passive = crate::session::within(until, self.received_until(row, wanted.kinds, 0, until));
        let (after, cut) = match tokio::time::timeout_at(until + WIND_DOWN, passive).await {
            Ok(passive) => match passive? {
                Passive::Found(found) => return Ok(found),
                Passive::Nothing(after) => (after, false),
                Passive::Cut(after) => (after, true),
            },
            Err(_) => (self.run.context.timeline.len(), true),
        };
        let why = match self.run.context.settings.interactive {
            Interactive::On => return self.asked(row, &wanted, after).await,
            Interactive::NoTerminal => {
                "needs a person: run with --interactive in a terminal (stdin or stderr is not one)"
            }
            Interactive::Off if wanted.kinds.is_empty() => "needs a person: run with --interactive in a terminal",
            Interactive::Off if cut => {
                "not decided within the heartbeat window: it ended before the service had answered for every message \
                 the run received, so what came is not known (a longer --heartbeat-window gives it the time; with \
                 --interactive in a terminal a person is asked to send one)"
            }
            Interactive::Off => {
                "needs a person: run with --interactive in a terminal (nothing of its kind from another talker came \
                 during the run)"
            }
        };
        Ok(Found::untested(why))
    }

    /// [`Probe::received`], waiting for one until `until`.
    async fn received_until(&self, row: Row, kinds: &[MessageKind], from: usize, until: Instant) -> Probing<Passive> {
        let mut from = from;
        loop {
            match self.received(row, kinds, from).await? {
                Passive::Found(found) => return Ok(Passive::Found(found)),
                Passive::Nothing(next) => from = next,
                Passive::Cut(next) => return Ok(Passive::Cut(next)),
            }
            if kinds.is_empty() || Instant::now() >= until {
                return Ok(Passive::Nothing(from));
            }
            self.run.context.timeline.changed_after(from, until).await;
        }
    }

    /// A message of `kinds` from another talker since `from`, its file read: the row's effect. `Nothing` says up to
    /// where the timeline was read.
    async fn received(&self, row: Row, kinds: &[MessageKind], from: usize) -> Probing<Passive> {
        let timeline = &self.run.context.timeline;
        if kinds.is_empty() {
            return Ok(Passive::Nothing(timeline.len()));
        }
        let mut reader = IdReader::new(EventKind::Message, "messageId", from);
        let mut inspected = 0usize;
        while let Some(batch) = reader.batch(timeline, None).await {
            for (id, _) in &batch {
                // Bounded: past this many, the backlog is passed over (a flood of messages is not read one by one).
                if inspected >= INSPECT_AT_MOST * 4 {
                    return Ok(Passive::Nothing(timeline.len()));
                }
                inspected += 1;
                let payload = match self.session.message_payload(id).await {
                    Ok(payload) => payload,
                    // The window ended: what was not read is not known.
                    Err(RpcError::Cut { .. }) => return Ok(Passive::Cut(timeline.len())),
                    Err(_) => continue,
                };
                let kind = MessageKind::from_wire(payload.r#type);
                if payload.talker_id == self.bot || !kinds.contains(&kind) {
                    continue;
                }
                return Ok(Passive::Found(self.file_of(row, &payload).await?));
            }
        }
        Ok(Passive::Nothing(reader.next))
    }

    /// A received message's file: `MessageImage` (HD) for an Image, `MessageFile` for the others.
    async fn file_of(&self, row: Row, payload: &pb::MessagePayloadResponse) -> Probing<Found> {
        let kind = MessageKind::from_wire(payload.r#type);
        let what = format!("message {} typed {} from \"{}\"", payload.id, Self::type_name(payload), payload.talker_id);
        let expected = format!("`{row}`: a message of its kind from another talker, whose file reads");
        let json = if kind == MessageKind::Image {
            let image = self.session.message_image(&payload.id, pb::ImageType::Hd).await;
            self.answered(Rpc::MessageImage, image, &expected)?
        } else {
            self.answered(Rpc::MessageFile, self.session.message_file(&payload.id).await, &expected)?
        };
        Ok(match FileBox::parse(&json) {
            Ok(file) => Found::supported(expected, format!("{what}; its file \"{}\" reads", shown(&file.name, 60))),
            Err(error) => {
                Found::broken(expected, format!("{what}; its file is no FileBox: {}", shown(&error.to_string(), 120)))
            }
        })
    }

    /// `Scan code status` from the run's own login: the statuses its `scan` events went through.
    fn scan_status(&self) -> Found {
        let timeline = &self.run.context.timeline;
        let scan = timeline.scan(0, of_kinds(&[EventKind::Scan]), SCAN_LIMIT);
        let mut statuses: Vec<ScanStatus> = Vec::new();
        for event in scan.entries.iter().filter_map(event_of) {
            let status =
                event.payload.as_ref().and_then(|payload| payload.get("status")).and_then(|value| value.as_i64());
            if let Some(status) = status.map(ScanStatus::from_wire)
                && !statuses.contains(&status)
            {
                statuses.push(status);
            }
        }
        let expected = "the `scan` events of a login go past Waiting (2): Scanned (3) or Confirmed (4)";
        let told = statuses.iter().map(|status| format!("{status:?}")).collect::<Vec<_>>().join(", ");
        if statuses.is_empty() {
            return Found::untested(
                "needs a login to watch: the bot was logged in before the run, so no `scan` came (start the run with \
                 the bot logged out, and scan its QR code)",
            );
        }
        if statuses.iter().any(|status| matches!(status, ScanStatus::Scanned | ScanStatus::Confirmed)) {
            Found::supported(expected, format!("scan statuses seen: {told}"))
        } else {
            Found::partial(
                "only the QR code: no status after Waiting was told",
                expected,
                format!("scan statuses seen: {told}"),
            )
        }
    }

    /// Asks the person at the terminal, after the other checks and one row at a time, and waits for the effect.
    async fn asked(&self, row: Row, wanted: &Ask, after: usize) -> Probing<Found> {
        let context = &self.run.context;
        let mut settling = context.sharing.settling.subscribe();
        let _ = settling.wait_for(|left| *left == 0).await;
        let _turn = context.decided.asking().await;
        let name = match self.session.contact_payload(&self.bot).await {
            Ok(payload) if !payload.name.is_empty() => format!("\"{}\"", plain(&payload.name)),
            _ => format!("the bot ({})", plain(&self.bot)),
        };
        let mut enters = enters();
        enters.borrow_and_update();
        let waited = ASK_WAIT.min(self.run.deadline.saturating_duration_since(Instant::now()));
        let ask = |text: String| context.observer.event(RunEvent::Ask(text));
        ask(format!(
            "puppet-lint asks (`{row}`): {} {name} from another account now — waiting up to {}, Enter to skip",
            wanted.act,
            crate::clock::human(waited)
        ));
        let until = Instant::now() + waited;
        let effect = async {
            match row {
                Row::AcceptFriend => self.accept_friend(after, until).await,
                Row::RoomInvitation => self.accept_invitation(after, until).await,
                _ => match self.received_until(row, wanted.kinds, after, until).await? {
                    Passive::Found(found) => Ok(Some(found)),
                    Passive::Nothing(_) | Passive::Cut(_) => Ok(None),
                },
            }
        };
        let found = tokio::select! {
            found = effect => found?,
            _ = enters.changed() => {
                ask(format!("puppet-lint: `{row}` skipped"));
                return Ok(Found::untested("skipped by the user (Enter)"));
            }
        };
        Ok(match found {
            Some(found) => {
                ask(format!("puppet-lint: `{row}`: {}", found.outcome));
                found
            }
            None => {
                ask(format!("puppet-lint: `{row}`: nothing came"));
                Found::untested(format!("a person was asked, and nothing came within {}", crate::clock::human(waited)))
            }
        })
    }

    /// A `friendship` request (typed Receive) after `after`, accepted: a Confirm naming its contact, or the contact a
    /// friend.
    async fn accept_friend(&self, after: usize, until: Instant) -> Probing<Option<Found>> {
        let Some((id, request)) = self.friendship(after, until, pb::FriendshipType::Receive, None).await else {
            return Ok(None);
        };
        let expected = "`FriendshipAccept` of a request: a `friendship` typed Confirm naming its contact".to_owned();
        let mark = self.mark();
        self.answered(Rpc::FriendshipAccept, self.session.friendship_accept(&id).await, &expected)?;
        let confirm = self.friendship(mark, until, pb::FriendshipType::Confirm, Some(&request.contact_id)).await;
        Ok(Some(match confirm {
            Some((confirmed, _)) => Found::supported(
                expected,
                format!("request \"{}\" accepted: friendship \"{}\" confirms it", plain(&id), plain(&confirmed)),
            ),
            None => Found::broken(
                expected,
                format!("`FriendshipAccept` answered OK, but no Confirm named \"{}\"", plain(&request.contact_id)),
            ),
        }))
    }

    /// The first `friendship` after `after` whose payload is typed `kind` (and names `contact`, when given).
    async fn friendship(
        &self,
        after: usize,
        until: Instant,
        kind: pb::FriendshipType,
        contact: Option<&str>,
    ) -> Option<(String, pb::FriendshipPayloadResponse)> {
        let timeline = &self.run.context.timeline;
        let mut next = after;
        loop {
            let scan = timeline.scan(next, of_kinds(&[EventKind::Friendship]), PROBE_SCAN);
            let caught_up = scan.next >= timeline.len();
            next = scan.next;
            for entry in &scan.entries {
                let Some(id) = event_of(entry).and_then(|event| event.field("friendshipId")) else { continue };
                let Ok(payload) = self.session.friendship_payload(id).await else { continue };
                if payload.r#type == i32::from(kind) && contact.is_none_or(|contact| payload.contact_id == contact) {
                    return Some((id.to_owned(), payload));
                }
            }
            if caught_up {
                if Instant::now() >= until {
                    return None;
                }
                timeline.changed_after(next, until).await;
            }
        }
    }

    /// A `room-invite` after `after`, accepted: a `room-join` naming the bot.
    async fn accept_invitation(&self, after: usize, until: Instant) -> Probing<Option<Found>> {
        let timeline = &self.run.context.timeline;
        let invite = timeline
            .wait_for(after, until, of_kinds(&[EventKind::RoomInvite]), |entry| {
                event_of(entry).is_some_and(|event| event.field("roomInvitationId").is_some())
            })
            .await;
        let Some(id) = invite.as_ref().and_then(event_of).and_then(|event| event.field("roomInvitationId")) else {
            return Ok(None);
        };
        let id = id.to_owned();
        let expected = "`RoomInvitationAccept` of an invitation: a `room-join` naming the bot".to_owned();
        let mark = self.mark();
        self.answered(Rpc::RoomInvitationAccept, self.session.room_invitation_accept(&id).await, &expected)?;
        let bot = self.bot.clone();
        let joined = timeline
            .wait_for(mark, until.max(Instant::now() + self.wait), of_kinds(&[EventKind::RoomJoin]), |entry| {
                event_of(entry).is_some_and(|event| {
                    event
                        .payload
                        .as_ref()
                        .and_then(|payload| payload.get("inviteeIdList"))
                        .and_then(|ids| ids.as_array())
                        .is_some_and(|ids| ids.iter().any(|named| named.as_str() == Some(bot.as_str())))
                })
            })
            .await;
        Ok(Some(match joined.as_ref().and_then(event_of) {
            Some(event) => Found::supported(
                expected,
                format!(
                    "invitation \"{}\" accepted: the bot joined \"{}\" (it stays there: quit it by hand)",
                    plain(&id),
                    plain(event.field("roomId").unwrap_or_default())
                ),
            ),
            None => Found::broken(expected, "`RoomInvitationAccept` answered OK, but no `room-join` named the bot"),
        }))
    }
}

/// What the run's own traffic said of a row.
enum Passive {
    Found(Found),
    /// Nothing yet: the timeline was read up to here.
    Nothing(usize),
    /// The heartbeat window ended before what came was all read (a slow service): nothing is known of the rest.
    Cut(usize),
}
