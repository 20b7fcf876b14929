//! Faults. Two kinds:
//!
//! - *rule faults* break exactly one rule of the Puppet spec and nothing
//!   else, so that every check can be shown to fail for the right reason
//!   (`tests/faults.rs` proves each against its check);
//! - *misbehaviours* ([`Fault::is_misbehaviour`]) are what a broken provider
//!   does at the wire — dying, hanging, flooding, sending garbage — and break
//!   many rules at once: they prove that the harness itself copes (bounded
//!   time, no panic, reports written; `tests/misbehaviour.rs`). What each one
//!   breaks is in [`MISBEHAVIOURS`].

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum Fault {
    /// never emits `ready` after login
    NoReady,
    /// emits `ready` before `login`
    ReadyBeforeLogin,
    /// emits `ready` twice per login
    ReadyTwice,
    /// messages the bot sends never come back as `message` events
    NoEcho,
    /// sent messages come back with a contact, not the bot, as talker
    EchoWrongTalker,
    /// a text the bot sends comes back typed Image (6), as from a provider that numbers types by another table
    EchoWrongType,
    /// a JPEG the bot sends comes back typed Attachment (1), not Image (6)
    EchoFileWrongType,
    /// a PDF the bot sends comes back typed Unknown (0), not Attachment (1), as from the official wechaty-puppet-mock
    EchoDocumentUnknown,
    /// a text the bot sends comes back with its trailing whitespace (a newline) trimmed
    TrimText,
    /// a text the bot sends comes back with its leading blanks trimmed, its tabs as spaces, and its zero-width joiners and emoji variation selectors dropped
    SqueezeText,
    /// a text the bot sends comes back twice, as two messages with ids of their own
    DoubleEcho,
    /// a file the bot sends comes back a second time, under an id of its own (the same file, the same name)
    FileEchoTwice,
    /// the room's `RoomMemberList` also names a member that `ContactPayload` does not know
    GhostMember,
    /// `ContactList` also names a contact that `ContactPayload` does not know
    ListedGhostContact,
    /// `RoomList` also names a room that `RoomPayload` does not know
    ListedGhostRoom,
    /// a file the bot sends comes back with the spaces and non-ASCII characters of its name replaced by `_`
    MangleFileName,
    /// Bob sends an Image message that has no file: `MessageFile` fails
    FileTypeWithoutFile,
    /// Bob sends a link as an Unknown (0) message whose text is the raw `<msg><appmsg>` markup
    UnparsedAppMessage,
    /// Alice's photo is named with the provider's upload path (`/tmp/upload/alice-photo.jpg`)
    PathInFileName,
    /// Alice's text carries its `timestamp` in seconds where milliseconds belong (1970)
    MessageTimeInSeconds,
    /// no periodic `heartbeat`: silent whenever idle
    NoHeartbeat,
    /// `Ding` is answered but no `dong` follows
    NoDong,
    /// `ContactPayload` of the bot's own id fails
    NoSelfContact,
    /// `Logout` clears the session without emitting `logout`
    NoLogoutEvent,
    /// `Logout` emits `logout` but keeps the session: the next start logs in without a scan
    SessionKeptAfterLogout,
    /// `Stop`/`Start` forgets the session: the bot must scan again, and gets a new id
    SessionLostOnRestart,
    /// file names lose their extension (`report.pdf` → `report`)
    StripFileExtension,
    /// file names get the extension of another type (`report.pdf` → `report.png`)
    WrongFileExtension,
    /// a received photo arrives as an image message named like a document (`alice-photo.pdf`)
    MisnamedFileKind,
    /// any token (or none) is accepted
    AcceptAnyToken,
    /// a `scan` with the QR code from before the login arrives while logged in, and is replayed to new subscribers
    StaleScan,
    /// one `Logout` emits two `logout` events, a few ms apart
    DoubleLogout,
    /// a `room-join` whose `inviteeIdList` holds a `null`
    NullInIdList,
    /// an `error` event in the legacy shape (`{"data"}`, no `gerror`)
    LegacyErrorShape,
    /// an event of a type wechaty-puppet does not define (99) after login
    UnknownEvent,
    /// a room message whose talker is the room itself (`talker_id` = `room_id`)
    RoomTalker,
    /// a contact's text after login is delivered twice: two `message` events with one `messageId`, 200 ms apart
    DuplicateMessage,
    /// after login, 40 identical `heartbeat` events (one payload) within 200 ms
    EventStorm,
    /// a `room-topic` after login whose `timestamp` (seconds) is 30 years before now
    StaleRoomTime,
    /// a `room-topic` after login whose `oldTopic` is the text "undefined"
    PlaceholderValue,
    /// a `room-join` after login whose `inviterId` names nobody: its `ContactPayload` answers NOT_FOUND
    DanglingInviter,
    /// a `room-leave` after login whose `removerId` is unknown: its `ContactPayload` fails with UNKNOWN
    UnknownRemover,
    /// a message after login whose talker is a display name ("Alice"), which `ContactPayload` resolves by name to Alice's id
    DisplayNameTalker,
    /// a `friendship` after login whose `FriendshipPayload` names a contact that `ContactPayload` does not know
    DanglingFriendshipContact,
    /// a contact's message to the bot after login with no `listener_id` (and no room)
    DirectWithoutListener,
    /// the room message after login names a `listener_id` beside its room
    RoomMessageListener,
    /// the room message's talker is not in the room's `RoomMemberList`
    TalkerNotInRoom,
    /// a `room-join` after login whose `timestamp` is in milliseconds, as the official mock sends it (seconds are meant)
    RoomTimeInMilliseconds,
    /// the scan goes Waiting, Scanned, Confirmed, then Timeout: the bot never logs in
    ConfirmedNoLogin,
    /// after a Confirmed scan comes a new QR code, not the login; the login follows the second code's Confirmed
    ConfirmedNewQr,
    /// contacts and rooms appear in `ContactList` and `RoomList` after `ready`, with no event that explains them
    ReadyBeforeSync,
    /// rooms alone appear in `RoomList` after `ready`, with no event
    RoomsAfterReady,
    /// contacts keep appearing in `ContactList` after `ready`, one more at each of several lists, with no event
    ContactsTrickleAfterReady,
    /// after `ready` a contact appears in `ContactList`, told only by a `friendship` whose payload is a request received (Receive), which adds no contact
    RequestAddsContact,
    /// after a client cancels its stream, the subscriber slot stays taken for 3 s (ALREADY_EXISTS)
    SlowSlot,
    /// a new subscriber is not told the login (no `login` replayed)
    NoReplay,
    /// ~300 ms after the first `ready`, ends the event stream once with CANCELLED; a new subscription works
    StreamCancelled,
    /// `MessageFile` answers every file inline (a base64 box), however big: a 5 MiB file in one gRPC message
    InlineBigFile,
    /// `Download` flips one byte of the file
    CorruptDownload,
    /// a file sent through `MessageSendFileStream` loses its name (it comes back as `uuid.dat`)
    StreamFileUnnamed,
    /// a `dong` waits a second while an `Upload` is under way
    SlowDingUnderLoad,
    /// without `authorization`, a call is refused: the token carried as the HTTP/2 `:authority` is ignored
    NoAuthorityToken,
    // Issue 20's gaps (one block: the scan, app markup, names, echoes, invitations, answers).
    /// the scan goes Waiting, Scanned, Confirmed, then Cancel: the bot never logs in
    ConfirmedCancel,
    /// Bob sends a link as a Text (7) message whose text is the raw `<msg><appmsg>` markup
    AppMarkupAsText,
    /// Bob sends a Video (15) message whose file is named like a photo (`bob-clip.jpg`)
    VideoNamedAsImage,
    /// a text the bot sends comes back as an Attachment (1) named with the text, and `MessageSendText` answers no id (as the official server does)
    EchoTextAsFile,
    /// a `room-invite` after login whose `RoomInvitationPayload` names an inviter that `ContactPayload` does not know
    DanglingRoomInviter,
    /// `RoomPayload` names an owner that `ContactPayload` does not know
    GhostRoomOwner,
    /// `ContactPayload` of Bob answers the name "undefined"
    PlaceholderContactName,
    // Issue 20's last gaps: names of every FileBox, one echo per send of any kind, big payloads told apart.
    /// `MessageImage` names Alice's photo in HD with a URL query (`alice-photo.jpg?size=hd`)
    ImageNameQuery,
    /// `MessageImage` names Alice's photo's thumbnail like a document (`alice-photo-thumb.pdf`)
    ThumbnailNamedAsDocument,
    /// Alice's photo's `MessagePayload.filename` ends in a URL fragment (`alice-photo.jpg#page=1`); its file keeps its name
    FilenameFragment,
    /// Alice's photo is named with the URL it was fetched from (`https://cdn.mock.invalid/alice-photo.jpg?sig=1`)
    UrlAsFileName,
    /// after login, 12 distinct 70 KiB `heartbeat`s that share their first 64 KiB (no storm), then 12 identical ones within 100 ms
    BigEventStorm,
    /// capability: `RoomQRCode` answers UNIMPLEMENTED, as from a server without it
    RoomQrUnimplemented,
    /// capability: `MessageSendContact` answers the official server's UNKNOWN "Wechaty Puppet Unsupported API Error" with its stack
    ContactCardUnsupported,
    /// capability: `TagContactList` answers INTERNAL "Wechaty Puppet Unsupported API Error", as the official server before late 2021
    TagsUnsupportedLegacy,
    /// capability: `MessageSendLocation` answers OK with an id, and the location never comes back
    SilentLocation,
    /// capability: `ContactAlias` answers OK to a set and changes nothing: it always reads "mock alias"
    AliasIgnored,
    /// capability: a link card the bot sends comes back typed Text (7), not Url (14)
    UrlEchoAsText,
    /// capability: a location the bot sends to itself comes back in the mock's room, a note to self posted to a group
    LocationInRoom,
    /// capability: a GIF the bot sends comes back typed Image (6), not Emoticon (5): sent as a still image
    GifAsImage,
    /// capability: `MessageSendMiniProgram` answers UNKNOWN with a 3 MiB text: its trailers are more than a client accepts, and end the connection they came on
    MiniProgramHugeError,
    /// capability: `MessageRecall` answers success = true and changes nothing: the message reads back as sent, and no Recalled message comes
    RecallIgnored,
    /// capability: `RoomCreate` answers an id no rpc knows (`mock_room_id`), as the official wechaty-puppet-mock does
    RoomCreateGhost,
    /// capability: `RoomQuit` answers OK and the bot stays in the room (no `room-leave`, still a member, still listed)
    RoomQuitStays,
    /// capability: `RoomDel` answers UNIMPLEMENTED, as from a server without it
    RoomDelUnimplemented,
    /// capability: `RoomAdd` adds the contact (the member list grows) but emits no `room-join`
    RoomAddNoJoinEvent,
    /// capability: `RoomAdd` answers OK and emits a `room-join` naming the contact, but `RoomMemberList` never names it
    RoomAddEventOnly,
    /// capability: `RoomAdd` answers UNKNOWN "add refused": a member taken out of the room cannot be put back
    RoomAddRefused,
    /// misbehaviour: ~1 s after `ready` stops serving and drops every connection, like a provider that died
    Crash,
    /// misbehaviour: ~1 s after `ready` ends the event stream with UNAVAILABLE and refuses every new subscription
    DropStream,
    /// misbehaviour: ~1 s after `ready` ends the event stream once with UNAVAILABLE; a new subscription works
    DropStreamOnce,
    /// misbehaviour: every event stream ends (status OK) right after its connect heartbeat; unary rpcs answer
    StreamEndsAtOnce,
    /// misbehaviour: `Start` never answers
    HangStart,
    /// misbehaviour: no rpc ever answers, `Version` included
    HangAll,
    /// misbehaviour: every answer comes after --slow-delay (default 20s); side effects happen at once
    Slow,
    /// misbehaviour: --flood-count (default 200000) `message` events right after the first `ready`, as fast as they are read
    Flood,
    /// misbehaviour: an 8 MiB event payload after the first `ready`, and 8 MiB texts from `MessagePayload`
    HugePayload,
    /// misbehaviour: 32 `message` events of 3 MiB each right after the first `ready` (96 MiB: more than a run's recording keeps)
    BigEvents,
    /// misbehaviour: non-JSON and wrongly shaped payloads, unknown event numbers, empty ids, lone surrogates
    GarbagePayloads,
    /// misbehaviour: control characters and ANSI escapes in ids, texts, status details and the version
    ControlChars,
    /// misbehaviour: any token is accepted, and the token received is echoed in status details and texts
    TokenEcho,
}

/// What each misbehaviour breaks, for readers of the tests and the docs.
pub const MISBEHAVIOURS: &[(Fault, &str)] = &[
    (Fault::Crash, "every rpc and the event stream: the connection is gone and the port refuses"),
    (Fault::DropStream, "the event stream: every check that waits for an event; unary rpcs still answer"),
    (Fault::DropStreamOnce, "the stream's lifecycle: a client that does not subscribe again goes deaf"),
    (Fault::StreamEndsAtOnce, "a client that subscribes again at once, without end: it must back off and give up"),
    (Fault::HangStart, "`Start`: no login ever"),
    (Fault::HangAll, "everything: a client must rely on its own deadlines"),
    (Fault::Slow, "every deadline shorter than the delay"),
    (Fault::Flood, "a reader that cannot keep up, or buffers without bound"),
    (Fault::HugePayload, "a reader with a 4 MiB message limit; payloads too big to show"),
    (Fault::BigEvents, "a reader that records or keeps every payload whole: its disk and its memory"),
    (Fault::GarbagePayloads, "a reader that trusts payloads: JSON, shapes, event numbers, ids, message types"),
    (Fault::ControlChars, "a terminal or report that prints what it is given"),
    (Fault::TokenEcho, "token hygiene: the token comes back in places a report would show it"),
];

impl Fault {
    pub fn name(self) -> String {
        self.to_possible_value().map_or_else(String::new, |value| value.get_name().to_owned())
    }

    pub fn description(self) -> String {
        self.to_possible_value().and_then(|value| value.get_help().map(ToString::to_string)).unwrap_or_default()
    }

    pub fn all() -> &'static [Fault] {
        Fault::value_variants()
    }

    /// A wire misbehaviour rather than a one-rule fault.
    pub fn is_misbehaviour(self) -> bool {
        MISBEHAVIOURS.iter().any(|(fault, _)| *fault == self)
    }

    /// A fault of what the provider can do (marked `capability:`): it changes one row of the capability table, not
    /// a conformance rule (`tests/capabilities.rs` proves each).
    pub fn is_capability(self) -> bool {
        self.description().starts_with("capability: ")
    }

    /// The one-rule faults, each proven against its check.
    pub fn rules() -> impl Iterator<Item = Fault> {
        Fault::all().iter().copied().filter(|fault| !fault.is_misbehaviour() && !fault.is_capability())
    }

    /// The capability faults, each proven against its row.
    pub fn capabilities() -> impl Iterator<Item = Fault> {
        Fault::all().iter().copied().filter(|fault| fault.is_capability())
    }

    pub fn misbehaviours() -> impl Iterator<Item = Fault> {
        MISBEHAVIOURS.iter().map(|(fault, _)| *fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_has_a_name_and_a_description() {
        for fault in Fault::all() {
            assert!(!fault.name().is_empty());
            assert!(!fault.description().is_empty(), "{}", fault.name());
        }
        assert_eq!(Fault::NoReady.name(), "no-ready");
        assert_eq!(Fault::from_str("wrong-file-extension", false), Ok(Fault::WrongFileExtension));
    }

    #[test]
    fn misbehaviours_are_marked_in_their_help_and_listed_with_what_they_break() {
        for fault in Fault::all() {
            assert_eq!(fault.description().starts_with("misbehaviour: "), fault.is_misbehaviour(), "{}", fault.name());
        }
        assert!(Fault::rules().all(|fault| !fault.is_misbehaviour()));
        assert_eq!(Fault::rules().count() + MISBEHAVIOURS.len() + Fault::capabilities().count(), Fault::all().len());
    }
}
