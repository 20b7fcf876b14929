//! The mock itself, driven at the wire level: a fixed script records how it
//! behaves, and each fault must change exactly the behaviour it names.

use std::time::Duration;

use puppet_lint::config::Endpoint;
use puppet_lint::mock::{Fault, MockOptions, MockServer};
use puppet_lint::session::{self, Entry, EventRecord, Session, Timeline, What};
use puppet_lint::target::connect;
use puppet_lint::wire::filebox::FileBox;
use puppet_lint::wire::{EventKind, MessageKind};
use tokio::time::Instant;

use crate::support::{self, PATIENCE, eventually};

/// What the script saw. Each field is one rule's behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Profile {
    scan_before_first_login: bool,
    ready_before_login: bool,
    readies_after_login: usize,
    periodic_heartbeat: bool,
    dong_with_same_data: bool,
    text_echoed: bool,
    echo_talker_is_bot: bool,
    file_name_back: String,
    self_contact_answers: bool,
    wrong_token_refused: bool,
    restart_logs_in_without_scan_same_id: bool,
    logout_event: bool,
    sends_fail_after_logout: bool,
    restart_after_logout_scans: bool,
}

fn conformant() -> Profile {
    Profile {
        scan_before_first_login: true,
        ready_before_login: false,
        readies_after_login: 1,
        periodic_heartbeat: true,
        dong_with_same_data: true,
        text_echoed: true,
        echo_talker_is_bot: true,
        file_name_back: "report.pdf".into(),
        self_contact_answers: true,
        wrong_token_refused: true,
        restart_logs_in_without_scan_same_id: true,
        logout_event: true,
        sends_fail_after_logout: true,
        restart_after_logout_scans: true,
    }
}

const PACE: Duration = Duration::from_millis(20);

/// How long the script waits for what a fault may withhold (a heartbeat, a
/// dong, the echo, the logout) before it says it never came: a hundred
/// times the mock's pace, so that what comes is seen on a busy machine.
const MAY_NEVER_COME: Duration = Duration::from_secs(2);

/// Whether an event that `matches` comes after the timeline's entry `from`
/// within `within`.
async fn comes(timeline: &Timeline, from: usize, within: Duration, matches: impl Fn(&EventRecord) -> bool) -> bool {
    let event = |entry: &Entry| matches!(&entry.what, What::Event(event) if !event.connect_heartbeat && matches(event));
    timeline.wait_for(from, Instant::now() + within, |_| true, event).await.is_some()
}

/// puppet-lint's own connection to `mock`.
async fn connected(mock: &MockServer) -> puppet_lint::target::grpc::Transport {
    let endpoint = Endpoint { host: "127.0.0.1".into(), port: mock.address.port() };
    connect::channel(&endpoint, None, Duration::from_secs(10)).await.expect("the mock accepts connections")
}

/// A session with `mock` over `channel`.
fn session_with(mock: &MockServer, channel: puppet_lint::target::grpc::Transport) -> Session {
    Session::new(channel, Some(&mock.token), session::Options::default(), Timeline::new())
}

async fn profile(faults: &[Fault]) -> Profile {
    let mock = MockServer::start(MockOptions {
        faults: faults.to_vec(),
        heartbeat_interval: Duration::from_millis(50),
        pace: PACE,
        ..MockOptions::default()
    })
    .await
    .expect("mock starts");
    let session = session_with(&mock, connected(&mock).await);
    let timeline = session.timeline().clone();
    let login_deadline = || Instant::now() + PATIENCE;
    let kinds_after = |from: usize| -> Vec<(EventKind, Option<String>)> {
        timeline
            .since(from)
            .into_iter()
            .filter_map(|entry| match entry.what {
                What::Event(event) if !event.connect_heartbeat => {
                    Some((event.kind, event.field("contactId").map(str::to_owned)))
                }
                _ => None,
            })
            .collect()
    };

    let wrong_token_refused = session.version_with(Some("insecure_not-the-mock-token")).await.is_err();
    session.subscribe().await.expect("subscribes");
    session.start().await.expect("starts");
    let bot = session.wait_for_bot(login_deadline()).await.expect("logs in");
    // The login ends with Alice's messages, after every `ready` it sends.
    let alice = comes(&timeline, 0, PATIENCE, |event| event.kind == EventKind::Message).await;
    assert!(alice, "the login sequence ends with Alice's message");
    let periodic_heartbeat = comes(&timeline, 0, MAY_NEVER_COME, |event| event.kind == EventKind::Heartbeat).await;
    let first = kinds_after(0);
    let login_at = first.iter().position(|(kind, _)| *kind == EventKind::Login).expect("a login");
    let alice_at = first.iter().position(|(kind, _)| *kind == EventKind::Message).expect("Alice's message");
    let scan_before_first_login = first[..login_at].iter().any(|(kind, _)| *kind == EventKind::Scan);
    let ready_before_login = first[..login_at].iter().any(|(kind, _)| *kind == EventKind::Ready);
    let readies_after_login = first[login_at..alice_at].iter().filter(|(kind, _)| *kind == EventKind::Ready).count();

    let mark = timeline.len();
    session.ding("profile-ding").await.expect("ding answers");
    let dong_with_same_data = comes(&timeline, mark, MAY_NEVER_COME, |event| {
        event.kind == EventKind::Dong && event.field("data") == Some("profile-ding")
    })
    .await;

    let mark = timeline.len();
    let text_id = session.send_text(&bot, "profile-text").await.expect("text sent");
    let text_echoed = comes(&timeline, mark, MAY_NEVER_COME, |event| {
        event.kind == EventKind::Message && event.field("messageId") == Some(text_id.as_str())
    })
    .await;
    let echo_talker_is_bot = session.message_payload(&text_id).await.is_ok_and(|payload| payload.talker_id == bot);

    let file = FileBox::from_bytes("report.pdf", b"%PDF-1.4").to_json();
    let file_id = session.send_file(&bot, &file).await.expect("file sent");
    let file_name_back = session
        .message_file(&file_id)
        .await
        .ok()
        .and_then(|json| FileBox::parse(&json).ok())
        .map(|file| file.name)
        .unwrap_or_default();
    let payload = session.message_payload(&file_id).await.expect("file payload");
    assert!(MessageKind::from_wire(payload.r#type).carries_file() || file_name_back.is_empty());

    let self_contact_answers = session.contact_payload(&bot).await.is_ok_and(|contact| contact.id == bot);

    let mark = timeline.len();
    session.stop().await.expect("stops");
    session.start().await.expect("starts again");
    let relogin = session.wait_for_bot(login_deadline()).await;
    let after_restart = kinds_after(mark);
    let scanned = after_restart
        .iter()
        .take_while(|(kind, _)| *kind != EventKind::Login)
        .any(|(kind, _)| *kind == EventKind::Scan);
    let restart_logs_in_without_scan_same_id = !scanned && relogin.as_deref() == Some(bot.as_str());
    let bot = relogin.expect("logged in again");

    let mark = timeline.len();
    session.logout().await.expect("logs out");
    let logout_event = comes(&timeline, mark, MAY_NEVER_COME, |event| {
        event.kind == EventKind::Logout && event.field("contactId") == Some(bot.as_str())
    })
    .await;
    let sends_fail_after_logout = session.send_text(&bot, "after logout").await.is_err();
    let mark = timeline.len();
    session.stop().await.expect("stops");
    session.start().await.expect("starts again");
    // A scan (the session is gone) or a login (it was kept) comes either way.
    let either = |event: &EventRecord| matches!(event.kind, EventKind::Scan | EventKind::Login);
    assert!(comes(&timeline, mark, PATIENCE, either).await, "a scan or a login after the restart");
    let restart_after_logout_scans = kinds_after(mark)
        .iter()
        .find(|(kind, _)| matches!(kind, EventKind::Scan | EventKind::Login))
        .is_some_and(|(kind, _)| *kind == EventKind::Scan);

    session.unsubscribe();
    mock.shutdown().await;
    Profile {
        scan_before_first_login,
        ready_before_login,
        readies_after_login,
        periodic_heartbeat,
        dong_with_same_data,
        text_echoed,
        echo_talker_is_bot,
        file_name_back,
        self_contact_answers,
        wrong_token_refused,
        restart_logs_in_without_scan_same_id,
        logout_event,
        sends_fail_after_logout,
        restart_after_logout_scans,
    }
}

#[tokio::test]
async fn the_mock_is_conformant_by_default() {
    assert_eq!(profile(&[]).await, conformant());
}

/// The profile under `fault` differs from the conformant one by `change` only.
async fn changes_only(fault: Fault, change: impl FnOnce(&mut Profile)) {
    let mut expected = conformant();
    change(&mut expected);
    assert_ne!(expected, conformant(), "the test must name a change");
    assert_eq!(profile(&[fault]).await, expected, "fault {}", fault.name());
}

#[tokio::test]
async fn no_ready() {
    changes_only(Fault::NoReady, |p| p.readies_after_login = 0).await;
}

#[tokio::test]
async fn ready_before_login() {
    changes_only(Fault::ReadyBeforeLogin, |p| p.ready_before_login = true).await;
}

#[tokio::test]
async fn ready_twice() {
    changes_only(Fault::ReadyTwice, |p| p.readies_after_login = 2).await;
}

#[tokio::test]
async fn no_echo() {
    changes_only(Fault::NoEcho, |p| p.text_echoed = false).await;
}

#[tokio::test]
async fn echo_wrong_talker() {
    changes_only(Fault::EchoWrongTalker, |p| p.echo_talker_is_bot = false).await;
}

#[tokio::test]
async fn no_heartbeat() {
    changes_only(Fault::NoHeartbeat, |p| p.periodic_heartbeat = false).await;
}

#[tokio::test]
async fn no_dong() {
    changes_only(Fault::NoDong, |p| p.dong_with_same_data = false).await;
}

#[tokio::test]
async fn no_self_contact() {
    changes_only(Fault::NoSelfContact, |p| p.self_contact_answers = false).await;
}

#[tokio::test]
async fn no_logout_event() {
    changes_only(Fault::NoLogoutEvent, |p| p.logout_event = false).await;
}

#[tokio::test]
async fn session_kept_after_logout() {
    changes_only(Fault::SessionKeptAfterLogout, |p| p.restart_after_logout_scans = false).await;
}

#[tokio::test]
async fn session_lost_on_restart() {
    changes_only(Fault::SessionLostOnRestart, |p| p.restart_logs_in_without_scan_same_id = false).await;
}

#[tokio::test]
async fn strip_file_extension() {
    changes_only(Fault::StripFileExtension, |p| p.file_name_back = "report".into()).await;
}

#[tokio::test]
async fn wrong_file_extension() {
    changes_only(Fault::WrongFileExtension, |p| p.file_name_back = "report.png".into()).await;
}

#[tokio::test]
async fn accept_any_token() {
    changes_only(Fault::AcceptAnyToken, |p| p.wrong_token_refused = false).await;
}

#[tokio::test]
async fn one_event_subscriber_at_a_time_and_a_cancel_frees_the_slot() {
    let mock = support::mock(&[]).await;
    let first = session_with(&mock, connected(&mock).await);
    let second = session_with(&mock, connected(&mock).await);
    first.subscribe().await.expect("the first subscriber is served");
    let refused = second.subscribe().await.expect_err("a second subscriber is refused");
    assert_eq!(refused.code(), Some(tonic::Code::AlreadyExists));
    first.unsubscribe();
    // The cancel reaches the mock a moment later.
    eventually("the slot is free after a cancel", PATIENCE, async || match second.subscribe().await {
        Ok(_) => true,
        Err(refused) if refused.code() == Some(tonic::Code::AlreadyExists) => false,
        Err(other) => panic!("{other:?}"),
    })
    .await;
    mock.shutdown().await;
}

#[tokio::test]
async fn files_over_20_kib_travel_as_uuid_boxes_and_download_whole() {
    let mock = support::mock(&[]).await;
    let channel = connected(&mock).await;
    let session = session_with(&mock, channel.clone());
    session.subscribe().await.unwrap();
    session.start().await.unwrap();
    let bot = session.wait_for_bot(Instant::now() + PATIENCE).await.unwrap();
    let big: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let sent = FileBox::from_bytes("big.png", &big).to_json();
    let id = session.send_file(&bot, &sent).await.unwrap();
    let back = FileBox::parse(&session.message_file(&id).await.unwrap()).unwrap();
    assert_eq!(back.name, "big.png");
    let puppet_lint::wire::filebox::Payload::Uuid(uuid) = &back.payload else { panic!("a uuid box: {back:?}") };

    let mut client = puppet_lint::proto::wechaty::puppet_client::PuppetClient::new(channel);
    let mut request = tonic::Request::new(puppet_lint::proto::wechaty::puppet::DownloadRequest { id: uuid.clone() });
    request.metadata_mut().insert("authorization", format!("Wechaty {}", mock.token).parse().unwrap());
    let mut stream = client.download(request).await.unwrap().into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        bytes.extend(chunk.chunk);
    }
    assert_eq!(bytes, big);
    session.unsubscribe();
    mock.shutdown().await;
}

#[tokio::test]
async fn health_is_unknown_until_the_first_heartbeat_then_serving() {
    use puppet_lint::proto::health::health_check_response::ServingStatus;
    use puppet_lint::proto::health::{HealthCheckRequest, health_client::HealthClient};
    let mock =
        MockServer::start(MockOptions { heartbeat_interval: Duration::from_millis(100), ..MockOptions::default() })
            .await
            .unwrap();
    let channel = connected(&mock).await;
    let mut health = HealthClient::new(channel.clone());
    // No auth: the health service is open, as on the official server.
    let status = |health: &mut HealthClient<_>| {
        let mut health = health.clone();
        async move { health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status }
    };
    assert_eq!(status(&mut health).await, ServingStatus::ServiceUnknown as i32);
    let session = session_with(&mock, channel);
    session.subscribe().await.unwrap();
    session.start().await.unwrap();
    eventually("serving after the first heartbeat", PATIENCE, async || {
        status(&mut health).await == ServingStatus::Serving as i32
    })
    .await;
    session.unsubscribe();
    mock.shutdown().await;
}

async fn channel(mock: &MockServer, authority: Option<&str>) -> tonic::transport::Channel {
    let mut endpoint = tonic::transport::Endpoint::from_shared(format!("http://{}", mock.address)).unwrap();
    if let Some(authority) = authority {
        endpoint = endpoint.origin(format!("http://{authority}").parse().unwrap());
    }
    endpoint.connect().await.expect("the mock accepts connections")
}

/// Without `authorization` metadata the token is the HTTP/2 `:authority`, as
/// on the official server: all its client sends when TLS is off.
#[tokio::test]
async fn the_authority_is_the_token_when_authorization_is_absent() {
    use puppet_lint::proto::wechaty::puppet as pb;
    use puppet_lint::proto::wechaty::puppet_client::PuppetClient;
    let mock = MockServer::start(MockOptions::default()).await.unwrap();
    let version = |channel| async move { PuppetClient::new(channel).version(pb::VersionRequest {}).await };
    assert!(version(channel(&mock, Some(&mock.token)).await).await.is_ok());
    let wrong = version(channel(&mock, Some("insecure_not-the-token")).await).await.unwrap_err();
    assert_eq!(wrong.code(), tonic::Code::Unauthenticated);
    assert_eq!(wrong.message(), "Invalid Wechaty TOKEN \"insecure_not-the-token\"");
    let address = version(channel(&mock, None).await).await.unwrap_err();
    assert_eq!(address.code(), tonic::Code::Unauthenticated, "the address is not the token");
    mock.shutdown().await;
}

/// The deprecated streaming send, as the official client uses it for
/// in-memory files: the file comes back like one sent with `MessageSendFile`.
#[tokio::test]
async fn a_file_sent_as_a_stream_comes_back_whole() {
    use puppet_lint::proto::wechaty::puppet as pb;
    use puppet_lint::proto::wechaty::puppet_client::PuppetClient;
    use tokio_stream::StreamExt as _;
    let mock = MockServer::start(MockOptions { pace: PACE, ..MockOptions::default() }).await.unwrap();
    let mut client = PuppetClient::new(channel(&mock, Some(&mock.token)).await);
    let mut events = client.event(pb::EventRequest {}).await.unwrap().into_inner();
    client.start(pb::StartRequest {}).await.unwrap();
    let deadline = Instant::now() + PATIENCE;
    while let Some(event) = tokio::time::timeout_at(deadline, events.next()).await.expect("a login in time") {
        if event.unwrap().r#type == EventKind::Login.wire() {
            break;
        }
    }
    let bytes: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let chunk = |name: Option<&str>, data: Option<&[u8]>| pb::MessageSendFileStreamRequest {
        conversation_id: None,
        file_box_chunk: Some(pb::FileBoxChunk { name: name.map(Into::into), data: data.map(<[u8]>::to_vec) }),
    };
    let mut parts = vec![
        pb::MessageSendFileStreamRequest { conversation_id: Some("mock-contact-alice".into()), file_box_chunk: None },
        chunk(Some("report.pdf"), None),
    ];
    parts.extend(bytes.chunks(16 * 1024).map(|data| chunk(None, Some(data))));
    let sent = client.message_send_file_stream(tokio_stream::iter(parts)).await.unwrap().into_inner();
    assert!(!sent.id.is_empty());
    let payload = client.message_payload(pb::MessagePayloadRequest { id: sent.id.clone() }).await.unwrap().into_inner();
    assert_eq!(payload.filename, "report.pdf");
    assert_eq!(payload.r#type, MessageKind::Attachment.wire());
    let file_box = client.message_file(pb::MessageFileRequest { id: sent.id }).await.unwrap().into_inner().file_box;
    let file_box = FileBox::parse(&file_box).unwrap();
    assert_eq!(file_box.name, "report.pdf");
    let puppet_lint::wire::filebox::Payload::Uuid(uuid) = &file_box.payload else { panic!("a uuid box: {file_box:?}") };
    let mut download = client.download(pb::DownloadRequest { id: uuid.clone() }).await.unwrap().into_inner();
    let mut back = Vec::new();
    while let Some(chunk) = download.next().await {
        back.extend(chunk.unwrap().chunk);
    }
    assert_eq!(back, bytes);

    // Out of order: the official server's words.
    let refused = client.message_send_file_stream(tokio_stream::iter(vec![chunk(Some("x.pdf"), None)])).await;
    assert_eq!(refused.unwrap_err().message(), "no conversation id");
    mock.shutdown().await;
}

/// Subscribes, starts, and reads the stream until it ends: its end status
/// (None when it ended OK).
async fn stream_end(mock: &MockServer) -> Option<tonic::Status> {
    use puppet_lint::proto::wechaty::puppet as pb;
    use puppet_lint::proto::wechaty::puppet_client::PuppetClient;
    use tokio_stream::StreamExt as _;
    let mut client = PuppetClient::new(channel(mock, Some(&mock.token)).await);
    let mut events = client.event(pb::EventRequest {}).await.unwrap().into_inner();
    client.start(pb::StartRequest {}).await.unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, events.next()).await.expect("the stream ends in time") {
            Some(Ok(_)) => continue,
            Some(Err(status)) => return Some(status),
            None => return None,
        }
    }
}

#[tokio::test]
async fn crash_cuts_the_stream_and_closes_the_port() {
    let mock = MockServer::start(MockOptions { faults: vec![Fault::Crash], pace: PACE, ..MockOptions::default() })
        .await
        .unwrap();
    let end = stream_end(&mock).await.expect("the stream breaks, it does not end OK");
    assert_ne!(end.code(), tonic::Code::Ok, "{end:?}");
    assert!(tokio::net::TcpStream::connect(mock.address).await.is_err(), "the port is closed");
    mock.shutdown().await;
}

#[tokio::test]
async fn drop_stream_refuses_a_new_subscription_and_drop_stream_once_accepts_it() {
    use puppet_lint::proto::wechaty::puppet as pb;
    use puppet_lint::proto::wechaty::puppet_client::PuppetClient;
    for (fault, again) in [(Fault::DropStream, false), (Fault::DropStreamOnce, true)] {
        let mock =
            MockServer::start(MockOptions { faults: vec![fault], pace: PACE, ..MockOptions::default() }).await.unwrap();
        let end = stream_end(&mock).await.expect("the stream ends with a status");
        assert_eq!(end.code(), tonic::Code::Unavailable, "{fault:?}");
        let mut client = PuppetClient::new(channel(&mock, Some(&mock.token)).await);
        let resubscribed = client.event(pb::EventRequest {}).await;
        assert_eq!(resubscribed.is_ok(), again, "{fault:?}: {:?}", resubscribed.err());
        // Unary rpcs still answer.
        assert!(client.version(pb::VersionRequest {}).await.is_ok(), "{fault:?}");
        mock.shutdown().await;
    }
}

#[tokio::test]
async fn slow_answers_late_but_acts_at_once() {
    use puppet_lint::proto::wechaty::puppet as pb;
    use puppet_lint::proto::wechaty::puppet_client::PuppetClient;
    use tokio_stream::StreamExt as _;
    // Late by far more than the login takes (two paces), even on a busy machine.
    let late = Duration::from_secs(2);
    let mock = MockServer::start(MockOptions {
        faults: vec![Fault::Slow],
        slow_delay: late,
        pace: PACE,
        ..MockOptions::default()
    })
    .await
    .unwrap();
    let mut client = PuppetClient::new(channel(&mock, Some(&mock.token)).await);
    let mut events = client.event(pb::EventRequest {}).await.unwrap().into_inner();
    let started = Instant::now();
    let mut starting = client.clone();
    let start = tokio::spawn(async move { starting.start(pb::StartRequest {}).await });
    // The login comes before Start's answer: the side effect is at once.
    loop {
        let event = events.next().await.expect("events").unwrap();
        if event.r#type == EventKind::Login.wire() {
            break;
        }
    }
    assert!(!start.is_finished(), "Start has not answered yet when the login comes");
    start.await.unwrap().unwrap();
    assert!(started.elapsed() >= late);
    mock.shutdown().await;
}
