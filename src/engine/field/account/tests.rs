//! The account model's rules, each with cases that differ from the example (a `room-join` whose inviter
//! does not resolve): other events, other fields, other rpcs, ids that resolve to another id.

use serde_json::json;

use super::*;

const AT: Duration = Duration::from_secs(3);

fn message(id: &str, talker: &str, listener: &str, room: &str) -> MessagePayloadResponse {
    MessagePayloadResponse {
        id: id.into(),
        talker_id: talker.into(),
        listener_id: listener.into(),
        room_id: room.into(),
        r#type: 7,
        text: "hi".into(),
        ..Default::default()
    }
}

fn all() -> Account {
    Account::new(AccountRule::ALL)
}

/// Resolves every queued id with `answers` (id → what the rpc says; missing: NOT_FOUND).
fn resolve(account: &mut Account, answers: &[(&str, Answer)]) {
    while let Some(named) = account.next_to_resolve() {
        let answer = answers
            .iter()
            .find(|(id, _)| *id == named.id)
            .map_or_else(|| Answer::Refused(format!("NOT_FOUND: \"{}\" not found", named.id)), |(_, a)| a.clone());
        account.answer(&named, &answer);
    }
}

fn messages(account: &Account) -> Vec<String> {
    account.findings().iter().map(|finding| finding.message.clone()).collect()
}

#[test]
fn a_room_join_names_its_inviter_invitees_and_room() {
    let payload = json!({ "inviterId": "c-gone", "inviteeIdList": ["c-1", 7, "c-2"], "roomId": "r-1", "timestamp": 1 });
    let named = named_by_event(12, AT, EventKind::RoomJoin, &payload);
    let shown: Vec<(&str, &str)> = named.iter().map(|named| (named.id.as_str(), named.source.as_str())).collect();
    assert_eq!(
        shown,
        [
            ("c-gone", "`room-join` (seq 12).inviterId"),
            ("c-1", "`room-join` (seq 12).inviteeIdList[0]"),
            ("c-2", "`room-join` (seq 12).inviteeIdList[2]"),
            ("r-1", "`room-join` (seq 12).roomId"),
        ]
    );
    assert_eq!(named[3].resolver, Resolver::Room);
}

/// The example, as the judge says it: the event, the field, the value, the rpc, its answer and the rule.
#[test]
fn an_inviter_that_does_not_resolve_is_named() {
    let mut account = all();
    account.event(
        12,
        AT,
        EventKind::RoomJoin,
        &json!({ "inviterId": "c-gone", "inviteeIdList": ["c-1"], "roomId": "r-1" }),
    );
    resolve(&mut account, &[("c-1", Answer::Id("c-1".into())), ("r-1", Answer::Id("r-1".into()))]);
    assert_eq!(
        messages(&account),
        [
            "`room-join` (seq 12).inviterId \"c-gone\": ContactPayload answers NOT_FOUND: \"c-gone\" not found: every id \
          a payload names resolves through its payload rpc — Wechaty loads it, and a load that fails drops the event \
          (ids-resolve, must)"
        ]
    );
    assert_eq!(account.findings()[0].rule, AccountRule::IdsResolve);
    assert_eq!(account.coverage(), "3 id(s) resolved");
}

/// Another event, another field: a `room-leave` whose remover is unknown; its removees resolve.
#[test]
fn a_remover_that_does_not_resolve_is_named() {
    let mut account = all();
    let payload = json!({ "removerId": "wxid_unknown", "removeeIdList": ["c-1"], "roomId": "r-1" });
    account.event(4, AT, EventKind::RoomLeave, &payload);
    resolve(&mut account, &[("c-1", Answer::Id("c-1".into())), ("r-1", Answer::Id("r-1".into()))]);
    let found = messages(&account);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("`room-leave` (seq 4).removerId \"wxid_unknown\": ContactPayload answers NOT_FOUND"));
}

/// A room id that `RoomPayload` refuses with another status than NOT_FOUND.
#[test]
fn a_room_that_does_not_resolve_names_room_payload() {
    let mut account = all();
    account.event(9, AT, EventKind::RoomTopic, &json!({ "changerId": "c-1", "roomId": "r-x", "newTopic": "t" }));
    resolve(&mut account, &[("c-1", Answer::Id("c-1".into())), ("r-x", Answer::Refused("UNKNOWN: no payload".into()))]);
    assert_eq!(messages(&account).len(), 1);
    assert!(messages(&account)[0].starts_with("`room-topic` (seq 9).roomId \"r-x\": RoomPayload answers UNKNOWN"));
}

/// A display name passed as the talker, which the provider resolves by name to another contact.
#[test]
fn a_display_name_as_talker_resolves_to_another_id() {
    let mut account = all();
    account.message(AT, &message("m-1", "Alice", "bot", ""));
    resolve(&mut account, &[("Alice", Answer::Id("wxid_alice".into())), ("bot", Answer::Id("bot".into()))]);
    assert_eq!(
        messages(&account),
        ["MessagePayload(\"m-1\").talker_id \"Alice\": ContactPayload answers the payload of \"wxid_alice\": an id \
          resolves to itself — a display name or alias is no id (ids-are-ids, must)"]
    );
    assert_eq!(account.findings()[0].rule, AccountRule::IdsAreIds);
}

/// The login contact resolving to another id (a provider that answers its own account for any id).
#[test]
fn a_login_contact_that_resolves_to_another_id_is_named() {
    let mut account = all();
    account.event(2, AT, EventKind::Login, &json!({ "contactId": "wxid_bot" }));
    resolve(&mut account, &[("wxid_bot", Answer::Id("wxid_someone".into()))]);
    assert!(
        messages(&account)[0].starts_with(
            "`login` (seq 2).contactId \"wxid_bot\": ContactPayload answers the payload of \"wxid_someone\""
        )
    );
}

/// A mention id that does not resolve; the talker and room do.
#[test]
fn a_mention_that_does_not_resolve_is_named() {
    let mut account = all();
    let mut payload = message("m-2", "c-1", "", "r-1");
    payload.mention_ids = vec!["c-1".into(), "@Bob".into()];
    account.message(AT, &payload);
    resolve(&mut account, &[("c-1", Answer::Id("c-1".into())), ("r-1", Answer::Id("r-1".into()))]);
    assert_eq!(messages(&account).len(), 1);
    assert!(
        messages(&account)[0]
            .starts_with("MessagePayload(\"m-2\").mention_ids[1] \"@Bob\": ContactPayload answers NOT_FOUND")
    );
}

/// A friendship resolves with `FriendshipPayload`; the contact it names is resolved in turn; an empty one is named.
#[test]
fn a_friendships_contact_is_resolved_in_turn() {
    let mut account = all();
    account.event(5, AT, EventKind::Friendship, &json!({ "friendshipId": "f-1" }));
    let named = account.next_to_resolve().expect("the friendship is resolved");
    assert_eq!((named.id.as_str(), named.resolver), ("f-1", Resolver::Friendship));
    account.answer(&named, &Answer::Id("f-1".into()));
    let payload = FriendshipPayloadResponse { id: "f-1".into(), contact_id: "c-stranger".into(), ..Default::default() };
    account.friendship(&named, &payload);
    resolve(&mut account, &[]);
    assert!(
        messages(&account)[0]
            .starts_with("FriendshipPayload(\"f-1\").contact_id \"c-stranger\": ContactPayload answers NOT_FOUND")
    );

    let mut account = all();
    account.friendship(&named, &FriendshipPayloadResponse { id: "f-1".into(), ..Default::default() });
    assert!(messages(&account)[0].starts_with("FriendshipPayload(\"f-1\").contact_id is empty"));
}

/// Each distinct id once, whoever names it, and past the bound a sample.
#[test]
fn each_id_is_resolved_once_and_a_flood_is_sampled() {
    let mut account = all();
    for seq in 0..5 {
        account.message(AT, &message(&format!("m-{seq}"), "c-1", "bot", ""));
    }
    assert_eq!(account.pending(), 2, "c-1 and bot, once each");
    let mut account = all();
    for index in 0..10_000 {
        account.event(index, AT, EventKind::Login, &json!({ "contactId": format!("c-{index}") }));
    }
    assert_eq!(account.named, 10_000);
    assert_eq!(account.chosen, RESOLVE_MOST);
    resolve(&mut account, &[]);
    assert!(
        account.coverage().starts_with(&format!(
            "{RESOLVE_MOST} of 10000 ids resolved, sampled: the first {RESOLVE_ALL} distinct ids, then one in {SAMPLE_EVERY}"
        )),
        "{}",
        account.coverage()
    );
    assert_eq!(account.found, RESOLVE_MOST);
    assert_eq!(account.findings().len(), KEPT);
}

#[test]
fn the_bucket_allows_its_burst_then_its_rate() {
    let mut bucket = Bucket::new(Duration::ZERO);
    for _ in 0..BURST as usize {
        assert_eq!(bucket.take(Duration::ZERO), Ok(()));
    }
    let wait = bucket.take(Duration::ZERO).expect_err("the burst is spent");
    assert!(wait <= Duration::from_secs_f64(1.0 / RATE) + Duration::from_micros(1), "{wait:?}");
    assert_eq!(bucket.take(wait), Ok(()));
    // A second later: RATE more, never more than BURST.
    let mut taken = 0;
    while bucket.take(wait + Duration::from_secs(10)).is_ok() {
        taken += 1;
    }
    assert_eq!(taken, BURST as usize);
}

#[test]
fn a_direct_message_without_a_listener_is_named() {
    let found = conversation(&message("m-3", "c-1", "", ""));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, AccountRule::DirectHasListener);
    assert!(found[0].1.contains("MessagePayload(\"m-3\") from \"c-1\": room_id and listener_id are both empty"));
    // One of the bot's own, to nobody: the same rule.
    assert_eq!(conversation(&message("m-4", "bot", "", ""))[0].0, AccountRule::DirectHasListener);
    assert!(conversation(&message("m-5", "c-1", "bot", "")).is_empty());
}

#[test]
fn a_room_message_with_a_listener_is_advice() {
    let found = conversation(&message("m-6", "c-1", "bot", "r-1"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, AccountRule::RoomWithoutListener);
    assert!(found[0].1.contains(".listener_id \"bot\" in room \"r-1\""));
    assert!(conversation(&message("m-7", "c-1", "", "r-1")).is_empty());
}

#[test]
fn a_talker_outside_the_room_is_named_and_a_failing_member_list_once() {
    let mut account = Account::new(&[AccountRule::TalkerInRoom]);
    let outsider = message("m-8", "c-9", "", "r-1");
    assert_eq!(account.wants_members(&outsider).as_deref(), Some("r-1"));
    account.members(AT, &outsider, Ok(vec!["bot".into(), "c-1".into()]));
    assert_eq!(account.wants_members(&outsider), None, "one RoomMemberList a room");
    account.judge_talker(AT, &outsider);
    account.judge_talker(AT, &message("m-9", "c-1", "", "r-1"));
    assert_eq!(
        messages(&account),
        ["MessagePayload(\"m-8\").talker_id \"c-9\" is not in RoomMemberList(\"r-1\") (2 member(s)): whoever speaks \
          in a room is its member (talker-in-room, should)"]
    );
    let other = message("m-10", "c-1", "", "r-2");
    account.members(AT, &other, Err("UNIMPLEMENTED: RoomMemberList".into()));
    account.judge_talker(AT, &other);
    account.judge_talker(AT, &message("m-11", "c-1", "", "r-2"));
    assert_eq!(account.found, 2);
    assert!(messages(&account)[1].contains("RoomMemberList answers UNIMPLEMENTED"));
    // Only the rules asked for: no ids queued, no shape judged.
    account.message(AT, &message("m-12", "c-1", "", ""));
    assert_eq!((account.pending(), account.found), (0, 2));
}

#[test]
fn a_peers_control_characters_are_escaped() {
    assert_eq!(shown("a\u{1b}[31mb"), "\"a\\u001b[31mb\"");
    assert!(shown(&"x".repeat(500)).chars().count() <= 58);
}

/// The members a room's `RoomMemberList` names are ids too: one that names nobody is found, as every other id.
#[test]
fn a_member_that_does_not_resolve_is_named() {
    let mut account = Account::new(&[AccountRule::IdsResolve]);
    let payload = message("m-3", "c-1", "", "r-1");
    account.message(AT, &payload);
    let room = account.wants_members(&payload).expect("the ids rule asks for the room's members");
    assert_eq!(room, "r-1");
    account.members(AT, &payload, Ok(vec!["c-1".into(), "ghost-member-404".into()]));
    assert_eq!(account.wants_members(&payload), None, "one list a room");
    resolve(&mut account, &[("c-1", Answer::Id("c-1".into())), ("r-1", Answer::Id("r-1".into()))]);
    assert_eq!(messages(&account).len(), 1, "{:?}", messages(&account));
    assert!(
        messages(&account)[0]
            .starts_with("RoomMemberList(\"r-1\")[1] \"ghost-member-404\": ContactPayload answers NOT_FOUND"),
        "{:?}",
        messages(&account)
    );
}

/// Identity: a `room-invite` names its invitation, resolved with `RoomInvitationPayload`; the invitation's inviter
/// and receiver are resolved in turn (its members, strangers in another room, are not); an empty inviter is named.
#[test]
fn a_room_invitation_is_resolved_and_its_inviter_and_receiver_in_turn() {
    let mut account = all();
    account.event(4, AT, EventKind::RoomInvite, &json!({ "roomInvitationId": "ri-1" }));
    let named = account.next_to_resolve().expect("the invitation is offered");
    assert_eq!(
        (named.resolver, named.source.as_str()),
        (Resolver::RoomInvitation, "`room-invite` (seq 4).roomInvitationId")
    );
    assert_eq!(named.resolver.rpc(), Rpc::RoomInvitationPayload);
    let invitation = RoomInvitationPayloadResponse {
        id: "ri-1".into(),
        inviter_id: "c-gone".into(),
        receiver_id: "bot".into(),
        member_ids: vec!["stranger-1".into()],
        ..Default::default()
    };
    account.answer(&named, &Answer::Id("ri-1".into()));
    account.room_invitation(&named, &invitation);
    resolve(&mut account, &[("bot", Answer::Id("bot".into()))]);
    assert_eq!(account.resolved, 3, "the invitation, its inviter and its receiver; not its members");
    let found = messages(&account);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("RoomInvitationPayload(\"ri-1\").inviter_id \"c-gone\": ContactPayload answers NOT_FOUND")
            && found[0].ends_with("(ids-resolve, must)"),
        "{found:?}"
    );
    // An invitation that names no inviter.
    let mut empty = all();
    empty.event(5, AT, EventKind::RoomInvite, &json!({ "roomInvitationId": "ri-2" }));
    let named = empty.next_to_resolve().unwrap();
    empty.room_invitation(&named, &RoomInvitationPayloadResponse { id: "ri-2".into(), ..Default::default() });
    assert!(
        messages(&empty)[0].contains("RoomInvitationPayload(\"ri-2\").inviter_id is empty"),
        "{:?}",
        messages(&empty)
    );
    // An invitation id that does not resolve.
    let mut gone = all();
    gone.event(6, AT, EventKind::RoomInvite, &json!({ "roomInvitationId": "ri-gone" }));
    resolve(&mut gone, &[]);
    assert!(
        messages(&gone)[0]
            .contains("`room-invite` (seq 6).roomInvitationId \"ri-gone\": RoomInvitationPayload answers NOT_FOUND"),
        "{:?}",
        messages(&gone)
    );
}

/// Identity: the owner, admins and members a `RoomPayload` names are resolved as contacts.
#[test]
fn a_rooms_owner_admins_and_members_are_resolved_in_turn() {
    let mut account = all();
    account.event(7, AT, EventKind::RoomTopic, &json!({ "changerId": "c-1", "roomId": "r-1" }));
    let mut room_named = None;
    while let Some(named) = account.next_to_resolve() {
        if named.resolver == Resolver::Room {
            room_named = Some(named.clone());
        }
        account.answer(&named, &Answer::Id(named.id.clone()));
    }
    let named = room_named.expect("the room is offered");
    let room = RoomPayloadResponse {
        id: "r-1".into(),
        owner_id: "c-owner-gone".into(),
        admin_ids: vec!["c-1".into(), "c-admin-gone".into()],
        member_ids: vec!["c-1".into(), "c-member-gone".into()],
        ..Default::default()
    };
    account.room(&named, &room);
    resolve(&mut account, &[]);
    let found = messages(&account);
    for source in [
        "RoomPayload(\"r-1\").owner_id \"c-owner-gone\"",
        "RoomPayload(\"r-1\").admin_ids[1] \"c-admin-gone\"",
        "RoomPayload(\"r-1\").member_ids[1] \"c-member-gone\"",
    ] {
        assert!(found.iter().any(|message| message.starts_with(source)), "{source}: {found:?}");
    }
    // c-1, named by the event, the admins and the members, is resolved once.
    assert_eq!(found.len(), 3, "{found:?}");
}

/// Placeholders in answers: each rpc's strings, with the rpc, the id, the field and the value; a message's text is
/// a person's and is not judged; the rule is off unless asked for, and asked alone it reports nothing else.
#[test]
fn placeholder_text_in_answers_is_named_by_rpc_and_field() {
    let mut account = Account::new(&[AccountRule::AnswerPlaceholders]);
    assert!(account.resolves(), "the answers are read, so the ids are resolved");
    let mut payload = message("m-1", "c-1", "bot", "");
    payload.text = "null".into();
    payload.filename = "[object Object]".into();
    payload.mention_ids = vec!["c-2".into(), " NaN ".into()];
    account.message(AT, &payload);
    let named = Named { id: "c-1".into(), resolver: Resolver::Contact, source: "test".into(), at: AT };
    account.contact(
        &named,
        &ContactPayloadResponse {
            id: "c-1".into(),
            name: "Null Island".into(),
            alias: "undefined\n".into(),
            ..Default::default()
        },
    );
    let room = Named { id: "r-1".into(), resolver: Resolver::Room, source: "test".into(), at: AT };
    account.room(&room, &RoomPayloadResponse { id: "r-1".into(), topic: "NULL".into(), ..Default::default() });
    let friendship = Named { id: "f-1".into(), resolver: Resolver::Friendship, source: "test".into(), at: AT };
    account.friendship(
        &friendship,
        &FriendshipPayloadResponse {
            id: "f-1".into(),
            contact_id: "c-1".into(),
            hello: "undefined".into(),
            ..Default::default()
        },
    );
    let invitation = Named { id: "ri-1".into(), resolver: Resolver::RoomInvitation, source: "test".into(), at: AT };
    account.room_invitation(
        &invitation,
        &RoomInvitationPayloadResponse {
            id: "ri-1".into(),
            inviter_id: "c-1".into(),
            topic: "nan".into(),
            ..Default::default()
        },
    );
    account.members(AT, &message("m-2", "c-1", "", "r-1"), Ok(vec!["c-1".into(), "undefined".into()]));
    // Unresolved ids are no finding of this rule.
    resolve(&mut account, &[]);
    let found = messages(&account);
    let expected = [
        "MessagePayload(\"m-1\").filename is \"[object Object]\"",
        "MessagePayload(\"m-1\").mention_ids[1] is \" NaN \"",
        "ContactPayload(\"c-1\").alias is \"undefined\\n\"",
        "RoomPayload(\"r-1\").topic is \"NULL\"",
        "FriendshipPayload(\"f-1\").hello is \"undefined\"",
        "RoomInvitationPayload(\"ri-1\").topic is \"nan\"",
        "RoomMemberList(\"r-1\")[1] is \"undefined\"",
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (message, start) in found.iter().zip(expected) {
        assert!(message.starts_with(start) && message.ends_with("(answer-placeholders, must)"), "{start}: {message}");
    }
    // Asked for by no rule: nothing judged.
    let mut off = Account::new(&[AccountRule::IdsResolve]);
    off.contact(&named, &ContactPayloadResponse { id: "c-1".into(), name: "undefined".into(), ..Default::default() });
    assert!(off.findings().is_empty());
}
