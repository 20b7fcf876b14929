//! Suites: the spec's rules as YAML checks, loaded, validated and compiled
//! into the small vocabulary the engine runs. See `suites/README.md`.

mod compile;
pub mod doc;
pub mod select;
pub mod template;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use compile::{yaml_error, yaml_options};
pub use doc::Severity;
pub use select::{LoadError, did_you_mean, glob, load_suites, plan, selects, unmatched};
pub use template::{DurationExpr, Fields, Scope, Template, VarRef, format_duration, parse_duration};

pub use crate::vocab::capability::Row;
pub use crate::vocab::{AccountRule, ContentRule, FactRule, StateRule};
use crate::wire::EventKind;

/// The built-in suite, embedded so that `puppet-lint --token X` needs no files.
pub const BUILTIN_NAME: &str = "suites/wechaty-puppet.yaml";
pub const BUILTIN: &str = include_str!("../../suites/wechaty-puppet.yaml");

/// Every built-in suite, run when no `--suite` is given.
pub const BUILTINS: &[(&str, &str)] = &[
    (BUILTIN_NAME, BUILTIN),
    ("suites/wechaty-puppet-service.yaml", include_str!("../../suites/wechaty-puppet-service.yaml")),
    ("suites/wechaty-puppet-registration.yaml", include_str!("../../suites/wechaty-puppet-registration.yaml")),
    ("suites/wechaty-puppet-package.yaml", include_str!("../../suites/wechaty-puppet-package.yaml")),
    ("suites/capabilities.yaml", include_str!("../../suites/capabilities.yaml")),
];

#[derive(Debug, Clone)]
pub struct Suite {
    pub id: String,
    pub version: String,
    pub title: String,
    pub spec: Option<String>,
    /// Runs only when the run has this variable.
    pub when: Option<String>,
    /// The file it came from, as shown in messages.
    pub source: String,
    pub default_timeout: Duration,
    pub levels: Vec<Level>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone)]
pub struct Level {
    pub level: u32,
    pub name: String,
    pub requires: Vec<Severity>,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub requirement: String,
    pub spec: Option<String>,
    pub severity: Severity,
    pub tags: Vec<String>,
    pub destructive: bool,
    /// `None`: the suite's default (or `--timeout`).
    pub timeout: Option<DurationExpr>,
    pub steps: Vec<Step>,
    pub location: Location,
}

/// A check chosen to run, with its suite.
#[derive(Clone)]
pub struct Planned {
    pub suite: Arc<Suite>,
    pub check: Arc<Check>,
}

impl Check {
    /// Whether the check needs the service to itself (it cancels and
    /// reopens the event stream, or measures latency that other checks'
    /// transfers would distort): it runs alone, inside the heartbeat window once the ordinary checks only watch
    /// (`engine::Sharing`).
    pub fn exclusive(&self) -> bool {
        fn any(steps: &[Step]) -> bool {
            steps.iter().any(|step| match &step.action {
                Action::Rpc(RpcAction::Resubscribe) | Action::Files(FilesAction::DingDuringTransfer { .. }) => true,
                Action::ForEach { steps, .. } => any(steps),
                _ => false,
            })
        }
        any(&self.steps)
    }

    /// The capability row the check probes, if it is a capability probe (its first `probe` step).
    pub fn capability_row(&self) -> Option<Row> {
        self.steps.iter().find_map(|step| match &step.action {
            Action::Capability(CapabilityAction::Probe { row }) => Some(*row),
            _ => None,
        })
    }

    /// Whether the check only judges the whole run's recording (all its
    /// steps are `judge_*`): it runs after every other check.
    pub fn observes_run(&self) -> bool {
        !self.steps.is_empty()
            && self.steps.iter().all(|step| {
                matches!(
                    step.action,
                    Action::Judge(
                        JudgeAction::JudgeStates { .. }
                            | JudgeAction::JudgeShapes { .. }
                            | JudgeAction::JudgeFacts { .. }
                    )
                )
            })
    }

    /// Whether the check talks to the service (everything but discovery,
    /// package files and comparisons of what it captured): without a
    /// session it cannot run.
    pub fn needs_session(&self) -> bool {
        fn any(steps: &[Step]) -> bool {
            steps.iter().any(|step| match &step.action {
                Action::ForEach { steps, .. } => any(steps),
                action => action.needs_session(),
            })
        }
        any(&self.steps)
    }
}

/// How a step of an ordinary check shares the service with a check that needs it to itself ([`Check::exclusive`]),
/// which runs inside the heartbeat window, while ordinary checks only watch (see `engine::run_plan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing<'a> {
    /// It only watches the run for a while (the heartbeat window, the messages received): an exclusive check may
    /// run meanwhile.
    Watches,
    /// It waits for events after the capture it names: it watches unless that capture is an action of its own check
    /// (then it awaits that action's answer, an echo or a dong, which a resubscription could drop).
    WaitsAfter(Option<&'a str>),
    /// It talks to the service: no exclusive check runs meanwhile.
    Exchanges,
    /// It neither talks to the service nor waits: it judges what is already there (an assertion, a count up to
    /// now, a file name). The step keeps the sharing of the one before.
    Neutral,
}

impl Action {
    /// How the step shares the service (see [`Sharing`]).
    pub fn sharing(&self) -> Sharing<'_> {
        match self {
            Action::Heartbeat(HeartbeatAction::MaxGap { .. })
            | Action::Message(MessageAction::CheckReceivedMessages { .. })
            | Action::Files(FilesAction::CheckReceivedFiles { .. })
            | Action::Account(AccountAction::CheckAccount { .. })
            | Action::Rpc(RpcAction::ExpectSynced { .. })
            | Action::Message(MessageAction::CheckMessageContent { .. })
            | Action::Message(MessageAction::ExpectNoMessage { .. })
            | Action::Watch(WatchAction::ExpectCount { until: Until::For(_), .. }) => Sharing::Watches,
            Action::Watch(WatchAction::WaitFor { after, .. })
            | Action::Message(MessageAction::WaitMessage { after, .. }) => Sharing::WaitsAfter(after.as_deref()),
            Action::Watch(WatchAction::ExpectCount { .. } | WatchAction::Assert { .. } | WatchAction::Wait { .. })
            | Action::Files(FilesAction::ExpectMime { .. }) => Sharing::Neutral,
            _ => Sharing::Exchanges,
        }
    }

    /// Whether this action talks to the service.
    pub fn needs_session(&self) -> bool {
        !matches!(
            self,
            Action::Discovery(DiscoveryAction::Discover)
                | Action::Watch(WatchAction::Assert { .. })
                | Action::Files(FilesAction::ExpectMime { .. })
                | Action::Watch(WatchAction::Wait { .. })
                | Action::Package(PackageAction::ExpectJson { .. })
                | Action::Package(PackageAction::ExpectText { .. })
                | Action::Package(PackageAction::NpmRule { .. })
                | Action::Judge(JudgeAction::JudgeStates { .. })
                | Action::Judge(JudgeAction::JudgeShapes { .. })
                | Action::Judge(JudgeAction::JudgeFacts { .. })
                | Action::Discovery(DiscoveryAction::Registration { .. })
                | Action::ForEach { .. }
        )
    }
}

/// Where something stands in a suite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    pub location: Location,
    /// Run only when this variable is set (`if:`).
    pub condition: Option<String>,
    pub capture: Option<String>,
    pub expect_error: Option<ErrorExpectation>,
    pub action: Action,
}

/// How `send_file` sends: a base64 box in `MessageSendFile`, the bytes
/// through `Upload` and a uuid box, or the deprecated
/// `MessageSendFileStream` (how the official client sends in-memory files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    #[default]
    Inline,
    Upload,
    Stream,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Inline => "inline",
            Via::Upload => "upload",
            Via::Stream => "stream",
        }
    }
}

/// How an action must fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorExpectation {
    Any,
    Code(tonic::Code),
}

#[derive(Debug, Clone)]
pub enum Action {
    /// Calls on the service (engine/actions/rpc.rs).
    Rpc(RpcAction),
    /// Sending and reading messages (engine/actions/message.rs).
    Message(MessageAction),
    /// Files and FileBoxes (engine/actions/files.rs).
    Files(FilesAction),
    /// Waiting for and asserting on what happened (engine/actions/watch.rs).
    Watch(WatchAction),
    /// The heartbeat rule (engine/actions/heartbeat.rs).
    Heartbeat(HeartbeatAction),
    /// A provider's npm package (engine/actions/package.rs).
    Package(PackageAction),
    /// Discovery and registration (engine/actions/discovery.rs).
    Discovery(DiscoveryAction),
    /// Judging the whole recording (engine/actions/judge.rs).
    Judge(JudgeAction),
    /// The model of the account: ids resolved, conversations' shapes (engine/actions/account.rs).
    Account(AccountAction),
    /// What the provider can do, a row of the capability table at a time (engine/actions/capability.rs).
    Capability(CapabilityAction),
    ForEach {
        values: Vec<Template>,
        name: String,
        steps: Vec<Step>,
    },
}

/// The rpc family's actions: calls on the service (engine/actions/rpc.rs).
#[derive(Debug, Clone)]
pub enum RpcAction {
    Start,
    Stop,
    Logout,
    Ding {
        data: Template,
    },
    /// Cancel the event stream and subscribe again (no `Stop`).
    Resubscribe,
    ContactPayload {
        id: Template,
    },
    Version {
        token: Option<Template>,
    },
    /// `Version` on a second plaintext channel whose HTTP/2 `:authority` is
    /// the token, with no `authorization` metadata.
    AuthorityToken,
    /// `ContactList` and `RoomList` at once (the lists at the moment `after`, normally `ready`), then again every
    /// second until `duration` has passed since `from` (default: the step's start): ids that appear with no event
    /// since `after` that explains them fail (`engine::field::synced`).
    ExpectSynced {
        after: String,
        from: Option<String>,
        duration: DurationExpr,
    },
}

/// The message family's actions: sending and reading messages (engine/actions/message.rs).
#[derive(Debug, Clone)]
pub enum MessageAction {
    SendText {
        to: Template,
        text: Template,
        /// The text is sent this many times over, as one text (a long text).
        repeat: u32,
    },
    MessagePayload {
        id: Template,
    },
    MessageFile {
        id: Template,
    },
    /// No `message` whose text contains `text` (or whose file name contains `name`) arrives after `after` for
    /// `duration` (one echo per send).
    ExpectNoMessage {
        text: Option<Template>,
        name: Option<Template>,
        after: String,
        duration: DurationExpr,
    },
    WaitMessage {
        id: Option<Template>,
        text: Option<Template>,
        name: Option<Template>,
        after: Option<String>,
        within: Option<DurationExpr>,
        or_skip: Option<String>,
    },
    /// Every message of the run resolved and judged (talker, room, type).
    CheckReceivedMessages {
        duration: DurationExpr,
    },
    /// Every message of the run resolved and its content judged by these rules (type, time, file names).
    CheckMessageContent {
        duration: DurationExpr,
        rules: Vec<ContentRule>,
    },
}

/// The files family's actions: files and FileBoxes (engine/actions/files.rs).
#[derive(Debug, Clone)]
pub enum FilesAction {
    SendFile {
        to: Template,
        mime: Template,
        name: Option<Template>,
        /// Bytes of pseudo-random content (default: a small file of the type).
        size: Option<u64>,
        via: Via,
        /// Whether the check reads the capture's `md5` (set by the compiler): a file nobody compares is counted as
        /// it is sent, not hashed.
        hashed: bool,
    },
    ExpectMime {
        name: Template,
        mime: Template,
    },
    CheckReceivedFiles {
        duration: DurationExpr,
    },
    /// `MessageFile`, then the file's bytes: a uuid box through `Download`,
    /// an inline one decoded; compared with what was sent.
    DownloadFile {
        id: Template,
        md5: Option<Template>,
        size: Option<Template>,
        /// `false`: a box carrying its bytes inline fails.
        inline: bool,
        /// Whether the bytes are hashed (set by the compiler): `md5` is given, or the check reads the capture's
        /// `md5`; else they are only counted.
        hashed: bool,
    },
    /// `Ding` → `dong` idle, then during an `Upload` of `size` bytes: the
    /// second under `factor` times the first.
    DingDuringTransfer {
        size: u64,
        factor: f64,
    },
}

/// The watch family's actions: waiting for and asserting on what happened (engine/actions/watch.rs).
#[derive(Debug, Clone)]
pub enum WatchAction {
    Wait {
        duration: DurationExpr,
    },
    WaitFor {
        events: Vec<EventKind>,
        matching: Vec<(String, Template)>,
        after: Option<String>,
        within: Option<DurationExpr>,
        or_skip: Option<String>,
    },
    /// `expect_none` is `expect_count` with `at_most: 0`.
    ExpectCount {
        events: Vec<EventKind>,
        matching: Vec<(String, Template)>,
        after: Option<String>,
        until: Until,
        at_least: u32,
        at_most: Option<u32>,
    },
    Assert {
        that: Template,
        comparison: Comparison,
        message: Option<String>,
    },
}

/// The heartbeat family's actions: the heartbeat rule (engine/actions/heartbeat.rs).
#[derive(Debug, Clone)]
pub enum HeartbeatAction {
    MaxGap { interval: DurationExpr, window: DurationExpr },
}

/// The package family's actions: a provider's npm package (engine/actions/package.rs).
#[derive(Debug, Clone)]
pub enum PackageAction {
    ExpectJson {
        file: Template,
        present: Vec<Template>,
        absent: Vec<Template>,
        message: Option<String>,
    },
    ExpectText {
        file: Template,
        matches: Vec<Pattern>,
        not_matches: Vec<Pattern>,
    },
    /// One of the spec's npm publication rules (`engine::npm`).
    NpmRule {
        rule: NpmRule,
        /// The example file (`ding-dong-example`), relative to the package.
        file: Option<Template>,
    },
}

/// The discovery family's actions: discovery and registration (engine/actions/discovery.rs).
#[derive(Debug, Clone)]
pub enum DiscoveryAction {
    Discover,
    Registration { within: Option<DurationExpr> },
}

/// The judge family's actions: judging the whole recording (engine/actions/judge.rs).
#[derive(Debug, Clone)]
pub enum JudgeAction {
    /// Every event of the run against the login states; these rules' findings fail.
    JudgeStates { rules: Vec<StateRule> },
    /// Every payload of the run against its event type's JSON Schema; problems of `level` fail.
    JudgeShapes { level: Severity },
    /// Every payload of the run against what must be true of the account; these rules' findings fail.
    JudgeFacts { rules: Vec<FactRule> },
}

/// The account family's actions: the model of the account, asked of the live service (engine/actions/account.rs).
#[derive(Debug, Clone)]
pub enum AccountAction {
    /// Every id the run's payloads name resolved through its payload rpc, and every message's conversation shape,
    /// for `duration` (the run's events so far too); these rules' findings fail.
    CheckAccount { duration: DurationExpr, rules: Vec<AccountRule> },
}

/// The capability family's action: one row of the capability table probed (engine/actions/capability.rs).
#[derive(Debug, Clone)]
pub enum CapabilityAction {
    /// Probes the row: its outcome rests on an observed effect (an echo of the right type, a read-back, an event, an
    /// id that resolves), never on an OK alone.
    Probe { row: Row },
}

/// The Puppet spec's npm publication rules ("NPM Publication").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpmRule {
    /// Neither `wechaty-puppet` nor `wechaty` (nor a scoped fork) is a
    /// runtime dependency (must).
    RuntimeDependencies,
    /// Both are in `peerDependencies` and `devDependencies` (should).
    PeerDependencies,
    /// The ding-dong example runs the provider's own puppet, recognises
    /// `ding` and answers `dong` through the puppet API, never `wechaty`.
    DingDongExample,
}

/// A regular expression from a suite, with what it means for people.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub regex: regex::Regex,
    pub meaning: String,
}

#[derive(Debug, Clone)]
pub enum Until {
    /// Up to now.
    Now,
    /// Up to a captured moment.
    Mark(String),
    /// Keep watching this long.
    For(DurationExpr),
}

#[derive(Debug, Clone)]
pub enum Comparison {
    Equals(Template),
    Contains(Template),
    /// Both sides are numbers; the value is at most this.
    AtMost(Template),
    /// The value is this, byte for byte; a difference is shown where it starts, escaped, with both lengths.
    ByteForByte(Template),
}

impl Action {
    /// The step's name as written in YAML (`send_text`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Rpc(RpcAction::Start) => "start",
            Action::Rpc(RpcAction::Stop) => "stop",
            Action::Rpc(RpcAction::Resubscribe) => "resubscribe",
            Action::Rpc(RpcAction::Logout) => "logout",
            Action::Rpc(RpcAction::Ding { .. }) => "ding",
            Action::Message(MessageAction::SendText { .. }) => "send_text",
            Action::Files(FilesAction::SendFile { .. }) => "send_file",
            Action::Message(MessageAction::MessagePayload { .. }) => "message_payload",
            Action::Message(MessageAction::MessageFile { .. }) => "message_file",
            Action::Files(FilesAction::DownloadFile { .. }) => "download_file",
            Action::Rpc(RpcAction::AuthorityToken) => "authority_token",
            Action::Files(FilesAction::DingDuringTransfer { .. }) => "ding_during_transfer",
            Action::Rpc(RpcAction::ContactPayload { .. }) => "contact_payload",
            Action::Rpc(RpcAction::Version { .. }) => "version",
            Action::Rpc(RpcAction::ExpectSynced { .. }) => "expect_synced",
            Action::Discovery(DiscoveryAction::Discover) => "discover",
            Action::Watch(WatchAction::Wait { .. }) => "wait",
            Action::Watch(WatchAction::WaitFor { .. }) => "wait_for",
            Action::Watch(WatchAction::ExpectCount { at_least: 0, at_most: Some(0), .. }) => "expect_none",
            Action::Watch(WatchAction::ExpectCount { .. }) => "expect_count",
            Action::Message(MessageAction::WaitMessage { .. }) => "wait_message",
            Action::Message(MessageAction::ExpectNoMessage { .. }) => "expect_no_message",
            Action::Watch(WatchAction::Assert { .. }) => "assert",
            Action::Files(FilesAction::ExpectMime { .. }) => "expect_mime",
            Action::Files(FilesAction::CheckReceivedFiles { .. }) => "check_received_files",
            Action::Message(MessageAction::CheckReceivedMessages { .. }) => "check_received_messages",
            Action::Message(MessageAction::CheckMessageContent { .. }) => "check_message_content",
            Action::Heartbeat(HeartbeatAction::MaxGap { .. }) => "max_gap",
            Action::ForEach { .. } => "for_each",
            Action::Package(PackageAction::ExpectJson { .. }) => "expect_json",
            Action::Package(PackageAction::ExpectText { .. }) => "expect_text",
            Action::Discovery(DiscoveryAction::Registration { .. }) => "registration",
            Action::Package(PackageAction::NpmRule { .. }) => "npm_rule",
            Action::Judge(JudgeAction::JudgeStates { .. }) => "judge_states",
            Action::Judge(JudgeAction::JudgeShapes { .. }) => "judge_shapes",
            Action::Judge(JudgeAction::JudgeFacts { .. }) => "judge_facts",
            Action::Account(AccountAction::CheckAccount { .. }) => "check_account",
            Action::Capability(CapabilityAction::Probe { .. }) => "probe",
        }
    }
}

/// Variables every check can use, whatever the run.
pub const BUILTIN_VARIABLES: &[(&str, &str)] = &[
    ("bot", "the bot's contact id, as the check began"),
    ("nonce", "a string unique to this check in this run"),
    ("window", "the heartbeat observation window (--heartbeat-window, default 60s)"),
    ("interval", "the longest allowed gap between events (scales with --heartbeat-window)"),
    ("timeout", "the default check budget (--timeout, else the suite's)"),
    ("invalid_token", "a token no service accepts"),
];

/// Variables set only in some runs; steps using them need `if:`.
pub const OPTIONAL_VARIABLES: &[(&str, &str)] = &[
    ("peer_contact", "a contact id given with --peer-contact"),
    ("peer_room", "a room id given with --peer-room"),
    ("capabilities", "set when the capability suite runs (every run but one with --no-capabilities)"),
    ("discovery", "the discovery service's address, when the target was found by token"),
    ("package", "a provider's npm package directory, given with --package or `puppet-lint package DIR`"),
    ("registry", "puppet-lint's own registry, run with --registry"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct SuiteError {
    pub location: Location,
    pub message: String,
}

/// Every problem found in a file, in order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SuiteErrors(pub Vec<SuiteError>);

impl fmt::Display for SuiteErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// Loads the built-in suite.
pub fn builtin() -> Result<Suite, SuiteErrors> {
    parse(BUILTIN, BUILTIN_NAME)
}

/// Loads a suite file.
pub fn load(path: &Path) -> Result<Suite, SuiteErrors> {
    let source = path.display().to_string();
    let text = crate::input::read_to_string(path, crate::input::cap::SUITE).map_err(|error| {
        SuiteErrors(vec![SuiteError {
            location: Location { file: source.clone(), line: 0, column: 0 },
            message: format!("cannot read the suite: {error}"),
        }])
    })?;
    parse(&text, &source)
}

/// Parses and validates suite text; `source` names it in messages.
pub fn parse(text: &str, source: &str) -> Result<Suite, SuiteErrors> {
    compile::compile(text, source)
}

/// Checks ids are unique across suites run together.
pub fn check_unique_ids(suites: &[Suite]) -> Result<(), SuiteErrors> {
    let mut seen: std::collections::HashMap<&str, &Location> = std::collections::HashMap::new();
    let mut errors = Vec::new();
    for check in suites.iter().flat_map(|suite| &suite.checks) {
        if let Some(first) = seen.insert(&check.id, &check.location) {
            errors.push(SuiteError {
                location: check.location.clone(),
                message: format!("check id `{}` is already used at {first}", check.id),
            });
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(SuiteErrors(errors)) }
}

/// The JSON Schema of the suite format, for editors.
pub fn json_schema() -> serde_json::Value {
    let schema =
        schemars::generate::SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<doc::SuiteDoc>();
    let mut value = serde_json::to_value(schema).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("$id".into(), "https://github.com/puppet-lint/puppet-lint/suite-format-1.json".into());
        object.insert("title".into(), "puppet-lint suite (format 1)".into());
    }
    value
}

#[cfg(test)]
mod tests;
