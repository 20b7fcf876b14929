//! The `wechaty.Puppet` rpcs puppet-lint calls, by name: one typed home for the names the session sends, the
//! timeline records, the recording stores and the judges read.

use std::fmt;

macro_rules! rpcs {
    ($($variant:ident, $causes:literal;)*) => {
        /// An rpc of `wechaty.Puppet` that puppet-lint calls (its name on the wire, `/wechaty.Puppet/<name>`).
        /// A recording naming one this puppet-lint does not call reads back as [`Rpc::Other`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rpc {
            $($variant,)*
            /// An rpc this puppet-lint does not call (read from another version's recording).
            Other,
        }

        impl Rpc {
            /// Every rpc puppet-lint calls.
            pub const ALL: &'static [Rpc] = &[$(Rpc::$variant,)*];

            /// Its name as the proto spells it, e.g. `MessageSendText`; `other` for [`Rpc::Other`].
            pub fn name(self) -> &'static str {
                match self {
                    $(Rpc::$variant => stringify!($variant),)*
                    Rpc::Other => "other",
                }
            }

            /// Whether it makes the puppet emit events (a send, a ding, start, stop, logout): such activity could
            /// mask a silent provider, so the heartbeat rule does not count events it caused.
            pub fn causes_events(self) -> bool {
                match self {
                    $(Rpc::$variant => $causes,)*
                    Rpc::Other => false,
                }
            }
        }
    };
}

rpcs! {
    Version, false;
    Event, false;
    Start, true;
    Stop, true;
    Logout, true;
    Ding, true;
    MessageSendText, true;
    MessageSendFile, true;
    MessageSendFileStream, true;
    MessagePayload, false;
    MessageFile, false;
    MessageImage, false;
    ContactPayload, false;
    RoomPayload, false;
    RoomMemberList, false;
    FriendshipPayload, false;
    RoomInvitationPayload, false;
    ContactList, false;
    RoomList, false;
    CurrentUser, false;
    Download, false;
    Upload, false;
    DirtyPayload, false;
    MessageSendContact, true;
    MessageSendUrl, true;
    MessageSendMiniProgram, true;
    MessageSendLocation, true;
    MessageForward, true;
    MessageRecall, true;
    MessageContact, false;
    MessageUrl, false;
    MessageMiniProgram, false;
    MessageLocation, false;
    RoomAnnounce, true;
    RoomTopic, true;
    RoomQRCode, false;
    RoomMemberPayload, false;
    ContactAlias, true;
    TagContactList, false;
    ContactSelfQRCode, false;
    RoomCreate, true;
    RoomAdd, true;
    RoomDel, true;
    RoomQuit, true;
    FriendshipAdd, true;
    FriendshipAccept, true;
    RoomInvitationAccept, true;
}

impl Rpc {
    /// The rpc named `name` (as recorded); [`Rpc::Other`] for any other name.
    pub fn from_name(name: &str) -> Self {
        Self::ALL.iter().copied().find(|rpc| rpc.name() == name).unwrap_or(Rpc::Other)
    }
}

impl fmt::Display for Rpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for rpc in Rpc::ALL {
            assert_eq!(Rpc::from_name(rpc.name()), *rpc);
        }
        assert_eq!(Rpc::from_name("RoomQrcode"), Rpc::Other);
    }

    /// Each name is an rpc of our `wechaty.Puppet` service definition: a misspelt name fails here.
    #[test]
    fn every_name_is_an_rpc_of_the_proto() {
        let proto = include_str!("../../proto/wechaty/puppet.proto");
        for rpc in Rpc::ALL {
            assert!(proto.contains(&format!("rpc {} (", rpc.name())), "{rpc} is not in proto/wechaty/puppet.proto");
        }
    }
}
