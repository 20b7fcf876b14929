//! What a replay is — the one definition: the timeline marks each event with it as it arrives (and the recording
//! keeps the mark), and the state judge reads the mark.
//!
//! On every new subscription the official server sends the connect heartbeat, then `login` if logged in, then
//! `ready` 100 ms later if ready (wechaty-puppet-service 1.19.9 server/event-stream-manager.js `start()`; WIRE.md
//! "Events"); some services also replay a cached `scan`. So a `login`, `ready` or `scan` is a replay when it arrives
//! on the latest subscription within [`REPLAY_WINDOW`] of it, no `Start` has been sent since it opened (a `Start`
//! ends the replays from its request on: its first live events can overtake its reply), and it is the first of its
//! kind there — or the second, third… when as many subscriptions opened within the window: a server sends a
//! replay it timed for a subscription that ended meanwhile to the one that replaced it (the official server's
//! 100 ms `ready` goes to its current stream).
//!
//! The official server also repeats a `ready` by itself: 5 s after every `login` it sends the last `ready` payload
//! the puppet emitted again ([`RE_EMIT`]; wechaty-puppet-service 1.19.9 server/puppet-implementation.js, "should we
//! emit ready event here?"). A `ready` with the very payload of the `ready` before it, [`RE_EMIT`] (± a second) after
//! the live `login`, once a login, is that repetition: it tells the state again, as a replay does.

use std::time::Duration;

use crate::wire::EventKind;

/// How long after a subscription its replays may arrive (the official server replays `ready` after 100 ms).
pub const REPLAY_WINDOW: Duration = Duration::from_secs(1);
/// When, after a `login`, the official server sends the last `ready` again.
pub const RE_EMIT: Duration = Duration::from_secs(5);

/// Tells replays from live events, fed in the order things happen.
#[derive(Debug, Clone, Default)]
pub struct Replays {
    /// The latest subscription, when it opened, while its replays may still come.
    open: Option<(u32, Duration)>,
    /// When the subscriptions since the last `Start` opened, those within the window of the latest.
    opened: Vec<Duration>,
    /// The kinds already replayed on the latest subscription (one entry a replay).
    seen: Vec<EventKind>,
    /// The latest live `login`, while its `ready` may still be repeated by the server.
    login: Option<Duration>,
    /// The latest `ready`'s payload, hashed (a payload can be megabytes; only its sameness matters).
    ready: Option<u64>,
}

impl Replays {
    /// A subscription opened as `stream` at `at`.
    pub fn subscribed(&mut self, stream: u32, at: Duration) {
        self.open = Some((stream, at));
        self.opened.retain(|opened| at.saturating_sub(*opened) <= REPLAY_WINDOW);
        self.opened.push(at);
        self.seen.clear();
    }

    /// A `Start` is being sent: no replay after it.
    pub fn start_sent(&mut self) {
        self.open = None;
        self.opened.clear();
    }

    /// Whether an event of `kind` on `stream` at `at`, with payload `raw`, is a replay (and, if so, one of its
    /// kind's replays is used up).
    pub fn mark(&mut self, stream: u32, kind: EventKind, at: Duration, raw: &str) -> bool {
        let replays = self.seen.iter().filter(|seen| **seen == kind).count();
        let replay = matches!(kind, EventKind::Login | EventKind::Ready | EventKind::Scan)
            && self.open.is_some_and(|(open, opened)| open == stream && at.saturating_sub(opened) <= REPLAY_WINDOW)
            && replays < self.opened.len();
        if replay {
            self.seen.push(kind);
            return true;
        }
        match kind {
            EventKind::Login => {
                self.login = Some(at);
                false
            }
            EventKind::Ready => {
                let hash = {
                    use std::hash::{Hash, Hasher};
                    let mut hasher = std::hash::DefaultHasher::new();
                    raw.hash(&mut hasher);
                    hasher.finish()
                };
                let repeated = self.ready == Some(hash)
                    && self.login.is_some_and(|login| {
                        let after = at.saturating_sub(login);
                        after + Duration::from_secs(1) >= RE_EMIT && after <= RE_EMIT + Duration::from_secs(1)
                    });
                if repeated {
                    // Once a login.
                    self.login = None;
                } else {
                    self.ready = Some(hash);
                }
                repeated
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn the_first_login_ready_and_scan_in_the_window_are_replays() {
        let mut replays = Replays::default();
        replays.subscribed(1, MS(0));
        assert!(!replays.mark(1, EventKind::Heartbeat, MS(1), "{}"));
        assert!(replays.mark(1, EventKind::Login, MS(2), "{}"));
        assert!(!replays.mark(1, EventKind::Login, MS(3), "{}"), "a second login is live");
        assert!(replays.mark(1, EventKind::Ready, MS(100), "{}"));
        assert!(!replays.mark(1, EventKind::Scan, MS(1_001), "{}"), "past the window");
    }

    /// A subscription replaced within the window (a client's own re-subscription, then the server ending that
    /// stream): the replay timed for the ended one arrives on its successor, before the successor's own.
    #[test]
    fn a_replay_of_a_stream_just_replaced_arrives_on_its_successor() {
        let mut replays = Replays::default();
        replays.subscribed(1, MS(0));
        assert!(!replays.mark(1, EventKind::Ready, MS(1_500), "{}"), "live: past the window");
        replays.subscribed(2, MS(2_000));
        assert!(replays.mark(2, EventKind::Login, MS(2_001), "{}"));
        replays.subscribed(3, MS(2_045));
        assert!(replays.mark(3, EventKind::Login, MS(2_046), "{}"));
        assert!(replays.mark(3, EventKind::Ready, MS(2_102), "{}"), "stream 2's ready, sent to stream 3");
        assert!(replays.mark(3, EventKind::Ready, MS(2_146), "{}"), "stream 3's own");
        assert!(!replays.mark(3, EventKind::Ready, MS(2_200), "{}"), "a third is live");
        assert!(replays.mark(3, EventKind::Login, MS(2_300), "{}"), "stream 2's login may come again too");
        assert!(!replays.mark(3, EventKind::Login, MS(2_301), "{}"), "a third login is live");
    }

    /// The official server's own repetition of the last `ready`, 5 s after the login: once, and only its payload.
    #[test]
    fn the_servers_ready_again_five_seconds_after_login_is_a_replay() {
        let mut replays = Replays::default();
        replays.subscribed(1, MS(0));
        replays.start_sent();
        assert!(!replays.mark(1, EventKind::Login, MS(2_000), "{}"));
        assert!(!replays.mark(1, EventKind::Ready, MS(2_300), r#"{"data":"ready"}"#), "the puppet's own");
        assert!(replays.mark(1, EventKind::Ready, MS(7_004), r#"{"data":"ready"}"#), "the server's, 5 s on");
        assert!(!replays.mark(1, EventKind::Ready, MS(7_050), r#"{"data":"ready"}"#), "once a login");
        // Another payload, or another time, is the puppet's.
        assert!(!replays.mark(1, EventKind::Login, MS(20_000), "{}"));
        assert!(!replays.mark(1, EventKind::Ready, MS(20_100), r#"{"data":"ready"}"#));
        assert!(!replays.mark(1, EventKind::Ready, MS(25_000), r#"{"data":"synced"}"#), "another payload");
        assert!(!replays.mark(1, EventKind::Login, MS(30_000), "{}"));
        assert!(!replays.mark(1, EventKind::Ready, MS(30_100), r#"{"data":"ready"}"#));
        assert!(!replays.mark(1, EventKind::Ready, MS(31_000), r#"{"data":"ready"}"#), "1 s on: the puppet's");
    }

    #[test]
    fn start_ends_the_replays_and_only_the_latest_stream_replays() {
        let mut replays = Replays::default();
        replays.subscribed(1, MS(0));
        replays.start_sent();
        assert!(!replays.mark(1, EventKind::Login, MS(5), "{}"));
        replays.subscribed(2, MS(10));
        assert!(!replays.mark(1, EventKind::Login, MS(11), "{}"), "an old stream's event");
        assert!(replays.mark(2, EventKind::Login, MS(12), "{}"));
    }
}
