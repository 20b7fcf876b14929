//! The matrix as JSON.

use super::Matrix;

/// The matrix as data (schema `puppet-lint/matrix` version 1): providers,
/// then per suite version its providers (indexes), levels and rows, each
/// row's `results` aligned with the suite's providers (`null`: not run).
pub fn json(m: &Matrix) -> String {
    let mut text = serde_json::to_string_pretty(m).unwrap_or_default();
    text.push('\n');
    text
}
