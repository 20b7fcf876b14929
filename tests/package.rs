//! The spec's npm publication rules, on fixture packages: a conforming one,
//! and one per broken rule (fixtures/packages/).

mod support;

use puppet_lint::exit;
use puppet_lint::report::model::{Report, Verdict};
use support::{Cli, scratch};

fn check(fixture: &str) -> (i32, Report) {
    let dir = scratch(&format!("package-{fixture}"));
    let package = format!("{}/fixtures/packages/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let ran = Cli::new().args(["package", &package, "--report-dir", dir.to_str().unwrap()]).run();
    let report = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    (ran.code, report)
}

fn verdict_and_reason(report: &Report, id: &str) -> (Verdict, String) {
    let check = report.checks.iter().find(|check| check.id == id).unwrap();
    (check.verdict, check.reason.clone().unwrap_or_default())
}

/// `peer` / `example`: what each rule's check must say (None: it passes).
fn expect(fixture: &str, peer: Option<&str>, example: Option<&str>) {
    let (code, report) = check(fixture);
    for (id, expected) in [("package.peer-dependencies", peer), ("package.ding-dong-example", example)] {
        let (verdict, reason) = verdict_and_reason(&report, id);
        match expected {
            None => assert_eq!(verdict, Verdict::Pass, "{fixture}: {id}: {reason}"),
            Some(fragment) => {
                assert_eq!(verdict, Verdict::Fail, "{fixture}: {id}");
                assert!(reason.contains(fragment), "{fixture}: {id}: {reason:?} lacks {fragment:?}");
            }
        }
    }
    let wanted = if peer.is_none() && example.is_none() { exit::OK } else { exit::FAILURE };
    assert_eq!(code, wanted, "{fixture}");
}

#[test]
fn a_conforming_package_passes() {
    expect("conforming", None, None);
}

#[test]
fn wechaty_in_dependencies_fails() {
    expect("wechaty-in-dependencies", Some("`/dependencies/wechaty` is set, and must not be"), None);
}

#[test]
fn a_puppet_that_is_not_a_peer_dependency_fails() {
    expect(
        "puppet-not-a-peer-dependency",
        Some("`/peerDependencies/wechaty-puppet` is missing; `/dependencies/wechaty-puppet` is set"),
        None,
    );
}

#[test]
fn a_missing_dev_dependency_fails() {
    expect("missing-dev-dependency", Some("`/devDependencies/wechaty` is missing"), None);
}

#[test]
fn no_example_fails() {
    expect("no-example", None, Some("examples/ding-dong-bot.ts is missing"));
}

#[test]
fn an_example_on_wechaty_fails() {
    expect("example-imports-wechaty", None, Some("examples/ding-dong-bot.ts:4: it imports `wechaty`"));
}

#[test]
fn an_example_that_never_answers_dong_fails() {
    expect("example-never-answers-dong", None, Some("it never answers `dong`"));
}

#[test]
fn a_broken_package_json_is_a_clear_failure_with_its_location() {
    expect("broken-package-json", Some("package.json:5:3: not valid JSON: expected `,` or `}`"), None);
}

#[test]
fn no_package_json_is_a_clear_failure() {
    expect("no-package-json", Some("package.json is missing"), None);
}

#[test]
fn a_directory_that_is_not_there_is_a_usage_error() {
    Cli::new().args(["package", "/nonexistent/puppet"]).run().code(exit::USAGE).stderr_has("is not a directory");
}

#[test]
fn package_checks_join_a_run_with_package() {
    let dir = scratch("package-in-run");
    let package = format!("{}/fixtures/packages/wechaty-in-dependencies", env!("CARGO_MANIFEST_DIR"));
    let ran = Cli::new()
        .args(["--mock", "--heartbeat-window", "1s", "--package", &package, "--report-dir", dir.to_str().unwrap()])
        .run();
    ran.code(exit::FAILURE).stdout_has("✗ fail package.peer-dependencies");
    let report: Report = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let suites: Vec<&str> = report.suites.iter().map(|suite| suite.id.as_str()).collect();
    assert!(suites.contains(&"wechaty-puppet-package"), "{suites:?}");
    // Without --package the package suite is not part of a run at all.
    let plain = Cli::new().args(["--mock", "--heartbeat-window", "1s", "--no-report"]).run();
    assert!(!plain.stdout.contains("package."), "{}", plain.stdout);
}
