//! From the YAML document to the checks the engine runs. Everything a suite
//! author can get wrong is found here, before anything connects: unknown keys
//! and actions (by the parser), then bad durations, event and status names,
//! MIME types, and variables used before they are captured.

use std::collections::{BTreeMap, HashMap};

use super::doc::{self, Located, OneOrMany, StepDoc, SuiteDoc, ViaDoc};
use super::template::{DurationExpr, Template, VarRef, parse_duration};
use super::*;
use crate::wire::filebox::preferred_extension;
use crate::wire::status::code_from_name;

/// The only format this puppet-lint reads.
const FORMAT: u32 = 1;

pub(super) fn compile(text: &str, source: &str) -> Result<Suite, SuiteErrors> {
    let document: SuiteDoc =
        serde_saphyr::from_str(text).map_err(|error| SuiteErrors(vec![yaml_error(&error, text, source)]))?;
    let mut compiler = Compiler { source, errors: Vec::new(), check: None, given: None };
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

/// The parser's message, without its rendered snippet and location suffix,
/// in puppet-lint's words where the parser's are cryptic.
fn plain_message(error: &serde_saphyr::Error) -> String {
    let text = error.without_snippet().to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    let first = first.split(" at line ").next().unwrap_or(first).trim_end_matches('.');
    if let Some(rest) = first.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest);
        return format!("duplicate key `{key}`");
    }
    match first {
        "expected string scalar" => "expected a string here".to_owned(),
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
        Action::Start | Action::Stop | Action::Logout => Fields::Mark,
        Action::Resubscribe => Fields::Only(&["slot_ms"]),
        Action::Ding { .. } => Fields::Only(&["data"]),
        Action::SendText { .. } => Fields::Only(&["id", "to", "text"]),
        Action::SendFile { .. } => Fields::Only(&["id", "to", "name", "stem", "mime", "md5", "size", "via"]),
        Action::DownloadFile { .. } => Fields::Only(&["name", "box", "md5", "size", "answer_bytes", "download_ms"]),
        Action::DingDuringTransfer { .. } => Fields::Only(&["idle_ms", "loaded_ms"]),
        Action::MessagePayload { .. } | Action::WaitMessage { .. } => Fields::Only(MESSAGE_FIELDS),
        Action::MessageFile { .. } => Fields::Only(&["name", "mime", "extension"]),
        Action::ContactPayload { .. } => Fields::Only(&["id", "name"]),
        Action::Version { .. } | Action::AuthorityToken => Fields::Only(&["version"]),
        Action::Discover => Fields::Only(&["host", "port", "legacy_ip", "extra_keys", "authority"]),
        Action::WaitFor { .. } => Fields::Any,
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
}

type Names = HashMap<String, Known>;

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
        let steps = self.steps(check.steps, &mut names);
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
            StepDoc::Start(common) => (common.condition, common.capture, common.expect_error, Action::Start),
            StepDoc::Stop(common) => (common.condition, common.capture, common.expect_error, Action::Stop),
            StepDoc::Resubscribe(common) => {
                (common.condition, common.capture, common.expect_error, Action::Resubscribe)
            }
            StepDoc::Logout(common) => (common.condition, common.capture, common.expect_error, Action::Logout),
            StepDoc::Discover(common) => (common.condition, common.capture, common.expect_error, Action::Discover),
            StepDoc::AuthorityToken(common) => {
                (common.condition, common.capture, common.expect_error, Action::AuthorityToken)
            }
            StepDoc::Ding(ding) => {
                cx.condition = self.condition(&ding.condition, names);
                let data = self.template(&ding.data, names, &cx);
                (ding.condition, ding.capture, ding.expect_error, Action::Ding { data })
            }
            StepDoc::SendText(send) => {
                cx.condition = self.condition(&send.condition, names);
                let to = self.template(&send.to, names, &cx);
                let text = self.template(&send.text, names, &cx);
                (send.condition, send.capture, send.expect_error, Action::SendText { to, text })
            }
            StepDoc::SendFile(send) => {
                cx.condition = self.condition(&send.condition, names);
                let to = self.template(&send.to, names, &cx);
                let mime = self.mime(&send.mime, names, &cx);
                let name = send.name.as_ref().map(|name| self.template(name, names, &cx));
                let size = send.size.as_ref().and_then(|size| self.size(size));
                let via = match send.via {
                    None | Some(ViaDoc::Inline) => Via::Inline,
                    Some(ViaDoc::Upload) => Via::Upload,
                    Some(ViaDoc::Stream) => Via::Stream,
                };
                (send.condition, send.capture, send.expect_error, Action::SendFile { to, mime, name, size, via })
            }
            StepDoc::DownloadFile(fetch) => {
                cx.condition = self.condition(&fetch.condition, names);
                let id = self.template(&fetch.id, names, &cx);
                let md5 = fetch.md5.as_ref().map(|md5| self.template(md5, names, &cx));
                let size = fetch.size.as_ref().map(|size| self.template(size, names, &cx));
                let action = Action::DownloadFile { id, md5, size, inline: fetch.inline };
                (fetch.condition, fetch.capture, fetch.expect_error, action)
            }
            StepDoc::DingDuringTransfer(ding) => {
                cx.condition = self.condition(&ding.condition, names);
                let size = self.size(&ding.size).unwrap_or(0);
                let factor = ding.factor.unwrap_or(2.0);
                if !(factor.is_finite() && factor >= 1.0) {
                    self.error(location.clone(), format!("ding_during_transfer: factor {factor} is not a number ≥ 1"));
                }
                (ding.condition, ding.capture, None, Action::DingDuringTransfer { size, factor })
            }
            StepDoc::MessagePayload(fetch) => {
                cx.condition = self.condition(&fetch.condition, names);
                let id = self.template(&fetch.id, names, &cx);
                (fetch.condition, fetch.capture, fetch.expect_error, Action::MessagePayload { id })
            }
            StepDoc::MessageFile(fetch) => {
                cx.condition = self.condition(&fetch.condition, names);
                let id = self.template(&fetch.id, names, &cx);
                (fetch.condition, fetch.capture, fetch.expect_error, Action::MessageFile { id })
            }
            StepDoc::ContactPayload(fetch) => {
                cx.condition = self.condition(&fetch.condition, names);
                let id = self.template(&fetch.id, names, &cx);
                (fetch.condition, fetch.capture, fetch.expect_error, Action::ContactPayload { id })
            }
            StepDoc::Version(version) => {
                cx.condition = self.condition(&version.condition, names);
                let token = version.token.as_ref().map(|token| self.template(token, names, &cx));
                (version.condition, version.capture, version.expect_error, Action::Version { token })
            }
            StepDoc::Wait(wait) => {
                cx.condition = self.condition(&wait.condition, names);
                let duration = self.duration(&wait.duration, names, cx.condition.as_deref());
                (wait.condition, None, None, Action::Wait { duration })
            }
            StepDoc::WaitFor(wait) => {
                cx.condition = self.condition(&wait.condition, names);
                let events = self.events(&wait.event);
                let matching = self.matching(&wait.matching, names, &cx);
                let after = self.mark(&wait.after, names);
                let within = wait.within.as_ref().map(|within| self.duration(within, names, cx.condition.as_deref()));
                let or_skip = wait.or_skip;
                (wait.condition, wait.capture, None, Action::WaitFor { events, matching, after, within, or_skip })
            }
            StepDoc::ExpectNone(none) => {
                cx.condition = self.condition(&none.condition, names);
                let range = Range { after: &none.after, before: &none.before, duration: &none.duration };
                let action = self.count(&none.event, &none.matching, range, (None, Some(0)), names, &cx, &location);
                (none.condition, None, None, action)
            }
            StepDoc::ExpectCount(count) => {
                cx.condition = self.condition(&count.condition, names);
                if count.at_least.is_none() && count.at_most.is_none() {
                    self.error(location.clone(), "expect_count needs `at_least`, `at_most` or both");
                }
                if let (Some(least), Some(most)) = (count.at_least, count.at_most)
                    && least > most
                {
                    self.error(location.clone(), format!("expect_count: at_least ({least}) is above at_most ({most})"));
                }
                let range = Range { after: &count.after, before: &count.before, duration: &count.duration };
                let bounds = (count.at_least, count.at_most);
                let action = self.count(&count.event, &count.matching, range, bounds, names, &cx, &location);
                (count.condition, None, None, action)
            }
            StepDoc::WaitMessage(wait) => {
                cx.condition = self.condition(&wait.condition, names);
                if wait.id.is_none() && wait.text.is_none() && wait.name.is_none() {
                    self.error(location.clone(), "wait_message needs `id`, `text` or `name` to know its message");
                }
                let id = wait.id.as_ref().map(|id| self.template(id, names, &cx));
                let text = wait.text.as_ref().map(|text| self.template(text, names, &cx));
                let name = wait.name.as_ref().map(|name| self.template(name, names, &cx));
                let after = self.mark(&wait.after, names);
                let within = wait.within.as_ref().map(|within| self.duration(within, names, cx.condition.as_deref()));
                let or_skip = wait.or_skip;
                (wait.condition, wait.capture, None, Action::WaitMessage { id, text, name, after, within, or_skip })
            }
            StepDoc::Assert(assert) => {
                cx.condition = self.condition(&assert.condition, names);
                let that = self.template(&assert.that, names, &cx);
                let comparison = match (&assert.equals, &assert.contains, &assert.at_most) {
                    (Some(equals), None, None) => Comparison::Equals(self.template(equals, names, &cx)),
                    (None, Some(contains), None) => Comparison::Contains(self.template(contains, names, &cx)),
                    (None, None, Some(at_most)) => Comparison::AtMost(self.template(at_most, names, &cx)),
                    _ => {
                        self.error(location.clone(), "assert needs exactly one of `equals`, `contains` or `at_most`");
                        Comparison::Equals(Template::literal(""))
                    }
                };
                (assert.condition, None, None, Action::Assert { that, comparison, message: assert.message })
            }
            StepDoc::ExpectMime(expect) => {
                cx.condition = self.condition(&expect.condition, names);
                let name = self.template(&expect.name, names, &cx);
                let mime = self.mime(&expect.mime, names, &cx);
                (expect.condition, None, None, Action::ExpectMime { name, mime })
            }
            StepDoc::CheckReceivedFiles(files) => {
                cx.condition = self.condition(&files.condition, names);
                let duration = self.duration(&files.duration, names, cx.condition.as_deref());
                (files.condition, None, None, Action::CheckReceivedFiles { duration })
            }
            StepDoc::CheckReceivedMessages(messages) => {
                cx.condition = self.condition(&messages.condition, names);
                let duration = self.duration(&messages.duration, names, cx.condition.as_deref());
                (messages.condition, None, None, Action::CheckReceivedMessages { duration })
            }
            StepDoc::MaxGap(gap) => {
                cx.condition = self.condition(&gap.condition, names);
                let interval = self.duration(&gap.interval, names, cx.condition.as_deref());
                let window = self.duration(&gap.window, names, cx.condition.as_deref());
                (gap.condition, None, None, Action::MaxGap { interval, window })
            }
            StepDoc::ForEach(each) => {
                cx.condition = self.condition(&each.condition, names);
                if each.values.is_empty() {
                    self.error(location.clone(), "for_each has no `values`");
                }
                let values = each.values.iter().map(|value| self.template(value, names, &cx)).collect();
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
            StepDoc::ExpectJson(json) => {
                cx.condition = self.condition(&json.condition, names);
                let file = self.template(&json.file, names, &cx);
                let pointers = |compiler: &mut Self, list: &[Located<String>]| -> Vec<Template> {
                    list.iter()
                        .map(|pointer| {
                            if !pointer.value.starts_with('/') {
                                let at = compiler.at(pointer);
                                compiler.error(
                                    at,
                                    format!("`{}` is not a JSON pointer: it starts with `/`", pointer.value),
                                );
                            }
                            compiler.template(pointer, names, &cx)
                        })
                        .collect()
                };
                let present = pointers(self, &json.present);
                let absent = pointers(self, &json.absent);
                if present.is_empty() && absent.is_empty() {
                    self.error(location.clone(), "expect_json needs `present` or `absent` pointers");
                }
                (json.condition, None, None, Action::ExpectJson { file, present, absent, message: json.message })
            }
            StepDoc::ExpectText(text) => {
                cx.condition = self.condition(&text.condition, names);
                let file = self.template(&text.file, names, &cx);
                let matches = text.matches.iter().filter_map(|pattern| self.pattern(pattern)).collect();
                let not_matches = text.not_matches.iter().filter_map(|pattern| self.pattern(pattern)).collect();
                (text.condition, None, None, Action::ExpectText { file, matches, not_matches })
            }
            StepDoc::NpmRule(npm) => {
                cx.condition = self.condition(&npm.condition, names);
                let rule = match npm.rule.value.as_str() {
                    "runtime-dependencies" => Some(NpmRule::RuntimeDependencies),
                    "peer-dependencies" => Some(NpmRule::PeerDependencies),
                    "ding-dong-example" => Some(NpmRule::DingDongExample),
                    other => {
                        let location = self.at(&npm.rule);
                        self.error(
                            location,
                            format!(
                                "unknown npm rule `{other}`: write runtime-dependencies, peer-dependencies or ding-dong-example"
                            ),
                        );
                        None
                    }
                };
                let file = npm.file.as_ref().map(|file| self.template(file, names, &cx));
                if file.is_some() && rule != Some(NpmRule::DingDongExample) {
                    let location = self.at(&npm.rule);
                    self.error(location, "`file` is for the ding-dong-example rule only");
                }
                (
                    npm.condition,
                    None,
                    None,
                    Action::NpmRule { rule: rule.unwrap_or(NpmRule::RuntimeDependencies), file },
                )
            }
            StepDoc::JudgeStates(judge) => {
                cx.condition = self.condition(&judge.condition, names);
                let mut rules = Vec::new();
                for rule in &judge.rules {
                    match StateRule::from_id(&rule.value) {
                        Some(known) => rules.push(known),
                        None => {
                            let location = self.at(rule);
                            self.error(
                                location,
                                format!("unknown state rule `{}`: the rules are {}", rule.value, StateRule::ids()),
                            );
                        }
                    }
                }
                if judge.rules.is_empty() {
                    self.error(location.clone(), "judge_states needs at least one rule");
                }
                (judge.condition, None, None, Action::JudgeStates { rules })
            }
            StepDoc::JudgeShapes(judge) => {
                cx.condition = self.condition(&judge.condition, names);
                let level = match judge.level.value.as_str() {
                    "must" => Severity::Must,
                    "should" => Severity::Should,
                    other => {
                        let location = self.at(&judge.level);
                        self.error(location, format!("level `{other}`: write must or should"));
                        Severity::Must
                    }
                };
                (judge.condition, None, None, Action::JudgeShapes { level })
            }
            StepDoc::Registration(registration) => {
                cx.condition = self.condition(&registration.condition, names);
                let within =
                    registration.within.as_ref().map(|within| self.duration(within, names, cx.condition.as_deref()));
                (registration.condition, registration.capture, None, Action::Registration { within })
            }
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

    fn events(&mut self, located: &Located<OneOrMany>) -> Vec<EventKind> {
        let names = match &located.value {
            OneOrMany::One(name) => vec![name.clone()],
            OneOrMany::Many(names) => names.clone(),
        };
        if names.is_empty() {
            let location = self.at(located);
            self.error(location, "`event` lists no event type");
        }
        names
            .iter()
            .filter_map(|name| {
                let kind = EventKind::from_name(name);
                if kind.is_none() {
                    let location = self.at(located);
                    let known: Vec<&str> = EventKind::known_names().collect();
                    self.error(
                        location,
                        format!("unknown event type `{name}`; known: {}, or type-N", known.join(", ")),
                    );
                }
                kind
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn count(
        &mut self,
        event: &Located<OneOrMany>,
        matching: &BTreeMap<String, Located<String>>,
        range: Range<'_>,
        (at_least, at_most): (Option<u32>, Option<u32>),
        names: &Names,
        cx: &StepContext,
        location: &Location,
    ) -> Action {
        let events = self.events(event);
        let matching = self.matching(matching, names, cx);
        let after = self.mark(range.after, names);
        let until = match (range.before, range.duration) {
            (Some(_), Some(_)) => {
                self.error(location.clone(), "a count takes `before` or `for`, not both");
                Until::Now
            }
            (Some(_), None) => Until::Mark(self.mark(range.before, names).unwrap_or_default()),
            (None, Some(duration)) => Until::For(self.duration(duration, names, cx.condition.as_deref())),
            (None, None) => Until::Now,
        };
        Action::ExpectCount { events, matching, after, until, at_least: at_least.unwrap_or(0), at_most }
    }

    fn matching(
        &mut self,
        matching: &BTreeMap<String, Located<String>>,
        names: &Names,
        cx: &StepContext,
    ) -> Vec<(String, Template)> {
        matching.iter().map(|(field, value)| (field.clone(), self.template(value, names, cx))).collect()
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

    fn mime(&mut self, located: &Located<String>, names: &Names, cx: &StepContext) -> Template {
        let template = self.template(located, names, cx);
        if template.references().next().is_none() {
            let mime = &located.value;
            let well_formed = mime.split_once('/').is_some_and(|(kind, sub)| !kind.is_empty() && !sub.is_empty());
            if !well_formed || preferred_extension(mime).is_none() {
                let location = self.at(located);
                self.error(location, format!("`{mime}` is not a MIME type puppet-lint knows an extension for"));
            }
        }
        template
    }

    /// A byte size: `512`, `40KiB`, `5MiB` (at most 64 MiB).
    fn size(&mut self, located: &Located<String>) -> Option<u64> {
        match parse_size(&located.value) {
            Some(size) if size > 0 && size <= 64 << 20 => Some(size),
            _ => {
                let location = self.at(located);
                self.error(
                    location,
                    format!("`{}` is not a size from 1 byte to 64MiB (write 512, 40KiB or 5MiB)", located.value),
                );
                None
            }
        }
    }

    /// `REGEX # what it means`: the regex must compile.
    fn pattern(&mut self, located: &Located<String>) -> Option<Pattern> {
        let (regex, meaning) = match located.value.split_once(" # ") {
            Some((regex, meaning)) => (regex.trim(), meaning.trim().to_owned()),
            None => (located.value.trim(), format!("/{}/", located.value.trim())),
        };
        match regex::Regex::new(regex) {
            Ok(regex) => Some(Pattern { regex, meaning }),
            Err(error) => {
                let location = self.at(located);
                let first = error.to_string().lines().last().unwrap_or_default().trim().to_owned();
                self.error(location, format!("`{regex}` is not a regular expression: {first}"));
                None
            }
        }
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

/// Where a count looks.
struct Range<'a> {
    after: &'a Option<Located<String>>,
    before: &'a Option<Located<String>>,
    duration: &'a Option<Located<String>>,
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

/// `512`, `40KiB`, `5MiB`: bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_are_bytes_kib_or_mib() {
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("40KiB"), Some(40 * 1024));
        assert_eq!(parse_size("5MiB"), Some(5 << 20));
        assert_eq!(parse_size(" 7 B "), Some(7));
        for bad in ["", "MiB", "5MB", "5 mib", "-1", "1.5MiB", "99999999999999999999MiB"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }
}
