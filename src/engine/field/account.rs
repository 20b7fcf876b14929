//! A model of the account, built from what the run observes: every id a payload names — an event's or an rpc
//! answer's — is resolved through its payload rpc, each distinct id once, and every message is held against the shape
//! of its conversation. This file is the model and its rules, with no network: the check that drives it
//! (`engine/actions/account.rs`) feeds it events and message payloads, asks it which id to resolve next, calls the
//! rpc under its [`Bucket`], and hands the answer back.
//!
//! | rule | level | what it holds | why |
//! | --- | --- | --- | --- |
//! | `ids-resolve` | must | every id a payload names answers its payload rpc: a message's talker, listener, room and mention ids (`ContactPayload`, `RoomPayload`); the login contact; a `room-join`'s inviter, invitees and room; a `room-leave`'s remover, removees and room; a `room-topic`'s changer and room; a `friendship`'s friendship (`FriendshipPayload`) and its contact; a `room-invite`'s invitation (`RoomInvitationPayload`), its inviter and its receiver; the owner, admins and members a `RoomPayload` names, and the members of `RoomMemberList` | Wechaty's `Message.ready()` loads the talker, the room and the listener, and its room events load the inviter, invitees, remover, removees and changer, `RoomInvitation.inviter()` its inviter, `room.owner()` and `room.memberAll()` theirs: a load that fails throws, and the bot never sees the event (a `room-invite`'s members are strangers' ids in a room the bot is not in: not resolved; a `dirty` names what changed, which may be gone: not resolved) |
//! | `ids-are-ids` | must | the payload an id resolves to carries that id | a provider that passes a display name (`Alice`) where an id belongs, and resolves names too, hands the bot another contact — or one that no later rpc knows |
//! | `direct-has-listener` | must | a message with no `room_id` names its `listener_id` | a message goes to a room or to a contact: without either, `message.conversation()` has nothing to answer to |
//! | `room-without-listener` | should | a room message names no `listener_id` | wechaty-puppet's `MessagePayload` type allows a listener beside a room (so not a must), but the official server never sends one, and a bot that asks `message.listener()` of a room message gets one member of many |
//! | `talker-in-room` | should | a room message's talker is in that room's `RoomMemberList` | whoever speaks in a room is its member; a should, because a member can leave between the message and the list (and the official mock's chatter picks a room and a talker at random) |
//! | `answer-placeholders` | must | no string of an answer the model reads (`MessagePayload` but its text, `ContactPayload`, `RoomPayload`, `RoomMemberList`, `FriendshipPayload`, `RoomInvitationPayload`) is placeholder text (`undefined`, `null`, `NaN`, `[object Object]`, as `payloads.placeholders` reads them) | the fact judge's `placeholders` holds event payloads; the answers a bot loads carry the same lost values (a contact named "undefined", a topic "null"). A message's text is what a person typed, and a person may type "null": not judged |
//!
//! Bounds (a flood must not become a flood of rpcs): ids are resolved at most [`RATE`] a second with bursts of
//! [`BURST`] (a token bucket); of the distinct ids named, the first [`RESOLVE_ALL`] are resolved, then one in
//! [`SAMPLE_EVERY`] new ones, [`RESOLVE_MOST`] in all; [`ROOMS_MOST`] rooms' member lists; at most [`IDS_KEPT`]
//! distinct ids remembered (past that an id may be counted twice, never resolved twice more than the bound allows).

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use serde_json::Value;

use crate::engine::field::facts::is_placeholder;
use crate::proto::wechaty::puppet::{
    ContactPayloadResponse, FriendshipPayloadResponse, MessagePayloadResponse, RoomInvitationPayloadResponse,
    RoomPayloadResponse,
};
use crate::vocab::AccountRule;
use crate::wire::{EventKind, Rpc};

/// Payload rpcs a second, at most, once the burst is spent.
pub const RATE: f64 = 20.0;
/// Payload rpcs sent at once after a quiet spell.
pub const BURST: f64 = 20.0;
/// Distinct ids resolved before sampling starts.
pub const RESOLVE_ALL: usize = 100;
/// Past [`RESOLVE_ALL`], one in this many new distinct ids is resolved.
pub const SAMPLE_EVERY: usize = 10;
/// Distinct ids resolved at most.
pub const RESOLVE_MOST: usize = 200;
/// Ids of one list (`ContactList`, `RoomList`) offered for resolving, at most.
pub const LISTED_MOST: usize = 32;
/// Rooms whose member list is asked for, at most.
pub const ROOMS_MOST: usize = 50;
/// Distinct ids remembered (their hashes).
pub const IDS_KEPT: usize = 1 << 16;
/// Findings kept (the count says how many in all).
const KEPT: usize = 64;

/// The rpc that resolves an id of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolver {
    Contact,
    Room,
    Friendship,
    RoomInvitation,
}

impl Resolver {
    pub fn rpc(self) -> Rpc {
        match self {
            Resolver::Contact => Rpc::ContactPayload,
            Resolver::Room => Rpc::RoomPayload,
            Resolver::Friendship => Rpc::FriendshipPayload,
            Resolver::RoomInvitation => Rpc::RoomInvitationPayload,
        }
    }
}

/// An id a payload names, and where: `` `room-join` (seq 12).inviterId `` or `MessagePayload("m-1").talker_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub id: String,
    pub resolver: Resolver,
    pub source: String,
    /// When the naming was seen (the finding's place on the timeline).
    pub at: Duration,
}

/// What the payload rpc answered for an id: the id its payload carries, or the status the service sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Id(String),
    Refused(String),
}

/// One thing the account model found untrue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFinding {
    pub rule: AccountRule,
    pub at: Duration,
    /// Names the event or rpc, the field, the value and the rule.
    pub message: String,
}

/// A token bucket over the run's clock: [`RATE`] a second, [`BURST`] at once.
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    at: Duration,
}

impl Bucket {
    pub fn new(now: Duration) -> Bucket {
        Bucket { tokens: BURST, at: now }
    }

    /// Takes a token at `now`, or says how long until one is there.
    pub fn take(&mut self, now: Duration) -> Result<(), Duration> {
        let elapsed = now.saturating_sub(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * RATE).min(BURST);
        self.at = self.at.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / RATE))
        }
    }
}

/// The model: which ids were named, which are to be resolved, what was found.
pub struct Account {
    identity: bool,
    direct_listener: bool,
    room_listener: bool,
    membership: bool,
    placeholders: bool,
    hasher: std::hash::RandomState,
    /// Hashes of the (resolver, id) pairs named so far.
    seen: HashSet<u64>,
    /// Distinct ids named (past [`IDS_KEPT`], ids not remembered count again).
    pub named: usize,
    /// Distinct ids chosen for resolving.
    pub chosen: usize,
    /// Ids resolved (an answer came).
    pub resolved: usize,
    queue: VecDeque<Named>,
    /// Each room's member list, or why it has none.
    rooms: HashMap<String, Result<Vec<String>, String>>,
    /// Room messages whose talker was not judged: more rooms than [`ROOMS_MOST`].
    pub rooms_unjudged: usize,
    findings: Vec<AccountFinding>,
    /// Findings in all, kept or not.
    pub found: usize,
}

impl Account {
    pub fn new(rules: &[AccountRule]) -> Account {
        Account {
            identity: rules.iter().any(|rule| matches!(rule, AccountRule::IdsResolve | AccountRule::IdsAreIds)),
            direct_listener: rules.contains(&AccountRule::DirectHasListener),
            room_listener: rules.contains(&AccountRule::RoomWithoutListener),
            membership: rules.contains(&AccountRule::TalkerInRoom),
            placeholders: rules.contains(&AccountRule::AnswerPlaceholders),
            hasher: std::hash::RandomState::new(),
            seen: HashSet::new(),
            named: 0,
            chosen: 0,
            resolved: 0,
            queue: VecDeque::new(),
            rooms: HashMap::new(),
            rooms_unjudged: 0,
            findings: Vec::new(),
            found: 0,
        }
    }

    /// Whether the model resolves ids (its rules ask for it: the identity rules, or the answers' placeholders).
    pub fn resolves(&self) -> bool {
        self.identity || self.placeholders
    }

    /// One event: the ids its payload names are offered for resolving. (A `message` event names a message id,
    /// resolved with `MessagePayload` by the check: its payload comes in through [`Account::message`].)
    pub fn event(&mut self, seq: usize, at: Duration, kind: EventKind, payload: &Value) {
        if self.resolves() {
            for named in named_by_event(seq, at, kind, payload) {
                self.offer(named);
            }
        }
    }

    /// One message's payload: its conversation's shape is judged, its ids offered for resolving.
    pub fn message(&mut self, at: Duration, payload: &MessagePayloadResponse) {
        if self.resolves() {
            for named in named_by_message(at, payload) {
                self.offer(named);
            }
        }
        let what = format!("MessagePayload({})", shown(&payload.id));
        let mut fields = vec![
            ("id".to_owned(), payload.id.as_str()),
            ("filename".to_owned(), payload.filename.as_str()),
            ("talker_id".to_owned(), payload.talker_id.as_str()),
            ("room_id".to_owned(), payload.room_id.as_str()),
            ("listener_id".to_owned(), payload.listener_id.as_str()),
        ];
        listed(&mut fields, "mention_ids", &payload.mention_ids);
        self.placeholders(at, &what, &fields);
        for (rule, message) in conversation(payload) {
            let wanted = match rule {
                AccountRule::DirectHasListener => self.direct_listener,
                AccountRule::RoomWithoutListener => self.room_listener,
                _ => false,
            };
            if wanted {
                self.find(AccountFinding { rule, at, message });
            }
        }
    }

    /// Which room's member list `payload` needs — for its talker's membership, or for the members' ids to resolve —
    /// if a rule asks and the list is not known yet (`None` past [`ROOMS_MOST`] rooms: counted as not judged).
    pub fn wants_members(&mut self, payload: &MessagePayloadResponse) -> Option<String> {
        let asked = self.membership || self.resolves();
        if !asked || payload.room_id.is_empty() || self.rooms.contains_key(&payload.room_id) {
            return None;
        }
        if self.rooms.len() >= ROOMS_MOST {
            self.rooms_unjudged += 1;
            return None;
        }
        Some(payload.room_id.clone())
    }

    /// A room's member list as `RoomMemberList` answered it for `payload`'s room (or the status it failed with:
    /// a finding, once a room).
    pub fn members(&mut self, at: Duration, payload: &MessagePayloadResponse, members: Result<Vec<String>, String>) {
        if let (Ok(list), true) = (&members, self.resolves()) {
            let mut fields = Vec::new();
            listed(&mut fields, "", list);
            self.placeholders(at, &format!("RoomMemberList({})", shown(&payload.room_id)), &fields);
            // A member is an id the service names: it resolves as every other does (within the same bounds).
            for (index, id) in list.iter().enumerate() {
                let source = format!("RoomMemberList({})[{index}]", shown(&payload.room_id));
                self.offer(Named { id: id.clone(), resolver: Resolver::Contact, source, at });
            }
        }
        if let (Err(status), true) = (&members, self.membership) {
            let message = format!(
                "MessagePayload({}).room_id {}: RoomMemberList answers {}: a room a message names has members \
                 (talker-in-room, should)",
                shown(&payload.id),
                shown(&payload.room_id),
                crate::events::truncate(status, 160)
            );
            self.find(AccountFinding { rule: AccountRule::TalkerInRoom, at, message });
        }
        self.rooms.insert(payload.room_id.clone(), members);
    }

    /// Whether `payload`'s talker is in its room's member list, once the list is known.
    pub fn judge_talker(&mut self, at: Duration, payload: &MessagePayloadResponse) {
        if !self.membership || payload.room_id.is_empty() {
            return;
        }
        let Some(Ok(members)) = self.rooms.get(&payload.room_id) else { return };
        if let Some(message) = talker_in_room(payload, members) {
            self.find(AccountFinding { rule: AccountRule::TalkerInRoom, at, message });
        }
    }

    /// Offers a named id: the first time it is named, it is chosen for resolving while the bound allows.
    /// A list an rpc answered (`ContactList`, `RoomList`): a bot's `Contact.findAll()` / `Room.findAll()` loads
    /// every id it names, so each must resolve as the event's ids do. At most [`LISTED_MOST`] ids of a list are
    /// offered, spread evenly over it and always its last (where a list grows).
    pub fn listed(&mut self, at: Duration, rpc: Rpc, resolver: Resolver, ids: &[String]) {
        if !self.resolves() || ids.is_empty() {
            return;
        }
        let step = ids.len().div_ceil(LISTED_MOST).max(1);
        let last = ids.len() - 1;
        for index in (0..ids.len()).step_by(step).chain(std::iter::once(last)) {
            self.offer(Named { id: ids[index].clone(), resolver, source: format!("`{rpc}`[{index}]"), at });
        }
    }

    pub fn offer(&mut self, named: Named) {
        if named.id.is_empty() {
            // An empty id is the shape judge's (`payloads.shape`): there is nothing to resolve.
            return;
        }
        let hash = self.hasher_hash(named.resolver, &named.id);
        if self.seen.contains(&hash) {
            return;
        }
        if self.seen.len() < IDS_KEPT {
            self.seen.insert(hash);
        }
        self.named += 1;
        let chosen = self.chosen < RESOLVE_MOST
            && (self.named <= RESOLVE_ALL || (self.named - RESOLVE_ALL).is_multiple_of(SAMPLE_EVERY));
        if chosen {
            self.chosen += 1;
            self.queue.push_back(named);
        }
    }

    fn hasher_hash(&self, resolver: Resolver, id: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one((resolver, id))
    }

    /// The next id to resolve, if any.
    pub fn next_to_resolve(&mut self) -> Option<Named> {
        self.queue.pop_front()
    }

    /// Ids chosen and not resolved yet.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// What the payload rpc answered for `named`.
    pub fn answer(&mut self, named: &Named, answer: &Answer) {
        self.resolved += 1;
        if let (Some(finding), true) = (judge(named, answer), self.identity) {
            self.find(finding);
        }
    }

    /// A contact resolved: its strings are judged.
    pub fn contact(&mut self, named: &Named, payload: &ContactPayloadResponse) {
        let mut fields: Vec<(String, &str)> = [
            ("id", &payload.id),
            ("name", &payload.name),
            ("alias", &payload.alias),
            ("avatar", &payload.avatar),
            ("address", &payload.address),
            ("city", &payload.city),
            ("province", &payload.province),
            ("signature", &payload.signature),
            ("weixin", &payload.weixin),
            ("corporation", &payload.corporation),
            ("title", &payload.title),
            ("description", &payload.description),
        ]
        .into_iter()
        .map(|(field, value)| (field.to_owned(), value.as_str()))
        .collect();
        listed(&mut fields, "phones", &payload.phones);
        self.placeholders(named.at, &format!("ContactPayload({})", shown(&named.id)), &fields);
    }

    /// A room resolved: its strings are judged, and the owner, admins and members it names are offered in turn
    /// (`room.owner()`, `room.memberAll()` load them).
    pub fn room(&mut self, named: &Named, payload: &RoomPayloadResponse) {
        let what = format!("RoomPayload({})", shown(&named.id));
        let mut fields: Vec<(String, &str)> = [
            ("id", &payload.id),
            ("topic", &payload.topic),
            ("avatar", &payload.avatar),
            ("owner_id", &payload.owner_id),
            ("handle", &payload.handle),
        ]
        .into_iter()
        .map(|(field, value)| (field.to_owned(), value.as_str()))
        .collect();
        listed(&mut fields, "admin_ids", &payload.admin_ids);
        listed(&mut fields, "member_ids", &payload.member_ids);
        self.placeholders(named.at, &what, &fields);
        for (field, id) in fields.iter().filter(|(field, _)| field.ends_with("_id") || field.contains("_ids[")) {
            self.offer(Named {
                id: (*id).to_owned(),
                resolver: Resolver::Contact,
                source: format!("{what}.{field}"),
                at: named.at,
            });
        }
    }

    /// A room invitation resolved: its strings are judged, its inviter and receiver offered in turn; an empty
    /// inviter is a finding (`RoomInvitation.inviter()` loads it).
    pub fn room_invitation(&mut self, named: &Named, payload: &RoomInvitationPayloadResponse) {
        let what = format!("RoomInvitationPayload({})", shown(&named.id));
        let mut fields: Vec<(String, &str)> = [
            ("id", &payload.id),
            ("inviter_id", &payload.inviter_id),
            ("topic", &payload.topic),
            ("avatar", &payload.avatar),
            ("invitation", &payload.invitation),
            ("receiver_id", &payload.receiver_id),
        ]
        .into_iter()
        .map(|(field, value)| (field.to_owned(), value.as_str()))
        .collect();
        listed(&mut fields, "member_ids", &payload.member_ids);
        self.placeholders(named.at, &what, &fields);
        if payload.inviter_id.is_empty() && self.identity {
            let message = format!(
                "{what}.inviter_id is empty (invitation named by {}): an invitation names who invited the bot, and \
                 Wechaty's `RoomInvitation.inviter()` loads it (ids-resolve, must)",
                named.source
            );
            self.find(AccountFinding { rule: AccountRule::IdsResolve, at: named.at, message });
        }
        for (field, id) in [("inviter_id", &payload.inviter_id), ("receiver_id", &payload.receiver_id)] {
            self.offer(Named {
                id: id.clone(),
                resolver: Resolver::Contact,
                source: format!("{what}.{field}"),
                at: named.at,
            });
        }
    }

    /// `answer-placeholders`: each of `fields` (name, value) of the answer `what` that is placeholder text.
    fn placeholders(&mut self, at: Duration, what: &str, fields: &[(String, &str)]) {
        if !self.placeholders {
            return;
        }
        for (field, value) in fields {
            if is_placeholder(value) {
                let dot = if field.starts_with('[') { "" } else { "." };
                let message = format!(
                    "{what}{dot}{field} is {}: a placeholder where a value belongs (a lost value turned into text); a \
                     bot takes it for a real one (answer-placeholders, must)",
                    shown(value)
                );
                self.find(AccountFinding { rule: AccountRule::AnswerPlaceholders, at, message });
            }
        }
    }

    /// A friendship resolved: the contact it names is offered in turn; an empty one is a finding.
    pub fn friendship(&mut self, named: &Named, payload: &FriendshipPayloadResponse) {
        let fields: Vec<(String, &str)> = [
            ("id", &payload.id),
            ("contact_id", &payload.contact_id),
            ("hello", &payload.hello),
            ("stranger", &payload.stranger),
            ("ticket", &payload.ticket),
        ]
        .into_iter()
        .map(|(field, value)| (field.to_owned(), value.as_str()))
        .collect();
        self.placeholders(named.at, &format!("FriendshipPayload({})", shown(&named.id)), &fields);
        if payload.contact_id.is_empty() && !self.identity {
            return;
        }
        if payload.contact_id.is_empty() {
            let message = format!(
                "FriendshipPayload({}).contact_id is empty (friendship named by {}): a friendship names the \
                 contact it is with, and Wechaty's friendship event loads it (ids-resolve, must)",
                shown(&named.id),
                named.source
            );
            self.find(AccountFinding { rule: AccountRule::IdsResolve, at: named.at, message });
            return;
        }
        self.offer(Named {
            id: payload.contact_id.clone(),
            resolver: Resolver::Contact,
            source: format!("FriendshipPayload({}).contact_id", shown(&named.id)),
            at: named.at,
        });
    }

    fn find(&mut self, finding: AccountFinding) {
        self.found += 1;
        if self.findings.len() < KEPT {
            self.findings.push(finding);
        }
    }

    /// What was found, in the order found (at most 64).
    pub fn findings(&self) -> &[AccountFinding] {
        &self.findings
    }

    /// "12 of 340 ids resolved, sampled: …" — how much of what was named was resolved, and how it was chosen.
    pub fn coverage(&self) -> String {
        let mut said = if self.resolved == self.named {
            format!("{} id(s) resolved", self.resolved)
        } else {
            format!("{} of {} ids resolved", self.resolved, self.named)
        };
        if self.chosen < self.named {
            said.push_str(&format!(
                ", sampled: the first {RESOLVE_ALL} distinct ids, then one in {SAMPLE_EVERY}, {RESOLVE_MOST} at most"
            ));
        }
        let unanswered = self.chosen - self.resolved;
        if unanswered > 0 {
            said.push_str(&format!(
                "; {unanswered} chosen but not resolved before the check's time ran out ({RATE} rpcs a second)"
            ));
        }
        said
    }
}

/// The ids an event's payload names, each with the rpc that resolves it. Fields that are not strings are the shape
/// judge's and are left out.
pub fn named_by_event(seq: usize, at: Duration, kind: EventKind, payload: &Value) -> Vec<Named> {
    let fields: &[(&str, Resolver)] = match kind {
        EventKind::Login => &[("contactId", Resolver::Contact)],
        EventKind::RoomJoin => {
            &[("inviterId", Resolver::Contact), ("inviteeIdList", Resolver::Contact), ("roomId", Resolver::Room)]
        }
        EventKind::RoomLeave => {
            &[("removerId", Resolver::Contact), ("removeeIdList", Resolver::Contact), ("roomId", Resolver::Room)]
        }
        EventKind::RoomTopic => &[("changerId", Resolver::Contact), ("roomId", Resolver::Room)],
        EventKind::Friendship => &[("friendshipId", Resolver::Friendship)],
        EventKind::RoomInvite => &[("roomInvitationId", Resolver::RoomInvitation)],
        _ => &[],
    };
    let mut named = Vec::new();
    for (field, resolver) in fields {
        let source = |index: Option<usize>| match index {
            Some(index) => format!("`{kind}` (seq {seq}).{field}[{index}]"),
            None => format!("`{kind}` (seq {seq}).{field}"),
        };
        match payload.get(field) {
            Some(Value::String(id)) => {
                named.push(Named { id: id.clone(), resolver: *resolver, source: source(None), at });
            }
            Some(Value::Array(ids)) => {
                for (index, id) in ids.iter().enumerate() {
                    if let Value::String(id) = id {
                        named.push(Named { id: id.clone(), resolver: *resolver, source: source(Some(index)), at });
                    }
                }
            }
            _ => {}
        }
    }
    named
}

/// The ids a message names: its talker, listener, room and mention ids.
pub fn named_by_message(at: Duration, payload: &MessagePayloadResponse) -> Vec<Named> {
    let message = shown(&payload.id);
    let source = |field: &str| format!("MessagePayload({message}).{field}");
    let mut named = vec![
        Named { id: payload.talker_id.clone(), resolver: Resolver::Contact, source: source("talker_id"), at },
        Named { id: payload.listener_id.clone(), resolver: Resolver::Contact, source: source("listener_id"), at },
        Named { id: payload.room_id.clone(), resolver: Resolver::Room, source: source("room_id"), at },
    ];
    for (index, id) in payload.mention_ids.iter().enumerate() {
        named.push(Named {
            id: id.clone(),
            resolver: Resolver::Contact,
            source: source(&format!("mention_ids[{index}]")),
            at,
        });
    }
    named.retain(|named| !named.id.is_empty());
    named
}

/// A list's items as fields: `mention_ids[0]`, … (`[0]`, … for a list that is the whole answer).
fn listed<'a>(fields: &mut Vec<(String, &'a str)>, name: &str, items: &'a [String]) {
    fields.extend(items.iter().enumerate().map(|(index, item)| (format!("{name}[{index}]"), item.as_str())));
}

/// What is wrong with an id's answer: it did not resolve, or it resolved to another id.
pub fn judge(named: &Named, answer: &Answer) -> Option<AccountFinding> {
    let rpc = named.resolver.rpc();
    let (rule, message) = match answer {
        Answer::Refused(status) => (
            AccountRule::IdsResolve,
            format!(
                "{} {}: {rpc} answers {}: every id a payload names resolves through its payload rpc — Wechaty loads \
                 it, and a load that fails drops the event (ids-resolve, must)",
                named.source,
                shown(&named.id),
                crate::events::truncate(status, 160)
            ),
        ),
        Answer::Id(answered) if *answered != named.id => (
            AccountRule::IdsAreIds,
            format!(
                "{} {}: {rpc} answers the payload of {}: an id resolves to itself — a display name or alias is no \
                 id (ids-are-ids, must)",
                named.source,
                shown(&named.id),
                shown(answered)
            ),
        ),
        Answer::Id(_) => return None,
    };
    Some(AccountFinding { rule, at: named.at, message })
}

/// The conversation's shape: a message outside a room names its listener; a room message names none.
pub fn conversation(payload: &MessagePayloadResponse) -> Vec<(AccountRule, String)> {
    let message = shown(&payload.id);
    let mut found = Vec::new();
    if payload.room_id.is_empty() && payload.listener_id.is_empty() {
        found.push((
            AccountRule::DirectHasListener,
            format!(
                "MessagePayload({message}) from {}: room_id and listener_id are both empty: a message outside a room \
                 names its listener, or the bot cannot tell whom it went to (direct-has-listener, must)",
                shown(&payload.talker_id)
            ),
        ));
    }
    if !payload.room_id.is_empty() && !payload.listener_id.is_empty() {
        found.push((
            AccountRule::RoomWithoutListener,
            format!(
                "MessagePayload({message}).listener_id {} in room {}: a room message names its room and no listener \
                 (room-without-listener, should)",
                shown(&payload.listener_id),
                shown(&payload.room_id)
            ),
        ));
    }
    found
}

/// Whether a room message's talker is among the room's members.
pub fn talker_in_room(payload: &MessagePayloadResponse, members: &[String]) -> Option<String> {
    if members.contains(&payload.talker_id) {
        return None;
    }
    Some(format!(
        "MessagePayload({}).talker_id {} is not in RoomMemberList({}) ({} member(s)): whoever speaks in a room is \
         its member (talker-in-room, should)",
        shown(&payload.id),
        shown(&payload.talker_id),
        shown(&payload.room_id),
        members.len()
    ))
}

/// A peer's id for a message: JSON-quoted (control characters escaped), cut.
pub fn shown(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    if quoted.chars().count() > 60 { format!("{}…", quoted.chars().take(57).collect::<String>()) } else { quoted }
}

#[cfg(test)]
mod tests;
