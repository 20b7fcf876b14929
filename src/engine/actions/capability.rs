//! The capability family's action, `probe`: one row of the capability table (`vocab::capability::Row`), probed on
//! the live service, coming to an outcome that rests on an observed effect — an echo of the right type, a read-back,
//! an event, an id that resolves — never on an OK alone (`../shared/CAPABILITIES.md` §2.2 says how each row is
//! observed; §3 what "unsupported" looks like on the wire).
//!
//! Sends go to the bot itself only (its own id: "filehelper" does not exist on every provider); a row that needs a
//! peer (`--peer-contact`, `--peer-room`) is untested without one; what a peer or destructive probe changes (an
//! alias, an announcement, a topic) is put back and read back, and a failed restore is said.
//!
//! The outcome becomes the check's verdict: supported and partial pass, broken is a finding of the check's level
//! (`should` unless `--require` named the row), unsupported and untested skip — unless the row is required, then
//! they fail too.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::watch::{event_of, of_kinds};
use super::{CheckRun, Failure, Kind, Stepped, shown};
use crate::events::{CapabilityEvidence, CapabilityReport, TimelineEntry};
use crate::proto::wechaty::puppet as pb;
use crate::session::{RpcError, SCAN_LIMIT, Session};
use crate::suite::{CapabilityAction, Severity};
use crate::vocab::capability::{Outcome, Row, declares_unsupported};
use crate::wire::filebox::FileBox;
use crate::wire::status::{code_name, first_line};
use crate::wire::{EventKind, MessageKind, Rpc};

/// The longest a probe waits for an echo or an event (the heartbeat window, when shorter).
const ECHO_WAIT: Duration = Duration::from_secs(30);

/// How many of a list's ids a probe resolves.
const RESOLVE_AT_MOST: usize = 5;

/// How many other messages a probe reads while it looks for an echo without an id.
const INSPECT_AT_MOST: usize = 50;

/// What a probe found: its outcome and what shows it.
#[derive(Debug)]
struct Found {
    outcome: Outcome,
    /// `partial`: what falls short; `untested`: why; otherwise a line on what was seen.
    note: String,
    expected: String,
    seen: String,
}

impl Found {
    fn new(outcome: Outcome, note: impl Into<String>, expected: impl Into<String>, seen: impl Into<String>) -> Found {
        Found { outcome, note: note.into(), expected: expected.into(), seen: seen.into() }
    }

    fn supported(expected: impl Into<String>, seen: impl Into<String>) -> Found {
        let seen = seen.into();
        Found::new(Outcome::Supported, seen.clone(), expected, seen)
    }

    fn partial(note: impl Into<String>, expected: impl Into<String>, seen: impl Into<String>) -> Found {
        Found::new(Outcome::Partial, note, expected, seen)
    }

    fn broken(expected: impl Into<String>, seen: impl Into<String>) -> Found {
        let seen = seen.into();
        Found::new(Outcome::Broken, seen.clone(), expected, seen)
    }

    fn untested(reason: impl Into<String>) -> Found {
        let reason = reason.into();
        Found::new(Outcome::Untested, reason.clone(), "", reason)
    }
}

/// Why a probe stopped before its last step: an outcome already decided, or puppet-lint's own failure (the
/// connection, a malformed answer), which is the check's error, not the row's outcome.
enum Halt {
    Found(Found),
    Failure(Failure),
}

impl From<Failure> for Halt {
    fn from(failure: Failure) -> Halt {
        Halt::Failure(failure)
    }
}

type Probing<T> = Result<T, Halt>;

/// A probe under way: the session, the bot, the check's nonce, and the last rpc it called (with its status), which
/// the evidence names.
struct Probe<'a> {
    run: &'a CheckRun,
    session: std::sync::Arc<Session>,
    bot: String,
    nonce: String,
    last: Mutex<Option<(Rpc, String)>>,
    /// How long the probe waits for an echo or an event, and until when.
    wait: Duration,
    deadline: Instant,
}

impl CheckRun {
    pub(super) async fn capability_step(&mut self, action: &CapabilityAction) -> Result<Stepped, Failure> {
        let CapabilityAction::Probe { row } = action;
        let row = *row;
        let required = self.check.severity == Severity::Must;
        let from = self.context.timeline.now();
        let session = self.session()?;
        let bot = self.scope.get("bot").and_then(|fields| fields.get("")).cloned();
        let Some(bot) = bot else {
            return Err(Failure::error("the bot is not logged in, so no capability can be probed"));
        };
        let wait = ECHO_WAIT.min(self.context.settings.window.max(Duration::from_secs(5)));
        let probe = Probe {
            run: self,
            session,
            bot,
            nonce: self.nonce(),
            last: Mutex::new(None),
            wait,
            deadline: self.cap(wait),
        };
        let found = match probe.row(row).await {
            Ok(found) | Err(Halt::Found(found)) => found,
            Err(Halt::Failure(failure)) => return Err(failure),
        };
        let last = probe.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        let now = self.context.timeline.now();
        let timeline: Vec<TimelineEntry> = self
            .context
            .timeline
            .excerpt(from.saturating_sub(Duration::from_millis(500)), now, now, super::EXCERPT_LIMIT)
            .iter()
            .map(TimelineEntry::from)
            .collect();
        let redact = |text: &str| crate::redact::redact(text).into_owned();
        let evidence = CapabilityEvidence {
            rpc: last.as_ref().map(|(rpc, _)| rpc.name().to_owned()),
            status: last.map(|(_, status)| redact(&status)),
            expected: redact(&found.expected),
            seen: redact(&found.seen),
            timeline,
        };
        let note = (!found.note.is_empty()).then(|| redact(&found.note));
        self.probed.put(CapabilityReport::of(row, found.outcome, note.clone(), required, Some(evidence)));
        let said = format!("{}: {}", found.outcome, note.clone().unwrap_or_default());
        match found.outcome {
            Outcome::Supported | Outcome::Partial => {
                self.note = Some(said);
                Ok(Stepped::nothing())
            }
            Outcome::Broken => Err(Failure::fail(
                format!("`{}` is broken: {}", row.text(), note.unwrap_or_default()),
                found.expected,
                found.seen,
            )),
            Outcome::Unsupported | Outcome::Untested if required => Err(Failure::fail(
                format!("`{}` is required (--require) but {said}", row.text()),
                format!("`{}` supported", row.text()),
                found.seen,
            )),
            Outcome::Unsupported | Outcome::Untested => Err(Failure {
                kind: Kind::Skip,
                summary: said,
                expected: found.expected,
                observed: found.seen,
                focus: None,
            }),
        }
    }
}

impl Probe<'_> {
    /// The row's probe.
    async fn row(&self, row: Row) -> Probing<Found> {
        let peer = |name: &str| self.run.scope.get(name).and_then(|fields| fields.get("")).cloned();
        match row {
            Row::SendReceiveText => self.text().await.map(|(_, found)| found),
            Row::SendReceiveContactCard => self.contact_card().await,
            Row::SendReceiveUrl => self.url().await.map(|(_, found)| found),
            Row::SendPicturesFiles => self.pictures_and_files().await.map(|(_, found)| found),
            Row::SendVideo => self.video().await.map(|(_, found)| found),
            Row::SendMiniProgram => self.mini_program().await.map(|(_, found)| found),
            Row::SendGif => self.gif().await.map(|(_, found)| found),
            Row::SendVoice => self.voice().await.map(|(_, found)| found),
            Row::ForwardText
            | Row::ForwardPicture
            | Row::ForwardUrl
            | Row::ForwardAudio
            | Row::ForwardVideo
            | Row::ForwardFile
            | Row::ForwardGif
            | Row::ForwardMiniProgram => self.forward(row).await,
            Row::Recall => self.recall().await,
            Row::SendLocation => self.location().await,
            Row::RoomList => self.room_list().await,
            Row::RoomMemberList => self.room_member_list().await,
            Row::RoomDetails => self.room_details().await,
            Row::RoomMemberDetails => self.room_member_details().await,
            Row::GetAnnouncement => self.get_announcement().await,
            Row::RoomQrCode => self.room_qr_code().await,
            Row::ContactList => self.contact_list().await,
            Row::ContactDetails => self.contact_details().await,
            Row::ContactTags => self.contact_tags().await,
            Row::SelfQrCode => self.self_qr_code().await,
            Row::LoginEvent => self.login_event(),
            Row::MentionMember => match peer("peer_room") {
                Some(room) => self.mention(&room, peer("peer_contact")).await,
                None => Ok(Found::untested("needs a room the bot may message: run with --peer-room ID")),
            },
            Row::SetAlias => match peer("peer_contact") {
                Some(contact) => self.alias(&contact).await,
                None => {
                    Ok(Found::untested("needs a contact whose alias the bot may set and put back: --peer-contact ID"))
                }
            },
            Row::SetAnnouncement => match peer("peer_room") {
                Some(room) => self.set_announcement(&room).await,
                None => {
                    Ok(Found::untested("needs a room whose announcement may change and be put back: --peer-room ID"))
                }
            },
            Row::SetTopic | Row::RoomTopicEvent => match peer("peer_room") {
                Some(room) => self.set_topic(&room, row == Row::RoomTopicEvent).await,
                None => Ok(Found::untested("needs a room whose name may change and be put back: --peer-room ID")),
            },
            Row::ReceivePicturesFiles
            | Row::ReceiveVideo
            | Row::ReceiveGif
            | Row::ReceiveVoice
            | Row::AcceptFriend
            | Row::ScanStatus
            | Row::RoomInvitation => Ok(Found::untested(
                "needs a person on the other side (to send media, ask for friendship, invite, or scan); \
                 puppet-lint does not yet ask one to act (an interactive mode)",
            )),
            Row::CreateRoom
            | Row::RoomAdd
            | Row::RoomDel
            | Row::RoomQuit
            | Row::RoomJoinEvent
            | Row::RoomLeaveEvent
            | Row::AddFriend
            | Row::LogoutEvent
            | Row::Logout => Ok(Found::untested(
                "destructive to other people or to the session (a room created, a member added or removed, a \
                 friend request, a logout): puppet-lint does not probe it yet",
            )),
        }
    }

    // --- answers ------------------------------------------------------------------------------------------------

    /// An rpc's answer: its value, or the outcome its status decides — `unsupported` when the service says so
    /// (`UNIMPLEMENTED`, or "Unsupported API Error" in any status), `broken` for any other refusal or silence;
    /// a connection that failed under the call is puppet-lint's error.
    fn answered<T>(&self, rpc: Rpc, answer: Result<T, RpcError>, expected: &str) -> Probing<T> {
        match answer {
            Ok(value) => {
                self.noted(rpc, "OK".to_owned());
                Ok(value)
            }
            Err(error) => {
                let shown_error = error.shown();
                let status = match error.code() {
                    Some(code) if !shown_error.starts_with(code_name(code)) => {
                        format!("{}: {}", code_name(code), first_line(&shown_error))
                    }
                    _ => first_line(&shown_error).to_owned(),
                };
                self.noted(rpc, status.clone());
                match &error {
                    RpcError::Status { code, .. } if declares_unsupported(*code, &shown_error) => {
                        Err(Halt::Found(Found::new(
                            Outcome::Unsupported,
                            format!("`{rpc}` answered {}", shown(&status, 160)),
                            expected,
                            shown(&status, 300),
                        )))
                    }
                    RpcError::Status { .. } | RpcError::Timeout { .. } => {
                        Err(Halt::Found(Found::broken(expected, format!("`{rpc}` answered {}", shown(&status, 300)))))
                    }
                    RpcError::Transport { .. } => Err(Halt::Failure(Failure::connection(&error))),
                    RpcError::Malformed { .. } => Err(Halt::Failure(Failure::error(error.to_string()))),
                }
            }
        }
    }

    fn noted(&self, rpc: Rpc, status: String) {
        *self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((rpc, status));
    }

    fn mark(&self) -> usize {
        self.run.context.timeline.len()
    }

    /// The `message` the bot's send came back as: by the id the send returned, else (a server that returns none)
    /// the first message from `after` on whose text or file name carries `marker`, other than `not`. No echo
    /// within the wait: `broken` — the send was accepted and nothing came.
    async fn echo(
        &self,
        what: &str,
        id: &str,
        marker: &str,
        after: usize,
        not: &str,
    ) -> Probing<pb::MessagePayloadResponse> {
        let timeline = &self.run.context.timeline;
        let mut next = after;
        let mut inspected = 0usize;
        loop {
            let scan = timeline.scan(next, of_kinds(&[EventKind::Message]), SCAN_LIMIT);
            let caught_up = scan.next >= timeline.len();
            next = scan.next;
            for entry in &scan.entries {
                let Some(message_id) = event_of(entry).and_then(|event| event.field("messageId")) else {
                    continue;
                };
                if message_id == not || (!id.is_empty() && message_id != id) {
                    continue;
                }
                if id.is_empty() {
                    if inspected >= INSPECT_AT_MOST {
                        continue;
                    }
                    inspected += 1;
                }
                let payload = self.answered(
                    Rpc::MessagePayload,
                    self.session.message_payload(message_id).await,
                    &format!("MessagePayload answers for the echo of {what}"),
                )?;
                if !id.is_empty()
                    || (!marker.is_empty() && (payload.text.contains(marker) || payload.filename.contains(marker)))
                {
                    timeline.mark_consumed(entry.at);
                    return Ok(payload);
                }
            }
            if caught_up {
                if Instant::now() >= self.deadline {
                    break;
                }
                timeline.changed_after(next, self.deadline).await;
            }
        }
        let wanted = if id.is_empty() {
            format!("a `message` carrying \"{marker}\" (the send returned no id)")
        } else {
            format!("a `message` event with id \"{id}\"")
        };
        Err(Halt::Found(Found::broken(
            format!("{what} comes back to the bot: {wanted}"),
            format!("the send was accepted, but no echo came within {}", crate::clock::human(self.wait)),
        )))
    }

    /// Sends with `send`, then waits for its echo and checks its type is `kind`.
    async fn sent_echo(
        &self,
        what: &str,
        rpc: Rpc,
        marker: &str,
        sent: Result<String, RpcError>,
        after: usize,
    ) -> Probing<pb::MessagePayloadResponse> {
        let id = self.answered(rpc, sent, &format!("`{rpc}` sends {what}"))?;
        self.echo(what, &id, marker, after, "").await
    }

    fn type_name(payload: &pb::MessagePayloadResponse) -> String {
        let kind = MessageKind::from_wire(payload.r#type);
        format!("{} ({})", kind.name(), payload.r#type)
    }

    fn wrong_type(&self, what: &str, wanted: MessageKind, echo: &pb::MessagePayloadResponse) -> Halt {
        Halt::Found(Found::broken(
            format!("the echo of {what} typed {} ({})", wanted.name(), wanted.wire()),
            format!("the echo {} came typed {}", echo.id, Self::type_name(echo)),
        ))
    }

    // --- messages to the bot itself ------------------------------------------------------------------------------

    /// A text to the bot and its echo, unjudged (a forward's source too).
    async fn text_echo(&self) -> Probing<pb::MessagePayloadResponse> {
        let text = format!("puppet-lint capability {}", self.nonce);
        let after = self.mark();
        self.sent_echo(
            "a text",
            Rpc::MessageSendText,
            &self.nonce,
            self.session.send_text(&self.bot, &text).await,
            after,
        )
        .await
    }

    async fn text(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let text = format!("puppet-lint capability {}", self.nonce);
        let echo = self.text_echo().await?;
        if MessageKind::from_wire(echo.r#type) != MessageKind::Text {
            return Err(self.wrong_type("a text", MessageKind::Text, &echo));
        }
        if !echo.text.contains(&self.nonce) {
            return Err(Halt::Found(Found::broken(
                format!("the echo carries the text sent, \"{text}\""),
                format!("the echo {} carries \"{}\"", echo.id, shown(&echo.text, 80)),
            )));
        }
        let found = Found::supported("a Text echo with the text sent", format!("echo {} typed Text", echo.id));
        Ok((echo, found))
    }

    async fn contact_card(&self) -> Probing<Found> {
        let after = self.mark();
        let sent = self.session.send_contact(&self.bot, &self.bot).await;
        let echo = self.sent_echo("the bot's own contact card", Rpc::MessageSendContact, "", sent, after).await?;
        if MessageKind::from_wire(echo.r#type) != MessageKind::Contact {
            return Err(self.wrong_type("a contact card", MessageKind::Contact, &echo));
        }
        let expected = format!("`MessageContact` of the echo names the contact sent, \"{}\"", self.bot);
        match self.session.message_contact(&echo.id).await {
            Ok(contact) if contact == self.bot => {
                self.noted(Rpc::MessageContact, "OK".into());
                Ok(Found::supported(expected, format!("echo {} typed Contact, naming the bot", echo.id)))
            }
            Ok(contact) => {
                self.noted(Rpc::MessageContact, "OK".into());
                Ok(Found::broken(expected, format!("`MessageContact` named \"{}\"", shown(&contact, 80))))
            }
            Err(error) => {
                let code = error.code();
                let unsupported = code.is_some_and(|code| declares_unsupported(code, &error.shown()));
                self.answered(Rpc::MessageContact, Err::<(), _>(error), &expected).map(|_| ()).or_else(|halt| {
                    match halt {
                        Halt::Found(_) if unsupported => Ok(()),
                        halt => Err(halt),
                    }
                })?;
                Ok(Found::partial(
                    "the card is sent, but `MessageContact` is unsupported: a received card cannot be read",
                    expected,
                    "MessageContact unsupported",
                ))
            }
        }
    }

    fn link(&self) -> pb::UrlLinkPayload {
        pb::UrlLinkPayload {
            description: "a link card sent by puppet-lint's capability probe".into(),
            thumbnail_url: "https://puppet-lint.invalid/thumbnail.png".into(),
            title: format!("puppet-lint {}", self.nonce),
            url: format!("https://puppet-lint.invalid/link/{}", self.nonce),
        }
    }

    /// A link card to the bot and its echo, unjudged (a forward's source too).
    async fn url_echo(&self) -> Probing<pb::MessagePayloadResponse> {
        let after = self.mark();
        let sent = self.session.send_url(&self.bot, self.link()).await;
        self.sent_echo("a link card", Rpc::MessageSendUrl, &self.nonce, sent, after).await
    }

    async fn url(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let link = self.link();
        let echo = self.url_echo().await?;
        if MessageKind::from_wire(echo.r#type) != MessageKind::Url {
            return Err(self.wrong_type("a link card", MessageKind::Url, &echo));
        }
        let expected = format!("`MessageUrl` of the echo gives back the link sent, {}", link.url);
        let read = self.answered(Rpc::MessageUrl, self.session.message_url(&echo.id).await, &expected)?;
        let found = match read {
            Some(read) if read.url == link.url && read.title == link.title => {
                Found::supported(expected, format!("echo {} typed Url, its link read back", echo.id))
            }
            other => Found::broken(
                expected,
                format!(
                    "`MessageUrl` gave {}",
                    other.map_or_else(
                        || "no link".to_owned(),
                        |read| format!("\"{}\" ({})", shown(&read.url, 80), shown(&read.title, 40))
                    )
                ),
            ),
        };
        Ok((echo, found))
    }

    fn program(&self) -> pb::MiniProgramPayload {
        pb::MiniProgramPayload {
            appid: "wx0000000000000000".into(),
            description: "sent by puppet-lint's capability probe".into(),
            page_path: "pages/index/index.html".into(),
            icon_url: "https://puppet-lint.invalid/icon.png".into(),
            share_id: String::new(),
            thumb_url: "https://puppet-lint.invalid/thumb.png".into(),
            title: format!("puppet-lint {}", self.nonce),
            username: "gh_0000000000000@app".into(),
            thumb_key: String::new(),
        }
    }

    /// A mini program to the bot and its echo, unjudged (a forward's source too).
    async fn mini_program_echo(&self) -> Probing<pb::MessagePayloadResponse> {
        let after = self.mark();
        let sent = self.session.send_mini_program(&self.bot, self.program()).await;
        self.sent_echo("a mini program", Rpc::MessageSendMiniProgram, &self.nonce, sent, after).await
    }

    async fn mini_program(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let program = self.program();
        let echo = self.mini_program_echo().await?;
        if MessageKind::from_wire(echo.r#type) != MessageKind::MiniProgram {
            return Err(self.wrong_type("a mini program", MessageKind::MiniProgram, &echo));
        }
        let expected = "`MessageMiniProgram` of the echo gives back the appid and title sent".to_owned();
        let read =
            self.answered(Rpc::MessageMiniProgram, self.session.message_mini_program(&echo.id).await, &expected)?;
        let found = match read {
            Some(read) if read.appid == program.appid && read.title == program.title => {
                Found::supported(expected, format!("echo {} typed MiniProgram, read back", echo.id))
            }
            other => Found::broken(
                expected,
                format!(
                    "`MessageMiniProgram` gave {}",
                    other.map_or_else(
                        || "nothing".to_owned(),
                        |read| format!("appid \"{}\", title \"{}\"", shown(&read.appid, 40), shown(&read.title, 60))
                    )
                ),
            ),
        };
        Ok((echo, found))
    }

    /// Sends a small file named `puppet-lint-<nonce>-<stem>.<extension>` (with `metadata`, if any, in its FileBox).
    async fn send_file(
        &self,
        stem: &str,
        extension: &str,
        head: &[u8],
        metadata: Option<serde_json::Value>,
    ) -> Probing<pb::MessagePayloadResponse> {
        let name = format!("puppet-lint-{}-{stem}.{extension}", self.nonce);
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(format!("puppet-lint capability probe {}\n", self.nonce).as_bytes());
        let mut json = FileBox::from_bytes(&name, &bytes).to_json();
        if let Some(metadata) = metadata
            && let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str::<serde_json::Value>(&json)
        {
            object.insert("metadata".into(), metadata);
            json = serde_json::Value::Object(object).to_string();
        }
        let after = self.mark();
        let sent = self.session.send_file(&self.bot, &json).await;
        let marker = format!("{}-{stem}", self.nonce);
        self.sent_echo(&format!("a .{extension} file"), Rpc::MessageSendFile, &marker, sent, after).await
    }

    async fn pictures_and_files(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let image = self.send_file("picture", "png", PNG, None).await?;
        if MessageKind::from_wire(image.r#type) != MessageKind::Image {
            return Err(self.wrong_type("a PNG picture", MessageKind::Image, &image));
        }
        let expected = "a PNG echoes typed Image and a PDF typed Attachment, each with its file";
        self.answered(Rpc::MessageFile, self.session.message_file(&image.id).await, expected)?;
        let document = self.send_file("file", "pdf", PDF, None).await?;
        let found = match MessageKind::from_wire(document.r#type) {
            MessageKind::Attachment => {
                self.answered(Rpc::MessageFile, self.session.message_file(&document.id).await, expected)?;
                Found::supported(expected, format!("echoes {} (Image) and {} (Attachment)", image.id, document.id))
            }
            _ => Found::partial(
                format!("pictures are sent; a PDF echoes typed {}", Self::type_name(&document)),
                expected,
                format!("echo {} typed {}", document.id, Self::type_name(&document)),
            ),
        };
        Ok((image, found))
    }

    /// Judges the echo of a file kind whose native type is `native`; an echo typed as one of `also` is partial
    /// (how it was sent, in words).
    fn file_kind(
        &self,
        what: &str,
        echo: pb::MessagePayloadResponse,
        native: MessageKind,
        also: &[(MessageKind, &str)],
    ) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let expected = format!("the echo of {what} typed {} ({})", native.name(), native.wire());
        let kind = MessageKind::from_wire(echo.r#type);
        let found = if kind == native {
            Found::supported(expected, format!("echo {} typed {}", echo.id, Self::type_name(&echo)))
        } else if let Some((_, how)) = also.iter().find(|(other, _)| *other == kind) {
            Found::partial(
                format!("{what} is {how}"),
                expected,
                format!("echo {} typed {}", echo.id, Self::type_name(&echo)),
            )
        } else {
            return Err(self.wrong_type(what, native, &echo));
        };
        Ok((echo, found))
    }

    async fn video(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let echo = self.send_file("video", "mp4", MP4, None).await?;
        self.file_kind("a video", echo, MessageKind::Video, &[(MessageKind::Attachment, "sent as a file")])
    }

    async fn gif(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let echo = self.send_file("gif", "gif", GIF, None).await?;
        let also = [(MessageKind::Image, "sent as a still image"), (MessageKind::Attachment, "sent as a file")];
        self.file_kind("a GIF", echo, MessageKind::Emoticon, &also)
    }

    async fn voice(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let echo = self.send_file("voice", "mp3", MP3, Some(voice_metadata())).await?;
        self.file_kind("a voice message", echo, MessageKind::Audio, &[(MessageKind::Attachment, "sent as a file")])
    }

    /// Forwards the message the row's source row sends to the bot itself: the forward must come back as a new
    /// message of the source's type. A source that could not be made leaves the row untested.
    async fn forward(&self, row: Row) -> Probing<Found> {
        let source = match row.depends_on() {
            Some(Row::SendReceiveText) => self.text_echo().await,
            Some(Row::SendPicturesFiles) if row == Row::ForwardFile => self.send_file("file", "pdf", PDF, None).await,
            Some(Row::SendPicturesFiles) => self.send_file("picture", "png", PNG, None).await,
            Some(Row::SendReceiveUrl) => self.url_echo().await,
            Some(Row::SendVoice) => self.send_file("voice", "mp3", MP3, Some(voice_metadata())).await,
            Some(Row::SendVideo) => self.send_file("video", "mp4", MP4, None).await,
            Some(Row::SendGif) => self.send_file("gif", "gif", GIF, None).await,
            Some(Row::SendMiniProgram) => self.mini_program_echo().await,
            _ => return Ok(Found::untested("no source row to forward from")),
        };
        let source = match source {
            Ok(source) => source,
            Err(Halt::Found(found)) => {
                let from = row.depends_on().map_or("", Row::text);
                return Ok(Found::untested(format!(
                    "depends on `{from}`, whose message to forward could not be made: {} ({})",
                    found.outcome, found.note
                )));
            }
            Err(halt) => return Err(halt),
        };
        let after = self.mark();
        let expected = format!("the forward of message {} comes back typed {}", source.id, Self::type_name(&source));
        let id = self.answered(Rpc::MessageForward, self.session.forward(&source.id, &self.bot).await, &expected)?;
        let forwarded = self.echo("the forwarded message", &id, &self.nonce, after, &source.id).await?;
        if forwarded.r#type != source.r#type {
            return Ok(Found::broken(
                expected,
                format!("the forward {} came typed {}", forwarded.id, Self::type_name(&forwarded)),
            ));
        }
        Ok(Found::supported(expected, format!("forward {} typed {}", forwarded.id, Self::type_name(&forwarded))))
    }

    async fn recall(&self) -> Probing<Found> {
        let (echo, _) = match self.text().await {
            Ok(sent) => sent,
            Err(Halt::Found(found)) => {
                return Ok(Found::untested(format!(
                    "depends on `{}`, whose message to recall could not be made: {} ({})",
                    Row::SendReceiveText.text(),
                    found.outcome,
                    found.note
                )));
            }
            Err(halt) => return Err(halt),
        };
        let expected = format!("`MessageRecall` of the bot's message {} answers success = true", echo.id);
        match self.answered(Rpc::MessageRecall, self.session.recall(&echo.id).await, &expected)? {
            true => Ok(Found::supported(expected, "success = true")),
            false => Ok(Found::broken(expected, "`MessageRecall` answered success = false")),
        }
    }

    async fn location(&self) -> Probing<Found> {
        let location = pb::LocationPayload {
            accuracy: 15.0,
            address: "No. 1, Puppet Road".into(),
            latitude: 39.9042,
            longitude: 116.4074,
            name: format!("puppet-lint {}", self.nonce),
        };
        let after = self.mark();
        let sent = self.session.send_location(&self.bot, location.clone()).await;
        let echo = self.sent_echo("a location", Rpc::MessageSendLocation, &self.nonce, sent, after).await?;
        if MessageKind::from_wire(echo.r#type) != MessageKind::Location {
            return Err(self.wrong_type("a location", MessageKind::Location, &echo));
        }
        let expected = "`MessageLocation` of the echo gives back the place sent".to_owned();
        let read = self.answered(Rpc::MessageLocation, self.session.message_location(&echo.id).await, &expected)?;
        Ok(match read {
            Some(read) if read.name == location.name && (read.latitude - location.latitude).abs() < 1e-3 => {
                Found::supported(expected, format!("echo {} typed Location, read back", echo.id))
            }
            other => Found::broken(
                expected,
                format!(
                    "`MessageLocation` gave {}",
                    other.map_or_else(
                        || "nothing".to_owned(),
                        |read| format!("\"{}\" at {}", shown(&read.name, 60), read.latitude)
                    )
                ),
            ),
        })
    }

    // --- reads ---------------------------------------------------------------------------------------------------

    /// The first room `RoomList` names (`untested` when the bot is in none).
    async fn first_room(&self) -> Probing<String> {
        let rooms = self.answered(Rpc::RoomList, self.session.room_list().await, "`RoomList` answers")?;
        rooms
            .into_iter()
            .next()
            .ok_or_else(|| Halt::Found(Found::untested("the bot is in no room (`RoomList` is empty)")))
    }

    async fn room_list(&self) -> Probing<Found> {
        let expected = "`RoomList` names rooms whose `RoomPayload` answers with the same id";
        let rooms = self.answered(Rpc::RoomList, self.session.room_list().await, expected)?;
        if rooms.is_empty() {
            return Ok(Found::untested("the bot is in no room (`RoomList` is empty): nothing to resolve"));
        }
        for room in rooms.iter().take(RESOLVE_AT_MOST) {
            let payload = self.answered(Rpc::RoomPayload, self.session.room_payload(room).await, expected)?;
            if payload.id != *room {
                return Ok(Found::broken(
                    expected,
                    format!("`RoomPayload(\"{room}\")` answered for \"{}\"", shown(&payload.id, 80)),
                ));
            }
        }
        Ok(Found::supported(
            expected,
            format!("{} room(s), the first {} resolve", rooms.len(), rooms.len().min(RESOLVE_AT_MOST)),
        ))
    }

    async fn room_member_list(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomMemberList(\"{room}\")` names the room's members, the bot among them");
        let members = self.answered(Rpc::RoomMemberList, self.session.room_member_list(&room).await, &expected)?;
        if !members.contains(&self.bot) {
            return Ok(Found::broken(expected, format!("{} member(s), the bot not among them", members.len())));
        }
        Ok(Found::supported(expected, format!("{} member(s), the bot among them", members.len())))
    }

    async fn room_details(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomPayload(\"{room}\")` has its id and a topic, and its owner is a member");
        let payload = self.answered(Rpc::RoomPayload, self.session.room_payload(&room).await, &expected)?;
        if payload.id != room {
            return Ok(Found::broken(expected, format!("it answered for \"{}\"", shown(&payload.id, 80))));
        }
        if !payload.owner_id.is_empty()
            && !payload.member_ids.is_empty()
            && !payload.member_ids.contains(&payload.owner_id)
        {
            return Ok(Found::broken(
                expected,
                format!("its owner \"{}\" is not among its member_ids", shown(&payload.owner_id, 80)),
            ));
        }
        if payload.topic.is_empty() {
            return Ok(Found::partial("the room's details carry no topic", expected, "topic \"\""));
        }
        Ok(Found::supported(
            expected,
            format!("topic \"{}\", {} member id(s)", shown(&payload.topic, 60), payload.member_ids.len()),
        ))
    }

    async fn room_member_details(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomMemberPayload(\"{room}\", bot)` answers for the bot");
        let payload =
            self.answered(Rpc::RoomMemberPayload, self.session.room_member_payload(&room, &self.bot).await, &expected)?;
        if payload.id != self.bot {
            return Ok(Found::broken(expected, format!("it answered for \"{}\"", shown(&payload.id, 80))));
        }
        Ok(Found::supported(expected, format!("name \"{}\"", shown(&payload.name, 60))))
    }

    async fn get_announcement(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomAnnounce(\"{room}\")` without text reads the room's announcement");
        let text = self.answered(Rpc::RoomAnnounce, self.session.room_announce(&room, None).await, &expected)?;
        if text.is_empty() {
            return Ok(Found::partial(
                "the announcement read back empty: a room without one cannot tell a read from a provider that \
                 returns nothing",
                expected,
                "\"\"",
            ));
        }
        Ok(Found::supported(expected, format!("{} character(s)", text.chars().count())))
    }

    async fn room_qr_code(&self) -> Probing<Found> {
        let room = self.first_room().await?;
        let expected = format!("`RoomQRCode(\"{room}\")` answers a QR code's content (a URL, no spaces)");
        let qrcode = self.answered(Rpc::RoomQRCode, self.session.room_qr_code(&room).await, &expected)?;
        // A join credential: only its shape is told.
        Ok(qr_code(qrcode, expected))
    }

    async fn self_qr_code(&self) -> Probing<Found> {
        let expected = "`ContactSelfQRCode` answers a QR code's content (a URL, no spaces)".to_owned();
        let qrcode = self.answered(Rpc::ContactSelfQRCode, self.session.self_qr_code().await, &expected)?;
        Ok(qr_code(qrcode, expected))
    }

    async fn contact_list(&self) -> Probing<Found> {
        let expected = "`ContactList` names contacts whose `ContactPayload` answers with the same id";
        let contacts = self.answered(Rpc::ContactList, self.session.contact_list().await, expected)?;
        let others: Vec<&String> = contacts.iter().filter(|id| **id != self.bot).collect();
        if others.is_empty() {
            return Ok(Found::untested("`ContactList` names no contact but the bot: nothing to resolve"));
        }
        for contact in others.iter().take(RESOLVE_AT_MOST) {
            let payload = self.answered(Rpc::ContactPayload, self.session.contact_payload(contact).await, expected)?;
            if payload.id != **contact {
                return Ok(Found::broken(
                    expected,
                    format!("`ContactPayload(\"{contact}\")` answered for \"{}\"", shown(&payload.id, 80)),
                ));
            }
        }
        Ok(Found::supported(
            expected,
            format!("{} contact(s), the first {} resolve", others.len(), others.len().min(RESOLVE_AT_MOST)),
        ))
    }

    async fn contact_details(&self) -> Probing<Found> {
        let contacts = self.answered(Rpc::ContactList, self.session.contact_list().await, "`ContactList` answers")?;
        let Some(contact) = contacts.into_iter().find(|id| *id != self.bot) else {
            return Ok(Found::untested("`ContactList` names no contact but the bot"));
        };
        let expected = format!("`ContactPayload(\"{contact}\")` answers with its id and a name");
        let payload = self.answered(Rpc::ContactPayload, self.session.contact_payload(&contact).await, &expected)?;
        if payload.id != contact {
            return Ok(Found::broken(expected, format!("it answered for \"{}\"", shown(&payload.id, 80))));
        }
        if payload.name.is_empty() {
            return Ok(Found::partial("the contact's details carry no name", expected, "name \"\""));
        }
        Ok(Found::supported(expected, format!("name \"{}\"", shown(&payload.name, 60))))
    }

    async fn contact_tags(&self) -> Probing<Found> {
        let expected = "`TagContactList` (all tags) answers".to_owned();
        let tags = self.answered(Rpc::TagContactList, self.session.tag_contact_list("").await, &expected)?;
        if tags.is_empty() {
            return Ok(Found::partial(
                "no tags: an account without tags cannot tell a read from a provider that returns nothing",
                expected,
                "[]",
            ));
        }
        Ok(Found::supported(expected, format!("{} tag(s)", tags.len())))
    }

    fn login_event(&self) -> Probing<Found> {
        let timeline = &self.run.context.timeline;
        let expected = format!("a `login` event naming the bot, \"{}\"", self.bot);
        let scan = timeline.scan(0, of_kinds(&[EventKind::Login]), SCAN_LIMIT);
        let logins: Vec<String> = scan
            .entries
            .iter()
            .filter_map(event_of)
            .filter_map(|event| event.field("contactId").map(str::to_owned))
            .collect();
        Ok(if logins.contains(&self.bot) {
            Found::supported(expected, format!("{} login event(s)", logins.len()))
        } else if logins.is_empty() {
            Found::broken(expected, "no `login` event in the run")
        } else {
            Found::broken(expected, format!("`login` named \"{}\"", shown(&logins[0], 80)))
        })
    }

    // --- a peer, or destructive: what changes is put back --------------------------------------------------------

    async fn mention(&self, room: &str, contact: Option<String>) -> Probing<Found> {
        let members =
            self.answered(Rpc::RoomMemberList, self.session.room_member_list(room).await, "`RoomMemberList` answers")?;
        let member = contact
            .filter(|contact| members.contains(contact))
            .or_else(|| members.iter().find(|member| **member != self.bot).cloned());
        let Some(member) = member else {
            return Ok(Found::untested(format!("the room \"{room}\" has no member but the bot to mention")));
        };
        let text = format!("puppet-lint mention {}", self.nonce);
        let after = self.mark();
        let sent = self.session.send_text_mentioning(room, &text, std::slice::from_ref(&member)).await;
        let echo = self.sent_echo("a text mentioning a member", Rpc::MessageSendText, &self.nonce, sent, after).await?;
        let expected = format!("the echo's mention_ids name \"{member}\"");
        Ok(if echo.mention_ids.contains(&member) {
            Found::supported(expected, format!("echo {} mentions the member", echo.id))
        } else {
            Found::broken(expected, format!("echo {} carries mention_ids {:?}", echo.id, echo.mention_ids))
        })
    }

    /// Sets `setting` to `new`, reads it back, puts the old value back and reads that back too (a failed restore
    /// is said, and makes the row broken).
    async fn set_and_restore(&self, setting: Setting<'_>, old: String, new: String) -> Probing<Found> {
        let (rpc, what) = (setting.rpc(), setting.what());
        let expected = format!("{what} reads back as set, \"{new}\", and is put back to \"{}\"", shown(&old, 60));
        self.answered(rpc, setting.set(&self.session, &new).await, &expected)?;
        let read = self.answered(rpc, setting.get(&self.session).await, &expected)?;
        let restored = setting.set(&self.session, &old).await;
        let back = setting.get(&self.session).await;
        let restore = match (restored, back) {
            (Ok(_), Ok(back)) if back == old => None,
            (Ok(_), Ok(back)) => Some(format!("putting it back failed: it reads \"{}\"", shown(&back, 60))),
            (Err(error), _) | (_, Err(error)) => {
                Some(format!("putting it back failed: {}", shown(&error.shown(), 160)))
            }
        };
        let mut found = if read == new {
            Found::supported(expected, format!("read back \"{}\"", shown(&read, 60)))
        } else {
            Found::broken(expected, format!("set answered OK, but it reads \"{}\"", shown(&read, 60)))
        };
        if let Some(restore) = restore {
            found = Found::broken(found.expected, format!("{}; {restore}", found.seen));
        }
        Ok(found)
    }

    async fn alias(&self, contact: &str) -> Probing<Found> {
        let setting = Setting::Alias(contact);
        let old = self.answered(Rpc::ContactAlias, setting.get(&self.session).await, "`ContactAlias` reads")?;
        let new = format!("puppet-lint {}", &self.nonce[self.nonce.len().saturating_sub(6)..]);
        self.set_and_restore(setting, old, new).await
    }

    async fn set_announcement(&self, room: &str) -> Probing<Found> {
        let setting = Setting::Announcement(room);
        let old = self.answered(Rpc::RoomAnnounce, setting.get(&self.session).await, "`RoomAnnounce` reads")?;
        let new = format!("puppet-lint {}", self.nonce);
        self.set_and_restore(setting, old, new).await
    }

    /// Changes the room's topic and puts it back: `Change group name` judges the read-back, `Group name change
    /// event` the `room-topic` event naming the room and the new topic.
    async fn set_topic(&self, room: &str, event: bool) -> Probing<Found> {
        let old = self.answered(Rpc::RoomPayload, self.session.room_payload(room).await, "`RoomPayload` reads")?.topic;
        let new = format!("puppet-lint {}", &self.nonce[self.nonce.len().saturating_sub(6)..]);
        let after = self.mark();
        let found = self.set_and_restore(Setting::Topic(room), old, new.clone()).await?;
        if !event {
            return Ok(found);
        }
        let expected = format!("a `room-topic` event for \"{room}\" with newTopic \"{new}\"");
        let timeline = &self.run.context.timeline;
        let seen = timeline
            .wait_for(after, self.deadline, of_kinds(&[EventKind::RoomTopic]), |entry| {
                event_of(entry).is_some_and(|event| {
                    event.field("roomId") == Some(room) && event.field("newTopic") == Some(new.as_str())
                })
            })
            .await;
        Ok(match seen {
            Some(entry) => Found::supported(expected, format!("room-topic at +{:.3}s", entry.at.as_secs_f64())),
            None => Found::broken(expected, "the topic was set, but no such `room-topic` event came"),
        })
    }
}

/// The heads of the files probes send: enough for a strict receiver to take each for its type.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const PDF: &[u8] = b"%PDF-1.4\n";
const MP4: &[u8] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";
const GIF: &[u8] = b"GIF89a";
/// An MP3's frame sync. A voice message is sent as an MP3, not WeChat's SILK: no MIME table knows `.silk`, so its
/// echo would be a received file named with an extension that maps to nothing (`filebox.mime-extension` fails it).
const MP3: &[u8] = b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb";

/// A voice message's FileBox metadata: padlocal needs `voiceLength` (ms), WorkPro reads `duration` (s)
/// (CAPABILITIES.md row 12).
fn voice_metadata() -> serde_json::Value {
    serde_json::json!({ "voiceLength": 1000, "duration": 1 })
}

/// What a peer or destructive probe changes and puts back.
#[derive(Clone, Copy)]
enum Setting<'a> {
    /// The alias the bot gave a contact (`ContactAlias`).
    Alias(&'a str),
    /// A room's announcement (`RoomAnnounce`).
    Announcement(&'a str),
    /// A room's name (`RoomTopic` sets it; `RoomPayload` reads it back).
    Topic(&'a str),
}

impl Setting<'_> {
    fn rpc(self) -> Rpc {
        match self {
            Setting::Alias(_) => Rpc::ContactAlias,
            Setting::Announcement(_) => Rpc::RoomAnnounce,
            Setting::Topic(_) => Rpc::RoomTopic,
        }
    }

    fn what(self) -> String {
        match self {
            Setting::Alias(contact) => format!("the alias of \"{contact}\""),
            Setting::Announcement(room) => format!("the announcement of \"{room}\""),
            Setting::Topic(room) => format!("the name of \"{room}\""),
        }
    }

    async fn set(self, session: &Session, value: &str) -> Result<String, RpcError> {
        match self {
            Setting::Alias(contact) => session.contact_alias(contact, Some(value)).await,
            Setting::Announcement(room) => session.room_announce(room, Some(value)).await,
            Setting::Topic(room) => session.room_topic(room, Some(value)).await,
        }
    }

    async fn get(self, session: &Session) -> Result<String, RpcError> {
        match self {
            Setting::Alias(contact) => session.contact_alias(contact, None).await,
            Setting::Announcement(room) => session.room_announce(room, None).await,
            Setting::Topic(room) => session.room_payload(room).await.map(|payload| payload.topic),
        }
    }
}

/// A QR code's content: a URL (or at least no spaces and not empty) is supported; anything else partial. The
/// content is a credential: only its shape is told.
fn qr_code(qrcode: String, expected: String) -> Found {
    let scheme = qrcode.split_once("://").map(|(scheme, _)| scheme.to_owned());
    if qrcode.is_empty() {
        return Found::broken(expected, "an empty QR code");
    }
    let shape = format!(
        "{} character(s){}",
        qrcode.chars().count(),
        scheme.as_ref().map_or_else(String::new, |scheme| format!(", a {} URL", shown(scheme, 12)))
    );
    if qrcode.chars().any(char::is_whitespace) || qrcode.chars().count() > 2953 {
        return Found::partial(
            "the QR code is not a QR payload (it has spaces, or is too long to encode)",
            expected,
            shape,
        );
    }
    Found::supported(expected, shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_code_is_judged_by_its_shape_and_never_shown() {
        let url = qr_code("https://weixin.qq.com/g/secret-part".into(), String::new());
        assert_eq!(url.outcome, Outcome::Supported);
        assert!(!url.seen.contains("secret-part"), "{}", url.seen);
        assert_eq!(qr_code("room-1 mock qrcode".into(), String::new()).outcome, Outcome::Partial);
        assert_eq!(qr_code(String::new(), String::new()).outcome, Outcome::Broken);
    }
}
