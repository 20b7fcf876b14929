//! `report.html`, the run as a page: a recorded run renders with its timeline
//! drawn and every evidence entry linked to its mark on it, under a CSP that
//! loads and runs nothing; a peer's hostile text stays text; the largest
//! overview report.json can hold still renders under 1 MB (the 200,000-event
//! flood itself: `misbehaviour::a_flood_of_events_is_read_to_the_end`).

use std::collections::BTreeSet;

use puppet_lint::events::overview::{
    self, KindBins, NoteMark, Overview, RpcSpan, RpcStats, StateMark, StreamSpan, TEXT_LIMIT,
};
use puppet_lint::events::{Evidence, TimelineEntry, TimelineWhat};
use puppet_lint::exit;
use puppet_lint::report::html;
use puppet_lint::report::model::{Report, Verdict};

use crate::support::Cli;

/// What every page must be: self-contained, its one style allowed by hash, no script, every link inside the page
/// and landing on something. Returns the ids it holds.
fn assert_page(page: &str, report: &Report) -> BTreeSet<String> {
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..100.min(page.len())]);
    let style = regex::Regex::new(r"(?s)<style>(.*?)</style>").unwrap();
    let styles: Vec<_> = style.captures_iter(page).collect();
    assert_eq!(styles.len(), 1, "one style element");
    use base64::Engine as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, styles[0][1].as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    let csp = format!(
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-{hash}'; img-src data:; base-uri 'none'; form-action 'none'">"#
    );
    assert!(page.contains(&csp), "the CSP allows exactly the page's style");
    let lower = page.to_lowercase();
    for forbidden in ["<script", "url(", "@import", "<iframe", "<object", "<embed", "<link", "http-equiv=\"refresh\""] {
        assert!(!lower.contains(forbidden), "{forbidden} in the page");
    }
    // No attribute that loads or runs anything (` src=`, ` onerror=`…), outside the quoted values.
    let tags = regex::Regex::new(r"<[^>]*>").unwrap();
    let loads = regex::Regex::new(r#" (src|on[a-z]+)="#).unwrap();
    for tag in tags.find_iter(&lower) {
        let tag = tag.as_str();
        let hit = loads.find_iter(tag).find(|hit| !inside_quotes(tag, hit.start()));
        assert!(hit.is_none(), "an attribute that loads or runs: {tag}");
    }
    let ids: BTreeSet<String> =
        regex::Regex::new(r#" id="([^"]*)""#).unwrap().captures_iter(page).map(|id| id[1].to_owned()).collect();
    for href in regex::Regex::new(r#" href="([^"]*)""#).unwrap().captures_iter(page) {
        let target = href[1].strip_prefix('#').unwrap_or_else(|| panic!("a link out of the page: {}", &href[1]));
        assert!(ids.contains(target), "a link to #{target}, which the page does not hold");
    }
    for section in ["timeline", "checks"] {
        assert!(ids.contains(section), "section #{section}");
    }
    for check in &report.checks {
        let anchor = format!("check-{}", check.id);
        assert!(ids.contains(&anchor), "{anchor}");
        for entry in check.evidence.iter().flat_map(|evidence| &evidence.timeline) {
            if report.overview.is_some() {
                assert!(ids.contains(&format!("t-{}", entry.seq)), "evidence entry {} has its mark", entry.seq);
            }
            assert!(page.contains(&format!("href=\"#t-{}\"", entry.seq)), "evidence entry {} links to it", entry.seq);
        }
    }
    ids
}

/// Whether byte `at` of a tag is inside a quoted attribute value.
fn inside_quotes(tag: &str, at: usize) -> bool {
    tag[..at].matches('"').count() % 2 == 1
}

/// A run against the mock that fails observe-only rules, fast: its page, its report, and the page again from
/// `puppet-lint report DIR --format html`.
#[test]
fn a_recorded_failing_run_is_a_page_whose_evidence_links_to_its_timeline() {
    let ran = Cli::new()
        .args(["--mock", "--mock-fault", "stale-scan", "--mock-fault", "double-logout"])
        .args(["--heartbeat-window", "1s", "--timeout", "3s", "--quiet"])
        .reports("report-html-recorded")
        .run();
    ran.code(exit::FAILURE);
    let report = ran.report();
    let page = std::fs::read_to_string(ran.dir().join("report.html")).expect("report.html beside report.json");
    let ids = assert_page(&page, &report);
    let overview = report.overview.as_ref().expect("a run with a session has an overview");
    assert!(overview.events.iter().any(|row| row.event == "heartbeat" && row.total > 0), "heartbeats binned");
    assert!(!overview.rpcs.is_empty() && !overview.streams.is_empty(), "rpcs and subscriptions listed");
    assert!(overview.states.iter().any(|state| state.event == "login"), "the login drawn");
    assert!(overview.gaps_ms.iter().any(|gap| *gap > 0), "the silences measured");
    let failed: Vec<_> = report.checks.iter().filter(|check| check.verdict == Verdict::Fail).collect();
    assert!(!failed.is_empty());
    assert!(
        failed.iter().any(|check| check.evidence.as_ref().is_some_and(|evidence| !evidence.timeline.is_empty())),
        "a failure with timeline evidence, linked"
    );
    assert!(ids.iter().any(|id| id.starts_with("t-")), "evidence marks on the timeline");
    for check in failed {
        let article = page.split(&format!("id=\"check-{}\"", check.id)).nth(1).unwrap();
        assert!(article.split("</article>").next().unwrap().contains("class=\"v fail\""), "{}", check.id);
    }
    assert!(page.contains("allowed gap 1.000s"), "the silences against the heartbeat rule's allowed gap");
    let again = Cli::new().args(["report", ran.dir().to_str().unwrap(), "--format", "html"]).run();
    again.code(exit::OK);
    assert_eq!(again.stdout, page, "the page again from report.json, byte for byte");
}

const HOSTILE: &[&str] = &[
    "</svg><script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "</title></rect><a href=\"https://evil.example\">x</a>",
    "\u{1b}]8;;https://evil.example\u{7}link\u{1b}]8;;\u{7}\r\n<style>*{}</style>",
    "'><svg onload=alert(1)>",
];

fn hostile(index: usize) -> String {
    HOSTILE[index % HOSTILE.len()].to_owned()
}

/// Every string a peer can put in a report (payloads, rpc errors, stream ends, notes, event names, reasons,
/// evidence) holding markup: the page shows it as text.
#[test]
fn a_peers_hostile_text_stays_text_in_the_page() {
    let mut report = crate::report_formats::every_verdict();
    let mut n = 0;
    let mut next = || {
        n += 1;
        hostile(n)
    };
    report.target.description = next();
    for check in &mut report.checks {
        check.reason = Some(next());
        check.evidence = Some(Evidence {
            step: next(),
            expected: next(),
            observed: next(),
            timeline: vec![
                TimelineEntry {
                    seq: 3,
                    at_ms: 40,
                    what: TimelineWhat::Event {
                        stream: 1,
                        event: next(),
                        number: 99,
                        payload: next(),
                        problem: Some(next()),
                        connect_heartbeat: false,
                        replay: false,
                        trimmed: None,
                    },
                },
                TimelineEntry {
                    seq: 4,
                    at_ms: 50,
                    what: TimelineWhat::Rpc { rpc: next(), took_ms: 3, outcome: next() },
                },
                TimelineEntry { seq: 5, at_ms: 60, what: TimelineWhat::StreamEnded { stream: 1, error: Some(next()) } },
            ],
        });
    }
    let mut overview = Overview::over(1_000);
    let bins = overview.gaps_ms.len();
    overview.events = vec![KindBins { event: next(), total: 1, counts: vec![1; bins] }];
    overview.rpcs = vec![RpcSpan { seq: 4, rpc: next(), at_ms: 10, took_ms: 40, ok: false, outcome: next() }];
    overview.streams =
        vec![StreamSpan { stream: 1, seq: 1, at_ms: 0, ended_seq: Some(5), ended_ms: Some(60), error: Some(next()) }];
    overview.states = vec![StateMark { seq: 2, at_ms: 20, event: next(), replay: false }];
    overview.notes = vec![NoteMark { seq: 6, at_ms: 70, text: next() }];
    report.overview = Some(overview);
    let page = html::render(&report);
    assert_page(&page, &report);
    for raw in ["<script", "<img", "<svg onload", "<a href=\"https", "\u{1b}", "\u{7}", "<style>*"] {
        assert!(!page.contains(raw), "{raw:?} got through");
    }
    assert!(page.contains("&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), "shown as text");
}

/// The largest overview report.json can hold — every type row, every bin busy, every list at its cap, every text
/// at its limit — and 60 failed checks' evidence (the built-in suite has 41) (14 entries each, as a run's excerpts hold at most): the page stays under 1 MB and renders in well under a
/// second.
#[test]
fn the_largest_overview_renders_small_and_fast() {
    let mut report = crate::report_formats::every_verdict();
    let mut overview = Overview::over(3_600_000);
    let bins = overview.gaps_ms.len();
    let text = "x".repeat(TEXT_LIMIT);
    overview.events = (0..=overview::KINDS)
        .map(|kind| KindBins { event: format!("type-{kind}"), total: 1 << 40, counts: vec![u32::MAX; bins] })
        .collect();
    overview.gaps_ms = vec![90_000; bins];
    overview.rpcs = (0..overview::RPCS)
        .map(|seq| RpcSpan {
            seq,
            rpc: "MessageSendText".into(),
            at_ms: seq as u64 * 3_600,
            took_ms: 5,
            ok: seq % 2 == 0,
            outcome: text.clone(),
        })
        .collect();
    overview.rpc_stats = (0..40)
        .map(|rpc| RpcStats {
            rpc: format!("Rpc{rpc}"),
            calls: 1 << 40,
            failed: 1,
            total_ms: u64::MAX,
            max_ms: u64::MAX,
        })
        .collect();
    overview.streams = (0..overview::STREAMS as u32)
        .map(|stream| StreamSpan {
            stream,
            seq: 0,
            at_ms: 0,
            ended_seq: None,
            ended_ms: Some(9),
            error: Some(text.clone()),
        })
        .collect();
    overview.states = (0..overview::STATES)
        .map(|seq| StateMark { seq, at_ms: seq as u64 * 10_000, event: "login".into(), replay: true })
        .collect();
    overview.notes =
        (0..overview::NOTES).map(|seq| NoteMark { seq, at_ms: seq as u64 * 50_000, text: text.clone() }).collect();
    report.overview = Some(overview);
    let template = report.checks[0].clone();
    report.checks = (0..60)
        .map(|index| {
            let mut check = template.clone();
            check.id = format!("check.{index}");
            check.verdict = Verdict::Fail;
            check.evidence = Some(Evidence {
                step: "wait_for".into(),
                expected: text.clone(),
                observed: text.clone(),
                timeline: (0..14)
                    .map(|seq| TimelineEntry {
                        seq: index * 14 + seq,
                        at_ms: (index * 14 + seq) as u64 * 1_000,
                        what: TimelineWhat::Note { text: text.clone() },
                    })
                    .collect(),
            });
            check
        })
        .collect();
    let started = std::time::Instant::now();
    let page = html::render(&report);
    let took = started.elapsed();
    eprintln!("the largest overview: {} bytes in {took:?}", page.len());
    assert!(page.len() < 1 << 20, "{} bytes", page.len());
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    assert_page(&page, &report);
}
