//! The one error every command returns; it knows its exit code (README,
//! "Exit codes"), and `main` maps it once. Outcomes that are not faults of
//! puppet-lint's — a conformance failure, a target that could not be reached,
//! nothing selected, an interrupt — are variants too, so that the exit code
//! is decided in one place.

use crate::exit;
use crate::signal::Signal;
use crate::suite::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flags or arguments that cannot work together (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A suite did not load (exit 2); each problem names its file:line:col.
    #[error("{0}")]
    Suite(#[from] LoadError),
    /// puppet-lint could not listen where it was told (exit 2).
    #[error("cannot listen on {address} for {what}: {reason}")]
    Listen { what: &'static str, address: String, reason: String },
    /// Writing reports or files failed (exit 2).
    #[error("{0}")]
    Write(String),
    /// The target could not be reached, authenticated or logged in, or a
    /// check could not run for want of a connection (exit 3). `shown`: the
    /// checklist already said why.
    #[error("{message}")]
    Unreachable { message: String, hint: String, shown: bool },
    /// `must` checks failed; with a baseline, `new` failures and `stale`
    /// entries that pass now (exit 1). The checklist already shows them.
    #[error("conformance failure: {}", failed.join(", "))]
    Conformance { failed: Vec<String>, new: Vec<String>, stale: Vec<String> },
    /// The selection matched no check (exit 4); `why`: each filter that chose nothing and why, with what to do
    /// (`suite::select::unmatched`: an opt-in suite's flag, the nearest ids).
    #[error("nothing selected: no check matches the filters (see `puppet-lint list`)")]
    NothingSelected { why: Vec<String> },
    /// Ctrl-C or SIGTERM (exit 130 / 143); the reports so far were written.
    #[error("interrupted by {}", .0.name())]
    Interrupted(Signal),
}

impl Error {
    /// The process's exit code for this error.
    pub fn code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Suite(_) | Error::Listen { .. } | Error::Write(_) => exit::USAGE,
            Error::Conformance { .. } => exit::FAILURE,
            Error::Unreachable { .. } => exit::UNREACHABLE,
            Error::NothingSelected { .. } => exit::NOTHING_SELECTED,
            Error::Interrupted(signal) => signal.exit_code(),
        }
    }

    /// What to print on stderr, if anything: the message, the offending
    /// suite lines, a hint. Outcomes the checklist already showed print
    /// nothing more (a baseline's new and stale ids excepted).
    pub fn render(&self) -> Option<String> {
        let text = match self {
            Error::Suite(LoadError { errors, sources }) => {
                let mut text = String::new();
                for error in &errors.0 {
                    text.push_str(&format!("error: {error}\n"));
                    let source = sources.iter().find(|(name, _)| *name == error.location.file).map(|(_, text)| text);
                    if let Some(line) =
                        source.and_then(|source| source.lines().nth(error.location.line.saturating_sub(1) as usize))
                    {
                        let number = error.location.line.to_string();
                        text.push_str(&format!("  {number} | {line}\n"));
                        let pad = " ".repeat(number.len() + 3 + error.location.column.saturating_sub(1) as usize);
                        text.push_str(&format!("  {pad}^\n"));
                    }
                }
                text.trim_end().to_owned()
            }
            Error::Unreachable { message, hint, shown: false } => {
                format!("puppet-lint: {message}\n  → {hint}")
            }
            Error::Unreachable { shown: true, .. } | Error::Interrupted(_) => return None,
            Error::Conformance { new, stale, .. } => {
                let mut lines: Vec<String> =
                    new.iter().map(|id| format!("baseline: {id} fails and is not in the baseline")).collect();
                lines.extend(
                    stale.iter().map(|id| format!("baseline: {id} passes now: remove it from the baseline (stale)")),
                );
                if lines.is_empty() {
                    return None;
                }
                lines.join("\n")
            }
            Error::NothingSelected { why } => {
                let mut text = format!("puppet-lint: {self}");
                for line in why {
                    text.push_str(&format!("\n  → {line}"));
                }
                text
            }
            other => format!("error: {other}"),
        };
        Some(crate::redact::redact(&text).into_owned())
    }
}
