//! The session's one event stream: opened before `Start`, read into the timeline by a reader task, opened again
//! when it ends outside `Stop` (with backoff), and the service declared lost when it cannot be.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::metadata::AsciiMetadataValue;
use tonic::{Code, Request, Response};

use super::error::{Failure, describe, failure};
use super::{RpcError, Session, Timeline, What, timed};
use crate::proto::wechaty::puppet as pb;
use crate::proto::wechaty::puppet_client::PuppetClient;
use crate::target::grpc::Transport;
use crate::target::http2::Http2Watch;
use crate::wire::{EventKind, Rpc};

/// How a lost service is told to people ("lost the service at +12.4s: …"); the timeline records the loss as
/// [`What::Lost`], its cause after these words.
pub(super) const LOST_PREFIX: &str = "lost the service at";

/// The loss as told to people, from a [`What::Lost`] entry's cause (`+3.2s: …`).
pub fn lost_message(cause: &str) -> String {
    format!("{LOST_PREFIX} {cause}")
}

#[derive(Default)]
pub(super) struct StreamState {
    pub(super) reader: Option<JoinHandle<()>>,
}

impl Session {
    /// Opens the event stream (closing any previous one first: a server
    /// allows one subscriber, and a client cancel frees the slot — once the
    /// server has seen it, so ALREADY_EXISTS right after our own cancel is
    /// retried briefly).
    pub async fn subscribe(&self) -> Result<u32, RpcError> {
        self.subscribe_retrying(40).await
    }

    /// As [`Session::subscribe`], trying again on ALREADY_EXISTS after our
    /// own cancel up to `tries` times, 50 ms apart.
    async fn subscribe_retrying(&self, tries: u32) -> Result<u32, RpcError> {
        let previous = self.lock_streams().reader.take();
        let cancelled_our_own = previous.is_some();
        if let Some(reader) = previous {
            reader.abort();
        }
        let stream = self.opened.fetch_add(1, Ordering::SeqCst) + 1;
        let mut attempts = 0;
        let streaming = loop {
            let result = self
                .unary(Rpc::Event, pb::EventRequest {}, None, |mut client, request| async move {
                    client.event(request).await
                })
                .await;
            match result {
                // The slot is freed once the server has seen our cancel: a
                // server gets 2 s for that (issue reports: some hold it on).
                Err(error) if cancelled_our_own && error.code() == Some(Code::AlreadyExists) && attempts < tries => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => break other?,
            }
        };
        self.timeline.push(What::Subscribed { stream });
        self.stopping.store(false, Ordering::SeqCst);
        let reader = Reader {
            puppet: self.puppet.clone(),
            watch: self.watch.clone(),
            auth: self.auth.clone(),
            rpc_timeout: self.options.rpc_timeout,
            timeline: self.timeline.clone(),
            bot: self.bot.clone(),
            lost: self.lost.clone(),
            stopping: self.stopping.clone(),
            opened: self.opened.clone(),
        };
        let task = tokio::spawn(reader.read(streaming, stream));
        self.lock_streams().reader = Some(task);
        Ok(stream)
    }

    /// Cancels the event stream and subscribes again, without `Stop`, as a
    /// reconnecting client does; how long until the server accepted the new
    /// subscription (it frees its one slot once it has seen the cancel).
    pub async fn resubscribe(&self) -> Result<Duration, RpcError> {
        self.timeline.push(What::Note("puppet-lint cancels the event stream and subscribes again".into()));
        let clock = std::time::Instant::now();
        // Patient here (10 s): the check judges how long it took, and the
        // run needs its stream back either way: without one, the service is
        // lost (as when the reader cannot reopen a stream the server ended).
        if let Err(error) = self.subscribe_retrying(200).await {
            let at = self.timeline.now();
            let why = match &error {
                RpcError::Transport { cause, .. } => cause.clone(),
                other => format!("the event stream could not be opened again: {}", other.shown()),
            };
            self.declare_lost(crate::redact::redact(&format!("+{:.1}s: {why}", at.as_secs_f64())).into_owned());
            return Err(error);
        }
        Ok(clock.elapsed())
    }

    /// Whether an event stream is open now: not while puppet-lint subscribes
    /// again (the server may hold its one slot), nor after the stream ended.
    pub fn streaming(&self) -> bool {
        self.lock_streams().reader.as_ref().is_some_and(|reader| !reader.is_finished())
    }

    /// Stops reading the stream (the server sees a cancel).
    pub fn unsubscribe(&self) {
        if let Some(reader) = self.lock_streams().reader.take() {
            reader.abort();
            self.timeline.push(What::Note("puppet-lint closed the event stream".into()));
        }
    }
}

/// What the stream's reader needs to read events, and to subscribe again
/// when a stream ends outside `Stop`.
struct Reader {
    puppet: PuppetClient<Transport>,
    watch: Arc<Http2Watch>,
    auth: Option<AsciiMetadataValue>,
    rpc_timeout: Duration,
    timeline: Timeline,
    bot: watch::Sender<Option<String>>,
    lost: watch::Sender<Option<String>>,
    stopping: Arc<AtomicBool>,
    opened: Arc<AtomicU32>,
}

/// A stream that ends sooner than this after it opened counts as short-lived.
const SHORT_LIVED: Duration = Duration::from_secs(2);
/// After this many short-lived streams in a row, the service is lost
/// (with backoff between them, about 3 s).
const SHORT_LIVED_LIMIT: u32 = 5;

/// Waits between tries to subscribe again after a stream ended: the service
/// is declared lost after the last, within about 2 s of the end.
const RESUBSCRIBE_BACKOFF: [Duration; 4] =
    [Duration::ZERO, Duration::from_millis(150), Duration::from_millis(400), Duration::from_millis(800)];

impl Reader {
    /// Reads events into the timeline; a stream that ends outside `Stop` is
    /// opened again (each end and subscription on the timeline), and when
    /// that fails the service is declared lost.
    async fn read(self, mut streaming: tonic::Streaming<pb::EventResponse>, mut stream: u32) {
        // Streams in a row that ended soon after they opened.
        let mut short_lived = 0u32;
        loop {
            let opened = std::time::Instant::now();
            let before = self.watch.seen();
            let ended = loop {
                match streaming.message().await {
                    Ok(Some(event)) => self.record(stream, event),
                    Ok(None) => break None,
                    Err(status) => break Some(status),
                }
            };
            let cause = ended.as_ref().map(|status| match failure(status, &self.watch, &before) {
                Some(Failure::Connection(_, cause) | Failure::Malformed(cause)) => cause,
                None => describe(status),
            });
            self.timeline.push(What::StreamEnded { stream, error: cause.clone() });
            // `Stop` ended it (the session subscribes again itself), or a
            // newer stream already replaced this one: nothing to reopen.
            if self.stopping.load(Ordering::SeqCst) || self.opened.load(Ordering::SeqCst) != stream {
                return;
            }
            let ended_how = cause.unwrap_or_else(|| "the service closed it".to_owned());
            // A service that ends every stream it opens is not served by
            // subscribing again and again: back off, then call it lost.
            short_lived = if opened.elapsed() < SHORT_LIVED { short_lived + 1 } else { 0 };
            let outcome = if short_lived > SHORT_LIVED_LIMIT {
                Err(format!(
                    "the event stream keeps ending ({ended_how}): {short_lived} streams in a row ended within {} of \
                     being opened, so no event can be relied on",
                    crate::clock::human(SHORT_LIVED)
                ))
            } else {
                if short_lived > 1 {
                    tokio::time::sleep(Duration::from_millis(100) * 2u32.pow(short_lived - 1)).await;
                }
                self.subscribe_again().await
            };
            match outcome {
                Ok((next, number)) => {
                    self.timeline.push(What::Reopened { stream: number, ended: ended_how.to_string() });
                    (streaming, stream) = (next, number);
                }
                Err(why) => {
                    let at = self.timeline.now();
                    let why = crate::redact::redact(&format!("+{:.1}s: {why}", at.as_secs_f64())).into_owned();
                    let cause = lost_message(&why);
                    self.timeline.push(What::Lost { cause: why });
                    self.lost.send_replace(Some(cause));
                    return;
                }
            }
        }
    }

    /// One event: onto the timeline; a `login` or `logout` of the bot moves
    /// the bot's id.
    fn record(&self, stream: u32, event: pb::EventResponse) {
        let kind = EventKind::from_wire(event.r#type);
        let contact = match kind {
            EventKind::Login | EventKind::Logout => serde_json::from_str::<serde_json::Value>(&event.payload)
                .ok()
                .and_then(|payload| payload.get("contactId")?.as_str().map(str::to_owned)),
            _ => None,
        };
        self.timeline.push_event(stream, event.r#type, event.payload);
        if kind == EventKind::Logout {
            // Only a logout of the bot logs it out (a garbled one does not).
            self.bot.send_if_modified(|current| {
                let ours = current.is_some() && *current == contact;
                if ours {
                    *current = None;
                }
                ours
            });
        } else if kind == EventKind::Login
            && let Some(id) = contact.filter(|id| !id.is_empty())
        {
            self.bot.send_replace(Some(id));
        }
    }

    /// Opens the stream again, a few times with backoff; why not, when not.
    async fn subscribe_again(&self) -> Result<(tonic::Streaming<pb::EventResponse>, u32), String> {
        let mut last = String::new();
        for wait in RESUBSCRIBE_BACKOFF {
            tokio::time::sleep(wait).await;
            if self.stopping.load(Ordering::SeqCst) {
                return Err("puppet-lint stopped the service".into());
            }
            let started = self.timeline.now();
            let mut request = Request::new(pb::EventRequest {});
            if let Some(auth) = &self.auth {
                request.metadata_mut().insert("authorization", auth.clone());
            }
            let mut client = self.puppet.clone();
            let deadline = self.rpc_timeout.min(Duration::from_secs(1));
            let answer = async { client.event(request).await.map(Response::into_inner) };
            match timed(
                &self.timeline,
                &self.watch,
                Rpc::Event,
                started,
                super::Deadline { after: deadline, cut: false },
                answer,
            )
            .await
            {
                Ok(streaming) => {
                    let stream = self.opened.fetch_add(1, Ordering::SeqCst) + 1;
                    self.timeline.push(What::Subscribed { stream });
                    return Ok((streaming, stream));
                }
                Err(RpcError::Transport { cause, .. }) => last = cause,
                Err(error) => last = format!("the event stream could not be opened again: {}", error.shown()),
            }
        }
        Err(last)
    }
}
