use super::*;

fn is_login(moment: &Moment) -> bool {
    moment.kind == Some(EventKind::Login)
}

/// A recording that cannot be written says so, once, and tells whoever
/// waits for it (here its path is a directory; a full disk mid-run takes
/// the same way).
#[test]
fn a_recording_that_fails_tells_why() {
    let dir = std::env::temp_dir().join(format!("puppet-lint-timeline-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("timeline.jsonl")).unwrap();
    let timeline = Timeline::recorded_to(&dir.join("timeline.jsonl"));
    assert!(timeline.recording_failed().is_cancelled());
    timeline.push_event(1, 7, r#"{"messageId":"m1"}"#.into());
    let (_, why) = timeline.recording();
    assert!(why.is_some_and(|why| why.starts_with("cannot write")), "{:?}", timeline.recording());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(start_paused = true)]
async fn waiting_sees_entries_pushed_later_and_gives_up_at_the_deadline() {
    let timeline = Timeline::new();
    let later = timeline.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        later.push_event(1, 25, r#"{"contactId":"bot"}"#.into());
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    let login = timeline.wait_for(0, deadline, is_login, |_| true).await.unwrap();
    let What::Event(event) = login.what else { unreachable!() };
    assert_eq!(event.field("contactId"), Some("bot"));

    let deadline = Instant::now() + Duration::from_secs(1);
    let none = timeline.wait_for(0, deadline, |_| true, |entry| matches!(&entry.what, What::Note(_))).await;
    assert!(none.is_none());
}

#[test]
fn only_the_first_heartbeat_of_a_stream_is_the_connect_heartbeat() {
    let timeline = Timeline::new();
    timeline.push(What::Subscribed { stream: 1 });
    timeline.push_event(1, 1, r#"{"data":"stream connect successfully"}"#.into());
    timeline.push_event(1, 1, r#"{"data":"tick"}"#.into());
    timeline.push_event(2, 1, r#"{"data":"again"}"#.into());
    let mut flags = Vec::new();
    timeline.visit_moments(0, |m| {
        if m.kind.is_some() {
            flags.push(m.connect_heartbeat);
        }
    });
    assert_eq!(flags, [true, false, true]);
    let read: Vec<bool> = timeline
        .since(0)
        .iter()
        .filter_map(|entry| match &entry.what {
            What::Event(event) => Some(event.connect_heartbeat),
            _ => None,
        })
        .collect();
    assert_eq!(read, [true, false, true]);
}

#[test]
fn garbage_payloads_are_recorded_with_their_problem() {
    let timeline = Timeline::new();
    timeline.push_event(1, 2, "\u{1}not json".into());
    timeline.push_event(1, 99, "{}".into());
    let entries = timeline.since(0);
    let What::Event(message) = &entries[0].what else { unreachable!() };
    assert!(message.problem.as_deref().unwrap().starts_with("payload is not JSON"));
    assert_eq!(message.raw, "\u{1}not json");
    let What::Event(unknown) = &entries[1].what else { unreachable!() };
    assert_eq!(unknown.kind, EventKind::Other(99));
}

/// Live and read back from its recording, a timeline holds the same instants: every entry's, and every rpc's
/// request and latency (a judge re-judging a recording sees the order it saw live: an event at +5.3 ms was after a
/// judge's +5 ms live and before it re-judged, when the live index kept finer instants than the recording).
#[test]
fn a_timeline_read_back_from_its_recording_holds_the_instants_it_held_live() {
    let dir = std::env::temp_dir().join(format!("puppet-lint-timeline-{}", uuid::Uuid::new_v4().simple()));
    let live = Timeline::recorded_to(&dir.join(RECORDING));
    for stream in 1..=40u32 {
        live.push(What::Subscribed { stream });
        let started = live.now();
        std::thread::sleep(Duration::from_micros(u64::from(stream) * 37 % 900));
        live.push_event(stream, EventKind::Heartbeat.wire(), r#"{"data":"beat"}"#.into());
        live.push(What::Rpc(RpcRecord {
            name: Rpc::Ding,
            started,
            took: live.now() - started,
            outcome: "ok".into(),
            ok: true,
        }));
        live.push(What::StreamEnded { stream, error: None });
    }
    live.flush();
    let again = Timeline::from_recording(&dir.join(RECORDING)).unwrap();
    let instants = |timeline: &Timeline| -> Vec<(Duration, Option<(Duration, Duration)>)> {
        let entries = timeline.since(0);
        let spans = entries.iter().map(|entry| match &entry.what {
            What::Rpc(rpc) => Some((rpc.started, rpc.took)),
            _ => None,
        });
        entries.iter().map(|entry| entry.at).zip(spans).collect()
    };
    let (seen, read) = (instants(&live), instants(&again));
    assert_eq!(seen.len(), 160);
    assert_eq!(seen, read);
    assert!(seen.iter().all(|(at, _)| at.subsec_nanos() % 1_000_000 == 0), "whole milliseconds: {seen:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_recording_reads_back_into_a_timeline_that_stands_still() {
    let dir = std::env::temp_dir().join(format!("puppet-lint-timeline-{}", uuid::Uuid::new_v4().simple()));
    let live = Timeline::recorded_to(&dir.join(RECORDING));
    live.push(What::Subscribed { stream: 1 });
    live.push_event(1, 1, r#"{"data":"stream connect"}"#.into());
    live.push_event(1, 25, r#"{"contactId":"bot"}"#.into());
    live.push(What::Rpc(RpcRecord {
        name: Rpc::Start,
        started: live.now(),
        took: Duration::from_millis(1),
        outcome: "ok".into(),
        ok: true,
    }));
    live.push_event(1, 2, "not json".into());
    live.flush();
    let again = Timeline::from_recording(&dir.join(RECORDING)).unwrap();
    assert_eq!(again.len(), live.len());
    assert_eq!(again.counts(), live.counts());
    let (a, b) = (again.moment(1).unwrap(), live.moment(1).unwrap());
    assert!(a.connect_heartbeat && b.connect_heartbeat);
    assert_eq!(again.moment(2).unwrap().replay, live.moment(2).unwrap().replay);
    let entries = again.since(0);
    assert!(matches!(&entries[3].what, What::Rpc(rpc) if rpc.name == Rpc::Start && rpc.ok && rpc.name.causes_events()));
    assert!(matches!(&entries[4].what, What::Event(event) if event.problem.is_some()));
    // Nothing more arrives: its clock stands at the last entry.
    let end = again.now();
    assert_eq!(end, Duration::from_millis(entries[4].at.as_millis() as u64));
    std::fs::write(dir.join("bad.jsonl"), "{\"seq\":0,\"at_ms\":5,\"kind\":\"note\",\"text\":\"a\"}\nnot json\n")
        .unwrap();
    let error = Timeline::from_recording(&dir.join("bad.jsonl")).err().expect("a bad line");
    assert_eq!(error.line, 2);
    assert!(error.to_string().contains("bad.jsonl:2: not a timeline entry"), "{error}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_recording_holds_every_entry_as_a_json_line_and_readers_see_huge_payloads_cut() {
    let dir = std::env::temp_dir().join(format!("puppet-lint-timeline-{}", uuid::Uuid::new_v4().simple()));
    let timeline = Timeline::recorded_to(&dir.join(RECORDING));
    timeline.push(What::Subscribed { stream: 1 });
    let huge = format!(r#"{{"messageId":"m","text":"{}"}}"#, "x".repeat(3 << 20));
    timeline.push_event(1, 2, huge.clone());
    timeline.push(What::Note("done".into()));
    let What::Event(event) = &timeline.since(1)[0].what else { unreachable!() };
    assert!(event.raw.len() < 2048 && event.raw.ends_with(&format!("… ({} bytes in all)", huge.len())));
    assert_eq!(event.field("messageId"), Some("m"), "the parse is whole, long strings cut");
    assert!(event.field("text").unwrap().ends_with(&format!("… ({} bytes in all)", 3 << 20)));
    assert_eq!(event.problem, None);
    timeline.flush();
    let text = std::fs::read_to_string(dir.join(RECORDING)).unwrap();
    let lines: Vec<TimelineEntry> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert!(
        matches!(&lines[1].what, TimelineWhat::Event { payload, .. } if *payload == huge),
        "the recording keeps what the service sent, whole"
    );
    assert!(matches!(lines[0].what, TimelineWhat::Subscribed { stream: 1 }));
    assert!(matches!(&lines[2].what, TimelineWhat::Note { text } if text == "done"));
    assert_eq!(timeline.counts().get("message"), Some(&1));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn readers_skip_unwanted_types_on_the_index() {
    let timeline = Timeline::new();
    for index in 0..1000 {
        timeline.push_event(1, 2, format!(r#"{{"messageId":"m{index}"}}"#));
    }
    timeline.push_event(1, 3, r#"{"data":"d"}"#.into());
    let scan = timeline.scan(0, |moment| moment.kind == Some(EventKind::Dong), 10);
    assert_eq!((scan.entries.len(), scan.next), (1, 1001));
    let dongs = scan.entries;
    let first = timeline.scan(0, |_| true, 10);
    assert_eq!((first.entries.len(), first.next), (10, 10), "a scan stops at its limit");
    assert_eq!(dongs[0].seq, 1000);
    let excerpt = timeline.excerpt(Duration::ZERO, timeline.now(), timeline.now(), 3);
    assert_eq!(excerpt.len(), 3);
}

/// Past its budget a recording keeps payloads as head, length and SHA-256, then stops recording events; the file
/// never grows past the budget, readers see the trimmed payloads as trimmed, and a rebuild says the same.
#[test]
fn the_recording_stays_within_its_budget_and_a_rebuild_says_what_was_trimmed() {
    let dir = std::env::temp_dir().join(format!("puppet-lint-budget-{}", uuid::Uuid::new_v4().simple()));
    let path = dir.join(RECORDING);
    let budget = Budget { total: 1 << 20, line: 64 << 10 };
    let timeline = Timeline::recorded_within(&path, budget);
    timeline.push(What::Subscribed { stream: 1 });
    let big = |index: usize| format!(r#"{{"messageId":"m{index}","text":"{}"}}"#, "x".repeat(40 << 10));
    // One line over the line cap: trimmed at once, whatever the budget left.
    timeline.push_event(1, 2, format!(r#"{{"messageId":"huge","text":"{}"}}"#, "y".repeat(100 << 10)));
    for index in 0..40 {
        timeline.push_event(1, 2, big(index));
    }
    // Small payloads still fit while events have room.
    timeline.push_event(1, 3, r#"{"data":"small"}"#.into());
    for _ in 0..2000 {
        timeline.push_event(1, 2, big(99));
    }
    timeline.push(What::Note("done".into()));
    timeline.flush();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size <= budget.total, "the recording is {size} bytes, over its {} budget", budget.total);
    let trim = timeline.trimmed().expect("the budget was spent");
    assert_eq!(trim.first_trimmed, Some(1), "the line over the cap is trimmed first: {trim:?}");
    assert!(trim.trimmed > 1 && trim.unrecorded > 0, "{trim:?}");
    let What::Event(first) = &timeline.since(1)[0].what else { unreachable!() };
    assert!(matches!(&first.kept, Kept::Trimmed(trimmed) if trimmed.bytes > 100 << 10 && trimmed.sha256.len() == 64));
    assert_eq!(first.field("messageId"), Some("huge"), "live, the run's own parse stays for live readers");
    let whole = timeline.since(2).into_iter().find_map(|entry| match entry.what {
        What::Event(event) => Some(event),
        _ => None,
    });
    assert!(whole.is_some_and(|event| event.kept.is_whole() && event.field("messageId") == Some("m0")));
    let last = timeline.since(timeline.len() - 2);
    assert!(matches!(&last[0].what, What::Event(event) if event.kept == Kept::Unrecorded));
    let notes: Vec<Entry> = timeline.others_since(0);
    assert!(
        notes.iter().any(|entry| matches!(&entry.what, What::Note(text) if text.contains("budget (1 MiB) is spent")))
    );
    drop(timeline);
    let again = Timeline::from_recording(&path).unwrap();
    let rebuilt = again.trimmed().expect("a rebuild tells the trim");
    assert_eq!((rebuilt.trimmed, rebuilt.first_trimmed), (trim.trimmed, trim.first_trimmed));
    let What::Event(first) = &again.since(1)[0].what else { unreachable!() };
    assert!(matches!(&first.kept, Kept::Trimmed(_)) && first.payload.is_none() && first.problem.is_none());
    assert!(first.raw.contains("trimmed by the recording budget"), "{}", first.raw);
    let _ = std::fs::remove_dir_all(dir);
}

/// Two payloads over the long-payload limit with one head are two payloads: each event's identity is its whole
/// payload's SHA-256, taken as it arrived (the readers' `raw` is cut), and the same when re-judged from the
/// recording, whether it kept the payload whole or trimmed it; a short payload is its own identity.
#[test]
fn a_long_payloads_identity_is_its_whole_digest_live_and_read_back() {
    let dir = std::env::temp_dir().join(format!("puppet-lint-identity-{}", uuid::Uuid::new_v4().simple()));
    let path = dir.join(RECORDING);
    let budget = Budget { total: 4 << 20, line: 1 << 20 };
    let timeline = Timeline::recorded_within(&path, budget);
    let head = "h".repeat(70 << 10);
    let big = |tail: &str| format!(r#"{{"data":"{head}{tail}"}}"#);
    timeline.push_event(1, 1, big("a"));
    timeline.push_event(1, 1, big("b"));
    timeline.push_event(1, 1, big("a"));
    timeline.push_event(1, 1, r#"{"data":"short"}"#.into());
    // Over the line cap: trimmed by the recording, its digest kept with it.
    let over = format!(r#"{{"data":"{}"}}"#, "o".repeat(2 << 20));
    timeline.push_event(1, 1, over.clone());
    timeline.flush();
    let identities = |timeline: &Timeline| -> Vec<String> {
        timeline
            .since(0)
            .into_iter()
            .filter_map(|entry| match entry.what {
                What::Event(event) => Some(format!("{:?}", event.identity())),
                _ => None,
            })
            .collect()
    };
    let live = identities(&timeline);
    assert_eq!(live.len(), 5);
    let What::Event(first) = &timeline.since(0)[0].what else { unreachable!() };
    assert!(first.raw.len() < 4096, "readers see it cut");
    assert_ne!(live[0], live[1], "one head, two payloads");
    assert_eq!(live[0], live[2]);
    assert!(live[0].contains(&sha256_hex(&big("a"))), "{}", live[0]);
    assert!(live[3].contains("Whole") && live[3].contains("short"), "{}", live[3]);
    assert!(live[4].contains(&sha256_hex(&over)), "{}", live[4]);
    drop(timeline);
    let again = Timeline::from_recording(&path).unwrap();
    assert_eq!(identities(&again), live, "re-judged, the same identities");
    let _ = std::fs::remove_dir_all(dir);
}

/// A file bigger than any recording, or with a line longer than any recording line, is refused before it is read.
#[test]
fn a_recording_over_its_caps_is_refused() {
    let dir = std::env::temp_dir().join(format!("puppet-lint-caps-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let sparse = dir.join("sparse.jsonl");
    std::fs::File::create(&sparse).unwrap().set_len(Budget::DEFAULT.total + (2 << 20)).unwrap();
    let error = Timeline::from_recording(&sparse).err().expect("too big");
    assert!(error.to_string().contains("more than a recording ever holds"), "{error}");
    let long = dir.join("long.jsonl");
    std::fs::write(&long, "x".repeat((Budget::DEFAULT.line + (128 << 10)) as usize)).unwrap();
    let error = Timeline::from_recording(&long).err().expect("too long a line");
    assert!(error.to_string().contains("more than a recording line ever holds"), "{error}");
    let _ = std::fs::remove_dir_all(dir);
}
