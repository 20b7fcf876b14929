//! Re-judging a recorded run, offline: the run's timeline is rebuilt from its
//! recording (`timeline.jsonl`) and every check that only observes the
//! timeline — the login-state rules and the payload shapes (the checks made
//! of `judge_states` / `judge_shapes` steps), and the heartbeat rule
//! (`max_gap`, over the span its recorded check watched) — is judged again on
//! it, with today's suites. A check that must act on a live service (send, ding,
//! restart, resolve a message or the ids the payloads name…) ends `skip`: it needs a live service. Told
//! as the same [`RunEvent`]s as a run, so every report format follows.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{Context, Stop, not_run, run_plan};
use crate::config::RunConfig;
use crate::events::{Observer, RunEnd, RunEvent, ServiceReport, TargetReport, Verdict};
use crate::session::{Timeline, What, lost_message};
use crate::suite::{Action, Check};

/// Why a check is not judged again.
pub const NEEDS_LIVE: &str = "needs a live service (it acts on the service; a recording can only be observed again)";

/// Why a check that asks the service about the account (`check_account`) is not judged again.
pub const NEEDS_LIVE_ANSWERS: &str = "needs a live service (it resolves the ids the payloads name with ContactPayload, \
     RoomPayload, RoomMemberList and FriendshipPayload; a recording holds no answers to rpcs the run did not send)";

/// Why `check` is not judged again.
fn why_live(check: &Check) -> &'static str {
    let asks = check.steps.iter().any(|step| matches!(step.action, Action::Account(_)));
    if asks { NEEDS_LIVE_ANSWERS } else { NEEDS_LIVE }
}

/// A recorded run: its rebuilt timeline and what its report said of it.
pub struct Recorded {
    pub timeline: Timeline,
    pub target: TargetReport,
    pub service: Option<ServiceReport>,
    /// When the recorded run began (RFC 3339).
    pub started_at: String,
    /// Each recorded check's span on the timeline (from, to), by id.
    pub spans: HashMap<String, (Duration, Duration)>,
    /// Why the recorded run had no session, if it had none: nothing to judge.
    pub setup_error: Option<String>,
    /// What cut the recorded run short, if anything: the re-judged report is
    /// as partial as the recording.
    pub interrupted_by: Option<String>,
}

/// Whether a check can be judged from a recording alone: all its steps
/// judge the whole run's timeline, or all are the heartbeat rule.
pub fn offline(check: &Check) -> bool {
    check.observes_run()
        || (!check.steps.is_empty() && check.steps.iter().all(|step| matches!(step.action, Action::Heartbeat(_))))
}

/// Judges `config`'s plan again on the recording; returns when
/// `RunFinished` is sent.
pub async fn rejudge(config: RunConfig, recorded: Recorded, observer: Arc<dyn Observer>) {
    let clock = Instant::now();
    let Recorded { timeline, target, service, started_at, spans, setup_error, interrupted_by } = recorded;
    let endpoint = target.endpoint.clone();
    // The recorded run's start; a report without one (hand-made) is judged against now.
    let began = chrono::DateTime::parse_from_rfc3339(&started_at)
        .ok()
        .and_then(|date| u64::try_from(date.timestamp_millis()).ok())
        .map_or_else(std::time::SystemTime::now, |ms| std::time::UNIX_EPOCH + Duration::from_millis(ms));
    observer.event(RunEvent::RunStarted(Box::new(super::run::describe(&config, target, started_at))));
    observer.event(RunEvent::Phase(format!("re-judging a recording of {} entries", timeline.len())));
    let context = Arc::new(Context {
        mode: super::Mode::Rejudge { spans: Arc::new(spans) },
        settings: config.settings.clone(),
        nonce: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        invalid_token: String::new(),
        observer: observer.clone(),
        timeline: timeline.clone(),
        started: began,
        facts: std::sync::Mutex::new(None),
        sharing: Arc::default(),
        decided: Default::default(),
        scopes: Default::default(),
    });
    let (judged, live): (Vec<_>, Vec<_>) = config.plan.iter().cloned().partition(|planned| offline(&planned.check));
    for planned in &live {
        observer.event(RunEvent::CheckFinished(Box::new(not_run(planned, Verdict::Skip, why_live(&planned.check)))));
    }
    // An empty recording would pass every rule it holds: it is nothing to judge.
    let events: u64 = timeline.counts().values().sum();
    let nothing = match &setup_error {
        Some(setup) => Some(format!("not judged: the recorded run had no session with the service ({setup})")),
        None if events == 0 => Some("not judged: the recording holds no events".to_owned()),
        None => None,
    };
    match nothing {
        Some(reason) => {
            for planned in &judged {
                observer.event(RunEvent::CheckFinished(Box::new(not_run(planned, Verdict::Error, &reason))));
            }
        }
        None => run_plan(context, judged, CancellationToken::new(), Stop::default()).await,
    }
    observer.event(RunEvent::RunFinished(Box::new(RunEnd {
        duration: clock.elapsed(),
        interrupted_by: interrupted_by.map(|by| format!("the recorded run was cut short ({by})")),
        endpoint,
        service,
        setup_error,
        // The recorded loss: a re-judged run ends as the run did (exit 3).
        lost_service: timeline.others_since(0).iter().find_map(|entry| match &entry.what {
            What::Lost { cause } => Some(lost_message(cause)),
            _ => None,
        }),
        events: timeline.counts(),
        recording: None,
        recording_trimmed: timeline.trimmed(),
        overview: Some(timeline.overview(timeline.now())),
    })));
}
