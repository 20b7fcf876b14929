//! Every report format, for a run with every verdict kind: snapshots of what
//! people and CI read, and proof that what a provider sends cannot break any
//! of them.

use puppet_lint::report::look::Look;
use puppet_lint::report::model::*;
use puppet_lint::report::{badge, checklist, files, junit, markdown};
use puppet_lint::suite::Severity;

use crate::support::snapshot;

fn check(id: &str, verdict: Verdict, level: Severity) -> CheckReport {
    let (reason, evidence) = match verdict {
        Verdict::Pass => (None, None),
        Verdict::Skip => {
            (Some("destructive (it logs the bot out or restarts it): run with --allow-destructive".into()), None)
        }
        _ => (
            Some(format!("{id} went wrong")),
            Some(Evidence {
                step: "wait_for at suites/wechaty-puppet.yaml:40:9".into(),
                expected: "a `ready` event after +0.210s, within 60.0s".into(),
                observed: "none arrived; events seen since +0.210s: heartbeat ×4".into(),
                timeline: vec![
                    TimelineEntry {
                        seq: 4,
                        at_ms: 210,
                        what: TimelineWhat::Event {
                            stream: 1,
                            event: "login".into(),
                            number: 25,
                            payload: r#"{"contactId":"bot-1"}"#.into(),
                            problem: None,
                            connect_heartbeat: false,
                            replay: false,
                            trimmed: None,
                        },
                    },
                    TimelineEntry {
                        seq: 5,
                        at_ms: 215,
                        what: TimelineWhat::Rpc { rpc: "Ding".into(), took_ms: 2, outcome: "ok".into() },
                    },
                ],
            }),
        ),
    };
    CheckReport {
        id: id.into(),
        suite: "wechaty-puppet".into(),
        title: format!("the {id} rule"),
        requirement: format!("The puppet keeps the {id} rule."),
        spec: Some("https://wechaty.js.org/docs/specs/puppet".into()),
        level,
        tags: vec!["events".into()],
        destructive: verdict == Verdict::Skip,
        verdict,
        reason,
        evidence,
        started_ms: 200,
        duration_ms: 1234,
        capability: None,
    }
}

/// A run with one check of each verdict.
pub fn every_verdict() -> Report {
    let checks = vec![
        check("events.login-before-ready", Verdict::Pass, Severity::Must),
        check("events.ready", Verdict::Fail, Severity::Must),
        check("events.ready-once", Verdict::Warn, Severity::Should),
        check("session.restore", Verdict::Skip, Severity::Must),
        check("message.self-echo", Verdict::Error, Severity::Must),
        check("heartbeat.interval", Verdict::Timeout, Severity::Must),
    ];
    Report {
        schema: SCHEMA.into(),
        schema_version: SCHEMA_VERSION,
        puppet_lint_version: "0.1.0".into(),
        started_at: "2026-11-22T12:00:00Z".into(),
        duration_ms: 61_500,
        partial: false,
        interrupted_by: None,
        target: TargetReport {
            description: "127.0.0.1:8788 (no TLS)".into(),
            endpoint: Some("127.0.0.1:8788".into()),
            tls: false,
            server_name: None,
            authority: None,
        },
        settings: SettingsReport {
            heartbeat_window_ms: 60_000,
            heartbeat_interval_ms: 60_000,
            timeout_ms: None,
            allow_destructive: false,
            only: vec![],
            skip: vec![],
            tags: vec![],
        },
        service: Some(ServiceReport { version: Some("puppet-lint-mock/0.1.0".into()), bot: Some("bot-1".into()) }),
        setup_error: None,
        suites: vec![SuiteReport {
            id: "wechaty-puppet".into(),
            checks: 6,
            version: "1.0.0".into(),
            title: "Wechaty Puppet Service conformance".into(),
            spec: Some("https://wechaty.js.org/docs/specs/puppet".into()),
            source: "suites/wechaty-puppet.yaml".into(),
            levels: vec![
                LevelReport { level: 1, name: "conformant".into(), requires: vec![Severity::Must] },
                LevelReport { level: 2, name: "exemplary".into(), requires: vec![Severity::Must, Severity::Should] },
            ],
        }],
        summary: Summary::of(&checks),
        checks,
        lost_service: None,
        events: [("heartbeat".to_owned(), 4), ("login".to_owned(), 1)].into_iter().collect(),
        recording: Some("timeline.jsonl".into()),
        recording_trimmed: None,
        overview: None,
        claims: None,
    }
}

#[test]
fn checklist_snapshot() {
    snapshot!("checklist_snapshot", checklist::render(&every_verdict(), &Look::plain()));
}

#[test]
fn junit_snapshot() {
    snapshot!("junit_snapshot", junit::render(&every_verdict()));
}

#[test]
fn markdown_snapshot() {
    snapshot!("markdown_snapshot", markdown::render(&every_verdict()));
}

#[test]
fn badge_snapshots() {
    snapshot!("badge_svg", badge::svg(&every_verdict()));
    snapshot!("badge_json", badge::json(&every_verdict()));
}

#[test]
fn json_snapshot_round_trips() {
    let report = every_verdict();
    let json = files::json(&report);
    snapshot!("json_snapshot_round_trips", json);
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

/// JUnit read back with an XML parser gives exactly the run's verdicts.
#[test]
fn junit_reads_back_as_the_run() {
    let report = every_verdict();
    let xml = junit::render(&report);
    let document = roxmltree::Document::parse(&xml).expect("junit.xml is XML");
    let cases: Vec<(String, String, &str)> = document
        .descendants()
        .filter(|node| node.has_tag_name("testcase"))
        .map(|case| {
            let verdict = case
                .descendants()
                .find(|node| node.has_tag_name("property") && node.attribute("name") == Some("verdict"))
                .and_then(|node| node.attribute("value"))
                .unwrap_or_default()
                .to_owned();
            let element = ["failure", "error", "skipped"]
                .into_iter()
                .find(|name| case.children().any(|node| node.has_tag_name(*name)))
                .unwrap_or("none");
            (case.attribute("name").unwrap_or_default().to_owned(), verdict, element)
        })
        .collect();
    let expected: Vec<(String, String, &str)> = report
        .checks
        .iter()
        .map(|check| {
            let element = match check.verdict {
                Verdict::Fail => "failure",
                Verdict::Error | Verdict::Timeout => "error",
                Verdict::Skip => "skipped",
                Verdict::Pass | Verdict::Warn => "none",
            };
            (check.id.clone(), check.verdict.name().to_owned(), element)
        })
        .collect();
    assert_eq!(cases, expected);
    let suite = document.descendants().find(|node| node.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("name"), Some("wechaty-puppet"));
    assert_eq!(
        [suite.attribute("tests"), suite.attribute("failures"), suite.attribute("errors"), suite.attribute("skipped")],
        [Some("6"), Some("1"), Some("2"), Some("1")]
    );
    for case in document.descendants().filter(|node| node.has_tag_name("testcase")) {
        assert_eq!(case.attribute("classname"), Some("wechaty-puppet"));
        assert!(case.attribute("time").unwrap().parse::<f64>().is_ok());
    }
    let properties: Vec<&str> = suite.descendants().filter_map(|node| node.attribute("name")).collect();
    for property in ["target", "suite.version", "puppet-lint.version"] {
        assert!(properties.contains(&property), "{property}");
    }
}

#[test]
fn badge_json_matches_the_shields_endpoint_schema() {
    let value: serde_json::Value = serde_json::from_str(&badge::json(&every_verdict())).unwrap();
    let object = value.as_object().unwrap();
    assert_eq!(object["schemaVersion"], 1);
    for key in ["label", "message", "color"] {
        assert!(object[key].as_str().is_some_and(|text| !text.is_empty()), "{key}");
    }
    for key in object.keys() {
        assert!(
            [
                "schemaVersion",
                "label",
                "message",
                "color",
                "labelColor",
                "isError",
                "namedLogo",
                "logoSvg",
                "logoColor",
                "logoWidth",
                "style",
                "cacheSeconds"
            ]
            .contains(&key.as_str()),
            "{key} is not in the shields endpoint schema"
        );
    }
    assert_eq!(object["message"], "uncertified · 1/6");
}

#[test]
fn the_badge_shows_the_level_reached_and_the_count() {
    let mut report = every_verdict();
    for check in &mut report.checks {
        check.verdict = Verdict::Pass;
    }
    let value: serde_json::Value = serde_json::from_str(&badge::json(&report)).unwrap();
    assert_eq!(
        (value["label"].as_str(), value["message"].as_str(), value["color"].as_str()),
        (Some("wechaty puppet"), Some("L2 · 6/6"), Some("brightgreen"))
    );
    report.checks[2].verdict = Verdict::Warn;
    let value: serde_json::Value = serde_json::from_str(&badge::json(&report)).unwrap();
    assert_eq!((value["message"].as_str(), value["color"].as_str()), (Some("L1 · 5/6"), Some("green")));
}

/// What a hostile or broken provider might send, everywhere it can land.
fn hostile() -> Report {
    let long = "x".repeat(100 * 1024);
    let nasty = format!(
        "ctl \u{0}\u{1}\u{7}\u{8}\u{b}\u{c}\u{1b}[31mred\u{1b}[0m \u{7f} ]]> <![CDATA[ x ]]> </failure> & \"q\" 'a' \
         | pipe | \n new line \r\n \u{FFFD} \u{FFFE} \u{D7FF} emoji 🎉👍🏽 ```fence``` <script>alert(1)</script> {long}"
    );
    let mut report = every_verdict();
    report.target.description = nasty.clone();
    report.service = Some(ServiceReport { version: Some(nasty.clone()), bot: Some(nasty.clone()) });
    for check in &mut report.checks {
        check.title = nasty.clone();
        check.reason = Some(nasty.clone());
        if let Some(evidence) = &mut check.evidence {
            evidence.observed = nasty.clone();
            evidence.expected = nasty.clone();
            evidence.timeline.push(TimelineEntry {
                seq: 9,
                at_ms: 300,
                what: TimelineWhat::Event {
                    stream: 1,
                    event: "message".into(),
                    number: 2,
                    payload: nasty.clone(),
                    problem: Some(nasty.clone()),
                    connect_heartbeat: false,
                    replay: false,
                    trimmed: None,
                },
            });
        }
    }
    report
}

#[test]
fn hostile_strings_cannot_break_any_format() {
    let report = hostile();

    let xml = junit::render(&report);
    roxmltree::Document::parse(&xml).expect("junit.xml stays XML");
    roxmltree::Document::parse(&badge::svg(&report)).expect("badge.svg stays XML");

    let json = files::json(&report);
    let back: Report = serde_json::from_str(&json).expect("report.json stays JSON");
    assert_eq!(back, report);
    serde_json::from_str::<serde_json::Value>(&badge::json(&report)).expect("badge.json stays JSON");

    let md = markdown::render(&report);
    let rows: Vec<&str> =
        md.lines().skip_while(|line| !line.starts_with("| | Check")).take_while(|line| line.starts_with('|')).collect();
    assert_eq!(rows.len(), 2 + report.checks.len(), "one header, one rule, one row per check:\n{}", rows.join("\n"));
    for row in rows {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 6, "a row with 5 cells: {}", &row[..row.len().min(300)]);
    }
    // Outside code fences (which GitHub shows as text), no HTML gets through.
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(open) if ticks.len() >= open.len() && line.trim() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                assert!(!line.contains("<script>"), "raw HTML outside a code block: {}", &line[..line.len().min(200)])
            }
        }
    }

    let text = checklist::render(&report, &Look::plain());
    assert!(!text.contains('\u{1b}'), "no escape sequence reaches the terminal");
    assert!(!text.contains('\u{0}'));
}
