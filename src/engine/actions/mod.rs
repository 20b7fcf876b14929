//! The suite's actions, one file per family of its vocabulary
//! (`suites/README.md`): [`rpc`] (start, stop, logout, ding, contact_payload,
//! version, authority_token), [`message`] (send_text, message_payload, message_file,
//! wait_message, check_received_messages; its content judge, check_message_content, in [`content`]), [`files`] (send_file, download_file, ding_during_transfer,
//! expect_mime, check_received_files),
//! [`watch`] (wait, wait_for, expect_count/expect_none, assert), [`heartbeat`]
//! (max_gap), [`package`] (expect_json, expect_text, npm_rule), [`discovery`]
//! (discover, registration), [`judge`] (judge_states, judge_shapes, judge_facts), [`account`] (check_account). This file is the shared core: a check's state, the step
//! loop and dispatcher, and the failure and evidence helpers. A check stops at
//! its first failing step; the failure says what was expected, what was
//! observed, and where in the timeline.

mod account;
mod capability;
mod content;
mod discovery;
mod files;
mod heartbeat;
mod judge;
mod message;
mod package;
mod rpc;
mod watch;

/// Which of a run's received messages a check reads with `MessagePayload` — each costs an rpc, and a flood of
/// messages must not become a flood of rpcs: the first [`ALL`](sample::ALL), then one in
/// [`EVERY`](sample::EVERY), [`MOST`](sample::MOST) in all. One policy for every check that reads them
/// (`check_received_messages`, `check_message_content`, `check_account`, `check_received_files`), so they read the
/// same messages and the session's cache answers the second.
pub(super) mod sample {
    pub const ALL: usize = 300;
    pub const EVERY: usize = 100;
    pub const MOST: usize = 500;

    /// Whether the `nth` message seen (from 1) is read, `read` having been read (or asked for) so far.
    pub fn reads(nth: usize, read: usize) -> bool {
        read < MOST && (nth <= ALL || nth.is_multiple_of(EVERY))
    }

    /// The policy in words: `the first 300, then one in 100, 500 at most`.
    pub fn words() -> String {
        format!("the first {ALL}, then one in {EVERY}, {MOST} at most")
    }
}

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

pub use capability::Decided;

use super::Context;
use crate::events::{Evidence, RunEvent, TimelineEntry};
use crate::session::{Entry, Session, What};
use crate::suite::{Action, Check, DurationExpr, Fields, Scope, Sharing, Step, Template};

pub(super) use watch::stream_end;

/// How many timeline entries a failure's evidence shows at most.
const EXCERPT_LIMIT: usize = 14;

/// A step that fails after this long without any event makes the session probe the service (see
/// [`CheckRun::blame_silence`]): far shorter than a wait, and shorter than an rpc's deadline less a heartbeat that
/// came just before the service froze (one `Version` probe, only for a step that failed, costs little).
const SILENCE: Duration = Duration::from_secs(1);

/// What a step hands back: named values (`${capture.field}`).
type Captured = BTreeMap<String, String>;

/// A step's result: its captured values, and for an awaited event, the
/// event's own moment (an action's moment is just before it).
#[derive(Default)]
struct Stepped {
    captured: Option<Captured>,
    moment: Option<Mark>,
}

impl Stepped {
    fn nothing() -> Stepped {
        Stepped::default()
    }

    fn captured(captured: Option<Captured>) -> Stepped {
        Stepped { captured, moment: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The provider broke the rule.
    Fail,
    /// puppet-lint failed, or could not do what the check needs.
    Error,
    /// The connection under a call failed (no status came from the service): the check cannot judge its rule,
    /// and the run looks whether the service was lost before it says so.
    Connection,
    /// The check cannot tell (what it needs is covered by another check).
    Skip,
    /// A wait that began with (almost) nothing left of the check's budget ended without what it waited for: the
    /// service had no time to answer, which is not failing to — the verdict is a timeout, with the wait's own
    /// words. (A wait the budget shortened but left time to is judged on the time it had: a `--timeout` shorter
    /// than a suite's waits is the user's choice.)
    Budget,
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

    /// The connection failed under `error`'s call.
    fn connection(error: &crate::session::RpcError) -> Failure {
        Failure { kind: Kind::Connection, ..Failure::error(format!("the connection failed: {error}")) }
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
    /// The moment of an action of the check (not of an event it waited for).
    action: bool,
}

impl Mark {
    fn action(timeline: &crate::session::Timeline) -> Mark {
        let start = timeline.len();
        Mark { start, after: start, at: timeline.now(), action: true }
    }

    fn event(entry: &Entry) -> Mark {
        Mark { start: entry.seq, after: entry.seq + 1, at: entry.at, action: false }
    }

    /// [`Mark::event`] of an event seen for its id.
    fn seen(sighting: &crate::session::Sighting) -> Mark {
        Mark { start: sighting.seq, after: sighting.seq + 1, at: sighting.at, action: false }
    }
}

/// An ordinary check's turn on the service: it holds the run's gate (shared) while it exchanges with the service,
/// and lets it go while it only watches, so that a check that needs the service to itself runs inside the window
/// (`engine::run_plan`). It tells the run once that it only watches now (or is over: also when dropped).
pub(super) struct Turn {
    sharing: Arc<super::Sharing>,
    guard: Option<tokio::sync::OwnedRwLockReadGuard<()>>,
    settled: bool,
}

impl Turn {
    pub(super) fn new(sharing: Arc<super::Sharing>) -> Turn {
        Turn { sharing, guard: None, settled: false }
    }

    async fn exchange(&mut self) {
        if self.guard.is_none() {
            self.guard = Some(self.sharing.gate.clone().read_owned().await);
        }
    }

    fn watch(&mut self) {
        self.guard = None;
        self.settle();
    }

    fn settle(&mut self) {
        if !self.settled {
            self.settled = true;
            self.sharing.settling.send_modify(|left| *left = left.saturating_sub(1));
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.settle();
    }
}

/// Where a capability probe leaves its row's outcome for the check's report (shared with `engine::run_steps`, which
/// reads it whatever became of the check: a timeout too).
#[derive(Clone, Default)]
pub(in crate::engine) struct ProbedSlot(Arc<std::sync::Mutex<Option<crate::events::CapabilityReport>>>);

impl ProbedSlot {
    fn put(&self, report: crate::events::CapabilityReport) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(report);
    }

    pub(in crate::engine) fn take(&self) -> Option<crate::events::CapabilityReport> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

/// Less of the check's budget than this (or than a tenth of a budget under a second) left when a wait begins,
/// and the wait is no test of the service: it had no time to answer ([`Kind::Budget`]).
const STARVED: Duration = Duration::from_millis(100);

pub(super) struct Outcome {
    pub result: Result<Option<String>, (Failure, Evidence)>,
}

pub(super) struct CheckRun {
    context: Arc<Context>,
    check: Arc<Check>,
    scope: Scope,
    marks: HashMap<String, Mark>,
    deadline: Instant,
    /// Set when a wait of the current step began with less than [`STARVED`] of the budget left (`cap`).
    starved: std::sync::atomic::AtomicBool,
    /// Less than this left of the budget when a wait begins starves it: [`STARVED`], or a tenth of a short budget.
    starved_below: Duration,
    started: Duration,
    files_sent: u32,
    /// Something worth saying about a pass (a measurement).
    note: Option<String>,
    /// An ordinary check's turn on the service; `None` for a check that has it to itself or runs alone.
    turn: Option<Turn>,
    /// A capability probe's outcome, for the report.
    probed: ProbedSlot,
}

impl CheckRun {
    pub(super) fn new(
        context: Arc<Context>,
        check: Arc<Check>,
        scope: Scope,
        budget: Duration,
        started: Duration,
        turn: Option<Turn>,
    ) -> CheckRun {
        CheckRun {
            context,
            check,
            scope,
            marks: HashMap::new(),
            deadline: Instant::now() + budget,
            starved: std::sync::atomic::AtomicBool::new(false),
            starved_below: STARVED.min(budget / 10),
            started,
            files_sent: 0,
            note: None,
            turn,
            probed: ProbedSlot::default(),
        }
    }

    /// Where a capability probe leaves its outcome.
    pub(super) fn probing(mut self, slot: ProbedSlot) -> CheckRun {
        self.probed = slot;
        self
    }

    pub(super) async fn run(mut self) -> Outcome {
        let check = self.check.clone();
        match self.steps(&check.steps).await {
            Ok(()) => Outcome { result: Ok(self.note) },
            Err((failure, step)) => {
                let evidence = self.evidence(&failure, step);
                Outcome { result: Err((failure, evidence)) }
            }
        }
    }

    /// What shows a failure: the step, expected and observed, and — for a
    /// step that watched the service — the timeline around it (a package
    /// file's finding has nothing to do with the gRPC timeline; a capability
    /// probe's excerpt is in its capability evidence).
    fn evidence(&self, failure: &Failure, step: &Step) -> Evidence {
        let now = self.context.timeline.now();
        let focus = failure.focus.unwrap_or(now);
        let from = self.started.min(focus).saturating_sub(Duration::from_secs(2));
        let on_files = matches!(step.action, Action::Package(_));
        // A probe's own evidence (`capability.evidence`) holds its excerpt, cut to what its outcome needs.
        let probed = matches!(step.action, Action::Capability(_));
        let timeline = if on_files || probed {
            Vec::new()
        } else {
            self.context.timeline.excerpt(from, now, focus, EXCERPT_LIMIT).iter().map(TimelineEntry::from).collect()
        };
        let redact = |text: &str| crate::redact::redact(text).into_owned();
        let step = format!("{} at {}", step.action.name(), step.location);
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
                        self.scope.insert(name.clone(), Fields::value(value));
                        self.steps(steps).await?;
                    }
                    continue;
                }
                self.step(step).await.map_err(|failure| (failure, step))?;
            }
            Ok(())
        })
    }

    /// Runs one step: the family of its action does the work; a `capture`
    /// names the step's moment and what it returned.
    async fn step(&mut self, step: &Step) -> Result<(), Failure> {
        if let Some(turn) = &mut self.turn {
            let watches = match step.action.sharing() {
                Sharing::Watches => Some(true),
                Sharing::WaitsAfter(after) => {
                    Some(!after.and_then(|name| self.marks.get(name)).is_some_and(|mark| mark.action))
                }
                Sharing::Exchanges => Some(false),
                Sharing::Neutral => None,
            };
            match watches {
                Some(true) => turn.watch(),
                Some(false) => turn.exchange().await,
                None => {}
            }
        }
        let mark = Mark::action(&self.context.timeline);
        let (from, began) = (self.context.timeline.len(), self.context.timeline.now());
        self.starved.store(false, std::sync::atomic::Ordering::Relaxed);
        let stepped = self.dispatch(step).await;
        let stepped = match stepped {
            Ok(stepped) => stepped,
            // The budget was spent before the wait began: a timeout (see `Kind::Budget`).
            Err(failure)
                if failure.kind == Kind::Fail
                    && self.starved.load(std::sync::atomic::Ordering::Relaxed)
                    && Instant::now() >= self.deadline =>
            {
                return Err(Box::pin(self.blame_silence(Failure { kind: Kind::Budget, ..failure }, from, began)).await);
            }
            // An untested probe says itself why, within its window: no call after the window to ask whether the
            // service froze (against a slow service, that call held every probe one answer longer). A broken one is
            // asked about: a service that froze is lost, not broken row by row.
            Err(failure) if matches!(step.action, Action::Capability(_)) && failure.kind == Kind::Skip => {
                return Err(failure);
            }
            // Boxed as the steps are (see `dispatch`): it calls the service, rarely.
            Err(failure) => return Err(Box::pin(self.blame_silence(failure, from, began)).await),
        };
        if let Some(name) = &step.capture {
            // An action's moment is just before it; an event's, the event.
            self.marks.insert(name.clone(), stepped.moment.unwrap_or(mark));
            self.scope.insert(name.clone(), stepped.captured.unwrap_or_default().into());
        }
        Ok(())
    }

    /// A step that failed (or gave up) once the service was lost, or while the event stream was silent — no event
    /// at all for [`SILENCE`] or more at its end — may have waited on a service that froze: the session probes it,
    /// and if it no longer answers, the step's failure is the loss (the run names it once), not a rule the service
    /// broke. `from` and `began`:
    /// where the step started on the timeline.
    async fn blame_silence(&self, failure: Failure, from: usize, began: Duration) -> Failure {
        if !matches!(failure.kind, Kind::Fail | Kind::Skip | Kind::Budget) {
            return failure;
        }
        let Ok(session) = self.session() else { return failure };
        let lost = |cause: String| Failure {
            kind: Kind::Connection,
            ..Failure::error(format!("the service was lost while this check waited on it: {cause}"))
        };
        let timeline = &self.context.timeline;
        // Lost while this step ran (a call of it got no answer, nor did the probe after it): that is the reason. A
        // loss before the step is the judges' to weigh (a recording judged after a crash still holds its rules).
        let lost_meanwhile = timeline.others_since(from).iter().any(|entry| matches!(entry.what, What::Lost { .. }));
        if let (true, Some(cause)) = (lost_meanwhile, session.lost()) {
            return lost(cause);
        }
        let mut last_event = began;
        timeline.visit_moments(from, |moment| {
            if moment.kind.is_some() {
                last_event = last_event.max(moment.at);
            }
        });
        let silence = timeline.now().saturating_sub(last_event);
        if silence < SILENCE {
            return failure;
        }
        session.lost_in_silence(silence).await.map_or(failure, lost)
    }

    /// The work of one step, by the family of its action. Each family's work is boxed: a check's future holds only
    /// the step it runs, not room for the largest of them all (a hundred targets' checks wait at once: inline, each
    /// took about 9 KiB, most of it room for steps it never ran).
    async fn dispatch(&mut self, step: &Step) -> Result<Stepped, Failure> {
        Ok(match &step.action {
            Action::Rpc(action) => Box::pin(self.rpc_step(step, action)).await?,
            Action::Message(action) => Box::pin(self.message_step(step, action)).await?,
            Action::Files(action) => Box::pin(self.files_step(step, action)).await?,
            Action::Watch(action) => Box::pin(self.watch_step(action)).await?,
            Action::Heartbeat(action) => Box::pin(self.heartbeat_step(action)).await?,
            Action::Package(action) => self.package_step(action)?,
            Action::Discovery(action) => Box::pin(self.discovery_step(action)).await?,
            Action::Judge(action) => self.judge_step(action)?,
            Action::Account(action) => Box::pin(self.account_step(action)).await?,
            Action::Capability(action) => Box::pin(self.capability_step(action)).await?,
            // Unrolled by `steps`.
            Action::ForEach { .. } => Stepped::nothing(),
        })
    }

    fn session(&self) -> Result<Arc<Session>, Failure> {
        match &self.context.mode {
            super::Mode::Live(live) => live
                .session
                .clone()
                .map_err(|unavailable| Failure::error(format!("no session with the service: {unavailable}"))),
            super::Mode::Rejudge { .. } => Err(Failure::error("no session with the service: re-judging a recording")),
        }
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
        let now = Instant::now();
        if self.deadline.saturating_duration_since(now) < self.starved_below.min(duration) {
            self.starved.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        (now + duration).min(self.deadline)
    }

    fn within(&self, within: Option<&DurationExpr>) -> Result<(Instant, Duration), Failure> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let wanted = within.map(|within| self.duration(within)).transpose()?.unwrap_or(remaining);
        Ok((self.cap(wanted), wanted.min(remaining)))
    }

    fn mark(&self, name: Option<&str>) -> Option<Mark> {
        name.and_then(|name| self.marks.get(name).copied())
    }

    fn nonce(&self) -> String {
        self.scope.get("nonce").and_then(|fields| fields.get("")).cloned().unwrap_or_default()
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

fn fields<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(name, value)| (name.to_owned(), value)).collect()
}

/// A peer's text as evidence shows it: tokens masked, then cut.
fn shown(text: &str, limit: usize) -> String {
    crate::events::truncate(&crate::redact::redact(text), limit)
}

fn seconds(at: Duration) -> String {
    format!("{:.3}s", at.as_secs_f64())
}
