//! The `wechaty.Puppet` rpcs, answered by the conformant puppet (and
//! `grpc.health.v1`).

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use super::faults::Uploading;
use super::kinds::Extra;
use super::stream::EventStream;
use super::{CAROL, CONTACTS, Mock, ROOM, ROOMS, StoredFile, not_logged_in};
use crate::proto::health::{HealthCheckRequest, HealthCheckResponse, health_server};
use crate::proto::wechaty::puppet as pb;
use crate::proto::wechaty::puppet_server;
use crate::wire::filebox::{self, FileBox, Payload};
use crate::wire::{EventKind, MessageKind, Rpc};

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl puppet_server::Puppet for Mock {
    async fn event(&self, _: Request<pb::EventRequest>) -> Reply<BoxStream<pb::EventResponse>> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let (logged_in, ready, scan) = {
            let mut state = self.state();
            if state.subscriber.as_ref().is_some_and(|subscriber| !subscriber.is_closed()) {
                return Err(Status::already_exists("GrpcServerImpl.event() can not call twice."));
            }
            if let Some(refusal) = self.refuse_subscriber(&state) {
                return Err(refusal);
            }
            state.subscriber = Some(sender);
            (state.logged_in.clone(), state.ready_emitted, state.pending_scan.clone())
        };
        self.misbehave_on_subscribe();
        // As the official server: a heartbeat at once, then what a late
        // subscriber missed.
        self.emit(EventKind::Heartbeat, json!({ "data": "Wechaty Puppet gRPC stream connect successfully" }));
        if let Some(bot) = logged_in.filter(|_| self.replays_login()) {
            self.emit(EventKind::Login, json!({ "contactId": bot }));
            self.replay_stale_scan();
            if ready {
                let mock = self.clone();
                self.spawn(async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    mock.emit(EventKind::Ready, json!({ "data": "ready" }));
                });
            }
        } else if let Some(scan) = scan {
            self.emit(EventKind::Scan, scan);
        }
        Ok(Response::new(Box::pin(EventStream {
            mock: Some(self.clone()),
            receiver,
            flood: 0..0,
            flood_started: None,
        })))
    }

    async fn start(&self, _: Request<pb::StartRequest>) -> Reply<pb::StartResponse> {
        self.misbehave_on_start().await;
        let restore = {
            let mut state = self.state();
            if state.started {
                return Ok(Response::new(pb::StartResponse {}));
            }
            state.started = true;
            self.lose_session_on_restart(&mut state);
            state.session.clone()
        };
        self.spawn(self.clone().login_sequence(restore));
        if self.beats() {
            let mock = self.clone();
            let interval = self.0.settings.heartbeat_interval;
            self.spawn(async move {
                let mut beats = 0u64;
                loop {
                    tokio::time::sleep(interval).await;
                    beats += 1;
                    if !mock.echo_token_in_heartbeat(beats) {
                        mock.emit(EventKind::Heartbeat, json!({ "data": format!("heartbeat #{beats}") }));
                    }
                }
            });
        }
        Ok(Response::new(pb::StartResponse {}))
    }

    async fn stop(&self, _: Request<pb::StopRequest>) -> Reply<pb::StopResponse> {
        // The stream ends (status OK) before the reply, as on the official server.
        self.state().stopped_stream = true;
        self.halt();
        let mut state = self.state();
        state.started = false;
        state.logged_in = None;
        state.ready_emitted = false;
        state.pending_scan = None;
        Ok(Response::new(pb::StopResponse {}))
    }

    async fn logout(&self, _: Request<pb::LogoutRequest>) -> Reply<pb::LogoutResponse> {
        let bot = {
            let mut state = self.state();
            let Some(bot) = state.logged_in.take() else {
                drop(state);
                return Err(self.failure(not_logged_in()));
            };
            state.ready_emitted = false;
            if !self.keeps_session_after_logout() {
                state.session = None;
            }
            bot
        };
        for _ in 0..self.logout_events() {
            self.emit(EventKind::Logout, json!({ "contactId": bot, "data": "logged out by Logout()" }));
        }
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn ding(&self, request: Request<pb::DingRequest>) -> Reply<pb::DingResponse> {
        if self.dongs() {
            let data = request.into_inner().data;
            let mock = self.clone();
            let delay = self.pace(1) + self.lag_under_load();
            self.spawn(async move {
                tokio::time::sleep(delay).await;
                mock.emit(EventKind::Dong, json!({ "data": data }));
            });
        }
        Ok(Response::new(pb::DingResponse {}))
    }

    async fn version(&self, _: Request<pb::VersionRequest>) -> Reply<pb::VersionResponse> {
        let version = self.dress_version(concat!("puppet-lint-mock/", env!("CARGO_PKG_VERSION")));
        Ok(Response::new(pb::VersionResponse { version }))
    }

    #[allow(deprecated)]
    async fn message_send_text(
        &self,
        request: Request<pb::MessageSendTextRequest>,
    ) -> Reply<pb::MessageSendTextResponse> {
        let id = self.sent_text_id(self.send_text_mentioning(request.into_inner())?);
        Ok(Response::new(pb::MessageSendTextResponse { id: id.clone(), id_string_value_deprecated: Some(id) }))
    }

    #[allow(deprecated)]
    async fn message_send_contact(
        &self,
        request: Request<pb::MessageSendContactRequest>,
    ) -> Reply<pb::MessageSendContactResponse> {
        let id = self.send_contact_card(request.into_inner())?;
        Ok(Response::new(pb::MessageSendContactResponse { id: id.clone(), id_string_value_deprecated: Some(id) }))
    }

    #[allow(deprecated)]
    async fn message_send_url(&self, request: Request<pb::MessageSendUrlRequest>) -> Reply<pb::MessageSendUrlResponse> {
        let id = self.send_url(request.into_inner())?;
        Ok(Response::new(pb::MessageSendUrlResponse { id: id.clone(), id_string_value_deprecated: Some(id) }))
    }

    #[allow(deprecated)]
    async fn message_send_mini_program(
        &self,
        request: Request<pb::MessageSendMiniProgramRequest>,
    ) -> Reply<pb::MessageSendMiniProgramResponse> {
        let id = self.send_mini_program(request.into_inner())?;
        Ok(Response::new(pb::MessageSendMiniProgramResponse { id: id.clone(), id_string_value_deprecated: Some(id) }))
    }

    async fn message_send_location(
        &self,
        request: Request<pb::MessageSendLocationRequest>,
    ) -> Reply<pb::MessageSendLocationResponse> {
        let id = self.send_location(request.into_inner())?;
        Ok(Response::new(pb::MessageSendLocationResponse { id }))
    }

    #[allow(deprecated)]
    async fn message_forward(&self, request: Request<pb::MessageForwardRequest>) -> Reply<pb::MessageForwardResponse> {
        let id = self.forward(request.into_inner())?;
        Ok(Response::new(pb::MessageForwardResponse { id: id.clone(), id_string_value_deprecated: Some(id) }))
    }

    async fn message_recall(&self, request: Request<pb::MessageRecallRequest>) -> Reply<pb::MessageRecallResponse> {
        let success = self.recall(&request.into_inner().id)?;
        Ok(Response::new(pb::MessageRecallResponse { success }))
    }

    async fn message_contact(&self, request: Request<pb::MessageContactRequest>) -> Reply<pb::MessageContactResponse> {
        let id = match self.message_extra(&request.into_inner().id)? {
            Extra::Contact(id) => id,
            _ => String::new(),
        };
        Ok(Response::new(pb::MessageContactResponse { id }))
    }

    #[allow(deprecated)]
    async fn message_url(&self, request: Request<pb::MessageUrlRequest>) -> Reply<pb::MessageUrlResponse> {
        let url_link = match self.message_extra(&request.into_inner().id)? {
            Extra::Url(link) => Some(link),
            _ => None,
        };
        Ok(Response::new(pb::MessageUrlResponse { url_link_deprecated: String::new(), url_link }))
    }

    #[allow(deprecated)]
    async fn message_mini_program(
        &self,
        request: Request<pb::MessageMiniProgramRequest>,
    ) -> Reply<pb::MessageMiniProgramResponse> {
        let mini_program = match self.message_extra(&request.into_inner().id)? {
            Extra::MiniProgram(program) => Some(program),
            _ => None,
        };
        Ok(Response::new(pb::MessageMiniProgramResponse { mini_program_deprecated: String::new(), mini_program }))
    }

    async fn message_location(
        &self,
        request: Request<pb::MessageLocationRequest>,
    ) -> Reply<pb::MessageLocationResponse> {
        let location = match self.message_extra(&request.into_inner().id)? {
            Extra::Location(location) => Some(location),
            _ => None,
        };
        Ok(Response::new(pb::MessageLocationResponse { location }))
    }

    #[allow(deprecated)]
    async fn room_announce(&self, request: Request<pb::RoomAnnounceRequest>) -> Reply<pb::RoomAnnounceResponse> {
        let text = self.announce(request.into_inner())?;
        Ok(Response::new(pb::RoomAnnounceResponse { text_string_value_deprecated: None, text }))
    }

    #[allow(deprecated)]
    async fn room_topic(&self, request: Request<pb::RoomTopicRequest>) -> Reply<pb::RoomTopicResponse> {
        let topic = self.topic(request.into_inner())?;
        Ok(Response::new(pb::RoomTopicResponse { topic_string_value_deprecated: None, topic }))
    }

    async fn room_qr_code(&self, request: Request<pb::RoomQrCodeRequest>) -> Reply<pb::RoomQrCodeResponse> {
        let qrcode = Mock::room_qr_code(self, &request.into_inner().id)?;
        Ok(Response::new(pb::RoomQrCodeResponse { qrcode }))
    }

    async fn room_member_payload(
        &self,
        request: Request<pb::RoomMemberPayloadRequest>,
    ) -> Reply<pb::RoomMemberPayloadResponse> {
        Ok(Response::new(self.room_member(request.into_inner())?))
    }

    #[allow(deprecated)]
    async fn contact_alias(&self, request: Request<pb::ContactAliasRequest>) -> Reply<pb::ContactAliasResponse> {
        let alias = self.alias(request.into_inner())?;
        Ok(Response::new(pb::ContactAliasResponse { alias_string_value_deprecated: None, alias }))
    }

    async fn room_create(&self, request: Request<pb::RoomCreateRequest>) -> Reply<pb::RoomCreateResponse> {
        Ok(Response::new(pb::RoomCreateResponse { id: self.create_room(request.into_inner())? }))
    }

    async fn room_add(&self, request: Request<pb::RoomAddRequest>) -> Reply<pb::RoomAddResponse> {
        self.add_to_room(request.into_inner())?;
        Ok(Response::new(pb::RoomAddResponse {}))
    }

    async fn room_del(&self, request: Request<pb::RoomDelRequest>) -> Reply<pb::RoomDelResponse> {
        self.remove_from_room(request.into_inner())?;
        Ok(Response::new(pb::RoomDelResponse {}))
    }

    async fn room_quit(&self, request: Request<pb::RoomQuitRequest>) -> Reply<pb::RoomQuitResponse> {
        self.quit_room(&request.into_inner().id)?;
        Ok(Response::new(pb::RoomQuitResponse {}))
    }

    async fn friendship_add(&self, request: Request<pb::FriendshipAddRequest>) -> Reply<pb::FriendshipAddResponse> {
        self.add_friend(request.into_inner())?;
        Ok(Response::new(pb::FriendshipAddResponse {}))
    }

    async fn friendship_accept(
        &self,
        request: Request<pb::FriendshipAcceptRequest>,
    ) -> Reply<pb::FriendshipAcceptResponse> {
        self.accept_friend(&request.into_inner().id)?;
        Ok(Response::new(pb::FriendshipAcceptResponse {}))
    }

    async fn room_invitation_accept(
        &self,
        request: Request<pb::RoomInvitationAcceptRequest>,
    ) -> Reply<pb::RoomInvitationAcceptResponse> {
        self.accept_invitation(&request.into_inner().id)?;
        Ok(Response::new(pb::RoomInvitationAcceptResponse {}))
    }

    async fn tag_contact_list(&self, _: Request<pb::TagContactListRequest>) -> Reply<pb::TagContactListResponse> {
        Ok(Response::new(pb::TagContactListResponse { ids: self.tags()? }))
    }

    async fn contact_self_qr_code(
        &self,
        _: Request<pb::ContactSelfQrCodeRequest>,
    ) -> Reply<pb::ContactSelfQrCodeResponse> {
        Ok(Response::new(pb::ContactSelfQrCodeResponse { qrcode: self.self_qr_code()? }))
    }

    #[allow(deprecated)]
    async fn message_send_file(
        &self,
        request: Request<pb::MessageSendFileRequest>,
    ) -> Reply<pb::MessageSendFileResponse> {
        let request = request.into_inner();
        let file_box =
            FileBox::parse(&request.file_box).map_err(|error| Status::invalid_argument(error.to_string()))?;
        let bytes = match &file_box.payload {
            Payload::Base64(_) => file_box
                .inline_bytes()
                .map(Bytes::from)
                .ok_or_else(|| Status::invalid_argument("file box \"base64\" does not decode"))?,
            Payload::Uuid(uuid) => self
                .state()
                .blobs
                .get(uuid)
                .cloned()
                .ok_or_else(|| Status::not_found(format!("no upload with uuid \"{uuid}\"")))?,
            _ => Bytes::new(),
        };
        let file = StoredFile { name: self.file_name(&file_box.name), bytes };
        let id = self.send(&request.conversation_id, "", Some((file, &file_box.name)))?;
        Ok(Response::new(pb::MessageSendFileResponse { id: id.clone(), id_string_value_deprecated: Some(id) }))
    }

    /// The deprecated streaming send, which the official client uses for
    /// in-memory files: `{conversation_id}`, then `{file_box_chunk{name}}`,
    /// then `{file_box_chunk{data}}`… (the official server's order).
    #[allow(deprecated)]
    async fn message_send_file_stream(
        &self,
        request: Request<Streaming<pb::MessageSendFileStreamRequest>>,
    ) -> Reply<pb::MessageSendFileStreamResponse> {
        const LIMIT: usize = 64 * 1024 * 1024;
        let mut stream = request.into_inner();
        let first = stream.next().await.transpose()?.unwrap_or_default();
        let Some(conversation_id) = first.conversation_id else {
            return Err(Status::invalid_argument("no conversation id"));
        };
        let second = stream.next().await.transpose()?.unwrap_or_default();
        let Some(name) = second.file_box_chunk.and_then(|chunk| chunk.name) else {
            return Err(Status::invalid_argument("no name"));
        };
        let sent_name = name.clone();
        let name = self.unname_streamed_file(name);
        let mut bytes = Vec::new();
        while let Some(part) = stream.next().await {
            let Some(data) = part?.file_box_chunk.and_then(|chunk| chunk.data) else {
                return Err(Status::invalid_argument("no data"));
            };
            bytes.extend(data);
            if bytes.len() > LIMIT {
                return Err(Status::resource_exhausted("files over 64 MiB are refused"));
            }
        }
        let file = StoredFile { name: self.file_name(&name), bytes: Bytes::from(bytes) };
        let id = self.send(&conversation_id, "", Some((file, &sent_name)))?;
        Ok(Response::new(pb::MessageSendFileStreamResponse { id: id.clone(), id_string_value_deprecated: Some(id) }))
    }

    async fn message_payload(&self, request: Request<pb::MessagePayloadRequest>) -> Reply<pb::MessagePayloadResponse> {
        let mut payload = self.message(&request.into_inner().id)?.payload;
        self.misshape_payload(&mut payload);
        Ok(Response::new(payload))
    }

    async fn message_file(&self, request: Request<pb::MessageFileRequest>) -> Reply<pb::MessageFileResponse> {
        let id = request.into_inner().id;
        let Some(file) = self.message(&id)?.file else {
            return Err(Status::failed_precondition(format!("message \"{id}\" carries no file")));
        };
        let file_box = if file.bytes.len() <= filebox::INLINE_LIMIT || self.inlines_big_files() {
            FileBox::from_bytes(&file.name, &file.bytes)
        } else {
            let uuid = uuid::Uuid::new_v4().to_string();
            let size = file.bytes.len() as u64;
            self.state().blobs.insert(uuid.clone(), file.bytes);
            FileBox::uuid(&file.name, &uuid, size)
        };
        Ok(Response::new(pb::MessageFileResponse { file_box: file_box.to_json() }))
    }

    /// An Image's file in the size asked for (the mock keeps one size: each is the file), named as the file is.
    async fn message_image(&self, request: Request<pb::MessageImageRequest>) -> Reply<pb::MessageImageResponse> {
        let request = request.into_inner();
        let message = self.message(&request.id)?;
        let (Some(file), true) = (message.file, message.payload.r#type == MessageKind::Image.wire()) else {
            return Err(Status::failed_precondition(format!("message \"{}\" is no image", request.id)));
        };
        let name = self.image_name(&file.name, request.r#type);
        Ok(Response::new(pb::MessageImageResponse { file_box: FileBox::from_bytes(&name, &file.bytes).to_json() }))
    }

    async fn contact_payload(&self, request: Request<pb::ContactPayloadRequest>) -> Reply<pb::ContactPayloadResponse> {
        let id = request.into_inner().id;
        let bot = self.state().logged_in.clone();
        let (id, name) = if bot.as_deref() == Some(id.as_str()) && self.knows_itself() {
            (id, "puppet-lint mock bot")
        } else if let Some((_, name)) = CONTACTS.iter().chain([&CAROL]).find(|(contact, _)| *contact == id) {
            (id, *name)
        } else if let Some((contact, name)) = self.contact_by_name(&id) {
            (contact.to_owned(), name)
        } else {
            return Err(self.failure(self.unknown_contact(&id)));
        };
        let name = self.contact_name(&id, name);
        let friend = self.is_friend(&id);
        Ok(Response::new(pb::ContactPayloadResponse {
            id,
            name,
            r#type: pb::ContactType::Personal.into(),
            friend,
            ..Default::default()
        }))
    }

    async fn room_payload(&self, request: Request<pb::RoomPayloadRequest>) -> Reply<pb::RoomPayloadResponse> {
        let id = request.into_inner().id;
        if let Some((topic, member_ids)) = self.state().rooms.created(&id) {
            return Ok(Response::new(pb::RoomPayloadResponse { id, topic, member_ids, ..Default::default() }));
        }
        if id != ROOM.0 {
            return Err(self.failure(Status::not_found(format!("room \"{id}\" not found"))));
        }
        let member_ids = self.room_members();
        let owner_id = self.room_owner();
        Ok(Response::new(pb::RoomPayloadResponse {
            id,
            topic: self.room_topic(),
            owner_id,
            member_ids,
            ..Default::default()
        }))
    }

    async fn room_member_list(&self, request: Request<pb::RoomMemberListRequest>) -> Reply<pb::RoomMemberListResponse> {
        let id = request.into_inner().id;
        Ok(Response::new(pb::RoomMemberListResponse { member_ids: self.members_of(&id)? }))
    }

    async fn friendship_payload(
        &self,
        request: Request<pb::FriendshipPayloadRequest>,
    ) -> Reply<pb::FriendshipPayloadResponse> {
        let id = request.into_inner().id;
        let found = self.state().friendships.get(&id).cloned();
        found
            .map(Response::new)
            .ok_or_else(|| self.failure(Status::not_found(format!("friendship \"{id}\" not found"))))
    }

    async fn room_invitation_payload(
        &self,
        request: Request<pb::RoomInvitationPayloadRequest>,
    ) -> Reply<pb::RoomInvitationPayloadResponse> {
        let id = request.into_inner().id;
        let found = self.state().room_invitations.get(&id).cloned();
        found
            .map(Response::new)
            .ok_or_else(|| self.failure(Status::not_found(format!("room invitation \"{id}\" not found"))))
    }

    async fn contact_list(&self, _: Request<pb::ContactListRequest>) -> Reply<pb::ContactListResponse> {
        let mut ids: Vec<String> = CONTACTS.iter().map(|(id, _)| (*id).to_owned()).collect();
        let state = self.state();
        ids.extend(state.logged_in.clone());
        ids.extend(state.late_contacts.iter().cloned());
        ids.extend(state.rooms.friends.iter().filter(|friend| !ids.contains(friend)).cloned().collect::<Vec<_>>());
        drop(state);
        ids.extend(self.listed_ghost(Rpc::ContactList));
        Ok(Response::new(pb::ContactListResponse { ids }))
    }

    async fn room_list(&self, _: Request<pb::RoomListRequest>) -> Reply<pb::RoomListResponse> {
        let mut ids: Vec<String> = ROOMS.iter().map(|id| (*id).to_owned()).collect();
        {
            let state = self.state();
            ids.extend(state.late_rooms.iter().cloned());
            ids.extend(state.rooms.listed(state.logged_in.as_deref()));
        }
        ids.extend(self.listed_ghost(Rpc::RoomList));
        Ok(Response::new(pb::RoomListResponse { ids }))
    }

    async fn dirty_payload(&self, _: Request<pb::DirtyPayloadRequest>) -> Reply<pb::DirtyPayloadResponse> {
        Ok(Response::new(pb::DirtyPayloadResponse {}))
    }

    async fn upload(&self, request: Request<Streaming<pb::UploadRequest>>) -> Reply<pb::UploadResponse> {
        const LIMIT: usize = 64 * 1024 * 1024;
        let mut stream = request.into_inner();
        let _uploading = Uploading::new(self);
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend(chunk?.chunk);
            if bytes.len() > LIMIT {
                return Err(Status::resource_exhausted("uploads over 64 MiB are refused"));
            }
        }
        let uuid = uuid::Uuid::new_v4().to_string();
        self.state().blobs.insert(uuid.clone(), Bytes::from(bytes));
        Ok(Response::new(pb::UploadResponse { id: uuid }))
    }

    async fn download(&self, request: Request<pb::DownloadRequest>) -> Reply<BoxStream<pb::DownloadResponse>> {
        let uuid = request.into_inner().id;
        // Unlike the official server, an unknown uuid is an error, not a crash.
        let bytes = self
            .state()
            .blobs
            .get(&uuid)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("no file with uuid \"{uuid}\"")))?;
        let bytes = self.corrupt_download(bytes);
        // Each chunk copied out when the client has room for it: a download
        // holds one chunk, not a second copy of the file.
        const CHUNK: usize = 32 * 1024;
        let chunks = (0..bytes.len().div_ceil(CHUNK)).map(move |index| {
            let chunk = bytes[index * CHUNK..bytes.len().min((index + 1) * CHUNK)].to_vec();
            Ok(pb::DownloadResponse { chunk })
        });
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }
}

/// `grpc.health.v1`, without auth, as the official server serves it.
#[derive(Clone)]
pub struct Health(pub Mock);

#[tonic::async_trait]
impl health_server::Health for Health {
    async fn check(&self, _: Request<HealthCheckRequest>) -> Reply<HealthCheckResponse> {
        Ok(Response::new(HealthCheckResponse { status: self.0.health().into() }))
    }
}
