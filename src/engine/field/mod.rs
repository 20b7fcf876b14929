//! Faults seen in the field: the puppet's login states judged over a whole recorded timeline ([`states`]) and the
//! shape of every event payload ([`shapes`], backed by the JSON Schema files in `schemas/events/`).

pub mod shapes;
pub mod states;

/// How strongly a rule binds: a `Must` breaks the official client or a bot; a `Should` is a deviation from
/// the official server that bots can live with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Must,
    Should,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `EventType` numbers of `wechaty.puppet` with wechaty-puppet's event names (WIRE.md "Events": UNSPECIFIED 0 …
/// DIRTY 27). 0 is in the enum but names no event.
pub const EVENT_NAMES: &[(i32, &str)] = &[
    (1, "heartbeat"),
    (2, "message"),
    (3, "dong"),
    (4, "post"),
    (16, "error"),
    (17, "friendship"),
    (18, "room-invite"),
    (19, "room-join"),
    (20, "room-leave"),
    (21, "room-topic"),
    (22, "scan"),
    (23, "ready"),
    (24, "reset"),
    (25, "login"),
    (26, "logout"),
    (27, "dirty"),
];

/// The wechaty-puppet name of an event type number, `None` for 0 (UNSPECIFIED) and numbers upstream does not define.
pub fn event_name(number: i32) -> Option<&'static str> {
    EVENT_NAMES.iter().find(|(n, _)| *n == number).map(|(_, name)| *name)
}

/// A name for any number: the event's name, or `UNSPECIFIED(0)` / `unknown(31)`.
pub fn display_name(number: i32) -> String {
    match event_name(number) {
        Some(name) => name.to_string(),
        None if number == 0 => "UNSPECIFIED(0)".to_string(),
        None => format!("unknown({number})"),
    }
}
