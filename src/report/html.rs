//! `report.html`: the run as a page. One self-contained file — no script, no
//! request of any kind (a Content-Security-Policy of `default-src 'none'`, its
//! one style allowed by its SHA-256), readable in any browser without
//! JavaScript. It draws report.json's `overview` as inline SVG: events per
//! type in bins along the run, the login states, the subscriptions and their
//! ends, the rpcs with their latency, the silences against the heartbeat
//! rule's allowed gap; and lists every check with its verdict and evidence,
//! each evidence entry a link to its mark on the timeline (`#t-SEQ`).
//!
//! Its size does not grow with the run's events: the overview is bounded
//! (`events::overview`), and each event row is one SVG path.
//!
//! Markup is built with maud (it escapes what it is given); every string a
//! peer may have written passes through the house escaping,
//! [`super::escape::html`], as [`Peer`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use maud::{DOCTYPE, Markup, PreEscaped, Render, html};

use super::escape;
use super::model::{CheckReport, Report, TimelineEntry, Verdict};
use crate::events::overview::Overview;
use crate::events::truncate;

/// The page's one style; the CSP allows it by its hash.
const CSS: &str = "\
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:0 16px 48px;color:#1d1d1f;background:#fff}\
h1{font-size:22px;margin:20px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}\
h3{font-size:15px;margin:0}code,pre,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}\
.meta{color:#555;margin:0}.summary{font-size:16px;margin:8px 0}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 8px;border-bottom:1px solid #eee;vertical-align:top}\
.v{display:inline-block;min-width:52px;text-align:center;border-radius:3px;padding:0 4px;color:#fff;font-weight:600;font-size:12px}\
.pass{background:#1a7f37}.fail,.timeout{background:#cf222e}.warn{background:#bf8700}.skip{background:#6e7781}.error{background:#8250df}\
article{border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:8px 0}article:target{outline:3px solid #0969da}\
details>summary{cursor:pointer}.req{color:#444}.reason{margin:4px 0}\
ol.ev{margin:4px 0;padding-left:20px}ol.ev li{word-break:break-all}\
svg{width:100%;height:auto;display:block;border:1px solid #eee}svg text{font:11px system-ui,sans-serif;fill:#333}\
.mk path{stroke:#0969da;stroke-opacity:.35;fill:#0969da}.mk:target path{stroke:#cf222e;stroke-opacity:1;stroke-width:3;fill:#cf222e}\
.legend{color:#444;font-size:12px}.legend span{margin-right:10px}.sw{display:inline-block;width:10px;height:10px;margin:0 3px 0 0;vertical-align:middle}\
.s-scan{background:#bf8700}.s-login{background:#1a7f37}.s-ready{background:#2da44e}.s-out{background:#cf222e}.s-rpc{background:#1b7c83}.s-gap{background:#8c959f}.s-mk{background:#0969da}\
.note{color:#555}\
.capabilities .about,.caps .key,.muted,.extra{color:#555}.caps .key{display:block;font-size:11px}\
.caps tr.group th{background:#f6f8fa}.o{text-align:center;white-space:nowrap}.o sup{font-size:10px;color:#555}\
.o-supported{background:#d4f4dd}.o-partial{background:#fff1c2}.o-unsupported{background:#eceff2}.o-broken{background:#ffd7d5}\
.o-untested,.o-none{color:#555}.o.disagrees{outline:2px dashed #cf222e;outline-offset:-3px}\
.claim{font-size:11px;font-weight:600;color:#cf222e}.scores td.n{text-align:right}\
.capabilities dl.legend{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px}.capabilities dd{margin:0}";

/// The width the timeline is drawn in (SVG user units, scaled to the page).
const WIDTH: f64 = 1060.0;
/// Left of the plot: the lanes' names.
const LEFT: f64 = 150.0;
const PLOT: f64 = WIDTH - LEFT - 10.0;
const ROW: f64 = 18.0;
/// Longest text in a tooltip (the lists under the timeline say it whole).
const TITLE_LIMIT: usize = 100;
/// Evidence entries shown per check (a run's excerpts hold 14 at most; report.json has them all).
const EVIDENCE_SHOWN: usize = 14;
/// Longest evidence line (report.json has it whole).
const LINE_LIMIT: usize = 200;

/// Colours for event rows, in turn.
const PALETTE: &[&str] =
    &["#0969da", "#1a7f37", "#bf8700", "#8250df", "#cf222e", "#1b7c83", "#bc4c00", "#6e7781", "#a40e26", "#4d2d00"];

/// Text a peer may have written (payloads, errors, names): one line, escaped by the house escaping.
pub struct Peer<'a>(pub &'a str);

impl Render for Peer<'_> {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(&escape::html::text(self.0));
    }
}

/// The page. Pure: the same report gives the same bytes.
pub fn render(report: &Report) -> String {
    let title = format!("puppet-lint: {} — {}", report.target.description, report.summary.line());
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(csp());
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (Peer(&title)) }
                style { (PreEscaped(CSS)) }
            }
            body {
                (header(report))
                (timeline(report))
                (capabilities(report))
                (checks(report))
                footer.meta {
                    "puppet-lint " (Peer(&report.puppet_lint_version)) " · report.json schema " (Peer(&report.schema)) " v" (report.schema_version)
                }
            }
        }
    };
    let mut text = page.into_string();
    text.push('\n');
    text
}

/// `default-src 'none'`: nothing loads, nothing runs, no form goes anywhere; the one style by its hash.
pub fn csp() -> String {
    use base64::Engine as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, CSS.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    format!("default-src 'none'; style-src 'sha256-{hash}'; img-src data:; base-uri 'none'; form-action 'none'")
}

fn header(report: &Report) -> Markup {
    let certified = super::certify(report);
    html! {
        header {
            h1 { "puppet-lint report" }
            p.meta { "target " b { (Peer(&report.target.description)) }
                @if let Some(endpoint) = &report.target.endpoint { " at " code { (Peer(endpoint)) } } }
            p.meta { "started " (Peer(&report.started_at)) " · took " (seconds(report.duration_ms))
                " · heartbeat window " (seconds(report.settings.heartbeat_window_ms))
                " · allowed gap " (seconds(report.settings.heartbeat_interval_ms)) }
            @if let Some(service) = &report.service {
                p.meta {
                    @if let Some(version) = &service.version { "service version " code { (Peer(version)) } " " }
                    @if let Some(bot) = &service.bot { "bot " code { (Peer(bot)) } }
                }
            }
            p.summary { (report.summary.line())
                @for suite in &certified { " · " (Peer(&suite.suite)) ": " b { (suite.message()) } } }
            @if report.partial { p.reason { b { "partial: " } (Peer(report.interrupted_by.as_deref().unwrap_or(""))) } }
            @if let Some(error) = &report.setup_error { p.reason { b { "setup: " } (Peer(error)) } }
            @if let Some(lost) = &report.lost_service { p.reason { b { "lost the service: " } (Peer(lost)) } }
            @if let Some(trim) = &report.recording_trimmed { p.note { (Peer(&trim.line())) } }
        }
    }
}

/// The capability table, as the matrix draws it with this run as its one provider (its strings escaped there);
/// nothing when the run probed no capability.
fn capabilities(report: &Report) -> Markup {
    if !report.checks.iter().any(|check| check.capability.is_some()) {
        return html! {};
    }
    let one = super::matrix::Matrix::build(vec![(report.target.description.clone(), report.clone())]);
    PreEscaped(super::matrix::capabilities_html(&one))
}

/// At most `limit` characters of `text`, tokens masked first (a cut could leave a secret's run unrecognised).
fn cut(text: &str, limit: usize) -> String {
    truncate(&crate::redact::redact(text), limit)
}

/// Milliseconds as `12.345s`.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

/// A sane HTML id from a check id (suite ids are `[a-z0-9.-]`, but the report file is input).
fn check_anchor(id: &str) -> String {
    let safe: String = crate::redact::redact(id)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '_' })
        .collect();
    format!("check-{safe}")
}

/// Evidence entries on the timeline: seq → (time, the checks that cite it).
fn evidence_marks(report: &Report) -> BTreeMap<usize, (u64, Vec<&CheckReport>)> {
    let mut marks: BTreeMap<usize, (u64, Vec<&CheckReport>)> = BTreeMap::new();
    for check in &report.checks {
        for entry in check.evidence.iter().flat_map(|evidence| evidence.timeline.iter().take(EVIDENCE_SHOWN)) {
            let mark = marks.entry(entry.seq).or_insert((entry.at_ms, Vec::new()));
            if !mark.1.iter().any(|known| known.id == check.id) {
                mark.1.push(check);
            }
        }
    }
    marks
}

/// Where a time is on the plot.
struct Scale {
    span_ms: f64,
}

impl Scale {
    fn x(&self, at_ms: u64) -> f64 {
        LEFT + PLOT * (at_ms as f64 / self.span_ms).min(1.0)
    }

    fn width(&self, from_ms: u64, to_ms: u64) -> f64 {
        (self.x(to_ms) - self.x(from_ms)).max(1.0)
    }
}

/// Most ticks on the axis.
const TICKS: u64 = 12;

/// A tick step that gives at most [`TICKS`] ticks (6 or more on spans up to 2 hours; past them, whole multiples of
/// 10 minutes).
fn tick_step(span_ms: u64) -> u64 {
    const STEPS: &[u64] =
        &[1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000];
    STEPS
        .iter()
        .copied()
        .find(|step| span_ms / step <= TICKS)
        .unwrap_or_else(|| span_ms.div_ceil(TICKS).div_ceil(600_000).saturating_mul(600_000))
}

fn timeline(report: &Report) -> Markup {
    let Some(overview) = &report.overview else {
        return html! {
            section #timeline { h2 { "Timeline" } p.note { "This report has no timeline overview (a run without a session, or a report.json written before puppet-lint drew timelines)." } }
        };
    };
    let scale = Scale { span_ms: overview.span_ms.max(1) as f64 };
    let marks = evidence_marks(report);
    let mut svg = String::new();
    let mut y = 4.0;
    // The axis.
    let step = tick_step(overview.span_ms);
    let axis_top = y;
    y += 16.0;
    // Bounded whatever the span (a report is input): at most `TICKS` + 1 ticks.
    for tick in (0..=TICKS).map(|n| n.saturating_mul(step)).take_while(|tick| *tick <= overview.span_ms) {
        let x = scale.x(tick);
        let _ =
            write!(svg, r##"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##, axis_top + 10.0, short(tick));
        if tick == u64::MAX {
            break;
        }
    }
    let lanes_top = y;
    // Events per type: one path each, the bars scaled to the row's busiest bin.
    svg.push_str(&lane_label(y, "events per type", true));
    y += ROW;
    for (index, row) in overview.events.iter().enumerate() {
        let peak = row.counts.iter().copied().max().unwrap_or(0).max(1);
        let colour = PALETTE[index % PALETTE.len()];
        let label = format!("{} ({})", row.event, row.total);
        svg.push_str(&lane_label(y, &label, false));
        let mut path = String::new();
        for (bin, count) in row.counts.iter().enumerate().filter(|(_, count)| **count > 0) {
            let from = (bin as u64).saturating_mul(overview.bin_ms);
            let x = scale.x(from);
            let width = scale.width(from, from.saturating_add(overview.bin_ms));
            let height = ((ROW - 3.0) * f64::from(*count) / f64::from(peak)).max(1.5);
            let _ = write!(path, "M{x:.1} {:.1}h{width:.1}v{:.1}h{:.1}z", y + ROW - 2.0, -height, -width);
        }
        let _ = write!(
            svg,
            r#"<path fill="{colour}" d="{path}"><title>{}: {} events, at most {} in {} ms</title></path>"#,
            escape::html::text(&row.event),
            row.total,
            peak,
            overview.bin_ms
        );
        y += ROW;
    }
    // Login states: a band from each state event to the next.
    svg.push_str(&lane_label(y, "login state", false));
    for (index, state) in overview.states.iter().enumerate() {
        let until = overview.states.get(index + 1).map_or(overview.span_ms, |next| next.at_ms);
        let colour = match state.event.as_str() {
            "login" => "#1a7f37",
            "ready" => "#2da44e",
            "scan" => "#bf8700",
            "logout" | "reset" => "#cf222e",
            _ => "#6e7781",
        };
        let replay = if state.replay { " (replay)" } else { "" };
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}" fill-opacity="0.55"><title>{} at {}{replay}</title></rect>"#,
            scale.x(state.at_ms),
            y + 2.0,
            scale.width(state.at_ms, until),
            ROW - 4.0,
            escape::html::text(&state.event),
            seconds(state.at_ms),
        );
    }
    if overview.states.is_empty() {
        let _ = write!(svg, r#"<text x="{:.1}" y="{:.1}">no login-state event</text>"#, LEFT + 4.0, y + 13.0);
    }
    y += ROW;
    // Subscriptions: from the answer to the end (or the run's end).
    svg.push_str(&lane_label(y, "event stream", false));
    for stream in &overview.streams {
        let until = stream.ended_ms.unwrap_or(overview.span_ms);
        let (colour, end) = match (&stream.ended_ms, &stream.error) {
            (None, _) => ("#0969da", "open at the end".to_owned()),
            (Some(at), None) => ("#0969da", format!("ended OK at {}", seconds(*at))),
            (Some(at), Some(error)) => {
                ("#cf222e", format!("ended at {}: {}", seconds(*at), escape::html::text(&cut(error, TITLE_LIMIT))))
            }
        };
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#0969da" fill-opacity="0.25" stroke="{colour}"><title>stream {} subscribed at {}, {end}</title></rect>"##,
            scale.x(stream.at_ms),
            y + 3.0,
            scale.width(stream.at_ms, until),
            ROW - 6.0,
            stream.stream,
            seconds(stream.at_ms),
        );
    }
    y += ROW;
    // Rpcs: a bar from the request to the answer, in two rows so neighbours do not hide each other.
    svg.push_str(&lane_label(
        y,
        &format!("rpcs ({})", (overview.rpcs.len() as u64).saturating_add(overview.rpcs_omitted)),
        false,
    ));
    for (index, rpc) in overview.rpcs.iter().enumerate() {
        let row = (index % 2) as f64 * (ROW / 2.0);
        let colour = if rpc.ok { "#1b7c83" } else { "#cf222e" };
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{} {} ms → {}</title></rect>"#,
            scale.x(rpc.at_ms),
            y + 1.0 + row,
            scale.width(rpc.at_ms, rpc.at_ms.saturating_add(rpc.took_ms)),
            ROW / 2.0 - 2.0,
            escape::html::text(&rpc.rpc),
            rpc.took_ms,
            escape::html::text(&cut(&rpc.outcome, TITLE_LIMIT)),
        );
    }
    y += ROW;
    // Notes.
    if !overview.notes.is_empty() {
        svg.push_str(&lane_label(y, "notes", false));
        for note in &overview.notes {
            let x = scale.x(note.at_ms);
            let _ = write!(
                svg,
                r##"<path fill="#bc4c00" d="M{x:.1} {:.1}l5 9h-10z"><title>{}: {}</title></path>"##,
                y + 4.0,
                seconds(note.at_ms),
                escape::html::text(&cut(&note.text, TITLE_LIMIT))
            );
        }
        y += ROW;
    }
    let lanes_bottom = y;
    // Silences against the allowed gap.
    y += 8.0;
    let chart = 90.0;
    let allowed = report.settings.heartbeat_interval_ms;
    let tallest = overview.gaps_ms.iter().copied().max().unwrap_or(0).max(allowed.saturating_add(allowed / 5)).max(1);
    let height = |gap: u64| chart * gap as f64 / tallest as f64;
    svg.push_str(&lane_label(y, "longest silence", false));
    let _ = write!(svg, r#"<text x="4" y="{:.1}">per bin (ms)</text>"#, y + 26.0);
    // The heartbeat checks' watch, shaded.
    for check in report.checks.iter().filter(|check| check.tags.iter().any(|tag| tag == "heartbeat")) {
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{chart:.1}" fill="#0969da" fill-opacity="0.06"><title>{} watched {} from {}</title></rect>"##,
            scale.x(check.started_ms),
            scale.width(check.started_ms, check.started_ms.saturating_add(check.duration_ms)),
            escape::html::text(&check.id),
            seconds(check.duration_ms),
            seconds(check.started_ms)
        );
    }
    let (mut within, mut over) = (String::new(), String::new());
    for (bin, gap) in overview.gaps_ms.iter().enumerate().filter(|(_, gap)| **gap > 0) {
        let from = (bin as u64).saturating_mul(overview.bin_ms);
        let until = from.saturating_add(overview.bin_ms);
        let path = if *gap > allowed && allowed > 0 { &mut over } else { &mut within };
        let _ = write!(
            path,
            "M{:.1} {:.1}h{:.1}v{:.1}h{:.1}z",
            scale.x(from),
            y + chart,
            scale.width(from, until),
            -height(*gap),
            -scale.width(from, until)
        );
    }
    let _ = write!(svg, r##"<path fill="#8c959f" d="{within}"><title>silences within the allowed gap</title></path>"##);
    let _ =
        write!(svg, r##"<path fill="#cf222e" d="{over}"><title>silences longer than the allowed gap</title></path>"##);
    if allowed > 0 {
        let line = y + chart - height(allowed);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{line:.1}" y2="{line:.1}" stroke="#cf222e" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" text-anchor="end">allowed gap {}</text>"##,
            LEFT + PLOT,
            LEFT + PLOT,
            line - 3.0,
            seconds(allowed)
        );
    }
    if let Some(gap) = &overview.longest_gap {
        let _ = write!(svg, r#"<text x="4" y="{:.1}">longest {}</text>"#, y + 40.0, seconds(gap.gap_ms));
    }
    y += chart + 4.0;
    // Evidence marks: a line across the lanes, the target of each evidence link.
    let _ = write!(svg, r#"<text x="4" y="{:.1}">evidence</text>"#, y + 12.0);
    for (seq, (at_ms, cited)) in &marks {
        let x = scale.x(*at_ms);
        let mut names: Vec<&str> = cited.iter().take(3).map(|check| check.id.as_str()).collect();
        let more = cited.len().saturating_sub(names.len());
        let more = format!("and {more} more");
        if cited.len() > names.len() {
            names.push(&more);
        }
        let first = cited.first().map(|check| check_anchor(&check.id)).unwrap_or_default();
        let _ = write!(
            svg,
            r##"<g class="mk" id="t-{seq}"><title>#{seq} {}: {}</title><a href="#{first}"><path d="M{x:.1} {lanes_top:.0}V{:.0}l4 8h-8l4-8z"/></a></g>"##,
            seconds(*at_ms),
            escape::html::text(&names.join(", ")),
            y + 4.0,
        );
    }
    y += 16.0;
    let _ = lanes_bottom;
    let view = format!("0 0 {WIDTH} {y:.0}");
    let label = format!(
        "The run's timeline: {} events in {} bins of {} ms, {} rpcs, {} subscriptions, {} login-state events",
        overview.events.iter().fold(0u64, |sum, row| sum.saturating_add(row.total)),
        overview.gaps_ms.len(),
        overview.bin_ms,
        (overview.rpcs.len() as u64).saturating_add(overview.rpcs_omitted),
        overview.streams.len(),
        (overview.states.len() as u64).saturating_add(overview.states_omitted),
    );
    html! {
        section #timeline {
            h2 { "Timeline" }
            p.note { (Peer(&label)) ". Each mark below links to the check whose evidence it is; each evidence entry links here." }
            svg viewBox=(view) role="img" aria-label=(label) {
                (PreEscaped(svg))
            }
            p.legend {
                "login state: " span { i.sw.s-scan {} "scan" } span { i.sw.s-login {} "login" } span { i.sw.s-ready {} "ready" }
                span { i.sw.s-out {} "logout or reset" } " · rpcs: " span { i.sw.s-rpc {} "ok" } span { i.sw.s-out {} "failed" }
                " · silences: " span { i.sw.s-gap {} "within" } span { i.sw.s-out {} "longer than the allowed gap" }
                " · " span { i.sw.s-mk {} "evidence (the one linked to turns red)" }
            }
            (rpc_table(overview))
            (streams_list(overview))
        }
    }
}

/// `90s`, `1m30s`, `450ms`: an axis tick.
fn short(ms: u64) -> String {
    match ms {
        0 => "0".into(),
        ms if ms % 1000 != 0 => format!("{ms}ms"),
        ms if ms >= 60_000 && ms % 60_000 == 0 => format!("{}m", ms / 60_000),
        ms if ms >= 60_000 => format!("{}m{}s", ms / 60_000, (ms % 60_000) / 1000),
        ms => format!("{}s", ms / 1000),
    }
}

fn lane_label(y: f64, text: &str, heading: bool) -> String {
    let weight = if heading { r#" font-weight="600""# } else { "" };
    format!(r#"<text x="4" y="{:.1}"{weight}>{}</text>"#, y + 13.0, escape::html::text(text))
}

/// The rpcs by name: how many, their latency, the failures (every rpc of the run, listed on the timeline or not).
fn rpc_table(overview: &Overview) -> Markup {
    let calls = overview.rpc_stats.iter().fold(0u64, |sum, stat| sum.saturating_add(stat.calls));
    let first_failure = |rpc: &str| overview.rpcs.iter().find(|span| !span.ok && span.rpc == rpc);
    html! {
        @if !overview.rpc_stats.is_empty() {
            details {
                summary { "Rpc latency (" (calls) " rpcs"
                    @if overview.rpcs_omitted > 0 { "; the timeline draws the first " (overview.rpcs.len()) } ")" }
                table {
                    tr { th { "rpc" } th { "calls" } th { "mean" } th { "slowest" } th { "failed" } }
                    @for stat in &overview.rpc_stats {
                        tr {
                            td { code { (Peer(&stat.rpc)) } }
                            td { (stat.calls) }
                            td { (stat.total_ms / stat.calls.max(1)) " ms" }
                            td { (stat.max_ms) " ms" }
                            td {
                                (stat.failed)
                                @if let Some(first) = first_failure(&stat.rpc) { ": " (Peer(&cut(&first.outcome, TITLE_LIMIT))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn streams_list(overview: &Overview) -> Markup {
    html! {
        @if !overview.streams.is_empty() || !overview.notes.is_empty() {
            details {
                summary { "Subscriptions and notes" }
                ul {
                    @for stream in &overview.streams {
                        li { "stream " (stream.stream) " subscribed at " (seconds(stream.at_ms))
                            @match (&stream.ended_ms, &stream.error) {
                                (None, _) => { ", open at the end" }
                                (Some(at), None) => { ", ended OK at " (seconds(*at)) }
                                (Some(at), Some(error)) => { ", ended at " (seconds(*at)) ": " (Peer(error)) }
                            }
                        }
                    }
                    @for note in &overview.notes { li { (seconds(note.at_ms)) ": " (Peer(&note.text)) } }
                }
            }
        }
    }
}

fn checks(report: &Report) -> Markup {
    html! {
        section #checks {
            h2 { "Checks" }
            table {
                tr { th { "verdict" } th { "check" } th { "level" } th { "title" } }
                @for check in &report.checks {
                    tr {
                        td { (verdict(check.verdict)) }
                        td { a href={ "#" (check_anchor(&check.id)) } { code { (Peer(&check.id)) } } }
                        td { (check.level_label()) }
                        td { (Peer(&check.title)) }
                    }
                }
            }
            @for check in &report.checks { (check_article(check)) }
        }
    }
}

fn verdict(verdict: Verdict) -> Markup {
    html! { span class={ "v " (verdict.name()) } { (verdict.name()) } }
}

fn check_article(check: &CheckReport) -> Markup {
    let open = check.verdict != Verdict::Pass && check.verdict != Verdict::Skip;
    html! {
        article id=(check_anchor(&check.id)) {
            h3 { (verdict(check.verdict)) " " code { (Peer(&check.id)) } " " (Peer(&check.title)) }
            p.meta { (check.level_label()) " · started " (seconds(check.started_ms)) " · took " (seconds(check.duration_ms))
                @if let Some(spec) = &check.spec { " · spec " code { (Peer(spec)) } } }
            @if let Some(reason) = &check.reason { p.reason { (Peer(reason)) } }
            details open[open] {
                summary { "requirement and evidence" }
                p.req { (Peer(&check.requirement)) }
                @if let Some(evidence) = &check.evidence {
                    table {
                        tr { th { "step" } td { code { (Peer(&evidence.step)) } } }
                        tr { th { "expected" } td { (Peer(&evidence.expected)) } }
                        tr { th { "observed" } td { (Peer(&evidence.observed)) } }
                    }
                    @if !evidence.timeline.is_empty() {
                        ol.ev.mono { @for entry in evidence.timeline.iter().take(EVIDENCE_SHOWN) { (evidence_entry(entry)) } }
                        @if evidence.timeline.len() > EVIDENCE_SHOWN {
                            p.note { (evidence.timeline.len() - EVIDENCE_SHOWN) " more entries in report.json" }
                        }
                    }
                }
            }
        }
    }
}

fn evidence_entry(entry: &TimelineEntry) -> Markup {
    html! {
        li { a href={ "#t-" (entry.seq) } title="its place on the timeline" { "#" (entry.seq) } " " (Peer(&cut(&entry.line(), LINE_LIMIT))) }
    }
}
