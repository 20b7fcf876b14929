//! Every check proven both ways: against the conformant mock all pass; for
//! each fault, the check guarding the broken rule fails with evidence while
//! the others pass (a check that depends on the broken behaviour to see its
//! own rule is skipped, and says why).

use puppet_lint::mock::Fault;
use puppet_lint::report::model::{Report, Verdict};

use crate::support::{Engine, mock, target_of, verdicts};

async fn run_with(faults: &[Fault]) -> Report {
    let mock = mock(faults).await;
    let report = Engine::against(target_of(&mock)).run().await;
    mock.shutdown().await;
    report
}

/// `fails`: these checks (and only these) fail; `skips`: these skip.
async fn expect(fault: Fault, fails: &[&str], skips: &[&str]) {
    let report = run_with(&[fault]).await;
    for check in &report.checks {
        let wanted = if fails.contains(&check.id.as_str()) {
            if check.level == puppet_lint::suite::Severity::Must { Verdict::Fail } else { Verdict::Warn }
        } else if skips.contains(&check.id.as_str()) {
            Verdict::Skip
        } else {
            Verdict::Pass
        };
        assert_eq!(check.verdict, wanted, "{} under {}:\n{}", check.id, fault.name(), verdicts(&report));
        if matches!(wanted, Verdict::Fail | Verdict::Warn) {
            let evidence = check.evidence.as_ref().expect("a failure carries evidence");
            assert!(!evidence.expected.is_empty() && !evidence.observed.is_empty(), "{}: {evidence:?}", check.id);
            assert!(!evidence.timeline.is_empty(), "{}: the evidence shows the timeline", check.id);
            assert!(check.reason.as_ref().is_some_and(|reason| !reason.is_empty()), "{}", check.id);
        }
    }
}

#[tokio::test]
async fn the_conformant_mock_passes_every_check() {
    let report = run_with(&[]).await;
    assert!(report.checks.iter().all(|check| check.verdict == Verdict::Pass), "{}", verdicts(&report));
    assert_eq!(report.checks.len(), puppet_lint::suite::builtin().unwrap().checks.len());
}

macro_rules! fault {
    ($name:ident, $fault:expr, fails [$($fails:literal),*] $(, skips [$($skips:literal),*])?) => {
        #[tokio::test]
        async fn $name() {
            expect($fault, &[$($fails),*], &[$($($skips),*)?]).await;
        }
    };
}

fault!(no_ready_fails_events_ready, Fault::NoReady, fails["events.ready"], skips["events.resubscribe"]);
fault!(ready_before_login_fails_the_order, Fault::ReadyBeforeLogin, fails["events.login-before-ready", "events.login-states"]);
fault!(ready_twice_warns_ready_once, Fault::ReadyTwice, fails["events.ready-once"]);
fault!(no_echo_fails_self_echo, Fault::NoEcho, fails["message.self-echo"], skips["message.echo-types", "message.echo-attachment-type", "message.fidelity", "filebox.mime-extension", "filebox.large-roundtrip", "filebox.big-file-by-uuid", "filebox.stream-name"]);
fault!(echo_with_the_wrong_talker_fails_self_echo, Fault::EchoWrongTalker, fails["message.self-echo"]);
// A text typed Image is also an Image without a file.
fault!(echo_with_the_wrong_type_fails_self_echo, Fault::EchoWrongType, fails["message.self-echo", "message.file-types-have-files"]);
fault!(a_jpeg_echo_typed_attachment_fails_echo_types, Fault::EchoFileWrongType, fails["message.echo-types"]);
fault!(a_pdf_echo_typed_unknown_warns, Fault::EchoDocumentUnknown, fails["message.echo-attachment-type"]);
fault!(a_trimmed_text_fails_fidelity, Fault::TrimText, fails["message.fidelity"]);
fault!(a_mangled_file_name_fails_fidelity, Fault::MangleFileName, fails["message.fidelity"]);
fault!(an_image_without_a_file_fails_its_check, Fault::FileTypeWithoutFile, fails["message.file-types-have-files"]);
fault!(unparsed_app_markup_warns, Fault::UnparsedAppMessage, fails["message.app-markup"]);
fault!(a_path_in_a_file_name_fails_bare_names, Fault::PathInFileName, fails["filebox.bare-names"]);
fault!(a_message_time_in_seconds_fails_the_time_rule, Fault::MessageTimeInSeconds, fails["message.time"]);
fault!(no_heartbeat_fails_the_interval, Fault::NoHeartbeat, fails["heartbeat.interval"]);
fault!(no_dong_fails_ding_dong, Fault::NoDong, fails["heartbeat.ding-dong"], skips["filebox.ding-during-transfer"]);
fault!(no_self_contact_fails_self_contact, Fault::NoSelfContact, fails["events.self-contact"]);
fault!(no_logout_event_fails_logout_cleanup, Fault::NoLogoutEvent, fails["logout.cleanup"]);
fault!(session_kept_after_logout_fails_logout_cleanup, Fault::SessionKeptAfterLogout, fails["logout.cleanup"]);
fault!(session_lost_on_restart_fails_session_restore, Fault::SessionLostOnRestart, fails["session.restore"]);
// A name whose extension is lost or changed is also a name that did not come back byte for byte.
fault!(stripped_extensions_fail_the_mime_rule, Fault::StripFileExtension, fails["filebox.mime-extension", "filebox.stream-name", "message.fidelity"]);
fault!(wrong_extensions_fail_the_mime_rule, Fault::WrongFileExtension, fails["filebox.mime-extension", "filebox.stream-name", "message.fidelity"]);
fault!(a_misnamed_file_kind_fails_the_mime_rule, Fault::MisnamedFileKind, fails["filebox.mime-extension"]);
fault!(a_stale_scan_while_logged_in_fails_the_scan_rule, Fault::StaleScan, fails["events.no-scan-while-logged-in"]);
fault!(two_logouts_for_one_logout_warn, Fault::DoubleLogout, fails["events.one-logout-per-logout"]);
fault!(a_null_in_an_id_list_fails_the_shape_rule, Fault::NullInIdList, fails["payloads.shape"]);
fault!(a_legacy_error_shape_warns, Fault::LegacyErrorShape, fails["payloads.shape-advice"]);
fault!(an_unknown_event_type_warns, Fault::UnknownEvent, fails["events.lifecycle-advice", "payloads.shape-advice"]);
fault!(a_room_as_the_talker_fails_the_message_rule, Fault::RoomTalker, fails["message.received-payloads"]);
fault!(a_message_delivered_twice_fails_message_once, Fault::DuplicateMessage, fails["events.message-once"]);
fault!(a_storm_of_identical_events_warns, Fault::EventStorm, fails["events.no-storm"]);
fault!(a_room_time_decades_off_fails_the_time_rule, Fault::StaleRoomTime, fails["payloads.time"]);
fault!(a_placeholder_value_fails_the_placeholder_rule, Fault::PlaceholderValue, fails["payloads.placeholders"]);
fault!(a_slot_held_after_a_cancel_fails_resubscribe, Fault::SlowSlot, fails["events.resubscribe"]);
fault!(no_login_replayed_fails_resubscribe, Fault::NoReplay, fails["events.resubscribe"]);
fault!(a_stream_ended_mid_run_fails_the_stream_rule, Fault::StreamCancelled, fails["events.stream-stays-open"]);
fault!(a_big_file_answered_inline_fails_the_uuid_rule, Fault::InlineBigFile, fails["filebox.big-file-by-uuid"]);
fault!(a_corrupt_download_fails_the_round_trip, Fault::CorruptDownload, fails["filebox.large-roundtrip"]);
fault!(
    a_streamed_file_that_loses_its_name_fails_the_stream_rule,
    Fault::StreamFileUnnamed,
    fails["filebox.stream-name"]
);
fault!(a_dong_held_back_by_an_upload_warns, Fault::SlowDingUnderLoad, fails["filebox.ding-during-transfer"]);
fault!(ignoring_the_authority_token_fails_its_check, Fault::NoAuthorityToken, fails["auth.authority-token"]);
fault!(accepting_any_token_fails_the_auth_check, Fault::AcceptAnyToken, fails["auth.rejects-invalid-token"]);

/// A photo received as an image message but named like a document: the
/// received-files rule names the message's kind, the file's name and the
/// type that name maps to.
#[tokio::test]
async fn a_misnamed_received_file_is_named_with_its_kind_and_type() {
    let report = run_with(&[Fault::MisnamedFileKind]).await;
    let check = report.checks.iter().find(|check| check.id == "filebox.mime-extension").expect("the check ran");
    let evidence = check.evidence.as_ref().expect("a failure carries evidence");
    for fragment in ["image message", "\"alice-photo.pdf\"", "application/pdf, not image/*"] {
        assert!(evidence.observed.contains(fragment), "{fragment:?} missing from {:?}", evidence.observed);
    }
}

/// The file and :authority rules' failures name the rpc, the field and the
/// rule, with what was sent and what came back.
#[tokio::test]
async fn file_and_authority_failures_name_the_rpc_the_field_and_the_rule() {
    for (fault, id, fragments) in [
        (
            Fault::InlineBigFile,
            "filebox.big-file-by-uuid",
            &["MessageFile answered the 5242880-byte file", "inline", "base64 box", "uuid box", "Download", "4 MiB"][..],
        ),
        (
            Fault::CorruptDownload,
            "filebox.large-roundtrip",
            &["sent 40960 bytes, md5 ", "received 40960 bytes, md5 ", "Download of uuid box"][..],
        ),
        (
            Fault::StreamFileUnnamed,
            "filebox.stream-name",
            &["MessageSendFileStream", "file_box_chunk.name", "uuid.dat"][..],
        ),
        (
            Fault::SlowDingUnderLoad,
            "filebox.ding-during-transfer",
            &["Ding → dong took", "during an Upload", "× the idle"][..],
        ),
        (Fault::NoAuthorityToken, "auth.authority-token", &[":authority", "`authorization`", "UNAUTHENTICATED"][..]),
    ] {
        let report = run_with(&[fault]).await;
        let check = report.checks.iter().find(|check| check.id == id).expect("the check ran");
        let evidence = check.evidence.as_ref().expect("a failure carries evidence");
        let said =
            format!("{} | {} | {}", check.reason.clone().unwrap_or_default(), evidence.expected, evidence.observed);
        for fragment in fragments {
            assert!(said.contains(fragment), "{}: {fragment:?} missing from {said:?}", fault.name());
        }
    }
}

/// The content rules' failures name the rpc or event, the field, the value (escaped, with lengths) and the rule.
#[tokio::test]
async fn content_failures_name_the_rpc_the_field_the_value_and_the_rule() {
    for (fault, id, fragments) in [
        (
            Fault::TrimText,
            "message.fidelity",
            &[
                "echo.text differs from what was sent",
                "first difference at character",
                "sent \"\\n\"",
                "received (the end)",
                "whitespace at the end was trimmed",
            ][..],
        ),
        (
            Fault::MangleFileName,
            "message.fidelity",
            &[
                "file.name differs from what was sent",
                "first difference at character 11 (byte 11)",
                "received \"_",
                "\\u{62a5}\\u{544a}",
                "MessageFile names the file",
            ][..],
        ),
        (
            Fault::EchoFileWrongType,
            "message.echo-types",
            &["MessagePayload.type", "echo.type is \"attachment\"", "\"image\""][..],
        ),
        (
            Fault::EchoDocumentUnknown,
            "message.echo-attachment-type",
            &["echo.type is \"unknown\"", "\"attachment\""][..],
        ),
        (
            Fault::FileTypeWithoutFile,
            "message.file-types-have-files",
            &["(image)", "type 6 (image) says a file", "MessageFile fails", "file-answers, must"][..],
        ),
        (
            Fault::UnparsedAppMessage,
            "message.app-markup",
            &["(unknown)", "`MessagePayload`.text is raw app markup", "<msg><appmsg", "app-markup, should"][..],
        ),
        (
            Fault::PathInFileName,
            "filebox.bare-names",
            &["`MessageFile` name", "/tmp/upload/alice-photo.jpg", "directory part", "bare-names, must"][..],
        ),
        (
            Fault::MessageTimeInSeconds,
            "message.time",
            &[
                "`MessagePayload`.timestamp is",
                "(1970-",
                "reads as seconds where milliseconds belong",
                "message-time, must",
            ][..],
        ),
    ] {
        let report = run_with(&[fault]).await;
        let check = report.checks.iter().find(|check| check.id == id).expect("the check ran");
        let evidence = check.evidence.as_ref().expect("a failure carries evidence");
        let said =
            format!("{} | {} | {}", check.reason.clone().unwrap_or_default(), evidence.expected, evidence.observed);
        for fragment in fragments {
            assert!(said.contains(fragment), "{}: {fragment:?} missing from {said:?}", fault.name());
        }
    }
}

/// The table above covers every rule fault, and every built-in check is
/// guarded by at least one: no check that cannot fail. (Misbehaviours break
/// many rules at once; `misbehaviour.rs` covers them.)
#[test]
fn every_fault_is_tested_and_every_check_can_fail() {
    let source = include_str!("faults.rs");
    for fault in Fault::rules() {
        let variant = format!("{fault:?}");
        assert!(source.contains(&format!("Fault::{variant},")), "no test for fault {}", fault.name());
    }
    // What each `fault!` line says fails: the text between `fails` and `]`.
    let failing: Vec<&str> = source
        .lines()
        .filter(|line| line.starts_with("fault!("))
        .filter_map(|line| line.split_once("fails").and_then(|(_, rest)| rest.split_once(']')).map(|(list, _)| list))
        .collect();
    for check in puppet_lint::suite::builtin().unwrap().checks {
        let quoted = format!("\"{}\"", check.id);
        assert!(failing.iter().any(|list| list.contains(&quoted)), "no fault makes {} fail", check.id);
    }
}

/// `events.ready` waits for `ready` as long as the run watches (its heartbeat window), not its whole check budget.
#[tokio::test]
async fn a_missing_ready_is_told_within_the_heartbeat_window() {
    let report = run_with(&[Fault::NoReady]).await;
    let ready = report.checks.iter().find(|check| check.id == "events.ready").expect("events.ready");
    assert_eq!(ready.verdict, Verdict::Fail);
    let window = report.settings.heartbeat_window_ms;
    let budget = report.settings.timeout_ms.unwrap_or(60_000);
    assert!(window < budget, "the test's window ({window} ms) is shorter than the check budget ({budget} ms)");
    // Half-way between the window and the budget: told at the window's end, not the budget's.
    assert!(ready.duration_ms < (window + budget) / 2, "waited {} ms for a {window} ms window", ready.duration_ms);
}
