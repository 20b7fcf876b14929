//! The words of the rules, one typed home each: how strongly a rule binds ([`Severity`]) and the login-state rules
//! a `judge_states` step names ([`StateRule`]). The wire's words live beside them in `wire/`: event types
//! ([`crate::wire::EventKind`]), scan statuses ([`crate::wire::ScanStatus`]) and rpc names ([`crate::wire::Rpc`]).
//!
//! A leaf: it imports nothing of the crate, and every stage reads these words from here. A rule renamed here is
//! renamed everywhere; a suite naming a rule that does not exist is refused when it loads, and
//! `every_state_rule_is_asked_for` (tests) fails when no built-in check asks for a rule.

pub mod capability;

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How strongly a rule binds (the Puppet spec's MUST / SHOULD): a `Must` failure breaks the official client or a
/// bot and fails the run; a `Should` is a deviation from the official server that bots can live with, a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A failure fails the run.
    Must,
    /// A failure is a warning.
    Should,
}

impl Severity {
    /// `must` or `should`, as suites, reports and messages spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Must => "must",
            Severity::Should => "should",
        }
    }

    /// The level a suite spells `must` or `should`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        [Severity::Must, Severity::Should].into_iter().find(|severity| severity.as_str() == text)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! state_rules {
    ($($variant:ident = $id:literal, $severity:ident, $words:literal;)*) => {
        /// A login-state rule of the state judge (its meaning and sources: `engine::field::states`). Suites name
        /// them by [`StateRule::id`] in `judge_states: { rules: [...] }`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StateRule {
            $($variant,)*
        }

        impl StateRule {
            /// Every rule, in the order the state judge's documentation lists them.
            pub const ALL: &'static [StateRule] = &[$(StateRule::$variant,)*];

            /// The stable id suites and findings use, e.g. `ready-before-login`.
            pub fn id(self) -> &'static str {
                match self {
                    $(StateRule::$variant => $id,)*
                }
            }

            /// How strongly it binds.
            pub fn severity(self) -> Severity {
                match self {
                    $(StateRule::$variant => Severity::$severity,)*
                }
            }

            /// The rule in a few words, for findings ("ready only after a login").
            pub fn words(self) -> &'static str {
                match self {
                    $(StateRule::$variant => $words,)*
                }
            }
        }
    };
}

state_rules! {
    ReadyBeforeLogin = "ready-before-login", Must, "ready only after a login";
    LoginTwice = "login-twice", Must, "no second login without a logout between";
    NeedsLogin = "needs-login", Must, "only while logged in";
    NeedsStarted = "needs-started", Must, "a stopped puppet emits only the connect heartbeat and replays";
    EventAfterStreamEnd = "event-after-stream-end", Must, "no events on a stream that ended";
    StreamEndedOutsideStop = "stream-ended-outside-stop", Must,
        "only Stop ends the stream; a client that does not subscribe again goes deaf";
    LogoutOtherBot = "logout-other-bot", Must, "a logout names the logged-in bot";
    NoScanWhileLoggedIn = "no-scan-while-logged-in", Must, "no scan while logged in";
    OneLogoutPerLogoutRpc = "one-logout-per-logout-rpc", Should, "one Logout rpc emits exactly one logout";
    LogoutWhileLoggedOut = "logout-while-logged-out", Should, "a logout ends a login";
    DongWithoutDing = "dong-without-ding", Should, "a dong answers a Ding";
    ConfirmedWithoutLogin = "confirmed-without-login", Should,
        "once the user confirms a scan, the login follows, not a new QR code, a Timeout or a Cancel";
    UnknownEvent = "unknown-event", Should, "unknown event types are kept and shown";
    ResetNotForwarded = "reset-not-forwarded", Should, "reset stays inside the puppet; the official server never sends it";
    SubscribeBeforeStart = "subscribe-before-start", Should,
        "subscribe before Start, events with no subscriber are dropped";
}

/// A rule of the fact judge (`engine::field::facts`): what the run's payloads say must be true of the account —
/// things that happen once, times that are now, values that are values. Suites name them by [`FactRule::id`] in
/// `judge_facts: { rules: [...] }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactRule {
    /// One `message` event per message id (must).
    MessageOnce,
    /// No storm of identical events: the same type and payload many times a second (should).
    EventStorm,
    /// Every time a payload carries lies within the run's clock (must).
    Timestamps,
    /// No placeholder text (`undefined`, `null`, `NaN`, `[object Object]`) where a value belongs (must).
    Placeholders,
}

impl FactRule {
    /// Every rule, in the order the fact judge's documentation lists them.
    pub const ALL: &'static [FactRule] =
        &[FactRule::MessageOnce, FactRule::EventStorm, FactRule::Timestamps, FactRule::Placeholders];

    /// The stable id suites and findings use, e.g. `message-once`.
    pub fn id(self) -> &'static str {
        match self {
            FactRule::MessageOnce => "message-once",
            FactRule::EventStorm => "event-storm",
            FactRule::Timestamps => "timestamps",
            FactRule::Placeholders => "placeholders",
        }
    }

    /// The rule a suite names by `id`; `None` for a name that is no rule.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|rule| rule.id() == id)
    }

    /// Every id, comma-separated, for error messages.
    pub fn ids() -> String {
        Self::ALL.iter().map(|rule| rule.id()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for FactRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A rule of the account model (`engine::field::account`): every id a payload names resolves through its payload
/// rpc to itself, and every message has the shape of its conversation. Unlike the fact rules these ask the service
/// (`ContactPayload`, `RoomPayload`, `RoomMemberList`, `FriendshipPayload`): suites name them by [`AccountRule::id`]
/// in `check_account: { rules: [...] }`, and `rejudge` cannot judge them from a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccountRule {
    /// Every id a payload names resolves through its payload rpc (must).
    IdsResolve,
    /// The payload an id resolves to is of that id: a display name is no id (must).
    IdsAreIds,
    /// A message outside any room names its listener (must).
    DirectHasListener,
    /// A room message names no listener (should: wechaty-puppet's type allows one).
    RoomWithoutListener,
    /// A room message's talker is a member of the room (should: membership changes as the message travels).
    TalkerInRoom,
    /// No string of a payload rpc's answer (`MessagePayload`, `ContactPayload`, `RoomPayload`, `RoomMemberList`,
    /// `FriendshipPayload`, `RoomInvitationPayload`) is placeholder text where a value belongs (must).
    AnswerPlaceholders,
}

impl AccountRule {
    /// Every rule, in the order the account model's documentation lists them.
    pub const ALL: &'static [AccountRule] = &[
        AccountRule::IdsResolve,
        AccountRule::IdsAreIds,
        AccountRule::DirectHasListener,
        AccountRule::RoomWithoutListener,
        AccountRule::TalkerInRoom,
        AccountRule::AnswerPlaceholders,
    ];

    /// The stable id suites and findings use, e.g. `ids-resolve`.
    pub fn id(self) -> &'static str {
        match self {
            AccountRule::IdsResolve => "ids-resolve",
            AccountRule::IdsAreIds => "ids-are-ids",
            AccountRule::DirectHasListener => "direct-has-listener",
            AccountRule::RoomWithoutListener => "room-without-listener",
            AccountRule::TalkerInRoom => "talker-in-room",
            AccountRule::AnswerPlaceholders => "answer-placeholders",
        }
    }

    /// How strongly it binds (the check that asks for it carries its own level; findings say this one).
    pub fn severity(self) -> Severity {
        match self {
            AccountRule::IdsResolve
            | AccountRule::IdsAreIds
            | AccountRule::DirectHasListener
            | AccountRule::AnswerPlaceholders => Severity::Must,
            AccountRule::RoomWithoutListener | AccountRule::TalkerInRoom => Severity::Should,
        }
    }

    /// The rule in a few words, for a failure's "expected".
    pub fn words(self) -> &'static str {
        match self {
            AccountRule::IdsResolve => "every id a payload names resolves through its payload rpc",
            AccountRule::IdsAreIds => "an id resolves to a payload of that id",
            AccountRule::DirectHasListener => "a message outside a room names its listener",
            AccountRule::RoomWithoutListener => "a room message names no listener",
            AccountRule::TalkerInRoom => "a room message's talker is in the room's RoomMemberList",
            AccountRule::AnswerPlaceholders => "no payload answer holds placeholder text where a value belongs",
        }
    }

    /// The rule a suite names by `id`; `None` for a name that is no rule.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|rule| rule.id() == id)
    }

    /// Every id, comma-separated, for error messages.
    pub fn ids() -> String {
        Self::ALL.iter().map(|rule| rule.id()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for AccountRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A rule of the message-content judge (`engine/actions/content.rs`): what each received message's payload and file
/// say must fit — its type, its time, its file's name. Suites name them by [`ContentRule::id`] in
/// `check_message_content: { rules: [...] }`. Each needs `MessagePayload` (and `MessageFile`), so they run live only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentRule {
    /// A message of a file type (Attachment, Audio, Emoticon, Image, Video) has a file: `MessageFile` answers (must).
    FileAnswers,
    /// A message typed Unknown, or Text, does not carry the raw app markup the provider did not parse (should).
    AppMarkup,
    /// Every file name `MessageFile` hands out is a bare name: no directory part, no URL query or fragment (must).
    BareNames,
    /// A message's `timestamp` (ms) and `receive_time` lie within the run's clock (must).
    MessageTime,
    /// A file's name (`MessageFile`'s, `MessagePayload.filename`) has an extension whose MIME type fits the message's
    /// type: an Image or Emoticon an image, a Video a video, an Audio an audio (should).
    NameFitsType,
}

impl ContentRule {
    /// Every rule, in the order the content judge's documentation lists them.
    pub const ALL: &'static [ContentRule] = &[
        ContentRule::FileAnswers,
        ContentRule::AppMarkup,
        ContentRule::BareNames,
        ContentRule::MessageTime,
        ContentRule::NameFitsType,
    ];

    /// The stable id suites and findings use, e.g. `bare-names`.
    pub fn id(self) -> &'static str {
        match self {
            ContentRule::FileAnswers => "file-answers",
            ContentRule::AppMarkup => "app-markup",
            ContentRule::BareNames => "bare-names",
            ContentRule::MessageTime => "message-time",
            ContentRule::NameFitsType => "name-fits-type",
        }
    }

    /// The rule a suite names by `id`; `None` for a name that is no rule.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|rule| rule.id() == id)
    }

    /// Every id, comma-separated, for error messages.
    pub fn ids() -> String {
        Self::ALL.iter().map(|rule| rule.id()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for ContentRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl StateRule {
    /// The rule a suite names by `id`; `None` for a name that is no rule.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|rule| rule.id() == id)
    }

    /// Every id, comma-separated, for error messages.
    pub fn ids() -> String {
        Self::ALL.iter().map(|rule| rule.id()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for StateRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for rule in StateRule::ALL {
            assert_eq!(StateRule::from_id(rule.id()), Some(*rule));
        }
        let mut ids: Vec<&str> = StateRule::ALL.iter().map(|rule| rule.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), StateRule::ALL.len());
        assert_eq!(StateRule::from_id("stream-ended-outside-stops"), None);
    }

    #[test]
    fn content_rule_ids_round_trip_and_each_is_asked_for_by_a_built_in_check() {
        let suite = include_str!("../suites/wechaty-puppet.yaml");
        for rule in ContentRule::ALL {
            assert_eq!(ContentRule::from_id(rule.id()), Some(*rule));
            assert!(suite.contains(&format!("rules: [{}]", rule.id())), "no built-in check asks for {rule}");
        }
        assert_eq!(ContentRule::from_id("bare-name"), None);
    }

    #[test]
    fn severity_reads_as_suites_write_it() {
        assert_eq!(Severity::Must.to_string(), "must");
        assert_eq!(serde_json::to_string(&Severity::Should).unwrap(), "\"should\"");
    }
}
