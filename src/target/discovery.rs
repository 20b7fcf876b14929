//! Token → `host:port`, the way the official resolver does it:
//! `GET <authority>/v0/hosties/<token>`. A 2xx JSON answer with a non-empty
//! `host` and a non-zero `port` is an address; `port: 0`, an `ip`-only body, a
//! non-JSON body and any 4xx all mean "not registered"; a 5xx is retried with
//! exponential backoff (4 GETs in all), then reported. A 3xx is an error, as
//! in the official client: no redirect is followed, so the token in the path
//! goes to the authority asked and nowhere else (and no `Referer` carries it).

use serde_json::Value;

pub use crate::config::DiscoveryPolicy as Policy;
use crate::config::{Authority, Endpoint, token_problem};
use crate::redact::{self, error_chain};

/// The most of an answer puppet-lint reads.
const BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub endpoint: Endpoint,
    /// The body as received (redacted), for reports and the schema check.
    pub body: String,
    /// The answer also carries the legacy `ip` key.
    pub has_legacy_ip: bool,
    /// Keys other than `host`, `ip` and `port`.
    pub extra_keys: Vec<String>,
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("token {token} is not registered at {authority}: {why}")]
    NotRegistered { token: String, authority: String, why: String },
    /// A 2xx answer that is no address: not JSON, no host, a port out of
    /// range, only the legacy `ip`. The official client takes it as "not
    /// registered" (WIRE.md, Discovery); the authority may not be a
    /// discovery service at all.
    #[error("the discovery service at {authority} answered, but not with an address for token {token}: {why}")]
    NoAddress { token: String, authority: String, why: String },
    #[error("cannot reach the discovery service at {authority}: {reason}")]
    Unreachable { authority: String, reason: String },
    /// The discovery service answered (a status and headers) but the body
    /// did not all arrive: it stalled past the deadline, or the connection
    /// closed in the middle. `what` says which, and how many bytes came.
    #[error("the discovery service at {authority} answered HTTP {status}, but {what}")]
    BodyIncomplete { authority: String, status: u16, what: String },
    /// The connection to the discovery service failed in TLS.
    #[error("TLS with the discovery service at {authority} failed: {reason}")]
    AuthorityTls { authority: String, reason: String },
    /// The token cannot be one: asking a service would only say "not registered".
    #[error("the token {token} is malformed: {why}")]
    Malformed { token: String, why: String },
    #[error("the discovery service at {authority} answered HTTP {status} to all {attempts} attempts")]
    ServerError { authority: String, status: u16, attempts: u32 },
    /// A 3xx: the official client follows no redirect, so neither does
    /// puppet-lint (the token is in the path). `location` is redacted.
    #[error("the discovery service at {authority} answered HTTP {status}, a redirect to {location}: not followed")]
    Redirected { authority: String, status: u16, location: String },
}

impl DiscoveryError {
    pub fn hint(&self) -> String {
        match self {
            DiscoveryError::NotRegistered { authority, .. } => format!(
                "the provider registers its token with one discovery service: if it is not {authority}, set \
                 --authority (or WECHATY_PUPPET_SERVICE_AUTHORITY) to the one it uses; else check the token and that \
                 the provider is running; with a known address, use --endpoint HOST:PORT instead"
            ),
            DiscoveryError::NoAddress { authority, .. } => format!(
                "the official client takes this as \"not registered\"; check that {authority} is a Wechaty \
                 discovery service (`GET /v0/hosties/<token>` answers {{\"host\", \"port\"}} JSON) or set \
                 --authority (or WECHATY_PUPPET_SERVICE_AUTHORITY) to the one the provider uses; with a known \
                 address, use --endpoint HOST:PORT instead"
            ),
            DiscoveryError::Unreachable { .. } => "check the network and the discovery service's address (--authority \
                 or WECHATY_PUPPET_SERVICE_AUTHORITY); with a known address, use --endpoint HOST:PORT instead"
                .into(),
            DiscoveryError::BodyIncomplete { .. } => "the discovery service (or a proxy before it) starts an answer \
                 and does not finish it: check that service; with a known address, use --endpoint HOST:PORT instead"
                .into(),
            DiscoveryError::AuthorityTls { .. } => "the discovery service's TLS failed: a host or host:port means \
                 https; for a service without TLS write --authority http://HOST:PORT (or \
                 WECHATY_PUPPET_SERVICE_AUTHORITY=http://HOST:PORT)"
                .into(),
            DiscoveryError::Malformed { .. } => crate::config::MALFORMED_HINT.into(),
            DiscoveryError::ServerError { .. } => {
                "the discovery service is failing; try again later or use --endpoint".into()
            }
            DiscoveryError::Redirected { .. } => "the official client follows no redirect either: set --authority \
                 (or WECHATY_PUPPET_SERVICE_AUTHORITY) to the service that answers itself (for a redirect from \
                 http to https, the https one); with a known address, use --endpoint HOST:PORT instead"
                .into(),
        }
    }
}

/// What one HTTP answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reading {
    Address {
        endpoint: Endpoint,
        has_legacy_ip: bool,
        extra_keys: Vec<String>,
    },
    NotRegistered(String),
    /// A 2xx answer that is no address.
    NoAddress(String),
    TryAgain,
}

fn read_answer(status: u16, body: &str) -> Reading {
    if status >= 500 {
        return Reading::TryAgain;
    }
    if !(200..300).contains(&status) {
        return Reading::NotRegistered(format!("HTTP {status}{}", body_excerpt(body)));
    }
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(body) else {
        return Reading::NoAddress(format!("the answer is not a JSON object{}", body_excerpt(body)));
    };
    let host = object.get("host").and_then(Value::as_str).filter(|host| !host.is_empty());
    let Some(port) = object.get("port").map_or(Some(0), Value::as_u64) else {
        return Reading::NoAddress(format!("the answer's port is not a whole number{}", body_excerpt(body)));
    };
    let has_legacy_ip = object.contains_key("ip");
    match (host, u16::try_from(port)) {
        (_, Ok(0)) => Reading::NotRegistered(format!("the answer has port 0{}", body_excerpt(body))),
        (_, Err(_)) => Reading::NoAddress(format!("the answer's port {port} is out of range")),
        (None, _) if has_legacy_ip => {
            Reading::NoAddress(format!("the answer has only the legacy \"ip\" key, no \"host\"{}", body_excerpt(body)))
        }
        (None, _) => Reading::NoAddress(format!("the answer has no \"host\"{}", body_excerpt(body))),
        (Some(host), _) if !is_host(host) => {
            let mut shown: String = host.chars().take(64).collect();
            if shown.len() < host.len() {
                shown.push('…');
            }
            Reading::NoAddress(format!("the answer's host {shown:?} is neither a host name nor an IP address"))
        }
        (Some(host), Ok(port)) => Reading::Address {
            endpoint: Endpoint { host: host.to_owned(), port },
            has_legacy_ip,
            extra_keys: object.keys().filter(|key| !["host", "ip", "port"].contains(&key.as_str())).cloned().collect(),
        },
    }
}

/// A DNS name (labels of letters, digits, `-` and `_`, up to 63 each, 253 in
/// all) or an IP address: what a connection can be made to.
fn is_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    host.len() <= 253
        && host.trim_end_matches('.').split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        })
}

/// A redirect's `Location` as it may be shown: redacted (it may carry the
/// token), on one line, at most 200 characters.
fn shown_location(location: &[u8]) -> String {
    let location = String::from_utf8_lossy(location);
    let location = redact::redact(&location);
    let mut shown: String = location.chars().take(200).map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect();
    if location.chars().count() > 200 {
        shown.push('…');
    }
    format!("{shown:?}")
}

fn body_excerpt(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return String::new();
    }
    // The discovery service knows the token and may spell it in ways no redaction reads (reversed, spaced, in
    // base32): a body that does is not quoted at all.
    if redact::tells_a_secret(body) {
        return format!(" (its body, {} bytes, is not shown: read loosely, it spells the token)", body.len());
    }
    // Redact first: a cut could split a token and leave its start unmasked.
    let body = redact::redact(body);
    let mut excerpt: String = body.chars().take(200).collect();
    if excerpt.len() < body.len() {
        excerpt.push('…');
    }
    format!(" ({excerpt})")
}

pub async fn discover(authority: &Authority, token: &str, policy: Policy) -> Result<Answer, DiscoveryError> {
    crate::target::tls::install_crypto();
    redact::register(token);
    if let Some(why) = token_problem(token) {
        let token = if token.is_empty() { "\"\"".to_owned() } else { redact::mask(token) };
        return Err(DiscoveryError::Malformed { token, why });
    }
    let unreachable = |reason: String| DiscoveryError::Unreachable {
        authority: authority.to_string(),
        reason: redact::redact(&reason).into_owned(),
    };
    let failed = |error: &reqwest::Error| {
        let reason = error_chain(error);
        if in_tls(error) {
            DiscoveryError::AuthorityTls { authority: authority.to_string(), reason }
        } else {
            DiscoveryError::Unreachable { authority: authority.to_string(), reason }
        }
    };
    let client = reqwest::Client::builder()
        // The token is in the path: a redirect must not take it elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .referer(false)
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout)
        .user_agent(concat!("puppet-lint/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| unreachable(error_chain(&error)))?;
    let url = authority.hostie_url(token);
    let mut backoff = policy.first_backoff;
    let mut last_status = 0;
    for attempt in 1..=policy.attempts.max(1) {
        let mut response = client.get(&url).send().await.map_err(|error| failed(&error))?;
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            let location = response.headers().get(reqwest::header::LOCATION).map(|value| value.as_bytes());
            return Err(DiscoveryError::Redirected {
                authority: authority.to_string(),
                status,
                location: location.map_or_else(|| "nowhere (no Location)".to_owned(), shown_location),
            });
        }
        // An answer is a few dozen bytes; a service streaming more is not one.
        let mut bytes = Vec::new();
        let incomplete = |error: &reqwest::Error, received: usize| {
            let what = if error.is_timeout() {
                format!(
                    "its body stalled: {received} bytes came, then nothing more within the {} deadline for the \
                     whole answer",
                    crate::clock::human(policy.timeout)
                )
            } else {
                format!("its body broke off after {received} bytes: {}", redact::redact(&error_chain(error)))
            };
            DiscoveryError::BodyIncomplete { authority: authority.to_string(), status, what }
        };
        while let Some(chunk) = response.chunk().await.map_err(|error| incomplete(&error, bytes.len()))? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > BODY_LIMIT {
                return Err(DiscoveryError::NoAddress {
                    token: redact::mask(token),
                    authority: authority.to_string(),
                    why: format!("the answer is larger than {} KiB, so not a discovery answer", BODY_LIMIT / 1024),
                });
            }
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        match read_answer(status, &body) {
            Reading::Address { endpoint, has_legacy_ip, extra_keys } => {
                return Ok(Answer {
                    endpoint,
                    body: redact::redact(&body).into_owned(),
                    has_legacy_ip,
                    extra_keys,
                    attempts: attempt,
                });
            }
            Reading::NotRegistered(why) => {
                return Err(DiscoveryError::NotRegistered {
                    token: redact::mask(token),
                    authority: authority.to_string(),
                    why,
                });
            }
            Reading::NoAddress(why) => {
                return Err(DiscoveryError::NoAddress {
                    token: redact::mask(token),
                    authority: authority.to_string(),
                    why,
                });
            }
            Reading::TryAgain => {
                last_status = status;
                if attempt < policy.attempts {
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
        }
    }
    Err(DiscoveryError::ServerError {
        authority: authority.to_string(),
        status: last_status,
        attempts: policy.attempts,
    })
}

/// Whether a request failed in TLS: a rustls error down the chain, or the
/// words one leaves (a plain HTTP answer to a ClientHello).
fn in_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(current) = source {
        if current.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
        {
            return true;
        }
        source = current.source();
    }
    let chain = error_chain(error).to_ascii_lowercase();
    ["certificate", "tls", "handshake", "invalidcontenttype", "corrupt message"].iter().any(|word| chain.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(host: &str, port: u16) -> Endpoint {
        Endpoint { host: host.into(), port }
    }

    #[test]
    fn host_and_port_is_an_address() {
        assert_eq!(
            read_answer(200, r#"{"host":"1.2.3.4","port":1234}"#),
            Reading::Address { endpoint: address("1.2.3.4", 1234), has_legacy_ip: false, extra_keys: vec![] }
        );
        assert_eq!(
            read_answer(200, r#"{"host":"127.0.0.1","ip":"127.0.0.1","port":8788}"#),
            Reading::Address { endpoint: address("127.0.0.1", 8788), has_legacy_ip: true, extra_keys: vec![] }
        );
    }

    #[test]
    fn every_not_registered_form_from_the_seeds_and_wire_notes() {
        // `true`: the registry's own "not found"; `false`: an answer that is no
        // address (the authority may be no discovery service). The official
        // client takes both as "not registered".
        let cases = [
            (404, r#"{"host":"0.0.0.0","port":0}"#, true, "HTTP 404"),
            (404, r#"{"ip":"0.0.0.0","port":0}"#, true, "HTTP 404"),
            (404, r#"{"host":"0.0.0.0","ip":"0.0.0.0","port":0}"#, true, "HTTP 404"),
            (200, r#"{"host":"0.0.0.0","port":0}"#, true, "port 0"),
            (200, r#"{"host":"1.2.3.4"}"#, true, "port 0"),
            (400, "", true, "HTTP 400"),
            (403, "forbidden", true, "HTTP 403 (forbidden)"),
            (200, r#"{"ip":"1.2.3.4","port":1234}"#, false, "only the legacy \"ip\" key"),
            (200, r#"{"host":"","port":1234}"#, false, "no \"host\""),
            (200, "<html>not json</html>", false, "not a JSON object"),
            (200, "", false, "not a JSON object"),
            (200, r#"{"host":"1.2.3.4","port":70000}"#, false, "out of range"),
            (200, r#"{"host":"1.2.3.4","port":"1234"}"#, false, "not a whole number"),
            (200, r#"{"host":"1.2.3.4","port":-1}"#, false, "not a whole number"),
            (200, r#"{"host":"127.0.0.1:9202","port":1}"#, false, "neither a host name"),
            (200, r#"{"host":"evil\u001b[31m.example","port":1}"#, false, "neither a host name"),
            (200, r#"{"host":"a b","port":1}"#, false, "neither a host name"),
            (200, r#"{"host":"a\r\nb","port":1}"#, false, "neither a host name"),
        ];
        for (status, body, registry_said_so, why) in cases {
            match read_answer(status, body) {
                Reading::NotRegistered(reason) if registry_said_so => {
                    assert!(reason.contains(why), "{status} {body}: {reason}")
                }
                Reading::NoAddress(reason) if !registry_said_so => {
                    assert!(reason.contains(why), "{status} {body}: {reason}")
                }
                other => panic!("{status} {body}: {other:?}"),
            }
        }
    }

    #[test]
    fn server_errors_are_retried() {
        for status in [500, 502, 503, 504] {
            assert_eq!(read_answer(status, ""), Reading::TryAgain);
        }
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        /// `cases`, or `PROPTEST_CASES` when it is set.
        fn config(cases: u32) -> ProptestConfig {
            let cases = std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(cases);
            ProptestConfig { cases, ..ProptestConfig::default() }
        }

        fn value() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                (0u64..70_000).prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                any::<String>().prop_map(Value::from),
                "[0-9.:a-z]{0,16}".prop_map(Value::from),
            ]
        }

        /// Bodies a discovery service (or anything at its address) could answer.
        fn body() -> impl Strategy<Value = String> {
            let key = prop_oneof![
                4 => proptest::sample::select(&["host", "ip", "port", "hostname"][..]).prop_map(str::to_owned),
                1 => any::<String>(),
            ];
            prop_oneof![
                4 => proptest::collection::vec((key, value()), 0..6)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect()).to_string()),
                2 => any::<String>(),
                1 => value().prop_map(|value| value.to_string()),
                1 => (1usize..100_000).prop_map(|size| format!("{{\"host\":\"{}\",\"port\":1}}", "h".repeat(size))),
                1 => (1usize..100_000).prop_map(|depth| "[".repeat(depth)),
            ]
        }

        proptest! {
            #![proptest_config(config(4000))]

            #[test]
            fn discovery_answers(status in prop_oneof![4 => 100u16..600, 1 => any::<u16>()], body in body()) {
                let started = std::time::Instant::now();
                let reading = read_answer(status, &body);
                prop_assert!(started.elapsed() < std::time::Duration::from_secs(5));
                match reading {
                    Reading::TryAgain => prop_assert!(status >= 500),
                    Reading::Address { endpoint, .. } => {
                        prop_assert!((200..300).contains(&status));
                        prop_assert!(!endpoint.host.is_empty() && endpoint.port != 0);
                    }
                    Reading::NotRegistered(why) | Reading::NoAddress(why) => {
                        prop_assert!(why.chars().count() < 400, "{}", why)
                    }
                }
            }
        }
    }
}
