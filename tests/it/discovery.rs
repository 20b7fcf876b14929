//! Discovery against a local service, for every answer WIRE.md lists, and
//! `puppet-lint discover`'s exit codes.

use std::time::Duration;

use puppet_lint::config::Authority;
use puppet_lint::exit;
use puppet_lint::target::discovery::{self, DiscoveryError, Policy};

use crate::support::{self, Cli};

const TOKEN: &str = "puppet_service_d15c0-0123456789";

fn quick() -> Policy {
    Policy { attempts: 4, first_backoff: Duration::from_millis(10), timeout: Duration::from_secs(5) }
}

async fn ask(answers: Vec<(u16, &'static str)>) -> (Result<discovery::Answer, DiscoveryError>, usize) {
    let stub = support::http::serve(answers).await;
    let result = discovery::discover(&Authority::parse(&stub.authority).unwrap(), TOKEN, quick()).await;
    let requests = stub.requests.lock().unwrap().len();
    (result, requests)
}

#[tokio::test]
async fn host_and_port_resolve() {
    let (answer, requests) = ask(vec![(200, r#"{"host":"127.0.0.1","port":8788}"#)]).await;
    let answer = answer.unwrap();
    assert_eq!(answer.endpoint.to_string(), "127.0.0.1:8788");
    assert!(!answer.has_legacy_ip);
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn the_public_services_answer_with_host_ip_and_port_resolves() {
    let (answer, _) = ask(vec![(200, r#"{"host":"127.0.0.1","ip":"127.0.0.1","port":8788}"#)]).await;
    assert!(answer.unwrap().has_legacy_ip);
}

#[tokio::test]
async fn every_not_registered_answer_says_so() {
    for (status, body) in [
        (404, r#"{"host":"0.0.0.0","port":0}"#),
        (404, r#"{"ip":"0.0.0.0","port":0}"#),
        (404, r#"{"host":"0.0.0.0","ip":"0.0.0.0","port":0}"#),
        (200, r#"{"host":"0.0.0.0","port":0}"#),
        (200, r#"{"ip":"127.0.0.1","port":8788}"#),
        (200, "not json at all"),
        (400, ""),
    ] {
        let (result, requests) = ask(vec![(status, body)]).await;
        // The registry's own "not found", or a 2xx that is no address (the
        // authority may be no discovery service): the official client takes
        // both as "not registered".
        let expected = status != 200 || body.contains("\"port\":0");
        match result {
            Err(DiscoveryError::NotRegistered { token, .. }) if expected => {
                assert!(!token.contains("0123456789"), "the token is masked: {token}");
            }
            Err(DiscoveryError::NoAddress { token, .. }) if !expected => {
                assert!(!token.contains("0123456789"), "the token is masked: {token}");
            }
            other => panic!("{status} {body}: {other:?}"),
        }
        assert_eq!(requests, 1, "{status} {body}: a 4xx or a bad answer is not retried");
    }
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_reported() {
    let (result, requests) = ask(vec![(503, ""), (500, ""), (200, r#"{"host":"127.0.0.1","port":9}"#)]).await;
    assert_eq!(result.unwrap().attempts, 3);
    assert_eq!(requests, 3);
    let (result, requests) = ask(vec![(502, "")]).await;
    assert!(matches!(result, Err(DiscoveryError::ServerError { status: 502, attempts: 4, .. })), "{result:?}");
    assert_eq!(requests, 4, "4 GETs in all, as the official resolver");
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_prints_the_address_or_says_why_not() {
    let found = support::http::serve(vec![(200, r#"{"host":"127.0.0.1","port":8788}"#)]).await;
    let ran = Cli::new().args(["discover", TOKEN, "--authority", &found.authority]).run_async().await;
    ran.code(exit::OK);
    assert_eq!(ran.stdout, "127.0.0.1:8788\n");

    let missing = support::http::serve(vec![(404, r#"{"host":"0.0.0.0","ip":"0.0.0.0","port":0}"#)]).await;
    let ran = Cli::new()
        .args(["discover", "--authority", &missing.authority])
        .env("WECHATY_PUPPET_SERVICE_TOKEN", TOKEN)
        .run_async()
        .await;
    // As `run` exits for a token that does not resolve: the target cannot be reached.
    ran.code(exit::UNREACHABLE).stderr_has("is not registered at http://127.0.0.1:").never_shows(TOKEN);

    let closed = format!("http://{}", support::free_address());
    let ran = Cli::new().args(["discover", TOKEN, "--authority", &closed]).run();
    ran.code(exit::UNREACHABLE).stderr_has("cannot reach the discovery service").never_shows(TOKEN);
}

/// A discovery service that answers 404 with the secret spelled loosely (reversed, spaced, dotted into groups,
/// base32, base64 of each half) is not quoted: the error says the body is not shown, and no form of it is output.
#[tokio::test(flavor = "multi_thread")]
async fn an_error_body_that_spells_the_token_is_not_quoted() {
    use base64::Engine as _;
    let secret = "Wd4Hs7Kp2Nq9";
    let token = format!("acme_{secret}");
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let spaced: String = secret.chars().map(|c| format!("{c} ")).collect();
    for body in [
        format!("tok: {}", secret.chars().rev().collect::<String>()),
        format!("tok: {spaced}"),
        "tok: Wd4H.s7Kp.2Nq9".to_owned(),
        format!("tok: {}", data_encoding::BASE32.encode(secret.as_bytes())),
        format!("tok: {} {}", b64("Wd4Hs7"), b64("Kp2Nq9")),
    ] {
        let missing = support::http::serve(vec![(404, body.as_str())]).await;
        let ran = Cli::new().args(["discover", &token, "--authority", &missing.authority]).run_async().await;
        ran.code(exit::UNREACHABLE).stderr_has("is not shown: read loosely, it spells the token").never_shows(&token);
        assert!(!ran.stderr.contains(&body[5..]), "{body}: {}", ran.stderr);
    }
}

/// A redirect is an error, as in the official client: nothing is sent to
/// where it points (here a second loopback listener that would answer an
/// address, and counts every connection), and the error names the status and
/// the Location, redacted.
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_not_followed_and_says_where_it_pointed() {
    let elsewhere = support::http::serve(vec![(200, r#"{"host":"127.0.0.1","port":8788}"#)]).await;
    let secret = TOKEN.rsplit('_').next().unwrap();
    for status in [301, 302, 303, 307, 308] {
        let location = format!("{}/v0/hosties/{TOKEN}?again={secret}", elsewhere.authority);
        let redirecting = support::http::redirecting(status, location).await;
        let authority = Authority::parse(&redirecting.authority).unwrap();
        let result = discovery::discover(&authority, TOKEN, quick()).await;
        let Err(error @ DiscoveryError::Redirected { status: said, .. }) = &result else {
            panic!("{status}: {result:?}")
        };
        assert_eq!(*said, status);
        let message = error.to_string();
        assert!(message.contains(&format!("HTTP {status}")), "{message}");
        assert!(message.contains(&elsewhere.authority), "the Location is named: {message}");
        assert!(!message.contains("0123456789"), "the Location is redacted: {message}");
        assert_eq!(redirecting.requests.lock().unwrap().len(), 1, "{status}: one GET, no retry");
        assert!(
            !redirecting.requests.lock().unwrap()[0].to_ascii_lowercase().contains("referer"),
            "no Referer carries the token"
        );

        let ran = Cli::new().args(["discover", TOKEN, "--authority", &redirecting.authority]).run_async().await;
        ran.code(exit::UNREACHABLE).stderr_has(&format!("HTTP {status}, a redirect to")).never_shows(secret);
    }
    assert!(elsewhere.requests.lock().unwrap().is_empty(), "a redirect target got a request");
}

/// A service that answers and then stalls in its body, or closes in the
/// middle of it, is named for what it did — not "cannot reach".
#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stalls_or_breaks_off_says_so() {
    let stalling = support::http::unfinished(r#"{"host":"#, false).await;
    let policy = Policy { attempts: 1, first_backoff: Duration::from_millis(10), timeout: Duration::from_millis(600) };
    let result = discovery::discover(&Authority::parse(&stalling.authority).unwrap(), TOKEN, policy).await;
    let Err(error @ DiscoveryError::BodyIncomplete { status: 200, .. }) = &result else { panic!("{result:?}") };
    let message = error.to_string();
    assert!(message.contains("answered HTTP 200, but its body stalled: 8 bytes came"), "{message}");
    assert!(message.contains("600ms deadline"), "{message}");
    assert!(!message.contains("cannot reach"), "{message}");

    let cut = support::http::unfinished(r#"{"host":"#, true).await;
    let ran = Cli::new().args(["discover", TOKEN, "--authority", &cut.authority]).run_async().await;
    ran.code(exit::UNREACHABLE)
        .stderr_has("answered HTTP 200, but its body broke off after 8 bytes")
        .stderr_has("starts an answer and does not finish it")
        .never_shows(TOKEN);
    assert!(!ran.stderr.contains("cannot reach"), "{}", ran.stderr);
}

/// A redirect to a port nobody listens on is told as the redirect it is,
/// naming where it pointed: nothing is sent there, so it is no "cannot reach".
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_a_closed_port_is_told_as_a_redirect() {
    let closed = format!("http://{}/v0/hosties/elsewhere", support::free_address());
    let redirecting = support::http::redirecting(302, closed.clone()).await;
    let ran = Cli::new().args(["discover", TOKEN, "--authority", &redirecting.authority]).run_async().await;
    ran.code(exit::UNREACHABLE).stderr_has(&format!("answered HTTP 302, a redirect to \"{closed}\": not followed"));
    assert!(!ran.stderr.contains("cannot reach"), "{}", ran.stderr);
}
