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
    Number,
    Null,
}

impl Node {
    /// What kind of JSON value this is, for a message ("an array", "a string"…).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Object(_) => "an object",
            Node::Array(_) => "an array",
            Node::String(_) => "a string",
            Node::Bool(true) => "`true`",
            Node::Bool(false) => "`false`",
            Node::Number => "a number",
            Node::Null => "`null`",
        }
    }
}

/// Whether a JSON value is truthy the way JavaScript (and so npm, for `"private"`) sees it: anything but `false`,
/// `null`, `0` and `""`.
pub(crate) fn truthy(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        serde_json::Value::String(s) => !s.is_empty(),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => true,
    }
}

/// The package name of a dependency written as `name@range` in an array or string section (`@s/p@1` → `@s/p`).
fn without_version(entry: &str) -> &str {
    match entry.rfind('@') {
        Some(at) if at > 0 => &entry[..at],
        _ => entry,
    }
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
        Value::NumberLit(n) => (n.range.start, Node::Number),
        Value::NullKeyword(n) => (n.range.start, Node::Null),
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
    pub(crate) fn parse(mut bytes: Vec<u8>) -> Result<Manifest, Finding> {
        // npm reads package.json with a UTF-8 byte order mark as without; it is not part of the text (so columns
        // do not count it either).
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
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

    /// The text of package.json, as read (without a byte order mark).
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

    /// The names a dependency section declares however it is written, with their offsets: the keys of an object,
    /// and the names (without `@version`) of an array of strings or of a whitespace- or comma-separated string —
    /// forms npm's tooling may still turn into dependencies.
    pub(crate) fn declared_names(&self, section: &str) -> Vec<(String, usize)> {
        let Some(member) = self.member(section) else { return Vec::new() };
        match &member.value {
            Node::Object(members) => members.iter().map(|m| (m.key.clone(), m.key_offset)).collect(),
            Node::Array(elements) => elements
                .iter()
                .filter_map(|(offset, element)| match element {
                    Node::String(entry) => Some((without_version(entry.trim()).to_string(), *offset)),
                    _ => None,
                })
                .collect(),
            Node::String(list) => list
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|entry| !entry.is_empty())
                .map(|entry| (without_version(entry).to_string(), member.value_offset))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The top-level member `section` when it is there but not an object.
    pub(crate) fn malformed(&self, section: &str) -> Option<&Member> {
        self.member(section).filter(|member| !matches!(member.value, Node::Object(_)))
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
    for (section, member, names) in hiding_sections(manifest) {
        let listed = names.iter().map(|(name, offset)| format!("\"{name}\" (at {})", manifest.locate(*offset)));
        findings.push(Finding::at(
            manifest.locate(member.value_offset),
            format!(
                "{section} should be an object mapping names to versions, not {}; it names {}, which npm's tooling \
                 may still install as a runtime dependency, {WHY_NOT_RUNTIME}",
                member.value.kind(),
                listed.collect::<Vec<_>>().join(", ")
            ),
        ));
    }
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

/// The runtime sections (`dependencies`, `optionalDependencies`) that are not objects but name `wechaty-puppet`
/// or `wechaty` (or a scoped fork): the must-rule's business. Other malformed sections are the should-rule's.
/// A section, its member, and the puppet/wechaty names (with offsets) it declares.
type Hiding<'m> = (&'static str, &'m Member, Vec<(String, usize)>);

fn hiding_sections(manifest: &Manifest) -> Vec<Hiding<'_>> {
    RUNTIME_SECTIONS
        .into_iter()
        .filter_map(|section| {
            let member = manifest.malformed(section)?;
            let names: Vec<(String, usize)> =
                manifest.declared_names(section).into_iter().filter(|(name, _)| Base::of(name).is_some()).collect();
            (!names.is_empty()).then_some((section, member, names))
        })
        .collect()
}

/// The should-rule (see [`super::judge_peer_and_dev_dependencies`]).
pub(crate) fn judge_peer_and_dev(manifest: &Manifest) -> Judgement {
    let mut findings = Vec::new();
    let hiding: Vec<&str> = hiding_sections(manifest).into_iter().map(|(section, ..)| section).collect();
    for section in DECLARING_SECTIONS.into_iter().filter(|section| !hiding.contains(section)) {
        if let Some(member) = manifest.malformed(section) {
            findings.push(Finding::at(
                manifest.locate(member.value_offset),
                format!(
                    "{section} should be an object mapping names to versions, not {}: npm expects `{{ \"name\": \"range\" }}`",
                    member.value.kind()
                ),
            ));
        }
    }
    for section in BUNDLE_SECTIONS {
        if let Some(member) = manifest.member(section)
            && !matches!(member.value, Node::Array(_) | Node::Bool(_))
        {
            findings.push(Finding::at(
                manifest.locate(member.value_offset),
                format!("{section} should be an array of names (or `true`/`false`), not {}", member.value.kind()),
            ));
        }
    }
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
        // A package that calls itself a puppet but builds on none yet: told why it is judged, and what to add.
        let presents = match base {
            Base::Puppet if family.is_empty() => super::applicability::presents_as_puppet(manifest),
            _ => None,
        };
        if family.is_empty() {
            family.push(base.name());
        }
        let wanted = family.iter().map(|name| format!("\"{name}\"")).collect::<Vec<_>>().join(" or ");
        for section in ["peerDependencies", "devDependencies"] {
            if manifest.malformed(section).is_some() {
                // Said above: the section is not an object.
                continue;
            }
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
            let hint = match &presents {
                Some(how) if section == "peerDependencies" => format!(
                    ": {FILE} presents the package as a Wechaty puppet ({how}), yet it depends on no `wechaty-puppet`; \
                     add it with the version range the provider supports"
                ),
                _ if elsewhere.is_empty() => String::new(),
                _ => format!(" (it is in {})", elsewhere.join(", ")),
            };
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
