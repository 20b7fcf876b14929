//! The capability table, generated (issue 21, points 5 and 6), on the real binary against the mock: `matrix` over
//! one and two runs with `--capabilities` renders the section in Markdown, HTML and JSON; a claims file that
//! disagrees with the measurement is reported both ways in every report; hostile strings in claims and notes stay
//! inert in every format; the example table in `docs/capabilities/mock.md` is what the binary generates.

use std::path::Path;

use puppet_lint::mock::Fault;
use puppet_lint::report::model::Report;
use puppet_lint::vocab::capability::{Agreement, Outcome};

use crate::support::inert::{html_markup, json, markdown_markup, same_markup};
use crate::support::{Cli, Ran, Scratch};

/// The mock's room and a contact in it: the peers the example run is given.
const PEERS: [&str; 4] = ["--peer-room", "room-1@chatroom", "--peer-contact", "mock-contact-carol"];

/// The capability suite alone against `--mock`, through the real binary.
fn probe(name: &str, extra: &[&str]) -> Ran {
    Cli::new()
        .args(["--mock", "--capabilities", "--only", "capability.*", "--heartbeat-window", "2s"])
        .args(extra)
        .reports(name)
        .run()
}

/// `puppet-lint matrix ARGS…`: its standard output.
fn matrix(args: &[&str]) -> String {
    let ran = Cli::new().arg("matrix").args(args).run();
    ran.code(0);
    ran.stdout.clone()
}

fn path(dir: &Path) -> String {
    dir.display().to_string()
}

fn agreement(report: &Report, key: &str) -> Option<Agreement> {
    report.checks.iter().filter_map(|check| check.capability.as_ref()).find(|row| row.key == key)?.agreement
}

#[test]
fn matrix_renders_the_capability_section_over_one_and_two_targets() {
    let plain = probe("cap-matrix-plain", &[]);
    plain.code(0);
    let fault = Fault::RoomQrUnimplemented.name();
    let faulty = probe("cap-matrix-faulty", &["--mock-fault", &fault]);
    plain.dir().join("badge-capabilities.svg").is_file().then_some(()).expect("a capability badge");
    let badge = std::fs::read_to_string(plain.dir().join("badge-capabilities.json")).unwrap();
    assert!(badge.contains("\"label\": \"capabilities\"") && badge.contains("\"color\": \"brightgreen\""), "{badge}");

    let one = format!("mock={}", path(plain.dir()));
    let markdown = matrix(&[&one]);
    for needed in
        ["## Capabilities", "| **1. Message** |", "| **4. Other** |", "| Send Mini Program | ✅ |", "**Legend**"]
    {
        assert!(markdown.contains(needed), "{needed} missing:\n{markdown}");
    }
    markdown_markup(&markdown).unwrap();
    let html = matrix(&[&one, "--format", "html"]);
    assert!(html.contains("<section class=\"capabilities\"") && html.contains("<tbody><tr class=\"group\">"));
    html_markup(&html).unwrap();
    let value: serde_json::Value = serde_json::from_str(&matrix(&[&one, "--format", "json"])).unwrap();
    let section = &value["capabilities"];
    assert_eq!(section["providers"], serde_json::json!([0]));
    assert_eq!(section["groups"][0]["group"], "message");
    assert_eq!(section["scores"][0]["coverage"]["part"], section["scores"][0]["supported"]);

    let two = format!("faulty={}", path(faulty.dir()));
    let markdown = matrix(&["--capabilities-only", &one, &two]);
    assert!(markdown.starts_with("## Capabilities"), "{markdown}");
    assert!(!markdown.contains("## Compatibility matrix"), "only the section:\n{markdown}");
    assert!(markdown.contains("| Feature | mock | faulty |"), "{markdown}");
    let qr = markdown.lines().find(|line| line.starts_with("| Group QR Code |")).unwrap();
    assert!(qr.starts_with("| Group QR Code | ✅ | ❌ ["), "{qr}");
    markdown_markup(&markdown).unwrap();
    let value: serde_json::Value =
        serde_json::from_str(&matrix(&["--capabilities-only", &one, &two, "--format", "json"])).unwrap();
    let scores = value["capabilities"]["scores"].as_array().unwrap();
    assert_eq!(scores[1]["unsupported"], 1);
    // Declared unsupported: coverage drops, correctness does not.
    assert_eq!(scores[1]["correctness"]["part"], scores[1]["correctness"]["whole"]);
    assert!(scores[1]["coverage"]["part"].as_u64() < scores[1]["coverage"]["whole"].as_u64());
    let html = matrix(&["--capabilities-only", &one, &two, "--format", "html"]);
    assert!(!html.contains("<script"), "a page of capabilities alone needs no script");
    assert_eq!(html.matches("<td class=\"o o-unsupported\"").count(), 1, "one unsupported cell");
    html_markup(&html).unwrap();
}

#[test]
fn a_claims_file_that_disagrees_is_reported_both_ways() {
    let dir = Scratch::new("cap-claims");
    let claims = dir.join("acme.yaml");
    std::fs::write(
        &claims,
        "source: https://example.com/acme/features\ndate: 2026-05-01\ncolumns:\n  acme:\n    \
         Group QR Code: ✅\n    get-announcement: ❌\n    send-receive-text: \"✅ (fast)\"\n    receive-gif: ❌\n",
    )
    .unwrap();
    let fault = Fault::RoomQrUnimplemented.name();
    let ran = probe("cap-claims-run", &["--mock-fault", &fault, "--claims", &path(&claims)]);
    ran.code(0);
    let report = ran.report();
    let recorded = report.claims.as_ref().expect("report.json carries the claims");
    assert_eq!((recorded.column.as_str(), recorded.rows.len()), ("acme", 4));
    assert_eq!(agreement(&report, "room-qrcode"), Some(Agreement::Overclaimed));
    assert_eq!(agreement(&report, "get-announcement"), Some(Agreement::Unclaimed));
    assert_eq!(agreement(&report, "send-receive-text"), Some(Agreement::Agrees));
    assert_eq!(agreement(&report, "receive-gif"), Some(Agreement::Unmeasured));
    assert_eq!(agreement(&report, "recall"), None, "a row the claims leave out is compared with nothing");

    ran.stdout_has("claims: column acme of ")
        .stdout_has("2 disagreement(s)")
        .stdout_has("overclaimed: room-qrcode — claimed ✅, measured unsupported")
        .stdout_has("unclaimed: get-announcement — claimed ❌, measured supported");
    let summary = std::fs::read_to_string(ran.dir().join("summary.md")).unwrap();
    assert!(summary.contains("**Claimed versus measured**"), "{summary}");
    assert!(summary.contains("Group QR Code: claimed ✅ (`acme`), measured unsupported"), "{summary}");
    assert!(summary.contains("Get group announcement: claimed ❌ (`acme`), measured supported"), "{summary}");
    let page = std::fs::read_to_string(ran.dir().join("report.html")).unwrap();
    assert_eq!(page.matches("class=\"o o-unsupported disagrees\"").count(), 1, "the overclaimed cell");
    assert_eq!(page.matches("class=\"o o-supported disagrees\"").count(), 1, "the unclaimed cell");

    let input = format!("acme={}", path(ran.dir()));
    let markdown = matrix(&["--capabilities-only", &input]);
    assert!(markdown.contains("| Group QR Code | ❌ [") && markdown.contains("≠ claimed ✅ |"), "{markdown}");
    assert!(markdown.contains("| Get group announcement | ✅ ≠ claimed ❌ |"), "{markdown}");
    let value: serde_json::Value =
        serde_json::from_str(&matrix(&["--capabilities-only", &input, "--format", "json"])).unwrap();
    assert_eq!(value["capabilities"]["scores"][0]["disagreements"], 2);
    assert_eq!(value["capabilities"]["claims"][0]["column"], "acme");

    // The docs' own column, shipped with puppet-lint: the mock does more than donut is said to.
    let donut = probe("cap-claims-donut", &["--claims-column", "donut"]);
    donut.code(0);
    let report = donut.report();
    assert!(report.claims.as_ref().unwrap().source.contains("wechaty/docusaurus"));
    assert_eq!(agreement(&report, "get-announcement"), Some(Agreement::Unclaimed));
    assert_eq!(agreement(&report, "send-receive-text"), Some(Agreement::Agrees));
}

#[test]
fn a_bad_claims_file_is_refused_at_its_line_and_column() {
    let dir = Scratch::new("cap-claims-bad");
    let claims = dir.join("bad.yaml");
    std::fs::write(&claims, "source: s\ndate: 2026-05-01\ncolumns:\n  acme:\n    send-gif: perhaps\n").unwrap();
    let ran = Cli::new().args(["--mock", "--no-report", "--claims"]).arg_path(&claims).run();
    ran.code(puppet_lint::exit::USAGE);
    ran.stderr_has(&format!("{}:5:15: row `send-gif`: found \"perhaps\"", claims.display()));
    let ran = Cli::new().args(["--mock", "--no-report", "--claims-column", "nosuch"]).run();
    ran.code(puppet_lint::exit::USAGE);
    ran.stderr_has("no column `nosuch` here; its columns: donut, padlocal, paimon, workpro, wxwork");
}

/// Claims whose every string is hostile, and the same with benign strings: the two runs' outputs must have the
/// same markup; the hostile report then gets hostile notes too and is rendered again by `matrix` and `report`.
#[test]
fn hostile_strings_in_claims_and_notes_stay_inert_in_every_format() {
    const HOSTILE_COLUMN: &str = "x<script>alert(1)</script>|y";
    const HOSTILE_SOURCE: &str = "<img src=x onerror=alert(2)> [l](javascript:alert(3)) *e* `c` | @everyone www.x.io";
    const HOSTILE_NOTE: &str = "</td><script>alert(4)</script>|![i](http://x/i.png)";
    let dir = Scratch::new("cap-claims-hostile");
    let write = |name: &str, column: &str, source: &str, note: &str| {
        let file = dir.join(name);
        let text = format!(
            "source: {}\ndate: 2026-05-01\ncolumns:\n  {}:\n    room-qrcode: {}\n    get-announcement: ❌\n",
            serde_json::to_string(source).unwrap(),
            serde_json::to_string(column).unwrap(),
            serde_json::to_string(&format!("✅ ({note})")).unwrap(),
        );
        std::fs::write(&file, text).unwrap();
        path(&file)
    };
    let hostile = write("hostile.yaml", HOSTILE_COLUMN, HOSTILE_SOURCE, HOSTILE_NOTE);
    let benign = write("benign.yaml", "acme", "the acme docs", "quietly");
    let fault = Fault::RoomQrUnimplemented.name();
    let runs: Vec<Ran> = [("cap-hostile", &hostile), ("cap-benign", &benign)]
        .into_iter()
        .map(|(name, claims)| {
            let ran = probe(name, &["--mock-fault", &fault, "--claims", claims]);
            ran.code(0);
            ran
        })
        .collect();
    // A hostile note as a provider could send it (an unsupported rpc's status message), in both reports alike.
    let noted: Vec<String> = runs
        .iter()
        .zip([HOSTILE_NOTE, "a quiet note"])
        .map(|(ran, note)| {
            let mut report = ran.report();
            for check in &mut report.checks {
                if let Some(capability) = check.capability.as_mut().filter(|row| row.outcome == Outcome::Unsupported) {
                    capability.note = Some(note.to_owned());
                }
            }
            let file = ran.dir().join("noted.json");
            std::fs::write(&file, serde_json::to_string(&report).unwrap()).unwrap();
            path(&file)
        })
        .collect();
    let outputs = |ran: &Ran, noted: &str| -> Vec<(&'static str, String)> {
        let read = |name: &str| std::fs::read_to_string(ran.dir().join(name)).unwrap();
        vec![
            ("summary.md", read("summary.md")),
            ("matrix markdown", matrix(&["--capabilities-only", &format!("p={noted}")])),
            ("matrix full markdown", matrix(&[&format!("p={noted}")])),
            ("matrix html", matrix(&[&format!("p={noted}"), "--format", "html"])),
            ("matrix json", matrix(&[&format!("p={noted}"), "--format", "json"])),
            ("report markdown", {
                let ran = Cli::new().args(["report", noted, "--format", "markdown"]).run();
                ran.stdout.clone()
            }),
            ("report.html", read("report.html")),
            ("checklist", read_checklist(ran)),
        ]
    };
    let hostile_outputs = outputs(&runs[0], &noted[0]);
    let benign_outputs = outputs(&runs[1], &noted[1]);
    for ((what, hostile), (_, benign)) in hostile_outputs.iter().zip(&benign_outputs) {
        match *what {
            "summary.md" | "matrix markdown" | "matrix full markdown" | "report markdown" => {
                let (a, b) = (markdown_markup(hostile).unwrap(), markdown_markup(benign).unwrap());
                same_markup(what, &a, &b).unwrap();
            }
            "matrix html" => {
                let (a, b) = (html_markup(hostile).unwrap(), html_markup(benign).unwrap());
                same_markup(what, &a, &b).unwrap();
            }
            "report.html" => {
                // Its timeline differs run to run: its tags must be its own, none a peer's.
                let tags = html_markup(hostile).unwrap();
                assert!(!tags.iter().any(|tag| tag.starts_with("<script") || tag.starts_with("<img")), "{tags:?}");
            }
            "matrix json" => json(hostile).unwrap(),
            _ => crate::support::inert::terminal(hostile, false).unwrap(),
        }
        // JSON keeps the string as it is (a reader escapes it for its own output), as report.json does; a terminal
        // has no markup.
        if !matches!(*what, "matrix json" | "checklist") {
            assert!(!hostile.contains("<script>alert"), "{what} holds a raw script");
        }
    }
    // The hostile strings did reach the outputs (escaped): the test tested something.
    let json_text = &hostile_outputs.iter().find(|(what, _)| *what == "matrix json").unwrap().1;
    let value: serde_json::Value = serde_json::from_str(json_text).unwrap();
    assert_eq!(value["capabilities"]["claims"][0]["column"], HOSTILE_COLUMN);
    assert!(value["capabilities"]["notes"].as_array().unwrap().iter().any(|note| note == HOSTILE_NOTE));
}

/// The checklist the run printed.
fn read_checklist(ran: &Ran) -> String {
    ran.stdout.clone()
}

/// `docs/capabilities/mock.md` is what the binary generates from the built-in mock; regenerate it with the commands
/// its first lines give.
#[test]
fn the_example_table_in_the_docs_is_generated_from_the_mock() {
    let ran = probe("cap-docs-example", &PEERS);
    ran.code(0);
    let generated = matrix(&["--capabilities-only", &format!("mock={}", path(ran.dir()))]);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/capabilities/mock.md");
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    let start = committed.find("## Capabilities").unwrap_or(committed.len());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&file, format!("{}{generated}", &committed[..start])).unwrap();
        return;
    }
    assert_eq!(
        &committed[start..],
        generated,
        "docs/capabilities/mock.md is not what the binary generates; regenerate it: UPDATE_DOCS=1 cargo test --test it \
         capability_matrix::the_example_table"
    );
}
