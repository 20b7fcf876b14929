//! A session with one Puppet Service: one channel, the one event stream a
//! server allows (opened before `Start`, re-opened after `Stop`), and one
//! timeline that every check shares. Every rpc carries the token, has a
//! deadline, and is recorded.

mod answers;
mod capability;
mod error;
pub mod replay;
pub mod scans;
mod stream;
pub mod timeline;
pub mod walk;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OnceCell, watch};
use tokio::time::Instant;
use tonic::metadata::AsciiMetadataValue;
use tonic::{Code, Request, Response, Status};

use crate::proto::wechaty::puppet as pb;
use crate::proto::wechaty::puppet_client::PuppetClient;
use crate::target::grpc::Transport;
use crate::target::http2::Http2Watch;
use crate::wire::Rpc;
pub use error::RpcError;
use stream::StreamState;
pub use stream::lost_message;
pub use timeline::{Entry, EventRecord, Moment, RecordingError, RpcRecord, SCAN_LIMIT, Scan, Sighting, Timeline, What};

/// How a call is bounded. (Whether an rpc makes the puppet emit events is [`Rpc::causes_events`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Under `--rpc-timeout`, sent as `grpc-timeout`.
    Unary,
    /// The event stream: quiet, and long-lived. It carries no `grpc-timeout`
    /// (grpc-js servers enforce one on streams too, and would end it); the
    /// deadline only bounds the wait for its response headers.
    Stream,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub rpc_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options { rpc_timeout: Duration::from_secs(15), connect_timeout: Duration::from_secs(10) }
    }
}

type Cached<T> = Arc<OnceCell<Result<T, RpcError>>>;

tokio::task_local! {
    /// The deadline of whoever made the calls under way in this task ([`within`]).
    static CALLER_DEADLINE: Instant;
}

/// Runs `work` with every rpc it makes bounded by `deadline` as well as by `--rpc-timeout` — the earlier of the two
/// is the call's deadline, sent as its `grpc-timeout` (gRPC's own deadline propagation). A call cut short by
/// `deadline` fails with [`RpcError::Cut`], not as the service's silence: its caller stopped waiting, and no
/// `Version` probe asks whether the service still answers. How a capability probe stays inside the heartbeat window.
pub async fn within<F: Future>(deadline: Instant, work: F) -> F::Output {
    CALLER_DEADLINE.scope(deadline, work).await
}

pub struct Session {
    puppet: PuppetClient<Transport>,
    /// What the HTTP/2 layer under the channel said and did.
    watch: Arc<Http2Watch>,
    auth: Option<AsciiMetadataValue>,
    options: Options,
    timeline: Timeline,
    streams: Mutex<StreamState>,
    bot: watch::Sender<Option<String>>,
    /// Set once the service is lost: why, and when (see [`Session::lost`]).
    lost: watch::Sender<Option<String>>,
    /// `Stop` is in flight: the stream's end is expected, not re-subscribed.
    stopping: Arc<AtomicBool>,
    /// The last stream number handed out.
    opened: Arc<AtomicU32>,
    messages: Mutex<HashMap<String, Cached<pb::MessagePayloadResponse>>>,
    /// One `MessagePayload` in flight at a time: an answer can be megabytes
    /// (a provider's 8 MiB text), and checks asking at once must not hold
    /// several of them (checks read payloads one after another anyway).
    message_fetch: tokio::sync::Semaphore,
    files: Mutex<HashMap<String, Cached<pb::MessageFileResponse>>>,
    /// `MessageImage` answers, by image type and message id (`"2:<id>"`).
    images: Mutex<HashMap<String, Cached<pb::MessageImageResponse>>>,
    /// The account model's payload answers (`answers.rs`).
    answers: answers::Answers,
    /// How to open a second connection to the same service, for capability probes ([`Session::probe_lane`]);
    /// `None`: probes share this session's connection.
    lane_to: Option<LaneTo>,
    /// The probes' own session, opened on first use.
    lane: OnceCell<Result<Arc<Session>, String>>,
    /// This is a probe lane: its connection's failures are the probes' findings, never the service's loss.
    is_lane: bool,
    /// Held by a probe that calls alone on this session (see [`Session::alone`]).
    alone: tokio::sync::Mutex<()>,
}

/// Where a session's second connection goes: the endpoint and TLS settings its own connection was opened with.
#[derive(Clone)]
pub struct LaneTo {
    pub endpoint: crate::config::Endpoint,
    pub tls: Option<crate::target::connect::TlsClient>,
}

impl Drop for Session {
    fn drop(&mut self) {
        // A client cancel frees the server's one subscriber slot.
        if let Some(reader) = self.lock_streams().reader.take() {
            reader.abort();
        }
    }
}

impl Session {
    /// A session on `channel`, recording to `timeline`.
    pub fn new(channel: Transport, token: Option<&str>, options: Options, timeline: Timeline) -> Session {
        let auth = token.and_then(|token| AsciiMetadataValue::try_from(format!("Wechaty {token}")).ok());
        Session {
            watch: channel.watch().clone(),
            // Providers send large payloads (contact lists, base64 files).
            puppet: PuppetClient::new(channel).max_decoding_message_size(64 * 1024 * 1024),
            auth,
            options,
            timeline,
            streams: Mutex::new(StreamState::default()),
            bot: watch::channel(None).0,
            lost: watch::channel(None).0,
            stopping: Arc::new(AtomicBool::new(false)),
            opened: Arc::new(AtomicU32::new(0)),
            messages: Mutex::new(HashMap::new()),
            message_fetch: tokio::sync::Semaphore::new(1),
            files: Mutex::new(HashMap::new()),
            images: Mutex::new(HashMap::new()),
            answers: answers::Answers::default(),
            lane_to: None,
            lane: OnceCell::new(),
            is_lane: false,
            alone: tokio::sync::Mutex::new(()),
        }
    }

    /// Waits until no other caller holds this session alone, then holds it so until the guard drops: a probe whose
    /// connection failed under it tries again with no other probe's answer able to end the connection under it.
    /// (Probes that are not alone do not wait: the guard orders only the retries among themselves.)
    pub async fn alone(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.alone.lock().await
    }

    /// Until a `Version` is answered on this session's connection (at most three, 100 ms and 200 ms apart): after
    /// its connection ended, the next call opens it again, and a call sent in between may still meet the old one's end.
    pub async fn answering_again(&self) {
        for pause in [Duration::from_millis(100), Duration::from_millis(200), Duration::ZERO] {
            if self.version().await.is_ok() {
                return;
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// This session, able to open a second connection to the same service for capability probes.
    pub fn with_lane(mut self, lane_to: LaneTo) -> Session {
        self.lane_to = Some(lane_to);
        self
    }

    /// The session capability probes call rpcs on: a second connection to the same service, sharing this session's
    /// timeline (every rpc recorded where the checks read it) and bot, with no event stream of its own (the probes
    /// read the echoes this session's stream records). A probe's answer that ends its connection — a 3 MiB error
    /// text in the trailers, a malformed frame — ends only the probes' connection (tonic opens it again for the next
    /// probe), not the one the conformance checks and the event stream use. The loss of the probes' connection is
    /// not the service's loss: that is this session's alone. Without lane settings (a session built by hand),
    /// this session itself. Errors: the second connection could not be opened (why, one line).
    pub async fn probe_lane(self: &Arc<Session>) -> Result<Arc<Session>, String> {
        let Some(lane_to) = self.lane_to.clone() else {
            return Ok(self.clone());
        };
        self.lane
            .get_or_init(|| async {
                let channel =
                    crate::target::connect::channel(&lane_to.endpoint, lane_to.tls, self.options.connect_timeout)
                        .await
                        .map_err(|error| format!("the probes' own connection could not be opened: {error}"))?;
                let token = self.auth.clone();
                let mut lane = Session::new(channel, None, self.options, self.timeline.clone());
                lane.auth = token;
                lane.bot = self.bot.clone();
                lane.is_lane = true;
                Ok(Arc::new(lane))
            })
            .await
            .clone()
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    pub fn options(&self) -> Options {
        self.options
    }

    /// Why the service was lost, once it was: the connection is gone, or
    /// the event stream ended and could not be opened again. One line,
    /// "lost the service at +12.4s: TCP: connection refused (…)".
    pub fn lost(&self) -> Option<String> {
        self.lost.borrow().clone()
    }

    /// Resolves when the service is lost (never, if it is not).
    pub async fn wait_lost(&self) -> String {
        let mut lost = self.lost.subscribe();
        let cause = lost.wait_for(Option::is_some).await.ok().and_then(|cause| cause.clone());
        match cause {
            Some(cause) => cause,
            None => std::future::pending().await,
        }
    }

    /// The bot's contact id, from the latest `login` (or `CurrentUser`).
    pub fn bot_id(&self) -> Option<String> {
        self.bot.borrow().clone()
    }

    pub fn set_bot_id(&self, id: &str) {
        self.bot.send_replace(Some(id.to_owned()));
    }

    /// Waits for a bot id until `deadline`.
    pub async fn wait_for_bot(&self, deadline: Instant) -> Option<String> {
        let mut bot = self.bot.subscribe();
        let wait = bot.wait_for(Option::is_some);
        match tokio::time::timeout_at(deadline, wait).await {
            Ok(Ok(id)) => id.clone(),
            _ => None,
        }
    }

    fn lock_streams(&self) -> std::sync::MutexGuard<'_, StreamState> {
        self.streams.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn request<T>(&self, message: T, token_override: Option<&str>, effect: Effect, after: Duration) -> Request<T> {
        let mut request = Request::new(message);
        if effect != Effect::Stream {
            request.set_timeout(after);
        }
        let auth = match token_override {
            Some(token) => AsciiMetadataValue::try_from(format!("Wechaty {token}")).ok(),
            None => self.auth.clone(),
        };
        if let Some(auth) = auth {
            request.metadata_mut().insert("authorization", auth);
        }
        request
    }

    /// Runs one unary rpc under its deadline and records it.
    async fn unary<Req, Resp, Fut>(
        &self,
        rpc: Rpc,
        message: Req,
        token_override: Option<&str>,
        call: impl FnOnce(PuppetClient<Transport>, Request<Req>) -> Fut,
    ) -> Result<Resp, RpcError>
    where
        Fut: Future<Output = Result<Response<Resp>, Status>>,
    {
        // The caller's deadline, when it comes before `--rpc-timeout` ([`within`]), is the call's: sent as its
        // `grpc-timeout`, and told apart when it passes (the call did not fail, its caller stopped waiting). A
        // deadline already past sends nothing.
        let caller = CALLER_DEADLINE.try_with(|deadline| deadline.saturating_duration_since(Instant::now())).ok();
        if caller.is_some_and(|left| left < Duration::from_millis(1)) {
            return Err(RpcError::Cut { rpc, after: Duration::ZERO });
        }
        self.timeline.sending(rpc);
        let started = self.timeline.now();
        let effect = if rpc == Rpc::Event { Effect::Stream } else { Effect::Unary };
        let after = caller.map_or(self.options.rpc_timeout, |left| left.min(self.options.rpc_timeout));
        let cut = after < self.options.rpc_timeout;
        let request = self.request(message, token_override, effect, after);
        // Boxed: the call's own state (tonic's, about a KiB) exists only while it runs. Inline, every future that
        // ever calls an rpc holds room for it while it waits on anything else — an echo, a window — and a hundred
        // targets' checks and probes wait at once.
        let answer = Box::pin(async { call(self.puppet.clone(), request).await.map(Response::into_inner) });
        let result = timed(&self.timeline, &self.watch, rpc, started, Deadline { after, cut }, answer).await;
        if let Err(RpcError::Timeout { stuck, .. }) = &result
            && token_override.is_none()
        {
            match stuck {
                // No call can leave: the service cannot be tested at all.
                Some(stuck) if stuck.blocks_every_call() => {
                    let at = self.timeline.now();
                    self.declare_lost(format!("+{:.1}s: `{rpc}` could not be sent: {stuck}", at.as_secs_f64()));
                }
                // Boxed: rare, and its own call would otherwise sit in every call's future.
                _ if rpc != Rpc::Version => Box::pin(self.probe_after_silence(rpc)).await,
                _ => {}
            }
        }
        result
    }

    /// After `rpc` got no answer within our deadline: one `Version` probe.
    /// A service that answers it is alive (only that rpc hangs: a finding of
    /// the check that called it); one that does not has stopped answering
    /// altogether — frozen, or its connection dead without a reset — and is
    /// declared lost, like one whose connection is gone (exit 3, every
    /// running check ends with the cause), instead of each check waiting out
    /// its own deadline.
    async fn probe_after_silence(&self, rpc: Rpc) {
        let after = self.options.rpc_timeout;
        self.probe(format!("`{rpc}` did not answer within {:.1}s (`--rpc-timeout`)", after.as_secs_f64())).await;
    }

    /// Whether the service still answers, asked when a wait on its events ended in `silence` (no event at all for
    /// that long): one `Version` probe, as after a call that got no answer. A frozen service (its process stopped,
    /// its connection open) sends nothing and answers nothing: it is declared lost, and the check that waited
    /// names the loss, not a rule the service broke. A silent service that answers is only silent: `None`.
    pub async fn lost_in_silence(&self, silence: Duration) -> Option<String> {
        if let Some(cause) = self.lost() {
            return Some(cause);
        }
        self.probe(format!("no event for {:.1}s while a check waited on the event stream", silence.as_secs_f64()))
            .await;
        self.lost()
    }

    /// One `Version` probe after `silent` (what went unanswered); no answer declares the service lost.
    async fn probe(&self, silent: String) {
        if self.is_lane || self.lost().is_some() {
            return;
        }
        let after = self.options.rpc_timeout;
        let request = self.request(pb::VersionRequest {}, None, Effect::Unary, after);
        let answered = match tokio::time::timeout(after, self.puppet.clone().version(request)).await {
            Ok(Ok(_)) => true,
            Ok(Err(status)) => !matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled | Code::Unavailable),
            Err(_) => false,
        };
        if answered {
            return;
        }
        let at = self.timeline.now();
        self.declare_lost(format!(
            "+{:.1}s: {silent}, nor did a `Version` probe after it (the service stopped answering)",
            at.as_secs_f64(),
        ));
    }

    /// The service is lost, for `why` ("+12.4s: …"): on the timeline, and to
    /// everyone waiting (the first cause stands).
    fn declare_lost(&self, why: String) {
        // A lane's connection is not the service: the session's own rpcs and stream tell whether it is lost.
        if self.is_lane || self.lost().is_some() {
            return;
        }
        let cause = lost_message(&why);
        self.timeline.push(What::Lost { cause: why });
        self.lost.send_if_modified(|lost| {
            let first = lost.is_none();
            if first {
                *lost = Some(cause);
            }
            first
        });
    }

    pub async fn version(&self) -> Result<String, RpcError> {
        self.version_with(None).await
    }

    /// `Version` with another token: how the auth check provokes a refusal.
    pub async fn version_with(&self, token: Option<&str>) -> Result<String, RpcError> {
        self.unary(Rpc::Version, pb::VersionRequest {}, token, |mut client, request| async move {
            client.version(request).await
        })
        .await
        .map(|response| response.version)
    }

    pub async fn start(&self) -> Result<(), RpcError> {
        self.unary(
            Rpc::Start,
            pb::StartRequest {},
            None,
            |mut client, request| async move { client.start(request).await },
        )
        .await
        .map(drop)
    }

    /// `Stop`, then a fresh subscription: a server ends the stream on `Stop`,
    /// and events emitted while nobody listens are lost. The bot is logged
    /// out until its next `login`.
    pub async fn stop(&self) -> Result<(), RpcError> {
        self.bot.send_replace(None);
        // The stream's end is expected now: it is not re-subscribed by the
        // reader, but here, after `Stop` answers.
        self.stopping.store(true, Ordering::SeqCst);
        let stopped = self
            .unary(Rpc::Stop, pb::StopRequest {}, None, |mut client, request| async move { client.stop(request).await })
            .await
            .map(drop);
        self.subscribe().await?;
        stopped
    }

    pub async fn logout(&self) -> Result<(), RpcError> {
        self.unary(Rpc::Logout, pb::LogoutRequest {}, None, |mut client, request| async move {
            client.logout(request).await
        })
        .await
        .map(drop)
    }

    pub async fn ding(&self, data: &str) -> Result<(), RpcError> {
        let message = pb::DingRequest { data: data.to_owned() };
        self.unary(Rpc::Ding, message, None, |mut client, request| async move { client.ding(request).await })
            .await
            .map(drop)
    }

    /// Returns the message id the server gave (`""` from some servers).
    #[allow(deprecated)]
    pub async fn send_text(&self, conversation_id: &str, text: &str) -> Result<String, RpcError> {
        let message = pb::MessageSendTextRequest {
            conversation_id: conversation_id.to_owned(),
            text: text.to_owned(),
            mentional_ids: Vec::new(),
        };
        self.unary(Rpc::MessageSendText, message, None, |mut client, request| async move {
            client.message_send_text(request).await
        })
        .await
        .map(|response| sent_id(response.id, response.id_string_value_deprecated))
    }

    #[allow(deprecated)]
    pub async fn send_file(&self, conversation_id: &str, file_box_json: &str) -> Result<String, RpcError> {
        let message = pb::MessageSendFileRequest {
            conversation_id: conversation_id.to_owned(),
            file_box: file_box_json.to_owned(),
        };
        self.unary(Rpc::MessageSendFile, message, None, |mut client, request| async move {
            client.message_send_file(request).await
        })
        .await
        .map(|response| sent_id(response.id, response.id_string_value_deprecated))
    }

    /// `MessageSendFileStream`, as the official client sends an in-memory
    /// file: `{conversation_id}`, then `{file_box_chunk{name}}`, then the
    /// bytes as `{file_box_chunk{data}}` chunks (WIRE.md, "Auth and TLS"),
    /// each taken from `chunks` when HTTP/2 has room for it.
    #[allow(deprecated)]
    pub async fn send_file_stream(
        &self,
        conversation_id: &str,
        name: &str,
        chunks: impl Iterator<Item = Vec<u8>> + Send + 'static,
    ) -> Result<String, RpcError> {
        let head = [
            pb::MessageSendFileStreamRequest {
                conversation_id: Some(conversation_id.to_owned()),
                file_box_chunk: None,
            },
            pb::MessageSendFileStreamRequest {
                conversation_id: None,
                file_box_chunk: Some(pb::FileBoxChunk { data: None, name: Some(name.to_owned()) }),
            },
        ];
        let data = chunks.map(|chunk| pb::MessageSendFileStreamRequest {
            conversation_id: None,
            file_box_chunk: Some(pb::FileBoxChunk { data: Some(chunk), name: None }),
        });
        let stream = self.paced(tokio_stream::iter(head.into_iter().chain(data)));
        self.unary(Rpc::MessageSendFileStream, stream, None, |mut client, request| async move {
            client.message_send_file_stream(request).await
        })
        .await
        .map(|response| sent_id(response.id, response.id_string_value_deprecated))
    }

    /// `Upload` (a client stream of chunks): the uuid the service gave the
    /// bytes. Each chunk is taken from `chunks` when HTTP/2 has room for it,
    /// so a big file is never whole in memory.
    pub async fn upload(&self, chunks: impl Iterator<Item = Vec<u8>> + Send + 'static) -> Result<String, RpcError> {
        self.upload_stream(tokio_stream::iter(chunks.map(|chunk| pb::UploadRequest { chunk }))).await
    }

    /// `Upload` of whatever `chunks` yields, as it yields it (a paced
    /// transfer: the stream decides when the upload ends).
    pub async fn upload_stream(
        &self,
        chunks: impl tokio_stream::Stream<Item = pb::UploadRequest> + Send + 'static,
    ) -> Result<String, RpcError> {
        let chunks = self.paced(chunks);
        self.unary(Rpc::Upload, chunks, None, |mut client, request| async move { client.upload(request).await })
            .await
            .map(|response| response.id)
    }

    /// `messages` as the connection takes them: the next is handed to HTTP/2 only once all but [`UNSENT`] bytes of
    /// those before it were written to the connection. HTTP/2 takes a message whenever the stream's window has room
    /// and keeps what it could not write yet, up to 400 KiB a stream — a service (or a machine) slow to read would
    /// have each upload hold that much, every target of a fleet at once.
    fn paced<M: prost::Message + 'static>(
        &self,
        messages: impl tokio_stream::Stream<Item = M> + Send + 'static,
    ) -> impl tokio_stream::Stream<Item = M> + Send + 'static {
        let watch = self.watch.clone();
        let start = watch.written();
        futures::stream::unfold((Box::pin(messages), watch, 0u64), move |(mut messages, watch, given)| async move {
            watch.written_past((start + given).saturating_sub(UNSENT)).await;
            let message = tokio_stream::StreamExt::next(&mut messages).await?;
            let given = given + message.encoded_len() as u64;
            Some((message, (messages, watch, given)))
        })
    }

    /// `Download(uuid)` (a server stream of chunks), at most `limit` bytes,
    /// each chunk handed to `each` as it comes (nothing keeps the file
    /// whole): how many bytes came. Only for a uuid the service gave
    /// (WIRE.md: the official server crashes on an unknown one).
    pub async fn download(
        &self,
        uuid: &str,
        limit: usize,
        mut each: impl FnMut(&[u8]) + Send,
    ) -> Result<usize, RpcError> {
        self.timeline.sending(Rpc::Download);
        let started = self.timeline.now();
        let after = self.options.rpc_timeout;
        let request = self.request(pb::DownloadRequest { id: uuid.to_owned() }, None, Effect::Unary, after);
        let mut client = self.puppet.clone();
        // Boxed, as `unary`'s calls are.
        let fetch = Box::pin(async {
            let mut stream = client.download(request).await?.into_inner();
            let mut size = 0usize;
            while let Some(message) = stream.message().await? {
                size += message.chunk.len();
                if size > limit {
                    return Err(Status::resource_exhausted(format!(
                        "puppet-lint stopped reading: Download sent more than {limit} bytes"
                    )));
                }
                each(&message.chunk);
            }
            Ok(size)
        });
        timed(&self.timeline, &self.watch, Rpc::Download, started, Deadline { after, cut: false }, fetch).await
    }

    /// Cached: several checks look at the same messages. A text or file name
    /// longer than [`crate::wire::LONG_STRING`] is kept as its head and its
    /// length (`… (N bytes in all)`): no rule reads further, and an 8 MiB
    /// text must not stay in memory once per reader.
    pub async fn message_payload(&self, id: &str) -> Result<pb::MessagePayloadResponse, RpcError> {
        let cell = cell(&self.messages, id);
        cell.get_or_init(|| async {
            let message = pb::MessagePayloadRequest { id: id.to_owned() };
            let _turn = self.message_fetch.acquire().await;
            let mut payload = self
                .unary(Rpc::MessagePayload, message, None, |mut client, request| async move {
                    client.message_payload(request).await
                })
                .await?;
            for text in [&mut payload.text, &mut payload.filename] {
                if let std::borrow::Cow::Owned(cut) = crate::wire::cut_long(text) {
                    *text = cut;
                }
            }
            Ok(payload)
        })
        .await
        .clone()
    }

    pub async fn message_file(&self, id: &str) -> Result<String, RpcError> {
        let cell = cell(&self.files, id);
        cell.get_or_init(|| async {
            let message = pb::MessageFileRequest { id: id.to_owned() };
            self.unary(Rpc::MessageFile, message, None, |mut client, request| async move {
                client.message_file(request).await
            })
            .await
        })
        .await
        .clone()
        .map(|response| response.file_box)
    }

    /// `MessageImage(id, type)`: the FileBox (JSON) of an image message in the size `image_type` asks for
    /// (Thumbnail, HD, Artwork), cached per message and type.
    pub async fn message_image(&self, id: &str, image_type: pb::ImageType) -> Result<String, RpcError> {
        let cell = cell(&self.images, &format!("{}:{id}", image_type as i32));
        cell.get_or_init(|| async {
            let message = pb::MessageImageRequest { id: id.to_owned(), r#type: image_type.into() };
            self.unary(Rpc::MessageImage, message, None, |mut client, request| async move {
                client.message_image(request).await
            })
            .await
        })
        .await
        .clone()
        .map(|response| response.file_box)
    }

    pub async fn contact_payload(&self, id: &str) -> Result<pb::ContactPayloadResponse, RpcError> {
        let message = pb::ContactPayloadRequest { id: id.to_owned() };
        self.unary(Rpc::ContactPayload, message, None, |mut client, request| async move {
            client.contact_payload(request).await
        })
        .await
    }

    /// `RoomPayload(id)`: uncached (the account model keeps what it resolved).
    pub async fn room_payload(&self, id: &str) -> Result<pb::RoomPayloadResponse, RpcError> {
        let message = pb::RoomPayloadRequest { id: id.to_owned() };
        self.unary(
            Rpc::RoomPayload,
            message,
            None,
            |mut client, request| async move { client.room_payload(request).await },
        )
        .await
    }

    /// `RoomMemberList(id)`: the members' contact ids.
    pub async fn room_member_list(&self, id: &str) -> Result<Vec<String>, RpcError> {
        let message = pb::RoomMemberListRequest { id: id.to_owned() };
        self.unary(Rpc::RoomMemberList, message, None, |mut client, request| async move {
            client.room_member_list(request).await
        })
        .await
        .map(|response| response.member_ids)
    }

    /// `FriendshipPayload(id)` (a read: no `payload` to set).
    #[allow(deprecated)]
    pub async fn friendship_payload(&self, id: &str) -> Result<pb::FriendshipPayloadResponse, RpcError> {
        let message = pb::FriendshipPayloadRequest {
            id: id.to_owned(),
            payload_string_value_deprecated: None,
            payload: String::new(),
        };
        self.unary(Rpc::FriendshipPayload, message, None, |mut client, request| async move {
            client.friendship_payload(request).await
        })
        .await
    }

    /// `ContactList`: the ids of every contact the puppet knows.
    pub async fn contact_list(&self) -> Result<Vec<String>, RpcError> {
        self.unary(Rpc::ContactList, pb::ContactListRequest {}, None, |mut client, request| async move {
            client.contact_list(request).await
        })
        .await
        .map(|response| response.ids)
    }

    /// `RoomList`: the ids of every room the bot is in.
    pub async fn room_list(&self) -> Result<Vec<String>, RpcError> {
        self.unary(Rpc::RoomList, pb::RoomListRequest {}, None, |mut client, request| async move {
            client.room_list(request).await
        })
        .await
        .map(|response| response.ids)
    }

    /// The fork's `CurrentUser`; upstream servers answer UNIMPLEMENTED.
    pub async fn current_user(&self) -> Result<String, RpcError> {
        self.unary(Rpc::CurrentUser, pb::CurrentUserRequest {}, None, |mut client, request| async move {
            client.current_user(request).await
        })
        .await
        .map(|response| response.user_id)
    }
}

/// The size of the chunks puppet-lint streams files in: each stream holds about one encoded chunk and HTTP/2 keeps
/// about one unsent (a hundred targets upload at once): 64 KiB chunks held about 2 MiB more at a hundred targets.
pub const CHUNK: usize = 16 * 1024;

/// How far a paced stream runs ahead of what the connection took, bytes (see [`Session::paced`]): a chunk.
const UNSENT: u64 = CHUNK as u64;

/// How many answers a cache keeps: past this it starts again (a flood of
/// message ids must not grow it without bound).
const CACHE_LIMIT: usize = 4096;

/// How long a call may take (`after`), and whether that is its caller's deadline ([`within`]) rather than
/// `--rpc-timeout` (`cut`): a call past a cut deadline is told and recorded as [`RpcError::Cut`], not as the service's
/// silence.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline {
    pub(super) after: Duration,
    pub(super) cut: bool,
}

/// Awaits `call` under the deadline `after` and records it on `timeline` as
/// `rpc`, from `started`: its answer, or why there is none — the status the
/// service sent, or our own deadline.
pub(super) async fn timed<T>(
    timeline: &Timeline,
    watch: &Http2Watch,
    rpc: Rpc,
    started: Duration,
    deadline: Deadline,
    call: impl Future<Output = Result<T, Status>>,
) -> Result<T, RpcError> {
    let Deadline { after, cut } = deadline;
    let before = watch.seen();
    let result = match tokio::time::timeout(after, call).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(status)) => {
            Err(RpcError::classify(rpc, &status, timeline.now().saturating_sub(started), after, watch, &before))
        }
        Err(_) => Err(RpcError::Timeout { rpc, after, stuck: watch.stuck(&before) }),
    };
    // The caller's deadline passed, not `--rpc-timeout` (here, or as the `grpc-timeout` it was sent with): told, and
    // recorded, as cut.
    let result = match result {
        Err(RpcError::Timeout { rpc, after, .. }) if cut => Err(RpcError::Cut { rpc, after }),
        other => other,
    };
    timeline.push(What::Rpc(RpcRecord {
        name: rpc,
        started,
        took: timeline.now().saturating_sub(started),
        ok: result.is_ok(),
        outcome: result.as_ref().map_or_else(RpcError::shown, |_| "ok".to_owned()),
    }));
    result
}

fn cell<T>(map: &Mutex<HashMap<String, Cached<T>>>, id: &str) -> Cached<T> {
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if map.len() >= CACHE_LIMIT && !map.contains_key(id) {
        map.clear();
    }
    map.entry(id.to_owned()).or_default().clone()
}

/// Newer servers fill `id`; older ones only the deprecated wrapper.
#[allow(deprecated)]
fn sent_id(id: String, deprecated: Option<String>) -> String {
    if id.is_empty() { deprecated.unwrap_or_default() } else { id }
}
