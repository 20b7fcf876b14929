//! From the YAML document to the checks the engine runs. Everything a suite
//! author can get wrong is found here, before anything connects: unknown keys
//! and actions (by the parser), then bad durations, event and status names,
//! MIME types, and variables used before they are captured.
//!
//! `step` dispatches each action to the file of its family, as the engine
//! runs them (`engine/actions/`): `rpc.rs`, `message.rs`, `files.rs`,
//! `watch.rs`, `heartbeat.rs`, `package.rs`, `discovery.rs`, `judge.rs`, `account.rs`.

mod account;
mod capability;
mod discovery;
mod files;
mod heartbeat;
mod judge;
mod message;
mod package;
mod rpc;
mod watch;

use std::collections::HashMap;

use super::doc::{self, ActionDoc, ForEachDoc, Located, StepDoc, SuiteDoc};
use super::template::{DurationExpr, Template, VarRef, parse_duration};
use super::*;
use crate::wire::status::code_from_name;

/// The only format this puppet-lint reads.
const FORMAT: u32 = 1;

pub(super) fn compile(text: &str, source: &str) -> Result<Suite, SuiteErrors> {
    let document: SuiteDoc = serde_saphyr::from_str_with_options(text, yaml_options())
        .map_err(|error| SuiteErrors(vec![yaml_error(&error, text, source)]))?;
    let mut compiler =
        Compiler { source, errors: Vec::new(), check: None, given: None, md5_read: std::collections::HashSet::new() };
    let suite = compiler.suite(document);
    if compiler.errors.is_empty() { Ok(suite) } else { Err(SuiteErrors(compiler.errors)) }
}

/// A YAML parser error as a suite error at its `file:line:col` (also used for
/// the targets file).
pub fn yaml_error(error: &serde_saphyr::Error, text: &str, source: &str) -> SuiteError {
    let (line, column) = error.location().map_or((0, 0), |location| (location.line(), location.column()));
    let message = match check_at(text, line) {
        Some(check) => format!("check `{check}`: {}", plain_message(error)),
        None => plain_message(error),
    };
    SuiteError { location: Location { file: source.to_owned(), line, column }, message }
}

/// How puppet-lint reads its YAML files (suites, targets): booleans are
/// `true` or `false` only (YAML 1.2; `yes`, `on`, `"yes"` are refused), and
/// the parser's limits on anchors and aliases stop an alias bomb.
pub fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! { strict_booleans: true }
}

/// A limit the parser stopped at, in words: an alias bomb, or a document
/// larger than any suite or targets file.
fn limit_message(error: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    let mut error = error;
    while let Error::AliasError { error: inner, .. } | Error::WithSnippet { error: inner, .. } = error {
        error = inner;
    }
    const BOMB: &str = "the anchors and aliases here expand to more than puppet-lint reads (an alias bomb, \
                        each alias repeating another many times?): write the values out, or use fewer aliases";
    let too_big = |what: &str| {
        format!("the YAML has too many {what} for a puppet-lint file (it reads files a person writes): shorten it")
    };
    Some(match error {
        Error::AliasReplayCounterOverflow { .. }
        | Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. } => BOMB.to_owned(),
        Error::Budget { breach, .. } => match breach {
            BudgetBreach::Nodes { .. } | BudgetBreach::Aliases { .. } | BudgetBreach::AliasAnchorRatio { .. } => {
                BOMB.to_owned()
            }
            BudgetBreach::Events { .. } => too_big("parts"),
            BudgetBreach::Anchors { .. } => too_big("anchors (`&name`)"),
            BudgetBreach::Depth { .. } => too_big("levels of nesting"),
            BudgetBreach::Documents { .. } => too_big("documents (`---`)"),
            BudgetBreach::ScalarBytes { .. } => too_big("bytes of text"),
            BudgetBreach::CommentBytes { .. } => too_big("bytes of comments"),
            BudgetBreach::MergeKeys { .. } => too_big("merge keys (`<<`)"),
            _ => "the YAML goes past a limit of the parser's (it is malformed, or far larger than a puppet-lint \
                  file): check its structure"
                .to_owned(),
        },
        _ => return None,
    })
}

/// The parser's message, without its rendered snippet and location suffix,
/// in puppet-lint's words where the parser's are cryptic.
fn plain_message(error: &serde_saphyr::Error) -> String {
    if let Some(message) = limit_message(error) {
        return message;
    }
    // A value reached through an alias: the error of the value itself, then where its anchor and the alias are
    // (the parser's own text puts them in parentheses that a cut at " at line " would leave open).
    let mut inner = error;
    let mut alias = None;
    loop {
        match inner {
            serde_saphyr::Error::WithSnippet { error, .. } => inner = error,
            serde_saphyr::Error::AliasError { error, locations, .. } => {
                alias.get_or_insert(*locations);
                inner = error;
            }
            _ => break,
        }
    }
    let words = plain_words(inner);
    let known = |location: serde_saphyr::Location| location != serde_saphyr::Location::UNKNOWN;
    match alias {
        Some(locations) if known(locations.defined_location) && known(locations.reference_location) => format!(
            "{words} (the value of the anchor at line {}, column {}, used through the alias at line {}, column {})",
            locations.defined_location.line(),
            locations.defined_location.column(),
            locations.reference_location.line(),
            locations.reference_location.column()
        ),
        _ => words,
    }
}

/// One parser error's words, without its snippet and location suffixes.
fn plain_words(error: &serde_saphyr::Error) -> String {
    let text = error.without_snippet().to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    // Location suffixes the parser adds: " (defined at line …)", " (used at line …)", " at line …".
    let first = [" (defined at line ", " (used at line ", " at line "]
        .iter()
        .fold(first, |text, suffix| text.split(suffix).next().unwrap_or(text))
        .trim_end_matches('.');
    if let Some(rest) = first.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest);
        return format!("duplicate key `{key}`");
    }
    match first {
        "expected string scalar" => "expected a string here".to_owned(),
        "invalid boolean (strict mode expects true/false)" => {
            "expected `true` or `false` here (unquoted; `yes`, `on` and quoted strings are not booleans)".to_owned()
        }
        other => other.to_owned(),
    }
}

/// The id of the check whose text contains line `line` (parser errors come
/// without one).
fn check_at(text: &str, line: u64) -> Option<String> {
    text.lines()
        .take(line as usize)
        .filter_map(|text| text.trim_start().strip_prefix("- id:"))
        .last()
        .map(|id| id.trim().trim_matches(|c| c == '"' || c == '\'').to_owned())
        .filter(|id| !id.is_empty())
}

/// Marks the file steps whose capture's `md5` some step of the check reads (`read`): they hash the bytes they send
/// or fetch; the others only count them.
fn hash_what_is_read(steps: &mut [Step], read: &std::collections::HashSet<String>) {
    for step in steps {
        let captured_md5_read = step.capture.as_ref().is_some_and(|capture| read.contains(capture));
        match &mut step.action {
            Action::Files(FilesAction::SendFile { hashed, .. }) => *hashed = captured_md5_read,
            Action::Files(FilesAction::DownloadFile { md5, hashed, .. }) => {
                *hashed = md5.is_some() || captured_md5_read
            }
            Action::ForEach { steps, .. } => hash_what_is_read(steps, read),
            _ => {}
        }
    }
}

/// What a name in scope stands for.
#[derive(Debug, Clone)]
enum Known {
    Builtin,
    Optional,
    Loop,
    Capture { fields: Fields },
}

#[derive(Debug, Clone, Copy)]
enum Fields {
    /// A moment only: usable as `after:`/`before:`, no fields.
    Mark,
    Only(&'static [&'static str]),
    /// An event: its payload's fields, checked when it arrives.
    Any,
}

const MESSAGE_FIELDS: &[&str] = &["id", "talker", "listener", "room", "text", "filename", "type"];

fn fields_of(action: &Action) -> Fields {
    match action {
        Action::Rpc(RpcAction::Start) | Action::Rpc(RpcAction::Stop) | Action::Rpc(RpcAction::Logout) => Fields::Mark,
        Action::Rpc(RpcAction::Resubscribe) => Fields::Only(&["slot_ms"]),
        Action::Rpc(RpcAction::Ding { .. }) => Fields::Only(&["data"]),
        Action::Message(MessageAction::SendText { .. }) => Fields::Only(&["id", "to", "text"]),
        Action::Files(FilesAction::SendFile { .. }) => {
            Fields::Only(&["id", "to", "name", "stem", "mime", "kind", "md5", "size", "via"])
        }
        Action::Files(FilesAction::DownloadFile { .. }) => {
            Fields::Only(&["name", "box", "md5", "size", "answer_bytes", "download_ms"])
        }
        Action::Files(FilesAction::DingDuringTransfer { .. }) => Fields::Only(&["idle_ms", "loaded_ms"]),
        Action::Message(MessageAction::MessagePayload { .. }) | Action::Message(MessageAction::WaitMessage { .. }) => {
            Fields::Only(MESSAGE_FIELDS)
        }
        Action::Message(MessageAction::MessageFile { .. }) => Fields::Only(&["name", "mime", "extension"]),
        Action::Rpc(RpcAction::ContactPayload { .. }) => Fields::Only(&["id", "name"]),
        Action::Rpc(RpcAction::Version { .. }) | Action::Rpc(RpcAction::AuthorityToken) => Fields::Only(&["version"]),
        Action::Discovery(DiscoveryAction::Discover) => {
            Fields::Only(&["host", "port", "legacy_ip", "extra_keys", "authority"])
        }
        Action::Watch(WatchAction::WaitFor { .. }) => Fields::Any,
        _ => Fields::Mark,
    }
}

struct Compiler<'a> {
    source: &'a str,
    errors: Vec<SuiteError>,
    /// The check being compiled: every message names it.
    check: Option<String>,
    /// The suite's `when:` variable: always set while its checks run.
    given: Option<String>,
    /// The captures whose `md5` the check being compiled reads: the file steps that capture them hash their bytes
    /// (the others only count them).
    md5_read: std::collections::HashSet<String>,
}

type Names = HashMap<String, Known>;

/// A step's `if`, `capture` and `expect_error` as written, and its action.
type Parts = (Option<Located<String>>, Option<Located<String>>, Option<Located<String>>, Action);

/// An action without fields of its own.
fn plain(common: ActionDoc, action: Action) -> Parts {
    (common.condition, common.capture, common.expect_error, action)
}

impl Compiler<'_> {
    fn at<T>(&self, located: &Located<T>) -> Location {
        Location { file: self.source.to_owned(), line: located.line, column: located.column }
    }

    fn error(&mut self, location: Location, message: impl Into<String>) {
        let message = match &self.check {
            Some(check) => format!("check `{check}`: {}", message.into()),
            None => message.into(),
        };
        self.errors.push(SuiteError { location, message });
    }

    fn suite(&mut self, document: SuiteDoc) -> Suite {
        if document.format.value != FORMAT {
            let location = self.at(&document.format);
            self.error(
                location,
                format!(
                    "suite format {} is not one this puppet-lint reads (it reads format {FORMAT})",
                    document.format.value
                ),
            );
        }
        if !is_slug(&document.suite.value) {
            let location = self.at(&document.suite);
            self.error(
                location,
                format!("suite id `{}` should be lower-case words joined by `-`", document.suite.value),
            );
        }
        let default_timeout = match &document.defaults.timeout {
            Some(timeout) => match parse_duration(&timeout.value) {
                Ok(duration) => duration,
                Err(message) => {
                    let location = self.at(timeout);
                    self.error(location, format!("defaults.timeout: {message}"));
                    Duration::from_secs(60)
                }
            },
            None => Duration::from_secs(60),
        };
        let levels = self.levels(&document.levels, &document.suite);
        let when = document.when.as_ref().map(|when| {
            if !OPTIONAL_VARIABLES.iter().any(|(name, _)| *name == when.value) {
                let known: Vec<&str> = OPTIONAL_VARIABLES.iter().map(|(name, _)| *name).collect();
                let location = self.at(when);
                self.error(
                    location,
                    format!("`when: {}` names no optional variable ({})", when.value, known.join(", ")),
                );
            }
            when.value.clone()
        });
        let mut seen: HashMap<String, Location> = HashMap::new();
        let mut checks = Vec::new();
        self.given = when.clone();
        for check in document.checks {
            let location = self.at(&check.id);
            if let Some(first) = seen.get(&check.id.value) {
                let message = format!("check id `{}` is already used at {first}", check.id.value);
                self.error(location.clone(), message);
            }
            seen.insert(check.id.value.clone(), location);
            checks.push(self.check(check));
        }
        if checks.is_empty() {
            let location = self.at(&document.suite);
            self.error(location, "the suite has no checks");
        }
        Suite {
            id: document.suite.value,
            version: document.version,
            title: document.title,
            spec: document.spec,
            when: when.clone(),
            source: self.source.to_owned(),
            default_timeout,
            levels,
            checks,
        }
    }

    fn levels(&mut self, levels: &[doc::LevelDoc], suite: &Located<String>) -> Vec<Level> {
        let mut previous = 0;
        for level in levels {
            if level.level <= previous || level.requires.is_empty() {
                let location = self.at(suite);
                self.error(
                    location,
                    format!(
                        "levels: level {} must be numbered above the one before and require `must` and/or `should`",
                        level.level
                    ),
                );
            }
            previous = level.level;
        }
        levels
            .iter()
            .map(|level| Level { level: level.level, name: level.name.clone(), requires: level.requires.clone() })
            .collect()
    }

    fn check(&mut self, check: doc::CheckDoc) -> Check {
        let location = self.at(&check.id);
        self.check = Some(check.id.value.clone());
        self.md5_read.clear();
        if !is_check_id(&check.id.value) {
            self.error(
                location.clone(),
                format!("check id `{}` should be dotted lower-case words, like `message.self-echo`", check.id.value),
            );
        }
        if check.steps.is_empty() {
            self.error(location.clone(), "the check has no steps");
        }
        let mut names: Names = BUILTIN_VARIABLES.iter().map(|(name, _)| ((*name).to_owned(), Known::Builtin)).collect();
        names.extend(OPTIONAL_VARIABLES.iter().map(|(name, _)| ((*name).to_owned(), Known::Optional)));
        if let Some(given) = &self.given {
            names.insert(given.clone(), Known::Builtin);
        }
        let timeout = check.timeout.as_ref().map(|timeout| self.duration(timeout, &names, None));
        let mut steps = self.steps(check.steps, &mut names);
        hash_what_is_read(&mut steps, &self.md5_read);
        self.check = None;
        Check {
            id: check.id.value,
            title: check.title,
            requirement: check.requirement.trim().to_owned(),
            spec: check.spec,
            severity: check.level,
            tags: check.tags,
            destructive: check.destructive,
            timeout,
            steps,
            location,
        }
    }

    fn steps(&mut self, steps: Vec<Located<StepDoc>>, names: &mut Names) -> Vec<Step> {
        steps.into_iter().map(|step| self.step(step, names)).collect()
    }

    fn step(&mut self, step: Located<StepDoc>, names: &mut Names) -> Step {
        let location = self.at(&step);
        let mut cx = StepContext { condition: None };
        let (condition, capture, expect_error, action) = match step.value {
            // rpc.rs
            StepDoc::Start(common) => plain(common, Action::Rpc(RpcAction::Start)),
            StepDoc::Stop(common) => plain(common, Action::Rpc(RpcAction::Stop)),
            StepDoc::Resubscribe(common) => plain(common, Action::Rpc(RpcAction::Resubscribe)),
            StepDoc::Logout(common) => plain(common, Action::Rpc(RpcAction::Logout)),
            StepDoc::AuthorityToken(common) => plain(common, Action::Rpc(RpcAction::AuthorityToken)),
            StepDoc::Ding(ding) => self.ding(ding, names, &mut cx),
            StepDoc::ContactPayload(fetch) => self.contact_payload(fetch, names, &mut cx),
            StepDoc::Version(version) => self.version(version, names, &mut cx),
            StepDoc::ExpectSynced(synced) => self.expect_synced(synced, names, &mut cx),
            // message.rs
            StepDoc::SendText(send) => self.send_text(send, names, &mut cx),
            StepDoc::MessagePayload(fetch) => self.message_payload(fetch, names, &mut cx),
            StepDoc::MessageFile(fetch) => self.message_file(fetch, names, &mut cx),
            StepDoc::WaitMessage(wait) => self.wait_message(wait, names, &mut cx, &location),
            StepDoc::ExpectNoMessage(none) => self.expect_no_message(none, names, &mut cx, &location),
            StepDoc::CheckReceivedMessages(messages) => self.check_received_messages(messages, names, &mut cx),
            StepDoc::CheckMessageContent(content) => self.check_message_content(content, names, &mut cx, &location),
            // files.rs
            StepDoc::SendFile(send) => self.send_file(send, names, &mut cx),
            StepDoc::DownloadFile(fetch) => self.download_file(fetch, names, &mut cx),
            StepDoc::DingDuringTransfer(ding) => self.ding_during_transfer(ding, names, &mut cx, &location),
            StepDoc::ExpectMime(expect) => self.expect_mime(expect, names, &mut cx),
            StepDoc::CheckReceivedFiles(files) => self.check_received_files(files, names, &mut cx),
            // watch.rs
            StepDoc::Wait(wait) => self.wait(wait, names, &mut cx),
            StepDoc::WaitFor(wait) => self.wait_for(wait, names, &mut cx),
            StepDoc::ExpectNone(none) => self.expect_none(none, names, &mut cx, &location),
            StepDoc::ExpectCount(count) => self.expect_count(count, names, &mut cx, &location),
            StepDoc::Assert(assert) => self.assert(assert, names, &mut cx, &location),
            // heartbeat.rs
            StepDoc::MaxGap(gap) => self.max_gap(gap, names, &mut cx),
            // package.rs
            StepDoc::ExpectJson(json) => self.expect_json(json, names, &mut cx, &location),
            StepDoc::ExpectText(text) => self.expect_text(text, names, &mut cx),
            StepDoc::NpmRule(npm) => self.npm_rule(npm, names, &mut cx),
            // discovery.rs
            StepDoc::Discover(common) => plain(common, Action::Discovery(DiscoveryAction::Discover)),
            StepDoc::Registration(registration) => self.registration(registration, names, &mut cx),
            // judge.rs
            StepDoc::JudgeStates(judge) => self.judge_states(judge, names, &mut cx, &location),
            StepDoc::JudgeShapes(judge) => self.judge_shapes(judge, names, &mut cx),
            StepDoc::JudgeFacts(judge) => self.judge_facts(judge, names, &mut cx, &location),
            // account.rs
            StepDoc::CheckAccount(account) => self.check_account(account, names, &mut cx, &location),
            // capability.rs
            StepDoc::Probe(probe) => self.probe(probe, names, &mut cx),
            // here: unrolled by the engine's `steps`
            StepDoc::ForEach(each) => self.for_each(each, names, &mut cx, &location),
        };
        let condition_name = condition.as_ref().map(|condition| condition.value.clone());
        if cx.condition.is_none() {
            // Actions without fields of their own still validate their `if`.
            self.condition(&condition, names);
        }
        let expect_error = expect_error.as_ref().and_then(|expected| self.expect_error(expected));
        let capture = capture.map(|capture| {
            if !is_identifier(&capture.value)
                || names.get(&capture.value).is_some_and(|known| !matches!(known, Known::Capture { .. }))
            {
                let at = self.at(&capture);
                self.error(
                    at,
                    format!(
                        "`capture: {}` must be a new name (letters, digits, `_`), not a built-in variable",
                        capture.value
                    ),
                );
            }
            names.insert(capture.value.clone(), Known::Capture { fields: fields_of(&action) });
            capture.value
        });
        Step { location, condition: condition_name, capture, expect_error, action }
    }

    /// `for_each`: its steps, once per value (not an action of the engine: `steps` unrolls it).
    fn for_each(&mut self, each: ForEachDoc, names: &Names, cx: &mut StepContext, location: &Location) -> Parts {
        cx.condition = self.condition(&each.condition, names);
        if each.values.is_empty() {
            self.error(location.clone(), "for_each has no `values`");
        }
        let values = each.values.iter().map(|value| self.template(value, names, cx)).collect();
        let variable = each.name.value.clone();
        if !is_identifier(&variable)
            || names.get(&variable).is_some_and(|known| !matches!(known, Known::Capture { .. }))
        {
            let at = self.at(&each.name);
            self.error(at, format!("`as: {variable}` must be a new name (letters, digits, `_`)"));
        }
        // Names bound inside the loop stay inside it.
        let mut inner = names.clone();
        inner.insert(variable.clone(), Known::Loop);
        let steps = self.steps(each.steps, &mut inner);
        (each.condition, None, None, Action::ForEach { values, name: variable, steps })
    }

    /// `if: name`: the name must be a variable.
    fn condition(&mut self, condition: &Option<Located<String>>, names: &Names) -> Option<String> {
        let condition = condition.as_ref()?;
        if !names.contains_key(&condition.value) {
            let location = self.at(condition);
            self.error(location, format!("`if: {}` names no variable; {}", condition.value, known_names(names)));
        }
        Some(condition.value.clone())
    }

    fn template(&mut self, located: &Located<String>, names: &Names, cx: &StepContext) -> Template {
        match Template::parse(&located.value) {
            Ok(template) => {
                for reference in template.references() {
                    self.reference(located, reference, names, cx);
                }
                template
            }
            Err(message) => {
                let location = self.at(located);
                self.error(location, message);
                Template::literal(&located.value)
            }
        }
    }

    fn reference(&mut self, located: &Located<String>, reference: &VarRef, names: &Names, cx: &StepContext) {
        let location = self.at(located);
        if reference.field.as_deref() == Some("md5") {
            self.md5_read.insert(reference.name.clone());
        }
        match (names.get(&reference.name), &reference.field) {
            (None, _) => self.error(location, format!("{reference} is not defined here; {}", known_names(names))),
            (Some(Known::Optional), _) if cx.condition.as_deref() != Some(reference.name.as_str()) => self.error(
                location,
                format!("{reference} is set only in some runs: add `if: {}` to this step", reference.name),
            ),
            (Some(Known::Builtin | Known::Optional | Known::Loop), Some(field)) => {
                self.error(location, format!("`${{{}}}` is a plain value and has no field `{field}`", reference.name))
            }
            (Some(Known::Capture { fields: Fields::Mark }), _) => self.error(
                location,
                format!("`{}` marks a moment (use it as `after:`/`before:`) and has no value", reference.name),
            ),
            (Some(Known::Capture { fields: Fields::Only(fields) }), Some(field))
                if !fields.contains(&field.as_str()) =>
            {
                self.error(
                    location,
                    format!("`{}` has no field `{field}` (it has: {})", reference.name, fields.join(", ")),
                )
            }
            (Some(Known::Capture { .. }), None) => {
                self.error(location, format!("{reference} needs a field, like `${{{}.id}}`", reference.name))
            }
            _ => {}
        }
    }

    fn duration(&mut self, located: &Located<String>, names: &Names, condition: Option<&str>) -> DurationExpr {
        match DurationExpr::parse(&located.value) {
            Ok(expression) => {
                let cx = StepContext { condition: condition.map(str::to_owned) };
                for reference in expression.references() {
                    self.reference(located, reference, names, &cx);
                }
                expression
            }
            Err(message) => {
                let location = self.at(located);
                self.error(location, message);
                DurationExpr::fixed(Duration::ZERO)
            }
        }
    }

    /// `after:`/`before:` name a captured moment.
    fn mark(&mut self, mark: &Option<Located<String>>, names: &Names) -> Option<String> {
        let mark = mark.as_ref()?;
        if !matches!(names.get(&mark.value), Some(Known::Capture { .. })) {
            let location = self.at(mark);
            let captured: Vec<&str> = names
                .iter()
                .filter(|(_, known)| matches!(known, Known::Capture { .. }))
                .map(|(name, _)| name.as_str())
                .collect();
            let hint = if captured.is_empty() {
                "no step before this one captures anything".to_owned()
            } else {
                format!("captured so far: {}", sorted(captured).join(", "))
            };
            self.error(location, format!("`{}` is not a captured moment; {hint}", mark.value));
        }
        Some(mark.value.clone())
    }

    fn expect_error(&mut self, expected: &Located<String>) -> Option<ErrorExpectation> {
        if expected.value == "any" {
            return Some(ErrorExpectation::Any);
        }
        match code_from_name(&expected.value) {
            Some(code) if code != tonic::Code::Ok => Some(ErrorExpectation::Code(code)),
            _ => {
                let location = self.at(expected);
                self.error(
                    location,
                    format!(
                        "`expect_error: {}` is not a gRPC status: use `any` or a name like `unauthenticated`",
                        expected.value
                    ),
                );
                None
            }
        }
    }
}

struct StepContext {
    condition: Option<String>,
}

fn known_names(names: &Names) -> String {
    let available: Vec<&str> = names
        .iter()
        .filter(|(_, known)| !matches!(known, Known::Capture { fields: Fields::Mark }))
        .map(|(name, _)| name.as_str())
        .collect();
    format!("available: {}", sorted(available).join(", "))
}

fn sorted(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names
}

fn is_identifier(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text
            .split('-')
            .all(|word| !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

fn is_check_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    parts.len() >= 2 && parts.iter().all(|part| is_slug(part))
}
