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
    /// `None` for checks that need no service (`puppet-lint package`).
    pub target: Option<Target>,
    /// puppet-lint's own registry (`--registry`): the provider registers
    /// with it before anything else happens.
    pub registry: Option<crate::registry::Registry>,
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

    let established = match &input.target {
        Some(target) => {
            observer.event(RunEvent::Phase(format!("connecting to {}", target.describe())));
            tokio::select! {
                result = establish(&input, target, observer.as_ref()) => result,
                () = stop.cancel.cancelled() => Established::failed(format!("interrupted ({})", stop.reason().unwrap_or_default())),
            }
        }
        None => Established::failed(String::new()),
    };
    let unavailable = match (&input.target, established.outcome) {
        (_, Ok((version, endpoint))) => {
            endpoint_text = Some(endpoint);
            let redact = |text: String| crate::redact::redact(&text).into_owned();
            let bot = established.session.as_ref().and_then(|session| session.bot_id()).map(redact);
            service = Some(ServiceReport { version: Some(redact(version)), bot });
            None
        }
        (Some(_), Err(failure)) => Some(failure),
        (None, Err(_)) => Some("no service was given to check".to_owned()),
    };
    // Only a target that could not be set up is a setup failure.
    let setup_failure = unavailable.clone().filter(|_| input.target.is_some());
    // A session whose bot never logged in still has a timeline worth keeping.
    let timeline = established.session.as_ref().map_or_else(Timeline::new, |session| session.timeline().clone());
    let session = established.session.filter(|_| unavailable.is_none());
    let context = Arc::new(Context {
        session: session.clone(),
        unavailable: unavailable.clone(),
        discovery: established.discovery,
        authority: match input.target.as_ref().map(|target| &target.address) {
            Some(Address::Discover(authority)) => Some(authority.to_string()),
            _ => None,
        },
        target: input.target.clone(),
        registry: input.registry.clone(),
        settings: input.settings.clone(),
        nonce: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        invalid_token: invalid_token(input.target.as_ref().and_then(|target| target.token.as_deref())),
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
            Some(engine::not_run(&planned, Verdict::Error, "not run: no session with the service (see setup)"));
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
            service.bot =
                service.bot.take().or_else(|| session.bot_id().map(|bot| crate::redact::redact(&bot).into_owned()));
        }
    }
    let checks: Vec<CheckReport> = checks.into_iter().flatten().collect();
    let mut report = frame(&input, started_at);
    report.duration_ms = clock.elapsed().as_millis() as u64;
    report.interrupted_by = stop.reason();
    report.partial = report.interrupted_by.is_some();
    report.target = target_report(&input, endpoint_text);
    report.service = service;
    report.setup_error = setup_failure.clone();
    report.summary = Summary::of(&checks);
    report.checks = checks;
    report.timeline = timeline.snapshot().iter().map(TimelineEntry::from).collect();
    Outcome { report, setup_failure }
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
        target: target_report(input, None),
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
        // The suites this run checks (a `when:` suite may not apply).
        suites: input
            .suites
            .iter()
            .filter(|suite| input.plan.iter().any(|planned| planned.suite.id == suite.id))
            .map(|suite| suite_report(suite))
            .collect(),
        checks: Vec::new(),
        summary: Summary::default(),
        timeline: Vec::new(),
    }
}

/// What setting up a session came to.
struct Established {
    /// The run's discovery answer, for the discovery checks.
    discovery: Option<Result<crate::discovery::Answer, crate::discovery::DiscoveryError>>,
    /// The session, even when its bot never logged in (its timeline shows why).
    session: Option<Arc<Session>>,
    /// The service's version and endpoint, or why there is no session.
    outcome: Result<(String, String), String>,
}

impl Established {
    fn failed(why: String) -> Established {
        Established { discovery: None, session: None, outcome: Err(why) }
    }
}

/// Registration (with --registry), discovery, connection, auth and login.
async fn establish(input: &Input, target: &Target, observer: &dyn Observer) -> Established {
    let explain =
        |failure: SetupFailure| crate::redact::redact(&format!("{failure} ({})", failure.hint())).into_owned();
    if let Some(registry) = &input.registry {
        let token = target.token.as_deref().unwrap_or_default();
        observer.event(RunEvent::Phase(format!(
            "waiting for the provider to register token {} at {}",
            crate::redact::mask(token),
            registry.websocket_url()
        )));
        let deadline = tokio::time::Instant::now() + input.setup.login_timeout;
        if registry.wait_registered(token, deadline).await.is_none() {
            return Established::failed(format!(
                "the provider did not register its token at {} within {} (point its server's authority at {})",
                registry.websocket_url(),
                crate::clock::human(input.setup.login_timeout),
                registry.address()
            ));
        }
    }
    let (endpoint, answer) = match setup::endpoint(target, &input.setup).await {
        Ok(found) => found,
        Err(SetupFailure::Discovery(error)) => {
            let text = explain(SetupFailure::Discovery(error.clone()));
            return Established { discovery: Some(Err(error)), ..Established::failed(text) };
        }
        Err(other) => return Established::failed(explain(other)),
    };
    let discovery = answer.clone().map(Ok);
    observer.event(RunEvent::Phase(format!("connecting to {endpoint}")));
    let connected = match setup::connect(target, endpoint.clone(), answer, &input.setup).await {
        Ok(connected) => connected,
        Err(failure) => return Established { discovery, ..Established::failed(explain(failure)) },
    };
    observer.event(RunEvent::Phase(format!(
        "connected to {endpoint} ({}); waiting for the bot to log in",
        connected.version
    )));
    let outcome = match setup::log_in(&connected.session, input.setup.login_timeout, observer).await {
        Ok(bot) => {
            observer.event(RunEvent::Phase(format!("logged in as {bot}")));
            Ok((connected.version, endpoint.to_string()))
        }
        Err(failure) => {
            connected.session.unsubscribe();
            Err(explain(failure))
        }
    };
    Established { discovery, session: Some(connected.session), outcome }
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
            Action::Discover
            | Action::Assert { .. }
            | Action::ExpectMime { .. }
            | Action::Wait { .. }
            | Action::ExpectJson { .. }
            | Action::ExpectText { .. }
            | Action::Registration { .. } => false,
            Action::ForEach { steps, .. } => any(steps),
            _ => true,
        })
    }
    any(&check.steps)
}

fn target_report(input: &Input, endpoint: Option<String>) -> TargetReport {
    let Some(target) = &input.target else {
        let package = input.settings.package.as_ref().map_or_else(String::new, |dir| dir.display().to_string());
        return TargetReport {
            description: format!("npm package {package}"),
            endpoint: None,
            tls: false,
            server_name: None,
            authority: None,
        };
    };
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
        checks: suite.checks.len(),
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
