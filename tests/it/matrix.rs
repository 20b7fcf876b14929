//! `puppet-lint matrix` over three hand-written reports: a conformant
//! provider, one with failures and hostile strings, one on another suite
//! version.

use puppet_lint::report::matrix::{self, Input, Matrix, MatrixError};

use crate::support::{Scratch, fixtures, snapshot};

/// The hostile provider keeps its target as its name, so that its
/// `<script>…|pipe` reaches every header and cell.
fn the_matrix() -> Matrix {
    let dir = fixtures().join("matrix");
    let inputs = [
        Input { name: Some("acme".into()), path: dir.join("acme/report.json") },
        Input { name: None, path: dir.join("hostile/report.json") },
        Input { name: Some("nextgen".into()), path: dir.join("nextgen") },
    ];
    Matrix::build(matrix::load_inputs(&inputs).unwrap())
}

#[test]
fn markdown_snapshot() {
    snapshot!("markdown_snapshot", matrix::markdown(&the_matrix()));
}

#[test]
fn html_snapshot() {
    snapshot!("html_snapshot", matrix::html(&the_matrix()));
}

#[test]
fn json_snapshot() {
    snapshot!("json_snapshot", matrix::json(&the_matrix()));
}

#[test]
fn suite_versions_stay_apart() {
    let m = the_matrix();
    let groups: Vec<String> = m.suites.iter().map(|suite| format!("{}@{}", suite.suite, suite.version)).collect();
    assert_eq!(groups, ["wechaty-puppet@1.0.0", "wechaty-puppet@1.1.0", "wechaty-puppet-service@1.0.0"]);
    let ready = |index: usize| m.suites[index].checks.iter().find(|row| row.id == "events.ready").unwrap();
    assert_eq!(m.suites[0].providers, [0, 1]);
    assert_eq!(m.suites[1].providers, [2]);
    assert_eq!(ready(0).results.len(), 2);
    assert_eq!(ready(1).results.len(), 1);
}

#[test]
fn certification_levels_per_provider_and_suite_version() {
    let m = the_matrix();
    let messages: Vec<&str> = m.suites[0].certification.iter().map(|level| level.message.as_str()).collect();
    assert_eq!(messages, ["L2 · 5/5", "uncertified · 0/6"]);
    assert_eq!(m.suites[1].certification[0].message, "L1 · 5/6");
}

#[test]
fn hostile_strings_are_inert_in_every_format() {
    let m = the_matrix();
    let html = matrix::html(&m);
    for needle in ["<script>alert", "<img", "onerror=alert(2)>", "onmouseover=\"", "</td></tr><script>"] {
        assert!(!html.contains(needle), "HTML contains {needle}");
    }
    // The only script element is the page's own.
    assert_eq!(html.matches("<script").count(), 1);
    let markdown = matrix::markdown(&m);
    assert!(!markdown.contains("<script>") && !markdown.contains("<img"));
    let json: serde_json::Value = serde_json::from_str(&matrix::json(&m)).unwrap();
    assert_eq!(json["providers"][1]["name"], "<script>alert(1)</script>|pipe");
}

#[test]
fn markdown_rows_have_as_many_cells_as_their_header() {
    let markdown = matrix::markdown(&the_matrix());
    let mut expected = None;
    for line in markdown.lines() {
        if !line.starts_with('|') {
            expected = None;
            continue;
        }
        let cells = line.replace("\\\\", "").replace("\\|", "").matches('|').count();
        match expected {
            None => expected = Some(cells),
            Some(expected) => assert_eq!(cells, expected, "{line}"),
        }
    }
}

#[test]
fn a_directory_gives_its_subdirectories_reports_sorted_and_named() {
    let reports = matrix::load(&[fixtures().join("matrix")]).unwrap();
    let names: Vec<&str> = reports.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["acme", "hostile", "nextgen"]);
}

#[test]
fn a_file_is_named_by_its_target() {
    let reports = matrix::load(&[fixtures().join("matrix/nextgen/report.json")]).unwrap();
    assert_eq!(reports[0].0, "nextgen.example.org:443");
}

#[test]
fn repeated_names_are_told_apart() {
    let file = fixtures().join("matrix/acme/report.json");
    let m = Matrix::build(matrix::load(&[file.clone(), file]).unwrap());
    assert_eq!(m.providers[1].name, format!("{} (2)", m.providers[0].name));
}

fn error(path: &str) -> String {
    let error = matrix::load(&[fixtures().join(path)]).unwrap_err();
    error.to_string().replace(&fixtures().display().to_string(), "…")
}

#[test]
fn bad_json_names_the_file_line_and_column() {
    assert_eq!(
        error("matrix-bad/not-json.json"),
        "…/matrix-bad/not-json.json:4:3: not a puppet-lint report: key must be a string"
    );
}

#[test]
fn another_schema_is_refused() {
    assert_eq!(
        error("matrix-bad/other-schema.json"),
        "…/matrix-bad/other-schema.json: not a puppet-lint report: its schema is \"puppet-lint/baseline\", not \"puppet-lint/report\""
    );
}

#[test]
fn a_newer_schema_version_is_refused() {
    assert_eq!(
        error("matrix-bad/too-new.json"),
        "…/matrix-bad/too-new.json: report schema_version 99 is newer than this puppet-lint reads (2): upgrade puppet-lint"
    );
}

#[test]
fn missing_inputs_and_empty_directories_are_errors() {
    assert!(matches!(matrix::load(&[]), Err(MatrixError::NoInput)));
    assert!(matches!(matrix::load(&[fixtures().join("nowhere")]), Err(MatrixError::Read { .. })));
    let empty = Scratch::new("matrix-empty");
    assert!(matches!(matrix::load(&[empty.to_path_buf()]), Err(MatrixError::NoReports { .. })));
}
