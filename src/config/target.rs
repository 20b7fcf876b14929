//! Where to connect and how: flags, then the Wechaty SDK's environment
//! variables (so a user switching from an SDK changes nothing), then defaults.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::TargetFlags;
use crate::redact;

pub const DEFAULT_AUTHORITY: &str = "api.chatie.io";

/// The environment variables puppet-lint reads, newest name first.
pub mod env {
    pub const TOKEN: &[&str] = &["WECHATY_PUPPET_SERVICE_TOKEN", "WECHATY_PUPPET_HOSTIE_TOKEN"];
    pub const ENDPOINT: &[&str] = &["WECHATY_PUPPET_SERVICE_ENDPOINT", "WECHATY_PUPPET_HOSTIE_ENDPOINT"];
    pub const AUTHORITY: &[&str] = &["WECHATY_PUPPET_SERVICE_AUTHORITY"];
    pub const NO_TLS: &str = "WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT";
    pub const CA_CERT: &str = "WECHATY_PUPPET_SERVICE_TLS_CA_CERT";
    pub const SERVER_NAME: &str = "WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME";
}

/// Reads environment variables; tests pass a map instead of the process's.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;

    fn first(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|name| self.var(name))
    }
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }
}

impl Env for std::collections::HashMap<&str, &str> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|value| !value.is_empty()).map(|value| (*value).to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub address: Address,
    pub token: Option<String>,
    /// `None`: plaintext.
    pub tls: Option<TlsTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Endpoint(Endpoint),
    Discover(Authority),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsTarget {
    pub server_name: String,
    pub trust: TrustSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustSource {
    Embedded,
    File(PathBuf),
    /// PEM text from WECHATY_PUPPET_SERVICE_TLS_CA_CERT.
    EnvPem(String),
}

/// How often and how patiently to ask a discovery service: the official
/// resolver makes 4 GETs in all, with exponential backoff (WIRE.md,
/// "Discovery").
#[derive(Debug, Clone, Copy)]
pub struct DiscoveryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
    pub timeout: Duration,
}

impl Default for DiscoveryPolicy {
    fn default() -> Self {
        DiscoveryPolicy { attempts: 4, first_backoff: Duration::from_millis(500), timeout: Duration::from_secs(10) }
    }
}

/// A discovery service: `base` is `scheme://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub base: String,
}

impl Target {
    pub fn resolve(flags: &TargetFlags, env: &dyn Env) -> Result<Target, UsageError> {
        let token = flags.token.clone().or_else(|| env.first(env::TOKEN));
        if let Some(token) = &token {
            redact::register(token);
            // Whatever the address and TLS: a token that cannot be one is
            // never sent (a discovery service or a server would only say
            // "not registered" or UNAUTHENTICATED).
            if let Some(why) = token_problem(token) {
                return Err(UsageError(format!(
                    "the token {} is malformed: {why}; {MALFORMED_HINT}",
                    redact::mask(token)
                )));
            }
        }
        let endpoint = flags.endpoint.clone().or_else(|| env.first(env::ENDPOINT));
        let address = match (&endpoint, &token) {
            (Some(endpoint), _) => Address::Endpoint(Endpoint::parse(endpoint)?),
            (None, Some(_)) => {
                let authority = flags.connection.authority.clone().or_else(|| env.first(env::AUTHORITY));
                Address::Discover(Authority::parse(authority.as_deref().unwrap_or(DEFAULT_AUTHORITY))?)
            }
            (None, None) => {
                return Err(UsageError(
                    "no target: give --token TOKEN (or set WECHATY_PUPPET_SERVICE_TOKEN), \
                     --endpoint HOST:PORT, or --mock to try puppet-lint on its built-in mock \
                     (the npm package rules alone: puppet-lint package DIR)"
                        .into(),
                ));
            }
        };
        let no_tls = flags.connection.no_tls || env.var(env::NO_TLS).as_deref() == Some("true");
        let tls = if no_tls { None } else { Some(TlsTarget::resolve(flags, env, token.as_deref())?) };
        Ok(Target { address, token, tls })
    }

    /// One line for people and reports; the token masked.
    pub fn describe(&self) -> String {
        let mut text = match (&self.address, &self.token) {
            (Address::Endpoint(endpoint), _) => endpoint.to_string(),
            (Address::Discover(authority), Some(token)) => {
                format!("token {} via {}", redact::mask(token), authority)
            }
            (Address::Discover(authority), None) => format!("discovery at {authority}"),
        };
        match &self.tls {
            Some(tls) => text.push_str(&format!(" (TLS, server name \"{}\")", tls.server_name)),
            None => text.push_str(" (no TLS)"),
        }
        text
    }
}

impl TlsTarget {
    fn resolve(flags: &TargetFlags, env: &dyn Env, token: Option<&str>) -> Result<TlsTarget, UsageError> {
        let server_name = flags
            .connection
            .tls_server_name
            .clone()
            .or_else(|| env.var(env::SERVER_NAME))
            .or_else(|| token.and_then(server_name_from_token))
            .ok_or_else(|| match token {
                Some(token) if !token.is_empty() && !token.contains('_') => UsageError(
                    "TLS is on (the default), and the token has no `_`: the server name its certificate must carry \
                     is the token's part before its last `_` (`insecure_<id>` → `insecure`), so this token names \
                     none. Give --tls-server-name NAME (or WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME), or connect \
                     without TLS with --no-tls (or WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT=true)"
                        .into(),
                ),
                _ => UsageError(
                    "TLS is on (the default) and the server's certificate needs a name to be checked \
                     against: give --tls-server-name NAME, use a token of the form <name>_<id>, or \
                     connect without TLS with --no-tls"
                        .into(),
                ),
            })?;
        let trust = match (&flags.connection.tls_ca_cert, env.var(env::CA_CERT)) {
            (Some(path), _) => TrustSource::File(path.clone()),
            // The SDKs accept the PEM with literal `\n`s (it travels in one line).
            (None, Some(pem)) => TrustSource::EnvPem(pem.replace("\\n", "\n")),
            (None, None) => TrustSource::Embedded,
        };
        Ok(TlsTarget { server_name, trust })
    }
}

/// Why `token` cannot be a token, if it cannot: empty, wrapped in quotes,
/// or carrying whitespace or control characters (what a `.env` file or a
/// copy from a web page leaves behind). Such a token is never registered.
pub fn token_problem(token: &str) -> Option<String> {
    const QUOTES: &[char] = &['"', '\'', '`', '\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}'];
    if token.is_empty() {
        return Some("it is empty".into());
    }
    match (token.starts_with(QUOTES), token.ends_with(QUOTES)) {
        (true, true) if token.chars().count() > 1 => {
            return Some(
                "it is wrapped in quotes, which are no part of a token (a .env file or a shell kept them)".into(),
            );
        }
        (true, _) | (_, true) => {
            let at = if token.starts_with(QUOTES) { "starts" } else { "ends" };
            return Some(format!("it {at} with a quote, which is no part of a token (left over from a copy?)"));
        }
        _ => {}
    }
    if token.chars().any(char::is_whitespace) {
        let at = if token.starts_with(char::is_whitespace) || token.ends_with(char::is_whitespace) {
            "leading or trailing"
        } else {
            "inner"
        };
        return Some(format!("it carries {at} whitespace, which no token does"));
    }
    if token.chars().any(char::is_control) {
        return Some("it carries control characters".into());
    }
    if !token.is_ascii() {
        return Some(
            "it carries characters that are not ASCII, which no token does (and an HTTP/2 header cannot carry)".into(),
        );
    }
    None
}

/// What to do about a malformed token.
pub const MALFORMED_HINT: &str = "give the token exactly as the provider issued it: no quotes, no spaces, nothing else (--token or \
     WECHATY_PUPPET_SERVICE_TOKEN)";

/// The official client's rule: the token's part before its last `_`,
/// lower-cased (`insecure_<uuid>` → `insecure`). No `_`, no name.
pub fn server_name_from_token(token: &str) -> Option<String> {
    let cut = token.rfind('_')?;
    let name = &token[..cut];
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

impl Endpoint {
    pub fn parse(text: &str) -> Result<Endpoint, UsageError> {
        let bad = |why: &str| UsageError(format!("endpoint \"{text}\" {why}: expected HOST:PORT, like 127.0.0.1:8788"));
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, port) = rest.split_once("]:").ok_or_else(|| bad("has no port"))?;
            (host, port)
        } else {
            text.rsplit_once(':').ok_or_else(|| bad("has no port"))?
        };
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        let port: u16 = port.parse().map_err(|_| bad("has a port that is not a number from 1 to 65535"))?;
        if port == 0 {
            return Err(bad("has port 0"));
        }
        Ok(Endpoint { host: host.to_owned(), port })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Authority {
    /// `api.chatie.io` and `host:port` mean https; URLs keep their scheme.
    pub fn parse(text: &str) -> Result<Authority, UsageError> {
        let trimmed = text.trim().trim_end_matches('/');
        let base = if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
            trimmed.to_owned()
        } else if trimmed.contains("://") {
            return Err(UsageError(format!(
                "authority \"{text}\" has a scheme puppet-lint does not speak: use a host, http:// or https://"
            )));
        } else {
            format!("https://{trimmed}")
        };
        let host = base.split_once("://").map_or("", |(_, rest)| rest);
        if host.is_empty() || host.contains('/') {
            return Err(UsageError(format!(
                "authority \"{text}\" should be a host, host:port or scheme://host[:port] with no path"
            )));
        }
        Ok(Authority { base })
    }

    pub fn hostie_url(&self, token: &str) -> String {
        format!("{}/v0/hosties/{}", self.base, redact::url_segment(token))
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The default reads better without its scheme.
        f.write_str(self.base.strip_prefix("https://").unwrap_or(&self.base))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(flags: TargetFlags, env: &[(&'static str, &'static str)]) -> Result<Target, UsageError> {
        Target::resolve(&flags, &env.iter().copied().collect::<HashMap<_, _>>())
    }

    fn token(token: &str) -> TargetFlags {
        TargetFlags { token: Some(token.into()), ..TargetFlags::default() }
    }

    #[test]
    fn malformed_tokens_say_why() {
        assert_eq!(token_problem("insecure_0bd8"), None);
        assert_eq!(token_problem("puppet_padlocal_x-y.z"), None);
        assert!(token_problem("").unwrap().contains("empty"));
        assert!(token_problem("\"insecure_0bd8\"").unwrap().contains("quotes"));
        assert!(token_problem("'insecure_0bd8'").unwrap().contains("wrapped in quotes"));
        assert!(token_problem("insecure_0bd8\"").unwrap().contains("ends with a quote"));
        assert!(token_problem("\u{201c}insecure_0bd8").unwrap().contains("starts with a quote"));
        assert!(token_problem("\"").unwrap().contains("starts with a quote"));
        assert!(token_problem(" insecure_0bd8").unwrap().contains("leading or trailing whitespace"));
        assert!(token_problem("insecure_0bd8\n").unwrap().contains("leading or trailing whitespace"));
        assert!(token_problem("insecure 0bd8").unwrap().contains("inner whitespace"));
        assert!(token_problem("insecure_\u{7}0bd8").unwrap().contains("control"));
        assert!(token_problem("insecure_äöü密码1234").unwrap().contains("not ASCII"));
    }

    #[test]
    fn server_name_is_the_token_prefix_lower_cased() {
        assert_eq!(server_name_from_token("insecure_0bd8f1a2").as_deref(), Some("insecure"));
        assert_eq!(server_name_from_token("puppet_padlocal_0bd8").as_deref(), Some("puppet_padlocal"));
        assert_eq!(server_name_from_token("Puppet_Donut_x").as_deref(), Some("puppet_donut"));
        assert_eq!(server_name_from_token("nounderscore"), None);
        assert_eq!(server_name_from_token("_leading"), None);
    }

    #[test]
    fn a_token_alone_is_discovered_at_the_default_authority_with_tls() {
        let target = resolve(token("insecure_target_test_1"), &[]).unwrap();
        assert_eq!(target.address, Address::Discover(Authority { base: "https://api.chatie.io".into() }));
        assert_eq!(
            target.tls,
            Some(TlsTarget { server_name: "insecure_target_test".into(), trust: TrustSource::Embedded })
        );
    }

    #[test]
    fn flags_win_over_env_and_env_over_deprecated_names() {
        let env = [
            ("WECHATY_PUPPET_SERVICE_TOKEN", "env_new_token_1"),
            ("WECHATY_PUPPET_HOSTIE_TOKEN", "env_old_token_1"),
            ("WECHATY_PUPPET_HOSTIE_ENDPOINT", "127.0.0.1:9000"),
            ("WECHATY_PUPPET_SERVICE_AUTHORITY", "http://127.0.0.1:1"),
        ];
        let target = resolve(TargetFlags::default(), &env).unwrap();
        assert_eq!(target.token.as_deref(), Some("env_new_token_1"));
        assert_eq!(target.address, Address::Endpoint(Endpoint { host: "127.0.0.1".into(), port: 9000 }));

        let flags = TargetFlags { endpoint: Some("127.0.0.1:8788".into()), ..token("flag_token_1") };
        let target = resolve(flags, &env).unwrap();
        assert_eq!(target.token.as_deref(), Some("flag_token_1"));
        assert_eq!(target.address, Address::Endpoint(Endpoint { host: "127.0.0.1".into(), port: 8788 }));

        let target = resolve(TargetFlags::default(), &[("WECHATY_PUPPET_HOSTIE_TOKEN", "old_only_1")]).unwrap();
        assert_eq!(target.token.as_deref(), Some("old_only_1"));
    }

    #[test]
    fn authority_flag_wins_over_env() {
        let mut flags = token("a_b");
        flags.connection.authority = Some("http://127.0.0.1:2".into());
        let target = resolve(flags, &[("WECHATY_PUPPET_SERVICE_AUTHORITY", "http://127.0.0.1:1")]).unwrap();
        assert_eq!(target.address, Address::Discover(Authority { base: "http://127.0.0.1:2".into() }));
    }

    #[test]
    fn tls_is_off_only_for_exactly_true() {
        let off = resolve(token("a_b"), &[("WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT", "true")]).unwrap();
        assert_eq!(off.tls, None);
        for not_true in ["1", "yes", "TRUE", "false"] {
            let env = [("WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT", not_true)];
            assert!(resolve(token("a_b"), &env).unwrap().tls.is_some(), "{not_true}");
        }
        let mut flags = token("a_b");
        flags.connection.no_tls = true;
        let flag = resolve(flags, &[]).unwrap();
        assert_eq!(flag.tls, None);
    }

    #[test]
    fn server_name_and_ca_come_from_flags_then_env() {
        let env = [
            ("WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME", "from-env"),
            ("WECHATY_PUPPET_SERVICE_TLS_CA_CERT", "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----"),
        ];
        let tls = resolve(token("tok_x"), &env).unwrap().tls.unwrap();
        assert_eq!(tls.server_name, "from-env");
        assert_eq!(
            tls.trust,
            TrustSource::EnvPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----".into())
        );

        let mut flags = token("tok_x");
        flags.connection.tls_server_name = Some("from-flag".into());
        flags.connection.tls_ca_cert = Some("ca.pem".into());
        let tls = resolve(flags, &env).unwrap().tls.unwrap();
        assert_eq!(tls.server_name, "from-flag");
        assert_eq!(tls.trust, TrustSource::File("ca.pem".into()));
    }

    #[test]
    fn tls_without_a_server_name_is_a_usage_error() {
        let error = resolve(token("nounderscoretoken"), &[]).unwrap_err();
        assert!(error.0.contains("--tls-server-name"), "{error}");
        let error = resolve(TargetFlags { endpoint: Some("127.0.0.1:1".into()), ..TargetFlags::default() }, &[]);
        assert!(error.unwrap_err().0.contains("--no-tls"));
    }

    #[test]
    fn no_target_at_all_says_what_to_give() {
        let error = resolve(TargetFlags::default(), &[]).unwrap_err();
        assert!(error.0.starts_with("no target: give --token TOKEN"), "{error}");
    }

    #[test]
    fn endpoints_parse_or_say_why_not() {
        assert_eq!(Endpoint::parse("[::1]:8788").unwrap().to_string(), "[::1]:8788");
        for bad in ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:99999", ":80", "host:port"] {
            let error = Endpoint::parse(bad).unwrap_err();
            assert!(error.0.contains("expected HOST:PORT"), "{bad}: {error}");
        }
    }

    #[test]
    fn authorities_default_to_https_and_keep_explicit_schemes() {
        assert_eq!(Authority::parse("api.chatie.io").unwrap().base, "https://api.chatie.io");
        assert_eq!(Authority::parse("127.0.0.1:8080").unwrap().base, "https://127.0.0.1:8080");
        assert_eq!(Authority::parse("http://127.0.0.1:8080/").unwrap().base, "http://127.0.0.1:8080");
        assert!(Authority::parse("ftp://x").is_err());
        assert!(Authority::parse("http://x/path").is_err());
        let url = Authority::parse("http://127.0.0.1:1").unwrap().hostie_url("a b");
        assert_eq!(url, "http://127.0.0.1:1/v0/hosties/a%20b");
    }

    #[test]
    fn describe_never_shows_the_token() {
        let target = resolve(token("puppet_service_0123456789abcdef"), &[]).unwrap();
        let shown = target.describe();
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
        assert_eq!(shown, "token puppet_service_01… via api.chatie.io (TLS, server name \"puppet_service\")");
    }
}
