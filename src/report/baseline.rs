//! Baselines: the `must` checks known to fail, so CI can gate on "no new
//! failures" while a provider works through old ones. One check id per
//! line; `#` starts a comment.

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::Error;
use crate::report::model::{Report, Verdict};
use crate::suite::Severity;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    pub ids: BTreeSet<String>,
}

/// How a run compares with a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Failing, and not in the baseline.
    pub new: Vec<String>,
    /// In the baseline, and passing now: the baseline should drop them.
    pub stale: Vec<String>,
}

impl Baseline {
    pub fn parse(text: &str) -> Baseline {
        let ids = text
            .lines()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect();
        Baseline { ids }
    }

    pub fn read(path: &Path) -> Result<Baseline, String> {
        crate::input::read_to_string(path, crate::input::cap::SMALL)
            .map(|text| Baseline::parse(&text))
            .map_err(|error| format!("cannot read the baseline {}: {error}", path.display()))
    }

    pub fn of(report: &Report) -> Baseline {
        Baseline { ids: failing(report).into_iter().collect() }
    }

    pub fn render(&self) -> String {
        let mut text = String::from(
            "# puppet-lint baseline: `must` checks known to fail, one id per line.\n\
             # A run with --baseline exits 0 when exactly these fail.\n",
        );
        // One id a line: an id that could start another line or a comment
        // (no suite makes one; a handed-in report might) is left out.
        for id in self.ids.iter().filter(|id| !id.contains(|c: char| c.is_control() || c == '#')) {
            text.push_str(id);
            text.push('\n');
        }
        text
    }

    pub fn compare(&self, report: &Report) -> Comparison {
        let failing = failing(report);
        let passed: BTreeSet<&str> = report
            .checks
            .iter()
            .filter(|check| check.verdict == Verdict::Pass)
            .map(|check| check.id.as_str())
            .collect();
        Comparison {
            new: failing.iter().filter(|id| !self.ids.contains(*id)).cloned().collect(),
            stale: self.ids.iter().filter(|id| passed.contains(id.as_str())).cloned().collect(),
        }
    }
}

/// What a finished run comes to, as CI gates on it: `Ok` when every `must`
/// check passed (or, with a baseline, exactly the baseline's failed);
/// [`Error::Conformance`] for failures and stale baseline entries;
/// [`Error::Unreachable`] when setup failed or a check could not run for
/// want of a connection.
pub fn judge(report: &Report, baseline: Option<&Baseline>) -> Result<(), Error> {
    if let Some(message) = report.setup_error.as_ref().or(report.lost_service.as_ref()) {
        return Err(Error::Unreachable { message: message.clone(), hint: String::new(), shown: true });
    }
    let failed = failing(report);
    let (new, stale) = match baseline {
        Some(baseline) => {
            let comparison = baseline.compare(report);
            (comparison.new, comparison.stale)
        }
        None => (failed.clone(), Vec::new()),
    };
    if !new.is_empty() || !stale.is_empty() {
        let new = if baseline.is_some() { new } else { Vec::new() };
        return Err(Error::Conformance { failed, new, stale });
    }
    let errored: Vec<&str> =
        report.checks.iter().filter(|check| check.verdict == Verdict::Error).map(|check| check.id.as_str()).collect();
    if !errored.is_empty() {
        return Err(Error::Unreachable {
            message: format!("{} check(s) could not run: {}", errored.len(), errored.join(", ")),
            hint: String::new(),
            shown: true,
        });
    }
    Ok(())
}

/// `must` checks that failed or timed out: what fails a run.
pub fn failing(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|check| check.level == Severity::Must && check.verdict.is_failure())
        .map(|check| check.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_ignored() {
        let baseline = Baseline::parse("# known\nevents.ready  # no ready yet\n\n  heartbeat.interval\n");
        assert_eq!(baseline.ids.iter().collect::<Vec<_>>(), ["events.ready", "heartbeat.interval"]);
        assert_eq!(Baseline::parse(&baseline.render()), baseline);
    }
}
