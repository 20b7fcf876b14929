//! Ingest and memory under a flood, side by side with a plain Node
//! subscriber (the official stubs, `@grpc/grpc-js`, JSON.parse of every
//! payload) on the same flood: N `message` events from the mock's `flood`
//! misbehaviour through the real gRPC path, each reader in its own process.
//! Prints events/s (the sender's own drain rate) and peak RSS; then the
//! same for a full default run under a 200k flood, and for a full default
//! run against the `huge-payload` misbehaviour (an 8 MiB event payload and
//! 8 MiB message texts).
//!
//! `cargo bench --bench ingest` (build with `--release` first for figures
//! worth quoting; `PUPPET_LINT_BENCH_COUNTS=200000,1000000` sets the sizes).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// No word in its secret: any 8 characters of a secret are masked wherever they
// appear (`puppet-lint-bench` masked the checks' own `puppet-lint ding` texts).
const TOKEN: &str = "insecure_bench-5b0c7e2a9d41";

fn main() {
    let binary = env!("CARGO_BIN_EXE_puppet-lint");
    let counts: Vec<u64> = std::env::var("PUPPET_LINT_BENCH_COUNTS")
        .unwrap_or_else(|_| "200000,1000000".into())
        .split(',')
        .filter_map(|count| count.trim().parse().ok())
        .collect();
    let node = node_subscriber();
    println!("{:>9}  {:<34} {:>12} {:>12} {:>10}", "events", "reader", "events/s", "peak RSS", "wall");
    for count in &counts {
        let (rate, rss, wall) = measure(binary, &flood(*count), |endpoint| {
            Command::new(binary)
                .args(["--endpoint", endpoint, "--no-tls", "--token", TOKEN, "--only", "heartbeat.interval"])
                .args(["--heartbeat-window", "3s", "--quiet", "--report-dir"])
                .arg(std::env::temp_dir().join("puppet-lint-bench-ingest"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("puppet-lint runs")
        });
        row(*count, "puppet-lint (heartbeat.interval)", rate, rss, wall);
        if let Some(script) = &node {
            let (rate, rss, wall) = measure(binary, &flood(*count), |endpoint| {
                Command::new("node")
                    .arg(script)
                    .args(["--endpoint", endpoint, "--token", TOKEN, "--count", &count.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("node runs")
            });
            row(*count, "node @grpc/grpc-js + JSON.parse", rate, rss, wall);
        }
    }
    let (rate, rss, wall) = measure(binary, &flood(200_000), |endpoint| {
        Command::new(binary)
            .args(["--endpoint", endpoint, "--no-tls", "--token", TOKEN, "--allow-destructive"])
            .args(["--heartbeat-window", "5s", "--quiet", "--report-dir"])
            .arg(std::env::temp_dir().join("puppet-lint-bench-full"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("puppet-lint runs")
    });
    row(200_000, "puppet-lint (full default run)", rate, rss, wall);
    let (_, rss, wall) = measure(binary, &["--fault".into(), "huge-payload".into()], |endpoint| {
        Command::new(binary)
            .args(["--endpoint", endpoint, "--no-tls", "--token", TOKEN, "--allow-destructive"])
            .args(["--heartbeat-window", "5s", "--quiet", "--report-dir"])
            .arg(std::env::temp_dir().join("puppet-lint-bench-huge"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("puppet-lint runs")
    });
    println!(
        "{:>9}  {:<34} {:>12} {:>9.1} MiB {:>9.1}s",
        "8 MiB",
        "puppet-lint (huge-payload, full run)",
        "-",
        rss as f64 / 1024.0,
        wall.as_secs_f64()
    );
    if node.is_none() {
        println!("(node or fixtures/interop/node_modules missing: no Node baseline)");
    }
}

fn row(count: u64, reader: &str, rate: Option<f64>, rss: u64, wall: Duration) {
    let rate = rate.map_or_else(|| "-".to_owned(), |rate| format!("{rate:.0}"));
    println!("{count:>9}  {reader:<34} {rate:>12} {:>9.1} MiB {:>9.1}s", rss as f64 / 1024.0, wall.as_secs_f64());
}

/// The mock's arguments for a flood of `count` message events.
fn flood(count: u64) -> Vec<String> {
    ["--fault", "flood", "--flood-count"].map(String::from).into_iter().chain([count.to_string()]).collect()
}

/// Serves a fresh mock with `misbehaviour` (its arguments), runs the reader
/// against it, and returns the mock's drain rate (floods), the reader's peak
/// RSS (KiB) and its wall time.
fn measure(binary: &str, misbehaviour: &[String], reader: impl FnOnce(&str) -> Child) -> (Option<f64>, u64, Duration) {
    let listen = free_address();
    let mut mock = Command::new(binary)
        .args(["mock", "--listen", &listen, "--token", TOKEN, "--heartbeat-interval", "1s"])
        .args(misbehaviour)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mock runs");
    let started = Instant::now();
    while std::net::TcpStream::connect(&listen).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "the mock listens");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut child = reader(&listen);
    let clock = Instant::now();
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().expect("the reader runs").is_none() && Instant::now() < deadline {
        peak = peak.max(high_water_mark(child.id()));
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    let wall = clock.elapsed();
    let _ = mock.kill();
    let stderr = mock.stderr.take().expect("piped");
    let _ = mock.wait();
    let rate = BufReader::new(stderr).lines().map_while(Result::ok).find_map(|line| {
        let rate = line.split_once('(')?.1.split_once(" events/s")?.0;
        rate.parse::<f64>().ok()
    });
    (rate, peak, wall)
}

/// VmHWM of a live process, KiB (0 once it has gone).
fn high_water_mark(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").to_string()
}

fn node_subscriber() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/interop");
    let node = Command::new("node").arg("--version").output().is_ok_and(|output| output.status.success());
    (node && dir.join("node_modules/wechaty-grpc").exists()).then(|| dir.join("subscriber.mjs"))
}
