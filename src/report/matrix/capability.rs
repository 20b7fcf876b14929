//! The matrix's capability section as data: the rows of the capability table, grouped as the Wechaty docs'
//! compatibility table groups them, × the providers whose reports probed them; per provider its coverage and
//! correctness ([`Score`]) and the claims it was compared with; per cell the outcome, its numbered note and how it
//! stands against the claim.

use serde::Serialize;

use crate::events::CheckReport;
use crate::report::model::Report;
use crate::vocab::capability::{Agreement, Claim, Group, Outcome, Row, Score};

/// The capability section: present when at least one report probed capabilities.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Capabilities {
    /// Indexes into [`super::Matrix::providers`] of the providers whose reports probed capabilities.
    pub providers: Vec<usize>,
    /// Aligned with `providers`.
    pub scores: Vec<ProviderScore>,
    /// Aligned with `providers`: the claims each was compared with (`null`: none).
    pub claims: Vec<Option<ClaimsSource>>,
    /// In the docs' order: message, group, contact, other; a group no report has a row of is left out.
    pub groups: Vec<CapabilityGroup>,
    /// The numbered notes cells point at (`notes[0]` is note 1): why a row is partial, unsupported, broken or
    /// untested. One same text has one number.
    pub notes: Vec<String>,
}

/// A provider's counts per outcome and its two numbers ([`Score::COVERAGE`], [`Score::CORRECTNESS`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProviderScore {
    #[serde(flatten)]
    pub counts: Score,
    /// Supported rows / rows probed.
    pub coverage: Ratio,
    /// Rows that behaved / rows the provider accepted.
    pub correctness: Ratio,
    /// Rows where the claim and the measurement disagree (either way).
    pub disagreements: usize,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Ratio {
    pub part: usize,
    pub whole: usize,
}

impl Ratio {
    /// `29/29 (100%)`, `0/0`.
    pub fn text(self) -> String {
        Score::ratio((self.part, self.whole))
    }
}

/// Where a provider's claims came from (report.json's `claims`, without its rows).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClaimsSource {
    pub column: String,
    pub source: String,
    pub date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CapabilityGroup {
    pub group: Group,
    /// `1. Message`, as the docs head it.
    pub heading: String,
    pub rows: Vec<CapabilityRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CapabilityRow {
    /// The row's stable key (`send-mini-program`).
    pub key: String,
    /// Its text as the docs write it; an extra row's own words.
    pub row: String,
    /// Its number in the docs' table; absent for a row the docs do not have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs_number: Option<u8>,
    /// Aligned with [`Capabilities::providers`]; `null` where the provider's report has no such row.
    pub cells: Vec<Option<CapabilityCell>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CapabilityCell {
    pub outcome: Outcome,
    /// The number of its note in [`Capabilities::notes`] (from 1); a supported row has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Agreement>,
}

impl Capabilities {
    /// The section of these reports (indexes as in the matrix's providers); `None` when none probed capabilities.
    pub fn build(reports: &[(String, Report)]) -> Option<Capabilities> {
        let probed: Vec<(usize, Vec<&crate::events::CapabilityReport>)> = reports
            .iter()
            .enumerate()
            .map(|(index, (_, report))| {
                (index, report.checks.iter().filter_map(|check: &CheckReport| check.capability.as_ref()).collect())
            })
            .filter(|(_, rows): &(usize, Vec<_>)| !rows.is_empty())
            .collect();
        if probed.is_empty() {
            return None;
        }
        let mut notes: Vec<String> = Vec::new();
        // Every row any report has, in the table's order (a row this puppet-lint does not know goes last in its
        // group, in the order first seen).
        let mut keys: Vec<(Group, usize, String, String, Option<u8>)> = Vec::new();
        for (_, rows) in &probed {
            for row in rows {
                if keys.iter().any(|(_, _, key, _, _)| *key == row.key) {
                    continue;
                }
                let order = Row::find(&row.key)
                    .and_then(|known| Row::ALL.iter().position(|listed| *listed == known))
                    .unwrap_or(Row::ALL.len() + keys.len());
                keys.push((row.group, order, row.key.clone(), row.row.clone(), row.docs_number));
            }
        }
        keys.sort_by_key(|(group, order, ..)| (*group, *order));
        let mut groups: Vec<CapabilityGroup> = Vec::new();
        for (group, _, key, text, docs_number) in keys {
            let cells = probed
                .iter()
                .map(|(_, rows)| {
                    rows.iter().find(|row| row.key == key).map(|row| CapabilityCell {
                        outcome: row.outcome,
                        note: note_number(&mut notes, row),
                        claim: row.claim.clone(),
                        agreement: row.agreement,
                    })
                })
                .collect();
            let row = CapabilityRow { key, row: text, docs_number, cells };
            match groups.iter_mut().find(|known| known.group == group) {
                Some(known) => known.rows.push(row),
                None => groups.push(CapabilityGroup { group, heading: group.heading().to_owned(), rows: vec![row] }),
            }
        }
        let scores = probed
            .iter()
            .map(|(_, rows)| {
                let counts = Score::of(rows.iter().map(|row| row.outcome));
                let (part, whole) = counts.coverage();
                let coverage = Ratio { part, whole };
                let (part, whole) = counts.correctness();
                let correctness = Ratio { part, whole };
                let disagreements = rows.iter().filter(|row| row.agreement.is_some_and(Agreement::disagrees)).count();
                ProviderScore { counts, coverage, correctness, disagreements }
            })
            .collect();
        let claims = probed
            .iter()
            .map(|(index, _)| {
                reports[*index].1.claims.as_ref().map(|claims| ClaimsSource {
                    column: claims.column.clone(),
                    source: claims.source.clone(),
                    date: claims.date.clone(),
                    file: claims.file.clone(),
                })
            })
            .collect();
        Some(Capabilities {
            providers: probed.iter().map(|(index, _)| *index).collect(),
            scores,
            claims,
            groups,
            notes,
        })
    }

    /// Every disagreement: `(column, row, cell)`, in the table's order.
    pub fn disagreements(&self) -> Vec<(usize, &CapabilityRow, &CapabilityCell)> {
        let mut found = Vec::new();
        for group in &self.groups {
            for row in &group.rows {
                for (column, cell) in row.cells.iter().enumerate() {
                    if let Some(cell) = cell
                        && cell.agreement.is_some_and(Agreement::disagrees)
                    {
                        found.push((column, row, cell));
                    }
                }
            }
        }
        found
    }
}

/// The number of a non-supported row's note (its text told once), if it has one.
fn note_number(notes: &mut Vec<String>, row: &crate::events::CapabilityReport) -> Option<usize> {
    if row.outcome == Outcome::Supported {
        return None;
    }
    let text = crate::report::one_line(row.note.as_deref()?.trim());
    if text.is_empty() {
        return None;
    }
    let index = notes.iter().position(|known| *known == text).unwrap_or_else(|| {
        notes.push(text);
        notes.len() - 1
    });
    Some(index + 1)
}
