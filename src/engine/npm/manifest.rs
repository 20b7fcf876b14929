//! package.json with positions: serde_json for the value (and its well-known error messages), jsonc-parser
//! (strict options) for the byte offset of every key, turned into `package.json:line:col`.

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

use super::location::{LineIndex, Location};
use super::{Finding, Judgement};

/// The file name findings about the manifest point at.
pub(crate) const FILE: &str = "package.json";

/// The dependency sections of package.json, as npm names them.
pub(crate) const RUNTIME_SECTIONS: [&str; 2] = ["dependencies", "optionalDependencies"];
pub(crate) const BUNDLE_SECTIONS: [&str; 2] = ["bundleDependencies", "bundledDependencies"];
pub(crate) const DECLARING_SECTIONS: [&str; 4] =
    ["dependencies", "peerDependencies", "devDependencies", "optionalDependencies"];

/// A JSON value with the byte offset where it starts.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Object(Vec<Member>),
    Array(Vec<(usize, Node)>),
    String(String),
    Bool(bool),
    Other,
}

/// One `"key": value` of an object: the key's byte offset and the value's.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) key: String,
    pub(crate) key_offset: usize,
    pub(crate) value_offset: usize,
    pub(crate) value: Node,
}

/// A parsed package.json: its text, its value, and where each key is.
#[derive(Debug, Clone)]
pub struct Manifest {
    text: String,
    value: serde_json::Value,
    members: Vec<Member>,
}

fn convert(value: &Value<'_>) -> (usize, Node) {
    match value {
        Value::Object(object) => (
            object.range.start,
            Node::Object(
                object
                    .properties
                    .iter()
                    .map(|property| {
                        let (key, key_offset) = match &property.name {
                            ObjectPropName::String(s) => (s.value.to_string(), s.range.start),
                            ObjectPropName::Word(w) => (w.value.to_string(), w.range.start),
                        };
                        let (value_offset, value) = convert(&property.value);
                        Member { key, key_offset, value_offset, value }
                    })
                    .collect(),
            ),
        ),
        Value::Array(array) => (array.range.start, Node::Array(array.elements.iter().map(convert).collect())),
        Value::StringLit(s) => (s.range.start, Node::String(s.value.to_string())),
        Value::BooleanLit(b) => (b.range.start, Node::Bool(b.value)),
        Value::NumberLit(n) => (n.range.start, Node::Other),
        Value::NullKeyword(n) => (n.range.start, Node::Other),
    }
}

fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

impl Manifest {
    /// Parses package.json `bytes`; a finding at the first error's `package.json:line:col` if it is not UTF-8,
    /// not JSON, or not a JSON object.
    pub(crate) fn parse(bytes: Vec<u8>) -> Result<Manifest, Finding> {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let valid = error.utf8_error().valid_up_to();
                let prefix = String::from_utf8_lossy(&error.as_bytes()[..valid]).into_owned();
                let location = LineIndex::new(FILE, &prefix).locate(valid);
                return Err(Finding::at(location, "not valid UTF-8".to_string()));
            }
        };
        let index = LineIndex::new(FILE, &text);
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(value) => value,
            Err(error) => {
                let line = error.line().max(1);
                let start = text.split_inclusive('\n').take(line - 1).map(str::len).sum::<usize>();
                let location = index.locate(start + error.column().saturating_sub(1));
                let message = error.to_string();
                let message = message.rfind(" at line ").map_or(message.as_str(), |end| &message[..end]);
                return Err(Finding::at(location, format!("not valid JSON: {message}")));
            }
        };
        let parsed = jsonc_parser::parse_to_ast(&text, &CollectOptions::default(), &strict()).map_err(|error| {
            Finding::at(index.locate(error.range().start), format!("not valid JSON: {}", error.kind()))
        })?;
        let members = match parsed.value.as_ref().map(convert) {
            Some((_, Node::Object(members))) => members,
            _ => return Err(Finding::at(index.locate(0), "not a JSON object".to_string())),
        };
        Ok(Manifest { text, value, members })
    }

    /// The text of package.json, as read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed value (always a JSON object).
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }

    /// `name`, if it is a string.
    pub fn name(&self) -> Option<&str> {
        self.value.get("name").and_then(serde_json::Value::as_str)
    }

    /// The top-level member `key` (the last one, as JSON.parse keeps it).
    pub(crate) fn member(&self, key: &str) -> Option<&Member> {
        self.members.iter().rev().find(|member| member.key == key)
    }

    /// Where byte `offset` of package.json is.
    pub(crate) fn locate(&self, offset: usize) -> Location {
        LineIndex::new(FILE, &self.text).locate(offset)
    }

    /// The dependency names of the object-valued `section`, with their key offsets.
    pub(crate) fn names_in(&self, section: &str) -> Vec<(&str, usize)> {
        match self.member(section).map(|member| &member.value) {
            Some(Node::Object(members)) => members.iter().map(|m| (m.key.as_str(), m.key_offset)).collect(),
            _ => Vec::new(),
        }
    }
}

/// The two packages the rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    Puppet,
    Wechaty,
}

impl Base {
    pub(crate) const ALL: [Base; 2] = [Base::Puppet, Base::Wechaty];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Base::Puppet => "wechaty-puppet",
            Base::Wechaty => "wechaty",
        }
    }

    /// `wechaty-puppet` or a scoped fork of it (`@juzi/wechaty-puppet`); likewise for `wechaty`.
    pub(crate) fn matches(self, dependency: &str) -> bool {
        let bare = match dependency.strip_prefix('@') {
            Some(scoped) => match scoped.split_once('/') {
                Some((scope, rest)) if !scope.is_empty() => rest,
                _ => return false,
            },
            None => dependency,
        };
        bare == self.name()
    }

    fn of(dependency: &str) -> Option<Base> {
        Base::ALL.into_iter().find(|base| base.matches(dependency))
    }
}

const WHY_NOT_RUNTIME: &str =
    "and must not be: the application brings its own, so it belongs in peerDependencies and devDependencies";

/// The must-rule (see [`super::judge_runtime_dependencies`]).
pub(crate) fn judge_runtime(manifest: &Manifest) -> Judgement {
    let mut findings = Vec::new();
    for section in RUNTIME_SECTIONS {
        for (name, offset) in manifest.names_in(section) {
            if Base::of(name).is_some() {
                findings.push(Finding::at(
                    manifest.locate(offset),
                    format!("\"{name}\" is in {section}, {WHY_NOT_RUNTIME}"),
                ));
            }
        }
    }
    for section in BUNDLE_SECTIONS {
        let Some(member) = manifest.member(section) else { continue };
        match &member.value {
            Node::Array(elements) => {
                for (offset, element) in elements {
                    if let Node::String(name) = element
                        && Base::of(name).is_some()
                    {
                        findings.push(Finding::at(
                            manifest.locate(*offset),
                            format!("\"{name}\" is in {section}, {WHY_NOT_RUNTIME}"),
                        ));
                    }
                }
            }
            Node::Bool(true) => {
                for (name, _) in manifest.names_in("dependencies") {
                    if Base::of(name).is_some() {
                        findings.push(Finding::at(
                            manifest.locate(member.value_offset),
                            format!(
                                "{section} is `true`, which bundles \"{name}\" from dependencies, {WHY_NOT_RUNTIME}"
                            ),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if findings.is_empty() {
        Judgement::Pass {
            note: Some(
                "neither wechaty-puppet nor wechaty (nor a scoped fork) is in dependencies, optionalDependencies or \
                 bundleDependencies"
                    .to_string(),
            ),
        }
    } else {
        Judgement::Fail { findings }
    }
}

/// The should-rule (see [`super::judge_peer_and_dev_dependencies`]).
pub(crate) fn judge_peer_and_dev(manifest: &Manifest) -> Judgement {
    let mut findings = Vec::new();
    let mut satisfied = Vec::new();
    for base in Base::ALL {
        // The names of this base the package uses anywhere (a scoped fork stands for the base).
        let mut family: Vec<&str> = DECLARING_SECTIONS
            .iter()
            .flat_map(|section| manifest.names_in(section))
            .map(|(name, _)| name)
            .filter(|name| base.matches(name))
            .collect();
        family.sort_unstable();
        family.dedup();
        if family.is_empty() {
            family.push(base.name());
        }
        let wanted = family.iter().map(|name| format!("\"{name}\"")).collect::<Vec<_>>().join(" or ");
        for section in ["peerDependencies", "devDependencies"] {
            let present = manifest.names_in(section).iter().any(|(name, _)| family.contains(name));
            if present {
                satisfied.push(format!("{} in {section}", family.join("/")));
                continue;
            }
            let elsewhere: Vec<String> = DECLARING_SECTIONS
                .iter()
                .filter(|other| **other != section)
                .flat_map(|other| {
                    manifest
                        .names_in(other)
                        .into_iter()
                        .filter(|(name, _)| family.contains(name))
                        .map(move |(_, offset)| format!("{other} at {}", manifest.locate(offset)))
                })
                .collect();
            let hint =
                if elsewhere.is_empty() { String::new() } else { format!(" (it is in {})", elsewhere.join(", ")) };
            let message = format!("{wanted} is missing from {section}, and should be there{hint}");
            findings.push(match manifest.member(section) {
                Some(member) => Finding::at(manifest.locate(member.key_offset), message),
                None => Finding::general(format!("{FILE}: {message}")),
            });
        }
    }
    if findings.is_empty() {
        Judgement::Pass { note: Some(satisfied.join("; ")) }
    } else {
        Judgement::Fail { findings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_forks_count_for_their_base() {
        assert!(Base::Puppet.matches("@juzi/wechaty-puppet"));
        assert!(Base::Wechaty.matches("@juzi/wechaty"));
        assert!(!Base::Wechaty.matches("wechaty-puppet"));
        assert!(!Base::Puppet.matches("wechaty-puppet-mock"));
        assert!(!Base::Puppet.matches("@/wechaty-puppet"));
        assert!(!Base::Puppet.matches("@a/b/wechaty-puppet"));
    }

    #[test]
    fn errors_have_positions() {
        let broken = Manifest::parse(b"{\n  \"a\": 1\n  \"b\": 2\n}".to_vec()).err().map(|f| f.to_string());
        assert_eq!(broken.as_deref(), Some("package.json:3:3: not valid JSON: expected `,` or `}`"));
        let not_utf8 = Manifest::parse(b"{\n \xff}".to_vec()).err().map(|f| f.to_string());
        assert_eq!(not_utf8.as_deref(), Some("package.json:2:2: not valid UTF-8"));
        let array = Manifest::parse(b"[]".to_vec()).err().map(|f| f.to_string());
        assert_eq!(array.as_deref(), Some("package.json:1:1: not a JSON object"));
        let empty = Manifest::parse(Vec::new()).err().map(|f| f.to_string());
        assert!(empty.is_some_and(|e| e.starts_with("package.json:1:1: not valid JSON")));
    }
}
