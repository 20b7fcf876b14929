//! The payload answers the account model reads (`engine::actions::account`), cached per id: `payloads.ids-resolve`
//! and `payloads.answer-placeholders` judge the same answers, so each id costs one rpc however many checks read it.
//! The suite's own rpc steps (`contact_payload`, …) stay uncached: they ask at a moment that matters (after a
//! logout, a restart). Each map keeps at most `CACHE_LIMIT` answers, then starts again.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Cached, RpcError, Session, cell};
use crate::proto::wechaty::puppet as pb;
use crate::wire::Rpc;

/// Each payload rpc's answers, by id.
#[derive(Default)]
pub(super) struct Answers {
    contacts: Mutex<HashMap<String, Cached<pb::ContactPayloadResponse>>>,
    rooms: Mutex<HashMap<String, Cached<pb::RoomPayloadResponse>>>,
    members: Mutex<HashMap<String, Cached<Vec<String>>>>,
    friendships: Mutex<HashMap<String, Cached<pb::FriendshipPayloadResponse>>>,
    invitations: Mutex<HashMap<String, Cached<pb::RoomInvitationPayloadResponse>>>,
}

impl Session {
    /// `ContactPayload(id)`, once per id for the account model.
    pub async fn account_contact(&self, id: &str) -> Result<pb::ContactPayloadResponse, RpcError> {
        cell(&self.answers.contacts, id).get_or_init(|| self.contact_payload(id)).await.clone()
    }

    /// `RoomPayload(id)`, once per id for the account model.
    pub async fn account_room(&self, id: &str) -> Result<pb::RoomPayloadResponse, RpcError> {
        cell(&self.answers.rooms, id).get_or_init(|| self.room_payload(id)).await.clone()
    }

    /// `RoomMemberList(id)`, once per room for the account model.
    pub async fn account_members(&self, id: &str) -> Result<Vec<String>, RpcError> {
        cell(&self.answers.members, id).get_or_init(|| self.room_member_list(id)).await.clone()
    }

    /// `FriendshipPayload(id)`, once per id for the account model.
    pub async fn account_friendship(&self, id: &str) -> Result<pb::FriendshipPayloadResponse, RpcError> {
        cell(&self.answers.friendships, id).get_or_init(|| self.friendship_payload(id)).await.clone()
    }

    /// `RoomInvitationPayload(id)` (a read: no `payload` to set), once per id for the account model.
    pub async fn account_room_invitation(&self, id: &str) -> Result<pb::RoomInvitationPayloadResponse, RpcError> {
        cell(&self.answers.invitations, id)
            .get_or_init(|| async {
                let message = pb::RoomInvitationPayloadRequest { id: id.to_owned(), ..Default::default() };
                self.unary(Rpc::RoomInvitationPayload, message, None, |mut client, request| async move {
                    client.room_invitation_payload(request).await
                })
                .await
            })
            .await
            .clone()
    }
}
