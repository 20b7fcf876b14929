//! Shared by the integration tests: the real binary with a deadline
//! ([`Cli`], [`Running`], [`Ran`]), a directory each test owns ([`Scratch`]),
//! the in-process mock and a run of the engine against it ([`Engine`]),
//! reading reports, and waiting for what can be seen instead of sleeping
//! ([`wait_until`]).

pub mod http;
pub mod inert;
pub mod leak;
pub mod node;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use puppet_lint::config::{Address, Endpoint, Target};
use puppet_lint::config::{RunConfig, Settings, TargetChoice, Timeouts};
use puppet_lint::engine::{Run, Stop};
use puppet_lint::events::{Fanout, Observer, RunEvent};
use puppet_lint::mock::{Fault, MockOptions, MockServer};
use puppet_lint::report::model::{Report, Verdict};
use puppet_lint::report::writer::ReportWriter;
use puppet_lint::suite::Planned;

/// How long a wait for something that must come may take before the test
/// fails: long, since a busy machine is slow, and a wait ends as soon as
/// what it waits for is there.
pub const PATIENCE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------- the binary

/// `puppet-lint` as a user runs it, killed if it outlives its deadline.
pub struct Cli {
    command: Command,
    deadline: Duration,
    reports: Option<Scratch>,
}

/// The binary under test, linked aside at first use and run from there:
/// `cargo test` lets go of the target directory while the tests run, and a
/// build from another checkout sharing it (`CARGO_TARGET_DIR`) would put
/// its own `puppet-lint` in its place under them.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let built = Path::new(env!("CARGO_BIN_EXE_puppet-lint"));
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let prefix = "puppet-lint-under-test-";
        // Those of test runs that are over (a link keeps an old build alive).
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.strip_prefix(prefix).is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let aside = dir.join(format!("{prefix}{}", std::process::id()));
        let _ = std::fs::remove_file(&aside);
        match std::fs::hard_link(built, &aside).or_else(|_| std::fs::copy(built, &aside).map(drop)) {
            Ok(()) => aside,
            Err(_) => built.to_owned(),
        }
    })
}

impl Cli {
    pub fn new() -> Cli {
        let mut command = Command::new(binary());
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
        Cli { command, deadline: Duration::from_secs(60), reports: None }
    }

    pub fn args<I, S>(mut self, args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn arg(self, arg: &str) -> Cli {
        self.args([arg])
    }

    pub fn arg_path(self, path: impl AsRef<Path>) -> Cli {
        self.args([path.as_ref()])
    }

    pub fn env(mut self, name: &str, value: &str) -> Cli {
        self.command.env(name, value);
        self
    }

    pub fn deadline(mut self, deadline: Duration) -> Cli {
        self.deadline = deadline;
        self
    }

    /// `--report-dir` a fresh directory, owned by the run ([`Running::dir`],
    /// [`Ran::dir`], [`Ran::report`]) and removed with it.
    pub fn reports(mut self, name: &str) -> Cli {
        let dir = Scratch::new(name);
        self.command.arg("--report-dir").arg(dir.path());
        self.reports = Some(dir);
        self
    }

    /// Starts it; its output is read as it comes ([`Running::wait_for_stderr`]).
    pub fn spawn(mut self) -> Running {
        let mut child = self.command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("puppet-lint starts");
        let (stdout, stdout_reader) = collect(child.stdout.take().expect("piped"));
        let (stderr, stderr_reader) = collect(child.stderr.take().expect("piped"));
        Running {
            child,
            deadline: self.deadline,
            started: Instant::now(),
            stdout,
            stderr,
            readers: vec![stdout_reader, stderr_reader],
            reports: self.reports,
        }
    }

    pub fn run(self) -> Ran {
        self.spawn().finish()
    }

    /// Runs off the async runtime, so an in-process mock keeps serving.
    pub async fn run_async(self) -> Ran {
        tokio::task::spawn_blocking(move || self.run()).await.expect("the run finishes")
    }
}

/// What a process has written so far.
type Collected = Arc<Mutex<Vec<u8>>>;

/// Reads `from` to its end on a thread of its own, so that the process never
/// blocks on a full pipe.
fn collect(mut from: impl Read + Send + 'static) -> (Collected, JoinHandle<()>) {
    let collected = Collected::default();
    let into = collected.clone();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(read @ 1..) = from.read(&mut buffer) {
            into.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend_from_slice(&buffer[..read]);
        }
    });
    (collected, reader)
}

fn text_of(collected: &Collected) -> String {
    String::from_utf8_lossy(&collected.lock().unwrap_or_else(|poisoned| poisoned.into_inner())).into_owned()
}

/// A `puppet-lint` process under way: killed if dropped before it finished.
pub struct Running {
    child: Child,
    deadline: Duration,
    started: Instant,
    stdout: Collected,
    stderr: Collected,
    readers: Vec<JoinHandle<()>>,
    reports: Option<Scratch>,
}

impl Running {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The report directory [`Cli::reports`] gave it.
    pub fn dir(&self) -> &Path {
        self.reports.as_ref().expect("Cli::reports gave it a report directory")
    }

    /// Sends `kill -<signal>` (`INT`, `TERM`, `STOP`, `CONT`).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([&format!("-{signal}"), &self.id().to_string()]).status();
        assert!(status.expect("kill runs").success(), "kill -{signal}");
    }

    /// Until its stdout shows `text`; what it wrote so far.
    pub fn wait_for_stdout(&self, text: &str) -> String {
        wait_until(&format!("stdout shows {text:?}"), PATIENCE, || text_of(&self.stdout).contains(text));
        text_of(&self.stdout)
    }

    /// Until its stderr shows `text`.
    pub fn wait_for_stderr(&self, text: &str) {
        wait_until(&format!("stderr shows {text:?}"), PATIENCE, || text_of(&self.stderr).contains(text));
    }

    /// Until a check has passed: the report its run keeps up to date in its
    /// report directory says so. The run is under way, past its setup.
    pub fn wait_for_a_passed_check(&self) {
        let report = self.dir().join("report.json");
        let passed = |text: String| text.contains("\"verdict\": \"pass\"") || text.contains("\"verdict\":\"pass\"");
        wait_until("a check passes", PATIENCE, || std::fs::read_to_string(&report).is_ok_and(passed));
    }

    /// Waits for it to end, killing it at its deadline (a test must never
    /// hang), and returns what it wrote.
    pub fn finish(mut self) -> Ran {
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                break status;
            }
            if self.started.elapsed() > self.deadline {
                let _ = self.child.kill();
                panic!("puppet-lint ran past its {:?} deadline\n--- stderr\n{}", self.deadline, text_of(&self.stderr));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let code = status.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        });
        Ran { code, stdout: text_of(&self.stdout), stderr: text_of(&self.stderr), reports: self.reports.take() }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().is_ok_and(|status| status.is_none()) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    reports: Option<Scratch>,
}

impl Ran {
    pub fn code(&self, expected: i32) -> &Ran {
        // The verdicts that are not passes first: a CI log cuts a long checklist before its end.
        let verdicts = ["fail ", "timeout ", "error ", "warn "];
        let findings: Vec<&str> = self
            .stdout
            .lines()
            .filter(|line| line.split_once(' ').is_some_and(|(_, rest)| verdicts.iter().any(|v| rest.starts_with(v))))
            .collect();
        assert_eq!(
            self.code,
            expected,
            "exit code\n--- findings\n{}\n--- stdout\n{}\n--- stderr\n{}",
            findings.join("\n"),
            self.stdout,
            self.stderr
        );
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

    pub fn stdout_lacks(&self, text: &str) -> &Ran {
        assert!(
            !self.stdout.contains(text),
            "stdout has {text:?}\n--- stdout\n{}\n--- stderr\n{}",
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

    /// The report directory [`Cli::reports`] gave the run.
    pub fn dir(&self) -> &Path {
        self.reports.as_ref().expect("Cli::reports gave it a report directory")
    }

    /// The run's report.json.
    pub fn report(&self) -> Report {
        read_report(self.dir())
    }
}

// ---------------------------------------------------------------- files

/// A fresh directory under the target dir, removed when dropped — kept when
/// the test fails, to be looked at.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!("{name}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(unique);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept {} (the test failed)", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// `fixtures/`, where the test peers and the hand-written inputs are.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// `report.json` in `dir`.
pub fn read_report(dir: &Path) -> Report {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: not a report: {error}", path.display()))
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

// ---------------------------------------------------------------- waiting

/// Polls `ready` until it holds; after `within`, the test fails, naming `what`.
pub fn wait_until(what: &str, within: Duration, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < within, "waited {within:?} for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// [`wait_until`] on the async runtime, which keeps serving meanwhile.
pub async fn eventually(what: &str, within: Duration, mut ready: impl AsyncFnMut() -> bool) {
    let started = tokio::time::Instant::now();
    while !ready().await {
        assert!(started.elapsed() < within, "waited {within:?} for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Until something accepts connections at `address`.
pub fn wait_for_listener(address: &str) {
    wait_until(&format!("something listens on {address}"), PATIENCE, || std::net::TcpStream::connect(address).is_ok());
}

/// A token no other test uses.
pub fn fresh_token() -> String {
    format!("insecure_{}", uuid::Uuid::new_v4())
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A loopback address nothing listens on (yet).
pub fn free_address() -> String {
    format!("127.0.0.1:{}", free_port())
}

// ---------------------------------------------------------------- the built-in checks

/// The built-in checks that watch the heartbeat window to its end.
pub const WATCHING: &[&str] = &[
    "heartbeat.interval",
    "events.ready-once",
    "filebox.mime-extension",
    "message.received-payloads",
    "payloads.ids-resolve",
    "message.conversation-shape",
    "message.conversation-advice",
    "events.ready-synced",
    "message.file-types-have-files",
    "message.app-markup",
    "filebox.bare-names",
    "message.time",
    "filebox.name-fits-type",
    "payloads.answer-placeholders",
];

/// The built-in checks that run after the ordinary ones (and after the
/// destructive ones): those that judge the whole recording. (Those that
/// reopen the stream or measure latency alone run inside the window.)
pub const LATE: &[&str] = &[
    "events.login-states",
    "events.no-scan-while-logged-in",
    "events.one-logout-per-logout",
    "events.stream-stays-open",
    "events.lifecycle-advice",
    "events.scan-to-login",
    "payloads.shape",
    "payloads.shape-advice",
    "events.message-once",
    "events.no-storm",
    "payloads.time",
    "payloads.placeholders",
];

/// How many built-in checks run first, together, and finish before the
/// heartbeat window ends: neither destructive, nor [`LATE`], nor [`WATCHING`].
pub fn quick_checks() -> usize {
    let suite = puppet_lint::suite::builtin().expect("the built-in suite");
    let quick = |id: &str| !LATE.contains(&id) && !WATCHING.contains(&id);
    suite.checks.iter().filter(|check| !check.destructive && quick(&check.id)).count()
}

// ---------------------------------------------------------------- in process

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

/// Every built-in check against a target, run in-process, windows
/// shortened: a 1 s heartbeat window, 3 s budgets, 5 s for the login.
pub struct Engine {
    target: Target,
    window: Duration,
    budget: Duration,
    observers: Vec<Arc<dyn Observer>>,
}

impl Engine {
    pub fn against(target: Target) -> Engine {
        Engine { target, window: Duration::from_secs(1), budget: Duration::from_secs(3), observers: vec![] }
    }

    /// The heartbeat window.
    pub fn window(mut self, window: Duration) -> Engine {
        self.window = window;
        self
    }

    /// The budget of checks that set none (`--timeout`).
    pub fn budget(mut self, budget: Duration) -> Engine {
        self.budget = budget;
        self
    }

    /// Also tells `observer` what happens.
    pub fn observe(mut self, observer: Arc<dyn Observer>) -> Engine {
        self.observers.push(observer);
        self
    }

    /// The report the run's events build.
    pub async fn run(self) -> Report {
        self.run_in(None).await
    }

    /// [`Engine::run`], recording the timeline to timeline.jsonl in a fresh
    /// directory, returned with the report.
    pub async fn run_recorded(self, name: &str) -> (Report, Scratch) {
        let dir = Scratch::new(name);
        (self.run_in(Some(&dir)).await, dir)
    }

    async fn run_in(self, dir: Option<&Path>) -> Report {
        let suites: Vec<_> = puppet_lint::suite::load_suites(&[]).expect("built-in suites load");
        let plan: Vec<Planned> = puppet_lint::suite::plan(&suites, &[], &[], &[], &[]);
        let config = RunConfig {
            target: TargetChoice::Given(self.target.clone()),
            timeouts: Timeouts { login: Duration::from_secs(5), ..Timeouts::default() },
            settings: Settings {
                window: self.window,
                timeout: Some(self.budget),
                allow_destructive: true,
                peer_contact: None,
                peer_room: None,
                interactive: puppet_lint::config::Interactive::Off,
                login_timeout: Duration::from_secs(3),
                package: None,
                claims: None,
            },
            suites,
            plan,
            selection: Default::default(),
            deadline: None,
            notes: Vec::new(),
            output: puppet_lint::cli::OutputArgs {
                report_dir: dir.map(Path::to_path_buf).unwrap_or_default(),
                no_report: dir.is_none(),
                ..Default::default()
            },
        };
        let writer = Arc::new(ReportWriter::new(None));
        let mut observers = self.observers;
        observers.push(writer.clone());
        let run = Run { config, target: Some(self.target), registry: None };
        puppet_lint::engine::run::run(run, Arc::new(Fanout(observers)), Stop::default()).await;
        writer.report().expect("the run started")
    }
}

/// Which checks of an in-process run have finished, as they finish.
pub struct Finished(tokio::sync::watch::Sender<Vec<String>>);

impl Finished {
    pub fn new() -> Arc<Finished> {
        Arc::new(Finished(tokio::sync::watch::Sender::new(Vec::new())))
    }

    /// Until every one of `ids` has finished.
    pub async fn all(&self, ids: &[&str]) {
        let mut finished = self.0.subscribe();
        let every = finished.wait_for(|done| ids.iter().all(|id| done.iter().any(|done| done == id)));
        tokio::time::timeout(PATIENCE, every).await.unwrap_or_else(|_| panic!("{ids:?} never finished")).unwrap();
    }
}

impl Observer for Finished {
    fn event(&self, event: RunEvent) {
        if let RunEvent::CheckFinished(check) = event {
            self.0.send_modify(|done| done.push(check.id.clone()));
        }
    }
}

// ---------------------------------------------------------------- test machinery

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
    // This very binary, also if a build replaced the file since it started.
    let output = Command::new("/proc/self/exe")
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
