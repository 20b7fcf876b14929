//! The message family's content judge, `check_message_content`: every `message` event of the run resolved with
//! `MessagePayload` (a file's with `MessageFile`) and held against what its content must be. Kept apart from
//! `check_received_messages` (the payload's ids and addressing) so each judge reads one thing.
//!
//! | rule ([`ContentRule`]) | level | what it holds | why |
//! | --- | --- | --- | --- |
//! | `file-answers` | must | a message typed Attachment, Audio, Emoticon, Image or Video has a file: `MessageFile` answers a FileBox | Wechaty's `message.toFileBox()` is how a bot reads such a message; a file type without a file is a type that lies about its content |
//! | `app-markup` | should | a message typed Unknown (0) carries no raw app markup (`<msg>`, `<?xml`, `<appmsg`), and a Text (7) carries no app message (`<msg>` or `<?xml` holding an `<appmsg`) | the provider did not parse an app message (a link, a mini program, a file card); the bot gets markup instead of a typed message — typed Text, it even answers the markup as if a person had written it. A should: the provider may not know the kind yet |
//! | `bare-names` | must | every file name the service hands out — `MessageFile`'s, `MessageImage`'s in each size (Thumbnail, HD, Artwork) of an Image, `MessagePayload.filename` — is a bare name: no directory part (`/`, `\`, a URL), no URL query or fragment after its extension | file-box keeps only the basename of a name; a receiver derives the MIME type from the extension, and `photo.jpg?x=1` has none it knows; a path leaks the provider's disk |
//! | `message-time` | must | `timestamp` (ms, wechaty-puppet) and `receive_time` lie at most [`MESSAGE_PAST`] before and [`FUTURE`] after the `message` event arrived | Wechaty's `message.date()` is that time; seconds where milliseconds belong put a message in 1970 |
//! | `name-fits-type` | should | a file name (`MessageFile`'s, `MessageImage`'s, `MessagePayload.filename`) whose extension maps to a MIME type maps to one of the message's type: Image and Emoticon `image/*` (and every `MessageImage` answer), Video `video/*`, Audio `audio/*` (Attachment: any) | a receiver takes the MIME type from the name (file-box): an Image named `x.pdf` opens as a PDF. A should: the type still tells the bot what it got |
//!
//! A name with no extension, or one no MIME type knows, is `filebox.mime-extension`'s (`check_received_files`, which
//! also holds `MessageFile`'s name against the type once the files the bot sends came back).

use std::time::{Duration, UNIX_EPOCH};

use tokio::time::Instant;

use super::watch::of_kinds;
use super::{CheckRun, Failure, shown};
use crate::clock::human;
use crate::engine::field::facts::{FUTURE, MESSAGE_PAST, date, span};
use crate::proto::wechaty::puppet::{ImageType, MessagePayloadResponse};
use crate::session::SCAN_LIMIT;
use crate::suite::ContentRule;
use crate::wire::filebox::FileBox;
use crate::wire::{EventKind, MessageKind};

/// How many findings a failure lists.
const LISTED: usize = 5;
/// What starts raw app markup (WeChat's app messages are XML: `<msg><appmsg …>`).
const MARKUP: &[&str] = &["<msg", "<?xml", "<appmsg"];
/// The sizes `MessageImage` hands an Image out in (wechaty-puppet's `ImageType`), each a FileBox with a name.
const IMAGE_TYPES: [(ImageType, &str); 3] =
    [(ImageType::Thumbnail, "Thumbnail"), (ImageType::Hd, "HD"), (ImageType::Artwork, "Artwork")];

impl CheckRun {
    /// Every `message` event of the run (and for `duration` more), resolved and judged by `rules`.
    pub(super) async fn check_message_content(
        &mut self,
        duration: Duration,
        rules: &[ContentRule],
    ) -> Result<(), Failure> {
        let session = self.session()?;
        let timeline = self.context.timeline.clone();
        let started = self.context.started.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        let deadline = self.cap(duration);
        let wants_file = rules
            .iter()
            .any(|rule| matches!(rule, ContentRule::FileAnswers | ContentRule::BareNames | ContentRule::NameFitsType));
        // `asked`: `MessagePayload`s sent, answered or not (what the bound counts); `judged`: those answered.
        let (mut next, mut messages, mut asked, mut judged, mut files) = (0usize, 0usize, 0usize, 0usize, 0usize);
        // `MessageImage` answers read (an Image's sizes), when a name rule is asked for.
        let wants_names = rules.iter().any(|rule| matches!(rule, ContentRule::BareNames | ContentRule::NameFitsType));
        let mut images = 0usize;
        let mut problems: Vec<(Duration, String)> = Vec::new();
        loop {
            let scan = timeline.scan(next, of_kinds(&[EventKind::Message]), SCAN_LIMIT);
            let caught_up = scan.next >= timeline.len();
            next = scan.next;
            for entry in scan.sightings("messageId") {
                let Some(id) = entry.id else {
                    continue;
                };
                messages += 1;
                // Counted when asked for, answered or not (ids that resolve to nothing are bounded too).
                if !super::sample::reads(messages, asked) {
                    continue;
                }
                asked += 1;
                // Whether it resolves is `check_received_messages`' rule.
                let Ok(payload) = session.message_payload(&id).await else { continue };
                judged += 1;
                let kind = MessageKind::from_wire(payload.r#type);
                let mut found = Vec::new();
                // Files are asked for where the type says one, and for Unknown (the official mock types a .pdf so).
                if wants_file && (kind.carries_file() || kind == MessageKind::Unknown) {
                    let answer = session.message_file(&id).await.map_err(|error| error.shown());
                    files += usize::from(answer.is_ok());
                    if rules.contains(&ContentRule::FileAnswers) {
                        found.extend(file_problem(kind, &answer));
                    }
                    if let Ok(json) = &answer
                        && let Ok(file_box) = FileBox::parse(json)
                    {
                        if rules.contains(&ContentRule::BareNames) {
                            found.extend(name_problem(&file_box.name));
                        }
                        if rules.contains(&ContentRule::NameFitsType) {
                            found.extend(type_name_problem(kind, "`MessageFile` name", &file_box.name));
                        }
                    }
                }
                // Every FileBox an Image is handed out in: its sizes through `MessageImage`, named by the same rules
                // (an image whatever the size). A size the service does not serve is no name to judge.
                if wants_names && kind == MessageKind::Image {
                    for (image_type, size) in IMAGE_TYPES {
                        let Ok(json) = session.message_image(&id, image_type).await else { continue };
                        let Ok(file_box) = FileBox::parse(&json) else { continue };
                        images += 1;
                        let what = format!("`MessageImage` ({size}) name");
                        if rules.contains(&ContentRule::BareNames) {
                            found.extend(bare_name_problem(&what, &file_box.name));
                        }
                        if rules.contains(&ContentRule::NameFitsType) {
                            found.extend(type_name_problem(MessageKind::Image, &what, &file_box.name));
                        }
                    }
                }
                if rules.contains(&ContentRule::BareNames) && !payload.filename.is_empty() {
                    found.extend(filename_problem(&payload.filename));
                }
                if rules.contains(&ContentRule::NameFitsType) && !payload.filename.is_empty() {
                    found.extend(type_name_problem(kind, "`MessagePayload`.filename", &payload.filename));
                }
                if rules.contains(&ContentRule::AppMarkup) {
                    found.extend(markup_problem(kind, &payload.text));
                }
                if rules.contains(&ContentRule::MessageTime) {
                    found.extend(time_problems(&payload, started + entry.at.as_secs_f64()));
                }
                for problem in found {
                    problems.push((
                        entry.at,
                        format!("seq {}: message \"{}\" ({}): {problem}", entry.seq, shown(&id, 60), kind.name()),
                    ));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if caught_up {
                self.progress(
                    format!("judging what received messages carry, {} left", human(deadline - now)),
                    Some((duration.saturating_sub(deadline - now), duration)),
                );
                timeline.changed_after(next, deadline.min(now + Duration::from_secs(1))).await;
            }
        }
        let sampled = if messages > asked {
            format!(" ({asked} of {messages} asked for: {})", super::sample::words())
        } else {
            String::new()
        };
        let Some((at, first)) = problems.first().cloned() else {
            let mut read = if wants_file { format!(", {files} file(s) read") } else { String::new() };
            if wants_names {
                read.push_str(&format!(", {images} `MessageImage` answer(s) read"));
            }
            self.note = Some(format!("{judged} message(s) judged{read}{sampled}"));
            return Ok(());
        };
        let listed: Vec<String> = problems.iter().take(LISTED).map(|(_, problem)| problem.clone()).collect();
        let summary = if problems.len() == 1 {
            first
        } else {
            format!("{} findings in received messages{sampled}: {first}", problems.len())
        };
        let expected: Vec<&str> = rules.iter().map(|rule| expectation(*rule)).collect();
        Err(Failure::fail(summary, expected.join("; "), listed.join("; ")).at(at))
    }
}

/// What a rule expects, in a failure's words.
fn expectation(rule: ContentRule) -> &'static str {
    match rule {
        ContentRule::FileAnswers => "a message of a file type has a file (MessageFile answers)",
        ContentRule::AppMarkup => "no message typed Unknown or Text carries raw app markup",
        ContentRule::BareNames => {
            "every file name the service hands out (MessageFile, MessageImage, MessagePayload.filename) is bare: no \
             directory, no query, no fragment"
        }
        ContentRule::MessageTime => "a message's timestamp (ms) and receive_time are when it arrived",
        ContentRule::NameFitsType => {
            "a file's name has an extension of the message's type (Image: image/*, Video: video/*, Audio: audio/*)"
        }
    }
}

/// `file-answers`: a file type whose `MessageFile` fails, or answers no FileBox.
fn file_problem(kind: MessageKind, answer: &Result<String, String>) -> Option<String> {
    if !kind.carries_file() {
        return None;
    }
    let wrong = match answer {
        Err(error) => format!("MessageFile fails: {}", shown(error, 120)),
        Ok(json) => match FileBox::parse(json) {
            Ok(_) => return None,
            Err(error) => format!("MessageFile answers no FileBox ({error}): {}", shown(json, 80)),
        },
    };
    Some(format!(
        "type {} ({}) says a file, but {wrong}: a message of a file type has a file (file-answers, must)",
        kind.wire(),
        kind.name()
    ))
}

/// `app-markup`: a message typed Unknown whose text is raw app markup, or typed Text whose text is an app message
/// (a `<msg>` or `<?xml` document holding an `<appmsg>`: a person who types a tag writes no app message around it).
fn markup_problem(kind: MessageKind, text: &str) -> Option<String> {
    let start = text.trim_start();
    // The head only: an app message names its `<appmsg>` near its start, and a text may be megabytes.
    let lower: String = start.chars().take(4096).collect::<String>().to_ascii_lowercase();
    let app = lower.contains("<appmsg");
    let marked = match kind {
        MessageKind::Unknown => MARKUP.iter().any(|mark| lower.starts_with(mark)) || app || text.contains("<appmsg"),
        MessageKind::Text => app && (lower.starts_with("<msg") || lower.starts_with("<?xml")),
        _ => false,
    };
    marked.then(|| {
        format!(
            "`MessagePayload`.text is raw app markup {} typed {} ({}): the provider did not parse the app message \
             into a type a bot can read (app-markup, should)",
            shown(&format!("{:?}", start.chars().take(48).collect::<String>()), 80),
            kind.name(),
            kind.wire()
        )
    })
}

/// `name-fits-type`: a file name (`what` says where it was found) whose extension maps to a MIME type of another
/// kind than the message's type says. No extension, or one no MIME type knows: not judged here.
fn type_name_problem(kind: MessageKind, what: &str, name: &str) -> Option<String> {
    let top = kind.expected_top_level_mime()?;
    let (Some(extension), Some(mime)) = crate::wire::filebox::mime_of_name(name) else { return None };
    if mime.starts_with(&format!("{top}/")) {
        return None;
    }
    Some(format!(
        "{what} {} has the extension .{} ({mime}), but the message is typed {} ({}): a receiver takes the MIME \
         type from the name and opens a {top} as {mime} (name-fits-type, should)",
        shown(&format!("{name:?}"), 100),
        shown(&extension, 16),
        kind.name(),
        kind.wire()
    ))
}

/// `bare-names` on a message's own `MessagePayload.filename`, judged as `MessageFile`'s name is. (Whether its
/// extension fits the message's type is `filebox.mime-extension`'s rule, on the name `MessageFile` hands out.)
fn filename_problem(filename: &str) -> Option<String> {
    bare_name_problem("`MessagePayload`.filename", filename)
}

/// `bare-names`: a name with a directory part, or a URL query or fragment after its extension.
fn name_problem(name: &str) -> Option<String> {
    bare_name_problem("`MessageFile` name", name)
}

/// A name (`what` says where it was found) with a directory part, or a URL query or fragment after its extension.
fn bare_name_problem(what: &str, name: &str) -> Option<String> {
    let quoted = shown(&format!("{name:?}"), 100);
    if name.contains("://") {
        return Some(format!(
            "{what} {quoted} is a URL, not a file name: a file name is bare, the base name only (bare-names, must)"
        ));
    }
    if name.contains('/') || name.contains('\\') {
        return Some(format!(
            "{what} {quoted} has a directory part: a file name is bare, the base name only (bare-names, must)"
        ));
    }
    // `photo.jpg?x=1`, `report.pdf#page=2`, `photo.jpg?v=1.2`: an extension, then a query or fragment that has
    // none, or that is parameters (`key=value`, `&`) whatever dots they hold (`what?.txt`, `v1.2?final.pdf` and
    // `notes #3.pdf` are names).
    let cut = name.find(['?', '#'])?;
    let (before, after) = name.split_at(cut);
    let extension = |part: &str| {
        part.rsplit_once('.').is_some_and(|(stem, extension)| {
            !stem.is_empty()
                && (1..=8).contains(&extension.len())
                && extension.chars().all(|c| c.is_ascii_alphanumeric())
        })
    };
    let name_at = what;
    let parameters = after[1..].contains(['=', '&']);
    (extension(before) && (parameters || !extension(&after[1..]))).then(|| {
        let what = if after.starts_with('?') { "a URL query" } else { "a URL fragment" };
        format!(
            "{name_at} {quoted} ends in {what} after its extension: a file name is bare, and a receiver finds no \
             MIME type for `.{}` (bare-names, must)",
            shown(name.rsplit_once('.').map_or("", |(_, extension)| extension), 40)
        )
    })
}

/// `message-time`: `timestamp` (ms) and `receive_time` against the moment the event arrived (`arrived`, seconds
/// since the epoch). A zero `timestamp` and an absent `receive_time` are not judged (fields a server may leave out).
fn time_problems(payload: &MessagePayloadResponse, arrived: f64) -> Vec<String> {
    let mut found = Vec::new();
    #[allow(deprecated)]
    let timestamp = payload.timestamp_deprecated;
    if timestamp != 0 {
        let seconds = timestamp as f64 / 1000.0;
        if let Some(off) = off_clock(seconds, arrived) {
            let hint = unit_hint(timestamp as f64, arrived, "milliseconds");
            found.push(format!(
                "`MessagePayload`.timestamp is {timestamp} ms ({}), {off}{hint}: a message's time is when it was \
                 sent, in milliseconds, at most {} before and {} after it arrives (message-time, must)",
                date(seconds),
                span(MESSAGE_PAST.as_secs_f64()),
                span(FUTURE.as_secs_f64())
            ));
        }
    }
    if let Some(time) = payload.receive_time.as_ref().filter(|time| time.seconds != 0 || time.nanos != 0) {
        let seconds = time.seconds as f64 + f64::from(time.nanos) / 1e9;
        if let Some(off) = off_clock(seconds, arrived) {
            let hint = unit_hint(time.seconds as f64, arrived, "seconds");
            found.push(format!(
                "`MessagePayload`.receive_time is {{seconds: {}, nanos: {}}} ({}), {off}{hint}: a message's time is \
                 when it was sent, at most {} before and {} after it arrives (message-time, must)",
                time.seconds,
                time.nanos,
                date(seconds),
                span(MESSAGE_PAST.as_secs_f64()),
                span(FUTURE.as_secs_f64())
            ));
        }
    }
    found
}

/// How far off the clock a time is, or `None` when it is within it.
fn off_clock(seconds: f64, arrived: f64) -> Option<String> {
    let off = seconds - arrived;
    if !off.is_finite() || off < -MESSAGE_PAST.as_secs_f64() {
        Some(format!("{} before the event arrived ({})", span(-off), date(arrived)))
    } else if off > FUTURE.as_secs_f64() {
        Some(format!("{} after the event arrived ({})", span(off), date(arrived)))
    } else {
        None
    }
}

/// Which unit would have put `value` on the clock, when another would: `" — it reads as seconds where
/// milliseconds belong"`.
fn unit_hint(value: f64, arrived: f64, meant: &str) -> String {
    [(1.0, "seconds"), (1000.0, "milliseconds"), (1e6, "microseconds"), (1e9, "nanoseconds")]
        .iter()
        .filter(|(_, unit)| *unit != meant)
        .find(|(per_second, _)| off_clock(value / per_second, arrived).is_none())
        .map_or_else(String::new, |(_, unit)| format!(" — it reads as {unit} where {meant} belong"))
}

#[cfg(test)]
mod tests;
