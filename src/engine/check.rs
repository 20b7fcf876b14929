//! One check, step by step: actions on the service and expectations over the
//! shared timeline. A check stops at its first failing step; the failure says
//! what was expected, what was observed, and where in the timeline.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::time::Instant;

use super::{Context, RunEvent};
use crate::clock::human;
use crate::proto::wechaty::puppet::MessagePayloadResponse;
use crate::report::model::{Evidence, TimelineEntry};
use crate::session::{Entry, EventRecord, RpcError, Session, What};
use crate::suite::{Action, Check, Comparison, DurationExpr, ErrorExpectation, Scope, Step, Template, Until};
use crate::wire::filebox::{self, FileBox};
use crate::wire::status::code_name;
use crate::wire::{EventKind, MessageKind};

/// Judged against the tolerance below, a provider heartbeating exactly every
/// interval passes despite network jitter…
const GAP_TOLERANCE: f64 = 1.01;
/// …and watching this far past the harness's last activity makes a silent
/// provider's gap exceed it.
const GAP_EXTENSION: f64 = 1.02;
const EXCERPT_LIMIT: usize = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The provider broke the rule.
    Fail,
    /// puppet-lint or the connection failed.
    Error,
    /// The check cannot tell (what it needs is covered by another check).
    Skip,
}

#[derive(Debug)]
pub(super) struct Failure {
    pub kind: Kind,
    pub summary: String,
    pub expected: String,
    pub observed: String,
    /// Where the excerpt should centre (default: when the failure happened).
    pub focus: Option<Duration>,
}

impl Failure {
    fn fail(summary: impl Into<String>, expected: impl Into<String>, observed: impl Into<String>) -> Failure {
        Failure {
            kind: Kind::Fail,
            summary: summary.into(),
            expected: expected.into(),
            observed: observed.into(),
            focus: None,
        }
    }

    fn error(summary: impl Into<String>) -> Failure {
        let summary = summary.into();
        Failure { kind: Kind::Error, expected: String::new(), observed: summary.clone(), summary, focus: None }
    }

    fn at(mut self, focus: Duration) -> Failure {
        self.focus = Some(focus);
        self
    }
}

/// A captured moment. For an action, the moment just before it: everything
/// from `start` on happened after (an echo can land before the rpc returns).
/// For an event, the event itself at `start`: after it means from `start + 1`.
#[derive(Debug, Clone, Copy)]
struct Mark {
    /// The first entry not before the moment.
    start: usize,
    /// The first entry after the moment.
    after: usize,
    at: Duration,
}

impl Mark {
    fn action(timeline: &crate::session::Timeline) -> Mark {
        let start = timeline.len();
        Mark { start, after: start, at: timeline.now() }
    }

    fn event(entry: &Entry) -> Mark {
        Mark { start: entry.seq, after: entry.seq + 1, at: entry.at }
    }
}

pub(super) struct Outcome {
    pub result: Result<Option<String>, (Failure, Evidence)>,
}

pub(super) struct CheckRun {
    context: Arc<Context>,
    check: Arc<Check>,
    scope: Scope,
    marks: HashMap<String, Mark>,
    deadline: Instant,
    started: Duration,
    files_sent: u32,
    /// Something worth saying about a pass (a measurement).
    note: Option<String>,
}

impl CheckRun {
    pub(super) fn new(context: Arc<Context>, check: Arc<Check>, scope: Scope, budget: Duration) -> CheckRun {
        let started = context.timeline.now();
        CheckRun {
            context,
            check,
            scope,
            marks: HashMap::new(),
            deadline: Instant::now() + budget,
            started,
            files_sent: 0,
            note: None,
        }
    }

    pub(super) async fn run(mut self) -> Outcome {
        let check = self.check.clone();
        match self.steps(&check.steps).await {
            Ok(()) => Outcome { result: Ok(self.note) },
            Err((failure, step)) => {
                let step = format!("{} at {}", step.action.name(), step.location);
                let evidence = self.evidence(&failure, step);
                Outcome { result: Err((failure, evidence)) }
            }
        }
    }

    fn evidence(&self, failure: &Failure, step: String) -> Evidence {
        let now = self.context.timeline.now();
        let focus = failure.focus.unwrap_or(now);
        let from = self.started.min(focus).saturating_sub(Duration::from_secs(2));
        let timeline =
            self.context.timeline.excerpt(from, now, focus, EXCERPT_LIMIT).iter().map(TimelineEntry::from).collect();
        let redact = |text: &str| crate::redact::redact(text).into_owned();
        Evidence { step, expected: redact(&failure.expected), observed: redact(&failure.observed), timeline }
    }

    /// Runs steps in order; a failure comes back with the step that failed.
    fn steps<'a, 'c: 'a>(&'a mut self, steps: &'c [Step]) -> BoxFuture<'a, Result<(), (Failure, &'c Step)>> {
        Box::pin(async move {
            for step in steps {
                if let Some(variable) = &step.condition
                    && !self.scope.contains_key(variable)
                {
                    continue;
                }
                if let Action::ForEach { values, name, steps } = &step.action {
                    for value in values {
                        let value = self.render(value).map_err(|failure| (failure, step))?;
                        self.scope.insert(name.clone(), BTreeMap::from([(String::new(), value)]));
                        self.steps(steps).await?;
                    }
                    continue;
                }
                self.step(step).await.map_err(|failure| (failure, step))?;
            }
            Ok(())
        })
    }

    async fn step(&mut self, step: &Step) -> Result<(), Failure> {
        let mark = Mark::action(&self.context.timeline);
        // What the step returns, and (for an awaited event) its own moment.
        let mut moment: Option<Mark> = None;
        let captured: Option<BTreeMap<String, String>> = match &step.action {
            Action::Start => self.rpc(step, self.session()?.start().await)?.map(|()| BTreeMap::new()),
            Action::Stop => self.rpc(step, self.session()?.stop().await)?.map(|()| BTreeMap::new()),
            Action::Logout => self.rpc(step, self.session()?.logout().await)?.map(|()| BTreeMap::new()),
            Action::Ding { data } => {
                let data = self.render(data)?;
                self.rpc(step, self.session()?.ding(&data).await)?.map(|()| fields([("data", data)]))
            }
            Action::SendText { to, text } => {
                let (to, text) = (self.render(to)?, self.render(text)?);
                let id = self.rpc(step, self.session()?.send_text(&to, &text).await)?;
                id.map(|id| fields([("id", id), ("to", to), ("text", text)]))
            }
            Action::SendFile { to, mime, name } => self.send_file(step, to, mime, name.as_ref()).await?,
            Action::MessagePayload { id } => {
                let id = self.render(id)?;
                let payload = self.rpc(step, self.session()?.message_payload(&id).await)?;
                payload.map(|payload| message_fields(&payload))
            }
            Action::MessageFile { id } => {
                let id = self.render(id)?;
                match self.rpc(step, self.session()?.message_file(&id).await)? {
                    Some(json) => Some(file_fields(&json, &id)?),
                    None => None,
                }
            }
            Action::ContactPayload { id } => {
                let id = self.render(id)?;
                let contact = self.rpc(step, self.session()?.contact_payload(&id).await)?;
                contact.map(|contact| fields([("id", contact.id), ("name", contact.name)]))
            }
            Action::Version { token } => {
                let token = token.as_ref().map(|token| self.render(token)).transpose()?;
                if let Some(token) = &token {
                    crate::redact::register(token);
                }
                let version = self.rpc(step, self.session()?.version_with(token.as_deref()).await)?;
                version.map(|version| fields([("version", version)]))
            }
            Action::Discover => Some(self.discover()?),
            Action::Wait { duration } => {
                let duration = self.duration(duration)?;
                tokio::time::sleep_until(self.cap(duration)).await;
                None
            }
            Action::WaitFor { events, matching, after, within, or_skip } => {
                let (values, at) = self
                    .wait_for(events, matching, after.as_deref(), within.as_ref())
                    .await
                    .map_err(|failure| skip_instead(failure, or_skip.as_deref()))?;
                moment = Some(at);
                Some(values)
            }
            Action::ExpectCount { events, matching, after, until, at_least, at_most } => {
                self.expect_count(events, matching, after.as_deref(), until, (*at_least, *at_most)).await?;
                None
            }
            Action::WaitMessage { id, text, name, after, within, or_skip } => {
                let (values, at) = self
                    .wait_message(id.as_ref(), text.as_ref(), name.as_ref(), after.as_deref(), within.as_ref())
                    .await
                    .map_err(|failure| skip_instead(failure, or_skip.as_deref()))?;
                moment = Some(at);
                Some(values)
            }
            Action::Assert { that, comparison, message } => {
                self.assert(that, comparison, message.as_deref())?;
                None
            }
            Action::ExpectMime { name, mime } => {
                let (name, mime) = (self.render(name)?, self.render(mime)?);
                expect_mime(&name, &mime)?;
                None
            }
            Action::CheckReceivedFiles { duration } => {
                let duration = self.duration(duration)?;
                self.check_received_files(duration).await?;
                None
            }
            Action::MaxGap { interval, window } => {
                let (interval, window) = (self.duration(interval)?, self.duration(window)?);
                self.max_gap(interval, window).await?;
                None
            }
            Action::ForEach { .. } => None,
            Action::ExpectJson { file, present, absent, message } => {
                self.expect_json(file, present, absent, message.as_deref())?;
                None
            }
            Action::ExpectText { file, matches, not_matches } => {
                self.expect_text(file, matches, not_matches)?;
                None
            }
            Action::Registration { within } => Some(self.registration(within.as_ref()).await?),
        };
        if let Some(name) = &step.capture {
            // An action's moment is just before it; an event's, the event.
            self.marks.insert(name.clone(), moment.unwrap_or(mark));
            self.scope.insert(name.clone(), captured.unwrap_or_default());
        }
        Ok(())
    }

    fn session(&self) -> Result<Arc<Session>, Failure> {
        self.context.session.clone().ok_or_else(|| {
            Failure::error(format!(
                "no session with the service: {}",
                self.context.unavailable.as_deref().unwrap_or("not connected")
            ))
        })
    }

    fn progress(&self, note: String, watch: Option<(Duration, Duration)>) {
        self.context.observer.event(RunEvent::CheckProgress { id: self.check.id.clone(), note, watch });
    }

    fn render(&self, template: &Template) -> Result<String, Failure> {
        template.render(&self.scope).map_err(|message| {
            if template.references().any(|reference| reference.name == "bot") && !self.scope.contains_key("bot") {
                Failure::error("the bot is not logged in, so `${bot}` has no value")
            } else {
                Failure::fail(format!("cannot evaluate {message}"), "the values the step refers to", message)
            }
        })
    }

    fn duration(&self, expression: &DurationExpr) -> Result<Duration, Failure> {
        expression.eval(&self.scope).map_err(Failure::error)
    }

    /// `now + duration`, but never past the check's budget.
    fn cap(&self, duration: Duration) -> Instant {
        (Instant::now() + duration).min(self.deadline)
    }

    fn within(&self, within: Option<&DurationExpr>) -> Result<(Instant, Duration), Failure> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let wanted = within.map(|within| self.duration(within)).transpose()?.unwrap_or(remaining);
        Ok((self.cap(wanted), wanted.min(remaining)))
    }

    fn mark(&self, name: Option<&str>) -> Option<Mark> {
        name.and_then(|name| self.marks.get(name).copied())
    }

    /// What an rpc's result means for the step, given `expect_error`.
    fn rpc<T>(&self, step: &Step, result: Result<T, RpcError>) -> Result<Option<T>, Failure> {
        match (result, step.expect_error) {
            (Err(error), _) if error.is_transport() => Err(Failure::error(format!("the connection failed: {error}"))),
            (Ok(value), None) => Ok(Some(value)),
            (Err(error), None) => {
                let rpc = match &error {
                    RpcError::Status { rpc, .. } | RpcError::Timeout { rpc, .. } => *rpc,
                };
                Err(Failure::fail(error.to_string(), format!("{rpc} succeeds"), error.shown()))
            }
            (Ok(_), Some(expected)) => Err(Failure::fail(
                format!("{} succeeded, but it should have failed{}", step.action.name(), describe_expected(expected)),
                format!("{} fails{}", step.action.name(), describe_expected(expected)),
                "it succeeded",
            )),
            (Err(error), Some(ErrorExpectation::Any)) => {
                let _ = error;
                Ok(None)
            }
            (Err(error), Some(ErrorExpectation::Code(code))) if error.code() == Some(code) => Ok(None),
            (Err(error), Some(expected)) => Err(Failure::fail(
                format!("{error}, not{}", describe_expected(expected).trim_start_matches(" with")),
                format!("{} fails{}", step.action.name(), describe_expected(expected)),
                error.shown(),
            )),
        }
    }

    async fn send_file(
        &mut self,
        step: &Step,
        to: &Template,
        mime: &Template,
        name: Option<&Template>,
    ) -> Result<Option<BTreeMap<String, String>>, Failure> {
        let (to, mime) = (self.render(to)?, self.render(mime)?);
        self.files_sent += 1;
        let name = match name {
            Some(name) => self.render(name)?,
            None => {
                let extension = filebox::preferred_extension(&mime)
                    .ok_or_else(|| Failure::error(format!("puppet-lint knows no extension for `{mime}`")))?;
                format!("puppet-lint-{}-{}.{extension}", self.nonce(), self.files_sent)
            }
        };
        let stem = std::path::Path::new(&name).file_stem().and_then(|stem| stem.to_str()).unwrap_or(&name).to_owned();
        let bytes = sample_bytes(&mime, &self.nonce());
        let json = FileBox::from_bytes(&name, &bytes).to_json();
        let id = self.rpc(step, self.session()?.send_file(&to, &json).await)?;
        Ok(id.map(|id| fields([("id", id), ("to", to), ("name", name), ("stem", stem), ("mime", mime)])))
    }

    fn nonce(&self) -> String {
        self.scope.get("nonce").and_then(|fields| fields.get("")).cloned().unwrap_or_default()
    }

    fn discover(&self) -> Result<BTreeMap<String, String>, Failure> {
        match &self.context.discovery {
            None => Err(Failure::error("the target was not found by discovery (it was given as an endpoint)")),
            Some(Err(error)) => Err(Failure::fail(
                error.to_string(),
                "the token resolves to a non-empty host and a non-zero port",
                error.to_string(),
            )),
            Some(Ok(answer)) => Ok(fields([
                ("host", answer.endpoint.host.clone()),
                ("port", answer.endpoint.port.to_string()),
                ("legacy_ip", answer.has_legacy_ip.to_string()),
                ("extra_keys", answer.extra_keys.join(",")),
                ("authority", self.context.authority.clone().unwrap_or_default()),
                ("body", answer.body.clone()),
            ])),
        }
    }

    async fn wait_for(
        &self,
        events: &[EventKind],
        matching: &[(String, Template)],
        after: Option<&str>,
        within: Option<&DurationExpr>,
    ) -> Result<(BTreeMap<String, String>, Mark), Failure> {
        let wanted = self.render_matching(matching)?;
        let after = self.mark(after);
        let from = after.map_or(0, |mark| mark.after);
        let (deadline, waited) = self.within(within)?;
        let timeline = &self.context.timeline;
        let found = timeline
            .wait_for(from, deadline, |entry| {
                event_of(entry).is_some_and(|event| events.contains(&event.kind) && fits(event, &wanted))
            })
            .await;
        if let Some(entry) = found {
            timeline.mark_consumed(entry.at);
            let Some(event) = event_of(&entry) else { unreachable!("matched an event") };
            let mut captured = payload_fields(event);
            captured.insert("type".into(), event.kind.name());
            return Ok((captured, Mark::event(&entry)));
        }
        let what = describe_kinds(events, &wanted);
        let since = after.map_or_else(|| "the start".to_owned(), |mark| format!("+{}", seconds(mark.at)));
        let expected = format!("{what} after {since}, within {}", human(waited));
        let entries = timeline.since(from);
        if let Some(ended) = stream_end(&entries) {
            return Err(Failure::error(format!("the event stream ended while waiting for {what}: {ended}")));
        }
        let same_kind: Vec<&EventRecord> =
            entries.iter().filter_map(event_of).filter(|event| events.contains(&event.kind)).collect();
        let observed = if !same_kind.is_empty() && !wanted.is_empty() {
            let seen: Vec<String> = same_kind.iter().take(3).map(|event| shown(&event.raw, 120)).collect();
            format!("{} such event(s) arrived, none matching: {}", same_kind.len(), seen.join("; "))
        } else {
            format!("none arrived; events seen since {since}: {}", count_kinds(&entries))
        };
        Err(Failure::fail(format!("no {what} within {}", human(waited)), expected, observed)
            .at(after.map_or(self.started, |mark| mark.at)))
    }

    /// Counts matching events in a range; `for` watches ahead and fails as
    /// soon as there are too many.
    async fn expect_count(
        &self,
        events: &[EventKind],
        matching: &[(String, Template)],
        after: Option<&str>,
        until: &Until,
        (at_least, at_most): (u32, Option<u32>),
    ) -> Result<(), Failure> {
        let wanted = self.render_matching(matching)?;
        let after_mark = self.mark(after);
        let from = after_mark.map_or(0, |mark| mark.after);
        let timeline = &self.context.timeline;
        let matches =
            |entry: &Entry| event_of(entry).is_some_and(|event| events.contains(&event.kind) && fits(event, &wanted));
        let what = describe_kinds(events, &wanted);
        let since = after_mark.map_or_else(String::new, |mark| format!(" after +{}", seconds(mark.at)));
        let limit = at_most.map_or(usize::MAX, |most| most as usize);
        let range = match until {
            Until::Now => format!("{since} so far"),
            Until::Mark(name) => {
                let end_at = self.mark(Some(name)).map_or_else(String::new, |mark| format!(" (+{})", seconds(mark.at)));
                format!("{since} before `{name}`{end_at}")
            }
            Until::For(duration) => format!(" within {}{since}", human(self.duration(duration)?)),
        };
        if let Until::For(duration) = until {
            let duration = self.duration(duration)?;
            let deadline = self.cap(duration);
            self.progress(format!("watching {} for {what}", human(duration)), None);
            // Stop watching as soon as one too many has arrived.
            let mut seen = 0usize;
            timeline
                .wait_for(from, deadline, |entry| {
                    matches(entry) && {
                        seen += 1;
                        seen > limit
                    }
                })
                .await;
        }
        let end = match until {
            Until::Mark(name) => self.mark(Some(name.as_str())).map_or(usize::MAX, |mark| mark.start),
            _ => usize::MAX,
        };
        let found: Vec<Entry> = timeline
            .since(from)
            .into_iter()
            .take_while(|entry| entry.seq < end)
            .filter(|entry| matches(entry))
            .collect();
        let expected = match (at_least, at_most) {
            (0, Some(0)) => format!("no {what}{range}"),
            (least, Some(most)) if least == most => format!("exactly {least} {what}{range}"),
            (0, Some(most)) => format!("at most {most} {what}{range}"),
            (least, None) => format!("at least {least} {what}{range}"),
            (least, Some(most)) => format!("{least} to {most} {what}{range}"),
        };
        let listed: Vec<String> = found
            .iter()
            .take(4)
            .map(|entry| {
                let payload = event_of(entry).map_or_else(String::new, |event| shown(&event.raw, 100));
                format!("+{} {payload}", seconds(entry.at))
            })
            .collect();
        if found.len() > limit {
            let extra = &found[limit];
            let summary = if limit == 0 {
                format!("{what} at +{}{range}", seconds(extra.at))
            } else {
                format!("{} {what}s{range}, more than {limit}", found.len())
            };
            return Err(Failure::fail(summary, expected, listed.join("; ")).at(extra.at));
        }
        if found.len() < at_least as usize {
            let observed = if found.is_empty() { "none".to_owned() } else { listed.join("; ") };
            return Err(Failure::fail(format!("only {} {what}{range}", found.len()), expected, observed));
        }
        Ok(())
    }

    async fn wait_message(
        &self,
        id: Option<&Template>,
        text: Option<&Template>,
        name: Option<&Template>,
        after: Option<&str>,
        within: Option<&DurationExpr>,
    ) -> Result<(BTreeMap<String, String>, Mark), Failure> {
        let render = |template: Option<&Template>| template.map(|template| self.render(template)).transpose();
        let (id, text, name) =
            (render(id)?.unwrap_or_default(), render(text)?.unwrap_or_default(), render(name)?.unwrap_or_default());
        let after = self.mark(after);
        let (deadline, waited) = self.within(within)?;
        let session = self.session()?;
        let timeline = &self.context.timeline;
        let mut next = after.map_or(0, |mark| mark.after);
        let mut seen: Vec<String> = Vec::new();
        let wanted = if !id.is_empty() {
            format!("a `message` event with id \"{id}\"")
        } else if !text.is_empty() {
            format!("a `message` whose text contains \"{text}\"")
        } else {
            format!("a `message` whose file name contains \"{name}\"")
        };
        loop {
            let entries = timeline.since(next);
            for entry in &entries {
                next = entry.seq + 1;
                let Some(event) = event_of(entry).filter(|event| event.kind == EventKind::Message) else {
                    continue;
                };
                let Some(message_id) = event.field("messageId") else {
                    continue;
                };
                let payload = if !id.is_empty() {
                    if message_id != id {
                        continue;
                    }
                    match session.message_payload(message_id).await {
                        Ok(payload) => payload,
                        Err(error) => {
                            return Err(Failure::fail(
                                format!("the echo arrived, but {error}"),
                                format!("MessagePayload answers for message \"{id}\""),
                                error.shown(),
                            )
                            .at(entry.at));
                        }
                    }
                } else {
                    let Ok(payload) = session.message_payload(message_id).await else {
                        continue;
                    };
                    let matched = (!text.is_empty() && payload.text.contains(&text))
                        || (!name.is_empty()
                            && self.file_name_of(&session, &payload).await.is_some_and(|file| file.contains(&name)));
                    if !matched {
                        seen.push(format!(
                            "{} from {} \"{}\"",
                            payload.id,
                            payload.talker_id,
                            shown(&payload.text, 40)
                        ));
                        continue;
                    }
                    payload
                };
                timeline.mark_consumed(entry.at);
                return Ok((message_fields(&payload), Mark::event(entry)));
            }
            if Instant::now() >= deadline {
                break;
            }
            timeline.changed_after(next, deadline).await;
        }
        let entries = timeline.since(after.map_or(0, |mark| mark.after));
        if let Some(ended) = stream_end(&entries) {
            return Err(Failure::error(format!("the event stream ended while waiting for {wanted}: {ended}")));
        }
        let observed = if seen.is_empty() {
            format!("no `message` event came back; events seen: {}", count_kinds(&entries))
        } else {
            format!(
                "{} other message(s) arrived: {}",
                seen.len(),
                seen.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
            )
        };
        Err(Failure::fail(
            format!("{wanted} did not come back within {}", human(waited)),
            format!("{wanted}, within {}", human(waited)),
            observed,
        )
        .at(after.map_or(self.started, |mark| mark.at)))
    }

    /// A message's file name: the payload's, else its file box's (the official
    /// mock leaves `filename` empty).
    async fn file_name_of(&self, session: &Session, payload: &MessagePayloadResponse) -> Option<String> {
        if !payload.filename.is_empty() {
            return Some(payload.filename.clone());
        }
        if MessageKind::from_wire(payload.r#type) == MessageKind::Text {
            return None;
        }
        let json = session.message_file(&payload.id).await.ok()?;
        FileBox::parse(&json).ok().map(|file_box| file_box.name)
    }

    fn assert(&self, that: &Template, comparison: &Comparison, message: Option<&str>) -> Result<(), Failure> {
        let actual = self.render(that)?;
        let (holds, relation, expected) = match comparison {
            Comparison::Equals(expected) => {
                let expected = self.render(expected)?;
                (actual == expected, "equals", expected)
            }
            Comparison::Contains(expected) => {
                let expected = self.render(expected)?;
                (actual.contains(&expected), "contains", expected)
            }
        };
        if holds {
            return Ok(());
        }
        let summary = message.map_or_else(|| format!("{that:?} is \"{actual}\""), str::to_owned);
        let reference = that.references().next().map_or_else(|| "the value".to_owned(), ToString::to_string);
        Err(Failure::fail(
            summary,
            format!("{reference} {relation} \"{expected}\""),
            format!("{reference} is \"{actual}\""),
        ))
    }

    async fn check_received_files(&self, duration: Duration) -> Result<(), Failure> {
        let session = self.session()?;
        let timeline = &self.context.timeline;
        let deadline = self.cap(duration);
        let mut next = 0;
        let mut checked = 0;
        let mut problems: Vec<(Duration, String)> = Vec::new();
        loop {
            for entry in timeline.since(next) {
                next = entry.seq + 1;
                let Some(message_id) = event_of(&entry)
                    .filter(|event| event.kind == EventKind::Message)
                    .and_then(|event| event.field("messageId"))
                else {
                    continue;
                };
                let Ok(payload) = session.message_payload(message_id).await else {
                    continue;
                };
                let kind = MessageKind::from_wire(payload.r#type);
                // The official mock sends some files as type 0: look at those too.
                if !(kind.carries_file() || kind == MessageKind::Unknown) {
                    continue;
                }
                let Ok(json) = session.message_file(message_id).await else {
                    continue;
                };
                checked += 1;
                let name = match FileBox::parse(&json) {
                    Ok(file_box) => file_box.name,
                    Err(error) => {
                        problems.push((entry.at, format!("{} message {message_id}: {error}", kind.name())));
                        continue;
                    }
                };
                if let Some(problem) = received_name_problem(kind, &name) {
                    problems.push((
                        entry.at,
                        format!("{} message {message_id} from {}: {problem}", kind.name(), payload.talker_id),
                    ));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            self.progress(
                format!("checking received file names, {} left", human(deadline - now)),
                Some((duration.saturating_sub(deadline - now), duration)),
            );
            timeline.changed_after(next, deadline.min(now + Duration::from_secs(1))).await;
        }
        if let Some((at, _)) = problems.first() {
            let listed: Vec<String> = problems.iter().take(5).map(|(_, problem)| problem.clone()).collect();
            return Err(Failure::fail(
                format!("{} received file(s) named without the extension of their type", problems.len()),
                "every file received is named with an extension that maps to a MIME type fitting its message type",
                listed.join("; "),
            )
            .at(*at));
        }
        let _ = checked;
        Ok(())
    }

    /// The heartbeat rule. The window closes only when the provider has been
    /// watched long enough to tell "alive when idle" from "quiet once nobody
    /// pokes it": past the window, a full interval past the harness's last
    /// activity, and then either a heartbeat after the provider's last other
    /// event (it keeps itself alive), or a full interval past that event
    /// (a silent provider's gap shows), or at most one interval more.
    async fn max_gap(&mut self, interval: Duration, window: Duration) -> Result<(), Failure> {
        let timeline = self.context.timeline.clone();
        let start = timeline.now();
        let allowed = interval.mul_f64(GAP_TOLERANCE);
        let extension = interval.mul_f64(GAP_EXTENSION);
        let cap = start + window + extension;
        loop {
            let now = timeline.now();
            let entries = timeline.snapshot();
            let activity = timeline.last_activity().unwrap_or(start).max(start);
            let last_event = counted_events(&entries, start).last().unwrap_or(start);
            // A silence already longer than allowed fails at once.
            if now.saturating_sub(last_event) > allowed {
                return Err(self.gap_failure(interval, start, now, last_event, now, activity));
            }
            let (other, heartbeat) = last_other_and_heartbeat(&entries, start);
            let base_end = (start + window).max(activity + extension);
            let settled = heartbeat.is_some_and(|heartbeat| heartbeat > other.unwrap_or(start))
                || now >= other.unwrap_or(start) + extension
                || now >= cap.max(base_end);
            if now >= base_end && settled {
                break;
            }
            if Instant::now() >= self.deadline {
                return Err(Failure::error("the check's budget ran out before its window did; raise its timeout"));
            }
            let shown_end = base_end.max(now);
            self.progress(
                format!("watching {} / {}", human(now - start), human(shown_end - start)),
                Some((now - start, shown_end - start)),
            );
            let step = base_end.saturating_sub(now).clamp(Duration::from_millis(20), Duration::from_millis(250));
            tokio::time::sleep_until(Instant::now() + step).await;
        }
        let entries = timeline.snapshot();
        let end = timeline.now();
        let mut previous = start;
        let mut largest = (Duration::ZERO, start);
        for at in counted_events(&entries, start).chain(std::iter::once(end)) {
            if at.saturating_sub(previous) > largest.0 {
                largest = (at - previous, previous);
            }
            previous = at;
        }
        if largest.0 > allowed {
            let activity = timeline.last_activity().unwrap_or(start);
            return Err(self.gap_failure(interval, start, end, largest.1, largest.1 + largest.0, activity));
        }
        self.note = Some(format!("largest gap {} over {}", human(largest.0), human(end - start)));
        Ok(())
    }

    fn gap_failure(
        &self,
        interval: Duration,
        start: Duration,
        end: Duration,
        from: Duration,
        to: Duration,
        activity: Duration,
    ) -> Failure {
        Failure::fail(
            format!("no event for {} (more than {})", seconds(to - from), seconds(interval)),
            format!(
                "at least one event every {} (watched +{} to +{}; puppet-lint's last activity was at +{})",
                human(interval),
                seconds(start),
                seconds(end),
                seconds(activity)
            ),
            format!("silence from +{} to +{}", seconds(from), seconds(to)),
        )
        .at(from)
    }

    /// A file of the package under check, and its text.
    fn package_file(&self, file: &Template) -> Result<(String, String), Failure> {
        let directory = self
            .scope
            .get("package")
            .and_then(|fields| fields.get(""))
            .ok_or_else(|| Failure::error("no package directory: give one with --package DIR"))?;
        let name = self.render(file)?;
        let path = std::path::Path::new(directory).join(&name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((name, text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(Failure::fail(
                format!("{name} is missing"),
                format!("{name} in the package ({directory})"),
                format!("there is no {}", path.display()),
            )),
            Err(error) => Err(Failure::error(format!("cannot read {}: {error}", path.display()))),
        }
    }

    fn expect_json(
        &self,
        file: &Template,
        present: &[Template],
        absent: &[Template],
        message: Option<&str>,
    ) -> Result<(), Failure> {
        let (name, text) = self.package_file(file)?;
        let value: Value = serde_json::from_str(&text).map_err(|error| {
            let reason = error.to_string();
            let reason = reason.split(" at line ").next().unwrap_or(&reason);
            let problem = format!("{name}:{}:{}: not valid JSON: {reason}", error.line(), error.column());
            Failure::fail(problem.clone(), format!("{name} is valid JSON"), problem)
        })?;
        let mut problems = Vec::new();
        for pointer in present {
            let pointer = self.render(pointer)?;
            if value.pointer(&pointer).is_none() {
                problems.push(format!("`{pointer}` is missing"));
            }
        }
        for pointer in absent {
            let pointer = self.render(pointer)?;
            if value.pointer(&pointer).is_some() {
                problems.push(format!("`{pointer}` is set, and must not be"));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let render_all = |list: &[Template]| -> Vec<String> {
            list.iter().filter_map(|pointer| self.render(pointer).ok()).collect()
        };
        let expected =
            format!("in {name}: {} set; {} not set", render_all(present).join(", "), render_all(absent).join(", "));
        let summary = match message {
            Some(message) => format!("{message}: {}", problems.join("; ")),
            None => format!("{name}: {}", problems.join("; ")),
        };
        Err(Failure::fail(summary, expected, problems.join("; ")))
    }

    fn expect_text(
        &self,
        file: &Template,
        matches: &[crate::suite::Pattern],
        not_matches: &[crate::suite::Pattern],
    ) -> Result<(), Failure> {
        let (name, text) = self.package_file(file)?;
        let line_of = |offset: usize| text[..offset].lines().count().max(1);
        let mut problems = Vec::new();
        for pattern in matches {
            if !pattern.regex.is_match(&text) {
                problems.push(format!("it never {}", pattern.meaning));
            }
        }
        for pattern in not_matches {
            if let Some(found) = pattern.regex.find(&text) {
                problems.push(format!("{name}:{}: it {}", line_of(found.start()), pattern.meaning));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let wanted: Vec<&str> = matches.iter().map(|pattern| pattern.meaning.as_str()).collect();
        Err(Failure::fail(
            format!("{name}: {}", problems.join("; ")),
            format!(
                "{name} {}; and never: {}",
                wanted.join(", "),
                not_matches.iter().map(|pattern| pattern.meaning.as_str()).collect::<Vec<_>>().join(", ")
            ),
            problems.join("; "),
        ))
    }

    /// The provider registered with puppet-lint's registry, and the port it
    /// names for `getHostieGrpcPort` answers gRPC for its token.
    async fn registration(&self, within: Option<&DurationExpr>) -> Result<BTreeMap<String, String>, Failure> {
        let registry =
            self.context.registry.clone().ok_or_else(|| Failure::error("no registry: run with --registry"))?;
        let target = self.context.target.clone().ok_or_else(|| Failure::error("no target token to register"))?;
        let token = target.token.clone().unwrap_or_default();
        let (deadline, waited) = self.within(within)?;
        self.progress(format!("waiting for the provider to register at {}", registry.websocket_url()), None);
        let Some(registration) = registry.wait_registered(&token, deadline).await else {
            return Err(Failure::fail(
                format!("the provider did not register its token within {}", human(waited)),
                format!("a WebSocket to {} with `Authorization: Token <token>`", registry.websocket_url()),
                format!("registered tokens: {}", registry.registered_masked().join(", ")),
            ));
        };
        let port = registry.ask_grpc_port(&token).await.map_err(|problem| {
            Failure::fail(
                format!("the provider did not answer getHostieGrpcPort: {problem}"),
                "a JSON-RPC answer `{\"result\": <port>}` within 5s",
                problem,
            )
        })?;
        let ip = registration.address();
        let probed = crate::registry::probe_grpc(&target, &ip, port, &registry.options().allow).await;
        let captured =
            fields([("port", port.to_string()), ("ip", ip.to_string()), ("answered", probed.is_ok().to_string())]);
        match probed {
            Ok(()) => Ok(captured),
            Err(crate::registry::ProbeError::NotAllowed(why)) => Err(Failure::error(why)),
            Err(crate::registry::ProbeError::NoAnswer(why)) => Err(Failure::fail(
                format!("getHostieGrpcPort answered {port}, but the gRPC service does not answer there: {why}"),
                format!("the Puppet Service answers `Version` at {ip}:{port}, the port the provider named"),
                why,
            )),
        }
    }

    fn render_matching(&self, matching: &[(String, Template)]) -> Result<Vec<(String, String)>, Failure> {
        matching.iter().map(|(field, value)| Ok((field.clone(), self.render(value)?))).collect()
    }
}

/// A failed wait becomes a skip when the suite says another check covers it.
fn skip_instead(failure: Failure, or_skip: Option<&str>) -> Failure {
    match (failure.kind, or_skip) {
        (Kind::Fail, Some(reason)) => {
            Failure { kind: Kind::Skip, summary: format!("{reason} ({})", failure.summary), ..failure }
        }
        _ => failure,
    }
}

fn describe_expected(expected: ErrorExpectation) -> String {
    match expected {
        ErrorExpectation::Any => String::new(),
        ErrorExpectation::Code(code) => format!(" with {}", code_name(code)),
    }
}

fn fields<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(name, value)| (name.to_owned(), value)).collect()
}

fn message_fields(payload: &MessagePayloadResponse) -> BTreeMap<String, String> {
    fields([
        ("id", payload.id.clone()),
        ("talker", payload.talker_id.clone()),
        ("listener", payload.listener_id.clone()),
        ("room", payload.room_id.clone()),
        ("text", payload.text.clone()),
        ("filename", payload.filename.clone()),
        ("type", MessageKind::from_wire(payload.r#type).name()),
    ])
}

fn file_fields(json: &str, id: &str) -> Result<BTreeMap<String, String>, Failure> {
    let file_box = FileBox::parse(json).map_err(|error| {
        Failure::fail(
            format!("MessageFile answered a file box puppet-lint cannot read: {error}"),
            format!("MessageFile(\"{id}\") answers a FileBox as JSON"),
            shown(json, 200),
        )
    })?;
    let (extension, mime) = filebox::mime_of_name(&file_box.name);
    Ok(fields([
        ("name", file_box.name),
        ("mime", mime.unwrap_or_default()),
        ("extension", extension.unwrap_or_default()),
    ]))
}

/// The name must map to `mime`, and `mime` must count its extension as its own.
fn expect_mime(name: &str, mime: &str) -> Result<(), Failure> {
    let (extension, derived) = filebox::mime_of_name(name);
    let issue = match (&extension, &derived) {
        (None, _) => "it has no extension, so a receiver sees application/unknown".to_owned(),
        (Some(extension), None) => {
            format!(".{extension} maps to no MIME type, so a receiver sees application/unknown")
        }
        (Some(extension), Some(derived))
            if !derived.eq_ignore_ascii_case(mime) || !filebox::extension_fits(mime, extension) =>
        {
            format!(".{extension} maps to {derived}, not {mime}")
        }
        _ => return Ok(()),
    };
    let conventional = filebox::preferred_extension(mime).unwrap_or_default();
    Err(Failure::fail(
        format!("a file sent as {mime} came back named \"{name}\": {issue}"),
        format!("a name whose extension maps to {mime} and back (like .{conventional})"),
        format!("\"{name}\": {issue}"),
    ))
}

/// What is wrong with a received file's name, if anything.
fn received_name_problem(kind: MessageKind, name: &str) -> Option<String> {
    let (extension, mime) = filebox::mime_of_name(name);
    match (extension, mime) {
        (None, _) => Some(format!("\"{name}\" has no extension")),
        (Some(extension), None) => Some(format!("\"{name}\": .{extension} maps to no MIME type")),
        (Some(_), Some(mime)) => match kind.expected_top_level_mime() {
            Some(top) if !mime.starts_with(&format!("{top}/")) => {
                Some(format!("\"{name}\" maps to {mime}, not {top}/*"))
            }
            _ => None,
        },
    }
}

/// Small, recognisable content of a type, so a strict receiver accepts it.
fn sample_bytes(mime: &str, nonce: &str) -> Vec<u8> {
    let mut bytes: Vec<u8> = match mime {
        "application/pdf" => b"%PDF-1.4\n".to_vec(),
        "image/png" => b"\x89PNG\r\n\x1a\n".to_vec(),
        "image/jpeg" => b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".to_vec(),
        "image/gif" => b"GIF89a".to_vec(),
        "video/mp4" => b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec(),
        _ => Vec::new(),
    };
    bytes.extend_from_slice(format!("puppet-lint test file {nonce}\n").as_bytes());
    bytes
}

fn event_of(entry: &Entry) -> Option<&EventRecord> {
    match &entry.what {
        What::Event(event) => Some(event),
        _ => None,
    }
}

fn fits(event: &EventRecord, wanted: &[(String, String)]) -> bool {
    wanted.iter().all(|(field, value)| payload_value(event, field).as_deref() == Some(value.as_str()))
}

fn payload_value(event: &EventRecord, field: &str) -> Option<String> {
    match event.payload.as_ref()?.get(field)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn payload_fields(event: &EventRecord) -> BTreeMap<String, String> {
    let Some(Value::Object(object)) = &event.payload else {
        return BTreeMap::new();
    };
    object.keys().filter_map(|key| Some((key.clone(), payload_value(event, key)?))).collect()
}

fn describe_kinds(events: &[EventKind], wanted: &[(String, String)]) -> String {
    let names: Vec<String> = events.iter().map(|kind| format!("`{kind}`")).collect();
    let mut text = format!("{} event", names.join(" or "));
    if !wanted.is_empty() {
        let conditions: Vec<String> = wanted.iter().map(|(field, value)| format!("{field} = \"{value}\"")).collect();
        text.push_str(&format!(" with {}", conditions.join(" and ")));
    }
    text
}

/// `heartbeat ×3, message ×2`, in order of first appearance.
fn count_kinds(entries: &[Entry]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for event in entries.iter().filter_map(event_of) {
        let name = event.kind.name();
        match counts.iter_mut().find(|(known, _)| *known == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name, 1)),
        }
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts.iter().map(|(name, count)| format!("{name} ×{count}")).collect::<Vec<_>>().join(", ")
}

/// An unexpected end of the event stream, if one happened (and no new
/// subscription followed it).
pub(super) fn stream_end(entries: &[Entry]) -> Option<String> {
    let last_end = entries.iter().rposition(|entry| matches!(entry.what, What::StreamEnded { .. }))?;
    if entries[last_end..].iter().any(|entry| matches!(entry.what, What::Subscribed { .. })) {
        return None;
    }
    match &entries[last_end].what {
        What::StreamEnded { error: Some(error), .. } => Some(error.clone()),
        What::StreamEnded { error: None, .. } => Some("the server closed it".into()),
        _ => None,
    }
}

/// Events that show the puppet is alive: all but each stream's connect heartbeat.
fn counted_events(entries: &[Entry], start: Duration) -> impl Iterator<Item = Duration> + '_ {
    entries.iter().filter(move |entry| entry.at >= start).filter_map(|entry| match &entry.what {
        What::Event(event) if !event.connect_heartbeat => Some(entry.at),
        _ => None,
    })
}

/// When the provider last said something other than a heartbeat, and when it
/// last sent a heartbeat of its own (not a stream-connect one).
fn last_other_and_heartbeat(entries: &[Entry], start: Duration) -> (Option<Duration>, Option<Duration>) {
    let (mut other, mut heartbeat) = (None, None);
    for entry in entries.iter().filter(|entry| entry.at >= start) {
        if let What::Event(event) = &entry.what {
            match event.kind {
                EventKind::Heartbeat if !event.connect_heartbeat => heartbeat = Some(entry.at),
                EventKind::Heartbeat => {}
                _ => other = Some(entry.at),
            }
        }
    }
    (other, heartbeat)
}

/// A peer's text as evidence shows it: tokens masked, then cut.
fn shown(text: &str, limit: usize) -> String {
    crate::report::model::truncate(&crate::redact::redact(text), limit)
}

fn seconds(at: Duration) -> String {
    format!("{:.3}s", at.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_rule_accepts_the_conventional_names_and_refuses_the_rest() {
        assert!(expect_mime("report.pdf", "application/pdf").is_ok());
        assert!(expect_mime("PHOTO.JPEG", "image/jpeg").is_ok());
        assert!(expect_mime("photo.jpg", "image/jpeg").is_ok());
        let stripped = expect_mime("report", "application/pdf").unwrap_err();
        assert_eq!(
            stripped.summary,
            "a file sent as application/pdf came back named \"report\": it has no extension, so a receiver sees application/unknown"
        );
        let wrong = expect_mime("report.png", "application/pdf").unwrap_err();
        assert_eq!(wrong.observed, "\"report.png\": .png maps to image/png, not application/pdf");
        assert!(expect_mime("voice.silk", "audio/silk").is_err());
    }

    #[test]
    fn received_names_must_fit_their_message_type() {
        assert_eq!(received_name_problem(MessageKind::Image, "a.jpg"), None);
        assert_eq!(received_name_problem(MessageKind::Attachment, "a.pdf"), None);
        assert!(received_name_problem(MessageKind::Image, "a.pdf").unwrap().contains("not image/*"));
        assert!(received_name_problem(MessageKind::Image, "photo").unwrap().contains("no extension"));
        assert!(received_name_problem(MessageKind::Audio, "voice.silk").unwrap().contains("no MIME type"));
    }
}
