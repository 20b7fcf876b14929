use serde_json::json;

use super::*;

/// Builds a recording: events get consecutive seqs from 1; time moves by `ms` per event unless set.
#[derive(Default)]
struct Rec {
    items: Vec<Item>,
    seq: usize,
    now: u64,
    stream: u32,
    /// Marks replays as the timeline does.
    replays: crate::session::replay::Replays,
}

impl Rec {
    fn new() -> Self {
        Rec::default()
    }
    fn subscribe(mut self) -> Self {
        self.stream += 1;
        self.replays.subscribed(self.stream, std::time::Duration::from_millis(self.now));
        self.items.push(Item::Subscribed { stream: self.stream });
        self
    }
    fn end(mut self, ok: bool) -> Self {
        let error = (!ok).then(|| "UNAVAILABLE: gone".to_string());
        self.items.push(Item::StreamEnded { seq: self.items.len(), stream: self.stream, error, lost: false });
        self
    }
    /// `Stop` as the official server answers it: the request, the stream's end (OK), the reply.
    fn stop(mut self) -> Self {
        self.items.push(Item::StopRequested);
        self.end(true).rpc("Stop")
    }
    fn rpc(mut self, name: &str) -> Self {
        if name == "Start" {
            self.replays.start_sent();
        }
        self.items.push(Item::Rpc { rpc: crate::wire::Rpc::from_name(name), ok: true });
        self
    }
    fn wait(mut self, ms: u64) -> Self {
        self.now += ms;
        self
    }
    fn ev(mut self, number: i32, payload: Value) -> Self {
        self.seq += 1;
        self.now += 5;
        let kind = crate::wire::EventKind::from_wire(number);
        let replay =
            self.replays.mark(self.stream, kind, std::time::Duration::from_millis(self.now), &payload.to_string());
        let at = std::time::Duration::from_millis(self.now);
        self.items.push(Item::Event { seq: self.seq, stream: self.stream, number, payload: Some(payload), replay, at });
        self
    }
    fn hb(self) -> Self {
        self.ev(1, json!({"data": "Wechaty Puppet gRPC stream connect successfully"}))
    }
    fn scan(self, status: i64) -> Self {
        self.ev(22, json!({"qrcode": "https://login.weixin.qq.com/l/old", "status": status}))
    }
    fn login(self, bot: &str) -> Self {
        self.ev(25, json!({"contactId": bot}))
    }
    fn logout(self, bot: &str) -> Self {
        self.ev(26, json!({"contactId": bot, "data": "logout()"}))
    }
    fn ready(self) -> Self {
        self.ev(23, json!({"data": "ready"}))
    }
    fn message(self, id: &str) -> Self {
        self.ev(2, json!({"messageId": id}))
    }
    fn judge(&self) -> Judged {
        judge(&self.items)
    }
}

fn rules(j: &Judged) -> Vec<(usize, &'static str, Severity)> {
    j.findings.iter().map(|f| (f.seq, f.rule.id(), f.level)).collect()
}

/// subscribe → heartbeat → Start → scan → login → ready → ready 5 s later → messages (seqs 1..=7).
fn started_session() -> Rec {
    Rec::new().subscribe().hb().rpc("Start").scan(2).scan(3).login("bot-1").ready().wait(5_000).ready().message("m-1")
}

#[test]
fn doc_comment_is_the_rendered_table() {
    let source = include_str!("../states.rs");
    let doc: Vec<&str> =
        source.lines().filter_map(|l| l.strip_prefix("//! ")).filter(|l| l.starts_with("| ")).collect();
    for line in render_event_table() {
        assert!(doc.contains(&line.as_str()), "the module doc lacks the rendered row:\n{line}");
    }
    // and holds no event row the data does not
    let rendered = render_event_table();
    for row in EVENT_TABLE {
        let in_doc = doc.iter().filter(|l| l.starts_with(&format!("| {} | {} |", row.kind, row.kind.wire()))).count();
        assert_eq!(in_doc, 1, "{}", row.kind);
    }
    assert_eq!(rendered.len(), EVENT_TABLE.len() + 2);
    // every upstream event type has a row
    for kind in crate::wire::EventKind::known() {
        assert!(EVENT_TABLE.iter().any(|r| r.kind == kind), "{kind}");
    }
}

#[test]
fn official_server_like_sequence_has_no_findings() {
    let rec = started_session()
        .message("m-2")
        // Stop ends the stream with OK before it replies
        .stop()
        // re-subscribe before Start; the session persisted, so login and ready are replayed (seqs 10, 11)
        .subscribe()
        .hb()
        .login("bot-1")
        .wait(100)
        .ready()
        .rpc("Start")
        .message("m-3")
        .rpc("Ding")
        .ev(3, json!({"data": "ding-1"}))
        .ev(27, json!({"payloadType": 2, "payloadId": "c-1"}))
        .ev(16, json!({"gerror": "{}"}))
        // the logout may overtake the Logout reply
        .logout("bot-1")
        .rpc("Logout")
        .stop()
        // after Logout the session is cleared: a scan is required, and the mock makes a new bot id
        .subscribe()
        .hb()
        .rpc("Start")
        .scan(2)
        .login("bot-2")
        .ready();
    let j = rec.judge();
    assert_eq!(j.findings, vec![], "{:#?}", j.findings);
    let replayed: Vec<(usize, i32)> = rec
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Event { seq, number, .. } if j.replays.contains(seq) => Some((*seq, *number)),
            _ => None,
        })
        .collect();
    // Seq 6: the server's own `ready` again, 5 s after the login (`session::replay::RE_EMIT`).
    assert_eq!(replayed, vec![(6, 23), (10, 25), (11, 23)], "{:?}", j.replays);
    assert_eq!(j.attached, Some(false));
}

#[test]
fn stale_scan_live_while_logged_in() {
    let j = started_session().scan(2).judge();
    assert_eq!(rules(&j), vec![(8, "no-scan-while-logged-in", Severity::Must)]);
    let f = &j.findings[0];
    assert_eq!(f.event, "scan");
    assert_eq!(f.state, "logged in as bot-1 and ready");
    assert_eq!(
        f.message,
        "`scan` (status Waiting) at seq 8 while logged in as bot-1 and ready: no scan while logged in (must)"
    );
    // right after the login, before ready
    let j = Rec::new().subscribe().hb().rpc("Start").scan(2).login("bot-1").scan(2).judge();
    assert_eq!(j.findings.len(), 1);
    assert_eq!(
        j.findings[0].message,
        "`scan` (status Waiting) at seq 4 while logged in as bot-1: no scan while logged in (must)"
    );
}

#[test]
fn stale_scan_replayed_to_a_new_subscriber() {
    // the login replay first, then the cached scan
    let j = started_session().subscribe().hb().login("bot-1").scan(2).judge();
    assert_eq!(rules(&j), vec![(10, "no-scan-while-logged-in", Severity::Must)], "{:#?}", j.findings);
    assert!(j.replays.contains(&9) && j.replays.contains(&10), "{:?}", j.replays);
    assert_eq!(
        j.findings[0].message,
        "`scan` (status Waiting), replayed on subscribe, at seq 10 while logged in as bot-1: no scan while logged in (must)"
    );
    // the cached scan first, then the login replay: still the same fault, on the scan
    let j = Rec::new().subscribe().hb().scan(2).login("bot-1").judge();
    assert_eq!(rules(&j), vec![(2, "no-scan-while-logged-in", Severity::Must)], "{:#?}", j.findings);
    assert!(j.findings[0].state.contains("logged in as bot-1"), "{}", j.findings[0].state);
    assert_eq!(j.replays, vec![2, 3]);
    // and after Stop, on the stream opened before Start
    let j = started_session().stop().subscribe().hb().login("bot-1").scan(2).judge();
    assert_eq!(rules(&j), vec![(10, "no-scan-while-logged-in", Severity::Must)], "{:#?}", j.findings);
}

#[test]
fn double_logout_for_one_logout_rpc() {
    // the second logout a few ms later; both before the rpc's reply
    let j = started_session().logout("bot-1").logout("bot-1").rpc("Logout").judge();
    assert_eq!(rules(&j), vec![(9, "one-logout-per-logout-rpc", Severity::Should)], "{:#?}", j.findings);
    assert_eq!(
        j.findings[0].message,
        "`logout` at seq 9 while started, logged out: one Logout rpc emits exactly one logout (should)"
    );
    // reply between the two
    let j = started_session().logout("bot-1").rpc("Logout").logout("bot-1").judge();
    assert_eq!(rules(&j), vec![(9, "one-logout-per-logout-rpc", Severity::Should)]);
    // exactly one: fine; none: left to another check
    assert_eq!(started_session().rpc("Logout").logout("bot-1").judge().findings, vec![]);
    assert_eq!(started_session().rpc("Logout").judge().findings, vec![]);
    // two logouts with no Logout rpc at all
    let j = started_session().logout("bot-1").logout("bot-1").judge();
    assert_eq!(rules(&j), vec![(9, "logout-while-logged-out", Severity::Should)]);
    // a logout naming another bot
    let j = started_session().logout("bot-9").judge();
    assert_eq!(rules(&j), vec![(8, "logout-other-bot", Severity::Must)]);
}

#[test]
fn attach_to_a_running_session() {
    let j = Rec::new().subscribe().hb().login("bot-1").wait(100).ready().message("m-1").judge();
    assert_eq!(j.findings, vec![]);
    assert_eq!(j.replays, vec![2, 3]);
    assert_eq!(j.attached, Some(true));
    // Start on the attached session changes nothing, and a later live login of the same bot is not "twice"
    let j = Rec::new().subscribe().hb().login("bot-1").rpc("Start").login("bot-1").ready().judge();
    assert_eq!(j.findings, vec![], "{:#?}", j.findings);
    assert_eq!(j.replays, vec![2]);
}

#[test]
fn attached_cannot_tell_without_login() {
    assert_eq!(Rec::new().subscribe().hb().judge().attached, None);
    assert_eq!(Rec::new().subscribe().hb().rpc("Start").scan(2).judge().attached, None);
}

#[test]
fn impossible_orders() {
    // ready before any login
    let j = Rec::new().subscribe().hb().rpc("Start").scan(2).ready().judge();
    assert_eq!(rules(&j), vec![(3, "ready-before-login", Severity::Must)]);
    assert_eq!(j.findings[0].message, "`ready` at seq 3 while scanning: ready only after a login (must)");
    // ready after the logout
    let j = started_session().logout("bot-1").ready().judge();
    assert_eq!(rules(&j), vec![(9, "ready-before-login", Severity::Must)]);
    // login twice on one stream, live
    let j = started_session().login("bot-1").judge();
    assert_eq!(rules(&j), vec![(8, "login-twice", Severity::Must)]);
    assert_eq!(
        j.findings[0].message,
        "`login` (bot-1) at seq 8 while logged in as bot-1 and ready: no second login without a logout between (must)"
    );
    // a replayed login naming another bot
    let j = started_session().subscribe().hb().login("bot-2").judge();
    assert_eq!(rules(&j), vec![(9, "login-twice", Severity::Must)]);
    // events of a logged-in session after a logout
    let j = started_session()
        .logout("bot-1")
        .message("m-9")
        .ev(19, json!({"inviteeIdList": ["c"], "inviterId": "c", "roomId": "r", "timestamp": 1}))
        .ev(17, json!({"friendshipId": "f"}))
        .judge();
    assert_eq!(
        rules(&j),
        vec![
            (9, "needs-login", Severity::Must),
            (10, "needs-login", Severity::Must),
            (11, "needs-login", Severity::Must)
        ]
    );
    assert_eq!(j.findings[0].message, "`message` at seq 9 while started, logged out: only while logged in (must)");
    // a message before any login
    let j = Rec::new().subscribe().hb().rpc("Start").message("m-0").judge();
    assert_eq!(rules(&j), vec![(2, "needs-login", Severity::Must)]);
    // a stopped puppet that still talks
    let j = started_session().stop().subscribe().hb().wait(2_000).message("m-x").scan(2).judge();
    assert_eq!(rules(&j), vec![(9, "needs-started", Severity::Must), (10, "needs-started", Severity::Must)]);
    // an event on a stream that already ended
    let mut rec = started_session().end(true);
    rec.items.push(Item::Subscribed { stream: 2 });
    rec.stream = 1;
    let j = rec.message("m-old").judge();
    let seq = j.findings.iter().find(|f| f.rule == StateRule::StreamEndedOutsideStop).map(|f| f.seq).unwrap_or(0);
    assert_eq!(
        rules(&j),
        vec![(8, "event-after-stream-end", Severity::Must), (seq, "stream-ended-outside-stop", Severity::Must)]
    );
}

#[test]
fn a_stream_the_service_ends_by_itself_is_a_finding() {
    // any status, OK included, outside a Stop
    for ok in [false, true] {
        let j = started_session().end(ok).subscribe().hb().login("bot-1").judge();
        let ended: Vec<_> = j.findings.iter().filter(|f| f.rule == StateRule::StreamEndedOutsideStop).collect();
        assert_eq!(ended.len(), 1, "{:#?}", j.findings);
        assert_eq!(ended[0].level, Severity::Must);
        let how = if ok { "with status OK" } else { "UNAVAILABLE: gone" };
        assert!(
            ended[0].message.starts_with(&format!("the Event stream 1 ended ({how}) at seq ")),
            "{}",
            ended[0].message
        );
        assert!(
            ended[0].message.contains("while logged in as bot-1 and ready, with no `Stop` asked for"),
            "{}",
            ended[0].message
        );
    }
    // a Stop asked for: its end is no finding, even when recorded after the reply
    let mut rec = started_session();
    rec.items.push(Item::StopRequested);
    let j = rec.rpc("Stop").end(true).subscribe().hb().judge();
    assert!(j.findings.iter().all(|f| f.rule != StateRule::StreamEndedOutsideStop), "{:#?}", j.findings);
    // …and an old stream's end read after the next subscription opened
    let mut rec = started_session();
    rec.items.push(Item::StopRequested);
    let mut rec = rec.rpc("Stop").subscribe().hb();
    rec.items.push(Item::StreamEnded { seq: 99, stream: 1, error: None, lost: false });
    let j = rec.judge();
    assert!(j.findings.iter().all(|f| f.rule != StateRule::StreamEndedOutsideStop), "{:#?}", j.findings);
    // …but not the end of the stream opened after it
    let j = started_session().stop().subscribe().hb().end(false).judge();
    assert_eq!(
        j.findings.iter().filter(|f| f.rule == StateRule::StreamEndedOutsideStop).count(),
        1,
        "{:#?}",
        j.findings
    );
}

#[test]
fn rpc_order_rules() {
    // Stop replied and the stream never ended: not judged (the two streams are read in any order)
    let j = started_session().rpc("Stop").judge();
    assert_eq!(rules(&j), vec![]);
    // Start with no stream open after Stop
    let j = started_session().stop().rpc("Start").judge();
    assert_eq!(rules(&j), vec![(7, "subscribe-before-start", Severity::Should)]);
}

#[test]
fn heartbeat_error_dong_dirty_reset_and_unknown() {
    let j = Rec::new()
        .subscribe()
        .hb()
        .ev(16, json!({"data": "legacy"}))
        .ev(3, json!({"data": "nobody asked"}))
        .ev(27, json!({"payloadType": 2, "payloadId": "c"}))
        .ev(24, json!({"data": "reset"}))
        .ev(31, json!({"x": 1}))
        .ev(0, json!({}))
        .judge();
    assert_eq!(
        rules(&j),
        vec![
            (3, "dong-without-ding", Severity::Should),
            (5, "reset-not-forwarded", Severity::Should),
            (6, "unknown-event", Severity::Should),
            (7, "unknown-event", Severity::Should),
        ]
    );
    assert_eq!(j.findings[2].event, "type-31");
    assert!(j.findings[2].message.contains("event type 31, not in wechaty-puppet"), "{}", j.findings[2].message);
    assert_eq!(j.findings[3].event, "unspecified");
    // one dong per Ding
    let j = Rec::new().subscribe().hb().rpc("Ding").ev(3, json!({"data": "d"})).ev(3, json!({"data": "d"})).judge();
    assert_eq!(rules(&j), vec![(3, "dong-without-ding", Severity::Should)]);
}

#[test]
fn replay_window_closes() {
    // a login 2 s after subscribing is live, not a replay
    let j = Rec::new().subscribe().hb().wait(2_000).login("bot-1").judge();
    assert_eq!(j.replays, Vec::<usize>::new());
    assert_eq!(j.findings, vec![]);
    assert_eq!(j.attached, None);
    // a second login in the window is not a replay either
    let j = Rec::new().subscribe().hb().login("bot-1").login("bot-1").judge();
    assert_eq!(j.replays, vec![2]);
    assert_eq!(j.findings, vec![], "a live re-login on top of a replayed one of the same bot is allowed");
}

#[test]
fn payloads_that_are_not_objects_do_not_panic() {
    let mut items = vec![Item::Subscribed { stream: 1 }];
    let odd = [
        None,
        Some(json!(null)),
        Some(json!([])),
        Some(json!("x")),
        Some(json!({"contactId": 5})),
        Some(json!({"status": "9"})),
    ];
    let mut seq = 0;
    for n in [1, 2, 3, 4, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, -5] {
        for p in &odd {
            seq += 1;
            items.push(Item::Event {
                seq,
                stream: 1,
                number: n,
                payload: p.clone(),
                replay: seq % 3 == 0,
                at: Duration::ZERO,
            });
        }
        items.push(Item::Rpc { rpc: crate::wire::Rpc::Start, ok: true });
        items.push(Item::Rpc { rpc: crate::wire::Rpc::Logout, ok: false });
    }
    items.push(Item::StreamEnded { seq, stream: 1, error: Some("CANCELLED".into()), lost: false });
    items.push(Item::Event { seq: seq + 1, stream: 1, number: 25, payload: None, replay: true, at: Duration::ZERO });
    items.push(Item::Event { seq: seq + 2, stream: 7, number: 26, payload: None, replay: false, at: Duration::ZERO });
    let j = judge(&items);
    assert!(!j.findings.is_empty());
    assert!(j.findings.windows(2).all(|w| w[0].seq <= w[1].seq));
}

impl Rec {
    fn scan_qr(self, status: i64, qrcode: &str) -> Self {
        self.ev(22, json!({"qrcode": qrcode, "status": status}))
    }
}

fn lost(j: &Judged) -> Vec<&str> {
    j.findings.iter().filter(|f| f.rule == StateRule::ConfirmedWithoutLogin).map(|f| f.message.as_str()).collect()
}

/// Waiting, Scanned, Confirmed, then Timeout, never a login: named with its times.
#[test]
fn a_confirmed_scan_then_a_timeout_is_the_providers_failure_to_log_in() {
    let j = Rec::new()
        .subscribe()
        .hb()
        .rpc("Start")
        .scan(2)
        .wait(1_000)
        .scan(3)
        .wait(2_000)
        .scan(4)
        .wait(1_900)
        .scan(5)
        .judge();
    let found = lost(&j);
    assert_eq!(found.len(), 1, "{:#?}", j.findings);
    assert_eq!(
        found[0],
        "`scan` (status Timeout) at seq 5 while scanning: scan Confirmed at +3.0s, then Timeout at +4.9s, no login: the \
         provider failed to log in: once the user confirms on the phone, the login follows, not a new QR code, a \
         Timeout or a Cancel (should)"
    );
    assert_eq!(j.findings.len(), 1, "no other rule: {:#?}", j.findings);
}

/// Confirmed, then a new QR code; the login only comes after a second scan cycle: the first confirmation was lost
/// (the user had to scan twice), the second one is kept.
#[test]
fn a_login_only_after_a_second_qr_cycle_still_names_the_first_confirmation() {
    let j = Rec::new()
        .subscribe()
        .hb()
        .rpc("Start")
        .scan_qr(2, "https://login.weixin.qq.com/l/first")
        .scan(3)
        .scan(4)
        .wait(1_000)
        .scan_qr(2, "https://login.weixin.qq.com/l/second")
        .scan(3)
        .scan(4)
        .login("bot-1")
        .ready()
        .judge();
    let found = lost(&j);
    assert_eq!(found.len(), 1, "{:#?}", j.findings);
    assert!(found[0].contains("then a new QR code at +1.0s, no login"), "{}", found[0]);
    assert!(!found[0].contains("/l/second"), "QR codes are never shown: {}", found[0]);
}

/// Confirmed then Cancel; Confirmed then a scan with another QR code and no Waiting: both lost.
#[test]
fn a_confirmed_scan_then_a_cancel_or_another_code_is_lost() {
    let cancel = Rec::new().subscribe().hb().rpc("Start").scan(2).scan(3).scan(4).scan(1).judge();
    assert!(lost(&cancel)[0].contains("then Cancel at"), "{:#?}", cancel.findings);
    let other = Rec::new()
        .subscribe()
        .hb()
        .rpc("Start")
        .scan_qr(2, "https://q/1")
        .scan_qr(4, "https://q/1")
        .scan_qr(3, "https://q/2")
        .login("bot-1")
        .judge();
    assert!(lost(&other)[0].contains("then a new QR code at"), "{:#?}", other.findings);
}

/// Scanned then Confirmed twice (a provider polling) before the login, a Confirmed the puppet was stopped after, and
/// a replayed scan: none is a lost confirmation.
#[test]
fn repeated_confirmations_stops_and_replays_lose_nothing() {
    let twice = Rec::new().subscribe().hb().rpc("Start").scan(2).scan(3).scan(4).scan(4).login("bot-1").ready().judge();
    assert!(lost(&twice).is_empty(), "{:#?}", twice.findings);
    let stopped = Rec::new().subscribe().hb().rpc("Start").scan(2).scan(4).stop().subscribe().hb().scan(2).judge();
    assert!(lost(&stopped).is_empty(), "{:#?}", stopped.findings);
    // After a login and a logout, a new QR code is no loss: the confirmation before was kept.
    let again = started_session().logout("bot-1").rpc("Logout").scan(2).scan(3).login("bot-1").judge();
    assert!(lost(&again).is_empty(), "{:#?}", again.findings);
}
