//! The mock puppet: a small state machine behind the `wechaty.Puppet` service,
//! conformant unless a fault says otherwise.
//!
//! Conformant means: scan → login → ready; a heartbeat every interval; `Ding`
//! answered by a `dong` with the same data; what the bot sends comes back as a
//! `message` whose talker is the bot, file names intact; the session survives
//! `Stop`/`Start` (login again without a scan, same id); `Logout` emits
//! `logout` and clears the session; one event subscriber at a time.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_stream::{Stream, StreamExt as _};
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use super::Fault;
use crate::proto::health::health_check_response::ServingStatus;
use crate::proto::health::{HealthCheckRequest, HealthCheckResponse, health_server};
use crate::proto::wechaty::puppet as pb;
use crate::proto::wechaty::puppet_server;
use crate::wire::filebox::{self, FileBox, Payload};
use crate::wire::{EventKind, MessageKind};

pub const CONTACTS: &[(&str, &str)] = &[("mock-contact-alice", "Alice"), ("mock-contact-bob", "Bob")];
/// What Alice sends after every login, so received files are checked too.
pub const ALICE_PHOTO: &str = "alice-photo.jpg";

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

/// What goes down the event stream: an event (or the status that ends the
/// stream), or a flood of `count` message events, made one by one as the
/// reader takes them.
enum Outgoing {
    Event(Result<pb::EventResponse, Status>),
    Flood(u64),
}

type Subscriber = mpsc::UnboundedSender<Outgoing>;

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
    blobs: HashMap<String, Vec<u8>>,
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
}

#[derive(Clone)]
struct Message {
    payload: pb::MessagePayloadResponse,
    file: Option<StoredFile>,
}

#[derive(Clone)]
struct StoredFile {
    name: String,
    bytes: Vec<u8>,
}

impl Mock {
    pub fn new(settings: Settings) -> Mock {
        Mock(Arc::new(Inner { settings, state: Mutex::new(State::default()), crash: Notify::new() }))
    }

    fn has(&self, fault: Fault) -> bool {
        self.0.settings.faults.contains(&fault)
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
        if self.has(Fault::ControlChars) {
            format!("{prefix}-\u{1b}[31m{counter}\u{1b}[0m\u{7}")
        } else {
            format!("{prefix}-{counter}")
        }
    }

    /// `crash`: resolves once the mock has died.
    pub async fn crashed(&self) {
        self.0.crash.notified().await;
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
            // As servers echo it: as sent, case changed, JSON-escaped.
            let escaped: String = token.encode_utf16().map(|unit| format!("\\u{unit:04x}")).collect();
            let (lower, upper) = (token.to_ascii_lowercase(), token.to_ascii_uppercase());
            text.push_str(&format!(" (token \"{token}\", {lower}, {upper}, \"{escaped}\")"));
        }
        text
    }

    fn failure(&self, status: Status) -> Status {
        Status::new(status.code(), self.dress(status.message()))
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

    fn send_down(&self, outgoing: Outgoing) {
        let mut state = self.state();
        if let Some(subscriber) = &state.subscriber
            && subscriber.send(outgoing).is_err()
        {
            state.subscriber = None;
        }
    }

    /// `drop-stream`, `drop-stream-once`: the stream ends with UNAVAILABLE.
    fn drop_stream(&self) {
        self.send_down(Outgoing::Event(Err(Status::unavailable("puppet-lint mock: the event stream is dropped"))));
        let mut state = self.state();
        state.subscriber = None;
        state.stream_dropped = true;
    }

    /// What the misbehaviours do once the bot is ready.
    async fn misbehave_after_ready(self, bot: String) {
        // The flood and the huge payload come once, after the first ready.
        let first = !std::mem::replace(&mut self.state().misbehaved, true);
        if first && self.has(Fault::Flood) {
            self.send_down(Outgoing::Flood(self.0.settings.flood_count));
        }
        if first && self.has(Fault::HugePayload) {
            let id = self.store(CONTACTS[0].0, &bot, "a huge payload follows", MessageKind::Text, None);
            self.emit(EventKind::Message, json!({ "messageId": id, "padding": "x".repeat(HUGE) }));
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
                let qrcode = format!("https://puppet-lint.invalid/mock/qrcode/{}", self.next_id("scan"));
                for status in [2, 3] {
                    let scan = json!({ "qrcode": qrcode, "status": status });
                    self.state().pending_scan = Some(scan.clone());
                    self.emit(EventKind::Scan, scan);
                    tokio::time::sleep(self.pace(1)).await;
                }
                let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
                if self.has(Fault::ControlChars) {
                    format!("mock-bot-\u{1b}]0;pwned\u{7}{suffix}\r")
                } else {
                    format!("mock-bot-{suffix}")
                }
            }
        };
        if self.has(Fault::ReadyBeforeLogin) {
            self.emit(EventKind::Ready, json!({ "data": "ready" }));
        }
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
        if !self.has(Fault::NoReady) {
            let readies = if self.has(Fault::ReadyTwice) { 2 } else { 1 };
            for _ in 0..readies {
                tokio::time::sleep(self.pace(3)).await;
                self.state().ready_emitted = true;
                self.emit(EventKind::Ready, json!({ "data": "ready" }));
            }
        }
        self.spawn(self.clone().misbehave_after_ready(bot.clone()));
        tokio::time::sleep(self.pace(2)).await;
        self.receive_from_alice(&bot);
    }

    /// The faults users of real providers reported, each breaking one rule
    /// of the puppet's login states or payload shapes.
    fn field_faults_after_login(&self, bot: &str) {
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
                json!({ "inviteeIdList": [null], "inviterId": inviter, "roomId": "room-1@chatroom", "timestamp": 1723902388 }),
            );
        }
        if self.has(Fault::LegacyErrorShape) {
            self.emit(EventKind::Error, json!({ "data": "puppet-lint mock: an error in the legacy shape" }));
        }
        if self.has(Fault::RoomTalker) {
            // A provider that could not parse the sender of a room notice.
            let room = "room-1@chatroom";
            let id = self.store(room, "", "a room notice", MessageKind::Text, None);
            if let Some(message) = self.state().messages.get_mut(&id) {
                message.payload.room_id = room.to_owned();
            }
            self.emit(EventKind::Message, json!({ "messageId": id }));
        }
        if self.has(Fault::UnknownEvent) {
            self.emit_raw(99, json!({ "data": "an event type wechaty-puppet does not define" }).to_string());
        }
    }

    /// A contact writes to the bot: a text and a photo.
    fn receive_from_alice(&self, bot: &str) {
        let (alice, _) = CONTACTS[0];
        let text = self.store(alice, bot, "hello from Alice", MessageKind::Text, None);
        self.emit(EventKind::Message, json!({ "messageId": text }));
        let (name, kind) = if self.has(Fault::MisnamedFileKind) {
            // A photo, sent as an image, named like a document.
            (ALICE_PHOTO.replace(".jpg", ".pdf"), MessageKind::Image)
        } else {
            let name = self.file_name(ALICE_PHOTO);
            let kind = kind_of_file(&name);
            (name, kind)
        };
        let photo = StoredFile { name, bytes: TINY_JPEG.to_vec() };
        let message = self.store(alice, bot, "", kind, Some(photo));
        self.emit(EventKind::Message, json!({ "messageId": message }));
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
        self.state().messages.insert(id.clone(), Message { payload, file });
        id
    }

    /// The name a file keeps, or loses, on its way through the mock.
    fn file_name(&self, name: &str) -> String {
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

    /// The bot sends: the message comes back as an event before the reply,
    /// as it can on the official server.
    fn send(&self, conversation_id: &str, text: &str, file: Option<StoredFile>) -> Result<String, Status> {
        let logged_in = self.state().logged_in.clone();
        let Some(bot) = logged_in else {
            return Err(self.failure(not_logged_in()));
        };
        if conversation_id != bot && !CONTACTS.iter().any(|(id, _)| *id == conversation_id) {
            return Err(self.failure(Status::not_found(format!("no contact or room \"{conversation_id}\""))));
        }
        let talker = if self.has(Fault::EchoWrongTalker) { CONTACTS[1].0.to_owned() } else { bot };
        let kind = file.as_ref().map_or(MessageKind::Text, |file| kind_of_file(&file.name));
        let id = self.store(&talker, conversation_id, text, kind, file);
        if !self.has(Fault::NoEcho) {
            self.emit(EventKind::Message, json!({ "messageId": id }));
        }
        Ok(id)
    }

    fn message(&self, id: &str) -> Result<Message, Status> {
        let found = self.state().messages.get(id).cloned();
        found.ok_or_else(|| self.failure(Status::not_found(format!("message \"{id}\" not found"))))
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
        ("gif", MessageKind::Image),
        ("webp", MessageKind::Image),
        ("bmp", MessageKind::Image),
        ("mp4", MessageKind::Video),
        ("mov", MessageKind::Video),
        ("webm", MessageKind::Video),
        ("mp3", MessageKind::Audio),
        ("wav", MessageKind::Audio),
        ("ogg", MessageKind::Audio),
        ("m4a", MessageKind::Audio),
    ];
    let extension = name.rsplit_once('.').map_or("", |(_, extension)| extension);
    KINDS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(extension))
        .map_or(MessageKind::Attachment, |(_, kind)| *kind)
}

/// `huge-payload`: 8 MiB, twice tonic's default decoding limit.
const HUGE: usize = 8 << 20;

/// `control-chars`: what a terminal must not obey — colour, a cleared
/// screen, a window title, a bell, a carriage return, a C1 CSI, NUL.
const CONTROL_CHARS: &str = "\u{1b}[31m red\u{1b}[0m\u{1b}[2J\u{1b}]0;title\u{7}\r\u{8}\u{9b}1m\u{0}";

/// The event stream: events in order, a flood made lazily as the reader
/// drains it (so HTTP/2 flow control holds the sender back and nothing
/// piles up in memory).
struct EventStream {
    /// Told when the client cancels (the stream is dropped).
    mock: Option<Mock>,
    receiver: mpsc::UnboundedReceiver<Outgoing>,
    flood: Range<u64>,
    /// When the flood began, to say how fast the reader drained it.
    flood_started: Option<std::time::Instant>,
}

impl Stream for EventStream {
    type Item = Result<pb::EventResponse, Status>;

    fn poll_next(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(index) = self.flood.next() {
                if self.receiver.is_closed() {
                    // Stopped or halted: the flood ends with the stream.
                    self.flood = 0..0;
                    self.flood_started = None;
                    continue;
                }
                if self.flood.is_empty()
                    && let Some(started) = self.flood_started.take()
                {
                    // The sender's own measure of the reader's ingest rate.
                    let seconds = started.elapsed().as_secs_f64();
                    eprintln!(
                        "puppet-lint mock: flood of {} message events drained in {seconds:.3}s ({:.0} events/s)",
                        index + 1,
                        (index + 1) as f64 / seconds.max(1e-9)
                    );
                }
                let payload = json!({ "messageId": format!("m{index}") }).to_string();
                return Poll::Ready(Some(Ok(pb::EventResponse { r#type: EventKind::Message.wire(), payload })));
            }
            return match self.receiver.poll_recv(context) {
                Poll::Ready(Some(Outgoing::Flood(count))) => {
                    self.flood = 0..count;
                    self.flood_started = Some(std::time::Instant::now());
                    continue;
                }
                Poll::Ready(Some(Outgoing::Event(event))) => Poll::Ready(Some(event)),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        if let Some(mock) = self.mock.take() {
            // `slow-slot`: the slot stays taken for a while after a client's
            // cancel (a stream `Stop` ended is freed at once).
            let mut state = mock.state();
            if std::mem::take(&mut state.stopped_stream) {
                state.stream_closed_at = None;
            } else {
                state.stream_closed_at = Some(std::time::Instant::now());
            }
        }
    }
}

/// The start of a JPEG: enough to be one.
const TINY_JPEG: &[u8] = &[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0xff, 0xd9];

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
            if self.has(Fault::SlowSlot)
                && state.stream_closed_at.is_some_and(|closed| closed.elapsed() < Duration::from_secs(3))
            {
                return Err(Status::already_exists("GrpcServerImpl.event() can not call twice."));
            }
            if state.stream_dropped && self.has(Fault::DropStream) {
                return Err(Status::unavailable("puppet-lint mock: the event stream is gone for good"));
            }
            state.subscriber = Some(sender);
            (state.logged_in.clone(), state.ready_emitted, state.pending_scan.clone())
        };
        if self.has(Fault::StreamEndsAtOnce) {
            // The connect heartbeat, then the end: the subscriber is dropped.
            self.emit(EventKind::Heartbeat, json!({ "data": "Wechaty Puppet gRPC stream connect successfully" }));
            self.state().subscriber = None;
        }
        // As the official server: a heartbeat at once, then what a late
        // subscriber missed.
        self.emit(EventKind::Heartbeat, json!({ "data": "Wechaty Puppet gRPC stream connect successfully" }));
        if let Some(bot) = logged_in.filter(|_| !self.has(Fault::NoReplay)) {
            self.emit(EventKind::Login, json!({ "contactId": bot }));
            // Bound first: the state's lock must be free before `emit` takes it.
            let stale = self.state().stale_scan.clone();
            if let Some(stale) = stale {
                self.emit(EventKind::Scan, stale);
            }
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
        if self.has(Fault::HangStart) {
            std::future::pending::<()>().await;
        }
        let restore = {
            let mut state = self.state();
            if state.started {
                return Ok(Response::new(pb::StartResponse {}));
            }
            state.started = true;
            if self.has(Fault::SessionLostOnRestart) {
                state.session = None;
            }
            state.session.clone()
        };
        self.spawn(self.clone().login_sequence(restore));
        if !self.has(Fault::NoHeartbeat) {
            let mock = self.clone();
            let interval = self.0.settings.heartbeat_interval;
            self.spawn(async move {
                let mut beats = 0u64;
                loop {
                    tokio::time::sleep(interval).await;
                    beats += 1;
                    let token = mock.state().received_token.clone().filter(|_| mock.has(Fault::TokenEcho));
                    match token {
                        // `token-echo`: in the event's raw JSON, as servers
                        // echo it: case changed, every character escaped.
                        Some(token) => {
                            let escaped: String = token.encode_utf16().map(|unit| format!("\\u{unit:04x}")).collect();
                            let lower = token.to_ascii_lowercase();
                            let upper = token.to_ascii_uppercase();
                            let data = format!(r#"{{"data":"heartbeat #{beats} {lower} {upper} {escaped}"}}"#);
                            mock.state().last_heartbeat = Some(Instant::now());
                            mock.emit_raw(EventKind::Heartbeat.wire(), data);
                        }
                        None => mock.emit(EventKind::Heartbeat, json!({ "data": format!("heartbeat #{beats}") })),
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
            if !self.has(Fault::SessionKeptAfterLogout) {
                state.session = None;
            }
            bot
        };
        if !self.has(Fault::NoLogoutEvent) {
            self.emit(EventKind::Logout, json!({ "contactId": bot, "data": "logged out by Logout()" }));
        }
        if self.has(Fault::DoubleLogout) {
            // The second one right behind the first, as reported: before the
            // client can stop the puppet (a stopped puppet's events are lost).
            self.emit(EventKind::Logout, json!({ "contactId": bot, "data": "logged out by Logout()" }));
        }
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn ding(&self, request: Request<pb::DingRequest>) -> Reply<pb::DingResponse> {
        if !self.has(Fault::NoDong) {
            let data = request.into_inner().data;
            let mock = self.clone();
            let loaded = self.has(Fault::SlowDingUnderLoad) && self.state().uploading > 0;
            let delay = if loaded { self.pace(1) + Duration::from_secs(1) } else { self.pace(1) };
            self.spawn(async move {
                tokio::time::sleep(delay).await;
                mock.emit(EventKind::Dong, json!({ "data": data }));
            });
        }
        Ok(Response::new(pb::DingResponse {}))
    }

    async fn version(&self, _: Request<pb::VersionRequest>) -> Reply<pb::VersionResponse> {
        let version = concat!("puppet-lint-mock/", env!("CARGO_PKG_VERSION"));
        let version = if self.has(Fault::ControlChars) { format!("{version}{CONTROL_CHARS}") } else { version.into() };
        Ok(Response::new(pb::VersionResponse { version }))
    }

    #[allow(deprecated)]
    async fn message_send_text(
        &self,
        request: Request<pb::MessageSendTextRequest>,
    ) -> Reply<pb::MessageSendTextResponse> {
        let request = request.into_inner();
        let id = self.send(&request.conversation_id, &request.text, None)?;
        Ok(Response::new(pb::MessageSendTextResponse { id: id.clone(), id_string_value_deprecated: Some(id) }))
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
                .ok_or_else(|| Status::invalid_argument("file box \"base64\" does not decode"))?,
            Payload::Uuid(uuid) => self
                .state()
                .blobs
                .get(uuid)
                .cloned()
                .ok_or_else(|| Status::not_found(format!("no upload with uuid \"{uuid}\"")))?,
            _ => Vec::new(),
        };
        let file = StoredFile { name: self.file_name(&file_box.name), bytes };
        let id = self.send(&request.conversation_id, "", Some(file))?;
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
        let Some(mut name) = second.file_box_chunk.and_then(|chunk| chunk.name) else {
            return Err(Status::invalid_argument("no name"));
        };
        if self.has(Fault::StreamFileUnnamed) {
            name = "uuid.dat".to_owned();
        }
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
        let file = StoredFile { name: self.file_name(&name), bytes };
        let id = self.send(&conversation_id, "", Some(file))?;
        Ok(Response::new(pb::MessageSendFileStreamResponse { id: id.clone(), id_string_value_deprecated: Some(id) }))
    }

    async fn message_payload(&self, request: Request<pb::MessagePayloadRequest>) -> Reply<pb::MessagePayloadResponse> {
        let mut payload = self.message(&request.into_inner().id)?.payload;
        if self.has(Fault::HugePayload) {
            payload.text.push_str(&"x".repeat(HUGE));
        }
        if self.has(Fault::ControlChars) || self.has(Fault::TokenEcho) {
            payload.text = self.dress(&payload.text);
        }
        Ok(Response::new(payload))
    }

    async fn message_file(&self, request: Request<pb::MessageFileRequest>) -> Reply<pb::MessageFileResponse> {
        let id = request.into_inner().id;
        let Some(file) = self.message(&id)?.file else {
            return Err(Status::failed_precondition(format!("message \"{id}\" carries no file")));
        };
        let file_box = if file.bytes.len() <= filebox::INLINE_LIMIT || self.has(Fault::InlineBigFile) {
            FileBox::from_bytes(&file.name, &file.bytes)
        } else {
            let uuid = uuid::Uuid::new_v4().to_string();
            let size = file.bytes.len() as u64;
            self.state().blobs.insert(uuid.clone(), file.bytes);
            FileBox::uuid(&file.name, &uuid, size)
        };
        Ok(Response::new(pb::MessageFileResponse { file_box: file_box.to_json() }))
    }

    async fn contact_payload(&self, request: Request<pb::ContactPayloadRequest>) -> Reply<pb::ContactPayloadResponse> {
        let id = request.into_inner().id;
        let bot = self.state().logged_in.clone();
        let name = if bot.as_deref() == Some(id.as_str()) && !self.has(Fault::NoSelfContact) {
            "puppet-lint mock bot"
        } else if let Some((_, name)) = CONTACTS.iter().find(|(contact, _)| *contact == id) {
            name
        } else {
            return Err(self.failure(Status::not_found(format!("contact \"{id}\" not found"))));
        };
        Ok(Response::new(pb::ContactPayloadResponse {
            id,
            name: name.to_owned(),
            r#type: pb::ContactType::Personal.into(),
            friend: true,
            ..Default::default()
        }))
    }

    async fn contact_list(&self, _: Request<pb::ContactListRequest>) -> Reply<pb::ContactListResponse> {
        let mut ids: Vec<String> = CONTACTS.iter().map(|(id, _)| (*id).to_owned()).collect();
        ids.extend(self.state().logged_in.clone());
        Ok(Response::new(pb::ContactListResponse { ids }))
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
        self.state().blobs.insert(uuid.clone(), bytes);
        Ok(Response::new(pb::UploadResponse { id: uuid }))
    }

    async fn download(&self, request: Request<pb::DownloadRequest>) -> Reply<BoxStream<pb::DownloadResponse>> {
        let uuid = request.into_inner().id;
        // Unlike the official server, an unknown uuid is an error, not a crash.
        let mut bytes = self
            .state()
            .blobs
            .get(&uuid)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("no file with uuid \"{uuid}\"")))?;
        let middle = bytes.len() / 2;
        if self.has(Fault::CorruptDownload)
            && let Some(byte) = bytes.get_mut(middle)
        {
            *byte ^= 0x01;
        }
        let chunks: Vec<Result<pb::DownloadResponse, Status>> =
            bytes.chunks(32 * 1024).map(|chunk| Ok(pb::DownloadResponse { chunk: chunk.to_vec() })).collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(chunks))))
    }
}

/// An upload under way, counted while it lasts (`slow-ding-under-load`).
struct Uploading(Mock);

impl Uploading {
    fn new(mock: &Mock) -> Uploading {
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

/// `grpc.health.v1`, without auth, as the official server serves it.
#[derive(Clone)]
pub struct Health(pub Mock);

#[tonic::async_trait]
impl health_server::Health for Health {
    async fn check(&self, _: Request<HealthCheckRequest>) -> Reply<HealthCheckResponse> {
        Ok(Response::new(HealthCheckResponse { status: self.0.health().into() }))
    }
}
