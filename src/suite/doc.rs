//! The suite file as written: what YAML deserialises into, and what
//! `puppet-lint schema` describes. Values whose meaning is checked after
//! parsing keep their position (`Located`) so errors can point at them.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};

/// A value and where it stood in the file (1-based line and column).
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub line: u64,
    pub column: u64,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        Ok(Located { value: spanned.value, line: spanned.referenced.line(), column: spanned.referenced.column() })
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A puppet-lint suite: the rules a Wechaty Puppet Service must follow,
/// written as checks.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuiteDoc {
    /// Version of the suite file format. Always 1.
    pub format: Located<u32>,
    /// The suite's id, e.g. `wechaty-puppet`. Reports group checks by it.
    pub suite: Located<String>,
    /// The suite's own version, shown in reports.
    pub version: String,
    pub title: String,
    /// Where the rules come from.
    pub spec: Option<String>,
    /// Run this suite only when the run has this variable (e.g. `package`:
    /// only with `--package DIR`).
    pub when: Option<Located<String>>,
    #[serde(default)]
    pub defaults: DefaultsDoc,
    /// Certification levels, lowest first.
    #[serde(default)]
    pub levels: Vec<LevelDoc>,
    pub checks: Vec<CheckDoc>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultsDoc {
    /// A check's time budget unless it sets its own (`--timeout` overrides
    /// this). Also the value of `${timeout}`.
    pub timeout: Option<Located<String>>,
}

/// A certification level: reached when every check of the listed levels passes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelDoc {
    pub level: u32,
    pub name: String,
    pub requires: Vec<Severity>,
}

pub use crate::vocab::Severity;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckDoc {
    /// Stable dotted id, e.g. `message.self-echo`. Tools and baselines rely on it.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$"))]
    pub id: Located<String>,
    pub title: String,
    /// The rule in the spec's words, shown when the check fails.
    pub requirement: String,
    pub spec: Option<String>,
    pub level: Severity,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Touches the account (logout, restart): runs last, and only with
    /// `--allow-destructive`.
    #[serde(default)]
    pub destructive: bool,
    /// The check's time budget, e.g. `90s` or `2*${window} + 30s`.
    pub timeout: Option<Located<String>>,
    pub steps: Vec<Located<StepDoc>>,
}

/// One step: an action on the service, or an expectation about what it did.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepDoc {
    /// Call `Start`.
    Start(ActionDoc),
    /// Call `Stop`, then subscribe to events again (a server ends the stream on `Stop`).
    Stop(ActionDoc),
    /// Cancel the event stream and subscribe again, without `Stop`, as a
    /// client that reconnects does. Captures `slot_ms`: how long the server
    /// took to free its one subscriber slot. A check with this step runs on
    /// its own, after the others (its gap would hide their events).
    Resubscribe(ActionDoc),
    /// Call `Logout`.
    Logout(ActionDoc),
    /// Call `Ding(data)`; the puppet should answer with a `dong` event.
    Ding(DingDoc),
    /// Send a text (`repeat` times over, for a long text). Captures `id` (the message id the server returned, maybe
    /// empty), `to`, `text` (as sent).
    SendText(SendTextDoc),
    /// Send a file of a MIME type, named with that type's extension: a small
    /// one, or `size` bytes of pseudo-random content; `via` says how
    /// (`inline` base64 box, `upload` then a uuid box, or the deprecated
    /// `stream`). Captures `id`, `name`, `stem`, `mime`, `kind` (the message type its echo has, e.g. `image`;
    /// empty where providers differ), `md5` (hashed only in a check that reads it), `size`, `via`.
    SendFile(SendFileDoc),
    /// `MessageFile` of a message, then its bytes: a uuid box through
    /// `Download`, an inline box decoded. With `md5`/`size`, they must be
    /// what was sent; with `inline: false`, a box carrying its bytes inline
    /// fails. Captures `name`, `box`, `md5`, `size`, `answer_bytes`, `download_ms`.
    DownloadFile(DownloadFileDoc),
    /// `Ding` → `dong` latency idle, then while an `Upload` of `size` bytes
    /// streams: the second must stay under `factor` (default 2) times the
    /// first (plus 100 ms for timer noise). Captures `idle_ms`, `loaded_ms`.
    DingDuringTransfer(DingDuringTransferDoc),
    /// Fetch a message's payload. Captures `id`, `talker`, `listener`, `room`,
    /// `text`, `filename` and `type`.
    MessagePayload(FetchDoc),
    /// Fetch a message's file. Captures `name`, `mime` and `extension`.
    MessageFile(FetchDoc),
    /// Fetch a contact's payload. Captures `id` and `name`.
    ContactPayload(FetchDoc),
    /// Call `Version` (optionally with another token). Captures `version`.
    Version(VersionDoc),
    /// `ContactList` and `RoomList` at once (the lists as they are at `after`, normally the captured `ready`), then
    /// every second until `for` has passed since `from` (a captured moment; default: this step): an id that appears
    /// in a later list with no event since `after` that explains it (a friendship, a room invitation, a room event
    /// or `dirty` naming it) fails. An rpc the service does not implement is left out, and said.
    ExpectSynced(ExpectSyncedDoc),
    /// Call `Version` as the official client does without TLS: on a second
    /// channel whose HTTP/2 `:authority` is the token, with no
    /// `authorization` metadata. Skipped under TLS. Captures `version`.
    AuthorityToken(ActionDoc),
    /// The discovery answer for the run's token. Captures `host`, `port`,
    /// `legacy_ip` (`true`/`false`) and `extra_keys`.
    Discover(ActionDoc),
    /// Do nothing for a while.
    Wait(WaitDoc),
    /// Wait for an event. Captures `type` and the payload's fields.
    WaitFor(WaitForDoc),
    /// No such event in a range, or for a while.
    ExpectNone(ExpectNoneDoc),
    /// Between `at_least` and `at_most` such events in a range, or for a while.
    ExpectCount(ExpectCountDoc),
    /// Wait for a `message` event whose payload matches. Captures as `message_payload`.
    WaitMessage(WaitMessageDoc),
    /// No further `message` whose text contains `text` arrives after a capture, for a while (one echo per send).
    ExpectNoMessage(ExpectNoMessageDoc),
    /// Compare captured values.
    Assert(AssertDoc),
    /// A file name's extension maps to a MIME type and back.
    ExpectMime(ExpectMimeDoc),
    /// Every file message received for a while is named with an extension
    /// that maps to a MIME type fitting the message's type.
    CheckReceivedFiles(ReceivedFilesDoc),
    /// Every `message` event received for a while (the run's so far too) is
    /// resolved with `MessagePayload` and judged: it resolves, its talker is
    /// a contact (not empty, not the room), a Text carries text,
    /// its type is a wechaty-puppet number that fits its content.
    CheckReceivedMessages(ReceivedFilesDoc),
    /// Every `message` event received for a while (the run's so far too) is resolved with `MessagePayload` (and a
    /// file type's with `MessageFile`), and its content judged by the listed rules: `file-answers` (a file type has
    /// a file), `app-markup` (no unparsed app markup typed Unknown), `bare-names` (file names without a directory,
    /// a query or a fragment), `message-time` (`timestamp` and `receive_time` within the run's clock).
    CheckMessageContent(MessageContentDoc),
    /// No gap between events longer than `interval`, watched for `window`
    /// and for a full interval past the last activity the harness caused.
    MaxGap(MaxGapDoc),
    /// Repeat steps once per value.
    ForEach(ForEachDoc),
    /// A JSON file of the package (`--package DIR`) has these JSON pointers
    /// and lacks those; every problem is reported at once.
    ExpectJson(ExpectJsonDoc),
    /// A text file of the package exists and matches these regular
    /// expressions and none of those.
    ExpectText(ExpectTextDoc),
    /// One of the Puppet spec's npm publication rules, judged from the
    /// package's package.json and example with a real TypeScript parser:
    /// `runtime-dependencies` (must), `peer-dependencies` (should),
    /// `ding-dong-example` (must; `file` defaults to
    /// `examples/ding-dong-bot.ts`). A package the rule cannot apply to
    /// (private, no puppet dependency, an installed copy) is skipped with why.
    NpmRule(NpmRuleDoc),
    /// Judge every event of the run against the puppet's login states
    /// (`engine::field::states`): the findings of the listed rules fail the
    /// check. A check made of `judge_*` steps runs after every other check,
    /// over the whole recording.
    JudgeStates(JudgeStatesDoc),
    /// Judge every event payload of the run against its JSON Schema
    /// (`schemas/events/`): the problems of the given level fail the check.
    JudgeShapes(JudgeShapesDoc),
    /// Judge every event payload of the run against what must be true of
    /// the account (`engine::field::facts`): one message event per id, no
    /// storms, times that are now, values that are no placeholders. The
    /// findings of the listed rules fail the check.
    JudgeFacts(JudgeFactsDoc),
    /// Build a model of the account from every event and message of the run
    /// (and for `for` more), asking the service (`engine::field::account`):
    /// `ids-resolve` and `ids-are-ids` resolve every id a payload names
    /// through its payload rpc (`ContactPayload`, `RoomPayload`,
    /// `FriendshipPayload`; each distinct id once, rate-bounded, sampled under
    /// a flood); `direct-has-listener`, `room-without-listener` and
    /// `talker-in-room` (`RoomMemberList`) judge each message's conversation.
    /// The findings of the listed rules fail the check. Live only: `rejudge`
    /// skips it.
    CheckAccount(CheckAccountDoc),
    /// Probe one row of the capability table (`puppet-lint list --capabilities` names them): its outcome —
    /// `supported`, `partial`, `unsupported`, `broken` or `untested` — rests on an observed effect, never on an OK
    /// alone. `row` is the row's docs text or key; `class` its side-effect class (`R`, `S`, `P`, `D`, `human`),
    /// which must be the row's own.
    Probe(ProbeDoc),
    /// The registry (`--registry`) asks the provider for its gRPC port and
    /// checks that gRPC answers there. Captures `port`, `ip` and `answered`.
    Registration(RegistrationDoc),
}

/// Fields every step may have: `if` (run only when the variable is set).
/// Actions also take `capture` (a name for the moment before the action and
/// for what it returns) and `expect_error` (the call must fail: a status name
/// like `unauthenticated`, or `any`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    pub expect_error: Option<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DingDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    pub expect_error: Option<Located<String>>,
    pub data: Located<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectSyncedDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// The captured moment from which the lists must be whole (normally `ready`): events from it on may explain
    /// new ids.
    pub after: Located<String>,
    /// The captured moment the watch counts `for` from (default: this step's start).
    pub from: Option<Located<String>>,
    /// How long to keep taking the lists, e.g. `${window}`.
    #[serde(rename = "for")]
    pub duration: Located<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendTextDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    pub expect_error: Option<Located<String>>,
    /// Conversation: a contact or room id, e.g. `${bot}`.
    pub to: Located<String>,
    pub text: Located<String>,
    /// Send the text this many times over, as one text (a long text; default 1, at most 10000).
    pub repeat: Option<Located<u32>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendFileDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    pub expect_error: Option<Located<String>>,
    pub to: Located<String>,
    /// e.g. `application/pdf`.
    pub mime: Located<String>,
    /// Defaults to `puppet-lint-<nonce>.<the type's extension>`.
    pub name: Option<Located<String>>,
    /// The file's size, e.g. `40KiB` or `5MiB` (default: a small file).
    pub size: Option<Located<String>>,
    /// How it is sent (default `inline`).
    pub via: Option<ViaDoc>,
}

/// How `send_file` sends.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViaDoc {
    /// A base64 box in `MessageSendFile`.
    Inline,
    /// `Upload`, then `MessageSendFile` with a uuid box.
    Upload,
    /// The deprecated `MessageSendFileStream`: `{conversation_id}`, `{file_box_chunk{name}}`, then data chunks.
    Stream,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadFileDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    pub expect_error: Option<Located<String>>,
    /// The message id, e.g. `${echo.id}`.
    pub id: Located<String>,
    /// The md5 (hex) the bytes must have, e.g. `${sent.md5}`.
    pub md5: Option<Located<String>>,
    /// The size in bytes the file must have, e.g. `${sent.size}`.
    pub size: Option<Located<String>>,
    /// `false`: the answer must not carry the bytes inline (a base64 box).
    #[serde(default = "yes")]
    pub inline: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DingDuringTransferDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    /// How much to upload at most while the ding waits for its dong, e.g. `5MiB`.
    pub size: Located<String>,
    /// Loaded latency under this many times the idle one (default 2).
    pub factor: Option<f64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    pub expect_error: Option<Located<String>>,
    pub id: Located<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    pub expect_error: Option<Located<String>>,
    /// Call with this token instead of the run's (e.g. `${invalid_token}`).
    pub token: Option<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    #[serde(rename = "for")]
    pub duration: Located<String>,
}

/// One event type, or a list (the first of any).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitForDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    /// Event type(s): `login`, `ready`, `dong`, … or `type-N` for others.
    pub event: Located<OneOrMany>,
    /// Payload fields that must equal these values.
    #[serde(rename = "where", default)]
    pub matching: BTreeMap<String, Located<String>>,
    /// Only events after this captured moment (default: any, from the start).
    pub after: Option<Located<String>>,
    /// How long to wait (default: what is left of the check's budget).
    pub within: Option<Located<String>>,
    /// If it never comes, skip the check for this reason instead of failing
    /// it (when another check covers the missing event).
    pub or_skip: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectNoneDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub event: Located<OneOrMany>,
    #[serde(rename = "where", default)]
    pub matching: BTreeMap<String, Located<String>>,
    pub after: Option<Located<String>>,
    /// Up to this captured moment (not with `for`).
    pub before: Option<Located<String>>,
    /// Keep watching this long (not with `before`).
    #[serde(rename = "for")]
    pub duration: Option<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectCountDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub event: Located<OneOrMany>,
    #[serde(rename = "where", default)]
    pub matching: BTreeMap<String, Located<String>>,
    pub after: Option<Located<String>>,
    pub before: Option<Located<String>>,
    #[serde(rename = "for")]
    pub duration: Option<Located<String>>,
    pub at_least: Option<u32>,
    pub at_most: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectNoMessageDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// A message whose text contains this is one too many…
    pub text: Option<Located<String>>,
    /// …or one whose file name (its `filename`, else the name of the FileBox `MessageFile` gives) contains this.
    pub name: Option<Located<String>>,
    /// From just after this capture (an echo: the one that came).
    pub after: Located<String>,
    /// How long to watch, e.g. `5s`.
    #[serde(rename = "for")]
    pub duration: Located<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitMessageDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    /// Match this message id when it is not empty…
    pub id: Option<Located<String>>,
    /// …else a message whose text contains this…
    pub text: Option<Located<String>>,
    /// …or whose file name contains this.
    pub name: Option<Located<String>>,
    pub after: Option<Located<String>>,
    pub within: Option<Located<String>>,
    /// If it never comes, skip the check for this reason instead of failing it.
    pub or_skip: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssertDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub that: Located<String>,
    pub equals: Option<Located<String>>,
    pub contains: Option<Located<String>>,
    /// Both sides are numbers, and `that` is at most this.
    pub at_most: Option<Located<String>>,
    /// `that` is this, byte for byte; a failure shows where they first differ (escaped) and both lengths.
    pub byte_for_byte: Option<Located<String>>,
    /// What the failure means, for the person reading the report.
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectMimeDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub name: Located<String>,
    pub mime: Located<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceivedFilesDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    #[serde(rename = "for")]
    pub duration: Located<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageContentDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// Keep judging messages this long, e.g. `${window}`.
    #[serde(rename = "for")]
    pub duration: Located<String>,
    /// Rule ids: `file-answers`, `app-markup`, `bare-names`, `message-time`.
    pub rules: Vec<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaxGapDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub interval: Located<String>,
    pub window: Located<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForEachDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub values: Vec<Located<String>>,
    /// The variable each value is bound to.
    #[serde(rename = "as")]
    pub name: Located<String>,
    pub steps: Vec<Located<StepDoc>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectJsonDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// Relative to the package directory.
    pub file: Located<String>,
    /// JSON pointers (RFC 6901) that must exist, e.g. `/peerDependencies/wechaty`.
    #[serde(default)]
    pub present: Vec<Located<String>>,
    /// JSON pointers that must not exist.
    #[serde(default)]
    pub absent: Vec<Located<String>>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectTextDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// Relative to the package directory.
    pub file: Located<String>,
    /// Regular expressions the text must match (each with a description
    /// after ` # `, shown when it does not).
    #[serde(default)]
    pub matches: Vec<Located<String>>,
    /// Regular expressions the text must not match.
    #[serde(default)]
    pub not_matches: Vec<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeStatesDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// Rule ids, e.g. `no-scan-while-logged-in` (`puppet-lint list` shows them).
    pub rules: Vec<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeFactsDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// Rule ids: `message-once`, `event-storm`, `timestamps`, `placeholders`.
    pub rules: Vec<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckAccountDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// How long to keep watching after the run's events so far, e.g. `${window}`.
    #[serde(rename = "for")]
    pub duration: Located<String>,
    /// Rule ids: `ids-resolve`, `ids-are-ids`, `direct-has-listener`, `room-without-listener`, `talker-in-room`.
    pub rules: Vec<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeShapesDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// `must` or `should`: which problems fail the check.
    pub level: Located<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NpmRuleDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// `runtime-dependencies`, `peer-dependencies` or `ding-dong-example`.
    pub rule: Located<String>,
    /// The example to read (`ding-dong-example` only), relative to the package.
    pub file: Option<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    pub capture: Option<Located<String>>,
    /// How long to wait for the provider to register.
    pub within: Option<Located<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeDoc {
    #[serde(rename = "if")]
    pub condition: Option<Located<String>>,
    /// The row: its text in the Wechaty docs' compatibility table (`Send Mini Program`) or its key
    /// (`send-mini-program`).
    pub row: Located<String>,
    /// What probing it does to a real account: `R` read only, `S` sends only to the bot itself, `P` visible to the
    /// contact or room named with `--peer-contact`/`--peer-room`, `D` destructive, `human` needs a person.
    pub class: Located<String>,
}
