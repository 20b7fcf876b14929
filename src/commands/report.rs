//! `puppet-lint report FILE --format F`: any format again, from report.json.

use crate::cli::{ReportArgs, ReportFormat};
use crate::error::Error;
use crate::report::look::Look;
use crate::report::model::{OLDEST_READABLE, Report, SCHEMA, SCHEMA_VERSION};
use crate::report::{badge, checklist, files, github, html, junit, markdown};

/// Renders a report a run wrote (its report.json, or the directory holding it)
/// in one format, on stdout or to `--output`.
pub fn report(args: ReportArgs) -> Result<(), Error> {
    let report = read(&report_file(&args.file)?)?;
    let look = if args.output.is_some() { Look::plain() } else { Look::detect(args.color) };
    let text = render(&report, args.format, &look);
    match &args.output {
        Some(path) => files::write_atomically(path, &text)
            .map_err(|error| Error::Write(format!("cannot write {}: {error}", path.display())))?,
        None => super::print_stdout(&text),
    }
    Ok(())
}

/// A report in one format.
pub fn render(report: &Report, format: ReportFormat, look: &Look) -> String {
    match format {
        ReportFormat::Checklist => checklist::render(report, look),
        ReportFormat::Junit => junit::render(report),
        ReportFormat::Markdown => markdown::render(report),
        ReportFormat::Badge => badge::svg(report),
        ReportFormat::BadgeJson => format!("{}\n", badge::json(report)),
        ReportFormat::Json => files::json(report),
        ReportFormat::Github => github::annotations(report),
        ReportFormat::Html => html::render(report),
    }
}

/// The report.json `path` names: the file itself, or `report.json` in the
/// report directory a run wrote (`--report-dir`).
pub fn report_file(path: &std::path::Path) -> Result<std::path::PathBuf, Error> {
    if !path.is_dir() {
        return Ok(path.to_owned());
    }
    let file = path.join("report.json");
    if file.is_file() {
        return Ok(file);
    }
    let shown = crate::report::one_line(&path.display().to_string());
    Err(Error::Usage(format!(
        "{shown} is a directory with no report.json in it: give the report.json a run wrote, or the directory it \
         wrote it to (--report-dir, `reports` by default)"
    )))
}

/// Reads a report.json (of a schema version this puppet-lint reads).
pub fn read(path: &std::path::Path) -> Result<Report, Error> {
    let text = crate::input::read_text(path, crate::input::cap::REPORT).map_err(|error| {
        Error::Usage(format!("cannot read {}: {error}", crate::report::one_line(&path.display().to_string())))
    })?;
    let shown = crate::report::one_line(&path.display().to_string());
    let not_json = |error: serde_json::Error| {
        Error::Usage(format!("{shown}:{}:{}: not JSON: {error}", error.line(), error.column()))
    };
    // The schema first (a small struct: the rest is skipped, not built), for a clear error.
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        schema: serde_json::Value,
        #[serde(default)]
        schema_version: serde_json::Value,
    }
    let head: Head = serde_json::from_str(&text).map_err(not_json)?;
    let schema = head.schema.as_str().unwrap_or_default();
    let version = head.schema_version.as_u64().unwrap_or_default();
    if schema != SCHEMA || !(u64::from(OLDEST_READABLE)..=u64::from(SCHEMA_VERSION)).contains(&version) {
        return Err(Error::Usage(format!(
            "{shown} is not a puppet-lint report of schema version {OLDEST_READABLE} to {SCHEMA_VERSION} (it says schema \"{}\", version {version})",
            crate::report::one_line(schema)
        )));
    }
    let out_of_bounds = |error: crate::report::bounds::OutOfBounds| Error::Usage(format!("{shown}: {error}"));
    crate::report::bounds::shape(&text).map_err(out_of_bounds)?;
    let report: Report = serde_json::from_str(&text).map_err(|error| Error::Usage(format!("{shown}: {error}")))?;
    crate::report::bounds::check(&report).map_err(out_of_bounds)?;
    Ok(report)
}
