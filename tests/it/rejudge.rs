//! `puppet-lint rejudge DIR` on the real binary: a run recorded against a
//! mock that breaks observe-only rules (a stale scan while logged in, two
//! logouts for one Logout, a `null` in an id list) is judged again offline
//! and gives the live run's verdicts for every check that only observes the
//! timeline; the others say they need a live service.

use puppet_lint::exit;
use puppet_lint::report::model::{Report, Verdict};

use crate::support::{Cli, Ran, Scratch, read_report};

/// A recorded run against the mock with the observe-only faults: the run
/// (which owns its report directory) and its report.
fn recorded_run(name: &str) -> (Ran, Report) {
    recorded_with(name, &["stale-scan", "double-logout", "null-in-id-list"])
}

fn recorded_with(name: &str, faults: &[&str]) -> (Ran, Report) {
    let ran = Cli::new()
        .args(["--mock"])
        .args(faults.iter().flat_map(|fault| ["--mock-fault", fault]))
        .args(["--heartbeat-window", "1s", "--timeout", "3s", "--quiet"])
        .reports(name)
        .run();
    ran.code(exit::FAILURE);
    assert!(ran.dir().join("timeline.jsonl").exists());
    let report = ran.report();
    // A run like any other stays far within the recording budget: nothing trimmed, nothing said.
    assert_eq!(report.recording_trimmed, None);
    assert!(!ran.stdout.contains("the recording was trimmed"), "{}", ran.stdout);
    (ran, report)
}

fn observe_only() -> Vec<String> {
    let suite = puppet_lint::suite::builtin().expect("the built-in suite");
    suite
        .checks
        .iter()
        .filter(|check| puppet_lint::engine::rejudge::offline(check))
        .map(|check| check.id.clone())
        .collect()
}

#[test]
fn a_recorded_faulty_run_is_judged_again_with_the_same_observe_only_verdicts() {
    let (run, live) = recorded_run("rejudge-live");
    let dir = run.dir();
    let ran = Cli::new().args(["rejudge", dir.to_str().unwrap()]).run();
    ran.code(exit::FAILURE).stdout_has("re-judged from");
    let again = read_report(&dir.join("rejudged"));
    for file in ["junit.xml", "summary.md", "badge.svg", "badge.json"] {
        assert!(dir.join("rejudged").join(file).exists(), "{file}");
    }
    let observed = observe_only();
    assert!(observed.len() >= 7 && observed.iter().any(|id| id == "heartbeat.interval"), "{observed:?}");
    let verdicts = |report: &Report| -> Vec<(String, Verdict)> {
        report
            .checks
            .iter()
            .filter(|check| observed.contains(&check.id))
            .map(|check| (check.id.clone(), check.verdict))
            .collect()
    };
    assert_eq!(verdicts(&again), verdicts(&live), "the observe-only verdicts, live and re-judged");
    // The faults show: the rules broke, live and again.
    for (id, verdict) in [
        ("events.no-scan-while-logged-in", Verdict::Fail),
        ("events.one-logout-per-logout", Verdict::Warn),
        ("payloads.shape", Verdict::Fail),
    ] {
        let check = again.checks.iter().find(|check| check.id == id).expect(id);
        assert_eq!(check.verdict, verdict, "{id}: {:?}", check.reason);
        assert!(
            check.evidence.as_ref().is_some_and(|evidence| !evidence.timeline.is_empty()),
            "{id} shows the timeline"
        );
    }
    // Every other check needs the service.
    for check in again.checks.iter().filter(|check| !observed.contains(&check.id)) {
        assert_eq!(check.verdict, Verdict::Skip, "{}", check.id);
        assert!(
            check.reason.as_deref().is_some_and(|reason| reason.starts_with("needs a live service")),
            "{}",
            check.id
        );
    }
    // The account's checks say which answers a recording does not hold.
    let ids = again.checks.iter().find(|check| check.id == "payloads.ids-resolve").expect("payloads.ids-resolve");
    assert!(ids.reason.as_deref().is_some_and(|reason| reason.contains("ContactPayload")), "{:?}", ids.reason);
    assert_eq!(again.checks.len(), live.checks.len());
    assert_eq!(again.target.endpoint, live.target.endpoint);
    assert_eq!(again.events, live.events, "every event of the recording was read back");
}

/// The heartbeat rule is judged again over the span its check watched.
#[test]
fn a_silent_provider_fails_the_heartbeat_rule_again() {
    let (run, live) = recorded_with("rejudge-heartbeat", &["no-heartbeat"]);
    let dir = run.dir();
    Cli::new().args(["rejudge", dir.to_str().unwrap()]).run().code(exit::FAILURE).stdout_has("no event for");
    let again = read_report(&dir.join("rejudged"));
    let verdict =
        |report: &Report| report.checks.iter().find(|check| check.id == "heartbeat.interval").unwrap().verdict;
    assert_eq!((verdict(&live), verdict(&again)), (Verdict::Fail, Verdict::Fail));
}

#[test]
fn a_suite_file_judges_the_recording_with_its_own_rules() {
    let (run, _) = recorded_run("rejudge-suite");
    let dir = run.dir();
    let suite = dir.join("newer.yaml");
    std::fs::write(
        &suite,
        "format: 1\nsuite: newer\nversion: 2.0.0\ntitle: a newer suite\nchecks:\n\
         \x20 - id: newer.no-scan\n    title: no scan while logged in\n    level: should\n    requirement: no scan while logged in\n\
         \x20   steps:\n      - judge_states: { rules: [no-scan-while-logged-in] }\n\
         \x20 - id: newer.shapes\n    title: shapes\n    level: must\n    requirement: shapes\n\
         \x20   steps:\n      - judge_shapes: { level: must }\n\
         \x20 - id: newer.ding\n    title: ding\n    level: must\n    requirement: ding\n\
         \x20   steps:\n      - ding: { data: x }\n",
    )
    .unwrap();
    let out = dir.join("with-newer");
    let ran = Cli::new()
        .args(["rejudge", dir.to_str().unwrap(), "--suite", suite.to_str().unwrap(), "--report-dir"])
        .args([out.to_str().unwrap(), "--format", "json"])
        .run();
    ran.code(exit::FAILURE);
    let again = read_report(&out);
    assert_eq!(again.suites.len(), 1);
    assert_eq!(again.suites[0].version, "2.0.0");
    let verdict = |id: &str| again.checks.iter().find(|check| check.id == id).map(|check| check.verdict);
    assert_eq!(verdict("newer.no-scan"), Some(Verdict::Warn), "a should rule now");
    assert_eq!(verdict("newer.shapes"), Some(Verdict::Fail));
    assert_eq!(verdict("newer.ding"), Some(Verdict::Skip));
    // --format json prints the report itself.
    let printed: Report = serde_json::from_str(&ran.stdout).expect("JSON on stdout");
    assert_eq!(printed.checks.len(), 3);
}

#[test]
fn a_malformed_or_missing_recording_is_refused_naming_file_and_line() {
    let dir = Scratch::new("rejudge-bad");
    Cli::new()
        .args(["rejudge", dir.to_str().unwrap()])
        .run()
        .code(exit::USAGE)
        .stderr_has("timeline.jsonl does not exist");
    std::fs::write(
        dir.join("timeline.jsonl"),
        "{\"seq\":0,\"at_ms\":1,\"kind\":\"subscribed\",\"stream\":1}\n\n{\"seq\":1,\"at_ms\":2,\"kind\":\"event\"}\n",
    )
    .unwrap();
    let ran = Cli::new().args(["rejudge", dir.to_str().unwrap()]).run();
    ran.code(exit::USAGE).stderr_has(&format!("{}:3: not a timeline entry", dir.join("timeline.jsonl").display()));
    std::fs::write(
        dir.join("timeline.jsonl"),
        "{\"seq\":0,\"at_ms\":1,\"kind\":\"subscribed\",\"stream\":1}\n\
         {\"seq\":1,\"at_ms\":2,\"kind\":\"event\",\"stream\":1,\"event\":\"heartbeat\",\"number\":1,\
         \"payload\":\"{\\\"data\\\":\\\"hi\\\"}\",\"connect_heartbeat\":true}\n",
    )
    .unwrap();
    Cli::new()
        .args(["rejudge", dir.to_str().unwrap(), "--report-dir", dir.to_str().unwrap()])
        .run()
        .code(exit::USAGE)
        .stderr_has("its reports would be overwritten");
    // A recording alone (no report.json) is judged too.
    let ran = Cli::new().args(["rejudge", dir.to_str().unwrap(), "--no-report"]).run();
    ran.code(exit::OK).stdout_has("a recorded run");
    Cli::new().args(["rejudge", "--help"]).run().code(exit::OK).stdout_has("timeline.jsonl").stdout_has("--suite");
    // Something that is no file (a directory here; a device like /dev/zero alike) is never read.
    let odd = Scratch::new("rejudge-not-a-file");
    std::fs::create_dir_all(odd.join("timeline.jsonl")).unwrap();
    let ran = Cli::new().args(["rejudge", odd.to_str().unwrap(), "--no-report"]).run();
    ran.code(exit::USAGE).stderr_has("not a regular file, so not a recording");
}

#[test]
fn an_empty_recording_or_a_directory_of_several_runs_is_nothing_to_judge() {
    let (run, _) = recorded_run("rejudge-empty");
    let dir = run.dir();
    std::fs::write(dir.join("timeline.jsonl"), "").unwrap();
    let ran = Cli::new().args(["rejudge", dir.to_str().unwrap(), "--no-report", "--format", "json"]).run();
    ran.code(exit::UNREACHABLE).stdout_has("not judged: the recording holds no events");
    assert!(!ran.stdout.contains("\"verdict\": \"pass\""), "nothing passes on nothing:\n{}", ran.stdout);

    // A `--targets` report directory: one run per subdirectory.
    let parent = Scratch::new("rejudge-parent");
    for name in ["acme", "zeta"] {
        std::fs::create_dir_all(parent.join(name)).unwrap();
        std::fs::copy(dir.join("report.json"), parent.join(name).join("report.json")).unwrap();
    }
    Cli::new()
        .args(["rejudge", parent.to_str().unwrap()])
        .run()
        .code(exit::USAGE)
        .stderr_has("holds the runs of several targets, one per directory: re-judge one of them");
}

/// A handed-in report naming its recording outside its directory (absolute, `../`, a subdirectory) is refused
/// before anything is read; a `rejudged` link that came with the input is not written through.
#[test]
fn a_report_handed_in_reads_and_writes_only_inside_its_directory() {
    let (run, _) = recorded_run("rejudge-hostile");
    let dir = run.dir();
    let json = dir.join("report.json");
    let original = std::fs::read_to_string(&json).unwrap();
    for named in ["/etc/passwd", "../timeline.jsonl", "sub/timeline.jsonl", ".."] {
        let mut report: serde_json::Value = serde_json::from_str(&original).unwrap();
        report["recording"] = serde_json::Value::String(named.to_owned());
        std::fs::write(&json, report.to_string()).unwrap();
        let ran = Cli::new().args(["rejudge", dir.to_str().unwrap(), "--no-report"]).run();
        ran.code(exit::USAGE).stderr_has("only a file beside report.json is read");
    }
    std::fs::write(&json, &original).unwrap();
    let elsewhere = Scratch::new("rejudge-link-target");
    std::os::unix::fs::symlink(elsewhere.path(), dir.join("rejudged")).unwrap();
    let ran = Cli::new().args(["rejudge", dir.to_str().unwrap()]).run();
    ran.code(exit::USAGE).stderr_has("is a symbolic link that came with the recorded run");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0, "nothing written through the link");
}

/// `report` and `matrix` refuse a report that is a device or over its cap at once, without reading it.
#[test]
fn a_report_that_is_a_device_or_huge_is_refused_at_once() {
    let scratch = Scratch::new("report-inputs");
    let zero = scratch.path().join("zero.json");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let ran = Cli::new().args(["report", zero.to_str().unwrap()]).run();
    ran.code(exit::USAGE).stderr_has("not a regular file");
    let huge = scratch.path().join("huge.json");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(1 << 30).unwrap();
    let ran = Cli::new().args(["report", huge.to_str().unwrap()]).run();
    ran.code(exit::USAGE).stderr_has("is larger than 16.0 MiB");
}

/// An error that quotes a handed-in file (an unknown verdict, a recording's name) is shown inert: no escape
/// sequence reaches the terminal and no line of it starts a GitHub workflow command.
#[test]
fn errors_quoting_a_handed_in_report_are_inert() {
    let scratch = Scratch::new("report-hostile-error");
    let hostile = "X\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\r\n::error::injected";
    let json = scratch.path().join("report.json");
    let (run, _) = recorded_run("rejudge-hostile-error");
    let mut report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.dir().join("report.json")).unwrap()).unwrap();
    report["checks"][0]["verdict"] = serde_json::Value::String(hostile.to_owned());
    std::fs::write(&json, report.to_string()).unwrap();
    let ran = Cli::new().args(["report", json.to_str().unwrap()]).run();
    ran.code(exit::USAGE);
    for shown in [&ran.stdout, &ran.stderr] {
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}') && !shown.contains('\r'), "{shown:?}");
        assert!(!shown.lines().any(|line| line.trim_start().starts_with("::")), "{shown}");
    }
    assert!(ran.stderr.contains("\\u{003a}:error::injected"), "{}", ran.stderr);
}

/// A recorded run that lost its service re-judges as lost: exit 3, the loss told, as the live run was.
#[test]
fn a_run_that_lost_its_service_is_judged_again_as_lost() {
    let run = Cli::new()
        .args(["--mock", "--mock-fault", "crash", "--heartbeat-window", "1s", "--timeout", "3s", "--quiet"])
        .reports("rejudge-lost")
        .run();
    run.code(exit::UNREACHABLE);
    let ran = Cli::new().args(["rejudge", run.dir().to_str().unwrap(), "--quiet"]).run();
    ran.code(exit::UNREACHABLE);
    let again = read_report(&run.dir().join("rejudged"));
    assert!(again.lost_service.as_deref().is_some_and(|lost| lost.starts_with("lost the service at +")), "{again:?}");
}

/// A recording that is a link leading outside the report's directory is not read.
#[test]
fn a_recording_linked_from_outside_the_directory_is_refused() {
    let scratch = Scratch::new("rejudge-linked-recording");
    let dir = scratch.path().join("run");
    std::fs::create_dir_all(&dir).unwrap();
    let outside = scratch.path().join("elsewhere.jsonl");
    std::fs::write(&outside, "").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("timeline.jsonl")).unwrap();
    let ran = Cli::new().args(["rejudge", dir.to_str().unwrap()]).run();
    ran.code(exit::USAGE).stderr_has("a link leading outside");
}

/// `report DIR` reads DIR/report.json, as a run wrote it; a directory without one says what to give.
#[test]
fn report_of_a_directory_reads_its_report_json() {
    let (run, _) = recorded_run("report-of-a-directory");
    let file = run.dir().join("report.json");
    let from_file = Cli::new().args(["report", file.to_str().unwrap(), "--format", "markdown"]).run();
    from_file.code(exit::OK);
    let from_dir = Cli::new().args(["report", run.dir().to_str().unwrap(), "--format", "markdown"]).run();
    from_dir.code(exit::OK);
    assert_eq!(from_dir.stdout, from_file.stdout);
    assert!(!from_dir.stderr.contains("Is a directory"), "{}", from_dir.stderr);

    let empty = Scratch::new("report-empty-dir");
    let ran = Cli::new().args(["report", empty.path().to_str().unwrap()]).run();
    ran.code(exit::USAGE).stderr_has("is a directory with no report.json in it");
}

/// The fact rules on the real binary: a run against the mock with one fault per fact rule fails exactly those
/// checks (the other observe-only checks pass), each naming the event, the field, the value and the rule; its
/// recording judged again gives the same verdicts and the same findings.
#[test]
fn the_fact_rules_fail_live_and_again_naming_event_field_value_and_rule() {
    let (run, live) =
        recorded_with("rejudge-facts", &["duplicate-message", "event-storm", "stale-room-time", "placeholder-value"]);
    let dir = run.dir();
    Cli::new().args(["rejudge", dir.to_str().unwrap()]).run().code(exit::FAILURE);
    let again = read_report(&dir.join("rejudged"));
    let facts: [(&str, Verdict, &[&str]); 4] = [
        (
            "events.message-once",
            Verdict::Fail,
            &["`message`.messageId \"", " again (first at seq ", "one `message` event per message id"],
        ),
        (
            "events.no-storm",
            Verdict::Warn,
            &[
                "`heartbeat`",
                "puppet-lint mock: heartbeat",
                "for the 11th time within 1 s",
                "at most 10 of one type and payload a second",
            ],
        ),
        (
            "payloads.time",
            Verdict::Fail,
            &[
                "`room-topic`.timestamp is ",
                " s (19",
                "30 years before the event arrived",
                "at most 24 h before and 5 min after",
            ],
        ),
        (
            "payloads.placeholders",
            Verdict::Fail,
            &["`room-topic`.oldTopic is \"undefined\"", "a placeholder where a value belongs"],
        ),
    ];
    for report in [&live, &again] {
        for (id, verdict, fragments) in facts {
            let check = report.checks.iter().find(|check| check.id == id).expect(id);
            assert_eq!(check.verdict, verdict, "{id}: {:?}", check.reason);
            let evidence = check.evidence.as_ref().expect("a failure carries evidence");
            let said = format!("{} | {}", check.reason.clone().unwrap_or_default(), evidence.observed);
            for fragment in fragments {
                assert!(said.contains(fragment), "{id}: {fragment:?} missing from {said:?}");
            }
        }
        // No other observe-only check is disturbed by these faults.
        for check in report.checks.iter().filter(|check| observe_only().contains(&check.id)) {
            if !facts.iter().any(|(id, _, _)| *id == check.id) {
                assert_eq!(check.verdict, Verdict::Pass, "{}: {:?}", check.id, check.reason);
            }
        }
    }
    let reasons = |report: &Report| -> Vec<Option<String>> {
        facts
            .iter()
            .map(|(id, _, _)| report.checks.iter().find(|check| check.id == *id).and_then(|check| check.reason.clone()))
            .collect()
    };
    // Same findings, the times' dates aside (the recorded start keeps whole seconds).
    let undated = |reasons: Vec<Option<String>>| -> Vec<Option<String>> {
        reasons
            .into_iter()
            .map(|reason| reason.map(|text| text.split(" (19").next().unwrap_or_default().to_owned()))
            .collect()
    };
    assert_eq!(undated(reasons(&again)), undated(reasons(&live)));
}

/// Payloads over 64 KiB are told apart by their whole digest, live and re-judged alike: twelve different long
/// heartbeats that share their head are no storm, twelve identical ones are — one finding, the same both ways.
#[test]
fn big_payloads_with_one_head_are_no_storm_live_and_again() {
    // A storm is a should: the run warns, and passes.
    let run = Cli::new()
        .args(["--mock", "--mock-fault", "big-event-storm", "--heartbeat-window", "1s", "--no-capabilities", "--quiet"])
        .reports("rejudge-big-storm")
        .run();
    run.code(exit::OK);
    let live = run.report();
    let dir = run.dir();
    Cli::new().args(["rejudge", dir.to_str().unwrap()]).run().code(exit::OK);
    let again = read_report(&dir.join("rejudged"));
    let storm = |report: &Report| {
        let check = report.checks.iter().find(|check| check.id == "events.no-storm").expect("events.no-storm");
        assert_eq!(check.verdict, Verdict::Warn, "{:?}", check.reason);
        check.reason.clone().unwrap_or_default()
    };
    let (said, again_said) = (storm(&live), storm(&again));
    assert!(said.contains("`heartbeat`") && said.contains("the same long heartbeat"), "{said}");
    assert!(!said.contains("findings"), "one storm, not the distinct payloads with one head: {said}");
    assert_eq!(again_said, said);
}

/// A new QR code after a Confirmed scan (the login only after a second scan) is found again in the recording:
/// `events.scan-to-login` warns live and re-judged, with the scan times.
#[test]
fn a_lost_confirmation_is_found_again_in_the_recording() {
    let (run, live) = recorded_with("rejudge-scan", &["confirmed-new-qr", "null-in-id-list"]);
    let dir = run.dir();
    Cli::new().args(["rejudge", dir.to_str().unwrap(), "--quiet"]).run().code(exit::FAILURE);
    let again = read_report(&dir.join("rejudged"));
    let check =
        |report: &Report| report.checks.iter().find(|check| check.id == "events.scan-to-login").cloned().unwrap();
    let (live, again) = (check(&live), check(&again));
    assert_eq!((live.verdict, again.verdict), (Verdict::Warn, Verdict::Warn));
    let said = |check: &puppet_lint::report::model::CheckReport| check.evidence.as_ref().unwrap().observed.clone();
    assert!(said(&again).contains("then a new QR code at +"), "{}", said(&again));
    assert_eq!(said(&live), said(&again), "the same finding, the same times");
}
