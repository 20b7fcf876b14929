//! The one source of every event payload's shape: the JSON Schema files in `schemas/events/` (draft 2020-12, one
//! per event type, embedded). The payload judge (`engine::field::shapes`) validates against them in full; the
//! timeline's quick look at each arriving payload ([`crate::wire::decode_payload`]) reads from the same files the
//! top-level fields a payload must carry and the JSON types of its top-level fields.

use std::sync::LazyLock;

use serde_json::Value;

use super::EventKind;

/// The schema files, by event type: `schemas/events/<name>.schema.json` in the repository.
pub const SCHEMA_FILES: &[(EventKind, &str)] = &[
    (EventKind::Heartbeat, include_str!("../../schemas/events/heartbeat.schema.json")),
    (EventKind::Message, include_str!("../../schemas/events/message.schema.json")),
    (EventKind::Dong, include_str!("../../schemas/events/dong.schema.json")),
    (EventKind::Post, include_str!("../../schemas/events/post.schema.json")),
    (EventKind::Error, include_str!("../../schemas/events/error.schema.json")),
    (EventKind::Friendship, include_str!("../../schemas/events/friendship.schema.json")),
    (EventKind::RoomInvite, include_str!("../../schemas/events/room-invite.schema.json")),
    (EventKind::RoomJoin, include_str!("../../schemas/events/room-join.schema.json")),
    (EventKind::RoomLeave, include_str!("../../schemas/events/room-leave.schema.json")),
    (EventKind::RoomTopic, include_str!("../../schemas/events/room-topic.schema.json")),
    (EventKind::Scan, include_str!("../../schemas/events/scan.schema.json")),
    (EventKind::Ready, include_str!("../../schemas/events/ready.schema.json")),
    (EventKind::Reset, include_str!("../../schemas/events/reset.schema.json")),
    (EventKind::Login, include_str!("../../schemas/events/login.schema.json")),
    (EventKind::Logout, include_str!("../../schemas/events/logout.schema.json")),
    (EventKind::Dirty, include_str!("../../schemas/events/dirty.schema.json")),
];

/// A JSON type a schema names (`"type": "string"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => JsonType::String,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "boolean" => JsonType::Boolean,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            "null" => JsonType::Null,
            _ => return None,
        })
    }

    /// Whether `value` is of this type (JSON Schema: an integer is a number with no fractional part).
    pub fn matches(self, value: &Value) -> bool {
        match self {
            JsonType::String => value.is_string(),
            JsonType::Integer => value.as_f64().is_some_and(|number| number.fract() == 0.0),
            JsonType::Number => value.is_number(),
            JsonType::Boolean => value.is_boolean(),
            JsonType::Array => value.is_array(),
            JsonType::Object => value.is_object(),
            JsonType::Null => value.is_null(),
        }
    }

    /// `a string`, `an integer`, … for messages.
    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Integer => "an integer",
            JsonType::Number => "a number",
            JsonType::Boolean => "a boolean",
            JsonType::Array => "an array",
            JsonType::Object => "an object",
            JsonType::Null => "null",
        }
    }
}

/// What a schema says of a payload's top level: the fields it requires, and the types of the fields it types.
#[derive(Debug, Default)]
pub struct TopLevel {
    pub required: Vec<String>,
    /// Field and its allowed types (one, or several for `"type": [...]`).
    pub types: Vec<(String, Vec<JsonType>)>,
}

static TOP_LEVELS: LazyLock<Vec<(EventKind, TopLevel)>> = LazyLock::new(|| {
    SCHEMA_FILES
        .iter()
        .map(|(kind, text)| {
            // The files are ours and embedded: one that is not JSON is a bug the tests catch.
            let schema: Value =
                serde_json::from_str(text).unwrap_or_else(|error| panic!("schemas/events/{kind}: not JSON: {error}"));
            let required = schema["required"]
                .as_array()
                .map(|fields| fields.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            let types = schema["properties"]
                .as_object()
                .map(|properties| {
                    properties
                        .iter()
                        .filter_map(|(field, property)| {
                            let types: Vec<JsonType> = match &property["type"] {
                                Value::String(name) => JsonType::parse(name).into_iter().collect(),
                                Value::Array(names) => {
                                    names.iter().filter_map(Value::as_str).filter_map(JsonType::parse).collect()
                                }
                                _ => Vec::new(),
                            };
                            (!types.is_empty()).then(|| (field.clone(), types))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (*kind, TopLevel { required, types })
        })
        .collect()
});

/// The top level of `kind`'s schema; `None` for an event type with no schema (UNSPECIFIED, unknown numbers).
pub fn top_level(kind: EventKind) -> Option<&'static TopLevel> {
    TOP_LEVELS.iter().find(|(known, _)| *known == kind).map(|(_, top)| top)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_event_type_has_a_schema_naming_its_number() {
        for kind in EventKind::known() {
            let (_, text) = SCHEMA_FILES.iter().find(|(known, _)| *known == kind).expect("a schema file");
            let schema: Value = serde_json::from_str(text).unwrap();
            assert_eq!(schema["x-event-number"], kind.wire(), "{kind}");
        }
    }

    #[test]
    fn the_top_level_is_read_from_the_schema() {
        let login = top_level(EventKind::Login).unwrap();
        assert_eq!(login.required, ["contactId"]);
        assert!(login.types.iter().any(|(field, types)| field == "contactId" && types == &[JsonType::String]));
        let scan = top_level(EventKind::Scan).unwrap();
        assert!(scan.types.iter().any(|(field, types)| field == "status" && types == &[JsonType::Integer]));
        assert!(top_level(EventKind::Other(28)).is_none());
    }
}
