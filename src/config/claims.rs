//! Claims: what a provider is said to support, row by row of the capability table, to compare with what a run
//! measures (`--claims FILE`, `--claims-column NAME`). The Wechaty docs' compatibility table ships with puppet-lint
//! as such a file (`suites/claims/wechaty-docs.yaml`: one column per provider the docs list); a provider may write
//! its own. The format (`docs/capabilities/claims.md`):
//!
//! ```yaml
//! source: https://example.com/acme/features   # where the claims were written (a URL, or words)
//! date: 2026-05-01                            # when, YYYY-MM-DD
//! columns:
//!   acme:                                     # a column: a provider's name
//!     send-receive-text: ✅                   # a row (its key or the docs' text): ✅ / yes, or ❌ / no,
//!     send-gif: "✅ (sent as a file)"         #   optionally followed by a note in parentheses
//!     receive-gif: ❌
//! ```
//!
//! A row a column leaves out is not claimed either way. Problems are reported at `file:line:col`, like a suite's.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::Error;
use crate::suite::doc::Located;
use crate::suite::{LoadError, Location, SuiteError, SuiteErrors, yaml_error, yaml_options};
use crate::vocab::capability::{Claim, Claimed, Claims, Row};

/// The Wechaty docs' table, as shipped (its `source` and `date` say which version, read when).
pub const DOCS: &str = include_str!("../../suites/claims/wechaty-docs.yaml");
/// How [`DOCS`] is named in errors.
const DOCS_NAME: &str = "suites/claims/wechaty-docs.yaml";

/// The longest note a claim may carry, in characters.
const NOTE_MAX: usize = 200;
/// The longest `source`, in characters.
const SOURCE_MAX: usize = 500;

/// A column as a claims file writes it: each row's claim, with where it is written.
type ColumnDoc = BTreeMap<String, Located<String>>;

/// A claims file as it is written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimsDoc {
    source: Located<String>,
    date: Located<String>,
    columns: Located<BTreeMap<String, Located<ColumnDoc>>>,
}

/// The claims a run compares with: `--claims FILE` (its only column, or `--claims-column NAME` of it), or
/// `--claims-column NAME` alone (a column of the docs' table shipped with puppet-lint). `None` when neither is
/// given.
pub fn choose(file: Option<&Path>, column: Option<&str>) -> Result<Option<Claims>, Error> {
    match (file, column) {
        (None, None) => Ok(None),
        (None, Some(column)) => parse(DOCS, DOCS_NAME, None, Some(column)).map(Some),
        (Some(path), column) => {
            let name = path.display().to_string();
            let text = crate::input::read_to_string(path, crate::input::cap::SMALL).map_err(|error| {
                file_error(&name, String::new(), vec![at(&name, 0, 0, format!("cannot read the claims file: {error}"))])
            })?;
            parse(&text, &name, Some(&name), column).map(Some)
        }
    }
}

/// The column names of the docs' table shipped with puppet-lint, in its file's order (sorted).
pub fn docs_columns() -> Vec<String> {
    serde_saphyr::from_str_with_options::<ClaimsDoc>(DOCS, yaml_options())
        .map(|doc| doc.columns.value.into_keys().collect())
        .unwrap_or_default()
}

/// Parses a claims file's `text` (named `source_name` in errors) and picks `column` (or its only one).
pub fn parse(text: &str, source_name: &str, file: Option<&str>, column: Option<&str>) -> Result<Claims, Error> {
    let fail = |errors: Vec<SuiteError>| file_error(source_name, text.to_owned(), errors);
    let doc: ClaimsDoc = serde_saphyr::from_str_with_options(text, yaml_options())
        .map_err(|error| fail(vec![yaml_error(&error, text, source_name)]))?;
    let mut errors = Vec::new();
    let here = |located_line: u64, located_column: u64, message: String| {
        at(source_name, located_line, located_column, message)
    };
    let source = doc.source.value.trim().to_owned();
    if source.is_empty() || source.chars().count() > SOURCE_MAX || source.chars().any(char::is_control) {
        errors.push(here(
            doc.source.line,
            doc.source.column,
            format!("`source` must say where the claims were written: a URL or words, one line, at most {SOURCE_MAX} characters"),
        ));
    }
    let date = doc.date.value.trim().to_owned();
    if !is_date(&date) {
        errors.push(here(
            doc.date.line,
            doc.date.column,
            "`date` must be a day, YYYY-MM-DD (when the claims were written or read)".into(),
        ));
    }
    let names: Vec<&String> = doc.columns.value.keys().collect();
    let chosen = match column {
        Some(wanted) => doc.columns.value.iter().find(|(name, _)| name.eq_ignore_ascii_case(wanted.trim())),
        None if names.len() == 1 => doc.columns.value.iter().next(),
        None => None,
    };
    let Some((name, rows)) = chosen else {
        let listed = names.iter().map(|name| name.as_str()).collect::<Vec<_>>().join(", ");
        let message = match column {
            Some(wanted) => format!("no column `{wanted}` here; its columns: {listed}"),
            None if names.is_empty() => "no columns: give at least one under `columns`".to_owned(),
            None => format!("{} columns here ({listed}): name one with --claims-column NAME", names.len()),
        };
        errors.push(here(doc.columns.line, doc.columns.column, message));
        return Err(fail(errors));
    };
    let mut claims = BTreeMap::new();
    for (row_name, value) in &rows.value {
        let Some(row) = Row::find(row_name) else {
            errors.push(here(
                value.line,
                value.column,
                format!("`{row_name}` is no row of the capability table; rows: {}", Row::keys()),
            ));
            continue;
        };
        match parse_claim(&value.value) {
            Ok(claim) => {
                if claims.insert(row.key().to_owned(), claim).is_some() {
                    errors.push(here(
                        value.line,
                        value.column,
                        format!("row `{}` is claimed twice in column `{name}` (by its key and its text)", row.key()),
                    ));
                }
            }
            Err(message) => errors.push(here(value.line, value.column, format!("row `{}`: {message}", row.key()))),
        }
    }
    if !errors.is_empty() {
        return Err(fail(errors));
    }
    Ok(Claims { column: name.clone(), source, date, file: file.map(str::to_owned), rows: claims })
}

/// `✅`, `yes`, `❌`, `no`, each optionally followed by a note in parentheses: `✅ (Send as a file)`.
fn parse_claim(text: &str) -> Result<Claim, String> {
    const EXPECTED: &str = "a claim is ✅ or `yes`, ❌ or `no`, optionally followed by a note in parentheses: \
                            \"✅ (sent as a file)\"";
    let text = text.trim();
    let (mark, note) = match text.split_once('(') {
        Some((mark, rest)) => {
            let Some(note) = rest.trim_end().strip_suffix(')') else {
                return Err(format!("the note's `(` is not closed: {EXPECTED}"));
            };
            (mark.trim(), Some(note.trim()))
        }
        None => (text, None),
    };
    let Some(claimed) = Claimed::parse(mark) else {
        let shown: String = mark.chars().take(40).flat_map(char::escape_default).collect();
        return Err(format!("found \"{shown}\": {EXPECTED}"));
    };
    let note = match note {
        Some("") => None,
        Some(note) if note.chars().count() > NOTE_MAX || note.chars().any(char::is_control) => {
            return Err(format!("a note is one line of at most {NOTE_MAX} characters"));
        }
        note => note.map(str::to_owned),
    };
    Ok(Claim { claimed, note })
}

fn is_date(text: &str) -> bool {
    text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
}

fn at(file: &str, line: u64, column: u64, message: String) -> SuiteError {
    SuiteError { location: Location { file: file.to_owned(), line, column }, message }
}

fn file_error(source: &str, text: String, errors: Vec<SuiteError>) -> Error {
    Error::Suite(LoadError { errors: SuiteErrors(errors), sources: vec![(source.to_owned(), text)] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str, column: Option<&str>) -> String {
        match parse(text, "c.yaml", Some("c.yaml"), column) {
            Ok(claims) => panic!("accepted: {claims:?}"),
            Err(error) => error.render().unwrap_or_default(),
        }
    }

    #[test]
    fn the_shipped_docs_table_has_five_columns_of_44_rows() {
        assert_eq!(docs_columns(), ["donut", "padlocal", "paimon", "workpro", "wxwork"]);
        for column in docs_columns() {
            let claims = parse(DOCS, DOCS_NAME, None, Some(&column)).unwrap();
            assert_eq!(claims.rows.len(), 44, "{column}");
            assert!(claims.source.starts_with("https://github.com/wechaty/docusaurus/blob/"));
        }
        let donut = choose(None, Some("Donut")).unwrap().unwrap();
        assert_eq!(donut.rows["receive-gif"].claimed, Claimed::No);
        let paimon = choose(None, Some("paimon")).unwrap().unwrap();
        assert_eq!(paimon.rows["send-gif"].note.as_deref(), Some("Send as a file"));
        assert_eq!(paimon.file, None);
    }

    #[test]
    fn a_providers_file_of_one_column_needs_no_column_named() {
        let text =
            "source: acme docs\ndate: 2026-05-01\ncolumns:\n  acme:\n    Send GIF: \"no (not yet)\"\n    recall: yes\n";
        let claims = parse(text, "c.yaml", Some("c.yaml"), None).unwrap();
        assert_eq!(claims.column, "acme");
        assert_eq!(claims.rows["send-gif"], Claim { claimed: Claimed::No, note: Some("not yet".into()) });
        assert_eq!(claims.rows["recall"].claimed, Claimed::Yes);
    }

    #[test]
    fn mistakes_are_told_at_their_line_and_column() {
        let head = "source: s\ndate: 2026-05-01\ncolumns:\n  a:\n";
        let found = errors(&format!("{head}    send-gif: maybe\n"), None);
        assert!(found.contains("c.yaml:5:15: row `send-gif`: found \"maybe\""), "{found}");
        let found = errors(&format!("{head}    teleport: ✅\n"), None);
        assert!(found.contains("c.yaml:5:15: `teleport` is no row"), "{found}");
        let found = errors(&format!("{head}    send-gif: \"✅ (open\"\n"), None);
        assert!(found.contains("not closed"), "{found}");
        let found = errors(&format!("{head}    send-gif: ✅\n  b:\n    recall: ✅\n"), None);
        assert!(found.contains("2 columns here (a, b): name one with --claims-column NAME"), "{found}");
        let found = errors(&format!("{head}    send-gif: ✅\n"), Some("zzz"));
        assert!(found.contains("no column `zzz` here; its columns: a"), "{found}");
        let found = errors("source: s\ndate: May\ncolumns: {a: {recall: yes}}\n", None);
        assert!(found.contains("c.yaml:2:7: `date` must be a day"), "{found}");
        let found = errors("source: s\ndate: 2026-05-01\nextra: 1\ncolumns: {}\n", None);
        assert!(found.contains("c.yaml:3:"), "{found}");
        let found = errors(&format!("{head}    send-gif: ✅\n    Send GIF: ❌\n"), None);
        assert!(found.contains("claimed twice"), "{found}");
    }
}
