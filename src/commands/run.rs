//! `puppet-lint [run]`: the suites against a target, with live progress, the
//! checklist, report files, and an outcome CI can gate on. `package` shares
//! all of it, with a package directory and no target.

use std::sync::{Arc, OnceLock};

use crate::cli::RunArgs;
use crate::config::{Fleet, Member, ProcessEnv, RunConfig, TargetChoice};
use crate::engine::{self, Run, Stop};
use crate::error::Error;
use crate::events::{Fanout, Observer};
use crate::report::baseline::{self, Baseline};
use crate::report::checklist;
use crate::report::files;
use crate::report::fleet;
use crate::report::look::Look;
use crate::report::progress::{Progress, TargetProgress};
use crate::report::writer::ReportWriter;
use crate::signal::Signal;

/// Several targets: the least time between rewrites of one target's partial report files…
const PARTIAL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// …and how much longer it grows with each target (`pipeline`).
const PARTIAL_PER_TARGET: std::time::Duration = std::time::Duration::from_millis(100);

pub async fn run(args: RunArgs) -> Result<(), Error> {
    if args.target.several() {
        return execute_fleet(Fleet::from_run_args(&args, &ProcessEnv)?).await;
    }
    let config = RunConfig::from_run_args(&args, &ProcessEnv)?;
    execute(config).await
}

/// Several targets at once: a session each, all concurrent on the one
/// runtime; each target's reports in its own directory, then the combined
/// checklist and files, and the worst target's outcome.
pub async fn execute_fleet(fleet: Fleet) -> Result<(), Error> {
    let output = fleet.output.clone();
    let (finished, signal) = pipeline(fleet.members, &output, fleet.deadline, Shape::Several).await?;
    let mut outcomes = Vec::new();
    // A target whose reports could not be written fails the run like a
    // single run (exit 2), after every target's verdicts are shown.
    let mut unwritten = Vec::new();
    for Finished { name, writer } in finished {
        let Some(report) = writer.report() else { continue };
        if let Err(error) = writer.written() {
            say(&format!("{name}: {error}"));
            unwritten.push(format!("{name}: {error}"));
        }
        let code = baseline::judge(&report, None).err().map_or(crate::exit::OK, |error| error.code());
        outcomes.push(fleet::Outcome { name, report, code });
    }
    let interrupted = signal.get().map(|signal| (signal.name(), signal.exit_code()));
    super::print_stdout(&fleet::checklist(&outcomes, &Look::detect(output.color), interrupted));
    if !output.no_report {
        let written = fleet::write(&outcomes, &output.report_dir).map_err(|error| {
            Error::Write(format!("cannot write the combined reports to {}: {error}", output.report_dir.display()))
        })?;
        let names: Vec<String> = written.iter().map(|path| path.display().to_string()).collect();
        say(&format!("reports: {} and each target's in {}/<name>/", names.join(", "), output.report_dir.display()));
        let built = crate::report::matrix::Matrix::build(
            outcomes.iter().map(|outcome| (outcome.name.clone(), outcome.report.clone())).collect(),
        );
        if let Ok(Some(path)) = files::append_to_step_summary(&fleet::markdown(&outcomes, &built)) {
            say(&format!("summary appended to {}", path.display()));
        }
    }
    if let Some(signal) = signal.get() {
        return Err(Error::Interrupted(*signal));
    }
    if !unwritten.is_empty() {
        return Err(Error::Write(unwritten.join("; ")));
    }
    let worst = outcomes.iter().map(|outcome| outcome.code).max().unwrap_or(crate::exit::OK);
    let failing: Vec<String> =
        outcomes.iter().filter(|outcome| outcome.code != crate::exit::OK).map(|outcome| outcome.name.clone()).collect();
    match worst {
        crate::exit::OK => Ok(()),
        crate::exit::FAILURE => Err(Error::Conformance { failed: failing, new: Vec::new(), stale: Vec::new() }),
        _ => Err(Error::Unreachable {
            message: format!("targets not fully checked: {}", failing.join(", ")),
            hint: String::new(),
            shown: true,
        }),
    }
}

/// How the runs are shown: one target's own progress, or several targets' plain lines prefixed with their names
/// (and partial files once a second: a hundred targets rewriting theirs after every check would cost the others).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    One,
    Several,
}

/// A target's run, finished: its name and what its writer holds.
struct Finished {
    name: String,
    writer: Arc<ReportWriter>,
}

/// The one pipeline, for one target or many: what is selected and where the reports go are checked before anything
/// runs, each target (the mock or the registry started for it) runs in a session of its own, all at once on the one
/// runtime, under one stop (Ctrl-C, SIGTERM, `--deadline`); every run is waited for.
async fn pipeline(
    members: Vec<Member>,
    output: &crate::cli::OutputArgs,
    deadline: Option<std::time::Duration>,
    shape: Shape,
) -> Result<(Vec<Finished>, Arc<OnceLock<Signal>>), Error> {
    if members.iter().all(|member| member.config.plan.is_empty()) {
        let mut why: Vec<String> = members.iter().flat_map(|member| member.config.notes.clone()).collect();
        why.dedup();
        return Err(Error::NothingSelected { why });
    }
    // Filters that chose nothing though others did (a typo in --skip skips nothing): said, not fatal.
    let mut notes: Vec<&String> = members.iter().flat_map(|member| &member.config.notes).collect();
    notes.sort();
    notes.dedup();
    for note in notes {
        say(&format!("puppet-lint: note: {}", crate::report::one_line(note)));
    }
    if let Some(member) = members.iter().find(|member| member.config.plan.is_empty()) {
        return Err(Error::Usage(format!(
            "target {}: no check matches its selection (see `puppet-lint list`)",
            member.name
        )));
    }
    if !output.no_report {
        writable(&output.report_dir)?;
    }
    for member in &members {
        if let TargetChoice::Given(target) = &member.config.target {
            trusted(target).map_err(|error| match shape {
                Shape::One => error,
                Shape::Several => Error::Usage(format!("target {}: {error}", member.name)),
            })?;
        }
    }
    let mut launched = Vec::new();
    for member in members {
        let (target, started) = super::start_target(&member.config.target).await?;
        launched.push((member, target, started));
    }
    let stop = Stop::default();
    let signal = watch_signals(&stop);
    stop.after(deadline);
    let clock = std::time::Instant::now();
    if shape == Shape::Several && !output.quiet {
        eprintln!("checking {} targets at once; reports in {}/<name>/", launched.len(), output.report_dir.display());
    }
    // Each target's partial files are rewritten at most this often: one per 100 ms of targets, at least a second
    // apart. Every rewrite serialises and redacts the report so far (about 200 KB with the probes' evidence); a
    // hundred targets rewriting theirs every second spent a seventh of the run's CPU on files that only a killed
    // process leaves behind (`benches/fleet.rs`, perf). The final files are written as always.
    let partial_every =
        PARTIAL_PER_TARGET.saturating_mul(u32::try_from(launched.len()).unwrap_or(u32::MAX)).max(PARTIAL_EVERY);
    let runs: Vec<_> = launched
        .into_iter()
        .map(|(Member { name, config }, target, started)| {
            let dir = (!config.output.no_report).then(|| config.output.report_dir.clone());
            let (writer, progress): (Arc<ReportWriter>, Arc<dyn Observer>) = match shape {
                Shape::One => (Arc::new(ReportWriter::new(dir)), Arc::new(Progress::new(output.color, output.quiet))),
                Shape::Several => (
                    Arc::new(ReportWriter::throttled(dir, partial_every)),
                    Arc::new(TargetProgress::new(&name, output.color, output.quiet, clock)),
                ),
            };
            let observer: Arc<dyn Observer> = Arc::new(Fanout(vec![progress, writer.clone()]));
            let registry = started.registry.clone();
            let handle = tokio::spawn(engine::run::run(Run { config, target, registry }, observer, stop.clone()));
            (name, writer, handle, started)
        })
        .collect();
    let mut finished = Vec::new();
    for (name, writer, handle, started) in runs {
        if let Err(error) = handle.await {
            let whose = if name.is_empty() { String::new() } else { format!("{name}: ") };
            say(&format!("{whose}puppet-lint failed inside this target's run: {error}"));
        }
        started.stop().await;
        finished.push(Finished { name, writer });
    }
    Ok((finished, signal))
}

/// The report directory can be written, before anything runs: the run
/// records its timeline there and reads events back from it, so a directory
/// that cannot be written would make every verdict that reads a payload wrong.
fn writable(dir: &std::path::Path) -> Result<(), Error> {
    let probe = dir.join(format!(".puppet-lint-{}.probe", std::process::id()));
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"probe"))
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|error| {
            Error::Write(format!(
                "cannot write the reports to {}: {error} (choose another --report-dir, or run with --no-report)",
                dir.display()
            ))
        })
}

/// The CA named by `--tls-ca-cert` (or its variable) can be used, before
/// anything connects: a file that is no certificate is the user's to fix.
fn trusted(target: &crate::config::Target) -> Result<(), Error> {
    crate::target::tls::client(target).map(drop).map_err(|error| Error::Usage(error.to_string()))
}

/// Runs a validated config and does everything after: checklist, files,
/// baseline, outcome.
pub async fn execute(config: RunConfig) -> Result<(), Error> {
    if config.plan.is_empty() {
        return Err(Error::NothingSelected { why: config.notes.clone() });
    }
    let output = config.output.clone();
    let baseline = output.baseline.as_deref().map(Baseline::read).transpose().map_err(Error::Usage)?;
    if let Some(baseline) = &baseline {
        for id in baseline.ids.iter().filter(|id| !config.plan.iter().any(|planned| planned.check.id == **id)) {
            // A baseline is a file handed in: its lines are shown inert.
            let id = crate::report::one_line(id);
            eprintln!("baseline: {id} names no check of this run (a typo, or a check not selected?)");
        }
    }
    let deadline = config.deadline;
    let member = Member { name: String::new(), config };
    let (finished, signal) = pipeline(vec![member], &output, deadline, Shape::One).await?;
    let writer = finished.into_iter().next().map(|finished| finished.writer).expect("one target, one run");
    let Some(report) = writer.report() else {
        return Err(Error::Write("the run ended before it started".into()));
    };
    super::print_stdout(&checklist::render(&report, &Look::detect(output.color)));
    let written = writer.written().map_err(Error::Write)?;
    if !written.is_empty() {
        let mut names: Vec<String> = written.iter().map(|path| path.display().to_string()).collect();
        if let Some(recording) = &report.recording {
            names.push(output.report_dir.join(recording).display().to_string());
        }
        eprintln!("reports: {}", names.join(", "));
        if let Ok(Some(path)) = files::append_step_summary(&report) {
            eprintln!("summary appended to {}", path.display());
        }
    }
    if let Some(path) = &output.write_baseline {
        let written = Baseline::of(&report);
        files::write_atomically(path, &written.render())
            .map_err(|error| Error::Write(format!("cannot write the baseline {}: {error}", path.display())))?;
        eprintln!("baseline of {} failing check(s) written to {}", written.ids.len(), path.display());
    }
    if let Some(signal) = signal.get() {
        return Err(Error::Interrupted(*signal));
    }
    let baseline = if output.write_baseline.is_some() { Some(Baseline::of(&report)) } else { baseline };
    baseline::judge(&report, baseline.as_ref())
}

/// Ctrl-C or SIGTERM stops the run, which then writes what it has; a second
/// one exits at once.
/// A line on stderr; a closed stderr (`2>&1 | head -1`) loses it, and
/// ends nothing.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn watch_signals(stop: &Stop) -> Arc<OnceLock<Signal>> {
    let received = Arc::new(OnceLock::new());
    let (stop, seen) = (stop.clone(), received.clone());
    tokio::spawn(async move {
        let signal = crate::signal::interrupted().await;
        let _ = seen.set(signal);
        eprintln!("\npuppet-lint: {} — stopping, writing the reports so far (again to quit at once)", signal.name());
        stop.stop(signal.name());
        let again = crate::signal::interrupted().await;
        std::process::exit(again.exit_code());
    });
    received
}
