//! Reproductions per rule, each differing from the issue's example (another event, field or encoding).

use super::*;

/// The run began at 2026-12-06T20:00:00Z.
const STARTED: u64 = 1_796_587_200;

fn started() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(STARTED)
}

/// A payload's identity as the timeline gives it (`EventRecord::identity`).
fn identity(raw: &str) -> Identity<'_> {
    if raw.len() > crate::session::timeline::HEAD {
        Identity::Sha256(crate::session::timeline::sha256_hex(raw).into())
    } else {
        Identity::Whole(raw)
    }
}

/// Judges `(at seconds, event, payload)` with `rules`; returns the findings' messages.
fn judge(rules: &[FactRule], events: &[(f64, EventKind, &str)]) -> Vec<String> {
    let mut facts = Facts::new(rules, started());
    for (seq, (at, kind, raw)) in events.iter().enumerate() {
        let payload: Option<Value> = serde_json::from_str(raw).ok();
        facts.event(seq, Duration::from_secs_f64(*at), *kind, raw, Some(&identity(raw)), payload.as_ref(), true, false);
    }
    facts.findings().iter().map(|finding| finding.message.clone()).collect()
}

#[test]
fn a_received_message_delivered_twice_is_found() {
    let found = judge(
        &[FactRule::MessageOnce],
        &[
            (1.0, EventKind::Message, r#"{"messageId":"wxid-msg-1"}"#),
            (1.5, EventKind::Message, r#"{"messageId":"wxid-msg-2"}"#),
            (4.0, EventKind::Message, r#"{"messageId":"wxid-msg-1"}"#),
        ],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0],
        "seq 2: `message`.messageId \"wxid-msg-1\" again (first at seq 0): one `message` event per message id; a \
         bot answers a message delivered twice twice (must)"
    );
}

#[test]
fn a_message_id_escaped_differently_is_the_same_id() {
    // The same id, once with a JSON escape: the ids decoded are equal.
    let found = judge(
        &[FactRule::MessageOnce],
        &[
            (1.0, EventKind::Message, r#"{"messageId":"m-1"}"#),
            (2.0, EventKind::Message, r#"{"messageId":"m\u002d1"}"#),
        ],
    );
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn a_message_repeated_three_times_is_found_twice_and_distinct_ids_are_not() {
    let mut events: Vec<(f64, EventKind, String)> =
        (0..1000).map(|i| (f64::from(i) / 100.0, EventKind::Message, format!(r#"{{"messageId":"m{i}"}}"#))).collect();
    assert!(judge(&[FactRule::MessageOnce], &as_refs(&events)).is_empty());
    events.push((20.0, EventKind::Message, r#"{"messageId":"m7"}"#.to_owned()));
    events.push((21.0, EventKind::Message, r#"{"messageId":"m7"}"#.to_owned()));
    let found = judge(&[FactRule::MessageOnce], &as_refs(&events));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|message| message.contains("(first at seq 7)")), "{found:?}");
    // Another event type with the same payload is no message.
    assert!(
        judge(
            &[FactRule::MessageOnce],
            &[(1.0, EventKind::Post, r#"{"messageId":"x"}"#), (2.0, EventKind::Post, r#"{"messageId":"x"}"#)]
        )
        .is_empty()
    );
}

fn as_refs(events: &[(f64, EventKind, String)]) -> Vec<(f64, EventKind, &str)> {
    events.iter().map(|(at, kind, raw)| (*at, *kind, raw.as_str())).collect()
}

#[test]
fn a_storm_of_identical_heartbeats_is_found_once() {
    let beat = r#"{"data":"heartbeat@puppet"}"#;
    let storm: Vec<(f64, EventKind, &str)> =
        (0..30).map(|i| (2.0 + f64::from(i) * 0.02, EventKind::Heartbeat, beat)).collect();
    let found = judge(&[FactRule::EventStorm], &storm);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("seq 10: `heartbeat` \"{\\\"data\\\":\\\"heartbeat@puppet\\\"}\" for the 11th time"));
    assert!(found[0].ends_with("at most 10 of one type and payload a second (should)"), "{}", found[0]);
    // Ten a second is no storm.
    assert!(judge(&[FactRule::EventStorm], &storm[..10]).is_empty());
}

#[test]
fn identical_room_topics_spread_out_are_no_storm_but_packed_are() {
    let topic = r#"{"changerId":"c","newTopic":"n","oldTopic":"o","roomId":"r@chatroom","timestamp":1796587200}"#;
    let spread: Vec<(f64, EventKind, &str)> =
        (0..20).map(|i| (f64::from(i) * 0.2, EventKind::RoomTopic, topic)).collect();
    assert!(judge(&[FactRule::EventStorm], &spread).is_empty());
    let packed: Vec<(f64, EventKind, &str)> =
        (0..12).map(|i| (f64::from(i) * 0.05, EventKind::RoomTopic, topic)).collect();
    let found = judge(&[FactRule::EventStorm], &packed);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`room-topic`"), "{found:?}");
}

#[test]
fn dongs_and_connect_heartbeats_are_no_storm() {
    let dongs: Vec<(f64, EventKind, &str)> =
        (0..40).map(|i| (f64::from(i) * 0.01, EventKind::Dong, r#"{"data":"d"}"#)).collect();
    assert!(judge(&[FactRule::EventStorm], &dongs).is_empty());
    let mut facts = Facts::new(&[FactRule::EventStorm], started());
    let connect = r#"{"data":"Wechaty Puppet gRPC stream connect successfully"}"#;
    for seq in 0..40 {
        let at = Duration::from_millis(seq as u64 * 10);
        facts.event(seq, at, EventKind::Heartbeat, connect, Some(&identity(connect)), None, true, true);
    }
    assert!(facts.findings().is_empty());
}

fn topic_at(timestamp: &str) -> String {
    format!(r#"{{"changerId":"c","newTopic":"n","oldTopic":"o","roomId":"r@chatroom","timestamp":{timestamp}}}"#)
}

#[test]
fn a_room_leave_ten_years_old_is_found() {
    let leave = format!(
        r#"{{"removeeIdList":["c-2"],"removerId":"c-1","roomId":"r@chatroom","timestamp":{}}}"#,
        STARTED - 10 * 365 * 86400
    );
    let found = judge(&[FactRule::Timestamps], &[(5.0, EventKind::RoomLeave, &leave)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("seq 0: `room-leave`.timestamp is 1481227200 s (2016-12-08T20:00:00Z), 10 years before the event arrived (2026-12-06T20:00:05Z)"),
        "{}",
        found[0]
    );
    assert!(found[0].ends_with("(must)"));
}

#[test]
fn a_room_topic_a_day_ahead_is_found_and_minutes_of_skew_are_not() {
    let ahead = topic_at(&(STARTED + 3 * 86400).to_string());
    let found = judge(&[FactRule::Timestamps], &[(1.0, EventKind::RoomTopic, &ahead)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("3 days after the event arrived"), "{}", found[0]);
    // Two minutes of skew either way, a fraction of a second, or an hour's backlog: fine.
    for fine in [STARTED + 120, STARTED - 120, STARTED - 3600] {
        assert!(
            judge(&[FactRule::Timestamps], &[(1.0, EventKind::RoomTopic, &topic_at(&fine.to_string()))]).is_empty()
        );
    }
    assert!(judge(&[FactRule::Timestamps], &[(1.0, EventKind::RoomTopic, &topic_at("1796587200.25"))]).is_empty());
}

#[test]
fn milliseconds_of_now_pass_and_microseconds_do_not() {
    // Milliseconds are read as milliseconds (their unit is shape-advice's): the time is now.
    let join_ms = format!(
        r#"{{"inviteeIdList":["c-2"],"inviterId":"c-1","roomId":"r@chatroom","timestamp":{}}}"#,
        (STARTED + 3) * 1000
    );
    assert!(judge(&[FactRule::Timestamps], &[(3.0, EventKind::RoomJoin, &join_ms)]).is_empty());
    // Microseconds read as milliseconds land tens of thousands of years ahead.
    let join_us = join_ms.replace(&format!("{}", (STARTED + 3) * 1000), &format!("{}", (STARTED + 3) * 1_000_000));
    let found = judge(&[FactRule::Timestamps], &[(3.0, EventKind::RoomJoin, &join_us)]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`room-join`.timestamp is 1796587203000000 ms"), "{}", found[0]);
    assert!(found[0].contains("years after the event arrived"), "{}", found[0]);
    // A time in milliseconds divided twice (seconds / 1000): 1970.
    let found = judge(&[FactRule::Timestamps], &[(3.0, EventKind::RoomTopic, &topic_at("1796587"))]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("(1970-01-21T"), "{}", found[0]);
    // Not a number: the shape rule's, not this one's.
    assert!(judge(&[FactRule::Timestamps], &[(3.0, EventKind::RoomTopic, &topic_at("\"soon\""))]).is_empty());
}

#[test]
fn placeholders_in_other_events_and_fields_are_found() {
    let found = judge(
        &[FactRule::Placeholders],
        &[
            (
                1.0,
                EventKind::RoomTopic,
                r#"{"changerId":"c","newTopic":"team","oldTopic":"undefined","roomId":"r@chatroom","timestamp":1796587200}"#,
            ),
            (
                2.0,
                EventKind::RoomJoin,
                r#"{"inviteeIdList":["c-2","null"],"inviterId":"c-1","roomId":"r@chatroom","timestamp":1796587200}"#,
            ),
            (3.0, EventKind::Heartbeat, r#"{"data":"[object Object]"}"#),
            (4.0, EventKind::Scan, r#"{"qrcode":"NaN","status":2}"#),
        ],
    );
    assert_eq!(found.len(), 4, "{found:?}");
    assert_eq!(
        found[0],
        "seq 0: `room-topic`.oldTopic is \"undefined\": a placeholder where a value belongs (a lost value turned \
         into text); a bot takes it for a real one (must)"
    );
    assert!(found[1].starts_with("seq 1: `room-join`.inviteeIdList/1 is \"null\""), "{}", found[1]);
    assert!(found[2].starts_with("seq 2: `heartbeat`.data is \"[object Object]\""), "{}", found[2]);
    assert!(found[3].starts_with("seq 3: `scan`.qrcode is \"NaN\""), "{}", found[3]);
}

/// The same lost value, padded, followed by a line break, or spelled in another case (as other languages print it).
#[test]
fn padded_and_other_case_placeholders_are_found() {
    let found = judge(
        &[FactRule::Placeholders],
        &[
            (1.0, EventKind::Dong, r#"{"data":"undefined\n"}"#),
            (2.0, EventKind::Login, r#"{"contactId":" null "}"#),
            (
                3.0,
                EventKind::RoomTopic,
                r#"{"changerId":"c","newTopic":"Undefined","oldTopic":"NULL","roomId":"r","timestamp":1796587200}"#,
            ),
            (4.0, EventKind::Heartbeat, r#"{"data":"nan"}"#),
        ],
    );
    assert_eq!(found.len(), 5, "{found:?}");
    // The value is shown escaped: no raw line break in a report.
    assert!(found[0].starts_with("seq 0: `dong`.data is \"undefined\\n\": a placeholder"), "{}", found[0]);
    assert!(found[1].starts_with("seq 1: `login`.contactId is \" null \""), "{}", found[1]);
    assert!(found.iter().any(|found| found.contains("`room-topic`.newTopic is \"Undefined\"")), "{found:?}");
    assert!(found.iter().any(|found| found.contains("`room-topic`.oldTopic is \"NULL\"")), "{found:?}");
    assert!(found[4].starts_with("seq 3: `heartbeat`.data is \"nan\""), "{}", found[4]);
}

#[test]
fn words_that_contain_a_placeholder_are_values() {
    let found = judge(
        &[FactRule::Placeholders],
        &[
            (
                1.0,
                EventKind::RoomTopic,
                r#"{"changerId":"c","newTopic":"Undefined Behaviour","oldTopic":"nullable","roomId":"r","timestamp":1796587200}"#,
            ),
            (2.0, EventKind::Dong, r#"{"data":"NaNa"}"#),
            (3.0, EventKind::Login, r#"{"contactId":"null-island"}"#),
            (
                4.0,
                EventKind::RoomTopic,
                r#"{"changerId":"c","newTopic":"Null Island","oldTopic":" NaN of them ","roomId":"r","timestamp":1796587200}"#,
            ),
            (5.0, EventKind::Dong, r#"{"data":"undefined undefined"}"#),
        ],
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn rules_not_asked_for_find_nothing() {
    let found = judge(
        &[FactRule::Timestamps],
        &[
            (1.0, EventKind::Message, r#"{"messageId":"undefined"}"#),
            (2.0, EventKind::Message, r#"{"messageId":"undefined"}"#),
        ],
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_storm_among_a_flood_of_distinct_events_is_still_found_and_the_flood_is_quick() {
    let mut facts = Facts::new(&[FactRule::EventStorm, FactRule::MessageOnce], started());
    let beat = r#"{"data":"same"}"#;
    let started = std::time::Instant::now();
    for seq in 0..200_000usize {
        let at = Duration::from_micros(seq as u64 * 5);
        let raw = format!(r#"{{"messageId":"m{seq}"}}"#);
        let payload: Value = serde_json::from_str(&raw).unwrap();
        facts.event(seq, at, EventKind::Message, &raw, Some(&identity(&raw)), Some(&payload), true, false);
        if seq % 1000 == 0 {
            facts.event(seq, at, EventKind::Heartbeat, beat, Some(&identity(beat)), None, true, false);
        }
    }
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    let found: Vec<&FactFinding> = facts.findings().iter().collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, FactRule::EventStorm);
    assert!(facts.windows.len() <= WINDOWS_KEPT + 1);
}

/// Big payloads (over the 64 KiB a reader sees whole) are judged on their whole digest: two different ones with one
/// head are no storm, the same one twelve times in a second is — also when the recording trimmed them (its digest).
#[test]
fn big_payloads_are_told_apart_by_their_whole_digest() {
    let head = "x".repeat(70 << 10);
    let distinct: Vec<String> = (0..12).map(|index| format!(r#"{{"data":"{head}{index}"}}"#)).collect();
    let events: Vec<(f64, EventKind, &str)> = distinct
        .iter()
        .enumerate()
        .map(|(index, raw)| (index as f64 * 0.01, EventKind::Heartbeat, raw.as_str()))
        .collect();
    assert!(judge(&[FactRule::EventStorm], &events).is_empty(), "twelve payloads, one head");
    let same = format!(r#"{{"messageId":"m","text":"{head}"}}"#);
    let events: Vec<(f64, EventKind, &str)> =
        (0..12).map(|index| (f64::from(index) * 0.01, EventKind::Message, same.as_str())).collect();
    let found = judge(&[FactRule::EventStorm], &events);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`message`") && found[0].contains("storm"), "{found:?}");
    // Trimmed by the recording budget: no payload to read, the digest still tells the storm.
    let mut facts = Facts::new(&[FactRule::EventStorm], started());
    let digest = Identity::Sha256(crate::session::timeline::sha256_hex(&same).into());
    for seq in 0..12 {
        let at = Duration::from_millis(seq as u64 * 10);
        facts.event(seq, at, EventKind::Dirty, "{\"payloadType\":…", Some(&digest), None, false, false);
    }
    assert_eq!(facts.findings().len(), 1, "{:?}", facts.findings());
    assert_eq!((facts.judged, facts.unjudged), (0, 12));
}
