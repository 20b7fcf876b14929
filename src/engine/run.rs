//! One run, start to finish, told as events: [`RunEvent::RunStarted`], the
//! connection walk's steps, one [`RunEvent::CheckFinished`] per planned
//! check (also those that never ran), and [`RunEvent::RunFinished`] — also
//! when setup fails, the run is interrupted, or its deadline passes. Readers
//! build their reports from these events alone.

use std::sync::Arc;
use std::time::SystemTime;

use tokio_util::sync::CancellationToken;

use super::{Context, not_run};
use crate::config::{Address, RunConfig, Target};
use crate::events::{
    LevelReport, Observer, RunEnd, RunEvent, RunInfo, ServiceReport, SettingsReport, SuiteReport, TargetReport, Verdict,
};
use crate::registry::Registry;
use crate::session::timeline::RECORDING;
use crate::session::walk::{self, WalkOptions, Walked};
use crate::session::{Session, Timeline};
use crate::suite::Suite;

/// A validated run and the live pieces it needs.
pub struct Run {
    pub config: RunConfig,
    /// The service to check; `None` for checks that need none (`package`).
    pub target: Option<Target>,
    /// puppet-lint's own registry (`--registry`): the provider registers
    /// with it before anything else happens.
    pub registry: Option<Registry>,
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
    /// Stops the run; the first reason given is the one reported.
    pub fn stop(&self, reason: &str) {
        self.reason.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get_or_insert_with(|| reason.to_owned());
        self.cancel.cancel();
    }

    pub fn reason(&self) -> Option<String> {
        self.reason.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Stops the run when `after` has passed (`--deadline`).
    pub fn after(&self, after: Option<std::time::Duration>) {
        if let Some(after) = after {
            let stop = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                stop.stop(&format!("the run deadline ({})", crate::clock::format_duration(after)));
            });
        }
    }
}

/// Runs everything and tells `observer`; returns when `RunFinished` is sent.
pub async fn run(run: Run, observer: Arc<dyn Observer>, stop: Stop) {
    let clock = std::time::Instant::now();
    let started = SystemTime::now();
    observer.event(RunEvent::RunStarted(Box::new(info(&run, started))));

    let walked = match &run.target {
        Some(target) => {
            observer.event(RunEvent::Phase(format!("connecting to {}", target.describe())));
            tokio::select! {
                walked = establish(&run, target, observer.as_ref()) => walked,
                () = stop.cancel.cancelled() => {
                    Established::failed(format!("interrupted ({})", stop.reason().unwrap_or_default()))
                }
            }
        }
        None => Established::failed(String::new()),
    };
    let (unavailable, service) = match (&run.target, &walked.outcome) {
        (_, Ok(bot)) => {
            let redact = |text: &str| crate::redact::redact(text).into_owned();
            let version = walked.version.as_deref().map(redact);
            (None, Some(ServiceReport { version, bot: Some(redact(bot)) }))
        }
        (Some(_), Err(failure)) => (Some(failure.clone()), None),
        (None, Err(_)) => (Some("no service was given to check".to_owned()), None),
    };
    // A session whose bot never logged in still has a timeline worth keeping.
    let timeline = walked.session.as_ref().map_or_else(Timeline::new, |session| session.timeline().clone());
    let session = walked.session.clone().filter(|_| unavailable.is_none());
    let context = Arc::new(Context {
        mode: super::Mode::Live(Box::new(super::Live {
            session: match (&session, &unavailable) {
                (Some(session), None) => Ok(session.clone()),
                (_, why) => Err(why.clone().unwrap_or_else(|| "not connected".to_owned())),
            },
            discovery: walked.discovery.clone(),
            authority: match run.target.as_ref().map(|target| &target.address) {
                Some(Address::Discover(authority)) => Some(authority.to_string()),
                _ => None,
            },
            target: run.target.clone(),
            registry: run.registry.clone(),
        })),
        settings: run.config.settings.clone(),
        nonce: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        invalid_token: invalid_token(run.target.as_ref().and_then(|target| target.token.as_deref())),
        observer: observer.clone(),
        started,
        facts: std::sync::Mutex::new(None),
        sharing: Arc::default(),
        decided: Default::default(),
        scopes: Default::default(),
        timeline: timeline.clone(),
    });

    // Without a session only the checks that need none can run; the others
    // are reported as not run (the why is said once, as the setup error).
    // Those that judge the session's recording have nothing to judge: an
    // empty recording would pass them all.
    let (runnable, cannot): (Vec<_>, Vec<_>) =
        run.config.plan.iter().cloned().partition(|planned| {
            unavailable.is_none() || !(planned.check.needs_session() || planned.check.observes_run())
        });
    // A bot that never logged in: its scan history says how far the login went.
    let scans =
        walked.scans.as_ref().map_or_else(String::new, |scans| format!("; the bot never logged in, scans: {scans}"));
    for planned in &cannot {
        let reason = if planned.check.observes_run() {
            format!("not run: no session with the service, so no events to judge (see setup){scans}")
        } else {
            format!("not run: no session with the service (see setup){scans}")
        };
        observer.event(RunEvent::CheckFinished(Box::new(not_run(planned, Verdict::Error, &reason))));
    }
    // A service lost mid-run ends every running check with the cause, and
    // no further check starts.
    let lost = Stop::default();
    let watching = session.clone().map(|session| {
        let lost = lost.clone();
        tokio::spawn(async move { lost.stop(&session.wait_lost().await) })
    });
    // A recording that stops being written can no longer give events back:
    // the run stops (partial reports) rather than judge what it cannot read.
    let recording = {
        let (timeline, stop) = (timeline.clone(), stop.clone());
        tokio::spawn(async move {
            timeline.recording_failed().cancelled().await;
            let why = timeline.recording().1.unwrap_or_default();
            stop.stop(&format!("the recording failed ({why}), so events could no longer be read back"));
        })
    };
    super::run_plan(context, runnable, stop.cancel.clone(), lost.clone()).await;
    recording.abort();
    if let Some(watching) = watching {
        watching.abort();
    }

    let mut service = service;
    if let Some(session) = &session {
        // Leave the provider's one subscriber slot free.
        session.unsubscribe();
        if let Some(service) = &mut service {
            service.bot =
                service.bot.take().or_else(|| session.bot_id().map(|bot| crate::redact::redact(&bot).into_owned()));
        }
    }
    let setup_error = unavailable.filter(|_| run.target.is_some());
    let lost_service = lost.reason().or_else(|| session.as_ref().and_then(|session| session.lost()));
    timeline.close();
    let recording = match timeline.recording() {
        (path, None) if run.config.output.report_dir.join(RECORDING) == path && !run.config.output.no_report => {
            Some(RECORDING.to_owned())
        }
        _ => None,
    };
    // The timeline in bounded form, for the page that draws it (a walk of the index).
    let session_overview = (!timeline.is_empty()).then(|| timeline.overview(timeline.now()));
    observer.event(RunEvent::RunFinished(Box::new(RunEnd {
        duration: clock.elapsed(),
        interrupted_by: stop.reason(),
        endpoint: walked.endpoint,
        service,
        setup_error,
        lost_service,
        events: timeline.counts(),
        recording,
        recording_trimmed: timeline.trimmed(),
        overview: session_overview,
    })));
}

/// The run's description, before anything happened.
fn info(run: &Run, started_at: SystemTime) -> RunInfo {
    describe(&run.config, target_report(run), crate::clock::rfc3339(started_at))
}

/// A run's description from its config, its target and when it began.
pub(crate) fn describe(config: &RunConfig, target: TargetReport, started_at: String) -> RunInfo {
    RunInfo {
        started_at,
        target,
        settings: SettingsReport {
            heartbeat_window_ms: config.settings.window.as_millis() as u64,
            heartbeat_interval_ms: config.settings.interval().as_millis() as u64,
            timeout_ms: config.settings.timeout.map(|timeout| timeout.as_millis() as u64),
            allow_destructive: config.settings.allow_destructive,
            only: config.selection.only.clone(),
            skip: config.selection.skip.clone(),
            tags: config.selection.tags.clone(),
        },
        // The suites this run checks (a `when:` suite may not apply).
        suites: config
            .suites
            .iter()
            .filter(|suite| config.plan.iter().any(|planned| planned.suite.id == suite.id))
            .map(|suite| suite_report(suite))
            .collect(),
        plan: config.plan.iter().map(|planned| planned.check.id.clone()).collect(),
        claims: config.settings.claims.clone(),
    }
}

/// What setting up a session came to.
struct Established {
    discovery: Option<Result<crate::target::discovery::Answer, crate::target::discovery::DiscoveryError>>,
    endpoint: Option<String>,
    version: Option<String>,
    session: Option<Arc<Session>>,
    /// The bot, or why there is no session (with what to try).
    outcome: Result<String, String>,
    /// The scan history of a bot that never logged in (QR codes cut), for every check that could not run.
    scans: Option<String>,
}

impl Established {
    fn failed(why: String) -> Established {
        Established { discovery: None, endpoint: None, version: None, session: None, outcome: Err(why), scans: None }
    }
}

/// Registration (with --registry), then the connection walk.
async fn establish(run: &Run, target: &Target, observer: &dyn Observer) -> Established {
    let login_timeout = run.config.timeouts.login;
    if let Some(registry) = &run.registry {
        let token = target.token.as_deref().unwrap_or_default();
        observer.event(RunEvent::Phase(format!(
            "waiting for the provider to register token {} at {}",
            crate::redact::mask(token),
            registry.websocket_url()
        )));
        let deadline = tokio::time::Instant::now() + login_timeout;
        if registry.wait_registered(token, deadline).await.is_none() {
            return Established::failed(format!(
                "the provider did not register its token at {} within {} (point its server's authority at {})",
                registry.websocket_url(),
                crate::clock::human(login_timeout),
                registry.address()
            ));
        }
    }
    let recording = (!run.config.output.no_report).then(|| run.config.output.report_dir.join(RECORDING));
    let options = WalkOptions { timeouts: run.config.timeouts, first_event: false, recording };
    let Walked { discovery, endpoint, version, session, outcome } = walk::walk(target, options, observer).await;
    let scans = match &outcome {
        Err((_, walk::SetupFailure::NotLoggedIn { scans: Some(scans), .. })) => {
            Some(crate::redact::redact(scans).into_owned())
        }
        _ => None,
    };
    let outcome = outcome.map_err(|(_, failure)| {
        if let Some(session) = &session {
            session.unsubscribe();
        }
        crate::redact::redact(&format!("{failure} ({})", failure.hint())).into_owned()
    });
    Established { discovery, endpoint: endpoint.map(|endpoint| endpoint.to_string()), version, session, outcome, scans }
}

/// A token no service accepts, shaped like the run's (same server-name prefix). Its secret is one for the whole
/// process: the targets of a fleet share it, so redaction has one more secret to look for, not one a target (every
/// report of a hundred targets was searched for a hundred of them).
fn invalid_token(token: Option<&str>) -> String {
    static SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let prefix = token.and_then(|token| token.rfind('_').map(|cut| &token[..=cut])).unwrap_or("puppet_lint_");
    // No word in it: every run of 8 characters of its secret is masked
    // wherever it appears (`invalid-` would mask `auth.rejects-invalid-token`).
    let secret = SECRET.get_or_init(|| uuid::Uuid::new_v4().simple().to_string());
    let invalid = format!("{prefix}{secret}");
    crate::redact::register(&invalid);
    invalid
}

fn target_report(run: &Run) -> TargetReport {
    let Some(target) = &run.target else {
        let package = run.config.settings.package.as_ref().map_or_else(String::new, |dir| dir.display().to_string());
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
        endpoint: match &target.address {
            Address::Endpoint(endpoint) => Some(endpoint.to_string()),
            Address::Discover(_) => None,
        },
        tls: target.tls.is_some(),
        server_name: target.tls.as_ref().map(|tls| tls.server_name.clone()),
        authority: match &target.address {
            Address::Discover(authority) => Some(authority.to_string()),
            Address::Endpoint(_) => None,
        },
    }
}

/// A suite as reports describe it.
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
