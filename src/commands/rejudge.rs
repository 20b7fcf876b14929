//! `puppet-lint rejudge DIR`: a recorded run judged again, offline — its
//! timeline rebuilt from `DIR/timeline.jsonl`, its target named by
//! `DIR/report.json`, the checks that only observe the timeline judged with
//! today's suites (or `--suite`), the others skipped as needing a live
//! service; the same report files as a run, in `DIR/rejudged/` unless told.

use std::sync::Arc;
use std::time::Duration;

use crate::cli::{OutputArgs, RejudgeArgs};
use crate::config::{RunConfig, Selection, Settings, TargetChoice, Timeouts};
use crate::engine::rejudge::{self, Recorded};
use crate::error::Error;
use crate::events::{Observer, TargetReport};
use crate::report::baseline;
use crate::report::look::Look;
use crate::report::writer::ReportWriter;
use crate::session::Timeline;
use crate::session::timeline::RECORDING;

/// Where the new reports go unless `--report-dir` says.
pub const DEFAULT_OUT: &str = "rejudged";

pub async fn rejudge(args: RejudgeArgs) -> Result<(), Error> {
    let dir = &args.dir;
    if !dir.is_dir() {
        return Err(Error::Usage(format!("{} is not a directory: give a run's report directory", dir.display())));
    }
    let report_path = dir.join(crate::report::files::JSON);
    let recorded_report = if report_path.exists() { Some(super::report::read(&report_path)?) } else { None };
    // The recording the report names: a run that recorded nothing (setup
    // failed) names none, and an older run's timeline.jsonl beside it is
    // not this run's.
    if let Some(report) = recorded_report.as_ref().filter(|report| report.recording.is_none()) {
        let why = report.setup_error.as_deref().unwrap_or("its report names no recording");
        return Err(Error::Usage(format!(
            "{}: the recorded run recorded nothing ({why}) — nothing to judge",
            report_path.display()
        )));
    }
    // A report handed in names its recording: a bare file name inside DIR, nothing else (an absolute path or
    // `../` would read whatever the report's author chose).
    let named =
        recorded_report.as_ref().and_then(|report| report.recording.clone()).unwrap_or_else(|| RECORDING.to_owned());
    if !bare_file_name(&named) {
        return Err(Error::Usage(format!(
            "{}: its recording is named {:?}, not a file name inside {}: only a file beside report.json is read",
            report_path.display(),
            crate::report::one_line(&named),
            dir.display()
        )));
    }
    let recording = dir.join(&named);
    if !recording.exists() && recorded_report.is_none() {
        // A directory of several targets' runs (`--targets`): one per subdirectory.
        let mut runs: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|entry| entry.path().join(crate::report::files::JSON).exists())
                    .map(|entry| entry.path().display().to_string())
                    .collect()
            })
            .unwrap_or_default();
        runs.sort();
        if !runs.is_empty() {
            return Err(Error::Usage(format!(
                "{} holds the runs of several targets, one per directory: re-judge one of them ({})",
                dir.display(),
                runs.join(", ")
            )));
        }
    }
    if !recording.exists() {
        if let Some(setup) = recorded_report.as_ref().and_then(|report| report.setup_error.clone()) {
            return Err(Error::Usage(format!(
                "{} does not exist: the recorded run never reached the service ({setup}) — nothing to judge",
                recording.display()
            )));
        }
        return Err(Error::Usage(format!(
            "{} does not exist: the run was not recorded (a run with --no-report, or a report older than the \
             recording) — nothing to judge",
            recording.display()
        )));
    }
    if !crate::input::stays_within(&recording, dir) {
        return Err(Error::Usage(format!(
            "{} is a link leading outside {}: only a recording inside the directory is read",
            recording.display(),
            dir.display()
        )));
    }
    let timeline = Timeline::from_recording(&recording).map_err(|error| Error::Usage(error.to_string()))?;

    let out = args.report_dir.clone().unwrap_or_else(|| dir.join(DEFAULT_OUT));
    // The default output directory sits in the input: one that came with it as a link could point anywhere.
    if args.report_dir.is_none() && out.symlink_metadata().is_ok_and(|metadata| metadata.file_type().is_symlink()) {
        return Err(Error::Usage(format!(
            "{} is a symbolic link that came with the recorded run: no report is written through it; give \
             --report-dir",
            out.display()
        )));
    }
    if !args.no_report && same_dir(&out, dir) {
        return Err(Error::Usage(format!(
            "--report-dir {} is the recorded run's own directory: its reports would be overwritten; give another",
            out.display()
        )));
    }
    let suites = crate::suite::load_suites(&args.suites)?;
    // The recorded run's selection and settings, judged with these suites.
    let settings = recorded_report.as_ref().map(|report| &report.settings);
    let selection = Selection {
        only: settings.map(|settings| settings.only.clone()).unwrap_or_default(),
        skip: settings.map(|settings| settings.skip.clone()).unwrap_or_default(),
        tags: settings.map(|settings| settings.tags.clone()).unwrap_or_default(),
    };
    // The suites the recorded run had, also those only some runs have (`when:`): their checks are judged again, or
    // said to need a live service, as in the run.
    let available: Vec<&str> = suites
        .iter()
        .filter(|suite| {
            recorded_report.as_ref().is_some_and(|report| report.suites.iter().any(|had| had.id == suite.id))
        })
        .filter_map(|suite| suite.when.as_deref())
        .collect();
    let plan = crate::suite::plan(&suites, &selection.only, &selection.skip, &selection.tags, &available);
    if plan.is_empty() {
        let why = crate::suite::unmatched(&suites, &selection.only, &selection.skip, &selection.tags, &available);
        return Err(Error::NothingSelected { why });
    }
    let window =
        settings.map_or(Duration::from_secs(60), |settings| Duration::from_millis(settings.heartbeat_window_ms));
    let config = RunConfig {
        target: TargetChoice::Nothing,
        timeouts: Timeouts::default(),
        settings: Settings {
            window,
            timeout: settings.and_then(|settings| settings.timeout_ms).map(Duration::from_millis),
            allow_destructive: settings.is_some_and(|settings| settings.allow_destructive),
            // The recorded run's claims, compared again.
            claims: recorded_report.as_ref().and_then(|report| report.claims.clone()),
            ..Settings::default()
        },
        suites,
        plan,
        selection,
        deadline: None,
        notes: Vec::new(),
        output: OutputArgs {
            report_dir: out.clone(),
            no_report: args.no_report,
            color: args.color,
            ..OutputArgs::default()
        },
    };
    let target = match &recorded_report {
        Some(report) => {
            let mut target = report.target.clone();
            target.description = format!("{} (re-judged from {})", target.description, recording.display());
            target
        }
        None => TargetReport {
            description: format!("a recorded run ({})", recording.display()),
            endpoint: None,
            tls: false,
            server_name: None,
            authority: None,
        },
    };
    // The span each recorded check watched (the heartbeat rule judges it again).
    let spans = recorded_report
        .as_ref()
        .map(|report| {
            report
                .checks
                .iter()
                // Ran: a check that judges the recording takes under a millisecond, one never run has no start.
                .filter(|check| {
                    check.verdict != crate::events::Verdict::Skip && (check.duration_ms > 0 || check.started_ms > 0)
                })
                .map(|check| {
                    // Both recorded in whole milliseconds: the span ends up to
                    // 2 ms later than they say (a heartbeat check that failed
                    // the instant a silence passed its limit must again).
                    let from = Duration::from_millis(check.started_ms);
                    (
                        check.id.clone(),
                        (from, from.saturating_add(Duration::from_millis(check.duration_ms.saturating_add(2)))),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let recorded = Recorded {
        setup_error: recorded_report.as_ref().and_then(|report| report.setup_error.clone()),
        interrupted_by: recorded_report.as_ref().and_then(|report| report.interrupted_by.clone()),
        spans,
        timeline,
        target,
        service: recorded_report.as_ref().and_then(|report| report.service.clone()),
        started_at: recorded_report
            .as_ref()
            .map_or_else(|| crate::clock::rfc3339(std::time::SystemTime::now()), |report| report.started_at.clone()),
    };

    let writer = Arc::new(ReportWriter::new((!args.no_report).then(|| out.clone())));
    let observer: Arc<dyn Observer> = writer.clone();
    rejudge::rejudge(config, recorded, observer).await;
    let Some(report) = writer.report() else {
        return Err(Error::Write("the re-judging ended before it started".into()));
    };
    super::print_stdout(&super::report::render(&report, args.format, &Look::detect(args.color)));
    let written = writer.written().map_err(Error::Write)?;
    if !written.is_empty() && !args.quiet {
        eprintln!("reports: {}", written.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    baseline::judge(&report, None)
}

/// `name` is one plain path component: no separator, not `.` or `..`, not empty.
fn bare_file_name(name: &str) -> bool {
    let path = std::path::Path::new(name);
    !name.is_empty()
        && !name.contains(['/', '\\'])
        && matches!(path.components().collect::<Vec<_>>().as_slice(), [std::path::Component::Normal(_)])
}

fn same_dir(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
