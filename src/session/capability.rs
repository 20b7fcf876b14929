//! The rpcs only capability probes call (`engine/actions/capability.rs`): the other message kinds, forwarding and
//! recall, the get-or-set rpcs (a `None` reads, a `Some` sets: proto3 `optional` presence, CAPABILITIES.md §1.3),
//! room QR codes and members, tags, the bot's own QR code. Each under its deadline and recorded, as every rpc.

use super::{RpcError, Session, sent_id};
use crate::proto::wechaty::puppet as pb;
use crate::wire::Rpc;

impl Session {
    /// `MessageSendText` with mentions (`mentional_ids`, sic): the message id the server gave.
    pub async fn send_text_mentioning(
        &self,
        conversation_id: &str,
        text: &str,
        mentions: &[String],
    ) -> Result<String, RpcError> {
        let message = pb::MessageSendTextRequest {
            conversation_id: conversation_id.to_owned(),
            text: text.to_owned(),
            mentional_ids: mentions.to_vec(),
        };
        #[allow(deprecated)]
        self.unary(Rpc::MessageSendText, message, None, |mut client, request| async move {
            client.message_send_text(request).await
        })
        .await
        .map(|response| sent_id(response.id, response.id_string_value_deprecated))
    }

    /// `MessageSendContact`: a contact card of `contact_id`.
    #[allow(deprecated)]
    pub async fn send_contact(&self, conversation_id: &str, contact_id: &str) -> Result<String, RpcError> {
        let message = pb::MessageSendContactRequest {
            conversation_id: conversation_id.to_owned(),
            contact_id: contact_id.to_owned(),
        };
        self.unary(Rpc::MessageSendContact, message, None, |mut client, request| async move {
            client.message_send_contact(request).await
        })
        .await
        .map(|response| sent_id(response.id, response.id_string_value_deprecated))
    }

    /// `MessageSendUrl`: a link card.
    #[allow(deprecated)]
    pub async fn send_url(&self, conversation_id: &str, url_link: pb::UrlLinkPayload) -> Result<String, RpcError> {
        let message = pb::MessageSendUrlRequest {
            conversation_id: conversation_id.to_owned(),
            url_link_deprecated: String::new(),
            url_link: Some(url_link),
        };
        self.unary(Rpc::MessageSendUrl, message, None, |mut client, request| async move {
            client.message_send_url(request).await
        })
        .await
        .map(|response| sent_id(response.id, response.id_string_value_deprecated))
    }

    /// `MessageSendMiniProgram`.
    #[allow(deprecated)]
    pub async fn send_mini_program(
        &self,
        conversation_id: &str,
        mini_program: pb::MiniProgramPayload,
    ) -> Result<String, RpcError> {
        let message = pb::MessageSendMiniProgramRequest {
            conversation_id: conversation_id.to_owned(),
            mini_program_deprecated: String::new(),
            mini_program: Some(mini_program),
        };
        self.unary(Rpc::MessageSendMiniProgram, message, None, |mut client, request| async move {
            client.message_send_mini_program(request).await
        })
        .await
        .map(|response| sent_id(response.id, response.id_string_value_deprecated))
    }

    /// `MessageSendLocation`.
    pub async fn send_location(
        &self,
        conversation_id: &str,
        location: pb::LocationPayload,
    ) -> Result<String, RpcError> {
        let message =
            pb::MessageSendLocationRequest { conversation_id: conversation_id.to_owned(), location: Some(location) };
        self.unary(Rpc::MessageSendLocation, message, None, |mut client, request| async move {
            client.message_send_location(request).await
        })
        .await
        .map(|response| response.id)
    }

    /// `MessageForward`: the new message's id (maybe empty).
    #[allow(deprecated)]
    pub async fn forward(&self, message_id: &str, conversation_id: &str) -> Result<String, RpcError> {
        let message = pb::MessageForwardRequest {
            message_id: message_id.to_owned(),
            conversation_id: conversation_id.to_owned(),
        };
        self.unary(Rpc::MessageForward, message, None, |mut client, request| async move {
            client.message_forward(request).await
        })
        .await
        .map(|response| sent_id(response.id, response.id_string_value_deprecated))
    }

    /// `MessageRecall`: whether the service says it recalled the message.
    pub async fn recall(&self, message_id: &str) -> Result<bool, RpcError> {
        let message = pb::MessageRecallRequest { id: message_id.to_owned() };
        self.unary(Rpc::MessageRecall, message, None, |mut client, request| async move {
            client.message_recall(request).await
        })
        .await
        .map(|response| response.success)
    }

    /// `MessagePayload(id)` asked again now, not from the session's cache: what a message reads as after something
    /// changed it (a recall).
    pub async fn message_payload_now(&self, message_id: &str) -> Result<pb::MessagePayloadResponse, RpcError> {
        let message = pb::MessagePayloadRequest { id: message_id.to_owned() };
        self.unary(Rpc::MessagePayload, message, None, |mut client, request| async move {
            client.message_payload(request).await
        })
        .await
    }

    /// `MessageContact`: the contact id a card message carries.
    pub async fn message_contact(&self, message_id: &str) -> Result<String, RpcError> {
        let message = pb::MessageContactRequest { id: message_id.to_owned() };
        self.unary(Rpc::MessageContact, message, None, |mut client, request| async move {
            client.message_contact(request).await
        })
        .await
        .map(|response| response.id)
    }

    /// `MessageUrl`: the link card a message carries.
    pub async fn message_url(&self, message_id: &str) -> Result<Option<pb::UrlLinkPayload>, RpcError> {
        let message = pb::MessageUrlRequest { id: message_id.to_owned() };
        self.unary(
            Rpc::MessageUrl,
            message,
            None,
            |mut client, request| async move { client.message_url(request).await },
        )
        .await
        .map(|response| response.url_link)
    }

    /// `MessageMiniProgram`: the mini program a message carries.
    pub async fn message_mini_program(&self, message_id: &str) -> Result<Option<pb::MiniProgramPayload>, RpcError> {
        let message = pb::MessageMiniProgramRequest { id: message_id.to_owned() };
        self.unary(Rpc::MessageMiniProgram, message, None, |mut client, request| async move {
            client.message_mini_program(request).await
        })
        .await
        .map(|response| response.mini_program)
    }

    /// `MessageLocation`: the location a message carries.
    pub async fn message_location(&self, message_id: &str) -> Result<Option<pb::LocationPayload>, RpcError> {
        let message = pb::MessageLocationRequest { id: message_id.to_owned() };
        self.unary(Rpc::MessageLocation, message, None, |mut client, request| async move {
            client.message_location(request).await
        })
        .await
        .map(|response| response.location)
    }

    /// `RoomAnnounce`: `None` reads the announcement, `Some(text)` sets it (`Some("")` clears it).
    #[allow(deprecated)]
    pub async fn room_announce(&self, room_id: &str, text: Option<&str>) -> Result<String, RpcError> {
        let message = pb::RoomAnnounceRequest {
            id: room_id.to_owned(),
            text_string_value_deprecated: None,
            text: text.map(str::to_owned),
        };
        self.unary(Rpc::RoomAnnounce, message, None, |mut client, request| async move {
            client.room_announce(request).await
        })
        .await
        .map(|response| response.text)
    }

    /// `RoomTopic`: `None` reads the topic, `Some(topic)` sets it.
    #[allow(deprecated)]
    pub async fn room_topic(&self, room_id: &str, topic: Option<&str>) -> Result<String, RpcError> {
        let message = pb::RoomTopicRequest {
            id: room_id.to_owned(),
            topic_string_value_deprecated: None,
            topic: topic.map(str::to_owned),
        };
        self.unary(Rpc::RoomTopic, message, None, |mut client, request| async move { client.room_topic(request).await })
            .await
            .map(|response| response.topic)
    }

    /// `RoomQRCode`: the room's QR code content (a join credential: never shown whole).
    pub async fn room_qr_code(&self, room_id: &str) -> Result<String, RpcError> {
        let message = pb::RoomQrCodeRequest { id: room_id.to_owned() };
        self.unary(
            Rpc::RoomQRCode,
            message,
            None,
            |mut client, request| async move { client.room_qr_code(request).await },
        )
        .await
        .map(|response| response.qrcode)
    }

    /// `RoomMemberPayload`.
    pub async fn room_member_payload(
        &self,
        room_id: &str,
        member_id: &str,
    ) -> Result<pb::RoomMemberPayloadResponse, RpcError> {
        let message = pb::RoomMemberPayloadRequest { id: room_id.to_owned(), member_id: member_id.to_owned() };
        self.unary(Rpc::RoomMemberPayload, message, None, |mut client, request| async move {
            client.room_member_payload(request).await
        })
        .await
    }

    /// `ContactAlias`: `None` reads the alias the bot gave the contact, `Some(alias)` sets it.
    #[allow(deprecated)]
    pub async fn contact_alias(&self, contact_id: &str, alias: Option<&str>) -> Result<String, RpcError> {
        let message = pb::ContactAliasRequest {
            id: contact_id.to_owned(),
            alias_string_value_deprecated: None,
            alias: alias.map(str::to_owned),
        };
        self.unary(Rpc::ContactAlias, message, None, |mut client, request| async move {
            client.contact_alias(request).await
        })
        .await
        .map(|response| response.alias)
    }

    /// `TagContactList`: the tags of `contact_id` (all tags when empty).
    #[allow(deprecated)]
    pub async fn tag_contact_list(&self, contact_id: &str) -> Result<Vec<String>, RpcError> {
        let message =
            pb::TagContactListRequest { contact_id_string_value_deprecated: None, contact_id: contact_id.to_owned() };
        self.unary(Rpc::TagContactList, message, None, |mut client, request| async move {
            client.tag_contact_list(request).await
        })
        .await
        .map(|response| response.ids)
    }

    /// `ContactSelfQRCode`: the bot's own QR code content.
    pub async fn self_qr_code(&self) -> Result<String, RpcError> {
        self.unary(Rpc::ContactSelfQRCode, pb::ContactSelfQrCodeRequest {}, None, |mut client, request| async move {
            client.contact_self_qr_code(request).await
        })
        .await
        .map(|response| response.qrcode)
    }

    /// `RoomCreate`: a room with these contacts and this topic; the id the service gave it.
    pub async fn room_create(&self, contact_ids: &[String], topic: &str) -> Result<String, RpcError> {
        let message = pb::RoomCreateRequest { contact_ids: contact_ids.to_vec(), topic: topic.to_owned() };
        self.unary(
            Rpc::RoomCreate,
            message,
            None,
            |mut client, request| async move { client.room_create(request).await },
        )
        .await
        .map(|response| response.id)
    }

    /// `RoomAdd`: adds a contact to a room (the single `contact_id` field, which the official server reads).
    pub async fn room_add(&self, room_id: &str, contact_id: &str) -> Result<(), RpcError> {
        let message =
            pb::RoomAddRequest { id: room_id.to_owned(), contact_id: contact_id.to_owned(), invite_only: false };
        self.unary(Rpc::RoomAdd, message, None, |mut client, request| async move { client.room_add(request).await })
            .await
            .map(drop)
    }

    /// `RoomDel`: removes a contact from a room.
    pub async fn room_del(&self, room_id: &str, contact_id: &str) -> Result<(), RpcError> {
        let message = pb::RoomDelRequest { id: room_id.to_owned(), contact_id: contact_id.to_owned() };
        self.unary(Rpc::RoomDel, message, None, |mut client, request| async move { client.room_del(request).await })
            .await
            .map(drop)
    }

    /// `RoomQuit`: the bot leaves a room.
    pub async fn room_quit(&self, room_id: &str) -> Result<(), RpcError> {
        let message = pb::RoomQuitRequest { id: room_id.to_owned() };
        self.unary(Rpc::RoomQuit, message, None, |mut client, request| async move { client.room_quit(request).await })
            .await
            .map(drop)
    }

    /// `FriendshipAdd`: asks a contact for friendship, with a greeting.
    #[allow(deprecated)]
    pub async fn friendship_add(&self, contact_id: &str, hello: &str) -> Result<(), RpcError> {
        let message = pb::FriendshipAddRequest {
            contact_id: contact_id.to_owned(),
            hello: hello.to_owned(),
            ..Default::default()
        };
        self.unary(Rpc::FriendshipAdd, message, None, |mut client, request| async move {
            client.friendship_add(request).await
        })
        .await
        .map(drop)
    }

    /// `FriendshipAccept`: accepts a friendship request the bot received.
    pub async fn friendship_accept(&self, friendship_id: &str) -> Result<(), RpcError> {
        let message = pb::FriendshipAcceptRequest { id: friendship_id.to_owned() };
        self.unary(Rpc::FriendshipAccept, message, None, |mut client, request| async move {
            client.friendship_accept(request).await
        })
        .await
        .map(drop)
    }

    /// `RoomInvitationAccept`: accepts an invitation to a room the bot received.
    pub async fn room_invitation_accept(&self, invitation_id: &str) -> Result<(), RpcError> {
        let message = pb::RoomInvitationAcceptRequest { id: invitation_id.to_owned() };
        self.unary(Rpc::RoomInvitationAccept, message, None, |mut client, request| async move {
            client.room_invitation_accept(request).await
        })
        .await
        .map(drop)
    }
}
