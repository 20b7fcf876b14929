//! What the conformant puppet does for the destructive capability rows, each with an effect a client sees: a room
//! `RoomCreate` makes resolves and lists the members asked (the bot among them); `RoomAdd` and `RoomDel` change the
//! room's members and tell it with `room-join` / `room-leave`; `RoomQuit` takes the bot out of a room it made (no
//! longer listed, a `room-leave` naming the bot); `FriendshipAdd` to a contact who is not a friend yet is accepted at
//! once (a `friendship` typed Confirm, and the contact is a friend, listed). Also what a person on the other side does
//! when a test tells the mock to ([`Mock::person_acts`]). `rpc.rs` answers the rpcs with these.

use serde_json::json;
use tonic::Status;

use super::{CAROL, CONTACTS, Mock, ROOM, StoredFile};
use crate::proto::wechaty::puppet as pb;
use crate::wire::{EventKind, MessageKind};

/// The rooms' state the destructive rows change.
#[derive(Default)]
pub(super) struct Rooms {
    /// Contacts `RoomDel` took out of the mock's room.
    removed: Vec<String>,
    /// Contacts `RoomAdd` put in it (beyond its own).
    added: Vec<String>,
    /// The rooms `RoomCreate` made, in order.
    created: Vec<Created>,
    /// Contacts the bot became friends with (`FriendshipAdd`, `FriendshipAccept`).
    pub friends: Vec<String>,
}

struct Created {
    id: String,
    topic: String,
    members: Vec<String>,
}

/// What a person on the other side can be told to do (a test stands in for the person `--interactive` asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonAct {
    /// Alice sends the bot a file of this kind (Image, Attachment, Video, Emoticon, Audio).
    Sends(MessageKind),
    /// Carol asks the bot for friendship (a `friendship` typed Receive).
    AsksFriendship,
    /// Bob invites the bot to a room (a `room-invite`).
    Invites,
}

impl Rooms {
    /// The mock's room's members, as `RoomAdd` and `RoomDel` changed them.
    pub(super) fn change(&self, members: &mut Vec<String>) {
        members.retain(|member| !self.removed.contains(member));
        members.extend(self.added.iter().filter(|added| !members.contains(added)).cloned().collect::<Vec<_>>());
    }

    /// The rooms the bot made and is still in.
    pub(super) fn listed(&self, bot: Option<&str>) -> Vec<String> {
        let Some(bot) = bot else { return Vec::new() };
        self.created
            .iter()
            .filter(|room| room.members.iter().any(|member| member == bot))
            .map(|room| room.id.clone())
            .collect()
    }

    /// A room the bot made: its topic and members.
    pub(super) fn created(&self, id: &str) -> Option<(String, Vec<String>)> {
        self.created.iter().find(|room| room.id == id).map(|room| (room.topic.clone(), room.members.clone()))
    }
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs()
}

impl Mock {
    fn bot(&self) -> Result<String, Status> {
        self.state().logged_in.clone().ok_or_else(super::not_logged_in)
    }

    /// Whether the bot knows this contact (Carol too: known, not a friend).
    pub(super) fn knows_contact(&self, id: &str) -> bool {
        self.state().logged_in.as_deref() == Some(id)
            || CONTACTS.iter().chain([&CAROL]).any(|(contact, _)| *contact == id)
    }

    /// Whether the bot is friends with the contact: every contact but Carol, and Carol once added.
    pub(super) fn is_friend(&self, id: &str) -> bool {
        id != CAROL.0 || self.state().rooms.friends.iter().any(|friend| friend == id)
    }

    /// `RoomCreate`: a room with the bot and the contacts asked, its id.
    pub(super) fn create_room(&self, request: pb::RoomCreateRequest) -> Result<String, Status> {
        let bot = self.bot()?;
        if let Some(ghost) = self.created_room_ghost() {
            return Ok(ghost);
        }
        if request.contact_ids.is_empty() {
            return Err(Status::invalid_argument("a room needs at least one contact besides the bot"));
        }
        if let Some(unknown) = request.contact_ids.iter().find(|id| !self.knows_contact(id)) {
            return Err(Status::not_found(format!("contact \"{unknown}\" not found")));
        }
        let id = format!("{}@chatroom", self.next_id("mock-room"));
        let mut members = vec![bot];
        members.extend(request.contact_ids.iter().filter(|id| !members.contains(id)).cloned().collect::<Vec<_>>());
        self.state().rooms.created.push(Created { id: id.clone(), topic: request.topic, members });
        Ok(id)
    }

    /// `RoomAdd`: the contact joins the room, told with a `room-join` (a member already: nothing changes).
    pub(super) fn add_to_room(&self, request: pb::RoomAddRequest) -> Result<(), Status> {
        if let Some(refusal) = self.capability_refusal(crate::wire::Rpc::RoomAdd) {
            return Err(refusal);
        }
        let bot = self.bot()?;
        let (room, contact) = (request.id, request.contact_id);
        if !self.knows_contact(&contact) {
            return Err(Status::not_found(format!("contact \"{contact}\" not found")));
        }
        if self.members_of(&room)?.contains(&contact) {
            return Ok(());
        }
        if !self.adds_members() {
            // Only told: the list never changes.
        } else {
            let mut state = self.state();
            let rooms = &mut state.rooms;
            if room == ROOM.0 {
                rooms.removed.retain(|removed| *removed != contact);
                if !CONTACTS.iter().any(|(id, _)| *id == contact) {
                    rooms.added.push(contact.clone());
                }
            } else if let Some(created) = rooms.created.iter_mut().find(|created| created.id == room) {
                created.members.push(contact.clone());
            }
        }
        if self.tells_room_join() {
            self.emit(
                EventKind::RoomJoin,
                json!({ "inviteeIdList": [contact], "inviterId": bot, "roomId": room, "timestamp": unix_seconds() }),
            );
        }
        Ok(())
    }

    /// `RoomDel`: the contact leaves the room, told with a `room-leave` (not a member: nothing changes).
    pub(super) fn remove_from_room(&self, request: pb::RoomDelRequest) -> Result<(), Status> {
        if let Some(refusal) = self.capability_refusal(crate::wire::Rpc::RoomDel) {
            return Err(refusal);
        }
        let bot = self.bot()?;
        let (room, contact) = (request.id, request.contact_id);
        if contact == bot {
            return Err(Status::invalid_argument("the bot cannot remove itself: RoomQuit"));
        }
        if !self.members_of(&room)?.contains(&contact) {
            return Ok(());
        }
        {
            let mut state = self.state();
            let rooms = &mut state.rooms;
            if room == ROOM.0 {
                rooms.added.retain(|added| *added != contact);
                if CONTACTS.iter().any(|(id, _)| *id == contact) {
                    rooms.removed.push(contact.clone());
                }
            } else if let Some(created) = rooms.created.iter_mut().find(|created| created.id == room) {
                created.members.retain(|member| *member != contact);
            }
        }
        self.emit(
            EventKind::RoomLeave,
            json!({ "removeeIdList": [contact], "removerId": bot, "roomId": room, "timestamp": unix_seconds() }),
        );
        Ok(())
    }

    /// `RoomQuit`: the bot leaves a room it made (no longer listed; a `room-leave` naming it). The mock's own room
    /// is not left: other checks need it.
    pub(super) fn quit_room(&self, id: &str) -> Result<(), Status> {
        let bot = self.bot()?;
        if id == ROOM.0 {
            return Err(Status::failed_precondition("puppet-lint mock: the mock's own room is never left"));
        }
        if !self.state().rooms.created.iter().any(|created| created.id == id) {
            return Err(Status::not_found(format!("room \"{id}\" not found")));
        }
        if self.stays_after_quit() {
            return Ok(());
        }
        if let Some(created) = self.state().rooms.created.iter_mut().find(|created| created.id == id) {
            created.members.retain(|member| *member != bot);
        }
        self.emit(
            EventKind::RoomLeave,
            json!({ "removeeIdList": [bot], "removerId": bot, "roomId": id, "timestamp": unix_seconds() }),
        );
        Ok(())
    }

    /// The rooms the bot is in: the mock's own, and those it made (or joined) and did not leave.
    pub(crate) fn rooms_listed(&self) -> Vec<String> {
        let state = self.state();
        let mut ids: Vec<String> = super::ROOMS.iter().map(|id| (*id).to_owned()).collect();
        ids.extend(state.rooms.listed(state.logged_in.as_deref()));
        ids
    }

    /// A room's members: the mock's room's, or a made room's.
    pub(crate) fn members_of(&self, room: &str) -> Result<Vec<String>, Status> {
        if room == ROOM.0 {
            return Ok(self.room_members());
        }
        self.state()
            .rooms
            .created(room)
            .map(|(_, members)| members)
            .ok_or_else(|| self.failure(Status::not_found(format!("room \"{room}\" not found"))))
    }

    /// `FriendshipAdd`: a contact who is not a friend yet accepts at once (a `friendship` typed Confirm); a friend
    /// already: nothing happens.
    pub(super) fn add_friend(&self, request: pb::FriendshipAddRequest) -> Result<(), Status> {
        self.bot()?;
        let contact = request.contact_id;
        if !self.knows_contact(&contact) {
            return Err(Status::not_found(format!("contact \"{contact}\" not found")));
        }
        if self.is_friend(&contact) {
            return Ok(());
        }
        self.befriend(&contact, request.hello);
        Ok(())
    }

    fn befriend(&self, contact: &str, hello: String) {
        let id = self.next_id("mock-friendship");
        let payload = pb::FriendshipPayloadResponse {
            id: id.clone(),
            contact_id: contact.to_owned(),
            hello,
            r#type: pb::FriendshipType::Confirm.into(),
            ..Default::default()
        };
        {
            let mut state = self.state();
            state.friendships.insert(id.clone(), payload);
            state.rooms.friends.push(contact.to_owned());
        }
        self.emit(EventKind::Friendship, json!({ "friendshipId": id }));
    }

    /// `FriendshipAccept` of a request the bot received: the contact is a friend (a `friendship` typed Confirm).
    pub(super) fn accept_friend(&self, id: &str) -> Result<(), Status> {
        let received = self.state().friendships.get(id).cloned();
        let Some(received) = received.filter(|request| request.r#type == i32::from(pb::FriendshipType::Receive)) else {
            return Err(Status::not_found(format!("no friendship request \"{id}\" to accept")));
        };
        if !self.is_friend(&received.contact_id) {
            self.befriend(&received.contact_id, received.hello);
        }
        Ok(())
    }

    /// `RoomInvitationAccept`: the bot joins the room it was invited to (a `room-join` naming the bot).
    pub(super) fn accept_invitation(&self, id: &str) -> Result<(), Status> {
        let bot = self.bot()?;
        let invitation = self.state().room_invitations.get(id).cloned();
        let Some(invitation) = invitation else {
            return Err(Status::not_found(format!("room invitation \"{id}\" not found")));
        };
        let room = format!("{}@chatroom", self.next_id("mock-room"));
        let members = vec![invitation.inviter_id.clone(), bot.clone()];
        self.state().rooms.created.push(Created { id: room.clone(), topic: invitation.topic, members });
        self.emit(
            EventKind::RoomJoin,
            json!({ "inviteeIdList": [bot], "inviterId": invitation.inviter_id, "roomId": room,
                    "timestamp": unix_seconds() }),
        );
        Ok(())
    }

    /// A person on the other side does `act` now (a test standing in for the person `--interactive` asks).
    pub(crate) fn person_acts(&self, act: PersonAct) {
        let Some(bot) = self.state().logged_in.clone() else { return };
        match act {
            PersonAct::Sends(kind) => {
                let (alice, _) = CONTACTS[0];
                let (name, bytes): (&str, &'static [u8]) = match kind {
                    MessageKind::Video => ("alice-clip.mp4", b"\x00\x00\x00\x18ftypmp42"),
                    MessageKind::Emoticon => ("alice-wave.gif", b"GIF89a"),
                    MessageKind::Audio => ("alice-voice.mp3", b"ID3\x04\x00"),
                    MessageKind::Attachment => ("alice-notes.pdf", b"%PDF-1.4\n"),
                    _ => (super::ALICE_PHOTO, super::TINY_JPEG),
                };
                let file = StoredFile { name: name.to_owned(), bytes: bytes::Bytes::from_static(bytes) };
                let id = self.store(alice, &bot, "", kind, Some(file));
                self.emit(EventKind::Message, json!({ "messageId": id }));
            }
            PersonAct::AsksFriendship => {
                let id = self.next_id("mock-friendship");
                let payload = pb::FriendshipPayloadResponse {
                    id: id.clone(),
                    contact_id: CAROL.0.to_owned(),
                    hello: "Carol here: add me".to_owned(),
                    r#type: pb::FriendshipType::Receive.into(),
                    ..Default::default()
                };
                self.state().friendships.insert(id.clone(), payload);
                self.emit(EventKind::Friendship, json!({ "friendshipId": id }));
            }
            PersonAct::Invites => {
                let (bob, _) = CONTACTS[1];
                let id = self.next_id("mock-invitation");
                let payload = pb::RoomInvitationPayloadResponse {
                    id: id.clone(),
                    inviter_id: bob.to_owned(),
                    topic: "Bob's room".to_owned(),
                    member_count: 2,
                    member_ids: vec![bob.to_owned()],
                    receiver_id: bot,
                    ..Default::default()
                };
                self.state().room_invitations.insert(id.clone(), payload);
                self.emit(EventKind::RoomInvite, json!({ "roomInvitationId": id }));
            }
        }
    }
}
