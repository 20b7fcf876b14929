//! What the timeline holds: its entries (events, subscriptions, stream ends, rpcs, the loss, notes) and what a
//! reader gets back from it.

use std::time::Duration;

use serde_json::Value;

use crate::wire::{EventKind, Rpc};

#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: usize,
    /// Since the timeline began.
    pub at: Duration,
    pub what: What,
}

#[derive(Debug, Clone)]
pub enum What {
    Event(EventRecord),
    /// An `Event` subscription answered (stream numbers start at 1).
    Subscribed {
        stream: u32,
    },
    /// The stream ended: `None` is a clean end (status OK).
    StreamEnded {
        stream: u32,
        error: Option<String>,
    },
    Rpc(RpcRecord),
    /// The stream ended outside `Stop` (`ended`: how) and was opened again as `stream`.
    Reopened {
        stream: u32,
        ended: String,
    },
    /// The service was lost: `cause` starts with the run time, `+3.2s: …` (shown after "lost the service at").
    Lost {
        cause: String,
    },
    Note(String),
}

#[derive(Debug, Clone)]
pub struct EventRecord {
    pub stream: u32,
    pub kind: EventKind,
    /// As received, tokens masked.
    pub raw: String,
    pub payload: Option<Value>,
    /// Why the payload does not have its type's shape, if it does not.
    pub problem: Option<String>,
    /// The heartbeat a server sends as each subscription opens: it proves the
    /// stream works, not that the puppet is alive.
    pub connect_heartbeat: bool,
    /// Replayed to a new subscriber: it tells the state, it is no new
    /// happening (see [`super::replay`]).
    pub replay: bool,
    /// How much of the payload the recording kept (the recording budget):
    /// a payload not kept whole is not judged, by a live run or a
    /// re-judging alike. Read back from the recording, `raw` is then its
    /// head and `payload` `None`; a live run may still hold its parse (long
    /// strings cut) for live readers, such as a message's id.
    pub kept: Kept,
    /// The whole payload's SHA-256 (lower-case hex) when `raw` is not all of it: a payload over the long-payload
    /// limit is cut for readers (`wire::cut_long`), its digest taken from the whole as it arrived (or as it is read
    /// back whole from the recording). A payload the recording trimmed carries its digest in `kept`.
    pub sha256: Option<String>,
}

/// What tells one payload from another, whole ([`EventRecord::identity`]): two events are the same payload when
/// their identities are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity<'a> {
    /// A payload up to [`super::HEAD`] bytes: itself.
    Whole(&'a str),
    /// A longer one: the SHA-256 of all of it (lower-case hex).
    Sha256(std::borrow::Cow<'a, str>),
}

/// How much of an event's payload the recording kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// The whole payload.
    Whole,
    /// Its head, with the whole payload's length and SHA-256.
    Trimmed(crate::events::Trimmed),
    /// Nothing: the event came after the recording budget was spent, and
    /// only its type and time are known.
    Unrecorded,
}

impl Kept {
    /// Whether the payload is there to be judged.
    pub fn is_whole(&self) -> bool {
        matches!(self, Kept::Whole)
    }
}

#[derive(Debug, Clone)]
pub struct RpcRecord {
    pub name: Rpc,
    pub started: Duration,
    pub took: Duration,
    /// `ok` or the error as shown to people.
    pub outcome: String,
    pub ok: bool,
}

/// How many entries one step of a reader reads back at most.
pub const SCAN_LIMIT: usize = 1024;

/// A step of reading the timeline (see [`Timeline::scan`]).
pub struct Scan {
    pub entries: Vec<Entry>,
    /// The first entry not looked at yet.
    pub next: usize,
}

impl Scan {
    /// The events read as sightings of one id `field` (`messageId`, `friendshipId`), the parsed entries dropped: a
    /// reader that asks the service about each id holds ids across its calls, not parsed events (a hundred targets'
    /// message checks, each holding up to [`SCAN_LIMIT`] parsed messages across their `MessagePayload` calls, held
    /// 10.7 MiB of payload maps at the fleet's peak). Entries that are no event are left out.
    pub fn sightings(self, field: &str) -> Vec<Sighting> {
        self.entries
            .into_iter()
            .filter_map(|entry| match entry.what {
                What::Event(event) => Some(Sighting {
                    seq: entry.seq,
                    at: entry.at,
                    kind: event.kind,
                    id: event.field(field).map(str::to_owned),
                    unread: event.payload.is_none() && !event.kept.is_whole(),
                }),
                _ => None,
            })
            .collect()
    }
}

/// An event seen for its id alone ([`Scan::sightings`]).
#[derive(Debug, Clone)]
pub struct Sighting {
    pub seq: usize,
    /// Since the timeline began.
    pub at: Duration,
    pub kind: EventKind,
    /// The id field's value: `None` when the payload has no such string field, or is not held.
    pub id: Option<String>,
    /// The recording budget trimmed the payload and the run no longer holds it: its id is unknown.
    pub unread: bool,
}

/// What the index alone says about an entry: enough for timing rules.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub seq: usize,
    pub at: Duration,
    /// The event type, or `None` for an entry that is no event.
    pub kind: Option<EventKind>,
    pub connect_heartbeat: bool,
    pub replay: bool,
}

impl EventRecord {
    /// What tells this payload from another, judged on the whole payload however much of it `raw` holds: the
    /// payload itself up to [`super::HEAD`] bytes, else its SHA-256 — the digest taken as it arrived, the one the
    /// recording kept with a trimmed payload, or one taken now of a whole `raw` — so a run and the re-judging of its
    /// recording agree. `None` when nothing of it was recorded.
    pub fn identity(&self) -> Option<Identity<'_>> {
        use std::borrow::Cow;
        match (&self.kept, &self.sha256) {
            (Kept::Unrecorded, _) => None,
            (Kept::Trimmed(trimmed), _) => Some(Identity::Sha256(Cow::Borrowed(&trimmed.sha256))),
            (Kept::Whole, Some(digest)) => Some(Identity::Sha256(Cow::Borrowed(digest))),
            (Kept::Whole, None) if self.raw.len() > super::HEAD => {
                Some(Identity::Sha256(Cow::Owned(sha256_hex(&self.raw))))
            }
            (Kept::Whole, None) => Some(Identity::Whole(&self.raw)),
        }
    }

    /// A string field of the payload.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.payload.as_ref()?.get(name)?.as_str()
    }
}

/// The SHA-256 of `text`, in lower-case hex (as the recording's `Trimmed.sha256`).
pub fn sha256_hex(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|byte| format!("{byte:02x}")).collect()
}
