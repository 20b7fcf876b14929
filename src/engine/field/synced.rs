//! Ready means synced: the Puppet spec's `ready` comes "after the bot logined and all data has been synced". The
//! contact book (`ContactList`) and the rooms (`RoomList`) taken at `ready` are whole; an id that appears in a
//! later list is either told by an event — a confirmed friendship (each may add one contact; a received request
//! adds none), a room invitation (each may add
//! one room), a `room-join`, `room-leave` or `room-topic` naming it (its `roomId`, its inviter and invitees), a
//! `dirty` naming it — or it was still syncing when `ready` came.
//!
//! A should (`events.ready-synced`): a bot that reads its contacts and rooms at `ready` (Wechaty's
//! `Contact.findAll()` in a ready handler, the usual way to start) misses what came later; the protocol itself is
//! not broken, and every later call still answers.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::wire::{EventKind, Rpc};

/// Ids a list keeps (a contact book past this is judged on its first ids).
const IDS_KEPT: usize = 200_000;
/// Ids an event set keeps (each id named by an event after `ready`).
const NAMED_KEPT: usize = 200_000;
/// Appeared ids a finding shows.
const SHOWN: usize = 5;

/// What the events after `ready` explain.
#[derive(Debug, Default)]
pub struct Explained {
    /// Ids events named (room ids, contact ids), whatever their role.
    named: HashSet<String>,
    /// `friendship` events: each may add one contact.
    friendships: usize,
    /// `room-invite` events: each may add one room.
    invitations: usize,
}

impl Explained {
    pub fn new() -> Self {
        Self::default()
    }

    /// One event that arrived after `ready` (replays and connect heartbeats are no news: leave them out).
    pub fn event(&mut self, kind: EventKind, payload: Option<&Value>) {
        match kind {
            EventKind::Friendship => self.friendships += 1,
            EventKind::RoomInvite => self.invitations += 1,
            EventKind::RoomJoin | EventKind::RoomLeave | EventKind::RoomTopic | EventKind::Dirty => {
                let Some(payload) = payload else { return };
                for field in ["roomId", "inviterId", "removerId", "changerId", "payloadId"] {
                    if let Some(id) = payload.get(field).and_then(Value::as_str) {
                        self.name(id);
                    }
                }
                for field in ["inviteeIdList", "removeeIdList"] {
                    for id in payload.get(field).and_then(Value::as_array).into_iter().flatten() {
                        if let Some(id) = id.as_str() {
                            self.name(id);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// A `friendship` whose payload says it added a contact (Confirm), or that could not be read: it may explain
    /// one contact. (A received request, Receive, or a verification, Verify, adds none.)
    pub fn friendship(&mut self) {
        self.friendships += 1;
    }

    fn name(&mut self, id: &str) {
        if self.named.len() < NAMED_KEPT {
            self.named.insert(id.to_owned());
        }
    }
}

/// One list an rpc answered: when (from the start of the run's timeline) and its ids.
#[derive(Debug, Clone)]
pub struct Taken {
    pub at: Duration,
    pub ids: Vec<String>,
}

/// Ids that appeared in an rpc's lists after `ready` with no event to explain them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Growth {
    pub rpc: Rpc,
    /// Each list: when, and how many ids.
    pub counts: Vec<(Duration, usize)>,
    /// The ids no event explains, in the order they appeared.
    pub unexplained: Vec<String>,
    /// When the first of them was seen.
    pub first_seen: Duration,
}

impl fmt::Display for Growth {
    /// "`ContactList` held 3 ids at +0.4s, 5 at +0.6s: 2 appeared after `ready` with no event that explains them
    /// (\"c-1\", \"c-2\")".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts: Vec<String> = self
            .counts
            .iter()
            .enumerate()
            .map(|(index, (at, count))| {
                let ids = if index == 0 { " ids" } else { "" };
                format!("{count}{ids} at +{:.1}s", at.as_secs_f64())
            })
            .collect();
        let shown: Vec<String> = self.unexplained.iter().take(SHOWN).map(|id| shown(id)).collect();
        let more = self.unexplained.len().saturating_sub(SHOWN);
        let more = if more > 0 { format!(" and {more} more") } else { String::new() };
        write!(
            f,
            "`{}` held {}: {} appeared after `ready` with no event that explains them ({}{more})",
            self.rpc,
            counts.join(", "),
            self.unexplained.len(),
            shown.join(", ")
        )
    }
}

/// Holds an rpc's lists, the first taken at `ready`, against what the events after it explain; `None` when every
/// id that appeared is explained (or nothing appeared). For contacts each friendship explains one id, for rooms
/// each invitation.
pub fn judge(rpc: Rpc, lists: &[Taken], explained: &Explained) -> Option<Growth> {
    let (first, later) = lists.split_first()?;
    let known: HashSet<&str> = first.ids.iter().take(IDS_KEPT).map(String::as_str).collect();
    let mut appeared: Vec<(&str, Duration)> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for list in later {
        for id in list.ids.iter().take(IDS_KEPT) {
            if !known.contains(id.as_str()) && seen.insert(id.as_str()) {
                appeared.push((id.as_str(), list.at));
            }
        }
    }
    let mut unexplained: Vec<(&str, Duration)> =
        appeared.into_iter().filter(|(id, _)| !explained.named.contains(*id)).collect();
    // A friendship names no contact on the wire (only its id): each explains one new contact; an invitation one room.
    let counted = match rpc {
        Rpc::ContactList => explained.friendships,
        Rpc::RoomList => explained.invitations,
        _ => 0,
    };
    unexplained.drain(..counted.min(unexplained.len()));
    let first_seen = unexplained.first()?.1;
    Some(Growth {
        rpc,
        counts: lists.iter().map(|list| (list.at, list.ids.len())).collect(),
        unexplained: unexplained.into_iter().map(|(id, _)| id.to_owned()).collect(),
        first_seen,
    })
}

/// An id for a message: JSON-quoted (escapes, no raw control characters), cut.
fn shown(id: &str) -> String {
    let quoted = serde_json::to_string(id).unwrap_or_default();
    if quoted.chars().count() > 60 { format!("{}…", quoted.chars().take(57).collect::<String>()) } else { quoted }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn taken(at_ms: u64, ids: &[&str]) -> Taken {
        Taken { at: Duration::from_millis(at_ms), ids: ids.iter().map(|id| (*id).to_owned()).collect() }
    }

    #[test]
    fn contacts_and_rooms_that_appear_with_no_event_are_named_with_counts() {
        let lists = [taken(400, &["bot", "c-1"]), taken(1400, &["bot", "c-1", "c-2", "c-3"])];
        let growth = judge(Rpc::ContactList, &lists, &Explained::new()).expect("growth");
        assert_eq!(growth.unexplained, ["c-2", "c-3"]);
        assert_eq!(
            growth.to_string(),
            "`ContactList` held 2 ids at +0.4s, 4 at +1.4s: 2 appeared after `ready` with no event that explains \
             them (\"c-2\", \"c-3\")"
        );
        // Rooms only: the contact book is whole.
        let rooms = [taken(400, &["r-1@chatroom"]), taken(900, &["r-1@chatroom", "r-2@chatroom"])];
        assert_eq!(judge(Rpc::RoomList, &rooms, &Explained::new()).expect("rooms grew").unexplained, ["r-2@chatroom"]);
        assert!(judge(Rpc::ContactList, &[taken(400, &["bot"]), taken(900, &["bot"])], &Explained::new()).is_none());
    }

    /// Contacts that keep coming over several lists: each list's count is shown, every newcomer named once.
    #[test]
    fn contacts_that_grow_over_several_lists_are_counted_at_each() {
        let lists =
            [taken(0, &["a"]), taken(1000, &["a", "b"]), taken(2000, &["a", "b", "c"]), taken(3000, &["b", "c", "d"])];
        let growth = judge(Rpc::ContactList, &lists, &Explained::new()).expect("growth");
        assert_eq!(growth.unexplained, ["b", "c", "d"]);
        assert_eq!(growth.first_seen, Duration::from_secs(1));
        assert!(
            growth.to_string().starts_with("`ContactList` held 1 ids at +0.0s, 2 at +1.0s, 3 at +2.0s, 3 at +3.0s: 3")
        );
    }

    /// A room-join naming the bot's new room and its members, a friendship, a dirty contact: explained.
    #[test]
    fn growth_that_events_explain_is_no_finding() {
        let mut explained = Explained::new();
        explained.event(
            EventKind::RoomJoin,
            Some(
                &json!({"inviteeIdList": ["bot", "m-9"], "inviterId": "c-1", "roomId": "r-2@chatroom", "timestamp": 1}),
            ),
        );
        explained.event(EventKind::Friendship, Some(&json!({"friendshipId": "f-1"})));
        explained.event(EventKind::Dirty, Some(&json!({"payloadType": 2, "payloadId": "c-7"})));
        explained.event(EventKind::Message, Some(&json!({"messageId": "c-8"})));
        let rooms = [taken(0, &["r-1@chatroom"]), taken(900, &["r-1@chatroom", "r-2@chatroom"])];
        assert!(judge(Rpc::RoomList, &rooms, &explained).is_none());
        // m-9 (a room-join), c-7 (dirty) and one more (the friendship) are explained; c-8 is not (a message id).
        let contacts = [taken(0, &["bot"]), taken(900, &["bot", "m-9", "c-7", "c-5", "c-8"])];
        let growth = judge(Rpc::ContactList, &contacts, &explained).expect("one left");
        assert_eq!(growth.unexplained, ["c-8"]);
        // A room that comes with an invitation.
        let mut invited = Explained::new();
        invited.event(EventKind::RoomInvite, Some(&json!({"roomInvitationId": "i-1"})));
        assert!(judge(Rpc::RoomList, &rooms, &invited).is_none());
    }
}
