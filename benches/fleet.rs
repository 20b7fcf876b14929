//! Several targets in one process: the release binary against 1 conformant
//! mock, then against 100 (repeated `--endpoint`), with a short heartbeat
//! window. Prints the wall time of each, their ratio (the bar: ≤ 1.2×) and
//! the puppet-lint process's peak RSS (VmHWM, as `benches/ingest.rs` reads
//! it; the bar: ≤ 8 MiB + 1 MiB per target), and of it the peak anonymous
//! memory (`RssAnon`: what is not the binary's mapped code).
//!
//! The mocks are served from this bench's own process (puppet-lint's
//! `MockServer`, one per port: a Puppet Service has one event subscriber), so
//! the figures are puppet-lint's alone.
//!
//! `cargo bench --bench fleet` (`PUPPET_LINT_BENCH_TARGETS=1,100` sets the
//! sizes; `PUPPET_LINT_BENCH_WINDOW=2s` the heartbeat window).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use puppet_lint::mock::{MockOptions, MockServer};

fn main() {
    let binary = env!("CARGO_BIN_EXE_puppet-lint");
    let sizes: Vec<usize> = std::env::var("PUPPET_LINT_BENCH_TARGETS")
        .unwrap_or_else(|_| "1,100".into())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .collect();
    let window = std::env::var("PUPPET_LINT_BENCH_WINDOW").unwrap_or_else(|_| "2s".into());
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("a runtime");
    let largest = sizes.iter().copied().max().unwrap_or(1);
    // Heartbeats well within the window, as `--mock` does (window / 4).
    let interval = puppet_lint::clock::parse_duration(&window).expect("a window") / 4;
    let mocks: Vec<MockServer> = runtime.block_on(async {
        let mut mocks = Vec::new();
        for _ in 0..largest {
            let options = MockOptions { heartbeat_interval: interval, ..MockOptions::default() };
            mocks.push(MockServer::start(options).await.expect("a mock starts"));
        }
        mocks
    });
    println!(
        "{:>8} {:>10} {:>12} {:>10} {:>14} {:>14} {:>16}",
        "targets", "wall", "vs 1 target", "CPU", "peak RSS", "peak anon", "bar (8 + 1/target)"
    );
    let mut first: Option<Duration> = None;
    for size in sizes {
        let dir = std::env::temp_dir().join(format!("puppet-lint-bench-fleet-{size}"));
        let _ = std::fs::remove_dir_all(&dir);
        let mut command = Command::new(binary);
        command.args(["--no-tls", "--token", &mocks[0].token, "--heartbeat-window", &window, "--quiet"]);
        for mock in &mocks[..size] {
            command.args(["--endpoint", &mock.address.to_string()]);
        }
        // One target alone is the ordinary single-target run.
        if let Ok(extra) = std::env::var("PUPPET_LINT_BENCH_ARGS") {
            command.args(extra.split_whitespace());
        }
        command.arg("--report-dir").arg(&dir).stdout(Stdio::null()).stderr(Stdio::piped());
        let clock = Instant::now();
        let mut child = command.spawn().expect("puppet-lint runs");
        let mut peak = 0;
        let mut anon = 0;
        let mut cpu = Duration::ZERO;
        let deadline = Instant::now() + Duration::from_secs(600);
        let status = loop {
            if let Some(status) = child.try_wait().expect("waitable") {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break None;
            }
            peak = peak.max(high_water_mark(child.id()));
            anon = anon.max(status_kib(child.id(), "RssAnon:"));
            cpu = cpu.max(cpu_time(child.id()));
            std::thread::sleep(Duration::from_millis(5));
        };
        let wall = clock.elapsed();
        let ok = status.is_some_and(|status| status.success());
        let base = *first.get_or_insert(wall);
        let bar = 8.0 + size as f64;
        println!(
            "{size:>8} {:>9.2}s {:>11.2}× {:>9.2}s {:>10.1} MiB {:>10.1} MiB {:>12.0} MiB{}",
            wall.as_secs_f64(),
            wall.as_secs_f64() / base.as_secs_f64(),
            cpu.as_secs_f64(),
            peak as f64 / 1024.0,
            anon as f64 / 1024.0,
            bar,
            if ok { "" } else { "  (the run did not pass: see its reports)" }
        );
        if !ok {
            let mut stderr = String::new();
            use std::io::Read as _;
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            eprintln!(
                "{}",
                stderr.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
    runtime.block_on(async {
        for mock in mocks {
            mock.shutdown().await;
        }
    });
}

/// User and system CPU time of a live process so far (zero once it has
/// gone), from `/proc/PID/stat` (clock ticks of 10 ms).
fn cpu_time(pid: u32) -> Duration {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return Duration::ZERO };
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks: u64 =
        fields.get(11..13).map_or(0, |both| both.iter().filter_map(|field| field.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}

/// VmHWM of a live process, KiB (0 once it has gone).
fn high_water_mark(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:")
}

/// A KiB figure of `/proc/PID/status` (0 once the process has gone).
/// `RssAnon:` is the memory the process made itself; the rest of its RSS
/// is mapped files, mostly the binary's own code.
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with(field))?.to_owned();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}
