//! The other message kinds and the account's settings, as the conformant puppet does them, each with an effect a
//! client can see: a contact card, a link, a mini program and a location come back as messages of their type whose
//! accessor rpc gives back what was sent; a forward comes back as a new message of its source's type; a recall is
//! done; the room's topic and announcement and a contact's alias read back as set; the room has a QR code, members
//! with details, and the account has tags and a QR code of its own. `rpc.rs` answers the rpcs with these.

use tonic::Status;

use super::{CONTACTS, Mock, ROOM};
use crate::proto::wechaty::puppet as pb;
use crate::wire::{MessageKind, Rpc};

/// What a card, link, mini program or location message carries.
#[derive(Clone, Debug, Default)]
pub(super) enum Extra {
    #[default]
    None,
    Contact(String),
    Url(pb::UrlLinkPayload),
    MiniProgram(pb::MiniProgramPayload),
    Location(pb::LocationPayload),
}

/// How a message is sent: its kind (`None`: a text's or, for a file, its name's), what it carries, whom it mentions,
/// and whether it comes back (a fault may swallow it).
#[derive(Default)]
pub(super) struct Sending {
    pub kind: Option<MessageKind>,
    pub extra: Extra,
    pub mentions: Vec<String>,
    pub silent: bool,
}

/// The room's announcement until one is set.
pub(super) const ANNOUNCEMENT: &str = "puppet-lint mock announcement: be kind";

/// The account's one tag.
const TAG: &str = "mock-tag-friends";

impl Mock {
    pub(super) fn send_text_mentioning(&self, request: pb::MessageSendTextRequest) -> Result<String, Status> {
        let sending = Sending { mentions: request.mentional_ids, ..Sending::default() };
        self.send_with(Rpc::MessageSendText, &request.conversation_id, &request.text, None, sending)
    }

    pub(super) fn send_contact_card(&self, request: pb::MessageSendContactRequest) -> Result<String, Status> {
        if let Some(refusal) = self.capability_refusal(Rpc::MessageSendContact) {
            return Err(refusal);
        }
        self.known_contact(&request.contact_id)?;
        let sending = Sending {
            kind: Some(MessageKind::Contact),
            extra: Extra::Contact(request.contact_id),
            ..Sending::default()
        };
        self.send_with(Rpc::MessageSendContact, &request.conversation_id, "", None, sending)
    }

    pub(super) fn send_url(&self, request: pb::MessageSendUrlRequest) -> Result<String, Status> {
        let link = request.url_link.ok_or_else(|| Status::invalid_argument("no url_link"))?;
        let text = link.title.clone();
        let sending = Sending { kind: Some(MessageKind::Url), extra: Extra::Url(link), ..Sending::default() };
        self.send_with(Rpc::MessageSendUrl, &request.conversation_id, &text, None, sending)
    }

    pub(super) fn send_mini_program(&self, request: pb::MessageSendMiniProgramRequest) -> Result<String, Status> {
        if let Some(refusal) = self.capability_refusal(Rpc::MessageSendMiniProgram) {
            return Err(refusal);
        }
        let program = request.mini_program.ok_or_else(|| Status::invalid_argument("no mini_program"))?;
        let text = program.title.clone();
        let sending =
            Sending { kind: Some(MessageKind::MiniProgram), extra: Extra::MiniProgram(program), ..Sending::default() };
        self.send_with(Rpc::MessageSendMiniProgram, &request.conversation_id, &text, None, sending)
    }

    pub(super) fn send_location(&self, request: pb::MessageSendLocationRequest) -> Result<String, Status> {
        let location = request.location.ok_or_else(|| Status::invalid_argument("no location"))?;
        let text = location.name.clone();
        let sending = Sending {
            kind: Some(MessageKind::Location),
            extra: Extra::Location(location),
            silent: self.silences_location(),
            ..Sending::default()
        };
        self.send_with(Rpc::MessageSendLocation, &request.conversation_id, &text, None, sending)
    }

    /// A forward: a new message with its source's type, text, file and what it carries.
    pub(super) fn forward(&self, request: pb::MessageForwardRequest) -> Result<String, Status> {
        let source = self.message(&request.message_id)?;
        let kind = MessageKind::from_wire(source.payload.r#type);
        let name = source.file.as_ref().map(|file| file.name.clone()).unwrap_or_default();
        let file = source.file.map(|file| (file, name.as_str()));
        let sending = Sending { kind: Some(kind), extra: source.extra, ..Sending::default() };
        self.send_with(Rpc::MessageForward, &request.conversation_id, &source.payload.text, file, sending)
    }

    /// Recalls a message the bot sent: it reads back typed Recalled.
    pub(super) fn recall(&self, id: &str) -> Result<bool, Status> {
        let bot = self.state().logged_in.clone();
        let mut state = self.state();
        let Some(message) = state.messages.get_mut(id) else {
            return Err(Status::not_found(format!("message \"{id}\" not found")));
        };
        if Some(&message.payload.talker_id) != bot.as_ref() {
            return Ok(false);
        }
        if self.ignores_recall() {
            return Ok(true);
        }
        message.payload.r#type = MessageKind::Recalled.wire();
        Ok(true)
    }

    pub(super) fn message_extra(&self, id: &str) -> Result<Extra, Status> {
        Ok(self.message(id)?.extra)
    }

    /// `RoomAnnounce`: reads, or sets (`Some`).
    pub(super) fn announce(&self, request: pb::RoomAnnounceRequest) -> Result<String, Status> {
        self.known_room(&request.id)?;
        let mut state = self.state();
        if let Some(text) = request.text {
            state.announcement = Some(text);
            return Ok(String::new());
        }
        Ok(state.announcement.clone().unwrap_or_else(|| ANNOUNCEMENT.to_owned()))
    }

    /// `RoomTopic`: reads, or sets (`Some`) and tells it with a `room-topic` event.
    pub(super) fn topic(&self, request: pb::RoomTopicRequest) -> Result<String, Status> {
        self.known_room(&request.id)?;
        let old = self.room_topic();
        let Some(topic) = request.topic else {
            return Ok(old);
        };
        let changer = self.state().logged_in.clone().unwrap_or_default();
        self.state().topic = Some(topic.clone());
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        self.emit(
            crate::wire::EventKind::RoomTopic,
            serde_json::json!({
                "changerId": changer, "newTopic": topic, "oldTopic": old, "roomId": ROOM.0, "timestamp": now.as_secs(),
            }),
        );
        Ok(String::new())
    }

    /// The room's topic as it is now.
    pub(super) fn room_topic(&self) -> String {
        self.state().topic.clone().unwrap_or_else(|| ROOM.1.to_owned())
    }

    pub(super) fn room_qr_code(&self, id: &str) -> Result<String, Status> {
        if let Some(refusal) = self.capability_refusal(Rpc::RoomQRCode) {
            return Err(refusal);
        }
        self.known_room(id)?;
        Ok(format!("https://puppet-lint.invalid/mock/room-qrcode/{id}"))
    }

    pub(super) fn room_member(
        &self,
        request: pb::RoomMemberPayloadRequest,
    ) -> Result<pb::RoomMemberPayloadResponse, Status> {
        self.known_room(&request.id)?;
        if !self.room_members().contains(&request.member_id) {
            return Err(Status::not_found(format!("\"{}\" is no member of \"{}\"", request.member_id, request.id)));
        }
        let name = CONTACTS
            .iter()
            .chain([&super::CAROL])
            .find(|(id, _)| *id == request.member_id)
            .map_or("puppet-lint mock bot", |(_, name)| *name);
        Ok(pb::RoomMemberPayloadResponse { id: request.member_id, name: name.to_owned(), ..Default::default() })
    }

    /// `ContactAlias`: reads, or sets (`Some`).
    pub(super) fn alias(&self, request: pb::ContactAliasRequest) -> Result<String, Status> {
        self.known_contact(&request.id)?;
        if let Some(constant) = self.constant_alias() {
            return Ok(if request.alias.is_some() { String::new() } else { constant.to_owned() });
        }
        let mut state = self.state();
        if let Some(alias) = request.alias {
            state.aliases.insert(request.id, alias);
            return Ok(String::new());
        }
        Ok(state.aliases.get(&request.id).cloned().unwrap_or_default())
    }

    pub(super) fn tags(&self) -> Result<Vec<String>, Status> {
        if let Some(refusal) = self.capability_refusal(Rpc::TagContactList) {
            return Err(refusal);
        }
        Ok(vec![TAG.to_owned()])
    }

    pub(super) fn self_qr_code(&self) -> Result<String, Status> {
        let bot = self.state().logged_in.clone().ok_or_else(super::not_logged_in)?;
        Ok(format!("https://puppet-lint.invalid/mock/contact-qrcode/{bot}"))
    }

    fn known_contact(&self, id: &str) -> Result<(), Status> {
        if self.knows_contact(id) {
            return Ok(());
        }
        Err(Status::not_found(format!("contact \"{id}\" not found")))
    }

    fn known_room(&self, id: &str) -> Result<(), Status> {
        if id == ROOM.0 {
            return Ok(());
        }
        Err(Status::not_found(format!("room \"{id}\" not found")))
    }
}
