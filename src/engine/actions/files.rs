//! Files: `send_file` (a small file of a type, as a FileBox), `expect_mime`
//! (a name's extension and its MIME type map to each other), and
//! `check_received_files` (every file message received is named with the
//! extension of its type). The MIME tables are the checker's own
//! (`wire::filebox`); the mock keeps its own.

use std::time::Duration;

use tokio::time::Instant;

use super::watch::{event_of, of_kinds};
use crate::session::SCAN_LIMIT;

/// Received messages resolved in full; past this, one in [`SAMPLE_EVERY`].
const FETCH_LIMIT: usize = 300;
const SAMPLE_EVERY: usize = 100;
use super::{CheckRun, Failure, Stepped, fields};
use crate::clock::human;
use crate::suite::{Action, Step, Template};
use crate::wire::filebox::{self, FileBox};
use crate::wire::{EventKind, MessageKind};

impl CheckRun {
    pub(super) async fn files_step(&mut self, step: &Step) -> Result<Stepped, Failure> {
        match &step.action {
            Action::SendFile { to, mime, name } => {
                Ok(Stepped::captured(self.send_file(step, to, mime, name.as_ref()).await?))
            }
            Action::ExpectMime { name, mime } => {
                let (name, mime) = (self.render(name)?, self.render(mime)?);
                expect_mime(&name, &mime)?;
                Ok(Stepped::nothing())
            }
            Action::CheckReceivedFiles { duration } => {
                let duration = self.duration(duration)?;
                self.check_received_files(duration).await?;
                Ok(Stepped::nothing())
            }
            _ => unreachable!("the dispatcher sends only file actions here"),
        }
    }

    async fn send_file(
        &mut self,
        step: &Step,
        to: &Template,
        mime: &Template,
        name: Option<&Template>,
    ) -> Result<Option<super::Captured>, Failure> {
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
        let bytes = sample_bytes(&mime, &self.nonce());
        let json = FileBox::from_bytes(&name, &bytes).to_json();
        let id = self.rpc(step, self.session()?.send_file(&to, &json).await)?;
        Ok(id.map(|id| fields([("id", id), ("to", to), ("name", name), ("stem", stem), ("mime", mime)])))
    }

    async fn check_received_files(&mut self, duration: Duration) -> Result<(), Failure> {
        let session = self.session()?;
        let timeline = &self.context.timeline;
        let deadline = self.cap(duration);
        let mut next = 0;
        let mut checked = 0;
        let mut problems: Vec<(Duration, String)> = Vec::new();
        let mut messages = 0usize;
        loop {
            let scan = timeline.scan(next, of_kinds(&[EventKind::Message]), SCAN_LIMIT);
            let caught_up = scan.next >= timeline.len();
            next = scan.next;
            for entry in scan.entries {
                let Some(message_id) = event_of(&entry)
                    .filter(|event| event.kind == EventKind::Message)
                    .and_then(|event| event.field("messageId"))
                else {
                    continue;
                };
                messages += 1;
                // Each message costs a `MessagePayload`: past the limit, a
                // sample (a flood says nothing new per message).
                if messages > FETCH_LIMIT && !messages.is_multiple_of(SAMPLE_EVERY) {
                    continue;
                }
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
        if messages > FETCH_LIMIT {
            self.note = Some(format!(
                "{checked} file message(s) judged; of {messages} messages, the first {FETCH_LIMIT} and then one in {SAMPLE_EVERY} were resolved"
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
