//! `puppet-lint [run]`: the suites against a target, with live progress, the
//! checklist, report files, and an exit code CI can gate on. `package`
//! shares all of it, with a package directory and no target.

use std::io::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::baseline::{self, Baseline};
use crate::cli::{OutputArgs, RunArgs};
use crate::engine::{self, Observer, RunEvent};
use crate::error::Error;
use crate::exit;
use crate::output::Look;
use crate::progress::Progress;
use crate::registry::{self, Registry};
use crate::report::model::{Report, Verdict};
use crate::report::{checklist, files};
use crate::run::{self, Input, Selection, Stop};
use crate::select;
use crate::session;
use crate::setup;
use crate::signal::Signal;
use crate::target::{Address, ProcessEnv, Target};

pub async fn run(args: RunArgs) -> Result<i32, Error> {
    let suites = select::load_suites(&args.selection.suites)?;
    // The mock heartbeats well within a shortened window.
    let mock_heartbeat = (args.heartbeat_window / 4).min(Duration::from_secs(15));
    let registry = match args.registry {
        Some(listen) => Some(
            Registry::start(registry::Options { listen, ..registry::Options::default() })
                .await
                .map_err(|error| Error::Usage(format!("cannot listen on {listen} for --registry: {error}")))?,
        ),
        None => None,
    };
    let (target, mock) = match &registry {
        Some(registry) => {
            let mut flags = args.target.clone();
            flags.authority = Some(registry.url());
            (Target::resolve(&flags, &ProcessEnv).map_err(|error| Error::Usage(error.0))?, None)
        }
        None => super::target_or_mock(&args.target, args.mock, &args.mock_fault, mock_heartbeat).await?,
    };
    let mut available = vec![];
    if matches!(target.address, Address::Discover(_)) {
        available.push("discovery");
    }
    if args.package.is_some() {
        available.push("package");
    }
    if registry.is_some() {
        available.push("registry");
    }
    let selection = Selection {
        only: args.selection.only.clone(),
        skip: args.selection.skip.clone(),
        tags: args.selection.tags.clone(),
    };
    let input = Input {
        target: Some(target),
        setup: setup::Options {
            session: session::Options { rpc_timeout: args.rpc_timeout, ..session::Options::default() },
            login_timeout: args.login_timeout,
            ..setup::Options::default()
        },
        settings: engine::Settings {
            window: args.heartbeat_window,
            timeout: args.timeout,
            allow_destructive: args.allow_destructive || args.mock,
            peer_contact: args.peer_contact.clone(),
            login_timeout: args.login_timeout,
            package: args.package.clone(),
        },
        plan: select::plan(&suites, &selection.only, &selection.skip, &selection.tags, &available),
        suites,
        selection,
        registry: registry.clone(),
    };
    let code = execute(input, &args.output, args.deadline).await;
    if let Some(mock) = mock {
        mock.shutdown().await;
    }
    if let Some(registry) = registry {
        registry.stop();
    }
    code
}

/// Runs a prepared input and does everything after: checklist, files,
/// baseline, exit code.
pub async fn execute(input: Input, output: &OutputArgs, deadline: Option<Duration>) -> Result<i32, Error> {
    if input.plan.is_empty() {
        eprintln!("puppet-lint: nothing selected: no check matches the filters (see `puppet-lint list`)");
        return Ok(exit::NOTHING_SELECTED);
    }
    let baseline = output.baseline.as_deref().map(Baseline::read).transpose().map_err(Error::Usage)?;
    let stop = Stop::default();
    let signal = watch_signals(&stop);
    run::deadline(&stop, deadline);

    let progress: Arc<dyn Observer> = Arc::new(Progress::new(output.color, output.quiet));
    let observer: Arc<dyn Observer> = if output.no_report {
        progress
    } else {
        let mut frame = run::frame(&input, std::time::SystemTime::now());
        frame.interrupted_by = Some("the run had not finished when this was written".into());
        Arc::new(Fanout(vec![progress, Arc::new(files::PartialFiles::new(output.report_dir.clone(), frame))]))
    };
    let outcome = run::run(input, observer, stop).await;
    let report = outcome.report;

    print_stdout(&checklist::render(&report, &Look::detect(output.color)));
    if !output.no_report {
        let written = files::write_all(&report, &output.report_dir).map_err(|error| {
            Error::Output(format!("cannot write the reports to {}: {error}", output.report_dir.display()))
        })?;
        let names: Vec<String> = written.iter().map(|path| path.display().to_string()).collect();
        eprintln!("reports: {}", names.join(", "));
        if let Ok(Some(path)) = files::append_step_summary(&report) {
            eprintln!("summary appended to {}", path.display());
        }
    }
    if let Some(path) = &output.write_baseline {
        let written = Baseline::of(&report);
        files::write_atomically(path, &written.render())
            .map_err(|error| Error::Output(format!("cannot write the baseline {}: {error}", path.display())))?;
        eprintln!("baseline of {} failing check(s) written to {}", written.ids.len(), path.display());
    }
    if let Some(signal) = signal.get() {
        return Ok(signal.exit_code());
    }
    let baseline = if output.write_baseline.is_some() { Some(Baseline::of(&report)) } else { baseline };
    Ok(exit_code(&report, outcome.setup_failure.is_some(), baseline.as_ref()))
}

/// The exit code CI gates on (see `exit`).
pub fn exit_code(report: &Report, setup_failed: bool, baseline: Option<&Baseline>) -> i32 {
    if setup_failed {
        return exit::UNREACHABLE;
    }
    let failed = match baseline {
        Some(baseline) => {
            let comparison = baseline.compare(report);
            for id in &comparison.new {
                eprintln!("baseline: {id} fails and is not in the baseline");
            }
            for id in &comparison.stale {
                eprintln!("baseline: {id} passes now: remove it from the baseline (stale)");
            }
            !comparison.new.is_empty() || !comparison.stale.is_empty()
        }
        None => !baseline::failing(report).is_empty(),
    };
    if failed {
        exit::FAILURE
    } else if report.checks.iter().any(|check| check.verdict == Verdict::Error) {
        exit::UNREACHABLE
    } else {
        exit::OK
    }
}

/// Ctrl-C or SIGTERM stops the run, which then writes what it has; a second
/// one exits at once.
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

/// Several observers as one.
struct Fanout(Vec<Arc<dyn Observer>>);

impl Observer for Fanout {
    fn event(&self, event: RunEvent) {
        for observer in &self.0 {
            observer.event(event.clone());
        }
    }
}

/// Standard output that a closed pipe (`| head`) does not turn into an error.
pub fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
