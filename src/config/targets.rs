//! Several Puppet Services in one run: a targets file (`--targets FILE`) or
//! repeated `--token` / `--endpoint`. Each becomes a [`Named`] target whose
//! name is its report directory (`--report-dir/<name>/`) and its column in
//! the combined checklist. Problems in the file are reported at
//! `file:line:col`, like a suite's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Selection, Target};
use crate::cli::{ConnectionFlags, RunTargetFlags, TargetFlags};
use crate::config::Env;
use crate::error::Error;
use crate::suite::doc::Located;
use crate::suite::{LoadError, Location, SuiteError, SuiteErrors, yaml_error, yaml_options};

/// One target of a run with several.
#[derive(Debug, Clone)]
pub struct Named {
    /// Unique in the run; letters, digits, `.`, `_` and `-` (a directory name).
    pub name: String,
    pub target: Target,
    /// Its own check selection (`only`, `skip`, `tags`), replacing the run's.
    pub selection: Option<Selection>,
    /// Its own `allow_destructive`, replacing `--allow-destructive`.
    pub allow_destructive: Option<bool>,
    /// Its own claims file (relative to the targets file), replacing `--claims`.
    pub claims: Option<PathBuf>,
    /// Its own claims column, replacing `--claims-column`.
    pub claims_column: Option<String>,
    /// Its own contact and room the bot may message (ids differ from provider to provider), replacing
    /// `--peer-contact` / `--peer-room`.
    pub peer_contact: Option<String>,
    pub peer_room: Option<String>,
}

/// A target as the file writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetDoc {
    name: Located<String>,
    token: Option<String>,
    /// The name of an environment variable holding the token (keeps tokens
    /// out of the file).
    token_env: Option<Located<String>>,
    endpoint: Option<Located<String>>,
    authority: Option<String>,
    #[serde(default)]
    no_tls: Flag,
    /// Relative to the targets file's directory.
    tls_ca_cert: Option<PathBuf>,
    tls_server_name: Option<String>,
    only: Option<Vec<String>>,
    skip: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    allow_destructive: Option<Flag>,
    /// A claims file, relative to the targets file's directory.
    claims: Option<PathBuf>,
    claims_column: Option<String>,
    peer_contact: Option<String>,
    peer_room: Option<String>,
}

/// A boolean as a targets file writes it: `true` or `false`, unquoted. A
/// string — `"yes"`, `"false"`, or `yes` (a string in YAML 1.2) — is refused
/// at its `file:line:col`: taken as a boolean, `no_tls: "no"` would turn TLS off.
#[derive(Debug, Clone, Copy, Default)]
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Flag, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Flag;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("`true` or `false`, unquoted")
            }
            fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Flag, E> {
                Ok(Flag(value))
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Flag, E> {
                let shown: String = value.chars().take(40).flat_map(char::escape_default).collect();
                Err(E::custom(format!(
                    "expected `true` or `false` (unquoted), found the string \"{shown}\": write `true` or `false`"
                )))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Reads a targets file: a YAML list of targets, each with a `name` and a
/// `token` (or `token_env`) and/or an `endpoint`. The Wechaty SDK's
/// environment variables are not read for them: each target says all it
/// needs.
pub fn read_file(path: &Path, env: &dyn Env) -> Result<Vec<Named>, Error> {
    let source = path.display().to_string();
    let text = crate::input::read_to_string(path, crate::input::cap::SMALL).map_err(|error| {
        file_error(&source, String::new(), vec![at(&source, 0, 0, format!("cannot read the targets file: {error}"))])
    })?;
    parse(&text, &source, path.parent().unwrap_or(Path::new("")), env)
}

/// Parses a targets file's `text`; `source` names it in errors and `base`
/// is where relative paths start.
pub fn parse(text: &str, source: &str, base: &Path, env: &dyn Env) -> Result<Vec<Named>, Error> {
    let fail = |errors: Vec<SuiteError>| file_error(source, text.to_owned(), errors);
    let docs: Vec<Located<TargetDoc>> = serde_saphyr::from_str_with_options(text, yaml_options())
        .map_err(|error| fail(vec![yaml_error(&error, text, source)]))?;
    if docs.is_empty() {
        return Err(fail(vec![at(source, 1, 1, "no targets: list at least one, each with a `name`".into())]));
    }
    let mut errors = Vec::new();
    let mut named = Vec::new();
    let mut seen: HashMap<String, Location> = HashMap::new();
    let nothing: HashMap<&str, &str> = HashMap::new();
    for Located { value: doc, line, column } in docs {
        let here = Location { file: source.to_owned(), line, column };
        let name_at = Location { file: source.to_owned(), line: doc.name.line, column: doc.name.column };
        let name = doc.name.value.clone();
        if let Err(why) = check_name(&name) {
            errors.push(SuiteError { location: name_at.clone(), message: why });
        } else if let Some(first) = seen.get(&name.to_ascii_lowercase()) {
            // Without case: `A` and `a` would share a directory on macOS and Windows.
            errors.push(SuiteError {
                location: name_at.clone(),
                message: format!("target name `{name}` is already used at {first}: names must be unique (case aside)"),
            });
        } else {
            seen.insert(name.to_ascii_lowercase(), name_at.clone());
        }
        let mut token = doc.token.clone();
        if let Some(variable) = &doc.token_env {
            match (&token, env.var(&variable.value)) {
                (Some(_), _) => errors.push(SuiteError {
                    location: Location { file: source.to_owned(), line: variable.line, column: variable.column },
                    message: format!("target `{name}`: give `token` or `token_env`, not both"),
                }),
                (None, Some(value)) => token = Some(value),
                (None, None) => errors.push(SuiteError {
                    location: Location { file: source.to_owned(), line: variable.line, column: variable.column },
                    message: format!("target `{name}`: the environment variable `{}` is not set", variable.value),
                }),
            }
        }
        if token.is_none() && doc.endpoint.is_none() {
            if doc.token_env.is_none() {
                errors.push(SuiteError {
                    location: here.clone(),
                    message: format!(
                        "target `{name}` has neither a token nor an endpoint: give `token` (or `token_env`), \
                         `endpoint`, or both"
                    ),
                });
            }
            continue;
        }
        let flags = TargetFlags {
            token,
            endpoint: doc.endpoint.as_ref().map(|endpoint| endpoint.value.clone()),
            connection: ConnectionFlags {
                authority: doc.authority.clone(),
                no_tls: doc.no_tls.0,
                tls_ca_cert: doc.tls_ca_cert.as_ref().map(|path| base.join(path)),
                tls_server_name: doc.tls_server_name.clone(),
            },
        };
        let target = match Target::resolve(&flags, &nothing) {
            Ok(target) => target,
            Err(error) => {
                let location = match &doc.endpoint {
                    Some(endpoint) if error.0.starts_with("endpoint ") => {
                        Location { file: source.to_owned(), line: endpoint.line, column: endpoint.column }
                    }
                    _ => here.clone(),
                };
                // The file's words, not the flags'.
                let message = error
                    .0
                    .replace("--tls-server-name NAME", "`tls_server_name`")
                    .replace("--no-tls", "`no_tls: true`");
                errors.push(SuiteError { location, message: format!("target `{name}`: {message}") });
                continue;
            }
        };
        let selection = (doc.only.is_some() || doc.skip.is_some() || doc.tags.is_some()).then(|| Selection {
            only: doc.only.clone().unwrap_or_default(),
            skip: doc.skip.clone().unwrap_or_default(),
            tags: doc.tags.clone().unwrap_or_default(),
        });
        named.push(Named {
            name,
            target,
            selection,
            allow_destructive: doc.allow_destructive.map(|flag| flag.0),
            claims: doc.claims.as_ref().map(|path| base.join(path)),
            claims_column: doc.claims_column.clone(),
            peer_contact: doc.peer_contact.clone(),
            peer_room: doc.peer_room.clone(),
        });
    }
    if errors.is_empty() { Ok(named) } else { Err(fail(errors)) }
}

/// Repeated `--token` / `--endpoint`: paired in order when there are as
/// many of each, else one of them shared by all of the other. Names come
/// from the endpoint (`127.0.0.1-8788`) or the masked token, made unique.
pub fn from_flags(flags: &RunTargetFlags, env: &dyn Env) -> Result<Vec<Named>, Error> {
    let (tokens, endpoints) = (&flags.token, &flags.endpoint);
    let pairs: Vec<(Option<String>, Option<String>)> = if tokens.len() == endpoints.len() {
        tokens.iter().cloned().map(Some).zip(endpoints.iter().cloned().map(Some)).collect()
    } else if tokens.len() <= 1 {
        endpoints.iter().map(|endpoint| (tokens.first().cloned(), Some(endpoint.clone()))).collect()
    } else if endpoints.len() <= 1 {
        tokens.iter().map(|token| (Some(token.clone()), endpoints.first().cloned())).collect()
    } else {
        return Err(Error::Usage(format!(
            "{} --token and {} --endpoint: give as many of each (paired in order), or one of them for all \
             of the other, or list the targets in a file with --targets FILE",
            tokens.len(),
            endpoints.len()
        )));
    };
    // One service serves one event subscriber: two sessions to it would
    // refuse each other (ALREADY_EXISTS), and the service would be blamed.
    for (index, pair) in pairs.iter().enumerate() {
        if pairs[..index].contains(pair) {
            let what = match pair {
                (_, Some(endpoint)) => format!("--endpoint {endpoint}"),
                (Some(token), None) => format!("--token {}", crate::redact::mask(token)),
                (None, None) => "the same target".to_owned(),
            };
            return Err(Error::Usage(format!(
                "{what} is given twice: a service serves one event subscriber, so two runs against it at once \
                 would refuse each other"
            )));
        }
    }
    let mut used: HashMap<String, usize> = HashMap::new();
    pairs
        .into_iter()
        .map(|(token, endpoint)| {
            let base = match (&endpoint, &token) {
                (Some(endpoint), _) => endpoint_name(endpoint),
                (None, Some(token)) => sanitize(&crate::redact::mask(token)),
                (None, None) => "target".to_owned(),
            };
            let count = used.entry(base.clone()).or_default();
            *count += 1;
            let name = if *count == 1 { base } else { format!("{base}-{count}") };
            let target = Target::resolve(&flags.one(token, endpoint), env)
                .map_err(|error| Error::Usage(format!("target {name}: {}", error.0)))?;
            Ok(Named {
                name,
                target,
                selection: None,
                allow_destructive: None,
                claims: None,
                claims_column: None,
                peer_contact: None,
                peer_room: None,
            })
        })
        .collect()
}

/// The longest target name (a directory name, on every file system).
const NAME_LIMIT: usize = 64;

/// Names the report directory itself holds beside the targets' directories
/// (the combined files), compared without case.
const RESERVED: &[&str] = &["summary.md", "matrix.json", "report.json", "junit.xml", "badge.svg", "badge.json"];

/// A name that can be a directory of its own.
fn check_name(name: &str) -> Result<(), String> {
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name == "." || name == ".." || name.starts_with('.') || !name.chars().all(fine) {
        return Err(format!(
            "target name `{name}` cannot be a report directory: use letters, digits, `.`, `_` and `-` \
             (not starting with `.`)"
        ));
    }
    if name.len() > NAME_LIMIT {
        return Err(format!("target name `{name}` is longer than {NAME_LIMIT} characters"));
    }
    if RESERVED.iter().any(|reserved| reserved.eq_ignore_ascii_case(name)) {
        return Err(format!(
            "target name `{name}` is taken: the report directory holds the combined `{name}` beside the targets' \
             directories"
        ));
    }
    Ok(())
}

/// `127.0.0.1:8788` → `127.0.0.1-8788`; anything else a name may not hold
/// becomes `-` (a masked token's `…` is dropped).
/// A target's default name from its endpoint: `127.0.0.1-8788`; an IPv6
/// host's groups joined by `-`, marked as such (`[::1]:8788` → `ipv6-1-8788`).
fn endpoint_name(endpoint: &str) -> String {
    if let Some((host, port)) = endpoint.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
        let groups: Vec<&str> = host.split(':').filter(|group| !group.is_empty()).collect();
        let groups = if groups.is_empty() { "0".to_owned() } else { groups.join("-") };
        return sanitize(&format!("ipv6-{groups}-{}", port.trim_start_matches(':')));
    }
    sanitize(endpoint)
}

fn sanitize(text: &str) -> String {
    let name: String = text
        .trim_end_matches('…')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .collect();
    let name = name.trim_matches(|c| c == '-' || c == '.').to_owned();
    if name.is_empty() { "target".to_owned() } else { name }
}

fn at(file: &str, line: u64, column: u64, message: String) -> SuiteError {
    SuiteError { location: Location { file: file.to_owned(), line, column }, message }
}

fn file_error(source: &str, text: String, errors: Vec<SuiteError>) -> Error {
    let shown = tokens_hidden(&text);
    Error::Suite(LoadError { errors: SuiteErrors(errors), sources: vec![(source.to_owned(), shown)] })
}

/// The file as an error may quote it: every `token:` value's characters
/// replaced by `*` (one for one, so columns stay true) — a typo must not put
/// a token into a CI log.
fn tokens_hidden(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let key_at = line.find("token");
        let colon = key_at.and_then(|at| {
            let before = line[..at].trim_start().trim_start_matches('-').trim();
            let after = line[at + "token".len()..].trim_start_matches(['"', '\'']);
            (before.is_empty() || before == "\"" || before == "'")
                .then_some(())
                .and_then(|()| after.strip_prefix(':').map(|rest| line.len() - rest.len()))
        });
        match colon {
            Some(value) => {
                shown.push_str(&line[..value]);
                shown.extend(
                    line[value..].chars().map(|c| if c.is_whitespace() || "[]{}\"',#".contains(c) { c } else { '*' }),
                );
            }
            None => shown.push_str(line),
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Vec<Named>, String> {
        let env: HashMap<&str, &str> = HashMap::from([("ACME_TOKEN", "acme_0123456789abcdef")]);
        parse(text, "targets.yaml", Path::new("conf"), &env).map_err(|error| error.to_string())
    }

    #[test]
    fn a_target_may_name_its_own_claims() {
        let named = parse_text(
            "- name: a\n  endpoint: 127.0.0.1:1\n  no_tls: true\n  claims_column: donut\n\
             - name: b\n  endpoint: 127.0.0.1:2\n  no_tls: true\n  claims: acme.yaml\n\
             - name: c\n  endpoint: 127.0.0.1:3\n  no_tls: true\n",
        )
        .unwrap();
        assert_eq!(named[0].claims_column.as_deref(), Some("donut"));
        assert_eq!(named[1].claims.as_deref(), Some(Path::new("conf/acme.yaml")), "relative to the targets file");
        assert_eq!((named[2].claims.as_ref(), named[2].claims_column.as_ref()), (None, None));
    }

    #[test]
    fn a_target_may_name_its_own_peers() {
        let named = parse_text(
            "- name: a\n  endpoint: 127.0.0.1:1\n  no_tls: true\n  peer_contact: wxid_peer\n  peer_room: r1@chatroom\n\
             - name: b\n  endpoint: 127.0.0.1:2\n  no_tls: true\n",
        )
        .unwrap();
        assert_eq!(
            (named[0].peer_contact.as_deref(), named[0].peer_room.as_deref()),
            (Some("wxid_peer"), Some("r1@chatroom"))
        );
        assert_eq!((named[1].peer_contact.as_ref(), named[1].peer_room.as_ref()), (None, None));
    }

    #[test]
    fn a_token_is_never_quoted_from_the_file() {
        let text = "- name: a\n  token: [puppet_service_S3cr3t]\n  \"token\": x_9y\n  tokens: 3\n";
        assert_eq!(
            tokens_hidden(text),
            "- name: a\n  token: [*********************]\n  \"token\": ****\n  tokens: 3\n"
        );
        let error = parse_text("- name: a\n  token: [puppet_service_S3cr3tK3yABCDEFGH]\n").unwrap_err();
        assert!(!error.contains("S3cr3t"), "{error}");
    }

    #[test]
    fn a_file_lists_named_targets_with_their_own_settings() {
        let targets = parse_text(
            "- name: local\n  endpoint: 127.0.0.1:8788\n  token: insecure_abc\n  no_tls: true\n  only: [events.*]\n\
             - name: acme\n  token_env: ACME_TOKEN\n  authority: http://127.0.0.1:8080\n  tls_ca_cert: ca.pem\n  \
             allow_destructive: true\n",
        )
        .unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].name, "local");
        assert_eq!(targets[0].target.tls, None);
        assert_eq!(targets[0].selection.as_ref().unwrap().only, ["events.*"]);
        assert_eq!(targets[1].target.token.as_deref(), Some("acme_0123456789abcdef"));
        let tls = targets[1].target.tls.as_ref().unwrap();
        assert_eq!(tls.trust, crate::config::TrustSource::File(PathBuf::from("conf/ca.pem")));
        assert_eq!(targets[1].allow_destructive, Some(true));
        assert!(targets[1].selection.is_none());
    }

    #[test]
    fn problems_name_file_line_and_column() {
        let error = parse_text("- name: a\n  endpoint: 127.0.0.1:1\n  no_tls: true\n  colour: blue\n").unwrap_err();
        assert!(error.starts_with("targets.yaml:4:"), "{error}");
        let error = parse_text(
            "- name: a\n  endpoint: 127.0.0.1:1\n  no_tls: true\n- name: a\n  endpoint: 127.0.0.1:2\n  no_tls: true\n",
        )
        .unwrap_err();
        assert!(error.contains("targets.yaml:4:9: target name `a` is already used at targets.yaml:1:9"), "{error}");
        let error = parse_text("- name: lonely\n  no_tls: true\n").unwrap_err();
        assert!(error.contains("targets.yaml:1:3: target `lonely` has neither a token nor an endpoint"), "{error}");
        let error = parse_text("- name: a\n  endpoint: nowhere\n  no_tls: true\n").unwrap_err();
        assert!(error.contains("targets.yaml:2:13: target `a`: endpoint \"nowhere\""), "{error}");
        let error = parse_text("- name: ../up\n  endpoint: 127.0.0.1:1\n  no_tls: true\n").unwrap_err();
        assert!(error.contains("cannot be a report directory"), "{error}");
        let error = parse_text("[]").unwrap_err();
        assert!(error.contains("no targets"), "{error}");
        // Names the report directory holds itself, names alike but for case, names too long.
        for name in ["matrix.json", "Summary.md"] {
            let error = parse_text(&format!("- name: {name}\n  endpoint: 127.0.0.1:1\n  no_tls: true\n")).unwrap_err();
            assert!(error.contains(&format!("target name `{name}` is taken")), "{error}");
        }
        let error = parse_text(
            "- name: Acme\n  endpoint: 127.0.0.1:1\n  no_tls: true\n- name: acme\n  endpoint: 127.0.0.1:2\n  no_tls: true\n",
        )
        .unwrap_err();
        assert!(error.contains("targets.yaml:4:9: target name `acme` is already used at targets.yaml:1:9"), "{error}");
        let long = "x".repeat(300);
        let error = parse_text(&format!("- name: {long}\n  endpoint: 127.0.0.1:1\n  no_tls: true\n")).unwrap_err();
        assert!(error.contains("is longer than 64 characters"), "{error}");
    }

    /// A value of the wrong type reached through an alias: the whole sentence, with where the anchor and the
    /// alias are (the parser's own text was cut mid-parenthesis: "expected string scalar (defined").
    #[test]
    fn an_aliased_value_of_the_wrong_type_is_told_whole() {
        let error =
            parse_text("- name: a\n  only: &checks [events.ready]\n  endpoint: *checks\n  no_tls: true\n").unwrap_err();
        assert!(error.starts_with("targets.yaml:3:"), "{error}");
        assert!(
            error.contains(
                "expected a string here (the value of the anchor at line 2, column 17, used through the alias at line \
                 3, column 13)"
            ),
            "{error}"
        );
        assert!(!error.contains("(defined"), "{error}");
        let first = error.lines().next().unwrap_or_default();
        assert_eq!(first.matches('(').count(), first.matches(')').count(), "balanced: {first}");
    }

    /// An alias bomb whose every value has the right type (a target with thousands of checks in `only`, repeated by
    /// its alias) is refused at an alias, in words.
    #[test]
    fn a_type_valid_alias_bomb_is_refused_at_the_alias() {
        let only = vec!["events.ready"; 5000].join(", ");
        let text = format!(
            "- &t {{name: a, endpoint: '127.0.0.1:1', no_tls: true, only: [{only}]}}\n{}",
            "- *t\n".repeat(200)
        );
        let error = parse_text(&text).unwrap_err();
        let line: u64 = error
            .strip_prefix("targets.yaml:")
            .and_then(|rest| rest.split(':').next())
            .and_then(|line| line.parse().ok())
            .unwrap_or_default();
        assert!(line >= 2, "at an alias's line, not the anchor's: {error}");
        assert!(error.contains("(an alias bomb"), "{error}");
        assert!(!error.contains("Budget") && !error.contains("breach"), "no debug text: {error}");
    }

    #[test]
    fn booleans_are_true_or_false_never_a_string() {
        for text in ["\"yes\"", "yes", "'true'", "\"no\"", "on"] {
            let error = parse_text(&format!("- name: a\n  endpoint: 127.0.0.1:1\n  no_tls: {text}\n")).unwrap_err();
            assert!(error.starts_with("targets.yaml:3:11: expected `true` or `false`"), "{text}: {error}");
        }
        let error = parse_text("- name: a\n  endpoint: 127.0.0.1:1\n  no_tls: 1\n").unwrap_err();
        assert!(error.starts_with("targets.yaml:3:") && error.contains("expected `true` or `false`"), "{error}");
        let targets = parse_text(
            "- name: a\n  endpoint: 127.0.0.1:1\n  no_tls: false\n  tls_server_name: a\n  allow_destructive: true\n",
        );
        let targets = targets.unwrap_or_else(|error| panic!("{error}"));
        assert!(targets[0].target.tls.is_some());
        assert_eq!(targets[0].allow_destructive, Some(true));
    }

    #[test]
    fn endpoints_name_their_targets() {
        assert_eq!(endpoint_name("127.0.0.1:8788"), "127.0.0.1-8788");
        assert_eq!(endpoint_name("[::1]:18799"), "ipv6-1-18799");
        assert_eq!(endpoint_name("[fe80::a:1]:80"), "ipv6-fe80-a-1-80");
        assert_eq!(endpoint_name("[::]:1"), "ipv6-0-1");
    }

    #[test]
    fn repeated_flags_pair_or_share_and_get_unique_names() {
        let flags = RunTargetFlags {
            token: vec!["insecure_0123456789".into(), "insecure_1123456789".into(), "insecure_2123456789".into()],
            endpoint: vec!["127.0.0.1:1".into(), "127.0.0.1:2".into(), "127.0.0.1:1".into()],
            connection: ConnectionFlags { no_tls: true, ..ConnectionFlags::default() },
            ..RunTargetFlags::default()
        };
        let env: HashMap<&str, &str> = HashMap::new();
        let names: Vec<String> = from_flags(&flags, &env).unwrap().into_iter().map(|named| named.name).collect();
        assert_eq!(names, ["127.0.0.1-1", "127.0.0.1-2", "127.0.0.1-1-2"]);
        // The very same service twice would refuse itself.
        let twice = RunTargetFlags {
            token: vec!["insecure_0123456789".into()],
            endpoint: vec!["127.0.0.1:1".into(), "127.0.0.1:1".into()],
            ..flags.clone()
        };
        assert!(from_flags(&twice, &env).unwrap_err().to_string().contains("--endpoint 127.0.0.1:1 is given twice"));

        let flags = RunTargetFlags {
            token: vec!["puppet_acme_0123456789".into(), "puppet_acme_0198765432".into()],
            connection: ConnectionFlags { no_tls: true, ..ConnectionFlags::default() },
            ..RunTargetFlags::default()
        };
        let named = from_flags(&flags, &env).unwrap();
        let names: Vec<&str> = named.iter().map(|named| named.name.as_str()).collect();
        assert_eq!(names, ["puppet_acme_01", "puppet_acme_01-2"]);
        assert!(names.iter().all(|name| !name.contains("0123456789")));

        let flags = RunTargetFlags {
            token: vec!["a_1".into(), "b_2".into()],
            endpoint: vec!["127.0.0.1:1".into(), "127.0.0.1:2".into(), "127.0.0.1:3".into()],
            ..RunTargetFlags::default()
        };
        assert!(from_flags(&flags, &env).unwrap_err().to_string().contains("give as many of each"));
    }
}
