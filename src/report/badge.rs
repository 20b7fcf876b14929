//! The certification badge: `badge.json` for shields.io's endpoint schema,
//! and `badge.svg`, drawn here so a badge needs no service at all; beside them, when the run probed
//! capabilities, the capability badge (`badge-capabilities.json`, `badge-capabilities.svg`).

use serde_json::json;

use super::model::Report;
use super::{Certification, certify};
use crate::vocab::capability::Score;

/// The primary suite's certification (the first suite run).
fn primary(report: &Report) -> Option<Certification> {
    certify(report).into_iter().next()
}

fn label(certification: &Option<Certification>) -> String {
    certification
        .as_ref()
        // Masked before `-` becomes a space: a secret split by spaces would pass the redaction after.
        .map_or_else(
            || "puppet-lint".to_owned(),
            |certification| crate::redact::redact(&certification.suite).replace('-', " "),
        )
}

/// https://shields.io/badges/endpoint-badge
pub fn json(report: &Report) -> String {
    let certification = primary(report);
    let value = json!({
        "schemaVersion": 1,
        "label": label(&certification),
        "message": certification.as_ref().map_or_else(|| "no checks".to_owned(), Certification::message),
        "color": certification.as_ref().map_or("lightgrey", Certification::color),
    });
    let text = crate::events::escape_c1_controls(serde_json::to_string_pretty(&value).unwrap_or_default());
    crate::redact::redact(&text).into_owned()
}

pub fn svg(report: &Report) -> String {
    let certification = primary(report);
    let label = label(&certification);
    let message = certification.as_ref().map_or_else(|| "no checks".to_owned(), Certification::message);
    draw(&label, &message, certification.as_ref().map_or("lightgrey", Certification::color))
}

/// The capability badge's label.
const CAPABILITIES: &str = "capabilities";

/// The capability badge, beside the certification badge: `capabilities: 29/29`, supported rows / rows probed
/// (coverage, [`Score::COVERAGE`]), coloured by coverage. `None` when the run probed no capability.
fn capability_message(report: &Report) -> Option<(String, &'static str)> {
    let outcomes: Vec<_> =
        report.checks.iter().filter_map(|check| check.capability.as_ref()).map(|row| row.outcome).collect();
    if outcomes.is_empty() {
        return None;
    }
    let (supported, probed) = Score::of(outcomes).coverage();
    let color = match (supported * 100).checked_div(probed) {
        None => "lightgrey",
        Some(90..) => "brightgreen",
        Some(75..) => "green",
        Some(50..) => "yellow",
        Some(25..) => "orange",
        Some(_) => "red",
    };
    Some((format!("{supported}/{probed}"), color))
}

/// `badge-capabilities.json` (shields.io's endpoint schema); `None` when the run probed no capability.
pub fn capabilities_json(report: &Report) -> Option<String> {
    let (message, color) = capability_message(report)?;
    let value = json!({ "schemaVersion": 1, "label": CAPABILITIES, "message": message, "color": color });
    Some(serde_json::to_string_pretty(&value).unwrap_or_default())
}

/// `badge-capabilities.svg`; `None` when the run probed no capability.
pub fn capabilities_svg(report: &Report) -> Option<String> {
    let (message, color) = capability_message(report)?;
    Some(draw(CAPABILITIES, &message, color))
}

/// A flat badge: `label` on grey, `message` on `color` (a shields.io colour name).
fn draw(label: &str, message: &str, color: &str) -> String {
    let color = match color {
        "brightgreen" => "#4c1",
        "green" => "#97ca00",
        "yellow" => "#dfb317",
        "orange" => "#fe7d37",
        "red" => "#e05d44",
        _ => "#9f9f9f",
    };
    let (label_width, message_width) = (text_width(label) + 10, text_width(message) + 10);
    let width = label_width + message_width;
    let (label, message) = (escape(label), escape(message));
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label}: {message}">
  <title>{label}: {message}</title>
  <linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
  <clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>
  <g clip-path="url(#r)">
    <rect width="{label_width}" height="20" fill="#555"/>
    <rect x="{label_width}" width="{message_width}" height="20" fill="{color}"/>
    <rect width="{width}" height="20" fill="url(#s)"/>
  </g>
  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
    <text x="{label_x}" y="14">{label}</text>
    <text x="{message_x}" y="14">{message}</text>
  </g>
</svg>
"##,
        label_x = label_width / 2,
        message_x = label_width + message_width / 2,
    )
}

/// Verdana 11px, roughly: narrow letters count less.
fn text_width(text: &str) -> u32 {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | ':' | ' ' | '·' | '/' | '|' => 4,
            'm' | 'w' | 'M' | 'W' => 10,
            c if c.is_ascii_uppercase() || c.is_ascii_digit() => 8,
            _ => 7,
        })
        .sum()
}

/// Safe inside an SVG attribute or text node: what XML cannot hold removed ([`super::junit::clean`], which also
/// redacts), then HTML/XML's escaping.
fn escape(text: &str) -> String {
    super::escape::html::text(&super::junit::clean(text))
}
