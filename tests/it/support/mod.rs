//! Shared by the integration tests: the real binary with a deadline, the
//! in-process mock, and a run of the engine against it.
#![allow(dead_code)]

pub mod http;
pub mod node;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use puppet_lint::config::{Address, Endpoint, Target};
use puppet_lint::config::{RunConfig, Settings, TargetChoice, Timeouts};
use puppet_lint::engine::{Run, Stop};
use puppet_lint::events::{Fanout, Observer, Silent};
use puppet_lint::mock::{Fault, MockOptions, MockServer};
use puppet_lint::report::model::{Report, Verdict};
use puppet_lint::report::writer::ReportWriter;
use puppet_lint::suite::Planned;

/// `puppet-lint` as a user runs it, killed if it outlives its deadline.
pub struct Cli {
    command: Command,
    deadline: Duration,
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Cli {
    pub fn new() -> Cli {
        let mut command = Command::new(env!("CARGO_BIN_EXE_puppet-lint"));
        // Tests must not inherit a developer's target.
        for variable in [
            "WECHATY_PUPPET_SERVICE_TOKEN",
            "WECHATY_PUPPET_HOSTIE_TOKEN",
            "WECHATY_PUPPET_SERVICE_ENDPOINT",
            "WECHATY_PUPPET_HOSTIE_ENDPOINT",
            "WECHATY_PUPPET_SERVICE_AUTHORITY",
            "WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT",
            "WECHATY_PUPPET_SERVICE_TLS_CA_CERT",
            "WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME",
            "GITHUB_STEP_SUMMARY",
        ] {
            command.env_remove(variable);
        }
        command.env("NO_COLOR", "1").stdin(Stdio::null());
        Cli { command, deadline: Duration::from_secs(60) }
    }

    pub fn args<I, S>(mut self, args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Cli {
        self.command.env(name, value);
        self
    }

    pub fn deadline(mut self, deadline: Duration) -> Cli {
        self.deadline = deadline;
        self
    }

    pub fn spawn(mut self) -> Child {
        self.command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("puppet-lint starts")
    }

    pub fn run(self) -> Ran {
        let deadline = self.deadline;
        finish(self.spawn(), deadline)
    }

    /// Runs off the async runtime, so an in-process mock keeps serving.
    pub async fn run_async(self) -> Ran {
        tokio::task::spawn_blocking(move || self.run()).await.expect("the run finishes")
    }
}

/// Waits for a child, killing it at the deadline (a test must never hang).
pub fn finish(mut child: Child, deadline: Duration) -> Ran {
    use std::io::Read;
    let (mut out, mut err) = (child.stdout.take().expect("piped"), child.stderr.take().expect("piped"));
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            panic!("puppet-lint ran past its {deadline:?} deadline");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let code = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    });
    Ran { code, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() }
}

impl Ran {
    pub fn code(&self, expected: i32) -> &Ran {
        assert_eq!(self.code, expected, "exit code\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }

    pub fn stdout_has(&self, text: &str) -> &Ran {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn stderr_has(&self, text: &str) -> &Ran {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The checklist's table has a row for `id` with this verdict (`pass`, …).
    pub fn row(&self, id: &str, verdict: &str) -> &Ran {
        let found = self
            .stdout
            .lines()
            .any(|line| line.contains(&format!(" {verdict} ")) && line.split(['┆', '│']).any(|cell| cell.trim() == id));
        assert!(found, "no `{verdict}` row for {id}\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }

    /// Nothing anywhere shows `secret` in full.
    pub fn never_shows(&self, secret: &str) -> &Ran {
        assert!(!self.stdout.contains(secret), "stdout shows the token:\n{}", self.stdout);
        assert!(!self.stderr.contains(secret), "stderr shows the token:\n{}", self.stderr);
        self
    }
}

/// A loopback address nothing listens on yet.
pub fn free_address() -> String {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string()
}

/// A fresh directory under the target dir, for reports.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The mock, quick: heartbeats every 200 ms so a 1 s window judges it.
pub async fn mock(faults: &[Fault]) -> MockServer {
    MockServer::start(MockOptions {
        faults: faults.to_vec(),
        heartbeat_interval: Duration::from_millis(200),
        ..MockOptions::default()
    })
    .await
    .expect("mock starts")
}

pub fn target_of(mock: &MockServer) -> Target {
    Target {
        address: Address::Endpoint(Endpoint { host: "127.0.0.1".into(), port: mock.address.port() }),
        token: Some(mock.token.clone()),
        tls: None,
    }
}

/// Every built-in check against `target`, windows shortened: 1 s heartbeat
/// window, 3 s budgets.
pub async fn run_builtin(target: Target) -> Report {
    run_builtin_with(target, Duration::from_secs(1)).await
}

pub async fn run_builtin_with(target: Target, window: Duration) -> Report {
    run_builtin_in(target, window, None).await
}

/// As [`run_builtin_with`], recording the timeline to `dir`/timeline.jsonl.
pub async fn run_builtin_in(target: Target, window: Duration, dir: Option<&std::path::Path>) -> Report {
    let suites: Vec<_> = puppet_lint::suite::load_suites(&[]).expect("built-in suites load");
    let plan: Vec<Planned> = puppet_lint::suite::plan(&suites, &[], &[], &[], &[]);
    let config = RunConfig {
        target: TargetChoice::Given(target.clone()),
        timeouts: Timeouts { login: Duration::from_secs(5), ..Timeouts::default() },
        settings: Settings {
            window,
            timeout: Some(Duration::from_secs(3)),
            allow_destructive: true,
            peer_contact: None,
            login_timeout: Duration::from_secs(3),
            package: None,
        },
        suites,
        plan,
        selection: Default::default(),
        deadline: None,
        output: puppet_lint::cli::OutputArgs {
            report_dir: dir.map(std::path::Path::to_path_buf).unwrap_or_default(),
            no_report: dir.is_none(),
            ..Default::default()
        },
    };
    run_to_report(Run { config, target: Some(target), registry: None }, Arc::new(Silent), Stop::default()).await
}

/// Runs and returns the report the run's events build.
pub async fn run_to_report(run: Run, observer: Arc<dyn Observer>, stop: Stop) -> Report {
    let writer = Arc::new(ReportWriter::new(None));
    puppet_lint::engine::run::run(run, Arc::new(Fanout(vec![observer, writer.clone()])), stop).await;
    writer.report().expect("the run started")
}

pub fn verdict(report: &Report, id: &str) -> Verdict {
    report
        .checks
        .iter()
        .find(|check| check.id == id)
        .map(|check| check.verdict)
        .unwrap_or_else(|| panic!("no check {id}"))
}

/// `id: verdict` lines, for messages.
pub fn verdicts(report: &Report) -> String {
    report
        .checks
        .iter()
        .map(|check| format!("{}: {} {}", check.id, check.verdict.name(), check.reason.clone().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `insta::assert_snapshot!` into `tests/snapshots/<module>__<name>.snap`:
/// the names the snapshots had when each module was a test crate of its own
/// (`tests/matrix_browser.sh` reads one of them by that name).
macro_rules! snapshot {
    ($name:expr, $value:expr) => {{
        let module = module_path!().rsplit("::").next().unwrap_or_default();
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("{module}__{}", $name), $value);
        });
    }};
}
pub(crate) use snapshot;

/// Property tests: `default` cases, or `PROPTEST_CASES` when it is set. The
/// seeds of past failures are kept in `tests/<regressions>`, where they were
/// before the tests were one crate.
pub fn proptest_config(default: u32, regressions: &str) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, FileFailurePersistence};
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default);
    let path = format!("{}/tests/{regressions}", env!("CARGO_MANIFEST_DIR"));
    let persistence = FileFailurePersistence::Direct(Box::leak(path.into_boxed_str()));
    Config { cases, failure_persistence: Some(Box::new(persistence)), ..Config::default() }
}

/// The name of the test this process was started for alone, if it was (see
/// [`alone`]).
const ALONE: &str = "PUPPET_LINT_TEST_ALONE";

/// Runs the test `name` (its path, `module::test`) in a process of its own,
/// for a test that changes what the whole process does (the tokens
/// `redact::register` keeps for the life of the process): `true` in that
/// process, where the test does its work; elsewhere `false`, once the other
/// process passed.
pub fn alone(name: &str) -> bool {
    if std::env::var(ALONE).is_ok_and(|alone| alone == name) {
        return true;
    }
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args([name, "--exact", "--nocapture", "--test-threads", "1"])
        .env(ALONE, name)
        .stdin(Stdio::null())
        .output()
        .expect("the test binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{name}, alone:\n{text}");
    assert!(text.contains("1 passed"), "{name} ran alone:\n{text}");
    false
}
