//! Event types and their JSON payloads.

use serde_json::Value;

use super::schema::JsonType;
use std::fmt;

/// An `EventType` from the wire. Numbers puppet-lint does not know (a fork's
/// 28–34, or anything newer) are kept as [`EventKind::Other`], never dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Unspecified,
    Heartbeat,
    Message,
    Dong,
    Post,
    Error,
    Friendship,
    RoomInvite,
    RoomJoin,
    RoomLeave,
    RoomTopic,
    Scan,
    Ready,
    Reset,
    Login,
    Logout,
    Dirty,
    Other(i32),
}

/// Wire number, name used in suites and reports.
const KNOWN: &[(EventKind, i32, &str)] = &[
    (EventKind::Unspecified, 0, "unspecified"),
    (EventKind::Heartbeat, 1, "heartbeat"),
    (EventKind::Message, 2, "message"),
    (EventKind::Dong, 3, "dong"),
    (EventKind::Post, 4, "post"),
    (EventKind::Error, 16, "error"),
    (EventKind::Friendship, 17, "friendship"),
    (EventKind::RoomInvite, 18, "room-invite"),
    (EventKind::RoomJoin, 19, "room-join"),
    (EventKind::RoomLeave, 20, "room-leave"),
    (EventKind::RoomTopic, 21, "room-topic"),
    (EventKind::Scan, 22, "scan"),
    (EventKind::Ready, 23, "ready"),
    (EventKind::Reset, 24, "reset"),
    (EventKind::Login, 25, "login"),
    (EventKind::Logout, 26, "logout"),
    (EventKind::Dirty, 27, "dirty"),
];

impl EventKind {
    pub fn from_wire(number: i32) -> Self {
        KNOWN.iter().find(|(_, wire, _)| *wire == number).map_or(EventKind::Other(number), |(kind, _, _)| *kind)
    }

    pub fn wire(self) -> i32 {
        match self {
            EventKind::Other(number) => number,
            known => KNOWN.iter().find(|(kind, _, _)| *kind == known).map_or(0, |(_, wire, _)| *wire),
        }
    }

    /// The name suites use: `login`, `room-invite`, … `type-28` for others.
    pub fn name(self) -> String {
        match self {
            EventKind::Other(number) => format!("type-{number}"),
            known => KNOWN
                .iter()
                .find(|(kind, _, _)| *kind == known)
                .map_or_else(String::new, |(_, _, name)| (*name).to_owned()),
        }
    }

    /// Parses a suite's event name (`login`, `type-28`).
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some(number) = name.strip_prefix("type-") {
            return number.parse().ok().map(EventKind::from_wire);
        }
        KNOWN.iter().find(|(_, _, known)| *known == name).map(|(kind, _, _)| *kind)
    }

    /// Every name a suite may use, for error messages and the schema.
    pub fn known_names() -> impl Iterator<Item = &'static str> {
        KNOWN.iter().map(|(_, _, name)| *name)
    }

    /// Every event type wechaty-puppet defines (UNSPECIFIED, which names no event, left out).
    pub fn known() -> impl Iterator<Item = EventKind> {
        KNOWN.iter().map(|(kind, _, _)| *kind).filter(|kind| *kind != EventKind::Unspecified)
    }

    /// Whether wechaty-puppet defines it (UNSPECIFIED and unknown numbers do not).
    pub fn is_known(self) -> bool {
        !matches!(self, EventKind::Unspecified | EventKind::Other(_))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Why a payload does not have the shape its event type promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadProblem {
    #[error("payload is not JSON ({0})")]
    NotJson(String),
    #[error("payload is JSON but not an object")]
    NotObject,
    #[error("payload has no \"{0}\"")]
    Missing(&'static str),
    #[error("payload's \"{field}\" should be {expected}, found {found}")]
    WrongType { field: &'static str, expected: &'static str, found: String },
}

/// Decodes a payload and takes a quick look at its top level, as its type's JSON Schema says
/// ([`super::schema::top_level`]): a required field missing (or null), or a top-level field of the wrong JSON
/// type, is the payload's problem (the first found). The JSON value is returned even when a field is wrong, so
/// matching can still use it. The whole schema is the payload judge's (`engine::field::shapes`).
pub fn decode_payload(kind: EventKind, raw: &str) -> (Option<Value>, Option<PayloadProblem>) {
    let top = super::schema::top_level(kind);
    if raw.trim().is_empty() {
        // Several servers send "" for payload-less events.
        return match top.and_then(|top| top.required.first()) {
            Some(field) => (None, Some(PayloadProblem::Missing(field))),
            None => (None, None),
        };
    }
    let value = match parse_cut(raw) {
        Ok(value) => value,
        Err(error) => return (None, Some(PayloadProblem::NotJson(error.to_string()))),
    };
    let Some(object) = value.as_object() else {
        return (Some(value), Some(PayloadProblem::NotObject));
    };
    let Some(top) = top else { return (Some(value), None) };
    let problem = top
        .required
        .iter()
        .find(|field| {
            object.get(field.as_str()).is_none_or(|found| {
                found.is_null()
                    && !top.types.iter().any(|(typed, types)| typed == *field && types.contains(&JsonType::Null))
            })
        })
        .map(|field| PayloadProblem::Missing(field))
        .or_else(|| {
            top.types.iter().find_map(|(field, types)| {
                let found = object.get(field.as_str())?;
                let required = top.required.contains(field);
                if types.iter().any(|json| json.matches(found)) || (found.is_null() && !required) {
                    return None;
                }
                Some(PayloadProblem::WrongType {
                    field,
                    expected: types[0].name(),
                    found: json_type_name(found).to_owned(),
                })
            })
        });
    (Some(value), problem)
}

/// A string value longer than this (bytes) is kept cut: its head, then how
/// long it was (see [`parse_cut`]).
pub const LONG_STRING: usize = 64 * 1024;

/// How much of a long string is kept (bytes, cut at a character boundary).
const LONG_STRING_HEAD: usize = 1024;

/// Parses JSON like `serde_json::from_str`, except that every string value
/// longer than [`LONG_STRING`] bytes is kept as its first KiB followed by
/// `… (N bytes in all)`. No rule reads past the head of a long string, and
/// an 8 MiB payload must cost kilobytes once judged, not a second copy: a
/// string without escapes is borrowed from `raw` while parsing, never copied
/// whole. Types, nesting and every other value are as parsed; errors are
/// serde_json's (line and column).
pub fn parse_cut(raw: &str) -> serde_json::Result<Value> {
    use serde::de::DeserializeSeed;
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    let value = CutValue.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// `text` itself, or its head and length when it is longer than [`LONG_STRING`].
pub fn cut_long(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= LONG_STRING {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut head = LONG_STRING_HEAD;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    std::borrow::Cow::Owned(format!("{}… ({} bytes in all)", &text[..head], text.len()))
}

/// Builds a [`Value`] with long strings cut (see [`parse_cut`]).
struct CutValue;

impl<'de> serde::de::DeserializeSeed<'de> for CutValue {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CutValue {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(cut_long(value).into_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(if value.len() > LONG_STRING { cut_long(&value).into_owned() } else { value }))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(CutValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let value = map.next_value_seed(CutValue)?;
            object.insert(cut_long(&key).into_owned(), value);
        }
        Ok(Value::Object(object))
    }
}

pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A `scan` event's `status`: wechaty-puppet's `ScanStatus` (Unknown 0 … Timeout 5). Numbers outside it are kept
/// as [`ScanStatus::Other`] and shown as their number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanStatus {
    Unknown,
    Cancel,
    Waiting,
    Scanned,
    Confirmed,
    Timeout,
    Other(i64),
}

impl ScanStatus {
    pub fn from_wire(number: i64) -> Self {
        match number {
            0 => ScanStatus::Unknown,
            1 => ScanStatus::Cancel,
            2 => ScanStatus::Waiting,
            3 => ScanStatus::Scanned,
            4 => ScanStatus::Confirmed,
            5 => ScanStatus::Timeout,
            other => ScanStatus::Other(other),
        }
    }

    /// The status of a `scan` payload (`{"status": 2, …}`); `None` when it has no numeric status.
    pub fn of_payload(payload: Option<&Value>) -> Option<Self> {
        payload.and_then(|payload| payload.get("status")).and_then(Value::as_i64).map(Self::from_wire)
    }
}

impl fmt::Display for ScanStatus {
    /// wechaty-puppet's enum name (`Waiting`), as a bot's `ScanStatus[status]` prints it; others as their number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ScanStatus::Unknown => "Unknown",
            ScanStatus::Cancel => "Cancel",
            ScanStatus::Waiting => "Waiting",
            ScanStatus::Scanned => "Scanned",
            ScanStatus::Confirmed => "Confirmed",
            ScanStatus::Timeout => "Timeout",
            ScanStatus::Other(number) => return write!(f, "{number}"),
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_number_round_trips_through_its_name() {
        for (kind, wire, name) in KNOWN {
            assert_eq!(EventKind::from_wire(*wire), *kind);
            assert_eq!(kind.wire(), *wire);
            assert_eq!(EventKind::from_name(name), Some(*kind));
        }
    }

    #[test]
    fn unknown_numbers_are_kept() {
        let fork_tag = EventKind::from_wire(28);
        assert_eq!(fork_tag, EventKind::Other(28));
        assert_eq!(fork_tag.name(), "type-28");
        assert_eq!(fork_tag.wire(), 28);
        assert_eq!(EventKind::from_name("type-28"), Some(fork_tag));
        assert_eq!(EventKind::from_name("no-such-event"), None);
    }

    #[test]
    fn login_payload_needs_a_string_contact_id() {
        let (value, problem) = decode_payload(EventKind::Login, r#"{"contactId":"bot"}"#);
        assert_eq!(value.unwrap()["contactId"], "bot");
        assert_eq!(problem, None);

        let (_, problem) = decode_payload(EventKind::Login, r#"{"contactId":42}"#);
        assert_eq!(problem.unwrap().to_string(), "payload's \"contactId\" should be a string, found a number");
        let (_, problem) = decode_payload(EventKind::Login, "{}");
        assert_eq!(problem, Some(PayloadProblem::Missing("contactId")));
    }

    #[test]
    fn long_strings_are_kept_cut_and_everything_else_as_parsed() {
        let long = "é".repeat(LONG_STRING);
        let raw = format!(r#"{{"messageId":"m-1","text":"{long}","n":[1,-2,3.5,true,null,{{"k":"v\n"}}]}}"#);
        let value = parse_cut(&raw).unwrap();
        assert_eq!(value["messageId"], "m-1");
        let text = value["text"].as_str().unwrap();
        assert!(text.len() < 2048 && text.ends_with(&format!("… ({} bytes in all)", long.len())), "{text}");
        assert_eq!(value["n"], serde_json::json!([1, -2, 3.5, true, null, {"k": "v\n"}]));
        let (_, problem) = decode_payload(EventKind::Message, &raw);
        assert_eq!(problem, None);
        // Errors are serde_json's, trailing garbage included.
        assert!(parse_cut("{} x").is_err());
        assert!(parse_cut(&"[".repeat(1000)).is_err(), "nesting is bounded");
        assert_eq!(parse_cut("\"short\"").unwrap(), "short");
    }

    #[test]
    fn garbage_payloads_are_findings_not_panics() {
        for raw in ["not json", "[1,2]", "\u{0}\u{1}", "{\"messageId\":", "null", "\"text\""] {
            let (_, problem) = decode_payload(EventKind::Message, raw);
            assert!(problem.is_some(), "{raw:?} should be a finding");
        }
        let (_, problem) = decode_payload(EventKind::Heartbeat, "");
        assert_eq!(problem, None, "a heartbeat needs no payload");
    }
}
