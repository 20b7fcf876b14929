//! `puppet-lint mock`, as a provider developer runs it.

use std::time::Duration;

use puppet_lint::exit;

use crate::support::{Cli, Running, Scratch};

/// Starts `puppet-lint mock`, and returns it with the address it printed and
/// what it printed up to its Ctrl-C line.
fn start(args: &[&str]) -> (Running, String, Vec<String>) {
    let mock =
        Cli::new().args(["mock", "--listen", "127.0.0.1:0"]).args(args).deadline(Duration::from_secs(60)).spawn();
    let printed: Vec<String> = mock.wait_for_stdout("\nCtrl-C").lines().map(str::to_owned).collect();
    let address = printed
        .iter()
        .find_map(|line| line.strip_prefix("puppet-lint mock listening on "))
        .expect("the mock says where it listens")
        .to_owned();
    let printed = printed.into_iter().take_while(|line| !line.starts_with("Ctrl-C")).collect();
    (mock, address, printed)
}

/// Ctrl-C stops it (before its deadline).
fn stop(mock: Running) {
    mock.signal("INT");
    mock.finish();
}

#[test]
fn the_mock_serves_until_ctrl_c_and_doctor_finds_it_healthy() {
    let (child, address, printed) = start(&[]);
    assert!(printed.iter().any(|line| line == "conformant (no faults)"), "{printed:?}");
    let token = puppet_lint::mock::DEFAULT_TOKEN;
    assert!(printed.iter().all(|line| !line.contains(token)), "the token is masked even for the mock: {printed:?}");
    Cli::new()
        .args(["doctor", "--endpoint", &address, "--no-tls", "--token", token])
        .run()
        .code(exit::OK)
        .stdout_has("all good")
        .stdout_has("- tls           off (--no-tls)");
    stop(child);
}

#[test]
fn the_mock_serves_tls_with_a_v1_certificate_its_ca_file_verifies() {
    let dir = Scratch::new("mock-tls");
    let ca = dir.join("ca.pem");
    let (child, address, printed) = start(&["--tls", "--tls-ca-out", ca.to_str().unwrap()]);
    assert!(printed.iter().any(|line| line.contains("TLS on: certificate for \"insecure\"")), "{printed:?}");
    let ran = Cli::new()
        .args([
            "doctor",
            "--endpoint",
            &address,
            "--token",
            puppet_lint::mock::DEFAULT_TOKEN,
            "--tls-ca-cert",
            ca.to_str().unwrap(),
        ])
        .run();
    ran.code(exit::OK).stdout_has("X.509 v1").stdout_has("issuer CN=puppet-lint mock CA");
    // Without its CA, the built-in Wechaty root refuses it.
    let refused =
        Cli::new().args(["doctor", "--endpoint", &address, "--token", puppet_lint::mock::DEFAULT_TOKEN]).run();
    refused.code(exit::UNREACHABLE).stdout_has("not a trusted CA").stdout_has("--tls-ca-cert");
    // With --no-tls, one `tls` line: the failure (it speaks TLS), not also "off".
    let plain = Cli::new()
        .args(["doctor", "--endpoint", &address, "--no-tls", "--token", puppet_lint::mock::DEFAULT_TOKEN])
        .run();
    plain.code(exit::UNREACHABLE).stdout_has("speaks TLS");
    let tls_lines: Vec<&str> =
        plain.stdout.lines().filter(|line| line.split_whitespace().nth(1) == Some("tls")).collect();
    assert_eq!(tls_lines.len(), 1, "{}", plain.stdout);
    assert!(tls_lines[0].starts_with('✗'), "{}", plain.stdout);
    stop(child);
}

#[test]
fn faults_are_announced_with_what_they_break() {
    let (child, _, printed) = start(&["--fault", "no-dong", "--fault", "no-ready"]);
    assert!(printed.contains(&"fault no-dong: `Ding` is answered but no `dong` follows".to_owned()), "{printed:?}");
    assert!(printed.iter().any(|line| line.starts_with("fault no-ready:")), "{printed:?}");
    stop(child);
}
