//! Every event payload's shape, checked against the JSON Schema (draft 2020-12) files in `schemas/events/`.
//!
//! The files are the contract: providers can validate offline with any JSON Schema tool, and this module embeds
//! the same files (`include_str!`), so the check and the files cannot drift. Each file describes one wechaty-puppet
//! payload type (wechaty-puppet 1.21.3 `src/schemas/event.ts`, WIRE.md "Events"); the `description` of the schema
//! node that fails names the rule in the problem's message. A file's `$defs.should` holds should-level advice
//! (legacy shapes, millisecond timestamps) applied on top: failing it is a `Should`, never a `Must`.
//!
//! Extra fields are allowed: wechaty-puppet's types do not forbid them and forks add some.

use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use crate::vocab::Severity;
use crate::wire::EventKind;

/// One thing wrong with a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeProblem {
    pub level: Severity,
    /// JSON pointer into the payload; `""` for the whole payload.
    pub pointer: String,
    /// Names the event, the field and the rule, e.g.
    /// "`room-join`.inviteeIdList/0 is null: id lists hold non-empty contact ids (must)".
    pub message: String,
}

pub use crate::wire::schema::SCHEMA_FILES;

struct Compiled {
    kind: EventKind,
    schema: Value,
    validator: jsonschema::Validator,
    should: Option<(Value, jsonschema::Validator)>,
}

fn compile(schema: &Value) -> jsonschema::Validator {
    // The files are ours and embedded: a file that does not compile is a bug caught by the tests.
    jsonschema::draft202012::new(schema).unwrap_or_else(|e| panic!("schemas/events: bad schema: {e}"))
}

static COMPILED: LazyLock<Vec<Compiled>> = LazyLock::new(|| {
    SCHEMA_FILES
        .iter()
        .map(|(kind, text)| {
            let schema: Value =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("schemas/events/{kind}: not JSON: {e}"));
            let validator = compile(&schema);
            let should = schema.pointer("/$defs/should").map(|s| (s.clone(), compile(s)));
            Compiled { kind: *kind, schema, validator, should }
        })
        .collect()
});

/// Check one event's payload (the `EventResponse.payload` string) against its event type's schema.
///
/// Unknown event numbers give exactly one `Should` problem (they are kept and shown, never dropped: WIRE.md
/// "Unknown numbers must be kept and shown"); a payload that is not JSON gives one `Must` problem.
pub fn check(number: i32, payload: &str) -> Vec<ShapeProblem> {
    check_parsed(number, crate::wire::parse_cut(payload).as_ref().map_err(|e| e.to_string()))
}

/// [`check`] for a payload already parsed (the timeline's, long strings cut: types and values are the wire's),
/// or the parse error of one that is not JSON.
pub fn check_parsed(number: i32, payload: Result<&Value, String>) -> Vec<ShapeProblem> {
    let kind = EventKind::from_wire(number);
    let Some(compiled) = COMPILED.iter().find(|c| c.kind == kind) else {
        let what = if number == 0 {
            "is UNSPECIFIED and names no event".to_string()
        } else if (28..=34).contains(&number) {
            "is not an upstream event type (28-34 are a fork's additions)".to_string()
        } else {
            "is not an event type wechaty-puppet defines".to_string()
        };
        return vec![ShapeProblem {
            level: Severity::Should,
            pointer: String::new(),
            message: format!(
                "`{}` payload not checked: event type {number} {what}; unknown event types are kept and shown (should)",
                kind.name()
            ),
        }];
    };
    let name = compiled.kind.name();
    let value = match payload {
        Ok(v) => v,
        Err(e) => {
            return vec![ShapeProblem {
                level: Severity::Must,
                pointer: String::new(),
                message: format!("`{name}` payload is not JSON ({e}): event payloads are JSON objects (must)"),
            }];
        }
    };
    let mut problems: Vec<ShapeProblem> =
        compiled.validator.iter_errors(value).map(|e| problem(&name, Severity::Must, &compiled.schema, &e)).collect();
    if let Some((should_schema, should)) = &compiled.should {
        for e in should.iter_errors(value) {
            let p = problem(&name, Severity::Should, should_schema, &e);
            // A field that already breaks a must rule needs no advice on top.
            if !problems.iter().any(|m| m.level == Severity::Must && p.pointer.starts_with(&m.pointer)) {
                problems.push(p);
            }
        }
    }
    problems
}

/// The `description` that names the rule: the failing schema node's, or its nearest ancestor's.
fn rule_text(schema: &Value, schema_path: &str, kind: &ValidationErrorKind) -> String {
    let mut segments: Vec<&str> = schema_path.split('/').skip(1).collect();
    segments.pop(); // the failing keyword itself
    let node_pointer = |segs: &[&str]| if segs.is_empty() { String::new() } else { format!("/{}", segs.join("/")) };
    if let ValidationErrorKind::Required { property } = kind
        && let Some(prop) = property.as_str()
        && let Some(node) = schema.pointer(&node_pointer(&segments))
        && let Some(d) = node.get("properties").and_then(|p| p.get(prop)).and_then(|p| p.get("description"))
        && let Some(d) = d.as_str()
    {
        return d.to_string();
    }
    loop {
        if let Some(d) = schema.pointer(&node_pointer(&segments)).and_then(|n| n.get("description"))
            && let Some(d) = d.as_str()
        {
            return d.to_string();
        }
        if segments.pop().is_none() {
            return "the payload matches its schema".to_string();
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A short rendering of a value for a message (1 MB strings must not end up in a report).
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        let head: String = text.chars().take(37).collect();
        format!("{head}…")
    } else {
        text
    }
}

fn expected(kind: &TypeKind) -> String {
    let names: Vec<String> = match kind {
        TypeKind::Single(t) => vec![t.to_string()],
        TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
    };
    names
        .iter()
        .map(|n| if n == "object" || n == "array" || n == "integer" { format!("an {n}") } else { format!("a {n}") })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn problem(name: &str, level: Severity, schema: &Value, e: &jsonschema::ValidationError<'_>) -> ShapeProblem {
    let kind = e.kind();
    let instance = e.instance();
    let mut pointer = e.instance_path().as_str().to_string();
    let what = match kind {
        ValidationErrorKind::Required { property } => {
            let prop = property.as_str().map(str::to_string).unwrap_or_else(|| property.to_string());
            pointer = format!("{pointer}/{}", prop.replace('~', "~0").replace('/', "~1"));
            "is missing".to_string()
        }
        ValidationErrorKind::Type { kind } => match instance.as_ref() {
            Value::Null => "is null".to_string(),
            v => format!("is {} ({}), expected {}", short(v), type_name(v), expected(kind)),
        },
        ValidationErrorKind::MinLength { limit: 1 } => "is empty".to_string(),
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. } => format!("is {}, out of range", short(instance)),
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            "matches none of the accepted shapes".to_string()
        }
        _ => format!("is invalid ({})", e.masked()),
    };
    let field = if pointer.is_empty() { " payload".to_string() } else { format!(".{}", &pointer[1..]) };
    let rule = rule_text(schema, e.schema_path().as_str(), kind);
    ShapeProblem { level, pointer, message: format!("`{name}`{field} {what}: {rule} ({level})") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn musts(p: &[ShapeProblem]) -> Vec<&ShapeProblem> {
        p.iter().filter(|p| p.level == Severity::Must).collect()
    }

    #[test]
    fn every_schema_file_compiles_and_names_its_event() {
        assert_eq!(COMPILED.len(), SCHEMA_FILES.len());
        for c in COMPILED.iter() {
            assert_eq!(c.schema["x-event-number"], c.kind.wire(), "{}", c.kind);
            assert!(jsonschema::meta::is_valid(&c.schema), "{} is not a valid draft 2020-12 schema", c.kind);
        }
        // every upstream event type has a file
        for kind in EventKind::known() {
            assert!(SCHEMA_FILES.iter().any(|(k, _)| *k == kind), "no schema for {kind}");
        }
    }

    #[test]
    fn null_in_invitee_id_list() {
        let p = check(
            19,
            r#"{"inviteeIdList":[null],"inviterId":"contact-1","roomId":"room-1@chatroom","timestamp":1723902388}"#,
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].level, Severity::Must);
        assert_eq!(p[0].pointer, "/inviteeIdList/0");
        assert_eq!(p[0].message, "`room-join`.inviteeIdList/0 is null: id lists hold non-empty contact ids (must)");
    }

    #[test]
    fn empty_entry_in_removee_id_list() {
        let p = check(20, r#"{"removeeIdList":["c-1",""],"removerId":"c-2","roomId":"r@chatroom","timestamp":1}"#);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].pointer, "/removeeIdList/1");
        assert!(p[0].message.contains("is empty: id lists hold non-empty contact ids"), "{}", p[0].message);
    }

    #[test]
    fn empty_contact_id() {
        let p = check(25, r#"{"contactId":""}"#);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].level, Severity::Must);
        assert_eq!(p[0].pointer, "/contactId");
        assert_eq!(p[0].message, "`login`.contactId is empty: contactId is the bot's non-empty contact id (must)");
    }

    #[test]
    fn missing_contact_id() {
        let p = check(26, r#"{"data":"bye"}"#);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].pointer, "/contactId");
        assert_eq!(p[0].message, "`logout`.contactId is missing: contactId is the bot's non-empty contact id (must)");
    }

    #[test]
    fn scan_status_out_of_range() {
        let p = check(22, r#"{"qrcode":"https://login.weixin.qq.com/l/abc","status":9}"#);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].level, Severity::Must);
        assert_eq!(p[0].pointer, "/status");
        assert!(p[0].message.starts_with("`scan`.status is 9, out of range: scan status is a ScanStatus number 0-5"));
        assert!(p[0].message.ends_with("(must)"));
        assert_eq!(musts(&check(22, r#"{"status":2.5}"#)).len(), 1);
        assert_eq!(musts(&check(22, r#"{"status":-1}"#)).len(), 1);
        assert_eq!(musts(&check(22, r#"{"status":"2"}"#)).len(), 1);
    }

    #[test]
    fn wrong_type() {
        let p = check(2, r#"{"messageId":42}"#);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].pointer, "/messageId");
        assert_eq!(
            p[0].message,
            "`message`.messageId is 42 (a number), expected a string: messageId is a non-empty message id (must)"
        );
        let p = check(19, r#"{"inviteeIdList":"c-1","inviterId":"c","roomId":"r","timestamp":"1723902388"}"#);
        let pointers: Vec<&str> = p.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers.len(), 2, "{p:?}");
        assert!(pointers.contains(&"/inviteeIdList") && pointers.contains(&"/timestamp"), "{p:?}");
    }

    #[test]
    fn whole_payload_not_an_object() {
        let p = check(25, "[]");
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].pointer, "");
        assert!(p[0].message.starts_with("`login` payload is [] (an array), expected an object:"), "{}", p[0].message);
    }

    #[test]
    fn legacy_error_shape_is_a_should() {
        let p = check(16, r#"{"data":"something broke"}"#);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].level, Severity::Should);
        assert_eq!(p[0].pointer, "/gerror");
        assert!(
            p[0].message.starts_with("`error`.gerror is missing: error payloads carry {gerror}"),
            "{}",
            p[0].message
        );
        assert!(p[0].message.ends_with("(should)"));
        // neither shape: must
        let p = check(16, r#"{}"#);
        assert_eq!(musts(&p).len(), 1, "{p:?}");
        assert!(musts(&p)[0].message.contains("matches none of the accepted shapes"), "{p:?}");
    }

    #[test]
    fn millisecond_timestamp_is_a_should() {
        let p = check(21, r#"{"changerId":"c","newTopic":"n","oldTopic":"","roomId":"r","timestamp":1723902388000}"#);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].level, Severity::Should);
        assert_eq!(p[0].pointer, "/timestamp");
    }

    #[test]
    fn dirty_payload_type() {
        assert!(check(27, r#"{"payloadType":2,"payloadId":"c-1"}"#).is_empty());
        let p = check(27, r#"{"payloadType":0,"payloadId":"c-1"}"#);
        assert_eq!(musts(&p).len(), 1, "{p:?}");
        let p = check(27, r#"{"payloadType":7,"payloadId":"c-1"}"#);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].level, Severity::Should);
        assert_eq!(musts(&check(27, r#"{"payloadType":9,"payloadId":"c-1"}"#)).len(), 1);
    }

    #[test]
    fn every_valid_example_passes() {
        let examples: &[(i32, &str)] = &[
            (1, r#"{"data":"Wechaty Puppet gRPC stream connect successfully"}"#),
            (1, r#"{}"#),
            (2, r#"{"messageId":"msg-1"}"#),
            (3, r#"{"data":"ding-1"}"#),
            (4, r#"{"postId":"post-1"}"#),
            (16, r#"{"gerror":"{\"code\":2,\"details\":\"boom\"}"}"#),
            (17, r#"{"friendshipId":"fr-1"}"#),
            (18, r#"{"roomInvitationId":"ri-1"}"#),
            (
                19,
                r#"{"inviteeIdList":["contact-2"],"inviterId":"contact-1","roomId":"room-1@chatroom","timestamp":1723902388}"#,
            ),
            (19, r#"{"inviteeIdList":[],"inviterId":"contact-1","roomId":"room-1@chatroom","timestamp":1723902388.5}"#),
            (20, r#"{"removeeIdList":["contact-2"],"removerId":"contact-1","roomId":"room-1@chatroom","timestamp":1}"#),
            (
                21,
                r#"{"changerId":"contact-1","newTopic":"new","oldTopic":"","roomId":"room-1@chatroom","timestamp":2}"#,
            ),
            (22, r#"{"qrcode":"https://login.weixin.qq.com/l/abc","status":2}"#),
            (22, r#"{"status":0}"#),
            (22, r#"{"status":5,"data":"timeout"}"#),
            (23, r#"{"data":"ready"}"#),
            (23, r#"{}"#),
            (24, r#"{"data":"reset"}"#),
            (25, r#"{"contactId":"bot-1"}"#),
            (25, r#"{"contactId":"bot-1","extra":"forks add fields"}"#),
            (26, r#"{"contactId":"bot-1","data":"logout()"}"#),
            (26, r#"{"contactId":"bot-1"}"#),
            (27, r#"{"payloadType":1,"payloadId":"msg-1"}"#),
        ];
        for (n, payload) in examples {
            assert_eq!(check(*n, payload), vec![], "{n} {payload}");
        }
        for (kind, _) in SCHEMA_FILES {
            assert!(examples.iter().any(|(m, _)| *m == kind.wire()), "no valid example for {kind}");
        }
    }

    #[test]
    fn unknown_and_unspecified_numbers_give_one_should() {
        for n in [0, 5, 15, 28, 34, 99, -1, i32::MAX, i32::MIN] {
            let p = check(n, r#"{"x":1}"#);
            assert_eq!(p.len(), 1, "{n}: {p:?}");
            assert_eq!(p[0].level, Severity::Should);
            assert!(p[0].message.contains(&format!("event type {n}")), "{}", p[0].message);
        }
    }

    #[test]
    fn non_json_gives_one_must() {
        for payload in ["", "{", "not json", "{\"contactId\":\"bot-1\"", "\"\\ud800\"", "{\"contactId\":\"\\udc00\"}"] {
            let p = check(25, payload);
            assert_eq!(p.len(), 1, "{payload:?}: {p:?}");
            assert_eq!(p[0].level, Severity::Must);
            assert!(p[0].message.starts_with("`login` payload is not JSON"), "{}", p[0].message);
        }
    }

    #[test]
    fn odd_inputs_never_panic() {
        let big = "x".repeat(1 << 20);
        let deep_array = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let deep_object = format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100));
        let deep_ok = format!("{{\"contactId\":\"bot\",\"x\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        let odd: Vec<String> = vec![
            String::new(),
            "[]".into(),
            "null".into(),
            "true".into(),
            "0".into(),
            "-0".into(),
            "1e400".into(),
            "\"\"".into(),
            "{}".into(),
            "\u{feff}{}".into(),
            " \n\t{ } ".into(),
            "\"\\ud800\"".into(),
            "{\"contactId\":\"\\ud800\\u0041\"}".into(),
            "{\"contactId\":\"\\ud83d\\ude00\"}".into(),
            "{\"contactId\":\"\u{0}\"}".into(),
            format!("{{\"contactId\":\"{big}\"}}"),
            format!("{{\"messageId\":{big_num}}}", big_num = "9".repeat(10_000)),
            format!("{{\"inviteeIdList\":[{}null],\"timestamp\":-1}}", "\"a\",".repeat(10_000)),
            format!("{{\"{big}\":1}}"),
            deep_array,
            deep_object,
            deep_ok,
            "{\"status\":1e308}".into(),
            "{\"status\":-1e308,\"qrcode\":[{}]}".into(),
            "{\"contactId\":\"a\",\"contactId\":null}".into(),
        ];
        for n in [-1, 0, 1, 2, 3, 4, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 1000] {
            for payload in &odd {
                let problems = check(n, payload);
                for p in &problems {
                    assert!(p.message.len() < 2_000, "message too long for {n}: {}", &p.message[..200]);
                    assert!(p.pointer.is_empty() || p.pointer.starts_with('/'));
                }
            }
        }
        // one JSON pointer per problem, pointing into the payload
        let p = check(19, &format!("{{\"inviteeIdList\":[{}null],\"timestamp\":-1}}", "\"a\",".repeat(100)));
        assert!(p.iter().any(|p| p.pointer == "/inviteeIdList/100"), "{p:?}");
    }
}
