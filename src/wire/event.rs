//! Event types and their JSON payloads.

use serde_json::Value;
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

/// The fields an event type's payload must carry, and their JSON types.
fn required_fields(kind: EventKind) -> &'static [(&'static str, Json)] {
    match kind {
        EventKind::Login => &[("contactId", Json::String)],
        EventKind::Logout => &[("contactId", Json::String)],
        EventKind::Message => &[("messageId", Json::String)],
        EventKind::Dong => &[("data", Json::String)],
        EventKind::Scan => &[("status", Json::Number)],
        EventKind::Dirty => &[("payloadType", Json::Number), ("payloadId", Json::String)],
        _ => &[],
    }
}

#[derive(Clone, Copy)]
enum Json {
    String,
    Number,
}

impl Json {
    fn matches(self, value: &Value) -> bool {
        match self {
            Json::String => value.is_string(),
            Json::Number => value.is_number(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Json::String => "a string",
            Json::Number => "a number",
        }
    }
}

/// Decodes a payload and checks the fields its type requires. The JSON value
/// is returned even when a field is wrong, so matching can still use it.
pub fn decode_payload(kind: EventKind, raw: &str) -> (Option<Value>, Option<PayloadProblem>) {
    if raw.trim().is_empty() {
        // Several servers send "" for payload-less events.
        return match required_fields(kind).first() {
            Some((field, _)) => (None, Some(PayloadProblem::Missing(field))),
            None => (None, None),
        };
    }
    let value: Value = match serde_json::from_str(raw) {
        Ok(value) => value,
        Err(error) => return (None, Some(PayloadProblem::NotJson(error.to_string()))),
    };
    let Some(object) = value.as_object() else {
        return (Some(value), Some(PayloadProblem::NotObject));
    };
    for (field, json) in required_fields(kind) {
        match object.get(*field) {
            None | Some(Value::Null) => {
                return (Some(value.clone()), Some(PayloadProblem::Missing(field)));
            }
            Some(found) if !json.matches(found) => {
                let problem =
                    PayloadProblem::WrongType { field, expected: json.name(), found: json_type_name(found).to_owned() };
                return (Some(value.clone()), Some(problem));
            }
            Some(_) => {}
        }
    }
    (Some(value), None)
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

/// `ScanStatus` names, for showing scan events to a person.
pub fn scan_status_name(status: i64) -> &'static str {
    match status {
        0 => "unknown",
        1 => "cancel",
        2 => "waiting",
        3 => "scanned",
        4 => "confirmed",
        5 => "timeout",
        _ => "out of range",
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
    fn garbage_payloads_are_findings_not_panics() {
        for raw in ["not json", "[1,2]", "\u{0}\u{1}", "{\"messageId\":", "null", "\"text\""] {
            let (_, problem) = decode_payload(EventKind::Message, raw);
            assert!(problem.is_some(), "{raw:?} should be a finding");
        }
        let (_, problem) = decode_payload(EventKind::Heartbeat, "");
        assert_eq!(problem, None, "a heartbeat needs no payload");
    }
}
