//! The report files: `report.json`, `junit.xml`, `summary.md`, `badge.svg`,
//! `badge.json`, `report.html`, and `badge-capabilities.svg` / `.json` when the run probed capabilities. Each is written whole or not at all (a temporary file
//! renamed into place); [`super::writer::ReportWriter`] decides when.

use std::io;
use std::path::{Path, PathBuf};

use super::model::Report;
use super::{badge, html, junit, markdown};

pub const JSON: &str = "report.json";
pub const JUNIT: &str = "junit.xml";
pub const MARKDOWN: &str = "summary.md";
pub const BADGE_SVG: &str = "badge.svg";
pub const BADGE_JSON: &str = "badge.json";
pub const HTML: &str = "report.html";
pub const CAPABILITIES_BADGE_SVG: &str = "badge-capabilities.svg";
pub const CAPABILITIES_BADGE_JSON: &str = "badge-capabilities.json";

/// `report.json`'s text: C1 controls and DEL as `\u` escapes ([`crate::events::escape_c1_controls`]), tokens
/// masked.
pub fn json(report: &Report) -> String {
    let mut text = crate::events::escape_c1_controls(serde_json::to_string_pretty(report).unwrap_or_default());
    text.push('\n');
    crate::redact::redact(&text).into_owned()
}

/// Writes every format into `dir` (created if need be), each passed through
/// the one redaction at the last moment (whatever field a token hid in).
pub fn write_all(report: &Report, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let files = [
        (JSON, json(report)),
        (JUNIT, junit::render(report)),
        (MARKDOWN, markdown::render(report)),
        (BADGE_SVG, badge::svg(report)),
        (BADGE_JSON, badge::json(report)),
        (HTML, html::render(report)),
    ];
    let mut written: Vec<PathBuf> = files
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            write_atomically(&path, &crate::redact::redact(&text))?;
            Ok(path)
        })
        .collect::<io::Result<_>>()?;
    // The capability badge only for a run that probed capabilities; an earlier run's is removed.
    let badges = [
        (CAPABILITIES_BADGE_SVG, badge::capabilities_svg(report)),
        (CAPABILITIES_BADGE_JSON, badge::capabilities_json(report)),
    ];
    for (name, text) in badges {
        let path = dir.join(name);
        match text {
            Some(text) => {
                write_atomically(&path, &crate::redact::redact(&text))?;
                written.push(path);
            }
            None => match std::fs::remove_file(&path) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
                _ => {}
            },
        }
    }
    Ok(written)
}

/// GitHub Actions shows this file under the job.
pub fn append_step_summary(report: &Report) -> io::Result<Option<PathBuf>> {
    append_to_step_summary(&markdown::render(report))
}

/// Appends Markdown to `$GITHUB_STEP_SUMMARY`, when it is set.
pub fn append_to_step_summary(markdown: &str) -> io::Result<Option<PathBuf>> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|path| !path.is_empty()) else {
        return Ok(None);
    };
    use std::io::Write as _;
    let path = PathBuf::from(path);
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    file.write_all(markdown.as_bytes())?;
    Ok(Some(path))
}

pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}
