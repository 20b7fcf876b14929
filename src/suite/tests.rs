use super::*;

#[test]
fn the_builtin_suite_loads_with_every_required_check() {
    let suite = builtin().unwrap_or_else(|errors| panic!("{errors}"));
    let ids: Vec<&str> = suite.checks.iter().map(|check| check.id.as_str()).collect();
    for required in [
        "events.login-before-ready",
        "events.ready",
        "events.ready-once",
        "events.self-contact",
        "message.self-echo",
        "filebox.mime-extension",
        "heartbeat.interval",
        "heartbeat.ding-dong",
        "auth.rejects-invalid-token",
        "session.restore",
        "logout.cleanup",
    ] {
        assert!(ids.contains(&required), "{required} missing from {ids:?}");
    }
    let destructive: Vec<&str> =
        suite.checks.iter().filter(|check| check.destructive).map(|check| check.id.as_str()).collect();
    assert_eq!(destructive, ["session.restore", "logout.cleanup"]);
    assert_eq!(suite.default_timeout, Duration::from_secs(60));
    assert_eq!(suite.levels.len(), 2);
}

#[test]
fn the_schema_describes_every_action() {
    let schema = json_schema().to_string();
    for action in ["send_text", "wait_for", "max_gap", "for_each", "expect_none", "check_received_files"] {
        assert!(schema.contains(action), "{action}");
    }
}

/// The file steps hash their bytes only where the check reads the md5: a 5 MiB file nobody compares is counted, not
/// hashed (the built-in suite: `filebox.large-roundtrip` compares, `filebox.big-file-by-uuid` only counts).
#[test]
fn files_are_hashed_only_where_their_md5_is_read() {
    fn hashing(check: &Check) -> Vec<(&'static str, bool)> {
        fn walk(steps: &[Step], out: &mut Vec<(&'static str, bool)>) {
            for step in steps {
                match &step.action {
                    Action::Files(FilesAction::SendFile { hashed, .. }) => out.push(("send", *hashed)),
                    Action::Files(FilesAction::DownloadFile { hashed, .. }) => out.push(("download", *hashed)),
                    Action::ForEach { steps, .. } => walk(steps, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&check.steps, &mut out);
        out
    }
    let suite = builtin().unwrap_or_else(|errors| panic!("{errors}"));
    let check = |id: &str| suite.checks.iter().find(|check| check.id == id).unwrap_or_else(|| panic!("{id}"));
    assert_eq!(hashing(check("filebox.large-roundtrip")), [("send", true), ("download", true)]);
    assert_eq!(hashing(check("filebox.big-file-by-uuid")), [("send", false), ("download", false)]);

    // Read in a later step's text, inside a loop, or by an assert: hashed; a download given `md5:` always hashes.
    let yaml = r#"
format: 1
suite: t
version: 1.0.0
title: t
checks:
  - id: t.read-later
    title: t
    level: must
    requirement: t
    steps:
      - for_each:
          values: [a, b]
          as: x
          steps:
            - send_file: { to: "${bot}", mime: image/png, capture: sent }
            - assert: { that: "${sent.md5}", equals: "x", message: "m" }
      - send_file: { to: "${bot}", mime: image/png, capture: other }
      - download_file: { id: "${other.id}", capture: got }
      - download_file: { id: "${other.id}", md5: "0", capture: compared }
      - send_text: { to: "${bot}", text: "${got.md5}" }
"#;
    let suite = parse(yaml, "t.yaml").unwrap_or_else(|errors| panic!("{errors}"));
    assert_eq!(hashing(&suite.checks[0]), [("send", true), ("send", false), ("download", true), ("download", true)]);
}
