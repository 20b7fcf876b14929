//! What a broken peer sends, or a connection that goes away, never panics
//! puppet-lint, never hangs it, and never loses the report.

use std::time::Duration;

use puppet_lint::mock::{MockOptions, MockServer};
use puppet_lint::report::model::{TimelineEntry, TimelineWhat, Verdict};
use puppet_lint::report::{files, junit};

use crate::support::{self, Engine, Finished, PATIENCE, target_of, verdicts};

#[tokio::test]
async fn garbage_events_are_recorded_as_findings_and_break_nothing() {
    let garbage = vec![
        (2, "not json \u{0} at all".to_owned()),
        (99, r#"{"fork":"event"}"#.to_owned()),
        (25, r#"{"contactId":42}"#.to_owned()),
        (26, "[]".to_owned()),
        (3, r#"{"data":{"nested":true}}"#.to_owned()),
        (22, String::from_utf8_lossy(b"\xff\xfe scan").into_owned()),
        (-5, String::new()),
    ];
    let mock = MockServer::start(MockOptions {
        heartbeat_interval: Duration::from_millis(200),
        after_login: garbage,
        ..MockOptions::default()
    })
    .await
    .unwrap();
    let (report, dir) = Engine::against(target_of(&mock)).run_recorded("garbage-recording").await;
    mock.shutdown().await;
    // The checks that wait for their own events are not disturbed; the ones
    // that judge every event of the run find what was wrong.
    for check in &report.checks {
        let judges = check.id.starts_with("payloads.") || check.id == "events.lifecycle-advice";
        let wanted = match check.id.as_str() {
            "payloads.shape" | "events.login-states" | "message.received-payloads" => Verdict::Fail,
            "payloads.shape-advice" | "events.lifecycle-advice" | "events.one-logout-per-logout" => Verdict::Warn,
            _ => Verdict::Pass,
        };
        assert_eq!(check.verdict, wanted, "{} (judges: {judges})\n{}", check.id, verdicts(&report));
    }
    assert_eq!(report.recording.as_deref(), Some("timeline.jsonl"));
    let recording = std::fs::read_to_string(dir.join("timeline.jsonl")).expect("the run is recorded");
    let entries: Vec<TimelineEntry> =
        recording.lines().map(|line| serde_json::from_str(line).expect("one JSON entry a line")).collect();
    let problems: Vec<(String, String)> = entries
        .iter()
        .filter_map(|entry| match &entry.what {
            TimelineWhat::Event { event, problem: Some(problem), .. } => Some((event.clone(), problem.clone())),
            _ => None,
        })
        .collect();
    for (event, expected) in [
        ("message", "payload is not JSON"),
        ("login", "payload's \"contactId\" should be a string, found a number"),
        ("logout", "payload is JSON but not an object"),
        ("dong", "payload's \"data\" should be a string, found an object"),
    ] {
        assert!(
            problems.iter().any(|(kind, problem)| kind == event && problem.starts_with(expected)),
            "{event}: {problems:?}"
        );
    }
    for unknown in ["type-99", "type--5"] {
        assert!(report.events.contains_key(unknown), "{unknown} counted: {:?}", report.events);
        assert!(
            entries.iter().any(|entry| matches!(&entry.what, TimelineWhat::Event { event, .. } if event == unknown))
        );
    }
    roxmltree::Document::parse(&junit::render(&report)).expect("JUnit stays XML");
    serde_json::from_str::<serde_json::Value>(&files::json(&report)).expect("the report stays JSON");
}

#[tokio::test]
async fn a_service_that_dies_mid_run_is_noticed_at_once_and_blamed_for_the_checks_it_cut_short() {
    let mock = support::mock(&[]).await;
    let finished = Finished::new();
    // Budgets and the heartbeat window of a minute: the loss is noticed at
    // once or after one of them, which a busy machine cannot confuse.
    let minute = Duration::from_secs(60);
    let run = Engine::against(target_of(&mock)).window(minute).budget(minute).observe(finished.clone());
    let run = tokio::spawn(run.run());
    // Mid-run: these have passed, the heartbeat window is being watched.
    finished.all(&["events.login-before-ready", "heartbeat.ding-dong"]).await;
    mock.shutdown().await;
    let clock = std::time::Instant::now();
    let report = tokio::time::timeout(PATIENCE, run).await.expect("the run ends").unwrap();
    assert!(
        clock.elapsed() < Duration::from_secs(20),
        "noticed at once, not after a check's budget: {:?}",
        clock.elapsed()
    );
    let verdict = |id: &str| support::verdict(&report, id);
    assert_eq!(verdict("events.login-before-ready"), Verdict::Pass, "what finished before the drop is kept");
    assert_eq!(verdict("heartbeat.ding-dong"), Verdict::Pass);
    let interval = report.checks.iter().find(|check| check.id == "heartbeat.interval").unwrap();
    assert_eq!(interval.verdict, Verdict::Error, "{}", verdicts(&report));
    let reason = interval.reason.clone().unwrap_or_default();
    assert!(reason.starts_with("lost the service at +") && reason.contains("connection refused"), "{reason}");
    assert_eq!(report.lost_service.as_deref(), Some(reason.as_str()), "one finding, the cause of every error");
    for id in ["session.restore", "logout.cleanup"] {
        assert_eq!(verdict(id), Verdict::Error, "{id}: the service is gone\n{}", verdicts(&report));
    }
    assert_eq!(
        puppet_lint::report::baseline::judge(&report, None).map_err(|error| error.code()),
        Err(puppet_lint::exit::UNREACHABLE)
    );
}
