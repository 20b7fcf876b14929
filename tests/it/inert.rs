//! Property test (issue #19, points 3 and 7): hostile strings in every
//! string field of a report — controls, ESC/OSC sequences, CR/LF, Markdown,
//! HTML/XML, workflow commands, bidi and zero-width characters, and the
//! secret of a registered token in every form a service could echo it —
//! rendered in every format `src/report` writes: each output is inert for its
//! language (checked apart from the crate's escaping, `support/inert.rs`) and
//! no run of 8 characters of a secret can be read from it
//! (`support/leak.rs`).
//!
//! A process of its own ([`support::alone`]): the tokens it registers would
//! mask text in the other tests. 2,000 cases by default (a case renders 17
//! outputs and searches each; about 25 ms a case in a debug build);
//! `PROPTEST_CASES` raises the count
//! (`PROPTEST_CASES=100000 cargo test --release --test it inert::`).
//!
//! The same on the real binary: `report_binary.rs`.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use puppet_lint::events::{Evidence, LevelReport, TimelineEntry, TimelineWhat};
use puppet_lint::redact;
use puppet_lint::report::fleet::{self, Outcome};
use puppet_lint::report::look::Look;
use puppet_lint::report::matrix::{self, Matrix};
use puppet_lint::report::model::{
    CheckReport, Report, ServiceReport, SettingsReport, SuiteReport, Summary, TargetReport, Verdict,
};
use puppet_lint::report::{badge, checklist, files, github, html, junit, markdown};
use puppet_lint::vocab::Severity;

use crate::support;
use crate::support::inert;
use crate::support::leak::Secrets;

/// The tokens registered (their secrets: a UUID, mixed-case letters and digits, and one with the characters
/// Markdown escapes, `.` `~` `-`).
pub const TOKENS: [&str; 3] = [
    "puppet_hostile_3f9a0c1e-77b2-4d0e-9a41-55c3e1d0b7aa",
    "insecure_Zq7xK9mWv4Rb8Tn3Yp6L",
    "padlocal_k2.v~9Xq-7Lm.P4w",
];

/// The part after the last `_`.
pub fn secret(token: &str) -> &str {
    token.rsplit('_').next().unwrap_or(token)
}

/// What a hostile peer puts in a string, piece by piece.
pub const FRAGMENTS: &[&str] = &[
    "\u{1b}[31mred\u{1b}[0m",
    "\u{1b}[2J\u{1b}[H",
    "\u{1b}]52;c;cHduZWQ=\u{7}",
    "\u{1b}]0;title\u{1b}\\",
    "\u{1b}]8;;https://evil.example\u{7}link\u{1b}]8;;\u{7}",
    "\u{9b}31m",
    "\u{9d}52;c;eA==\u{9c}",
    "\u{7}",
    "\r",
    "\n",
    "\r\n",
    "\u{8}\u{8}",
    "\u{7f}",
    "\0",
    "\u{85}",
    "\t",
    "[Re-authenticate](https://evil.example/login)",
    "![x](https://evil.example/p.png)",
    "<https://evil.example>",
    "<mailto:a@evil.example>",
    "https://evil.example/x",
    "HTTP://EVIL.EXAMPLE",
    "www.evil.example",
    "a@evil.example",
    "@everyone",
    "**bold**",
    "__bold__",
    "*em*",
    "_em_",
    "~~strike~~",
    "`code`",
    "```",
    "~~~",
    "| a | b |",
    "|",
    "\\|",
    "\\",
    "# heading",
    "> quote",
    "- item",
    "1. item",
    "[ref]: https://evil.example",
    "[x][ref]",
    "[^1]",
    "---",
    "$x$",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "</code></summary></details><a href=\"https://evil.example\">",
    "<!-- c -->",
    "<![CDATA[x]]>",
    "]]>",
    "<?xml version=\"1.0\"?>",
    "<!DOCTYPE x [<!ENTITY e \"x\">]>",
    "&e;",
    "&amp;",
    "&lt;b&gt;",
    "&#60;b&#62;",
    "&#x3c;",
    "\"",
    "'",
    "\" onload=\"x",
    "' onmouseover='x",
    "::error::pwned",
    "::error title=x,file=y::z",
    "::add-mask::x",
    "::stop-commands::tok",
    "%0A::error::pwned",
    "%25",
    "%0D",
    "%3A%3A",
    "\u{202e}",
    "\u{2066}",
    "\u{2067}",
    "\u{2069}",
    "\u{200b}",
    "\u{200d}",
    "\u{feff}",
    "\u{61c}",
    "\u{ad}",
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{e0041}\u{e0042}\u{e007f}",
    "\u{fff9}x\u{fffb}",
    "\u{600}1",
    "\u{180e}",
    "\u{206f}",
    "\u{3164}",
    "\u{e0100}",
    "${{ secrets.X }}",
];

/// The token (or its secret) as a service could echo it.
fn token_form() -> impl Strategy<Value = String> {
    (0..TOKENS.len(), 0usize..22, any::<proptest::sample::Index>(), 0usize..5)
        .prop_map(|(which, form, cut, zw)| form_of(TOKENS[which], form, cut.index(64), zw))
}

/// Form `form` (0–21) of `token`; `cut` places a split, `zw` picks the invisible character.
pub fn form_of(token: &str, form: usize, cut: usize, zw: usize) -> String {
    use base64::Engine as _;
    let secret = secret(token);
    let prefix = &token[..token.len() - secret.len()];
    let at = cut % (secret.len() - 1) + 1;
    let invisible = ['\u{200B}', '\u{200D}', '\u{FEFF}', '\u{AD}', '\u{2060}'][zw % 5];
    let each = |f: &dyn Fn(char) -> String| secret.chars().map(f).collect::<String>();
    let hex = |data: &str, upper: bool| {
        data.bytes().map(|byte| if upper { format!("{byte:02X}") } else { format!("{byte:02x}") }).collect::<String>()
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    match form {
        0 => token.to_owned(),
        1 => secret.to_owned(),
        2 => secret[at.min(secret.len() - 8)..][..8].to_owned(),
        3 => format!("{}{invisible}{}", &secret[..at], &secret[at..]),
        4 => format!("{prefix}{invisible}{}", secret.chars().map(|c| format!("{c}{invisible}")).collect::<String>()),
        5 => format!("{}\\u005f{secret}", prefix.trim_end_matches('_')),
        6 => each(&|c| format!("\\u{:04x}", c as u32)),
        7 => each(&|c| format!("&#{};", c as u32)),
        8 => each(&|c| format!("&#x{:x};", c as u32)),
        9 => each(&|c| format!("&#X{:X}", c as u32)),
        10 => each(&|c| format!("%{:02X}", c as u32)),
        11 => each(&|c| format!("%{:02x}", c as u32)),
        12 => b64.encode(token),
        13 => b64.encode(secret),
        14 => b64url.encode(format!("x{secret}")),
        15 => b64.encode(format!("Basic {token}")),
        16 => hex(token, false),
        17 => hex(secret, true),
        18 => hex(secret, false),
        19 => secret.to_ascii_uppercase(),
        20 => format!("{}&lowbar;{}", prefix.trim_end_matches('_'), secret.to_ascii_lowercase()),
        _ => serde_json::to_string(&serde_json::json!({ "token": token })).unwrap_or_default(),
    }
}

/// A hostile string: a few pieces, each a fragment, a form of a token, or arbitrary text.
pub fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        5 => proptest::sample::select(FRAGMENTS).prop_map(str::to_owned),
        3 => token_form(),
        1 => "[ -~]{0,12}",
        1 => "\\PC{0,6}",
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..4).prop_map(|pieces| pieces.concat())
}

/// How a report is put together, apart from its strings.
#[derive(Debug, Clone)]
pub struct Shape {
    checks: Vec<(Verdict, bool, bool, bool, u8)>,
    partial: bool,
    own_suite: bool,
    timeline: usize,
}

fn shape() -> impl Strategy<Value = Shape> {
    let verdict = proptest::sample::select(
        &[Verdict::Pass, Verdict::Fail, Verdict::Warn, Verdict::Skip, Verdict::Error, Verdict::Timeout][..],
    );
    (
        proptest::collection::vec((verdict, any::<bool>(), any::<bool>(), any::<bool>(), any::<u8>()), 1..5),
        any::<bool>(),
        any::<bool>(),
        0usize..5,
    )
        .prop_map(|(checks, partial, own_suite, timeline)| Shape { checks, partial, own_suite, timeline })
}

/// A report of `shape` whose every string is taken, in turn, from `pool`.
pub fn report(shape: &Shape, pool: &[String]) -> Report {
    let mut next = 0;
    let mut s = || {
        next += 1;
        pool[(next - 1) % pool.len()].clone()
    };
    let suite_id = s();
    let suites = vec![SuiteReport {
        id: suite_id.clone(),
        version: s(),
        title: s(),
        checks: shape.checks.len(),
        spec: Some(s()),
        source: s(),
        levels: vec![
            LevelReport { level: 1, name: s(), requires: vec![Severity::Must] },
            LevelReport { level: 2, name: s(), requires: vec![Severity::Must, Severity::Should] },
        ],
    }];
    let mut checks = Vec::new();
    for (index, (verdict, must, evidence, reason, seed)) in shape.checks.iter().enumerate() {
        let timeline = (0..shape.timeline)
            .map(|at| TimelineEntry {
                seq: at,
                at_ms: u64::from(*seed) * 7 + at as u64,
                what: match (at + usize::from(*seed)) % 7 {
                    0 => TimelineWhat::Event {
                        stream: 1,
                        event: s(),
                        number: i32::from(*seed),
                        payload: s(),
                        problem: Some(s()),
                        connect_heartbeat: false,
                        replay: seed % 2 == 0,
                        trimmed: (seed % 2 == 1)
                            .then(|| puppet_lint::events::Trimmed { bytes: 9_000_000, sha256: s() }),
                    },
                    1 => TimelineWhat::Subscribed { stream: 2 },
                    2 => TimelineWhat::StreamEnded { stream: 1, error: Some(s()) },
                    3 => TimelineWhat::Rpc { rpc: s(), took_ms: 3, outcome: s() },
                    4 => TimelineWhat::Reopened { stream: 3, ended: s() },
                    5 => TimelineWhat::Lost { cause: s() },
                    _ => TimelineWhat::Note { text: s() },
                },
            })
            .collect();
        checks.push(CheckReport {
            id: if index == 0 { s() } else { format!("{}{index}", s()) },
            suite: if shape.own_suite { suite_id.clone() } else { s() },
            title: s(),
            requirement: s(),
            spec: Some(s()),
            level: if *must { Severity::Must } else { Severity::Should },
            tags: vec![s(), s()],
            destructive: seed % 3 == 0,
            verdict: *verdict,
            reason: reason.then(&mut s),
            evidence: evidence.then(|| Evidence { step: s(), expected: s(), observed: s(), timeline }),
            started_ms: u64::from(*seed),
            duration_ms: u64::from(*seed) * 13,
            capability: None,
        });
    }
    let mut events = std::collections::BTreeMap::new();
    events.insert(s(), 3);
    events.insert(s(), 1);
    Report {
        recording_trimmed: shape.partial.then_some(puppet_lint::events::RecordingTrim {
            budget_bytes: 64 << 20,
            line_bytes: 4 << 20,
            trimmed: 3,
            trimmed_bytes: 30 << 20,
            first_trimmed: Some(7),
            unrecorded: 2,
            first_unrecorded: Some(40),
        }),
        schema: "puppet-lint/report".into(),
        schema_version: 2,
        puppet_lint_version: s(),
        started_at: s(),
        duration_ms: 1234,
        partial: shape.partial,
        interrupted_by: shape.partial.then(&mut s),
        target: TargetReport {
            description: s(),
            endpoint: Some(s()),
            tls: true,
            server_name: Some(s()),
            authority: Some(s()),
        },
        settings: SettingsReport {
            heartbeat_window_ms: 1,
            heartbeat_interval_ms: 1,
            timeout_ms: Some(5),
            allow_destructive: false,
            only: vec![s()],
            skip: vec![s()],
            tags: vec![s()],
        },
        service: Some(ServiceReport { version: Some(s()), bot: Some(s()) }),
        setup_error: shape.checks.first().is_some_and(|check| check.4 % 4 == 0).then(&mut s),
        suites,
        lost_service: shape.checks.first().is_some_and(|check| check.4 % 5 == 1).then(&mut s),
        summary: Summary::of(&checks),
        checks,
        events,
        recording: Some(s()),
        overview: Some(overview(&mut s)),
        claims: None,
    }
}

/// A timeline overview with a string of the pool in every string field.
fn overview(s: &mut impl FnMut() -> String) -> puppet_lint::events::overview::Overview {
    use puppet_lint::events::overview::{KindBins, NoteMark, Overview, RpcSpan, StateMark, StreamSpan};
    let mut overview = Overview::over(2_000);
    let bins = overview.gaps_ms.len();
    overview.events = vec![KindBins { event: s(), total: 2, counts: vec![2; bins] }];
    overview.gaps_ms = vec![1_500; bins];
    overview.rpcs = vec![
        RpcSpan { seq: 1, rpc: s(), at_ms: 3, took_ms: 4, ok: true, outcome: s() },
        RpcSpan { seq: 2, rpc: s(), at_ms: 5, took_ms: 6, ok: false, outcome: s() },
    ];
    overview.streams =
        vec![StreamSpan { stream: 1, seq: 0, at_ms: 0, ended_seq: Some(9), ended_ms: Some(9), error: Some(s()) }];
    overview.states = vec![StateMark { seq: 3, at_ms: 7, event: s(), replay: true }];
    overview.notes = vec![NoteMark { seq: 4, at_ms: 8, text: s() }];
    overview
}

/// The pool with each hostile string replaced by a benign one (equal strings alike, blank ones kept), for the
/// markup every rendering must keep.
pub fn benign(pool: &[String]) -> Vec<String> {
    pool.iter()
        .map(|text| {
            if text.trim().is_empty() {
                text.clone()
            } else {
                format!("w{}z", pool.iter().position(|known| known == text).unwrap_or(0))
            }
        })
        .collect()
}

/// Fleet target names: what a targets file allows.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-][A-Za-z0-9._-]{0,12}"
}

/// Every output of `reports` (each a report and a name) in every format, named; `colour` looks included.
/// `markup_only`: only the outputs whose markup [`check`] compares (Markdown, XML, HTML).
pub fn render_all(reports: &[(String, Report)], markup_only: bool) -> Vec<(String, String)> {
    let plain = Look::plain();
    let colour = Look { color: true, unicode: true, width: Some(120) };
    let ascii = Look { color: false, unicode: false, width: Some(60) };
    let all = !markup_only;
    let mut outputs = Vec::new();
    let mut add = |wanted: bool, name: String, render: &dyn Fn() -> String| {
        if wanted {
            outputs.push((name, render()));
        }
    };
    // The first report in every format of one report; the others only where several are rendered together.
    for (name, report) in reports.iter().take(1) {
        add(all, format!("{name}: checklist"), &|| checklist::render(report, &plain));
        add(all, format!("{name}: checklist (colour)"), &|| checklist::render(report, &colour));
        add(all, format!("{name}: checklist (ascii)"), &|| checklist::render(report, &ascii));
        add(true, format!("{name}: junit"), &|| junit::render(report));
        add(true, format!("{name}: markdown"), &|| markdown::render(report));
        add(true, format!("{name}: badge svg"), &|| badge::svg(report));
        add(all, format!("{name}: badge json"), &|| badge::json(report));
        add(all, format!("{name}: json"), &|| files::json(report));
        add(all, format!("{name}: github"), &|| github::annotations(report));
        add(true, format!("{name}: report html"), &|| html::render(report));
    }
    let built = Matrix::build(reports.to_vec());
    add(true, "matrix markdown".into(), &|| matrix::markdown(&built));
    add(true, "matrix html".into(), &|| matrix::html(&built));
    add(all, "matrix json".into(), &|| matrix::json(&built));
    let outcomes: Vec<Outcome> = reports
        .iter()
        .enumerate()
        .map(|(code, (name, report))| Outcome { name: name.clone(), report: report.clone(), code: code as i32 })
        .collect();
    add(all, "fleet checklist".into(), &|| fleet::checklist(&outcomes, &plain, None));
    add(all, "fleet checklist (colour)".into(), &|| fleet::checklist(&outcomes, &colour, Some(("SIGTERM", 130))));
    add(true, "fleet markdown".into(), &|| fleet::markdown(&outcomes, &built));
    outputs
}

/// The language of an output, by its name.
pub fn check(name: &str, text: &str, benign: Option<&str>) -> Result<(), String> {
    // The matrix sorts its suites by their ids and versions, which the benign strings do not keep, and groups
    // suites whose names show alike (two hostile names may show as the same escaped text, their benign stand-ins
    // do not): there the kinds of markup are compared as a set (peer markup would still add a kind to it).
    let in_order = !(name.starts_with("matrix") || name.starts_with("fleet"));
    let with = |what: &str, markup: fn(&str) -> Result<Vec<String>, String>| -> Result<(), String> {
        let mut hostile = markup(text)?;
        let Some(benign_text) = benign else { return Ok(()) };
        let mut benign = markup(benign_text).map_err(|error| format!("benign: {error}"))?;
        if !in_order {
            hostile.sort();
            hostile.dedup();
            benign.sort();
            benign.dedup();
        }
        inert::same_markup(what, &hostile, &benign).map_err(|error| format!("{error}\n--- benign:\n{benign_text}"))
    };
    let kind = name.rsplit(": ").next().unwrap_or(name);
    match kind {
        _ if name.contains("(colour)") => inert::terminal(text, true),
        _ if kind.starts_with("checklist") || name == "fleet checklist" => inert::terminal(text, false),
        "junit" | "badge svg" => {
            inert::terminal(text, false)?;
            // Printed to CI logs: no line starts a workflow command.
            if let Some(line) = text.lines().find(|line| line.trim_start().starts_with("::")) {
                return Err(format!("a line starts a workflow command: {line:?}"));
            }
            with(name, inert::xml_markup)
        }
        "badge json" | "json" | "matrix json" => inert::json(text),
        "github" => inert::workflow(text),
        "matrix html" | "report html" => {
            inert::terminal(text, false)?;
            with(name, inert::html_markup)
        }
        _ => {
            inert::terminal(text, false)?;
            with(name, inert::markdown_markup)
        }
    }
}

/// `text` without the matrix page's `<style>` and `<script>`: constants of the binary (their hashes are in the
/// page's CSP), nothing of a report's in them — and half of what a leak search would read.
fn without_own_style_and_script(text: &str) -> std::borrow::Cow<'_, str> {
    let mut text = std::borrow::Cow::Borrowed(text);
    for (open, close) in [("<style>", "</style>"), ("<script>", "</script>")] {
        if let (Some(start), Some(end)) = (text.find(open), text.find(close))
            && start < end
        {
            text = std::borrow::Cow::Owned(format!("{}{}", &text[..start], &text[end..]));
        }
    }
    text
}

#[test]
fn every_format_renders_hostile_strings_inert_and_shows_no_secret() {
    if !support::alone("inert::every_format_renders_hostile_strings_inert_and_shows_no_secret") {
        return;
    }
    for token in TOKENS {
        redact::register(token);
    }
    let secrets = Secrets::new(TOKENS.map(secret));
    let config = support::proptest_config(2000, "inert.proptest-regressions");
    let started = Instant::now();
    let cases = std::sync::atomic::AtomicU64::new(0);
    proptest!(config, |(
        pool in proptest::collection::vec(hostile(), 12..24),
        first in shape(),
        second in shape(),
        names in (name(), name()),
    )| {
        cases.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let benign_pool = benign(&pool);
        let reports = vec![(names.0.clone(), report(&first, &pool)), (names.1.clone(), report(&second, &pool[7..]))];
        let benign_reports = vec![
            (names.0.clone(), report(&first, &benign_pool)),
            (names.1.clone(), report(&second, &benign_pool[7..])),
        ];
        let case = Instant::now();
        let outputs = render_all(&reports, false);
        let benign_outputs = render_all(&benign_reports, true);
        for (name, text) in &outputs {
            let benign = benign_outputs.iter().find(|(benign, _)| benign == name).map(|(_, text)| text.as_str());
            if let Err(error) = check(name, text, benign) {
                prop_assert!(false, "{}: {}\n--- output:\n{}", name, error, text);
            }
        }
        for (name, text) in &outputs {
            if let Some(run) = secrets.readable_in(&without_own_style_and_script(text)) {
                prop_assert!(false, "{}: the secret run {:?} can be read\n--- output:\n{}", name, run, text);
            }
        }
        prop_assert!(case.elapsed() < Duration::from_secs(5), "a case took {:?}", case.elapsed());
    });
    eprintln!("inert: {} cases in {:.1}s", cases.into_inner(), started.elapsed().as_secs_f64());
}

#[test]
fn every_form_of_a_token_is_read_by_the_detector() {
    let secrets = Secrets::new(TOKENS.map(secret));
    for token in TOKENS {
        for form in 0..22 {
            for cut in [0, 3, 11] {
                let shown = form_of(token, form, cut, cut);
                assert!(secrets.readable_in(&format!("x {shown} y")).is_some(), "form {form} of {token}: {shown}");
            }
        }
    }
}

/// The real binary: a hostile report.json handed to `puppet-lint report FILE --format F` gives, in every
/// format, stdout that is inert for its language (its markup that of the benign report's, rendered in-process),
/// and stderr that is clean. (Secrecy is the property test's: `report` knows no token to mask.)
#[test]
fn report_renders_a_hostile_file_inert_in_every_format() {
    use proptest::strategy::ValueTree;
    let scratch = support::Scratch::new("inert-report");
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for round in 0..3 {
        let pool = proptest::collection::vec(hostile(), 12..24).new_tree(&mut runner).unwrap().current();
        let shape = shape().new_tree(&mut runner).unwrap().current();
        let hostile_report = report(&shape, &pool);
        let benign_report = report(&shape, &benign(&pool));
        let file = scratch.path().join(format!("report-{round}.json"));
        std::fs::write(&file, serde_json::to_string(&hostile_report).unwrap()).unwrap();
        for (format, name) in [
            ("checklist", "x: checklist"),
            ("junit", "x: junit"),
            ("markdown", "x: markdown"),
            ("badge", "x: badge svg"),
            ("badge-json", "x: badge json"),
            ("json", "x: json"),
            ("github", "x: github"),
        ] {
            let ran = support::Cli::new().args(["report", file.to_str().unwrap(), "--format", format]).run();
            assert_eq!(ran.code, 0, "{format}: {}", ran.stderr);
            let benign = match format {
                "markdown" => Some(markdown::render(&benign_report)),
                "junit" => Some(junit::render(&benign_report)),
                "badge" => Some(badge::svg(&benign_report)),
                _ => None,
            };
            if let Err(error) = check(name, &ran.stdout, benign.as_deref()) {
                panic!("report --format {format}: {error}\n--- stdout:\n{}", ran.stdout);
            }
            inert::terminal(&ran.stderr, false).unwrap_or_else(|error| panic!("{format}: stderr: {error}"));
        }
    }
}
