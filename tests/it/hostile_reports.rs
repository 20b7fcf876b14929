//! A report directory handed in is input: `puppet-lint report DIR` in every format, and `rejudge DIR`, on a
//! report.json or a timeline.jsonl whose numbers, lists and strings size the work (a span of 2^64 ms, bins that
//! do not cover it, lists of 100,000 entries, a string of 2 MiB, patterns of 5,000 characters) finish at once —
//! refused, naming the file and the field, or rendered, never hung, never panicking, never growing to GBs.

use std::time::Duration;

use puppet_lint::events::overview::{KindBins, NoteMark, Overview, RpcSpan, StateMark};
use puppet_lint::exit;
use serde_json::{Value, json};

use crate::support::{Cli, Ran, Scratch};

/// Every format `report` renders.
const FORMATS: &[&str] = &["html", "markdown", "junit", "json", "badge", "badge-json", "checklist", "github"];

/// Far under what a hang or a GB allocation takes; the slowest format on the largest refused file takes ~0.5 s in
/// a debug build.
const DEADLINE: Duration = Duration::from_secs(20);

/// A conformant report with an overview drawn from a one-minute run, as JSON to break.
fn report() -> Value {
    let mut report = crate::report_formats::every_verdict();
    let mut overview = Overview::over(60_000);
    let bins = overview.gaps_ms.len();
    overview.events = vec![KindBins { event: "heartbeat".into(), total: 12, counts: vec![1; bins] }];
    overview.gaps_ms = vec![5_000; bins];
    overview.rpcs = vec![RpcSpan { seq: 1, rpc: "Ding".into(), at_ms: 10, took_ms: 3, ok: true, outcome: "ok".into() }];
    overview.states = vec![StateMark { seq: 2, at_ms: 20, event: "login".into(), replay: false }];
    overview.notes = vec![NoteMark { seq: 3, at_ms: 30, text: "a note".into() }];
    report.overview = Some(overview);
    report.recording = Some("timeline.jsonl".into());
    serde_json::to_value(&report).unwrap()
}

/// A change that breaks a report.
type Breaking = Box<dyn Fn(&mut Value)>;

fn write(dir: &Scratch, report: &Value) {
    std::fs::write(dir.join("report.json"), serde_json::to_string(report).unwrap()).unwrap();
}

fn render(dir: &Scratch, format: &str) -> Ran {
    Cli::new().args(["report", dir.to_str().unwrap(), "--format", format]).deadline(DEADLINE).run()
}

/// Each broken report is refused in every format, naming the file and the field.
#[test]
fn a_report_past_its_bounds_is_refused_naming_the_field_in_every_format() {
    let huge = u64::MAX;
    let cases: Vec<(&str, Breaking)> = vec![
        ("overview.span_ms", Box::new(move |r| r["overview"]["span_ms"] = json!(huge))),
        // Within the time bound, but bins of 1 ms would need a million of them.
        (
            "overview.bin_ms",
            Box::new(|r| {
                r["overview"]["span_ms"] = json!(1_000_000_000u64);
                r["overview"]["bin_ms"] = json!(1);
            }),
        ),
        ("overview.bin_ms", Box::new(|r| r["overview"]["bin_ms"] = json!(0))),
        ("overview.gaps_ms", Box::new(|r| r["overview"]["gaps_ms"] = json!(vec![1; 100_000]))),
        ("overview.events[0].counts", Box::new(|r| r["overview"]["events"][0]["counts"] = json!(vec![1; 241]))),
        (
            "overview.notes",
            Box::new(|r| r["overview"]["notes"] = json!(vec![json!({"seq": 1, "at_ms": 1, "text": "n"}); 65])),
        ),
        ("overview.rpcs[0].took_ms", Box::new(move |r| r["overview"]["rpcs"][0]["took_ms"] = json!(huge))),
        ("checks[1].duration_ms", Box::new(move |r| r["checks"][1]["duration_ms"] = json!(huge))),
        ("settings.heartbeat_interval_ms", Box::new(move |r| r["settings"]["heartbeat_interval_ms"] = json!(huge))),
        ("checks[2].reason", Box::new(|r| r["checks"][2]["reason"] = json!("x".repeat(2 << 20)))),
        ("settings.skip[0]", Box::new(|r| r["settings"]["skip"] = json!(["?".repeat(5_000)]))),
        ("checks", Box::new(|r| r["checks"] = json!(vec![r["checks"][0].clone(); 10_001]))),
    ];
    for (field, break_it) in &cases {
        let dir = Scratch::new("hostile-report");
        let mut broken = report();
        break_it(&mut broken);
        write(&dir, &broken);
        for format in FORMATS {
            let ran = render(&dir, format);
            ran.code(exit::USAGE);
            let named = format!("{}: {field} ", dir.join("report.json").display());
            assert!(ran.stderr.contains(&named), "{format}, {field}: {}", ran.stderr);
            assert!(ran.stderr.contains("not a report puppet-lint wrote"), "{}", ran.stderr);
        }
    }
}

/// Numbers that fit their bounds but not arithmetic (totals and counts of 2^64 - 1) render, saturated.
#[test]
fn counts_at_the_edge_of_u64_render_in_every_format() {
    let dir = Scratch::new("hostile-report-counts");
    let mut report = report();
    report["overview"]["rpcs_omitted"] = json!(u64::MAX);
    report["overview"]["states_omitted"] = json!(u64::MAX);
    report["overview"]["events"] = json!([
        {"event": "heartbeat", "total": u64::MAX, "counts": [u32::MAX]},
        {"event": "message", "total": u64::MAX, "counts": [u32::MAX, u32::MAX]}
    ]);
    report["overview"]["rpc_stats"] = json!([
        {"rpc": "Ding", "calls": u64::MAX, "failed": u64::MAX, "total_ms": u64::MAX, "max_ms": u64::MAX},
        {"rpc": "Start", "calls": u64::MAX, "failed": 0, "total_ms": 0, "max_ms": 0}
    ]);
    report["overview"]["span_ms"] = json!(puppet_lint::events::overview::TIME_LIMIT_MS);
    report["overview"]["bin_ms"] = json!(puppet_lint::events::overview::TIME_LIMIT_MS / 240);
    report["events"] = json!({"heartbeat": u64::MAX, "message": u64::MAX});
    write(&dir, &report);
    for format in FORMATS {
        let ran = render(&dir, format);
        assert!(ran.code == exit::OK, "{format}: {}", ran.stderr);
        assert!(!ran.stderr.contains("panicked"), "{format}: {}", ran.stderr);
    }
    let page = render(&dir, "html").stdout;
    assert!(page.contains(&format!("rpcs ({})", u64::MAX)), "the sum saturates");
    let ticks = page.matches(r#"text-anchor="middle""#).count();
    assert!((2..=13).contains(&ticks), "{ticks} ticks on a 30-day axis");
}

/// A recorded run whose report or recording says absurd things is refused at once, naming the file (and line)
/// and the field.
#[test]
fn rejudge_refuses_a_recording_or_report_past_its_bounds() {
    let timeline = [
        r#"{"seq":0,"at_ms":3,"kind":"rpc","rpc":"Version","took_ms":3,"outcome":"ok"}"#,
        r#"{"seq":1,"at_ms":4,"kind":"subscribed","stream":1}"#,
        r#"{"seq":2,"at_ms":9,"kind":"event","stream":1,"event":"heartbeat","number":1,"payload":"{\"data\":\"x\"}"}"#,
    ];
    let month = puppet_lint::events::overview::TIME_LIMIT_MS;
    let cases: Vec<(Vec<String>, Breaking, String)> = vec![
        (
            vec![format!(
                r#"{{"seq":3,"at_ms":{},"kind":"event","stream":1,"event":"message","number":8,"payload":"{{}}"}}"#,
                u64::MAX
            )],
            Box::new(|_| {}),
            "timeline.jsonl:4: its at_ms is 18446744073709551615 ms".into(),
        ),
        (
            vec![format!(r#"{{"seq":3,"at_ms":20,"kind":"rpc","rpc":"Ding","took_ms":{},"outcome":"ok"}}"#, month + 1)],
            Box::new(|_| {}),
            "timeline.jsonl:4: its took_ms is".into(),
        ),
        (
            vec![],
            Box::new(|r| r["checks"][0]["started_ms"] = json!(u64::MAX)),
            "report.json: checks[0].started_ms".into(),
        ),
        (
            vec![],
            Box::new(|r| r["settings"]["only"] = json!(vec!["*".repeat(300); 2])),
            "report.json: settings.only[0]".into(),
        ),
    ];
    for (extra, break_report, said) in &cases {
        let dir = Scratch::new("hostile-rejudge");
        let mut report = report();
        break_report(&mut report);
        write(&dir, &report);
        let lines: Vec<String> = timeline.iter().map(|line| line.to_string()).chain(extra.iter().cloned()).collect();
        std::fs::write(dir.join("timeline.jsonl"), lines.join("\n") + "\n").unwrap();
        let ran = Cli::new().args(["rejudge", dir.to_str().unwrap(), "--no-report"]).deadline(DEADLINE).run();
        ran.code(exit::USAGE).stderr_has(said);
        assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    }
}
