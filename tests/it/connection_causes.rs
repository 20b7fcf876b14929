//! Connection causes told apart, on the real binary (`run` and `doctor`):
//! TLS against a plaintext service and the reverse (one probe the other way,
//! the run still fails), and every way discovery can fail — each with its own
//! words and the flag or variable that fixes it. Loopback only; every case
//! is bounded by the CLI's own deadline.

use std::time::Duration;

use puppet_lint::exit;
use puppet_lint::mock::{MockOptions, MockServer};

use crate::support::{self, Cli, Scratch, free_port};

const TOKEN: &str = "insecure_c0nn-causes-0123456789";

async fn mock(tls: bool) -> MockServer {
    MockServer::start(MockOptions {
        tls,
        token: TOKEN.into(),
        heartbeat_interval: Duration::from_millis(200),
        ..MockOptions::default()
    })
    .await
    .expect("mock starts")
}

fn quick(cli: Cli) -> Cli {
    cli.deadline(Duration::from_secs(30))
}

/// "At once" is told from "at the connect deadline" with room to spare: the
/// deadline is a minute, at once is well under half of it.
const CONNECT_TIMEOUT: &str = "60s";
const AT_ONCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_client_against_a_plaintext_service_is_told_to_turn_tls_off() {
    let mock = mock(false).await;
    let endpoint = mock.address.to_string();
    let doctor = quick(Cli::new().args(["doctor", "--endpoint", &endpoint, "--token", TOKEN])).run_async().await;
    doctor
        .code(exit::UNREACHABLE)
        .stdout_has("✗ tls")
        .stdout_has("the service speaks plaintext HTTP/2, without TLS")
        .stdout_has("--no-tls (or WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true)")
        .never_shows(TOKEN);
    let run = quick(Cli::new().args(["--endpoint", &endpoint, "--token", TOKEN, "--no-report"])).run_async().await;
    // Never a silent fallback: the run fails, and says why.
    run.code(exit::UNREACHABLE).stdout_has("speaks plaintext HTTP/2").stdout_has("--no-tls").never_shows(TOKEN);
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plaintext_client_against_a_tls_service_is_told_to_turn_tls_on() {
    let mock = mock(true).await;
    let endpoint = mock.address.to_string();
    let doctor =
        quick(Cli::new().args(["doctor", "--endpoint", &endpoint, "--token", TOKEN, "--no-tls"])).run_async().await;
    doctor
        .code(exit::UNREACHABLE)
        .stdout_has("✗ tls")
        .stdout_has("speaks TLS, and puppet-lint connected without it")
        .stdout_has("drop --no-tls and unset WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT")
        .never_shows(TOKEN);
    // The SDK's variable, as a user switching from it sets it.
    let run = quick(Cli::new().args(["--endpoint", &endpoint, "--token", TOKEN, "--no-report"]))
        .env("WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT", "true")
        .run_async()
        .await;
    run.code(exit::UNREACHABLE).stdout_has("speaks TLS").stdout_has("drop --no-tls").never_shows(TOKEN);
    mock.shutdown().await;
}

/// The right settings on both sides still connect (the probes only name a
/// cause after a failure).
#[tokio::test(flavor = "multi_thread")]
async fn matching_settings_connect_in_both_modes() {
    let plain = mock(false).await;
    let endpoint = plain.address.to_string();
    let ran =
        quick(Cli::new().args(["doctor", "--endpoint", &endpoint, "--token", TOKEN, "--no-tls"])).run_async().await;
    ran.code(exit::OK).stdout_has("✓ login");
    plain.shutdown().await;

    let tls = mock(true).await;
    let dir = Scratch::new("causes-ca");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &tls.tls.as_ref().unwrap().ca_pem).unwrap();
    let endpoint = tls.address.to_string();
    let ran = quick(Cli::new().args(["doctor", "--endpoint", &endpoint, "--token", TOKEN, "--tls-ca-cert"]))
        .args([ca.as_os_str()])
        .run_async()
        .await;
    ran.code(exit::OK).stdout_has("✓ tls").stdout_has("✓ login");
    tls.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_the_authority_does_not_know_names_the_authority_to_set() {
    let stub = support::http::serve(vec![(404, r#"{"host":"0.0.0.0","ip":"0.0.0.0","port":0}"#)]).await;
    let ran = quick(Cli::new().args(["doctor", "--token", TOKEN, "--no-tls", "--authority", &stub.authority]))
        .run_async()
        .await;
    ran.code(exit::UNREACHABLE)
        .stdout_has("✗ discovery")
        .stdout_has("is not registered at http://127.0.0.1:")
        .stdout_has("set --authority (or WECHATY_PUPPET_SERVICE_AUTHORITY)")
        .never_shows(TOKEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_authority_is_not_a_missing_token() {
    let authority = format!("http://127.0.0.1:{}", free_port());
    let ran = quick(Cli::new().args(["--token", TOKEN, "--no-tls", "--authority", &authority, "--no-report"]))
        .run_async()
        .await;
    ran.code(exit::UNREACHABLE).stdout_has("cannot reach the discovery service at").never_shows(TOKEN);
    assert!(!ran.stdout.contains("not registered"), "{}", ran.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_failing_to_the_authority_says_tls_and_how_to_write_a_plain_one() {
    let stub = support::http::serve(vec![(200, r#"{"host":"127.0.0.1","port":9}"#)]).await;
    // host:port means https: a plain HTTP service answers the ClientHello with text.
    let authority = stub.authority.trim_start_matches("http://").to_owned();
    let ran =
        quick(Cli::new().args(["doctor", "--token", TOKEN, "--no-tls", "--authority", &authority])).run_async().await;
    ran.code(exit::UNREACHABLE)
        .stdout_has("TLS with the discovery service at")
        .stdout_has("--authority http://HOST:PORT")
        .never_shows(TOKEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_tokens_say_what_is_wrong_and_ask_nobody() {
    let stub = support::http::serve(vec![(404, "{}")]).await;
    for (token, words) in [
        ("\"insecure_quoted-1\"", "wrapped in quotes"),
        ("insecure_spaced 1", "inner whitespace"),
        (" insecure_padded-1", "leading or trailing whitespace"),
        ("", "it is empty"),
    ] {
        // The same words and exit code whatever the command, the address and TLS: a usage error.
        for flags in [
            &["doctor", "--no-tls", "--authority", &stub.authority][..],
            &["--authority", &stub.authority, "--no-report"][..],
            &["--endpoint", "127.0.0.1:1", "--no-report"][..],
            &["--endpoint", "127.0.0.1:1", "--no-tls", "--no-report"][..],
        ] {
            let ran = quick(Cli::new().args(flags).args(["--token", token])).run_async().await;
            ran.code(exit::USAGE).stderr_has("is malformed").stderr_has(words).stderr_has("no quotes, no spaces");
        }
    }
    assert!(stub.requests.lock().unwrap().is_empty(), "a malformed token is never sent");
    // Under TLS, a token without `_` names no server.
    let ran = quick(Cli::new().args(["doctor", "--token", "nounderscoretoken", "--authority", &stub.authority]))
        .run_async()
        .await;
    ran.code(exit::USAGE).stderr_has("the token has no `_`").stderr_has("--tls-server-name").stderr_has("--no-tls");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_discovered_address_that_refuses_says_discovery_gave_it() {
    let answer = format!(r#"{{"host":"127.0.0.1","port":{}}}"#, free_port());
    let stub = support::http::serve(vec![(200, answer)]).await;
    let ran = quick(Cli::new().args(["doctor", "--token", TOKEN, "--no-tls", "--authority", &stub.authority]))
        .run_async()
        .await;
    ran.code(exit::UNREACHABLE)
        .stdout_has("✓ discovery")
        .stdout_has("✗ tcp")
        .stdout_has("the address the discovery service at http://127.0.0.1:")
        .stdout_has("gave for the token")
        .never_shows(TOKEN);
}

/// A port that accepts TCP and then says nothing (another program, a proxy
/// holding connections): the layer that got no answer is named — TLS or
/// HTTP/2 — not an rpc that "did not answer", nor a connection never made.
#[tokio::test(flavor = "multi_thread")]
async fn a_silent_port_is_named_as_tcp_without_an_answer() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = listener.local_addr().unwrap().to_string();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let flags = ["--endpoint", &endpoint, "--token", TOKEN, "--no-report", "--connect-timeout", "1s"];
    let tls = quick(Cli::new().args(flags)).run_async().await;
    tls.code(exit::UNREACHABLE)
        .stdout_has("but nothing answered the TLS handshake within 1.0s")
        .stdout_has("does not answer as a gRPC service")
        .never_shows(TOKEN);
    let plaintext = quick(Cli::new().args(flags).args(["--no-tls"])).run_async().await;
    plaintext
        .code(exit::UNREACHABLE)
        .stdout_has("but nothing answered in HTTP/2 (no SETTINGS frame from the server) within 1.0s")
        .never_shows(TOKEN);
    assert!(!plaintext.stdout.contains("did not answer"), "not blamed on an rpc:\n{}", plaintext.stdout);
    let doctor = ["doctor", "--endpoint", &endpoint, "--token", TOKEN, "--rpc-timeout", "1s"];
    let doctor = quick(Cli::new().args(doctor).args(["--no-tls"])).run_async().await;
    doctor.code(exit::UNREACHABLE).stdout_has("✓ tcp").stdout_has("✗ http/2").stdout_has("nothing answered in HTTP/2");
    holder.abort();
}

/// A port that accepts TCP and hangs up at once: told at once (not after the
/// connect deadline), as the peer closing in TLS or before HTTP/2.
#[tokio::test(flavor = "multi_thread")]
async fn a_port_that_hangs_up_at_once_is_told_at_once() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = listener.local_addr().unwrap().to_string();
    let closer = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    let flags = ["--endpoint", &endpoint, "--token", TOKEN, "--no-report", "--connect-timeout", CONNECT_TIMEOUT];
    let started = std::time::Instant::now();
    let tls = Cli::new().args(flags).run_async().await;
    tls.code(exit::UNREACHABLE).stdout_has("but the service closed the connection during the TLS handshake");
    let plaintext = Cli::new().args(flags).args(["--no-tls"]).run_async().await;
    plaintext.code(exit::UNREACHABLE).stdout_has("but the service closed the connection before any HTTP/2 frame");
    assert!(started.elapsed() < AT_ONCE, "told at once: {:?}", started.elapsed());
    closer.abort();
}

/// A port that answers in HTTP/1.1 (a web server) or with bytes that are no
/// HTTP/2 is named so, at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_port_that_answers_in_something_else_than_http2_is_named() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    for (answer, words) in [
        (&b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"[..], "but it answers in HTTP/1.1, not HTTP/2"),
        (&b"SSH-2.0-OpenSSH_9.6\r\n"[..], "but it answers with bytes that are not HTTP/2"),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut preface = [0u8; 24];
                let _ = socket.read(&mut preface).await;
                let _ = socket.write_all(answer).await;
                held.push(socket);
            }
        });
        let started = std::time::Instant::now();
        let ran = Cli::new()
            .args(["--endpoint", &endpoint, "--token", TOKEN, "--no-tls", "--no-report"])
            .args(["--connect-timeout", CONNECT_TIMEOUT])
            .run_async()
            .await;
        ran.code(exit::UNREACHABLE).stdout_has(words).stdout_has("check the port");
        assert!(started.elapsed() < AT_ONCE, "told at once: {:?}", started.elapsed());
        server.abort();
    }
}
