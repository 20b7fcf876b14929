//! One run, start to finish: set up the session, run the plan, and put
//! everything into a [`Report`] — also when setup fails, the run is
//! interrupted, or its deadline passes.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use crate::engine::{self, Context, Observer, Planned, RunEvent};
use crate::report::model::{
    CheckReport, LevelReport, Report, SCHEMA, SCHEMA_VERSION, ServiceReport, SettingsReport, SuiteReport, Summary,
    TargetReport, TimelineEntry, Verdict,
};
use crate::session::{Session, Timeline};
use crate::setup::{self, SetupFailure};
use crate::suite::{Action, Check, Step, Suite};
use crate::target::{Address, Target};

pub struct Input {
    pub target: Target,
    pub setup: setup::Options,
    pub settings: engine::Settings,
    pub suites: Vec<Arc<Suite>>,
    pub plan: Vec<Planned>,
    pub selection: Selection,
}

/// How checks were chosen, for the report.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub tags: Vec<String>,
}

/// Why a run stopped early.
#[derive(Debug, Clone)]
pub struct Stop {
    pub cancel: CancellationToken,
    reason: Arc<std::sync::Mutex<Option<String>>>,
}

impl Default for Stop {
    fn default() -> Self {
        Stop { cancel: CancellationToken::new(), reason: Arc::default() }
    }
}

impl Stop {
    pub fn stop(&self, reason: &str) {
        self.reason.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get_or_insert_with(|| reason.to_owned());
        self.cancel.cancel();
    }

    pub fn reason(&self) -> Option<String> {
        self.reason.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

pub struct Outcome {
    pub report: Report,
    /// Setup failed: the target could not be reached, authenticated or logged in.
    pub setup_failure: Option<String>,
}

pub async fn run(input: Input, observer: Arc<dyn Observer>, stop: Stop) -> Outcome {
    let started_at = SystemTime::now();
    let clock = std::time::Instant::now();
    let mut endpoint_text = None;
    let mut service = None;

    observer.event(RunEvent::Phase(format!("connecting to {}", input.target.describe())));
    let (discovery, established) = tokio::select! {
        result = establish(&input, observer.as_ref()) => result,
        () = stop.cancel.cancelled() => (None, Err(format!("interrupted ({})", stop.reason().unwrap_or_default()))),
    };
    let (session, unavailable) = match established {
        Ok((session, version, endpoint)) => {
            endpoint_text = Some(endpoint);
            service = Some(ServiceReport { version: Some(version), bot: session.bot_id() });
            (Some(session), None)
        }
        Err(failure) => (None, Some(failure)),
    };
    let timeline = session.as_ref().map_or_else(Timeline::new, |session| session.timeline().clone());
    let context = Arc::new(Context {
        session: session.clone(),
        unavailable: unavailable.clone(),
        discovery,
        authority: match &input.target.address {
            Address::Discover(authority) => Some(authority.to_string()),
            Address::Endpoint(_) => None,
        },
        settings: input.settings.clone(),
        nonce: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        invalid_token: invalid_token(input.target.token.as_deref()),
        observer: observer.clone(),
        timeline: timeline.clone(),
    });

    // Without a session only the checks that need none can run.
    let (runnable, cannot): (Vec<_>, Vec<_>) = input
        .plan
        .iter()
        .cloned()
        .enumerate()
        .partition(|(_, planned)| unavailable.is_none() || !needs_session(&planned.check));
    let mut checks: Vec<Option<CheckReport>> = vec![None; input.plan.len()];
    for (index, planned) in cannot {
        // The why is said once, in the report's `setup_error`.
        checks[index] =
            Some(not_run(&planned, Verdict::Error, "not run: no session with the service (see setup)".into()));
    }
    let indexes: Vec<usize> = runnable.iter().map(|(index, _)| *index).collect();
    let reports =
        engine::run(context, runnable.into_iter().map(|(_, planned)| planned).collect(), stop.cancel.clone()).await;
    for (index, report) in indexes.into_iter().zip(reports) {
        checks[index] = Some(report);
    }
    if let Some(session) = &session {
        // Leave the provider's one subscriber slot free.
        session.unsubscribe();
        if let Some(service) = &mut service {
            service.bot = service.bot.take().or_else(|| session.bot_id());
        }
    }
    let checks: Vec<CheckReport> = checks.into_iter().flatten().collect();
    let mut report = frame(&input, started_at);
    report.duration_ms = clock.elapsed().as_millis() as u64;
    report.interrupted_by = stop.reason();
    report.partial = report.interrupted_by.is_some();
    report.target = target_report(&input.target, endpoint_text);
    report.service = service;
    report.setup_error = unavailable.clone();
    report.summary = Summary::of(&checks);
    report.checks = checks;
    report.timeline = timeline.snapshot().iter().map(TimelineEntry::from).collect();
    Outcome { report, setup_failure: unavailable }
}

/// The report of a run before anything happened: what, against what, how.
pub fn frame(input: &Input, started_at: SystemTime) -> Report {
    Report {
        schema: SCHEMA.into(),
        schema_version: SCHEMA_VERSION,
        puppet_lint_version: env!("CARGO_PKG_VERSION").into(),
        started_at: crate::clock::rfc3339(started_at),
        duration_ms: 0,
        partial: false,
        interrupted_by: None,
        target: target_report(&input.target, None),
        settings: SettingsReport {
            heartbeat_window_ms: input.settings.window.as_millis() as u64,
            heartbeat_interval_ms: input.settings.interval().as_millis() as u64,
            timeout_ms: input.settings.timeout.map(|timeout| timeout.as_millis() as u64),
            allow_destructive: input.settings.allow_destructive,
            only: input.selection.only.clone(),
            skip: input.selection.skip.clone(),
            tags: input.selection.tags.clone(),
        },
        service: None,
        setup_error: None,
        suites: input.suites.iter().map(|suite| suite_report(suite)).collect(),
        checks: Vec::new(),
        summary: Summary::default(),
        timeline: Vec::new(),
    }
}

/// Discovery, connection, auth and login; the discovery answer is kept
/// either way, for the discovery checks.
async fn establish(
    input: &Input,
    observer: &dyn Observer,
) -> (
    Option<Result<crate::discovery::Answer, crate::discovery::DiscoveryError>>,
    Result<(Arc<Session>, String, String), String>,
) {
    let explain =
        |failure: SetupFailure| crate::redact::redact(&format!("{failure} ({})", failure.hint())).into_owned();
    let (endpoint, answer) = match setup::endpoint(&input.target, &input.setup).await {
        Ok(found) => found,
        Err(SetupFailure::Discovery(error)) => {
            let text = explain(SetupFailure::Discovery(error.clone()));
            return (Some(Err(error)), Err(text));
        }
        Err(other) => return (None, Err(explain(other))),
    };
    let discovery = answer.clone().map(Ok);
    observer.event(RunEvent::Phase(format!("connecting to {endpoint}")));
    let connected = match setup::connect(&input.target, endpoint.clone(), answer, &input.setup).await {
        Ok(connected) => connected,
        Err(failure) => return (discovery, Err(explain(failure))),
    };
    observer.event(RunEvent::Phase(format!(
        "connected to {} ({}); waiting for the bot to log in",
        endpoint, connected.version
    )));
    match setup::log_in(&connected.session, input.setup.login_timeout, observer).await {
        Ok(bot) => {
            observer.event(RunEvent::Phase(format!("logged in as {bot}")));
            (discovery, Ok((connected.session, connected.version, endpoint.to_string())))
        }
        Err(failure) => {
            // Keep the timeline: it shows what the service did instead.
            let text = explain(failure);
            connected.session.unsubscribe();
            (discovery, Err(text))
        }
    }
}

/// A token no service accepts, shaped like the run's (same server-name prefix).
fn invalid_token(token: Option<&str>) -> String {
    let prefix = token.and_then(|token| token.rfind('_').map(|cut| &token[..=cut])).unwrap_or("puppet_lint_");
    let invalid = format!("{prefix}invalid-{}", uuid::Uuid::new_v4().simple());
    crate::redact::register(&invalid);
    invalid
}

/// Whether a check talks to the service (everything but discovery and
/// comparisons of what it captured).
fn needs_session(check: &Check) -> bool {
    fn any(steps: &[Step]) -> bool {
        steps.iter().any(|step| match &step.action {
            Action::Discover | Action::Assert { .. } | Action::ExpectMime { .. } | Action::Wait { .. } => false,
            Action::ForEach { steps, .. } => any(steps),
            _ => true,
        })
    }
    any(&check.steps)
}

fn not_run(planned: &Planned, verdict: Verdict, reason: String) -> CheckReport {
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
        reason: Some(reason),
        evidence: None,
        started_ms: 0,
        duration_ms: 0,
    }
}

fn target_report(target: &Target, endpoint: Option<String>) -> TargetReport {
    TargetReport {
        description: target.describe(),
        endpoint: endpoint.or_else(|| match &target.address {
            Address::Endpoint(endpoint) => Some(endpoint.to_string()),
            Address::Discover(_) => None,
        }),
        tls: target.tls.is_some(),
        server_name: target.tls.as_ref().map(|tls| tls.server_name.clone()),
        authority: match &target.address {
            Address::Discover(authority) => Some(authority.to_string()),
            Address::Endpoint(_) => None,
        },
    }
}

pub fn suite_report(suite: &Suite) -> SuiteReport {
    SuiteReport {
        id: suite.id.clone(),
        version: suite.version.clone(),
        title: suite.title.clone(),
        spec: suite.spec.clone(),
        source: suite.source.clone(),
        levels: suite
            .levels
            .iter()
            .map(|level| LevelReport { level: level.level, name: level.name.clone(), requires: level.requires.clone() })
            .collect(),
    }
}

/// A run deadline: stops the run when it passes.
pub fn deadline(stop: &Stop, after: Option<Duration>) {
    if let Some(after) = after {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            stop.stop(&format!("the run deadline ({})", crate::suite::format_duration(after)));
        });
    }
}
