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
