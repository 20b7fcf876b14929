//! What a provider can do: the rows of the Wechaty docs' compatibility table (wechaty/docusaurus
//! `docs/puppet-services/compatibility.md` @0fe1a096, its 44 feature rows in its English words), the rows for rpcs
//! that table never names, and the outcomes a probe of one row comes to. One typed home for each word: a suite names
//! a row by its docs text or its key and is refused when it names another; reports and the matrix print these words.
//!
//! A row's side-effect class says what probing it does to a real account (`../shared/CAPABILITIES.md` §2.2): read
//! only, a message to the bot itself, something visible to a contact or room the user named, something destructive
//! or visible to other people, or nothing a harness can decide without a person acting on the other side.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The docs table's sections, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Message,
    Group,
    Contact,
    Other,
}

impl Group {
    /// Every group, in the docs' order.
    pub const ALL: &'static [Group] = &[Group::Message, Group::Group, Group::Contact, Group::Other];

    /// Its heading as the docs write it (`1. Message`, …).
    pub fn heading(self) -> &'static str {
        match self {
            Group::Message => "1. Message",
            Group::Group => "2. Group",
            Group::Contact => "3. Contact",
            Group::Other => "4. Other",
        }
    }

    /// `message`, `group`, `contact`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Message => "message",
            Group::Group => "group",
            Group::Contact => "contact",
            Group::Other => "other",
        }
    }
}

/// What probing a row does to a real account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SideEffect {
    /// `R`: reads only.
    #[serde(rename = "R")]
    Read,
    /// `S`: sends only to the bot itself.
    #[serde(rename = "S")]
    SelfOnly,
    /// `P`: visible to a contact or room the user named (`--peer-contact`, `--peer-room`); what it changes is put
    /// back.
    #[serde(rename = "P")]
    Peer,
    /// `D`: destructive or visible to other people: runs only with `--allow-destructive`, last, one at a time, and
    /// puts back what it changed.
    #[serde(rename = "D")]
    Destructive,
    /// `human`: a person must act on the other side (send media, request friendship, scan).
    #[serde(rename = "human")]
    Human,
}

impl SideEffect {
    /// Its letter as suites and reports write it: `R`, `S`, `P`, `D`, `human`.
    pub fn as_str(self) -> &'static str {
        match self {
            SideEffect::Read => "R",
            SideEffect::SelfOnly => "S",
            SideEffect::Peer => "P",
            SideEffect::Destructive => "D",
            SideEffect::Human => "human",
        }
    }

    /// The class a suite spells so; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        [SideEffect::Read, SideEffect::SelfOnly, SideEffect::Peer, SideEffect::Destructive, SideEffect::Human]
            .into_iter()
            .find(|class| class.as_str() == text)
    }

    /// What it means, in a few words.
    pub fn meaning(self) -> &'static str {
        match self {
            SideEffect::Read => "read only",
            SideEffect::SelfOnly => "sends only to the bot itself",
            SideEffect::Peer => "visible to the contact or room you name",
            SideEffect::Destructive => "destructive or visible to other people",
            SideEffect::Human => "needs a person on the other side",
        }
    }
}

macro_rules! rows {
    ($($variant:ident = $key:literal, $docs:literal, $group:ident, $class:ident, $number:expr;)*) => {
        /// A row of the capability table: one of the docs' 44 feature rows, or a row for rpcs the docs never name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Row {
            $($variant,)*
        }

        impl Row {
            /// Every row: the docs' in the docs' order, then the extra rows.
            pub const ALL: &'static [Row] = &[$(Row::$variant,)*];

            /// Its stable key (`send-mini-program`): check ids, `--require` and claims files use it.
            pub fn key(self) -> &'static str {
                match self {
                    $(Row::$variant => $key,)*
                }
            }

            /// Its text as the docs write it (`Send Mini Program`); an extra row's own words.
            pub fn text(self) -> &'static str {
                match self {
                    $(Row::$variant => $docs,)*
                }
            }

            /// Its section of the table.
            pub fn group(self) -> Group {
                match self {
                    $(Row::$variant => Group::$group,)*
                }
            }

            /// What probing it does to a real account.
            pub fn class(self) -> SideEffect {
                match self {
                    $(Row::$variant => SideEffect::$class,)*
                }
            }

            /// Its number in the docs' table (1–44); `None` for a row the docs do not have.
            pub fn docs_number(self) -> Option<u8> {
                match self {
                    $(Row::$variant => $number,)*
                }
            }
        }
    };
}

rows! {
    // 1. Message
    SendReceiveText = "send-receive-text", "Send and receive text", Message, SelfOnly, Some(1);
    SendReceiveContactCard = "send-contact-card", "Send and receive personal business cards", Message, SelfOnly, Some(2);
    SendReceiveUrl = "send-receive-url", "Send and receive graphic links", Message, SelfOnly, Some(3);
    SendPicturesFiles = "send-pictures-files", "Send pictures and files", Message, SelfOnly, Some(4);
    ReceivePicturesFiles = "receive-files", "Receive pictures and files", Message, Human, Some(5);
    SendVideo = "send-video", "Send video", Message, SelfOnly, Some(6);
    ReceiveVideo = "receive-video", "Receive video", Message, Human, Some(7);
    SendMiniProgram = "send-mini-program", "Send Mini Program", Message, SelfOnly, Some(8);
    ReceiveGif = "receive-gif", "Receive GIF", Message, Human, Some(9);
    SendGif = "send-gif", "Send GIF", Message, SelfOnly, Some(10);
    ReceiveVoice = "receive-voice", "Receive voice messages", Message, Human, Some(11);
    SendVoice = "send-voice", "Send voice message", Message, SelfOnly, Some(12);
    ForwardText = "forward-text", "Forward text", Message, SelfOnly, Some(13);
    ForwardPicture = "forward-picture", "Forward the picture", Message, SelfOnly, Some(14);
    ForwardUrl = "forward-url", "Forward graphic link", Message, SelfOnly, Some(15);
    ForwardAudio = "forward-audio", "Forward audio", Message, SelfOnly, Some(16);
    ForwardVideo = "forward-video", "Forward the video", Message, SelfOnly, Some(17);
    ForwardFile = "forward-file", "Forward file", Message, SelfOnly, Some(18);
    ForwardGif = "forward-gif", "Forward GIF", Message, SelfOnly, Some(19);
    ForwardMiniProgram = "forward-applet", "Forwarding applet", Message, SelfOnly, Some(20);
    // 2. Group
    CreateRoom = "create-room", "Create group chat", Group, Destructive, Some(21);
    SetAnnouncement = "set-announcement", "Set group announcement", Group, Destructive, Some(22);
    GetAnnouncement = "get-announcement", "Get group announcement", Group, Read, Some(23);
    RoomQrCode = "room-qrcode", "Group QR Code", Group, Read, Some(24);
    RoomAdd = "room-add", "Pull people into the group", Group, Destructive, Some(25);
    RoomDel = "room-del", "Kick out of the group", Group, Destructive, Some(26);
    RoomQuit = "room-quit", "Exit group chat", Group, Destructive, Some(27);
    SetTopic = "set-topic", "Change group name", Group, Destructive, Some(28);
    RoomJoinEvent = "room-join-event", "Group entry event", Group, Destructive, Some(29);
    RoomLeaveEvent = "room-leave-event", "Outliers", Group, Destructive, Some(30);
    RoomTopicEvent = "room-topic-event", "Group name change event", Group, Destructive, Some(31);
    MentionMember = "mention-member", "@Group member", Group, Peer, Some(32);
    RoomList = "room-list", "Group list", Group, Read, Some(33);
    RoomMemberList = "room-member-list", "Group member list", Group, Read, Some(34);
    RoomDetails = "room-details", "Group details", Group, Read, Some(35);
    // 3. Contact
    SetAlias = "set-alias", "Modification notes", Contact, Peer, Some(36);
    AddFriend = "add-friend", "Add friends", Contact, Destructive, Some(37);
    AcceptFriend = "accept-friend", "Pass friends automatically", Contact, Human, Some(38);
    ContactList = "contact-list", "Friends list", Contact, Read, Some(39);
    ContactDetails = "contact-details", "Friends details", Contact, Read, Some(40);
    // 4. Other
    LoginEvent = "login-event", "Login event", Other, Read, Some(41);
    ScanStatus = "scan-status", "Scan code status", Other, Human, Some(42);
    LogoutEvent = "logout-event", "Logout event", Other, Destructive, Some(43);
    Logout = "logout", "Active logout", Other, Destructive, Some(44);
    // Rows for rpcs the docs never name.
    Recall = "recall", "Recall a message", Message, SelfOnly, None;
    SendLocation = "send-location", "Send and receive locations", Message, SelfOnly, None;
    RoomMemberDetails = "room-member-details", "Group member details", Group, Read, None;
    RoomInvitation = "room-invitation", "Accept group invitations", Group, Human, None;
    ContactTags = "contact-tags", "Contact tags", Contact, Read, None;
    SelfQrCode = "self-qrcode", "The bot's own QR code", Other, Read, None;
}

impl Row {
    /// The row a suite or `--require` names, by key, by its check id (`capability.KEY`) or by docs text (letter case
    /// and spaces at the ends aside).
    pub fn find(name: &str) -> Option<Row> {
        let name = name.trim();
        // The check's id (`capability.send-gif`, as the checklist prints it) names its row too.
        let key = name.strip_prefix("capability.").unwrap_or(name);
        Row::ALL.iter().copied().find(|row| row.key() == key || row.text().eq_ignore_ascii_case(name))
    }

    /// Every key, for messages that list what may be named.
    pub fn keys() -> String {
        Row::ALL.iter().map(|row| row.key()).collect::<Vec<_>>().join(", ")
    }

    /// Whether the row is one of the docs' table.
    pub fn in_docs(self) -> bool {
        self.docs_number().is_some()
    }

    /// The row whose probe makes the message this row forwards or waits on (a forward's source).
    pub fn depends_on(self) -> Option<Row> {
        match self {
            Row::ForwardText => Some(Row::SendReceiveText),
            Row::ForwardPicture | Row::ForwardFile => Some(Row::SendPicturesFiles),
            Row::ForwardUrl => Some(Row::SendReceiveUrl),
            Row::ForwardAudio => Some(Row::SendVoice),
            Row::ForwardVideo => Some(Row::SendVideo),
            Row::ForwardGif => Some(Row::SendGif),
            Row::ForwardMiniProgram => Some(Row::SendMiniProgram),
            Row::RoomTopicEvent => Some(Row::SetTopic),
            _ => None,
        }
    }
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// What a probe of a row came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The effect was observed: an echo of the right type, a read-back, an event, an id that resolves.
    Supported,
    /// The effect came, short of what was asked, as its numbered note says (a GIF sent as an image).
    Partial,
    /// The service said so: `UNIMPLEMENTED`, or the official server's "Wechaty Puppet Unsupported API Error" in any
    /// status ([`declares_unsupported`]).
    Unsupported,
    /// Accepted, but the effect never came or contradicts what was asked (or the call failed otherwise).
    Broken,
    /// Not probed: its reason says why (needs a person, needs `--peer-room`, destructive and not allowed, depends on
    /// a row that failed).
    Untested,
}

impl Outcome {
    /// Every outcome, in the legend's order.
    pub const ALL: &'static [Outcome] =
        &[Outcome::Supported, Outcome::Partial, Outcome::Unsupported, Outcome::Broken, Outcome::Untested];

    /// `supported`, `partial`, `unsupported`, `broken`, `untested`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Supported => "supported",
            Outcome::Partial => "partial",
            Outcome::Unsupported => "unsupported",
            Outcome::Broken => "broken",
            Outcome::Untested => "untested",
        }
    }

    /// What it means, for a legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Outcome::Supported => {
                "the effect was observed (an echo of the right type, a read-back, an event, an id that resolves)"
            }
            Outcome::Partial => "the effect came, short of what was asked: see the numbered note",
            Outcome::Unsupported => {
                "the service said it does not support it (UNIMPLEMENTED, or \"Unsupported API Error\")"
            }
            Outcome::Broken => "accepted, but the effect never came or contradicts what was asked",
            Outcome::Untested => "not probed, for the reason given",
        }
    }

    /// Whether the row counts as usable (supported or partial).
    pub fn usable(self) -> bool {
        matches!(self, Outcome::Supported | Outcome::Partial)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a claim says of a row, as the docs' table marks it: `✅` (yes, it can) or `❌` (no, it cannot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Claimed {
    Yes,
    No,
}

impl Claimed {
    /// `yes` or `no`, as report.json spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Claimed::Yes => "yes",
            Claimed::No => "no",
        }
    }

    /// `✅` or `❌`, as the docs' table marks it.
    pub fn mark(self) -> &'static str {
        match self {
            Claimed::Yes => "✅",
            Claimed::No => "❌",
        }
    }

    /// The claim a claims file spells `✅`/`yes` or `❌`/`no`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Claimed> {
        match text {
            "✅" | "yes" => Some(Claimed::Yes),
            "❌" | "no" => Some(Claimed::No),
            _ => None,
        }
    }
}

/// One row's claim: yes or no, and the note the docs put beside the mark (`✅(Send as a file)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub claimed: Claimed,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Claim {
    /// `✅`, or `✅ (Send as a file)`.
    pub fn text(&self) -> String {
        match &self.note {
            Some(note) => format!("{} ({note})", self.claimed.mark()),
            None => self.claimed.mark().to_owned(),
        }
    }
}

/// The claims a run compares its capabilities with (report.json's `claims`; `docs/report-schema.md`): one column of
/// the Wechaty docs' compatibility table shipped with puppet-lint, or a provider's own claims file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The column: `donut`, `padlocal`, … of the docs' table, or the name in a provider's own file.
    pub column: String,
    /// Where the claims were written: the docs table's URL at the commit read, or what the provider's file says.
    pub source: String,
    /// When (`YYYY-MM-DD`): the day the docs table was read, or what the provider's file says.
    pub date: String,
    /// The claims file given (`--claims FILE`); absent for the built-in docs columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Each claimed row's claim, by row key; a row the column says nothing about is absent.
    pub rows: BTreeMap<String, Claim>,
}

/// How a row's measured outcome stands against its claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Agreement {
    /// The measurement says what the claim says: claimed ✅ and supported or partial, or claimed ❌ and
    /// unsupported or broken.
    Agrees,
    /// Claimed ✅, measured `unsupported` or `broken`: a bot that trusts the claim will fail.
    Overclaimed,
    /// Claimed ❌, measured `supported` or `partial`: the provider can do more than it says.
    Unclaimed,
    /// Not measured (`untested`): nothing to compare.
    Unmeasured,
}

impl Agreement {
    /// Every agreement, in the legend's order.
    pub const ALL: &'static [Agreement] =
        &[Agreement::Agrees, Agreement::Overclaimed, Agreement::Unclaimed, Agreement::Unmeasured];

    /// A claim against what was measured.
    pub fn of(claimed: Claimed, outcome: Outcome) -> Agreement {
        match (claimed, outcome) {
            (_, Outcome::Untested) => Agreement::Unmeasured,
            (Claimed::Yes, outcome) if outcome.usable() => Agreement::Agrees,
            (Claimed::Yes, _) => Agreement::Overclaimed,
            (Claimed::No, outcome) if outcome.usable() => Agreement::Unclaimed,
            (Claimed::No, _) => Agreement::Agrees,
        }
    }

    /// `agrees`, `overclaimed`, `unclaimed`, `unmeasured`.
    pub fn as_str(self) -> &'static str {
        match self {
            Agreement::Agrees => "agrees",
            Agreement::Overclaimed => "overclaimed",
            Agreement::Unclaimed => "unclaimed",
            Agreement::Unmeasured => "unmeasured",
        }
    }

    /// Whether the claim and the measurement disagree (either way).
    pub fn disagrees(self) -> bool {
        matches!(self, Agreement::Overclaimed | Agreement::Unclaimed)
    }

    /// What it means, for a legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Agreement::Agrees => "the measurement says what the claim says",
            Agreement::Overclaimed => "claimed ✅, but measured unsupported or broken",
            Agreement::Unclaimed => "claimed ❌, but measured supported or partial",
            Agreement::Unmeasured => "the row was not probed (untested): nothing to compare",
        }
    }
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider's two numbers over its rows' outcomes: how much of the table it does (coverage), and how much of what
/// it accepted it really did (correctness). A row the service declared `unsupported` lowers coverage, never
/// correctness; a `broken` row lowers both; an `untested` row counts in neither.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub supported: usize,
    pub partial: usize,
    pub unsupported: usize,
    pub broken: usize,
    pub untested: usize,
}

impl Score {
    /// What coverage means, for legends and docs.
    pub const COVERAGE: &'static str = "supported rows / rows probed (probed: every row but the untested \
                                        ones; a partial row is not counted as supported)";
    /// What correctness means, for legends and docs.
    pub const CORRECTNESS: &'static str = "rows that behaved / rows the provider accepted (behaved: \
                                           supported or partial; accepted: supported, partial or broken — every \
                                           probed row the service did not declare unsupported)";

    /// The score of these outcomes.
    pub fn of(outcomes: impl IntoIterator<Item = Outcome>) -> Score {
        let mut score = Score::default();
        for outcome in outcomes {
            *match outcome {
                Outcome::Supported => &mut score.supported,
                Outcome::Partial => &mut score.partial,
                Outcome::Unsupported => &mut score.unsupported,
                Outcome::Broken => &mut score.broken,
                Outcome::Untested => &mut score.untested,
            } += 1;
        }
        score
    }

    /// How many rows came to `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        match outcome {
            Outcome::Supported => self.supported,
            Outcome::Partial => self.partial,
            Outcome::Unsupported => self.unsupported,
            Outcome::Broken => self.broken,
            Outcome::Untested => self.untested,
        }
    }

    /// Rows probed: every row but the untested ones.
    pub fn probed(&self) -> usize {
        self.supported + self.partial + self.unsupported + self.broken
    }

    /// Rows the provider accepted: probed and not declared unsupported.
    pub fn accepted(&self) -> usize {
        self.supported + self.partial + self.broken
    }

    /// Rows that behaved: supported or partial.
    pub fn behaved(&self) -> usize {
        self.supported + self.partial
    }

    /// `(supported, probed)`.
    pub fn coverage(&self) -> (usize, usize) {
        (self.supported, self.probed())
    }

    /// `(behaved, accepted)`.
    pub fn correctness(&self) -> (usize, usize) {
        (self.behaved(), self.accepted())
    }

    /// `29/29 (100%)`, or `0/0` when nothing was counted.
    pub fn ratio((part, whole): (usize, usize)) -> String {
        match (part * 100).checked_div(whole) {
            Some(percent) => format!("{part}/{whole} ({percent}%)"),
            None => format!("{part}/{whole}"),
        }
    }
}

/// The text wechaty-puppet's `throwUnsupportedError` throws (wechaty/puppet `src/throw-unsupported-error.ts`); the
/// official server sends it as the status message — `UNKNOWN` (2) with the error's stack since late 2021, `INTERNAL`
/// (13) with its message before.
pub const UNSUPPORTED_API_ERROR: &str = "Wechaty Puppet Unsupported API Error";

/// Whether an answer with this status declares the rpc unsupported: `UNIMPLEMENTED` (12), or the official
/// "Unsupported API Error" text in any status.
pub fn declares_unsupported(code: tonic::Code, message: &str) -> bool {
    code == tonic::Code::Unimplemented || message.contains(UNSUPPORTED_API_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_table_has_44_rows_in_its_counts() {
        let docs: Vec<Row> = Row::ALL.iter().copied().filter(|row| row.in_docs()).collect();
        assert_eq!(docs.len(), 44);
        for (index, row) in docs.iter().enumerate() {
            assert_eq!(row.docs_number(), Some(index as u8 + 1), "{row:?} is out of the docs' order");
        }
        let count = |group: Group| docs.iter().filter(|row| row.group() == group).count();
        assert_eq!(
            (count(Group::Message), count(Group::Group), count(Group::Contact), count(Group::Other)),
            (20, 15, 5, 4)
        );
    }

    #[test]
    fn keys_and_texts_are_unique_and_found_both_ways() {
        for row in Row::ALL {
            assert_eq!(Row::find(row.key()), Some(*row));
            assert_eq!(Row::find(&row.text().to_uppercase()), Some(*row));
            assert!(row.key().bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'-'), "{}", row.key());
        }
        assert_eq!(Row::find("Send Mini Programs"), None);
    }

    #[test]
    fn unsupported_is_unimplemented_or_the_official_text_in_any_status() {
        let official = "Error: Wechaty Puppet Unsupported API Error. Learn More At https://github.com/wechaty/wechaty-puppet/wiki/Compatibility\n    at ...";
        assert!(declares_unsupported(tonic::Code::Unknown, official));
        assert!(declares_unsupported(tonic::Code::Internal, official));
        assert!(declares_unsupported(tonic::Code::Unimplemented, "The server does not implement the method"));
        assert!(!declares_unsupported(tonic::Code::Unknown, "Error: no payload found for id mock_room_id"));
        assert!(!declares_unsupported(tonic::Code::Internal, "cgi error code: (-2003)"));
    }

    #[test]
    fn classes_spell_back() {
        for class in
            [SideEffect::Read, SideEffect::SelfOnly, SideEffect::Peer, SideEffect::Destructive, SideEffect::Human]
        {
            assert_eq!(SideEffect::parse(class.as_str()), Some(class));
        }
    }

    #[test]
    fn claims_disagree_both_ways_and_untested_rows_compare_with_nothing() {
        use Agreement::*;
        let cases = [
            (Claimed::Yes, Outcome::Supported, Agrees),
            (Claimed::Yes, Outcome::Partial, Agrees),
            (Claimed::Yes, Outcome::Unsupported, Overclaimed),
            (Claimed::Yes, Outcome::Broken, Overclaimed),
            (Claimed::Yes, Outcome::Untested, Unmeasured),
            (Claimed::No, Outcome::Supported, Unclaimed),
            (Claimed::No, Outcome::Partial, Unclaimed),
            (Claimed::No, Outcome::Unsupported, Agrees),
            (Claimed::No, Outcome::Broken, Agrees),
            (Claimed::No, Outcome::Untested, Unmeasured),
        ];
        for (claimed, outcome, expected) in cases {
            assert_eq!(Agreement::of(claimed, outcome), expected, "{claimed:?} {outcome:?}");
        }
        assert_eq!(Claimed::parse("✅"), Some(Claimed::Yes));
        assert_eq!(Claimed::parse("no"), Some(Claimed::No));
        assert_eq!(Claimed::parse("Yes"), None);
    }

    #[test]
    fn coverage_leaves_untested_out_and_correctness_leaves_unsupported_out() {
        let score = Score::of([
            Outcome::Supported,
            Outcome::Supported,
            Outcome::Partial,
            Outcome::Unsupported,
            Outcome::Broken,
            Outcome::Untested,
        ]);
        assert_eq!(score.coverage(), (2, 5));
        assert_eq!(score.correctness(), (3, 4));
        assert_eq!(Score::ratio(score.coverage()), "2/5 (40%)");
        assert_eq!(Score::ratio(Score::default().correctness()), "0/0");
    }
}
