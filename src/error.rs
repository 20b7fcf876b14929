//! The one error `main` turns into a message and an exit code.

use crate::exit;
use crate::suite::SuiteErrors;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    /// A suite did not load; `source` is its text, for showing the lines.
    #[error("{errors}")]
    Suite { errors: SuiteErrors, sources: Vec<(String, String)> },
    /// The target could not be reached, authenticated or logged in.
    #[error("{message}")]
    Unreachable { message: String, hint: String },
    /// Writing reports or files failed.
    #[error("{0}")]
    Output(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Suite { .. } | Error::Output(_) => exit::USAGE,
            Error::Unreachable { .. } => exit::UNREACHABLE,
        }
    }

    /// What to print: the message, the offending suite lines, a hint.
    pub fn render(&self) -> String {
        let text = match self {
            Error::Suite { errors, sources } => {
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
            Error::Unreachable { message, hint } => format!("error: {message}\n  → {hint}"),
            other => format!("error: {other}"),
        };
        crate::redact::redact(&text).into_owned()
    }
}
