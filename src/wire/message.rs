//! `MessagePayload.type` as servers really send it: wechaty-puppet's numbering,
//! not the names in wechaty-grpc's proto (where 7 is called VIDEO; on the wire 7
//! is Text).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Unknown,
    Attachment,
    Audio,
    Contact,
    ChatHistory,
    Emoticon,
    Image,
    Text,
    Location,
    MiniProgram,
    GroupNote,
    Transfer,
    RedEnvelope,
    Recalled,
    Url,
    Video,
    Post,
    Other(i32),
}

const NUMBERING: &[(MessageKind, &str)] = &[
    (MessageKind::Unknown, "unknown"),
    (MessageKind::Attachment, "attachment"),
    (MessageKind::Audio, "audio"),
    (MessageKind::Contact, "contact"),
    (MessageKind::ChatHistory, "chat-history"),
    (MessageKind::Emoticon, "emoticon"),
    (MessageKind::Image, "image"),
    (MessageKind::Text, "text"),
    (MessageKind::Location, "location"),
    (MessageKind::MiniProgram, "mini-program"),
    (MessageKind::GroupNote, "group-note"),
    (MessageKind::Transfer, "transfer"),
    (MessageKind::RedEnvelope, "red-envelope"),
    (MessageKind::Recalled, "recalled"),
    (MessageKind::Url, "url"),
    (MessageKind::Video, "video"),
    (MessageKind::Post, "post"),
];

/// Types past Post (16): wechaty-puppet ≥ 1.21 adds System (18); the juzi fork (`@juzi/wechaty-puppet`,
/// `src/schemas/message.ts`) numbers 17–25 so, and later versions go on to 28. Kept as `Other` (their content is
/// not the wire's business here), named so people can read them.
const BEYOND_POST: &[(i32, &str)] = &[
    (17, "channel"),
    (18, "system"),
    (19, "markdown"),
    (20, "call-record"),
    (21, "app-raw"),
    (22, "wechat-note"),
    (23, "channel-card"),
    (24, "consult-card"),
    (25, "premium-online-appointment-card"),
];

/// Where a message type number is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// wechaty-puppet's own (0–16, System 18).
    Upstream,
    /// A fork's addition (the juzi fork's 17–28).
    Fork,
    /// Neither: kept and shown.
    Unknown,
}

impl MessageKind {
    /// Which numbering defines this type.
    pub fn numbering(self) -> Numbering {
        match self {
            MessageKind::Other(18) => Numbering::Upstream,
            MessageKind::Other(17..=28) => Numbering::Fork,
            MessageKind::Other(_) => Numbering::Unknown,
            _ => Numbering::Upstream,
        }
    }

    pub fn from_wire(number: i32) -> Self {
        usize::try_from(number)
            .ok()
            .and_then(|index| NUMBERING.get(index))
            .map_or(MessageKind::Other(number), |(kind, _)| *kind)
    }

    pub fn wire(self) -> i32 {
        match self {
            MessageKind::Other(number) => number,
            known => NUMBERING
                .iter()
                .position(|(kind, _)| *kind == known)
                .and_then(|index| i32::try_from(index).ok())
                .unwrap_or(0),
        }
    }

    pub fn name(self) -> String {
        match self {
            MessageKind::Other(number) => match BEYOND_POST.iter().find(|(known, _)| *known == number) {
                Some((_, name)) => (*name).to_owned(),
                None => format!("type-{number}"),
            },
            known => NUMBERING
                .iter()
                .find(|(kind, _)| *kind == known)
                .map_or_else(String::new, |(_, name)| (*name).to_owned()),
        }
    }

    /// Messages whose content is a file, fetched with `MessageFile`.
    pub fn carries_file(self) -> bool {
        matches!(
            self,
            MessageKind::Attachment
                | MessageKind::Audio
                | MessageKind::Emoticon
                | MessageKind::Image
                | MessageKind::Video
        )
    }

    /// The type a message sent as a file of `mime` comes back with (its echo), where that is agreed: a JPEG or
    /// PNG is an Image, an MP4 a Video, a document (`application/*`, `text/*`) an Attachment — as
    /// wechaty-puppet-mock types what the bot says (`contact-mock.ts`, by MIME type and extension) and WeChat shows
    /// them. `None` where providers differ (a GIF may be an Emoticon, an MP3 an Audio or an Attachment).
    pub fn of_mime(mime: &str) -> Option<MessageKind> {
        let mime = mime.trim().to_ascii_lowercase();
        match mime.as_str() {
            "image/jpeg" | "image/png" => Some(MessageKind::Image),
            "video/mp4" => Some(MessageKind::Video),
            _ if mime.starts_with("application/") || mime.starts_with("text/") => Some(MessageKind::Attachment),
            _ => None,
        }
    }

    /// The top-level MIME type a file of this kind should have, if the kind
    /// says one (an attachment can be anything).
    pub fn expected_top_level_mime(self) -> Option<&'static str> {
        match self {
            MessageKind::Audio => Some("audio"),
            MessageKind::Image | MessageKind::Emoticon => Some("image"),
            MessageKind::Video => Some("video"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_is_text_on_the_wire() {
        assert_eq!(MessageKind::from_wire(7), MessageKind::Text);
        assert_eq!(MessageKind::from_wire(1), MessageKind::Attachment);
        assert_eq!(MessageKind::from_wire(6), MessageKind::Image);
        assert_eq!(MessageKind::from_wire(15), MessageKind::Video);
        assert_eq!(MessageKind::from_wire(16), MessageKind::Post);
        assert_eq!(MessageKind::from_wire(17), MessageKind::Other(17));
        assert_eq!(MessageKind::from_wire(-1), MessageKind::Other(-1));
        for number in 0..=17 {
            assert_eq!(MessageKind::from_wire(number).wire(), number);
        }
    }

    #[test]
    fn a_file_sent_comes_back_typed_by_its_mime_type() {
        assert_eq!(MessageKind::of_mime("image/jpeg"), Some(MessageKind::Image));
        assert_eq!(MessageKind::of_mime("IMAGE/PNG"), Some(MessageKind::Image));
        assert_eq!(MessageKind::of_mime("video/mp4"), Some(MessageKind::Video));
        assert_eq!(MessageKind::of_mime("application/pdf"), Some(MessageKind::Attachment));
        assert_eq!(MessageKind::of_mime("text/plain"), Some(MessageKind::Attachment));
        for unsettled in ["image/gif", "audio/mpeg", "audio/silk", "video/webm", ""] {
            assert_eq!(MessageKind::of_mime(unsettled), None, "{unsettled}");
        }
    }

    #[test]
    fn types_past_post_are_named_where_known_and_shown_otherwise() {
        assert_eq!(MessageKind::from_wire(18).name(), "system");
        assert_eq!(MessageKind::from_wire(18).numbering(), Numbering::Upstream);
        assert_eq!(MessageKind::from_wire(17).name(), "channel");
        assert_eq!(MessageKind::from_wire(25).name(), "premium-online-appointment-card");
        assert_eq!(MessageKind::from_wire(27).name(), "type-27");
        for number in [17, 19, 25, 28] {
            assert_eq!(MessageKind::from_wire(number).numbering(), Numbering::Fork, "{number}");
        }
        for number in [29, -1, i32::MAX] {
            assert_eq!(MessageKind::from_wire(number).numbering(), Numbering::Unknown, "{number}");
        }
        assert_eq!(MessageKind::from_wire(7).numbering(), Numbering::Upstream);
    }
}
