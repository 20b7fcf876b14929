//! What a broken peer sends, or a connection that goes away, never panics
//! puppet-lint, never hangs it, and never loses the report.

mod support;

use std::time::Duration;

use puppet_lint::mock::{MockOptions, MockServer};
use puppet_lint::report::model::{TimelineWhat, Verdict};
use puppet_lint::report::{files, junit};
use support::{run_builtin, target_of, verdicts};

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
    let report = run_builtin(target_of(&mock)).await;
    mock.shutdown().await;
    assert!(report.checks.iter().all(|check| check.verdict == Verdict::Pass), "{}", verdicts(&report));
    let problems: Vec<(String, String)> = report
        .timeline
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
    assert!(
        report
            .timeline
            .iter()
            .any(|entry| matches!(&entry.what, TimelineWhat::Event { event, .. } if event == "type-99"))
    );
    assert!(
        report
            .timeline
            .iter()
            .any(|entry| matches!(&entry.what, TimelineWhat::Event { event, .. } if event == "type--5"))
    );
    roxmltree::Document::parse(&junit::render(&report)).expect("JUnit stays XML");
    serde_json::from_str::<serde_json::Value>(&files::json(&report)).expect("the report stays JSON");
}

#[tokio::test]
async fn a_stream_that_drops_mid_run_errors_the_checks_it_cut_short_and_keeps_the_rest() {
    let mock = support::mock(&[]).await;
    let target = target_of(&mock);
    let run = tokio::spawn(support::run_builtin_with(target, Duration::from_secs(4)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    mock.shutdown().await;
    let report = tokio::time::timeout(Duration::from_secs(60), run).await.expect("the run ends").unwrap();
    let verdict = |id: &str| support::verdict(&report, id);
    assert_eq!(verdict("events.login-before-ready"), Verdict::Pass, "what finished before the drop is kept");
    assert_eq!(verdict("heartbeat.ding-dong"), Verdict::Pass);
    let interval = report.checks.iter().find(|check| check.id == "heartbeat.interval").unwrap();
    assert_eq!(interval.verdict, Verdict::Error, "{}", verdicts(&report));
    assert!(interval.reason.as_ref().unwrap().contains("the event stream ended"), "{:?}", interval.reason);
    for id in ["session.restore", "logout.cleanup"] {
        assert_eq!(verdict(id), Verdict::Error, "{id}: the service is gone\n{}", verdicts(&report));
    }
    assert!(report.timeline.iter().any(|entry| matches!(entry.what, TimelineWhat::StreamEnded { .. })));
    assert_eq!(
        puppet_lint::report::baseline::judge(&report, None).map_err(|error| error.code()),
        Err(puppet_lint::exit::UNREACHABLE)
    );
}
