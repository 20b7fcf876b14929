//! The characters that end a line, reorder text or hide in it — U+2028 and U+2029, NEL, bidi controls like
//! U+202E, zero-width and tag characters, the other format characters, blank fillers — from a peer or a file
//! handed in, on every terminal path of the real binary: a discovery answer (`discover`), a suite handed in
//! (`list`, its errors), a baseline's lines (`run`), a report's strings (`report` as a checklist and as GitHub
//! workflow commands). Each is shown as its escape (`\u{2028}`), never raw.

use puppet_lint::exit;

use crate::support::{self, Cli, Scratch, inert};

/// One of each kind, with the escape each must show as.
const HIDDEN: &[(&str, &str)] = &[
    ("\u{2028}", "\\u{2028}"),
    ("\u{2029}", "\\u{2029}"),
    ("\u{85}", "\\u{0085}"),
    ("\u{202e}", "\\u{202e}"),
    ("\u{e0041}", "\\u{e0041}"),
    ("\u{fff9}", "\\u{fff9}"),
    ("\u{3164}", "\\u{3164}"),
];

/// `x` + every hidden character, each between letters.
fn laced(word: &str) -> String {
    HIDDEN.iter().map(|(raw, _)| format!("{word}{raw}")).collect()
}

fn assert_shown_escaped(what: &str, text: &str) {
    inert::terminal(text, false).unwrap_or_else(|error| panic!("{what}: {error}\n--- output:\n{text}"));
    for (_, escaped) in HIDDEN {
        assert!(text.contains(escaped), "{what}: {escaped} not shown\n--- output:\n{text}");
    }
}

/// A discovery answer's extra keys are quoted on stderr; its malformed body in the error.
#[tokio::test(flavor = "multi_thread")]
async fn a_discovery_answers_separators_and_format_characters_are_shown_escaped() {
    const TOKEN: &str = "puppet_service_hidden-0123456789";
    let body = format!(r#"{{"host":"127.0.0.1","port":8788,"note":"{}"}}"#, laced("n"));
    let found = support::http::serve(vec![(200, body)]).await;
    let ran = Cli::new().args(["discover", TOKEN, "--authority", &found.authority]).run_async().await;
    ran.code(exit::OK);
    assert_eq!(ran.stdout, "127.0.0.1:8788\n");
    assert_shown_escaped("discover's answer", &ran.stderr);

    let broken = support::http::serve(vec![(200, format!("not json {}", laced("b")))]).await;
    let ran = Cli::new().args(["discover", TOKEN, "--authority", &broken.authority]).run_async().await;
    assert_ne!(ran.code, exit::OK);
    inert::terminal(&ran.stderr, false).unwrap_or_else(|error| panic!("discover's error: {error}\n{}", ran.stderr));
}

/// A suite handed in: its title, requirement and tags in `list` (as a table, one check in full, Markdown), and
/// its broken line quoted in the error.
#[test]
fn a_suite_handed_in_is_listed_and_quoted_escaped() {
    let dir = Scratch::new("hostile-suite");
    let suite = dir.join("hostile.yaml");
    std::fs::write(
        &suite,
        format!(
            "format: 1\nsuite: hostile\nversion: '1'\ntitle: Hostile\nchecks:\n  - id: hostile.check\n    title: \"{}\"\n    requirement: \"{}\"\n    level: should\n    tags: [\"{}\"]\n    steps:\n      - wait: {{ for: 1ms }}\n",
            laced("t"),
            laced("r"),
            laced("g"),
        ),
    )
    .unwrap();
    let table = Cli::new().args(["list", "--suite"]).arg_path(&suite).run();
    table.code(exit::OK);
    assert_shown_escaped("list", &table.stdout);
    let full = Cli::new().args(["list", "hostile.check", "--suite"]).arg_path(&suite).run();
    full.code(exit::OK);
    assert_shown_escaped("list CHECK", &full.stdout);
    let markdown = Cli::new().args(["list", "--format", "markdown", "--suite"]).arg_path(&suite).run();
    markdown.code(exit::OK);
    assert_shown_escaped("list --format markdown", &markdown.stdout);

    let broken = dir.join("broken.yaml");
    std::fs::write(
        &broken,
        format!("format: 1\nsuite: broken\nversion: '1'\ntitle: Broken\nchecks: \"{}\"\n", laced("e")),
    )
    .unwrap();
    let ran = Cli::new().args(["list", "--suite"]).arg_path(&broken).run();
    ran.code(exit::USAGE);
    assert_shown_escaped("a suite's error", &ran.stderr);
}

/// A baseline's line that names no check is quoted on stderr.
#[test]
fn a_baselines_unknown_line_is_quoted_escaped() {
    let dir = Scratch::new("hostile-baseline");
    let baseline = dir.join("baseline.txt");
    std::fs::write(&baseline, format!("{}\n", laced("b"))).unwrap();
    let ran = Cli::new()
        .args(["--mock", "--only", "heartbeat.interval", "--heartbeat-window", "1s", "--no-report", "--baseline"])
        .arg_path(&baseline)
        .run();
    ran.code(exit::OK);
    assert_shown_escaped("the baseline's warning", &ran.stderr);
    assert!(ran.stderr.contains("names no check of this run"), "{}", ran.stderr);
}

/// A report's strings: the checklist shows them escaped; GitHub workflow commands escape `%`, CR, LF (and `:`,
/// `,` in the title) per GitHub's rules and show the separators escaped too, so no line starts a command.
#[test]
fn a_reports_strings_are_escaped_in_the_checklist_and_workflow_commands() {
    let dir = Scratch::new("hostile-report-text");
    let mut report = crate::report_formats::every_verdict();
    report.target.description = laced("d");
    for check in &mut report.checks {
        check.title = format!("a: title, {}", laced("t"));
        check.reason = Some(format!("100% off\r\n::error::pwned\u{2028}::warning::again {}", laced("r")));
    }
    std::fs::write(dir.join("report.json"), serde_json::to_string(&report).unwrap()).unwrap();
    let checklist = Cli::new().args(["report", dir.to_str().unwrap()]).run();
    assert_shown_escaped("checklist", &checklist.stdout);
    let github = Cli::new().args(["report", dir.to_str().unwrap(), "--format", "github"]).run();
    github.code(exit::OK);
    inert::workflow(&github.stdout).unwrap_or_else(|error| panic!("{error}\n{}", github.stdout));
    assert_shown_escaped("github", &github.stdout);
    let line = github.stdout.lines().find(|line| line.contains("events.ready")).expect("a failed must annotated");
    assert!(line.contains("::a: title, t\\u{2028}t"), "the message keeps `:` and `,`: {line}");
    assert!(line.contains("100%25 off%0D%0A::error::pwned\\u{2028}::warning::again"), "{line}");
}
