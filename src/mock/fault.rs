//! Faults: each breaks exactly one rule of the Puppet spec and nothing else,
//! so that every check can be shown to fail for the right reason.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum Fault {
    /// never emits `ready` after login
    NoReady,
    /// emits `ready` before `login`
    ReadyBeforeLogin,
    /// emits `ready` twice per login
    ReadyTwice,
    /// messages the bot sends never come back as `message` events
    NoEcho,
    /// sent messages come back with a contact, not the bot, as talker
    EchoWrongTalker,
    /// no periodic `heartbeat`: silent whenever idle
    NoHeartbeat,
    /// `Ding` is answered but no `dong` follows
    NoDong,
    /// `ContactPayload` of the bot's own id fails
    NoSelfContact,
    /// `Logout` clears the session without emitting `logout`
    NoLogoutEvent,
    /// `Logout` emits `logout` but keeps the session: the next start logs in without a scan
    SessionKeptAfterLogout,
    /// `Stop`/`Start` forgets the session: the bot must scan again, and gets a new id
    SessionLostOnRestart,
    /// file names lose their extension (`report.pdf` → `report`)
    StripFileExtension,
    /// file names get the extension of another type (`report.pdf` → `report.png`)
    WrongFileExtension,
    /// a received photo arrives as an image message named like a document (`alice-photo.pdf`)
    MisnamedFileKind,
    /// any token (or none) is accepted
    AcceptAnyToken,
}

impl Fault {
    pub fn name(self) -> String {
        self.to_possible_value().map_or_else(String::new, |value| value.get_name().to_owned())
    }

    pub fn description(self) -> String {
        self.to_possible_value().and_then(|value| value.get_help().map(ToString::to_string)).unwrap_or_default()
    }

    pub fn all() -> &'static [Fault] {
        Fault::value_variants()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_has_a_name_and_a_description() {
        for fault in Fault::all() {
            assert!(!fault.name().is_empty());
            assert!(!fault.description().is_empty(), "{}", fault.name());
        }
        assert_eq!(Fault::NoReady.name(), "no-ready");
        assert_eq!(Fault::from_str("wrong-file-extension", false), Ok(Fault::WrongFileExtension));
    }
}
