//! The event stream: one subscriber at a time, events in order, a flood made
//! lazily as the reader drains it.

use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::json;
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tonic::Status;

use super::Mock;
use crate::proto::wechaty::puppet as pb;
use crate::wire::EventKind;

/// What goes down the event stream: an event (or the status that ends the
/// stream), or a flood of `count` message events, made one by one as the
/// reader takes them.
pub(super) enum Outgoing {
    Event(Result<pb::EventResponse, Status>),
    Flood(u64),
}

pub(super) type Subscriber = mpsc::UnboundedSender<Outgoing>;

/// The event stream: events in order, a flood made lazily as the reader
/// drains it (so HTTP/2 flow control holds the sender back and nothing
/// piles up in memory).
pub(super) struct EventStream {
    /// Told when the client cancels (the stream is dropped).
    pub(super) mock: Option<Mock>,
    pub(super) receiver: mpsc::UnboundedReceiver<Outgoing>,
    pub(super) flood: Range<u64>,
    /// When the flood began, to say how fast the reader drained it.
    pub(super) flood_started: Option<std::time::Instant>,
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
