//! Against real peers: puppet-lint against the official Node server
//! (`wechaty-puppet-service` 1.19.9 serving `wechaty-puppet-mock` 1.19.4), and
//! the official Node stubs against puppet-lint's mock.

use std::time::Duration;

use puppet_lint::config::{Address, Endpoint, Target, TlsTarget, TrustSource};
use puppet_lint::events::Verdict;
use puppet_lint::exit;
use puppet_lint::mock::{MockOptions, MockServer};

use crate::support::node::{self, NodeServer};
use crate::support::{self, Cli, Engine, Scratch, fresh_token};

#[test]
fn doctor_passes_against_the_official_server_with_its_default_v1_certificate() {
    let Some(()) = node::available() else { return };
    let server = NodeServer::start(&fresh_token(), true, &[]);
    let ran = Cli::new().args(["doctor", "--endpoint", &server.endpoint(), "--token", &server.token]).run();
    ran.code(exit::OK)
        .stdout_has("✓ tls")
        .stdout_has("server name \"insecure\"")
        .stdout_has("CN=wechaty-root-ca")
        .stdout_has("X.509 v1")
        .stdout_has("✓ login")
        .never_shows(&server.token);
}

#[test]
fn doctor_passes_against_the_official_server_without_tls() {
    let Some(()) = node::available() else { return };
    let server = NodeServer::start(&fresh_token(), false, &[]);
    let ran = Cli::new().args(["doctor", "--endpoint", &server.endpoint(), "--no-tls", "--token", &server.token]).run();
    ran.code(exit::OK).stdout_has("tls           off").stdout_has("✓ login");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_passes_through_a_local_discovery_service() {
    let Some(()) = node::available() else { return };
    let server = NodeServer::start(&fresh_token(), true, &[]);
    let answer = format!(r#"{{"host":"127.0.0.1","port":{}}}"#, server.port);
    let discovery = support::http::serve(vec![(200, answer)]).await;
    let ran =
        Cli::new().args(["doctor", "--token", &server.token, "--authority", &discovery.authority]).run_async().await;
    ran.code(exit::OK).stdout_has("✓ discovery").stdout_has("✓ tls").stdout_has("✓ login").never_shows(&server.token);
    let requested = discovery.requests.lock().unwrap().clone();
    assert_eq!(requested, [format!("/v0/hosties/{}", server.token)]);
}

#[test]
fn a_wrong_token_is_unauthenticated_exits_3_and_is_never_shown() {
    let Some(()) = node::available() else { return };
    let server = NodeServer::start(&fresh_token(), true, &[]);
    let wrong = fresh_token();
    let ran = Cli::new().args(["doctor", "--endpoint", &server.endpoint(), "--token", &wrong]).run();
    ran.code(exit::UNREACHABLE).stdout_has("UNAUTHENTICATED").never_shows(&wrong).never_shows(&server.token);
    let run = Cli::new().args(["--endpoint", &server.endpoint(), "--token", &wrong, "--no-report"]).run();
    run.code(exit::UNREACHABLE).stdout_has("UNAUTHENTICATED").never_shows(&wrong);
}

#[test]
fn the_official_certificate_is_refused_for_another_server_name() {
    let Some(()) = node::available() else { return };
    let server = NodeServer::start(&fresh_token(), true, &[]);
    let ran = Cli::new()
        .args([
            "doctor",
            "--endpoint",
            &server.endpoint(),
            "--token",
            &server.token,
            "--tls-server-name",
            "puppet_padlocal",
        ])
        .run();
    ran.code(exit::UNREACHABLE)
        .stdout_has("✗ tls")
        .stdout_has("the certificate is for CN \"insecure\", not \"puppet_padlocal\"")
        .stdout_has("--tls-server-name");
}

/// The stock configuration (stock mock: no `ready`, no periodic heartbeat):
/// the verdicts are the facts measured on the official server.
/// `filebox.stream-name` (a should) warns there for a reason of the stock puppet behind
/// the server, not of the server: `MessageSendFileStream` hands the puppet a
/// stream FileBox, and `wechaty-puppet-mock`'s `ContactMock.say()` calls
/// `toJSON()` on it, which file-box refuses for stream boxes ("FileBox.toJSON()
/// can only work on limited FileBoxType(s)", huan/file-box#25): the rpc answers
/// UNKNOWN. `message.echo-attachment-type` (a should) warns for a reason of the
/// stock puppet too: `ContactMock.say()` types a file by its MIME type and lists
/// none for documents (its `.pdf` case is reached only for a FileBox without a
/// MIME type, and file-box always derives one from the name), so a PDF's echo is
/// Unknown (0). `auth.authority-token` skips under TLS (it is a plaintext rule;
/// see the plaintext test below).
#[tokio::test(flavor = "multi_thread")]
async fn the_stock_official_server_gets_the_verdicts_its_behaviour_earns() {
    let Some(()) = node::available() else { return };
    let verdicts = official_verdicts(&[]).await;
    support::snapshot!("the_stock_official_server_gets_the_verdicts_its_behaviour_earns", verdicts);
}

/// The juzi fork's server (`@juzi/wechaty-puppet-service`, the fork's own
/// wechaty-grpc, `CurrentUser` answered) serving the same stock mock earns the
/// same verdicts. `filebox.stream-name` warns there for another reason: the
/// fork's server has no `MessageSendFileStream` at all (12 UNIMPLEMENTED).
#[tokio::test(flavor = "multi_thread")]
async fn the_juzi_fork_server_gets_the_verdicts_its_behaviour_earns() {
    let Some(()) = node::available() else { return };
    let verdicts = official_verdicts(&["--fork", "juzi"]).await;
    support::snapshot!("the_juzi_fork_server_gets_the_verdicts_its_behaviour_earns", verdicts);
}

/// A default run (destructive checks included) against the fixture's server started with `extra`, each check's
/// verdict on a line.
async fn official_verdicts(extra: &[&str]) -> String {
    let server = NodeServer::start(&fresh_token(), true, extra);
    let target = Target {
        address: Address::Endpoint(Endpoint { host: "127.0.0.1".into(), port: server.port }),
        token: Some(server.token.clone()),
        tls: Some(TlsTarget { server_name: "insecure".into(), trust: TrustSource::Embedded }),
    };
    // A 2 s window: the stock mock answers a Ding a second later, and a 1 s window would judge its silence by a
    // few milliseconds either way.
    let report = Engine::against(target).window(Duration::from_secs(2)).run().await;
    report.checks.iter().map(|check| format!("{:<28} {}\n", check.id, check.verdict.name())).collect()
}

/// Without TLS the official server takes the token from the HTTP/2
/// `:authority` (all its own client sends): the check passes there.
#[test]
fn the_official_server_takes_the_token_from_the_authority_without_tls() {
    let Some(()) = node::available() else { return };
    let server = NodeServer::start(&fresh_token(), false, &[]);
    let ran = Cli::new()
        .args(["--endpoint", &server.endpoint(), "--no-tls", "--token", &server.token])
        .args(["--heartbeat-window", "1s", "--only", "auth.*", "--no-report"])
        .run();
    ran.code(exit::OK)
        .row("auth.authority-token", "pass")
        .row("auth.rejects-invalid-token", "pass")
        .never_shows(&server.token);
}

/// The official Node stubs drive puppet-lint's mock through the whole
/// protocol, plaintext and TLS (its v1 certificate, like the official one).
#[tokio::test(flavor = "multi_thread")]
async fn the_official_node_stubs_talk_to_the_mock() {
    let Some(()) = node::available() else { return };
    for tls in [false, true] {
        let mock = MockServer::start(MockOptions {
            heartbeat_interval: Duration::from_millis(300),
            tls,
            token: fresh_token(),
            ..MockOptions::default()
        })
        .await
        .unwrap();
        let endpoint = mock.address.to_string();
        let mut args = vec!["--endpoint".to_owned(), endpoint, "--token".into(), mock.token.clone()];
        args.extend(["--expect-ready".into(), "--expect-heartbeat".into()]);
        let dir = Scratch::new("mock-ca");
        let ca_file = dir.join("ca.pem");
        match &mock.tls {
            Some(tls) => {
                std::fs::write(&ca_file, &tls.ca_pem).unwrap();
                args.extend([
                    "--tls-ca-file".into(),
                    ca_file.display().to_string(),
                    "--server-name".into(),
                    tls.server_name.clone(),
                ]);
            }
            None => args.push("--no-tls".into()),
        }
        let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            node::script("grpc-client.mjs", &args)
        })
        .await
        .unwrap();
        assert_eq!(code, 0, "tls={tls}\n{stdout}\n{stderr}");
        let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON summary");
        let text = summary.to_string();
        for step in ["scan", "login", "ready", "heartbeat", "dong", "talker", "file"] {
            assert!(text.contains(step), "tls={tls}: the summary covers {step}: {text}");
        }
        mock.shutdown().await;
    }
}

/// The embedded root CA is the one the official package bundles.
#[test]
fn the_embedded_root_ca_is_the_one_the_official_package_bundles() {
    let Some(()) = node::available() else { return };
    let (code, pem, _) = node::script("ca.mjs", &[]);
    assert_eq!(code, 0);
    let ours = puppet_lint::target::tls::Trust::wechaty_root();
    let theirs = puppet_lint::target::tls::Trust::from_pem(&pem, "the official package").unwrap();
    assert_eq!(ours.certificates, theirs.certificates);
}

/// wechaty 1.x's own IoClient registers with puppet-lint's registry; the
/// token then resolves to its gRPC port, and a run by token reaches it.
#[tokio::test(flavor = "multi_thread")]
async fn wechaty_io_client_registers_with_the_registry_and_its_token_resolves() {
    let Some(()) = node::registration_available() else { return };
    let registry = puppet_lint::registry::Registry::start(Default::default()).await.unwrap();
    let token = fresh_token();
    let address = registry.address().to_string();
    let provider = {
        let (token, address) = (token.clone(), address.clone());
        tokio::task::spawn_blocking(move || node::Provider::start(&token, &address, &[])).await.unwrap()
    };
    let discovered = Cli::new().args(["discover", &token, "--authority", &registry.url()]).run_async().await;
    discovered.code(exit::OK).never_shows(&token);
    assert_eq!(discovered.stdout.trim(), format!("127.0.0.1:{}", provider.grpc_port));

    let ran = Cli::new()
        .args([
            "--token",
            &token,
            "--authority",
            &registry.url(),
            "--no-tls",
            "--heartbeat-window",
            "1s",
            "--only",
            "discovery.*",
            "--only",
            "events.login-before-ready",
            "--no-report",
        ])
        .run_async()
        .await;
    ran.code(exit::OK).row("discovery.resolves", "pass").row("events.login-before-ready", "pass").never_shows(&token);
    registry.stop();
    drop(provider);
}

/// `--registry`: puppet-lint is the service the provider registers with, and
/// checks that the port it names is its real gRPC port — or not.
#[tokio::test(flavor = "multi_thread")]
async fn the_registration_check_passes_for_the_real_port_and_fails_for_a_wrong_one() {
    let Some(()) = node::registration_available() else { return };
    for wrong_port in [None, Some("9")] {
        let token = fresh_token();
        let listen = support::free_address();
        let run = Cli::new()
            .args([
                "--token",
                &token,
                "--registry",
                &listen,
                "--no-tls",
                "--heartbeat-window",
                "1s",
                "--login-timeout",
                "30s",
            ])
            .args(["--only", "registration.*", "--only", "discovery.resolves", "--no-report"])
            .deadline(Duration::from_secs(90))
            .spawn();
        // The provider needs the registry up before its first connect.
        support::wait_for_listener(&listen);
        let extra: Vec<&str> = wrong_port.map(|port| vec!["--answer-port", port]).unwrap_or_default();
        let provider = {
            let (token, listen, extra) =
                (token.clone(), listen.clone(), extra.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            tokio::task::spawn_blocking(move || {
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                node::Provider::start(&token, &listen, &extra)
            })
            .await
            .unwrap()
        };
        let ran = tokio::task::spawn_blocking(move || run.finish()).await.unwrap();
        match wrong_port {
            None => {
                ran.code(exit::OK).row("registration.hostie-grpc-port", "pass").never_shows(&token);
            }
            Some(port) => {
                ran.code(exit::UNREACHABLE)
                    .stdout_has("✗ fail registration.hostie-grpc-port")
                    .stdout_has(&format!("getHostieGrpcPort answered {port}"))
                    .never_shows(&token);
            }
        }
        drop(provider);
    }
}

/// The event stream lives as long as the run, whatever `--rpc-timeout` says:
/// grpc-js enforces a `grpc-timeout` on streams too, so the subscription
/// must not carry one (else the official server ends it, and a slow login is
/// lost).
#[test]
fn the_event_stream_outlives_the_rpc_timeout_on_the_official_server() {
    let Some(()) = node::available() else { return };
    let server = NodeServer::start(&fresh_token(), false, &["--login-delay", "2500"]);
    let ran = Cli::new()
        .args(["--endpoint", &server.endpoint(), "--no-tls", "--token", &server.token, "--rpc-timeout", "1s"])
        .args([
            "--login-timeout",
            "15s",
            "--heartbeat-window",
            "1s",
            "--only",
            "events.login-before-ready",
            "--no-report",
        ])
        .run();
    ran.code(exit::OK).row("events.login-before-ready", "pass");
}

/// The official Wechaty client (`PuppetService`, configured only by the
/// `WECHATY_PUPPET_SERVICE_*` variables) uses `puppet-lint mock` as it would
/// a real provider: start, login, a text and two files (a small one through
/// the deprecated `MessageSendFileStream`, a 40 KB one through `Upload`) sent
/// and read back, stop — plaintext (the token only as `:authority`) and TLS.
#[test]
fn the_official_client_uses_the_mock_plaintext_and_tls() {
    let Some(()) = node::available() else { return };
    for tls in [false, true] {
        let token = fresh_token();
        let listen = support::free_address();
        let dir = Scratch::new("official-client");
        let ca_file = dir.join("ca.pem");
        let mut args = vec!["mock", "--listen", &listen, "--token", &token, "--heartbeat-interval", "1s"];
        let ca_path = ca_file.display().to_string();
        if tls {
            args.extend(["--tls", "--tls-ca-out", &ca_path]);
        }
        let mock = Cli::new().args(&args).spawn();
        support::wait_for_listener(&listen);
        if tls {
            support::wait_until("the mock writes its CA", support::PATIENCE, || ca_file.exists());
        }
        let mut client = std::process::Command::new("node");
        client
            .arg("official-client.mjs")
            .current_dir(node::fixture_dir())
            .env_remove("WECHATY_LOG")
            .env("WECHATY_PUPPET_SERVICE_TOKEN", &token)
            .env("WECHATY_PUPPET_SERVICE_ENDPOINT", &listen);
        for variable in ["WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT", "WECHATY_PUPPET_SERVICE_TLS_CA_CERT"] {
            client.env_remove(variable);
        }
        if tls {
            client.env("WECHATY_PUPPET_SERVICE_TLS_CA_CERT", std::fs::read_to_string(&ca_file).unwrap());
        } else {
            client.env("WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT", "true");
        }
        let output = client.stdin(std::process::Stdio::null()).output().expect("node runs");
        drop(mock);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stdout.lines().last().unwrap_or_default();
        let summary: serde_json::Value =
            serde_json::from_str(last).unwrap_or_else(|_| panic!("tls={tls}: one JSON summary\n{stdout}\n{stderr}"));
        for step in ["start", "login", "text", "small-file", "large-file", "stop"] {
            assert_eq!(summary["steps"][step]["ok"], true, "tls={tls}: step {step}: {summary}\n{stderr}");
        }
        assert_eq!(summary["steps"]["large-file"]["size"], 40 * 1024, "tls={tls}: {summary}");
        assert_eq!(output.status.code(), Some(0), "tls={tls}: {summary}\n{stderr}");
    }
}

/// A burst of 20,000 texts from the official server (grpc-js sends each event as its own small DATA frame) while the
/// checks keep puppet-lint busy: h2 holds the frames read late within its small-frame budget, flow control slows the
/// server down, and the event stream stays open — with 2 MiB for the connection, h2 ended it on a busy machine.
#[test]
fn a_burst_of_small_events_from_the_official_server_keeps_the_stream_open() {
    let Some(()) = node::available() else { return };
    let server = NodeServer::start(&fresh_token(), false, &["--burst", "20000"]);
    let ran = Cli::new()
        .args(["--endpoint", &server.endpoint(), "--no-tls", "--token", &server.token])
        .args(["--heartbeat-window", "4s", "--skip", "filebox.*", "--quiet"])
        .reports("official-burst")
        .run();
    let report = ran.report();
    let check = report.checks.iter().find(|check| check.id == "events.stream-stays-open").expect("the stream rule");
    assert_eq!(check.verdict, Verdict::Pass, "{:?}", check.reason);
    let messages = report.events.get("message").copied().unwrap_or_default();
    assert!(messages > 1000, "the burst reached puppet-lint: {messages} message(s)");
}

/// The capability cells of the official server serving the stock `wechaty-puppet-mock`, and of the juzi fork's
/// server serving the same mock, each cell as the mock's code predicts (CAPABILITIES.md; issue 21 point 8):
/// - text, picture and video sent to the bot echo typed as sent (supported); a PDF echoes Unknown, because the
///   mock types a file by its MIME type and lists none for documents (pictures-and-files partial); a GIF and an
///   MP3 echo Unknown likewise (broken: the type contradicts what was sent); a file echo carries no text and no
///   `filename`, and is known by the name of its FileBox.
/// - contact card, link, mini program, location and every forward are accepted (OK) and do nothing: no echo
///   (broken), and forwards of the kinds that never echoed are untested (their source could not be made);
///   `MessageRecall` answers false (broken).
/// - rooms, members, contacts read back (supported); the room's QR code is the mock's placeholder text (partial:
///   not a QR payload); the mock has no tags (partial).
/// - rows that need a person, a peer or `--allow-destructive` are untested, with why.
#[tokio::test(flavor = "multi_thread")]
async fn the_official_server_gets_the_capability_cells_its_code_predicts() {
    let Some(()) = node::available() else { return };
    for fork in [&[][..], &["--fork", "juzi"][..]] {
        let server = NodeServer::start(&fresh_token(), false, fork);
        let endpoint = format!("127.0.0.1:{}", server.port);
        let ran = Cli::new()
            .args(["--endpoint", &endpoint, "--no-tls", "--token", &server.token, "--heartbeat-window", "3s"])
            .args(["--only", "capability.*"])
            .reports("official-capabilities")
            .run_async()
            .await;
        let cells: String = ran
            .report()
            .checks
            .iter()
            .filter_map(|check| check.capability.as_ref())
            .map(|capability| format!("{:<22} {}\n", capability.key, capability.outcome))
            .collect();
        let name = if fork.is_empty() { "upstream" } else { "juzi" };
        support::snapshot!(format!("official_capability_cells_{name}"), cells);
    }
}
