//! The matrix as JSON.

use super::Matrix;

/// The matrix as data (schema `puppet-lint/matrix` version 1): providers,
/// then per suite version its providers (indexes), levels and rows, each
/// row's `results` aligned with the suite's providers (`null`: not run).
/// As `report.json`: C1 controls and DEL written as `\u` escapes (`cat
/// matrix.json` drives no terminal), tokens masked.
pub fn json(m: &Matrix) -> String {
    let mut text = crate::events::escape_c1_controls(serde_json::to_string_pretty(m).unwrap_or_default());
    text.push('\n');
    crate::redact::redact(&text).into_owned()
}
