//! How long a full default run takes against the conformant mock, for
//! several heartbeat windows side by side, and how that compares with the
//! window (the floor) and with running the checks one after another.
//!
//! `cargo bench --bench run_time`. The 60 s run is the one the brief sets a
//! bar for: under 66 s.

use std::process::Command;
use std::time::Instant;

fn main() {
    let windows = [10u64, 30, 60];
    println!(
        "{:>8} {:>10} {:>10} {:>14} {:>22}",
        "window", "wall", "overhead", "wall / window", "sum of checks / wall"
    );
    for window in windows {
        let dir = std::env::temp_dir().join(format!("puppet-lint-bench-{window}"));
        let started = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_puppet-lint"))
            .args(["--mock", "--quiet", "--heartbeat-window", &format!("{window}s"), "--report-dir"])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("puppet-lint runs");
        let wall = started.elapsed().as_secs_f64();
        assert!(status.success(), "the conformant mock passes");
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
        let sum: f64 = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|check| check["duration_ms"].as_f64().unwrap() / 1000.0)
            .sum();
        println!(
            "{:>7}s {:>9.2}s {:>9.2}s {:>14.3} {:>22.2}",
            window,
            wall,
            wall - window as f64,
            wall / window as f64,
            sum / wall
        );
        if window == 60 {
            assert!(wall < 66.0, "a full default run with a 60 s window must take under 66 s (took {wall:.2}s)");
        }
    }
}
