//! The harness against a provider that misbehaves at the wire: for every
//! misbehaviour of the mock (`src/mock/fault.rs`, `MISBEHAVIOURS`), the real
//! binary finishes in bounded time, never panics, exits with the code its
//! verdicts earn, and writes a report.json and a junit.xml that parse.
//!
//! Where today's wording is vague, the wording we want is a
//! `// TODO(#10): expect "…"` beside the assertion, ready to turn on.

mod support;

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use puppet_lint::exit;
use puppet_lint::mock::Fault;
use serde_json::Value;
use support::{Cli, Ran, free_address, scratch};

/// Generous: the harness has its own deadlines (2 s rpcs, 5 s login).
const BOUND: Duration = Duration::from_secs(45);

/// The flood takes both cores for a few seconds: it runs alone, the others
/// together.
static CORES: RwLock<()> = RwLock::new(());

const SHORT: &[&str] = &["--heartbeat-window", "2s", "--rpc-timeout", "2s", "--login-timeout", "5s"];

struct Outcome {
    fault: &'static str,
    ran: Ran,
    wall: Duration,
    report: Value,
    dir: PathBuf,
}

impl Outcome {
    /// Every check's reason, `id: verdict reason`.
    fn reasons(&self) -> Vec<String> {
        self.report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .map(|check| {
                format!(
                    "{}: {} {}",
                    check["id"].as_str().unwrap_or("?"),
                    check["verdict"].as_str().unwrap_or("?"),
                    check["reason"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    fn has_reason(&self, text: &str) -> &Outcome {
        assert!(
            self.reasons().iter().any(|reason| reason.contains(text)),
            "{}: no reason mentions {text:?}:\n{}",
            self.fault,
            self.reasons().join("\n")
        );
        self
    }

    fn verdict(&self, id: &str) -> String {
        self.report["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|check| check["id"] == id))
            .and_then(|check| check["verdict"].as_str())
            .unwrap_or_else(|| panic!("{}: no check {id}", self.fault))
            .to_owned()
    }

    /// `rpc` never answered. Today the words depend on which deadline fires
    /// first: ours ("got no answer within 2.0s") or the server's own
    /// enforcement of `grpc-timeout` (tonic answers CANCELLED "Timeout
    /// expired"); either way the line ends "(the service answered with an
    /// error; its logs may say why)".
    fn no_answer(&self, rpc: &str) -> &Outcome {
        let ours = format!("setup failed: {rpc} got no answer within 2.0s");
        let theirs = format!("setup failed: {rpc} failed with CANCELLED: Timeout expired");
        let stdout = &self.ran.stdout;
        assert!(stdout.contains(&ours) || stdout.contains(&theirs), "{}: {rpc} hung, but:\n{stdout}", self.fault);
        // TODO(#10): expect exactly "{rpc} did not answer within 2s (--rpc-timeout)", whichever deadline fired,
        // and never "(the service answered with an error; its logs may say why)" after it.
        self
    }

    fn code(&self, expected: i32) -> &Outcome {
        if self.ran.code == exit::UNREACHABLE && expected != exit::UNREACHABLE && self.restart_race() {
            eprintln!("{}: exit 3 from the known session.restore race, not from the misbehaviour", self.fault);
            return self;
        }
        self.ran.code(expected);
        self
    }

    /// A harness race seen about once in fifteen runs, with or without a
    /// fault: after `Stop`, the old stream's end (status OK, sent before
    /// Stop's reply) is read only after the new subscription, and
    /// session.restore errors with "the event stream ended while the check
    /// ran (the server closed it)" although that end was the one it asked
    /// for. Only that, and nothing else erring, is excused.
    // TODO(#10): expect no such error: the end of a stream the check itself stopped is not the server's doing.
    fn restart_race(&self) -> bool {
        let checks = self.report["checks"].as_array().expect("checks");
        let errors: Vec<&Value> = checks.iter().filter(|check| check["verdict"] == "error").collect();
        errors.len() == 1 && errors[0]["id"] == "session.restore" && self.restore_raced()
    }

    fn restore_raced(&self) -> bool {
        let checks = self.report["checks"].as_array().expect("checks");
        checks.iter().any(|check| {
            check["id"] == "session.restore"
                && check["verdict"] == "error"
                && check["reason"].as_str().is_some_and(|reason| {
                    reason.contains("the event stream ended while the check ran (the server closed it)")
                })
        })
    }

    /// Every file the run wrote, as text.
    fn files(&self) -> Vec<(PathBuf, String)> {
        std::fs::read_dir(&self.dir)
            .expect("the report dir")
            .map(|entry| entry.expect("an entry").path())
            .map(|path| {
                let text = String::from_utf8_lossy(&std::fs::read(&path).expect("readable")).into_owned();
                (path, text)
            })
            .collect()
    }
}

/// `puppet-lint --mock --mock-fault <fault>` with short windows, and what
/// every misbehaviour must leave behind.
fn run_mock(fault: &'static str, extra: &[&str]) -> Outcome {
    let _shared = CORES.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    run_mock_unlocked(fault, extra)
}

fn run_mock_unlocked(fault: &'static str, extra: &[&str]) -> Outcome {
    let dir = scratch(&format!("misbehaviour-{fault}"));
    let started = Instant::now();
    let ran = Cli::new()
        .args(["--mock", "--mock-fault", fault])
        .args(SHORT)
        .args(extra)
        .arg_path("--report-dir", &dir)
        .deadline(BOUND + Duration::from_secs(15))
        .run();
    settle(fault, ran, started.elapsed(), dir)
}

/// The checks every misbehaviour must pass.
fn settle(fault: &'static str, ran: Ran, wall: Duration, dir: PathBuf) -> Outcome {
    assert!(wall < BOUND, "{fault}: took {wall:?}");
    assert!(!ran.stderr.contains("panicked"), "{fault}: a panic\n{}", ran.stderr);
    assert!(!ran.stdout.contains("panicked"), "{fault}: a panic\n{}", ran.stdout);
    let report: Value = serde_json::from_str(&read(&dir.join("report.json"))).expect("report.json parses");
    let junit = read(&dir.join("junit.xml"));
    let document = roxmltree::Document::parse(&junit).expect("junit.xml parses");
    let cases = document.descendants().filter(|node| node.has_tag_name("testcase")).count();
    let checks = report["checks"].as_array().expect("checks").len();
    assert!(checks > 0, "{fault}: the report lists the checks");
    assert_eq!(cases, checks, "{fault}: one test case per check");
    assert_eq!(report["partial"], false, "{fault}: the final report, not the partial one");
    let outcome = Outcome { fault, ran, wall, report, dir };
    // For the record (`cargo test --test misbehaviour -- --nocapture`).
    eprintln!(
        "misbehaviour {fault}: {:.1}s, exit {}\n  {}",
        outcome.wall.as_secs_f64(),
        outcome.ran.code,
        outcome.reasons().join("\n  ")
    );
    outcome
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

trait ArgPath {
    fn arg_path(self, flag: &str, path: &Path) -> Self;
}

impl ArgPath for Cli {
    fn arg_path(self, flag: &str, path: &Path) -> Cli {
        self.args([flag.to_owned(), path.display().to_string()])
    }
}

#[test]
fn crash_ends_the_run_unreachable() {
    let outcome = run_mock("crash", &[]);
    outcome.code(exit::UNREACHABLE).has_reason("the event stream ended").has_reason("Connection refused");
    // TODO(#10): expect "the service went away" (connection refused after the stream ended), once, in the setup
    // or summary, instead of one error per check.
    // TODO(#10): logout.cleanup says "an earlier check logged it out or restarted it": expect "the service is
    // unreachable (connection refused)" — no earlier check did that, the service died.
    // TODO(#10): session.restore repeats itself: "Connection refused (os error 111) (Connection refused (os error
    // 111))"; expect it once.
}

/// The provider dies for good: `puppet-lint mock` killed mid-run.
#[test]
fn a_killed_provider_process_ends_the_run_unreachable() {
    let _shared = CORES.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let listen = free_address();
    let mut provider =
        Cli::new().args(["mock", "--listen", &listen, "--heartbeat-interval", "500ms"]).deadline(BOUND).spawn();
    wait_for(&listen);
    let dir = scratch("misbehaviour-killed");
    let started = Instant::now();
    let run = Cli::new()
        .args(["--endpoint", &listen, "--no-tls", "--token", puppet_lint::mock::DEFAULT_TOKEN])
        .args(SHORT)
        .arg_path("--report-dir", &dir)
        .spawn();
    std::thread::sleep(Duration::from_millis(1500));
    provider.kill().expect("the provider is killed");
    let _ = provider.wait();
    let ran = support::finish(run, BOUND + Duration::from_secs(15));
    let outcome = settle("killed", ran, started.elapsed(), dir);
    outcome.code(exit::UNREACHABLE);
    // TODO(#10): expect "the service went away" once, rather than each check's own wording.
}

#[test]
fn drop_stream_ends_the_run_unreachable() {
    let outcome = run_mock("drop-stream", &[]);
    outcome.code(exit::UNREACHABLE).has_reason("UNAVAILABLE: puppet-lint mock: the event stream is dropped");
    outcome.has_reason("the event stream is gone for good");
    // TODO(#10): expect "the event stream ended (UNAVAILABLE) and a new subscription was refused (UNAVAILABLE)".
}

#[test]
fn drop_stream_once_is_survived_by_resubscribing() {
    let outcome = run_mock("drop-stream-once", &[]);
    // Today: no re-subscription mid-run; the checks that were watching error, exit 3.
    outcome.code(exit::UNREACHABLE).has_reason("the event stream ended while the check ran (UNAVAILABLE");
    // TODO(#10): expect exit 0 — the official client re-subscribes, so a session should too — and a note
    // "the event stream ended (UNAVAILABLE) and was re-subscribed" in the timeline.
    // A new subscription works (or the known restart race, see `restart_race`).
    let restore = outcome.verdict("session.restore");
    assert!(restore == "pass" || outcome.restore_raced(), "session.restore: {restore}");
}

#[test]
fn hang_start_ends_the_run_unreachable() {
    let outcome = run_mock("hang-start", &[]);
    outcome.code(exit::UNREACHABLE).has_reason("not run: no session with the service");
    outcome.no_answer("Start");
    // TODO(#10): expect "Start did not answer within 2s (--rpc-timeout)": today the line goes on "(the service
    // answered with an error; its logs may say why)" — it did not answer at all; the deadline was ours.
}

#[test]
fn hang_all_ends_the_run_unreachable() {
    let outcome = run_mock("hang-all", &[]);
    outcome.code(exit::UNREACHABLE).has_reason("not run: no session with the service");
    outcome.no_answer("Version");
    // TODO(#10): expect "Version did not answer within 2s (--rpc-timeout)", not "the service answered with an error".
}

#[test]
fn slow_answers_past_the_rpc_timeout_end_the_run_unreachable() {
    let outcome = run_mock("slow", &[]);
    outcome.code(exit::UNREACHABLE).has_reason("not run: no session with the service");
    outcome.no_answer("Version");
    // TODO(#10): expect "Version did not answer within 2s (--rpc-timeout); a slower service needs a longer
    // --rpc-timeout".
}

#[test]
fn slow_answers_within_the_rpc_timeout_still_finish_in_time() {
    let outcome = run_mock("slow", &["--mock-slow-delay", "500ms"]);
    // Every answer is late, but within the 2 s deadline: the checks still judge.
    assert!([exit::OK, exit::FAILURE, exit::UNREACHABLE].contains(&outcome.ran.code), "{}", outcome.ran.stdout);
}

#[test]
fn a_flood_of_events_is_read_to_the_end() {
    let _alone = CORES.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    // 10000, not the default 200000: see the TODO below (each event costs the harness an rpc today).
    let outcome = run_mock_unlocked("flood", &["--mock-flood-count", "10000"]);
    outcome.code(exit::OK);
    let size = std::fs::metadata(outcome.dir.join("report.json")).expect("report.json").len();
    eprintln!("flood: report.json is {size} bytes");
    // TODO(#10): with the default 200000 events, expect exit 0 well within a minute. Today (debug build) about
    // one run in two ends after ~69 s with exit 1: filebox.mime-extension (check_received_files) sends one
    // MessagePayload per `message` event in the timeline, one after another, and times out ("did not finish
    // within its 1m budget"); the other runs take ~7 s.
    // TODO(#10): expect report.json under 5 MB: today the timeline keeps every flood event (200000 make ~37 MB).
}

#[test]
fn a_huge_payload_is_shown_cut_short() {
    let outcome = run_mock("huge-payload", &[]);
    outcome.code(exit::OK);
    for (path, text) in outcome.files() {
        assert!(
            text.len() < 1 << 20,
            "{} is {} bytes: an 8 MiB payload is not shown whole",
            path.display(),
            text.len()
        );
    }
    // TODO(#10): expect a warning that an event payload (8 MiB) and a message text (8 MiB) exceed a sane size.
}

#[test]
fn garbage_payloads_do_not_break_the_run() {
    let outcome = run_mock("garbage-payloads", &[]);
    outcome.code(exit::OK);
    // TODO(#10): expect findings for what the stream carried: "a message event whose payload is not JSON",
    // "messageId is a number, not a string", "unknown event type 99 / -1", "an empty messageId", "a lone surrogate
    // (\ud800)", "message type 2147483647 is not a wechaty-puppet MessageType". Today all checks pass silently.
}

#[test]
fn control_characters_never_reach_the_terminal_or_the_reports() {
    let outcome = run_mock("control-chars", &[]);
    outcome.code(exit::OK);
    let raw = ['\u{1b}', '\u{7}', '\u{8}', '\u{9b}', '\0'];
    for (name, text) in [("stdout", &outcome.ran.stdout), ("stderr", &outcome.ran.stderr)] {
        assert!(!text.contains(raw), "{name} carries a raw control character:\n{text:?}");
    }
    for (path, text) in outcome.files() {
        // report.json keeps the C1 CSI (U+009B) raw: valid JSON, but `cat report.json` hands it to the terminal.
        // TODO(#10): expect no raw U+009B in report.json either (written "\u009b").
        let allowed: &[char] = if path.ends_with("report.json") { &['\u{9b}'] } else { &[] };
        let found = text.chars().find(|c| raw.contains(c) && !allowed.contains(c));
        assert!(found.is_none(), "{} carries a raw control character {found:?}", path.display());
    }
    // The version is shown, escaped.
    outcome.ran.stdout_has("puppet-lint-mock/").stdout_has("\\u{001b}[31m");
}

/// A provider that echoes the token it was sent: the token still never shows.
#[test]
fn an_echoed_token_is_never_shown() {
    let _shared = CORES.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let token = format!("insecure_{}", uuid::Uuid::new_v4());
    let listen = free_address();
    let mut provider = Cli::new()
        .args([
            "mock",
            "--listen",
            &listen,
            "--token",
            &token,
            "--fault",
            "token-echo",
            "--heartbeat-interval",
            "500ms",
        ])
        .deadline(BOUND)
        .spawn();
    wait_for(&listen);
    let dir = scratch("misbehaviour-token-echo");
    let started = Instant::now();
    let ran = Cli::new()
        .args(["--endpoint", &listen, "--no-tls", "--token", &token])
        .args(SHORT)
        .arg_path("--report-dir", &dir)
        .run();
    let _ = provider.kill();
    let _ = provider.wait();
    let outcome = settle("token-echo", ran, started.elapsed(), dir);
    // Any token is accepted: the auth check fails, the rest pass.
    outcome.code(exit::FAILURE);
    assert_eq!(outcome.verdict("auth.rejects-invalid-token"), "fail");
    outcome.ran.never_shows(&token);
    for (path, text) in outcome.files() {
        assert!(!text.contains(&token), "{} shows the token", path.display());
    }
}

/// Every misbehaviour has its test here.
#[test]
fn every_misbehaviour_is_tested() {
    let source = include_str!("misbehaviour.rs");
    for fault in Fault::misbehaviours() {
        let name = fault.name();
        assert!(
            source.contains(&format!("run_mock(\"{name}\""))
                || source.contains(&format!("run_mock_unlocked(\"{name}\""))
                || source.contains(&format!("settle(\"{name}\"")),
            "no test for misbehaviour {name}"
        );
    }
}

fn wait_for(address: &str) {
    let started = Instant::now();
    while std::net::TcpStream::connect(address).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the mock listens on {address}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
