//! What a provider can do, measured on the real binary against the mock: the conformant mock is `supported` on
//! every row a harness can decide alone; each capability fault gives its designed outcome on its row and changes no
//! other row; a default run sends nothing to anyone but the bot itself; `--require` makes a row bind.

use std::collections::BTreeMap;
use std::time::Duration;

use puppet_lint::events::CheckReport;
use puppet_lint::exit;
use puppet_lint::mock::{Fault, MockServer};
use puppet_lint::report::model::{Report, Verdict};
use puppet_lint::vocab::capability::{Outcome, Row, SideEffect};
use puppet_lint::wire::Rpc;

use crate::support::{self, Cli};

/// The mock's room and a contact the bot knows who is neither a friend nor in the room (Carol): the peers a full
/// run is given, so that every destructive row has something to change (added to the room and removed again, put in
/// a new room, asked for friendship).
const PEERS: [&str; 4] = ["--peer-room", "room-1@chatroom", "--peer-contact", "mock-contact-carol"];

/// What the conformant mock comes to on `row` when the run has the peers and may be destructive. Of the rows a person
/// must act on, the run's own traffic decides two: Alice's photo after login (`Receive pictures and files`) and the
/// login's scan statuses (`Scan code status`); the others need a person (`--interactive`).
fn conformant(row: Row) -> Outcome {
    match row {
        Row::ReceivePicturesFiles | Row::ScanStatus => Outcome::Supported,
        _ if row.class() == SideEffect::Human => Outcome::Untested,
        _ => Outcome::Supported,
    }
}

/// Runs the capability suite (only) against the mock, through the real binary.
async fn run(mock: &MockServer, extra: &[&str]) -> (support::Ran, Report) {
    let endpoint = mock.address.to_string();
    let ran = Cli::new()
        .args(["--endpoint", &endpoint, "--no-tls", "--token", &mock.token, "--heartbeat-window", "2s"])
        .args(["--capabilities", "--only", "capability.*"])
        .args(extra)
        .reports("capabilities")
        .run_async()
        .await;
    let report = ran.report();
    (ran, report)
}

fn outcomes(report: &Report) -> BTreeMap<String, (Outcome, CheckReport)> {
    report
        .checks
        .iter()
        .filter_map(|check| {
            let capability = check.capability.as_ref()?;
            Some((capability.key.clone(), (capability.outcome, check.clone())))
        })
        .collect()
}

fn told(report: &Report) -> String {
    outcomes(report)
        .iter()
        .map(|(key, (outcome, check))| {
            let note = check.capability.as_ref().and_then(|capability| capability.note.clone()).unwrap_or_default();
            format!("{key}: {outcome} ({note})")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conformant_mock_is_supported_on_every_row_a_harness_can_decide_alone() {
    let mock = support::mock(&[]).await;
    let (ran, report) = run(&mock, &[&PEERS[..], &["--allow-destructive"]].concat()).await;
    ran.code(exit::OK);
    let outcomes = outcomes(&report);
    assert_eq!(outcomes.len(), Row::ALL.len(), "one probe per row:\n{}", told(&report));
    for row in Row::ALL {
        let (outcome, check) = &outcomes[row.key()];
        assert_eq!(*outcome, conformant(*row), "{}:\n{}", row.key(), told(&report));
        let capability = check.capability.as_ref().expect("a capability");
        assert_eq!(capability.row, row.text(), "the row is named in the docs' words");
        assert_eq!(capability.class, row.class());
        if *outcome == Outcome::Supported {
            assert_eq!(check.verdict, Verdict::Pass);
            let evidence = capability.evidence.as_ref().expect("a supported row shows what was seen");
            assert!(!evidence.seen.is_empty() && !evidence.expected.is_empty(), "{}: {evidence:?}", row.key());
        } else {
            assert!(capability.note.as_ref().is_some_and(|note| !note.is_empty()), "{}: untested says why", row.key());
        }
    }
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_default_run_sends_nothing_to_anyone_but_the_bot_itself() {
    let mock = support::mock(&[]).await;
    let endpoint = mock.address.to_string();
    // The whole default run (conformance and capabilities), no peers, no --allow-destructive.
    let ran = Cli::new()
        .args(["--endpoint", &endpoint, "--no-tls", "--token", &mock.token, "--heartbeat-window", "2s"])
        .args(["--capabilities", "--no-report"])
        .run_async()
        .await;
    ran.code(exit::OK);
    let sends = mock.sends();
    assert!(sends.len() >= 15, "the probes sent: {sends:?}");
    for sent in &sends {
        assert_eq!(sent.conversation, sent.bot, "{} wrote to someone else: {sent:?}", sent.rpc);
    }
    let rpcs: std::collections::HashSet<Rpc> = sends.iter().map(|sent| sent.rpc).collect();
    for rpc in
        [Rpc::MessageSendText, Rpc::MessageSendFile, Rpc::MessageSendContact, Rpc::MessageSendUrl, Rpc::MessageForward]
    {
        assert!(rpcs.contains(&rpc), "no {rpc} among {rpcs:?}");
    }
    // Rows needing a peer are untested, saying what to give; destructive ones skipped without permission.
    ran.stdout_has("needs a room the bot may message: run with --peer-room ID").stdout_has("--peer-contact ID");
    mock.shutdown().await;
}

/// `fault` makes `row` come to `outcome` (its note or evidence saying `says`), and every other row stays as on the
/// conformant mock.
async fn expect(fault: Fault, row: Row, outcome: Outcome, says: &str) {
    expect_with(fault, row, outcome, says, &[]).await;
}

/// [`expect`], where the rows that depend on `row` come to `untested` (their source could not be made) or `partial`
/// (their source was made, of another kind), saying "depends on".
async fn expect_with(fault: Fault, row: Row, outcome: Outcome, says: &str, dependents: &[Row]) {
    let mock = support::mock(&[fault]).await;
    let (ran, report) = run(&mock, &[&PEERS[..], &["--allow-destructive"]].concat()).await;
    // Capabilities never fail a run unless required: a broken row is a warning.
    ran.code(exit::OK);
    let outcomes = outcomes(&report);
    for other in Row::ALL {
        let wanted = match other {
            _ if *other == row => outcome,
            _ if dependents.contains(other) => {
                let note = outcomes[other.key()].1.capability.as_ref().and_then(|capability| capability.note.clone());
                assert!(
                    note.as_ref().is_some_and(|note| note.contains(&format!("depends on `{}`", row.text()))),
                    "{}: {note:?}",
                    other.key()
                );
                let seen = outcomes[other.key()].0;
                assert!(matches!(seen, Outcome::Untested | Outcome::Partial), "{}: {seen:?}", other.key());
                seen
            }
            _ => conformant(*other),
        };
        let (seen, check) = &outcomes[other.key()];
        assert_eq!(*seen, wanted, "{} under {}:\n{}", other.key(), fault.name(), told(&report));
        if *other == row {
            let capability = check.capability.as_ref().expect("a capability");
            let evidence = capability.evidence.as_ref().expect("evidence");
            let said = format!("{:?} {evidence:?}", capability.note);
            assert!(said.contains(says), "{}: {said}", row.key());
            let verdict = match outcome {
                Outcome::Broken => Verdict::Warn,
                Outcome::Supported | Outcome::Partial => Verdict::Pass,
                Outcome::Unsupported | Outcome::Untested => Verdict::Skip,
            };
            assert_eq!(check.verdict, verdict, "{}", row.key());
            assert!(evidence.rpc.is_some() && !evidence.timeline.is_empty(), "{}: {evidence:?}", row.key());
        }
    }
    mock.shutdown().await;
}

macro_rules! capability_fault {
    ($name:ident, $fault:expr, $row:expr, $outcome:expr, $says:literal) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            expect($fault, $row, $outcome, $says).await;
        }
    };
    ($name:ident, $fault:expr, $row:expr, $outcome:expr, $says:literal, depending: $($dependent:expr),+) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            expect_with($fault, $row, $outcome, $says, &[$($dependent),+]).await;
        }
    };
}

capability_fault!(
    an_unimplemented_rpc_is_unsupported,
    Fault::RoomQrUnimplemented,
    Row::RoomQrCode,
    Outcome::Unsupported,
    "UNIMPLEMENTED"
);
capability_fault!(
    the_official_unsupported_error_is_unsupported,
    Fault::ContactCardUnsupported,
    Row::SendReceiveContactCard,
    Outcome::Unsupported,
    "Wechaty Puppet Unsupported API Error"
);
capability_fault!(
    the_legacy_internal_unsupported_error_is_unsupported,
    Fault::TagsUnsupportedLegacy,
    Row::ContactTags,
    Outcome::Unsupported,
    "INTERNAL"
);
capability_fault!(
    accepted_but_nothing_happens_is_broken,
    Fault::SilentLocation,
    Row::SendLocation,
    Outcome::Broken,
    "no echo came"
);
capability_fault!(
    a_read_back_that_contradicts_is_broken,
    Fault::AliasIgnored,
    Row::SetAlias,
    Outcome::Broken,
    "mock alias"
);
capability_fault!(
    a_recall_that_answers_success_and_changes_nothing_is_broken,
    Fault::RecallIgnored,
    Row::Recall,
    Outcome::Broken,
    "still reads back as sent"
);
capability_fault!(
    an_echo_of_the_wrong_type_is_broken,
    Fault::UrlEchoAsText,
    Row::SendReceiveUrl,
    Outcome::Broken,
    "typed text (7)",
    depending: Row::ForwardUrl
);
capability_fault!(
    an_echo_in_another_conversation_is_broken,
    Fault::LocationInRoom,
    Row::SendLocation,
    Outcome::Broken,
    "came back in room"
);
capability_fault!(
    a_gif_sent_as_an_image_is_partial,
    Fault::GifAsImage,
    Row::SendGif,
    Outcome::Partial,
    "sent as a still image",
    depending: Row::ForwardGif
);

/// A forward that keeps the type of a source that is not the row's kind shows no forward of that kind: a link that
/// echoes as a text, forwarded as a text, is a partial `Forward graphic link`; a GIF that echoes as a still image, a
/// partial `Forward GIF` (both were "supported"). The other forwards, whose sources are of their kind, stay supported.
#[tokio::test(flavor = "multi_thread")]
async fn a_forward_of_a_source_of_another_kind_is_partial() {
    let mock = support::mock(&[Fault::UrlEchoAsText, Fault::GifAsImage]).await;
    let (_ran, report) = run(&mock, &[]).await;
    let outcomes = outcomes(&report);
    let note = |row: Row| {
        outcomes[row.key()].1.capability.as_ref().and_then(|capability| capability.note.clone()).unwrap_or_default()
    };
    for (row, typed, kind) in [(Row::ForwardUrl, "text (7)", "url"), (Row::ForwardGif, "image (6)", "emoticon")] {
        assert_eq!(outcomes[row.key()].0, Outcome::Partial, "{row:?}: {}\n{}", note(row), told(&report));
        assert!(note(row).contains(&format!("typed {typed}, not {kind}")), "{}", note(row));
        assert!(note(row).contains(&format!("no {kind} was seen forwarded")), "{}", note(row));
    }
    for row in [
        Row::ForwardText,
        Row::ForwardPicture,
        Row::ForwardAudio,
        Row::ForwardVideo,
        Row::ForwardFile,
        Row::ForwardMiniProgram,
    ] {
        assert_eq!(outcomes[row.key()].0, Outcome::Supported, "{row:?}: {}", note(row));
    }
}

capability_fault!(
    a_room_id_that_does_not_resolve_is_broken,
    Fault::RoomCreateGhost,
    Row::CreateRoom,
    Outcome::Broken,
    "does not resolve",
    depending: Row::RoomQuit
);
capability_fault!(
    a_quit_that_leaves_the_bot_in_the_room_is_broken,
    Fault::RoomQuitStays,
    Row::RoomQuit,
    Outcome::Broken,
    "the bot stays"
);
capability_fault!(
    an_unimplemented_kick_is_unsupported_and_its_leave_event_untested,
    Fault::RoomDelUnimplemented,
    Row::RoomDel,
    Outcome::Unsupported,
    "UNIMPLEMENTED",
    depending: Row::RoomLeaveEvent
);
capability_fault!(
    a_member_added_without_a_room_join_breaks_only_the_entry_event,
    Fault::RoomAddNoJoinEvent,
    Row::RoomJoinEvent,
    Outcome::Broken,
    "no such `room-join`"
);
capability_fault!(
    a_logout_without_its_event_breaks_only_the_logout_event,
    Fault::NoLogoutEvent,
    Row::LogoutEvent,
    Outcome::Broken,
    "no `logout` naming the bot"
);

/// A provider whose every answer takes 1.5 s: the probes that run beside the conformance checks (read-only, sends to
/// the bot itself, and the receive rows that watch what comes without a person) end with the 5 s window they run in —
/// a probe whose calls had not answered by then is untested and says why — instead of running on for their 90 s
/// budget (a call each, one after another). A call the window left no time for is not sent, and says so.
#[tokio::test(flavor = "multi_thread")]
async fn slow_answers_keep_the_probes_inside_the_window() {
    use puppet_lint::mock::MockOptions;
    let options = MockOptions {
        faults: vec![Fault::Slow],
        slow_delay: Duration::from_millis(1500),
        // A quiet stream: a step that failed in silence once asked the service whether it froze, one more slow
        // answer past the window.
        heartbeat_interval: Duration::from_secs(30),
        ..MockOptions::default()
    };
    let mock = MockServer::start(options).await.expect("mock starts");
    let endpoint = mock.address.to_string();
    let ran = Cli::new()
        .args(["--endpoint", &endpoint, "--no-tls", "--token", &mock.token, "--heartbeat-window", "5s"])
        .args(["--rpc-timeout", "10s", "--login-timeout", "30s", "--only", "capability.*"])
        .reports("capabilities-slow")
        .run_async()
        .await;
    let report = ran.report();
    let mut cut = 0;
    for check in &report.checks {
        let Some(capability) = &check.capability else { continue };
        // Slow is not broken: a row the window cut is untested, whatever step it was cut in (a recall's read-back
        // cut short was once "still reads back as sent").
        assert_ne!(capability.outcome, Outcome::Broken, "{}: {:?}\n{}", check.id, capability.note, told(&report));
        let row = Row::ALL.iter().find(|row| row.key() == check.id.trim_start_matches("capability.")).expect("a row");
        if !matches!(row.class(), SideEffect::Read | SideEffect::SelfOnly | SideEffect::Human) {
            continue;
        }
        // The window, plus a moment's winding down on a loaded machine.
        assert!(check.duration_ms <= 6_500, "{} took {} ms:\n{}", check.id, check.duration_ms, told(&report));
        let note = capability.note.as_deref().unwrap_or_default();
        assert!(!note.contains("after 0ms"), "{}: a call sent with no time left: {note}", check.id);
        if capability.note.as_deref().is_some_and(|note| note.contains("not decided within the heartbeat window")) {
            assert_eq!(capability.outcome, Outcome::Untested, "{}", check.id);
            cut += 1;
        }
    }
    assert!(cut > 0, "no probe was cut by the window:\n{}", told(&report));
    // The recording tells a cut call as cut, not as `--rpc-timeout` (10 s here: no call was given that long).
    let recording = std::fs::read_to_string(ran.dir().join("timeline.jsonl")).expect("the recording");
    assert!(!recording.contains("--rpc-timeout"), "a cut call recorded as the rpc timeout:\n{recording}");
    assert!(recording.contains("when the caller's deadline passed"), "{recording}");
    mock.shutdown().await;
}

/// An add that only tells a `room-join` while `RoomMemberList` never names the contact is broken (the read-back
/// contradicts the event), and the kick after it is not graded on a contact the list never named: no `RoomDel` is
/// sent, and both of its rows are untested, saying why.
#[tokio::test(flavor = "multi_thread")]
async fn an_add_the_member_list_contradicts_is_broken_and_no_kick_is_graded_on_a_non_member() {
    let mock = support::mock(&[Fault::RoomAddEventOnly]).await;
    let (ran, report) = run(&mock, &[&PEERS[..], &["--allow-destructive"]].concat()).await;
    ran.code(exit::OK);
    let outcomes = outcomes(&report);
    let note = |row: Row| {
        outcomes[row.key()].1.capability.as_ref().and_then(|capability| capability.note.clone()).unwrap_or_default()
    };
    assert_eq!(outcomes[Row::RoomAdd.key()].0, Outcome::Broken, "{}", told(&report));
    assert!(note(Row::RoomAdd).contains("contradicts the event"), "{}", note(Row::RoomAdd));
    assert_eq!(outcomes[Row::RoomJoinEvent.key()].0, Outcome::Supported, "{}", told(&report));
    for row in [Row::RoomDel, Row::RoomLeaveEvent] {
        assert_eq!(outcomes[row.key()].0, Outcome::Untested, "{}", told(&report));
        assert!(note(row).contains("already no longer names"), "{}", note(row));
    }
    assert!(note(Row::RoomDel).contains("it was not sent"), "{}", note(Row::RoomDel));
}

/// What the destructive rows change is put back, and read back: after a full run the mock's room has the members it
/// had (the bot, logged in again after the logout probe, and its contacts), and the bot is in no room but its own —
/// the room it made was quit. With the contact a member already, the membership trip goes the other way (removed,
/// then added back) and puts it back too.
#[tokio::test(flavor = "multi_thread")]
async fn destructive_rows_put_back_what_they_change() {
    use puppet_lint::mock::{CONTACTS, ROOM};
    let mock = support::mock(&[]).await;
    let (ran, report) = run(&mock, &[&PEERS[..], &["--allow-destructive"]].concat()).await;
    ran.code(exit::OK);
    let outcomes = outcomes(&report);
    let members = |bot: String| {
        let mut members: Vec<String> = CONTACTS.iter().map(|(id, _)| (*id).to_owned()).collect();
        members.push(bot);
        members.sort();
        members
    };
    let mut now = mock.room_members(ROOM.0).expect("the room");
    now.sort();
    assert_eq!(now, members(mock_bot(&mock)), "{}", told(&report));
    assert_eq!(mock.rooms(), vec![ROOM.0.to_owned()], "the room the bot made was quit");
    let create = outcomes[Row::CreateRoom.key()].1.capability.clone().expect("a capability");
    assert!(format!("{create:?}").contains("put back: the bot left the room it made"), "{create:?}");
    let add = outcomes[Row::RoomAdd.key()].1.capability.clone().expect("a capability");
    assert!(format!("{add:?}").contains("put back: `RoomMemberList` reads as before"), "{add:?}");
    let logout = outcomes[Row::Logout.key()].1.capability.clone().expect("a capability");
    assert!(format!("{logout:?}").contains("put back: the bot logged in again"), "{logout:?}");
    // Alice is a member: removed first, then added back.
    let alice = CONTACTS[0].0;
    let (ran, report) = run(
        &mock,
        &["--peer-room", ROOM.0, "--peer-contact", alice, "--allow-destructive", "--only", "capability.room-*"],
    )
    .await;
    ran.code(exit::OK);
    let outcomes = self::outcomes(&report);
    for row in [Row::RoomAdd, Row::RoomDel, Row::RoomJoinEvent, Row::RoomLeaveEvent] {
        assert_eq!(outcomes[row.key()].0, Outcome::Supported, "{}:\n{}", row.key(), told(&report));
    }
    let kick = outcomes[Row::RoomDel.key()].1.capability.clone().expect("a capability");
    assert!(format!("{kick:?}").contains("put back: `RoomMemberList` reads as before"), "{kick:?}");
    let mut now = mock.room_members(ROOM.0).expect("the room");
    now.sort();
    assert_eq!(now, members(mock_bot(&mock)));
    mock.shutdown().await;
}

/// The bot the mock has logged in now (the logout probe brings it back under a new id).
fn mock_bot(mock: &puppet_lint::mock::MockServer) -> String {
    let members = mock.room_members(puppet_lint::mock::ROOM.0).unwrap_or_default();
    members.into_iter().find(|member| !member.starts_with("mock-contact-")).expect("the bot is a member")
}

/// Probes call on their own connection: a probe's answer that ends the connection it came on (3 MiB of error text
/// in its trailers, more than a client accepts) ends only the probes' connection. Its row is broken, saying so; the
/// other probes, in flight on the same connection when it ended, try again alone and keep their outcomes; the
/// conformance checks and the event stream, on the session's own connection, never see it (Fault::MiniProgramHugeError,
/// proven here, not through [`expect`]).
#[tokio::test(flavor = "multi_thread")]
async fn an_answer_that_ends_the_probes_connection_breaks_its_row_and_nothing_else() {
    let fault = Fault::MiniProgramHugeError;
    let mock = support::mock(&[fault]).await;
    let endpoint = mock.address.to_string();
    let ran = Cli::new()
        .args(["--endpoint", &endpoint, "--no-tls", "--token", &mock.token, "--heartbeat-window", "2s"])
        .args(["--capabilities"])
        .reports("capabilities-lane")
        .run_async()
        .await;
    ran.code(exit::OK);
    let report = ran.report();
    // No conformance check fails or errs (a timing should, `filebox.ding-during-transfer`, may warn on a busy machine).
    for check in report.checks.iter().filter(|check| check.capability.is_none()) {
        assert!(
            matches!(check.verdict, Verdict::Pass | Verdict::Skip | Verdict::Warn),
            "{} under {}: {:?} {:?}",
            check.id,
            fault.name(),
            check.verdict,
            check.reason
        );
    }
    let outcomes = outcomes(&report);
    let (seen, check) = &outcomes[Row::SendMiniProgram.key()];
    assert_eq!(*seen, Outcome::Broken, "{check:?}");
    let said = format!("{:?}", check.capability);
    assert!(said.contains("`MessageSendMiniProgram`'s answer ended the connection"), "{said}");
    for other in Row::ALL.iter().filter(|row| row.class() != SideEffect::Human) {
        let wanted = match other {
            Row::SendMiniProgram => Outcome::Broken,
            // The message it forwards could not be made.
            Row::ForwardMiniProgram => Outcome::Untested,
            // Without peers, or without --allow-destructive.
            _ if other.class() == SideEffect::Peer || other.class() == SideEffect::Destructive => continue,
            _ => Outcome::Supported,
        };
        assert_eq!(outcomes[other.key()].0, wanted, "{} under {}:\n{}", other.key(), fault.name(), told(&report));
    }
    mock.shutdown().await;
}

#[test]
fn every_capability_fault_is_tested() {
    let source = include_str!("capabilities.rs");
    for fault in Fault::capabilities() {
        let named = [",", "]", ")"].iter().any(|end| source.contains(&format!("Fault::{fault:?}{end}")));
        assert!(named, "no test for capability fault {}", fault.name());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_required_row_binds_and_an_unknown_one_is_refused() {
    let mock = support::mock(&[Fault::RoomQrUnimplemented]).await;
    let (ran, report) = run(&mock, &["--require", "Group QR Code"]).await;
    ran.code(exit::FAILURE);
    let check = report.checks.iter().find(|check| check.id == "capability.room-qrcode").expect("the row's check");
    assert_eq!(check.verdict, Verdict::Fail, "{check:?}");
    assert!(check.capability.as_ref().is_some_and(|capability| capability.required));
    // Required and supported: the run passes, and earns the capability suite's level.
    let (ran, _) = run(&mock, &["--require", "send-receive-text,Group list"]).await;
    ran.code(exit::OK).stdout_has("certification wechaty-puppet-capabilities: level 1 (capable), ");
    // Nothing required: no level is earned by default (none is vacuously held), and the line says how to.
    let (ran, report) = run(&mock, &[]).await;
    ran.code(exit::OK).stdout_has(
        "certification wechaty-puppet-capabilities: no level (its levels require `must` checks, and this run has \
         none: --require ROW makes a row `must`)",
    );
    let certification = puppet_lint::report::certify(&report)
        .into_iter()
        .find(|certification| certification.suite == "wechaty-puppet-capabilities")
        .expect("the capability suite's");
    assert_eq!(certification.level, None);
    assert!(certification.message().starts_with("nothing required · "), "{}", certification.message());
    assert_eq!(certification.color(), "lightgrey");
    mock.shutdown().await;
    Cli::new()
        .args(["--mock", "--require", "Send Mini Programs", "--no-report"])
        .run()
        .code(exit::USAGE)
        .stderr_has("no such capability row");
}

/// One subscriber per service: when another client (the user's own bot) holds the event stream, puppet-lint says
/// so and what to do, instead of probing blind.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_whose_event_stream_another_client_holds_is_told_so() {
    use puppet_lint::config::Endpoint;
    use puppet_lint::session::{self, Session, Timeline};
    use puppet_lint::target::connect;

    let mock = support::mock(&[]).await;
    let endpoint = Endpoint { host: "127.0.0.1".into(), port: mock.address.port() };
    let channel = connect::channel(&endpoint, None, std::time::Duration::from_secs(10)).await.expect("connects");
    let bot = Session::new(channel, Some(&mock.token), session::Options::default(), Timeline::new());
    bot.subscribe().await.expect("the user's bot holds the stream");
    let address = mock.address.to_string();
    let ran = Cli::new()
        .args(["--endpoint", &address, "--no-tls", "--token", &mock.token, "--capabilities", "--no-report"])
        .run_async()
        .await;
    ran.code(exit::UNREACHABLE);
    let said = format!("{}{}", ran.stdout, ran.stderr);
    assert!(said.contains("ALREADY_EXISTS") && said.contains("most likely your own bot"), "{said}");
    drop(bot);
    mock.shutdown().await;
}

/// The rows a person must act on and nothing in the run decided (`conformant` untested).
const ASKED: &[Row] = &[Row::ReceiveVideo, Row::ReceiveGif, Row::ReceiveVoice, Row::AcceptFriend, Row::RoomInvitation];

/// `--interactive` without a terminal (the tests' pipes): nobody can be asked, and the rows say so.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_terminal_interactive_rows_are_untested_saying_why() {
    let mock = support::mock(&[]).await;
    let (ran, report) = run(&mock, &["--interactive"]).await;
    ran.code(exit::OK);
    let outcomes = outcomes(&report);
    for row in ASKED {
        let (outcome, check) = &outcomes[row.key()];
        assert_eq!(*outcome, Outcome::Untested, "{}", row.key());
        let note = check.capability.as_ref().and_then(|capability| capability.note.clone()).unwrap_or_default();
        assert!(note.contains("needs a person: run with --interactive in a terminal"), "{}: {note}", row.key());
    }
    mock.shutdown().await;
}

/// `--interactive` in a terminal (a pseudo-terminal `script(1)` makes): the person is asked on the terminal, one row
/// at a time, and the mock's "other person" does what is asked when the test reads the question; Enter skips a row.
#[tokio::test(flavor = "multi_thread")]
async fn in_a_terminal_a_person_is_asked_row_by_row() {
    use puppet_lint::mock::PersonAct;
    use puppet_lint::wire::MessageKind;
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};

    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no script(1) to make a terminal");
        return;
    }
    let mock = support::mock(&[]).await;
    let dir = support::Scratch::new("interactive");
    let quote = |text: &str| format!("'{}'", text.replace('\'', "'\\''"));
    let endpoint = mock.address.to_string();
    let args = [
        support::binary().to_str().expect("a path"),
        "--endpoint",
        &endpoint,
        "--no-tls",
        "--token",
        &mock.token,
        "--heartbeat-window",
        "2s",
        "--capabilities",
        "--only",
        "capability.*",
        "--interactive",
        "--report-dir",
        dir.to_str().expect("a path"),
    ];
    let line = args.iter().map(|arg| quote(arg)).collect::<Vec<_>>().join(" ");
    let mut child = Command::new("script")
        .args(["-qfec", &line, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script starts");
    let mut stdin = child.stdin.take().expect("piped");
    let (lines, printed) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut asked = Vec::new();
    let mut seen = String::new();
    while asked.len() < ASKED.len() {
        let line = printed
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("asked {asked:?}:\n{seen}"));
        seen.push_str(&line);
        seen.push('\n');
        let Some(row) = ASKED.iter().find(|row| line.contains(&format!("puppet-lint asks (`{}`)", row.text()))) else {
            continue;
        };
        assert!(line.contains("from another account now") && line.contains("Enter to skip"), "{line}");
        asked.push(*row);
        match row {
            Row::ReceiveVideo => mock.person_acts(PersonAct::Sends(MessageKind::Video)),
            Row::ReceiveGif => mock.person_acts(PersonAct::Sends(MessageKind::Emoticon)),
            Row::AcceptFriend => mock.person_acts(PersonAct::AsksFriendship),
            Row::RoomInvitation => mock.person_acts(PersonAct::Invites),
            _ => stdin.write_all(b"\n").and_then(|()| stdin.flush()).expect("Enter"),
        }
    }
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("joins").expect("script ends");
    assert!(status.success(), "{status:?}\n{seen}");
    let report = support::read_report(&dir);
    let outcomes = outcomes(&report);
    for row in ASKED {
        let (outcome, check) = &outcomes[row.key()];
        let note = check.capability.as_ref().and_then(|capability| capability.note.clone()).unwrap_or_default();
        if *row == Row::ReceiveVoice {
            assert_eq!((*outcome, note.as_str()), (Outcome::Untested, "skipped by the user (Enter)"), "{}", row.key());
        } else {
            assert_eq!(*outcome, Outcome::Supported, "{}: {note}\n{}", row.key(), told(&report));
        }
    }
    mock.shutdown().await;
}

/// A member the probe took out of the room and could not put back is said loudly, whatever the row's outcome: the
/// kick itself worked (`Kick out of the group` stays supported in the table), but its check warns, naming what to
/// put back by hand.
#[tokio::test(flavor = "multi_thread")]
async fn a_member_that_could_not_be_put_back_is_told_in_the_checklist() {
    use puppet_lint::mock::{CONTACTS, ROOM};
    // The fault, and the row whose check it makes warn.
    const REFUSED: (Fault, Row) = (Fault::RoomAddRefused, Row::RoomDel);
    let mock = support::mock(&[REFUSED.0]).await;
    let alice = CONTACTS[0].0;
    let (ran, report) = run(
        &mock,
        &["--peer-room", ROOM.0, "--peer-contact", alice, "--allow-destructive", "--only", "capability.room-*"],
    )
    .await;
    let outcomes = outcomes(&report);
    let (outcome, check) = &outcomes[REFUSED.1.key()];
    assert_eq!(*outcome, Outcome::Supported, "{}", told(&report));
    assert_eq!(check.verdict, Verdict::Warn, "{}", told(&report));
    ran.stdout_has("`Kick out of the group` is supported, but putting back what it changed failed")
        .stdout_has("put it back by hand");
    assert!(!mock.room_members(ROOM.0).expect("the room").contains(&alice.to_owned()), "the fault kept her out");
}
