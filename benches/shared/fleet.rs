//! One fleet run measured: the `puppet-lint` binary against the first `size`
//! of `mocks` (repeated `--endpoint`), its wall time, CPU time, peak RSS
//! (VmHWM) and peak anonymous memory (`RssAnon`, sampled every 5 ms), and
//! how many targets passed. Shared by `benches/fleet.rs` and the test that
//! holds CI to the memory bar (`tests/it/fleet.rs`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use puppet_lint::mock::MockServer;

/// The time bar: a hundred targets within this many times one target's wall.
pub const TIME_BAR: f64 = 1.2;

/// The memory bar for `size` targets, MiB of anonymous memory: 8 MiB, and 1 MiB a target.
pub fn memory_bar(size: usize) -> f64 {
    8.0 + size as f64
}

/// What one run came to.
#[derive(Debug)]
pub struct Measured {
    pub size: usize,
    pub wall: Duration,
    pub cpu: Duration,
    /// KiB.
    pub peak_rss: u64,
    /// KiB.
    pub peak_anon: u64,
    /// The run exited 0.
    pub ok: bool,
    /// Targets with every check passed or skipped.
    pub clean: usize,
    /// Targets with a `should` warned and nothing worse.
    pub warned: usize,
    /// Targets with a check failed, errored or timed out (or no report).
    pub failed: usize,
    /// Targets whose report was written.
    pub judged: usize,
    /// The checks that did not pass, with how many targets each (`id verdict`).
    pub findings: Vec<(String, usize)>,
    /// The last lines of the run's stderr when it did not pass.
    pub stderr_tail: String,
}

impl Measured {
    pub fn anon_mib(&self) -> f64 {
        self.peak_anon as f64 / 1024.0
    }

    /// Whether the anonymous memory held the bar.
    pub fn memory_holds(&self) -> bool {
        self.anon_mib() <= memory_bar(self.size)
    }
}

/// Runs `binary` against `mocks[..size]` with the heartbeat window `window`,
/// its reports in `dir` (emptied first); `extra` arguments appended.
pub fn run(binary: &Path, mocks: &[MockServer], size: usize, window: &str, dir: &Path, extra: &[String]) -> Measured {
    let _ = std::fs::remove_dir_all(dir);
    let mut command = Command::new(binary);
    command.args(["--no-tls", "--token", &mocks[0].token, "--heartbeat-window", window, "--quiet"]);
    for mock in &mocks[..size] {
        command.args(["--endpoint", &mock.address.to_string()]);
    }
    command.args(extra);
    command.arg("--report-dir").arg(dir).stdout(Stdio::null()).stderr(Stdio::piped());
    let clock = Instant::now();
    let mut child = command.spawn().expect("puppet-lint runs");
    // Drained as it comes, so a chatty run never blocks on a full pipe.
    let mut pipe = child.stderr.take().expect("a stderr pipe");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut pipe, &mut text);
        text
    });
    let (mut peak_rss, mut peak_anon, mut cpu) = (0, 0, Duration::ZERO);
    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        peak_rss = peak_rss.max(status_kib(child.id(), "VmHWM:"));
        peak_anon = peak_anon.max(status_kib(child.id(), "RssAnon:"));
        cpu = cpu.max(cpu_time(child.id()));
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = clock.elapsed();
    let ok = status.is_some_and(|status| status.success());
    let stderr = stderr.join().unwrap_or_default();
    let stderr_tail = if ok {
        String::new()
    } else {
        let lines: Vec<&str> = stderr.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    };
    let mut measured = Measured {
        size,
        wall,
        cpu,
        peak_rss,
        peak_anon,
        ok,
        clean: 0,
        warned: 0,
        failed: 0,
        judged: 0,
        findings: Vec::new(),
        stderr_tail,
    };
    tally(dir, size, &mut measured);
    measured
}

/// Counts the targets by outcome from their `report.json` files.
fn tally(dir: &Path, size: usize, measured: &mut Measured) {
    let mut findings = std::collections::BTreeMap::<String, usize>::new();
    let reports: Vec<std::path::PathBuf> = if size == 1 {
        vec![dir.join("report.json")]
    } else {
        std::fs::read_dir(dir).into_iter().flatten().flatten().map(|entry| entry.path().join("report.json")).collect()
    };
    let mut seen = 0;
    for path in reports {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok(report) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        seen += 1;
        let mut worst = 0;
        for check in report["checks"].as_array().into_iter().flatten() {
            let verdict = check["verdict"].as_str().unwrap_or("?");
            let rank = match verdict {
                "pass" | "skip" => 0,
                "warn" => 1,
                _ => 2,
            };
            if rank > 0 {
                *findings.entry(format!("{} {verdict}", check["id"].as_str().unwrap_or("?"))).or_default() += 1;
            }
            worst = worst.max(rank);
        }
        match worst {
            0 => measured.clean += 1,
            1 => measured.warned += 1,
            _ => measured.failed += 1,
        }
    }
    measured.judged = seen;
    measured.failed += size.saturating_sub(seen);
    measured.findings = findings.into_iter().collect();
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
