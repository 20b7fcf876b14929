//! The probes of the message rows: what the bot sends to itself (a text, a contact card, a link, a mini program,
//! files of each kind, a location) comes back typed as sent and reads back through its accessor rpc; a forward
//! comes back as a new message of its source's type; a recall is done; a mention in the `--peer-room` is carried.

use super::*;

impl Probe<'_> {
    // --- messages to the bot itself ------------------------------------------------------------------------------

    /// A text to the bot and its echo, unjudged (a forward's source too).
    pub(super) async fn text_echo(&self) -> Probing<pb::MessagePayloadResponse> {
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

    pub(super) async fn text(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
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

    pub(super) async fn contact_card(&self) -> Probing<Found> {
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

    pub(super) fn link(&self) -> pb::UrlLinkPayload {
        pb::UrlLinkPayload {
            description: "a link card sent by puppet-lint's capability probe".into(),
            thumbnail_url: "https://puppet-lint.invalid/thumbnail.png".into(),
            title: format!("puppet-lint {}", self.nonce),
            url: format!("https://puppet-lint.invalid/link/{}", self.nonce),
        }
    }

    /// A link card to the bot and its echo, unjudged (a forward's source too).
    pub(super) async fn url_echo(&self) -> Probing<pb::MessagePayloadResponse> {
        let after = self.mark();
        let sent = self.session.send_url(&self.bot, self.link()).await;
        self.sent_echo("a link card", Rpc::MessageSendUrl, &self.nonce, sent, after).await
    }

    pub(super) async fn url(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
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

    pub(super) fn program(&self) -> pb::MiniProgramPayload {
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
    pub(super) async fn mini_program_echo(&self) -> Probing<pb::MessagePayloadResponse> {
        let after = self.mark();
        let sent = self.session.send_mini_program(&self.bot, self.program()).await;
        self.sent_echo("a mini program", Rpc::MessageSendMiniProgram, &self.nonce, sent, after).await
    }

    pub(super) async fn mini_program(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
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
    pub(super) async fn send_file(
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

    pub(super) async fn pictures_and_files(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
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
    pub(super) fn file_kind(
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

    pub(super) async fn video(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let echo = self.send_file("video", "mp4", MP4, None).await?;
        self.file_kind("a video", echo, MessageKind::Video, &[(MessageKind::Attachment, "sent as a file")])
    }

    pub(super) async fn gif(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let echo = self.send_file("gif", "gif", GIF, None).await?;
        let also = [(MessageKind::Image, "sent as a still image"), (MessageKind::Attachment, "sent as a file")];
        self.file_kind("a GIF", echo, MessageKind::Emoticon, &also)
    }

    pub(super) async fn voice(&self) -> Probing<(pb::MessagePayloadResponse, Found)> {
        let echo = self.send_file("voice", "mp3", MP3, Some(voice_metadata())).await?;
        self.file_kind("a voice message", echo, MessageKind::Audio, &[(MessageKind::Attachment, "sent as a file")])
    }

    /// Forwards the message the row's source row sends to the bot itself: the forward must come back as a new
    /// message of the source's type. A source that could not be made leaves the row untested.
    pub(super) async fn forward(&self, row: Row) -> Probing<Found> {
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
        let forwarded = self.echo("the forwarded message", &id, &self.nonce, after, &source.id, None).await?;
        if forwarded.r#type != source.r#type {
            return Ok(Found::broken(
                expected,
                format!("the forward {} came typed {}", forwarded.id, Self::type_name(&forwarded)),
            ));
        }
        let seen = format!("forward {} typed {}", forwarded.id, Self::type_name(&forwarded));
        // The forward kept the type — of a source that is not the row's kind (a link that echoed as a text, a GIF
        // as a still image): no forward of that kind was seen.
        if let Some(kind) = forwarded_kind(row)
            && MessageKind::from_wire(source.r#type) != kind
        {
            let from = row.depends_on().map_or("", Row::text);
            return Ok(Found::partial(
                format!(
                    "the message forwarded was typed {}, not {} ({}): it depends on `{from}`, which sends it so; no {} \
                     was seen forwarded",
                    Self::type_name(&source),
                    kind.name(),
                    kind.wire(),
                    kind.name()
                ),
                expected,
                seen,
            ));
        }
        Ok(Found::supported(expected, seen))
    }

    pub(super) async fn recall(&self) -> Probing<Found> {
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
        let expected = format!(
            "`MessageRecall` of the bot's message {} answers success = true, and the message is gone: it reads back \
             typed Recalled (13) or not at all, or a Recalled message names it",
            echo.id
        );
        let after = self.mark();
        if !self.answered(Rpc::MessageRecall, self.session.recall(&echo.id).await, &expected)? {
            return Ok(Found::broken(expected, "`MessageRecall` answered success = false"));
        }
        // The effect: the message read back again, or a Recalled message (whose text is the recalled id, as
        // wechaty-puppet's `messageRecall` event shape has it).
        let until = self.deadline;
        let (mut reader, mut read) = (IdReader::new(EventKind::Message, "messageId", after), 0usize);
        // How many read-backs answered "as sent"; none, and the window's end cut the first short: what the message
        // reads as after the recall is not known.
        let (mut as_sent, mut unanswered) = (0usize, false);
        loop {
            match self.session.message_payload_now(&echo.id).await {
                Ok(read) if MessageKind::from_wire(read.r#type) == MessageKind::Recalled => {
                    return Ok(Found::supported(expected, format!("message {} reads back typed Recalled", echo.id)));
                }
                Ok(_) => as_sent += 1,
                // The wait is over (the window's end cut the read short).
                Err(RpcError::Cut { .. }) => {
                    unanswered = as_sent == 0;
                    break;
                }
                Err(RpcError::Status { code, shown, .. }) => {
                    self.noted(Rpc::MessagePayload, format!("{}: {}", code_name(code), first_line(&shown)));
                    return Ok(Found::supported(
                        expected,
                        format!("message {} no longer reads: `MessagePayload` answered {}", echo.id, code_name(code)),
                    ));
                }
                Err(error) => return self.answered(Rpc::MessagePayload, Err(error), &expected),
            }
            if let Some(recalled) = self.recalled_message(&echo.id, &mut reader, &mut read).await? {
                return Ok(Found::supported(expected, format!("a Recalled message ({recalled}) names it")));
            }
            if Instant::now() >= until {
                break;
            }
            let timeline = &self.run.context.timeline;
            let seen = timeline.len();
            timeline.changed_after(seen, until.min(Instant::now() + Duration::from_millis(500))).await;
        }
        if unanswered {
            return Ok(Found::untested(format!(
                "not decided within the heartbeat window: `MessageRecall` answered success = true, and the window \
                 ended before `MessagePayload` of message {} answered (slow, not refused; a longer \
                 --heartbeat-window gives it the time)",
                echo.id
            )));
        }
        if self.cut {
            return Ok(Found::untested(format!(
                "not decided within the heartbeat window: `MessageRecall` answered success = true, and message {} \
                 still read back as sent when the window ended (the probe began late in the window)",
                echo.id
            )));
        }
        Ok(Found::broken(
            expected,
            format!(
                "`MessageRecall` answered success = true, but message {} still reads back as sent, and no Recalled \
                 message named it within {}",
                echo.id,
                self.waited()
            ),
        ))
    }

    /// The id of a Recalled message, among those `reader` has not read yet, whose text names `recalled` (a recall
    /// told as a message); `read` counts the messages read, at most [`INSPECT_AT_MOST`].
    async fn recalled_message(
        &self,
        recalled: &str,
        reader: &mut IdReader,
        read: &mut usize,
    ) -> Probing<Option<String>> {
        let timeline = &self.run.context.timeline;
        while let Some(batch) = reader.batch(timeline, None).await {
            for (id, _) in &batch {
                if *read >= INSPECT_AT_MOST {
                    return Ok(None);
                }
                *read += 1;
                let Ok(payload) = self.session.message_payload(id).await else { continue };
                if MessageKind::from_wire(payload.r#type) == MessageKind::Recalled && payload.text.contains(recalled) {
                    return Ok(Some(id.clone()));
                }
            }
        }
        Ok(None)
    }

    pub(super) async fn location(&self) -> Probing<Found> {
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

/// The message kind a forward row is about: its source message must be of it for the forward to show that kind
/// forwarded.
fn forwarded_kind(row: Row) -> Option<MessageKind> {
    Some(match row {
        Row::ForwardText => MessageKind::Text,
        Row::ForwardPicture => MessageKind::Image,
        Row::ForwardUrl => MessageKind::Url,
        Row::ForwardAudio => MessageKind::Audio,
        Row::ForwardVideo => MessageKind::Video,
        Row::ForwardFile => MessageKind::Attachment,
        Row::ForwardGif => MessageKind::Emoticon,
        Row::ForwardMiniProgram => MessageKind::MiniProgram,
        _ => return None,
    })
}
