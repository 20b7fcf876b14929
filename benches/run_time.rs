//! How long a full default run takes, side by side in one run: against the
//! conformant mock for several heartbeat windows, and against the official
//! server (`fixtures/interop/server.mjs`: wechaty-puppet-service serving
//! wechaty-puppet-mock) with the 60 s window — its mock's own environment
//! (chatter every 5 s, no heartbeat), our fixture's with chatter, and our
//! fixture's silent one (no event unless poked: it fails `heartbeat.interval`,
//! and a failing watch must outlast one interval of silence).
//!
//! The bar (issue 22): a conformant provider's full run costs at most 1.02×
//! its window (the median of `PUPPET_LINT_BENCH_RUNS` runs, 3 by default).
//! Prints each run, the median and whether it meets the bar; asserts nothing
//! (a busy machine blurs time).
//!
//! `cargo bench --bench run_time`. `PUPPET_LINT_BENCH_WINDOWS=10,30,60` sets
//! the mock's windows; the official server runs only when
//! `fixtures/interop/node_modules` is installed (`npm ci` there).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const TOKEN: &str = "insecure_bench-run-time-5e1d";
const BAR: f64 = 1.02;

fn main() {
    let windows: Vec<u64> = std::env::var("PUPPET_LINT_BENCH_WINDOWS")
        .unwrap_or_else(|_| "10,30,60".into())
        .split(',')
        .filter_map(|window| window.trim().parse().ok())
        .collect();
    let runs: usize = std::env::var("PUPPET_LINT_BENCH_RUNS").ok().and_then(|runs| runs.parse().ok()).unwrap_or(3);
    println!("{:<44} {:>7} {:>32} {:>9} {:>9} {:>6}", "provider", "window", "walls", "median", "/ window", "bar");
    for window in &windows {
        let runs = if *window == 60 { runs } else { 1 };
        row("puppet-lint's mock", *window, runs, true, |dir| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_puppet-lint"));
            command.args(["--mock", "--heartbeat-window", &format!("{window}s")]).arg("--report-dir").arg(dir);
            (command, None)
        });
    }
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/interop");
    if !interop.join("node_modules").is_dir() {
        println!("(the official server is not installed: `npm ci` in fixtures/interop to compare with it)");
        return;
    }
    let official: [(&str, &[&str], bool); 3] = [
        ("official server, the mock's own environment", &["--simple-env"], true),
        ("official server, chatter every 5 s", &["--chatter"], true),
        ("official server, silent (fails heartbeat)", &[], false),
    ];
    for (name, extra, conformant_watch) in official {
        row(name, 60, runs, conformant_watch, |dir| {
            let (server, port) = official_server(&interop, extra);
            let mut command = Command::new(env!("CARGO_BIN_EXE_puppet-lint"));
            command
                .args(["--endpoint", &format!("127.0.0.1:{port}"), "--no-tls", "--token", TOKEN, "--report-dir"])
                .arg(dir);
            (command, Some(server))
        });
    }
}

/// Runs `runs` full runs (a fresh provider each, made by `make` with the run, ended after it) and prints their walls,
/// median and ratio.
fn row(name: &str, window: u64, runs: usize, barred: bool, mut make: impl FnMut(&Path) -> (Command, Option<Child>)) {
    let mut walls = Vec::new();
    for run in 0..runs {
        let dir = std::env::temp_dir().join(format!("puppet-lint-bench-run-time-{window}-{run}"));
        let _ = std::fs::remove_dir_all(&dir);
        let (mut command, server) = make(&dir);
        command.arg("--quiet").stdout(Stdio::null()).stderr(Stdio::null());
        let started = Instant::now();
        let status = command.status().expect("puppet-lint runs");
        walls.push(started.elapsed().as_secs_f64());
        if let Some(mut server) = server {
            let _ = server.kill();
            let _ = server.wait();
        }
        // 0 conformant, 1 failures (the official server fails musts it does not keep): both are full runs.
        assert!(matches!(status.code(), Some(0 | 1)), "{name}: a full run ends with a verdict ({status})");
        let _ = std::fs::remove_dir_all(&dir);
    }
    let mut sorted = walls.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let ratio = median / window as f64;
    let shown: Vec<String> = walls.iter().map(|wall| format!("{wall:.2}")).collect();
    let bar = match (barred, ratio <= BAR) {
        (false, _) => "-",
        (true, true) => "meets",
        (true, false) => "MISSES",
    };
    println!("{name:<44} {:>6}s {:>32} {median:>8.2}s {ratio:>9.3} {bar:>6}", window, shown.join(" "));
}

/// Starts `server.mjs` with `extra` options; its port once it listens.
fn official_server(interop: &Path, extra: &[&str]) -> (Child, u16) {
    let mut server = Command::new("node")
        .arg(interop.join("server.mjs"))
        .args(["--no-tls", "--no-stdin-watch", "--token", TOKEN])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs server.mjs");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("its stdout")).read_line(&mut line).expect("its first line");
    let ready: serde_json::Value = serde_json::from_str(&line).expect("server.mjs says it is ready as JSON");
    let port = ready["port"].as_u64().expect("server.mjs names its port") as u16;
    (server, port)
}
