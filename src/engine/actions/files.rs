//! Files: `send_file` (a file of a type, inline, through `Upload` or the
//! deprecated `MessageSendFileStream`), `download_file` (`MessageFile`, then
//! the bytes, byte for byte), `ding_during_transfer` (a `dong` is not held
//! back by a transfer), `expect_mime` (a name's extension and its MIME type
//! map to each other), and `check_received_files` (every file message
//! received is named with the extension of its type). The MIME tables are
//! the checker's own (`wire::filebox`); the mock keeps its own.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::watch::{event_of, of_kinds};
use crate::session::{CHUNK, SCAN_LIMIT};

/// The most `download_file` reads (what a suite may send: 64 MiB).
const DOWNLOAD_LIMIT: usize = 64 << 20;
/// `ding_during_transfer`: chunks of the transfer, how much goes before the
/// ding, and the slack for timer noise on a busy machine. The chunks are
/// small: a hundred targets run this check at about the same moment, and each
/// holds about three chunks at once (64 KiB chunks made the peak of
/// `benches/fleet.rs` a hundred targets: some 14 MiB more, at that moment).
const TRANSFER_CHUNK: usize = 16 * 1024;
const LOAD_BEFORE_DING: usize = 1 << 20;
const NOISE: Duration = Duration::from_millis(100);
use super::{CheckRun, Failure, Stepped, fields};
use crate::clock::human;
use crate::proto::wechaty::puppet as pb;
use crate::suite::{FilesAction, Step, Template, Via};
use crate::wire::filebox::{self, Digest, FileBox, MadeFile, Payload};
use crate::wire::{EventKind, MessageKind};

/// How `send_file` makes and sends its file.
#[derive(Debug, Clone, Copy)]
struct Sending {
    /// Bytes of pseudo-random content (`None`: a small file of the type).
    size: Option<u64>,
    via: Via,
    /// Whether the bytes are hashed as they go (the check reads the md5).
    hashed: bool,
}

impl CheckRun {
    pub(super) async fn files_step(&mut self, step: &Step, action: &FilesAction) -> Result<Stepped, Failure> {
        match action {
            FilesAction::SendFile { to, mime, name, size, via, hashed } => {
                let how = Sending { size: *size, via: *via, hashed: *hashed };
                Ok(Stepped::captured(Box::pin(self.send_file(step, to, mime, name.as_ref(), how)).await?))
            }
            FilesAction::DownloadFile { id, md5, size, inline, hashed } => Ok(Stepped::captured(
                Box::pin(self.download_file(step, id, md5.as_ref(), size.as_ref(), *inline, *hashed)).await?,
            )),
            FilesAction::DingDuringTransfer { size, factor } => {
                Ok(Stepped::captured(Some(Box::pin(self.ding_during_transfer(*size, *factor)).await?)))
            }
            FilesAction::ExpectMime { name, mime } => {
                let (name, mime) = (self.render(name)?, self.render(mime)?);
                expect_mime(&name, &mime)?;
                Ok(Stepped::nothing())
            }
            FilesAction::CheckReceivedFiles { duration } => {
                let duration = self.duration(duration)?;
                Box::pin(self.check_received_files(duration)).await?;
                Ok(Stepped::nothing())
            }
        }
    }

    async fn send_file(
        &mut self,
        step: &Step,
        to: &Template,
        mime: &Template,
        name: Option<&Template>,
        how: Sending,
    ) -> Result<Option<super::Captured>, Failure> {
        let Sending { size, via, hashed } = how;
        let (to, mime) = (self.render(to)?, self.render(mime)?);
        self.files_sent += 1;
        let name = match name {
            Some(name) => self.render(name)?,
            None => {
                let extension = filebox::preferred_extension(&mime)
                    .ok_or_else(|| Failure::error(format!("puppet-lint knows no extension for `{mime}`")))?;
                format!("puppet-lint-{}-{}.{extension}", self.nonce(), self.files_sent)
            }
        };
        let stem = std::path::Path::new(&name).file_stem().and_then(|stem| stem.to_str()).unwrap_or(&name).to_owned();
        // A sized file is made chunk by chunk as it is sent (and hashed by a
        // pass of its own): a 5 MiB file costs a chunk of memory, not 5 MiB
        // a target.
        let sample = sample_bytes(&mime, &self.nonce());
        let file = match size {
            Some(size) => {
                let seed = format!("{}-{}", self.nonce(), self.files_sent);
                MadeFile::new(&sample, usize::try_from(size).unwrap_or(usize::MAX), &seed)
            }
            None => MadeFile::of(&sample),
        };
        let session = self.session()?;
        // The chunks are hashed as they are sent (when the check reads the md5): the file is made once, not again
        // for its md5.
        let counted = Arc::new(std::sync::Mutex::new(Digest::new(hashed)));
        let chunks = {
            let counted = counted.clone();
            file.chunks(CHUNK)
                .inspect(move |chunk| counted.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).add(chunk))
        };
        let sent = match via {
            Via::Inline => session.send_file(&to, &FileBox::from_bytes(&name, &file.bytes()).to_json()).await,
            Via::Upload => match self.rpc(step, session.upload(chunks).await)? {
                Some(uuid) => {
                    let json = FileBox::uuid(&name, &uuid, file.len() as u64).to_json();
                    session.send_file(&to, &json).await
                }
                None => return Ok(None),
            },
            Via::Stream => session.send_file_stream(&to, &name, chunks).await,
        };
        let id = self.rpc(step, sent)?;
        let counted = counted.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        // A send that ended before its last chunk (or an inline one) is hashed by a pass of its own.
        let md5 = match hashed {
            true if counted.size() == file.len() => counted.md5(),
            true => file.digest().md5(),
            false => None,
        };
        let size = file.len().to_string();
        let kind = MessageKind::of_mime(&mime).map(MessageKind::name).unwrap_or_default();
        Ok(id.map(|id| {
            let mut captured = fields([
                ("id", id),
                ("to", to),
                ("name", name),
                ("stem", stem),
                ("mime", mime),
                ("kind", kind),
                ("size", size),
                ("via", via.name().to_owned()),
            ]);
            // Only a check that reads it has it (the compiler knows which do).
            if let Some(md5) = md5 {
                captured.insert("md5".to_owned(), md5);
            }
            captured
        }))
    }

    /// `MessageFile(id)`, then the file's bytes: a uuid box through
    /// `Download`, an inline box decoded; compared with what was sent.
    async fn download_file(
        &mut self,
        step: &Step,
        id: &Template,
        md5: Option<&Template>,
        size: Option<&Template>,
        inline: bool,
        hashed: bool,
    ) -> Result<Option<super::Captured>, Failure> {
        let id = self.render(id)?;
        let render = |template: Option<&Template>| template.map(|template| self.render(template)).transpose();
        let (want_md5, want_size) = (render(md5)?, render(size)?);
        let session = self.session()?;
        let Some(json) = self.rpc(step, session.message_file(&id).await)? else {
            return Ok(None);
        };
        let file_box = FileBox::parse(&json).map_err(|error| {
            Failure::fail(
                format!("MessageFile answered a file box puppet-lint cannot read: {error}"),
                format!("MessageFile(\"{id}\") answers a FileBox as JSON"),
                super::shown(&json, 200),
            )
        })?;
        let shown_size = |size: &str| want_size.clone().unwrap_or_else(|| size.to_owned());
        let clock = std::time::Instant::now();
        // The bytes are counted (and hashed, when the check reads the md5) as they come, never kept whole.
        let mut digest = Digest::new(hashed);
        let how = match &file_box.payload {
            Payload::Base64(_) if !inline => {
                let size = shown_size(&file_box.size.map_or_else(|| "?".to_owned(), |size| size.to_string()));
                return Err(Failure::fail(
                    format!(
                        "MessageFile answered the {size}-byte file \"{}\" inline: its file_box is a base64 box of {} in one gRPC message",
                        file_box.name,
                        bytes_human(json.len())
                    ),
                    format!(
                        "files over {} come back from MessageFile as a uuid box (\"type\": 7) whose bytes are fetched with Download: most clients refuse gRPC messages over 4 MiB (RESOURCE_EXHAUSTED)",
                        bytes_human(filebox::INLINE_LIMIT)
                    ),
                    format!("a base64 box (\"type\": 1), {} of JSON", bytes_human(json.len())),
                ));
            }
            Payload::Base64(_) => {
                let bytes = file_box.inline_bytes().ok_or_else(|| {
                    Failure::fail(
                        format!(
                            "MessageFile answered a base64 box for \"{}\" whose \"base64\" does not decode",
                            file_box.name
                        ),
                        "a base64 box whose \"base64\" decodes",
                        super::shown(&json, 200),
                    )
                })?;
                digest.add(&bytes);
                "inline (base64 box)".to_owned()
            }
            Payload::Uuid(uuid) => {
                match self.rpc(step, session.download(uuid, DOWNLOAD_LIMIT, |chunk| digest.add(chunk)).await)? {
                    Some(_) => format!("Download of uuid box \"{}\"", super::shown(uuid, 60)),
                    None => return Ok(None),
                }
            }
            _ => {
                return Err(Failure::error(format!(
                    "MessageFile answered a box of type {} for \"{}\": puppet-lint reads only base64 and uuid boxes",
                    file_box.box_type, file_box.name
                )));
            }
        };
        let took = clock.elapsed();
        let (md5, size) = (digest.md5(), digest.size());
        let size_differs = want_size.as_deref().is_some_and(|want| want != size.to_string());
        let md5_differs =
            want_md5.as_deref().is_some_and(|want| md5.as_ref().is_none_or(|md5| !want.eq_ignore_ascii_case(md5)));
        if size_differs || md5_differs {
            let told = |size: &str, md5: Option<&str>| match md5 {
                Some(md5) => format!("{size} bytes, md5 {md5}"),
                None => format!("{size} bytes"),
            };
            let sent = told(want_size.as_deref().unwrap_or("?"), want_md5.as_deref());
            let received = told(&size.to_string(), md5.as_deref());
            return Err(Failure::fail(
                format!(
                    "the file \"{}\" came back different from what was sent: sent {sent}; received {received} ({how})",
                    file_box.name
                ),
                format!("MessageFile then Download give back the file byte for byte: {sent}"),
                format!("{received}, {how}"),
            ));
        }
        let box_kind = match file_box.payload {
            Payload::Uuid(_) => "uuid",
            _ => "base64",
        };
        let mut captured = fields([
            ("name", file_box.name),
            ("box", box_kind.to_owned()),
            ("size", size.to_string()),
            ("answer_bytes", json.len().to_string()),
            ("download_ms", took.as_millis().to_string()),
        ]);
        if let Some(md5) = md5 {
            captured.insert("md5".to_owned(), md5);
        }
        Ok(Some(captured))
    }

    /// `Ding` → `dong` idle (the slower of two), then with an `Upload`
    /// streaming meanwhile: under `factor` times the idle latency, plus
    /// [`NOISE`].
    async fn ding_during_transfer(&mut self, size: u64, factor: f64) -> Result<super::Captured, Failure> {
        let session = self.session()?;
        // Two idle dings at once (the slower counts): as robust as two in a
        // row, in half the time (a slow server's dong takes a second).
        let deadline = self.cap(Duration::from_secs(10));
        let (first, second) = (
            format!("puppet-lint idle ding {} #1", self.nonce()),
            format!("puppet-lint idle ding {} #2", self.nonce()),
        );
        let (first, second) =
            tokio::join!(self.ding_latency(&session, &first, deadline), self.ding_latency(&session, &second, deadline));
        let (Some(first), Some(second)) = (first?, second?) else {
            return Err(Failure {
                kind: super::Kind::Skip,
                summary:
                    "no dong answered an idle Ding (heartbeat.ding-dong covers that), so there is no latency to compare"
                        .into(),
                expected: String::new(),
                observed: String::new(),
                focus: None,
            });
        };
        let idle = first.max(second);
        let allowed = idle.mul_f64(factor) + NOISE;
        // The transfer spans the whole allowed time: `size` bytes in chunks
        // spread over it, ended early once the dong arrives.
        let chunks = (size as usize).div_ceil(TRANSFER_CHUNK).max(2);
        let pace = (allowed / chunks as u32).max(Duration::from_millis(1));
        let (sender, receiver) = tokio::sync::mpsc::channel::<pb::UploadRequest>(1);
        let upload = {
            let session = session.clone();
            tokio::spawn(
                async move { session.upload_stream(tokio_stream::wrappers::ReceiverStream::new(receiver)).await },
            )
        };
        let content = filebox::pseudo_random(&[], TRANSFER_CHUNK, &format!("{}-load", self.nonce()));
        // A megabyte (or half the transfer) under way, then the ding goes.
        let before_ding = (LOAD_BEFORE_DING / TRANSFER_CHUNK).min(chunks / 2).max(1);
        let (ding_now, under_way) = tokio::sync::oneshot::channel::<()>();
        let stop = tokio_util::sync::CancellationToken::new();
        let feeding = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut ding_now = Some(ding_now);
                let mut fed = 0usize;
                while fed < chunks && !stop.is_cancelled() {
                    let chunk = pb::UploadRequest { chunk: content.clone() };
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        sent = sender.send(chunk) => if sent.is_err() { break },
                    }
                    fed += 1;
                    if fed == before_ding
                        && let Some(ding_now) = ding_now.take()
                    {
                        let _ = ding_now.send(());
                    }
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(pace) => {}
                    }
                }
                // Dropping the sender ends the upload.
                fed * TRANSFER_CHUNK
            })
        };
        let _ = under_way.await;
        let data = format!("puppet-lint ding under load {}", self.nonce());
        let deadline = self.cap(allowed + Duration::from_secs(5));
        let loaded = self.ding_latency(&session, &data, deadline).await;
        stop.cancel();
        let fed = feeding.await.unwrap_or(0);
        let uploaded = upload.await.map_err(|error| Failure::error(format!("the transfer task failed: {error}")))?;
        let moved = bytes_human(fed);
        if let Err(error) = uploaded {
            if error.is_transport() {
                return Err(Failure::connection(&error));
            }
            return Err(Failure::fail(
                format!("the transfer the ding was measured under failed: {error}"),
                "Upload accepts a stream of chunks",
                error.shown(),
            ));
        }
        let loaded = loaded?;
        let (idle_ms, allowed_ms) = (idle.as_millis(), allowed.as_millis());
        let Some(loaded) = loaded else {
            return Err(Failure::fail(
                format!(
                    "no dong answered a Ding sent during an Upload ({moved} streamed) within {}; idle, a dong took {idle_ms} ms",
                    human(allowed + Duration::from_secs(5))
                ),
                format!(
                    "a dong within {allowed_ms} ms ({factor}× the idle {idle_ms} ms, plus {} ms)",
                    NOISE.as_millis()
                ),
                format!("no dong with data \"{data}\""),
            ));
        };
        let loaded_ms = loaded.as_millis();
        if loaded > allowed {
            return Err(Failure::fail(
                format!(
                    "Ding → dong took {loaded_ms} ms during an Upload ({moved} streamed), {:.1}× the idle {idle_ms} ms: the transfer holds events back",
                    loaded.as_secs_f64() / idle.as_secs_f64().max(1e-3)
                ),
                format!(
                    "the dong event within {allowed_ms} ms ({factor}× the idle {idle_ms} ms, plus {} ms)",
                    NOISE.as_millis()
                ),
                format!("dong after {loaded_ms} ms"),
            ));
        }
        self.note = Some(format!("dong {idle_ms} ms idle, {loaded_ms} ms during an Upload ({moved} streamed)"));
        Ok(fields([("idle_ms", idle_ms.to_string()), ("loaded_ms", loaded_ms.to_string())]))
    }

    /// Sends `Ding(data)`; how long until its `dong` arrived (`None`: not
    /// before `deadline`).
    async fn ding_latency(
        &self,
        session: &crate::session::Session,
        data: &str,
        deadline: Instant,
    ) -> Result<Option<Duration>, Failure> {
        let timeline = &self.context.timeline;
        let (from, sent_at) = (timeline.len(), timeline.now());
        if let Err(error) = session.ding(data).await {
            if error.is_transport() {
                return Err(Failure::connection(&error));
            }
            return Err(Failure::fail(error.to_string(), "Ding succeeds", error.shown()));
        }
        let dong = timeline
            .wait_for(from, deadline, of_kinds(&[EventKind::Dong]), |entry| {
                event_of(entry).and_then(|event| event.field("data")) == Some(data)
            })
            .await;
        Ok(dong.map(|entry| entry.at.saturating_sub(sent_at)))
    }

    async fn check_received_files(&mut self, duration: Duration) -> Result<(), Failure> {
        let session = self.session()?;
        let timeline = &self.context.timeline;
        let deadline = self.cap(duration);
        let mut next = 0;
        let mut checked = 0;
        let mut problems: Vec<(Duration, String)> = Vec::new();
        let (mut messages, mut asked) = (0usize, 0usize);
        loop {
            let scan = timeline.scan(next, of_kinds(&[EventKind::Message]), SCAN_LIMIT);
            let caught_up = scan.next >= timeline.len();
            next = scan.next;
            for entry in scan.sightings("messageId") {
                let Some(message_id) = entry.id.as_deref().filter(|_| entry.kind == EventKind::Message) else {
                    continue;
                };
                messages += 1;
                // Each message costs a `MessagePayload` (and a file one a
                // `MessageFile`): the run's one sample of received messages,
                // counted when asked for, answered or not.
                if !super::sample::reads(messages, asked) {
                    continue;
                }
                asked += 1;
                let Ok(payload) = session.message_payload(message_id).await else {
                    continue;
                };
                let kind = MessageKind::from_wire(payload.r#type);
                // The official mock sends some files as type 0: look at those too.
                if !(kind.carries_file() || kind == MessageKind::Unknown) {
                    continue;
                }
                let Ok(json) = session.message_file(message_id).await else {
                    continue;
                };
                checked += 1;
                let name = match FileBox::parse(&json) {
                    Ok(file_box) => file_box.name,
                    Err(error) => {
                        problems.push((entry.at, format!("{} message {message_id}: {error}", kind.name())));
                        continue;
                    }
                };
                if let Some(problem) = received_name_problem(kind, &name) {
                    problems.push((
                        entry.at,
                        format!("{} message {message_id} from {}: {problem}", kind.name(), payload.talker_id),
                    ));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if !caught_up {
                continue;
            }
            self.progress(
                format!("checking received file names, {} left", human(deadline - now)),
                Some((duration.saturating_sub(deadline - now), duration)),
            );
            timeline.changed_after(next, deadline.min(now + Duration::from_secs(1))).await;
        }
        if let Some((at, _)) = problems.first() {
            let listed: Vec<String> = problems.iter().take(5).map(|(_, problem)| problem.clone()).collect();
            return Err(Failure::fail(
                format!("{} received file(s) named without the extension of their type", problems.len()),
                "every file received is named with an extension that maps to a MIME type fitting its message type",
                listed.join("; "),
            )
            .at(*at));
        }
        if messages > asked {
            self.note = Some(format!(
                "{checked} file message(s) judged; {asked} of {messages} messages asked for ({})",
                super::sample::words()
            ));
        }
        Ok(())
    }
}

/// The name must map to `mime`, and `mime` must count its extension as its own.
fn expect_mime(name: &str, mime: &str) -> Result<(), Failure> {
    let (extension, derived) = filebox::mime_of_name(name);
    let issue = match (&extension, &derived) {
        (None, _) => "it has no extension, so a receiver sees application/unknown".to_owned(),
        (Some(extension), None) => {
            format!(".{extension} maps to no MIME type, so a receiver sees application/unknown")
        }
        (Some(extension), Some(derived))
            if !derived.eq_ignore_ascii_case(mime) || !filebox::extension_fits(mime, extension) =>
        {
            format!(".{extension} maps to {derived}, not {mime}")
        }
        _ => return Ok(()),
    };
    let conventional = filebox::preferred_extension(mime).unwrap_or_default();
    Err(Failure::fail(
        format!("a file sent as {mime} came back named \"{name}\": {issue}"),
        format!("a name whose extension maps to {mime} and back (like .{conventional})"),
        format!("\"{name}\": {issue}"),
    ))
}

/// What is wrong with a received file's name, if anything.
fn received_name_problem(kind: MessageKind, name: &str) -> Option<String> {
    let (extension, mime) = filebox::mime_of_name(name);
    match (extension, mime) {
        (None, _) => Some(format!("\"{name}\" has no extension")),
        (Some(extension), None) => Some(format!("\"{name}\": .{extension} maps to no MIME type")),
        (Some(_), Some(mime)) => match kind.expected_top_level_mime() {
            Some(top) if !mime.starts_with(&format!("{top}/")) => {
                Some(format!("\"{name}\" maps to {mime}, not {top}/*"))
            }
            _ => None,
        },
    }
}

/// `40 KiB`, `5 MiB`, `512 B`.
fn bytes_human(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// Small, recognisable content of a type, so a strict receiver accepts it.
fn sample_bytes(mime: &str, nonce: &str) -> Vec<u8> {
    let mut bytes: Vec<u8> = match mime {
        "application/pdf" => b"%PDF-1.4\n".to_vec(),
        "image/png" => b"\x89PNG\r\n\x1a\n".to_vec(),
        "image/jpeg" => b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".to_vec(),
        "image/gif" => b"GIF89a".to_vec(),
        "video/mp4" => b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec(),
        _ => Vec::new(),
    };
    bytes.extend_from_slice(format!("puppet-lint test file {nonce}\n").as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_rule_accepts_the_conventional_names_and_refuses_the_rest() {
        assert!(expect_mime("report.pdf", "application/pdf").is_ok());
        assert!(expect_mime("PHOTO.JPEG", "image/jpeg").is_ok());
        assert!(expect_mime("photo.jpg", "image/jpeg").is_ok());
        let stripped = expect_mime("report", "application/pdf").unwrap_err();
        assert_eq!(
            stripped.summary,
            "a file sent as application/pdf came back named \"report\": it has no extension, so a receiver sees application/unknown"
        );
        let wrong = expect_mime("report.png", "application/pdf").unwrap_err();
        assert_eq!(wrong.observed, "\"report.png\": .png maps to image/png, not application/pdf");
        assert!(expect_mime("voice.silk", "audio/silk").is_err());
    }

    #[test]
    fn received_names_must_fit_their_message_type() {
        assert_eq!(received_name_problem(MessageKind::Image, "a.jpg"), None);
        assert_eq!(received_name_problem(MessageKind::Attachment, "a.pdf"), None);
        assert!(received_name_problem(MessageKind::Image, "a.pdf").unwrap().contains("not image/*"));
        assert!(received_name_problem(MessageKind::Image, "photo").unwrap().contains("no extension"));
        assert!(received_name_problem(MessageKind::Audio, "voice.silk").unwrap().contains("no MIME type"));
    }
}
