//! Reading `report.json` files and directories for the matrix.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::report::model::{self, Report};
use crate::report::one_line;

#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("no reports given")]
    NoInput,
    #[error("{path}: cannot read it: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: no report.json in it or in its subdirectories")]
    NoReports { path: PathBuf },
    #[error("{path}:{line}:{column}: not a puppet-lint report: {message}")]
    Json { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: not a puppet-lint report: its schema is {found}, not \"{expected}\"", expected = model::SCHEMA)]
    Schema { path: PathBuf, found: String },
    #[error(
        "{path}: report schema_version {found} is newer than this puppet-lint reads ({known}): upgrade puppet-lint",
        known = model::SCHEMA_VERSION
    )]
    TooNew { path: PathBuf, found: u64 },
    #[error("{path}: {error}")]
    OutOfBounds { path: PathBuf, error: crate::report::bounds::OutOfBounds },
}

/// A report to read, with the name to show for it (`None`: its target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub name: Option<String>,
    pub path: PathBuf,
}

impl Input {
    /// `PATH`, or `NAME=PATH` (when no file `NAME=PATH` exists).
    pub fn parse(arg: &str) -> Input {
        match arg.split_once('=') {
            Some((name, path)) if !name.is_empty() && !path.is_empty() && !Path::new(arg).exists() => {
                Input { name: Some(name.to_owned()), path: PathBuf::from(path) }
            }
            _ => Input { name: None, path: PathBuf::from(arg) },
        }
    }
}

/// Reads report files and directories: a directory gives its own
/// `report.json` (one run: nothing below it is read, a `rejudged/` is made
/// from it) or else each `<name>/report.json` one level down (named
/// `<name>`), sorted. A report's default name is its target.
pub fn load(paths: &[PathBuf]) -> Result<Vec<(String, Report)>, MatrixError> {
    let inputs: Vec<Input> = paths.iter().map(|path| Input { name: None, path: path.clone() }).collect();
    load_inputs(&inputs)
}

/// As [`load`], with names given by the caller; a named directory's
/// subdirectory reports are named `NAME/<name>`.
pub fn load_inputs(inputs: &[Input]) -> Result<Vec<(String, Report)>, MatrixError> {
    if inputs.is_empty() {
        return Err(MatrixError::NoInput);
    }
    let mut reports = Vec::new();
    for input in inputs {
        let path = &input.path;
        let is_dir = std::fs::metadata(path).map_err(|source| read_error(path, source))?.is_dir();
        if !is_dir {
            let report = read(path)?;
            reports.push((input.name.clone().unwrap_or_else(|| report.target.description.clone()), report));
            continue;
        }
        let found_before = reports.len();
        let own = path.join("report.json");
        if own.is_file() {
            // One run's directory: what lies below it (`rejudged/`) was made
            // from that run, not by another provider.
            let report = read(&own)?;
            reports.push((input.name.clone().unwrap_or_else(|| report.target.description.clone()), report));
            continue;
        }
        let mut subdirectories = Vec::new();
        for entry in std::fs::read_dir(path).map_err(|source| read_error(path, source))? {
            let entry = entry.map_err(|source| read_error(path, source))?;
            let file = entry.path().join("report.json");
            if entry.path().is_dir() && file.is_file() {
                subdirectories.push((entry.file_name().to_string_lossy().into_owned(), file));
            }
        }
        subdirectories.sort();
        for (name, file) in subdirectories {
            let report = read(&file)?;
            let name = match &input.name {
                Some(prefix) => format!("{prefix}/{name}"),
                None => name,
            };
            reports.push((name, report));
        }
        if reports.len() == found_before {
            return Err(MatrixError::NoReports { path: path.clone() });
        }
    }
    Ok(reports)
}

fn read_error(path: &Path, source: std::io::Error) -> MatrixError {
    MatrixError::Read { path: path.to_owned(), source }
}

/// One `report.json`: its schema and version first, for a clear error,
/// then the whole of it.
pub fn read(path: &Path) -> Result<Report, MatrixError> {
    #[derive(Deserialize)]
    struct Head {
        schema: Option<serde_json::Value>,
        schema_version: Option<serde_json::Value>,
    }
    let text =
        crate::input::read_to_string(path, crate::input::cap::REPORT).map_err(|source| read_error(path, source))?;
    let json_error = |error: serde_json::Error| {
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let message = error.to_string();
        MatrixError::Json {
            path: path.to_owned(),
            line: error.line(),
            column: error.column(),
            message: message.strip_suffix(&suffix).unwrap_or(&message).to_owned(),
        }
    };
    let head: Head = serde_json::from_str(&text).map_err(json_error)?;
    match &head.schema {
        Some(serde_json::Value::String(schema)) if schema == model::SCHEMA => {}
        Some(other) => return Err(MatrixError::Schema { path: path.to_owned(), found: one_line(&other.to_string()) }),
        None => return Err(MatrixError::Schema { path: path.to_owned(), found: "missing".into() }),
    }
    if let Some(found) = head.schema_version.as_ref().and_then(serde_json::Value::as_u64)
        && found > u64::from(model::SCHEMA_VERSION)
    {
        return Err(MatrixError::TooNew { path: path.to_owned(), found });
    }
    let out_of_bounds = |error| MatrixError::OutOfBounds { path: path.to_owned(), error };
    crate::report::bounds::shape(&text).map_err(out_of_bounds)?;
    let report: Report = serde_json::from_str(&text).map_err(json_error)?;
    crate::report::bounds::check(&report).map_err(out_of_bounds)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_may_carry_a_name() {
        assert_eq!(Input::parse("acme=reports/x/report.json").name.as_deref(), Some("acme"));
        assert_eq!(Input::parse("reports/x/report.json").name, None);
        assert_eq!(Input::parse("=x").name, None);
    }
}
