//! The probes of the destructive rows (class D: only with `--allow-destructive`, last, one at a time). Rows that one
//! change decides together are probed in one trip, by whichever of their checks runs first, and the others take
//! their outcome from [`Decided`]:
//!
//! - **the room trip** (`Create group chat`, `Exit group chat`): a room with the `--peer-contact`, whose id must
//!   resolve through `RoomPayload` and whose `RoomMemberList` names the contact asked; then the bot quits it — the
//!   one room it may leave, since it made it — and must be gone from `RoomList` or `RoomMemberList`, or a
//!   `room-leave` must name it. Quitting is the room's restore: a failed quit is said in `Create group chat`'s note.
//! - **the membership trip** (`Pull people into the group`, `Kick out of the group`, `Group entry event`,
//!   `Outliers`): the `--peer-contact` removed from the `--peer-room` and added back when it is a member, else added
//!   and removed again; each change read back through `RoomMemberList`, and told by a `room-join` / `room-leave`
//!   naming the contact. The second change puts the first back; the member list is read back against the one before.
//! - **the logout trip** (`Logout event`, `Active logout`): `Logout`, then a `logout` naming the bot, or at least a
//!   send that fails; then the bot is brought back with `Stop` and `Start` (a real account waits for its QR code to
//!   be scanned), as the conformance check `logout.cleanup` does.
//!
//! `Add friends` asks the `--peer-contact` for friendship only when it is not a friend yet (never a stranger: the
//! user names the contact), and wants a `friendship` event naming it.
//!
//! A row whose trip stopped before it is `untested`, "depends on" the row that failed.

use std::collections::HashMap;

use super::*;
use crate::session::EventRecord;

/// The rows a trip decided and their checks have not yet reported, with the span of the timeline that shows them;
/// and the one question a person is asked at a time (`--interactive`).
#[derive(Debug, Default)]
pub struct Decided {
    rows: Mutex<HashMap<Row, Found>>,
    asking: tokio::sync::Mutex<()>,
}

impl Decided {
    /// The turn to ask the person at the terminal: one row at a time.
    pub(super) async fn asking(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.asking.lock().await
    }
}

/// A change that decides several rows at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trip {
    Room,
    Membership,
    Logout,
}

/// Adding or removing the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Add,
    Remove,
}

impl Change {
    /// The row of the rpc, and the row of its event.
    fn rows(self) -> (Row, Row) {
        match self {
            Change::Add => (Row::RoomAdd, Row::RoomJoinEvent),
            Change::Remove => (Row::RoomDel, Row::RoomLeaveEvent),
        }
    }

    fn rpc(self) -> Rpc {
        match self {
            Change::Add => Rpc::RoomAdd,
            Change::Remove => Rpc::RoomDel,
        }
    }

    fn event(self) -> (EventKind, &'static str) {
        match self {
            Change::Add => (EventKind::RoomJoin, "inviteeIdList"),
            Change::Remove => (EventKind::RoomLeave, "removeeIdList"),
        }
    }
}

/// What one change came to.
struct Changed {
    action: Found,
    event: Found,
    /// The change took effect (read back, or at least told by its event).
    done: bool,
}

fn untested_after(row: Row, found: &Found, why: &str) -> Found {
    Found::untested(format!("depends on `{}`{why}, which came to {} ({})", row.text(), found.outcome, found.note))
}

/// A halt that decided an outcome, as that outcome; puppet-lint's own failure stays a failure.
fn settled<T>(probing: Probing<T>) -> Result<Result<T, Found>, Halt> {
    match probing {
        Ok(value) => Ok(Ok(value)),
        Err(Halt::Found(found)) => Ok(Err(found)),
        Err(halt) => Err(halt),
    }
}

fn restore_failed(found: &mut Found, why: &str) {
    found.restore_failed = Some(why.to_owned());
    found.note = format!("{}; putting it back failed: {why}", found.note);
    found.seen = format!("{}; putting it back failed: {why}", found.seen);
}

fn restored(found: &mut Found, how: &str) {
    found.seen = format!("{}; put back: {how}", found.seen);
}

impl Probe<'_> {
    fn last_rpc(&self) -> Option<(Rpc, String)> {
        self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// `row`'s outcome: decided by an earlier check's trip, or by the trip run now (which decides its other rows
    /// for their checks).
    pub(super) async fn decided(&self, row: Row, trip: Trip) -> Probing<Found> {
        let memory = &self.run.context.decided;
        let earlier = memory.rows.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&row);
        if let Some(found) = earlier {
            return Ok(found);
        }
        let from = self.run.context.timeline.now();
        let rows = match trip {
            Trip::Room => self.room_trip().await?,
            Trip::Membership => self.membership_trip().await?,
            Trip::Logout => self.logout_trip().await?,
        };
        let to = self.run.context.timeline.now();
        let mut mine = None;
        let mut memory = memory.rows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (decided, rpc, mut found) in rows {
            if decided == row {
                mine = Some(found);
            } else {
                found.earlier = Some(Box::new(Earlier { from, to, rpc }));
                memory.insert(decided, found);
            }
        }
        Ok(mine.unwrap_or_else(|| Found::untested("its probe decided nothing for it")))
    }

    /// Waits until `event` (an entry of `kind` after `after` that `fits`) came and `read_back` holds, or the wait is
    /// over: whether each did.
    async fn settle<F, Fut>(
        &self,
        after: usize,
        kind: EventKind,
        fits: impl Fn(&EventRecord) -> bool,
        read_back: F,
    ) -> (Option<Duration>, bool)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let timeline = &self.run.context.timeline;
        let until = Instant::now() + self.wait;
        let (mut event, mut read) = (None, false);
        loop {
            if event.is_none() {
                event = timeline
                    .wait_for(after, Instant::now(), of_kinds(&[kind]), |entry| event_of(entry).is_some_and(&fits))
                    .await
                    .map(|entry| entry.at);
            }
            if !read {
                read = read_back().await;
            }
            if (event.is_some() && read) || Instant::now() >= until {
                return (event, read);
            }
            // Read back again when the timeline moves (a heartbeat at least), or every half second.
            let seen = timeline.len();
            timeline.changed_after(seen, until.min(Instant::now() + Duration::from_millis(500))).await;
        }
    }

    // --- the room trip -------------------------------------------------------------------------------------------

    async fn room_trip(&self) -> Probing<Vec<(Row, Option<(Rpc, String)>, Found)>> {
        let peer = self.run.scope.get("peer_contact").and_then(|fields| fields.get("")).cloned();
        let Some(contact) = peer else {
            let why = "needs a contact to make a room with (it is told of the room): --peer-contact ID";
            return Ok(vec![
                (Row::CreateRoom, None, Found::untested(why)),
                (
                    Row::RoomQuit,
                    None,
                    Found::untested(
                        "depends on `Create group chat`: the bot quits only a room it made itself, and none was \
                         made (needs --peer-contact ID)",
                    ),
                ),
            ]);
        };
        let quit_depends = |create: &Found| {
            untested_after(
                Row::CreateRoom,
                create,
                " (the bot quits only a room it made itself, so no one's room is left)",
            )
        };
        let topic = format!("puppet-lint {}", &self.nonce[self.nonce.len().saturating_sub(6)..]);
        let expected = format!(
            "`RoomCreate` with \"{contact}\" answers an id that `RoomPayload` resolves and whose `RoomMemberList` names \
             \"{contact}\""
        );
        let created = settled(self.answered(
            Rpc::RoomCreate,
            self.session.room_create(std::slice::from_ref(&contact), &topic).await,
            &expected,
        ))?;
        let room = match created {
            Ok(room) if !room.is_empty() => room,
            Ok(_) => {
                let create = Found::broken(expected, "`RoomCreate` answered OK with an empty id");
                return Ok(vec![
                    (Row::RoomQuit, None, quit_depends(&create)),
                    (Row::CreateRoom, self.last_rpc(), create),
                ]);
            }
            Err(create) => {
                return Ok(vec![
                    (Row::RoomQuit, None, quit_depends(&create)),
                    (Row::CreateRoom, self.last_rpc(), create),
                ]);
            }
        };
        let create = match settled(self.answered(Rpc::RoomPayload, self.session.room_payload(&room).await, &expected))?
        {
            Err(refused) => Found::broken(
                expected.clone(),
                format!("the id `RoomCreate` answered, \"{}\", does not resolve: {}", shown(&room, 80), refused.seen),
            ),
            Ok(payload) if payload.id != room => Found::broken(
                expected.clone(),
                format!("`RoomPayload(\"{}\")` answered for \"{}\"", shown(&room, 80), shown(&payload.id, 80)),
            ),
            Ok(payload) => {
                match settled(self.answered(
                    Rpc::RoomMemberList,
                    self.session.room_member_list(&room).await,
                    &expected,
                ))? {
                    Err(refused) => Found::broken(expected.clone(), refused.seen),
                    Ok(members) if !members.contains(&contact) => Found::broken(
                        expected.clone(),
                        format!(
                            "the room \"{}\" lists {} member(s), not the one asked, \"{contact}\"",
                            shown(&room, 80),
                            members.len()
                        ),
                    ),
                    Ok(members) => Found::supported(
                        expected.clone(),
                        format!(
                            "room \"{}\" resolves, topic \"{}\", {} member(s), \"{contact}\" among them",
                            shown(&room, 80),
                            shown(&payload.topic, 60),
                            members.len()
                        ),
                    ),
                }
            }
        };
        let create_rpc = self.last_rpc();
        if create.outcome != Outcome::Supported {
            // A room that does not resolve cannot be quit: the id names nothing to leave.
            return Ok(vec![(Row::RoomQuit, None, quit_depends(&create)), (Row::CreateRoom, create_rpc, create)]);
        }
        let (quit, left) = self.quit(&room).await?;
        let mut create = create;
        if left {
            restored(&mut create, "the bot left the room it made");
        } else {
            restore_failed(
                &mut create,
                &format!(
                    "the bot is still in the room it made, \"{}\" (\"{topic}\"): leave it by hand",
                    shown(&room, 80)
                ),
            );
        }
        Ok(vec![(Row::CreateRoom, create_rpc, create), (Row::RoomQuit, self.last_rpc(), quit)])
    }

    /// The bot quits `room` (one it made): gone from `RoomList` or `RoomMemberList`, or a `room-leave` naming it.
    async fn quit(&self, room: &str) -> Probing<(Found, bool)> {
        let expected = format!(
            "after `RoomQuit(\"{room}\")` the bot is out: `RoomList` no longer names the room or its `RoomMemberList` \
             no longer names the bot, or a `room-leave` names the bot"
        );
        let after = self.mark();
        if let Err(refused) = settled(self.answered(Rpc::RoomQuit, self.session.room_quit(room).await, &expected))? {
            return Ok((refused, false));
        }
        let rpc = self.last_rpc();
        let bot = self.bot.as_str();
        let fits = |event: &EventRecord| event.field("roomId") == Some(room) && names(event, "removeeIdList", bot);
        let read_back = || async {
            let listed = self.session.room_list().await.map(|rooms| rooms.iter().any(|id| id == room));
            let member = self.session.room_member_list(room).await.map(|members| members.iter().any(|id| id == bot));
            matches!(listed, Ok(false)) || !matches!(member, Ok(true))
        };
        let (event, read) = self.settle(after, EventKind::RoomLeave, fits, read_back).await;
        if let Some((rpc, status)) = rpc {
            self.noted(rpc, status);
        }
        let said = match (event, read) {
            (Some(at), true) => format!(
                "the bot is out of the room (read back), and a room-leave named it at +{:.3}s",
                at.as_secs_f64()
            ),
            (Some(at), false) => {
                format!("a room-leave named the bot at +{:.3}s (the room still lists it)", at.as_secs_f64())
            }
            (None, true) => "the bot is out of the room (read back); no room-leave named it".to_owned(),
            (None, false) => {
                return Ok((
                    Found::broken(
                        expected,
                        format!(
                            "`RoomQuit` answered OK, but the bot stays: `RoomList` still names the room, its \
                             `RoomMemberList` names the bot, and no room-leave came within {}",
                            self.waited()
                        ),
                    ),
                    false,
                ));
            }
        };
        Ok((Found::supported(expected, said), true))
    }

    // --- the membership trip -------------------------------------------------------------------------------------

    async fn membership_trip(&self) -> Probing<Vec<(Row, Option<(Rpc, String)>, Found)>> {
        let peer = |name: &str| self.run.scope.get(name).and_then(|fields| fields.get("")).cloned();
        let rows = [Row::RoomAdd, Row::RoomDel, Row::RoomJoinEvent, Row::RoomLeaveEvent];
        let (Some(room), Some(contact)) = (peer("peer_room"), peer("peer_contact")) else {
            let why = "needs a room and a contact the bot may add to it and remove from it, and put back: \
                       --peer-room ID and --peer-contact ID";
            return Ok(rows.iter().map(|row| (*row, None, Found::untested(why))).collect());
        };
        let before = match settled(self.answered(
            Rpc::RoomMemberList,
            self.session.room_member_list(&room).await,
            "`RoomMemberList` reads the room's members",
        ))? {
            Ok(members) => members,
            Err(refused) => {
                let found = untested_after(Row::RoomMemberList, &refused, " (the members before, to put them back)");
                return Ok(rows.iter().map(|row| (*row, None, clone_found(&found))).collect());
            }
        };
        let member = before.contains(&contact);
        let order = if member { [Change::Remove, Change::Add] } else { [Change::Add, Change::Remove] };
        let first = self.change(order[0], &room, &contact).await?;
        let first_rpc = self.last_rpc();
        let (first_action, first_event) = order[0].rows();
        let (second_action, second_event) = order[1].rows();
        if !first.done {
            let why = if member {
                format!(" (\"{contact}\" is a member: it must be removed before it can be added)")
            } else {
                format!(" (\"{contact}\" is no member: it must be added before it can be removed)")
            };
            return Ok(vec![
                (second_action, None, untested_after(first_action, &first.action, &why)),
                (second_event, None, untested_after(first_action, &first.action, &why)),
                (first_event, first_rpc.clone(), first.event),
                (first_action, first_rpc, first.action),
            ]);
        }
        let second = self.change(order[1], &room, &contact).await?;
        let second_rpc = self.last_rpc();
        let mut first_action_found = first.action;
        let after = self.session.room_member_list(&room).await;
        let same = |members: &[String]| {
            let mut members = members.to_vec();
            let mut before = before.clone();
            members.sort();
            before.sort();
            members == before
        };
        match after {
            Ok(members) if same(&members) => restored(
                &mut first_action_found,
                &format!("`RoomMemberList` reads as before ({} member(s))", members.len()),
            ),
            Ok(members) => restore_failed(
                &mut first_action_found,
                &format!(
                    "`RoomMemberList` now names {} member(s), {} before; \"{contact}\" {} a member now",
                    members.len(),
                    before.len(),
                    if members.contains(&contact) { "is" } else { "is not" }
                ),
            ),
            Err(error) => restore_failed(
                &mut first_action_found,
                &format!("`RoomMemberList` answered {}", shown(&error.shown(), 160)),
            ),
        }
        Ok(vec![
            (first_action, first_rpc.clone(), first_action_found),
            (first_event, first_rpc, first.event),
            (second_action, second_rpc.clone(), second.action),
            (second_event, second_rpc, second.event),
        ])
    }

    /// Adds the contact to the room or removes it: the rpc's row read back through `RoomMemberList`, the event's
    /// row by a `room-join` / `room-leave` naming the contact.
    async fn change(&self, change: Change, room: &str, contact: &str) -> Probing<Changed> {
        let (action_row, _) = change.rows();
        let (kind, list) = change.event();
        let rpc = change.rpc();
        let wanted = change == Change::Add;
        let verb = if wanted { "names" } else { "no longer names" };
        let expected = format!("after `{rpc}(\"{room}\", \"{contact}\")`, `RoomMemberList` {verb} the contact");
        let event_expected = format!("a `{}` for \"{room}\" whose {list} names \"{contact}\"", kind.name());
        // A change is seen only against a list that did not show it yet: a contact the list never named is not
        // "removed" by a call that does nothing (after an add that only sent its event, say).
        if let Ok(members) = self.session.room_member_list(room).await
            && members.iter().any(|id| id == contact) == wanted
        {
            let why = format!(
                "`RoomMemberList` already {verb} \"{contact}\" before `{rpc}`, so the change could not be seen; it \
                 was not sent"
            );
            return Ok(Changed { action: Found::untested(why.clone()), event: Found::untested(why), done: false });
        }
        let after = self.mark();
        let answer = match change {
            Change::Add => self.session.room_add(room, contact).await,
            Change::Remove => self.session.room_del(room, contact).await,
        };
        if let Err(refused) = settled(self.answered(rpc, answer, &expected))? {
            let event = untested_after(action_row, &refused, "");
            return Ok(Changed { action: refused, event, done: false });
        }
        let rpc_status = self.last_rpc();
        let fits = |event: &EventRecord| event.field("roomId") == Some(room) && names(event, list, contact);
        let read_back = || async {
            self.session
                .room_member_list(room)
                .await
                .is_ok_and(|members| members.iter().any(|id| id == contact) == wanted)
        };
        let (event, read) = self.settle(after, kind, fits, read_back).await;
        if let Some((rpc, status)) = rpc_status {
            self.noted(rpc, status);
        }
        let waited = self.waited();
        let event_found = |action: &Found| match event {
            Some(at) => {
                Found::supported(event_expected.clone(), format!("{} at +{:.3}s", kind.name(), at.as_secs_f64()))
            }
            None if read => Found::broken(
                event_expected.clone(),
                format!("the change read back, but no such `{}` came within {waited}", kind.name()),
            ),
            None => untested_after(action_row, action, ""),
        };
        let action = match (read, event) {
            (true, _) => Found::supported(expected, format!("`RoomMemberList` {verb} \"{contact}\"")),
            // An event that the list contradicts: the provider says what did not happen (or lists stale members).
            (false, Some(_)) => Found::broken(
                expected,
                format!(
                    "a `{}` named \"{contact}\", but within {waited} `RoomMemberList` still did not show the change: \
                     the read-back contradicts the event",
                    kind.name()
                ),
            ),
            (false, None) => Found::broken(
                expected,
                format!(
                    "`{rpc}` answered OK, but within {waited} `RoomMemberList` did not change and no `{}` came",
                    kind.name()
                ),
            ),
        };
        let event = event_found(&action);
        Ok(Changed { done: read || event.outcome == Outcome::Supported, action, event })
    }

    // --- the logout trip -----------------------------------------------------------------------------------------

    async fn logout_trip(&self) -> Probing<Vec<(Row, Option<(Rpc, String)>, Found)>> {
        let main = self.run.session()?;
        let expected =
            format!("after `Logout` the bot, \"{}\", is logged out: a `logout` names it, sends fail", self.bot);
        let event_expected = format!("a `logout` naming the bot, \"{}\"", self.bot);
        let after = self.mark();
        if let Err(refused) = settled(self.answered(Rpc::Logout, self.session.logout().await, &expected))? {
            let event = untested_after(Row::Logout, &refused, "");
            return Ok(vec![(Row::LogoutEvent, None, event), (Row::Logout, self.last_rpc(), refused)]);
        }
        let logout_rpc = self.last_rpc();
        let bot = self.bot.clone();
        let timeline = &self.run.context.timeline;
        let seen = timeline
            .wait_for(after, Instant::now() + self.wait, of_kinds(&[EventKind::Logout]), |entry| {
                event_of(entry).is_some_and(|event| event.field("contactId") == Some(bot.as_str()))
            })
            .await;
        let (mut event, mut logout) = match seen {
            Some(entry) => {
                let said = format!("logout at +{:.3}s", entry.at.as_secs_f64());
                (Found::supported(event_expected, said.clone()), Found::supported(expected, said))
            }
            None => {
                let event = Found::broken(
                    event_expected,
                    format!("`Logout` answered OK, but no `logout` naming the bot came within {}", self.waited()),
                );
                let text = format!("puppet-lint after Logout {}", self.nonce);
                let logout = match self.session.send_text(&self.bot, &text).await {
                    Err(error) => Found::supported(
                        expected,
                        format!(
                            "a send after it failed ({}): the bot is logged out",
                            shown(first_line(&error.shown()), 120)
                        ),
                    ),
                    Ok(_) => Found::broken(
                        expected,
                        "`Logout` answered OK, but the bot is still logged in: no `logout` came, and a send to the bot \
                         was accepted",
                    ),
                };
                (event, logout)
            }
        };
        // Back as `logout.cleanup` brings it back: Stop, Start, and a login (a real account's QR code scanned).
        let login_by = (Instant::now() + self.run.context.settings.login_timeout).min(self.run.deadline);
        let stopped = main.stop().await;
        let started = main.start().await;
        let back = match (stopped, started) {
            (_, Err(error)) => Err(format!("`Start` answered {}", shown(&error.shown(), 160))),
            _ => main.wait_for_bot(login_by).await.ok_or_else(|| {
                format!(
                    "the bot did not log in again within {} of `Stop` and `Start` (a real account needs its QR code \
                     scanned): later checks may find it logged out",
                    crate::clock::human(login_by.saturating_duration_since(Instant::now()).max(Duration::ZERO))
                )
            }),
        };
        for found in [&mut event, &mut logout] {
            match &back {
                Ok(bot) => restored(found, &format!("the bot logged in again as \"{}\"", shown(bot, 80))),
                Err(why) => restore_failed(found, why),
            }
        }
        Ok(vec![(Row::LogoutEvent, logout_rpc.clone(), event), (Row::Logout, logout_rpc, logout)])
    }

    // --- friends -------------------------------------------------------------------------------------------------

    /// Asks `contact` for friendship when it is not a friend yet: a `friendship` event whose payload names it.
    pub(super) async fn add_friend(&self, contact: &str) -> Probing<Found> {
        let read = self.session.contact_payload(contact).await;
        let payload = match settled(self.answered(Rpc::ContactPayload, read, "`ContactPayload` reads"))? {
            Ok(payload) => payload,
            // The contact the user named is not one the service knows: nothing to ask, and no verdict on the row.
            Err(refused) => {
                return Ok(Found::untested(format!(
                    "--peer-contact \"{contact}\" cannot be read ({}): no request was sent",
                    refused.seen
                )));
            }
        };
        if payload.friend {
            return Ok(Found::untested(format!(
                "--peer-contact \"{contact}\" is already a friend: `Add friends` needs a contact who is not one yet (a \
                 second account of yours); no request was sent"
            )));
        }
        let expected =
            format!("after `FriendshipAdd(\"{contact}\")`, a `friendship` event whose payload names the contact");
        let after = self.mark();
        let hello = format!("puppet-lint {}", self.nonce);
        self.answered(Rpc::FriendshipAdd, self.session.friendship_add(contact, &hello).await, &expected)?;
        let timeline = &self.run.context.timeline;
        let until = Instant::now() + self.wait;
        let mut reader = IdReader::new(EventKind::Friendship, "friendshipId", after);
        let mut read = 0usize;
        while let Some(batch) = reader.batch(timeline, Some(until)).await {
            for (id, _) in &batch {
                if read >= INSPECT_AT_MOST {
                    continue;
                }
                read += 1;
                let Ok(friendship) = self.session.friendship_payload(id).await else { continue };
                if friendship.contact_id == contact {
                    let kind = pb::FriendshipType::try_from(friendship.r#type)
                        .map_or_else(|_| format!("type {}", friendship.r#type), |kind| kind.as_str_name().to_owned());
                    return Ok(Found::supported(
                        expected,
                        format!(
                            "friendship \"{}\" ({kind}) names the contact (not undone: the Puppet API cannot remove a \
                             friend)",
                            shown(id, 80)
                        ),
                    ));
                }
            }
        }
        Ok(Found::untested(format!(
            "the request was sent (`FriendshipAdd` answered OK), but no `friendship` event named \"{contact}\" within \
             {}: it shows only once the contact accepts",
            self.waited()
        )))
    }
}

fn clone_found(found: &Found) -> Found {
    Found::new(found.outcome, found.note.clone(), found.expected.clone(), found.seen.clone())
}

/// Whether an event's list field (`inviteeIdList`, `removeeIdList`) names `id`.
fn names(event: &EventRecord, list: &str, id: &str) -> bool {
    event
        .payload
        .as_ref()
        .and_then(|payload| payload.get(list))
        .and_then(|value| value.as_array())
        .is_some_and(|ids| ids.iter().any(|named| named.as_str() == Some(id)))
}
