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
    if fleet.members.iter().all(|member| member.config.plan.is_empty()) {
        return Err(Error::NothingSelected);
    }
    if let Some(member) = fleet.members.iter().find(|member| member.config.plan.is_empty()) {
        return Err(Error::Usage(format!(
            "target {}: no check matches its selection (see `puppet-lint list`)",
            member.name
        )));
    }
    let output = fleet.output.clone();
    if !output.no_report {
        writable(&output.report_dir)?;
    }
    for member in &fleet.members {
        if let TargetChoice::Given(target) = &member.config.target {
            trusted(target).map_err(|error| Error::Usage(format!("target {}: {error}", member.name)))?;
        }
    }
    let stop = Stop::default();
    let signal = watch_signals(&stop);
    stop.after(fleet.deadline);
    let started = std::time::Instant::now();
    if !output.quiet {
        eprintln!(
            "checking {} targets at once; reports in {}/<name>/",
            fleet.members.len(),
            output.report_dir.display()
        );
    }
    let runs: Vec<(String, Arc<ReportWriter>, tokio::task::JoinHandle<()>)> = fleet
        .members
        .into_iter()
        .map(|Member { name, config }| {
            let dir = (!config.output.no_report).then(|| config.output.report_dir.clone());
            // Partial files once a second: a hundred targets rewriting theirs
            // after every check would cost the others time.
            let writer = Arc::new(ReportWriter::throttled(dir, std::time::Duration::from_secs(1)));
            let progress: Arc<dyn Observer> = Arc::new(TargetProgress::new(&name, output.color, output.quiet, started));
            let observer: Arc<dyn Observer> = Arc::new(Fanout(vec![progress, writer.clone()]));
            let target = match &config.target {
                TargetChoice::Given(target) => Some(target.clone()),
                _ => None,
            };
            let stop = stop.clone();
            let handle = tokio::spawn(engine::run::run(Run { config, target, registry: None }, observer, stop));
            (name, writer, handle)
        })
        .collect();
    let mut outcomes = Vec::new();
    // A target whose reports could not be written fails the run like a
    // single run (exit 2), after every target's verdicts are shown.
    let mut unwritten = Vec::new();
    for (name, writer, handle) in runs {
        if let Err(error) = handle.await {
            say(&format!("{name}: puppet-lint failed inside this target's run: {error}"));
        }
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
        return Err(Error::NothingSelected);
    }
    let output = config.output.clone();
    let baseline = output.baseline.as_deref().map(Baseline::read).transpose().map_err(Error::Usage)?;
    if let Some(baseline) = &baseline {
        for id in baseline.ids.iter().filter(|id| !config.plan.iter().any(|planned| planned.check.id == **id)) {
            eprintln!("baseline: {id} names no check of this run (a typo, or a check not selected?)");
        }
    }
    if !output.no_report {
        writable(&output.report_dir)?;
    }
    if let TargetChoice::Given(target) = &config.target {
        trusted(target)?;
    }
    let (target, started) = super::start_target(&config.target).await?;
    let stop = Stop::default();
    let signal = watch_signals(&stop);
    stop.after(config.deadline);

    let writer = Arc::new(ReportWriter::new((!output.no_report).then(|| output.report_dir.clone())));
    let progress: Arc<dyn Observer> = Arc::new(Progress::new(output.color, output.quiet));
    let observer: Arc<dyn Observer> = Arc::new(Fanout(vec![progress, writer.clone()]));
    let registry = started.registry.clone();
    engine::run::run(Run { config, target, registry }, observer, stop).await;
    started.stop().await;

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
