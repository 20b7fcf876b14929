//! `puppet-lint mock`, as a provider developer runs it.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::Cli;
use puppet_lint::exit;

/// Starts `puppet-lint mock` and returns it with the address it printed.
fn start(args: &[&str]) -> (std::process::Child, String, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_puppet-lint"))
        .args(["mock", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let address = loop {
        let line = lines.next().expect("the mock says where it listens").unwrap();
        seen.push(line.clone());
        if let Some(address) = line.strip_prefix("puppet-lint mock listening on ") {
            break address.to_owned();
        }
    };
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("Ctrl-C");
        seen.push(line);
        if done {
            break;
        }
    }
    (child, address, seen)
}

fn stop(mut child: std::process::Child) {
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(10), "the mock stops on Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    }
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
        .stdout_has("all good");
    stop(child);
}

#[test]
fn the_mock_serves_tls_with_a_v1_certificate_its_ca_file_verifies() {
    let dir = support::scratch("mock-tls");
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
    stop(child);
}

#[test]
fn faults_are_announced_with_what_they_break() {
    let (child, _, printed) = start(&["--fault", "no-dong", "--fault", "no-ready"]);
    assert!(printed.contains(&"fault no-dong: `Ding` is answered but no `dong` follows".to_owned()), "{printed:?}");
    assert!(printed.iter().any(|line| line.starts_with("fault no-ready:")), "{printed:?}");
    stop(child);
}
