//! The real binary, as users and CI run it.

use std::time::Duration;

use puppet_lint::exit;
use puppet_lint::report::model::Verdict;
use puppet_lint::vocab::capability::Outcome;

use crate::support::{self, Cli, Scratch, verdict};

#[test]
fn help_teaches_commands_exit_codes_and_the_environment() {
    let ran = Cli::new().args(["--help"]).run();
    ran.code(0);
    for expected in
        ["doctor", "mock", "--token", "--heartbeat-window", "Exit codes:", "WECHATY_PUPPET_SERVICE_TOKEN", "130/143"]
    {
        ran.stdout_has(expected);
    }
    let mock = Cli::new().args(["mock", "--help"]).run();
    mock.code(0).stdout_has("no-echo").stdout_has("messages the bot sends never come back");
}

#[test]
fn usage_errors_exit_2() {
    Cli::new().args(["--heartbeat-window", "soon"]).run().code(exit::USAGE).stderr_has("not a duration");
    Cli::new().args(["--endpoint", "nowhere"]).run().code(exit::USAGE).stderr_has("expected HOST:PORT");
    Cli::new().run().code(exit::USAGE).stderr_has("no target");
}

#[test]
fn the_main_job_passes_on_the_built_in_mock_and_writes_every_report() {
    let ran = Cli::new().args(["--mock", "--heartbeat-window", "1s"]).reports("main-job").run();
    ran.code(exit::OK).stdout_has("events.ready").stdout_has("0 failed");
    for file in ["report.json", "junit.xml", "summary.md", "badge.svg", "badge.json"] {
        assert!(ran.dir().join(file).exists(), "{file}");
    }
    let report = ran.report();
    assert!(!report.partial);
    // Every conformance check passes; a capability the mock cannot show alone (it needs a person) is untested.
    for check in &report.checks {
        let untested = check.capability.as_ref().is_some_and(|row| row.outcome == Outcome::Untested);
        let verdict = if untested { Verdict::Skip } else { Verdict::Pass };
        assert_eq!(check.verdict, verdict, "the mock keeps every rule: {} {:?}", check.id, check.reason);
    }
    assert!(report.checks.iter().any(|check| check.capability.is_some()), "a run probes capabilities by default");
    assert!(
        report.checks.iter().any(|check| check.destructive),
        "--mock runs destructive checks: it has no real account"
    );
    let all = puppet_lint::suite::builtin().expect("the built-in suite").checks.len();
    ran.stdout_has(&format!("certification wechaty-puppet: level 2 (exemplary), {all}/{all}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn destructive_checks_run_against_a_real_target_only_when_asked() {
    let mock = support::mock(&[]).await;
    let endpoint = mock.address.to_string();
    let token = mock.token.clone();
    let ran = Cli::new()
        .args(["--endpoint", &endpoint, "--no-tls", "--token", &token, "--heartbeat-window", "1s", "--no-report"])
        .run_async()
        .await;
    ran.code(exit::OK)
        .stdout_has("- skip session.restore")
        .stdout_has("run with --allow-destructive")
        .stdout_has("no level (2 skipped check(s) were not shown to hold)");
    let selected = Cli::new()
        .args([
            "--endpoint",
            &endpoint,
            "--no-tls",
            "--token",
            &token,
            "--only",
            "events.*",
            "--heartbeat-window",
            "1s",
            "--no-report",
        ])
        .run_async()
        .await;
    let all = puppet_lint::suite::builtin().expect("the built-in suite").checks.len();
    selected.code(exit::OK).stdout_has(&format!("no level (only 14 of the suite's {all} checks were selected)"));
    mock.shutdown().await;
}

#[test]
fn a_broken_rule_exits_1_and_says_which() {
    let ran = Cli::new()
        .args(["--mock", "--mock-fault", "no-dong", "--heartbeat-window", "1s", "--timeout", "2s"])
        .reports("broken-rule")
        .run();
    ran.code(exit::FAILURE).stdout_has("✗ fail heartbeat.ding-dong").stdout_has("no `dong` event");
}

#[test]
fn list_and_schema_describe_the_suites() {
    let ran = Cli::new().args(["list"]).run();
    // Each check with what it asks of a provider, and when it runs.
    ran.code(0)
        .stdout_has("heartbeat.interval")
        .stdout_has("logout.cleanup")
        .stdout_has("what it asks")
        .stdout_has("The puppet emits at least one event every 60 seconds")
        .stdout_has("destructive");
    // One check in full: its requirement and its source, nothing else.
    let one = Cli::new().args(["list", "events.resubscribe"]).run();
    one.code(0)
        .stdout_has("events.resubscribe — ")
        .stdout_has("is accepted within 2 s")
        .stdout_has("https://wechaty.js.org/docs/specs/puppet#event-login");
    assert!(!one.stdout.contains("heartbeat.interval"), "{}", one.stdout);
    assert!(one.stdout.lines().all(|line| line == line.trim_end()), "no padding:\n{}", one.stdout);
    Cli::new()
        .args(["list", "events.resubscrib"])
        .run()
        .code(exit::USAGE)
        .stderr_has("no check matches `events.resubscrib`");
    let markdown = Cli::new().args(["list", "--format", "markdown", "--tag", "auth"]).run();
    markdown.code(0).stdout_has("| `auth.rejects-invalid-token` | must | **a wrong token is refused** — ");
    let json = Cli::new().args(["list", "--format", "json", "--tag", "session"]).run();
    let listed: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|check| check["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["session.restore", "logout.cleanup"]);
    Cli::new().args(["list", "--only", "nothing.*"]).run().code(exit::NOTHING_SELECTED);

    let schema: serde_json::Value = serde_json::from_str(&Cli::new().args(["schema"]).run().stdout).expect("JSON");
    assert_eq!(schema["title"], "puppet-lint suite (format 1)");
    assert!(schema["required"].as_array().unwrap().contains(&"checks".into()));
}

#[test]
fn nothing_selected_exits_4() {
    Cli::new()
        .args(["--mock", "--only", "no.such-check"])
        .run()
        .code(exit::NOTHING_SELECTED)
        .stderr_has("nothing selected");
}

#[test]
fn a_broken_suite_exits_2_with_its_location() {
    let dir = Scratch::new("broken-suite");
    let path = dir.join("broken.yaml");
    std::fs::write(&path, "format: 1\nsuite: b\nversion: '1'\ntitle: B\nchecks:\n  - id: b.c\n    title: t\n    requirement: r\n    level: must\n    steps:\n      - wait_for: { event: logn }\n").unwrap();
    let ran = Cli::new().args(["--mock", "--suite"]).arg_path(&path).run();
    ran.code(exit::USAGE).stderr_has("broken.yaml:11:28: check `b.c`: unknown event type `logn`");
}

/// A suite that is an alias bomb is stopped at once, in words, at its line and column.
#[test]
fn an_alias_bomb_suite_is_refused_in_words() {
    let dir = Scratch::new("bomb-suite");
    let path = dir.join("bomb.yaml");
    // One check of 3000 steps, named by an anchor, then that alias 100 times: 10 KiB that expands to 300 000 steps.
    let steps = vec!["{wait: {for: 1s}}"; 3000].join(",");
    let check = format!("  - &c {{id: b.c, title: t, requirement: r, level: must, steps: [{steps}]}}\n");
    let bomb = format!("format: 1\nsuite: b\nversion: '1'\ntitle: B\nchecks:\n{check}{}", "  - *c\n".repeat(100));
    std::fs::write(&path, bomb).unwrap();
    let ran = Cli::new().args(["--mock", "--no-report", "--suite"]).arg_path(&path).run();
    ran.code(exit::USAGE)
        .stderr_has("bomb.yaml:")
        .stderr_has("here expand to more than puppet-lint reads (an alias bomb");
    assert!(!ran.stderr.contains("Nodes {") && !ran.stderr.contains("budget breached"), "{}", ran.stderr);
}

#[test]
fn a_saved_report_renders_again_in_every_format() {
    let ran = Cli::new().args(["--mock", "--heartbeat-window", "1s", "--only", "events.*"]).reports("rerender").run();
    ran.code(0);
    let dir = ran.dir();
    let report = dir.join("report.json");
    for (format, marker) in [
        ("checklist", "passed"),
        ("junit", "<testsuites"),
        ("markdown", "| | Check |"),
        ("badge", "<svg"),
        ("badge-json", "schemaVersion"),
        ("json", "\"schema\": \"puppet-lint/report\""),
    ] {
        Cli::new().args(["report"]).arg_path(&report).args(["--format", format]).run().code(0).stdout_has(marker);
    }
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let again = Cli::new().args(["report"]).arg_path(&report).args(["--format", "junit"]).run();
    assert_eq!(again.stdout, junit, "re-rendered JUnit equals the one the run wrote");
    Cli::new().args(["report"]).arg_path(dir.join("junit.xml")).run().code(exit::USAGE).stderr_has("not JSON");
}

#[test]
fn baselines_accept_known_failures_and_flag_stale_ones() {
    let dir = Scratch::new("baseline");
    let baseline = dir.join("baseline.txt");
    // The budget is the fault's wait for a dong that never comes; it is generous enough that no other check runs
    // out of it on a loaded machine (with 2 s, `message.self-echo` once failed into the baseline and then passed).
    let faulty = ["--mock", "--mock-fault", "no-dong", "--heartbeat-window", "1s", "--timeout", "6s", "--no-report"];
    Cli::new().args(faulty).arg("--write-baseline").arg_path(&baseline).run().code(exit::OK);
    assert!(std::fs::read_to_string(&baseline).unwrap().contains("heartbeat.ding-dong\n"));
    // What follows is about reading a baseline, so it reads one whose content is known.
    std::fs::write(&baseline, "# known failures\nheartbeat.ding-dong\n").unwrap();
    Cli::new().args(faulty).arg("--baseline").arg_path(&baseline).run().code(exit::OK);
    Cli::new()
        .args(["--mock", "--heartbeat-window", "1s", "--no-report", "--baseline"])
        .arg_path(&baseline)
        .run()
        .code(exit::FAILURE)
        .stderr_has("heartbeat.ding-dong passes now: remove it from the baseline (stale)");
    Cli::new()
        .args([
            "--mock",
            "--mock-fault",
            "no-echo",
            "--heartbeat-window",
            "1s",
            "--timeout",
            "6s",
            "--no-report",
            "--baseline",
        ])
        .arg_path(&baseline)
        .run()
        .code(exit::FAILURE)
        .stderr_has("message.self-echo fails and is not in the baseline");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_exits_3_says_unauthenticated_and_never_shows_the_token() {
    let mock = support::mock(&[]).await;
    let endpoint = mock.address.to_string();
    let wrong = "insecure_wrong-token-0123456789abcdef";
    let ran = Cli::new().args(["--endpoint", &endpoint, "--no-tls", "--token", wrong, "--no-report"]).run_async().await;
    ran.code(exit::UNREACHABLE).stdout_has("UNAUTHENTICATED").never_shows(wrong).never_shows("0123456789abcdef");
    let doctor = Cli::new().args(["doctor", "--endpoint", &endpoint, "--no-tls", "--token", wrong]).run_async().await;
    doctor.code(exit::UNREACHABLE).stdout_has("✗ auth").stdout_has("UNAUTHENTICATED").never_shows(wrong);
    // From the environment too, and the report files keep it secret as well.
    let ran = Cli::new()
        .env("WECHATY_PUPPET_SERVICE_ENDPOINT", &endpoint)
        .env("WECHATY_PUPPET_SERVICE_TOKEN", wrong)
        .env("WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT", "true")
        .reports("wrong-token")
        .run_async()
        .await;
    ran.code(exit::UNREACHABLE).never_shows(wrong);
    for file in ["report.json", "junit.xml", "summary.md", "badge.svg", "badge.json"] {
        let text = std::fs::read_to_string(ran.dir().join(file)).unwrap();
        assert!(!text.contains(wrong) && !text.contains("0123456789abcdef"), "{file} shows the token");
    }
    mock.shutdown().await;
}

#[test]
fn an_unreachable_service_exits_3_with_what_to_try() {
    let endpoint = support::free_address();
    let ran = Cli::new().args(["--endpoint", &endpoint, "--no-tls", "--token", "a_b", "--no-report"]).run();
    ran.code(exit::UNREACHABLE).stdout_has("setup failed").stdout_has("cannot connect");
    let doctor = Cli::new().args(["doctor", "--endpoint", &endpoint, "--no-tls", "--token", "a_b"]).run();
    doctor.code(exit::UNREACHABLE).stdout_has("✗ tcp").stdout_has("→ check that the service is running");
}

#[test]
fn a_service_that_never_answers_is_given_up_on_at_the_deadline() {
    // Accepts connections and says nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let started = std::time::Instant::now();
    let ran = Cli::new()
        .args(["--endpoint", &endpoint, "--no-tls", "--token", "a_b", "--rpc-timeout", "1s", "--no-report"])
        .deadline(Duration::from_secs(20))
        .run();
    ran.code(exit::UNREACHABLE).stdout_has("setup failed");
    assert!(started.elapsed() < Duration::from_secs(15), "gave up in {:?}", started.elapsed());
}

#[test]
fn ctrl_c_mid_run_writes_a_partial_report() {
    let running = Cli::new().args(["--mock", "--heartbeat-window", "30s"]).reports("interrupted").spawn();
    // Once some check has passed (the partial report says so).
    running.wait_for_a_passed_check();
    running.signal("INT");
    let ran = running.finish();
    ran.code(130).stderr_has("SIGINT");
    let report = ran.report();
    assert!(report.partial);
    assert_eq!(report.interrupted_by.as_deref(), Some("SIGINT"));
    assert!(report.checks.iter().any(|check| check.verdict == Verdict::Pass), "what finished is kept");
    assert!(report.checks.iter().any(|check| check.id == "heartbeat.interval" && check.verdict == Verdict::Error));
    let junit = std::fs::read_to_string(ran.dir().join("junit.xml")).unwrap();
    roxmltree::Document::parse(&junit).expect("junit.xml is whole");
    assert!(junit.contains("interrupted"));
}

#[test]
fn doctor_walks_every_step_on_the_mock() {
    let ran = Cli::new().args(["doctor", "--mock"]).run();
    ran.code(exit::OK);
    for step in ["✓ tcp", "✓ auth", "✓ version", "✓ event stream", "✓ login", "all good"] {
        ran.stdout_has(step);
    }
}

#[test]
fn the_markdown_summary_is_appended_to_the_github_step_summary() {
    let dir = Scratch::new("step-summary");
    let summary = dir.join("step-summary.md");
    std::fs::write(&summary, "earlier steps\n").unwrap();
    let ran = Cli::new()
        .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
        .args(["--mock", "--heartbeat-window", "1s", "--only", "heartbeat.*"])
        .reports("step-summary-reports")
        .run();
    ran.code(exit::OK).stderr_has("summary appended to");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier steps\n## Wechaty Puppet Service conformance"), "{text}");
    assert!(text.contains("| ✅ | `heartbeat.ding-dong` |"), "{text}");
}

#[test]
fn a_deadline_keeps_every_verdict_that_finished_and_marks_the_rest() {
    // The checks that do not watch the window take a few seconds: 10 s leave
    // them room on a busy machine, and the window is far longer.
    let ran = Cli::new()
        .args(["--mock", "--no-capabilities", "--heartbeat-window", "60s", "--deadline", "10s"])
        .reports("deadline")
        .run();
    ran.code(exit::UNREACHABLE);
    let report = ran.report();
    assert!(report.partial);
    assert_eq!(report.interrupted_by.as_deref(), Some("the run deadline (10s)"));
    for check in &report.checks {
        // Only the checks that watch the 60 s window were still running.
        let expected = if support::WATCHING.contains(&check.id.as_str()) {
            Verdict::Error
        } else if check.destructive || support::LATE.contains(&check.id.as_str()) {
            // Destructive checks and those that judge the whole recording
            // come last: the deadline passed before they started.
            Verdict::Skip
        } else {
            Verdict::Pass
        };
        assert_eq!(check.verdict, expected, "{}: {:?}", check.id, check.reason);
    }
}

/// The checks that need the service to themselves (they reopen the stream, or time a dong during a transfer) run
/// inside the heartbeat window, once the others only watch — not after it: a run costs its window.
#[test]
fn the_checks_that_run_alone_run_inside_the_window_and_alone() {
    let ran = Cli::new().args(["--mock", "--heartbeat-window", "8s"]).reports("alone-inside").run();
    ran.code(exit::OK);
    let report = ran.report();
    let check = |id: &str| report.checks.iter().find(|check| check.id == id).expect(id);
    let watch = check("heartbeat.interval");
    let window_ends = watch.started_ms + 8_000;
    let alone = ["filebox.ding-during-transfer", "events.resubscribe"];
    for id in alone {
        let alone = check(id);
        assert!(alone.started_ms + alone.duration_ms < window_ends, "{id} ran after the window: {alone:?}");
        // The checks that only exchange with the service (sends, transfers, a ding) were over before it began.
        let exchanging =
            ["filebox.big-file-by-uuid", "filebox.large-roundtrip", "filebox.stream-name", "heartbeat.ding-dong"];
        for other in exchanging.iter().map(|id| check(id)) {
            assert!(
                other.started_ms + other.duration_ms <= alone.started_ms,
                "{} ({}..{} ms) overlapped {id} (from {} ms)",
                other.id,
                other.started_ms,
                other.started_ms + other.duration_ms,
                alone.started_ms
            );
        }
    }
    let (first, second) = (check(alone[0]), check(alone[1]));
    assert!(
        first.started_ms + first.duration_ms <= second.started_ms
            || second.started_ms + second.duration_ms <= first.started_ms,
        "the two ran at once: {first:?} {second:?}"
    );
}

#[test]
fn timeout_is_the_suites_default_unless_the_run_sets_one() {
    let dir = Scratch::new("timeout-variable");
    let suite = dir.join("timeout.yaml");
    std::fs::write(
        &suite,
        "format: 1\nsuite: t\nversion: '1'\ntitle: T\ndefaults:\n  timeout: 5m\nchecks:\n  - id: t.timeout\n    title: t\n    requirement: r\n    level: must\n    steps:\n      - assert: { that: \"${timeout}\", equals: 5m }\n",
    )
    .unwrap();
    Cli::new().args(["--mock", "--no-report", "--suite"]).arg_path(&suite).run().code(exit::OK);
    let ran = Cli::new().args(["--mock", "--no-report", "--timeout", "7s", "--suite"]).arg_path(&suite).run();
    // The value, not the template: `timeout is "7s"`.
    ran.code(exit::FAILURE).stdout_has("timeout is \"7s\"").stdout_has("timeout equals \"5m\"");
}

/// A wait that begins with the check's budget spent is a timeout, not the provider's failure (the service had
/// no time to answer) — for an event, a message and a count alike; a wait the budget shortened but left time to
/// is judged on that time, and one that ends on its own still fails.
#[test]
fn a_wait_the_budget_left_no_time_is_a_timeout_not_a_failure() {
    let dir = Scratch::new("budget-cut");
    let suite = dir.join("budget.yaml");
    let check = |id: &str, level: &str, timeout: &str, steps: &[&str]| {
        let steps: String = steps.iter().map(|step| format!("      - {step}\n")).collect();
        format!(
            "  - id: t.{id}\n    title: {id}\n    requirement: r\n    level: {level}\n    timeout: {timeout}\n    \
             steps:\n{steps}"
        )
    };
    let spend = "wait: { for: 2s }";
    let checks = [
        check("event-starved", "must", "1s", &[spend, "wait_for: { event: friendship, within: 30s }"]),
        check(
            "message-starved",
            "must",
            "1s",
            &[spend, "wait_message: { text: \"never-said-${nonce}\", within: 30s }"],
        ),
        check("count-starved", "should", "1s", &[spend, "expect_count: { event: friendship, for: 30s, at_least: 1 }"]),
        check("event-shortened", "must", "1s", &["wait_for: { event: friendship, within: 30s }"]),
        check("event-own", "must", "20s", &["wait_for: { event: friendship, within: 500ms }"]),
        check("count-own", "must", "20s", &["expect_count: { event: room-join, for: 500ms, at_least: 1 }"]),
    ];
    std::fs::write(&suite, format!("format: 1\nsuite: t\nversion: '1'\ntitle: T\nchecks:\n{}", checks.concat()))
        .unwrap();
    let ran = Cli::new().args(["--mock", "--no-capabilities", "--suite"]).arg_path(&suite).reports("budget-cut").run();
    ran.code(exit::FAILURE);
    let report = ran.report();
    for (id, wanted) in [
        ("t.event-starved", "no `friendship` event within"),
        ("t.message-starved", "did not come back within"),
        ("t.count-starved", "only 0 `friendship` event"),
    ] {
        let check = report.checks.iter().find(|check| check.id == id).unwrap();
        let reason = check.reason.clone().unwrap_or_default();
        assert_eq!(check.verdict, Verdict::Timeout, "{id}: {reason}");
        assert!(
            reason.starts_with("did not finish within its 1s budget: it was spent before a wait"),
            "{id}: {reason}"
        );
        assert!(reason.contains(wanted), "{id}: {reason}");
        assert!(check.evidence.is_some(), "{id}: the wait's evidence is kept");
    }
    for id in ["t.event-shortened", "t.event-own", "t.count-own"] {
        assert_eq!(verdict(&report, id), Verdict::Fail, "{id}");
    }
}

#[test]
fn completions_are_generated_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef puppet-lint"),
        ("fish", "complete -c puppet-lint"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let ran = Cli::new().args(["completions", shell]).run();
        ran.code(exit::OK).stdout_has(marker).stdout_has("matrix");
    }
    Cli::new().args(["completions", "tcsh"]).run().code(exit::USAGE);
}

/// Bash completes inside subcommands too (clap_complete's script for a
/// hyphenated name does not, clap-rs/clap#6421: puppet-lint mends it).
#[test]
fn bash_completes_a_subcommands_flags_and_values() {
    let script = Cli::new().args(["completions", "bash"]).run().stdout.clone();
    let dir = Scratch::new("completions");
    let path = dir.join("puppet-lint.bash");
    std::fs::write(&path, script).unwrap();
    let complete = |words: &str| -> String {
        let probe = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
             _puppet__lint puppet-lint \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             echo \"${{COMPREPLY[*]}}\"",
            path.display()
        );
        let out = std::process::Command::new("bash").args(["-c", &probe]).output().expect("bash runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(complete("puppet-lint doctor --st").contains("--step-timeout"), "{}", complete("puppet-lint doctor --st"));
    assert!(
        complete("puppet-lint list --format ''").contains("markdown"),
        "{}",
        complete("puppet-lint list --format ''")
    );
    assert!(complete("puppet-lint --col").contains("--color"));
}

#[test]
fn a_scan_is_drawn_as_a_qr_code_in_a_terminal_and_a_url_in_logs() {
    use puppet_lint::report::look::scan_lines;
    let url = "https://login.weixin.qq.com/l/puppet-lint-test";
    let drawn = scan_lines("Waiting", Some(url), true);
    assert!(drawn.contains('█') || drawn.contains('▀') || drawn.contains('▄'), "{drawn}");
    assert!(drawn.lines().count() > 10, "a QR code takes many lines");
    assert!(drawn.ends_with(&format!("waiting for login: Waiting — scan {url}")), "{drawn}");
    let logged = scan_lines("Waiting", Some(url), false);
    assert_eq!(logged, format!("waiting for login: Waiting — scan {url}"));
    assert_eq!(scan_lines("Confirmed", None, true), "waiting for login: Confirmed");
}

/// A report directory that cannot be written is refused before anything runs:
/// the run records its events there and reads them back, so verdicts would be
/// wrong. Both one target and several.
#[test]
fn an_unwritable_report_directory_is_refused_at_once() {
    let dir = Scratch::new("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let started = std::time::Instant::now();
    let ran = Cli::new().args(["--mock", "--heartbeat-window", "1s", "--report-dir"]).arg_path(&file).run();
    ran.code(exit::USAGE).stderr_has("cannot write the reports to").stderr_has("--no-report");
    let several = Cli::new()
        .args(["--endpoint", "127.0.0.1:1", "--endpoint", "127.0.0.1:2", "--no-tls", "--report-dir"])
        .arg_path(&file)
        .run();
    several.code(exit::USAGE).stderr_has("cannot write the reports to");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
}

/// A failed setup says once which checks did not run, not one paragraph each.
#[test]
fn checks_not_run_for_one_reason_are_told_once() {
    let endpoint = support::free_address();
    let ran =
        Cli::new().args(["--endpoint", &endpoint, "--no-tls", "--token", "insecure_abcdefghij", "--no-report"]).run();
    ran.code(exit::UNREACHABLE).stdout_has("checks — not run: no session with the service (see setup)");
    assert_eq!(ran.stdout.matches("not run: no session with the service (see setup)").count(), 1, "{}", ran.stdout);
    ran.stdout_has("capabilities — 50 rows, none probed: their checks were not run (above)");
}

/// A CA file that holds no certificate is the user's to fix: a usage error
/// before anything connects, not an unreachable service.
#[test]
fn a_ca_file_that_is_no_certificate_is_a_usage_error() {
    let dir = Scratch::new("bad-ca");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, "this is not a certificate").unwrap();
    let ran = Cli::new()
        .args(["--endpoint", "127.0.0.1:1", "--token", "insecure_abcdefghij", "--no-report", "--tls-ca-cert"])
        .arg_path(&ca)
        .run();
    ran.code(exit::USAGE).stderr_has("no PEM certificate");
}

/// A failed assertion shows the value with its unit, not the template: `again.slot_ms is 3 ms`, never `${…}`.
#[test]
fn a_failed_assertion_shows_the_value_with_its_unit() {
    let dir = Scratch::new("assert-units");
    let suite = dir.join("units.yaml");
    std::fs::write(
        &suite,
        "format: 1\nsuite: u\nversion: '1'\ntitle: U\nchecks:\n  - id: u.slot\n    title: t\n    requirement: r\n    level: must\n    steps:\n      - resubscribe: { capture: again }\n      - assert: { that: \"${again.slot_ms}\", at_most: \"-1000\" }\n",
    )
    .unwrap();
    let ran = Cli::new()
        .args(["--mock", "--heartbeat-window", "1s", "--suite"])
        .arg_path(&suite)
        .reports("assert-units")
        .run();
    ran.code(exit::FAILURE);
    let check = ran.report().checks.into_iter().find(|check| check.id == "u.slot").expect("the check");
    let shown = format!("{:?} {}", check.reason, ran.stdout);
    assert!(!shown.contains("${"), "no template is shown: {shown}");
    let observed = format!("{:?}", check.evidence);
    let everything = format!("{shown} {observed}");
    assert!(regex_like(&everything, "again.slot_ms is ", " ms"), "{everything}");
    assert!(everything.contains("again.slot_ms is at most -1000 ms"), "{everything}");
}

/// Whether `text` has `before`, digits, then `after`.
fn regex_like(text: &str, before: &str, after: &str) -> bool {
    text.match_indices(before).any(|(at, _)| {
        let rest = &text[at + before.len()..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with(after)
    })
}
