//! Several targets in one process: the release binary against 1 conformant
//! mock, then against 100 (repeated `--endpoint`), with a short heartbeat
//! window. Prints the wall time of each, their ratio (the bar: ≤ 1.2×), the
//! puppet-lint process's peak RSS (VmHWM, as `benches/ingest.rs` reads it)
//! and of it the peak anonymous memory (`RssAnon`: what is not the binary's
//! mapped code; the bar: ≤ 8 MiB + 1 MiB per target), and how many targets
//! passed every check (a conformant fleet: all of them). Ends with each bar
//! held or broken, and exits 1 when a memory bar broke (time is a figure: a
//! busy machine blurs it).
//!
//! The mocks are served from this bench's own process (puppet-lint's
//! `MockServer`, one per port: a Puppet Service has one event subscriber), so
//! the figures are puppet-lint's alone.
//!
//! `cargo bench --bench fleet` (`PUPPET_LINT_BENCH_TARGETS=1,100` sets the
//! sizes; `PUPPET_LINT_BENCH_WINDOW=2s` the heartbeat window;
//! `PUPPET_LINT_BENCH_WORKERS=2` the mocks' runtime threads;
//! `PUPPET_LINT_BENCH_ARGS` more arguments for every run;
//! `PUPPET_LINT_BENCH_BINARY` another program to run in puppet-lint's place,
//! e.g. a script that runs it under a heap profiler).

use std::path::Path;

use puppet_lint::mock::{MockOptions, MockServer};

#[path = "shared/fleet.rs"]
mod fleet;

fn main() {
    let binary = std::env::var_os("PUPPET_LINT_BENCH_BINARY")
        .map_or_else(|| Path::new(env!("CARGO_BIN_EXE_puppet-lint")).to_owned(), std::path::PathBuf::from);
    let binary = binary.as_path();
    let sizes: Vec<usize> = std::env::var("PUPPET_LINT_BENCH_TARGETS")
        .unwrap_or_else(|_| "1,100".into())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .filter(|size| *size > 0)
        .collect();
    let window = std::env::var("PUPPET_LINT_BENCH_WINDOW").unwrap_or_else(|_| "2s".into());
    let workers = std::env::var("PUPPET_LINT_BENCH_WORKERS").ok().and_then(|workers| workers.parse().ok()).unwrap_or(2);
    let extra: Vec<String> = std::env::var("PUPPET_LINT_BENCH_ARGS")
        .map(|extra| extra.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build().expect("a runtime");
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
        "{:>8} {:>10} {:>12} {:>10} {:>14} {:>14} {:>10} {:>16}",
        "targets", "wall", "vs 1 target", "CPU", "peak RSS", "peak anon", "anon bar", "passed (warned)"
    );
    let mut runs = Vec::new();
    for &size in &sizes {
        let dir = std::env::temp_dir().join(format!("puppet-lint-bench-fleet-{size}"));
        let run = fleet::run(binary, &mocks, size, &window, &dir, &extra);
        let base = runs.first().map_or(run.wall, |first: &fleet::Measured| first.wall);
        println!(
            "{size:>8} {:>9.2}s {:>11.2}× {:>9.2}s {:>10.1} MiB {:>10.1} MiB {:>6.0} MiB {:>9}/{size} ({}){}",
            run.wall.as_secs_f64(),
            run.wall.as_secs_f64() / base.as_secs_f64(),
            run.cpu.as_secs_f64(),
            run.peak_rss as f64 / 1024.0,
            run.anon_mib(),
            fleet::memory_bar(size),
            run.clean,
            run.warned,
            if run.ok { "" } else { "  (the run did not pass: see its reports)" }
        );
        for (finding, targets) in &run.findings {
            println!("{:>8} {finding}: {targets} target(s)", "");
        }
        if !run.ok {
            eprintln!("{}", run.stderr_tail);
        }
        runs.push(run);
    }
    runtime.block_on(async {
        for mock in mocks {
            mock.shutdown().await;
        }
    });
    let mut memory_broke = false;
    println!();
    if let (Some(one), Some(most)) = (runs.iter().find(|run| run.size == 1), runs.iter().max_by_key(|run| run.size))
        && most.size > 1
    {
        let ratio = most.wall.as_secs_f64() / one.wall.as_secs_f64();
        let held = if ratio <= fleet::TIME_BAR { "held" } else { "BROKEN" };
        println!(
            "time bar ({} targets ≤ {}× one target's wall): {ratio:.2}×, {held} (a figure: not enforced)",
            most.size,
            fleet::TIME_BAR
        );
    }
    for run in &runs {
        let held = if run.memory_holds() { "held" } else { "BROKEN" };
        memory_broke |= !run.memory_holds();
        println!(
            "memory bar ({} target(s) ≤ {:.0} MiB anonymous): {:.1} MiB, {held}",
            run.size,
            fleet::memory_bar(run.size),
            run.anon_mib()
        );
        let all = if run.clean == run.size { "held" } else { "BROKEN" };
        println!("conformant fleet ({} target(s) all passing): {}/{}, {all}", run.size, run.clean, run.size);
    }
    if memory_broke {
        std::process::exit(1);
    }
}
