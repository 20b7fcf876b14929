//! The engine: runs the selected checks against one session. Non-destructive
//! checks run together on the shared timeline (so the heartbeat window
//! overlaps everything else and a run takes about the window, not the sum);
//! those that need the service to themselves run one at a time inside the
//! window, once the others only watch ([`Sharing`]); destructive ones run
//! afterwards, one at a time, only when allowed. It
//! reports what happens as [`RunEvent`]s and never formats output; it never
//! imports `report`.

mod actions;
pub mod field;
pub mod npm;
pub mod rejudge;
pub mod run;

use actions as check;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::config::{Settings, Target};
use crate::events::{CheckReport, Evidence, Observer, RunEvent, Verdict};
use crate::registry::Registry;
use crate::session::{Session, Timeline, What};
use crate::suite::{Check, Fields, OPTIONAL_VARIABLES, Planned, Scope, Severity, Suite, format_duration};
use crate::target::discovery::{Answer, DiscoveryError};

pub use run::{Run, Stop};

/// Extra time a check gets past its budget to wind down (an rpc in flight)
/// before it is declared timed out.
const GRACE: Duration = Duration::from_secs(5);

/// What checks may use during a run.
pub struct Context {
    /// A live run, or a recording judged again.
    pub mode: Mode,
    pub settings: Settings,
    /// Unique to the run; checks' nonces derive from it.
    pub nonce: String,
    pub invalid_token: String,
    pub observer: Arc<dyn Observer>,
    /// The session's timeline (or an empty one when there is no session), or the rebuilt recording.
    pub timeline: Timeline,
    /// When the run began, by the wall clock (the recorded run's, when re-judged): what the times payloads carry
    /// are held against.
    pub started: std::time::SystemTime,
    /// The fact judge, every rule, fed the timeline up to the entry it holds: the `judge_facts` checks read the
    /// recording once between them, not once each.
    pub facts: std::sync::Mutex<Option<(crate::engine::field::facts::Facts, usize)>>,
    /// How ordinary checks share the service with those that need it to themselves.
    pub sharing: Arc<Sharing>,
    /// The capability rows one probe's change decided for other checks (a room made and quit, a member added and
    /// removed, a logout): each row's check reports its own.
    pub decided: actions::Decided,
    /// The run's variables each suite's checks share (see [`Scope`]), by suite id, for the bot they were made for.
    pub scopes: std::sync::Mutex<SharedScopes>,
}

/// The run's variables of each suite (its id), made for a bot (see [`Context::scopes`]).
pub type SharedScopes = Vec<(String, Option<String>, Arc<std::collections::BTreeMap<String, Fields>>)>;

/// How the checks that need the service to themselves ([`Check::exclusive`]: they reopen the event stream, or time
/// a dong during a transfer) run inside the heartbeat window instead of after it: ordinary checks hold `gate`
/// (shared) while they exchange with the service, and each exclusive check holds it alone; it starts once every
/// ordinary check only watches (`settling`: how many have not come to a watching step yet, or finished). A run
/// then costs its window, not the window plus the exclusive checks.
///
/// The capability probes that run beside the conformance checks end with the window that began with the ordinary
/// checks (`began`).
#[derive(Debug)]
pub struct Sharing {
    pub gate: Arc<tokio::sync::RwLock<()>>,
    pub settling: tokio::sync::watch::Sender<usize>,
    /// When the ordinary checks began: the heartbeat window's start, which the probes beside them end with.
    pub began: std::sync::OnceLock<tokio::time::Instant>,
}

impl Default for Sharing {
    fn default() -> Sharing {
        Sharing { gate: Arc::default(), settling: tokio::sync::watch::channel(0).0, began: std::sync::OnceLock::new() }
    }
}

/// What the checks run on.
pub enum Mode {
    /// A run: against a service (a session), or without one (`package DIR` alone, or a target that could not be
    /// reached: the checks that need no session still run).
    Live(Box<Live>),
    /// Re-judging a recording (`rejudge`): each recorded check's span on the timeline (from, to), by id — what a
    /// timing rule judges again. No session, no discovery, no target.
    Rejudge { spans: Arc<HashMap<String, (Duration, Duration)>> },
}

/// What a live run has besides its timeline.
pub struct Live {
    /// The session, or why there is none.
    pub session: Result<Arc<Session>, String>,
    /// The run's discovery answer, when the target was found by token.
    pub discovery: Option<Result<Answer, DiscoveryError>>,
    /// The discovery service asked, when the target was found by token.
    pub authority: Option<String>,
    /// What was checked: the registration check probes the port a provider names with the same token and TLS
    /// settings.
    pub target: Option<Target>,
    /// puppet-lint's own registry, with `--registry`.
    pub registry: Option<Registry>,
}

impl Context {
    /// The live run's parts; `None` when re-judging.
    pub fn live(&self) -> Option<&Live> {
        match &self.mode {
            Mode::Live(live) => Some(live),
            Mode::Rejudge { .. } => None,
        }
    }

    /// The session, if the run has one.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.live().and_then(|live| live.session.as_ref().ok())
    }

    /// The recorded checks' spans, when re-judging.
    pub fn recorded_spans(&self) -> Option<&Arc<HashMap<String, (Duration, Duration)>>> {
        match &self.mode {
            Mode::Rejudge { spans } => Some(spans),
            Mode::Live(_) => None,
        }
    }
}

/// Runs the plan: every check ends in one [`RunEvent::CheckFinished`], also
/// when `cancel` fires first (unfinished checks are marked).
pub(crate) async fn run_plan(context: Arc<Context>, plan: Vec<Planned>, cancel: CancellationToken, lost: Stop) {
    // Checks that judge the whole recording run last, to see all of it.
    let (observers, plan): (Vec<Planned>, Vec<Planned>) =
        plan.into_iter().partition(|planned| planned.check.observes_run() && !planned.check.destructive);
    let (destructive, ordinary): (Vec<&Planned>, Vec<&Planned>) =
        plan.iter().partition(|planned| planned.check.destructive);
    // Checks that reopen the stream or measure latency run alone — inside the window, once the ordinary checks
    // only watch (`Sharing`) — and before the destructive ones (which may leave the bot logged out).
    let (exclusive, ordinary): (Vec<&Planned>, Vec<&Planned>) =
        ordinary.into_iter().partition(|planned| planned.check.exclusive());

    context.observer.event(RunEvent::Phase(format!("running {} check(s)", ordinary.len())));
    context.sharing.began.get_or_init(tokio::time::Instant::now);
    context.sharing.settling.send_replace(ordinary.len());
    let handles: Vec<(&Planned, tokio::task::JoinHandle<()>)> = ordinary
        .into_iter()
        .map(|planned| {
            let (context, task) = (context.clone(), planned.clone());
            let turn = check::Turn::new(context.sharing.clone());
            (planned, tokio::spawn(async move { run_check(&context, &task, Some(turn)).await }))
        })
        .collect();
    if !exclusive.is_empty() {
        let mut settling = context.sharing.settling.subscribe();
        tokio::select! {
            _ = settling.wait_for(|left| *left == 0) => {}
            () = cancel.cancelled() => {}
            () = lost.cancel.cancelled() => {}
        }
        context.observer.event(RunEvent::Phase(format!(
            "running {} check(s) that need the service to themselves, one at a time",
            exclusive.len()
        )));
        for planned in exclusive {
            // A run interrupted, or a service lost, meanwhile: the check is told as not run at once (the ordinary
            // checks holding the gate are stopped below).
            let alone = tokio::select! {
                alone = context.sharing.gate.clone().write_owned() => Some(alone),
                () = cancel.cancelled() => None,
                () = lost.cancel.cancelled() => None,
            };
            run_alone(&context, planned, &cancel, &lost).await;
            drop(alone);
        }
    }
    for (planned, handle) in handles {
        finish(&context, planned, handle, &cancel, &lost).await;
    }

    if !destructive.is_empty() && !cancel.is_cancelled() {
        context.observer.event(RunEvent::Phase(if context.settings.allow_destructive {
            format!("running {} destructive check(s), one at a time", destructive.len())
        } else {
            "skipping destructive checks (no --allow-destructive)".to_owned()
        }));
    }
    for planned in destructive {
        run_alone(&context, planned, &cancel, &lost).await;
    }
    if !observers.is_empty() && context.recorded_spans().is_none() {
        fresh_millisecond(&context).await;
    }
    for planned in &observers {
        run_alone(&context, planned, &cancel, &lost).await;
    }
}

/// Waits until the run's clock is two whole milliseconds past now. A judge of the whole run reads the entries
/// before the millisecond its report records as its start (`CheckRun::judged_until`); begun in the very millisecond
/// a `Start` or `Stop` answered, it would read what that rpc caused (a scan, a stream's end) without the rpc, whose
/// entry is recorded at its reply and rounded away — "a scan while stopped" that never was. Begun on a fresh
/// millisecond, every judge reads all that came before the judges, live and re-judged alike.
async fn fresh_millisecond(context: &Context) {
    let now = context.timeline.now();
    let fresh = Duration::from_millis(u64::try_from(now.as_millis()).unwrap_or(u64::MAX).saturating_add(2));
    tokio::time::sleep(fresh.saturating_sub(now)).await;
}

/// Runs one check with no other started meanwhile (unless it was interrupted or the service lost before).
async fn run_alone(context: &Arc<Context>, planned: &Planned, cancel: &CancellationToken, lost: &Stop) {
    if cancel.is_cancelled() {
        let report = not_run(planned, Verdict::Skip, "the run was interrupted before this check started");
        context.observer.event(RunEvent::CheckFinished(Box::new(report)));
    } else if let Some(cause) = lost.reason().filter(|_| !planned.check.observes_run()) {
        let report = not_run(planned, Verdict::Error, &format!("not run: {cause}"));
        context.observer.event(RunEvent::CheckFinished(Box::new(report)));
    } else {
        let (task_context, task) = (context.clone(), planned.clone());
        let handle = tokio::spawn(async move { run_check(&task_context, &task, None).await });
        // A check that judges the recording goes on after a loss.
        let never = Stop::default();
        let lost = if planned.check.observes_run() { &never } else { lost };
        finish(context, planned, handle, cancel, lost).await;
    }
}

/// Waits for a check, unless the run is cancelled first; a check that
/// finished keeps its verdict (it sent its own event).
async fn finish(
    context: &Context,
    planned: &Planned,
    handle: tokio::task::JoinHandle<()>,
    cancel: &CancellationToken,
    lost: &Stop,
) {
    let abort = handle.abort_handle();
    let report = tokio::select! {
        biased;
        joined = handle => match joined {
            Ok(()) => return,
            Err(error) => not_run(planned, Verdict::Error, &format!("puppet-lint failed inside this check: {error}")),
        },
        () = cancel.cancelled() => {
            abort.abort();
            not_run(planned, Verdict::Error, "the run was interrupted while this check ran")
        }
        () = lost.cancel.cancelled() => {
            abort.abort();
            not_run(planned, Verdict::Error, &lost.reason().unwrap_or_default())
        }
    };
    context.observer.event(RunEvent::CheckFinished(Box::new(report)));
}

/// The report of a check that never (or never fully) ran.
pub fn not_run(planned: &Planned, verdict: Verdict, reason: &str) -> CheckReport {
    report_for(planned, verdict, Some(reason.to_owned()), None, Duration::ZERO, Duration::ZERO)
}

/// Runs a check; `turn` is an ordinary check's turn on the service (see [`Sharing`]).
async fn run_check(context: &Arc<Context>, planned: &Planned, turn: Option<check::Turn>) {
    let check = &planned.check;
    context.observer.event(RunEvent::CheckStarted { id: check.id.clone(), title: check.title.clone() });
    let started = context.timeline.now();
    if check.destructive
        && context.settings.allow_destructive
        && let Some(session) = context.session()
        && session.wait_for_bot(tokio::time::Instant::now() + context.settings.login_timeout).await.is_none()
    {
        let reason = format!(
            "the bot was not logged in within {} of this check's start (an earlier check logged it out or restarted it)",
            crate::clock::human(context.settings.login_timeout)
        );
        let report = report_for(planned, Verdict::Error, Some(reason), None, started, context.timeline.now() - started);
        context.observer.event(RunEvent::CheckFinished(Box::new(report)));
        return;
    }
    let scope = scope_for(context, &planned.suite);
    let report = match skip_reason(context, check, &scope) {
        Some(reason) => report_for(planned, Verdict::Skip, Some(reason), None, started, Duration::ZERO),
        None => run_steps(context, planned, scope, started, turn).await,
    };
    context.observer.event(RunEvent::CheckFinished(Box::new(report)));
}

async fn run_steps(
    context: &Arc<Context>,
    planned: &Planned,
    scope: Scope,
    started: Duration,
    turn: Option<check::Turn>,
) -> CheckReport {
    // A capability probe leaves its row's outcome here; a probe that never got that far is untested, with the
    // check's reason (`report_for`).
    let probed = check::ProbedSlot::default();
    let mut report = run_check_steps(context, planned, scope, started, turn, probed.clone()).await;
    if let Some(capability) = probed.take() {
        report.capability = Some(capability);
    }
    report
}

async fn run_check_steps(
    context: &Arc<Context>,
    planned: &Planned,
    scope: Scope,
    started: Duration,
    turn: Option<check::Turn>,
    probed: check::ProbedSlot,
) -> CheckReport {
    let check = &planned.check;
    let budget = match &check.timeout {
        Some(expression) => match expression.eval(&scope) {
            Ok(budget) => budget,
            Err(message) => {
                let reason = format!("its timeout cannot be evaluated: {message}");
                return report_for(planned, Verdict::Error, Some(reason), None, started, Duration::ZERO);
            }
        },
        None => default_budget(context, &planned.suite),
    };
    let first_entry = context.timeline.len();
    let run = check::CheckRun::new(context.clone(), check.clone(), scope, budget, started, turn).probing(probed);
    let outcome = tokio::time::timeout(budget + GRACE, run.run()).await;
    let took = context.timeline.now().saturating_sub(started);
    // A stream that ended while the check watched it: either the service
    // was lost (the check could not judge its rule: say why), or it was
    // opened again (the check says events in the gap may be missing).
    let gap = match context.session() {
        // A call whose connection failed: the service may be going; its loss, if it comes within moments, is
        // the finding (told once, as the loss), not this check's broken pipe.
        Some(session) if matches!(&outcome, Ok(check::Outcome { result: Err((failure, _)) }) if failure.kind == check::Kind::Connection) => {
            match tokio::time::timeout(LOSS_SETTLES, session.wait_lost()).await {
                Ok(cause) => Gap::Lost(cause),
                Err(_) => stream_gap(session, &context.timeline, first_entry).await,
            }
        }
        Some(session) => stream_gap(session, &context.timeline, first_entry).await,
        None => Gap::None,
    };
    let skipped =
        matches!(&outcome, Ok(check::Outcome { result: Err((failure, _)) }) if failure.kind == check::Kind::Skip);
    if let (Gap::Lost(cause), false) = (&gap, skipped) {
        return report_for(planned, Verdict::Error, Some(cause.clone()), None, started, took);
    }
    let outcome = match (outcome, &gap) {
        (Ok(check::Outcome { result: Ok(note) }), Gap::Reopened) => {
            let note = note.map_or_else(|| REOPENED.to_owned(), |note| format!("{note}; {REOPENED}"));
            Ok(check::Outcome { result: Ok(Some(note)) })
        }
        (Ok(check::Outcome { result: Err((mut failure, evidence)) }), Gap::Reopened) => {
            failure.summary = format!("{} ({REOPENED})", failure.summary);
            Ok(check::Outcome { result: Err((failure, evidence)) })
        }
        (outcome, _) => outcome,
    };
    match outcome {
        Err(_) => report_for(
            planned,
            Verdict::Timeout,
            Some(format!("did not finish within its {} budget", format_duration(budget))),
            None,
            started,
            took,
        ),
        Ok(check::Outcome { result: Ok(note) }) => report_for(planned, Verdict::Pass, note, None, started, took),
        Ok(check::Outcome { result: Err((failure, evidence)) }) => {
            if failure.kind == check::Kind::Budget {
                let reason = format!(
                    "did not finish within its {} budget: it was spent before a wait could begin ({})",
                    format_duration(budget),
                    crate::redact::redact(&failure.summary)
                );
                return report_for(planned, Verdict::Timeout, Some(reason), Some(evidence), started, took);
            }
            let verdict = match (failure.kind, check.severity) {
                (check::Kind::Skip, _) => Verdict::Skip,
                (check::Kind::Budget, _) => Verdict::Timeout,
                (check::Kind::Error | check::Kind::Connection, _) => Verdict::Error,
                (check::Kind::Fail, Severity::Must) => Verdict::Fail,
                (check::Kind::Fail, Severity::Should) => Verdict::Warn,
            };
            let reason = crate::redact::redact(&failure.summary).into_owned();
            report_for(planned, verdict, Some(reason), Some(evidence), started, took)
        }
    }
}

/// How long after a call's connection failed the run waits for the session to declare the service lost (its
/// stream's re-subscriptions back off for about 2 s before it does).
const LOSS_SETTLES: Duration = Duration::from_secs(4);

/// What a check says when the stream was opened again while it watched.
const REOPENED: &str =
    "the event stream ended outside Stop and was opened again while this check watched: events in between are lost";

/// What became of the event stream while a check ran.
enum Gap {
    None,
    /// It ended outside `Stop` and was opened again.
    Reopened,
    /// The service was lost: the cause, one line.
    Lost(String),
}

/// Looks at the stream's ends since `first`; an end not yet resolved (the
/// session is still trying to subscribe again) is waited for, briefly.
async fn stream_gap(session: &Session, timeline: &Timeline, first: usize) -> Gap {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        if let Some(cause) = session.lost() {
            let since = timeline.others_since(first);
            if since.iter().any(|entry| matches!(&entry.what, What::StreamEnded { .. }))
                || check::stream_end(&since).is_some()
            {
                return Gap::Lost(cause);
            }
        }
        let since = timeline.others_since(first);
        let reopened = since.iter().any(|entry| matches!(&entry.what, What::Reopened { .. }));
        match check::stream_end(&since) {
            None if reopened => return Gap::Reopened,
            None => return Gap::None,
            Some(_) if tokio::time::Instant::now() >= deadline => {
                let ended = check::stream_end(&since).unwrap_or_default();
                let reason =
                    format!("the event stream ended while the check ran ({ended}), so it could not judge its rule");
                return Gap::Lost(crate::redact::redact(&reason).into_owned());
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

fn default_budget(context: &Context, suite: &Suite) -> Duration {
    context.settings.timeout.unwrap_or(suite.default_timeout)
}

/// The variables a check starts with.
fn scope_for(context: &Context, suite: &Suite) -> Scope {
    let bot = context.session().and_then(|session| session.bot_id());
    let shared = {
        let mut shared = context.scopes.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Made once per suite and bot (a run that logs in again as another account makes them again).
        shared.retain(|(_, made_for, _)| *made_for == bot);
        match shared.iter().find(|(id, _, _)| *id == suite.id) {
            Some((_, _, variables)) => variables.clone(),
            None => {
                let variables = Arc::new(run_variables(context, suite, bot.clone()));
                shared.push((suite.id.clone(), bot, variables.clone()));
                variables
            }
        }
    };
    let mut scope = Scope::over(shared);
    // Random per check: no check's nonce is a prefix of another's, so a text
    // match on one cannot find another check's message.
    let nonce = format!("{}-{}", context.nonce, &uuid::Uuid::new_v4().simple().to_string()[..10]);
    scope.insert("nonce".to_owned(), Fields::value(nonce));
    scope
}

/// The run's variables a suite's checks share: the bot, the window, the timeout and what the command line gave.
fn run_variables(context: &Context, suite: &Suite, bot: Option<String>) -> std::collections::BTreeMap<String, Fields> {
    let mut scope = std::collections::BTreeMap::new();
    let mut set = |name: &str, value: String| {
        scope.insert(name.to_owned(), Fields::value(value));
    };
    let settings = &context.settings;
    if let Some(bot) = bot {
        set("bot", bot);
    }
    set("window", format_duration(settings.window));
    set("interval", format_duration(settings.interval()));
    set("timeout", format_duration(settings.timeout.unwrap_or(suite.default_timeout)));
    set("invalid_token", context.invalid_token.clone());
    if let Some(peer) = &settings.peer_contact {
        set("peer_contact", peer.clone());
    }
    if let Some(room) = &settings.peer_room {
        set("peer_room", room.clone());
    }
    if let Some(authority) = context.live().and_then(|live| live.discovery.as_ref().and(live.authority.clone())) {
        set("discovery", authority);
    }
    if let Some(package) = &settings.package {
        set("package", package.display().to_string());
    }
    if let Some(registry) = context.live().and_then(|live| live.registry.as_ref()) {
        set("registry", registry.url());
    }
    scope
}

fn skip_reason(context: &Context, check: &Check, scope: &Scope) -> Option<String> {
    if check.destructive && !context.settings.allow_destructive {
        return Some(match check.capability_row() {
            Some(row) => format!(
                "destructive (`{}` changes the account or what other people see): run with --allow-destructive",
                row.text()
            ),
            None => "destructive (it logs the bot out or restarts it): run with --allow-destructive".to_owned(),
        });
    }
    // A check whose every step needs a variable this run lacks has nothing to do.
    let conditions: Vec<&str> = check.steps.iter().map(|step| step.condition.as_deref().unwrap_or("")).collect();
    if let Some(missing) = conditions.first().copied()
        && conditions.iter().all(|condition| !condition.is_empty() && !scope.contains_key(condition))
    {
        let why = OPTIONAL_VARIABLES.iter().find(|(name, _)| *name == missing).map_or("", |(_, why)| why);
        return Some(format!("needs `{missing}` ({why}), which this run does not have"));
    }
    None
}

/// A check's report, from its definition and what became of it.
fn report_for(
    planned: &Planned,
    verdict: Verdict,
    reason: Option<String>,
    evidence: Option<Evidence>,
    started: Duration,
    took: Duration,
) -> CheckReport {
    let check = &planned.check;
    let capability = check.capability_row().map(|row| {
        let why = reason.clone().unwrap_or_else(|| "the probe did not run".to_owned());
        crate::events::CapabilityReport::untested(row, why, check.severity == Severity::Must)
    });
    CheckReport {
        id: check.id.clone(),
        suite: planned.suite.id.clone(),
        title: check.title.clone(),
        requirement: check.requirement.clone(),
        spec: check.spec.clone(),
        level: check.severity,
        tags: check.tags.clone(),
        destructive: check.destructive,
        verdict,
        reason,
        evidence,
        started_ms: started.as_millis() as u64,
        duration_ms: took.as_millis() as u64,
        capability,
    }
}
