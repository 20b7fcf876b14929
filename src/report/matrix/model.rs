//! The matrix as data: providers, and per suite version its providers,
//! levels and rows, built from `(name, report)` pairs.

use std::collections::HashMap;

use serde::Serialize;

use super::capability::Capabilities;
use crate::report::model::{CheckReport, Report, Summary, Verdict};
use crate::report::{certify, one_line};

/// The JSON rendering's schema.
pub const SCHEMA: &str = "puppet-lint/matrix";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Matrix {
    pub schema: String,
    pub schema_version: u32,
    /// In the order given; names are unique (a repeated one gets ` (2)`, …).
    pub providers: Vec<Provider>,
    /// One per suite id and version, sorted by id, then version.
    pub suites: Vec<SuiteMatrix>,
    /// The capability section: the rows of the capability table × the providers that probed them; absent when no
    /// report probed capabilities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Provider {
    pub name: String,
    /// The report's target, token masked.
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_version: Option<String>,
    pub puppet_lint_version: String,
    pub started_at: String,
    /// The run did not finish.
    pub partial: bool,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SuiteMatrix {
    pub suite: String,
    pub version: String,
    pub title: String,
    /// Indexes into [`Matrix::providers`] of those that ran this suite version.
    pub providers: Vec<usize>,
    /// Aligned with `providers` above.
    pub certification: Vec<Level>,
    pub checks: Vec<Row>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Level {
    /// The highest level reached, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub passed: usize,
    pub total: usize,
    /// Only some of the suite's checks ran: no level can be reached.
    pub partial: bool,
    /// `L2 · 11/11`, `uncertified · 9/11`.
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub id: String,
    pub title: String,
    /// `must` or `should`.
    pub level: String,
    /// Aligned with the suite's `providers`; `null` where the check did not run.
    pub results: Vec<Option<Cell>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cell {
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Matrix {
    /// The matrix of `(provider name, report)` pairs, in the order given.
    pub fn build(reports: Vec<(String, Report)>) -> Matrix {
        let mut providers = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        // (suite id, version) → its matrix, and each row's index by check id.
        let mut groups: Vec<(SuiteMatrix, HashMap<String, usize>)> = Vec::new();
        for (index, (name, report)) in reports.iter().enumerate() {
            providers.push(provider(unique(name, &report.target.description, &mut seen), report));
            let levels = certify(report);
            for check in &report.checks {
                let version = version_of(report, &check.suite);
                let group = group(&mut groups, report, &check.suite, &version);
                add_check(group, index, check);
            }
            for suite in &report.suites {
                let group = group(&mut groups, report, &suite.id, &suite.version);
                if !group.0.providers.contains(&index) {
                    group.0.providers.push(index);
                }
                if let Some(certification) = levels.iter().find(|level| level.suite == suite.id) {
                    let column = group.0.providers.iter().position(|&listed| listed == index).unwrap_or_default();
                    if group.0.certification.len() <= column {
                        group.0.certification.resize(column + 1, unlisted());
                    }
                    group.0.certification[column] = Level {
                        level: certification.level.as_ref().map(|(level, _)| *level),
                        name: certification.level.as_ref().map(|(_, name)| name.clone()),
                        passed: certification.passed,
                        total: certification.total,
                        partial: certification.partial,
                        message: certification.message(),
                    };
                }
            }
        }
        let mut suites: Vec<SuiteMatrix> = groups
            .into_iter()
            .map(|(mut group, _)| {
                // A provider whose report has checks of a suite it does not list.
                let width = group.providers.len();
                group.certification.resize(width, unlisted());
                for row in &mut group.checks {
                    row.results.resize(width, None);
                }
                group
            })
            .collect();
        suites.sort_by(|a, b| a.suite.cmp(&b.suite).then_with(|| compare_versions(&a.version, &b.version)));
        let capabilities = Capabilities::build(&reports);
        Matrix { schema: SCHEMA.into(), schema_version: SCHEMA_VERSION, providers, suites, capabilities }
    }
}

/// The level of a provider whose report has checks of a suite it does not list.
fn unlisted() -> Level {
    Level { level: None, name: None, passed: 0, total: 0, partial: true, message: "suite not listed".into() }
}

fn provider(name: String, report: &Report) -> Provider {
    Provider {
        name,
        description: report.target.description.clone(),
        endpoint: report.target.endpoint.clone(),
        service_version: report.service.as_ref().and_then(|service| service.version.clone()),
        puppet_lint_version: report.puppet_lint_version.clone(),
        started_at: report.started_at.clone(),
        partial: report.partial,
        summary: report.summary.clone(),
    }
}

/// The name shown: the one given, else the target; one line, and unique.
fn unique(name: &str, description: &str, seen: &mut HashMap<String, usize>) -> String {
    let name = if name.trim().is_empty() { description } else { name };
    let name = match one_line(name).trim() {
        "" => "(unnamed)".to_owned(),
        name => name.to_owned(),
    };
    let count = seen.entry(name.clone()).or_insert(0);
    *count += 1;
    if *count == 1 { name } else { format!("{name} ({count})") }
}

fn version_of(report: &Report, suite: &str) -> String {
    report
        .suites
        .iter()
        .find(|listed| listed.id == suite)
        .map_or_else(|| "?".to_owned(), |listed| listed.version.clone())
}

fn group<'a>(
    groups: &'a mut Vec<(SuiteMatrix, HashMap<String, usize>)>,
    report: &Report,
    suite: &str,
    version: &str,
) -> &'a mut (SuiteMatrix, HashMap<String, usize>) {
    let found = groups.iter().position(|(group, _)| group.suite == suite && group.version == version);
    let index = found.unwrap_or_else(|| {
        let title = report.suites.iter().find(|listed| listed.id == suite).map_or("", |listed| &listed.title);
        groups.push((
            SuiteMatrix {
                suite: suite.to_owned(),
                version: version.to_owned(),
                title: title.to_owned(),
                providers: Vec::new(),
                certification: Vec::new(),
                checks: Vec::new(),
            },
            HashMap::new(),
        ));
        groups.len() - 1
    });
    &mut groups[index]
}

fn add_check(group: &mut (SuiteMatrix, HashMap<String, usize>), provider: usize, check: &CheckReport) {
    let (suite, rows) = group;
    let column = match suite.providers.iter().position(|&listed| listed == provider) {
        Some(column) => column,
        None => {
            suite.providers.push(provider);
            suite.providers.len() - 1
        }
    };
    let row = *rows.entry(check.id.clone()).or_insert_with(|| {
        suite.checks.push(Row {
            id: check.id.clone(),
            title: check.title.clone(),
            level: severity(check),
            results: Vec::new(),
        });
        suite.checks.len() - 1
    });
    let results = &mut suite.checks[row].results;
    if results.len() <= column {
        results.resize(column + 1, None);
    }
    // A check listed twice in one report keeps its first verdict.
    if results[column].is_none() {
        results[column] = Some(Cell { verdict: check.verdict, reason: check.reason.clone() });
    }
}

/// `must`/`should`, as `report.json` spells it.
fn severity(check: &CheckReport) -> String {
    check.level.as_str().to_owned()
}

/// `1.10.0` after `1.9.0`: numeric parts compare as numbers.
fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |text: &str| -> Vec<(u64, String)> {
        text.split(['.', '-', '+']).map(|part| (part.parse().unwrap_or(u64::MAX), part.to_owned())).collect()
    };
    parts(a).cmp(&parts(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert!(compare_versions("1.9.0", "1.10.0").is_lt());
        assert!(compare_versions("1.0.0", "1.0.0").is_eq());
        assert!(compare_versions("2.0.0", "10.0.0").is_lt());
    }

    #[test]
    fn names_are_unique_and_never_empty() {
        let mut seen = HashMap::new();
        assert_eq!(unique("a", "x", &mut seen), "a");
        assert_eq!(unique("a", "x", &mut seen), "a (2)");
        assert_eq!(unique(" ", "target", &mut seen), "target");
        assert_eq!(unique("", "", &mut seen), "(unnamed)");
    }
}
