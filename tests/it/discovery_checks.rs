//! The discovery checks in a token run, against a local discovery service,
//! for every answer WIRE.md lists.

use puppet_lint::exit;

use crate::support::{self, Cli, Ran};

async fn run_by_token((status, body): (u16, String), token: &str) -> Ran {
    let discovery = support::http::serve(vec![(status, body)]).await;
    Cli::new()
        .args(["--token", token, "--authority", &discovery.authority, "--no-tls", "--heartbeat-window", "1s"])
        .args(["--only", "discovery.*", "--only", "events.ready", "--no-report"])
        .run_async()
        .await
}

/// The status travels in the body's first bytes here: `404 {...}`.
fn answer_status(answer: &str) -> u16 {
    answer.get(..3).and_then(|status| status.parse().ok()).unwrap_or(200)
}

#[tokio::test(flavor = "multi_thread")]
async fn host_and_port_pass_both_checks_and_reach_the_service() {
    let mock = support::mock(&[]).await;
    let body = format!(r#"{{"host":"127.0.0.1","port":{}}}"#, mock.address.port());
    let ran = run_by_token((200, body), &mock.token.clone()).await;
    ran.code(exit::OK)
        .row("discovery.resolves", "pass")
        .row("discovery.schema", "pass")
        .row("events.ready", "pass")
        .never_shows(&mock.token);
    // The public service's {host, ip, port} is fine too.
    let body = format!(r#"{{"host":"127.0.0.1","ip":"127.0.0.1","port":{}}}"#, mock.address.port());
    run_by_token((200, body), &mock.token.clone()).await.code(exit::OK).row("discovery.schema", "pass");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_with_unexpected_keys_warns_the_schema_check() {
    let mock = support::mock(&[]).await;
    let body = format!(r#"{{"host":"127.0.0.1","port":{},"region":"moon"}}"#, mock.address.port());
    let ran = run_by_token((200, body), &mock.token.clone()).await;
    ran.code(exit::OK).row("discovery.resolves", "pass").stdout_has("! warn discovery.schema");
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_not_registered_answer_fails_resolution_and_exits_3() {
    for body in [
        r#"404 {"host":"0.0.0.0","port":0}"#,
        r#"404 {"ip":"0.0.0.0","port":0}"#,
        r#"404 {"host":"0.0.0.0","ip":"0.0.0.0","port":0}"#,
        r#"{"host":"0.0.0.0","port":0}"#,
        r#"{"ip":"127.0.0.1","port":8788}"#,
        "not json",
    ] {
        let stripped = body.strip_prefix("404 ").unwrap_or(body).to_owned();
        let status = answer_status(body);
        let discovery = support::http::serve(vec![(status, stripped)]).await;
        let token = "insecure_d15c0-check-0123456789";
        let ran = Cli::new()
            .args([
                "--token",
                token,
                "--authority",
                &discovery.authority,
                "--no-tls",
                "--only",
                "discovery.*",
                "--no-report",
            ])
            .run_async()
            .await;
        ran.code(exit::UNREACHABLE)
            .stdout_has("✗ fail discovery.resolves")
            // The registry's own "not found", or an answer that is no address.
            .stdout_has(if status == 200 && !body.contains("\"port\":0") {
                "answered, but not with an address for token"
            } else {
                "is not registered at"
            })
            .stdout_has("! warn discovery.schema")
            .never_shows(token);
    }
}

/// A discovery service that redirects (here to a second loopback listener
/// that would answer the mock's address): the official client follows no
/// redirect, so `discovery.resolves` fails, naming the status, and the
/// listener it pointed at gets no request.
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_fails_resolution_and_is_not_followed() {
    let mock = support::mock(&[]).await;
    let body = format!(r#"{{"host":"127.0.0.1","port":{}}}"#, mock.address.port());
    let elsewhere = support::http::serve(vec![(200, Box::leak(body.into_boxed_str()) as &'static str)]).await;
    let secret = mock.token.rsplit('_').next().unwrap().to_owned();
    for status in [301, 302, 307] {
        let location = format!("{}/v0/hosties/{}", elsewhere.authority, mock.token);
        let redirecting = support::http::redirecting(status, location).await;
        let ran = Cli::new()
            .args(["--token", &mock.token, "--authority", &redirecting.authority, "--no-tls"])
            .args(["--only", "discovery.*", "--no-report"])
            .run_async()
            .await;
        ran.code(exit::UNREACHABLE)
            .stdout_has("✗ fail discovery.resolves")
            .stdout_has(&format!("answered HTTP {status}, a redirect to"))
            .never_shows(&secret);
    }
    assert!(elsewhere.requests.lock().unwrap().is_empty(), "a redirect target got a request");
    mock.shutdown().await;
}
