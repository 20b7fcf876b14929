//! Reproductions per rule, each differing from the examples (another type, field, unit or spelling).

use super::*;

/// The event arrived at 2026-12-06T20:00:00Z.
const ARRIVED: f64 = 1_796_587_200.0;

#[allow(deprecated)]
fn payload(timestamp_ms: u64, receive_time: Option<(i64, i32)>) -> MessagePayloadResponse {
    MessagePayloadResponse {
        id: "m-1".into(),
        timestamp_deprecated: timestamp_ms,
        receive_time: receive_time.map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos }),
        ..Default::default()
    }
}

#[test]
fn a_file_type_without_a_file_is_found_and_other_types_are_not_asked() {
    let failed = Err("FAILED_PRECONDITION: message carries no file".to_owned());
    for kind in
        [MessageKind::Image, MessageKind::Video, MessageKind::Audio, MessageKind::Emoticon, MessageKind::Attachment]
    {
        let found = file_problem(kind, &failed).unwrap_or_default();
        assert!(found.contains("MessageFile fails") && found.contains("(file-answers, must)"), "{found}");
    }
    let not_a_box = file_problem(MessageKind::Image, &Ok("{\"no\":\"box\"}".to_owned())).unwrap_or_default();
    assert!(not_a_box.contains("answers no FileBox"), "{not_a_box}");
    for kind in [MessageKind::Text, MessageKind::Unknown, MessageKind::Url, MessageKind::Other(18)] {
        assert_eq!(file_problem(kind, &failed), None, "{kind:?}");
    }
}

#[test]
fn unparsed_app_markup_typed_unknown_is_found() {
    for text in [
        "<msg><appmsg appid=\"\" sdkver=\"0\"><title>A link</title><type>5</type></appmsg></msg>",
        "  <?xml version=\"1.0\"?>\n<msg><appmsg><type>33</type></appmsg></msg>",
        "<appmsg appid=\"wx1\"><title>mini program</title></appmsg>",
        "<MSG><APPMSG/></MSG>",
    ] {
        let found = markup_problem(MessageKind::Unknown, text).unwrap_or_default();
        assert!(found.contains("raw app markup") && found.contains("(app-markup, should)"), "{text}: {found}");
    }
    // An app message typed Text is as unparsed, and worse: a bot answers the markup as a person's text.
    for text in [
        "<msg><appmsg appid=\"\" sdkver=\"0\"><title>A link</title><type>5</type></appmsg></msg>",
        "\n<?xml version=\"1.0\"?><msg><appmsg><type>6</type><title>report.pdf</title></appmsg></msg>",
        "<Msg><AppMsg appid=\"wx2\"><type>33</type></AppMsg></Msg>",
    ] {
        let found = markup_problem(MessageKind::Text, text).unwrap_or_default();
        assert!(found.contains("typed text (7)") && found.contains("(app-markup, should)"), "{text}: {found}");
    }
    // A person's text about markup is a text: no app message in a `<msg>`, or markup that does not start it.
    for text in [
        "<msg>hello</msg>",
        "look: <msg><appmsg/></msg>",
        "<?xml version=\"1.0\"?><note>to self</note>",
        "<appmsg> is the tag WeChat uses",
    ] {
        assert_eq!(markup_problem(MessageKind::Text, text), None, "{text}");
    }
    // Other types are not judged: an Image's text is its own affair.
    assert_eq!(markup_problem(MessageKind::Image, "<msg><appmsg/></msg>"), None);
    assert_eq!(markup_problem(MessageKind::Unknown, "an unknown message, no markup"), None);
    assert_eq!(markup_problem(MessageKind::Unknown, "1 < 2 and msg > 0"), None);
}

#[test]
fn names_with_a_directory_a_query_or_a_fragment_are_found() {
    for (name, what) in [
        ("/tmp/upload/report.pdf", "directory part"),
        ("C:\\Users\\bot\\Downloads\\photo.jpg", "directory part"),
        ("https://cdn.example/f/photo.jpg", "is a URL"),
        ("photo.jpg?x=1", "a URL query"),
        ("report.pdf#page=2", "a URL fragment"),
        ("voice.silk?sign=abc&t=1", "a URL query"),
    ] {
        let found = name_problem(name).unwrap_or_default();
        assert!(found.contains(what) && found.contains("(bare-names, must)"), "{name}: {found}");
    }
    for bare in ["report.pdf", "报告 final v2.pdf", "what?.txt", "notes #3.pdf", "a?b#c", "photo.jpg", ".hidden"] {
        assert_eq!(name_problem(bare), None, "{bare}");
    }
}

/// The family of the fragment the attacker's `cat.jpg#page=1` belongs to, on every name the service hands out:
/// parameters that hold dots (which once read as an extension after the `?`), a URL of any scheme, a fragment in
/// `MessageImage`'s name, a query in a payload's filename — and names that only look like one stay names.
#[test]
fn queries_fragments_and_urls_are_found_in_every_name_whatever_they_hold() {
    for (what, name, said) in [
        ("`MessageFile` name", "cat.jpg#page=1", "a URL fragment"),
        ("`MessageFile` name", "photo.png?v=1.2", "a URL query"),
        ("`MessageFile` name", "clip.mp4#t=10.5", "a URL fragment"),
        ("`MessageFile` name", "scan.pdf?a.b&c=d.e", "a URL query"),
        ("`MessageImage` (HD) name", "alice-photo.jpg?size=hd", "a URL query"),
        ("`MessageImage` (Thumbnail) name", "thumb.jpg#x", "a URL fragment"),
        ("`MessageImage` (Artwork) name", "file:///var/cache/alice-photo.jpg", "is a URL"),
        ("`MessagePayload`.filename", "https://cdn.example/cat.jpg?sig=abc", "is a URL"),
    ] {
        let found = bare_name_problem(what, name).unwrap_or_default();
        assert!(
            found.starts_with(what) && found.contains(said) && found.contains("(bare-names, must)"),
            "{name}: {found}"
        );
    }
    for bare in ["v1.2?final.pdf", "why?.txt", "track #2.mp3", "a.b#c.d"] {
        assert_eq!(bare_name_problem("`MessageFile` name", bare), None, "{bare}");
    }
}

/// `MessageImage` answers are images, whatever the message: a size named like a document is of another kind.
#[test]
fn a_message_image_named_as_another_kind_is_found() {
    let found = type_name_problem(MessageKind::Image, "`MessageImage` (Thumbnail) name", "alice-photo-thumb.pdf");
    let found = found.unwrap_or_default();
    assert!(found.contains("`MessageImage` (Thumbnail) name") && found.contains("application/pdf"), "{found}");
    assert_eq!(type_name_problem(MessageKind::Image, "`MessageImage` (HD) name", "qrcode.png"), None);
}

#[test]
fn message_times_off_the_clock_are_found_with_the_unit_that_fits() {
    let now_ms = (ARRIVED * 1000.0) as u64;
    assert!(time_problems(&payload(now_ms - 3_000, Some((ARRIVED as i64 - 3, 0))), ARRIVED).is_empty());
    // A backlog a week old is a backlog.
    assert!(time_problems(&payload(now_ms - 7 * 86_400_000, None), ARRIVED).is_empty());
    // Seconds where milliseconds belong: 1970.
    let seconds = time_problems(&payload(ARRIVED as u64, None), ARRIVED);
    assert_eq!(seconds.len(), 1, "{seconds:?}");
    assert!(seconds[0].contains("`MessagePayload`.timestamp is 1796587200 ms (1970-01-21"), "{}", seconds[0]);
    assert!(seconds[0].contains("it reads as seconds where milliseconds belong"), "{}", seconds[0]);
    assert!(seconds[0].contains("(message-time, must)"), "{}", seconds[0]);
    // Microseconds: far in the future.
    let micro = time_problems(&payload(now_ms * 1000, None), ARRIVED);
    assert!(micro[0].contains("after the event arrived") && micro[0].contains("reads as microseconds"), "{micro:?}");
    // Decades off, in receive_time only.
    let decades = time_problems(&payload(0, Some((ARRIVED as i64 - 30 * 31_557_600, 0))), ARRIVED);
    assert_eq!(decades.len(), 1, "{decades:?}");
    assert!(
        decades[0].contains("`MessagePayload`.receive_time") && decades[0].contains("30 years before"),
        "{decades:?}"
    );
    // receive_time in milliseconds.
    let millis = time_problems(&payload(now_ms, Some(((ARRIVED * 1000.0) as i64, 0))), ARRIVED);
    assert_eq!(millis.len(), 1, "{millis:?}");
    assert!(millis[0].contains("reads as milliseconds where seconds belong"), "{millis:?}");
    // Absent times are not judged.
    assert!(time_problems(&payload(0, None), ARRIVED).is_empty());
}

/// A message's own `filename` is judged as `MessageFile`'s name is.
#[test]
fn a_file_name_of_another_kind_than_its_type_is_found() {
    for (kind, name, mime) in [
        (MessageKind::Image, "x.pdf", "application/pdf"),
        (MessageKind::Video, "clip.jpg", "image/jpeg"),
        (MessageKind::Audio, "voice.mp4", "video/mp4"),
        (MessageKind::Emoticon, "smile.txt", "text/plain"),
        (MessageKind::Image, "photo.MP3", "audio/mpeg"),
    ] {
        let found = type_name_problem(kind, "`MessageFile` name", name).unwrap_or_default();
        assert!(
            found.contains(mime)
                && found.contains(&format!("typed {}", kind.name()))
                && found.ends_with("(name-fits-type, should)"),
            "{kind:?} {name}: {found}"
        );
    }
    // Names that fit, names with no extension or one no MIME type knows (mime-extension's), and types that take any.
    for (kind, name) in [
        (MessageKind::Image, "photo.jpg"),
        (MessageKind::Image, "photo.PNG"),
        (MessageKind::Emoticon, "smile.gif"),
        (MessageKind::Video, "clip.mp4"),
        (MessageKind::Audio, "voice.mp3"),
        (MessageKind::Audio, "voice.silk"),
        (MessageKind::Image, "photo"),
        (MessageKind::Attachment, "report.jpg"),
        (MessageKind::Unknown, "report.pdf"),
        (MessageKind::Text, "notes.pdf"),
    ] {
        assert_eq!(type_name_problem(kind, "`MessagePayload`.filename", name), None, "{kind:?} {name}");
    }
}

#[test]
fn a_payloads_filename_is_a_bare_name() {
    for (filename, said) in [
        ("uploads/2026/cat.jpg", "has a directory part"),
        ("C:\\Users\\bot\\report.pdf", "has a directory part"),
        ("cat.jpg?sig=abc123", "a URL query"),
        ("clip.mp4#t=10", "a URL fragment"),
    ] {
        let found = filename_problem(filename).unwrap_or_default();
        assert!(found.contains("`MessagePayload`.filename") && found.contains(said), "{filename}: {found}");
    }
    for filename in ["cat.JPG", "what?.txt", "notes #3.pdf", "报告 final v2.pdf"] {
        assert_eq!(filename_problem(filename), None, "{filename}");
    }
}
