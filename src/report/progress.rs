//! Live progress while a run goes on, on stderr: one line per running check
//! in a terminal (with a countdown where a check watches a window); without a
//! terminal, plain lines, at most one status line every 10 s.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::ColorChoice;
use crate::clock::human;
use crate::events::{Observer, RunEvent};
use crate::report::look::{Look, Paint, color_wanted};

const PLAIN_EVERY: Duration = Duration::from_secs(10);

pub struct Progress {
    mode: Mode,
    look: Look,
    started: Instant,
    state: Mutex<State>,
}

enum Mode {
    Live(MultiProgress),
    Plain,
    Quiet,
}

#[derive(Default)]
struct State {
    bars: BTreeMap<String, ProgressBar>,
    /// Plain mode: what each running check last said.
    notes: BTreeMap<String, String>,
    finished: usize,
    last_status: Option<Instant>,
}

impl Progress {
    pub fn new(choice: ColorChoice, quiet: bool) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let mode = match (quiet, tty) {
            (true, _) => Mode::Quiet,
            (false, true) => Mode::Live(MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            (false, false) => Mode::Plain,
        };
        Progress {
            mode,
            look: Look { color: color_wanted(choice, tty), unicode: true, width: None },
            started: Instant::now(),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `text` is puppet-lint's own (colours included); peers' strings in it
    /// went through [`clean`] first.
    fn line(&self, text: &str) {
        let text = crate::redact::redact(text);
        match &self.mode {
            Mode::Live(multi) => {
                let _ = multi.println(text.as_ref());
            }
            Mode::Plain => {
                // A closed stderr loses the line and ends nothing.
                let _ = writeln!(std::io::stderr(), "[{:>6}] {text}", human(self.started.elapsed()));
            }
            Mode::Quiet => {}
        }
    }

    /// Plain mode: a status line, unless one went out less than 10 s ago.
    fn status(&self, state: &mut State) {
        let now = Instant::now();
        if state.last_status.is_some_and(|last| now - last < PLAIN_EVERY) || state.notes.is_empty() {
            return;
        }
        state.last_status = Some(now);
        let running: Vec<String> = state
            .notes
            .iter()
            .map(|(id, note)| if note.is_empty() { id.clone() } else { format!("{id} ({note})") })
            .collect();
        self.line(&format!("{} done, running: {}", state.finished, running.join(", ")));
    }
}

/// A peer's string (a bot id, a status) on one line, unable to drive the
/// terminal.
fn clean(text: &str) -> String {
    crate::report::one_line(text)
}

fn bar_style(watching: bool) -> ProgressStyle {
    let template = if watching {
        "{spinner:.cyan} {prefix:32} [{bar:24.cyan/blue}] {wide_msg}"
    } else {
        "{spinner:.cyan} {prefix:32} {wide_msg}"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner()).progress_chars("=> ")
}

impl Observer for Progress {
    fn event(&self, event: RunEvent) {
        match event {
            RunEvent::Phase(text) => self.line(&self.look.paint(&format!("· {}", clean(&text)), Paint::Dim)),
            RunEvent::Ask(text) => {
                let text = self.look.paint(&clean(&text), Paint::Bold);
                let text = crate::redact::redact(&text);
                // Its own whole line, the live checks cleared while it is written and drawn again below it.
                let say = || {
                    let _ = writeln!(std::io::stderr(), "{text}");
                };
                match &self.mode {
                    Mode::Live(multi) => multi.suspend(say),
                    Mode::Plain | Mode::Quiet => say(),
                }
            }
            RunEvent::SetupStep(step) => {
                let took = human(step.took);
                let text = match &step.outcome {
                    Ok(detail) if step.skipped => format!("· {}: {}", step.step, clean(detail)),
                    Ok(detail) => format!("· {}: {} ({took})", step.step, clean(detail)),
                    Err((problem, _)) => format!("· {} failed: {} ({took})", step.step, clean(problem)),
                };
                self.line(&self.look.paint(&text, Paint::Dim));
            }
            RunEvent::Scan { status, qrcode } => {
                let draw = !matches!(self.mode, Mode::Plain) && crate::report::look::draws_qr_codes(true);
                self.line(&crate::report::look::scan_lines(&status, qrcode.as_deref(), draw));
            }
            RunEvent::RunStarted(_) | RunEvent::RunFinished(_) => {}
            RunEvent::CheckStarted { id, title } => match &self.mode {
                Mode::Live(multi) => {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(bar_style(false));
                    bar.set_prefix(id.clone());
                    bar.set_message(title);
                    bar.enable_steady_tick(Duration::from_millis(120));
                    self.state().bars.insert(id, bar);
                }
                Mode::Plain => {
                    let mut state = self.state();
                    state.notes.insert(id, String::new());
                    self.status(&mut state);
                }
                Mode::Quiet => {}
            },
            RunEvent::CheckProgress { id, note, watch } => {
                let mut state = self.state();
                match &self.mode {
                    Mode::Live(_) => {
                        if let Some(bar) = state.bars.get(&id) {
                            if let Some((done, total)) = watch {
                                bar.set_style(bar_style(true));
                                bar.set_length(total.as_millis() as u64);
                                bar.set_position(done.as_millis() as u64);
                            }
                            bar.set_message(clean(&note));
                        }
                    }
                    Mode::Plain => {
                        state.notes.insert(id, clean(&note));
                        self.status(&mut state);
                    }
                    Mode::Quiet => {}
                }
            }
            RunEvent::CheckFinished(report) => {
                let mut state = self.state();
                state.finished += 1;
                state.notes.remove(&report.id);
                if let Some(bar) = state.bars.remove(&report.id) {
                    bar.finish_and_clear();
                }
                if matches!(self.mode, Mode::Live(_)) {
                    let time = human(Duration::from_millis(report.duration_ms));
                    let reason =
                        report.reason.as_deref().map(|reason| format!(" — {}", clean(reason))).unwrap_or_default();
                    self.line(&format!(
                        "{} {}  {}{reason}",
                        self.look.verdict(report.verdict),
                        report.id,
                        self.look.paint(&time, Paint::Dim)
                    ));
                } else {
                    self.status(&mut state);
                }
            }
        }
    }
}

/// Progress of one target among several: plain lines on stderr, each
/// prefixed with the target's name — how it connects (failures only), what
/// failed, warned or errored (skips are in the checklist), and how it ended — so a hundred targets stay readable
/// (no bars, no periodic status).
pub struct TargetProgress {
    name: String,
    look: Look,
    quiet: bool,
    started: Instant,
    counts: Mutex<BTreeMap<&'static str, usize>>,
    /// The connection walk failed: the checks that could not run say
    /// nothing more.
    setup_failed: std::sync::atomic::AtomicBool,
}

impl TargetProgress {
    /// `started`: the moment the whole run began (every target's lines
    /// share its clock).
    pub fn new(name: &str, choice: ColorChoice, quiet: bool, started: Instant) -> TargetProgress {
        let tty = std::io::stderr().is_terminal();
        TargetProgress {
            name: name.to_owned(),
            look: Look { color: color_wanted(choice, tty), unicode: true, width: None },
            quiet,
            started,
            counts: Mutex::new(BTreeMap::new()),
            setup_failed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        let text = crate::redact::redact(text);
        // A closed stderr loses the line and ends nothing.
        let _ = writeln!(
            std::io::stderr(),
            "[{:>6}] {}: {text}",
            human(self.started.elapsed()),
            self.look.paint(&self.name, Paint::Bold)
        );
    }
}

impl Observer for TargetProgress {
    fn event(&self, event: RunEvent) {
        match event {
            RunEvent::Phase(text) if text.starts_with("connecting to ") => self.line(&clean(&text)),
            RunEvent::Ask(text) => {
                let _ = writeln!(std::io::stderr(), "{}: {}", self.name, crate::redact::redact(&clean(&text)));
            }
            RunEvent::SetupStep(step) => {
                if let Err((problem, _)) = &step.outcome {
                    self.setup_failed.store(true, std::sync::atomic::Ordering::Relaxed);
                    let text = format!("{} failed: {} ({})", step.step, clean(problem), human(step.took));
                    self.line(&self.look.paint(&text, Paint::Red));
                }
            }
            RunEvent::Scan { status, qrcode } => {
                // Many targets: the URL alone (a code per target would drown the log).
                self.line(&crate::report::look::scan_lines(&status, qrcode.as_deref(), false));
            }
            RunEvent::CheckFinished(report) => {
                *self
                    .counts
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .entry(report.verdict.name())
                    .or_default() += 1;
                use crate::events::Verdict;
                let not_run = report.verdict == Verdict::Error
                    && report.evidence.is_none()
                    && self.setup_failed.load(std::sync::atomic::Ordering::Relaxed);
                if !matches!(report.verdict, Verdict::Pass | Verdict::Skip) && !not_run {
                    let reason =
                        report.reason.as_deref().map(|reason| format!(" — {}", clean(reason))).unwrap_or_default();
                    self.line(&format!("{} {}{reason}", self.look.verdict(report.verdict), report.id));
                }
            }
            RunEvent::RunFinished(end) => {
                let counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
                let counted: Vec<String> = counts.iter().map(|(verdict, count)| format!("{count} {verdict}")).collect();
                let how = match &end.setup_error {
                    Some(error) => format!("not checked: {}", clean(error)),
                    None => counted.join(", "),
                };
                self.line(&format!("done in {} — {how}", human(end.duration)));
            }
            _ => {}
        }
    }
}
