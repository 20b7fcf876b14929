//! The mock puppet: a small state machine behind the `wechaty.Puppet` service,
//! conformant unless a fault says otherwise.
//!
//! Conformant means: scan → login → ready; a heartbeat every interval; `Ding`
//! answered by a `dong` with the same data; what the bot sends comes back as a
//! `message` whose talker is the bot, file names intact; the session survives
//! `Stop`/`Start` (login again without a scan, same id); `Logout` emits
//! `logout` and clears the session; one event subscriber at a time.
//!
//! This file is the conformant puppet: its state, its login, what it stores
//! and sends. `rpc.rs` answers the `wechaty.Puppet` rpcs with it,
//! `stream.rs` is the event stream, and `faults.rs` is what each fault
//! changes: the only file that reads the faults.

mod faults;
mod kinds;
mod rooms;
mod rpc;
mod stream;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tonic::Status;

use super::Fault;
use crate::proto::health::health_check_response::ServingStatus;
use crate::proto::wechaty::puppet as pb;
use crate::wire::{EventKind, MessageKind, Rpc};
pub use rooms::PersonAct;
pub use rpc::Health;
use stream::{Outgoing, Subscriber};

pub const CONTACTS: &[(&str, &str)] = &[("mock-contact-alice", "Alice"), ("mock-contact-bob", "Bob")];
/// The mock's one room (its id and topic): the bot and every contact are its members.
pub const ROOM: (&str, &str) = ("room-1@chatroom", "puppet-lint mock room");
/// The rooms the bot is in.
pub const ROOMS: &[&str] = &[ROOM.0];
/// What Alice sends after every login, so received files are checked too.
pub const ALICE_PHOTO: &str = "alice-photo.jpg";
/// A contact the bot knows but is not friends with, and who is in no room: what a `--peer-contact` that the
/// destructive capability probes may add to a room, remove, put in a new room and ask for friendship looks like.
/// Absent from `ContactList` until the bot adds her as a friend.
pub const CAROL: (&str, &str) = ("mock-contact-carol", "Carol");

#[derive(Debug, Clone)]
pub struct Settings {
    pub faults: HashSet<Fault>,
    pub heartbeat_interval: Duration,
    /// The mock's unit of delay between the steps of a login, a ding and its
    /// dong, and so on.
    pub pace: Duration,
    pub after_login: Vec<(i32, String)>,
    pub flood_count: u64,
}

#[derive(Clone)]
pub struct Mock(Arc<Inner>);

struct Inner {
    settings: Settings,
    state: Mutex<State>,
    /// `crash`: told when the mock dies.
    crash: Notify,
}

#[derive(Default)]
struct State {
    started: bool,
    logged_in: Option<String>,
    /// The memory card: who logs in again without a scan.
    session: Option<String>,
    ready_emitted: bool,
    pending_scan: Option<Value>,
    /// When a client last cancelled its stream (`slow-slot`).
    stream_closed_at: Option<std::time::Instant>,
    /// `Stop` ended the stream: its close is no client's cancel.
    stopped_stream: bool,
    /// With `stale-scan`: the stale scan sent after the login (replayed too).
    stale_scan: Option<Value>,
    subscriber: Option<Subscriber>,
    tasks: Vec<JoinHandle<()>>,
    messages: HashMap<String, Message>,
    /// Uploaded files and big files `MessageFile` gave a uuid, by uuid:
    /// shared, not copied, with the messages that carry them.
    blobs: HashMap<String, Bytes>,
    counter: u64,
    last_heartbeat: Option<Instant>,
    /// The token of the latest request (`token-echo`).
    received_token: Option<String>,
    /// `drop-stream` and `drop-stream-once`: the stream was ended.
    stream_dropped: bool,
    /// The once-per-run misbehaviours (`flood`, `huge-payload`) are done.
    misbehaved: bool,
    /// Uploads under way (`slow-ding-under-load`).
    uploading: u32,
    /// Friendships the mock told of, by id.
    friendships: HashMap<String, pb::FriendshipPayloadResponse>,
    room_invitations: HashMap<String, pb::RoomInvitationPayloadResponse>,
    /// Contacts and rooms that appeared after `ready` (`ready-before-sync` and its kin).
    late_contacts: Vec<String>,
    late_rooms: Vec<String>,
    /// Every send's rpc and conversation, in order (the first [`SENDS_KEPT`]): who the bot wrote to.
    sends: Vec<Sent>,
    /// The aliases the bot gave contacts (`ContactAlias`).
    aliases: HashMap<String, String>,
    /// The room's topic once `RoomTopic` set it.
    topic: Option<String>,
    /// The room's announcement once `RoomAnnounce` set it.
    announcement: Option<String>,
    /// The room's membership as `RoomAdd` and `RoomDel` changed it, and the rooms `RoomCreate` made (`rooms.rs`).
    rooms: rooms::Rooms,
}

/// How many sends the mock remembers.
const SENDS_KEPT: usize = 10_000;

/// A message the bot sent: by which rpc, to which conversation, while logged in as which bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub rpc: Rpc,
    pub conversation: String,
    pub bot: String,
}

#[derive(Clone)]
struct Message {
    payload: pb::MessagePayloadResponse,
    file: Option<StoredFile>,
    /// What a card, link, mini program or location message carries.
    extra: kinds::Extra,
}

#[derive(Clone)]
struct StoredFile {
    name: String,
    /// Shared: a message is cloned for every payload rpc, its file is not.
    bytes: Bytes,
}

impl Mock {
    pub fn new(settings: Settings) -> Mock {
        Mock(Arc::new(Inner { settings, state: Mutex::new(State::default()), crash: Notify::new() }))
    }

    fn pace(&self, times: u32) -> Duration {
        self.0.settings.pace * times
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn next_id(&self, prefix: &str) -> String {
        let counter = {
            let mut state = self.state();
            state.counter += 1;
            state.counter
        };
        self.dressed_id(prefix, counter).unwrap_or_else(|| format!("{prefix}-{counter}"))
    }

    /// `crash`: resolves once the mock has died.
    pub async fn crashed(&self) {
        self.0.crash.notified().await;
    }

    /// Sends an event to the subscriber, if any: events nobody listens to are
    /// lost, as on the official server.
    fn emit(&self, kind: EventKind, payload: Value) {
        if kind == EventKind::Heartbeat {
            self.state().last_heartbeat = Some(Instant::now());
        }
        self.emit_raw(kind.wire(), payload.to_string());
    }

    fn emit_raw(&self, number: i32, payload: String) {
        self.send_down(Outgoing::Event(Ok(pb::EventResponse { r#type: number, payload })));
    }

    /// A message from another talker, told only while `bot` is logged in — checked and sent under one lock. The
    /// login's own task says it after a pause: a `Logout` that came meanwhile must not be followed by a message while
    /// logged out (a loaded machine once let one through, and `events.login-states` failed the conformant mock).
    fn emit_message_while_logged_in(&self, bot: &str, id: &str) {
        let mut state = self.state();
        if state.logged_in.as_deref() != Some(bot) {
            return;
        }
        let payload = json!({ "messageId": id }).to_string();
        if let Some(subscriber) = &state.subscriber
            && subscriber
                .send(Outgoing::Event(Ok(pb::EventResponse { r#type: EventKind::Message.wire(), payload })))
                .is_err()
        {
            state.subscriber = None;
        }
    }

    fn send_down(&self, outgoing: Outgoing) {
        let mut state = self.state();
        if let Some(subscriber) = &state.subscriber
            && subscriber.send(outgoing).is_err()
        {
            state.subscriber = None;
        }
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(task);
        let mut state = self.state();
        state.tasks.retain(|task| !task.is_finished());
        state.tasks.push(handle);
    }

    /// Ends the event stream and every pending task (shutdown, `Stop`).
    pub fn halt(&self) {
        let mut state = self.state();
        state.subscriber = None;
        for task in state.tasks.drain(..) {
            task.abort();
        }
    }

    async fn login_sequence(self, restore: Option<String>) {
        let bot = match restore {
            Some(bot) => {
                tokio::time::sleep(self.pace(1)).await;
                bot
            }
            None => {
                // One QR code per list of statuses (ScanStatus: Waiting 2, Scanned 3, …).
                for statuses in self.scan_cycles() {
                    let qrcode = format!("https://puppet-lint.invalid/mock/qrcode/{}", self.next_id("scan"));
                    for status in statuses {
                        let scan = json!({ "qrcode": qrcode, "status": status });
                        self.state().pending_scan = Some(scan.clone());
                        self.emit(EventKind::Scan, scan);
                        tokio::time::sleep(self.pace(1)).await;
                    }
                }
                if !self.logs_in_after_scan() {
                    return;
                }
                let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
                self.dressed_bot_id(suffix).unwrap_or_else(|| format!("mock-bot-{suffix}"))
            }
        };
        self.misbehave_before_login();
        {
            let mut state = self.state();
            state.logged_in = Some(bot.clone());
            state.session = Some(bot.clone());
            state.pending_scan = None;
        }
        self.emit(EventKind::Login, json!({ "contactId": bot }));
        for (number, payload) in &self.0.settings.after_login {
            self.emit_raw(*number, payload.clone());
        }
        self.field_faults_after_login(&bot);
        self.content_faults_after_login(&bot);
        self.gap_faults_after_login(&bot);
        for _ in 0..self.readies() {
            tokio::time::sleep(self.pace(3)).await;
            self.state().ready_emitted = true;
            self.emit(EventKind::Ready, json!({ "data": "ready" }));
        }
        self.spawn(self.clone().sync_after_ready());
        self.spawn(self.clone().misbehave_after_ready(bot.clone()));
        tokio::time::sleep(self.pace(2)).await;
        self.receive_from_alice(&bot);
        self.room_chatter(&bot);
    }

    /// Bob says something in the room.
    fn room_chatter(&self, bot: &str) {
        let (bob, _) = CONTACTS[1];
        let id = self.store(bob, &self.room_listener(bot), "hello from Bob in the room", MessageKind::Text, None);
        if let Some(message) = self.state().messages.get_mut(&id) {
            message.payload.room_id = ROOM.0.to_owned();
        }
        self.emit_message_while_logged_in(bot, &id);
    }

    /// The room's members: the bot and every contact (less those a fault leaves out), as `RoomAdd` and `RoomDel`
    /// changed them.
    fn room_members(&self) -> Vec<String> {
        let mut members: Vec<String> = self.state().logged_in.clone().into_iter().collect();
        members.extend(CONTACTS.iter().map(|(id, _)| (*id).to_owned()));
        self.state().rooms.change(&mut members);
        members.retain(|member| self.is_room_member(member));
        members.extend(self.ghost_member());
        members
    }

    /// A contact writes to the bot: a text and a photo.
    fn receive_from_alice(&self, bot: &str) {
        let (alice, _) = CONTACTS[0];
        let text = self.store(alice, bot, "hello from Alice", MessageKind::Text, None);
        if let Some(message) = self.state().messages.get_mut(&text) {
            self.misdate(&mut message.payload);
        }
        self.emit_message_while_logged_in(bot, &text);
        let (name, kind) = self.misnamed_photo().unwrap_or_else(|| {
            let name = self.file_name(ALICE_PHOTO);
            let kind = kind_of_file(&name);
            (self.received_file_name(name), kind)
        });
        let photo = StoredFile { name, bytes: Bytes::from_static(TINY_JPEG) };
        let message = self.store(alice, bot, "", kind, Some(photo));
        if let Some(stored) = self.state().messages.get_mut(&message) {
            stored.payload.filename = self.payload_filename(std::mem::take(&mut stored.payload.filename));
        }
        self.emit_message_while_logged_in(bot, &message);
    }

    /// Stores a message and returns its id.
    fn store(&self, talker: &str, listener: &str, text: &str, kind: MessageKind, file: Option<StoredFile>) -> String {
        let id = self.next_id("mock-msg");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        #[allow(deprecated)]
        let payload = pb::MessagePayloadResponse {
            id: id.clone(),
            filename: file.as_ref().map(|file| file.name.clone()).unwrap_or_default(),
            text: text.to_owned(),
            timestamp_deprecated: now.as_millis() as u64,
            r#type: kind.wire(),
            talker_id: talker.to_owned(),
            room_id: String::new(),
            listener_id: listener.to_owned(),
            mention_ids: Vec::new(),
            receive_time: Some(prost_types::Timestamp {
                seconds: now.as_secs() as i64,
                nanos: now.subsec_nanos() as i32,
            }),
        };
        self.state().messages.insert(id.clone(), Message { payload, file, extra: kinds::Extra::None });
        id
    }

    /// The bot sends: the message comes back as an event before the reply,
    /// as it can on the official server. A file is typed by the name it was sent with (`sent_name`), whatever a
    /// fault makes of its name on the way.
    fn send(&self, conversation_id: &str, text: &str, file: Option<(StoredFile, &str)>) -> Result<String, Status> {
        let rpc = if file.is_some() { Rpc::MessageSendFile } else { Rpc::MessageSendText };
        self.send_with(rpc, conversation_id, text, file, kinds::Sending::default())
    }

    /// [`Mock::send`] of any kind: `sending` says the kind (a text's or a file's otherwise), what the message
    /// carries, and whom it mentions. A room is a conversation too: the message names the room and no listener.
    fn send_with(
        &self,
        rpc: Rpc,
        conversation_id: &str,
        text: &str,
        file: Option<(StoredFile, &str)>,
        sending: kinds::Sending,
    ) -> Result<String, Status> {
        let logged_in = self.state().logged_in.clone();
        let Some(bot) = logged_in else {
            return Err(self.failure(not_logged_in()));
        };
        let in_room = conversation_id == ROOM.0;
        if conversation_id != bot && !in_room && !CONTACTS.iter().any(|(id, _)| *id == conversation_id) {
            return Err(self.failure(Status::not_found(format!("no contact or room \"{conversation_id}\""))));
        }
        {
            let mut state = self.state();
            if state.sends.len() < SENDS_KEPT {
                state.sends.push(Sent { rpc, conversation: conversation_id.to_owned(), bot: bot.clone() });
            }
        }
        let talker = self.echo_talker(bot);
        let misplaced = self.echo_in_room(sending.kind);
        let kind = match sending.kind {
            Some(kind) => self.echo_extra_kind(kind),
            None => file
                .as_ref()
                .map_or_else(|| self.text_kind(), |(_, sent_name)| self.echo_file_kind(kind_of_file(sent_name))),
        };
        let listener = if in_room { "" } else { conversation_id };
        // `file-echo-twice`: the same file comes back again under an id of its own.
        let file_again = file.as_ref().filter(|_| self.echoes_files_twice()).map(|(stored, _)| stored.clone());
        let id = match (file, self.text_as_file(text)) {
            (None, Some(as_file)) => self.store(&talker, listener, "", MessageKind::Attachment, Some(as_file)),
            (file, _) => self.store(&talker, listener, &self.echo_text(text), kind, file.map(|(file, _)| file)),
        };
        if let Some(message) = self.state().messages.get_mut(&id) {
            message.extra = sending.extra;
            message.payload.mention_ids = sending.mentions;
            if in_room || misplaced {
                message.payload.room_id = ROOM.0.to_owned();
                message.payload.listener_id.clear();
            }
        }
        if sending.silent {
            return Ok(id);
        }
        if self.echoes() {
            self.emit(EventKind::Message, json!({ "messageId": id }));
            if self.echoes_twice(text) {
                let again = self.store(&talker, conversation_id, &self.echo_text(text), kind, None);
                self.emit(EventKind::Message, json!({ "messageId": again }));
            }
            if let Some(file) = file_again {
                let again = self.store(&talker, listener, "", kind, Some(file));
                self.emit(EventKind::Message, json!({ "messageId": again }));
            }
        }
        Ok(id)
    }

    fn message(&self, id: &str) -> Result<Message, Status> {
        let found = self.state().messages.get(id).cloned();
        found.ok_or_else(|| self.failure(Status::not_found(format!("message \"{id}\" not found"))))
    }

    /// Every send so far (the first [`SENDS_KEPT`]).
    pub fn sends(&self) -> Vec<Sent> {
        self.state().sends.clone()
    }

    pub fn health(&self) -> ServingStatus {
        match self.state().last_heartbeat {
            None => ServingStatus::ServiceUnknown,
            Some(at) if at.elapsed() < Duration::from_secs(60) => ServingStatus::Serving,
            Some(_) => ServingStatus::NotServing,
        }
    }
}

fn not_logged_in() -> Status {
    // Shaped like the official server's answer: a message, then a stack.
    Status::unknown("Error: not logged in\n    at MockPuppet.send (puppet-lint mock)\n    at async handler")
}

/// The kind of message a file travels as, by its extension: the mock's own
/// table (the checker derives MIME types its own way; sharing one would let
/// one bug hide itself).
fn kind_of_file(name: &str) -> MessageKind {
    const KINDS: &[(&str, MessageKind)] = &[
        ("jpg", MessageKind::Image),
        ("jpeg", MessageKind::Image),
        ("png", MessageKind::Image),
        ("gif", MessageKind::Emoticon),
        ("webp", MessageKind::Image),
        ("bmp", MessageKind::Image),
        ("mp4", MessageKind::Video),
        ("mov", MessageKind::Video),
        ("webm", MessageKind::Video),
        ("mp3", MessageKind::Audio),
        ("wav", MessageKind::Audio),
        ("ogg", MessageKind::Audio),
        ("m4a", MessageKind::Audio),
        ("silk", MessageKind::Audio),
        ("sil", MessageKind::Audio),
    ];
    let extension = name.rsplit_once('.').map_or("", |(_, extension)| extension);
    KINDS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(extension))
        .map_or(MessageKind::Attachment, |(_, kind)| *kind)
}

/// The start of a JPEG: enough to be one.
const TINY_JPEG: &[u8] = &[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0xff, 0xd9];
