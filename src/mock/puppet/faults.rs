//! What each fault changes in the conformant puppet: the only file of the
//! puppet that reads its faults. The conformant path (`mod.rs`, `rpc.rs`)
//! asks here at each point a fault can change, and gets the conformant
//! answer unless a fault says otherwise; the misbehaviours that come on
//! their own (after ready, after login) are sent from here.

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use tokio::time::Instant;
use tonic::Status;

use super::stream::Outgoing;
use super::{CONTACTS, Mock, ROOM, State};
use crate::mock::Fault;
use crate::proto::wechaty::puppet as pb;
use crate::wire::{EventKind, MessageKind, Rpc};

impl Mock {
    fn has(&self, fault: Fault) -> bool {
        self.0.settings.faults.contains(&fault)
    }

    /// The token a request carried (for `token-echo`).
    pub fn note_token(&self, token: &str) {
        if self.has(Fault::TokenEcho) {
            self.state().received_token = Some(token.to_owned());
        }
    }

    /// A status detail or a text as the mock's misbehaviours dress it:
    /// control characters, or the token it received.
    fn dress(&self, text: &str) -> String {
        let mut text = text.to_owned();
        if self.has(Fault::ControlChars) {
            text.push_str(CONTROL_CHARS);
        }
        if self.has(Fault::TokenEcho)
            && let Some(token) = self.state().received_token.clone()
        {
            text.push_str(&format!(" ({})", token_echoes(&token).join(", ")));
        }
        text
    }

    pub(super) fn failure(&self, status: Status) -> Status {
        Status::new(status.code(), self.dress(status.message()))
    }

    /// `drop-stream`, `drop-stream-once`: the stream ends with UNAVAILABLE.
    fn drop_stream(&self) {
        self.send_down(Outgoing::Event(Err(Status::unavailable("puppet-lint mock: the event stream is dropped"))));
        let mut state = self.state();
        state.subscriber = None;
        state.stream_dropped = true;
    }

    /// What the misbehaviours do once the bot is ready.
    pub(super) async fn misbehave_after_ready(self, bot: String) {
        // The flood and the huge payload come once, after the first ready.
        let first = !std::mem::replace(&mut self.state().misbehaved, true);
        if first && self.has(Fault::Flood) {
            self.send_down(Outgoing::Flood(self.0.settings.flood_count));
        }
        if first && self.has(Fault::HugePayload) {
            let id = self.store(CONTACTS[0].0, &bot, "a huge payload follows", MessageKind::Text, None);
            self.emit(EventKind::Message, json!({ "messageId": id, "padding": "x".repeat(HUGE) }));
        }
        if first && self.has(Fault::BigEvents) {
            for index in 0..BIG_EVENTS {
                let id = self.store(CONTACTS[0].0, &bot, &format!("big event {index}"), MessageKind::Text, None);
                self.emit(EventKind::Message, json!({ "messageId": id, "padding": "x".repeat(BIG_EVENT) }));
            }
        }
        if self.has(Fault::GarbagePayloads) {
            self.garbage(&bot);
        }
        if first && self.has(Fault::StreamCancelled) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            self.send_down(Outgoing::Event(Err(Status::cancelled("puppet-lint mock: the event stream is cancelled"))));
            self.state().subscriber = None;
        }
        if self.has(Fault::Crash) || self.has(Fault::DropStream) || self.has(Fault::DropStreamOnce) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if self.has(Fault::Crash) {
                self.0.crash.notify_one();
            } else if !self.state().stream_dropped {
                self.drop_stream();
            }
        }
    }

    /// `garbage-payloads`: everything a careless provider might send.
    fn garbage(&self, bot: &str) {
        let message = EventKind::Message.wire();
        for (number, payload) in [
            (message, "this is not JSON {".to_owned()),
            (message, r#"{"messageId":42}"#.to_owned()),
            (message, "[]".to_owned()),
            (message, "null".to_owned()),
            (message, String::new()),
            (message, r#"{"messageId":""}"#.to_owned()),
            (message, r#"{"messageId":"\ud800"}"#.to_owned()),
            (message, r#"{"messageId":"mock-msg-\udfff-lone"}"#.to_owned()),
            (EventKind::Login.wire(), r#"{"contactId":""}"#.to_owned()),
            (EventKind::Scan.wire(), r#"{"qrcode":7,"status":"five"}"#.to_owned()),
            (EventKind::Dong.wire(), r#"{"data":{"nested":[1,2,3]}}"#.to_owned()),
            (EventKind::Heartbeat.wire(), "\"just a string\"".to_owned()),
            (99, r#"{"what":"an unknown event"}"#.to_owned()),
            (-1, r#"{"what":"a negative event"}"#.to_owned()),
            (i32::MIN, "{}".to_owned()),
            (i32::MAX, "{}".to_owned()),
        ] {
            self.emit_raw(number, payload);
        }
        // A message of a type nobody knows, with a 1 MiB text.
        let id = self.store(CONTACTS[0].0, bot, &"y".repeat(1 << 20), MessageKind::Text, None);
        if let Some(stored) = self.state().messages.get_mut(&id) {
            stored.payload.r#type = i32::MAX;
        }
        self.emit(EventKind::Message, json!({ "messageId": id }));
    }

    /// The faults users of real providers reported, each breaking one rule
    /// of the puppet's login states or payload shapes.
    pub(super) fn field_faults_after_login(&self, bot: &str) {
        if self.has(Fault::StaleScan) {
            // The QR code from before the login, as some providers re-send it.
            let stale =
                json!({ "qrcode": format!("https://puppet-lint.invalid/mock/qrcode/stale-{bot}"), "status": 2 });
            self.state().stale_scan = Some(stale.clone());
            self.emit(EventKind::Scan, stale);
        }
        if self.has(Fault::NullInIdList) {
            let (inviter, _) = CONTACTS[0];
            self.emit(
                EventKind::RoomJoin,
                json!({ "inviteeIdList": [null], "inviterId": inviter, "roomId": ROOM.0, "timestamp": unix_seconds() }),
            );
        }
        if self.has(Fault::LegacyErrorShape) {
            self.emit(EventKind::Error, json!({ "data": "puppet-lint mock: an error in the legacy shape" }));
        }
        if self.has(Fault::RoomTalker) {
            // A provider that could not parse the sender of a room notice.
            let room = ROOM.0;
            let id = self.store(room, "", "a room notice", MessageKind::Text, None);
            if let Some(message) = self.state().messages.get_mut(&id) {
                message.payload.room_id = room.to_owned();
            }
            self.emit(EventKind::Message, json!({ "messageId": id }));
        }
        if self.has(Fault::UnknownEvent) {
            self.emit_raw(99, json!({ "data": "an event type wechaty-puppet does not define" }).to_string());
        }
        if self.has(Fault::EventStorm) {
            // A provider looping over one event, as reported.
            let mock = self.clone();
            self.spawn(async move {
                for _ in 0..40 {
                    mock.emit(EventKind::Heartbeat, json!({ "data": "puppet-lint mock: heartbeat" }));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            });
        }
        if self.has(Fault::BigEventStorm) {
            // Payloads past 64 KiB: a reader sees their head only, and twelve different ones share it.
            let mock = self.clone();
            self.spawn(async move {
                let head = "puppet-lint mock: a long heartbeat ".repeat(2048);
                for index in 0..12 {
                    mock.emit(EventKind::Heartbeat, json!({ "data": format!("{head}{index}") }));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let same = format!("puppet-lint mock: the same long heartbeat {head}");
                for _ in 0..12 {
                    mock.emit(EventKind::Heartbeat, json!({ "data": same }));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            });
        }
        if self.has(Fault::StaleRoomTime) {
            let (changer, _) = CONTACTS[0];
            let stale = unix_seconds() - 30 * 365 * 86_400;
            self.emit(
                EventKind::RoomTopic,
                json!({ "changerId": changer, "newTopic": "puppet-lint mock room", "oldTopic": "mock room",
                        "roomId": ROOM.0, "timestamp": stale }),
            );
        }
        if self.has(Fault::RoomTimeInMilliseconds) {
            let (inviter, _) = CONTACTS[0];
            let (invitee, _) = CONTACTS[1];
            let milliseconds = unix_seconds() * 1000;
            self.emit(
                EventKind::RoomJoin,
                json!({ "inviteeIdList": [invitee], "inviterId": inviter, "roomId": "room-1@chatroom",
                        "timestamp": milliseconds }),
            );
        }
        if self.has(Fault::PlaceholderValue) {
            let (changer, _) = CONTACTS[0];
            self.emit(
                EventKind::RoomTopic,
                json!({ "changerId": changer, "newTopic": "puppet-lint mock room", "oldTopic": "undefined",
                        "roomId": ROOM.0, "timestamp": unix_seconds() }),
            );
        }
        self.account_faults_after_login(bot);
        if self.has(Fault::DuplicateMessage) {
            let (talker, _) = CONTACTS[0];
            let id = self.store(talker, bot, "puppet-lint mock: hello, delivered twice", MessageKind::Text, None);
            self.emit(EventKind::Message, json!({ "messageId": id }));
            let mock = self.clone();
            // Soon after: the rules of the whole run judge what came before they began (at the window's end, a
            // second at the shortest), and a loaded machine can delay a timer by a good part of it.
            self.spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                mock.emit(EventKind::Message, json!({ "messageId": id }));
            });
        }
    }

    /// The account's faults: ids that name nobody, or the wrong one; messages of the wrong conversation shape.
    fn account_faults_after_login(&self, bot: &str) {
        let (bob, _) = CONTACTS[1];
        if self.has(Fault::DanglingInviter) {
            self.emit(
                EventKind::RoomJoin,
                json!({ "inviteeIdList": [bob], "inviterId": GONE, "roomId": ROOM.0, "timestamp": unix_seconds() }),
            );
        }
        if self.has(Fault::UnknownRemover) {
            self.emit(
                EventKind::RoomLeave,
                json!({ "removeeIdList": [bob], "removerId": UNKNOWN, "roomId": ROOM.0, "timestamp": unix_seconds() }),
            );
        }
        if self.has(Fault::DisplayNameTalker) {
            // A provider that put the sender's display name where its id belongs.
            let (_, alice_name) = CONTACTS[0];
            let id = self.store(alice_name, bot, "hello from a display name", MessageKind::Text, None);
            self.emit(EventKind::Message, json!({ "messageId": id }));
        }
        if self.has(Fault::DanglingFriendshipContact) {
            let friendship = "mock-friendship-1";
            let payload = pb::FriendshipPayloadResponse {
                id: friendship.to_owned(),
                contact_id: STRANGER.to_owned(),
                hello: "puppet-lint mock: add me".to_owned(),
                r#type: pb::FriendshipType::Receive.into(),
                ..Default::default()
            };
            self.state().friendships.insert(friendship.to_owned(), payload);
            self.emit(EventKind::Friendship, json!({ "friendshipId": friendship }));
        }
        if self.has(Fault::DirectWithoutListener) {
            let (alice, _) = CONTACTS[0];
            let id = self.store(alice, "", "hello to nobody", MessageKind::Text, None);
            self.emit(EventKind::Message, json!({ "messageId": id }));
        }
    }

    /// `display-name-talker`: `ContactPayload` of a display name answers that contact (its id and name).
    pub(super) fn contact_by_name(&self, name: &str) -> Option<(&'static str, &'static str)> {
        if !self.has(Fault::DisplayNameTalker) {
            return None;
        }
        CONTACTS.iter().copied().find(|(_, known)| *known == name)
    }

    /// What `ContactPayload` of an id the mock does not know answers: NOT_FOUND; `unknown-remover`: the official
    /// mock's thrown error (UNKNOWN) for its remover.
    pub(super) fn unknown_contact(&self, id: &str) -> Status {
        if self.has(Fault::UnknownRemover) && id == UNKNOWN {
            return Status::unknown(format!("Error: no payload found for id {id}"));
        }
        Status::not_found(format!("contact \"{id}\" not found"))
    }

    /// The listener of the room message: none; `room-message-listener`: the bot.
    pub(super) fn room_listener(&self, bot: &str) -> String {
        if self.has(Fault::RoomMessageListener) { bot.to_owned() } else { String::new() }
    }

    /// Whether `member` is in the room: everyone; `talker-not-in-room`: not Bob, who speaks there.
    pub(super) fn is_room_member(&self, member: &str) -> bool {
        !(self.has(Fault::TalkerNotInRoom) && member == CONTACTS[1].0)
    }

    /// The content faults that come from contacts after login: a file type without a file, an app message left
    /// unparsed.
    pub(super) fn content_faults_after_login(&self, bot: &str) {
        let (bob, _) = CONTACTS[1];
        if self.has(Fault::FileTypeWithoutFile) {
            let id = self.store(bob, bot, "", MessageKind::Image, None);
            self.emit(EventKind::Message, json!({ "messageId": id }));
        }
        if self.has(Fault::UnparsedAppMessage) {
            let markup = "<msg><appmsg appid=\"\" sdkver=\"0\"><title>puppet-lint mock link</title><type>5</type>\
                          <url>https://puppet-lint.invalid/mock/link</url></appmsg></msg>";
            let id = self.store(bob, bot, markup, MessageKind::Unknown, None);
            self.emit(EventKind::Message, json!({ "messageId": id }));
        }
    }

    // Issue 20's gaps: the scan's Cancel, app markup typed Text, a name of another kind, a text echoed as a file,
    // an invitation's inviter, a room's owner, a placeholder in an answer.

    /// The faults of this block that come after login: an app message typed Text, a video named like a photo, a
    /// `room-invite` whose inviter names nobody.
    pub(super) fn gap_faults_after_login(&self, bot: &str) {
        let (bob, _) = CONTACTS[1];
        if self.has(Fault::AppMarkupAsText) {
            let markup = "<msg><appmsg appid=\"\" sdkver=\"0\"><title>puppet-lint mock link</title><type>5</type>\
                          <url>https://puppet-lint.invalid/mock/link</url></appmsg></msg>";
            let id = self.store(bob, bot, markup, MessageKind::Text, None);
            self.emit(EventKind::Message, json!({ "messageId": id }));
        }
        if self.has(Fault::VideoNamedAsImage) {
            let clip = super::StoredFile {
                name: "bob-clip.jpg".to_owned(),
                bytes: bytes::Bytes::from_static(b"not really a video"),
            };
            let id = self.store(bob, bot, "", MessageKind::Video, Some(clip));
            self.emit(EventKind::Message, json!({ "messageId": id }));
        }
        if self.has(Fault::DanglingRoomInviter) {
            let invitation = "mock-room-invitation-1";
            let payload = pb::RoomInvitationPayloadResponse {
                id: invitation.to_owned(),
                inviter_id: GONE.to_owned(),
                topic: "puppet-lint mock other room".to_owned(),
                member_count: 2,
                member_ids: vec![GONE.to_owned(), bob.to_owned()],
                receiver_id: bot.to_owned(),
                ..Default::default()
            };
            self.state().room_invitations.insert(invitation.to_owned(), payload);
            self.emit(EventKind::RoomInvite, json!({ "roomInvitationId": invitation }));
        }
    }

    /// `echo-text-as-file`: the file a text the bot sends comes back as, named with the text.
    pub(super) fn text_as_file(&self, text: &str) -> Option<super::StoredFile> {
        self.has(Fault::EchoTextAsFile)
            .then(|| super::StoredFile { name: format!("{text}.txt"), bytes: text.as_bytes().to_vec().into() })
    }

    /// The id `MessageSendText` answers: the message's; `echo-text-as-file`: none, as the official server's.
    pub(super) fn sent_text_id(&self, id: String) -> String {
        if self.has(Fault::EchoTextAsFile) { String::new() } else { id }
    }

    /// The room's owner: none named; `ghost-room-owner`: a contact nobody knows.
    pub(super) fn room_owner(&self) -> String {
        if self.has(Fault::GhostRoomOwner) { GONE.to_owned() } else { String::new() }
    }

    /// A contact's name: its own; `placeholder-contact-name`: Bob's is "undefined".
    pub(super) fn contact_name(&self, id: &str, name: &str) -> String {
        if self.has(Fault::PlaceholderContactName) && id == CONTACTS[1].0 {
            "undefined".to_owned()
        } else {
            name.to_owned()
        }
    }

    /// `path-in-file-name`: Alice's photo named with the upload path; `url-as-file-name`: with the URL it was fetched
    /// from.
    pub(super) fn received_file_name(&self, name: String) -> String {
        if self.has(Fault::PathInFileName) {
            format!("/tmp/upload/{name}")
        } else if self.has(Fault::UrlAsFileName) {
            format!("https://cdn.mock.invalid/{name}?sig=1")
        } else {
            name
        }
    }

    /// `filename-fragment`: the `MessagePayload.filename` of Alice's photo with a URL fragment (its file keeps its
    /// name).
    pub(super) fn payload_filename(&self, name: String) -> String {
        if self.has(Fault::FilenameFragment) { format!("{name}#page=1") } else { name }
    }

    /// The name `MessageImage` gives an image in a size (`image_type`: 1 Thumbnail, 2 HD, 3 Artwork): the file's;
    /// `image-name-query`: HD with a URL query; `thumbnail-named-as-document`: the thumbnail like a PDF.
    pub(super) fn image_name(&self, name: &str, image_type: i32) -> String {
        let stem = std::path::Path::new(name).file_stem().and_then(|stem| stem.to_str()).unwrap_or(name);
        match image_type {
            2 if self.has(Fault::ImageNameQuery) => format!("{name}?size=hd"),
            1 if self.has(Fault::ThumbnailNamedAsDocument) => format!("{stem}-thumb.pdf"),
            _ => name.to_owned(),
        }
    }

    /// `message-time-in-seconds`: the payload's `timestamp` in seconds (its `receive_time` stays right).
    #[allow(deprecated)]
    pub(super) fn misdate(&self, payload: &mut pb::MessagePayloadResponse) {
        if self.has(Fault::MessageTimeInSeconds) {
            payload.timestamp_deprecated /= 1000;
        }
    }

    /// The type a file the bot sends comes back with: `kind`, or with `echo-file-wrong-type` an Image as an
    /// Attachment, with `echo-document-unknown` an Attachment as Unknown.
    pub(super) fn echo_file_kind(&self, kind: MessageKind) -> MessageKind {
        match kind {
            MessageKind::Image if self.has(Fault::EchoFileWrongType) => MessageKind::Attachment,
            MessageKind::Attachment if self.has(Fault::EchoDocumentUnknown) => MessageKind::Unknown,
            MessageKind::Emoticon if self.has(Fault::GifAsImage) => MessageKind::Image,
            kind => kind,
        }
    }

    /// `url-echo-as-text`: the type a card, link, mini program or location (or a forward) comes back as.
    pub(super) fn echo_extra_kind(&self, kind: MessageKind) -> MessageKind {
        match kind {
            MessageKind::Url if self.has(Fault::UrlEchoAsText) => MessageKind::Text,
            kind => kind,
        }
    }

    /// `location-in-room`: a message of `kind` sent to the bot itself comes back in the mock's room.
    pub(super) fn echo_in_room(&self, kind: Option<MessageKind>) -> bool {
        kind == Some(MessageKind::Location) && self.has(Fault::LocationInRoom)
    }

    /// The capability faults that refuse an rpc: `room-qr-unimplemented`, and the official server's two
    /// spellings of "unsupported" (`contact-card-unsupported`, `tags-unsupported-legacy`).
    pub(super) fn capability_refusal(&self, rpc: Rpc) -> Option<Status> {
        const UNSUPPORTED: &str = "Wechaty Puppet Unsupported API Error. Learn More At https://github.com/wechaty/wechaty-puppet/wiki/Compatibility";
        match rpc {
            Rpc::RoomQRCode if self.has(Fault::RoomQrUnimplemented) => {
                Some(Status::unimplemented(format!("The server does not implement the method /wechaty.Puppet/{rpc}")))
            }
            Rpc::MessageSendContact if self.has(Fault::ContactCardUnsupported) => Some(Status::unknown(format!(
                "Error: {UNSUPPORTED}\n    at throwUnsupportedError (puppet-lint mock)\n    at MockPuppet.messageSendContact"
            ))),
            Rpc::TagContactList if self.has(Fault::TagsUnsupportedLegacy) => Some(Status::internal(UNSUPPORTED)),
            Rpc::RoomDel if self.has(Fault::RoomDelUnimplemented) => {
                Some(Status::unimplemented(format!("The server does not implement the method /wechaty.Puppet/{rpc}")))
            }
            Rpc::RoomAdd if self.has(Fault::RoomAddRefused) => Some(Status::unknown("Error: add refused")),
            Rpc::MessageSendMiniProgram if self.has(Fault::MiniProgramHugeError) => {
                Some(Status::unknown(format!("Error: {}", "mini program refused ".repeat(3 * 1024 * 1024 / 21))))
            }
            _ => None,
        }
    }

    /// `silent-location`: a location sent never comes back.
    pub(super) fn silences_location(&self) -> bool {
        self.has(Fault::SilentLocation)
    }

    /// `room-create-ghost`: the id `RoomCreate` answers instead of making a room, as the official
    /// wechaty-puppet-mock's `mock_room_id`.
    pub(super) fn created_room_ghost(&self) -> Option<String> {
        self.has(Fault::RoomCreateGhost).then(|| "mock_room_id".to_owned())
    }

    /// `recall-ignored`: `MessageRecall` answers success = true and changes nothing.
    pub(super) fn ignores_recall(&self) -> bool {
        self.has(Fault::RecallIgnored)
    }

    /// `room-quit-stays`: `RoomQuit` answers OK and changes nothing.
    pub(super) fn stays_after_quit(&self) -> bool {
        self.has(Fault::RoomQuitStays)
    }

    /// Whether `RoomAdd` puts the contact in the member list (not with `room-add-event-only`).
    pub(super) fn adds_members(&self) -> bool {
        !self.has(Fault::RoomAddEventOnly)
    }

    /// Whether `RoomAdd` tells the join with a `room-join` (not with `room-add-no-join-event`).
    pub(super) fn tells_room_join(&self) -> bool {
        !self.has(Fault::RoomAddNoJoinEvent)
    }

    /// `alias-ignored`: the alias every contact reads back, whatever was set.
    pub(super) fn constant_alias(&self) -> Option<&'static str> {
        self.has(Fault::AliasIgnored).then_some("mock alias")
    }

    /// `listed-ghost-contact`, `listed-ghost-room`: an id the list names and its payload rpc does not know.
    pub(super) fn listed_ghost(&self, rpc: Rpc) -> Option<String> {
        match rpc {
            Rpc::ContactList if self.has(Fault::ListedGhostContact) => Some("mock-listed-ghost".to_owned()),
            Rpc::RoomList if self.has(Fault::ListedGhostRoom) => Some("mock-listed-ghost@chatroom".to_owned()),
            _ => None,
        }
    }

    /// `ghost-member`: a member id the room's list names and no contact has.
    pub(super) fn ghost_member(&self) -> Option<String> {
        self.has(Fault::GhostMember).then(|| "mock-ghost-member".to_owned())
    }

    /// `double-echo`: a text the bot sends comes back a second time, under an id of its own.
    /// `file-echo-twice`: a file the bot sends comes back a second time.
    pub(super) fn echoes_files_twice(&self) -> bool {
        self.has(Fault::FileEchoTwice)
    }

    pub(super) fn echoes_twice(&self, text: &str) -> bool {
        self.has(Fault::DoubleEcho) && !text.is_empty()
    }

    /// The text of the bot's own message coming back: as sent; `trim-text`: its trailing whitespace trimmed;
    /// `squeeze-text`: its leading blanks trimmed, tabs as four spaces, U+200D and U+FE0F dropped.
    pub(super) fn echo_text(&self, text: &str) -> String {
        if self.has(Fault::TrimText) {
            return text.trim_end().to_owned();
        }
        if self.has(Fault::SqueezeText) {
            let kept: String = text.chars().filter(|c| !matches!(c, '\u{200d}' | '\u{fe0f}')).collect();
            return kept.trim_start().replace('\t', "    ");
        }
        text.to_owned()
    }

    /// The name a file keeps, or loses, on its way through the mock.
    pub(super) fn file_name(&self, name: &str) -> String {
        if self.has(Fault::MangleFileName) {
            return name.chars().map(|c| if c == ' ' || !c.is_ascii() { '_' } else { c }).collect();
        }
        let path = std::path::Path::new(name);
        let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or(name);
        let extension = path.extension().and_then(|extension| extension.to_str()).unwrap_or("");
        if self.has(Fault::StripFileExtension) {
            stem.to_owned()
        } else if self.has(Fault::WrongFileExtension) {
            let other = if extension.eq_ignore_ascii_case("png") { "pdf" } else { "png" };
            format!("{stem}.{other}")
        } else {
            name.to_owned()
        }
    }

    /// `control-chars`: an id with colour, and a bell.
    pub(super) fn dressed_id(&self, prefix: &str, counter: u64) -> Option<String> {
        self.has(Fault::ControlChars).then(|| format!("{prefix}-\u{1b}[31m{counter}\u{1b}[0m\u{7}"))
    }

    /// `control-chars`: a bot id that sets the terminal's title and returns the carriage.
    pub(super) fn dressed_bot_id(&self, suffix: &str) -> Option<String> {
        self.has(Fault::ControlChars).then(|| format!("mock-bot-\u{1b}]0;pwned\u{7}{suffix}\r"))
    }

    /// `control-chars`: the version with them.
    pub(super) fn dress_version(&self, version: &str) -> String {
        if self.has(Fault::ControlChars) { format!("{version}{CONTROL_CHARS}") } else { version.into() }
    }

    /// The type a text the bot sends is stored with: Text, or Image with `echo-wrong-type`.
    pub(super) fn text_kind(&self) -> MessageKind {
        if self.has(Fault::EchoWrongType) { MessageKind::Image } else { MessageKind::Text }
    }

    /// The scan statuses of a login by QR code, one list per QR code shown (ScanStatus: Cancel 1, Waiting 2,
    /// Scanned 3, Confirmed 4, Timeout 5): Waiting, Scanned; `confirmed-new-qr`: Waiting, Scanned, Confirmed, then a
    /// new code's Waiting, Scanned, Confirmed; `confirmed-no-login`: Waiting, Scanned, Confirmed, Timeout.
    pub(super) fn scan_cycles(&self) -> Vec<&'static [i64]> {
        if self.has(Fault::ConfirmedNoLogin) {
            vec![&[2, 3, 4, 5]]
        } else if self.has(Fault::ConfirmedCancel) {
            vec![&[2, 3, 4, 1]]
        } else if self.has(Fault::ConfirmedNewQr) {
            vec![&[2, 3, 4], &[2, 3, 4]]
        } else {
            vec![&[2, 3]]
        }
    }

    /// Whether the scans end in a login (not with `confirmed-no-login`).
    pub(super) fn logs_in_after_scan(&self) -> bool {
        !self.has(Fault::ConfirmedNoLogin) && !self.has(Fault::ConfirmedCancel)
    }

    /// After `ready`: `ready-before-sync` adds two contacts and a room a moment later, `rooms-after-ready` a room,
    /// `contacts-trickle-after-ready` a contact at each of four moments; no event tells any of them.
    /// `request-adds-contact` adds a contact told only by a friendship request received (Receive), which adds no one.
    pub(super) async fn sync_after_ready(self) {
        let (contacts, rooms, steps) = if self.has(Fault::ReadyBeforeSync) {
            (2, 1, 1)
        } else if self.has(Fault::RoomsAfterReady) {
            (0, 2, 1)
        } else if self.has(Fault::ContactsTrickleAfterReady) {
            (1, 0, 4)
        } else if self.has(Fault::RequestAddsContact) {
            (1, 0, 1)
        } else {
            return;
        };
        for step in 0..steps {
            tokio::time::sleep(self.pace(3)).await;
            // Friendships told once the state is let go (emitting reads it).
            let mut told: Vec<String> = Vec::new();
            let mut state = self.state();
            for index in 0..contacts {
                let contact = format!("mock-contact-late-{step}-{index}");
                if self.has(Fault::RequestAddsContact) {
                    // Told by a friendship that adds no one: a request received, not confirmed.
                    let friendship = format!("mock-friendship-late-{step}-{index}");
                    let payload = pb::FriendshipPayloadResponse {
                        id: friendship.clone(),
                        // From a known contact, so every id it names resolves: only the growth is untold.
                        contact_id: CONTACTS[1].0.to_owned(),
                        hello: "puppet-lint mock: add me".to_owned(),
                        r#type: pb::FriendshipType::Receive.into(),
                        ..Default::default()
                    };
                    state.friendships.insert(friendship.clone(), payload);
                    told.push(friendship);
                }
                state.late_contacts.push(contact);
            }
            for index in 0..rooms {
                state.late_rooms.push(format!("mock-room-late-{step}-{index}@chatroom"));
            }
            drop(state);
            for friendship in told {
                self.emit(EventKind::Friendship, json!({ "friendshipId": friendship }));
            }
        }
    }

    /// `ready-before-login`: `ready` comes first.
    pub(super) fn misbehave_before_login(&self) {
        if self.has(Fault::ReadyBeforeLogin) {
            self.emit(EventKind::Ready, json!({ "data": "ready" }));
        }
    }

    /// How many `ready` events a login brings: one; none with `no-ready`,
    /// two with `ready-twice`.
    pub(super) fn readies(&self) -> u32 {
        if self.has(Fault::NoReady) {
            0
        } else if self.has(Fault::ReadyTwice) {
            2
        } else {
            1
        }
    }

    /// `misnamed-file-kind`: Alice's photo, sent as an image, named like a
    /// document.
    pub(super) fn misnamed_photo(&self) -> Option<(String, MessageKind)> {
        self.has(Fault::MisnamedFileKind).then(|| (super::ALICE_PHOTO.replace(".jpg", ".pdf"), MessageKind::Image))
    }

    /// The talker of the bot's own message coming back: the bot;
    /// `echo-wrong-talker`: a contact.
    pub(super) fn echo_talker(&self, bot: String) -> String {
        if self.has(Fault::EchoWrongTalker) { CONTACTS[1].0.to_owned() } else { bot }
    }

    /// Whether what the bot sends comes back as a `message` (not with `no-echo`).
    pub(super) fn echoes(&self) -> bool {
        !self.has(Fault::NoEcho)
    }

    /// Why a new subscriber is refused although the slot is free: `slow-slot`
    /// keeps it taken for 3 s after a client's cancel; after `drop-stream`,
    /// the stream is gone for good.
    pub(super) fn refuse_subscriber(&self, state: &State) -> Option<Status> {
        if self.has(Fault::SlowSlot)
            && state.stream_closed_at.is_some_and(|closed| closed.elapsed() < Duration::from_secs(3))
        {
            return Some(Status::already_exists("GrpcServerImpl.event() can not call twice."));
        }
        if state.stream_dropped && self.has(Fault::DropStream) {
            return Some(Status::unavailable("puppet-lint mock: the event stream is gone for good"));
        }
        None
    }

    /// `stream-ends-at-once`: the connect heartbeat, then the end: the
    /// subscriber is dropped.
    pub(super) fn misbehave_on_subscribe(&self) {
        if self.has(Fault::StreamEndsAtOnce) {
            self.emit(EventKind::Heartbeat, json!({ "data": "Wechaty Puppet gRPC stream connect successfully" }));
            self.state().subscriber = None;
        }
    }

    /// Whether a new subscriber is told the login (not with `no-replay`).
    pub(super) fn replays_login(&self) -> bool {
        !self.has(Fault::NoReplay)
    }

    /// `stale-scan`: the stale scan is replayed to new subscribers too.
    pub(super) fn replay_stale_scan(&self) {
        // Bound first: the state's lock must be free before `emit` takes it.
        let stale = self.state().stale_scan.clone();
        if let Some(stale) = stale {
            self.emit(EventKind::Scan, stale);
        }
    }

    /// `hang-start`: `Start` never answers.
    pub(super) async fn misbehave_on_start(&self) {
        if self.has(Fault::HangStart) {
            std::future::pending::<()>().await;
        }
    }

    /// `session-lost-on-restart`: `Start` forgets the session.
    pub(super) fn lose_session_on_restart(&self, state: &mut State) {
        if self.has(Fault::SessionLostOnRestart) {
            state.session = None;
        }
    }

    /// Whether a heartbeat comes every interval (not with `no-heartbeat`).
    pub(super) fn beats(&self) -> bool {
        !self.has(Fault::NoHeartbeat)
    }

    /// `token-echo`: heartbeat `beats` carries the token in the event's raw
    /// JSON, as servers echo it: case changed, every character escaped.
    /// Whether it was sent so.
    pub(super) fn echo_token_in_heartbeat(&self, beats: u64) -> bool {
        let token = self.state().received_token.clone().filter(|_| self.has(Fault::TokenEcho));
        let Some(token) = token else { return false };
        let echoed = token_echoes(&token).join(" ").replace('\\', "\\\\").replace('"', "\\\"");
        let data = format!(r#"{{"data":"heartbeat #{beats} {echoed}"}}"#);
        self.state().last_heartbeat = Some(Instant::now());
        self.emit_raw(EventKind::Heartbeat.wire(), data);
        true
    }

    /// `session-kept-after-logout`: `Logout` keeps the session.
    pub(super) fn keeps_session_after_logout(&self) -> bool {
        self.has(Fault::SessionKeptAfterLogout)
    }

    /// How many `logout` events a `Logout` emits: one; none with
    /// `no-logout-event`; with `double-logout` a second one right behind the
    /// first, as reported: before the client can stop the puppet (a stopped
    /// puppet's events are lost).
    pub(super) fn logout_events(&self) -> u32 {
        u32::from(!self.has(Fault::NoLogoutEvent)) + u32::from(self.has(Fault::DoubleLogout))
    }

    /// Whether a `Ding` brings a `dong` (not with `no-dong`).
    pub(super) fn dongs(&self) -> bool {
        !self.has(Fault::NoDong)
    }

    /// `slow-ding-under-load`: a `dong` a second late while an upload is under
    /// way.
    pub(super) fn lag_under_load(&self) -> Duration {
        let loaded = self.has(Fault::SlowDingUnderLoad) && self.state().uploading > 0;
        if loaded { Duration::from_secs(1) } else { Duration::ZERO }
    }

    /// `stream-file-unnamed`: a file sent by the streaming send loses its name.
    pub(super) fn unname_streamed_file(&self, name: String) -> String {
        if self.has(Fault::StreamFileUnnamed) { "uuid.dat".to_owned() } else { name }
    }

    /// `huge-payload`: 8 MiB more text; `control-chars`, `token-echo`: the
    /// text dressed.
    pub(super) fn misshape_payload(&self, payload: &mut pb::MessagePayloadResponse) {
        if self.has(Fault::HugePayload) {
            payload.text.push_str(&"x".repeat(HUGE));
        }
        if self.has(Fault::ControlChars) || self.has(Fault::TokenEcho) {
            payload.text = self.dress(&payload.text);
        }
    }

    /// `inline-big-file`: files over the inline limit are sent inline all the
    /// same.
    pub(super) fn inlines_big_files(&self) -> bool {
        self.has(Fault::InlineBigFile)
    }

    /// Whether the bot's own contact is known (not with `no-self-contact`).
    pub(super) fn knows_itself(&self) -> bool {
        !self.has(Fault::NoSelfContact)
    }

    /// `corrupt-download`: one bit flipped in the middle (of a copy: the
    /// stored file stays as it was uploaded).
    pub(super) fn corrupt_download(&self, bytes: Bytes) -> Bytes {
        if !self.has(Fault::CorruptDownload) || bytes.is_empty() {
            return bytes;
        }
        let mut corrupt = bytes.to_vec();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 0x01;
        Bytes::from(corrupt)
    }
}

/// `dangling-inviter`: an inviter nobody knows.
const GONE: &str = "mock-contact-gone";
/// `unknown-remover`: a remover whose `ContactPayload` fails.
const UNKNOWN: &str = "wxid_puppet-lint-unknown";
/// `dangling-friendship-contact`: the contact of the friendship, unknown.
const STRANGER: &str = "mock-contact-stranger";

/// `big-events`: how many, and how big each (3 MiB: under a 4 MiB message limit).
const BIG_EVENTS: usize = 32;
const BIG_EVENT: usize = 3 << 20;

/// `huge-payload`: 8 MiB, twice tonic's default decoding limit.
const HUGE: usize = 8 << 20;

/// `control-chars`: what a terminal must not obey — colour, a cleared
/// screen, a window title, a bell, a carriage return, a C1 CSI, NUL.
/// Now, in whole seconds since the Unix epoch (room events' unit).
fn unix_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// The token as servers and proxies echo it back (`token-echo`): as sent,
/// its secret part alone, case changed, JSON-escaped, its `_` escaped
/// (`\u005f`, `&#95;`, `%5F`), percent-encoded, a zero-width character
/// inside, base64 and hex (of the token and of the secret), and in pieces:
/// halves, halves swapped and joined, halves in hex, thirds.
fn token_echoes(token: &str) -> Vec<String> {
    use base64::Engine as _;
    let secret = token.rsplit('_').next().unwrap_or(token);
    let json: String = token.encode_utf16().map(|unit| format!("\\u{unit:04x}")).collect();
    let percent: String = token.bytes().map(|byte| format!("%{byte:02X}")).collect();
    let hex = |text: &str| text.bytes().map(|byte| format!("{byte:02x}")).collect::<String>();
    let base64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let [first, second, _] = thirds(secret);
    let middle = (first.len() + second.len()) / 2;
    let middle = (middle..=secret.len()).find(|at| secret.is_char_boundary(*at)).unwrap_or(secret.len());
    let inside = (middle.min(4)..=secret.len()).find(|at| secret.is_char_boundary(*at)).unwrap_or(secret.len());
    let zero_width = format!("{}\u{200b}{}", &secret[..inside], &secret[inside..]);
    vec![
        format!("token \"{token}\" expired"),
        format!("secret {secret}"),
        token.to_ascii_uppercase(),
        json,
        token.replace('_', "\\u005f"),
        token.replace('_', "&#95;"),
        token.replace('_', "%5F"),
        percent,
        zero_width,
        base64(token),
        base64(secret),
        hex(token),
        hex(secret).to_ascii_uppercase(),
        format!("first half {}", &secret[..middle]),
        format!("second half {}", &secret[middle..]),
        format!("halves swapped {}{}", &secret[middle..], &secret[..middle]),
        format!("hex halves {} {}", hex(&secret[..middle]), hex(&secret[middle..])),
        format!("thirds {}", thirds(secret).join(" / ")),
    ]
}

/// `secret` in three parts (at character boundaries).
fn thirds(secret: &str) -> [&str; 3] {
    let at = |part: usize| {
        let mut cut = secret.len() * part / 3;
        while !secret.is_char_boundary(cut) {
            cut += 1;
        }
        cut
    };
    let (first, second) = (at(1), at(2));
    [&secret[..first], &secret[first..second], &secret[second..]]
}

/// What `control-chars` adds to the version, status details and texts:
/// terminal controls (colour, clear screen, a window title, OSC 52 writing
/// the clipboard, CR, BS, CSI, NUL), then Markdown that would link and load
/// a remote image in a job summary, HTML, and a GitHub workflow command on a
/// line of its own.
const CONTROL_CHARS: &str = "\u{1b}[31m red\u{1b}[0m\u{1b}[2J\u{1b}]0;title\u{7}\r\u{8}\u{9b}1m\u{0}\u{1b}]52;c;cHduZWQ=\u{7} \
                             [Re-authenticate](https://evil.example/login) ![x](https://evil.example/p.png) \
                             <img src=x onerror=alert(1)>\n::error::pwned%0A::add-mask::x";
/// An upload under way, counted while it lasts (`slow-ding-under-load`).
pub(super) struct Uploading(Mock);

impl Uploading {
    pub(super) fn new(mock: &Mock) -> Uploading {
        mock.state().uploading += 1;
        Uploading(mock.clone())
    }
}

impl Drop for Uploading {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.uploading = state.uploading.saturating_sub(1);
    }
}
