//! The engine: runs the selected checks against one session. Non-destructive
//! checks run together on the shared timeline (so the heartbeat window
//! overlaps everything else and a run takes about the window, not the sum);
//! destructive ones run afterwards, one at a time, only when allowed. It
//! reports what happens as [`RunEvent`]s and never formats output.

mod check;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::discovery::{Answer, DiscoveryError};
use crate::report::model::{CheckReport, Verdict};
use crate::session::{Session, Timeline};
use crate::suite::{Check, OPTIONAL_VARIABLES, Scope, Severity, Suite, format_duration};

/// Extra time a check gets past its budget to wind down (an rpc in flight)
/// before it is declared timed out.
const GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Settings {
    /// The heartbeat observation window; the allowed gap scales with it.
    pub window: Duration,
    /// Overrides the suites' default check budget.
    pub timeout: Option<Duration>,
    pub allow_destructive: bool,
    pub peer_contact: Option<String>,
    /// How long a destructive check waits for the bot to be logged in (an
    /// earlier one may have restarted it).
    pub login_timeout: Duration,
    /// A provider's npm package directory (`--package`).
    pub package: Option<std::path::PathBuf>,
}

impl Settings {
    /// The spec's 60 s, scaled with the window for short test runs.
    pub fn interval(&self) -> Duration {
        self.window
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            window: Duration::from_secs(60),
            timeout: None,
            allow_destructive: false,
            peer_contact: None,
            login_timeout: Duration::from_secs(120),
            package: None,
        }
    }
}

/// What happens during a run, for whoever shows progress.
#[derive(Debug, Clone)]
pub enum RunEvent {
    Phase(String),
    CheckStarted {
        id: String,
        title: String,
    },
    /// `watch`: how far into how long a window the check is.
    CheckProgress {
        id: String,
        note: String,
        watch: Option<(Duration, Duration)>,
    },
    CheckFinished(Box<CheckReport>),
}

pub trait Observer: Send + Sync {
    fn event(&self, event: RunEvent);
}

/// Ignores everything (tests, `--quiet`).
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: RunEvent) {}
}

/// What checks may use during a run.
pub struct Context {
    pub session: Option<Arc<Session>>,
    /// Why there is no session, when there is none.
    pub unavailable: Option<String>,
    /// The run's discovery answer, when the target was found by token.
    pub discovery: Option<Result<Answer, DiscoveryError>>,
    pub authority: Option<String>,
    /// What was checked: the registration check probes the port a provider
    /// names with the same token and TLS settings.
    pub target: Option<crate::target::Target>,
    /// puppet-lint's own registry, with `--registry`.
    pub registry: Option<crate::registry::Registry>,
    pub settings: Settings,
    /// Unique to the run; checks' nonces derive from it.
    pub nonce: String,
    pub invalid_token: String,
    pub observer: Arc<dyn Observer>,
    /// The session's timeline (or an empty one when there is no session).
    pub timeline: Timeline,
}

/// A check chosen to run, with its suite.
#[derive(Clone)]
pub struct Planned {
    pub suite: Arc<Suite>,
    pub check: Arc<Check>,
}

/// Runs the plan; the reports come back in plan order, one per check, even
/// when `cancel` fires (unfinished checks are marked).
pub async fn run(context: Arc<Context>, plan: Vec<Planned>, cancel: CancellationToken) -> Vec<CheckReport> {
    let mut reports: Vec<Option<CheckReport>> = vec![None; plan.len()];
    let (destructive, ordinary): (Vec<usize>, Vec<usize>) =
        (0..plan.len()).partition(|index| plan[*index].check.destructive);

    context.observer.event(RunEvent::Phase(format!("running {} check(s)", ordinary.len())));
    let handles: Vec<(usize, tokio::task::JoinHandle<CheckReport>)> = ordinary
        .iter()
        .map(|&index| {
            let (context, planned) = (context.clone(), plan[index].clone());
            (index, tokio::spawn(async move { run_check(&context, &planned).await }))
        })
        .collect();
    for (index, handle) in handles {
        reports[index] = Some(finish(&context, &plan[index], handle, &cancel).await);
    }

    if !destructive.is_empty() && !cancel.is_cancelled() {
        context.observer.event(RunEvent::Phase(if context.settings.allow_destructive {
            format!("running {} destructive check(s), one at a time", destructive.len())
        } else {
            "skipping destructive checks (no --allow-destructive)".to_owned()
        }));
    }
    for index in destructive {
        let report = if cancel.is_cancelled() {
            not_run(&plan[index], Verdict::Skip, "the run was interrupted before this check started")
        } else {
            let (task_context, planned) = (context.clone(), plan[index].clone());
            let handle = tokio::spawn(async move { run_check(&task_context, &planned).await });
            finish(&context, &plan[index], handle, &cancel).await
        };
        reports[index] = Some(report);
    }
    reports
        .into_iter()
        .map(|report| report.unwrap_or_else(|| unreachable!("every planned check is reported")))
        .collect()
}

/// Waits for a check, unless the run is cancelled first.
async fn finish(
    context: &Context,
    planned: &Planned,
    handle: tokio::task::JoinHandle<CheckReport>,
    cancel: &CancellationToken,
) -> CheckReport {
    let abort = handle.abort_handle();
    // A check that already finished keeps its verdict, even once the run is
    // cancelled: look at it first.
    let report = tokio::select! {
        biased;
        joined = handle => match joined {
            Ok(report) => return report,
            Err(error) => not_run(planned, Verdict::Error, &format!("puppet-lint failed inside this check: {error}")),
        },
        () = cancel.cancelled() => {
            abort.abort();
            not_run(planned, Verdict::Error, "the run was interrupted while this check ran")
        }
    };
    context.observer.event(RunEvent::CheckFinished(Box::new(report.clone())));
    report
}

/// The report of a check that never (or never fully) ran.
pub fn not_run(planned: &Planned, verdict: Verdict, reason: &str) -> CheckReport {
    report_for(planned, verdict, Some(reason.to_owned()), None, Duration::ZERO, Duration::ZERO)
}

async fn run_check(context: &Arc<Context>, planned: &Planned) -> CheckReport {
    let check = &planned.check;
    context.observer.event(RunEvent::CheckStarted { id: check.id.clone(), title: check.title.clone() });
    let started = context.timeline.now();
    if check.destructive
        && context.settings.allow_destructive
        && let Some(session) = &context.session
        && session.wait_for_bot(tokio::time::Instant::now() + context.settings.login_timeout).await.is_none()
    {
        let reason = format!(
            "the bot was not logged in within {} of this check's start (an earlier check logged it out or restarted it)",
            crate::clock::human(context.settings.login_timeout)
        );
        let report = report_for(planned, Verdict::Error, Some(reason), None, started, context.timeline.now() - started);
        context.observer.event(RunEvent::CheckFinished(Box::new(report.clone())));
        return report;
    }
    let scope = scope_for(context, &planned.suite);
    let report = match skip_reason(context, check, &scope) {
        Some(reason) => report_for(planned, Verdict::Skip, Some(reason), None, started, Duration::ZERO),
        None => run_steps(context, planned, scope, started).await,
    };
    context.observer.event(RunEvent::CheckFinished(Box::new(report.clone())));
    report
}

async fn run_steps(context: &Arc<Context>, planned: &Planned, scope: Scope, started: Duration) -> CheckReport {
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
    let run = check::CheckRun::new(context.clone(), check.clone(), scope, budget);
    let outcome = tokio::time::timeout(budget + GRACE, run.run()).await;
    let took = context.timeline.now().saturating_sub(started);
    // A stream that dropped while the check watched it leaves the check
    // unable to judge its rule: the connection failed, not the provider.
    if context.session.is_some()
        && let Some(ended) = check::stream_end(&context.timeline.since(first_entry))
        && !matches!(&outcome, Ok(check::Outcome { result: Err((failure, _)) }) if failure.kind == check::Kind::Skip)
    {
        let reason = format!("the event stream ended while the check ran ({ended}), so it could not judge its rule");
        return report_for(
            planned,
            Verdict::Error,
            Some(crate::redact::redact(&reason).into_owned()),
            None,
            started,
            took,
        );
    }
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
            let verdict = match (failure.kind, check.severity) {
                (check::Kind::Skip, _) => Verdict::Skip,
                (check::Kind::Error, _) => Verdict::Error,
                (check::Kind::Fail, Severity::Must) => Verdict::Fail,
                (check::Kind::Fail, Severity::Should) => Verdict::Warn,
            };
            let reason = crate::redact::redact(&failure.summary).into_owned();
            report_for(planned, verdict, Some(reason), Some(evidence), started, took)
        }
    }
}

fn default_budget(context: &Context, suite: &Suite) -> Duration {
    context.settings.timeout.unwrap_or(suite.default_timeout)
}

/// The variables a check starts with.
fn scope_for(context: &Context, suite: &Suite) -> Scope {
    let mut scope = Scope::new();
    let mut set = |name: &str, value: String| {
        scope.insert(name.to_owned(), BTreeMap::from([(String::new(), value)]));
    };
    let settings = &context.settings;
    if let Some(bot) = context.session.as_ref().and_then(|session| session.bot_id()) {
        set("bot", bot);
    }
    // Random per check: no check's nonce is a prefix of another's, so a text
    // match on one cannot find another check's message.
    set("nonce", format!("{}-{}", context.nonce, &uuid::Uuid::new_v4().simple().to_string()[..10]));
    set("window", format_duration(settings.window));
    set("interval", format_duration(settings.interval()));
    set("timeout", format_duration(settings.timeout.unwrap_or(suite.default_timeout)));
    set("invalid_token", context.invalid_token.clone());
    if let Some(peer) = &settings.peer_contact {
        set("peer_contact", peer.clone());
    }
    if let Some(authority) = context.discovery.as_ref().and(context.authority.clone()) {
        set("discovery", authority);
    }
    if let Some(package) = &settings.package {
        set("package", package.display().to_string());
    }
    if let Some(registry) = &context.registry {
        set("registry", registry.url());
    }
    scope
}

fn skip_reason(context: &Context, check: &Check, scope: &Scope) -> Option<String> {
    if check.destructive && !context.settings.allow_destructive {
        return Some("destructive (it logs the bot out or restarts it): run with --allow-destructive".to_owned());
    }
    // A check whose every step needs a variable this run lacks has nothing to do.
    let conditions: Vec<&str> = check.steps.iter().map(|step| step.condition.as_deref().unwrap_or("")).collect();
    if let Some(missing) = conditions.first().copied()
        && conditions.iter().all(|condition| !condition.is_empty() && !scope.contains_key(*condition))
    {
        let why = OPTIONAL_VARIABLES.iter().find(|(name, _)| *name == missing).map_or("", |(_, why)| why);
        return Some(format!("needs `{missing}` ({why}), which this run does not have"));
    }
    None
}

/// A check's report, from its definition and what became of it.
pub fn report_for(
    planned: &Planned,
    verdict: Verdict,
    reason: Option<String>,
    evidence: Option<crate::report::model::Evidence>,
    started: Duration,
    took: Duration,
) -> CheckReport {
    let check = &planned.check;
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
    }
}
